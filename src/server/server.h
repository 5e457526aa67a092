/* server.h — the embedded HTTP server (libmicrohttpd, optional TLS). It knows
 * HTTP only: every GET is handed to one handler that app/ installs, which
 * fills the body from counters and snapshots (never from engine state
 * directly). The handler runs on the server's threads and must be thread
 * safe; it must not block on the engine. */
#ifndef SK_SERVER_H
#define SK_SERVER_H

#include <stdbool.h>
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
	sk_server_handler_fn handler;
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

#endif
