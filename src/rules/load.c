/* load.c — reads a rules file (libyaml document model, with marks) and feeds
 * its items to the collector: required versions, lists, macros, rules and
 * their exceptions, deprecated append, override append/replace, enabled.
 * Stops at the first error, as Falco does; warnings accumulate. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules_int.h"

#define FAIL(r, code, ctx, ...)                                  \
	do {                                                     \
		rl_add((r), true, (code), (ctx), __VA_ARGS__);  \
		return -1;                                       \
	} while (0)
#define VFAIL(r, ctx, ...) FAIL(r, SK_LOAD_ERR_YAML_VALIDATE, ctx, __VA_ARGS__)
#define CFAIL(r, ctx, ...) FAIL(r, SK_LOAD_ERR_VALIDATE, ctx, __VA_ARGS__)
#define TRY(x)                  \
	do {                    \
		if ((x) < 0)    \
			return -1; \
	} while (0)

#define MSG_APPEND_DEPRECATED                                                               \
	"'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under " \
	"'override' instead."
#define MSG_ENABLED_DEPRECATED                                                                 \
	"The standalone 'enabled' key usage is deprecated. The correct approach requires also a " \
	"'replace' entry under the 'override' key (i.e. 'enabled: replace')."
#define MSG_OVERRIDE_APPEND                                                                     \
	"Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. " \
	"'condition: append') under 'override' instead."

struct rd {
	struct sk_rules *r;
	yaml_document_t *doc;
};

static yaml_node_t *nd(struct rd *d, int id)
{
	return yaml_document_get_node(d->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *sval(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Value node of `key` in a mapping; NULL when absent (or not a mapping). */
