/* test_server.c — unit tests for server/: a server on a free loopback port
 * answers GETs through its handler (status, content type, body), 405 for
 * other methods, bad address and certificate errors; POST routes: method,
 * content type, size limit (declared and chunked), authentication check,
 * server-wide body budget, route removal, and client certificates over TLS
 * (libcurl, certificates made with openssl at test time). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/server.h"
#include "http_client.h"

static int handler(void *ctx, const char *path, struct sk_buf *body, const char **ctype)
{
	(*(int *)ctx)++;
	if (!strcmp(path, "/hello")) {
		*ctype = "application/json";
		return sk_buf_puts(body, "{\"hello\": 1}") ? 500 : 200;
	}
	return sk_buf_puts(body, "nope") ? 500 : 404;
}

/* Sends the request head, then `body` in chunks of 1 KiB as long as the
 * server reads; returns the response (static buffer). */
static const char *post_raw(uint16_t port, const char *head, const char *body, size_t len)
{
	static __thread char resp[8192];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 1024 ? len - off : 1024;
		ssize_t w = send(fd, body + off, n, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the server answered and closed */
		off += (size_t)w;
	}
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(resp) - 1 && (r = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	resp[n] = 0;
	close(fd);
	return resp;
}

/* One request without a body; returns the whole response. */
static const char *request(uint16_t port, const char *req)
{
	return post_raw(port, req, NULL, 0);
}

static void test_get_routes(void **state)
{
	(void)state;
	int calls = 0;
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "127.0.0.1", .port = 0, .threads = 2,
				   .handler = handler, .ctx = &calls};
	struct sk_server *s = sk_server_new(&o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	uint16_t port = sk_server_port(s);
	assert_true(port > 0);
	const char *r = request(port, "GET /hello HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strcasestr(r, "Content-Type: application/json"));
	assert_non_null(strstr(r, "\r\n\r\n{\"hello\": 1}"));
	r = request(port, "GET /other HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	r = request(port, "POST /hello HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
	assert_non_null(strstr(r, " 405 "));
	assert_non_null(strcasestr(r, "Allow: GET, HEAD"));
	assert_int_equal(calls, 2);
	sk_server_free(s);
}

static void test_errors(void **state)
{
	(void)state;
	int calls = 0;
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "not an ip", .handler = handler, .ctx = &calls};
	assert_null(sk_server_new(&o, &err));
	assert_int_equal(err.code, -EINVAL);
	/* a host name is resolved once */
	sk_err_clear(&err);
	o.address = "localhost";
	struct sk_server *lh = sk_server_new(&o, &err);
	if (!lh)
		fail_msg("%s", err.msg);
	sk_server_free(lh);
	sk_err_clear(&err);
	o.address = "127.0.0.1";
	o.tls_pem = "/nonexistent/saker.pem";
	assert_null(sk_server_new(&o, &err));
	assert_non_null(strstr(err.msg, "ssl_certificate"));
	/* the same port twice */
	o.tls_pem = NULL;
	struct sk_server *a = sk_server_new(&o, &err);
	assert_non_null(a);
	o.port = sk_server_port(a);
	sk_err_clear(&err);
	assert_null(sk_server_new(&o, &err));
	assert_int_equal(err.code, -EADDRINUSE);
	sk_server_free(a);
	sk_server_free(NULL);
}

/* ---- POST routes ------------------------------------------------------------ */

struct post_ctx {
	int calls, rejected[600];
	size_t last_len;
	const char *token; /* required X-Token value, or NULL */
};

static int post_handler(void *ctx, const char *body, size_t len, struct sk_buf *resp,
			const char **ctype)
{
	struct post_ctx *p = ctx;
	p->calls++;
	p->last_len = len;
	assert_int_equal(body[len], 0);
	*ctype = "application/json";
	return sk_buf_printf(resp, "{\"got\": %zu}", len) ? 500 : 200;
}

static int post_check(void *ctx, const struct sk_server_req *r, struct sk_buf *reason)
{
	struct post_ctx *p = ctx;
	if (!p->token)
		return 0;
	const char *t = sk_server_req_header(r, "x-token");
	if (!t)
		return sk_buf_puts(reason, "no token") ? 500 : 401;
	if (strcmp(t, p->token))
		return sk_buf_puts(reason, "bad token") ? 500 : 403;
	return 0;
}

static void post_rejected(void *ctx, int status)
{
	struct post_ctx *p = ctx;
	p->rejected[status]++;
}

static struct sk_server *post_server(struct post_ctx *p, size_t max_body, size_t max_buffered)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "127.0.0.1", .threads = 2, .handler = handler,
				   .ctx = &p->calls, .max_buffered = max_buffered};
	struct sk_server *s = sk_server_new(&o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	struct sk_server_post r = {.path = "/in", .ctype = "application/json", .max_body = max_body,
				   .check = post_check, .handler = post_handler,
				   .rejected = post_rejected, .ctx = p};
	assert_int_equal(sk_server_route(s, &r), 0);
	return s;
}

static void test_post_route(void **state)
{
	(void)state;
	struct post_ctx p = {0};
	struct sk_server *s = post_server(&p, 64, 0);
	uint16_t port = sk_server_port(s);
	const char *r = post_raw(port, "POST /in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				 "Content-Type: application/json; charset=utf-8\r\n"
				 "Content-Length: 8\r\n\r\n", "{\"a\": 1}", 8);
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strstr(r, "{\"got\": 8}"));
	assert_int_equal(p.calls, 1);
	/* chunked, within the limit */
	r = post_raw(port, "POST /in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
		     "3\r\n{}\n\r\n0\r\n\r\n", 13);
	assert_non_null(strstr(r, "{\"got\": 3}"));
	/* wrong method on a POST route */
	r = request(port, "GET /in HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 405 "));
	assert_non_null(strcasestr(r, "Allow: POST"));
	/* wrong content type */
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 415 "));
	assert_non_null(strstr(r, "application/json"));
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 415 "));
	assert_int_equal(p.calls, 2);
	assert_int_equal(p.rejected[405], 1);
	assert_int_equal(p.rejected[415], 2);
	sk_server_free(s);
}

