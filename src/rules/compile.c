/* compile.c — turns the collected lists, macros and rules into compiled
 * rules: exception clauses and list items are spliced into the condition
 * text (as Falco does), the text is parsed, macros are expanded on the AST
 * with visibility and loop checks, event types are inferred, the condition
 * is compiled; unused macros/lists are reported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "rules/rules_int.h"

#define CFAIL(r, code, ctx, ...)                          \
	do {                                              \
		rl_add((r), true, (code), (ctx), __VA_ARGS__); \
		goto fail;                                \
	} while (0)

struct clist {
	const char *name;
	const char **items;
	size_t n;
};

bool rl_valid_lhs_field(struct sk_rules *r, const char *source, const char *field)
{
	(void)r;
#ifdef SK_HAVE_FIELDS
	int src = sk_source_parse(source);
	if (src < 0)
		return true;
	char name[256];
	const char *arg = NULL;
	sk_strlcpy(name, field, sizeof(name));
	char *br = strchr(name, '[');
	if (br) {
		size_t n = strlen(br);
		if (n < 2 || br[n - 1] != ']')
			return false;
		br[n - 1] = 0;
		*br = 0;
		arg = br + 1;
	}
	struct sk_fieldref *f = sk_fieldref_new((enum sk_source)src, name, arg, NULL);
	sk_fieldref_free(f);
	return f != NULL;
#else
	(void)source;
	(void)field;
	return true;
#endif
}

/* Falco quotes an item containing a space unless it starts with a quote. */
static int put_item(struct sk_buf *b, const char *s)
{
	if (strchr(s, ' ') && s[0] != '"' && s[0] != '\'')
		return sk_buf_printf(b, "\"%s\"", s);
	return sk_buf_puts(b, s);
}

static bool is_list_op(const char *op)
{
	extern bool rl_is_modifier_op(const char *s);
	return !strcmp(op, "in") || !strcmp(op, "intersects") || !strcmp(op, "pmatch") ||
	       rl_is_modifier_op(op);
}

/* Appends the exception clauses to the condition text (Falco's exact shape). */
static int build_exceptions(struct sk_rules *r, const struct rl_rule *ru, struct sk_buf *cond)
{
	struct sk_buf ic;
	sk_buf_init(&ic, 0);
	int rc = 0;
	for (size_t e = 0; e < ru->nexcs && !rc; e++) {
		const struct rl_exception *ex = &ru->excs[e];
		sk_buf_reset(&ic);
		if (!ex->fields.is_list) {
			for (size_t i = 0; i < ex->nvalues && !rc; i++) {
				const struct rl_entry *v = &ex->values[i];
				if (v->is_list) {
					rl_add(r, true, SK_LOAD_ERR_VALIDATE, &ex->ctx,
					       "Expected values array to contain a list of strings");
					rc = -1;
					break;
				}
				rc = ic.len ? sk_buf_puts(&ic, ", ")
					    : sk_buf_printf(&ic, "(%s %s (", ex->fields.item, ex->comps.item);
				if (!rc)
					rc = put_item(&ic, v->item ? v->item : "");
			}
			if (!rc && ic.len)
				rc = sk_buf_puts(&ic, "))");
		} else {
			rc = sk_buf_puts(&ic, "(");
			for (size_t i = 0; i < ex->nvalues && !rc; i++) {
				const struct rl_entry *vals = &ex->values[i];
				size_t nv = vals->is_list ? vals->n : 1;
				if (ex->fields.n != nv) {
					rl_add(r, true, SK_LOAD_ERR_VALIDATE, &ex->ctx,
					       "Fields and values lists must have equal length");
					rc = -1;
					break;
				}
				rc = sk_buf_puts(&ic, i ? " or (" : "(");
				for (size_t k = 0; k < ex->fields.n && !rc; k++) {
					const struct rl_entry *v = &vals->items[k];
					const char *comp = ex->comps.items[k].item;
					rc = sk_buf_printf(&ic, "%s %s %s ", k ? " and" : "", ex->fields.items[k].item, comp);
					if (rc)
						break;
					if (v->is_list) {
						rc = sk_buf_putc(&ic, '(');
						for (size_t j = 0; j < v->n && !rc; j++) {
							if (j)
								rc = sk_buf_puts(&ic, ", ");
							if (!rc)
								rc = put_item(&ic, v->items[j].item ? v->items[j].item : "");
						}
						if (!rc)
							rc = sk_buf_putc(&ic, ')');
					} else {
						const char *s = v->item ? v->item : "";
						if (is_list_op(comp))
							rc = s[0] == '(' ? sk_buf_puts(&ic, s) : sk_buf_printf(&ic, "(%s)", s);
						else
							rc = put_item(&ic, s);
					}
				}
				if (!rc)
					rc = sk_buf_puts(&ic, ")");
			}
			if (!rc)
				rc = sk_buf_puts(&ic, ")");
			if (!rc && strcmp(sk_buf_cstr(&ic), "()") == 0)
				sk_buf_reset(&ic);
		}
		if (!rc && ic.len)
			rc = sk_buf_printf(cond, " and not %s", sk_buf_cstr(&ic));
	}
	sk_buf_done(&ic);
	return rc;
}

