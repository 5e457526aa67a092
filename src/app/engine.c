/* engine.c — the engine loop: source → state update → ruleset → alert →
 * outputs, and Falco's end-of-run summary ("Events detected", counts by
 * priority and by rule). The replay source (engine.kind=replay) reads a
 * capture file; the live source (live.c) hands its events to the same
 * per-event step. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/containers.h"
#include "app/live.h"
#include "app/run_int.h"
#include "config/config.h"
#include "event/scap.h"
#include "fields/fields.h"
#include "output/output.h"
#include "rules/rules.h"
#include "state/state.h"

/* Per-rule and per-priority counters for the end-of-run summary. */
struct sk_app_stats {
	uint64_t events, detected;
	uint64_t by_prio[8];
	uint64_t *by_rule; /* indexed by sk_rule.id */
};

/* Everything one engine thread holds. Built once before the first event;
 * the per-event step (engine_event) allocates nothing itself. */
struct engine {
	const struct sk_app_cfg *c;
	const struct sk_rules *r;
	struct sk_state *st;
	struct sk_eval_ctx ctx;
	struct sk_outputs *out;
	struct sk_rule_output **routs; /* by sk_rule.id; NULL for rules never evaluated */
	size_t nrouts;
	struct sk_app_stats stats;
	uint64_t alert_errors;         /* sk_outputs_alert failures (queue full, OOM) */
	uint32_t capture_ms;           /* capture asked for by the current event's matches */
	struct sk_app_ctr ctr;         /* container metadata (live) */
};

static volatile sig_atomic_t engine_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	engine_stop = 1;
}

/* Falco's short priority names, upper-cased, as its summary prints them. */
static const char *const summary_prio[8] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
					    "WARNING",   "NOTICE", "INFO",     "DEBUG"};

/* Prints the summary exactly as Falco does at the end of a replay. */
static void print_summary(const struct sk_rules *r, const struct sk_app_stats *s)
{
	printf("Events detected: %llu\n", (unsigned long long)s->detected);
	printf("Rule counts by severity:\n");
	for (int p = 0; p < 8; p++)
		if (s->by_prio[p])
			printf("   %s: %llu\n", summary_prio[p], (unsigned long long)s->by_prio[p]);
	printf("Triggered rules by rule name:\n");
	for (size_t i = 0; i < sk_rules_count(r); i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (s->by_rule && ru->id < sk_rules_count(r) && s->by_rule[ru->id])
			printf("   %s: %llu\n", ru->name, (unsigned long long)s->by_rule[ru->id]);
	}
	fflush(stdout);
}

static void on_match(const struct sk_rule *rule, void *arg)
{
	struct engine *e = arg;
	e->stats.detected++;
	const struct sk_config *k = e->c->conf;
	if (k->capture.enabled && (rule->capture || k->capture.all_rules)) {
		uint32_t ms = rule->capture_duration
				      ? rule->capture_duration
				      : (uint32_t)(k->capture.default_duration_ms > 0
							   ? k->capture.default_duration_ms
							   : 5000);
		if (ms > e->capture_ms)
			e->capture_ms = ms;
	}
	if (rule->priority >= 0 && rule->priority < 8)
		e->stats.by_prio[rule->priority]++;
	if (rule->id < e->nrouts) {
		e->stats.by_rule[rule->id]++;
		if (e->routs[rule->id] &&
		    sk_outputs_alert(e->out, e->routs[rule->id], rule->priority, &e->ctx) < 0)
			e->alert_errors++;
	}
}

/* One event through state and rules. State-only events (EVF dump flag) and
 * events state keeps to itself (enter events) never reach the rules. */
static void engine_event(struct engine *e, const struct sk_event *ev)
{
	e->stats.events++;
	if (ev->dump_flags & SK_DF_STATE_ONLY) {
		(void)sk_state_update(e->st, ev);
		sk_state_post(e->st, ev);
		return;
	}
	if (sk_state_update(e->st, ev)) {
		sk_eval_ctx_set_event(&e->ctx, ev);
		sk_rules_process(e->r, SK_SRC_SYSCALL, ev->type, &e->ctx, on_match, e);
	}
	sk_state_post(e->st, ev);
}

static int live_event(void *ctx, const struct sk_event *ev)
{
	struct engine *e = ctx;
	e->capture_ms = 0;
	engine_event(e, ev);
	return engine_stop ? 1 : 0;
}

static int live_internal(void *ctx, uint64_t ts, const char *rule, const char *msg,
			 const char *const *keys, const char *const *values, size_t n)
{
	struct engine *e = ctx;
	return sk_outputs_internal(e->out, rule, 7 /* Debug */, ts, msg, keys, values, n);
}

