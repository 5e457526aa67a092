/* test_state.c — unit tests for the state tables: seeding through the meta
 * ops, lookups, the process tree, fd tables, users and container matching. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "state/state.h"

#define B(s) ((struct sk_bytes){(s), (uint32_t)(sizeof(s) - 1)})

static void seed_thread(const struct sk_scap_meta_ops *ops, uint64_t tid, uint64_t pid,
			uint64_t ptid, const char *comm, struct sk_bytes cgroups)
{
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = tid;
	t.pid = pid;
	t.ptid = ptid;
	t.sid = t.vpgid = t.pgid = -1;
	t.vtid = t.vpid = -1;
	t.comm = (struct sk_bytes){comm, (uint32_t)strlen(comm)};
	t.exe = t.comm;
	t.exepath = B("/usr/bin/x (deleted)");
	t.args = B("-a\0b c\0");
	t.cwd = B("/root");
	t.env = B("A=1\0B=2\0");
	t.cgroups = cgroups;
	t.uid = 1000;
	t.gid = 100;
	t.loginuid = 0xFFFFFFFF;
	t.flags = tid == pid ? 0 : 0x2001; /* CLONE_THREAD|CLONE_FILES */
	assert_int_equal(ops->thread(ops->ctx, &t), 0);
}

static void test_seed_and_lookup(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	assert_non_null(st);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	/* child listed before its parent: linked after the list */
	seed_thread(&ops, 20, 20, 10, "child", B(""));
	seed_thread(&ops, 10, 10, 1, "parent", B("cpu=/\0"));
	seed_thread(&ops, 1, 1, 0, "init", B(""));
	seed_thread(&ops, 21, 20, 10, "child", B(""));
	struct sk_scap_user u = {.uid = 1000, .gid = 100, .name = B("alice"),
				 .homedir = B("/home/alice"), .shell = B("/bin/sh")};
	assert_int_equal(ops.user(ops.ctx, &u), 0);
	struct sk_scap_group g = {.gid = 100, .name = B("users")};
	assert_int_equal(ops.group(ops.ctx, &g), 0);
	struct sk_scap_fd fd;
	memset(&fd, 0, sizeof(fd));
	fd.fd = 3;
	fd.type = SK_FD_FILE_V2;
	fd.name = B("/etc/passwd");
	fd.open_flags = 1;
	assert_int_equal(ops.fd(ops.ctx, 20, &fd), 0);
	sk_state_seed_done(st);

	struct sk_thread *c = sk_state_thread(st, 20);
	assert_non_null(c);
	assert_string_equal(c->comm.s, "child");
	assert_string_equal(c->exepath.s, "/usr/bin/x");
	assert_int_equal(c->args.len, 6); /* "-a\0b c" */
	assert_memory_equal(c->args.s, "-a\0b c", 7);
	assert_string_equal(sk_state_cwd(st, c)->s, "/root/");
	struct sk_thread *p = sk_state_parent(st, c);
	assert_non_null(p);
	assert_int_equal(p->tid, 10);
	assert_int_equal(sk_state_parent(st, p)->tid, 1);
	assert_null(sk_state_parent(st, sk_state_thread(st, 1)));
	assert_int_equal(sk_state_nthreads(st, c), 2);
	/* the secondary thread shares the main thread's fd table */
	struct sk_thread *c2 = sk_state_thread(st, 21);
	assert_ptr_equal(sk_state_main_thread(st, c2), c);
	struct sk_fdinfo *f = sk_state_fd(st, c2, 3);
	assert_non_null(f);
	assert_string_equal(f->name.s, "/etc/passwd");
	assert_int_equal(f->type, SK_FD_FILE_V2);
	assert_int_equal(sk_state_fd_count(st, c), 1);
	assert_null(sk_state_fd(st, c, 4));
	assert_string_equal(sk_thread_container_id(c), "host");

	const struct sk_user *us = sk_state_user(st, NULL, 1000);
	assert_non_null(us);
	assert_string_equal(us->name, "alice");
	assert_string_equal(us->homedir, "/home/alice");
	assert_string_equal(us->shell, "/bin/sh");
	assert_null(sk_state_user(st, NULL, 1));
	assert_string_equal(sk_state_group(st, NULL, 100)->name, "users");

	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.threads, 4);
	sk_state_free(st);
}

/* sk_state_dump hands the tables back as capture metadata: seeding a second
 * state from it gives the same processes, tree, fds and sockets. */
