/* test_filter_parse.c — the condition parser: accepted forms (checked by
 * rendering the AST back), error positions and messages for malformed input,
 * and the AST helpers the rules layer uses (clone, macro and list
 * expansion, event-type inference). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter/filter.h"

static char *render(const struct sk_ast *a)
{
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_ast_render(a, &b), 0);
	return sk_buf_steal(&b);
}

/* Parses `in`, renders it and compares with `want`; re-parses the rendering
 * and checks that it renders identically (round trip). */
static void roundtrip(const char *in, const char *want)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ast *a = sk_filter_parse(in, &err);
	if (!a) fail_msg("parse of [%s] failed: col %d: %s", in, err.col, err.msg);
	char *r = render(a);
	if (strcmp(r, want) != 0) fail_msg("[%s] rendered [%s], want [%s]", in, r, want);
	struct sk_ast *b = sk_filter_parse(r, &err);
	if (!b) fail_msg("re-parse of [%s] failed: %s", r, err.msg);
	char *r2 = render(b);
	assert_string_equal(r, r2);
	struct sk_ast *c = sk_ast_clone(a);
	char *r3 = render(c);
	assert_string_equal(r, r3);
	free(r);
	free(r2);
	free(r3);
	sk_ast_free(a);
	sk_ast_free(b);
	sk_ast_free(c);
}

