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
#include <time.h>

#include "app/app.h"
#include "app/containers.h"
#include "app/live.h"
#include "app/ops.h"
#include "app/run_int.h"
#include "config/config.h"
#include "driver/driver.h"
#include "event/scap.h"
#include "fields/fields.h"
#include "kfilter/kfilter.h"
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
	struct sk_app_gen *gen;        /* reloaded set in use (NULL: the one given at start) */
	struct sk_app_ratelimit *rl;   /* per-rule rate limit, NULL = off (ratelimit.c) */
	struct sk_app_rule_prof prof;  /* sampled per-rule evaluation time (metrics.c) */
	struct sk_app_audit *audit;    /* the k8s_audit source, NULL when off (audit.c) */
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
		uint64_t supp = 0;
		if (e->routs[rule->id] && sk_app_ratelimit_allow(e->rl, rule->id, e->ctx.ev->ts, &supp)) {
			struct sk_alert *a = sk_alert_new(e->routs[rule->id], rule->priority, &e->ctx);
			if (a && supp && sk_app_ratelimit_annotate(a, supp) < 0)
				e->alert_errors++;
			if (sk_outputs_push(e->out, a) < 0)
				e->alert_errors++;
		}
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
		if (sk_app_prof_sample(&e->prof))
			sk_rules_process_timed(e->r, SK_SRC_SYSCALL, ev->type, &e->ctx, on_match, e,
					       e->prof.ns, e->prof.evals);
		else
			sk_rules_process(e->r, SK_SRC_SYSCALL, ev->type, &e->ctx, on_match, e);
	}
	sk_state_post(e->st, ev);
}

static bool live_stop_requested(void *ctx)
{
	(void)ctx;
	return engine_stop != 0;
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
		"known=%llu state_containers=%llu state_records=%llu state_removed=%llu "
		"state_late_records=%llu\n",
		(unsigned long long)cs.lookups, (unsigned long long)cs.lookup_failures,
		(unsigned long long)(cs.lookups ? cs.lookup_ns_total / cs.lookups / 1000 : 0),
		(unsigned long long)(cs.lookup_ns_max / 1000), (unsigned long long)cs.events_seen,
		(unsigned long long)cs.records, (unsigned long long)cs.records_dropped,
		(unsigned long long)cs.socket_errors, (unsigned long long)cs.known,
		(unsigned long long)ss.containers, (unsigned long long)ss.containers_meta,
		(unsigned long long)ss.containers_removed, (unsigned long long)ss.containers_late);
}

static int live_async(void *ctx, struct sk_event *ev)
{
	return sk_app_ctr_next_event(&((struct engine *)ctx)->ctr, ev);
}

static uint32_t live_capture_ms(void *ctx)
{
	return ((struct engine *)ctx)->capture_ms;
}

static int live_dump_state(void *ctx, const struct sk_scap_meta_ops *ops)
{
	return sk_state_dump(((struct engine *)ctx)->st, ops);
}

/* ---- operations: metrics publication, hot reload swap (ops.h) ---------------- */

/* Installs a reloaded set between two events: per-rule counts carry over by
 * rule name; the replaced set goes to the ops thread to be freed. */
