/* test_config.c — unit tests for config/: YAML load, absent defaults, -o
 * overrides, config_files merge strategies, ${ENV}, warnings and errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config/config.h"

static struct sk_config *load(const char *yaml, const char *const *ov, size_t nov,
			      struct sk_err *err)
{
	struct sk_config_opts o = { .path = "test.yaml", .yaml = yaml, .overrides = ov,
				    .noverrides = nov };
	sk_err_clear(err);
	return sk_config_load(&o, err);
}

static bool has_warning(const struct sk_config *c, const char *needle)
{
	for (size_t i = 0; i < c->nwarnings; i++)
		if (strstr(c->warnings[i], needle))
			return true;
	return false;
}

static void test_absent_defaults(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_config *c = load("", NULL, 0, &err);
	assert_non_null(c);
	assert_false(c->json_output);
	assert_true(c->json_include_output_property);
	assert_false(c->json_include_message_property);
	assert_true(c->json_include_output_fields_property);
	assert_true(c->json_include_tags_property);
	assert_false(c->stdout_output.enabled);
	assert_int_equal(c->priority, SK_PRIO_DEBUG);
	assert_false(c->rule_matching_all);
	assert_int_equal(c->engine_kind, SK_ENGINE_KMOD);
	assert_int_equal(c->modern_ebpf_buf_size_preset, 4);
	assert_int_equal(c->modern_ebpf_cpus_for_each_buffer, 2);
	assert_int_equal(c->output_timeout_ms, 2000);
	assert_int_equal(c->webserver.listen_port, 8765);
	assert_string_equal(c->webserver.listen_address, "0.0.0.0");
	assert_string_equal(c->http_output.user_agent, "falcosecurity/falco");
	assert_int_equal(c->log_level, SK_PRIO_INFORMATIONAL);
	assert_true(c->log_syslog);
	assert_false(c->log_stderr);
	assert_true(c->watch_config_files);
	assert_false(c->load_plugins_set);
	assert_true(c->metrics.kernel_event_counters_per_cpu_enabled);
	assert_true(c->syscall_event_drops_threshold > 0.09 && c->syscall_event_drops_threshold < 0.11);
	assert_int_equal(c->nrules_files, 0);
	assert_int_equal(c->thread_table_size, 262144);
	assert_int_equal(c->nwarnings, 0);
	sk_config_free(c);
	sk_config_free(NULL);
}

static const char good[] =
	"rules_files:\n"
	"  - /etc/falco/falco_rules.yaml\n"
	"  - /etc/falco/rules.d\n"
	"rules:\n"
	"  - disable:\n"
	"      tag: network\n"
	"  - enable:\n"
	"      rule: 'Read sensitive*'\n"
	"engine:\n"
	"  kind: replay\n"
	"  replay:\n"
	"    capture_file: /tmp/x.scap\n"
	"  modern_ebpf: {cpus_for_each_buffer: 0, buf_size_preset: 6}\n"
	"priority: Warning\n"
	"rule_matching: all\n"
	"json_output: yes\n"
	"json_include_tags_property: false\n"
	"time_format_iso_8601: TRUE\n"
	"outputs_queue:\n  capacity: 100\n"
	"stdout_output:\n  enabled: true\n"
	"file_output: {enabled: true, keep_alive: true, filename: ./events.txt}\n"
	"program_output: {enabled: false, program: \"jq '{text: .output}' | cat\"}\n"
	"http_output:\n  enabled: true\n  url: http://127.0.0.1:2801/\n  user_agent: x/y\n"
	"append_output:\n"
	"  - suggested_output: true\n"
	"  - match:\n      source: syscall\n      tags: [a, b]\n"
	"    extra_output: 'on %proc.name'\n"
	"    extra_fields:\n      - proc.pid\n      - custom: '%user.name!'\n"
	"static_fields:\n  env: prod\n  region: eu\n"
	"syscall_event_drops:\n  actions: [log, alert]\n  threshold: .2\n"
	"base_syscalls:\n  custom_set: [openat, '!write']\n"
	"metrics:\n  enabled: true\n  interval: 1h30m\n"
	"load_plugins: [container]\n"
	"plugins:\n"
	"  - name: container\n    library_path: libcontainer.so\n"
	"    init_config:\n      label_max_len: 100\n      engines: {docker: {enabled: true}}\n"
	"webserver: &ws\n  enabled: true\n  listen_port: 9000\n";

static void test_good_config(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_config *c = load(good, NULL, 0, &err);
	if (!c)
		fail_msg("%s:%d:%d %s", err.file, err.line, err.col, err.msg);
	assert_int_equal(c->nrules_files, 2);
	assert_string_equal(c->rules_files[1], "/etc/falco/rules.d");
	assert_int_equal(c->nrules, 2);
	assert_false(c->rules[0].enable);
	assert_string_equal(c->rules[0].tag, "network");
	assert_null(c->rules[0].rule);
	assert_true(c->rules[1].enable);
	assert_string_equal(c->rules[1].rule, "Read sensitive*");
	assert_int_equal(c->engine_kind, SK_ENGINE_REPLAY);
	assert_string_equal(c->replay_capture_file, "/tmp/x.scap");
	assert_int_equal(c->modern_ebpf_cpus_for_each_buffer, 0);
	assert_int_equal(c->modern_ebpf_buf_size_preset, 6);
	assert_int_equal(c->priority, SK_PRIO_WARNING);
	assert_true(c->rule_matching_all);
	assert_true(c->json_output);
	assert_false(c->json_include_tags_property);
	assert_true(c->time_format_iso_8601);
	assert_int_equal(c->outputs_queue_capacity, 100);
	assert_true(c->file_output.enabled && c->file_output.keep_alive);
	assert_string_equal(c->file_output.filename, "./events.txt");
	assert_string_equal(c->program_output.program, "jq '{text: .output}' | cat");
	assert_string_equal(c->http_output.url, "http://127.0.0.1:2801/");
	assert_string_equal(c->http_output.user_agent, "x/y");
	assert_int_equal(c->nappend_output, 2);
	assert_true(c->append_output[0].suggested_output);
	assert_null(c->append_output[0].source);
	assert_string_equal(c->append_output[1].source, "syscall");
	assert_int_equal(c->append_output[1].ntags, 2);
	assert_string_equal(c->append_output[1].tags[1], "b");
	assert_string_equal(c->append_output[1].extra_output, "on %proc.name");
	assert_int_equal(c->append_output[1].nextra_fields, 2);
	assert_string_equal(c->append_output[1].extra_fields[0].name, "proc.pid");
	assert_null(c->append_output[1].extra_fields[0].format);
	assert_string_equal(c->append_output[1].extra_fields[1].name, "custom");
	assert_string_equal(c->append_output[1].extra_fields[1].format, "%user.name!");
	assert_int_equal(c->nstatic_fields, 2);
	assert_string_equal(c->static_fields[1].name, "region");
	assert_string_equal(c->static_fields[1].value, "eu");
	assert_int_equal(c->nsyscall_event_drops_actions, 2);
	assert_string_equal(c->syscall_event_drops_actions[1], "alert");
	assert_int_equal(c->nbase_syscalls_custom_set, 2);
	assert_string_equal(c->base_syscalls_custom_set[1], "!write");
	assert_int_equal(c->metrics.interval_ms, 5400000);
	assert_true(c->load_plugins_set);
	assert_int_equal(c->nload_plugins, 1);
	assert_int_equal(c->nplugins, 1);
	assert_string_equal(c->plugins[0].init_config,
			    "{\"label_max_len\":100,\"engines\":{\"docker\":{\"enabled\":true}}}");
	assert_true(c->webserver.enabled);
	assert_int_equal(c->webserver.listen_port, 9000);
	assert_int_equal(c->nwarnings, 0);

	/* generic access */
	assert_string_equal(sk_config_get_str(c, "plugins[0].name"), "container");
	assert_string_equal(sk_config_get_str(c, "static_fields.env"), "prod");
	assert_null(sk_config_get_str(c, "plugins[1].name"));
	assert_null(sk_config_get_str(c, "engine"));
	bool b;
	int64_t i;
	double d;
	assert_int_equal(sk_config_get_bool(c, "webserver.enabled", &b), 0);
	assert_true(b);
	assert_int_equal(sk_config_get_bool(c, "nope", &b), -ENOENT);
	assert_int_equal(sk_config_get_bool(c, "engine.kind", &b), -EINVAL);
	assert_int_equal(sk_config_get_int(c, "plugins[0].init_config.label_max_len", &i), 0);
	assert_int_equal(i, 100);
	assert_int_equal(sk_config_get_double(c, "syscall_event_drops.threshold", &d), 0);
	assert_true(d > 0.19 && d < 0.21);
	assert_int_equal(sk_config_get_len(c, "rules_files"), 2);
	assert_int_equal(sk_config_get_len(c, "absent"), -ENOENT);
	sk_config_free(c);
}

