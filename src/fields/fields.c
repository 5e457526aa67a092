/* fields.c — the field registry: lookup (longest prefix), binding of a
 * field to its argument, the evaluation context and text rendering of
 * extracted values. Class files (fields_*.c) do the extraction. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

const char *sk_source_name(enum sk_source s)
{
	switch (s) {
	case SK_SRC_SYSCALL:
		return "syscall";
	case SK_SRC_K8S_AUDIT:
		return "k8s_audit";
	default:
		return "unknown";
	}
}

int sk_source_parse(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "syscall") == 0)
		return SK_SRC_SYSCALL;
	if (strcmp(name, "k8s_audit") == 0)
		return SK_SRC_K8S_AUDIT;
	return -1;
}

size_t sk_fields_foreach(int source, void (*fn)(const struct sk_field_info *f, void *ctx),
			 void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < sk_field_defs_count; i++) {
		const struct sk_field_info *f = &sk_field_defs[i].info;
		if (source >= 0 && f->source >= 0 && f->source != source)
			continue;
		if (fn)
			fn(f, ctx);
		n++;
	}
	return n;
}

static const struct sk_field_def *lookup_def(enum sk_source src, const char *name,
					     size_t *matched)
{
	const struct sk_field_def *best = NULL;
	size_t bestlen = 0;
	for (size_t i = 0; i < sk_field_defs_count; i++) {
		const struct sk_field_def *d = &sk_field_defs[i];
		if (d->info.source >= 0 && d->info.source != (int)src)
			continue;
		size_t n = strlen(d->info.name);
		if (n <= bestlen || strncmp(name, d->info.name, n) != 0)
			continue;
		char next = name[n];
		if (next == 0 || next == '[' ||
		    (next == '.' && (d->info.flags & SK_FF_ARG_DOTTED))) {
			best = d;
			bestlen = n;
		}
	}
	if (matched)
		*matched = bestlen;
	return best;
}

const struct sk_field_info *sk_fields_lookup(enum sk_source src, const char *name,
					     size_t *matched)
{
	const struct sk_field_def *d = lookup_def(src, name, matched);
	return d ? &d->info : NULL;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

/* Resolves evt.arg.NAME / evt.rawarg.NAME into a per-event-code index table.
 * Returns the type of the first event carrying the param, or -1. */
static int bind_param_name(struct sk_fieldref *f, const char *pname, uint8_t *fmt)
{
	int type = -1;
	f->argidx = malloc(SK_EVENT_MAX);
	if (!f->argidx)
		return -2;
	for (unsigned code = 0; code < SK_EVENT_MAX; code++) {
		const struct sk_event_info *ei = &sk_event_table[code];
		int idx = sk_event_param_index(ei, pname);
		f->argidx[code] = idx >= 0 ? (uint8_t)idx : SK_ARGIDX_NONE;
		if (idx >= 0 && type < 0) {
			type = ei->params[idx].type;
			*fmt = ei->params[idx].fmt;
		}
	}
	return type;
}

static int bind_event_name(struct sk_fieldref *f, const char *ename)
{
	bool any = false;
	f->argidx = malloc(SK_EVENT_MAX);
	if (!f->argidx)
		return -ENOMEM;
	for (unsigned code = 0; code < SK_EVENT_MAX; code++) {
		bool m = strcmp(sk_event_table[code].name, ename) == 0;
		f->argidx[code] = m;
		any |= m;
	}
	return any ? 0 : -ENOENT;
}

static bool parse_index(const char *s, int64_t *out)
{
	return s && *s && sk_parse_i64(s, out) == 0 && *out >= 0;
}

/* Shared bindings, by "src\1name\1arg". Bounded by the distinct field
 * tokens of the loaded rules and formats; entries leave with their last
 * reference. */
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sk_strmap intern_map;
static bool intern_ready;

static struct sk_fieldref *fieldref_bind(enum sk_source src, const char *name, const char *arg,
					 struct sk_err *err);

struct sk_fieldref *sk_fieldref_new(enum sk_source src, const char *name, const char *arg,
				    struct sk_err *err)
{
	size_t kl = strlen(name) + (arg ? strlen(arg) : 0) + 16;
	char *key = malloc(kl);
	if (!key) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(key, kl, "%d\1%s\1%s%s", (int)src, name, arg ? "a" : "", arg ? arg : "");
	pthread_mutex_lock(&intern_lock);
	if (!intern_ready) {
		sk_strmap_init(&intern_map);
		intern_ready = true;
	}
	struct sk_fieldref *f = sk_strmap_get(&intern_map, key);
	if (f) {
		f->refs++;
		free(key);
	} else if ((f = fieldref_bind(src, name, arg, err)) != NULL) {
		f->refs = 1;
		f->key = key;
		if (sk_strmap_put(&intern_map, key, f) < 0) {
			f->key = NULL; /* not shared: still a valid private binding */
			free(key);
		}
	} else {
		free(key);
	}
	pthread_mutex_unlock(&intern_lock);
	return f;
}

