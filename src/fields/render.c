/* render.c — text rendering of event parameters as sysdig/libsinsp prints
 * them (evt.args, evt.arg.NAME, evt.info): numbers by print format, fds
 * resolved through the fd table, flags by table walk, socket addresses and
 * tuples, errno/signal/syscall names, buffers with non-printables as dots,
 * relative paths joined with the cwd or dirfd. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

#define AT_FDCWD_PPM (-100)
#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10

static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO",
	[6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD",
	[11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK",
	[16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
	[21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE", [25] = "ENOTTY",
	[26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS",
	[31] = "EMLINK", [32] = "EPIPE", [33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK",
	[36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS", [39] = "ENOTEMPTY",
	[40] = "ELOOP", [42] = "ENOMSG", [43] = "EIDRM", [44] = "ECHRNG", [45] = "EL2NSYNC",
	[46] = "EL3HLT", [47] = "EL3RST", [48] = "ELNRNG", [49] = "EUNATCH", [50] = "ENOCSI",
	[51] = "EL2HLT", [52] = "EBADE", [53] = "EBADR", [54] = "EXFULL", [55] = "ENOANO",
	[56] = "EBADRQC", [57] = "EBADSLT", [59] = "EBFONT", [60] = "ENOSTR", [61] = "ENODATA",
	[62] = "ETIME", [63] = "ENOSR", [64] = "ENONET", [65] = "ENOPKG", [66] = "EREMOTE",
	[67] = "ENOLINK", [68] = "EADV", [69] = "ESRMNT", [70] = "ECOMM", [71] = "EPROTO",
	[72] = "EMULTIHOP", [73] = "EDOTDOT", [74] = "EBADMSG", [75] = "EOVERFLOW",
	[76] = "ENOTUNIQ", [77] = "EBADFD", [78] = "EREMCHG", [79] = "ELIBACC", [80] = "ELIBBAD",
	[81] = "ELIBSCN", [82] = "ELIBMAX", [83] = "ELIBEXEC", [84] = "EILSEQ", [85] = "ERESTART",
	[86] = "ESTRPIPE", [87] = "EUSERS", [88] = "ENOTSOCK", [89] = "EDESTADDRREQ",
	[90] = "EMSGSIZE", [91] = "EPROTOTYPE", [92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT",
	[94] = "ESOCKTNOSUPPORT", [95] = "EOPNOTSUPP", [96] = "EPFNOSUPPORT",
	[97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN",
	[101] = "ENETUNREACH", [102] = "ENETRESET", [103] = "ECONNABORTED", [104] = "ECONNRESET",
	[105] = "ENOBUFS", [106] = "EISCONN", [107] = "ENOTCONN", [108] = "ESHUTDOWN",
	[109] = "ETOOMANYREFS", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [112] = "EHOSTDOWN",
	[113] = "EHOSTUNREACH", [114] = "EALREADY", [115] = "EINPROGRESS", [116] = "ESTALE",
	[117] = "EUCLEAN", [118] = "ENOTNAM", [119] = "ENAVAIL", [120] = "EISNAM",
	[121] = "EREMOTEIO", [122] = "EDQUOT", [123] = "ENOMEDIUM", [124] = "EMEDIUMTYPE",
	[125] = "ECANCELED",
};

static const char *const errno_names_kernel[] = {
	/* 512.. : kernel-internal codes that can leak to user space */
	"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
	"ERESTART_RESTARTBLOCK", NULL, NULL, NULL, NULL, "EBADHANDLE", "ENOTSYNC",
	"EBADCOOKIE", "ENOTSUPP", "ETOOSMALL", "ESERVERFAULT", "EBADTYPE", "EJUKEBOX",
	"EIOCBQUEUED", "EIOCBRETRY",
};

