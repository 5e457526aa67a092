/* metrics.c — saker's counters for operators: the snapshot the engine thread
 * publishes (about twice a second), process and host figures read from
 * /proc at scrape time, the Prometheus text of /metrics with Falco 0.44's
 * names, types and labels plus saker's own series, and the fields of the
 * "Falco internal: metrics snapshot" alert. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "app/ops.h"
#include "app/run_int.h"
#include "app/sha256.h"
#include "config/config.h"
#include "driver/driver.h"
#include "output/output.h"
#include "rules/rules.h"
#include "state/state.h"

#define PUBLISH_NS 500000000ull
#define F "falcosecurity_"
#define S "saker_"
#define MAX_CPUS 1024

struct sk_app_prom {
	struct sk_buf *b;
	int rc;
};

struct extra {
	sk_app_metrics_fn fn;
	void *ctx;
};

/* Everything /metrics shows that the engine owns, copied under `mu`. */
static struct {
	pthread_mutex_t mu;
	bool started;
	char engine[32];
	struct sk_outputs *out;
	bool rules_on, resource_on, state_on, kernel_on, per_cpu_on, include_empty;
	uint64_t start_real_ns, start_mono_ns, reload_real_ns;
	char hostname[256], kernel[256];
	bool have_drv;
	struct sk_driver_stats drv;
	struct sk_driver_stats cpu[MAX_CPUS];
	int ncpu;
	bool have_state;
	struct sk_state_stats st;
	uint64_t limits[7];          /* state and queue bounds, in limit_names order */
	uint64_t events;
	struct sk_app_metrics_rules *rules; /* the active set's labels and counts */
	uint64_t reloads_ok, reloads_failed;
	double reload_last_s, reload_max_s;
	struct extra extra[SK_APP_METRICS_MAX_EXTRA];
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Labels of a rules set, prepared off the engine thread. */
struct sk_app_metrics_rules {
	char **labels;               /* by rule id; NULL: rule not enabled */
	char **names;
	uint64_t *counts;
	uint64_t *eval_ns, *evals;   /* sampled evaluation time and count */
	size_t n;
	struct sk_buf rfiles, cfiles; /* sha256 samples of the rules and config files */
};

static _Atomic uint64_t beat_ns, suppressed, cap_files, cap_errors;
static atomic_bool cap_open;
static atomic_bool source_dead;
static uint64_t last_pub_ns;

uint64_t sk_app_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC_COARSE: a few ns, cheap enough per event. */
static uint64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- Prometheus writers ------------------------------------------------------- */

void sk_app_prom_family(struct sk_app_prom *p, const char *name, const char *type,
			const char *help)
{
	p->rc |= sk_buf_printf(p->b, "# HELP %s %s\n# TYPE %s %s\n", name,
			       help ? help : "https://falco.org/docs/metrics/", name, type);
}

void sk_app_prom_u64(struct sk_app_prom *p, const char *name, const char *labels, uint64_t v)
{
	p->rc |= sk_buf_printf(p->b, "%s%s%s%s %llu\n", name, labels ? "{" : "",
			       labels ? labels : "", labels ? "}" : "", (unsigned long long)v);
}

void sk_app_prom_f64(struct sk_app_prom *p, const char *name, const char *labels, double v)
{
	p->rc |= sk_buf_printf(p->b, "%s%s%s%s %.9g\n", name, labels ? "{" : "",
			       labels ? labels : "", labels ? "}" : "", v);
}

int sk_app_prom_escape(struct sk_buf *b, const char *s)
{
	int rc = 0;
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			rc |= sk_buf_putc(b, '\\') | sk_buf_putc(b, *s);
		else if (*s == '\n')
			rc |= sk_buf_puts(b, "\\n");
		else
			rc |= sk_buf_putc(b, *s);
	}
	return rc;
}

/* A whole family with one unlabelled sample. */
static void one_u64(struct sk_app_prom *p, const char *name, const char *type, uint64_t v)
{
	sk_app_prom_family(p, name, type, NULL);
	sk_app_prom_u64(p, name, NULL, v);
}

static void one_f64(struct sk_app_prom *p, const char *name, const char *type, double v)
{
	sk_app_prom_family(p, name, type, NULL);
	sk_app_prom_f64(p, name, NULL, v);
}

/* A family with one sample labelled key="value". */
static void one_info(struct sk_app_prom *p, const char *name, const char *key, const char *val)
{
	struct sk_buf l;
	sk_buf_init(&l, 4096);
	p->rc |= sk_buf_printf(&l, "%s=\"", key) | sk_app_prom_escape(&l, val) | sk_buf_putc(&l, '"');
	sk_app_prom_family(p, name, "gauge", NULL);
	sk_app_prom_u64(p, name, sk_buf_cstr(&l), 1);
	sk_buf_done(&l);
}

/* ---- extra metrics -------------------------------------------------------------- */

