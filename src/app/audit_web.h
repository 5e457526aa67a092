/* audit_web.h — private to src/app: the k8s audit webhook's place in the
 * program. Builds the source configuration from Falco 0.2x's `webserver:`
 * form, adds saker's own `k8s_audit:` options to either form, and starts
 * the webhook: on app's web server when it listens on the same port (as
 * Falco 0.2x served /k8s_audit and /healthz on 8765), else on its own
 * listener. Its counters go to /metrics (saker_k8s_audit_webhook_*).
 *
 * Order (engine start-up): sk_app_web_start, then sk_app_audit_web_start;
 * at the end sk_app_audit_web_stop before sk_app_web_stop and before the
 * queue is freed. */
#ifndef SK_APP_AUDIT_WEB_H
#define SK_APP_AUDIT_WEB_H

#include "audit/audit.h"

struct sk_app_cfg;
struct sk_config;

/* Falco 0.2x's form: webserver.enabled with webserver.k8s_audit_endpoint
 * set. Fills *out (kind HTTP; address, port, path, TLS from webserver.*,
 * plus the k8s_audit: options) and returns 1; 0 when the form is absent
 * (out untouched); -EINVAL/-ENOMEM with err filled. Not in replay mode
 * (Falco starts no web server reading a capture): 0. */
int sk_app_audit_web_cfg(const struct sk_config *k, struct sk_audit_cfg *out, struct sk_err *err);
/* saker's `k8s_audit:` block (bearer_token_file, client_ca,
 * max_events_per_request, max_request_bytes, queue_capacity) into c, for
 * the plugin form too. 0, or -EINVAL/-ENOMEM with err filled. */
int sk_app_audit_web_options(const struct sk_config *k, struct sk_audit_cfg *c, struct sk_err *err);
/* Serves c (kind SK_AUDIT_HTTP) into q and registers the counters. Logs;
 * 0 or -1. */
int sk_app_audit_web_start(const struct sk_app_cfg *app, const struct sk_audit_cfg *c,
			   struct sk_audit_queue *q);
void sk_app_audit_web_stop(void);

#endif
