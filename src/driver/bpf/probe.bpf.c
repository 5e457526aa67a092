// SPDX-License-Identifier: GPL-2.0 OR MIT
/* probe.bpf.c — saker's CO-RE eBPF probe: emits one scap-layout exit event
 * per wanted syscall (and procexit), built by a small parameter interpreter
 * driven by per-syscall specs that user space writes (see probe.h).
 *
 * Layers: the tracepoint programs pick the spec and start a record in the
 * per-CPU scratch; probe__fill() produces one parameter (global function,
 * verified once); helpers below it extract kernel/user data; probe__submit
 * copies the finished record into this CPU's ring without a wake-up. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.h"
#include "kfilter.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFDIR 0040000
#define FMODE_CREATED 0x100000
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define REC_MASK (SK_PROBE_REC_MAX - 1)
#define STR_MASK (SK_PROBE_STR_MAX - 1)
#define PATH_DEPTH 40
#define CGROUP_DEPTH 16
#define ARG_RET 255
/* Keeps a masked value in a register so the verifier sees the mask. */
#define sk_barrier(v) asm volatile("" : "+r"(v))

/* Set by the loader between open and load. */
const volatile __u64 boot_ts = 0;          /* ns since epoch at boot */
const volatile __u32 cpus_per_ring = 1;
const volatile __u32 snaplen = 80;
/* saker's own process (tgid), whose threads send nothing: its /proc scan,
 * its outputs and its reads of its own files must never look like activity
 * on the machine. 0 = filter nothing (the probe's unit tests watch
 * themselves). Children it forks have their own tgid and are not filtered. */
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SK_PROBE_NR_MAX);
	__type(key, __u32);
	__type(value, struct sk_probe_spec);
} specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct sk_probe_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sk_probe_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sk_probe_saved);
} saved_tmp SEC(".maps");

/* The path a successful execve resolved, by thread id, from
 * sched_process_exec until that execve's exit. Only exec uses it, so it is
 * not preallocated (no 4 KiB values reserved per possible thread). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct sk_probe_saved);
} saved SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* resized to the number of rings */
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, 4096 * 16); /* resized to the ring size */
	});
} rings SEC(".maps");

/* Kernel filters (kfilter.h): the predicate of each syscall slot, the path
 * entries its terms look up, and per-slot counters of what passed and what
 * was filtered. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SK_PROBE_NR_MAX);
	__type(key, __u32);
	__type(value, struct sk_kf_pred);
} kf_preds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sk_kf_key);
	__type(value, __u32);
} kf_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SK_PROBE_NR_MAX);
	__type(key, __u32);
	__type(value, struct sk_kf_count);
} kf_counts SEC(".maps");

/* The opens each thread had dropped while close filtering is on (a bit per
 * fd, kfilter.h): their close is dropped too, as user space never knew those
 * fds. Task storage: found from the task in a few ns, gone with it. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_kf_fdset);
} kf_fds SEC(".maps");

/* Set by user space (skeleton .bss): kf_track is 1 while a close predicate
 * is loaded; kf_epoch changes at every filter load (older bits are void). */
volatile __u32 kf_track = 0;
volatile __u64 kf_epoch = 0;
/* The path entries' hashes as bits (kfilter.h, SK_KF_BLOOM_BIT), set by user
 * space while no predicate is on. */
volatile __u64 kf_bloom[SK_KF_BLOOM_BITS / 64];

/* overlayfs' private inode (fs/overlayfs/ovl_entry.h): only the two members
 * read, relocated by CO-RE against the running kernel's layout (or the
 * overlay module's BTF); code using it is skipped where the type is absent. */
struct ovl_inode___sk {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
} __attribute__((preserve_access_index));
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Renamed in 6.15; older kernels have `parent`. */
struct kernfs_node___old {
	struct kernfs_node *parent;
};

static __always_inline struct sk_probe_scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline struct sk_probe_stats *stats_get(void)
{
	__u32 z = 0;
	return bpf_map_lookup_elem(&stats, &z);
}

static __always_inline void count_fault(void)
{
	struct sk_probe_stats *st = stats_get();
	if (st)
		st->n_faults++;
}