int sk_app_metrics_register(sk_app_metrics_fn fn, void *ctx)
{
	int rc = -ENOSPC;
	pthread_mutex_lock(&M.mu);
	for (int i = 0; i < SK_APP_METRICS_MAX_EXTRA && rc; i++)
		if (!M.extra[i].fn) {
			M.extra[i] = (struct extra){fn, ctx};
			rc = 0;
		}
	pthread_mutex_unlock(&M.mu);
	return rc;
}

void sk_app_metrics_unregister(sk_app_metrics_fn fn, void *ctx)
{
	pthread_mutex_lock(&M.mu);
	for (int i = 0; i < SK_APP_METRICS_MAX_EXTRA; i++)
		if (M.extra[i].fn == fn && M.extra[i].ctx == ctx)
			M.extra[i].fn = NULL;
	pthread_mutex_unlock(&M.mu);
}

/* ---- lifecycle and publication ------------------------------------------------- */

void sk_app_metrics_rules_free(struct sk_app_metrics_rules *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->labels[i]);
		free(m->names[i]);
	}
	free(m->labels);
	free(m->names);
	free(m->counts);
	free(m->eval_ns);
	free(m->evals);
	sk_buf_done(&m->rfiles);
	sk_buf_done(&m->cfiles);
	free(m);
}

/* The bounds of the tables and of the output queue (0 in the configuration
 * means the built-in default, as sk_state_new and the output module use). */
static const char *const limit_names[] = {"threads", "fds_per_process", "fds", "users",
					  "containers", "outputs_queue", "capture_writers"};

static void state_limits(const struct sk_config *k)
{
	int64_t v[] = {k->thread_table_size, k->fd_table_size, k->fd_total_size,
		       k->user_table_size, k->container_table_size, k->outputs_queue_capacity,
		       1 /* capture writers: one at a time by construction (live.c) */};
	static const uint64_t dflt[] = {131072, 4096, 262144, 65536, 16384, 65536, 1};
	for (size_t i = 0; i < SK_ARRAY_LEN(M.limits); i++)
		M.limits[i] = v[i] > 0 ? (uint64_t)v[i] : dflt[i];
}

void sk_app_metrics_start(const struct sk_app_cfg *c, const char *engine_name,
			  struct sk_outputs *out)
{
	const struct sk_config *k = c->conf;
	pthread_mutex_lock(&M.mu);
	M.started = true;
	sk_strlcpy(M.engine, engine_name, sizeof(M.engine));
	M.out = out;
	M.rules_on = k->metrics.rules_counters_enabled;
	M.resource_on = k->metrics.resource_utilization_enabled;
	M.state_on = k->metrics.state_counters_enabled;
	M.kernel_on = k->metrics.kernel_event_counters_enabled;
	M.per_cpu_on = k->metrics.kernel_event_counters_per_cpu_enabled;
	M.include_empty = k->metrics.include_empty_values;
	state_limits(k);
	M.start_real_ns = M.reload_real_ns = real_ns();
	M.start_mono_ns = sk_app_now_ns();
	sk_output_hostname(M.hostname, sizeof(M.hostname));
	struct utsname u;
	if (uname(&u) == 0)
		sk_strlcpy(M.kernel, u.release, sizeof(M.kernel));
	pthread_mutex_unlock(&M.mu);
	atomic_store(&beat_ns, coarse_ns());
	atomic_store(&source_dead, false);
}

void sk_app_metrics_stop(void)
{
	pthread_mutex_lock(&M.mu);
	M.started = false;
	M.out = NULL;
	sk_app_metrics_rules_free(M.rules);
	M.rules = NULL;
	pthread_mutex_unlock(&M.mu);
}

/* `tag_<tag>="true"` labels: characters a label name cannot hold become '_'. */
static int tag_label(struct sk_buf *b, const char *tag)
{
	int rc = sk_buf_puts(b, ",tag_");
	for (const char *s = tag; *s; s++) {
		char ch = *s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_';
		rc |= sk_buf_putc(b, ok ? ch : '_');
	}
	return rc | sk_buf_puts(b, "=\"true\"");
}

static char *rule_labels(const struct sk_rule *ru)
{
	struct sk_buf b;
	sk_buf_init(&b, 1 << 16);
	int rc = sk_buf_printf(&b, "priority=\"%d\",rule_name=\"", ru->priority);
	rc |= sk_app_prom_escape(&b, ru->name);
	rc |= sk_buf_printf(&b, "\",source=\"%s\"", ru->source ? ru->source : "syscall");
	for (size_t t = 0; t < ru->ntags; t++)
		rc |= tag_label(&b, ru->tags[t]);
	char *s = rc ? NULL : strdup(sk_buf_cstr(&b));
	sk_buf_done(&b);
	return s;
}

