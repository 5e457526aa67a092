/* driver.h — live capture: loads the CO-RE eBPF probe, chooses which
 * syscalls reach user space, reads the per-CPU ring buffers as sk_event views
 * merged in timestamp order, reports counters, and scans /proc to seed state.
 *
 * Events are exit events in the current scap layout (the same bytes a .scap
 * file holds), so the sk_event decoder, state and the capture writer treat
 * live and recorded events alike. Not thread safe: one thread owns a driver. */
#ifndef SK_DRIVER_H
#define SK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/bpf/kfilter.h"
#include "event/event.h"
#include "util/util.h"

struct sk_driver;

struct sk_driver_opts {
	size_t ring_bytes;       /* per ring, power of two >= 4096 (0 = 8 MiB, Falco's default) */
	unsigned cpus_per_ring;  /* CPUs sharing a ring: 0 = 2 (Falco's default), 1 = one
	                          * ring per CPU, >= the CPU count = one ring for all */
	uint32_t snaplen;        /* bytes of I/O buffers captured (0 = 80, Falco's default) */
	bool verbose;            /* keep the verifier log in the error on load failure */
	bool filter_self;        /* send nothing about the calling process's own threads
	                          * (children it forks are not filtered) */
};

/* Loads and attaches the probe. No syscall is sent until sk_driver_select()
 * is called. Returns NULL with an actionable message in err: not root or
 * missing CAP_BPF/CAP_PERFMON (-EPERM), no kernel BTF (-ENOENT), verifier
 * rejection (-EINVAL, with the log when opts->verbose), ring allocation
 * failure (-ENOMEM), or built without the probe (-ENOTSUP). */
struct sk_driver *sk_driver_open(const struct sk_driver_opts *opts, struct sk_err *err);
void sk_driver_free(struct sk_driver *d); /* detaches; NULL-safe */

/* Sends exactly the events whose codes are set in `want` (indexed by event
 * code, any code of a name selects the name, e.g. 293 or 13 for execve), plus
 * nothing else. procexit (186) is selected like any code. May be called again
 * while running. Returns 0 or a negative errno. */
int sk_driver_select(struct sk_driver *d, const bool want[SK_EVENT_MAX]) SK_WUR;

/* The next event, merged across rings in timestamp order. Waits up to
 * timeout_ms (polling with back-off, no wake-ups). Returns 1 with *ev set (a
 * view valid until the next call), 0 when nothing came in time, or a negative
 * errno. ev->num counts from 1; ev->cpuid is the ring's first CPU. */
int sk_driver_next(struct sk_driver *d, struct sk_event *ev, int timeout_ms, struct sk_err *err)
	SK_WUR;

/* Drop categories, as Falco names them in its drop statistics. */
enum sk_drop_cat {
	SK_DRIVER_DROP_OTHER = 0,   /* n_drops_buffer_other_interest_exit */
	SK_DRIVER_DROP_CLONE_FORK,  /* ..._clone_fork_exit */
	SK_DRIVER_DROP_EXECVE,      /* ..._execve_exit */
	SK_DRIVER_DROP_CONNECT,     /* ..._connect_exit */
	SK_DRIVER_DROP_OPEN,        /* ..._open_exit */
	SK_DRIVER_DROP_DIR_FILE,    /* ..._dir_file_exit */
	SK_DRIVER_DROP_CLOSE,       /* ..._close_exit */
	SK_DRIVER_DROP_PROC,        /* ..._proc_exit */
	SK_DRIVER_DROP_CAT_MAX
};

struct sk_driver_stats {
	uint64_t n_evts;            /* syscall exits and tracepoint hits seen by the probe */
	uint64_t n_sent;            /* records written to the rings */
	uint64_t n_drops_buffer;    /* records lost because a ring was full */
	uint64_t n_drops_cat[SK_DRIVER_DROP_CAT_MAX];
	uint64_t n_drops_size;      /* records over 64 KiB (not sent) */
	uint64_t n_faults;          /* parameters that could not be read (sent empty) */
	uint64_t n_errors;          /* probe-internal errors */
	uint64_t n_read;            /* events handed out by sk_driver_next */
	uint64_t n_bad;             /* records that failed to decode (skipped) */
	uint64_t n_naps;            /* reader back-off sleeps (wake-ups): n_read / n_naps is
	                             * the number of events read per wake-up */
};

/* Sums the per-CPU counters. Returns 0 or a negative errno. */
int sk_driver_stats(struct sk_driver *d, struct sk_driver_stats *out) SK_WUR;
/* Per-CPU counters: fills out[i] for CPU i (i < max; n_read and n_bad stay
 * 0) and returns the number of CPUs, or a negative errno. */
