/* inspect.c — `saker inspect`: a sysdig-style event printer for captures.
 *
 *   saker inspect [-p FORMAT] [-n N] [-D] [-C] [-q] FILE [FILTER]
 *
 * Reads the capture without layout conversion by default, so event numbers
 * and old enter/exit records line up with `sysdig -r FILE` (see
 * docs/inspect.md); -C reads it converted, as the engine does. */
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

/* Container, user and group records at the head of a capture are the
 * state the writer dumped when it started: sysdig (libsinsp) consumes them
 * while opening the file and never delivers them, though they count in
 * the numbering. The same records later in the file are ordinary events. */
static bool initial_state_event(uint16_t type)
{
	switch (type) {
	case 228: /* container */
	case 272: /* container (json) */
	case 324: /* container (json 2) */
	case 354: /* useradded */
	case 356: /* userdeleted */
	case 358: /* groupadded */
	case 360: /* groupdeleted */
	case 402: /* asyncevent */
		return true;
	default:
		return false;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: saker inspect [-p FORMAT] [-n N] [-D] [-C] [-q] FILE [FILTER]\n"
			"  -p FORMAT  print these %%fields (a leading '*' prints every event,\n"
			"             missing values as <NA>)\n"
			"  -n N       stop after reading N events\n"
			"  -D         also print internal events (procinfo, ...)\n"
			"  -C         read converted, as the engine does (default: as stored,\n"
			"             numbered like sysdig)\n"
			"  -q         print nothing (read and update the state only, as sysdig -q)\n");
	return 2;
}

int sk_app_inspect(int argc, char **argv)
{
	const char *fmt = DEFAULT_FORMAT;
	uint64_t limit = 0;
	bool internal = false, convert = false, quiet = false;
	int opt;
	optind = 1;
	while ((opt = getopt(argc, argv, "+p:n:DCqh")) != -1) {
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
		ast = sk_filter_parse(ftext, &err);
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
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_scap_open_opts oo = {.raw = !convert};
	r = sk_scap_open_ex(path, &oo, &ops, &err);
	if (!r) {
		char msg[1200];
		sk_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "saker inspect: %s: %s\n", path, msg);
		goto out;
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
		head = head && initial_state_event(ev.type);
		if (((ev.info->category & SK_EC_INTERNAL) || head) && !internal)
			shown = false;
		if (ev.dump_flags & SK_DF_STATE_ONLY)
			shown = false;
		if (shown && !quiet && (!filter || sk_filter_eval(filter, &ctx)) &&
		    format_line(&f, &ctx, &line)) {
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
