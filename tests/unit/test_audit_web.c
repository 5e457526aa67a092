/* test_audit_web.c — unit tests for the k8s audit webhook (audit/webhook.c)
 * over real HTTP on loopback (libcurl): an Event, an EventList and an array
 * queued with their times; 405, 415, 413 (body and event count), 400 (bad
 * JSON, wrong kinds, invalid UTF-8, deep nesting), 503 with a full queue
 * (nothing queued), oversized events dropped, the bearer token, and the
 * webhook attached to another server (Falco 0.2x's one-port form). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "http_client.h"
#include "server/server.h"

#define EV(id) "{\"kind\":\"Event\",\"auditID\":\"" id "\",\"stage\":\"ResponseComplete\"," \
	       "\"stageTimestamp\":\"2018-10-25T14:09:12.581541Z\"}"

static const char *host = "127.0.0.1";

/* One request; returns the status (-1 when it failed) and the body in *r. */
static long http(uint16_t port, const char *method, const char *path, const char *ctype,
		 const char *auth, const char *body, size_t len, struct http_resp *r)
{
	char url[128];
	snprintf(url, sizeof(url), "http://%s:%u%s", host, port, path);
	struct http_req q = {.method = method, .url = url, .ctype = ctype, .auth = auth,
			     .body = body, .len = len};
	return http_do(&q, r);
}

static long post(uint16_t port, const char *body, struct http_resp *r)
{
	return http(port, "POST", "/k8s-audit", "application/json", NULL, body, strlen(body), r);
}

/* Pops everything queued; returns how many, checking each event's times. */
static int drain(struct sk_audit_queue *q, char ids[][16], int max)
{
	struct sk_audit_event ev;
	int n = 0;
	while (sk_audit_queue_pop(q, &ev, 0) == 1) {
		assert_true(ev.recv_ns > 1700000000000000000ULL);
		const char *id = json_string_value(json_object_get(ev.doc, "auditID"));
		if (id && id[0] != 'L') /* the large test event has no stageTimestamp */
			assert_int_equal(ev.ts, 1540476552581541000ULL);
		if (n < max && ids)
			snprintf(ids[n], 16, "%s", id ? id : "");
		n++;
		sk_audit_event_done(&ev);
	}
	return n;
}

struct fixture {
	struct sk_audit_cfg c;
	struct sk_audit_queue *q;
	struct sk_audit_web *w;
	uint16_t port;
};

static void start(struct fixture *f, const char *token_file)
{
	memset(f, 0, sizeof(*f));
	f->c = (struct sk_audit_cfg){.kind = SK_AUDIT_HTTP,
				     .address = host[0] == '[' ? "::1" : "127.0.0.1",
				     .path = "/k8s-audit", .max_event_size = 300,
				     .max_body = 4096, .max_batch = 5, .queue_cap = 8,
				     .bearer_token_file = (char *)token_file};
	f->q = sk_audit_queue_new(f->c.queue_cap);
	assert_non_null(f->q);
	struct sk_err err;
	sk_err_clear(&err);
	f->w = sk_audit_web_new(&f->c, f->q, &err);
	if (!f->w)
		fail_msg("%s", err.msg);
	f->port = sk_audit_web_port(f->w);
	assert_true(f->port > 0);
}

static void stop(struct fixture *f)
{
	sk_audit_web_free(f->w);
	sk_audit_queue_free(f->q);
}

static void test_accepts(void **state)
{
	(void)state;
	struct fixture f;
	start(&f, NULL);
	struct http_resp r;
	char ids[8][16];
	assert_int_equal(post(f.port, EV("a1"), &r), 200);
	assert_non_null(strstr(r.body, "\"queued\": 1"));
	assert_int_equal(drain(f.q, ids, 8), 1);
	assert_string_equal(ids[0], "a1");
	assert_int_equal(post(f.port, "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
				      "\"items\":[" EV("b1") "," EV("b2") "," EV("b3") "]}", &r), 200);
	assert_int_equal(post(f.port, "[" EV("c1") "," EV("c2") "]", &r), 200);
	assert_int_equal(drain(f.q, ids, 8), 5);
	assert_string_equal(ids[0], "b1");
	assert_string_equal(ids[4], "c2");
	/* charset and case of the media type do not matter */
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "Application/JSON; charset=utf-8", NULL,
			      EV("d1"), strlen(EV("d1")), &r), 200);
	assert_int_equal(drain(f.q, NULL, 0), 1);
	struct sk_audit_web_stats s;
	sk_audit_web_stats(f.w, &s);
	assert_int_equal(s.requests, 4);
	assert_int_equal(s.events, 7);
	stop(&f);
}

