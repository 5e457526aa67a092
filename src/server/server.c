/* server.c — the embedded HTTP server: libmicrohttpd with its own polling
 * thread (or a pool); GET bodies built by the handler app/ installs, POST
 * routes (server.h) with bounded, incrementally read bodies. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "server/server.h"

#define SK_SERVER_BODY_MAX ((size_t)16 << 20)
#define SK_SERVER_PEM_MAX ((size_t)1 << 20)
#define SK_SERVER_POST_DEFAULT ((size_t)1 << 20)
#define SK_SERVER_BUFFERED_DEFAULT ((size_t)64 << 20)
#define SK_SERVER_DISCARD_MAX ((size_t)4 << 20)

/* A POST route; `gen` tells a request which registration it started with. */
struct route {
	struct sk_server_post p;     /* path and ctype point into owned copies */
	char *path, *ctype;
	uint64_t gen;                /* 0 = free slot */
};

struct sk_server {
	struct MHD_Daemon *d;
	sk_server_handler_fn handler;
	void *ctx;
	char *pem;                   /* kept alive for libmicrohttpd */
	char *ca;                    /* client CA PEM, likewise */
	uint16_t port;
	size_t max_buffered;
	atomic_size_t buffered;      /* POST body bytes reserved by all connections */
	/* Routes: read-locked around every route callback, write-locked to
	 * change, so sk_server_unroute returns only once none runs. */
	pthread_rwlock_t lock;
	struct route routes[SK_SERVER_MAX_ROUTES];
	uint64_t next_gen;
	int get_marker;              /* *con_cls of a GET request */
};

/* A POST request in progress. */
struct conn {
	int slot;
	uint64_t gen;
	int status;                  /* != 0: rejected with this status */
	char why[200];               /* ... and this reason */
	size_t discarded;            /* body bytes dropped after a rejection */
	size_t reserved;             /* counted in sk_server.buffered */
	size_t max_body;
	struct sk_buf body;
};

struct sk_server_req {
	struct MHD_Connection *c;
};

const char *sk_server_req_header(const struct sk_server_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

static enum MHD_Result reply_hdr(struct MHD_Connection *c, int status, const char *ctype,
				 const void *body, size_t len, const char *hname, const char *hval)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (hname)
		MHD_add_response_header(r, hname, hval);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *ctype,
			     const void *body, size_t len)
{
	return reply_hdr(c, status, ctype, body, len, NULL, NULL);
}

/* ---- routes ---------------------------------------------------------------- */

/* The slot serving `path`, or -1. Caller holds the lock. */
static int find_slot(const struct sk_server *s, const char *path)
{
	for (int i = 0; i < SK_SERVER_MAX_ROUTES; i++)
		if (s->routes[i].gen && !strcmp(s->routes[i].path, path))
			return i;
	return -1;
}

