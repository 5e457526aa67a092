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


/* ---- round trip through the writer ---- */

/* Metadata copied out of the reader's borrowed views. */
struct meta {
	struct sk_arena a;
	struct sk_scap_machine mi;
	bool have_mi;
	struct sk_scap_iface ifc[64];
	size_t nifc;
	struct sk_scap_user users[256];
	size_t nusers;
	struct sk_scap_group groups[256];
	size_t ngroups;
	struct sk_scap_thread threads[512];
	size_t nthreads;
	struct sk_scap_fd fds[2048];
	uint64_t fd_tid[2048];
	size_t nfds;
};

static struct sk_bytes dup_bytes(struct meta *m, struct sk_bytes b)
{
	struct sk_bytes o = {NULL, b.len};
	if (b.len) {
		char *p = sk_arena_alloc(&m->a, b.len);
		assert_non_null(p);
		memcpy(p, b.p, b.len);
		o.p = p;
	}
	return o;
}

static int m_machine(void *ctx, const struct sk_scap_machine *mi)
{
	struct meta *m = ctx;
	m->mi = *mi;
	m->have_mi = true;
	return 0;
}
static int m_iface(void *ctx, const struct sk_scap_iface *i)
{
	struct meta *m = ctx;
	assert_true(m->nifc < SK_ARRAY_LEN(m->ifc));
	m->ifc[m->nifc] = *i;
	m->ifc[m->nifc++].name = dup_bytes(m, i->name);
	return 0;
}
static int m_user(void *ctx, const struct sk_scap_user *u)
{
	struct meta *m = ctx;
	assert_true(m->nusers < SK_ARRAY_LEN(m->users));
	struct sk_scap_user *d = &m->users[m->nusers++];
	*d = *u;
	d->name = dup_bytes(m, u->name);
	d->homedir = dup_bytes(m, u->homedir);
	d->shell = dup_bytes(m, u->shell);
	return 0;
}
static int m_group(void *ctx, const struct sk_scap_group *g)
{
	struct meta *m = ctx;
	assert_true(m->ngroups < SK_ARRAY_LEN(m->groups));
	m->groups[m->ngroups] = *g;
	m->groups[m->ngroups++].name = dup_bytes(m, g->name);
	return 0;
}
static int m_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct meta *m = ctx;
	assert_true(m->nthreads < SK_ARRAY_LEN(m->threads));
	struct sk_scap_thread *d = &m->threads[m->nthreads++];
	*d = *t;
	d->comm = dup_bytes(m, t->comm);
	d->exe = dup_bytes(m, t->exe);
	d->exepath = dup_bytes(m, t->exepath);
	d->args = dup_bytes(m, t->args);
	d->cwd = dup_bytes(m, t->cwd);
	d->env = dup_bytes(m, t->env);
	d->cgroups = dup_bytes(m, t->cgroups);
	d->root = dup_bytes(m, t->root);
	return 0;
}
static int m_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct meta *m = ctx;
	assert_true(m->nfds < SK_ARRAY_LEN(m->fds));
	m->fd_tid[m->nfds] = tid;
	m->fds[m->nfds] = *f;
	m->fds[m->nfds++].name = dup_bytes(m, f->name);
	return 0;
}

static struct meta *meta_new(struct sk_scap_meta_ops *ops)
{
	struct meta *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	sk_arena_init(&m->a, 0);
	*ops = (struct sk_scap_meta_ops){m, NULL, m_machine, m_iface, m_user, m_group, m_thread,
					 m_fd};
	return m;
}

static void meta_free(struct meta *m)
{
	sk_arena_done(&m->a);
	free(m);
}

static void assert_bytes_eq(struct sk_bytes a, struct sk_bytes b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.p, b.p, a.len);
}

