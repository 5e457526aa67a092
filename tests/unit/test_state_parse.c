/* test_state_parse.c — state updates from events built with the event
 * builder: process tree (clone/execve/procexit), fds (open/openat with
 * dirfd, dup, close), sockets and tuples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "state/state.h"

/* One param: kind 'u' integer of width w, 's' string, 'b' raw bytes, '-' empty. */
struct prm {
	char kind;
	unsigned w;
	uint64_t u;
	const void *p;
	uint32_t len;
};
#define U(w, v) ((struct prm){'u', (w), (uint64_t)(v), NULL, 0})
#define S(s) ((struct prm){'s', 0, 0, (s), 0})
#define BB(p, l) ((struct prm){'b', 0, 0, (p), (l)})
#define E ((struct prm){'-', 0, 0, NULL, 0})

struct ctx {
	struct sk_state *st;
	struct sk_buf buf;
	uint64_t ts;
};

/* Builds the event, runs update (checked visible) and post. */
static void feed(struct ctx *c, int64_t tid, uint16_t type, size_t n, const struct prm *ps)
{
	sk_buf_reset(&c->buf);
	struct sk_event_builder b;
	sk_event_build_begin(&b, &c->buf, c->ts += 1000, tid, type, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		switch (ps[i].kind) {
		case 'u': sk_event_build_u64(&b, ps[i].u, ps[i].w); break;
		case 's': sk_event_build_str(&b, ps[i].p); break;
		case 'b': sk_event_build_param(&b, ps[i].p, ps[i].len); break;
		default: sk_event_build_param(&b, NULL, 0); break;
		}
	}
	assert_int_equal(sk_event_build_end(&b), 0);
	struct sk_event ev;
	struct sk_err err;
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)c->buf.data, c->buf.len, &err), 0);
	sk_state_update(c->st, &ev);
	sk_state_post(c->st, &ev);
}
#define FEED(c, tid, type, ...)                                                             \
	do {                                                                                \
		const struct prm ps_[] = {__VA_ARGS__};                                     \
		feed((c), (tid), (type), sizeof(ps_) / sizeof(ps_[0]), ps_);                \
	} while (0)

static void clone_ev(struct ctx *c, int64_t tid, uint16_t type, int64_t res, int64_t pid,
		     int64_t ptid, uint32_t flags, const char *comm)
{
	FEED(c, tid, type, U(8, res), S(comm), BB("-x\0", 3), U(8, tid), U(8, pid), U(8, ptid),
	     S("/"), U(8, 1024), U(8, 0), U(8, 0), U(4, 0), U(4, 0), U(4, 0), S(comm),
	     BB("cpu=/\0", 6), U(4, flags), U(4, 1000), U(4, 1000), U(8, tid), U(8, pid), U(8, 0));
}

static void setup_cfg(struct ctx *c, const struct sk_state_config *cfg)
{
	c->st = sk_state_new(cfg);
	sk_buf_init(&c->buf, 0);
	c->ts = 1000000000000ULL;
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(c->st, &ops);
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = t.pid = 100;
	t.ptid = 1;
	t.sid = t.vpgid = t.pgid = t.vtid = t.vpid = -1;
	t.comm = (struct sk_bytes){"bash", 4};
	t.exe = t.comm;
	t.exepath = (struct sk_bytes){"/bin/bash", 9};
	t.cwd = (struct sk_bytes){"/home/u", 7};
	t.loginuid = 1000;
	assert_int_equal(ops.thread(ops.ctx, &t), 0);
	sk_state_seed_done(c->st);
}

static void setup(struct ctx *c)
{
	setup_cfg(c, NULL);
}

static void teardown(struct ctx *c)
{
	sk_state_free(c->st);
	sk_buf_done(&c->buf);
}

static const char cg_docker[] =
	"cpuset=/docker/72b5d91583079288d0538c55e1dd1fa92fbc134c12975694beccf648d5104439";

