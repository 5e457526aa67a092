/* parse.c — updating the state from events, following libsinsp's parsers:
 * what each event changes before rules see it (sk_state_update) and what is
 * removed after (sk_state_post): process tree (clone/fork/execve/procexit),
 * credentials, cwd, and fd tables (files, sockets, pipes, dup, close...). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "path.h"
#include "state_int.h"

#define PPM_O_DIRECTORY (1u << 10)
#define PPM_O_CLOEXEC (1u << 12)
#define PPM_O_F_CREATED (1u << 14)
#define PPM_FD_UPPER_LAYER (1u << 15)
#define PPM_FD_LOWER_LAYER (1u << 16)
#define PPM_AT_FDCWD (-100)
#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10
#define PPM_AF_NETLINK 16
#define PPM_EXE_WRITABLE 1u
#define PPM_EXE_UPPER_LAYER 2u
#define PPM_EXE_FROM_MEMFD 4u
#define PPM_EXE_LOWER_LAYER 8u
#define PPM_PR_SET_CHILD_SUBREAPER 36 /* prctl_options table values */
#define PPM_PR_GET_CHILD_SUBREAPER 37
#define PPM_FCNTL_F_DUPFD 1
#define PPM_FCNTL_F_SETFD 3
#define PPM_FCNTL_F_DUPFD_CLOEXEC 26
#define CLONE_STALE_NS (2ULL * 1000000000ULL)
#define SE_EINPROGRESS 115

/* ---- event param helpers ---- */

static int64_t p_s64(const struct sk_event *ev, unsigned i, int64_t def)
{
	int64_t v;
	return sk_event_get_s64(ev, i, &v) ? v : def;
}

static uint64_t p_u64(const struct sk_event *ev, unsigned i, uint64_t def)
{
	uint64_t v;
	return sk_event_get_u64(ev, i, &v) ? v : def;
}

static bool p_has(const struct sk_event *ev, unsigned i)
{
	return i < ev->nparams && ev->plen[i] > 0;
}

/* String param without its NUL (len excludes it); "" when empty. */
static const char *p_str(const struct sk_event *ev, unsigned i, uint32_t *len)
{
	uint32_t l;
	const uint8_t *p = sk_event_param(ev, i, &l);
	if (!p) {
		*len = 0;
		return "";
	}
	uint32_t n = 0;
	while (n < l && p[n])
		n++;
	*len = n;
	return (const char *)p;
}

/* Copies a string param into a NUL-terminated bounded buffer. */
static const char *p_cstr(const struct sk_event *ev, unsigned i, char *buf, size_t cap)
{
	uint32_t l;
	const char *s = p_str(ev, i, &l);
	if (l >= cap)
		l = (uint32_t)cap - 1;
	memcpy(buf, s, l);
	buf[l] = 0;
	return buf;
}

/* A NUL-separated list param, stored as libsinsp splits it. */
static int set_list_param(struct sk_sstr *dst, const struct sk_event *ev, unsigned i)
{
	uint32_t l;
	const uint8_t *p = sk_event_param(ev, i, &l);
	if (!p)
		return sk_sstr_set(dst, "", 0);
	if (l && p[l - 1] == 0)
		l--;
	return sk_sstr_set(dst, (const char *)p, l);
}

static int set_str_param(struct sk_sstr *dst, const struct sk_event *ev, unsigned i)
{
	uint32_t l;
	const char *s = p_str(ev, i, &l);
	return sk_sstr_set(dst, s, l);
}

static void copy_sstr(struct sk_sstr *dst, const struct sk_sstr *src)
{
	(void)sk_sstr_set(dst, src->s, src->len);
}

/* update_cwd: joins path to the current cwd; result ends with '/'. */
static void update_cwd(struct sk_state *st, struct sk_thread *t, const char *path)
{
	struct sk_thread *m = sk_state_main_thread(st, t);
	if (!m)
		return;
	char out[SK_PATH_MAX];
	size_t n = sk_path_concat(out, t->cwd.s, t->cwd.len, path);
	if (!n || out[n - 1] != '/') {
		if (n + 1 < sizeof(out))
			out[n++] = '/';
		out[n] = 0;
	}
	(void)sk_sstr_set(&m->cwd, out, n);
}

/* ---- recently exited ring (libsinsp record/has_recently_exited) ---- */

#define RECENT_RING 8192
struct recent {
	int64_t tid, ptid;
	uint64_t ts;
};

/* ---- threads ---- */

static void copy_exec_info(struct sk_thread *c, const struct sk_thread *p)
{
	copy_sstr(&c->exepath, &p->exepath);
	c->exe_writable = p->exe_writable;
	c->exe_upper_layer = p->exe_upper_layer;
	c->exe_lower_layer = p->exe_lower_layer;
	c->exe_from_memfd = p->exe_from_memfd;
	copy_sstr(&c->root, &p->root);
	c->sid = p->sid;
	c->vpgid = p->vpgid;
	c->pgid = p->pgid;
	c->tty = p->tty;
	c->loginuid = p->loginuid;
	c->cap_permitted = p->cap_permitted;
	c->cap_inheritable = p->cap_inheritable;
	c->cap_effective = p->cap_effective;
	c->exe_ino = p->exe_ino;
	c->exe_ino_ctime = p->exe_ino_ctime;
	c->exe_ino_mtime = p->exe_ino_mtime;
}

static void clone_fill_common(struct sk_state *st, struct sk_thread *c, const struct sk_event *ev)
{
	(void)set_str_param(&c->exe, ev, 1);
	(void)set_list_param(&c->args, ev, 2);
	if (p_has(ev, 13))
		(void)set_str_param(&c->comm, ev, 13);
	else
		copy_sstr(&c->comm, &c->exe);
	c->fdlimit = p_s64(ev, 7, 0);
	if (p_has(ev, 12)) {
		c->pfmajor = p_u64(ev, 8, 0);
		c->pfminor = p_u64(ev, 9, 0);
		c->vmsize_kb = (uint32_t)p_u64(ev, 10, 0);
		c->vmrss_kb = (uint32_t)p_u64(ev, 11, 0);
		c->vmswap_kb = (uint32_t)p_u64(ev, 12, 0);
	}
	c->uid = c->euid = (uint32_t)p_u64(ev, 16, 0);
	c->gid = c->egid = (uint32_t)p_u64(ev, 17, 0);
	if (p_has(ev, 14)) {
		uint32_t l;
		const uint8_t *p = sk_event_param(ev, 14, &l);
		(void)sk_thread_set_cgroups(st, c, (const char *)p, l);
	}
	c->clone_ts = ev->ts;
}

/* Links a thread created by a clone event into the table. As libsinsp, a
 * host thread's ids are looked up in the host's users (a user added since
 * the start is read then); a container's wait for its thread's execve. */
static struct sk_thread *clone_add(struct sk_state *st, struct sk_thread *c, uint64_t ts)
{
	if (!c->container)
		sk_state_thread_container(st, c);
	int64_t tid = c->tid;
	if (sk_state_add_thread(st, c) < 0)
		return NULL;
	struct sk_thread *t = sk_state_thread(st, tid);
	if (t && !t->container)
		sk_state_want_users(st, t, ts);
	return t;
}

static bool recently_exited(struct sk_state *st, int64_t tid, int64_t ptid, uint64_t ts);

static void parse_clone_caller(struct sk_state *st, const struct sk_event *ev, int64_t child_tid)
{
	struct sk_thread *caller = sk_state_get_or_create(st, ev->tid, ev->ts);
	st->cur_thread = caller;
	if (!caller)
		return;
	bool valid_caller = true;
	if (sk_thread_is_invalid(caller)) {
		valid_caller = false;
		caller->pid = p_s64(ev, 4, -1);
		caller->ptid = p_s64(ev, 5, -1);
		if (p_has(ev, 19)) {
			caller->vtid = p_s64(ev, 18, -1);
			caller->vpid = p_s64(ev, 19, -1);
		} else {
			caller->vtid = caller->tid;
			caller->vpid = -1;
		}
		/* create_thread_dependencies: re-insert so group/parent get linked */
		sk_u64map_del(&st->threads, (uint64_t)caller->tid);
		st->stats.threads_added--;
		if (sk_state_add_thread(st, caller) < 0) {
			st->cur_thread = NULL;
			return;
		}
	}
	uint32_t flags = (uint32_t)p_u64(ev, 15, 0);
	if ((flags & (SK_CL_CHILD_IN_PIDNS | SK_CL_CLONE_NEWPID | SK_CL_CLONE_PARENT)) ||
	    caller->tid != caller->vtid)
		return;
	if ((flags & SK_CL_CLONE_VFORK) || ev->type == SKE_SYSCALL_VFORK_20_X)
		return;
	if (recently_exited(st, child_tid, caller->tid, ev->ts))
		return;
	/* a clone never returns its caller's own tid (only a damaged record
	 * does): replacing the caller would leave `caller` pointing at a freed
	 * thread */
	if (child_tid == caller->tid)
		return;
	struct sk_thread *existing = sk_state_thread(st, child_tid);
	if (existing) {
		if (existing->flags & SK_CL_CLONE_INVERTED)
			return;
		sk_state_remove_thread(st, child_tid);
		if (sk_state_thread(st, child_tid)) /* a dead main kept alive: drop it */
			return;
		/* removing it can take its dead group's main thread along, which a
		 * damaged record can make the caller: then `caller` is freed */
		if (sk_state_thread(st, ev->tid) != caller) {
			st->cur_thread = sk_state_thread(st, ev->tid);
			return;
		}
	}
	struct sk_thread *c = sk_thread_alloc(st);
	if (!c)
		return;
	c->flags = flags;
	c->tid = child_tid;
	if (!(flags & SK_CL_CLONE_THREAD)) {
		if (valid_caller) {
			sk_state_copy_fds(st, c, caller);
			size_t it = 0;
			struct sk_fdinfo *f;
			while ((f = sk_state_fd_next(st, c, &it)))
				f->flags |= SK_FDF_IS_CLONED;
			copy_sstr(&c->cwd, sk_state_cwd(st, caller));
			copy_sstr(&c->env, &caller->env);
		}
		c->pid = c->tid;
		c->ptid = caller->tid;
	} else {
		c->pid = caller->pid;
		c->ptid = caller->ptid;
		c->flags |= SK_CL_CLONE_FILES;
		c->lastexec_ts = caller->lastexec_ts;
	}
	c->vtid = c->tid;
	c->vpid = c->pid;
	clone_fill_common(st, c, ev);
	c->pidns_init_start_ts = st->have_machine ? st->machine.boot_ts : 0;
	if (valid_caller) {
		copy_exec_info(c, caller);
	} else {
		copy_sstr(&caller->exe, &c->exe);
		copy_sstr(&caller->comm, &c->comm);
		copy_sstr(&caller->args, &c->args);
	}
	c->lastaccess_ts = ev->ts;
	clone_add(st, c, ev->ts);
	st->cur_thread = sk_state_thread(st, ev->tid);
}

