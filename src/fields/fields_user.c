/* fields_user.c — user.* and group.*: the event thread's uid/gid/loginuid
 * resolved through the user and group lists of its container (host lists
 * for host processes). */
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

/* libsinsp answers for a uid missing from the user list with a stand-in
 * user: name "root" (uid 0) or the literal "<NA>", homedir "/root" or
 * "<NA>", shell "<NA>". These are values (user.loginname for loginuid -1
 * is the string "<NA>" in JSON output_fields, not null). */
static size_t unknown_user(const struct sk_fieldref *f, uint32_t uid, struct sk_value *out)
{
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_USER_NAME:
	case SK_F_USER_LOGINNAME:
		return sk_val_cstr(out, uid == 0 ? "root" : "<NA>");
	case SK_F_USER_HOMEDIR:
		return sk_val_cstr(out, uid == 0 ? "/root" : "<NA>");
	default:
		return sk_val_cstr(out, "<NA>");
	}
}

/* The user tables an id of t is looked up in: as libsinsp, its container's
 * own (live saker reads them from the container's /etc; a capture has none,
 * so Falco 0.44 replaying one finds no user for a container process: the
 * stand-in, "<NA>" in evt.args), the host's for a host process. sysdig 0.29
 * (saker inspect) looked every id up in the host's list. */
static const char *tables_of(const struct sk_eval_ctx *c, const struct sk_thread *t)
{
	return c->sysdig ? "host" : sk_thread_container_id(t);
}

const struct sk_user *sk_fields_user(struct sk_eval_ctx *c, const struct sk_thread *t,
				     uint32_t uid)
{
	return sk_state_user(c->state, tables_of(c, t), uid);
}

const struct sk_group *sk_fields_group(struct sk_eval_ctx *c, const struct sk_thread *t,
				       uint32_t gid)
{
	return sk_state_group(c->state, tables_of(c, t), gid);
}

size_t sk_fx_user(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max)
{
	(void)max;
	struct sk_thread *t = sk_fields_thread(c);
	if (!t)
		return 0;
	const struct sk_user *u;
	const struct sk_group *g;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_USER_UID:
		return sk_val_u64(out, SK_PT_UINT32, t->uid);
	case SK_F_USER_NAME:
	case SK_F_USER_HOMEDIR:
	case SK_F_USER_SHELL:
		u = sk_fields_user(c, t, t->uid);
		if (!u)
			return unknown_user(f, t->uid, out);
		return sk_val_cstr(out, f->def->id == SK_F_USER_NAME	  ? u->name
					: f->def->id == SK_F_USER_HOMEDIR ? u->homedir
									  : u->shell);
	case SK_F_USER_LOGINUID:
		return sk_val_s64(out, SK_PT_INT64, (int64_t)(int32_t)t->loginuid);
	case SK_F_USER_LOGINNAME:
		u = sk_fields_user(c, t, t->loginuid);
		return u ? sk_val_cstr(out, u->name) : unknown_user(f, t->loginuid, out);
	case SK_F_GROUP_GID:
		return sk_val_u64(out, SK_PT_UINT32, t->gid);
	case SK_F_GROUP_NAME:
		g = sk_fields_group(c, t, t->gid);
		return sk_val_cstr(out, g ? g->name : t->gid == 0 ? "root" : "<NA>");
	default:
		return 0;
	}
}
