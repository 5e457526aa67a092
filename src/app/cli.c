/* cli.c — Falco-compatible command-line parsing and the subset of
 * falco.yaml (plus -o KEY=VALUE overrides) the rules engine loop needs;
 * seed-era flags (-e, -D, -t, -T, -A) are mapped onto current keys. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "app/run_int.h"
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
	if (!c->log_stderr || level > c->log_level)
		return;
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(stderr, "%s: ", ts);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

/* Applies one scalar key (dotted path) from the config file or -o. */
static int set_key(struct sk_app_cfg *c, const char *key, const char *val)
{
	bool b;
	if (!strcmp(key, "json_output") && parse_bool(val, &b))
		c->json_output = b;
	else if (!strcmp(key, "json_include_output_property") && parse_bool(val, &b))
		c->json_include_output = b;
	else if (!strcmp(key, "json_include_tags_property") && parse_bool(val, &b))
		c->json_include_tags = b;
	else if (!strcmp(key, "json_include_message_property") && parse_bool(val, &b))
		c->json_include_message = b;
	else if (!strcmp(key, "json_include_output_fields_property") && parse_bool(val, &b))
		c->json_include_output_fields = b;
	else if (!strcmp(key, "time_format_iso_8601") && parse_bool(val, &b))
		c->time_iso8601 = b;
	else if (!strcmp(key, "log_stderr") && parse_bool(val, &b))
		c->log_stderr = b;
	else if (!strcmp(key, "log_level")) {
		int p = sk_rule_priority_parse(val);
		if (p >= 0)
			c->log_level = p;
	} else if (!strcmp(key, "priority")) {
		int p = sk_rule_priority_parse(val);
		if (p < 0) {
			fprintf(stderr, "Error: Unknown priority \"%s\"--must be one of emergency, alert, "
					"critical, error, warning, notice, informational, debug\n", val);
			return -1;
		}
		c->priority = p;
	} else if (!strcmp(key, "rule_matching")) {
		if (strcmp(val, "first") && strcmp(val, "all")) {
			fprintf(stderr, "Error: Unknown rule matching strategy \"%s\"--must be one of first, all\n", val);
			return -1;
		}
		c->match_all = !strcmp(val, "all");
	} else if (!strcmp(key, "engine.kind")) {
		free(c->engine_kind);
		c->engine_kind = strdup(val);
	} else if (!strcmp(key, "engine.replay.capture_file")) {
		free(c->capture_file);
		c->capture_file = strdup(val);
	} else if (!strcmp(key, "rules[].disable.rule") || !strcmp(key, "rules[].enable.rule")) {
		return add_sel(c, strstr(key, "enable") != NULL, val, NULL);
	} else if (!strcmp(key, "rules[].disable.tag") || !strcmp(key, "rules[].enable.tag")) {
		return add_sel(c, strstr(key, "enable") != NULL, NULL, val);
	} else if (!strcmp(key, "rules_files[]") || !strcmp(key, "rules_file[]")) {
		c->rules_files_set = true;
		return sk_strv_push(&c->rules_files, val);
	}
	return 0;
}