static void test_accepts(void **state)
{
	(void)state;
	roundtrip("proc.name = bash", "proc.name = bash");
	roundtrip("proc.name==bash", "proc.name = bash");
	roundtrip("proc.name=bash", "proc.name = bash");
	roundtrip("  proc.name   !=   'a b'  ", "proc.name != \"a b\"");
	roundtrip("evt.num > 10", "evt.num > 10");
	roundtrip("evt.num>=0x10", "evt.num >= 0x10");
	roundtrip("evt.num <= -5", "evt.num <= -5");
	roundtrip("evt.num < 1.5e+3", "evt.num < 1.5e+3");
	roundtrip("fd.name exists", "fd.name exists");
	roundtrip("fd.name exists and proc.name exists", "fd.name exists and proc.name exists");
	roundtrip("a and b or c and d", "(a and b) or (c and d)");
	roundtrip("a or b and c", "a or (b and c)");
	roundtrip("not a and b", "not a and b");
	roundtrip("not not a", "a");
	roundtrip("not(a)", "not a");
	roundtrip("not (a or b)", "not (a or b)");
	roundtrip("a and(b)", "a and b");
	roundtrip("a or(b)", "a or b");
	roundtrip("((a))", "a");
	roundtrip("notify and nothing", "notify and nothing");
	roundtrip("proc.name in (a, b, \"c d\")", "proc.name in (a, b, \"c d\")");
	roundtrip("proc.name in(a,b)", "proc.name in (a, b)");
	roundtrip("proc.name in ()", "proc.name in ()");
	roundtrip("proc.name in shell_binaries", "proc.name in shell_binaries");
	roundtrip("proc.name intersects (a)", "proc.name intersects (a)");
	roundtrip("fd.name pmatch (/etc, /usr)", "fd.name pmatch (/etc, /usr)");
	roundtrip("proc.aname[2] = bash", "proc.aname[2] = bash");
	roundtrip("proc.env[HOME] = /root", "proc.env[HOME] = /root");
	roundtrip("proc.env['A B'] = x", "proc.env[\"A B\"] = x");
	roundtrip("evt.arg.name contains foo", "evt.arg.name contains foo");
	roundtrip("evt.arg[0] = 3", "evt.arg[0] = 3");
	roundtrip("tolower(proc.name) = bash", "tolower(proc.name) = bash");
	roundtrip("toupper( basename(fd.name) ) = X", "toupper(basename(fd.name)) = X");
	roundtrip("len(proc.args) > 3", "len(proc.args) > 3");
	roundtrip("b64(evt.arg.data) contains x", "b64(evt.arg.data) contains x");
	roundtrip("proc.name = val(proc.pname)", "proc.name = val(proc.pname)");
	roundtrip("proc.name = tolower(proc.pname)", "proc.name = tolower(proc.pname)");
	roundtrip("proc.name in val(proc.pname)", "proc.name in val(proc.pname)");
	/* conditions.md §1/§5: multi-argument transformers, literal and list arguments */
	roundtrip("join(',', fd.types) = a", "join(\",\", fd.types) = a");
	roundtrip("join( proc.name ,(proc.pname,'x', 12,tolower(fd.name)) ) = a",
		  "join(proc.name, (proc.pname, \"x\", \"12\", tolower(fd.name))) = a");
	roundtrip("join(',', ()) exists", "join(\",\", ()) exists");
	roundtrip("concat(proc.name, \"-\", proc.pid) = x",
		  "concat(proc.name, \"-\", proc.pid) = x");
	roundtrip("getopt((proc.args[0], proc.args[1]), 'it:')[t] = sh",
		  "getopt((proc.args[0], proc.args[1]), \"it:\")[t] = sh");
	roundtrip("getopt((proc.args[0]), 'it:')[\"t\"] = sh",
		  "getopt((proc.args[0]), \"it:\")[t] = sh");
	roundtrip("toupper(concat(basename(fd.name), 'x')) = val(proc.name)",
		  "toupper(concat(basename(fd.name), \"x\")) = val(proc.name)");
	roundtrip("proc.name = concat(proc.pname, 0x1f)", "proc.name = concat(proc.pname, \"0x1f\")");
	roundtrip("tolower('ABC') = abc", "tolower(\"ABC\") = abc");
	roundtrip("len((proc.name, fd.name)) = 2", "len((proc.name, fd.name)) = 2");
	/* §2 modifiers: only with whitespace and then a list or an identifier */
	roundtrip("proc.name = oneof (a, b)", "proc.name = oneof (a, b)");
	roundtrip("proc.name != allof (a,'b c')", "proc.name != allof (a, \"b c\")");
	roundtrip("proc.name contains anyof\t(a)", "proc.name contains anyof (a)");
	roundtrip("proc.name =  anyof  ()", "proc.name = anyof ()");
	roundtrip("proc.name regex allof my_list", "proc.name regex allof my_list");
	roundtrip("proc.name = oneof", "proc.name = oneof");
	roundtrip("proc.name = oneof and x", "proc.name = oneof and x");
	roundtrip("proc.name = allof or x", "proc.name = allof or x");
	roundtrip("proc.name = anyof andx", "proc.name = anyof andx");
	roundtrip("proc.name =oneof", "proc.name = oneof");
	roundtrip("(proc.name = oneof)", "proc.name = oneof");
	roundtrip("proc.name = \"oneof\"", "proc.name = \"oneof\"");
	roundtrip("proc.name in (oneof, anyof)", "proc.name in (oneof, anyof)");
	roundtrip("proc.name contains \"a\\\"b\"", "proc.name contains \"a\\\"b\"");
	roundtrip("proc.name = 'it\\'s'", "proc.name = \"it's\"");
	roundtrip("proc.name = \"\\b\\t\"", "proc.name = \"\\b\\t\"");
	roundtrip("proc.name = \"a\\ b\"", "proc.name = \"a\\\\b\"");
	roundtrip("proc.name = \"\"", "proc.name = \"\"");
	roundtrip("proc.name glob '*sh'", "proc.name glob \"*sh\"");
	roundtrip("proc.name regex 'b.*'", "proc.name regex \"b.*\"");
	roundtrip("proc.name = oneof", "proc.name = oneof");
	roundtrip("evt.buffer bcontains 2f6574", "evt.buffer bcontains 2f6574");
	roundtrip("fd.name startswith /etc and fd.name endswith .conf",
		  "fd.name startswith /etc and fd.name endswith .conf");
	roundtrip("fd.name\ticontains\nETC", "fd.name icontains ETC");
	roundtrip("proc.name exists and not proc.name in (a)",
		  "proc.name exists and not proc.name in (a)");
	roundtrip("jevt.value[/user/name] = x", "jevt.value[/user/name] = x");
}

