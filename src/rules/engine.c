/* engine.c — the rules engine object: loading files in order, built-in
 * plugin requirements, rule selection by name glob or tag, the per-source
 * per-event-type index, event processing, and -L/-l descriptions. */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter/filter.h"
#include "rules/rules_int.h"

static const char *const default_sources[] = {"syscall"};

struct sk_rules *sk_rules_new(const struct sk_rules_opts *opts)
{
	struct sk_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	sk_arena_init(&r->arena, 0);
	sk_strmap_init(&r->list_by_name);
	sk_strmap_init(&r->macro_by_name);
	sk_strmap_init(&r->rule_by_name);
	sk_strmap_init(&r->crule_by_name);
	if (opts)
		r->opts = *opts;
	const char *const *src = r->opts.sources ? r->opts.sources : default_sources;
	size_t n = r->opts.sources ? r->opts.nsources : 1;
	r->sources = sk_arena_alloc(&r->arena, (n + 1) * sizeof(char *));
	if (!r->sources) {
		sk_rules_free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		r->sources[i] = rl_strdup(r, src[i]);
	r->nsources = n;
	r->opts.extra_output = r->opts.extra_output ? rl_strdup(r, r->opts.extra_output) : NULL;
	r->opts.sources = NULL;
	return r;
}

static void index_free(struct sk_rules *r)
{
	if (r->index)
		for (size_t i = 0; i < r->nsources * SK_EVENT_MAX; i++)
			free(r->index[i]);
	free(r->index);
	free(r->index_n);
	free(r->active);
	r->index = NULL;
	r->index_n = NULL;
	r->active = NULL;
}

void sk_rules_free(struct sk_rules *r)
{
	if (!r)
		return;
	index_free(r);
	rl_compiled_free(r);
	for (size_t i = 0; i < r->nresults; i++)
		rl_result_free(r->results[i]);
	free(r->results);
	for (size_t i = 0; i < r->ncontents; i++)
		free((void *)r->contents[i].text);
	free(r->contents);
	sk_strmap_done(&r->list_by_name);
	sk_strmap_done(&r->macro_by_name);
	sk_strmap_done(&r->rule_by_name);
	sk_strmap_done(&r->crule_by_name);
	sk_arena_done(&r->arena);
	free(r);
}

static struct sk_load_result *new_result(struct sk_rules *r, const char *name)
{
	if (r->nresults == r->cresults) {
		size_t nc = r->cresults ? r->cresults * 2 : 4;
		void *p = realloc(r->results, nc * sizeof(*r->results));
		if (!p)
			return NULL;
		r->results = p;
		r->cresults = nc;
	}
	struct sk_load_result *res = calloc(1, sizeof(*res));
	if (!res || !(res->name = strdup(name))) {
		free(res);
		return NULL;
	}
	res->ok = true;
	r->results[r->nresults++] = res;
	return res;
}

const struct sk_load_result *sk_rules_load(struct sk_rules *r, const char *name,
					   const char *content, size_t len)
{
	struct sk_load_result *res = new_result(r, name);
	if (!res)
		return NULL;
	if (r->ncontents == r->ccontents) {
		size_t nc = r->ccontents ? r->ccontents * 2 : 4;
		void *p = realloc(r->contents, nc * sizeof(*r->contents));
		if (!p)
			return NULL;
		r->contents = p;
		r->ccontents = nc;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, content, len);
	copy[len] = 0;
	r->contents[r->ncontents++] = (struct rl_content){rl_strdup(r, name), copy, len};
	r->cur = res;
	index_free(r);
	if (rl_read(r, name, copy, len) == 0)
		(void)rl_compile(r);
	r->cur = NULL;
	return res;
}

const struct sk_load_result *sk_rules_load_failed(struct sk_rules *r, const char *name,
						  const char *why)
{
	struct sk_load_result *res = new_result(r, name);
	if (!res)
		return NULL;
	struct rl_ctx c;
	rl_ctx_root(&c, rl_strdup(r, name));
	r->cur = res;
	rl_add(r, true, SK_LOAD_ERR_FILE_READ, &c, "%s", why);
	r->cur = NULL;
	return res;
}

/* ---- plugins ------------------------------------------------------------------------ */
static const char *const bi_names[] = {"container", "k8saudit", "json"};
static const char *const bi_versions[] = {"0.6.0", "0.18.0", "0.7.3"};

size_t sk_rules_builtin_plugins(const char *const **names, const char *const **versions)
{
	*names = bi_names;
	*versions = bi_versions;
	return SK_ARRAY_LEN(bi_names);
}

bool sk_rules_check_plugins(const struct sk_rules *r, struct sk_buf *msg)
{
	for (size_t g = 0; g < r->nplugreqs; g++) {
		const struct rl_plugreq_group *grp = &r->plugreqs[g];
		bool ok = false;
		for (size_t a = 0; a < grp->n && !ok; a++)
			for (size_t b = 0; b < SK_ARRAY_LEN(bi_names) && !ok; b++) {
				if (strcmp(grp->alts[a].name, bi_names[b]))
					continue;
				int want[3], have[3];
				if (rl_semver_parse(grp->alts[a].version, want) < 0 ||
				    rl_semver_parse(bi_versions[b], have) < 0)
					continue;
				ok = want[0] == have[0] &&
				     (have[1] > want[1] || (have[1] == want[1] && have[2] >= want[2]));
			}
		if (ok)
			continue;
		if (msg) {
			int rc = sk_buf_puts(msg, "Plugin requirement not satisfied, must load one of: ");
			for (size_t a = 0; !rc && a < grp->n; a++)
				rc = sk_buf_printf(msg, "%s%s (>= %s)", a ? ", " : "", grp->alts[a].name,
						   grp->alts[a].version);
		}
		return false;
	}
	return true;
}

/* ---- rules ---------------------------------------------------------------------------- */
size_t sk_rules_count(const struct sk_rules *r) { return r->ncrules; }

const struct sk_rule *sk_rules_get(const struct sk_rules *r, size_t i)
{
	return i < r->ncrules ? &r->crules[i].pub : NULL;
}

const struct sk_rule *sk_rules_find(const struct sk_rules *r, const char *name)
{
	struct rl_crule *c = sk_strmap_get(&r->crule_by_name, name);
	return c ? &c->pub : NULL;
}

const char *sk_rules_required_engine_version(const struct sk_rules *r)
{
	return r->req_engine;
}

size_t sk_rules_enable_name(struct sk_rules *r, const char *glob, bool enable)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ncrules; i++)
		if (fnmatch(glob, r->crules[i].pub.name, 0) == 0) {
			r->crules[i].pub.enabled = enable;
			n++;
		}
	return n;
}

