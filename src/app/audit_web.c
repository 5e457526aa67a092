/* audit_web.c — the k8s audit webhook in the program: Falco 0.2x's
 * `webserver:` form and saker's `k8s_audit:` options turned into the
 * source configuration, the webhook started on app's web server (same
 * port) or on its own listener, and its counters on /metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/audit_web.h"
#include "app/containers.h"
#include "app/ops.h"
#include "app/run_int.h"
#include "config/config.h"
#include "server/server.h"

#define DEFAULT_EVENT_SIZE 262144
#define DEFAULT_BATCH 500
#define DEFAULT_QUEUE 4096

static struct {
	struct sk_audit_web *w;
	bool metrics;
} A;

/* Replaces *dst with a copy of s (NULL/"" = none). */
static int set_str(char **dst, const char *s)
{
	char *v = s && *s ? strdup(s) : NULL;
	if (s && *s && !v)
		return -ENOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

/* A positive size from the configuration into *out (absent: unchanged). */
static int get_size(const struct sk_config *k, const char *key, size_t *out, struct sk_err *err)
{
	int64_t v = 0;
	int rc = sk_config_get_int(k, key, &v);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0 || v <= 0)
		return sk_err_set(err, -EINVAL, "%s: want a positive integer", key);
	*out = (size_t)v;
	return 0;
}

int sk_app_audit_web_options(const struct sk_config *k, struct sk_audit_cfg *c, struct sk_err *err)
{
	const char *tok = sk_config_get_str(k, "k8s_audit.bearer_token_file");
	const char *ca = sk_config_get_str(k, "k8s_audit.client_ca");
	if ((tok && set_str(&c->bearer_token_file, tok)) || (ca && set_str(&c->client_ca, ca)))
		return sk_err_set(err, -ENOMEM, "out of memory");
	if (get_size(k, "k8s_audit.max_events_per_request", &c->max_batch, err) ||
	    get_size(k, "k8s_audit.max_request_bytes", &c->max_body, err) ||
	    get_size(k, "k8s_audit.queue_capacity", &c->queue_cap, err))
		return -EINVAL;
	return 0;
}

int sk_app_audit_web_cfg(const struct sk_config *k, struct sk_audit_cfg *out, struct sk_err *err)
{
	const char *ep = sk_config_get_str(k, "webserver.k8s_audit_endpoint");
	if (!k->webserver.enabled || !ep || !*ep || k->engine_kind == SK_ENGINE_REPLAY)
		return 0;
	if (ep[0] != '/')
		return sk_err_set(err, -EINVAL, "webserver.k8s_audit_endpoint '%s' must start with /",
				  ep);
	struct sk_audit_cfg c = {
		.kind = SK_AUDIT_HTTP,
		.port = (uint16_t)k->webserver.listen_port,
		.tls = k->webserver.ssl_enabled,
		.max_event_size = DEFAULT_EVENT_SIZE,
		.max_batch = DEFAULT_BATCH,
		.queue_cap = DEFAULT_QUEUE,
	};
	int rc = set_str(&c.address, k->webserver.listen_address) || set_str(&c.path, ep) ||
			 (c.tls && set_str(&c.tls_pem, k->webserver.ssl_certificate))
		 ? sk_err_set(err, -ENOMEM, "out of memory")
		 : sk_app_audit_web_options(k, &c, err);
	if (rc < 0) {
		sk_audit_cfg_done(&c);
		return rc;
	}
	*out = c;
	return 1;
}

/* ---- /metrics ------------------------------------------------------------------ */

/* Server thread: the webhook's atomic counters only. */
static void web_metrics(void *ctx, struct sk_app_prom *p)
{
	struct sk_audit_web_stats s;
	sk_audit_web_stats(ctx, &s);
	sk_app_prom_family(p, "saker_k8s_audit_webhook_requests_total", "counter",
			   "requests to the k8s audit endpoint");
	sk_app_prom_u64(p, "saker_k8s_audit_webhook_requests_total", NULL, s.requests);
	sk_app_prom_family(p, "saker_k8s_audit_webhook_events_total", "counter",
			   "audit events queued for the k8s_audit engine");
	sk_app_prom_u64(p, "saker_k8s_audit_webhook_events_total", NULL, s.events);
	sk_app_prom_family(p, "saker_k8s_audit_webhook_events_dropped_total", "counter",
			   "audit events dropped: longer than maxEventSize");
	sk_app_prom_u64(p, "saker_k8s_audit_webhook_events_dropped_total", "reason=\"too_large\"",
			s.event_too_large);
	static const struct {
		const char *reason;
		size_t off;
	} rej[] = {
#define R(r, f) {"reason=\"" r "\"", offsetof(struct sk_audit_web_stats, f)}
		R("method", bad_method),  R("content_type", bad_type),
		R("too_large", too_large), R("bad_json", bad_json),
		R("unauthorized", unauthorized), R("queue_full", queue_full),
		R("busy", busy),
#undef R
	};
	sk_app_prom_family(p, "saker_k8s_audit_webhook_rejected_total", "counter",
			   "requests answered 4xx/5xx, by reason");
	for (size_t i = 0; i < SK_ARRAY_LEN(rej); i++)
		sk_app_prom_u64(p, "saker_k8s_audit_webhook_rejected_total", rej[i].reason,
				*(const uint64_t *)((const char *)&s + rej[i].off));
}

/* ---- start / stop ------------------------------------------------------------------ */

int sk_app_audit_web_start(const struct sk_app_cfg *app, const struct sk_audit_cfg *c,
			   struct sk_audit_queue *q)
{
	const struct sk_config *k = app->conf;
	struct sk_server *host = sk_app_web_server();
	/* one port, one server: the endpoint joins /healthz and /metrics (Falco
	 * 0.2x's form always: it has no port of its own, and no plugin entry) */
	bool legacy = !sk_app_plugin_loaded(k, "k8saudit");
	bool shared = host && c->port == (uint16_t)k->webserver.listen_port && (c->port || legacy);
	struct sk_err err;
	sk_err_clear(&err);
	if (shared && c->tls != sk_server_tls(host))
		sk_app_log(app, SK_LOG_WARNING, "k8s audit webhook: port %u is the web server's, which "
			   "%s TLS (webserver.ssl_enabled); the endpoint follows it\n", c->port,
			   sk_server_tls(host) ? "uses" : "does not use");
	A.w = shared ? sk_audit_web_attach(host, c, q, &err) : sk_audit_web_new(c, q, &err);
	if (!A.w) {
		sk_app_log(app, SK_LOG_ERROR, "k8s audit webhook: %s\n", err.msg);
		return -1;
	}
	bool tls = shared ? sk_server_tls(host) : c->tls;
	sk_app_log(app, SK_LOG_INFO, "Starting k8s audit webhook on http%s://%s:%u%s%s%s%s\n",
		   tls ? "s" : "", c->address && *c->address ? c->address : "0.0.0.0",
		   sk_audit_web_port(A.w), c->path && *c->path ? c->path : "/k8s-audit",
		   shared ? " (the web server's port)" : "",
		   c->bearer_token_file ? ", bearer token required" : "",
		   c->client_ca ? ", client certificates required" : "");
	A.metrics = sk_app_metrics_register(web_metrics, A.w) == 0;
	return 0;
}

void sk_app_audit_web_stop(void)
{
	if (A.metrics)
		sk_app_metrics_unregister(web_metrics, A.w);
	sk_audit_web_free(A.w);
	A.w = NULL;
	A.metrics = false;
}
