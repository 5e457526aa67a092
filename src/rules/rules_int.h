/* rules_int.h — private to src/rules: the collector's items, load contexts
 * (Falco's chain of locations), results, and the compiled ruleset.
 *
 * Ownership: all collector strings and arrays live in the engine's arena
 * (`r->arena`) and are never freed individually; compiled objects (ASTs,
 * filters, index arrays) are malloc'd and rebuilt by every compile. */
#ifndef SK_RULES_INT_H
#define SK_RULES_INT_H

#include <yaml.h>

#include "rules/rules.h"

#define RL_MAX_LOCS 8

/* Item types as Falco names them in contexts. */
enum rl_item {
	RL_VALUE_FOR = 0, RL_EXCEPTIONS, RL_EXCEPTION, RL_EXCEPTION_VALUES, RL_EXCEPTION_VALUE,
	RL_RULES_CONTENT, RL_RULES_CONTENT_ITEM, RL_REQUIRED_ENGINE_VERSION,
	RL_REQUIRED_PLUGIN_VERSIONS, RL_REQUIRED_PLUGIN_VERSIONS_ENTRY,
	RL_REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE, RL_LIST, RL_LIST_ITEM, RL_MACRO,
	RL_MACRO_CONDITION, RL_RULE, RL_RULE_CONDITION, RL_CONDITION_EXPRESSION, RL_RULE_OUTPUT,
	RL_RULE_OUTPUT_EXPRESSION, RL_RULE_PRIORITY, RL_OVERRIDE, RL_EXTENSION_ITEM,
};
const char *rl_item_str(int t);

struct rl_loc {
	const char *name;       /* file name, or "\"cond prefix...\"" for conditions */
	const char *item_name;
	uint8_t item_type;
	int line, col;          /* 0-based (YAML marks) */
	long off;
};

struct rl_ctx {
	struct rl_loc locs[RL_MAX_LOCS];
	int n;
	const char *alt;        /* condition text used for the snippet, or NULL */
};

struct rl_msg {
	int code;
	char *msg;
	struct rl_ctx ctx;
};

struct sk_load_result {
	char *name;
	bool ok;
	struct rl_msg *errs, *warns;
	size_t nerrs, nwarns, cerrs, cwarns;
};

struct rl_list {
	const char *name;
	const char **items;
	size_t n, cap;
	uint32_t index, visibility;
	struct rl_ctx ctx;
};

struct rl_macro {
	const char *name, *cond;
	uint32_t index, visibility;
	struct rl_ctx ctx, cond_ctx;
};

/* An exception's fields/comps/values entry: scalar or (nested) list. */
struct rl_entry {
	bool valid, is_list;
	const char *item;
	struct rl_entry *items;
	size_t n;
};

struct rl_exception {
	const char *name;
	struct rl_entry fields, comps;
	struct rl_entry *values;
	size_t nvalues, cvalues;
	struct rl_ctx ctx;
};

struct rl_rule {
	const char *name, *cond, *output, *desc, *source;
	int priority;
	const char **tags;
	size_t ntags;
	struct rl_exception *excs;
	size_t nexcs;
	bool enabled, capture, warn_evttypes, skip_unknown, unknown_source;
	uint32_t capture_duration;
	uint32_t index, visibility;
	struct rl_ctx ctx, cond_ctx, output_ctx;
};

struct rl_plugreq {
	const char *name, *version;
};
struct rl_plugreq_group {
	struct rl_plugreq *alts;
	size_t n;
};

/* A source file's content, kept for snippets. */
struct rl_content {
	const char *name;
	const char *text;
	size_t len;
};

/* Compiled rule (public view + private parts). */
struct rl_crule {
	struct sk_rule pub;
	struct sk_ast *ast;
	struct sk_filter *filter;
	char *cond_compiled;
	uint16_t *evttypes;
	const char **exc_fields;
	size_t nexc_fields;
};

struct rl_cmacro {
	const char *name;
	struct sk_ast *ast;     /* expanded */
	bool used;
};

struct sk_rules {
	struct sk_arena arena;
	struct sk_rules_opts opts;
	const char **sources;
	size_t nsources;

	uint32_t cur_index;
	struct rl_list *lists;
	size_t nlists, clists;
	struct sk_strmap list_by_name;   /* name -> index+1 */
	struct rl_macro *macros;
	size_t nmacros, capmacros;
	struct sk_strmap macro_by_name;
	struct rl_rule *rules;
	size_t nrules, caprules;
	struct sk_strmap rule_by_name;
	struct rl_plugreq_group *plugreqs;
	size_t nplugreqs, cplugreqs;
	char req_engine[32];
	int req_engine_v[3];

	struct rl_content *contents;
	size_t ncontents, ccontents;
	struct sk_load_result **results;
	size_t nresults, cresults;
	struct sk_load_result *cur;      /* result being filled */

	/* compiled state */
	struct rl_crule *crules;
	size_t ncrules;
	struct sk_strmap crule_by_name;
	struct rl_cmacro *cmacros;
	size_t ncmacros;
	bool *list_used;

	/* index: per source, per event code: rule pointers in definition order */
	const struct sk_rule ***index;   /* [nsources * SK_EVENT_MAX] */
	uint32_t *index_n;
	size_t *active;
	bool match_all;
};

/* Growth of arena-backed arrays. Returns 0 or -ENOMEM. */
int rl_grow(struct sk_arena *a, void **arr, size_t n, size_t *cap, size_t elsz);
#define RL_PUSH(r, arr, n, cap) \
	(rl_grow(&(r)->arena, (void **)&(arr), (n), &(cap), sizeof(*(arr))) == 0 ? &(arr)[(n)++] : NULL)

/* results (result.c) */
void rl_add(struct sk_rules *r, bool error, int code, const struct rl_ctx *ctx, const char *fmt, ...)
	SK_PRINTF(5, 6);
void rl_ctx_root(struct rl_ctx *c, const char *file);
void rl_ctx_push(struct rl_ctx *c, const struct rl_ctx *parent, int type, const char *item_name,
		 const yaml_mark_t *m);
const char *rl_strdup(struct sk_rules *r, const char *s);
void rl_result_free(struct sk_load_result *res);

/* reader + collector (load.c). Returns 0, or -1 when an error was recorded. */
int rl_read(struct sk_rules *r, const char *name, const char *content, size_t len);

/* compiler (compile.c). Returns 0, or -1 when an error was recorded. */
int rl_compile(struct sk_rules *r);
void rl_compiled_free(struct sk_rules *r);

/* version helpers */
int rl_semver_parse(const char *s, int v[3]); /* 0 ok, -1 invalid */

#endif