static yaml_node_t *get(struct rd *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = sval(nd(d, p->key));
		if (k && strcmp(k, key) == 0)
			return nd(d, p->value);
	}
	return NULL;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
	static const char *const f[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
	for (size_t i = 0; i < SK_ARRAY_LEN(t); i++) {
		if (!strcmp(s, t[i])) {
			*out = true;
			return true;
		}
		if (!strcmp(s, f[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+')
		s++;
	if (sk_parse_u64(s, &v) < 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum vkind { V_STR, V_BOOL, V_U32 };

/* Falco's decode_val: present (unless optional), non-null, scalar, non-empty,
 * decodable. *found tells whether a value was produced. */
static int decode(struct rd *d, yaml_node_t *item, const char *key, enum vkind k, void *out,
		  const struct rl_ctx *ctx, bool optional, bool can_be_empty, bool *found)
{
	struct sk_rules *r = d->r;
	yaml_node_t *v = get(d, item, key);
	if (found)
		*found = false;
	if (!v && optional)
		return 0;
	if (!v)
		VFAIL(r, ctx, "Item has no mapping for key '%s'", key);
	if (is_null(v) && can_be_empty) {
		if (k == V_STR) {
			*(const char **)out = "";
			if (found)
				*found = true;
		}
		return 0;
	}
	if (is_null(v))
		VFAIL(r, ctx, "Mapping for key '%s' is empty", key);
	struct rl_ctx vc;
	rl_ctx_push(&vc, ctx, RL_VALUE_FOR, key, &v->start_mark);
	if (v->type != YAML_SCALAR_NODE)
		VFAIL(r, &vc, "Value is not a scalar value");
	const char *s = sval(v);
	if (!*s && can_be_empty) {
		if (k == V_STR) {
			*(const char **)out = "";
			if (found)
				*found = true;
		}
		return 0;
	}
	if (!*s)
		VFAIL(r, &vc, "Value must be non-empty");
	bool ok = true;
	switch (k) {
	case V_STR: *(const char **)out = rl_strdup(r, s); break;
	case V_BOOL: ok = parse_bool(s, out); break;
	case V_U32: ok = parse_u32(s, out); break;
	}
	if (!ok)
		VFAIL(r, &vc, "Can't decode YAML scalar value");
	if (found)
		*found = true;
	return 0;
}

#define DSTR(d, it, key, out, ctx) decode(d, it, key, V_STR, out, ctx, false, false, NULL)

/* Sequence of scalars (items, tags). */
static int decode_seq(struct rd *d, yaml_node_t *item, const char *key, const char ***out,
		      size_t *n, const struct rl_ctx *ctx, bool optional, bool *found)
{
	struct sk_rules *r = d->r;
	yaml_node_t *v = get(d, item, key);
	*found = false;
	if (!v && optional)
		return 0;
	if (!v)
		VFAIL(r, ctx, "Item has no mapping for key '%s'", key);
	struct rl_ctx vc;
	rl_ctx_push(&vc, ctx, RL_VALUE_FOR, key, &v->start_mark);
	*found = true;
	if (is_null(v) && v->type == YAML_SCALAR_NODE)
		VFAIL(r, &vc, "Value is not a sequence");
	if (v->type != YAML_SEQUENCE_NODE)
		VFAIL(r, &vc, "Value is not a sequence");
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *e = nd(d, *i);
		struct rl_ctx ic;
		rl_ctx_push(&ic, &vc, RL_LIST_ITEM, "", &e->start_mark);
		if (e->type != YAML_SCALAR_NODE)
			VFAIL(r, &ic, "sequence value is not scalar");
		const char **slot = RL_PUSH(r, *out, *n, cap);
		if (!slot)
			return -1;
		*slot = rl_strdup(r, sval(e));
	}
	return 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted set semantics for tags. */
static void sort_unique(const char **v, size_t *n)
{
	if (*n < 2)
		return;
	qsort(v, *n, sizeof(*v), cmpstr);
	size_t w = 1;
	for (size_t i = 1; i < *n; i++)
		if (strcmp(v[i], v[w - 1]))
			v[w++] = v[i];
	*n = w;
}

/* ---- overrides ------------------------------------------------------------------ */
enum { OV_COND = 1, OV_OUTPUT = 2, OV_DESC = 4, OV_TAGS = 8, OV_EXC = 16, OV_PRIO = 32,
       OV_CAPTURE = 64, OV_CAPDUR = 128, OV_ENABLED = 256, OV_WARN = 512, OV_SKIP = 1024,
       OV_ITEMS = 2048 };

static const struct { const char *key; unsigned bit; } ov_keys[] = {
	{"condition", OV_COND}, {"output", OV_OUTPUT}, {"desc", OV_DESC}, {"tags", OV_TAGS},
	{"exceptions", OV_EXC}, {"priority", OV_PRIO}, {"capture", OV_CAPTURE},
	{"capture_duration", OV_CAPDUR}, {"enabled", OV_ENABLED}, {"warn_evttypes", OV_WARN},
	{"skip-if-unknown-filter", OV_SKIP}, {"items", OV_ITEMS},
};

static unsigned ov_bit(const char *k)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(ov_keys); i++)
		if (!strcmp(ov_keys[i].key, k))
			return ov_keys[i].bit;
	return 0;
}

static int decode_overrides(struct rd *d, yaml_node_t *item, unsigned can_append,
			    unsigned can_replace, unsigned *app, unsigned *rep,
			    const struct rl_ctx *ctx)
{
	struct sk_rules *r = d->r;
	yaml_node_t *v = get(d, item, "override");
	*app = *rep = 0;
	if (!v || v->type != YAML_MAPPING_NODE)
		return 0;
	struct rl_ctx oc;
	rl_ctx_push(&oc, ctx, RL_OVERRIDE, "", &item->start_mark);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = nd(d, p->key), *vn = nd(d, p->value);
		/* the key names a context kept in the load result, which outlives
		 * the YAML document (fuzz_rules found the use after free) */
		const char *key = rl_strdup(r, sval(kn));
		const char *op = sval(vn) ? sval(vn) : "";
		unsigned bit = ov_bit(key);
		bool ia = bit & can_append, ir = bit & can_replace;
		struct rl_ctx kc;
		if (!strcmp(op, "append")) {
			rl_ctx_push(&kc, &oc, RL_OVERRIDE, key, &kn->start_mark);
			if (!ia)
				VFAIL(r, &kc, "Key '%s' cannot be appended to, use 'replace' instead", key);
			*app |= bit;
		} else if (!strcmp(op, "replace")) {
			rl_ctx_push(&kc, &oc, RL_OVERRIDE, key, &kn->start_mark);
			if (!ir)
				VFAIL(r, &kc, "Key '%s' cannot be replaced", key);
			*rep |= bit;
		} else {
			rl_ctx_push(&kc, &oc, RL_VALUE_FOR, key, &vn->start_mark);
			VFAIL(r, &kc, "Invalid override operation for key '%s': '%s'. Allowed values are: %s%s",
			      key, op, ia ? "append " : "", ir ? "replace " : "");
		}
	}
	return 0;
}

/* ---- exceptions ------------------------------------------------------------------ */
static int decode_entry(struct rd *d, yaml_node_t *val, const char *key, struct rl_entry *out,
			const struct rl_ctx *ctx)
{
	struct sk_rules *r = d->r;
	struct rl_ctx vc;
	rl_ctx_push(&vc, ctx, RL_VALUE_FOR, key ? key : "", &val->start_mark);
	memset(out, 0, sizeof(*out));
	out->valid = true;
	if (val->type == YAML_SCALAR_NODE) {
		if (!*sval(val))
			VFAIL(r, &vc, "Value must be non-empty");
		out->item = rl_strdup(r, sval(val));
	} else if (val->type == YAML_SEQUENCE_NODE) {
		out->is_list = true;
		size_t n = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
		out->items = sk_arena_alloc(&r->arena, (n ? n : 1) * sizeof(*out->items));
		if (!out->items)
			return -1;
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *e = nd(d, val->data.sequence.items.start[i]);
			struct rl_ctx lc;
			rl_ctx_push(&lc, &vc, RL_EXCEPTION, "", &e->start_mark);
			TRY(decode_entry(d, e, NULL, &out->items[i], &lc));
		}
		out->n = n;
	} else {
		out->valid = false;
	}
	return 0;
}

static int read_exceptions(struct rd *d, yaml_node_t *item, struct rl_exception **out, size_t *nout,
			   bool *present, const struct rl_ctx *parent, bool append)
{
	struct sk_rules *r = d->r;
	yaml_node_t *exs = get(d, item, "exceptions");
	*out = NULL;
	*nout = 0;
	*present = exs != NULL;
	if (!exs || is_null(exs))
		return 0;
	struct rl_ctx ec;
	rl_ctx_push(&ec, parent, RL_EXCEPTIONS, "", &exs->start_mark);
	if (exs->type != YAML_SEQUENCE_NODE)
		VFAIL(r, &ec, "Rule exceptions must be a sequence");
	size_t cap = 0;
	for (yaml_node_item_t *i = exs->data.sequence.items.start; i < exs->data.sequence.items.top; i++) {
		yaml_node_t *ex = nd(d, *i);
		struct rl_ctx tmp;
		rl_ctx_push(&tmp, &ec, RL_EXCEPTION, "", &ex->start_mark);
		if (ex->type != YAML_MAPPING_NODE)
			VFAIL(r, &tmp, "Rule exception must be a mapping");
		const char *name = NULL;
		TRY(DSTR(d, ex, "name", &name, &tmp));
		struct rl_exception *e = RL_PUSH(r, *out, *nout, cap);
		if (!e)
			return -1;
		memset(e, 0, sizeof(*e));
		e->name = name;
		rl_ctx_push(&e->ctx, parent, RL_EXCEPTION, name, &ex->start_mark);
		for (size_t j = 0; j + 1 < *nout; j++)
			if (!strcmp((*out)[j].name, name))
				rl_add(r, false, SK_LOAD_EXCEPTION_NAME_NOT_UNIQUE, &e->ctx,
				       "Multiple definitions of exception '%s' in the same rule", name);
		yaml_node_t *f = get(d, ex, "fields");
		if (!f && !append)
			VFAIL(r, &e->ctx, "Item has no mapping for key 'fields'");
		if (f)
			TRY(decode_entry(d, f, "fields", &e->fields, &e->ctx));
		yaml_node_t *c = get(d, ex, "comps");
		if (c)
			TRY(decode_entry(d, c, "comps", &e->comps, &e->ctx));
		yaml_node_t *vals = get(d, ex, "values");
		if (vals) {
			struct rl_ctx vsc;
			rl_ctx_push(&vsc, &e->ctx, RL_EXCEPTION_VALUES, "", &vals->start_mark);
			if (vals->type != YAML_SEQUENCE_NODE)
				VFAIL(r, &vsc, "Rule exception values must be a sequence");
			for (yaml_node_item_t *k = vals->data.sequence.items.start;
			     k < vals->data.sequence.items.top; k++) {
				yaml_node_t *v = nd(d, *k);
				struct rl_ctx vc;
				rl_ctx_push(&vc, &vsc, RL_EXCEPTION_VALUE, "", &v->start_mark);
				struct rl_entry *slot = RL_PUSH(r, e->values, e->nvalues, e->cvalues);
				if (!slot)
					return -1;
				TRY(decode_entry(d, v, NULL, slot, &vc));
			}
		} else if (append) {
			rl_add(r, false, SK_LOAD_APPEND_NO_VALUES, &e->ctx,
			       "Overriding/appending exception with no values");
		}
	}
	return 0;
}

/* Operators accepted in exception comps (Falco: supported operators, or a
 * string operator followed by a modifier). */
static bool is_str_op(const char *s)
{
	static const char *const ops[] = {"=", "==", "!=", "contains", "icontains", "bcontains",
					  "startswith", "bstartswith", "endswith", "glob", "iglob",
					  "regex"};
	for (size_t i = 0; i < SK_ARRAY_LEN(ops); i++)
		if (!strcmp(s, ops[i]))
			return true;
	return false;
}

static bool is_op(const char *s)
{
	static const char *const ops[] = {"<=", "<", ">=", ">", "in", "intersects", "pmatch", "exists"};
	if (is_str_op(s))
		return true;
	for (size_t i = 0; i < SK_ARRAY_LEN(ops); i++)
		if (!strcmp(s, ops[i]))
			return true;
	return false;
}

bool rl_is_modifier_op(const char *s);
bool rl_is_modifier_op(const char *s)
{
	const char *sp = strchr(s, ' ');
	if (!sp)
		return false;
	char op[32];
	size_t n = (size_t)(sp - s);
	if (n >= sizeof(op))
		return false;
	memcpy(op, s, n);
	op[n] = 0;
	while (*sp == ' ')
		sp++;
	return is_str_op(op) && (!strcmp(sp, "oneof") || !strcmp(sp, "anyof") || !strcmp(sp, "allof"));
}

static void trim_comp(struct sk_rules *r, const char **s)
{
	const char *a = *s;
	while (*a && strchr(" \t\r\n", *a))
		a++;
	size_t n = strlen(a);
	while (n && strchr(" \t\r\n", a[n - 1]))
		n--;
	*s = sk_arena_strndup(&r->arena, a, n);
}

/* Field validity check against the source's registry (hook set by compile.c). */
bool rl_valid_lhs_field(struct sk_rules *r, const char *source, const char *field);

static int validate_exception(struct sk_rules *r, struct rl_exception *ex, const char *source,
			      bool known_source)
{
	if (ex->fields.is_list) {
		if (!ex->comps.valid) {
			ex->comps.valid = true;
			ex->comps.is_list = true;
			ex->comps.n = ex->fields.n;
			ex->comps.items = sk_arena_alloc(&r->arena, (ex->fields.n + 1) * sizeof(struct rl_entry));
			if (!ex->comps.items)
				return -1;
			for (size_t i = 0; i < ex->fields.n; i++) {
				ex->comps.items[i].valid = true;
				ex->comps.items[i].item = "=";
			}
		}
		if (ex->fields.n != ex->comps.n)
			CFAIL(r, &ex->ctx, "Fields and comps lists must have equal length");
		for (size_t i = 0; i < ex->comps.n; i++) {
			struct rl_entry *c = &ex->comps.items[i];
			if (!c->item)
				c->item = "";
			trim_comp(r, &c->item);
			if (!is_op(c->item) && !rl_is_modifier_op(c->item))
				CFAIL(r, &ex->ctx, "'%s' is not a supported comparison operator", c->item);
		}
		if (known_source)
			for (size_t i = 0; i < ex->fields.n; i++) {
				const char *f = ex->fields.items[i].item ? ex->fields.items[i].item : "";
				if (!rl_valid_lhs_field(r, source, f))
					CFAIL(r, &ex->ctx, "'%s' is not a supported filter field", f);
			}
	} else {
		if (!ex->comps.valid) {
			ex->comps.valid = true;
			ex->comps.item = "in";
		}
		if (ex->comps.is_list)
			CFAIL(r, &ex->ctx, "Fields and comps must both be strings");
		trim_comp(r, &ex->comps.item);
		const char *c = ex->comps.item;
		if (strcmp(c, "in") && strcmp(c, "pmatch") && strcmp(c, "intersects") && !rl_is_modifier_op(c))
			CFAIL(r, &ex->ctx, "When fields is a single value, comps must be one of (in, pmatch, "
					   "intersects) or a modifier operator (e.g. startswith oneof)");
		if (known_source && !rl_valid_lhs_field(r, source, ex->fields.item))
			CFAIL(r, &ex->ctx, "'%s' is not a supported filter field", ex->fields.item);
	}
	return 0;
}

/* ---- collector -------------------------------------------------------------------- */
static bool source_known(struct sk_rules *r, const char *s)
{
	for (size_t i = 0; i < r->nsources; i++)
		if (!strcmp(r->sources[i], s))
			return true;
	return false;
}

static size_t find(const struct sk_strmap *m, const char *name)
{
	void *v = sk_strmap_get(m, name);
	return v ? (size_t)(uintptr_t)v : 0; /* index + 1 */
}

static int map_put(struct sk_rules *r, struct sk_strmap *m, const char *name, size_t idx)
{
	if (sk_strmap_put(m, name, (void *)(uintptr_t)(idx + 1)) < 0) {
		rl_add(r, true, SK_LOAD_ERR_VALIDATE, &r->rules[0].ctx, "out of memory");
		return -1;
	}
	return 0;
}

static bool match_re_ident(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalpha((unsigned char)*s))
		s++;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool match_re_barestr(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (strchr("()\"'=, \t\n\r\f\v", *s))
			return false;
	return true;
}

static int rule_find_prev(struct sk_rules *r, const char *name, const char *source,
			  const struct rl_ctx *ctx, struct rl_rule **out)
{
	size_t i = find(&r->rule_by_name, name);
	*out = i ? &r->rules[i - 1] : NULL;
	if (*out && (*out)->source[0] && source && source[0] && strcmp((*out)->source, source))
		CFAIL(r, ctx, "Rule has been re-defined with a different source");
	return 0;
}

int rl_semver_parse(const char *s, int v[3])
{
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		long x = 0;
		while (isdigit((unsigned char)*s)) {
			x = x * 10 + (*s++ - '0');
			if (x > 1000000000L)
				return -1;
		}
		v[i] = (int)x;
		if (i < 2 && *s++ != '.')
			return -1;
	}
	return *s == 0 || *s == '-' || *s == '+' ? 0 : -1;
}

static int read_engine_version(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	struct rl_ctx ctx;
	rl_ctx_push(&ctx, parent, RL_REQUIRED_ENGINE_VERSION, "", &item->start_mark);
	yaml_node_t *vn = get(d, item, "required_engine_version");
	const char *s = NULL;
	int v[3] = {0, 0, 0};
	uint32_t n;
	if (vn && vn->type == YAML_SCALAR_NODE && !is_null(vn) && parse_u32(sval(vn), &n)) {
		v[1] = (int)n;
	} else {
		TRY(DSTR(d, item, "required_engine_version", &s, &ctx));
		if (rl_semver_parse(s, v) < 0)
			VFAIL(r, &ctx, "Unable to parse engine version '%s' as a semver string. Expected "
				       "\"x.y.z\" semver format.", s);
	}
	int e[3];
	(void)rl_semver_parse(SK_ENGINE_VERSION, e);
	bool ok = v[0] == e[0] && (v[1] < e[1] || (v[1] == e[1] && v[2] <= e[2]));
	if (!ok)
		CFAIL(r, &ctx, "Rules require engine version %d.%d.%d, but engine version is %s", v[0],
		      v[1], v[2], SK_ENGINE_VERSION);
	int *m = r->req_engine_v;
	if (!r->req_engine[0] || v[0] > m[0] || (v[0] == m[0] && (v[1] > m[1] || (v[1] == m[1] && v[2] > m[2])))) {
		memcpy(m, v, sizeof(v));
		snprintf(r->req_engine, sizeof(r->req_engine), "%d.%d.%d", v[0], v[1], v[2]);
	}
	return 0;
}

static int read_plugin_versions(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	yaml_node_t *rv = get(d, item, "required_plugin_versions");
	struct rl_ctx ctx;
	rl_ctx_push(&ctx, parent, RL_REQUIRED_PLUGIN_VERSIONS, "", &rv->start_mark);
	if (rv->type != YAML_SEQUENCE_NODE)
		VFAIL(r, &ctx, "Value of required_plugin_versions must be a sequence");
	for (yaml_node_item_t *i = rv->data.sequence.items.start; i < rv->data.sequence.items.top; i++) {
		yaml_node_t *p = nd(d, *i);
		struct rl_ctx tmp, pc;
		rl_ctx_push(&tmp, &ctx, RL_REQUIRED_PLUGIN_VERSIONS_ENTRY, "", &p->start_mark);
		if (p->type != YAML_MAPPING_NODE)
			VFAIL(r, &tmp, "Plugin version must be a mapping");
		struct rl_plugreq req;
		TRY(DSTR(d, p, "name", &req.name, &tmp));
		rl_ctx_push(&pc, &ctx, RL_REQUIRED_PLUGIN_VERSIONS_ENTRY, req.name, &p->start_mark);
		TRY(DSTR(d, p, "version", &req.version, &pc));
		struct rl_plugreq_group *g = RL_PUSH(r, r->plugreqs, r->nplugreqs, r->cplugreqs);
		if (!g)
			return -1;
		memset(g, 0, sizeof(*g));
		size_t cap = 0;
		struct rl_plugreq *slot = RL_PUSH(r, g->alts, g->n, cap);
		if (!slot)
			return -1;
		*slot = req;
		yaml_node_t *alts = get(d, p, "alternatives");
		if (alts) {
			if (alts->type != YAML_SEQUENCE_NODE)
				VFAIL(r, &pc, "Value of plugin version alternatives must be a sequence");
			for (yaml_node_item_t *k = alts->data.sequence.items.start; k < alts->data.sequence.items.top; k++) {
				yaml_node_t *a = nd(d, *k);
				struct rl_ctx ac;
				rl_ctx_push(&ac, &pc, RL_REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE, "", &a->start_mark);
				if (a->type != YAML_MAPPING_NODE)
					VFAIL(r, &ac, "Plugin version alternative must be a mapping");
				struct rl_plugreq ar;
				TRY(DSTR(d, a, "name", &ar.name, &ac));
				rl_ctx_push(&ac, &pc, RL_REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE, ar.name, &a->start_mark);
				TRY(DSTR(d, a, "version", &ar.version, &ac));
				slot = RL_PUSH(r, g->alts, g->n, cap);
				if (!slot)
					return -1;
				*slot = ar;
			}
		}
		for (size_t a = 0; a < g->n; a++) {
			int v[3];
			if (rl_semver_parse(g->alts[a].version, v) < 0) {
				r->nplugreqs--;
				CFAIL(r, &pc, "Invalid required version '%s' for plugin '%s'", g->alts[a].version,
				      g->alts[a].name);
			}
			for (size_t b = 0; b < a; b++)
				if (!strcmp(g->alts[a].name, g->alts[b].name)) {
					r->nplugreqs--;
					CFAIL(r, &pc, "Defined multiple alternative version requirements for plugin '%s'",
					      g->alts[a].name);
				}
		}
	}
	return 0;
}

static void warn_unknown_keys(struct rd *d, yaml_node_t *item, const char *const *keys, size_t nkeys,
			      const struct rl_ctx *ctx)
{
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		const char *k = sval(nd(d, p->key));
		if (!k)
			continue;
		bool known = false;
		for (size_t i = 0; i < nkeys && !known; i++)
			known = !strcmp(k, keys[i]);
		if (!known)
			rl_add(d->r, false, SK_LOAD_UNKNOWN_KEY, ctx, "Unknown key '%s'. The key will be ignored.", k);
	}
}