int sk_driver_stats_cpu(struct sk_driver *d, struct sk_driver_stats *out, int max) SK_WUR;
/* Falco's name of a drop category ("clone_fork", "execve", ...). */
const char *sk_driver_drop_cat_name(enum sk_drop_cat c);

/* ---- kernel filters (rule-derived, see docs/live-capture.md) --------------- */

/* A set of predicates by event code (the open family, close, and the sends
 * and receives filtered on connected TCP sockets) plus their path entries.
 * Built by the kfilter module from the rules, pushed into the probe by
 * sk_driver_set_kfilter() and evaluated in user space by sk_kf_set_keep()
 * (the replay emulation). */
struct sk_kf_path_ent {
	uint16_t evt;       /* event code */
	uint8_t kind;       /* enum sk_kf_kind */
	uint32_t terms;     /* bit i: term i of evt's predicate */
	uint64_t hash;      /* sk_kf_hash() of the name/prefix/file name */
};

struct sk_kf_set {
	struct sk_kf_pred pred[SK_EVENT_MAX];   /* on == 0: not filtered */
	struct sk_kf_path_ent *paths;           /* sorted by (evt, kind, hash) by
						 * sk_kf_set_seal(); owned */
	size_t npaths, cpaths;
	/* sk_kf_set_keep's memory of dropped opens (the probe's kf_fds): by
	 * tid << 32 | fd, the thread's generation when dropped; and by tid, the
	 * generation (bumped by a successful exec and by procexit) */
	struct sk_u64map emu_fds, emu_gen;
	bool emu_init, emu_lost;
	/* sk_kf_set_keep's view of the state for the send/receive predicates
	 * (set by the caller; NULL: those events are kept): true when thread
	 * tid's fd is known as a connected TCP socket, the probe's criterion */
	bool (*emu_tcp)(void *ctx, int64_t tid, int64_t fd);
	void *emu_tcp_ctx;
};

/* The hash the probe computes over path bytes (FNV-1a, 64 bits). */
uint64_t sk_kf_hash(const char *s, size_t n);
/* NULL on OOM. */
struct sk_kf_set *sk_kf_set_new(void);
void sk_kf_set_free(struct sk_kf_set *k); /* NULL-safe */
/* Adds (or merges the terms of) a path entry. Returns 0 or -ENOMEM. */
int sk_kf_set_add_path(struct sk_kf_set *k, uint16_t evt, enum sk_kf_kind kind, const char *s,
		       size_t n, uint32_t terms) SK_WUR;
/* Sorts and merges the entries; call once after the last add. */
void sk_kf_set_seal(struct sk_kf_set *k);
/* True for the event codes a kernel filter can apply to: the open family
 * (open, openat, openat2: predicates), close (of dropped opens' fds), and
 * sendto, recvfrom, sendmsg, recvmsg (on connected TCP sockets). */
bool sk_kf_filterable(uint16_t code);
/* True for the exit events a send/receive predicate (SK_KF_MODE_STREAM) can
 * filter: sendto, recvfrom, sendmsg, recvmsg. */
bool sk_kf_stream_code(uint16_t code);
/* The probe's decision for a recorded event, in user space (same code as the
 * probe, kfilter_eval.h): true = the probe would send it. Feed every event
 * in order: a close is dropped when the open of its fd was (the set keeps
 * that memory, as the probe does). Events of types without a predicate are
 * kept. A directory opened without O_DIRECTORY cannot be told from a file
 * here (the probe looks at the inode): such opens are judged as files, i.e.
 * the emulation drops at least what the probe drops. A send or receive is
 * judged by k->emu_tcp (user space's fd table instead of the socket's
 * state). k may be NULL. */
bool sk_kf_set_keep(struct sk_kf_set *k, const struct sk_event *ev);
/* What a sent event of type evt means for remembered fds: 0 nothing, 1 its
 * result is a new fd, 2 the int[2] at argument *arg holds two (pipe,
 * socketpair). */
int sk_driver_newfd_kind(uint16_t evt, unsigned *arg);

/* Loads the predicates into the running probe (replacing the previous ones;
 * NULL = no filtering). Also resets nothing: counters keep counting. Returns
 * 0 or a negative errno. */
int sk_driver_set_kfilter(struct sk_driver *d, const struct sk_kf_set *k) SK_WUR;
/* Kernel-filter counters summed over CPUs, by event code: events of filtered
 * types that were sent (passed) and dropped by the filter (filtered). Arrays of
 * SK_EVENT_MAX entries. Returns 0 or a negative errno. */
int sk_driver_kf_stats(struct sk_driver *d, uint64_t *passed, uint64_t *filtered) SK_WUR;

/* ---- syscall selection (no probe needed) ---------------------------------- */

/* True when the probe can produce event `code` (i.e. some code of its name). */
bool sk_driver_supports(uint16_t code);

