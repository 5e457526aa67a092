/* fuzz_format.c — libFuzzer target for output format strings (a rule's
 * `output`, append_output, -p): the first byte picks the source and the rest
 * is the format. It is compiled with static_fields from a fixed config; one
 * that compiles is rendered on an openat exit event (syscall) or an audit
 * body (k8s_audit), and built into a rule output whose alert is formatted as
 * text and JSON. Bad formats must fail with a column, never crash. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "event/event.h"
#include "output/output.h"

static struct sk_config *cfg;
static struct sk_buf evbuf;
static struct sk_event ev;
static json_t *audit;

/* An openat exit with every parameter set (name = /etc/shadow). */
static void build_event(void)
{
	uint16_t code = 0;
	for (uint16_t i = 0; i < SK_EVENT_MAX; i++)
		if (!strcmp(sk_event_table[i].name, "openat") && sk_event_table[i].dir == 'X' &&
		    sk_event_table[i].nparams > sk_event_table[code].nparams)
			code = i;
	const struct sk_event_info *info = &sk_event_table[code];
	struct sk_event_builder b;
	sk_buf_init(&evbuf, 0);
	sk_event_build_begin(&b, &evbuf, 1795330770919231686ULL, 1234, code, info->nparams);
	for (unsigned i = 0; i < info->nparams; i++) {
		uint32_t w = sk_ptype_fixed_size(info->params[i].type);
		if (w && w <= 8)
			sk_event_build_u64(&b, 3, w);
		else
			sk_event_build_str(&b, "/etc/shadow");
	}
	if (sk_event_build_end(&b) != 0 ||
	    sk_event_decode(&ev, (const uint8_t *)evbuf.data, evbuf.len, NULL) != 0)
		abort();
	ev.num = 7;
}

static void setup(void)
{
	struct sk_err err;
	struct sk_config_opts o = {.yaml = "static_fields:\n  a: one\n  b: \"t w o\"\n"
					   "json_output: true\njson_include_output_fields: true\n"};
	cfg = sk_config_load(&o, &err);
	audit = json_loads("{\"kind\":\"Event\",\"verb\":\"create\",\"user\":{\"username\":\"u\","
			   "\"groups\":[\"g1\",\"g2\"]},\"objectRef\":{\"resource\":\"pods\","
			   "\"namespace\":\"ns\",\"name\":\"p\"},\"requestObject\":{\"spec\":"
			   "{\"containers\":[{\"image\":\"i:1\",\"securityContext\":"
			   "{\"privileged\":true}}]}}}", 0, NULL);
	if (!cfg || !audit)
		abort();
	build_event();
}

static void render(const struct sk_output_format *f, enum sk_source src, const char *fmt,
		   struct sk_eval_ctx *c, struct sk_buf *b)
{
	sk_buf_reset(b);
	(void)sk_output_format_text(f, c, b);
	for (size_t i = 0; i < sk_output_format_nkeys(f); i++)
		(void)strlen(sk_output_format_key(f, i));
	struct sk_err err;
	static const char *const tags[] = {"x"};
	struct sk_rule_output *r = sk_rule_output_new(cfg, src, "R", fmt, tags, 1, &err);
	if (!r)
		return;
	struct sk_alert *a = sk_alert_new(r, 4, c);
	struct sk_alert_style s;
	sk_alert_style_from_config(&s, cfg, "host");
	for (int json = 0; a && json < 2; json++) {
		s.json = json;
		sk_buf_reset(b);
		(void)sk_alert_format(a, &s, b);
	}
	sk_alert_free(a);
	sk_rule_output_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg)
		setup();
	if (!size)
		return 0;
	enum sk_source src = data[0] & 1 ? SK_SRC_K8S_AUDIT : SK_SRC_SYSCALL;
	char *fmt = malloc(size);
	if (!fmt)
		return 0;
	memcpy(fmt, data + 1, size - 1);
	fmt[size - 1] = 0;
	struct sk_err err;
	struct sk_output_format *f = sk_output_format_new(src, fmt, cfg, &err);
	if (f) {
		struct sk_eval_ctx c;
		sk_eval_ctx_init(&c, NULL);
		if (src == SK_SRC_SYSCALL)
			sk_eval_ctx_set_event(&c, &ev);
		else
			sk_eval_ctx_set_audit(&c, audit, 1, 1795330770919231686ULL);
		struct sk_buf b;
		sk_buf_init(&b, 1u << 20);
		render(f, src, fmt, &c, &b);
		sk_buf_done(&b);
		sk_eval_ctx_done(&c);
		sk_output_format_free(f);
	}
	free(fmt);
	return 0;
}