static int read_list(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	struct rl_ctx tmp, ctx;
	const char *name;
	rl_ctx_push(&tmp, parent, RL_LIST, "", &item->start_mark);
	TRY(DSTR(d, item, "list", &name, &tmp));
	rl_ctx_push(&ctx, parent, RL_LIST, name, &item->start_mark);
	if (!match_re_barestr(name))
		rl_add(r, false, SK_LOAD_INVALID_LIST_NAME, &ctx,
		       "List has an invalid name. List names should match a regular expression: "
		       "([^()\"'[:space:]=,]+)");
	const char **items;
	size_t n;
	bool found, append = false;
	TRY(decode_seq(d, item, "items", &items, &n, &ctx, false, &found));
	TRY(decode(d, item, "append", V_BOOL, &append, &ctx, true, false, NULL));
	if (append)
		rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ctx, MSG_APPEND_DEPRECATED);
	unsigned app, rep;
	TRY(decode_overrides(d, item, OV_ITEMS, OV_ITEMS, &app, &rep, &ctx));
	if (append && (app | rep))
		VFAIL(r, &ctx, MSG_OVERRIDE_APPEND);
	append |= (app & OV_ITEMS) != 0;
	size_t prev = find(&r->list_by_name, name);
	uint32_t id = r->cur_index++;
	if (append) {
		if (!prev)
			CFAIL(r, &ctx, "List uses 'append' or 'override.items: append' but no list by that "
				       "name already exists");
		struct rl_list *l = &r->lists[prev - 1];
		for (size_t i = 0; i < n; i++) {
			const char **s = RL_PUSH(r, l->items, l->n, l->cap);
			if (!s)
				return -1;
			*s = items[i];
		}
		l->visibility = id;
	} else if (prev) {
		struct rl_list *l = &r->lists[prev - 1];
		l->items = items;
		l->n = l->cap = n;
		l->visibility = id;
		l->ctx = ctx;
	} else {
		struct rl_list *l = RL_PUSH(r, r->lists, r->nlists, r->clists);
		if (!l)
			return -1;
		memset(l, 0, sizeof(*l));
		l->name = name;
		l->items = items;
		l->n = l->cap = n;
		l->index = l->visibility = id;
		l->ctx = ctx;
		TRY(map_put(r, &r->list_by_name, name, r->nlists - 1));
	}
	static const char *const keys[] = {"list", "items", "append", "override"};
	warn_unknown_keys(d, item, keys, SK_ARRAY_LEN(keys), &ctx);
	return 0;
}