/* The end-of-run container metadata figures (stderr, like the drop stats). */
static void log_container_stats(struct engine *e)
{
	if (!e->ctr.enabled)
		return;
	struct sk_ctr_stats cs;
	struct sk_state_stats ss;
	sk_app_ctr_stats(&e->ctr, &cs);
	sk_state_stats(e->st, &ss);
	fprintf(stderr,
		"Container metadata: lookups=%llu failures=%llu avg_lookup_us=%llu max_lookup_us=%llu "
		"runtime_events=%llu records=%llu records_dropped=%llu socket_errors=%llu "
		"known=%llu state_containers=%llu state_records=%llu state_removed=%llu\n",
		(unsigned long long)cs.lookups, (unsigned long long)cs.lookup_failures,
		(unsigned long long)(cs.lookups ? cs.lookup_ns_total / cs.lookups / 1000 : 0),
		(unsigned long long)(cs.lookup_ns_max / 1000), (unsigned long long)cs.events_seen,
		(unsigned long long)cs.records, (unsigned long long)cs.records_dropped,
		(unsigned long long)cs.socket_errors, (unsigned long long)cs.known,
		(unsigned long long)ss.containers, (unsigned long long)ss.containers_meta,
		(unsigned long long)ss.containers_removed);
}

static int live_async(void *ctx, uint64_t ts, struct sk_event *ev)
{
	return sk_app_ctr_next_event(&((struct engine *)ctx)->ctr, ts, ev);
}

static uint32_t live_capture_ms(void *ctx)
{
	return ((struct engine *)ctx)->capture_ms;
}

static void engine_done(struct engine *e)
{
	sk_app_ctr_done(&e->ctr);
	sk_outputs_free(e->out);
	for (size_t i = 0; i < e->nrouts; i++)
		sk_rule_output_free(e->routs[i]);
	free(e->routs);
	free(e->stats.by_rule);
	sk_eval_ctx_done(&e->ctx);
	sk_state_free(e->st);
}

/* Builds state, the per-rule outputs (each rule's own output: the output
 * module adds append_output and the suggested fields) and the output
 * channels. Prints the error and returns -1 on failure. */
static int engine_init(struct engine *e, const struct sk_app_cfg *c, const struct sk_rules *r)
{
	memset(e, 0, sizeof(*e));
	e->c = c;
	e->r = r;
	struct sk_state_config sc = {0};
	if (c->conf->thread_table_size > 0)
		sc.max_threads = (size_t)c->conf->thread_table_size;
	e->st = sk_state_new(&sc);
	if (sk_app_ctr_setup(&e->ctr, c) < 0)
		return -1;
	sk_eval_ctx_init(&e->ctx, e->st);
	e->nrouts = sk_rules_count(r);
	e->routs = calloc(e->nrouts + 1, sizeof(*e->routs));
	e->stats.by_rule = calloc(e->nrouts + 1, sizeof(*e->stats.by_rule));
	if (!e->st || !e->routs || !e->stats.by_rule) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < e->nrouts; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || !ru->filter || ru->source_id != SK_SRC_SYSCALL || ru->id >= e->nrouts)
			continue;
		struct sk_err err;
		sk_err_clear(&err);
		e->routs[ru->id] = sk_rule_output_new(c->conf, SK_SRC_SYSCALL, ru->name, ru->output,
						       ru->tags, ru->ntags, &err);
		if (!e->routs[ru->id]) {
			fprintf(stderr, "Error: Rule '%s': invalid output format: %s\n", ru->name, err.msg);
			return -1;
		}
	}
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_outputs_opts oo = {.unbuffered = c->unbuffered};
	e->out = sk_outputs_new(c->conf, &oo, &err);
	if (!e->out) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		fprintf(stderr, "Error: %s\n", m);
		return -1;
	}
	return 0;
}

