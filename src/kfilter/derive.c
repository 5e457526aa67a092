/* derive.c — from the enabled syscall rules to the kernel filter's
 * predicates (see kfilter.h): the fd-table safety check, the translation of
 * each condition into an over-approximating OR of ANDs of the atoms the probe
 * evaluates, and the predicate and path entries built from it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "kfilter/kfilter.h"
#include "rules/rules.h"

/* Working bound on the terms of one translation (the probe takes SK_KF_TERMS). */
#define MAXT 64
/* Event codes filtered: open_x, openat_x (current), openat2_x. */
static const uint16_t filtered_codes[] = {3, 307, 327};
#define CLOSE_X 5 /* close exit */

#define PPM_O_RDONLY 1u
#define PPM_O_WRONLY 2u
#define PPM_O_F_CREATED 16384u
/* Open flag bits the probe knows at exit (xf_open + O_F_CREATED). */
#define KERNEL_FLAG_BITS 0x7fffu

/* A set of paths: exact names, directory prefixes (ending in '/'), file names. */
struct pathset {
	const char **v[3];
	size_t n[3];
};
enum { PS_EXACT = 0, PS_PREFIX = 1, PS_BASE = 2 };

struct term {
	uint8_t res;                 /* enum sk_kf_res */
	uint8_t dotdot;
	uint32_t any[2], none;
	struct pathset *ps;          /* NULL: no path constraint */
};

/* An OR of terms; `all` = true (no constraint); !all && n == 0 = false. */
struct dnf {
	bool all;
	struct term *t;
	size_t n;
};

struct ctx {
	struct sk_arena a;
	uint16_t code;               /* event type being translated */
	bool oom;
};

static struct dnf d_true(void) { return (struct dnf){.all = true}; }
static struct dnf d_false(void) { return (struct dnf){0}; }

static struct dnf d_term(struct ctx *c, struct term t)
{
	struct term *p = sk_arena_alloc(&c->a, sizeof(*p));
	if (!p) {
		c->oom = true;
		return d_true();
	}
	*p = t;
	return (struct dnf){.t = p, .n = 1};
}

static struct dnf d_or(struct ctx *c, struct dnf x, struct dnf y)
{
	if (x.all || y.all || x.n + y.n > MAXT)
		return d_true();
	if (!x.n)
		return y;
	if (!y.n)
		return x;
	struct term *p = sk_arena_alloc(&c->a, (x.n + y.n) * sizeof(*p));
	if (!p) {
		c->oom = true;
		return d_true();
	}
	memcpy(p, x.t, x.n * sizeof(*p));
	memcpy(p + x.n, y.t, y.n * sizeof(*p));
	return (struct dnf){.t = p, .n = x.n + y.n};
}

/* x AND y as one term; false when they contradict. Keeping fewer
 * constraints than both carry is always sound (the result only grows). */
static bool term_and(const struct term *x, const struct term *y, struct term *out)
{
	*out = *x;
	if (x->res && y->res && x->res != y->res)
		return false;
	out->res = x->res ? x->res : y->res;
	out->none = x->none | y->none;
	size_t k = 0;
	uint32_t any[4] = {x->any[0], x->any[1], y->any[0], y->any[1]};
	out->any[0] = out->any[1] = 0;
	for (size_t i = 0; i < 4; i++) {
		if (!any[i])
			continue;
		if (!(any[i] & ~out->none))
			return false;
		if (k < 2)
			out->any[k++] = any[i];
	}
	out->dotdot = x->dotdot | y->dotdot;
	out->ps = x->ps ? x->ps : y->ps;
	return true;
}

static struct dnf d_and(struct ctx *c, struct dnf x, struct dnf y)
{
	if (x.all)
		return y;
	if (y.all)
		return x;
	if (!x.n || !y.n)
		return d_false();
	if (x.n * y.n > MAXT)
		return x.n <= y.n ? x : y; /* dropping a conjunct over-approximates */
	struct term *p = sk_arena_alloc(&c->a, x.n * y.n * sizeof(*p));
	if (!p) {
		c->oom = true;
		return d_true();
	}
	size_t n = 0;
	for (size_t i = 0; i < x.n; i++)
		for (size_t j = 0; j < y.n; j++)
			if (term_and(&x.t[i], &y.t[j], &p[n]))
				n++;
	return (struct dnf){.t = p, .n = n};
}

/* ---- atoms ----------------------------------------------------------------- */

static struct dnf d_const(bool v) { return v ? d_true() : d_false(); }

/* A clean absolute path (kfilter.h): what fd.name is for such a raw path. */
static bool clean_path(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n >= SK_KF_PATH_MAX || s[0] != '/' || s[n - 1] == '/')
		return false;
	const char *p = s + 1;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!e)
			return true;
		p = e + 1;
	}
}