size_t sk_rules_enable_tag(struct sk_rules *r, const char *tag, bool enable)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ncrules; i++)
		for (size_t t = 0; t < r->crules[i].pub.ntags; t++)
			if (!strcmp(r->crules[i].pub.tags[t], tag)) {
				r->crules[i].pub.enabled = enable;
				n++;
				break;
			}
	return n;
}

int sk_rules_finalize(struct sk_rules *r, int min_priority, bool match_all)
{
	index_free(r);
	size_t slots = r->nsources * SK_EVENT_MAX;
	r->index = calloc(slots + 1, sizeof(*r->index));
	r->index_n = calloc(slots + 1, sizeof(*r->index_n));
	r->active = calloc(r->nsources + 1, sizeof(*r->active));
	if (!r->index || !r->index_n || !r->active)
		return -ENOMEM;
	r->match_all = match_all;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->ncrules; i++) {
			const struct sk_rule *ru = &r->crules[i].pub;
			if (!ru->enabled || ru->priority > min_priority || ru->source_id < 0)
				continue;
			if (pass == 0)
				r->active[ru->source_id]++;
			size_t base = (size_t)ru->source_id * SK_EVENT_MAX;
			size_t n = ru->all_evttypes ? SK_EVENT_MAX : ru->nevttypes;
			for (size_t k = 0; k < n; k++) {
				size_t slot = base + (ru->all_evttypes ? k : ru->evttypes[k]);
				if (pass == 0) {
					r->index_n[slot]++;
				} else {
					r->index[slot][r->index_n[slot]++] = ru;
				}
			}
		}
		if (pass == 0)
			for (size_t s = 0; s < slots; s++) {
				if (r->index_n[s]) {
					r->index[s] = calloc(r->index_n[s], sizeof(**r->index));
					if (!r->index[s])
						return -ENOMEM;
				}
				r->index_n[s] = 0;
			}
	}
	return 0;
}