static int read_macro(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	struct rl_ctx tmp, ctx, cctx;
	const char *name, *cond;
	rl_ctx_push(&tmp, parent, RL_MACRO, "", &item->start_mark);
	TRY(DSTR(d, item, "macro", &name, &tmp));
	rl_ctx_push(&ctx, parent, RL_MACRO, name, &item->start_mark);
	if (!match_re_ident(name))
		rl_add(r, false, SK_LOAD_INVALID_MACRO_NAME, &ctx,
		       "Macro has an invalid name. Macro names should match a regular expression: "
		       "([a-zA-Z]+[a-zA-Z0-9_]*)");
	TRY(DSTR(d, item, "condition", &cond, &ctx));
	rl_ctx_push(&cctx, &ctx, RL_MACRO_CONDITION, "", &get(d, item, "condition")->start_mark);
	bool append = false;
	TRY(decode(d, item, "append", V_BOOL, &append, &ctx, true, false, NULL));
	if (append)
		rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ctx, MSG_APPEND_DEPRECATED);
	unsigned app, rep;
	TRY(decode_overrides(d, item, OV_COND, OV_COND, &app, &rep, &ctx));
	if (append && (app | rep))
		VFAIL(r, &ctx, MSG_OVERRIDE_APPEND);
	append |= (app & OV_COND) != 0;
	size_t prev = find(&r->macro_by_name, name);
	uint32_t id = r->cur_index++;
	if (append) {
		if (!prev)
			CFAIL(r, &ctx, "Macro uses 'append' or 'override.condition: append' but no macro by "
				       "that name already exists");
		struct rl_macro *m = &r->macros[prev - 1];
		struct sk_buf b;
		sk_buf_init(&b, 0);
		if (sk_buf_printf(&b, "%s %s", m->cond, cond) == 0)
			m->cond = rl_strdup(r, sk_buf_cstr(&b));
		sk_buf_done(&b);
		m->visibility = id;
	} else {
		struct rl_macro *m;
		if (prev) {
			m = &r->macros[prev - 1];
		} else {
			m = RL_PUSH(r, r->macros, r->nmacros, r->capmacros);
			if (!m)
				return -1;
			m->index = id;
			TRY(map_put(r, &r->macro_by_name, name, r->nmacros - 1));
		}
		m->name = name;
		m->cond = cond;
		m->visibility = id;
		m->ctx = ctx;
		m->cond_ctx = cctx;
	}
	static const char *const keys[] = {"macro", "condition", "append", "override"};
	warn_unknown_keys(d, item, keys, SK_ARRAY_LEN(keys), &ctx);
	return 0;
}