static void exec_ev(struct ctx *c, int64_t tid, const char *exe, const char *exepath)
{
	FEED(c, tid, 293, U(8, 0), S(exe), BB("a1\0a2\0", 6), U(8, tid), U(8, tid), U(8, 100),
	     S("/home/u"), U(8, 1024), U(8, 0), U(8, 0), U(4, 0), U(4, 0), U(4, 0), S("cat"),
	     BB(cg_docker, sizeof(cg_docker)),
	     BB("HOME=/root\0", 11), U(4, 34816), U(8, 0), U(4, 1000), U(4, 1 | 4), U(8, 1),
	     U(8, 2), U(8, 3), U(8, 77), U(8, 5), U(8, 6), U(4, 0), S(exepath), U(8, 200),
	     U(4, 0), S(exe));
}

/* Live user tables: a host clone asks for the host's users, an execve in a
 * container for the container's own; a later lookup of the same ids asks
 * nothing; the tables are the container's alone. */
static int loads;
static char load_cid[80];
static int64_t load_pid, fail_pid = -1;
static int fake_load_users(void *ctx, struct sk_state *st, const char *cid, int64_t pid)
{
	(void)ctx;
	loads++;
	snprintf(load_cid, sizeof(load_cid), "%s", cid);
	load_pid = pid;
	if (pid == fail_pid)
		return -ESRCH; /* the process exited before its event was read */
	if (!strcmp(cid, "host")) {
		sk_state_add_container_user(st, cid, 1000, 1000, (struct sk_bytes){"hu", 2},
					    (struct sk_bytes){"/home/hu", 8}, (struct sk_bytes){"/bin/sh", 7});
		sk_state_add_container_group(st, cid, 1000, (struct sk_bytes){"hg", 2});
		return 0;
	}
	sk_state_add_container_user(st, cid, 0, 0, (struct sk_bytes){"croot", 5},
				    (struct sk_bytes){"/croot", 6}, (struct sk_bytes){"/bin/ash", 8});
	sk_state_add_container_group(st, cid, 0, (struct sk_bytes){"cwheel", 6});
	return 0;
}

static void test_container_users(void **state)
{
	(void)state;
	struct ctx c;
	struct sk_state_config cfg = {.load_users = fake_load_users};
	setup_cfg(&c, &cfg);
	loads = 0;
	clone_ev(&c, 200, 225, 0, 200, 100, 0, "bash"); /* uid/gid 1000, on the host */
	assert_int_equal(loads, 1);
	assert_string_equal(load_cid, "host");
	assert_string_equal(sk_state_user(c.st, "host", 1000)->name, "hu");
	clone_ev(&c, 201, 225, 0, 201, 100, 0, "bash");
	assert_int_equal(loads, 1); /* known now */
	exec_ev(&c, 200, "cat", "/usr/bin/cat"); /* into a docker container, uid 0 */
	assert_int_equal(loads, 2);
	assert_string_equal(load_cid, "72b5d9158307");
	assert_int_equal(load_pid, 200);
	const struct sk_user *u = sk_state_user(c.st, "72b5d9158307", 0);
	assert_non_null(u);
	assert_string_equal(u->name, "croot");
	assert_string_equal(u->homedir, "/croot");
	assert_string_equal(u->shell, "/bin/ash");
	assert_string_equal(sk_state_group(c.st, "72b5d9158307", 0)->name, "cwheel");
	assert_null(sk_state_user(c.st, "host", 0));          /* the container's alone */
	assert_null(sk_state_user(c.st, "72b5d9158307", 1000));
	assert_null(sk_state_user(c.st, "0123456789ab", 0));  /* untracked container */
	struct sk_state_stats s;
	sk_state_stats(c.st, &s);
	assert_int_equal(s.users, 4);
	exec_ev(&c, 201, "cat", "/usr/bin/cat");
	assert_int_equal(loads, 2);
	/* a missing uid, and the process already gone: another process of the
	 * container is read instead */
	fail_pid = 200;
	FEED(&c, 200, 199, U(8, 0), U(4, 77)); /* setuid(77) */
	assert_int_equal(loads, 4);
	assert_int_equal(load_pid, 201);
	FEED(&c, 200, 199, U(8, 0), U(4, 77)); /* the same miss within a second */
	assert_int_equal(loads, 4);
	fail_pid = -1;
	/* two missing uids, alternating: a few loads a second, not one each */
	c.ts += 2000000000ULL;
	for (int i = 0; i < 20; i++)
		FEED(&c, 201, 199, U(8, 0), U(4, 500 + (i & 1)));
	assert_int_equal(loads, 8);
	teardown(&c); /* the container's tables are freed with it (ASan) */
}

