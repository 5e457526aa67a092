/* test_probe.c — the eBPF probe against real syscalls: each test performs a
 * syscall (success and failure), reads the event the probe produced for this
 * thread and checks every parameter. Needs root and kernel BTF; otherwise
 * every test is skipped with a loud message. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/driver.h"

static struct sk_driver *drv;
static const char *skip_why;
static char tmpdir[64];

static int setup_all(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip_why = "not root";
	} else {
		struct sk_err err;
		sk_err_clear(&err);
		struct sk_driver_opts o = {.ring_bytes = 4u << 20, .verbose = true};
		drv = sk_driver_open(&o, &err);
		if (!drv) {
			fprintf(stderr, "test_probe: cannot open the probe: %s\n", err.msg);
			if (err.code == -EPERM || err.code == -ENOENT || err.code == -ENOTSUP)
				skip_why = err.msg;
			else
				return -1; /* a real failure (verifier, maps) must fail the suite */
		} else {
			bool all[SK_EVENT_MAX] = {0};
			size_t it = 0;
			uint16_t code;
			while (sk_driver_supported_next(&it, &code))
				all[code] = true;
			if (sk_driver_select(drv, all) != 0)
				return -1;
		}
	}
	if (skip_why)
		fprintf(stderr, "\n*** test_probe: SKIPPING every probe test: %s ***\n\n", skip_why);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sk_probe_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	sk_driver_free(drv);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

#define NEED_PROBE()                                                                         \
	do {                                                                                 \
		if (!drv) {                                                                  \
			fprintf(stderr, "test_probe: skipped (%s)\n", skip_why);             \
			skip();                                                              \
		}                                                                            \
	} while (0)

/* Discards everything already in the rings. */
static void drain(void)
{
	struct sk_event ev;
	struct sk_err err;
	while (sk_driver_next(drv, &ev, 0, &err) == 1)
		;
}

/* Waits (up to 2 s) for the next event of `type` from thread `tid`. */
static bool wait_event(struct sk_event *ev, uint16_t type, int64_t tid)
{
	struct sk_err err;
	for (int spins = 0; spins < 400000; spins++) {
		int rc = sk_driver_next(drv, ev, 20, &err);
		if (rc < 0)
			return false;
		if (rc == 0) {
			if (spins > 100)
				break;
			continue;
		}
		if (ev->type == type && ev->tid == tid)
			return true;
	}
	return false;
}

static int64_t my_tid(void)
{
	return (int64_t)syscall(SYS_gettid);
}

static int64_t ps64(const struct sk_event *ev, unsigned i)
{
	int64_t v = 0;
	assert_true(sk_event_get_s64(ev, i, &v));
	return v;
}

static uint64_t pu64(const struct sk_event *ev, unsigned i)
{
	uint64_t v = 0;
	assert_true(sk_event_get_u64(ev, i, &v));
	return v;
}

static const char *pstr(const struct sk_event *ev, unsigned i)
{
	const char *s = sk_event_get_str(ev, i);
	if (!s)
		fail_msg("%s: param %u (%s) is not a string (len %u)", ev->info->name, i,
			 i < ev->info->nparams ? ev->info->params[i].name : "?", ev->plen[i]);
	return s;
}

static void assert_empty(const struct sk_event *ev, unsigned i)
{
	assert_true(i < ev->nparams);
	assert_int_equal(ev->plen[i], 0);
}

/* Checks that the event has every param of its table entry. */
static void assert_shape(const struct sk_event *ev)
{
	assert_int_equal(ev->nparams, ev->info->nparams);
	assert_int_equal(ev->info->dir, ev->type == 186 ? 'E' : 'X');
}

#define GET(type, tid)                                                                       \
	struct sk_event ev;                                                                  \
	assert_true(wait_event(&ev, (type), (tid)));                                         \
	assert_shape(&ev)

/* A DYN parameter holding (index 0) a u64. */
static void check_dyn_u64(const struct sk_event *ev, unsigned i, uint64_t want)
{
	uint32_t len;
	const uint8_t *d = sk_event_param(ev, i, &len);
	assert_int_equal(len, 9);
	assert_int_equal(d[0], 0);
	uint64_t v;
	memcpy(&v, d + 1, 8);
	assert_int_equal(v, want);
}

static void inet_addr_port(struct sockaddr_in *sa, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* ---- file events ----------------------------------------------------------- */

static void test_openat(void **state)
{
	(void)state;
	NEED_PROBE();
	char path[128];
	snprintf(path, sizeof(path), "%s/new_file", tmpdir);
	drain();
	int fd = openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	{
		GET(307, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), path);
		assert_int_equal(pu64(&ev, 3), 16384 | 4 | 2 | 4096); /* F_CREATED|CREAT|WRONLY|CLOEXEC */
		assert_int_equal(pu64(&ev, 4), 0640);
		assert_int_equal(pu64(&ev, 5), ((major(st.st_dev) << 8) | (minor(st.st_dev) & 0xff) |
						 ((minor(st.st_dev) & ~0xffu) << 12)));
		assert_int_equal(pu64(&ev, 6), st.st_ino);
	}
	close(fd);
	/* re-open: not created this time, O_RDWR|O_TRUNC */
	fd = openat(AT_FDCWD, path, O_RDWR | O_TRUNC);
	assert_true(fd >= 0);
	{
		GET(307, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(pu64(&ev, 3), 3 | 256);
	}
	close(fd);
	/* failure */
	int rc = openat(AT_FDCWD, "/nonexistent/sk_probe", O_RDONLY);
	assert_int_equal(rc, -1);
	{
		GET(307, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_string_equal(pstr(&ev, 2), "/nonexistent/sk_probe");
		assert_int_equal(pu64(&ev, 3), 1);
		assert_int_equal(pu64(&ev, 5), 0);
		assert_int_equal(pu64(&ev, 6), 0);
	}
}

static void test_open_creat_close(void **state)
{
	(void)state;
	NEED_PROBE();
	char path[128];
	snprintf(path, sizeof(path), "%s/open_file", tmpdir);
	drain();
	int fd = (int)syscall(SYS_open, path, O_CREAT | O_RDWR | O_APPEND, 0600);
	assert_true(fd >= 0);
	{
		GET(3, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_string_equal(pstr(&ev, 1), path);
		assert_int_equal(pu64(&ev, 2), 16384 | 4 | 3 | 8);
		assert_int_equal(pu64(&ev, 3), 0600);
	}
	assert_int_equal(close(fd), 0);
	{
		GET(5, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), fd);
	}
	assert_int_equal(close(fd), -1);
	{
		GET(5, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
	}
	fd = (int)syscall(SYS_creat, path, 0644);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	{
		GET(59, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_string_equal(pstr(&ev, 1), path);
		assert_int_equal(pu64(&ev, 2), 0644);
		assert_int_equal(pu64(&ev, 4), st.st_ino);
		assert_int_equal(pu64(&ev, 5), 0);
	}
	close(fd);
}

static void test_openat2(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, tmpdir, &how, sizeof(how));
	assert_true(fd >= 0);
	{
		GET(327, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), tmpdir);
		assert_int_equal(pu64(&ev, 3), 1 | 1024);
		assert_int_equal(pu64(&ev, 4), 0);
		assert_int_equal(pu64(&ev, 5), 8); /* PPM RESOLVE_NO_SYMLINKS */
	}
	close(fd);
}

static void test_links(void **state)
{
	(void)state;
	NEED_PROBE();
	char target[128], lnk[128], hard[128], dir[128], moved[128];
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	snprintf(lnk, sizeof(lnk), "%s/symlink", tmpdir);
	snprintf(hard, sizeof(hard), "%s/hardlink", tmpdir);
	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	snprintf(moved, sizeof(moved), "%s/moved", tmpdir);
	int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	drain();
	assert_int_equal(symlinkat("/etc/shadow", AT_FDCWD, lnk), 0);
	{
		GET(181, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 1), "/etc/shadow");
		assert_int_equal(ps64(&ev, 2), -100);
		assert_string_equal(pstr(&ev, 3), lnk);
	}
	assert_int_equal(symlinkat("/etc/shadow", AT_FDCWD, lnk), -1);
	{
		GET(181, my_tid());
		assert_int_equal(ps64(&ev, 0), -EEXIST);
	}
	assert_int_equal(syscall(SYS_symlink, "x", lnk), -1);
	{
		GET(179, my_tid());
		assert_int_equal(ps64(&ev, 0), -EEXIST);
		assert_string_equal(pstr(&ev, 1), "x");
		assert_string_equal(pstr(&ev, 2), lnk);
	}
	assert_int_equal(linkat(AT_FDCWD, target, AT_FDCWD, hard, AT_SYMLINK_FOLLOW), 0);
	{
		GET(311, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), target);
		assert_int_equal(ps64(&ev, 3), -100);
		assert_string_equal(pstr(&ev, 4), hard);
		assert_int_equal(pu64(&ev, 5), 0x400);
	}
	assert_int_equal(syscall(SYS_link, target, hard), -1);
	{
		GET(309, my_tid());
		assert_int_equal(ps64(&ev, 0), -EEXIST);
		assert_string_equal(pstr(&ev, 1), target);
		assert_string_equal(pstr(&ev, 2), hard);
	}
	assert_int_equal(mkdirat(AT_FDCWD, dir, 0750), 0);
	{
		GET(305, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), dir);
		assert_int_equal(pu64(&ev, 3), 0750);
	}
	assert_int_equal(syscall(SYS_renameat2, AT_FDCWD, hard, AT_FDCWD, moved, 1 /* NOREPLACE */), 0);
	{
		GET(319, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 2), hard);
		assert_string_equal(pstr(&ev, 4), moved);
		assert_int_equal(pu64(&ev, 5), 1);
	}
	assert_int_equal(fchmodat(AT_FDCWD, moved, 0755, 0), 0);
	{
		GET(313, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 2), moved);
		assert_int_equal(pu64(&ev, 3), 0755);
	}
	assert_int_equal(unlinkat(AT_FDCWD, dir, AT_REMOVEDIR), 0);
	{
		GET(303, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 2), dir);
		assert_int_equal(pu64(&ev, 3), 0x200);
	}
	assert_int_equal(unlinkat(AT_FDCWD, dir, 0), -1);
	{
		GET(303, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
	}
}

