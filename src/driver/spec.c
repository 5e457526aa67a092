/* spec.c — the table of syscalls the probe supports: for each, the exit
 * event it produces and where each parameter comes from, in event-table
 * order (a small token language compiled into struct sk_probe_spec), plus the
 * syscall selection (Falco's base_syscalls semantics). */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "driver/driver_int.h"

/* Parameter tokens (see enum sk_probe_kind):
 *   r  ret            r+ max(ret,0)      aN[:xf] arg N       c0 zero   cV vfork flags
 *   sN user string    S  exec path (see SK_SAVE_STR)  bN:M / bN:r user bytes (len arg M / ret)
 *   kN:M sockaddr     tN / tr socket tuple of fd arg N / ret (inbound)
 *   tN:M[i|c]  tuple of fd arg N, the remote end from the user sockaddr at arg
 *            M when the socket has none (unconnected), only when the result is
 *            >= 0; i: inbound; c: only when it is 0 or -EINPROGRESS (connect)
 *   dev ino (of fd ret)   oN open flags of arg N   uN:i[:xf] u64 i of user struct
 *   wN:i u32 i of user struct   piN pipe inode   spN:i socket address of pipe-like pair
 *   q0 q1 q2 accept queue pct/len/max   T:field task property   fp path of fd ret
 *   ps pi  prctl string/int   -  empty
 *   messages (msghdr at arg N, socket arg 0; `:v` = mmsghdr vector, one record per entry):
 *   mdN sent data   mrN received data   msN iovec size   mtN / miN tuple out / in
 *   mcN msg_control   mxN mzN res / size of the mmsghdr entry
 *   so:level so:name so:val  getsockopt   pt:addr pt:data  ptrace DYN params */
struct spec_src {
	int nr;
	uint16_t evt;
	uint8_t save, save_a, save_b, drop_cat;
	const char *params;
};

#define CLONE_P(flags)                                                                       \
	"r T:exe T:args T:tid T:pid T:ptid T:cwd T:fdlimit T:pgmaj T:pgmin T:vmsize T:vmrss "  \
	"T:vmswap T:comm T:cgroups " flags " T:euid T:egid T:vtid T:vpid T:pidnsts"
#define EXEC_P                                                                               \
	"r T:exe T:args T:tid T:pid T:ptid T:cwd T:fdlimit T:pgmaj T:pgmin T:vmsize T:vmrss "  \
	"T:vmswap T:comm T:cgroups T:env T:tty T:vpgid T:loginuid T:eflags T:capi T:capp "     \
	"T:cape T:exeino T:ctime T:mtime T:euid T:exepath T:pgid T:egid"

enum { NS = SK_SAVE_NONE, SS = SK_SAVE_STR };
/* probe.bpf.c's sched_process_exec program looks at execve's slot by number */
_Static_assert(SYS_execve == 59, "NR_EXECVE in probe.bpf.c");
enum {
	D_OTHER = SK_DROP_OTHER, D_CLONE = SK_DROP_CLONE_FORK, D_EXEC = SK_DROP_EXECVE,
	D_CONN = SK_DROP_CONNECT, D_OPEN = SK_DROP_OPEN, D_DIR = SK_DROP_DIR_FILE,
	D_CLOSE = SK_DROP_CLOSE, D_PROC = SK_DROP_PROC
};