static __always_inline struct task_struct *cur(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* The file at fd in the current task, or NULL. The task, its files and fd
 * table are read through BTF pointers (plain loads; kernels before 5.11:
 * kernel reads), the slot with one kernel read (five reads were a third of
 * a dropped open's cost); several
 * parameters of one event (open flags, dev, ino; tuple and queue) ask for
 * the same fd, so the last answer is kept for the event. */
static __always_inline struct file *fd_file(long fd)
{
	struct file *f = NULL;
	if (fd < 0)
		return NULL;
	struct sk_probe_scratch *s = scratch_get();
	if (s && s->fc_valid && s->fc_fd == fd)
		return (struct file *)s->fc_file;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct files_struct *files = bpf_get_current_task_btf()->files;
		struct fdtable *fdt = files ? files->fdt : NULL;
		if (fdt && (unsigned long)fd < fdt->max_fds) {
			struct file **arr = fdt->fd;
			bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
		}
	} else { /* before 5.11 */
		struct fdtable *fdt = BPF_CORE_READ(cur(), files, fdt);
		if (fdt && (unsigned long)fd < BPF_CORE_READ(fdt, max_fds)) {
			struct file **arr = BPF_CORE_READ(fdt, fd);
			bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
		}
	}
	if (s) {
		s->fc_fd = fd;
		s->fc_file = (__u64)f;
		s->fc_valid = 1;
	}
	return f;
}

static __always_inline struct sock *fd_sock(long fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *so = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

/* args[i] for i < 6, else 0 (a switch keeps the verifier's bounds exact). */
static __always_inline __u64 arg_at(const __u64 *args, __u32 i)
{
	switch (i) {
	case 0: return args[0];
	case 1: return args[1];
	case 2: return args[2];
	case 3: return args[3];
	case 4: return args[4];
	case 5: return args[5];
	}
	return 0;
}

/* ---- value translations (kernel -> PPM) --------------------------------- */

static __always_inline __u32 xf_open(__u64 f)
{
	__u32 r = 0;
	switch (f & 3) {
	case 0: r |= 1; break;      /* O_RDONLY */
	case 1: r |= 2; break;      /* O_WRONLY */
	case 2: r |= 3; break;      /* O_RDWR */
	}
	if (f & 0100) r |= 4;           /* O_CREAT */
	if (f & 02000) r |= 8;          /* O_APPEND */
	if (f & 010000) r |= 16;        /* O_DSYNC */
	if (f & 0200) r |= 32;          /* O_EXCL */
	if (f & 04000) r |= 64;         /* O_NONBLOCK */
	if (f & 04000000) r |= 128;     /* __O_SYNC */
	if (f & 01000) r |= 256;        /* O_TRUNC */
	if (f & 040000) r |= 512;       /* O_DIRECT */
	if (f & 0200000) r |= 1024;     /* O_DIRECTORY */
	if (f & 0100000) r |= 2048;     /* O_LARGEFILE */
	if (f & 02000000) r |= 4096;    /* O_CLOEXEC */
	if (f & 020000000) r |= 8192;   /* __O_TMPFILE */
	return r;
}

static __always_inline __u32 xf_clone(__u64 f)
{
	__u32 r = 0;
	if (f & 0x400) r |= 1;             /* CLONE_FILES */
	if (f & 0x200) r |= 2;             /* CLONE_FS */
	if (f & 0x80000000ULL) r |= 4;     /* CLONE_IO */
	if (f & 0x08000000) r |= 8;        /* CLONE_NEWIPC */
	if (f & 0x40000000) r |= 16;       /* CLONE_NEWNET */
	if (f & 0x20000) r |= 32;          /* CLONE_NEWNS */
	if (f & 0x20000000) r |= 64;       /* CLONE_NEWPID */
	if (f & 0x04000000) r |= 128;      /* CLONE_NEWUTS */
	if (f & 0x8000) r |= 256;          /* CLONE_PARENT */
	if (f & 0x100000) r |= 512;        /* CLONE_PARENT_SETTID */
	if (f & 0x2000) r |= 1024;         /* CLONE_PTRACE */
	if (f & 0x800) r |= 2048;          /* CLONE_SIGHAND */
	if (f & 0x40000) r |= 4096;        /* CLONE_SYSVSEM */
	if (f & 0x10000) r |= 8192;        /* CLONE_THREAD */
	if (f & 0x800000) r |= 16384;      /* CLONE_UNTRACED */
	if (f & 0x100) r |= 32768;         /* CLONE_VM */
	if (f & 0x10000000) r |= 1 << 20;  /* CLONE_NEWUSER */
	if (f & 0x200000) r |= 1 << 23;    /* CLONE_CHILD_CLEARTID */
	if (f & 0x01000000) r |= 1 << 24;  /* CLONE_CHILD_SETTID */
	if (f & 0x80000) r |= 1 << 25;     /* CLONE_SETTLS */
	if (f & 0x4000) r |= 1 << 27;      /* CLONE_VFORK */
	if (f & 0x02000000) r |= 1 << 28;  /* CLONE_NEWCGROUP */
	return r;
}

static __always_inline __u32 xf_fcntl(__u64 c)
{
	switch (c) {
	case 0: return 1;     case 1: return 2;     case 2: return 3;     case 3: return 4;
	case 4: return 5;     case 5: return 6;     case 6: return 8;     case 7: return 9;
	case 8: return 10;    case 9: return 12;    case 10: return 13;   case 11: return 15;
	case 15: return 21;   case 16: return 22;   case 1024: return 23; case 1025: return 24;
	case 1026: return 27; case 1029: return 25; case 1030: return 26; case 1031: return 28;
	case 1032: return 29; case 36: return 30;   case 37: return 31;   case 38: return 32;
	}
	return 0;
}

static __always_inline __u32 xf_ptrace(__u64 r)
{
	if (r <= 9)
		return r + 1;
	if (r >= 0x4200 && r <= 0x420b)
		return 14 + (r - 0x4200);
	switch (r) {
	case 12: return 26; case 13: return 27; case 14: return 28; case 15: return 29;
	case 16: return 11; case 17: return 12; case 18: return 30; case 19: return 31;
	case 21: return 32; case 24: return 13; case 25: return 33; case 26: return 34;
	case 30: return 35; case 31: return 36; case 32: return 37; case 33: return 38;
	}
	return 0;
}

static __always_inline __u32 xf_resolve(__u64 f)
{
	__u32 r = 0;
	if (f & 0x01) r |= 16;  /* RESOLVE_NO_XDEV */
	if (f & 0x02) r |= 4;   /* RESOLVE_NO_MAGICLINKS */
	if (f & 0x04) r |= 8;   /* RESOLVE_NO_SYMLINKS */
	if (f & 0x08) r |= 1;   /* RESOLVE_BENEATH */
	if (f & 0x10) r |= 2;   /* RESOLVE_IN_ROOT */
	if (f & 0x20) r |= 32;  /* RESOLVE_CACHED */
	return r;
}

static __always_inline __u64 xf_apply(__u8 xf, __u64 v)
{
	switch (xf) {
	case SK_XF_OPEN: return xf_open(v);
	case SK_XF_CLONE: return xf_clone(v);
	case SK_XF_FCNTL: return xf_fcntl(v);
	case SK_XF_SOCK_TYPE:
		return ((v & 04000) ? 64 : 0) | ((v & 02000000) ? 4096 : 0);
	case SK_XF_MOUNT:
		if ((v & 0xffff0000) == 0xc0ed0000)
			v &= 0xffff;
		return v;
	case SK_XF_PTRACE: return xf_ptrace(v);
	case SK_XF_RESOLVE: return xf_resolve(v);
	case SK_XF_S32: return (__u64)(__s64)(__s32)v;
	}
	return v;
}

/* ---- extractors writing variable-size data at rec[off] ------------------ */

/* Converts the raw sockaddr staged in s->tmp (rawlen bytes) to the scap
 * SOCKADDR encoding at rec[off]; returns its length. */
static __always_inline long put_sockaddr(struct sk_probe_scratch *s, __u32 off, __u32 rawlen)
{
	__u8 *dst = &s->rec[off & REC_MASK];
	if (rawlen < 2)
		return 0;
	__u16 fam = *(__u16 *)&s->tmp[0];
	switch (fam) {
	case AF_INET:
		dst[0] = AF_INET;
		__builtin_memcpy(dst + 1, &s->tmp[4], 4);
		*(__u16 *)(dst + 5) = bpf_ntohs(*(__u16 *)&s->tmp[2]);
		return 7;
	case AF_INET6:
		dst[0] = AF_INET6;
		__builtin_memcpy(dst + 1, &s->tmp[8], 16);
		*(__u16 *)(dst + 17) = bpf_ntohs(*(__u16 *)&s->tmp[2]);
		return 19;
	case AF_UNIX: {
		dst[0] = AF_UNIX;
		__u32 start = s->tmp[2] == 0 ? 3 : 2; /* abstract: drop the leading NUL */
		if (rawlen <= start) {
			dst[1] = 0;
			return 2;
		}
		s->tmp[127] = 0;
		long n = bpf_probe_read_kernel_str(dst + 1, 108, &s->tmp[start & 3]);
		return n > 0 ? 1 + n : 1;
	}
	default:
		dst[0] = fam & 0xff;
		return 1;
	}
}

/* Reads a user sockaddr into s->tmp and converts it. */
static __always_inline long user_sockaddr(struct sk_probe_scratch *s, __u32 off, __u64 uptr,
					  __u64 ulen)
{
	if (!uptr || ulen < 2)
		return 0;
	if (ulen > 128)
		ulen = 128;
	if (bpf_probe_read_user(s->tmp, ulen & 0xff, (void *)uptr) < 0) {
		count_fault();
		return 0;
	}
	return put_sockaddr(s, off, ulen);
}

/* The path of (dentry, vfsmount) as a NUL-terminated string at rec[off]. */
__noinline int probe__path(__u64 dentry, __u64 vfsmnt, __u32 off)
{
	struct sk_probe_scratch *s = scratch_get();
	if (!s || !dentry || !vfsmnt)
		return 0;
	struct dentry *d = (struct dentry *)dentry;
	__u64 moff = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (struct mount *)(vfsmnt - moff);
	s->pos = SK_PROBE_STR_MAX - 1;
	s->tmp[SK_PROBE_STR_MAX - 1] = 0;
	for (int i = 0; i < PATH_DEPTH; i++) {
		struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
		if (d == root) {
			struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
			if (!parent || parent == mnt)
				break;
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = parent;
			continue;
		}
		struct dentry *par = BPF_CORE_READ(d, d_parent);
		if (!par || par == d)
			break;
		__u32 len = BPF_CORE_READ(d, d_name.len) & 255;
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		__u32 pos = s->pos; /* unknown to the verifier: states stay prunable */
		if (len + 2 > pos || pos >= SK_PROBE_STR_MAX)
			break;
		pos -= len;
		bpf_probe_read_kernel(&s->tmp[pos & STR_MASK], len, name);
		pos -= 1;
		s->tmp[pos & STR_MASK] = '/';
		s->pos = pos;
		d = par;
	}
	__u32 pos = s->pos & STR_MASK;
	if (pos == SK_PROBE_STR_MAX - 1) {
		pos -= 1;
		s->tmp[pos] = '/';
	}
	__u32 n = SK_PROBE_STR_MAX - pos;
	bpf_probe_read_kernel(&s->rec[off & REC_MASK], n & (2 * SK_PROBE_STR_MAX - 1),
			      &s->tmp[pos & STR_MASK]);
	return n;
}

static __always_inline long put_file_path(__u32 off, struct file *f)
{
	if (!f)
		return 0;
	return probe__path((__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt),
			   off);
}

/* One "subsys=path\0" entry of the cgroups list for subsystem id `i`. */
__noinline int probe__cgroup(__u32 i, __u32 off)
{
	struct sk_probe_scratch *s = scratch_get();
	if (!s || i >= CGROUP_SUBSYS_COUNT)
		return 0;
	struct css_set *cs = BPF_CORE_READ(cur(), cgroups);
	struct cgroup_subsys_state *css = NULL;
	bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[i]);
	if (!css)
		return 0;
	const char *ssname = BPF_CORE_READ(css, ss, name);
	struct kernfs_node *kn = BPF_CORE_READ(css, cgroup, kn);
	/* build the path backwards in tmp[0..STR_MAX), staging names above it */
	s->pos = SK_PROBE_STR_MAX - 1;
	s->tmp[SK_PROBE_STR_MAX - 1] = 0;
	for (int d = 0; d < CGROUP_DEPTH && kn; d++) {
		struct kernfs_node *par;
		if (bpf_core_field_exists(kn->__parent))
			par = BPF_CORE_READ(kn, __parent);
		else
			par = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
		if (!par)
			break;
		const char *name = BPF_CORE_READ(kn, name);
		long n = bpf_probe_read_kernel_str(&s->tmp[SK_PROBE_STR_MAX], 256, name);
		if (n <= 1)
			break;
		__u32 len = (n - 1) & 255;
		__u32 pos = s->pos;
		if (len + 2 > pos || pos >= SK_PROBE_STR_MAX)
			break;
		pos -= len;
		bpf_probe_read_kernel(&s->tmp[pos & STR_MASK], len, &s->tmp[SK_PROBE_STR_MAX]);
		pos -= 1;
		s->tmp[pos & STR_MASK] = '/';
		s->pos = pos;
		kn = par;
	}
	__u32 pos = s->pos & STR_MASK;
	if (pos == SK_PROBE_STR_MAX - 1) {
		pos -= 1;
		s->tmp[pos] = '/';
	}
	long nl = bpf_probe_read_kernel_str(&s->rec[off & REC_MASK], 64, ssname);
	if (nl <= 1)
		return 0;
	__u32 o = off + nl - 1;
	s->rec[o & REC_MASK] = '=';
	o++;
	__u32 plen = SK_PROBE_STR_MAX - pos;
	bpf_probe_read_kernel(&s->rec[o & REC_MASK], plen & (2 * SK_PROBE_STR_MAX - 1),
			      &s->tmp[pos & STR_MASK]);
	return nl + plen;
}

/* The socket tuple of fd at rec[off]. `inbound` swaps the ends so that the
 * source is always the client (accept). */
__noinline int probe__tuple(long fd, __u32 off, __u32 inbound)
{
	struct sk_probe_scratch *s = scratch_get();
	if (!s)
		return 0;
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return 0;
	__u8 *dst = &s->rec[off & REC_MASK];
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (fam == AF_INET) {
		__u32 lip = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		dst[0] = AF_INET;
		if (inbound) {
			*(__u32 *)(dst + 1) = rip; *(__u16 *)(dst + 5) = rport;
			*(__u32 *)(dst + 7) = lip; *(__u16 *)(dst + 11) = lport;
		} else {
			*(__u32 *)(dst + 1) = lip; *(__u16 *)(dst + 5) = lport;
			*(__u32 *)(dst + 7) = rip; *(__u16 *)(dst + 11) = rport;
		}
		return 13;
	}
	if (fam == AF_INET6) {
		dst[0] = AF_INET6;
		__u32 a = inbound ? 19 : 1, b = inbound ? 1 : 19;
		/* typed destinations: BPF_CORE_READ_INTO copies sizeof(*dst) bytes */
		BPF_CORE_READ_INTO((struct in6_addr *)(dst + a), sk, __sk_common.skc_v6_rcv_saddr);
		*(__u16 *)(dst + a + 16) = lport;
		BPF_CORE_READ_INTO((struct in6_addr *)(dst + b), sk, __sk_common.skc_v6_daddr);
		*(__u16 *)(dst + b + 16) = rport;
		return 37;
	}
	if (fam == AF_UNIX) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		dst[0] = AF_UNIX;
		*(__u64 *)(dst + 1) = (__u64)sk;
		*(__u64 *)(dst + 9) = (__u64)peer;
		struct unix_address *ua = BPF_CORE_READ(us, addr);
		if (peer) {
			struct unix_address *pa = BPF_CORE_READ((struct unix_sock *)peer, addr);
			if (pa)
				ua = pa;
		}
		dst[17] = 0;
		if (!ua)
			return 18;
		char *path = (char *)&ua->name[0].sun_path;
		char c0 = 0;
		bpf_probe_read_kernel(&c0, 1, path);
		long n = bpf_probe_read_kernel_str(dst + 17, 108, c0 ? path : path + 1);
		return n > 0 ? 17 + n : 18;
	}
	return 0;
}

