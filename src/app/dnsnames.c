/* dnsnames.c — wires fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name:
 * collects the host names the enabled syscall rules compare those fields
 * with (=, !=, in, intersects), hands them to the fields
 * module's resolver (fields/dnscache.c) at load and at every reload, and
 * shows its counters on /metrics. */
#include <stdio.h>
#include <string.h>

#include "app/ops.h"
#include "app/run_int.h"
#include "config/config.h"
#include "fields/fields.h"
#include "filter/filter.h"
#include "rules/rules.h"

/* wait at most this long at load for the first resolution pass */
#define FIRST_PASS_MS 3000u

static bool registered; /* dns_metrics is on the /metrics page */

static bool is_name_field(const struct sk_ast_field *f)
{
	static const char *const names[] = {"fd.cip.name", "fd.sip.name", "fd.lip.name",
					    "fd.rip.name"};
	if (f->kind != SK_OPND_FIELD || !f->name)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(f->name, names[i]))
			return true;
	return false;
}

struct collect {
	struct sk_strv names;
	int rc;
};

static bool collect_node(const struct sk_ast *n, void *ctx)
{
	struct collect *c = ctx;
	if (n->kind != SK_AST_CHECK || !is_name_field(&n->u.check.lhs))
		return true;
	const struct sk_ast_check *k = &n->u.check;
	/* names compared whole; a pattern (glob, startswith...) is not a name to
	 * resolve: it matches among the resolved names only */
	if (k->op != SK_OP_EQ && k->op != SK_OP_NE && k->op != SK_OP_IN &&
	    k->op != SK_OP_INTERSECTS)
		return true;
	if (k->rhs != SK_RHS_VALUE && k->rhs != SK_RHS_LIST && k->rhs != SK_RHS_LISTREF)
		return true;
	for (uint32_t i = 0; i < k->nvals && !c->rc; i++) {
		bool dup = false;
		for (size_t j = 0; j < c->names.n && !dup; j++)
			dup = !strcmp(c->names.v[j], k->vals[i].text);
		if (!dup && *k->vals[i].text)
			c->rc = sk_strv_push(&c->names, k->vals[i].text);
	}
	return true;
}

static void dns_metrics(void *ctx, struct sk_app_prom *p)
{
	(void)ctx;
	struct sk_dnscache_stats s;
	sk_dnscache_stats(&s);
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} series[] = {
		{"saker_dns_resolutions_total", "counter",
		 "host names of fd.*ip.name conditions resolved (refreshes included)", s.resolutions},
		{"saker_dns_failures_total", "counter", "resolutions of those names that failed",
		 s.failures},
		{"saker_dns_names", "gauge", "host names the loaded rules use", s.names},
	};
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
		sk_app_prom_family(p, series[i].name, series[i].type, series[i].help);
		sk_app_prom_u64(p, series[i].name, NULL, series[i].v);
	}
}

int sk_app_dns_names(const struct sk_app_cfg *c, const struct sk_rules *r, bool wait)
{
	struct collect col = {0};
	struct sk_err err;
	sk_err_clear(&err);
	for (size_t i = 0; i < sk_rules_count(r) && !col.rc; i++) {
		const struct sk_rule *ru = sk_rules_get(r, i);
		if (!ru->enabled || ru->source_id != SK_SRC_SYSCALL || !ru->cond_compiled ||
		    !strstr(ru->cond_compiled, "ip.name"))
			continue;
		struct sk_ast *a = sk_filter_parse(ru->cond_compiled, &err);
		if (!a)
			continue; /* it compiled once: only an OOM gets here */
		sk_ast_visit(a, collect_node, &col);
		sk_ast_free(a);
	}
	if (col.rc) {
		sk_strv_done(&col.names);
		sk_app_log(c, SK_LOG_ERROR, "fd.*ip.name: out of memory\n");
		return -1;
	}
	if (c->conf->dns_refresh_interval_s > 0)
		sk_dnscache_set_refresh((unsigned)c->conf->dns_refresh_interval_s);
	int rc = sk_dnscache_set_names((const char *const *)col.names.v, col.names.n,
				       wait ? FIRST_PASS_MS : 0,
				       &err);
	if (rc)
		sk_app_log(c, SK_LOG_ERROR, "fd.*ip.name: %s\n", err.msg);
	else if (col.names.n)
		sk_app_log(c, SK_LOG_INFO, "fd.*ip.name: %zu host name(s), resolved again every %llds\n",
			   col.names.n, (long long)c->conf->dns_refresh_interval_s);
	if (!registered)
		registered = sk_app_metrics_register(dns_metrics, NULL) == 0;
	sk_strv_done(&col.names);
	return rc ? -1 : 0;
}

void sk_app_dns_names_stop(void)
{
	if (registered)
		sk_app_metrics_unregister(dns_metrics, NULL);
	registered = false;
	sk_dnscache_stop();
}