static void file_series(struct sk_buf *b, const char *name, const char *path)
{
	char hex[65];
	if (sk_sha256_file(path, hex) < 0)
		return;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int rc = sk_buf_printf(b, "%s{file_name=\"", name);
	rc |= sk_app_prom_escape(b, base);
	rc |= sk_buf_printf(b, "\",sha256=\"%s\"} 1\n", hex);
	(void)rc;
}

struct sk_app_metrics_rules *sk_app_metrics_rules_new(const struct sk_app_cfg *c,
						       const struct sk_rules *r)
{
	struct sk_app_metrics_rules *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	sk_buf_init(&m->rfiles, 1 << 20);
	sk_buf_init(&m->cfiles, 1 << 20);
	m->n = sk_rules_count(r);
	m->labels = calloc(m->n + 1, sizeof(*m->labels));
	m->names = calloc(m->n + 1, sizeof(*m->names));
	m->counts = calloc(m->n + 1, sizeof(*m->counts));
	m->eval_ns = calloc(m->n + 1, sizeof(*m->eval_ns));
	m->evals = calloc(m->n + 1, sizeof(*m->evals));
	if (!m->labels || !m->names || !m->counts || !m->eval_ns || !m->evals) {
		m->n = 0;
		sk_app_metrics_rules_free(m);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (ru->id < m->n && ru->enabled) {
			m->labels[ru->id] = rule_labels(ru);
			m->names[ru->id] = strdup(ru->name);
		}
	}
	const struct sk_config *k = c->conf;
	for (size_t i = 0; i < c->rules_cli.n; i++)
		file_series(&m->rfiles, F "falco_sha256_rules_files_info", c->rules_cli.v[i]);
	for (size_t i = 0; !c->rules_cli.n && i < k->nrules_files; i++)
		file_series(&m->rfiles, F "falco_sha256_rules_files_info", k->rules_files[i]);
	for (size_t i = 0; i < k->nfiles; i++)
		file_series(&m->cfiles, F "falco_sha256_config_files_info", k->files[i]);
	return m;
}

struct sk_app_metrics_rules *sk_app_metrics_set_rules(struct sk_app_metrics_rules *m,
						      bool reload)
{
	pthread_mutex_lock(&M.mu);
	struct sk_app_metrics_rules *old = M.rules;
	M.rules = m;
	if (reload)
		M.reload_real_ns = real_ns();
	pthread_mutex_unlock(&M.mu);
	return old;
}

void sk_app_beat(void)
{
	atomic_store_explicit(&beat_ns, coarse_ns(), memory_order_relaxed);
}

void sk_app_source_died(void)
{
	atomic_store(&source_dead, true);
}

void sk_app_metrics_tick(struct sk_driver *d, const struct sk_state *st, uint64_t events,
			 const uint64_t *by_rule, size_t nrules, const struct sk_app_rule_prof *prof,
			 bool force)
{
	uint64_t now = coarse_ns();
	atomic_store_explicit(&beat_ns, now, memory_order_relaxed);
	if (now - last_pub_ns < PUBLISH_NS && !force)
		return;
	last_pub_ns = now;
	struct sk_driver_stats ds;
	bool have = d && sk_driver_stats(d, &ds) == 0;
	struct sk_state_stats ss;
	if (st)
		sk_state_stats(st, &ss);
	pthread_mutex_lock(&M.mu);
	if (have) {
		M.drv = ds;
		M.have_drv = true;
		int n = sk_driver_stats_cpu(d, M.cpu, MAX_CPUS);
		M.ncpu = n > 0 ? (n < MAX_CPUS ? n : MAX_CPUS) : 0;
	}
	if (st) {
		M.st = ss;
		M.have_state = true;
	}
	M.events = events;
	for (size_t i = 0; M.rules && by_rule && i < nrules && i < M.rules->n; i++)
		M.rules->counts[i] = by_rule[i];
	for (size_t i = 0; M.rules && prof && prof->ns && i < prof->n && i < M.rules->n; i++) {
		M.rules->eval_ns[i] = prof->ns[i];
		M.rules->evals[i] = prof->evals[i];
	}
	pthread_mutex_unlock(&M.mu);
}

void sk_app_metrics_reload(bool ok, double latency_s)
{
	pthread_mutex_lock(&M.mu);
	if (ok) {
		M.reloads_ok++;
		M.reload_last_s = latency_s;
		if (latency_s > M.reload_max_s)
			M.reload_max_s = latency_s;
	} else {
		M.reloads_failed++;
	}
	pthread_mutex_unlock(&M.mu);
}

void sk_app_metrics_suppressed(uint64_t n)
{
	atomic_fetch_add_explicit(&suppressed, n, memory_order_relaxed);
}

void sk_app_metrics_capture(uint64_t files, uint64_t errors, bool open)
{
	atomic_store_explicit(&cap_files, files, memory_order_relaxed);
	atomic_store_explicit(&cap_errors, errors, memory_order_relaxed);
	atomic_store_explicit(&cap_open, open, memory_order_relaxed);
}

