/* result.c — load results: Falco's error/warning codes, context chains with
 * YAML locations, and the text (summary, verbose) and JSON renderings. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules_int.h"

static const char *const err_codes[] = {
	"LOAD_ERR_FILE_READ", "LOAD_ERR_YAML_PARSE", "LOAD_ERR_YAML_VALIDATE",
	"LOAD_ERR_COMPILE_CONDITION", "LOAD_ERR_COMPILE_OUTPUT", "LOAD_ERR_VALIDATE",
	"LOAD_ERR_EXTENSION",
};
static const char *const err_short[] = {
	"File read error", "YAML parse error", "Error validating internal structure of YAML file",
	"Error compiling condition", "Error compiling output",
	"Error validating rule/macro/list/exception objects", "Error in extension item",
};
static const char *const err_desc[] = {
	"This occurs when falco can not read a given file. Check permissions and whether the file "
	"exists.",
	"This occurs when the rules content is not valid YAML.",
	"This occurs when the internal structure of the YAML file is incorrect. Examples include "
	"not consisting of a sequence of maps, a given rule/macro/list item not having required "
	"keys, values not having the right type (e.g. the items property of a list not being a "
	"sequence), etc.",
	"This occurs when a condition string can not be compiled to a filter object.",
	"This occurs when an output string can not be compiled to an output object.",
	"This occurs when a rule/macro/list item is incorrect. Examples include a condition field "
	"referring to an undefined macro, falco engine/plugin version mismatches, items with "
	"append without any existing item, exception fields/comps having different lengths, etc.",
	"This occurs when there is an error in an extension item",
};
static const char *const warn_codes[] = {
	"LOAD_UNKNOWN_SOURCE", "LOAD_UNSAFE_NA_CHECK", "LOAD_NO_EVTTYPE", "LOAD_UNKNOWN_FILTER",
	"LOAD_UNUSED_MACRO", "LOAD_UNUSED_LIST", "LOAD_UNKNOWN_ITEM", "LOAD_DEPRECATED_ITEM",
	"LOAD_WARNING_EXTENSION", "LOAD_APPEND_NO_VALUES", "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
	"LOAD_INVALID_MACRO_NAME", "LOAD_INVALID_LIST_NAME", "LOAD_COMPILE_CONDITION",
	"LOAD_UNKNOWN_KEY",
};
static const char *const warn_short[] = {
	"Unknown event source", "Unsafe <NA> comparison in condition",
	"Condition has no event-type restriction",
	"Unknown field or event-type in condition or output", "Unused macro", "Unused list",
	"Unknown rules file item", "Used deprecated item", "Warning in extension item",
	"Overriding/appending with no values", "Multiple exceptions defined with the same name",
	"Invalid macro name", "Invalid list name", "Warning in rule condition",
	"Unknown key in item definition",
};
static const char *const warn_desc[] = {
	"A rule has a unknown event source. This can occur when reading rules content without "
	"having a corresponding plugin loaded, etc. The rule will be silently ignored.",
	"Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the "
	"rule condition. If you need to check for the existence of a field, consider using the "
	"'exists' operator instead.",
	"A rule condition matches too many evt.type values. This has a significant performance "
	"penalty. Make the condition more specific by adding an evt.type field or further "
	"restricting the number of evt.type values in the condition.",
	"A rule condition or output refers to a field or evt.type that does not exist. This is "
	"normally an error, but if a rule has a skip-if-unknown-filter property, the error is "
	"downgraded to a warning.",
	"A macro is defined in the rules content but is not used by any other macro or rule.",
	"A list is defined in the rules content but is not used by any other list, macro, or rule.",
	"An unknown top-level object is in the rules content. It will be ignored.",
	"A deprecated item is employed by lists, macros, or rules.",
	"An extension item has a warning",
	"A rule exception is overriding/appending with no values",
	"A rule is defining multiple exceptions with the same name",
	"A macro is defined with an invalid name",
	"A list is defined with an invalid name",
	"A rule condition or output have been parsed with a warning",
	"An unknown key has been found in an item definition. It will be ignored.",
};

static const char *const item_strs[] = {
	"value for", "exceptions", "exception", "exception values", "exception value",
	"rules content", "rules content item", "required_engine_version",
	"required plugin versions", "required plugin versions entry",
	"required plugin versions alternative", "list", "list item", "macro", "macro condition",
	"rule", "rule condition", "condition expression", "rule output",
	"rule output expression", "rule priority", "overrides", "extension item",
};

const char *rl_item_str(int t)
{
	return t >= 0 && (size_t)t < SK_ARRAY_LEN(item_strs) ? item_strs[t] : "unknown";
}

const char *sk_load_code_str(int c)
{
	if (c >= 0 && c < SK_LOAD_ERR_COUNT_)
		return err_codes[c];
	if (c >= SK_LOAD_UNKNOWN_SOURCE && c < SK_LOAD_WARN_END_)
		return warn_codes[c - SK_LOAD_UNKNOWN_SOURCE];
	return "LOAD_UNKNOWN";
}

const char *sk_load_code_short(int c)
{
	if (c >= 0 && c < SK_LOAD_ERR_COUNT_)
		return err_short[c];
	if (c >= SK_LOAD_UNKNOWN_SOURCE && c < SK_LOAD_WARN_END_)
		return warn_short[c - SK_LOAD_UNKNOWN_SOURCE];
	return "Unknown";
}

const char *sk_load_code_desc(int c)
{
	if (c >= 0 && c < SK_LOAD_ERR_COUNT_)
		return err_desc[c];
	if (c >= SK_LOAD_UNKNOWN_SOURCE && c < SK_LOAD_WARN_END_)
		return warn_desc[c - SK_LOAD_UNKNOWN_SOURCE];
	return "Unknown";
}

static const char *const pri_names[] = {
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

int sk_rule_priority_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < SK_ARRAY_LEN(pri_names); i++)
		if (strcasecmp(s, pri_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "info") == 0)
		return SK_RULE_PRI_INFORMATIONAL;
	return -1;
}

const char *sk_rule_priority_name(int p)
{
	return p >= 0 && (size_t)p < SK_ARRAY_LEN(pri_names) ? pri_names[p] : "Unknown";
}

int rl_grow(struct sk_arena *a, void **arr, size_t n, size_t *cap, size_t elsz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = sk_arena_alloc(a, nc * elsz);
	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, *arr, n * elsz);
	*arr = p;
	*cap = nc;
	return 0;
}

const char *rl_strdup(struct sk_rules *r, const char *s)
{
	return sk_arena_strdup(&r->arena, s ? s : "");
}

void rl_ctx_root(struct rl_ctx *c, const char *file)
{
	memset(c, 0, sizeof(*c));
	c->n = 1;
	c->locs[0].name = file;
	c->locs[0].item_name = "";
	c->locs[0].item_type = RL_RULES_CONTENT;
}

void rl_ctx_push(struct rl_ctx *c, const struct rl_ctx *parent, int type, const char *item_name,
		 const yaml_mark_t *m)
{
	if (c != parent)
		*c = *parent;
	c->alt = NULL;
	int i = c->n < RL_MAX_LOCS ? c->n++ : RL_MAX_LOCS - 1;
	c->locs[i].name = parent->locs[0].name;
	c->locs[i].item_name = item_name ? item_name : "";
	c->locs[i].item_type = (uint8_t)type;
	c->locs[i].line = m ? (int)m->line : 0;
	c->locs[i].col = m ? (int)m->column : 0;
	c->locs[i].off = m ? (long)m->index : 0;
}

static int msg_push(struct sk_load_result *res, bool error, struct rl_msg **out)
{
	struct rl_msg **arr = error ? &res->errs : &res->warns;
	size_t *n = error ? &res->nerrs : &res->nwarns;
	size_t *cap = error ? &res->cerrs : &res->cwarns;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct rl_msg *p = realloc(*arr, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = nc;
	}
	*out = &(*arr)[(*n)++];
	return 0;
}

void rl_add(struct sk_rules *r, bool error, int code, const struct rl_ctx *ctx, const char *fmt, ...)
{
	struct sk_load_result *res = r->cur;
	struct rl_msg *m;
	if (!res || msg_push(res, error, &m) < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	m->code = code;
	m->msg = s;
	m->ctx = *ctx;
	if (error)
		res->ok = false;
}

void rl_result_free(struct sk_load_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nerrs; i++)
		free(res->errs[i].msg);
	for (size_t i = 0; i < res->nwarns; i++)
		free(res->warns[i].msg);
	free(res->errs);
	free(res->warns);
	free(res->name);
	free(res);
}

bool sk_load_result_ok(const struct sk_load_result *res) { return res && res->ok; }
bool sk_load_result_has_warnings(const struct sk_load_result *res) { return res && res->nwarns; }

size_t sk_load_result_count(const struct sk_load_result *res, bool errors)
{
	return errors ? res->nerrs : res->nwarns;
}

int sk_load_result_msg(const struct sk_load_result *res, bool errors, size_t i, const char **msg)
{
	const struct rl_msg *m = errors ? &res->errs[i] : &res->warns[i];
	if (msg)
		*msg = m->msg ? m->msg : "";
	return m->code;
}

/* The line of the source around the last location, with a caret line. */
static int snippet(const struct sk_rules *r, const struct rl_ctx *c, struct sk_buf *out)
{
	const size_t width = 160;
	const struct rl_loc *loc = &c->locs[c->n - 1];
	const char *text = c->alt;
	size_t len = text ? strlen(text) : 0;
	if (!text) {
		for (size_t i = 0; i < r->ncontents; i++)
			if (strcmp(r->contents[i].name, loc->name) == 0) {
				text = r->contents[i].text;
				len = r->contents[i].len;
			}
		if (!text)
			return sk_buf_printf(out, "<No context for file + %s>\n", loc->name);
	}
	if (len == 0)
		return sk_buf_puts(out, "<No context available>\n");
	size_t pos = loc->off > 0 ? (size_t)loc->off : 0;
	while (pos > 0 && (pos >= len || text[pos] == '\n'))
		pos--;
	size_t from = pos;
	while (from > 0 && text[from] != '\n' && pos - from < width / 2)
		from--;
	size_t to = pos;
	while (to < len - 1 && text[to] != '\n' && to - pos < width / 2)
		to++;
	if (from < len && text[from] == '\n')
		from++;
	if (to < len && text[to] == '\n' && to > 0)
		to--;
	if (to + 1 <= from)
		return sk_buf_puts(out, "<No context available>\n");
	size_t n = to - from + 1;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, text + from, n);
	s[n] = 0;
	if (pos - from >= width / 2 && n >= 3)
		memcpy(s, "...", 3);
	if (to - pos >= width / 2 && n >= 3)
		memcpy(s + n - 3, "...", 3);
	int rc = sk_buf_puts(out, s);
	if (!rc)
		rc = sk_buf_putc(out, '\n');
	if (!rc && pos - from <= n) {
		for (size_t i = 0; !rc && i < pos - from; i++)
			rc = sk_buf_putc(out, ' ');
		if (!rc)
			rc = sk_buf_puts(out, "^\n");
	}
	free(s);
	return rc;
}