static const char *join_space(struct sk_rules *r, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = sk_arena_alloc(&r->arena, la + lb + 2);
	if (!s)
		return a;
	memcpy(s, a, la);
	s[la] = ' ';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static int decode_tags(struct rd *d, yaml_node_t *item, const char ***tags, size_t *n,
		       const struct rl_ctx *ctx, bool *found)
{
	TRY(decode_seq(d, item, "tags", tags, n, ctx, true, found));
	if (*found)
		sort_unique(*tags, n);
	return 0;
}

struct rule_update {
	unsigned has;
	const char *cond, *output, *desc;
	const char **tags;
	size_t ntags;
	struct rl_exception *excs;
	size_t nexcs;
	int priority;
	bool capture, enabled, warn, skip;
	uint32_t capdur;
};

static int apply_append(struct sk_rules *r, const char *name, const char *source,
			struct rule_update *u, const struct rl_ctx *ctx)
{
	struct rl_rule *prev;
	TRY(rule_find_prev(r, name, source, ctx, &prev));
	if (!prev)
		CFAIL(r, ctx, "Rule uses 'append' or 'override.<key>: append' but no rule by that name "
			      "already exists");
	if (!(u->has & (OV_COND | OV_EXC | OV_OUTPUT | OV_DESC | OV_TAGS)))
		CFAIL(r, ctx, "Appended rule must have exceptions or condition property");
	if ((u->has & OV_COND) && u->cond[0])
		prev->cond = join_space(r, prev->cond, u->cond);
	if ((u->has & OV_OUTPUT) && u->output[0])
		prev->output = join_space(r, prev->output, u->output);
	if ((u->has & OV_DESC) && u->desc[0])
		prev->desc = join_space(r, prev->desc, u->desc);
	if (u->has & OV_TAGS) {
		const char **t = sk_arena_alloc(&r->arena, (prev->ntags + u->ntags + 1) * sizeof(*t));
		if (!t)
			return -1;
		if (prev->ntags) /* tags arrays are NULL when empty */
			memcpy(t, prev->tags, prev->ntags * sizeof(*t));
		if (u->ntags)
			memcpy(t + prev->ntags, u->tags, u->ntags * sizeof(*t));
		size_t n = prev->ntags + u->ntags;
		sort_unique(t, &n);
		prev->tags = t;
		prev->ntags = n;
	}
	if (u->has & OV_EXC) {
		for (size_t i = 0; i < u->nexcs; i++) {
			struct rl_exception *ex = &u->excs[i], *pe = NULL;
			for (size_t j = 0; j < prev->nexcs; j++)
				if (!strcmp(prev->excs[j].name, ex->name))
					pe = &prev->excs[j];
			if (!pe) {
				if (!ex->fields.valid)
					CFAIL(r, &ex->ctx, "Rule exception must have fields property with a list of fields");
				if (!ex->nvalues)
					CFAIL(r, &ex->ctx, "Rule exception must have values property with a list of values");
				TRY(validate_exception(r, ex, prev->source, !prev->unknown_source));
				struct rl_exception *ne = sk_arena_alloc(&r->arena, (prev->nexcs + 1) * sizeof(*ne));
				if (!ne)
					return -1;
				if (prev->nexcs) /* excs is NULL when the rule had none */
					memcpy(ne, prev->excs, prev->nexcs * sizeof(*ne));
				ne[prev->nexcs] = *ex;
				prev->excs = ne;
				prev->nexcs++;
			} else {
				if (ex->fields.valid)
					CFAIL(r, &ex->ctx, "Can not append exception fields to existing exception, only values");
				if (ex->comps.valid)
					CFAIL(r, &ex->ctx, "Can not append exception comps to existing exception, only values");
				for (size_t k = 0; k < ex->nvalues; k++) {
					struct rl_entry *s = RL_PUSH(r, pe->values, pe->nvalues, pe->cvalues);
					if (!s)
						return -1;
					*s = ex->values[k];
				}
			}
		}
	}
	prev->visibility = r->cur_index++;
	return 0;
}

static int apply_replace(struct sk_rules *r, const char *name, const char *source,
			 struct rule_update *u, const struct rl_ctx *ctx)
{
	struct rl_rule *prev;
	TRY(rule_find_prev(r, name, source, ctx, &prev));
	if (!prev)
		CFAIL(r, ctx, "An 'override.<key>: replace' to a rule was requested but no rule by that "
			      "name already exists");
	if (!u->has)
		CFAIL(r, ctx, "The rule must have at least one field that can be replaced");
	if (u->has & OV_COND)
		prev->cond = u->cond;
	if (u->has & OV_OUTPUT)
		prev->output = u->output;
	if (u->has & OV_DESC)
		prev->desc = u->desc;
	if (u->has & OV_TAGS) {
		prev->tags = u->tags;
		prev->ntags = u->ntags;
	}
	if (u->has & OV_EXC) {
		prev->excs = u->excs;
		prev->nexcs = u->nexcs;
	}
	if (u->has & OV_PRIO)
		prev->priority = u->priority;
	if (u->has & OV_CAPTURE)
		prev->capture = u->capture;
	if (u->has & OV_CAPDUR)
		prev->capture_duration = u->capdur;
	if (u->has & OV_ENABLED)
		prev->enabled = u->enabled;
	if (u->has & OV_WARN)
		prev->warn_evttypes = u->warn;
	if (u->has & OV_SKIP)
		prev->skip_unknown = u->skip;
	prev->visibility = r->cur_index++;
	return 0;
}

static int decode_priority(struct rd *d, yaml_node_t *item, int *out, const struct rl_ctx *ctx)
{
	const char *p;
	TRY(DSTR(d, item, "priority", &p, ctx));
	int v = sk_rule_priority_parse(p);
	if (v < 0) {
		struct rl_ctx pc;
		rl_ctx_push(&pc, ctx, RL_RULE_PRIORITY, "", &get(d, item, "priority")->start_mark);
		VFAIL(d->r, &pc, "Invalid priority");
	}
	*out = v;
	return 0;
}

/* Reads the keys named in `which` (for an override of kind `op`). */
static int read_update(struct rd *d, yaml_node_t *item, unsigned which, bool replace,
		       struct rule_update *u, const struct rl_ctx *ctx)
{
	bool f;
	memset(u, 0, sizeof(*u));
	u->has = which;
	if (which & OV_COND)
		TRY(DSTR(d, item, "condition", &u->cond, ctx));
	if (which & OV_EXC)
		TRY(read_exceptions(d, item, &u->excs, &u->nexcs, &f, ctx, !replace));
	if (which & OV_OUTPUT)
		TRY(DSTR(d, item, "output", &u->output, ctx));
	if (which & OV_DESC)
		TRY(DSTR(d, item, "desc", &u->desc, ctx));
	if (which & OV_TAGS)
		TRY(decode_tags(d, item, &u->tags, &u->ntags, ctx, &f));
	if (which & OV_PRIO)
		TRY(decode_priority(d, item, &u->priority, ctx));
	if (which & OV_CAPTURE)
		TRY(decode(d, item, "capture", V_BOOL, &u->capture, ctx, false, false, NULL));
	if (which & OV_CAPDUR)
		TRY(decode(d, item, "capture_duration", V_U32, &u->capdur, ctx, false, false, NULL));
	if (which & OV_ENABLED)
		TRY(decode(d, item, "enabled", V_BOOL, &u->enabled, ctx, false, false, NULL));
	if (which & OV_WARN)
		TRY(decode(d, item, "warn_evttypes", V_BOOL, &u->warn, ctx, false, false, NULL));
	if (which & OV_SKIP)
		TRY(decode(d, item, "skip-if-unknown-filter", V_BOOL, &u->skip, ctx, false, false, NULL));
	return 0;
}

static int read_rule(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	struct rl_ctx tmp, ctx;
	const char *name;
	rl_ctx_push(&tmp, parent, RL_RULE, "", &item->start_mark);
	TRY(DSTR(d, item, "rule", &name, &tmp));
	rl_ctx_push(&ctx, parent, RL_RULE, name, &item->start_mark);
	const char *source = "";
	TRY(decode(d, item, "source", V_STR, &source, &ctx, true, true, NULL));
	bool append_flag = false;
	TRY(decode(d, item, "append", V_BOOL, &append_flag, &ctx, true, false, NULL));
	if (append_flag)
		rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ctx, MSG_APPEND_DEPRECATED);
	const unsigned can_app = OV_COND | OV_OUTPUT | OV_DESC | OV_TAGS | OV_EXC;
	const unsigned can_rep = OV_COND | OV_OUTPUT | OV_DESC | OV_PRIO | OV_CAPTURE | OV_CAPDUR |
				 OV_TAGS | OV_EXC | OV_ENABLED | OV_WARN | OV_SKIP;
	unsigned app, rep;
	TRY(decode_overrides(d, item, can_app, can_rep, &app, &rep, &ctx));
	if (append_flag && (app | rep))
		VFAIL(r, &ctx, MSG_OVERRIDE_APPEND);
	if (app | rep) {
		unsigned expected = 0;
		for (size_t i = 0; i < SK_ARRAY_LEN(ov_keys); i++)
			if ((ov_keys[i].bit & (can_app | can_rep)) && get(d, item, ov_keys[i].key))
				expected |= ov_keys[i].bit;
		/* Falco checks in this key order and fails on the first override
		 * naming a key the item does not define. */
		static const unsigned order[] = {OV_COND, OV_EXC, OV_OUTPUT, OV_DESC, OV_TAGS, OV_PRIO,
						 OV_CAPTURE, OV_CAPDUR, OV_ENABLED, OV_WARN, OV_SKIP};
		for (int pass = 0; pass < 2; pass++) {
			unsigned ops = pass == 0 ? app : rep;
			if (!ops)
				continue;
			for (size_t i = 0; i < SK_ARRAY_LEN(order); i++) {
				if (!(ops & order[i]))
					continue;
				const char *k = "";
				for (size_t j = 0; j < SK_ARRAY_LEN(ov_keys); j++)
					if (ov_keys[j].bit == order[i])
						k = ov_keys[j].key;
				if (!(expected & order[i]))
					VFAIL(r, &ctx, "An %s override for '%s' was specified but '%s' is not defined",
					      pass == 0 ? "append" : "replace", k, k);
				expected &= ~order[i];
			}
			struct rule_update u;
			TRY(read_update(d, item, ops, pass == 1, &u, &ctx));
			if (pass == 0)
				TRY(apply_append(r, name, source, &u, &ctx));
			else
				TRY(apply_replace(r, name, source, &u, &ctx));
		}
		for (size_t j = 0; j < SK_ARRAY_LEN(ov_keys); j++)
			if (expected & ov_keys[j].bit) {
				struct rl_ctx kc;
				rl_ctx_push(&kc, &ctx, RL_OVERRIDE, ov_keys[j].key,
					    &get(d, item, ov_keys[j].key)->start_mark);
				VFAIL(r, &kc, "Unexpected key '%s': no corresponding entry under 'override' is defined.",
				      ov_keys[j].key);
			}
	} else if (append_flag) {
		struct rule_update u;
		memset(&u, 0, sizeof(u));
		bool f;
		if (get(d, item, "condition")) {
			TRY(DSTR(d, item, "condition", &u.cond, &ctx));
			u.has |= OV_COND;
		}
		if (get(d, item, "exceptions")) {
			TRY(read_exceptions(d, item, &u.excs, &u.nexcs, &f, &ctx, true));
			u.has |= OV_EXC;
		}
		TRY(apply_append(r, name, source, &u, &ctx));
	} else if (!get(d, item, "condition") && !get(d, item, "output") && !get(d, item, "desc") &&
		   !get(d, item, "priority")) {
		bool en;
		TRY(decode(d, item, "enabled", V_BOOL, &en, &ctx, false, false, NULL));
		rl_add(r, false, SK_LOAD_DEPRECATED_ITEM, &ctx, MSG_ENABLED_DEPRECATED);
		size_t prev = find(&r->rule_by_name, name);
		if (!prev)
			CFAIL(r, &ctx, "Rule has 'enabled' key but no rule by that name already exists");
		r->rules[prev - 1].enabled = en;
	} else {
		struct rl_rule v;
		memset(&v, 0, sizeof(v));
		v.name = name;
		v.enabled = true;
		v.warn_evttypes = true;
		v.ctx = ctx;
		TRY(DSTR(d, item, "condition", &v.cond, &ctx));
		rl_ctx_push(&v.cond_ctx, &ctx, RL_RULE_CONDITION, "", &get(d, item, "condition")->start_mark);
		TRY(DSTR(d, item, "output", &v.output, &ctx));
		rl_ctx_push(&v.output_ctx, &ctx, RL_RULE_OUTPUT, "", &get(d, item, "output")->start_mark);
		TRY(DSTR(d, item, "desc", &v.desc, &ctx));
		TRY(decode_priority(d, item, &v.priority, &ctx));
		{	/* trim the output */
			const char *a = v.output;
			while (*a && strchr(" \t\r\n\f\v", *a))
				a++;
			size_t n = strlen(a);
			while (n && strchr(" \t\r\n\f\v", a[n - 1]))
				n--;
			v.output = sk_arena_strndup(&r->arena, a, n);
		}
		v.source = "syscall";
		TRY(decode(d, item, "source", V_STR, &v.source, &ctx, true, false, NULL));
		TRY(decode(d, item, "enabled", V_BOOL, &v.enabled, &ctx, true, false, NULL));
		TRY(decode(d, item, "capture", V_BOOL, &v.capture, &ctx, true, false, NULL));
		TRY(decode(d, item, "capture_duration", V_U32, &v.capture_duration, &ctx, true, false, NULL));
		TRY(decode(d, item, "warn_evttypes", V_BOOL, &v.warn_evttypes, &ctx, true, false, NULL));
		TRY(decode(d, item, "skip-if-unknown-filter", V_BOOL, &v.skip_unknown, &ctx, true, false, NULL));
		bool f;
		TRY(decode_tags(d, item, &v.tags, &v.ntags, &ctx, &f));
		TRY(read_exceptions(d, item, &v.excs, &v.nexcs, &f, &ctx, false));
		struct rl_rule *prev;
		TRY(rule_find_prev(r, name, v.source, &ctx, &prev));
		if (!source_known(r, v.source)) {
			v.unknown_source = true;
			rl_add(r, false, SK_LOAD_UNKNOWN_SOURCE, &ctx, "Unknown source %s, skipping", v.source);
		}
		for (size_t i = 0; i < v.nexcs; i++) {
			if (!v.excs[i].fields.valid)
				CFAIL(r, &v.excs[i].ctx, "Rule exception item must have fields property with a list of fields");
			TRY(validate_exception(r, &v.excs[i], v.source, !v.unknown_source));
		}
		uint32_t id = r->cur_index++;
		if (prev) {
			v.index = prev->index;
			v.visibility = id;
			*prev = v;
		} else {
			v.index = v.visibility = id;
			struct rl_rule *slot = RL_PUSH(r, r->rules, r->nrules, r->caprules);
			if (!slot)
				return -1;
			*slot = v;
			TRY(map_put(r, &r->rule_by_name, name, r->nrules - 1));
		}
	}
	static const char *const keys[] = {"rule", "condition", "output", "desc", "priority", "source",
					   "enabled", "capture", "capture_duration", "warn_evttypes",
					   "skip-if-unknown-filter", "tags", "exceptions", "override",
					   "append"};
	warn_unknown_keys(d, item, keys, SK_ARRAY_LEN(keys), &ctx);
	return 0;
}

