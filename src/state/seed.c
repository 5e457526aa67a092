/* seed.c — seeding the state from capture metadata or a /proc scan through
 * struct sk_scap_meta_ops: machine, interfaces, users, groups, threads, fds
 * (libsinsp threadinfo::init from a scap_threadinfo, add_fd_from_scap). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "state_int.h"

/* Stores a NUL-separated list as libsinsp splits it: one trailing NUL dropped. */
static int set_list(struct sk_sstr *s, struct sk_bytes b)
{
	uint32_t len = b.len;
	if (len && b.p[len - 1] == 0)
		len--;
	return sk_sstr_set(s, b.p, len);
}

/* Copies a string that may or may not carry its NUL, stopping at the first NUL. */
static int set_str(struct sk_sstr *s, struct sk_bytes b)
{
	uint32_t len = 0;
	while (len < b.len && b.p[len])
		len++;
	return sk_sstr_set(s, b.p, len);
}

/* libsinsp set_exepath: strips a trailing " (deleted)". */
int sk_thread_set_exepath(struct sk_thread *t, const char *p, size_t len)
{
	static const char suffix[] = " (deleted)";
	size_t sl = sizeof(suffix) - 1;
	if (len > sl && !memcmp(p + len - sl, suffix, sl))
		len -= sl;
	return sk_sstr_set(&t->exepath, p, len);
}

/* libsinsp set_cgroups: "subsys=path" entries; "_cgroup" removed from the
 * subsystem name, perf -> perf_event, mem -> memory, io -> blkio; an entry
 * without '=' stops the parse (earlier entries kept). */
int sk_thread_set_cgroups(struct sk_state *st, struct sk_thread *t, const char *p, size_t len)
{
	if (len && p[len - 1] == 0)
		len--;
	struct sk_buf *b = &st->scratch;
	sk_buf_reset(b);
	int rc = 0;
	size_t i = 0;
	bool first = true;
	while (len && i <= len) {
		size_t j = i;
		while (j < len && p[j])
			j++;
		const char *e = p + i, *eq = memchr(e, '=', j - i);
		if (!eq)
			break;
		size_t slen = (size_t)(eq - e);
		const char *sub = e;
		char tmp[64];
		const char *hit = NULL;
		for (size_t k = 0; slen >= 7 && k + 7 <= slen; k++)
			if (!memcmp(sub + k, "_cgroup", 7)) {
				hit = sub + k;
				break;
			}
		if (hit && slen < sizeof(tmp)) {
			size_t pre = (size_t)(hit - sub);
			memcpy(tmp, sub, pre);
			memcpy(tmp + pre, hit + 7, slen - pre - 7);
			slen -= 7;
			sub = tmp;
		}
		if (slen == 4 && !memcmp(sub, "perf", 4))
			sub = "perf_event", slen = 10;
		else if (slen == 3 && !memcmp(sub, "mem", 3))
			sub = "memory", slen = 6;
		else if (slen == 2 && !memcmp(sub, "io", 2))
			sub = "blkio", slen = 5;
		if (!first)
			rc |= sk_buf_putc(b, 0);
		first = false;
		rc |= sk_buf_append(b, sub, slen);
		rc |= sk_buf_append(b, eq, (size_t)(p + j - eq));
		i = j + 1;
	}
	if (rc < 0)
		return -ENOMEM;
	rc = sk_sstr_set(&t->cgroups, b->data ? b->data : "", b->len);
	sk_state_thread_container(st, t);
	return rc;
}

static int on_section(void *ctx)
{
	sk_state_clear(ctx);
	return 0;
}

static int on_machine(void *ctx, const struct sk_scap_machine *mi)
{
	struct sk_state *st = ctx;
	st->machine = *mi;
	st->have_machine = true;
	return 0;
}

static int on_iface(void *ctx, const struct sk_scap_iface *ifc)
{
	struct sk_state *st = ctx;
	if (st->nifaces >= SK_STATE_MAX_IFACES)
		return 0;
	struct sk_iface *f = &st->ifaces[st->nifaces++];
	f->v6 = ifc->type == 2 || ifc->type == 4;
	memcpy(f->addr, ifc->addr, 16);
	memcpy(f->netmask, ifc->netmask, 16);
	return 0;
}


static int on_user(void *ctx, const struct sk_scap_user *u)
{
	return sk_state_add_user(ctx, u->uid, u->gid, u->name, u->homedir, u->shell) < 0 ? -ENOMEM
											 : 0;
}

static int on_group(void *ctx, const struct sk_scap_group *g)
{
	return sk_state_add_group(ctx, g->gid, g->name) < 0 ? -ENOMEM : 0;
}

