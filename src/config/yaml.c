/* yaml.c — the configuration document tree: libyaml events to nodes with
 * positions, map/sequence editing, the dotted key path grammar, scalar
 * conversions (yaml-cpp's rules) and a JSON rendering for plugin configs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config_int.h"

struct cfg_node *cfg_node_new(struct sk_arena *a, int kind, const char *file, int line, int col)
{
	struct cfg_node *n = sk_arena_alloc(a, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = (uint8_t)kind;
	n->file = file ? file : "";
	n->line = line;
	n->col = col;
	return n;
}

struct cfg_node *cfg_scalar_new(struct sk_arena *a, const char *s, const char *file, int line,
				int col)
{
	struct cfg_node *n = cfg_node_new(a, CN_SCALAR, file, line, col);
	if (!n)
		return NULL;
	n->plain = true;
	n->str = sk_arena_strdup(a, s ? s : "");
	return n->str ? n : NULL;
}

/* Grows the item (and key) arrays of a collection; old arrays stay in the
 * arena (configs are small and loaded once). */
static int grow(struct sk_arena *a, struct cfg_node *n)
{
	if (n->n < n->cap)
		return 0;
	size_t cap = n->cap ? n->cap * 2 : 8;
	struct cfg_node **items = sk_arena_alloc(a, cap * sizeof(*items));
	char **keys = n->kind == CN_MAP ? sk_arena_alloc(a, cap * sizeof(*keys)) : NULL;
	if (!items || (n->kind == CN_MAP && !keys))
		return -ENOMEM;
	if (n->n) {
		memcpy(items, n->items, n->n * sizeof(*items));
		if (keys)
			memcpy(keys, n->keys, n->n * sizeof(*keys));
	}
	n->items = items;
	n->keys = keys;
	n->cap = cap;
	return 0;
}

struct cfg_node *cfg_map_get(const struct cfg_node *m, const char *key)
{
	if (!m || m->kind != CN_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return m->items[i];
	return NULL;
}

/* Replaces the value of an existing key in place (keeps key order). */
int cfg_map_set(struct sk_arena *a, struct cfg_node *m, const char *key, struct cfg_node *v)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], key) == 0) {
			m->items[i] = v;
			return 0;
		}
	}
	if (grow(a, m) < 0)
		return -ENOMEM;
	m->keys[m->n] = sk_arena_strdup(a, key);
	if (!m->keys[m->n])
		return -ENOMEM;
	m->items[m->n++] = v;
	return 0;
}

int cfg_seq_push(struct sk_arena *a, struct cfg_node *s, struct cfg_node *v)
{
	if (grow(a, s) < 0)
		return -ENOMEM;
	s->items[s->n++] = v;
	return 0;
}

bool cfg_is_null(const struct cfg_node *n)
{
	if (!n)
		return true;
	if (n->kind != CN_SCALAR || !n->plain)
		return false;
	const char *s = n->str;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* ---- parsing ---------------------------------------------------------------- */

struct anchor {
	char *name;
	struct cfg_node *node;
	struct anchor *next;
};

struct pstate {
	yaml_parser_t p;
	struct sk_arena *a;
	const char *file;
	struct anchor *anchors;
	struct sk_err *err;
};

static int perr(struct pstate *ps, const yaml_mark_t *m, const char *msg)
{
	sk_err_set_at(ps->err, -EINVAL, (int)m->line + 1, (int)m->column + 1, "%s", msg);
	if (ps->err)
		sk_strlcpy(ps->err->file, ps->file, sizeof(ps->err->file));
	return -EINVAL;
}

static int next_event(struct pstate *ps, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ps->p, ev))
		return 0;
	char msg[512];
	snprintf(msg, sizeof(msg), "YAML syntax error: %s%s%s",
		 ps->p.problem ? ps->p.problem : "unknown",
		 ps->p.context ? " " : "", ps->p.context ? ps->p.context : "");
	return perr(ps, &ps->p.problem_mark, msg);
}

static int remember(struct pstate *ps, const yaml_char_t *anchor, struct cfg_node *n)
{
	if (!anchor)
		return 0;
	struct anchor *an = sk_arena_alloc(ps->a, sizeof(*an));
	if (!an || !(an->name = sk_arena_strdup(ps->a, (const char *)anchor)))
		return -ENOMEM;
	an->node = n;
	an->next = ps->anchors;
	ps->anchors = an;
	return 0;
}

