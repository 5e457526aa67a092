/* cli.c — Falco-compatible command-line parsing. The configuration itself
 * (falco.yaml, config_files, -o KEY=VALUE, ${ENV}) is loaded by config/;
 * flags that stand for keys (-e, -A) become overrides, and the seed-era
 * selection flags (-D, -t, -T) are applied after the config's `rules:`. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app/run_int.h"
#include "config/config.h"
#include "rules/rules.h"

int sk_strv_push(struct sk_strv *s, const char *str)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		char **p = realloc(s->v, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = nc;
	}
	char *d = strdup(str);
	if (!d)
		return -ENOMEM;
	s->v[s->n++] = d;
	return 0;
}

void sk_strv_done(struct sk_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void sk_app_log(const struct sk_app_cfg *c, int level, const char *fmt, ...)
{
	if (level > c->log_level)
		return;
	if (c->log_syslog) { /* log_syslog: same lines, as Falco (ident = program name) */
		va_list sp;
		va_start(sp, fmt);
		vsyslog(level, fmt, sp);
		va_end(sp);
	}
	if (!c->log_stderr)
		return;
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	if (c->time_iso8601) {
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S+0000", &tm);
	} else {
		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%a %b %e %H:%M:%S %Y", &tm);
	}
	/* one write per line: several threads log (engine, ops, outputs) */
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s", ts, msg);
}