static void test_dump_round_trip(void **state)
{
	(void)state;
	struct sk_state *a = sk_state_new(NULL), *b = sk_state_new(NULL);
	assert_non_null(a);
	assert_non_null(b);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(a, &ops);
	seed_thread(&ops, 1, 1, 0, "init", B(""));
	seed_thread(&ops, 10, 10, 1, "parent", B("cpu=/x\0memory=/y\0"));
	seed_thread(&ops, 20, 20, 10, "child", B(""));
	seed_thread(&ops, 21, 20, 10, "child", B(""));
	struct sk_scap_fd fd;
	memset(&fd, 0, sizeof(fd));
	fd.fd = 3;
	fd.type = SK_FD_FILE_V2;
	fd.name = B("/etc/passwd");
	fd.open_flags = 1;
	fd.dev = 0x801;
	fd.ino = 77;
	assert_int_equal(ops.fd(ops.ctx, 20, &fd), 0);
	memset(&fd, 0, sizeof(fd));
	fd.fd = 4;
	fd.type = SK_FD_IPV4_SOCK;
	memcpy(fd.sip, "\x0a\0\0\x01", 4);
	memcpy(fd.dip, "\x0a\0\0\x02", 4);
	fd.sport = 40000;
	fd.dport = 443;
	fd.l4proto = 2; /* TCP */
	assert_int_equal(ops.fd(ops.ctx, 20, &fd), 0);
	sk_state_seed_done(a);

	struct sk_scap_meta_ops to;
	sk_state_meta_ops(b, &to);
	assert_int_equal(sk_state_dump(a, &to), 0);
	sk_state_seed_done(b);

	struct sk_thread *c = sk_state_thread(b, 20);
	assert_non_null(c);
	assert_string_equal(c->comm.s, "child");
	assert_string_equal(c->exepath.s, "/usr/bin/x");
	assert_memory_equal(c->args.s, "-a\0b c", 7);
	assert_int_equal(c->args.len, 6);
	assert_memory_equal(c->env.s, "A=1\0B=2", 8);
	assert_string_equal(sk_state_cwd(b, c)->s, "/root/");
	assert_int_equal(c->uid, 1000);
	assert_int_equal(sk_state_parent(b, c)->tid, 10);
	assert_int_equal(sk_state_nthreads(b, c), 2);
	struct sk_thread *p = sk_state_thread(b, 10);
	assert_memory_equal(p->cgroups.s, "cpu=/x\0memory=/y", 17);
	struct sk_fdinfo *f = sk_state_fd(b, sk_state_thread(b, 21), 3);
	assert_non_null(f);
	assert_string_equal(f->name.s, "/etc/passwd");
	assert_int_equal(f->dev, 0x801);
	assert_int_equal(f->ino, 77);
	f = sk_state_fd(b, c, 4);
	assert_non_null(f);
	assert_int_equal(f->type, SK_FD_IPV4_SOCK);
	assert_int_equal(f->sport, 40000);
	assert_int_equal(f->dport, 443);
	assert_string_equal(f->name.s, sk_state_fd(a, sk_state_thread(a, 20), 4)->name.s);
	struct sk_state_stats sa, sb;
	sk_state_stats(a, &sa);
	sk_state_stats(b, &sb);
	assert_int_equal(sa.threads, sb.threads);
	assert_int_equal(sa.fds, sb.fds);
	sk_state_free(a);
	sk_state_free(b);
}

