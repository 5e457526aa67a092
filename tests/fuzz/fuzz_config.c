/* fuzz_config.c — libFuzzer target for configuration loading: the input is
 * a falco.yaml text up to its first NUL byte, then `-o KEY=VALUE` overrides,
 * one per line. A configuration that loads is used as the program uses it:
 * the alert style, a rule output built with its static_fields and
 * append_output, and generic lookups. Bad input must come back as an error
 * (file, line, column), never a crash, leak or out-of-bounds read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "output/output.h"

#define MAX_OVERRIDES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	const char *ov[MAX_OVERRIDES];
	size_t nov = 0;
	size_t ylen = strlen(text);
	for (char *p = ylen < size ? text + ylen + 1 : NULL; p && nov < MAX_OVERRIDES;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		ov[nov++] = p;
		p = nl ? nl + 1 : NULL;
	}
	struct sk_config_opts o = {.path = "fuzz.yaml", .yaml = text, .overrides = ov,
				   .noverrides = nov};
	struct sk_err err;
	struct sk_config *c = sk_config_load(&o, &err);
	if (c) {
		struct sk_alert_style s;
		sk_alert_style_from_config(&s, c, "host");
		static const char *const tags[] = {"b", "a", "b"};
		struct sk_rule_output *r = sk_rule_output_new(c, SK_SRC_SYSCALL, "R",
							      "x %proc.name %static.a", tags, 3, &err);
		struct sk_alert *a = r ? sk_alert_new_internal("R", 4, 1, "m", NULL, NULL, 0) : NULL;
		struct sk_buf b;
		sk_buf_init(&b, 1u << 20);
		if (a)
			(void)sk_alert_format(a, &s, &b);
		static const char *const paths[] = {"engine.kind", "outputs.rate", "plugins[0].name",
						    "static_fields", "rules_files", ""};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			(void)sk_config_get_str(c, paths[i]);
			(void)sk_config_get_len(c, paths[i]);
			sk_buf_reset(&b);
			(void)sk_config_get_json(c, paths[i], &b);
		}
		sk_buf_done(&b);
		sk_alert_free(a);
		sk_rule_output_free(r);
		sk_config_free(c);
	}
	free(text);
	return 0;
}