const char *sk_errno_name(int64_t err)
{
	if (err >= 0)
		return NULL;
	uint64_t e = (uint64_t)(-(err + 1)) + 1;
	if (e < SK_ARRAY_LEN(errno_names))
		return errno_names[e];
	if (e >= 512 && e - 512 < SK_ARRAY_LEN(errno_names_kernel))
		return errno_names_kernel[e - 512];
	return NULL;
}

static const char *const signal_names[] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
	"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

const char *sk_signal_name(uint32_t sig)
{
	return sig < SK_ARRAY_LEN(signal_names) ? signal_names[sig] : NULL;
}

extern const char *const sk_syscall_names[];
extern const size_t sk_syscall_names_count;

const char *sk_syscall_name(uint32_t code)
{
	return code < sk_syscall_names_count ? sk_syscall_names[code] : NULL;
}

extern const uint16_t sk_syscall_x86_64[];
extern const size_t sk_syscall_x86_64_count;

const char *sk_syscall_native_name(uint32_t nr)
{
	uint16_t code = nr < sk_syscall_x86_64_count ? sk_syscall_x86_64[nr] : 0;
	return code ? sk_syscall_name(code) : NULL;
}

/* An enum value as current libsinsp prints it: every name of that value, in
 * table order ("AF_LOCAL|AF_UNIX"). */
static int render_enum(const struct sk_flag_table *t, uint32_t val, struct sk_buf *out)
{
	const char *sep = "";
	for (uint16_t j = 0; t && j < t->count; j++) {
		if (t->names[j].value != val)
			continue;
		if (sk_buf_puts(out, sep) < 0 || sk_buf_puts(out, t->names[j].name) < 0)
			return -E2BIG;
		sep = "|";
	}
	return 0;
}

int sk_render_flags(const struct sk_flag_table *t, uint32_t val, bool exact, struct sk_buf *out)
{
	if (!t)
		return 0;
	const uint32_t initial = val;
	const char *sep = "";
	uint16_t j = 0;
	/* libsinsp's walk: names in table order; stop at a name equal to the
	 * original value (appended last); otherwise a name matches when all its
	 * bits are still set (0 only matches 0), and its bits are cleared. */
	for (; j < t->count && t->names[j].value != initial; j++) {
		uint32_t fv = t->names[j].value;
		if (exact)
			continue;
		if ((fv == 0 && initial == 0) || (fv != 0 && val != 0 && (val & fv) == fv)) {
			if (sk_buf_puts(out, sep) < 0 || sk_buf_puts(out, t->names[j].name) < 0)
				return -E2BIG;
			sep = "|";
			val &= ~fv;
		}
	}
	if (j < t->count) {
		if (sk_buf_puts(out, sep) < 0 || sk_buf_puts(out, t->names[j].name) < 0)
			return -E2BIG;
	}
	return 0;
}

int sk_render_ip(const uint8_t *ip, bool v6, struct sk_buf *out)
{
	if (!v6)
		return sk_buf_printf(out, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]) < 0 ? -E2BIG
											 : 0;
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(AF_INET6, ip, tmp, sizeof(tmp)))
		return 0;
	return sk_buf_puts(out, tmp) < 0 ? -E2BIG : 0;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static bool is_printable(unsigned char ch)
{
	return ch < 0x80 && isprint(ch);
}

/* Appends a NUL-terminated (or len-bounded) string without non-printables,
 * as libsinsp's sanitize_string does. */
static int put_sanitized(struct sk_buf *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len && p[i]; i++)
		if (is_printable(p[i]) && sk_buf_putc(out, (char)p[i]) < 0)
			return -E2BIG;
	return 0;
}

/* A name inside evt.args: sysdig 0.29 dropped non-printable bytes; current
 * libsinsp keeps them for the value's sanitizer (U+FFFD, fields.c). */
static int put_name(const struct sk_eval_ctx *c, struct sk_buf *out, const uint8_t *p,
		    size_t len)
{
	if (c->sysdig)
		return put_sanitized(out, p, len);
	return sk_buf_append(out, p, strnlen((const char *)p, len)) < 0 ? -E2BIG : 0;
}

