/* alert.c — per-rule outputs (rule format + append_output + suggested
 * fields + extra_fields), rendering an alert record on the engine thread,
 * and Falco's text line / JSON object for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output_int.h"

/* Fields the container/k8s metadata provider suggests for syscall rules. */
static const char suggested_syscall[] =
	"container_id=%container.id container_name=%container.name "
	"container_image_repository=%container.image.repository "
	"container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name "
	"k8s_ns_name=%k8s.ns.name";

enum ent_kind { E_TIME, E_KEY, E_CUSTOM };

struct ofield {
	const char *key;
	uint8_t kind;                /* enum ent_kind */
	const struct sk_output_format *f;
	size_t idx;                  /* E_KEY: key index in f */
};

struct sk_rule_output {
	char *rule, *source, *format_text, *warning;
	char **tags;
	size_t ntags;
	struct sk_output_format *msg;
	struct sk_output_format **extra;   /* extra_fields formats */
	char **extra_names;
	size_t nextra;
	struct ofield *fields;             /* sorted by key, unique */
	size_t nfields;
};

void sk_rule_output_free(struct sk_rule_output *r)
{
	if (!r)
		return;
	free(r->rule);
	free(r->source);
	free(r->format_text);
	free(r->warning);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	sk_output_format_free(r->msg);
	for (size_t i = 0; i < r->nextra; i++) {
		sk_output_format_free(r->extra[i]);
		free(r->extra_names[i]);
	}
	free(r->extra);
	free(r->extra_names);
	free(r->fields);
	free(r);
}

const char *sk_rule_output_format(const struct sk_rule_output *r)
{
	return r->format_text;
}

const char *sk_rule_output_warning(const struct sk_rule_output *r)
{
	return r->warning;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct ofield *)a)->key, ((const struct ofield *)b)->key);
}

static bool has_tag(char *const *tags, size_t n, const char *t)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tags[i], t))
			return true;
	return false;
}

static bool append_matches(const struct sk_config_append *ap, const char *src, const char *rule,
			   char *const *tags, size_t ntags)
{
	if (ap->source && strcmp(ap->source, src))
		return false;
	if (ap->rule && strcmp(ap->rule, rule))
		return false;
	for (size_t i = 0; i < ap->ntags; i++)
		if (!has_tag(tags, ntags, ap->tags[i]))
			return false;
	return true;
}

static int add_field(struct sk_rule_output *r, size_t *cap, struct ofield f)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].key, f.key))
			return 0; /* first definition wins */
	if (r->nfields == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct ofield *nf = realloc(r->fields, nc * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->fields = nf;
		*cap = nc;
	}
	r->fields[r->nfields++] = f;
	return 0;
}

struct sk_rule_output *sk_rule_output_new(const struct sk_config *cfg, enum sk_source src,
					  const char *rule, const char *output,
					  const char *const *tags, size_t ntags,
					  struct sk_err *err)
{
	struct sk_rule_output *r = calloc(1, sizeof(*r));
	struct sk_buf fmt;
	int rc = -ENOMEM;
	size_t cap = 0;
	const char *srcname = sk_source_name(src);
	sk_buf_init(&fmt, 1 << 20);
	if (!r)
		goto fail;
	r->rule = strdup(rule);
	r->source = strdup(srcname);
	r->tags = calloc(ntags + 1, sizeof(*r->tags));
	if (!r->rule || !r->source || !r->tags)
		goto fail;
	for (size_t i = 0; i < ntags; i++) {
		if (has_tag(r->tags, r->ntags, tags[i]))
			continue;
		if (!(r->tags[r->ntags] = strdup(tags[i])))
			goto fail;
		r->ntags++;
	}
	qsort(r->tags, r->ntags, sizeof(*r->tags), cmp_str);

