/* state.h — the system state the engine keeps while events flow: the thread
 * table (process tree, exe, args, cwd, credentials, container), per-process
 * fd tables (files, sockets, pipes, ...), users/groups and machine info.
 *
 * Seeded from capture metadata or a /proc scan through struct
 * sk_scap_meta_ops; kept current by sk_state_update() (before rules see an
 * event) and sk_state_post() (after), following libsinsp's parsers.
 *
 * Ownership: every pointer returned by a lookup is borrowed from the state
 * and stays valid until the next sk_state_update()/sk_state_post()/seeding
 * call. Not thread safe: one state per engine thread. */
#ifndef SK_STATE_H
#define SK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/util.h"

struct sk_state;
struct sk_fdtable;
struct sk_tgroup;

/* A string owned by the state: `s` is always NUL-terminated and never NULL
 * ("" when empty); `len` excludes the terminator. NUL-separated lists (args,
 * env, cgroups) keep their inner NULs: len covers all of them, and the list
 * ends with a NUL per element (as the kernel hands them over). */
struct sk_sstr {
	char *s;
	uint32_t len;
	uint32_t cap;                /* private */
};

/* Thread flags (PPM_CL_* values used by libsinsp, see flags.tsv clone_flags). */
#define SK_CL_CLONE_FILES (1u << 0)
#define SK_CL_CLONE_FS (1u << 1)
#define SK_CL_CLONE_NEWIPC (1u << 3)
#define SK_CL_CLONE_NEWNET (1u << 4)
#define SK_CL_CLONE_NEWNS (1u << 5)
#define SK_CL_CLONE_NEWPID (1u << 6)
#define SK_CL_CLONE_PARENT (1u << 8)
#define SK_CL_CLONE_SIGHAND (1u << 11)
#define SK_CL_CLONE_THREAD (1u << 13)
#define SK_CL_CLONE_VM (1u << 15)
#define SK_CL_CLONE_INVERTED (1u << 16)
#define SK_CL_NAME_CHANGED (1u << 17)  /* set by execve (libsinsp) */
#define SK_CL_CLOSED (1u << 18)        /* thread has exited (procexit seen) */
#define SK_CL_ACTIVE (1u << 19)
#define SK_CL_CLONE_NEWUSER (1u << 20)
#define SK_CL_CLONE_VFORK (1u << 27)
#define SK_CL_CLONE_NEWCGROUP (1u << 28)
#define SK_CL_CHILD_IN_PIDNS (1u << 29) /* process lives in a child pid namespace */
#define SK_CL_IS_MAIN_THREAD (1u << 30)

/* One thread. Process-wide values (cwd, fds, nthreads) live in the thread
 * group's main thread; use the accessor functions below rather than reading
 * them off a secondary thread. */
struct sk_thread {
	int64_t tid, pid, ptid;      /* host ids; ptid -1 when unknown */
	int64_t reaper_tid;          /* from procexit, -1 when unknown */
	int64_t sid, pgid, vpgid;    /* session / process group ids (-1 unknown) */
	int64_t vtid, vpid;          /* ids in the thread's pid namespace (-1 unknown) */
	struct sk_sstr comm;         /* proc.name: kernel comm */
	struct sk_sstr exe;          /* proc.exe: argv[0] as passed */
	struct sk_sstr exepath;      /* proc.exepath: resolved executable path */
	struct sk_sstr args;         /* argv[1..], each NUL-terminated */
	struct sk_sstr env;          /* environment, each entry NUL-terminated */
	struct sk_sstr cwd;          /* always ends with '/'; authoritative on the main thread */
	struct sk_sstr cgroups;      /* "subsys=path\0" ... */
	struct sk_sstr root;         /* chroot dir, "" unknown */
	uint32_t flags;              /* SK_CL_* */
	uint32_t uid, gid;           /* effective ids as libsinsp tracks them */
	uint32_t euid, egid;         /* from setres*id / setre*id when seen, else = uid/gid */
	uint32_t loginuid;           /* 0xFFFFFFFF = unset */
	uint32_t tty;
	uint64_t cap_inheritable, cap_permitted, cap_effective;
	bool exe_writable, exe_upper_layer, exe_lower_layer, exe_from_memfd;
	uint64_t exe_ino, exe_ino_ctime, exe_ino_mtime; /* ctime/mtime ns since epoch */
	int64_t fdlimit;
	uint32_t vmsize_kb, vmrss_kb, vmswap_kb;
	uint64_t pfmajor, pfminor;
	uint64_t clone_ts;           /* ns; when the clone creating it happened (0 unknown) */
	uint64_t lastexec_ts;        /* ns of the last successful execve (0 none) */
	uint64_t pidns_init_start_ts;
	uint64_t lastevent_ts;       /* ns of the last event of this thread */
	int64_t lastevent_fd;        /* fd used by the last event (-1 none) */
	uint32_t last_enter;         /* type + 1 of the last enter event seen (0 none) */
	uint64_t lastaccess_ts;      /* ns of the last lookup by an event (purge) */
	uint64_t nchilds;            /* threads whose parent link points here */
	/* Container this thread runs in (NULL = host): matched from cgroups. */
	const struct sk_container *container;
	/* ---- private to state/ ---- */
	struct sk_fdtable *fdtable;  /* own table (use sk_state_fd*(): threads may share) */
	struct sk_tgroup *tgroup;    /* thread group (pid) bookkeeping */
	struct sk_thread *parent_link, *child_head, *sib_prev, *sib_next;
};

