/* test_rules.c — rules loading: lists/macros/rules, append and override,
 * exceptions, macro loops, errors and warnings with their locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rules/rules.h"

static const struct sk_load_result *load(struct sk_rules *r, const char *text)
{
	return sk_rules_load(r, "t.yaml", text, strlen(text));
}

static bool has_msg(const struct sk_load_result *res, bool errors, const char *code, const char *sub)
{
	for (size_t i = 0; i < sk_load_result_count(res, errors); i++) {
		const char *m;
		int c = sk_load_result_msg(res, errors, i, &m);
		if (!strcmp(sk_load_code_str(c), code) && strstr(m, sub))
			return true;
	}
	return false;
}

static void test_basic_and_priority(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- list: shells\n  items: [bash, sh]\n"
		"- macro: spawned\n  condition: evt.type = execve\n"
		"- rule: r1\n  desc: d\n  condition: spawned and proc.name in (shells)\n"
		"  output: o %proc.name\n  priority: info\n  tags: [b, a, b]\n");
	assert_true(sk_load_result_ok(res));
	assert_false(sk_load_result_has_warnings(res));
	assert_int_equal(sk_rules_count(r), 1);
	const struct sk_rule *ru = sk_rules_find(r, "r1");
	assert_non_null(ru);
	assert_int_equal(ru->priority, SK_RULE_PRI_INFORMATIONAL);
	assert_string_equal(sk_rule_priority_name(ru->priority), "Informational");
	assert_int_equal(ru->ntags, 2);
	assert_string_equal(ru->tags[0], "a");
	assert_false(ru->all_evttypes);
	assert_true(ru->nevttypes >= 1);
	sk_rules_free(r);
}

static void test_append_override(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- rule: r1\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n"
		"- rule: r1\n  condition: and proc.name = cat\n  append: true\n"
		"- rule: r1\n  output: more\n  priority: ERROR\n  override: {output: append, priority: replace}\n");
	assert_true(sk_load_result_ok(res));
	assert_true(has_msg(res, false, "LOAD_DEPRECATED_ITEM", "'append' key is deprecated"));
	const struct sk_rule *ru = sk_rules_find(r, "r1");
	assert_string_equal(ru->cond, "evt.type = open and proc.name = cat");
	assert_string_equal(ru->output, "o more");
	assert_int_equal(ru->priority, SK_RULE_PRI_ERROR);
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- rule: nope\n  condition: x\n  append: true\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "no rule by that name already exists"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- rule: r1\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n"
		      "- rule: r1\n  output: x\n  desc: y\n  override: {output: replace}\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_YAML_VALIDATE",
			    "Unexpected key 'desc': no corresponding entry under 'override' is defined."));
	sk_rules_free(r);
}

static void test_exceptions(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n"
		"  exceptions:\n"
		"    - name: proc_file\n      fields: [proc.name, fd.filename]\n      comps: [=, in]\n"
		"      values:\n        - [nginx, [a.txt, \"b c.txt\"]]\n        - [apache, /tmp/x]\n"
		"    - name: single\n      fields: proc.name\n      values: [cat, \"my proc\"]\n");
	assert_true(sk_load_result_ok(res));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n"
		      "  exceptions:\n    - name: ex1\n      fields: [proc.name, fd.name]\n      comps: [=]\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "Fields and comps lists must have equal length"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n"
		      "  exceptions:\n    - name: ex1\n      fields: [proc.name]\n      comps: [no-comp]\n");
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "'no-comp' is not a supported comparison operator"));
	sk_rules_free(r);
}

static void test_macro_loop_and_undefined(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- macro: a\n  condition: evt.type=open\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "reference loop in macro"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- macro: m\n  condition: foo and evt.type=open\n");
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "Undefined macro 'foo' used in filter."));
	sk_rules_free(r);
}

/* Falco's condition error wording: trailing junk names the last token, and a
 * list that resolves to itself leaves a name that is no event type. */
static void test_condition_error_wording(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: evt.type=open bar\n");
	assert_true(has_msg(res, true, "LOAD_ERR_COMPILE_CONDITION",
			    "unexpected token after 'open', expecting 'or', 'and'"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- list: list_a\n  items: [open]\n- list: list_b\n  items: [list_a]\n"
		      "- list: list_a\n  items: [list_b]\n"
		      "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n"
		      "  condition: evt.type in (list_a)\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_COMPILE_CONDITION", "unknown event type list_a"));
	sk_rules_free(r);

	/* syscall names without their own event are valid evt.type values */
	r = sk_rules_new(NULL);
	res = load(r, "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n"
		      "  condition: evt.type in (madvise, open) and evt.type != kexec_load\n");
	assert_true(sk_load_result_ok(res));
	sk_rules_free(r);
}