size_t sk_rules_active(const struct sk_rules *r, int source_id)
{
	return r->active && source_id >= 0 && (size_t)source_id < r->nsources ? r->active[source_id] : 0;
}

bool sk_rules_needed_evttypes(const struct sk_rules *r, int source_id, bool *out, size_t nout)
{
	bool all = false;
	for (size_t i = 0; i < r->ncrules; i++) {
		const struct sk_rule *ru = &r->crules[i].pub;
		if (!ru->enabled || ru->source_id != source_id)
			continue;
		if (ru->all_evttypes)
			all = true;
		for (size_t k = 0; k < ru->nevttypes; k++)
			if (ru->evttypes && ru->evttypes[k] < nout)
				out[ru->evttypes[k]] = true;
	}
	return !all;
}

size_t sk_rules_process(const struct sk_rules *r, int source_id, uint16_t evttype,
			struct sk_eval_ctx *ctx, sk_rule_match_fn cb, void *arg)
{
	if (!r->index || source_id < 0 || (size_t)source_id >= r->nsources || evttype >= SK_EVENT_MAX)
		return 0;
	size_t slot = (size_t)source_id * SK_EVENT_MAX + evttype;
	const struct sk_rule **v = r->index[slot];
	size_t n = r->index_n[slot], hits = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->filter || !sk_filter_eval(v[i]->filter, ctx))
			continue;
		hits++;
		cb(v[i], arg);
		if (!r->match_all)
			break;
	}
	return hits;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t sk_rules_process_timed(const struct sk_rules *r, int source_id, uint16_t evttype,
			      struct sk_eval_ctx *ctx, sk_rule_match_fn cb, void *arg,
			      uint64_t *ns, uint64_t *evals)
{
	if (!r->index || source_id < 0 || (size_t)source_id >= r->nsources || evttype >= SK_EVENT_MAX)
		return 0;
	size_t slot = (size_t)source_id * SK_EVENT_MAX + evttype;
	const struct sk_rule **v = r->index[slot];
	size_t n = r->index_n[slot], hits = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->filter)
			continue;
		uint64_t t0 = mono_ns();
		bool m = sk_filter_eval(v[i]->filter, ctx);
		ns[v[i]->id] += mono_ns() - t0;
		evals[v[i]->id]++;
		if (!m)
			continue;
		hits++;
		cb(v[i], arg);
		if (!r->match_all)
			break;
	}
	return hits;
}

/* ---- describing ------------------------------------------------------------------------ */
static int describe_one(const struct sk_rule *ru, struct sk_buf *out)
{
	int rc = sk_buf_printf(out, "%-50s ", ru->name);
	size_t linelen = 0;
	const char *s = ru->desc;
	while (!rc && *s) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
			e++;
		size_t wl = (size_t)(e - s);
		if (linelen && linelen + wl > 59) {
			rc = sk_buf_printf(out, "\n%51s", "");
			linelen = 0;
		}
		if (!rc)
			rc = sk_buf_append(out, s, wl);
		if (!rc)
			rc = sk_buf_putc(out, ' ');
		linelen += wl + 1;
		s = e;
	}
	if (!rc)
		rc = sk_buf_puts(out, "\n\n");
	return rc;
}