static void test_overrides(void **state)
{
	(void)state;
	struct sk_err err;
	const char *ov[] = {
		"json_output=true",
		"rules[].disable.rule=Foo*",
		"rules[].enable.tag=bar",
		"file_output.filename=/tmp/a",
		"plugins[0].library_path=other.so",
		"plugins[].name=second",
		"static_fields={a: 1, b: x}",
		"annotations.kubernetes\\.io/role=master",
		"m[1]=x",
	};
	const char yaml[] = "plugins:\n  - name: p\n    library_path: p.so\nm: [a, b]\n";
	struct sk_config *c = load(yaml, ov, SK_ARRAY_LEN(ov), &err);
	if (!c)
		fail_msg("%s", err.msg);
	assert_true(c->json_output);
	assert_int_equal(c->nrules, 2);
	assert_false(c->rules[0].enable);
	assert_string_equal(c->rules[0].rule, "Foo*");
	assert_true(c->rules[1].enable);
	assert_string_equal(c->rules[1].tag, "bar");
	assert_string_equal(c->file_output.filename, "/tmp/a");
	assert_int_equal(c->nplugins, 2);
	assert_string_equal(c->plugins[0].library_path, "other.so");
	assert_string_equal(c->plugins[1].name, "second");
	assert_int_equal(c->nstatic_fields, 2);
	assert_string_equal(c->static_fields[1].value, "x");
	assert_string_equal(sk_config_get_str(c, "annotations.kubernetes\\.io/role"), "master");
	assert_string_equal(sk_config_get_str(c, "m[1]"), "x");
	assert_true(has_warning(c, "unknown configuration key 'annotations'"));
	assert_true(has_warning(c, "unknown configuration key 'm'"));
	sk_config_free(c);

	const char *bad[] = { "json_output" };
	assert_null(load("", bad, 1, &err));
	assert_non_null(strstr(err.msg, "Must be of the form key=val"));
	const char *bad2[] = { "m[5]=x" };
	assert_null(load("m: [a]\n", bad2, 1, &err));
	assert_non_null(strstr(err.msg, "past the end"));
	const char *bad3[] = { "a[x]=1" };
	assert_null(load("", bad3, 1, &err));
	const char *bad4[] = { "json_output=maybe" };
	assert_null(load("", bad4, 1, &err));
	assert_non_null(strstr(err.msg, "json_output"));
}

