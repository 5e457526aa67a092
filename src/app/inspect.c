/* inspect.c — `saker inspect`: a sysdig-style event printer for captures.
 *
 *   saker inspect [-p FORMAT] [-n N] [-D] [-C] [-q] [-w OUT] FILE [FILTER]
 *
 * Reads the capture without layout conversion by default, so event numbers
 * and old enter/exit records line up with `sysdig -r FILE` (see
 * docs/inspect.md); -C reads it converted, as the engine does. -w copies
 * the capture's metadata and the events read (honouring -n and FILTER) to
 * a new capture, like `sysdig -r FILE -w OUT`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "event/event.h"
#include "fields/fields.h"
#include "filter/filter.h"
#include "state/state.h"

#define DEFAULT_FORMAT                                                                     \
	"*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type "    \
	"%evt.info"
#define MAX_TOKENS 256

struct token {
	char *lit;                   /* literal text, or NULL */
	struct sk_fieldref *field;   /* or a field */
};

struct format {
	struct token tok[MAX_TOKENS];
	size_t n;
	bool all;                    /* leading '*': print every event, <NA> for missing */
};

static void format_done(struct format *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->tok[i].lit);
		sk_fieldref_free(f->tok[i].field);
	}
	f->n = 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

static int add_lit(struct format *f, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (f->n >= MAX_TOKENS)
		return -E2BIG;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, p, n);
	s[n] = 0;
	f->tok[f->n++] = (struct token){.lit = s};
	return 0;
}

/* Parses "%field", "%field[arg]" tokens and literal text. */
static int format_parse(struct format *f, const char *s, struct sk_err *err)
{
	memset(f, 0, sizeof(*f));
	if (*s == '*') {
		f->all = true;
		s++;
	}
	const char *lit = s;
	while (*s) {
		if (*s != '%') {
			s++;
			continue;
		}
		if (add_lit(f, lit, (size_t)(s - lit)) < 0)
			return sk_err_set(err, -E2BIG, "format too long");
		s++;
		const char *name = s;
		while (name_char(*s))
			s++;
		size_t nlen = (size_t)(s - name);
		while (nlen && name[nlen - 1] == '.')
			nlen--, s--;
		if (!nlen)
			return sk_err_set(err, -EINVAL, "format: '%%' without a field name");
		char nbuf[256], abuf[256];
		if (nlen >= sizeof(nbuf))
			return sk_err_set(err, -EINVAL, "format: field name too long");
		memcpy(nbuf, name, nlen);
		nbuf[nlen] = 0;
		const char *arg = NULL;
		if (*s == '[') {
			const char *end = strchr(s, ']');
			if (!end || (size_t)(end - s - 1) >= sizeof(abuf))
				return sk_err_set(err, -EINVAL, "format: unterminated '[' after %s", nbuf);
			memcpy(abuf, s + 1, (size_t)(end - s - 1));
			abuf[end - s - 1] = 0;
			arg = abuf;
			s = end + 1;
		}
		if (f->n >= MAX_TOKENS)
			return sk_err_set(err, -E2BIG, "format too long");
		struct sk_fieldref *fr = sk_fieldref_new(SK_SRC_SYSCALL, nbuf, arg, err);
		if (!fr)
			return -EINVAL;
		f->tok[f->n++] = (struct token){.field = fr};
		lit = s;
	}
	return add_lit(f, lit, (size_t)(s - lit)) < 0 ? sk_err_set(err, -E2BIG, "format too long")
						      : 0;
}

/* Renders one line; returns false when a field is missing and the format
 * does not start with '*'. */
static bool format_line(const struct format *f, struct sk_eval_ctx *c, struct sk_buf *out)
{
	sk_buf_reset(out);
	for (size_t i = 0; i < f->n; i++) {
		if (f->tok[i].lit) {
			if (sk_buf_puts(out, f->tok[i].lit) < 0)
				return false;
			continue;
		}
		int r = sk_fieldref_format(f->tok[i].field, c, out);
		if (r < 0 || (r == 0 && !f->all))
			return false;
	}
	return true;
}

/* -w: the capture's metadata, collected while the reader opens it (the
 * state sees it too) and written before the first event, so the copy reads
 * like the original. Interfaces and users/groups must each go in one block:
 * libscap keeps only the last block of each kind. Bounded by what the
 * reader accepts as metadata (its max_meta_block). */