/* Textual list substitution, exactly as Falco's loader does it. */
static bool resolve_list(char **cnd, const struct clist *l)
{
	static const char *blanks = " \t\n\r";
	static const char *delims = " \t\n\r(),=";
	size_t nl = strlen(l->name);
	bool used = false;
	char *s = *cnd;
	char *hit = strstr(s, l->name);
	while (hit) {
		size_t len = strlen(s);
		size_t start = (size_t)(hit - s), end = start + nl;
		if ((start == 0 || strchr(delims, s[start - 1])) && (end >= len || strchr(delims, s[end]))) {
			while (start > 0 && strchr(blanks, s[start - 1]))
				start--;
			while (end < len && s[end] && strchr(blanks, s[end]))
				end++;
			struct sk_buf sub, nc;
			sk_buf_init(&sub, 0);
			sk_buf_init(&nc, 0);
			int rc = 0;
			for (size_t i = 0; i < l->n && !rc; i++) {
				if (sub.len)
					rc = sk_buf_puts(&sub, ", ");
				if (!rc)
					rc = put_item(&sub, l->items[i]);
			}
			if (sub.len == 0) {
				if (start > 0 && s[start - 1] == ',')
					start--;
				else if (end < len && s[end] == ',')
					end++;
			}
			if (start > 0) {
				rc |= sk_buf_append(&nc, s, start);
				rc |= sk_buf_putc(&nc, ' ');
			}
			rc |= sk_buf_puts(&nc, sk_buf_cstr(&sub));
			rc |= sk_buf_putc(&nc, ' ');
			if (end <= len)
				rc |= sk_buf_puts(&nc, s + end);
			size_t next = start + sub.len + 1;
			sk_buf_done(&sub);
			if (rc) {
				sk_buf_done(&nc);
				return used;
			}
			free(s);
			s = sk_buf_steal(&nc);
			start = next;
			used = true;
		}
		hit = start + 1 <= strlen(s) ? strstr(s + start + 1, l->name) : NULL;
	}
	*cnd = s;
	return used;
}

