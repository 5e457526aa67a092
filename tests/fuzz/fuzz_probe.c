/* fuzz_probe.c — libFuzzer target for what user space does with the probe's
 * ring-buffer bytes: the input is a run of records as a ring holds them. Each
 * is decoded with sk_event_decode (the call sk_driver_next makes on every ring
 * head), and a record that decodes goes on like a live event: state update,
 * an output format with fields of every class rendered on it, state post.
 * A record that does not decode is skipped by its header length, as the
 * driver does (n_bad). Nothing may crash, leak or read past the record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "fields/fields.h"
#include "output/output.h"
#include "state/state.h"

/* One token per field class the live engine renders for syscall rules. */
static const char FMT[] =
	"%evt.type %evt.args %evt.dir %evt.res %evt.rawres %evt.failed %evt.arg.fd %evt.arg[0] "
	"%evt.buffer %evt.category %evt.num %proc.name %proc.cmdline %proc.exepath %proc.pname "
	"%proc.aname[3] %proc.env %proc.cwd %proc.tty %proc.sid %proc.vpgid %proc.is_exe_upper_layer "
	"%thread.tid %thread.cap_effective %user.name %user.loginname %group.name %fd.name "
	"%fd.type %fd.sip %fd.cport %fd.l4proto %fd.directory %fd.filename %fd.num %fs.path.name "
	"%container.id %container.name %container.image %k8s.pod.name %toupper(proc.name) "
	"%basename(fd.name) %b64(evt.args) %10proc.args";

static struct sk_state *st;
static struct sk_output_format *fmt;

static volatile int fd_sum;

/* The live read of the fds passed in SCM_RIGHTS messages, minus /proc: each
 * fd is looked at, so that a miscounted array reads out of bounds. */
static int passed_fds(void *ctx, struct sk_state *s, int64_t pid, const int *fds, size_t n)
{
	(void)ctx, (void)s, (void)pid;
	for (size_t i = 0; i < n; i++)
		fd_sum += fds[i];
	return 0;
}

static void setup(void)
{
	struct sk_err err;
	st = sk_state_new(&(struct sk_state_config){.max_threads = 256, .max_fds_per_process = 64,
						    .max_users = 16, .max_containers = 16,
						    .read_fds = passed_fds});
	fmt = sk_output_format_new(SK_SRC_SYSCALL, FMT, NULL, &err);
	if (!st || !fmt)
		abort();
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st)
		setup();
	sk_state_clear(st); /* each input starts from an empty table */
	struct sk_eval_ctx ctx;
	sk_eval_ctx_init(&ctx, st);
	struct sk_buf out;
	sk_buf_init(&out, 1u << 20);
	size_t off = 0;
	for (int n = 0; n < 4096 && size - off >= SK_EVENT_HDR_LEN; n++) {
		const uint8_t *rec = data + off;
		size_t avail = size - off;
		uint32_t len = rd32(rec + 16);
		if (len < SK_EVENT_HDR_LEN || len > avail)
			len = (uint32_t)avail; /* the driver bounds a record by the ring */
		struct sk_event ev;
		struct sk_err err;
		if (sk_event_decode(&ev, rec, len, &err) == 0) {
			ev.num = (uint64_t)n + 1;
			if (sk_state_update(st, &ev)) {
				sk_eval_ctx_set_event(&ctx, &ev);
				sk_buf_reset(&out);
				(void)sk_output_format_text(fmt, &ctx, &out);
			}
			sk_state_post(st, &ev);
		}
		off += len;
	}
	sk_buf_done(&out);
	sk_eval_ctx_done(&ctx);
	return 0;
}
