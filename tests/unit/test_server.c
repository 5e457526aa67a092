/* test_server.c — unit tests for server/: a server on a free loopback port
 * answers GETs through its handler (status, content type, body), 405 for
 * other methods, concurrent requests, bad address and certificate errors. */
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

static int handler(void *ctx, const char *path, struct sk_buf *body, const char **ctype)
{
	(*(int *)ctx)++;
	if (!strcmp(path, "/hello")) {
		*ctype = "application/json";
		return sk_buf_puts(body, "{\"hello\": 1}") ? 500 : 200;
	}
	return sk_buf_puts(body, "nope") ? 500 : 404;
}

/* One raw HTTP/1.0 request; returns the whole response (static buffer). */
static const char *request(uint16_t port, const char *req)
{
	static __thread char resp[8192];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(resp) - 1 && (r = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	resp[n] = 0;
	close(fd);
	return resp;
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
	assert_int_equal(calls, 2);
	sk_server_free(s);
}

static void test_errors(void **state)
{
	(void)state;
	int calls = 0;
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "not-an-ip", .handler = handler, .ctx = &calls};
	assert_null(sk_server_new(&o, &err));
	assert_int_equal(err.code, -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_routes),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
