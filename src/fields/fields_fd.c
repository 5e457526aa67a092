/* fields_fd.c — the fd.* class: the file descriptor the event uses (as
 * the state resolved it): number, type, name and its parts, socket
 * endpoints seen as client/server and local/remote, protocol, flags. */
#include <arpa/inet.h>
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

const char *sk_fd_type_name(uint8_t type)
{
	switch (type) {
	case SK_FD_FILE:
	case SK_FD_FILE_V2: return "file";
	case SK_FD_DIRECTORY: return "directory";
	case SK_FD_IPV4_SOCK:
	case SK_FD_IPV4_SERVSOCK: return "ipv4";
	case SK_FD_IPV6_SOCK:
	case SK_FD_IPV6_SERVSOCK: return "ipv6";
	case SK_FD_FIFO: return "pipe";
	case SK_FD_UNIX_SOCK: return "unix";
	case SK_FD_EVENT: return "event";
	case SK_FD_UNSUPPORTED: return "unknown";
	case SK_FD_SIGNALFD: return "signalfd";
	case SK_FD_EVENTPOLL: return "eventpoll";
	case SK_FD_INOTIFY: return "inotify";
	case SK_FD_TIMERFD: return "timerfd";
	case SK_FD_NETLINK: return "netlink";
	case SK_FD_BPF: return "bpf";
	case SK_FD_USERFAULTFD: return "userfaultfd";
	case SK_FD_IOURING: return "io_uring";
	case SK_FD_MEMFD: return "memfd";
	case SK_FD_PIDFD: return "pidfd";
	default: return NULL;
	}
}

static bool is_sock(const struct sk_fdinfo *fi)
{
	return fi->type >= SK_FD_IPV4_SOCK && fi->type <= SK_FD_IPV6_SERVSOCK;
}

static bool is_server(const struct sk_fdinfo *fi)
{
	return fi->type == SK_FD_IPV4_SERVSOCK || fi->type == SK_FD_IPV6_SERVSOCK;
}

static bool is_v6(const struct sk_fdinfo *fi)
{
	return fi->type == SK_FD_IPV6_SOCK || fi->type == SK_FD_IPV6_SERVSOCK;
}

static bool is_file(const struct sk_fdinfo *fi)
{
	return fi->type == SK_FD_FILE || fi->type == SK_FD_FILE_V2 ||
	       fi->type == SK_FD_DIRECTORY;
}

static size_t ipval(struct sk_value *out, const struct sk_fdinfo *fi, const uint8_t *ip)
{
	memset(&out->ip, 0, sizeof(out->ip));
	bool v6 = is_v6(fi);
	/* IPv4-mapped IPv6 endpoints read as IPv4, as libsinsp shows them */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (v6 && memcmp(ip, mapped, 12) == 0) {
		memcpy(out->ip.b, ip + 12, 4);
		v6 = false;
	} else {
		memcpy(out->ip.b, ip, v6 ? 16 : 4);
	}
	out->ip.v6 = v6;
	out->ip.prefix = v6 ? 128 : 32;
	out->type = v6 ? SK_PT_IPV6ADDR : SK_PT_IPV4ADDR;
	return 1;
}

/* A connected socket (not a listening one): the only kind with client,
 * local and remote ends. */
static bool is_conn(const struct sk_fdinfo *fi)
{
	return fi->type == SK_FD_IPV4_SOCK || fi->type == SK_FD_IPV6_SOCK;
}

/* Neither client nor server: libsinsp gives no client/server/local/remote
 * end for such a socket (IPv6 sockets from the capture's fd table, sockets
 * whose connect/accept was not seen). */
static bool role_none(const struct sk_fdinfo *fi)
{
	return !(fi->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER));
}

/* libsinsp's "address of this machine" test (is_ipvXaddr_in_local_machine):
 * an interface address, or for a thread in a container the container's own
 * IPv4 address when its metadata names one (Falco 0.44's container plugin
 * learns it from the runtime; from cgroups alone, as in the shared captures,
 * it knows none and a container's sockets have no local end). */
