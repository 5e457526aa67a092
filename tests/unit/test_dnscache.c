/* test_dnscache.c — the fd.*ip.name resolver (src/fields/dnscache.c): names
 * resolved through getaddrinfo (localhost from /etc/hosts), an address found
 * by its names only while they are active, a name that does not resolve
 * matching nothing, the counters, and a stop/restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fields/fields.h"

static const uint8_t LO4[4] = {127, 0, 0, 1};
static const uint8_t OTHER4[4] = {127, 0, 0, 9};

static void test_resolve_and_match(void **state)
{
	(void)state;
	struct sk_err err;
	sk_err_clear(&err);
	const char *names[] = {"localhost", "no-such-host.invalid"};
	assert_int_equal(sk_dnscache_set_names(names, 2, 5000, &err), 0);
	const char *out[4];
	size_t n = sk_dnscache_names_of(LO4, false, out, 4);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "localhost");
	assert_int_equal(sk_dnscache_names_of(OTHER4, false, out, 4), 0);
	struct sk_dnscache_stats st;
	sk_dnscache_stats(&st);
	assert_int_equal(st.names, 2);
	assert_true(st.resolutions >= 1);
	assert_true(st.failures >= 1);
	/* a reload without localhost: it no longer matches */
	const char *only[] = {"no-such-host.invalid"};
	assert_int_equal(sk_dnscache_set_names(only, 1, 5000, &err), 0);
	assert_int_equal(sk_dnscache_names_of(LO4, false, out, 4), 0);
	sk_dnscache_stats(&st);
	assert_int_equal(st.names, 1);
	/* and back */
	assert_int_equal(sk_dnscache_set_names(names, 2, 5000, &err), 0);
	assert_int_equal(sk_dnscache_names_of(LO4, false, out, 4), 1);
	sk_dnscache_stop();
	assert_int_equal(sk_dnscache_names_of(LO4, false, out, 4), 0);
}

static void test_refresh_and_restart(void **state)
{
	(void)state;
	struct sk_err err;
	sk_err_clear(&err);
	sk_dnscache_set_refresh(1);
	const char *names[] = {"localhost"};
	assert_int_equal(sk_dnscache_set_names(names, 1, 5000, &err), 0);
	struct sk_dnscache_stats a, b;
	sk_dnscache_stats(&a);
	struct timespec ts = {2, 200000000};
	nanosleep(&ts, NULL);
	sk_dnscache_stats(&b);
	assert_true(b.resolutions >= a.resolutions + 1); /* refreshed in the background */
	sk_dnscache_set_refresh(0);
	sk_dnscache_stop();
}

static void test_no_names(void **state)
{
	(void)state;
	struct sk_err err;
	sk_err_clear(&err);
	assert_int_equal(sk_dnscache_set_names(NULL, 0, 5000, &err), 0);
	const char *out[1];
	assert_int_equal(sk_dnscache_names_of(LO4, false, out, 1), 0);
	sk_dnscache_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_and_match),
		cmocka_unit_test(test_refresh_and_restart),
		cmocka_unit_test(test_no_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