/* Counts `child` into its parent's size as if every alias were expanded: a
 * few lines of nested aliases ("billion laughs") would otherwise make each
 * walk over the tree take years. */
static int add_weight(struct pstate *ps, struct cfg_node *parent, const struct cfg_node *child,
		      const yaml_mark_t *m)
{
	parent->weight += child->weight;
	if (parent->weight > CFG_MAX_NODES) {
		char msg[96];
		snprintf(msg, sizeof(msg), "YAML aliases expand to more than %d nodes",
			 CFG_MAX_NODES);
		return perr(ps, m, msg);
	}
	return 0;
}

/* Builds the node that starts with `ev` (already read); consumes its events. */
static int parse_node(struct pstate *ps, yaml_event_t *ev, int depth, struct cfg_node **out)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	if (depth > CFG_MAX_DEPTH)
		return perr(ps, &ev->start_mark, "YAML nesting too deep");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		for (struct anchor *an = ps->anchors; an; an = an->next) {
			if (strcmp(an->name, (const char *)ev->data.alias.anchor))
				continue;
			/* An alias inside its own anchor's node would make the tree a
			 * cycle, and every walk over it endless. */
			if (an->node->open)
				return perr(ps, &ev->start_mark,
					    "YAML alias refers to a node that contains it");
			*out = an->node;
			return 0;
		}
		return perr(ps, &ev->start_mark, "unknown YAML alias");
	case YAML_SCALAR_EVENT: {
		struct cfg_node *n = cfg_node_new(ps->a, CN_SCALAR, ps->file, line, col);
		if (!n)
			return -ENOMEM;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->str = sk_arena_strndup(ps->a, (const char *)ev->data.scalar.value,
					  ev->data.scalar.length);
		n->weight = 1;
		if (!n->str || remember(ps, ev->data.scalar.anchor, n) < 0)
			return -ENOMEM;
		*out = n;
		return 0;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		struct cfg_node *n = cfg_node_new(ps->a, map ? CN_MAP : CN_SEQ, ps->file, line, col);
		if (!n)
			return -ENOMEM;
		if (remember(ps, map ? ev->data.mapping_start.anchor
				     : ev->data.sequence_start.anchor, n) < 0)
			return -ENOMEM;
		n->open = true;
		n->weight = 1;
		for (;;) {
			yaml_event_t kev;
			int rc = next_event(ps, &kev);
			if (rc < 0)
				return rc;
			if (kev.type == YAML_SEQUENCE_END_EVENT || kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				break;
			}
			struct cfg_node *k = NULL, *v = NULL;
			rc = parse_node(ps, &kev, depth + 1, &k);
			if (rc == 0)
				rc = add_weight(ps, n, k, &kev.start_mark);
			yaml_event_delete(&kev);
			if (rc < 0)
				return rc;
			if (!map) {
				if (cfg_seq_push(ps->a, n, k) < 0)
					return -ENOMEM;
				continue;
			}
			if (k->kind != CN_SCALAR) {
				yaml_mark_t m = { 0, (size_t)k->line - 1, (size_t)k->col - 1 };
				return perr(ps, &m, "mapping keys must be scalars");
			}
			yaml_event_t vev;
			if ((rc = next_event(ps, &vev)) < 0)
				return rc;
			rc = parse_node(ps, &vev, depth + 1, &v);
			if (rc == 0)
				rc = add_weight(ps, n, v, &vev.start_mark);
			yaml_event_delete(&vev);
			if (rc < 0)
				return rc;
			if (!strcmp(k->str, "<<") && v->kind == CN_MAP) {
				/* merge key: copy entries that are not already set */
				for (size_t i = 0; i < v->n; i++)
					if (!cfg_map_get(n, v->keys[i]) &&
					    cfg_map_set(ps->a, n, v->keys[i], v->items[i]) < 0)
						return -ENOMEM;
				continue;
			}
			if (cfg_map_set(ps->a, n, k->str, v) < 0)
				return -ENOMEM;
		}
		n->open = false;
		*out = n;
		return 0;
	}
	default:
		return perr(ps, &ev->start_mark, "unexpected YAML event");
	}
}

