/* test_fields.c — unit tests for the field registry (lookup, binding),
 * flag/sockaddr/socktuple rendering and evt.* extraction on built events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fields/fields.h"
#include "state/state.h"

static void test_flags(void **state)
{
	(void)state;
	const struct sk_flag_table *ff = sk_flag_table_find("file_flags");
	assert_non_null(ff);
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_render_flags(ff, 4097, false, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "O_RDONLY|O_CLOEXEC");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(ff, 3 | 4, false, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "O_CREAT|O_RDWR");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(ff, 1, false, &b), 0); /* equal to a name: stops there */
	assert_string_equal(sk_buf_cstr(&b), "O_RDONLY");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(ff, 0, false, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "O_NONE");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(ff, 67, false, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "O_NONBLOCK|O_RDWR");
	const struct sk_flag_table *fam = sk_flag_table_find("socket_families");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(fam, 10, true, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "AF_INET6");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(fam, 1, true, &b), 0); /* first of two equal names */
	assert_string_equal(sk_buf_cstr(&b), "AF_LOCAL");
	sk_buf_reset(&b);
	assert_int_equal(sk_render_flags(fam, 200, true, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "");
	sk_buf_done(&b);
}

static void test_socktuple(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	uint8_t v4[13] = {2, 127, 0, 0, 1, 0, 0, 10, 0, 0, 2, 0, 0};
	uint16_t sp = 47192, dp = 80;
	memcpy(v4 + 5, &sp, 2);
	memcpy(v4 + 11, &dp, 2);
	assert_int_equal(sk_render_socktuple(v4, sizeof(v4), &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "127.0.0.1:47192->10.0.0.2:80");

	uint8_t v6[37] = {10};
	v6[1 + 10] = 0xff, v6[1 + 11] = 0xff, v6[1 + 12] = 192, v6[1 + 15] = 1;
	v6[19 + 10] = 0xff, v6[19 + 11] = 0xff, v6[19 + 12] = 10, v6[19 + 15] = 9;
	memcpy(v6 + 17, &sp, 2);
	memcpy(v6 + 35, &dp, 2);
	sk_buf_reset(&b);
	assert_int_equal(sk_render_socktuple(v6, sizeof(v6), &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "192.0.0.1:47192->10.0.0.9:80"); /* mapped: as IPv4 */
	v6[1 + 10] = 0, v6[1 + 11] = 0, v6[1 + 12] = 0, v6[1 + 15] = 1; /* ::1 */
	v6[19 + 10] = 0, v6[19 + 11] = 0, v6[19 + 12] = 0, v6[19 + 15] = 1;
	v6[1] = 0;
	sk_buf_reset(&b);
	v6[2] = 0;
	/* ::1 is not mapped (zero prefix is not all-zero address) */
	v6[1 + 15] = 1;
	assert_int_equal(sk_render_socktuple(v6, sizeof(v6), &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "::1:47192->::1:80");

	uint8_t ux[17 + 6] = {1};
	uint64_t a = 0xffff9e0e12345600ULL, d = 0xffff9e0e12345700ULL;
	memcpy(ux + 1, &a, 8);
	memcpy(ux + 9, &d, 8);
	memcpy(ux + 17, "/a\x01" "b", 5);
	sk_buf_reset(&b);
	assert_int_equal(sk_render_socktuple(ux, 17 + 5, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "ffff9e0e12345600->ffff9e0e12345700 /ab");

	uint8_t sa[7] = {2, 10, 1, 2, 3, 0, 0};
	memcpy(sa + 5, &dp, 2);
	sk_buf_reset(&b);
	assert_int_equal(sk_render_sockaddr(sa, sizeof(sa), &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "10.1.2.3:80");
	uint8_t other[1] = {17};
	sk_buf_reset(&b);
	assert_int_equal(sk_render_sockaddr(other, 1, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "family 17");
	sk_buf_done(&b);
}

static void test_lookup(void **state)
{
	(void)state;
	size_t m = 0;
	const struct sk_field_info *fi = sk_fields_lookup(SK_SRC_SYSCALL, "evt.arg.flags", &m);
	assert_non_null(fi);
	assert_string_equal(fi->name, "evt.arg");
	assert_int_equal(m, 7);
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "evt.args", &m);
	assert_string_equal(fi->name, "evt.args");
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "proc.exe_ino.ctime", &m);
	assert_string_equal(fi->name, "proc.exe_ino.ctime");
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "proc.name.x", &m);
	assert_null(fi); /* proc.name takes no dotted argument */
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "evt.abspath.src", &m);
	assert_string_equal(fi->name, "evt.abspath");
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "thread.cgroup.memory", &m);
	assert_string_equal(fi->name, "thread.cgroup");
	fi = sk_fields_lookup(SK_SRC_SYSCALL, "thread.cgroups", &m);
	assert_string_equal(fi->name, "thread.cgroups");
	assert_null(sk_fields_lookup(SK_SRC_SYSCALL, "nope.field", &m));

	struct sk_err err;
	struct sk_fieldref *f = sk_fieldref_new(SK_SRC_SYSCALL, "proc.aname", "2", &err);
	assert_non_null(f);
	assert_string_equal(sk_fieldref_text(f), "proc.aname[2]");
	assert_false(sk_fieldref_flags(f) & SK_FF_ANY);
	sk_fieldref_free(f);
	f = sk_fieldref_new(SK_SRC_SYSCALL, "proc.aname", NULL, &err);
	assert_true(sk_fieldref_flags(f) & SK_FF_ANY);
	sk_fieldref_free(f);
	assert_null(sk_fieldref_new(SK_SRC_SYSCALL, "proc.aname", "x", &err));
	assert_null(sk_fieldref_new(SK_SRC_SYSCALL, "evt.arg", NULL, &err));
	assert_null(sk_fieldref_new(SK_SRC_SYSCALL, "evt.arg.nosuchparam", NULL, &err));
	assert_null(sk_fieldref_new(SK_SRC_SYSCALL, "proc.name", "1", &err));
	assert_null(sk_fieldref_new(SK_SRC_SYSCALL, "evt.type.is.nosuchevent", NULL, &err));
	f = sk_fieldref_new(SK_SRC_SYSCALL, "evt.rawarg.res", NULL, &err);
	assert_non_null(f);
	assert_int_equal(sk_fieldref_type(f), SK_PT_ERRNO);
	sk_fieldref_free(f);
	assert_true(sk_fields_foreach(SK_SRC_SYSCALL, NULL, NULL) > 290);
	assert_int_equal(sk_source_parse("k8s_audit"), SK_SRC_K8S_AUDIT);
	assert_string_equal(sk_source_name(SK_SRC_SYSCALL), "syscall");
}

static char *fmt(struct sk_eval_ctx *c, const char *name, const char *arg)
{
	struct sk_err err;
	struct sk_fieldref *f = sk_fieldref_new(SK_SRC_SYSCALL, name, arg, &err);
	if (!f)
		fail_msg("%s: %s", name, err.msg);
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_true(sk_fieldref_format(f, c, &b) >= 0);
	sk_fieldref_free(f);
	char *s = sk_buf_steal(&b);
	return s ? s : strdup("");
}

#define ASSERT_FIELD(c, name, arg, want)                                                  \
	do {                                                                              \
		char *s_ = fmt(c, name, arg);                                             \
		assert_string_equal(s_, want);                                            \
		free(s_);                                                                 \
	} while (0)

static void build_openat(struct sk_buf *b, struct sk_event *ev, int64_t fd, const char *path,
			 uint32_t flags, uint32_t mode)
{
	struct sk_event_builder eb;
	sk_buf_reset(b);
	sk_event_build_begin(&eb, b, 1795330770910937420ULL, 2752, 307, 7); /* openat_X */
	sk_event_build_u64(&eb, (uint64_t)fd, 8);
	sk_event_build_u64(&eb, (uint64_t)-100, 8);
	sk_event_build_str(&eb, path);
	sk_event_build_u64(&eb, flags, 4);
	sk_event_build_u64(&eb, mode, 4);
	sk_event_build_u64(&eb, 0xFE00, 4);
	sk_event_build_u64(&eb, 1234, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(ev, (const uint8_t *)b->data, b->len, &err), 0);
	ev->num = 3;
	ev->cpuid = 1;
}

static void test_evt_fields(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	build_openat(&b, &ev, 3, "/etc/ld.so.cache", 4097, 0);
	struct sk_eval_ctx c;
	sk_eval_ctx_init(&c, NULL);
	sk_eval_ctx_set_event(&c, &ev);
	ASSERT_FIELD(&c, "evt.num", NULL, "3");
	ASSERT_FIELD(&c, "evt.type", NULL, "openat");
	ASSERT_FIELD(&c, "evt.dir", NULL, "<");
	ASSERT_FIELD(&c, "evt.cpu", NULL, "1");
	ASSERT_FIELD(&c, "evt.time", NULL, "06:59:30.910937420");
	ASSERT_FIELD(&c, "evt.time.s", NULL, "06:59:30");
	ASSERT_FIELD(&c, "evt.datetime", NULL, "2026-11-22 06:59:30.910937420");
	ASSERT_FIELD(&c, "evt.time.iso8601", NULL, "2026-11-22T06:59:30.910937420+0000");
	ASSERT_FIELD(&c, "evt.rawtime", NULL, "1795330770910937420");
	ASSERT_FIELD(&c, "evt.rawtime.ns", NULL, "910937420");
	ASSERT_FIELD(&c, "evt.reltime", NULL, "000000000");
	ASSERT_FIELD(&c, "evt.category", NULL, "file");
	ASSERT_FIELD(&c, "evt.res", NULL, "SUCCESS");
	ASSERT_FIELD(&c, "evt.rawres", NULL, "3");
	ASSERT_FIELD(&c, "evt.failed", NULL, "false");
	ASSERT_FIELD(&c, "evt.arg.flags", NULL, "O_RDONLY|O_CLOEXEC");
	ASSERT_FIELD(&c, "evt.rawarg.flags", NULL, "4097");
	ASSERT_FIELD(&c, "evt.arg", "2", "/etc/ld.so.cache");
	ASSERT_FIELD(&c, "evt.arg.dirfd", NULL, "-100");  /* no thread: not resolved */
	ASSERT_FIELD(&c, "evt.arg.dev", NULL, "FE00");
	ASSERT_FIELD(&c, "evt.args", NULL,
		     "fd=3 dirfd=-100 name=/etc/ld.so.cache flags=4097(O_RDONLY|O_CLOEXEC) mode=0 "
		     "dev=FE00 ino=1234");
	c.sysdig = true; /* saker inspect: sysdig 0.29 ends every argument with a space */
	ASSERT_FIELD(&c, "evt.args", NULL,
		     "fd=3 dirfd=-100 name=/etc/ld.so.cache flags=4097(O_RDONLY|O_CLOEXEC) mode=0 "
		     "dev=FE00 ino=1234 ");
	c.sysdig = false;
	ASSERT_FIELD(&c, "evt.is_open_read", NULL, "true");
	ASSERT_FIELD(&c, "evt.is_open_write", NULL, "false");
	ASSERT_FIELD(&c, "evt.is_open_exec", NULL, "false");
	ASSERT_FIELD(&c, "evt.is_io", NULL, "false");
	ASSERT_FIELD(&c, "evt.type.is.openat", NULL, "1");
	ASSERT_FIELD(&c, "evt.type.is.open", NULL, "0");
	ASSERT_FIELD(&c, "evt.arg.res", NULL, "<NA>");
	ASSERT_FIELD(&c, "proc.name", NULL, "<NA>"); /* no state */
	ASSERT_FIELD(&c, "evt.buffer", NULL, "<NA>");

	build_openat(&b, &ev, -2, "/nope", 4 | 2 | 64, 0755);
	sk_eval_ctx_set_event(&c, &ev);
	ASSERT_FIELD(&c, "evt.res", NULL, "ENOENT");
	ASSERT_FIELD(&c, "evt.rawres", NULL, "-2");
	ASSERT_FIELD(&c, "evt.failed", NULL, "true");
	ASSERT_FIELD(&c, "evt.arg.flags", NULL, "O_NONBLOCK|O_CREAT|O_WRONLY");
	ASSERT_FIELD(&c, "evt.arg.mode", NULL, "0755");
	ASSERT_FIELD(&c, "evt.is_open_write", NULL, "true");
	ASSERT_FIELD(&c, "evt.is_open_exec", NULL, "true");

	/* read_X with a buffer, cut at 80 like sysdig */
	struct sk_event_builder eb;
	sk_buf_reset(&b);
	sk_event_build_begin(&eb, &b, 1795330770910937421ULL, 2752, 7, 4); /* read_X */
	char data[100];
	for (int i = 0; i < 100; i++)
		data[i] = (char)(i < 4 ? "\x7f" "ELF"[i] : 'a' + i % 26);
	sk_event_build_u64(&eb, 100, 8);
	sk_event_build_param(&eb, data, sizeof(data));
	sk_event_build_u64(&eb, 3, 8);
	sk_event_build_u64(&eb, 832, 4);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)b.data, b.len, &err), 0);
	ev.num = 4;
	sk_eval_ctx_set_event(&c, &ev);
	c.max_buf_output = 80;
	char *s = fmt(&c, "evt.arg.data", NULL);
	assert_int_equal(strlen(s), 80);
	assert_memory_equal(s, ".ELFefgh", 8);
	assert_string_equal(s + 77, "...");
	free(s);
	ASSERT_FIELD(&c, "evt.is_io_read", NULL, "true");
	ASSERT_FIELD(&c, "evt.deltatime", NULL, "1");
	ASSERT_FIELD(&c, "evt.reltime", NULL, "000000001");

	sk_eval_ctx_done(&c);
	sk_buf_done(&b);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sk_errno_name(-2), "ENOENT");
	assert_string_equal(sk_errno_name(-512), "ERESTARTSYS");
	assert_null(sk_errno_name(0));
	assert_null(sk_errno_name(-300));
	assert_string_equal(sk_signal_name(9), "SIGKILL");
	assert_string_equal(sk_syscall_name(3), "read");
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_render_bytes("a\nb\x80", 4, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "a.b.");
	sk_buf_done(&b);
}