static int put_ip_port(struct sk_buf *out, const uint8_t *ip, bool v6, uint16_t port)
{
	if (sk_render_ip(ip, v6, out) < 0)
		return -E2BIG;
	return sk_buf_printf(out, ":%u", port) < 0 ? -E2BIG : 0;
}

int sk_render_sockaddr(const uint8_t *p, uint32_t len, struct sk_buf *out)
{
	if (len == 0)
		return 0;
	switch (p[0]) {
	case PPM_AF_UNIX:
		return put_sanitized(out, p + 1, len - 1);
	case PPM_AF_INET:
		if (len != 7)
			return sk_buf_puts(out, "INVALID IPv4") < 0 ? -E2BIG : 0;
		return put_ip_port(out, p + 1, false, rd16(p + 5));
	case PPM_AF_INET6:
		if (len != 19)
			return sk_buf_puts(out, "INVALID IPv6") < 0 ? -E2BIG : 0;
		return put_ip_port(out, p + 1, true, rd16(p + 17));
	default:
		return sk_buf_printf(out, "family %d", (int)(int8_t)p[0]) < 0 ? -E2BIG : 0;
	}
}

static bool ipv4_mapped(const uint8_t *ip)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[16];
	return memcmp(ip, pre, 12) == 0 || memcmp(ip, zero, 16) == 0;
}

int sk_render_socktuple(const uint8_t *p, uint32_t len, struct sk_buf *out)
{
	if (len == 0)
		return 0;
	switch (p[0]) {
	case PPM_AF_INET:
		if (len != 13)
			return sk_buf_puts(out, "INVALID IPv4") < 0 ? -E2BIG : 0;
		if (put_ip_port(out, p + 1, false, rd16(p + 5)) < 0 || sk_buf_puts(out, "->") < 0)
			return -E2BIG;
		return put_ip_port(out, p + 7, false, rd16(p + 11));
	case PPM_AF_INET6: {
		if (len != 37)
			return sk_buf_puts(out, "INVALID IPv6") < 0 ? -E2BIG : 0;
		const uint8_t *sip = p + 1, *dip = p + 19;
		bool v4 = ipv4_mapped(sip) && ipv4_mapped(dip);
		if (put_ip_port(out, v4 ? sip + 12 : sip, !v4, rd16(p + 17)) < 0 ||
		    sk_buf_puts(out, "->") < 0)
			return -E2BIG;
		return put_ip_port(out, v4 ? dip + 12 : dip, !v4, rd16(p + 35));
	}
	case PPM_AF_UNIX:
		if (len < 17)
			return 0;
		if (sk_buf_printf(out, "%llx->%llx ", (unsigned long long)rd64(p + 1),
				  (unsigned long long)rd64(p + 9)) < 0)
			return -E2BIG;
		return put_sanitized(out, p + 17, len - 17);
	default:
		return sk_buf_printf(out, "family %d", (int)(int8_t)p[0]) < 0 ? -E2BIG : 0;
	}
}

int sk_render_bytes(const void *pv, size_t len, struct sk_buf *out)
{
	const unsigned char *p = pv;
	if (sk_buf_reserve(out, len + 1) < 0)
		return -E2BIG;
	for (size_t i = 0; i < len; i++)
		out->data[out->len++] = is_printable(p[i]) ? (char)p[i] : '.';
	out->data[out->len] = 0;
	return 0;
}

