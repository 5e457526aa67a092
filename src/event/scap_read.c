/* scap_read.c — the .scap reader: block framing, metadata blocks (machine,
 * interfaces, users, threads, fds) handed to sk_scap_meta_ops, and event
 * blocks delivered as V2 records (V1 headers upgraded, old layouts converted
 * unless the reader is raw). Facts: shared/reference/scap-format.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "scap_int.h"

#define SHB_MAGIC 0x1A2B3C4Du
#define DEFAULT_MAX_META (256u * 1024u * 1024u)
#define DEFAULT_MAX_LARGE (64u * 1024u * 1024u)
#define MAX_PATH_STR 1024u   /* SCAP_MAX_PATH_SIZE */
#define MAX_ARGS_STR 4096u   /* SCAP_MAX_ARGS_SIZE, ENV, CGROUPS */
#define MAX_CRED_STR 256u    /* MAX_CREDENTIALS_STR_LEN */
#define PPME_NOTIFICATION_E 280
#define PPME_INFRASTRUCTURE_EVENT_E 286

struct sk_scap_reader {
	struct sk_in in;
	struct sk_scap_open_opts opts;
	struct sk_scap_meta_ops ops;
	struct sk_scap_machine mi;
	struct sk_scap_stats stats;
	struct sk_conv conv;
	char name[256];              /* path or "<memory>" for messages */
	uint64_t blk_off;            /* offset of the block last read */
	uint32_t btype, blen;        /* block at the cursor, when have_block */
	bool have_block;
	uint64_t num;
	uint8_t *v1buf;              /* V1 -> V2 header upgrade (SK_SCAP_EVBLOCK_MAX + 4) */
};

/* Fills err with the reader's name and the offset of the current block. */
static int SK_PRINTF(4, 5) rerr(struct sk_scap_reader *r, struct sk_err *err, int code,
				const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	err->offset = (long long)r->blk_off;
	sk_strlcpy(err->file, r->name, sizeof(err->file));
	return code;
}

/* Adds the reader's name and block offset to an err already filled below. */
static int rerr_keep(struct sk_scap_reader *r, struct sk_err *err, int code)
{
	if (err) {
		err->code = code;
		err->offset = (long long)r->blk_off;
		sk_strlcpy(err->file, r->name, sizeof(err->file));
	}
	return code;
}

