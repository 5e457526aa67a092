/* webhook.c — the k8s audit webhook: a POST route of the embedded HTTP
 * server (its own listener, or a route on app/'s server for Falco 0.2x's
 * form) that decodes what the API server sends and pushes the events into
 * the queue of the k8s_audit engine thread. Nothing here evaluates rules:
 * the answer goes out as soon as the events are queued. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "server/server.h"

#define BODY_DEFAULT ((size_t)12 << 20)   /* the plugin's webhookMaxBatchSize */
#define TOKEN_MAX ((size_t)16 << 10)
#define TOKEN_FILE_MAX ((size_t)1 << 20)

struct sk_audit_web {
	struct sk_server *own;       /* our listener (plugin form), or NULL */
	struct sk_server *srv;       /* the server the route is on */
	char *path;
	struct sk_audit_queue *q;
	size_t max_event_size, max_batch;
	char *token;                 /* bearer token, or NULL (no check) */
	size_t token_len;
	atomic_uint_fast64_t requests, events, bad_method, bad_type, too_large, bad_json,
		unauthorized, queue_full, busy, event_too_large;
};

static void count(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- authentication ----------------------------------------------------------- */

/* Equal strings, in time that depends only on the lengths. */
static bool same_secret(const char *have, size_t hn, const char *want, size_t wn)
{
	unsigned char d = hn != wn;
	for (size_t i = 0; i < wn; i++)
		d |= (unsigned char)(have[i < hn ? i : 0] ^ want[i]);
	return d == 0;
}

/* The route's check: "Authorization: Bearer <token>". */
static int check_bearer(void *ctx, const struct sk_server_req *r, struct sk_buf *reason)
{
	struct sk_audit_web *w = ctx;
	if (!w->token)
		return 0;
	const char *h = sk_server_req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7))
		return sk_buf_puts(reason, "a bearer token is required") ? 500 : 401;
	h += 7;
	while (*h == ' ')
		h++;
	if (!same_secret(h, strlen(h), w->token, w->token_len))
		return sk_buf_puts(reason, "the bearer token is not valid") ? 500 : 403;
	return 0;
}

/* ---- requests --------------------------------------------------------------------- */

/* A rejection the server made (or check_bearer), by status. */
static void on_rejected(void *ctx, int status)
{
	struct sk_audit_web *w = ctx;
	count(&w->requests, 1);
	count(status == 405                    ? &w->bad_method
	      : status == 415                  ? &w->bad_type
	      : status == 413                  ? &w->too_large
	      : status == 401 || status == 403 ? &w->unauthorized
					       : &w->busy,
	      1);
}

/* The events of one body, referenced, before they are queued. */
struct batch {
	struct sk_audit_web *w;
	size_t body_len;
	json_t **ev;
	size_t n, cap;
	bool over;                   /* more than max_batch */
};

