/* fields_proc.c — the process/thread class (proc.*, thread.*): identity,
 * command line, ancestry, session/group leaders, exe flags and inode times,
 * capabilities, resource counters. Everything comes from the state's
 * thread table; no thread = no value. */
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

enum { EV_PROCINFO = 234 }; /* PPME_PROCINFO_E */

#define MAX_ANCESTORS 64

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *const shells[] = {"bash", "sh", "zsh", "ksh", "csh", "tcsh", "dash",
				     "fish", "ash", NULL};

/* The elements of a NUL-separated list as libsinsp splits it (the list is
 * stored without its final NUL): none when empty, else every NUL ends one,
 * so "\0" (stored from "\0\0") is two empty arguments. Returns the offset
 * of the next element after the one at `i` (n bytes), or -1 at the end. */
static int64_t list_next(const struct sk_sstr *l, uint32_t i, size_t *n)
{
	*n = strnlen(l->s + i, l->len - i);
	return (uint64_t)i + *n < l->len ? (int64_t)(i + *n + 1) : -1;
}

static int join_list(struct sk_buf *b, const struct sk_sstr *l, char sep)
{
	size_t n;
	for (int64_t i = l->len ? 0 : -1; i >= 0;) {
		int64_t nx = list_next(l, (uint32_t)i, &n);
		if (i && sk_buf_putc(b, sep) < 0)
			return -1;
		if (sk_buf_append(b, l->s + i, n) < 0)
			return -1;
		i = nx;
	}
	return 0;
}

/* The idx-th element of a NUL-separated list, or NULL. */
static const char *list_at(const struct sk_sstr *l, int64_t idx, size_t *len)
{
	int64_t k = 0;
	for (int64_t i = l->len ? 0 : -1; i >= 0; k++) {
		int64_t nx = list_next(l, (uint32_t)i, len);
		if (k == idx)
			return l->s + i;
		i = nx;
	}
	return NULL;
}

static uint64_t list_count(const struct sk_sstr *l, uint64_t *total)
{
	uint64_t k = 0;
	size_t n;
	*total = 0;
	for (int64_t i = l->len ? 0 : -1; i >= 0; k++) {
		i = list_next(l, (uint32_t)i, &n);
		*total += n;
	}
	return k;
}

static size_t put_cmdline(struct sk_eval_ctx *c, const struct sk_thread *t,
			  const struct sk_sstr *head, struct sk_value *out)
{
	struct sk_buf *b = sk_fields_scratch(c);
	if (sk_buf_append(b, head->s, head->len) < 0)
		return 0;
	if (t->args.len && (sk_buf_putc(b, ' ') < 0 || join_list(b, &t->args, ' ') < 0))
		return 0;
	return sk_val_buf(out, b);
}

static size_t put_caps(struct sk_eval_ctx *c, uint64_t caps, struct sk_value *out)
{
	struct sk_buf *b = sk_fields_scratch(c);
	for (unsigned i = 0; i < SK_ARRAY_LEN(cap_names); i++) {
		if (!(caps & (1ULL << i)))
			continue;
		if ((b->len && sk_buf_putc(b, ' ') < 0) || sk_buf_puts(b, cap_names[i]) < 0)
			return 0;
	}
	return sk_val_buf(out, b);
}

/* Ancestor `n` of t (0 = t's process itself), or NULL. */
static struct sk_thread *ancestor(struct sk_state *st, struct sk_thread *t, int64_t n)
{
	struct sk_thread *a = sk_state_main_thread(st, t);
	if (!a)
		a = t;
	for (int64_t i = 0; i < n && a; i++)
		a = sk_state_parent(st, a);
	return a;
}