static struct sk_fieldref *fieldref_bind(enum sk_source src, const char *name, const char *arg,
					 struct sk_err *err)
{
	size_t matched = 0;
	const struct sk_field_def *d = lookup_def(src, name, &matched);
	if (!d) {
		sk_err_set(err, -ENOENT, "unknown field '%s'", name);
		return NULL;
	}
	const char *dotted = name[matched] == '.' ? name + matched + 1 : NULL;
	if (dotted && arg) {
		sk_err_set(err, -EINVAL, "field '%s': argument given twice", name);
		return NULL;
	}
	if (dotted && !*dotted) {
		sk_err_set(err, -EINVAL, "field '%s': empty argument", name);
		return NULL;
	}
	const char *a = dotted ? dotted : arg;
	uint32_t fl = d->info.flags;
	if (a && !(fl & (SK_FF_ARG_ALLOWED | SK_FF_ARG_REQUIRED))) {
		sk_err_set(err, -EINVAL, "field '%s' does not take an argument", d->info.name);
		return NULL;
	}
	if (!a && (fl & SK_FF_ARG_REQUIRED)) {
		sk_err_set(err, -EINVAL, "field '%s' requires an argument", d->info.name);
		return NULL;
	}

	struct sk_fieldref *f = calloc(1, sizeof(*f));
	if (!f) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	f->def = d;
	f->type = d->info.type;
	f->flags = fl;
	f->fmt = SK_PF_DEC;
	if (a) {
		f->arg = xstrdup(a);
		if (!f->arg)
			goto oom;
		f->has_index = parse_index(a, &f->index);
	}
	struct sk_buf t;
	sk_buf_init(&t, 4096);
	if (sk_buf_puts(&t, name) < 0 || (arg && sk_buf_printf(&t, "[%s]", arg) < 0)) {
		sk_buf_done(&t);
		goto oom;
	}
	f->text = sk_buf_steal(&t);
	if (!f->text)
		f->text = xstrdup(name);
	if (!f->text)
		goto oom;

	switch (d->id) {
	case SK_F_EVT_ARG:
		if (!dotted) {
			if (!f->has_index || f->index >= SK_MAX_PARAMS) {
				sk_err_set(err, -EINVAL, "evt.arg[%s]: the index must be a number below %d",
					   a, SK_MAX_PARAMS);
				goto fail;
			}
			break;
		}
		f->has_index = false;
		/* fall through */
	case SK_F_EVT_RAWARG: {
		if (!dotted) {
			sk_err_set(err, -EINVAL, "field '%s' takes its argument after a dot",
				   d->info.name);
			goto fail;
		}
		f->has_index = false;
		uint8_t pfmt = SK_PF_DEC;
		int type = bind_param_name(f, a, &pfmt);
		if (type == -2)
			goto oom;
		if (type < 0) {
			sk_err_set(err, -ENOENT, "field '%s': no event has an argument named '%s'",
				   name, a);
			goto fail;
		}
		if (d->id == SK_F_EVT_RAWARG) {
			/* raw values print in decimal whatever the param's format */
			f->type = (uint8_t)type;
			(void)pfmt;
		}
		break;
	}
	case SK_F_EVT_TYPE_IS: {
		int r = bind_event_name(f, a);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0) {
			sk_err_set(err, -ENOENT, "evt.type.is: unknown event '%s'", a);
			goto fail;
		}
		break;
	}
	case SK_F_EVT_ABSPATH:
		if (!a)
			break; /* plain evt.abspath: the event's single path */
		if (strcmp(a, "src") == 0)
			f->sub = 1;
		else if (strcmp(a, "dst") == 0)
			f->sub = 2;
		else {
			sk_err_set(err, -EINVAL, "evt.abspath: argument must be .src or .dst");
			goto fail;
		}
		break;
	case SK_F_EVT_AROUND:
	case SK_F_FD_TYPES:
	case SK_F_PROC_ARGS:
		if (a && !f->has_index) {
			sk_err_set(err, -EINVAL, "field '%s': the argument must be a number",
				   d->info.name);
			goto fail;
		}
		break;
	default:
		if ((fl & SK_FF_ARG_INDEX) && a && !f->has_index) {
			sk_err_set(err, -EINVAL, "field '%s': the argument must be a number",
				   d->info.name);
			goto fail;
		}
		break;
	}
	/* fd.ip/fd.port/fd.net/fd.proto match either endpoint of a socket */
	if (d->id == SK_F_FD_IP || d->id == SK_F_FD_PORT || d->id == SK_F_FD_NET ||
	    d->id == SK_F_FD_PROTO)
		f->flags |= SK_FF_ANY;
	/* fd.Xip.name: every loaded name the address resolves from (dnscache.c) */
	if (d->id == SK_F_FD_CIP_NAME || d->id == SK_F_FD_SIP_NAME || d->id == SK_F_FD_LIP_NAME ||
	    d->id == SK_F_FD_RIP_NAME)
		f->flags |= SK_FF_ANY;
	/* An index turns an existential ancestor field into a single value. */
	if ((fl & SK_FF_ANY) && f->has_index)
		f->flags &= ~(uint32_t)SK_FF_ANY;
	/* A few fields print with a fixed width or in hex (libsinsp's table). */
	switch (d->id) {
	case SK_F_EVT_RAWTIME_NS:
	case SK_F_EVT_RELTIME:
	case SK_F_EVT_RELTIME_NS:
	case SK_F_EVT_LATENCY_NS:
	case SK_F_EVT_DELTATIME_NS:
		f->fmt = SK_PF_10_PADDED_DEC;
		break;
	case SK_F_FD_DEV:
		f->fmt = SK_PF_HEX;
		break;
	default:
		break;
	}
	return f;