static void test_post_limits(void **state)
{
	(void)state;
	struct post_ctx p = {0};
	struct sk_server *s = post_server(&p, 1000, 0);
	uint16_t port = sk_server_port(s);
	/* declared too large: 413 before a body byte is sent */
	const char *r = post_raw(port, "POST /in HTTP/1.1\r\nHost: x\r\n"
				 "Content-Type: application/json\r\n"
				 "Content-Length: 100000000\r\n\r\n", NULL, 0);
	assert_non_null(strstr(r, " 413 "));
	/* chunked past the limit: 413 (the rest of the body is read and
	 * dropped, never kept) */
	static char big[64 * 1024];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "400\r\n%01024d\r\n", 0);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "0\r\n\r\n");
	r = post_raw(port, "POST /in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n", big, n);
	assert_non_null(strstr(r, " 413 "));
	/* exactly at the limit passes */
	memset(big, ' ', 1000);
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
		     "Content-Length: 1000\r\n\r\n", big, 1000);
	assert_non_null(strstr(r, " 200 "));
	assert_int_equal(p.last_len, 1000);
	assert_int_equal(p.rejected[413], 2);
	sk_server_free(s);
	/* a server-wide budget smaller than the body: 503 */
	struct post_ctx q = {0};
	s = post_server(&q, 1000, 100);
	r = post_raw(sk_server_port(s), "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
		     "Content-Length: 1000\r\n\r\n", big, 1000);
	assert_non_null(strstr(r, " 503 "));
	r = post_raw(sk_server_port(s), "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
		     "Content-Length: 100\r\n\r\n", big, 100);
	assert_non_null(strstr(r, " 200 "));
	assert_int_equal(q.rejected[503], 1);
	sk_server_free(s);
}

static void test_post_check_and_unroute(void **state)
{
	(void)state;
	struct post_ctx p = {.token = "s3cret"};
	struct sk_server *s = post_server(&p, 100, 0);
	uint16_t port = sk_server_port(s);
	const char *r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
				 "Content-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 401 "));
	assert_non_null(strcasestr(r, "WWW-Authenticate: Bearer"));
	assert_non_null(strstr(r, "no token"));
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: application/json\r\nX-Token: no\r\n"
		     "Content-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 403 "));
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
		     "X-Token: s3cret\r\nContent-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 200 "));
	assert_int_equal(p.rejected[401] + p.rejected[403], 2);
	/* route table errors */
	struct sk_server_post dup = {.path = "/in", .handler = post_handler};
	assert_int_equal(sk_server_route(s, &dup), -EEXIST);
	dup.path = NULL;
	assert_int_equal(sk_server_route(s, &dup), -EINVAL);
	dup.path = "/cert";
	dup.client_cert = true; /* no client_ca on this server */
	assert_int_equal(sk_server_route(s, &dup), -EINVAL);
	dup.client_cert = false;
	char path[16];
	for (int i = 0; i < SK_SERVER_MAX_ROUTES - 1; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		dup.path = path;
		assert_int_equal(sk_server_route(s, &dup), 0);
	}
	dup.path = "/full";
	assert_int_equal(sk_server_route(s, &dup), -ENOSPC);
	/* removed: the path is an ordinary GET path again */
	sk_server_unroute(s, "/in");
	r = post_raw(port, "POST /in HTTP/1.0\r\nContent-Type: application/json\r\n"
		     "X-Token: s3cret\r\nContent-Length: 2\r\n\r\n", "{}", 2);
	assert_non_null(strstr(r, " 405 "));
	r = request(port, "GET /in HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	sk_server_free(s);
}