int cfg_parse(struct sk_arena *a, const char *text, size_t len, const char *file,
	      struct cfg_node **out, struct sk_err *err)
{
	struct pstate ps = { .a = a, .file = file, .err = err };
	struct cfg_node *root = NULL;
	int rc = 0;
	if (!yaml_parser_initialize(&ps.p))
		return sk_err_set(err, -ENOMEM, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;
		if ((rc = next_event(&ps, &ev)) < 0)
			goto out;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		rc = parse_node(&ps, &ev, 0, &root);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	if (root && cfg_is_null(root))
		root = NULL;
	if (root && root->kind != CN_MAP) {
		rc = sk_err_set_at(err, -EINVAL, root->line, root->col,
				   "the configuration must be a YAML mapping");
		if (err)
			sk_strlcpy(err->file, file, sizeof(err->file));
		goto out;
	}
	if (!root && !(root = cfg_node_new(a, CN_MAP, file, 1, 1)))
		rc = -ENOMEM;
	*out = root;
out:
	yaml_parser_delete(&ps.p);
	return rc;
}

/* ---- paths -------------------------------------------------------------------- */

int cfg_path_parse(struct sk_arena *a, const char *path, size_t len, struct cfg_seg **segs,
		   size_t *nsegs, struct sk_err *err)
{
	size_t cap = 8, n = 0, i = 0;
	struct cfg_seg *s = sk_arena_alloc(a, cap * sizeof(*s));
	struct sk_buf name;
	int rc = 0;
	sk_buf_init(&name, 4096);
	if (!s)
		return -ENOMEM;
	if (len == 0)
		return sk_err_set(err, -EINVAL, "empty key");
	while (i < len) {
		sk_buf_reset(&name);
		/* a name (escapes \. \[ \] \\) */
		while (i < len && path[i] != '.' && path[i] != '[') {
			char c = path[i];
			if (c == ']') {
				rc = sk_err_set(err, -EINVAL, "unexpected ']' in key '%.*s'",
						(int)len, path);
				goto out;
			}
			if (c == '\\' && i + 1 < len &&
			    strchr(".[]\\", path[i + 1]))
				c = path[++i];
			if ((rc = sk_buf_putc(&name, c)) < 0)
				goto out;
			i++;
		}
		if (name.len == 0) {
			rc = sk_err_set(err, -EINVAL, "empty name in key '%.*s'", (int)len, path);
			goto out;
		}
		bool first = true;
		do {
			if (n == cap) {
				struct cfg_seg *ns = sk_arena_alloc(a, 2 * cap * sizeof(*s));
				if (!ns) {
					rc = -ENOMEM;
					goto out;
				}
				memcpy(ns, s, n * sizeof(*s));
				s = ns;
				cap *= 2;
			}
			s[n].name = first ? sk_arena_strdup(a, sk_buf_cstr(&name)) : NULL;
			s[n].index = -2;
			if (first && !s[n].name) {
				rc = -ENOMEM;
				goto out;
			}
			first = false;
			if (i < len && path[i] == '[') {
				size_t j = i + 1;
				while (j < len && path[j] != ']')
					j++;
				if (j == len) {
					rc = sk_err_set(err, -EINVAL, "unterminated '[' in key '%.*s'",
							(int)len, path);
					goto out;
				}
				if (j == i + 1) {
					s[n].index = -1;
				} else {
					char num[24];
					uint64_t v;
					if (j - i - 1 >= sizeof(num)) {
						rc = -EINVAL;
					} else {
						memcpy(num, path + i + 1, j - i - 1);
						num[j - i - 1] = 0;
						rc = sk_parse_u64(num, &v);
					}
					if (rc < 0 || v > 1000000) {
						rc = sk_err_set(err, -EINVAL,
								"bad index in key '%.*s'", (int)len, path);
						goto out;
					}
					s[n].index = (long)v;
				}
				i = j + 1;
			}
			n++;
		} while (i < len && path[i] == '[');
		if (i < len) {
			if (path[i] != '.' || i + 1 == len) {
				rc = sk_err_set(err, -EINVAL, "bad key '%.*s'", (int)len, path);
				goto out;
			}
			i++;
		}
	}
	*segs = s;
	*nsegs = n;
out:
	sk_buf_done(&name);
	return rc;
}

struct cfg_node *cfg_lookup(const struct cfg_node *root, const char *path)
{
	struct sk_arena a;
	struct cfg_seg *segs;
	size_t nsegs;
	const struct cfg_node *n = root;
	sk_arena_init(&a, 4096);
	if (cfg_path_parse(&a, path, strlen(path), &segs, &nsegs, NULL) < 0) {
		n = NULL;
		goto out;
	}
	for (size_t i = 0; i < nsegs && n; i++) {
		if (segs[i].name)
			n = cfg_map_get(n, segs[i].name);
		if (n && segs[i].index != -2) {
			if (n->kind != CN_SEQ || segs[i].index < 0 || (size_t)segs[i].index >= n->n)
				n = NULL;
			else
				n = n->items[segs[i].index];
		}
	}
out:
	sk_arena_done(&a);
	return (struct cfg_node *)n;
}

/* ---- conversions ------------------------------------------------------------- */

int cfg_to_bool(const char *s, bool *out)
{
	static const char *const t[] = { "true", "yes", "on", "y" };
	static const char *const f[] = { "false", "no", "off", "n" };
	for (size_t i = 0; i < SK_ARRAY_LEN(t); i++) {
		if (!strcasecmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int cfg_to_int(const char *s, int64_t *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p + 2, &end, 16);
		if (!p[2] || *end || errno || v > INT64_MAX)
			return -EINVAL;
		*out = neg ? -(int64_t)v : (int64_t)v;
		return 0;
	}
	return sk_parse_i64(s, out) < 0 ? -EINVAL : 0;
}

int cfg_to_double(const char *s, double *out)
{
	char *end;
	if (!*s)
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- JSON ----------------------------------------------------------------------- */

static int json_str(const char *s, struct sk_buf *out)
{
	int rc = sk_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && rc >= 0; p++) {
		if (*p == '"' || *p == '\\') {
			rc = sk_buf_putc(out, '\\');
			if (rc >= 0)
				rc = sk_buf_putc(out, (char)*p);
		} else if (*p == '\n') {
			rc = sk_buf_puts(out, "\\n");
		} else if (*p == '\t') {
			rc = sk_buf_puts(out, "\\t");
		} else if (*p < 0x20) {
			rc = sk_buf_printf(out, "\\u%04x", *p);
		} else {
			rc = sk_buf_putc(out, (char)*p);
		}
	}
	return rc < 0 ? rc : sk_buf_putc(out, '"');
}

int cfg_to_json(const struct cfg_node *n, struct sk_buf *out)
{
	int rc = 0;
	if (!n || cfg_is_null(n))
		return sk_buf_puts(out, "null");
	switch (n->kind) {
	case CN_SCALAR: {
		bool b;
		int64_t i;
		double d;
		if (n->plain && (!cfg_to_bool(n->str, &b) && strlen(n->str) > 1))
			return sk_buf_puts(out, b ? "true" : "false");
		if (n->plain && (!cfg_to_int(n->str, &i) || !cfg_to_double(n->str, &d)))
			return sk_buf_puts(out, n->str);
		return json_str(n->str, out);
	}
	case CN_SEQ:
		rc = sk_buf_putc(out, '[');
		for (size_t k = 0; k < n->n && rc >= 0; k++) {
			if (k)
				rc = sk_buf_putc(out, ',');
			if (rc >= 0)
				rc = cfg_to_json(n->items[k], out);
		}
		return rc < 0 ? rc : sk_buf_putc(out, ']');
	default:
		rc = sk_buf_putc(out, '{');
		for (size_t k = 0; k < n->n && rc >= 0; k++) {
			if (k)
				rc = sk_buf_putc(out, ',');
			if (rc >= 0)
				rc = json_str(n->keys[k], out);
			if (rc >= 0)
				rc = sk_buf_putc(out, ':');
			if (rc >= 0)
				rc = cfg_to_json(n->items[k], out);
		}
		return rc < 0 ? rc : sk_buf_putc(out, '}');
	}
}
