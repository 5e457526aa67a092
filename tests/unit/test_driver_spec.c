/* test_driver_spec.c — the probe's spec table matches the event table, and
 * syscall selection follows Falco's base_syscalls semantics; the /proc scan
 * finds this process, its fds and a listening socket. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "driver/driver_int.h"

static void test_specs_compile(void **state)
{
	(void)state;
	bool all[SK_EVENT_MAX];
	memset(all, 1, sizeof(all));
	struct sk_probe_spec *specs = calloc(SK_PROBE_NR_MAX, sizeof(*specs));
	assert_non_null(specs);
	struct sk_err err;
	sk_err_clear(&err);
	int rc = sk_driver_build_specs(all, specs, &err);
	if (rc)
		fail_msg("%s", err.msg);
	unsigned n = 0;
	for (unsigned i = 0; i < SK_PROBE_NR_MAX; i++)
		if (specs[i].evt) {
			n++;
			assert_int_equal(specs[i].nparams, sk_event_table[specs[i].evt].nparams);
		}
	assert_true(n >= 85);
	free(specs);
}

static void test_rules_events_supported(void **state)
{
	(void)state;
	/* every event Falco's stable and incubating rules depend on */
	static const uint16_t codes[] = {293, 331, 3, 307, 327, 23, 169, 31, 49, 19, 367, 363,
					 365, 179, 181, 309, 311, 411, 413, 247, 389, 25, 35, 53,
					 315, 317, 313, 59, 277, 305, 175, 177, 319, 279, 301, 303,
					 199, 241, 285, 321, 369, 186};
	for (size_t i = 0; i < SK_ARRAY_LEN(codes); i++)
		if (!sk_driver_supports(codes[i]))
			fail_msg("event %u (%s) not supported", codes[i], sk_event_table[codes[i]].name);
	/* an old code selects the same name */
	assert_true(sk_driver_supports(13));
}

static void test_compute_set(void **state)
{
	(void)state;
	bool rules[SK_EVENT_MAX] = {0}, out[SK_EVENT_MAX];
	struct sk_err err;
	rules[307] = true;
	/* default: rules + the state set + procexit */
	assert_int_equal(sk_driver_compute_set(rules, NULL, out, &err), 0);
	assert_true(out[307] && out[293] && out[5] && out[223] && out[186] && out[23]);
	assert_false(out[7]); /* read is not needed */
	/* the state set: prctl (child subreaper), bpf/setns/unshare (fd type,
	 * capabilities) are in; what state never reads is not (unlink, unlinkat,
	 * rename, mkdir, kill, tgkill, ioctl, flock, listen, setpgid, chmod) */
	assert_true(out[401] && out[369] && out[241] && out[285]);
	const uint16_t unneeded[] = {301, 303, 175, 277, 129, 133, 171, 243, 25, 295, 315};
	for (size_t i = 0; i < sizeof(unneeded) / sizeof(unneeded[0]); i++)
		assert_false(out[unneeded[i]]);
	/* repair: minimal set, close because a file syscall is used, no socket */
	struct sk_base_syscalls b = {.repair = true};
	assert_int_equal(sk_driver_compute_set(rules, &b, out, &err), 0);
	assert_true(out[307] && out[293] && out[5] && out[223] && out[401] && out[186]);
	assert_false(out[19]);
	assert_false(out[23]);
	/* custom_set without repair: only rules + custom, and negation */
	const char *custom[] = {"connect", "!openat"};
	struct sk_base_syscalls c = {.custom_set = custom, .ncustom = 2};
	assert_int_equal(sk_driver_compute_set(rules, &c, out, &err), 0);
	assert_true(out[23] && out[22] && out[186]);
	assert_false(out[307]);
	assert_false(out[293]);
	const char *bad[] = {"notasyscall"};
	struct sk_base_syscalls d = {.custom_set = bad, .ncustom = 1};
	assert_int_equal(sk_driver_compute_set(rules, &d, out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "notasyscall"));
	struct sk_base_syscalls e = {.all = true};
	assert_int_equal(sk_driver_compute_set(NULL, &e, out, &err), 0);
	assert_true(out[7] && out[9]);
}