int sk_app_health(uint64_t stall_ms, char *why, size_t whylen)
{
	if (atomic_load(&source_dead)) {
		snprintf(why, whylen, "event source stopped");
		return 503;
	}
	uint64_t b = atomic_load_explicit(&beat_ns, memory_order_relaxed);
	uint64_t now = coarse_ns();
	if (stall_ms && b && now > b && now - b > stall_ms * 1000000ull) {
		snprintf(why, whylen, "engine made no progress for %llu ms",
			 (unsigned long long)((now - b) / 1000000ull));
		return 503;
	}
	return 200;
}

/* ---- sampled rule profiling --------------------------------------------------------- */

int sk_app_prof_init(struct sk_app_rule_prof *p, const struct sk_app_cfg *c, size_t nrules)
{
	memset(p, 0, sizeof(*p));
	const struct sk_config *k = c->conf;
	if (!k->metrics.enabled || !k->metrics.rules_counters_enabled)
		return 0;
	p->ns = calloc(nrules + 1, sizeof(*p->ns));
	p->evals = calloc(nrules + 1, sizeof(*p->evals));
	p->n = nrules;
	if (!p->ns || !p->evals) {
		sk_app_prof_done(p);
		return -ENOMEM;
	}
	return 0;
}

void sk_app_prof_swap(struct sk_app_rule_prof *p, const struct sk_rules *old_r,
		      const struct sk_rules *new_r)
{
	if (!p->ns)
		return;
	size_t n = sk_rules_count(new_r);
	uint64_t *ns = calloc(n + 1, sizeof(*ns)), *ev = calloc(n + 1, sizeof(*ev));
	if (!ns || !ev) {
		free(ns);
		free(ev);
		sk_app_prof_done(p); /* profiling stops rather than mislabel */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sk_rule *nr = sk_rules_get(new_r, i);
		const struct sk_rule *o = sk_rules_find(old_r, nr->name);
		if (o && o->id < p->n && nr->id < n) {
			ns[nr->id] = p->ns[o->id];
			ev[nr->id] = p->evals[o->id];
		}
	}
	free(p->ns);
	free(p->evals);
	p->ns = ns;
	p->evals = ev;
	p->n = n;
}

void sk_app_prof_done(struct sk_app_rule_prof *p)
{
	free(p->ns);
	free(p->evals);
	memset(p, 0, sizeof(*p));
}

/* ---- process and host figures (/proc) ------------------------------------------- */

struct res {
	double cpu_ratio, host_cpu_ratio;
	uint64_t rss, vsz, pss, cgroup_mem, host_mem_used, procs_running, open_fds, boot_ns;
	long ncpus;
};

/* The value after "key" in a "key value" file (kB units kept as read). */
static uint64_t proc_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[512];
	uint64_t v = 0;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			v = strtoull(line + kl, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static uint64_t first_number(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Fraction of all CPU time spent outside idle/iowait since boot. */
static double host_cpu(void)
{
	FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[10] = {0};
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			    &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) : 0;
	if (f)
		fclose(f);
	double tot = 0;
	for (int i = 0; i < 8 && i < n; i++)
		tot += (double)v[i];
	return tot > 0 ? (tot - (double)v[3] - (double)v[4]) / tot : 0;
}

/* Own CPU time over the process's lifetime, as a ratio of one CPU. */
static double self_cpu(uint64_t life_ns)
{
	FILE *f = fopen("/proc/self/stat", "re");
	char buf[1024];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	double secs = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
	return life_ns ? secs / ((double)life_ns / 1e9) : 0;
}

static uint64_t cgroup_memory(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], path[4200];
	uint64_t v = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.current", line + 3);
			v = first_number(path);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static void read_res(struct res *r, uint64_t life_ns)
{
	memset(r, 0, sizeof(*r));
	r->cpu_ratio = self_cpu(life_ns);
	r->host_cpu_ratio = host_cpu();
	r->rss = proc_field("/proc/self/status", "VmRSS:") * 1024;
	r->vsz = proc_field("/proc/self/status", "VmSize:") * 1024;
	r->pss = proc_field("/proc/self/smaps_rollup", "Pss:") * 1024;
	r->cgroup_mem = cgroup_memory();
	r->host_mem_used = (proc_field("/proc/meminfo", "MemTotal:") -
			    proc_field("/proc/meminfo", "MemAvailable:")) * 1024;
	r->procs_running = proc_field("/proc/stat", "procs_running");
	r->open_fds = first_number("/proc/sys/fs/file-nr");
	r->boot_ns = proc_field("/proc/stat", "btime") * 1000000000ull;
	r->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
}

/* ---- the /metrics page ------------------------------------------------------------ */

static const char *const task_kinds[] = {"", "_file_pipe", "_file_memfd", "_file_regular",
	"_file_directory", "_file_socket_inet", "_file_socket_inet6", "_file_socket_unix",
	"_file_socket_netlink", "_file_anon_inode"};

/* Falco's libscap kernel counters (M.mu held). saker's probe has no
 * task iterators and no scratch map: those series are present and 0. */
static void text_kernel(struct sk_app_prom *p)
{
	char name[128], lab[128];
	one_u64(p, F "scap_n_evts_total", "counter", M.drv.n_evts);
	sk_app_prom_family(p, F "scap_n_drops_buffer_total", "counter", NULL);
	for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++) {
		const char *cn = sk_driver_drop_cat_name((enum sk_drop_cat)k);
		snprintf(lab, sizeof(lab), "dir=\"exit\",drop=\"%s\"", cn);
		sk_app_prom_u64(p, F "scap_n_drops_buffer_total", lab, M.drv.n_drops_cat[k]);
	}
	one_u64(p, F "scap_n_drops_scratch_map_total", "counter", 0);
	one_u64(p, F "scap_n_drops_total", "counter", M.drv.n_drops_buffer + M.drv.n_drops_size);
	for (size_t i = 0; i < sizeof(task_kinds) / sizeof(*task_kinds); i++) {
		snprintf(name, sizeof(name), F "scap_n_evts_task%s_total", task_kinds[i]);
		one_u64(p, name, "counter", 0);
	}
	one_u64(p, F "scap_n_drops_max_event_size_total", "counter", M.drv.n_drops_size);
	for (size_t i = 0; i < sizeof(task_kinds) / sizeof(*task_kinds); i++) {
		snprintf(name, sizeof(name), F "scap_n_drops_task%s_total", task_kinds[i]);
		one_u64(p, name, "counter", 0);
	}
}