static bool ip_is_local(struct sk_eval_ctx *c, const struct sk_fdinfo *fi, const uint8_t *ip)
{
	struct sk_thread *t = sk_fields_thread(c);
	if (t && t->container && is_v6(fi)) /* libsinsp: no IPv6 networking for containers */
		return false;
	if (c->state && sk_state_ip_is_local(c->state, ip, is_v6(fi)))
		return true;
	if (!t || !t->container || is_v6(fi))
		return false;
	const struct sk_container_meta *m = sk_thread_container_meta(t);
	struct in_addr a;
	return m && m->ip && *m->ip && inet_pton(AF_INET, m->ip, &a) == 1 && !memcmp(&a, ip, 4);
}

/* Local side is the client side (the source address is this machine's):
 * libsinsp decides fd.l* / fd.r* by the source address alone. */
static bool local_is_client(struct sk_eval_ctx *c, const struct sk_fdinfo *fi)
{
	return ip_is_local(c, fi, fi->sip);
}

/* fd.*proto: the port as a number. Falco and sysdig print service names
 * only with port resolution enabled, which is off by default. */
static size_t proto_name(struct sk_eval_ctx *c, const struct sk_fdinfo *fi, uint16_t port,
			 struct sk_value *out)
{
	(void)fi;
	struct sk_buf *b = sk_fields_scratch(c);
	if (sk_buf_printf(b, "%u", port) < 0)
		return 0;
	return sk_val_buf(out, b);
}

/* The directory part of a file name as libsinsp cuts it: up to the last
 * '/', the whole name when that '/' ends it, "/" when there is none or it
 * is the first character. Sets *len; returns the start. */
static const char *dir_part(const char *name, size_t *len)
{
	const char *slash = *len ? memrchr(name, '/', *len) : NULL;
	if (!slash || slash == name) {
		*len = 1;
		return "/";
	}
	size_t pos = (size_t)(slash - name);
	if (pos < *len - 1)
		*len = pos;
	return name;
}

static size_t dirname_of(const struct sk_fdinfo *fi, struct sk_value *out)
{
	if (fi->type == SK_FD_DIRECTORY)
		return sk_val_str(out, fi->name.s, fi->name.len);
	size_t n = fi->name.len;
	const char *d = dir_part(fi->name.s, &n);
	return sk_val_str(out, d, n);
}

/* Event codes the fallbacks below name (PPME_* values of the event table). */
enum {
	EV_OPEN_X = 3, EV_SOCKET_X = 19, EV_CONNECT_X = 23, EV_CREAT_X = 59, EV_PIPE_X = 61,
	EV_EVENTFD_X = 63, EV_SIGNALFD_X = 127, EV_TIMERFD_CREATE_X = 137,
	EV_INOTIFY_INIT_X = 139, EV_ACCEPT_5_X = 247, EV_OPENAT_2_X = 307, EV_OPENAT2_X = 327,
	EV_OPEN_BY_HANDLE_AT_X = 337, EV_ACCEPT4_6_X = 389, EV_PIPE2_X = 393,
	EV_INOTIFY_INIT1_X = 395, EV_EVENTFD2_X = 397, EV_SIGNALFD4_X = 399,
};

/* libsinsp extract_fd: the fd.* class speaks only of events that create,
 * use or destroy an fd, and needs their thread. */
static struct sk_thread *fd_event_thread(struct sk_eval_ctx *c)
{
	const struct sk_event *ev = c->ev;
	if (!ev || !ev->info ||
	    !(ev->info->flags & (SK_EF_CREATES_FD | SK_EF_USES_FD | SK_EF_DESTROYS_FD)))
		return NULL;
	return sk_fields_thread(c);
}

/* The event's fd entry, else the one of the thread's last event fd. */
static struct sk_fdinfo *fd_of_event(struct sk_eval_ctx *c, struct sk_thread *t)
{
	struct sk_fdinfo *fi = sk_fields_fdinfo(c);
	if (!fi && t->lastevent_fd != -1 && c->state)
		fi = sk_state_fd(c->state, t, t->lastevent_fd);
	return fi;
}

