/* reload.c — the ops thread: hot reload on SIGHUP and on changes of the
 * config and rules files (inotify on their directories, so the atomic
 * `..data` symlink swap of a Kubernetes ConfigMap volume is seen), debounced
 * and skipped when no content changed; the new configuration and rules are
 * compiled here, beside the running set, and handed to the engine thread,
 * which swaps them in between two events. A reload that fails keeps the
 * running set, is logged with its reason and raised as an internal alert.
 * The same thread reopens outputs on SIGUSR1 and emits the periodic
 * metrics snapshot (metrics.output_rule, metrics.output_file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app/ops.h"
#include "app/run_int.h"
#include "app/sha256.h"
#include "config/config.h"
#include "output/output.h"
#include "rules/rules.h"

#define DEBOUNCE_MS 250
#define DEBOUNCE_MAX_MS 2000
#define MAX_WATCHES 256

struct watch {
	int wd;
	char *dir;
	char *name;                  /* NULL: any .yaml/.yml entry of dir */
};

static struct {
	const struct sk_app_cfg *c;
	int argc;
	char **argv;
	struct sk_outputs *out;
	pthread_t thread;
	bool running;
	int ev_fd;                   /* SIGHUP/SIGUSR1/stop wake-ups */
	int in_fd;                   /* inotify, -1 when not watching */
	struct watch w[MAX_WATCHES];
	size_t nw;
	char hash[65];               /* content of the files of the running set */
	uint64_t seq;
	uint64_t metrics_ms, next_metrics_ns, samples;
} R = {.ev_fd = -1, .in_fd = -1};

static _Atomic(struct sk_app_gen *) pending, retired;
static atomic_bool hup_req, usr1_req, stop_req;
static _Atomic uint64_t hup_ns;
static volatile sig_atomic_t test_stall;
static int wake_fd = -1;

/* ---- signals ------------------------------------------------------------------- */

static void wake(void)
{
	uint64_t one = 1;
	if (wake_fd >= 0)
		(void)!write(wake_fd, &one, sizeof(one));
}

static void on_hup(int sig)
{
	(void)sig;
	if (!atomic_load(&hup_req))
		atomic_store(&hup_ns, sk_app_now_ns());
	atomic_store(&hup_req, true);
	wake();
}

static void on_usr1(int sig)
{
	(void)sig;
	atomic_store(&usr1_req, true);
	wake();
}

static void on_usr2(int sig)
{
	(void)sig;
	test_stall = !test_stall;
}

void sk_app_test_stall_point(void)
{
	while (test_stall) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
}

/* ---- generations ----------------------------------------------------------------- */

void sk_app_gen_free(struct sk_app_gen *g)
{
	if (!g)
		return;
	for (size_t i = 0; g->routs && i < g->nrouts; i++)
		sk_rule_output_free(g->routs[i]);
	free(g->routs);
	sk_rules_free(g->r);
	sk_app_metrics_rules_free(g->mrules);
	if (g->cfg) {
		sk_app_cfg_done(g->cfg);
		free(g->cfg);
	}
	free(g);
}

struct sk_app_gen *sk_app_reload_take(void)
{
	if (!atomic_load_explicit(&pending, memory_order_relaxed))
		return NULL;
	return atomic_exchange(&pending, NULL);
}

void sk_app_reload_retire(struct sk_app_gen *g)
{
	if (!g)
		return;
	struct sk_app_gen *none = NULL;
	if (R.running && atomic_compare_exchange_strong(&retired, &none, g))
		wake();
	else
		sk_app_gen_free(g);
}

static void why_set(struct sk_buf *why, const char *msg)
{
	if (sk_buf_puts(why, msg) < 0)
		sk_buf_reset(why);
}

