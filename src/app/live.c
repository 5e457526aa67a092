/* live.c — the live (engine.kind=modern_ebpf) source: loads the probe, sends
 * it the syscalls the enabled rules plus state tracking need, seeds from a
 * /proc scan, runs until the program asks it to stop (SIGINT/SIGTERM) or -M,
 * optionally records a .scap (-w) with the scanned state first, and reports
 * Falco-style drop counters
 * (the syscall_event_drops manager is in drops.c).
 * Rules evaluation of live events is wired by the engine loop (hook:
 * sk_app_live_run's per-event callback). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/live.h"
#include "app/notify.h"
#include "app/run_int.h"
#include "config/config.h"
#include "app/ops.h"
#include "driver/driver.h"
#include "kfilter/kfilter.h"
#include "rules/rules.h"

void sk_app_live_opts_from_config(struct sk_app_live_opts *o, const struct sk_app_cfg *c)
{
	memset(o, 0, sizeof(*o));
	const struct sk_config *k = c->conf;
	o->write_path = c->write_path;
	o->duration_s = c->run_duration;
	o->verbose = c->verbose;
	o->cfg = c;
	/* Falco's presets: 1 = 1 MiB doubling up to 10 = 512 MiB; 0 = default */
	int64_t p = k->modern_ebpf_buf_size_preset;
	if (p >= 1 && p <= 10)
		o->ring_bytes = (size_t)1 << (19 + p);
	/* Falco: 0 = one ring shared by every CPU */
	int64_t cpb = k->modern_ebpf_cpus_for_each_buffer;
	o->cpus_per_ring = cpb == 0 ? UINT_MAX : cpb > 0 && cpb <= 4096 ? (unsigned)cpb : 0;
	o->snaplen = k->snaplen > 0 && k->snaplen <= 65536 ? (uint32_t)k->snaplen : 0;
	/* a recording or a capture keeps every selected event */
	o->kernel_filters = k->modern_ebpf_kernel_filters && !c->write_path && !k->capture.enabled;
	for (size_t i = 0; i < k->nsyscall_event_drops_actions; i++) {
		const char *a = k->syscall_event_drops_actions[i];
		o->drops.log |= !strcmp(a, "log");
		o->drops.alert |= !strcmp(a, "alert");
		o->drops.exit |= !strcmp(a, "exit");
	}
	if (k->capture.enabled) {
		o->capture_prefix = k->capture.path_prefix ? k->capture.path_prefix : "/tmp/falco";
		if (k->capture.max_file_size_mb > 0)
			o->capture_max_bytes = (uint64_t)k->capture.max_file_size_mb << 20;
	}
	o->drops.threshold = k->syscall_event_drops_threshold;
	o->drops.rate = k->syscall_event_drops_rate;
	o->drops.max_burst = (double)k->syscall_event_drops_max_burst;
	o->drops.simulate = k->syscall_event_drops_simulate_drops;
	if (k->nbase_syscalls_custom_set || k->base_syscalls_repair || k->base_syscalls_all) {
		o->base_store.custom_set = k->base_syscalls_custom_set;
		o->base_store.ncustom = k->nbase_syscalls_custom_set;
		o->base_store.repair = k->base_syscalls_repair;
		o->base_store.all = k->base_syscalls_all;
		o->base = &o->base_store;
	}
}

/* Metadata collected from the /proc scan for the capture header; strings are
 * copied into the arena (the scan's pointers are borrowed per call). */
struct meta {
	struct sk_arena a;
	struct sk_scap_machine mi;
	bool have_mi;
	struct sk_scap_iface *ifs;
	size_t nifs, cifs;
	struct sk_scap_user *us;
	size_t nus, cus;
	struct sk_scap_group *gs;
	size_t ngs, cgs;
	struct sk_scap_thread *ts;
	size_t nts, cts;
	struct fdlist { uint64_t pid; struct sk_scap_fd *v; size_t n, c; } *fls;
	size_t nfls, cfls;
	int err;
};

static struct sk_bytes dupb(struct meta *m, struct sk_bytes b)
{
	struct sk_bytes r = {"", 0};
	if (!b.len)
		return r;
	char *p = sk_arena_strndup(&m->a, b.p, b.len);
	if (!p) {
		m->err = -ENOMEM;
		return r;
	}
	r.p = p;
	r.len = b.len;
	return r;
}

