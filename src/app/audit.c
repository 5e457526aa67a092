/* audit.c — the k8s_audit source in the program: its configuration (the
 * k8saudit plugin entry of falco.yaml: init_config and open_params), its
 * producer (the webhook, or a reader thread replaying a JSON / JSON-lines
 * file) and its engine thread, which pops the audit queue in order,
 * evaluates the k8s_audit rules and pushes alerts to the shared outputs.
 *
 * Threads: the reader (file) or the webhook's threads push; the engine
 * thread pops; the main thread starts, polls sk_app_audit_done() and stops.
 * Counters read by /metrics are atomics. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/audit_web.h"
#include "app/containers.h"
#include "app/ops.h"
#include "app/run_int.h"
#include "audit/audit.h"
#include "config/config.h"
#include "fields/fields.h"
#include "output/output.h"
#include "rules/rules.h"

/* Audit events are plugin events (PPME_PLUGINEVENT_E) for the rule index. */
#define AUDIT_EVTTYPE 322

/* ---- the rules in use ------------------------------------------------------------ */

/* What the engine thread evaluates: a rules set and the outputs of its
 * k8s_audit rules, with the per-rule counts of the summary. */
struct rules_set {
	const struct sk_rules *r;
	struct sk_rule_output **routs; /* by sk_rule.id, k8s_audit rules only */
	uint64_t *by_rule;
	size_t n;
};

struct sk_app_audit {
	const struct sk_app_cfg *c;
	struct sk_audit_cfg cfg;
	struct sk_outputs *out;
	struct sk_audit_queue *q;
	pthread_t reader, engine;
	bool reader_on, engine_on, metrics_on, ctx_on, web_on;
	_Atomic bool done;            /* the engine thread saw the end of the source */
	/* reload: a new rules set handed to the engine thread (sk_app_audit_swap) */
	pthread_mutex_t swap_mu;
	pthread_cond_t swap_cv;
	struct rules_set *pending;    /* under swap_mu */
	_Atomic bool swap_flag;       /* pending != NULL, read without the lock */
	/* engine thread only */
	struct sk_eval_ctx ctx;
	struct rules_set set;         /* in use (set.r is the rules evaluated) */
	struct sk_app_ratelimit *rl;  /* rules_rate_limit, NULL = off (ratelimit.c) */
	uint64_t num;
	/* summary, read after the engine thread is joined */
	uint64_t detected, by_prio[8];
	/* /metrics (atomics: read on a server thread) */
	_Atomic uint64_t events, alerts, alert_errors, bad_lines;
};

/* ---- configuration ---------------------------------------------------------- */

/* A non-negative integer of init_config (a number, or a numeric string). */
static int ic_size(json_t *v, const char *key, size_t *out, char *err, size_t errlen)
{
	int64_t n = -1;
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v) && sk_parse_i64(json_string_value(v), &n) < 0)
		n = -1;
	if (n <= 0) {
		snprintf(err, errlen, "plugin 'k8saudit': init_config: %s must be a positive integer",
			 key);
		return -EINVAL;
	}
	*out = (size_t)n;
	return 0;
}

static int ic_str(json_t *v, const char *key, char **out, char *err, size_t errlen)
{
	if (!json_is_string(v)) {
		snprintf(err, errlen, "plugin 'k8saudit': init_config: %s must be a string", key);
		return -EINVAL;
	}
	char *s = strdup(json_string_value(v));
	if (!s)
		return -ENOMEM;
	free(*out);
	*out = s;
	return 0;
}

/* init_config: the plugin's keys (maxEventSize, webhookMaxBatchSize,
 * sslCertificate, useAsync). Anything else is an error, as the plugin's
 * schema makes it: saker's own endpoint options live in the `k8s_audit:`
 * block so that a falco.yaml stays loadable by Falco. */