/* fd.typechar without an fd entry: guessed from the event type
 * (sinsp_evt::extract_typechar). */
static char typechar_of_event(uint16_t type)
{
	switch (type | 1) {
	case EV_OPENAT_2_X: case EV_OPENAT2_X: case EV_CREAT_X:
		return 'f';
	case EV_SOCKET_X: case EV_ACCEPT_5_X: case EV_ACCEPT4_6_X:
		return '4';
	case EV_PIPE_X: case EV_PIPE2_X:
		return 'p';
	case EV_EVENTFD_X: case EV_EVENTFD2_X:
		return 'e';
	case EV_SIGNALFD_X: case EV_SIGNALFD4_X:
		return 's';
	case EV_TIMERFD_CREATE_X:
		return 't';
	case EV_INOTIFY_INIT_X: case EV_INOTIFY_INIT1_X:
		return 'i';
	default:
		return 'o';
	}
}

/* fd.name without an fd entry (a failed open, an fd the table lacks): the
 * name the exit event carries (extract_fdname_from_event) — the path of
 * open/creat (resolved against the cwd), the tuple of accept/connect, the
 * dirfd-joined path of openat/openat2 (as written for fd.nameraw), the
 * resolved path of open_by_handle_at; "" for other exit events. Enter
 * events have none: returns false. The text is appended to b. */
static bool name_of_event(struct sk_eval_ctx *c, struct sk_thread *t, bool raw,
			  struct sk_buf *b)
{
	const struct sk_event *ev = c->ev;
	if (!(ev->type & 1))
		return false;
	switch (ev->type) {
	case EV_OPEN_X: case EV_CREAT_X: case EV_ACCEPT_5_X: case EV_ACCEPT4_6_X:
	case EV_CONNECT_X: {
		/* the param as printed; a path's resolved form when it has one */
		struct sk_buf raw_txt, res;
		sk_buf_init(&raw_txt, 0);
		sk_buf_init(&res, 0);
		bool path = ev->type == EV_OPEN_X || ev->type == EV_CREAT_X;
		int rc = sk_render_param(c, ev, 1, &raw_txt, &res);
		const struct sk_buf *use = path && res.len ? &res : &raw_txt;
		if (rc == 0 && use->len)
			rc = sk_buf_append(b, use->data, use->len);
		sk_buf_done(&raw_txt);
		sk_buf_done(&res);
		return rc == 0;
	}
	case EV_OPENAT_2_X: case EV_OPENAT2_X: {
		const char *name = sk_event_get_str(ev, 2);
		int64_t dirfd;
		if (!name)
			return false;
		if (raw)
			return sk_buf_puts(b, name) == 0;
		if (!sk_event_get_s64(ev, 1, &dirfd))
			return false;
		struct sk_buf full;
		sk_buf_init(&full, 0);
		bool ok = sk_fields_dirfd_path(c, t, dirfd, name, &full) > 0 &&
			  sk_buf_append(b, full.data, full.len) == 0;
		sk_buf_done(&full);
		return ok;
	}
	case EV_OPEN_BY_HANDLE_AT_X: {
		const char *p = sk_event_get_str(ev, 3);
		return sk_buf_puts(b, p ? p : "") == 0;
	}
	default:
		return true;
	}
}

/* The container id as the container plugin's thread table holds it (empty
 * on the host) and ':' — the prefix of fd.containername/containerdirectory. */
static int container_prefix(const struct sk_thread *t, struct sk_buf *b)
{
	if (t->container && sk_buf_puts(b, t->container->id) < 0)
		return -1;
	return sk_buf_putc(b, ':');
}

/* Cuts the name that starts at offset `from` of b to its directory part. */
static int cut_to_dir(struct sk_buf *b, size_t from)
{
	size_t n = b->len - from;
	const char *d = dir_part(b->data + from, &n);
	if (d != b->data + from) { /* "/" */
		b->len = from;
		return sk_buf_putc(b, '/');
	}
	b->len = from + n;
	return 0;
}

/* The fields that still have a value when the event's fd is not in the
 * table, as libsinsp gives them. Returns (size_t)-1 for the others. */
