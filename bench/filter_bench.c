/* filter_bench.c — condition-evaluation benchmark.
 *
 *   filter_bench micro CAPTURE [-n N]
 *       replays CAPTURE (state updated as the engine does) and, for every
 *       event, times K evaluations of each representative condition (a long
 *       `in` list, a `pmatch` list, a regex, a deep macro-expanded
 *       condition, join/concat, oneof/anyof modifiers); prints ns per
 *       evaluation.
 *   filter_bench scan CAPTURE FILTER [-n N]
 *       replays CAPTURE, evaluates FILTER on every event and prints the
 *       evt.num of matches (a minimal `inspect`), then events/s on stderr.
 *   --raw reads the capture without layout conversion (sysdig 0.29 numbering). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/scap.h"
#include "filter/filter.h"
#include "state/state.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct sk_filter *build(const char *cond)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ast *a = sk_filter_parse(cond, &err);
	struct sk_filter *f = a ? sk_filter_compile(a, SK_SRC_SYSCALL, &err) : NULL;
	sk_ast_free(a);
	if (!f) {
		struct sk_buf b;
		sk_buf_init(&b, 0);
		if (sk_filter_err_excerpt(cond, err.col, &b) == 0)
			fprintf(stderr, "filter error at col %d: %s\n%s\n", err.col, err.msg,
				sk_buf_cstr(&b));
		sk_buf_done(&b);
	}
	return f;
}

/* A long list of process names, like Falco's shell/package-manager lists. */
static char *long_in_list(void)
{
	struct sk_buf b;
	sk_buf_init(&b, 0);
	int r = sk_buf_puts(&b, "proc.name in (");
	for (int i = 0; i < 300 && r >= 0; i++) r = sk_buf_printf(&b, "%sbinary_%03d", i ? ", " : "", i);
	if (r >= 0) r = sk_buf_puts(&b, ", bash, sh, zsh, python, nginx, cat)");
	return r < 0 ? NULL : sk_buf_steal(&b);
}

static const char *pmatch_cond =
	"fd.name pmatch (/etc, /usr/bin, /usr/sbin, /bin, /sbin, /boot, /lib/modules, "
	"/usr/lib/systemd, /var/lib/dpkg, /var/lib/rpm, /root/.ssh, /home/*/.ssh, /proc/*/mem, "
	"/dev/shm, /var/run/docker.sock, /run/containerd, /etc/kubernetes, /var/log/audit)";
static const char *regex_cond = "proc.cmdline regex '.*(curl|wget)[^|]*[|][[:space:]]*(ba|z)?sh.*'";
/* Shaped like a macro-expanded Falco rule: nested and/or/not over several
 * field classes, lists, and an evt.type index check first. */
static const char *deep_cond =
	"(evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f "
	"and fd.num >= 0) and (fd.directory in (/bin, /sbin, /usr/bin, /usr/sbin) or "
	"fd.name startswith /usr/local/bin or (fd.name pmatch (/etc/cron.d, /etc/systemd) and "
	"not proc.name in (dpkg, rpm, yum, apt, apt-get, systemctl))) and not (proc.pname in "
	"(dpkg, rpm, python) and proc.cmdline contains install) and not (user.name = root and "
	"proc.aname[2] in (sshd, containerd-shim)) and not proc.exe endswith /update-alternatives";

struct bench {
	const char *name;
	struct sk_filter *f;
	double ns;
	uint64_t evals, hits;
};

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: filter_bench micro CAPTURE [-n N] [--raw] | scan CAPTURE FILTER [-n N] [--raw]\n");
		return 2;
	}
	bool micro = strcmp(argv[1], "micro") == 0;
	const char *path = argv[2];
	uint64_t limit = UINT64_MAX;
	int ai = micro ? 3 : 4;
	if (!micro && argc < 4) return 2;
	struct sk_scap_open_opts oo = { 0 };
	for (int i = ai; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) limit = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--raw") == 0) oo.raw = true; /* sysdig 0.29 numbering */
	}

	struct bench benches[6] = { { "in list (306 names)", NULL, 0, 0, 0 },
				    { "pmatch list (18 paths)", NULL, 0, 0, 0 },
				    { "regex", NULL, 0, 0, 0 },
				    { "deep macro-expanded", NULL, 0, 0, 0 },
				    { "join/concat transformers", NULL, 0, 0, 0 },
				    { "= anyof / contains anyof", NULL, 0, 0, 0 } };
	struct sk_filter *scan = NULL;
	size_t nb = 0;
	if (micro) {
		char *l = long_in_list();
		benches[0].f = build(l);
		free(l);
		benches[1].f = build(pmatch_cond);
		benches[2].f = build(regex_cond);
		benches[3].f = build(deep_cond);
		/* libs 0.24/0.25 forms: a string built per event, and modifiers */
		benches[4].f = build("concat(proc.name, \":\", fd.name) = \"bash:/etc/passwd\" or "
				     "join(\",\", (proc.name, proc.pname, user.name)) startswith "
				     "\"sshd,\"");
		benches[5].f = build("proc.name = anyof (bash, sh, zsh, dash, ksh) or "
				     "fd.name contains anyof (passwd, shadow, sudoers)");
		nb = 6;
		for (size_t i = 0; i < nb; i++)
			if (!benches[i].f) return 1;
	} else {
		scan = build(argv[3]);
		if (!scan) return 1;
	}

	struct sk_state *st = sk_state_new(NULL);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_scap_reader *r = sk_scap_open_ex(path, &oo, &ops, &err);
	if (!r) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		return 1;
	}
	sk_state_seed_done(st);
	struct sk_eval_ctx ctx;
	sk_eval_ctx_init(&ctx, st);
	struct sk_event ev;
	uint64_t n = 0, matched = 0;
	double t0 = now_ns();
	int rc;
	enum { K = 8 };
	while (n < limit && (rc = sk_scap_next(r, &ev, &err)) == 1) {
		n++;
		sk_state_update(st, &ev);
		sk_eval_ctx_set_event(&ctx, &ev);
		if (scan) {
			if (sk_filter_eval(scan, &ctx)) {
				matched++;
				printf("%llu\n", (unsigned long long)ev.num);
			}
		}
		for (size_t i = 0; i < nb; i++) {
			bool hit = sk_filter_eval(benches[i].f, &ctx); /* warm the per-event caches */
			double a = now_ns();
			for (int k = 0; k < K; k++) hit &= sk_filter_eval(benches[i].f, &ctx);
			benches[i].ns += now_ns() - a;
			benches[i].evals += K;
			benches[i].hits += hit;
		}
		sk_state_post(st, &ev);
	}
	double dt = now_ns() - t0;
	if (micro) {
		printf("events: %llu\n", (unsigned long long)n);
		for (size_t i = 0; i < nb; i++)
			printf("%-26s %7.1f ns/eval  (%llu matches)\n", benches[i].name,
			       benches[i].ns / (double)benches[i].evals,
			       (unsigned long long)benches[i].hits);
	} else {
		fprintf(stderr, "%llu events, %llu matched, %.0f events/s\n", (unsigned long long)n,
			(unsigned long long)matched, (double)n / (dt / 1e9));
	}
	for (size_t i = 0; i < nb; i++) sk_filter_free(benches[i].f);
	sk_filter_free(scan);
	sk_eval_ctx_done(&ctx);
	sk_scap_close(r);
	sk_state_free(st);
	return 0;
}