#define PUSH(m, arr, n, cap)                                                                 \
	((n) < (cap) ? &(arr)[(n)++]                                                         \
		     : (((cap) = (cap) ? 2 * (cap) : 64),                                    \
			((arr) = realloc((arr), (cap) * sizeof(*(arr)))) ? &(arr)[(n)++] : NULL))

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
	struct sk_scap_iface *d = PUSH(m, m->ifs, m->nifs, m->cifs);
	if (!d)
		return -ENOMEM;
	*d = *i;
	d->name = dupb(m, i->name);
	return m->err;
}

static int m_user(void *ctx, const struct sk_scap_user *u)
{
	struct meta *m = ctx;
	struct sk_scap_user *d = PUSH(m, m->us, m->nus, m->cus);
	if (!d)
		return -ENOMEM;
	*d = *u;
	d->name = dupb(m, u->name);
	d->homedir = dupb(m, u->homedir);
	d->shell = dupb(m, u->shell);
	return m->err;
}

static int m_group(void *ctx, const struct sk_scap_group *g)
{
	struct meta *m = ctx;
	struct sk_scap_group *d = PUSH(m, m->gs, m->ngs, m->cgs);
	if (!d)
		return -ENOMEM;
	*d = *g;
	d->name = dupb(m, g->name);
	return m->err;
}

static int m_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct meta *m = ctx;
	struct sk_scap_thread *d = PUSH(m, m->ts, m->nts, m->cts);
	if (!d)
		return -ENOMEM;
	*d = *t;
	d->comm = dupb(m, t->comm);
	d->exe = dupb(m, t->exe);
	d->exepath = dupb(m, t->exepath);
	d->args = dupb(m, t->args);
	d->cwd = dupb(m, t->cwd);
	d->env = dupb(m, t->env);
	d->cgroups = dupb(m, t->cgroups);
	d->root = dupb(m, t->root);
	return m->err;
}

static int m_fd(void *ctx, uint64_t pid, const struct sk_scap_fd *f)
{
	struct meta *m = ctx;
	struct fdlist *l = m->nfls ? &m->fls[m->nfls - 1] : NULL;
	if (!l || l->pid != pid) {
		l = PUSH(m, m->fls, m->nfls, m->cfls);
		if (!l)
			return -ENOMEM;
		memset(l, 0, sizeof(*l));
		l->pid = pid;
	}
	struct sk_scap_fd *d = PUSH(m, l->v, l->n, l->c);
	if (!d)
		return -ENOMEM;
	*d = *f;
	d->name = dupb(m, f->name);
	return m->err;
}

static void meta_done(struct meta *m)
{
	for (size_t i = 0; i < m->nfls; i++)
		free(m->fls[i].v);
	free(m->fls);
	free(m->ifs);
	free(m->us);
	free(m->gs);
	free(m->ts);
	sk_arena_done(&m->a);
}

static int write_meta(struct sk_scap_writer *w, struct meta *m)
{
	int rc = 0;
	if (m->have_mi)
		rc = sk_scap_write_machine(w, &m->mi);
	if (!rc)
		rc = sk_scap_write_ifaces(w, m->ifs, m->nifs);
	if (!rc)
		rc = sk_scap_write_users(w, m->us, m->nus, m->gs, m->ngs);
	if (!rc)
		rc = sk_scap_write_threads(w, m->ts, m->nts);
	for (size_t i = 0; !rc && i < m->nfls; i++)
		rc = sk_scap_write_fds(w, m->fls[i].pid, m->fls[i].v, m->fls[i].n);
	return rc;
}

/* The event codes the enabled syscall rules can match (all when one rule
 * matches every event type). */
static void rules_set(const struct sk_rules *r, bool out[SK_EVENT_MAX])
{
	memset(out, 0, sizeof(bool) * SK_EVENT_MAX);
	for (size_t i = 0; r && i < sk_rules_count(r); i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || (ru->source && strcmp(ru->source, "syscall")))
			continue;
		if (ru->all_evttypes) {
			size_t it = 0;
			uint16_t code;
			while (sk_driver_supported_next(&it, &code))
				out[code] = true;
			continue;
		}
		for (size_t k = 0; k < ru->nevttypes; k++)
			if (ru->evttypes[k] < SK_EVENT_MAX)
				out[ru->evttypes[k]] = true;
	}
}