/* Live: a thread an event names that the table lacks is read through
 * cfg.read_thread (not for clone events, which make the thread themselves),
 * at most 256 times a second of event time. */
static int reads;
static int64_t read_tid;
static int fake_read_thread(void *ctx, struct sk_state *st, int64_t tid)
{
	(void)ctx;
	reads++;
	read_tid = tid;
	if (tid >= 1000)
		return 1; /* gone */
	struct sk_scap_meta_ops ops;
	sk_state_live_ops(st, &ops);
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = t.pid = (uint64_t)tid;
	t.ptid = 100;
	t.sid = t.vpgid = t.pgid = t.vtid = t.vpid = -1;
	t.comm = (struct sk_bytes){"fromproc", 8};
	t.exe = t.comm;
	t.exepath = (struct sk_bytes){"/usr/bin/fromproc", 17};
	t.cwd = (struct sk_bytes){"/srv", 4};
	assert_int_equal(ops.thread(ops.ctx, &t), 0);
	struct sk_scap_fd f;
	memset(&f, 0, sizeof(f));
	f.fd = 3;
	f.type = SK_FD_FILE_V2;
	f.name = (struct sk_bytes){"/srv/data", 9};
	assert_int_equal(ops.fd(ops.ctx, (uint64_t)tid, &f), 0);
	/* a thread the table has already is left alone */
	t.tid = t.pid = 100;
	t.comm = (struct sk_bytes){"other", 5};
	assert_int_equal(ops.thread(ops.ctx, &t), 0);
	return 0;
}

static void test_read_unknown_thread(void **state)
{
	(void)state;
	struct ctx c;
	struct sk_state_config cfg = {.read_thread = fake_read_thread};
	setup_cfg(&c, &cfg);
	reads = 0;
	FEED(&c, 300, 275, U(8, 300)); /* setsid by a thread never seen */
	assert_int_equal(reads, 1);
	assert_int_equal(read_tid, 300);
	struct sk_thread *t = sk_state_thread(c.st, 300);
	assert_non_null(t);
	assert_string_equal(t->comm.s, "fromproc");
	assert_string_equal(t->exepath.s, "/usr/bin/fromproc");
	assert_string_equal(sk_state_cwd(c.st, t)->s, "/srv/");
	assert_int_equal(t->ptid, 100);
	assert_non_null(t->parent_link);
	assert_int_equal(t->sid, 300);
	assert_int_equal(sk_state_fd_count(c.st, t), 1);
	assert_string_equal(sk_state_thread(c.st, 100)->comm.s, "bash");
	FEED(&c, 300, 275, U(8, 300)); /* known now */
	assert_int_equal(reads, 1);
	clone_ev(&c, 400, 225, 0, 400, 100, 0, "bash"); /* a clone child makes itself */
	assert_int_equal(reads, 1);
	/* gone threads: made from the event; the rate bound */
	for (int64_t tid = 1000; tid < 1300; tid++)
		FEED(&c, tid, 275, U(8, tid));
	struct sk_state_stats s;
	sk_state_stats(c.st, &s);
	assert_int_equal(s.proc_lookups, 256);
	assert_int_equal(s.proc_lookups_failed, 255);
	assert_int_equal(s.proc_lookups_skipped, 45);
	assert_string_equal(sk_state_thread(c.st, 1000)->comm.s, "<NA>");
	teardown(&c);
}

static int passed[16];
static size_t npassed;
static int fake_read_fds(void *ctx, struct sk_state *st, int64_t pid, const int *fds, size_t n)
{
	(void)ctx;
	assert_int_equal(pid, 100);
	for (size_t i = 0; i < n && npassed < 16; i++)
		passed[npassed++] = fds[i];
	struct sk_scap_meta_ops ops;
	sk_state_live_ops(st, &ops);
	struct sk_scap_fd f;
	memset(&f, 0, sizeof(f));
	f.fd = fds[0];
	f.type = SK_FD_FILE_V2;
	f.name = (struct sk_bytes){"/srv/passed", 11};
	return ops.fd(ops.ctx, (uint64_t)pid, &f);
}

