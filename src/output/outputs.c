/* outputs.c — the alert queue, the output thread and one thread per channel.
 * Engine threads push rendered alerts into a bounded ring (dropping and
 * counting when full). The output thread formats each alert once and hands
 * it to every enabled channel's own bounded queue (each with its drop
 * counter), so a slow or stuck channel never holds the others up. The http
 * channel's queue is its spool: while the receiver is unreachable the head
 * alert is retried with exponential back-off and later alerts wait behind it,
 * so they arrive once and in order; with http_output.spool_file the waiting
 * alerts move to a file (the oldest first), which also keeps them across a
 * restart. A watchdog on the output thread reports
 * a channel blocked for longer than output_timeout. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef SK_HAVE_CURL
#include <curl/curl.h>
#endif

#include "output_int.h"

#define SK_OUTPUTS_DEFAULT_QUEUE 65536
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define WATCHDOG_MS 1000

static const char *const ch_names[SK_CH_COUNT] = { "stdout", "file", "syslog", "program", "http" };

const char *sk_channel_name(int kind)
{
	return kind >= 0 && kind < SK_CH_COUNT ? ch_names[kind] : "";
}

/* A formatted alert shared by the channel queues; freed by the last one. */
struct item {
	struct sk_alert *a;
	char *line;
	size_t len;
	int refs;                    /* under sk_outputs.mu */
};

/* One channel's queue and thread. Members are under sk_outputs.mu unless
 * noted. */
struct chq {
	pthread_t th;
	bool started, stop;
	pthread_cond_t wake;
	struct item **ring;
	size_t cap, head, count;
	uint64_t flush_req, flush_done;
	bool reopen;
	uint64_t emit_start_ms;      /* 0: not inside emit */
	bool timeout_reported;
	uint64_t dropped, timeouts;
	struct spool *file;          /* http with spool_file: the oldest alerts (channel
	                              * thread only, except open/close) */
	uint64_t file_count, file_bytes; /* its figures, mirrored under mu */
};

struct sk_outputs {
	struct channel ch[SK_CH_COUNT];  /* ch[k].st: written by channel k's thread only */
	struct chq q[SK_CH_COUNT];
	bool enabled[SK_CH_COUNT];
	struct sk_alert_style style;
	char hostname[256];
	int64_t timeout_ms;
	sk_outputs_notify_fn notify;
	void *notify_ctx;

	pthread_mutex_t mu;
	pthread_cond_t wake, done;
	pthread_t thread;
	bool started, stop;
	struct sk_alert **ring;
	size_t cap, head, count;
	bool busy;                   /* the output thread holds a popped alert */
	bool wait_full;              /* opts.wait_when_full (replay) */
	struct sk_outputs_stats st;  /* snapshot under mu */
};

struct chctx {
	struct sk_outputs *o;
	int k;
};

