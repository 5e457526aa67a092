/* parse.c — lexer and recursive-descent parser for the condition grammar
 * (shared/reference/conditions.md §1, §4): and/or/not with precedence
 * not > and > or, checks, lists, quoting, transformers and val().
 *
 * The parser works directly on the text (no token array); every error names
 * the 1-based column. Recursion only happens on parentheses and nested
 * transformers, both bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

struct parser {
	const char *s;
	size_t len, pos;
	unsigned depth;
	struct sk_err *err;
	bool failed;
	bool hex;                    /* \xHH escapes (sysdig mode) */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int hexval(char c)
{
	if (is_digit(c)) return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return c - 'A' + 10;
}

static char peek(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? p->s[p->pos + off] : '\0';
}

static void skip_blank(struct parser *p)
{
	while (p->pos < p->len && is_blank(p->s[p->pos])) p->pos++;
}

/* Records the first error only; returns NULL for convenient `return fail(...)`. */
static void *fail(struct parser *p, size_t at, const char *fmt, ...) SK_PRINTF(3, 4);
static void *fail(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->failed) return NULL;
	p->failed = true;
	if (p->err) {
		va_list ap;
		char msg[512];
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		sk_err_set_at(p->err, -EINVAL, 0, (int)at + 1, "%s", msg);
	}
	return NULL;
}

static void *oom(struct parser *p) { return fail(p, p->pos, "out of memory"); }

/* True when the text at pos starts with `w`. */
static bool at_word(const struct parser *p, const char *w)
{
	size_t n = strlen(w);
	return p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0;
}

/* ---- quoted strings ------------------------------------------------------- */

/* Decodes a quoted string starting at s[*pos] (the quote). On success stores
 * a malloc'd string in *out and advances *pos past the closing quote. On
 * error returns -EINVAL with *errpos set. */
int sk_filter_lex_quoted(const char *s, size_t len, size_t *pos, char **out, size_t *errpos,
			 const char **errmsg, bool hex)
{
	char q = s[*pos];
	size_t i = *pos + 1;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	*out = NULL;
	for (;;) {
		if (i >= len) {
			*errpos = *pos;
			*errmsg = "unterminated quoted string";
			goto bad;
		}
		char c = s[i];
		if (c == q) {
			i++;
			break;
		}
		if (c == '\0') {
			*errpos = i;
			*errmsg = "NUL byte in string";
			goto bad;
		}
		if (c != '\\') {
			if (sk_buf_putc(&b, c) < 0) goto nomem;
			i++;
			continue;
		}
		if (i + 1 >= len) {
			*errpos = *pos;
			*errmsg = "unterminated quoted string";
			goto bad;
		}
		char e = s[i + 1], o;
		switch (e) {
		case 'b': o = '\b'; break;
		case 'f': o = '\f'; break;
		case 'n': o = '\n'; break;
		case 'r': o = '\r'; break;
		case 't': o = '\t'; break;
		case '\\': o = '\\'; break;
		case '/': o = '/'; break;
		case ' ': o = '\\'; break; /* legacy quirk: "\ " is one backslash */
		case '"':
		case '\'':
			if (e != q) {
				*errpos = i;
				*errmsg = "invalid escape sequence";
				goto bad;
			}
			o = e;
			break;
		case 'x':
			if (!hex) { /* libsinsp: "unsupported string escape sequence" */
				*errpos = i;
				*errmsg = "unsupported string escape sequence: \\x";
				goto bad;
			}
			if (i + 3 >= len || !is_hex(s[i + 2]) || !is_hex(s[i + 3])) {
				*errpos = i;
				*errmsg = "invalid \\x escape (two hex digits expected)";
				goto bad;
			}
			o = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			if (o == '\0') {
				*errpos = i;
				*errmsg = "NUL byte in string";
				goto bad;
			}
			if (sk_buf_putc(&b, o) < 0) goto nomem;
			i += 4;
			continue;
		default:
			*errpos = i;
			*errmsg = "invalid escape sequence";
			goto bad;
		}
		if (sk_buf_putc(&b, o) < 0) goto nomem;
		i += 2;
	}
	*out = b.len ? sk_buf_steal(&b) : strdup("");
	sk_buf_done(&b);
	if (!*out) goto nomem;
	*pos = i;
	return 0;
nomem:
	*errpos = *pos;
	*errmsg = "out of memory";
bad:
	sk_buf_done(&b);
	return -EINVAL;
}