void sk_app_live_print_ignored(void)
{
	bool sel[SK_EVENT_MAX];
	struct sk_err err;
	if (sk_driver_compute_set(NULL, NULL, sel, &err) != 0)
		return;
	printf("Ignored syscall events (not sent by default; add them with "
	       "base_syscalls.custom_set or rules that use them):\n");
	size_t it = 0;
	uint16_t code;
	const char *name;
	while ((name = sk_driver_supported_next(&it, &code)))
		if (!sel[code])
			printf("%s\n", name);
}

static void print_drops(const struct sk_driver_stats *s, double secs)
{
	fprintf(stderr,
		"Syscall event stats: seen %llu, sent %llu, read %llu, drops %llu (%.4f%%), "
		"probe errors %llu, unreadable params %llu, over-size %llu, reader wake-ups %llu, "
		"in %.1f s\n",
		(unsigned long long)s->n_evts, (unsigned long long)s->n_sent,
		(unsigned long long)s->n_read, (unsigned long long)s->n_drops_buffer,
		s->n_sent + s->n_drops_buffer
			? 100.0 * (double)s->n_drops_buffer / (double)(s->n_sent + s->n_drops_buffer)
			: 0.0,
		(unsigned long long)s->n_errors, (unsigned long long)s->n_faults,
		(unsigned long long)s->n_drops_size, (unsigned long long)s->n_naps, secs);
	for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++)
		if (s->n_drops_cat[k])
			fprintf(stderr, "   n_drops_buffer_%s_exit: %llu\n",
				sk_driver_drop_cat_name((enum sk_drop_cat)k),
				(unsigned long long)s->n_drops_cat[k]);
}

/* ---- capture (Falco's capture.*) -------------------------------------------
 * When a rule asking for a capture fires, a capture file PREFIX_<ts>_<evtnum>.scap
 * starts: the machine/users of a fresh scan and the processes/fds of the
 * engine's tables (capture_meta), the event
 * that fired, then every event until the requested duration of event time
 * has passed (a new request extends it) or the file reaches its size bound. */
struct capture {
	struct sk_scap_writer *w;
	uint64_t until;              /* event time the capture ends */
	uint64_t bytes;              /* event bytes written */
	char path[4096];
	uint64_t files, errors;
};

static void capture_stop(const struct sk_app_live_opts *o, struct capture *c)
{
	if (!c->w)
		return;
	if (sk_scap_writer_close(c->w) != 0)
		c->errors++;
	else if (o->cfg)
		sk_app_log(o->cfg, SK_LOG_INFO, "Capture file %s written\n", c->path);
	c->w = NULL;
	sk_app_metrics_capture(c->files, c->errors, false);
}

/* The capture's metadata: machine, interfaces, users and groups from /proc
 * and /etc; processes and fds from the engine's tables when it hands them
 * out (so those that exited since the scan are still described), else from
 * the same scan. */
static int capture_meta(const struct sk_app_live_opts *o, void *ctx,
			const struct sk_proc_scan_opts *so, const struct sk_scap_meta_ops *mops,
			struct sk_err *err)
{
	if (!o->dump_state)
		return sk_proc_scan(so, mops, NULL, err);
	struct sk_proc_scan_opts host = *so;
	host.fds = false;
	struct sk_scap_meta_ops hops = *mops;
	hops.thread = NULL;
	hops.fd = NULL;
	int rc = sk_proc_scan(&host, &hops, NULL, err);
	if (!rc && (rc = o->dump_state(ctx, mops)) != 0)
		sk_err_set(err, rc, "process table: %s", strerror(-rc));
	return rc;
}

