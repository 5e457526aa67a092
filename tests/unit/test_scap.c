/* test_scap.c — the .scap reader and writer: every fixture capture reads to a
 * clean end with the expected counts, hand-made damaged files fail with a
 * message and an offset, and what the writer writes reads back the same. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "event/event.h"

#define TRACES SK_FIXTURES "/traces"

static bool have_fixtures(void)
{
	struct stat st;
	if (stat(TRACES "/cat_write.scap", &st) != 0) {
		print_message("SKIP: fixtures not found under %s\n", TRACES);
		return false;
	}
	return true;
}

/* ---- counting consumer ---- */
struct counts {
	int sections, machines, ifaces, users, groups, threads, fds;
	uint64_t events, tid_minus1;
	uint64_t first_tid;
	char hostname[129];
};

static int c_section(void *ctx) { ((struct counts *)ctx)->sections++; return 0; }
static int c_machine(void *ctx, const struct sk_scap_machine *mi)
{
	struct counts *c = ctx;
	c->machines++;
	memcpy(c->hostname, mi->hostname, sizeof(c->hostname));
	return 0;
}
static int c_iface(void *ctx, const struct sk_scap_iface *i) { (void)i; ((struct counts *)ctx)->ifaces++; return 0; }
static int c_user(void *ctx, const struct sk_scap_user *u) { (void)u; ((struct counts *)ctx)->users++; return 0; }
static int c_group(void *ctx, const struct sk_scap_group *g) { (void)g; ((struct counts *)ctx)->groups++; return 0; }
static int c_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct counts *c = ctx;
	if (!c->threads)
		c->first_tid = t->tid;
	c->threads++;
	return 0;
}
static int c_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f) { (void)tid; (void)f; ((struct counts *)ctx)->fds++; return 0; }

static struct sk_scap_meta_ops count_ops(struct counts *c)
{
	memset(c, 0, sizeof(*c));
	return (struct sk_scap_meta_ops){c, c_section, c_machine, c_iface, c_user, c_group, c_thread,
					 c_fd};
}

/* Reads a whole capture; returns the final sk_scap_next code. */
static int read_all(const char *path, bool raw, struct counts *c, struct sk_err *err)
{
	struct sk_scap_meta_ops ops = count_ops(c);
	struct sk_scap_open_opts o = {.raw = raw};
	struct sk_scap_reader *r = sk_scap_open_ex(path, &o, &ops, err);
	if (!r)
		return err->code ? err->code : -1;
	struct sk_event ev;
	int rc;
	while ((rc = sk_scap_next(r, &ev, err)) == 1) {
		c->events++;
		assert_int_equal(ev.num, c->events);
		if (ev.tid == -1)
			c->tid_minus1++;
		if (!raw) {
			/* Converted: every event is in the current layout. Codes the
			 * converter does not manage pass as stored (libscap does the
			 * same: old procexit_E keeps its 1 param). Enter events that
			 * the table PASSes are delivered even when flagged old. */
			if (ev.info->flags & SK_EF_OLD_VERSION) /* STORE_AND_PASS execve_E */
				assert_int_equal(ev.type, 292);
			if (ev.info->flags & SK_EF_CONVERTER_MANAGED)
				assert_int_equal(ev.nparams, ev.info->nparams);
			else
				assert_true(ev.nparams <= ev.info->nparams);
		}
	}
	sk_scap_close(r);
	return rc;
}

struct fixture {
	const char *name;
	uint64_t raw_events;  /* = sysdig 0.29.3's last evt.num with -D */
	uint64_t conv_events; /* after the converter (STOREd enter events dropped) */
	int threads, fds;
};

static const struct fixture fixtures[] = {
	{"cat_write.scap", 345, 307, 73, 384},
	{"connect_localhost.scap", 374, 371, 184, 690},
	{"empty.scap", 143, 143, 218, 883},
	{"open-multiple-files.scap", 1272, 1243, 128, 685},
	{"ping_sendto.scap", 1526, 1516, 136, 674},
	{"syscall.scap", 368, 366, 229, 773},
	{"psp/privileged.scap", 2059, 2059, 100, 644},
	{"psp/run_as_user_0_container.scap", 4143, 2795, 124, 693},
	{"psp/run_as_user_65534_container.scap", 241, 241, 126, 700},
	{"psp/write_tmp_test.scap", 229, 229, 124, 693},
};