struct meta_copy {
	struct sk_scap_meta_ops st;  /* the state's callbacks, called first */
	struct sk_arena a;
	struct sk_scap_machine mi;
	bool have_mi;
	struct sk_scap_iface *ifs;
	size_t nifs, cifs;
	struct sk_scap_user *us;
	size_t nus, cus;
	struct sk_scap_group *gs;
	size_t ngs, cgs;
	struct sk_scap_thread *ts;
	size_t nts, cts;
	struct sk_scap_fd *fds;
	uint64_t *fdtid;             /* owner of fds[i] */
	size_t nfds, cfds, cfdtid;
	int err;
};

/* Slot n of a growable array of elem-sized items (NULL on OOM, array kept). */
static void *slot(void *arr_p, size_t *cap, size_t n, size_t elem)
{
	void **arr = arr_p;
	if (n >= *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		void *p = realloc(*arr, c * elem);
		if (!p)
			return NULL;
		*arr = p;
		*cap = c;
	}
	return (char *)*arr + n * elem;
}

static struct sk_bytes mc_dup(struct meta_copy *m, struct sk_bytes b)
{
	struct sk_bytes r = {"", 0};
	if (!b.len)
		return r;
	char *p = sk_arena_strndup(&m->a, b.p, b.len);
	if (!p) {
		m->err = -ENOMEM;
		return r;
	}
	r.p = p;
	r.len = b.len;
	return r;
}

static int mc_section(void *ctx)
{
	struct meta_copy *m = ctx;
	return m->st.section ? m->st.section(m->st.ctx) : 0;
}

static int mc_machine(void *ctx, const struct sk_scap_machine *mi)
{
	struct meta_copy *m = ctx;
	m->mi = *mi;
	m->have_mi = true;
	return m->st.machine ? m->st.machine(m->st.ctx, mi) : 0;
}

static int mc_iface(void *ctx, const struct sk_scap_iface *i)
{
	struct meta_copy *m = ctx;
	struct sk_scap_iface *d = slot(&m->ifs, &m->cifs, m->nifs, sizeof(*d));
	if (!d)
		return -ENOMEM;
	m->nifs++;
	*d = *i;
	d->name = mc_dup(m, i->name);
	if (m->err)
		return m->err;
	return m->st.iface ? m->st.iface(m->st.ctx, i) : 0;
}

static int mc_user(void *ctx, const struct sk_scap_user *u)
{
	struct meta_copy *m = ctx;
	struct sk_scap_user *d = slot(&m->us, &m->cus, m->nus, sizeof(*d));
	if (!d)
		return -ENOMEM;
	m->nus++;
	*d = *u;
	d->name = mc_dup(m, u->name);
	d->homedir = mc_dup(m, u->homedir);
	d->shell = mc_dup(m, u->shell);
	if (m->err)
		return m->err;
	return m->st.user ? m->st.user(m->st.ctx, u) : 0;
}

static int mc_group(void *ctx, const struct sk_scap_group *g)
{
	struct meta_copy *m = ctx;
	struct sk_scap_group *d = slot(&m->gs, &m->cgs, m->ngs, sizeof(*d));
	if (!d)
		return -ENOMEM;
	m->ngs++;
	*d = *g;
	d->name = mc_dup(m, g->name);
	if (m->err)
		return m->err;
	return m->st.group ? m->st.group(m->st.ctx, g) : 0;
}

static int mc_thread(void *ctx, const struct sk_scap_thread *t)
{
	struct meta_copy *m = ctx;
	struct sk_scap_thread *d = slot(&m->ts, &m->cts, m->nts, sizeof(*d));
	if (!d)
		return -ENOMEM;
	m->nts++;
	*d = *t;
	d->comm = mc_dup(m, t->comm);
	d->exe = mc_dup(m, t->exe);
	d->exepath = mc_dup(m, t->exepath);
	d->args = mc_dup(m, t->args);
	d->cwd = mc_dup(m, t->cwd);
	d->env = mc_dup(m, t->env);
	d->cgroups = mc_dup(m, t->cgroups);
	d->root = mc_dup(m, t->root);
	if (m->err)
		return m->err;
	return m->st.thread ? m->st.thread(m->st.ctx, t) : 0;
}

static int mc_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *f)
{
	struct meta_copy *m = ctx;
	struct sk_scap_fd *d = slot(&m->fds, &m->cfds, m->nfds, sizeof(*d));
	uint64_t *o = slot(&m->fdtid, &m->cfdtid, m->nfds, sizeof(*o));
	if (!d || !o)
		return -ENOMEM;
	m->nfds++;
	*d = *f;
	*o = tid;
	d->name = mc_dup(m, f->name);
	if (m->err)
		return m->err;
	return m->st.fd ? m->st.fd(m->st.ctx, tid, f) : 0;
}