/* A key/value pair of container or pod labels. */
struct sk_kv {
	const char *key, *value;
};

/* One mount of a container, as the runtime reports it. */
struct sk_container_mount {
	const char *source, *dest, *mode, *propagation;
	bool rdwr;
};

/* Runtime metadata of a container: the container plugin's JSON record
 * (asyncevent "container", old container events), parsed once. Immutable
 * after parsing; freed when replaced or removed (between events, so field
 * values that borrow it stay valid for the event being evaluated). Strings
 * are never NULL except the k8s ones, NULL when the runtime gave no value. */
struct sk_container_meta {
	int type;                    /* the plugin's container_type number */
	const char *type_name;       /* container.type: "docker", "cri", "podman", ... */
	const char *id, *full_id, *name, *image, *image_id, *image_repo, *image_tag;
	const char *image_digest, *ip, *cni_json, *pod_sandbox_id, *user;
	bool privileged, host_pid, host_network, host_ipc, is_pod_sandbox;
	int64_t created_time;        /* seconds since epoch */
	const struct sk_kv *labels;  /* sorted by key */
	size_t nlabels;
	const struct sk_kv *pod_labels; /* the pod's labels, sorted; NULL = none given */
	size_t npod_labels;
	const struct sk_container_mount *mounts;
	size_t nmounts;
	/* renderings, made once */
	const char *labels_str;      /* container.labels: "k:v, k2:v2" without io.kubernetes.* */
	const char *pod_labels_str;  /* k8s.pod.labels, same form */
	const char *mounts_str;      /* container.mounts: "src:dst:mode:rdwr:prop,..." */
	/* Kubernetes, from the io.kubernetes.* labels (NULL when absent) */
	const char *pod_name, *pod_ns, *pod_uid;
	/* Deployment / ReplicaSet derived from the pod name (NULL when unknown) */
	const char *rs_name, *deploy_name;
	struct sk_arena arena;       /* owns all of the above (private) */
};

/* Container identity derived from a thread's cgroups (container plugin
 * matching), with runtime metadata once a client or a container event has
 * given it. */
struct sk_container {
	char id[65];                 /* container.id: 12-char short id for 64-hex ids */
	char full_id[129];           /* container.full_id */
	const char *type;            /* cgroup guess: "docker", "cri", "containerd", "podman", ... */
	uint64_t refs;               /* threads pointing here (private) */
	struct sk_container_meta *meta; /* NULL until known (owned) */
	bool requested;              /* the lookup hook was called (private) */
	bool removed;                /* the runtime removed it while threads still pointed
	                                here: freed with its last thread (private) */
	struct sk_ctr_users *users;  /* its own users and groups, read from its
	                                /etc (live); NULL until loaded (private) */
};

/* The metadata every host process shows (container.name "host", ...). */
extern const struct sk_container_meta sk_container_host_meta;

/* L4 protocols (SCAP_L4_*). */
enum sk_l4proto {
	SK_L4_UNKNOWN = 0,
	SK_L4_NA = 1,
	SK_L4_TCP = 2,
	SK_L4_UDP = 3,
	SK_L4_ICMP = 4,
	SK_L4_RAW = 5,
};