static int ctx_text(const struct rl_ctx *c, struct sk_buf *out)
{
	int rc = 0;
	for (int i = 0; !rc && i < c->n; i++) {
		const struct rl_loc *l = &c->locs[i];
		rc = sk_buf_puts(out, i == 0 ? "In " : "    ");
		if (!rc)
			rc = sk_buf_puts(out, rl_item_str(l->item_type));
		if (!rc && l->item_name && *l->item_name)
			rc = sk_buf_printf(out, " '%s'", l->item_name);
		if (!rc)
			rc = sk_buf_printf(out, ": (%s:%d:%d)\n", l->name, l->line, l->col);
	}
	return rc;
}

int sk_load_result_text(const struct sk_rules *r, const struct sk_load_result *res,
			bool verbose, struct sk_buf *out)
{
	int rc = 0;
	if (res->name && *res->name)
		rc = sk_buf_printf(out, "%s: ", res->name);
	if (!rc)
		rc = sk_buf_puts(out, res->ok ? (res->nwarns ? "Ok, with warnings" : "Ok") : "Invalid");
	for (int pass = 0; pass < 2 && !rc; pass++) {
		bool errs = pass == 0;
		size_t n = errs ? res->nerrs : res->nwarns;
		const struct rl_msg *ms = errs ? res->errs : res->warns;
		if (!n)
			continue;
		if (!verbose) {
			rc = sk_buf_printf(out, "\n %zu %s: [", n, errs ? "errors" : "warnings");
			for (size_t i = 0; !rc && i < n; i++)
				rc = sk_buf_printf(out, "%s%s (%s)", i ? " " : "", sk_load_code_str(ms[i].code),
						   sk_load_code_short(ms[i].code));
			if (!rc)
				rc = sk_buf_puts(out, "]");
			continue;
		}
		rc = sk_buf_printf(out, "\n%zu %s:\n", n, errs ? "Errors" : "Warnings");
		for (size_t i = 0; !rc && i < n; i++) {
			rc = ctx_text(&ms[i].ctx, out);
			if (!rc)
				rc = sk_buf_puts(out, "------\n");
			if (!rc)
				rc = snippet(r, &ms[i].ctx, out);
			if (!rc)
				rc = sk_buf_printf(out, "------\n%s (%s): %s\n", sk_load_code_str(ms[i].code),
						   sk_load_code_short(ms[i].code), ms[i].msg ? ms[i].msg : "");
		}
	}
	return rc;
}

