/* ast.c — AST lifetime (free, clone, constructors), the rewriters the rules
 * layer uses for macro and list expansion, event-type inference, rendering
 * back to text, and the error excerpt. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

static void field_done(struct sk_ast_field *f)
{
	free(f->name);
	free(f->arg);
	for (uint32_t i = 0; i < f->nargs; i++) field_done(&f->args[i]);
	free(f->args);
}

static void check_done(struct sk_ast_check *c)
{
	field_done(&c->lhs);
	field_done(&c->rfield);
	for (uint32_t i = 0; i < c->nvals; i++) free(c->vals[i].text);
	free(c->vals);
}

void sk_ast_free(struct sk_ast *a)
{
	if (!a) return;
	for (uint32_t i = 0; i < a->nkids; i++) sk_ast_free(a->kids[i]);
	free(a->kids);
	if (a->kind == SK_AST_CHECK) check_done(&a->u.check);
	else if (a->kind == SK_AST_IDENT) free(a->u.ident);
	free(a);
}

static char *dup_or_null(const char *s, bool *ok)
{
	if (!s) return NULL;
	char *d = strdup(s);
	if (!d) *ok = false;
	return d;
}

/* Deep copy; on failure d is still safe to field_done(). */
static bool field_clone(struct sk_ast_field *d, const struct sk_ast_field *s)
{
	bool ok = true;
	*d = *s;
	d->args = NULL;
	d->nargs = 0;
	d->name = dup_or_null(s->name, &ok);
	d->arg = dup_or_null(s->arg, &ok);
	if (s->nargs) {
		/* keep the parser's growth invariant: capacity a multiple of 4 */
		d->args = calloc((s->nargs + 3) / 4 * 4, sizeof(*d->args));
		if (!d->args) return false;
		for (uint32_t i = 0; i < s->nargs; i++) {
			d->nargs = i + 1;
			if (!field_clone(&d->args[i], &s->args[i])) ok = false;
		}
	}
	return ok;
}

struct sk_ast *sk_ast_clone(const struct sk_ast *a)
{
	if (!a) return NULL;
	struct sk_ast *n = calloc(1, sizeof(*n));
	if (!n) return NULL;
	n->kind = a->kind;
	n->pos = a->pos;
	bool ok = true;
	if (a->nkids) {
		n->kids = calloc(a->nkids, sizeof(*n->kids));
		if (!n->kids) goto bad;
		for (uint32_t i = 0; i < a->nkids; i++) {
			n->kids[i] = sk_ast_clone(a->kids[i]);
			n->nkids = i + 1;
			if (!n->kids[i]) goto bad;
		}
	}
	if (a->kind == SK_AST_IDENT) {
		n->u.ident = dup_or_null(a->u.ident, &ok);
	} else if (a->kind == SK_AST_CHECK) {
		const struct sk_ast_check *s = &a->u.check;
		struct sk_ast_check *d = &n->u.check;
		*d = *s;
		d->vals = NULL;
		d->nvals = 0;
		d->lhs.name = d->lhs.arg = d->rfield.name = d->rfield.arg = NULL;
		d->lhs.args = d->rfield.args = NULL;
		d->lhs.nargs = d->rfield.nargs = 0;
		if (!field_clone(&d->lhs, &s->lhs) || !field_clone(&d->rfield, &s->rfield)) ok = false;
		if (s->nvals) {
			/* keep the parser's growth invariant: capacity a multiple of 8 */
			d->vals = calloc((s->nvals + 7) / 8 * 8, sizeof(*d->vals));
			if (!d->vals) goto bad;
			for (uint32_t i = 0; i < s->nvals; i++) {
				d->vals[i] = s->vals[i];
				d->vals[i].text = dup_or_null(s->vals[i].text, &ok);
				d->nvals = i + 1;
			}
		}
	}
	if (ok) return n;
bad:
	sk_ast_free(n);
	return NULL;
}