static char *parse_quoted(struct parser *p)
{
	char *out;
	size_t at;
	const char *msg;
	if (sk_filter_lex_quoted(p->s, p->len, &p->pos, &out, &at, &msg, p->hex) < 0)
		return fail(p, at, "%s", msg);
	return out;
}

char *sk_filter_decode_item(const char *item, struct sk_err *err)
{
	size_t len = strlen(item), pos = 0, at;
	const char *msg;
	char *out;
	if (len >= 2 && (item[0] == '"' || item[0] == '\'')) {
		if (sk_filter_lex_quoted(item, len, &pos, &out, &at, &msg, false) == 0) {
			if (pos == len) return out;
			free(out);
		} else if (strcmp(msg, "out of memory") == 0) {
			sk_err_set(err, -ENOMEM, "out of memory");
			return NULL;
		} else {
			/* Not one well-formed quoted token: Falco would fail to
			 * parse the expanded text; report it at the item. */
			sk_err_set_at(err, -EINVAL, 0, (int)at + 1, "list item %s: %s", item, msg);
			return NULL;
		}
	}
	out = strdup(item);
	if (!out) sk_err_set(err, -ENOMEM, "out of memory");
	return out;
}

/* NUMBER = [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)? | 0[xX][0-9a-fA-F]+ */
static size_t number_len(const struct parser *p)
{
	size_t i = p->pos;
	const char *s = p->s;
	if (i + 2 < p->len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
	    is_hex(s[i + 2])) {
		i += 2;
		while (i < p->len && is_hex(s[i])) i++;
		return i - p->pos;
	}
	if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
	if (i >= p->len || !is_digit(s[i])) return 0;
	while (i < p->len && is_digit(s[i])) i++;
	if (i < p->len && s[i] == '.') {
		i++;
		while (i < p->len && is_digit(s[i])) i++;
	}
	if (i + 2 < p->len && (s[i] == 'e' || s[i] == 'E') && (s[i + 1] == '+' || s[i + 1] == '-') &&
	    is_digit(s[i + 2])) {
		i += 2;
		while (i < p->len && is_digit(s[i])) i++;
	}
	return i - p->pos;
}

/* ---- fields and transformers ------------------------------------------------ */

static const struct {
	const char *name;
	uint8_t tr;
} transformers[] = {
	{ "tolower", SK_TR_TOLOWER }, { "toupper", SK_TR_TOUPPER }, { "b64", SK_TR_B64 },
	{ "basename", SK_TR_BASENAME }, { "len", SK_TR_LEN },     { "join", SK_TR_JOIN },
	{ "concat", SK_TR_CONCAT },     { "getopt", SK_TR_GETOPT },
};

const char *sk_filter_tr_name(uint8_t tr)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(transformers); i++)
		if (transformers[i].tr == tr) return transformers[i].name;
	return "?";
}

bool sk_filter_is_tr_call(const char *s, size_t n)
{
	static const char *const names[] = { "val", "tolower", "toupper", "b64", "basename",
					     "len", "join", "concat", "getopt" };
	for (size_t i = 0; i < SK_ARRAY_LEN(names); i++) {
		size_t l = strlen(names[i]);
		if (n >= l + 2 && memcmp(s, names[i], l) == 0 && s[l] == '(' && s[n - 1] == ')')
			return true;
	}
	return false;
}

/* If the text at pos is TRNAME "(", returns its code and its length. */
static uint8_t at_transformer(const struct parser *p, size_t *n)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(transformers); i++) {
		size_t l = strlen(transformers[i].name);
		if (at_word(p, transformers[i].name) && peek(p, l) == '(') {
			*n = l;
			return transformers[i].tr;
		}
	}
	return 0;
}

/* Length of a dotted word at pos: [a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)*;
 * *dots gets the number of components after the first. */
static size_t word_len(const struct parser *p, unsigned *dots)
{
	size_t i = p->pos;
	*dots = 0;
	if (i >= p->len || !is_alpha(p->s[i])) return 0;
	for (;;) {
		while (i < p->len && is_ident_char(p->s[i])) i++;
		if (i + 1 < p->len && p->s[i] == '.' && is_alpha(p->s[i + 1])) {
			i++;
			(*dots)++;
			continue;
		}
		break;
	}
	return i - p->pos;
}

