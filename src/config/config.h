/* config.h — falco.yaml-compatible configuration: the YAML document (main
 * file + config_files + -o overrides + ${ENV} expansion), one table of every
 * key Falco 0.44.1 knows (type, default, bounds), generic access by dotted
 * path and typed members for the keys the engine uses.
 *
 * Lifecycle: sk_config_load() -> read members / sk_config_get_*() ->
 * sk_config_free(). A loaded config is immutable and may be read from any
 * thread. Every string and array hanging off struct sk_config is owned by it
 * and lives until sk_config_free(). Nothing here prints: problems that do
 * not stop loading (unknown keys, values of the wrong shape in keys saker
 * does not use, missing config_files entries) are collected in `warnings`
 * for the program layer to log. */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SK_CONFIG_DEFAULT_PATH "/etc/saker/saker.yaml"

/* Rule priorities, Falco's order (0 = most severe). */
enum sk_priority {
	SK_PRIO_EMERGENCY = 0,
	SK_PRIO_ALERT,
	SK_PRIO_CRITICAL,
	SK_PRIO_ERROR,
	SK_PRIO_WARNING,
	SK_PRIO_NOTICE,
	SK_PRIO_INFORMATIONAL,
	SK_PRIO_DEBUG,
	SK_PRIO_COUNT
};

/* "Emergency" ... "Debug" (canonical output names); "" when out of range. */
const char *sk_priority_name(int p);
/* Case-insensitive; accepts the canonical names and "info". -1 if unknown. */
int sk_priority_parse(const char *s);

enum sk_engine_kind {
	SK_ENGINE_KMOD = 0,      /* Falco's absent default; saker runs modern_ebpf for it */
	SK_ENGINE_MODERN_EBPF,
	SK_ENGINE_REPLAY,
	SK_ENGINE_NODRIVER,
	SK_ENGINE_EBPF,          /* legacy probe name, accepted */
	SK_ENGINE_GVISOR,        /* accepted, unsupported by saker */
};

/* One `rules:` entry: {enable|disable: {rule: GLOB | tag: TAG}}. */
struct sk_config_rule_sel {
	bool enable;
	const char *rule;            /* glob, or NULL */
	const char *tag;             /* or NULL (exactly one of rule/tag is set) */
};

/* One `append_output.extra_fields` entry: `name: "fmt"` or a plain field. */
struct sk_config_extra_field {
	const char *name;            /* output_fields key */
	const char *format;          /* custom format, or NULL for a plain field */
};

/* One `append_output` entry. Match members are NULL/0 when not given. */
struct sk_config_append {
	const char *source;          /* match.source */
	const char *rule;            /* match.rule */
	const char **tags;           /* match.tags (all must be on the rule) */
	size_t ntags;
	const char *extra_output;    /* appended to the message, or NULL */
	struct sk_config_extra_field *extra_fields;
	size_t nextra_fields;
	bool suggested_output;       /* add the source's suggested fields */
};

struct sk_config_static_field {
	const char *name, *value;    /* static_fields: name -> value */
};

/* One `plugins:` entry. init_config is a YAML map rendered as JSON, or the
 * scalar as written; NULL when absent. */
struct sk_config_plugin {
	const char *name, *library_path, *init_config, *open_params;
};

struct sk_config {
	/* ---- provenance ---- */
	const char *path;            /* main file read, NULL when built-in defaults */
	const char **files;          /* main file then merged config_files, in order */
	size_t nfiles;
	const char **warnings;       /* "file:line:col: message" lines */
	size_t nwarnings;

	/* ---- rules ---- */
	const char **rules_files;    /* rules_files (or deprecated rules_file) */
	size_t nrules_files;
	struct sk_config_rule_sel *rules;
	size_t nrules;
	int priority;                /* enum sk_priority: minimum loaded */
	bool rule_matching_all;      /* rule_matching: all */

	/* ---- alert formatting ---- */
	bool json_output;
	bool json_include_output_property;
	bool json_include_message_property;
	bool json_include_output_fields_property;
	bool json_include_tags_property;
	bool time_format_iso_8601;
	bool buffer_format_base64;
	struct sk_config_append *append_output;
	size_t nappend_output;
	struct sk_config_static_field *static_fields;
	size_t nstatic_fields;

	/* ---- output channels ---- */
	bool buffered_outputs;
	int64_t outputs_queue_capacity;  /* 0 = unbounded in Falco; saker caps it (output.h) */
	int64_t output_timeout_ms;
	struct { bool enabled; } stdout_output;
	struct { bool enabled; } syslog_output;
	struct { bool enabled, keep_alive; const char *filename; } file_output;
	struct { bool enabled, keep_alive; const char *program; } program_output;
	struct {
		bool enabled, insecure, mtls, echo, compress_uploads, keep_alive;
		const char *url, *user_agent, *ca_cert, *ca_bundle, *ca_path;
		const char *client_cert, *client_key;
		int64_t max_consecutive_timeouts;
	} http_output;

	/* ---- logging ---- */
	int log_level;               /* enum sk_priority */
	bool log_stderr, log_syslog;
	bool libs_logger_enabled;
	const char *libs_logger_severity;

	/* ---- engine ---- */
	int engine_kind;             /* enum sk_engine_kind */
	const char *replay_capture_file;
	bool replay_emulate_kernel_filters; /* debug: apply the kernel filters in user space */
	int64_t kmod_buf_size_preset;
	bool kmod_drop_failed_exit;
	int64_t modern_ebpf_cpus_for_each_buffer;
	int64_t modern_ebpf_buf_size_preset;
	bool modern_ebpf_drop_failed_exit;
	bool modern_ebpf_kernel_filters;    /* rule-derived kernel filters (kfilter) */
	int64_t dns_refresh_interval_s;     /* fd.*ip.name names re-resolved every ... */
	bool modern_ebpf_disable_iterators;