static void capture_start(const struct sk_app_live_opts *o, void *ctx, struct capture *c,
			  const struct sk_proc_scan_opts *so, const struct sk_event *ev)
{
	struct sk_err err;
	sk_err_clear(&err);
	int n = snprintf(c->path, sizeof(c->path), "%s_%llu_%llu.scap", o->capture_prefix,
			 (unsigned long long)ev->ts, (unsigned long long)ev->num);
	if (n < 0 || (size_t)n >= sizeof(c->path)) {
		c->errors++;
		sk_app_metrics_capture(c->files, c->errors, false);
		return;
	}
	struct meta m;
	memset(&m, 0, sizeof(m));
	sk_arena_init(&m.a, 0);
	struct sk_scap_meta_ops mops = {.ctx = &m, .machine = m_machine, .iface = m_iface,
					.user = m_user, .group = m_group, .thread = m_thread,
					.fd = m_fd};
	c->w = NULL;
	if (capture_meta(o, ctx, so, &mops, &err) == 0)
		c->w = sk_scap_writer_open(c->path, false, &err);
	if (!c->w || write_meta(c->w, &m) != 0 || sk_scap_write_event(c->w, ev) != 0) {
		if (o->cfg)
			sk_app_log(o->cfg, SK_LOG_ERROR, "cannot write capture %s: %s\n", c->path,
				   err.msg);
		if (c->w)
			(void)sk_scap_writer_close(c->w);
		c->w = NULL;
		c->errors++;
	} else {
		c->files++;
		c->bytes = ev->len;
		if (o->cfg)
			sk_app_log(o->cfg, SK_LOG_INFO, "Starting capture %s\n", c->path);
	}
	meta_done(&m);
	sk_app_metrics_capture(c->files, c->errors, c->w != NULL);
}

/* Per event, after the rules saw it. */
static void capture_event(const struct sk_app_live_opts *o, void *ctx, struct capture *c,
			  const struct sk_proc_scan_opts *so, const struct sk_event *ev, uint32_t req_ms)
{
	uint64_t end = req_ms ? ev->ts + (uint64_t)req_ms * 1000000ull : 0;
	if (!c->w) {
		if (!req_ms)
			return;
		capture_start(o, ctx, c, so, ev);
		c->until = end;
		return;
	}
	if (sk_scap_write_event(c->w, ev) != 0) {
		c->errors++;
		capture_stop(o, c);
		return;
	}
	c->bytes += ev->len;
	if (end > c->until)
		c->until = end;
	if (ev->ts > c->until || (o->capture_max_bytes && c->bytes >= o->capture_max_bytes))
		capture_stop(o, c);
}

/* Logs the selected set by name (one name per event type, sorted, as
 * Falco's debug log lists its syscalls), so that what the probe sends for a
 * ruleset can be read and compared. `what` prefixes the line. */
static void log_selected(const struct sk_app_live_opts *o, const bool sel[SK_EVENT_MAX],
			 const char *what)
{
	if (!o->cfg)
		return;
	const char *names[SK_EVENT_MAX];
	size_t n = 0;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) {
		if (!sel[c])
			continue;
		const char *nm = sk_event_table[c].name;
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strcmp(names[i], nm);
		if (!dup)
			names[n++] = nm;
	}
	/* insertion sort: a few dozen names, once per (re)load */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	struct sk_buf b;
	sk_buf_init(&b, 0);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = sk_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	if (!rc)
		sk_app_log(o->cfg, SK_LOG_INFO, "%s%zu syscalls selected for the probe: %s\n", what, n,
			   sk_buf_cstr(&b));
	sk_buf_done(&b);
}

/* ---- kernel filters ------------------------------------------------------------
 * Derived from the enabled rules at start and after each reload, loaded into
 * the probe in place. Their counters are copied here from the engine thread
 * (about once a second) for /metrics, which reads them on a server thread. */
static struct {
	pthread_mutex_t mu;
	bool on;
	uint64_t passed[SK_EVENT_MAX], filtered[SK_EVENT_MAX];
} kf_snap = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void kf_snapshot(struct sk_driver *d, bool on)
{
	static uint64_t p[SK_EVENT_MAX], f[SK_EVENT_MAX];
	if (on && sk_driver_kf_stats(d, p, f) != 0)
		return;
	pthread_mutex_lock(&kf_snap.mu);
	kf_snap.on = on;
	if (on) {
		memcpy(kf_snap.passed, p, sizeof(p));
		memcpy(kf_snap.filtered, f, sizeof(f));
	}
	pthread_mutex_unlock(&kf_snap.mu);
}