/* Optional "[" (QUOTED | ARGBARE) "]" at pos, stored in *arg. */
static bool parse_bracket_arg(struct parser *p, char **arg)
{
	if (peek(p, 0) != '[') return true;
	size_t open = p->pos++;
	char c = peek(p, 0);
	if (c == '"' || c == '\'') {
		*arg = parse_quoted(p);
		if (!*arg) return false;
	} else {
		size_t a = p->pos;
		while (p->pos < p->len) {
			c = p->s[p->pos];
			if (c == '[' || c == ']' || c == '"' || c == '\'' || is_blank(c) || c == '\0')
				break;
			p->pos++;
		}
		if (p->pos == a) {
			fail(p, p->pos, "expected a field argument after '['");
			return false;
		}
		*arg = strndup(p->s + a, p->pos - a);
		if (!*arg) {
			oom(p);
			return false;
		}
	}
	if (peek(p, 0) != ']') {
		fail(p, p->pos < p->len ? p->pos : open, "expected ']' to close the field argument");
		return false;
	}
	p->pos++;
	return true;
}

/* field = FIELDNAME [ "[" (QUOTED | ARGBARE) "]" ] at pos. */
static bool parse_field_name(struct parser *p, struct sk_ast_field *f)
{
	unsigned dots;
	size_t start = p->pos, n = word_len(p, &dots);
	if (n == 0 || dots == 0) {
		fail(p, start, "expected a field name");
		return false;
	}
	f->kind = SK_OPND_FIELD;
	f->pos = (uint32_t)start;
	f->name = strndup(p->s + start, n);
	if (!f->name) {
		oom(p);
		return false;
	}
	p->pos += n;
	return parse_bracket_arg(p, &f->arg);
}

/* Appends a zeroed argument to a transformer or list operand. */
static struct sk_ast_field *push_arg(struct parser *p, struct sk_ast_field *f)
{
	if (f->nargs % 4 == 0) {
		struct sk_ast_field *na = realloc(f->args, (f->nargs + 4) * sizeof(*na));
		if (!na) return oom(p);
		f->args = na;
	}
	struct sk_ast_field *a = &f->args[f->nargs++];
	memset(a, 0, sizeof(*a));
	return a;
}

static bool parse_tr_call(struct parser *p, struct sk_ast_field *f, unsigned depth);

/* A literal transformer argument: QUOTED or NUMBER. 1 parsed, 0 absent, -1 error. */
static int parse_lit_arg(struct parser *p, struct sk_ast_field *a)
{
	char c = peek(p, 0);
	a->pos = (uint32_t)p->pos;
	if (c == '"' || c == '\'') {
		a->kind = SK_OPND_LIT;
		a->name = parse_quoted(p);
		return a->name ? 1 : -1;
	}
	size_t n = number_len(p);
	if (n == 0) return 0;
	a->kind = SK_OPND_LIT;
	a->name = strndup(p->s + p->pos, n);
	if (!a->name) return oom(p), -1;
	p->pos += n;
	return 1;
}

/* tlarg = field | transformer | QUOTED | NUMBER (an element of a list argument). */
static bool parse_tlarg(struct parser *p, struct sk_ast_field *a, unsigned depth)
{
	size_t n;
	if (at_transformer(p, &n)) return parse_tr_call(p, a, depth);
	int r = parse_lit_arg(p, a);
	if (r) return r > 0;
	unsigned dots;
	if (word_len(p, &dots) && dots) return parse_field_name(p, a);
	fail(p, p->pos,
	     "expected a list element: a field, a transformer, a quoted string or a number");
	return false;
}