/* Seeds thread tid (its own process, comm "sh") as a capture's process list
 * does, with the NUL-separated argument list args (len bytes). */
static void seed_args(struct sk_state *st, int64_t tid, int64_t ptid, const char *args,
		      uint32_t len)
{
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = t.pid = tid;
	t.ptid = ptid;
	t.sid = t.vpgid = t.pgid = t.vtid = t.vpid = -1;
	t.comm = (struct sk_bytes){"sh", 2};
	t.exe = t.comm;
	t.args = (struct sk_bytes){args, len};
	assert_int_equal(ops.thread(ops.ctx, &t), 0);
}

static void seed(struct sk_state *st, int64_t tid, int64_t ptid)
{
	seed_args(st, tid, ptid, "", 0);
}

/* proc.ppid is the pid of the parent process found in the table (libsinsp's
 * proc.aX[1]); none when the parent is missing or the thread is libsinsp's
 * placeholder for an unknown tid. */
static void test_ppid(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	build_openat(&b, &ev, 3, "/x", 0, 0); /* tid 2752 */
	for (int round = 0; round < 3; round++) {
		struct sk_state *st = sk_state_new(NULL);
		if (round == 0) {
			seed(st, 2000, 1);
			seed(st, 2752, 2000);
		} else if (round == 1) {
			seed(st, 2752, 555);
		}
		sk_state_seed_done(st);
		if (round == 2)
			assert_non_null(sk_state_thread_touch(st, 2752, 1));
		struct sk_eval_ctx c;
		sk_eval_ctx_init(&c, st);
		sk_eval_ctx_set_event(&c, &ev);
		ASSERT_FIELD(&c, "proc.ppid", NULL, round == 0 ? "2000" : "<NA>");
		ASSERT_FIELD(&c, "proc.pid", NULL, round == 2 ? "-1" : "2752");
		ASSERT_FIELD(&c, "thread.ismain", NULL, round == 2 ? "false" : "true");
		sk_eval_ctx_done(&c);
		sk_state_free(st);
	}
	sk_buf_done(&b);
}