struct sk_ast *sk_ast_new_bool(enum sk_ast_kind kind, struct sk_ast **kids, uint32_t nkids)
{
	struct sk_ast *n = calloc(1, sizeof(*n));
	struct sk_ast **k = malloc((nkids ? nkids : 1) * sizeof(*k));
	if (!n || !k || (kind != SK_AST_AND && kind != SK_AST_OR)) {
		free(n);
		free(k);
		for (uint32_t i = 0; i < nkids; i++) sk_ast_free(kids[i]);
		return NULL;
	}
	memcpy(k, kids, nkids * sizeof(*k));
	n->kind = (uint8_t)kind;
	n->kids = k;
	n->nkids = nkids;
	n->pos = nkids ? kids[0]->pos : 0;
	return n;
}

struct sk_ast *sk_ast_new_not(struct sk_ast *kid)
{
	struct sk_ast *n = calloc(1, sizeof(*n));
	struct sk_ast **k = malloc(sizeof(*k));
	if (!n || !k || !kid) {
		free(n);
		free(k);
		sk_ast_free(kid);
		return NULL;
	}
	k[0] = kid;
	n->kind = SK_AST_NOT;
	n->kids = k;
	n->nkids = 1;
	n->pos = kid->pos;
	return n;
}

/* ---- rewriting --------------------------------------------------------------- */

static int expand_idents(struct sk_ast **slot, sk_ast_ident_fn fn, void *ctx, struct sk_err *err)
{
	struct sk_ast *a = *slot;
	if (a->kind == SK_AST_IDENT) {
		struct sk_ast *repl = NULL;
		int r = fn(ctx, a->u.ident, a->pos, &repl, err);
		if (r < 0) {
			sk_ast_free(repl);
			return r;
		}
		if (repl) {
			sk_ast_free(a);
			*slot = repl;
		}
		return 0;
	}
	for (uint32_t i = 0; i < a->nkids; i++) {
		int r = expand_idents(&a->kids[i], fn, ctx, err);
		if (r < 0) return r;
	}
	return 0;
}

int sk_ast_expand_idents(struct sk_ast **root, sk_ast_ident_fn fn, void *ctx,
			 struct sk_err *err)
{
	if (!root || !*root) return 0;
	return expand_idents(root, fn, ctx, err);
}

static bool is_list_op(uint8_t op)
{
	return op == SK_OP_IN || op == SK_OP_INTERSECTS || op == SK_OP_PMATCH;
}

static int expand_check_lists(struct sk_ast_check *c, sk_ast_list_fn fn, void *ctx,
			      struct sk_err *err)
{
	if ((!is_list_op(c->op) && c->mod == SK_MOD_NONE) || (c->rhs != SK_RHS_LIST && c->rhs != SK_RHS_LISTREF)) return 0;
	/* First pass: does any item name a list? */
	bool any = c->rhs == SK_RHS_LISTREF;
	for (uint32_t i = 0; i < c->nvals && !any; i++) {
		const char *const *items;
		size_t n;
		if (!c->vals[i].quoted && fn(ctx, c->vals[i].text, &items, &n)) any = true;
	}
	if (!any) return 0;
	struct sk_ast_value *out = NULL;
	size_t nout = 0, cap = 0;
	int rc = 0;
	for (uint32_t i = 0; i < c->nvals; i++) {
		const char *const *items = NULL;
		size_t n = 0;
		bool found = !c->vals[i].quoted && fn(ctx, c->vals[i].text, &items, &n);
		size_t need = nout + (found ? n : 1);
		if (need > cap) {
			size_t nc = (need + 7) / 8 * 8;
			struct sk_ast_value *o = realloc(out, nc * sizeof(*o));
			if (!o) {
				rc = sk_err_set(err, -ENOMEM, "out of memory");
				goto done;
			}
			out = o;
			cap = nc;
		}
		if (!found) {
			out[nout] = c->vals[i];
			out[nout].text = strdup(c->vals[i].text);
			if (!out[nout].text) {
				rc = sk_err_set(err, -ENOMEM, "out of memory");
				goto done;
			}
			nout++;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			struct sk_err e2;
			sk_err_clear(&e2);
			char *t = sk_filter_decode_item(items[k], &e2);
			if (!t) {
				rc = sk_err_set_at(err, e2.code ? e2.code : -EINVAL, 0,
						   (int)c->vals[i].pos + 1, "%s", e2.msg);
				goto done;
			}
			out[nout].text = t;
			out[nout].quoted = items[k][0] == '"' || items[k][0] == '\'';
			out[nout].pos = c->vals[i].pos;
			nout++;
		}
	}
done:
	if (rc < 0) {
		for (size_t k = 0; k < nout; k++) free(out[k].text);
		free(out);
		return rc;
	}
	for (uint32_t i = 0; i < c->nvals; i++) free(c->vals[i].text);
	free(c->vals);
	c->vals = out;
	c->nvals = (uint32_t)nout;
	c->rhs = SK_RHS_LIST;
	return 0;
}