static int parse_init_config(struct sk_audit_cfg *ac, const char *text, char *err, size_t errlen)
{
	const char *p = text ? text : "";
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p || !strcmp(p, "null"))
		return 0;
	json_error_t je;
	json_t *o = json_loads(p, JSON_DECODE_ANY, &je);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "plugin 'k8saudit': init_config is not a JSON object: %s",
			 o ? "another JSON value" : je.text);
		json_decref(o);
		return -EINVAL;
	}
	int rc = 0;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "maxEventSize"))
			rc = ic_size(v, k, &ac->max_event_size, err, errlen);
		else if (!strcmp(k, "webhookMaxBatchSize"))
			rc = ic_size(v, k, &ac->max_body, err, errlen); /* bytes of a body */
		else if (!strcmp(k, "sslCertificate"))
			rc = ic_str(v, k, &ac->tls_pem, err, errlen);
		else if (!strcmp(k, "useAsync")) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "plugin 'k8saudit': init_config: useAsync must be a boolean");
				rc = -EINVAL;
			}
		} else {
			snprintf(err, errlen,
				 "plugin 'k8saudit': init_config: unknown key '%s' (known: maxEventSize, "
				 "webhookMaxBatchSize, sslCertificate, useAsync)", k);
			rc = -EINVAL;
		}
		if (rc < 0)
			break;
	}
	json_decref(o);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* Which sources run (Falco 0.44's --enable-source / --disable-source over
 * the sources that exist: syscall always, k8s_audit with the plugin). */
static int choose_sources(const struct sk_app_cfg *c, bool audit_avail, bool *syscall_on,
			  bool *audit_on)
{
	if (c->enable_sources.n && c->disable_sources.n) {
		fprintf(stderr, "Error: You can not mix --enable-source and --disable-source\n");
		return -1;
	}
	const struct sk_strv *sel = c->enable_sources.n ? &c->enable_sources : &c->disable_sources;
	bool enable = c->enable_sources.n > 0;
	for (size_t i = 0; i < sel->n; i++) {
		const char *s = sel->v[i];
		if (strcmp(s, "syscall") && (strcmp(s, "k8s_audit") || !audit_avail)) {
			fprintf(stderr, "Error: Attempted %s an unknown event source: %s\n",
				enable ? "enabling" : "disabling", s);
			return -1;
		}
	}
	*syscall_on = !enable;
	*audit_on = audit_avail && !enable;
	for (size_t i = 0; i < sel->n; i++) {
		bool sys = !strcmp(sel->v[i], "syscall");
		if (sys)
			*syscall_on = enable;
		else
			*audit_on = enable;
	}
	if (!*syscall_on && !*audit_on) {
		fprintf(stderr, "Error: Must enable at least one event source\n");
		return -1;
	}
	return 0;
}

/* Falco 0.22 replayed audit events with `-e FILE.json`: a replay file
 * whose first non-blank byte opens a JSON object or array is audit events,
 * not a capture. */
