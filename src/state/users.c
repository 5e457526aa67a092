/* users.c — the user and group tables: the host's (seeded from a capture or
 * the /proc scan) and each container's own, which live saker reads from the
 * container's /etc when one of its threads takes an id the tables miss (as
 * libsinsp's user-group manager does; replays have no such tables, so a
 * container thread's user is the stand-in "root"/"<NA>" there). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

#define NO_ID 0xFFFFFFFFu

static char *join3(struct sk_bytes a, struct sk_bytes b, struct sk_bytes c, const char **pb,
		   const char **pc)
{
	char *buf = malloc((size_t)a.len + b.len + c.len + 3);
	if (!buf)
		return NULL;
	memcpy(buf, a.p, a.len);
	buf[a.len] = 0;
	memcpy(buf + a.len + 1, b.p, b.len);
	buf[a.len + 1 + b.len] = 0;
	memcpy(buf + a.len + b.len + 2, c.p, c.len);
	buf[a.len + b.len + 2 + c.len] = 0;
	*pb = buf + a.len + 1;
	*pc = buf + a.len + b.len + 2;
	return buf;
}

static uint64_t entries(const struct sk_state *st)
{
	return st->users.count + st->grps.count + st->ctr_user_entries;
}

/* Finds or makes the entry of id in map (*added tells a new one). Returns 0
 * with *out NULL when the bound refuses it (counted), -ENOMEM. */
static int entry(struct sk_state *st, struct sk_u64map *map, uint64_t id, size_t size,
		 void **out, bool *added)
{
	*added = false;
	*out = sk_u64map_get(map, id);
	if (*out)
		return 0;
	/* each host table has the bound, as before; containers' tables count
	 * against twice the bound over all tables (users and groups) together */
	bool host = map == &st->users || map == &st->grps;
	if (map->count >= st->cfg.max_users || (!host && entries(st) >= 2 * st->cfg.max_users)) {
		st->stats.users_dropped++;
		return 0;
	}
	void *e = calloc(1, size);
	if (!e || sk_u64map_put(map, id, e) < 0) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	*added = true;
	return 0;
}

/* Takes back a new entry whose strings could not be allocated. */
static int undo(struct sk_u64map *map, uint64_t id, void *e, bool *added)
{
	if (*added) {
		sk_u64map_del(map, id);
		free(e);
		*added = false;
	}
	return -ENOMEM;
}

static int user_put(struct sk_state *st, struct sk_u64map *map, uint32_t uid, uint32_t gid,
		    struct sk_bytes name, struct sk_bytes home, struct sk_bytes shell, bool *added)
{
	void *v;
	int rc = entry(st, map, uid, sizeof(struct sk_user_ent), &v, added);
	struct sk_user_ent *e = v;
	if (rc < 0 || !e)
		return rc;
	const char *homedir, *sh;
	char *buf = join3(name, home, shell, &homedir, &sh);
	if (!buf)
		return undo(map, uid, e, added);
	free(e->buf);
	e->buf = buf;
	e->u.name = buf;
	e->u.homedir = homedir;
	e->u.shell = sh;
	e->u.uid = uid;
	e->u.gid = gid;
	return 0;
}

static int group_put(struct sk_state *st, struct sk_u64map *map, uint32_t gid,
		     struct sk_bytes name, bool *added)
{
	void *v;
	int rc = entry(st, map, gid, sizeof(struct sk_group_ent), &v, added);
	struct sk_group_ent *e = v;
	if (rc < 0 || !e)
		return rc;
	char *buf = malloc((size_t)name.len + 1);
	if (!buf)
		return undo(map, gid, e, added);
	memcpy(buf, name.p, name.len);
	buf[name.len] = 0;
	free(e->buf);
	e->buf = buf;
	e->g.name = buf;
	e->g.gid = gid;
	return 0;
}