static void test_container_match(void **state)
{
	(void)state;
	char id[65], full[129];
	const char *type;
	static const char hex[] =
		"72b5d91583079288d0538c55e1dd1fa92fbc134c12975694beccf648d5104439";
	char path[512];
	struct {
		const char *fmt, *type, *id;
	} cases[] = {
		{"/docker/%s", "docker", "72b5d9158307"},
		{"/libpod_parent/libpod-%s", "podman", "72b5d9158307"},
		{"/system.slice/docker-%s.scope", "docker", "72b5d9158307"},
		{"/kubepods/besteffort/podaaaa-bbbb/%s", "docker", "72b5d9158307"},
		{"/kubepods.slice/kubepods-pod1.slice/cri-containerd-%s.scope", "cri",
		 "72b5d9158307"},
		{"/machine.slice/libpod-%s.scope/container", "podman", "72b5d9158307"},
	};
	for (size_t i = 0; i < 6; i++) {
		int n = snprintf(path, sizeof(path), cases[i].fmt, hex);
		assert_true(sk_container_match_cgroup(path, (size_t)n, id, full, &type));
		assert_string_equal(type, cases[i].type);
		assert_string_equal(id, cases[i].id);
	}
	assert_string_equal(full, hex);
	/* cri-o non-systemd: "/" layout of docker matches the id first */
	int n = snprintf(path, sizeof(path), "/crio-%s", hex);
	assert_true(sk_container_match_cgroup(path, (size_t)n, id, full, &type));
	assert_string_equal(id, "72b5d9158307");
	/* containerd ctr: arbitrary ids in a namespace */
	assert_true(sk_container_match_cgroup("/default/c1", 11, id, full, &type));
	assert_string_equal(type, "containerd");
	assert_string_equal(id, "c1");
	assert_true(sk_container_match_cgroup("cpu=/default/c1", 15, id, full, &type));
	/* host cgroups */
	assert_false(sk_container_match_cgroup("/", 1, id, full, &type));
	assert_false(sk_container_match_cgroup("/user.slice/user-0.slice/session-1.scope", 40, id,
					       full, &type));
	assert_false(sk_container_match_cgroup("/system.slice/cron.service", 26, id, full,
					       &type));
	/* short ids are containerd (ctr) ids in namespace "docker", as the plugin says */
	assert_true(sk_container_match_cgroup("/docker/abc", 11, id, full, &type));
	assert_string_equal(type, "containerd");
	assert_string_equal(id, "abc");
	/* lxc */
	assert_true(sk_container_match_cgroup("/lxc.payload.web1", 17, id, full, &type));
	assert_string_equal(id, "web1");
	assert_string_equal(type, "lxc");
}

static void test_container_of_thread(void **state)
{
	(void)state;
	struct sk_state *st = sk_state_new(NULL);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	seed_thread(&ops, 5, 5, 1, "sh",
		    B("cpuset=/docker/72b5d91583079288d0538c55e1dd1fa92fbc134c12975694beccf648d5104439"
		      "\0perf_event_cgroup=/x\0"));
	seed_thread(&ops, 6, 6, 1, "sh",
		    B("cpuset=/docker/72b5d91583079288d0538c55e1dd1fa92fbc134c12975694beccf648d5104439"
		      "\0"));
	sk_state_seed_done(st);
	struct sk_thread *t = sk_state_thread(st, 5);
	assert_string_equal(sk_thread_container_id(t), "72b5d9158307");
	assert_ptr_equal(t->container, sk_state_thread(st, 6)->container);
	/* cgroup subsystem names are normalized like libsinsp */
	assert_int_equal(t->cgroups.len, strlen(t->cgroups.s) + 1 + strlen("perf_event=/x"));
	assert_string_equal(t->cgroups.s + strlen(t->cgroups.s) + 1, "perf_event=/x");
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.containers, 1);
	sk_state_free(st);
}

static void test_bounds(void **state)
{
	(void)state;
	struct sk_state_config cfg = {.max_threads = 3, .max_fds_per_process = 2};
	struct sk_state *st = sk_state_new(&cfg);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	for (uint64_t i = 1; i <= 5; i++)
		seed_thread(&ops, i, i, 1, "p", B(""));
	sk_state_seed_done(st);
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.threads, 3);
	assert_int_equal(s.threads_evicted, 2);
	struct sk_scap_fd fd;
	memset(&fd, 0, sizeof(fd));
	fd.type = SK_FD_FILE;
	fd.name = B("/x");
	for (int64_t i = 0; i < 4; i++) {
		fd.fd = i;
		assert_int_equal(ops.fd(ops.ctx, 1, &fd), 0);
	}
	sk_state_stats(st, &s);
	assert_int_equal(sk_state_fd_count(st, sk_state_thread(st, 1)), 2);
	assert_int_equal(s.fds_dropped, 2);
	assert_int_equal(s.fds, 2);
	sk_state_free(st);
}

/* The bound over all fd tables together: refusals counted apart from the
 * per-process ones, room again once fds go away. */