/* Current task's namespaced id of a pid struct (its deepest level). */
static __always_inline __s64 pid_vnr(struct pid *p)
{
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), &p->numbers[level & 31].nr);
	return nr;
}

static __always_inline __s64 pid_nr(struct pid *p)
{
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* The overlayfs layer of an executable: EXE_UPPER_LAYER (2) when its
 * overlay inode has an upper dentry (written in the container: the whole
 * file is copied up on the first write), EXE_LOWER_LAYER (8) when it has
 * none (from the image), 0 when not on overlayfs. */
static __always_inline __u32 exe_layer(struct file *exe)
{
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	if (!ino || BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	if (!bpf_core_type_exists(struct ovl_inode___sk))
		return 0;
	struct ovl_inode___sk *oi =
		(void *)((char *)ino - bpf_core_field_offset(struct ovl_inode___sk, vfs_inode));
	struct dentry *up = BPF_CORE_READ(oi, __upperdentry);
	return up && BPF_CORE_READ(up, d_inode) ? 2 : 8;
}

/* ---- procexit: who inherits the children --------------------------------- */

#define PF_EXITING 0x00000004
#define REAPER_THREADS 32  /* threads of a group looked at */
#define REAPER_DEPTH 64    /* ancestors looked at */

/* The tid of a thread of task's group that is not exiting: 0 when there is
 * none, -1 when the group has more threads than are looked at. */
__noinline int probe__alive_thread(__u64 task)
{
	struct task_struct *t = (struct task_struct *)task;
	if (!t)
		return 0;
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (!sig)
		return 0;
	struct list_head *head = &sig->thread_head;
	struct list_head *pos = BPF_CORE_READ(sig, thread_head.next);
	__u64 node = bpf_core_field_offset(struct task_struct, thread_node);
	for (int i = 0; i < REAPER_THREADS; i++) {
		if (!pos || pos == head)
			return 0;
		struct task_struct *th = (struct task_struct *)((char *)pos - node);
		if (!(BPF_CORE_READ(th, flags) & PF_EXITING))
			return BPF_CORE_READ(th, pid);
		pos = BPF_CORE_READ(th, thread_node.next);
	}
	return -1;
}

/* The tid of the task the exiting current task's children go to, as the
 * kernel's reparenting picks it: another live thread of the group, else the
 * nearest child-subreaper ancestor in the same pid namespace (one of its live
 * threads), else the namespace's init; 0 when there are no children or init
 * itself is going, -1 when the walk was cut short (user space decides). */
__noinline int probe__reaper(void)
{
	struct task_struct *t = cur();
	struct list_head *kids = &t->children;
	if (BPF_CORE_READ(t, children.next) == kids)
		return 0;
	int r = probe__alive_thread((__u64)t);
	if (r != 0)
		return r;
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	struct pid_namespace *ns = NULL;
	bpf_probe_read_kernel(&ns, sizeof(ns), &p->numbers[level & 31].ns);
	struct task_struct *init = BPF_CORE_READ(ns, child_reaper);
	if (!init || init == t)
		return 0;
	int init_tid = BPF_CORE_READ(init, pid);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (!BPF_CORE_READ_BITFIELD_PROBED(sig, has_child_subreaper))
		return init_tid;
	struct task_struct *a = BPF_CORE_READ(t, real_parent);
	for (int i = 0; i < REAPER_DEPTH; i++) {
		if (!a || a == init || BPF_CORE_READ(a, thread_pid, level) != level)
			return init_tid;
		sig = BPF_CORE_READ(a, signal);
		if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper)) {
			r = probe__alive_thread((__u64)a);
			if (r != 0)
				return r;
		}
		a = BPF_CORE_READ(a, real_parent);
	}
	return -1;
}