static void parse_clone_child(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *cur = sk_state_thread(st, ev->tid);
	if (cur && cur->clone_ts != 0) {
		if (ev->ts - cur->clone_ts < CLONE_STALE_NS) {
			st->cur_thread = cur;
			return;
		}
		sk_state_remove_thread(st, ev->tid);
		if (sk_state_thread(st, ev->tid))
			sk_state_remove_thread(st, ev->tid);
	} else if (cur) {
		/* replaced below by the fresh entry (libsinsp put() overwrites) */
	}
	struct sk_thread *c = sk_thread_alloc(st);
	if (!c)
		return;
	c->tid = ev->tid;
	c->pid = p_s64(ev, 4, -1);
	c->ptid = p_s64(ev, 5, -1);
	if (p_has(ev, 19)) {
		c->vtid = p_s64(ev, 18, -1);
		c->vpid = p_s64(ev, 19, -1);
	} else {
		c->vtid = c->tid;
		c->vpid = -1;
	}
	c->flags = (uint32_t)p_u64(ev, 15, 0) | SK_CL_CLONE_INVERTED;
	bool leader = !(c->flags & SK_CL_CLONE_THREAD);
	int64_t lookup_tid = leader ? c->ptid : c->pid;
	if (!leader)
		c->flags |= SK_CL_CLONE_FILES;
	struct sk_thread *lk = sk_state_get_or_create(st, lookup_tid, ev->ts);
	if (!lk) {
		sk_thread_release(st, c);
		st->cur_thread = NULL;
		return;
	}
	bool valid = !sk_thread_is_invalid(lk);
	if (!valid && !leader) {
		lk->pid = c->pid;
		lk->ptid = c->ptid;
		lk->vpid = c->vpid;
		lk->vtid = lk->vpid;
		sk_u64map_del(&st->threads, (uint64_t)lk->tid);
		st->stats.threads_added--;
		int64_t ltid = lk->tid;
		if (sk_state_add_thread(st, lk) < 0)
			lk = NULL;
		else
			lk = sk_state_thread(st, ltid);
	}
	clone_fill_common(st, c, ev);
	if (lk && valid) {
		copy_exec_info(c, lk);
		if (leader) {
			sk_state_copy_fds(st, c, lk);
			size_t it = 0;
			struct sk_fdinfo *f;
			while ((f = sk_state_fd_next(st, c, &it)))
				f->flags |= SK_FDF_IS_CLONED;
			copy_sstr(&c->cwd, sk_state_cwd(st, lk));
			copy_sstr(&c->env, &lk->env);
		} else {
			c->lastexec_ts = lk->lastexec_ts;
		}
	} else if (lk && !leader) {
		copy_sstr(&lk->exe, &c->exe);
		copy_sstr(&lk->comm, &c->comm);
		copy_sstr(&lk->args, &c->args);
	}
	uint64_t boot = st->have_machine ? st->machine.boot_ts : 0;
	if ((c->flags & (SK_CL_CHILD_IN_PIDNS | SK_CL_CLONE_NEWPID)) || c->tid != c->vtid) {
		if (p_has(ev, 20))
			c->pidns_init_start_ts = p_u64(ev, 20, 0) + boot;
	} else {
		c->pidns_init_start_ts = boot;
	}
	c->lastaccess_ts = ev->ts;
	st->cur_thread = clone_add(st, c, ev->ts);
}

static void parse_clone(struct sk_state *st, const struct sk_event *ev)
{
	int64_t res = p_s64(ev, 0, -1);
	if (res < 0)
		return;
	if (res == 0)
		parse_clone_child(st, ev);
	else
		parse_clone_caller(st, ev, res);
}

static void parse_execve(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	if (p_s64(ev, 0, -1) < 0 || !t)
		return;
	if (t->flags & SK_CL_CLOSED) {
		t->flags &= ~SK_CL_CLOSED;
		if (t->tgroup)
			t->tgroup->alive++;
	}
	(void)set_str_param(&t->exe, ev, 1);
	t->lastexec_ts = ev->ts;
	if (p_has(ev, 13))
		(void)set_str_param(&t->comm, ev, 13);
	else
		copy_sstr(&t->comm, &t->exe);
	(void)set_list_param(&t->args, ev, 2);
	t->pid = p_s64(ev, 4, t->pid);
	if (sk_thread_is_invalid(t)) {
		t->ptid = p_s64(ev, 5, -1);
		if (!(t->flags & SK_CL_CHILD_IN_PIDNS)) {
			t->vtid = t->tid;
			t->vpid = t->pid;
		}
		if (!sk_thread_is_invalid(t)) {
			sk_u64map_del(&st->threads, (uint64_t)t->tid);
			st->stats.threads_added--;
			int64_t tid = t->tid;
			if (sk_state_add_thread(st, t) < 0) {
				st->cur_thread = NULL;
				return;
			}
			t = st->cur_thread = sk_state_thread(st, tid);
		}
	}
	t->fdlimit = p_s64(ev, 7, t->fdlimit);
	if (p_has(ev, 12)) {
		t->pfmajor = p_u64(ev, 8, 0);
		t->pfminor = p_u64(ev, 9, 0);
		t->vmsize_kb = (uint32_t)p_u64(ev, 10, 0);
		t->vmrss_kb = (uint32_t)p_u64(ev, 11, 0);
		t->vmswap_kb = (uint32_t)p_u64(ev, 12, 0);
	}
	if (p_has(ev, 15))
		(void)set_list_param(&t->env, ev, 15);
	if (p_has(ev, 14)) {
		uint32_t l;
		const uint8_t *p = sk_event_param(ev, 14, &l);
		(void)sk_thread_set_cgroups(st, t, (const char *)p, l);
	}
	if (p_has(ev, 16))
		t->tty = (uint32_t)p_u64(ev, 16, 0);
	if (p_has(ev, 27)) {
		uint32_t l;
		const char *s = p_str(ev, 27, &l);
		(void)sk_thread_set_exepath(t, s, l);
	} else if (p_has(ev, 30)) {
		/* Old layouts have no trusted_exepath: as libsinsp, rebuild it from
		 * the enter event's filename (the converter's param 30) joined to
		 * the cwd; "<NA>" stays "<NA>". */
		char fn[SK_PATH_MAX], full[SK_PATH_MAX];
		p_cstr(ev, 30, fn, sizeof(fn));
		if (strcmp(fn, "<NA>") == 0) {
			(void)sk_thread_set_exepath(t, fn, strlen(fn));
		} else {
			const struct sk_sstr *cwd = sk_state_cwd(st, t);
			size_t n = sk_path_concat(full, cwd->s, cwd->len, fn);
			(void)sk_thread_set_exepath(t, full, n);
		}
	}
	if (p_has(ev, 17))
		t->vpgid = p_s64(ev, 17, -1);
	if (p_has(ev, 18))
		t->loginuid = (uint32_t)p_u64(ev, 18, 0xFFFFFFFFu);
	if (p_has(ev, 19)) {
		uint32_t f = (uint32_t)p_u64(ev, 19, 0);
		t->exe_writable = (f & PPM_EXE_WRITABLE) != 0;
		t->exe_upper_layer = (f & PPM_EXE_UPPER_LAYER) != 0;
		t->exe_from_memfd = (f & PPM_EXE_FROM_MEMFD) != 0;
		t->exe_lower_layer = (f & PPM_EXE_LOWER_LAYER) != 0;
	}
	if (p_has(ev, 22)) {
		t->cap_inheritable = p_u64(ev, 20, 0);
		t->cap_permitted = p_u64(ev, 21, 0);
		t->cap_effective = p_u64(ev, 22, 0);
	}
	if (p_has(ev, 25)) {
		t->exe_ino = p_u64(ev, 23, 0);
		t->exe_ino_ctime = p_u64(ev, 24, 0);
		t->exe_ino_mtime = p_u64(ev, 25, 0);
	}
	if (p_has(ev, 26))
		t->uid = t->euid = (uint32_t)p_u64(ev, 26, 0);
	t->pgid = p_has(ev, 28) ? p_s64(ev, 28, -1) : -1;
	if (p_has(ev, 29))
		t->gid = t->egid = (uint32_t)p_u64(ev, 29, 0);
	/* close-on-exec fds go away */
	struct sk_fdtable *ft = sk_state_fdtable(st, t);
	if (ft) {
		size_t it = 0;
		uint64_t k;
		void *v;
		while (sk_u64map_next(&ft->map, &it, &k, &v)) {
			struct sk_fdinfo *f = v;
			if (f->open_flags & PPM_O_CLOEXEC)
				sk_state_remove_fd(st, t, (int64_t)k);
		}
	}
	uint32_t keep = t->flags & (SK_CL_IS_MAIN_THREAD | (3u << 21) | SK_CL_CLONE_INVERTED);
	t->flags = SK_CL_ACTIVE | keep | SK_CL_NAME_CHANGED;
	/* other threads of the group die with the exec */
	if (t->tgroup && t->tgroup->alive > 1) {
		int64_t victims[64];
		size_t n = 0, it = 0;
		struct sk_thread *o;
		while ((o = sk_state_thread_next(st, &it)) && n < SK_ARRAY_LEN(victims))
			if (o->tgroup == t->tgroup && !sk_thread_is_main(o) && o != t)
				victims[n++] = o->tid;
		for (size_t i = 0; i < n; i++)
			sk_state_remove_thread(st, victims[i]);
	}
	sk_state_thread_container(st, t);
	sk_state_want_users(st, t, ev->ts);
}

