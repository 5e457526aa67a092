/* test_event.c — unit tests for the event table, decoder and builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "event/event.h"

static void test_table(void **state)
{
	(void)state;
	const struct sk_event_info *i = sk_event_info_get(293);
	assert_string_equal(i->name, "execve");
	assert_int_equal(i->dir, 'X');
	assert_int_equal(i->nparams, 31);
	assert_string_equal(i->params[30].name, "filename");
	assert_int_equal(sk_event_param_index(i, "cwd"), 6);
	assert_true(sk_event_large(322));
	assert_false(sk_event_large(3));
	const struct sk_event_info *open_x = sk_event_info_get(3);
	assert_non_null(open_x->params[2].flags);
	assert_string_equal(open_x->params[2].flags->name, "file_flags");
	assert_null(sk_event_info_get(SK_EVENT_MAX));
}

static void test_build_and_decode(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event_builder eb;
	sk_event_build_begin(&eb, &b, 1000, 42, 3, 6); /* open_X */
	sk_event_build_u64(&eb, 3, 8);
	sk_event_build_str(&eb, "/etc/passwd");
	sk_event_build_u64(&eb, 4097, 4);
	sk_event_build_u64(&eb, 0, 4);
	sk_event_build_param(&eb, NULL, 0);
	sk_event_build_param(&eb, NULL, 0);
	assert_int_equal(sk_event_build_end(&eb), 0);

	struct sk_event ev;
	struct sk_err err;
	sk_err_clear(&err);
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, b.len, &err), 0);
	assert_int_equal(ev.ts, 1000);
	assert_int_equal(ev.tid, 42);
	assert_int_equal(ev.nparams, 6);
	int64_t fd;
	assert_true(sk_event_get_s64(&ev, 0, &fd));
	assert_int_equal(fd, 3);
	assert_string_equal(sk_event_get_str(&ev, 1), "/etc/passwd");
	uint64_t flags;
	assert_true(sk_event_get_u64(&ev, 2, &flags));
	assert_int_equal(flags, 4097);
	assert_false(sk_event_get_u64(&ev, 4, &flags)); /* empty */

	/* Every truncation of the record is rejected, never over-read. */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, n, &err), -EINVAL);
	sk_buf_done(&b);
}

static void test_decode_bad_lengths(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event_builder eb;
	sk_event_build_begin(&eb, &b, 1, 1, 5, 2); /* close_X */
	sk_event_build_u64(&eb, 0, 8);
	sk_event_build_u64(&eb, 3, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_event ev;
	struct sk_err err;
	uint16_t big = 0x4000;
	memcpy(b.data + SK_EVENT_HDR_LEN, &big, 2); /* param 0 overruns */
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, b.len, &err), -EINVAL);
	uint16_t badtype = SK_EVENT_MAX;
	memcpy(b.data + 20, &badtype, 2);
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, b.len, &err), -EINVAL);
	sk_buf_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_build_and_decode),
		cmocka_unit_test(test_decode_bad_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
