/* state_int.h — private to src/state/: the state struct, thread groups, fd
 * tables and helpers shared by the table code, seeding and event parsers. */
#ifndef SK_STATE_INT_H
#define SK_STATE_INT_H

#include "state/state.h"

#define SK_STATE_DEF_MAX_THREADS 131072
#define SK_STATE_DEF_MAX_FDS 4096
#define SK_STATE_DEF_MAX_FDS_TOTAL 262144
#define SK_STATE_DEF_TIMEOUT_NS (1800ULL * 1000000000ULL)
#define SK_STATE_DEF_MAX_USERS 65536
#define SK_STATE_DEF_MAX_CONTAINERS 16384
#define SK_STATE_PURGE_SCAN_NS (1200ULL * 1000000000ULL) /* libsinsp scan period */
#define SK_STATE_FIRST_PURGE_NS (30ULL * 1000000000ULL)  /* first scan this soon */
#define SK_STATE_MAX_IFACES 256
#define SK_STATE_REMOVED_IDS 256
#define SK_STATE_FREE_THREADS 256 /* recycled thread objects kept */

/* Thread group bookkeeping (libsinsp thread_group_info): alive threads of a
 * pid and whether the group reaps orphans. */
struct sk_tgroup {
	int64_t pid;
	uint64_t alive;              /* threads not yet dead */
	uint64_t members;            /* thread objects pointing here */
	bool reaper;
};

struct sk_fdtable {
	struct sk_u64map map;        /* fd -> struct sk_fdinfo * */
};

struct sk_iface {
	bool v6;
	uint8_t addr[16], netmask[16];
};

struct sk_user_ent {
	struct sk_user u;
	char *buf;                   /* name\0homedir\0shell\0 */
};

struct sk_group_ent {
	struct sk_group g;
	char *buf;
};

/* How often a user table was loaded (load_users): the same missing ids at
 * most once a second, and at most SK_STATE_USERS_LOADS_PER_S loads a second
 * whatever the ids (two ids without entries, alternating, must not cost a
 * read per clone). */
struct sk_users_pace {
	uint64_t last_ts;            /* event time of the last load */
	uint64_t last_ids;           /* the uid << 32 | gid it was made for */
	uint64_t window_ts;          /* start of the second `loads` counts in */
	uint32_t loads;
};

/* A container's own users and groups (struct sk_container.users). */
struct sk_ctr_users {
	struct sk_u64map users;      /* uid -> struct sk_user_ent * */
	struct sk_u64map grps;       /* gid -> struct sk_group_ent * */
	struct sk_users_pace pace;
	int64_t pid_hint;            /* a process whose files were read last time */
};

#define SK_STATE_USERS_RELOAD_NS 1000000000ULL /* the same missing ids: this often */
#define SK_STATE_USERS_LOADS_PER_S 4           /* load_users per table and second */
#define SK_STATE_LOOKUPS_PER_S 256             /* read_thread calls per second */

struct sk_state {
	struct sk_state_config cfg;
	struct sk_state_stats stats;
	struct sk_u64map threads;    /* tid -> struct sk_thread * */
	struct sk_u64map groups;     /* pid -> struct sk_tgroup * */
	struct sk_strmap containers; /* id (short) -> struct sk_container * */
	sk_state_container_hook ctr_hook;
	void *ctr_hook_ctx;
	const struct sk_container_meta *event_ctr; /* record of the current event */
	struct sk_container_meta *event_ctr_owned; /* a removed record kept for its event */
	/* The last ids removed by the runtime: a metadata record that arrives
	 * after its container's removal (an inspect answered late) is dropped
	 * rather than bringing back a container that is gone. */
	char removed_ids[SK_STATE_REMOVED_IDS][65];
	unsigned removed_next;
	struct sk_u64map users;      /* uid -> struct sk_user_ent * (host) */
	struct sk_u64map grps;       /* gid -> struct sk_group_ent * (host) */
	uint64_t ctr_user_entries;   /* users + groups of all containers' tables */
	struct sk_users_pace host_users_pace; /* load_users of the host's tables */
	uint64_t lookups_window_ts;  /* start of the second read_thread counts in */
	uint32_t lookups_in_window;
	struct sk_scap_machine machine;
	bool have_machine;
	struct sk_iface ifaces[SK_STATE_MAX_IFACES];
	size_t nifaces;
	/* recycled objects (the hot path reuses instead of allocating) */
	struct sk_thread *free_threads[SK_STATE_FREE_THREADS];
	size_t nfree_threads;
	struct sk_fdinfo *free_fds[1024];
	size_t nfree_fds;
	/* per-event */
	struct sk_thread *cur_thread;
	struct sk_fdinfo *cur_fd;
	int64_t tid_to_remove;       /* delayed thread removal (procexit) */
	int64_t fd_to_remove;        /* delayed fd removal (close) */
	int64_t fd_to_remove_tid;
	uint64_t last_purge_ns;
	uint64_t last_ts;
	struct sk_recent_ring *recent; /* recently exited (tid, ptid), lazily allocated */
	bool seeding;                /* threads seeded, parents not linked yet */
	struct sk_buf scratch;       /* path building */
};

