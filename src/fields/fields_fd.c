/* fields_fd.c — the fd.* class: the file descriptor the event uses (as
 * the state resolved it): number, type, name and its parts, socket
 * endpoints seen as client/server and local/remote, protocol, flags. */
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
 * an interface address. libsinsp also accepts the container's own IP,
 * which saker does not know (no runtime client): for a thread in a
 * container the socket's role stands in for it — the container's address
 * is the client end when the process connected, the server end when it
 * accepted. */
static bool ip_is_local(struct sk_eval_ctx *c, const struct sk_fdinfo *fi, const uint8_t *ip,
			bool client_end)
{
	struct sk_thread *t = sk_fields_thread(c);
	if (t && t->container && is_v6(fi)) /* libsinsp: no IPv6 networking for containers */
		return false;
	if (c->state && sk_state_ip_is_local(c->state, ip, is_v6(fi)))
		return true;
	if (!t || !t->container)
		return false;
	return (fi->flags & (client_end ? SK_FDF_ROLE_CLIENT : SK_FDF_ROLE_SERVER)) != 0;
}

/* Local side is the client side (the source address is this machine's):
 * libsinsp decides fd.l* / fd.r* by the source address alone. */
static bool local_is_client(struct sk_eval_ctx *c, const struct sk_fdinfo *fi)
{
	return ip_is_local(c, fi, fi->sip, true);
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

static size_t dirname_of(const struct sk_fdinfo *fi, struct sk_value *out)
{
	if (fi->type == SK_FD_DIRECTORY)
		return sk_val_str(out, fi->name.s, fi->name.len);
	const char *slash = memrchr(fi->name.s, '/', fi->name.len);
	if (!slash)
		return 0;
	size_t n = (size_t)(slash - fi->name.s);
	return sk_val_str(out, fi->name.s, n ? n : 1);
}

size_t sk_fx_fd(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		size_t max)
{
	enum sk_field_id id = (enum sk_field_id)f->def->id;
	if (id == SK_F_FD_TYPES) {
		struct sk_thread *t = sk_fields_thread(c);
		if (!t)
			return 0;
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
	struct sk_fdinfo *fi = sk_fields_fdinfo(c);
	if (!fi)
		return 0;
	bool sock = is_sock(fi), srv = is_server(fi);
	switch (id) {
	case SK_F_FD_NUM:
		return sk_val_s64(out, SK_PT_INT64, fi->fd);
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
		const char *slash = memrchr(fi->name.s, '/', fi->name.len);
		if (!slash)
			return 0;
		return sk_val_str(out, slash + 1, fi->name.len - (size_t)(slash + 1 - fi->name.s));
	}
	case SK_F_FD_IP:
	case SK_F_FD_NET:
		if (!sock)
			return 0;
		if (srv)
			return ipval(out, fi, fi->sip);
		ipval(out, fi, fi->sip);
		return max > 1 ? 1 + ipval(&out[1], fi, fi->dip) : 1;
	/* The client/server/local/remote ends follow libsinsp's extractors:
	 * none for a socket without a role, client ends only on connected
	 * sockets, server ends also on listening ones. */
	case SK_F_FD_CIP:
	case SK_F_FD_CNET:
		return is_conn(fi) && !role_none(fi) ? ipval(out, fi, fi->sip) : 0;
	case SK_F_FD_SIP:
	case SK_F_FD_SNET:
		if (!sock || role_none(fi))
			return 0;
		return ipval(out, fi, srv ? fi->sip : fi->dip);
	case SK_F_FD_LIP:
	case SK_F_FD_LNET:
		if (!is_conn(fi) || role_none(fi))
			return 0;
		return ipval(out, fi, local_is_client(c, fi) ? fi->sip : fi->dip);
	case SK_F_FD_RIP:
	case SK_F_FD_RNET:
		if (!is_conn(fi) || role_none(fi))
			return 0;
		return ipval(out, fi, local_is_client(c, fi) ? fi->dip : fi->sip);
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
		return sk_val_bool(out, srv || (is_conn(fi) && ip_is_local(c, fi, fi->dip, false)));
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
	case SK_F_FD_UID: {
		struct sk_thread *t = sk_fields_thread(c);
		struct sk_buf *b = sk_fields_scratch(c);
		if (!t || sk_buf_printf(b, "%s%lld%lld", sk_thread_container_id(t), (long long)t->tid,
					(long long)fi->fd) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_FD_CONTAINERNAME:
	case SK_F_FD_CONTAINERDIRECTORY: {
		struct sk_thread *t = sk_fields_thread(c);
		struct sk_buf *b = sk_fields_scratch(c);
		struct sk_value d;
		if (!t || sk_buf_puts(b, sk_thread_container_id(t)) < 0 || sk_buf_putc(b, ':') < 0)
			return 0;
		if (id == SK_F_FD_CONTAINERNAME) {
			if (sk_buf_append(b, fi->name.s, fi->name.len) < 0)
				return 0;
		} else if (!is_file(fi) || !dirname_of(fi, &d) ||
			   sk_buf_append(b, d.str.p, d.str.len) < 0) {
			return 0;
		}
		return sk_val_buf(out, b);
	}
	default:
		/* fd.cip.name & co need DNS: no value */
		return 0;
	}
}