oom:
	sk_err_set(err, -ENOMEM, "out of memory");
fail:
	sk_fieldref_free(f);
	return NULL;
}

void sk_fieldref_free(struct sk_fieldref *f)
{
	if (!f)
		return;
	if (f->refs) {
		pthread_mutex_lock(&intern_lock);
		bool last = --f->refs == 0;
		if (last && f->key)
			(void)sk_strmap_deln(&intern_map, f->key, strlen(f->key));
		pthread_mutex_unlock(&intern_lock);
		if (!last)
			return;
	}
	free(f->key);
	free(f->text);
	free(f->arg);
	free(f->argidx);
	free(f);
}

const struct sk_field_info *sk_fieldref_info(const struct sk_fieldref *f)
{
	return &f->def->info;
}

uint8_t sk_fieldref_type(const struct sk_fieldref *f)
{
	return f->type;
}

bool sk_fieldref_prints_hex(const struct sk_fieldref *f)
{
	return f->fmt == SK_PF_HEX;
}

bool sk_fieldref_output_none(const struct sk_fieldref *f)
{
	return (f->flags & SK_FF_ANY) && (f->def->info.flags & SK_FF_FILTER_ONLY);
}

uint32_t sk_fieldref_flags(const struct sk_fieldref *f)
{
	return f->flags;
}

const char *sk_fieldref_text(const struct sk_fieldref *f)
{
	return f->text;
}

/* ---- evaluation context ---------------------------------------------------- */

void sk_eval_ctx_init(struct sk_eval_ctx *c, struct sk_state *state)
{
	memset(c, 0, sizeof(*c));
	c->state = state;
	/* Each context numbers its events from its own base, so a memo left by
	 * a freed context at the same address can never match (2^40 events per
	 * context before bases could meet). */
	static _Atomic uint64_t gen_base;
	c->gen = atomic_fetch_add(&gen_base, 1) << 40;
	for (size_t i = 0; i < SK_ARRAY_LEN(c->scratch); i++)
		sk_buf_init(&c->scratch[i], 1u << 24);
}

void sk_eval_ctx_done(struct sk_eval_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SK_ARRAY_LEN(c->scratch); i++)
		sk_buf_done(&c->scratch[i]);
}

void sk_eval_ctx_set_event(struct sk_eval_ctx *c, const struct sk_event *ev)
{
	c->ev = ev;
	if (ev) {
		if (!c->first_ts)
			c->first_ts = ev->ts;
		c->prev_ts = c->last_ts ? c->last_ts : ev->ts;
		c->last_ts = ev->ts;
	}
	c->thread = c->fdinfo = NULL;
	c->thread_done = c->fdinfo_done = false;
	c->scratch_next = 0;
	c->gen++;
}