/* Line/column of byte offset `pos` in `text` (1-based, like the parser). */
static void text_pos(const char *text, size_t pos, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < pos && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Context of a position inside a condition: parent's last location plus the
 * parser's 1-based line/column; named by the condition's first characters. */
static void cond_ctx(struct sk_rules *r, struct rl_ctx *out, const struct rl_ctx *parent,
		     const char *cond, size_t pos)
{
	*out = *parent;
	const struct rl_loc *last = &parent->locs[parent->n - 1];
	int line, col;
	text_pos(cond, pos, &line, &col);
	char nm[32];
	size_t n = strlen(cond);
	if (n > 20)
		snprintf(nm, sizeof(nm), "\"%.17s...\"", cond);
	else
		snprintf(nm, sizeof(nm), "\"%s\"", cond);
	for (char *p = nm; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	int i = out->n < RL_MAX_LOCS ? out->n++ : RL_MAX_LOCS - 1;
	out->locs[i].name = rl_strdup(r, nm);
	out->locs[i].item_name = "";
	out->locs[i].item_type = RL_CONDITION_EXPRESSION;
	out->locs[i].line = last->line + line;
	out->locs[i].col = last->col + col;
	out->locs[i].off = last->off + (long)pos;
	out->alt = rl_strdup(r, cond);
}

struct mexp {
	struct sk_rules *r;
	uint32_t visibility;
	const char *stack[64];
	int depth;
	char loop[128];       /* set on a reference loop */
	char unknown[128];    /* first unknown macro */
	uint32_t pos;
};

static int expand_cb(void *arg, const char *name, uint32_t pos, struct sk_ast **repl,
		     struct sk_err *err);

static int expand(struct mexp *m, struct sk_ast **root)
{
	struct sk_err e;
	sk_err_clear(&e);
	return sk_ast_expand_idents(root, expand_cb, m, &e);
}

static int expand_cb(void *arg, const char *name, uint32_t pos, struct sk_ast **repl,
		     struct sk_err *err)
{
	struct mexp *m = arg;
	struct sk_rules *r = m->r;
	(void)err;
	size_t idx = 0;
	void *v = sk_strmap_get(&r->macro_by_name, name);
	idx = v ? (size_t)(uintptr_t)v : 0;
	if (!idx || r->macros[idx - 1].index >= m->visibility || !r->cmacros[idx - 1].ast) {
		if (!m->unknown[0] && !m->loop[0]) {
			sk_strlcpy(m->unknown, name, sizeof(m->unknown));
			m->pos = pos;
		}
		return -ENOENT;
	}
	for (int i = 0; i < m->depth; i++)
		if (!strcmp(m->stack[i], name)) {
			sk_strlcpy(m->loop, name, sizeof(m->loop));
			m->pos = pos;
			return -ELOOP;
		}
	if (m->depth == (int)SK_ARRAY_LEN(m->stack)) {
		sk_strlcpy(m->loop, name, sizeof(m->loop));
		return -ELOOP;
	}
	struct sk_ast *c = sk_ast_clone(r->cmacros[idx - 1].ast);
	if (!c)
		return -ENOMEM;
	m->stack[m->depth++] = name;
	int rc = expand(m, &c);
	m->depth--;
	if (rc < 0) {
		sk_ast_free(c);
		return rc;
	}
	r->cmacros[idx - 1].used = true;
	*repl = c;
	return 0;
}

/* Parses condition text after list substitution. On error records
 * LOAD_ERR_COMPILE_CONDITION and returns NULL. `text_out` gets the text. */
static struct sk_ast *parse_cond(struct sk_rules *r, const char *cond, struct clist *lists,
				 size_t nlists, const struct rl_ctx *ctx, char **text_out)
{
	char *s = strdup(cond);
	if (!s)
		return NULL;
	for (size_t i = 0; i < nlists; i++)
		if (resolve_list(&s, &lists[i]))
			r->list_used[i] = true;
	struct sk_err e;
	sk_err_clear(&e);
	struct sk_ast *a = sk_filter_parse(s, &e);
	if (!a) {
		struct rl_ctx c;
		cond_ctx(r, &c, ctx, s, e.col > 0 ? (size_t)e.col - 1 : 0);
		rl_add(r, true, SK_LOAD_ERR_COMPILE_CONDITION, &c, "%s", e.msg);
		free(s);
		return NULL;
	}
	if (text_out)
		*text_out = s;
	else
		free(s);
	return a;
}

static int resolve_macros(struct sk_rules *r, struct sk_ast **ast, uint32_t visibility,
			  const char *cond, const struct rl_ctx *ctx)
{
	struct mexp m = {.r = r, .visibility = visibility};
	int rc = expand(&m, ast);
	if (rc == 0)
		return 0;
	struct rl_ctx c;
	cond_ctx(r, &c, ctx, cond, m.pos);
	if (m.loop[0])
		rl_add(r, true, SK_LOAD_ERR_VALIDATE, &c, "reference loop in macro '%s'", m.loop);
	else if (m.unknown[0])
		rl_add(r, true, SK_LOAD_ERR_VALIDATE, &c, "Undefined macro '%s' used in filter.", m.unknown);
	else
		rl_add(r, true, SK_LOAD_ERR_VALIDATE, &c, "out of memory");
	return -1;
}

void rl_compiled_free(struct sk_rules *r)
{
	for (size_t i = 0; i < r->ncrules; i++) {
		struct rl_crule *c = &r->crules[i];
		sk_ast_free(c->ast);
		sk_filter_free(c->filter);
		free(c->cond_compiled);
		free(c->evttypes);
		free((void *)c->pub.output);
		free(c->exc_fields);
	}
	free(r->crules);
	r->crules = NULL;
	r->ncrules = 0;
	for (size_t i = 0; i < r->ncmacros; i++)
		sk_ast_free(r->cmacros[i].ast);
	free(r->cmacros);
	r->cmacros = NULL;
	r->ncmacros = 0;
	free(r->list_used);
	r->list_used = NULL;
	sk_strmap_done(&r->crule_by_name);
	sk_strmap_init(&r->crule_by_name);
}

/* Warnings sk_filter_compile_warn reported for one condition (bounded: more
 * than a rule can sensibly carry are dropped). */
struct cwarns {
	int n;
	struct {
		int code, col;
		char msg[256];
	} w[16];
};

static void collect_warn(void *ctx, enum sk_filter_warn code, int col, const char *msg)
{
	struct cwarns *cw = ctx;
	if (cw->n >= (int)SK_ARRAY_LEN(cw->w))
		return;
	cw->w[cw->n].code = code;
	cw->w[cw->n].col = col;
	sk_strlcpy(cw->w[cw->n].msg, msg, sizeof(cw->w[cw->n].msg));
	cw->n++;
}

/* Falco reports the <NA> check (context: the condition's start) whether or
 * not the condition compiles, the compiler's value warnings (context: the
 * value) only when it does. */
static void emit_warns(struct sk_rules *r, const struct cwarns *cw, bool compiled,
		       const struct rl_ctx *parent, const char *text)
{
	for (int i = 0; i < cw->n; i++) {
		struct rl_ctx c;
		if (cw->w[i].code == SK_FILTER_WARN_NA_CHECK) {
			cond_ctx(r, &c, parent, text, 0);
			rl_add(r, false, SK_LOAD_UNSAFE_NA_CHECK, &c, "%s", "");
		} else if (compiled) {
			cond_ctx(r, &c, parent, text, cw->w[i].col > 0 ? (size_t)cw->w[i].col - 1 : 0);
			rl_add(r, false, SK_LOAD_COMPILE_CONDITION, &c, "%s", cw->w[i].msg);
		}
	}
}

static const char *const deprecated_fields[] = {"evt.dir", "evt.latency", "evt.wait_latency"};

/* Falco 0.22's -pc/-pk: every %container.info of `out` becomes `with`. */
static int replace_container_info(struct sk_buf *out, const char *with)
{
	struct sk_buf t;
	sk_buf_init(&t, 0);
	const char *s = sk_buf_cstr(out);
	int rc = 0;
	for (const char *p; !rc && (p = strstr(s, "%container.info"));) {
		rc = sk_buf_append(&t, s, (size_t)(p - s));
		if (!rc)
			rc = sk_buf_puts(&t, with);
		s = p + strlen("%container.info");
	}
	if (!rc)
		rc = sk_buf_puts(&t, s);
	if (!rc) {
		sk_buf_reset(out);
		rc = sk_buf_puts(out, sk_buf_cstr(&t));
	}
	sk_buf_done(&t);
	return rc;
}

static int compile_rule(struct sk_rules *r, const struct rl_rule *ru, struct clist *lists,
			size_t nlists, struct rl_crule *out)
{
	struct sk_buf cond, outp;
	sk_buf_init(&cond, 0);
	sk_buf_init(&outp, 0);
	char *text = NULL;
	struct sk_ast *ast = NULL;
	int ret = -1;
	memset(out, 0, sizeof(*out));

	if (ru->nexcs) {
		if (sk_buf_printf(&cond, "(%s)", ru->cond) < 0 || build_exceptions(r, ru, &cond) < 0)
			goto fail;
	} else if (sk_buf_puts(&cond, ru->cond) < 0) {
		goto fail;
	}
	/* output: appended formats, %container.info */
	if (sk_buf_puts(&outp, ru->output) < 0)
		goto fail;
	bool extra = r->opts.extra_output && r->opts.extra_output[0] && !strcmp(ru->source, "syscall");
	if (extra && r->opts.replace_container_info && strstr(sk_buf_cstr(&outp), "%container.info")) {
		if (replace_container_info(&outp, r->opts.extra_output) < 0)
			goto fail;
	} else if (extra && sk_buf_printf(&outp, " %s", r->opts.extra_output) < 0) {
		goto fail;
	}
	const char *ci = strstr(sk_buf_cstr(&outp), "%container.info");
	if (ci) {
		rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ru->ctx,
		       "%%container.info is deprecated and no more useful, and will be dropped by Falco "
		       "1.0.0. The container plugin will automatically add required fields to the output "
		       "message.");
		struct sk_buf t;
		sk_buf_init(&t, 0);
		const char *s = sk_buf_cstr(&outp);
		for (const char *p; (p = strstr(s, "%container.info"));) {
			if (sk_buf_append(&t, s, (size_t)(p - s)) < 0)
				break;
			s = p + strlen("%container.info");
		}
		if (sk_buf_puts(&t, s) == 0) {
			sk_buf_reset(&outp);
			if (sk_buf_puts(&outp, sk_buf_cstr(&t)) < 0) {
				sk_buf_done(&t);
				goto fail;
			}
		}
		sk_buf_done(&t);
	}
	for (size_t i = 0; i < SK_ARRAY_LEN(deprecated_fields); i++)
		if (strstr(sk_buf_cstr(&outp), deprecated_fields[i]))
			rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ru->output_ctx,
			       "usage of deprecated field '%s' has been detected in the rule output",
			       deprecated_fields[i]);

	if (r->opts.check_output) {
		struct sk_err oe;
		sk_err_clear(&oe);
		int osrc = !strcmp(ru->source, "k8s_audit") ? SK_SRC_K8S_AUDIT : SK_SRC_SYSCALL;
		if (r->opts.check_output(r->opts.check_output_ctx, osrc, sk_buf_cstr(&outp), &oe) != 0) {
			if (strstr(oe.msg, "invalid formatting token") && ru->skip_unknown) {
				rl_add(r, false, SK_LOAD_UNKNOWN_FILTER, &ru->output_ctx, "%s", oe.msg);
				ret = 1;
				goto fail;
			}
			rl_add(r, true, SK_LOAD_ERR_COMPILE_OUTPUT, &ru->output_ctx, "%s", oe.msg);
			goto fail;
		}
	}
	ast = parse_cond(r, sk_buf_cstr(&cond), lists, nlists, &ru->cond_ctx, &text);
	if (!ast)
		goto fail;
	if (resolve_macros(r, &ast, UINT32_MAX, text, &ru->ctx) < 0)
		goto fail;

	int src = !strcmp(ru->source, "k8s_audit") ? SK_SRC_K8S_AUDIT : SK_SRC_SYSCALL;
	struct sk_evtset es;
	sk_ast_evttypes(ast, &es);
	struct sk_err e;
	sk_err_clear(&e);
	struct cwarns cw = {0};
	struct sk_filter *f = sk_filter_compile_warn(ast, (enum sk_source)src, collect_warn, &cw, &e);
	emit_warns(r, &cw, f != NULL, &ru->cond_ctx, text);
	if (!f && e.code != -ENOSYS) {
		struct rl_ctx c;
		cond_ctx(r, &c, &ru->cond_ctx, text, e.col > 0 ? (size_t)e.col - 1 : 0);
		/* Falco (libsinsp) words an unknown field this way; keep its text. */
		char fname[256];
		if (sscanf(e.msg, "unknown field '%255[^']'", fname) == 1)
			snprintf(e.msg, sizeof(e.msg), "filter_check called with nonexistent field %s", fname);
		bool unknown = strstr(e.msg, "nonexistent field") || strstr(e.msg, "unknown event type") ||
			       strstr(e.msg, "invalid formatting token") || strstr(e.msg, "unknown filter:");
		if (unknown && ru->skip_unknown) {
			rl_add(r, false, SK_LOAD_UNKNOWN_FILTER, &c, "%s", e.msg);
			ret = 1;
			goto fail;
		}
		rl_add(r, true, SK_LOAD_ERR_COMPILE_CONDITION, &c, "%s", e.msg);
		goto fail;
	}
	if (!strcmp(ru->source, "syscall")) {
		size_t n = sk_evtset_count(&es);
		if ((n == 0 || n > 100) && ru->warn_evttypes)
			rl_add(r, false, SK_LOAD_NO_EVTTYPE, &ru->ctx,
			       "Rule matches too many evt.type values. This has a significant performance penalty.");
	}
	out->ast = ast;
	out->filter = f;
	out->pub.filter = f;
	out->pub.all_evttypes = sk_evtset_is_all(&es);
	size_t n = sk_evtset_count(&es);
	out->evttypes = malloc((n ? n : 1) * sizeof(uint16_t));
	if (!out->evttypes)
		goto fail;
	n = 0;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++)
		if (sk_evtset_has(&es, c))
			out->evttypes[n++] = (uint16_t)c;
	out->pub.nevttypes = n;
	out->pub.evttypes = out->pub.all_evttypes ? NULL : out->evttypes;
	struct sk_buf rb;
	sk_buf_init(&rb, 0);
	if (sk_ast_render(ast, &rb) == 0)
		out->cond_compiled = sk_buf_steal(&rb);
	sk_buf_done(&rb);
	out->pub.cond_compiled = out->cond_compiled;
	out->pub.name = ru->name;
	out->pub.desc = ru->desc;
	out->pub.cond = ru->cond;
	out->pub.output = sk_buf_steal(&outp);
	out->pub.source = ru->source;
	out->pub.priority = ru->priority;
	out->pub.tags = ru->tags;
	out->pub.ntags = ru->ntags;
	out->pub.enabled = ru->enabled;
	out->pub.capture = ru->capture;
	out->pub.capture_duration = ru->capture_duration;
	out->pub.source_id = -1;
	for (size_t i = 0; i < r->nsources; i++)
		if (!strcmp(r->sources[i], ru->source))
			out->pub.source_id = (int)i;
	ast = NULL;
	ret = 0;
