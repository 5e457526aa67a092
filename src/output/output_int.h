/* output_int.h — private to output/: JSON writing helpers, the compiled
 * format's innards shared by format.c and alert.c, the channel interface. */
#ifndef SK_OUTPUT_INT_H
#define SK_OUTPUT_INT_H

#include "output/output.h"

/* JSON string (quoted), UTF-8 sanitised like nlohmann's "replace" handler:
 * invalid bytes become U+FFFD; control characters escaped. */
int oj_str(struct sk_buf *out, const char *p, size_t len);
static inline int oj_cstr(struct sk_buf *out, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return oj_str(out, s, n);
}
/* Shortest round-trip double, as nlohmann prints it ("1.0", "0.1"). */
int oj_double(struct sk_buf *out, double d);

/* Writes the JSON value of output_fields key `i` of a format for the current
 * event (typed per config.md §3.2). */
int fmt_key_json(const struct sk_output_format *f, size_t i, struct sk_eval_ctx *c,
		 struct sk_buf *out);
/* True for the time fields whose JSON value is the integer ns timestamp. */
bool fmt_is_time_field(const char *name);
uint64_t fmt_event_time(const struct sk_eval_ctx *c);

/* Time renderings. */
int fmt_time_local(struct sk_buf *out, uint64_t ns);   /* HH:MM:SS.nnnnnnnnn */
int fmt_time_iso(struct sk_buf *out, uint64_t ns);     /* YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000 */
int fmt_time_json(struct sk_buf *out, uint64_t ns);    /* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ */

/* ---- channels -------------------------------------------------------------- */
struct channel {
	int kind;                            /* enum sk_channel_kind */
	const struct channel_ops *ops;
	struct sk_channel_stats st;
	void *priv;
};

struct channel_ops {
	/* Returns 0 or a negative errno with err filled. */
	int (*open)(struct channel *ch, const struct sk_config *cfg, bool buffered, int stdout_fd,
		    struct sk_err *err);
	/* `line` has no trailing newline; `a` is the alert (priority, ...).
	 * Returns >= 0 when delivered, -EAGAIN when the target is unreachable
	 * and the alert should be retried later (http), another -errno when it
	 * failed for good. */
	int (*emit)(struct channel *ch, const struct sk_alert *a, const char *line, size_t len);
	void (*flush)(struct channel *ch);
	void (*reopen)(struct channel *ch);
	void (*close)(struct channel *ch);
	/* Optional (NULL): at start-up, whether the target can be reached;
	 * -errno with `why` filled when not. Never fatal. */
	int (*check)(struct channel *ch, char *why, size_t len);
};

extern const struct channel_ops sk_ch_stdout_ops, sk_ch_file_ops, sk_ch_syslog_ops,
	sk_ch_program_ops, sk_ch_http_ops;

void ch_error(struct channel *ch, const char *fmt, ...) SK_PRINTF(2, 3);

/* ---- the http channel's file spool (spool.c) ------------------------------ */
struct spool;
/* Opens (creating) the spool file; records already in it are kept (cut at
 * the first partial one). NULL with err filled on failure. */
struct spool *spool_open(const char *path, uint64_t max_bytes, struct sk_err *err);
void spool_close(struct spool *s); /* NULL-safe */
/* Appends a record: 0, -ENOSPC over max_bytes, or -errno. */
int spool_append(struct spool *s, const char *line, size_t len) SK_WUR;
/* The oldest record into `out`: 1, 0 when empty, or -errno. */
int spool_peek(struct spool *s, struct sk_buf *out) SK_WUR;
/* Drops the record last peeked. */
int spool_pop(struct spool *s);
uint64_t spool_count(const struct spool *s);
uint64_t spool_bytes(const struct spool *s);

#endif
