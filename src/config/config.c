/* config.c — loading: main file, config_files merge, -o overrides, ${ENV}
 * expansion, key validation (warnings) and the typed members (errors). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_int.h"

static const char *const prio_names[SK_PRIO_COUNT] = {
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

const char *sk_priority_name(int p)
{
	return p >= 0 && p < SK_PRIO_COUNT ? prio_names[p] : "";
}

int sk_priority_parse(const char *s)
{
	if (!strcasecmp(s, "info"))
		return SK_PRIO_INFORMATIONAL;
	for (int i = 0; i < SK_PRIO_COUNT; i++)
		if (!strcasecmp(s, prio_names[i]))
			return i;
	return -1;
}

/* What a config gets when the default file is missing: the shipped
 * essentials, so a bare `saker` prints alerts on stdout. */
static const char builtin_yaml[] =
	"stdout_output:\n  enabled: true\n"
	"append_output:\n  - suggested_output: true\n"
	"load_plugins: [container]\n"
	"plugins:\n  - name: container\n    library_path: libcontainer.so\n"
	"log_stderr: true\n"
	"log_syslog: false\n";

struct loader {
	struct sk_config *c;
	struct sk_config_priv *p;
	struct sk_arena *a;
	struct sk_err *err;
};

static void warnf(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
	SK_PRINTF(3, 4);
static void warnf(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
{
	struct sk_config_priv *p = l->p;
	char msg[1024];
	size_t off = 0;
	va_list ap;
	if (p->nwarn >= CFG_MAX_WARNINGS)
		return;
	if (at && at->file && *at->file)
		off = (size_t)snprintf(msg, sizeof(msg), at->line ? "%s:%d:%d: " : "%s: ",
				       at->file, at->line, at->col);
	if (off >= sizeof(msg))
		off = sizeof(msg) - 1;
	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
	va_end(ap);
	if (p->nwarn == p->capwarn) {
		size_t cap = p->capwarn ? p->capwarn * 2 : 16;
		const char **w = sk_arena_alloc(l->a, cap * sizeof(*w));
		if (!w)
			return;
		if (p->nwarn)
			memcpy(w, p->warn, p->nwarn * sizeof(*w));
		p->warn = w;
		p->capwarn = cap;
	}
	const char *s = sk_arena_strdup(l->a, msg);
	if (s)
		p->warn[p->nwarn++] = s;
}

/* Sets err to a message positioned at node `at` (file/line/col). */
static int errat(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
	SK_PRINTF(3, 4);
static int errat(struct loader *l, const struct cfg_node *at, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at)
		sk_err_set_at(l->err, -EINVAL, at->line, at->col, "%s", msg);
	else
		sk_err_set(l->err, -EINVAL, "%s", msg);
	if (l->err && at && at->file)
		sk_strlcpy(l->err->file, at->file, sizeof(l->err->file));
	return -EINVAL;
}

/* ---- -o overrides ------------------------------------------------------------ */

/* Applies one "KEY=VALUE". A value in braces is a YAML flow mapping. */
static int apply_override(struct loader *l, const char *kv)
{
	const char *eq = NULL;
	for (const char *s = kv; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s == '=') {
			eq = s;
			break;
		}
	}
	if (!eq)
		return sk_err_set(l->err, -EINVAL,
				  "bad -o option '%s': Must be of the form key=val", kv);
	struct cfg_seg *segs;
	size_t nsegs;
	int rc = cfg_path_parse(l->a, kv, (size_t)(eq - kv), &segs, &nsegs, l->err);
	if (rc < 0)
		return rc;
	const char *val = eq + 1;
	size_t vlen = strlen(val);
	struct cfg_node *v;
	if (vlen >= 2 && val[0] == '{' && val[vlen - 1] == '}') {
		struct sk_err e;
		sk_err_clear(&e);
		if (cfg_parse(l->a, val, vlen, "-o", &v, &e) < 0)
			return sk_err_set(l->err, -EINVAL, "bad -o option '%s': %s", kv, e.msg);
	} else if (!(v = cfg_scalar_new(l->a, val, "-o", 0, 0))) {
		return -ENOMEM;
	}
	/* Walk, creating maps/sequences as the path asks. */
	struct cfg_node *cur = l->p->root;
	for (size_t i = 0; i < nsegs; i++) {
		bool last = i + 1 == nsegs;
		struct cfg_node *next;
		if (segs[i].name) {
			if (cur->kind != CN_MAP)
				return sk_err_set(l->err, -EINVAL, "bad -o option '%s': '%s' is not a map",
						  kv, segs[i].name);
			next = cfg_map_get(cur, segs[i].name);
			if (segs[i].index == -2) {
				if (last)
					return cfg_map_set(l->a, cur, segs[i].name, v);
				if (!next || next->kind != CN_MAP) {
					next = cfg_node_new(l->a, CN_MAP, "-o", 0, 0);
					if (!next || cfg_map_set(l->a, cur, segs[i].name, next) < 0)
						return -ENOMEM;
				}
				cur = next;
				continue;
			}
			if (!next || next->kind != CN_SEQ) {
				next = cfg_node_new(l->a, CN_SEQ, "-o", 0, 0);
				if (!next || cfg_map_set(l->a, cur, segs[i].name, next) < 0)
					return -ENOMEM;
			}
			cur = next;
		}
		/* an index into the sequence `cur` */
		if (cur->kind != CN_SEQ)
			return sk_err_set(l->err, -EINVAL, "bad -o option '%s': not a list", kv);
		size_t idx = segs[i].index < 0 ? cur->n : (size_t)segs[i].index;
		if (idx > cur->n)
			return sk_err_set(l->err, -EINVAL, "bad -o option '%s': index %zu past the end"
					  " of a list of %zu", kv, idx, cur->n);
		bool nextseq = !last && !segs[i + 1].name;
		if (idx == cur->n) {
			next = last ? v : cfg_node_new(l->a, nextseq ? CN_SEQ : CN_MAP, "-o", 0, 0);
			if (!next || cfg_seq_push(l->a, cur, next) < 0)
				return -ENOMEM;
		} else if (last) {
			cur->items[idx] = v;
		} else {
			next = cur->items[idx];
			if (next->kind != (nextseq ? CN_SEQ : CN_MAP)) {
				next = cfg_node_new(l->a, nextseq ? CN_SEQ : CN_MAP, "-o", 0, 0);
				if (!next)
					return -ENOMEM;
				cur->items[idx] = next;
			}
		}
		if (last)
			return 0;
		cur = next;
		if (!nextseq)
			continue;
	}
	return 0;
}

static bool is_config_files_override(const char *kv)
{
	static const char k[] = "config_files";
	return !strncmp(kv, k, sizeof(k) - 1) &&
	       (kv[sizeof(k) - 1] == '=' || kv[sizeof(k) - 1] == '[' || kv[sizeof(k) - 1] == '.');
}

/* ---- files and config_files ---------------------------------------------------- */

static int load_text(struct loader *l, const char *path, struct cfg_node **out, bool *missing)
{
	char *text = NULL;
	size_t len = 0;
	int rc = sk_read_file(path, CFG_MAX_FILE, &text, &len);
	if (rc < 0) {
		if (missing && rc == -ENOENT) {
			*missing = true;
			return 0;
		}
		sk_err_set(l->err, rc, "cannot read config file: %s", strerror(-rc));
		if (l->err)
			sk_strlcpy(l->err->file, path, sizeof(l->err->file));
		return rc;
	}
	const char *name = sk_arena_strdup(l->a, path);
	rc = name ? cfg_parse(l->a, text, len, name, out, l->err) : -ENOMEM;
	free(text);
	return rc;
}

static int add_file(struct loader *l, const char *path)
{
	struct sk_config *c = l->c;
	const char **f = sk_arena_alloc(l->a, (c->nfiles + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (c->nfiles)
		memcpy(f, c->files, c->nfiles * sizeof(*f));
	if (!(f[c->nfiles] = sk_arena_strdup(l->a, path)))
		return -ENOMEM;
	c->files = f;
	c->nfiles++;
	return 0;
}

enum strategy { ST_APPEND, ST_OVERRIDE, ST_ADD_ONLY };

static int merge(struct loader *l, struct cfg_node *src, enum strategy st)
{
	struct cfg_node *root = l->p->root;
	for (size_t i = 0; i < src->n; i++) {
		struct cfg_node *have = cfg_map_get(root, src->keys[i]), *v = src->items[i];
		if (have && st == ST_ADD_ONLY)
			continue;
		if (have && st == ST_APPEND && have->kind == CN_SEQ && v->kind == CN_SEQ) {
			for (size_t k = 0; k < v->n; k++)
				if (cfg_seq_push(l->a, have, v->items[k]) < 0)
					return -ENOMEM;
			continue;
		}
		if (cfg_map_set(l->a, root, src->keys[i], v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int merge_file(struct loader *l, const char *path, enum strategy st, const char *mainreal,
		      const struct cfg_node *at)
{
	char real[PATH_MAX];
	if (mainreal && realpath(path, real) && !strcmp(real, mainreal))
		return errat(l, at, "config_files: '%s' is the main config file", path);
	struct cfg_node *doc;
	int rc = load_text(l, path, &doc, NULL);
	if (rc < 0)
		return rc;
	struct cfg_node *nested = cfg_map_get(doc, "config_files");
	if (nested)
		return errat(l, nested, "config_files cannot be nested (in included file '%s')", path);
	if ((rc = add_file(l, path)) < 0)
		return rc;
	return merge(l, doc, st);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int merge_entry(struct loader *l, const char *path, enum strategy st, const char *mainreal,
		       const struct cfg_node *at)
{
	struct stat stt;
	if (stat(path, &stt) < 0) {
		warnf(l, at, "config_files: '%s' not found, skipped", path);
		return 0;
	}
	if (!S_ISDIR(stt.st_mode))
		return merge_file(l, path, st, mainreal, at);
	DIR *d = opendir(path);
	if (!d) {
		warnf(l, at, "config_files: cannot open directory '%s': %s", path, strerror(errno));
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 4096) {
		char full[PATH_MAX];
		if (snprintf(full, sizeof(full), "%s/%s", path, de->d_name) >= (int)sizeof(full))
			continue;
		if (stat(full, &stt) < 0 || !S_ISREG(stt.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				rc = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(full))) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, n, sizeof(*names), cmpstr);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = merge_file(l, names[i], st, mainreal, at);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int load_config_files(struct loader *l, const char *mainpath)
{
	struct cfg_node *cf = cfg_map_get(l->p->root, "config_files");
	char mainreal[PATH_MAX], *mr = mainpath && realpath(mainpath, mainreal) ? mainreal : NULL;
	if (!cf || cfg_is_null(cf))
		return 0;
	if (cf->kind == CN_SCALAR)
		return merge_entry(l, cf->str, ST_APPEND, mr, cf);
	if (cf->kind != CN_SEQ)
		return errat(l, cf, "config_files must be a list");
	for (size_t i = 0; i < cf->n; i++) {
		struct cfg_node *e = cf->items[i], *pn = e;
		enum strategy st = ST_APPEND;
		if (e->kind == CN_MAP) {
			pn = cfg_map_get(e, "path");
			struct cfg_node *sn = cfg_map_get(e, "strategy");
			if (sn && sn->kind == CN_SCALAR) {
				if (!strcmp(sn->str, "override"))
					st = ST_OVERRIDE;
				else if (!strcmp(sn->str, "add-only"))
					st = ST_ADD_ONLY;
				else if (strcmp(sn->str, "append"))
					return errat(l, sn, "config_files: unknown strategy '%s'"
						     " (append, override, add-only)", sn->str);
			}
		}
		if (!pn || pn->kind != CN_SCALAR || !*pn->str)
			return errat(l, e, "config_files: entry without a path");
		int rc = merge_entry(l, pn->str, st, mr, pn);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- ${ENV} ------------------------------------------------------------------------ */

static int expand_scalar(struct loader *l, struct cfg_node *n)
{
	/* a scalar reached twice through an alias is expanded once: "$${" must
	 * not become "${" and then a variable */
	if (n->expanded || !strchr(n->str, '$'))
		return 0;
	n->expanded = true;
	struct sk_buf b;
	int rc = 0;
	sk_buf_init(&b, 1 << 20);
	for (const char *s = n->str; *s && rc >= 0;) {
		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			rc = sk_buf_puts(&b, "${");
			s += 3;
			continue;
		}
		if (s[0] == '$' && s[1] == '{') {
			const char *end = strchr(s + 2, '}');
			if (end) {
				char name[256];
				size_t nl = (size_t)(end - s - 2);
				if (nl < sizeof(name)) {
					memcpy(name, s + 2, nl);
					name[nl] = 0;
					const char *v = getenv(name);
					rc = sk_buf_puts(&b, v ? v : "");
					s = end + 1;
					continue;
				}
			}
		}
		rc = sk_buf_putc(&b, *s++);
	}
	if (rc >= 0) {
		n->str = sk_arena_strdup(l->a, sk_buf_cstr(&b));
		rc = n->str ? 0 : -ENOMEM;
		n->plain = true;
	}
	sk_buf_done(&b);
	return rc;
}

static int expand_env(struct loader *l, struct cfg_node *n, int depth)
{
	if (depth > CFG_MAX_DEPTH)
		return 0;
	if (n->kind == CN_SCALAR)
		return expand_scalar(l, n);
	for (size_t i = 0; i < n->n; i++) {
		int rc = expand_env(l, n->items[i], depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- key validation -------------------------------------------------------------- */

static const struct sk_config_key *key_find(const char *k)
{
	for (size_t i = 0; i < sk_config_keys_count; i++)
		if (!strcmp(sk_config_keys[i].key, k))
			return &sk_config_keys[i];
	return NULL;
}

static bool enum_ok(const struct sk_config_key *k, const char *s, int *idx)
{
	if (!strcmp(k->values, "@priority")) {
		*idx = sk_priority_parse(s);
		return *idx >= 0;
	}
	size_t sl = strlen(s);
	int i = 0;
	for (const char *p = k->values; *p; i++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == sl && !strncmp(p, s, len)) {
			*idx = i;
			return true;
		}
		p += len + (bar ? 1 : 0);
	}
	return false;
}

static bool scalar_ok(const struct sk_config_key *k, const struct cfg_node *n)
{
	bool b;
	int64_t i;
	double d;
	int e;
	switch (k->type) {
	case SK_CT_BOOL: return n->kind == CN_SCALAR && !cfg_to_bool(n->str, &b);
	case SK_CT_INT: return n->kind == CN_SCALAR && !cfg_to_int(n->str, &i);
	case SK_CT_DOUBLE: return n->kind == CN_SCALAR && !cfg_to_double(n->str, &d);
	case SK_CT_STRING:
	case SK_CT_DURATION: return n->kind == CN_SCALAR;
	case SK_CT_ENUM: return n->kind == CN_SCALAR && enum_ok(k, n->str, &e);
	case SK_CT_LIST: return n->kind == CN_SEQ;
	case SK_CT_MAP: return n->kind == CN_MAP;
	default: return true;
	}
}

static void validate(struct loader *l, const struct cfg_node *n, struct sk_buf *path, int depth)
{
	if (depth > CFG_MAX_DEPTH || n->kind == CN_SCALAR)
		return;
	size_t base = path->len;
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_node *v = n->items[i];
		path->len = base;
		int rc = n->kind == CN_MAP
			 ? sk_buf_printf(path, "%s%s", base ? "." : "", n->keys[i])
			 : sk_buf_puts(path, "[]");
		if (rc < 0)
			continue;
		const char *k = sk_buf_cstr(path);
		const struct sk_config_key *ki = key_find(k);
		if (!ki) {
			if (n->kind == CN_MAP)
				warnf(l, v, "unknown configuration key '%s'", k);
			continue;
		}
		if (!strncmp(ki->desc, "(removed", 8)) {
			warnf(l, v, "configuration key '%s' was removed from Falco and is ignored", k);
			continue;
		}
		if (cfg_is_null(v))
			continue;
		if (!scalar_ok(ki, v))
			warnf(l, v, "configuration key '%s' has a value of the wrong type", k);
		else if (ki->type == SK_CT_LIST || ki->type == SK_CT_MAP)
			validate(l, v, path, depth + 1);
	}
	path->len = base;
	if (path->data)
		path->data[base] = 0;
}

/* ---- typed members ------------------------------------------------------------ */

static const char *node_path_default(const char *path)
{
	const struct sk_config_key *k = key_find(path);
	return k ? k->def : "";
}

/* Fills one typed member from the document or the table default. Errors
 * (with position) when the value does not convert or is out of bounds. */
static int fill_key(struct loader *l, const struct sk_config_key *k)
{
	struct cfg_node *n = cfg_lookup(l->p->root, k->key);
	const char *s = (!n || cfg_is_null(n)) ? k->def : n->kind == CN_SCALAR ? n->str : NULL;
	char *m = (char *)l->c + k->off;
	if (!s)
		return errat(l, n, "configuration key '%s' must be a scalar", k->key);
	switch (k->type) {
	case SK_CT_BOOL:
		if (cfg_to_bool(s, (bool *)m) < 0)
			return errat(l, n, "configuration key '%s': '%s' is not a boolean", k->key, s);
		return 0;
	case SK_CT_INT: {
		int64_t v;
		if (cfg_to_int(s, &v) < 0)
			return errat(l, n, "configuration key '%s': '%s' is not an integer", k->key, s);
		if (k->min <= k->max && (v < k->min || v > k->max))
			return errat(l, n, "configuration key '%s': %lld is out of range [%lld, %lld]",
				     k->key, (long long)v, (long long)k->min, (long long)k->max);
		*(int64_t *)m = v;
		return 0;
	}
	case SK_CT_DOUBLE:
		if (cfg_to_double(s, (double *)m) < 0)
			return errat(l, n, "configuration key '%s': '%s' is not a number", k->key, s);
		return 0;
	case SK_CT_STRING:
		*(const char **)m = s;
		return 0;
	case SK_CT_ENUM: {
		int idx;
		if (!enum_ok(k, s, &idx))
			return errat(l, n, "configuration key '%s': invalid value '%s'%s%s", k->key, s,
				     strcmp(k->values, "@priority") ? " (expected " : "",
				     strcmp(k->values, "@priority") ? k->values : "");
		*(int *)m = idx;
		return 0;
	}
	default:
		return 0;
	}
}

/* A sequence of strings (or a single scalar) into an arena array. */
static int str_list(struct loader *l, const char *path, const char ***out, size_t *n, bool *set)
{
	struct cfg_node *node = cfg_lookup(l->p->root, path);
	*out = NULL;
	*n = 0;
	if (set)
		*set = node != NULL && !(cfg_is_null(node) && node->kind == CN_SCALAR && !node->plain);
	if (!node || cfg_is_null(node))
		return 0;
	if (node->kind == CN_SCALAR) {
		if (!(*out = sk_arena_alloc(l->a, sizeof(**out))))
			return -ENOMEM;
		(*out)[(*n)++] = node->str;
		return 0;
	}
	if (node->kind != CN_SEQ)
		return errat(l, node, "configuration key '%s' must be a list of strings", path);
	if (!(*out = sk_arena_alloc(l->a, (node->n + 1) * sizeof(**out))))
		return -ENOMEM;
	for (size_t i = 0; i < node->n; i++) {
		if (node->items[i]->kind != CN_SCALAR)
			return errat(l, node->items[i], "configuration key '%s' must be a list of"
				     " strings", path);
		(*out)[(*n)++] = node->items[i]->str;
	}
	return 0;
}

static const char *scalar_at(const struct cfg_node *m, const char *key)
{
	struct cfg_node *n = cfg_map_get(m, key);
	return n && n->kind == CN_SCALAR && !cfg_is_null(n) ? n->str : NULL;
}

static int fill_rules(struct loader *l)
{
	struct cfg_node *n = cfg_map_get(l->p->root, "rules");
	if (!n || cfg_is_null(n))
		return 0;
	if (n->kind != CN_SEQ)
		return errat(l, n, "'rules' must be a list of enable/disable entries");
	if (!(l->c->rules = sk_arena_alloc(l->a, (n->n + 1) * sizeof(*l->c->rules))))
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct cfg_node *e = n->items[i];
		struct cfg_node *en = cfg_map_get(e, "enable"), *dis = cfg_map_get(e, "disable");
		struct cfg_node *sel = en ? en : dis;
		if (e->kind != CN_MAP || !sel || (en && dis) || sel->kind != CN_MAP)
			return errat(l, e, "'rules' entries must be {enable: {...}} or {disable: {...}}");
		struct sk_config_rule_sel *r = &l->c->rules[l->c->nrules++];
		r->enable = en != NULL;
		r->rule = scalar_at(sel, "rule");
		r->tag = scalar_at(sel, "tag");
		if (!!r->rule == !!r->tag)
			return errat(l, sel, "'rules' entries need exactly one of 'rule' or 'tag'");
	}
	return 0;
}

static int fill_append_output(struct loader *l)
{
	struct cfg_node *n = cfg_map_get(l->p->root, "append_output");
	struct sk_config *c = l->c;
	if (!n || cfg_is_null(n))
		return 0;
	if (n->kind != CN_SEQ)
		return errat(l, n, "'append_output' must be a list");
	if (!(c->append_output = sk_arena_alloc(l->a, (n->n + 1) * sizeof(*c->append_output))))
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct cfg_node *e = n->items[i];
		struct sk_config_append *ap = &c->append_output[c->nappend_output++];
		if (e->kind != CN_MAP)
			return errat(l, e, "'append_output' entries must be maps");
		struct cfg_node *m = cfg_map_get(e, "match");
		if (m && m->kind == CN_MAP) {
			ap->source = scalar_at(m, "source");
			ap->rule = scalar_at(m, "rule");
			struct cfg_node *t = cfg_map_get(m, "tags");
			if (t && t->kind == CN_SEQ) {
				if (!(ap->tags = sk_arena_alloc(l->a, (t->n + 1) * sizeof(char *))))
					return -ENOMEM;
				for (size_t k = 0; k < t->n; k++)
					if (t->items[k]->kind == CN_SCALAR)
						ap->tags[ap->ntags++] = t->items[k]->str;
			}
		}
		ap->extra_output = scalar_at(e, "extra_output");
		const char *so = scalar_at(e, "suggested_output");
		if (so && cfg_to_bool(so, &ap->suggested_output) < 0)
			return errat(l, cfg_map_get(e, "suggested_output"),
				     "'suggested_output' must be a boolean");
		struct cfg_node *xf = cfg_map_get(e, "extra_fields");
		if (!xf || cfg_is_null(xf))
			continue;
		if (xf->kind != CN_SEQ)
			return errat(l, xf, "'extra_fields' must be a list");
		if (!(ap->extra_fields = sk_arena_alloc(l->a, (xf->n + 1) * sizeof(*ap->extra_fields))))
			return -ENOMEM;
		for (size_t k = 0; k < xf->n; k++) {
			struct cfg_node *f = xf->items[k];
			struct sk_config_extra_field *ef = &ap->extra_fields[ap->nextra_fields++];
			if (f->kind == CN_SCALAR) {
				ef->name = f->str;
			} else if (f->kind == CN_MAP && f->n == 1 &&
				   f->items[0]->kind == CN_SCALAR) {
				ef->name = f->keys[0];
				ef->format = f->items[0]->str;
			} else {
				return errat(l, f, "'extra_fields' entries must be a field name or"
					     " {name: format}");
			}
		}
	}
	return 0;
}

static int fill_static_fields(struct loader *l)
{
	struct cfg_node *n = cfg_map_get(l->p->root, "static_fields");
	struct sk_config *c = l->c;
	if (!n || cfg_is_null(n))
		return 0;
	if (n->kind != CN_MAP)
		return errat(l, n, "'static_fields' must be a map of name: value");
	if (!(c->static_fields = sk_arena_alloc(l->a, (n->n + 1) * sizeof(*c->static_fields))))
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->kind != CN_SCALAR)
			return errat(l, n->items[i], "'static_fields' values must be scalars");
		c->static_fields[c->nstatic_fields].name = n->keys[i];
		c->static_fields[c->nstatic_fields++].value = n->items[i]->str;
	}
	return 0;
}

static int fill_plugins(struct loader *l)
{
	struct cfg_node *n = cfg_map_get(l->p->root, "plugins");
	struct sk_config *c = l->c;
	int rc = str_list(l, "load_plugins", &c->load_plugins, &c->nload_plugins,
			  &c->load_plugins_set);
	if (rc < 0 || !n || cfg_is_null(n))
		return rc;
	if (n->kind != CN_SEQ)
		return errat(l, n, "'plugins' must be a list");
	if (!(c->plugins = sk_arena_alloc(l->a, (n->n + 1) * sizeof(*c->plugins))))
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct cfg_node *e = n->items[i];
		struct sk_config_plugin *p = &c->plugins[c->nplugins++];
		if (e->kind != CN_MAP || !(p->name = scalar_at(e, "name")))
			return errat(l, e, "'plugins' entries need a 'name'");
		p->library_path = scalar_at(e, "library_path");
		p->open_params = scalar_at(e, "open_params");
		struct cfg_node *ic = cfg_map_get(e, "init_config");
		if (ic && ic->kind == CN_SCALAR) {
			p->init_config = cfg_is_null(ic) ? NULL : ic->str;
		} else if (ic) {
			struct sk_buf b;
			sk_buf_init(&b, 1 << 20);
			rc = cfg_to_json(ic, &b);
			p->init_config = rc < 0 ? NULL : sk_arena_strdup(l->a, sk_buf_cstr(&b));
			sk_buf_done(&b);
			if (!p->init_config)
				return rc < 0 ? rc : -ENOMEM;
		}
	}
	return 0;
}

/* Prometheus-style duration: number+unit groups (ms s m h d w y). */
static int parse_duration(const char *s, uint64_t *ms)
{
	uint64_t total = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t v = 0;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (v > UINT64_MAX / 10 - 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*s++ - '0');
		}
		uint64_t mul;
		if (s[0] == 'm' && s[1] == 's') {
			mul = 1;
			s += 2;
		} else {
			switch (*s) {
			case 's': mul = 1000; break;
			case 'm': mul = 60000; break;
			case 'h': mul = 3600000; break;
			case 'd': mul = 86400000; break;
			case 'w': mul = 604800000; break;
			case 'y': mul = 31536000000ULL; break;
			default: return -EINVAL;
			}
			s++;
		}
		total += v * mul;
	}
	*ms = total;
	return 0;
}

static int fill_all(struct loader *l)
{
	struct sk_config *c = l->c;
	struct cfg_node *root = l->p->root, *n;
	int rc, idx;
	for (size_t i = 0; i < sk_config_keys_count; i++)
		if (sk_config_keys[i].off && (rc = fill_key(l, &sk_config_keys[i])) < 0)
			return rc;

	/* enums kept as booleans / strings */
	const struct sk_config_key *k;
	k = key_find("rule_matching");
	n = cfg_lookup(root, "rule_matching");
	if (n && !cfg_is_null(n) && (n->kind != CN_SCALAR || !enum_ok(k, n->str, &idx)))
		return errat(l, n, "configuration key 'rule_matching': expected first or all");
	c->rule_matching_all = n && !cfg_is_null(n) && !strcmp(n->str, "all");
	k = key_find("capture.mode");
	n = cfg_lookup(root, "capture.mode");
	if (n && !cfg_is_null(n) && (n->kind != CN_SCALAR || !enum_ok(k, n->str, &idx)))
		return errat(l, n, "configuration key 'capture.mode': expected rules or all_rules");
	c->capture.all_rules = n && !cfg_is_null(n) && !strcmp(n->str, "all_rules");
	c->libs_logger_severity = sk_config_get_str(c, "libs_logger.severity");
	if (!c->libs_logger_severity)
		c->libs_logger_severity = node_path_default("libs_logger.severity");

	/* rules files */
	struct cfg_node *rf = cfg_map_get(root, "rules_files"), *rf1 = cfg_map_get(root, "rules_file");
	if (rf && rf1)
		return errat(l, rf1, "both 'rules_files' and its deprecated alias 'rules_file' are set");
	if ((rc = str_list(l, rf1 ? "rules_file" : "rules_files", &c->rules_files,
			   &c->nrules_files, NULL)) < 0)
		return rc;
	if ((rc = fill_rules(l)) < 0 || (rc = fill_append_output(l)) < 0 ||
	    (rc = fill_static_fields(l)) < 0 || (rc = fill_plugins(l)) < 0)
		return rc;
	if ((rc = str_list(l, "base_syscalls.custom_set", &c->base_syscalls_custom_set,
			   &c->nbase_syscalls_custom_set, NULL)) < 0)
		return rc;
	if ((rc = str_list(l, "syscall_event_drops.actions", &c->syscall_event_drops_actions,
			   &c->nsyscall_event_drops_actions, NULL)) < 0)
		return rc;
	k = key_find("syscall_event_drops.actions[]");
	for (size_t i = 0; i < c->nsyscall_event_drops_actions; i++) {
		const char *a = c->syscall_event_drops_actions[i];
		if (!enum_ok(k, a, &idx))
			return errat(l, cfg_lookup(root, "syscall_event_drops.actions"),
				     "syscall_event_drops.actions: unknown action '%s'", a);
	}
	/* Falco's wording: 'ignore' combined with any other action is fatal */
	for (size_t i = 0; i < c->nsyscall_event_drops_actions; i++) {
		const char *a = c->syscall_event_drops_actions[i];
		bool ignore = false;
		for (size_t j = 0; j < c->nsyscall_event_drops_actions; j++)
			ignore |= !strcmp(c->syscall_event_drops_actions[j], "ignore");
		if (ignore && strcmp(a, "ignore") != 0)
			return errat(l, cfg_lookup(root, "syscall_event_drops.actions"),
				     "syscall event drop action \"%s\" does not make sense with the"
				     " \"ignore\" action", a);
	}
	if (c->syscall_event_drops_threshold < 0 || c->syscall_event_drops_threshold > 1)
		return errat(l, cfg_lookup(root, "syscall_event_drops.threshold"),
			     "syscall event drops threshold must be a double in the range [0, 1]");

	/* metrics interval */
	c->metrics.interval = sk_config_get_str(c, "metrics.interval");
	if (!c->metrics.interval)
		c->metrics.interval = node_path_default("metrics.interval");
	if (parse_duration(c->metrics.interval, &c->metrics.interval_ms) < 0)
		c->metrics.interval_ms = 0;
	if (c->metrics.enabled && c->metrics.interval_ms < 100)
		return errat(l, cfg_lookup(root, "metrics.interval"),
			     "metrics.interval '%s' must be a duration with a unit, >= 100ms",
			     c->metrics.interval);

	/* cross checks Falco makes fatal */
	if (c->file_output.enabled && !*c->file_output.filename)
		return errat(l, cfg_lookup(root, "file_output"),
			     "file_output is enabled but file_output.filename is empty");
	if (c->program_output.enabled && !*c->program_output.program)
		return errat(l, cfg_lookup(root, "program_output"),
			     "program_output is enabled but program_output.program is empty");
	if (c->http_output.enabled && !*c->http_output.url)
		return errat(l, cfg_lookup(root, "http_output"),
			     "http_output is enabled but http_output.url is empty");
	if (c->engine_kind == SK_ENGINE_REPLAY && !*c->replay_capture_file)
		return errat(l, cfg_lookup(root, "engine"),
			     "engine.kind is replay but engine.replay.capture_file is empty");
	return 0;
}

/* ---- public ----------------------------------------------------------------------- */

struct sk_config *sk_config_load(const struct sk_config_opts *o, struct sk_err *err)
{
	static const struct sk_config_opts none;
	struct sk_config *c = calloc(1, sizeof(*c));
	struct sk_config_priv *p = calloc(1, sizeof(*p));
	struct loader l = { .c = c, .p = p, .a = p ? &p->arena : NULL, .err = err };
	const char *path;
	bool missing = false;
	int rc = -ENOMEM;
	if (!o)
		o = &none;
	if (!c || !p) {
		free(c);
		free(p);
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	c->priv = p;
	sk_arena_init(&p->arena, 0);
	path = o->path ? o->path : SK_CONFIG_DEFAULT_PATH;
	if (o->yaml) {
		const char *name = sk_arena_strdup(l.a, path);
		if (!name || (rc = cfg_parse(l.a, o->yaml, strlen(o->yaml), name, &p->root, err)) < 0)
			goto fail;
		c->path = name;
	} else {
		if ((rc = load_text(&l, path, &p->root, o->path ? NULL : &missing)) < 0)
			goto fail;
		if (missing) {
			rc = cfg_parse(l.a, builtin_yaml, sizeof(builtin_yaml) - 1, "<built-in>",
				       &p->root, err);
			if (rc < 0)
				goto fail;
			warnf(&l, NULL, "config file %s not found; using built-in defaults", path);
		} else {
			c->path = sk_arena_strdup(l.a, path);
		}
	}
	if (c->path && (rc = add_file(&l, c->path)) < 0)
		goto fail;
	for (size_t i = 0; i < o->noverrides; i++)
		if (is_config_files_override(o->overrides[i]) &&
		    (rc = apply_override(&l, o->overrides[i])) < 0)
			goto fail;
	if (!o->yaml && (rc = load_config_files(&l, c->path)) < 0)
		goto fail;
	if (o->yaml && (rc = load_config_files(&l, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < o->noverrides; i++)
		if (!is_config_files_override(o->overrides[i]) &&
		    (rc = apply_override(&l, o->overrides[i])) < 0)
			goto fail;
	if ((rc = expand_env(&l, p->root, 0)) < 0)
		goto fail;
	struct sk_buf kp;
	sk_buf_init(&kp, 4096);
	validate(&l, p->root, &kp, 0);
	sk_buf_done(&kp);
	if ((rc = fill_all(&l)) < 0)
		goto fail;
	c->warnings = p->warn;
	c->nwarnings = p->nwarn;
	return c;
fail:
	if (rc == -ENOMEM && err && !err->msg[0])
		sk_err_set(err, -ENOMEM, "out of memory");
	sk_config_free(c);
	return NULL;
}

void sk_config_free(struct sk_config *c)
{
	if (!c)
		return;
	if (c->priv) {
		sk_arena_done(&c->priv->arena);
		free(c->priv);
	}
	free(c);
}

const char *sk_config_get_str(const struct sk_config *c, const char *path)
{
	const struct cfg_node *n = cfg_lookup(c->priv->root, path);
	return n && n->kind == CN_SCALAR && !cfg_is_null(n) ? n->str : NULL;
}

int sk_config_get_bool(const struct sk_config *c, const char *path, bool *out)
{
	const char *s = sk_config_get_str(c, path);
	return !s ? -ENOENT : cfg_to_bool(s, out);
}

int sk_config_get_int(const struct sk_config *c, const char *path, int64_t *out)
{
	const char *s = sk_config_get_str(c, path);
	return !s ? -ENOENT : cfg_to_int(s, out);
}

int sk_config_get_double(const struct sk_config *c, const char *path, double *out)
{
	const char *s = sk_config_get_str(c, path);
	return !s ? -ENOENT : cfg_to_double(s, out);
}

int sk_config_get_len(const struct sk_config *c, const char *path)
{
	const struct cfg_node *n = cfg_lookup(c->priv->root, path);
	if (!n || cfg_is_null(n))
		return -ENOENT;
	return n->kind == CN_SCALAR ? -EINVAL : (int)n->n;
}

int sk_config_get_json(const struct sk_config *c, const char *path, struct sk_buf *out)
{
	const struct cfg_node *n = cfg_lookup(c->priv->root, path);
	if (!n)
		return -ENOENT;
	return cfg_to_json(n, out);
}
