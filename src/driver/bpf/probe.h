/* probe.h — the structs and constants shared by the eBPF probe (probe.bpf.c)
 * and its user-space loader (driver.c). Private to the driver module.
 *
 * The probe is a small interpreter: for each syscall number user space writes
 * a `struct sk_probe_spec` that names the exit event to emit and, for every
 * parameter in event-table order, where its bytes come from (return value,
 * an argument, user memory, the socket behind an fd, the task...). A syscall
 * whose spec has evt == 0 is not wanted and costs one array lookup. */
#ifndef SK_DRIVER_PROBE_H
#define SK_DRIVER_PROBE_H

#define SK_PROBE_NR_MAX 512          /* syscall numbers 0..511 (x86_64 uses < 470) */
#define SK_PROBE_SPEC_PROCEXIT 511   /* pseudo syscall slot of sched_process_exit */
#define SK_PROBE_MAX_PARAMS 32
#define SK_PROBE_REC_MAX 65536       /* a record never exceeds this (u16 param lengths) */
#define SK_PROBE_STR_MAX 4096        /* longest string/path/buffer parameter */
#define SK_PROBE_SAVE_MAX 4096       /* bytes saved at syscall entry */
#define SK_PROBE_HDR_LEN 26

/* Where a parameter's bytes come from (sk_probe_param.kind). `a`/`b` are
 * argument indexes unless said otherwise; `size` is the fixed width of the
 * parameter type (1, 2, 4, 8) or 0 for variable-size ones. */
enum sk_probe_kind {
	SK_PK_EMPTY = 0,   /* length 0 */
	SK_PK_RET,         /* the return value */
	SK_PK_RET_POS,     /* max(ret, 0) */
	SK_PK_ARG,         /* arg[a], translated by xf (enum sk_probe_xf) */
	SK_PK_CONST,       /* constant: xf 0 -> 0, 1 -> PPM vfork flags */
	SK_PK_USTR,        /* NUL-terminated user string at arg[a] */
	SK_PK_SAVED,       /* what the entry probe saved (string or sockaddr) */
	SK_PK_UBUF,        /* user bytes at arg[a], length arg[b] (b = 255: ret), snaplen-capped */
	SK_PK_SOCKADDR,    /* user sockaddr at arg[a], length arg[b] */
	SK_PK_TUPLE,       /* socket tuple of fd arg[a] (a = 255: fd = ret); b > 0: fd arg[0],
	                    * the remote end from the user sockaddr at arg[b - 1] when the
	                    * socket has none, only when the result is >= 0; xf: SK_TUPLE_* */
	SK_PK_FD_DEV,      /* device of the file at fd ret */
	SK_PK_FD_INO,      /* inode of the file at fd ret */
	SK_PK_OPEN_FLAGS,  /* arg[a] as PPM file flags, + O_F_CREATED from the file at fd ret */
	SK_PK_UWORD,       /* u64 number b of the user struct at arg[a], translated by xf */
	SK_PK_UINT,        /* u32/int number b of the user struct at arg[a] */
	SK_PK_PIPE_INO,    /* inode of the fd in int[0] of the user array at arg[a] */
	SK_PK_QUEUE,       /* accept queue of the listening fd arg[0]: xf 0 pct, 1 len, 2 max */
	SK_PK_TASK,        /* a property of the current task: xf = enum sk_probe_task */
	SK_PK_FD_PATH,     /* path of the file at fd ret */
	SK_PK_PRCTL_STR,   /* string at arg[1] when option is PR_SET_NAME/PR_GET_NAME */
	SK_PK_PRCTL_INT,   /* arg[1] otherwise */
	SK_PK_SOCK_PTR,    /* kernel address of the socket of fd int[b] of the user array at arg[a] */
	/* Messages (sendmsg, recvmsg, sendmmsg, recvmmsg): arg[a] is the user
	 * msghdr; with b & SK_MSG_VEC it is an mmsghdr vector and the record is
	 * about entry sk_probe_scratch.mi, whose msg_len is the result. The
	 * socket is always arg[0]. */
	SK_PK_MSG_DATA,    /* iovec bytes: xf 0 sent (snaplen, bounded by a positive result),
	                    * 1 received (result > 0 only, bounded by it) */
	SK_PK_MSG_SIZE,    /* sum of the iov_len of the msghdr */
	SK_PK_MSG_TUPLE,   /* socket tuple of arg[0]; remote end from msg_name when the socket has
	                    * none (unconnected); result >= 0 only; xf 1: inbound */
	SK_PK_MSG_CTL,     /* msg_control bytes (result >= 0 only) */
	SK_PK_MMSG_LEN,    /* mmsghdr entry: xf 0 res (msg_len, or the error), 1 size (msg_len or 0) */
	SK_PK_SOCKOPT,     /* getsockopt level (xf 0) / optname (xf 1) as PPM values */
	SK_PK_SOCKOPT_VAL, /* getsockopt optval as a DYN value (type from level/optname) */
	SK_PK_PTRACE_DYN,  /* ptrace addr (xf 0) / data (xf 1) as a DYN value (type from request) */
	SK_PK_MAX
};

