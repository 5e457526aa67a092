/* driver.c — user-space side of the probe: load/attach with libbpf (skeleton
 * generated at build time), one BPF ring buffer per CPU (or pair), read by
 * mapping the rings directly so records are peeked in place and merged across
 * rings in timestamp order, polled with back-off (the probe never wakes us). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver_int.h"

#ifdef SK_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe.skel.h"

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u

/* One mapped ring. */
struct ring {
	int fd;
	unsigned long *cons_pos;     /* our page, read-write */
	unsigned long *prod_pos;     /* kernel page, read-only */
	uint8_t *data;               /* the data area, mapped once (a record that
	                              * wraps is copied to the bounce buffer) */
	size_t size, mask;
	uint16_t cpu;                /* first CPU feeding this ring */
	const uint8_t *head;         /* peeked record (NULL: none) */
	uint32_t head_len;           /* its length */
	uint32_t head_step;          /* bytes to advance past it */
	uint64_t head_ts;
	bool head_wraps;             /* the record runs past the end of the data area */
	/* Local copies of the two positions, so that the cache lines the
	 * producer writes (producer_pos) and reads at every reserve
	 * (consumer_pos) are touched once per batch, not once per record. */
	unsigned long cons;          /* our consumer position (published lazily) */
	unsigned long cons_pub;      /* last value written to *cons_pos */
	unsigned long prod;          /* producer position last loaded */
};

struct sk_driver {
	struct sk_probe *skel;
	struct ring *rings;
	unsigned nrings;
	size_t page;
	int last;                    /* ring whose head was handed out, -1 none */
	uint64_t num;                /* events handed out */
	uint64_t n_bad;
	int ncpus;
	struct sk_probe_spec *specs; /* SK_PROBE_NR_MAX entries, the last ones pushed */
	long nap_us;                 /* current back-off sleep; reset when events come */
	uint8_t *bounce;             /* SK_PROBE_REC_MAX bytes for records that wrap */
	uint64_t n_naps;             /* back-off sleeps (each one a wake-up) */
	struct sk_kf_pred *kf;       /* SK_PROBE_NR_MAX predicates last loaded (on = 0: none) */
	bool kf_ok;                  /* the kernel can run the filters (bpf_loop, task storage) */
};

/* The consumer position is published when the reader catches up with the
 * producer (so an idle ring shows empty to the kernel) or after this many
 * bytes: the producer only needs it to know the ring has room, and a stale
 * value costs at most this much of the ring's capacity. */
#define CONS_PUBLISH_BYTES (64u << 10)

/* Polling back-off: the reader sleeps NAP_START_US after the rings run
 * empty, doubling while they stay empty. Falco starts at 500 µs, but its
 * reader is busy most of the time and rarely sleeps; ours empties the rings
 * in a fraction of that and then woke up ~1000 times a second under load,
 * each wake-up preempting the workload on a busy 2-CPU machine (its context
 * switches rose by about one per wake-up). 4 ms makes ~8x fewer wake-ups
 * with ~8x bigger batches; at 300k events/s it is ~130 KiB of ring, 1.6% of
 * the default 8 MiB (13% of the smallest preset), and the alert latency it
 * adds is far below the output pipeline's. See docs/live-capture.md. */
#define NAP_START_US 4000
#define NAP_MAX_US 30000

/* libbpf's log goes here while the probe loads (libbpf's printer is global). */
static struct sk_buf load_log;
static bool load_log_on;

static int log_cb(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (!load_log_on || lvl == LIBBPF_DEBUG)
		return 0;
	va_list cp;
	va_copy(cp, ap);
	int rc = sk_buf_vprintf(&load_log, fmt, cp);
	va_end(cp);
	(void)rc;
	return 0;
}