/* A fixed-size property of the current task. */
static __always_inline __u64 task_int(__u8 field)
{
	struct task_struct *t = cur();
	switch (field) {
	case SK_TF_TID: return BPF_CORE_READ(t, pid);
	case SK_TF_PID: return BPF_CORE_READ(t, tgid);
	case SK_TF_PTID: return BPF_CORE_READ(t, real_parent, pid);
	case SK_TF_FDLIMIT: return BPF_CORE_READ(t, signal, rlim[7].rlim_cur); /* RLIMIT_NOFILE */
	case SK_TF_PGMAJ: return BPF_CORE_READ(t, maj_flt);
	case SK_TF_PGMIN: return BPF_CORE_READ(t, min_flt);
	case SK_TF_VMSIZE: {
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		return mm ? BPF_CORE_READ(mm, total_vm) << 2 : 0; /* pages of 4 KiB -> KiB */
	}
	case SK_TF_VMRSS: {
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		if (!mm)
			return 0;
		__s64 file = BPF_CORE_READ(mm, rss_stat[0].count);
		__s64 anon = BPF_CORE_READ(mm, rss_stat[1].count);
		__s64 shm = BPF_CORE_READ(mm, rss_stat[3].count);
		__s64 v = file + anon + shm;
		return v > 0 ? (__u64)v << 2 : 0;
	}
	case SK_TF_VMSWAP: {
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		if (!mm)
			return 0;
		__s64 v = BPF_CORE_READ(mm, rss_stat[2].count);
		return v > 0 ? (__u64)v << 2 : 0;
	}
	case SK_TF_TTY: {
		struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
		if (!tty)
			return 0;
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		return (major << 20) | (minor & 0xfffff);
	}
	case SK_TF_VPGID: return pid_vnr(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]));
	case SK_TF_PGID: return pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]));
	case SK_TF_LOGINUID:
		if (bpf_core_field_exists(t->loginuid))
			return BPF_CORE_READ(t, loginuid.val);
		return 0xffffffff;
	case SK_TF_EXE_FLAGS: {
		struct file *exe = BPF_CORE_READ(t, mm, exe_file);
		if (!exe)
			return 0;
		__u32 r = 0;
		char pfx[6] = {};
		bpf_probe_read_kernel(pfx, sizeof(pfx), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
		if (pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' && pfx[4] == 'd' &&
		    pfx[5] == ':')
			r |= 4; /* EXE_FROM_MEMFD */
		umode_t mode = BPF_CORE_READ(exe, f_inode, i_mode);
		__u32 iuid = BPF_CORE_READ(exe, f_inode, i_uid.val);
		__u32 euid = BPF_CORE_READ(t, cred, euid.val);
		if ((mode & 02) || ((mode & 0200) && iuid == euid))
			r |= 1; /* EXE_WRITABLE */
		return r | exe_layer(exe);
	}
	case SK_TF_CAP_INH: { __u64 v = 0; BPF_CORE_READ_INTO(&v, t, cred, cap_inheritable); return v; }
	case SK_TF_CAP_PRM: { __u64 v = 0; BPF_CORE_READ_INTO(&v, t, cred, cap_permitted); return v; }
	case SK_TF_CAP_EFF: { __u64 v = 0; BPF_CORE_READ_INTO(&v, t, cred, cap_effective); return v; }
	case SK_TF_EXE_INO: return BPF_CORE_READ(t, mm, exe_file, f_inode, i_ino);
	case SK_TF_EXE_CTIME: {
		struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
		if (!ino || !bpf_core_field_exists(ino->i_ctime_sec))
			return 0;
		return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_ctime_nsec);
	}
	case SK_TF_EXE_MTIME: {
		struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
		if (!ino || !bpf_core_field_exists(ino->i_mtime_sec))
			return 0;
		return BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_mtime_nsec);
	}
	case SK_TF_EUID: return BPF_CORE_READ(t, cred, euid.val);
	case SK_TF_EGID: return BPF_CORE_READ(t, cred, egid.val);
	case SK_TF_VTID: return pid_vnr(BPF_CORE_READ(t, thread_pid));
	case SK_TF_VPID: return pid_vnr(BPF_CORE_READ(t, group_leader, thread_pid));
	case SK_TF_PIDNS_TS: {
		struct pid *p = BPF_CORE_READ(t, thread_pid);
		unsigned int level = BPF_CORE_READ(p, level);
		struct pid_namespace *ns = NULL;
		bpf_probe_read_kernel(&ns, sizeof(ns), &p->numbers[level & 31].ns);
		__u64 st = BPF_CORE_READ(ns, child_reaper, start_boottime);
		return st ? st + boot_ts : 0;
	}
	case SK_TF_EXIT_STATUS: return BPF_CORE_READ(t, exit_code);
	case SK_TF_EXIT_RET: {
		int c = BPF_CORE_READ(t, exit_code);
		return (c & 0x7f) ? 0 : (c >> 8) & 0xff;
	}
	case SK_TF_EXIT_SIG: return BPF_CORE_READ(t, exit_code) & 0x7f;
	case SK_TF_EXIT_CORE: return (BPF_CORE_READ(t, exit_code) & 0x80) ? 1 : 0;
	case SK_TF_REAPER: return (__u64)(__s64)probe__reaper();
	}
	return 0;
}

/* A variable-size property of the current task at rec[off]. */
static __always_inline long task_var(struct sk_probe_scratch *s, __u8 field, __u32 off)
{
	struct task_struct *t = cur();
	__u8 *dst = &s->rec[off & REC_MASK];
	switch (field) {
	case SK_TF_COMM:
		return bpf_probe_read_kernel_str(dst, 16, &t->comm);
	case SK_TF_EXE:
	case SK_TF_ARGS:
	case SK_TF_ENV: {
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		if (!mm)
			return 0;
		__u64 start, end;
		if (field == SK_TF_ENV) {
			start = BPF_CORE_READ(mm, env_start);
			end = BPF_CORE_READ(mm, env_end);
		} else {
			start = BPF_CORE_READ(mm, arg_start);
			end = BPF_CORE_READ(mm, arg_end);
		}
		if (end <= start)
			return 0;
		__u64 total = end - start;
		if (field == SK_TF_EXE)
			return bpf_probe_read_user_str(dst, SK_PROBE_STR_MAX, (void *)start);
		if (field == SK_TF_ARGS) {
			long n0 = bpf_probe_read_user_str(dst, SK_PROBE_STR_MAX, (void *)start);
			if (n0 <= 0 || (__u64)n0 >= total)
				return 0;
			start += n0;
			total -= n0;
		}
		if (total > SK_PROBE_STR_MAX)
			total = SK_PROBE_STR_MAX;
		if (bpf_probe_read_user(dst, total & (2 * SK_PROBE_STR_MAX - 1), (void *)start) < 0)
			return -1;
		return total;
	}
	case SK_TF_CWD:
		return probe__path((__u64)BPF_CORE_READ(t, fs, pwd.dentry),
				   (__u64)BPF_CORE_READ(t, fs, pwd.mnt), off);
	case SK_TF_EXEPATH:
		return put_file_path(off, BPF_CORE_READ(t, mm, exe_file));
	case SK_TF_CGROUPS: {
		__u32 o = off;
		for (__u32 i = 0; i < CGROUP_SUBSYS_COUNT && i < 16; i++) {
			if (o - off > SK_PROBE_STR_MAX * 3)
				break;
			o += probe__cgroup(i, o);
		}
		return o - off;
	}
	}
	return 0;
}

/* ---- messages, socket options, ptrace (DYN) ------------------------------- */

#define IOV_MAX 32 /* iovecs of one message looked at */
#define DYN_MASK (2 * SK_PROBE_STR_MAX - 1)

/* struct user_msghdr + mmsghdr.msg_len (x86_64 UAPI layout). */
struct sk_mmsghdr {
	__u64 name;
	__u32 namelen, pad0;
	__u64 iov, iovlen, control, controllen;
	__u32 flags, pad1, len, pad2;
};

/* Copies iovec j of the user array at iov to rec[off + iov_got] while
 * iov_got < max; returns 1 to go on, 0 at the end, -1 on a fault. One
 * global function per iovec keeps the verifier's work linear in IOV_MAX. */
__noinline int probe__iov_step(__u64 iov, __u32 j, __u32 off, __u32 max)
{
	struct sk_probe_scratch *s = scratch_get();
	if (!s)
		return 0;
	__u32 got = s->iov_got;
	if (max > SK_PROBE_STR_MAX)
		max = SK_PROBE_STR_MAX;
	if (got >= max)
		return 0;
	__u64 v[2];
	if (bpf_probe_read_user(v, sizeof(v), (void *)(iov + 16 * (__u64)j)) < 0)
		return -1;
	__u64 n = v[1];
	if (n > max - got)
		n = max - got;
	sk_barrier(n);
	__u32 at = (off & REC_MASK) + (got & DYN_MASK);
	if (n && bpf_probe_read_user(&s->rec[at], n & DYN_MASK, (void *)v[0]) < 0)
		return -1;
	s->iov_got = got + (n & DYN_MASK);
	return 1;
}

