/* state.c — the thread table, thread groups, fd tables and lookups: the
 * bookkeeping libsinsp's thread manager does (add/remove with reparenting,
 * invalid threads for unknown tids, bounded tables with counters). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

static char empty_str[1];

/* ---- strings ---- */

int sk_sstr_set(struct sk_sstr *s, const char *p, size_t len)
{
	if (len > UINT32_MAX - 1)
		return -E2BIG;
	if (len == 0 && s->cap == 0) {
		s->s = empty_str;
		s->len = 0;
		return 0;
	}
	if (len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16;
		while (cap < len + 1)
			cap *= 2;
		char *n = malloc(cap);
		if (!n)
			return -ENOMEM;
		if (s->cap)
			free(s->s);
		s->s = n;
		s->cap = (uint32_t)cap;
	}
	if (len)
		memmove(s->s, p, len);
	s->s[len] = 0;
	s->len = (uint32_t)len;
	return 0;
}

void sk_sstr_done(struct sk_sstr *s)
{
	if (s->cap)
		free(s->s);
	s->s = empty_str;
	s->len = s->cap = 0;
}

static void sstr_init(struct sk_sstr *s)
{
	s->s = empty_str;
	s->len = s->cap = 0;
}

/* ---- lifetime ---- */

struct sk_state *sk_state_new(const struct sk_state_config *cfg)
{
	struct sk_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (cfg)
		st->cfg = *cfg;
	if (!st->cfg.max_threads)
		st->cfg.max_threads = SK_STATE_DEF_MAX_THREADS;
	if (!st->cfg.max_fds_per_process)
		st->cfg.max_fds_per_process = SK_STATE_DEF_MAX_FDS;
	if (!st->cfg.max_fds)
		st->cfg.max_fds = SK_STATE_DEF_MAX_FDS_TOTAL;
	if (!st->cfg.thread_timeout_ns)
		st->cfg.thread_timeout_ns = SK_STATE_DEF_TIMEOUT_NS;
	if (!st->cfg.purge_interval_ns)
		st->cfg.purge_interval_ns = SK_STATE_PURGE_SCAN_NS;
	if (!st->cfg.max_users)
		st->cfg.max_users = SK_STATE_DEF_MAX_USERS;
	if (!st->cfg.max_containers)
		st->cfg.max_containers = SK_STATE_DEF_MAX_CONTAINERS;
	sk_u64map_init(&st->threads, 0);
	sk_u64map_init(&st->groups, 0);
	sk_strmap_init(&st->containers);
	sk_u64map_init(&st->users, 0);
	sk_u64map_init(&st->grps, 0);
	sk_buf_init(&st->scratch, 1 << 20);
	st->tid_to_remove = -1;
	st->fd_to_remove = -1;
	return st;
}

static void thread_destroy(struct sk_state *st, struct sk_thread *t)
{
	struct sk_sstr *strs[] = {&t->comm, &t->exe,     &t->exepath, &t->args,
				  &t->env,  &t->cwd,     &t->cgroups, &t->root};
	for (size_t i = 0; i < SK_ARRAY_LEN(strs); i++)
		sk_sstr_done(strs[i]);
	sk_fdtable_free(st, t->fdtable);
	free(t);
}


void sk_state_clear(struct sk_state *st)
{
	size_t it = 0;
	uint64_t k;
	void *v;
	while (sk_u64map_next(&st->threads, &it, &k, &v)) {
		struct sk_thread *t = v;
		t->container = NULL;
		thread_destroy(st, t);
	}
	sk_u64map_done(&st->threads);
	it = 0;
	while (sk_u64map_next(&st->groups, &it, &k, &v))
		free(v);
	sk_u64map_done(&st->groups);
	const char *key;
	size_t klen;
	it = 0;
	while (sk_strmap_next(&st->containers, &it, &key, &klen, &v))
		sk_container_free(st, v);
	sk_state_event_container_reset(st);
	sk_strmap_done(&st->containers);
	sk_strmap_init(&st->containers);
	memset(st->removed_ids, 0, sizeof(st->removed_ids));
	st->removed_next = 0;
	sk_state_users_clear(st);
	st->nifaces = 0;
	st->have_machine = false;
	st->cur_thread = NULL;
	st->cur_fd = NULL;
	st->tid_to_remove = -1;
	st->fd_to_remove = -1;
	st->stats.threads = st->stats.fds = st->stats.containers = 0;
}

