/* fields_user.c — user.* and group.*: the event thread's uid/gid/loginuid
 * resolved through the user and group lists of its container (host lists
 * for host processes). */
#include "fields_priv.h"
#include "state/state.h"

size_t sk_fx_user(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max)
{
	(void)max;
	struct sk_thread *t = sk_fields_thread(c);
	if (!t)
		return 0;
	const char *cid = sk_thread_container_id(t);
	const struct sk_user *u;
	const struct sk_group *g;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_USER_UID:
		return sk_val_u64(out, SK_PT_UINT32, t->uid);
	case SK_F_USER_NAME:
	case SK_F_USER_HOMEDIR:
	case SK_F_USER_SHELL:
		u = sk_state_user(c->state, cid, t->uid);
		if (!u)
			return 0;
		return sk_val_cstr(out, f->def->id == SK_F_USER_NAME	  ? u->name
					: f->def->id == SK_F_USER_HOMEDIR ? u->homedir
									  : u->shell);
	case SK_F_USER_LOGINUID:
		return sk_val_s64(out, SK_PT_INT64, (int64_t)(int32_t)t->loginuid);
	case SK_F_USER_LOGINNAME:
		if (t->loginuid == UINT32_MAX)
			return 0;
		u = sk_state_user(c->state, cid, t->loginuid);
		return u ? sk_val_cstr(out, u->name) : 0;
	case SK_F_GROUP_GID:
		return sk_val_u64(out, SK_PT_UINT32, t->gid);
	case SK_F_GROUP_NAME:
		g = sk_state_group(c->state, cid, t->gid);
		return g ? sk_val_cstr(out, g->name) : 0;
	default:
		return 0;
	}
}
