/* scap_conv.c — the scap converter: upgrades events of old layouts read from
 * captures to the current layout, with the same rules and results as
 * libscap's (scap-format.md §8; rules in scap_conv_table.c). Old enter events
 * are remembered per thread so their parameters can be appended to the exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scap_int.h"

#define MAX_ROUNDS 50 /* libscap's MAX_CONVERSION_BOUNDARY */

enum { R_ERROR = -1, R_DROP = 0, R_PASS = 1, R_CONTINUE = 2 };

void sk_conv_init(struct sk_conv *c)
{
	memset(c, 0, sizeof(*c));
	sk_u64map_init(&c->store, SK_CONV_STORE_MAX);
}

void sk_conv_reset(struct sk_conv *c)
{
	uint64_t k;
	void *v;
	for (size_t it = 0; sk_u64map_next(&c->store, &it, &k, &v);)
		((struct sk_conv_slot *)v)->len = 0;
}

void sk_conv_done(struct sk_conv *c)
{
	uint64_t k;
	void *v;
	for (size_t it = 0; sk_u64map_next(&c->store, &it, &k, &v);)
		free(v);
	sk_u64map_done(&c->store);
	free(c->a);
	free(c->b);
	memset(c, 0, sizeof(*c));
}

const struct sk_conv_rule *sk_conv_find(uint16_t type, uint32_t nparams)
{
	size_t lo = 0, hi = sk_conv_rules_count;
	uint32_t key = ((uint32_t)type << 8) | (nparams > 255 ? 255 : nparams);
	if (nparams > 255)
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct sk_conv_rule *r = &sk_conv_rules[mid];
		uint32_t k = ((uint32_t)r->type << 8) | r->nparams;
		if (k == key)
			return r;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- a record's fields (records here are validated V2 records) ---- */
static inline uint16_t rec_type(const uint8_t *r) { return sk_rd16(r + 20); }
static inline uint32_t rec_nparams(const uint8_t *r) { return sk_rd32(r + 22); }
static inline uint32_t rec_len(const uint8_t *r) { return sk_rd32(r + 16); }
static inline unsigned lw(uint16_t type) { return sk_event_large(type) ? 4 : 2; }

static uint32_t param_len(const uint8_t *r, uint32_t i)
{
	const uint8_t *l = r + SK_EVENT_HDR_LEN;
	return lw(rec_type(r)) == 4 ? sk_rd32(l + 4 * i) : sk_rd16(l + 2 * i);
}

static const uint8_t *param_ptr(const uint8_t *r, uint32_t i)
{
	size_t off = SK_EVENT_HDR_LEN + (size_t)rec_nparams(r) * lw(rec_type(r));
	for (uint32_t k = 0; k < i; k++)
		off += param_len(r, k);
	return r + off;
}

static const char *dirname_of(uint16_t t) { return (t & 1) ? "X" : "E"; }

/* libscap's test_event_convertibility. */
static int convertibility(const uint8_t *r, struct sk_err *err)
{
	uint16_t type = rec_type(r);
	const struct sk_event_info *info = &sk_event_table[type];
	if (info->flags & SK_EF_UNUSED)
		return R_DROP;
	if (!(info->flags & SK_EF_CONVERTER_MANAGED)) {
		if (!(info->flags & SK_EF_OLD_VERSION))
			return R_PASS;
		if (!(type & 1))
			return R_DROP;
		sk_err_set(err, -EINVAL, "old exit event type %u is not managed by the converter",
			   type);
		return R_ERROR;
	}
	if (!(type & 1))
		return R_CONTINUE;
	uint32_t np = rec_nparams(r);
	if (np > info->nparams) {
		sk_err_set(err, -EINVAL, "event %s_%s (type %u) has %u parameters, more than %u",
			   info->name, dirname_of(type), type, np, info->nparams);
		return R_ERROR;
	}
	if ((info->flags & SK_EF_OLD_VERSION) || np != info->nparams)
		return R_CONTINUE;
	return R_PASS;
}

/* The record being built in a SK_SCAP_CONV_MAX buffer. */
struct out {
	uint8_t *p;
	uint16_t type;
	uint32_t nparams;
	size_t off;                  /* where the next param's data goes */
};

static int put_param(struct out *o, uint32_t i, const void *data, uint32_t len, struct sk_err *err)
{
	const struct sk_event_info *info = &sk_event_table[o->type];
	if (i >= info->nparams)
		return sk_err_set(err, -EINVAL, "converted %s_%s has no parameter %u", info->name,
				  dirname_of(o->type), i);
	/* Longer values are cut to the size of the target type, as libscap does. */
	uint32_t fixed = sk_ptype_fixed_size(info->params[i].type);
	if (fixed && len > fixed)
		len = fixed;
	if (lw(o->type) == 2 && len > 0xffff)
		len = 0xffff;
	if (len > SK_SCAP_CONV_MAX - o->off)
		return sk_err_set(err, -E2BIG, "converted event would exceed %u bytes",
				  SK_SCAP_CONV_MAX);
	uint8_t *l = o->p + SK_EVENT_HDR_LEN;
	if (lw(o->type) == 4)
		sk_wr32(l + 4 * i, len);
	else
		sk_wr16(l + 2 * i, (uint16_t)len);
	if (len)
		memcpy(o->p + o->off, data, len);
	o->off += len;
	return 0;
}

static int put_default(struct out *o, uint32_t i, struct sk_err *err)
{
	const struct sk_event_info *info = &sk_event_table[o->type];
	if (i >= info->nparams)
		return put_param(o, i, NULL, 0, err);
	uint8_t t = info->params[i].type;
	uint64_t v = (t == SK_PT_UID || t == SK_PT_GID) ? 0xFFFFFFFFu : 0;
	uint8_t buf[16] = {0};
	memcpy(buf, &v, 8);
	return put_param(o, i, buf, sk_ptype_fixed_size(t), err);
}

/* Old container_E (id, type, name, image) -> the JSON of container_json_E.
 * Strings are copied without escaping, exactly as libscap does. Returns the
 * length written to out, or 0 when a param is unusable (caller falls back). */
static size_t container_json(const uint8_t *src, char *out, size_t cap)
{
	if (rec_nparams(src) < 4)
		return 0;
	uint32_t l0 = param_len(src, 0), l1 = param_len(src, 1), l2 = param_len(src, 2),
		 l3 = param_len(src, 3);
	if (!l0 || !l2 || !l3 || l1 > 4)
		return 0;
	uint32_t ty = 0;
	memcpy(&ty, param_ptr(src, 1), l1);
	int n = snprintf(out, cap, "{\"id\":\"%.*s\",\"type\":%u,\"name\":\"%.*s\",\"image\":\"%.*s\"}",
			 (int)(l0 - 1), (const char *)param_ptr(src, 0), ty, (int)(l2 - 1),
			 (const char *)param_ptr(src, 2), (int)(l3 - 1),
			 (const char *)param_ptr(src, 3));
	if (n < 0 || (size_t)n + 1 > cap)
		return cap + 1; /* too long: an error, not a fallback */
	return (size_t)n + 1;
}

static struct sk_conv_slot *stored(struct sk_conv *c, uint64_t tid)
{
	struct sk_conv_slot *s = sk_u64map_get(&c->store, tid);
	return s && s->len ? s : NULL;
}

static int store(struct sk_conv *c, uint64_t tid, const uint8_t *rec, uint32_t len)
{
	struct sk_conv_slot *s = sk_u64map_get(&c->store, tid);
	if (s && s->cap >= len) {
		memcpy(s->data, rec, len);
		s->len = len;
		return 0;
	}
	if (!s && c->store.count >= SK_CONV_STORE_MAX) {
		/* Bounded: forget one thread's stored enter event (counted). */
		uint64_t k;
		void *v;
		size_t it = 0;
		if (sk_u64map_next(&c->store, &it, &k, &v)) {
			free(sk_u64map_del(&c->store, k));
			c->evicted++;
		}
	}
	uint32_t cap = len < 256 ? 256 : len;
	struct sk_conv_slot *n = realloc(s, sizeof(*n) + cap);
	if (!n)
		return -ENOMEM; /* s, if any, is untouched and still in the map */
	n->cap = cap;
	n->len = len;
	memcpy(n->data, rec, len);
	int rc = sk_u64map_put(&c->store, tid, n);
	if (rc) {
		if (s)
			sk_u64map_del(&c->store, tid); /* held the old (moved) pointer */
		free(n);
	}
	return rc;
}

/* One conversion step of src into dst (libscap's convert_event). *res is
 * src or dst: the record the verdict applies to. */
static int convert_one(struct sk_conv *c, const uint8_t *src, uint8_t *dst, const uint8_t **res,
		       struct sk_err *err)
{
	uint16_t type = rec_type(src);
	uint32_t np = rec_nparams(src);
	uint64_t tid = sk_rd64(src + 8);
	const struct sk_conv_rule *rule = sk_conv_find(type, np);
	*res = src;
	if (!rule) {
		sk_err_set(err, -EINVAL,
			   "event %s_%s (type %u) with %u parameters needs a conversion the table "
			   "does not have", sk_event_table[type].name, dirname_of(type), type, np);
		return R_ERROR;
	}
	int rc;
	switch (rule->action) {
	case SK_CONV_STORE:
		if ((rc = store(c, tid, src, rec_len(src)))) {
			sk_err_set(err, rc, "out of memory storing an enter event");
			return R_ERROR;
		}
		return R_DROP;
	case SK_CONV_PASS:
		return R_PASS;
	case SK_CONV_STORE_AND_PASS:
		if ((rc = store(c, tid, src, rec_len(src)))) {
			sk_err_set(err, rc, "out of memory storing an enter event");
			return R_ERROR;
		}
		return R_PASS;
	default:
		break;
	}

	struct out o = {.p = dst};
	uint32_t first;
	if (rule->action == SK_CONV_ADD_PARAMS) {
		o.type = type;
		o.nparams = np + rule->ninstr;
		first = np;
	} else {
		o.type = rule->new_type;
		o.nparams = rule->ninstr;
		first = 0;
	}
	if (o.nparams > SK_MAX_PARAMS || o.type >= SK_EVENT_MAX) {
		sk_err_set(err, -EINVAL, "converted event would have %u parameters", o.nparams);
		return R_ERROR;
	}
	memcpy(dst, src, 20);
	sk_wr16(dst + 20, o.type);
	sk_wr32(dst + 22, o.nparams);
	o.off = SK_EVENT_HDR_LEN + (size_t)o.nparams * lw(o.type);
	if (rule->action == SK_CONV_ADD_PARAMS) {
		for (uint32_t i = 0; i < np; i++)
			if (put_param(&o, i, param_ptr(src, i), param_len(src, i), err))
				return R_ERROR;
	}

	bool used_enter = false;
	for (uint32_t k = 0; k < rule->ninstr; k++) {
		const struct sk_conv_instr *in = &rule->instr[k];
		uint32_t pi = first + k;
		const uint8_t *from = NULL;
		switch (in->src) {
		case SK_CSRC_EMPTY:
			rc = put_param(&o, pi, NULL, 0, err);
			break;
		case SK_CSRC_DEFAULT:
			rc = put_default(&o, pi, err);
			break;
		case SK_CSRC_CALLBACK: {
			char json[0x10000];
			size_t n = container_json(src, json, sizeof(json));
			if (n > sizeof(json)) {
				sk_err_set(err, -E2BIG, "container JSON too long");
				return R_ERROR;
			}
			rc = n ? put_param(&o, pi, json, (uint32_t)n, err) : put_param(&o, pi, NULL, 0, err);
			break;
		}
		case SK_CSRC_ENTER: {
			struct sk_conv_slot *s = stored(c, tid);
			if (s) {
				if (rec_type(s->data) != type - 1) {
					uint16_t st = rec_type(s->data);
					sk_err_set(err, -EINVAL,
						   "the stored enter event for %s_%s is %s_%s (type %u)",
						   sk_event_table[type].name, dirname_of(type),
						   sk_event_table[st].name, dirname_of(st), st);
					return R_ERROR;
				}
				if (rec_nparams(s->data) <= in->idx) {
					sk_err_set(err, -EINVAL,
						   "enter event type %u has no parameter %u",
						   rec_type(s->data), in->idx);
					return R_ERROR;
				}
				from = s->data;
				used_enter = true;
			}
			goto copy;
		}
		case SK_CSRC_OLD:
			if (np <= in->idx) {
				sk_err_set(err, -EINVAL, "event type %u has no parameter %u", type,
					   in->idx);
				return R_ERROR;
			}
			from = src;
		copy:
			if (!from)
				rc = in->fallback_empty ? put_param(&o, pi, NULL, 0, err)
							: put_default(&o, pi, err);
			else
				rc = put_param(&o, pi, param_ptr(from, in->idx),
					       param_len(from, in->idx), err);
			break;
		default:
			rc = sk_err_set(err, -EINVAL, "bad conversion instruction");
			break;
		}
		if (rc)
			return R_ERROR;
	}
	if (used_enter) {
		struct sk_conv_slot *s = sk_u64map_get(&c->store, tid);
		if (s)
			s->len = 0;
	}
	sk_wr32(dst + 16, (uint32_t)o.off);
	*res = dst;
	return convertibility(dst, err);
}

int sk_conv_event(struct sk_conv *c, const uint8_t *rec, uint32_t len, const uint8_t **out,
		  uint32_t *out_len, bool *converted, struct sk_err *err)
{
	*converted = false;
	int v = convertibility(rec, err);
	if (v == R_PASS) {
		*out = rec;
		*out_len = len;
		return 1;
	}
	if (v == R_DROP)
		return 0;
	if (v == R_ERROR)
		return err ? err->code : -EINVAL;
	if (!c->a) {
		c->a = malloc(SK_SCAP_CONV_MAX);
		c->b = malloc(SK_SCAP_CONV_MAX);
		if (!c->a || !c->b)
			return sk_err_set(err, -ENOMEM, "out of memory");
	}
	const uint8_t *cur = rec;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		if (rec_len(cur) > SK_SCAP_CONV_MAX)
			return sk_err_set(err, -E2BIG,
					  "event of %u bytes needs a conversion (limit %u bytes)",
					  rec_len(cur), SK_SCAP_CONV_MAX);
		uint8_t *dst = cur == c->a ? c->b : c->a;
		const uint8_t *res;
		v = convert_one(c, cur, dst, &res, err);
		cur = res;
		if (v == R_ERROR)
			return err ? err->code : -EINVAL;
		if (v == R_DROP)
			return 0;
		if (v == R_PASS) {
			*out = cur;
			*out_len = rec_len(cur);
			*converted = cur != rec;
			return 1;
		}
	}
	return sk_err_set(err, -ELOOP, "event type %u still needs a conversion after %d rounds",
			  rec_type(cur), MAX_ROUNDS);
}
