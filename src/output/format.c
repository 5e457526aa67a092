/* format.c — compiled output formats: tokenizing "%field" strings once,
 * rendering them as text per alert, and the typed output_fields values. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output_int.h"

enum tok_kind { T_LIT, T_FIELD, T_STATIC };
enum tok_tr { TR_NONE, TR_TOUPPER, TR_TOLOWER, TR_BASENAME, TR_B64 };

struct tok {
	uint8_t kind, tr;
	uint32_t width;              /* 0 = natural width */
	char *text;                  /* literal, or static value */
	size_t len;
	struct sk_fieldref *ref;     /* T_FIELD */
	char *key;                   /* output_fields key (T_FIELD/T_STATIC) */
};

struct key_ent {
	const char *key;
	size_t tok;                  /* first token with that key */
};

struct sk_output_format {
	struct tok *toks;
	size_t ntoks;
	struct key_ent *keys;        /* sorted by key, unique */
	size_t nkeys;
};

static const char *const tr_names[] = { "", "toupper", "tolower", "basename", "b64" };

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

void sk_output_format_free(struct sk_output_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ntoks; i++) {
		free(f->toks[i].text);
		free(f->toks[i].key);
		sk_fieldref_free(f->toks[i].ref);
	}
	free(f->toks);
	free(f->keys);
	free(f);
}

static int push_tok(struct sk_output_format *f, size_t *cap, const struct tok *t)
{
	if (f->ntoks == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct tok *nt = realloc(f->toks, nc * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		f->toks = nt;
		*cap = nc;
	}
	f->toks[f->ntoks++] = *t;
	return 0;
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* Parses one field reference at s (no '%'): NAME or NAME[ARG]. Fills the
 * token's ref/key and returns the length consumed, or a negative code. */
static int parse_field(enum sk_source src, const char *s, const struct sk_config *statics,
		       struct tok *t, struct sk_err *err)
{
	size_t run = 0;
	while (ident_char(s[run]))
		run++;
	while (run && s[run - 1] == '.')
		run--;
	if (!run)
		return sk_err_set(err, -EINVAL, "invalid formatting token: expected a field name");
	/* static_fields: %static.NAME */
	if (run > 7 && !strncmp(s, "static.", 7) && statics) {
		for (size_t i = 0; i < statics->nstatic_fields; i++) {
			const struct sk_config_static_field *sf = &statics->static_fields[i];
			if (strlen(sf->name) == run - 7 && !strncmp(sf->name, s + 7, run - 7)) {
				t->kind = T_STATIC;
				t->text = dupn(sf->value, strlen(sf->value));
				t->len = strlen(sf->value);
				t->key = dupn(s, run);
				return t->text && t->key ? (int)run : -ENOMEM;
			}
		}
	}
	char name[256];
	size_t len = run, matched = 0;
	const struct sk_field_info *fi = NULL;
	for (;;) {
		if (len >= sizeof(name))
			return sk_err_set(err, -EINVAL, "field name too long");
		memcpy(name, s, len);
		name[len] = 0;
		fi = sk_fields_lookup(src, name, &matched);
		if (fi && (matched == len || (fi->flags & SK_FF_ARG_DOTTED)))
			break;
		fi = NULL;
		while (len && s[len - 1] != '.')
			len--;
		if (len <= 1)
			break;
		len--; /* drop the dot: retry the shorter name */
	}
	if (!fi) {
		memcpy(name, s, run < sizeof(name) ? run : sizeof(name) - 1);
		name[run < sizeof(name) ? run : sizeof(name) - 1] = 0;
		return sk_err_set(err, -EINVAL, "invalid formatting token %%%s: unknown field", name);
	}
	size_t used = len;
	char arg[256], *argp = NULL;
	if (s[used] == '[') {
		const char *end = strchr(s + used + 1, ']');
		size_t al = end ? (size_t)(end - s - used - 1) : 0;
		if (!end || al >= sizeof(arg))
			return sk_err_set(err, -EINVAL, "invalid formatting token %%%s: unterminated"
					  " '['", name);
		memcpy(arg, s + used + 1, al);
		arg[al] = 0;
		argp = arg;
		used += al + 2;
	}
	t->kind = T_FIELD;
	t->ref = sk_fieldref_new(src, name, argp, err);
	if (!t->ref)
		return err && err->code ? err->code : -EINVAL;
	t->key = dupn(s, used);
	return t->key ? (int)used : -ENOMEM;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct key_ent *)a)->key, ((const struct key_ent *)b)->key);
}