	const char **base_syscalls_custom_set;
	size_t nbase_syscalls_custom_set;
	bool base_syscalls_repair, base_syscalls_all;

	double syscall_event_drops_threshold;
	const char **syscall_event_drops_actions;   /* ignore|log|alert|exit */
	size_t nsyscall_event_drops_actions;
	double syscall_event_drops_rate;
	int64_t syscall_event_drops_max_burst;
	bool syscall_event_drops_simulate_drops;
	int64_t syscall_event_timeouts_max_consecutives;

	int64_t thread_table_size;
	/* saker's other state bounds (falco_libs.*; docs/reliability.md) */
	int64_t fd_table_size, fd_total_size, user_table_size, container_table_size;
	/* live purge of threads whose exit was lost (falco_libs.thread_table_auto_purging_*) */
	int64_t thread_purge_interval_s, thread_purge_timeout_s;
	int64_t snaplen;

	/* ---- webserver / metrics ---- */
	struct {
		bool enabled, prometheus_metrics_enabled, ssl_enabled;
		int64_t threadiness, listen_port;
		const char *listen_address, *k8s_healthz_endpoint, *ssl_certificate;
	} webserver;
	struct {
		bool enabled, output_rule, rules_counters_enabled, resource_utilization_enabled;
		bool state_counters_enabled, kernel_event_counters_enabled;
		bool kernel_event_counters_per_cpu_enabled, libbpf_stats_enabled;
		bool plugins_metrics_enabled, jemalloc_stats_enabled;
		bool convert_memory_to_mb, include_empty_values;
		const char *interval;        /* as written */
		uint64_t interval_ms;        /* parsed; 0 when unparsable (error if enabled) */
		const char *output_file;
	} metrics;

	/* ---- plugins, capture, reload ---- */
	bool load_plugins_set;       /* false: load every plugins entry */
	const char **load_plugins;
	size_t nload_plugins;
	struct sk_config_plugin *plugins;
	size_t nplugins;
	bool plugins_hostinfo;
	bool watch_config_files;
	struct {
		bool enabled, all_rules;     /* mode: all_rules */
		const char *path_prefix;
		int64_t default_duration_ms, max_file_size_mb;
	} capture;

	/* private: the merged document and its memory */
	struct sk_config_priv *priv;
};

/* How to load. All members optional. */
struct sk_config_opts {
	const char *path;            /* -c; NULL = SK_CONFIG_DEFAULT_PATH, which may be
	                                missing (built-in defaults + a warning) */
	const char *const *overrides;/* -o KEY=VALUE, applied in order after config_files */
	size_t noverrides;
	const char *yaml;            /* load this text instead of a file (tests);
	                                `path` then only names it in messages */
};

/* Loads and validates. Returns NULL with err filled (file, line, column when
 * known) on: unreadable explicit file, YAML syntax, bad -o syntax, nested or
 * self-including config_files, or a used key with a bad value (e.g.
 * engine.kind: foo, json_output: maybe, file_output enabled w/o filename). */
struct sk_config *sk_config_load(const struct sk_config_opts *o, struct sk_err *err);
void sk_config_free(struct sk_config *c); /* NULL-safe */

/* ---- generic access ------------------------------------------------------
 * `path` uses the -o grammar without `[]`: "engine.kind", "plugins[0].name",
 * "static_fields.env". ${ENV} references are already expanded. */

/* Scalar as text, or NULL when absent, null, or not a scalar. */
const char *sk_config_get_str(const struct sk_config *c, const char *path);
/* 0, -ENOENT (absent/null) or -EINVAL (not convertible). Booleans accept
 * true/false/yes/no/on/off (any case); integers decimal or 0x hex. */
int sk_config_get_bool(const struct sk_config *c, const char *path, bool *out) SK_WUR;
int sk_config_get_int(const struct sk_config *c, const char *path, int64_t *out) SK_WUR;
int sk_config_get_double(const struct sk_config *c, const char *path, double *out) SK_WUR;
/* Number of elements of a sequence or entries of a map; -ENOENT if absent,
 * -EINVAL if a scalar. */
int sk_config_get_len(const struct sk_config *c, const char *path);
/* Renders the node at path as compact JSON (maps keep their order; scalars
 * that look like numbers/booleans stay strings unless plain YAML). */
int sk_config_get_json(const struct sk_config *c, const char *path, struct sk_buf *out) SK_WUR;

/* ---- the key table ------------------------------------------------------- */
enum sk_config_type {
	SK_CT_BOOL, SK_CT_INT, SK_CT_DOUBLE, SK_CT_STRING, SK_CT_ENUM,
	SK_CT_LIST,      /* sequence (element keys listed as "key[].child") */
	SK_CT_MAP,       /* map with listed children */
	SK_CT_ANY,       /* free-form subtree (static_fields, init_config) */
	SK_CT_DURATION,  /* Prometheus-style duration (metrics.interval) */
};

struct sk_config_key {
	const char *key;             /* "file_output.keep_alive", "plugins[].name" */
	uint8_t type;                /* enum sk_config_type */
	const char *def;             /* value used when absent ("" none) */
	int64_t min, max;            /* INT bounds (min > max: unbounded) */
	const char *values;          /* ENUM: "a|b|c" */
	const char *desc;
	size_t off;                  /* private: typed member filled (0 = none) */
};

/* Every key Falco 0.44.1 knows, plus removed ones still accepted silently. */
extern const struct sk_config_key sk_config_keys[];
extern const size_t sk_config_keys_count;

#endif