/* A cmsghdr (x86_64: u64 len, int level, int type) with `n` int fds, at
 * b + off; returns the aligned end. */
static size_t put_cmsg(uint8_t *b, size_t off, int32_t level, int32_t type, const int *fds,
		       size_t n, uint64_t len_override)
{
	uint64_t len = len_override ? len_override : 16 + 4 * n;
	memcpy(b + off, &len, 8);
	memcpy(b + off + 8, &level, 4);
	memcpy(b + off + 12, &type, 4);
	memcpy(b + off + 16, fds, 4 * n);
	return off + ((16 + 4 * n + 7) & ~(size_t)7);
}

/* The fds of SCM_RIGHTS messages a recvmsg on a unix socket received are
 * read (live), as libsinsp does; other control messages, other sockets,
 * failed calls and malformed control bytes read nothing more. */
static void test_passed_fds(void **state)
{
	(void)state;
	struct ctx c;
	struct sk_state_config cfg = {.read_fds = fake_read_fds};
	setup_cfg(&c, &cfg);
	struct sk_thread *t = sk_state_thread(c.st, 100);
	FEED(&c, 100, 43, U(8, 0), U(8, 6), U(8, 7), U(8, 0xabc), U(8, 0xdef), U(4, 1), U(4, 1),
	     U(4, 0)); /* socketpair: fds 6, 7 */
	uint8_t ctl[256] = {0};
	int cred[3] = {1, 0, 0}, two[2] = {9, 10}, one[1] = {12};
	size_t n = put_cmsg(ctl, 0, 1, 2 /* SCM_CREDENTIALS */, cred, 3, 0);
	n = put_cmsg(ctl, n, 1, 1 /* SCM_RIGHTS */, two, 2, 0);
	n = put_cmsg(ctl, n, 1, 1, one, 1, 0);
	npassed = 0;
	/* recvmsg_x: res size data tuple msgcontrol fd */
	FEED(&c, 100, 53, U(8, 1), U(4, 1), BB("x", 1), E, BB(ctl, (uint32_t)n), U(8, 7));
	assert_int_equal(npassed, 3);
	assert_int_equal(passed[0], 9);
	assert_int_equal(passed[1], 10);
	assert_int_equal(passed[2], 12);
	assert_string_equal(sk_state_fd(c.st, t, 9)->name.s, "/srv/passed");
	/* a failed call, a socket that is not unix, no control bytes: nothing */
	npassed = 0;
	FEED(&c, 100, 53, U(8, -11), U(4, 0), E, E, E, U(8, 7));
	FEED(&c, 100, 53, U(8, 1), U(4, 1), BB("x", 1), E, BB(ctl, (uint32_t)n), U(8, 9));
	FEED(&c, 100, 53, U(8, 1), U(4, 1), BB("x", 1), E, E, U(8, 7));
	assert_int_equal(npassed, 0);
	/* malformed: a length past the end, below a header, fds not whole */
	static const uint64_t bad[] = {4096, 8, 16 + 3};
	for (size_t i = 0; i < 3; i++) {
		memset(ctl, 0, sizeof(ctl));
		n = put_cmsg(ctl, 0, 1, 1, two, 2, bad[i]);
		FEED(&c, 100, 53, U(8, 1), U(4, 1), BB("x", 1), E, BB(ctl, (uint32_t)n), U(8, 7));
	}
	assert_int_equal(npassed, 0);
	/* a truncated buffer: the whole messages before the cut still count */
	memset(ctl, 0, sizeof(ctl));
	n = put_cmsg(ctl, 0, 1, 1, one, 1, 0);
	size_t cut = put_cmsg(ctl, n, 1, 1, two, 2, 0) - 6;
	FEED(&c, 100, 53, U(8, 1), U(4, 1), BB("x", 1), E, BB(ctl, (uint32_t)cut), U(8, 7));
	assert_int_equal(npassed, 1);
	assert_int_equal(passed[0], 12);
	teardown(&c);
}