char sk_fd_typechar(uint8_t type)
{
	switch (type) {
	case SK_FD_FILE:
	case SK_FD_FILE_V2:
		return 'f';
	case SK_FD_DIRECTORY:
		return 'd';
	case SK_FD_IPV4_SOCK:
	case SK_FD_IPV4_SERVSOCK:
		return '4';
	case SK_FD_IPV6_SOCK:
	case SK_FD_IPV6_SERVSOCK:
		return '6';
	case SK_FD_UNIX_SOCK:
		return 'u';
	case SK_FD_FIFO:
		return 'p';
	case SK_FD_EVENT:
		return 'e';
	case SK_FD_SIGNALFD:
		return 's';
	case SK_FD_EVENTPOLL:
		return 'l';
	case SK_FD_INOTIFY:
		return 'i';
	case SK_FD_TIMERFD:
		return 't';
	case SK_FD_NETLINK:
		return 'n';
	case SK_FD_BPF:
		return 'b';
	case SK_FD_USERFAULTFD:
		return 'u';
	case SK_FD_IOURING:
		return 'r';
	case SK_FD_MEMFD:
		return 'm';
	case SK_FD_PIDFD:
		return 'P';
	case SK_FD_UNSUPPORTED:
		return 'X';
	default:
		return 'o';
	}
}

/* Joins base and a relative path the way libsinsp's concatenate_paths does
 * (resolving "./", "../", duplicate and trailing separators). Writes into
 * out (which must be empty). Absolute paths are normalised alone. */
static int join_path(struct sk_buf *out, const char *base, size_t blen, const char *path,
		     size_t plen)
{
	if (plen && path[0] != '/' && sk_buf_append(out, base, blen) < 0)
		return -E2BIG;
	if (sk_buf_reserve(out, plen + 2) < 0)
		return -E2BIG;
	char *t = out->data;
	size_t tc = out->len;
	size_t pc = 0;
	while (pc < plen && path[pc]) {
		unsigned char ch = (unsigned char)path[pc];
		if (!is_printable(ch)) {
			t[tc++] = '.';
			pc++;
		} else if (ch == '.' && pc + 1 < plen && path[pc + 1] == '.' &&
			   (pc + 2 >= plen || path[pc + 2] == '/' || path[pc + 2] == 0)) {
			/* "../" or trailing "..": back to the previous separator */
			if (tc > 1) {
				tc--;
				while (tc > 1 && t[tc - 1] != '/')
					tc--;
			}
			pc += (pc + 2 < plen && path[pc + 2] == '/') ? 3 : 2;
		} else if (ch == '.' && (pc + 1 >= plen || path[pc + 1] == 0)) {
			pc++;
		} else if (ch == '.' && path[pc + 1] == '/') {
			pc += 2;
		} else if (ch == '/' && tc > 0 && t[tc - 1] == '/') {
			pc++;
		} else {
			t[tc++] = (char)ch;
			pc++;
		}
	}
	if (tc > 1 && t[tc - 1] == '/')
		tc--;
	t[tc] = 0;
	out->len = tc;
	return 0;
}

static int render_fd(struct sk_eval_ctx *c, int64_t fd, struct sk_buf *raw, struct sk_buf *res)
{
	if (sk_buf_printf(raw, "%lld", (long long)fd) < 0)
		return -E2BIG;
	struct sk_thread *t = sk_fields_thread(c);
	if (!t)
		return 0;
	if (fd >= 0) {
		struct sk_fdinfo *fi = sk_state_fd(c->state, t, fd);
		if (!fi)
			return 0;
		char tc[3] = {sk_fd_typechar(fi->type), 0, 0};
		if (fi->type >= SK_FD_IPV4_SOCK && fi->type <= SK_FD_IPV6_SERVSOCK) {
			switch (sk_fd_l4proto(fi)) {
			case SK_L4_TCP: tc[1] = 't'; break;
			case SK_L4_UDP: tc[1] = 'u'; break;
			case SK_L4_ICMP: tc[1] = 'i'; break;
			case SK_L4_RAW: tc[1] = 'r'; break;
			default: break;
			}
		}
		if (sk_buf_printf(res, "<%s>", tc) < 0)
			return -E2BIG;
		return put_name(c, res, (const uint8_t *)fi->name.s, fi->name.len);
	}
	if (fd == AT_FDCWD_PPM)
		return sk_buf_puts(res, "AT_FDCWD") < 0 ? -E2BIG : 0;
	const char *e = sk_errno_name(fd);
	return e && sk_buf_puts(res, e) < 0 ? -E2BIG : 0;
}

