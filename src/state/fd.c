/* fd.c — fd entries: filling them from capture/proc fd lists and rendering
 * socket names as libsinsp does ("sip:sport->dip:dport", "ip:port"). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "state_int.h"

static bool is_v4_mapped(const uint8_t *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return true;
	return !a[10] && !a[11] && !a[12] && !a[13] && !a[14] && !a[15];
}

int sk_fd_set_tuple_name(struct sk_fdinfo *f)
{
	char buf[200], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int n;
	switch (f->type) {
	case SK_FD_IPV4_SOCK:
		n = snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u->%u.%u.%u.%u:%u", f->sip[0], f->sip[1],
			     f->sip[2], f->sip[3], f->sport, f->dip[0], f->dip[1], f->dip[2], f->dip[3],
			     f->dport);
		break;
	case SK_FD_IPV4_SERVSOCK:
		n = snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", f->sip[0], f->sip[1], f->sip[2],
			     f->sip[3], f->sport);
		break;
	case SK_FD_IPV6_SOCK:
		if (!inet_ntop(AF_INET6, f->sip, a, sizeof(a)) ||
		    !inet_ntop(AF_INET6, f->dip, b, sizeof(b)))
			return sk_sstr_set(&f->name, "", 0);
		n = snprintf(buf, sizeof(buf), "%s:%u->%s:%u", a, f->sport, b, f->dport);
		break;
	case SK_FD_IPV6_SERVSOCK:
		if (!inet_ntop(AF_INET6, f->sip, a, sizeof(a)))
			return sk_sstr_set(&f->name, "", 0);
		n = snprintf(buf, sizeof(buf), "%s:%u", a, f->sport);
		break;
	default:
		return 0;
	}
	if (n < 0)
		return -EINVAL;
	return sk_sstr_set(&f->name, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int set_bytes(struct sk_sstr *s, struct sk_bytes b)
{
	uint32_t len = 0;
	while (len < b.len && b.p[len])
		len++;
	return sk_sstr_set(s, b.p, len);
}

/* libsinsp add_fd_from_scap. */
int sk_state_fd_from_scap(struct sk_state *st, struct sk_fdinfo *f, const struct sk_scap_fd *s)
{
	SK_UNUSED(st);
	f->type = s->type;
	f->flags = SK_FDF_FROM_PROC;
	f->ino = s->ino;
	f->fd = s->fd;
	f->open_flags = 0;
	switch (s->type) {
	case SK_FD_IPV4_SOCK:
		f->family = AF_INET;
		memcpy(f->sip, s->sip, 4);
		memcpy(f->dip, s->dip, 4);
		f->sport = s->sport;
		f->dport = s->dport;
		f->l4proto = s->l4proto;
		if (s->l4proto == SK_L4_TCP)
			f->flags |= SK_FDF_SOCKET_CONNECTED;
		return sk_fd_set_tuple_name(f);
	case SK_FD_IPV4_SERVSOCK:
		f->family = AF_INET;
		memcpy(f->sip, s->sip, 4);
		f->sport = s->sport;
		f->l4proto = s->l4proto;
		return sk_fd_set_tuple_name(f);
	case SK_FD_IPV6_SOCK:
		f->l4proto = s->l4proto;
		f->sport = s->sport;
		f->dport = s->dport;
		if (s->l4proto == SK_L4_TCP)
			f->flags |= SK_FDF_SOCKET_CONNECTED;
		if (is_v4_mapped(s->sip) && is_v4_mapped(s->dip)) {
			f->type = SK_FD_IPV4_SOCK;
			f->family = AF_INET;
			memcpy(f->sip, s->sip + 12, 4);
			memcpy(f->dip, s->dip + 12, 4);
		} else {
			f->family = AF_INET6;
			memcpy(f->sip, s->sip, 16);
			memcpy(f->dip, s->dip, 16);
		}
		return sk_fd_set_tuple_name(f);
	case SK_FD_IPV6_SERVSOCK:
		f->family = AF_INET6;
		memcpy(f->sip, s->sip, 16);
		f->sport = s->sport;
		f->l4proto = s->l4proto;
		return sk_fd_set_tuple_name(f);
	case SK_FD_UNIX_SOCK:
		f->family = AF_UNIX;
		f->unix_src = s->unix_src;
		f->unix_dst = s->unix_dst;
		if (set_bytes(&f->name, s->name) < 0)
			return -ENOMEM;
		f->flags |= f->name.len ? SK_FDF_ROLE_SERVER : SK_FDF_ROLE_CLIENT;
		return 0;
	case SK_FD_FILE_V2:
		f->open_flags = s->open_flags;
		f->dev = s->dev;
		return set_bytes(&f->name, s->name) < 0 ? -ENOMEM : 0;
	default:
		if (s->type > SK_FD_PIDFD)
			return 0;
		return set_bytes(&f->name, s->name) < 0 ? -ENOMEM : 0;
	}
}

/* libsinsp fix_sockets_coming_from_proc: an IPv4 socket from the fd list
 * whose source port is a listening port of the machine (IPv4 or IPv6
 * listener, as libsinsp's server-port set) is the server end of
 * its connection: swap the tuple so the client is the source, as on
 * accepted sockets. Others are clients. */
void sk_state_fix_proc_sockets(struct sk_state *st)
{
	struct sk_u64map ports;
	sk_u64map_init(&ports, 65536);
	size_t it = 0;
	struct sk_thread *t;
	while ((t = sk_state_thread_next(st, &it))) {
		if (!t->fdtable)
			continue;
		size_t fi = 0;
		uint64_t k;
		void *v;
		while (sk_u64map_next(&t->fdtable->map, &fi, &k, &v)) {
			struct sk_fdinfo *f = v;
			if (f->type == SK_FD_IPV4_SERVSOCK || f->type == SK_FD_IPV6_SERVSOCK)
				(void)!sk_u64map_put(&ports, f->sport, f);
		}
	}
	it = 0;
	while ((t = sk_state_thread_next(st, &it))) {
		if (!t->fdtable)
			continue;
		size_t fi = 0;
		uint64_t k;
		void *v;
		while (sk_u64map_next(&t->fdtable->map, &fi, &k, &v)) {
			struct sk_fdinfo *f = v;
			if (f->type != SK_FD_IPV4_SOCK || !(f->flags & SK_FDF_FROM_PROC) ||
			    (f->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER)))
				continue;
			if (!sk_u64map_get(&ports, f->sport)) {
				f->flags |= SK_FDF_ROLE_CLIENT;
				continue;
			}
			uint8_t ip[4];
			memcpy(ip, f->sip, 4);
			memcpy(f->sip, f->dip, 4);
			memcpy(f->dip, ip, 4);
			uint16_t p = f->sport;
			f->sport = f->dport;
			f->dport = p;
			(void)sk_fd_set_tuple_name(f);
			f->flags |= SK_FDF_ROLE_SERVER;
		}
	}
	sk_u64map_done(&ports);
}
