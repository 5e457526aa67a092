/* test_audit.c — unit tests for audit/: stageTimestamp parsing, decoding of
 * Event / EventList / arrays / JSON lines with their errors, the bounded
 * queue (order, full, close, a producer thread) and open_params. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/audit.h"

static void test_parse_time(void **state)
{
	(void)state;
	assert_int_equal(sk_audit_parse_time("2018-10-25T14:09:12.581541Z"), 1540476552581541000ULL);
	assert_int_equal(sk_audit_parse_time("1970-01-01T00:00:01Z"), 1000000000ULL);
	assert_int_equal(sk_audit_parse_time("2018-10-25T16:09:12.5+02:00"), 1540476552500000000ULL);
	assert_int_equal(sk_audit_parse_time("2018-10-25T14:09:12.1234567891Z"),
			 1540476552123456789ULL);
	assert_int_equal(sk_audit_parse_time("2000-02-29T00:00:00Z"), 951782400000000000ULL);
	const char *bad[] = {"", "2018-10-25", "2018-10-25T14:09:12", "2018-13-25T14:09:12Z",
			     "2018-10-25T14:09:12.Z", "2018-10-25T14:09:12Zjunk", "x018-10-25T14:09:12Z",
			     "2018-10-25T14:09:12+0200"};
	for (size_t i = 0; i < SK_ARRAY_LEN(bad); i++)
		assert_int_equal(sk_audit_parse_time(bad[i]), 0);
	assert_int_equal(sk_audit_parse_time(NULL), 0);
}

struct got {
	int n;
	char ids[8][16];
	int stop_at;
};

static int collect(void *ctx, json_t *ev)
{
	struct got *g = ctx;
	const char *id = json_string_value(json_object_get(ev, "auditID"));
	if (g->n < 8)
		snprintf(g->ids[g->n], sizeof(g->ids[0]), "%s", id ? id : "?");
	g->n++;
	return g->stop_at && g->n == g->stop_at ? 42 : 0;
}

static int decode(const char *s, size_t max, struct got *g, struct sk_err *err)
{
	memset(g, 0, sizeof(*g));
	sk_err_clear(err);
	return sk_audit_decode(s, strlen(s), max, collect, g, err);
}

static void test_decode_forms(void **state)
{
	(void)state;
	struct got g;
	struct sk_err err;
	assert_int_equal(decode("{\"kind\":\"Event\",\"auditID\":\"a\"}", 0, &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "a");
	assert_int_equal(decode("{\"kind\":\"EventList\",\"items\":[{\"auditID\":\"a\"},"
				"{\"auditID\":\"b\"}]}", 0, &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[1], "b");
	assert_int_equal(decode("[{\"kind\":\"Event\",\"auditID\":\"a\"},{\"kind\":\"EventList\","
				"\"items\":[{\"auditID\":\"b\"}]},[{\"kind\":\"Event\",\"auditID\":\"c\"}]]",
				0, &g, &err), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids[2], "c");
	/* JSON lines, blank lines and CRLF allowed */
	assert_int_equal(decode("{\"kind\":\"Event\",\"auditID\":\"a\"}\r\n\n"
				"{\"kind\":\"Event\",\"auditID\":\"b\"}\n", 0, &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(decode("  \n", 0, &g, &err), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(decode("{\"kind\":\"EventList\"}", 0, &g, &err), 0);
	assert_int_equal(g.n, 0);
	/* the callback's non-zero return stops and is returned */
	memset(&g, 0, sizeof(g));
	g.stop_at = 2;
	const char *three = "[{\"kind\":\"Event\"},{\"kind\":\"Event\"},{\"kind\":\"Event\"}]";
	assert_int_equal(sk_audit_decode(three, strlen(three), 0, collect, &g, NULL), 42);
	assert_int_equal(g.n, 2);
}

static void test_decode_errors(void **state)
{
	(void)state;
	struct got g;
	struct sk_err err;
	/* bad JSON on line 2: position in the whole input, nothing emitted */
	assert_int_equal(decode("{\"kind\":\"Event\"}\n{\"kind\": ,}", 0, &g, &err), -EINVAL);
	assert_int_equal(g.n, 0);
	assert_int_equal(err.line, 2);
	assert_true(err.col > 1);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	assert_int_equal(decode("{\"kind\":\"Ev", 0, &g, &err), -EINVAL);
	assert_int_equal(decode("{\"kind\": 0}", 0, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not recognized"));
	assert_int_equal(decode("\"Event\"", 0, &g, &err), -EINVAL);
	assert_int_equal(decode("[1]", 0, &g, &err), -EINVAL);
	assert_int_equal(decode("{\"kind\":\"EventList\",\"items\":[1]}", 0, &g, &err), -EINVAL);
	assert_int_equal(decode("[{\"kind\":\"Event\"},{\"kind\":\"Event\"}]", 1, &g, &err), -EINVAL);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(err.msg, "limit"));
	assert_int_equal(decode("[{\"kind\":\"Event\"},{\"kind\":\"Event\"}]", 2, &g, &err), 0);
	/* invalid UTF-8 and deep nesting are errors, not crashes */
	assert_int_equal(decode("{\"kind\":\"Event\",\"x\":\"\xff\"}", 0, &g, &err), -EINVAL);
	size_t depth = 100000;
	char *deep = malloc(depth * 2 + 1);
	assert_non_null(deep);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[depth * 2] = 0;
	assert_int_equal(decode(deep, 0, &g, &err), -EINVAL);
	free(deep);
}

static struct sk_audit_event mk(int i)
{
	struct sk_audit_event ev = {.doc = json_pack("{s:i}", "i", i), .ts = (uint64_t)i};
	return ev;
}

static void test_queue_basic(void **state)
{
	(void)state;
	struct sk_audit_queue *q = sk_audit_queue_new(2);
	assert_non_null(q);
	struct sk_audit_event ev = mk(1), out;
	assert_int_equal(sk_audit_queue_pop(q, &out, 0), 0);
	assert_int_equal(sk_audit_queue_push(q, &ev, 0), 0);
	assert_null(ev.doc);
	ev = mk(2);
	assert_int_equal(sk_audit_queue_push(q, &ev, 0), 0);
	ev = mk(3);
	assert_int_equal(sk_audit_queue_push(q, &ev, 10), -EAGAIN); /* full, waited 10 ms */
	assert_non_null(ev.doc);
	struct sk_audit_queue_stats st;
	sk_audit_queue_stats(q, &st);
	assert_int_equal(st.pushed, 2);
	assert_int_equal(st.dropped_full, 1);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.cap, 2);
	assert_int_equal(sk_audit_queue_pop(q, &out, 0), 1);
	assert_int_equal(out.ts, 1);
	sk_audit_event_done(&out);
	assert_int_equal(sk_audit_queue_push(q, &ev, 0), 0);
	sk_audit_queue_close(q);
	ev = mk(4);
	assert_int_equal(sk_audit_queue_push(q, &ev, 0), -EPIPE);
	sk_audit_event_done(&ev);
	assert_int_equal(sk_audit_queue_pop(q, &out, 0), 1); /* drains after close */
	assert_int_equal(out.ts, 2);
	sk_audit_event_done(&out);
	assert_int_equal(sk_audit_queue_pop(q, &out, 50), 1);
	assert_int_equal(out.ts, 3);
	sk_audit_event_done(&out);
	assert_int_equal(sk_audit_queue_pop(q, &out, 50), -EPIPE);
	sk_audit_queue_free(q);
	/* free drops what is left */
	q = sk_audit_queue_new(0);
	ev = mk(5);
	assert_int_equal(sk_audit_queue_push(q, &ev, 0), 0);
	sk_audit_queue_free(q);
	sk_audit_queue_free(NULL);
	sk_audit_event_done(NULL);
}

enum { N_THREAD_EVENTS = 20000 };

static void *producer(void *arg)
{
	struct sk_audit_queue *q = arg;
	for (int i = 0; i < N_THREAD_EVENTS; i++) {
		struct sk_audit_event ev = mk(i);
		while (sk_audit_queue_push(q, &ev, 1000) == -EAGAIN)
			;
	}
	sk_audit_queue_close(q);
	return NULL;
}

static void test_queue_threads(void **state)
{
	(void)state;
	struct sk_audit_queue *q = sk_audit_queue_new(16);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, q), 0);
	int next = 0, rc;
	struct sk_audit_event out;
	while ((rc = sk_audit_queue_pop(q, &out, 1000)) != -EPIPE) {
		if (rc == 0)
			continue;
		assert_int_equal(out.ts, (uint64_t)next); /* in order, nothing lost */
		next++;
		sk_audit_event_done(&out);
	}
	assert_int_equal(next, N_THREAD_EVENTS);
	pthread_join(t, NULL);
	struct sk_audit_queue_stats st;
	sk_audit_queue_stats(q, &st);
	assert_int_equal(st.popped, N_THREAD_EVENTS);
	assert_int_equal(st.dropped_full, 0);
	sk_audit_queue_free(q);
}

