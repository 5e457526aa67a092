/* rules.h — Falco-compatible rules files: YAML loading (lists, macros, rules,
 * exceptions, append/override), per-file load results with Falco's codes and
 * locations, and the ruleset that picks, per event type, the rules to test.
 *
 * Lifecycle: sk_rules_new() → sk_rules_load() per file, in order (each call
 * returns that file's result; stop at the first unsuccessful one as Falco
 * does) → sk_rules_check_plugins() → sk_rules_select() (enable/disable by
 * name glob or tag, in order) → sk_rules_finalize() (minimum priority,
 * evttype index) → sk_rules_process() per event.
 *
 * Everything returned is owned by the sk_rules object and valid until it is
 * freed (results and rule views survive later loads, except that rule views
 * are rebuilt by every sk_rules_load()). Not thread safe; process() may be
 * called from one engine thread per source once finalized. */
#ifndef SK_RULES_H
#define SK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct sk_rules;
struct sk_load_result;
struct sk_filter;
struct sk_eval_ctx;

/* Engine version reported and checked against required_engine_version
 * (Falco 0.44.1's engine). */
#define SK_ENGINE_VERSION "0.62.0"

/* ---- priorities -------------------------------------------------------------- */
enum sk_rule_priority {
	SK_RULE_PRI_EMERGENCY = 0,
	SK_RULE_PRI_ALERT,
	SK_RULE_PRI_CRITICAL,
	SK_RULE_PRI_ERROR,
	SK_RULE_PRI_WARNING,
	SK_RULE_PRI_NOTICE,
	SK_RULE_PRI_INFORMATIONAL,
	SK_RULE_PRI_DEBUG,
};
/* Case-insensitive; "info" accepted. Returns the value or -1. */
int sk_rule_priority_parse(const char *s);
/* Canonical name ("Informational"); "Unknown" when out of range. */
const char *sk_rule_priority_name(int p);

/* ---- load codes ---------------------------------------------------------------- */
enum sk_load_code {
	SK_LOAD_ERR_FILE_READ = 0,
	SK_LOAD_ERR_YAML_PARSE,
	SK_LOAD_ERR_YAML_VALIDATE,
	SK_LOAD_ERR_COMPILE_CONDITION,
	SK_LOAD_ERR_COMPILE_OUTPUT,
	SK_LOAD_ERR_VALIDATE,
	SK_LOAD_ERR_EXTENSION,
	SK_LOAD_ERR_COUNT_,
	SK_LOAD_UNKNOWN_SOURCE = 100,
	SK_LOAD_UNSAFE_NA_CHECK,
	SK_LOAD_NO_EVTTYPE,
	SK_LOAD_UNKNOWN_FILTER,
	SK_LOAD_UNUSED_MACRO,
	SK_LOAD_UNUSED_LIST,
	SK_LOAD_UNKNOWN_ITEM,
	SK_LOAD_DEPRECATED_ITEM,
	SK_LOAD_WARNING_EXTENSION,
	SK_LOAD_APPEND_NO_VALUES,
	SK_LOAD_EXCEPTION_NAME_NOT_UNIQUE,
	SK_LOAD_INVALID_MACRO_NAME,
	SK_LOAD_INVALID_LIST_NAME,
	SK_LOAD_COMPILE_CONDITION,
	SK_LOAD_UNKNOWN_KEY,
	SK_LOAD_WARN_END_,
};
const char *sk_load_code_str(int code);   /* "LOAD_ERR_YAML_PARSE" */
const char *sk_load_code_short(int code); /* "YAML parse error" */
const char *sk_load_code_desc(int code);  /* the long explanation (JSON codedesc) */

/* ---- engine configuration --------------------------------------------------------- */
struct sk_rules_opts {
	/* Event sources that exist (others give LOAD_UNKNOWN_SOURCE and skip the
	 * rule). NULL = {"syscall"}. */
	const char *const *sources;
	size_t nsources;
	/* Text appended (after one space) to every syscall rule's output, e.g.
	 * the container plugin's suggested fields; NULL = none. */
	const char *extra_output;
	/* Falco 0.22's -pc/-pk: extra_output replaces %container.info where a
	 * rule's output has it, and is appended only where it has not. */
	bool replace_container_info;
	/* Check output format tokens against the field registry. */
	bool check_outputs;
	/* Validates a rule's output format (after %container.info removal and
	 * extra_output) for its source (enum sk_source); the program layer passes
	 * the output module's format compiler. Returns 0, or non-zero with
	 * err->msg in Falco's wording ("invalid formatting token X"), which
	 * becomes LOAD_ERR_COMPILE_OUTPUT (LOAD_UNKNOWN_FILTER + rule skipped with
	 * skip-if-unknown-filter). NULL = outputs are not checked. */
	int (*check_output)(void *ctx, int source, const char *output, struct sk_err *err);
	void *check_output_ctx;
};

/* Creates an empty engine. NULL on OOM. opts may be NULL (defaults); it is copied. */
struct sk_rules *sk_rules_new(const struct sk_rules_opts *opts);
void sk_rules_free(struct sk_rules *r);

/* Loads one rules file's content (name is what messages show: the path).
 * The whole collected state is recompiled, so the result may carry warnings
 * about earlier files' items, as Falco's do. Never NULL except on OOM. */
