/* run_int.h — private to src/app: the parsed command line and the subset of
 * falco.yaml the engine loop needs, logging, and the pieces of the run. */
#ifndef SK_APP_RUN_INT_H
#define SK_APP_RUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SK_APP_DEFAULT_CONFIG "/etc/saker/saker.yaml"

struct sk_rules;
struct sk_config;

/* A growable vector of owned strings. */
struct sk_strv {
	char **v;
	size_t n, cap;
};
int sk_strv_push(struct sk_strv *s, const char *str);
void sk_strv_done(struct sk_strv *s);

struct sk_app_rule_sel {
	bool enable;
	char *rule, *tag;
};

enum sk_log_level { SK_LOG_ERROR = 3, SK_LOG_WARNING = 4, SK_LOG_NOTICE = 5, SK_LOG_INFO = 6, SK_LOG_DEBUG = 7 };

struct sk_app_cfg {
	/* command line */
	int argc;                    /* argv as given (reload re-reads it) */
	char **argv;
	const char *config_path;
	struct sk_strv rules_cli, validate, overrides, enable_sources, disable_sources;
	bool help, version, support, list_rules, list_fields, list_events, names_only, dry_run;
	bool unbuffered;
	bool print_ignored;          /* -i (live.c) */
	const char *write_path;      /* -w FILE.scap (live.c) */
	const char *describe_rule, *list_source;
	long run_duration;
	bool verbose;                /* -v */
	bool markdown;               /* --markdown (--list-events) */
	/* configuration (falco.yaml + config_files + -o), loaded by config/ */
	struct sk_config *conf;
	/* taken from conf (and the seed-era flags) for the program layer */
	bool rules_files_set;        /* rules_files/rules_file present (maybe empty) */
	struct sk_app_rule_sel *sel; /* conf `rules:` then -D/-t/-T, in order */
	size_t nsel;
	int priority;
	bool match_all, json_output, log_stderr, log_syslog, time_iso8601;
	int log_level;
	const char *extra_output;    /* -p FORMAT (Falco 0.22): appended to syscall outputs */
	bool replace_container_info; /* -pc/-pk: extra_output stands in for %container.info */
	struct sk_strv cri_sockets;  /* --cri PATH (Falco 0.22), repeatable */
	bool k8s_api_given;          /* -k/-K (Falco 0.22): accepted, not needed */
};

/* Parses argv and the configuration. Returns -1 to continue, or an exit
 * status (errors already printed). */
int sk_app_cfg_parse(struct sk_app_cfg *c, int argc, char **argv);
void sk_app_cfg_done(struct sk_app_cfg *c);

void sk_app_log(const struct sk_app_cfg *c, int level, const char *fmt, ...) SK_PRINTF(3, 4);
void sk_app_log_startup(const struct sk_app_cfg *c, int argc, char **argv);

/* fd.*ip.name (dnsnames.c): resolves the host names the enabled rules of r
 * compare those fields with (`wait`: waits a bounded time for the first
 * answers; a reload does not, being on the engine thread), then keeps them
 * refreshed in the background. 0 or -1 (logged). */
int sk_app_dns_names(const struct sk_app_cfg *c, const struct sk_rules *r, bool wait);
void sk_app_dns_names_stop(void);

struct sk_rules *sk_app_load_rules(struct sk_app_cfg *c);
/* While set (per thread), sk_app_load_rules appends its fatal messages to
 * `b` instead of printing them (reload.c). NULL restores printing. */
void sk_app_fatal_capture(struct sk_buf *b);
int sk_app_engine(struct sk_app_cfg *c, struct sk_rules *r);
/* Least privilege (privs.c): the capabilities live operation keeps, and the
 * drop itself (bounding set, securebits, privileges.user, capset,
 * no_new_privs), done once the probe is loaded and before threads start.
 * 0, or a negative errno with err filled. */
struct sk_config;
uint64_t sk_app_privs_keep(const struct sk_config *k);
int sk_app_privs_drop(const struct sk_app_cfg *c, struct sk_err *err);
/* Installs the seccomp filter of seccomp.c (needs no_new_privs). 0 or -errno. */
int sk_app_seccomp_install(void);
int sk_app_list(struct sk_app_cfg *c);
int sk_app_support(struct sk_app_cfg *c);
/* --list with -N: field names only (list.c). */
int sk_app_list_fields_ex(const char *source, bool names_only);
/* --list-events (list_events.c); `names_only` (-N) prints one name per line. */
int sk_app_list_events(bool markdown, bool names_only);

/* ---- the k8s_audit source (audit.c) ----
 * setup: reads the k8saudit plugin entry and --enable/--disable-source;
 * *out stays NULL when the source is off, *syscall_on says whether the
 * syscall source runs. start: the engine thread and the producer (file
 * reader or webhook); `r` and `out` must outlive stop. done: the source
 * ended and every event was evaluated. summary: adds the source's counts
 * to the end-of-run summary of rules `r` (by rule name). Errors are
 * printed; -1. */
struct sk_app_audit;
struct sk_outputs;
int sk_app_audit_setup(struct sk_app_audit **out, const struct sk_app_cfg *c, bool *syscall_on);
int sk_app_audit_start(struct sk_app_audit *a, const struct sk_rules *r, struct sk_outputs *out);
/* The webhook (kind http), after sk_app_web_start: it joins the web server
 * when on the same port (audit_web.c). 0 or -1 (logged). NULL-safe. */
int sk_app_audit_serve(struct sk_app_audit *a);
bool sk_app_audit_done(const struct sk_app_audit *a); /* true for NULL */
void sk_app_audit_stop(struct sk_app_audit *a);       /* NULL-safe; joins the threads */
void sk_app_audit_summary(const struct sk_app_audit *a, const struct sk_rules *r,
			  uint64_t *detected, uint64_t by_prio[8], uint64_t *by_rule, size_t nrules);
void sk_app_audit_free(struct sk_app_audit *a);       /* NULL-safe; stops first */
/* Reload: the engine thread moves to rules `r` (outputs compiled with `k`)
 * between two events; returns once it no longer uses the previous set, so
 * that set may be freed. NULL-safe; -1 (printed) when an output fails. */
int sk_app_audit_swap(struct sk_app_audit *a, const struct sk_rules *r, const struct sk_config *k);

#endif