static uint64_t boot_epoch_ns(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (uint64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ull + (uint64_t)rt.tv_nsec -
	       (uint64_t)bt.tv_nsec;
}

static int ring_map(struct sk_driver *d, struct ring *r, struct sk_err *err)
{
	r->cons_pos = mmap(NULL, d->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->cons_pos == MAP_FAILED) {
		r->cons_pos = NULL;
		return sk_err_set(err, -errno, "mapping a ring buffer: %s", strerror(errno));
	}
	/* The kernel lets us map the data area twice (so records never wrap),
	 * but every mapped page counts in our RSS: map it once. */
	void *p = mmap(NULL, d->page + r->size, PROT_READ, MAP_SHARED, r->fd, (off_t)d->page);
	if (p == MAP_FAILED)
		return sk_err_set(err, -errno, "mapping a ring buffer: %s", strerror(errno));
	r->prod_pos = p;
	r->data = (uint8_t *)p + d->page;
	r->mask = r->size - 1;
	r->cons = r->cons_pub = *r->cons_pos;
	r->prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
	return 0;
}

static void ring_unmap(struct sk_driver *d, struct ring *r)
{
	if (r->cons_pos)
		munmap(r->cons_pos, d->page);
	if (r->prod_pos)
		munmap(r->prod_pos, d->page + r->size);
	if (r->fd >= 0)
		close(r->fd);
}

void sk_driver_free(struct sk_driver *d)
{
	if (!d)
		return;
	if (d->skel)
		sk_probe__destroy(d->skel);
	for (unsigned i = 0; d->rings && i < d->nrings; i++)
		ring_unmap(d, &d->rings[i]);
	free(d->rings);
	free(d->specs);
	free(d->kf);
	free(d->bounce);
	free(d);
}

/* Puts the tail of the libbpf log (where the verifier's reason is) in err. */
static int load_error(struct sk_err *err, int rc, const struct sk_driver_opts *o)
{
	const char *log = sk_buf_cstr(&load_log);
	size_t n = strlen(log);
	if (rc == -EPERM || rc == -EACCES) {
		if (geteuid() != 0)
			return sk_err_set(err, -EPERM,
					  "loading the eBPF probe needs root (or CAP_BPF, CAP_PERFMON and "
					  "CAP_SYS_RESOURCE); run saker as root or pick another "
					  "engine.kind");
		if (strstr(log, "processed") || strstr(log, "verifier"))
			goto verifier;
		return sk_err_set(err, -EPERM,
				  "the kernel refused the eBPF probe (%s): check capabilities "
				  "(CAP_BPF, CAP_PERFMON), kernel.unprivileged_bpf_disabled and "
				  "lockdown", strerror(-rc));
	}
	if (strstr(log, "processed") || strstr(log, "-- BEGIN PROG LOAD LOG --"))
		goto verifier;
	return sk_err_set(err, rc, "loading the eBPF probe failed: %s", strerror(-rc));
verifier:
	if (o && o->verbose)
		return sk_err_set(err, -EINVAL, "the BPF verifier rejected the probe; log tail: %s",
				  n > 600 ? log + n - 600 : log);
	return sk_err_set(err, -EINVAL,
			  "the BPF verifier rejected the probe on this kernel (run with -v to "
			  "see the verifier log)");
}

struct sk_driver *sk_driver_open(const struct sk_driver_opts *opts, struct sk_err *err)
{
	struct sk_driver_opts o = {0};
	if (opts)
		o = *opts;
	if (!o.ring_bytes)
		o.ring_bytes = 8u << 20;
	if (!o.cpus_per_ring)
		o.cpus_per_ring = 2;
	if (!o.snaplen)
		o.snaplen = 80;
	if (o.ring_bytes < 4096 || (o.ring_bytes & (o.ring_bytes - 1))) {
		sk_err_set(err, -EINVAL, "ring buffer size %zu is not a power of two >= 4096",
			   o.ring_bytes);
		return NULL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		sk_err_set(err, -ENOENT,
			   "this kernel has no BTF (/sys/kernel/btf/vmlinux): the modern eBPF probe "
			   "needs CONFIG_DEBUG_INFO_BTF=y (kernel >= 5.8)");
		return NULL;
	}
	struct sk_driver *d = calloc(1, sizeof(*d));
	if (!d) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	d->last = -1;
	d->page = (size_t)sysconf(_SC_PAGESIZE);
	d->ncpus = libbpf_num_possible_cpus();
	d->specs = calloc(SK_PROBE_NR_MAX, sizeof(*d->specs));
	d->kf = calloc(SK_PROBE_NR_MAX, sizeof(*d->kf));
	d->bounce = malloc(SK_PROBE_REC_MAX);
	d->nap_us = NAP_START_US;
	if (d->ncpus <= 0 || !d->specs || !d->kf || !d->bounce) {
		sk_err_set(err, -ENOMEM, "cannot size per-CPU state");
		goto fail;
	}
	if (o.cpus_per_ring > (unsigned)d->ncpus)
		o.cpus_per_ring = (unsigned)d->ncpus;
	d->nrings = ((unsigned)d->ncpus + o.cpus_per_ring - 1) / o.cpus_per_ring;

	sk_buf_init(&load_log, 1 << 20);
	load_log_on = true;
	libbpf_print_fn_t prev = libbpf_set_print(log_cb);
	int rc = 0;
	d->skel = sk_probe__open();
	if (!d->skel) {
		rc = -errno;
		goto load_fail;
	}
	d->skel->rodata->boot_ts = boot_epoch_ns();
	d->skel->rodata->cpus_per_ring = o.cpus_per_ring;
	d->skel->rodata->snaplen = o.snaplen;
	d->skel->rodata->self_tgid = o.filter_self ? (uint32_t)getpid() : 0;
	d->rings = calloc(d->nrings, sizeof(*d->rings));
	if (!d->rings) {
		rc = -ENOMEM;
		goto load_fail;
	}
	for (unsigned i = 0; i < d->nrings; i++)
		d->rings[i].fd = -1;
	/* Rings are created here, at the requested size; the first one is also
	 * the inner-map template the outer array is created with. */
	for (unsigned i = 0; i < d->nrings; i++) {
		struct ring *r = &d->rings[i];
		r->size = o.ring_bytes;
		r->cpu = (uint16_t)(i * o.cpus_per_ring);
		r->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sk_ring", 0, 0, (uint32_t)o.ring_bytes,
				       NULL);
		if (r->fd < 0) {
			rc = -errno;
			if (rc == -EPERM)
				goto load_fail;
			libbpf_set_print(prev);
			load_log_on = false;
			sk_buf_done(&load_log);
			sk_err_set(err, -ENOMEM,
				   "cannot allocate ring buffer %u of %zu bytes (%s): lower "
				   "engine.modern_ebpf.buf_size_preset or raise RLIMIT_MEMLOCK",
				   i, o.ring_bytes, strerror(-rc));
			goto fail;
		}
	}
	/* The kernel filters need bpf_loop (5.17) and task storage (5.11): on an
	 * older kernel the exit program without them is loaded instead. */
	d->kf_ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) == 1 &&
		   libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	if ((rc = bpf_program__set_autoload(d->kf_ok ? d->skel->progs.sk_sys_exit_nokf
						     : d->skel->progs.sk_sys_exit, false)) ||
	    (!d->kf_ok && (rc = bpf_map__set_autocreate(d->skel->maps.kf_fds, false))))
		goto load_fail;
	if ((rc = bpf_map__set_max_entries(d->skel->maps.scratch, (uint32_t)d->ncpus)) ||
	    (rc = bpf_map__set_max_entries(d->skel->maps.rings, d->nrings)) ||
	    (rc = bpf_map__set_inner_map_fd(d->skel->maps.rings, d->rings[0].fd)))
		goto load_fail;
	rc = sk_probe__load(d->skel);
	if (rc)
		goto load_fail;
	int outer = bpf_map__fd(d->skel->maps.rings);
	for (unsigned i = 0; i < d->nrings; i++) {
		struct ring *r = &d->rings[i];
		if (bpf_map_update_elem(outer, &i, &r->fd, BPF_ANY) < 0) {
			rc = -errno;
			goto load_fail;
		}
		if (ring_map(d, r, err) < 0) {
			libbpf_set_print(prev);
			load_log_on = false;
			sk_buf_done(&load_log);
			goto fail;
		}
	}
	rc = sk_probe__attach(d->skel);
	if (rc)
		goto load_fail;
	libbpf_set_print(prev);
	load_log_on = false;
	sk_buf_done(&load_log);
	return d;