static void kf_metrics(void *ctx, struct sk_app_prom *p)
{
	(void)ctx;
	char lab[96];
	pthread_mutex_lock(&kf_snap.mu);
	sk_app_prom_family(p, "saker_kernel_filter_enabled", "gauge",
			   "1 when rule-derived kernel filters are loaded in the probe");
	sk_app_prom_u64(p, "saker_kernel_filter_enabled", NULL, kf_snap.on);
	static const char *const names[2] = {"saker_kernel_filter_passed_total",
					     "saker_kernel_filter_filtered_total"};
	static const char *const helps[2] = {"events of a filtered type the probe sent",
					     "events the kernel filter dropped in the probe"};
	for (int w = 0; w < 2; w++) {
		sk_app_prom_family(p, names[w], "counter", helps[w]);
		for (uint16_t c = 0; c < SK_EVENT_MAX; c++) {
			uint64_t v = w ? kf_snap.filtered[c] : kf_snap.passed[c];
			if (!sk_kf_filterable(c) || (!v && !kf_snap.on))
				continue;
			snprintf(lab, sizeof(lab), "evt_type=\"%s\"", sk_event_table[c].name);
			sk_app_prom_u64(p, names[w], lab, v);
		}
	}
	pthread_mutex_unlock(&kf_snap.mu);
}

/* Derives the kernel filters of `r` and loads them (or clears them when
 * they are off). Logs what was derived at info level, the predicates at
 * debug level. Failure leaves the probe unfiltered, which is always safe. */
static void apply_kfilter(const struct sk_app_live_opts *o, struct sk_driver *d,
			  const struct sk_rules *r, const char *what)
{
	struct sk_kf_set *k = NULL;
	struct sk_buf sum, det;
	struct sk_err err;
	sk_err_clear(&err);
	sk_buf_init(&sum, 0);
	sk_buf_init(&det, 0);
	int rc = 0;
	if (o->kernel_filters)
		rc = sk_kfilter_derive(r, &k, &sum, &det, &err);
	if (rc == 0)
		rc = sk_driver_set_kfilter(d, k);
	else if (sk_driver_set_kfilter(d, NULL) != 0)
		k = NULL; /* nothing more to do: the probe keeps its last filters */
	if (o->cfg) {
		if (rc == -ENOTSUP)
			sk_app_log(o->cfg, SK_LOG_INFO, "%sKernel filters: unavailable on this kernel "
				   "(they need bpf_loop and task storage, 5.17+)\n", what);
		else if (rc)
			sk_app_log(o->cfg, SK_LOG_ERROR, "%sKernel filters not loaded: %s\n", what,
				   err.msg[0] ? err.msg : strerror(-rc));
		else if (!o->kernel_filters)
			sk_app_log(o->cfg, SK_LOG_INFO, "%sKernel filters: off\n", what);
		else
			sk_app_log(o->cfg, SK_LOG_INFO, "%sKernel filters: %s\n", what, sk_buf_cstr(&sum));
		if (!rc && det.len)
			sk_app_log(o->cfg, SK_LOG_DEBUG, "%sKernel filter predicates (an event is sent "
				   "when a term holds, or when it opened a directory):\n%s\n", what,
				   sk_buf_cstr(&det));
	}
	kf_snapshot(d, rc == 0 && k);
	sk_kf_set_free(k);
	sk_buf_done(&sum);
	sk_buf_done(&det);
}

/* End-of-run counters of the kernel filter, per filtered type. */
static void print_kf(struct sk_driver *d)
{
	static uint64_t p[SK_EVENT_MAX], f[SK_EVENT_MAX];
	if (sk_driver_kf_stats(d, p, f) != 0)
		return;
	bool any = false;
	for (uint16_t c = 0; c < SK_EVENT_MAX; c++) {
		if (!p[c] && !f[c])
			continue;
		fprintf(stderr, "%s%s passed %llu filtered %llu", any ? ", " : "Kernel filter: ",
			sk_event_table[c].name, (unsigned long long)p[c], (unsigned long long)f[c]);
		any = true;
	}
	if (any)
		fputc('\n', stderr);
}

/* After a reload: the probe's syscall set for the new rules, changed in
 * place (the probe stays attached; its rings keep filling meanwhile). */
