/* drops.c — Falco's syscall_event_drops manager, shared by the live source
 * and the replay loop. As Falco: once per second of event time, the change
 * of the drop counters since the last check; when drops / attempts (events
 * sent + dropped) is above the threshold and the token bucket (rate per
 * second, max_burst) has a token, the actions run: log (debug level), alert
 * (internal alert "Falco internal: syscall event drop" with the per-category
 * counts), exit. A capture file has no drop counters, so in replay only
 * simulate_drops produces drops (Falco checks captures the same way). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/live.h"
#include "app/run_int.h"

#define DROP_RULE "Falco internal: syscall event drop"
#define NS_PER_S 1000000000ull

static uint64_t epoch_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

void sk_app_drop_mgr_init(struct sk_app_drop_mgr *m, const struct sk_app_live_drops *o,
			  const struct sk_app_cfg *cfg, sk_app_live_internal_fn fn, void *ctx,
			  struct sk_driver *d)
{
	memset(m, 0, sizeof(*m));
	m->o = o;
	m->cfg = cfg;
	m->fn = fn;
	m->ctx = ctx;
	m->ebpf = d != NULL;
	m->tokens = o->max_burst;
	m->bucket_ts = epoch_ns();
	if (d && sk_driver_stats(d, &m->last) != 0)
		memset(&m->last, 0, sizeof(m->last));
}

static bool bucket_claim(struct sk_app_drop_mgr *m, uint64_t now)
{
	if (now > m->bucket_ts) {
		m->tokens += m->o->rate * (double)(now - m->bucket_ts) / (double)NS_PER_S;
		if (m->tokens > m->o->max_burst)
			m->tokens = m->o->max_burst;
		m->bucket_ts = now;
	}
	if (m->tokens < 1.0)
		return false;
	m->tokens -= 1.0;
	return true;
}

/* Runs the actions. Returns 1 when the exit action asks saker to stop. */
static int drop_actions(struct sk_app_drop_mgr *m, uint64_t ts, const struct sk_driver_stats *d,
			uint64_t n_evts, uint64_t n_drops)
{
	const struct sk_app_live_drops *o = m->o;
	char msg[160];
	snprintf(msg, sizeof(msg), DROP_RULE ". %llu system calls dropped in last second.",
		 (unsigned long long)n_drops);
	if (o->log && m->cfg)
		sk_app_log(m->cfg, SK_LOG_DEBUG, "%s\n", msg);
	if (o->alert && m->fn) {
		/* Falco's output_fields, every value a string */
		static const char *const keys[] = {
			"n_evts", "n_drops", "n_drops_buffer_total", "n_drops_buffer_clone_fork_exit",
			"n_drops_buffer_execve_exit", "n_drops_buffer_connect_exit",
			"n_drops_buffer_open_exit", "n_drops_buffer_dir_file_exit",
			"n_drops_buffer_other_interest_exit", "n_drops_buffer_close_exit",
			"n_drops_buffer_proc_exit", "n_drops_scratch_map", "n_drops_page_faults",
			"n_drops_bug", "ebpf_enabled"};
		enum { NK = sizeof(keys) / sizeof(keys[0]) };
		uint64_t v[NK] = {n_evts, n_drops, d->n_drops_buffer,
				  d->n_drops_cat[SK_DRIVER_DROP_CLONE_FORK],
				  d->n_drops_cat[SK_DRIVER_DROP_EXECVE],
				  d->n_drops_cat[SK_DRIVER_DROP_CONNECT],
				  d->n_drops_cat[SK_DRIVER_DROP_OPEN],
				  d->n_drops_cat[SK_DRIVER_DROP_DIR_FILE],
				  d->n_drops_cat[SK_DRIVER_DROP_OTHER],
				  d->n_drops_cat[SK_DRIVER_DROP_CLOSE],
				  d->n_drops_cat[SK_DRIVER_DROP_PROC],
				  d->n_drops_size, 0, d->n_errors, m->ebpf};
		char buf[NK][24];
		const char *vals[NK];
		for (size_t i = 0; i < NK; i++) {
			snprintf(buf[i], sizeof(buf[i]), "%llu", (unsigned long long)v[i]);
			vals[i] = buf[i];
		}
		if (m->fn(m->ctx, ts, DROP_RULE, msg, keys, vals, NK) < 0 && m->cfg)
			sk_app_log(m->cfg, SK_LOG_ERROR, "the syscall event drop alert was not queued\n");
	}
	if (o->exit) {
		if (m->cfg) {
			sk_app_log(m->cfg, 2, "%s\n", msg);
			sk_app_log(m->cfg, 2, "Exiting.\n");
		}
		return 1;
	}
	return 0;
}

int sk_app_drop_mgr_check(struct sk_app_drop_mgr *m, struct sk_driver *d, uint64_t ts)
{
	if (!m->next_check) {
		m->next_check = ts + NS_PER_S;
		return 0;
	}
	if (ts <= m->next_check)
		return 0;
	m->next_check = ts + NS_PER_S;
	struct sk_driver_stats cur;
	memset(&cur, 0, sizeof(cur));
	if (d && sk_driver_stats(d, &cur) != 0)
		return 0;
	struct sk_driver_stats delta = cur;
	delta.n_sent -= m->last.n_sent;
	delta.n_drops_buffer -= m->last.n_drops_buffer;
	for (int k = 0; k < SK_DRIVER_DROP_CAT_MAX; k++)
		delta.n_drops_cat[k] -= m->last.n_drops_cat[k];
	delta.n_drops_size -= m->last.n_drops_size;
	delta.n_errors -= m->last.n_errors;
	m->last = cur;
	/* a drop is an event the probe wanted to send and could not */
	uint64_t n_drops = delta.n_drops_buffer + delta.n_drops_size + delta.n_errors;
	double threshold = m->o->threshold;
	if (m->o->simulate) {
		if (m->cfg)
			sk_app_log(m->cfg, SK_LOG_INFO, "Simulating syscall event drop\n");
		n_drops++;
		threshold = 0;
	}
	if (!n_drops)
		return 0;
	uint64_t n_evts = delta.n_sent + n_drops;
	if ((double)n_drops / (double)n_evts <= threshold)
		return 0;
	m->detected++;
	if (!bucket_claim(m, ts)) {
		if (m->cfg)
			sk_app_log(m->cfg, SK_LOG_DEBUG,
				   "Syscall event drop but token bucket depleted, skipping actions\n");
		return 0;
	}
	m->actions++;
	return drop_actions(m, ts, &delta, n_evts, n_drops);
}

void sk_app_drop_mgr_print(const struct sk_app_drop_mgr *m)
{
	fprintf(stderr, "Syscall event drop monitoring:\n   - event drop detected: %llu occurrences\n"
			"   - num times actions taken: %llu\n",
		(unsigned long long)m->detected, (unsigned long long)m->actions);
}
