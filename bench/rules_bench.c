/* rules_bench.c — where the engine's time goes on a capture: rules load
 * time, then three passes over the capture (read only; read + state; read +
 * state + ruleset) so the ruleset's cost per event is the difference of the
 * last two. Outputs are not involved (alerts are rare; see bench/rules_bench.sh
 * for whole-binary figures).
 *
 * Usage: rules_bench CAPTURE RULES.yaml... [-n N] [-r]
 *   -n N: best of N passes (default 3); -r: only the full pass (for perf);
 *   -R: also print the 15 rules costing the most cycles (one extra pass). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "filter/filter.h"

#include "event/scap.h"
#include "fields/fields.h"
#include "rules/rules.h"
#include "state/state.h"
#include "util/util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_match(const struct sk_rule *rule, void *arg)
{
	(void)rule;
	(*(uint64_t *)arg)++;
}

enum mode { READ_ONLY, STATE, RULES };

struct rule_cost {
	const struct sk_rule *rule;
	uint64_t cycles, evals;
};

static int by_cycles(const void *a, const void *b)
{
	const struct rule_cost *x = a, *y = b;
	return (x->cycles < y->cycles) - (x->cycles > y->cycles);
}

static bool rule_has_type(const struct sk_rule *ru, uint16_t type)
{
	if (ru->all_evttypes)
		return true;
	for (size_t i = 0; i < ru->nevttypes; i++)
		if (ru->evttypes[i] == type)
			return true;
	return false;
}

/* Every enabled rule of the event's type evaluated on its own, timed with
 * the TSC; prints the costliest. */
static int per_rule(const char *cap, const struct sk_rules *r)
{
	size_t nr = sk_rules_count(r);
	struct rule_cost *rc = calloc(nr + 1, sizeof(*rc));
	struct sk_state *st = sk_state_new(NULL);
	struct sk_eval_ctx ctx;
	sk_eval_ctx_init(&ctx, st);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_err err;
	struct sk_scap_reader *rd = sk_scap_open(cap, &ops, &err);
	int ret = 1;
	if (!rc || !rd)
		goto out;
	sk_state_seed_done(st);
	for (size_t i = 0; i < nr; i++)
		rc[i].rule = sk_rules_get(r, i);
	struct sk_event ev;
	while (sk_scap_next(rd, &ev, &err) > 0) {
		if (sk_state_update(st, &ev) && !(ev.dump_flags & SK_DF_STATE_ONLY)) {
			sk_eval_ctx_set_event(&ctx, &ev);
			for (size_t i = 0; i < nr; i++) {
				const struct sk_rule *ru = rc[i].rule;
				if (!ru->enabled || !ru->filter || ru->source_id != 0 ||
				    !rule_has_type(ru, ev.type))
					continue;
				uint64_t t0 = __rdtsc();
				(void)sk_filter_eval(ru->filter, &ctx);
				rc[i].cycles += __rdtsc() - t0;
				rc[i].evals++;
			}
		}
		sk_state_post(st, &ev);
	}
	qsort(rc, nr, sizeof(*rc), by_cycles);
	printf("costliest rules (cycles total, evaluations, cycles/eval):\n");
	for (size_t i = 0; i < nr && i < 15; i++)
		if (rc[i].evals)
			printf("  %12llu %9llu %6.0f  %s\n", (unsigned long long)rc[i].cycles,
			       (unsigned long long)rc[i].evals, (double)rc[i].cycles / (double)rc[i].evals,
			       rc[i].rule->name);
	ret = 0;
out:
	sk_scap_close(rd);
	sk_eval_ctx_done(&ctx);
	sk_state_free(st);
	free(rc);
	return ret;
}