static void reselect(const struct sk_app_live_opts *o, struct sk_driver *d, const struct sk_rules *r)
{
	bool rs[SK_EVENT_MAX], sel[SK_EVENT_MAX];
	struct sk_err err;
	sk_err_clear(&err);
	rules_set(r, rs);
	if (sk_driver_compute_set(rs, o->base, sel, &err) != 0 || sk_driver_select(d, sel) != 0) {
		if (o->cfg)
			sk_app_log(o->cfg, SK_LOG_ERROR, "Reload: cannot reconfigure the probe's "
				   "syscall set: %s\n", err.msg);
		return;
	}
	if (o->cfg) {
		size_t nsel = 0;
		for (size_t i = 0; i < SK_EVENT_MAX; i++)
			nsel += sel[i];
		sk_app_log(o->cfg, SK_LOG_INFO, "Reload: %zu event types selected for the probe\n", nsel);
		log_selected(o, sel, "Reload: ");
	}
	apply_kfilter(o, d, r, "Reload: ");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sk_driver *sk_app_live_open(const struct sk_app_live_opts *o)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_driver_opts dopts = {.ring_bytes = o->ring_bytes, .cpus_per_ring = o->cpus_per_ring,
				       .snaplen = o->snaplen, .verbose = o->verbose,
				       .filter_self = true};
	struct sk_driver *d = sk_driver_open(&dopts, &err);
	if (!d)
		fprintf(stderr, "Error: cannot start live capture: %s\n", err.msg);
	return d;
}