struct bad {
	const char *in;
	int col;
	const char *msg; /* substring of the message */
};

static const struct bad bads[] = {
	{ "", 1, "empty condition" },
	{ "   ", 4, "empty condition" },
	{ "proc.name", 10, "expected an operator" },
	{ "proc.name =", 12, "expected a value" },
	{ "proc.name = (", 13, "expected a value" },
	{ "proc.name ~ x", 11, "expected an operator" },
	{ "proc.name = a b", 15, "unexpected token after 'a', expecting 'or', 'and'" },
	{ "(proc.name = a", 1, "unbalanced '('" },
	{ "proc.name = a)", 14, "unbalanced ')'" },
	{ "proc.name = a and", 15, "expected a condition after 'and'" },
	{ "proc.name = a or ", 15, "expected a condition after 'or'" },
	{ "proc.name = a andb", 15, "expected blank or '('" },
	{ "and", 1, "unexpected keyword 'and'" },
	{ "a and or", 7, "unexpected keyword 'or'" },
	{ "proc.name in (a, b", 14, "unterminated list" },
	{ "proc.name in (a b)", 17, "expected ',' or ')'" },
	{ "proc.name in (a,)", 17, "expected a value" },
	{ "proc.name in x.y", 14, "expected a list or a list name" },
	{ "proc.name in 3", 14, "expected a list or a list name" },
	{ "proc.name = \"abc", 13, "unterminated quoted string" },
	{ "proc.name = 'abc\\'", 13, "unterminated quoted string" },
	{ "proc.name = \"a\\qb\"", 15, "invalid escape" },
	{ "proc.name = \"a\\'b\"", 15, "invalid escape" },
	{ "proc.name = \"\\x41\"", 14, "unsupported string escape sequence" },
	{ "evt.num > abc", 11, "expected a number" },
	{ "evt.num < ", 11, "expected a number" },
	{ "proc.aname[2 = x", 13, "expected ']'" },
	{ "proc.aname[] = x", 12, "expected a field argument" },
	{ "tolower(proc.name = x", 19, "expected ')' to close tolower()" },
	/* conditions.md §1 targ: a bare word is neither a field nor a literal */
	{ "tolower(x) = y", 9, "expected a transformer argument" },
	{ "join(',', (a)) = y", 12, "expected a list element" },
	{ "join(',', (proc.name, (x))) = y", 23, "expected a list element" },
	{ "join(',' proc.name) = y", 10, "expected ')' to close join()" },
	{ "concat(proc.name, ) = y", 19, "expected a transformer argument" },
	{ "concat(proc.name, \"a) = y", 19, "unterminated quoted string" },
	{ "join(',', (proc.name x.y)) = y", 22, "expected ',' or ')' in list" },
	{ "join(',', (proc.name", 11, "unterminated list" },
	{ "getopt((proc.name), 'a')[] = y", 26, "expected a field argument" },
	{ "getopt((proc.name), 'a')[o = y", 27, "expected ']'" },
	{ "concat(proc.name, proc.pname) exists x", 38, "unexpected token after 'exists'" },
	{ "concat(a.b, c.d)", 17, "expected an operator after 'concat(a.b, c.d)', found end" },
	{ "proc.name = val(proc.pname)[1]", 28, "val() does not take a field argument" },
	/* §2 modifiers: a modifier needs a list or an identifier after it */
	{ "proc.name = oneof (a", 19, "unterminated list" },
	{ "proc.name = oneof (a,)", 22, "expected a value" },
	{ "proc.name = oneof (x) y", 23, "expecting 'or', 'and'" },
	{ "proc.name = oneof(a, b)", 18, "expecting 'or', 'and'" },
	{ "proc.name = oneof  x.y", 21, "expecting 'or', 'and'" },
	{ "proc.name = oneof 'x'", 19, "expecting 'or', 'and'" },
	/* and/or/not followed by a non-alphanumeric ('_') is a keyword, so no modifier */
	{ "proc.name = anyof and_x", 19, "expected blank or '(' after 'and'" },
	{ "proc.name = anyof not_list", 19, "unexpected token after 'anyof'" },
	{ "proc.name = val(x)", 17, "expected a field name" },
	{ "proc.name = val(proc.pname", 16, "expected ')' to close val()" },
	{ "not", 1, "unexpected keyword 'not'" },
	{ "not ", 5, "unexpected end" },
	{ "()", 2, "expected a field, a macro name or '('" },
	{ "a b", 3, "unexpected token after 'a', expecting" },
	{ "foo(bar)", 4, "unexpected '('" },
	{ "proc.name contains(x)", 11, "expected an operator" },
	{ "1 = 1", 1, "expected a field, a macro name or '('" },
	{ "proc.name = a, b", 14, "expecting 'or', 'and'" },
	{ "proc.name exists x", 18, "unexpected token after 'exists', expecting" },
	{ "tolower(tolower(tolower(tolower(tolower(tolower(tolower(tolower(tolower("
	  "proc.name))))))))) = x", 65, "nested too deeply" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct sk_err err;
		sk_err_clear(&err);
		struct sk_ast *a = sk_filter_parse(bads[i].in, &err);
		if (a) {
			char *r = render(a);
			sk_ast_free(a);
			fail_msg("[%s] parsed as [%s]", bads[i].in, r);
		}
		if (err.col != bads[i].col || !strstr(err.msg, bads[i].msg))
			fail_msg("[%s]: got col %d '%s', want col %d '%s'", bads[i].in, err.col,
				 err.msg, bads[i].col, bads[i].msg);
	}
}