/* What differs between Falco 0.44 (the engine) and sysdig 0.29 (saker
 * inspect, ctx.sysdig): argument lists split as libsinsp splits them, string
 * values sanitized (U+FFFD), unknown process groups. */
static void test_falco_forms(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	build_openat(&b, &ev, 3, "/tmp/a\nb", 0, 0); /* tid 2752 */
	static const struct {
		const char *args;
		uint32_t len;
		const char *cmdline, *nargs;
	} cases[] = {
		{"", 0, "sh", "0"},          /* no arguments */
		{"\0", 1, "sh", "0"},        /* a lone terminator: none */
		{"\0\0", 2, "sh  ", "2"},   /* two empty arguments */
		{"-f\0", 3, "sh -f", "1"},
		{"a\0\0b\0", 5, "sh a  b", "3"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_state *st = sk_state_new(NULL);
		seed_args(st, 2752, 1, cases[i].args, cases[i].len);
		sk_state_seed_done(st);
		struct sk_eval_ctx c;
		sk_eval_ctx_init(&c, st);
		sk_eval_ctx_set_event(&c, &ev);
		ASSERT_FIELD(&c, "proc.cmdline", NULL, cases[i].cmdline);
		ASSERT_FIELD(&c, "proc.cmdnargs", NULL, cases[i].nargs);
		if (i == 0) {
			ASSERT_FIELD(&c, "proc.exeline", NULL, "sh ");
			ASSERT_FIELD(&c, "proc.is_pgid_leader", NULL, "false");
			ASSERT_FIELD(&c, "fs.path.nameraw", NULL, "/tmp/a\xef\xbf\xbd" "b");
			ASSERT_FIELD(&c, "evt.arg.name", NULL, "/tmp/a\xef\xbf\xbd" "b");
			c.sysdig = true;
			sk_eval_ctx_set_event(&c, &ev);
			ASSERT_FIELD(&c, "proc.exeline", NULL, "sh");
			ASSERT_FIELD(&c, "proc.is_pgid_leader", NULL, "<NA>");
			ASSERT_FIELD(&c, "fs.path.nameraw", NULL, "/tmp/a\nb");
		}
		sk_eval_ctx_done(&c);
		sk_state_free(st);
	}
	sk_buf_done(&b);
}

/* Seeds one fd of thread 2752 as a capture's fd table does. */
static void seed_fd(struct sk_scap_meta_ops *ops, struct sk_scap_fd *f)
{
	assert_int_equal(ops->fd(ops->ctx, 2752, f), 0);
}

static void read_enter(struct sk_buf *b, struct sk_event *ev, int64_t fd)
{
	struct sk_event_builder eb;
	sk_buf_reset(b);
	sk_event_build_begin(&eb, b, 1795330770910937420ULL, 2752, 6, 2); /* read_E */
	sk_event_build_u64(&eb, (uint64_t)fd, 8);
	sk_event_build_u64(&eb, 10, 4);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(ev, (const uint8_t *)b->data, b->len, &err), 0);
}

