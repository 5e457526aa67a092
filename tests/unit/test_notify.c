/* test_notify.c — sk_app_notify_ready sends READY=1 to $NOTIFY_SOCKET (as
 * systemd's Type=notify reads it) and is a no-op without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/notify.h"

static void test_no_socket_is_a_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sk_app_notify_ready("x"), 0);
}

static void test_ready_reaches_the_socket(void **state)
{
	(void)state;
#ifndef SK_HAVE_LIBSYSTEMD
	skip();
#endif
	char path[] = "/tmp/sk-notify-XXXXXX";
	assert_non_null(mkdtemp(path));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	assert_int_equal(sk_app_notify_ready("watching"), 0);
	char buf[256] = {0};
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	assert_string_equal(buf, "READY=1\nSTATUS=watching");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(sa.sun_path);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_socket_is_a_noop),
		cmocka_unit_test(test_ready_reaches_the_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
