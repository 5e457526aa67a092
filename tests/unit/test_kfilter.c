/* test_kfilter.c — the kernel filter: one table of cases (a predicate, then
 * opens with their path, flags and result) run through the user-space
 * evaluation (sk_kf_set_keep, what the replay emulation uses) and through the
 * real probe (same code, kfilter_eval.h, compiled into it; needs root and
 * BTF, skipped loudly otherwise); and the derivation from rules: what is
 * derived, what is refused (a rule that could read a dropped file's fd).
 * Then the sends and receives on connected TCP sockets: derived when no rule
 * can match them on TCP, dropped by the probe on a real loopback TCP
 * connection (IPv4, and IPv6 to an IPv4-mapped peer) and kept on UDP, on a
 * TCP socket not connected and on one of real IPv6 addresses. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "kfilter/kfilter.h"
#include "rules/rules.h"

#define PPM_RD 1u
#define PPM_WR 2u
#define PPM_DIR 1024u

static char dir[64];

/* One open of the table: path under dir (or as is when it starts with '='),
 * flags, whether it succeeds, and what each side must decide. */
struct kcase {
	const char *path;
	int oflags;
	bool ok;
	bool keep_user, keep_kernel;
};

static const struct kcase cases[] = {
	{"/a", O_RDONLY, true, true, true},             /* exact name */
	{"/c", O_RDONLY, true, false, false},           /* in no set */
	{"/sub/x", O_RDONLY, true, true, true},         /* under a prefix */
	{"/x/b.log", O_RDONLY, true, true, true},       /* file name */
	{"/c", O_WRONLY, true, true, true},             /* written: term 1 */
	{"//a", O_RDONLY, true, true, true},            /* not clean: kept */
	{"/missing", O_RDONLY, false, false, false},    /* failed, no "../" */
	{"/sub/../missing", O_RDONLY, false, true, true}, /* failed with "../" */
	{"/sub", O_RDONLY, true, false, true},          /* a directory: the probe sees the
							 * inode, the emulation cannot */
	{"/sub", O_RDONLY | O_DIRECTORY, true, true, true},
};

/* The predicate every filtered open type gets in these tests. */
static struct sk_kf_set *table_set(void)
{
	struct sk_kf_set *k = sk_kf_set_new();
	assert_non_null(k);
	static const uint16_t codes[] = {3, 307, 327};
	char p[128];
	for (size_t i = 0; i < 3; i++) {
		struct sk_kf_pred *pr = &k->pred[codes[i]];
		pr->on = 1;
		pr->nterms = 3;
		pr->t[0] = (struct sk_kf_term){.res = SK_KF_RES_OK, .path = 1, .flags_any = {PPM_RD, 0}};
		pr->t[1] = (struct sk_kf_term){.res = SK_KF_RES_OK, .flags_any = {PPM_WR, 0}};
		pr->t[2] = (struct sk_kf_term){.res = SK_KF_RES_FAIL, .dotdot = 1};
		snprintf(p, sizeof(p), "%s/a", dir);
		assert_int_equal(sk_kf_set_add_path(k, codes[i], SK_KF_EXACT, p, strlen(p), 1), 0);
		snprintf(p, sizeof(p), "%s/sub/", dir);
		assert_int_equal(sk_kf_set_add_path(k, codes[i], SK_KF_PREFIX, p, strlen(p), 1), 0);
		unsigned depth = 0;
		for (const char *q = p; *q; q++)
			depth += *q == '/';
		pr->depths = 1u << depth;
		assert_int_equal(sk_kf_set_add_path(k, codes[i], SK_KF_BASENAME, "b.log", 5, 1), 0);
	}
	k->pred[5] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_CLOSE};
	sk_kf_set_seal(k);
	return k;
}

static void case_path(const struct kcase *c, char *out, size_t n)
{
	snprintf(out, n, "%s%s", dir, c->path);
}