int sk_state_add_user(struct sk_state *st, uint32_t uid, uint32_t gid, struct sk_bytes name,
		      struct sk_bytes home, struct sk_bytes shell)
{
	bool added;
	return user_put(st, &st->users, uid, gid, name, home, shell, &added);
}

int sk_state_add_group(struct sk_state *st, uint32_t gid, struct sk_bytes name)
{
	bool added;
	return group_put(st, &st->grps, gid, name, &added);
}

static bool is_host(const char *container_id)
{
	return !container_id || !*container_id || strcmp(container_id, "host") == 0;
}

/* The tables of a tracked container, made on first use; NULL if untracked. */
static struct sk_ctr_users *ctr_users(struct sk_state *st, const char *container_id)
{
	struct sk_container *c = sk_strmap_get(&st->containers, container_id);
	if (!c)
		return NULL;
	if (!c->users) {
		c->users = calloc(1, sizeof(*c->users));
		if (!c->users)
			return NULL;
		sk_u64map_init(&c->users->users, 0);
		sk_u64map_init(&c->users->grps, 0);
	}
	return c->users;
}

int sk_state_add_container_user(struct sk_state *st, const char *container_id, uint32_t uid,
				uint32_t gid, struct sk_bytes name, struct sk_bytes home,
				struct sk_bytes shell)
{
	if (is_host(container_id))
		return sk_state_add_user(st, uid, gid, name, home, shell);
	struct sk_ctr_users *u = ctr_users(st, container_id);
	if (!u)
		return 0;
	bool added;
	int rc = user_put(st, &u->users, uid, gid, name, home, shell, &added);
	st->ctr_user_entries += added;
	return rc;
}

int sk_state_add_container_group(struct sk_state *st, const char *container_id, uint32_t gid,
				 struct sk_bytes name)
{
	if (is_host(container_id))
		return sk_state_add_group(st, gid, name);
	struct sk_ctr_users *u = ctr_users(st, container_id);
	if (!u)
		return 0;
	bool added;
	int rc = group_put(st, &u->grps, gid, name, &added);
	st->ctr_user_entries += added;
	return rc;
}

/* The user (or group) map of a container, NULL when it has none. */
static const struct sk_ctr_users *ctr_users_of(const struct sk_state *st,
					       const char *container_id)
{
	const struct sk_container *c = sk_strmap_get(&st->containers, container_id);
	return c ? c->users : NULL;
}

const struct sk_user *sk_state_user(const struct sk_state *st, const char *container_id,
				    uint32_t uid)
{
	const struct sk_u64map *m = &st->users;
	if (!is_host(container_id)) {
		const struct sk_ctr_users *u = ctr_users_of(st, container_id);
		if (!u)
			return NULL;
		m = &u->users;
	}
	struct sk_user_ent *e = sk_u64map_get(m, uid);
	return e ? &e->u : NULL;
}

const struct sk_group *sk_state_group(const struct sk_state *st, const char *container_id,
				      uint32_t gid)
{
	const struct sk_u64map *m = &st->grps;
	if (!is_host(container_id)) {
		const struct sk_ctr_users *u = ctr_users_of(st, container_id);
		if (!u)
			return NULL;
		m = &u->grps;
	}
	struct sk_group_ent *e = sk_u64map_get(m, gid);
	return e ? &e->g : NULL;
}

static size_t maps_free(struct sk_u64map *users, struct sk_u64map *grps)
{
	size_t n = users->count + grps->count, it = 0;
	uint64_t k;
	void *v;
	while (sk_u64map_next(users, &it, &k, &v)) {
		struct sk_user_ent *e = v;
		free(e->buf);
		free(e);
	}
	it = 0;
	while (sk_u64map_next(grps, &it, &k, &v)) {
		struct sk_group_ent *e = v;
		free(e->buf);
		free(e);
	}
	sk_u64map_done(users);
	sk_u64map_done(grps);
	return n;
}