/* Falco's `base_syscalls` settings. */
struct sk_base_syscalls {
	const char *const *custom_set; /* names; "!name" removes a name */
	size_t ncustom;
	bool repair;                   /* minimal state set instead of the full one */
	bool all;                      /* every syscall the probe supports */
};

/* Computes the event set to send: `rules` (codes the loaded rules can match,
 * may be NULL) plus what state tracking needs, per `base` (may be NULL for
 * the defaults), plus procexit. Unknown names in custom_set fail with
 * -EINVAL and err naming them. `out` is indexed by event code. */
int sk_driver_compute_set(const bool *rules, const struct sk_base_syscalls *base,
			  bool out[SK_EVENT_MAX], struct sk_err *err) SK_WUR;

/* Iterates the names of syscall events the probe supports (for `saker -i`
 * and docs): returns the name of entry *it and advances, NULL at the end.
 * *code receives the exit (or only) event code. */
const char *sk_driver_supported_next(size_t *it, uint16_t *code);

/* ---- /proc scan ---------------------------------------------------------- */

struct sk_proc_scan_opts {
	const char *proc;   /* NULL = "/proc" */
	const char *etc;    /* NULL = "/etc" (passwd, group) */
	bool threads;       /* report every thread, not only thread-group leaders */
	bool fds;           /* report file descriptors */
	size_t max_fds_per_proc; /* 0 = 65536 */
	const char *root;   /* prefix of both paths above (Falco's HOST_ROOT, e.g. "/host"
	                     * when the host's / is mounted there); NULL or "" = none */
};

/* Counts of what a scan delivered and skipped (processes that vanished, fds
 * over the per-process bound). */
struct sk_proc_scan_stats {
	uint64_t threads, fds, users, groups, ifaces, vanished, fds_skipped;
	uint64_t netns;              /* network namespaces whose socket tables were read */
};

/* Whether thread `tid` of process `pid` still exists under `root`/proc
 * (root: HOST_ROOT or NULL), for the thread table purge. Unlike libscap's
 * check the name is not compared: a thread that renamed itself (prctl
 * PR_SET_NAME, as every JVM thread does) would be taken for gone, and saker
 * does not read a thread back from /proc at its next event as libsinsp
 * does, so it would lose the thread's process information. */
bool sk_proc_thread_alive(const char *root, int64_t pid, int64_t tid);

/* Hands to `ops` (user, group) the users and groups process `pid` sees:
 * its root's /etc/passwd and /etc/group (under `root`, HOST_ROOT or NULL),
 * symlinks resolved inside that root, regular files only, 1 MiB at most;
 * pid < 0: the host's. -ENOENT when pid shares the host's root (no users
 * of its own, as libsinsp), else 0, a callback's return or -errno. */
int sk_proc_read_users(const char *root, int64_t pid, const struct sk_scap_meta_ops *ops);

/* The process (thread group) id of thread `tid` under `root`/proc, or -1. */
int64_t sk_proc_tgid(const char *root, int64_t tid);

/* Reads one thread from /proc, as libsinsp does when an event names a thread
 * its table lacks (its clone event was lost, e.g. in a ring drop): with
 * `with_process`, first the main thread of its process and, after, that
 * process's fds (socket fds left out: resolving them means reading the
 * namespace's network tables); then the thread. Hands them to `ops` as the
 * scan does (paths and fds options from `opts`). Returns 0, 1 when the
 * thread is gone, else a callback's return or -errno. */
int sk_proc_read_thread(const struct sk_proc_scan_opts *opts, int64_t tid, bool with_process,
			const struct sk_scap_meta_ops *ops);

/* Reads fds `fds[0..n)` of process `pid` from /proc (those closed already
 * are skipped; sockets resolved through the process's network namespace
 * tables, read once when a socket is among them) and hands them to `ops`
 * (fd, with the process id), as libsinsp does for the fds a process
 * received in SCM_RIGHTS messages. Returns 0, 1 when the process is gone,
 * else a callback's return or -errno. */
int sk_proc_read_fds(const struct sk_proc_scan_opts *opts, int64_t pid, const int *fds, size_t n,
		     const struct sk_scap_meta_ops *ops);

/* Walks /proc (and /etc/passwd, /etc/group, the interfaces) and hands what it
 * finds to `ops` in this order: machine, ifaces, users, groups, threads, then
 * each process's fds (the fd callback's tid is the process id). Processes
 * that vanish during the scan are skipped. A callback's non-zero return stops
 * the scan and is returned. Returns 0 or a negative errno with err set. */
int sk_proc_scan(const struct sk_proc_scan_opts *opts, const struct sk_scap_meta_ops *ops,
		 struct sk_proc_scan_stats *stats, struct sk_err *err) SK_WUR;

#endif