static uint32_t ppm_flags(int f)
{
	uint32_t r = (f & O_ACCMODE) == O_WRONLY ? PPM_WR : (f & O_ACCMODE) == O_RDWR ? 3 : PPM_RD;
	if (f & O_DIRECTORY)
		r |= PPM_DIR;
	return r;
}

/* An openat exit event as the probe writes it. */
static void build_openat(struct sk_buf *b, struct sk_event *ev, const char *path, int64_t ret,
			 uint32_t flags)
{
	struct sk_event_builder eb;
	b->len = 0;
	sk_event_build_begin(&eb, b, 1, 1, 307, 7);
	sk_event_build_u64(&eb, (uint64_t)ret, 8);
	sk_event_build_u64(&eb, (uint64_t)-100, 8);
	sk_event_build_str(&eb, path);
	sk_event_build_u64(&eb, flags, 4);
	sk_event_build_u64(&eb, 0, 4);
	sk_event_build_u64(&eb, 0, 4);
	sk_event_build_u64(&eb, 0, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(ev, (const uint8_t *)b->data, b->len, &err), 0);
}

/* A close exit event (res, fd). */
static void build_close(struct sk_buf *b, struct sk_event *ev, int64_t tid, int64_t fd)
{
	struct sk_event_builder eb;
	b->len = 0;
	sk_event_build_begin(&eb, b, 2, tid, 5, 2);
	sk_event_build_u64(&eb, 0, 8);
	sk_event_build_u64(&eb, (uint64_t)fd, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(ev, (const uint8_t *)b->data, b->len, &err), 0);
}

/* Closes: the close of a dropped open's fd goes, others stay; a sent event
 * that makes the same fd number, or an exec, forgets the dropped open. */
static void test_close_user(void **state)
{
	(void)state;
	struct sk_kf_set *k = table_set();
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	char p[256];
	snprintf(p, sizeof(p), "%s/c", dir);
	build_openat(&b, &ev, p, 7, PPM_RD);
	assert_false(sk_kf_set_keep(k, &ev));        /* dropped: fd 7 remembered */
	build_close(&b, &ev, 1, 8);
	assert_true(sk_kf_set_keep(k, &ev));         /* another fd */
	build_close(&b, &ev, 2, 7);
	assert_true(sk_kf_set_keep(k, &ev));         /* another thread */
	build_close(&b, &ev, 1, 7);
	assert_false(sk_kf_set_keep(k, &ev));        /* the dropped open's fd */
	build_close(&b, &ev, 1, 7);
	assert_true(sk_kf_set_keep(k, &ev));         /* forgotten once closed */
	build_openat(&b, &ev, p, 7, PPM_RD);
	assert_false(sk_kf_set_keep(k, &ev));
	snprintf(p, sizeof(p), "%s/a", dir);
	build_openat(&b, &ev, p, 7, PPM_RD);         /* fd 7 made again by a sent open */
	assert_true(sk_kf_set_keep(k, &ev));
	build_close(&b, &ev, 1, 7);
	assert_true(sk_kf_set_keep(k, &ev));
	sk_buf_done(&b);
	sk_kf_set_free(k);
}

static void test_table_user(void **state)
{
	(void)state;
	struct sk_kf_set *k = table_set();
	struct sk_buf b;
	sk_buf_init(&b, 0);
	for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) {
		char p[256];
		case_path(&cases[i], p, sizeof(p));
		struct sk_event ev;
		build_openat(&b, &ev, p, cases[i].ok ? 3 : -2, ppm_flags(cases[i].oflags));
		if (sk_kf_set_keep(k, &ev) != cases[i].keep_user)
			fail_msg("case %zu (%s, flags 0x%x): user space says %s", i, p, cases[i].oflags,
				 cases[i].keep_user ? "drop" : "keep");
	}
	/* events of other types, and with no predicate, are always kept */
	struct sk_event ev;
	build_openat(&b, &ev, "/nowhere", -2, PPM_RD);
	k->pred[307].on = 0;
	assert_true(sk_kf_set_keep(k, &ev));
	assert_true(sk_kf_set_keep(NULL, &ev));
	sk_buf_done(&b);
	sk_kf_set_free(k);
}

