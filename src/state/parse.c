/* parse.c — updating the state from events, following libsinsp's parsers:
 * what each event changes before rules see it (sk_state_update) and what is
 * removed after (sk_state_post). */
#include <errno.h>
#include <string.h>

#include "path.h"
#include "state_int.h"

bool sk_state_update(struct sk_state *st, const struct sk_event *ev)
{
	st->stats.events++;
	if (st->seeding)
		sk_state_seed_done(st);
	st->cur_thread = NULL;
	st->cur_fd = NULL;
	st->last_ts = ev->ts;
	const struct sk_event_info *info = ev->info ? ev->info : sk_event_info_get(ev->type);
	if (!info)
		return false;
	if (ev->tid >= 0) {
		struct sk_thread *t = sk_state_get_or_create(st, ev->tid, ev->ts);
		if (!t)
			st->stats.failed_lookups++;
		else
			t->lastevent_ts = ev->ts;
		st->cur_thread = t;
	}
	return info->dir == 'X' || !(info->category & SK_EC_SYSCALL);
}

void sk_state_post(struct sk_state *st, const struct sk_event *ev)
{
	SK_UNUSED(ev);
	if (st->fd_to_remove >= 0) {
		struct sk_thread *t = sk_state_thread(st, st->fd_to_remove_tid);
		if (t)
			sk_state_remove_fd(st, t, st->fd_to_remove);
		st->fd_to_remove = -1;
	}
	if (st->tid_to_remove >= 0) {
		sk_state_remove_thread(st, st->tid_to_remove);
		st->tid_to_remove = -1;
	}
	st->cur_thread = NULL;
	st->cur_fd = NULL;
}