/* targ = transformer | field | QUOTED | NUMBER | "(" [ tlarg { "," tlarg } ] ")". */
static bool parse_targ(struct parser *p, struct sk_ast_field *a, unsigned depth)
{
	size_t n;
	if (peek(p, 0) == '(') {
		size_t open = p->pos++;
		a->kind = SK_OPND_LIST;
		a->pos = (uint32_t)open;
		skip_blank(p);
		if (peek(p, 0) == ')') {
			p->pos++;
			return true;
		}
		for (;;) {
			skip_blank(p);
			struct sk_ast_field *e = push_arg(p, a);
			if (!e || !parse_tlarg(p, e, depth)) return false;
			skip_blank(p);
			char ch = peek(p, 0);
			if (ch == ',') {
				p->pos++;
				continue;
			}
			if (ch == ')') {
				p->pos++;
				return true;
			}
			fail(p, p->pos < p->len ? p->pos : open,
			     p->pos < p->len ? "expected ',' or ')' in list"
					     : "unterminated list: expected ')'");
			return false;
		}
	}
	if (at_transformer(p, &n)) return parse_tr_call(p, a, depth);
	int r = parse_lit_arg(p, a);
	if (r) return r > 0;
	unsigned dots;
	if (word_len(p, &dots) && dots) return parse_field_name(p, a);
	fail(p, p->pos,
	     "expected a transformer argument: a field, a transformer, a quoted string, a "
	     "number or a list");
	return false;
}

/* transformer = TRNAME "(" targ { "," targ } ")" [ "[" arg "]" ] at pos;
 * `depth` transformers enclose it. */
static bool parse_tr_call(struct parser *p, struct sk_ast_field *f, unsigned depth)
{
	size_t n;
	uint8_t tr = at_transformer(p, &n);
	f->kind = SK_OPND_TR;
	f->tr = tr;
	f->pos = (uint32_t)p->pos;
	if (depth >= SK_AST_MAX_TR) {
		fail(p, p->pos, "transformers nested too deeply (max %d)", SK_AST_MAX_TR);
		return false;
	}
	size_t open = p->pos + n;
	p->pos += n + 1;
	for (;;) {
		skip_blank(p);
		struct sk_ast_field *a = push_arg(p, f);
		if (!a || !parse_targ(p, a, depth + 1)) return false;
		skip_blank(p);
		if (peek(p, 0) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p, 0) == ')') break;
		fail(p, p->pos < p->len ? p->pos : open, "expected ')' to close %s()",
		     sk_filter_tr_name(tr));
		return false;
	}
	p->pos++;
	return parse_bracket_arg(p, &f->arg);
}

/* lhs = field | transformer. */
static bool parse_operand(struct parser *p, struct sk_ast_field *f)
{
	size_t n;
	if (at_transformer(p, &n)) return parse_tr_call(p, f, 0);
	return parse_field_name(p, f);
}

/* rhs_expr = "val(" field ")" | transformer. Returns 1 when present and
 * parsed, 0 when the text is not an rhs expression, -1 on error. */
static int parse_rhs_expr(struct parser *p, struct sk_ast_field *f)
{
	size_t n;
	if (at_word(p, "val(")) {
		size_t start = p->pos, open = p->pos + 3;
		p->pos += 4;
		skip_blank(p);
		if (!parse_field_name(p, f)) return -1;
		f->pos = (uint32_t)start;
		skip_blank(p);
		if (peek(p, 0) != ')') {
			fail(p, p->pos < p->len ? p->pos : open, "expected ')' to close val()");
			return -1;
		}
		p->pos++;
		if (peek(p, 0) == '[') {
			fail(p, p->pos, "val() does not take a field argument");
			return -1;
		}
		return 1;
	}
	if (at_transformer(p, &n)) return parse_tr_call(p, f, 0) ? 1 : -1;
	return 0;
}

/* ---- values ------------------------------------------------------------------ */

static bool is_barestr_char(char c)
{
	return c != '(' && c != ')' && c != '"' && c != '\'' && !is_blank(c) && c != '=' &&
	       c != ',' && c != '\0';
}

/* value = QUOTED | BARESTR. */
static bool parse_value(struct parser *p, struct sk_ast_value *v)
{
	char c = peek(p, 0);
	v->pos = (uint32_t)p->pos;
	if (c == '"' || c == '\'') {
		v->quoted = true;
		v->text = parse_quoted(p);
		return v->text != NULL;
	}
	size_t a = p->pos;
	while (p->pos < p->len && is_barestr_char(p->s[p->pos])) p->pos++;
	if (p->pos == a) {
		if (p->pos >= p->len) fail(p, p->pos, "expected a value, found end of condition");
		else fail(p, p->pos, "expected a value");
		return false;
	}
	v->text = strndup(p->s + a, p->pos - a);
	if (!v->text) {
		oom(p);
		return false;
	}
	return true;
}

