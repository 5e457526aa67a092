/* compile.c — turns an AST into an evaluation tree and evaluates it.
 *
 * Everything is resolved once at compile time: fields are bound, operators
 * are checked against the field type (after transformers), literals are
 * parsed into values of that type, `in` lists become hash sets, `pmatch`
 * lists a prefix tree, regexes are compiled (PCRE2, JIT, anchored at both
 * ends). Evaluation then only extracts values and compares; the buffers it
 * needs (value arrays, transformer scratch) belong to each compiled check,
 * so a compiled filter must be evaluated by one thread at a time. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

#define MAXV 128  /* values of one operand considered per event; further values are ignored */
#define TR_MAX_BYTES ((size_t)1 << 20)  /* one transformer's output per event; a longer
                                           result gives the transformer no value */
#define NUMTXT 48 /* bytes reserved per value when a list argument renders a number as text */

enum opkind {
	OK_FIELD = 0,   /* a bound field */
	OK_LIT,         /* a constant string (quoted or number argument) */
	OK_LIST,        /* "(a, b)" argument: values of its elements, numbers as text */
	OK_TR1,         /* tolower/toupper/b64/basename/len of one operand */
	OK_JOIN,
	OK_CONCAT,
	OK_GETOPT,
};

/* A compiled operand: a tree mirroring struct sk_ast_field. Every node owns
 * its value array and scratch, so evaluating one node never invalidates the
 * values of another (a parent reads its children's values while building
 * its own). */
struct operand {
	uint8_t kind;               /* enum opkind */
	uint8_t tr;                 /* OK_TR1: enum sk_transformer */
	uint8_t type;               /* value type of this node's output */
	uint32_t flags;             /* SK_FF_* of the output (SK_FF_LIST for lists) */
	uint32_t leaf_flags;        /* OR of the flags of every field below (SK_FF_NO_RHS) */
	uint32_t pos;
	struct sk_fieldref *ref;    /* OK_FIELD */
	struct operand *kids;
	uint32_t nkids;
	struct sk_value *vals;      /* MAXV values (1 for OK_LIT), reused per event */
	struct sk_buf scratch;      /* transformer output */
	char *lit;                  /* OK_LIT text */
	char sel;                   /* OK_GETOPT: the [o] selector, 0 = whole result list */
	bool optconst;              /* OK_GETOPT: optstring is a literal, pre-parsed below */
	uint64_t optvalid[4], optarg[4];
	bool optcolon;
};

struct check {
	/* hot: read first on every evaluation (keep within the first cache line) */
	bool evt_fast;              /* evt.type =/!=/in literal(s): a bit test on the code */
	uint8_t op;
	uint8_t mod;                /* enum sk_op_mod */
	uint8_t tc;                 /* enum sk_tclass of the lhs after transformers */
	bool has_rhs;
	bool use_sset, use_uset;
	uint64_t evtbits[(SK_EVENT_MAX + 63) / 64];
	uint64_t sbloom[4];         /* string `in` sets: (len, first, last byte) filter */
	struct operand lhs, rhs;
	struct sk_value lit;        /* single literal (str points into lit_mem) */
	char *lit_mem;
	struct sk_strmap sset;
	struct sk_u64map uset;
	struct sk_value *arr;       /* literal list for linear membership / modifiers */
	size_t narr;
	struct sk_ptrie *trie;
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_code **res;           /* regex oneof/anyof/allof: one per element */
	size_t nres;
	const char *ltext;          /* the lhs for messages (compile time only) */
};

struct node {
	uint8_t kind;               /* SK_AST_AND / OR / NOT / CHECK */
	uint32_t nkids;
	struct node **kids;
	struct check *ck;
};

struct sk_filter {
	struct node *root;
};

/* ---- freeing ------------------------------------------------------------------ */

static void operand_done(struct operand *o)
{
	for (uint32_t i = 0; i < o->nkids; i++) operand_done(&o->kids[i]);
	free(o->kids);
	sk_fieldref_free(o->ref);
	sk_buf_done(&o->scratch);
	free(o->vals);
	free(o->lit);
}

static void check_free(struct check *c)
{
	if (!c) return;
	operand_done(&c->lhs);
	operand_done(&c->rhs);
	free(c->lit_mem);
	if (c->use_sset) sk_strmap_done(&c->sset);
	if (c->use_uset) sk_u64map_done(&c->uset);
	if (c->arr) {
		for (size_t i = 0; i < c->narr; i++)
			if (c->tc == SK_TC_STR || c->tc == SK_TC_BYTES) free((char *)c->arr[i].str.p);
		free(c->arr);
	}
	sk_ptrie_free(c->trie);
	for (size_t i = 0; i < c->nres; i++) pcre2_code_free(c->res[i]);
	free(c->res);
	pcre2_match_data_free(c->md);
	pcre2_code_free(c->re);
	free(c);
}