static bool ps_add(struct ctx *c, struct pathset *ps, int kind, const char *s, size_t n)
{
	for (size_t i = 0; i < ps->n[kind]; i++)
		if (strlen(ps->v[kind][i]) == n && !memcmp(ps->v[kind][i], s, n))
			return true;
	const char **v = sk_arena_alloc(&c->a, (ps->n[kind] + 1) * sizeof(*v));
	char *d = sk_arena_strndup(&c->a, s, n);
	if (!v || !d) {
		c->oom = true;
		return false;
	}
	if (ps->n[kind])
		memcpy(v, ps->v[kind], ps->n[kind] * sizeof(*v));
	v[ps->n[kind]++] = d;
	ps->v[kind] = v;
	return true;
}

/* Adds the prefix of s up to its last '/' (at most SK_KF_DEPTH_MAX of them). */
static bool ps_add_prefix(struct ctx *c, struct pathset *ps, const char *s)
{
	size_t end = 0, depth = 0;
	for (size_t i = 0; s[i]; i++)
		if (s[i] == '/') {
			if (++depth > SK_KF_DEPTH_MAX)
				break;
			end = i + 1;
		}
	if (end == 0 || end >= SK_KF_PATH_MAX)
		return false;
	return ps_add(c, ps, PS_PREFIX, s, end);
}

static const struct sk_ast_value *rhs_vals(const struct sk_ast_check *k, uint32_t *n)
{
	if (k->rhs == SK_RHS_VALUE) {
		*n = 1;
		return k->vals;
	}
	if (k->rhs == SK_RHS_LIST) {
		*n = k->nvals;
		return k->vals;
	}
	*n = 0;
	return NULL;
}

/* Path atoms: fd.name (fd.name is the raw path for clean paths), the raw
 * path (evt.arg.name, fd.nameraw), fd.directory, fd.filename. Positive
 * polarity only: the hash sets cannot say "not in". */
