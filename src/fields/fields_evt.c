/* fields_evt.c — the evt.* class: what can be read off the event itself
 * (number, time, type, direction, cpu, arguments, result, category, I/O
 * flags), plus the few that need the event's fd (buflen, is_syslog). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fields_priv.h"
#include "state/state.h"

#define NS 1000000000ULL
#define PPM_O_RDONLY 1u
#define PPM_O_WRONLY 2u
#define PPM_O_CREAT 4u
#define PPM_O_TMPFILE 8192u
#define PPM_O_F_CREATED 16384u
#define EXEC_BITS (0100u | 0010u | 0001u)

enum { EV_GENERIC_E = 0, EV_GENERIC_X = 1, EV_ASYNC = 402 };

/* Index of the named param in this event, or -1. */
static int param_idx(const struct sk_event *ev, const char *name)
{
	int i = sk_event_param_index(ev->info, name);
	return i >= 0 && (uint32_t)i < ev->nparams ? i : -1;
}

static bool param_s64(const struct sk_event *ev, const char *name, int64_t *out)
{
	int i = param_idx(ev, name);
	return i >= 0 && sk_event_get_s64(ev, (unsigned)i, out);
}

static bool param_u64(const struct sk_event *ev, const char *name, uint64_t *out)
{
	int i = param_idx(ev, name);
	return i >= 0 && sk_event_get_u64(ev, (unsigned)i, out);
}

/* The result of the event: "res", or for fd-creating exit events "fd"; for
 * Falco 0.44 also the id the get[e]uid/get[e]gid exits carry first (the
 * result of a syscall exit is its first parameter). */
static bool event_res(const struct sk_eval_ctx *c, const struct sk_event *ev, int64_t *res,
		      const char **pname)
{
	if (param_s64(ev, "res", res)) {
		*pname = "res";
		return true;
	}
	if ((ev->info->flags & SK_EF_CREATES_FD) && (ev->type & 1) && param_s64(ev, "fd", res)) {
		*pname = "fd";
		return true;
	}
	if (!c->sysdig && (ev->type & 1) && (ev->info->category & SK_EC_SYSCALL) &&
	    ev->nparams > 0 && ev->info->nparams > 0 &&
	    (ev->info->params[0].type == SK_PT_UID || ev->info->params[0].type == SK_PT_GID)) {
		uint64_t u;
		if (!sk_event_get_u64(ev, 0, &u))
			return false;
		*res = (int64_t)u;
		*pname = ev->info->params[0].name;
		return true;
	}
	return false;
}

static const char *event_type_name(const struct sk_eval_ctx *c, const struct sk_event *ev)
{
	if (ev->type == EV_GENERIC_E || ev->type == EV_GENERIC_X) {
		uint64_t id = 0, nr;
		const char *n = sk_event_get_u64(ev, 0, &id) ? sk_syscall_name((uint32_t)id) : NULL;
		/* old captures: ID 0 (unknown to that driver) and the native
		 * number, by which current libsinsp names the syscall (sysdig
		 * 0.29 shows <unknown>) */
		if (id == 0 && !c->sysdig && sk_event_get_u64(ev, 1, &nr) &&
		    sk_syscall_native_name((uint32_t)nr))
			n = sk_syscall_native_name((uint32_t)nr);
		return n ? n : "syscall";
	}
	if (ev->type == EV_ASYNC) {
		const char *n = sk_event_get_str(ev, 1);
		if (n)
			return n;
	}
	return ev->info->name;
}