static void engine_swap(struct engine *e, struct sk_app_gen *g)
{
	uint64_t t0 = sk_app_now_ns();
	uint64_t *by = calloc(g->nrouts + 1, sizeof(*by));
	struct sk_app_gen *old = e->gen ? e->gen : calloc(1, sizeof(*old));
	if (!by || !old) {
		free(by);
		if (old != e->gen)
			free(old);
		sk_app_gen_free(g);
		sk_app_metrics_reload(false, 0);
		return;
	}
	for (size_t i = 0; i < g->nrouts; i++) {
		const struct sk_rule *nr = sk_rules_get(g->r, i);
		const struct sk_rule *prev = sk_rules_find(e->r, nr->name);
		if (prev && prev->id < e->nrouts && nr->id < g->nrouts)
			by[nr->id] = e->stats.by_rule[prev->id];
	}
	(void)sk_app_dns_names(g->cfg, g->r, false); /* failures are logged */
	sk_app_prof_swap(&e->prof, e->r, g->r);
	old->routs = e->routs; /* the outputs in use retire with the old set */
	old->nrouts = e->nrouts;
	free(e->stats.by_rule);
	e->routs = g->routs;
	e->nrouts = g->nrouts;
	g->routs = NULL;
	e->stats.by_rule = by;
	e->r = g->r;
	e->gen = g;
	old->mrules = sk_app_metrics_set_rules(g->mrules, true);
	g->mrules = NULL;
	if (sk_app_ratelimit_resize(e->rl, e->nrouts) < 0) {
		sk_app_ratelimit_free(e->rl);
		e->rl = NULL;
	}
	/* the audit engine thread leaves the old set before it is retired */
	if (sk_app_audit_swap(e->audit, g->r, g->cfg->conf) < 0)
		sk_app_log(e->c, SK_LOG_ERROR, "Reload: the k8s_audit source keeps its outputs\n");
	uint64_t t1 = sk_app_now_ns();
	sk_app_reload_retire(old);
	double lat = (double)(t1 - g->requested_ns) / 1e9;
	sk_app_metrics_reload(true, lat);
	sk_app_log(e->c, SK_LOG_INFO, "Reload #%llu: new configuration and rules active (%.1f ms "
		   "after the request, swap %.0f us, %zu rules)\n", (unsigned long long)g->seq,
		   lat * 1e3, (double)(t1 - t0) / 1e3, sk_rules_count(g->r));
}

/* Between two events and while idle: heartbeat, metrics publication,
 * reload swap. Returns the new rules after a swap (the live source then
 * reselects the probe's syscalls), NULL otherwise. */
static const struct sk_rules *engine_between(void *ctx, struct sk_driver *d, bool idle)
{
	struct engine *e = ctx;
	sk_app_test_stall_point();
	sk_app_metrics_tick(d, e->st, e->stats.events, e->stats.by_rule, e->nrouts, &e->prof, idle);
	struct sk_app_gen *g = sk_app_reload_take();
	if (!g)
		return NULL;
	engine_swap(e, g);
	return e->r;
}

/* The output module's channel failures and recoveries, logged. */
static void engine_notify(void *ctx, int kind, bool failing, const char *msg)
{
	const struct sk_app_cfg *c = ctx;
	if (failing)
		sk_app_log(c, SK_LOG_ERROR, "Output channel %s cannot deliver: %s\n",
			   sk_channel_name(kind), msg);
	else
		sk_app_log(c, SK_LOG_NOTICE, "Output channel %s delivers again%s%s\n",
			   sk_channel_name(kind), msg && *msg ? ": " : "", msg ? msg : "");
}

/* engine.kind=nodriver (no syscall events), or waiting for the audit
 * source to end: runs until SIGINT/SIGTERM, -M, or the end of `audit`. */
static int run_idle(struct engine *e, const struct sk_app_audit *audit)
{
	uint64_t t0 = sk_app_now_ns();
	while (!engine_stop && (!audit || !sk_app_audit_done(audit))) {
		if (e->c->run_duration > 0 &&
		    sk_app_now_ns() - t0 >= (uint64_t)e->c->run_duration * 1000000000ull)
			break;
		struct timespec ts = {0, audit ? 20000000 : 100000000};
		nanosleep(&ts, NULL);
		(void)engine_between(e, NULL, true);
	}
	return 0;
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
	sk_app_gen_free(e->gen);
	sk_app_ratelimit_free(e->rl);
	sk_app_prof_done(&e->prof);
	sk_app_dns_names_stop();
}

static bool live_engine(const struct sk_config *k)
{
	return k->engine_kind != SK_ENGINE_REPLAY && k->engine_kind != SK_ENGINE_NODRIVER;
}

