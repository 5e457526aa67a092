/* server.h — the embedded HTTP server (libmicrohttpd, optional TLS). It knows
 * HTTP only: every GET is handed to one handler that app/ installs, which
 * fills the body from counters and snapshots (never from engine state
 * directly), and POST routes (the k8s audit webhook) receive bounded bodies.
 * Handlers run on the server's threads and must be thread safe; they must
 * not block on the engine. */
#ifndef SK_SERVER_H
#define SK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct sk_server;

/* Fills `body` (and *ctype, a static string) for GET `path` and returns the
 * HTTP status; 404 for unknown paths. Called concurrently from the server's
 * threads. */
typedef int (*sk_server_handler_fn)(void *ctx, const char *path, struct sk_buf *body,
				    const char **ctype);

struct sk_server_opts {
	const char *address;         /* IPv4 or IPv6 literal; NULL or "" = 0.0.0.0 */
	uint16_t port;               /* 0 = any free port (see sk_server_port) */
	unsigned threads;            /* worker threads; 0 = number of CPUs */
	const char *tls_pem;         /* NULL: plain HTTP; else a file holding the PEM
	                              * certificate and private key (Falco's ssl_certificate) */
	const char *client_ca;       /* with tls_pem: PEM CA file; clients are asked for a
	                              * certificate, which routes with client_cert require */
	unsigned conn_limit;         /* open connections at most; 0 = 256 */
	unsigned timeout_s;          /* idle connection timeout; 0 = 30 s */
	size_t max_buffered;         /* POST body bytes held by all connections together;
	                              * beyond it a request gets 503; 0 = 64 MiB */
	sk_server_handler_fn handler; /* GET/HEAD; NULL = 404 for every GET */
	void *ctx;
};

/* Starts listening. Returns NULL with err filled: bad address (-EINVAL),
 * unreadable certificate (-errno), TLS unsupported by libmicrohttpd
 * (-ENOTSUP), bind failure (-EADDRINUSE or -EIO). */
struct sk_server *sk_server_new(const struct sk_server_opts *o, struct sk_err *err);
/* Stops the threads (waits for requests in flight) and frees. NULL-safe. */
void sk_server_free(struct sk_server *s);
/* The port actually bound (useful with port 0). */
uint16_t sk_server_port(const struct sk_server *s);
/* Whether the server speaks TLS / asks clients for certificates. */
bool sk_server_tls(const struct sk_server *s);
bool sk_server_client_ca(const struct sk_server *s);

/* ---- POST routes ----------------------------------------------------------
 * A request to a route's path goes through these steps; the first that
 * fails answers (text/plain body "<reason>\n") and the route's `rejected`
 * callback is told the status:
 *   1. method: not POST -> 405 with "Allow: POST"
 *   2. client certificate (route.client_cert, TLS with client_ca): none
 *      -> 401, not valid for the CA -> 403
 *   3. route.check (authentication): its status (401 adds
 *      "WWW-Authenticate: Bearer")
 *   4. Content-Type: media type other than route.ctype -> 415
 *   5. Content-Length above max_body -> 413 at once, before any body byte is
 *      read; a body without length (chunked) -> 413 as soon as it passes
 *      max_body. No more than max_body bytes are ever buffered.
 *   6. server-wide budget (max_buffered) exceeded -> 503
 *   7. route.handler with the whole body: its status and response.
 * Responses to rejected requests close the connection (the rest of the body
 * is not read). */
struct sk_server_req; /* a request, valid during a callback only */
/* A request header (name case-insensitive), or NULL. */
const char *sk_server_req_header(const struct sk_server_req *r, const char *name);

struct sk_server_post {
	const char *path;            /* exact match (copied) */
	const char *ctype;           /* required media type, e.g. "application/json" (charset
	                              * and other parameters ignored); NULL = any (copied) */
	size_t max_body;             /* bytes; 0 = 1 MiB */
	bool client_cert;            /* require a certificate signed by the server's client_ca */
	/* Optional: 0 to accept, or an HTTP status with the reason in `reason`. */
	int (*check)(void *ctx, const struct sk_server_req *r, struct sk_buf *reason);
	/* The whole body (NUL-terminated after len); fills `resp` and *ctype
	 * (static string; default text/plain) and returns the status. */
	int (*handler)(void *ctx, const char *body, size_t len, struct sk_buf *resp,
		       const char **ctype);
	/* Optional: a request the server itself rejected (steps 1, 2, 4-6), or
	 * one `check` rejected, with its status. */
	void (*rejected)(void *ctx, int status);
	void *ctx;
};

#define SK_SERVER_MAX_ROUTES 4
/* Serves `p` from now on (any thread, also while serving). 0, -EINVAL (no
 * path or handler, or client_cert without a client_ca), -EEXIST (path
 * taken), -ENOSPC (SK_SERVER_MAX_ROUTES), -ENOMEM. */
int sk_server_route(struct sk_server *s, const struct sk_server_post *p) SK_WUR;
/* Stops serving `path` (404 from now on). Returns once no callback of that
 * route runs any more, so its ctx may then be freed. */
void sk_server_unroute(struct sk_server *s, const char *path);

#endif
