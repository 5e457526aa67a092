/* fuzz_filter.c — libFuzzer target for the condition parser and the AST
 * helpers: parse arbitrary bytes, and for accepted input render, re-parse,
 * clone, expand lists and infer event types. Nothing may crash or leak, and
 * a rendered condition must parse again. */
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