static struct dnf atom_path(struct ctx *c, const char *f, const struct sk_ast_check *k)
{
	bool raw = !strcmp(f, "fd.nameraw") || !strcmp(f, "evt.arg.name");
	bool name = raw || !strcmp(f, "fd.name");
	uint32_t nv;
	const struct sk_ast_value *v = rhs_vals(k, &nv);
	if (raw && k->op == SK_OP_CONTAINS && k->rhs == SK_RHS_VALUE && strstr(v[0].text, "../"))
		return d_term(c, (struct term){.dotdot = 1});
	if (!v)
		return d_true();
	struct pathset *ps = sk_arena_alloc(&c->a, sizeof(*ps));
	if (!ps) {
		c->oom = true;
		return d_true();
	}
	for (uint32_t i = 0; i < nv; i++) {
		const char *s = v[i].text;
		if (name && (k->op == SK_OP_EQ || k->op == SK_OP_IN)) {
			/* a literal that is not clean never equals a clean path */
			if (clean_path(s))
				ps_add(c, ps, PS_EXACT, s, strlen(s));
		} else if (name && (k->op == SK_OP_STARTSWITH || k->op == SK_OP_PMATCH)) {
			if (s[0] != '/')
				return d_true();
			size_t l = strlen(s);
			if (k->op == SK_OP_PMATCH && clean_path(s) && l + 1 < SK_KF_PATH_MAX) {
				/* pmatch: the path itself or anything below it */
				char buf[SK_KF_PATH_MAX + 1];
				memcpy(buf, s, l);
				buf[l] = '/';
				buf[l + 1] = 0;
				ps_add(c, ps, PS_EXACT, s, l);
				if (!ps_add_prefix(c, ps, buf))
					return d_true();
			} else if (!ps_add_prefix(c, ps, s)) {
				return d_true();
			}
		} else if (!strcmp(f, "fd.directory") && (k->op == SK_OP_EQ || k->op == SK_OP_IN)) {
			size_t l = strlen(s);
			if (l == 1 && s[0] == '/')
				return d_true();
			if (!clean_path(s) || l + 1 >= SK_KF_PATH_MAX)
				continue;
			char buf[SK_KF_PATH_MAX + 1];
			memcpy(buf, s, l);
			buf[l] = '/';
			buf[l + 1] = 0;
			if (!ps_add_prefix(c, ps, buf))
				return d_true();
		} else if (!strcmp(f, "fd.filename") && (k->op == SK_OP_EQ || k->op == SK_OP_IN)) {
			if (s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."))
				ps_add(c, ps, PS_BASE, s, strlen(s));
		} else {
			return d_true();
		}
	}
	return d_term(c, (struct term){.ps = ps});
}

/* The open flags a `contains` value names, when that is exact: every name
 * of the file_flags table holding the text is one bit the probe knows. */
static bool flags_mask(const char *text, uint32_t *mask)
{
	const struct sk_flag_table *t = sk_flag_table_find("file_flags");
	if (!t || !text[0] || strchr(text, '|'))
		return false;
	*mask = 0;
	for (uint16_t i = 0; i < t->count; i++) {
		uint32_t v = t->names[i].value;
		if (!strstr(t->names[i].name, text))
			continue;
		if (v < 4 || (v & (v - 1)) || !(v & KERNEL_FLAG_BITS))
			return false;
		*mask |= v;
	}
	return true;
}

/* Result atoms: what the comparison says about the sign of the result. */
static struct dnf atom_res_num(struct ctx *c, const struct sk_ast_check *k)
{
	uint32_t nv;
	const struct sk_ast_value *v = rhs_vals(k, &nv);
	if (!v || !nv)
		return d_true();
	bool all_ok = true, all_fail = true;
	for (uint32_t i = 0; i < nv; i++) {
		char *e;
		long long x = strtoll(v[i].text, &e, 10);
		if (*e || e == v[i].text)
			return d_true();
		bool ok, fail;
		switch (k->op) {
		case SK_OP_EQ: case SK_OP_IN: ok = x >= 0; fail = x < 0; break;
		case SK_OP_GE: ok = x >= 0; fail = false; break;
		case SK_OP_GT: ok = x >= -1; fail = false; break;
		case SK_OP_LT: ok = false; fail = x <= 0; break;
		case SK_OP_LE: ok = false; fail = x < 0; break;
		default: return d_true();
		}
		all_ok &= ok;
		all_fail &= fail;
	}
	if (all_ok)
		return d_term(c, (struct term){.res = SK_KF_RES_OK});
	if (all_fail)
		return d_term(c, (struct term){.res = SK_KF_RES_FAIL});
	return d_true();
}

static struct dnf res_term(struct ctx *c, bool ok)
{
	return d_term(c, (struct term){.res = ok ? SK_KF_RES_OK : SK_KF_RES_FAIL});
}

static struct dnf flags_term(struct ctx *c, uint32_t m, bool any)
{
	return any ? d_term(c, (struct term){.any = {m, 0}}) : d_term(c, (struct term){.none = m});
}

/* One comparison, for the event type c->code, in polarity pos. */
static struct dnf atom(struct ctx *c, const struct sk_ast_check *k, bool pos)
{
	if (k->lhs.kind != SK_OPND_FIELD || k->lhs.arg || k->mod != SK_MOD_NONE ||
	    k->rhs == SK_RHS_FIELD || k->rhs == SK_RHS_LISTREF)
		return d_true();
	const char *f = k->lhs.name;
	uint32_t nv;
	const struct sk_ast_value *v = rhs_vals(k, &nv);
	if (!strcmp(f, "evt.type") && v &&
	    (k->op == SK_OP_EQ || k->op == SK_OP_NE || k->op == SK_OP_IN)) {
		bool in = false;
		for (uint32_t i = 0; i < nv; i++)
			in |= !strcmp(v[i].text, sk_event_table[c->code].name);
		bool r = k->op == SK_OP_NE ? !in : in;
		return d_const(pos ? r : !r);
	}
	if ((!strcmp(f, "evt.is_open_read") || !strcmp(f, "evt.is_open_write") ||
	     !strcmp(f, "evt.is_open_create")) &&
	    k->rhs == SK_RHS_VALUE && (k->op == SK_OP_EQ || k->op == SK_OP_NE)) {
		uint32_t m = f[12] == 'r' ? PPM_O_RDONLY : f[12] == 'w' ? PPM_O_WRONLY : PPM_O_F_CREATED;
		const char *t = v[0].text;
		bool val;
		if (!strcmp(t, "true"))
			val = true;
		else if (!strcmp(t, "false"))
			val = false;
		else
			return d_true();
		bool any = (k->op == SK_OP_EQ) == val;
		return flags_term(c, m, pos ? any : !any);
	}
	if (!strcmp(f, "evt.arg.flags") && k->op == SK_OP_CONTAINS && k->rhs == SK_RHS_VALUE) {
		uint32_t m;
		if (!flags_mask(v[0].text, &m))
			return d_true();
		if (!m)
			return d_const(!pos);
		return flags_term(c, m, pos);
	}
	if (!pos)
		return d_true();
	if (!strcmp(f, "fd.num") || !strcmp(f, "evt.rawres"))
		return atom_res_num(c, k);
	if (!strcmp(f, "evt.res") && k->rhs == SK_RHS_VALUE) {
		const char *t = v[0].text;
		if (k->op == SK_OP_EQ && !strcmp(t, "SUCCESS"))
			return res_term(c, true);
		if (k->op == SK_OP_NE && !strcmp(t, "SUCCESS"))
			return res_term(c, false);
		if ((k->op == SK_OP_EQ || k->op == SK_OP_STARTSWITH) && t[0] == 'E')
			return res_term(c, false);
		return d_true();
	}
	if (!strcmp(f, "evt.failed") && k->rhs == SK_RHS_VALUE && k->op == SK_OP_EQ) {
		if (!strcmp(v[0].text, "true"))
			return res_term(c, false);
		if (!strcmp(v[0].text, "false"))
			return res_term(c, true);
		return d_true();
	}
	if (!strcmp(f, "fd.name") || !strcmp(f, "fd.nameraw") || !strcmp(f, "evt.arg.name") ||
	    !strcmp(f, "fd.directory") || !strcmp(f, "fd.filename"))
		return atom_path(c, f, k);
	return d_true();
}

/* The condition in polarity pos (negations pushed to the atoms). */
static struct dnf xlate(struct ctx *c, const struct sk_ast *a, bool pos)
{
	switch (a->kind) {
	case SK_AST_NOT:
		return xlate(c, a->kids[0], !pos);
	case SK_AST_AND:
	case SK_AST_OR: {
		bool conj = (a->kind == SK_AST_AND) == pos;
		struct dnf r = conj ? d_true() : d_false();
		for (uint32_t i = 0; i < a->nkids; i++) {
			struct dnf k = xlate(c, a->kids[i], pos);
			r = conj ? d_and(c, r, k) : d_or(c, r, k);
			if (!conj && r.all)
				break;
		}
		return r;
	}
	case SK_AST_CHECK:
		return atom(c, &a->u.check, pos);
	default:
		return d_true();
	}
}

/* ---- the fd-table safety check ------------------------------------------------
 * Dropping a successful open leaves its fd unknown to user space. That can
 * change what a rule sees only through an event that names an existing fd
 * (dup, close, connect, read, fchdir...) or through fields that walk the
 * whole table. Directories are never dropped (dirfds, fchdir), so the fd at
 * stake is a regular file: either known as a file or unknown. A rule on such
 * an event is harmless when it reads no fd-dependent field (condition and
 * output) or when its condition is false both for a file and for an unknown
 * fd (e.g. `fd.type in (ipv4, ipv6)`). */

/* Three-valued result of a condition with the event's fd a file or unknown. */
enum tv { TV_FALSE, TV_TRUE, TV_UNKNOWN };

static enum tv tv_not(enum tv v) { return v == TV_UNKNOWN ? v : v == TV_TRUE ? TV_FALSE : TV_TRUE; }

/* Socket-end fields: no value for a regular file (fields_fd.c) nor for an
 * unknown fd, so any comparison on them is false in both cases. */
static const char *const net_fields[] = {
	"fd.ip", "fd.net", "fd.cip", "fd.cnet", "fd.sip", "fd.snet", "fd.lip", "fd.lnet",
	"fd.rip", "fd.rnet", "fd.port", "fd.proto", "fd.cport", "fd.sport", "fd.sproto",
	"fd.lport", "fd.rport", "fd.lproto", "fd.rproto", "fd.sockfamily",
};

static enum tv fd_atom(const struct sk_ast_check *k, uint16_t code)
{
	if (k->lhs.kind != SK_OPND_FIELD || k->mod != SK_MOD_NONE)
		return TV_UNKNOWN;
	const char *f = k->lhs.name;
	uint32_t nv;
	const struct sk_ast_value *v = rhs_vals(k, &nv);
	bool in = false;
	if (k->lhs.kind == SK_OPND_FIELD && !k->lhs.arg && k->rhs != SK_RHS_FIELD) {
		for (size_t i = 0; i < SK_ARRAY_LEN(net_fields); i++)
			if (!strcmp(f, net_fields[i]))
				return TV_FALSE; /* any operator, exists too: no value */
	}
	if (!v || (k->op != SK_OP_EQ && k->op != SK_OP_IN && k->op != SK_OP_NE))
		return TV_UNKNOWN;
	if (!strcmp(f, "evt.type")) {
		for (uint32_t i = 0; i < nv; i++)
			in |= !strcmp(v[i].text, sk_event_table[code].name);
		return (k->op == SK_OP_NE) != in ? TV_TRUE : TV_FALSE;
	}
	const char *file;
	if (!strcmp(f, "fd.type"))
		file = "file";
	else if (!strcmp(f, "fd.typechar"))
		file = "f";
	else
		return TV_UNKNOWN;
	if (k->op == SK_OP_NE)
		return TV_UNKNOWN; /* true for a file unless the value is "file" */
	for (uint32_t i = 0; i < nv; i++)
		in |= !strcmp(v[i].text, file);
	/* a file: in the set or not; an unknown fd: no value, the check is false */
	return in ? TV_UNKNOWN : TV_FALSE;
}

/* The three-valued value of condition `a` for event type `code`, its
 * comparisons judged by `atom`. */
static enum tv tv_eval(const struct sk_ast *a, uint16_t code,
		       enum tv (*atom)(const struct sk_ast_check *k, uint16_t code))
{
	switch (a->kind) {
	case SK_AST_NOT:
		return tv_not(tv_eval(a->kids[0], code, atom));
	case SK_AST_AND: {
		enum tv r = TV_TRUE;
		for (uint32_t i = 0; i < a->nkids && r != TV_FALSE; i++) {
			enum tv k = tv_eval(a->kids[i], code, atom);
			r = k == TV_FALSE ? TV_FALSE : k == TV_UNKNOWN ? TV_UNKNOWN : r;
		}
		return r;
	}
	case SK_AST_OR: {
		enum tv r = TV_FALSE;
		for (uint32_t i = 0; i < a->nkids && r != TV_TRUE; i++) {
			enum tv k = tv_eval(a->kids[i], code, atom);
			r = k == TV_TRUE ? TV_TRUE : k == TV_UNKNOWN ? TV_UNKNOWN : r;
		}
		return r;
	}
	case SK_AST_CHECK:
		return atom(&a->u.check, code);
	default:
		return TV_UNKNOWN;
	}
}

/* Param j of an exit event names an existing fd: an FD param other than
 * the result (param 0) and other than a dirfd (a directory is never dropped;
 * a regular file given as a dirfd fails with ENOTDIR). */
static bool consumer_param(const struct sk_event_info *i, unsigned j)
{
	if (j == 0 || j >= i->nparams || i->params[j].type != SK_PT_FD)
		return false;
	for (unsigned k = 0; k < i->nparams; k++)
		if (i->params[k].dirfd == (int)j)
			return false;
	return true;
}

/* Event types that name an existing fd (their fd entries are read). Socket
 * calls are left out: given a regular file they fail with ENOTSOCK and do
 * nothing, so the only difference a dropped open makes there is in the
 * fd fields of a failed call on a non-socket (see docs/live-capture.md). */
static bool reads_fd(uint16_t code)
{
	const struct sk_event_info *i = &sk_event_table[code];
	/* only what the probe produces: current exit events (older layouts and
	 * enter events come from old captures, whose opens are not filtered) */
	if (!(code & 1) || (i->flags & SK_EF_OLD_VERSION) || (i->category & 0xff) == SK_EC_NET)
		return false;
	for (size_t k = 0; k < SK_ARRAY_LEN(filtered_codes); k++)
		if (!strcmp(i->name, sk_event_table[filtered_codes[k]].name))
			return false; /* the filtered types themselves: their own fd */
	for (unsigned j = 1; j < i->nparams; j++)
		if (consumer_param(i, j))
			return true;
	return false;
}

/* The fields a rule reads (condition and output), as written. */
#define MAXF 128
struct fieldscan {
	const char *name[MAXF];
	size_t len[MAXF];
	size_t n;
	bool overflow;
	bool table;                  /* reads the whole fd table */
};

/* Fields that read the whole fd table of the process. */
static bool table_field(const char *s, size_t n)
{
	return (n == 8 && !strncmp(s, "fd.types", 8)) || (n == 16 && !strncmp(s, "proc.fdopencount", 16)) ||
	       (n == 12 && !strncmp(s, "proc.fdusage", 12));
}

static void scan_name(struct fieldscan *fs, const char *s, size_t n)
{
	fs->table |= table_field(s, n);
	if (fs->n == MAXF) {
		fs->overflow = true;
		return;
	}
	fs->name[fs->n] = s;
	fs->len[fs->n++] = n;
}

/* Does field s[0..n) depend on an fd of an event of type code? */
static bool fd_field(const char *s, size_t n, uint16_t code)
{
	const struct sk_event_info *i = &sk_event_table[code];
	if ((n >= 3 && !strncmp(s, "fd.", 3)) || (n >= 7 && !strncmp(s, "fdlist.", 7)) ||
	    (n == 8 && !strncmp(s, "evt.args", 8)) || (n >= 8 && !strncmp(s, "evt.info", 8)))
		return true;
	if (n > 8 && !strncmp(s, "evt.arg.", 8)) {
		for (unsigned j = 0; j < i->nparams; j++)
			if (strlen(i->params[j].name) == n - 8 && !strncmp(i->params[j].name, s + 8, n - 8))
				return consumer_param(i, j);
		return false;
	}
	if (n == 7 && !strncmp(s, "evt.arg", 7))
		return true; /* evt.arg[N]: some param, maybe an fd */
	return false;
}

static size_t field_len(const char *s)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9') || s[n] == '.' || s[n] == '_')
		n++;
	return n;
}

