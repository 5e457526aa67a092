/* filter.h — the condition language: parse text into an AST, let the rules
 * layer expand macros and lists in it, compile it into an evaluation tree,
 * evaluate it against an event.
 *
 * The AST is public (the rules layer walks and rewrites it); the compiled
 * filter is opaque. Parse and compile errors carry a 1-based column into the
 * condition text (struct sk_err.col) and a message; positions inside the AST
 * are 0-based byte offsets into the text that was parsed. */
#ifndef SK_FILTER_H
#define SK_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "fields/fields.h"
#include "util/util.h"

struct sk_filter;  /* compiled, opaque */

/* ---- AST ------------------------------------------------------------------ */

enum sk_ast_kind {
	SK_AST_AND = 0,   /* kids[0..nkids-1], n-ary, nkids >= 2 */
	SK_AST_OR,        /* kids[0..nkids-1], n-ary, nkids >= 2 */
	SK_AST_NOT,       /* kids[0] */
	SK_AST_CHECK,     /* u.check */
	SK_AST_IDENT,     /* u.ident: a macro reference */
};

enum sk_op {
	SK_OP_EQ = 0,      /* "=" and "==" */
	SK_OP_NE,
	SK_OP_LT,
	SK_OP_LE,
	SK_OP_GT,
	SK_OP_GE,
	SK_OP_CONTAINS,
	SK_OP_ICONTAINS,
	SK_OP_BCONTAINS,
	SK_OP_STARTSWITH,
	SK_OP_BSTARTSWITH,
	SK_OP_ENDSWITH,
	SK_OP_GLOB,
	SK_OP_IGLOB,
	SK_OP_REGEX,
	SK_OP_IN,
	SK_OP_INTERSECTS,
	SK_OP_PMATCH,
	SK_OP_EXISTS,
	SK_OP_COUNT
};

/* Operator as written ("=", "contains", ...). */
const char *sk_op_name(enum sk_op op);

enum sk_transformer {
	SK_TR_TOLOWER = 1,
	SK_TR_TOUPPER,
	SK_TR_B64,
	SK_TR_BASENAME,
	SK_TR_LEN,
	SK_TR_JOIN,     /* join(sep, list) */
	SK_TR_CONCAT,   /* concat(a, b, ...) */
	SK_TR_GETOPT,   /* getopt(argv_list, "optstring") [ "[" o "]" ] */
};

/* Modifier after a string operator: "= oneof (a, b)" (conditions.md §2). */
enum sk_op_mod {
	SK_MOD_NONE = 0,
	SK_MOD_ONEOF,   /* exactly one element satisfies `value OP element` */
	SK_MOD_ANYOF,   /* at least one */
	SK_MOD_ALLOF,   /* every one */
};

/* Nesting limit of transformers inside one operand:
 * toupper(basename(x)) is 2 levels. */
#define SK_AST_MAX_TR 8

enum sk_ast_opnd_kind {
	SK_OPND_FIELD = 0,  /* name [ "[" arg "]" ] */
	SK_OPND_LIT,        /* a quoted string or a number given as a transformer argument:
	                       name holds the decoded text */
	SK_OPND_LIST,       /* "(" ... ")" given as a transformer argument: args are the elements
	                       (fields, transformers, literals; never lists) */
	SK_OPND_TR,         /* a transformer call: tr, args, and arg = the index after ')' */
};

/* An operand: a field, possibly wrapped in transformers, which may take
 * several arguments (join, concat, getopt). A tree; the parser bounds its
 * transformer nesting at SK_AST_MAX_TR. */
struct sk_ast_field {
	uint8_t kind;               /* enum sk_ast_opnd_kind */
	uint8_t tr;                 /* SK_OPND_TR: enum sk_transformer */
	char *name;                 /* FIELD: "proc.aname", "evt.arg.flags" (as written);
	                               LIT: the text */
	char *arg;                  /* FIELD: bracket argument, decoded; TR: "[o]" after the call;
	                               NULL when none */
	struct sk_ast_field *args;  /* TR: arguments; LIST: elements */
	uint32_t nargs;
	uint32_t pos;               /* offset of the operand (first transformer or the name) */
};