static void text_per_cpu(struct sk_app_prom *p)
{
	char lab[32];
	long n = M.ncpu ? M.ncpu : sysconf(_SC_NPROCESSORS_ONLN);
	sk_app_prom_family(p, F "scap_n_evts_cpu_total", "counter", NULL);
	for (long c = 0; c < n && c < MAX_CPUS; c++) {
		snprintf(lab, sizeof(lab), "cpu=\"%ld\"", c);
		sk_app_prom_u64(p, F "scap_n_evts_cpu_total", lab, M.ncpu ? M.cpu[c].n_evts : 0);
	}
	sk_app_prom_family(p, F "scap_n_drops_cpu_total", "counter", NULL);
	for (long c = 0; c < n && c < MAX_CPUS; c++) {
		snprintf(lab, sizeof(lab), "cpu=\"%ld\"", c);
		sk_app_prom_u64(p, F "scap_n_drops_cpu_total", lab,
				M.ncpu ? M.cpu[c].n_drops_buffer : 0);
	}
	/* saker: each CPU's ring drops by category (Falco sums categories over CPUs) */
	char cl[96];
	sk_app_prom_family(p, S "driver_drops_cpu_total", "counter",
			   "records lost because this CPU's ring was full, by category");
	for (long c = 0; c < n && c < MAX_CPUS; c++)
		for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++) {
			snprintf(cl, sizeof(cl), "cpu=\"%ld\",drop=\"%s\"", c,
				 sk_driver_drop_cat_name((enum sk_drop_cat)k));
			sk_app_prom_u64(p, S "driver_drops_cpu_total", cl,
					M.ncpu ? M.cpu[c].n_drops_cat[k] : 0);
		}
}

static void text_resources(struct sk_app_prom *p, const struct res *r)
{
	one_f64(p, F "falco_cpu_usage_ratio", "gauge", r->cpu_ratio);
	one_u64(p, F "falco_memory_rss_bytes", "gauge", r->rss);
	one_u64(p, F "falco_memory_vsz_bytes", "gauge", r->vsz);
	one_u64(p, F "falco_memory_pss_bytes", "gauge", r->pss);
	one_u64(p, F "falco_container_memory_used_bytes", "gauge", r->cgroup_mem);
	one_f64(p, F "falco_host_cpu_usage_ratio", "gauge", r->host_cpu_ratio);
	one_u64(p, F "falco_host_memory_used_bytes", "gauge", r->host_mem_used);
	one_u64(p, F "falco_host_procs_running_total", "gauge", r->procs_running);
	one_u64(p, F "falco_host_open_fds_total", "gauge", r->open_fds);
}

/* libsinsp's state counters from saker's state tables (M.mu held). Lookups
 * are not counted by saker's state: those series are 0. */
