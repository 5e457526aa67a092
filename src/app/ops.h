/* ops.h — private to src/app: operating saker. The metrics snapshot and the
 * Prometheus text (metrics.c), the web server glue — /healthz, /versions,
 * /metrics — (web.c), hot reload and the periodic metrics alert (reload.c).
 *
 * Threads: the engine thread publishes counters into the snapshot about once
 * a second (one mutex per publication, never per event) and beats a
 * heartbeat (a relaxed atomic store); server threads and the ops thread only
 * read the snapshot. */
#ifndef SK_APP_OPS_H
#define SK_APP_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SK_APP_VERSION "0.1.0"
#define SK_APP_FALCO_VERSION "0.44.1"

struct sk_app_cfg;
struct sk_rules;
struct sk_outputs;
struct sk_driver;
struct sk_driver_stats;
struct sk_state;
struct sk_config;

/* ---- extra metrics (hook for other modules wired by app/) -------------------
 * A callback appends its series to the /metrics page with the writers
 * below. It runs on a server thread, concurrently with the engine: it must
 * read only atomics or snapshots of its own (e.g. the container module's
 * struct sk_ctr_stats). Up to SK_APP_METRICS_MAX_EXTRA callbacks. */
struct sk_app_prom;
typedef void (*sk_app_metrics_fn)(void *ctx, struct sk_app_prom *p);
#define SK_APP_METRICS_MAX_EXTRA 16
/* Returns 0 or -ENOSPC. Register before the server starts; unregister with
 * the same pair before ctx goes away. */
int sk_app_metrics_register(sk_app_metrics_fn fn, void *ctx);
void sk_app_metrics_unregister(sk_app_metrics_fn fn, void *ctx);
/* `# HELP`/`# TYPE` lines; `type` is "counter" or "gauge". Once per name. */
void sk_app_prom_family(struct sk_app_prom *p, const char *name, const char *type,
			const char *help);
/* One sample; `labels` is NULL or `k="v",k2="v2"` (values escaped with
 * sk_app_prom_escape). */
void sk_app_prom_u64(struct sk_app_prom *p, const char *name, const char *labels, uint64_t v);
void sk_app_prom_f64(struct sk_app_prom *p, const char *name, const char *labels, double v);
/* Appends `s` escaped for a label value (\\, \", \n). */
int sk_app_prom_escape(struct sk_buf *b, const char *s) SK_WUR;

/* ---- the snapshot (metrics.c) ----------------------------------------------- */
/* Starts the metrics state for this run: engine name ("modern_bpf",
 * "savefile", "nodriver"), the outputs to read queue figures from. */
void sk_app_metrics_start(const struct sk_app_cfg *c, const char *engine_name,
			  struct sk_outputs *out);
void sk_app_metrics_stop(void);
/* The /metrics labels of a rules set (per rule; sha256 of the rules and
 * config files): built off the engine thread (file I/O), installed by it. */
struct sk_app_metrics_rules;
struct sk_app_metrics_rules *sk_app_metrics_rules_new(const struct sk_app_cfg *c,
						       const struct sk_rules *r);
void sk_app_metrics_rules_free(struct sk_app_metrics_rules *m); /* NULL-safe */
/* Engine thread: installs `m` (owned from now on; NULL allowed) and returns
 * the previous set for the caller to free. `reload` stamps the reload time. */
struct sk_app_metrics_rules *sk_app_metrics_set_rules(struct sk_app_metrics_rules *m,
						      bool reload);
/* Sampled per-rule evaluation time: one event in SK_APP_PROF_EVERY has each
 * condition it evaluates timed (engine thread only). */
#define SK_APP_PROF_EVERY 64
struct sk_app_rule_prof {
	uint64_t *ns, *evals;        /* by rule id; NULL when profiling is off */
	size_t n;
	uint32_t tick;
};
/* On when metrics and rules counters are enabled. 0 or -ENOMEM. */
int sk_app_prof_init(struct sk_app_rule_prof *p, const struct sk_app_cfg *c, size_t nrules) SK_WUR;
/* After a reload: figures carry over by rule name. */
void sk_app_prof_swap(struct sk_app_rule_prof *p, const struct sk_rules *old_r,
		      const struct sk_rules *new_r);
void sk_app_prof_done(struct sk_app_rule_prof *p);
/* True when this event is one of the sampled ones. */
static inline bool sk_app_prof_sample(struct sk_app_rule_prof *p)
{
	return p->ns && (++p->tick % SK_APP_PROF_EVERY) == 0;
}

/* Engine thread: publishes its counters. `d` may be NULL (no live driver);
 * `by_rule` is indexed by rule id; `prof` may be NULL. Cheap to call per
 * event: it publishes at most every 500 ms of wall time. `force` checks
 * now. */