/* fd flags (libsinsp sinsp_fdinfo flags, same bit values). */
#define SK_FDF_FROM_PROC (1u << 0)
#define SK_FDF_ROLE_CLIENT (1u << 2)
#define SK_FDF_ROLE_SERVER (1u << 3)
#define SK_FDF_SOCKET_PIPE (1u << 6)
#define SK_FDF_SOCKET_CONNECTED (1u << 13)
#define SK_FDF_IS_CLONED (1u << 14)
#define SK_FDF_CONNECTION_PENDING (1u << 15)
#define SK_FDF_CONNECTION_FAILED (1u << 16)
#define SK_FDF_OVERLAY_UPPER (1u << 17)
#define SK_FDF_OVERLAY_LOWER (1u << 18)

/* One file descriptor of a process. For IPv4 sockets addresses sit in the
 * first 4 bytes of sip/dip (network order); ports are host order. For server
 * sockets (SK_FD_IPV4/6_SERVSOCK) sip/sport hold the listening address. */
struct sk_fdinfo {
	int64_t fd;
	uint8_t type;                /* enum sk_fd_type */
	uint8_t family;              /* socket address family (AF_*), 0 when not a socket */
	uint8_t l4proto;             /* enum sk_l4proto */
	bool name_changed;           /* fd.name_changed: this event changed the name */
	uint32_t flags;              /* SK_FDF_* */
	uint32_t open_flags;         /* PPM_O_* as given to open (files) */
	uint32_t dev;                /* device (files), 0 unknown */
	uint32_t mount_id;
	uint64_t ino;
	struct sk_sstr name;         /* fd.name exactly as libsinsp renders it */
	struct sk_sstr nameraw;      /* fd.nameraw: path as passed by the syscall */
	uint8_t sip[16], dip[16];    /* sockets: source (client) / destination (server) */
	uint16_t sport, dport;
	uint64_t unix_src, unix_dst; /* unix sockets: kernel socket addresses */
	int64_t pid;                 /* for pidfd: the target pid */
};

/* Users and groups (from capture metadata or /etc/passwd, /etc/group). */
struct sk_user {
	uint32_t uid, gid;
	const char *name, *homedir, *shell;
};

struct sk_group {
	uint32_t gid;
	const char *name;
};

/* Bounds. Zero in any member means "use the default". */
struct sk_state_config {
	size_t max_threads;          /* default 131072 */
	size_t max_fds_per_process;  /* default 4096 (libsinsp max fd table size) */
	size_t max_fds;              /* all fd tables together; default 262144 */
	uint64_t thread_timeout_ns;  /* a thread idle longer than this is purged if
	                                thread_alive says it is gone; default 30 min */
	uint64_t purge_interval_ns;  /* period of that scan; default 20 min (libsinsp) */
	/* Live only: whether thread tid of process pid still exists (the caller
	 * asks /proc). NULL (replays) turns the purge off, as in libsinsp,
	 * which cannot ask a capture file whether a thread lives. */
	bool (*thread_alive)(void *ctx, int64_t pid, int64_t tid);
	void *thread_alive_ctx;
	/* Live only: reads the users and groups process pid sees and hands them
	 * to sk_state_add_container_user/_group with this container_id ("host":
	 * the host's /etc). Called, as libsinsp adds users, when a thread's uid
	 * or gid is missing from its container's tables (after execve and the
	 * set*id calls; for host threads after clone too); the same missing
	 * ids at most once a second per container (a uid without an entry
	 * would cost a read per execve). Returns < 0 when pid's files could
	 * not be read (it exited already): another thread of the container is
	 * tried then. NULL: tables come from seeding only. */
	int (*load_users)(void *ctx, struct sk_state *st, const char *container_id, int64_t pid);
	void *load_users_ctx;
	/* Live only: reads thread tid from /proc into st (sk_state_live_ops),
	 * with its process and the process's fds when the table lacks the
	 * process too, as libsinsp does for a thread an event names that the
	 * table lacks (its clone was lost in a drop, or it was evicted): not
	 * for clone and procexit events. At most 256 reads per second of
	 * event time. Returns 0, or non-zero when the thread is gone. NULL:
	 * such threads are made from the event alone (fields "<NA>"). */
	int (*read_thread)(void *ctx, struct sk_state *st, int64_t tid);
	void *read_thread_ctx;
	/* Live only: reads fds `fds[0..n)` of process pid from /proc into st
	 * (sk_state_live_ops): the fds a recvmsg on a unix socket received in
	 * SCM_RIGHTS control messages, as libsinsp does. Shares read_thread's
	 * rate bound (one read per call). Returns 0, or non-zero when pid is
	 * gone. NULL: passed fds stay unknown until an event creates them. */
	int (*read_fds)(void *ctx, struct sk_state *st, int64_t pid, const int *fds, size_t n);
	void *read_fds_ctx;
	size_t max_users;            /* default 65536 (users + groups each) */
	size_t max_containers;       /* default 16384 */
};