/* ---- a bounds-checked cursor over a block body ------------------------------ */
struct cur {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static inline bool c_has(const struct cur *c, size_t n) { return !c->bad && c->len - c->pos >= n; }
static inline size_t c_left(const struct cur *c) { return c->bad ? 0 : c->len - c->pos; }

static const uint8_t *c_take(struct cur *c, size_t n)
{
	if (!c_has(c, n)) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *p = c->p + c->pos;
	c->pos += n;
	return p;
}

static uint8_t c_u8(struct cur *c) { const uint8_t *p = c_take(c, 1); return p ? p[0] : 0; }
static uint16_t c_u16(struct cur *c) { const uint8_t *p = c_take(c, 2); return p ? sk_rd16(p) : 0; }
static uint32_t c_u32(struct cur *c) { const uint8_t *p = c_take(c, 4); return p ? sk_rd32(p) : 0; }
static uint64_t c_u64(struct cur *c) { const uint8_t *p = c_take(c, 8); return p ? sk_rd64(p) : 0; }

/* A u16-length string; lengths above max (or >= max when `strict_lt`) fail. */
static bool c_str(struct cur *c, struct sk_bytes *out, uint32_t max, bool strict_lt)
{
	uint16_t n = c_u16(c);
	if (c->bad || n > max || (strict_lt && n == max)) {
		c->bad = true;
		return false;
	}
	const uint8_t *p = c_take(c, n);
	out->p = (const char *)p;
	out->len = p ? n : 0;
	return p != NULL;
}

/* ---- metadata blocks ----------------------------------------------------------- */

static int parse_shb(struct sk_scap_reader *r, struct cur *c, struct sk_err *err)
{
	if (c_left(c) < 16)
		return rerr(r, err, -EINVAL, "section header block too short (%zu body bytes)",
			    c_left(c));
	uint32_t magic = c_u32(c);
	uint16_t major = c_u16(c);
	if (magic != SHB_MAGIC)
		return rerr(r, err, -EINVAL,
			    "section header byte-order magic 0x%08x (expected 0x%08x; byte-swapped files "
			    "are not supported)", magic, SHB_MAGIC);
	if (major > 1)
		return rerr(r, err, -EINVAL, "unsupported capture format major version %u", major);
	/* minor version, section length and options: informational only */
	return 0;
}

static int parse_mi(struct sk_scap_reader *r, struct cur *c)
{
	uint8_t raw[180] = {0};
	size_t n = c_left(c) < sizeof(raw) ? c_left(c) : sizeof(raw);
	memcpy(raw, c->p, n);
	struct sk_scap_machine *mi = &r->mi;
	memset(mi, 0, sizeof(*mi));
	mi->num_cpus = sk_rd32(raw);
	mi->memory_bytes = sk_rd64(raw + 4);
	mi->max_pid = sk_rd64(raw + 12);
	memcpy(mi->hostname, raw + 20, 128);
	mi->hostname[128] = 0;
	mi->boot_ts = sk_rd64(raw + 148);
	mi->flags = sk_rd64(raw + 156);
	if (r->ops.machine)
		return r->ops.machine(r->ops.ctx, mi);
	return 0;
}

static int parse_iface_entry(struct cur *c, struct sk_scap_iface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	ifc->type = c_u16(c);
	uint16_t namelen = c_u16(c);
	size_t alen;
	switch (ifc->type) {
	case 1: case 3: alen = 4; break;
	case 2: case 4: alen = 16; break;
	default: return -1;
	}
	const uint8_t *a = c_take(c, alen), *m = c_take(c, alen), *b = c_take(c, alen);
	if (!a || !m || !b)
		return -2;
	memcpy(ifc->addr, a, alen);
	memcpy(ifc->netmask, m, alen);
	memcpy(ifc->bcast, b, alen);
	if (ifc->type <= 2)
		ifc->linkspeed = c_u64(c);
	if (namelen >= MAX_PATH_STR)
		return -3;
	const uint8_t *nm = c_take(c, namelen);
	if (!nm)
		return -2;
	ifc->name.p = (const char *)nm;
	ifc->name.len = namelen;
	return 0;
}

static int parse_il(struct sk_scap_reader *r, struct cur *c, bool v2, struct sk_err *err)
{
	while (c_left(c) >= 4) {
		struct cur e = *c;
		size_t entry_end = 0;
		if (v2) {
			uint32_t elen = c_u32(c); /* excludes the length field itself */
			if (elen > c_left(c))
				return rerr(r, err, -EINVAL, "interface entry length %u overruns the block",
					    elen);
			e = (struct cur){c->p + c->pos, elen, 0, false};
			entry_end = c->pos + elen;
		}
		struct sk_scap_iface ifc;
		int rc = parse_iface_entry(&e, &ifc);
		if (rc == -1)
			return rerr(r, err, -EINVAL, "unknown interface type %u", ifc.type);
		if (rc == -3)
			return rerr(r, err, -EINVAL, "interface name length %u too long",
				    (unsigned)ifc.name.len);
		if (rc < 0 || e.bad)
			return rerr(r, err, -EINVAL, "interface entry truncated");
		if (v2)
			c->pos = entry_end;
		else
			c->pos = e.pos;
		if (r->ops.iface && (rc = r->ops.iface(r->ops.ctx, &ifc)))
			return rc;
	}
	return 0;
}

static int parse_ul(struct sk_scap_reader *r, struct cur *c, bool v2, struct sk_err *err)
{
	while (c_left(c) >= 4) {
		struct cur e = *c;
		size_t entry_end = 0;
		if (v2) {
			uint32_t elen = c_u32(c); /* includes itself */
			if (elen < 5 || elen - 4 > c_left(c))
				return rerr(r, err, -EINVAL, "user entry length %u invalid", elen);
			e = (struct cur){c->p + c->pos, elen - 4, 0, false};
			entry_end = c->pos + elen - 4;
		}
		uint8_t type = c_u8(&e);
		int rc = 0;
		if (type == 0) {
			struct sk_scap_user u = {0};
			u.uid = c_u32(&e);
			u.gid = c_u32(&e);
			if (!c_str(&e, &u.name, MAX_CRED_STR, true) ||
			    !c_str(&e, &u.homedir, MAX_CRED_STR, true) ||
			    !c_str(&e, &u.shell, MAX_CRED_STR, true))
				return rerr(r, err, -EINVAL, "user entry truncated or string too long");
			if (r->ops.user)
				rc = r->ops.user(r->ops.ctx, &u);
		} else {
			struct sk_scap_group g = {0};
			g.gid = c_u32(&e);
			if (!c_str(&e, &g.name, MAX_CRED_STR, true))
				return rerr(r, err, -EINVAL, "group entry truncated or name too long");
			if (r->ops.group)
				rc = r->ops.group(r->ops.ctx, &g);
		}
		if (rc)
			return rc;
		c->pos = v2 ? entry_end : e.pos;
	}
	return 0;
}

static void thread_defaults(struct sk_scap_thread *t)
{
	memset(t, 0, sizeof(*t));
	t->sid = t->vpgid = t->pgid = -1;
	t->vtid = t->vpid = -1;
	t->loginuid = 0xFFFFFFFFu;
}

/* Parses one thread entry of PL version `ver` (1..9) from e. */
static const char *parse_thread(struct cur *e, int ver, struct sk_scap_thread *t)
{
	thread_defaults(t);
	t->tid = c_u64(e);
	t->pid = c_u64(e);
	t->ptid = c_u64(e);
	if (ver >= 6)
		t->sid = (int64_t)c_u64(e);
	if (ver >= 8)
		t->vpgid = (int64_t)c_u64(e);
	if (!c_str(e, &t->comm, MAX_PATH_STR, false))
		return "comm";
	if (!c_str(e, &t->exe, MAX_PATH_STR, false))
		return "exe";
	if (ver >= 7 && !c_str(e, &t->exepath, MAX_PATH_STR, false))
		return "exepath";
	if (!c_str(e, &t->args, MAX_ARGS_STR, false))
		return "args";
	if (!c_str(e, &t->cwd, MAX_PATH_STR, false))
		return "cwd";
	t->fdlimit = c_u64(e);
	t->flags = c_u32(e);
	t->uid = c_u32(e);
	t->gid = c_u32(e);
	if (ver >= 2) {
		t->vmsize_kb = c_u32(e);
		t->vmrss_kb = c_u32(e);
		t->vmswap_kb = c_u32(e);
		t->pfmajor = c_u64(e);
		t->pfminor = c_u64(e);
	}
	if (ver >= 3 && !c_str(e, &t->env, MAX_ARGS_STR, false))
		return "env";
	if (ver >= 4) {
		t->vtid = (int64_t)c_u64(e);
		t->vpid = (int64_t)c_u64(e);
		if (!c_str(e, &t->cgroups, MAX_ARGS_STR, false))
			return "cgroups";
	}
	if (ver >= 5 && !c_str(e, &t->root, MAX_PATH_STR, false))
		return "root";
	if (e->bad)
		return "fixed fields";
	if (ver < 9)
		return NULL;
	/* PL_V9 tail: each field only if the entry still has room. Writers of
	 * libs < 0.10 put loginuid.. directly after root (<= 29 bytes). */
	if (c_left(e) > 29) {
		t->pidns_init_start_ts = c_u64(e);
		if (c_has(e, 4))
			t->tty = c_u32(e);
	}
	if (c_has(e, 4))
		t->loginuid = c_u32(e);
	if (c_has(e, 1))
		t->exe_writable = c_u8(e) != 0;
	if (c_has(e, 8))
		t->cap_inheritable = c_u64(e);
	if (c_has(e, 8))
		t->cap_permitted = c_u64(e);
	if (c_has(e, 8))
		t->cap_effective = c_u64(e);
	if (c_has(e, 1))
		t->exe_upper_layer = c_u8(e) != 0;
	if (c_has(e, 8))
		t->exe_ino = c_u64(e);
	if (c_has(e, 8))
		t->exe_ino_ctime = c_u64(e);
	if (c_has(e, 8))
		t->exe_ino_mtime = c_u64(e);
	if (c_has(e, 1))
		t->exe_from_memfd = c_u8(e) != 0;
	if (c_has(e, 1))
		t->exe_lower_layer = c_u8(e) != 0;
	if (c_has(e, 8))
		t->pgid = (int64_t)c_u64(e);
	return NULL;
}

static int parse_pl(struct sk_scap_reader *r, struct cur *c, int ver, struct sk_err *err)
{
	while (c_left(c) >= 4) {
		struct cur e = *c;
		size_t entry_end = 0;
		if (ver >= 9) {
			uint32_t elen = c_u32(c); /* includes itself */
			if (elen < 4 || elen - 4 > c_left(c))
				return rerr(r, err, -EINVAL, "thread entry length %u invalid", elen);
			e = (struct cur){c->p + c->pos, elen - 4, 0, false};
			entry_end = c->pos + elen - 4;
		}
		struct sk_scap_thread t;
		const char *what = parse_thread(&e, ver, &t);
		if (what)
			return rerr(r, err, -EINVAL,
				    "process list (v%d) entry at body byte %zu: %s truncated or too long",
				    ver, c->pos, what);
		c->pos = ver >= 9 ? entry_end : e.pos;
		int rc;
		if (r->ops.thread && (rc = r->ops.thread(r->ops.ctx, &t)))
			return rc;
	}
	return 0;
}

static bool fd_name(struct cur *e, struct sk_scap_fd *f)
{
	return c_str(e, &f->name, MAX_PATH_STR, true);
}

/* Parses one fd payload; returns NULL or what failed. `limit` is whether the
 * entry has a known end (FDL_V2) so optional/unknown parts can be handled. */
static const char *parse_fd(struct cur *e, bool v2, struct sk_scap_fd *f, char *namebuf,
			    size_t namecap)
{
	memset(f, 0, sizeof(*f));
	f->fd = (int64_t)c_u64(e);
	f->ino = c_u64(e);
	f->type = c_u8(e);
	if (e->bad)
		return "header";
	switch (f->type) {
	case SK_FD_UNKNOWN:
		break;
	case SK_FD_IPV4_SOCK: {
		const uint8_t *s = c_take(e, 4), *d = c_take(e, 4);
		if (s && d) {
			memcpy(f->sip, s, 4);
			memcpy(f->dip, d, 4);
		}
		f->sport = c_u16(e);
		f->dport = c_u16(e);
		f->l4proto = c_u8(e);
		break;
	}
	case SK_FD_IPV6_SOCK: {
		const uint8_t *s = c_take(e, 16), *d = c_take(e, 16);
		if (s && d) {
			memcpy(f->sip, s, 16);
			memcpy(f->dip, d, 16);
		}
		f->sport = c_u16(e);
		f->dport = c_u16(e);
		f->l4proto = c_u8(e);
		break;
	}
	case SK_FD_IPV4_SERVSOCK: {
		const uint8_t *s = c_take(e, 4);
		if (s)
			memcpy(f->sip, s, 4);
		f->sport = c_u16(e);
		f->l4proto = c_u8(e);
		break;
	}
	case SK_FD_IPV6_SERVSOCK: {
		const uint8_t *s = c_take(e, 16);
		if (s)
			memcpy(f->sip, s, 16);
		f->sport = c_u16(e);
		f->l4proto = c_u8(e);
		break;
	}
	case SK_FD_UNIX_SOCK:
		f->unix_src = c_u64(e);
		f->unix_dst = c_u64(e);
		if (!fd_name(e, f))
			return "unix socket name";
		break;
	case SK_FD_FILE_V2:
		f->open_flags = c_u32(e);
		if (!fd_name(e, f))
			return "file name";
		if (v2 && c_has(e, 4))
			f->dev = c_u32(e);
		break;
	case SK_FD_FILE: case SK_FD_DIRECTORY: case SK_FD_FIFO: case SK_FD_EVENT:
	case SK_FD_UNSUPPORTED: case SK_FD_SIGNALFD: case SK_FD_EVENTPOLL: case SK_FD_INOTIFY:
	case SK_FD_TIMERFD: case SK_FD_NETLINK: case SK_FD_BPF: case SK_FD_USERFAULTFD:
	case SK_FD_IOURING: case SK_FD_MEMFD: case SK_FD_PIDFD:
		if (!fd_name(e, f))
			return "name";
		break;
	default:
		if (!v2)
			return "type (unknown, cannot be skipped in an FDL v1 block)";
		/* Skipped with the entry length; reported as unsupported, named
		 * as libscap names it. */
		f->name.p = namebuf;
		f->name.len = (uint32_t)snprintf(namebuf, namecap, "unknown-type:[%u]", f->type);
		f->type = SK_FD_UNSUPPORTED;
		e->pos = e->len;
		break;
	}
	return e->bad ? "payload" : NULL;
}

static int parse_fdl(struct sk_scap_reader *r, struct cur *c, bool v2, struct sk_err *err)
{
	uint64_t tid = c_u64(c);
	if (c->bad)
		return rerr(r, err, -EINVAL, "fd list block too short");
	while (c_left(c) >= 4) {
		struct cur e = *c;
		size_t entry_end = 0;
		if (v2) {
			uint32_t elen = c_u32(c);
			if (elen < 4 || elen - 4 > c_left(c))
				return rerr(r, err, -EINVAL, "fd entry length %u invalid", elen);
			e = (struct cur){c->p + c->pos, elen - 4, 0, false};
			entry_end = c->pos + elen - 4;
		}
		struct sk_scap_fd f;
		char namebuf[32];
		const char *what = parse_fd(&e, v2, &f, namebuf, sizeof(namebuf));
		if (what)
			return rerr(r, err, -EINVAL, "fd list entry at body byte %zu (tid %llu): %s "
				    "truncated or too long", c->pos, (unsigned long long)tid, what);
		c->pos = v2 ? entry_end : e.pos;
		int rc;
		if (r->ops.fd && (rc = r->ops.fd(r->ops.ctx, tid, &f)))
			return rc;
	}
	return 0;
}

/* ---- block framing ------------------------------------------------------------- */

static uint32_t canonical_type(uint32_t t)
{
	switch (t) {
	case 0x8002ABCDu: return SK_BLOCK_MI;
	case 0x8000ABCDu: return SK_BLOCK_PL_V1;
	case 0x8013ABCDu: return SK_BLOCK_PL_V2;
	case 0x8014ABCDu: return SK_BLOCK_PL_V3;
	case 0x8001ABCDu: return SK_BLOCK_FDL;
	case 0x8010ABCDu: return SK_BLOCK_EV;
	case 0x8011ABCDu: return SK_BLOCK_IL;
	case 0x8012ABCDu: return SK_BLOCK_UL;
	default: return t;
	}
}

static bool is_event_block(uint32_t t)
{
	switch (t) {
	case SK_BLOCK_EV: case SK_BLOCK_EVF: case SK_BLOCK_EV_V2: case SK_BLOCK_EVF_V2:
	case SK_BLOCK_EV_V2_LARGE: case SK_BLOCK_EVF_V2_LARGE:
		return true;
	default:
		return false;
	}
}

/* Reads the next whole block into the window (not consumed). Returns 1, 0 at a
 * clean end of input, or a negative code. */
static int read_block(struct sk_scap_reader *r, struct sk_err *err)
{
	if (r->have_block)
		return 1;
	r->blk_off = r->in.off;
	int n = sk_in_need(&r->in, 8, err);
	if (n < 0)
		return rerr_keep(r, err, n);
	if (n == 0)
		return 0;
	if (n < 8)
		return rerr(r, err, -EINVAL, "truncated block header (%d of 8 bytes)", n);
	const uint8_t *h = r->in.buf + r->in.start;
	uint32_t raw = sk_rd32(h), type = canonical_type(raw), blen = sk_rd32(h + 4);
	uint32_t max;
	if (type == SK_BLOCK_EV_V2_LARGE || type == SK_BLOCK_EVF_V2_LARGE)
		max = r->opts.max_large_event;
	else if (is_event_block(type))
		max = SK_SCAP_EVBLOCK_MAX + 8;
	else
		max = r->opts.max_meta_block;
	if (blen < 12)
		return rerr(r, err, -EINVAL, "block type 0x%x: length %u shorter than 12", raw, blen);
	if (blen > max)
		return rerr(r, err, -EINVAL, "block type 0x%x: length %u exceeds the limit %u", raw,
			    blen, max);
	n = sk_in_need(&r->in, blen, err);
	if (n < 0)
		return rerr_keep(r, err, n);
	if ((uint32_t)n < blen)
		return rerr(r, err, -EINVAL,
			    "truncated block type 0x%x: length %u but only %d bytes left", raw, blen, n);
	r->btype = type;
	r->blen = blen;
	r->have_block = true;
	r->stats.blocks++;
	return 1;
}

static void consume_block(struct sk_scap_reader *r)
{
	sk_in_consume(&r->in, r->blen);
	r->have_block = false;
}

/* Handles the metadata block at the cursor (not an event block). */
static int handle_meta(struct sk_scap_reader *r, struct sk_err *err)
{
	const uint8_t *b = r->in.buf + r->in.start;
	uint32_t trailer = sk_rd32(b + r->blen - 4);
	if (trailer != r->blen)
		return rerr(r, err, -EINVAL, "block type 0x%x: trailer %u does not match length %u",
			    r->btype, trailer, r->blen);
	struct cur c = {b + 8, r->blen - 12, 0, false};
	int rc = 0;
	switch (r->btype) {
	case SK_BLOCK_SHB: rc = parse_shb(r, &c, err); break;
	case SK_BLOCK_MI: rc = parse_mi(r, &c); break;
	case SK_BLOCK_IL: rc = parse_il(r, &c, false, err); break;
	case SK_BLOCK_IL_V2: rc = parse_il(r, &c, true, err); break;
	case SK_BLOCK_UL: rc = parse_ul(r, &c, false, err); break;
	case SK_BLOCK_UL_V2: rc = parse_ul(r, &c, true, err); break;
	case SK_BLOCK_PL_V1: rc = parse_pl(r, &c, 1, err); break;
	case SK_BLOCK_PL_V2: rc = parse_pl(r, &c, 2, err); break;
	case SK_BLOCK_PL_V3: rc = parse_pl(r, &c, 3, err); break;
	case SK_BLOCK_PL_V4: rc = parse_pl(r, &c, 4, err); break;
	case SK_BLOCK_PL_V5: rc = parse_pl(r, &c, 5, err); break;
	case SK_BLOCK_PL_V6: rc = parse_pl(r, &c, 6, err); break;
	case SK_BLOCK_PL_V7: rc = parse_pl(r, &c, 7, err); break;
	case SK_BLOCK_PL_V8: rc = parse_pl(r, &c, 8, err); break;
	case SK_BLOCK_PL_V9: rc = parse_pl(r, &c, 9, err); break;
	case SK_BLOCK_FDL: rc = parse_fdl(r, &c, false, err); break;
	case SK_BLOCK_FDL_V2: rc = parse_fdl(r, &c, true, err); break;
	default:
		r->stats.unknown_blocks++; /* skipped by its length */
		break;
	}
	if (rc > 0 || (rc < 0 && err && err->code != rc))
		rerr(r, err, rc > 0 ? -ECANCELED : rc, "metadata consumer aborted with %d", rc);
	return rc > 0 ? -ECANCELED : rc;
}

/* Starts a section: the SHB is at the cursor. Reads metadata blocks up to the
 * first event block, which stays at the cursor. */
static int read_section(struct sk_scap_reader *r, struct sk_err *err)
{
	int rc = handle_meta(r, err); /* the SHB */
	if (rc)
		return rc;
	r->stats.sections++;
	consume_block(r);
	for (;;) {
		rc = read_block(r, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return rerr(r, err, -EINVAL, "no events in file");
		if (is_event_block(r->btype))
			return 0;
		if (r->btype == SK_BLOCK_SHB)
			return rerr(r, err, -EINVAL, "section header with no events before it");
		rc = handle_meta(r, err);
		if (rc)
			return rc;
		consume_block(r);
	}
}

static struct sk_scap_reader *reader_new(const char *name, const struct sk_scap_open_opts *opts,
					 const struct sk_scap_meta_ops *ops)
{
	struct sk_scap_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (opts)
		r->opts = *opts;
	if (!r->opts.max_meta_block)
		r->opts.max_meta_block = DEFAULT_MAX_META;
	if (!r->opts.max_large_event)
		r->opts.max_large_event = DEFAULT_MAX_LARGE;
	if (ops)
		r->ops = *ops;
	sk_strlcpy(r->name, name, sizeof(r->name));
	sk_conv_init(&r->conv);
	return r;
}

static struct sk_scap_reader *reader_start(struct sk_scap_reader *r, struct sk_err *err)
{
	int rc = read_block(r, err);
	if (rc == 0)
		rc = rerr(r, err, -EINVAL, "empty file (no section header)");
	if (rc < 0)
		goto fail;
	if (r->btype != SK_BLOCK_SHB) {
		rc = rerr(r, err, -EINVAL,
			  "not a scap capture: first block type 0x%x is not a section header",
			  sk_rd32(r->in.buf + r->in.start));
		goto fail;
	}
	if (r->ops.section && (rc = r->ops.section(r->ops.ctx))) {
		rerr(r, err, -ECANCELED, "metadata consumer aborted with %d", rc);
		goto fail;
	}
	if ((rc = read_section(r, err)))
		goto fail;
	return r;
fail:
	sk_scap_close(r);
	return NULL;
}

struct sk_scap_reader *sk_scap_open_ex(const char *path, const struct sk_scap_open_opts *opts,
				       const struct sk_scap_meta_ops *ops, struct sk_err *err)
{
	sk_err_clear(err);
	struct sk_scap_reader *r = reader_new(path, opts, ops);
	if (!r) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	int rc = sk_in_open_file(&r->in, path);
	if (rc) {
		if (err) {
			sk_err_set(err, rc, "cannot open: %s", strerror(-rc));
			sk_strlcpy(err->file, path, sizeof(err->file));
		}
		sk_scap_close(r);
		return NULL;
	}
	return reader_start(r, err);
}

struct sk_scap_reader *sk_scap_open(const char *path, const struct sk_scap_meta_ops *ops,
				    struct sk_err *err)
{
	return sk_scap_open_ex(path, NULL, ops, err);
}

struct sk_scap_reader *sk_scap_open_mem(const void *data, size_t len,
					const struct sk_scap_open_opts *opts,
					const struct sk_scap_meta_ops *ops, struct sk_err *err)
{
	sk_err_clear(err);
	struct sk_scap_reader *r = reader_new("<memory>", opts, ops);
	if (!r || sk_in_open_mem(&r->in, data, len)) {
		sk_err_set(err, -ENOMEM, "out of memory");
		sk_scap_close(r);
		return NULL;
	}
	return reader_start(r, err);
}

void sk_scap_close(struct sk_scap_reader *r)
{
	if (!r)
		return;
	sk_in_close(&r->in);
	sk_conv_done(&r->conv);
	free(r->v1buf);
	free(r);
}

uint64_t sk_scap_offset(const struct sk_scap_reader *r) { return r->blk_off; }
const struct sk_scap_machine *sk_scap_machine_info(const struct sk_scap_reader *r)
{
	return &r->mi;
}
const struct sk_scap_stats *sk_scap_stats(const struct sk_scap_reader *r)
{
	struct sk_scap_reader *w = (struct sk_scap_reader *)r;
	w->stats.stored_evicted = r->conv.evicted;
	return &r->stats;
}

/* ---- events ---------------------------------------------------------------------- */

/* Upgrades a V1 record (22-byte header, no nparams) to V2 in r->v1buf by
 * inferring nparams from the lengths, as libscap does. */
static int upgrade_v1(struct sk_scap_reader *r, const uint8_t *rec, uint32_t avail,
		      const uint8_t **out, struct sk_err *err)
{
	uint32_t len = sk_rd32(rec + 16);
	uint16_t type = sk_rd16(rec + 20);
	if (len < SK_EVENT_HDR_V1_LEN || len > avail)
		return rerr(r, err, -EINVAL, "event (v1) length %u out of bounds (%u available)", len,
			    avail);
	if (!r->v1buf && !(r->v1buf = malloc(SK_SCAP_EVBLOCK_MAX + 8)))
		return rerr(r, err, -ENOMEM, "out of memory");
	uint8_t *v = r->v1buf;
	memcpy(v, rec, SK_EVENT_HDR_V1_LEN);
	memcpy(v + SK_EVENT_HDR_LEN, rec + SK_EVENT_HDR_V1_LEN, len - SK_EVENT_HDR_V1_LEN);
	len += 4;
	/* Old writers stored these two lengths 3 bytes too long. */
	if (type == PPME_NOTIFICATION_E || type == PPME_INFRASTRUCTURE_EVENT_E) {
		if (len < SK_EVENT_HDR_LEN + 3)
			return rerr(r, err, -EINVAL, "event (v1) type %u: length %u too short", type,
				    len - 4);
		len -= 3;
	}
	sk_wr32(v + 16, len);
	const uint8_t *lens = v + SK_EVENT_HDR_LEN;
	uint32_t body = len - SK_EVENT_HDR_LEN;
	int found = -1;
	for (int np = sk_event_table[type].nparams; np >= 0; np--) {
		uint64_t need = 2u * (uint64_t)np;
		if (need > body)
			continue;
		for (int i = 0; i < np; i++)
			need += sk_rd16(lens + 2 * i);
		if (need < body)
			return rerr(r, err, -EINVAL,
				    "event (v1) type %u: cannot infer the parameter count (corrupted)",
				    type);
		if (need == body) {
			found = np;
			break;
		}
	}
	if (found < 0)
		return rerr(r, err, -EINVAL,
			    "event (v1) type %u: cannot infer the parameter count (corrupted)", type);
	sk_wr32(v + 20 + 2, (uint32_t)found);
	*out = v;
	return 0;
}

int sk_scap_next(struct sk_scap_reader *r, struct sk_event *ev, struct sk_err *err)
{
	for (;;) {
		int rc = read_block(r, err);
		if (rc <= 0)
			return rc;
		if (!is_event_block(r->btype)) {
			if (r->btype != SK_BLOCK_SHB)
				return rerr(r, err, -EINVAL,
					    "unexpected block type 0x%x after event blocks", r->btype);
			/* A new section: its consumer resets, then gets the new metadata. */
			sk_conv_reset(&r->conv);
			if (r->ops.section && (rc = r->ops.section(r->ops.ctx)))
				return rerr(r, err, -ECANCELED, "metadata consumer aborted with %d", rc);
			if ((rc = read_section(r, err)))
				return rc;
			continue;
		}
		const uint8_t *b = r->in.buf + r->in.start;
		uint32_t t = r->btype;
		bool v2 = t != SK_BLOCK_EV && t != SK_BLOCK_EVF;
		bool has_flags = t == SK_BLOCK_EVF || t == SK_BLOCK_EVF_V2 || t == SK_BLOCK_EVF_V2_LARGE;
		uint32_t hdr = v2 ? SK_EVENT_HDR_LEN : SK_EVENT_HDR_V1_LEN;
		uint32_t body = r->blen - 12;      /* without header and trailer */
		uint32_t evoff = has_flags ? 6 : 2;
		if (body < evoff + hdr)
			return rerr(r, err, -EINVAL, "event block length %u too short", r->blen);
		uint16_t cpuid = sk_rd16(b + 8);
		uint32_t dflags = has_flags ? sk_rd32(b + 10) : 0;
		const uint8_t *rec = b + 8 + evoff;
		uint32_t avail = body - evoff;
		r->stats.events_read++;
		uint16_t type = sk_rd16(rec + 20);
		if (type >= SK_EVENT_MAX) {
			/* written by a newer producer: skipped, as libscap does */
			r->stats.events_dropped++;
			consume_block(r);
			continue;
		}
		if (!v2) {
			if ((rc = upgrade_v1(r, rec, avail, &rec, err)))
				return rc;
			avail = sk_rd32(rec + 16);
		}
		if ((rc = sk_event_decode(ev, rec, avail, err))) {
			char msg[sizeof(err->msg)];
			sk_strlcpy(msg, err ? err->msg : "", sizeof(msg));
			return rerr(r, err, rc, "invalid event: %s", msg);
		}
		if (!r->opts.raw) {
			const uint8_t *out;
			uint32_t out_len;
			bool conv = false;
			rc = sk_conv_event(&r->conv, rec, ev->len, &out, &out_len, &conv, err);
			if (rc < 0) {
				char msg[sizeof(err->msg)];
				sk_strlcpy(msg, err ? err->msg : "", sizeof(msg));
				return rerr(r, err, rc, "event conversion: %s", msg);
			}
			if (rc == 0) {
				r->stats.events_dropped++;
				consume_block(r);
				continue;
			}
			if (conv) {
				r->stats.events_converted++;
				if ((rc = sk_event_decode(ev, out, out_len, err))) {
					char msg[sizeof(err->msg)];
					sk_strlcpy(msg, err ? err->msg : "", sizeof(msg));
					return rerr(r, err, rc, "converted event invalid: %s", msg);
				}
			}
		}
		/* The view stays valid: the window is only compacted by the next read. */
		consume_block(r);
		ev->cpuid = cpuid;
		ev->dump_flags = dflags;
		ev->num = ++r->num;
		return 1;
	}
}