static bool push_value(struct parser *p, struct sk_ast_check *c, struct sk_ast_value **slot)
{
	if (c->nvals % 8 == 0) {
		struct sk_ast_value *nv = realloc(c->vals, (c->nvals + 8) * sizeof(*nv));
		if (!nv) {
			oom(p);
			return false;
		}
		c->vals = nv;
	}
	*slot = &c->vals[c->nvals++];
	memset(*slot, 0, sizeof(**slot));
	return true;
}

/* list = "(" [ value { "," value } ] ")" at pos ('(' already seen). */
static bool parse_list(struct parser *p, struct sk_ast_check *c)
{
	size_t open = p->pos++;
	skip_blank(p);
	c->rhs = SK_RHS_LIST;
	if (peek(p, 0) == ')') {
		p->pos++;
		return true;
	}
	for (;;) {
		struct sk_ast_value *v;
		skip_blank(p);
		if (!push_value(p, c, &v)) return false;
		if (!parse_value(p, v)) {
			c->nvals--;
			return false;
		}
		skip_blank(p);
		char ch = peek(p, 0);
		if (ch == ',') {
			p->pos++;
			continue;
		}
		if (ch == ')') {
			p->pos++;
			return true;
		}
		if (p->pos >= p->len)
			fail(p, open, "unterminated list: expected ')'");
		else
			fail(p, p->pos, "expected ',' or ')' in list");
		return false;
	}
}

/* ---- operators ----------------------------------------------------------------- */

enum op_class { OPC_UNARY, OPC_NUM, OPC_STR, OPC_LIST };

static const struct {
	const char *text;
	uint8_t op;
	uint8_t cls;
	bool word;
} ops[] = {
	/* order matters: longest match first */
	{ "<=", SK_OP_LE, OPC_NUM, false },
	{ "<", SK_OP_LT, OPC_NUM, false },
	{ ">=", SK_OP_GE, OPC_NUM, false },
	{ ">", SK_OP_GT, OPC_NUM, false },
	{ "==", SK_OP_EQ, OPC_STR, false },
	{ "=", SK_OP_EQ, OPC_STR, false },
	{ "!=", SK_OP_NE, OPC_STR, false },
	{ "exists", SK_OP_EXISTS, OPC_UNARY, true },
	{ "intersects", SK_OP_INTERSECTS, OPC_LIST, true },
	{ "in", SK_OP_IN, OPC_LIST, true },
	{ "pmatch", SK_OP_PMATCH, OPC_LIST, true },
	{ "glob", SK_OP_GLOB, OPC_STR, true },
	{ "iglob", SK_OP_IGLOB, OPC_STR, true },
	{ "contains", SK_OP_CONTAINS, OPC_STR, true },
	{ "icontains", SK_OP_ICONTAINS, OPC_STR, true },
	{ "bcontains", SK_OP_BCONTAINS, OPC_STR, true },
	{ "startswith", SK_OP_STARTSWITH, OPC_STR, true },
	{ "bstartswith", SK_OP_BSTARTSWITH, OPC_STR, true },
	{ "endswith", SK_OP_ENDSWITH, OPC_STR, true },
	{ "regex", SK_OP_REGEX, OPC_STR, true },
};

const char *sk_filter_mod_name(uint8_t mod)
{
	static const char *const names[] = { "", "oneof", "anyof", "allof" };
	return mod < SK_ARRAY_LEN(names) ? names[mod] : "";
}

const char *sk_op_name(enum sk_op op)
{
	if (op == SK_OP_EQ) return "=";
	for (size_t i = 0; i < SK_ARRAY_LEN(ops); i++)
		if (ops[i].op == op) return ops[i].text;
	return "?";
}

/* Matches an operator at pos; returns its index or -1. */
static int match_op(const struct parser *p)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i].text);
		if (!at_word(p, ops[i].text)) continue;
		if (!ops[i].word) return (int)i;
		char next = peek(p, n);
		if (ops[i].op == SK_OP_EXISTS) {
			if (!is_ident_char(next) && next != '.') return (int)i;
			continue;
		}
		if (is_blank(next)) return (int)i;
		if (ops[i].cls == OPC_LIST && next == '(') return (int)i;
	}
	return -1;
}