static size_t fmt_time(struct sk_eval_ctx *c, struct sk_value *out, uint64_t ts, bool date,
		       bool ns, bool iso)
{
	struct sk_buf *b = sk_fields_scratch(c);
	time_t sec = (time_t)(ts / NS);
	unsigned nsec = (unsigned)(ts % NS);
	struct tm tm;
	char tmp[64];
	if (iso) {
		if (!gmtime_r(&sec, &tm))
			return 0;
		strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
		if (sk_buf_printf(b, "%s.%09u+0000", tmp, nsec) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	if (!localtime_r(&sec, &tm))
		return 0;
	if (date) {
		strftime(tmp, sizeof(tmp), "%Y-%m-%d ", &tm);
		if (sk_buf_puts(b, tmp) < 0)
			return 0;
	}
	int r = ns ? sk_buf_printf(b, "%02d:%02d:%02d.%09u", tm.tm_hour, tm.tm_min, tm.tm_sec, nsec)
		   : sk_buf_printf(b, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	return r < 0 ? 0 : sk_val_buf(out, b);
}

static const char *category_name(struct sk_eval_ctx *c, const struct sk_event *ev)
{
	/* wait and scheduler events carry no base category of their own */
	if ((ev->info->category & 0x3f) == SK_EC_UNKNOWN) {
		if (ev->info->category & SK_EC_WAIT)
			return "wait";
		if (ev->info->category & SK_EC_SCHEDULER)
			return "scheduler";
		if ((ev->info->category & SK_EC_INTERNAL) && !c->sysdig)
			return "internal";
	}
	switch (ev->info->category & 0x3f) {
	case SK_EC_UNKNOWN: return "unknown";
	case SK_EC_OTHER: return "other";
	case SK_EC_FILE: return "file";
	case SK_EC_NET: return "net";
	case SK_EC_IPC: return "IPC";
	case SK_EC_MEMORY: return "memory";
	case SK_EC_PROCESS: return "process";
	case SK_EC_SLEEP: return "sleep";
	case SK_EC_SYSTEM: return "system";
	case SK_EC_SIGNAL: return "signal";
	case SK_EC_USER: return "user";
	case SK_EC_TIME: return "time";
	case SK_EC_PROCESSING: return "processing";
	case SK_EC_IO_READ:
	case SK_EC_IO_WRITE:
	case SK_EC_IO_OTHER: {
		struct sk_fdinfo *fi = sk_fields_fdinfo(c);
		if (!fi)
			return "unknown";
		switch (fi->type) {
		case SK_FD_FILE:
		case SK_FD_FILE_V2:
		case SK_FD_DIRECTORY:
			return "file";
		case SK_FD_IPV4_SOCK:
		case SK_FD_IPV6_SOCK:
		case SK_FD_IPV4_SERVSOCK:
		case SK_FD_IPV6_SERVSOCK:
			return "net";
		case SK_FD_FIFO:
		case SK_FD_UNIX_SOCK:
		case SK_FD_EVENT:
		case SK_FD_SIGNALFD:
		case SK_FD_INOTIFY:
			return "ipc";
		default:
			return "unknown";
		}
	}
	default:
		if (ev->info->category & SK_EC_WAIT)
			return "wait";
		if (ev->info->category & SK_EC_SCHEDULER)
			return "scheduler";
		if ((ev->info->category & SK_EC_INTERNAL) && !c->sysdig)
			return "internal";
		return "unknown";
	}
}

static bool is_io_cat(const struct sk_event *ev)
{
	uint32_t k = ev->info->category & 0x3f;
	return k == SK_EC_IO_READ || k == SK_EC_IO_WRITE || k == SK_EC_IO_OTHER;
}

/* evt.buflen*: the byte count of an I/O exit event on a known fd. */
static size_t buflen(struct sk_eval_ctx *c, const struct sk_event *ev, struct sk_value *out,
		     int want_dir, int want_kind)
{
	struct sk_fdinfo *fi = sk_fields_fdinfo(c);
	if (!fi || !is_io_cat(ev) || !(ev->type & 1))
		return 0;
	uint32_t k = ev->info->category & 0x3f;
	if (want_dir == 1 && k != SK_EC_IO_READ)
		return 0;
	if (want_dir == 2 && k != SK_EC_IO_WRITE)
		return 0;
	if (want_kind == 1 && fi->type != SK_FD_FILE && fi->type != SK_FD_FILE_V2)
		return 0;
	if (want_kind == 2 && !(fi->type >= SK_FD_IPV4_SOCK && fi->type <= SK_FD_IPV6_SERVSOCK))
		return 0;
	int64_t res;
	if (!param_s64(ev, "res", &res) || res < 0)
		return 0;
	return sk_val_u64(out, SK_PT_UINT64, (uint64_t)res);
}

/* evt.is_open_*: open-family exit events, judged by their flags (and for
 * exec, the mode of a created file). */
static size_t is_open(const struct sk_event *ev, struct sk_value *out, enum sk_field_id id)
{
	const char *n = ev->info->name;
	bool openish = (ev->type & 1) &&
		       (strcmp(n, "open") == 0 || strcmp(n, "openat") == 0 ||
			strcmp(n, "openat2") == 0 || strcmp(n, "open_by_handle_at") == 0);
	bool creat = (ev->type & 1) && strcmp(n, "creat") == 0;
	uint64_t flags = 0, mode = 0;
	bool r = false;
	if (openish && param_u64(ev, "flags", &flags)) {
		bool has_mode = param_u64(ev, "mode", &mode);
		switch (id) {
		case SK_F_EVT_IS_OPEN_READ:
			r = flags & PPM_O_RDONLY;
			break;
		case SK_F_EVT_IS_OPEN_WRITE:
			r = flags & PPM_O_WRONLY;
			break;
		case SK_F_EVT_IS_OPEN_EXEC:
			r = has_mode && (flags & (PPM_O_TMPFILE | PPM_O_CREAT)) && (mode & EXEC_BITS);
			break;
		case SK_F_EVT_IS_OPEN_CREATE:
			r = (flags & PPM_O_F_CREATED) != 0;
			break;
		default:
			break;
		}
	} else if (creat) {
		if (id == SK_F_EVT_IS_OPEN_EXEC)
			r = param_u64(ev, "mode", &mode) && (mode & EXEC_BITS);
		else if (id == SK_F_EVT_IS_OPEN_CREATE) {
			uint64_t cf = 0;
			r = param_u64(ev, "creat_flags", &cf) && (cf & 1);
		}
	}
	return sk_val_bool(out, r);
}

/* evt.abspath[.src|.dst]: the absolute path of a dirfd-relative (*at)
 * syscall, joined as libsinsp does: an absolute path as is, a relative one to
 * the cwd (AT_FDCWD) or to the dirfd's name plus "/" ("<UNKNOWN>/" when the fd
 * is unknown). Other events have no value. `.dst` selects the second path of
 * rename/link. */
struct abspath_args {
	const char *dirfd, *path;
};

static struct abspath_args abspath_args(uint16_t type, int sub)
{
	bool dst = sub == 2;
	switch (type) {
	case 177: /* renameat */
	case 319: /* renameat2 */
		return dst ? (struct abspath_args){"newdirfd", "newpath"}
			   : (struct abspath_args){"olddirfd", "oldpath"};
	case 311: /* linkat */
		return dst ? (struct abspath_args){"newdir", "newpath"}
			   : (struct abspath_args){"olddir", "oldpath"};
	case 181: return (struct abspath_args){"linkdirfd", "linkpath"}; /* symlinkat */
	case 307: /* openat */
	case 327: return (struct abspath_args){"dirfd", "name"}; /* openat2 */
	case 303: return (struct abspath_args){"dirfd", "name"}; /* unlinkat */
	case 305: return (struct abspath_args){"dirfd", "path"}; /* mkdirat */
	case 313: return (struct abspath_args){"dirfd", "filename"}; /* fchmodat */
	case 385: return (struct abspath_args){"dirfd", "pathname"}; /* fchownat */
	default: return (struct abspath_args){NULL, NULL};
	}
}

static size_t abspath(const struct sk_fieldref *f, struct sk_eval_ctx *c,
		      const struct sk_event *ev, struct sk_value *out)
{
	struct sk_thread *t = sk_fields_thread(c);
	if (!t)
		return 0;
	char norm[SK_STATE_PATH_MAX];
	struct sk_buf *b = sk_fields_scratch(c);
	if (ev->type == 337) { /* open_by_handle_at: the path the driver resolved */
		int64_t fd;
		const char *p = sk_event_get_str(ev, 3);
		if (!sk_event_get_s64(ev, 0, &fd) || fd <= 0 || !p)
			return 0;
		size_t n = sk_state_path_join(norm, "", 0, p);
		return sk_buf_append(b, norm, n) < 0 ? 0 : sk_val_buf(out, b);
	}
	struct abspath_args a = abspath_args(ev->type, f->sub);
	int di = a.dirfd ? param_idx(ev, a.dirfd) : -1, pi = a.path ? param_idx(ev, a.path) : -1;
	int64_t dirfd;
	const char *path = pi >= 0 ? sk_event_get_str(ev, (unsigned)pi) : NULL;
	if (di < 0 || !path || !sk_event_get_s64(ev, (unsigned)di, &dirfd))
		return 0;
	return sk_fields_dirfd_path(c, t, dirfd, path, b) ? sk_val_buf(out, b) : 0;
}

size_t sk_fields_dirfd_path(struct sk_eval_ctx *c, struct sk_thread *t, int64_t dirfd,
			    const char *path, struct sk_buf *b)
{
	char norm[SK_STATE_PATH_MAX];
	int rc = 0;
	sk_buf_reset(b);
	if (path[0] == '/') {
		rc = sk_buf_putc(b, '.');
	} else if (dirfd == -100) { /* PPM_AT_FDCWD */
		const struct sk_sstr *cwd = sk_state_cwd(c->state, t);
		if (cwd)
			rc = sk_buf_append(b, cwd->s, cwd->len);
	} else {
		const struct sk_fdinfo *fi = sk_state_fd(c->state, t, dirfd);
		if (!fi)
			rc = sk_buf_puts(b, "<UNKNOWN>/");
		else if ((rc = sk_buf_append(b, fi->name.s, fi->name.len)) == 0)
			rc = sk_buf_putc(b, '/');
	}
	if (rc < 0)
		return 0;
	size_t n = sk_state_path_join(norm, b->data ? b->data : "", b->len, path);
	sk_buf_reset(b);
	return sk_buf_append(b, norm, n) < 0 ? 0 : n;
}

static size_t arg_value(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			const struct sk_event *ev, struct sk_value *out, bool raw_only)
{
	unsigned i;
	if (f->argidx) {
		if (ev->type >= SK_EVENT_MAX || f->argidx[ev->type] == SK_ARGIDX_NONE)
			return 0;
		i = f->argidx[ev->type];
	} else {
		i = (unsigned)f->index;
	}
	if (i >= ev->nparams || i >= ev->info->nparams)
		return 0;
	if (raw_only) {
		uint32_t len;
		const uint8_t *p = sk_event_param(ev, i, &len);
		const struct sk_param_info *pi = &ev->info->params[i];
		if (!p)
			return 0;
		int64_t s;
		uint64_t u;
		switch (pi->type) {
		case SK_PT_CHARBUF:
		case SK_PT_FSPATH:
		case SK_PT_FSRELPATH:
			return sk_val_str(out, (const char *)p, strnlen((const char *)p, len));
		case SK_PT_BYTEBUF:
			out->type = SK_PT_BYTEBUF;
			out->str.p = (const char *)p;
			out->str.len = len;
			return 1;
		default:
			if (sk_event_get_s64(ev, i, &s) &&
			    (pi->type == SK_PT_INT8 || pi->type == SK_PT_INT16 ||
			     pi->type == SK_PT_INT32 || pi->type == SK_PT_INT64 ||
			     pi->type == SK_PT_ERRNO || pi->type == SK_PT_FD || pi->type == SK_PT_PID ||
			     pi->type == SK_PT_FD32 || pi->type == SK_PT_PID32))
				return sk_val_s64(out, pi->type, s);
			if (sk_event_get_u64(ev, i, &u))
				return sk_val_u64(out, pi->type, u);
			break;
		}
		/* sockaddrs, tuples, fd lists: their rendering */
	}
	struct sk_buf *raw = sk_fields_scratch(c), *res = sk_fields_scratch(c);
	if (sk_render_param(c, ev, i, raw, res) < 0)
		return 0;
	return res->len ? sk_val_buf(out, res) : sk_val_buf(out, raw);
}

/* The time fields every source has, for an event at ts. */
static size_t time_field(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
			 uint64_t ts)
{
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_EVT_TIME:
	case SK_F_EVT_OUTPUTTIME:
		return fmt_time(c, out, ts, false, true, false);
	case SK_F_EVT_TIME_S:
		return fmt_time(c, out, ts, false, false, false);
	case SK_F_EVT_TIME_ISO8601:
		return fmt_time(c, out, ts, false, true, true);
	case SK_F_EVT_DATETIME:
		return fmt_time(c, out, ts, true, true, false);
	case SK_F_EVT_DATETIME_S:
		return fmt_time(c, out, ts, true, false, false);
	case SK_F_EVT_RAWTIME:
		return sk_val_u64(out, SK_PT_ABSTIME, ts);
	case SK_F_EVT_RAWTIME_S:
		return sk_val_u64(out, SK_PT_ABSTIME, ts / NS);
	case SK_F_EVT_RAWTIME_NS:
		return sk_val_u64(out, SK_PT_ABSTIME, ts % NS);
	case SK_F_EVT_RELTIME:
		return sk_val_u64(out, SK_PT_RELTIME, ts - c->first_ts);
	case SK_F_EVT_RELTIME_S:
		return sk_val_u64(out, SK_PT_RELTIME, (ts - c->first_ts) / NS);
	case SK_F_EVT_RELTIME_NS:
		return sk_val_u64(out, SK_PT_RELTIME, (ts - c->first_ts) % NS);
	default:
		return 0;
	}
}

/* The machine's name for audit events (they carry none): $FALCO_HOSTNAME or
 * gethostname(), read once. */
static char audit_host[256];
static pthread_once_t audit_host_once = PTHREAD_ONCE_INIT;

static void audit_host_init(void)
{
	const char *env = getenv("FALCO_HOSTNAME");
	if (env && *env)
		sk_strlcpy(audit_host, env, sizeof(audit_host));
	else if (gethostname(audit_host, sizeof(audit_host) - 1) < 0)
		audit_host[0] = 0;
}

static const char *audit_hostname(void)
{
	pthread_once(&audit_host_once, audit_host_init);
	return audit_host;
}

/* The generic evt.* fields of a k8s_audit event (no syscall event: the
 * context holds the audit document, its number and its time). */
static size_t audit_evt(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out)
{
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_EVT_NUM:
		return sk_val_u64(out, SK_PT_UINT64, c->audit_num);
	case SK_F_EVT_SOURCE:
		return sk_val_cstr(out, "k8s_audit");
	case SK_F_EVT_PLUGINNAME:
		return sk_val_cstr(out, "k8saudit");
	case SK_F_EVT_IS_ASYNC:
		return sk_val_bool(out, false);
	case SK_F_EVT_HOSTNAME: {
		const char *h = audit_hostname();
		return h[0] ? sk_val_cstr(out, h) : 0;
	}
	default:
		return time_field(f, c, out, c->audit_ts);
	}
}

size_t sk_fx_evt(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		 size_t max)
{
	(void)max;
	const struct sk_event *ev = c->ev;
	if (!ev)
		return c->audit ? audit_evt(f, c, out) : 0;
	int64_t res;
	const char *rname;
	uint32_t eflags = ev->info->flags;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_EVT_NUM:
		return sk_val_u64(out, SK_PT_UINT64, ev->num);
	case SK_F_EVT_TIME:
	case SK_F_EVT_OUTPUTTIME:
	case SK_F_EVT_TIME_S:
	case SK_F_EVT_TIME_ISO8601:
	case SK_F_EVT_DATETIME:
	case SK_F_EVT_DATETIME_S:
	case SK_F_EVT_RAWTIME:
	case SK_F_EVT_RAWTIME_S:
	case SK_F_EVT_RAWTIME_NS:
	case SK_F_EVT_RELTIME:
	case SK_F_EVT_RELTIME_S:
	case SK_F_EVT_RELTIME_NS:
		return time_field(f, c, out, ev->ts);
	case SK_F_EVT_DELTATIME:
		return sk_val_u64(out, SK_PT_RELTIME, ev->ts - c->prev_ts);
	case SK_F_EVT_DELTATIME_S:
		return sk_val_u64(out, SK_PT_RELTIME, (ev->ts - c->prev_ts) / NS);
	case SK_F_EVT_DELTATIME_NS:
		return sk_val_u64(out, SK_PT_RELTIME, (ev->ts - c->prev_ts) % NS);
	case SK_F_EVT_LATENCY:
	case SK_F_EVT_LATENCY_S:
	case SK_F_EVT_LATENCY_NS:
		/* enter events are gone: no latency to measure (as current Falco) */
		return sk_val_u64(out, SK_PT_RELTIME, 0);
	case SK_F_EVT_LATENCY_HUMAN:
		return sk_val_cstr(out, "0ns");
	case SK_F_EVT_SOURCE:
		return sk_val_cstr(out, "syscall");
	case SK_F_EVT_IS_ASYNC:
		return sk_val_bool(out, ev->type == EV_ASYNC);
	case SK_F_EVT_ASYNCTYPE:
		return ev->type == EV_ASYNC ? sk_val_cstr(out, event_type_name(c, ev)) : 0;
	case SK_F_EVT_HOSTNAME: {
		const struct sk_scap_machine *m = c->state ? sk_state_machine(c->state) : NULL;
		return m && m->hostname[0] ? sk_val_cstr(out, m->hostname) : 0;
	}
	case SK_F_EVT_DIR:
		return sk_val_cstr(out, (ev->type & 1) ? "<" : ">");
	case SK_F_EVT_TYPE:
		return sk_val_cstr(out, event_type_name(c, ev));
	case SK_F_EVT_TYPE_IS:
		return sk_val_u64(out, SK_PT_UINT32,
				  ev->type < SK_EVENT_MAX && f->argidx && f->argidx[ev->type]);
	case SK_F_SYSCALL_TYPE:
		if (!(ev->info->category & SK_EC_SYSCALL))
			return 0;
		return sk_val_cstr(out, event_type_name(c, ev));
	case SK_F_EVT_CATEGORY:
		return sk_val_cstr(out, category_name(c, ev));
	case SK_F_EVT_CPU:
		return sk_val_s64(out, SK_PT_INT16, ev->cpuid);
	case SK_F_EVT_ARGS:
	case SK_F_EVT_INFO: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_render_args(c, ev, b) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_EVT_ARG:
		return arg_value(f, c, ev, out, false);
	case SK_F_EVT_RAWARG:
		return arg_value(f, c, ev, out, true);
	case SK_F_EVT_BUFFER: {
		int i = param_idx(ev, "data");
		uint32_t len;
		const uint8_t *p = i >= 0 ? sk_event_param(ev, (unsigned)i, &len) : NULL;
		if (i < 0 || ev->info->params[i].type != SK_PT_BYTEBUF)
			return 0;
		out->type = SK_PT_BYTEBUF;
		out->str.p = p ? (const char *)p : "";
		out->str.len = p ? len : 0;
		return 1;
	}
	case SK_F_EVT_BUFLEN:
		return buflen(c, ev, out, 0, 0);
	case SK_F_EVT_BUFLEN_IN:
		return buflen(c, ev, out, 1, 0);
	case SK_F_EVT_BUFLEN_OUT:
		return buflen(c, ev, out, 2, 0);
	case SK_F_EVT_BUFLEN_FILE:
		return buflen(c, ev, out, 0, 1);
	case SK_F_EVT_BUFLEN_FILE_IN:
		return buflen(c, ev, out, 1, 1);
	case SK_F_EVT_BUFLEN_FILE_OUT:
		return buflen(c, ev, out, 2, 1);
	case SK_F_EVT_BUFLEN_NET:
		return buflen(c, ev, out, 0, 2);
	case SK_F_EVT_BUFLEN_NET_IN:
		return buflen(c, ev, out, 1, 2);
	case SK_F_EVT_BUFLEN_NET_OUT:
		return buflen(c, ev, out, 2, 2);
	case SK_F_EVT_RES:
		if (!event_res(c, ev, &res, &rname))
			return 0;
		if (res >= 0)
			return sk_val_cstr(out, "SUCCESS");
		{
			const char *e = sk_errno_name(res);
			if (e)
				return sk_val_cstr(out, e);
			struct sk_buf *b = sk_fields_scratch(c);
			if (sk_buf_printf(b, "%lld", (long long)res) < 0)
				return 0;
			return sk_val_buf(out, b);
		}
	case SK_F_EVT_RAWRES:
		if (!event_res(c, ev, &res, &rname))
			return 0;
		return sk_val_s64(out, SK_PT_INT64, res);
	case SK_F_EVT_FAILED:
		/* no value for events without a result (Falco 0.44: generic
		 * syscalls, procinfo, switch, signaldeliver, procexit) */
		if (!event_res(c, ev, &res, &rname))
			return c->sysdig ? sk_val_bool(out, false) : 0;
		return sk_val_bool(out, res < 0);
	case SK_F_EVT_IS_IO:
		return sk_val_bool(out, eflags & (SK_EF_READS_FROM_FD | SK_EF_WRITES_TO_FD));
	case SK_F_EVT_IS_IO_READ:
		return sk_val_bool(out, eflags & SK_EF_READS_FROM_FD);
	case SK_F_EVT_IS_IO_WRITE:
		return sk_val_bool(out, eflags & SK_EF_WRITES_TO_FD);
	case SK_F_EVT_IO_DIR:
		if (eflags & SK_EF_WRITES_TO_FD)
			return sk_val_cstr(out, "write");
		if (eflags & SK_EF_READS_FROM_FD)
			return sk_val_cstr(out, "read");
		return 0;
	case SK_F_EVT_IS_WAIT:
		return sk_val_bool(out, eflags & SK_EF_WAITS);
	case SK_F_EVT_WAIT_LATENCY:
		return (eflags & SK_EF_WAITS) && (ev->type & 1) ? sk_val_u64(out, SK_PT_RELTIME, 0)
								: 0;
	case SK_F_EVT_IS_SYSLOG: {
		struct sk_fdinfo *fi = sk_fields_fdinfo(c);
		bool r = (eflags & SK_EF_WRITES_TO_FD) && fi && fi->name.len &&
			 strstr(fi->name.s, "/dev/log");
		return sk_val_bool(out, r);
	}
	case SK_F_EVT_COUNT:
		return sk_val_u64(out, SK_PT_UINT32, 1);
	case SK_F_EVT_COUNT_ERROR:
	case SK_F_EVT_COUNT_ERROR_FILE:
	case SK_F_EVT_COUNT_ERROR_NET:
	case SK_F_EVT_COUNT_ERROR_MEMORY:
	case SK_F_EVT_COUNT_ERROR_OTHER: {
		bool failed = false;
		if (event_res(c, ev, &res, &rname))
			failed = res < 0;
		else if (!c->sysdig)
			return 0;
		if (f->def->id != SK_F_EVT_COUNT_ERROR) {
			/* file and net go by the fd's type: an event without an fd
			 * (access, stat) counts as "other" in Falco 0.44 */
			struct sk_fdinfo *fi = sk_fields_fdinfo(c);
			uint8_t t = fi ? fi->type : 0;
			bool file = fi ? (t == SK_FD_FILE || t == SK_FD_FILE_V2 || t == SK_FD_DIRECTORY)
				       : c->sysdig && (ev->info->category & 0x3f) == SK_EC_FILE;
			bool net = fi ? ((t >= SK_FD_IPV4_SOCK && t <= SK_FD_IPV6_SERVSOCK) ||
					 t == SK_FD_UNIX_SOCK)
				      : c->sysdig && (ev->info->category & 0x3f) == SK_EC_NET;
			bool mem = (ev->info->category & 0x3f) == SK_EC_MEMORY;
			switch (f->def->id) {
			case SK_F_EVT_COUNT_ERROR_FILE: if (!file) return 0; break;
			case SK_F_EVT_COUNT_ERROR_NET: if (!net) return 0; break;
			case SK_F_EVT_COUNT_ERROR_MEMORY: if (!mem) return 0; break;
			default: if (file || net || mem) return 0; break;
			}
		}
		return sk_val_u64(out, SK_PT_UINT32, failed);
	}
	case SK_F_EVT_COUNT_EXIT:
		return (ev->type & 1) ? sk_val_u64(out, SK_PT_UINT32, 1) : 0;
	case SK_F_EVT_ABSPATH:
		return abspath(f, c, ev, out);
	case SK_F_EVT_IS_OPEN_READ:
	case SK_F_EVT_IS_OPEN_WRITE:
	case SK_F_EVT_IS_OPEN_EXEC:
	case SK_F_EVT_IS_OPEN_CREATE:
		return is_open(ev, out, (enum sk_field_id)f->def->id);
	default:
		/* registered, not extracted (plugins, infra events, around) */
		return 0;
	}
}