static void scan_opnd(struct fieldscan *fs, const struct sk_ast_field *f)
{
	if (f->kind == SK_OPND_FIELD && f->name)
		scan_name(fs, f->name, strlen(f->name));
	for (uint32_t i = 0; i < f->nargs; i++)
		scan_opnd(fs, &f->args[i]);
}

static bool scan_node(const struct sk_ast *n, void *ctx)
{
	if (n->kind == SK_AST_CHECK) {
		scan_opnd(ctx, &n->u.check.lhs);
		if (n->u.check.rhs == SK_RHS_FIELD)
			scan_opnd(ctx, &n->u.check.rfield);
	}
	return true;
}

/* %field tokens of an output format (a superset is fine: only a yes/no). */
static void scan_output(struct fieldscan *fs, const char *out)
{
	for (const char *p = out ? strchr(out, '%') : NULL; p; p = strchr(p + 1, '%')) {
		const char *s = p + 1;
		if (*s == '(')
			s++;
		size_t n = field_len(s);
		if (n)
			scan_name(fs, s, n);
	}
}

static bool reads_fd_fields(const struct fieldscan *fs, uint16_t code)
{
	if (fs->overflow)
		return true;
	for (size_t i = 0; i < fs->n; i++)
		if (fd_field(fs->name[i], fs->len[i], code))
			return true;
	return false;
}