static const struct channel_ops *const ops_of[SK_CH_COUNT] = {
	&sk_ch_stdout_ops, &sk_ch_file_ops, &sk_ch_syslog_ops, &sk_ch_program_ops, &sk_ch_http_ops,
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timespec deadline(uint64_t ms)
{
	return sk_deadline(CLOCK_MONOTONIC, ms);
}

static void cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/* Channel k's own figures into the snapshot (mu held, on channel k's
 * thread, the only writer of ch[k].st); queue figures are added by
 * sk_outputs_stats. */
static void snapshot_ch(struct sk_outputs *o, int k)
{
	o->st.ch[k] = o->ch[k].st;
}

static void item_release(struct item *it)
{
	if (--it->refs > 0)
		return;
	sk_alert_free(it->a);
	free(it->line);
	free(it);
}

/* Calls the notify hook without the lock. */
static void notify(struct sk_outputs *o, int k, bool failing, const char *msg)
{
	if (!o->notify)
		return;
	char m[sizeof(o->ch[k].st.last_error)];
	sk_strlcpy(m, msg ? msg : "", sizeof(m));
	pthread_mutex_unlock(&o->mu);
	o->notify(o->notify_ctx, k, failing, m);
	pthread_mutex_lock(&o->mu);
}

/* ---- the channel threads ------------------------------------------------------ */

/* Failure-streak bookkeeping after an emit (mu held). */
static void streak(struct sk_outputs *o, int k, bool failed)
{
	struct channel *ch = &o->ch[k];
	if (failed && !ch->st.failing) {
		ch->st.failing = true;
		ch->st.streaks++;
		notify(o, k, true, ch->st.last_error);
	} else if (!failed && ch->st.failing) {
		ch->st.failing = false;
		notify(o, k, false, "");
	}
}

static void pop_head(struct chq *q);

/* Moves the memory queue's alerts, oldest first, to the end of the spool
 * file (which holds only older ones), until it is empty or the file full.
 * mu held; released around the writes. */
static void spill(struct sk_outputs *o, struct chq *q)
{
	while (q->file && q->count) {
		struct item *it = q->ring[q->head]; /* only this thread pops: stays valid */
		pthread_mutex_unlock(&o->mu);
		int rc = spool_append(q->file, it->line, it->len);
		pthread_mutex_lock(&o->mu);
		if (rc < 0)
			break;
		pop_head(q);
		q->file_count = spool_count(q->file);
		q->file_bytes = spool_bytes(q->file);
	}
}

/* Waits `ms` or until stop; a flush asked meanwhile completes at once (the
 * spool is kept); alerts arriving meanwhile go to the spool file if any.
 * mu held. */
static void backoff_wait(struct sk_outputs *o, struct chq *q, uint64_t ms)
{
	struct timespec dl = deadline(ms);
	while (!q->stop) {
		spill(o, q);
		if (q->flush_req != q->flush_done) {
			q->flush_done = q->flush_req;
			pthread_cond_broadcast(&o->done);
		}
		if (pthread_cond_timedwait(&q->wake, &o->mu, &dl) == ETIMEDOUT)
			break;
	}
}

static void pop_head(struct chq *q)
{
	item_release(q->ring[q->head]);
	q->head = (q->head + 1) % q->cap;
	q->count--;
}

/* After an emit that failed with -EAGAIN (target unreachable): report the
 * streak, move waiting alerts to the spool file, back off. When stopping,
 * gives up instead (the caller drops what is left in memory). mu held. */
static void unreachable(struct sk_outputs *o, int k, uint64_t *backoff, bool *give_up)
{
	struct chq *q = &o->q[k];
	streak(o, k, true);
	spill(o, q);
	if (q->stop) {
		*give_up = true;
		return;
	}
	*backoff = *backoff ? (*backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *backoff * 2)
			    : BACKOFF_MIN_MS;
	snapshot_ch(o, k);
	backoff_wait(o, q, *backoff);
}

/* Sends `line` (mu held on entry and exit, released during the send). */
static int send_line(struct sk_outputs *o, int k, const struct sk_alert *a, const char *line,
		     size_t len, bool retry)
{
	struct chq *q = &o->q[k];
	struct channel *ch = &o->ch[k];
	uint64_t errs = ch->st.errors;
	q->emit_start_ms = now_ms();
	pthread_mutex_unlock(&o->mu);
	int rc = ch->ops->emit(ch, a, line, len);
	pthread_mutex_lock(&o->mu);
	q->emit_start_ms = 0;
	q->timeout_reported = false;
	if (retry && ch->st.errors > errs) {
		ch->st.errors = errs; /* an alert's failure counts once */
		ch->st.retries++;
	}
	return rc;
}

/* Emits the oldest alert of the spool file (mu held on entry and exit). */
static void emit_file(struct sk_outputs *o, int k, struct sk_buf *rec, uint64_t *backoff,
		      bool *give_up)
{
	struct chq *q = &o->q[k];
	struct channel *ch = &o->ch[k];
	if (*give_up)
		return; /* stopping with the target down: the file keeps them */
	pthread_mutex_unlock(&o->mu);
	int rc = spool_peek(q->file, rec);
	pthread_mutex_lock(&o->mu);
	if (rc <= 0) { /* unreadable spool: forget it, count what it held */
		ch_error(ch, "spool file unreadable: %s", strerror(rc ? -rc : EIO));
		q->dropped += q->file_count;
		spool_close(q->file);
		q->file = NULL;
		q->file_count = q->file_bytes = 0;
		return;
	}
	rc = send_line(o, k, NULL, rec->data, rec->len, *backoff > 0);
	if (rc == -EAGAIN) {
		unreachable(o, k, backoff, give_up);
		return;
	}
	*backoff = 0;
	if (rc >= 0)
		ch->st.sent++;
	streak(o, k, rc < 0);
	(void)spool_pop(q->file);
	q->file_count = spool_count(q->file);
	q->file_bytes = spool_bytes(q->file);
}

/* Emits the head item of the memory queue (mu held on entry and exit). */
static void emit_head(struct sk_outputs *o, int k, uint64_t *backoff, bool *give_up)
{
	struct chq *q = &o->q[k];
	struct channel *ch = &o->ch[k];
	struct item *it = q->ring[q->head];
	if (*give_up) { /* stopping with the receiver down: the rest is dropped */
		q->dropped++;
		pop_head(q);
		return;
	}
	int rc = send_line(o, k, it->a, it->line, it->len, *backoff > 0);
	if (rc == -EAGAIN) {
		unreachable(o, k, backoff, give_up);
		return;
	}
	*backoff = 0;
	if (rc >= 0)
		ch->st.sent++;
	streak(o, k, rc < 0);
	pop_head(q);
}

static void *channel_thread(void *arg)
{
	struct chctx *cx = arg;
	struct sk_outputs *o = cx->o;
	int k = cx->k;
	free(cx);
	struct chq *q = &o->q[k];
	struct channel *ch = &o->ch[k];
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	uint64_t backoff = 0;
	bool give_up = false;
	struct sk_buf rec;
	sk_buf_init(&rec, 0);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		bool filed = q->file_count && !give_up;
		while (!q->count && !filed && !q->stop && !q->reopen &&
		       q->flush_req == q->flush_done)
			pthread_cond_wait(&q->wake, &o->mu);
		if (q->reopen) {
			q->reopen = false;
			pthread_mutex_unlock(&o->mu);
			ch->ops->reopen(ch);
			pthread_mutex_lock(&o->mu);
		} else if (filed) {
			emit_file(o, k, &rec, &backoff, &give_up);
		} else if (q->count) {
			emit_head(o, k, &backoff, &give_up);
		} else if (q->flush_req != q->flush_done) {
			uint64_t req = q->flush_req;
			pthread_mutex_unlock(&o->mu);
			ch->ops->flush(ch);
			pthread_mutex_lock(&o->mu);
			q->flush_done = req;
		} else if (q->stop) {
			break;
		}
		snapshot_ch(o, k);
		pthread_cond_broadcast(&o->done);
	}
	pthread_mutex_unlock(&o->mu);
	sk_buf_done(&rec);
	ch->ops->close(ch);
	pthread_mutex_lock(&o->mu);
	snapshot_ch(o, k);
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* ---- the output thread ------------------------------------------------------------ */

/* With wait_when_full: waits (mu held) while channel k's queue is full and
 * its thread keeps emptying it; gives up once it made no progress for
 * output_timeout (at least 1 s), e.g. a receiver that is down. */
static void wait_channel_room(struct sk_outputs *o, struct chq *q)
{
	uint64_t limit = o->timeout_ms > 1000 ? (uint64_t)o->timeout_ms : 1000;
	uint64_t last = now_ms();
	size_t seen = q->head;
	while (q->count == q->cap && !q->stop && !o->stop) {
		struct timespec dl = deadline(100);
		pthread_cond_timedwait(&o->done, &o->mu, &dl);
		if (q->head != seen) {
			seen = q->head;
			last = now_ms();
		} else if (now_ms() - last >= limit) {
			break;
		}
	}
}

/* Hands a formatted alert to every enabled channel's queue (mu held). */
static void fan_out(struct sk_outputs *o, struct item *it)
{
	it->refs = 1;
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct chq *q = &o->q[k];
		if (!o->enabled[k])
			continue;
		if (q->count == q->cap && o->wait_full)
			wait_channel_room(o, q);
		if (q->count == q->cap) {
			q->dropped++;
			continue;
		}
		it->refs++;
		q->ring[(q->head + q->count) % q->cap] = it;
		q->count++;
		pthread_cond_signal(&q->wake);
	}
	item_release(it);
}