/* sysdig's filters take \xHH escapes; Falco's rules (sk_filter_parse) do not. */
static void test_sysdig_hex_escapes(void **state)
{
	(void)state;
	struct sk_err err;
	struct sk_ast *a = sk_filter_parse_sysdig("proc.name = \"c\\x61t\"", &err);
	assert_non_null(a);
	assert_string_equal(a->u.check.vals[0].text, "cat");
	sk_ast_free(a);
	static const char *const bad[] = {"proc.name = \"\\x4\"", "proc.name = \"\\x00\""};
	for (size_t i = 0; i < SK_ARRAY_LEN(bad); i++) {
		sk_err_clear(&err);
		assert_null(sk_filter_parse_sysdig(bad[i], &err));
		assert_int_equal(err.col, 14);
	}
	assert_null(sk_filter_parse("proc.name = \"c\\x61t\"", &err));
}

static void test_depth(void **state)
{
	(void)state;
	size_t n = SK_FILTER_MAX_DEPTH + 5;
	char *s = malloc(2 * n + 16);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) s[k++] = '(';
	s[k++] = 'a';
	for (size_t i = 0; i < n; i++) s[k++] = ')';
	s[k] = 0;
	struct sk_err err;
	sk_err_clear(&err);
	assert_null(sk_filter_parse(s, &err));
	assert_non_null(strstr(err.msg, "nested too deeply"));
	assert_int_equal(err.col, SK_FILTER_MAX_DEPTH + 1);
	/* just under the limit parses */
	k = 0;
	for (size_t i = 0; i < SK_FILTER_MAX_DEPTH; i++) s[k++] = '(';
	s[k++] = 'a';
	for (size_t i = 0; i < SK_FILTER_MAX_DEPTH; i++) s[k++] = ')';
	s[k] = 0;
	struct sk_ast *a = sk_filter_parse(s, &err);
	assert_non_null(a);
	sk_ast_free(a);
	/* many nots are a loop, not recursion */
	char *t = malloc(4 * 100000 + 8);
	k = 0;
	for (size_t i = 0; i < 100000; i++) memcpy(t + k, "not ", 4), k += 4;
	t[k++] = 'a';
	t[k] = 0;
	a = sk_filter_parse(t, &err);
	assert_non_null(a);
	assert_int_equal(a->kind, SK_AST_IDENT);
	sk_ast_free(a);
	free(t);
	free(s);
}