struct seen {
	bool me, my_fd, listen, user_root, group_root, machine;
	uint16_t port;
};

static int on_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct seen *s = ctx;
	if (t->tid == (uint64_t)getpid()) {
		s->me = true;
		assert_int_equal(t->pid, (uint64_t)getpid());
		assert_int_equal(t->ptid, (uint64_t)getppid());
		assert_true(t->comm.len > 0);
		assert_true(t->exepath.len > 0 && t->exepath.p[0] == '/');
		assert_int_equal(t->uid, geteuid());
		assert_true(t->fdlimit > 0);
	}
	return 0;
}

static int on_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct seen *s = ctx;
	if (tid != (uint64_t)getpid())
		return 0;
	if (f->type == SK_FD_IPV4_SERVSOCK && f->sport == s->port) {
		uint32_t lo = htonl(INADDR_LOOPBACK);
		assert_memory_equal(f->sip, &lo, 4);
		assert_int_equal(f->l4proto, 2);
		s->listen = true;
	}
	if (f->type == SK_FD_FILE_V2 && f->name.len == 9 && !memcmp(f->name.p, "/dev/null", 9))
		s->my_fd = true;
	return 0;
}

static int on_user(void *ctx, const struct sk_scap_user *u)
{
	struct seen *s = ctx;
	if (u->uid == 0 && u->name.len == 4 && !memcmp(u->name.p, "root", 4))
		s->user_root = true;
	return 0;
}

static int on_group(void *ctx, const struct sk_scap_group *g)
{
	struct seen *s = ctx;
	if (g->gid == 0)
		s->group_root = true;
	return 0;
}

static int on_machine(void *ctx, const struct sk_scap_machine *m)
{
	struct seen *s = ctx;
	s->machine = m->num_cpus > 0 && m->memory_bytes > 0 && m->boot_ts > 0;
	return 0;
}

static void test_proc_scan(void **state)
{
	(void)state;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	socklen_t sl = sizeof(sa);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	FILE *f = fopen("/dev/null", "re");
	assert_non_null(f);
	struct seen s = {.port = ntohs(sa.sin_port)};
	struct sk_scap_meta_ops ops = {.ctx = &s, .thread = on_thread, .fd = on_fd,
				       .user = on_user, .group = on_group, .machine = on_machine};
	struct sk_proc_scan_stats st;
	struct sk_err err;
	assert_int_equal(sk_proc_scan(NULL, &ops, &st, &err), 0);
	assert_true(s.me && s.my_fd && s.listen && s.user_root && s.group_root && s.machine);
	assert_true(st.threads > 1 && st.fds > 2);
	fclose(f);
	close(ls);
}

/* sk_proc_read_thread on this process: a thread of its own, then (with the
 * process) the main thread first and the fds after, socket fds left out. */
struct one_seen {
	int order;          /* 1: main, 2: thread, 3: fds (the order they came) */
	int main_at, thread_at, fd_at;
	uint64_t main, tid;
	bool file, socket;
};

static int one_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct one_seen *s = ctx;
	assert_int_equal(t->pid, s->main);
	if (t->tid == s->main)
		s->main_at = ++s->order;
	else if (t->tid == s->tid)
		s->thread_at = ++s->order;
	return 0;
}

static int one_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct one_seen *s = ctx;
	assert_int_equal(tid, s->main);
	if (!s->fd_at)
		s->fd_at = ++s->order;
	if (f->name.len == 9 && !memcmp(f->name.p, "/dev/null", 9))
		s->file = true;
	if (f->type == SK_FD_IPV4_SERVSOCK || f->type == SK_FD_IPV4_SOCK)
		s->socket = true;
	return 0;
}