static const struct spec_src spec_table[] = {
	{SYS_open, 3, NS, 0, 0, D_OPEN, "r s0 o1 a2 dev ino"},
	{SYS_openat, 307, NS, 0, 0, D_OPEN, "r a0 s1 o2 a3 dev ino"},
	{SYS_openat2, 327, NS, 0, 0, D_OPEN, "r a0 s1 u2:0:open u2:1 u2:2:resolve dev ino"},
	{SYS_creat, 59, NS, 0, 0, D_OPEN, "r s0 a1 dev ino c0"},
	{SYS_open_by_handle_at, 337, NS, 0, 0, D_OPEN, "r a0 a2:open fp dev ino"},
	{SYS_close, 5, NS, 0, 0, D_CLOSE, "r a0"},
	{SYS_read, 7, NS, 0, 0, D_OTHER, "r b1:r a0 a2"},
	{SYS_write, 9, NS, 0, 0, D_OTHER, "r b1:2 a0 a2"},
	{SYS_socket, 19, NS, 0, 0, D_OTHER, "r a0 a1 a2 a1:sock"},
	{SYS_bind, 21, NS, 0, 0, D_OTHER, "r k1:2 a0"},
	{SYS_connect, 23, NS, 0, 0, D_CONN, "r t0:1c a0 k1:2"},
	{SYS_listen, 25, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_accept, 247, NS, 0, 0, D_OTHER, "r tr q0 q1 q2"},
	{SYS_accept4, 389, NS, 0, 0, D_OTHER, "r tr q0 q1 q2 a3"},
	{SYS_sendto, 31, NS, 0, 0, D_OTHER, "r b1:2 a0 a2 t0:4"},
	{SYS_recvfrom, 35, NS, 0, 0, D_OTHER, "r b1:r t0:4i a0 a2"},
	{SYS_sendmsg, 49, NS, 0, 0, D_OTHER, "r md1 a0 ms1 mt1"},
	{SYS_recvmsg, 53, NS, 0, 0, D_OTHER, "r r+ mr1 mi1 mc1 a0"},
	{SYS_sendmmsg, 51, NS, 0, 0, D_OTHER, "mx1 a0 mz1 md1:v mt1:v"},
	{SYS_recvmmsg, 55, NS, 0, 0, D_OTHER, "mx1 a0 mz1 mr1:v mi1:v mc1:v"},
	{SYS_shutdown, 37, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_socketpair, 43, NS, 0, 0, D_OTHER, "r w3:0 w3:1 sp3:0 sp3:1 a0 a1 a2"},
	{SYS_getsockopt, 47, NS, 0, 0, D_OTHER, "r a0 so:level so:name so:val w4:0"},
	{SYS_pipe, 61, NS, 0, 0, D_OTHER, "r w0:0 w0:1 pi0"},
	{SYS_pipe2, 393, NS, 0, 0, D_OTHER, "r w0:0 w0:1 pi0 a1:sock"},
	{SYS_eventfd, 63, NS, 0, 0, D_OTHER, "r a0 c0"},
	{SYS_eventfd2, 397, NS, 0, 0, D_OTHER, "r a1:sock a0"},
	{SYS_chdir, 95, NS, 0, 0, D_DIR, "r s0"},
	{SYS_fchdir, 97, NS, 0, 0, D_DIR, "r a0"},
	{SYS_signalfd, 127, NS, 0, 0, D_OTHER, "r a0 w1:0 c0"},
	{SYS_signalfd4, 399, NS, 0, 0, D_OTHER, "r a3:sock a0 w1:0"},
	{SYS_kill, 129, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_tkill, 131, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_tgkill, 133, NS, 0, 0, D_OTHER, "r a0 a1 a2"},
	{SYS_timerfd_create, 137, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_inotify_init, 139, NS, 0, 0, D_OTHER, "r c0"},
	{SYS_inotify_init1, 395, NS, 0, 0, D_OTHER, "r a0:sock"},
	{SYS_setrlimit, 143, NS, 0, 0, D_OTHER, "r u1:0 u1:1 a0"},
	{SYS_prlimit64, 145, NS, 0, 0, D_OTHER, "r u2:0 u2:1 u3:0 u3:1 a0 a1"},
	{SYS_fcntl, 151, NS, 0, 0, D_OTHER, "r a0 a1:fcntl a2"},
	{SYS_ptrace, 169, NS, 0, 0, D_OTHER, "r pt:addr pt:data a0:ptrace a1"},
	{SYS_ioctl, 171, NS, 0, 0, D_OTHER, "r a0 a1 a2"},
	{SYS_rename, 175, NS, 0, 0, D_DIR, "r s0 s1"},
	{SYS_renameat, 177, NS, 0, 0, D_DIR, "r a0 s1 a2 s3"},
	{SYS_renameat2, 319, NS, 0, 0, D_DIR, "r a0 s1 a2 s3 a4"},
	{SYS_symlink, 179, NS, 0, 0, D_DIR, "r s0 s1"},
	{SYS_symlinkat, 181, NS, 0, 0, D_DIR, "r s0 a1 s2"},
	{SYS_link, 309, NS, 0, 0, D_DIR, "r s0 s1"},
	{SYS_linkat, 311, NS, 0, 0, D_DIR, "r a0 s1 a2 s3 a4"},
	{SYS_mkdir, 277, NS, 0, 0, D_DIR, "r s0 a1"},
	{SYS_mkdirat, 305, NS, 0, 0, D_DIR, "r a0 s1 a2"},
	{SYS_rmdir, 279, NS, 0, 0, D_DIR, "r s0"},
	{SYS_unlink, 301, NS, 0, 0, D_DIR, "r s0"},
	{SYS_unlinkat, 303, NS, 0, 0, D_DIR, "r a0 s1 a2"},
	{SYS_chmod, 315, NS, 0, 0, D_DIR, "r s0 a1"},
	{SYS_fchmod, 317, NS, 0, 0, D_DIR, "r a0 a1"},
	{SYS_fchmodat, 313, NS, 0, 0, D_DIR, "r a0 s1 a2"},
	{SYS_setresuid, 193, NS, 0, 0, D_OTHER, "r a0 a1 a2"},
	{SYS_setresgid, 195, NS, 0, 0, D_OTHER, "r a0 a1 a2"},
	{SYS_setuid, 199, NS, 0, 0, D_OTHER, "r a0"},
	{SYS_setgid, 201, NS, 0, 0, D_OTHER, "r a0"},
	{SYS_setreuid, 427, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_setregid, 429, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_clone, 223, NS, 0, 0, D_CLONE, CLONE_P("a0:clone")},
	{SYS_clone3, 335, NS, 0, 0, D_CLONE, CLONE_P("u0:0:clone")},
	{SYS_fork, 225, NS, 0, 0, D_CLONE, CLONE_P("c0")},
	{SYS_vfork, 227, NS, 0, 0, D_CLONE, CLONE_P("cV")},
	{SYS_execve, 293, SS, 0, 0, D_EXEC, EXEC_P " S"},
	{SYS_execveat, 331, NS, 0, 0, D_EXEC, EXEC_P},
	{SYS_setns, 241, NS, 0, 0, D_OTHER, "r a0 a1:clone"},
	{SYS_unshare, 285, NS, 0, 0, D_OTHER, "r a0:clone"},
	{SYS_flock, 243, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_mount, 257, NS, 0, 0, D_OTHER, "r s0 s1 s2 a3:mount"},
	{SYS_umount2, 391, NS, 0, 0, D_OTHER, "r s0 a1"},
	{SYS_chroot, 267, NS, 0, 0, D_DIR, "r s0"},
	{SYS_setsid, 275, NS, 0, 0, D_OTHER, "r"},
	{SYS_setpgid, 295, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_seccomp, 299, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_userfaultfd, 321, NS, 0, 0, D_OTHER, "r a0:sock"},
	{SYS_io_uring_setup, 339, NS, 0, 0, D_OTHER, "r a0 w1:0 w1:1 w1:2 w1:3 w1:4 w1:5"},
	{SYS_capset, 353, NS, 0, 0, D_OTHER, "r T:capi T:capp T:cape"},
	{SYS_dup, 367, NS, 0, 0, D_OTHER, "r a0"},
	{SYS_dup2, 363, NS, 0, 0, D_OTHER, "r a0 a1"},
	{SYS_dup3, 365, NS, 0, 0, D_OTHER, "r a0 a1 a2:sock"},
	{SYS_bpf, 369, NS, 0, 0, D_OTHER, "r a0"},
	{SYS_prctl, 401, NS, 0, 0, D_OTHER, "r a0 ps pi"},
	{SYS_memfd_create, 405, NS, 0, 0, D_OTHER, "r s0 a1"},
	{SYS_init_module, 411, NS, 0, 0, D_OTHER, "r b0:1 a1 s2"},
	{SYS_finit_module, 413, NS, 0, 0, D_OTHER, "r a0 s1 a2"},
	{SK_PROBE_SPEC_PROCEXIT, 186, NS, 0, 0, D_PROC, "T:xstatus T:xret T:xsig T:xcore T:reaper"},
};