/* useradded/userdeleted and the group records, as libsinsp replays them:
 * the host's entries are taken; a container's only update what it has. */
static void test_user_records(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	FEED(&c, -1, 354, U(4, 1234), U(4, 50), S("alice"), S("/home/alice"), S("/bin/zsh"), S(""));
	const struct sk_user *u = sk_state_user(c.st, "host", 1234);
	assert_non_null(u);
	assert_string_equal(u->name, "alice");
	assert_string_equal(u->shell, "/bin/zsh");
	FEED(&c, -1, 358, U(4, 50), S("staff"), S(""));
	assert_string_equal(sk_state_group(c.st, "host", 50)->name, "staff");
	exec_ev(&c, 100, "cat", "/usr/bin/cat"); /* tracks the docker container */
	FEED(&c, -1, 354, U(4, 7), U(4, 7), S("bob"), S("/"), S("/bin/sh"), S("72b5d9158307"));
	assert_null(sk_state_user(c.st, "72b5d9158307", 7));
	FEED(&c, -1, 356, U(4, 1234), U(4, 50), S("alice"), S("/home/alice"), S("/bin/zsh"), S(""));
	assert_null(sk_state_user(c.st, "host", 1234));
	FEED(&c, -1, 360, U(4, 50), S("staff"), S(""));
	assert_null(sk_state_group(c.st, "host", 50));
	teardown(&c);
}

static void test_process_tree(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	/* fork: child event first (inverted), then the caller's */
	clone_ev(&c, 200, 225, 0, 200, 100, 0, "bash");
	struct sk_thread *ch = sk_state_thread(c.st, 200);
	assert_non_null(ch);
	assert_int_equal(ch->ptid, 100);
	assert_string_equal(sk_state_cwd(c.st, ch)->s, "/home/u/");
	assert_int_equal(ch->loginuid, 1000); /* copied from the parent */
	clone_ev(&c, 100, 225, 200, 100, 1, 0, "bash");
	assert_ptr_equal(sk_state_thread(c.st, 200), ch);
	exec_ev(&c, 200, "cat", "/usr/bin/cat");
	assert_string_equal(ch->comm.s, "cat");
	assert_string_equal(ch->exe.s, "cat");
	assert_string_equal(ch->exepath.s, "/usr/bin/cat");
	assert_memory_equal(ch->args.s, "a1\0a2", 6);
	assert_int_equal(ch->args.len, 5);
	assert_string_equal(ch->env.s, "HOME=/root");
	assert_int_equal(ch->tty, 34816);
	assert_int_equal(ch->uid, 0);
	assert_true(ch->exe_writable);
	assert_true(ch->exe_from_memfd);
	assert_false(ch->exe_upper_layer);
	assert_int_equal(ch->cap_effective, 3);
	assert_int_equal(ch->exe_ino, 77);
	assert_int_equal(ch->pgid, 200);
	assert_string_equal(sk_thread_container_id(ch), "72b5d9158307");
	assert_int_equal(sk_state_parent(c.st, ch)->tid, 100);
	/* a thread of the child */
	clone_ev(&c, 201, 223, 0, 200, 100, 0x2000 | 0x1, "cat");
	struct sk_thread *th = sk_state_thread(c.st, 201);
	assert_non_null(th);
	assert_ptr_equal(sk_state_main_thread(c.st, th), ch);
	assert_int_equal(sk_state_nthreads(c.st, ch), 2);
	/* a grandchild, then the child exits: it is reparented to the reaper */
	clone_ev(&c, 300, 225, 0, 300, 200, 0, "cat");
	assert_int_equal(sk_state_parent(c.st, sk_state_thread(c.st, 300))->tid, 200);
	FEED(&c, 201, 186, U(8, 0), U(8, 0), U(1, 0), U(1, 0), U(8, 0));
	assert_null(sk_state_thread(c.st, 201));
	FEED(&c, 200, 186, U(8, 0), U(8, 0), U(1, 0), U(1, 0), U(8, 100));
	assert_null(sk_state_thread(c.st, 200));
	struct sk_thread *gc = sk_state_thread(c.st, 300);
	assert_int_equal(gc->ptid, 100);
	/* an unknown tid gets libsinsp's invalid thread */
	FEED(&c, 999, 5, U(8, 0), U(8, 3));
	struct sk_thread *inv = sk_state_thread(c.st, 999);
	assert_non_null(inv);
	assert_true(sk_thread_is_invalid(inv));
	assert_string_equal(inv->comm.s, "<NA>");
	teardown(&c);
}