static void parse_procexit(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	if (!t)
		return;
	if (t->tgroup && !(t->flags & SK_CL_CLOSED) && t->tgroup->alive)
		t->tgroup->alive--;
	t->flags |= SK_CL_CLOSED;
	st->tid_to_remove = ev->tid;
	if (!t->child_head)
		return;
	if (ev->nparams > 4) {
		if (p_has(ev, 4))
			t->reaper_tid = p_s64(ev, 4, -1);
	} else {
		t->reaper_tid = -1;
	}
}

/* ---- fds ---- */

static struct sk_fdinfo *add_fd(struct sk_state *st, int64_t fd, uint8_t type)
{
	struct sk_thread *t = st->cur_thread;
	if (!t || fd < 0)
		return NULL;
	struct sk_fdinfo *f = sk_state_add_fd(st, t, fd);
	if (f) {
		f->type = type;
		st->cur_fd = f;
	}
	return f;
}

static void copy_fdinfo(struct sk_fdinfo *d, const struct sk_fdinfo *s)
{
	struct sk_sstr name = d->name, raw = d->nameraw;
	int64_t fd = d->fd;
	*d = *s;
	d->fd = fd;
	d->name = name;
	d->nameraw = raw;
	(void)sk_sstr_set(&d->name, s->name.s, s->name.len);
	(void)sk_sstr_set(&d->nameraw, s->nameraw.s, s->nameraw.len);
}

/* libsinsp parse_dirfd: the directory a relative path is resolved against. */
static const char *dirfd_base(struct sk_state *st, const char *name, int64_t dirfd, char *buf,
			      size_t cap)
{
	struct sk_thread *t = st->cur_thread;
	if (name[0] == '/')
		return ".";
	if (!t)
		return "<UNKNOWN>";
	if (dirfd == PPM_AT_FDCWD)
		return sk_state_cwd(st, t)->s;
	struct sk_fdinfo *f = sk_state_fd(st, t, dirfd);
	if (!f)
		return "<UNKNOWN>";
	if (!f->name.len || f->name.s[f->name.len - 1] == '/')
		return f->name.s;
	snprintf(buf, cap, "%s/", f->name.s);
	return buf;
}

static void parse_open(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	if (!t)
		return;
	char name[SK_PATH_MAX], dirbuf[SK_PATH_MAX + 2];
	const char *sdir = "";
	uint32_t flags = 0, dev = 0;
	uint64_t ino = 0;
	int64_t fd = p_s64(ev, 0, -1);
	switch (ev->type) {
	case SKE_SYSCALL_OPEN_X:
		p_cstr(ev, 1, name, sizeof(name));
		flags = (uint32_t)p_u64(ev, 2, 0);
		if (p_has(ev, 4)) {
			dev = (uint32_t)p_u64(ev, 4, 0);
			ino = p_u64(ev, 5, 0);
		}
		sdir = sk_state_cwd(st, t)->s;
		break;
	case SKE_SYSCALL_CREAT_X:
		p_cstr(ev, 1, name, sizeof(name));
		if (p_has(ev, 3)) {
			dev = (uint32_t)p_u64(ev, 3, 0);
			if (p_has(ev, 4)) {
				ino = p_u64(ev, 4, 0);
				if (p_has(ev, 5)) {
					uint32_t cf = (uint32_t)p_u64(ev, 5, 0);
					if (cf & 1u) /* PPM_FD_UPPER_LAYER_CREAT */
						flags |= PPM_FD_UPPER_LAYER;
					else if (cf & 2u) /* PPM_FD_LOWER_LAYER_CREAT */
						flags |= PPM_FD_LOWER_LAYER;
				}
			}
		}
		sdir = sk_state_cwd(st, t)->s;
		break;
	case SKE_SYSCALL_OPENAT_2_X:
	case SKE_SYSCALL_OPENAT2_X: {
		if (p_has(ev, 2))
			p_cstr(ev, 2, name, sizeof(name));
		else
			sk_strlcpy(name, "<NA>", sizeof(name));
		flags = (uint32_t)p_u64(ev, 3, 0);
		unsigned di = ev->type == SKE_SYSCALL_OPENAT_2_X ? 5 : 6;
		if (p_has(ev, di + 1)) {
			dev = (uint32_t)p_u64(ev, di, 0);
			ino = p_u64(ev, di + 1, 0);
		}
		if (p_has(ev, 1))
			sdir = dirfd_base(st, name, p_s64(ev, 1, PPM_AT_FDCWD), dirbuf,
					  sizeof(dirbuf));
		break;
	}
	case SKE_SYSCALL_OPEN_BY_HANDLE_AT_X:
		flags = (uint32_t)p_u64(ev, 2, 0);
		p_cstr(ev, 3, name, sizeof(name));
		dev = (uint32_t)p_u64(ev, 4, 0);
		ino = p_u64(ev, 5, 0);
		break;
	default:
		return;
	}
	if (fd < 0)
		return;
	char full[SK_PATH_MAX];
	char base[SK_PATH_MAX];
	sk_strlcpy(base, sdir, sizeof(base)); /* sdir may point into the table */
	size_t n = sk_path_concat(full, base, strlen(base), name);
	struct sk_fdinfo *f =
		add_fd(st, fd, (flags & PPM_O_DIRECTORY) ? SK_FD_DIRECTORY : SK_FD_FILE_V2);
	if (!f)
		return;
	f->open_flags = flags;
	f->dev = dev;
	f->ino = ino;
	(void)sk_sstr_setz(&f->nameraw, name);
	(void)sk_sstr_set(&f->name, full, n);
	f->name_changed = true; /* libsinsp: a new fd's name counts as changed */
	if (flags & PPM_FD_UPPER_LAYER)
		f->flags |= SK_FDF_OVERLAY_UPPER;
	if (flags & PPM_FD_LOWER_LAYER)
		f->flags |= SK_FDF_OVERLAY_LOWER;
}

static void add_socket(struct sk_state *st, int64_t fd, uint32_t domain, uint32_t type,
		       uint32_t proto, uint32_t flags)
{
	uint8_t ftype = SK_FD_UNKNOWN, l4 = SK_L4_UNKNOWN;
	if (domain == PPM_AF_UNIX) {
		ftype = SK_FD_UNIX_SOCK;
	} else if (domain == PPM_AF_INET || domain == PPM_AF_INET6) {
		ftype = domain == PPM_AF_INET ? SK_FD_IPV4_SOCK : SK_FD_IPV6_SOCK;
		const uint32_t SOCK_STREAM_ = 1, SOCK_DGRAM_ = 2, SOCK_RAW_ = 3;
		if (proto == 6)
			l4 = type == SOCK_RAW_ ? SK_L4_RAW : SK_L4_TCP;
		else if (proto == 17)
			l4 = type == SOCK_RAW_ ? SK_L4_RAW : SK_L4_UDP;
		else if (proto == 0) {
			if ((type & 0xff) == SOCK_STREAM_)
				l4 = SK_L4_TCP;
			else if ((type & 0xff) == SOCK_DGRAM_)
				l4 = SK_L4_UDP;
		} else if (proto == 1)
			l4 = type == SOCK_RAW_ ? SK_L4_RAW : SK_L4_ICMP;
		else if (proto == 255)
			l4 = SK_L4_RAW;
	} else if (domain == PPM_AF_NETLINK) {
		ftype = SK_FD_NETLINK;
	}
	struct sk_fdinfo *f = add_fd(st, fd, ftype);
	if (!f)
		return;
	f->open_flags = flags;
	f->l4proto = l4;
	f->family = (uint8_t)(domain == PPM_AF_INET6 ? 10 : domain);
}

