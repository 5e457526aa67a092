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

/* Per term, so that the probe can run each loop under bpf_loop (the term
 * loops unrolled would multiply the verifier's states) and user space under
 * plain loops over i < p->nterms. */

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

/* The state of the term loops (see kf_term_step, kf_decide_step). */
struct kf_terms_st {
	const struct sk_kf_pred *p;
	long long ret;
	unsigned int flags;
	unsigned int cand;            /* terms whose cheap atoms hold */
	unsigned int nopath;          /* ... and that have no path atom: send */
	unsigned int keep;            /* a candidate's path atoms hold: send */
	struct sk_kf_path_info pi;
};

static __always_inline unsigned int kf_term_path(const struct sk_kf_pred *p, unsigned int i);

/* First loop, i < nterms: the cheap atoms of term i. Returns 0 (go on). */
static __always_inline int kf_term_step(struct kf_terms_st *st, unsigned int i)
{
	if (kf_term_cheap(st->p, i, st->ret, st->flags)) {
		st->cand |= 1u << (i & 31);
		if (!kf_term_path(st->p, i))
			st->nopath = 1;
	}
	return 0;
}

/* Term i has path atoms: 1, else 0. */
static __always_inline unsigned int kf_term_path(const struct sk_kf_pred *p, unsigned int i)
{
	const struct sk_kf_term *t = &p->t[i & (SK_KF_TERMS - 1)];
	return t->path || t->dotdot;
}

/* The path atoms of term i hold for the scanned path: 1, else 0. */
static __always_inline unsigned int kf_term_decide(const struct sk_kf_pred *p, unsigned int i,
						   const struct sk_kf_path_info *pi)
{
	const struct sk_kf_term *t = &p->t[i & (SK_KF_TERMS - 1)];
	if (t->dotdot && !pi->dotdot)
		return 0;
	if (t->path && pi->clean && !((pi->terms >> (i & 31)) & 1))
		return 0;
	return 1;
}

/* Second loop, after the path scan: 1 (stop) once a candidate holds. */
static __always_inline int kf_decide_step(struct kf_terms_st *st, unsigned int i)
{
	if (((st->cand >> (i & 31)) & 1) && kf_term_decide(st->p, i, &st->pi)) {
		st->keep = 1;
		return 1;
	}
	return 0;
}

/* The path scan, one byte per step so that the probe can run it under
 * bpf_loop (one verification of the step, whatever the path length) and user
 * space under a plain loop: kf_scan_begin, kf_scan_step for i = 0, 1, ...
 * until it returns 1 (at most SK_KF_PATH_MAX steps), kf_scan_end. It finds
 * whether the path is clean, whether it contains "../", and the terms whose
 * sets hold its exact name, one of its directory prefixes (at the depths the
 * predicate uses) or its last component. */
struct kf_scan_st {
	const unsigned char *buf;     /* the NUL-terminated path */
	void *ctx;                    /* for kf_lookup */
	long len;                     /* bytes in buf including the NUL (<= 0: unreadable) */
	unsigned long long h, hb;     /* hash of the path so far, of its last component */
	unsigned int nr, depths;
	unsigned int depth, comp, dots, clean, dotdot, terms, valid;
	unsigned char prev, prev2;
};

static __always_inline void kf_scan_begin(struct kf_scan_st *st, void *ctx,
					  const struct sk_kf_pred *p, unsigned int nr,
					  const unsigned char *buf, long len)
{
	st->buf = buf;
	st->ctx = ctx;
	st->len = len;
	st->h = st->hb = SK_KF_FNV_OFF;
	st->nr = nr;
	st->depths = p->depths;
	st->depth = st->comp = st->dots = st->dotdot = st->terms = 0;
	st->prev = st->prev2 = 0;
	/* unreadable, empty or truncated: "../" unknown */
	st->valid = len > 1 && len < SK_KF_PATH_MAX;
	st->clean = st->valid && buf[0] == '/';
}

static __always_inline int kf_scan_step(struct kf_scan_st *st, unsigned int i)
{
	if (!st->valid || i + 1 >= (unsigned long)st->len)
		return 1;
	unsigned char c = st->buf[i & (SK_KF_PATH_MAX - 1)];
	if (c == 0) { /* shorter than reported: be safe */
		st->valid = 0;
		return 1;
	}
	st->h = (st->h ^ c) * SK_KF_FNV_PRIME;
	if (c == '/') {
		if (i > 0 && (st->comp == 0 || (st->dots == st->comp && st->comp <= 2)))
			st->clean = 0;
		if (st->prev == '.' && st->prev2 == '.')
			st->dotdot = 1;
		st->depth++;
		if (st->clean && st->depth < 32 && ((st->depths >> (st->depth & 31)) & 1))
			st->terms |= kf_lookup(st->ctx, st->nr, SK_KF_PREFIX, st->h);
		st->comp = 0;
		st->dots = 0;
		st->hb = SK_KF_FNV_OFF;
	} else {
		st->comp++;
		if (c == '.')
			st->dots++;
		st->hb = (st->hb ^ c) * SK_KF_FNV_PRIME;
	}
	st->prev2 = st->prev;
	st->prev = c;
	return 0;
}

static __always_inline void kf_scan_end(struct kf_scan_st *st, struct sk_kf_path_info *out)
{
	if (!st->valid || st->comp == 0 || (st->dots == st->comp && st->comp <= 2))
		st->clean = 0;
	out->clean = st->clean;
	out->dotdot = st->valid ? st->dotdot : 1;
	out->terms = 0;
	if (!st->clean)
		return;
	out->terms = st->terms | kf_lookup(st->ctx, st->nr, SK_KF_EXACT, st->h) |
		     kf_lookup(st->ctx, st->nr, SK_KF_BASENAME, st->hb);
}

#endif
