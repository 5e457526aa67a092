/* scap.h — .scap capture files: the metadata they carry (machine, interfaces,
 * users, groups, threads, fds), a reader and a writer.
 *
 * The metadata structs are also what the live driver's /proc scan produces,
 * so state is seeded through one interface (struct sk_scap_meta_ops) whether
 * it comes from a file or from the running system. Part of the event module's face:
 * include event/event.h, which includes this file. */
#ifndef SK_SCAP_H
#define SK_SCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct sk_event;

/* Block type codes (scap-format.md §3). */
enum sk_scap_block {
	SK_BLOCK_SHB = 0x0A0D0D0A,
	SK_BLOCK_MI = 0x201,
	SK_BLOCK_PL_V1 = 0x202,
	SK_BLOCK_FDL = 0x203,
	SK_BLOCK_EV = 0x204,
	SK_BLOCK_IL = 0x205,
	SK_BLOCK_UL = 0x206,
	SK_BLOCK_PL_V2 = 0x207,
	SK_BLOCK_EVF = 0x208,
	SK_BLOCK_PL_V3 = 0x209,
	SK_BLOCK_PL_V4 = 0x210,
	SK_BLOCK_PL_V5 = 0x211,
	SK_BLOCK_PL_V6 = 0x212,
	SK_BLOCK_PL_V7 = 0x213,
	SK_BLOCK_PL_V8 = 0x214,
	SK_BLOCK_PL_V9 = 0x215,
	SK_BLOCK_EV_V2 = 0x216,
	SK_BLOCK_EVF_V2 = 0x217,
	SK_BLOCK_FDL_V2 = 0x218,
	SK_BLOCK_IL_V2 = 0x219,
	SK_BLOCK_UL_V2 = 0x220,
	SK_BLOCK_EV_V2_LARGE = 0x221,
	SK_BLOCK_EVF_V2_LARGE = 0x222,
};

/* A borrowed byte string (not necessarily NUL-terminated). */
struct sk_bytes {
	const char *p;
	uint32_t len;
};

struct sk_scap_machine {
	uint32_t num_cpus;
	uint64_t memory_bytes;
	uint64_t max_pid;
	char hostname[129];
	uint64_t boot_ts;
	uint64_t flags;
};

struct sk_scap_iface {
	uint16_t type;               /* 1 IPv4, 2 IPv6, 3/4 without linkspeed */
	uint8_t addr[16], netmask[16], bcast[16]; /* IPv4 in the first 4, network order */
	uint64_t linkspeed;
	struct sk_bytes name;
};

struct sk_scap_user {
	uint32_t uid, gid;
	struct sk_bytes name, homedir, shell;
};

struct sk_scap_group {
	uint32_t gid;
	struct sk_bytes name;
};

/* One thread of a process list (fields of PL_V9 with version defaults). */
struct sk_scap_thread {
	uint64_t tid, pid, ptid;
	int64_t sid, vpgid, pgid;    /* -1 when absent */
	struct sk_bytes comm, exe, exepath;
	struct sk_bytes args;        /* NUL-separated argv[1..] */
	struct sk_bytes cwd;
	uint64_t fdlimit;
	uint32_t flags;              /* PPM_CL_* */
	uint32_t uid, gid;
	uint32_t vmsize_kb, vmrss_kb, vmswap_kb;
	uint64_t pfmajor, pfminor;
	struct sk_bytes env;         /* NUL-separated */
	int64_t vtid, vpid;          /* -1 when absent */
	struct sk_bytes cgroups;     /* "subsys=path\0" ... */
	struct sk_bytes root;
	uint64_t pidns_init_start_ts;
	uint32_t tty;
	uint32_t loginuid;           /* 0xFFFFFFFF when absent */
	bool exe_writable, exe_upper_layer, exe_lower_layer, exe_from_memfd;
	uint64_t cap_inheritable, cap_permitted, cap_effective;
	uint64_t exe_ino, exe_ino_ctime, exe_ino_mtime;
};

/* SCAP_FD_* codes (scap-format.md §5.5). */
enum sk_fd_type {
	SK_FD_UNKNOWN = 0,
	SK_FD_FILE = 1,
	SK_FD_DIRECTORY = 2,
	SK_FD_IPV4_SOCK = 3,
	SK_FD_IPV6_SOCK = 4,
	SK_FD_IPV4_SERVSOCK = 5,
	SK_FD_IPV6_SERVSOCK = 6,
	SK_FD_FIFO = 7,
	SK_FD_UNIX_SOCK = 8,
	SK_FD_EVENT = 9,
	SK_FD_UNSUPPORTED = 10,
	SK_FD_SIGNALFD = 11,
	SK_FD_EVENTPOLL = 12,
	SK_FD_INOTIFY = 13,
	SK_FD_TIMERFD = 14,
	SK_FD_NETLINK = 15,
	SK_FD_FILE_V2 = 16,
	SK_FD_BPF = 17,
	SK_FD_USERFAULTFD = 18,
	SK_FD_IOURING = 19,
	SK_FD_MEMFD = 20,
	SK_FD_PIDFD = 21,
};

/* One fd of an fd list. IPs are in network byte order, ports in host order. */
struct sk_scap_fd {
	int64_t fd;
	uint64_t ino;
	uint8_t type;                /* enum sk_fd_type */
	uint32_t open_flags;         /* FILE_V2: PPM_O_* */
	uint32_t dev;                /* FILE_V2, 0 if absent */
	struct sk_bytes name;        /* files, pipes, unix sockets, others */
	uint8_t sip[16], dip[16];    /* sockets; servsock uses sip */
	uint16_t sport, dport;
	uint8_t l4proto;
	uint64_t unix_src, unix_dst; /* unix sockets: kernel socket addresses */
};