struct sk_state_stats {
	uint64_t threads;            /* current counts */
	uint64_t fds;
	uint64_t containers;
	uint64_t threads_added, threads_removed;
	uint64_t threads_evicted;    /* dropped because max_threads was reached */
	uint64_t threads_purged;     /* removed by the inactivity purge */
	uint64_t proc_lookups;       /* threads read from /proc on demand (read_thread) */
	uint64_t proc_lookups_failed; /* ... that were gone already */
	uint64_t proc_lookups_skipped; /* not read: over the rate bound */
	uint64_t threads_incomplete; /* created from an event with partial info */
	uint64_t fds_added, fds_removed;
	uint64_t fds_dropped;        /* refused because a table reached max_fds_per_process */
	uint64_t fds_dropped_total;  /* refused because all tables together reached max_fds */
	uint64_t users;              /* users + groups in the tables */
	uint64_t users_dropped;      /* users/groups refused by max_users */
	uint64_t containers_dropped;  /* refused or evicted because max_containers was reached */
	uint64_t containers_meta;     /* container records applied */
	uint64_t containers_removed;  /* container_removed records applied */
	uint64_t containers_late;     /* records of containers already removed, not kept */
	uint64_t containers_bad;      /* container records that did not parse */
	uint64_t containers_missing_image; /* records of containers (not sandboxes) without image */
	uint64_t events;             /* events handed to sk_state_update */
	uint64_t failed_lookups;     /* events whose thread could not be found or created */
};

/* ---- lifetime ------------------------------------------------------------- */
/* cfg may be NULL (all defaults). Returns NULL on OOM. */
struct sk_state *sk_state_new(const struct sk_state_config *cfg);
void sk_state_free(struct sk_state *st); /* NULL-safe */
/* Drops every thread, fd, user, group and container (a new capture section). */
void sk_state_clear(struct sk_state *st);
void sk_state_stats(const struct sk_state *st, struct sk_state_stats *out);

/* ---- seeding ----------------------------------------------------------------
 * Fills `ops` with callbacks that store what a capture reader or the /proc
 * scan hands over (machine, interfaces, users, groups, threads, fds). `ops`
 * stays usable as long as `st` lives. Threads are linked into the process
 * tree as they arrive; call sk_state_seed_done() after the last one to
 * compute counts (nthreads, nchilds) and containers. */
void sk_state_meta_ops(struct sk_state *st, struct sk_scap_meta_ops *ops);
/* Callbacks for threads (and their process's fds) read from /proc while
 * events flow (cfg.read_thread): a thread is linked to its parent at once,
 * and one the table has already is left as it is. */
void sk_state_live_ops(struct sk_state *st, struct sk_scap_meta_ops *ops);
void sk_state_seed_done(struct sk_state *st);

/* The inverse: hands the live threads (not exited, not invalid) and then the
 * fds of each process's table to ops->thread / ops->fd (either may be NULL),
 * in the form a capture's process and fd lists hold. Returns 0, or the first
 * callback error (negative errno). */
int sk_state_dump(const struct sk_state *st, const struct sk_scap_meta_ops *ops);

/* ---- updating ----------------------------------------------------------------
 * sk_state_update: applies what `ev` changes before rules evaluate it (new
 * threads, exec, fds created, names changed, ...). sk_state_post: applies
 * what libsinsp applies after the event was filtered/shown (removal of
 * closed fds and exited threads), so rules on close/procexit still see the
 * fd/thread. Call both for every event, in order. Never fails: malformed
 * events are ignored and counted; bounds are enforced with counters.
 * Returns true when rules/outputs should see the event (false for enter
 * events of syscalls, which libsinsp uses only for state). */
bool sk_state_update(struct sk_state *st, const struct sk_event *ev);
void sk_state_post(struct sk_state *st, const struct sk_event *ev);