static void text_state(struct sk_app_prom *p)
{
	const struct sk_state_stats *s = &M.st;
	one_u64(p, F "scap_n_threads_total", "gauge", s->threads);
	one_u64(p, F "scap_n_fds_total", "gauge", s->fds);
	one_u64(p, F "scap_n_noncached_fd_lookups_total", "counter", 0);
	one_u64(p, F "scap_n_cached_fd_lookups_total", "counter", 0);
	one_u64(p, F "scap_n_failed_fd_lookups_total", "counter", 0);
	one_u64(p, F "scap_n_added_fds_total", "counter", s->fds_added);
	one_u64(p, F "scap_n_removed_fds_total", "counter", s->fds_removed);
	one_u64(p, F "scap_n_stored_evts_total", "counter", 0);
	one_u64(p, F "scap_n_store_evts_drops_total", "counter", 0);
	one_u64(p, F "scap_n_retrieved_evts_total", "counter", 0);
	one_u64(p, F "scap_n_retrieve_evts_drops_total", "counter", 0);
	one_u64(p, F "scap_n_noncached_thread_lookups_total", "counter", 0);
	one_u64(p, F "scap_n_cached_thread_lookups_total", "counter", 0);
	one_u64(p, F "scap_n_failed_thread_lookups_total", "counter", s->failed_lookups);
	one_u64(p, F "scap_n_added_threads_total", "counter", s->threads_added);
	one_u64(p, F "scap_n_removed_threads_total", "counter", s->threads_removed);
	one_u64(p, F "scap_n_drops_full_threadtable_total", "counter", s->threads_evicted);
	one_u64(p, F "plugins_container_n_containers_total", "counter", s->containers);
	one_u64(p, F "plugins_container_n_missing_container_images_total", "counter",
		s->containers_missing_image);
}

static void text_rules(struct sk_app_prom *p)
{
	const struct sk_app_metrics_rules *m = M.rules;
	sk_app_prom_family(p, F "falco_rules_matches_total", "counter", NULL);
	for (size_t i = 0; m && i < m->n; i++)
		if (m->labels[i] && (m->counts[i] || M.include_empty))
			sk_app_prom_u64(p, F "falco_rules_matches_total", m->labels[i], m->counts[i]);
}

static void text_falco(struct sk_app_prom *p, const struct res *r, uint64_t drops)
{
	char lab[128];
	one_info(p, F "falco_kernel_release_info", "kernel_release", M.kernel);
	one_info(p, F "evt_hostname_info", "hostname", M.hostname);
	one_u64(p, F "falco_outputs_queue_num_drops_total", "counter", drops);
	one_u64(p, F "falco_reload_timestamp_nanoseconds", "gauge", M.reload_real_ns);
	one_u64(p, F "falco_start_timestamp_nanoseconds", "gauge", M.start_real_ns);
	one_u64(p, F "falco_duration_seconds_total", "counter",
		(sk_app_now_ns() - M.start_mono_ns) / 1000000000ull);
	one_u64(p, F "falco_host_boot_timestamp_nanoseconds", "gauge", r->boot_ns);
	one_u64(p, F "falco_host_num_cpus_total", "gauge", (uint64_t)(r->ncpus > 0 ? r->ncpus : 0));
	snprintf(lab, sizeof(lab), "engine_name=\"%s\",evt_source=\"syscall\"", M.engine);
	sk_app_prom_family(p, F "scap_engine_name_info", "gauge", NULL);
	sk_app_prom_u64(p, F "scap_engine_name_info", lab, 1);
}

static void text_outputs(struct sk_app_prom *p, const struct sk_outputs_stats *os)
{
	char lab[64];
	sk_app_prom_family(p, S "outputs_queue_depth", "gauge", "alerts waiting in the output queue");
	sk_app_prom_u64(p, S "outputs_queue_depth", NULL, os->queued - os->delivered);
	one_u64(p, S "outputs_queued_total", "counter", os->queued);
	one_u64(p, S "outputs_delivered_total", "counter", os->delivered);
	static const char *const fams[][2] = {
		{S "output_channel_sent_total", "counter"},
		{S "output_channel_errors_total", "counter"},
		{S "output_channel_timeouts_total", "counter"},
		{S "output_channel_dropped_total", "counter"},
		{S "output_channel_spool_depth", "gauge"},
		{S "output_channel_spool_max", "gauge"},
		{S "output_channel_up", "gauge"},
		{S "output_channel_spool_file_bytes", "gauge"},
	};
	for (size_t f = 0; f < sizeof(fams) / sizeof(*fams); f++) {
		sk_app_prom_family(p, fams[f][0], fams[f][1], "saker output channel");
		for (int k = 0; k < SK_CH_COUNT; k++) {
			const struct sk_channel_stats *c = &os->ch[k];
			if (!c->enabled)
				continue;
			uint64_t v[] = {c->sent, c->errors, c->timeouts, c->dropped, c->spooled,
					c->spool_max, c->failing ? 0 : 1, c->spool_file_bytes};
			snprintf(lab, sizeof(lab), "channel=\"%s\"", sk_channel_name(k));
			sk_app_prom_u64(p, fams[f][0], lab, v[f]);
		}
	}
}