/* Old layouts have no trusted_exepath (param 27): the exepath is the enter
 * event's filename (param 30 after conversion) joined to the cwd. */
static void test_exepath_from_filename(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	const struct prm head[] = {U(8, 0), S("ls"), BB("-l\0", 3), U(8, 100), U(8, 100),
				   U(8, 1), S("/home/u"), U(8, 1024), U(8, 0), U(8, 0), U(4, 0),
				   U(4, 0), U(4, 0), S("ls")};
	struct prm ps[31];
	for (size_t i = 0; i < 31; i++)
		ps[i] = i < SK_ARRAY_LEN(head) ? head[i] : E;
	ps[30] = S("../bin/./ls");
	feed(&c, 100, 293, 31, ps);
	struct sk_thread *t = sk_state_thread(c.st, 100);
	assert_string_equal(t->exepath.s, "/home/bin/ls");
	ps[30] = S("/usr/bin/env");
	feed(&c, 100, 293, 31, ps);
	assert_string_equal(t->exepath.s, "/usr/bin/env");
	ps[30] = S("<NA>");
	feed(&c, 100, 293, 31, ps);
	assert_string_equal(t->exepath.s, "<NA>");
	/* no filename either (enter event missed): the exepath is kept */
	ps[30] = E;
	feed(&c, 100, 293, 31, ps);
	assert_string_equal(t->exepath.s, "<NA>");
	teardown(&c);
}

static void test_fds(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	/* open relative to cwd */
	FEED(&c, 100, 3, U(8, 3), S("../x/./f.txt"), U(4, 1 | 4096), U(4, 0), U(4, 8), U(8, 9));
	struct sk_thread *t = sk_state_thread(c.st, 100);
	struct sk_fdinfo *f = sk_state_fd(c.st, t, 3);
	assert_non_null(f);
	assert_string_equal(f->name.s, "/home/x/f.txt");
	assert_string_equal(f->nameraw.s, "../x/./f.txt");
	assert_int_equal(f->type, SK_FD_FILE_V2);
	assert_int_equal(f->ino, 9);
	/* a directory, then openat relative to it */
	FEED(&c, 100, 307, U(8, 4), U(8, (uint64_t)-100), S("/etc"), U(4, 1024), U(4, 0), U(4, 0),
	     U(8, 0));
	assert_int_equal(sk_state_fd(c.st, t, 4)->type, SK_FD_DIRECTORY);
	FEED(&c, 100, 307, U(8, 5), U(8, 4), S("passwd"), U(4, 1), U(4, 0), U(4, 0), U(8, 0));
	assert_string_equal(sk_state_fd(c.st, t, 5)->name.s, "/etc/passwd");
	/* unknown dirfd */
	FEED(&c, 100, 307, U(8, 6), U(8, 42), S("y"), U(4, 1), U(4, 0), U(4, 0), U(8, 0));
	assert_string_equal(sk_state_fd(c.st, t, 6)->name.s, "<UNKNOWN>y");
	/* dup2 and close: close removes after post; rules still saw it */
	FEED(&c, 100, 363, U(8, 10), U(8, 5), U(8, 10));
	assert_string_equal(sk_state_fd(c.st, t, 10)->name.s, "/etc/passwd");
	FEED(&c, 100, 5, U(8, 0), U(8, 10));
	assert_null(sk_state_fd(c.st, t, 10));
	/* failed close keeps it */
	FEED(&c, 100, 5, U(8, (uint64_t)-9), U(8, 5));
	assert_non_null(sk_state_fd(c.st, t, 5));
	/* pipe */
	FEED(&c, 100, 393, U(8, 0), U(8, 7), U(8, 8), U(8, 1234), U(4, 0));
	assert_int_equal(sk_state_fd(c.st, t, 8)->type, SK_FD_FIFO);
	assert_int_equal(sk_state_fd(c.st, t, 7)->ino, 1234);
	/* chdir */
	FEED(&c, 100, 95, U(8, 0), S("/tmp/../var"));
	assert_string_equal(sk_state_cwd(c.st, t)->s, "/var/");
	/* exec drops close-on-exec fd 3 */
	exec_ev(&c, 100, "cat", "/usr/bin/cat");
	assert_null(sk_state_fd(c.st, t, 3));
	assert_non_null(sk_state_fd(c.st, t, 5));
	teardown(&c);
}

