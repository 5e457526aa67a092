/* web.c — the web server's pages: /healthz (liveness: 503 when the engine
 * thread stalls or a source died), /versions (Falco's fields plus saker's
 * version) and /metrics (Prometheus text, when metrics are enabled). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/ops.h"
#include "app/run_int.h"
#include "config/config.h"
#include "rules/rules.h"
#include "server/server.h"

#define DEFAULT_STALL_MS 10000

static struct {
	struct sk_server *srv;
	char healthz[256];
	bool metrics;
	uint64_t stall_ms;
} W;

int sk_app_versions_json(struct sk_buf *out)
{
	const char *const *names, *const *vers;
	size_t n = sk_rules_builtin_plugins(&names, &vers);
	int maj = 0, min = 0;
	if (sscanf(SK_ENGINE_VERSION, "%d.%d", &maj, &min) != 2)
		min = 0;
	int rc = sk_buf_printf(out,
			       "{\"default_driver_version\":\"10.2.0+driver\",\"driver_api_version\":"
			       "\"10.0.0\",\"driver_schema_version\":\"4.3.0\",\"engine_version\":\"%d\","
			       "\"engine_version_semver\":\"%s\",\"falco_version\":\"%s\","
			       "\"libs_version\":\"0.25.4\",\"plugin_api_version\":\"3.12.0\","
			       "\"plugin_versions\":{",
			       min, SK_ENGINE_VERSION, SK_APP_FALCO_VERSION);
	for (size_t i = 0; i < n; i++)
		rc |= sk_buf_printf(out, "%s\"%s\":\"%s\"", i ? "," : "", names[i], vers[i]);
	rc |= sk_buf_printf(out, "},\"saker_version\":\"%s\"}", SK_APP_VERSION);
	return rc;
}

static int handler(void *ctx, const char *path, struct sk_buf *body, const char **ctype)
{
	(void)ctx;
	char why[128];
	if (!strcmp(path, W.healthz)) {
		*ctype = "application/json";
		int st = sk_app_health(W.stall_ms, why, sizeof(why));
		if (st == 200)
			return sk_buf_puts(body, "{\"status\": \"ok\"}") ? 500 : 200;
		return sk_buf_printf(body, "{\"status\": \"error\", \"reason\": \"%s\"}", why) ? 500 : st;
	}
	if (!strcmp(path, "/versions")) {
		*ctype = "application/json";
		return sk_app_versions_json(body) ? 500 : 200;
	}
	if (W.metrics && !strcmp(path, "/metrics")) {
		*ctype = "text/plain; version=0.0.4";
		return sk_app_metrics_text(body) ? 500 : 200;
	}
	return sk_buf_puts(body, "not found\n") ? 500 : 404;
}

int sk_app_web_start(const struct sk_app_cfg *c)
{
	const struct sk_config *k = c->conf;
	/* as Falco: no web server when reading a capture file */
	if (!k->webserver.enabled || k->engine_kind == SK_ENGINE_REPLAY)
		return 0;
	const char *hz = k->webserver.k8s_healthz_endpoint;
	sk_strlcpy(W.healthz, hz && *hz ? hz : "/healthz", sizeof(W.healthz));
	W.metrics = k->webserver.prometheus_metrics_enabled && k->metrics.enabled;
	int64_t stall = DEFAULT_STALL_MS;
	if (sk_config_get_int(k, "webserver.healthz_stall_timeout_ms", &stall) < 0 || stall < 0)
		stall = DEFAULT_STALL_MS;
	W.stall_ms = (uint64_t)stall;
	struct sk_server_opts o = {
		.address = k->webserver.listen_address,
		.port = (uint16_t)k->webserver.listen_port,
		.threads = (unsigned)k->webserver.threadiness,
		.tls_pem = k->webserver.ssl_enabled ? k->webserver.ssl_certificate : NULL,
		/* the k8s audit endpoint may share this server (audit_web.c):
		 * clients are then asked for a certificate, /healthz needs none */
		.client_ca = sk_config_get_str(k, "k8s_audit.client_ca"),
		.handler = handler,
	};
	struct sk_err err;
	sk_err_clear(&err);
	W.srv = sk_server_new(&o, &err);
	if (!W.srv) {
		sk_app_log(c, SK_LOG_ERROR, "Web server: %s\n", err.msg);
		return -1;
	}
	sk_app_log(c, SK_LOG_INFO, "Starting HTTP%s server on %s:%u (%s%s)\n",
		   o.tls_pem ? "S" : "", o.address && *o.address ? o.address : "0.0.0.0",
		   sk_server_port(W.srv), W.healthz, W.metrics ? ", /versions, /metrics" : ", /versions");
	return 0;
}

struct sk_server *sk_app_web_server(void)
{
	return W.srv;
}

void sk_app_web_stop(void)
{
	sk_server_free(W.srv);
	W.srv = NULL;
}