/* Copies up to `max` bytes of the user iovec array (iov, cnt) to rec[off];
 * returns the bytes copied, -1 when nothing could be read. */
static __always_inline long msg_iov(struct sk_probe_scratch *s, __u64 iov, __u64 cnt, __u32 off,
				    __u32 max)
{
	if (!iov)
		return 0;
	s->iov_got = 0;
	int r = 1;
	for (__u32 j = 0; j < IOV_MAX && j < cnt; j++) {
		r = probe__iov_step(iov, j, off, max);
		if (r <= 0)
			break;
	}
	__u32 got = s->iov_got;
	return got ? got : r < 0 ? -1 : 0;
}

/* The sum of the iov_len of a user iovec array. */
__noinline __u64 probe__iov_size(__u64 iov, __u64 cnt)
{
	__u64 total = 0;
	for (int j = 0; j < IOV_MAX && iov; j++) {
		__u64 len = 0;
		if (j >= cnt || bpf_probe_read_user(&len, 8, (void *)(iov + 16 * j + 8)) < 0)
			break;
		total += len;
	}
	return total;
}

/* Reads the msghdr a message parameter is about (see SK_PK_MSG_*) and the
 * result for that message: the syscall's, or the entry's msg_len. */
static __always_inline int msg_read(struct sk_probe_scratch *s, struct sk_probe_param p,
				    struct sk_mmsghdr *m, __s64 *res)
{
	__u64 a = arg_at(s->args, p.a);
	*res = s->ret;
	if (p.b & SK_MSG_VEC)
		a += sizeof(*m) * (s->mi & (SK_PROBE_MMSG_MAX - 1));
	if (!a || bpf_probe_read_user(m, (p.b & SK_MSG_VEC) ? sizeof(*m) : 56, (void *)a) < 0)
		return -1;
	if ((p.b & SK_MSG_VEC) && s->ret > 0)
		*res = m->len;
	return 0;
}

/* The tuple of the socket arg[0] at rec[off]; a socket without a remote
 * port (unconnected datagram socket) takes the remote end from the user
 * sockaddr `name` (where it sends to / received from). */
static __always_inline long msg_tuple(struct sk_probe_scratch *s, __u32 off, __u64 name,
				      __u32 inbound)
{
	long n = probe__tuple((long)(int)s->args[0], off, inbound);
	if (!name || (n != 13 && n != 37))
		return n;
	__u8 *dst = &s->rec[off & REC_MASK];
	__u16 fam = n == 13 ? AF_INET : AF_INET6;
	__u32 alen = n == 13 ? 4 : 16;
	__u32 rem = inbound ? 1 : 1 + alen + 2;
	if (*(__u16 *)(dst + (rem & 63) + (alen & 31)) != 0)
		return n;
	if (bpf_probe_read_user(s->tmp, 28, (void *)name) < 0 || *(__u16 *)&s->tmp[0] != fam)
		return n;
	if (fam == AF_INET) {
		__builtin_memcpy(dst + (rem & 63), &s->tmp[4], 4);
		*(__u16 *)(dst + (rem & 63) + 4) = bpf_ntohs(*(__u16 *)&s->tmp[2]);
	} else {
		__builtin_memcpy(dst + (rem & 63), &s->tmp[8], 16);
		*(__u16 *)(dst + (rem & 63) + 16) = bpf_ntohs(*(__u16 *)&s->tmp[2]);
	}
	return n;
}

/* A message parameter (SK_PK_MSG_*) at rec[off]: its length, or -1. */
static __always_inline long msg_param(struct sk_probe_scratch *s, struct sk_probe_param p,
				      __u32 off)
{
	struct sk_mmsghdr m = {};
	__s64 res;
	if ((p.b & SK_MSG_VEC) && s->ret <= 0)
		return 0; /* a failed sendmmsg/recvmmsg: one record, no message */
	if (msg_read(s, p, &m, &res) < 0) /* no msghdr (or an ia32 one, cleared): the socket's */
		return p.kind == SK_PK_MSG_TUPLE && s->ret >= 0 ? msg_tuple(s, off, 0, p.xf) : 0;
	switch (p.kind) {
	case SK_PK_MSG_DATA: {
		__u64 max = snaplen;
		if (p.xf && res <= 0)
			return 0;
		if (res > 0 && max > (__u64)res)
			max = res;
		return msg_iov(s, m.iov, m.iovlen, off, max);
	}
	case SK_PK_MSG_TUPLE: /* as Falco's probe: only for a call that did not fail */
		if (res < 0)
			return 0;
		return msg_tuple(s, off, m.namelen ? m.name : 0, p.xf);
	case SK_PK_MSG_CTL: {
		if (res < 0 || !m.control)
			return 0;
		__u64 len = m.controllen;
		if (len > SK_PROBE_STR_MAX)
			len = SK_PROBE_STR_MAX;
		sk_barrier(len);
		if (bpf_probe_read_user(&s->rec[off & REC_MASK], len & DYN_MASK, (void *)m.control) < 0)
			return -1;
		return len;
	}
	}
	return 0;
}

/* PPM option name of a getsockopt (SOL_SOCKET only; the PPM numbers are the
 * x86_64 ones up to SO_ATTACH_BPF). */
static __always_inline __u32 xf_sockopt_name(__u64 level, __u64 name)
{
	if (level != 1)
		return 0;
	if (name <= 50)
		return name;
	switch (name) {
	case 59: return 51; /* SO_PEERGROUPS */
	case 55: return 52; /* SO_MEMINFO */
	case 57: return 53; /* SO_COOKIE */
	}
	return 0;
}

/* getsockopt's optval as a DYN parameter at dst: SO_ERROR as an errno,
 * the timeouts as a relative time, SO_COOKIE as a u64, integer options as
 * u32, anything else (and other levels) as the bytes, optlen long. */
static __always_inline long sockopt_val(struct sk_probe_scratch *s, __u8 *dst)
{
	__u64 level = s->args[1], name = s->args[2], uval = s->args[3];
	__s32 optlen = 0;
	if (s->args[4])
		bpf_probe_read_user(&optlen, 4, (void *)s->args[4]);
	__u64 w[4] = {};
	__u32 rl = optlen <= 0 ? 0 : optlen >= 16 ? 16 : optlen; /* no read past the buffer */
	sk_barrier(rl);
	if (uval && rl)
		bpf_probe_read_user(w, rl & 31, (void *)uval);
	if (level == 1) {
		switch (name) {
		case 4: /* SO_ERROR */
			dst[0] = 1;
			*(__s64 *)(dst + 1) = -(__s64)(__s32)w[0];
			return 9;
		case 20: case 21: case 66: case 67: /* SO_RCVTIMEO/SO_SNDTIMEO, old and new */
			dst[0] = 4;
			*(__u64 *)(dst + 1) = w[0] * 1000000000ULL + w[1] * 1000ULL;
			return 9;
		case 57: /* SO_COOKIE */
			dst[0] = 3;
			*(__u64 *)(dst + 1) = w[0];
			return 9;
		case 13: case 17: case 26: case 28: case 50: /* LINGER PEERCRED filters PEERNAME */
			break;
		default:
			if (name == 0 || name > 49)
				break;
			dst[0] = 2;
			*(__u32 *)(dst + 1) = (__u32)w[0];
			return 5;
		}
	}
	dst[0] = 0;
	__u32 len = (__u16)optlen;
	if (len > SK_PROBE_STR_MAX)
		len = SK_PROBE_STR_MAX;
	sk_barrier(len);
	if (!uval || !len || bpf_probe_read_user(dst + 1, len & DYN_MASK, (void *)uval) < 0)
		return 1;
	return 1 + len;
}

/* ptrace's addr (xf 0) or data (xf 1) as a DYN parameter at dst: a u64
 * (0 when the call failed); data is the word read for PEEK*, the signal for
 * CONT, SINGLESTEP, DETACH and SYSCALL. */