const struct sk_load_result *sk_rules_load(struct sk_rules *r, const char *name,
					   const char *content, size_t len);
/* Records a file that could not be read (LOAD_ERR_FILE_READ). */
const struct sk_load_result *sk_rules_load_failed(struct sk_rules *r, const char *name,
						  const char *why);

bool sk_load_result_ok(const struct sk_load_result *res);
bool sk_load_result_has_warnings(const struct sk_load_result *res);
size_t sk_load_result_count(const struct sk_load_result *res, bool errors);
/* Code and message of the i-th error (errors=true) or warning. */
int sk_load_result_msg(const struct sk_load_result *res, bool errors, size_t i,
		       const char **msg);
/* Falco's text forms: summary ("f: Ok, with warnings\n 2 warnings: [...]") or
 * verbose (contexts, snippets). No trailing newline in summary form. */
int sk_load_result_text(const struct sk_rules *r, const struct sk_load_result *res,
			bool verbose, struct sk_buf *out) SK_WUR;
/* One JSON object {"errors":[...],"name":...,"successful":...,"warnings":[...]}
 * (keys sorted, compact). */
int sk_load_result_json(const struct sk_rules *r, const struct sk_load_result *res,
			struct sk_buf *out) SK_WUR;

/* Built-in plugin versions (container, k8saudit, json): checks every
 * required_plugin_versions group. On failure fills msg with Falco's
 * "Plugin requirement not satisfied, must load one of: ..." and returns false. */
bool sk_rules_check_plugins(const struct sk_rules *r, struct sk_buf *msg);
/* Name/version of the built-in "plugins" (for --version/--support). */
size_t sk_rules_builtin_plugins(const char *const **names, const char *const **versions);

/* ---- rules --------------------------------------------------------------------------- */
struct sk_rule {
	uint32_t id;               /* position in definition order */
	const char *name, *desc, *cond, *output, *source;
	int priority;              /* enum sk_rule_priority */
	const char *const *tags;   /* sorted, unique */
	size_t ntags;
	bool enabled;              /* after sk_rules_select() */
	bool capture;
	uint32_t capture_duration;
	int source_id;             /* index into opts sources */
	const struct sk_filter *filter; /* NULL for rules of other sources w/o compiler */
	const char *cond_compiled; /* expanded condition re-rendered (for -L json) */
	size_t nevttypes;          /* number of event codes the condition can match */
	bool all_evttypes;         /* no restriction: runs on every event */
	const uint16_t *evttypes;  /* the codes, sorted; NULL when all_evttypes */
};

size_t sk_rules_count(const struct sk_rules *r);
const struct sk_rule *sk_rules_get(const struct sk_rules *r, size_t i);
const struct sk_rule *sk_rules_find(const struct sk_rules *r, const char *name);
/* Maximum required_engine_version seen ("" if none). */
const char *sk_rules_required_engine_version(const struct sk_rules *r);

/* Enables/disables rules whose name matches glob (`*` wildcard) or that have
 * tag. Returns the number of rules affected. */
size_t sk_rules_enable_name(struct sk_rules *r, const char *glob, bool enable);
size_t sk_rules_enable_tag(struct sk_rules *r, const char *tag, bool enable);

/* Builds the per-source, per-event-type index of enabled rules whose
 * priority value is <= min_priority. Returns 0 or -ENOMEM. */
int sk_rules_finalize(struct sk_rules *r, int min_priority, bool match_all) SK_WUR;
/* Number of rules in the index (enabled, above min priority, known source). */
size_t sk_rules_active(const struct sk_rules *r, int source_id);
/* Event codes the active rules of a source need (for driver syscall selection):
 * out[code] = true. Returns false when some active rule has no restriction. */
bool sk_rules_needed_evttypes(const struct sk_rules *r, int source_id, bool *out, size_t nout);

/* Evaluates the rules indexed for (source, evttype) in definition order and
 * calls cb for each match (only the first with rule_matching=first). Returns
 * the number of matches. Allocates nothing. */
typedef void (*sk_rule_match_fn)(const struct sk_rule *rule, void *arg);
size_t sk_rules_process(const struct sk_rules *r, int source_id, uint16_t evttype,
			struct sk_eval_ctx *ctx, sk_rule_match_fn cb, void *arg);
/* As sk_rules_process, and adds each evaluated condition's time (ns,
 * CLOCK_MONOTONIC) to ns[rule->id] and 1 to evals[rule->id] (arrays of
 * sk_rules_count() entries). For sampled profiling: two clock reads per
 * rule evaluated. */
size_t sk_rules_process_timed(const struct sk_rules *r, int source_id, uint16_t evttype,
			      struct sk_eval_ctx *ctx, sk_rule_match_fn cb, void *arg,
			      uint64_t *ns, uint64_t *evals);

/* ---- describing (-L, -l) ---------------------------------------------------------------- */
/* Falco's -L text table for every loaded rule (name == NULL) or one rule;
 * returns -ENOENT when name is not loaded. */
int sk_rules_describe_text(const struct sk_rules *r, const char *name, struct sk_buf *out) SK_WUR;
/* -L/-l with json_output: the JSON document (compact, keys sorted). */
int sk_rules_describe_json(const struct sk_rules *r, const char *name, struct sk_buf *out) SK_WUR;

#endif