static void node_free(struct node *n)
{
	if (!n) return;
	for (uint32_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
	free(n->kids);
	check_free(n->ck);
	free(n);
}

void sk_filter_free(struct sk_filter *f)
{
	if (!f) return;
	node_free(f->root);
	free(f);
}

/* ---- compiling ------------------------------------------------------------------ */

static int err_at(struct sk_err *err, uint32_t pos, int code, const char *fmt, ...)
	SK_PRINTF(4, 5);
static int err_at(struct sk_err *err, uint32_t pos, int code, const char *fmt, ...)
{
	if (!err) return code;
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sk_err_set_at(err, code, 0, (int)pos + 1, "%s", msg);
}

static const char *type_name(uint8_t t)
{
	switch (sk_type_class(t)) {
	case SK_TC_SIGNED:
	case SK_TC_UNSIGNED: return "numeric";
	case SK_TC_DOUBLE: return "double";
	case SK_TC_BOOL: return "bool";
	case SK_TC_STR: return "string";
	case SK_TC_BYTES: return "bytebuf";
	case SK_TC_IP: return "ip address";
	case SK_TC_NET: return "ip network";
	default: return "unsupported";
	}
}

/* Compile-wide state: the source, the warning sink. */
struct cctx {
	enum sk_source src;
	sk_filter_warn_fn warn;
	void *wctx;
	bool na_warned;
	struct sk_err *err;
};

static bool is_str_type(uint8_t t)
{
	return sk_type_class(t) == SK_TC_STR;
}

static int operand_compile(struct cctx *cc, const struct sk_ast_field *af, struct operand *o,
			   const struct sk_ast_field *tr);

/* Binds a field leaf. `tr`: the transformer it is an argument of (directly or
 * in a list), NULL for none. */
static int field_compile(struct cctx *cc, const struct sk_ast_field *af, struct operand *o,
			 const struct sk_ast_field *tr)
{
	struct sk_err *err = cc->err;
	o->kind = OK_FIELD;
	o->ref = sk_fieldref_new(cc->src, af->name, af->arg, err);
	if (!o->ref) {
		if (err) err->col = (int)af->pos + 1;
		return err && err->code ? err->code : -EINVAL;
	}
	o->vals = calloc(MAXV, sizeof(*o->vals));
	if (!o->vals) return sk_err_set(err, -ENOMEM, "out of memory");
	o->type = sk_fieldref_type(o->ref);
	o->flags = o->leaf_flags = sk_fieldref_flags(o->ref);
	if (tr && (o->flags & SK_FF_NO_TRANSFORMER))
		return err_at(err, tr->pos, -EINVAL, "field '%s' does not accept transformers",
			      sk_fieldref_text(o->ref));
	return 0;
}

/* Checks the argument count of a transformer; msg names the expected form. */
static int tr_nargs(struct cctx *cc, const struct sk_ast_field *af, uint32_t lo, uint32_t hi,
		    const char *msg)
{
	if (af->nargs >= lo && af->nargs <= hi) return 0;
	return err_at(cc->err, af->pos, -EINVAL, "%s() %s", sk_filter_tr_name(af->tr), msg);
}

/* Sets the optstring tables of a getopt node (getopt(3) rules: a leading ':'
 * only changes error reporting; "x:" = option x takes a value). */
static void getopt_parse(const char *os, size_t n, uint64_t valid[4], uint64_t arg[4])
{
	memset(valid, 0, 4 * sizeof(uint64_t));
	memset(arg, 0, 4 * sizeof(uint64_t));
	for (size_t i = (n && os[0] == ':') ? 1 : 0; i < n; i++) {
		unsigned char c = (unsigned char)os[i];
		if (c == ':') continue;
		valid[c / 64] |= 1ULL << (c % 64);
		if (i + 1 < n && os[i + 1] == ':') {
			arg[c / 64] |= 1ULL << (c % 64);
			i++;
		}
	}
}

static int tr_compile(struct cctx *cc, const struct sk_ast_field *af, struct operand *o)
{
	struct sk_err *err = cc->err;
	const char *name = sk_filter_tr_name(af->tr);
	o->kids = calloc(af->nargs ? af->nargs : 1, sizeof(*o->kids));
	if (!o->kids) return sk_err_set(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < af->nargs; i++) {
		o->nkids = i + 1;
		int r = operand_compile(cc, &af->args[i], &o->kids[i], af);
		if (r < 0) return r;
		o->leaf_flags |= o->kids[i].leaf_flags;
	}
	if (af->arg && af->tr != SK_TR_GETOPT)
		return err_at(err, af->pos, -EINVAL, "transformer %s() does not take a field argument",
			      name);
	o->vals = calloc(MAXV, sizeof(*o->vals));
	if (!o->vals) return sk_err_set(err, -ENOMEM, "out of memory");
	sk_buf_init(&o->scratch, TR_MAX_BYTES);
	const struct operand *k0 = &o->kids[0], *k1 = af->nargs > 1 ? &o->kids[1] : NULL;
	int r;
	switch (af->tr) {
	case SK_TR_JOIN:
		o->kind = OK_JOIN;
		if ((r = tr_nargs(cc, af, 2, 2, "takes exactly 2 arguments: a separator and a list")) < 0)
			return r;
		if ((k0->flags & SK_FF_LIST) || !is_str_type(k0->type))
			return err_at(err, af->args[0].pos, -EINVAL,
				      "join() separator must be a single string");
		if (!(k1->flags & SK_FF_LIST))
			return err_at(err, af->args[1].pos, -EINVAL,
				      "join() second argument must be a list");
		if (!is_str_type(k1->type))
			return err_at(err, af->args[1].pos, -EINVAL,
				      "join() list elements must be strings");
		o->type = SK_PT_CHARBUF;
		return 0;
	case SK_TR_CONCAT:
		o->kind = OK_CONCAT;
		if ((r = tr_nargs(cc, af, 2, UINT32_MAX, "takes at least 2 arguments")) < 0) return r;
		for (uint32_t i = 0; i < o->nkids; i++)
			if (o->kids[i].type != SK_PT_CHARBUF || (o->kids[i].flags & SK_FF_LIST))
				return err_at(err, af->args[i].pos, -EINVAL,
					      "concat() arguments must be strings (not lists)");
		o->type = SK_PT_CHARBUF;
		return 0;
	case SK_TR_GETOPT:
		o->kind = OK_GETOPT;
		if ((r = tr_nargs(cc, af, 2, 2,
				  "takes exactly 2 arguments: an argument list and an optstring")) < 0)
			return r;
		if (!(k0->flags & SK_FF_LIST) || k0->type != SK_PT_CHARBUF)
			return err_at(err, af->args[0].pos, -EINVAL,
				      "getopt() first argument must be a list of strings");
		if ((k1->flags & SK_FF_LIST) || k1->type != SK_PT_CHARBUF)
			return err_at(err, af->args[1].pos, -EINVAL,
				      "getopt() optstring must be a single string");
		if (af->arg) {
			if (strlen(af->arg) != 1)
				return err_at(err, af->pos, -EINVAL,
					      "getopt() field argument must be a single option "
					      "character");
			o->sel = af->arg[0];
		}
		if (k1->kind == OK_LIT) {
			o->optconst = true;
			getopt_parse(k1->lit, strlen(k1->lit), o->optvalid, o->optarg);
		}
		o->type = SK_PT_CHARBUF;
		o->flags = o->sel ? 0 : SK_FF_LIST;
		return 0;
	default:
		break;
	}
	o->kind = OK_TR1;
	o->tr = af->tr;
	if ((r = tr_nargs(cc, af, 1, 1, "takes exactly one argument")) < 0) return r;
	o->type = k0->type;
	o->flags = k0->flags;
	enum sk_tclass tc = sk_type_class(o->type);
	bool ok;
	switch (af->tr) {
	case SK_TR_B64: ok = tc == SK_TC_STR || tc == SK_TC_BYTES; break;
	case SK_TR_LEN: ok = tc == SK_TC_STR || tc == SK_TC_BYTES || (o->flags & SK_FF_LIST); break;
	default: ok = tc == SK_TC_STR; break;
	}
	if (!ok && k0->kind == OK_FIELD)
		return err_at(err, af->pos, -EINVAL,
			      "transformer %s() cannot be applied to %s field '%s'", name,
			      type_name(o->type), sk_fieldref_text(k0->ref));
	if (!ok)
		return err_at(err, af->pos, -EINVAL,
			      "transformer %s() cannot be applied to a %s%s value", name,
			      (o->flags & SK_FF_LIST) ? "list " : "", type_name(o->type));
	if (af->tr == SK_TR_LEN) {
		o->type = SK_PT_UINT64;
		o->flags &= ~(uint32_t)SK_FF_LIST;
	}
	return 0;
}

static int operand_compile(struct cctx *cc, const struct sk_ast_field *af, struct operand *o,
			   const struct sk_ast_field *tr)
{
	struct sk_err *err = cc->err;
	o->pos = af->pos;
	switch (af->kind) {
	case SK_OPND_FIELD:
		return field_compile(cc, af, o, tr);
	case SK_OPND_LIT:
		o->kind = OK_LIT;
		o->type = SK_PT_CHARBUF;
		o->lit = strdup(af->name ? af->name : "");
		o->vals = calloc(1, sizeof(*o->vals));
		if (!o->lit || !o->vals) return sk_err_set(err, -ENOMEM, "out of memory");
		o->vals[0].type = SK_PT_CHARBUF;
		o->vals[0].str.p = o->lit;
		o->vals[0].str.len = (uint32_t)strlen(o->lit);
		return 0;
	case SK_OPND_LIST:
		o->kind = OK_LIST;
		o->type = SK_PT_CHARBUF;
		o->flags = SK_FF_LIST;
		o->kids = calloc(af->nargs ? af->nargs : 1, sizeof(*o->kids));
		o->vals = calloc(MAXV, sizeof(*o->vals));
		if (!o->kids || !o->vals) return sk_err_set(err, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < af->nargs; i++) {
			o->nkids = i + 1;
			int r = operand_compile(cc, &af->args[i], &o->kids[i], tr);
			if (r < 0) return r;
			o->leaf_flags |= o->kids[i].leaf_flags;
			enum sk_tclass tc = sk_type_class(o->kids[i].type);
			if (tc == SK_TC_OTHER || tc == SK_TC_BYTES)
				return err_at(err, af->args[i].pos, -EINVAL,
					      "list element of type %s cannot be used as a string",
					      type_name(o->kids[i].type));
		}
		/* numbers are rendered as text into a buffer sized once here, so
		 * evaluation never grows it (pointers into it stay valid) */
		sk_buf_init(&o->scratch, MAXV * NUMTXT + 1);
		if (sk_buf_reserve(&o->scratch, MAXV * NUMTXT) < 0)
			return sk_err_set(err, -ENOMEM, "out of memory");
		return 0;
	case SK_OPND_TR:
		return tr_compile(cc, af, o);
	default:
		return err_at(err, af->pos, -EINVAL, "malformed operand");
	}
}

/* Text of an operand for messages: the field as written, else the transformer. */
static const char *operand_text(const struct operand *o, const struct sk_ast_field *af)
{
	if (o->ref) return sk_fieldref_text(o->ref);
	if (af->kind == SK_OPND_TR) return sk_filter_tr_name(af->tr);
	return "value";
}

/* Which operators apply to which type class (conditions.md §2). */
static bool op_allowed(uint8_t op, enum sk_tclass tc, bool list)
{
	if (op == SK_OP_EXISTS || op == SK_OP_IN || op == SK_OP_INTERSECTS) return tc != SK_TC_OTHER || op == SK_OP_EXISTS;
	if (list) return false;
	switch (op) {
	case SK_OP_EQ:
	case SK_OP_NE:
		return tc != SK_TC_OTHER;
	case SK_OP_LT: case SK_OP_LE: case SK_OP_GT: case SK_OP_GE:
		return tc == SK_TC_SIGNED || tc == SK_TC_UNSIGNED || tc == SK_TC_DOUBLE ||
		       tc == SK_TC_STR;
	case SK_OP_CONTAINS: case SK_OP_STARTSWITH: case SK_OP_ENDSWITH:
		return tc == SK_TC_STR || tc == SK_TC_BYTES;
	case SK_OP_BCONTAINS: case SK_OP_BSTARTSWITH:
		return tc == SK_TC_BYTES;
	case SK_OP_ICONTAINS: case SK_OP_GLOB: case SK_OP_IGLOB: case SK_OP_REGEX:
	case SK_OP_PMATCH:
		return tc == SK_TC_STR;
	default:
		return false;
	}
}

/* Parses one literal for the check's type into *v; strings are copied. */
static int literal(struct check *c, const struct sk_ast_value *av, struct sk_value *v, char **mem,
		   struct sk_err *err)
{
	const char *t = av->text;
	size_t n = strlen(t);
	if (c->tc == SK_TC_STR || c->tc == SK_TC_BYTES) {
		char *m = malloc(n + 1);
		if (!m) return sk_err_set(err, -ENOMEM, "out of memory");
		if (c->op == SK_OP_BCONTAINS || c->op == SK_OP_BSTARTSWITH) {
			int k = sk_hex_decode(t, n, m);
			if (k < 0) {
				free(m);
				return err_at(err, av->pos, -EINVAL,
					      "'%s' is not a valid hex string (for %s)", t,
					      sk_op_name(c->op));
			}
			n = (size_t)k;
		} else if (c->op == SK_OP_ICONTAINS) {
			for (size_t i = 0; i < n; i++)
				m[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
		} else {
			memcpy(m, t, n);
		}
		m[n] = 0;
		memset(v, 0, sizeof(*v));
		v->type = c->lhs.type;
		v->str.p = m;
		v->str.len = (uint32_t)n;
		*mem = m;
		return 0;
	}
	if (sk_literal_parse(c->lhs.type, t, v) < 0)
		return err_at(err, av->pos, -EINVAL, "'%s' is not a valid %s value for '%s'", t,
			      type_name(c->lhs.type), c->ltext);
	*mem = NULL;
	return 0;
}

static int compile_list(struct check *c, const struct sk_ast_check *ac, struct sk_err *err)
{
	uint32_t n = ac->nvals;
	if (c->op == SK_OP_PMATCH) {
		c->trie = sk_ptrie_new();
		if (!c->trie) return sk_err_set(err, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < n; i++)
			if (sk_ptrie_add(c->trie, ac->vals[i].text, strlen(ac->vals[i].text)) < 0)
				return sk_err_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	c->arr = calloc(n ? n : 1, sizeof(*c->arr));
	if (!c->arr) return sk_err_set(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		char *mem;
		int r = literal(c, &ac->vals[i], &c->arr[i], &mem, err);
		if (r < 0) return r;
		c->narr = i + 1;
	}
	if (c->tc == SK_TC_STR || c->tc == SK_TC_BYTES) {
		sk_strmap_init(&c->sset);
		c->use_sset = true;
		for (size_t i = 0; i < c->narr; i++)
			if (sk_strmap_putn(&c->sset, c->arr[i].str.p, c->arr[i].str.len, (void *)1) < 0)
				return sk_err_set(err, -ENOMEM, "out of memory");
	} else if (c->tc == SK_TC_SIGNED || c->tc == SK_TC_UNSIGNED || c->tc == SK_TC_BOOL) {
		sk_u64map_init(&c->uset, 0);
		c->use_uset = true;
		for (size_t i = 0; i < c->narr; i++)
			if (sk_u64map_put(&c->uset, c->arr[i].u64, (void *)1) < 0)
				return sk_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int compile_regex(struct check *c, const struct sk_ast_value *av, struct sk_err *err)
{
	int ec;
	PCRE2_SIZE eo;
	c->re = pcre2_compile((PCRE2_SPTR)av->text, PCRE2_ZERO_TERMINATED,
			      PCRE2_ANCHORED | PCRE2_ENDANCHORED, &ec, &eo, NULL);
	if (!c->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return err_at(err, av->pos, -EINVAL, "invalid regex '%s': %s", av->text,
			      (const char *)msg);
	}
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	c->md = pcre2_match_data_create_from_pattern(c->re, NULL);
	if (!c->md) return sk_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* True if `name` can be an evt.type value: an event name, or a syscall name
 * carried by generic events. Load time only (linear scans). */
static bool evt_type_known(const char *name)
{
	/* the container plugin's async events (Falco knows them with the plugin) */
	if (!strcmp(name, "container_removed"))
		return true;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) {
		const char *n = sk_event_table[c].name;
		if (n && strcmp(n, "NA") != 0 && strcmp(n, name) == 0) return true;
	}
	for (uint32_t c = 1; c < 4096; c++) {
		const char *n = sk_syscall_name(c);
		if (n && strcmp(n, name) == 0) return true;
	}
	return false;
}

/* libsinsp rejects evt.type values that name no event ("unknown event type"),
 * which is how a misspelt or unexpanded list name surfaces at load. It
 * checks every value given to evt.type whatever the operator, so
 * `evt.type icontains OPEN` or `evt.type startswith op` fail too (Falco
 * 0.44.1 and sysdig alike). */
static int check_evt_type_values(const struct sk_ast_check *ac, enum sk_source src,
				 struct sk_err *err)
{
	if (src != SK_SRC_SYSCALL || ac->lhs.kind != SK_OPND_FIELD ||
	    strcmp(ac->lhs.name, "evt.type") != 0 || ac->lhs.arg)
		return 0;
	if (ac->rhs != SK_RHS_VALUE && ac->rhs != SK_RHS_LIST && ac->rhs != SK_RHS_LISTREF)
		return 0;
	for (uint32_t i = 0; i < ac->nvals; i++)
		if (!evt_type_known(ac->vals[i].text))
			return err_at(err, ac->vals[i].pos, -EINVAL, "unknown event type %s",
				      ac->vals[i].text);
	return 0;
}

/* ---- warnings (conditions.md §3, §6) ---- */

static void warn(struct cctx *cc, enum sk_filter_warn code, uint32_t pos, const char *fmt, ...)
	SK_PRINTF(4, 5);
static void warn(struct cctx *cc, enum sk_filter_warn code, uint32_t pos, const char *fmt, ...)
{
	if (!cc->warn) return;
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cc->warn(cc->wctx, code, (int)pos + 1, msg);
}

/* The last field leaf of an operand in left-to-right order (Falco's warning
 * resolver looks at the last field it visited on the left side). */
static const struct sk_ast_field *last_field(const struct sk_ast_field *f)
{
	if (f->kind == SK_OPND_FIELD) return f;
	for (uint32_t i = f->nargs; i-- > 0;) {
		const struct sk_ast_field *r = last_field(&f->args[i]);
		if (r) return r;
	}
	return NULL;
}

static bool lit_is_na(const struct sk_ast_field *f)
{
	if (f->kind == SK_OPND_LIT) return strcmp(f->name, "<NA>") == 0;
	for (uint32_t i = 0; i < f->nargs; i++)
		if (lit_is_na(&f->args[i])) return true;
	return false;
}

/* Falco: a ka.* / jevt.* field compared for (in)equality with "<NA>". */
static void warn_na(struct cctx *cc, const struct sk_ast *a)
{
	const struct sk_ast_check *ac = &a->u.check;
	if (cc->na_warned || ac->mod != SK_MOD_NONE) return;
	if (ac->op != SK_OP_EQ && ac->op != SK_OP_NE && ac->op != SK_OP_IN &&
	    ac->op != SK_OP_INTERSECTS && ac->op != SK_OP_PMATCH)
		return;
	const struct sk_ast_field *lf = last_field(&ac->lhs);
	if (!lf || (strncmp(lf->name, "ka.", 3) != 0 && strncmp(lf->name, "jevt.", 5) != 0)) return;
	bool na = false;
	if (ac->rhs == SK_RHS_FIELD) na = lit_is_na(&ac->rfield);
	for (uint32_t i = 0; i < ac->nvals && !na; i++) na = strcmp(ac->vals[i].text, "<NA>") == 0;
	if (!na) return;
	cc->na_warned = true;
	warn(cc, SK_FILTER_WARN_NA_CHECK, a->pos, "%s", "");
}

/* libsinsp: a regex whose only special characters are anchors or a leading /
 * trailing ".*"-like wildcard could be =, contains, startswith or endswith. */
static void warn_regex(struct cctx *cc, const struct sk_ast_value *v)
{
	const char *t = v->text, *special = ".+*?^$()[]{}|\\";
	size_t n = strlen(t);
	for (size_t i = 0; i < n; i++) {
		if ((i == 0 && t[i] == '^') || (i == n - 1 && t[i] == '$')) continue;
		if (((i == 0 && n > 1) || i + 2 == n) && t[i] == '.' && i + 1 < n &&
		    strchr("+*?", t[i + 1])) {
			i++;
			continue;
		}
		if (strchr(special, t[i])) return;
	}
	warn(cc, SK_FILTER_WARN_VALUE, v->pos,
	     "regex check with '%s' may be optimized with simpler operators such as '=', "
	     "'contains', 'startswith', 'endswith'",
	     t);
}

/* libsinsp: a constant that (without spaces) names a field or looks like a
 * transformer call is probably a mistake (val() forgotten, quoted call). */
static void warn_value(struct cctx *cc, uint8_t op, const struct sk_ast_value *v)
{
	if (op == SK_OP_REGEX) warn_regex(cc, v);
	char buf[256];
	size_t n = 0;
	for (const char *p = v->text; *p; p++) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r')) continue;
		if (n + 1 >= sizeof(buf)) return; /* longer than any field name */
		buf[n++] = *p;
	}
	buf[n] = 0;
	if (n > 0 && strchr(buf, '.')) {
		char *open = strchr(buf, '['), *arg = NULL;
		bool shaped = true;
		if (open) {
			shaped = n >= 2 && buf[n - 1] == ']';
			*open = 0;
			buf[n - 1] = 0;
			arg = open + 1;
		}
		struct sk_fieldref *r = shaped ? sk_fieldref_new(cc->src, buf, arg, NULL) : NULL;
		if (r) {
			sk_fieldref_free(r);
			warn(cc, SK_FILTER_WARN_VALUE, v->pos,
			     "'%s' may be a valid field misused as a const string value", v->text);
		}
		if (open) {
			*open = '[';
			buf[n - 1] = ']';
		}
	}
	if (sk_filter_is_tr_call(buf, n))
		warn(cc, SK_FILTER_WARN_VALUE, v->pos,
		     "'%s' may be a valid field transformer misused as a const string value",
		     v->text);
}

static bool is_str_op(uint8_t op)
{
	switch (op) {
	case SK_OP_EQ: case SK_OP_NE: case SK_OP_CONTAINS: case SK_OP_ICONTAINS:
	case SK_OP_BCONTAINS: case SK_OP_STARTSWITH: case SK_OP_BSTARTSWITH:
	case SK_OP_ENDSWITH: case SK_OP_GLOB: case SK_OP_IGLOB: case SK_OP_REGEX:
		return true;
	default:
		return false;
	}
}

/* oneof/anyof/allof: the literal list (regexes compiled one by one), plus the
 * hash set `= anyof` and `!= allof` test membership with. */
static int compile_mod(struct check *c, const struct sk_ast_check *ac, struct sk_err *err)
{
	if (c->op != SK_OP_REGEX) {
		if (c->op != SK_OP_EQ && c->op != SK_OP_NE) {
			/* compile_list builds sets only for the equality operators */
			c->arr = calloc(ac->nvals ? ac->nvals : 1, sizeof(*c->arr));
			if (!c->arr) return sk_err_set(err, -ENOMEM, "out of memory");
			for (uint32_t i = 0; i < ac->nvals; i++) {
				char *mem;
				int r = literal(c, &ac->vals[i], &c->arr[i], &mem, err);
				if (r < 0) return r;
				c->narr = i + 1;
			}
			return 0;
		}
		return compile_list(c, ac, err);
	}
	c->res = calloc(ac->nvals ? ac->nvals : 1, sizeof(*c->res));
	if (!c->res) return sk_err_set(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < ac->nvals; i++) {
		int r = compile_regex(c, &ac->vals[i], err);
		if (r < 0) return r;
		c->res[c->nres++] = c->re;
		c->re = NULL;
		if (i + 1 < ac->nvals) {
			pcre2_match_data_free(c->md);
			c->md = NULL;
		}
	}
	if (!c->md) {
		/* an empty list: nothing matches, but keep eval uniform */
		c->md = pcre2_match_data_create(1, NULL);
		if (!c->md) return sk_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int check_compile(struct cctx *cc, const struct sk_ast *a, struct check **out)
{
	struct sk_err *err = cc->err;
	const struct sk_ast_check *ac = &a->u.check;
	struct check *c = calloc(1, sizeof(*c));
	if (!c) return sk_err_set(err, -ENOMEM, "out of memory");
	*out = c;
	c->op = ac->op;
	c->mod = ac->mod;
	warn_na(cc, a);
	int r = operand_compile(cc, &ac->lhs, &c->lhs, NULL);
	if (r < 0) return r;
	c->tc = (uint8_t)sk_type_class(c->lhs.type);
	bool list = c->lhs.flags & SK_FF_LIST;
	const char *fname = operand_text(&c->lhs, &ac->lhs);
	c->ltext = fname;
	/* k8s_audit list fields are plugin fields: libsinsp applies any string
	 * operator to them (true when one value satisfies it). */
	if (!op_allowed(c->op, c->tc, list && cc->src != SK_SRC_K8S_AUDIT))
		return err_at(err, ac->op_pos, -EINVAL,
			      "operator '%s' cannot be used with %s%s field '%s'", sk_op_name(c->op),
			      list ? "list " : "", type_name(c->lhs.type), fname);
	if (c->mod && !is_str_op(c->op))
		return err_at(err, ac->op_pos, -EINVAL, "operator '%s' does not take a modifier",
			      sk_op_name(c->op));
	if (c->mod && (c->tc == SK_TC_IP || c->tc == SK_TC_NET) && c->op != SK_OP_EQ &&
	    c->op != SK_OP_NE)
		return err_at(err, ac->op_pos, -EINVAL,
			      "'%s' with modifier not supported for ip address and network filters",
			      sk_op_name(c->op));
	if (ac->lhs.kind == SK_OPND_FIELD && (c->lhs.flags & SK_FF_PRINT_ONLY))
		return err_at(err, ac->lhs.pos, -EINVAL, "field '%s' cannot be used in conditions",
			      fname);
	r = check_evt_type_values(ac, cc->src, err);
	if (r < 0) return r;
	if (ac->rhs == SK_RHS_VALUE || ac->rhs == SK_RHS_LIST || ac->rhs == SK_RHS_LISTREF)
		for (uint32_t i = 0; i < ac->nvals; i++) warn_value(cc, c->op, &ac->vals[i]);
	if (c->mod) {
		if (ac->rhs != SK_RHS_LIST && ac->rhs != SK_RHS_LISTREF)
			return err_at(err, ac->op_pos, -EINVAL, "modifier '%s' needs a list",
				      sk_filter_mod_name(c->mod));
		return compile_mod(c, ac, err);
	}
	switch (ac->rhs) {
	case SK_RHS_NONE:
		if (c->op != SK_OP_EXISTS)
			return err_at(err, ac->op_pos, -EINVAL, "operator '%s' needs a value",
				      sk_op_name(c->op));
		return 0;
	case SK_RHS_FIELD: {
		if (c->op == SK_OP_PMATCH || c->op == SK_OP_REGEX)
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "operator '%s' cannot compare with a field", sk_op_name(c->op));
		r = operand_compile(cc, &ac->rfield, &c->rhs, NULL);
		if (r < 0) return r;
		c->has_rhs = true;
		const char *rname = operand_text(&c->rhs, &ac->rfield);
		if ((c->lhs.leaf_flags | c->rhs.leaf_flags) & SK_FF_NO_RHS)
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "field '%s' cannot be compared with another field",
				      (c->lhs.leaf_flags & SK_FF_NO_RHS) ? fname : rname);
		if (c->tc == SK_TC_NET)
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "ip network field '%s' cannot be compared with a field", fname);
		bool rlist = c->rhs.flags & SK_FF_LIST;
		if (c->rhs.type != c->lhs.type || (rlist != list && c->op != SK_OP_IN &&
						   c->op != SK_OP_INTERSECTS))
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "fields '%s' and '%s' have different types", fname, rname);
		return 0;
	}
	case SK_RHS_LIST:
	case SK_RHS_LISTREF:
		if (c->op != SK_OP_IN && c->op != SK_OP_INTERSECTS && c->op != SK_OP_PMATCH)
			return err_at(err, ac->op_pos, -EINVAL, "operator '%s' does not take a list",
				      sk_op_name(c->op));
		return compile_list(c, ac, err);
	case SK_RHS_VALUE:
		if (c->op == SK_OP_IN || c->op == SK_OP_INTERSECTS || c->op == SK_OP_PMATCH)
			return compile_list(c, ac, err);
		if (c->op == SK_OP_REGEX) return compile_regex(c, &ac->vals[0], err);
		if (c->op == SK_OP_EXISTS) return 0;
		return literal(c, &ac->vals[0], &c->lit, &c->lit_mem, err);
	default:
		return err_at(err, ac->op_pos, -EINVAL, "malformed check");
	}
}

/* Codes whose evt.type name is not the table's (generic syscalls are named
 * after their syscall id, async events after a parameter): never fast. */
static bool evt_name_dynamic(unsigned code)
{
	return code <= 1 || code == 402;
}

static unsigned bloom_bit(const char *p, uint32_t len)
{
	unsigned first = len ? (unsigned char)p[0] : 0, last = len ? (unsigned char)p[len - 1] : 0;
	return (len * 31u + first * 7u + last) & 255u;
}

/* Precomputes what makes the hottest checks cheap: `evt.type = x`,
 * `evt.type in (...)` become a bit test on the event code (the ruleset
 * evaluates them on every event of the rule's types), and string `in`
 * sets get a 256-bit filter on (length, first byte, last byte) so most
 * misses cost no hashing. */
static void fast_paths(struct check *c, enum sk_source src)
{
	if (c->use_sset) {
		for (size_t i = 0; i < c->narr; i++) {
			unsigned b = bloom_bit(c->arr[i].str.p, c->arr[i].str.len);
			c->sbloom[b / 64] |= 1ULL << (b % 64);
		}
	}
	if (src != SK_SRC_SYSCALL || c->has_rhs || c->mod || c->lhs.kind != OK_FIELD ||
	    strcmp(sk_fieldref_text(c->lhs.ref), "evt.type") != 0)
		return;
	const struct sk_value *vals;
	size_t nvals;
	if (c->op == SK_OP_EQ || c->op == SK_OP_NE) {
		vals = &c->lit;
		nvals = 1;
	} else if (c->op == SK_OP_IN && c->narr) {
		vals = c->arr;
		nvals = c->narr;
	} else {
		return;
	}
	for (unsigned code = 0; code < SK_EVENT_MAX; code++) {
		const char *name = sk_event_table[code].name;
		if (evt_name_dynamic(code) || !name)
			continue;
		size_t nl = strlen(name);
		for (size_t i = 0; i < nvals; i++)
			if (vals[i].str.len == nl && memcmp(vals[i].str.p, name, nl) == 0) {
				c->evtbits[code / 64] |= 1ULL << (code % 64);
				break;
			}
	}
	c->evt_fast = true;
}

static int node_compile(struct cctx *cc, const struct sk_ast *a, struct node **out)
{
	struct sk_err *err = cc->err;
	struct node *n = calloc(1, sizeof(*n));
	if (!n) return sk_err_set(err, -ENOMEM, "out of memory");
	*out = n;
	n->kind = a->kind;
	switch (a->kind) {
	case SK_AST_AND:
	case SK_AST_OR:
	case SK_AST_NOT:
		if (a->nkids == 0) return err_at(err, a->pos, -EINVAL, "malformed condition");
		n->kids = calloc(a->nkids, sizeof(*n->kids));
		if (!n->kids) return sk_err_set(err, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < a->nkids; i++) {
			n->nkids = i + 1;
			int r = node_compile(cc, a->kids[i], &n->kids[i]);
			if (r < 0) return r;
		}
		return 0;
	case SK_AST_CHECK: {
		int r = check_compile(cc, a, &n->ck);
		if (r == 0) fast_paths(n->ck, cc->src);
		return r;
	}
	case SK_AST_IDENT:
		return err_at(err, a->pos, -ENOENT, "Undefined macro '%s' used in filter",
			      a->u.ident);
	default:
		return err_at(err, a->pos, -EINVAL, "malformed condition");
	}
}

struct sk_filter *sk_filter_compile_warn(const struct sk_ast *a, enum sk_source src,
					 sk_filter_warn_fn warn, void *warn_ctx,
					 struct sk_err *err)
{
	if (!a) {
		sk_err_set(err, -EINVAL, "empty condition");
		return NULL;
	}
	struct sk_filter *f = calloc(1, sizeof(*f));
	if (!f) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	struct cctx cc = { .src = src, .warn = warn, .wctx = warn_ctx, .err = err };
	if (node_compile(&cc, a, &f->root) < 0) {
		sk_filter_free(f);
		return NULL;
	}
	return f;
}

struct sk_filter *sk_filter_compile(const struct sk_ast *a, enum sk_source src,
				    struct sk_err *err)
{
	return sk_filter_compile_warn(a, src, NULL, NULL, err);
}

/* ---- evaluation -------------------------------------------------------------------- */

/* Applies one transformer to n values in place; returns the new count
 * (values that do not transform, e.g. invalid base64, are dropped). */
static size_t transform(uint8_t tr, uint32_t in_flags, struct sk_value *v, size_t n,
			struct sk_buf *scratch)
{
	if (tr == SK_TR_LEN) {
		if (in_flags & SK_FF_LIST) {
			v[0].type = SK_PT_UINT64;
			v[0].u64 = n;
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t l = v[i].str.len;
			v[i].type = SK_PT_UINT64;
			v[i].u64 = l;
		}
		return n;
	}
	if (tr == SK_TR_BASENAME) {
		for (size_t i = 0; i < n; i++) {
			const char *p = v[i].str.p;
			uint32_t l = v[i].str.len, k = l;
			while (k > 0 && p[k - 1] != '/') k--;
			v[i].str.p = p + k;
			v[i].str.len = l - k;
		}
		return n;
	}
	size_t total = 1;
	for (size_t i = 0; i < n; i++) total += v[i].str.len;
	sk_buf_reset(scratch);
	if (sk_buf_reserve(scratch, total) < 0) return 0;
	char *o = scratch->data;
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)v[i].str.p;
		uint32_t l = v[i].str.len;
		if (tr == SK_TR_B64) {
			ssize_t k = sk_b64_decode((const char *)p, l, o);
			if (k < 0) continue;
			v[out] = v[i];
			v[out].str.p = o;
			v[out].str.len = (uint32_t)k;
			o += k;
			out++;
			continue;
		}
		for (uint32_t k = 0; k < l; k++) {
			unsigned char c = p[k];
			if (tr == SK_TR_TOLOWER && c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
			else if (tr == SK_TR_TOUPPER && c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
			o[k] = (char)c;
		}
		v[out] = v[i];
		v[out].str.p = o;
		o += l;
		out++;
	}
	return out;
}

static size_t operand_get(struct operand *o, struct sk_eval_ctx *ctx);

/* Appends the text of a non-string value (a number in a list argument) to
 * the pre-sized buffer b; returns false when it does not fit. */
static bool num_text(const struct sk_value *v, struct sk_buf *b, const char **p, uint32_t *len)
{
	char t[NUMTXT];
	int k;
	switch (sk_type_class(v->type)) {
	case SK_TC_SIGNED: k = snprintf(t, sizeof(t), "%" PRId64, v->s64); break;
	case SK_TC_UNSIGNED: k = snprintf(t, sizeof(t), "%" PRIu64, v->u64); break;
	case SK_TC_DOUBLE: k = snprintf(t, sizeof(t), "%g", v->dbl); break;
	case SK_TC_BOOL: k = snprintf(t, sizeof(t), "%s", v->u64 ? "true" : "false"); break;
	case SK_TC_IP:
	case SK_TC_NET:
		if (!inet_ntop(v->ip.v6 ? AF_INET6 : AF_INET, v->ip.b, t, sizeof(t))) return false;
		k = (int)strlen(t);
		if (sk_type_class(v->type) == SK_TC_NET)
			k += snprintf(t + k, sizeof(t) - (size_t)k, "/%u", v->ip.prefix);
		break;
	default: return false;
	}
	if (k < 0 || b->len + (size_t)k + 1 > b->cap) return false;
	memcpy(b->data + b->len, t, (size_t)k);
	*p = b->data + b->len;
	*len = (uint32_t)k;
	b->len += (size_t)k;
	return true;
}

/* "(a, b, ...)": the values of every element in order (a multi-valued
 * element contributes all of its values); any element without a value
 * leaves the list without one. */
static size_t get_list(struct operand *o, struct sk_eval_ctx *ctx)
{
	size_t n = 0;
	o->scratch.len = 0;
	for (uint32_t i = 0; i < o->nkids; i++) {
		struct operand *k = &o->kids[i];
		size_t m = operand_get(k, ctx);
		if (m == 0) return 0;
		bool str = sk_type_class(k->type) == SK_TC_STR;
		for (size_t j = 0; j < m && n < MAXV; j++) {
			struct sk_value *v = &o->vals[n];
			v->type = SK_PT_CHARBUF;
			if (str) {
				v->str = k->vals[j].str;
			} else if (!num_text(&k->vals[j], &o->scratch, &v->str.p, &v->str.len)) {
				continue;
			}
			n++;
		}
	}
	return n;
}

/* join(sep, list): one string; no value when either argument has none. */
static size_t get_join(struct operand *o, struct sk_eval_ctx *ctx)
{
	if (operand_get(&o->kids[0], ctx) == 0) return 0;
	size_t m = operand_get(&o->kids[1], ctx);
	if (m == 0) return 0;
	const struct sk_value *sep = &o->kids[0].vals[0], *it = o->kids[1].vals;
	size_t total = (m - 1) * sep->str.len + 1;
	for (size_t i = 0; i < m; i++) total += it[i].str.len;
	sk_buf_reset(&o->scratch);
	if (total > TR_MAX_BYTES || sk_buf_reserve(&o->scratch, total) < 0) return 0;
	char *w = o->scratch.data;
	for (size_t i = 0; i < m; i++) {
		if (i && sep->str.len) {
			memcpy(w, sep->str.p, sep->str.len);
			w += sep->str.len;
		}
		if (it[i].str.len) memcpy(w, it[i].str.p, it[i].str.len);
		w += it[i].str.len;
	}
	o->vals[0].type = SK_PT_CHARBUF;
	o->vals[0].str.p = o->scratch.data;
	o->vals[0].str.len = (uint32_t)(w - o->scratch.data);
	return 1;
}

/* concat(a, b, ...): the first value of every argument, concatenated; no
 * value as soon as one argument has none. */
static size_t get_concat(struct operand *o, struct sk_eval_ctx *ctx)
{
	size_t total = 1;
	for (uint32_t i = 0; i < o->nkids; i++) {
		if (operand_get(&o->kids[i], ctx) == 0) return 0;
		total += o->kids[i].vals[0].str.len;
	}
	sk_buf_reset(&o->scratch);
	if (total > TR_MAX_BYTES || sk_buf_reserve(&o->scratch, total) < 0) return 0;
	char *w = o->scratch.data;
	for (uint32_t i = 0; i < o->nkids; i++) {
		const struct sk_value *v = &o->kids[i].vals[0];
		if (v->str.len) memcpy(w, v->str.p, v->str.len);
		w += v->str.len;
	}
	o->vals[0].type = SK_PT_CHARBUF;
	o->vals[0].str.p = o->scratch.data;
	o->vals[0].str.len = (uint32_t)(w - o->scratch.data);
	return 1;
}

static inline bool bit(const uint64_t *set, unsigned char c)
{
	return (set[c / 64] >> (c % 64)) & 1;
}

/* Stores one getopt result (a view into argv or a constant). */
static void getopt_emit(struct operand *o, size_t *n, const char *p, uint32_t len)
{
	if (*n >= MAXV) return;
	o->vals[*n].type = SK_PT_CHARBUF;
	o->vals[*n].str.p = p;
	o->vals[*n].str.len = len;
	(*n)++;
}

/* getopt(argv, optstring): short options as getopt(3) scans them. Without a
 * selector: for each option its letter (and then its value when it takes
 * one), "?" for a letter not in optstring, "" as the value of an option
 * whose value is missing. With [o]: the value (or the letter, for an option
 * without value) of the last -o; no value when -o is absent. Scanning stops
 * at "--", at the first non-option word, or after an option that took a
 * value from the rest of its word / the next word; "--long" words are skipped. */
static size_t get_getopt(struct operand *o, struct sk_eval_ctx *ctx)
{
	uint64_t vbuf[4], abuf[4];
	const uint64_t *valid = o->optvalid, *argm = o->optarg;
	if (!o->optconst) {
		if (operand_get(&o->kids[1], ctx) == 0) return 0;
		const struct sk_value *os = &o->kids[1].vals[0];
		getopt_parse(os->str.p, os->str.len, vbuf, abuf);
		valid = vbuf;
		argm = abuf;
	}
	size_t m = operand_get(&o->kids[0], ctx);
	if (m == 0) return 0;
	const struct sk_value *av = o->kids[0].vals;
	size_t n = 0;
	const char *selp = NULL;
	uint32_t sell = 0;
	bool found = false;
	for (size_t ai = 0; ai < m; ai++) {
		const char *w = av[ai].str.p;
		uint32_t wl = av[ai].str.len;
		if (wl == 2 && w[0] == '-' && w[1] == '-') break;
		if (wl > 2 && w[0] == '-' && w[1] == '-') continue;
		if (wl < 2 || w[0] != '-') break;
		for (uint32_t i = 1; i < wl; i++) {
			unsigned char opt = (unsigned char)w[i];
			if (opt == ':' || !bit(valid, opt)) {
				if (!o->sel) getopt_emit(o, &n, "?", 1);
				continue;
			}
			bool match = !o->sel || opt == (unsigned char)o->sel;
			if (!bit(argm, opt)) {
				if (match && o->sel) {
					selp = w + i;
					sell = 1;
					found = true;
				} else if (match) {
					getopt_emit(o, &n, w + i, 1);
				}
				continue;
			}
			const char *vp = NULL;
			uint32_t vl = 0;
			bool have = true;
			if (i + 1 < wl) {
				vp = w + i + 1;
				vl = wl - i - 1;
			} else if (ai + 1 < m) {
				ai++;
				vp = av[ai].str.p;
				vl = av[ai].str.len;
			} else {
				have = false;
			}
			if (match && o->sel) {
				selp = have ? vp : "";
				sell = have ? vl : 0;
				found = true;
			} else if (match) {
				getopt_emit(o, &n, have ? w + i : "", have ? 1 : 0);
				if (have) getopt_emit(o, &n, vp, vl);
			}
			break;
		}
	}
	if (!o->sel) return n;
	if (!found) return 0;
	o->vals[0].type = SK_PT_CHARBUF;
	o->vals[0].str.p = selp;
	o->vals[0].str.len = sell;
	return 1;
}

/* Values of an operand for the current event (in o->vals); 0 = no value. */
static size_t operand_get(struct operand *o, struct sk_eval_ctx *ctx)
{
	switch (o->kind) {
	case OK_FIELD:
		return sk_fieldref_extract(o->ref, ctx, o->vals, MAXV);
	case OK_LIT:
		return 1;
	case OK_LIST:
		return get_list(o, ctx);
	case OK_JOIN:
		return get_join(o, ctx);
	case OK_CONCAT:
		return get_concat(o, ctx);
	case OK_GETOPT:
		return get_getopt(o, ctx);
	default: {
		struct operand *k = &o->kids[0];
		size_t n = operand_get(k, ctx);
		if (n == 0) return 0;
		memcpy(o->vals, k->vals, n * sizeof(*o->vals));
		return transform(o->tr, k->flags, o->vals, n, &o->scratch);
	}
	}
}

static int bytes_cmp(const struct sk_value *a, const struct sk_value *b)
{
	uint32_t n = a->str.len < b->str.len ? a->str.len : b->str.len;
	int r = n ? memcmp(a->str.p, b->str.p, n) : 0;
	if (r) return r;
	return a->str.len < b->str.len ? -1 : a->str.len > b->str.len;
}

/* Three-way order of two values of the same class; only for ordered classes. */
static int order(enum sk_tclass tc, const struct sk_value *a, const struct sk_value *b)
{
	switch (tc) {
	case SK_TC_SIGNED: return (a->s64 > b->s64) - (a->s64 < b->s64);
	case SK_TC_UNSIGNED:
	case SK_TC_BOOL: return (a->u64 > b->u64) - (a->u64 < b->u64);
	case SK_TC_DOUBLE: return (a->dbl > b->dbl) - (a->dbl < b->dbl);
	default: return bytes_cmp(a, b);
	}
}

static bool equal(enum sk_tclass tc, const struct sk_value *a, const struct sk_value *b)
{
	switch (tc) {
	case SK_TC_STR:
	case SK_TC_BYTES:
		return a->str.len == b->str.len &&
		       (a->str.len == 0 || memcmp(a->str.p, b->str.p, a->str.len) == 0);
	case SK_TC_IP:
		return a->ip.v6 == b->ip.v6 && memcmp(a->ip.b, b->ip.b, a->ip.v6 ? 16 : 4) == 0;
	case SK_TC_NET:
		return sk_net_contains(b, a);
	default:
		return order(tc, a, b) == 0;
	}
}

static bool ends_with(const struct sk_value *a, const struct sk_value *b)
{
	return a->str.len >= b->str.len &&
	       memcmp(a->str.p + a->str.len - b->str.len, b->str.p, b->str.len) == 0;
}

/* One comparison: a = extracted value, b = literal or rhs field value. */
static bool compare(const struct check *c, const struct sk_value *a, const struct sk_value *b)
{
	switch (c->op) {
	case SK_OP_EQ: return equal(c->tc, a, b);
	case SK_OP_NE: return !equal(c->tc, a, b);
	case SK_OP_LT: return order(c->tc, a, b) < 0;
	case SK_OP_LE: return order(c->tc, a, b) <= 0;
	case SK_OP_GT: return order(c->tc, a, b) > 0;
	case SK_OP_GE: return order(c->tc, a, b) >= 0;
	case SK_OP_CONTAINS:
	case SK_OP_BCONTAINS:
		return b->str.len == 0 || memmem(a->str.p, a->str.len, b->str.p, b->str.len);
	case SK_OP_ICONTAINS:
		return sk_memcasemem(a->str.p, a->str.len, b->str.p, b->str.len) != NULL;
	case SK_OP_STARTSWITH:
	case SK_OP_BSTARTSWITH:
		return a->str.len >= b->str.len && memcmp(a->str.p, b->str.p, b->str.len) == 0;
	case SK_OP_ENDSWITH: return ends_with(a, b);
	case SK_OP_GLOB:
	case SK_OP_IGLOB:
		return sk_glob_match(b->str.p, b->str.len, a->str.p, a->str.len,
				     c->op == SK_OP_IGLOB);
	case SK_OP_REGEX:
		return pcre2_match(c->re, (PCRE2_SPTR)a->str.p, a->str.len, 0, 0, c->md, NULL) >= 0;
	default:
		return false;
	}
}

static bool in_literals(const struct check *c, const struct sk_value *v)
{
	if (c->use_sset) {
		unsigned b = bloom_bit(v->str.p, v->str.len);
		if (!((c->sbloom[b / 64] >> (b % 64)) & 1)) return false;
		return sk_strmap_hasn(&c->sset, v->str.p, v->str.len);
	}
	if (c->use_uset) return sk_u64map_get(&c->uset, v->u64) != NULL;
	for (size_t i = 0; i < c->narr; i++)
		if (equal(c->tc, v, &c->arr[i])) return true;
	return false;
}

static bool in_values(const struct check *c, const struct sk_value *v, const struct sk_value *set,
		      size_t m)
{
	for (size_t i = 0; i < m; i++)
		if (equal(c->tc, v, &set[i])) return true;
	return false;
}

/* `v OP mod (list)`: counts the elements v satisfies OP with, stopping as
 * soon as the answer is known. `= anyof` and `!= allof` are set lookups. */
static bool mod_match(const struct check *c, const struct sk_value *v)
{
	size_t n = c->op == SK_OP_REGEX ? c->nres : c->narr, hits = 0;
	if (n == 0) return false; /* an empty list matches nothing, whatever the modifier */
	bool set = c->use_sset || c->use_uset;
	if (set && c->mod == SK_MOD_ANYOF && c->op == SK_OP_EQ) return in_literals(c, v);
	if (set && c->mod == SK_MOD_ALLOF && c->op == SK_OP_NE) return !in_literals(c, v);
	for (size_t i = 0; i < n; i++) {
		bool m = c->op == SK_OP_REGEX
				 ? pcre2_match(c->res[i], (PCRE2_SPTR)v->str.p, v->str.len, 0, 0, c->md,
					       NULL) >= 0
				 : compare(c, v, &c->arr[i]);
		switch (c->mod) {
		case SK_MOD_ONEOF:
			if (m && ++hits > 1) return false;
			break;
		case SK_MOD_ANYOF:
			if (m) return true;
			break;
		default:
			if (!m) return false;
		}
	}
	return c->mod == SK_MOD_ONEOF ? hits == 1 : c->mod == SK_MOD_ALLOF;
}

static bool eval_check(struct check *c, struct sk_eval_ctx *ctx)
{
	if (c->evt_fast && ctx->ev && !evt_name_dynamic(ctx->ev->type) &&
	    ctx->ev->type < SK_EVENT_MAX) {
		bool hit = (c->evtbits[ctx->ev->type / 64] >> (ctx->ev->type % 64)) & 1;
		return c->op == SK_OP_NE ? !hit : hit;
	}
	size_t n = operand_get(&c->lhs, ctx);
	if (c->op == SK_OP_EXISTS) return n > 0;
	if (n == 0) return false;
	const struct sk_value *lv = c->lhs.vals;
	/* `in` on a list field: every value must be in the set; otherwise any */
	bool all = c->op == SK_OP_IN && (c->lhs.flags & SK_FF_LIST);
	if (c->has_rhs) {
		size_t m = operand_get(&c->rhs, ctx);
		if (m == 0) return false;
		const struct sk_value *rv = c->rhs.vals;
		if (c->op == SK_OP_IN || c->op == SK_OP_INTERSECTS) {
			for (size_t i = 0; i < n; i++) {
				bool hit = in_values(c, &lv[i], rv, m);
				if (all && !hit) return false;
				if (!all && hit) return true;
			}
			return all;
		}
		for (size_t i = 0; i < n; i++)
			if (compare(c, &lv[i], &rv[0])) return true;
		return false;
	}
	if (c->mod) {
		for (size_t i = 0; i < n; i++)
			if (mod_match(c, &lv[i])) return true;
		return false;
	}
	switch (c->op) {
	case SK_OP_IN:
	case SK_OP_INTERSECTS:
		for (size_t i = 0; i < n; i++) {
			bool hit = in_literals(c, &lv[i]);
			if (all && !hit) return false;
			if (!all && hit) return true;
		}
		return all;
	case SK_OP_PMATCH:
		for (size_t i = 0; i < n; i++)
			if (sk_ptrie_match(c->trie, lv[i].str.p, lv[i].str.len)) return true;
		return false;
	default:
		for (size_t i = 0; i < n; i++)
			if (compare(c, &lv[i], &c->lit)) return true;
		return false;
	}
}

static bool eval_node(const struct node *n, struct sk_eval_ctx *ctx)
{
	switch (n->kind) {
	case SK_AST_AND:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (!eval_node(n->kids[i], ctx)) return false;
		return true;
	case SK_AST_OR:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (eval_node(n->kids[i], ctx)) return true;
		return false;
	case SK_AST_NOT:
		return !eval_node(n->kids[0], ctx);
	default:
		return eval_check(n->ck, ctx);
	}
}

bool sk_filter_eval(const struct sk_filter *f, struct sk_eval_ctx *ctx)
{
	return f && f->root && eval_node(f->root, ctx);
}