static bool is_v4_mapped(const uint8_t *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return true;
	return !a[10] && !a[11] && !a[12] && !a[13] && !a[14] && !a[15];
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void set_unix_name(struct sk_fdinfo *f, const uint8_t *path, uint32_t plen)
{
	char buf[300];
	uint32_t n = 0;
	while (n < plen && path[n])
		n++;
	if (n > 200)
		n = 200;
	int w = snprintf(buf, sizeof(buf), "%" PRIx64 "->%" PRIx64 " %.*s", f->unix_src, f->unix_dst,
			 (int)n, (const char *)path);
	if (w > 0)
		(void)sk_sstr_set(&f->name, buf, (size_t)w < sizeof(buf) ? (size_t)w : sizeof(buf) - 1);
}

/* Fills f's tuple from a SOCKTUPLE param (client side as the tuple says).
 * Returns false when the tuple is not valid. */
static bool fill_tuple(struct sk_fdinfo *f, const uint8_t *p, uint32_t l)
{
	if (!p || l < 1)
		return false;
	if (p[0] == PPM_AF_INET && l >= 13) {
		f->type = SK_FD_IPV4_SOCK;
		f->family = PPM_AF_INET;
		memcpy(f->sip, p + 1, 4);
		f->sport = rd16(p + 5);
		memcpy(f->dip, p + 7, 4);
		f->dport = rd16(p + 11);
		return true;
	}
	if (p[0] == PPM_AF_INET6 && l >= 37) {
		const uint8_t *sip = p + 1, *dip = p + 19;
		f->sport = rd16(p + 17);
		f->dport = rd16(p + 35);
		if (is_v4_mapped(sip) && is_v4_mapped(dip)) {
			f->type = SK_FD_IPV4_SOCK;
			f->family = PPM_AF_INET;
			memset(f->sip, 0, 16);
			memset(f->dip, 0, 16);
			memcpy(f->sip, sip + 12, 4);
			memcpy(f->dip, dip + 12, 4);
		} else {
			f->type = SK_FD_IPV6_SOCK;
			f->family = PPM_AF_INET6;
			memcpy(f->sip, sip, 16);
			memcpy(f->dip, dip, 16);
		}
		return true;
	}
	if (p[0] == PPM_AF_UNIX && l >= 17) {
		f->type = SK_FD_UNIX_SOCK;
		f->family = PPM_AF_UNIX;
		f->unix_src = rd64(p + 1);
		f->unix_dst = rd64(p + 9);
		set_unix_name(f, p + 17, l - 17);
		return true;
	}
	return false;
}

static void swap_tuple(struct sk_fdinfo *f)
{
	uint8_t ip[16];
	memcpy(ip, f->sip, 16);
	memcpy(f->sip, f->dip, 16);
	memcpy(f->dip, ip, 16);
	uint16_t p = f->sport;
	f->sport = f->dport;
	f->dport = p;
}

static void parse_connect(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_fdinfo *f = st->cur_fd;
	if (!st->cur_thread || !f)
		return;
	int64_t res = p_s64(ev, 0, 0);
	if (res < 0 && res != -SE_EINPROGRESS)
		return;
	f->flags &= ~(SK_FDF_CONNECTION_PENDING | SK_FDF_CONNECTION_FAILED);
	f->flags |= SK_FDF_SOCKET_CONNECTED;
	uint32_t l;
	const uint8_t *p = sk_event_param(ev, 1, &l);
	if (!p) {
		/* no tuple: use the address param (fill_client_socket_info_from_addr) */
		uint32_t al;
		const uint8_t *a = sk_event_param(ev, 3, &al);
		if (a && al >= 7 && a[0] == PPM_AF_INET) {
			f->type = SK_FD_IPV4_SOCK;
			memcpy(f->dip, a + 1, 4);
			f->dport = rd16(a + 5);
		} else if (a && al >= 19 && a[0] == PPM_AF_INET6) {
			f->dport = rd16(a + 17);
			if (is_v4_mapped(a + 1)) {
				f->type = SK_FD_IPV4_SOCK;
				memcpy(f->dip, a + 13, 4);
			} else {
				f->type = SK_FD_IPV6_SOCK;
				memcpy(f->dip, a + 1, 16);
			}
		}
		return;
	}
	uint8_t fam = p[0];
	if (fam == PPM_AF_INET || fam == PPM_AF_INET6) {
		char old[200];
		sk_strlcpy(old, f->name.s, sizeof(old));
		uint8_t osip[16], odip[16];
		uint16_t osp = f->sport, odp = f->dport;
		memcpy(osip, f->sip, 16);
		memcpy(odip, f->dip, 16);
		uint8_t l4 = f->l4proto;
		if (!fill_tuple(f, p, l))
			return;
		f->l4proto = l4;
		bool changed = memcmp(osip, f->sip, 16) || memcmp(odip, f->dip, 16) ||
			       osp != f->sport || odp != f->dport;
		if (changed && (f->flags & SK_FDF_ROLE_SERVER) && f->l4proto == SK_L4_UDP)
			swap_tuple(f);
		(void)sk_fd_set_tuple_name(f);
		f->name_changed = strcmp(old, f->name.s) != 0;
	} else {
		if (f->type != SK_FD_UNIX_SOCK)
			return;
		if (!fill_tuple(f, p, l))
			return;
	}
	if (!(f->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER)))
		f->flags |= SK_FDF_ROLE_CLIENT;
}

static void parse_accept(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	int64_t fd = p_s64(ev, 0, -1);
	if (!t || fd < 0)
		return;
	t->lastevent_fd = fd;
	uint32_t l;
	const uint8_t *p = sk_event_param(ev, 1, &l);
	struct sk_fdinfo tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.name.s = (char *)"";
	if (!p || (p[0] != PPM_AF_INET && p[0] != PPM_AF_INET6 && p[0] != PPM_AF_UNIX))
		return;
	if (p[0] == PPM_AF_UNIX && l < 17)
		return;
	struct sk_fdinfo *f = add_fd(st, fd, SK_FD_UNKNOWN);
	if (!f)
		return;
	if (!fill_tuple(f, p, l)) {
		sk_state_remove_fd(st, t, fd);
		st->cur_fd = NULL;
		return;
	}
	if (f->type != SK_FD_UNIX_SOCK) {
		f->l4proto = SK_L4_TCP;
		(void)sk_fd_set_tuple_name(f);
	}
	if (ev->type == SKE_SOCKET_ACCEPT4_6_X)
		f->open_flags = (uint32_t)p_s64(ev, 5, 0) & PPM_O_CLOEXEC;
	f->flags = SK_FDF_ROLE_SERVER | SK_FDF_SOCKET_CONNECTED;
}

static void parse_bind(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_fdinfo *f = st->cur_fd;
	if (!f || p_s64(ev, 0, -1) < 0)
		return;
	uint32_t l;
	const uint8_t *a = sk_event_param(ev, 1, &l);
	if (!a || l < 1)
		return;
	if (a[0] == PPM_AF_INET && l >= 7) {
		uint16_t port = rd16(a + 5);
		if (port > 0) {
			f->type = SK_FD_IPV4_SERVSOCK;
			memset(f->sip, 0, 16);
			memcpy(f->sip, a + 1, 4);
			f->sport = port;
			f->flags |= SK_FDF_ROLE_SERVER;
		}
		char buf[64];
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", a[1], a[2], a[3], a[4], port);
		(void)sk_sstr_setz(&f->name, buf);
	} else if (a[0] == PPM_AF_INET6 && l >= 19) {
		uint16_t port = rd16(a + 17);
		if (port > 0) {
			if (is_v4_mapped(a + 1)) {
				f->type = SK_FD_IPV4_SERVSOCK;
				memset(f->sip, 0, 16);
				memcpy(f->sip, a + 13, 4);
			} else {
				f->type = SK_FD_IPV6_SERVSOCK;
				memcpy(f->sip, a + 1, 16);
			}
			f->sport = port;
			f->flags |= SK_FDF_ROLE_SERVER;
		}
		char ip[64], buf[96];
		if (inet_ntop(AF_INET6, a + 1, ip, sizeof(ip)))
			snprintf(buf, sizeof(buf), "%s:%u", ip, port);
		else
			buf[0] = 0;
		(void)sk_sstr_setz(&f->name, buf);
	} else if (a[0] == PPM_AF_UNIX) {
		uint32_t n = 0;
		const uint8_t *path = a + 1;
		while (1 + n < l && path[n])
			n++;
		(void)sk_sstr_set(&f->name, (const char *)path, n);
	}
}

/* ---- tuples of reads and writes (libsinsp parse_read_exit/parse_write_exit) ---- */

static const uint8_t loopback4[4] = {127, 0, 0, 1};
static const uint8_t loopback6[16] = {[15] = 1};
static const uint8_t zero16[16];

/* infer_ipv4_address / infer_ipv6_address: the interface address that goes
 * with `addr` (the same address, else one in its subnet — IPv6: the same
 * first 64 bits), else the first non-loopback interface, else none. */
static bool infer_local_address(const struct sk_state *st, const uint8_t *addr, bool v6,
				uint8_t *out)
{
	size_t w = v6 ? 16 : 4;
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < st->nifaces; i++) {
			const struct sk_iface *fc = &st->ifaces[i];
			if (fc->v6 != v6)
				continue;
			bool hit;
			if (pass == 0) {
				hit = !memcmp(fc->addr, addr, w);
			} else if (pass == 1) {
				hit = true;
				for (size_t k = 0; k < (v6 ? 8u : 4u); k++) {
					uint8_t m = v6 ? 0xff : fc->netmask[k];
					hit = hit && (fc->addr[k] & m) == (addr[k] & m);
				}
			} else {
				hit = memcmp(fc->addr, v6 ? loopback6 : loopback4, w) != 0;
			}
			if (hit) {
				memcpy(out, fc->addr, w);
				return true;
			}
		}
	}
	memset(out, 0, w);
	return false;
}

/* sinsp_network_interfaces::update_fd: a tuple with one end unset (0.0.0.0
 * or ::) gets that end from the interfaces. */
static void complete_tuple_from_ifaces(const struct sk_state *st, struct sk_fdinfo *f)
{
	bool v6 = f->type == SK_FD_IPV6_SOCK;
	if (!v6 && f->type != SK_FD_IPV4_SOCK)
		return;
	size_t w = v6 ? 16 : 4;
	bool sip_unset = !memcmp(f->sip, zero16, w), dip_unset = !memcmp(f->dip, zero16, w);
	if (!sip_unset && !dip_unset)
		return;
	uint8_t *known = sip_unset ? f->dip : f->sip, *unset = sip_unset ? f->sip : f->dip;
	uint8_t guess[16];
	infer_local_address(st, known, v6, guess);
	if (!memcmp(guess, known, w) && f->sport == f->dport)
		return;
	memcpy(unset, guess, w);
}

/* set_ipv4/ipv6_addresses_and_ports: takes the tuple n into f (the
 * destination always overwritten); false when f already holds it, either
 * way round, or nothing changes. */
static bool set_addresses_and_ports(struct sk_fdinfo *f, const struct sk_fdinfo *n, size_t w,
				    bool check_same)
{
	if (check_same &&
	    ((!memcmp(n->sip, f->sip, w) && n->sport == f->sport && !memcmp(n->dip, f->dip, w) &&
	      n->dport == f->dport) ||
	     (!memcmp(n->dip, f->sip, w) && n->dport == f->sport && !memcmp(n->sip, f->dip, w) &&
	      n->sport == f->dport)))
		return false;
	bool changed = memcmp(n->sip, f->sip, w) || n->sport != f->sport ||
		       memcmp(n->dip, f->dip, w) || n->dport != f->dport;
	memcpy(f->sip, n->sip, w);
	memcpy(f->dip, n->dip, w);
	f->sport = n->sport;
	f->dport = n->dport;
	return changed;
}

/* libsinsp's parser update_fd: the tuple of a send/recv event taken into
 * the socket. False when the tuple is not valid or changes nothing. */