load_fail:
	load_error(err, rc < 0 ? rc : -EINVAL, &o);
	libbpf_set_print(prev);
	load_log_on = false;
	sk_buf_done(&load_log);
fail:
	sk_driver_free(d);
	return NULL;
}

/* Pushes every spec, marking the slots a predicate filters. */
static int push_specs(struct sk_driver *d)
{
	int fd = bpf_map__fd(d->skel->maps.specs);
	for (uint32_t nr = 0; nr < SK_PROBE_NR_MAX; nr++) {
		d->specs[nr].kf = (unsigned char)((d->specs[nr].kf & ~SK_SPEC_KF_PRED) |
						  (d->specs[nr].evt && d->kf[nr].on ? SK_SPEC_KF_PRED : 0));
		if (bpf_map_update_elem(fd, &nr, &d->specs[nr], BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

int sk_driver_select(struct sk_driver *d, const bool want[SK_EVENT_MAX])
{
	struct sk_err e;
	int rc = sk_driver_build_specs(want, d->specs, &e);
	if (rc)
		return rc;
	return push_specs(d);
}

/* Loads the predicates: all off first, then the path entries, then the new
 * predicates, so that while this runs the probe sends more, never less. */
int sk_driver_set_kfilter(struct sk_driver *d, const struct sk_kf_set *k)
{
	if (!d->kf_ok)
		return k ? -ENOTSUP : 0;
	int pfd = bpf_map__fd(d->skel->maps.kf_preds);
	int hfd = bpf_map__fd(d->skel->maps.kf_paths);
	struct sk_kf_pred off = {0};
	for (uint32_t nr = 0; nr < SK_PROBE_NR_MAX; nr++) {
		if (d->kf[nr].on && bpf_map_update_elem(pfd, &nr, &off, BPF_ANY) < 0)
			return -errno;
		d->kf[nr] = off;
	}
	struct sk_kf_key key, next;
	while (bpf_map_get_next_key(hfd, NULL, &next) == 0)
		if (bpf_map_delete_elem(hfd, &next) < 0)
			return -errno;
	/* forget every remembered open (a new epoch voids the bits): those of an
	 * earlier filter were not kept up to date while tracking was off */
	d->skel->bss->kf_track = 0;
	d->skel->bss->kf_epoch++;
	bool track = false;
	for (uint16_t code = 0; k && code < SK_EVENT_MAX; code++)
		track |= k->pred[code].on && k->pred[code].mode == SK_KF_MODE_CLOSE;
	d->skel->bss->kf_track = track;
	/* the probe looks a hash up only when its bloom bit is set: the bits of
	 * the new entries are set before any predicate that needs them is on */
	memset((void *)d->skel->bss->kf_bloom, 0, sizeof(d->skel->bss->kf_bloom));
	for (size_t i = 0; k && i < k->npaths; i++) {
		const struct sk_kf_path_ent *e = &k->paths[i];
		unsigned bit = SK_KF_BLOOM_BIT(e->kind, e->hash);
		d->skel->bss->kf_bloom[bit / 64] |= 1ULL << (bit % 64);
		int nrs[4];
		int n = sk_driver_slots_of(e->evt, nrs, 4);
		for (int j = 0; j < n; j++) {
			key = (struct sk_kf_key){.nr = (unsigned)nrs[j], .kind = e->kind, .hash = e->hash};
			uint32_t v = e->terms;
			if (bpf_map_update_elem(hfd, &key, &v, BPF_ANY) < 0)
				return -errno;
		}
	}
	for (uint16_t code = 0; k && code < SK_EVENT_MAX; code++) {
		if (!k->pred[code].on)
			continue;
		int nrs[4];
		int n = sk_driver_slots_of(code, nrs, 4);
		for (int j = 0; j < n; j++) {
			uint32_t nr = (uint32_t)nrs[j];
			struct sk_kf_pred p = k->pred[code];
			if (p.mode == SK_KF_MODE_TERMS && sk_driver_kf_args(nr, &p) != 0)
				continue; /* a syscall whose arguments the filter cannot read */
			for (unsigned t = 0; t < p.nterms && t < SK_KF_TERMS; t++)
				p.created |= ((p.t[t].flags_any[0] | p.t[t].flags_any[1] |
					       p.t[t].flags_none) & SK_KF_O_F_CREATED) != 0;
			d->kf[nr] = p;
			if (bpf_map_update_elem(pfd, &nr, &p, BPF_ANY) < 0)
				return -errno;
		}
	}
	return push_specs(d);
}

int sk_driver_kf_stats(struct sk_driver *d, uint64_t *passed, uint64_t *filtered)
{
	memset(passed, 0, sizeof(uint64_t) * SK_EVENT_MAX);
	memset(filtered, 0, sizeof(uint64_t) * SK_EVENT_MAX);
	struct sk_kf_count *pc = calloc((size_t)d->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	int fd = bpf_map__fd(d->skel->maps.kf_counts);
	/* only the filtered slots count (each lookup is a bpf() syscall, which
	 * the probe itself may be sending) */
	for (uint32_t nr = 0; nr < SK_PROBE_NR_MAX; nr++) {
		uint16_t evt = d->specs[nr].evt;
		if (!d->kf[nr].on)
			continue;
		if (bpf_map_lookup_elem(fd, &nr, pc) < 0) {
			int rc = -errno;
			free(pc);
			return rc;
		}
		if (!evt)
			evt = sk_driver_slot_evt(nr);
		for (int c = 0; c < d->ncpus && evt < SK_EVENT_MAX; c++) {
			passed[evt] += pc[c].passed;
			filtered[evt] += pc[c].filtered;
		}
	}
	free(pc);
	return 0;
}

/* Publishes our consumer position to the kernel (frees the space read). */
static void ring_publish(struct ring *r)
{
	if (r->cons_pub == r->cons)
		return;
	__atomic_store_n(r->cons_pos, r->cons, __ATOMIC_RELEASE);
	r->cons_pub = r->cons;
}

/* Looks at the ring's next record without consuming it. The producer
 * position is reloaded only when the records known are used up, and the
 * consumer position is published then (see CONS_PUBLISH_BYTES): each load of
 * producer_pos pulls a line the producer writes at every record, and each
 * store to consumer_pos invalidates a line it reads at every reserve. */
static void ring_peek(struct ring *r)
{
	if (r->head)
		return;
	for (;;) {
		if (r->cons >= r->prod) {
			ring_publish(r);
			r->prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
			if (r->cons >= r->prod)
				return;
		}
		const uint8_t *h = r->data + (r->cons & r->mask);
		uint32_t len = __atomic_load_n((const uint32_t *)h, __ATOMIC_ACQUIRE);
		if (len & RB_BUSY)
			return; /* reserved, not committed yet: records after it wait */
		uint32_t step = ((len & ~(RB_BUSY | RB_DISCARD)) + RB_HDR + 7u) & ~7u;
		if (len & RB_DISCARD) {
			r->cons += step;
			continue;
		}
		/* the header is 8 bytes and 8-aligned: the record starts at the
		 * next 8-aligned offset, which may be the start of the area */
		r->head = r->data + ((r->cons + RB_HDR) & r->mask);
		r->head_len = len;
		r->head_wraps = (size_t)(r->head - r->data) + len > r->size;
		r->head_step = step;
		uint64_t ts = 0;
		if (len >= 8) /* 8-aligned: the timestamp itself never wraps */
			memcpy(&ts, r->head, sizeof(ts));
		r->head_ts = ts;
		return;
	}
}

/* Consumes the peeked record. Its bytes are only handed back to the kernel
 * when the position is published, which is what makes the view returned by
 * sk_driver_next() safe until the next call. */
static void ring_advance(struct ring *r)
{
	r->cons += r->head_step;
	r->head = NULL;
	if (r->cons - r->cons_pub >= CONS_PUBLISH_BYTES)
		ring_publish(r);
}

int sk_driver_next(struct sk_driver *d, struct sk_event *ev, int timeout_ms, struct sk_err *err)
{
	if (d->last >= 0) {
		ring_advance(&d->rings[d->last]);
		d->last = -1;
	}
	long waited_us = 0;
	for (;;) {
		int best = -1;
		for (unsigned i = 0; i < d->nrings; i++) {
			struct ring *r = &d->rings[i];
			ring_peek(r);
			if (r->head && (best < 0 || r->head_ts < d->rings[best].head_ts))
				best = (int)i;
		}
		if (best >= 0) {
			struct ring *r = &d->rings[best];
			struct sk_err derr;
			const uint8_t *rec = r->head;
			if (r->head_wraps && r->head_len > SK_PROBE_REC_MAX) {
				d->n_bad++; /* never written by the probe */
				ring_advance(r);
				continue;
			}
			if (r->head_wraps) {
				size_t first = r->size - (size_t)(r->head - r->data);
				memcpy(d->bounce, r->head, first);
				memcpy(d->bounce + first, r->data, r->head_len - first);
				rec = d->bounce;
			}
			d->nap_us = NAP_START_US;
			if (sk_event_decode(ev, rec, r->head_len, &derr) != 0) {
				d->n_bad++;
				ring_advance(r);
				continue;
			}
			d->last = best;
			ev->num = ++d->num;
			ev->cpuid = r->cpu;
			ev->dump_flags = 0;
			return 1;
		}
		if (waited_us >= (long)timeout_ms * 1000)
			return 0;
		/* back-off (kept across calls): the probe never wakes us */
		long nap = d->nap_us;
		if (nap > (long)timeout_ms * 1000 - waited_us)
			nap = (long)timeout_ms * 1000 - waited_us;
		struct timespec ts = {0, nap * 1000};
		for (unsigned i = 0; i < d->nrings; i++)
			ring_publish(&d->rings[i]); /* all the space read is free while we sleep */
		nanosleep(&ts, NULL);
		d->n_naps++;
		waited_us += nap;
		if (d->nap_us < NAP_MAX_US)
			d->nap_us *= 2;
	}
	(void)err;
}

int sk_driver_stats(struct sk_driver *d, struct sk_driver_stats *out)
{
	memset(out, 0, sizeof(*out));
	struct sk_probe_stats *pc = calloc((size_t)d->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	uint32_t z = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.stats), &z, pc) < 0) {
		int rc = -errno;
		free(pc);
		return rc;
	}
	for (int c = 0; c < d->ncpus; c++) {
		out->n_evts += pc[c].n_evts;
		out->n_sent += pc[c].n_sent;
		out->n_drops_buffer += pc[c].n_drops_buffer;
		for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++)
			out->n_drops_cat[k] += pc[c].n_drops_cat[k];
		out->n_drops_size += pc[c].n_drops_size;
		out->n_faults += pc[c].n_faults;
		out->n_errors += pc[c].n_errors;
	}
	out->n_read = d->num;
	out->n_bad = d->n_bad;
	out->n_naps = d->n_naps;
	free(pc);
	return 0;
}

int sk_driver_stats_cpu(struct sk_driver *d, struct sk_driver_stats *out, int max)
{
	struct sk_probe_stats *pc = calloc((size_t)d->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	uint32_t z = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.stats), &z, pc) < 0) {
		int rc = -errno;
		free(pc);
		return rc;
	}
	for (int c = 0; c < d->ncpus && c < max; c++) {
		memset(&out[c], 0, sizeof(out[c]));
		out[c].n_evts = pc[c].n_evts;
		out[c].n_sent = pc[c].n_sent;
		out[c].n_drops_buffer = pc[c].n_drops_buffer;
		for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++)
			out[c].n_drops_cat[k] = pc[c].n_drops_cat[k];
		out[c].n_drops_size = pc[c].n_drops_size;
		out[c].n_faults = pc[c].n_faults;
		out[c].n_errors = pc[c].n_errors;
	}
	int n = d->ncpus;
	free(pc);
	return n;
}