static void test_excerpt(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_filter_err_excerpt("proc.name = a b", 15, &b), 0);
	assert_string_equal(sk_buf_cstr(&b), "proc.name = a b\n              ^");
	sk_buf_done(&b);
}

/* ---- macro expansion ---- */

struct macros {
	const char *names[4];
	const char *conds[4];
	int depth;
};

static int expand_one(void *ctx, const char *name, uint32_t pos, struct sk_ast **repl,
		      struct sk_err *err)
{
	struct macros *m = ctx;
	(void)pos;
	for (int i = 0; i < 4 && m->names[i]; i++) {
		if (strcmp(m->names[i], name) != 0) continue;
		if (m->depth > 8) return sk_err_set(err, -ELOOP, "macro cycle at %s", name);
		struct sk_ast *a = sk_filter_parse(m->conds[i], err);
		if (!a) return -EINVAL;
		m->depth++;
		int r = sk_ast_expand_idents(&a, expand_one, ctx, err);
		m->depth--;
		if (r < 0) {
			sk_ast_free(a);
			return r;
		}
		*repl = a;
		return 0;
	}
	return sk_err_set(err, -ENOENT, "Undefined macro '%s' used in filter", name);
}

static void test_macros(void **state)
{
	(void)state;
	struct macros m = { { "spawned", "shell", "loop", NULL },
			    { "evt.type = execve and shell", "proc.name in (bash, sh)", "loop", NULL },
			    0 };
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ast *a = sk_filter_parse("spawned and not fd.name exists", &err);
	assert_non_null(a);
	assert_int_equal(sk_ast_expand_idents(&a, expand_one, &m, &err), 0);
	char *r = render(a);
	assert_string_equal(r, "(evt.type = execve and proc.name in (bash, sh)) and not fd.name exists");
	free(r);
	sk_ast_free(a);

	a = sk_filter_parse("loop or x.y = 1", &err);
	assert_true(sk_ast_expand_idents(&a, expand_one, &m, &err) < 0);
	assert_non_null(strstr(err.msg, "cycle"));
	sk_ast_free(a);

	a = sk_filter_parse("nosuch", &err);
	assert_int_equal(sk_ast_expand_idents(&a, expand_one, &m, &err), -ENOENT);
	sk_ast_free(a);
}

/* ---- list expansion ---- */

static bool get_list(void *ctx, const char *name, const char *const **items, size_t *n)
{
	static const char *const shells[] = { "bash", "sh", "\"a b\"", "'q\\'x'" };
	static const char *const empty[] = { NULL };
	(void)ctx;
	if (strcmp(name, "shells") == 0) {
		*items = shells;
		*n = 4;
		return true;
	}
	if (strcmp(name, "empty") == 0) {
		*items = empty;
		*n = 0;
		return true;
	}
	return false;
}

static void test_lists(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "proc.name in (shells, zsh)", "proc.name in (bash, sh, \"a b\", \"q'x\", zsh)" },
		{ "proc.name in (\"shells\")", "proc.name in (\"shells\")" },
		{ "proc.name in shells", "proc.name in (bash, sh, \"a b\", \"q'x\")" },
		{ "proc.name in nolist", "proc.name in (nolist)" },
		{ "proc.name in (empty, x)", "proc.name in (x)" },
		{ "proc.name pmatch (shells)", "proc.name pmatch (bash, sh, \"a b\", \"q'x\")" },
		{ "proc.name = shells", "proc.name = shells" },
		{ "not (proc.name intersects (shells) and a)",
		  "not (proc.name intersects (bash, sh, \"a b\", \"q'x\") and a)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_err err;
		sk_err_clear(&err);
		struct sk_ast *a = sk_filter_parse(cases[i].in, &err);
		assert_non_null(a);
		assert_int_equal(sk_ast_expand_lists(a, get_list, NULL, &err), 0);
		char *r = render(a);
		if (strcmp(r, cases[i].out) != 0)
			fail_msg("[%s] -> [%s], want [%s]", cases[i].in, r, cases[i].out);
		free(r);
		sk_ast_free(a);
	}
}