static bool update_fd_from_tuple(struct sk_state *st, struct sk_fdinfo *f, const uint8_t *p,
				 uint32_t l)
{
	if (!p || l < 1)
		return false;
	if (p[0] == PPM_AF_UNIX) {
		if (l < 17)
			return false;
		f->type = SK_FD_UNIX_SOCK;
		f->family = PPM_AF_UNIX;
		f->unix_src = rd64(p + 1);
		f->unix_dst = rd64(p + 9);
		uint32_t n = 0; /* the name is the destination path alone here */
		while (17 + n < l && p[17 + n])
			n++;
		(void)sk_sstr_set(&f->name, (const char *)p + 17, n);
		return true;
	}
	struct sk_fdinfo n = *f;
	if (!fill_tuple(&n, p, l) || (n.type != SK_FD_IPV4_SOCK && n.type != SK_FD_IPV6_SOCK))
		return false;
	bool changed;
	if (n.type == SK_FD_IPV4_SOCK) {
		f->type = SK_FD_IPV4_SOCK; /* also a listening socket the tuple reuses */
		f->family = PPM_AF_INET;
		changed = set_addresses_and_ports(f, &n, 4, true);
	} else {
		/* libsinsp keeps the fd's type on this path */
		changed = set_addresses_and_ports(f, &n, 16, f->type == SK_FD_IPV6_SOCK);
	}
	if (!changed)
		return false;
	/* a protocol still unknown is UDP: TCP cannot change its peer */
	if ((f->type == SK_FD_IPV4_SOCK || f->type == SK_FD_IPV6_SOCK) &&
	    f->l4proto == SK_L4_UNKNOWN)
		f->l4proto = SK_L4_UDP;
	complete_tuple_from_ifaces(st, f);
	return true;
}

/* The process has an IPv4 socket connected to, or listening on, `port`
 * (is_bound_to_port), or one using it as its source port
 * (uses_client_port). */
static bool process_uses_port(const struct sk_state *st, const struct sk_thread *t,
			      uint16_t port, bool as_client)
{
	size_t it = 0;
	const struct sk_fdinfo *o;
	while ((o = sk_state_fd_next(st, t, &it))) {
		if (o->type == SK_FD_IPV4_SOCK && (as_client ? o->sport : o->dport) == port)
			return true;
		if (!as_client && o->type == SK_FD_IPV4_SERVSOCK && o->sport == port)
			return true;
	}
	return false;
}

/* set_net_role_by_guessing. libsinsp reads the socket's ports through its
 * IPv4 view of the tuple, also for an IPv6 socket (whose ports there are
 * bytes 8-11 of the source address); saker does the same so the guess
 * is libsinsp's. */
static void guess_role(const struct sk_state *st, const struct sk_thread *t,
		       struct sk_fdinfo *f, bool incoming)
{
	bool v6 = f->type == SK_FD_IPV6_SOCK;
	uint16_t sport = v6 ? rd16(f->sip + 8) : f->sport;
	uint16_t dport = v6 ? rd16(f->sip + 10) : f->dport;
	if (!process_uses_port(st, t, dport, false))
		f->flags |= SK_FDF_ROLE_CLIENT;
	else if (!process_uses_port(st, t, sport, true))
		f->flags |= SK_FDF_ROLE_SERVER;
	else if (!(f->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER)))
		f->flags |= incoming ? SK_FDF_ROLE_SERVER : SK_FDF_ROLE_CLIENT;
}

/* Where a read/write exit event carries the peer tuple, or -1. */
static int io_tuple_location(uint16_t type)
{
	switch (type) {
	case SKE_SOCKET_RECVFROM_X: return 2;
	case SKE_SOCKET_RECVMSG_X: return 3;
	case SKE_SOCKET_RECV_X: case SKE_SOCKET_RECVMMSG_X:
	case SKE_SOCKET_SEND_X: case SKE_SOCKET_SENDTO_X: case SKE_SOCKET_SENDMSG_X:
	case SKE_SOCKET_SENDMMSG_X:
		return 4;
	default:
		return -1;
	}
}

/* A successful read or write on an IP socket marks it connected; the tuple
 * of send/recv events fills a socket that has none (or is not TCP), with
 * the role guessed when unknown and the tuple kept client->server. */
static void parse_rw_exit(struct sk_state *st, const struct sk_event *ev, bool incoming)
{
	if ((ev->type == SKE_SOCKET_RECVMMSG_X || ev->type == SKE_SOCKET_SENDMMSG_X) &&
	    !p_has(ev, 0))
		return; /* old captures: the converter's empty params */
	int loc = io_tuple_location(ev->type);
	struct sk_thread *t = st->cur_thread;
	struct sk_fdinfo *f = st->cur_fd;
	bool infer = ev->type == SKE_SOCKET_SEND_X || ev->type == SKE_SOCKET_SENDTO_X ||
		     ev->type == SKE_SOCKET_SENDMSG_X;
	if (!f && infer && t && p_s64(ev, 0, -1) >= 0) {
		/* infer_send_sendto_sendmsg_fdinfo: a UDP socket never seen created */
		uint32_t l;
		const uint8_t *p = sk_event_param(ev, (unsigned)loc, &l);
		if (p && l && (p[0] == PPM_AF_INET || p[0] == PPM_AF_INET6))
			add_socket(st, p_s64(ev, 2, -1), p[0], 2, 17, 0);
		f = st->cur_fd;
	}
	if (!f || !t || p_s64(ev, 0, -1) < 0)
		return;
	if (f->type == SK_FD_IPV4_SOCK || f->type == SK_FD_IPV6_SOCK)
		f->flags |= SK_FDF_SOCKET_CONNECTED;
	bool tcp = f->type == SK_FD_IPV4_SOCK && f->l4proto == SK_L4_TCP;
	if (loc < 0 || (f->name.len && tcp))
		return;
	uint32_t l;
	const uint8_t *p = sk_event_param(ev, (unsigned)loc, &l);
	if (!update_fd_from_tuple(st, f, p, l))
		return;
	if (f->type != SK_FD_IPV4_SOCK && f->type != SK_FD_IPV6_SOCK)
		return;
	if (!(f->flags & (SK_FDF_ROLE_CLIENT | SK_FDF_ROLE_SERVER)))
		guess_role(st, t, f, incoming);
	if (f->flags & (incoming ? SK_FDF_ROLE_CLIENT : SK_FDF_ROLE_SERVER))
		swap_tuple(f);
	(void)sk_fd_set_tuple_name(f);
}

static void parse_dup(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	int64_t res = p_s64(ev, 0, -1);
	if (!t || res < 0 || !st->cur_fd)
		return;
	struct sk_fdinfo src = *st->cur_fd; /* strings copied below before reuse */
	char name[SK_PATH_MAX], raw[SK_PATH_MAX];
	sk_strlcpy(name, st->cur_fd->name.s, sizeof(name));
	sk_strlcpy(raw, st->cur_fd->nameraw.s, sizeof(raw));
	if (res == st->cur_fd->fd)
		return;
	struct sk_fdinfo *f = add_fd(st, res, src.type);
	if (!f)
		return;
	struct sk_sstr n = f->name, r = f->nameraw;
	*f = src;
	f->fd = res;
	f->name = n;
	f->nameraw = r;
	(void)sk_sstr_setz(&f->name, name);
	(void)sk_sstr_setz(&f->nameraw, raw);
	f->open_flags &= ~PPM_O_CLOEXEC;
	if (ev->type == SKE_SYSCALL_DUP3_X && (p_u64(ev, 3, 0) & PPM_O_CLOEXEC))
		f->open_flags |= PPM_O_CLOEXEC;
}

static void parse_fcntl(struct sk_state *st, const struct sk_event *ev)
{
	uint64_t cmd = p_u64(ev, 2, 0);
	if (cmd != PPM_FCNTL_F_DUPFD && cmd != PPM_FCNTL_F_DUPFD_CLOEXEC && cmd != PPM_FCNTL_F_SETFD)
		return;
	int64_t res = p_s64(ev, 0, -1);
	if (!st->cur_thread || res < 0 || !st->cur_fd)
		return;
	if (cmd == PPM_FCNTL_F_SETFD) {
		st->cur_fd->open_flags &= ~PPM_O_CLOEXEC;
		if (p_u64(ev, 3, 0) & 1) /* FD_CLOEXEC */
			st->cur_fd->open_flags |= PPM_O_CLOEXEC;
		return;
	}
	struct sk_fdinfo *src = st->cur_fd;
	struct sk_fdinfo *f = add_fd(st, res, src->type);
	if (!f || f == src)
		return;
	copy_fdinfo(f, src);
	f->open_flags &= ~PPM_O_CLOEXEC;
	if (cmd == PPM_FCNTL_F_DUPFD_CLOEXEC)
		f->open_flags |= PPM_O_CLOEXEC;
}

static void parse_pipe(struct sk_state *st, const struct sk_event *ev)
{
	if (p_s64(ev, 0, -1) < 0 || !st->cur_thread)
		return;
	int64_t fd1 = p_s64(ev, 1, -1), fd2 = p_s64(ev, 2, -1);
	uint64_t ino = p_u64(ev, 3, 0);
	uint32_t fl = ev->type == SKE_SYSCALL_PIPE2_X ? (uint32_t)p_u64(ev, 4, 0) : 0;
	struct sk_fdinfo *f = add_fd(st, fd1, SK_FD_FIFO);
	if (f) {
		f->ino = ino;
		f->open_flags = fl;
	}
	struct sk_fdinfo *cur = st->cur_fd;
	f = add_fd(st, fd2, SK_FD_FIFO);
	if (f) {
		f->ino = ino;
		f->open_flags = fl;
	}
	st->cur_fd = cur ? cur : f;
}

