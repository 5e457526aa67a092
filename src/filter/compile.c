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
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

#define MAXV 128  /* values of one multi-valued field considered per event */

struct operand {
	struct sk_fieldref *ref;
	uint8_t tr[SK_AST_MAX_TR];  /* in application order (innermost first) */
	uint8_t ntr;
	uint8_t in_type;            /* type before transformers */
	uint32_t in_flags;
	uint8_t type;               /* type after transformers */
	uint32_t flags;
	struct sk_buf scratch[2];   /* transformer output, ping-pong per level */
	struct sk_value *vals;      /* MAXV values, reused per event */
};

struct check {
	/* hot: read first on every evaluation (keep within the first cache line) */
	bool evt_fast;              /* evt.type =/!=/in literal(s): a bit test on the code */
	uint8_t op;
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
	struct sk_value *arr;       /* literal list for linear membership */
	size_t narr;
	struct sk_ptrie *trie;
	pcre2_code *re;
	pcre2_match_data *md;
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
	sk_fieldref_free(o->ref);
	sk_buf_done(&o->scratch[0]);
	sk_buf_done(&o->scratch[1]);
	free(o->vals);
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

static int operand_compile(const struct sk_ast_field *af, enum sk_source src, struct operand *o,
			   struct sk_err *err)
{
	o->ref = sk_fieldref_new(src, af->name, af->arg, err);
	if (!o->ref) {
		if (err) err->col = (int)af->pos + 1;
		return err && err->code ? err->code : -EINVAL;
	}
	sk_buf_init(&o->scratch[0], 1 << 20);
	sk_buf_init(&o->scratch[1], 1 << 20);
	o->vals = calloc(MAXV, sizeof(*o->vals));
	if (!o->vals) return sk_err_set(err, -ENOMEM, "out of memory");
	o->in_type = o->type = sk_fieldref_type(o->ref);
	o->in_flags = o->flags = sk_fieldref_flags(o->ref);
	if (af->ntr && (o->flags & SK_FF_NO_TRANSFORMER))
		return err_at(err, af->pos, -EINVAL, "field '%s' does not accept transformers",
			      sk_fieldref_text(o->ref));
	o->ntr = af->ntr;
	for (unsigned i = 0; i < af->ntr; i++) {
		uint8_t tr = af->tr[af->ntr - 1 - i];
		o->tr[i] = tr;
		enum sk_tclass tc = sk_type_class(o->type);
		bool ok;
		switch (tr) {
		case SK_TR_B64: ok = tc == SK_TC_STR || tc == SK_TC_BYTES; break;
		case SK_TR_LEN: ok = tc == SK_TC_STR || tc == SK_TC_BYTES || (o->flags & SK_FF_LIST); break;
		default: ok = tc == SK_TC_STR; break;
		}
		if (!ok)
			return err_at(err, af->pos, -EINVAL,
				      "transformer %s() cannot be applied to %s field '%s'",
				      sk_filter_tr_name(tr), type_name(o->type), sk_fieldref_text(o->ref));
		if (tr == SK_TR_LEN) {
			o->type = SK_PT_UINT64;
			o->flags &= ~(uint32_t)SK_FF_LIST;
		}
	}
	return 0;
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
			      type_name(c->lhs.type), sk_fieldref_text(c->lhs.ref));
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
 * which is how a misspelt or unexpanded list name surfaces at load. */
static int check_evt_type_values(const struct sk_ast_check *ac, enum sk_source src,
				 struct sk_err *err)
{
	if (src != SK_SRC_SYSCALL || strcmp(ac->lhs.name, "evt.type") != 0 || ac->lhs.ntr ||
	    ac->lhs.arg)
		return 0;
	if (ac->op != SK_OP_EQ && ac->op != SK_OP_NE && ac->op != SK_OP_IN &&
	    ac->op != SK_OP_INTERSECTS)
		return 0;
	if (ac->rhs != SK_RHS_VALUE && ac->rhs != SK_RHS_LIST && ac->rhs != SK_RHS_LISTREF)
		return 0;
	for (uint32_t i = 0; i < ac->nvals; i++)
		if (!evt_type_known(ac->vals[i].text))
			return err_at(err, ac->vals[i].pos, -EINVAL, "unknown event type %s",
				      ac->vals[i].text);
	return 0;
}

static int check_compile(const struct sk_ast *a, enum sk_source src, struct check **out,
			 struct sk_err *err)
{
	const struct sk_ast_check *ac = &a->u.check;
	struct check *c = calloc(1, sizeof(*c));
	if (!c) return sk_err_set(err, -ENOMEM, "out of memory");
	*out = c;
	c->op = ac->op;
	int r = operand_compile(&ac->lhs, src, &c->lhs, err);
	if (r < 0) return r;
	c->tc = (uint8_t)sk_type_class(c->lhs.type);
	bool list = c->lhs.flags & SK_FF_LIST;
	const char *fname = sk_fieldref_text(c->lhs.ref);
	if (!op_allowed(c->op, c->tc, list))
		return err_at(err, ac->op_pos, -EINVAL,
			      "operator '%s' cannot be used with %s%s field '%s'", sk_op_name(c->op),
			      list ? "list " : "", type_name(c->lhs.type), fname);
	if (ac->lhs.ntr == 0 && (c->lhs.flags & SK_FF_PRINT_ONLY))
		return err_at(err, ac->lhs.pos, -EINVAL, "field '%s' cannot be used in conditions",
			      fname);
	r = check_evt_type_values(ac, src, err);
	if (r < 0) return r;
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
		r = operand_compile(&ac->rfield, src, &c->rhs, err);
		if (r < 0) return r;
		c->has_rhs = true;
		if ((c->lhs.in_flags | c->rhs.in_flags) & SK_FF_NO_RHS)
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "field '%s' cannot be compared with another field",
				      (c->lhs.in_flags & SK_FF_NO_RHS) ? fname
								     : sk_fieldref_text(c->rhs.ref));
		if (c->tc == SK_TC_NET)
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "ip network field '%s' cannot be compared with a field", fname);
		bool rlist = c->rhs.flags & SK_FF_LIST;
		if (c->rhs.type != c->lhs.type || (rlist != list && c->op != SK_OP_IN &&
						   c->op != SK_OP_INTERSECTS))
			return err_at(err, ac->rfield.pos, -EINVAL,
				      "fields '%s' and '%s' have different types", fname,
				      sk_fieldref_text(c->rhs.ref));
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
		if (c->tc == SK_TC_STR && (c->op == SK_OP_LT || c->op == SK_OP_LE ||
					   c->op == SK_OP_GT || c->op == SK_OP_GE)) {
			/* strcmp order against the literal text */
		}
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
	if (src != SK_SRC_SYSCALL || c->has_rhs || c->lhs.ntr ||
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

static int node_compile(const struct sk_ast *a, enum sk_source src, struct node **out,
			struct sk_err *err)
{
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
			int r = node_compile(a->kids[i], src, &n->kids[i], err);
			if (r < 0) return r;
		}
		return 0;
	case SK_AST_CHECK: {
		int r = check_compile(a, src, &n->ck, err);
		if (r == 0) fast_paths(n->ck, src);
		return r;
	}
	case SK_AST_IDENT:
		return err_at(err, a->pos, -ENOENT, "Undefined macro '%s' used in filter",
			      a->u.ident);
	default:
		return err_at(err, a->pos, -EINVAL, "malformed condition");
	}
}

struct sk_filter *sk_filter_compile(const struct sk_ast *a, enum sk_source src,
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
	if (node_compile(a, src, &f->root, err) < 0) {
		sk_filter_free(f);
		return NULL;
	}
	return f;
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

static size_t operand_get(struct operand *o, struct sk_eval_ctx *ctx)
{
	size_t n = sk_fieldref_extract(o->ref, ctx, o->vals, MAXV);
	uint32_t flags = o->in_flags;
	for (unsigned i = 0; i < o->ntr && n > 0; i++) {
		n = transform(o->tr[i], flags, o->vals, n, &o->scratch[i & 1]);
		if (o->tr[i] == SK_TR_LEN) flags &= ~(uint32_t)SK_FF_LIST;
	}
	return n;
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