static void *sleeper(void *arg)
{
	int *p = arg;
	__atomic_store_n(&p[1], (int)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&p[0], __ATOMIC_SEQ_CST))
		usleep(1000);
	return NULL;
}

static void test_proc_read_thread(void **state)
{
	(void)state;
	int ctl[2] = {0, 0};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sleeper, ctl), 0);
	while (!__atomic_load_n(&ctl[1], __ATOMIC_SEQ_CST))
		usleep(1000);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	FILE *f = fopen("/dev/null", "re");
	assert_non_null(f);
	assert_int_equal(sk_proc_tgid(NULL, ctl[1]), getpid());
	struct one_seen s = {.main = (uint64_t)getpid(), .tid = (uint64_t)ctl[1]};
	struct sk_scap_meta_ops ops = {.ctx = &s, .thread = one_thread, .fd = one_fd};
	struct sk_proc_scan_opts o = {.threads = true, .fds = true};
	assert_int_equal(sk_proc_read_thread(&o, ctl[1], true, &ops), 0);
	assert_int_equal(s.main_at, 1);
	assert_int_equal(s.thread_at, 2);
	assert_int_equal(s.fd_at, 3);
	assert_true(s.file);
	assert_false(s.socket);
	/* without the process: the thread alone */
	memset(&s, 0, sizeof(s));
	s.main = (uint64_t)getpid();
	s.tid = (uint64_t)ctl[1];
	assert_int_equal(sk_proc_read_thread(&o, ctl[1], false, &ops), 0);
	assert_int_equal(s.thread_at, 1);
	assert_int_equal(s.main_at + s.fd_at, 0);
	__atomic_store_n(&ctl[0], 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	/* a thread that is gone */
	assert_int_equal(sk_proc_read_thread(&o, ctl[1], false, &ops), 1);
	assert_int_equal(sk_proc_tgid(NULL, ctl[1]), -1);
	fclose(f);
	close(ls);
}

struct fds_seen {
	uint64_t pid;
	int64_t file_fd, sock_fd;
	uint16_t port;
	int n;
	bool file, sock;
};

static int on_fd_read(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct fds_seen *s = ctx;
	assert_int_equal(tid, s->pid);
	s->n++;
	if (f->fd == s->file_fd)
		s->file = f->type == SK_FD_FILE_V2 && f->name.len == 9 &&
			  !memcmp(f->name.p, "/dev/null", 9);
	if (f->fd == s->sock_fd)
		s->sock = f->type == SK_FD_IPV4_SERVSOCK && f->sport == s->port;
	return 0;
}

/* The fds a process received over a unix socket (SCM_RIGHTS), read one by
 * one: a file, a socket (resolved through the namespace's tables), and a
 * closed number (skipped). */
static void test_proc_read_fds(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/null", "re");
	assert_non_null(f);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	int closed = 999; /* not open (a lower free number would be the read's own) */
	assert_true(fcntl(closed, F_GETFD) < 0);
	struct fds_seen s = {.pid = (uint64_t)getpid(), .file_fd = fileno(f), .sock_fd = ls,
			     .port = ntohs(sa.sin_port)};
	struct sk_scap_meta_ops ops = {.ctx = &s, .fd = on_fd_read};
	struct sk_proc_scan_opts o = {.threads = true, .fds = true};
	int fds[3] = {fileno(f), closed, ls};
	assert_int_equal(sk_proc_read_fds(&o, getpid(), fds, 3, &ops), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.file);
	assert_true(s.sock);
	/* a process that is gone */
	assert_int_equal(sk_proc_read_fds(&o, 0x3ffffffe, fds, 3, &ops), 1);
	fclose(f);
	close(ls);
}

struct netns_seen {
	uint64_t pid;
	uint16_t port;
	bool listen;
};

static int on_fd_netns(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct netns_seen *s = ctx;
	if (tid == s->pid && f->type == SK_FD_IPV4_SERVSOCK && f->sport == s->port &&
	    f->l4proto == 2)
		s->listen = true;
	return 0;
}

