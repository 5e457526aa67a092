/* kfilter.c — the user-space side of the kernel filter: predicate sets (the
 * path entries the probe looks up by hash) and the probe's decision computed
 * for a recorded event, with the same code the probe runs (kfilter_eval.h),
 * for the replay emulation and the unit tests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/driver.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Binary search in the sealed set: ctx is the set, nr the event code. */
static __always_inline unsigned int kf_lookup(void *ctx, unsigned int nr, unsigned int kind,
					      unsigned long long hash)
{
	const struct sk_kf_set *k = ctx;
	size_t lo = 0, hi = k->npaths;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sk_kf_path_ent *e = &k->paths[mid];
		int c = e->evt != nr ? (e->evt < nr ? -1 : 1)
			: e->kind != kind ? (e->kind < kind ? -1 : 1)
			: e->hash != hash ? (e->hash < hash ? -1 : 1) : 0;
		if (c == 0)
			return e->terms;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

#include "driver/bpf/kfilter_eval.h"

/* The probe's hash (kfilter_eval.h), over any length: whole words, the
 * last one zero-padded, then the length. */
uint64_t sk_kf_hash(const char *s, size_t n)
{
	uint64_t h = SK_KF_HASH_SEED;
	for (size_t i = 0; i < n; i += 8) {
		unsigned char w[8] = {0};
		memcpy(w, s + i, n - i < 8 ? n - i : 8);
		h = kf_mix(h, kf_load(w, 0));
	}
	return kf_fin(h, n);
}

struct sk_kf_set *sk_kf_set_new(void)
{
	return calloc(1, sizeof(struct sk_kf_set));
}

void sk_kf_set_free(struct sk_kf_set *k)
{
	if (!k)
		return;
	if (k->emu_init) {
		sk_u64map_done(&k->emu_fds);
		sk_u64map_done(&k->emu_gen);
	}
	free(k->paths);
	free(k);
}

int sk_kf_set_add_path(struct sk_kf_set *k, uint16_t evt, enum sk_kf_kind kind, const char *s,
		       size_t n, uint32_t terms)
{
	if (k->npaths == k->cpaths) {
		size_t c = k->cpaths ? 2 * k->cpaths : 64;
		struct sk_kf_path_ent *p = realloc(k->paths, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		k->paths = p;
		k->cpaths = c;
	}
	k->paths[k->npaths++] = (struct sk_kf_path_ent){
		.evt = evt, .kind = (uint8_t)kind, .terms = terms, .hash = sk_kf_hash(s, n)};
	/* what the scan of this slot must hash and look up */
	if (evt < SK_EVENT_MAX) {
		struct sk_kf_pred *p = &k->pred[evt];
		p->kinds |= (unsigned char)(1u << kind);
		if (kind == SK_KF_PREFIX) {
			unsigned depth = 0;
			for (size_t i = 0; i < n; i++)
				depth += s[i] == '/';
			if (depth < 32)
				p->depths |= 1u << depth;
		}
	}
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct sk_kf_path_ent *x = a, *y = b;
	if (x->evt != y->evt)
		return x->evt < y->evt ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return 0;
}

void sk_kf_set_seal(struct sk_kf_set *k)
{
	if (!k->npaths)
		return;
	qsort(k->paths, k->npaths, sizeof(*k->paths), ent_cmp);
	size_t w = 0;
	for (size_t i = 1; i < k->npaths; i++) {
		if (ent_cmp(&k->paths[w], &k->paths[i]) == 0)
			k->paths[w].terms |= k->paths[i].terms;
		else
			k->paths[++w] = k->paths[i];
	}
	k->npaths = w + 1;
}

/* Parameter indexes (fd, path, flags) of the filterable exit events. */
static bool open_params(uint16_t code, unsigned *path, unsigned *flags)
{
	switch (code) {
	case 3:   /* open_x: fd name flags mode dev ino */
		*path = 1, *flags = 2;
		return true;
	case 307: /* openat_x: fd dirfd name flags mode dev ino */
	case 327: /* openat2_x: fd dirfd name flags mode resolve dev ino */
		*path = 2, *flags = 3;
		return true;
	}
	return false;
}

bool sk_kf_stream_code(uint16_t code)
{
	return code == 31 || code == 35 || code == 49 || code == 53;
}

bool sk_kf_filterable(uint16_t code)
{
	unsigned p, f;
	return code == 5 || open_params(code, &p, &f) || sk_kf_stream_code(code);
}

/* A send or receive: dropped when user space knows its fd as a connected
 * TCP socket (the emulation's stand-in for the probe's look at the socket). */
static bool stream_keep(const struct sk_kf_set *k, const struct sk_event *ev)
{
	if (!k->emu_tcp)
		return true;
	for (unsigned j = 1; j < ev->info->nparams; j++) {
		int64_t fd;
		if (ev->info->params[j].type == SK_PT_FD)
			return !sk_event_get_s64(ev, j, &fd) || !k->emu_tcp(k->emu_tcp_ctx, ev->tid, fd);
	}
	return true;
}

#define PPM_O_DIRECTORY 1024u

/* ---- the emulation's memory of dropped opens (the probe's kf_fds) ----------- */

static void emu_init(struct sk_kf_set *k)
{
	if (k->emu_init)
		return;
	sk_u64map_init(&k->emu_fds, 0);
	sk_u64map_init(&k->emu_gen, 0);
	k->emu_init = true;
}

/* The thread's generation + 1 (never NULL as a map value). */
static uintptr_t emu_gen(struct sk_kf_set *k, int64_t tid)
{
	return (uintptr_t)sk_u64map_get(&k->emu_gen, (uint64_t)tid) + 1;
}

static void emu_bump(struct sk_kf_set *k, int64_t tid)
{
	uintptr_t g = emu_gen(k, tid);
	if (sk_u64map_put(&k->emu_gen, (uint64_t)tid, (void *)g) != 0)
		k->emu_lost = true; /* out of memory: closes are kept from now on */
}

static uint64_t emu_key(int64_t tid, int64_t fd)
{
	return ((uint64_t)(uint32_t)tid << 32) | (uint32_t)fd;
}

static bool close_mode(const struct sk_kf_set *k)
{
	return k->pred[5].on && k->pred[5].mode == SK_KF_MODE_CLOSE;
}

/* After an event that is kept: what the probe does for new fds and what
 * tells the generation of a thread apart (a successful exec, its exit). */
static void emu_after(struct sk_kf_set *k, const struct sk_event *ev)
{
	const char *n = ev->info->name;
	int64_t res = -1;
	if (!strcmp(n, "procexit") ||
	    ((!strcmp(n, "execve") || !strcmp(n, "execveat")) && (ev->type & 1) &&
	     sk_event_get_s64(ev, 0, &res) && res == 0)) {
		emu_bump(k, ev->tid);
		return;
	}
	unsigned arg = 0;
	int nk = sk_driver_newfd_kind(ev->type, &arg);
	if (!nk || !(ev->type & 1) || !sk_event_get_s64(ev, 0, &res) || res < 0)
		return;
	if (nk == 1) {
		(void)sk_u64map_del(&k->emu_fds, emu_key(ev->tid, res));
		return;
	}
	for (unsigned i = 1; i <= 2; i++) { /* pipe, socketpair: fd1, fd2 */
		int64_t fd;
		if (sk_event_get_s64(ev, i, &fd))
			(void)sk_u64map_del(&k->emu_fds, emu_key(ev->tid, fd));
	}
}

/* A close: dropped when its fd's open was dropped by this thread in its
 * current generation. */
static bool emu_close_keep(struct sk_kf_set *k, const struct sk_event *ev)
{
	int64_t fd;
	if (k->emu_lost || !sk_event_get_s64(ev, 1, &fd))
		return true;
	uint64_t key = emu_key(ev->tid, fd);
	void *v = sk_u64map_del(&k->emu_fds, key);
	return !v || (uintptr_t)v != emu_gen(k, ev->tid);
}

/* The open-family decision (kfilter_eval.h, as the probe runs it). */
static bool open_keep(struct sk_kf_set *k, const struct sk_event *ev, unsigned pi, unsigned fi)
{
	const struct sk_kf_pred *p = &k->pred[ev->type];
	int64_t ret = -1;
	uint64_t flags = 0;
	if (!sk_event_get_s64(ev, 0, &ret) || !sk_event_get_u64(ev, fi, &flags))
		return true;
	/* the probe never drops a directory (its fd may become a dirfd or a cwd) */
	if (ret >= 0 && (flags & PPM_O_DIRECTORY))
		return true;
	struct kf_terms_st ts = {.p = p, .ret = ret, .flags = (unsigned)flags};
	for (unsigned i = 0; i < p->nterms && i < SK_KF_TERMS; i++)
		kf_term_step(&ts, i);
	if (!ts.cand)
		return false;
	if (kf_nopath(&ts))
		return true;
	/* the probe reads at most SK_KF_PATH_MAX bytes (with the NUL); the scan
	 * loads whole words past them */
	unsigned char buf[SK_KF_PATH_MAX + 8] = {0};
	uint32_t plen = 0;
	const uint8_t *raw = sk_event_param(ev, pi, &plen);
	long len = 0;
	if (raw && plen) {
		size_t n = strnlen((const char *)raw, plen);
		if (n >= SK_KF_PATH_MAX)
			n = SK_KF_PATH_MAX - 1;
		memcpy(buf, raw, n);
		buf[n] = 0;
		len = (long)n + 1;
	}
	struct kf_scan_st st;
	struct kf_hash_st base;
	struct sk_kf_path_info info;
	kf_scan_begin(&st, (void *)k, p, ev->type, buf, len);
	for (unsigned i = 0; i < SK_KF_PATH_MAX / 8 + 1; i++)
		if (kf_scan_step(&st, i))
			break;
	kf_scan_end(&st, &info, &base);
	for (unsigned i = 0; i < SK_KF_PATH_MAX / 8 + 1; i++)
		if (kf_hash_step(&base, i))
			break;
	kf_scan_end_base(&st, &base, &info);
	return kf_decide(&ts, &info) != 0;
}

bool sk_kf_set_keep(struct sk_kf_set *k, const struct sk_event *ev)
{
	if (!k || ev->type >= SK_EVENT_MAX)
		return true;
	emu_init(k);
	bool track = close_mode(k);
	unsigned pi, fi;
	bool keep = true;
	if (k->pred[ev->type].on && k->pred[ev->type].mode == SK_KF_MODE_STREAM) {
		keep = stream_keep(k, ev);
	} else if (k->pred[ev->type].on && k->pred[ev->type].mode == SK_KF_MODE_CLOSE) {
		keep = emu_close_keep(k, ev);
	} else if (k->pred[ev->type].on && open_params(ev->type, &pi, &fi)) {
		keep = open_keep(k, ev, pi, fi);
		int64_t ret;
		if (!keep && track && sk_event_get_s64(ev, 0, &ret) && ret >= 0 &&
		    ret < SK_KF_FD_MAX &&
		    sk_u64map_put(&k->emu_fds, emu_key(ev->tid, ret), (void *)emu_gen(k, ev->tid)))
			k->emu_lost = true;
	}
	if (keep && track)
		emu_after(k, ev);
	return keep;
}
