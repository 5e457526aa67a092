/* test_kfilter_scan.c — the kernel filter's path scan (kfilter_eval.h: a
 * word at a time, shared by the probe and user space) against the plain
 * definition of what it must find, a byte at a time with string
 * comparisons: whether the path is clean, whether it holds "../", and which
 * exact names, directory prefixes (at the depths the predicate uses) and
 * file names of the sets it matches. Over hand-picked paths (word
 * boundaries, the length limit, every unclean pattern) and 200000
 * generated ones, with garbage past the path's end as the probe's scratch
 * has; and sk_kf_hash against the scan's incremental hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "driver/driver.h"

/* The sets: entries of each kind, each with its own term bit. */
struct ent {
	unsigned kind;
	const char *s;
};

static const struct ent ents[] = {
	{SK_KF_EXACT, "/etc/shadow"},
	{SK_KF_EXACT, "/a"},
	{SK_KF_EXACT, "/etc/sub/aaaaaaaa"},
	{SK_KF_EXACT, "/abcdefg"},
	{SK_KF_PREFIX, "/etc/"},
	{SK_KF_PREFIX, "/etc/sub/"},
	{SK_KF_PREFIX, "/a/etc/sub/"},
	{SK_KF_PREFIX, "/abcdef/"},
	{SK_KF_PREFIX, "/a/a/a/a/a/a/a/"},
	{SK_KF_BASENAME, "b.log"},
	{SK_KF_BASENAME, "a"},
	{SK_KF_BASENAME, "aaaaaaaa"},
	{SK_KF_BASENAME, "..."},
};
#define NENTS (sizeof(ents) / sizeof(ents[0]))

static uint64_t ent_hash[NENTS];

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* As the probe's map (without the bloom bits): ctx unused. */
static __always_inline unsigned int kf_lookup(void *ctx, unsigned int nr, unsigned int kind,
					      unsigned long long hash)
{
	(void)ctx;
	(void)nr;
	unsigned int t = 0;
	for (size_t i = 0; i < NENTS; i++)
		if (ents[i].kind == kind && ent_hash[i] == hash)
			t |= 1u << i;
	return t;
}

#include "driver/bpf/kfilter_eval.h"

static unsigned depths_of(void)
{
	unsigned d = 0;
	for (size_t i = 0; i < NENTS; i++) {
		if (ents[i].kind != SK_KF_PREFIX)
			continue;
		unsigned n = 0;
		for (const char *q = ents[i].s; *q; q++)
			n += *q == '/';
		d |= 1u << n;
	}
	return d;
}

static unsigned match(unsigned kind, const unsigned char *s, size_t n)
{
	unsigned t = 0;
	for (size_t i = 0; i < NENTS; i++)
		if (ents[i].kind == kind && strlen(ents[i].s) == n && !memcmp(ents[i].s, s, n))
			t |= 1u << i;
	return t;
}

/* The definition, a byte at a time (the scan before it read words). */
static struct sk_kf_path_info reference(const unsigned char *buf, long len, unsigned depths)
{
	struct sk_kf_path_info r = {.terms = 0, .clean = 0, .dotdot = 1};
	if (!(len > 1 && len < SK_KF_PATH_MAX))
		return r;
	size_t n = (size_t)len - 1;
	unsigned clean = buf[0] == '/', dotdot = 0, depth = 0, comp = 0, dots = 0, terms = 0;
	unsigned char prev = 0, prev2 = 0;
	size_t last = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];
		if (c == '/') {
			if (i > 0 && (comp == 0 || (dots == comp && comp <= 2)))
				clean = 0;
			if (prev == '.' && prev2 == '.')
				dotdot = 1;
			depth++;
			if (depth < 32 && ((depths >> depth) & 1))
				terms |= match(SK_KF_PREFIX, buf, i + 1);
			comp = dots = 0;
			last = i;
		} else {
			comp++;
			dots += c == '.';
		}
		prev2 = prev;
		prev = c;
	}
	if (comp == 0 || (dots == comp && comp <= 2))
		clean = 0;
	r.clean = (unsigned char)clean;
	r.dotdot = (unsigned char)dotdot;
	if (clean)
		r.terms = terms | match(SK_KF_EXACT, buf, n) |
			  match(SK_KF_BASENAME, buf + last + 1, n - last - 1);
	return r;
}

static struct sk_kf_path_info scan(const unsigned char *buf, long len, unsigned depths)
{
	struct sk_kf_pred p = {.depths = depths,
			       .kinds = (1u << SK_KF_EXACT) | (1u << SK_KF_PREFIX) |
					(1u << SK_KF_BASENAME)};
	struct kf_scan_st st;
	struct kf_hash_st base;
	struct sk_kf_path_info out;
	kf_scan_begin(&st, NULL, &p, 0, buf, len);
	for (unsigned k = 0; k <= SK_KF_PATH_MAX / 8; k++)
		if (kf_scan_step(&st, k))
			break;
	kf_scan_end(&st, &out, &base);
	for (unsigned k = 0; k <= SK_KF_PATH_MAX / 8; k++)
		if (kf_hash_step(&base, k))
			break;
	kf_scan_end_base(&st, &base, &out);
	return out;
}