static void parse_socketpair(struct sk_state *st, const struct sk_event *ev)
{
	if (p_s64(ev, 0, -1) < 0 || !st->cur_thread)
		return;
	int64_t fd1 = p_s64(ev, 1, -1), fd2 = p_s64(ev, 2, -1);
	if (fd1 == fd2) {
		st->cur_fd = NULL;
		return;
	}
	uint64_t src = p_u64(ev, 3, 0), peer = p_u64(ev, 4, 0);
	struct sk_fdinfo *f1 = add_fd(st, fd1, SK_FD_UNIX_SOCK);
	if (f1) {
		f1->unix_src = src;
		f1->unix_dst = peer;
		f1->family = PPM_AF_UNIX;
	}
	struct sk_fdinfo *f2 = add_fd(st, fd2, SK_FD_UNIX_SOCK);
	if (f2) {
		f2->unix_src = src;
		f2->unix_dst = peer;
		f2->family = PPM_AF_UNIX;
	}
	st->cur_fd = f1;
}

static void parse_simple_fd(struct sk_state *st, const struct sk_event *ev, uint8_t type,
			    int flags_idx)
{
	int64_t fd = p_s64(ev, 0, -1);
	if (fd < 0)
		return;
	struct sk_fdinfo *f = add_fd(st, fd, type);
	if (f && flags_idx >= 0)
		f->open_flags = (uint32_t)p_u64(ev, (unsigned)flags_idx, 0);
}

static void parse_close(struct sk_state *st, const struct sk_event *ev)
{
	if (p_s64(ev, 0, -1) < 0 || !st->cur_fd || !st->cur_thread)
		return;
	st->fd_to_remove = st->cur_fd->fd;
	st->fd_to_remove_tid = st->cur_thread->tid;
}

/* ---- recently exited ring ---- */

struct sk_recent_ring {
	struct recent e[RECENT_RING];
	size_t idx;
};

static bool recently_exited(struct sk_state *st, int64_t tid, int64_t ptid, uint64_t ts)
{
	struct sk_recent_ring *r = st->recent;
	if (!r)
		return false;
	for (size_t i = 0; i < RECENT_RING; i++) {
		const struct recent *e = &r->e[i];
		if (e->tid == tid && e->ptid == ptid && e->ts && ts >= e->ts &&
		    ts - e->ts < 2000000000ULL)
			return true;
	}
	return false;
}

static void record_exited(struct sk_state *st, int64_t tid, int64_t ptid, uint64_t ts)
{
	if (!st->recent) {
		st->recent = calloc(1, sizeof(*st->recent));
		if (!st->recent)
			return;
	}
	struct sk_recent_ring *r = st->recent;
	r->e[r->idx] = (struct recent){tid, ptid, ts};
	r->idx = (r->idx + 1) % RECENT_RING;
}

void sk_state_recent_free(struct sk_state *st)
{
	free(st->recent);
	st->recent = NULL;
}

/* ---- dispatch ---- */

/* Location of the fd param of an exit event (libscap get_exit_event_fd_location). */
/* Where an enter event names its fd (libscap's convention: the first
 * param, but for mmap/mmap2 and splice). */
static unsigned enter_fd_location(uint16_t type)
{
	switch (type) {
	case SKE_SYSCALL_MMAP_E: case SKE_SYSCALL_MMAP2_E:
		return 4;
	case SKE_SYSCALL_SPLICE_E:
		return 1;
	default:
		return 0;
	}
}

static int exit_fd_location(uint16_t type)
{
	switch (type) {
	case SKE_SYSCALL_SETNS_X: case SKE_SOCKET_LISTEN_X: case SKE_SOCKET_SHUTDOWN_X:
	case SKE_SYSCALL_FCHDIR_X: case SKE_SYSCALL_LSEEK_X: case SKE_SYSCALL_LLSEEK_X:
	case SKE_SYSCALL_IOCTL_3_X: case SKE_SYSCALL_FSTAT_X: case SKE_SYSCALL_CLOSE_X:
	case SKE_SYSCALL_GETDENTS_X: case SKE_SYSCALL_GETDENTS64_X: case SKE_SYSCALL_FLOCK_X:
	case SKE_SYSCALL_COPY_FILE_RANGE_X: case SKE_SYSCALL_FCNTL_X: case SKE_SYSCALL_DUP_1_X:
	case SKE_SYSCALL_DUP2_X: case SKE_SYSCALL_DUP3_X: case SKE_SYSCALL_NEWFSTATAT_X:
	case SKE_SYSCALL_FCHOWNAT_X: case SKE_SYSCALL_FCHMODAT_X: case SKE_SYSCALL_MKDIRAT_X:
	case SKE_SYSCALL_UNLINKAT_2_X: case SKE_SYSCALL_MKNODAT_X: case SKE_SOCKET_SENDMMSG_X:
	case SKE_SOCKET_RECVMMSG_X: case SKE_SYSCALL_IO_URING_REGISTER_X:
	case SKE_SYSCALL_IO_URING_ENTER_X: case SKE_SOCKET_SETSOCKOPT_X:
	case SKE_SOCKET_GETSOCKOPT_X: case SKE_SYSCALL_FSCONFIG_X: case SKE_SYSCALL_FINIT_MODULE_X:
	case SKE_SYSCALL_FCHMOD_X: case SKE_SYSCALL_FCHOWN_X:
		return 1;
	case SKE_SYSCALL_READ_X: case SKE_SYSCALL_PREAD_X: case SKE_SOCKET_BIND_X:
	case SKE_SYSCALL_WRITE_X: case SKE_SYSCALL_PWRITE_X: case SKE_SOCKET_RECV_X:
	case SKE_SOCKET_SEND_X: case SKE_SOCKET_SENDTO_X: case SKE_SOCKET_SENDMSG_X:
	case SKE_SYSCALL_SENDFILE_X: case SKE_SYSCALL_SPLICE_X: case SKE_SYSCALL_WRITEV_X:
	case SKE_SYSCALL_PWRITEV_X: case SKE_SOCKET_CONNECT_X: case SKE_SYSCALL_SYMLINKAT_X:
		return 2;
	case SKE_SOCKET_RECVFROM_X: case SKE_SYSCALL_READV_X: case SKE_SYSCALL_PREADV_X:
		return 3;
	case SKE_SOCKET_RECVMSG_X:
		return 5;
	case SKE_SYSCALL_MMAP_X: case SKE_SYSCALL_MMAP2_X:
		return 8;
	default:
		return -1;
	}
}

static bool no_thread_create(uint16_t type)
{
	switch (type) {
	case SKE_SYSCALL_CLONE_20_X: case SKE_SYSCALL_FORK_20_X: case SKE_SYSCALL_VFORK_20_X:
	case SKE_SYSCALL_CLONE3_X: case SKE_SCHEDSWITCH_6_E: case SKE_PROCEXIT_1_E:
		return true;
	default:
		return false;
	}
}

/* A context switch carries the switched-out thread's page faults and its
 * process's memory (kept on the main thread). Old layouts lack them. */
static void parse_context_switch(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	if (!t || !p_has(ev, 5))
		return;
	t->pfmajor = p_u64(ev, 1, t->pfmajor);
	t->pfminor = p_u64(ev, 2, t->pfminor);
	struct sk_thread *m = sk_thread_is_main(t) ? t : sk_state_thread(st, t->pid);
	if (!m || !sk_thread_is_main(m))
		return;
	m->vmsize_kb = (uint32_t)p_u64(ev, 3, m->vmsize_kb);
	m->vmrss_kb = (uint32_t)p_u64(ev, 4, m->vmrss_kb);
	m->vmswap_kb = (uint32_t)p_u64(ev, 5, m->vmswap_kb);
}

/* brk/mmap/mmap2/munmap exits report the thread's memory after the call. */
static void parse_memory_exit(struct sk_state *st, const struct sk_event *ev)
{
	struct sk_thread *t = st->cur_thread;
	if (!t)
		return;
	if (p_has(ev, 1))
		t->vmsize_kb = (uint32_t)p_u64(ev, 1, t->vmsize_kb);
	if (p_has(ev, 3)) {
		t->vmrss_kb = (uint32_t)p_u64(ev, 2, t->vmrss_kb);
		t->vmswap_kb = (uint32_t)p_u64(ev, 3, t->vmswap_kb);
	}
}

/* libsinsp's parser reset(): the fd an event is about. An enter event names
 * it; an exit event keeps its enter event's when it directly follows it,
 * else takes it from its own params. cur_fd is that fd's entry (NULL when
 * the table lacks it); lastevent_fd stays -1 for events that use no fd
 * (creating events set it when the fd is added). */
static void track_event_fd(struct sk_state *st, struct sk_thread *t, const struct sk_event *ev,
			   const struct sk_event_info *info)
{
	bool uses_fd = (info->flags & SK_EF_USES_FD) != 0;
	if (info->dir == 'E') {
		t->last_enter = (uint32_t)ev->type + 1;
		t->lastevent_fd = -1;
		if (uses_fd) {
			unsigned loc = enter_fd_location(ev->type);
			t->lastevent_fd = p_has(ev, loc) ? p_s64(ev, loc, -1) : -1;
			st->cur_fd = sk_state_fd(st, t, t->lastevent_fd);
		}
		return;
	}
	bool paired = t->last_enter == ev->type ||
		      (ev->type == SKE_SYSCALL_EXECVE_19_X &&
		       t->last_enter == (uint32_t)SKE_SYSCALL_EXECVEAT_E + 1);
	if (!paired)
		t->lastevent_fd = -1;
	if (!uses_fd)
		return;
	int loc = exit_fd_location(ev->type);
	if (t->lastevent_fd == -1 && loc >= 0 && p_has(ev, (unsigned)loc))
		t->lastevent_fd = p_s64(ev, (unsigned)loc, -1);
	struct sk_fdinfo *f = sk_state_fd(st, t, t->lastevent_fd);
	if (f)
		f->name_changed = false;
	st->cur_fd = f;
}

/* asyncevent "container" / "container_removed": the container plugin's
 * records (live from runtime clients, or stored in a capture). */