static size_t fd_field_without_entry(enum sk_field_id id, struct sk_eval_ctx *c,
				     struct sk_thread *t, struct sk_value *out)
{
	struct sk_buf *b = sk_fields_scratch(c);
	switch (id) {
	case SK_F_FD_TYPECHAR:
		if (sk_buf_putc(b, typechar_of_event(c->ev->type)) < 0)
			return 0;
		return sk_val_buf(out, b);
	case SK_F_FD_NAME:
	case SK_F_FD_NAMERAW:
		return name_of_event(c, t, id == SK_F_FD_NAMERAW, b) ? sk_val_buf(out, b) : 0;
	case SK_F_FD_DIRECTORY:
		if (!name_of_event(c, t, false, b) || cut_to_dir(b, 0) < 0)
			return 0;
		return sk_val_buf(out, b);
	case SK_F_FD_CONTAINERNAME:
	case SK_F_FD_CONTAINERDIRECTORY: {
		if (container_prefix(t, b) < 0)
			return 0;
		size_t from = b->len;
		if (!name_of_event(c, t, false, b))
			return 0;
		if (id == SK_F_FD_CONTAINERDIRECTORY && cut_to_dir(b, from) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	default:
		return (size_t)-1;
	}
}

/* The client/server/local/remote ends follow libsinsp's extractors:
 * none for a socket without a role, client ends only on connected
 * sockets, server ends also on listening ones. `id`: fd.Xip or fd.Xnet. */
static size_t endpoint_ip(struct sk_eval_ctx *c, const struct sk_fdinfo *fi, unsigned id,
			  struct sk_value *out)
{
	if (role_none(fi))
		return 0;
	switch (id) {
	case SK_F_FD_CIP:
	case SK_F_FD_CNET:
		return is_conn(fi) ? ipval(out, fi, fi->sip) : 0;
	case SK_F_FD_SIP:
	case SK_F_FD_SNET:
		if (!is_sock(fi))
			return 0;
		return ipval(out, fi, is_server(fi) ? fi->sip : fi->dip);
	case SK_F_FD_LIP:
	case SK_F_FD_LNET:
		if (!is_conn(fi))
			return 0;
		return ipval(out, fi, local_is_client(c, fi) ? fi->sip : fi->dip);
	default:
		if (!is_conn(fi))
			return 0;
		return ipval(out, fi, local_is_client(c, fi) ? fi->dip : fi->sip);
	}
}

/* fd.Xip.name: the loaded conditions' names whose resolved addresses hold
 * the endpoint's address (dnscache.c), each one a value of an existential
 * field, so `fd.sip.name = "h"` is true when the server address is one of
 * h's. The endpoint is the one fd.Xip gives. */
static size_t ip_names(struct sk_eval_ctx *c, const struct sk_fdinfo *fi, uint16_t id,
		       struct sk_value *out, size_t max)
{
	static const uint16_t ipof[] = {SK_F_FD_CIP, SK_F_FD_SIP, SK_F_FD_LIP, SK_F_FD_RIP};
	struct sk_value ip;
	if (!endpoint_ip(c, fi, ipof[id - SK_F_FD_CIP_NAME], &ip))
		return 0;
	const char *names[8];
	size_t n = sk_dnscache_names_of(ip.ip.b, ip.ip.v6, names, max < 8 ? max : 8);
	for (size_t i = 0; i < n; i++)
		sk_val_cstr(&out[i], names[i]);
	return n;
}

size_t sk_fx_fd(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		size_t max)
{
	enum sk_field_id id = (enum sk_field_id)f->def->id;
	struct sk_thread *t = fd_event_thread(c);
	if (!t)
		return 0;
	if (id == SK_F_FD_TYPES) {
		if (f->has_index) {
			struct sk_fdinfo *fi = sk_state_fd(c->state, t, f->index);
			const char *tn = fi ? sk_fd_type_name(fi->type) : NULL;
			return tn ? sk_val_cstr(out, tn) : 0;
		}
		size_t n = 0;
		struct sk_fdinfo *fi;
		for (size_t it = 0; n < max && (fi = sk_state_fd_next(c->state, t, &it));) {
			const char *tn = sk_fd_type_name(fi->type);
			bool dup = false;
			for (size_t k = 0; tn && k < n && !dup; k++)
				dup = strcmp(out[k].str.p, tn) == 0;
			if (tn && !dup)
				n += sk_val_cstr(&out[n], tn);
		}
		return n;
	}
	/* fd.num and fd.uid name the event's fd even when the table lacks it */
	if (id == SK_F_FD_NUM)
		return sk_val_s64(out, SK_PT_INT64, t->lastevent_fd);
	if (id == SK_F_FD_UID) {
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_buf_printf(b, "%lld%lld", (long long)t->tid, (long long)t->lastevent_fd) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	struct sk_fdinfo *fi = fd_of_event(c, t);
	if (!fi) {
		size_t n = fd_field_without_entry(id, c, t, out);
		return n == (size_t)-1 ? 0 : n;
	}
	bool sock = is_sock(fi), srv = is_server(fi);
	switch (id) {
	case SK_F_FD_TYPE: {
		const char *tn = sk_fd_type_name(fi->type);
		return tn ? sk_val_cstr(out, tn) : 0;
	}
	case SK_F_FD_TYPECHAR: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_buf_putc(b, sk_fd_typechar(fi->type)) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_FD_NAME:
		return sk_val_str(out, fi->name.s, fi->name.len);
	case SK_F_FD_NAMERAW:
		return sk_val_str(out, fi->nameraw.s, fi->nameraw.len);
	case SK_F_FD_DIRECTORY:
		return is_file(fi) ? dirname_of(fi, out) : 0;
	case SK_F_FD_FILENAME: {
		if (!is_file(fi) || fi->type == SK_FD_DIRECTORY)
			return 0;
		/* libsinsp: after the last '/' unless it ends the name; "/" without one */
		const char *slash = fi->name.len ? memrchr(fi->name.s, '/', fi->name.len) : NULL;
		if (!slash)
			return sk_val_cstr(out, "/");
		size_t pos = (size_t)(slash - fi->name.s);
		if (pos + 1 == fi->name.len)
			return sk_val_str(out, fi->name.s, fi->name.len);
		return sk_val_str(out, slash + 1, fi->name.len - pos - 1);
	}
	case SK_F_FD_IP:
	case SK_F_FD_NET:
		if (!sock)
			return 0;
		if (srv)
			return ipval(out, fi, fi->sip);
		ipval(out, fi, fi->sip);
		return max > 1 ? 1 + ipval(&out[1], fi, fi->dip) : 1;
	case SK_F_FD_CIP:
	case SK_F_FD_CNET:
	case SK_F_FD_SIP:
	case SK_F_FD_SNET:
	case SK_F_FD_LIP:
	case SK_F_FD_LNET:
	case SK_F_FD_RIP:
	case SK_F_FD_RNET:
		return endpoint_ip(c, fi, id, out);
	case SK_F_FD_PORT:
	case SK_F_FD_PROTO:
		if (!sock)
			return 0;
		if (srv)
			return sk_val_u64(out, SK_PT_PORT, fi->sport);
		sk_val_u64(out, SK_PT_PORT, fi->sport);
		return max > 1 ? 1 + sk_val_u64(&out[1], SK_PT_PORT, fi->dport) : 1;
	case SK_F_FD_CPORT:
		return is_conn(fi) && !role_none(fi) ? sk_val_u64(out, SK_PT_PORT, fi->sport) : 0;
	case SK_F_FD_CPROTO:
		/* libsinsp: an empty name for any other fd that has a role */
		if (role_none(fi))
			return 0;
		return is_conn(fi) ? proto_name(c, fi, fi->sport, out) : sk_val_cstr(out, "");
	case SK_F_FD_SPORT:
		if (srv)
			return sk_val_u64(out, SK_PT_PORT, fi->sport);
		return is_conn(fi) && !role_none(fi) ? sk_val_u64(out, SK_PT_PORT, fi->dport) : 0;
	case SK_F_FD_SPROTO:
		/* libsinsp names no protocol for a listening socket: empty */
		if (srv)
			return sk_val_cstr(out, "");
		return is_conn(fi) && !role_none(fi) ? proto_name(c, fi, fi->dport, out) : 0;
	case SK_F_FD_LPORT:
	case SK_F_FD_RPORT:
	case SK_F_FD_LPROTO:
	case SK_F_FD_RPROTO: {
		if (!is_conn(fi) || role_none(fi))
			return 0;
		bool local_port = (id == SK_F_FD_LPORT || id == SK_F_FD_LPROTO) ==
				  local_is_client(c, fi);
		uint16_t port = local_port ? fi->sport : fi->dport;
		if (id == SK_F_FD_LPORT || id == SK_F_FD_RPORT)
			return sk_val_u64(out, SK_PT_PORT, port);
		return proto_name(c, fi, port, out);
	}
	case SK_F_FD_L4PROTO:
		/* libsinsp gives the string "<NA>" (a value) for every fd that is
		 * not an IP socket of a known protocol */
		switch (sk_fd_l4proto(fi)) {
		case SK_L4_TCP: return sk_val_cstr(out, "tcp");
		case SK_L4_UDP: return sk_val_cstr(out, "udp");
		case SK_L4_ICMP: return sk_val_cstr(out, "icmp");
		case SK_L4_RAW: return sk_val_cstr(out, "raw");
		default: return sk_val_cstr(out, "<NA>");
		}
	case SK_F_FD_SOCKFAMILY:
		if (sock)
			return sk_val_cstr(out, "ip");
		if (fi->type == SK_FD_UNIX_SOCK)
			return sk_val_cstr(out, "unix");
		return 0;
	case SK_F_FD_IS_SERVER:
		/* libsinsp: a listening socket, or a connection whose destination
		 * is this machine */
		return sk_val_bool(out, srv || (is_conn(fi) && ip_is_local(c, fi, fi->dip)));
	case SK_F_FD_CONNECTED:
		return sk_val_bool(out, fi->flags & SK_FDF_SOCKET_CONNECTED);
	case SK_F_FD_NAME_CHANGED:
		return sk_val_bool(out, fi->name_changed);
	case SK_F_FD_DEV:
		return sk_val_s64(out, SK_PT_INT32, (int32_t)fi->dev);
	case SK_F_FD_DEV_MAJOR:
		return sk_val_s64(out, SK_PT_INT32, (int32_t)((fi->dev & 0xfff00) >> 8));
	case SK_F_FD_DEV_MINOR:
		return sk_val_s64(out, SK_PT_INT32,
				  (int32_t)((fi->dev & 0xff) | ((fi->dev >> 12) & 0xfff00)));
	case SK_F_FD_INO:
		return sk_val_s64(out, SK_PT_INT64, (int64_t)fi->ino);
	case SK_F_FD_IS_UPPER_LAYER:
		return sk_val_bool(out, fi->flags & SK_FDF_OVERLAY_UPPER);
	case SK_F_FD_IS_LOWER_LAYER:
		return sk_val_bool(out, fi->flags & SK_FDF_OVERLAY_LOWER);
	case SK_F_FD_CONTAINERNAME:
	case SK_F_FD_CONTAINERDIRECTORY: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (container_prefix(t, b) < 0)
			return 0;
		if (id == SK_F_FD_CONTAINERNAME) {
			if (sk_buf_append(b, fi->name.s, fi->name.len) < 0)
				return 0;
		} else {
			struct sk_value d;
			if (!is_file(fi) || !dirname_of(fi, &d) ||
			    sk_buf_append(b, d.str.p, d.str.len) < 0)
				return 0;
		}
		return sk_val_buf(out, b);
	}
	case SK_F_FD_CIP_NAME:
	case SK_F_FD_SIP_NAME:
	case SK_F_FD_LIP_NAME:
	case SK_F_FD_RIP_NAME:
		return ip_names(c, fi, id, out, max);
	default:
		return 0;
	}
}