int sk_ast_expand_lists(struct sk_ast *a, sk_ast_list_fn fn, void *ctx, struct sk_err *err)
{
	if (!a) return 0;
	if (a->kind == SK_AST_CHECK) return expand_check_lists(&a->u.check, fn, ctx, err);
	for (uint32_t i = 0; i < a->nkids; i++) {
		int r = sk_ast_expand_lists(a->kids[i], fn, ctx, err);
		if (r < 0) return r;
	}
	return 0;
}

static bool visit(const struct sk_ast *a, bool (*fn)(const struct sk_ast *, void *), void *ctx)
{
	if (!fn(a, ctx)) return false;
	for (uint32_t i = 0; i < a->nkids; i++)
		if (!visit(a->kids[i], fn, ctx)) return false;
	return true;
}

void sk_ast_visit(const struct sk_ast *a, bool (*fn)(const struct sk_ast *n, void *ctx),
		  void *ctx)
{
	if (a) visit(a, fn, ctx);
}

/* ---- event types ------------------------------------------------------------- */

static void set_all(struct sk_evtset *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) s->bits[c / 64] |= 1ULL << (c % 64);
}

static void set_not(struct sk_evtset *s)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(s->bits); i++) s->bits[i] = ~s->bits[i];
	/* clear bits beyond SK_EVENT_MAX */
	for (unsigned c = SK_EVENT_MAX; c < SK_ARRAY_LEN(s->bits) * 64; c++)
		s->bits[c / 64] &= ~(1ULL << (c % 64));
}

/* Adds every code named `name`; names without an event are generic syscalls. */
void sk_filter_evtset_add_name(struct sk_evtset *s, const char *name)
{
	bool found = false;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) {
		const char *n = sk_event_table[c].name;
		if (n && strcmp(n, name) == 0 && strcmp(name, "NA") != 0) {
			s->bits[c / 64] |= 1ULL << (c % 64);
			found = true;
		}
	}
	/* async events carry their name: the container metadata provider's
	 * "container" and "container_removed" are asyncevent (402) events, as
	 * the container plugin declares them */
	if (!strcmp(name, "container") || !strcmp(name, "container_removed")) {
		s->bits[402 / 64] |= 1ULL << (402 % 64);
		found = true;
	}
	if (!found) s->bits[0] |= 3; /* PPME_GENERIC_E/X */
}

static void evttypes(const struct sk_ast *a, bool neg, struct sk_evtset *out)
{
	switch (a->kind) {
	case SK_AST_AND:
	case SK_AST_OR: {
		bool inter = (a->kind == SK_AST_AND) != neg;
		evttypes(a->kids[0], neg, out);
		for (uint32_t i = 1; i < a->nkids; i++) {
			struct sk_evtset k;
			evttypes(a->kids[i], neg, &k);
			for (size_t w = 0; w < SK_ARRAY_LEN(k.bits); w++)
				out->bits[w] = inter ? out->bits[w] & k.bits[w]
						     : out->bits[w] | k.bits[w];
		}
		return;
	}
	case SK_AST_NOT:
		evttypes(a->kids[0], !neg, out);
		return;
	case SK_AST_CHECK: {
		const struct sk_ast_check *c = &a->u.check;
		bool eq = c->op == SK_OP_EQ || c->op == SK_OP_IN || c->op == SK_OP_INTERSECTS;
		if (c->lhs.kind != SK_OPND_FIELD || strcmp(c->lhs.name, "evt.type") != 0 ||
		    c->lhs.arg || c->mod != SK_MOD_NONE || (!eq && c->op != SK_OP_NE) ||
		    (c->rhs != SK_RHS_VALUE && c->rhs != SK_RHS_LIST && c->rhs != SK_RHS_LISTREF)) {
			set_all(out);
			return;
		}
		memset(out, 0, sizeof(*out));
		for (uint32_t i = 0; i < c->nvals; i++)
			sk_filter_evtset_add_name(out, c->vals[i].text);
		if (eq == neg) set_not(out);
		return;
	}
	default:
		set_all(out);
		return;
	}
}