static __always_inline long ptrace_dyn(struct sk_probe_scratch *s, __u8 xf, __u8 *dst)
{
	__u64 req = s->args[0], v = 0;
	dst[0] = 0;
	if (s->ret >= 0 && !xf) {
		v = s->args[2];
	} else if (s->ret >= 0) {
		v = s->args[3];
		switch (req) {
		case 1: case 2: case 3: /* PEEKTEXT PEEKDATA PEEKUSR */
			if (bpf_probe_read_user(&v, 8, (void *)s->args[3]) < 0)
				v = 0;
			break;
		case 7: case 9: case 17: case 24: /* CONT SINGLESTEP DETACH SYSCALL */
			dst[0] = 1;
			dst[1] = (__u8)v;
			return 2;
		}
	}
	*(__u64 *)(dst + 1) = v;
	return 9;
}

/* Produces parameter i of the record being built; records its length.
 * Returns 0; a parameter that cannot be read is left empty (and counted). */
__noinline int probe__fill(__u32 i)
{
	struct sk_probe_scratch *s = scratch_get();
	i &= SK_PROBE_MAX_PARAMS - 1; /* callers pass i < SK_PROBE_MAX_PARAMS */
	sk_barrier(i);
	if (!s)
		return 0;
	__u32 k = s->nr;
	struct sk_probe_spec *sp = bpf_map_lookup_elem(&specs, &k);
	if (!sp)
		return 0;
	struct sk_probe_param p = sp->p[i];
	__u32 off = s->off;
	long n = 0;
	__u64 v = 0;
	bool fixed = p.size != 0;
	if (off > SK_PROBE_REC_MAX - 4 * SK_PROBE_STR_MAX) {
		/* out of room: fixed params still fit, variable ones go empty */
		if (!fixed)
			goto done;
	}
	off &= REC_MASK;
	__u8 *dst = &s->rec[off];
	__s64 ret = s->ret;
	__u64 a = arg_at(s->args, p.a);
	__u64 b = arg_at(s->args, p.b);

	switch (p.kind) {
	case SK_PK_EMPTY:
		goto done;
	case SK_PK_RET: v = ret; break;
	case SK_PK_RET_POS: v = ret > 0 ? ret : 0; break;
	case SK_PK_ARG: v = xf_apply(p.xf, a); break;
	case SK_PK_CONST: v = p.xf == 1 ? ((1u << 15) | (1u << 27)) : 0; break;
	case SK_PK_USTR:
		if (!a)
			goto done;
		n = bpf_probe_read_user_str(dst, SK_PROBE_STR_MAX, (void *)a);
		break;
	case SK_PK_SAVED: {
		/* execve's filename: what sched_process_exec stored when the exec
		 * succeeded (the caller's memory is gone), else the caller's string,
		 * still mapped after a failed exec */
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct sk_probe_saved *sv = bpf_map_lookup_elem(&saved, &tid);
		if (sv && sv->nr == s->nr && sv->len > 0) {
			__u32 l = sv->len;
			if (l > SK_PROBE_SAVE_MAX)
				l = SK_PROBE_SAVE_MAX;
			bpf_probe_read_kernel(dst, l & (2 * SK_PROBE_SAVE_MAX - 1), sv->data);
			n = l;
		} else {
			__u64 up = arg_at(s->args, sp->save_a);
			if (up)
				n = bpf_probe_read_user_str(dst, SK_PROBE_STR_MAX, (void *)up);
		}
		break;
	}
	case SK_PK_UBUF: {
		__u64 len = p.b == ARG_RET ? (ret > 0 ? ret : 0) : b;
		if (len > snaplen)
			len = snaplen;
		if (len > SK_PROBE_STR_MAX)
			len = SK_PROBE_STR_MAX;
		if (!a || !len)
			goto done;
		if (bpf_probe_read_user(dst, len & (2 * SK_PROBE_STR_MAX - 1), (void *)a) < 0)
			n = -1;
		else
			n = len;
		break;
	}
	case SK_PK_SOCKADDR:
		n = user_sockaddr(s, off, a, b);
		break;
	case SK_PK_TUPLE:
		if (!p.b)
			n = probe__tuple(p.a == ARG_RET ? ret : (long)a, off, p.a == ARG_RET);
		else if ((p.xf & SK_TUPLE_CONNECT) ? ret == 0 || ret == -115 /* EINPROGRESS */
						 : ret >= 0)
			n = msg_tuple(s, off, arg_at(s->args, p.b - 1), p.xf & SK_TUPLE_INBOUND);
		break;
	case SK_PK_FD_DEV: {
		struct file *f = fd_file(ret);
		if (f) {
			__u32 dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
			__u32 ma = dev >> 20, mi = dev & 0xfffff;
			v = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
		}
		break;
	}
	case SK_PK_FD_INO: {
		struct file *f = fd_file(ret);
		if (f)
			v = BPF_CORE_READ(f, f_inode, i_ino);
		break;
	}
	case SK_PK_OPEN_FLAGS: {
		v = xf_open(a);
		struct file *f = fd_file(ret);
		if (f && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED))
			v |= 16384; /* O_F_CREATED */
		break;
	}
	case SK_PK_UWORD: {
		__u64 w = 0;
		if (a && bpf_probe_read_user(&w, 8, (void *)(a + 8 * (p.b & 7))) < 0)
			count_fault();
		v = xf_apply(p.xf, w);
		break;
	}
	case SK_PK_UINT: {
		__u32 w = 0;
		if (a && bpf_probe_read_user(&w, 4, (void *)(a + 4 * (p.b & 15))) < 0)
			count_fault();
		v = w;
		break;
	}
	case SK_PK_PIPE_INO: {
		int fds[2] = {};
		if (ret >= 0 && a && bpf_probe_read_user(fds, sizeof(fds), (void *)a) == 0) {
			struct file *f = fd_file(fds[0]);
			if (f)
				v = BPF_CORE_READ(f, f_inode, i_ino);
		}
		break;
	}
	case SK_PK_SOCK_PTR: {
		int fds[2] = {};
		if (ret >= 0 && a && bpf_probe_read_user(fds, sizeof(fds), (void *)a) == 0) {
			struct sock *sk = fd_sock(fds[0]);
			if (sk)
				v = p.b ? (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer) : (__u64)sk;
		}
		break;
	}
	case SK_PK_QUEUE: {
		struct sock *sk = fd_sock(s->args[0]);
		if (sk) {
			__u32 len = BPF_CORE_READ(sk, sk_ack_backlog);
			__u32 max = BPF_CORE_READ(sk, sk_max_ack_backlog);
			v = p.xf == 1 ? len : p.xf == 2 ? max : (max ? len * 100 / max : 0);
		}
		break;
	}
	case SK_PK_TASK:
		if (fixed)
			v = task_int(p.xf);
		else
			n = task_var(s, p.xf, off);
		break;
	case SK_PK_FD_PATH:
		n = put_file_path(off, fd_file(ret));
		break;
	case SK_PK_PRCTL_STR:
		if ((s->args[0] == 15 || s->args[0] == 16) && s->args[1])
			n = bpf_probe_read_user_str(dst, 16, (void *)s->args[1]);
		break;
	case SK_PK_PRCTL_INT:
		if (s->args[0] != 15 && s->args[0] != 16)
			v = s->args[1];
		break;
	case SK_PK_MSG_DATA:
	case SK_PK_MSG_TUPLE:
	case SK_PK_MSG_CTL:
		n = msg_param(s, p, off);
		break;
	case SK_PK_MSG_SIZE: {
		struct sk_mmsghdr m = {};
		__s64 res;
		if (msg_read(s, p, &m, &res) == 0)
			v = probe__iov_size(m.iov, m.iovlen);
		else /* no msghdr: what was sent (an ia32 caller's, see compat.h) */
			v = ret > 0 ? ret : 0;
		break;
	}
	case SK_PK_MMSG_LEN: {
		struct sk_mmsghdr m = {};
		__s64 res = ret;
		if (ret > 0 && msg_read(s, p, &m, &res) < 0)
			res = 0;
		v = p.xf ? (res > 0 ? res : 0) : res;
		break;
	}
	case SK_PK_SOCKOPT:
		v = p.xf ? xf_sockopt_name(s->args[1], s->args[2])
			 : s->args[1] == 1 ? 1 : s->args[1] == 6 ? 2 : 0; /* SOL_SOCKET, SOL_TCP */
		break;
	case SK_PK_SOCKOPT_VAL:
		n = sockopt_val(s, dst);
		break;
	case SK_PK_PTRACE_DYN:
		n = ptrace_dyn(s, p.xf, dst);
		break;
	}
	if (fixed) {
		*(__u64 *)dst = v; /* little-endian: the first `size` bytes are the value */
		n = p.size;
	}
	if (n < 0) {
		count_fault();
		n = 0;
	}
	if (n > 2 * SK_PROBE_STR_MAX * 2)
		n = 0;