static void test_fixtures(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	for (size_t i = 0; i < SK_ARRAY_LEN(fixtures); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", TRACES, fixtures[i].name);
		for (int raw = 0; raw < 2; raw++) {
			struct counts c;
			struct sk_err err;
			int rc = read_all(path, raw, &c, &err);
			if (rc != 0) {
				char msg[1200];
				sk_err_format(&err, msg, sizeof(msg));
				fail_msg("%s: %s", fixtures[i].name, msg);
			}
			assert_int_equal(c.events, raw ? fixtures[i].raw_events : fixtures[i].conv_events);
			assert_int_equal(c.threads, fixtures[i].threads);
			assert_int_equal(c.fds, fixtures[i].fds);
			assert_int_equal(c.sections, 1);
			assert_int_equal(c.machines, 1);
			assert_true(c.ifaces > 0);
			assert_true(c.users > 0);
		}
	}
}

/* cat_write.scap (scap-format.md §10): checks a converted open_E/open_X pair
 * and the V1 nparams inference of procinfo. */
static void test_cat_write_details(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	struct sk_err err;
	struct sk_scap_reader *r = sk_scap_open(TRACES "/cat_write.scap", NULL, &err);
	assert_non_null(r);
	assert_string_equal(sk_scap_machine_info(r)->hostname, "ubuntu");
	assert_int_equal(sk_scap_machine_info(r)->num_cpus, 2);
	struct sk_event ev;
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 234); /* procinfo, 2 params inferred from V1 */
	assert_int_equal(ev.nparams, 2);
	assert_int_equal(ev.ts, 1470327475999999999ULL);
	bool seen_open = false;
	while (sk_scap_next(r, &ev, &err) == 1) {
		if (ev.type == 3 && ev.tid == 20072 && !seen_open) {
			seen_open = true;
			assert_int_equal(ev.nparams, 6);
			int64_t fd;
			assert_true(sk_event_get_s64(&ev, 0, &fd));
			assert_int_equal(fd, 3);
			assert_string_equal(sk_event_get_str(&ev, 1), "/etc/ld.so.cache");
			uint64_t flags;
			assert_true(sk_event_get_u64(&ev, 2, &flags));
			assert_int_equal(flags, 4097);
			assert_int_equal(ev.plen[4], 0); /* dev, appended empty */
			assert_int_equal(ev.plen[5], 0); /* ino */
		}
	}
	assert_true(seen_open);
	sk_scap_close(r);

	/* Raw: the same open_X keeps its 4 stored params, and open_E (0) comes first. */
	struct sk_scap_open_opts o = {.raw = true};
	r = sk_scap_open_ex(TRACES "/cat_write.scap", &o, NULL, &err);
	assert_non_null(r);
	uint16_t prev = 0;
	while (sk_scap_next(r, &ev, &err) == 1) {
		if (ev.type == 3 && ev.tid == 20072) {
			assert_int_equal(ev.nparams, 4);
			assert_int_equal(prev, 2);
			break;
		}
		prev = ev.type;
	}
	sk_scap_close(r);
}

