/* output.h — alerts: compiled output formats (%field tokens), the alert
 * record, Falco's text line and JSON object, and the output channels
 * (stdout, file, syslog, program, http) fed by a bounded queue drained on
 * an output thread.
 *
 * Threading: sk_output_format_* and sk_rule_output_* are compiled at rules
 * load time (single thread). sk_outputs_alert()/sk_outputs_internal() are
 * called from engine threads: they render the alert (the field values are
 * only valid during the current event) into an owned record and push it on
 * the queue without blocking; when the queue is full the alert is dropped
 * and counted. The output thread formats the line once and hands it to each
 * channel. Channels own their errors: a failing channel is counted in the
 * stats, never fatal, never printed by this module. */
#ifndef SK_OUTPUT_H
#define SK_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "fields/fields.h"
#include "util/util.h"

/* ---- compiled format ------------------------------------------------------
 * Literal text plus %tokens: `%field`, `%field[arg]`, `%evt.arg.NAME`,
 * `%NNfield` (pad and truncate to NN characters), `%toupper(field)` (also
 * tolower, basename, b64), `%static.NAME` (static_fields), `%%` = '%'.
 * Missing fields print "<NA>". Compiled once; rendering allocates only in
 * the caller's buffer. */
struct sk_output_format;

/* `statics` may be NULL (then %static.* is an unknown field). Errors name
 * the column (1-based, in err->col) of the bad token. */
struct sk_output_format *sk_output_format_new(enum sk_source src, const char *fmt,
					      const struct sk_config *statics,
					      struct sk_err *err);
void sk_output_format_free(struct sk_output_format *f); /* NULL-safe */
/* Appends the text rendering. 0 or -E2BIG when `out` is full. */
int sk_output_format_text(const struct sk_output_format *f, struct sk_eval_ctx *c,
			  struct sk_buf *out) SK_WUR;
/* Number of distinct output_fields keys and the i-th (sorted, as written:
 * "proc.aname[2]"); transformer tokens contribute their inner field. */
size_t sk_output_format_nkeys(const struct sk_output_format *f);
const char *sk_output_format_key(const struct sk_output_format *f, size_t i);

/* ---- per-rule output --------------------------------------------------------
 * A rule's final format: "<time>: <Priority> " + output + matching
 * append_output extra_output + suggested fields (syscall source), and the
 * extra_fields for JSON. Built once per rule at load. `tags` are the rule's
 * tags (any order, duplicates allowed); they are copied sorted/deduplicated. */
struct sk_rule_output;

struct sk_rule_output *sk_rule_output_new(const struct sk_config *cfg, enum sk_source src,
					  const char *rule, const char *output,
					  const char *const *tags, size_t ntags,
					  struct sk_err *err);
void sk_rule_output_free(struct sk_rule_output *r); /* NULL-safe */
/* The final message format as compiled (for -L output_compiled). */
const char *sk_rule_output_format(const struct sk_rule_output *r);
/* Warnings collected while building (e.g. suggested fields unavailable). */
const char *sk_rule_output_warning(const struct sk_rule_output *r); /* NULL if none */

/* ---- the alert record --------------------------------------------------------
 * Fully owned; produced on the engine thread, consumed by the output thread. */
struct sk_alert {
	char *rule;
	int priority;                /* enum sk_priority */
	char *source;                /* "syscall", "k8s_audit", "internal" */
	char **tags;                 /* sorted, deduplicated; NULL when none */
	size_t ntags;
	bool has_tags;               /* false: no "tags" key at all (internal alerts) */
	uint64_t time_ns;            /* event time, ns since epoch */
	char *message;               /* output without the time/priority prefix */
	char *fields_json;           /* output_fields as a JSON object "{...}" */
};

/* Renders an alert for rule output `r` on the current event of `c`.
 * Returns NULL on allocation failure. */
struct sk_alert *sk_alert_new(const struct sk_rule_output *r, int priority,
			      struct sk_eval_ctx *c);
/* An internal alert (see sk_outputs_internal). */
struct sk_alert *sk_alert_new_internal(const char *rule, int priority, uint64_t time_ns,
				       const char *message, const char *const *keys,
				       const char *const *values, size_t n);
void sk_alert_free(struct sk_alert *a); /* NULL-safe */

/* Formatting switches, normally taken from the config. */
struct sk_alert_style {
	bool json, iso8601;
	bool include_output, include_message, include_output_fields, include_tags;
	const char *hostname;
};
void sk_alert_style_from_config(struct sk_alert_style *s, const struct sk_config *cfg,
				const char *hostname);
