/* dump.c — the in-memory process and fd tables handed out as capture
 * metadata (struct sk_scap_meta_ops), the inverse of seed.c: what a capture
 * started at an alert writes, so that processes that already exited (the
 * `cat` that read the file) are still described, as Falco dumps its tables. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "state_int.h"

/* A NUL-separated list as the scap format holds it: with its trailing NUL
 * (seed.c's set_list drops one). sk_sstr keeps a NUL after its bytes. */
static struct sk_bytes list_bytes(const struct sk_sstr *s)
{
	return (struct sk_bytes){s->s, s->len ? s->len + 1 : 0};
}

static struct sk_bytes str_bytes(const struct sk_sstr *s)
{
	return (struct sk_bytes){s->s, s->len};
}

/* The thread flags a capture carries: the clone flags and those libsinsp
 * reads back; CLOSED/ACTIVE are the table's own bookkeeping. */
#define DUMP_FLAGS_MASK (~(SK_CL_CLOSED | SK_CL_ACTIVE))

static void thread_to_scap(const struct sk_state *st, const struct sk_thread *t,
			   struct sk_scap_thread *s)
{
	memset(s, 0, sizeof(*s));
	s->tid = (uint64_t)t->tid;
	s->pid = (uint64_t)t->pid;
	s->ptid = (uint64_t)t->ptid;
	s->sid = t->sid;
	s->vpgid = t->vpgid;
	s->pgid = t->pgid;
	s->comm = str_bytes(&t->comm);
	s->exe = str_bytes(&t->exe);
	s->exepath = str_bytes(&t->exepath);
	s->args = list_bytes(&t->args);
	s->env = list_bytes(&t->env);
	s->cwd = str_bytes(sk_state_cwd(st, t)); /* the process's, kept on its main thread */
	s->fdlimit = (uint64_t)t->fdlimit;
	s->flags = t->flags & DUMP_FLAGS_MASK;
	s->uid = t->uid;
	s->gid = t->gid;
	s->vmsize_kb = t->vmsize_kb;
	s->vmrss_kb = t->vmrss_kb;
	s->vmswap_kb = t->vmswap_kb;
	s->pfmajor = t->pfmajor;
	s->pfminor = t->pfminor;
	s->vtid = t->vtid;
	s->vpid = t->vpid;
	s->cgroups = list_bytes(&t->cgroups);
	s->root = str_bytes(&t->root);
	s->pidns_init_start_ts = t->pidns_init_start_ts;
	s->tty = t->tty;
	s->loginuid = t->loginuid;
	s->exe_writable = t->exe_writable;
	s->exe_upper_layer = t->exe_upper_layer;
	s->exe_lower_layer = t->exe_lower_layer;
	s->exe_from_memfd = t->exe_from_memfd;
	s->cap_inheritable = t->cap_inheritable;
	s->cap_permitted = t->cap_permitted;
	s->cap_effective = t->cap_effective;
	s->exe_ino = t->exe_ino;
	s->exe_ino_ctime = t->exe_ino_ctime;
	s->exe_ino_mtime = t->exe_ino_mtime;
}

static void fd_to_scap(const struct sk_fdinfo *f, struct sk_scap_fd *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = f->fd;
	s->ino = f->ino;
	s->type = f->type;
	switch (f->type) {
	case SK_FD_IPV4_SOCK:
	case SK_FD_IPV4_SERVSOCK:
	case SK_FD_IPV6_SOCK:
	case SK_FD_IPV6_SERVSOCK: {
		/* the table keeps IPv4-mapped tuples as IPv4 (fd_from_scap) */
		size_t n = f->family == AF_INET6 ? 16 : 4;
		if (f->family == AF_INET6 && f->type == SK_FD_IPV4_SOCK)
			s->type = SK_FD_IPV6_SOCK;
		memcpy(s->sip, f->sip, n);
		memcpy(s->dip, f->dip, n);
		s->sport = f->sport;
		s->dport = f->dport;
		s->l4proto = f->l4proto;
		break;
	}
	case SK_FD_UNIX_SOCK:
		s->unix_src = f->unix_src;
		s->unix_dst = f->unix_dst;
		s->name = str_bytes(&f->name);
		break;
	case SK_FD_FILE:
	case SK_FD_FILE_V2:
		/* events make FILE_V2 entries; the flags and device go with them */
		s->type = SK_FD_FILE_V2;
		s->open_flags = f->open_flags;
		s->dev = f->dev;
		s->name = str_bytes(&f->name);
		break;
	default:
		s->name = str_bytes(&f->name);
		break;
	}
}

int sk_state_dump(const struct sk_state *st, const struct sk_scap_meta_ops *ops)
{
	struct sk_thread *t;
	size_t it = 0;
	int rc = 0;
	while (!rc && ops->thread && (t = sk_state_thread_next(st, &it))) {
		if (sk_thread_is_invalid(t) || (t->flags & SK_CL_CLOSED))
			continue;
		struct sk_scap_thread s;
		thread_to_scap(st, t, &s);
		rc = ops->thread(ops->ctx, &s);
	}
	/* fds after every thread, as the scan and libscap's writer order them;
	 * threads of a process share its table: it goes with the main thread */
	it = 0;
	while (!rc && ops->fd && (t = sk_state_thread_next(st, &it))) {
		if (sk_thread_is_invalid(t) || (t->flags & SK_CL_CLOSED) || !sk_thread_is_main(t))
			continue;
		size_t fi = 0;
		struct sk_fdinfo *f;
		while (!rc && (f = sk_state_fd_next(st, t, &fi))) {
			struct sk_scap_fd s;
			fd_to_scap(f, &s);
			rc = ops->fd(ops->ctx, (uint64_t)t->tid, &s);
		}
	}
	return rc < 0 ? rc : (rc ? -EIO : 0);
}