/* A thread made from a scan's or capture's record; NULL when out of memory. */
static struct sk_thread *thread_from_scap(struct sk_state *st, const struct sk_scap_thread *s)
{
	struct sk_thread *t = sk_thread_alloc(st);
	if (!t)
		return NULL;
	int rc = 0;
	t->tid = (int64_t)s->tid;
	t->pid = (int64_t)s->pid;
	t->ptid = (int64_t)s->ptid;
	t->sid = s->sid;
	t->vpgid = s->vpgid;
	t->pgid = s->pgid;
	rc |= set_str(&t->comm, s->comm);
	rc |= set_str(&t->exe, s->exe);
	{
		uint32_t l = 0;
		while (l < s->exepath.len && s->exepath.p[l])
			l++;
		rc |= sk_thread_set_exepath(t, s->exepath.p, l);
	}
	t->exe_writable = s->exe_writable;
	t->exe_upper_layer = s->exe_upper_layer;
	t->exe_lower_layer = s->exe_lower_layer;
	t->exe_from_memfd = s->exe_from_memfd;
	rc |= set_list(&t->args, s->args);
	t->flags = s->flags | SK_CL_ACTIVE;
	if (sk_thread_is_main(t)) {
		rc |= set_list(&t->env, s->env);
		/* update_cwd: the scan's cwd joined to "" and given a trailing '/' */
		char tmp[SK_PATH_MAX], cwd[SK_PATH_MAX];
		uint32_t l = s->cwd.len < sizeof(tmp) - 1 ? s->cwd.len : sizeof(tmp) - 1;
		if (l) /* an empty cwd may have no buffer at all */
			memcpy(tmp, s->cwd.p, l);
		tmp[l] = 0;
		size_t n = sk_path_concat(cwd, "", 0, tmp);
		if (!n || cwd[n - 1] != '/') {
			if (n + 1 < sizeof(cwd))
				cwd[n++] = '/';
			cwd[n] = 0;
		}
		rc |= sk_sstr_set(&t->cwd, cwd, n);
	}
	t->fdlimit = (int64_t)s->fdlimit;
	t->cap_permitted = s->cap_permitted;
	t->cap_effective = s->cap_effective;
	t->cap_inheritable = s->cap_inheritable;
	t->exe_ino = s->exe_ino;
	t->exe_ino_ctime = s->exe_ino_ctime;
	t->exe_ino_mtime = s->exe_ino_mtime;
	t->vmsize_kb = s->vmsize_kb;
	t->vmrss_kb = s->vmrss_kb;
	t->vmswap_kb = s->vmswap_kb;
	t->pfmajor = s->pfmajor;
	t->pfminor = s->pfminor;
	t->vtid = s->vtid;
	t->vpid = s->vpid;
	t->pidns_init_start_ts = s->pidns_init_start_ts;
	t->tty = s->tty;
	rc |= set_str(&t->root, s->root);
	t->uid = t->euid = s->uid;
	t->gid = t->egid = s->gid;
	t->loginuid = s->loginuid;
	if (rc < 0 || sk_thread_set_cgroups(st, t, s->cgroups.p, s->cgroups.len) < 0) {
		sk_thread_release(st, t);
		return NULL;
	}
	return t;
}

static int on_thread(void *ctx, const struct sk_scap_thread *s)
{
	struct sk_state *st = ctx;
	struct sk_thread *t = thread_from_scap(st, s);
	if (!t)
		return -ENOMEM;
	st->seeding = true;
	(void)sk_state_add_thread(st, t); /* a full table is counted, not fatal */
	return 0;
}

/* A thread read on demand while events flow: linked to its parent at once,
 * and never over one the table has (events made it more accurate). */
static int on_thread_live(void *ctx, const struct sk_scap_thread *s)
{
	struct sk_state *st = ctx;
	if (sk_state_thread(st, (int64_t)s->tid))
		return 0;
	struct sk_thread *t = thread_from_scap(st, s);
	if (!t)
		return -ENOMEM;
	(void)sk_state_add_thread(st, t);
	return 0;
}

int sk_state_fd_from_scap(struct sk_state *st, struct sk_fdinfo *f, const struct sk_scap_fd *s);

static int on_fd(void *ctx, uint64_t tid, const struct sk_scap_fd *s)
{
	struct sk_state *st = ctx;
	struct sk_thread *t = sk_state_thread(st, (int64_t)tid);
	if (!t)
		return 0;
	struct sk_fdinfo *f = sk_state_add_fd(st, t, s->fd);
	if (!f)
		return 0;
	t->lastevent_fd = -1;
	return sk_state_fd_from_scap(st, f, s);
}

void sk_state_meta_ops(struct sk_state *st, struct sk_scap_meta_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = st;
	ops->section = on_section;
	ops->machine = on_machine;
	ops->iface = on_iface;
	ops->user = on_user;
	ops->group = on_group;
	ops->thread = on_thread;
	ops->fd = on_fd;
}

void sk_state_live_ops(struct sk_state *st, struct sk_scap_meta_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = st;
	ops->thread = on_thread_live;
	ops->fd = on_fd;
}

void sk_state_seed_done(struct sk_state *st)
{
	/* Threads were linked to parents as they arrived; link those whose
	 * parent came later in the list (libsinsp links after the whole scan). */
	if (!st->seeding)
		return;
	st->seeding = false;
	size_t it = 0;
	struct sk_thread *t;
	while ((t = sk_state_thread_next(st, &it))) {
		if (t->parent_link || sk_thread_is_invalid(t) || t->pid == 1)
			continue;
		struct sk_thread *p = sk_state_thread(st, t->ptid);
		if (p && p != t && !sk_thread_is_invalid(p))
			sk_thread_set_parent(st, t, p);
		else
			t->ptid = 0;
	}
	sk_state_fix_proc_sockets(st);
}