done:
	*(__u16 *)&s->rec[SK_PROBE_HDR_LEN + 2 * i] = n;
	s->off = off + n;
	return 0;
}

/* Builds the whole record for the spec at slot `nr` and sends it. */
static __always_inline void probe__emit(struct sk_probe_scratch *s, struct sk_probe_spec *sp,
					__u32 nr, struct sk_probe_stats *st)
{
	__u32 np = sp->nparams;
	if (np > SK_PROBE_MAX_PARAMS)
		np = SK_PROBE_MAX_PARAMS;
	s->nr = nr;
	s->nparams = np;
	s->off = SK_PROBE_HDR_LEN + 2 * np;
	for (__u32 i = 0; i < SK_PROBE_MAX_PARAMS; i++) {
		if (i >= np)
			break;
		probe__fill(i);
	}
	__u32 len = s->off;
	if (len > SK_PROBE_REC_MAX) {
		if (st)
			st->n_drops_size++;
		return;
	}
	*(__u64 *)&s->rec[0] = bpf_ktime_get_boot_ns() + boot_ts;
	*(__u64 *)&s->rec[8] = (__u32)bpf_get_current_pid_tgid();
	*(__u32 *)&s->rec[16] = len;
	*(__u16 *)&s->rec[20] = sp->evt;
	*(__u32 *)&s->rec[22] = np;

	__u32 ridx = bpf_get_smp_processor_id() / cpus_per_ring;
	void *rb = bpf_map_lookup_elem(&rings, &ridx);
	if (!rb) {
		if (st)
			st->n_errors++;
		return;
	}
	if (bpf_ringbuf_output(rb, s->rec, len, BPF_RB_NO_WAKEUP) < 0) {
		if (st) {
			st->n_drops_buffer++;
			st->n_drops_cat[sp->drop_cat & (SK_DROP_CAT_MAX - 1)]++;
		}
		return;
	}
	if (st)
		st->n_sent++;
}

/* probe__emit for a syscall exit: sendmmsg/recvmmsg (result: a message
 * count) send one record per message, for their first SK_PROBE_MMSG_MAX. */
static __always_inline void probe__emit_msgs(struct sk_probe_scratch *s, struct sk_probe_spec *sp,
					     __u32 nr, struct sk_probe_stats *st)
{
	__s64 n = 1;
	if (sp->p[0].kind == SK_PK_MMSG_LEN && s->ret > 1)
		n = s->ret;
	for (__u32 i = 0; i < SK_PROBE_MMSG_MAX; i++) {
		if (i >= n)
			break;
		s->mi = i;
		probe__emit(s, sp, nr, st);
	}
}

/* ---- kernel filter (the evaluation is shared with user space) ------------ */

static __always_inline unsigned int kf_lookup(void *ctx, unsigned int nr, unsigned int kind,
					      unsigned long long hash)
{
	unsigned int bit = SK_KF_BLOOM_BIT(kind, hash);
	if (!((kf_bloom[(bit / 64) & (SK_KF_BLOOM_BITS / 64 - 1)] >> (bit & 63)) & 1))
		return 0; /* in no set (the bits are a superset of the map's hashes) */
	struct sk_kf_key key = {.nr = nr, .kind = kind, .hash = hash};
	__u32 *v = bpf_map_lookup_elem(&kf_paths, &key);
	return v ? *v : 0;
}

#include "kfilter_eval.h"

/* bpf_loop bodies (each verified once, whatever the count). */
static int kf_scan_cb(__u32 i, void *ctx)
{
	return kf_scan_step(ctx, i);
}

static int kf_hash_cb(__u32 i, void *ctx)
{
	return kf_hash_step(ctx, i);
}

static int kf_term_cb(__u32 i, void *ctx)
{
	return kf_term_step(ctx, i);
}


/* This thread's set of dropped-open fds, reset when it is from another exec
 * or filter load; created when `create`. NULL when none. */
static __always_inline struct sk_kf_fdset *kf_fdset(int create)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct sk_kf_fdset *v =
		bpf_task_storage_get(&kf_fds, t, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!v)
		return NULL;
	__u64 ex = t->self_exec_id, ep = kf_epoch;
	if (v->exec_id != ex || v->epoch != ep) {
		for (int i = 0; i < SK_KF_FD_MAX / 64; i++)
			v->bits[i] = 0;
		v->exec_id = ex;
		v->epoch = ep;
	}
	return v;
}

static __always_inline void kf_remember(long fd)
{
	if (fd < 0 || fd >= SK_KF_FD_MAX)
		return;
	struct sk_kf_fdset *v = kf_fdset(1);
	if (v)
		v->bits[(fd >> 6) & (SK_KF_FD_MAX / 64 - 1)] |= 1ULL << (fd & 63);
}

/* Clears fd's bit; returns whether it was set. */
static __always_inline int kf_take(long fd)
{
	if (fd < 0 || fd >= SK_KF_FD_MAX)
		return 0;
	struct sk_kf_fdset *v = kf_fdset(0);
	if (!v)
		return 0;
	__u64 *w = &v->bits[(fd >> 6) & (SK_KF_FD_MAX / 64 - 1)];
	__u64 b = 1ULL << (fd & 63);
	int had = (*w & b) != 0;
	*w &= ~b;
	return had;
}

/* A close: 0 (drop) when its fd came from an open this thread dropped in
 * its current exec, else 1. */
static __always_inline int kf_close(struct sk_probe_scratch *s, struct sk_kf_count *c)
{
	if (kf_take((long)(int)s->args[0])) {
		c->filtered++;
		return 0;
	}
	c->passed++;
	return 1;
}

/* An IPv6 address of the form ::ffff:a.b.c.d (an IPv4 peer of a dual-stack
 * socket, which user space turns into an IPv4 socket). */
static __always_inline int kf_v4_mapped(const struct in6_addr *a)
{
	__u32 w[4];
	if (bpf_probe_read_kernel(w, sizeof(w), a) < 0)
		return 0;
	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff);
}

/* A TCP socket (IPv4, or IPv6 between IPv4-mapped addresses) past its
 * handshake: established, or closing after it was. Such a socket got there
 * through a connect or an accept (both always sent) or was found by the
 * start-up /proc scan, so user space has its tuple, role and connected flag,
 * and a send or receive on it changes none of them. Not so a socket of real
 * IPv6 addresses: one from the scan (or passed over a unix socket) has no
 * role in user space until its first send or receive guesses it, as
 * libsinsp does. Nor a socket still connecting (SYN_SENT: a TCP Fast Open
 * sendto is the connect) or closed (CLOSE). */
static __always_inline int kf_tcp_connected(struct sock *sk)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	if (fam == AF_INET6 && (!kf_v4_mapped(&sk->__sk_common.skc_v6_daddr) ||
				!kf_v4_mapped(&sk->__sk_common.skc_v6_rcv_saddr)))
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type) != SOCK_STREAM ||
	    BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	switch (BPF_CORE_READ(sk, __sk_common.skc_state)) {
	case 1:  /* TCP_ESTABLISHED */
	case 4:  /* TCP_FIN_WAIT1 */
	case 5:  /* TCP_FIN_WAIT2 */
	case 8:  /* TCP_CLOSE_WAIT */
	case 9:  /* TCP_LAST_ACK */
	case 11: /* TCP_CLOSING */
		return 1;
	}
	return 0;
}

/* A send or receive (sendto, recvfrom, sendmsg, recvmsg: the fd is
 * argument 0): 0 (drop) on a connected TCP socket, else 1. */
static __always_inline int kf_stream(struct sk_probe_scratch *s, struct sk_kf_count *c)
{
	struct sock *sk = fd_sock((long)(int)s->args[0]);
	if (sk && kf_tcp_connected(sk)) {
		c->filtered++;
		return 0;
	}
	c->passed++;
	return 1;
}

/* After a sent event that made new fds: a dropped open remembered for the
 * same fd number is history (the number was freed without a close call the
 * probe saw, e.g. by close_range), so that fd's close is sent. */