#define ASSERT_FD_FIELD(st, b, fdnum, name, want)                                         \
	do {                                                                              \
		struct sk_event ev_;                                                      \
		read_enter(b, &ev_, fdnum);                                               \
		struct sk_eval_ctx c_;                                                    \
		sk_eval_ctx_init(&c_, st);                                                \
		sk_eval_ctx_set_event(&c_, &ev_);                                         \
		sk_eval_ctx_fd_from_event(&c_);                                           \
		ASSERT_FIELD(&c_, name, NULL, want);                                      \
		sk_eval_ctx_done(&c_);                                                    \
	} while (0)

/* Sockets of a capture's fd table, read with libsinsp's extractors
 * (sinsp_filtercheck_fd): client/server/local/remote ends only for a socket
 * with a role; fd.is_server from the destination address; fd.l4proto "<NA>"
 * for anything that is not an IP socket. */
static void test_fd_socket_ends(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_state *st = sk_state_new(NULL);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	seed(st, 2752, 1);
	struct sk_scap_iface ifc = {.type = 1, .addr = {10, 0, 2, 15}};
	assert_int_equal(ops.iface(ops.ctx, &ifc), 0);

	struct sk_scap_fd f = {.fd = 3, .type = SK_FD_IPV4_SOCK, .sip = {10, 0, 2, 2},
			       .dip = {10, 0, 2, 15}, .sport = 49289, .dport = 22,
			       .l4proto = SK_L4_TCP};
	seed_fd(&ops, &f); /* 49289 is no listening port: the client end */
	struct sk_scap_fd v6 = {.fd = 4, .type = SK_FD_IPV6_SOCK, .sip = {[15] = 1},
				.dip = {[15] = 2}, .sport = 5000, .dport = 443,
				.l4proto = SK_L4_TCP};
	seed_fd(&ops, &v6); /* IPv6 sockets from the table get no role */
	struct sk_scap_fd ux = {.fd = 5, .type = SK_FD_UNIX_SOCK,
				.name = {"/run/x.sock", 11}};
	seed_fd(&ops, &ux); /* named: the server end */
	struct sk_scap_fd file = {.fd = 6, .type = SK_FD_FILE, .name = {"/etc/hosts", 10}};
	seed_fd(&ops, &file);
	struct sk_scap_fd srv = {.fd = 7, .type = SK_FD_IPV4_SERVSOCK, .sport = 8080,
				 .l4proto = SK_L4_TCP};
	seed_fd(&ops, &srv);
	sk_state_seed_done(st);

	ASSERT_FD_FIELD(st, &b, 3, "fd.cport", "49289");
	ASSERT_FD_FIELD(st, &b, 3, "fd.sport", "22");
	ASSERT_FD_FIELD(st, &b, 3, "fd.is_server", "true"); /* 10.0.2.15 is ours */
	ASSERT_FD_FIELD(st, &b, 3, "fd.lip", "10.0.2.15");  /* source not ours */
	ASSERT_FD_FIELD(st, &b, 3, "fd.rport", "49289");
	ASSERT_FD_FIELD(st, &b, 3, "fd.l4proto", "tcp");

	ASSERT_FD_FIELD(st, &b, 4, "fd.cport", "<NA>");
	ASSERT_FD_FIELD(st, &b, 4, "fd.sip", "<NA>");
	ASSERT_FD_FIELD(st, &b, 4, "fd.lport", "<NA>");
	ASSERT_FD_FIELD(st, &b, 4, "fd.is_server", "false");

	ASSERT_FD_FIELD(st, &b, 5, "fd.cport", "<NA>");
	ASSERT_FD_FIELD(st, &b, 5, "fd.cproto", "");
	ASSERT_FD_FIELD(st, &b, 5, "fd.is_server", "false");
	ASSERT_FD_FIELD(st, &b, 5, "fd.sockfamily", "unix");

	ASSERT_FD_FIELD(st, &b, 6, "fd.l4proto", "<NA>");
	ASSERT_FD_FIELD(st, &b, 6, "fd.cproto", "<NA>");

	ASSERT_FD_FIELD(st, &b, 7, "fd.sport", "8080");
	ASSERT_FD_FIELD(st, &b, 7, "fd.sproto", "");
	ASSERT_FD_FIELD(st, &b, 7, "fd.sip", "<NA>"); /* no role from the table */
	ASSERT_FD_FIELD(st, &b, 7, "fd.is_server", "true");
	ASSERT_FD_FIELD(st, &b, 7, "fd.cport", "<NA>");
	sk_state_free(st);
	sk_buf_done(&b);
}