/* Appends the alert line (no trailing newline): the text line
 * "HH:MM:SS.nnnnnnnnn: Priority message" or the JSON object. */
int sk_alert_format(const struct sk_alert *a, const struct sk_alert_style *s,
		    struct sk_buf *out) SK_WUR;
/* The local hostname Falco puts in JSON: $FALCO_HOSTNAME or gethostname(). */
void sk_output_hostname(char *out, size_t len);

/* ---- channels and the queue ------------------------------------------------ */
struct sk_outputs;

enum sk_channel_kind {
	SK_CH_STDOUT, SK_CH_FILE, SK_CH_SYSLOG, SK_CH_PROGRAM, SK_CH_HTTP, SK_CH_COUNT
};
const char *sk_channel_name(int kind); /* "stdout", "file", ... */

/* Called on the output thread when a channel starts failing (`failing`,
 * with the reason) or recovers; the program layer logs it. */
typedef void (*sk_outputs_notify_fn)(void *ctx, int kind, bool failing, const char *msg);

struct sk_outputs_opts {
	sk_outputs_notify_fn notify; /* NULL = none */
	void *notify_ctx;
	int stdout_fd;               /* where the stdout channel writes; 0 = fd 1 */
	bool unbuffered;             /* -U: overrides buffered_outputs */
	const char *hostname;        /* NULL = sk_output_hostname() */
	size_t queue_capacity;       /* 0 = outputs_queue.capacity, or 65536 if that is 0 */
	/* Replay: a full queue makes the engine wait instead of dropping the
	 * alert (a file has no deadline; Falco's replay loses none). A channel
	 * queue that stays full while its target fails still drops, after
	 * output_timeout, so a dead receiver cannot stall a replay forever. */
	bool wait_when_full;
};

struct sk_channel_stats {
	bool enabled;
	bool failing;                     /* in a failure streak (target unreachable) */
	uint64_t sent, errors, timeouts;  /* timeouts: emits slower than output_timeout */
	uint64_t dropped;                 /* alerts this channel's queue (spool) had no room
	                                   * for, or given up at exit with the target down */
	uint64_t retries;                 /* http: attempts after the first for an alert */
	uint64_t spooled, spool_max;      /* alerts waiting (memory + spool file), memory bound */
	uint64_t spool_file_bytes;        /* http: bytes in the spool file */
	uint64_t streaks;                 /* failure streaks started */
	char last_error[256];
};

struct sk_outputs_stats {
	uint64_t queued, dropped, delivered;   /* dropped: queue full */
	struct sk_channel_stats ch[SK_CH_COUNT];
};

/* Opens the enabled channels and starts the output thread. Fails only on
 * setup errors (thread creation, a keep_alive file that cannot be opened, a
 * bad http setup). `opts` may be NULL. */
struct sk_outputs *sk_outputs_new(const struct sk_config *cfg, const struct sk_outputs_opts *opts,
				  struct sk_err *err);
/* Flushes the queue and the channels, stops the thread, closes. NULL-safe. */
void sk_outputs_free(struct sk_outputs *o);

/* Renders and enqueues an alert; never blocks on channels. 0, -ENOSPC when
 * the queue is full (counted in `dropped`; with wait_when_full it waits for
 * room instead), -ENOMEM. Thread safe. */
int sk_outputs_alert(struct sk_outputs *o, const struct sk_rule_output *r, int priority,
		     struct sk_eval_ctx *c);
/* Enqueues a prepared alert (takes ownership, also on failure). */
int sk_outputs_push(struct sk_outputs *o, struct sk_alert *a);
/* Internal alert ("Falco internal: syscall event drop" ...): source
 * "internal", no tags; `keys`/`values` become string output_fields and the
 * text "MESSAGE (k1="v1" k2="v2")". */
int sk_outputs_internal(struct sk_outputs *o, const char *rule, int priority, uint64_t time_ns,
			const char *message, const char *const *keys,
			const char *const *values, size_t n);
/* Waits until every queued alert went through the channels, then flushes
 * them (buffered stdout/file). */
void sk_outputs_flush(struct sk_outputs *o);
/* Reopens file/program channels (SIGUSR1); applied by each channel's thread. */
void sk_outputs_reopen(struct sk_outputs *o);
void sk_outputs_stats(struct sk_outputs *o, struct sk_outputs_stats *out);

#endif
