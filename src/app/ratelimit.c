/* ratelimit.c — the optional per-rule alert rate limit (saker keys
 * rules_rate_limit.rate / max_burst; off by default): a token bucket per
 * rule on event time. Suppressed alerts are counted; the next alert of the
 * rule that passes says how many were suppressed before it (in its message
 * and as output field saker.suppressed). Engine thread only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/ops.h"
#include "config/config.h"
#include "output/output.h"

struct bucket {
	double tokens;
	uint64_t last_ns;            /* event time of the last refill; 0 = full */
	uint64_t suppressed;         /* since the last alert that passed */
};

struct sk_app_ratelimit {
	double rate, burst;
	struct bucket *b;
	size_t n;
};

struct sk_app_ratelimit *sk_app_ratelimit_new(const struct sk_config *k, size_t nrules)
{
	double rate = 0, burst = 0;
	if (sk_config_get_double(k, "rules_rate_limit.rate", &rate) < 0 || rate <= 0)
		return NULL;
	if (sk_config_get_double(k, "rules_rate_limit.max_burst", &burst) < 0 || burst < 1)
		burst = rate < 1 ? 1 : rate;
	struct sk_app_ratelimit *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->rate = rate;
	r->burst = burst;
	if (sk_app_ratelimit_resize(r, nrules) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void sk_app_ratelimit_free(struct sk_app_ratelimit *r)
{
	if (!r)
		return;
	free(r->b);
	free(r);
}

int sk_app_ratelimit_resize(struct sk_app_ratelimit *r, size_t nrules)
{
	if (!r)
		return 0;
	struct bucket *b = calloc(nrules + 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	free(r->b);
	r->b = b;
	r->n = nrules;
	return 0;
}

bool sk_app_ratelimit_allow(struct sk_app_ratelimit *r, size_t rule, uint64_t ts,
			    uint64_t *suppressed)
{
	*suppressed = 0;
	if (!r || rule >= r->n)
		return true;
	struct bucket *b = &r->b[rule];
	if (!b->last_ns) {
		b->tokens = r->burst;
	} else if (ts > b->last_ns) {
		b->tokens += (double)(ts - b->last_ns) / 1e9 * r->rate;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
	}
	if (!b->last_ns || ts > b->last_ns)
		b->last_ns = ts;
	if (b->tokens < 1) {
		b->suppressed++;
		sk_app_metrics_suppressed(1);
		return false;
	}
	b->tokens -= 1;
	*suppressed = b->suppressed;
	b->suppressed = 0;
	return true;
}

int sk_app_ratelimit_annotate(struct sk_alert *a, uint64_t suppressed)
{
	char add[96];
	snprintf(add, sizeof(add), " (%llu earlier alerts of this rule suppressed by the rate limit)",
		 (unsigned long long)suppressed);
	size_t ml = strlen(a->message), al = strlen(add);
	char *m = realloc(a->message, ml + al + 1);
	if (!m)
		return -ENOMEM;
	memcpy(m + ml, add, al + 1);
	a->message = m;
	const char *fj = a->fields_json ? a->fields_json : "{}";
	size_t fl = strlen(fj);
	char *f = malloc(fl + 64);
	if (!f)
		return -ENOMEM;
	snprintf(f, fl + 64, "%.*s%s\"saker.suppressed\":%llu}", (int)(fl - 1), fj,
		 fl > 2 ? "," : "", (unsigned long long)suppressed);
	free(a->fields_json);
	a->fields_json = f;
	return 0;
}