static void assert_meta_eq(const struct meta *a, const struct meta *b)
{
	assert_int_equal(a->have_mi, b->have_mi);
	assert_int_equal(a->mi.num_cpus, b->mi.num_cpus);
	assert_int_equal(a->mi.memory_bytes, b->mi.memory_bytes);
	assert_string_equal(a->mi.hostname, b->mi.hostname);
	assert_int_equal(a->nifc, b->nifc);
	for (size_t i = 0; i < a->nifc; i++) {
		assert_int_equal(a->ifc[i].type, b->ifc[i].type);
		assert_memory_equal(a->ifc[i].addr, b->ifc[i].addr, 16);
		assert_memory_equal(a->ifc[i].netmask, b->ifc[i].netmask, 16);
		assert_int_equal(a->ifc[i].linkspeed, b->ifc[i].linkspeed);
		assert_bytes_eq(a->ifc[i].name, b->ifc[i].name);
	}
	assert_int_equal(a->nusers, b->nusers);
	for (size_t i = 0; i < a->nusers; i++) {
		assert_int_equal(a->users[i].uid, b->users[i].uid);
		assert_bytes_eq(a->users[i].name, b->users[i].name);
		assert_bytes_eq(a->users[i].shell, b->users[i].shell);
	}
	assert_int_equal(a->ngroups, b->ngroups);
	assert_int_equal(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct sk_scap_thread *x = &a->threads[i], *y = &b->threads[i];
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->ptid, y->ptid);
		assert_int_equal(x->sid, y->sid);
		assert_int_equal(x->vpgid, y->vpgid);
		assert_int_equal(x->pgid, y->pgid);
		assert_int_equal(x->vtid, y->vtid);
		assert_int_equal(x->loginuid, y->loginuid);
		assert_int_equal(x->uid, y->uid);
		assert_int_equal(x->fdlimit, y->fdlimit);
		assert_int_equal(x->pfminor, y->pfminor);
		assert_int_equal(x->cap_effective, y->cap_effective);
		assert_int_equal(x->exe_ino, y->exe_ino);
		assert_bytes_eq(x->comm, y->comm);
		assert_bytes_eq(x->exe, y->exe);
		assert_bytes_eq(x->exepath, y->exepath);
		assert_bytes_eq(x->args, y->args);
		assert_bytes_eq(x->cwd, y->cwd);
		assert_bytes_eq(x->env, y->env);
		assert_bytes_eq(x->cgroups, y->cgroups);
		assert_bytes_eq(x->root, y->root);
	}
	assert_int_equal(a->nfds, b->nfds);
	for (size_t i = 0; i < a->nfds; i++) {
		const struct sk_scap_fd *x = &a->fds[i], *y = &b->fds[i];
		assert_int_equal(a->fd_tid[i], b->fd_tid[i]);
		assert_int_equal(x->fd, y->fd);
		assert_int_equal(x->ino, y->ino);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->open_flags, y->open_flags);
		assert_memory_equal(x->sip, y->sip, 16);
		assert_memory_equal(x->dip, y->dip, 16);
		assert_int_equal(x->sport, y->sport);
		assert_int_equal(x->dport, y->dport);
		assert_int_equal(x->l4proto, y->l4proto);
		assert_int_equal(x->unix_src, y->unix_src);
		assert_bytes_eq(x->name, y->name);
	}
}

/* Writes the metadata of m and then every event of r. Fds are written as one
 * block per owning thread, in the order first seen. */