/* True when "and", "or" or "not" starts at pos and is not part of a longer
 * alphanumeric word (libsinsp's test; '_' ends the keyword). */
static bool at_bool_keyword(const struct parser *p)
{
	static const char *const kws[] = { "and", "or", "not" };
	for (size_t i = 0; i < SK_ARRAY_LEN(kws); i++) {
		size_t n = strlen(kws[i]);
		char next = peek(p, n);
		if (at_word(p, kws[i]) && !(is_alpha(next) || is_digit(next))) return true;
	}
	return false;
}

/* MOD list_value after a string operator and its blank (conditions.md §2):
 * "oneof"/"anyof"/"allof" is a modifier only when whitespace follows and then
 * "(" or an identifier that is not and/or/not. Returns true when it was one
 * (the list is parsed; errors set p->failed), false with pos unchanged when
 * the word is an ordinary value. */
static bool parse_modifier(struct parser *p, struct sk_ast_check *c)
{
	static const struct {
		const char *w;
		uint8_t mod;
	} mods[] = { { "oneof", SK_MOD_ONEOF }, { "anyof", SK_MOD_ANYOF }, { "allof", SK_MOD_ALLOF } };
	size_t save = p->pos;
	for (size_t i = 0; i < SK_ARRAY_LEN(mods); i++) {
		if (!at_word(p, mods[i].w) || !is_blank(peek(p, 5))) continue;
		p->pos += 5;
		skip_blank(p);
		char ch = peek(p, 0);
		if (ch != '(' && (!is_alpha(ch) || at_bool_keyword(p))) break;
		c->mod = mods[i].mod;
		if (ch == '(') {
			parse_list(p, c);
			return true;
		}
		size_t n = 0;
		while (p->pos + n < p->len && is_ident_char(p->s[p->pos + n])) n++;
		struct sk_ast_value *v;
		if (!push_value(p, c, &v)) return true;
		v->pos = (uint32_t)p->pos;
		v->text = strndup(p->s + p->pos, n);
		if (!v->text) return oom(p), true;
		p->pos += n;
		c->rhs = SK_RHS_LISTREF;
		return true;
	}
	p->pos = save;
	return false;
}

/* condition_tail after the lhs. */
static bool parse_tail(struct parser *p, struct sk_ast_check *c)
{
	skip_blank(p);
	int oi = match_op(p);
	if (oi < 0) {
		size_t b = c->lhs.pos, e = p->pos;
		while (e > b && is_blank(p->s[e - 1])) e--;
		if (p->pos >= p->len)
			fail(p, p->pos, "expected an operator after '%.*s', found end of condition",
			     (int)(e - b), p->s + b);
		else
			fail(p, p->pos, "expected an operator after '%.*s'", (int)(e - b), p->s + b);
		return false;
	}
	c->op = ops[oi].op;
	c->op_pos = (uint32_t)p->pos;
	p->pos += strlen(ops[oi].text);
	if (ops[oi].cls == OPC_UNARY) {
		c->rhs = SK_RHS_NONE;
		return true;
	}
	if (ops[oi].cls == OPC_STR && is_blank(peek(p, 0))) {
		skip_blank(p);
		if (parse_modifier(p, c)) return !p->failed;
	}
	skip_blank(p);
	int r = parse_rhs_expr(p, &c->rfield);
	if (r < 0) return false;
	if (r > 0) {
		c->rhs = SK_RHS_FIELD;
		return true;
	}
	struct sk_ast_value *v;
	switch (ops[oi].cls) {
	case OPC_NUM: {
		size_t n = number_len(p);
		if (n == 0) {
			fail(p, p->pos, "expected a number after '%s'", ops[oi].text);
			return false;
		}
		if (!push_value(p, c, &v)) return false;
		v->pos = (uint32_t)p->pos;
		v->text = strndup(p->s + p->pos, n);
		if (!v->text) return oom(p), false;
		p->pos += n;
		c->rhs = SK_RHS_VALUE;
		return true;
	}
	case OPC_STR:
		if (!push_value(p, c, &v)) return false;
		c->rhs = SK_RHS_VALUE;
		return parse_value(p, v);
	default: /* OPC_LIST */
		if (peek(p, 0) == '(') return parse_list(p, c);
		unsigned dots;
		size_t n = word_len(p, &dots);
		if (n == 0 || dots) {
			fail(p, p->pos, "expected a list or a list name after '%s'", ops[oi].text);
			return false;
		}
		if (!push_value(p, c, &v)) return false;
		v->pos = (uint32_t)p->pos;
		v->text = strndup(p->s + p->pos, n);
		if (!v->text) return oom(p), false;
		p->pos += n;
		c->rhs = SK_RHS_LISTREF;
		return true;
	}
}