static void test_sockets(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	struct sk_thread *t = sk_state_thread(c.st, 100);
	FEED(&c, 100, 19, U(8, 3), U(4, 2), U(4, 1), U(4, 0), U(4, 0));
	struct sk_fdinfo *f = sk_state_fd(c.st, t, 3);
	assert_int_equal(f->type, SK_FD_IPV4_SOCK);
	assert_int_equal(f->l4proto, SK_L4_TCP);
	uint8_t tuple[13] = {2, 127, 0, 0, 1, 0x18, 0xb8, 10, 0, 0, 1, 80, 0};
	uint8_t addr[7] = {2, 10, 0, 0, 1, 80, 0};
	FEED(&c, 100, 23, U(8, 0), BB(tuple, 13), U(8, 3), BB(addr, 7));
	assert_string_equal(f->name.s, "127.0.0.1:47128->10.0.0.1:80");
	assert_true(f->flags & SK_FDF_ROLE_CLIENT);
	assert_true(f->flags & SK_FDF_SOCKET_CONNECTED);
	/* IPv4-mapped IPv6 accept shows as IPv4 */
	uint8_t t6[37] = {10};
	t6[11] = t6[12] = 0xff;
	t6[13] = 192; t6[14] = 168; t6[15] = 0; t6[16] = 5;
	t6[17] = 0x39; t6[18] = 0x30;
	t6[29] = t6[30] = 0xff;
	t6[31] = 192; t6[32] = 168; t6[33] = 0; t6[34] = 1;
	t6[35] = 0x90; t6[36] = 0x1f;
	FEED(&c, 100, 389, U(8, 4), BB(t6, 37), U(1, 0), U(4, 0), U(4, 0), U(4, 0));
	struct sk_fdinfo *a = sk_state_fd(c.st, t, 4);
	assert_non_null(a);
	assert_int_equal(a->type, SK_FD_IPV4_SOCK);
	assert_string_equal(a->name.s, "192.168.0.5:12345->192.168.0.1:8080");
	assert_true(a->flags & SK_FDF_ROLE_SERVER);
	/* bind a server socket */
	FEED(&c, 100, 19, U(8, 5), U(4, 2), U(4, 1), U(4, 6), U(4, 0));
	uint8_t baddr[7] = {2, 0, 0, 0, 0, 0x90, 0x1f};
	FEED(&c, 100, 21, U(8, 0), BB(baddr, 7), U(8, 5));
	struct sk_fdinfo *s = sk_state_fd(c.st, t, 5);
	assert_int_equal(s->type, SK_FD_IPV4_SERVSOCK);
	assert_string_equal(s->name.s, "0.0.0.0:8080");
	/* unix socketpair + unconnected UDP sendto */
	FEED(&c, 100, 43, U(8, 0), U(8, 6), U(8, 7), U(8, 0xabc), U(8, 0xdef), U(4, 1), U(4, 1),
	     U(4, 0));
	assert_int_equal(sk_state_fd(c.st, t, 7)->type, SK_FD_UNIX_SOCK);
	FEED(&c, 100, 19, U(8, 8), U(4, 2), U(4, 2), U(4, 0), U(4, 0));
	uint8_t ut[13] = {2, 10, 0, 0, 2, 0x10, 0x27, 8, 8, 8, 8, 53, 0};
	FEED(&c, 100, 31, U(8, 20), BB("x", 1), U(8, 8), U(4, 1), BB(ut, 13));
	assert_string_equal(sk_state_fd(c.st, t, 8)->name.s, "10.0.0.2:10000->8.8.8.8:53");
	/* eventfd / memfd / pidfd */
	FEED(&c, 100, 397, U(8, 9), U(2, 0), U(8, 0));
	assert_int_equal(sk_state_fd(c.st, t, 9)->type, SK_FD_EVENT);
	FEED(&c, 100, 405, U(8, 11), S("mfd"), U(4, 0));
	assert_string_equal(sk_state_fd(c.st, t, 11)->name.s, "mfd");
	FEED(&c, 100, 409, U(8, 12), U(8, 100), U(4, 0));
	assert_string_equal(sk_state_fd(c.st, t, 12)->name.s, "/proc/100");
	teardown(&c);
}

