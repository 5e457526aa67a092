/* outputs.c — the alert queue and the output thread: engine threads push
 * rendered alerts into a bounded ring (dropping and counting when full); one
 * thread formats each alert once and feeds every enabled channel. */
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

static const char *const ch_names[SK_CH_COUNT] = { "stdout", "file", "syslog", "program", "http" };

const char *sk_channel_name(int kind)
{
	return kind >= 0 && kind < SK_CH_COUNT ? ch_names[kind] : "";
}

struct sk_outputs {
	struct channel ch[SK_CH_COUNT];
	bool enabled[SK_CH_COUNT];
	struct sk_alert_style style;
	char hostname[256];
	int64_t timeout_ms;

	pthread_mutex_t mu;
	pthread_cond_t wake, done;
	pthread_t thread;
	bool started, stop, reopen;
	struct sk_alert **ring;
	size_t cap, head, count;
	bool busy;                   /* the thread holds a popped alert */
	uint64_t flush_req, flush_done;
	struct sk_outputs_stats st;  /* snapshot under mu */
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

static void snapshot(struct sk_outputs *o)
{
	for (int k = 0; k < SK_CH_COUNT; k++) {
		o->st.ch[k] = o->ch[k].st;
		o->st.ch[k].enabled = o->enabled[k];
	}
}

static void deliver(struct sk_outputs *o, const struct sk_alert *a, struct sk_buf *line)
{
	sk_buf_reset(line);
	if (sk_alert_format(a, &o->style, line) < 0)
		return;
	for (int k = 0; k < SK_CH_COUNT; k++) {
		if (!o->enabled[k])
			continue;
		struct channel *ch = &o->ch[k];
		uint64_t t0 = now_ms();
		if (ch->ops->emit(ch, a, line->data, line->len) >= 0)
			ch->st.sent++;
		if (o->timeout_ms > 0 && now_ms() - t0 > (uint64_t)o->timeout_ms && k != SK_CH_HTTP)
			ch->st.timeouts++;
	}
}

static void *output_thread(void *arg)
{
	struct sk_outputs *o = arg;
	struct sk_buf line;
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	sk_buf_init(&line, 64 << 20);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->count && !o->stop && !o->reopen && o->flush_req == o->flush_done)
			pthread_cond_wait(&o->wake, &o->mu);
		if (o->reopen) {
			o->reopen = false;
			pthread_mutex_unlock(&o->mu);
			for (int k = 0; k < SK_CH_COUNT; k++)
				if (o->enabled[k])
					o->ch[k].ops->reopen(&o->ch[k]);
			pthread_mutex_lock(&o->mu);
			continue;
		}
		if (o->count) {
			struct sk_alert *a = o->ring[o->head];
			o->head = (o->head + 1) % o->cap;
			o->count--;
			o->busy = true;
			pthread_mutex_unlock(&o->mu);
			deliver(o, a, &line);
			sk_alert_free(a);
			pthread_mutex_lock(&o->mu);
			o->busy = false;
			o->st.delivered++;
			snapshot(o);
			continue;
		}
		if (o->flush_req != o->flush_done) {
			uint64_t req = o->flush_req;
			pthread_mutex_unlock(&o->mu);
			for (int k = 0; k < SK_CH_COUNT; k++)
				if (o->enabled[k])
					o->ch[k].ops->flush(&o->ch[k]);
			pthread_mutex_lock(&o->mu);
			snapshot(o);
			o->flush_done = req;
			pthread_cond_broadcast(&o->done);
			continue;
		}
		if (o->stop)
			break;
	}
	pthread_mutex_unlock(&o->mu);
	for (int k = 0; k < SK_CH_COUNT; k++)
		if (o->enabled[k])
			o->ch[k].ops->close(&o->ch[k]);
	pthread_mutex_lock(&o->mu);
	snapshot(o);
	pthread_mutex_unlock(&o->mu);
	sk_buf_done(&line);
	return NULL;
}

#ifdef SK_HAVE_CURL
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
#endif

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
	pthread_cond_init(&o->wake, NULL);
	pthread_cond_init(&o->done, NULL);
	if (opts->hostname)
		sk_strlcpy(o->hostname, opts->hostname, sizeof(o->hostname));
	else
		sk_output_hostname(o->hostname, sizeof(o->hostname));
	sk_alert_style_from_config(&o->style, cfg, o->hostname);
	o->timeout_ms = cfg->output_timeout_ms;
	o->cap = opts->queue_capacity ? opts->queue_capacity
		 : cfg->outputs_queue_capacity > 0 ? (size_t)cfg->outputs_queue_capacity
						   : SK_OUTPUTS_DEFAULT_QUEUE;
	o->ring = calloc(o->cap, sizeof(*o->ring));
	if (!o->ring) {
		sk_err_set(err, -ENOMEM, "out of memory (output queue of %zu)", o->cap);
		goto fail;
	}
	bool buffered = cfg->buffered_outputs && !opts->unbuffered;
	o->enabled[SK_CH_STDOUT] = cfg->stdout_output.enabled;
	o->enabled[SK_CH_FILE] = cfg->file_output.enabled;
	o->enabled[SK_CH_SYSLOG] = cfg->syslog_output.enabled;
	o->enabled[SK_CH_PROGRAM] = cfg->program_output.enabled;
	o->enabled[SK_CH_HTTP] = cfg->http_output.enabled;
#ifdef SK_HAVE_CURL
	if (o->enabled[SK_CH_HTTP])
		pthread_once(&curl_once, curl_init_once);
#endif
	for (int k = 0; k < SK_CH_COUNT; k++) {
		o->ch[k].kind = k;
		o->ch[k].ops = ops_of[k];
		if (!o->enabled[k])
			continue;
		int rc = ops_of[k]->open(&o->ch[k], cfg, buffered, opts->stdout_fd, err);
		if (rc < 0) {
			if (rc == -ENOMEM)
				sk_err_set(err, rc, "out of memory");
			o->ch[k].ops->close(&o->ch[k]);
			o->enabled[k] = false;
			goto fail;
		}
	}
	snapshot(o);
	if (pthread_create(&o->thread, NULL, output_thread, o) != 0) {
		sk_err_set(err, -EAGAIN, "cannot start the output thread");
		goto fail;
	}
	o->started = true;
	return o;
fail:
	for (int k = 0; k < SK_CH_COUNT; k++)
		if (o->enabled[k])
			o->ch[k].ops->close(&o->ch[k]);
	memset(o->enabled, 0, sizeof(o->enabled));
	sk_outputs_free(o);
	return NULL;
}

void sk_outputs_free(struct sk_outputs *o)
{
	if (!o)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->stop = true;
		o->flush_req++;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	for (size_t i = 0; i < o->count; i++)
		sk_alert_free(o->ring[(o->head + i) % o->cap]);
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

void sk_outputs_flush(struct sk_outputs *o)
{
	pthread_mutex_lock(&o->mu);
	uint64_t req = ++o->flush_req;
	pthread_cond_signal(&o->wake);
	while (o->flush_done < req && !o->stop)
		pthread_cond_wait(&o->done, &o->mu);
	pthread_mutex_unlock(&o->mu);
}

void sk_outputs_reopen(struct sk_outputs *o)
{
	pthread_mutex_lock(&o->mu);
	o->reopen = true;
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->mu);
}

void sk_outputs_stats(struct sk_outputs *o, struct sk_outputs_stats *out)
{
	pthread_mutex_lock(&o->mu);
	*out = o->st;
	pthread_mutex_unlock(&o->mu);
}