/* The real probe with 4 MiB rings; skips the test (loudly) without root,
 * BTF or the right to load it. */
static struct sk_driver *probe_open(struct sk_err *err)
{
	if (geteuid() != 0 || access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "\n*** test_kfilter: SKIPPING the probe side: needs root and BTF ***\n");
		skip();
	}
	sk_err_clear(err);
	struct sk_driver_opts o = {.ring_bytes = 4u << 20};
	struct sk_driver *d = sk_driver_open(&o, err);
	if (!d && (err->code == -EPERM || err->code == -ENOENT || err->code == -ENOTSUP)) {
		fprintf(stderr, "\n*** test_kfilter: SKIPPING the probe side: %s ***\n", err->msg);
		skip();
	}
	assert_non_null(d);
	return d;
}

static void test_table_probe(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_driver *d = probe_open(&err);
	bool want[SK_EVENT_MAX] = {0};
	want[307] = true;
	want[5] = true;
	assert_int_equal(sk_driver_select(d, want), 0);
	struct sk_kf_set *k = table_set();
	assert_int_equal(sk_driver_set_kfilter(d, k), 0);
	pid_t me = (pid_t)syscall(SYS_gettid);
	int fds[SK_ARRAY_LEN(cases)];
	for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) {
		char p[256];
		case_path(&cases[i], p, sizeof(p));
		fds[i] = (int)syscall(SYS_openat, AT_FDCWD, p, cases[i].oflags);
		if ((fds[i] >= 0) != cases[i].ok)
			fail_msg("case %zu: openat(%s) %s", i, p, fds[i] >= 0 ? "succeeded" : "failed");
	}
	for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	bool closed[SK_ARRAY_LEN(cases)] = {0};
	bool seen[SK_ARRAY_LEN(cases)] = {0};
	int c_reads = 0, c_writes = 0; /* /c is opened twice: read (dropped), write (sent) */
	struct sk_event ev;
	int idle = 0;
	/* until the rings are quiet, or 3 s on a busy machine (ours came first) */
	for (time_t end = time(NULL) + 3; idle < 3 && time(NULL) < end;) {
		int rc = sk_driver_next(d, &ev, 100, &err);
		assert_true(rc >= 0);
		if (rc == 0) {
			idle++;
			continue;
		}
		if (ev.tid == me && ev.type == 5) {
			int64_t cfd = -1;
			assert_true(sk_event_get_s64(&ev, 1, &cfd));
			for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++)
				if (fds[i] >= 0 && fds[i] == cfd)
					closed[i] = true;
			continue;
		}
		if (ev.tid != me || ev.type != 307)
			continue;
		const char *name = sk_event_get_str(&ev, 2);
		int64_t ret = -1;
		assert_true(sk_event_get_s64(&ev, 0, &ret));
		uint64_t fl = 0;
		assert_true(sk_event_get_u64(&ev, 3, &fl));
		for (size_t i = 0; name && i < SK_ARRAY_LEN(cases); i++) {
			char p[256];
			case_path(&cases[i], p, sizeof(p));
			if (strcmp(p, name) || (ret >= 0) != cases[i].ok)
				continue;
			seen[i] = true;
			if (!strcmp(cases[i].path, "/c")) {
				c_reads += !(fl & PPM_WR);
				c_writes += !!(fl & PPM_WR);
				break;
			}
		}
	}
	assert_int_equal(c_reads, 0);
	assert_int_equal(c_writes, 1);
	/* the close of an fd whose open was dropped is dropped too */
	for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) {
		if (fds[i] < 0)
			continue;
		bool sent_open = !strcmp(cases[i].path, "/c") ? cases[i].oflags != O_RDONLY
							       : cases[i].keep_kernel;
		if (closed[i] != sent_open)
			fail_msg("case %zu: close of fd %d %s", i, fds[i], closed[i] ? "sent" : "dropped");
	}
	for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) {
		if (!strcmp(cases[i].path, "/c"))
			continue;
		if (seen[i] != cases[i].keep_kernel)
			fail_msg("case %zu (%s%s, flags 0x%x): the probe %s it", i, dir, cases[i].path,
				 cases[i].oflags, seen[i] ? "sent" : "dropped");
	}
	uint64_t passed[SK_EVENT_MAX], filtered[SK_EVENT_MAX];
	assert_int_equal(sk_driver_kf_stats(d, passed, filtered), 0);
	assert_true(filtered[307] >= 2); /* /c read, /missing */
	assert_true(passed[307] >= 7);
	/* off again: everything is sent */
	assert_int_equal(sk_driver_set_kfilter(d, NULL), 0);
	char p[256];
	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_true(syscall(SYS_openat, AT_FDCWD, p, O_RDONLY) < 0);
	bool got = false;
	idle = 0;
	for (time_t end = time(NULL) + 3; idle < 3 && !got && time(NULL) < end;) {
		int rc = sk_driver_next(d, &ev, 100, &err);
		if (rc == 0) {
			idle++;
			continue;
		}
		const char *name = ev.type == 307 ? sk_event_get_str(&ev, 2) : NULL;
		got = ev.tid == me && name && !strcmp(name, p);
	}
	assert_true(got);
	sk_kf_set_free(k);
	sk_driver_free(d);
}