/* The periodic live purge (state.c), called after each event. */
void sk_state_purge_tick(struct sk_state *st, uint64_t now_ns);

/* ---- strings ---- */
int sk_sstr_set(struct sk_sstr *s, const char *p, size_t len);
static inline int sk_sstr_setz(struct sk_sstr *s, const char *p)
{
	return sk_sstr_set(s, p ? p : "", p ? __builtin_strlen(p) : 0);
}
void sk_sstr_done(struct sk_sstr *s);

/* ---- threads ---- */
/* A zeroed thread with every string "" and ids -1; NULL on OOM. Not in the table. */
struct sk_thread *sk_thread_alloc(struct sk_state *st);
void sk_thread_release(struct sk_state *st, struct sk_thread *t);
/* Inserts t (replacing and removing any thread of the same tid); links group and
 * parent. Returns 0, or -ENOSPC when max_threads is reached (t is released). */
int sk_state_add_thread(struct sk_state *st, struct sk_thread *t);
/* Marks t dead, reparents its children, removes it (and its dead main thread
 * when it was the last) as libsinsp's remove_thread does. */
void sk_state_remove_thread(struct sk_state *st, int64_t tid);
/* Finds tid, or creates libsinsp's "invalid" thread for it. NULL when the
 * table is full. */
struct sk_thread *sk_state_get_or_create(struct sk_state *st, int64_t tid, uint64_t ts);
void sk_thread_set_parent(struct sk_state *st, struct sk_thread *t, struct sk_thread *parent);
/* Recomputes t->container from t->cgroups. */
void sk_state_thread_container(struct sk_state *st, struct sk_thread *t);
void sk_state_container_unref(struct sk_state *st, const struct sk_container *c);
/* container_meta.c */
struct sk_container *sk_state_container_get_or_add(struct sk_state *st, const char *id,
						   const char *full_id, const char *type);
void sk_container_meta_free(struct sk_container_meta *m);
/* Frees a container taken out of st->containers (its metadata and users). */
void sk_container_free(struct sk_state *st, struct sk_container *c);
/* Asks cfg.load_users for t's uid and gid when its container's tables miss
 * them (users.c). */
void sk_state_want_users(struct sk_state *st, const struct sk_thread *t, uint64_t ts);
/* Removes user (or group) `id` from the tables of a container ("host"). */
void sk_state_remove_user(struct sk_state *st, const char *container_id, bool user, uint32_t id);
/* Frees the host's user and group tables (users.c). */
void sk_state_users_clear(struct sk_state *st);
void sk_state_event_container_reset(struct sk_state *st);

/* ---- fds ---- */
struct sk_fdtable *sk_state_fdtable(const struct sk_state *st, const struct sk_thread *t);
/* Adds (replacing) fd in t's table; NULL when the table is full (counted). */
struct sk_fdinfo *sk_state_add_fd(struct sk_state *st, struct sk_thread *t, int64_t fd);
void sk_state_remove_fd(struct sk_state *st, struct sk_thread *t, int64_t fd);
void sk_fdtable_free(struct sk_state *st, struct sk_fdtable *ft);
void sk_fdinfo_reset(struct sk_fdinfo *f);
/* Copies every fd of src into a fresh table of dst (fork without CLONE_FILES). */
void sk_state_copy_fds(struct sk_state *st, struct sk_thread *dst, const struct sk_thread *src);

void sk_state_recent_free(struct sk_state *st);
void sk_state_fix_proc_sockets(struct sk_state *st);
int sk_thread_set_exepath(struct sk_thread *t, const char *p, size_t len);
int sk_thread_set_cgroups(struct sk_state *st, struct sk_thread *t, const char *p, size_t len);
int sk_state_add_user(struct sk_state *st, uint32_t uid, uint32_t gid, struct sk_bytes name,
		      struct sk_bytes home, struct sk_bytes shell);
int sk_state_add_group(struct sk_state *st, uint32_t gid, struct sk_bytes name);

/* Renders a socket's fd.name from its tuple ("cip:cport->sip:sport"). */
int sk_fd_set_tuple_name(struct sk_fdinfo *f);

#endif
