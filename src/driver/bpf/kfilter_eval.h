/* kfilter_eval.h — the kernel filter's evaluation, written once and compiled
 * twice: into the probe (probe.bpf.c) and into user space (driver/kfilter.c,
 * which the replay emulation and the unit tests use). See kfilter.h.
 *
 * The includer defines, before including this file, __always_inline and
 *   static __always_inline unsigned int kf_lookup(void *ctx, unsigned int nr,
 *                                                 unsigned int kind,
 *                                                 unsigned long long hash);
 * returning the terms (bit i = term i) whose path set holds that hash, 0 if
 * none (a BPF hash map in the probe, a sorted table in user space). */
#ifndef SK_DRIVER_BPF_KFILTER_EVAL_H
#define SK_DRIVER_BPF_KFILTER_EVAL_H

#include "kfilter.h"

/* What the path scan found. */
struct sk_kf_path_info {
	unsigned int terms;           /* terms whose path set holds the path */
	unsigned char clean;          /* see the top of this file */
	unsigned char dotdot;         /* contains "../" (1 too when unknown) */
};

/* The terms, one per step so that the probe can run the loop under
 * bpf_loop (unrolled, the term loop would multiply the verifier's states)
 * and user space under a plain loop over i < p->nterms: kf_term_step
 * gathers as bits which terms' cheap atoms (result, flags) hold and which
 * terms have path atoms; kf_nopath and kf_decide then need no loop. */

/* Term i's cheap atoms (result, flags) hold: 1, else 0. */
static __always_inline unsigned int kf_term_cheap(const struct sk_kf_pred *p, unsigned int i,
						  long long ret, unsigned int flags)
{
	const struct sk_kf_term *t = &p->t[i & (SK_KF_TERMS - 1)];
	if (t->res == SK_KF_RES_OK && ret < 0)
		return 0;
	if (t->res == SK_KF_RES_FAIL && ret >= 0)
		return 0;
	if (t->flags_any[0] && !(flags & t->flags_any[0]))
		return 0;
	if (t->flags_any[1] && !(flags & t->flags_any[1]))
		return 0;
	if (flags & t->flags_none)
		return 0;
	return 1;
}

/* The state of the term loop. */
struct kf_terms_st {
	const struct sk_kf_pred *p;
	long long ret;
	unsigned int flags;
	unsigned int cand;            /* terms whose cheap atoms hold */
	unsigned int dot;             /* terms with a "../" atom */
	unsigned int path;            /* terms with a path-set atom */
};

/* Term i (< nterms). Returns 0 (go on). */
static __always_inline int kf_term_step(struct kf_terms_st *st, unsigned int i)
{
	const struct sk_kf_term *t = &st->p->t[i & (SK_KF_TERMS - 1)];
	unsigned int bit = 1u << (i & (SK_KF_TERMS - 1));
	if (kf_term_cheap(st->p, i, st->ret, st->flags))
		st->cand |= bit;
	if (t->dotdot)
		st->dot |= bit;
	if (t->path)
		st->path |= bit;
	return 0;
}

/* Some candidate term has no path atom: the event is sent unread. */
static __always_inline unsigned int kf_nopath(const struct kf_terms_st *st)
{
	return (st->cand & ~(st->dot | st->path)) != 0;
}

/* After the path scan: some candidate's path atoms hold ("../" when it asks
 * for it; its set holds the path, or the path is not clean). */
static __always_inline unsigned int kf_decide(const struct kf_terms_st *st,
					      const struct sk_kf_path_info *pi)
{
	unsigned int fail = pi->dotdot ? 0 : st->dot;
	if (pi->clean)
		fail |= st->path & ~pi->terms;
	return (st->cand & ~fail) != 0;
}

/* The path scan, a word (8 bytes) per step so that the probe can run it
 * under bpf_loop (one verification of the step, whatever the path length)
 * and user space under a plain loop: kf_scan_begin, kf_scan_step for
 * k = 0, 1, ... until it returns 1 (at most SK_KF_PATH_MAX / 8 steps),
 * kf_scan_end. It finds whether the path is clean, whether it contains
 * "../", and the terms whose sets hold its exact name, one of its directory
 * prefixes (at the depths the predicate uses) or its last component (each
 * kind looked up only when the predicate has entries of that kind).
 *
 * The buffer must be readable for SK_KF_PATH_MAX + 8 bytes whatever the
 * path's length: words are loaded whole and the bytes past the path masked
 * off. Per word, the bytes equal to '/' and '.' become masks (the high bit of
 * each such byte); the patterns that make a path unclean ("//", "/./",
 * "/../" and the same at the end) and "../" are AND-ed shifts of those masks,
 * the previous word's masks shifted in, so that a pattern across two words
 * is seen too. */

