/* test_state_replay.c — replays real captures (../shared/fixtures/traces)
 * through the state and checks facts sysdig reports for them. Skips when the
 * fixtures are absent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "state/state.h"

static void test_cat_write(void **state)
{
	(void)state;
	const char *path = SK_FIXTURES "/traces/cat_write.scap";
	if (access(path, R_OK) != 0) {
		print_message("SKIP: %s absent\n", path);
		skip();
	}
	struct sk_state *st = sk_state_new(NULL);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_scap_reader *r = sk_scap_open(path, &ops, &err);
	assert_non_null(r);
	struct sk_event ev;
	int rc;
	bool seen = false;
	while ((rc = sk_scap_next(r, &ev, &err)) == 1) {
		sk_state_update(st, &ev);
		/* sysdig: cat's first open returning 3 is /etc/ld.so.cache */
		struct sk_thread *t = sk_state_cur_thread(st);
		if (!seen && t && !strcmp(t->comm.s, "cat") && sk_state_fd(st, t, 3)) {
			assert_string_equal(sk_state_fd(st, t, 3)->name.s, "/etc/ld.so.cache");
			assert_string_equal(sk_thread_container_id(t), "host");
			seen = true;
		}
		sk_state_post(st, &ev);
	}
	assert_int_equal(rc, 0);
	assert_true(seen);
	sk_scap_close(r);
	sk_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cat_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