void sk_state_free(struct sk_state *st)
{
	if (!st)
		return;
	sk_state_clear(st);
	for (size_t i = 0; i < st->nfree_threads; i++)
		free(st->free_threads[i]);
	for (size_t i = 0; i < st->nfree_fds; i++) {
		sk_sstr_done(&st->free_fds[i]->name);
		sk_sstr_done(&st->free_fds[i]->nameraw);
		free(st->free_fds[i]);
	}
	sk_strmap_done(&st->containers);
	sk_state_recent_free(st);
	sk_buf_done(&st->scratch);
	free(st);
}

void sk_state_stats(const struct sk_state *st, struct sk_state_stats *out)
{
	*out = st->stats;
	out->threads = st->threads.count;
	out->fds = st->stats.fds_added - st->stats.fds_removed;
	out->users = st->users.count + st->grps.count + st->ctr_user_entries;
	out->containers = st->containers.count;
}

/* ---- threads ---- */

struct sk_thread *sk_thread_alloc(struct sk_state *st)
{
	struct sk_thread *t;
	if (st->nfree_threads)
		t = st->free_threads[--st->nfree_threads];
	else
		t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	struct sk_sstr *strs[] = {&t->comm, &t->exe,     &t->exepath, &t->args,
				  &t->env,  &t->cwd,     &t->cgroups, &t->root};
	for (size_t i = 0; i < SK_ARRAY_LEN(strs); i++)
		sstr_init(strs[i]);
	t->tid = t->pid = t->ptid = t->reaper_tid = -1;
	t->sid = t->pgid = t->vpgid = t->vtid = t->vpid = -1;
	t->loginuid = 0xFFFFFFFFu;
	t->lastevent_fd = -1;
	return t;
}

void sk_thread_release(struct sk_state *st, struct sk_thread *t)
{
	if (!t)
		return;
	if (t->container)
		sk_state_container_unref(st, t->container);
	t->container = NULL;
	sk_fdtable_free(st, t->fdtable);
	t->fdtable = NULL;
	/* keep the thread object (and not its strings: they may be big) */
	if (st->nfree_threads < SK_STATE_FREE_THREADS) {
		struct sk_sstr *strs[] = {&t->comm, &t->exe,     &t->exepath, &t->args,
					  &t->env,  &t->cwd,     &t->cgroups, &t->root};
		for (size_t i = 0; i < SK_ARRAY_LEN(strs); i++)
			sk_sstr_done(strs[i]);
		st->free_threads[st->nfree_threads++] = t;
		return;
	}
	thread_destroy(st, t);
}

static void unlink_parent(struct sk_thread *t)
{
	struct sk_thread *p = t->parent_link;
	if (!p)
		return;
	if (t->sib_prev)
		t->sib_prev->sib_next = t->sib_next;
	else
		p->child_head = t->sib_next;
	if (t->sib_next)
		t->sib_next->sib_prev = t->sib_prev;
	t->sib_prev = t->sib_next = NULL;
	t->parent_link = NULL;
	p->nchilds--;
}

void sk_thread_set_parent(struct sk_state *st, struct sk_thread *t, struct sk_thread *parent)
{
	SK_UNUSED(st);
	unlink_parent(t);
	if (!parent || parent == t)
		return;
	t->ptid = parent->tid;
	t->parent_link = parent;
	t->sib_next = parent->child_head;
	if (parent->child_head)
		parent->child_head->sib_prev = t;
	parent->child_head = t;
	parent->nchilds++;
}