static bool replay_is_json(const struct sk_config *k)
{
	if (k->engine_kind != SK_ENGINE_REPLAY || !k->replay_capture_file)
		return false;
	FILE *f = fopen(k->replay_capture_file, "re");
	if (!f)
		return false;
	int ch;
	while ((ch = fgetc(f)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
		;
	fclose(f);
	return ch == '{' || ch == '[';
}

int sk_app_audit_setup(struct sk_app_audit **out, const struct sk_app_cfg *c, bool *syscall_on)
{
	*out = NULL;
	const struct sk_config_plugin *p = sk_app_plugin_loaded(c->conf, "k8saudit");
	const char *open_params = p ? p->open_params : NULL;
	bool avail = open_params && *open_params;
	/* Falco 0.22's -e FILE.json replays audit events (and then starts no
	 * webserver); else, without the plugin, its webserver form (audit_web.c) */
	bool json_replay = !avail && replay_is_json(c->conf);
	if (json_replay)
		open_params = c->conf->replay_capture_file;
	struct sk_audit_cfg legacy = {0};
	struct sk_err e;
	sk_err_clear(&e);
	int lf = avail || json_replay ? 0 : sk_app_audit_web_cfg(c->conf, &legacy, &e);
	if (lf < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		return -1;
	}
	avail |= lf > 0 || json_replay;
	bool audit_on = false;
	int rc = choose_sources(c, avail, syscall_on, &audit_on);
	if (rc == 0 && json_replay) {
		*syscall_on = false; /* the replayed file holds no syscalls */
		if (!audit_on) {
			fprintf(stderr, "Error: Must enable at least one event source\n");
			rc = -1;
		}
	}
	if (rc < 0 || !audit_on) {
		sk_audit_cfg_done(&legacy);
		return rc;
	}
	struct sk_app_audit *a = calloc(1, sizeof(*a));
	if (!a) {
		sk_audit_cfg_done(&legacy);
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	a->c = c;
	pthread_mutex_init(&a->swap_mu, NULL);
	pthread_cond_init(&a->swap_cv, NULL);
	char err[1024];
	if (lf > 0) {
		a->cfg = legacy;
		*out = a;
		return 0;
	}
	if (sk_app_audit_web_options(c->conf, &a->cfg, &e) < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		goto fail;
	}
	if (p && parse_init_config(&a->cfg, p->init_config, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		goto fail;
	}
	if (sk_audit_cfg_open_params(&a->cfg, open_params, &e) < 0) {
		fprintf(stderr, "Error: plugin 'k8saudit': %s\n", e.msg);
		goto fail;
	}
	if (a->cfg.tls && !a->cfg.tls_pem && !(a->cfg.tls_pem = strdup("/etc/falco/falco.pem"))) {
		fprintf(stderr, "Error: out of memory\n");
		goto fail;
	}
	*out = a;
	return 0;
fail:
	sk_app_audit_free(a);
	return -1;
}

/* ---- the file replay ----------------------------------------------------------- */

struct line_ctx {
	struct sk_app_audit *a;
	int rc; /* -EPIPE: the queue closed (stop) */
};

/* Queues one decoded event, waiting for room: a replay drops nothing. */
static int push_event(void *vctx, json_t *doc)
{
	struct line_ctx *lc = vctx;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct sk_audit_event ev = {
		.doc = json_incref(doc),
		.ts = sk_audit_parse_time(json_string_value(json_object_get(doc, "stageTimestamp"))),
		.recv_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec,
	};
	int rc;
	while ((rc = sk_audit_queue_push(lc->a->q, &ev, 1000)) == -EAGAIN)
		;
	sk_audit_event_done(&ev);
	lc->rc = rc;
	return rc ? 1 : 0;
}

/* Reads one line (without its end) into b, at most `max` bytes: 1 = a
 * line, 0 = end of file, -E2BIG = longer than max (the rest of it is not
 * read), -EIO. */
static int read_line(FILE *f, struct sk_buf *b, size_t max)
{
	char chunk[16384];
	sk_buf_reset(b);
	bool any = false;
	while (fgets(chunk, sizeof(chunk), f)) {
		any = true;
		size_t n = strlen(chunk);
		bool end = n && chunk[n - 1] == '\n';
		if (b->len + n > max + 2 || sk_buf_append(b, chunk, n) < 0)
			return -E2BIG;
		if (end)
			break;
	}
	if (ferror(f))
		return -EIO;
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
		b->data[--b->len] = 0;
	if (b->len > max)
		return -E2BIG;
	return any ? 1 : 0;
}

/* Reads the file line by line (each non-empty line a JSON payload: an Event,
 * an EventList or an array, as the plugin reads files; a line is at most
 * maxEventSize bytes). The first bad line stops the replay with an error
 * message, as Falco does; the source then ends normally. */
static void *reader_main(void *arg)
{
	struct sk_app_audit *a = arg;
	const char *path = a->cfg.file;
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "Error: could not open k8s audit file %s: %s\n", path, strerror(errno));
		sk_audit_queue_close(a->q);
		return NULL;
	}
	struct sk_buf line;
	sk_buf_init(&line, a->cfg.max_event_size + 16384 + 2);
	unsigned long lineno = 0;
	struct line_ctx lc = {.a = a};
	int rl;
	while ((rl = read_line(f, &line, a->cfg.max_event_size)) != 0) {
		lineno++;
		struct sk_err e;
		sk_err_clear(&e);
		int rc;
		if (rl == -EIO) {
			fprintf(stderr, "Error: reading k8s audit file %s: %s\n", path, strerror(errno));
			break;
		} else if (rl == -E2BIG) {
			rc = sk_err_set(&e, -E2BIG, "line longer than maxEventSize (%zu bytes)",
					a->cfg.max_event_size);
		} else if (line.len == strspn(sk_buf_cstr(&line), " \t")) {
			continue;
		} else {
			rc = sk_audit_decode(line.data, line.len, 0, push_event, &lc, &e);
		}
		if (rc > 0 || lc.rc == -EPIPE)
			break; /* stopped */
		if (rc < 0) {
			atomic_fetch_add(&a->bad_lines, 1);
			bool unrec = strstr(e.msg, "not recognized") != NULL;
			fprintf(stderr, "Could not read k8s audit event line #%lu, \"%.200s\": %s, stopping\n",
				lineno, sk_buf_cstr(&line),
				unrec ? "Data not recognized as a k8s audit event" : e.msg);
			fprintf(stderr, "[k8saudit] %s:%lu: %s\n", path, lineno, e.msg);
			break;
		}
	}
	sk_buf_done(&line);
	fclose(f);
	sk_audit_queue_close(a->q);
	return NULL;
}

static void rules_set_done(struct rules_set *s)
{
	for (size_t i = 0; s->routs && i < s->n; i++)
		sk_rule_output_free(s->routs[i]);
	free(s->routs);
	free(s->by_rule);
	memset(s, 0, sizeof(*s));
}

/* Compiles the outputs of r's enabled k8s_audit rules. On failure (printed,
 * -1) the set is still usable: a rule whose output failed counts its
 * matches without alerting; out of memory leaves no rule alerting. */
static int rules_set_build(struct rules_set *s, const struct sk_rules *r, const struct sk_config *k)
{
	int rc = 0;
	s->r = r;
	s->n = sk_rules_count(r);
	s->routs = calloc(s->n + 1, sizeof(*s->routs));
	s->by_rule = calloc(s->n + 1, sizeof(*s->by_rule));
	if (!s->routs || !s->by_rule) {
		fprintf(stderr, "Error: out of memory\n");
		free(s->routs);
		free(s->by_rule);
		s->routs = NULL;
		s->by_rule = NULL;
		s->n = 0;
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || !ru->filter || ru->source_id != SK_SRC_K8S_AUDIT || ru->id >= s->n)
			continue;
		struct sk_err err;
		sk_err_clear(&err);
		s->routs[ru->id] = sk_rule_output_new(k, SK_SRC_K8S_AUDIT, ru->name, ru->output, ru->tags,
						      ru->ntags, &err);
		if (!s->routs[ru->id]) {
			fprintf(stderr, "Error: Rule '%s': invalid output format: %s\n", ru->name, err.msg);
			rc = -1;
		}
	}
	return rc;
}

/* ---- the engine thread ----------------------------------------------------------- */

static void on_match(const struct sk_rule *rule, void *arg)
{
	struct sk_app_audit *a = arg;
	a->detected++;
	if (rule->priority >= 0 && rule->priority < 8)
		a->by_prio[rule->priority]++;
	if (rule->id >= a->set.n)
		return;
	a->set.by_rule[rule->id]++;
	uint64_t supp = 0;
	if (!a->set.routs[rule->id] ||
	    !sk_app_ratelimit_allow(a->rl, rule->id, a->ctx.audit_ts, &supp))
		return;
	struct sk_alert *al = sk_alert_new(a->set.routs[rule->id], rule->priority, &a->ctx);
	if (al && supp && sk_app_ratelimit_annotate(al, supp) < 0)
		atomic_fetch_add(&a->alert_errors, 1);
	if (sk_outputs_push(a->out, al) < 0)
		atomic_fetch_add(&a->alert_errors, 1);
	else
		atomic_fetch_add(&a->alerts, 1);
}

/* Installs the pending set (swap_mu held): per-rule counts carry over by
 * rule name; the replaced set goes back to the swapper to free. */
static void install_pending(struct sk_app_audit *a)
{
	struct rules_set *nw = a->pending;
	for (size_t i = 0; i < nw->n; i++) {
		const struct sk_rule *ru = sk_rules_get(nw->r, i);
		const struct sk_rule *prev = sk_rules_find(a->set.r, ru->name);
		if (prev && prev->id < a->set.n && ru->id < nw->n)
			nw->by_rule[ru->id] = a->set.by_rule[prev->id];
	}
	struct rules_set old = a->set;
	a->set = *nw;
	*nw = old;
	if (sk_app_ratelimit_resize(a->rl, a->set.n) < 0) {
		sk_app_ratelimit_free(a->rl);
		a->rl = NULL;
	}
	a->pending = NULL;
	atomic_store(&a->swap_flag, false);
	pthread_cond_broadcast(&a->swap_cv);
}

static void *engine_main(void *arg)
{
	struct sk_app_audit *a = arg;
	struct sk_audit_event ev;
	int rc;
	while ((rc = sk_audit_queue_pop(a->q, &ev, 50)) != -EPIPE) {
		if (atomic_load_explicit(&a->swap_flag, memory_order_acquire)) {
			pthread_mutex_lock(&a->swap_mu);
			if (a->pending)
				install_pending(a);
			pthread_mutex_unlock(&a->swap_mu);
		}
		if (rc == 0)
			continue;
		a->num++;
		sk_eval_ctx_set_audit(&a->ctx, ev.doc, a->num, ev.ts ? ev.ts : ev.recv_ns);
		sk_rules_process(a->set.r, SK_SRC_K8S_AUDIT, AUDIT_EVTTYPE, &a->ctx, on_match, a);
		sk_eval_ctx_set_audit(&a->ctx, NULL, a->num, 0);
		sk_audit_event_done(&ev);
		atomic_fetch_add(&a->events, 1);
	}
	pthread_mutex_lock(&a->swap_mu);
	atomic_store(&a->done, true);
	pthread_cond_broadcast(&a->swap_cv);
	pthread_mutex_unlock(&a->swap_mu);
	return NULL;
}

int sk_app_audit_swap(struct sk_app_audit *a, const struct sk_rules *r, const struct sk_config *k)
{
	if (!a || !a->set.r)
		return 0;
	struct rules_set nw = {0};
	/* installed even when it failed: the old rules are about to be freed */
	int rc = rules_set_build(&nw, r, k);
	pthread_mutex_lock(&a->swap_mu);
	a->pending = &nw;
	atomic_store_explicit(&a->swap_flag, true, memory_order_release);
	/* the engine thread installs it between two events (it polls every
	 * 50 ms when idle); once it has ended, install it here */
	while (a->pending && !atomic_load(&a->done))
		pthread_cond_wait(&a->swap_cv, &a->swap_mu);
	if (a->pending)
		install_pending(a);
	pthread_mutex_unlock(&a->swap_mu);
	rules_set_done(&nw); /* the replaced set */
	return rc;
}

/* saker_k8s_audit_* series on /metrics (server thread: atomics and the
 * queue's own locked snapshot). */
static void audit_metrics(void *ctx, struct sk_app_prom *p)
{
	struct sk_app_audit *a = ctx;
	struct sk_audit_queue_stats qs;
	sk_audit_queue_stats(a->q, &qs);
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} s[] = {
		{"saker_k8s_audit_events_total", "counter", "audit events evaluated",
		 atomic_load(&a->events)},
		{"saker_k8s_audit_alerts_total", "counter", "alerts of k8s_audit rules",
		 atomic_load(&a->alerts)},
		{"saker_k8s_audit_alert_errors_total", "counter", "alerts that could not be queued",
		 atomic_load(&a->alert_errors)},
		{"saker_k8s_audit_queue_pushed_total", "counter", "events queued for the engine",
		 qs.pushed},
		{"saker_k8s_audit_queue_dropped_total", "counter", "events dropped: queue full",
		 qs.dropped_full},
		{"saker_k8s_audit_queue_depth", "gauge", "events waiting for the engine", qs.depth},
		{"saker_k8s_audit_queue_capacity", "gauge", "events the queue holds at most", qs.cap},
		{"saker_k8s_audit_file_bad_lines_total", "counter",
		 "replayed lines that were not audit events", atomic_load(&a->bad_lines)},
	};
	for (size_t i = 0; i < SK_ARRAY_LEN(s); i++) {
		sk_app_prom_family(p, s[i].name, s[i].type, s[i].help);
		sk_app_prom_u64(p, s[i].name, NULL, s[i].v);
	}
}

