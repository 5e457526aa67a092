/* fuzz_filter.c — libFuzzer target for the condition parser, the AST
 * helpers and the compiler: parse arbitrary bytes, and for accepted input
 * render, re-parse, clone, expand lists, infer event types, compile against
 * the real field registry (with warnings), and evaluate conditions whose
 * operands are all literals (transformers over quoted strings and lists:
 * join, concat, getopt, modifiers), which needs no event. Nothing may crash
 * or leak, and a rendered condition must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"

static bool some_list(void *ctx, const char *name, const char *const **items, size_t *n)
{
	static const char *const vals[] = { "a", "\"b c\"", "'d'" };
	(void)ctx;
	if (name[0] != 'l') return false;
	*items = vals;
	*n = 3;
	return true;
}

static void on_warn(void *ctx, enum sk_filter_warn code, int col, const char *msg)
{
	(void)code;
	(void)col;
	*(size_t *)ctx += strlen(msg);
}

/* True when no operand of the tree reads a field (transformers of literals). */
static bool opnd_literal(const struct sk_ast_field *f)
{
	if (f->kind == SK_OPND_FIELD) return false;
	for (uint32_t i = 0; i < f->nargs; i++)
		if (!opnd_literal(&f->args[i])) return false;
	return true;
}

static bool no_fields(const struct sk_ast *n, void *ctx)
{
	bool *ok = ctx;
	if (n->kind == SK_AST_CHECK &&
	    (!opnd_literal(&n->u.check.lhs) ||
	     (n->u.check.rhs == SK_RHS_FIELD && !opnd_literal(&n->u.check.rfield))))
		*ok = false;
	return *ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s) return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct sk_err err;
	struct sk_ast *a = sk_filter_parse(s, &err);
	if (a) {
		struct sk_buf b;
		sk_buf_init(&b, 0);
		if (sk_ast_render(a, &b) == 0) {
			struct sk_ast *r = sk_filter_parse(sk_buf_cstr(&b), &err);
			if (!r) abort(); /* rendering must round-trip */
			sk_ast_free(r);
		}
		sk_buf_done(&b);
		struct sk_ast *c = sk_ast_clone(a);
		if (c && sk_ast_expand_lists(c, some_list, NULL, &err) == 0) {
			struct sk_evtset set;
			sk_ast_evttypes(c, &set);
		}
		sk_ast_free(c);
		size_t wlen = 0;
		struct sk_filter *f = sk_filter_compile_warn(a, SK_SRC_SYSCALL, on_warn, &wlen, &err);
		bool lit = true;
		sk_ast_visit(a, no_fields, &lit);
		if (f && lit) {
			struct sk_eval_ctx ctx;
			memset(&ctx, 0, sizeof(ctx));
			(void)sk_filter_eval(f, &ctx);
		}
		sk_filter_free(f);
		sk_ast_free(a);
	} else {
		struct sk_buf b;
		sk_buf_init(&b, 0);
		if (sk_filter_err_excerpt(s, err.col, &b) < 0) abort();
		sk_buf_done(&b);
	}
	free(s);
	return 0;
}