/* Reports channels blocked inside one emit for longer than output_timeout
 * (mu held). */
static void watchdog(struct sk_outputs *o)
{
	if (o->timeout_ms <= 0)
		return;
	uint64_t now = now_ms();
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct chq *q = &o->q[k];
		if (!o->enabled[k] || !q->emit_start_ms || q->timeout_reported ||
		    now - q->emit_start_ms <= (uint64_t)o->timeout_ms)
			continue;
		q->timeout_reported = true;
		q->timeouts++;
		char m[128];
		snprintf(m, sizeof(m), "output timeout: blocked for more than %lld ms (other channels "
			 "keep going)", (long long)o->timeout_ms);
		notify(o, k, true, m);
	}
}

static struct item *format_item(struct sk_outputs *o, struct sk_alert *a, struct sk_buf *line)
{
	sk_buf_reset(line);
	struct item *it = calloc(1, sizeof(*it));
	if (!it || sk_alert_format(a, &o->style, line) < 0 ||
	    !(it->line = malloc(line->len + 1))) {
		free(it);
		sk_alert_free(a);
		return NULL;
	}
	memcpy(it->line, line->data ? line->data : "", line->len);
	it->line[line->len] = 0;
	it->len = line->len;
	it->a = a;
	return it;
}

static void *output_thread(void *arg)
{
	struct sk_outputs *o = arg;
	struct sk_buf line;
	sk_buf_init(&line, 64 << 20);
	uint64_t wd_ms = o->timeout_ms > 0 && (uint64_t)o->timeout_ms / 2 < WATCHDOG_MS
				 ? (uint64_t)o->timeout_ms / 2 + 1 : WATCHDOG_MS;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		if (!o->count && !o->stop) {
			struct timespec dl = deadline(wd_ms);
			pthread_cond_timedwait(&o->wake, &o->mu, &dl);
		}
		watchdog(o);
		if (o->count) {
			struct sk_alert *a = o->ring[o->head];
			o->head = (o->head + 1) % o->cap;
			o->count--;
			o->busy = true;
			pthread_mutex_unlock(&o->mu);
			struct item *it = format_item(o, a, &line);
			pthread_mutex_lock(&o->mu);
			if (it)
				fan_out(o, it);
			o->busy = false;
			o->st.delivered++;
			pthread_cond_broadcast(&o->done);
		} else if (o->stop) {
			break;
		}
	}
	pthread_mutex_unlock(&o->mu);
	sk_buf_done(&line);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