/* Directory a relative path param is relative to: the dirfd's path + "/"
 * for FSRELPATH with a real dirfd, else the cwd. */
static int base_dir(struct sk_eval_ctx *c, const struct sk_event *ev, unsigned i,
		    struct sk_thread *t, struct sk_buf *out)
{
	const struct sk_param_info *pi = &ev->info->params[i];
	const struct sk_sstr *cwd = sk_state_cwd(c->state, t);
	if (pi->type == SK_PT_FSRELPATH && pi->dirfd >= 0 &&
	    ev->info->params[pi->dirfd].type == SK_PT_FD) {
		int64_t dirfd;
		if (sk_event_get_s64(ev, (unsigned)pi->dirfd, &dirfd) && dirfd != AT_FDCWD_PPM) {
			struct sk_fdinfo *fi = sk_state_fd(c->state, t, dirfd);
			if (!fi || fi->name.len == 0)
				return 0;
			if (put_name(c, out, (const uint8_t *)fi->name.s, fi->name.len) < 0 ||
			    sk_buf_putc(out, '/') < 0)
				return -E2BIG;
			return 0;
		}
	}
	return sk_buf_append(out, cwd->s, cwd->len) < 0 ? -E2BIG : 0;
}

static int render_num(struct sk_buf *raw, uint8_t fmt, bool sgn, int64_t sv, uint64_t uv,
		      unsigned bits)
{
	/* libsinsp prints with the width of the type; hex/oct of negatives wrap. */
	uint64_t mask = bits == 64 ? ~0ULL : ((1ULL << bits) - 1);
	switch (fmt) {
	case SK_PF_OCT:
		return sk_buf_printf(raw, "%#llo", (unsigned long long)(uv & mask));
	case SK_PF_HEX:
		return sk_buf_printf(raw, "%llX", (unsigned long long)(uv & mask));
	case SK_PF_10_PADDED_DEC:
		return sgn ? sk_buf_printf(raw, "%09lld", (long long)sv)
			   : sk_buf_printf(raw, "%09llu", (unsigned long long)uv);
	default:
		return sgn ? sk_buf_printf(raw, "%lld", (long long)sv)
			   : sk_buf_printf(raw, "%llu", (unsigned long long)uv);
	}
}

static int dyn_type(const char *table, uint8_t idx)
{
	if (!table)
		return -1;
	if (strncmp(table, "sockopt", 7) == 0) {
		static const uint8_t t[] = {SK_PT_BYTEBUF, SK_PT_ERRNO, SK_PT_UINT32, SK_PT_UINT64,
					    SK_PT_RELTIME};
		return idx < SK_ARRAY_LEN(t) ? t[idx] : -1;
	}
	if (strncmp(table, "ptrace", 6) == 0) {
		static const uint8_t t[] = {SK_PT_UINT64, SK_PT_SIGTYPE};
		return idx < SK_ARRAY_LEN(t) ? t[idx] : -1;
	}
	if (strncmp(table, "bpf", 3) == 0) {
		static const uint8_t t[] = {SK_PT_FD, SK_PT_ERRNO};
		return idx < SK_ARRAY_LEN(t) ? t[idx] : -1;
	}
	if (strncmp(table, "keyctl", 6) == 0) {
		static const uint8_t t[] = {SK_PT_INT64, SK_PT_CHARBUF};
		return idx < SK_ARRAY_LEN(t) ? t[idx] : -1;
	}
	return -1;
}


static int trunc_output(struct sk_eval_ctx *c, struct sk_buf *raw, size_t start)
{
	size_t n = raw->len - start;
	if (c->max_buf_output && n > c->max_buf_output) {
		size_t keep = c->max_buf_output;
		if (keep > 3)
			memset(raw->data + start + keep - 3, '.', 3);
		raw->len = start + keep;
		raw->data[raw->len] = 0;
	}
	return 0;
}