/* Whether an event of this type, met before any other kind at the head of a
 * capture, is part of the writer's initial state (container, user and group
 * records, async events): libscap consumes those while opening the file, so
 * neither Falco's rules nor sysdig's output see them (the same records later
 * in the file are events). */
bool sk_state_initial_record(uint16_t type);

/* The thread and fd of the event last passed to sk_state_update (what
 * libsinsp's evt->get_thread_info()/get_fd_info() return): NULL when none. */
struct sk_thread *sk_state_cur_thread(const struct sk_state *st);
struct sk_fdinfo *sk_state_cur_fd(const struct sk_state *st);

/* What libsinsp's parser does first for any event of a tid (reset()): finds
 * the thread, creating the placeholder ("invalid") thread for an unknown
 * tid. For tools showing events the converted stream drops (old captures'
 * enter events, see `saker inspect`); sk_state_update does it on its own.
 * NULL when tid < 0 or the table is full. */
struct sk_thread *sk_state_thread_touch(struct sk_state *st, int64_t tid, uint64_t ts);
/* An enter event the converted stream folded away (old captures, raw
 * `saker inspect`), met as libsinsp's parser met it: its thread touched
 * and its fd made the current one (sk_state_cur_thread/cur_fd), nothing
 * else parsed. Events other than syscall enter events are ignored. */
void sk_state_enter_event(struct sk_state *st, const struct sk_event *ev);

/* Removes invalid threads, and threads idle for longer than the timeout (as
 * of `now_ns`) that cfg.thread_alive says are gone; does nothing without
 * thread_alive. sk_state_post calls it every cfg.purge_interval_ns. */
void sk_state_purge(struct sk_state *st, uint64_t now_ns);

/* ---- lookups ------------------------------------------------------------------ */
struct sk_thread *sk_state_thread(const struct sk_state *st, int64_t tid);
/* The main thread (tid == pid) of the process `pid`, or NULL. */
struct sk_thread *sk_state_process(const struct sk_state *st, int64_t pid);
/* The main thread of t's thread group (t itself when it is the main). */
struct sk_thread *sk_state_main_thread(const struct sk_state *st, const struct sk_thread *t);
/* The parent process of t (the main thread of t's ptid's group), or NULL. */
struct sk_thread *sk_state_parent(const struct sk_state *st, const struct sk_thread *t);
/* The process-wide cwd (the main thread's), "" unknown. */
const struct sk_sstr *sk_state_cwd(const struct sk_state *st, const struct sk_thread *t);
/* Number of live threads of t's process (libsinsp thread group count). */
uint64_t sk_state_nthreads(const struct sk_state *st, const struct sk_thread *t);
/* Iterates every thread: for (size_t i = 0; (t = sk_state_thread_next(st, &i));) */
struct sk_thread *sk_state_thread_next(const struct sk_state *st, size_t *iter);

/* The fd `fd` of t's process (fd tables are shared as libsinsp shares them:
 * threads created with CLONE_FILES use the main thread's table). */
struct sk_fdinfo *sk_state_fd(const struct sk_state *st, const struct sk_thread *t, int64_t fd);
uint64_t sk_state_fd_count(const struct sk_state *st, const struct sk_thread *t);
/* Iterates the fds of t's table in no particular order. */
struct sk_fdinfo *sk_state_fd_next(const struct sk_state *st, const struct sk_thread *t,
				   size_t *iter);

/* Users/groups of the host (container NULL or "host") or of a container. */
/* A user or group of a container's own tables ("host" or NULL: the host's,
 * as sk_state_add_user/_group). Ignored (0) for a container not tracked;
 * refused and counted past max_users (all tables together). */
int sk_state_add_container_user(struct sk_state *st, const char *container_id, uint32_t uid,
				uint32_t gid, struct sk_bytes name, struct sk_bytes home,
				struct sk_bytes shell);
int sk_state_add_container_group(struct sk_state *st, const char *container_id, uint32_t gid,
				 struct sk_bytes name);
/* Lookups in the tables of a container ("host" or NULL: the host's). */
const struct sk_user *sk_state_user(const struct sk_state *st, const char *container_id,
				    uint32_t uid);
const struct sk_group *sk_state_group(const struct sk_state *st, const char *container_id,
				      uint32_t gid);
/* Machine info from the capture or the live system; NULL when unknown. */
const struct sk_scap_machine *sk_state_machine(const struct sk_state *st);
/* True when ip (4 or 16 bytes, network order) is the machine's as libsinsp
 * decides: an interface's IPv4 address, or an IPv6 address in an interface's /64. */