static int read_item(struct rd *d, yaml_node_t *item, const struct rl_ctx *parent)
{
	struct sk_rules *r = d->r;
	if (item->type != YAML_MAPPING_NODE) {
		struct rl_ctx tmp;
		rl_ctx_push(&tmp, parent, RL_RULES_CONTENT_ITEM, "", &item->start_mark);
		VFAIL(r, &tmp, "Unexpected element type. Each element should be a yaml associative array.");
	}
	if (get(d, item, "required_engine_version")) {
		TRY(read_engine_version(d, item, parent));
		static const char *const keys[] = {"required_engine_version"};
		struct rl_ctx c;
		rl_ctx_push(&c, parent, RL_REQUIRED_ENGINE_VERSION, "", &item->start_mark);
		warn_unknown_keys(d, item, keys, 1, &c);
	} else if (get(d, item, "required_plugin_versions")) {
		TRY(read_plugin_versions(d, item, parent));
		static const char *const keys[] = {"required_plugin_versions"};
		struct rl_ctx c;
		rl_ctx_push(&c, parent, RL_REQUIRED_PLUGIN_VERSIONS, "", &item->start_mark);
		warn_unknown_keys(d, item, keys, 1, &c);
	} else if (get(d, item, "list")) {
		TRY(read_list(d, item, parent));
	} else if (get(d, item, "macro")) {
		TRY(read_macro(d, item, parent));
	} else if (get(d, item, "rule")) {
		TRY(read_rule(d, item, parent));
	} else {
		struct rl_ctx c;
		rl_ctx_push(&c, parent, RL_RULES_CONTENT_ITEM, "", &item->start_mark);
		rl_add(r, false, SK_LOAD_UNKNOWN_ITEM, &c, "Unknown top level item");
	}
	return 0;
}