/* ---- client certificates (TLS) ----------------------------------------------- */

static char tmpdir[64];

static int sh(const char *fmt, ...) SK_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A CA, a server certificate, a client certificate from the CA and one
 * from nobody, in tmpdir. False when openssl is missing. */
static bool make_certs(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sk-srv-XXXXXX");
	if (!mkdtemp(tmpdir) || sh("command -v openssl >/dev/null"))
		return false;
	const char *k = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1";
	int rc = sh("cd %s && openssl req -x509 %s -subj /CN=test-ca -keyout ca.key -out ca.pem "
		    "2>/dev/null && openssl req -x509 %s -subj /CN=127.0.0.1 -keyout s.key -out s.crt "
		    "2>/dev/null && cat s.crt s.key > server.pem && openssl req %s -subj /CN=client "
		    "-keyout c.key -out c.csr 2>/dev/null && openssl x509 -req -in c.csr -CA ca.pem "
		    "-CAkey ca.key -CAcreateserial -days 1 -out c.crt 2>/dev/null && openssl req -x509 "
		    "%s -subj /CN=rogue -keyout r.key -out r.crt 2>/dev/null",
		    tmpdir, k, k, k, k);
	return rc == 0;
}

/* POSTs "{}" over TLS with the client certificate `name` (NULL = none);
 * returns the status, or -1 when the request failed. */
static long tls_post(uint16_t port, const char *name)
{
	char url[64], crt[128], key[128];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/in", port);
	snprintf(crt, sizeof(crt), "%s/%s.crt", tmpdir, name ? name : "");
	snprintf(key, sizeof(key), "%s/%s.key", tmpdir, name ? name : "");
	struct http_req q = {.method = "POST", .url = url, .ctype = "application/json",
			     .body = "{}", .len = 2, .cert = name ? crt : NULL, .key = key};
	struct http_resp r;
	return http_do(&q, &r);
}

static void test_post_client_cert(void **state)
{
	(void)state;
	if (!make_certs())
		skip();
	char pem[128], ca[128];
	snprintf(pem, sizeof(pem), "%s/server.pem", tmpdir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
	struct sk_err err;
	sk_err_clear(&err);
	int calls = 0;
	struct sk_server_opts o = {.address = "127.0.0.1", .threads = 1, .tls_pem = pem,
				   .client_ca = ca, .handler = handler, .ctx = &calls};
	struct sk_server *s = sk_server_new(&o, &err);
	if (!s)
		fail_msg("%s", err.msg);
	assert_true(sk_server_tls(s) && sk_server_client_ca(s));
	struct post_ctx p = {0};
	struct sk_server_post r = {.path = "/in", .client_cert = true, .handler = post_handler,
				   .rejected = post_rejected, .ctx = &p};
	assert_int_equal(sk_server_route(s, &r), 0);
	uint16_t port = sk_server_port(s);
	assert_int_equal(tls_post(port, NULL), 401);
	assert_int_equal(tls_post(port, "r"), 403);
	assert_int_equal(tls_post(port, "c"), 200);
	assert_int_equal(p.calls, 1);
	sk_server_free(s);
	/* a CA file without a certificate */
	o.client_ca = pem + strlen(pem); /* "" = none: accepted */
	s = sk_server_new(&o, &err);
	assert_non_null(s);
	assert_false(sk_server_client_ca(s));
	sk_server_free(s);
	snprintf(ca, sizeof(ca), "%s/c.key", tmpdir);
	o.client_ca = ca;
	assert_null(sk_server_new(&o, &err));
	assert_int_equal(err.code, -EINVAL);
	sh("rm -rf %s", tmpdir);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_routes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_post_route),
		cmocka_unit_test(test_post_limits),
		cmocka_unit_test(test_post_check_and_unroute),
		cmocka_unit_test(test_post_client_cert),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