#define SK_MSG_VEC 1       /* sk_probe_param.b of SK_PK_MSG_*: arg[a] is an mmsghdr vector */
#define SK_PROBE_MMSG_MAX 16 /* records sent for one sendmmsg/recvmmsg (its first messages) */

/* Value translations (kernel value -> PPM value). */
enum sk_probe_xf {
	SK_XF_NONE = 0,
	SK_XF_OPEN,        /* O_* -> PPM_O_* */
	SK_XF_CLONE,       /* CLONE_* -> PPM_CL_* */
	SK_XF_FCNTL,       /* F_* -> PPM_FCNTL_* */
	SK_XF_SOCK_TYPE,   /* SOCK_NONBLOCK/SOCK_CLOEXEC bits of a socket type -> PPM_O_* */
	SK_XF_MOUNT,       /* strips the MS_MGC_VAL magic */
	SK_XF_PTRACE,      /* PTRACE_* -> PPM_PTRACE_* */
	SK_XF_RESOLVE,     /* RESOLVE_* -> PPM_RESOLVE_* */
	SK_XF_S32,         /* sign-extends a 32-bit int argument (fds, pids) */
};

/* Task properties for SK_PK_TASK (the event table's clone/execve params). */
enum sk_probe_task {
	SK_TF_EXE = 0, SK_TF_ARGS, SK_TF_TID, SK_TF_PID, SK_TF_PTID, SK_TF_CWD, SK_TF_FDLIMIT,
	SK_TF_PGMAJ, SK_TF_PGMIN, SK_TF_VMSIZE, SK_TF_VMRSS, SK_TF_VMSWAP, SK_TF_COMM,
	SK_TF_CGROUPS, SK_TF_ENV, SK_TF_TTY, SK_TF_VPGID, SK_TF_LOGINUID, SK_TF_EXE_FLAGS,
	SK_TF_CAP_INH, SK_TF_CAP_PRM, SK_TF_CAP_EFF, SK_TF_EXE_INO, SK_TF_EXE_CTIME,
	SK_TF_EXE_MTIME, SK_TF_EUID, SK_TF_EGID, SK_TF_EXEPATH, SK_TF_PGID, SK_TF_VTID,
	SK_TF_VPID, SK_TF_PIDNS_TS, SK_TF_EXIT_STATUS, SK_TF_EXIT_RET, SK_TF_EXIT_SIG,
	SK_TF_EXIT_CORE, SK_TF_REAPER,
	SK_TF_MAX
};

/* What is kept for the exit event (sk_probe_spec.save): SK_SAVE_STR is the
 * path a successful exec resolved, taken at sched_process_exec. Everything
 * else (open paths, connect addresses) is read at syscall exit, as Falco's
 * modern probe does: a racing thread could change the user memory between
 * the kernel's read and ours, the price of not probing every syscall entry. */
enum sk_probe_save { SK_SAVE_NONE = 0, SK_SAVE_STR };

/* Drop categories, as Falco reports ring-buffer drops. */
enum sk_probe_drop_cat {
	SK_DROP_OTHER = 0, SK_DROP_CLONE_FORK, SK_DROP_EXECVE, SK_DROP_CONNECT, SK_DROP_OPEN,
	SK_DROP_DIR_FILE, SK_DROP_CLOSE, SK_DROP_PROC, SK_DROP_CAT_MAX
};