int sk_render_param(struct sk_eval_ctx *c, const struct sk_event *ev, unsigned i,
		    struct sk_buf *raw, struct sk_buf *res)
{
	uint32_t len;
	const uint8_t *p = sk_event_param(ev, i, &len);
	if (i >= ev->info->nparams)
		return 0;
	const struct sk_param_info *pi = &ev->info->params[i];
	/* an empty parameter: sysdig 0.29 prints NULL, current libsinsp <NA>
	 * (NULL still for an empty byte buffer) */
	if (!p || len == 0)
		return sk_buf_puts(raw, c->sysdig || pi->type == SK_PT_BYTEBUF ? "NULL" : "<NA>") < 0
			       ? -E2BIG
			       : 0;
	uint8_t type = pi->type;
	uint8_t fmt = pi->fmt;
	if (type == SK_PT_DYN) {
		int dt = dyn_type(pi->dyn_table, p[0]);
		if (dt < 0)
			return sk_buf_puts(raw, "INVALID DYNAMIC PARAMETER") < 0 ? -E2BIG : 0;
		type = (uint8_t)dt;
		p++;
		len--;
	}
	int fl = (int)sk_ptype_fixed_size(type);
	if (fl && (int)len < fl)
		return sk_buf_puts(raw, "NULL") < 0 ? -E2BIG : 0;
	int r = 0;
	switch (type) {
	case SK_PT_INT8:
		r = render_num(raw, fmt, true, (int8_t)p[0], (uint64_t)(int64_t)(int8_t)p[0], 8);
		break;
	case SK_PT_INT16: {
		int16_t v = (int16_t)rd16(p);
		r = render_num(raw, fmt, true, v, (uint64_t)(int64_t)v, 16);
		break;
	}
	case SK_PT_INT32: {
		int32_t v = (int32_t)rd32(p);
		r = render_num(raw, fmt, true, v, (uint64_t)(int64_t)v, 32);
		break;
	}
	case SK_PT_INT64: {
		int64_t v = (int64_t)rd64(p);
		r = render_num(raw, fmt, true, v, (uint64_t)v, 64);
		break;
	}
	case SK_PT_UINT8:
	case SK_PT_L4PROTO:
	case SK_PT_SOCKFAMILY:
		r = render_num(raw, fmt, false, p[0], p[0], 8);
		break;
	case SK_PT_UINT16:
	case SK_PT_PORT:
		r = render_num(raw, fmt, false, rd16(p), rd16(p), 16);
		break;
	case SK_PT_UINT32:
		r = render_num(raw, fmt, false, rd32(p), rd32(p), 32);
		break;
	case SK_PT_UINT64: {
		/* libsinsp prints UINT64 through a signed conversion: max = -1 */
		uint64_t v = rd64(p);
		r = render_num(raw, fmt, true, (int64_t)v, v, 64);
		break;
	}
	case SK_PT_BOOL:
		r = sk_buf_puts(raw, rd32(p) ? "true" : "false");
		break;
	case SK_PT_FD:
	case SK_PT_FD32: {
		int64_t fd = type == SK_PT_FD ? (int64_t)rd64(p) : (int32_t)rd32(p);
		return render_fd(c, fd, raw, res);
	}
	case SK_PT_PID:
	case SK_PT_PID32: {
		int64_t pid = type == SK_PT_PID ? (int64_t)rd64(p) : (int32_t)rd32(p);
		r = sk_buf_printf(raw, "%lld", (long long)pid);
		if (r >= 0 && c->state) {
			struct sk_thread *t = sk_state_thread(c->state, pid);
			if (t)
				r = put_name(c, res, (const uint8_t *)t->comm.s, t->comm.len);
		}
		break;
	}
	case SK_PT_ERRNO: {
		int64_t v = (int64_t)rd64(p);
		/* results that are addresses (mmap, brk) carry a HEX format,
		 * which sysdig 0.29 honours and current libsinsp does not */
		r = v >= 0 && fmt == SK_PF_HEX && c->sysdig
			    ? sk_buf_printf(raw, "%llX", (unsigned long long)v)
					      : sk_buf_printf(raw, "%lld", (long long)v);
		const char *e = v < 0 ? sk_errno_name(v) : NULL;
		if (r >= 0 && e)
			r = sk_buf_puts(res, e);
		break;
	}
	case SK_PT_CHARBUF: {
		size_t n = strnlen((const char *)p, len);
		r = sk_buf_append(raw, p, n);
		break;
	}
	case SK_PT_FSPATH:
	case SK_PT_FSRELPATH: {
		r = put_name(c, raw, p, len);
		struct sk_thread *t = sk_fields_thread(c);
		if (r < 0 || !t)
			break;
		size_t n = strnlen((const char *)p, len);
		if (n == 0 || p[0] == '/' || (n == 4 && memcmp(p, "<NA>", 4) == 0))
			break; /* absolute paths have no resolved form */
		struct sk_buf *base = sk_fields_scratch(c);
		if (base_dir(c, ev, i, t, base) < 0)
			return -E2BIG;
		r = join_path(res, base->data ? base->data : "", base->len, (const char *)p, n);
		break;
	}
	case SK_PT_BYTEBUF: {
		size_t start = raw->len;
		r = sk_render_bytes(p, len, raw);
		if (r >= 0)
			trunc_output(c, raw, start);
		break;
	}
	case SK_PT_SOCKADDR:
		r = sk_render_sockaddr(p, len, raw);
		break;
	case SK_PT_SOCKTUPLE:
		r = sk_render_socktuple(p, len, raw);
		break;
	case SK_PT_FDLIST: {
		struct sk_thread *t = sk_fields_thread(c);
		if (!t || len < 2)
			break;
		uint16_t n = rd16(p);
		for (uint32_t j = 0, pos = 2; j < n && pos + 10 <= len; j++, pos += 10) {
			int64_t fd = (int64_t)rd64(p + pos);
			int16_t fl16 = (int16_t)rd16(p + pos + 8);
			struct sk_fdinfo *fi = sk_state_fd(c->state, t, fd);
			char tch = fi ? sk_fd_typechar(fi->type) : '?';
			if (sk_buf_printf(raw, "%s%llu:%c%x", j ? " " : "", (unsigned long long)fd, tch,
					  (unsigned)(uint32_t)(int32_t)fl16) < 0)
				return -E2BIG;
		}
		break;
	}
	case SK_PT_SYSCALLID: {
		uint16_t id = rd16(p);
		const char *nm = sk_syscall_name(id);
		r = sk_buf_printf(raw, "%u", id);
		if (r >= 0 && nm)
			r = sk_buf_puts(res, nm);
		break;
	}
	case SK_PT_SIGTYPE: {
		const char *nm = sk_signal_name(p[0]);
		r = sk_buf_printf(raw, "%u", p[0]);
		if (r >= 0 && nm)
			r = sk_buf_puts(res, nm);
		break;
	}
	case SK_PT_RELTIME: {
		uint64_t v = rd64(p);
		if (v == UINT64_MAX) {
			r = sk_buf_puts(raw, "none");
			break;
		}
		r = sk_buf_printf(raw, "%llu", (unsigned long long)v);
		if (r >= 0)
			r = sk_buf_printf(res, "%gs", (double)v / 1e9);
		break;
	}
	case SK_PT_ABSTIME:
		r = sk_buf_printf(raw, "%llu", (unsigned long long)rd64(p));
		break;
	case SK_PT_FLAGS8:
	case SK_PT_FLAGS16:
	case SK_PT_FLAGS32:
	case SK_PT_ENUMFLAGS8:
	case SK_PT_ENUMFLAGS16:
	case SK_PT_ENUMFLAGS32: {
		uint32_t v = fl == 1 ? p[0] : fl == 2 ? rd16(p) : rd32(p);
		bool exact = type >= SK_PT_ENUMFLAGS8 && type <= SK_PT_ENUMFLAGS32;
		r = sk_buf_printf(raw, "%u", v);
		if (r >= 0 && exact && !c->sysdig)
			r = render_enum(pi->flags, v, res);
		else if (r >= 0)
			r = sk_render_flags(pi->flags, v, exact, res);
		break;
	}
	case SK_PT_MODE: {
		uint32_t v = rd32(p);
		r = render_num(raw, fmt, false, v, v, 32);
		if (r >= 0)
			r = sk_render_flags(pi->flags, v, false, res);
		break;
	}
	case SK_PT_UID:
	case SK_PT_GID: {
		uint32_t v = rd32(p);
		if (v == UINT32_MAX) {
			r = sk_buf_puts(raw, "-1");
			if (r >= 0)
				r = sk_buf_puts(res, "<NONE>");
			break;
		}
		r = sk_buf_printf(raw, "%d", (int)v);
		struct sk_thread *t = sk_fields_thread(c);
		if (r < 0 || !t)
			break;
		const char *nm = NULL;
		if (type == SK_PT_UID) {
			const struct sk_user *u = sk_fields_user(c, t, v);
			nm = u ? u->name : NULL;
		} else {
			const struct sk_group *g = sk_fields_group(c, t, v);
			nm = g ? g->name : NULL;
		}
		r = nm ? put_name(c, res, (const uint8_t *)nm, strlen(nm))
		       : sk_buf_puts(res, "<NA>");
		break;
	}
	case SK_PT_SIGSET: {
		uint32_t v = rd32(p);
		bool first = true;
		for (unsigned s = 0; s < 32; s++) {
			const char *nm = (v & (1u << s)) ? sk_signal_name(s + 1) : NULL;
			if (!nm)
				continue;
			if ((!first && sk_buf_putc(raw, ' ') < 0) || sk_buf_puts(raw, nm) < 0)
				return -E2BIG;
			first = false;
		}
		break;
	}
	case SK_PT_IPV4ADDR:
		r = sk_render_ip(p, false, raw);
		break;
	case SK_PT_IPV6ADDR:
		r = sk_render_ip(p, true, raw);
		break;
	case SK_PT_DOUBLE: {
		double d;
		memcpy(&d, p, 8);
		r = sk_buf_printf(raw, "%f", d);
		break;
	}
	default:
		r = sk_buf_puts(raw, "(n.a.)");
		break;
	}
	return r < 0 ? -E2BIG : 0;
}