static void parse_async(struct sk_state *st, const struct sk_event *ev)
{
	if (!p_has(ev, 1) || !p_has(ev, 2))
		return;
	uint32_t nl, dl;
	const char *name = p_str(ev, 1, &nl);
	const uint8_t *data = sk_event_param(ev, 2, &dl);
	bool added = nl == 9 && !memcmp(name, "container", 9);
	bool removed = nl == 17 && !memcmp(name, "container_removed", 17);
	if (data && (added || removed))
		(void)sk_state_container_json(st, (const char *)data, dl, removed);
}

void sk_state_enter_event(struct sk_state *st, const struct sk_event *ev)
{
	st->cur_thread = NULL;
	st->cur_fd = NULL;
	const struct sk_event_info *info = ev->info ? ev->info : sk_event_info_get(ev->type);
	if (!info || info->dir != 'E' || !(info->category & SK_EC_SYSCALL) || ev->tid < 0)
		return;
	struct sk_thread *t = sk_state_thread_touch(st, ev->tid, ev->ts);
	st->cur_thread = t;
	if (t)
		track_event_fd(st, t, ev, info);
}

static struct sk_bytes p_bytes(const struct sk_event *ev, unsigned i)
{
	uint32_t l = 0;
	const char *s = p_str(ev, i, &l);
	return (struct sk_bytes){s ? s : "", s ? l : 0};
}

/* useradded/userdeleted/groupadded/groupdeleted, as libsinsp replays them:
 * the host's tables (container id "") take the entry; for a container,
 * libsinsp reads the user from the process's /etc, which a record cannot
 * name, so only an entry the container's tables have already is updated. */
static void parse_user_record(struct sk_state *st, const struct sk_event *ev)
{
	bool user = ev->type == SKE_USER_ADDED_E || ev->type == SKE_USER_DELETED_E;
	bool add = ev->type == SKE_USER_ADDED_E || ev->type == SKE_GROUP_ADDED_E;
	char cid[80];
	p_cstr(ev, user ? 5 : 2, cid, sizeof(cid));
	const char *c = cid[0] ? cid : "host";
	uint32_t id = (uint32_t)p_u64(ev, 0, 0);
	if (!add) {
		sk_state_remove_user(st, c, user, id);
		return;
	}
	bool known = user ? sk_state_user(st, c, id) != NULL : sk_state_group(st, c, id) != NULL;
	if (strcmp(c, "host") != 0 && !known)
		return;
	if (user)
		(void)sk_state_add_container_user(st, c, id, (uint32_t)p_u64(ev, 1, 0), p_bytes(ev, 2),
						  p_bytes(ev, 3), p_bytes(ev, 4));
	else
		(void)sk_state_add_container_group(st, c, id, p_bytes(ev, 1));
}

/* Within the bound of /proc reads per second of event time (shared by
 * unknown threads and passed fds): false (counted) when over it. */
static bool lookup_allowed(struct sk_state *st, uint64_t ts)
{
	if (ts >= st->lookups_window_ts + 1000000000ULL || ts < st->lookups_window_ts) {
		st->lookups_window_ts = ts;
		st->lookups_in_window = 0;
	}
	if (st->lookups_in_window >= SK_STATE_LOOKUPS_PER_S) {
		st->stats.proc_lookups_skipped++;
		return false;
	}
	st->lookups_in_window++;
	st->stats.proc_lookups++;
	return true;
}

/* A thread the table lacks, read from /proc (live), within the rate bound:
 * after a long drop thousands of threads may be unknown at once. */
static void read_unknown_thread(struct sk_state *st, int64_t tid, uint64_t ts)
{
	if (lookup_allowed(st, ts) && st->cfg.read_thread(st->cfg.read_thread_ctx, st, tid) != 0)
		st->stats.proc_lookups_failed++;
}

#define SCM_MAX_FD 253 /* the kernel's bound on fds in one SCM_RIGHTS message */

/* The fds a recvmsg (recvmmsg: one of its messages) on a unix socket
 * received in SCM_RIGHTS control messages, read from /proc (live), as
 * libsinsp does: otherwise a descriptor handed over by another process
 * (a listening socket from systemd, a container's stdio from its runtime)
 * stays unknown to every later event. The control bytes are x86_64 cmsghdrs
 * (u64 len, int level, int type, data), each 8-byte aligned. */
static void read_passed_fds(struct sk_state *st, const struct sk_event *ev, unsigned ctl)
{
	struct sk_thread *t = st->cur_thread;
	if (!st->cfg.read_fds || !t || !st->cur_fd || st->cur_fd->type != SK_FD_UNIX_SOCK)
		return;
	uint32_t len;
	const uint8_t *c = sk_event_param(ev, ctl, &len);
	int fds[SCM_MAX_FD];
	size_t n = 0;
	for (size_t off = 0; c && len >= 16 && off <= len - 16;) {
		uint64_t clen;
		int32_t level, type;
		memcpy(&clen, c + off, 8);
		memcpy(&level, c + off + 8, 4);
		memcpy(&type, c + off + 12, 4);
		if (clen < 16 || clen > len - off)
			break; /* malformed: what came before it stands */
		if (level == 1 /* SOL_SOCKET */ && type == 1 /* SCM_RIGHTS */) {
			size_t data = (size_t)clen - 16;
			if (data % sizeof(int) || data / sizeof(int) > SCM_MAX_FD - n)
				break;
			memcpy(fds + n, c + off + 16, data);
			n += data / sizeof(int);
		}
		off += (size_t)((clen + 7) & ~7ULL);
	}
	if (!n || !lookup_allowed(st, ev->ts))
		return;
	int64_t last = t->lastevent_fd; /* the seeding callback resets it */
	if (st->cfg.read_fds(st->cfg.read_fds_ctx, st, t->pid, fds, n) != 0)
		st->stats.proc_lookups_failed++;
	t->lastevent_fd = last;
}

bool sk_state_initial_record(uint16_t type)
{
	switch (type) {
	case SKE_CONTAINER_E: case SKE_CONTAINER_JSON_E: case SKE_CONTAINER_JSON_2_E:
	case SKE_USER_ADDED_E: case SKE_USER_DELETED_E: case SKE_GROUP_ADDED_E:
	case SKE_GROUP_DELETED_E: case SKE_ASYNCEVENT_E:
		return true;
	default:
		return false;
	}
}

