/* run.c — the main command line (Falco-compatible flags): rules validation
 * (-V), listing (-L, -l), loading rules files and directories in order, and
 * the end-of-run summary. Only this layer prints. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "app/run_int.h"
#include "config/config.h"
#include "output/output.h"
#include "rules/rules.h"

#define SAKER_VERSION "0.1.0"

extern const char sk_default_rules[];
extern const size_t sk_default_rules_len;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: saker [options]\n"
		"  -c FILE                  configuration file (default " SK_APP_DEFAULT_CONFIG ")\n"
		"  -r FILE|DIR              rules file or directory (repeatable; replaces rules_files)\n"
		"  -o KEY=VALUE             override a configuration key (repeatable)\n"
		"  -V, --validate FILE      validate rules files and exit (repeatable)\n"
		"  -L                       list loaded rules and exit\n"
		"  -l RULE                  describe one rule and exit\n"
		"  -e FILE                  replay a capture file (= -o engine.kind=replay\n"
		"                           -o engine.replay.capture_file=FILE)\n"
		"  -D SUBSTR / -T TAG / -t TAG  disable rules by name substring / tag; enable by tag\n"
		"  -A                       evaluate all events (= -o base_syscalls.all=true)\n"
		"  -M SECS                  stop after SECS seconds\n"
		"  -N                       with --list, only field names\n"
		"  --list[=SOURCE]          list fields\n"
		"  --list-events            list event types\n"
		"  --dry-run                load everything, do not capture\n"
		"  --enable-source=SRC / --disable-source=SRC\n"
		"  --support                print support information (JSON)\n"
		"  --version                print the version\n"
		"  inspect FILE [FILTER]    print the events of a capture\n");
}

/* Adds FILE, or the regular .yaml/.yml files of a directory sorted by name. */
static int expand_rules_path(struct sk_strv *out, const char *path, bool must_exist, char *err,
			     size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (!must_exist)
			return 0;
		snprintf(err, errlen, "Could not read rules file/directory %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return sk_strv_push(out, path);
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "Could not read rules directory %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t l = strlen(nm);
		bool yaml = (l > 5 && !strcmp(nm + l - 5, ".yaml")) || (l > 4 && !strcmp(nm + l - 4, ".yml"));
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, nm);
		struct stat fs;
		if (!rc && yaml && stat(full, &fs) == 0 && S_ISREG(fs.st_mode))
			rc = sk_strv_push(out, full);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* Reload (reload.c) collects the fatal messages of its thread here. */
static _Thread_local struct sk_buf *fatal_sink;

void sk_app_fatal_capture(struct sk_buf *b)
{
	fatal_sink = b;
}

static void print_fatal(const char *msg)
{
	if (fatal_sink && sk_buf_puts(fatal_sink, msg) == 0 && sk_buf_putc(fatal_sink, '\n') == 0)
		return;
	fprintf(stderr, "Error: %s\n", msg);
}

/* Rules' output formats are compiled by the output module (which sits
 * above rules): this hook lets the loader report LOAD_ERR_COMPILE_OUTPUT.
 * Falco names the bad token and everything after it. */
static int check_output(void *ctx, int source, const char *output, struct sk_err *err)
{
	const struct sk_config *conf = ctx;
	struct sk_err e;
	sk_err_clear(&e);
	struct sk_output_format *f = sk_output_format_new((enum sk_source)source, output, conf, &e);
	if (f) {
		sk_output_format_free(f);
		return 0;
	}
	if (strstr(e.msg, "unknown field") && e.col > 0 && (size_t)e.col <= strlen(output)) {
		const char *tok = output + e.col - 1;
		if (*tok == '%')
			tok++;
		sk_err_set(err, -EINVAL, "invalid formatting token %s", tok);
	} else {
		sk_err_set(err, e.code ? e.code : -EINVAL, "%s", e.msg);
	}
	return -1;
}

/* Builds the engine with the sources saker knows (indexes = enum sk_source;
 * k8s_audit is served natively, like the k8saudit plugin always loaded). */
static struct sk_rules *new_engine(const struct sk_app_cfg *cfg)
{
	static const char *const srcs[] = {"syscall", "k8s_audit"};
	struct sk_rules_opts o = {.sources = srcs, .nsources = 2, .extra_output = cfg->extra_output,
				  .replace_container_info = cfg->replace_container_info,
				  .check_output = check_output, .check_output_ctx = cfg->conf};
	return sk_rules_new(&o);
}

static const struct sk_load_result *load_path(struct sk_rules *r, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc = sk_read_file(path, 64u << 20, &text, &len);
	if (rc < 0) {
		char why[512];
		snprintf(why, sizeof(why), "Could not read file %s: %s", path, strerror(-rc));
		return sk_rules_load_failed(r, path, why);
	}
	const struct sk_load_result *res = sk_rules_load(r, path, text, len);
	free(text);
	return res;
}

static int do_validate(struct sk_app_cfg *cfg)
{
	struct sk_rules *r = new_engine(cfg);
	struct sk_buf summary, json, tmp;
	sk_buf_init(&summary, 0);
	sk_buf_init(&json, 0);
	sk_buf_init(&tmp, 0);
	bool ok = true;
	int ret = 1, rc = 0;
	if (!r)
		goto out;
	for (size_t i = 0; i < cfg->validate.n; i++) {
		const char *f = cfg->validate.v[i];
		const struct sk_load_result *res = load_path(r, f);
		if (!res)
			goto out;
		sk_buf_reset(&tmp);
		if (!sk_rules_check_plugins(r, &tmp)) {
			print_fatal(sk_buf_cstr(&tmp));
			goto out;
		}
		ok &= sk_load_result_ok(res);
		if (cfg->json_output) {
			rc |= sk_buf_puts(&json, json.len ? "," : "");
			rc |= sk_load_result_json(r, res, &json);
		}
		if (summary.len)
			rc |= sk_buf_putc(&summary, '\n');
		if (!sk_load_result_ok(res) || !sk_load_result_has_warnings(res)) {
			rc |= sk_load_result_text(r, res, true, &summary);
		} else {
			rc |= sk_buf_printf(&summary, "%s: Ok, with warnings", f);
			sk_buf_reset(&tmp);
			if (sk_load_result_text(r, res, true, &tmp) == 0)
				sk_app_log(cfg, SK_LOG_WARNING, "%s\n", sk_buf_cstr(&tmp));
		}
	}
	if (rc)
		goto out;
	if (cfg->json_output) {
		printf("{\"falco_load_results\":[%s]}\n", sk_buf_cstr(&json));
	} else {
		printf("%s\n", sk_buf_cstr(&summary));
		if (ok && (cfg->list_rules || cfg->describe_rule)) {
			sk_buf_reset(&tmp);
			if (sk_rules_describe_text(r, cfg->describe_rule, &tmp) == 0)
				printf("\n%s", sk_buf_cstr(&tmp));
		}
	}
	fflush(stdout);
	if (!ok) {
		print_fatal(sk_buf_cstr(&summary));
		goto out;
	}
	ret = 0;
out:
	sk_buf_done(&summary);
	sk_buf_done(&json);
	sk_buf_done(&tmp);
	sk_rules_free(r);
	return ret;
}

/* Loads every configured rules file (or the embedded default rules). On
 * failure prints Falco's fatal message and returns NULL. */
struct sk_rules *sk_app_load_rules(struct sk_app_cfg *cfg)
{
	struct sk_strv files = {0};
	char err[1024];
	struct sk_rules *r = new_engine(cfg);
	struct sk_buf msg;
	sk_buf_init(&msg, 0);
	if (!r)
		goto fail;
	bool cli = cfg->rules_cli.n > 0;
	size_t nsrc = cli ? cfg->rules_cli.n : cfg->conf->nrules_files;
	for (size_t i = 0; i < nsrc; i++)
		if (expand_rules_path(&files, cli ? cfg->rules_cli.v[i] : cfg->conf->rules_files[i], cli,
				      err, sizeof(err)) < 0) {
			print_fatal(err);
			goto fail;
		}
	if (!files.n && !cfg->rules_cli.n && !cfg->rules_files_set) {
		/* nothing configured: the embedded default rules */
		sk_app_log(cfg, SK_LOG_INFO, "Loading rules from:\n");
		sk_app_log(cfg, SK_LOG_INFO, "   <embedded saker_rules.yaml>\n");
		const struct sk_load_result *res =
			sk_rules_load(r, "saker_rules.yaml", sk_default_rules, sk_default_rules_len);
		if (!res || !sk_load_result_ok(res)) {
			if (res && sk_load_result_text(r, res, true, &msg) == 0)
				print_fatal(sk_buf_cstr(&msg));
			goto fail;
		}
	} else if (!files.n) {
		print_fatal("You must specify at least one rules file/directory via -r or a rules_file "
			    "entry in falco.yaml");
		goto fail;
	} else {
		sk_app_log(cfg, SK_LOG_INFO, "Loading rules from:\n");
	}
	for (size_t i = 0; i < files.n; i++) {
		sk_app_log(cfg, SK_LOG_INFO, "   %s | schema validation: none\n", files.v[i]);
		const struct sk_load_result *res = load_path(r, files.v[i]);
		if (!res)
			goto fail;
		sk_buf_reset(&msg);
		if (!sk_load_result_ok(res)) {
			if (sk_load_result_text(r, res, true, &msg) == 0)
				print_fatal(sk_buf_cstr(&msg));
			goto fail;
		}
		if (sk_load_result_has_warnings(res) && sk_load_result_text(r, res, true, &msg) == 0)
			sk_app_log(cfg, SK_LOG_WARNING, "%s\n", sk_buf_cstr(&msg));
	}
	sk_buf_reset(&msg);
	if (!sk_rules_check_plugins(r, &msg)) {
		print_fatal(sk_buf_cstr(&msg));
		goto fail;
	}
	for (size_t i = 0; i < cfg->nsel; i++) {
		const struct sk_app_rule_sel *s = &cfg->sel[i];
		if (s->rule) {
			sk_app_log(cfg, SK_LOG_INFO, "%s rules with name: %s\n", s->enable ? "Enabling" : "Disabling", s->rule);
			sk_rules_enable_name(r, s->rule, s->enable);
		}
		if (s->tag) {
			sk_app_log(cfg, SK_LOG_INFO, "%s rules with tag: %s\n", s->enable ? "Enabling" : "Disabling", s->tag);
			sk_rules_enable_tag(r, s->tag, s->enable);
		}
	}
	sk_buf_done(&msg);
	sk_strv_done(&files);
	return r;
fail:
	sk_buf_done(&msg);
	sk_strv_done(&files);
	sk_rules_free(r);
	return NULL;
}

static int do_list_rules(struct sk_app_cfg *cfg, struct sk_rules *r)
{
	if (cfg->names_only && cfg->list_rules && !cfg->describe_rule) {
		/* -L -N: rule names only, in definition order */
		for (size_t i = 0; i < sk_rules_count(r); i++)
			printf("%s\n", sk_rules_get(r, i)->name);
		return 0;
	}
	struct sk_buf out;
	sk_buf_init(&out, 0);
	int rc = cfg->json_output ? sk_rules_describe_json(r, cfg->describe_rule, &out)
				  : sk_rules_describe_text(r, cfg->describe_rule, &out);
	if (rc == -ENOENT) {
		char m[600];
		snprintf(m, sizeof(m), "Rule \"%s\" is not loaded", cfg->describe_rule);
		print_fatal(m);
		sk_buf_done(&out);
		return 1;
	}
	fputs(sk_buf_cstr(&out), stdout);
	if (cfg->json_output)
		fputc('\n', stdout);
	sk_buf_done(&out);
	return 0;
}

int sk_app_run(int argc, char **argv)
{
	struct sk_app_cfg cfg;
	int ret = sk_app_cfg_parse(&cfg, argc, argv);
	if (ret >= 0) {
		sk_app_cfg_done(&cfg);
		return ret;
	}
	ret = 1;
	cfg.argc = argc;
	cfg.argv = argv;
	struct sk_rules *r = NULL;
	if (cfg.help) {
		usage(stdout);
		ret = 0;
		goto out;
	}
	if (cfg.version) {
		printf("saker version: %s\nFalco engine version: %s\n", SAKER_VERSION, SK_ENGINE_VERSION);
		ret = 0;
		goto out;
	}
	if (cfg.list_fields || cfg.list_events) {
		ret = sk_app_list(&cfg);
		goto out;
	}
	if (cfg.support) {
		ret = sk_app_support(&cfg);
		goto out;
	}
	if (cfg.validate.n) {
		ret = do_validate(&cfg);
		goto out;
	}
	sk_app_log_startup(&cfg, argc, argv);
	r = sk_app_load_rules(&cfg);
	if (!r)
		goto out;
	if (cfg.list_rules || cfg.describe_rule) {
		ret = do_list_rules(&cfg, r);
		goto out;
	}
	if (sk_rules_finalize(r, cfg.priority, cfg.match_all) < 0) {
		print_fatal("out of memory");
		goto out;
	}
	ret = sk_app_engine(&cfg, r);
out:
	sk_rules_free(r);
	sk_app_cfg_done(&cfg);
	return ret;
}