/* Returns NULL when no enabled rule can see a dropped regular file's fd, else
 * the name of the first rule that could (why nothing is filtered). */
static const char *fd_unsafe(const struct sk_rules *r, struct sk_err *err, bool *oom)
{
	for (size_t i = 0; i < sk_rules_count(r); i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || (ru->source && strcmp(ru->source, "syscall")))
			continue;
		struct fieldscan fs = {0};
		struct sk_ast *a = ru->cond_compiled ? sk_filter_parse(ru->cond_compiled, err) : NULL;
		if (!a) {
			if (err->code == -ENOMEM)
				*oom = true;
			return ru->name;
		}
		sk_ast_visit(a, scan_node, &fs);
		scan_output(&fs, ru->output);
		const char *bad = NULL;
		if (fs.table)
			bad = ru->name;
		for (uint16_t c = 0; !bad && c < SK_EVENT_MAX; c++) {
			bool has = ru->all_evttypes;
			for (size_t k = 0; !has && k < ru->nevttypes; k++)
				has = ru->evttypes[k] == c;
			if (has && reads_fd(c) && reads_fd_fields(&fs, c) && tv_eval(a, c, fd_atom) != TV_FALSE)
				bad = ru->name;
		}
		sk_ast_free(a);
		if (bad)
			return bad;
	}
	return NULL;
}