static json_t *msg_json(const struct sk_rules *r, const struct rl_msg *m)
{
	json_t *o = json_object(), *ctx = json_object(), *locs = json_array();
	for (int i = 0; i < m->ctx.n; i++) {
		const struct rl_loc *l = &m->ctx.locs[i];
		json_t *jl = json_object(), *jp = json_object();
		json_object_set_new(jl, "item_type", json_string(rl_item_str(l->item_type)));
		json_object_set_new(jl, "item_name", json_string(l->item_name ? l->item_name : ""));
		json_object_set_new(jp, "name", json_string(l->name ? l->name : ""));
		json_object_set_new(jp, "line", json_integer(l->line));
		json_object_set_new(jp, "column", json_integer(l->col));
		json_object_set_new(jp, "offset", json_integer(l->off));
		json_object_set_new(jl, "position", jp);
		json_array_append_new(locs, jl);
	}
	json_object_set_new(ctx, "locations", locs);
	struct sk_buf sn;
	sk_buf_init(&sn, 0);
	if (snippet(r, &m->ctx, &sn) == 0)
		json_object_set_new(ctx, "snippet", json_string(sk_buf_cstr(&sn)));
	sk_buf_done(&sn);
	json_object_set_new(o, "context", ctx);
	json_object_set_new(o, "code", json_string(sk_load_code_str(m->code)));
	json_object_set_new(o, "codedesc", json_string(sk_load_code_desc(m->code)));
	json_object_set_new(o, "message", json_string(m->msg ? m->msg : ""));
	return o;
}

int sk_load_result_json(const struct sk_rules *r, const struct sk_load_result *res,
			struct sk_buf *out)
{
	json_t *o = json_object();
	json_t *errs = json_array(), *warns = json_array();
	json_object_set_new(o, "name", json_string(res->name ? res->name : ""));
	json_object_set_new(o, "successful", json_boolean(res->ok));
	for (size_t i = 0; i < res->nerrs; i++)
		json_array_append_new(errs, msg_json(r, &res->errs[i]));
	for (size_t i = 0; i < res->nwarns; i++)
		json_array_append_new(warns, msg_json(r, &res->warns[i]));
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "warnings", warns);
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	int rc = sk_buf_puts(out, s);
	free(s);
	return rc;
}
