/* live.h — private to src/app: the live eBPF source (live.c). */
#ifndef SK_APP_LIVE_H
#define SK_APP_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "driver/driver.h"

struct sk_rules;
struct sk_app_cfg;

/* Falco's syscall_event_drops settings. */
struct sk_app_live_drops {
	bool log, alert, exit;       /* actions (none set: ignore) */
	double threshold;            /* drops / attempts over one second */
	double rate, max_burst;      /* token bucket limiting the actions */
	bool simulate;               /* one extra drop per check, threshold 0 */
};

/* Receives Falco's internal alerts (priority Debug) for the engine's outputs:
 * `keys`/`values` become string output_fields. Returns 0 or a negative errno. */
typedef int (*sk_app_live_internal_fn)(void *ctx, uint64_t ts, const char *rule,
				       const char *msg, const char *const *keys,
				       const char *const *values, size_t n);

/* Falco's syscall event drop manager (drops.c), used by the live source and
 * by replay. `d` is the live driver, NULL for a capture file (no counters:
 * only simulate_drops yields drops there, and ebpf_enabled is 0). */
struct sk_app_drop_mgr {
	const struct sk_app_live_drops *o;
	const struct sk_app_cfg *cfg;  /* for log lines (may be NULL) */
	sk_app_live_internal_fn fn;    /* alert action (may be NULL) */
	void *ctx;
	bool ebpf;
	uint64_t next_check;           /* event time of the next check (0: not started) */
	struct sk_driver_stats last;   /* counters at the last check */
	double tokens;                 /* token bucket */
	uint64_t bucket_ts;
	uint64_t detected, actions;    /* Falco's end-of-run "drop monitoring" numbers */
};
void sk_app_drop_mgr_init(struct sk_app_drop_mgr *m, const struct sk_app_live_drops *o,
			  const struct sk_app_cfg *cfg, sk_app_live_internal_fn fn, void *ctx,
			  struct sk_driver *d);
/* Called per event with its time; cheap except once per second of event
 * time. Returns 1 when the exit action asks to stop, 0 otherwise. */
int sk_app_drop_mgr_check(struct sk_app_drop_mgr *m, struct sk_driver *d, uint64_t ts);
/* Falco's "Syscall event drop monitoring:" lines on stderr. */
void sk_app_drop_mgr_print(const struct sk_app_drop_mgr *m);

/* After each event: the capture duration (ms) the rules that matched it
 * asked for (Falco's `capture`), 0 for none. */
typedef uint32_t (*sk_app_live_capture_fn)(void *ctx);

struct sk_app_live_opts {
	const char *write_path;              /* -w FILE.scap, NULL = do not record */
	long duration_s;                     /* -M, 0 = until SIGINT/SIGTERM */
	const struct sk_base_syscalls *base; /* falco.yaml base_syscalls, NULL = defaults */
	struct sk_base_syscalls base_store;  /* what sk_app_live_opts_from_config points base at */
	size_t ring_bytes;                   /* 0 = 8 MiB per ring */
	unsigned cpus_per_ring;              /* 0 = 1 */
	uint32_t snaplen;                    /* 0 = 80 */
	bool verbose;                        /* verifier log on load failure */
	bool kernel_filters;                 /* rule-derived kernel filters (kfilter.h); off
	                                      * when recording (-w) or capturing (capture.*) */
	const struct sk_app_cfg *cfg;        /* for log lines (may be NULL: none) */
	struct sk_app_live_drops drops;      /* syscall_event_drops */
	const char *capture_prefix;          /* capture.path_prefix; NULL = captures off */
	uint64_t capture_max_bytes;          /* capture.max_file_size_mb (0 = no bound) */
	sk_app_live_capture_fn capture_ms;   /* NULL = captures off; gets sk_app_live_run's ctx */
	/* Hands the in-memory threads and fds to ops (sk_state_dump) for a
	 * capture's process and fd lists; NULL = a fresh /proc scan gives them
	 * (exited processes then appear by thread id only). Gets the ctx. */
	int (*dump_state)(void *ctx, const struct sk_scap_meta_ops *ops);
	sk_app_live_internal_fn on_internal; /* drop alerts (NULL: alert action does nothing);
	                                      * gets the ctx given to sk_app_live_run */
	/* Meta events made in user space (container records), injected into
	 * the stream between driver events: fills `ev` (stamped with the wall
	 * clock) and returns 1, or 0 when none waits. Called before every driver
	 * read, so it must be cheap when nothing waits. NULL = none. Gets
	 * sk_app_live_run's ctx. */
	int (*next_async)(void *ctx, struct sk_event *ev);
	/* Called before each read (idle: the last read timed out) with the
	 * driver; returns the rules of a reload just swapped in (the probe's
	 * syscall set is then recomputed and reselected, without detaching), or
	 * NULL. May be NULL. Gets the ctx given to sk_app_live_run. */
	const struct sk_rules *(*between)(void *ctx, struct sk_driver *d, bool idle);
	/* True when the program asks the capture to end (SIGINT/SIGTERM: the
	 * program owns the signal handlers, so that a signal that came while
	 * the probe was loading or /proc was scanned is not lost). Checked at
	 * every turn of the loop, events or not. NULL: the capture ends only
	 * by -M, an error or on_event. Gets the ctx. */
	bool (*stop)(void *ctx);
	/* A probe already loaded (sk_app_live_open), which sk_app_live_run
	 * takes over and frees; NULL = sk_app_live_run loads it. */
	struct sk_driver *driver;
};

/* Loads the probe per `o` (prints the error and returns NULL on failure):
 * lets the program drop privileges between loading and running. */
struct sk_driver *sk_app_live_open(const struct sk_app_live_opts *o);

/* Fills `o` from the command line (-w, -M, -v) and falco.yaml
 * (engine.modern_ebpf.buf_size_preset / cpus_for_each_buffer, base_syscalls,
 * falco_libs.snaplen). `o` borrows strings from `c`. */
void sk_app_live_opts_from_config(struct sk_app_live_opts *o, const struct sk_app_cfg *c);

/* Called for every live event (a view valid during the call); non-zero stops. */
typedef int (*sk_app_live_event_fn)(void *ctx, const struct sk_event *ev);

/* Runs the live source: probe + syscall selection from `r`'s enabled rules
 * (may be NULL) + state set, /proc scan into `state` (may be NULL), events to
 * `on_event` (may be NULL) and to the -w capture. Prints errors and the drop
 * summary to stderr. Returns the exit status. */
int sk_app_live_run(const struct sk_app_live_opts *o, const struct sk_rules *r,
		    const struct sk_scap_meta_ops *state, sk_app_live_event_fn on_event, void *ctx);

/* `saker -i`: prints the supported syscall events not sent by default. */
void sk_app_live_print_ignored(void);

#endif
