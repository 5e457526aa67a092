/* server.c — the embedded HTTP server: libmicrohttpd with its own polling
 * thread (or a pool), GET only, bodies built by the handler app/ installs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server/server.h"

#define SK_SERVER_BODY_MAX ((size_t)16 << 20)
#define SK_SERVER_PEM_MAX ((size_t)1 << 20)

struct sk_server {
	struct MHD_Daemon *d;
	sk_server_handler_fn handler;
	void *ctx;
	char *pem;                   /* kept alive for libmicrohttpd */
	uint16_t port;
};

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *ctype,
			     const void *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	(void)upload;
	struct sk_server *s = cls;
	if (!*con_cls) { /* first call: headers only */
		*con_cls = s;
		return MHD_YES;
	}
	if (*upload_size) { /* ignore bodies */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, 405, "text/plain", "method not allowed\n", 19);
	struct sk_buf body;
	sk_buf_init(&body, SK_SERVER_BODY_MAX);
	const char *ctype = "text/plain";
	int status = s->handler(s->ctx, url, &body, &ctype);
	enum MHD_Result ok = reply(c, status, ctype, body.data ? body.data : "", body.len);
	sk_buf_done(&body);
	return ok;
}

/* Fills `ss` from an IPv4/IPv6 literal. Returns the sockaddr length or 0. */
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
	return 0;
}

static int load_pem(struct sk_server *s, const char *path, struct sk_err *err)
{
	size_t len = 0;
	int rc = sk_read_file(path, SK_SERVER_PEM_MAX, &s->pem, &len);
	if (rc < 0)
		return sk_err_set(err, rc, "cannot read webserver.ssl_certificate %s: %s", path,
				  strerror(-rc));
	if (!strstr(s->pem, "PRIVATE KEY-----") || !strstr(s->pem, "-----BEGIN CERTIFICATE"))
		return sk_err_set(err, -EINVAL,
				  "webserver.ssl_certificate %s must hold a PEM certificate and its "
				  "private key", path);
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return sk_err_set(err, -ENOTSUP, "libmicrohttpd was built without TLS");
	return 0;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

struct sk_server *sk_server_new(const struct sk_server_opts *o, struct sk_err *err)
{
	struct sockaddr_storage ss;
	struct sk_server *s = calloc(1, sizeof(*s));
	if (!s) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	s->handler = o->handler;
	s->ctx = o->ctx;
	socklen_t sl = parse_addr(o->address, o->port, &ss);
	if (!sl) {
		sk_err_set(err, -EINVAL, "webserver.listen_address %s is not an IP address", o->address);
		goto fail;
	}
	if (o->tls_pem && load_pem(s, o->tls_pem, err) < 0)
		goto fail;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->pem)
		flags |= MHD_USE_TLS;
	s->d = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_CONNECTION_LIMIT, 256u,
				s->pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, s->pem,
				MHD_OPTION_HTTPS_MEM_CERT, s->pem, MHD_OPTION_END);
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
	free(s->pem);
	free(s);
}

uint16_t sk_server_port(const struct sk_server *s)
{
	return s->port;
}