__noinline int probe__kf_forget(__u32 kf)
{
	struct sk_probe_scratch *s = scratch_get();
	if (!s)
		return 0;
	if ((kf & SK_SPEC_KF_NEWFD) && s->ret >= 0)
		kf_take(s->ret);
	if ((kf & SK_SPEC_KF_NEWFD2) && s->ret >= 0) {
		int fds[2] = {};
		__u64 a = arg_at(s->args, (kf >> 4) & 7);
		if (a && bpf_probe_read_user(fds, sizeof(fds), (void *)a) == 0) {
			kf_take(fds[0]);
			kf_take(fds[1]);
		}
	}
	return 0;
}

/* The kernel filter of slot nr for the syscall in the scratch (args, ret):
 * 1 = send it, 0 = drop it. Cheap atoms first (flags, result); the path is
 * read and scanned only when a term still needs it. A directory is always
 * sent: its fd can become a dirfd (openat) or the cwd (fchdir), which later
 * events' paths depend on. */
__noinline int probe__kf(__u32 nr)
{
	struct sk_probe_scratch *s = scratch_get();
	__u32 k = nr;
	struct sk_kf_pred *p = bpf_map_lookup_elem(&kf_preds, &k);
	struct sk_kf_count *c = bpf_map_lookup_elem(&kf_counts, &k);
	if (!s || !p || !c || !p->on)
		return 1;
	if (p->mode == SK_KF_MODE_CLOSE)
		return kf_close(s, c);
	if (p->mode == SK_KF_MODE_STREAM)
		return kf_stream(s, c);
	long long ret = s->ret;
	__u64 fa = arg_at(s->args, p->flags_arg);
	__u64 kflags = fa;
	if (p->flags_src == SK_KF_FLAGS_USER &&
	    (!fa || bpf_probe_read_user(&kflags, sizeof(kflags), (void *)fa) < 0))
		goto keep;
	__u32 flags = xf_open(kflags);
	if (ret >= 0 && p->created) {
		struct file *f = fd_file(ret);
		if (f && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED))
			flags |= 16384; /* O_F_CREATED, as the event's flags say */
	}
	struct kf_terms_st ts = {.p = p, .ret = ret, .flags = flags};
	bpf_loop(p->nterms & (SK_KF_TERMS * 2 - 1), kf_term_cb, &ts, 0);
	if (!ts.cand)
		goto drop;
	if (kf_nopath(&ts))
		goto keep;
	__u64 up = arg_at(s->args, p->path_arg);
	long n = up ? bpf_probe_read_user_str(s->tmp, SK_KF_PATH_MAX, (void *)up) : -1;
	struct kf_scan_st st;
	struct kf_hash_st base;
	struct sk_kf_path_info pi;
	kf_scan_begin(&st, (void *)0, p, nr, s->tmp, n);
	/* as many steps as the path has words (+1: its end), so that no call
	 * is spent only to say "done" */
	bpf_loop(st.valid ? st.n / 8 + 1 : 0, kf_scan_cb, &st, 0);
	kf_scan_end(&st, &pi, &base);
	if (base.n) {
		bpf_loop((base.n + 7) / 8, kf_hash_cb, &base, 0);
		kf_scan_end_base(&st, &base, &pi);
	}
	if (kf_decide(&ts, &pi))
		goto keep;
drop:
	if (ret >= 0) {
		struct file *f = fd_file(ret);
		if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) == S_IFDIR)
			goto keep;
		if (kf_track)
			kf_remember(ret);
	}
	c->filtered++;
	return 0;
keep:
	c->passed++;
	return 1;
}

#include "compat.h"

/* Every syscall exit comes here: the spec lookup is the first thing done, so
 * a syscall nobody wants costs a counter and one array lookup. Registers are
 * read directly (tp_btf gives a BTF pointer), not through helper calls.
 * An ia32 syscall is decoded as its x86_64 twin (compat.h): `ia32` is its
 * table entry, 0 for a 64-bit syscall.
 * `kf`: with the kernel filters (see the two programs below). */
static __always_inline int sys_exit(struct pt_regs *regs, long ret, const int kf)
{
	struct sk_probe_stats *st = stats_get();
	if (st)
		st->n_evts++;
	/* one task lookup serves the self filter and the compat check; the BTF
	 * task pointer (5.11+) reads them directly, older kernels read them
	 * through bpf_probe_read (the branch not taken is removed at load) */
	__u32 tgid;
	int in_ia32;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct task_struct *task = bpf_get_current_task_btf();
		tgid = (__u32)task->tgid;
		in_ia32 = compat__in_ia32(task);
	} else {
		struct task_struct *task = cur();
		tgid = (__u32)BPF_CORE_READ(task, tgid);
		in_ia32 = compat__in_ia32_read(task);
	}
	if (self_tgid && tgid == self_tgid)
		return 0;
	__u64 nr = regs->orig_ax;
	__u32 ia32 = 0;
	if (in_ia32) {
		ia32 = compat__entry(regs, nr);
		if (!ia32)
			return 0; /* ia32-only, or arguments of another layout */
		nr = ia32 & SK_IA32_NR_MASK;
	}
	if (nr >= SK_PROBE_NR_MAX - 1)
		return 0;
	__u32 k = nr;
	struct sk_probe_spec *sp = bpf_map_lookup_elem(&specs, &k);
	if (!sp || !sp->evt)
		return 0;
	struct sk_probe_scratch *s = scratch_get();
	if (!s) {
		if (st)
			st->n_errors++;
		return 0;
	}
	if (ia32) {
		compat__args(s, regs, ia32);
	} else {
		s->args[0] = regs->di;
		s->args[1] = regs->si;
		s->args[2] = regs->dx;
		s->args[3] = regs->r10;
		s->args[4] = regs->r8;
		s->args[5] = regs->r9;
	}
	s->ret = ret;
	s->fc_valid = 0;
	if (kf && (sp->kf & SK_SPEC_KF_PRED) && !probe__kf(k))
		return 0;
	probe__emit_msgs(s, sp, k, st);
	if (kf && (sp->kf & (SK_SPEC_KF_NEWFD | SK_SPEC_KF_NEWFD2)) && kf_track)
		probe__kf_forget(sp->kf);
	if (sp->save || sp->drop_cat == SK_DROP_EXECVE) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_delete_elem(&saved, &tid);
	}
	return 0;
}

/* Two variants of the exit program; the loader loads one: with the kernel
 * filters (bpf_loop, task storage: 5.17+) or, on older kernels, without. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sk_sys_exit, struct pt_regs *regs, long ret)
{
	return sys_exit(regs, ret, 1);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sk_sys_exit_nokf, struct pt_regs *regs, long ret)
{
	return sys_exit(regs, ret, 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sk_proc_exit, struct task_struct *p)
{
	struct sk_probe_stats *st = stats_get();
	if (st)
		st->n_evts++;
	if (self_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	__u32 k = SK_PROBE_SPEC_PROCEXIT;
	struct sk_probe_spec *sp = bpf_map_lookup_elem(&specs, &k);
	if (!sp || !sp->evt)
		return 0;
	struct sk_probe_scratch *s = scratch_get();
	if (!s)
		return 0;
	s->ret = 0;
	s->fc_valid = 0;
	probe__emit(s, sp, k, st);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&saved, &tid);
	return 0;
}

/* A successful execve replaced the memory its path came from: keep the path
 * the kernel resolved (bprm->filename) for the exit event when execve's spec
 * asks for it. execveat also passes here; its exit deletes the entry. (The
 * running syscall's number would need bpf_task_pt_regs, kernel 5.15+.) */
#define NR_EXECVE 59 /* x86_64; the probe is built for x86 only */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sk_proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 k = NR_EXECVE;
	struct sk_probe_spec *sp = bpf_map_lookup_elem(&specs, &k);
	if (!sp || !sp->evt || sp->save != SK_SAVE_STR)
		return 0;
	__u32 z = 0;
	struct sk_probe_saved *v = bpf_map_lookup_elem(&saved_tmp, &z);
	if (!v)
		return 0;
	const char *fn = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(v->data, SK_PROBE_SAVE_MAX, fn);
	v->nr = NR_EXECVE;
	v->len = n > 0 ? n : 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&saved, &tid, v, BPF_ANY);
	return 0;
}