/* A process in another network namespace (a child after unshare) has its
 * listening socket resolved from its own namespace's /proc/PID/net/tcp. */
static void test_proc_scan_netns(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_driver_spec: not root, netns scan test skipped\n");
		skip();
	}
	int up[2], down[2];
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t child = fork();
	if (child == 0) {
		close(down[1]); /* EOF on down[0] when the test closes its end */
		uint16_t port = 0;
		if (unshare(CLONE_NEWNET) == 0) {
			int ls = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in sa = {.sin_family = AF_INET};
			socklen_t sl = sizeof(sa);
			if (ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			    listen(ls, 1) == 0 && getsockname(ls, (struct sockaddr *)&sa, &sl) == 0)
				port = ntohs(sa.sin_port);
		}
		char c;
		if (write(up[1], &port, sizeof(port)) != sizeof(port) || read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_true(child > 0);
	close(down[0]);
	struct netns_seen s = {.pid = (uint64_t)child};
	assert_int_equal(read(up[0], &s.port, sizeof(s.port)), sizeof(s.port));
	assert_true(s.port != 0);
	struct sk_scap_meta_ops ops = {.ctx = &s, .fd = on_fd_netns};
	struct sk_proc_scan_stats st;
	struct sk_err err;
	int rc = sk_proc_scan(NULL, &ops, &st, &err);
	close(down[1]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(rc, 0);
	assert_true(s.listen);
	assert_true(st.netns >= 2);
	close(up[0]);
	close(up[1]);
}

static int on_user_host(void *ctx, const struct sk_scap_user *u)
{
	int *found = ctx;
	if (u->uid == 4242 && u->name.len == 10 && !memcmp(u->name.p, "skhostuser", 10))
		*found += 1;
	return 0;
}

static int on_thread_any(void *ctx, const struct sk_scap_thread *t)
{
	(void)ctx;
	(void)t;
	return 0;
}

/* HOST_ROOT: /proc and /etc are read under the prefix (a trailing slash is
 * fine); users come from the prefixed /etc only. */
static void test_proc_scan_root(void **state)
{
	(void)state;
	char dir[64], p[128];
	snprintf(dir, sizeof(dir), "/tmp/sk_root_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/proc", dir);
	assert_int_equal(symlink("/proc", p), 0);
	snprintf(p, sizeof(p), "%s/etc", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	fputs("skhostuser:x:4242:4242:host user:/home/sk:/bin/sh\n", f);
	fclose(f);
	char root[80];
	snprintf(root, sizeof(root), "%s/", dir);
	int found = 0;
	struct sk_scap_meta_ops ops = {.ctx = &found, .user = on_user_host, .thread = on_thread_any};
	struct sk_proc_scan_opts o = {.threads = true, .root = root};
	struct sk_proc_scan_stats st;
	struct sk_err err;
	assert_int_equal(sk_proc_scan(&o, &ops, &st, &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(st.users, 1);
	assert_true(st.threads > 1); /* /proc through the prefix */
	/* without thread or fd callbacks the processes are not read at all */
	ops.thread = NULL;
	assert_int_equal(sk_proc_scan(&o, &ops, &st, &err), 0);
	assert_int_equal(st.threads, 0);
	assert_int_equal(st.users, 1);
	ops.thread = on_thread_any;
	o.root = "/nonexistent-sk-root";
	assert_true(sk_proc_scan(&o, &ops, &st, &err) < 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs_compile),
		cmocka_unit_test(test_rules_events_supported),
		cmocka_unit_test(test_compute_set),
		cmocka_unit_test(test_proc_scan),
		cmocka_unit_test(test_proc_read_thread),
		cmocka_unit_test(test_proc_read_fds),
		cmocka_unit_test(test_proc_scan_root),
		cmocka_unit_test(test_proc_scan_netns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