static void test_env(void **state)
{
	(void)state;
	struct sk_err err;
	setenv("SK_TEST_ENV", "/var/log/x", 1);
	unsetenv("SK_TEST_UNSET");
	struct sk_config *c = load("file_output:\n  filename: ${SK_TEST_ENV}/events.txt\n"
				   "http_output:\n  url: 'a${SK_TEST_UNSET}b'\n"
				   "program_output:\n  program: echo $${HOME} ${SK_TEST_ENV\n",
				   NULL, 0, &err);
	assert_non_null(c);
	assert_string_equal(c->file_output.filename, "/var/log/x/events.txt");
	assert_string_equal(c->http_output.url, "ab");
	assert_string_equal(c->program_output.program, "echo ${HOME} ${SK_TEST_ENV");
	sk_config_free(c);
	unsetenv("SK_TEST_ENV");
}

static void test_errors(void **state)
{
	(void)state;
	struct sk_err err;
	assert_null(load("a: [1, 2\nb: c\n", NULL, 0, &err));
	assert_string_equal(err.file, "test.yaml");
	assert_true(err.line >= 1);
	assert_non_null(strstr(err.msg, "YAML"));

	assert_null(load("json_output: true\nengine:\n  kind: floppy\n", NULL, 0, &err));
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 9);
	assert_non_null(strstr(err.msg, "floppy"));

	assert_null(load("priority: loud\n", NULL, 0, &err));
	assert_null(load("engine: {modern_ebpf: {buf_size_preset: 11}}\n", NULL, 0, &err));
	assert_non_null(strstr(err.msg, "out of range"));
	assert_null(load("file_output: {enabled: true}\n", NULL, 0, &err));
	assert_non_null(strstr(err.msg, "filename"));
	assert_null(load("engine: {kind: replay}\n", NULL, 0, &err));
	assert_null(load("rules_file: [a]\nrules_files: [b]\n", NULL, 0, &err));
	assert_null(load("rules:\n  - enable: {}\n", NULL, 0, &err));
	assert_null(load("syscall_event_drops: {actions: [ignore, log]}\n", NULL, 0, &err));
	assert_non_null(strstr(err.msg, "syscall event drop action \"log\" does not make sense "
					"with the \"ignore\" action"));
	assert_null(load("syscall_event_drops: {threshold: -1}\n", NULL, 0, &err));
	assert_non_null(strstr(err.msg, "threshold must be a double in the range [0, 1]"));
	assert_null(load("syscall_event_drops: {actions: [explode]}\n", NULL, 0, &err));
	assert_null(load("metrics: {enabled: true, interval: 5000}\n", NULL, 0, &err));
	assert_null(load("- a\n- b\n", NULL, 0, &err));

	/* warnings only */
	struct sk_config *c = load("nosuchkey: 1\nfile_output:\n  bogus: 2\ngrpc: {enabled: true}\n"
				   "webserver: {listen_port: [1]}\n", NULL, 0, &err);
	assert_null(c);
	c = load("nosuchkey: 1\nfile_output:\n  bogus: 2\ngrpc: {enabled: true}\n"
		 "libs_logger: {severity: 7}\n", NULL, 0, &err);
	assert_non_null(c);
	assert_true(has_warning(c, "test.yaml:1:12: unknown configuration key 'nosuchkey'"));
	assert_true(has_warning(c, "'file_output.bogus'"));
	assert_true(has_warning(c, "'grpc' was removed"));
	assert_true(has_warning(c, "'libs_logger.severity' has a value of the wrong type"));
	sk_config_free(c);

	struct sk_config_opts o = { .path = "/nonexistent/saker.yaml" };
	assert_null(sk_config_load(&o, &err));
	assert_int_equal(err.code, -ENOENT);
}