/* ---- derivation ---------------------------------------------------------------- */

static struct sk_rules *load(const char *text)
{
	struct sk_rules *r = sk_rules_new(NULL);
	assert_non_null(r);
	const struct sk_load_result *res = sk_rules_load(r, "t.yaml", text, strlen(text));
	assert_true(sk_load_result_ok(res));
	return r;
}

static struct sk_kf_set *derive(struct sk_rules *r, struct sk_buf *sum)
{
	struct sk_kf_set *k = NULL;
	struct sk_err err;
	sk_err_clear(&err);
	sk_buf_init(sum, 0);
	assert_int_equal(sk_kfilter_derive(r, &k, sum, NULL, &err), 0);
	return k;
}

/* The filter of a rules text (the rules are freed; the set is the caller's). */
static struct sk_kf_set *derive_text(const char *text, struct sk_buf *sum)
{
	struct sk_rules *r = load(text);
	struct sk_kf_set *k = derive(r, sum);
	sk_rules_free(r);
	return k;
}

static bool keep(struct sk_kf_set *k, const char *path, int64_t ret, uint32_t flags)
{
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	build_openat(&b, &ev, path, ret, flags);
	bool r = sk_kf_set_keep(k, &ev);
	sk_buf_done(&b);
	return r;
}

static void test_derive(void **state)
{
	(void)state;
	struct sk_buf sum;
	struct sk_kf_set *k = derive_text(
		"- rule: shadow\n  desc: d\n  output: o %fd.name\n  priority: WARNING\n"
		"  condition: evt.type in (open, openat, openat2) and evt.is_open_read = true and"
		" fd.num >= 0 and (fd.name = /etc/shadow or fd.directory in (/etc/pam.d))"
		" and not proc.name in (sshd)\n"
		"- rule: trunc\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = openat and evt.arg.flags contains O_TRUNC and"
		" fd.filename in (syslog, auth.log)\n"
		"- rule: trav\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = openat and fd.nameraw contains \"../\" and evt.res startswith E\n"
		"- rule: notwrite\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = openat and not evt.is_open_write = true and"
		" fd.name startswith /srv/data/x\n"
		"- rule: pm\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = openat and fd.name pmatch (/opt/app)\n", &sum);
	assert_non_null(k);
	assert_non_null(strstr(sk_buf_cstr(&sum), "openat:"));
	assert_true(keep(k, "/etc/shadow", 3, PPM_RD));
	assert_true(keep(k, "/etc/pam.d/common", 3, PPM_RD));
	assert_false(keep(k, "/etc/hostname", 3, PPM_RD));
	assert_false(keep(k, "/etc/shadow", -13, PPM_RD));       /* fd.num >= 0 */
	assert_true(keep(k, "/var/log/syslog", 3, PPM_WR | 256)); /* O_TRUNC */
	assert_false(keep(k, "/var/log/syslog", 3, PPM_WR));
	assert_true(keep(k, "etc/shadow", 3, PPM_RD));            /* relative: not clean */
	assert_true(keep(k, "../../x", -2, PPM_RD));               /* failed with ../ */
	assert_false(keep(k, "/x", -2, PPM_RD));
	assert_true(keep(k, "/srv/data/xyz", 3, PPM_RD));          /* prefix cut to /srv/data/ */
	assert_false(keep(k, "/srv/data/xyz", 3, PPM_WR));         /* not write: exact negation */
	assert_true(keep(k, "/opt/app", 3, PPM_WR));               /* pmatch: the path */
	assert_true(keep(k, "/opt/app/lib/x.so", 3, PPM_WR));      /* and below it */
	assert_false(keep(k, "/opt/application", 3, PPM_WR));
	assert_true(k->pred[5].on && k->pred[5].mode == SK_KF_MODE_CLOSE);
	sk_kf_set_free(k);
	sk_buf_done(&sum);

	/* a rule on close events: closes are all sent */
	k = derive_text("- rule: o\n  desc: d\n  output: o\n  priority: WARNING\n"
		 "  condition: evt.type = openat and fd.name = /etc/shadow\n"
		 "- rule: c\n  desc: d\n  output: o\n  priority: WARNING\n"
		 "  condition: evt.type = close and proc.name = nc\n", &sum);
	assert_non_null(k);
	assert_true(k->pred[307].on);
	assert_false(k->pred[5].on);
	assert_non_null(strstr(sk_buf_cstr(&sum), "close: none"));
	sk_kf_set_free(k);
	sk_buf_done(&sum);

	/* a rule that matches every open (no translatable atom): nothing filtered there */
	k = derive_text("- rule: all\n  desc: d\n  output: o\n  priority: WARNING\n"
		 "  condition: evt.type = openat and proc.name = cat\n", &sum);
	assert_non_null(k); /* open and openat2: no rule, everything but dirs dropped */
	assert_false(k->pred[307].on);
	assert_true(k->pred[3].on && k->pred[3].nterms == 0);
	sk_kf_set_free(k);
	sk_buf_done(&sum);
}