static void test_dup(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	int fd = dup(1);
	assert_true(fd >= 0);
	{
		GET(367, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(ps64(&ev, 1), 1);
	}
	assert_int_equal(dup2(1, fd), fd);
	{
		GET(363, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(ps64(&ev, 1), 1);
		assert_int_equal(ps64(&ev, 2), fd);
	}
	assert_int_equal(dup3(1, fd, O_CLOEXEC), fd);
	{
		GET(365, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(pu64(&ev, 3), 4096);
	}
	assert_int_equal(dup(-1), -1);
	{
		GET(367, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
	}
	close(fd);
}

/* ---- network --------------------------------------------------------------- */

/* The tuple addr:sport -> addr:dport (family fam, alen-byte addresses) at
 * param i; sport 0 = any. */
static void check_tuple(const struct sk_event *ev, unsigned i, uint8_t fam, const void *addr,
			uint32_t alen, uint16_t sport, uint16_t dport)
{
	uint32_t len;
	const uint8_t *t = sk_event_param(ev, i, &len);
	assert_int_equal(len, 1 + 2 * (alen + 2));
	assert_int_equal(t[0], fam);
	uint16_t p;
	assert_memory_equal(t + 1, addr, alen);
	memcpy(&p, t + 1 + alen, 2);
	if (sport)
		assert_int_equal(p, sport);
	assert_memory_equal(t + 3 + alen, addr, alen);
	memcpy(&p, t + 3 + 2 * alen, 2);
	assert_int_equal(p, dport);
}

static void check_tuple4(const struct sk_event *ev, unsigned i, uint16_t sport, uint16_t dport)
{
	uint32_t lo = htonl(INADDR_LOOPBACK);
	check_tuple(ev, i, AF_INET, &lo, 4, sport, dport);
}

static void check_sockaddr4(const struct sk_event *ev, unsigned i, uint16_t port)
{
	uint32_t len;
	const uint8_t *a = sk_event_param(ev, i, &len);
	assert_int_equal(len, 7);
	assert_int_equal(a[0], 2);
	uint32_t lo = htonl(INADDR_LOOPBACK);
	assert_memory_equal(a + 1, &lo, 4);
	uint16_t p;
	memcpy(&p, a + 5, 2);
	assert_int_equal(p, port);
}

static void test_tcp(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	{
		GET(19, my_tid());
		assert_int_equal(ps64(&ev, 0), ls);
		assert_int_equal(pu64(&ev, 1), AF_INET);
		assert_int_equal(pu64(&ev, 2), SOCK_STREAM | SOCK_CLOEXEC);
		assert_int_equal(pu64(&ev, 3), 0);
		assert_int_equal(pu64(&ev, 4), 4096);
	}
	struct sockaddr_in sa;
	inet_addr_port(&sa, 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	{
		GET(21, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		check_sockaddr4(&ev, 1, 0);
		assert_int_equal(ps64(&ev, 2), ls);
	}
	socklen_t sl = sizeof(sa);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	uint16_t port = ntohs(sa.sin_port);
	assert_int_equal(listen(ls, 7), 0);
	{
		GET(25, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), ls);
		assert_int_equal(ps64(&ev, 2), 7);
	}
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct sockaddr_in me;
	sl = sizeof(me);
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &sl), 0);
	uint16_t cport = ntohs(me.sin_port);
	{
		GET(23, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		check_tuple4(&ev, 1, cport, port);
		assert_int_equal(ps64(&ev, 2), c);
		check_sockaddr4(&ev, 3, port);
	}
	int a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	{
		GET(389, my_tid());
		assert_int_equal(ps64(&ev, 0), a);
		check_tuple4(&ev, 1, cport, port); /* client -> server */
		assert_int_equal(pu64(&ev, 2), 0);
		assert_int_equal(pu64(&ev, 3), 0);
		assert_int_equal(pu64(&ev, 4), 7);
		assert_int_equal(ps64(&ev, 5), SOCK_CLOEXEC);
	}
	const char msg[] = "hello probe";
	assert_int_equal(sendto(c, msg, sizeof(msg), 0, NULL, 0), sizeof(msg));
	{
		GET(31, my_tid());
		assert_int_equal(ps64(&ev, 0), sizeof(msg));
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 1, &len);
		assert_int_equal(len, sizeof(msg));
		assert_memory_equal(d, msg, sizeof(msg));
		assert_int_equal(ps64(&ev, 2), c);
		assert_int_equal(pu64(&ev, 3), sizeof(msg));
		check_tuple4(&ev, 4, cport, port);
	}
	char buf[64];
	assert_int_equal(recvfrom(a, buf, sizeof(buf), 0, NULL, NULL), sizeof(msg));
	{
		GET(35, my_tid());
		assert_int_equal(ps64(&ev, 0), sizeof(msg));
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 1, &len);
		assert_int_equal(len, sizeof(msg));
		assert_memory_equal(d, msg, sizeof(msg));
		check_tuple4(&ev, 2, cport, port); /* inbound: sender -> receiver */
		assert_int_equal(ps64(&ev, 3), a);
		assert_int_equal(pu64(&ev, 4), sizeof(buf));
	}
	struct iovec iov = {(void *)msg, sizeof(msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	assert_int_equal(sendmsg(c, &mh, 0), sizeof(msg));
	{
		GET(49, my_tid());
		assert_int_equal(ps64(&ev, 0), sizeof(msg));
		assert_int_equal(ps64(&ev, 2), c);
		assert_int_equal(pu64(&ev, 3), sizeof(msg));
		check_tuple4(&ev, 4, cport, port);
	}
	close(a);
	close(c);
	/* failure: connection refused on a closed port */
	close(ls);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), -1);
	{
		GET(23, my_tid());
		assert_int_equal(ps64(&ev, 0), -ECONNREFUSED);
		uint32_t tl = 1;
		(void)sk_event_param(&ev, 1, &tl);
		assert_int_equal(tl, 0); /* no tuple: it failed */
		assert_int_equal(ps64(&ev, 2), c);
		check_sockaddr4(&ev, 3, port);
	}
	close(c);
}

/* ---- processes --------------------------------------------------------------- */

static void test_fork_exec_exit(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	pid_t child = fork();
	if (child == 0) {
		char *argv[] = {"/bin/true", "arg1", "arg two", NULL};
		char *envp[] = {"SK_PROBE=1", NULL};
		execve("/bin/true", argv, envp);
		_exit(99);
	}
	assert_true(child > 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* parent's clone/fork exit: res = child */
	struct sk_event ev;
	struct sk_err err;
	bool parent = false, inchild = false, exec = false, exitev = false;
	for (int i = 0; i < 100000 && !(parent && inchild && exec && exitev); i++) {
		int rc = sk_driver_next(drv, &ev, 20, &err);
		if (rc <= 0)
			break;
		bool clone = ev.type == 223 || ev.type == 225 || ev.type == 335;
		if (clone && ev.tid == my_tid()) {
			assert_shape(&ev);
			assert_int_equal(ps64(&ev, 0), child);
			assert_int_equal(ps64(&ev, 3), my_tid());
			assert_int_equal(ps64(&ev, 4), getpid());
			parent = true;
		} else if (clone && ev.tid == child) {
			assert_shape(&ev);
			assert_int_equal(ps64(&ev, 0), 0);
			assert_int_equal(ps64(&ev, 3), child);
			assert_int_equal(ps64(&ev, 4), child);
			assert_int_equal(ps64(&ev, 5), getpid());
			assert_int_equal(pu64(&ev, 16), geteuid());
			assert_int_equal(pu64(&ev, 17), getegid());
			assert_int_equal(ps64(&ev, 18), child);
			assert_int_equal(ps64(&ev, 19), child);
			inchild = true;
		} else if (ev.type == 293 && ev.tid == child) {
			assert_shape(&ev);
			assert_int_equal(ps64(&ev, 0), 0);
			assert_string_equal(pstr(&ev, 1), "/bin/true");
			uint32_t len;
			const uint8_t *args = sk_event_param(&ev, 2, &len);
			assert_int_equal(len, sizeof("arg1\0arg two"));
			assert_memory_equal(args, "arg1\0arg two", len);
			assert_int_equal(ps64(&ev, 3), child);
			assert_int_equal(ps64(&ev, 4), child);
			assert_int_equal(ps64(&ev, 5), getpid());
			char cwd[512];
			assert_non_null(getcwd(cwd, sizeof(cwd)));
			assert_string_equal(pstr(&ev, 6), cwd);
			assert_string_equal(pstr(&ev, 13), "true");
			const uint8_t *cg = sk_event_param(&ev, 14, &len);
			assert_true(len > 0 && memchr(cg, '=', len));
			const uint8_t *env = sk_event_param(&ev, 15, &len);
			assert_int_equal(len, sizeof("SK_PROBE=1"));
			assert_memory_equal(env, "SK_PROBE=1", len);
			assert_int_equal(pu64(&ev, 26), geteuid());
			char real[512];
			assert_non_null(realpath("/bin/true", real));
			assert_string_equal(pstr(&ev, 27), real);
			assert_int_equal(pu64(&ev, 29), getegid());
			assert_string_equal(pstr(&ev, 30), "/bin/true");
			struct stat st;
			assert_int_equal(stat("/bin/true", &st), 0);
			assert_int_equal(pu64(&ev, 23), st.st_ino);
			exec = true;
		} else if (ev.type == 186 && ev.tid == child) {
			assert_shape(&ev);
			assert_int_equal(ps64(&ev, 0), 0);
			assert_int_equal(ps64(&ev, 1), 0);
			assert_int_equal(pu64(&ev, 2), 0);
			exitev = true;
		}
	}
	assert_true(parent);
	assert_true(inchild);
	assert_true(exec);
	assert_true(exitev);

	/* execve failure in this thread */
	char *argv[] = {"nope", NULL};
	assert_int_equal(execve("/nonexistent/sk_exe", argv, NULL), -1);
	{
		GET(293, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_string_equal(pstr(&ev, 30), "/nonexistent/sk_exe");
		assert_int_equal(ps64(&ev, 3), my_tid());
	}
	assert_int_equal(syscall(SYS_execveat, AT_FDCWD, "/nonexistent/sk_exe", argv, NULL, 0), -1);
	{
		GET(331, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
	}
}

/* execve's flags parameter (19): EXE_FROM_MEMFD (4) for an exec of a
 * memfd, none of the overlay bits for a file on a plain file system. */
static uint64_t exec_flags_of(pid_t child)
{
	struct sk_event ev;
	struct sk_err err;
	for (int i = 0; i < 100000; i++) {
		int rc = sk_driver_next(drv, &ev, 20, &err);
		if (rc <= 0)
			break;
		if ((ev.type == 293 || ev.type == 331) && ev.tid == child && ps64(&ev, 0) == 0) {
			assert_shape(&ev);
			return pu64(&ev, 19);
		}
	}
	fail_msg("no execve exit of %d", (int)child);
	return 0;
}

static pid_t run_child(bool memfd)
{
	pid_t child = fork();
	if (child == 0) {
		char *argv[] = {"sk_exe", NULL};
		char *envp[] = {NULL};
		if (!memfd) {
			execve("/bin/true", argv, envp);
			_exit(99);
		}
		int fd = (int)syscall(SYS_memfd_create, "sk_exe", 0);
		int in = open("/bin/true", O_RDONLY);
		char buf[65536];
		ssize_t n;
		while (fd >= 0 && in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				_exit(98);
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(99);
	}
	assert_true(child > 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return child;
}

static void test_exec_flags(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	pid_t c = run_child(true);
	assert_int_equal(exec_flags_of(c) & 4, 4);
	drain();
	c = run_child(false);
	uint64_t f = exec_flags_of(c);
	assert_int_equal(f & 4, 0);
	struct statfs sf;
	assert_int_equal(statfs("/bin/true", &sf), 0);
	if (sf.f_type != 0x794c7630) /* not overlayfs: neither layer */
		assert_int_equal(f & (2 | 8), 0);
}

static void test_ptrace_setuid_modules(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	assert_int_equal(ptrace(PTRACE_ATTACH, 0x7ffffff0, NULL, NULL), -1);
	{
		GET(169, my_tid());
		assert_int_equal(ps64(&ev, 0), -ESRCH);
		check_dyn_u64(&ev, 1, 0); /* failed: addr and data are 0 */
		check_dyn_u64(&ev, 2, 0);
		assert_int_equal(pu64(&ev, 3), 11); /* PPM_PTRACE_ATTACH */
		assert_int_equal(ps64(&ev, 4), 0x7ffffff0);
	}
	assert_int_equal(setuid(geteuid()), 0);
	{
		GET(199, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(pu64(&ev, 1), geteuid());
	}
	assert_int_equal(syscall(SYS_init_module, NULL, 0, ""), -1);
	int e = errno;
	{
		GET(411, my_tid());
		assert_int_equal(ps64(&ev, 0), -e);
		assert_int_equal(pu64(&ev, 2), 0);
		assert_string_equal(pstr(&ev, 3), "");
	}
	assert_int_equal(syscall(SYS_finit_module, -1, "opt=1", 0), -1);
	e = errno; /* EBADF, or ENOSYS on kernels without modules */
	{
		GET(413, my_tid());
		assert_int_equal(ps64(&ev, 0), -e);
		assert_int_equal(ps64(&ev, 1), -1);
		assert_string_equal(pstr(&ev, 2), "opt=1");
		assert_int_equal(pu64(&ev, 3), 0);
	}
}

/* ---- messages, socket options, ptrace values, reapers ------------------------ */

static void check_data(const struct sk_event *ev, unsigned i, const void *want, uint32_t n)
{
	uint32_t len;
	const uint8_t *d = sk_event_param(ev, i, &len);
	assert_int_equal(len, n);
	assert_memory_equal(d, want, n);
}

/* A UDP socket bound to 127.0.0.1 (an ephemeral port, returned in *port). */
static int udp_bound(struct sockaddr_in *sa, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	inet_addr_port(sa, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	socklen_t sl = sizeof(*sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &sl), 0);
	*port = ntohs(sa->sin_port);
	return fd;
}

/* sendmsg/recvmsg on unconnected UDP sockets: the data of several iovecs
 * (snaplen-capped), the size, the tuple from msg_name, the control data;
 * sendto/recvfrom: the tuple from their address argument. */
static void test_sendmsg_recvmsg(void **state)
{
	(void)state;
	NEED_PROBE();
	struct sockaddr_in ssa, csa;
	uint16_t sport, cport;
	int srv = udp_bound(&ssa, &sport), cli = udp_bound(&csa, &cport);
	int one = 1;
	assert_int_equal(setsockopt(srv, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
	drain();
	char a[] = "hello ", b[] = "world";
	struct iovec iov[2] = {{a, 6}, {b, 5}};
	struct msghdr mh = {.msg_name = &ssa, .msg_namelen = sizeof(ssa), .msg_iov = iov,
			    .msg_iovlen = 2};
	assert_int_equal(sendmsg(cli, &mh, 0), 11);
	{
		GET(49, my_tid());
		assert_int_equal(ps64(&ev, 0), 11);
		check_data(&ev, 1, "hello world", 11);
		assert_int_equal(ps64(&ev, 2), cli);
		assert_int_equal(pu64(&ev, 3), 11);
		check_tuple4(&ev, 4, cport, sport); /* remote end from msg_name */
	}
	char buf[64], ctl[64];
	struct sockaddr_in from;
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr rh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	assert_int_equal(recvmsg(srv, &rh, 0), 11);
	{
		GET(53, my_tid());
		assert_int_equal(ps64(&ev, 0), 11);
		assert_int_equal(pu64(&ev, 1), 11);
		check_data(&ev, 2, "hello world", 11); /* bounded by what was received */
		check_tuple4(&ev, 3, cport, sport);    /* sender -> receiver */
		check_data(&ev, 4, ctl, (uint32_t)rh.msg_controllen);
		assert_true(rh.msg_controllen > 0);
		assert_int_equal(ps64(&ev, 5), srv);
	}
	/* sendto/recvfrom: the remote end from the address argument as well */
	assert_int_equal(sendto(cli, "dgram", 5, 0, (struct sockaddr *)&ssa, sizeof(ssa)), 5);
	{
		GET(31, my_tid());
		assert_int_equal(ps64(&ev, 2), cli);
		check_tuple4(&ev, 4, cport, sport);
	}
	assert_int_equal(sendto(cli, "x", 1, 0, (struct sockaddr *)&ssa, 1), -1); /* EINVAL */
	{
		GET(31, my_tid());
		uint32_t tl = 1;
		(void)sk_event_param(&ev, 4, &tl);
		assert_int_equal(tl, 0); /* no tuple: it failed */
	}
	socklen_t fromlen = sizeof(from);
	assert_int_equal(recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen), 5);
	{
		GET(35, my_tid());
		check_data(&ev, 1, "dgram", 5);
		check_tuple4(&ev, 2, cport, sport); /* sender -> receiver */
		assert_int_equal(ps64(&ev, 3), srv);
	}
	/* more than snaplen (80): the first 80 bytes, across iovecs */
	char big[100], big2[100];
	memset(big, 'x', sizeof(big));
	memset(big2, 'y', sizeof(big2));
	struct iovec biov[2] = {{big, 50}, {big2, 100}};
	mh.msg_iov = biov;
	assert_int_equal(sendmsg(cli, &mh, 0), 150);
	{
		GET(49, my_tid());
		assert_int_equal(pu64(&ev, 3), 150);
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 1, &len);
		assert_int_equal(len, 80);
		assert_memory_equal(d, big, 50);
		assert_memory_equal(d + 50, big2, 30);
	}
	assert_int_equal(recv(srv, buf, sizeof(buf), 0), sizeof(buf));
	/* failures: a bad fd (data still read, as the caller gave it; no
	 * tuple), a short address, nothing to receive */
	mh.msg_iov = iov;
	assert_int_equal(sendmsg(-1, &mh, 0), -1);
	{
		GET(49, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
		check_data(&ev, 1, "hello world", 11);
		assert_int_equal(pu64(&ev, 3), 11);
		assert_empty(&ev, 4);
	}
	/* a real socket, but the call fails (a short address): no tuple either */
	mh.msg_namelen = 1;
	assert_int_equal(sendmsg(cli, &mh, 0), -1);
	{
		GET(49, my_tid());
		assert_int_equal(ps64(&ev, 0), -EINVAL);
		assert_empty(&ev, 4);
	}
	mh.msg_namelen = sizeof(ssa);
	assert_int_equal(recvmsg(srv, &rh, MSG_DONTWAIT), -1);
	{
		GET(53, my_tid());
		assert_int_equal(ps64(&ev, 0), -EAGAIN);
		assert_int_equal(pu64(&ev, 1), 0);
		assert_empty(&ev, 2);
		assert_empty(&ev, 3);
		assert_empty(&ev, 4);
		assert_int_equal(ps64(&ev, 5), srv);
	}
	close(srv);
	close(cli);
}

/* The IPv6 tuple ::1:sport -> ::1:dport at param i. */
static void check_tuple6(const struct sk_event *ev, unsigned i, uint16_t sport, uint16_t dport)
{
	check_tuple(ev, i, AF_INET6, &in6addr_loopback, 16, sport, dport);
}

/* The same over IPv6: the remote end from a sockaddr_in6 msg_name. */
static void test_sendmsg_recvmsg6(void **state)
{
	(void)state;
	NEED_PROBE();
	int fd[2];
	uint16_t port[2];
	struct sockaddr_in6 sa[2];
	for (int k = 0; k < 2; k++) {
		fd[k] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(fd[k] >= 0);
		memset(&sa[k], 0, sizeof(sa[k]));
		sa[k].sin6_family = AF_INET6;
		sa[k].sin6_addr = in6addr_loopback;
		if (bind(fd[k], (struct sockaddr *)&sa[k], sizeof(sa[k])) != 0) {
			close(fd[k]);
			if (k)
				close(fd[0]);
			fprintf(stderr, "test_probe: no IPv6 loopback, skipped\n");
			skip();
		}
		socklen_t sl = sizeof(sa[k]);
		assert_int_equal(getsockname(fd[k], (struct sockaddr *)&sa[k], &sl), 0);
		port[k] = ntohs(sa[k].sin6_port);
	}
	drain();
	char m[] = "six";
	struct iovec iov = {m, 3};
	struct msghdr mh = {.msg_name = &sa[0], .msg_namelen = sizeof(sa[0]), .msg_iov = &iov,
			    .msg_iovlen = 1};
	assert_int_equal(sendmsg(fd[1], &mh, 0), 3);
	{
		GET(49, my_tid());
		check_data(&ev, 1, m, 3);
		check_tuple6(&ev, 4, port[1], port[0]);
	}
	char buf[8];
	struct sockaddr_in6 from;
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr rh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov,
			    .msg_iovlen = 1};
	assert_int_equal(recvmsg(fd[0], &rh, 0), 3);
	{
		GET(53, my_tid());
		check_data(&ev, 2, m, 3);
		check_tuple6(&ev, 3, port[1], port[0]);
		assert_empty(&ev, 4); /* no msg_control */
	}
	close(fd[0]);
	close(fd[1]);
}

/* Two mmsghdr entries, one iovec and one address each. */
static void mmsg_fill(struct mmsghdr *mm, struct iovec *iov, struct sockaddr_in *names)
{
	memset(mm, 0, 2 * sizeof(*mm));
	for (int k = 0; k < 2; k++) {
		mm[k].msg_hdr.msg_name = &names[k];
		mm[k].msg_hdr.msg_namelen = sizeof(names[k]);
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
}

/* The two events (type) of a 2-message sendmmsg/recvmmsg of sent[0..1]. */
static void check_mmsg_events(uint16_t type, int fd, uint16_t cport, uint16_t sport,
			      const struct iovec *sent)
{
	for (int k = 0; k < 2; k++) {
		GET(type, my_tid());
		uint32_t n = (uint32_t)sent[k].iov_len;
		assert_int_equal(ps64(&ev, 0), n);
		assert_int_equal(ps64(&ev, 1), fd);
		assert_int_equal(pu64(&ev, 2), n);
		check_data(&ev, 3, sent[k].iov_base, n);
		check_tuple4(&ev, 4, cport, sport);
		if (type == 55)
			assert_empty(&ev, 5); /* no msg_control */
	}
}

/* sendmmsg/recvmmsg: one event per message, and one for a failed call. */
static void test_mmsg(void **state)
{
	(void)state;
	NEED_PROBE();
	struct sockaddr_in ssa, csa;
	uint16_t sport, cport;
	int srv = udp_bound(&ssa, &sport), cli = udp_bound(&csa, &cport);
	drain();
	char m0[] = "first", m1[] = "second!";
	struct iovec iov[2] = {{m0, 5}, {m1, 7}};
	struct sockaddr_in to[2] = {ssa, ssa};
	struct mmsghdr mm[2];
	mmsg_fill(mm, iov, to);
	assert_int_equal(sendmmsg(cli, mm, 2, 0), 2);
	check_mmsg_events(51, cli, cport, sport, iov);
	char b0[32], b1[32];
	struct sockaddr_in from[2];
	struct iovec riov[2] = {{b0, sizeof(b0)}, {b1, sizeof(b1)}};
	struct mmsghdr rm[2];
	mmsg_fill(rm, riov, from);
	assert_int_equal(recvmmsg(srv, rm, 2, MSG_DONTWAIT, NULL), 2);
	check_mmsg_events(55, srv, cport, sport, iov);
	assert_int_equal(sendmmsg(-1, mm, 2, 0), -1);
	{
		GET(51, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
		assert_int_equal(ps64(&ev, 1), -1);
		assert_int_equal(pu64(&ev, 2), 0);
		assert_empty(&ev, 3);
		assert_empty(&ev, 4);
	}
	assert_int_equal(recvmmsg(srv, rm, 2, MSG_DONTWAIT, NULL), -1);
	{
		GET(55, my_tid());
		assert_int_equal(ps64(&ev, 0), -EAGAIN);
		assert_int_equal(pu64(&ev, 2), 0);
		assert_empty(&ev, 3);
		assert_empty(&ev, 4);
	}
	close(srv);
	close(cli);
}

/* getsockopt: level/optname as PPM values, optval typed by the option. */
static void test_getsockopt(void **state)
{
	(void)state;
	NEED_PROBE();
	/* SO_ERROR of a refused non-blocking connect: an errno */
	struct sockaddr_in sa;
	uint16_t port;
	int tmp = udp_bound(&sa, &port); /* a port nobody listens on with TCP */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	int rc = connect(c, (struct sockaddr *)&sa, sizeof(sa));
	assert_true(rc == 0 || errno == EINPROGRESS || errno == ECONNREFUSED);
	usleep(20000);
	drain();
	int v = 0;
	socklen_t vl = sizeof(v);
	assert_int_equal(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vl), 0);
	assert_int_equal(v, ECONNREFUSED);
	{
		GET(47, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), c);
		assert_int_equal(pu64(&ev, 2), 1); /* SOL_SOCKET */
		assert_int_equal(pu64(&ev, 3), 4); /* SO_ERROR */
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 4, &len);
		assert_int_equal(len, 9);
		assert_int_equal(d[0], 1); /* ERRNO */
		int64_t e;
		memcpy(&e, d + 1, 8);
		assert_int_equal(e, -ECONNREFUSED);
		assert_int_equal(pu64(&ev, 5), 4);
	}
	/* an integer option: u32 */
	vl = sizeof(v);
	assert_int_equal(getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &vl), 0);
	{
		GET(47, my_tid());
		assert_int_equal(pu64(&ev, 3), 8); /* SO_RCVBUF */
		uint32_t len, u;
		const uint8_t *d = sk_event_param(&ev, 4, &len);
		assert_int_equal(len, 5);
		assert_int_equal(d[0], 2); /* UINT32 */
		memcpy(&u, d + 1, 4);
		assert_int_equal(u, (uint32_t)v);
	}
	/* a timeout: relative time in ns */
	struct timeval tv = {3, 500};
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	vl = sizeof(tv);
	assert_int_equal(getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, &vl), 0);
	{
		GET(47, my_tid());
		assert_int_equal(pu64(&ev, 3), 20); /* SO_RCVTIMEO */
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 4, &len);
		assert_int_equal(len, 9);
		assert_int_equal(d[0], 4); /* RELTIME */
		uint64_t ns;
		memcpy(&ns, d + 1, 8);
		assert_int_equal(ns, tv.tv_sec * 1000000000ULL + tv.tv_usec * 1000ULL); /* jiffies */
		assert_true(ns >= 3000500000ULL);
	}
	/* another level: UNKNOWN level and name, the raw bytes */
	vl = sizeof(v);
	assert_int_equal(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
	{
		GET(47, my_tid());
		assert_int_equal(pu64(&ev, 2), 2); /* SOL_TCP */
		assert_int_equal(pu64(&ev, 3), 0);
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 4, &len);
		assert_int_equal(len, 1 + sizeof(v));
		assert_int_equal(d[0], 0); /* BYTEBUF */
		assert_memory_equal(d + 1, &v, sizeof(v));
	}
	/* failure: a bad fd (the caller's buffer is what is read) */
	v = 7;
	vl = sizeof(v);
	assert_int_equal(getsockopt(-1, SOL_SOCKET, SO_ERROR, &v, &vl), -1);
	{
		GET(47, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
		assert_int_equal(ps64(&ev, 1), -1);
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 4, &len);
		assert_int_equal(len, 9);
		assert_int_equal(d[0], 1);
	}
	close(c);
	close(tmp);
}

static volatile uint64_t peek_me = 0x1122334455667788ULL;

/* ptrace addr/data: the word read by PEEKDATA, the signal of CONT. */
static void test_ptrace_values(void **state)
{
	(void)state;
	NEED_PROBE();
	drain();
	pid_t child = fork();
	if (child == 0) {
		signal(SIGUSR1, SIG_IGN);
		raise(SIGSTOP);
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(ptrace(PTRACE_SEIZE, child, NULL, NULL), 0);
	int status;
	assert_int_equal(waitpid(child, &status, WUNTRACED), child);
	assert_true(WIFSTOPPED(status));
	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, child, (void *)&peek_me, NULL);
	assert_int_equal(errno, 0);
	assert_int_equal((uint64_t)w, peek_me);
	{
		GET(169, my_tid());
		assert_int_equal(pu64(&ev, 3), 0x4206 - 0x4200 + 14); /* PPM_PTRACE_SEIZE */
	}
	{
		GET(169, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		check_dyn_u64(&ev, 1, (uint64_t)(uintptr_t)&peek_me);
		check_dyn_u64(&ev, 2, peek_me); /* the word read */
		assert_int_equal(pu64(&ev, 3), 3);  /* PPM_PTRACE_PEEKDATA */
		assert_int_equal(ps64(&ev, 4), child);
	}
	assert_int_equal(ptrace(PTRACE_CONT, child, NULL, (void *)(long)SIGUSR1), 0);
	{
		GET(169, my_tid());
		uint32_t len;
		const uint8_t *d = sk_event_param(&ev, 2, &len);
		assert_int_equal(len, 2);
		assert_int_equal(d[0], 1); /* SIGTYPE */
		assert_int_equal(d[1], SIGUSR1);
		assert_int_equal(pu64(&ev, 3), 8); /* PPM_PTRACE_CONT */
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
}

/* procexit reaper_tid: 0 without children; the child subreaper (this
 * process) when the exiting process leaves a child behind. */
static void test_procexit_reaper(void **state)
{
	(void)state;
	NEED_PROBE();
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	drain();
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t g = fork();
		if (g == 0) {
			char c;
			close(p[1]);
			(void)!read(p[0], &c, 1); /* until the test closes the pipe */
			_exit(0);
		}
		_exit(g > 0 ? 0 : 1);
	}
	assert_true(mid > 0);
	close(p[0]);
	{
		GET(186, mid);
		assert_int_equal(ps64(&ev, 4), getpid()); /* the grandchild comes to us */
	}
	int status;
	assert_int_equal(waitpid(mid, &status, 0), mid);
	close(p[1]); /* the grandchild exits: no children, no reaper */
	pid_t g = wait(&status);
	assert_true(g > 0);
	{
		GET(186, g);
		assert_int_equal(ps64(&ev, 4), 0);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}

/* filter_self: nothing of the loading process reaches user space, while a
 * child it forks is seen as any process. */
static void test_self_filter(void **state)
{
	(void)state;
	NEED_PROBE();
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_driver_opts o = {.ring_bytes = 1u << 20, .filter_self = true};
	struct sk_driver *d = sk_driver_open(&o, &err);
	assert_non_null(d);
	bool want[SK_EVENT_MAX] = {0};
	want[307] = true;
	assert_int_equal(sk_driver_select(d, want), 0);
	assert_int_equal(openat(AT_FDCWD, "/nonexistent/sk_self_parent", O_RDONLY), -1);
	pid_t child = fork();
	if (child == 0)
		_exit(openat(AT_FDCWD, "/nonexistent/sk_self_child", O_RDONLY) == -1 ? 0 : 1);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	bool seen_child = false, seen_self = false;
	struct sk_event ev;
	for (int idle = 0; idle < 20 && !seen_child;) {
		int rc = sk_driver_next(d, &ev, 20, &err);
		assert_true(rc >= 0);
		idle += rc == 0;
		if (rc == 1 && ev.type == 307) {
			seen_self |= ev.tid == my_tid();
			seen_child |= ev.tid == child;
		}
	}
	assert_true(seen_child);
	assert_false(seen_self);
	sk_driver_free(d);
}

/* A 4 KiB ring (mapped once) wraps every few records: records that run past
 * its end come back whole, through the driver's bounce buffer. Paths of
 * varying length move the wrap point across header, timestamp and string. */
/* ---- ia32 compat syscalls ---------------------------------------------------
 * `int $0x80` from this 64-bit test enters the kernel's ia32 syscall table
 * (TS_COMPAT set), as a 32-bit program's syscalls do. The probe must decode
 * each as the x86_64 twin's event; every pointer argument lives below 4 GiB
 * (MAP_32BIT), as the 32-bit registers cannot hold more. Numbers are the
 * ia32 ones (asm/unistd_32.h); socketcall sub-calls from linux/net.h. */

#define IA32_READ 3
#define IA32_OPEN 5
#define IA32_CLOSE 6
#define IA32_EXECVE 11
#define IA32_CHDIR 12
#define IA32_GETPID 20
#define IA32_SETUID16 23
#define IA32_SETREUID16 70
#define IA32_SOCKETCALL 102
#define IA32_SETUID32 213
#define IA32_OPENAT 295
#define IA32_CONNECT 362
#define IA32_SC_SOCKET 1
#define IA32_SC_CONNECT 3
#define IA32_SC_SEND 9
#define IA32_SC_SENDMSG 16

/* An ia32 syscall with up to five arguments (ebx, ecx, edx, esi, edi). */
static long ia32_call(long nr, long a, long b, long c, long d, long e)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11");
	return (int)r; /* the ia32 result is a 32-bit int */
}

/* Low memory for the ia32 calls' strings, addresses and argument arrays. */
static char *low_mem;
#define LOW_SIZE 16384

/* Copies a string (or bytes) into low memory at `off`; returns its 32-bit
 * address. */
static long low_put(size_t off, const void *p, size_t n)
{
	assert_true(off + n <= LOW_SIZE);
	memcpy(low_mem + off, p, n);
	return (long)(uintptr_t)(low_mem + off);
}

/* Parameter i holds exactly the n bytes at want. */
static long low_str(size_t off, const char *str)
{
	return low_put(off, str, strlen(str) + 1);
}

/* Skips unless the probe is loaded and the kernel runs ia32 syscalls (no
 * IA32 emulation, or ia32_emulation=0: int $0x80 gives -ENOSYS). */
#define NEED_IA32()                                                                          \
	do {                                                                                 \
		NEED_PROBE();                                                                \
		if (ia32_call(IA32_GETPID, 0, 0, 0, 0, 0) != getpid()) {                   \
			fprintf(stderr, "test_probe: skipped: the kernel runs no ia32 syscalls " \
					"(IA32 emulation disabled: int $0x80 gives ENOSYS)\n");  \
			skip();                                                              \
		}                                                                            \
		if (!low_mem) {                                                              \
			low_mem = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE,               \
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);      \
			assert_true(low_mem != MAP_FAILED);                                  \
			assert_true((uintptr_t)low_mem + LOW_SIZE <= 0x100000000ull);        \
		}                                                                            \
	} while (0)

static void test_ia32_files(void **state)
{
	(void)state;
	NEED_IA32();
	char path[128];
	snprintf(path, sizeof(path), "%s/ia32_file", tmpdir);
	long upath = low_str(0, path);
	drain();
	/* open(path, O_CREAT|O_RDWR|O_APPEND, 0600): ia32 5, x86_64 2 */
	int fd = (int)ia32_call(IA32_OPEN, upath, O_CREAT | O_RDWR | O_APPEND, 0600, 0, 0);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	{
		GET(3, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_string_equal(pstr(&ev, 1), path);
		assert_int_equal(pu64(&ev, 2), 16384 | 4 | 3 | 8); /* F_CREATED|CREAT|RDWR|APPEND */
		assert_int_equal(pu64(&ev, 3), 0600);
		assert_int_equal(pu64(&ev, 5), st.st_ino);
	}
	/* write through the 64-bit ABI, read back with ia32 read (3): the x86_64
	 * number 3 is close, which this must not look like */
	assert_int_equal(pwrite(fd, "compat", 6, 0), 6);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	long ubuf = (long)(uintptr_t)(low_mem + 4096);
	assert_int_equal(ia32_call(IA32_READ, fd, ubuf, 64, 0, 0), 6);
	{
		GET(7, my_tid());
		assert_int_equal(ps64(&ev, 0), 6);
		check_data(&ev, 1, "compat", 6);
		assert_int_equal(ps64(&ev, 2), fd);
		assert_int_equal(pu64(&ev, 3), 64);
	}
	/* close (ia32 6, x86_64 3), success then EBADF */
	assert_int_equal(ia32_call(IA32_CLOSE, fd, 0, 0, 0, 0), 0);
	{
		GET(5, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(ps64(&ev, 1), fd);
	}
	assert_int_equal(ia32_call(IA32_CLOSE, fd, 0, 0, 0, 0), -EBADF);
	{
		GET(5, my_tid());
		assert_int_equal(ps64(&ev, 0), -EBADF);
		assert_int_equal(ps64(&ev, 1), fd);
	}
	/* open failure */
	long umiss = low_str(512, "/nonexistent/sk_ia32");
	assert_int_equal(ia32_call(IA32_OPEN, umiss, O_RDONLY, 0, 0, 0), -ENOENT);
	{
		GET(3, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_string_equal(pstr(&ev, 1), "/nonexistent/sk_ia32");
		assert_int_equal(pu64(&ev, 2), 1); /* O_RDONLY */
	}
	/* openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC): dirfd -100 sign-extended */
	fd = (int)ia32_call(IA32_OPENAT, AT_FDCWD, upath, O_RDONLY | O_CLOEXEC, 0, 0);
	assert_true(fd >= 0);
	{
		GET(307, my_tid());
		assert_int_equal(ps64(&ev, 0), fd);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), path);
		assert_int_equal(pu64(&ev, 3), 1 | 4096);
		assert_int_equal(pu64(&ev, 4), 0);
		assert_int_equal(pu64(&ev, 6), st.st_ino);
	}
	close(fd);
	assert_int_equal(ia32_call(IA32_OPENAT, AT_FDCWD, umiss, O_WRONLY, 0, 0), -ENOENT);
	{
		GET(307, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_int_equal(ps64(&ev, 1), -100);
		assert_string_equal(pstr(&ev, 2), "/nonexistent/sk_ia32");
		assert_int_equal(pu64(&ev, 3), 2);
		assert_int_equal(pu64(&ev, 6), 0);
	}
	/* chdir (ia32 12, x86_64 80), success and failure */
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	long udir = low_str(1024, tmpdir);
	long rc = ia32_call(IA32_CHDIR, udir, 0, 0, 0, 0);
	{
		GET(95, my_tid());
		assert_int_equal(chdir(cwd), 0); /* back before any assert can fail */
		assert_int_equal(rc, 0);
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 1), tmpdir);
	}
	GET(95, my_tid()); /* the 64-bit chdir back */
	assert_int_equal(ia32_call(IA32_CHDIR, umiss, 0, 0, 0, 0), -ENOENT);
	{
		GET(95, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_string_equal(pstr(&ev, 1), "/nonexistent/sk_ia32");
	}
}

static void test_ia32_exec_ids(void **state)
{
	(void)state;
	NEED_IA32();
	drain();
	/* a failed execve (ia32 11, x86_64 59): the path is the caller's */
	long upath = low_str(0, "/nonexistent/sk_ia32_exec");
	uint32_t argv[2] = {(uint32_t)upath, 0};
	long uargv = low_put(256, argv, sizeof(argv));
	assert_int_equal(ia32_call(IA32_EXECVE, upath, uargv, uargv + 4, 0, 0), -ENOENT);
	{
		GET(293, my_tid());
		assert_int_equal(ps64(&ev, 0), -ENOENT);
		assert_int_equal(ps64(&ev, 3), my_tid());
		assert_int_equal(ps64(&ev, 4), getpid());
		assert_string_equal(pstr(&ev, 30), "/nonexistent/sk_ia32_exec");
	}
	/* a successful one in a child: /bin/true is a 64-bit program, so the
	 * kernel ends the syscall as a 64-bit execve (orig_ax 59, TS_COMPAT
	 * cleared); the event is the same either way */
	long utrue = low_str(512, "/bin/true");
	argv[0] = (uint32_t)utrue;
	uargv = low_put(768, argv, sizeof(argv));
	pid_t child = fork();
	if (child == 0) {
		ia32_call(IA32_EXECVE, utrue, uargv, uargv + 4, 0, 0);
		_exit(99);
	}
	assert_true(child > 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		GET(293, child);
		assert_int_equal(ps64(&ev, 0), 0);
		assert_string_equal(pstr(&ev, 1), "/bin/true");
		assert_string_equal(pstr(&ev, 13), "true");
		assert_string_equal(pstr(&ev, 30), "/bin/true");
	}
	/* setuid32 (ia32 213) and the 16-bit setuid (ia32 23), x86_64 105 */
	uid_t me = geteuid();
	assert_int_equal(ia32_call(IA32_SETUID32, me, 0, 0, 0, 0), 0);
	{
		GET(199, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(pu64(&ev, 1), me);
	}
	assert_int_equal(ia32_call(IA32_SETUID16, me, 0, 0, 0, 0), 0);
	{
		GET(199, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(pu64(&ev, 1), me);
	}
	/* setreuid16(-1, -1): (u16)-1 is "unchanged", i.e. uid -1 */
	assert_int_equal(ia32_call(IA32_SETREUID16, 0xffff, 0xffff, 0, 0, 0), 0);
	{
		GET(427, my_tid());
		assert_int_equal(ps64(&ev, 0), 0);
		assert_int_equal(pu64(&ev, 1), 0xffffffffu);
		assert_int_equal(pu64(&ev, 2), 0xffffffffu);
	}
}

/* socketcall(call, args): the arguments are 32-bit words in user memory. */
static long ia32_socketcall(int call, const uint32_t *args, size_t n)
{
	long uargs = low_put(2048, args, n * sizeof(*args));
	return ia32_call(IA32_SOCKETCALL, call, uargs, 0, 0, 0);
}

/* The connect exit event of this thread: result res on fd c to the loopback
 * port; the tuple is checked when the connection was made (cport != 0). */
static void expect_connect(int64_t res, int c, uint16_t cport, uint16_t port)
{
	GET(23, my_tid());
	assert_int_equal(ps64(&ev, 0), res);
	if (cport)
		check_tuple4(&ev, 1, cport, port);
	assert_int_equal(ps64(&ev, 2), c);
	check_sockaddr4(&ev, 3, port);
}

static void test_ia32_socket(void **state)
{
	(void)state;
	NEED_IA32();
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	struct sockaddr_in sa;
	inet_addr_port(&sa, 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	uint16_t port = ntohs(sa.sin_port);
	assert_int_equal(listen(ls, 4), 0);
	long usa = low_put(1024, &sa, sizeof(sa));
	drain();
	/* socketcall(SYS_SOCKET) -> socket */
	uint32_t a_sock[3] = {AF_INET, SOCK_STREAM, 0};
	int c = (int)ia32_socketcall(IA32_SC_SOCKET, a_sock, 3);
	assert_true(c >= 0);
	{
		GET(19, my_tid());
		assert_int_equal(ps64(&ev, 0), c);
		assert_int_equal(pu64(&ev, 1), AF_INET);
		assert_int_equal(pu64(&ev, 2), SOCK_STREAM);
		assert_int_equal(pu64(&ev, 3), 0);
	}
	/* socketcall(SYS_CONNECT) -> connect, to the listener */
	uint32_t a_conn[3] = {(uint32_t)c, (uint32_t)usa, sizeof(sa)};
	assert_int_equal(ia32_socketcall(IA32_SC_CONNECT, a_conn, 3), 0);
	struct sockaddr_in me;
	sl = sizeof(me);
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &sl), 0);
	uint16_t cport = ntohs(me.sin_port);
	expect_connect(0, c, cport, port);
	/* socketcall(SYS_SEND) -> sendto without an address */
	long umsg = low_str(3072, "ia32 hello");
	uint32_t a_send[4] = {(uint32_t)c, (uint32_t)umsg, 10, 0};
	assert_int_equal(ia32_socketcall(IA32_SC_SEND, a_send, 4), 10);
	{
		GET(31, my_tid());
		assert_int_equal(ps64(&ev, 0), 10);
		check_data(&ev, 1, "ia32 hello", 10);
		assert_int_equal(ps64(&ev, 2), c);
		assert_int_equal(pu64(&ev, 3), 10);
		check_tuple4(&ev, 4, cport, port);
	}
	/* socketcall(SYS_SENDMSG): the compat msghdr is not read (documented):
	 * the event comes with its fd, size and tuple */
	uint32_t iov[2] = {(uint32_t)umsg, 4};
	long uiov = low_put(3584, iov, sizeof(iov));
	uint32_t mh[7] = {0, 0, (uint32_t)uiov, 1, 0, 0, 0}; /* compat msghdr */
	long umh = low_put(3600, mh, sizeof(mh));
	uint32_t a_msg[3] = {(uint32_t)c, (uint32_t)umh, 0};
	assert_int_equal(ia32_socketcall(IA32_SC_SENDMSG, a_msg, 3), 4);
	{
		GET(49, my_tid());
		assert_int_equal(ps64(&ev, 0), 4);
		assert_int_equal(ps64(&ev, 2), c);
		assert_int_equal(pu64(&ev, 3), 4);
		check_tuple4(&ev, 4, cport, port);
	}
	close(c);
	/* failure: the direct ia32 connect (362) to a closed port */
	close(ls);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	drain();
	assert_int_equal(ia32_call(IA32_CONNECT, c, usa, sizeof(sa), 0, 0), -ECONNREFUSED);
	expect_connect(-ECONNREFUSED, c, 0, port);
	/* and through socketcall */
	a_conn[0] = (uint32_t)c;
	assert_int_equal(ia32_socketcall(IA32_SC_CONNECT, a_conn, 3), -ECONNREFUSED);
	expect_connect(-ECONNREFUSED, c, 0, port);
	close(c);
}

/* The kernel filters apply to ia32 opens and closes as to 64-bit ones: an
 * open (ia32 5 -> x86_64 open) of a file no predicate term wants is dropped,
 * and so is the close of its fd; the wanted file's open and close are sent. */
static void test_ia32_kfilter(void **state)
{
	(void)state;
	NEED_IA32();
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_driver_opts o = {.ring_bytes = 1u << 20};
	struct sk_driver *d = sk_driver_open(&o, &err);
	assert_non_null(d);
	bool want[SK_EVENT_MAX] = {0};
	want[3] = want[5] = true;
	assert_int_equal(sk_driver_select(d, want), 0);
	char keep[128], drop[128];
	snprintf(keep, sizeof(keep), "%s/ia32_keep", tmpdir);
	snprintf(drop, sizeof(drop), "%s/ia32_drop", tmpdir);
	struct sk_kf_set *k = sk_kf_set_new();
	assert_non_null(k);
	struct sk_kf_pred *pr = &k->pred[3];
	pr->on = 1;
	pr->nterms = 1;
	pr->t[0] = (struct sk_kf_term){.res = SK_KF_RES_OK, .path = 1};
	assert_int_equal(sk_kf_set_add_path(k, 3, SK_KF_EXACT, keep, strlen(keep), 1), 0);
	k->pred[5] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_CLOSE};
	sk_kf_set_seal(k);
	int rc = sk_driver_set_kfilter(d, k);
	sk_kf_set_free(k);
	if (rc == -ENOTSUP) {
		sk_driver_free(d);
		fprintf(stderr, "test_probe: skipped: no kernel filters on this kernel\n");
		skip();
	}
	assert_int_equal(rc, 0);
	long ukeep = low_str(0, keep), udrop = low_str(256, drop);
	int fk = (int)ia32_call(IA32_OPEN, ukeep, O_CREAT | O_RDWR, 0600, 0, 0);
	int fd = (int)ia32_call(IA32_OPEN, udrop, O_CREAT | O_RDWR, 0600, 0, 0);
	assert_true(fk >= 0 && fd >= 0);
	assert_int_equal(ia32_call(IA32_CLOSE, fd, 0, 0, 0, 0), 0);
	assert_int_equal(ia32_call(IA32_CLOSE, fk, 0, 0, 0, 0), 0);
	int opens_keep = 0, opens_drop = 0, closes_keep = 0, closes_drop = 0;
	struct sk_event ev;
	/* The close of the kept file is our last syscall: the reader hands out
	 * events oldest first, so once it came every earlier one of ours did.
	 * Other processes keep the rings busy, so the loop is bounded in time
	 * rather than waiting for quiet. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int idle = 0; idle < 3 && !closes_keep;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			break;
		rc = sk_driver_next(d, &ev, 100, &err);
		assert_true(rc >= 0);
		if (rc == 0) {
			idle++;
			continue;
		}
		if (ev.tid != my_tid())
			continue;
		if (ev.type == 3) {
			const char *name = pstr(&ev, 1);
			opens_keep += !strcmp(name, keep);
			opens_drop += !strcmp(name, drop);
		} else if (ev.type == 5) {
			int64_t cfd = ps64(&ev, 1);
			closes_keep += cfd == fk;
			closes_drop += cfd == fd;
		}
	}
	static uint64_t passed[SK_EVENT_MAX], filtered[SK_EVENT_MAX];
	assert_int_equal(sk_driver_kf_stats(d, passed, filtered), 0);
	sk_driver_free(d);
	assert_int_equal(opens_keep, 1);
	assert_int_equal(closes_keep, 1);
	assert_int_equal(opens_drop, 0);
	assert_int_equal(closes_drop, 0);
	assert_true(filtered[3] >= 1 && filtered[5] >= 1);
}

static void test_ring_wrap(void **state)
{
	(void)state;
	NEED_PROBE();
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_driver_opts o = {.ring_bytes = 4096, .cpus_per_ring = 64};
	struct sk_driver *small = sk_driver_open(&o, &err);
	assert_non_null(small);
	bool want[SK_EVENT_MAX] = {0};
	want[307] = true;
	assert_int_equal(sk_driver_select(small, want), 0);
	int seen = 0;
	for (int i = 0; i < 300; i++) {
		char path[200];
		snprintf(path, sizeof(path), "/nonexistent/sk_wrap_%0*d", 1 + i % 97, i);
		assert_int_equal(openat(AT_FDCWD, path, O_RDONLY), -1);
		struct sk_event ev;
		int rc;
		while ((rc = sk_driver_next(small, &ev, 0, &err)) == 1) {
			if (ev.type != 307 || ev.tid != my_tid())
				continue;
			const char *got = sk_event_get_str(&ev, 2);
			assert_non_null(got);
			assert_string_equal(got, path);
			seen++;
		}
		assert_int_equal(rc, 0);
	}
	struct sk_driver_stats st;
	assert_int_equal(sk_driver_stats(small, &st), 0);
	assert_int_equal(st.n_bad, 0);
	/* other processes share the ring and may fill it: most of ours arrive */
	assert_true(seen >= 150);
	sk_driver_free(small);
	drain();
}

static void test_stats(void **state)
{
	(void)state;
	NEED_PROBE();
	struct sk_driver_stats st;
	assert_int_equal(sk_driver_stats(drv, &st), 0);
	assert_true(st.n_evts > 0);
	assert_true(st.n_sent > 0);
	assert_true(st.n_read > 0);
	assert_int_equal(st.n_errors, 0);
	assert_int_equal(st.n_bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat),
		cmocka_unit_test(test_open_creat_close),
		cmocka_unit_test(test_openat2),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_exec_flags),
		cmocka_unit_test(test_self_filter),
		cmocka_unit_test(test_ptrace_setuid_modules),
		cmocka_unit_test(test_sendmsg_recvmsg),
		cmocka_unit_test(test_sendmsg_recvmsg6),
		cmocka_unit_test(test_mmsg),
		cmocka_unit_test(test_getsockopt),
		cmocka_unit_test(test_ptrace_values),
		cmocka_unit_test(test_procexit_reaper),
		cmocka_unit_test(test_ia32_files),
		cmocka_unit_test(test_ia32_exec_ids),
		cmocka_unit_test(test_ia32_socket),
		cmocka_unit_test(test_ia32_kfilter),
		cmocka_unit_test(test_ring_wrap),
		cmocka_unit_test(test_stats),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