/* ---- expressions ---------------------------------------------------------------- */

static struct sk_ast *parse_or(struct parser *p);

static struct sk_ast *node_new(struct parser *p, uint8_t kind, size_t pos)
{
	struct sk_ast *n = calloc(1, sizeof(*n));
	if (!n) return oom(p);
	n->kind = kind;
	n->pos = (uint32_t)pos;
	return n;
}

static struct sk_ast *parse_check(struct parser *p)
{
	skip_blank(p);
	size_t start = p->pos;
	char c = peek(p, 0);
	if (c == '(') {
		if (++p->depth > SK_FILTER_MAX_DEPTH)
			return fail(p, start, "condition nested too deeply (max %d)",
				    SK_FILTER_MAX_DEPTH);
		p->pos++;
		struct sk_ast *e = parse_or(p);
		p->depth--;
		if (!e) return NULL;
		skip_blank(p);
		if (peek(p, 0) != ')') {
			sk_ast_free(e);
			if (p->pos >= p->len) return fail(p, start, "unbalanced '(': expected ')'");
			return fail(p, p->pos, "expected ')', 'and' or 'or'");
		}
		p->pos++;
		return e;
	}
	if (p->pos >= p->len) return fail(p, p->pos, "unexpected end of condition");
	size_t trn;
	unsigned dots = 0;
	size_t n = word_len(p, &dots);
	if (!at_transformer(p, &trn) && n > 0 && dots == 0) {
		/* a bare identifier: macro reference */
		if ((n == 3 && (at_word(p, "and") || at_word(p, "not"))) ||
		    (n == 2 && at_word(p, "or")))
			return fail(p, start, "unexpected keyword '%.*s'", (int)n, p->s + start);
		if (peek(p, n) == '[' || peek(p, n) == '(')
			return fail(p, p->pos + n, "unexpected '%c' after identifier", peek(p, n));
		struct sk_ast *id = node_new(p, SK_AST_IDENT, start);
		if (!id) return NULL;
		id->u.ident = strndup(p->s + start, n);
		if (!id->u.ident) {
			free(id);
			return oom(p);
		}
		p->pos += n;
		return id;
	}
	if (!at_transformer(p, &trn) && n == 0)
		return fail(p, p->pos, "expected a field, a macro name or '('");
	struct sk_ast *ck = node_new(p, SK_AST_CHECK, start);
	if (!ck) return NULL;
	if (!parse_operand(p, &ck->u.check.lhs) || !parse_tail(p, &ck->u.check)) {
		sk_ast_free(ck);
		return NULL;
	}
	return ck;
}

/* not_expr = { "not" (WS | "(") } check. Each "not" toggles. */
static struct sk_ast *parse_not(struct parser *p)
{
	bool neg = false;
	size_t start;
	for (;;) {
		skip_blank(p);
		start = p->pos;
		if (at_word(p, "not") && (is_blank(peek(p, 3)) || peek(p, 3) == '(')) {
			neg = !neg;
			p->pos += 3;
			continue;
		}
		break;
	}
	struct sk_ast *e = parse_check(p);
	if (!e || !neg) return e;
	struct sk_ast *n = node_new(p, SK_AST_NOT, start);
	if (!n) {
		sk_ast_free(e);
		return NULL;
	}
	n->kids = malloc(sizeof(*n->kids));
	if (!n->kids) {
		free(n);
		sk_ast_free(e);
		return oom(p);
	}
	n->kids[0] = e;
	n->nkids = 1;
	/* position of a negated check: its first "not" is reported by the check's
	 * own pos when useful, so keep the kid's pos for errors on the field */
	n->pos = e->pos;
	return n;
}