static const char *const task_names[SK_TF_MAX] = {
	[SK_TF_EXE] = "exe", [SK_TF_ARGS] = "args", [SK_TF_TID] = "tid", [SK_TF_PID] = "pid",
	[SK_TF_PTID] = "ptid", [SK_TF_CWD] = "cwd", [SK_TF_FDLIMIT] = "fdlimit",
	[SK_TF_PGMAJ] = "pgmaj", [SK_TF_PGMIN] = "pgmin", [SK_TF_VMSIZE] = "vmsize",
	[SK_TF_VMRSS] = "vmrss", [SK_TF_VMSWAP] = "vmswap", [SK_TF_COMM] = "comm",
	[SK_TF_CGROUPS] = "cgroups", [SK_TF_ENV] = "env", [SK_TF_TTY] = "tty",
	[SK_TF_VPGID] = "vpgid", [SK_TF_LOGINUID] = "loginuid", [SK_TF_EXE_FLAGS] = "eflags",
	[SK_TF_CAP_INH] = "capi", [SK_TF_CAP_PRM] = "capp", [SK_TF_CAP_EFF] = "cape",
	[SK_TF_EXE_INO] = "exeino", [SK_TF_EXE_CTIME] = "ctime", [SK_TF_EXE_MTIME] = "mtime",
	[SK_TF_EUID] = "euid", [SK_TF_EGID] = "egid", [SK_TF_EXEPATH] = "exepath",
	[SK_TF_PGID] = "pgid", [SK_TF_VTID] = "vtid", [SK_TF_VPID] = "vpid",
	[SK_TF_PIDNS_TS] = "pidnsts", [SK_TF_EXIT_STATUS] = "xstatus", [SK_TF_EXIT_RET] = "xret",
	[SK_TF_EXIT_SIG] = "xsig", [SK_TF_EXIT_CORE] = "xcore", [SK_TF_REAPER] = "reaper",
};