#ifdef SK_HAVE_CURL
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
#endif

static size_t queue_cap(const struct sk_config *cfg, const struct sk_outputs_opts *opts)
{
	return opts->queue_capacity ? opts->queue_capacity
	       : cfg->outputs_queue_capacity > 0 ? (size_t)cfg->outputs_queue_capacity
						 : SK_OUTPUTS_DEFAULT_QUEUE;
}

/* Opens channel k, allocates its queue and says at start-up when its
 * target cannot be reached (not fatal). */
static int open_channel(struct sk_outputs *o, int k, const struct sk_config *cfg, bool buffered,
			const struct sk_outputs_opts *opts, struct sk_err *err)
{
	struct chq *q = &o->q[k];
	q->cap = o->cap;
	int64_t spool = 0;
	if (k == SK_CH_HTTP && sk_config_get_int(cfg, "http_output.spool_capacity", &spool) == 0 &&
	    spool > 0)
		q->cap = (size_t)spool;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	if (!q->ring)
		return sk_err_set(err, -ENOMEM, "out of memory");
	cond_init_mono(&q->wake);
	const char *sf = k == SK_CH_HTTP ? sk_config_get_str(cfg, "http_output.spool_file") : NULL;
	if (sf && *sf) {
		int64_t mb = 64;
		if (sk_config_get_int(cfg, "http_output.spool_file_max_mb", &mb) < 0 || mb < 0)
			mb = 64;
		if (!(q->file = spool_open(sf, (uint64_t)mb << 20, err)))
			return err->code ? err->code : -EIO;
		q->file_count = spool_count(q->file);
		q->file_bytes = spool_bytes(q->file);
	}
	int rc = ops_of[k]->open(&o->ch[k], cfg, buffered, opts->stdout_fd, err);
	if (rc < 0)
		return rc;
	char why[256];
	if (ops_of[k]->check && ops_of[k]->check(&o->ch[k], why, sizeof(why)) < 0) {
		o->ch[k].st.failing = true;
		o->ch[k].st.streaks++;
		sk_strlcpy(o->ch[k].st.last_error, why, sizeof(o->ch[k].st.last_error));
		if (o->notify)
			o->notify(o->notify_ctx, k, true, why);
	}
	return 0;
}