int sk_app_audit_start(struct sk_app_audit *a, const struct sk_rules *r, struct sk_outputs *out)
{
	a->out = out;
	if (rules_set_build(&a->set, r, a->c->conf) < 0)
		return -1;
	a->rl = sk_app_ratelimit_new(a->c->conf, a->set.n);
	a->q = sk_audit_queue_new(a->cfg.queue_cap);
	if (!a->q) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	sk_eval_ctx_init(&a->ctx, NULL);
	a->ctx_on = true;
	a->metrics_on = sk_app_metrics_register(audit_metrics, a) == 0;
	if (pthread_create(&a->engine, NULL, engine_main, a) != 0) {
		fprintf(stderr, "Error: cannot start the k8s_audit engine thread\n");
		return -1;
	}
	a->engine_on = true;
	if (a->cfg.kind == SK_AUDIT_FILE) {
		sk_app_log(a->c, SK_LOG_INFO, "Opening 'k8s_audit' source with file %s\n", a->cfg.file);
		/* checked here: a file that cannot be read is a start-up error (the
		 * reader opens it: opening a FIFO waits for its writer) */
		if (access(a->cfg.file, R_OK) < 0) {
			fprintf(stderr, "Error: could not open k8s audit file %s: %s\n", a->cfg.file,
				strerror(errno));
			sk_audit_queue_close(a->q);
			return -1;
		}
		if (pthread_create(&a->reader, NULL, reader_main, a) != 0) {
			fprintf(stderr, "Error: cannot start the k8s audit file reader\n");
			sk_audit_queue_close(a->q);
			return -1;
		}
		a->reader_on = true;
		return 0;
	}
	return 0; /* the webhook starts with sk_app_audit_serve */
}