static void test_derive_refuses(void **state)
{
	(void)state;
	/* fchmod names an fd the output renders: a dropped open would change it */
	struct sk_buf sum;
	struct sk_kf_set *k = derive_text(
		"- rule: fchmod\n  desc: d\n  output: o %evt.arg.fd\n  priority: WARNING\n"
		"  condition: evt.type = fchmod and evt.arg.mode contains S_ISUID\n", &sum);
	assert_non_null(k); /* the sends and receives on TCP still are filtered */
	assert_false(k->pred[307].on || k->pred[3].on || k->pred[327].on || k->pred[5].on);
	assert_non_null(strstr(sk_buf_cstr(&sum), "rule 'fchmod' may read the fd"));
	sk_kf_set_free(k);
	sk_buf_done(&sum);
	/* the same on dup, but only for network fds: safe */
	k = derive_text("- rule: dup\n  desc: d\n  output: o %fd.name\n  priority: WARNING\n"
		 "  condition: evt.type = dup and fd.type in (ipv4, ipv6)\n", &sum);
	assert_non_null(k);
	sk_kf_set_free(k);
	sk_buf_done(&sum);
	/* a field that walks the whole fd table */
	k = derive_text("- rule: many\n  desc: d\n  output: o\n  priority: WARNING\n"
		 "  condition: evt.type = execve and proc.fdopencount > 100\n", &sum);
	assert_non_null(k);
	assert_false(k->pred[307].on || k->pred[5].on);
	sk_kf_set_free(k);
	sk_buf_done(&sum);
}