static int collect(void *ctx, json_t *event)
{
	struct batch *b = ctx;
	struct sk_audit_web *w = b->w;
	if (w->max_batch && b->n == w->max_batch) {
		b->over = true;
		return 1;
	}
	/* a compact event is never longer than the body it came in, so only
	 * bodies above the limit are measured */
	if (b->body_len > w->max_event_size &&
	    json_dumpb(event, NULL, 0, JSON_COMPACT) > w->max_event_size) {
		count(&w->event_too_large, 1);
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		json_t **ev = realloc(b->ev, cap * sizeof(*ev));
		if (!ev)
			return -ENOMEM;
		b->ev = ev;
		b->cap = cap;
	}
	b->ev[b->n++] = json_incref(event);
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Queues b's events (taking their references) from `from` on. Returns how
 * many were queued before the queue refused one. */
static size_t push_all(struct sk_audit_web *w, struct batch *b, size_t from)
{
	uint64_t now = realtime_ns();
	size_t i = from;
	for (; i < b->n; i++) {
		const char *st = json_string_value(json_object_get(b->ev[i], "stageTimestamp"));
		struct sk_audit_event ev = {.doc = b->ev[i], .ts = st ? sk_audit_parse_time(st) : 0,
					    .recv_ns = now};
		if (sk_audit_queue_push(w->q, &ev, 0) < 0)
			break;
		b->ev[i] = NULL;
	}
	return i - from;
}

static int answer(struct sk_buf *resp, int status, const char *fmt, const char *arg)
{
	return sk_buf_printf(resp, fmt, arg) ? 500 : status;
}

/* The route's handler: the whole body is in and passed the checks. */
static int on_body(void *ctx, const char *body, size_t len, struct sk_buf *resp,
		   const char **ctype)
{
	struct sk_audit_web *w = ctx;
	count(&w->requests, 1);
	struct batch b = {.w = w, .body_len = len};
	struct sk_err err;
	sk_err_clear(&err);
	int rc = sk_audit_decode(body, len, 0, collect, &b, &err), st;
	if (b.over) {
		count(&w->too_large, 1);
		char lim[32];
		snprintf(lim, sizeof(lim), "%zu", w->max_batch);
		st = answer(resp, 413, "too many events in one body (limit %s)\n", lim);
	} else if (rc == -ENOMEM) {
		count(&w->busy, 1);
		st = answer(resp, 503, "%s\n", "out of memory");
	} else if (rc) {
		count(&w->bad_json, 1);
		char why[1024];
		if (err.line > 0)
			snprintf(why, sizeof(why), "line %d, column %d: %s", err.line, err.col, err.msg);
		else
			snprintf(why, sizeof(why), "%s", err.msg);
		st = answer(resp, 400, "bad request: %s\n", why);
	} else {
		struct sk_audit_queue_stats qs;
		sk_audit_queue_stats(w->q, &qs);
		size_t done = b.n <= qs.cap - qs.depth ? push_all(w, &b, 0) : 0;
		count(&w->events, done);
		if (done < b.n) {
			count(&w->queue_full, 1);
			st = answer(resp, 503, "%s\n", done ? "the event queue filled up: part of "
							      "the body was queued"
							    : "the event queue is full");
		} else {
			*ctype = "application/json";
			char n[32];
			snprintf(n, sizeof(n), "%zu", done);
			st = answer(resp, 200, "{\"queued\": %s}\n", n);
		}
	}
	for (size_t i = 0; i < b.n; i++)
		json_decref(b.ev[i]);
	free(b.ev);
	return st;
}

/* ---- set-up -------------------------------------------------------------------------- */

/* Reads the bearer token (the file's contents, trailing white space cut). */
static int load_token(struct sk_audit_web *w, const char *path, struct sk_err *err)
{
	size_t len = 0;
	int rc = sk_read_file(path, TOKEN_FILE_MAX, &w->token, &len);
	if (rc == 0 && len > TOKEN_MAX)
		rc = -E2BIG;
	if (rc < 0)
		return sk_err_set(err, rc, "cannot read k8s_audit.bearer_token_file %s: %s", path,
				  strerror(-rc));
	while (len && strchr(" \t\r\n", w->token[len - 1]))
		w->token[--len] = 0;
	if (!len)
		return sk_err_set(err, -EINVAL, "k8s_audit.bearer_token_file %s is empty", path);
	w->token_len = len;
	return 0;
}

/* Everything but the server: limits, token, the route on `srv`. */
static struct sk_audit_web *web_new(struct sk_server *srv, struct sk_server *own,
				    const struct sk_audit_cfg *c, struct sk_audit_queue *q,
				    struct sk_err *err)
{
	struct sk_audit_web *w = calloc(1, sizeof(*w));
	if (!w) {
		sk_err_set(err, -ENOMEM, "out of memory");
		sk_server_free(own);
		return NULL;
	}
	w->own = own;
	w->q = q;
	w->max_event_size = c->max_event_size ? c->max_event_size : 262144;
	w->max_batch = c->max_batch;
	const char *path = c->path && *c->path ? c->path : "/k8s-audit";
	w->path = strdup(path);
	if (!w->path) {
		sk_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (c->bearer_token_file && *c->bearer_token_file &&
	    load_token(w, c->bearer_token_file, err) < 0)
		goto fail;
	struct sk_server_post r = {.path = path, .ctype = "application/json",
				   .max_body = c->max_body ? c->max_body : BODY_DEFAULT,
				   .client_cert = c->client_ca && *c->client_ca,
				   .check = check_bearer, .handler = on_body,
				   .rejected = on_rejected, .ctx = w};
	int rc = sk_server_route(srv, &r);
	if (rc < 0) {
		sk_err_set(err, rc, rc == -EEXIST ? "the k8s audit endpoint %s is already served"
				    : rc == -EINVAL ? "the k8s audit endpoint %s needs client certificates "
						      "(client_ca) on a server without TLS and that CA"
						    : "cannot serve the k8s audit endpoint %s", path);
		goto fail;
	}
	w->srv = srv; /* routed: sk_audit_web_free unroutes */
	return w;
fail:
	sk_audit_web_free(w);
	return NULL;
}

struct sk_audit_web *sk_audit_web_new(const struct sk_audit_cfg *c, struct sk_audit_queue *q,
				      struct sk_err *err)
{
	if (c->tls && (!c->tls_pem || !*c->tls_pem)) {
		sk_err_set(err, -EINVAL, "https:// needs the certificate (sslCertificate)");
		return NULL;
	}
	if (c->client_ca && *c->client_ca && !c->tls) {
		sk_err_set(err, -EINVAL, "client certificates (client_ca) need https://");
		return NULL;
	}
	struct sk_server_opts o = {.address = c->address, .port = c->port,
				   .tls_pem = c->tls ? c->tls_pem : NULL,
				   .client_ca = c->client_ca};
	struct sk_server *s = sk_server_new(&o, err);
	return s ? web_new(s, s, c, q, err) : NULL;
}

struct sk_audit_web *sk_audit_web_attach(struct sk_server *host, const struct sk_audit_cfg *c,
					 struct sk_audit_queue *q, struct sk_err *err)
{
	return web_new(host, NULL, c, q, err);
}

void sk_audit_web_free(struct sk_audit_web *w)
{
	if (!w)
		return;
	if (w->srv)
		sk_server_unroute(w->srv, w->path);
	sk_server_free(w->own);
	free(w->path);
	free(w->token);
	free(w);
}

uint16_t sk_audit_web_port(const struct sk_audit_web *w)
{
	return sk_server_port(w->srv);
}

void sk_audit_web_stats(const struct sk_audit_web *w, struct sk_audit_web_stats *out)
{
	struct sk_audit_web *m = (struct sk_audit_web *)w; /* atomics read only */
	*out = (struct sk_audit_web_stats){
		.requests = atomic_load(&m->requests), .events = atomic_load(&m->events),
		.bad_method = atomic_load(&m->bad_method), .bad_type = atomic_load(&m->bad_type),
		.too_large = atomic_load(&m->too_large), .bad_json = atomic_load(&m->bad_json),
		.unauthorized = atomic_load(&m->unauthorized),
		.queue_full = atomic_load(&m->queue_full), .busy = atomic_load(&m->busy),
		.event_too_large = atomic_load(&m->event_too_large),
	};
}