static yaml_node_t *ymap_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int load_config(struct sk_app_cfg *c, bool explicit_path)
{
	char *text = NULL;
	size_t len;
	int rc = sk_read_file(c->config_path, 16u << 20, &text, &len);
	if (rc < 0) {
		if (!explicit_path)
			return 0;
		fprintf(stderr, "Error: Could not read configuration file %s: %s\n", c->config_path, strerror(-rc));
		return -1;
	}
	yaml_parser_t p;
	yaml_document_t d;
	if (!yaml_parser_initialize(&p)) {
		free(text);
		return -1;
	}
	yaml_parser_set_input_string(&p, (unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d)) {
		fprintf(stderr, "Error: %s: YAML error at line %d: %s\n", c->config_path,
			(int)p.problem_mark.line + 1, p.problem ? p.problem : "invalid YAML");
		yaml_parser_delete(&p);
		free(text);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&d);
	static const char *const scalars[] = {
		"json_output", "json_include_output_property", "json_include_tags_property",
		"json_include_message_property", "json_include_output_fields_property",
		"time_format_iso_8601", "priority", "rule_matching", "log_stderr", "log_level",
	};
	rc = 0;
	for (size_t i = 0; !rc && i < SK_ARRAY_LEN(scalars); i++) {
		const char *v = yscalar(ymap_get(&d, root, scalars[i]));
		if (v)
			rc = set_key(c, scalars[i], v);
	}
	yaml_node_t *eng = ymap_get(&d, root, "engine");
	const char *kind = yscalar(ymap_get(&d, eng, "kind"));
	if (!rc && kind)
		rc = set_key(c, "engine.kind", kind);
	const char *cf = yscalar(ymap_get(&d, ymap_get(&d, eng, "replay"), "capture_file"));
	if (!rc && cf && *cf)
		rc = set_key(c, "engine.replay.capture_file", cf);
	yaml_node_t *rf = ymap_get(&d, root, "rules_files");
	yaml_node_t *rf_old = ymap_get(&d, root, "rules_file");
	if (rf && rf_old) {
		fprintf(stderr, "Error: Error reading config file (%s): both 'rules_files' and 'rules_file' keys set\n",
			c->config_path);
		rc = -1;
	}
	if (!rf)
		rf = rf_old;
	if (!rc && rf) {
		c->rules_files_set = true;
		if (rf->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = rf->data.sequence.items.start; it < rf->data.sequence.items.top; it++) {
				const char *v = yscalar(yaml_document_get_node(&d, *it));
				if (v && (rc = sk_strv_push(&c->rules_files, v)) < 0)
					break;
			}
		} else if (yscalar(rf)) {
			rc = sk_strv_push(&c->rules_files, yscalar(rf));
		}
	}
	yaml_node_t *sel = ymap_get(&d, root, "rules");
	if (!rc && sel && sel->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = sel->data.sequence.items.start; it < sel->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&d, *it);
			for (int en = 0; en < 2; en++) {
				yaml_node_t *m = ymap_get(&d, e, en ? "enable" : "disable");
				if (!m)
					continue;
				const char *rule = yscalar(ymap_get(&d, m, "rule"));
				const char *tag = yscalar(ymap_get(&d, m, "tag"));
				if (rule || tag)
					rc = add_sel(c, en, rule, tag);
			}
		}
	}
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	free(text);
	return rc;
}

static int apply_override(struct sk_app_cfg *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq) {
		fprintf(stderr, "Error: Must be of the form key=val\n");
		return -1;
	}
	char key[512];
	size_t kl = (size_t)(eq - kv);
	if (kl >= sizeof(key))
		kl = sizeof(key) - 1;
	memcpy(key, kv, kl);
	key[kl] = 0;
	return set_key(c, key, eq + 1);
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
	c->json_include_output = c->json_include_tags = c->json_include_output_fields = true;
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
		} else if (!strcmp(a, "-v") || !strcmp(a, "-A")) {
			if (a[1] == 'A')
				c->all_events = true;
		} else if (!strncmp(a, "--enable-source", 15) || !strncmp(a, "--disable-source", 16)) {
			bool en = a[2] == 'e';
			const char *eq = strchr(a, '=');
			v = optval(argc, argv, &i, eq ? eq + 1 : NULL);
			if (!v)
				goto missing;
			rc = sk_strv_push(en ? &c->enable_sources : &c->disable_sources, v);
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
			default: break; /* -p, -P: accepted, unused */
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
	if (c->help || c->version)
		goto done;
	if (load_config(c, explicit_config) < 0)
		rc = -1;
	for (size_t i = 0; !rc && i < c->overrides.n; i++)
		rc = apply_override(c, c->overrides.v[i]);
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
	sk_strv_done(&c->rules_files);
	for (size_t i = 0; i < c->nsel; i++) {
		free(c->sel[i].rule);
		free(c->sel[i].tag);
	}
	free(c->sel);
	free(c->engine_kind);
	free(c->capture_file);
	free(c->config_text);
}