bool sk_state_ip_is_local(const struct sk_state *st, const uint8_t *ip, bool v6);

/* libsinsp's "invalid" thread: created for an event of an unknown tid in
 * replay (pid/ptid -1, comm and exe "<NA>", uid/gid 0xFFFFFFFF). */
static inline bool sk_thread_is_invalid(const struct sk_thread *t)
{
	return t->tid < 0 || t->pid < 0 || t->ptid < 0;
}

static inline bool sk_thread_is_main(const struct sk_thread *t)
{
	return t->tid == t->pid || (t->flags & SK_CL_IS_MAIN_THREAD);
}

/* The L4 protocol as libsinsp reports it (sinsp_fdinfo::get_l4proto): a
 * connected socket's is unknown (NA) until it has a role, raw sockets
 * excepted; listening sockets keep theirs; other fds have none. */
static inline uint8_t sk_fd_l4proto(const struct sk_fdinfo *f)
{
	switch (f->type) {
	case SK_FD_IPV4_SOCK: case SK_FD_IPV6_SOCK:
		if (f->l4proto == SK_L4_RAW)
			return SK_L4_RAW;
		return (f->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER)) ? f->l4proto : SK_L4_NA;
	case SK_FD_IPV4_SERVSOCK: case SK_FD_IPV6_SERVSOCK:
		return f->l4proto;
	default:
		return SK_L4_NA;
	}
}

/* ---- containers --------------------------------------------------------------
 * Applies a container record in the container plugin's JSON form
 * ({"container": {...}}): added/updated, or removed. Returns 0, or -EINVAL
 * for text that is not such a record (nothing changed). */
int sk_state_container_json(struct sk_state *st, const char *json, size_t len, bool removed);
/* The container with this short id (or NULL). */
const struct sk_container *sk_state_container(const struct sk_state *st, const char *id);
/* Metadata of the container a thread runs in: the host's for host threads,
 * NULL while a container's metadata is unknown. */
const struct sk_container_meta *sk_thread_container_meta(const struct sk_thread *t);
/* The container record the current event carries (asyncevent "container",
 * old container events), NULL for other events: fields of such an event
 * describe that container, as in the container plugin. */
const struct sk_container_meta *sk_state_event_container(const struct sk_state *st);
/* Called (on the engine thread) once per container seen in a thread's
 * cgroups without metadata, so that the program layer can ask a runtime.
 * `type` is the cgroup matcher's guess. */
typedef void (*sk_state_container_hook)(void *ctx, const char *id, const char *full_id,
					const char *type);
void sk_state_set_container_hook(struct sk_state *st, sk_state_container_hook fn, void *ctx);
/* The Deployment and ReplicaSet a pod belongs to, from its name: with the
 * pod's `pod-template-hash` label (NULL if none) the ReplicaSet is the name
 * less its last "-xxxxx" part when that ends in "-<hash>"; without it, only a
 * name shaped <deployment>-<hash>-<5 chars> in Kubernetes' name-hash
 * alphabet counts. Returns false (buffers "") when neither applies. */
bool sk_k8s_owner_names(const char *pod_name, const char *template_hash, char *rs, size_t rs_len,
			char *deploy, size_t deploy_len);

/* container.id of a thread: "host" when it runs on the host. */
static inline const char *sk_thread_container_id(const struct sk_thread *t)
{
	return t->container ? t->container->id : "host";
}

/* Joins `path` to `base` (used only when path is relative; base normally ends
 * with '/') and normalises the result as libsinsp renders paths: "." and ".."
 * folded, repeated and trailing separators dropped, bounded by
 * SK_STATE_PATH_MAX (too long gives "/DIR_TOO_LONG/FILENAME_TOO_LONG").
 * Returns the length written to out. */
#define SK_STATE_PATH_MAX 1024
size_t sk_state_path_join(char out[SK_STATE_PATH_MAX], const char *base, size_t baselen,
			  const char *path);

/* Matches a cgroup path (one "subsys=path" entry or a bare path) against the
 * container plugin's patterns. On a match fills id (short, 12 chars for a
 * 64-hex id), full_id and *type and returns true. Exposed for tests and for
 * the live driver's /proc scan. */
bool sk_container_match_cgroup(const char *path, size_t len, char id[65], char full_id[129],
			       const char **type);

#endif