#else /* !SK_HAVE_BPF */

struct sk_driver {
	int unused;
};

struct sk_driver *sk_driver_open(const struct sk_driver_opts *opts, struct sk_err *err)
{
	(void)opts;
	sk_err_set(err, -ENOTSUP, "saker was built without the eBPF probe (SAKER_BPF=OFF)");
	return NULL;
}
void sk_driver_free(struct sk_driver *d) { (void)d; }
int sk_driver_select(struct sk_driver *d, const bool want[SK_EVENT_MAX])
{
	(void)d; (void)want;
	return -ENOTSUP;
}
int sk_driver_next(struct sk_driver *d, struct sk_event *ev, int timeout_ms, struct sk_err *err)
{
	(void)d; (void)ev; (void)timeout_ms; (void)err;
	return -ENOTSUP;
}
int sk_driver_stats(struct sk_driver *d, struct sk_driver_stats *out)
{
	(void)d;
	memset(out, 0, sizeof(*out));
	return -ENOTSUP;
}
int sk_driver_stats_cpu(struct sk_driver *d, struct sk_driver_stats *out, int max)
{
	(void)d; (void)out; (void)max;
	return -ENOTSUP;
}
int sk_driver_set_kfilter(struct sk_driver *d, const struct sk_kf_set *k)
{
	(void)d; (void)k;
	return -ENOTSUP;
}
int sk_driver_kf_stats(struct sk_driver *d, uint64_t *passed, uint64_t *filtered)
{
	(void)d; (void)passed; (void)filtered;
	return -ENOTSUP;
}
#endif

const char *sk_driver_drop_cat_name(enum sk_drop_cat c)
{
	static const char *const names[SK_DRIVER_DROP_CAT_MAX] = {
		"other_interest", "clone_fork", "execve", "connect", "open", "dir_file", "close", "proc",
	};
	return (unsigned)c < SK_DRIVER_DROP_CAT_MAX ? names[c] : "unknown";
}