void sk_app_log_startup(const struct sk_app_cfg *c, int argc, char **argv)
{
	sk_app_log(c, SK_LOG_INFO, "Falco version: 0.44.1 (saker 0.1.0)\n");
	sk_app_log(c, SK_LOG_INFO, "CLI args:");
	if (c->log_stderr && c->log_level >= SK_LOG_INFO) {
		for (int i = 0; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
}

static int add_sel(struct sk_app_cfg *c, bool enable, const char *rule, const char *tag)
{
	void *p = realloc(c->sel, (c->nsel + 1) * sizeof(*c->sel));
	if (!p)
		return -ENOMEM;
	c->sel = p;
	struct sk_app_rule_sel *s = &c->sel[c->nsel++];
	s->enable = enable;
	s->rule = rule ? strdup(rule) : NULL;
	s->tag = tag ? strdup(tag) : NULL;
	return 0;
}

/* Loads the configuration (config/) with the -o overrides, logs its
 * warnings, and takes over the values the command line layer uses. */
static int load_conf(struct sk_app_cfg *c, bool explicit_path)
{
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_config_opts o = {
		.path = explicit_path ? c->config_path : NULL,
		.overrides = (const char *const *)c->overrides.v,
		.noverrides = c->overrides.n,
	};
	c->conf = sk_config_load(&o, &err);
	if (!c->conf) {
		char m[1200];
		sk_err_format(&err, m, sizeof(m));
		fprintf(stderr, "Error: %s\n", m);
		return -1;
	}
	const struct sk_config *k = c->conf;
	c->priority = k->priority;
	c->match_all = k->rule_matching_all;
	c->json_output = k->json_output;
	c->log_stderr = k->log_stderr;
	c->log_syslog = k->log_syslog;
	c->log_level = k->log_level;
	c->time_iso8601 = k->time_format_iso_8601;
	c->rules_files_set = sk_config_get_len(k, "rules_files") != -ENOENT ||
			     sk_config_get_len(k, "rules_file") != -ENOENT;
	for (size_t i = 0; i < k->nwarnings; i++)
		sk_app_log(c, SK_LOG_WARNING, "%s\n", k->warnings[i]);
	for (size_t i = 0; i < k->nrules; i++)
		if (add_sel(c, k->rules[i].enable, k->rules[i].rule, k->rules[i].tag) < 0)
			return -1;
	return 0;
}

/* Falco 0.22's -p: "c"/"container" and "k"/"kubernetes" name the container
 * and pod formats (which stand in for %container.info); anything else is a
 * format appended to every syscall output. */
static void set_print_format(struct sk_app_cfg *c, const char *v)
{
	if (!strcmp(v, "c") || !strcmp(v, "container")) {
		c->extra_output = "container=%container.name (id=%container.id)";
		c->replace_container_info = true;
	} else if (!strcmp(v, "k") || !strcmp(v, "kubernetes")) {
		c->extra_output = "k8s.ns=%k8s.ns.name k8s.pod=%k8s.pod.name container=%container.id";
		c->replace_container_info = true;
	} else {
		c->extra_output = v;
		c->replace_container_info = false;
	}
}

/* Returns the option's value: attached (-rFILE, --x=FILE) or the next arg. */
static const char *optval(int argc, char **argv, int *i, const char *attached)
{
	if (attached && *attached)
		return attached;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int sk_app_cfg_parse(struct sk_app_cfg *c, int argc, char **argv)
{
	memset(c, 0, sizeof(*c));
	c->priority = SK_RULE_PRI_DEBUG;
	c->log_level = SK_LOG_INFO;
	c->log_stderr = true;
	c->run_duration = 0;
	bool explicit_config = false;
	c->config_path = SK_APP_DEFAULT_CONFIG;
	struct sk_strv seed_sel = {0}; /* "D:x", "T:x", "t:x" in order */
	int rc = 0;
	for (int i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			c->help = true;
		} else if (!strcmp(a, "--version")) {
			c->version = true;
		} else if (!strcmp(a, "--support")) {
			c->support = true;
		} else if (!strcmp(a, "-L")) {
			c->list_rules = true;
		} else if (!strcmp(a, "-N")) {
			c->names_only = true;
		} else if (!strcmp(a, "--markdown")) {
			c->markdown = true;
		} else if (!strcmp(a, "--list-events")) {
			c->list_events = true;
		} else if (!strcmp(a, "--list") || !strncmp(a, "--list=", 7)) {
			c->list_fields = true;
			c->list_source = a[6] == '=' ? a + 7 : NULL;
		} else if (!strcmp(a, "-i")) {
			c->print_ignored = true;
		} else if (!strcmp(a, "--dry-run")) {
			c->dry_run = true;
		} else if (!strcmp(a, "-U") || !strcmp(a, "--unbuffered")) {
			c->unbuffered = true;
		} else if (!strcmp(a, "-v")) {
			c->verbose = true;
		} else if (!strcmp(a, "-A")) {
			rc = sk_strv_push(&c->overrides, "base_syscalls.all=true");
		} else if (!strncmp(a, "--enable-source", 15) || !strncmp(a, "--disable-source", 16)) {
			bool en = a[2] == 'e';
			const char *eq = strchr(a, '=');
			v = optval(argc, argv, &i, eq ? eq + 1 : NULL);
			if (!v)
				goto missing;
			rc = sk_strv_push(en ? &c->enable_sources : &c->disable_sources, v);
		} else if (!strcmp(a, "--cri") || !strncmp(a, "--cri=", 6)) {
			if (!(v = optval(argc, argv, &i, a[5] == '=' ? a + 6 : NULL)))
				goto missing;
			rc = sk_strv_push(&c->cri_sockets, v);
		} else if (!strcmp(a, "--disable-cri-async")) {
			/* Falco 0.22: lookups are always asynchronous here */
		} else if (!strcmp(a, "-k") || !strcmp(a, "-K") || !strncmp(a, "--k8s-api", 9) ||
			   !strcmp(a, "--k8s-node")) {
			/* Falco 0.22's API server options: pod metadata comes from the
			 * container runtime instead, so the value is only accepted */
			const char *eq = strchr(a, '=');
			if (!(v = optval(argc, argv, &i, eq ? eq + 1 : NULL)))
				goto missing;
			c->k8s_api_given = true;
		} else if (!strncmp(a, "--validate", 10)) {
			const char *eq = strchr(a, '=');
			if (!(v = optval(argc, argv, &i, eq ? eq + 1 : NULL)))
				goto missing;
			rc = sk_strv_push(&c->validate, v);
		} else if (a[0] == '-' && a[1] && strchr("rcoVleDTtMpPw", a[1]) && a[1] != 0 && a[0] == '-' && a[1] != '-') {
			if (!(v = optval(argc, argv, &i, a + 2)))
				goto missing;
			switch (a[1]) {
			case 'r': rc = sk_strv_push(&c->rules_cli, v); break;
			case 'c': c->config_path = v; explicit_config = true; break;
			case 'o': rc = sk_strv_push(&c->overrides, v); break;
			case 'V': rc = sk_strv_push(&c->validate, v); break;
			case 'l': c->describe_rule = v; break;
			case 'w': c->write_path = v; break;
			case 'e':
				rc = sk_strv_push(&c->overrides, "engine.kind=replay");
				if (!rc) {
					char buf[4200];
					snprintf(buf, sizeof(buf), "engine.replay.capture_file=%s", v);
					rc = sk_strv_push(&c->overrides, buf);
				}
				break;
			case 'D': case 'T': case 't': {
				char buf[1100];
				snprintf(buf, sizeof(buf), "%c:%s", a[1], v);
				rc = sk_strv_push(&seed_sel, buf);
				break;
			}
			case 'M': {
				int64_t d;
				if (sk_parse_i64(v, &d) < 0 || d < 0) {
					fprintf(stderr, "Error: invalid -M value %s\n", v);
					rc = -1;
				}
				c->run_duration = (long)d;
				break;
			}
			case 'p': set_print_format(c, v); break;
			default: break; /* -P: accepted, unused */
			}
		} else {
			fprintf(stderr, "Error: Unrecognized option '%s'\n", a);
			rc = -1;
		}
		continue;
missing:
		fprintf(stderr, "Error: Missing argument for option '%s'\n", a);
		rc = -1;
	}
	if (rc < 0) {
		sk_strv_done(&seed_sel);
		return 1;
	}
	if (c->help || c->version || c->list_fields || c->list_events)
		goto done; /* need no configuration */
	if (load_conf(c, explicit_config) < 0)
		rc = -1;
	/* Seed-era selection flags, in order, after the config's `rules:`. */
	bool any_t = false;
	for (size_t i = 0; i < seed_sel.n; i++)
		any_t |= seed_sel.v[i][0] == 't';
	if (!rc && any_t)
		rc = add_sel(c, false, "*", NULL);
	for (size_t i = 0; !rc && i < seed_sel.n; i++) {
		const char *v = seed_sel.v[i] + 2;
		if (seed_sel.v[i][0] == 'D') {
			char glob[1100];
			snprintf(glob, sizeof(glob), "*%s*", v);
			rc = add_sel(c, false, glob, NULL);
		} else {
			rc = add_sel(c, seed_sel.v[i][0] == 't', NULL, v);
		}
	}
done:
	sk_strv_done(&seed_sel);
	return rc < 0 ? 1 : -1;
}

void sk_app_cfg_done(struct sk_app_cfg *c)
{
	sk_strv_done(&c->rules_cli);
	sk_strv_done(&c->validate);
	sk_strv_done(&c->overrides);
	sk_strv_done(&c->enable_sources);
	sk_strv_done(&c->disable_sources);
	sk_strv_done(&c->cri_sockets);
	for (size_t i = 0; i < c->nsel; i++) {
		free(c->sel[i].rule);
		free(c->sel[i].tag);
	}
	free(c->sel);
	sk_config_free(c->conf);
	c->conf = NULL;
}