static void test_rejects(void **state)
{
	(void)state;
	struct fixture f;
	start(&f, NULL);
	struct http_resp r;
	const char *ev = EV("x");
	assert_int_equal(http(f.port, "GET", "/k8s-audit", NULL, NULL, NULL, 0, &r), 405);
	assert_int_equal(http(f.port, "PUT", "/k8s-audit", "application/json", NULL, ev,
			      strlen(ev), &r), 405);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "text/plain", NULL, ev, strlen(ev), &r),
			 415);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", NULL, NULL, ev, strlen(ev), &r), 415);
	static char big[8192];
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, ev, strlen(ev));
	assert_int_equal(post(f.port, big, &r), 413);
	assert_int_equal(post(f.port, "[" EV("1") "," EV("2") "," EV("3") "," EV("4") "," EV("5")
				      "," EV("6") "]", &r), 413);
	assert_non_null(strstr(r.body, "limit 5"));
	/* bad JSON: 400 with the position */
	assert_int_equal(post(f.port, "{\"kind\":\"Event\",\n\"auditID\":", &r), 400);
	assert_non_null(strstr(r.body, "line 2, column"));
	assert_int_equal(post(f.port, "{\"kind\": 0}", &r), 400);
	assert_int_equal(post(f.port, "{\"kind\":\"EventList\",\"items\":[1]}", &r), 400);
	assert_int_equal(post(f.port, "\"Event\"", &r), 400);
	assert_int_equal(post(f.port, "{\"kind\":\"Event\",\"user\":\"\xff\xfe\"}", &r), 400);
	static char deep[3000];
	memset(deep, '[', sizeof(deep) - 1);
	assert_int_equal(post(f.port, deep, &r), 400);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json", NULL, "", 0, &r),
			 200);
	assert_int_equal(drain(f.q, NULL, 0), 0);
	struct sk_audit_web_stats s;
	sk_audit_web_stats(f.w, &s);
	assert_int_equal(s.bad_method, 2);
	assert_int_equal(s.bad_type, 2);
	assert_int_equal(s.too_large, 2);
	assert_int_equal(s.bad_json, 6);
	assert_int_equal(s.requests, 13);
	assert_int_equal(s.events, 0);
	stop(&f);
}

static void test_queue_full_and_large_events(void **state)
{
	(void)state;
	struct fixture f;
	start(&f, NULL);
	struct http_resp r;
	const char *five = "[" EV("1") "," EV("2") "," EV("3") "," EV("4") "," EV("5") "]";
	assert_int_equal(post(f.port, five, &r), 200);
	/* 5 of 8 used: a body of 5 does not fit and nothing of it is queued */
	assert_int_equal(post(f.port, five, &r), 503);
	assert_int_equal(post(f.port, "[" EV("6") "," EV("7") "," EV("8") "]", &r), 200);
	assert_int_equal(post(f.port, EV("9"), &r), 503);
	assert_int_equal(drain(f.q, NULL, 0), 8);
	/* an event above max_event_size (300) is dropped, the others stay */
	char body[2048];
	snprintf(body, sizeof(body), "[{\"kind\":\"Event\",\"auditID\":\"L\",\"pad\":\"%0400d\"},%s]",
		 0, EV("small"));
	assert_int_equal(post(f.port, body, &r), 200);
	char ids[4][16];
	assert_int_equal(drain(f.q, ids, 4), 1);
	assert_string_equal(ids[0], "small");
	struct sk_audit_web_stats s;
	sk_audit_web_stats(f.w, &s);
	assert_int_equal(s.queue_full, 2);
	assert_int_equal(s.event_too_large, 1);
	assert_int_equal(s.events, 9);
	stop(&f);
}

static void test_bearer(void **state)
{
	(void)state;
	char path[] = "/tmp/sk-token-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret-token\n", 13), 13);
	close(fd);
	struct fixture f;
	start(&f, path);
	struct http_resp r;
	const char *ev = EV("t");
	size_t n = strlen(ev);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json", NULL, ev, n, &r),
			 401);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json", "Basic eDp5", ev, n,
			      &r), 401);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json",
			      "Bearer s3cret-toke", ev, n, &r), 403);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json",
			      "Bearer s3cret-token2", ev, n, &r), 403);
	assert_int_equal(http(f.port, "POST", "/k8s-audit", "application/json",
			      "bearer s3cret-token", ev, n, &r), 200);
	struct sk_audit_web_stats s;
	sk_audit_web_stats(f.w, &s);
	assert_int_equal(s.unauthorized, 4);
	assert_int_equal(drain(f.q, NULL, 0), 1);
	stop(&f);
	/* an empty or missing token file is an error */
	struct sk_err err;
	sk_err_clear(&err);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	struct sk_audit_cfg c = {.kind = SK_AUDIT_HTTP, .address = "127.0.0.1",
				 .bearer_token_file = path};
	assert_null(sk_audit_web_new(&c, f.q, &err));
	assert_non_null(strstr(err.msg, "empty"));
	unlink(path);
	assert_null(sk_audit_web_new(&c, f.q, &err));
	assert_non_null(strstr(err.msg, "bearer_token_file"));
	/* https without a certificate, client_ca without https */
	c.bearer_token_file = NULL;
	c.tls = true;
	assert_null(sk_audit_web_new(&c, f.q, &err));
	c.tls = false;
	c.client_ca = "/etc/ssl/certs/ca-certificates.crt";
	assert_null(sk_audit_web_new(&c, f.q, &err));
}