static struct sk_tgroup *group_get(struct sk_state *st, int64_t pid, bool create)
{
	struct sk_tgroup *g = sk_u64map_get(&st->groups, (uint64_t)pid);
	if (g || !create)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->pid = pid;
	if (sk_u64map_put(&st->groups, (uint64_t)pid, g) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

static void group_leave(struct sk_state *st, struct sk_thread *t)
{
	struct sk_tgroup *g = t->tgroup;
	if (!g)
		return;
	t->tgroup = NULL;
	if (!(t->flags & SK_CL_CLOSED) && g->alive)
		g->alive--;
	if (--g->members == 0) {
		sk_u64map_del(&st->groups, (uint64_t)g->pid);
		free(g);
	}
}

/* Removes t from the table without any reparenting (children keep their
 * ptid; their parent link is cleared). */
static void thread_erase(struct sk_state *st, struct sk_thread *t)
{
	if (sk_u64map_get(&st->threads, (uint64_t)t->tid) == t)
		sk_u64map_del(&st->threads, (uint64_t)t->tid);
	unlink_parent(t);
	while (t->child_head) {
		struct sk_thread *c = t->child_head;
		unlink_parent(c);
	}
	group_leave(st, t);
	if (st->cur_thread == t) {
		st->cur_thread = NULL;
		st->cur_fd = NULL;
	}
	st->stats.threads_removed++;
	sk_thread_release(st, t);
}

int sk_state_add_thread(struct sk_state *st, struct sk_thread *t)
{
	struct sk_thread *old = sk_u64map_get(&st->threads, (uint64_t)t->tid);
	if (old)
		thread_erase(st, old);
	if (st->threads.count >= st->cfg.max_threads) {
		st->stats.threads_evicted++;
		sk_thread_release(st, t);
		return -ENOSPC;
	}
	if (sk_u64map_put(&st->threads, (uint64_t)t->tid, t) < 0) {
		st->stats.threads_evicted++;
		sk_thread_release(st, t);
		return -ENOMEM;
	}
	st->stats.threads_added++;
	if (sk_thread_is_invalid(t))
		return 0;
	/* thread group (libsinsp create_thread_dependencies) */
	struct sk_tgroup *g = group_get(st, t->pid, true);
	if (g) {
		t->tgroup = g;
		g->members++;
		if (!(t->flags & SK_CL_CLOSED))
			g->alive++;
		if (t->pid == 1 || t->vpid == 1)
			g->reaper = true;
	}
	/* parents are linked after the whole list when seeding (sk_state_seed_done) */
	if (t->pid == 1 || st->seeding)
		return 0;
	struct sk_thread *parent = sk_u64map_get(&st->threads, (uint64_t)t->ptid);
	if (!parent || sk_thread_is_invalid(parent) || parent == t) {
		t->ptid = 0;
		return 0;
	}
	sk_thread_set_parent(st, t, parent);
	return 0;
}

struct sk_thread *sk_state_get_or_create(struct sk_state *st, int64_t tid, uint64_t ts)
{
	struct sk_thread *t = sk_u64map_get(&st->threads, (uint64_t)tid);
	if (t) {
		t->lastaccess_ts = ts;
		return t;
	}
	if (st->threads.count >= st->cfg.max_threads) {
		st->stats.threads_evicted++;
		return NULL;
	}
	t = sk_thread_alloc(st);
	if (!t)
		return NULL;
	t->tid = tid;
	t->uid = t->gid = t->euid = t->egid = 0xFFFFFFFFu;
	if (sk_sstr_setz(&t->comm, "<NA>") < 0 || sk_sstr_setz(&t->exe, "<NA>") < 0) {
		sk_thread_release(st, t);
		return NULL;
	}
	t->lastaccess_ts = ts;
	if (sk_state_add_thread(st, t) < 0)
		return NULL;
	st->stats.threads_incomplete++;
	return t;
}

struct sk_thread *sk_state_thread_touch(struct sk_state *st, int64_t tid, uint64_t ts)
{
	if (tid < 0)
		return NULL;
	struct sk_thread *t = sk_state_get_or_create(st, tid, ts);
	if (t)
		t->flags |= SK_CL_ACTIVE;
	return t;
}

/* libsinsp find_new_reaper: another live thread of the group, else the first
 * ancestor whose group is a reaper (same pid-namespace-ness), else NULL. */
static struct sk_thread *find_reaper(struct sk_state *st, struct sk_thread *t)
{
	if (t->tgroup && t->tgroup->alive > 0) {
		size_t it = 0;
		uint64_t k;
		void *v;
		/* group members: scan is bounded by the table; only done when the
		 * dying thread has children, which is rare for secondary threads */
		while (sk_u64map_next(&st->threads, &it, &k, &v)) {
			struct sk_thread *o = v;
			if (o != t && o->tgroup == t->tgroup && !(o->flags & SK_CL_CLOSED))
				return o;
		}
	}
	bool ns = (t->flags & SK_CL_CHILD_IN_PIDNS) != 0;
	struct sk_thread *p = sk_u64map_get(&st->threads, (uint64_t)t->ptid);
	for (size_t depth = 0; p && depth < 4096; depth++) {
		if (p == t)
			break;
		if (((p->flags & SK_CL_CHILD_IN_PIDNS) != 0) != ns)
			break;
		if (p->tgroup && p->tgroup->reaper && p->tgroup->alive > 0) {
			if (!(p->flags & SK_CL_CLOSED))
				return p;
			size_t it = 0;
			uint64_t k;
			void *v;
			while (sk_u64map_next(&st->threads, &it, &k, &v)) {
				struct sk_thread *o = v;
				if (o->tgroup == p->tgroup && !(o->flags & SK_CL_CLOSED))
					return o;
			}
		}
		p = sk_u64map_get(&st->threads, (uint64_t)p->ptid);
	}
	return NULL;
}

void sk_state_remove_thread(struct sk_state *st, int64_t tid)
{
	struct sk_thread *t = sk_u64map_get(&st->threads, (uint64_t)tid);
	if (!t) {
		st->stats.failed_lookups++;
		return;
	}
	if (sk_thread_is_invalid(t) || !t->tgroup) {
		thread_erase(st, t);
		return;
	}
	if (!(t->flags & SK_CL_CLOSED)) {
		if (t->tgroup->alive)
			t->tgroup->alive--;
		t->flags |= SK_CL_CLOSED;
	}
	if (t->child_head) {
		struct sk_thread *reaper = NULL;
		if (t->reaper_tid > 0) {
			reaper = sk_u64map_get(&st->threads, (uint64_t)t->reaper_tid);
			if (reaper && (sk_thread_is_invalid(reaper) || reaper == t))
				reaper = NULL;
		}
		if (!reaper)
			reaper = find_reaper(st, t);
		if (reaper) {
			t->reaper_tid = reaper->tid;
			if (reaper->pid != t->pid && reaper->tgroup)
				reaper->tgroup->reaper = true;
		}
		while (t->child_head) {
			struct sk_thread *c = t->child_head;
			if (reaper)
				sk_thread_set_parent(st, c, reaper);
			else {
				unlink_parent(c);
				c->ptid = 0;
			}
		}
	}
	struct sk_tgroup *g = t->tgroup;
	bool is_main = sk_thread_is_main(t);
	if (g->alive == 0) {
		struct sk_thread *m = sk_u64map_get(&st->threads, (uint64_t)t->pid);
		if (m && m != t && !sk_thread_is_invalid(m))
			thread_erase(st, m);
	}
	if (!is_main || g->alive == 0)
		thread_erase(st, t);
}

/* ---- lookups ---- */

struct sk_thread *sk_state_thread(const struct sk_state *st, int64_t tid)
{
	return sk_u64map_get(&st->threads, (uint64_t)tid);
}

struct sk_thread *sk_state_process(const struct sk_state *st, int64_t pid)
{
	struct sk_thread *t = sk_u64map_get(&st->threads, (uint64_t)pid);
	return t && sk_thread_is_main(t) ? t : NULL;
}

struct sk_thread *sk_state_main_thread(const struct sk_state *st, const struct sk_thread *t)
{
	if (!t)
		return NULL;
	if (sk_thread_is_main(t))
		return (struct sk_thread *)t;
	if (t->pid < 0)
		return NULL;
	return sk_u64map_get(&st->threads, (uint64_t)t->pid);
}

struct sk_thread *sk_state_parent(const struct sk_state *st, const struct sk_thread *t)
{
	const struct sk_thread *m = sk_state_main_thread(st, t);
	if (!m)
		return NULL;
	if (m->ptid < 0)
		return NULL;
	struct sk_thread *p = sk_u64map_get(&st->threads, (uint64_t)m->ptid);
	if (!p)
		return NULL;
	struct sk_thread *pm = sk_state_main_thread(st, p);
	return pm ? pm : p;
}

const struct sk_sstr *sk_state_cwd(const struct sk_state *st, const struct sk_thread *t)
{
	const struct sk_thread *m = sk_state_main_thread(st, t);
	return m ? &m->cwd : &t->cwd;
}

uint64_t sk_state_nthreads(const struct sk_state *st, const struct sk_thread *t)
{
	SK_UNUSED(st);
	return t && t->tgroup ? t->tgroup->alive : 0;
}

struct sk_thread *sk_state_thread_next(const struct sk_state *st, size_t *iter)
{
	uint64_t k;
	void *v;
	if (sk_u64map_next(&st->threads, iter, &k, &v))
		return v;
	return NULL;
}

struct sk_thread *sk_state_cur_thread(const struct sk_state *st)
{
	return st->cur_thread;
}

struct sk_fdinfo *sk_state_cur_fd(const struct sk_state *st)
{
	return st->cur_fd;
}

/* Whether the live purge should drop t: a placeholder that never got
 * valid ids, or a thread no event touched for the timeout that /proc no
 * longer shows (its exit was lost, e.g. in a ring drop). */
static bool purge_victim(const struct sk_state *st, const struct sk_thread *t, uint64_t now_ns)
{
	if (sk_thread_is_invalid(t))
		return true;
	if (now_ns <= t->lastaccess_ts + st->cfg.thread_timeout_ns)
		return false;
	return !st->cfg.thread_alive(st->cfg.thread_alive_ctx, t->pid, t->tid);
}

void sk_state_purge(struct sk_state *st, uint64_t now_ns)
{
	/* libsinsp's remove_inactive_threads, live only: replays never purge
	 * (a capture cannot say whether a thread lives). Victims are gathered
	 * in one pass, so /proc is asked once per idle thread and scan. */
	st->last_purge_ns = now_ns;
	if (!st->cfg.thread_alive)
		return;
	size_t n = 0, cap = 0, it = 0;
	int64_t *victims = NULL;
	uint64_t k;
	void *v;
	while (sk_u64map_next(&st->threads, &it, &k, &v)) {
		struct sk_thread *t = v;
		if (t == st->cur_thread || !purge_victim(st, t, now_ns))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			int64_t *nv = realloc(victims, ncap * sizeof(*nv));
			if (!nv)
				break; /* purge what was found; the next scan takes the rest */
			victims = nv;
			cap = ncap;
		}
		victims[n++] = t->tid;
	}
	for (size_t i = 0; i < n; i++) {
		if (sk_u64map_get(&st->threads, (uint64_t)victims[i])) {
			sk_state_remove_thread(st, victims[i]);
			st->stats.threads_purged++;
		}
	}
	free(victims);
}

/* Runs the purge every purge_interval_ns of event time, the first one 30 s
 * after the first event (libsinsp starts early so that bugs show soon). */
void sk_state_purge_tick(struct sk_state *st, uint64_t now_ns)
{
	if (!st->cfg.thread_alive)
		return;
	uint64_t every = st->cfg.purge_interval_ns;
	if (!st->last_purge_ns) {
		uint64_t first = every > SK_STATE_FIRST_PURGE_NS ? SK_STATE_FIRST_PURGE_NS : every;
		st->last_purge_ns = now_ns - every + first;
		return;
	}
	if (now_ns > st->last_purge_ns + every)
		sk_state_purge(st, now_ns);
}

/* ---- fds ---- */

struct sk_fdtable *sk_state_fdtable(const struct sk_state *st, const struct sk_thread *t)
{
	if (!t)
		return NULL;
	if (!(t->flags & SK_CL_CLONE_FILES) || sk_thread_is_main(t))
		return t->fdtable;
	const struct sk_thread *m = sk_state_main_thread(st, t);
	return m ? m->fdtable : NULL;
}

static struct sk_fdtable *fdtable_for_write(struct sk_state *st, struct sk_thread *t)
{
	struct sk_thread *owner = t;
	if ((t->flags & SK_CL_CLONE_FILES) && !sk_thread_is_main(t)) {
		owner = sk_state_main_thread(st, t);
		if (!owner)
			return NULL;
	}
	if (!owner->fdtable) {
		owner->fdtable = calloc(1, sizeof(*owner->fdtable));
		if (!owner->fdtable)
			return NULL;
		sk_u64map_init(&owner->fdtable->map, st->cfg.max_fds_per_process);
	}
	return owner->fdtable;
}

void sk_fdinfo_reset(struct sk_fdinfo *f)
{
	struct sk_sstr name = f->name, raw = f->nameraw;
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->nameraw = raw;
	sk_sstr_set(&f->name, "", 0);
	sk_sstr_set(&f->nameraw, "", 0);
	f->pid = -1;
}

static void fdinfo_release(struct sk_state *st, struct sk_fdinfo *f)
{
	if (st->cur_fd == f)
		st->cur_fd = NULL;
	if (st->nfree_fds < SK_ARRAY_LEN(st->free_fds)) {
		st->free_fds[st->nfree_fds++] = f;
		return;
	}
	sk_sstr_done(&f->name);
	sk_sstr_done(&f->nameraw);
	free(f);
}

void sk_fdtable_free(struct sk_state *st, struct sk_fdtable *ft)
{
	if (!ft)
		return;
	size_t it = 0;
	uint64_t k;
	void *v;
	while (sk_u64map_next(&ft->map, &it, &k, &v)) {
		fdinfo_release(st, v);
		st->stats.fds_removed++;
	}
	sk_u64map_done(&ft->map);
	free(ft);
}

struct sk_fdinfo *sk_state_add_fd(struct sk_state *st, struct sk_thread *t, int64_t fd)
{
	struct sk_fdtable *ft = fdtable_for_write(st, t);
	if (!ft)
		return NULL;
	struct sk_fdinfo *f = sk_u64map_get(&ft->map, (uint64_t)fd);
	if (f) {
		sk_fdinfo_reset(f);
		f->fd = fd;
		t->lastevent_fd = fd;
		return f;
	}
	/* every fd ever added is either removed or still in a table */
	if (st->stats.fds_added - st->stats.fds_removed >= st->cfg.max_fds) {
		st->stats.fds_dropped_total++;
		return NULL;
	}
	if (st->nfree_fds) {
		f = st->free_fds[--st->nfree_fds];
	} else {
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		sstr_init(&f->name);
		sstr_init(&f->nameraw);
	}
	sk_fdinfo_reset(f);
	f->fd = fd;
	if (sk_u64map_put(&ft->map, (uint64_t)fd, f) < 0) {
		st->stats.fds_dropped++;
		fdinfo_release(st, f);
		return NULL;
	}
	st->stats.fds_added++;
	t->lastevent_fd = fd;
	return f;
}

void sk_state_remove_fd(struct sk_state *st, struct sk_thread *t, int64_t fd)
{
	struct sk_fdtable *ft = sk_state_fdtable(st, t);
	if (!ft)
		return;
	struct sk_fdinfo *f = sk_u64map_del(&ft->map, (uint64_t)fd);
	if (f) {
		fdinfo_release(st, f);
		st->stats.fds_removed++;
	}
}

void sk_state_copy_fds(struct sk_state *st, struct sk_thread *dst, const struct sk_thread *src)
{
	struct sk_fdtable *sft = sk_state_fdtable(st, src);
	if (!sft || sft == sk_state_fdtable(st, dst))
		return;
	size_t it = 0;
	uint64_t k;
	void *v;
	while (sk_u64map_next(&sft->map, &it, &k, &v)) {
		const struct sk_fdinfo *s = v;
		struct sk_fdinfo *d = sk_state_add_fd(st, dst, s->fd);
		if (!d)
			continue;
		struct sk_sstr name = d->name, raw = d->nameraw;
		*d = *s;
		d->name = name;
		d->nameraw = raw;
		(void)!sk_sstr_set(&d->name, s->name.s, s->name.len);
		(void)!sk_sstr_set(&d->nameraw, s->nameraw.s, s->nameraw.len);
	}
	dst->lastevent_fd = -1;
}

struct sk_fdinfo *sk_state_fd(const struct sk_state *st, const struct sk_thread *t, int64_t fd)
{
	struct sk_fdtable *ft = sk_state_fdtable(st, t);
	return ft ? sk_u64map_get(&ft->map, (uint64_t)fd) : NULL;
}

uint64_t sk_state_fd_count(const struct sk_state *st, const struct sk_thread *t)
{
	struct sk_fdtable *ft = sk_state_fdtable(st, t);
	return ft ? ft->map.count : 0;
}

struct sk_fdinfo *sk_state_fd_next(const struct sk_state *st, const struct sk_thread *t,
				   size_t *iter)
{
	struct sk_fdtable *ft = sk_state_fdtable(st, t);
	uint64_t k;
	void *v;
	if (ft && sk_u64map_next(&ft->map, iter, &k, &v))
		return v;
	return NULL;
}

/* ---- users, groups, machine ---- */

const struct sk_scap_machine *sk_state_machine(const struct sk_state *st)
{
	return st->have_machine ? &st->machine : NULL;
}

bool sk_state_ip_is_local(const struct sk_state *st, const uint8_t *ip, bool v6)
{
	for (size_t i = 0; i < st->nifaces; i++) {
		const struct sk_iface *f = &st->ifaces[i];
		if (f->v6 != v6)
			continue;
		/* libsinsp: IPv4 the interface's address, IPv6 its /64 (in_subnet) */
		if (!memcmp(f->addr, ip, v6 ? 8 : 4))
			return true;
	}
	return false;
}