struct sk_output_format *sk_output_format_new(enum sk_source src, const char *fmt,
					      const struct sk_config *statics,
					      struct sk_err *err)
{
	struct sk_output_format *f = calloc(1, sizeof(*f));
	size_t cap = 0, i = 0, litstart = 0;
	struct sk_buf lit;
	int rc = 0;
	if (!f) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	sk_buf_init(&lit, 0);
	for (;;) {
		char ch = fmt[i];
		if (ch && ch != '%') {
			if ((rc = sk_buf_putc(&lit, ch)) < 0)
				goto fail;
			i++;
			continue;
		}
		if (ch == '%' && fmt[i + 1] == '%') {
			if ((rc = sk_buf_putc(&lit, '%')) < 0)
				goto fail;
			i += 2;
			continue;
		}
		if (lit.len) {
			struct tok t = { .kind = T_LIT, .len = lit.len };
			t.text = dupn(lit.data, lit.len);
			if (!t.text || (rc = push_tok(f, &cap, &t)) < 0) {
				free(t.text);
				rc = -ENOMEM;
				goto fail;
			}
			sk_buf_reset(&lit);
		}
		if (!ch)
			break;
		/* a token */
		litstart = i++;
		struct tok t = { 0 };
		while (fmt[i] >= '0' && fmt[i] <= '9' && t.width < 100000)
			t.width = t.width * 10 + (uint32_t)(fmt[i++] - '0');
		for (int k = 1; k < (int)SK_ARRAY_LEN(tr_names); k++) {
			size_t nl = strlen(tr_names[k]);
			if (!strncmp(fmt + i, tr_names[k], nl) && fmt[i + nl] == '(') {
				t.tr = (uint8_t)k;
				i += nl + 1;
				break;
			}
		}
		rc = parse_field(src, fmt + i, statics, &t, err);
		if (rc < 0) {
			if (err) {
				err->col = (int)litstart + 1;
				if (!fmt[i])
					sk_err_set_at(err, -EINVAL, 0, (int)litstart + 1,
						      "invalid formatting token: '%%' at end of output");
			}
			free(t.text);
			free(t.key);
			sk_fieldref_free(t.ref);
			goto fail;
		}
		i += (size_t)rc;
		if (t.tr) {
			if (fmt[i] != ')') {
				rc = sk_err_set_at(err, -EINVAL, 0, (int)litstart + 1,
						   "invalid formatting token: missing ')' after %s(",
						   tr_names[t.tr]);
				free(t.key);
				sk_fieldref_free(t.ref);
				free(t.text);
				goto fail;
			}
			i++;
		}
		if ((rc = push_tok(f, &cap, &t)) < 0) {
			free(t.key);
			sk_fieldref_free(t.ref);
			free(t.text);
			goto fail;
		}
	}
	sk_buf_done(&lit);
	/* the sorted, unique key list */
	f->keys = calloc(f->ntoks + 1, sizeof(*f->keys));
	if (!f->keys) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < f->ntoks; k++) {
		if (f->toks[k].kind == T_LIT)
			continue;
		bool dup = false;
		for (size_t j = 0; j < f->nkeys && !dup; j++)
			dup = !strcmp(f->keys[j].key, f->toks[k].key);
		if (!dup)
			f->keys[f->nkeys++] = (struct key_ent){ f->toks[k].key, k };
	}
	qsort(f->keys, f->nkeys, sizeof(*f->keys), cmp_key);
	return f;
fail:
	if (rc == -ENOMEM)
		sk_err_set(err, -ENOMEM, "out of memory");
	sk_buf_done(&lit);
	sk_output_format_free(f);
	return NULL;
}

size_t sk_output_format_nkeys(const struct sk_output_format *f)
{
	return f->nkeys;
}