static uint64_t write_copy(const char *out, bool gz, struct meta *m, struct sk_scap_reader *r)
{
	struct sk_err err;
	struct sk_scap_writer *w = sk_scap_writer_open(out, gz, &err);
	assert_non_null(w);
	if (m->have_mi)
		assert_int_equal(sk_scap_write_machine(w, &m->mi), 0);
	assert_int_equal(sk_scap_write_ifaces(w, m->ifc, m->nifc), 0);
	assert_int_equal(sk_scap_write_users(w, m->users, m->nusers, m->groups, m->ngroups), 0);
	assert_int_equal(sk_scap_write_threads(w, m->threads, m->nthreads), 0);
	for (size_t i = 0; i < m->nfds;) {
		size_t j = i;
		while (j < m->nfds && m->fd_tid[j] == m->fd_tid[i])
			j++;
		assert_int_equal(sk_scap_write_fds(w, m->fd_tid[i], m->fds + i, j - i), 0);
		i = j;
	}
	struct sk_event ev;
	uint64_t n = 0;
	int rc;
	while ((rc = sk_scap_next(r, &ev, &err)) == 1) {
		assert_int_equal(sk_scap_write_event(w, &ev), 0);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(sk_scap_writer_close(w), 0);
	return n;
}

/* Last evt.num sysdig prints for a file, or -1 when sysdig is not installed. */
static long long sysdig_last_num(const char *path)
{
	if (access("/usr/bin/sysdig", X_OK) != 0)
		return -1;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "/usr/bin/sysdig -r '%s' -D -p '*%%evt.num' 2>/dev/null | tail -1",
		 path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[64] = {0};
	char *got = fgets(line, sizeof(line), p);
	int st = pclose(p);
	if (!got || st != 0)
		return -2;
	return strtoll(line, NULL, 10);
}

static void round_trip(const char *in, bool raw, bool gz, bool check_sysdig)
{
	char out[] = "/tmp/sk_scap_rtXXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	struct sk_scap_meta_ops ops1, ops2;
	struct meta *m1 = meta_new(&ops1), *m2 = meta_new(&ops2);
	struct sk_scap_open_opts o = {.raw = raw};
	struct sk_err err;
	struct sk_scap_reader *r = sk_scap_open_ex(in, &o, &ops1, &err);
	assert_non_null(r);
	uint64_t n = write_copy(out, gz, m1, r);
	sk_scap_close(r);

	/* Read both again in lockstep: same records, cpu and flags. */
	r = sk_scap_open_ex(in, &o, NULL, &err);
	assert_non_null(r);
	struct sk_scap_reader *r2 = sk_scap_open_ex(out, &o, &ops2, &err);
	assert_non_null(r2);
	assert_meta_eq(m1, m2);
	struct sk_event a, b;
	uint64_t k = 0;
	while (sk_scap_next(r, &a, &err) == 1) {
		assert_int_equal(sk_scap_next(r2, &b, &err), 1);
		assert_int_equal(a.num, b.num);
		assert_int_equal(a.cpuid, b.cpuid);
		assert_int_equal(a.dump_flags, b.dump_flags);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.rec, b.rec, a.len);
		k++;
	}
	assert_int_equal(sk_scap_next(r2, &b, &err), 0);
	assert_int_equal(k, n);
	sk_scap_close(r);
	sk_scap_close(r2);
	if (check_sysdig) {
		long long last = sysdig_last_num(out);
		if (last == -1)
			print_message("SKIP: sysdig not installed, written file not checked with it\n");
		else
			assert_int_equal(last, (long long)n);
	}
	unlink(out);
	meta_free(m1);
	meta_free(m2);
}

static void test_round_trip(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	for (size_t i = 0; i < SK_ARRAY_LEN(fixtures); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", TRACES, fixtures[i].name);
		round_trip(path, false, i % 2 == 0, i < 3);
		round_trip(path, true, i % 2 == 1, i < 3);
	}
}

/* Flags and large events: EVF_V2 and EV_V2_LARGE blocks read back. */
static void test_write_flags_large(void **state)
{
	(void)state;
	char out[] = "/tmp/sk_scap_wlXXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	struct sk_err err;
	struct sk_scap_writer *w = sk_scap_writer_open(out, false, &err);
	assert_non_null(w);
	struct sk_buf rec;
	sk_buf_init(&rec, 0);
	struct sk_event_builder eb;
	/* container (324, LARGE_PAYLOAD) with a 100 KiB json */
	size_t big = 100 * 1024;
	char *json = malloc(big + 1);
	assert_non_null(json);
	memset(json, 'x', big);
	json[big] = 0;
	sk_event_build_begin(&eb, &rec, 5, 7, 324, 1);
	sk_event_build_param(&eb, json, (uint32_t)big + 1);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_event ev;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)rec.data, rec.len, &err), 0);
	ev.cpuid = 1;
	assert_int_equal(sk_scap_write_event(w, &ev), 0);
	ev.dump_flags = SK_DF_STATE_ONLY;
	assert_int_equal(sk_scap_write_event(w, &ev), 0);
	sk_buf_reset(&rec);
	sk_event_build_begin(&eb, &rec, 6, 7, 234, 2); /* procinfo */
	sk_event_build_u64(&eb, 1, 8);
	sk_event_build_u64(&eb, 2, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)rec.data, rec.len, &err), 0);
	ev.dump_flags = SK_DF_STATE_ONLY;
	ev.cpuid = 3;
	assert_int_equal(sk_scap_write_event(w, &ev), 0);
	assert_int_equal(sk_scap_writer_close(w), 0);

	struct sk_scap_reader *r = sk_scap_open(out, NULL, &err);
	assert_non_null(r);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 324);
	assert_int_equal(ev.plen[0], big + 1);
	assert_int_equal(ev.cpuid, 1);
	assert_int_equal(ev.dump_flags, 0);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.dump_flags, SK_DF_STATE_ONLY);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 234);
	assert_int_equal(ev.cpuid, 3);
	assert_int_equal(ev.dump_flags, SK_DF_STATE_ONLY);
	assert_int_equal(sk_scap_next(r, &ev, &err), 0);
	sk_scap_close(r);

	/* A LARGE event over the reader's limit is refused with an offset. */
	struct sk_scap_open_opts o = {.max_large_event = 64 * 1024};
	r = sk_scap_open_ex(out, &o, NULL, &err);
	assert_null(r);
	assert_non_null(strstr(err.msg, "exceeds"));
	assert_int_equal(err.offset, 28);
	free(json);
	sk_buf_done(&rec);
	unlink(out);
}