int sk_rules_describe_text(const struct sk_rules *r, const char *name, struct sk_buf *out)
{
	const struct sk_rule *one = NULL;
	if (name && !(one = sk_rules_find(r, name)))
		return -ENOENT;
	int rc = sk_buf_printf(out, "%-50s %s\n%-50s %s\n", "Rule", "Description", "----", "-----------");
	for (size_t i = 0; !rc && i < r->ncrules; i++)
		if (!one || one == &r->crules[i].pub)
			rc = describe_one(&r->crules[i].pub, out);
	return rc;
}

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *rule_json(const struct sk_rules *r, const struct rl_crule *c)
{
	(void)r;
	const struct sk_rule *ru = &c->pub;
	json_t *o = json_object(), *info = json_object(), *det = json_object();
	json_object_set_new(info, "name", json_string(ru->name));
	json_object_set_new(info, "condition", json_string(ru->cond));
	json_object_set_new(info, "priority", json_string(sk_rule_priority_name(ru->priority)));
	json_object_set_new(info, "output", json_string(ru->output));
	json_object_set_new(info, "description", json_string(ru->desc));
	json_object_set_new(info, "enabled", json_boolean(ru->enabled));
	json_object_set_new(info, "source", json_string(ru->source));
	json_object_set_new(info, "capture", json_boolean(ru->capture));
	json_object_set_new(info, "capture_duration", json_integer(ru->capture_duration));
	json_object_set_new(info, "tags", str_array(ru->tags, ru->ntags));
	json_t *ev = json_array();
	for (size_t k = 0; k < ru->nevttypes && !ru->all_evttypes; k++) {
		const struct sk_event_info *ei = sk_event_info_get(ru->evttypes[k]);
		bool dup = false;
		for (size_t j = 0; j < json_array_size(ev) && ei; j++)
			dup |= !strcmp(json_string_value(json_array_get(ev, j)), ei->name);
		if (ei && !dup)
			json_array_append_new(ev, json_string(ei->name));
	}
	json_object_set_new(det, "events", ev);
	json_object_set_new(det, "condition_compiled", json_string(ru->cond_compiled ? ru->cond_compiled : ""));
	json_object_set_new(det, "output_compiled", json_string(ru->output));
	json_object_set_new(det, "plugins", json_array());
	json_object_set_new(o, "info", info);
	json_object_set_new(o, "details", det);
	return o;
}

int sk_rules_describe_json(const struct sk_rules *r, const char *name, struct sk_buf *out)
{
	const struct sk_rule *one = NULL;
	if (name && !(one = sk_rules_find(r, name)))
		return -ENOENT;
	json_t *doc = json_object(), *rules = json_array();
	for (size_t i = 0; i < r->ncrules; i++)
		if (!one || one == &r->crules[i].pub)
			json_array_append_new(rules, rule_json(r, &r->crules[i]));
	json_object_set_new(doc, "rules", rules);
	if (!one) {
		json_object_set_new(doc, "required_engine_version", json_string(r->req_engine));
		json_t *pv = json_array();
		for (size_t g = 0; g < r->nplugreqs; g++) {
			const struct rl_plugreq_group *grp = &r->plugreqs[g];
			json_t *p = json_object(), *alts = json_array();
			json_object_set_new(p, "name", json_string(grp->alts[0].name));
			json_object_set_new(p, "version", json_string(grp->alts[0].version));
			for (size_t a = 1; a < grp->n; a++) {
				json_t *x = json_object();
				json_object_set_new(x, "name", json_string(grp->alts[a].name));
				json_object_set_new(x, "version", json_string(grp->alts[a].version));
				json_array_append_new(alts, x);
			}
			json_object_set_new(p, "alternatives", alts);
			json_array_append_new(pv, p);
		}
		json_object_set_new(doc, "required_plugin_versions", pv);
		json_t *ms = json_array();
		for (size_t i = 0; i < r->nmacros; i++) {
			json_t *m = json_object(), *info = json_object(), *det = json_object();
			json_object_set_new(info, "name", json_string(r->macros[i].name));
			json_object_set_new(info, "condition", json_string(r->macros[i].cond));
			json_object_set_new(det, "used", json_boolean(i < r->ncmacros && r->cmacros[i].used));
			json_object_set_new(m, "info", info);
			json_object_set_new(m, "details", det);
			json_array_append_new(ms, m);
		}
		json_object_set_new(doc, "macros", ms);
		json_t *ls = json_array();
		for (size_t i = 0; i < r->nlists; i++) {
			json_t *l = json_object(), *info = json_object(), *det = json_object();
			json_object_set_new(info, "name", json_string(r->lists[i].name));
			json_object_set_new(info, "items", str_array(r->lists[i].items, r->lists[i].n));
			json_object_set_new(det, "used", json_boolean(r->list_used && r->list_used[i]));
			json_object_set_new(l, "info", info);
			json_object_set_new(l, "details", det);
			json_array_append_new(ls, l);
		}
		json_object_set_new(doc, "lists", ls);
	}
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	int rc = sk_buf_puts(out, s);
	free(s);
	return rc;
}