void sk_ast_evttypes(const struct sk_ast *a, struct sk_evtset *out)
{
	if (!a) {
		set_all(out);
		return;
	}
	evttypes(a, false, out);
}

size_t sk_evtset_count(const struct sk_evtset *s)
{
	size_t n = 0;
	for (size_t i = 0; i < SK_ARRAY_LEN(s->bits); i++) n += (size_t)__builtin_popcountll(s->bits[i]);
	return n;
}

size_t sk_evtset_count_names(const struct sk_evtset *s)
{
	size_t n = 0;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) {
		if (!sk_evtset_has(s, c)) continue;
		const char *name = sk_event_table[c].name;
		bool seen = false;
		for (unsigned d = 0; d < c && !seen; d++)
			if (sk_evtset_has(s, d) && strcmp(sk_event_table[d].name, name) == 0)
				seen = true;
		if (!seen) n++;
	}
	return n;
}

bool sk_evtset_is_all(const struct sk_evtset *s)
{
	return sk_evtset_count(s) == SK_EVENT_MAX;
}

/* ---- rendering ----------------------------------------------------------------- */

static bool bare_ok(const char *s, bool arg)
{
	if (!*s) return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == '"' || c == '\'' || c == 0x7f) return false;
		if (arg ? (c == '[' || c == ']') : (c == '(' || c == ')' || c == '=' || c == ','))
			return false;
	}
	return true;
}

static int render_str(struct sk_buf *b, const char *s, bool force, bool arg)
{
	if (!force && bare_ok(s, arg)) return sk_buf_puts(b, s);
	int r = sk_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; r >= 0 && *p; p++) {
		switch (*p) {
		case '"': r = sk_buf_puts(b, "\\\""); break;
		case '\\': r = sk_buf_puts(b, "\\\\"); break;
		case '\n': r = sk_buf_puts(b, "\\n"); break;
		case '\t': r = sk_buf_puts(b, "\\t"); break;
		case '\r': r = sk_buf_puts(b, "\\r"); break;
		case '\b': r = sk_buf_puts(b, "\\b"); break;
		case '\f': r = sk_buf_puts(b, "\\f"); break;
		default:
			/* other control bytes stay raw: Falco's conditions have no
			 * escape for them (no \xHH), and a raw byte reads back */
			r = sk_buf_putc(b, (char)*p);
		}
	}
	return r < 0 ? r : sk_buf_putc(b, '"');
}

static int render_field(struct sk_buf *b, const struct sk_ast_field *f, bool val)
{
	int r = 0;
	switch (f->kind) {
	case SK_OPND_LIT:
		return render_str(b, f->name, true, false);
	case SK_OPND_LIST:
	case SK_OPND_TR:
		if (f->kind == SK_OPND_TR) r = sk_buf_puts(b, sk_filter_tr_name(f->tr));
		if (r >= 0) r = sk_buf_putc(b, '(');
		for (uint32_t i = 0; r >= 0 && i < f->nargs; i++) {
			if (i) r = sk_buf_puts(b, ", ");
			if (r >= 0) r = render_field(b, &f->args[i], false);
		}
		if (r >= 0) r = sk_buf_putc(b, ')');
		break;
	default:
		if (val) r = sk_buf_puts(b, "val(");
		if (r >= 0) r = sk_buf_puts(b, f->name ? f->name : "");
		if (r >= 0 && f->arg && f->kind == SK_OPND_FIELD) {
			r = sk_buf_putc(b, '[');
			if (r >= 0) r = render_str(b, f->arg, false, true);
			if (r >= 0) r = sk_buf_putc(b, ']');
		}
		if (r >= 0 && val) r = sk_buf_putc(b, ')');
		return r;
	}
	if (r >= 0 && f->arg) {
		r = sk_buf_putc(b, '[');
		if (r >= 0) r = render_str(b, f->arg, false, true);
		if (r >= 0) r = sk_buf_putc(b, ']');
	}
	return r;
}