int sk_app_audit_serve(struct sk_app_audit *a)
{
	if (!a || a->cfg.kind != SK_AUDIT_HTTP)
		return 0;
	if (sk_app_audit_web_start(a->c, &a->cfg, a->q) < 0) {
		sk_audit_queue_close(a->q);
		return -1;
	}
	a->web_on = true;
	return 0;
}

bool sk_app_audit_done(const struct sk_app_audit *a)
{
	return !a || atomic_load(&a->done);
}

void sk_app_audit_stop(struct sk_app_audit *a)
{
	if (!a)
		return;
	if (a->web_on)
		sk_app_audit_web_stop(); /* no more pushes from the webhook */
	a->web_on = false;
	if (a->q)
		sk_audit_queue_close(a->q);
	if (a->reader_on)
		pthread_join(a->reader, NULL);
	if (a->engine_on)
		pthread_join(a->engine, NULL);
	a->reader_on = a->engine_on = false;
	if (a->metrics_on)
		sk_app_metrics_unregister(audit_metrics, a);
	a->metrics_on = false;
}

void sk_app_audit_summary(const struct sk_app_audit *a, const struct sk_rules *r,
			  uint64_t *detected, uint64_t by_prio[8], uint64_t *by_rule, size_t nrules)
{
	if (!a || !a->set.by_rule)
		return;
	*detected += a->detected;
	for (int p = 0; p < 8; p++)
		by_prio[p] += a->by_prio[p];
	/* by rule name: `r` may be a reloaded set with other ids */
	for (size_t i = 0; i < a->set.n; i++) {
		const struct sk_rule *mine = sk_rules_get(a->set.r, i);
		if (mine->id >= a->set.n || !a->set.by_rule[mine->id])
			continue;
		const struct sk_rule *ru = sk_rules_find(r, mine->name);
		if (ru && ru->id < nrules)
			by_rule[ru->id] += a->set.by_rule[mine->id];
	}
}

void sk_app_audit_free(struct sk_app_audit *a)
{
	if (!a)
		return;
	sk_app_audit_stop(a);
	sk_audit_queue_free(a->q);
	rules_set_done(&a->set);
	sk_app_ratelimit_free(a->rl);
	pthread_mutex_destroy(&a->swap_mu);
	pthread_cond_destroy(&a->swap_cv);
	if (a->ctx_on)
		sk_eval_ctx_done(&a->ctx);
	sk_audit_cfg_done(&a->cfg);
	free(a);
}