/* ---- sends and receives on connected TCP sockets ------------------------------
 * For a TCP socket past its handshake, a send or receive changes nothing in
 * the state (its tuple, role and connected flag came with its connect or
 * accept), so such an event matters only to a rule that can match it. A
 * rule of the type is harmless when its condition is false for any TCP
 * socket: e.g. Falco's `outbound` macro takes sendto and sendmsg only with
 * `fd.l4proto != tcp`. */

static bool has_val(const struct sk_ast_value *v, uint32_t n, const char *s)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(v[i].text, s))
			return true;
	return false;
}

/* `=`/`in` true when the set has every value the field can take (`a`, and
 * `b` when not NULL), false when it has none, else unknown; `!=` the reverse
 * for a single value. */
static enum tv tv_among(const struct sk_ast_check *k, const struct sk_ast_value *v, uint32_t n,
			const char *a, const char *b)
{
	bool ha = has_val(v, n, a), hb = b && has_val(v, n, b);
	enum tv in = ha && (!b || hb) ? TV_TRUE : !ha && !hb ? TV_FALSE : TV_UNKNOWN;
	return k->op == SK_OP_NE ? tv_not(in) : in;
}

static enum tv tcp_atom(const struct sk_ast_check *k, uint16_t code)
{
	if (k->lhs.kind != SK_OPND_FIELD || k->mod != SK_MOD_NONE || k->lhs.arg ||
	    k->rhs == SK_RHS_FIELD)
		return TV_UNKNOWN;
	const char *f = k->lhs.name;
	uint32_t nv;
	const struct sk_ast_value *v = rhs_vals(k, &nv);
	if (!v || (k->op != SK_OP_EQ && k->op != SK_OP_IN && k->op != SK_OP_NE))
		return TV_UNKNOWN;
	if (k->op == SK_OP_NE && nv != 1)
		return TV_UNKNOWN;
	if (!strcmp(f, "evt.type"))
		return tv_among(k, v, nv, sk_event_table[code].name, NULL);
	if (!strcmp(f, "fd.l4proto"))
		return tv_among(k, v, nv, "tcp", NULL);
	if (!strcmp(f, "fd.sockfamily"))
		return tv_among(k, v, nv, "ip", NULL);
	if (!strcmp(f, "fd.type"))
		return tv_among(k, v, nv, "ipv4", "ipv6");
	if (!strcmp(f, "fd.typechar"))
		return tv_among(k, v, nv, "4", "6");
	return TV_UNKNOWN;
}

static bool rule_has(const struct sk_rule *ru, uint16_t code);

/* NULL when no enabled syscall rule can match `code` on a connected TCP
 * socket, else the first rule that could. */
static const char *stream_rule(const struct sk_rules *r, uint16_t code, struct sk_err *err,
			       bool *oom)
{
	for (size_t i = 0; i < sk_rules_count(r); i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || (ru->source && strcmp(ru->source, "syscall")) ||
		    !rule_has(ru, code))
			continue;
		struct sk_ast *a = ru->cond_compiled ? sk_filter_parse(ru->cond_compiled, err) : NULL;
		if (!a) {
			if (err->code == -ENOMEM)
				*oom = true;
			return ru->name;
		}
		enum tv v = tv_eval(a, code, tcp_atom);
		sk_ast_free(a);
		if (v != TV_FALSE)
			return ru->name;
	}
	return NULL;
}

/* The stream predicates: one per send/receive type no rule needs on TCP. */
static int derive_streams(const struct sk_rules *r, struct sk_kf_set *k, size_t *nf,
			  struct sk_buf *summary, struct sk_err *err)
{
	int prc = 0;
	const char *sep = summary && summary->len ? "; " : "";
	for (uint16_t code = 0; code < SK_EVENT_MAX; code++) {
		if (!sk_kf_stream_code(code))
			continue;
		struct sk_err perr;
		sk_err_clear(&perr);
		bool oom = false;
		const char *bad = stream_rule(r, code, &perr, &oom);
		if (oom)
			return sk_err_set(err, -ENOMEM, "out of memory");
		const char *name = sk_event_table[code].name;
		if (bad) {
			if (summary)
				prc |= sk_buf_printf(summary, "%s%s: none (rule '%s' may match it on TCP)",
						    sep, name, bad);
		} else {
			k->pred[code] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_STREAM};
			(*nf)++;
			if (summary)
				prc |= sk_buf_printf(summary, "%s%s: on connected TCP sockets", sep, name);
		}
		sep = "; ";
	}
	(void)prc;
	return 0;
}