/* Sampled per-rule condition time (rules evaluated at least once). */
static void text_rule_eval(struct sk_app_prom *p)
{
	const struct sk_app_metrics_rules *m = M.rules;
	if (!m || !M.rules_on)
		return;
	static const char *const fams[2][2] = {
		{S "rule_eval_sampled_ns_total", "condition time of the sampled evaluations (1 event in 64)"},
		{S "rule_eval_sampled_total", "sampled evaluations (1 event in 64)"},
	};
	for (int f = 0; f < 2; f++) {
		sk_app_prom_family(p, fams[f][0], "counter", fams[f][1]);
		for (size_t i = 0; i < m->n; i++)
			if (m->labels[i] && m->evals[i])
				sk_app_prom_u64(p, fams[f][0], m->labels[i], f ? m->evals[i] : m->eval_ns[i]);
	}
}

static void text_saker(struct sk_app_prom *p)
{
	const struct sk_state_stats *s = &M.st;
	one_info(p, S "version_info", "version", SK_APP_VERSION);
	sk_app_prom_family(p, S "events_total", "counter", "events evaluated, per source");
	sk_app_prom_u64(p, S "events_total", "source=\"syscall\"", M.events);
	sk_app_prom_family(p, S "reloads_total", "counter", "configuration and rules reloads");
	sk_app_prom_u64(p, S "reloads_total", "result=\"ok\"", M.reloads_ok);
	sk_app_prom_u64(p, S "reloads_total", "result=\"failed\"", M.reloads_failed);
	one_f64(p, S "reload_last_latency_seconds", "gauge", M.reload_last_s);
	one_f64(p, S "reload_max_latency_seconds", "gauge", M.reload_max_s);
	one_u64(p, S "rules_rate_limited_total", "counter", atomic_load(&suppressed));
	one_u64(p, S "state_containers", "gauge", s->containers);
	one_u64(p, S "state_threads_evicted_total", "counter", s->threads_evicted);
	one_u64(p, S "state_threads_purged_total", "counter", s->threads_purged);
	sk_app_prom_family(p, S "state_proc_lookups_total", "counter",
			   "threads an event named that the table lacked, read from /proc");
	sk_app_prom_u64(p, S "state_proc_lookups_total", "result=\"read\"",
			s->proc_lookups - s->proc_lookups_failed);
	sk_app_prom_u64(p, S "state_proc_lookups_total", "result=\"gone\"", s->proc_lookups_failed);
	sk_app_prom_u64(p, S "state_proc_lookups_total", "result=\"skipped\"",
			s->proc_lookups_skipped);
	one_u64(p, S "state_fds_dropped_total", "counter", s->fds_dropped);
	one_u64(p, S "state_users_dropped_total", "counter", s->users_dropped);
	one_u64(p, S "state_containers_dropped_total", "counter", s->containers_dropped);
	one_u64(p, S "state_fds_dropped_global_total", "counter", s->fds_dropped_total);
	sk_app_prom_family(p, S "state_table_entries", "gauge", "entries in a state table");
	uint64_t sizes[] = {s->threads, s->fds, s->users, s->containers};
	static const char *const tables[] = {"threads", "fds", "users", "containers"};
	char lab[48];
	for (size_t i = 0; i < SK_ARRAY_LEN(sizes); i++) {
		snprintf(lab, sizeof(lab), "table=\"%s\"", tables[i]);
		sk_app_prom_u64(p, S "state_table_entries", lab, sizes[i]);
	}
	sk_app_prom_family(p, S "state_table_limit", "gauge",
			   "configured bound of a state table or queue (docs/reliability.md)");
	for (size_t i = 0; i < SK_ARRAY_LEN(limit_names); i++) {
		snprintf(lab, sizeof(lab), "table=\"%s\"", limit_names[i]);
		sk_app_prom_u64(p, S "state_table_limit", lab, M.limits[i]);
	}
	one_u64(p, S "capture_files_total", "counter", atomic_load(&cap_files));
	one_u64(p, S "capture_errors_total", "counter", atomic_load(&cap_errors));
	one_u64(p, S "capture_writers", "gauge", atomic_load(&cap_open) ? 1 : 0);
	one_u64(p, S "driver_events_read_total", "counter", M.drv.n_read);
	one_u64(p, S "driver_events_sent_total", "counter", M.drv.n_sent);
	one_u64(p, S "driver_param_faults_total", "counter", M.drv.n_faults);
	one_u64(p, S "driver_probe_errors_total", "counter", M.drv.n_errors);
}

