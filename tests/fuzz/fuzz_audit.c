/* fuzz_audit.c — libFuzzer target for the k8s audit source: the bytes an
 * API server (or anyone reaching the webhook) posts, or a replayed file
 * holds, go through the decoder, and every decoded event through every
 * ka.* / jevt.* / json.* field (with and without an index, with pointer and
 * key arguments) and its text rendering. Nothing may crash, leak or read out
 * of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit/audit.h"
#include "fields/fields.h"

#define MAX_REFS 512

static struct sk_fieldref *refs[MAX_REFS];
static size_t nrefs;
static struct sk_eval_ctx ctx;
static struct sk_buf out;
static volatile size_t touched;

static void bind(const char *name, const char *arg)
{
	if (nrefs >= MAX_REFS)
		return;
	struct sk_fieldref *f = sk_fieldref_new(SK_SRC_K8S_AUDIT, name, arg, NULL);
	if (f)
		refs[nrefs++] = f;
}

/* Every field of the source, with each kind of argument it takes. */
static void bind_all(const struct sk_field_info *fi, void *unused)
{
	(void)unused;
	if (fi->flags & SK_FF_ARG_INDEX) {
		bind(fi->name, "0");
		bind(fi->name, "1");
	} else if (fi->flags & SK_FF_ARG_REQUIRED) {
		static const char *const args[] = {"/a/0", "", "/", "a~1b~0", "/requestObject/spec",
						   "/x/~2", "/items/100000000000000000000", "/etc*"};
		for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
			bind(fi->name, args[i]);
		return;
	}
	if (!(fi->flags & SK_FF_ARG_REQUIRED))
		bind(fi->name, NULL);
}

static int on_event(void *unused, json_t *doc)
{
	(void)unused;
	static uint64_t num;
	sk_eval_ctx_set_audit(&ctx, doc, ++num, 1540476552581541000ULL);
	for (size_t i = 0; i < nrefs; i++) {
		sk_buf_reset(&out);
		(void)sk_fieldref_format(refs[i], &ctx, &out);
		struct sk_value v[8];
		size_t n = sk_fieldref_extract(refs[i], &ctx, v, 8);
		for (size_t k = 0; k < n; k++)
			if (v[k].type == SK_PT_CHARBUF && v[k].str.len &&
			    v[k].str.p[v[k].str.len - 1] == '\1')
				touched++; /* reads the last byte of every value */
	}
	sk_eval_ctx_set_audit(&ctx, NULL, num, 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nrefs) {
		sk_eval_ctx_init(&ctx, NULL);
		sk_buf_init(&out, 1u << 22);
		sk_fields_foreach(SK_SRC_K8S_AUDIT, bind_all, NULL);
	}
	(void)sk_audit_decode((const char *)data, size, 64, on_event, NULL, NULL);
	return 0;
}