static void test_decode_item(void **state)
{
	(void)state;
	struct sk_err err;
	char *s = sk_filter_decode_item("\"a b\"", &err);
	assert_string_equal(s, "a b");
	free(s);
	s = sk_filter_decode_item("plain", &err);
	assert_string_equal(s, "plain");
	free(s);
	s = sk_filter_decode_item("'x'y", &err); /* not one token: verbatim */
	assert_string_equal(s, "'x'y");
	free(s);
	assert_null(sk_filter_decode_item("\"bad\\q\"", &err));
}

/* ---- event types ---- */

static int code_of(const char *name, char dir)
{
	for (unsigned c = 0; c < SK_EVENT_MAX; c++)
		if (strcmp(sk_event_table[c].name, name) == 0 && sk_event_table[c].dir == dir &&
		    !(sk_event_table[c].flags & SK_EF_OLD_VERSION))
			return (int)c;
	return -1;
}

static struct sk_evtset types_of(const char *cond)
{
	struct sk_err err;
	struct sk_evtset s;
	struct sk_ast *a = sk_filter_parse(cond, &err);
	assert_non_null(a);
	sk_ast_evttypes(a, &s);
	sk_ast_free(a);
	return s;
}

static void test_evttypes(void **state)
{
	(void)state;
	int execve_x = code_of("execve", 'X'), open_x = code_of("open", 'X');
	int openat_x = code_of("openat", 'X');
	assert_true(execve_x > 0 && open_x > 0 && openat_x > 0);

	struct sk_evtset s = types_of("evt.type = execve and proc.name = bash");
	assert_true(sk_evtset_has(&s, (unsigned)execve_x));
	assert_true(sk_evtset_has(&s, 293)); /* every execve version */
	assert_true(sk_evtset_has(&s, 13));
	assert_false(sk_evtset_has(&s, (unsigned)open_x));
	assert_int_equal(sk_evtset_count_names(&s), 1);

	s = types_of("evt.type in (open, openat) or evt.type = execve");
	assert_int_equal(sk_evtset_count_names(&s), 3);
	s = types_of("evt.type in (open, openat) and evt.type = execve");
	assert_int_equal(sk_evtset_count(&s), 0);
	s = types_of("proc.name = bash");
	assert_true(sk_evtset_is_all(&s));
	s = types_of("evt.type != execve");
	assert_false(sk_evtset_has(&s, (unsigned)execve_x));
	assert_true(sk_evtset_has(&s, (unsigned)open_x));
	s = types_of("not (evt.type = execve or proc.name = x)");
	assert_false(sk_evtset_has(&s, (unsigned)execve_x));
	assert_true(sk_evtset_has(&s, (unsigned)open_x));
	s = types_of("not (evt.type != execve)");
	assert_int_equal(sk_evtset_count_names(&s), 1);
	s = types_of("evt.type = kexec_load");
	assert_true(sk_evtset_has(&s, 0) && sk_evtset_has(&s, 1));
	assert_int_equal(sk_evtset_count(&s), 2);
	s = types_of("(evt.type = open or proc.name = x) and evt.type in (open, execve)");
	assert_true(sk_evtset_has(&s, (unsigned)open_x));
	assert_true(sk_evtset_has(&s, (unsigned)execve_x));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),     cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_sysdig_hex_escapes),
		cmocka_unit_test(test_macros),    cmocka_unit_test(test_lists),
		cmocka_unit_test(test_decode_item), cmocka_unit_test(test_evttypes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