	/* the message: output + matching extra outputs (+ suggested fields) */
	bool suggested = false;
	size_t nextra = 0;
	if ((rc = sk_buf_puts(&fmt, output)) < 0)
		goto fail;
	for (size_t i = 0; cfg && i < cfg->nappend_output; i++) {
		const struct sk_config_append *ap = &cfg->append_output[i];
		if (!append_matches(ap, srcname, rule, r->tags, r->ntags))
			continue;
		if (ap->extra_output && *ap->extra_output &&
		    ((rc = sk_buf_putc(&fmt, ' ')) < 0 || (rc = sk_buf_puts(&fmt, ap->extra_output)) < 0))
			goto fail;
		suggested |= ap->suggested_output;
		nextra += ap->nextra_fields;
	}
	size_t base_len = fmt.len;
	if (suggested && src == SK_SRC_SYSCALL &&
	    ((rc = sk_buf_putc(&fmt, ' ')) < 0 || (rc = sk_buf_puts(&fmt, suggested_syscall)) < 0))
		goto fail;
	r->msg = sk_output_format_new(src, sk_buf_cstr(&fmt), cfg, err);
	if (!r->msg && fmt.len != base_len) {
		/* suggested fields not available: keep the rule's own format */
		char w[900];
		snprintf(w, sizeof(w), "suggested output fields not available: %s",
			 err ? err->msg : "");
		r->warning = strdup(w);
		fmt.len = base_len;
		fmt.data[base_len] = 0;
		sk_err_clear(err);
		r->msg = sk_output_format_new(src, sk_buf_cstr(&fmt), cfg, err);
	}
	if (!r->msg) {
		rc = err ? err->code : -EINVAL;
		goto fail_quiet;
	}
	if (!(r->format_text = strdup(sk_buf_cstr(&fmt)))) {
		rc = -ENOMEM;
		goto fail;
	}

	/* output_fields: time key, the message's keys, then extra_fields */
	r->extra = calloc(nextra + 1, sizeof(*r->extra));
	r->extra_names = calloc(nextra + 1, sizeof(*r->extra_names));
	if (!r->extra || !r->extra_names) {
		rc = -ENOMEM;
		goto fail;
	}
	bool iso = cfg && cfg->time_format_iso_8601;
	if ((rc = add_field(r, &cap, (struct ofield){ iso ? "evt.time.iso8601" : "evt.time",
						      E_TIME, NULL, 0 })) < 0)
		goto fail;
	for (size_t k = 0; k < sk_output_format_nkeys(r->msg); k++)
		if ((rc = add_field(r, &cap, (struct ofield){ sk_output_format_key(r->msg, k),
							      E_KEY, r->msg, k })) < 0)
			goto fail;
	for (size_t i = 0; cfg && i < cfg->nappend_output; i++) {
		const struct sk_config_append *ap = &cfg->append_output[i];
		if (!append_matches(ap, srcname, rule, r->tags, r->ntags))
			continue;
		for (size_t k = 0; k < ap->nextra_fields; k++) {
			const struct sk_config_extra_field *ef = &ap->extra_fields[k];
			struct sk_buf one;
			sk_buf_init(&one, 4096);
			if (!ef->format)
				rc = sk_buf_printf(&one, "%%%s", ef->name);
			struct sk_output_format *xf =
				rc < 0 ? NULL
				       : sk_output_format_new(src, ef->format ? ef->format
									       : sk_buf_cstr(&one),
							      cfg, err);
			sk_buf_done(&one);
			if (!xf) {
				rc = err ? err->code : -EINVAL;
				goto fail_quiet;
			}
			r->extra[r->nextra] = xf;
			if (!(r->extra_names[r->nextra] = strdup(ef->name))) {
				r->nextra++;
				rc = -ENOMEM;
				goto fail;
			}
			r->nextra++;
			struct ofield of = { r->extra_names[r->nextra - 1], E_CUSTOM, xf, 0 };
			if (!ef->format && sk_output_format_nkeys(xf) == 1)
				of = (struct ofield){ of.key, E_KEY, xf, 0 };
			if ((rc = add_field(r, &cap, of)) < 0)
				goto fail;
		}
	}
	qsort(r->fields, r->nfields, sizeof(*r->fields), cmp_field);
	sk_buf_done(&fmt);
	return r;
fail:
	if (rc == -ENOMEM || rc == -E2BIG || rc == 0)
		sk_err_set(err, -ENOMEM, "out of memory building the output of rule '%s'", rule);
fail_quiet:
	sk_buf_done(&fmt);
	sk_rule_output_free(r);
	return NULL;
}

