/* fields_container.c — container.*, k8s.* and proc.is_container_* (the
 * container plugin's fields). Only what the cgroup match gives is known
 * without a runtime client: container.id/full_id/type, and name "host" for
 * host processes. Everything else is registered (so rules load) and has no
 * value until runtime metadata exists. */
#include "fields_priv.h"
#include "state/state.h"

size_t sk_fx_container(const struct sk_fieldref *f, struct sk_eval_ctx *c,
		       struct sk_value *out, size_t max)
{
	(void)max;
	struct sk_thread *t = sk_fields_thread(c);
	if (!t)
		return 0;
	const struct sk_container *ct = t->container;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_CONTAINER_ID:
		return sk_val_cstr(out, sk_thread_container_id(t));
	case SK_F_CONTAINER_FULL_ID:
		return sk_val_cstr(out, ct ? ct->full_id : "host");
	case SK_F_CONTAINER_TYPE:
		return ct ? (ct->type ? sk_val_cstr(out, ct->type) : 0) : sk_val_cstr(out, "host");
	case SK_F_CONTAINER_NAME:
		return ct ? 0 : sk_val_cstr(out, "host");
	default:
		return 0;
	}
}