/* sk_probe_param.xf of an SK_PK_TUPLE with a user sockaddr (b > 0). */
#define SK_TUPLE_INBOUND 1   /* the remote end first (recvfrom) */
#define SK_TUPLE_CONNECT 2   /* only when the result is 0 or -EINPROGRESS (connect) */

struct sk_probe_param {
	unsigned char kind, a, b, xf, size, pad[3];
};

/* sk_probe_spec.kf: SK_SPEC_KF_PRED: kf_preds[nr] filters this syscall;
 * SK_SPEC_KF_NEWFD: the result is a new fd, SK_SPEC_KF_NEWFD2: the int[2] at
 * argument (kf >> 4) holds two new fds (pipe, socketpair): when the event is
 * sent, the probe forgets any dropped open it remembered for those fds. */
#define SK_SPEC_KF_PRED 1
#define SK_SPEC_KF_NEWFD 2
#define SK_SPEC_KF_NEWFD2 4

struct sk_probe_spec {
	unsigned short evt;          /* exit event code; 0 = syscall not wanted */
	unsigned char nparams;
	unsigned char save, save_a, save_b; /* entry save: kind, arg, length arg */
	unsigned char drop_cat;
	unsigned char kf;            /* SK_SPEC_KF_* bits (kernel filters, kfilter.h) */
	struct sk_probe_param p[SK_PROBE_MAX_PARAMS];
};

/* Per-CPU counters; user space sums them over CPUs. */
struct sk_probe_stats {
	unsigned long long n_evts;        /* syscall exits and tracepoint hits seen */
	unsigned long long n_sent;        /* records written to a ring */
	unsigned long long n_drops_buffer;/* ring full */
	unsigned long long n_drops_cat[SK_DROP_CAT_MAX];
	unsigned long long n_drops_size;  /* record larger than SK_PROBE_REC_MAX */
	unsigned long long n_faults;      /* user/kernel memory that could not be read */
	unsigned long long n_errors;      /* internal errors (missing scratch, bad spec) */
};

/* Per-thread data kept between sched_process_exec and the exec's exit. */
struct sk_probe_saved {
	unsigned long long nr;            /* syscall number it belongs to */
	unsigned int len;                 /* bytes in data (string incl. NUL) */
	unsigned int pad;
	unsigned char data[SK_PROBE_SAVE_MAX];
};

/* Per-CPU scratch: the record being built and temporary areas. The record
 * area is twice the record bound so that a write at any offset below the
 * bound, of any parameter size, stays inside the value (verifier-friendly). */
struct sk_probe_scratch {
	unsigned long long args[6];
	long long ret;
	unsigned int off;                 /* bytes of the record written so far */
	unsigned int nparams;
	unsigned long long nr;
	unsigned int pos;                 /* write position in tmp (kept in the map so the
	                                   * verifier does not track it per iteration) */
	unsigned int fc_valid;            /* fc_fd/fc_file hold this event's last fd lookup */
	long long fc_fd;
	unsigned long long fc_file;       /* struct file * of fc_fd (0: none) */
	unsigned int mi;                  /* mmsghdr entry of the record being built */
	unsigned int iov_got;             /* bytes of iovec data copied so far (see mi) */
	unsigned char rec[2 * SK_PROBE_REC_MAX];
	unsigned char tmp[2 * SK_PROBE_STR_MAX]; /* path assembly, sockaddr staging */
};

_Static_assert(sizeof(struct sk_probe_param) == 8, "sk_probe_param layout");
_Static_assert(sizeof(struct sk_probe_spec) == 8 + 8 * SK_PROBE_MAX_PARAMS, "sk_probe_spec layout");
_Static_assert(sizeof(struct sk_probe_stats) == 8 * (6 + SK_DROP_CAT_MAX), "sk_probe_stats layout");
_Static_assert(sizeof(struct sk_probe_saved) == 16 + SK_PROBE_SAVE_MAX, "sk_probe_saved layout");

#endif
