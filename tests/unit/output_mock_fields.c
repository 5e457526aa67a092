/* output_mock_fields.c — a tiny stand-in for fields/ used by test_output
 * only while the real sk_fields library is not in the tree: evt.num,
 * evt.type, evt.time, evt.arg.NAME, and state fields that are always absent
 * (no state in these tests), with the contract of fields.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fields/fields.h"

static const struct sk_field_info mock_fields[] = {
	{ "evt.num", "evt", SK_PT_UINT64, 0, -1, "" },
	{ "evt.type", "evt", SK_PT_CHARBUF, 0, -1, "" },
	{ "evt.time", "evt", SK_PT_CHARBUF, 0, -1, "" },
	{ "evt.time.iso8601", "evt", SK_PT_CHARBUF, 0, -1, "" },
	{ "evt.arg", "evt", SK_PT_CHARBUF, SK_FF_ARG_REQUIRED | SK_FF_ARG_DOTTED, -1, "" },
	{ "proc.name", "process", SK_PT_CHARBUF, 0, 0, "" },
	{ "proc.pid", "process", SK_PT_INT64, 0, 0, "" },
	{ "proc.aname", "process", SK_PT_CHARBUF, SK_FF_ANY | SK_FF_ARG_INDEX, 0, "" },
	{ "container.id", "container", SK_PT_CHARBUF, 0, 0, "" },
	{ "container.name", "container", SK_PT_CHARBUF, 0, 0, "" },
	{ "container.image.repository", "container", SK_PT_CHARBUF, 0, 0, "" },
	{ "container.image.tag", "container", SK_PT_CHARBUF, 0, 0, "" },
	{ "k8s.pod.name", "k8s", SK_PT_CHARBUF, 0, 0, "" },
	{ "k8s.ns.name", "k8s", SK_PT_CHARBUF, 0, 0, "" },
};

struct sk_fieldref {
	const struct sk_field_info *info;
	char *text, *param;
};

const char *sk_source_name(enum sk_source s)
{
	return s == SK_SRC_K8S_AUDIT ? "k8s_audit" : "syscall";
}

const struct sk_field_info *sk_fields_lookup(enum sk_source src, const char *name,
					     size_t *matched)
{
	const struct sk_field_info *best = NULL;
	size_t bl = 0;
	for (size_t i = 0; i < SK_ARRAY_LEN(mock_fields); i++) {
		const struct sk_field_info *f = &mock_fields[i];
		size_t n = strlen(f->name);
		if ((f->source >= 0 && f->source != (int)src) || strncmp(name, f->name, n))
			continue;
		if (name[n] == 0 || name[n] == '[' ||
		    (name[n] == '.' && (f->flags & SK_FF_ARG_DOTTED))) {
			if (n > bl) {
				best = f;
				bl = n;
			}
		}
	}
	if (matched)
		*matched = bl;
	return best;
}

struct sk_fieldref *sk_fieldref_new(enum sk_source src, const char *name, const char *arg,
				    struct sk_err *err)
{
	size_t m;
	const struct sk_field_info *fi = sk_fields_lookup(src, name, &m);
	if (!fi) {
		sk_err_set(err, -ENOENT, "unknown field %s", name);
		return NULL;
	}
	struct sk_fieldref *f = calloc(1, sizeof(*f));
	f->info = fi;
	f->text = strdup(name);
	if (name[m] == '.')
		f->param = strdup(name + m + 1);
	(void)arg;
	return f;
}

void sk_fieldref_free(struct sk_fieldref *f)
{
	if (!f)
		return;
	free(f->text);
	free(f->param);
	free(f);
}

const struct sk_field_info *sk_fieldref_info(const struct sk_fieldref *f) { return f->info; }
uint8_t sk_fieldref_type(const struct sk_fieldref *f) { return f->info->type; }
uint32_t sk_fieldref_flags(const struct sk_fieldref *f) { return f->info->flags; }
const char *sk_fieldref_text(const struct sk_fieldref *f) { return f->text; }

void sk_eval_ctx_init(struct sk_eval_ctx *c, struct sk_state *state)
{
	memset(c, 0, sizeof(*c));
	c->state = state;
}

void sk_eval_ctx_done(struct sk_eval_ctx *c) { (void)c; }
void sk_eval_ctx_set_event(struct sk_eval_ctx *c, const struct sk_event *ev) { c->ev = ev; }

size_t sk_fieldref_extract(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			   struct sk_value *out, size_t max)
{
	const char *n = f->info->name;
	if (!c->ev || !max)
		return 0;
	out->type = f->info->type;
	if (!strcmp(n, "evt.num")) {
		out->u64 = c->ev->num;
		return 1;
	}
	if (!strcmp(n, "evt.type")) {
		out->str.p = c->ev->info->name;
		out->str.len = (uint32_t)strlen(out->str.p);
		return 1;
	}
	if (!strncmp(n, "evt.time", 8)) {
		out->str.p = "TIME";
		out->str.len = 4;
		return 1;
	}
	if (!strcmp(n, "evt.arg")) {
		int i = sk_event_param_index(c->ev->info, f->param);
		const char *s = i >= 0 ? sk_event_get_str(c->ev, (unsigned)i) : NULL;
		if (!s)
			return 0;
		out->str.p = s;
		out->str.len = (uint32_t)strlen(s);
		return 1;
	}
	return 0;
}

int sk_value_format(const struct sk_value *v, struct sk_buf *out)
{
	if (v->type == SK_PT_UINT64)
		return sk_buf_printf(out, "%llu", (unsigned long long)v->u64);
	if (v->type == SK_PT_INT64)
		return sk_buf_printf(out, "%lld", (long long)v->s64);
	return sk_buf_append(out, v->str.p, v->str.len);
}

int sk_fieldref_format(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_buf *out)
{
	struct sk_value v;
	if (!sk_fieldref_extract(f, c, &v, 1)) {
		int rc = sk_buf_puts(out, "<NA>");
		return rc < 0 ? rc : 0;
	}
	int rc = sk_value_format(&v, out);
	return rc < 0 ? rc : 1;
}