void sk_eval_ctx_set_audit(struct sk_eval_ctx *c, const void *doc, uint64_t num, uint64_t ts)
{
	sk_eval_ctx_set_event(c, NULL);
	c->audit = doc;
	c->audit_num = num;
	c->audit_ts = ts;
	if (!c->first_ts)
		c->first_ts = ts;
}

struct sk_buf *sk_fields_scratch(struct sk_eval_ctx *c)
{
	struct sk_buf *b = &c->scratch[c->scratch_next % SK_ARRAY_LEN(c->scratch)];
	c->scratch_next++;
	sk_buf_reset(b);
	return b;
}

size_t sk_val_cstr(struct sk_value *v, const char *s)
{
	return sk_val_str(v, s, strlen(s));
}

struct sk_thread *sk_fields_thread(struct sk_eval_ctx *c)
{
	if (!c->thread_done) {
		c->thread_done = true;
		c->thread = NULL;
		if (c->state && c->ev) {
			struct sk_thread *t = sk_state_cur_thread(c->state);
			if (t && t->tid == c->ev->tid)
				c->thread = t;
			else
				c->thread = sk_state_thread(c->state, c->ev->tid);
		}
	}
	return c->thread;
}

struct sk_fdinfo *sk_fields_fdinfo(struct sk_eval_ctx *c)
{
	if (!c->fdinfo_done) {
		c->fdinfo_done = true;
		c->fdinfo = c->state && c->ev ? sk_state_cur_fd(c->state) : NULL;
	}
	return c->fdinfo;
}

void sk_eval_ctx_fd_from_event(struct sk_eval_ctx *c)
{
	c->fdinfo_done = true;
	c->fdinfo = NULL;
	struct sk_thread *t = sk_fields_thread(c);
	if (!t || !c->ev || !(c->ev->info->flags & SK_EF_USES_FD))
		return;
	int i = sk_event_param_index(c->ev->info, "fd");
	int64_t fd;
	if (i < 0 || (uint32_t)i >= c->ev->nparams || !sk_event_get_s64(c->ev, (unsigned)i, &fd))
		return;
	uint8_t pt = c->ev->info->params[i].type;
	if ((pt == SK_PT_FD || pt == SK_PT_FD32) && fd >= 0)
		c->fdinfo = sk_state_fd(c->state, t, fd);
}

/* ---- extraction and rendering ------------------------------------------------ */

/* Length of the valid, printable UTF-8 character at p (at most n bytes), or
 * 0 when it is not one: a control character (C0, DEL, C1) or an invalid
 * sequence. */
static size_t printable_utf8(const uint8_t *p, size_t n)
{
	uint8_t b = p[0];
	if (b < 0x80)
		return b >= 0x20 && b != 0x7f ? 1 : 0;
	size_t len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	uint32_t cp = b & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
	if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

/* Current libsinsp (Falco 0.44) sanitizes the string values of its fields:
 * every control character and invalid UTF-8 byte becomes U+FFFD, which rules
 * compare and outputs print. Returns false when v needs no change or the
 * copy failed. */
static bool sanitize_value(struct sk_eval_ctx *c, struct sk_value *v)
{
	if (v->type != SK_PT_CHARBUF && v->type != SK_PT_FSPATH && v->type != SK_PT_FSRELPATH)
		return false;
	const uint8_t *p = (const uint8_t *)v->str.p;
	size_t n = v->str.len, i = 0, k;
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f) /* the common case: printable ASCII */
		i++;
	while (i < n && (k = printable_utf8(p + i, n - i)) > 0)
		i += k;
	if (i >= n)
		return false;
	struct sk_buf *b = sk_fields_scratch(c);
	if (sk_buf_append(b, p, i) < 0)
		return false;
	while (i < n) {
		k = printable_utf8(p + i, n - i);
		if (k ? sk_buf_append(b, p + i, k) < 0 : sk_buf_puts(b, "\xef\xbf\xbd") < 0)
			return false;
		i += k ? k : 1;
	}
	return sk_val_buf(v, b) > 0;
}