/* libyaml problem strings → the yaml-cpp wording Falco users and tests see. */
static const char *yaml_problem(const char *p)
{
	static const struct { const char *from, *to; } map[] = {
		{"mapping values are not allowed in this context", "illegal map value"},
		{"did not find expected key", "end of map not found"},
		{"did not find expected ',' or ']'", "end of sequence flow not found"},
		{"did not find expected ',' or '}'", "end of map flow not found"},
		{"found unexpected end of stream", "unexpected end of stream"},
		{"found undefined alias", "the referenced anchor is not defined"},
	};
	for (size_t i = 0; p && i < SK_ARRAY_LEN(map); i++)
		if (strstr(p, map[i].from))
			return map[i].to;
	return p ? p : "unknown YAML parsing error";
}

#define RL_MAX_DOCS 256

int rl_read(struct sk_rules *r, const char *name, const char *content, size_t len)
{
	struct rl_ctx root;
	rl_ctx_root(&root, name);
	yaml_parser_t p;
	yaml_document_t *docs = calloc(RL_MAX_DOCS, sizeof(*docs));
	size_t ndocs = 0;
	int rc = 0;
	if (!docs || !yaml_parser_initialize(&p)) {
		free(docs);
		rl_add(r, true, SK_LOAD_ERR_YAML_PARSE, &root, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)content, len);
	for (;;) {
		if (ndocs == RL_MAX_DOCS) {
			rl_add(r, true, SK_LOAD_ERR_YAML_PARSE, &root, "too many YAML documents");
			rc = -1;
			break;
		}
		if (!yaml_parser_load(&p, &docs[ndocs])) {
			struct rl_ctx c = root;
			rl_ctx_push(&c, &root, RL_VALUE_FOR, "", &p.problem_mark);
			rl_add(r, true, SK_LOAD_ERR_YAML_PARSE, &c, "yaml-cpp: error at line %d, column %d: %s",
			       (int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1,
			       yaml_problem(p.problem));
			rc = -1;
			break;
		}
		if (!yaml_document_get_root_node(&docs[ndocs])) {
			yaml_document_delete(&docs[ndocs]);
			break;
		}
		ndocs++;
	}
	yaml_parser_delete(&p);
	struct rd d = {.r = r};
	for (size_t i = 0; rc == 0 && i < ndocs; i++) {
		d.doc = &docs[i];
		yaml_node_t *top = yaml_document_get_root_node(d.doc);
		if (is_null(top))
			continue;
		if (top->type == YAML_SCALAR_NODE) {
			rl_add(r, true, SK_LOAD_ERR_YAML_VALIDATE, &root, "Rules content is not yaml");
			rc = -1;
			break;
		}
		if (top->type != YAML_SEQUENCE_NODE) {
			rl_add(r, true, SK_LOAD_ERR_YAML_VALIDATE, &root, "Rules content is not yaml array of objects");
			rc = -1;
			break;
		}
		for (yaml_node_item_t *it = top->data.sequence.items.start; it < top->data.sequence.items.top; it++) {
			yaml_node_t *item = nd(&d, *it);
			if (is_null(item))
				continue;
			if (read_item(&d, item, &root) < 0) {
				rc = -1;
				break;
			}
		}
	}
	for (size_t i = 0; i < ndocs; i++)
		yaml_document_delete(&docs[i]);
	free(docs);
	return rc;
}