static const struct { const char *name; uint8_t xf; } xf_names[] = {
	{"open", SK_XF_OPEN}, {"clone", SK_XF_CLONE}, {"fcntl", SK_XF_FCNTL},
	{"sock", SK_XF_SOCK_TYPE}, {"mount", SK_XF_MOUNT}, {"ptrace", SK_XF_PTRACE},
	{"resolve", SK_XF_RESOLVE},
};


static int parse_uint(const char **p, unsigned *out)
{
	if (**p < '0' || **p > '9')
		return -EINVAL;
	unsigned v = 0;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (unsigned)(*(*p)++ - '0');
	*out = v;
	return 0;
}

static int parse_xf(const char *s, size_t n, uint8_t *xf)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(xf_names); i++)
		if (strlen(xf_names[i].name) == n && memcmp(xf_names[i].name, s, n) == 0) {
			*xf = xf_names[i].xf;
			return 0;
		}
	return -EINVAL;
}

/* The message, getsockopt and ptrace tokens (NUL-terminated t) into p. */
static int parse_msg_token(const char *t, struct sk_probe_param *p)
{
	static const struct { const char *name; uint8_t kind, xf; } fixed[] = {
		{"so:level", SK_PK_SOCKOPT, 0}, {"so:name", SK_PK_SOCKOPT, 1},
		{"so:val", SK_PK_SOCKOPT_VAL, 0}, {"pt:addr", SK_PK_PTRACE_DYN, 0},
		{"pt:data", SK_PK_PTRACE_DYN, 1},
	};
	static const struct { char c; uint8_t kind, xf, vec; } msg[] = {
		{'d', SK_PK_MSG_DATA, 0, 0}, {'r', SK_PK_MSG_DATA, 1, 0}, {'s', SK_PK_MSG_SIZE, 0, 0},
		{'t', SK_PK_MSG_TUPLE, 0, 0}, {'i', SK_PK_MSG_TUPLE, 1, 0}, {'c', SK_PK_MSG_CTL, 0, 0},
		{'x', SK_PK_MMSG_LEN, 0, 1}, {'z', SK_PK_MMSG_LEN, 1, 1},
	};
	for (size_t i = 0; i < SK_ARRAY_LEN(fixed); i++)
		if (!strcmp(t, fixed[i].name)) {
			p->kind = fixed[i].kind;
			p->xf = fixed[i].xf;
			return 0;
		}
	if (t[0] != 'm')
		return -EINVAL;
	for (size_t i = 0; i < SK_ARRAY_LEN(msg); i++) {
		if (t[1] != msg[i].c)
			continue;
		const char *c = t + 2;
		unsigned x = 0;
		if (parse_uint(&c, &x) || x > 5)
			return -EINVAL;
		p->kind = msg[i].kind;
		p->xf = msg[i].xf;
		p->a = (uint8_t)x;
		p->b = msg[i].vec ? SK_MSG_VEC : 0;
		if (!strcmp(c, ":v"))
			p->b = SK_MSG_VEC;
		else if (*c)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* Parses one token [tok, tok+n) into p. */
static int parse_token(const char *tok, size_t n, struct sk_probe_param *p)
{
	char t[32];
	if (n == 0 || n >= sizeof(t))
		return -EINVAL;
	memcpy(t, tok, n);
	t[n] = 0;
	const char *c = t + 1;
	unsigned x = 0, y = 0;
	memset(p, 0, sizeof(*p));
	if (!strcmp(t, "-")) { p->kind = SK_PK_EMPTY; return 0; }
	if (!strcmp(t, "r")) { p->kind = SK_PK_RET; return 0; }
	if (!strcmp(t, "r+")) { p->kind = SK_PK_RET_POS; return 0; }
	if (!strcmp(t, "c0")) { p->kind = SK_PK_CONST; return 0; }
	if (!strcmp(t, "cV")) { p->kind = SK_PK_CONST; p->xf = 1; return 0; }
	if (!strcmp(t, "S")) { p->kind = SK_PK_SAVED; return 0; }
	if (!strcmp(t, "dev")) { p->kind = SK_PK_FD_DEV; return 0; }
	if (!strcmp(t, "ino")) { p->kind = SK_PK_FD_INO; return 0; }
	if (!strcmp(t, "tr")) { p->kind = SK_PK_TUPLE; p->a = 255; return 0; }
	if (!strcmp(t, "fp")) { p->kind = SK_PK_FD_PATH; return 0; }
	if (!strcmp(t, "ps")) { p->kind = SK_PK_PRCTL_STR; return 0; }
	if (!strcmp(t, "pi")) { p->kind = SK_PK_PRCTL_INT; return 0; }
	if (t[0] == 'm' || !strncmp(t, "so:", 3) || !strncmp(t, "pt:", 3))
		return parse_msg_token(t, p);
	if (!strncmp(t, "T:", 2)) {
		for (unsigned i = 0; i < SK_TF_MAX; i++)
			if (task_names[i] && !strcmp(task_names[i], t + 2)) {
				p->kind = SK_PK_TASK;
				p->xf = (uint8_t)i;
				return 0;
			}
		return -EINVAL;
	}
	if (t[0] == 'q') {
		if (parse_uint(&c, &x) || *c || x > 2)
			return -EINVAL;
		p->kind = SK_PK_QUEUE;
		p->xf = (uint8_t)x;
		return 0;
	}
	if (!strncmp(t, "pi", 2) || !strncmp(t, "sp", 2)) {
		p->kind = t[0] == 'p' ? SK_PK_PIPE_INO : SK_PK_SOCK_PTR;
		c = t + 2;
		if (parse_uint(&c, &x) || x > 5)
			return -EINVAL;
		p->a = (uint8_t)x;
		if (p->kind == SK_PK_SOCK_PTR) {
			if (*c++ != ':' || parse_uint(&c, &y) || y > 1)
				return -EINVAL;
			p->b = (uint8_t)y;
		}
		return *c ? -EINVAL : 0;
	}
	switch (t[0]) {
	case 'a': case 's': case 'o': case 't':
		if (parse_uint(&c, &x) || x > 5)
			return -EINVAL;
		p->a = (uint8_t)x;
		p->kind = t[0] == 'a' ? SK_PK_ARG : t[0] == 's' ? SK_PK_USTR
			: t[0] == 'o' ? SK_PK_OPEN_FLAGS : SK_PK_TUPLE;
		if (t[0] == 'a' && *c == ':')
			return parse_xf(c + 1, strlen(c + 1), &p->xf);
		if (t[0] == 't' && *c == ':') { /* tN:M[i|c]: user sockaddr arg M */
			c++;
			if (parse_uint(&c, &y) || y > 5)
				return -EINVAL;
			p->b = (uint8_t)(y + 1);
			if (*c == 'i' || *c == 'c')
				p->xf = *c++ == 'i' ? SK_TUPLE_INBOUND : SK_TUPLE_CONNECT;
		}
		return *c ? -EINVAL : 0;
	case 'b': case 'k': case 'u': case 'w':
		if (parse_uint(&c, &x) || x > 5 || *c++ != ':')
			return -EINVAL;
		p->a = (uint8_t)x;
		if (t[0] == 'b' && *c == 'r') {
			p->b = 255;
			c++;
		} else {
			if (parse_uint(&c, &y) || y > (t[0] == 'b' || t[0] == 'k' ? 5u : 15u))
				return -EINVAL;
			p->b = (uint8_t)y;
		}
		p->kind = t[0] == 'b' ? SK_PK_UBUF : t[0] == 'k' ? SK_PK_SOCKADDR
			: t[0] == 'u' ? SK_PK_UWORD : SK_PK_UINT;
		if (t[0] == 'u' && *c == ':')
			return parse_xf(c + 1, strlen(c + 1), &p->xf);
		return *c ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Compiles one table entry into sp (evt, params, sizes from the event table). */
static int compile(const struct spec_src *src, struct sk_probe_spec *sp, struct sk_err *err)
{
	const struct sk_event_info *info = sk_event_info_get(src->evt);
	memset(sp, 0, sizeof(*sp));
	if (!info || (info->flags & (SK_EF_OLD_VERSION | SK_EF_UNUSED)))
		return sk_err_set(err, -EINVAL, "syscall %d: event %u is not current", src->nr,
				  src->evt);
	unsigned np = 0;
	const char *p = src->params;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		if (np >= SK_PROBE_MAX_PARAMS || np >= info->nparams)
			return sk_err_set(err, -EINVAL, "event %s: more than %u params in spec",
					  info->name, info->nparams);
		struct sk_probe_param *pp = &sp->p[np];
		if (parse_token(p, (size_t)(e - p), pp))
			return sk_err_set(err, -EINVAL, "event %s: bad param token '%.*s'", info->name,
					  (int)(e - p), p);
		pp->size = (uint8_t)sk_ptype_fixed_size(info->params[np].type);
		uint8_t pt = info->params[np].type;
		if (pp->kind == SK_PK_ARG && pp->xf == SK_XF_NONE &&
		    (pt == SK_PT_FD || pt == SK_PT_PID || pt == SK_PT_ERRNO))
			pp->xf = SK_XF_S32; /* C int arguments: keep -100 (AT_FDCWD), -1 */
		bool var_kind = pp->kind == SK_PK_USTR || pp->kind == SK_PK_SAVED ||
				pp->kind == SK_PK_UBUF || pp->kind == SK_PK_SOCKADDR ||
				pp->kind == SK_PK_TUPLE || pp->kind == SK_PK_FD_PATH ||
				pp->kind == SK_PK_PRCTL_STR || pp->kind == SK_PK_MSG_DATA ||
				pp->kind == SK_PK_MSG_TUPLE || pp->kind == SK_PK_MSG_CTL ||
				pp->kind == SK_PK_SOCKOPT_VAL || pp->kind == SK_PK_PTRACE_DYN;
		if (var_kind && pp->size)
			return sk_err_set(err, -EINVAL, "event %s: param %s is fixed-size", info->name,
					  info->params[np].name);
		if (!pp->size && pp->kind != SK_PK_EMPTY && !var_kind && pp->kind != SK_PK_TASK)
			return sk_err_set(err, -EINVAL, "event %s: param %s is variable-size",
					  info->name, info->params[np].name);
		np++;
		p = e;
	}
	if (np != info->nparams)
		return sk_err_set(err, -EINVAL, "event %s: spec has %u params, table has %u", info->name,
				  np, info->nparams);
	sp->evt = src->evt;
	sp->nparams = (unsigned char)np;
	sp->save = src->save;
	sp->save_a = src->save_a;
	sp->save_b = src->save_b;
	sp->drop_cat = src->drop_cat;
	unsigned arg = 0;
	int nk = sk_driver_newfd_kind(src->evt, &arg);
	sp->kf = nk == 1 ? SK_SPEC_KF_NEWFD : nk == 2 ? (unsigned char)(SK_SPEC_KF_NEWFD2 | arg << 4) : 0;
	return 0;
}

/* True when some code sharing `evt`'s name is set in want. */
static bool name_wanted(const bool want[SK_EVENT_MAX], uint16_t evt)
{
	const char *name = sk_event_table[evt].name;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++)
		if (want[c] && !strcmp(sk_event_table[c].name, name))
			return true;
	return false;
}

int sk_driver_build_specs(const bool want[SK_EVENT_MAX], struct sk_probe_spec *specs,
			  struct sk_err *err)
{
	memset(specs, 0, sizeof(*specs) * SK_PROBE_NR_MAX);
	for (size_t i = 0; i < SK_ARRAY_LEN(spec_table); i++) {
		const struct spec_src *s = &spec_table[i];
		if (s->nr < 0 || s->nr >= SK_PROBE_NR_MAX)
			return sk_err_set(err, -EINVAL, "syscall number %d out of range", s->nr);
		struct sk_probe_spec sp;
		int rc = compile(s, &sp, err);
		if (rc)
			return rc;
		if (want && name_wanted(want, s->evt))
			specs[s->nr] = sp;
	}
	return 0;
}

int sk_driver_newfd_kind(uint16_t evt, unsigned *arg)
{
	if (evt >= SK_EVENT_MAX)
		return 0;
	const char *n = sk_event_table[evt].name;
	if (!strcmp(n, "pipe") || !strcmp(n, "pipe2")) {
		*arg = 0;
		return 2;
	}
	if (!strcmp(n, "socketpair")) {
		*arg = 3;
		return 2;
	}
	/* fcntl(F_DUPFD*) returns a new fd; for other commands forgetting the
	 * result as an fd only means one more close is sent */
	if (!strcmp(n, "fcntl"))
		return 1;
	return (sk_event_table[evt].flags & SK_EF_CREATES_FD) ? 1 : 0;
}

int sk_driver_slots_of(uint16_t evt, int *nrs, int max)
{
	int n = 0;
	if (evt >= SK_EVENT_MAX)
		return 0;
	for (size_t i = 0; i < SK_ARRAY_LEN(spec_table) && n < max; i++)
		if (!strcmp(sk_event_table[spec_table[i].evt].name, sk_event_table[evt].name))
			nrs[n++] = spec_table[i].nr;
	return n;
}

uint16_t sk_driver_slot_evt(uint32_t nr)
{
	for (size_t i = 0; i < SK_ARRAY_LEN(spec_table); i++)
		if (spec_table[i].nr == (int)nr)
			return spec_table[i].evt;
	return 0;
}

int sk_driver_kf_args(uint32_t nr, struct sk_kf_pred *p)
{
	switch (nr) {
	case SYS_open:
		p->path_arg = 0, p->flags_arg = 1, p->flags_src = SK_KF_FLAGS_ARG;
		return 0;
	case SYS_openat:
		p->path_arg = 1, p->flags_arg = 2, p->flags_src = SK_KF_FLAGS_ARG;
		return 0;
	case SYS_openat2:
		p->path_arg = 1, p->flags_arg = 2, p->flags_src = SK_KF_FLAGS_USER;
		return 0;
	}
	return -ENOTSUP;
}

bool sk_driver_supports(uint16_t code)
{
	if (code >= SK_EVENT_MAX)
		return false;
	for (size_t i = 0; i < SK_ARRAY_LEN(spec_table); i++)
		if (!strcmp(sk_event_table[spec_table[i].evt].name, sk_event_table[code].name))
			return true;
	return false;
}

const char *sk_driver_supported_next(size_t *it, uint16_t *code)
{
	if (*it >= SK_ARRAY_LEN(spec_table))
		return NULL;
	const struct spec_src *s = &spec_table[(*it)++];
	if (code)
		*code = s->evt;
	return sk_event_table[s->evt].name;
}

/* The state set (names): the syscalls whose exit events saker's state
 * parser (src/state/parse.c) uses to keep the process tree, fd tables, cwd,
 * users and capabilities right, sent whatever the rules are. It is Falco
 * 0.44.1's selection for rules that need nothing more (its 72 names, minus
 * those this probe does not produce yet: close_range, epoll_create,
 * epoll_create1, pidfd_getfd, pidfd_open; `umount` has no
 * x86_64 syscall), plus three the parser reads that Falco leaves out: bpf
 * (the fd it returns gets type bpf), setns and unshare (entering a new user
 * namespace gives the thread every capability). Syscalls that change
 * nothing saker tracks (chmod, mkdir, rename, unlink, kill, ioctl, flock,
 * listen, seccomp, setpgid, ...) are sent only when a rule names them (the
 * set had 20 such names, and lacked prctl). The reason for each entry is in
 * docs/live-capture.md; tests/unit/test_driver_spec.c pins the list. */
static const char *const state_set[] = {
	/* process tree, executable, credentials */
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "setuid", "setgid", "setreuid",
	"setregid", "setresuid", "setresgid", "setsid", "capset", "prctl", "setns", "unshare",
	"prlimit", "setrlimit", "ptrace",
	/* cwd and root */
	"chdir", "fchdir", "chroot",
	/* fd table: files */
	"open", "openat", "openat2", "creat", "open_by_handle_at", "close", "dup", "dup2", "dup3",
	"fcntl", "pipe", "pipe2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
	"inotify_init", "inotify_init1", "memfd_create", "userfaultfd", "io_uring_setup", "bpf",
	"link", "linkat", "symlink", "symlinkat", "mount", "umount2", "init_module", "finit_module",
	/* fd table: sockets and their tuples */
	"socket", "socketpair", "bind", "connect", "accept", "accept4", "getsockopt", "shutdown",
	"sendto", "sendmsg", "recvfrom", "recvmsg", "sendmmsg", "recvmmsg",
};
/* The minimal `repair` set. */
static const char *const repair_set[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "fchdir", "chdir", "chroot",
	"capset", "setgid", "setpgid", "setresgid", "setresuid", "setsid", "setuid", "prctl",
};

static int set_name(bool out[SK_EVENT_MAX], const char *name, size_t n, bool on)
{
	bool found = false;
	for (unsigned c = 0; c < SK_EVENT_MAX; c++) {
		const char *en = sk_event_table[c].name;
		if (strlen(en) == n && !memcmp(en, name, n)) {
			out[c] = on;
			found = true;
		}
	}
	return found ? 0 : -EINVAL;
}

static bool has_category(const bool set[SK_EVENT_MAX], uint32_t cat)
{
	for (unsigned c = 0; c < SK_EVENT_MAX; c++)
		if (set[c] && (sk_event_table[c].category & 0xff) == cat &&
		    (sk_event_table[c].category & SK_EC_SYSCALL))
			return true;
	return false;
}

int sk_driver_compute_set(const bool *rules, const struct sk_base_syscalls *base,
			  bool out[SK_EVENT_MAX], struct sk_err *err)
{
	memset(out, 0, sizeof(bool) * SK_EVENT_MAX);
	if (rules)
		for (unsigned c = 0; c < SK_EVENT_MAX; c++)
			out[c] = rules[c];
	size_t ncustom = base ? base->ncustom : 0;
	bool any_custom = false;
	for (size_t i = 0; i < ncustom; i++) {
		const char *n = base->custom_set[i];
		if (n[0] == '!')
			continue;
		any_custom = true;
		if (set_name(out, n, strlen(n), true))
			return sk_err_set(err, -EINVAL, "base_syscalls.custom_set: unknown syscall '%s'",
					  n);
	}
	if (base && base->all) {
		for (size_t i = 0; i < SK_ARRAY_LEN(spec_table); i++)
			out[spec_table[i].evt] = true;
	} else if (base && base->repair) {
		bool net = has_category(out, SK_EC_NET);
		bool io = net || has_category(out, SK_EC_FILE) || has_category(out, SK_EC_IO_READ) ||
			  has_category(out, SK_EC_IO_WRITE) || has_category(out, SK_EC_IO_OTHER);
		bool srv = out[247] || out[389] || out[25];
		for (size_t i = 0; i < SK_ARRAY_LEN(repair_set); i++)
			(void)set_name(out, repair_set[i], strlen(repair_set[i]), true);
		if (net) {
			(void)set_name(out, "socket", 6, true);
			(void)set_name(out, "getsockopt", 10, true);
		}
		if (srv)
			(void)set_name(out, "bind", 4, true);
		if (io)
			(void)set_name(out, "close", 5, true);
	} else if (!any_custom) {
		for (size_t i = 0; i < SK_ARRAY_LEN(state_set); i++)
			(void)set_name(out, state_set[i], strlen(state_set[i]), true);
	}
	for (size_t i = 0; i < ncustom; i++) {
		const char *n = base->custom_set[i];
		if (n[0] == '!' && set_name(out, n + 1, strlen(n + 1), false))
			return sk_err_set(err, -EINVAL, "base_syscalls.custom_set: unknown syscall '%s'",
					  n + 1);
	}
	out[186] = true; /* procexit keeps the thread table bounded */
	return 0;
}