/* Value of one per-thread attribute used by the ancestor fields. */
static size_t anc_value(struct sk_eval_ctx *c, enum sk_field_id id, struct sk_thread *a,
			struct sk_value *out)
{
	switch (id) {
	case SK_F_PROC_AEXE:
		return sk_val_str(out, a->exe.s, a->exe.len);
	case SK_F_PROC_AEXEPATH:
		return sk_val_str(out, a->exepath.s, a->exepath.len);
	case SK_F_PROC_ANAME:
		return sk_val_str(out, a->comm.s, a->comm.len);
	case SK_F_PROC_AARGS: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (join_list(b, &a->args, ' ') < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_PROC_ACMDLINE:
		return put_cmdline(c, a, &a->comm, out);
	case SK_F_PROC_APID:
		return sk_val_s64(out, SK_PT_INT64, a->pid);
	default:
		return 0;
	}
}

static size_t ancestors(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_thread *t,
			struct sk_value *out, size_t max)
{
	enum sk_field_id id = (enum sk_field_id)f->def->id;
	if (f->has_index) {
		struct sk_thread *a = ancestor(c->state, t, f->index);
		return a ? anc_value(c, id, a, out) : 0;
	}
	/* no index: every ancestor from the parent up */
	size_t n = 0;
	struct sk_thread *a = ancestor(c->state, t, 1);
	for (int i = 0; a && n < max && i < MAX_ANCESTORS; i++) {
		n += anc_value(c, id, a, &out[n]);
		a = sk_state_parent(c->state, a);
	}
	return n;
}

/* The ancestor (or self) whose pid equals `id` (session/group leader). */
/* libsinsp get_oldest_matching_ancestor for the session (sid) or process
 * group (vpgid) leader: outside a pid namespace the thread whose tid is the
 * id, if the table has it; else (or in a namespace) the oldest of the
 * unbroken run of ancestors sharing the id. */
enum leader_kind { BY_SID, BY_VPGID, BY_PGID };

static int64_t leader_id(const struct sk_thread *t, enum leader_kind k)
{
	return k == BY_SID ? t->sid : k == BY_VPGID ? t->vpgid : t->pgid;
}

static struct sk_thread *leader(struct sk_state *st, struct sk_thread *t, enum leader_kind k)
{
	int64_t id = leader_id(t, k);
	if (id == -1)
		return NULL;
	/* sid and vpgid are namespace-relative; pgid is not */
	bool in_pidns = (t->flags & SK_CL_CHILD_IN_PIDNS) || (t->tid != t->vtid && t->vtid >= 0);
	if (k == BY_PGID || !in_pidns) {
		struct sk_thread *l = sk_state_thread(st, id);
		if (l)
			return l;
	}
	struct sk_thread *found = NULL;
	struct sk_thread *p = sk_state_thread(st, t->ptid);
	for (int i = 0; p && p->tid != -1 && i < MAX_ANCESTORS; i++) {
		if (leader_id(p, k) != id)
			break;
		found = p;
		if (p->ptid == p->tid)
			break;
		p = sk_state_thread(st, p->ptid);
	}
	return found;
}

/* proc.sname & co: the leader's comm/exe/exepath; "" (a value) when there
 * is no leader, as libsinsp's get_ancestor_field_as_string. */
static size_t leader_value(struct sk_eval_ctx *c, struct sk_thread *t, enum leader_kind k,
			   int what, struct sk_value *out)
{
	struct sk_thread *l = leader(c->state, t, k);
	if (!l)
		return sk_val_cstr(out, "");
	switch (what) {
	case 0: return sk_val_str(out, l->comm.s, l->comm.len);
	case 1: return sk_val_str(out, l->exe.s, l->exe.len);
	default: return sk_val_str(out, l->exepath.s, l->exepath.len);
	}
}

static size_t std_fd(struct sk_eval_ctx *c, struct sk_thread *t, int64_t fd, bool name,
		     struct sk_value *out)
{
	struct sk_fdinfo *fi = sk_state_fd(c->state, t, fd);
	if (!fi)
		return 0;
	if (name)
		return sk_val_str(out, fi->name.s, fi->name.len);
	const char *tn = sk_fd_type_name(fi->type);
	return tn ? sk_val_cstr(out, tn) : 0;
}

/* proc.nchilds as libsinsp's get_num_not_leader_threads: the live threads
 * of the process, less its main thread while that one is alive. */
static uint64_t non_leader_threads(struct sk_state *st, const struct sk_thread *t)
{
	uint64_t alive = sk_state_nthreads(st, t);
	if (!alive)
		return 0;
	const struct sk_thread *m = sk_thread_is_main(t) ? t : sk_state_thread(st, t->pid);
	if (m && sk_thread_is_main(m) && !(m->flags & SK_CL_CLOSED))
		return alive - 1;
	return alive;
}

size_t sk_fx_proc(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max)
{
	struct sk_thread *t = sk_fields_thread(c);
	if (!t) {
		/* thread.tid is the event's tid even when the thread is unknown */
		if (f->def->id == SK_F_THREAD_TID && c->ev)
			return sk_val_s64(out, SK_PT_INT64, c->ev->tid);
		return 0;
	}
	struct sk_state *st = c->state;
	struct sk_thread *mt = sk_state_main_thread(st, t);
	if (!mt)
		mt = t;
	struct sk_thread *pt;
	const struct sk_event *ev = c->ev;
	enum sk_field_id id = (enum sk_field_id)f->def->id;
	switch (id) {
	case SK_F_PROC_EXE:
		return sk_val_str(out, t->exe.s, t->exe.len);
	case SK_F_PROC_EXEPATH:
		return sk_val_str(out, t->exepath.s, t->exepath.len);
	case SK_F_PROC_NAME:
		return sk_val_str(out, t->comm.s, t->comm.len);
	case SK_F_PROC_PEXE:
	case SK_F_PROC_PEXEPATH:
	case SK_F_PROC_PNAME:
	case SK_F_PROC_PCMDLINE:
	case SK_F_PROC_PPID_DURATION:
	case SK_F_PROC_PPID_TS:
	case SK_F_PROC_PVPID:
		pt = sk_state_parent(st, t);
		if (!pt)
			return 0;
		switch (id) {
		case SK_F_PROC_PEXE: return sk_val_str(out, pt->exe.s, pt->exe.len);
		case SK_F_PROC_PEXEPATH: return sk_val_str(out, pt->exepath.s, pt->exepath.len);
		case SK_F_PROC_PNAME: return sk_val_str(out, pt->comm.s, pt->comm.len);
		case SK_F_PROC_PCMDLINE: return put_cmdline(c, pt, &pt->comm, out);
		case SK_F_PROC_PVPID: return sk_val_s64(out, SK_PT_INT64, pt->vpid);
		case SK_F_PROC_PPID_TS: return sk_val_u64(out, SK_PT_RELTIME, pt->clone_ts);
		default:
			return pt->clone_ts && ev ? sk_val_u64(out, SK_PT_RELTIME, ev->ts - pt->clone_ts)
						 : 0;
		}
	case SK_F_PROC_AEXE:
	case SK_F_PROC_AEXEPATH:
	case SK_F_PROC_ANAME:
	case SK_F_PROC_AARGS:
	case SK_F_PROC_ACMDLINE:
	case SK_F_PROC_APID:
		return ancestors(f, c, t, out, max);
	case SK_F_PROC_ARGS: {
		if (f->has_index) {
			size_t n;
			const char *a = list_at(&t->args, f->index, &n);
			return a ? sk_val_str(out, a, n) : 0;
		}
		struct sk_buf *b = sk_fields_scratch(c);
		if (join_list(b, &t->args, ' ') < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_PROC_CMDLINE:
		return put_cmdline(c, t, &t->comm, out);
	case SK_F_PROC_EXELINE: {
		if (c->sysdig)
			return put_cmdline(c, t, &t->exe, out);
		/* libsinsp: the exe, a space, the arguments joined (a space
		 * even without arguments) */
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_buf_append(b, t->exe.s, t->exe.len) < 0 || sk_buf_putc(b, ' ') < 0 ||
		    join_list(b, &t->args, ' ') < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_PROC_CMDNARGS: {
		uint64_t tot;
		return sk_val_u64(out, SK_PT_UINT64, list_count(&t->args, &tot));
	}
	case SK_F_PROC_CMDLENARGS: {
		uint64_t tot;
		list_count(&t->args, &tot);
		return sk_val_u64(out, SK_PT_UINT64, tot);
	}
	case SK_F_PROC_ENV: {
		const struct sk_sstr *env = mt->env.len ? &mt->env : &t->env;
		if (f->arg) {
			size_t kl = strlen(f->arg);
			for (int64_t k = 0;; k++) {
				size_t n;
				const char *e = list_at(env, k, &n);
				if (!e)
					return 0;
				if (n > kl && e[kl] == '=' && memcmp(e, f->arg, kl) == 0)
					return sk_val_str(out, e + kl + 1, n - kl - 1);
			}
		}
		struct sk_buf *b = sk_fields_scratch(c);
		if (join_list(b, env, ' ') < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_PROC_CWD: {
		const struct sk_sstr *cwd = sk_state_cwd(st, t);
		/* libsinsp: "./" for a thread that never learnt one and has no
		 * main thread to ask (the placeholder of an unknown tid) */
		if (!cwd->len && !c->sysdig && !sk_state_main_thread(st, t))
			return sk_val_cstr(out, "./");
		return sk_val_str(out, cwd->s, cwd->len);
	}
	case SK_F_PROC_LOGINSHELLID: {
		int64_t found = -1;
		struct sk_thread *a = mt;
		for (int i = 0; a && i < MAX_ANCESTORS; i++) {
			for (unsigned k = 0; shells[k]; k++)
				if (strcmp(a->comm.s, shells[k]) == 0)
					found = a->pid;
			a = sk_state_parent(st, a);
		}
		return found >= 0 ? sk_val_s64(out, SK_PT_INT64, found) : 0;
	}
	case SK_F_PROC_TTY:
		return sk_val_u64(out, SK_PT_UINT32, t->tty);
	case SK_F_PROC_PID:
		return sk_val_s64(out, SK_PT_INT64, t->pid);
	case SK_F_PROC_PPID:
		/* libsinsp (since proc.pX became proc.aX[1]): the pid of the parent
		 * process found in the table, no value when it is not there (a
		 * parent missing at clone/execve/scan leaves ptid 0) */
		pt = sk_state_parent(st, t);
		return pt ? sk_val_s64(out, SK_PT_INT64, pt->pid) : 0;
	case SK_F_PROC_VPID: /* -1 = unknown (old captures): no value, as libsinsp */
		return t->vpid == -1 ? 0 : sk_val_s64(out, SK_PT_INT64, t->vpid);
	case SK_F_PROC_SID:
		return sk_val_s64(out, SK_PT_INT64, t->sid);
	case SK_F_PROC_SNAME:
		return leader_value(c, t, BY_SID, 0, out);
	case SK_F_PROC_SID_EXE:
		return leader_value(c, t, BY_SID, 1, out);
	case SK_F_PROC_SID_EXEPATH:
		return leader_value(c, t, BY_SID, 2, out);
	case SK_F_PROC_VPGID:
		return sk_val_s64(out, SK_PT_INT64, t->vpgid);
	case SK_F_PROC_VPGID_NAME:
		return leader_value(c, t, BY_VPGID, 0, out);
	case SK_F_PROC_VPGID_EXE:
		return leader_value(c, t, BY_VPGID, 1, out);
	case SK_F_PROC_VPGID_EXEPATH:
		return leader_value(c, t, BY_VPGID, 2, out);
	case SK_F_PROC_PGID:
		return sk_val_s64(out, SK_PT_INT64, t->pgid);
	case SK_F_PROC_PGID_NAME:
		return leader_value(c, t, BY_PGID, 0, out);
	case SK_F_PROC_PGID_EXE:
		return leader_value(c, t, BY_PGID, 1, out);
	case SK_F_PROC_PGID_EXEPATH:
		return leader_value(c, t, BY_PGID, 2, out);
	case SK_F_PROC_DURATION:
		return mt->clone_ts && ev ? sk_val_u64(out, SK_PT_RELTIME, ev->ts - mt->clone_ts) : 0;
	case SK_F_PROC_PID_TS: /* no value while the start is unknown (Falco 0.44) */
		return mt->clone_ts || c->sysdig ? sk_val_u64(out, SK_PT_RELTIME, mt->clone_ts) : 0;
	case SK_F_PROC_IS_EXE_WRITABLE:
		return sk_val_bool(out, t->exe_writable);
	case SK_F_PROC_IS_EXE_UPPER_LAYER:
		return sk_val_bool(out, t->exe_upper_layer);
	case SK_F_PROC_IS_EXE_LOWER_LAYER:
		return sk_val_bool(out, t->exe_lower_layer);
	case SK_F_PROC_IS_EXE_FROM_MEMFD:
		return sk_val_bool(out, t->exe_from_memfd);
	case SK_F_PROC_IS_SID_LEADER:
		return sk_val_bool(out, t->sid == t->vpid);
	/* Falco 0.44 compares even an unknown group (-1): false */
	case SK_F_PROC_IS_VPGID_LEADER:
		return t->vpgid >= 0 || !c->sysdig ? sk_val_bool(out, t->vpgid == t->vpid) : 0;
	case SK_F_PROC_IS_PGID_LEADER:
		return t->pgid >= 0 || !c->sysdig ? sk_val_bool(out, t->pgid == t->pid) : 0;
	case SK_F_PROC_EXE_INO:
		return t->exe_ino ? sk_val_s64(out, SK_PT_INT64, (int64_t)t->exe_ino) : 0;
	case SK_F_PROC_EXE_INO_CTIME:
		return t->exe_ino_ctime ? sk_val_u64(out, SK_PT_ABSTIME, t->exe_ino_ctime) : 0;
	case SK_F_PROC_EXE_INO_MTIME:
		return t->exe_ino_mtime ? sk_val_u64(out, SK_PT_ABSTIME, t->exe_ino_mtime) : 0;
	case SK_F_PROC_EXE_INO_CTIME_DURATION_PROC_START:
		return t->exe_ino_ctime && mt->clone_ts >= t->exe_ino_ctime
			       ? sk_val_u64(out, SK_PT_ABSTIME, mt->clone_ts - t->exe_ino_ctime)
			       : 0;
	case SK_F_PROC_EXE_INO_CTIME_DURATION_PIDNS_START:
		return t->exe_ino_ctime && t->pidns_init_start_ts >= t->exe_ino_ctime
			       ? sk_val_u64(out, SK_PT_ABSTIME,
					    t->pidns_init_start_ts - t->exe_ino_ctime)
			       : 0;
	case SK_F_PROC_PIDNS_INIT_START_TS: /* no value while unknown (Falco 0.44) */
		return t->pidns_init_start_ts || c->sysdig
			       ? sk_val_u64(out, SK_PT_UINT64, t->pidns_init_start_ts)
			       : 0;
	/* libsinsp computes these on procinfo events only, and Falco 0.44
	 * gives 0 there (the first sample of a thread has nothing to compare) */
	case SK_F_THREAD_CPU:
	case SK_F_THREAD_CPU_USER:
	case SK_F_THREAD_CPU_SYSTEM:
		if (!ev || ev->type != EV_PROCINFO)
			return 0;
		out->type = SK_PT_DOUBLE;
		out->dbl = 0;
		return 1;
	case SK_F_THREAD_CAP_PERMITTED:
		return put_caps(c, t->cap_permitted, out);
	case SK_F_THREAD_CAP_INHERITABLE:
		return put_caps(c, t->cap_inheritable, out);
	case SK_F_THREAD_CAP_EFFECTIVE:
		return put_caps(c, t->cap_effective, out);
	/* libsinsp reads these on the main thread: none (0) for a thread
	 * without one, such as the placeholder of an unknown tid */
	case SK_F_PROC_FDOPENCOUNT:
		return sk_val_u64(out, SK_PT_UINT64, sk_state_main_thread(st, t) ? sk_state_fd_count(st, t) : 0);
	case SK_F_PROC_FDLIMIT:
		return sk_val_s64(out, SK_PT_INT64, sk_state_main_thread(st, t) ? mt->fdlimit : 0);
	case SK_F_PROC_FDUSAGE: {
		out->type = SK_PT_DOUBLE;
		out->dbl = 0;
		if (sk_state_main_thread(st, t) && mt->fdlimit > 0)
			out->dbl = (double)sk_state_fd_count(st, t) * 100.0 / (double)mt->fdlimit;
		return 1;
	}
	/* Falco 0.44 reads the event thread's own figures (a secondary thread
	 * keeps those it was loaded or cloned with; context switches refresh
	 * the main thread's); sysdig 0.29 read the main thread's */
	case SK_F_PROC_VMSIZE:
		return sk_val_u64(out, SK_PT_UINT64, (c->sysdig ? mt : t)->vmsize_kb);
	case SK_F_PROC_VMRSS:
		return sk_val_u64(out, SK_PT_UINT64, (c->sysdig ? mt : t)->vmrss_kb);
	case SK_F_PROC_VMSWAP:
		return sk_val_u64(out, SK_PT_UINT64, (c->sysdig ? mt : t)->vmswap_kb);
	case SK_F_THREAD_PFMAJOR:
		return sk_val_u64(out, SK_PT_UINT64, t->pfmajor);
	case SK_F_THREAD_PFMINOR:
		return sk_val_u64(out, SK_PT_UINT64, t->pfminor);
	case SK_F_THREAD_TID:
		return sk_val_s64(out, SK_PT_INT64, t->tid);
	case SK_F_THREAD_ISMAIN:
		return sk_val_bool(out, sk_thread_is_main(t));
	case SK_F_THREAD_VTID:
		return t->vtid == -1 ? 0 : sk_val_s64(out, SK_PT_INT64, t->vtid);
	case SK_F_THREAD_NAMETID: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_buf_printf(b, "%s%lld", t->comm.s, (long long)t->tid) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_THREAD_CGROUPS: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (!t->cgroups.len || join_list(b, &t->cgroups, ' ') < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_THREAD_CGROUP: {
		size_t kl = strlen(f->arg);
		for (int64_t k = 0;; k++) {
			size_t n;
			const char *e = list_at(&t->cgroups, k, &n);
			if (!e)
				return 0;
			if (n > kl && e[kl] == '=' && memcmp(e, f->arg, kl) == 0)
				return sk_val_str(out, e + kl + 1, n - kl - 1);
		}
	}
	case SK_F_PROC_NTHREADS:
		return sk_val_u64(out, SK_PT_UINT64, sk_state_nthreads(st, t));
	case SK_F_PROC_NCHILDS:
		return sk_val_u64(out, SK_PT_UINT64, non_leader_threads(st, t));
	/* libsinsp counts a process's memory on its main thread only */
	case SK_F_THREAD_VMSIZE:
		return sk_val_u64(out, SK_PT_UINT64, sk_thread_is_main(t) ? t->vmsize_kb : 0);
	case SK_F_THREAD_VMRSS:
		return sk_val_u64(out, SK_PT_UINT64, sk_thread_is_main(t) ? t->vmrss_kb : 0);
	case SK_F_THREAD_VMSIZE_B:
		return sk_val_u64(out, SK_PT_UINT64,
				  sk_thread_is_main(t) ? (uint64_t)t->vmsize_kb * 1024 : 0);
	case SK_F_THREAD_VMRSS_B:
		return sk_val_u64(out, SK_PT_UINT64,
				  sk_thread_is_main(t) ? (uint64_t)t->vmrss_kb * 1024 : 0);
	case SK_F_PROC_STDIN_TYPE:
		return std_fd(c, t, 0, false, out);
	case SK_F_PROC_STDOUT_TYPE:
		return std_fd(c, t, 1, false, out);
	case SK_F_PROC_STDERR_TYPE:
		return std_fd(c, t, 2, false, out);
	case SK_F_PROC_STDIN_NAME:
		return std_fd(c, t, 0, true, out);
	case SK_F_PROC_STDOUT_NAME:
		return std_fd(c, t, 1, true, out);
	case SK_F_PROC_STDERR_NAME:
		return std_fd(c, t, 2, true, out);
	default:
		/* proc.aenv, thread.exectime/totexectime, thread.cpu*: not tracked */
		return 0;
	}
}