int sk_server_route(struct sk_server *s, const struct sk_server_post *p)
{
	if (!p->path || !*p->path || !p->handler || (p->client_cert && !s->ca))
		return -EINVAL;
	char *path = strdup(p->path), *ctype = p->ctype ? strdup(p->ctype) : NULL;
	if (!path || (p->ctype && !ctype)) {
		free(path);
		free(ctype);
		return -ENOMEM;
	}
	int rc = -ENOSPC;
	pthread_rwlock_wrlock(&s->lock);
	if (find_slot(s, path) >= 0) {
		rc = -EEXIST;
	} else {
		for (int i = 0; i < SK_SERVER_MAX_ROUTES; i++) {
			struct route *r = &s->routes[i];
			if (r->gen)
				continue;
			*r = (struct route){.p = *p, .path = path, .ctype = ctype, .gen = ++s->next_gen};
			r->p.path = path;
			r->p.ctype = ctype;
			if (!r->p.max_body)
				r->p.max_body = SK_SERVER_POST_DEFAULT;
			rc = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	if (rc) {
		free(path);
		free(ctype);
	}
	return rc;
}

void sk_server_unroute(struct sk_server *s, const char *path)
{
	if (!s || !path)
		return;
	pthread_rwlock_wrlock(&s->lock);
	int i = find_slot(s, path);
	if (i >= 0) {
		free(s->routes[i].path);
		free(s->routes[i].ctype);
		s->routes[i] = (struct route){0};
	}
	pthread_rwlock_unlock(&s->lock);
}

/* The route a request started with, read-locked; NULL (unlocked) when it was
 * removed meanwhile. Pair with pthread_rwlock_unlock. */
static const struct route *route_get(struct sk_server *s, const struct conn *k)
{
	pthread_rwlock_rdlock(&s->lock);
	const struct route *r = &s->routes[k->slot];
	if (r->gen == k->gen)
		return r;
	pthread_rwlock_unlock(&s->lock);
	return NULL;
}

/* ---- POST requests ----------------------------------------------------------- */

/* Records a rejection (the status and reason to answer) and tells the
 * route. The body read so far is dropped at once. */
static void note_reject(struct sk_server *s, struct conn *k, int status, const char *reason)
{
	k->status = status;
	/* the reason, cut to fit, and a newline */
	size_t n = strnlen(reason, sizeof(k->why) - 2);
	memcpy(k->why, reason, n);
	k->why[n] = '\n';
	k->why[n + 1] = 0;
	sk_buf_done(&k->body);
	atomic_fetch_sub(&s->buffered, k->reserved);
	k->reserved = 0;
	const struct route *r = route_get(s, k);
	if (r) {
		if (r->p.rejected)
			r->p.rejected(r->p.ctx, status);
		pthread_rwlock_unlock(&s->lock);
	}
}

/* Queues the recorded rejection, closing the connection after it (the
 * body may not have been read). */
static enum MHD_Result send_reject(struct MHD_Connection *c, struct conn *k)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(k->why), k->why,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (k->status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	if (k->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)k->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* A rejection on the headers: answered at once (libmicrohttpd then reads
 * no body and closes the connection). */
static enum MHD_Result reject(struct sk_server *s, struct conn *k, struct MHD_Connection *c,
			      int status, const char *reason)
{
	note_reject(s, k, status, reason);
	return send_reject(c, k);
}

/* Step 2: 0, 401 (no certificate) or 403 (not valid for the CA). */
static int check_client_cert(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 401;
	gnutls_session_t ts = (gnutls_session_t)ci->tls_session;
	unsigned n = 0, status = 0;
	if (!gnutls_certificate_get_peers(ts, &n) || !n)
		return 401;
	if (gnutls_certificate_verify_peers2(ts, &status) < 0 || status)
		return 403;
	return 0;
}

/* Whether the Content-Type header's media type is `want` (parameters such
 * as charset ignored, case-insensitive). */
static bool ctype_ok(const char *have, const char *want)
{
	if (!want)
		return true;
	if (!have)
		return false;
	while (*have == ' ' || *have == '\t')
		have++;
	size_t n = strcspn(have, "; \t");
	return n == strlen(want) && !strncasecmp(have, want, n);
}

/* Counts `n` more body bytes against the server-wide budget. */
static bool budget_take(struct sk_server *s, struct conn *k, size_t n)
{
	size_t was = atomic_fetch_add(&s->buffered, n);
	if (was + n > s->max_buffered) {
		atomic_fetch_sub(&s->buffered, n);
		return false;
	}
	k->reserved += n;
	return true;
}

/* Steps 2-6 of server.h, on the headers. 0 = read the body. */
static int admit(struct sk_server *s, struct conn *k, struct MHD_Connection *c,
		 const char **reason)
{
	const struct route *r = route_get(s, k);
	if (!r) {
		*reason = "not found";
		return 404;
	}
	int st = 0;
	struct sk_server_req req = {c};
	static __thread char why[200];
	struct sk_buf rb;
	sk_buf_init(&rb, sizeof(why) - 1);
	if (r->p.client_cert && (st = check_client_cert(c))) {
		*reason = st == 401 ? "a client certificate is required"
				    : "the client certificate is not signed by the configured CA";
	} else if (r->p.check && (st = r->p.check(r->p.ctx, &req, &rb))) {
		sk_strlcpy(why, rb.data ? rb.data : "unauthorized", sizeof(why));
		*reason = why;
	} else if (!ctype_ok(sk_server_req_header(&req, MHD_HTTP_HEADER_CONTENT_TYPE), r->p.ctype)) {
		snprintf(why, sizeof(why), "wrong Content-Type: want %s", r->p.ctype);
		*reason = why;
		st = 415;
	}
	k->max_body = r->p.max_body;
	pthread_rwlock_unlock(&s->lock);
	sk_buf_done(&rb);
	if (st)
		return st;
	sk_buf_init(&k->body, k->max_body);
	const char *cl = sk_server_req_header(&req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len = 0;
	if (cl && sk_parse_u64(cl, &len) == 0) {
		if (len > k->max_body) {
			*reason = "request body too large";
			return 413;
		}
		/* reserve the declared size once: no reallocation while reading */
		if (!budget_take(s, k, (size_t)len) || sk_buf_reserve(&k->body, (size_t)len)) {
			*reason = "server busy: too many request bodies in flight";
			return 503;
		}
	}
	return 0;
}

/* One chunk of body. 0, or a status when it cannot be kept. */
static int take_chunk(struct sk_server *s, struct conn *k, const char *data, size_t n,
		      const char **reason)
{
	if (n > k->max_body - k->body.len) {
		*reason = "request body too large";
		return 413;
	}
	size_t have = k->reserved, need = k->body.len + n;
	if (need > have && !budget_take(s, k, need - have)) {
		*reason = "server busy: too many request bodies in flight";
		return 503;
	}
	if (sk_buf_append(&k->body, data, n)) {
		*reason = "out of memory";
		return 503;
	}
	return 0;
}

/* The whole body is in: the route's handler answers. */
static enum MHD_Result finish(struct sk_server *s, struct conn *k, struct MHD_Connection *c)
{
	const struct route *r = route_get(s, k);
	if (!r)
		return reply(c, 404, "text/plain", "not found\n", 10);
	struct sk_buf resp;
	sk_buf_init(&resp, SK_SERVER_BODY_MAX);
	const char *ctype = "text/plain; charset=utf-8";
	int st = r->p.handler(r->p.ctx, k->body.data ? k->body.data : "", k->body.len, &resp, &ctype);
	pthread_rwlock_unlock(&s->lock);
	enum MHD_Result ok = reply(c, st, ctype, resp.data ? resp.data : "", resp.len);
	sk_buf_done(&resp);
	return ok;
}

static enum MHD_Result on_post(struct sk_server *s, struct conn *k, struct MHD_Connection *c,
			       const char *upload, size_t *upload_size)
{
	const char *why = NULL;
	if (k->status) {
		/* Rejected while the body was arriving: libmicrohttpd accepts the
		 * answer only once the whole request is in, so the rest of the
		 * body is read and dropped (never kept), up to a bound; a client
		 * that sends more is cut off. */
		if (!*upload_size)
			return send_reject(c, k);
		k->discarded += *upload_size;
		*upload_size = 0;
		return k->discarded > SK_SERVER_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (*upload_size) {
		int st = take_chunk(s, k, upload, *upload_size, &why);
		*upload_size = 0;
		if (st)
			note_reject(s, k, st, why);
		return MHD_YES;
	}
	return finish(s, k, c);
}

/* First call of a request to a POST route: method and headers. */
static enum MHD_Result post_begin(struct sk_server *s, int slot, uint64_t gen,
				  struct MHD_Connection *c, const char *method, void **con_cls)
{
	struct conn *k = calloc(1, sizeof(*k));
	if (!k)
		return MHD_NO;
	k->slot = slot;
	k->gen = gen;
	*con_cls = k;
	if (strcmp(method, "POST"))
		return reject(s, k, c, 405, "method not allowed: use POST");
	const char *why = NULL;
	int st = admit(s, k, c, &why);
	return st ? reject(s, k, c, st, why) : MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)c;
	(void)toe;
	struct sk_server *s = cls;
	struct conn *k = *con_cls;
	if (!k || (void *)k == (void *)&s->get_marker)
		return;
	atomic_fetch_sub(&s->buffered, k->reserved);
	sk_buf_done(&k->body);
	free(k);
	*con_cls = NULL;
}

/* ---- GET requests -------------------------------------------------------------- */

static enum MHD_Result on_get(struct sk_server *s, struct MHD_Connection *c, const char *url,
			      const char *method, size_t *upload_size)
{
	if (*upload_size) { /* ignore bodies */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_hdr(c, 405, "text/plain", "method not allowed\n", 19,
				 MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (!s->handler)
		return reply(c, 404, "text/plain", "not found\n", 10);
	struct sk_buf body;
	sk_buf_init(&body, SK_SERVER_BODY_MAX);
	const char *ctype = "text/plain";
	int status = s->handler(s->ctx, url, &body, &ctype);
	enum MHD_Result ok = reply(c, status, ctype, body.data ? body.data : "", body.len);
	sk_buf_done(&body);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	struct sk_server *s = cls;
	if (*con_cls && *con_cls != (void *)&s->get_marker)
		return on_post(s, *con_cls, c, upload, upload_size);
	if (*con_cls)
		return on_get(s, c, url, method, upload_size);
	/* first call: headers only */
	pthread_rwlock_rdlock(&s->lock);
	int slot = find_slot(s, url);
	uint64_t gen = slot >= 0 ? s->routes[slot].gen : 0;
	pthread_rwlock_unlock(&s->lock);
	if (slot >= 0)
		return post_begin(s, slot, gen, c, method, con_cls);
	*con_cls = &s->get_marker;
	return MHD_YES;
}

/* ---- start / stop --------------------------------------------------------------- */

/* Fills `ss` from an IPv4/IPv6 literal, or the first address of a host
 * name ("localhost"; resolved once, at start). Returns the sockaddr length
 * or 0. */
static socklen_t parse_addr(const char *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!a || !*a)
		a = "0.0.0.0";
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, a, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, a, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	if (a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")])
		return 0; /* not a host name: no lookup */
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(a, NULL, &hints, &res) != 0 || !res)
		return 0;
	socklen_t len = 0;
	if (res->ai_addrlen <= sizeof(*ss) &&
	    (res->ai_family == AF_INET || res->ai_family == AF_INET6)) {
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		len = res->ai_addrlen;
		if (res->ai_family == AF_INET)
			in4->sin_port = htons(port);
		else
			in6->sin6_port = htons(port);
	}
	freeaddrinfo(res);
	return len;
}

static int load_pem(struct sk_server *s, const char *path, struct sk_err *err)
{
	size_t len = 0;
	int rc = sk_read_file(path, SK_SERVER_PEM_MAX, &s->pem, &len);
	if (rc < 0)
		return sk_err_set(err, rc, "cannot read the TLS certificate (ssl_certificate, "
				  "sslCertificate) %s: %s", path, strerror(-rc));
	if (!strstr(s->pem, "PRIVATE KEY-----") || !strstr(s->pem, "-----BEGIN CERTIFICATE"))
		return sk_err_set(err, -EINVAL,
				  "the TLS certificate file (ssl_certificate, sslCertificate) %s must "
				  "hold a PEM certificate and its private key", path);
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return sk_err_set(err, -ENOTSUP, "libmicrohttpd was built without TLS");
	return 0;
}

static int load_ca(struct sk_server *s, const char *path, struct sk_err *err)
{
	size_t len = 0;
	int rc = sk_read_file(path, SK_SERVER_PEM_MAX, &s->ca, &len);
	if (rc < 0)
		return sk_err_set(err, rc, "cannot read client CA file %s: %s", path, strerror(-rc));
	if (!strstr(s->ca, "-----BEGIN CERTIFICATE"))
		return sk_err_set(err, -EINVAL, "client CA file %s holds no PEM certificate", path);
	return 0;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

/* The TLS options of MHD_start_daemon, ended by MHD_OPTION_END. */
static void tls_options(const struct sk_server *s, struct MHD_OptionItem *o)
{
	size_t n = 0;
	if (s->pem) {
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->pem};
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->pem};
		if (s->ca)
			o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca};
	}
	o[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

struct sk_server *sk_server_new(const struct sk_server_opts *o, struct sk_err *err)
{
	struct sockaddr_storage ss;
	struct sk_server *s = calloc(1, sizeof(*s));
	if (!s) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	/* writers first: sk_server_unroute must not wait behind a steady
	 * stream of requests (no callback takes the lock twice) */
	pthread_rwlockattr_t la;
	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->lock, &la);
	pthread_rwlockattr_destroy(&la);
	s->handler = o->handler;
	s->ctx = o->ctx;
	s->max_buffered = o->max_buffered ? o->max_buffered : SK_SERVER_BUFFERED_DEFAULT;
	socklen_t sl = parse_addr(o->address, o->port, &ss);
	if (!sl) {
		sk_err_set(err, -EINVAL, "listen address %s is not an IP address or a known host name",
			   o->address);
		goto fail;
	}
	if (o->tls_pem && load_pem(s, o->tls_pem, err) < 0)
		goto fail;
	if (o->tls_pem && o->client_ca && *o->client_ca && load_ca(s, o->client_ca, err) < 0)
		goto fail;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->pem)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls[4];
	tls_options(s, tls);
	s->d = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 30u,
				MHD_OPTION_CONNECTION_LIMIT, o->conn_limit ? o->conn_limit : 256u,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!s->d) {
		sk_err_set(err, -EADDRINUSE, "cannot listen on %s:%u (address in use, or TLS setup "
			   "failed)", o->address && *o->address ? o->address : "0.0.0.0", o->port);
		goto fail;
	}
	s->port = bound_port(s->d);
	return s;
fail:
	sk_server_free(s);
	return NULL;
}

void sk_server_free(struct sk_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	for (int i = 0; i < SK_SERVER_MAX_ROUTES; i++) {
		free(s->routes[i].path);
		free(s->routes[i].ctype);
	}
	pthread_rwlock_destroy(&s->lock);
	free(s->pem);
	free(s->ca);
	free(s);
}

uint16_t sk_server_port(const struct sk_server *s)
{
	return s->port;
}

bool sk_server_tls(const struct sk_server *s)
{
	return s->pem != NULL;
}

bool sk_server_client_ca(const struct sk_server *s)
{
	return s->ca != NULL;
}