/* ---- the converter on hand-made V1 captures ---- */

/* Appends an EV (V1 header) block: params given as (pointer, length) pairs. */
static void ev1(struct sk_buf *b, uint64_t ts, uint64_t tid, uint16_t type, unsigned n, ...)
{
	struct sk_buf body;
	sk_buf_init(&body, 0);
	va_list ap;
	const void *ptr[8];
	uint16_t len[8];
	va_start(ap, n);
	uint32_t total = 22 + 2 * n;
	for (unsigned i = 0; i < n; i++) {
		ptr[i] = va_arg(ap, const void *);
		len[i] = (uint16_t)va_arg(ap, unsigned);
		total += len[i];
	}
	va_end(ap);
	put16(&body, 0); /* cpuid */
	put(&body, &ts, 8);
	put(&body, &tid, 8);
	put32(&body, total);
	put16(&body, type);
	for (unsigned i = 0; i < n; i++)
		put16(&body, len[i]);
	for (unsigned i = 0; i < n; i++)
		put(&body, ptr[i], len[i]);
	block(b, SK_BLOCK_EV, body.data, body.len);
	sk_buf_done(&body);
}

static const uint64_t fd3 = 3, res5 = 5;
static const uint32_t size100 = 100, uid1000 = 1000, ctype0 = 0;