static void test_errors_with_locations(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r, "- list: l\n  items: [a]\n- macro: m\n");
	assert_false(sk_load_result_ok(res));
	assert_true(has_msg(res, true, "LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'condition'"));
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_load_result_text(r, res, true, &b), 0);
	/* 0-based YAML line:col of the macro item */
	assert_non_null(strstr(sk_buf_cstr(&b), "macro 'm': (t.yaml:2:2)"));
	sk_buf_reset(&b);
	assert_int_equal(sk_load_result_json(r, res, &b), 0);
	assert_non_null(strstr(sk_buf_cstr(&b), "\"code\":\"LOAD_ERR_YAML_VALIDATE\""));
	sk_buf_done(&b);
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: LOUD\n");
	assert_true(has_msg(res, true, "LOAD_ERR_YAML_VALIDATE", "Invalid priority"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "a: [b\n");
	assert_true(has_msg(res, true, "LOAD_ERR_YAML_PARSE", "yaml-cpp: error at line"));
	sk_rules_free(r);

	r = sk_rules_new(NULL);
	res = load(r, "- foo: bar\n- required_engine_version: 0.99.0\n");
	assert_true(has_msg(res, false, "LOAD_UNKNOWN_ITEM", "Unknown top level item"));
	assert_true(has_msg(res, true, "LOAD_ERR_VALIDATE", "Rules require engine version 0.99.0"));
	sk_rules_free(r);
}

static void test_unknown_source_and_plugins(void **state)
{
	(void)state;
	struct sk_rules *r = sk_rules_new(NULL);
	const struct sk_load_result *res = load(r,
		"- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n"
		"- rule: k\n  desc: d\n  condition: ka.verb=create\n  output: o\n  priority: WARNING\n  source: k8s_audit\n");
	assert_true(sk_load_result_ok(res));
	assert_true(has_msg(res, false, "LOAD_UNKNOWN_SOURCE", "Unknown source k8s_audit, skipping"));
	assert_true(sk_rules_check_plugins(r, NULL));
	res = load(r, "- required_plugin_versions:\n    - name: cloudtrail\n      version: 0.1.0\n");
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_false(sk_rules_check_plugins(r, &b));
	assert_string_equal(sk_buf_cstr(&b), "Plugin requirement not satisfied, must load one of: cloudtrail (>= 0.1.0)");
	sk_buf_done(&b);
	sk_rules_free(r);
}

/* conditions.md §3 and §6: Falco's condition warnings (LOAD_UNSAFE_NA_CHECK
 * with an empty message, LOAD_COMPILE_CONDITION in libsinsp's wording). */
static void test_condition_warnings(void **state)
{
	(void)state;
	static const char *const srcs[] = { "syscall", "k8s_audit" };
	struct sk_rules_opts o = { .sources = srcs, .nsources = 2 };
	struct sk_rules *r = sk_rules_new(&o);
	const struct sk_load_result *res = load(r,
		"- rule: k\n  desc: d\n  condition: ka.user.name != \"<NA>\" and ka.nosuch=create\n"
		"  output: o\n  priority: WARNING\n  source: k8s_audit\n  skip-if-unknown-filter: true\n"
		"- rule: s\n  desc: d\n  condition: evt.type = open and proc.name = proc.pname and "
		"fd.name regex '^/etc/.*'\n  output: o\n  priority: WARNING\n");
	/* an unknown field: skip-if-unknown-filter keeps the file valid; the
	 * <NA> warning comes before compilation, as in Falco */
	assert_true(sk_load_result_ok(res));
	assert_true(has_msg(res, false, "LOAD_UNKNOWN_FILTER", "nonexistent field ka.nosuch"));
	assert_true(has_msg(res, false, "LOAD_UNSAFE_NA_CHECK", ""));
	assert_true(has_msg(res, false, "LOAD_COMPILE_CONDITION",
			    "'proc.pname' may be a valid field misused as a const string value"));
	assert_true(has_msg(res, false, "LOAD_COMPILE_CONDITION",
			    "regex check with '^/etc/.*' may be optimized with simpler operators "
			    "such as '=', 'contains', 'startswith', 'endswith'"));
	/* pmatch, in: equality-like; a modifier is not (Falco's resolver) */
	sk_rules_free(r);
	r = sk_rules_new(&o);
	res = load(r, "- rule: k2\n  desc: d\n  condition: ka.verb = anyof (\"<NA>\")\n"
		      "  output: o\n  priority: WARNING\n  source: k8s_audit\n"
		      "  skip-if-unknown-filter: true\n");
	assert_false(has_msg(res, false, "LOAD_UNSAFE_NA_CHECK", ""));
	sk_rules_free(r);
	r = sk_rules_new(NULL);
	res = load(r, "- rule: s\n  desc: d\n  condition: evt.type = open and proc.name in (a, b)\n"
		      "  output: o\n  priority: WARNING\n");
	assert_false(sk_load_result_has_warnings(res));
	sk_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_and_priority),
		cmocka_unit_test(test_append_override),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_macro_loop_and_undefined),
		cmocka_unit_test(test_errors_with_locations),
		cmocka_unit_test(test_condition_error_wording),
		cmocka_unit_test(test_unknown_source_and_plugins),
		cmocka_unit_test(test_condition_warnings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