const char *sk_output_format_key(const struct sk_output_format *f, size_t i)
{
	return i < f->nkeys ? f->keys[i].key : NULL;
}

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Applies a transformer to p[0..len) appending to out. */
static int apply_tr(int tr, const char *p, size_t len, struct sk_buf *out)
{
	int rc = 0;
	switch (tr) {
	case TR_TOUPPER:
	case TR_TOLOWER:
		for (size_t i = 0; i < len && rc >= 0; i++) {
			char ch = p[i];
			if (tr == TR_TOUPPER && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			else if (tr == TR_TOLOWER && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + 32);
			rc = sk_buf_putc(out, ch);
		}
		return rc;
	case TR_BASENAME: {
		size_t end = len, start;
		while (end > 1 && p[end - 1] == '/')
			end--;
		start = end;
		while (start && p[start - 1] != '/')
			start--;
		if (end == 1 && p[0] == '/')
			return sk_buf_putc(out, '/');
		return sk_buf_append(out, p + start, end - start);
	}
	case TR_B64:
		for (size_t i = 0; i < len && rc >= 0; i += 3) {
			uint32_t v = (uint32_t)(uint8_t)p[i] << 16;
			if (i + 1 < len)
				v |= (uint32_t)(uint8_t)p[i + 1] << 8;
			if (i + 2 < len)
				v |= (uint8_t)p[i + 2];
			char q[4] = { b64tab[(v >> 18) & 63], b64tab[(v >> 12) & 63],
				      i + 1 < len ? b64tab[(v >> 6) & 63] : '=',
				      i + 2 < len ? b64tab[v & 63] : '=' };
			rc = sk_buf_append(out, q, 4);
		}
		return rc;
	default:
		return sk_buf_append(out, p, len);
	}
}

/* Renders one non-literal token's text (no width handling). */
static int tok_text(const struct tok *t, struct sk_eval_ctx *c, struct sk_buf *out)
{
	if (t->kind == T_STATIC)
		return apply_tr(t->tr, t->text, t->len, out);
	if (!t->tr) {
		int rc = sk_fieldref_format(t->ref, c, out);
		return rc < 0 ? rc : 0;
	}
	struct sk_buf tmp;
	sk_buf_init(&tmp, 1 << 20);
	int rc = sk_fieldref_format(t->ref, c, &tmp);
	if (rc == 0)
		rc = sk_buf_puts(out, "<NA>");
	else if (rc > 0)
		rc = apply_tr(t->tr, tmp.data, tmp.len, out);
	sk_buf_done(&tmp);
	return rc < 0 ? rc : 0;
}

int sk_output_format_text(const struct sk_output_format *f, struct sk_eval_ctx *c,
			  struct sk_buf *out)
{
	for (size_t i = 0; i < f->ntoks; i++) {
		const struct tok *t = &f->toks[i];
		int rc;
		if (t->kind == T_LIT) {
			rc = sk_buf_append(out, t->text, t->len);
		} else if (!t->width) {
			rc = tok_text(t, c, out);
		} else {
			size_t start = out->len;
			rc = tok_text(t, c, out);
			if (rc >= 0 && out->len - start > t->width) {
				out->len = start + t->width;
				out->data[out->len] = 0;
			}
			while (rc >= 0 && out->len - start < t->width)
				rc = sk_buf_putc(out, ' ');
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- typed JSON values ------------------------------------------------------- */

bool fmt_is_time_field(const char *name)
{
	return !strcmp(name, "evt.time") || !strcmp(name, "evt.time.iso8601") ||
	       !strcmp(name, "evt.datetime") || !strcmp(name, "evt.time.s") ||
	       !strcmp(name, "evt.datetime.s");
}

uint64_t fmt_event_time(const struct sk_eval_ctx *c)
{
	return c->ev ? c->ev->ts : c->audit_ts;
}

enum jkind { J_STRING, J_SIGNED, J_UNSIGNED, J_DOUBLE, J_BOOL };

static enum jkind json_kind(uint8_t type)
{
	switch (type) {
	case SK_PT_INT8: case SK_PT_INT16: case SK_PT_INT32: case SK_PT_INT64:
	case SK_PT_ERRNO: case SK_PT_FD: case SK_PT_PID: case SK_PT_FD32: case SK_PT_PID32:
		return J_SIGNED;
	case SK_PT_UINT8: case SK_PT_UINT16: case SK_PT_UINT32: case SK_PT_UINT64:
	case SK_PT_RELTIME: case SK_PT_ABSTIME: case SK_PT_PORT: case SK_PT_UID: case SK_PT_GID:
	case SK_PT_SYSCALLID: case SK_PT_FLAGS8: case SK_PT_FLAGS16: case SK_PT_FLAGS32:
	case SK_PT_ENUMFLAGS8: case SK_PT_ENUMFLAGS16: case SK_PT_ENUMFLAGS32:
	case SK_PT_SIGTYPE: case SK_PT_L4PROTO: case SK_PT_SOCKFAMILY:
		return J_UNSIGNED;
	case SK_PT_DOUBLE:
		return J_DOUBLE;
	case SK_PT_BOOL:
		return J_BOOL;
	default:
		return J_STRING;
	}
}

static int value_json(const struct sk_value *v, uint8_t type, struct sk_buf *out)
{
	switch (json_kind(type)) {
	case J_SIGNED: return sk_buf_printf(out, "%lld", (long long)v->s64);
	case J_UNSIGNED: return sk_buf_printf(out, "%llu", (unsigned long long)v->u64);
	case J_DOUBLE: return oj_double(out, v->dbl);
	case J_BOOL: return sk_buf_puts(out, v->u64 ? "true" : "false");
	default: break;
	}
	if (type == SK_PT_CHARBUF || type == SK_PT_FSPATH || type == SK_PT_FSRELPATH ||
	    type == SK_PT_BYTEBUF)
		return oj_str(out, v->str.p ? v->str.p : "", v->str.p ? v->str.len : 0);
	struct sk_buf tmp;
	sk_buf_init(&tmp, 1 << 20);
	int rc = sk_value_format(v, &tmp);
	if (rc >= 0)
		rc = oj_str(out, sk_buf_cstr(&tmp), tmp.len);
	sk_buf_done(&tmp);
	return rc;
}

#define FMT_MAX_VALUES 256

int fmt_key_json(const struct sk_output_format *f, size_t i, struct sk_eval_ctx *c,
		 struct sk_buf *out)
{
	const struct tok *t = &f->toks[f->keys[i].tok];
	if (t->kind == T_STATIC)
		return oj_str(out, t->text, t->len);
	const char *name = sk_fieldref_info(t->ref)->name;
	struct sk_value vals[FMT_MAX_VALUES];
	size_t n = sk_fieldref_output_none(t->ref) ? 0
						    : sk_fieldref_extract(t->ref, c, vals, FMT_MAX_VALUES);
	if (n == 0)
		return sk_buf_puts(out, "null");
	if (fmt_is_time_field(name))
		return sk_buf_printf(out, "%llu", (unsigned long long)fmt_event_time(c));
	uint8_t type = sk_fieldref_type(t->ref);
	uint32_t flags = sk_fieldref_flags(t->ref);
	int rc;
	if (flags & SK_FF_LIST) {
		rc = sk_buf_putc(out, '[');
		for (size_t k = 0; k < n && rc >= 0; k++) {
			if (k)
				rc = sk_buf_putc(out, ',');
			if (rc >= 0)
				rc = value_json(&vals[k], type, out);
		}
		return rc < 0 ? rc : sk_buf_putc(out, ']');
	}
	if (json_kind(type) != J_STRING && n == 1 && !sk_fieldref_prints_hex(t->ref))
		return value_json(&vals[0], type, out);
	/* strings: the same text the output line shows */
	struct sk_buf tmp;
	sk_buf_init(&tmp, 1 << 20);
	rc = sk_fieldref_format(t->ref, c, &tmp);
	if (rc >= 0)
		rc = oj_str(out, tmp.data ? tmp.data : "", tmp.len);
	sk_buf_done(&tmp);
	return rc;
}

/* ---- times ----------------------------------------------------------------------- */

int fmt_time_local(struct sk_buf *out, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	localtime_r(&s, &tm);
	return sk_buf_printf(out, "%02d:%02d:%02d.%09llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned long long)(ns % 1000000000ULL));
}

static int time_utc(struct sk_buf *out, uint64_t ns, const char *suffix)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	gmtime_r(&s, &tm);
	return sk_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09llu%s", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned long long)(ns % 1000000000ULL), suffix);
}

int fmt_time_iso(struct sk_buf *out, uint64_t ns)
{
	return time_utc(out, ns, "+0000");
}

int fmt_time_json(struct sk_buf *out, uint64_t ns)
{
	return time_utc(out, ns, "Z");
}