/* Appends kid to an n-ary node (or frees both on OOM). */
static bool add_kid(struct parser *p, struct sk_ast *n, struct sk_ast *kid)
{
	if ((n->nkids & (n->nkids - 1)) == 0) { /* grow at powers of two */
		uint32_t cap = n->nkids ? n->nkids * 2 : 2;
		struct sk_ast **k = realloc(n->kids, cap * sizeof(*k));
		if (!k) {
			sk_ast_free(kid);
			oom(p);
			return false;
		}
		n->kids = k;
	}
	n->kids[n->nkids++] = kid;
	return true;
}

/* Matches a binary keyword followed by blank or '('. */
static bool at_keyword(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);
	if (!at_word(p, kw)) return false;
	char c = peek(p, n);
	return is_blank(c) || c == '(';
}

typedef struct sk_ast *(*sub_fn)(struct parser *p);

static struct sk_ast *parse_nary(struct parser *p, const char *kw, uint8_t kind, sub_fn sub)
{
	struct sk_ast *first = sub(p);
	if (!first) return NULL;
	struct sk_ast *n = NULL;
	for (;;) {
		skip_blank(p);
		if (!at_keyword(p, kw)) break;
		if (!n) {
			n = node_new(p, kind, first->pos);
			if (!n) {
				sk_ast_free(first);
				return NULL;
			}
			if (!add_kid(p, n, first)) {
				free(n);
				return NULL;
			}
		}
		size_t kwpos = p->pos;
		p->pos += strlen(kw);
		skip_blank(p);
		if (p->pos >= p->len) {
			sk_ast_free(n);
			return fail(p, kwpos, "expected a condition after '%s'", kw);
		}
		struct sk_ast *k = sub(p);
		if (!k || !add_kid(p, n, k)) {
			sk_ast_free(n);
			return NULL;
		}
	}
	return n ? n : first;
}

static struct sk_ast *parse_and(struct parser *p)
{
	return parse_nary(p, "and", SK_AST_AND, parse_not);
}

static struct sk_ast *parse_or(struct parser *p)
{
	return parse_nary(p, "or", SK_AST_OR, parse_and);
}

static struct sk_ast *parse_text(const char *text, bool hex, struct sk_err *err);

struct sk_ast *sk_filter_parse(const char *text, struct sk_err *err)
{
	return parse_text(text, false, err);
}

struct sk_ast *sk_filter_parse_sysdig(const char *text, struct sk_err *err)
{
	return parse_text(text, true, err);
}

static struct sk_ast *parse_text(const char *text, bool hex, struct sk_err *err)
{
	struct parser p = { .s = text ? text : "", .err = err, .hex = hex };
	p.len = strlen(p.s);
	if (p.len > UINT32_MAX / 2) return fail(&p, 0, "condition too long");
	skip_blank(&p);
	if (p.pos >= p.len) return fail(&p, p.pos, "empty condition");
	struct sk_ast *a = parse_or(&p);
	if (!a) return NULL;
	skip_blank(&p);
	if (p.pos < p.len) {
		sk_ast_free(a);
		if (p.s[p.pos] == ')') return fail(&p, p.pos, "unbalanced ')'");
		if (at_word(&p, "and") || at_word(&p, "or")) {
			const char *kw = at_word(&p, "and") ? "and" : "or";
			if (p.pos + strlen(kw) == p.len)
				return fail(&p, p.pos, "expected a condition after '%s'", kw);
			return fail(&p, p.pos, "expected blank or '(' after '%s'", kw);
		}
		/* libsinsp's wording, naming the last token read before the junk */
		size_t end = p.pos, beg;
		while (end > 0 && is_blank(p.s[end - 1])) end--;
		beg = end;
		if (beg > 0 && (p.s[beg - 1] == ')' || p.s[beg - 1] == ',')) {
			beg--;
		} else if (beg > 1 && (p.s[beg - 1] == '"' || p.s[beg - 1] == '\'')) {
			/* a quoted value: name its text without the quotes */
			char q = p.s[--end];
			beg = end;
			while (beg > 0 && p.s[beg - 1] != q) beg--;
		} else
			while (beg > 0 && !is_blank(p.s[beg - 1]) && p.s[beg - 1] != '(' &&
			       p.s[beg - 1] != ')' && p.s[beg - 1] != ',' && p.s[beg - 1] != '=')
				beg--;
		return fail(&p, p.pos, "unexpected token after '%.*s', expecting 'or', 'and'",
			    (int)(end - beg), p.s + beg);
	}
	return a;
}