static void test_converter(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	shb(&b);
	ev1(&b, 1, 10, 6, 2, &fd3, 8u, &size100, 4u);          /* read_E: STORE */
	ev1(&b, 2, 10, 7, 2, &res5, 8u, "hello", 5u);          /* read_X + enter[0], enter[1] */
	ev1(&b, 3, 11, 7, 2, &res5, 8u, "x", 1u);              /* read_X, no enter: defaults */
	ev1(&b, 4, 12, 199, 1, &res5, 8u);                     /* setuid_X, no enter: `?` empty */
	ev1(&b, 5, 12, 198, 1, &uid1000, 4u);                  /* setuid_E: STORE */
	ev1(&b, 6, 12, 199, 1, &res5, 8u);                     /* setuid_X + enter[0]? */
	ev1(&b, 7, 13, 12, 0);                                 /* execve_8_E -> ... -> 292 */
	ev1(&b, 8, 14, 228, 4, "abc", 4u, &ctype0, 4u, "n", 2u, "img", 4u); /* container_E */
	ev1(&b, 9, 15, 2, 0);                                  /* open_E (0): PASS padded */

	struct sk_err err;
	struct sk_scap_reader *r = sk_scap_open_mem(b.data, b.len, NULL, NULL, &err);
	assert_non_null(r);
	struct sk_event ev;
	int64_t v;
	uint64_t u;

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.num, 1);
	assert_int_equal(ev.type, 7);
	assert_int_equal(ev.nparams, 4);
	assert_true(sk_event_get_s64(&ev, 2, &v));
	assert_int_equal(v, 3);
	assert_true(sk_event_get_u64(&ev, 3, &u));
	assert_int_equal(u, 100);
	assert_int_equal(ev.plen[1], 5);

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.ts, 3);
	assert_int_equal(ev.nparams, 4);
	assert_int_equal(ev.plen[2], 8); /* default FD: 8 zero bytes */
	assert_true(sk_event_get_s64(&ev, 2, &v));
	assert_int_equal(v, 0);
	assert_int_equal(ev.plen[3], 4);

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.ts, 4);
	assert_int_equal(ev.type, 199);
	assert_int_equal(ev.nparams, 2);
	assert_int_equal(ev.plen[1], 0); /* `?`: empty when no enter event */

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.ts, 6);
	assert_true(sk_event_get_u64(&ev, 1, &u));
	assert_int_equal(u, 1000);

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.ts, 7);
	assert_int_equal(ev.type, 292); /* execve_19_E: STORE_AND_PASS */
	assert_int_equal(ev.nparams, 1);
	assert_int_equal(ev.plen[0], 0);

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 324);
	assert_int_equal(ev.nparams, 1);
	const char *json = "{\"id\":\"abc\",\"type\":0,\"name\":\"n\",\"image\":\"img\"}";
	assert_int_equal(ev.plen[0], strlen(json) + 1);
	assert_string_equal((const char *)ev.pval[0], json);

	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 2);
	assert_int_equal(ev.nparams, 3);
	assert_int_equal(ev.num, 7);

	assert_int_equal(sk_scap_next(r, &ev, &err), 0);
	const struct sk_scap_stats *st = sk_scap_stats(r);
	assert_int_equal(st->events_read, 9);
	assert_int_equal(st->events_dropped, 2);
	sk_scap_close(r);

	/* Raw mode: all 9 as stored, only the header upgraded. */
	struct sk_scap_open_opts o = {.raw = true};
	r = sk_scap_open_mem(b.data, b.len, &o, NULL, &err);
	assert_non_null(r);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 6);
	assert_int_equal(ev.nparams, 2);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 7);
	assert_int_equal(ev.nparams, 2);
	uint64_t n = 2;
	while (sk_scap_next(r, &ev, &err) == 1)
		n++;
	assert_int_equal(n, 9);
	assert_int_equal(ev.num, 9);
	sk_scap_close(r);
	sk_buf_done(&b);

	/* A stored enter event of the wrong type is an error, as in libscap. */
	sk_buf_init(&b, 0);
	shb(&b);
	ev1(&b, 1, 10, 4, 1, &fd3, 8u);                         /* close_E: STORE */
	ev1(&b, 2, 10, 7, 2, &res5, 8u, "hello", 5u);           /* read_X wants read_E */
	uint64_t cnt;
	assert_true(read_mem(b.data, b.len, &cnt, &err) < 0);
	assert_non_null(strstr(err.msg, "stored enter event"));
	sk_buf_done(&b);

	/* Old writers stored notification (280) lengths 3 bytes too long. */
	sk_buf_init(&b, 0);
	shb(&b);
	{
		struct sk_buf body;
		sk_buf_init(&body, 0);
		uint64_t ts = 1, tid = 1, id = 42;
		uint32_t len = 22 + 4 + 8 + 3 + 3; /* 3 too long */
		uint16_t type = 280, l0 = 8, l1 = 3;
		put16(&body, 0);
		put(&body, &ts, 8);
		put(&body, &tid, 8);
		put32(&body, len);
		put16(&body, type);
		put16(&body, l0);
		put16(&body, l1);
		put(&body, &id, 8);
		put(&body, "hi", 3);
		put(&body, "\0\0\0", 3);
		block(&b, SK_BLOCK_EV, body.data, body.len);
		sk_buf_done(&body);
	}
	r = sk_scap_open_mem(b.data, b.len, NULL, NULL, &err);
	assert_non_null(r);
	assert_int_equal(sk_scap_next(r, &ev, &err), 1);
	assert_int_equal(ev.type, 280);
	assert_int_equal(ev.nparams, 2);
	assert_string_equal(sk_event_get_str(&ev, 1), "hi");
	sk_scap_close(r);
	sk_buf_done(&b);

	/* A V1 record whose lengths fit no parameter count. */
	sk_buf_init(&b, 0);
	shb(&b);
	ev1(&b, 1, 10, 7, 3, &res5, 8u, "hello", 5u, &fd3, 8u); /* read_X max is 4 */
	struct sk_buf bad;
	sk_buf_init(&bad, 0);
	put(&bad, b.data, b.len);
	/* declare one extra byte of length inside the same block: sums no longer match */
	uint32_t l;
	memcpy(&l, bad.data + 28 + 8 + 2 + 16, 4);
	l -= 1;
	memcpy(bad.data + 28 + 8 + 2 + 16, &l, 4);
	assert_true(read_mem(bad.data, bad.len, &cnt, &err) < 0);
	assert_non_null(strstr(err.msg, "infer"));
	sk_buf_done(&bad);
	sk_buf_done(&b);
}

/* Raw mode numbers events as sysdig 0.29.3 does: every (num, ts, tid) sysdig
 * prints with -D matches ours, and the last numbers agree. */