/* Each enabled syscall rule's output, as engine_init builds them. */
static int gen_outputs(struct sk_app_gen *g, struct sk_buf *why)
{
	g->nrouts = sk_rules_count(g->r);
	g->routs = calloc(g->nrouts + 1, sizeof(*g->routs));
	if (!g->routs) {
		why_set(why, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->nrouts; i++) {
		const struct sk_rule *ru = sk_rules_get(g->r, i);
		if (!ru->enabled || !ru->filter || ru->source_id != SK_SRC_SYSCALL ||
		    ru->id >= g->nrouts)
			continue;
		struct sk_err err;
		sk_err_clear(&err);
		g->routs[ru->id] = sk_rule_output_new(g->cfg->conf, SK_SRC_SYSCALL, ru->name,
						      ru->output, ru->tags, ru->ntags, &err);
		if (!g->routs[ru->id]) {
			int rc = sk_buf_printf(why, "Rule '%s': invalid output format: %s", ru->name,
					       err.msg);
			(void)rc;
			return -EINVAL;
		}
	}
	return 0;
}

/* The configuration as the command line gives it, checked first so that
 * its error (file:line:col) can be reported. */
static int gen_config(struct sk_app_gen *g, struct sk_buf *why)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_config_opts o = {
		.path = R.c->conf->path,
		.overrides = (const char *const *)R.c->overrides.v,
		.noverrides = R.c->overrides.n,
	};
	struct sk_config *probe = sk_config_load(&o, &err);
	if (!probe) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		why_set(why, m);
		return -EINVAL;
	}
	sk_config_free(probe);
	g->cfg = calloc(1, sizeof(*g->cfg));
	if (!g->cfg || sk_app_cfg_parse(g->cfg, R.argc, R.argv) >= 0) {
		why_set(why, "cannot re-read the command line");
		return -EINVAL;
	}
	g->cfg->argc = R.argc;
	g->cfg->argv = R.argv;
	return 0;
}

/* Compiles a new set. NULL with `why` filled on failure. */
static struct sk_app_gen *gen_build(uint64_t requested, struct sk_buf *why)
{
	struct sk_app_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->requested_ns = requested;
	if (gen_config(g, why) < 0)
		goto fail;
	sk_app_fatal_capture(why);
	g->r = sk_app_load_rules(g->cfg);
	sk_app_fatal_capture(NULL);
	if (!g->r)
		goto fail;
	if (sk_rules_finalize(g->r, g->cfg->priority, g->cfg->match_all) < 0) {
		why_set(why, "out of memory");
		goto fail;
	}
	if (gen_outputs(g, why) < 0)
		goto fail;
	g->mrules = sk_app_metrics_rules_new(g->cfg, g->r);
	return g;
fail:
	sk_app_gen_free(g);
	return NULL;
}

/* ---- watched files ------------------------------------------------------------------ */

static bool is_yaml(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml"));
}

/* Calls fn for each configured file: config files, rules files, and the
 * YAML files of rules directories, in order. */