/* A literal value (decoded: quotes removed, escapes applied; never holds NUL). */
struct sk_ast_value {
	char *text;
	bool quoted;                /* written in quotes: never a list/identifier reference */
	uint32_t pos;
};

enum sk_rhs_kind {
	SK_RHS_NONE = 0,   /* exists */
	SK_RHS_VALUE,      /* one literal: vals[0] */
	SK_RHS_LIST,       /* "(a, b, ...)": vals[0..nvals-1] (may be empty) */
	SK_RHS_LISTREF,    /* bare identifier after in/intersects/pmatch or a modifier
	                      (oneof/anyof/allof): vals[0] is the name;
	                      a list name, or else the single value (Falco: "in foo" = "in (foo)") */
	SK_RHS_FIELD,      /* val(field) or a transformer: rfield */
};

struct sk_ast_check {
	struct sk_ast_field lhs;
	uint8_t op;                 /* enum sk_op */
	uint8_t mod;                /* enum sk_op_mod: then rhs is LIST or LISTREF */
	uint8_t rhs;                /* enum sk_rhs_kind */
	uint32_t op_pos;
	struct sk_ast_value *vals;
	uint32_t nvals;
	struct sk_ast_field rfield;
};

struct sk_ast {
	uint8_t kind;               /* enum sk_ast_kind */
	uint32_t pos;               /* offset of the node's first token */
	struct sk_ast **kids;
	uint32_t nkids;
	union {
		struct sk_ast_check check;
		char *ident;
	} u;
};

/* Nesting depth accepted by the parser (parentheses + not + and/or levels). */
#define SK_FILTER_MAX_DEPTH 1000

/* Parses a condition. Returns NULL with err (col, message) on a syntax error.
 * Never crashes on any input; nesting depth is bounded. */
struct sk_ast *sk_filter_parse(const char *text, struct sk_err *err);
/* The same with sysdig's string escapes: \xHH (two hex digits) is accepted
 * there, while Falco's rules reject it ("unsupported string escape
 * sequence"). Used by `saker inspect`. */
struct sk_ast *sk_filter_parse_sysdig(const char *text, struct sk_err *err);
void sk_ast_free(struct sk_ast *a); /* NULL-safe */

/* Deep copy; NULL on OOM. */
struct sk_ast *sk_ast_clone(const struct sk_ast *a);

/* Constructors the rules layer needs to build conditions (exceptions):
 * take ownership of the kids / copy the strings. NULL on OOM (kids freed). */
struct sk_ast *sk_ast_new_bool(enum sk_ast_kind kind, struct sk_ast **kids, uint32_t nkids);
struct sk_ast *sk_ast_new_not(struct sk_ast *kid);

/* Decodes one list item as written in a rules-file list (Falco inserts list
 * items textually): an item that is one complete quoted token is unquoted and
 * unescaped, anything else is taken verbatim. Returns a malloc'd string or
 * NULL (err set) when the quoted form is malformed. */
char *sk_filter_decode_item(const char *item, struct sk_err *err);

/* ---- rewriting (macro and list expansion) -----------------------------------
 * Macro references: for every IDENT node (pre-order), `fn` is called with its
 * name. fn returns 0 and sets *repl to a replacement tree (ownership passes to
 * the AST; the walker does NOT descend into it, so the caller expands it
 * first, which is where it detects cycles), or leaves *repl NULL to keep the
 * node; a negative return aborts the walk and is returned (fn fills err). */
typedef int (*sk_ast_ident_fn)(void *ctx, const char *name, uint32_t pos,
			       struct sk_ast **repl, struct sk_err *err);
int sk_ast_expand_idents(struct sk_ast **root, sk_ast_ident_fn fn, void *ctx,
			 struct sk_err *err) SK_WUR;

/* Lists: for the unquoted items of value lists of in/intersects/pmatch and
 * for SK_RHS_LISTREF names, `fn` says whether a list of that name exists
 * (returns true and its raw items, decoded with sk_filter_decode_item). A
 * matching item is replaced in place by the list's items; a LISTREF becomes a
 * LIST (of the items if the list exists, else of the name itself). Items are
 * inserted once (no recursion: the rules layer flattens nested lists).
 * Returns 0 or a negative code (err filled). */
