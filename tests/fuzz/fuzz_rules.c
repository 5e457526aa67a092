/* fuzz_rules.c — libFuzzer target for rules files: the input is loaded as
 * one rules file, or two when it holds "\n#--\n" (the second appends to and
 * overrides the first, as a later rules file does), with the output formats
 * checked by the output module as saker does, then the engine is finalized
 * and every rule described. The loader must report bad input as load errors,
 * never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"
#include "rules/rules.h"

static int check_output(void *ctx, int source, const char *output, struct sk_err *err)
{
	(void)ctx;
	struct sk_output_format *f = sk_output_format_new((enum sk_source)source, output, NULL, err);
	sk_output_format_free(f);
	return f ? 0 : -1;
}

static void report(const struct sk_rules *r, const struct sk_load_result *res, struct sk_buf *b)
{
	sk_buf_reset(b);
	(void)sk_load_result_text(r, res, true, b);
	sk_buf_reset(b);
	(void)sk_load_result_json(r, res, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const srcs[] = {"syscall", "k8s_audit"};
	static const char SEP[] = "\n#--\n";
	struct sk_rules_opts o = {.sources = srcs, .nsources = 2, .extra_output = "%container.info",
				  .check_outputs = true, .check_output = check_output};
	struct sk_rules *r = sk_rules_new(&o);
	if (!r)
		return 0;
	struct sk_buf b;
	sk_buf_init(&b, 1u << 22);
	const char *text = (const char *)data;
	const char *sep = memmem(text, size, SEP, sizeof(SEP) - 1);
	size_t first = sep ? (size_t)(sep - text) : size;
	report(r, sk_rules_load(r, "a.yaml", text, first), &b);
	if (sep)
		report(r, sk_rules_load(r, "b.yaml", sep + sizeof(SEP) - 1,
					size - first - (sizeof(SEP) - 1)), &b);
	(void)sk_rules_enable_tag(r, "t", false);
	if (sk_rules_finalize(r, 7, false) == 0) {
		bool want[SK_EVENT_MAX];
		(void)sk_rules_needed_evttypes(r, 0, want, SK_EVENT_MAX);
		for (size_t i = 0; i < sk_rules_count(r) && i < 64; i++) {
			sk_buf_reset(&b);
			(void)sk_rules_describe_json(r, sk_rules_get(r, i)->name, &b);
		}
	}
	sk_buf_done(&b);
	sk_rules_free(r);
	return 0;
}