static void test_big_capture(void **state)
{
	(void)state;
	const char *path = TRACES "/current/workload-falco-0.44.1.scap.gz";
	struct stat st;
	if (stat(path, &st) != 0) {
		print_message("SKIP: %s not found\n", path);
		skip();
	}
	struct counts c;
	struct sk_err err;
	int rc = read_all(path, false, &c, &err);
	if (rc) {
		char msg[1200];
		sk_err_format(&err, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
	assert_int_equal(c.events, 1019361); /* fixtures README: event blocks */
	assert_int_equal(c.tid_minus1, 56);       /* useradded/groupadded */
	assert_string_equal(c.hostname, "saker-test");
	assert_int_equal(c.threads, 3);
}

/* ---- hand-made captures ---- */

static void put(struct sk_buf *b, const void *p, size_t n) { assert_int_equal(sk_buf_append(b, p, n), 0); }
static void put32(struct sk_buf *b, uint32_t v) { put(b, &v, 4); }
static void put16(struct sk_buf *b, uint16_t v) { put(b, &v, 2); }

/* Appends a block with the given body (padded) and a correct trailer. */
static void block(struct sk_buf *b, uint32_t type, const void *body, size_t n)
{
	uint32_t total = (uint32_t)((8 + n + 4 + 3) & ~(size_t)3);
	put32(b, type);
	put32(b, total);
	put(b, body, n);
	static const uint8_t zero[4];
	put(b, zero, total - 12 - n);
	put32(b, total);
}

static void shb(struct sk_buf *b)
{
	uint8_t body[16];
	uint32_t magic = 0x1A2B3C4D;
	uint16_t maj = 1, min = 2;
	uint64_t sl = UINT64_MAX;
	memcpy(body, &magic, 4);
	memcpy(body + 4, &maj, 2);
	memcpy(body + 6, &min, 2);
	memcpy(body + 8, &sl, 8);
	block(b, SK_BLOCK_SHB, body, 16);
}

/* An EV_V2 block holding a 2-param procinfo (234) event. */
static void ev_procinfo(struct sk_buf *b, uint64_t ts)
{
	struct sk_buf rec;
	sk_buf_init(&rec, 0);
	struct sk_event_builder eb;
	sk_event_build_begin(&eb, &rec, ts, 1, 234, 2);
	sk_event_build_u64(&eb, 19, 8);
	sk_event_build_u64(&eb, 192, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_buf body;
	sk_buf_init(&body, 0);
	put16(&body, 0);
	put(&body, rec.data, rec.len);
	block(b, SK_BLOCK_EV_V2, body.data, body.len);
	sk_buf_done(&rec);
	sk_buf_done(&body);
}

static void minimal(struct sk_buf *b)
{
	sk_buf_init(b, 0);
	shb(b);
	ev_procinfo(b, 1000);
	ev_procinfo(b, 2000);
}

/* Opens bytes from memory and reads to the end; returns the first error code
 * (0 = clean) and checks that every error carries a message and an offset. */
static int read_mem(const void *p, size_t n, uint64_t *events, struct sk_err *err)
{
	*events = 0;
	struct sk_scap_reader *r = sk_scap_open_mem(p, n, NULL, NULL, err);
	if (!r) {
		assert_true(err->code < 0);
		assert_true(err->msg[0] != 0);
		return err->code;
	}
	struct sk_event ev;
	int rc;
	while ((rc = sk_scap_next(r, &ev, err)) == 1)
		(*events)++;
	sk_scap_close(r);
	if (rc < 0) {
		assert_true(err->msg[0] != 0);
		assert_true(err->offset >= 0);
	}
	return rc;
}

static void test_minimal_ok(void **state)
{
	(void)state;
	struct sk_buf b;
	minimal(&b);
	uint64_t n;
	struct sk_err err;
	assert_int_equal(read_mem(b.data, b.len, &n, &err), 0);
	assert_int_equal(n, 2);
	sk_buf_done(&b);
}

static void test_damaged(void **state)
{
	(void)state;
	struct sk_buf b;
	uint64_t n;
	struct sk_err err;
	char msg[1200];

	/* zero-length */
	assert_true(read_mem("", 0, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "empty"));

	/* short header */
	minimal(&b);
	assert_true(read_mem(b.data, 5, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "truncated block header"));
	assert_int_equal(err.offset, 0);

	/* truncated inside the last event block */
	assert_true(read_mem(b.data, b.len - 3, &n, &err) < 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_true(err.offset > 28);
	sk_err_format(&err, msg, sizeof(msg));
	assert_non_null(strstr(msg, "offset"));

	/* bad block length: SHB length 8 */
	uint32_t bad = 8;
	memcpy(b.data + 4, &bad, 4);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "length"));
	sk_buf_done(&b);

	/* event block length over the 64 KiB limit of non-LARGE blocks */
	minimal(&b);
	bad = 0x20000;
	memcpy(b.data + 28 + 4, &bad, 4);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "exceeds"));
	assert_int_equal(err.offset, 28);
	sk_buf_done(&b);

	/* bad trailer of the SHB */
	minimal(&b);
	b.data[24] = 0x7f;
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "trailer"));
	sk_buf_done(&b);

	/* bad parameter length in an event */
	minimal(&b);
	/* first event: block at 28, body +8, cpuid 2, header 26, lens at +36 */
	uint16_t big = 0x4000;
	memcpy(b.data + 28 + 8 + 2 + 26, &big, 2);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "parameter 0 length"));
	assert_int_equal(err.offset, 28);
	sk_buf_done(&b);

	/* nparams > 32 */
	minimal(&b);
	uint32_t np = 33;
	memcpy(b.data + 28 + 8 + 2 + 22, &np, 4);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "33 parameters"));
	sk_buf_done(&b);

	/* event block before the SHB */
	sk_buf_init(&b, 0);
	ev_procinfo(&b, 1);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "not a scap capture"));
	sk_buf_done(&b);

	/* byte-swapped magic */
	minimal(&b);
	b.data[8] = 0x1a;
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "magic"));
	sk_buf_done(&b);

	/* no events at all */
	sk_buf_init(&b, 0);
	shb(&b);
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "no events"));
	sk_buf_done(&b);

	/* a non-SHB metadata block after events */
	minimal(&b);
	uint8_t mi[180] = {0};
	block(&b, SK_BLOCK_MI, mi, sizeof(mi));
	assert_true(read_mem(b.data, b.len, &n, &err) < 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(err.msg, "unexpected block"));
	sk_buf_done(&b);
}