static int start_channel(struct sk_outputs *o, int k)
{
	struct chctx *cx = malloc(sizeof(*cx));
	if (!cx)
		return -ENOMEM;
	*cx = (struct chctx){o, k};
	if (pthread_create(&o->q[k].th, NULL, channel_thread, cx) != 0) {
		free(cx);
		return -EAGAIN;
	}
	o->q[k].started = true;
	return 0;
}

struct sk_outputs *sk_outputs_new(const struct sk_config *cfg, const struct sk_outputs_opts *opts,
				  struct sk_err *err)
{
	static const struct sk_outputs_opts none;
	struct sk_outputs *o = calloc(1, sizeof(*o));
	if (!opts)
		opts = &none;
	if (!o) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&o->mu, NULL);
	cond_init_mono(&o->wake);
	cond_init_mono(&o->done); /* timed waits use CLOCK_MONOTONIC deadlines */
	o->notify = opts->notify;
	o->notify_ctx = opts->notify_ctx;
	if (opts->hostname)
		sk_strlcpy(o->hostname, opts->hostname, sizeof(o->hostname));
	else
		sk_output_hostname(o->hostname, sizeof(o->hostname));
	sk_alert_style_from_config(&o->style, cfg, o->hostname);
	o->timeout_ms = cfg->output_timeout_ms;
	o->cap = queue_cap(cfg, opts);
	o->wait_full = opts->wait_when_full;
	o->ring = calloc(o->cap, sizeof(*o->ring));
	if (!o->ring) {
		sk_err_set(err, -ENOMEM, "out of memory (output queue of %zu)", o->cap);
		goto fail;
	}
	bool buffered = cfg->buffered_outputs && !opts->unbuffered;
	bool want[SK_CH_COUNT] = {cfg->stdout_output.enabled, cfg->file_output.enabled,
				  cfg->syslog_output.enabled, cfg->program_output.enabled,
				  cfg->http_output.enabled};
#ifdef SK_HAVE_CURL
	if (want[SK_CH_HTTP])
		pthread_once(&curl_once, curl_init_once);
#endif
	for (int k = 0; k < SK_CH_COUNT; k++) {
		o->ch[k].kind = k;
		o->ch[k].ops = ops_of[k];
		if (!want[k])
			continue;
		o->enabled[k] = true;
		int rc = open_channel(o, k, cfg, buffered, opts, err);
		if (rc < 0) {
			if (rc == -ENOMEM)
				sk_err_set(err, rc, "out of memory");
			goto fail;
		}
	}
	for (int k = 0; k < SK_CH_COUNT; k++)
		o->st.ch[k] = o->ch[k].st;
	for (int k = 0; k < SK_CH_COUNT; k++)
		if (o->enabled[k] && start_channel(o, k) < 0) {
			sk_err_set(err, -EAGAIN, "cannot start the %s channel thread", ch_names[k]);
			goto fail;
		}
	if (pthread_create(&o->thread, NULL, output_thread, o) != 0) {
		sk_err_set(err, -EAGAIN, "cannot start the output thread");
		goto fail;
	}
	o->started = true;
	return o;
fail:
	sk_outputs_free(o);
	return NULL;
}

