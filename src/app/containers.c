/* containers.c — container metadata for the syscall engine: which runtimes
 * to ask (the container plugin's configuration, served natively, or
 * Falco 0.22's --cri), the runtime client's life, and the bridge between
 * it and the engine thread: state asks for unknown containers through a
 * hook, and the client's records come back as asyncevent "container"
 * events, so that they are evaluated, counted and written to captures
 * exactly as Falco's container plugin events are. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/containers.h"
#include "app/ops.h"
#include "config/config.h"
#include "event/event.h"
#include "state/state.h"

/* Plugins saker serves itself (no library is loaded). */
static bool builtin_plugin(const char *name)
{
	return !strcmp(name, "container") || !strcmp(name, "k8saudit") || !strcmp(name, "json");
}

static const struct sk_config_plugin *find_plugin(const struct sk_config *k, const char *name)
{
	for (size_t i = 0; i < k->nplugins; i++)
		if (k->plugins[i].name && !strcmp(k->plugins[i].name, name))
			return &k->plugins[i];
	return NULL;
}

const struct sk_config_plugin *sk_app_plugin_loaded(const struct sk_config *k, const char *name)
{
	if (!k->load_plugins_set)
		return find_plugin(k, name);
	for (size_t i = 0; i < k->nload_plugins; i++)
		if (!strcmp(k->load_plugins[i], name))
			return find_plugin(k, name);
	return NULL;
}

/* The plugins falco.yaml asks to load: load_plugins when set, else every
 * plugins entry. Checks them as Falco does; returns the container entry (or
 * NULL) through *ctr. */
static int check_plugins(const struct sk_config *k, const struct sk_config_plugin **ctr,
			 char *err, size_t errlen)
{
	*ctr = NULL;
	size_t n = k->load_plugins_set ? k->nload_plugins : k->nplugins;
	for (size_t i = 0; i < n; i++) {
		const char *name = k->load_plugins_set ? k->load_plugins[i] : k->plugins[i].name;
		const struct sk_config_plugin *p = find_plugin(k, name);
		if (!p && !strcmp(name, "container")) {
			/* served natively: no entry needed, the plugin's defaults apply */
			static const struct sk_config_plugin native = {.name = "container"};
			*ctr = &native;
			continue;
		}
		if (!p) {
			snprintf(err, errlen, "Cannot load plugin '%s': plugin config not found for given name",
				 name);
			return -ENOENT;
		}
		if (!builtin_plugin(name)) {
			snprintf(err, errlen,
				 "cannot load plugin '%s' (%s): saker serves the container, k8saudit and json "
				 "plugins natively and loads no plugin libraries",
				 name, p->library_path ? p->library_path : "");
			return -ENOTSUP;
		}
		if (!strcmp(name, "container"))
			*ctr = p;
	}
	return 0;
}

int sk_app_ctr_setup(struct sk_app_ctr *a, const struct sk_app_cfg *c)
{
	memset(a, 0, sizeof(*a));
	sk_ctr_cfg_defaults(&a->cfg);
	a->cfg.host_root = getenv("HOST_ROOT");
	const struct sk_config_plugin *p = NULL;
	char err[1024];
	if (check_plugins(c->conf, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		return -1;
	}
	if (p) {
		struct sk_err e;
		sk_err_clear(&e);
		if (sk_ctr_cfg_from_json(&a->cfg, p->init_config, &e) < 0) {
			fprintf(stderr, "Error: plugin 'container': %s\n", e.msg);
			return -1;
		}
		a->enabled = true;
	}
	if (c->cri_sockets.n) {
		/* Falco 0.22's --cri: these CRI sockets, container engines on */
		a->cfg.cri.enabled = true;
		a->cfg.cri.nsockets = 0;
		for (size_t i = 0; i < c->cri_sockets.n && i < SK_CTR_MAX_SOCKETS; i++)
			sk_strlcpy(a->cfg.cri.sockets[a->cfg.cri.nsockets++], c->cri_sockets.v[i],
				   sizeof(a->cfg.cri.sockets[0]));
		a->enabled = true;
	}
	if (c->k8s_api_given)
		sk_app_log(c, SK_LOG_NOTICE,
			   "-k/-K: pod metadata comes from the container runtime; the API server is not "
			   "contacted\n");
	a->app = c;
	return 0;
}

static void on_unknown_container(void *ctx, const char *id, const char *full_id, const char *type)
{
	struct sk_app_ctr *a = ctx;
	int t = -1;
	if (type && !strcmp(type, "docker"))
		t = SK_CT_DOCKER;
	else if (type && !strcmp(type, "podman"))
		t = SK_CT_PODMAN;
	else if (type && !strcmp(type, "cri"))
		t = SK_CT_CRI;
	else if (type && !strcmp(type, "containerd"))
		t = SK_CT_CONTAINERD;
	sk_ctr_client_request(a->client, full_id && *full_id ? full_id : id, t);
}

/* saker's own container series on /metrics (server thread: reads the
 * client's atomic counters only). */
static void ctr_metrics(void *ctx, struct sk_app_prom *p)
{
	struct sk_app_ctr *a = ctx;
	struct sk_ctr_stats s;
	sk_ctr_client_stats(a->client, &s);
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} series[] = {
#define S(n, t, h, f) {"saker_container_" n, t, h, offsetof(struct sk_ctr_stats, f)}
		S("lookups_total", "counter", "runtime inspect calls (retries included)", lookups),
		S("lookup_failures_total", "counter", "containers given up on", lookup_failures),
		S("lookup_max_seconds", "gauge", "slowest runtime inspect so far", lookup_ns_max),
		S("runtime_events_total", "counter", "runtime events received", events_seen),
		S("records_total", "counter", "container records handed to the engine", records),
		S("records_dropped_total", "counter", "records dropped (queue full)", records_dropped),
		S("socket_errors_total", "counter", "failed runtime calls and connections", socket_errors),
		S("known", "gauge", "containers the client knows now", known),
		S("lookups_pending", "gauge", "lookups waiting now", pending),
#undef S
	};
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
		uint64_t v = *(const uint64_t *)((const char *)&s + series[i].off);
		sk_app_prom_family(p, series[i].name, series[i].type, series[i].help);
		if (series[i].off == offsetof(struct sk_ctr_stats, lookup_ns_max))
			sk_app_prom_f64(p, series[i].name, NULL, (double)v / 1e9);
		else
			sk_app_prom_u64(p, series[i].name, NULL, v);
	}
	sk_app_prom_family(p, "saker_container_lookup_seconds_total", "counter",
			   "time spent in runtime inspect calls");
	sk_app_prom_f64(p, "saker_container_lookup_seconds_total", NULL,
			(double)s.lookup_ns_total / 1e9);
}