static bool thread_alive_in_proc(void *root, int64_t pid, int64_t tid)
{
	return sk_proc_thread_alive(root, pid, tid);
}

struct users_sink {
	struct sk_state *st;
	const char *container_id;
};

static int sink_user(void *ctx, const struct sk_scap_user *u)
{
	struct users_sink *s = ctx;
	return sk_state_add_container_user(s->st, s->container_id, u->uid, u->gid, u->name,
					   u->homedir, u->shell);
}

static int sink_group(void *ctx, const struct sk_scap_group *g)
{
	struct users_sink *s = ctx;
	return sk_state_add_container_group(s->st, s->container_id, g->gid, g->name);
}

/* state's load_users: the users and groups of a container (or the host) as
 * the process sees them; a failure leaves the stand-in user ("<NA>") */
static int load_users(void *root, struct sk_state *st, const char *container_id, int64_t pid)
{
	struct users_sink s = {st, container_id};
	struct sk_scap_meta_ops ops = {.ctx = &s, .user = sink_user, .group = sink_group};
	bool host = strcmp(container_id, "host") == 0;
	return sk_proc_read_users(root, host ? -1 : pid, &ops);
}

/* state's read_thread: the thread, and its process (with the process's fds)
 * when the table lacks that too */
static int read_thread(void *root, struct sk_state *st, int64_t tid)
{
	int64_t pid = sk_proc_tgid(root, tid);
	if (pid <= 0)
		return 1;
	struct sk_scap_meta_ops ops;
	sk_state_live_ops(st, &ops);
	struct sk_proc_scan_opts o = {.threads = true, .fds = true, .root = root};
	return sk_proc_read_thread(&o, tid, sk_state_thread(st, pid) == NULL, &ops);
}

/* state's read_fds: fds a process received in SCM_RIGHTS messages */
static int read_fds(void *root, struct sk_state *st, int64_t pid, const int *fds, size_t n)
{
	struct sk_scap_meta_ops ops;
	sk_state_live_ops(st, &ops);
	struct sk_proc_scan_opts o = {.threads = true, .fds = true, .root = root};
	return sk_proc_read_fds(&o, pid, fds, n, &ops);
}

/* Seconds of configuration as ns; 0 is taken as 1 s (a scan per event
 * would stall the engine). */
static uint64_t seconds_ns(int64_t s)
{
	return (uint64_t)(s > 0 ? s : 1) * 1000000000ULL;
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
	sc.max_fds_per_process = (size_t)c->conf->fd_table_size;
	sc.max_fds = (size_t)c->conf->fd_total_size;
	sc.max_users = (size_t)c->conf->user_table_size;
	sc.max_containers = (size_t)c->conf->container_table_size;
	if (live_engine(c->conf)) {
		/* threads whose exit was lost (ring drops) leave when /proc says so */
		sc.thread_alive = thread_alive_in_proc;
		sc.thread_alive_ctx = (void *)getenv("HOST_ROOT");
		sc.purge_interval_ns = seconds_ns(c->conf->thread_purge_interval_s);
		sc.thread_timeout_ns = seconds_ns(c->conf->thread_purge_timeout_s);
		/* container processes get their user names from the container's /etc */
		sc.load_users = load_users;
		sc.load_users_ctx = sc.thread_alive_ctx;
		/* a thread whose clone was lost is read back from /proc */
		sc.read_thread = read_thread;
		sc.read_thread_ctx = sc.thread_alive_ctx;
		sc.read_fds = read_fds;
		sc.read_fds_ctx = sc.thread_alive_ctx;
	}
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
	if (sk_app_dns_names(c, r, true) < 0)
		return -1;
	e->rl = sk_app_ratelimit_new(c->conf, e->nrouts);
	if (sk_app_prof_init(&e->prof, c, e->nrouts) < 0) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	struct sk_err err;
	sk_err_clear(&err);
	/* a replay has no deadline: a full queue waits rather than drop alerts */
	struct sk_outputs_opts oo = {.unbuffered = c->unbuffered, .notify = engine_notify,
				     .notify_ctx = (void *)c,
				     .wait_when_full = c->conf->engine_kind == SK_ENGINE_REPLAY};
	e->out = sk_outputs_new(c->conf, &oo, &err);
	if (!e->out) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		fprintf(stderr, "Error: %s\n", m);
		return -1;
	}
	return 0;
}