/* ---- alert records ------------------------------------------------------------- */

void sk_alert_free(struct sk_alert *a)
{
	if (!a)
		return;
	free(a->rule);
	free(a->source);
	for (size_t i = 0; i < a->ntags; i++)
		free(a->tags[i]);
	free(a->tags);
	free(a->message);
	free(a->fields_json);
	free(a);
}

struct sk_alert *sk_alert_new(const struct sk_rule_output *r, int priority,
			      struct sk_eval_ctx *c)
{
	struct sk_alert *a = calloc(1, sizeof(*a));
	struct sk_buf b;
	int rc = 0;
	sk_buf_init(&b, 16 << 20);
	if (!a)
		return NULL;
	a->priority = priority;
	a->time_ns = fmt_event_time(c);
	a->has_tags = true;
	a->rule = strdup(r->rule);
	a->source = strdup(r->source);
	a->tags = calloc(r->ntags + 1, sizeof(*a->tags));
	if (!a->rule || !a->source || !a->tags)
		goto fail;
	for (; a->ntags < r->ntags; a->ntags++)
		if (!(a->tags[a->ntags] = strdup(r->tags[a->ntags])))
			goto fail;
	if (sk_output_format_text(r->msg, c, &b) < 0)
		goto fail;
	if (!(a->message = sk_buf_steal(&b)))
		goto fail;
	rc = sk_buf_putc(&b, '{');
	for (size_t i = 0; i < r->nfields && rc >= 0; i++) {
		const struct ofield *f = &r->fields[i];
		if (i)
			rc = sk_buf_putc(&b, ',');
		if (rc >= 0)
			rc = oj_cstr(&b, f->key);
		if (rc >= 0)
			rc = sk_buf_putc(&b, ':');
		if (rc < 0)
			break;
		if (f->kind == E_TIME) {
			rc = sk_buf_printf(&b, "%llu", (unsigned long long)a->time_ns);
		} else if (f->kind == E_KEY) {
			rc = fmt_key_json(f->f, f->idx, c, &b);
		} else {
			struct sk_buf t;
			sk_buf_init(&t, 1 << 20);
			rc = sk_output_format_text(f->f, c, &t);
			if (rc >= 0)
				rc = oj_str(&b, sk_buf_cstr(&t), t.len);
			sk_buf_done(&t);
		}
	}
	if (rc < 0 || sk_buf_putc(&b, '}') < 0 || !(a->fields_json = sk_buf_steal(&b)))
		goto fail;
	sk_buf_done(&b);
	return a;
fail:
	sk_buf_done(&b);
	sk_alert_free(a);
	return NULL;
}

struct sk_alert *sk_alert_new_internal(const char *rule, int priority, uint64_t time_ns,
				       const char *message, const char *const *keys,
				       const char *const *values, size_t n)
{
	struct sk_alert *a = calloc(1, sizeof(*a));
	struct sk_buf m, f;
	int rc;
	sk_buf_init(&m, 1 << 20);
	sk_buf_init(&f, 1 << 20);
	if (!a)
		return NULL;
	a->priority = priority;
	a->time_ns = time_ns;
	a->rule = strdup(rule);
	a->source = strdup("internal");
	rc = sk_buf_puts(&m, message);
	if (rc >= 0 && n)
		rc = sk_buf_puts(&m, " (");
	if (rc >= 0)
		rc = sk_buf_putc(&f, '{');
	/* output_fields are sorted by key like every JSON object Falco writes */
	size_t *order = calloc(n + 1, sizeof(*order));
	if (!order)
		rc = -ENOMEM;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		order[i] = i;
		for (size_t j = i; j > 0 && strcmp(keys[order[j - 1]], keys[order[j]]) > 0; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = sk_buf_printf(&m, "%s%s=", i ? " " : "", keys[i]);
		if (rc >= 0)
			rc = oj_cstr(&m, values[i]);
		if (rc >= 0 && i)
			rc = sk_buf_putc(&f, ',');
		if (rc >= 0)
			rc = oj_cstr(&f, keys[order[i]]);
		if (rc >= 0)
			rc = sk_buf_putc(&f, ':');
		if (rc >= 0)
			rc = oj_cstr(&f, values[order[i]]);
	}
	free(order);
	if (rc >= 0 && n)
		rc = sk_buf_putc(&m, ')');
	if (rc >= 0)
		rc = sk_buf_putc(&f, '}');
	if (rc < 0 || !a->rule || !a->source || !(a->message = sk_buf_steal(&m)) ||
	    !(a->fields_json = sk_buf_steal(&f))) {
		sk_alert_free(a);
		a = NULL;
	}
	sk_buf_done(&m);
	sk_buf_done(&f);
	return a;
}