/* ---- sends and receives on connected TCP sockets ------------------------------- */

#define SENDTO_X 31
#define RECVFROM_X 35

/* A sendto exit event (res, data, fd, size, tuple) of thread tid. */
static void build_sendto(struct sk_buf *b, struct sk_event *ev, int64_t tid, int64_t fd)
{
	struct sk_event_builder eb;
	b->len = 0;
	sk_event_build_begin(&eb, b, 3, tid, SENDTO_X, 5);
	sk_event_build_u64(&eb, 4, 8);
	sk_event_build_param(&eb, "ping", 4);
	sk_event_build_u64(&eb, (uint64_t)fd, 8);
	sk_event_build_u64(&eb, 4, 4);
	sk_event_build_param(&eb, NULL, 0);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_err err;
	assert_int_equal(sk_event_decode(ev, (const uint8_t *)b->data, b->len, &err), 0);
}

/* The emulation's state: fd 7 of thread 1 is a connected TCP socket. */
static bool fake_tcp(void *ctx, int64_t tid, int64_t fd)
{
	(void)ctx;
	return tid == 1 && fd == 7;
}

/* Whether sendto is filtered with one rule of condition `cond` (the
 * summary must say `says`). The opens and the other streams always are. */
static bool sendto_filtered(const char *cond, const char *says)
{
	char text[512];
	struct sk_buf sum;
	snprintf(text, sizeof(text), "- rule: r\n  desc: d\n  output: o\n  priority: WARNING\n"
		 "  condition: %s\n", cond);
	struct sk_kf_set *k = derive_text(text, &sum);
	assert_non_null(k);
	if (!strstr(sk_buf_cstr(&sum), says))
		fail_msg("'%s': the summary does not say '%s': %s", cond, says, sk_buf_cstr(&sum));
	bool on = k->pred[SENDTO_X].on && k->pred[SENDTO_X].mode == SK_KF_MODE_STREAM;
	sk_kf_set_free(k);
	sk_buf_done(&sum);
	return on;
}