typedef bool (*sk_ast_list_fn)(void *ctx, const char *name, const char *const **items,
			       size_t *nitems);
int sk_ast_expand_lists(struct sk_ast *root, sk_ast_list_fn fn, void *ctx,
			struct sk_err *err) SK_WUR;

/* Generic pre-order visit of every node; stop early when fn returns false. */
void sk_ast_visit(const struct sk_ast *a, bool (*fn)(const struct sk_ast *n, void *ctx),
		  void *ctx);

/* ---- event-type inference ---------------------------------------------------
 * Set of event codes a condition can match: and = intersection, or = union,
 * negation pushed to the leaves; evt.type =, !=, in, intersects give explicit
 * sets (every code sharing a name counts; names that are not event names are
 * carried by the generic syscall events 0/1); every other check is neutral
 * (all codes). Unexpanded macro references are neutral. */
struct sk_evtset {
	uint64_t bits[(SK_EVENT_MAX + 63) / 64];
};

void sk_ast_evttypes(const struct sk_ast *a, struct sk_evtset *out);
static inline bool sk_evtset_has(const struct sk_evtset *s, unsigned code)
{
	return code < SK_EVENT_MAX && (s->bits[code / 64] >> (code % 64)) & 1;
}
size_t sk_evtset_count(const struct sk_evtset *s);       /* number of codes */
/* Number of distinct evt.type names (Falco's "too many evt.type values" counts names). */
size_t sk_evtset_count_names(const struct sk_evtset *s);
bool sk_evtset_is_all(const struct sk_evtset *s);

/* ---- rendering ----------------------------------------------------------------
 * Appends condition text that parses back to an equivalent tree (values quoted
 * when needed, n-ary nodes parenthesised when nested). Returns 0 or -E2BIG. */
int sk_ast_render(const struct sk_ast *a, struct sk_buf *out) SK_WUR;

/* Appends an excerpt of `text` around 1-based column `col` and a second line
 * with a caret under it (no trailing newline). Long texts are cut around col. */
int sk_filter_err_excerpt(const char *text, int col, struct sk_buf *out) SK_WUR;

/* ---- compile and evaluate ------------------------------------------------------ */

/* Compiles an AST (macros and lists already expanded) for a source: binds
 * fields, checks operators against field types, pre-parses constants, builds
 * hash sets and regexes. Returns NULL with err on failure (err.col set from
 * the offending node's position). */
struct sk_filter *sk_filter_compile(const struct sk_ast *a, enum sk_source src,
				    struct sk_err *err);
void sk_filter_free(struct sk_filter *f); /* NULL-safe */

/* Warnings a condition can compile with (it still compiles). */
enum sk_filter_warn {
	/* a ka.* / jevt.* field compared with the literal "<NA>" by =, ==, !=, in,
	 * intersects or pmatch (Falco: LOAD_UNSAFE_NA_CHECK, empty message);
	 * reported at most once per compile */
	SK_FILTER_WARN_NA_CHECK = 1,
	/* libsinsp's compiler warnings (Falco: LOAD_COMPILE_CONDITION): a string
	 * value that names a field or looks like a transformer call, a regex that a
	 * simpler operator could do; one per value, msg in libsinsp's wording */
	SK_FILTER_WARN_VALUE,
};
/* Called once per warning, in condition order; col is 1-based (0 = none). */
typedef void (*sk_filter_warn_fn)(void *ctx, enum sk_filter_warn code, int col, const char *msg);

/* sk_filter_compile() that also reports warnings through `warn` (may be NULL). */
struct sk_filter *sk_filter_compile_warn(const struct sk_ast *a, enum sk_source src,
					 sk_filter_warn_fn warn, void *warn_ctx,
					 struct sk_err *err);

/* Evaluates a compiled filter. Allocates nothing. */
bool sk_filter_eval(const struct sk_filter *f, struct sk_eval_ctx *ctx);

#endif