static void test_unknown_block_and_sections(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	shb(&b);
	uint8_t junk[37] = {1, 2, 3};
	block(&b, 0x7777, junk, sizeof(junk)); /* unknown before events: skipped */
	uint8_t mi[180] = {0};
	memcpy(mi + 20, "host-a", 6);
	block(&b, 0x8002ABCDu, mi, sizeof(mi)); /* legacy MI code */
	ev_procinfo(&b, 1);
	shb(&b);                                /* second section */
	memcpy(mi + 20, "host-b", 6);
	block(&b, SK_BLOCK_MI, mi, sizeof(mi));
	ev_procinfo(&b, 2);
	ev_procinfo(&b, 3);

	struct counts c;
	struct sk_scap_meta_ops ops = count_ops(&c);
	struct sk_err err;
	struct sk_scap_reader *r = sk_scap_open_mem(b.data, b.len, NULL, &ops, &err);
	assert_non_null(r);
	assert_string_equal(c.hostname, "host-a");
	struct sk_event ev;
	int rc;
	uint64_t last = 0;
	while ((rc = sk_scap_next(r, &ev, &err)) == 1)
		last = ev.num;
	assert_int_equal(rc, 0);
	assert_int_equal(last, 3);
	assert_int_equal(c.sections, 2);
	assert_int_equal(c.machines, 2);
	assert_string_equal(c.hostname, "host-b");
	assert_int_equal(sk_scap_stats(r)->unknown_blocks, 1);
	sk_scap_close(r);
	sk_buf_done(&b);
}

/* Writes bytes to a temp file, gzip-compressed when gz. */
static void write_tmp(const char *path, const void *p, size_t n, bool gz)
{
	if (gz) {
		gzFile f = gzopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(gzwrite(f, p, (unsigned)n), (int)n);
		assert_int_equal(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		if (n)
			assert_int_equal(fwrite(p, 1, n, f), n);
		fclose(f);
	}
}

static void test_files_and_gzip(void **state)
{
	(void)state;
	char path[] = "/tmp/sk_scap_testXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct sk_buf b;
	minimal(&b);
	struct counts c;
	struct sk_err err;

	write_tmp(path, "", 0, false);
	assert_true(read_all(path, false, &c, &err) < 0);
	assert_non_null(strstr(err.msg, "empty"));

	write_tmp(path, b.data, b.len, true);
	assert_int_equal(read_all(path, false, &c, &err), 0);
	assert_int_equal(c.events, 2);

	/* truncated gzip: cut the compressed file */
	FILE *f = fopen(path, "rb");
	uint8_t gzbytes[4096];
	size_t gn = fread(gzbytes, 1, sizeof(gzbytes), f);
	fclose(f);
	write_tmp(path, gzbytes, gn - 12, false);
	int rc = read_all(path, false, &c, &err);
	assert_true(rc < 0);
	assert_non_null(strstr(err.msg, "truncated"));
	/* the same from memory */
	uint64_t n;
	assert_true(read_mem(gzbytes, gn - 12, &n, &err) < 0);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(read_mem(gzbytes, gn, &n, &err), 0);
	assert_int_equal(n, 2);

	assert_null(sk_scap_open("/nonexistent/x.scap", NULL, &err));
	assert_int_equal(err.code, -ENOENT);
	unlink(path);
	sk_buf_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_ok),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_unknown_block_and_sections),
		cmocka_unit_test(test_files_and_gzip),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_cat_write_details),
		cmocka_unit_test(test_big_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
