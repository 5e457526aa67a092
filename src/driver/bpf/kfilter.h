/* kfilter.h — the kernel filter's predicate layout, shared by the probe and
 * user space. Part of the driver's face (driver.h includes it).
 *
 * A predicate belongs to one syscall and says which of its exit events may
 * matter to the loaded rules: an OR of up to SK_KF_TERMS terms, each an AND
 * of cheap atoms (result sign, open flags) and path atoms (the raw path is
 * one of a set of exact names, under one of a set of directory prefixes, has
 * one of a set of file names, or contains "../"). It over-approximates: an
 * event none of whose terms holds can be matched by no enabled rule. Path
 * atoms hold for any path that is not "clean" (absolute, no "//", no "."
 * or ".." component, no trailing "/", shorter than SK_KF_PATH_MAX), because
 * only for a clean path is the raw argument the fd.name user space computes.
 *
 * A send/recv predicate (SK_KF_MODE_STREAM) has no terms: no enabled rule
 * can match the type on a connected TCP socket, and for such a socket the
 * event changes nothing user space keeps.
 *
 * The evaluation itself is in kfilter_eval.h. Types are plain C so that the
 * file builds both with the kernel's vmlinux.h and with libc. */
#ifndef SK_DRIVER_BPF_KFILTER_H
#define SK_DRIVER_BPF_KFILTER_H

#define SK_KF_TERMS 8           /* terms per predicate */
#define SK_KF_PATH_MAX 256      /* bytes of the path looked at (power of two) */
#define SK_KF_DEPTH_MAX 16      /* prefix depths ('/' count) that can be looked up */

/* Path set kinds (the key of a path entry). */
enum sk_kf_kind { SK_KF_EXACT = 1, SK_KF_PREFIX = 2, SK_KF_BASENAME = 3 };

/* Result constraint of a term. */
enum sk_kf_res { SK_KF_RES_ANY = 0, SK_KF_RES_OK = 1, SK_KF_RES_FAIL = 2 };

/* Where the probe finds the flags and path of a syscall (sk_kf_pred.flags_src). */
enum sk_kf_src { SK_KF_FLAGS_ARG = 0, SK_KF_FLAGS_USER = 1 /* u64 at arg: open_how */ };

struct sk_kf_term {
	unsigned char res;            /* enum sk_kf_res */
	unsigned char dotdot;         /* 1: the raw path contains "../" */
	unsigned char path;           /* 1: the path is in this term's path set */
	unsigned char pad;
	unsigned int flags_any[2];    /* each non-zero mask: (flags & mask) != 0 */
	unsigned int flags_none;      /* (flags & mask) == 0 */
};

/* How a slot is filtered (sk_kf_pred.mode). */
enum sk_kf_mode {
	SK_KF_MODE_TERMS = 0,         /* an open: sent when a term holds (or a directory) */
	SK_KF_MODE_CLOSE = 1,         /* a close: dropped when the probe dropped the open of
	                               * that fd in this thread and exec (see kf_fds) */
	SK_KF_MODE_STREAM = 2,        /* a send/recv: dropped when its fd is a TCP socket past
	                               * the handshake (established or closing), whose tuple
	                               * user space has from the connect or accept it was sent */
};

/* Per syscall slot. on == 0: every event is sent (no filter). */
struct sk_kf_pred {
	unsigned char on;
	unsigned char nterms;
	unsigned char path_arg;       /* argument holding the path */
	unsigned char flags_arg;      /* argument holding the flags (or the open_how) */
	unsigned char flags_src;      /* enum sk_kf_src */
	unsigned char mode;           /* enum sk_kf_mode */
	unsigned char created;        /* some term looks at O_F_CREATED (set by the loader):
	                               * the probe then reads the file's mode first */
	unsigned char kinds;          /* bit k: the slot has path entries of kind k (only
	                               * those kinds are hashed and looked up) */
	unsigned int depths;          /* bit d: some prefix has d '/' (look up at the d-th '/') */
	unsigned int pad2;
	struct sk_kf_term t[SK_KF_TERMS];
};

/* Per-CPU counters of one syscall slot. */
struct sk_kf_count {
	unsigned long long passed, filtered;
};

/* What the probe remembers of the opens a thread had dropped (task storage
 * kf_fds): one bit per fd below SK_KF_FD_MAX, valid for the exec and the
 * filter load (epoch) it was set in; fds closed by an exec or left from an
 * earlier filter never match a later close. */
#define SK_KF_FD_MAX 1024
struct sk_kf_fdset {
	unsigned long long exec_id;   /* task self_exec_id when the bits were set */
	unsigned long long epoch;     /* kf_epoch when the bits were set */
	unsigned long long bits[SK_KF_FD_MAX / 64];
};

/* Key of a path entry in the probe's hash map. */
struct sk_kf_key {
	unsigned int nr;              /* syscall slot */
	unsigned int kind;            /* enum sk_kf_kind */
	unsigned long long hash;      /* sk_kf_hash of the bytes */
};

/* A bit per hash of the path entries of every slot and kind (the probe's
 * .bss kf_bloom): the probe looks a hash up in the map only when its bit is
 * set, so a path in no set (nearly every path) costs no map lookup. */
#define SK_KF_BLOOM_BITS 65536
#define SK_KF_BLOOM_BIT(kind, hash) \
	((unsigned int)(((hash) ^ ((unsigned long long)(kind) << 61)) >> 48))

_Static_assert(sizeof(struct sk_kf_term) == 16, "sk_kf_term layout");
_Static_assert(sizeof(struct sk_kf_pred) == 16 + 16 * SK_KF_TERMS, "sk_kf_pred layout");
_Static_assert(sizeof(struct sk_kf_key) == 16, "sk_kf_key layout");

#define SK_KF_O_F_CREATED 16384u /* PPM_O_F_CREATED: from the file, not the arguments */
/* sk_kf_hash (a word at a time, kfilter_eval.h: kf_mix, kf_fin). */
#define SK_KF_HASH_SEED 0x243f6a8885a308d3ULL
#define SK_KF_HASH_MUL 0x9e3779b97f4a7c15ULL
#define SK_KF_HASH_MUL2 0xbf58476d1ce4e5b9ULL

#endif