/* The replay emulation's stand-in for the probe's look at a socket (past
 * its handshake): user space knows the fd as a connected TCP socket with
 * its tuple. */
static bool emu_tcp_known(void *ctx, int64_t tid, int64_t fd)
{
	const struct sk_state *st = ctx;
	struct sk_thread *t = sk_state_thread(st, tid);
	const struct sk_fdinfo *f = t ? sk_state_fd(st, t, fd) : NULL;
	return f && (f->type == SK_FD_IPV4_SOCK || f->type == SK_FD_IPV6_SOCK) &&
	       sk_fd_l4proto(f) == SK_L4_TCP && (f->flags & SK_FDF_SOCKET_CONNECTED) &&
	       f->name.len;
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
	/* debug: drop what the live kernel filters would (the same predicates,
	 * evaluated by the same code in user space) */
	struct sk_kf_set *kf = NULL;
	uint64_t kf_dropped = 0;
	if (e->c->conf->replay_emulate_kernel_filters) {
		struct sk_buf sum;
		sk_buf_init(&sum, 0);
		if (sk_kfilter_derive(e->r, &kf, &sum, NULL, &err) != 0) {
			fprintf(stderr, "Error: kernel filter emulation: %s\n", err.msg);
			sk_buf_done(&sum);
			sk_scap_close(rd);
			return 1;
		}
		sk_app_log(e->c, SK_LOG_INFO, "Emulating the kernel filters: %s\n", sk_buf_cstr(&sum));
		sk_buf_done(&sum);
		if (kf) {
			kf->emu_tcp = emu_tcp_known;
			kf->emu_tcp_ctx = e->st;
		}
	}
	struct sk_event ev;
	int n = 0;
	bool drop_exit = false;
	bool head = true; /* still in the capture's initial-state records */
	while (!engine_stop && (n = sk_scap_next(rd, &ev, &err)) > 0) {
		if (kf && !sk_kf_set_keep(kf, &ev)) {
			kf_dropped++;
			continue;
		}
		if (sk_app_drop_mgr_check(&dm, NULL, ev.ts)) {
			drop_exit = true;
			break;
		}
		head = head && sk_state_initial_record(ev.type);
		if (head) /* libscap consumes them while opening: state only */
			ev.dump_flags |= SK_DF_STATE_ONLY;
		engine_event(e, &ev);
		(void)engine_between(e, NULL, false);
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
	if (e->c->conf->replay_emulate_kernel_filters)
		fprintf(stderr, "Kernel filter emulation: %llu events dropped\n",
			(unsigned long long)kf_dropped);
	sk_kf_set_free(kf);
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
	/* --enable-source/--disable-source over syscall and k8s_audit (audit.c) */
	bool syscall_on = true;
	struct sk_app_audit *audit = NULL;
	if (sk_app_audit_setup(&audit, c, &syscall_on) < 0)
		return 1;
	if (syscall_on && k->engine_kind != SK_ENGINE_REPLAY && k->engine_kind != SK_ENGINE_MODERN_EBPF &&
	    k->engine_kind != SK_ENGINE_NODRIVER &&
	    k->engine_kind != SK_ENGINE_KMOD && k->engine_kind != SK_ENGINE_EBPF) {
		fprintf(stderr, "Error: engine.kind %s is not supported by saker\n",
			sk_config_get_str(k, "engine.kind") ? sk_config_get_str(k, "engine.kind") : "?");
		return 1;
	}
	if (syscall_on && k->engine_kind == SK_ENGINE_REPLAY &&
	    (!k->replay_capture_file || !*k->replay_capture_file)) {
		fprintf(stderr, "Error: engine.replay.capture_file must be set with engine.kind=replay\n");
		return 1;
	}
	/* The probe is loaded before any thread starts, so that every thread
	 * runs with only the privileges live operation keeps (privs.c). */
	struct sk_driver *drv = NULL;
	if (syscall_on && k->engine_kind != SK_ENGINE_REPLAY && k->engine_kind != SK_ENGINE_NODRIVER) {
		struct sk_app_live_opts lo0;
		sk_app_live_opts_from_config(&lo0, c);
		struct sk_err perr;
		sk_err_clear(&perr);
		if (!(drv = sk_app_live_open(&lo0)) || sk_app_privs_drop(c, &perr) < 0) {
			if (drv)
				fprintf(stderr, "Error: %s\n", perr.msg);
			sk_driver_free(drv);
			sk_app_audit_free(audit);
			return 1;
		}
	}
	struct engine e;
	int ret = 1;
	if (engine_init(&e, c, r) < 0)
		goto out;
	if (audit && sk_app_audit_start(audit, r, e.out) < 0) {
		sk_app_audit_stop(audit);
		goto out;
	}
	e.audit = audit;
	engine_stop = 0;
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* a closed stdout (EPIPE) is a failing channel, counted and reported,
	 * never the end of saker (output programs get SIGPIPE back) */
	signal(SIGPIPE, SIG_IGN);
	sk_app_metrics_start(c, k->engine_kind == SK_ENGINE_REPLAY     ? "savefile"
				: k->engine_kind == SK_ENGINE_NODRIVER ? "nodriver"
								       : "modern_bpf",
			     e.out);
	sk_app_metrics_rules_free(sk_app_metrics_set_rules(sk_app_metrics_rules_new(c, r), false));
	if (sk_app_web_start(c) < 0 || sk_app_audit_serve(audit) < 0 ||
	    sk_app_ops_start(c, c->argc, c->argv, e.out) < 0) {
		ret = 1;
	} else if (!syscall_on || k->engine_kind == SK_ENGINE_NODRIVER) {
		ret = syscall_on ? run_idle(&e, NULL) : 0;
	} else if (k->engine_kind == SK_ENGINE_REPLAY) {
		ret = run_replay(&e, k->replay_capture_file);
	} else {
		struct sk_scap_meta_ops ops;
		sk_state_meta_ops(e.st, &ops);
		struct sk_app_live_opts lo;
		sk_app_live_opts_from_config(&lo, c);
		lo.on_internal = live_internal;
		lo.capture_ms = live_capture_ms;
		lo.dump_state = live_dump_state;
		lo.between = engine_between;
		lo.stop = live_stop_requested;
		lo.next_async = live_async;
		if (sk_app_ctr_start(&e.ctr, e.st) == 0) {
			lo.driver = drv;
			drv = NULL; /* sk_app_live_run frees it */
			ret = sk_app_live_run(&lo, r, &ops, live_event, &e);
			log_container_stats(&e);
		}
	}
	/* saker ends when every source has: wait for the audit source (a
	 * replayed file ends; the webhook runs until a signal or -M) */
	if (ret == 0 && audit)
		ret = run_idle(&e, audit);
	sk_app_audit_stop(audit);
	sk_app_audit_summary(audit, e.r, &e.stats.detected, e.stats.by_prio, e.stats.by_rule, e.nrouts);
	if (ret != 0)
		sk_app_source_died();
	sk_app_ops_stop();
	sk_app_web_stop();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sk_outputs_flush(e.out);
	if (e.alert_errors)
		sk_app_log(c, SK_LOG_ERROR, "%llu alerts could not be queued\n",
			   (unsigned long long)e.alert_errors);
	if (ret == 0)
		print_summary(e.r, &e.stats);
	sk_app_metrics_stop();
out:
	sk_driver_free(drv);
	sk_app_audit_free(audit);
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
