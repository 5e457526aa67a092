/* test_util.c — unit tests for util/: buffers, maps, arena, parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/util.h"

static void test_buf_bounded(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 8);
	assert_int_equal(sk_buf_puts(&b, "abcd"), 0);
	assert_int_equal(sk_buf_printf(&b, "%d", 123), 0);
	assert_string_equal(sk_buf_cstr(&b), "abcd123");
	assert_int_equal(sk_buf_puts(&b, "xy"), -E2BIG);
	assert_string_equal(sk_buf_cstr(&b), "abcd123");
	sk_buf_reset(&b);
	assert_string_equal(sk_buf_cstr(&b), "");
	sk_buf_done(&b);
}

static void test_u64map(void **state)
{
	(void)state;
	struct sk_u64map m;
	sk_u64map_init(&m, 0);
	for (uint64_t i = 1; i <= 10000; i++)
		assert_int_equal(sk_u64map_put(&m, i * 7, (void *)(uintptr_t)i), 0);
	assert_int_equal(m.count, 10000);
	for (uint64_t i = 1; i <= 10000; i += 2)
		assert_ptr_equal(sk_u64map_del(&m, i * 7), (void *)(uintptr_t)i);
	assert_null(sk_u64map_get(&m, 7));
	assert_ptr_equal(sk_u64map_get(&m, 14), (void *)(uintptr_t)2);
	size_t it = 0, n = 0;
	uint64_t k;
	void *v;
	while (sk_u64map_next(&m, &it, &k, &v))
		n++;
	assert_int_equal(n, 5000);
	sk_u64map_done(&m);

	sk_u64map_init(&m, 2);
	assert_int_equal(sk_u64map_put(&m, 1, &m), 0);
	assert_int_equal(sk_u64map_put(&m, 2, &m), 0);
	assert_int_equal(sk_u64map_put(&m, 3, &m), -ENOSPC);
	assert_int_equal(sk_u64map_put(&m, 2, NULL), 0); /* replace is fine at the limit */
	sk_u64map_done(&m);
}

static void test_strmap(void **state)
{
	(void)state;
	struct sk_strmap m;
	sk_strmap_init(&m);
	char key[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_int_equal(sk_strmap_put(&m, key, (void *)(uintptr_t)(i + 1)), 0);
	}
	assert_ptr_equal(sk_strmap_get(&m, "key-1999"), (void *)(uintptr_t)2000);
	assert_null(sk_strmap_get(&m, "key-2000"));
	assert_true(sk_strmap_hasn(&m, "key-10xx", 6));
	assert_ptr_equal(sk_strmap_deln(&m, "key-5", 5), (void *)(uintptr_t)6);
	assert_false(sk_strmap_hasn(&m, "key-5", 5));
	assert_int_equal(m.count, 1999);
	sk_strmap_done(&m);
}

static void test_arena(void **state)
{
	(void)state;
	struct sk_arena a;
	sk_arena_init(&a, 128);
	char *s = sk_arena_strdup(&a, "hello");
	void *big = sk_arena_alloc(&a, 1000);
	assert_non_null(big);
	assert_string_equal(s, "hello");
	assert_int_equal((uintptr_t)big % 16, 0);
	sk_arena_done(&a);
}

static void test_parse(void **state)
{
	(void)state;
	int64_t i;
	uint64_t u;
	assert_int_equal(sk_parse_i64("-42", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(sk_parse_i64("12x", &i), -EINVAL);
	assert_int_equal(sk_parse_i64("", &i), -EINVAL);
	assert_int_equal(sk_parse_u64("18446744073709551615", &u), 0);
	assert_int_equal(sk_parse_u64("18446744073709551616", &u), -ERANGE);
	assert_int_equal(sk_parse_u64("-1", &u), -EINVAL);
}

static void test_err_format(void **state)
{
	(void)state;
	struct sk_err e;
	char out[256];
	sk_err_clear(&e);
	sk_strlcpy(e.file, "rules.yaml", sizeof(e.file));
	sk_err_set_at(&e, -EINVAL, 3, 7, "bad %s", "thing");
	sk_err_format(&e, out, sizeof(out));
	assert_string_equal(out, "rules.yaml:3:7: bad thing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_bounded), cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_strmap),      cmocka_unit_test(test_arena),
		cmocka_unit_test(test_parse),       cmocka_unit_test(test_err_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