static uint64_t rng = 0x1234567;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Runs one path (s, as the probe would have read it) through both. */
static void check(const char *s, unsigned depths)
{
	unsigned char buf[SK_KF_PATH_MAX + 8];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)"/.a/..x/"[next() % 8]; /* garbage past the NUL */
	size_t n = strlen(s);
	long len = (long)n + 1;
	if (n >= SK_KF_PATH_MAX) /* bpf_probe_read_user_str: truncated, NUL-ended */
		n = SK_KF_PATH_MAX - 1, len = SK_KF_PATH_MAX;
	memcpy(buf, s, n);
	buf[n] = 0;
	struct sk_kf_path_info a = reference(buf, len, depths), b = scan(buf, len, depths);
	if (a.clean != b.clean || a.dotdot != b.dotdot || a.terms != b.terms)
		fail_msg("path \"%s\" (%zu bytes): reference clean %u dotdot %u terms 0x%x, scan "
			 "clean %u dotdot %u terms 0x%x", s, n, a.clean, a.dotdot, a.terms, b.clean,
			 b.dotdot, b.terms);
}

static void test_scan_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < NENTS; i++)
		ent_hash[i] = sk_kf_hash(ents[i].s, strlen(ents[i].s));
	static const char *const paths[] = {
		"/", "//", "/a", "/a/", "/a//b", "/.", "/..", "/...", "/./a", "/../a", "/a/.", "/a/..",
		"/a/...", "/a/../b", "a", "./a", "../a", "a/../b", "", "/etc/shadow", "/etc/shadowx",
		"/etc/sub/aaaaaaaa", "/etc/sub/aaaaaaaa/", "/etc/sub/x/b.log", "/abcdefg", "/abcdef/",
		"/abcdef/g", "/abcdef//g", "/abcdef/./g", "/abcdef/../g", "/abcdefg/../h",
		"/abcdef./g", "/abcdef../g", "/abcdef.../g", "/abcdefg./../", "/abcdefgh/a",
		"/abcdefg/./a", "/abcdefg/.", "/abcdefg/..", "/abcdefghijklmn/..", "/abcdefghijklmno/.",
		"/abcdefghijklmn./", "/a/a/a/a/a/a/a/x", "/a/a/a/a/a/a/a/", "/a/etc/sub/...",
		"/x/...", "/x/....", "/x/.../", "/x/a", "/x/aaaaaaaa", "/xxxxxxx/aaaaaaaa",
		"/xxxxxx/aaaaaaaa", "/xxxxxxxx/b.log",
	};
	unsigned depths = depths_of();
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		check(paths[i], depths);
	/* at the length limit: 254 bytes is the longest path scanned */
	char p[SK_KF_PATH_MAX + 16];
	for (size_t n = 240; n < sizeof(p) - 1; n++) {
		memset(p, 'a', n);
		p[0] = '/';
		p[n] = 0;
		check(p, depths);
		p[n - 1] = '/';
		check(p, depths);
		p[n - 2] = '.';
		check(p, depths);
	}
}

static void test_scan_generated(void **state)
{
	(void)state;
	static const char *const comps[] = {"",      ".",     "..",     "...",     "a",
					    "etc",   "sub",   "b.log",  "shadow",  "abcdef",
					    "abcdefg", "aaaaaaaa", "x.y", "aaaaaaaaaaaaaaaaa", ".a",
					    "a.",    "..a",   "a.."};
	unsigned depths = depths_of();
	char p[400];
	for (int it = 0; it < 200000; it++) {
		size_t n = 0;
		if (next() % 10)
			p[n++] = '/';
		unsigned nc = next() % 12;
		for (unsigned c = 0; c < nc && n < 300; c++) {
			const char *s = comps[next() % (sizeof(comps) / sizeof(comps[0]))];
			size_t l = strlen(s);
			memcpy(p + n, s, l);
			n += l;
			if (c + 1 < nc || next() % 8 == 0)
				p[n++] = '/';
		}
		p[n] = 0;
		check(p, depths);
		/* and every depth mask bit on its own */
		check(p, 1u << (next() % 32));
	}
}

/* sk_kf_hash (user space, any length) against the scan's word hash. */
static void test_hash(void **state)
{
	(void)state;
	unsigned char buf[SK_KF_PATH_MAX + 8] = {0};
	for (unsigned n = 0; n < SK_KF_PATH_MAX; n++) {
		for (unsigned i = 0; i < n; i++)
			buf[i] = (unsigned char)('a' + next() % 26);
		struct kf_hash_st st = {.buf = buf, .off = 0, .n = n, .h = SK_KF_HASH_SEED};
		for (unsigned k = 0; k <= SK_KF_PATH_MAX / 8; k++)
			if (kf_hash_step(&st, k))
				break;
		assert_int_equal(kf_fin(st.h, n), sk_kf_hash((const char *)buf, n));
	}
	/* the length counts: a path and the same path with a NUL differ */
	assert_int_not_equal(sk_kf_hash("/a", 2), sk_kf_hash("/a\0", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_cases),
		cmocka_unit_test(test_scan_generated),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
