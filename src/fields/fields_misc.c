/* fields_misc.c — the small classes: fdlist.* (the fd lists of poll events)
 * and fs.path.* (the path an open-family syscall operated on), as current
 * libsinsp gives them; util.* has no value yet (see docs/fields.md). */
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

/* Event codes (the current table) these fields read. */
enum {
	EV_OPEN_X = 3,
	EV_CREAT_X = 59,
	EV_OPENAT_2_X = 307,
	EV_OPENAT2_X = 327,
	PPM_AT_FDCWD = -100,
	FDLIST_ENTRY = 10, /* int64 fd + int16 poll flags */
};

static int64_t get_s64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

/* One fd of the list as the field shows it; returns 0 to skip it, 1 when
 * appended, -1 when the buffer is full. */
static int fdlist_item(enum sk_field_id id, int64_t fd, const struct sk_fdinfo *fi,
		       struct sk_buf *b)
{
	bool v4 = fi && fi->type == SK_FD_IPV4_SOCK, v6 = fi && fi->type == SK_FD_IPV6_SOCK;
	switch (id) {
	case SK_F_FDLIST_NUMS:
		return sk_buf_printf(b, "%lld", (long long)fd) < 0 ? -1 : 1;
	case SK_F_FDLIST_NAMES:
		if (!fi)
			return 0;
		if (!fi->name.len)
			return sk_buf_puts(b, "<NA>") < 0 ? -1 : 1;
		return sk_buf_append(b, fi->name.s, fi->name.len) < 0 ? -1 : 1;
	case SK_F_FDLIST_CIPS:
	case SK_F_FDLIST_SIPS:
		if (!v4 && !v6)
			return 0;
		return sk_render_ip(id == SK_F_FDLIST_CIPS ? fi->sip : fi->dip, v6, b) < 0 ? -1 : 1;
	case SK_F_FDLIST_CPORTS:
	case SK_F_FDLIST_SPORTS:
		if (!v4 && !v6)
			return 0;
		return sk_buf_printf(b, "%u", id == SK_F_FDLIST_CPORTS ? fi->sport : fi->dport) < 0
			       ? -1
			       : 1;
	default:
		return 0;
	}
}

/* fdlist.*: one item per fd of the event's "fds" parameter, joined by ','
 * (no value when none is shown). */
static size_t fdlist(enum sk_field_id id, struct sk_eval_ctx *c, struct sk_value *out)
{
	const struct sk_event *ev = c->ev;
	int i = ev ? sk_event_param_index(ev->info, "fds") : -1;
	uint32_t len;
	const uint8_t *p = i >= 0 && (uint32_t)i < ev->nparams ? sk_event_param(ev, (unsigned)i, &len)
							       : NULL;
	struct sk_thread *t = sk_fields_thread(c);
	if (!p || len < 2 || !t)
		return 0;
	unsigned n = (unsigned)p[0] | (unsigned)p[1] << 8;
	struct sk_buf *b = sk_fields_scratch(c);
	bool any = false;
	for (unsigned k = 0; k < n && 2 + (k + 1) * FDLIST_ENTRY <= len; k++) {
		int64_t fd = get_s64le(p + 2 + k * FDLIST_ENTRY);
		size_t mark = b->len;
		if (any && sk_buf_putc(b, ',') < 0)
			return 0;
		int r = fdlist_item(id, fd, sk_state_fd(c->state, t, fd), b);
		if (r < 0)
			return 0;
		if (r == 0)
			b->len = mark;
		else
			any = true;
	}
	return any ? sk_val_buf(out, b) : 0;
}

/* fs.path.name / nameraw of the open family: the path as passed, and made
 * absolute with the cwd or the dirfd. */
static size_t fs_path(enum sk_field_id id, struct sk_eval_ctx *c, struct sk_value *out)
{
	const struct sk_event *ev = c->ev;
	struct sk_thread *t = sk_fields_thread(c);
	if (!ev || !t || (id != SK_F_FS_PATH_NAME && id != SK_F_FS_PATH_NAMERAW))
		return 0;
	unsigned pi, di = 0;
	switch (ev->type) {
	case EV_OPEN_X:
	case EV_CREAT_X:
		pi = 1;
		break;
	case EV_OPENAT_2_X:
	case EV_OPENAT2_X:
		pi = 2;
		di = 1;
		break;
	default:
		return 0;
	}
	const char *path = pi < ev->nparams ? sk_event_get_str(ev, pi) : NULL;
	if (!path)
		return 0;
	if (id == SK_F_FS_PATH_NAMERAW)
		return sk_val_cstr(out, path);
	int64_t dirfd = PPM_AT_FDCWD;
	if (di && (di >= ev->nparams || !sk_event_get_s64(ev, di, &dirfd)))
		return 0;
	struct sk_buf *b = sk_fields_scratch(c);
	return sk_fields_dirfd_path(c, t, dirfd, path, b) ? sk_val_buf(out, b) : 0;
}

size_t sk_fx_misc(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max)
{
	(void)max;
	enum sk_field_id id = (enum sk_field_id)f->def->id;
	switch (id) {
	case SK_F_FDLIST_NUMS:
	case SK_F_FDLIST_NAMES:
	case SK_F_FDLIST_CIPS:
	case SK_F_FDLIST_SIPS:
	case SK_F_FDLIST_CPORTS:
	case SK_F_FDLIST_SPORTS:
		return fdlist(id, c, out);
	case SK_F_FS_PATH_NAME:
	case SK_F_FS_PATH_NAMERAW:
		return fs_path(id, c, out);
	default:
		return 0;
	}
}