bool sk_state_update(struct sk_state *st, const struct sk_event *ev)
{
	st->stats.events++;
	if (st->seeding)
		sk_state_seed_done(st);
	st->cur_thread = NULL;
	st->cur_fd = NULL;
	st->last_ts = ev->ts;
	const struct sk_event_info *info = ev->info ? ev->info : sk_event_info_get(ev->type);
	if (!info)
		return false;
	bool visible = info->dir == 'X' || !(info->category & SK_EC_SYSCALL);
	/* the previous event's container record is done even when this event
	 * skips the parser's reset (procinfo after the initial container events) */
	if (st->event_ctr)
		sk_state_event_container_reset(st);
	if (info->flags & SK_EF_SKIPPARSERESET)
		return visible;
	switch (ev->type) {
	case SKE_ASYNCEVENT_E:
		parse_async(st, ev);
		return visible;
	case SKE_CONTAINER_JSON_2_E:
		if (p_has(ev, 0)) {
			uint32_t jl;
			const char *js = p_str(ev, 0, &jl);
			(void)sk_state_container_json(st, js, jl, false);
		}
		return visible;
	case SKE_USER_ADDED_E: case SKE_USER_DELETED_E:
	case SKE_GROUP_ADDED_E: case SKE_GROUP_DELETED_E:
		parse_user_record(st, ev);
		return visible;
	case SKE_PLUGINEVENT_E:
		return visible;
	default:
		break;
	}
	struct sk_thread *t = NULL;
	if (ev->tid >= 0 && st->cfg.read_thread && !no_thread_create(ev->type) &&
	    !sk_state_thread(st, ev->tid))
		read_unknown_thread(st, ev->tid, ev->ts);
	if (ev->tid >= 0) {
		t = no_thread_create(ev->type) ? sk_state_thread(st, ev->tid)
					       : sk_state_get_or_create(st, ev->tid, ev->ts);
		if (t) {
			t->lastaccess_ts = ev->ts;
			t->lastevent_ts = ev->ts;
			if (!no_thread_create(ev->type))
				t->flags |= SK_CL_ACTIVE;
		}
	}
	st->cur_thread = t;
	if (t && ev->type != SKE_SCHEDSWITCH_6_E)
		track_event_fd(st, t, ev, info);
	switch (ev->type) {
	case SKE_SYSCALL_CLONE_20_X: case SKE_SYSCALL_FORK_20_X: case SKE_SYSCALL_VFORK_20_X:
	case SKE_SYSCALL_CLONE3_X:
		parse_clone(st, ev);
		break;
	case SKE_SYSCALL_EXECVE_19_X: case SKE_SYSCALL_EXECVEAT_X:
		parse_execve(st, ev);
		break;
	case SKE_PROCEXIT_1_E:
		parse_procexit(st, ev);
		break;
	case SKE_SYSCALL_OPEN_X: case SKE_SYSCALL_CREAT_X: case SKE_SYSCALL_OPENAT_2_X:
	case SKE_SYSCALL_OPENAT2_X: case SKE_SYSCALL_OPEN_BY_HANDLE_AT_X:
		parse_open(st, ev);
		break;
	case SKE_SYSCALL_CLOSE_X:
		parse_close(st, ev);
		break;
	case SKE_SOCKET_SOCKET_X:
		if (t && p_s64(ev, 0, -1) >= 0)
			add_socket(st, p_s64(ev, 0, -1), (uint32_t)p_u64(ev, 1, 0),
				   (uint32_t)p_u64(ev, 2, 0), (uint32_t)p_u64(ev, 3, 0),
				   (uint32_t)p_u64(ev, 4, 0));
		break;
	case SKE_SOCKET_SOCKETPAIR_X:
		parse_socketpair(st, ev);
		break;
	case SKE_SCHEDSWITCH_6_E:
		parse_context_switch(st, ev);
		break;
	case SKE_SYSCALL_BRK_4_X: case SKE_SYSCALL_MMAP_X: case SKE_SYSCALL_MMAP2_X:
	case SKE_SYSCALL_MUNMAP_X:
		parse_memory_exit(st, ev);
		break;
	case SKE_SOCKET_BIND_X:
		parse_bind(st, ev);
		break;
	case SKE_SOCKET_CONNECT_X:
		parse_connect(st, ev);
		break;
	case SKE_SOCKET_ACCEPT_5_X: case SKE_SOCKET_ACCEPT4_6_X:
		parse_accept(st, ev);
		break;
	case SKE_SYSCALL_READ_X: case SKE_SYSCALL_READV_X: case SKE_SYSCALL_PREAD_X:
	case SKE_SYSCALL_PREADV_X: case SKE_SOCKET_RECV_X: case SKE_SOCKET_RECVFROM_X:
		parse_rw_exit(st, ev, true);
		break;
	case SKE_SOCKET_RECVMSG_X: case SKE_SOCKET_RECVMMSG_X:
		parse_rw_exit(st, ev, true);
		read_passed_fds(st, ev, ev->type == SKE_SOCKET_RECVMSG_X ? 4 : 5);
		break;
	case SKE_SYSCALL_WRITE_X: case SKE_SYSCALL_WRITEV_X: case SKE_SYSCALL_PWRITE_X:
	case SKE_SYSCALL_PWRITEV_X: case SKE_SOCKET_SEND_X: case SKE_SOCKET_SENDTO_X:
	case SKE_SOCKET_SENDMSG_X: case SKE_SOCKET_SENDMMSG_X:
		parse_rw_exit(st, ev, false);
		break;
	case SKE_SYSCALL_PIPE_X: case SKE_SYSCALL_PIPE2_X:
		parse_pipe(st, ev);
		break;
	case SKE_SYSCALL_DUP_1_X: case SKE_SYSCALL_DUP2_X: case SKE_SYSCALL_DUP3_X:
		parse_dup(st, ev);
		break;
	case SKE_SYSCALL_FCNTL_X:
		parse_fcntl(st, ev);
		break;
	case SKE_SYSCALL_EVENTFD_X:
		parse_simple_fd(st, ev, SK_FD_EVENT, -1);
		break;
	case SKE_SYSCALL_EVENTFD2_X:
		parse_simple_fd(st, ev, SK_FD_EVENT, 1);
		break;
	case SKE_SYSCALL_SIGNALFD_X:
		parse_simple_fd(st, ev, SK_FD_SIGNALFD, -1);
		break;
	case SKE_SYSCALL_SIGNALFD4_X:
		parse_simple_fd(st, ev, SK_FD_SIGNALFD, 1);
		break;
	case SKE_SYSCALL_TIMERFD_CREATE_X:
		parse_simple_fd(st, ev, SK_FD_TIMERFD, 2);
		break;
	case SKE_SYSCALL_INOTIFY_INIT_X:
		parse_simple_fd(st, ev, SK_FD_INOTIFY, -1);
		break;
	case SKE_SYSCALL_INOTIFY_INIT1_X:
		parse_simple_fd(st, ev, SK_FD_INOTIFY, 1);
		break;
	case SKE_SYSCALL_BPF_2_X:
		parse_simple_fd(st, ev, SK_FD_BPF, -1);
		break;
	case SKE_SYSCALL_USERFAULTFD_X:
		parse_simple_fd(st, ev, SK_FD_USERFAULTFD, -1);
		break;
	case SKE_SYSCALL_IO_URING_SETUP_X:
		parse_simple_fd(st, ev, SK_FD_IOURING, -1);
		break;
	case SKE_SYSCALL_EPOLL_CREATE_X:
		parse_simple_fd(st, ev, SK_FD_EVENTPOLL, -1);
		break;
	case SKE_SYSCALL_EPOLL_CREATE1_X: {
		parse_simple_fd(st, ev, SK_FD_EVENTPOLL, -1);
		if (st->cur_fd && (p_u64(ev, 1, 0) & (1u << 0))) /* PPM_EPOLL_CLOEXEC */
			st->cur_fd->open_flags |= PPM_O_CLOEXEC;
		break;
	}
	case SKE_SYSCALL_MEMFD_CREATE_X: {
		struct sk_fdinfo *f = NULL;
		if (p_s64(ev, 0, -1) >= 0)
			f = add_fd(st, p_s64(ev, 0, -1), SK_FD_MEMFD);
		if (f) {
			(void)set_str_param(&f->name, ev, 1);
			f->open_flags = (uint32_t)p_u64(ev, 2, 0);
		}
		break;
	}
	case SKE_SYSCALL_PIDFD_OPEN_X: {
		int64_t fd = p_s64(ev, 0, -1);
		struct sk_fdinfo *f = fd >= 0 ? add_fd(st, fd, SK_FD_PIDFD) : NULL;
		if (f) {
			char buf[64];
			int64_t pid = p_s64(ev, 1, 0);
			snprintf(buf, sizeof(buf), "/proc/%" PRId64, pid);
			(void)sk_sstr_setz(&f->name, buf);
			f->open_flags = (uint32_t)p_u64(ev, 2, 0);
			f->pid = pid;
		}
		break;
	}
	case SKE_SYSCALL_PIDFD_GETFD_X: {
		if (!t)
			break;
		struct sk_fdinfo *pf = sk_state_fd(st, t, p_s64(ev, 1, -1));
		if (!pf || pf->type != SK_FD_PIDFD)
			break;
		struct sk_thread *o = sk_state_thread(st, pf->pid);
		struct sk_fdinfo *src = o ? sk_state_fd(st, o, p_s64(ev, 2, -1)) : NULL;
		int64_t fd = p_s64(ev, 0, -1);
		if (!src || fd < 0)
			break;
		struct sk_fdinfo *f = add_fd(st, fd, src->type);
		if (f && f != src) {
			copy_fdinfo(f, src);
			f->open_flags |= PPM_O_CLOEXEC;
		}
		break;
	}
	case SKE_SYSCALL_CHDIR_X:
		if (t && p_s64(ev, 0, -1) >= 0) {
			char path[SK_PATH_MAX];
			update_cwd(st, t, p_cstr(ev, 1, path, sizeof(path)));
		}
		break;
	case SKE_SYSCALL_FCHDIR_X:
		if (t && p_s64(ev, 0, -1) >= 0 && st->cur_fd) {
			char path[SK_PATH_MAX];
			sk_strlcpy(path, st->cur_fd->name.s, sizeof(path));
			update_cwd(st, t, path);
		}
		break;
	case SKE_SYSCALL_SETUID_X: case SKE_SYSCALL_SETRESUID_X: case SKE_SYSCALL_SETREUID_X: {
		unsigned i = ev->type == SKE_SYSCALL_SETUID_X ? 1 : 2;
		if (t && p_s64(ev, 0, -1) == 0 && p_has(ev, i)) {
			t->uid = t->euid = (uint32_t)p_u64(ev, i, 0);
			sk_state_want_users(st, t, ev->ts);
		}
		break;
	}
	case SKE_SYSCALL_SETGID_X: case SKE_SYSCALL_SETRESGID_X: case SKE_SYSCALL_SETREGID_X: {
		unsigned i = ev->type == SKE_SYSCALL_SETGID_X ? 1 : 2;
		if (t && p_s64(ev, 0, -1) == 0 && p_has(ev, i)) {
			t->gid = t->egid = (uint32_t)p_u64(ev, i, 0);
			sk_state_want_users(st, t, ev->ts);
		}
		break;
	}
	case SKE_SYSCALL_SETSID_X:
		if (t && p_s64(ev, 0, -1) >= 0)
			t->sid = p_s64(ev, 0, -1);
		break;
	case SKE_SYSCALL_CAPSET_X:
		if (t && p_s64(ev, 0, -1) >= 0) {
			t->cap_inheritable = p_u64(ev, 1, 0);
			t->cap_permitted = p_u64(ev, 2, 0);
			t->cap_effective = p_u64(ev, 3, 0);
		}
		break;
	case SKE_SYSCALL_PRCTL_X:
		if (t && !sk_thread_is_invalid(t) && p_s64(ev, 0, -1) >= 0 && t->tgroup) {
			uint64_t opt = p_u64(ev, 1, 0);
			if (opt == PPM_PR_SET_CHILD_SUBREAPER || opt == PPM_PR_GET_CHILD_SUBREAPER)
				t->tgroup->reaper = p_s64(ev, 3, 0) != 0;
		}
		break;
	case SKE_SYSCALL_CHROOT_X:
		if (t && p_s64(ev, 0, -1) == 0)
			(void)set_str_param(&t->root, ev, 1);
		break;
	case SKE_SYSCALL_UNSHARE_X: case SKE_SYSCALL_SETNS_X: {
		if (!t || p_s64(ev, 0, -1) < 0)
			break;
		uint64_t fl = ev->type == SKE_SYSCALL_UNSHARE_X ? p_u64(ev, 1, 0) : p_u64(ev, 2, 0);
		if (fl & SK_CL_CLONE_NEWUSER)
			t->cap_inheritable = t->cap_permitted = t->cap_effective =
				(1ULL << 41) - 1; /* every capability up to CAP_CHECKPOINT_RESTORE */
		break;
	}
	default:
		break;
	}
	return visible;
}

void sk_state_post(struct sk_state *st, const struct sk_event *ev)
{
	if (st->fd_to_remove >= 0) {
		struct sk_thread *t = sk_state_thread(st, st->fd_to_remove_tid);
		if (t)
			sk_state_remove_fd(st, t, st->fd_to_remove);
		st->fd_to_remove = -1;
	}
	if (st->tid_to_remove >= 0) {
		struct sk_thread *t = sk_state_thread(st, st->tid_to_remove);
		record_exited(st, st->tid_to_remove, t ? t->ptid : -1, ev->ts);
		sk_state_remove_thread(st, st->tid_to_remove);
		st->tid_to_remove = -1;
	}
	sk_state_purge_tick(st, ev->ts);
	st->cur_thread = NULL;
	st->cur_fd = NULL;
}