void sk_app_metrics_tick(struct sk_driver *d, const struct sk_state *st, uint64_t events,
			 const uint64_t *by_rule, size_t nrules, const struct sk_app_rule_prof *prof,
			 bool force);
/* Reload outcomes (any thread). */
void sk_app_metrics_reload(bool ok, double latency_s);
/* Per-rule rate limit suppressions (engine thread). */
void sk_app_metrics_suppressed(uint64_t n);
/* Capture writer (capture.*, engine thread): files started, files that
 * failed, and whether one is open now (at most one at a time). */
void sk_app_metrics_capture(uint64_t files, uint64_t errors, bool open);

/* Heartbeat: the engine thread calls this between events and while idle. */
void sk_app_beat(void);
/* A source ended with an error: /healthz answers 503 from now on. */
void sk_app_source_died(void);
/* 200 when healthy; 503 (with the reason in `why`) when the engine did not
 * beat for `stall_ms` or a source died. */
int sk_app_health(uint64_t stall_ms, char *why, size_t whylen);

/* The /metrics page (Prometheus text format 0.0.4). */
int sk_app_metrics_text(struct sk_buf *out) SK_WUR;
/* The "Falco internal: metrics snapshot" output_fields as JSON object text
 * and as string key/value pairs (for the internal alert). */
int sk_app_metrics_json(struct sk_buf *out) SK_WUR;

/* ---- web server (web.c) --------------------------------------------------------- */
/* Starts the server when webserver.enabled (logs and returns -1 on failure,
 * 0 otherwise). */
int sk_app_web_start(const struct sk_app_cfg *c);
void sk_app_web_stop(void);
/* The running web server (NULL when none): the k8s audit webhook joins it
 * when it asks for the same port (audit_web.c). */
struct sk_server *sk_app_web_server(void);
/* The /versions JSON object. */
int sk_app_versions_json(struct sk_buf *out) SK_WUR;

/* ---- hot reload (reload.c) ------------------------------------------------------- */
/* A compiled configuration + rules set, built beside the running one. */
struct sk_app_gen {
	struct sk_app_cfg *cfg;             /* owns the reloaded sk_config */
	struct sk_rules *r;
	struct sk_rule_output **routs;      /* by rule id; moved to the engine on swap */
	size_t nrouts;
	struct sk_app_metrics_rules *mrules; /* its /metrics labels (moved on swap) */
	uint64_t requested_ns;              /* CLOCK_MONOTONIC when the reload was asked */
	uint64_t seq;                       /* reload number */
};
void sk_app_gen_free(struct sk_app_gen *g); /* NULL-safe */

/* Starts the ops thread: SIGHUP, inotify on the config and rules files
 * (watch_config_files) with debounce, the metrics interval (output_rule,
 * output_file). `argv` is kept to re-read the command line on reload.
 * Returns 0 or -1 (logged). */
int sk_app_ops_start(const struct sk_app_cfg *c, int argc, char **argv, struct sk_outputs *out);
void sk_app_ops_stop(void);
/* Engine thread, between two events: the newly compiled set, or NULL. The
 * caller owns it. One relaxed atomic load when nothing is pending. */
struct sk_app_gen *sk_app_reload_take(void);
/* Engine thread: hands a replaced set to the ops thread to free (freeing
 * compiled rules is not work for the engine thread); freed here when the
 * ops thread is not running or still busy with the previous one. */
void sk_app_reload_retire(struct sk_app_gen *g);
/* Monotonic nanoseconds. */
uint64_t sk_app_now_ns(void);

/* ---- per-rule rate limit (ratelimit.c) ------------------------------------------------ */
struct sk_app_ratelimit;
struct sk_alert;
/* NULL when rules_rate_limit.rate is absent or 0 (off, the default). */
struct sk_app_ratelimit *sk_app_ratelimit_new(const struct sk_config *k, size_t nrules);
void sk_app_ratelimit_free(struct sk_app_ratelimit *r); /* NULL-safe */
/* After a reload: every rule's bucket starts full again. NULL-safe. */
int sk_app_ratelimit_resize(struct sk_app_ratelimit *r, size_t nrules) SK_WUR;
/* Whether rule `rule` may alert at event time `ts`; *suppressed receives
 * the alerts it suppressed since its last one. NULL r allows all. */
bool sk_app_ratelimit_allow(struct sk_app_ratelimit *r, size_t rule, uint64_t ts,
			    uint64_t *suppressed);
/* Adds the suppressed count to the alert's message and output fields. */
int sk_app_ratelimit_annotate(struct sk_alert *a, uint64_t suppressed) SK_WUR;

/* Test hook (SAKER_TEST_HOOKS=1): SIGUSR2 toggles a stall of the engine
 * thread, for /healthz tests. Called by the engine between events. */
void sk_app_test_stall_point(void);

#endif
