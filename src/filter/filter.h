/* filter.h — the condition language: parse text into an AST, let the rules
 * layer expand macros and lists in it, compile it into an evaluation tree,
 * evaluate it against an event.
 *
 * The AST is public (the rules layer walks and rewrites it); the compiled
 * filter is opaque. Parse and compile errors carry a 1-based column into the
 * condition text (struct sk_err.col) and a message. */
#ifndef SK_FILTER_H
#define SK_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "fields/fields.h"
#include "util/util.h"

struct sk_ast;     /* defined below by the filter module owner */
struct sk_filter;  /* compiled, opaque */

/* Parses a condition. Returns NULL with err (col, message) on a syntax error.
 * Never crashes on any input; nesting depth is bounded. */
struct sk_ast *sk_filter_parse(const char *text, struct sk_err *err);
void sk_ast_free(struct sk_ast *a); /* NULL-safe */

/* Compiles an AST (macros and lists already expanded) for a source: binds
 * fields, checks operators against field types, pre-parses constants, builds
 * hash sets and regexes. Returns NULL with err on failure. */
struct sk_filter *sk_filter_compile(const struct sk_ast *a, enum sk_source src,
				    struct sk_err *err);
void sk_filter_free(struct sk_filter *f); /* NULL-safe */

/* Evaluates a compiled filter. Allocates nothing. */
bool sk_filter_eval(const struct sk_filter *f, struct sk_eval_ctx *ctx);

#endif