/* fd fields of an event whose fd is not in the table, as libsinsp's
 * extractors give them: fd.num is the event's fd (-1 for a failed open),
 * fd.typechar is guessed from the event type, fd.name/fd.directory come
 * from the event's path; events that use no fd have no fd fields. */
static void test_fd_without_entry(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_state *st = sk_state_new(NULL);
	seed(st, 2752, 1);
	sk_state_seed_done(st);
	struct sk_event ev;
	build_openat(&b, &ev, -2, "/etc/nope/x.conf", 0, 0); /* ENOENT */
	sk_state_update(st, &ev);
	struct sk_eval_ctx c;
	sk_eval_ctx_init(&c, st);
	sk_eval_ctx_set_event(&c, &ev);
	ASSERT_FIELD(&c, "fd.num", NULL, "-1");
	ASSERT_FIELD(&c, "fd.typechar", NULL, "f");
	ASSERT_FIELD(&c, "fd.name", NULL, "/etc/nope/x.conf");
	ASSERT_FIELD(&c, "fd.directory", NULL, "/etc/nope");
	ASSERT_FIELD(&c, "fd.containername", NULL, ":/etc/nope/x.conf");
	ASSERT_FIELD(&c, "fd.type", NULL, "<NA>");
	ASSERT_FIELD(&c, "fd.filename", NULL, "<NA>");
	ASSERT_FIELD(&c, "fd.uid", NULL, "2752-1");
	sk_state_post(st, &ev);
	sk_eval_ctx_done(&c);

	build_openat(&b, &ev, 5, "rel/y", 0, 0); /* success: the table has it */
	sk_state_update(st, &ev);
	sk_eval_ctx_init(&c, st);
	sk_eval_ctx_set_event(&c, &ev);
	ASSERT_FIELD(&c, "fd.num", NULL, "5");
	ASSERT_FIELD(&c, "fd.type", NULL, "file");
	ASSERT_FIELD(&c, "fd.filename", NULL, "y");
	sk_state_post(st, &ev);
	sk_eval_ctx_done(&c);
	sk_state_free(st);
	sk_buf_done(&b);
}