void sk_state_remove_user(struct sk_state *st, const char *container_id, bool user, uint32_t id)
{
	struct sk_u64map *m = user ? &st->users : &st->grps;
	bool host = is_host(container_id);
	if (!host) {
		struct sk_container *c = sk_strmap_get(&st->containers, container_id);
		if (!c || !c->users)
			return;
		m = user ? &c->users->users : &c->users->grps;
	}
	void *e = sk_u64map_get(m, id);
	if (!e)
		return;
	sk_u64map_del(m, id);
	if (user)
		free(((struct sk_user_ent *)e)->buf);
	else
		free(((struct sk_group_ent *)e)->buf);
	free(e);
	if (!host)
		st->ctr_user_entries--;
}

void sk_container_free(struct sk_state *st, struct sk_container *c)
{
	if (!c)
		return;
	if (c->users) {
		st->ctr_user_entries -= maps_free(&c->users->users, &c->users->grps);
		free(c->users);
	}
	sk_container_meta_free(c->meta);
	free(c);
}

void sk_state_users_clear(struct sk_state *st)
{
	maps_free(&st->users, &st->grps);
	memset(&st->host_users_pace, 0, sizeof(st->host_users_pace));
}

/* Whether a load for these missing ids may run now (and counts it): other
 * ids than last time at once (a user just added, then switched to), the
 * same ones again only after a second; a few loads a second at most. */
static bool paced_load(struct sk_users_pace *p, uint64_t ids, uint64_t ts)
{
	if (p->last_ts && ids == p->last_ids && ts < p->last_ts + SK_STATE_USERS_RELOAD_NS)
		return false;
	if (ts >= p->window_ts + 1000000000ULL || ts < p->window_ts) {
		p->window_ts = ts;
		p->loads = 0;
	}
	if (p->loads >= SK_STATE_USERS_LOADS_PER_S)
		return false;
	p->loads++;
	p->last_ts = ts ? ts : 1;
	p->last_ids = ids;
	return true;
}

/* A process of t's container other than t's, still running (as far as the
 * events tell), or -1. */
static int64_t other_pid(const struct sk_state *st, const struct sk_thread *t)
{
	size_t it = 0;
	struct sk_thread *o;
	while ((o = sk_state_thread_next(st, &it)))
		if (o->container == t->container && o->pid != t->pid && o->pid > 0 &&
		    !(o->flags & SK_CL_CLOSED))
			return o->pid;
	return -1;
}

void sk_state_want_users(struct sk_state *st, const struct sk_thread *t, uint64_t ts)
{
	if (!st->cfg.load_users || st->seeding)
		return;
	const char *cid = sk_thread_container_id(t);
	bool have = (t->uid == NO_ID || sk_state_user(st, cid, t->uid)) &&
		    (t->gid == NO_ID || sk_state_group(st, cid, t->gid));
	if (have)
		return;
	struct sk_users_pace *pace = &st->host_users_pace;
	if (!is_host(cid)) {
		struct sk_ctr_users *u = ctr_users(st, cid);
		if (!u)
			return;
		pace = &u->pace;
	}
	if (!paced_load(pace, (uint64_t)t->uid << 32 | t->gid, ts))
		return;
	/* a short-lived process is often gone by the time its event is read;
	 * the container's files are the same through any of its processes: the
	 * one read last time, else any other the table has */
	void *ctx = st->cfg.load_users_ctx;
	if (st->cfg.load_users(ctx, st, cid, t->pid) >= 0 || !t->container) {
		if (t->container && t->container->users)
			t->container->users->pid_hint = t->pid;
		return;
	}
	struct sk_ctr_users *u = t->container->users;
	int64_t hint = u ? u->pid_hint : -1;
	if (hint > 0 && hint != t->pid && st->cfg.load_users(ctx, st, cid, hint) >= 0)
		return;
	int64_t pid = other_pid(st, t);
	if (pid > 0 && pid != hint && st->cfg.load_users(ctx, st, cid, pid) >= 0 && u)
		u->pid_hint = pid;
}