fail:
	sk_ast_free(ast);
	free(text);
	sk_buf_done(&cond);
	sk_buf_done(&outp);
	return ret;
}

int rl_compile(struct sk_rules *r)
{
	rl_compiled_free(r);
	struct clist *lists = calloc(r->nlists + 1, sizeof(*lists));
	r->list_used = calloc(r->nlists + 1, sizeof(bool));
	r->cmacros = calloc(r->nmacros + 1, sizeof(*r->cmacros));
	r->crules = calloc(r->nrules + 1, sizeof(*r->crules));
	int rc = -1;
	if (!lists || !r->list_used || !r->cmacros || !r->crules) {
		struct rl_ctx c;
		rl_ctx_root(&c, "");
		CFAIL(r, SK_LOAD_ERR_VALIDATE, &c, "out of memory");
	}
	/* lists: flatten references to lists defined earlier */
	for (size_t i = 0; i < r->nlists; i++) {
		const struct rl_list *l = &r->lists[i];
		size_t total = 0;
		for (size_t k = 0; k < l->n; k++) {
			void *v = sk_strmap_get(&r->list_by_name, l->items[k]);
			const struct rl_list *ref = v ? &r->lists[(size_t)(uintptr_t)v - 1] : NULL;
			total += ref && ref->index < l->visibility ? ref->n : 1;
		}
		lists[i].name = l->name;
		lists[i].items = calloc(total + 1, sizeof(char *));
		if (!lists[i].items) {
			struct rl_ctx c;
			rl_ctx_root(&c, "");
			CFAIL(r, SK_LOAD_ERR_VALIDATE, &c, "out of memory");
		}
		for (size_t k = 0; k < l->n; k++) {
			void *v = sk_strmap_get(&r->list_by_name, l->items[k]);
			size_t ri = v ? (size_t)(uintptr_t)v - 1 : 0;
			const struct rl_list *ref = v ? &r->lists[ri] : NULL;
			if (ref && ref->index < l->visibility) {
				r->list_used[ri] = true;
				for (size_t j = 0; j < ref->n; j++)
					lists[i].items[lists[i].n++] = ref->items[j];
			} else {
				lists[i].items[lists[i].n++] = l->items[k];
			}
		}
	}
	/* macros: parse all, then expand in order with visibility */
	for (size_t i = 0; i < r->nmacros; i++) {
		r->cmacros[i].name = r->macros[i].name;
		r->cmacros[i].ast = parse_cond(r, r->macros[i].cond, lists, r->nlists,
					       &r->macros[i].cond_ctx, NULL);
		r->ncmacros = i + 1; /* freed by rl_compiled_free if a later one fails
				      * (the leak fuzz_rules found) */
		if (!r->cmacros[i].ast)
			goto fail;
	}
	r->ncmacros = r->nmacros;
	for (size_t i = 0; i < r->nmacros; i++) {
		char *text = strdup(r->macros[i].cond);
		int e = text ? resolve_macros(r, &r->cmacros[i].ast, r->macros[i].visibility, text,
					      &r->macros[i].ctx) : -1;
		free(text);
		if (e < 0)
			goto fail;
	}
	/* rules, in definition order */
	for (size_t i = 0; i < r->nrules; i++) {
		const struct rl_rule *ru = &r->rules[i];
		if (ru->unknown_source)
			continue;
		int e = compile_rule(r, ru, lists, r->nlists, &r->crules[r->ncrules]);
		if (e < 0)
			goto fail;
		if (e > 0)
			continue;
		struct rl_crule *c = &r->crules[r->ncrules];
		c->pub.id = (uint32_t)r->ncrules;
		if (sk_strmap_put(&r->crule_by_name, c->pub.name, c) < 0) {
			r->ncrules++;
			CFAIL(r, SK_LOAD_ERR_VALIDATE, &ru->ctx, "out of memory");
		}
		r->ncrules++;
	}
	for (size_t i = 0; i < r->nmacros; i++)
		if (!r->cmacros[i].used)
			rl_add(r, false, SK_LOAD_UNUSED_MACRO, &r->macros[i].ctx,
			       "Macro not referred to by any other rule/macro");
	for (size_t i = 0; i < r->nlists; i++)
		if (!r->list_used[i])
			rl_add(r, false, SK_LOAD_UNUSED_LIST, &r->lists[i].ctx,
			       "List not referred to by any other rule/macro");
	rc = 0;
fail:
	if (lists)
		for (size_t i = 0; i < r->nlists; i++)
			free(lists[i].items);
	free(lists);
	return rc;
}