size_t sk_fieldref_extract(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			   struct sk_value *out, size_t max)
{
	if (!max || !f->def->fx)
		return 0;
	if (f->def->info.source >= 0 && f->def->info.source == SK_SRC_SYSCALL && !c->ev)
		return 0;
	/* Memo: a single-valued field extracted earlier for this event of this
	 * context. Only values that borrow the event or the state (not the
	 * context's scratch ring, which later extractions reuse) are kept. */
	struct sk_fieldref *m = (struct sk_fieldref *)f;
	if (m->memo_ctx == c && m->memo_gen == c->gen) {
		if (m->memo_n)
			out[0] = m->memo;
		return m->memo_n;
	}
	unsigned sn = c->scratch_next;
	size_t n = f->def->fx(f, c, out, max);
	/* libsinsp's own fields only (plugin fields such as k8s_audit's come
	 * as the plugin gives them) */
	bool sanitize = !c->sysdig && f->def->info.source == SK_SRC_SYSCALL;
	for (size_t i = 0; i < n && sanitize; i++)
		(void)sanitize_value(c, &out[i]);
	if (n <= 1 && c->scratch_next == sn && !(f->flags & (SK_FF_LIST | SK_FF_ANY))) {
		m->memo_ctx = c;
		m->memo_gen = c->gen;
		m->memo_n = n;
		if (n)
			m->memo = out[0];
	}
	return n;
}

static int format_num(const struct sk_value *v, uint8_t fmt, struct sk_buf *out)
{
	bool sgn = false;
	switch (v->type) {
	case SK_PT_INT8:
	case SK_PT_INT16:
	case SK_PT_INT32:
	case SK_PT_INT64:
	case SK_PT_ERRNO:
	case SK_PT_FD:
	case SK_PT_PID:
	case SK_PT_FD32:
	case SK_PT_PID32:
		sgn = true;
		break;
	default:
		break;
	}
	switch (fmt) {
	case SK_PF_HEX:
		return sk_buf_printf(out, "%llX", (unsigned long long)v->u64);
	case SK_PF_OCT:
		return sk_buf_printf(out, "%llo", (unsigned long long)v->u64);
	case SK_PF_10_PADDED_DEC:
		return sgn ? sk_buf_printf(out, "%09lld", (long long)v->s64)
			   : sk_buf_printf(out, "%09llu", (unsigned long long)v->u64);
	default:
		return sgn ? sk_buf_printf(out, "%lld", (long long)v->s64)
			   : sk_buf_printf(out, "%llu", (unsigned long long)v->u64);
	}
}

static int format_value(const struct sk_value *v, uint8_t fmt, struct sk_buf *out)
{
	switch (v->type) {
	case SK_PT_CHARBUF:
	case SK_PT_FSPATH:
	case SK_PT_FSRELPATH:
		return sk_buf_append(out, v->str.p, v->str.len);
	case SK_PT_BYTEBUF:
		/* as sysdig/Falco print buffers: non-printables as '.' */
		return sk_render_bytes(v->str.p, v->str.len, out);
	case SK_PT_BOOL:
		return sk_buf_puts(out, v->u64 ? "true" : "false");
	case SK_PT_DOUBLE:
		return sk_buf_printf(out, "%.1f", v->dbl);
	case SK_PT_IPV4ADDR:
	case SK_PT_IPV6ADDR:
	case SK_PT_IPADDR:
	case SK_PT_IPNET:
	case SK_PT_IPV4NET:
	case SK_PT_IPV6NET:
		return sk_render_ip(v->ip.b, v->ip.v6, out) < 0 ? -E2BIG
			: (v->type == SK_PT_IPNET || v->type == SK_PT_IPV4NET ||
			   v->type == SK_PT_IPV6NET)
			? sk_buf_printf(out, "/%u", v->ip.prefix) : 0;
	default:
		return format_num(v, fmt, out);
	}
}

int sk_value_format(const struct sk_value *v, struct sk_buf *out)
{
	return format_value(v, SK_PF_DEC, out);
}

#define SK_FORMAT_MAXVALS 64

int sk_fieldref_format(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_buf *out)
{
	struct sk_value vals[SK_FORMAT_MAXVALS];
	size_t n = !c->sysdig && sk_fieldref_output_none(f)
			   ? 0
			   : sk_fieldref_extract(f, c, vals, SK_ARRAY_LEN(vals));
	if (n == 0)
		return sk_buf_puts(out, "<NA>") < 0 ? -E2BIG : 0;
	/* libsinsp has no text for a network (the filter-only fd.?net fields) */
	if (f->type == SK_PT_IPNET && !c->sysdig)
		return sk_buf_puts(out, "<IPNET>") < 0 ? -E2BIG : 1;
	bool list = f->flags & SK_FF_LIST;
	if (list && sk_buf_putc(out, '(') < 0)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (i && sk_buf_putc(out, list ? ',' : ' ') < 0)
			return -E2BIG;
		if (format_value(&vals[i], f->fmt, out) < 0)
			return -E2BIG;
	}
	if (list && sk_buf_putc(out, ')') < 0)
		return -E2BIG;
	return 1;
}