/* One pass; returns seconds or -1. */
static double pass(const char *cap, const struct sk_rules *r, enum mode m, uint64_t *events,
		   uint64_t *matches)
{
	struct sk_state *st = sk_state_new(NULL);
	struct sk_eval_ctx ctx;
	sk_eval_ctx_init(&ctx, st);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_err err;
	sk_err_clear(&err);
	double t0 = now_s();
	struct sk_scap_reader *rd = sk_scap_open(cap, m == READ_ONLY ? NULL : &ops, &err);
	if (!rd) {
		fprintf(stderr, "rules_bench: %s: %s\n", cap, err.msg);
		sk_eval_ctx_done(&ctx);
		sk_state_free(st);
		return -1;
	}
	sk_state_seed_done(st);
	struct sk_event ev;
	uint64_t n = 0, hits = 0;
	int rc;
	while ((rc = sk_scap_next(rd, &ev, &err)) > 0) {
		n++;
		if (m == READ_ONLY)
			continue;
		bool shown = sk_state_update(st, &ev) && !(ev.dump_flags & SK_DF_STATE_ONLY);
		if (shown && m == RULES) {
			sk_eval_ctx_set_event(&ctx, &ev);
			sk_rules_process(r, SK_SRC_SYSCALL, ev.type, &ctx, on_match, &hits);
		}
		sk_state_post(st, &ev);
	}
	double t = now_s() - t0;
	sk_scap_close(rd);
	sk_eval_ctx_done(&ctx);
	sk_state_free(st);
	*events = n;
	*matches = hits;
	return rc < 0 ? -1 : t;
}

int main(int argc, char **argv)
{
	int npass = 3;
	bool only_rules = false, costs = false;
	const char *cap = NULL;
	const char *files[16];
	size_t nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			int64_t v;
			if (sk_parse_i64(argv[++i], &v) < 0 || v < 1 || v > 100)
				return 2;
			npass = (int)v;
		} else if (!strcmp(argv[i], "-R")) {
			costs = true;
		} else if (!strcmp(argv[i], "-r")) {
			only_rules = true;
		} else if (!cap) {
			cap = argv[i];
		} else if (nfiles < 16) {
			files[nfiles++] = argv[i];
		}
	}
	if (!cap || !nfiles) {
		fprintf(stderr, "usage: rules_bench CAPTURE RULES.yaml... [-n N]\n");
		return 2;
	}
	double t0 = now_s();
	struct sk_rules *r = sk_rules_new(NULL);
	for (size_t i = 0; r && i < nfiles; i++) {
		char *text = NULL;
		size_t len = 0;
		if (sk_read_file(files[i], 64u << 20, &text, &len) < 0) {
			fprintf(stderr, "rules_bench: cannot read %s\n", files[i]);
			sk_rules_free(r);
			return 1;
		}
		const struct sk_load_result *res = sk_rules_load(r, files[i], text, len);
		free(text);
		if (!res || !sk_load_result_ok(res)) {
			fprintf(stderr, "rules_bench: %s does not load\n", files[i]);
			sk_rules_free(r);
			return 1;
		}
	}
	if (!r || sk_rules_finalize(r, SK_RULE_PRI_DEBUG, false) < 0)
		return 1;
	double tload = now_s() - t0;
	printf("load: files=%zu rules=%zu active=%zu ms=%.1f\n", nfiles, sk_rules_count(r),
	       sk_rules_active(r, SK_SRC_SYSCALL), tload * 1e3);
	static const char *const names[] = {"read", "read+state", "read+state+rules"};
	double best[3] = {0, 0, 0};
	uint64_t events = 0, matches = 0;
	for (int m = only_rules ? RULES : READ_ONLY; m <= RULES; m++) {
		for (int k = 0; k < npass; k++) {
			double t = pass(cap, r, (enum mode)m, &events, &matches);
			if (t < 0) {
				sk_rules_free(r);
				return 1;
			}
			if (k == 0 || t < best[m])
				best[m] = t;
		}
		printf("%-17s events=%llu best_s=%.3f events_per_s=%.0f%s", names[m],
		       (unsigned long long)events, best[m], (double)events / best[m],
		       m == RULES ? "" : "\n");
		if (m == RULES)
			printf(" matches=%llu\n", (unsigned long long)matches);
	}
	if (!only_rules)
		printf("ruleset: ns_per_event=%.1f\n", (best[RULES] - best[STATE]) * 1e9 / (double)events);
	int ret = costs ? per_rule(cap, r) : 0;
	sk_rules_free(r);
	return ret;
}