static int get_handler(void *ctx, const char *path, struct sk_buf *body, const char **ctype);

struct hammer {
	uint16_t port;
	_Atomic int stop, ok, gone;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct http_resp r;
	while (!h->stop) {
		long st = http(h->port, "POST", "/k8s_audit", "application/json", NULL, EV("h"),
			       strlen(EV("h")), &r);
		h->ok += st == 200 || st == 503;
		h->gone += st == 405;
	}
	return NULL;
}

/* Removing the endpoint while requests keep coming returns promptly, and
 * the path is gone afterwards. */
static void test_free_under_load(void **state)
{
	(void)state;
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "127.0.0.1", .threads = 2, .handler = get_handler};
	struct sk_server *s = sk_server_new(&o, &err);
	assert_non_null(s);
	struct sk_audit_queue *q = sk_audit_queue_new(64);
	struct sk_audit_cfg c = {.kind = SK_AUDIT_HTTP, .path = "/k8s_audit"};
	struct sk_audit_web *w = sk_audit_web_attach(s, &c, q, &err);
	assert_non_null(w);
	struct hammer h = {.port = sk_server_port(s)};
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h), 0);
	while (h.ok < 50)
		usleep(1000);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	sk_audit_web_free(w);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 2);
	int gone = h.gone;
	while (h.gone < gone + 10)
		usleep(1000);
	h.stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	sk_server_free(s);
	sk_audit_queue_free(q);
}

static void test_ipv6(void **state)
{
	(void)state;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool v6 = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (!v6)
		skip(); /* no IPv6 loopback here */
	host = "[::1]";
	struct fixture f;
	start(&f, NULL);
	struct http_resp r;
	assert_int_equal(post(f.port, EV("v6"), &r), 200);
	assert_int_equal(drain(f.q, NULL, 0), 1);
	stop(&f);
	host = "127.0.0.1";
}

static int get_handler(void *ctx, const char *path, struct sk_buf *body, const char **ctype)
{
	(void)ctx;
	(void)ctype;
	if (!strcmp(path, "/healthz"))
		return sk_buf_puts(body, "ok") ? 500 : 200;
	return sk_buf_puts(body, "no") ? 500 : 404;
}

static void test_attach(void **state)
{
	(void)state;
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_server_opts o = {.address = "127.0.0.1", .threads = 1, .handler = get_handler};
	struct sk_server *s = sk_server_new(&o, &err);
	assert_non_null(s);
	struct sk_audit_queue *q = sk_audit_queue_new(4);
	struct sk_audit_cfg c = {.kind = SK_AUDIT_HTTP, .path = "/k8s_audit"};
	struct sk_audit_web *w = sk_audit_web_attach(s, &c, q, &err);
	if (!w)
		fail_msg("%s", err.msg);
	uint16_t port = sk_server_port(s);
	assert_int_equal(sk_audit_web_port(w), port);
	struct http_resp r;
	assert_int_equal(http(port, "GET", "/healthz", NULL, NULL, NULL, 0, &r), 200);
	assert_int_equal(http(port, "POST", "/k8s_audit", "application/json", NULL, EV("z"),
			      strlen(EV("z")), &r), 200);
	assert_int_equal(drain(q, NULL, 0), 1);
	/* the same path twice */
	assert_null(sk_audit_web_attach(s, &c, q, &err));
	assert_int_equal(err.code, -EEXIST);
	/* client certificates need a server with TLS and a CA */
	c.path = "/other";
	c.client_ca = "/nonexistent";
	assert_null(sk_audit_web_attach(s, &c, q, &err));
	sk_audit_web_free(w);
	assert_int_equal(http(port, "POST", "/k8s_audit", "application/json", NULL, EV("z"),
			      strlen(EV("z")), &r), 405);
	assert_int_equal(http(port, "GET", "/healthz", NULL, NULL, NULL, 0, &r), 200);
	sk_server_free(s);
	sk_audit_queue_free(q);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_queue_full_and_large_events),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_free_under_load),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
