/* engine.c — the engine loop: source → state update → ruleset → alert →
 * outputs, and Falco's end-of-run summary ("Events detected", counts by
 * priority and by rule). Sources are wired in as their modules land. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/run_int.h"
#include "rules/rules.h"
#include "app/live.h"

/* Per-rule and per-priority counters for the end-of-run summary. */
struct sk_app_stats {
	uint64_t events, detected;
	uint64_t by_prio[8];
	uint64_t *by_rule; /* indexed by sk_rule.id */
};

/* Prints the summary exactly as Falco does in replay. */
static void print_summary(const struct sk_rules *r, const struct sk_app_stats *s)
{
	printf("Events detected: %llu\n", (unsigned long long)s->detected);
	printf("Rule counts by severity:\n");
	for (int p = 0; p < 8; p++)
		if (s->by_prio[p]) {
			char up[32];
			const char *n = sk_rule_priority_name(p);
			size_t i = 0;
			for (; n[i] && i + 1 < sizeof(up); i++)
				up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
			up[i] = 0;
			printf("   %s: %llu\n", up, (unsigned long long)s->by_prio[p]);
		}
	printf("Triggered rules by rule name:\n");
	for (size_t i = 0; i < sk_rules_count(r); i++)
		if (s->by_rule && s->by_rule[i])
			printf("   %s: %llu\n", sk_rules_get(r, i)->name, (unsigned long long)s->by_rule[i]);
}

int sk_app_engine(struct sk_app_cfg *c, struct sk_rules *r)
{
	struct sk_app_stats st;
	memset(&st, 0, sizeof(st));
	st.by_rule = calloc(sk_rules_count(r) + 1, sizeof(*st.by_rule));
	if (!st.by_rule)
		return 1;
	int ret = 0;
	if (c->dry_run) {
		sk_app_log(c, SK_LOG_INFO, "Skipping event processing in dry-run\n");
	} else if (c->engine_kind && !strcmp(c->engine_kind, "replay")) {
		if (!c->capture_file || !*c->capture_file) {
			fprintf(stderr, "Error: engine.replay.capture_file must be set with engine.kind=replay\n");
			ret = 1;
		} else {
			fprintf(stderr, "Error: capture replay is not available in this build\n");
			ret = 1;
		}
	} else if (c->print_ignored) {
		sk_app_live_print_ignored();
		free(st.by_rule);
		return 0;
	} else if (!c->engine_kind || !strcmp(c->engine_kind, "modern_ebpf")) {
		struct sk_app_live_opts lo = {.write_path = c->write_path, .duration_s = c->run_duration};
		ret = sk_app_live_run(&lo, r, NULL, NULL, NULL); /* TODO(rules): state + rules hook */
	} else {
		fprintf(stderr, "Error: engine.kind %s is not supported\n", c->engine_kind);
		ret = 1;
	}
	if (ret == 0 && !c->dry_run)
		print_summary(r, &st);
	free(st.by_rule);
	return ret;
}

int sk_app_list(struct sk_app_cfg *c)
{
	if (c->list_fields)
		return sk_app_list_fields(c->list_source);
	fprintf(stderr, "Error: event listing is not available in this build\n");
	return 1;
}

int sk_app_support(struct sk_app_cfg *c)
{
	(void)c;
	const char *const *names, *const *vers;
	size_t n = sk_rules_builtin_plugins(&names, &vers);
	printf("{\"version\":\"0.1.0\",\"engine_info\":{\"engine_version\":\"%s\"},\"plugins\":[", SK_ENGINE_VERSION);
	for (size_t i = 0; i < n; i++)
		printf("%s{\"name\":\"%s\",\"version\":\"%s\"}", i ? "," : "", names[i], vers[i]);
	printf("]}\n");
	return 0;
}
