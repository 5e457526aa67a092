/* webhook_stub.c — placeholder for the webhook (src/audit/webhook.c, built
 * by the audit-webhook branch, which deletes this file): every call says the
 * webhook is not available, so a file replay works without it. */
#include <errno.h>

#include "audit.h"

struct sk_audit_web *sk_audit_web_new(const struct sk_audit_cfg *c, struct sk_audit_queue *q,
				      struct sk_err *err)
{
	SK_UNUSED(c);
	SK_UNUSED(q);
	sk_err_set(err, -ENOTSUP, "the k8s audit webhook is not built in this version");
	return NULL;
}

void sk_audit_web_free(struct sk_audit_web *w) { SK_UNUSED(w); }

uint16_t sk_audit_web_port(const struct sk_audit_web *w)
{
	SK_UNUSED(w);
	return 0;
}

void sk_audit_web_stats(const struct sk_audit_web *w, struct sk_audit_web_stats *out)
{
	SK_UNUSED(w);
	*out = (struct sk_audit_web_stats){0};
}