static int render(const struct sk_ast *a, struct sk_buf *b, bool nested)
{
	int r = 0;
	switch (a->kind) {
	case SK_AST_AND:
	case SK_AST_OR:
		if (nested) r = sk_buf_putc(b, '(');
		for (uint32_t i = 0; r >= 0 && i < a->nkids; i++) {
			if (i) r = sk_buf_puts(b, a->kind == SK_AST_AND ? " and " : " or ");
			if (r >= 0) r = render(a->kids[i], b, true);
		}
		if (r >= 0 && nested) r = sk_buf_putc(b, ')');
		return r;
	case SK_AST_NOT:
		r = sk_buf_puts(b, "not ");
		return r < 0 ? r : render(a->kids[0], b, true);
	case SK_AST_IDENT:
		return sk_buf_puts(b, a->u.ident);
	case SK_AST_CHECK: {
		const struct sk_ast_check *c = &a->u.check;
		r = render_field(b, &c->lhs, false);
		if (r >= 0) r = sk_buf_printf(b, " %s", sk_op_name(c->op));
		if (r >= 0 && c->mod) r = sk_buf_printf(b, " %s", sk_filter_mod_name(c->mod));
		if (r < 0) return r;
		switch (c->rhs) {
		case SK_RHS_VALUE:
			r = sk_buf_putc(b, ' ');
			if (r >= 0) r = render_str(b, c->vals[0].text, c->vals[0].quoted, false);
			break;
		case SK_RHS_LISTREF:
			r = sk_buf_printf(b, " %s", c->vals[0].text);
			break;
		case SK_RHS_LIST:
			r = sk_buf_puts(b, " (");
			for (uint32_t i = 0; r >= 0 && i < c->nvals; i++) {
				if (i) r = sk_buf_puts(b, ", ");
				if (r >= 0)
					r = render_str(b, c->vals[i].text, c->vals[i].quoted, false);
			}
			if (r >= 0) r = sk_buf_putc(b, ')');
			break;
		case SK_RHS_FIELD:
			r = sk_buf_putc(b, ' ');
			if (r >= 0) r = render_field(b, &c->rfield, c->rfield.kind == SK_OPND_FIELD);
			break;
		default:
			break;
		}
		return r;
	}
	default:
		return 0;
	}
}

int sk_ast_render(const struct sk_ast *a, struct sk_buf *out)
{
	if (!a) return 0;
	return render(a, out, false);
}

int sk_filter_err_excerpt(const char *text, int col, struct sk_buf *out)
{
	const size_t width = 60;
	size_t len = text ? strlen(text) : 0;
	size_t at = col > 0 ? (size_t)col - 1 : 0;
	if (at > len) at = len;
	size_t start = at > width / 2 ? at - width / 2 : 0;
	size_t end = start + width < len ? start + width : len;
	int r = 0;
	if (start > 0) r = sk_buf_puts(out, "...");
	for (size_t i = start; r >= 0 && i < end; i++) {
		char c = text[i];
		r = sk_buf_putc(out, (c == '\n' || c == '\t' || c == '\r') ? ' ' : c);
	}
	if (r >= 0 && end < len) r = sk_buf_puts(out, "...");
	if (r >= 0) r = sk_buf_putc(out, '\n');
	size_t pad = (start > 0 ? 3 : 0) + (at - start);
	for (size_t i = 0; r >= 0 && i < pad; i++) r = sk_buf_putc(out, ' ');
	if (r >= 0) r = sk_buf_putc(out, '^');
	return r;
}
