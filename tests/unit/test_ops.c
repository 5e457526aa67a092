/* test_ops.c — unit tests for app/'s operations helpers: SHA-256 (FIPS
 * 180-4 vectors), the Prometheus text writers and label escaping, the extra
 * metrics hook, and the per-rule rate limit's token bucket and the note it
 * adds to the next alert. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/ops.h"
#include "app/sha256.h"
#include "config/config.h"
#include "output/output.h"

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	sk_sha256("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sk_sha256("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sk_sha256(two, strlen(two), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *m = malloc(1000000);
	memset(m, 'a', 1000000);
	sk_sha256(m, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
	assert_int_equal(sk_sha256_file("/nonexistent", hex), -ENOENT);
}

static void extra(void *ctx, struct sk_app_prom *p)
{
	sk_app_prom_family(p, "saker_test_total", "counter", "a test");
	sk_app_prom_u64(p, "saker_test_total", "k=\"v\"", *(uint64_t *)ctx);
}

static void test_prom_writers_and_hook(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_app_prom_escape(&b, "a\"b\\c\nd"), 0);
	assert_string_equal(sk_buf_cstr(&b), "a\\\"b\\\\c\\nd");
	sk_buf_reset(&b);
	uint64_t v = 42;
	assert_int_equal(sk_app_metrics_register(extra, &v), 0);
	assert_int_equal(sk_app_metrics_text(&b), 0);
	const char *t = sk_buf_cstr(&b);
	assert_non_null(strstr(t, "# HELP saker_test_total a test\n# TYPE saker_test_total counter\n"
				  "saker_test_total{k=\"v\"} 42\n"));
	assert_non_null(strstr(t, "# TYPE falcosecurity_falco_version_info gauge\n"
				  "falcosecurity_falco_version_info{version=\"0.44.1\"} 1\n"));
	sk_app_metrics_unregister(extra, &v);
	sk_buf_reset(&b);
	assert_int_equal(sk_app_metrics_text(&b), 0);
	assert_null(strstr(sk_buf_cstr(&b), "saker_test_total"));
	for (int i = 0; i < SK_APP_METRICS_MAX_EXTRA; i++)
		assert_int_equal(sk_app_metrics_register(extra, &v), 0);
	assert_int_equal(sk_app_metrics_register(extra, &v), -ENOSPC);
	sk_app_metrics_unregister(extra, &v);
	sk_buf_done(&b);
}

static struct sk_config *cfg(const char *yaml)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_config_opts o = {.path = "t.yaml", .yaml = yaml};
	struct sk_config *c = sk_config_load(&o, &err);
	if (!c)
		fail_msg("%s", err.msg);
	return c;
}

static void test_ratelimit(void **state)
{
	(void)state;
	struct sk_config *off = cfg("json_output: false\n");
	assert_null(sk_app_ratelimit_new(off, 4));
	sk_config_free(off);
	struct sk_config *k = cfg("rules_rate_limit: {rate: 2, max_burst: 3}\n");
	struct sk_app_ratelimit *r = sk_app_ratelimit_new(k, 4);
	assert_non_null(r);
	uint64_t s, t = 1000000000000ull;
	int ok = 0;
	for (int i = 0; i < 10; i++)
		ok += sk_app_ratelimit_allow(r, 1, t, &s);
	assert_int_equal(ok, 3); /* the burst */
	assert_true(sk_app_ratelimit_allow(r, 2, t, &s)); /* other rules have their own */
	/* one second later: 2 tokens; the first passing alert reports 7 suppressed */
	assert_true(sk_app_ratelimit_allow(r, 1, t + 1000000000ull, &s));
	assert_int_equal(s, 7);
	assert_true(sk_app_ratelimit_allow(r, 1, t + 1000000000ull, &s));
	assert_int_equal(s, 0);
	assert_false(sk_app_ratelimit_allow(r, 1, t + 1000000000ull, &s));
	assert_true(sk_app_ratelimit_allow(r, 99, t, &s)); /* unknown rule id: not limited */
	assert_int_equal(sk_app_ratelimit_resize(r, 8), 0);
	assert_true(sk_app_ratelimit_allow(r, 1, t + 1000000000ull, &s)); /* full again */
	sk_app_ratelimit_free(r);
	sk_config_free(k);

	const char *keys[] = {"a"}, *vals[] = {"b"};
	struct sk_alert *a = sk_alert_new_internal("r", 4, t, "msg", keys, vals, 1);
	assert_int_equal(sk_app_ratelimit_annotate(a, 5), 0);
	assert_string_equal(a->message, "msg (a=\"b\") (5 earlier alerts of this rule suppressed by "
			    "the rate limit)");
	assert_string_equal(a->fields_json, "{\"a\":\"b\",\"saker.suppressed\":5}");
	sk_alert_free(a);
	a = sk_alert_new_internal("r", 4, t, "m", NULL, NULL, 0);
	assert_int_equal(sk_app_ratelimit_annotate(a, 1), 0);
	assert_string_equal(a->fields_json, "{\"saker.suppressed\":1}");
	sk_alert_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_prom_writers_and_hook),
		cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