#define KF_LOW7 0x7f7f7f7f7f7f7f7fULL
#define KF_SLASHES 0x2f2f2f2f2f2f2f2fULL
#define KF_DOTS 0x2e2e2e2e2e2e2e2eULL

/* The 8 bytes at buf + off (off < 2 * SK_KF_PATH_MAX). */
static __always_inline unsigned long long kf_load(const unsigned char *buf, unsigned int off)
{
#if defined(__bpf__)
	return *(const unsigned long long *)(buf + (off & (2 * SK_KF_PATH_MAX - 1)));
#else
	unsigned long long w;
	__builtin_memcpy(&w, buf + off, sizeof(w));
	return w;
#endif
}

/* The high bit of each byte of w that equals the byte of c8 (exact: no
 * carry crosses bytes). */
static __always_inline unsigned long long kf_bytes_eq(unsigned long long w, unsigned long long c8)
{
	unsigned long long x = w ^ c8;
	return ~(((x & KF_LOW7) + KF_LOW7) | x | KF_LOW7);
}

/* w with only its first b bytes (1 <= b <= 8; little-endian). */
static __always_inline unsigned long long kf_first(unsigned long long w, unsigned int b)
{
	return w & (~0ULL >> ((64 - 8 * b) & 63));
}

/* sk_kf_hash in steps: the state after each word (the last one zero-padded)
 * and the length at the end. */
static __always_inline unsigned long long kf_mix(unsigned long long h, unsigned long long w)
{
	h = (h ^ w) * SK_KF_HASH_MUL;
	return h ^ (h >> 32);
}

static __always_inline unsigned long long kf_fin(unsigned long long h, unsigned long long n)
{
	h = kf_mix(h, n) * SK_KF_HASH_MUL2;
	return h ^ (h >> 29);
}

/* The hash of n bytes at buf + off (words loaded as kf_load), in steps:
 * kf_hash_step for k = 0, 1, ... until it returns 1, then kf_fin(h, n). */
struct kf_hash_st {
	const unsigned char *buf;
	unsigned int off, n;
	unsigned long long h;
};

static __always_inline int kf_hash_step(struct kf_hash_st *st, unsigned int k)
{
	if (8 * k >= st->n)
		return 1;
	unsigned int b = st->n - 8 * k;
	unsigned long long w = kf_load(st->buf, st->off + 8 * k);
	st->h = kf_mix(st->h, b < 8 ? kf_first(w, b) : w);
	return 0;
}

struct kf_scan_st {
	const unsigned char *buf;     /* the path (see above) */
	void *ctx;                    /* for kf_lookup */
	unsigned long long h;         /* hash state after the words so far */
	unsigned long long sprev, dprev; /* '/' and '.' masks of the previous word */
	unsigned long long lasts;     /* '/' mask of the last word holding one */
	unsigned int n;               /* path bytes (without the NUL) */
	unsigned int nr, depths, kinds;
	unsigned int depth;           /* '/' seen so far */
	unsigned int lastk;           /* index of the last word holding a '/' */
	unsigned int valid, bad, dotdot, terms;
};

static __always_inline void kf_scan_begin(struct kf_scan_st *st, void *ctx,
					  const struct sk_kf_pred *p, unsigned int nr,
					  const unsigned char *buf, long len)
{
	st->buf = buf;
	st->ctx = ctx;
	st->h = SK_KF_HASH_SEED;
	st->sprev = st->dprev = st->lasts = 0;
	st->nr = nr;
	st->depths = p->depths;
	st->kinds = p->kinds;
	st->depth = st->lastk = st->dotdot = st->terms = 0;
	/* unreadable, empty or truncated: "../" unknown */
	st->valid = len > 1 && len < SK_KF_PATH_MAX;
	st->n = st->valid ? (unsigned int)len - 1 : 0;
	st->bad = !st->valid || buf[0] != '/';
}

/* Word k: bytes 8k .. 8k+7 of the path; the step after the last byte also
 * checks the end of the path as if a '/' followed it. */