static void test_derive_streams(void **state)
{
	(void)state;
	struct sk_buf sum;
	/* Falco's `outbound`: sendto and sendmsg only when not TCP */
	struct sk_kf_set *k = derive_text(
		"- rule: out\n  desc: d\n  output: o %fd.name\n  priority: WARNING\n"
		"  condition: ((evt.type = connect or (evt.type in (sendto, sendmsg) and"
		" fd.l4proto != tcp and fd.connected = false and fd.name_changed = true)) and"
		" (fd.typechar = 4 or fd.typechar = 6) and fd.net != \"127.0.0.0/8\")\n"
		"- rule: udp\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = recvfrom and fd.l4proto in (udp) and fd.sport = 53\n"
		"- rule: unix\n  desc: d\n  output: o\n  priority: WARNING\n"
		"  condition: evt.type = recvmsg and fd.type = unix\n", &sum);
	assert_non_null(k);
	for (uint16_t c = 31; c <= 53; c++)
		if (c == 31 || c == 35 || c == 49 || c == 53)
			assert_true(k->pred[c].on && k->pred[c].mode == SK_KF_MODE_STREAM);
	assert_non_null(strstr(sk_buf_cstr(&sum), "sendto: on connected TCP sockets"));
	/* the emulation: dropped on the connected TCP socket only */
	struct sk_buf b;
	sk_buf_init(&b, 0);
	struct sk_event ev;
	k->emu_tcp = fake_tcp;
	build_sendto(&b, &ev, 1, 7);
	assert_false(sk_kf_set_keep(k, &ev));
	build_sendto(&b, &ev, 1, 8);
	assert_true(sk_kf_set_keep(k, &ev));
	build_sendto(&b, &ev, 2, 7);
	assert_true(sk_kf_set_keep(k, &ev));
	k->emu_tcp = NULL; /* no view of the state: kept */
	build_sendto(&b, &ev, 1, 7);
	assert_true(sk_kf_set_keep(k, &ev));
	sk_buf_done(&b);
	sk_kf_set_free(k);
	sk_buf_done(&sum);

	/* rules that may match on TCP: those types are not filtered */
	static const char *const tcp_rules[] = {
		"evt.type = sendto and fd.sport = 443",
		"evt.type in (sendto, recvfrom) and fd.l4proto = tcp",
		"evt.type = sendto and not fd.l4proto = udp",
		"evt.type = sendto and fd.type in (ipv4, ipv6)",
		"evt.type = sendto and fd.l4proto != udp",
		"evt.type = sendto and fd.l4proto in (udp, tcp)",
		"evt.type = sendto and proc.name = nc",
	};
	for (size_t i = 0; i < SK_ARRAY_LEN(tcp_rules); i++)
		if (sendto_filtered(tcp_rules[i], "sendto: none (rule 'r' may match it on TCP)"))
			fail_msg("sendto filtered although '%s' may match it on TCP", tcp_rules[i]);
	/* not on TCP: filtered */
	static const char *const other_rules[] = {
		"evt.type = sendto and fd.l4proto = udp",
		"evt.type = sendto and fd.type = unix",
		"evt.type = sendto and fd.typechar = u",
		"evt.type = sendto and fd.sockfamily = unix",
		"evt.type = sendto and not fd.l4proto = tcp and proc.name = nc",
		"evt.type = sendto and (fd.l4proto = udp or fd.type = unix)",
	};
	for (size_t i = 0; i < SK_ARRAY_LEN(other_rules); i++)
		if (!sendto_filtered(other_rules[i], "sendto: on connected TCP sockets"))
			fail_msg("sendto not filtered although '%s' is false on TCP", other_rules[i]);
}

/* A loopback TCP connection (client c, accepted a) and a UDP socket u. */
struct socks {
	int l, c, a, u, n; /* n: a TCP socket never connected */
	struct sockaddr_in sin;
};

static void open_socks(struct socks *s)
{
	socklen_t sl = sizeof(s->sin);
	memset(&s->sin, 0, sizeof(s->sin));
	s->sin.sin_family = AF_INET;
	s->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->l >= 0);
	assert_int_equal(bind(s->l, (struct sockaddr *)&s->sin, sizeof(s->sin)), 0);
	assert_int_equal(listen(s->l, 1), 0);
	assert_int_equal(getsockname(s->l, (struct sockaddr *)&s->sin, &sl), 0);
	s->c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(s->c, (struct sockaddr *)&s->sin, sizeof(s->sin)), 0);
	s->a = accept4(s->l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s->a >= 0);
	s->u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s->n = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->u >= 0 && s->n >= 0);
}