int sk_app_ctr_start(struct sk_app_ctr *a, struct sk_state *st)
{
	if (!a->enabled)
		return 0;
	struct sk_err err;
	sk_err_clear(&err);
	a->client = sk_ctr_client_new(&a->cfg, &err);
	if (!a->client) {
		fprintf(stderr, "Error: container metadata: %s\n", err.msg);
		return -1;
	}
	/* what runs now, before the first event (bounded by the call timeout) */
	sk_ctr_client_list_now(a->client);
	if (sk_ctr_client_start(a->client, &err) < 0) {
		fprintf(stderr, "Error: container metadata: %s\n", err.msg);
		return -1;
	}
	char desc[1024];
	sk_ctr_client_describe(a->client, desc, sizeof(desc));
	if (a->app)
		sk_app_log(a->app, SK_LOG_INFO, "Container runtimes: %s\n",
			   *desc ? desc : "none found yet (sockets are retried in the background)");
	sk_state_set_container_hook(st, on_unknown_container, a);
	a->metrics = sk_app_metrics_register(ctr_metrics, a) == 0;
	sk_buf_init(&a->rec, 1u << 24);
	return 0;
}

/* One warning the first time a runtime fails (the counters say the rest). */
static void warn_failures(struct sk_app_ctr *a)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (a->warned || now.tv_sec < a->next_check_s)
		return;
	a->next_check_s = now.tv_sec + 1;
	struct sk_ctr_stats s;
	sk_ctr_client_stats(a->client, &s);
	if (!s.socket_errors && !s.records_dropped)
		return;
	a->warned = true;
	if (a->app)
		sk_app_log(a->app, SK_LOG_WARNING,
			   "container runtime: %llu failed call(s), %llu record(s) dropped so far; "
			   "container metadata may be missing (see metrics)\n",
			   (unsigned long long)s.socket_errors, (unsigned long long)s.records_dropped);
}

int sk_app_ctr_next_event(struct sk_app_ctr *a, struct sk_event *ev)
{
	if (!a || !a->client)
		return 0;
	/* every 16th call: often enough when the kernel filters leave few
	 * events (the idle loop calls too, ~10 times a second), and one clock
	 * read per 16 events costs nothing */
	if (!(++a->calls & 15))
		warn_failures(a);
	struct sk_ctr_record r;
	if (!sk_ctr_client_poll(a->client, &r))
		return 0;
	static const char *const names[] = {"container", "container_removed"};
	const char *name = names[r.removed ? 1 : 0];
	size_t jl = strlen(r.json);
	sk_buf_reset(&a->rec);
	struct sk_event_builder b;
	/* the plugin's async events: plugin_id 0 here (no plugin), tid -1 */
	sk_event_build_begin(&b, &a->rec, r.ts, -1, 402, 3);
	sk_event_build_u64(&b, 0, 4);
	sk_event_build_str(&b, name);
	sk_event_build_param(&b, r.json, (uint32_t)(jl + 1)); /* with its NUL, as Falco */
	int rc = sk_event_build_end(&b);
	sk_ctr_record_free(&r);
	if (rc < 0)
		return 0;
	struct sk_err err;
	memset(ev, 0, sizeof(*ev)); /* num, cpuid, dump_flags: decode leaves them */
	if (sk_event_decode(ev, (const uint8_t *)a->rec.data, a->rec.len, &err) < 0)
		return 0;
	return 1;
}

void sk_app_ctr_stats(const struct sk_app_ctr *a, struct sk_ctr_stats *out)
{
	sk_ctr_client_stats(a ? a->client : NULL, out);
}

void sk_app_ctr_done(struct sk_app_ctr *a)
{
	if (!a)
		return;
	if (a->metrics)
		sk_app_metrics_unregister(ctr_metrics, a);
	a->metrics = false;
	sk_ctr_client_free(a->client);
	a->client = NULL;
	sk_buf_done(&a->rec);
}