static void stop_channels(struct sk_outputs *o)
{
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct chq *q = &o->q[k];
		if (!q->started) {
			if (o->enabled[k])
				o->ch[k].ops->close(&o->ch[k]);
			continue;
		}
		pthread_mutex_lock(&o->mu);
		q->stop = true;
		q->flush_req++;
		pthread_cond_signal(&q->wake);
		pthread_mutex_unlock(&o->mu);
		pthread_join(q->th, NULL);
		q->started = false;
	}
}

void sk_outputs_free(struct sk_outputs *o)
{
	if (!o)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->stop = true;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	stop_channels(o);
	for (size_t i = 0; i < o->count; i++)
		sk_alert_free(o->ring[(o->head + i) % o->cap]);
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct chq *q = &o->q[k];
		while (q->count)
			pop_head(q);
		if (q->ring)
			pthread_cond_destroy(&q->wake);
		free(q->ring);
		spool_close(q->file);
	}
	free(o->ring);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->wake);
	pthread_cond_destroy(&o->done);
	free(o);
}

int sk_outputs_push(struct sk_outputs *o, struct sk_alert *a)
{
	if (!a)
		return -ENOMEM;
	pthread_mutex_lock(&o->mu);
	while (o->wait_full && o->count == o->cap && !o->stop)
		pthread_cond_wait(&o->done, &o->mu); /* the output thread pops and signals */
	if (o->count == o->cap || o->stop) {
		o->st.dropped++;
		pthread_mutex_unlock(&o->mu);
		sk_alert_free(a);
		return -ENOSPC;
	}
	o->ring[(o->head + o->count) % o->cap] = a;
	o->count++;
	o->st.queued++;
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->mu);
	return 0;
}

int sk_outputs_alert(struct sk_outputs *o, const struct sk_rule_output *r, int priority,
		     struct sk_eval_ctx *c)
{
	return sk_outputs_push(o, sk_alert_new(r, priority, c));
}

int sk_outputs_internal(struct sk_outputs *o, const char *rule, int priority, uint64_t time_ns,
			const char *message, const char *const *keys,
			const char *const *values, size_t n)
{
	return sk_outputs_push(o, sk_alert_new_internal(rule, priority, time_ns, message, keys,
							values, n));
}

/* True when every channel flushed up to its request (mu held). */
static bool flushed(struct sk_outputs *o, const uint64_t req[SK_CH_COUNT])
{
	for (int k = 0; k < SK_CH_COUNT; k++)
		if (o->q[k].started && o->q[k].flush_done < req[k])
			return false;
	return true;
}

void sk_outputs_flush(struct sk_outputs *o)
{
	pthread_mutex_lock(&o->mu);
	while ((o->count || o->busy) && o->started && !o->stop)
		pthread_cond_wait(&o->done, &o->mu);
	uint64_t req[SK_CH_COUNT] = {0};
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct chq *q = &o->q[k];
		if (!q->started)
			continue;
		req[k] = ++q->flush_req;
		pthread_cond_signal(&q->wake);
	}
	while (!flushed(o, req))
		pthread_cond_wait(&o->done, &o->mu);
	pthread_mutex_unlock(&o->mu);
}

void sk_outputs_reopen(struct sk_outputs *o)
{
	pthread_mutex_lock(&o->mu);
	for (int k = 0; k < SK_CH_COUNT; k++)
		if (o->q[k].started) {
			o->q[k].reopen = true;
			pthread_cond_signal(&o->q[k].wake);
		}
	pthread_mutex_unlock(&o->mu);
}

void sk_outputs_stats(struct sk_outputs *o, struct sk_outputs_stats *out)
{
	pthread_mutex_lock(&o->mu);
	*out = o->st;
	for (int k = 0; k < SK_CH_COUNT; k++) {
		struct sk_channel_stats *c = &out->ch[k];
		c->enabled = o->enabled[k];
		c->spooled = o->q[k].count + o->q[k].file_count;
		c->spool_file_bytes = o->q[k].file_bytes;
		c->spool_max = o->q[k].cap;
		c->dropped = o->q[k].dropped;
		c->timeouts += o->q[k].timeouts;
	}
	pthread_mutex_unlock(&o->mu);
}