int sk_render_args(struct sk_eval_ctx *c, const struct sk_event *ev, struct sk_buf *out)
{
	if (ev->type == 0 || ev->type == 1)
		return 0; /* generic events: their params are internal */
	struct sk_buf *raw = sk_fields_scratch(c);
	struct sk_buf *res = sk_fields_scratch(c);
	unsigned n = ev->nparams < ev->info->nparams ? ev->nparams : ev->info->nparams;
	for (unsigned i = 0; i < n; i++) {
		sk_buf_reset(raw);
		sk_buf_reset(res);
		if (sk_render_param(c, ev, i, raw, res) < 0)
			return -E2BIG;
		/* sysdig ends every argument with a space; current libsinsp
		 * separates them (no trailing space) */
		if (!c->sysdig && i > 0 && sk_buf_putc(out, ' ') < 0)
			return -E2BIG;
		if (sk_buf_printf(out, "%s=", ev->info->params[i].name) < 0 ||
		    sk_buf_append(out, sk_buf_cstr(raw), raw->len) < 0)
			return -E2BIG;
		if (res->len && sk_buf_printf(out, "(%s)", sk_buf_cstr(res)) < 0)
			return -E2BIG;
		if (c->sysdig && sk_buf_putc(out, ' ') < 0)
			return -E2BIG;
	}
	return 0;
}