/* Tuples of sends and receives as libsinsp's parser takes them: an unset
 * end is filled from the interfaces, a socket's protocol is unknown (NA)
 * until it has a role, the role is guessed from the direction, and a
 * successful I/O on an IP socket marks it connected. */
static void test_io_tuples(void **state)
{
	(void)state;
	struct ctx c;
	setup(&c);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(c.st, &ops);
	struct sk_scap_iface lo = {.type = 1, .addr = {127, 0, 0, 1}, .netmask = {255}};
	struct sk_scap_iface eth = {.type = 1, .addr = {10, 0, 0, 2}, .netmask = {255}};
	assert_int_equal(ops.iface(ops.ctx, &lo), 0);
	assert_int_equal(ops.iface(ops.ctx, &eth), 0);
	struct sk_thread *t = sk_state_thread(c.st, 100);

	FEED(&c, 100, 19, U(8, 8), U(4, 2), U(4, 2), U(4, 0), U(4, 0)); /* UDP socket */
	struct sk_fdinfo *f = sk_state_fd(c.st, t, 8);
	assert_int_equal(sk_fd_l4proto(f), SK_L4_NA);
	uint8_t ut[13] = {2, 0, 0, 0, 0, 0x10, 0x27, 8, 8, 8, 8, 53, 0};
	FEED(&c, 100, 31, U(8, 20), BB("x", 1), U(8, 8), U(4, 1), BB(ut, 13)); /* sendto */
	assert_string_equal(f->name.s, "10.0.0.2:10000->8.8.8.8:53");
	assert_true(f->flags & SK_FDF_ROLE_CLIENT);
	assert_true(f->flags & SK_FDF_SOCKET_CONNECTED);
	assert_int_equal(sk_fd_l4proto(f), SK_L4_UDP);

	FEED(&c, 100, 19, U(8, 9), U(4, 2), U(4, 2), U(4, 0), U(4, 0));
	uint8_t rt[13] = {2, 8, 8, 4, 4, 53, 0, 10, 0, 0, 2, 0xe9, 0x14};
	FEED(&c, 100, 35, U(8, 20), BB("y", 1), BB(rt, 13), U(8, 9), U(4, 1)); /* recvfrom */
	struct sk_fdinfo *r = sk_state_fd(c.st, t, 9);
	assert_string_equal(r->name.s, "8.8.4.4:53->10.0.0.2:5353");
	assert_true(r->flags & SK_FDF_ROLE_SERVER);

	/* a failed send changes nothing */
	FEED(&c, 100, 19, U(8, 10), U(4, 2), U(4, 2), U(4, 0), U(4, 0));
	FEED(&c, 100, 31, U(8, (uint64_t)-111), BB("x", 1), U(8, 10), U(4, 1), BB(ut, 13));
	struct sk_fdinfo *n = sk_state_fd(c.st, t, 10);
	assert_int_equal(n->name.len, 0);
	assert_false(n->flags & SK_FDF_SOCKET_CONNECTED);
	teardown(&c);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_tree),
		cmocka_unit_test(test_container_users),
		cmocka_unit_test(test_user_records),
		cmocka_unit_test(test_read_unknown_thread),
		cmocka_unit_test(test_passed_fds),
		cmocka_unit_test(test_exepath_from_filename),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_io_tuples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