static void test_open_params(void **state)
{
	(void)state;
	struct sk_audit_cfg c = {0};
	struct sk_err err;
	assert_int_equal(sk_audit_cfg_open_params(&c, "http://:9765/k8s-audit", &err), 0);
	assert_int_equal(c.kind, SK_AUDIT_HTTP);
	assert_string_equal(c.address, "");
	assert_int_equal(c.port, 9765);
	assert_string_equal(c.path, "/k8s-audit");
	assert_false(c.tls);
	assert_int_equal(c.max_event_size, 262144);
	assert_int_equal(c.queue_cap, 4096);
	assert_int_equal(sk_audit_cfg_open_params(&c, "https://[::1]:0/a/b", &err), 0);
	assert_true(c.tls);
	assert_string_equal(c.address, "::1");
	assert_int_equal(c.port, 0);
	assert_string_equal(c.path, "/a/b");
	assert_int_equal(sk_audit_cfg_open_params(&c, "http://127.0.0.1:8765", &err), 0);
	assert_string_equal(c.address, "127.0.0.1");
	assert_string_equal(c.path, "/");
	sk_audit_cfg_done(&c);
	assert_int_equal(sk_audit_cfg_open_params(&c, "file:///var/log/audit.json", &err), 0);
	assert_int_equal(c.kind, SK_AUDIT_FILE);
	assert_string_equal(c.file, "/var/log/audit.json");
	assert_int_equal(sk_audit_cfg_open_params(&c, "trace/x.json", &err), 0);
	assert_string_equal(c.file, "trace/x.json");
	sk_audit_cfg_done(&c);
	const char *bad[] = {"", "http://:99999/x", "http://host/x", "http://[::1/x", "ftp://x",
			     "file://", "http://:12a/x"};
	for (size_t i = 0; i < SK_ARRAY_LEN(bad); i++) {
		sk_err_clear(&err);
		assert_int_equal(sk_audit_cfg_open_params(&c, bad[i], &err), -EINVAL);
		assert_true(err.msg[0] != 0);
		sk_audit_cfg_done(&c);
	}
	sk_audit_cfg_done(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),   cmocka_unit_test(test_decode_forms),
		cmocka_unit_test(test_decode_errors), cmocka_unit_test(test_queue_basic),
		cmocka_unit_test(test_queue_threads), cmocka_unit_test(test_open_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