static void test_bound_total_fds(void **state)
{
	(void)state;
	struct sk_state_config cfg = {.max_fds_per_process = 4, .max_fds = 5};
	struct sk_state *st = sk_state_new(&cfg);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	for (uint64_t i = 1; i <= 3; i++)
		seed_thread(&ops, i, i, 1, "p", B(""));
	sk_state_seed_done(st);
	struct sk_scap_fd fd;
	memset(&fd, 0, sizeof(fd));
	fd.type = SK_FD_FILE;
	fd.name = B("/x");
	for (uint64_t pid = 1; pid <= 3; pid++)
		for (int64_t i = 0; i < 3; i++) {
			fd.fd = i;
			assert_int_equal(ops.fd(ops.ctx, pid, &fd), 0);
		}
	struct sk_state_stats s;
	sk_state_stats(st, &s);
	assert_int_equal(s.fds, 5);
	assert_int_equal(s.fds_dropped_total, 4);
	assert_int_equal(s.fds_dropped, 0);
	sk_state_clear(st);
	sk_state_stats(st, &s);
	assert_int_equal(s.fds, 0);
	seed_thread(&ops, 1, 1, 1, "p", B(""));
	sk_state_seed_done(st);
	assert_int_equal(ops.fd(ops.ctx, 1, &fd), 0);
	sk_state_stats(st, &s);
	assert_int_equal(s.fds, 1);
	assert_int_equal(s.fds_dropped_total, 4);
	sk_state_free(st);
}

/* The live purge (libsinsp's remove_inactive_threads): the first scan 30 s
 * after the first event, then one per interval; a thread idle past the
 * timeout goes only when /proc (here the callback) no longer has it. */
static int alive_calls;
static bool alive_unless_3_or_4(void *ctx, int64_t pid, int64_t tid)
{
	(void)ctx;
	alive_calls++;
	assert_int_equal(pid, tid);
	return tid != 3 && tid != 4;
}

static void post_at(struct sk_state *st, uint64_t s)
{
	struct sk_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = s * 1000000000ULL;
	sk_state_post(st, &ev);
}

static void test_live_purge(void **state)
{
	(void)state;
	const uint64_t s = 1000000000ULL;
	struct sk_state_config cfg = {.thread_timeout_ns = 100 * s,
				      .purge_interval_ns = 300 * s,
				      .thread_alive = alive_unless_3_or_4};
	struct sk_state *st = sk_state_new(&cfg);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	for (uint64_t i = 1; i <= 4; i++)
		seed_thread(&ops, i, i, 1, "p", B(""));
	sk_state_seed_done(st);
	alive_calls = 0;
	post_at(st, 1000);                        /* first event: schedules the scan */
	sk_state_thread_touch(st, 4, 1000 * s);   /* 4 is busy, 3 idle since the seed */
	post_at(st, 1029);
	assert_non_null(sk_state_thread(st, 3));
	assert_int_equal(alive_calls, 0);
	post_at(st, 1031);                        /* the first scan, 30 s in */
	assert_null(sk_state_thread(st, 3));
	assert_non_null(sk_state_thread(st, 4)); /* gone from /proc but not idle */
	assert_non_null(sk_state_thread(st, 1));
	assert_int_equal(alive_calls, 3);          /* 1, 2 and 3 asked; 4 is not idle */
	struct sk_state_stats ss;
	sk_state_stats(st, &ss);
	assert_int_equal(ss.threads_purged, 1);
	post_at(st, 1300);                        /* within the interval: no scan */
	assert_non_null(sk_state_thread(st, 4));
	post_at(st, 1332);
	assert_null(sk_state_thread(st, 4));
	assert_non_null(sk_state_thread(st, 2));
	sk_state_stats(st, &ss);
	assert_int_equal(ss.threads_purged, 2);
	sk_state_free(st);

	/* replays (no callback) never purge */
	st = sk_state_new(NULL);
	sk_state_meta_ops(st, &ops);
	seed_thread(&ops, 1, 1, 1, "p", B(""));
	sk_state_seed_done(st);
	for (uint64_t t = 1; t < 100000; t += 600)
		post_at(st, t);
	assert_non_null(sk_state_thread(st, 1));
	sk_state_free(st);
}

/* The public path join normalises as fd.name does (used by evt.abspath). */
static void test_path_join(void **state)
{
	(void)state;
	char out[SK_STATE_PATH_MAX];
	sk_state_path_join(out, "", 0, "/tmp/../etc/shadow");
	assert_string_equal(out, "/etc/shadow");
	sk_state_path_join(out, "", 0, "//etc//passwd/");
	assert_string_equal(out, "/etc/passwd");
	sk_state_path_join(out, "/root/", 6, "a/./b/../c");
	assert_string_equal(out, "/root/a/c");
	sk_state_path_join(out, "/", 1, "..");
	assert_string_equal(out, "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_and_lookup),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_container_match),
		cmocka_unit_test(test_container_of_thread),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_bound_total_fds),
		cmocka_unit_test(test_live_purge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