static void meta_copy_init(struct meta_copy *m, const struct sk_scap_meta_ops *st,
			   struct sk_scap_meta_ops *ops)
{
	memset(m, 0, sizeof(*m));
	m->st = *st;
	sk_arena_init(&m->a, 0);
	*ops = (struct sk_scap_meta_ops){.ctx = m, .section = mc_section, .machine = mc_machine,
					 .iface = mc_iface, .user = mc_user, .group = mc_group,
					 .thread = mc_thread, .fd = mc_fd};
}

static void meta_copy_done(struct meta_copy *m)
{
	free(m->ifs);
	free(m->us);
	free(m->gs);
	free(m->ts);
	free(m->fds);
	free(m->fdtid);
	sk_arena_done(&m->a);
}

/* Writes the blocks in the order libscap writes them: MI, IL, UL, PL, FDL
 * (one FDL block per run of fds of the same thread). */
static int meta_copy_write(struct sk_scap_writer *w, const struct meta_copy *m)
{
	int rc = 0;
	if (m->have_mi)
		rc = sk_scap_write_machine(w, &m->mi);
	if (!rc && m->nifs)
		rc = sk_scap_write_ifaces(w, m->ifs, m->nifs);
	if (!rc && (m->nus || m->ngs))
		rc = sk_scap_write_users(w, m->us, m->nus, m->gs, m->ngs);
	if (!rc && m->nts)
		rc = sk_scap_write_threads(w, m->ts, m->nts);
	for (size_t i = 0, j; !rc && i < m->nfds; i = j) {
		for (j = i + 1; j < m->nfds && m->fdtid[j] == m->fdtid[i]; j++)
			;
		rc = sk_scap_write_fds(w, m->fdtid[i], m->fds + i, j - i);
	}
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: saker inspect [-p FORMAT] [-n N] [-D] [-C] [-q] [-w OUT] FILE "
			"[FILTER]\n"
			"  -p FORMAT  print these %%fields (a leading '*' prints every event,\n"
			"             missing values as <NA>)\n"
			"  -n N       stop after reading N events\n"
			"  -D         also print internal events (procinfo, ...)\n"
			"  -C         read converted, as the engine does (default: as stored,\n"
			"             numbered like sysdig)\n"
			"  -q         print nothing (read and update the state only, as sysdig -q)\n"
			"  -w OUT     also write the capture's metadata and the events read\n"
			"             (after -n and FILTER) to the capture OUT (gzip if it ends\n"
			"             in .gz)\n");
	return 2;
}