static __always_inline int kf_scan_step(struct kf_scan_st *st, unsigned int k)
{
	unsigned int n = st->n;
	if (!st->valid || 8 * k > n)
		return 1;
	unsigned int b = n - 8 * k; /* bytes of the path in this word (0 at the end) */
	unsigned long long w = 0, end = 0;
	if (b > 0)
		w = kf_load(st->buf, 8 * k);
	if (b < 8) {
		w = b ? kf_first(w, b) : 0;
		end = 0x80ULL << (8 * b); /* the '/' that would follow the path */
	}
	unsigned long long S = kf_bytes_eq(w, KF_SLASHES), D = kf_bytes_eq(w, KF_DOTS);
	unsigned long long sp = st->sprev, dp = st->dprev;
	/* the byte 1, 2, 3 before each byte is '/' (S1..S3), '.' (D1, D2) */
	unsigned long long S1 = (S << 8) | (sp >> 56), S2 = (S << 16) | (sp >> 48);
	unsigned long long S3 = (S << 24) | (sp >> 40);
	unsigned long long D1 = (D << 8) | (dp >> 56), D2 = (D << 16) | (dp >> 48);
	/* a component that is empty, "." or ".." before a '/' or the end */
	if ((S | end) & (S1 | (D1 & S2) | (D1 & D2 & S3)))
		st->bad = 1;
	if (S & D1 & D2)
		st->dotdot = 1;
	if (S) {
		st->lastk = k;
		st->lasts = S;
	}
	/* prefixes: the '/'s of this word whose depth some prefix has (their
	 * depths are d + 1 .. d + cnt) */
	unsigned int d = st->depth, cnt = S ? (unsigned int)__builtin_popcountll(S) : 0;
	if (cnt && (st->kinds & (1u << SK_KF_PREFIX)) && d < 31 &&
	    ((st->depths >> (d + 1)) & ((1u << cnt) - 1))) {
		for (unsigned int j = 0; j < 8; j++) {
			if (!((S >> (8 * j + 7)) & 1))
				continue;
			d++;
			if (d < 32 && ((st->depths >> (d & 31)) & 1))
				st->terms |= kf_lookup(st->ctx, st->nr, SK_KF_PREFIX,
						       kf_fin(kf_mix(st->h, kf_first(w, j + 1)),
							      8 * k + j + 1));
		}
	} else {
		d += cnt;
	}
	st->depth = d;
	if (b > 0)
		st->h = kf_mix(st->h, w);
	st->sprev = S;
	st->dprev = D;
	return 0;
}

/* Where the last component starts: one past the last '/' (clean paths). */
static __always_inline unsigned int kf_scan_base(const struct kf_scan_st *st)
{
	unsigned long long m = st->lasts;
	unsigned int j = 0;
	if (m >> 32) {
		j += 4;
		m >>= 32;
	}
	if (m >> 16) {
		j += 2;
		m >>= 16;
	}
	if (m >> 8)
		j += 1;
	return 8 * st->lastk + j + 1;
}

/* Ends the scan; when the predicate has file names, *base gets the last
 * component's hash state to finish (kf_hash_step over it, then kf_fin) and
 * kf_scan_end_base adds its terms. */
static __always_inline void kf_scan_end(struct kf_scan_st *st, struct sk_kf_path_info *out,
					struct kf_hash_st *base)
{
	unsigned int clean = st->valid && !st->bad;
	out->clean = clean;
	out->dotdot = st->valid ? st->dotdot : 1;
	out->terms = 0;
	base->buf = st->buf;
	base->off = base->n = 0;
	base->h = SK_KF_HASH_SEED;
	if (!clean)
		return;
	out->terms = st->terms;
	if (st->kinds & (1u << SK_KF_EXACT))
		out->terms |= kf_lookup(st->ctx, st->nr, SK_KF_EXACT, kf_fin(st->h, st->n));
	if (st->kinds & (1u << SK_KF_BASENAME)) {
		unsigned int off = kf_scan_base(st);
		base->off = off;
		base->n = st->n - off;
	}
}

static __always_inline void kf_scan_end_base(const struct kf_scan_st *st,
					     const struct kf_hash_st *base,
					     struct sk_kf_path_info *out)
{
	if (base->n)
		out->terms |= kf_lookup(st->ctx, st->nr, SK_KF_BASENAME, kf_fin(base->h, base->n));
}

#endif