/* proc.sname as libsinsp: the session leader is the thread whose tid is the
 * sid (outside a pid namespace); no sid (-1) gives "" (a value, not none). */
static void test_session_leader(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	build_openat(&b, &ev, 3, "/x", 0, 0); /* tid 2752 */
	for (int round = 0; round < 2; round++) {
		struct sk_state *st = sk_state_new(NULL);
		struct sk_scap_meta_ops ops;
		sk_state_meta_ops(st, &ops);
		struct sk_scap_thread t;
		memset(&t, 0, sizeof(t));
		t.tid = t.pid = t.sid = 1000;
		t.ptid = 1;
		t.vpgid = t.pgid = t.vtid = t.vpid = -1;
		t.comm = (struct sk_bytes){"sshd", 4};
		t.exe = t.comm;
		assert_int_equal(ops.thread(ops.ctx, &t), 0);
		t.tid = t.pid = 2752;
		t.ptid = 1000;
		t.sid = round == 0 ? 1000 : -1;
		t.comm = (struct sk_bytes){"cat", 3};
		assert_int_equal(ops.thread(ops.ctx, &t), 0);
		sk_state_seed_done(st);
		struct sk_eval_ctx c;
		sk_eval_ctx_init(&c, st);
		sk_eval_ctx_set_event(&c, &ev);
		ASSERT_FIELD(&c, "proc.sname", NULL, round == 0 ? "sshd" : "");
		sk_eval_ctx_done(&c);
		sk_state_free(st);
	}
	sk_buf_done(&b);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),     cmocka_unit_test(test_socktuple),
		cmocka_unit_test(test_lookup),    cmocka_unit_test(test_evt_fields),
		cmocka_unit_test(test_names),     cmocka_unit_test(test_ppid),
		cmocka_unit_test(test_fd_socket_ends),
		cmocka_unit_test(test_fd_without_entry),
		cmocka_unit_test(test_session_leader),
		cmocka_unit_test(test_falco_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