static void each_path(const struct sk_app_cfg *c, void (*fn)(void *, const char *, bool), void *arg)
{
	const struct sk_config *k = c->conf;
	for (size_t i = 0; i < k->nfiles; i++)
		fn(arg, k->files[i], false);
	/* config_files directories: a file added to one is a change too */
	int ncf = sk_config_get_len(k, "config_files");
	for (int i = 0; i < ncf; i++) {
		char key[64];
		snprintf(key, sizeof(key), "config_files[%d]", i);
		const char *p = sk_config_get_str(k, key);
		struct stat st;
		if (p && stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			fn(arg, p, true);
	}
	bool cli = c->rules_cli.n > 0;
	size_t n = cli ? c->rules_cli.n : k->nrules_files;
	for (size_t i = 0; i < n; i++) {
		const char *p = cli ? c->rules_cli.v[i] : k->rules_files[i];
		struct stat st;
		fn(arg, p, stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	}
}

static void hash_one(void *arg, const char *path, bool dir)
{
	struct sk_buf *b = arg;
	int rc = sk_buf_puts(b, path) | sk_buf_putc(b, 0);
	if (!dir) {
		char hex[65];
		if (sk_sha256_file(path, hex) == 0)
			rc |= sk_buf_puts(b, hex);
		(void)rc;
		return;
	}
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char full[PATH_MAX], hex[65];
		snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
		if (is_yaml(ents[i]->d_name) && sk_sha256_file(full, hex) == 0)
			rc |= sk_buf_puts(b, full) | sk_buf_puts(b, hex);
		free(ents[i]);
	}
	free(ents);
	(void)rc;
}

static void content_hash(const struct sk_app_cfg *c, char hex[65])
{
	struct sk_buf b;
	sk_buf_init(&b, 1 << 20);
	each_path(c, hash_one, &b);
	sk_sha256(b.data ? b.data : "", b.len, hex);
	sk_buf_done(&b);
}

static void add_watch(const char *dir, const char *name)
{
	if (R.nw >= MAX_WATCHES)
		return;
	int wd = inotify_add_watch(R.in_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
				   IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR);
	if (wd < 0)
		return;
	struct watch *w = &R.w[R.nw++];
	w->wd = wd;
	w->dir = strdup(dir);
	w->name = name ? strdup(name) : NULL;
}

static void watch_one(void *arg, const char *path, bool dir)
{
	(void)arg;
	char buf[PATH_MAX];
	sk_strlcpy(buf, path, sizeof(buf));
	size_t l = strlen(buf);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = 0;
	if (dir)
		add_watch(buf, NULL);
	char *slash = strrchr(buf, '/');
	if (!slash) {
		add_watch(".", buf);
	} else if (slash == buf) {
		add_watch("/", slash + 1);
	} else {
		*slash = 0;
		add_watch(buf, slash + 1);
	}
}

static void watches_reset(void)
{
	for (size_t i = 0; i < R.nw; i++) {
		free(R.w[i].dir);
		free(R.w[i].name);
	}
	R.nw = 0;
	if (R.in_fd >= 0)
		close(R.in_fd);
	R.in_fd = -1;
}

static void watches_build(const struct sk_app_cfg *c)
{
	watches_reset();
	if (!c->conf->watch_config_files)
		return;
	R.in_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (R.in_fd >= 0)
		each_path(c, watch_one, NULL);
}

/* True when an inotify event concerns a watched file: its name, a `..`
 * entry (ConfigMap data swap), or a YAML file of a watched directory. */
static bool relevant(const struct inotify_event *ev)
{
	for (size_t i = 0; i < R.nw; i++) {
		const struct watch *w = &R.w[i];
		if (w->wd != ev->wd)
			continue;
		if (!ev->len)
			return true;
		if (!strncmp(ev->name, "..", 2))
			return true;
		if (w->name ? !strcmp(w->name, ev->name) : is_yaml(ev->name))
			return true;
	}
	return false;
}

/* Reads the pending inotify events; true when one is relevant. */
static bool drain_inotify(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	for (;;) {
		ssize_t n = read(R.in_fd, buf, sizeof(buf));
		if (n <= 0)
			return any;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			any |= relevant(ev) || (ev->mask & IN_Q_OVERFLOW);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* Waits until the files have been quiet for DEBOUNCE_MS (at most
 * DEBOUNCE_MAX_MS). */
static void debounce(void)
{
	uint64_t start = sk_app_now_ns();
	for (;;) {
		struct pollfd p = {.fd = R.in_fd, .events = POLLIN};
		if (poll(&p, 1, DEBOUNCE_MS) <= 0)
			return;
		(void)drain_inotify();
		if (sk_app_now_ns() - start > DEBOUNCE_MAX_MS * 1000000ull || atomic_load(&stop_req))
			return;
	}
}

/* ---- reload -------------------------------------------------------------------------- */

/* Keys read once at start (channels, server, engine, logging): a reload
 * compiles rules with the new values of the others and says which of these
 * changed and need a restart. */
static const char *const restart_keys[] = {
	"webserver", "metrics", "engine", "base_syscalls", "syscall_event_drops", "capture",
	"stdout_output", "file_output", "syslog_output", "program_output", "http_output",
	"json_output", "json_include_output_property", "json_include_message_property",
	"json_include_output_fields_property", "json_include_tags_property",
	"time_format_iso_8601", "buffered_outputs", "outputs_queue", "output_timeout",
	"log_level", "log_stderr", "log_syslog", "plugins", "load_plugins", "falco_libs",
};

static bool same_key(const struct sk_config *a, const struct sk_config *b, const char *key)
{
	struct sk_buf x, y;
	sk_buf_init(&x, 1 << 20);
	sk_buf_init(&y, 1 << 20);
	int ra = sk_config_get_json(a, key, &x), rb = sk_config_get_json(b, key, &y);
	bool same = ra == rb && (ra < 0 || (x.len == y.len && !memcmp(x.data, y.data, x.len)));
	sk_buf_done(&x);
	sk_buf_done(&y);
	return same;
}

static void warn_restart_keys(const struct sk_config *now)
{
	struct sk_buf b;
	sk_buf_init(&b, 4096);
	int rc = 0;
	for (size_t i = 0; i < sizeof(restart_keys) / sizeof(*restart_keys); i++)
		if (!same_key(R.c->conf, now, restart_keys[i]))
			rc |= sk_buf_printf(&b, "%s%s", b.len ? ", " : "", restart_keys[i]);
	if (!rc && b.len)
		sk_app_log(R.c, SK_LOG_WARNING, "Reload: changes to %s take effect at the next "
			   "restart\n", sk_buf_cstr(&b));
	sk_buf_done(&b);
}

static void reload_failed(const char *why)
{
	sk_app_metrics_reload(false, 0);
	sk_app_log(R.c, SK_LOG_ERROR, "Reload failed, the running configuration and rules stay "
		   "active: %s\n", why);
	const char *k[] = {"reason"};
	const char *v[] = {why};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (R.out)
		(void)sk_outputs_internal(R.out, "Falco internal: reload failed", SK_PRIO_ERROR,
					  (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
					  "Reload failed, the previous configuration and rules stay active",
					  k, v, 1);
}

static void do_reload(uint64_t requested, const char *cause)
{
	struct sk_buf why;
	sk_buf_init(&why, 1 << 20);
	sk_app_log(R.c, SK_LOG_INFO, "Reload requested (%s): compiling the new configuration and "
		   "rules\n", cause);
	struct sk_app_gen *g = gen_build(requested, &why);
	if (!g) {
		while (why.len && why.data[why.len - 1] == '\n')
			why.data[--why.len] = 0;
		reload_failed(why.len ? sk_buf_cstr(&why) : "unknown error");
		sk_buf_done(&why);
		return;
	}
	sk_buf_done(&why);
	warn_restart_keys(g->cfg->conf);
	g->seq = ++R.seq;
	content_hash(g->cfg, R.hash);
	watches_build(g->cfg);
	sk_app_gen_free(atomic_exchange(&pending, g)); /* an unpicked older set is dropped */
}

/* ---- metrics snapshot ------------------------------------------------------------------ */

static void metrics_file(const char *path, const char *json)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		sk_app_log(R.c, SK_LOG_ERROR, "metrics.output_file %s: %s\n", path, strerror(errno));
		return;
	}
	char head[64];
	int n = snprintf(head, sizeof(head), "{\"sample\": %llu, \"output_fields\": ",
			 (unsigned long long)R.samples);
	if (write(fd, head, (size_t)n) < 0 || write(fd, json, strlen(json)) < 0 ||
	    write(fd, "}\n", 2) < 0)
		sk_app_log(R.c, SK_LOG_ERROR, "metrics.output_file %s: %s\n", path, strerror(errno));
	close(fd);
}

/* The snapshot as an internal alert: every field becomes a string. */
static void metrics_alert(const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	size_t n = (o ? json_object_size(o) : 0) + 1, i = 0;
	const char **k = calloc(n + 1, sizeof(*k)), **v = calloc(n + 1, sizeof(*v));
	char **owned = calloc(n + 1, sizeof(*owned));
	const char *key;
	json_t *val;
	char sample[32];
	snprintf(sample, sizeof(sample), "%llu", (unsigned long long)R.samples);
	if (o && k && v && owned) {
		k[i] = "saker.sample"; /* lets a receiver see gaps and order */
		owned[i] = strdup(sample);
		v[i] = owned[i] ? owned[i] : "";
		i++;
	}
	if (o && k && v && owned)
		json_object_foreach(o, key, val) {
			k[i] = key;
			owned[i] = json_is_string(val) ? strdup(json_string_value(val))
						       : json_dumps(val, JSON_ENCODE_ANY);
			v[i] = owned[i] ? owned[i] : "";
			i++;
		}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (o && k && v && owned)
		(void)sk_outputs_internal(R.out, "Falco internal: metrics snapshot", SK_PRIO_INFORMATIONAL,
					  (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
					  "Falco metrics snapshot", k, v, i);
	for (size_t j = 0; owned && j < i; j++)
		free(owned[j]);
	free(owned);
	free(k);
	free(v);
	json_decref(o);
}

static void metrics_emit(void)
{
	const struct sk_config *k = R.c->conf;
	struct sk_buf b;
	sk_buf_init(&b, 4 << 20);
	if (sk_app_metrics_json(&b) == 0) {
		R.samples++;
		if (k->metrics.output_file && *k->metrics.output_file)
			metrics_file(k->metrics.output_file, sk_buf_cstr(&b));
		if (k->metrics.output_rule && R.out && R.c->priority >= SK_PRIO_INFORMATIONAL)
			metrics_alert(sk_buf_cstr(&b));
	}
	sk_buf_done(&b);
}

/* ---- the thread ---------------------------------------------------------------------------- */

static int poll_timeout(void)
{
	if (!R.metrics_ms)
		return -1;
	uint64_t now = sk_app_now_ns();
	if (now >= R.next_metrics_ns)
		return 0;
	uint64_t ms = (R.next_metrics_ns - now) / 1000000ull + 1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void *ops_thread(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!atomic_load(&stop_req)) {
		struct pollfd p[2] = {{.fd = R.ev_fd, .events = POLLIN},
				      {.fd = R.in_fd, .events = POLLIN}};
		int n = poll(p, R.in_fd >= 0 ? 2 : 1, poll_timeout());
		if (n < 0 && errno != EINTR)
			break;
		uint64_t v;
		if (p[0].revents & POLLIN)
			(void)!read(R.ev_fd, &v, sizeof(v));
		if (atomic_exchange(&usr1_req, false) && R.out)
			sk_outputs_reopen(R.out);
		sk_app_gen_free(atomic_exchange(&retired, NULL));
		if (R.in_fd >= 0 && (p[1].revents & POLLIN) && drain_inotify()) {
			uint64_t t = sk_app_now_ns();
			debounce();
			char hex[65];
			content_hash(R.c, hex);
			if (strcmp(hex, R.hash))
				do_reload(t, "watched files changed");
		}
		if (atomic_exchange(&hup_req, false))
			do_reload(atomic_load(&hup_ns), "SIGHUP");
		if (R.metrics_ms && sk_app_now_ns() >= R.next_metrics_ns) {
			metrics_emit();
			R.next_metrics_ns = sk_app_now_ns() + R.metrics_ms * 1000000ull;
		}
	}
	return NULL;
}

int sk_app_ops_start(const struct sk_app_cfg *c, int argc, char **argv, struct sk_outputs *out)
{
	R.c = c;
	R.argc = argc;
	R.argv = argv;
	R.out = out;
	R.seq = 0;
	R.samples = 0;
	atomic_store(&stop_req, false);
	atomic_store(&hup_req, false);
	R.ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (R.ev_fd < 0) {
		sk_app_log(c, SK_LOG_ERROR, "eventfd: %s\n", strerror(errno));
		return -1;
	}
	wake_fd = R.ev_fd;
	content_hash(c, R.hash);
	watches_build(c);
	const struct sk_config *k = c->conf;
	R.metrics_ms = k->metrics.enabled && ((k->metrics.output_file && *k->metrics.output_file) ||
					      k->metrics.output_rule) ? k->metrics.interval_ms : 0;
	R.next_metrics_ns = sk_app_now_ns() + R.metrics_ms * 1000000ull;
	struct sigaction sa = {.sa_handler = on_hup};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	const char *hooks = getenv("SAKER_TEST_HOOKS");
	if (hooks && !strcmp(hooks, "1")) {
		sa.sa_handler = on_usr2;
		sigaction(SIGUSR2, &sa, NULL);
	}
	/* read before the thread starts: a reload there rebuilds R.w (race
	 * found by ThreadSanitizer) */
	size_t nw = R.nw;
	if (pthread_create(&R.thread, NULL, ops_thread, NULL) != 0) {
		sk_app_log(c, SK_LOG_ERROR, "cannot start the ops thread\n");
		return -1;
	}
	R.running = true;
	if (nw)
		sk_app_log(c, SK_LOG_INFO, "Watching %zu directories for configuration and rules "
			   "changes\n", nw);
	return 0;
}

void sk_app_ops_stop(void)
{
	if (R.running) {
		atomic_store(&stop_req, true);
		wake();
		pthread_join(R.thread, NULL);
		R.running = false;
	}
	signal(SIGHUP, SIG_IGN); /* shutting down: a late reload request is moot */
	signal(SIGUSR1, SIG_IGN);
	wake_fd = -1;
	if (R.ev_fd >= 0)
		close(R.ev_fd);
	R.ev_fd = -1;
	watches_reset();
	sk_app_gen_free(atomic_exchange(&pending, NULL));
	sk_app_gen_free(atomic_exchange(&retired, NULL));
}