static void test_sysdig_numbering(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	if (access("/usr/bin/sysdig", X_OK) != 0) {
		print_message("SKIP: sysdig not installed\n");
		skip();
	}
	for (size_t i = 0; i < SK_ARRAY_LEN(fixtures); i++) {
		char path[512], cmd[700];
		snprintf(path, sizeof(path), "%s/%s", TRACES, fixtures[i].name);
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/sysdig -r '%s' -D -p '*%%evt.num %%evt.rawtime %%thread.tid' 2>/dev/null",
			 path);
		struct sk_scap_open_opts o = {.raw = true};
		struct sk_err err;
		struct sk_scap_reader *r = sk_scap_open_ex(path, &o, NULL, &err);
		assert_non_null(r);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		char line[256];
		struct sk_event ev;
		ev.num = 0;
		uint64_t matched = 0;
		while (fgets(line, sizeof(line), p)) {
			unsigned long long num, ts;
			long long tid;
			if (sscanf(line, "%llu %llu %lld", &num, &ts, &tid) != 3)
				continue;
			while (ev.num < num)
				assert_int_equal(sk_scap_next(r, &ev, &err), 1);
			assert_int_equal(ev.num, num);
			assert_int_equal(ev.ts, ts);
			assert_int_equal(ev.tid, tid);
			matched++;
		}
		pclose(p);
		assert_int_equal(ev.num, fixtures[i].raw_events);
		assert_true(matched + 3 >= fixtures[i].raw_events); /* sysdig hides a few meta events */
		assert_int_equal(sk_scap_next(r, &ev, &err), 0);
		sk_scap_close(r);
	}
}

/* ---- metadata block versions ---- */

static void pstr(struct sk_buf *b, const char *str)
{
	put16(b, (uint16_t)strlen(str));
	put(b, str, strlen(str));
}

static void put64v(struct sk_buf *b, uint64_t v) { put(b, &v, 8); }

struct one_meta {
	struct sk_scap_thread t[4];
	int nt;
	struct sk_scap_fd f[4];
	char fname[4][64];
	int nf;
	struct sk_scap_iface i[2];
	int ni;
	uint32_t user_uid, group_gid;
	char user_shell[32];
};

static int o_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct one_meta *m = ctx;
	assert_true(m->nt < 4);
	m->t[m->nt++] = *t; /* only scalars are checked after the callback */
	return 0;
}
static int o_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	(void)tid;
	struct one_meta *m = ctx;
	assert_true(m->nf < 4);
	snprintf(m->fname[m->nf], 64, "%.*s", (int)f->name.len, f->name.p ? f->name.p : "");
	m->f[m->nf++] = *f;
	return 0;
}
static int o_iface(void *ctx, const struct sk_scap_iface *i)
{
	struct one_meta *m = ctx;
	assert_true(m->ni < 2);
	m->i[m->ni++] = *i;
	return 0;
}
static int o_user(void *ctx, const struct sk_scap_user *u)
{
	struct one_meta *m = ctx;
	m->user_uid = u->uid;
	snprintf(m->user_shell, sizeof(m->user_shell), "%.*s", (int)u->shell.len, u->shell.p);
	return 0;
}
static int o_group(void *ctx, const struct sk_scap_group *g)
{
	((struct one_meta *)ctx)->group_gid = g->gid;
	return 0;
}