/* Callbacks through which a reader (or the /proc scan) hands metadata to its
 * consumer. Every pointer is borrowed for the duration of the call. Any
 * callback may be NULL. A non-zero return aborts the read with that code. */
struct sk_scap_meta_ops {
	void *ctx;
	int (*section)(void *ctx);   /* a new section starts: reset what you hold */
	int (*machine)(void *ctx, const struct sk_scap_machine *mi);
	int (*iface)(void *ctx, const struct sk_scap_iface *ifc);
	int (*user)(void *ctx, const struct sk_scap_user *u);
	int (*group)(void *ctx, const struct sk_scap_group *g);
	int (*thread)(void *ctx, const struct sk_scap_thread *t);
	int (*fd)(void *ctx, uint64_t tid, const struct sk_scap_fd *fd);
};

/* ---- reader ----------------------------------------------------------------
 * Event numbering (sk_event.num, 1-based, continuous across sections):
 *  - converted mode (default): counts the events delivered, i.e. what libscap
 *    >= 0.20 hands to Falco. Old enter events the converter STOREs, unused
 *    codes and codes >= SK_EVENT_MAX are not delivered and not counted; enter
 *    events are delivered only for PASS / STORE_AND_PASS rules (open, creat,
 *    openat, openat2, execveat, connect, execve) and for current-layout files
 *    as they are in the file.
 *  - raw mode: counts every event block of a known code, in file order, which
 *    is what sysdig 0.29.3 (`-D`) numbers. Records keep their stored code and
 *    parameters; only V1 headers are upgraded to the V2 layout. */
struct sk_scap_reader;

/* Limits and modes of a reader. Zeroed = defaults. */
struct sk_scap_open_opts {
	bool raw;                    /* no layout conversion (see numbering above) */
	uint32_t max_meta_block;     /* bytes; 0 = 256 MiB */
	uint32_t max_large_event;    /* bytes of an *_LARGE event block; 0 = 64 MiB */
};

/* Counters a reader keeps (for tests, stats and diagnostics). */
struct sk_scap_stats {
	uint64_t blocks;             /* blocks read */
	uint64_t events_read;        /* event blocks read */
	uint64_t events_dropped;     /* not delivered: stored enter, unused, unknown code */
	uint64_t events_converted;   /* delivered after a layout conversion */
	uint64_t unknown_blocks;     /* skipped unknown metadata blocks */
	uint64_t sections;           /* section headers seen */
	uint64_t stored_evicted;     /* per-thread stored enter events evicted (bound hit) */
};

/* Like sk_scap_open with options (NULL = defaults). */
struct sk_scap_reader *sk_scap_open_ex(const char *path, const struct sk_scap_open_opts *opts,
				       const struct sk_scap_meta_ops *ops, struct sk_err *err);
/* Reads a capture held in memory (plain or gzip). `data` is borrowed and must
 * outlive the reader. Used by the fuzz target and tests. */
struct sk_scap_reader *sk_scap_open_mem(const void *data, size_t len,
					const struct sk_scap_open_opts *opts,
					const struct sk_scap_meta_ops *ops, struct sk_err *err);
const struct sk_scap_stats *sk_scap_stats(const struct sk_scap_reader *r);

/* Opens a plain or gzip-compressed capture and reads its metadata blocks up
 * to the first event block, handing them to `ops` (which may be NULL).
 * Returns NULL with err filled (file, byte offset, reason) on failure. */
struct sk_scap_reader *sk_scap_open(const char *path, const struct sk_scap_meta_ops *ops,
				    struct sk_err *err);
/* Reads the next event into ev (a view valid until the next call), converting
 * old layouts to the current one as libscap does. Sets ev->num (1-based),
 * cpuid and dump_flags. Returns 1 for an event, 0 at a clean end of file,
 * or a negative code with err naming the byte offset. */
int sk_scap_next(struct sk_scap_reader *r, struct sk_event *ev, struct sk_err *err) SK_WUR;
/* Offset in the decompressed stream of the block last read. */
uint64_t sk_scap_offset(const struct sk_scap_reader *r);
const struct sk_scap_machine *sk_scap_machine_info(const struct sk_scap_reader *r);
void sk_scap_close(struct sk_scap_reader *r); /* NULL-safe */

/* ---- writer ---------------------------------------------------------------- */
struct sk_scap_writer;

/* Creates a capture in the current layout (SHB 1.2); gzip when `compress`. */
struct sk_scap_writer *sk_scap_writer_open(const char *path, bool compress, struct sk_err *err);
int sk_scap_write_machine(struct sk_scap_writer *w, const struct sk_scap_machine *mi) SK_WUR;
int sk_scap_write_ifaces(struct sk_scap_writer *w, const struct sk_scap_iface *v, size_t n) SK_WUR;
int sk_scap_write_users(struct sk_scap_writer *w, const struct sk_scap_user *u, size_t nu,
			const struct sk_scap_group *g, size_t ng) SK_WUR;
int sk_scap_write_threads(struct sk_scap_writer *w, const struct sk_scap_thread *v, size_t n)
	SK_WUR;
int sk_scap_write_fds(struct sk_scap_writer *w, uint64_t tid, const struct sk_scap_fd *v,
		      size_t n) SK_WUR;
/* Writes one event (EV_V2, EVF_V2 when dump_flags, _LARGE when > 64 KiB). */
int sk_scap_write_event(struct sk_scap_writer *w, const struct sk_event *ev) SK_WUR;
/* Flushes and closes; returns the first write error. NULL-safe. */
int sk_scap_writer_close(struct sk_scap_writer *w);

#endif