/* Replays a capture file. Returns the exit status. */
static int run_replay(struct engine *e, const char *path)
{
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(e->st, &ops);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_scap_reader *rd = sk_scap_open(path, &ops, &err);
	if (!rd) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		fprintf(stderr, "Error: Could not open capture file %s: %s\n", path, m);
		return 1;
	}
	sk_state_seed_done(e->st);
	sk_app_log(e->c, SK_LOG_INFO, "Opening 'syscall' source with scap file %s\n", path);
	/* Falco runs its drop manager over captures too (simulate_drops) */
	struct sk_app_live_opts lo;
	sk_app_live_opts_from_config(&lo, e->c);
	struct sk_app_drop_mgr dm;
	sk_app_drop_mgr_init(&dm, &lo.drops, e->c, live_internal, e, NULL);
	struct sk_event ev;
	int n = 0;
	bool drop_exit = false;
	while (!engine_stop && (n = sk_scap_next(rd, &ev, &err)) > 0) {
		if (sk_app_drop_mgr_check(&dm, NULL, ev.ts)) {
			drop_exit = true;
			break;
		}
		engine_event(e, &ev);
	}
	int ret = 0;
	if (!engine_stop && !drop_exit && n < 0) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		fprintf(stderr, "Error: %s\n", m);
		ret = 1;
	}
	sk_app_drop_mgr_print(&dm);
	if (drop_exit) {
		fprintf(stderr, "Error: Drop manager internal error\n");
		ret = 1;
	}
	sk_scap_close(rd);
	return ret;
}

int sk_app_engine(struct sk_app_cfg *c, struct sk_rules *r)
{
	const struct sk_config *k = c->conf;
	if (c->dry_run) {
		sk_app_log(c, SK_LOG_INFO, "Skipping event processing in dry-run\n");
		return 0;
	}
	if (c->print_ignored) {
		sk_app_live_print_ignored();
		return 0;
	}
	/* --enable-source/--disable-source: saker's only event source is syscall. */
	bool syscall_on = c->enable_sources.n == 0;
	for (size_t i = 0; i < c->enable_sources.n; i++)
		syscall_on |= !strcmp(c->enable_sources.v[i], "syscall");
	for (size_t i = 0; i < c->disable_sources.n; i++)
		syscall_on &= strcmp(c->disable_sources.v[i], "syscall") != 0;
	if (!syscall_on || k->engine_kind == SK_ENGINE_NODRIVER) {
		const char *want = c->enable_sources.n ? c->enable_sources.v[0] : "(none)";
		fprintf(stderr, "Error: no event source to open: event source '%s' is not available in this "
				"build (only 'syscall' is)\n", want);
		return 1;
	}
	if (k->engine_kind != SK_ENGINE_REPLAY && k->engine_kind != SK_ENGINE_MODERN_EBPF &&
	    k->engine_kind != SK_ENGINE_KMOD && k->engine_kind != SK_ENGINE_EBPF) {
		fprintf(stderr, "Error: engine.kind %s is not supported by saker\n",
			sk_config_get_str(k, "engine.kind") ? sk_config_get_str(k, "engine.kind") : "?");
		return 1;
	}
	if (k->engine_kind == SK_ENGINE_REPLAY &&
	    (!k->replay_capture_file || !*k->replay_capture_file)) {
		fprintf(stderr, "Error: engine.replay.capture_file must be set with engine.kind=replay\n");
		return 1;
	}
	struct engine e;
	int ret = 1;
	if (engine_init(&e, c, r) < 0)
		goto out;
	engine_stop = 0;
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (k->engine_kind == SK_ENGINE_REPLAY) {
		ret = run_replay(&e, k->replay_capture_file);
	} else {
		struct sk_scap_meta_ops ops;
		sk_state_meta_ops(e.st, &ops);
		struct sk_app_live_opts lo;
		sk_app_live_opts_from_config(&lo, c);
		lo.on_internal = live_internal;
		lo.capture_ms = live_capture_ms;
		lo.next_async = live_async;
		if (sk_app_ctr_start(&e.ctr, e.st) == 0) {
			ret = sk_app_live_run(&lo, r, &ops, live_event, &e);
			log_container_stats(&e);
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sk_outputs_flush(e.out);
	if (e.alert_errors)
		sk_app_log(c, SK_LOG_ERROR, "%llu alerts could not be queued\n",
			   (unsigned long long)e.alert_errors);
	if (ret == 0)
		print_summary(r, &e.stats);
out:
	engine_done(&e);
	return ret;
}

int sk_app_list(struct sk_app_cfg *c)
{
	if (c->list_fields)
		return sk_app_list_fields_ex(c->list_source, c->names_only);
	return sk_app_list_events(c->markdown, c->names_only);
}

int sk_app_support(struct sk_app_cfg *c)
{
	(void)c;
	const char *const *names, *const *vers;
	size_t n = sk_rules_builtin_plugins(&names, &vers);
	printf("{\"version\":\"0.1.0\",\"engine_info\":{\"engine_version\":\"%s\"},\"plugins\":[", SK_ENGINE_VERSION);
	for (size_t i = 0; i < n; i++)
		printf("%s{\"name\":\"%s\",\"version\":\"%s\"}", i ? "," : "", names[i], vers[i]);
	printf("]}\n");
	return 0;
}
