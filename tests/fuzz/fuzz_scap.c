/* fuzz_scap.c — libFuzzer target for the .scap reader: any bytes (plain or
 * gzip) are opened from memory and read to the end, in converted and raw
 * mode, touching every byte the reader hands out so ASan sees over-reads. */
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

static volatile uint64_t sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += b[i];
	sink += s;
}

static int f_machine(void *c, const struct sk_scap_machine *mi) { (void)c; touch(mi, sizeof(*mi)); return 0; }
static int f_iface(void *c, const struct sk_scap_iface *i) { (void)c; touch(i->name.p, i->name.len); return 0; }
static int f_user(void *c, const struct sk_scap_user *u)
{
	(void)c;
	touch(u->name.p, u->name.len);
	touch(u->homedir.p, u->homedir.len);
	touch(u->shell.p, u->shell.len);
	return 0;
}
static int f_group(void *c, const struct sk_scap_group *g) { (void)c; touch(g->name.p, g->name.len); return 0; }
static int f_thread(void *c, const struct sk_scap_thread *t)
{
	(void)c;
	const struct sk_bytes *s[] = {&t->comm, &t->exe, &t->exepath, &t->args, &t->cwd,
				      &t->env, &t->cgroups, &t->root};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		touch(s[i]->p, s[i]->len);
	return 0;
}
static int f_fd(void *c, uint64_t tid, const struct sk_scap_fd *f) { (void)c; (void)tid; touch(f->name.p, f->name.len); return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_scap_meta_ops ops = {NULL, NULL, f_machine, f_iface, f_user, f_group, f_thread, f_fd};
	for (int raw = 0; raw < 2; raw++) {
		struct sk_scap_open_opts o = {.raw = raw, .max_meta_block = 1u << 20,
					      .max_large_event = 1u << 20};
		struct sk_err err;
		struct sk_scap_reader *r = sk_scap_open_mem(data, size, &o, &ops, &err);
		if (!r)
			continue;
		struct sk_event ev;
		for (int n = 0; n < 100000 && sk_scap_next(r, &ev, &err) == 1; n++) {
			touch(ev.rec, ev.len);
			for (unsigned i = 0; i < ev.nparams; i++) {
				uint32_t len;
				const uint8_t *p = sk_event_param(&ev, i, &len);
				touch(p, len);
				int64_t v;
				if (sk_event_get_s64(&ev, i, &v))
					sink += (uint64_t)v;
				const char *s = sk_event_get_str(&ev, i);
				if (s)
					sink += (uint64_t)s[0];
			}
		}
		sk_scap_close(r);
	}
	return 0;
}