int sk_app_metrics_text(struct sk_buf *out)
{
	struct sk_app_prom p = {out, 0};
	struct res r;
	struct sk_outputs_stats os;
	memset(&os, 0, sizeof(os));
	pthread_mutex_lock(&M.mu);
	read_res(&r, sk_app_now_ns() - M.start_mono_ns);
	if (M.out)
		sk_outputs_stats(M.out, &os);
	one_info(&p, F "falco_version_info", "version", SK_APP_FALCO_VERSION);
	const struct sk_buf *rf = M.rules ? &M.rules->rfiles : NULL;
	const struct sk_buf *cf = M.rules ? &M.rules->cfiles : NULL;
	sk_app_prom_family(&p, F "falco_sha256_rules_files_info", "gauge", NULL);
	if (rf && rf->len)
		p.rc |= sk_buf_append(out, rf->data, rf->len);
	sk_app_prom_family(&p, F "falco_sha256_config_files_info", "gauge", NULL);
	if (cf && cf->len)
		p.rc |= sk_buf_append(out, cf->data, cf->len);
	text_falco(&p, &r, os.dropped);
	if (M.kernel_on)
		text_kernel(&p);
	if (M.resource_on)
		text_resources(&p, &r);
	if (M.state_on)
		text_state(&p);
	if (M.rules_on)
		text_rules(&p);
	if (M.per_cpu_on)
		text_per_cpu(&p);
	text_outputs(&p, &os);
	text_saker(&p);
	text_rule_eval(&p);
	for (int i = 0; i < SK_APP_METRICS_MAX_EXTRA; i++)
		if (M.extra[i].fn)
			M.extra[i].fn(M.extra[i].ctx, &p);
	pthread_mutex_unlock(&M.mu);
	return p.rc;
}

/* ---- the metrics snapshot alert / file ------------------------------------------ */

int sk_app_metrics_json(struct sk_buf *out)
{
	struct res r;
	struct sk_outputs_stats os;
	memset(&os, 0, sizeof(os));
	int rc = 0;
	pthread_mutex_lock(&M.mu);
	uint64_t life = sk_app_now_ns() - M.start_mono_ns;
	read_res(&r, life);
	if (M.out)
		sk_outputs_stats(M.out, &os);
	rc |= sk_buf_printf(out, "{\"evt.source\":\"syscall\",\"evt.time\":%llu,"
			    "\"falco.version\":\"%s\",\"saker.version\":\"%s\",\"falco.start_ts\":%llu,"
			    "\"falco.duration_sec\":%llu,\"falco.kernel_release\":\"%s\","
			    "\"falco.host_num_cpus\":%ld,\"falco.outputs_queue_num_drops\":%llu,"
			    "\"falco.reload_ts\":%llu,\"falco.cpu_usage_perc\":%.2f,"
			    "\"falco.memory_rss_mb\":%.2f,\"falco.memory_vsz_mb\":%.2f,"
			    "\"falco.memory_pss_mb\":%.2f,\"falco.host_cpu_usage_perc\":%.2f,"
			    "\"falco.host_procs_running\":%llu,\"falco.host_open_fds\":%llu,"
			    "\"scap.engine_name\":\"%s\",\"scap.n_evts\":%llu,\"scap.n_drops\":%llu,"
			    "\"scap.n_drops_buffer_total\":%llu,\"scap.n_threads\":%llu,"
			    "\"scap.n_fds\":%llu,\"saker.events\":%llu,\"saker.reloads\":%llu,"
			    "\"saker.reloads_failed\":%llu",
			    (unsigned long long)real_ns(), SK_APP_FALCO_VERSION, SK_APP_VERSION,
			    (unsigned long long)M.start_real_ns, (unsigned long long)(life / 1000000000ull),
			    M.kernel, r.ncpus, (unsigned long long)os.dropped,
			    (unsigned long long)M.reload_real_ns, r.cpu_ratio * 100, r.rss / 1048576.0,
			    r.vsz / 1048576.0, r.pss / 1048576.0, r.host_cpu_ratio * 100,
			    (unsigned long long)r.procs_running, (unsigned long long)r.open_fds, M.engine,
			    (unsigned long long)M.drv.n_evts,
			    (unsigned long long)(M.drv.n_drops_buffer + M.drv.n_drops_size),
			    (unsigned long long)M.drv.n_drops_buffer, (unsigned long long)M.st.threads,
			    (unsigned long long)M.st.fds, (unsigned long long)M.events,
			    (unsigned long long)M.reloads_ok, (unsigned long long)M.reloads_failed);
	for (size_t i = 0; M.rules && i < M.rules->n; i++)
		if (M.rules->names[i] && M.rules->counts[i]) {
			rc |= sk_buf_puts(out, ",\"rules.");
			rc |= sk_app_prom_escape(out, M.rules->names[i]);
			rc |= sk_buf_printf(out, "\":%llu", (unsigned long long)M.rules->counts[i]);
		}
	rc |= sk_buf_putc(out, '}');
	pthread_mutex_unlock(&M.mu);
	return rc;
}