/* ---- predicates ---------------------------------------------------------------- */

static bool rule_has(const struct sk_rule *ru, uint16_t code)
{
	if (ru->all_evttypes)
		return true;
	for (size_t k = 0; k < ru->nevttypes; k++)
		if (ru->evttypes[k] == code)
			return true;
	return false;
}

/* The OR of the enabled rules' translations for c->code. */
static struct dnf derive_code(struct ctx *c, const struct sk_rules *r, struct sk_err *err)
{
	struct dnf d = d_false();
	for (size_t i = 0; i < sk_rules_count(r) && !d.all; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || (ru->source && strcmp(ru->source, "syscall")) ||
		    !rule_has(ru, c->code))
			continue;
		struct sk_ast *a = ru->cond_compiled ? sk_filter_parse(ru->cond_compiled, err) : NULL;
		if (!a)
			return d_true();
		d = d_or(c, d, xlate(c, a, true));
		sk_ast_free(a);
	}
	return d;
}

/* x implies y when y's constraints are a subset of x's (y has no path atoms). */
static bool implies(const struct term *x, const struct term *y)
{
	if (y->ps || (y->dotdot && !x->dotdot) || (y->res && y->res != x->res) ||
	    (y->none & ~x->none))
		return false;
	for (int k = 0; k < 2; k++)
		if (y->any[k] && y->any[k] != x->any[0] && y->any[k] != x->any[1])
			return false;
	return true;
}

/* Terms with the same cheap atoms merge into one with the union of their
 * path sets (a term without one absorbs the other's); then, if there are
 * still too many, the filter is given up for the type (true). */
static struct dnf compact(struct ctx *c, struct dnf d)
{
	if (d.all)
		return d;
	size_t w = 0;
	for (size_t i = 0; i < d.n; i++) {
		struct term *t = &d.t[i];
		size_t j = 0;
		for (; j < w; j++) {
			struct term *u = &d.t[j];
			if (u->res != t->res || u->dotdot != t->dotdot || u->none != t->none ||
			    u->any[0] != t->any[0] || u->any[1] != t->any[1])
				continue;
			if (!u->ps || !t->ps) {
				u->ps = NULL;
			} else if (u->ps != t->ps) {
				struct pathset *m = sk_arena_alloc(&c->a, sizeof(*m));
				if (!m) {
					c->oom = true;
					return d_true();
				}
				for (int k = 0; k < 3; k++)
					for (int s = 0; s < 2; s++) {
						const struct pathset *src = s ? t->ps : u->ps;
						for (size_t e = 0; e < src->n[k]; e++)
							ps_add(c, m, k, src->v[k][e], strlen(src->v[k][e]));
					}
				u->ps = m;
			}
			break;
		}
		if (j == w)
			d.t[w++] = *t;
	}
	d.n = w;
	/* drop a term that implies another one (it adds nothing to the OR) */
	w = 0;
	for (size_t i = 0; i < d.n; i++) {
		bool implied = false;
		for (size_t j = 0; j < d.n && !implied; j++)
			if (j != i && implies(&d.t[i], &d.t[j]) && (!implies(&d.t[j], &d.t[i]) || j < i))
				implied = true;
		if (!implied)
			d.t[w++] = d.t[i];
	}
	d.n = w;
	if (d.n > SK_KF_TERMS)
		return d_true();
	return d;
}

static int put_term(struct sk_buf *b, const struct term *t)
{
	int rc = sk_buf_printf(b, "%s", t->res == SK_KF_RES_OK ? "ok" : t->res ? "failed" : "any");
	for (int k = 0; k < 2 && !rc; k++)
		if (t->any[k])
			rc = sk_buf_printf(b, " & flags&0x%x", t->any[k]);
	if (!rc && t->none)
		rc = sk_buf_printf(b, " & !(flags&0x%x)", t->none);
	if (!rc && t->dotdot)
		rc = sk_buf_puts(b, " & path has \"../\"");
	static const char *const kn[3] = {"name", "under", "file name"};
	for (int k = 0; t->ps && k < 3 && !rc; k++)
		for (size_t e = 0; e < t->ps->n[k] && !rc; e++)
			rc = sk_buf_printf(b, "%s%s %s", e ? "," : k && t->ps->n[k - 1] ? " |" : " & (",
					   kn[k], t->ps->v[k][e]);
	if (!rc && t->ps) {
		bool none = !t->ps->n[0] && !t->ps->n[1] && !t->ps->n[2];
		rc = sk_buf_puts(b, none ? " & (unclean path)" : " | unclean path)");
	}
	return rc;
}