/* ---- formatting -------------------------------------------------------------------- */

void sk_output_hostname(char *out, size_t len)
{
	const char *env = getenv("FALCO_HOSTNAME");
	if (env && *env) {
		sk_strlcpy(out, env, len);
		return;
	}
	if (gethostname(out, len) < 0)
		sk_strlcpy(out, "", len);
	out[len - 1] = 0;
}

void sk_alert_style_from_config(struct sk_alert_style *s, const struct sk_config *cfg,
				const char *hostname)
{
	s->json = cfg->json_output;
	s->iso8601 = cfg->time_format_iso_8601;
	s->include_output = cfg->json_include_output_property;
	s->include_message = cfg->json_include_message_property;
	s->include_output_fields = cfg->json_include_output_fields_property;
	s->include_tags = cfg->json_include_tags_property;
	s->hostname = hostname;
}

static int text_line(const struct sk_alert *a, bool iso, struct sk_buf *out)
{
	int rc = iso ? fmt_time_iso(out, a->time_ns) : fmt_time_local(out, a->time_ns);
	if (rc >= 0)
		rc = sk_buf_printf(out, ": %s ", sk_priority_name(a->priority));
	return rc < 0 ? rc : sk_buf_puts(out, a->message);
}

int sk_alert_format(const struct sk_alert *a, const struct sk_alert_style *s, struct sk_buf *out)
{
	if (!s->json)
		return text_line(a, s->iso8601, out);
	int rc = sk_buf_puts(out, "{\"hostname\":");
	if (rc >= 0)
		rc = oj_cstr(out, s->hostname ? s->hostname : "");
	if (rc >= 0 && s->include_message) {
		rc = sk_buf_puts(out, ",\"message\":");
		if (rc >= 0)
			rc = oj_cstr(out, a->message);
	}
	if (rc >= 0 && s->include_output) {
		struct sk_buf t;
		sk_buf_init(&t, 16 << 20);
		rc = text_line(a, s->iso8601, &t);
		if (rc >= 0)
			rc = sk_buf_puts(out, ",\"output\":");
		if (rc >= 0)
			rc = oj_str(out, sk_buf_cstr(&t), t.len);
		sk_buf_done(&t);
	}
	if (rc >= 0 && s->include_output_fields) {
		rc = sk_buf_puts(out, ",\"output_fields\":");
		if (rc >= 0)
			rc = sk_buf_puts(out, a->fields_json ? a->fields_json : "{}");
	}
	if (rc >= 0) {
		rc = sk_buf_printf(out, ",\"priority\":\"%s\",\"rule\":", sk_priority_name(a->priority));
	}
	if (rc >= 0)
		rc = oj_cstr(out, a->rule);
	if (rc >= 0)
		rc = sk_buf_puts(out, ",\"source\":");
	if (rc >= 0)
		rc = oj_cstr(out, a->source);
	if (rc >= 0 && s->include_tags && a->has_tags) {
		rc = sk_buf_puts(out, ",\"tags\":[");
		for (size_t i = 0; i < a->ntags && rc >= 0; i++) {
			if (i)
				rc = sk_buf_putc(out, ',');
			if (rc >= 0)
				rc = oj_cstr(out, a->tags[i]);
		}
		if (rc >= 0)
			rc = sk_buf_putc(out, ']');
	}
	if (rc >= 0)
		rc = sk_buf_puts(out, ",\"time\":\"");
	if (rc >= 0)
		rc = fmt_time_json(out, a->time_ns);
	return rc < 0 ? rc : sk_buf_puts(out, "\"}");
}