static void test_streams_probe(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_driver *d = probe_open(&err);
	bool want[SK_EVENT_MAX] = {0};
	want[SENDTO_X] = want[RECVFROM_X] = true;
	assert_int_equal(sk_driver_select(d, want), 0);
	struct sk_kf_set *k = sk_kf_set_new();
	assert_non_null(k);
	k->pred[SENDTO_X] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_STREAM};
	k->pred[RECVFROM_X] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_STREAM};
	assert_int_equal(sk_driver_set_kfilter(d, k), 0);
	struct socks s;
	open_socks(&s);
	char buf[8];
	/* dropped: both ends of the connection, and after the peer closed
	 * (CLOSE_WAIT) */
	assert_int_equal(sendto(s.c, "ping", 4, 0, NULL, 0), 4);
	assert_int_equal(recvfrom(s.a, buf, sizeof(buf), 0, NULL, NULL), 4);
	assert_int_equal(sendto(s.a, "pong", 4, 0, NULL, 0), 4);
	assert_int_equal(recvfrom(s.c, buf, sizeof(buf), 0, NULL, NULL), 4);
	close(s.a);
	assert_int_equal(recvfrom(s.c, buf, sizeof(buf), 0, NULL, NULL), 0);
	/* sent: UDP, and a TCP socket that is not connected (fails) */
	assert_int_equal(sendto(s.u, "udp", 3, 0, (struct sockaddr *)&s.sin, sizeof(s.sin)), 3);
	assert_true(sendto(s.n, "x", 1, MSG_NOSIGNAL, NULL, 0) < 0);
	/* a dual-stack IPv6 socket to an IPv4 peer (::ffff:127.0.0.1): dropped;
	 * one of real IPv6 addresses (::1): sent, user space may lack its role */
	int m = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = s.sin.sin_port};
	s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6.sin6_addr.s6_addr[12], &s.sin.sin_addr, 4);
	assert_int_equal(connect(m, (struct sockaddr *)&s6, sizeof(s6)), 0);
	int ma = accept4(s.l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(ma >= 0);
	assert_int_equal(sendto(m, "v4m", 3, 0, NULL, 0), 3);
	int l6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t a6l = sizeof(a6);
	assert_int_equal(bind(l6, (struct sockaddr *)&a6, sizeof(a6)), 0);
	assert_int_equal(listen(l6, 1), 0);
	assert_int_equal(getsockname(l6, (struct sockaddr *)&a6, &a6l), 0);
	int c6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c6, (struct sockaddr *)&a6, sizeof(a6)), 0);
	assert_int_equal(sendto(c6, "v6", 2, 0, NULL, 0), 2);
	pid_t me = (pid_t)syscall(SYS_gettid);
	int sent_tcp = 0, sent_udp = 0, sent_unconnected = 0, sent_v4m = 0, sent_v6 = 0;
	struct sk_event ev;
	int idle = 0;
	for (time_t end = time(NULL) + 3; idle < 3 && time(NULL) < end;) {
		int rc = sk_driver_next(d, &ev, 100, &err);
		assert_true(rc >= 0);
		if (rc == 0) {
			idle++;
			continue;
		}
		if (ev.tid != me || (ev.type != SENDTO_X && ev.type != RECVFROM_X))
			continue;
		int64_t fd = -1;
		assert_true(sk_event_get_s64(&ev, ev.type == SENDTO_X ? 2 : 3, &fd));
		sent_tcp += fd == s.c || fd == s.a;
		sent_udp += fd == s.u;
		sent_unconnected += fd == s.n;
		sent_v4m += fd == m;
		sent_v6 += fd == c6;
	}
	assert_int_equal(sent_tcp, 0);
	assert_int_equal(sent_udp, 1);
	assert_int_equal(sent_unconnected, 1);
	assert_int_equal(sent_v4m, 0);
	assert_int_equal(sent_v6, 1);
	close(m);
	close(ma);
	close(c6);
	close(l6);
	uint64_t passed[SK_EVENT_MAX], filtered[SK_EVENT_MAX];
	assert_int_equal(sk_driver_kf_stats(d, passed, filtered), 0);
	assert_true(filtered[SENDTO_X] >= 2);
	assert_true(filtered[RECVFROM_X] >= 3);
	close(s.c);
	close(s.l);
	close(s.u);
	close(s.n);
	sk_kf_set_free(k);
	sk_driver_free(d);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sk_kf_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char p[128];
	static const char *const files[] = {"/a", "/c", "/sub/x", "/x/b.log"};
	snprintf(p, sizeof(p), "%s/sub", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/x", dir);
	mkdir(p, 0755);
	for (size_t i = 0; i < SK_ARRAY_LEN(files); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, files[i]);
		int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_user),
		cmocka_unit_test(test_close_user),
		cmocka_unit_test(test_table_probe),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_derive_refuses),
		cmocka_unit_test(test_derive_streams),
		cmocka_unit_test(test_streams_probe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