/* Fills pred and the path entries of `code` from d. */
static int build(struct sk_kf_set *k, uint16_t code, const struct dnf *d)
{
	struct sk_kf_pred *p = &k->pred[code];
	memset(p, 0, sizeof(*p));
	p->on = 1;
	p->nterms = (unsigned char)d->n;
	for (size_t i = 0; i < d->n; i++) {
		const struct term *t = &d->t[i];
		p->t[i] = (struct sk_kf_term){.res = t->res, .dotdot = t->dotdot, .path = t->ps != NULL,
					      .flags_any = {t->any[0], t->any[1]}, .flags_none = t->none};
		if (!t->ps)
			continue;
		static const enum sk_kf_kind kinds[3] = {SK_KF_EXACT, SK_KF_PREFIX, SK_KF_BASENAME};
		for (int kk = 0; kk < 3; kk++)
			for (size_t e = 0; e < t->ps->n[kk]; e++) {
				const char *s = t->ps->v[kk][e];
				/* (also sets p->kinds and p->depths) */
				if (sk_kf_set_add_path(k, code, kinds[kk], s, strlen(s), 1u << i))
					return -ENOMEM;
			}
	}
	return 0;
}

/* The open-family predicates and the close one, into k (*nf counts the
 * types filtered). Nothing when some rule could see a dropped file's fd. */
static int derive_opens(const struct sk_rules *r, struct sk_kf_set *k, size_t *nf,
			struct sk_buf *summary, struct sk_buf *detail, struct sk_err *err)
{
	int prc = 0; /* texts are best effort: a full buffer only shortens them */
	struct sk_err perr;
	sk_err_clear(&perr);
	bool oom = false;
	const char *bad = fd_unsafe(r, &perr, &oom);
	if (oom)
		return sk_err_set(err, -ENOMEM, "out of memory");
	if (bad) {
		if (summary)
			prc |= sk_buf_printf(summary, "open, openat, openat2, close: none (rule '%s' "
					    "may read the fd of a regular file through another "
					    "event type)", bad);
		return 0;
	}
	int rc = 0;
	size_t nopen = 0;
	for (size_t i = 0; i < SK_ARRAY_LEN(filtered_codes) && !rc; i++) {
		struct ctx c = {.code = filtered_codes[i]};
		sk_arena_init(&c.a, 0);
		struct dnf d = compact(&c, derive_code(&c, r, &perr));
		const char *name = sk_event_table[c.code].name;
		if (c.oom) {
			rc = sk_err_set(err, -ENOMEM, "out of memory");
		} else if (d.all) {
			if (summary)
				prc |= sk_buf_printf(summary, "%s%s: none (some rule needs every event)",
						    summary->len ? "; " : "", name);
		} else {
			rc = build(k, c.code, &d);
			nopen++;
			if (summary)
				prc |= sk_buf_printf(summary, "%s%s: %zu term%s", summary->len ? "; " : "",
						    name, d.n, d.n == 1 ? "" : "s");
			for (size_t t = 0; detail && t < d.n; t++) {
				prc |= sk_buf_printf(detail, "%s%s term %zu: ", detail->len ? "\n" : "",
						    name, t);
				(void)put_term(detail, &d.t[t]);
			}
		}
		sk_arena_done(&c.a);
	}
	/* closes of the fds of dropped opens: user space never knew those fds,
	 * so their close changes nothing, unless a rule looks at close events */
	bool close_rule = false;
	for (size_t i = 0; !rc && nopen && i < sk_rules_count(r) && !close_rule; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		close_rule = ru->enabled && (!ru->source || !strcmp(ru->source, "syscall")) &&
			     rule_has(ru, CLOSE_X);
	}
	if (!rc && nopen) {
		if (close_rule) {
			if (summary)
				prc |= sk_buf_printf(summary, "; close: none (a rule matches close)");
		} else {
			k->pred[CLOSE_X] = (struct sk_kf_pred){.on = 1, .mode = SK_KF_MODE_CLOSE};
			if (summary)
				prc |= sk_buf_printf(summary, "; close: of the fds of dropped opens");
		}
	}
	*nf += nopen;
	(void)prc;
	return rc;
}

int sk_kfilter_derive(const struct sk_rules *r, struct sk_kf_set **out, struct sk_buf *summary,
		      struct sk_buf *detail, struct sk_err *err)
{
	*out = NULL;
	if (!r) {
		int prc = summary ? sk_buf_puts(summary, "none: no rules") : 0;
		(void)prc; /* the text is best effort */
		return 0;
	}
	struct sk_kf_set *k = sk_kf_set_new();
	if (!k)
		return sk_err_set(err, -ENOMEM, "out of memory");
	size_t nf = 0;
	int rc = derive_opens(r, k, &nf, summary, detail, err);
	if (!rc)
		rc = derive_streams(r, k, &nf, summary, err);
	if (rc || !nf) {
		sk_kf_set_free(k);
		return rc;
	}
	sk_kf_set_seal(k);
	*out = k;
	return 0;
}