int sk_app_inspect(int argc, char **argv)
{
	const char *fmt = DEFAULT_FORMAT;
	const char *wpath = NULL;
	uint64_t limit = 0;
	bool internal = false, convert = false, quiet = false;
	int opt;
	optind = 1;
	while ((opt = getopt(argc, argv, "+p:n:DCqw:h")) != -1) {
		switch (opt) {
		case 'p':
			fmt = optarg;
			break;
		case 'n':
			if (sk_parse_u64(optarg, &limit) < 0) {
				fprintf(stderr, "saker inspect: -n needs a number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'D':
			internal = true;
			break;
		case 'C':
			convert = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'w':
			wpath = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || argc - optind > 2)
		return usage();
	const char *path = argv[optind];
	const char *ftext = argc - optind == 2 ? argv[optind + 1] : NULL;

	int rc = 1;
	struct sk_err err;
	sk_err_clear(&err);
	struct format f = {0};
	struct sk_ast *ast = NULL;
	struct sk_filter *filter = NULL;
	struct sk_state *st = NULL;
	struct sk_scap_reader *r = NULL, *conv = NULL;
	struct sk_scap_writer *w = NULL;
	struct meta_copy mc;
	struct sk_scap_meta_ops ops, tee;
	meta_copy_init(&mc, &(struct sk_scap_meta_ops){0}, &tee);
	struct sk_event cev;
	int cn = 0;
	struct sk_eval_ctx ctx;
	struct sk_buf line;
	sk_eval_ctx_init(&ctx, NULL);
	sk_buf_init(&line, 0);

	if (format_parse(&f, fmt, &err) < 0) {
		fprintf(stderr, "saker inspect: %s\n", err.msg);
		goto out;
	}
	if (ftext) {
		ast = sk_filter_parse_sysdig(ftext, &err);
		if (ast)
			filter = sk_filter_compile(ast, SK_SRC_SYSCALL, &err);
		if (!filter) {
			fprintf(stderr, "saker inspect: filter: %s (column %d)\n", err.msg, err.col);
			goto out;
		}
	}
	st = sk_state_new(NULL);
	if (!st) {
		fprintf(stderr, "saker inspect: out of memory\n");
		goto out;
	}
	sk_state_meta_ops(st, &ops);
	mc.st = ops;
	struct sk_scap_open_opts oo = {.raw = !convert};
	r = sk_scap_open_ex(path, &oo, wpath ? &tee : &ops, &err);
	if (!r) {
		char msg[1200];
		sk_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "saker inspect: %s: %s\n", path, msg);
		goto out;
	}
	if (wpath) {
		size_t wl = strlen(wpath);
		w = sk_scap_writer_open(wpath, wl > 3 && !strcmp(wpath + wl - 3, ".gz"), &err);
		int wr = w ? meta_copy_write(w, &mc) : -1;
		if (wr) {
			fprintf(stderr, "saker inspect: %s: %s\n", wpath,
				w ? strerror(-wr) : err.msg);
			goto out;
		}
	}
	sk_state_seed_done(st);
	/* Raw mode: a second, converted reader feeds the state (which speaks the
	 * current layout); its events are matched to the raw ones by (ts, tid). */
	if (!convert) {
		struct sk_scap_open_opts co = {0};
		conv = sk_scap_open_ex(path, &co, NULL, &err);
		if (!conv) {
			fprintf(stderr, "saker inspect: %s: %s\n", path, err.msg);
			goto out;
		}
		cn = sk_scap_next(conv, &cev, &err);
	}
	ctx.state = st;
	ctx.max_buf_output = 80; /* sysdig's default cut of buffers */
	ctx.sysdig = true;

	struct sk_event ev;
	uint64_t nread = 0;
	bool head = true; /* still in the initial-state records */
	int n;
	while ((!limit || nread < limit) && (n = sk_scap_next(r, &ev, &err)) > 0) {
		nread++;
		bool shown = true;
		const struct sk_event *sev = NULL;
		if (convert) {
			shown = sk_state_update(st, &ev);
			sev = &ev;
		} else {
			while (cn > 0 && cev.ts < ev.ts) {
				sk_state_update(st, &cev);
				sk_state_post(st, &cev);
				cn = sk_scap_next(conv, &cev, &err);
			}
			if (cn > 0 && cev.ts == ev.ts && cev.tid == ev.tid) {
				sk_state_update(st, &cev);
				sev = &cev;
			}
		}
		/* an old enter event the converter folded away: libsinsp's parser
		 * still met the thread there (unknown tid -> placeholder thread) */
		bool folded = !convert && !sev && ev.info->dir == 'E' &&
			      (ev.info->category & SK_EC_SYSCALL);
		if (folded)
			sk_state_enter_event(st, &ev);
		sk_eval_ctx_set_event(&ctx, &ev);
		if (!convert && !sev && !folded)
			sk_eval_ctx_fd_from_event(&ctx);
		head = head && sk_state_initial_record(ev.type);
		if (((ev.info->category & SK_EC_INTERNAL) || head) && !internal)
			shown = false;
		if (ev.dump_flags & SK_DF_STATE_ONLY)
			shown = false;
		bool match = !filter ||
			     ((w || (shown && !quiet)) && sk_filter_eval(filter, &ctx));
		if (w && match && sk_scap_write_event(w, &ev) < 0) {
			fprintf(stderr, "saker inspect: %s: write error\n", wpath);
			goto out;
		}
		if (shown && !quiet && match && format_line(&f, &ctx, &line)) {
			if (sk_buf_putc(&line, '\n') == 0)
				fwrite(line.data, 1, line.len, stdout);
		}
		if (sev)
			sk_state_post(st, sev);
		if (sev == &cev)
			cn = sk_scap_next(conv, &cev, &err);
	}
	if (limit && nread >= limit)
		n = 0;
	if (n < 0) {
		char msg[1200];
		sk_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "saker inspect: %s: %s\n", path, msg);
		goto out;
	}
	rc = 0;
out:
	fflush(stdout);
	if (w) {
		int wr = sk_scap_writer_close(w);
		if (wr && !rc) {
			fprintf(stderr, "saker inspect: %s: %s\n", wpath, strerror(-wr));
			rc = 1;
		}
	}
	meta_copy_done(&mc);
	sk_scap_close(r);
	sk_scap_close(conv);
	sk_filter_free(filter);
	sk_ast_free(ast);
	format_done(&f);
	sk_eval_ctx_done(&ctx);
	sk_buf_done(&line);
	sk_state_free(st);
	return rc;
}