static void test_meta_versions(void **state)
{
	(void)state;
	struct sk_buf b, body;
	sk_buf_init(&b, 0);
	shb(&b);

	/* PL_V2 (legacy code 0x8013ABCD): no sid/vpgid/env/vtid; vm counters. */
	sk_buf_init(&body, 0);
	put64v(&body, 100); put64v(&body, 100); put64v(&body, 1);
	pstr(&body, "cmd"); pstr(&body, "/bin/cmd"); pstr(&body, "a\0b"); pstr(&body, "/");
	put64v(&body, 1024); put32(&body, 0); put32(&body, 1000); put32(&body, 1000);
	put32(&body, 11); put32(&body, 22); put32(&body, 33); put64v(&body, 44); put64v(&body, 55);
	block(&b, 0x8013ABCDu, body.data, body.len);
	sk_buf_done(&body);

	/* PL_V9 with the pre-0.10 tail (loginuid only, right after root). */
	sk_buf_init(&body, 0);
	size_t at = body.len;
	put32(&body, 0);
	put64v(&body, 200); put64v(&body, 200); put64v(&body, 100); put64v(&body, 7); put64v(&body, 8);
	pstr(&body, "c2"); pstr(&body, "/e2"); pstr(&body, "/usr/bin/e2"); pstr(&body, "");
	pstr(&body, "/tmp"); put64v(&body, 1); put32(&body, 0); put32(&body, 0); put32(&body, 0);
	put32(&body, 0); put32(&body, 0); put32(&body, 0); put64v(&body, 0); put64v(&body, 0);
	pstr(&body, "A=1"); put64v(&body, 1); put64v(&body, 1); pstr(&body, "cpu=/\0");
	pstr(&body, "/"); put32(&body, 4242);
	uint32_t elen = (uint32_t)(body.len - at);
	memcpy(body.data + at, &elen, 4);
	block(&b, SK_BLOCK_PL_V9, body.data, body.len);
	sk_buf_done(&body);

	/* IL_V2 with a type-3 entry (IPv4 without linkspeed), length excludes itself. */
	sk_buf_init(&body, 0);
	put32(&body, 16 + 2);
	put16(&body, 3); put16(&body, 2);
	uint8_t ip[4] = {10, 0, 0, 1}, mask[4] = {255, 0, 0, 0}, bc[4] = {10, 255, 255, 255};
	put(&body, ip, 4); put(&body, mask, 4); put(&body, bc, 4); put(&body, "lo", 2);
	block(&b, SK_BLOCK_IL_V2, body.data, body.len);
	sk_buf_done(&body);

	/* UL v1: one user, one group. */
	sk_buf_init(&body, 0);
	uint8_t t0 = 0, t1 = 1;
	put(&body, &t0, 1); put32(&body, 33); put32(&body, 33);
	pstr(&body, "www"); pstr(&body, "/var/www"); pstr(&body, "/bin/false");
	put(&body, &t1, 1); put32(&body, 44); pstr(&body, "grp");
	block(&b, SK_BLOCK_UL, body.data, body.len);
	sk_buf_done(&body);

	/* FDL_V2: an unknown fd type (skipped by its length) then a FILE_V2 with dev. */
	sk_buf_init(&body, 0);
	put64v(&body, 200);
	put32(&body, 4 + 8 + 8 + 1 + 5);
	put64v(&body, 9); put64v(&body, 1);
	uint8_t unk = 99;
	put(&body, &unk, 1); put(&body, "?????", 5);
	at = body.len;
	put32(&body, 0);
	put64v(&body, 4); put64v(&body, 77);
	uint8_t fv2 = SK_FD_FILE_V2;
	put(&body, &fv2, 1); put32(&body, 4097); pstr(&body, "/etc/x"); put32(&body, 0x801);
	elen = (uint32_t)(body.len - at);
	memcpy(body.data + at, &elen, 4);
	block(&b, SK_BLOCK_FDL_V2, body.data, body.len);
	sk_buf_done(&body);
	ev_procinfo(&b, 1);

	struct one_meta m;
	memset(&m, 0, sizeof(m));
	struct sk_scap_meta_ops ops = {&m, NULL, NULL, o_iface, o_user, o_group, o_thread, o_fd};
	struct sk_err err;
	struct sk_scap_reader *r = sk_scap_open_mem(b.data, b.len, NULL, &ops, &err);
	if (!r) {
		char msg[1200];
		sk_err_format(&err, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
	sk_scap_close(r);
	assert_int_equal(m.nt, 2);
	assert_int_equal(m.t[0].tid, 100);
	assert_int_equal(m.t[0].sid, -1);
	assert_int_equal(m.t[0].vtid, -1);
	assert_int_equal(m.t[0].vmrss_kb, 22);
	assert_int_equal(m.t[0].pfminor, 55);
	assert_int_equal(m.t[0].loginuid, 0xFFFFFFFFu);
	assert_int_equal(m.t[1].sid, 7);
	assert_int_equal(m.t[1].vpgid, 8);
	assert_int_equal(m.t[1].loginuid, 4242);
	assert_int_equal(m.t[1].tty, 0);
	assert_int_equal(m.t[1].pidns_init_start_ts, 0);
	assert_int_equal(m.t[1].pgid, -1);
	assert_int_equal(m.ni, 1);
	assert_int_equal(m.i[0].type, 3);
	assert_memory_equal(m.i[0].addr, ip, 4);
	assert_int_equal(m.i[0].linkspeed, 0);
	assert_int_equal(m.user_uid, 33);
	assert_string_equal(m.user_shell, "/bin/false");
	assert_int_equal(m.group_gid, 44);
	assert_int_equal(m.nf, 2);
	assert_int_equal(m.f[0].type, SK_FD_UNSUPPORTED);
	assert_string_equal(m.fname[0], "unknown-type:[99]");
	assert_int_equal(m.f[1].type, SK_FD_FILE_V2);
	assert_int_equal(m.f[1].open_flags, 4097);
	assert_int_equal(m.f[1].dev, 0x801);
	assert_string_equal(m.fname[1], "/etc/x");
	sk_buf_done(&b);
}

/* Every PL_V9 tail field survives the writer. */
static void test_write_thread_tail(void **state)
{
	(void)state;
	char out[] = "/tmp/sk_scap_ttXXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	struct sk_scap_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = 5; t.pid = 5; t.ptid = 1; t.sid = 2; t.vpgid = 3; t.pgid = 4;
	t.comm = (struct sk_bytes){"x", 1};
	t.args = (struct sk_bytes){"a\0b\0", 4};
	t.vtid = 9; t.vpid = 9; t.pidns_init_start_ts = 123; t.tty = 34816; t.loginuid = 1000;
	t.exe_writable = true; t.cap_inheritable = 1; t.cap_permitted = 2; t.cap_effective = 3;
	t.exe_upper_layer = true; t.exe_ino = 77; t.exe_ino_ctime = 88; t.exe_ino_mtime = 99;
	t.exe_from_memfd = true; t.exe_lower_layer = true;
	struct sk_err err;
	struct sk_scap_writer *w = sk_scap_writer_open(out, true, &err);
	assert_non_null(w);
	assert_int_equal(sk_scap_write_threads(w, &t, 1), 0);
	struct sk_scap_fd f;
	memset(&f, 0, sizeof(f));
	f.fd = 7; f.type = SK_FD_IPV4_SOCK; f.sip[0] = 127; f.sip[3] = 1; f.dip[0] = 10;
	f.sport = 4000; f.dport = 80; f.l4proto = 2;
	assert_int_equal(sk_scap_write_fds(w, 5, &f, 1), 0);
	struct sk_buf rec;
	sk_buf_init(&rec, 0);
	struct sk_event_builder eb;
	sk_event_build_begin(&eb, &rec, 1, 5, 234, 2);
	sk_event_build_u64(&eb, 1, 8);
	sk_event_build_u64(&eb, 2, 8);
	assert_int_equal(sk_event_build_end(&eb), 0);
	struct sk_event ev;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(sk_event_decode(&ev, (const uint8_t *)rec.data, rec.len, &err), 0);
	assert_int_equal(sk_scap_write_event(w, &ev), 0);
	assert_int_equal(sk_scap_writer_close(w), 0);

	struct one_meta m;
	memset(&m, 0, sizeof(m));
	struct sk_scap_meta_ops ops = {&m, NULL, NULL, NULL, NULL, NULL, o_thread, o_fd};
	struct sk_scap_reader *r = sk_scap_open(out, &ops, &err);
	assert_non_null(r);
	sk_scap_close(r);
	assert_int_equal(m.nt, 1);
	const struct sk_scap_thread *x = &m.t[0];
	assert_int_equal(x->sid, 2);
	assert_int_equal(x->vpgid, 3);
	assert_int_equal(x->pgid, 4);
	assert_int_equal(x->pidns_init_start_ts, 123);
	assert_int_equal(x->tty, 34816);
	assert_int_equal(x->loginuid, 1000);
	assert_true(x->exe_writable && x->exe_upper_layer && x->exe_lower_layer && x->exe_from_memfd);
	assert_int_equal(x->cap_inheritable, 1);
	assert_int_equal(x->cap_permitted, 2);
	assert_int_equal(x->cap_effective, 3);
	assert_int_equal(x->exe_ino, 77);
	assert_int_equal(x->exe_ino_ctime, 88);
	assert_int_equal(x->exe_ino_mtime, 99);
	assert_int_equal(m.nf, 1);
	assert_int_equal(m.f[0].type, SK_FD_IPV4_SOCK);
	assert_memory_equal(m.f[0].sip, f.sip, 4);
	assert_memory_equal(m.f[0].dip, f.dip, 4);
	assert_int_equal(m.f[0].sport, 4000);
	assert_int_equal(m.f[0].dport, 80);
	assert_int_equal(m.f[0].l4proto, 2);
	sk_buf_done(&rec);
	unlink(out);
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
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_write_flags_large),
		cmocka_unit_test(test_converter),
		cmocka_unit_test(test_meta_versions),
		cmocka_unit_test(test_write_thread_tail),
		cmocka_unit_test(test_sysdig_numbering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