/* Anchors and aliases: shared nodes work, but an alias inside its own
 * anchor (a cycle: fuzz_config hung on it) and nested aliases that expand
 * past the node bound ("billion laughs") are errors, not endless walks. */
static void test_aliases(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_config *c = load("x: &f {enabled: true, filename: '$${HOME}/e'}\n"
				   "file_output: *f\nhttp_output: {<<: *f, url: u}\n",
				   NULL, 0, &err);
	assert_non_null(c);
	assert_true(c->file_output.enabled);
	assert_string_equal(c->file_output.filename, "${HOME}/e");
	sk_config_free(c);

	assert_null(load("pe: &k\n m: *k\n mIe: *k\ni&F: &b\n", NULL, 0, &err));
	assert_non_null(strstr(err.msg, "alias refers to a node that contains it"));
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 5);

	char doc[1024] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
	for (char n = 'b'; n <= 'j'; n++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
			 "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", n, n,
			 n - 1, n - 1, n - 1, n - 1, n - 1, n - 1, n - 1, n - 1, n - 1, n - 1);
	assert_null(load(doc, NULL, 0, &err));
	assert_non_null(strstr(err.msg, "YAML aliases expand to more than 1000000 nodes"));
	assert_string_equal(err.file, "test.yaml");
}

static char tmpdir[256];

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config_files(void **state)
{
	(void)state;
	struct sk_err err;
	char main_path[512], text[2048], ov[600];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sk_cfgtest.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	char d[300];
	snprintf(d, sizeof(d), "%s/conf.d", tmpdir);
	assert_int_equal(mkdir(d, 0700), 0);
	write_file("conf.d/20-b.yaml", "rules_files: [/r3]\npriority: error\n");
	write_file("conf.d/10-a.yaml", "rules_files: [/r2]\nload_plugins: [container]\n"
		   "json_output: true\n");
	write_file("over.yaml", "rules_files: [/only]\njson_output: false\n");
	write_file("addonly.yaml", "priority: critical\nlog_level: debug\n");
	write_file("nested.yaml", "config_files: [/x]\n");
	snprintf(main_path, sizeof(main_path), "%s/main.yaml", tmpdir);
	snprintf(text, sizeof(text),
		 "rules_files: [/r1]\nload_plugins: []\nconfig_files:\n  - %s/conf.d\n"
		 "  - %s/missing.yaml\n  - path: %s/addonly.yaml\n    strategy: add-only\n",
		 tmpdir, tmpdir, tmpdir);
	write_file("main.yaml", text);

	struct sk_config_opts o = { .path = main_path };
	struct sk_config *c = sk_config_load(&o, &err);
	if (!c)
		fail_msg("%s: %s", err.file, err.msg);
	assert_int_equal(c->nrules_files, 3);
	assert_string_equal(c->rules_files[0], "/r1");
	assert_string_equal(c->rules_files[1], "/r2");
	assert_string_equal(c->rules_files[2], "/r3");
	assert_int_equal(c->nload_plugins, 1);
	assert_true(c->json_output);
	assert_int_equal(c->priority, SK_PRIO_ERROR);       /* add-only keeps it */
	assert_int_equal(c->log_level, SK_PRIO_DEBUG);      /* add-only adds it */
	assert_int_equal(c->nfiles, 4);
	assert_true(has_warning(c, "missing.yaml' not found"));
	sk_config_free(c);

	/* -o config_files applies before the merge; override strategy */
	snprintf(ov, sizeof(ov), "config_files={path: %s/over.yaml, strategy: override}", tmpdir);
	const char *ovs[] = { "config_files=", "json_output=true" };
	char ov2[600];
	snprintf(ov2, sizeof(ov2), "config_files[0]={path: %s/over.yaml, strategy: override}",
		 tmpdir);
	ovs[0] = ov2;
	c = sk_config_load(&(struct sk_config_opts){ .path = main_path, .overrides = ovs,
						     .noverrides = 2 }, &err);
	if (!c)
		fail_msg("%s", err.msg);
	assert_int_equal(c->nrules_files, 1);
	assert_string_equal(c->rules_files[0], "/only");
	assert_true(c->json_output); /* -o after config_files */
	sk_config_free(c);

	/* nesting and self-inclusion are errors */
	snprintf(text, sizeof(text), "config_files: [%s/nested.yaml]\n", tmpdir);
	write_file("main.yaml", text);
	assert_null(sk_config_load(&o, &err));
	assert_non_null(strstr(err.msg, "nested"));
	snprintf(text, sizeof(text), "config_files: [%s]\n", main_path);
	write_file("main.yaml", text);
	assert_null(sk_config_load(&o, &err));
	assert_non_null(strstr(err.msg, "main config file"));

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void test_priority_names(void **state)
{
	(void)state;
	assert_string_equal(sk_priority_name(SK_PRIO_INFORMATIONAL), "Informational");
	assert_string_equal(sk_priority_name(99), "");
	assert_int_equal(sk_priority_parse("INFO"), SK_PRIO_INFORMATIONAL);
	assert_int_equal(sk_priority_parse("emergency"), 0);
	assert_int_equal(sk_priority_parse("nope"), -1);
	/* the key table is consistent: every typed key has a parseable default */
	for (size_t i = 0; i < sk_config_keys_count; i++) {
		const struct sk_config_key *k = &sk_config_keys[i];
		assert_non_null(k->key);
		if (k->type == SK_CT_INT && k->def[0]) {
			int64_t v;
			assert_int_equal(sk_parse_i64(k->def, &v), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_defaults),
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_config_files),
		cmocka_unit_test(test_priority_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