int sk_app_live_run(const struct sk_app_live_opts *o, const struct sk_rules *r,
		    const struct sk_scap_meta_ops *state, sk_app_live_event_fn on_event, void *ctx)
{
	struct sk_err err;
	sk_err_clear(&err);
	bool rs[SK_EVENT_MAX], sel[SK_EVENT_MAX];
	rules_set(r, rs);
	if (sk_driver_compute_set(rs, o->base, sel, &err) != 0) {
		fprintf(stderr, "Error: %s\n", err.msg);
		return 1;
	}
	struct sk_driver *d = o->driver ? o->driver : sk_app_live_open(o);
	if (!d)
		return 1;
	int ret = 0;
	bool kf_reg = false;
	struct sk_scap_writer *w = NULL;
	struct meta m;
	memset(&m, 0, sizeof(m));
	sk_arena_init(&m.a, 0);
	struct sk_scap_meta_ops mops = {.ctx = &m, .machine = m_machine, .iface = m_iface,
					.user = m_user, .group = m_group, .thread = m_thread,
					.fd = m_fd};
	if (sk_driver_select(d, sel) != 0) {
		fprintf(stderr, "Error: cannot configure the probe's syscall set\n");
		ret = 1;
		goto out;
	}
	if (o->cfg) {
		size_t nsel = 0;
		for (size_t i = 0; i < SK_EVENT_MAX; i++)
			nsel += sel[i];
		sk_app_log(o->cfg, SK_LOG_INFO, "Opening 'syscall' source with modern BPF probe.\n");
		sk_app_log(o->cfg, SK_LOG_INFO, "%zu event types selected for the probe\n", nsel);
		log_selected(o, sel, "");
	}
	apply_kfilter(o, d, r, "");
	kf_reg = sk_app_metrics_register(kf_metrics, NULL) == 0;
	/* select first, then scan: what changes during the scan is in the rings */
	/* Falco's HOST_ROOT: the host's / mounted inside saker's container */
	struct sk_proc_scan_opts so = {.threads = true, .fds = true, .root = getenv("HOST_ROOT")};
	if (state && sk_proc_scan(&so, state, NULL, &err) != 0) {
		fprintf(stderr, "Error: /proc scan: %s\n", err.msg);
		ret = 1;
		goto out;
	}
	if (o->write_path) {
		if (sk_proc_scan(&so, &mops, NULL, &err) != 0) {
			fprintf(stderr, "Error: /proc scan: %s\n", err.msg);
			ret = 1;
			goto out;
		}
		w = sk_scap_writer_open(o->write_path, true, &err);
		if (!w || write_meta(w, &m) != 0) {
			fprintf(stderr, "Error: cannot write %s: %s\n", o->write_path, err.msg);
			ret = 1;
			goto out;
		}
	}
	if (o->cfg)
		sk_app_log(o->cfg, SK_LOG_INFO, "Live capture started%s%s\n",
			   o->write_path ? ", recording to " : "", o->write_path ? o->write_path : "");
	/* systemd Type=notify: the probe is attached and the state seeded */
	int nr = sk_app_notify_ready("watching system calls");
	if (nr < 0 && o->cfg)
		sk_app_log(o->cfg, SK_LOG_WARNING, "Cannot notify the service manager: %s\n",
			   strerror(-nr));
	/* The reader polls (the probe never wakes it): as SCHED_BATCH its timer
	 * wake-ups do not preempt the task running on that CPU (often the very
	 * workload producing the events), it runs at the next scheduling point
	 * instead, with the same fair share of CPU, so drops are no likelier.
	 * Only this thread is changed; what it starts later (threads, output
	 * programs) gets the normal policy back (SCHED_RESET_ON_FORK). */
	struct sched_param sp = {0};
	if (sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp) != 0 && o->cfg)
		sk_app_log(o->cfg, SK_LOG_DEBUG, "Cannot make the reader SCHED_BATCH: %s\n",
			   strerror(errno));
	double t0 = now_s();
	uint64_t nev = 0;
	struct sk_app_drop_mgr dm;
	sk_app_drop_mgr_init(&dm, &o->drops, o->cfg, o->on_internal, ctx, d);
	bool drop_exit = false;
	struct capture cap;
	memset(&cap, 0, sizeof(cap));
	uint64_t injected = 0, last_num = 0;
	bool idle = true;
	double kf_last = 0;
	while (!(o->stop && o->stop(ctx))) {
		if (o->duration_s > 0 && now_s() - t0 >= (double)o->duration_s)
			break;
		const struct sk_rules *nr = o->between ? o->between(ctx, d, idle) : NULL;
		if (nr)
			reselect(o, d, nr);
		struct sk_event ev;
		bool stop = false;
		while (o->next_async && !stop && o->next_async(ctx, &ev) == 1) {
			ev.num = ++last_num;
			injected++;
			if (w && sk_scap_write_event(w, &ev) != 0) {
				fprintf(stderr, "Error: writing %s failed\n", o->write_path);
				ret = 1;
				stop = true;
			}
			if (on_event && on_event(ctx, &ev) != 0)
				stop = true;
		}
		if (stop)
			break;
		int rc = sk_driver_next(d, &ev, 100, &err);
		idle = rc == 0;
		if (rc < 0) {
			fprintf(stderr, "Error: reading live events: %s\n", err.msg);
			ret = 1;
			break;
		}
		if ((nev & 0xffff) == 0 || rc == 0) {
			double t = now_s();
			if (t - kf_last >= 1.0) {
				kf_last = t;
				kf_snapshot(d, kf_snap.on);
			}
		}
		if (rc == 0)
			continue;
		nev++;
		ev.num += injected;
		last_num = ev.num;
		if (w && sk_scap_write_event(w, &ev) != 0) {
			fprintf(stderr, "Error: writing %s failed\n", o->write_path);
			ret = 1;
			break;
		}
		if (sk_app_drop_mgr_check(&dm, d, ev.ts)) {
			drop_exit = true;
			ret = 1;
			break;
		}
		if (on_event && on_event(ctx, &ev) != 0)
			break;
		if (o->capture_prefix && o->capture_ms)
			capture_event(o, ctx, &cap, &so, &ev, o->capture_ms(ctx));
	}
	capture_stop(o, &cap);
	struct sk_driver_stats st;
	if (sk_driver_stats(d, &st) == 0)
		print_drops(&st, now_s() - t0);
	print_kf(d);
	sk_app_drop_mgr_print(&dm);
	if (drop_exit)
		fprintf(stderr, "Error: Drop manager internal error\n");
out:
	if (kf_reg)
		sk_app_metrics_unregister(kf_metrics, NULL);
	if (w && sk_scap_writer_close(w) != 0 && !ret) {
		fprintf(stderr, "Error: closing %s failed\n", o->write_path);
		ret = 1;
	}
	meta_done(&m);
	sk_driver_free(d);
	return ret;
}
