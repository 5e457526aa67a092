/* procscan.c — seeds state from the running system: machine info, network
 * interfaces, users/groups (/etc/passwd, /etc/group), every process (and
 * optionally thread) from /proc, and their fds, with sockets resolved through
 * the /proc/PID/net tables of each process's own network namespace (read once
 * per namespace). Delivered through struct sk_scap_meta_ops, exactly as a capture
 * file's metadata blocks are. Everything read is untrusted: bounded buffers,
 * processes that vanish mid-scan are skipped. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"

#define TXT_MAX 4096

struct scan {
	const struct sk_proc_scan_opts *o;
	const struct sk_scap_meta_ops *ops;
	struct sk_proc_scan_stats *st;
	char proc[256];              /* root + /proc */
	char etc[256];               /* root + /etc */
	struct sk_u64map socks;      /* inode -> struct sock_info, every namespace's */
	struct sk_u64map netns;      /* inodes of the network namespaces whose tables are in socks */
	struct sk_arena arena;
	bool no_sockets;             /* one thread read on demand: socket fds are left out */
};

struct sock_info {
	uint8_t type;                /* SK_FD_* */
	uint8_t l4proto;
	uint8_t sip[16], dip[16];
	uint16_t sport, dport;
	uint64_t usrc;
	char *name;
};

/* Reads a small file into buf (NUL-terminated); returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	return (ssize_t)n;
}

bool sk_proc_thread_alive(const char *root, int64_t pid, int64_t tid)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/proc/%lld/task/%lld", root ? root : "", (long long)pid,
		 (long long)tid);
	/* EACCES and the like say nothing of the thread: only ENOENT is gone */
	return stat(path, &st) == 0 || errno != ENOENT;
}

static ssize_t read_link(const char *path, char *buf, size_t cap)
{
	ssize_t n = readlink(path, buf, cap - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

static uint32_t ppm_open_flags(unsigned long f)
{
	uint32_t r = 0;
	switch (f & 3) {
	case 0: r |= 1; break;
	case 1: r |= 2; break;
	case 2: r |= 3; break;
	}
	if (f & 0100) r |= 4;
	if (f & 02000) r |= 8;
	if (f & 010000) r |= 16;
	if (f & 0200) r |= 32;
	if (f & 04000) r |= 64;
	if (f & 04000000) r |= 128;
	if (f & 01000) r |= 256;
	if (f & 040000) r |= 512;
	if (f & 0200000) r |= 1024;
	if (f & 0100000) r |= 2048;
	if (f & 02000000) r |= 4096;
	return r;
}

/* ---- /proc/net ------------------------------------------------------------ */

static void parse_hex_addr(const char *s, uint8_t *ip, size_t iplen, uint16_t *port)
{
	for (size_t w = 0; w < iplen / 4; w++) {
		char h[9];
		memcpy(h, s + 8 * w, 8);
		h[8] = 0;
		uint32_t v = (uint32_t)strtoul(h, NULL, 16);
		memcpy(ip + 4 * w, &v, 4); /* the kernel prints the in-memory word */
	}
	const char *c = strchr(s, ':');
	*port = c ? (uint16_t)strtoul(c + 1, NULL, 16) : 0;
}

static void load_inet(struct scan *sc, const char *dir, const char *file, bool v6, uint8_t l4)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/net/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char loc[64], rem[64];
		unsigned st;
		unsigned long ino;
		if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %lu", loc, rem, &st, &ino) != 4 ||
		    !ino)
			continue;
		struct sock_info *si = sk_arena_alloc(&sc->arena, sizeof(*si));
		if (!si)
			break;
		size_t iplen = v6 ? 16 : 4;
		if (strlen(loc) < iplen * 2 || strlen(rem) < iplen * 2)
			continue;
		parse_hex_addr(loc, si->sip, iplen, &si->sport);
		parse_hex_addr(rem, si->dip, iplen, &si->dport);
		si->l4proto = l4;
		bool listen = l4 == 2 && st == 0x0A;
		si->type = v6 ? (listen ? SK_FD_IPV6_SERVSOCK : SK_FD_IPV6_SOCK)
			      : (listen ? SK_FD_IPV4_SERVSOCK : SK_FD_IPV4_SOCK);
		if (sk_u64map_put(&sc->socks, ino, si) < 0)
			break;
	}
	fclose(f);
}

static void load_unix(struct scan *sc, const char *dir)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/net/unix", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char num[32], name[256] = "";
		unsigned long ino;
		if (sscanf(line, "%31[^:]: %*s %*s %*s %*s %*s %lu %255s", num, &ino, name) < 2 || !ino)
			continue;
		struct sock_info *si = sk_arena_alloc(&sc->arena, sizeof(*si));
		if (!si)
			break;
		si->type = SK_FD_UNIX_SOCK;
		si->usrc = strtoull(num, NULL, 16);
		si->name = sk_arena_strdup(&sc->arena, name);
		if (sk_u64map_put(&sc->socks, ino, si) < 0)
			break;
	}
	fclose(f);
}

static void load_netlink(struct scan *sc, const char *dir)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/net/netlink", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long ino;
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu", &ino) != 1 || !ino)
			continue;
		struct sock_info *si = sk_arena_alloc(&sc->arena, sizeof(*si));
		if (!si)
			break;
		si->type = SK_FD_NETLINK;
		if (sk_u64map_put(&sc->socks, ino, si) < 0)
			break;
	}
	fclose(f);
}

/* Before the fds of process pid: the socket tables of its network namespace
 * (/proc/PID/net/...), unless a process of the same namespace (same inode of
 * /proc/PID/ns/net) already brought them. Socket inodes are unique on the
 * machine, so one map holds the sockets of every namespace and each fd finds
 * the entry of its own. */
static void load_netns(struct scan *sc, uint64_t pid)
{
	char dir[300], path[340];
	snprintf(dir, sizeof(dir), "%s/%llu", sc->proc, (unsigned long long)pid);
	snprintf(path, sizeof(path), "%s/ns/net", dir);
	struct stat st;
	if (stat(path, &st) != 0 || sk_u64map_get(&sc->netns, st.st_ino))
		return; /* vanished (its fds go too), or known */
	if (sk_u64map_put(&sc->netns, st.st_ino, sc) < 0)
		return;
	load_inet(sc, dir, "tcp", false, 2);
	load_inet(sc, dir, "tcp6", true, 2);
	load_inet(sc, dir, "udp", false, 3);
	load_inet(sc, dir, "udp6", true, 3);
	load_inet(sc, dir, "raw", false, 5);
	load_inet(sc, dir, "raw6", true, 5);
	load_unix(sc, dir);
	load_netlink(sc, dir);
	sc->st->netns++;
}

/* ---- machine, interfaces, users, groups ---------------------------------- */

static int scan_machine(struct scan *sc)
{
	if (!sc->ops->machine)
		return 0;
	struct sk_scap_machine mi = {0};
	mi.num_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		mi.memory_bytes = (uint64_t)si.totalram * si.mem_unit;
	char buf[64], path[320];
	snprintf(path, sizeof(path), "%s/sys/kernel/pid_max", sc->proc);
	if (read_small(path, buf, sizeof(buf)) > 0)
		mi.max_pid = strtoull(buf, NULL, 10);
	gethostname(mi.hostname, sizeof(mi.hostname) - 1);
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	mi.boot_ts = (uint64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ull + (uint64_t)rt.tv_nsec -
		     (uint64_t)bt.tv_nsec;
	return sc->ops->machine(sc->ops->ctx, &mi);
}

static int scan_ifaces(struct scan *sc)
{
	if (!sc->ops->iface)
		return 0;
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) != 0)
		return 0;
	int rc = 0;
	for (struct ifaddrs *i = ifa; i && !rc; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_name)
			continue;
		struct sk_scap_iface c = {0};
		int fam = i->ifa_addr->sa_family;
		if (fam == AF_INET) {
			c.type = 1;
			memcpy(c.addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
			if (i->ifa_netmask)
				memcpy(c.netmask, &((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr, 4);
			if (i->ifa_broadaddr && (i->ifa_flags & IFF_BROADCAST))
				memcpy(c.bcast, &((struct sockaddr_in *)(void *)i->ifa_broadaddr)->sin_addr, 4);
		} else if (fam == AF_INET6) {
			c.type = 2;
			memcpy(c.addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
			if (i->ifa_netmask)
				memcpy(c.netmask, &((struct sockaddr_in6 *)(void *)i->ifa_netmask)->sin6_addr, 16);
		} else {
			continue;
		}
		c.name.p = i->ifa_name;
		c.name.len = (uint32_t)strlen(i->ifa_name);
		rc = sc->ops->iface(sc->ops->ctx, &c);
		sc->st->ifaces++;
	}
	freeifaddrs(ifa);
	return rc;
}

/* Splits a colon-separated line into at most n fields (in place). */
static int split_colon(char *line, char **f, int n)
{
	int k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == ':') {
			*p = 0;
			f[k++] = p + 1;
		}
	char *nl = strchr(f[k - 1], '\n');
	if (nl)
		*nl = 0;
	return k;
}

static struct sk_bytes bytes_of(const char *s)
{
	struct sk_bytes b = {s, (uint32_t)strlen(s)};
	return b;
}

/* The entries of a passwd file, handed to ops->user; counted in *n. */
static int read_passwd(FILE *f, const struct sk_scap_meta_ops *ops, uint64_t *n)
{
	char line[1024];
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		char *fl[7];
		if (line[0] == '#' || split_colon(line, fl, 7) != 7)
			continue;
		uint64_t uid, gid;
		if (sk_parse_u64(fl[2], &uid) || sk_parse_u64(fl[3], &gid))
			continue;
		struct sk_scap_user u = {(uint32_t)uid, (uint32_t)gid, bytes_of(fl[0]), bytes_of(fl[5]),
					 bytes_of(fl[6])};
		rc = ops->user(ops->ctx, &u);
		(*n)++;
	}
	return rc;
}

/* The entries of a group file, handed to ops->group; counted in *n. */
static int read_group(FILE *f, const struct sk_scap_meta_ops *ops, uint64_t *n)
{
	char line[1024];
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		char *fl[4];
		if (line[0] == '#' || split_colon(line, fl, 4) < 3)
			continue;
		uint64_t gid;
		if (sk_parse_u64(fl[2], &gid))
			continue;
		struct sk_scap_group g = {(uint32_t)gid, bytes_of(fl[0])};
		rc = ops->group(ops->ctx, &g);
		(*n)++;
	}
	return rc;
}

static int scan_users(struct scan *sc)
{
	char path[320];
	int rc = 0;
	snprintf(path, sizeof(path), "%s/passwd", sc->etc);
	FILE *f = sc->ops->user ? fopen(path, "re") : NULL;
	if (f) {
		rc = read_passwd(f, sc->ops, &sc->st->users);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/group", sc->etc);
	f = sc->ops->group && !rc ? fopen(path, "re") : NULL;
	if (f) {
		rc = read_group(f, sc->ops, &sc->st->groups);
		fclose(f);
	}
	return rc;
}

/* Opens `name` under the directory rootfd as if rootfd were "/": the
 * files of a container are the container's to shape, so a symlink in them
 * must not lead out of its root (openat2 RESOLVE_IN_ROOT), nor a FIFO or a
 * device block or flood saker. Returns a stream over at most
 * SK_PROC_USERS_MAX bytes of a regular file, or NULL. */
#define SK_PROC_USERS_MAX (1u << 20)
static FILE *open_in_root(int rootfd, const char *name, char **buf)
{
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) /* before 5.6: no symlink at all */
		fd = openat(rootfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	struct stat st;
	FILE *f = NULL;
	*buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (*buf = malloc(SK_PROC_USERS_MAX))) {
		size_t n = 0;
		ssize_t r;
		while (n < SK_PROC_USERS_MAX &&
		       ((r = read(fd, *buf + n, SK_PROC_USERS_MAX - n)) > 0 || (r < 0 && errno == EINTR)))
			n += r > 0 ? (size_t)r : 0;
		f = n ? fmemopen(*buf, n, "r") : NULL;
	}
	close(fd);
	if (!f) {
		free(*buf);
		*buf = NULL;
	}
	return f;
}

int sk_proc_read_users(const char *root, int64_t pid, const struct sk_scap_meta_ops *ops)
{
	char path[PATH_MAX];
	const char *r = root ? root : "";
	if (pid >= 0) {
		/* as libsinsp: only a process with a root of its own (a container's
		 * mount namespace) has users apart from the host's. The host's root
		 * is init's, else (no HOST_ROOT, init's unreadable: some sandboxes
		 * and kernels) saker's own; when neither can be read, no container
		 * has users of its own (libsinsp's "cannot read host init ns"). */
		struct stat mine, host;
		char host_path[PATH_MAX];
		snprintf(host_path, sizeof(host_path), "%s/proc/1/root", r);
		if (stat(host_path, &host) < 0 && (*r || stat("/proc/self/root", &host) < 0))
			return -ENOENT;
		snprintf(path, sizeof(path), "%s/proc/%lld/root", r, (long long)pid);
		if (stat(path, &mine) < 0)
			return -errno;
		if (mine.st_ino == host.st_ino && mine.st_dev == host.st_dev)
			return -ENOENT;
	} else {
		snprintf(path, sizeof(path), "%s/", r);
	}
	int rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	uint64_t n = 0;
	int rc = 0;
	char *buf;
	FILE *f = ops->user ? open_in_root(rootfd, "etc/passwd", &buf) : NULL;
	if (f) {
		rc = read_passwd(f, ops, &n);
		fclose(f);
		free(buf);
	}
	f = ops->group && !rc ? open_in_root(rootfd, "etc/group", &buf) : NULL;
	if (f) {
		rc = read_group(f, ops, &n);
		fclose(f);
		free(buf);
	}
	close(rootfd);
	return rc;
}

/* ---- processes ------------------------------------------------------------ */

/* Text buffers of one thread; reused across threads (the scan allocates
 * nothing per process beyond these). */
struct tbufs {
	char comm[64], exepath[TXT_MAX], cwd[TXT_MAX], root[TXT_MAX];
	char cmdline[TXT_MAX], env[TXT_MAX], cgroups[TXT_MAX], status[TXT_MAX], stat[1024];
	char tmp[TXT_MAX];
};

/* Value of "Key:" in /proc/PID/status text, or NULL. */
static const char *status_val(const char *st, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = st; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			p += kl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* The last number on the status line of `key` (NSpid: host ... innermost). */
static int64_t status_last(const char *st, const char *key, int64_t dflt)
{
	const char *v = status_val(st, key);
	if (!v)
		return dflt;
	int64_t last = dflt;
	while (*v && *v != '\n') {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!isdigit((unsigned char)*v))
			break;
		last = strtoll(v, (char **)&v, 10);
	}
	return last;
}

static uint64_t status_nth(const char *st, const char *key, int n, int base)
{
	const char *v = status_val(st, key);
	if (!v)
		return 0;
	uint64_t x = 0;
	for (int i = 0; i <= n; i++) {
		char *e;
		x = strtoull(v, &e, base);
		if (e == v)
			return 0;
		v = e;
	}
	return x;
}

/* "id:ctrl1,ctrl2:path" lines -> "ctrl1=path\0ctrl2=path\0". */
static size_t build_cgroups(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *v2path = NULL;
	size_t v2len = 0;
	for (const char *l = in; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);
		const char *c1 = memchr(l, ':', ll);
		const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - l)) : NULL;
		if (c2) {
			const char *path = c2 + 1;
			size_t pl = ll - (size_t)(path - l);
			if (c2 == c1 + 1) {
				v2path = path;
				v2len = pl;
			}
			for (const char *s = c1 + 1; s < c2;) {
				const char *comma = memchr(s, ',', (size_t)(c2 - s));
				const char *e = comma ? comma : c2;
				size_t nlen = (size_t)(e - s);
				if (!strncmp(s, "name=", 5)) {
					s += 5;
					nlen -= 5;
				}
				if (nlen && o + nlen + pl + 2 < cap) {
					memcpy(out + o, s, nlen);
					o += nlen;
					out[o++] = '=';
					memcpy(out + o, path, pl);
					o += pl;
					out[o++] = 0;
				}
				s = e + 1;
			}
		}
		l = nl ? nl + 1 : l + ll;
	}
	if (o == 0 && v2path) { /* pure cgroup v2: one path for every controller */
		static const char *const ctl[] = {"cpuset", "cpu", "memory", "pids", "io"};
		for (size_t i = 0; i < SK_ARRAY_LEN(ctl); i++) {
			size_t nlen = strlen(ctl[i]);
			if (o + nlen + v2len + 2 >= cap)
				break;
			memcpy(out + o, ctl[i], nlen);
			o += nlen;
			out[o++] = '=';
			memcpy(out + o, v2path, v2len);
			o += v2len;
			out[o++] = 0;
		}
	}
	return o;
}

/* Reports fd `name` (its number, as text) of process pid, whose link
 * target is in b->tmp; dfd is the process's fd directory. Sockets are
 * resolved through sc->socks (load_netns first). Returns a callback's
 * return, or 0. */
static int emit_fd(struct scan *sc, uint64_t pid, int dfd, const char *name, struct tbufs *b)
{
	int64_t fdnum;
	if (sk_parse_i64(name, &fdnum))
		return 0;
	struct stat st;
	if (fstatat(dfd, name, &st, 0) != 0)
		memset(&st, 0, sizeof(st));
	struct sk_scap_fd f = {0};
	f.fd = fdnum;
	f.ino = st.st_ino;
	f.name = bytes_of(b->tmp);
	unsigned long long sino;
	if (sc->no_sockets && !strncmp(b->tmp, "socket:", 7))
		return 0;
	if (sscanf(b->tmp, "socket:[%llu]", &sino) == 1) {
		struct sock_info *si = sk_u64map_get(&sc->socks, sino);
		if (!si) {
			f.type = SK_FD_UNSUPPORTED; /* a family we do not parse */
		} else {
			f.type = si->type;
			memcpy(f.sip, si->sip, 16);
			memcpy(f.dip, si->dip, 16);
			f.sport = si->sport;
			f.dport = si->dport;
			f.l4proto = si->l4proto;
			f.unix_src = si->usrc;
			f.name = bytes_of(si->name ? si->name : "");
		}
	} else if (!strncmp(b->tmp, "pipe:", 5)) {
		f.type = SK_FD_FIFO;
		f.name = bytes_of("");
	} else if (!strncmp(b->tmp, "anon_inode:", 11)) {
		const char *k = b->tmp + 11;
		f.type = strstr(k, "eventfd") ? SK_FD_EVENT
			: strstr(k, "signalfd") ? SK_FD_SIGNALFD
			: strstr(k, "eventpoll") ? SK_FD_EVENTPOLL
			: strstr(k, "inotify") ? SK_FD_INOTIFY
			: strstr(k, "timerfd") ? SK_FD_TIMERFD
			: strstr(k, "bpf") ? SK_FD_BPF
			: strstr(k, "userfaultfd") ? SK_FD_USERFAULTFD
			: strstr(k, "io_uring") ? SK_FD_IOURING
			: strstr(k, "pidfd") ? SK_FD_PIDFD : SK_FD_UNSUPPORTED;
		f.name = bytes_of("");
	} else if (!strncmp(b->tmp, "/memfd:", 7)) {
		f.type = SK_FD_MEMFD;
	} else if (b->tmp[0] == '/') {
		f.type = S_ISDIR(st.st_mode) ? SK_FD_DIRECTORY : SK_FD_FILE_V2;
		if (f.type == SK_FD_FILE_V2) {
			char ip[640], info[256];
			snprintf(ip, sizeof(ip), "%s/%llu/fdinfo/%s", sc->proc,
				 (unsigned long long)pid, name);
			if (read_small(ip, info, sizeof(info)) > 0) {
				const char *fl = status_val(info, "flags");
				if (fl)
					f.open_flags = ppm_open_flags(strtoul(fl, NULL, 8));
			}
			f.dev = (uint32_t)(((st.st_dev >> 8) & 0xfff) << 8 | (st.st_dev & 0xff));
		}
	} else {
		f.type = SK_FD_UNSUPPORTED;
	}
	sc->st->fds++;
	return sc->ops->fd ? sc->ops->fd(sc->ops->ctx, pid, &f) : 0;
}

static int emit_fds(struct scan *sc, uint64_t pid, struct tbufs *b)
{
	char dpath[320];
	snprintf(dpath, sizeof(dpath), "%s/%llu/fd", sc->proc, (unsigned long long)pid);
	DIR *d = opendir(dpath);
	if (!d)
		return 0;
	if (!sc->no_sockets)
		load_netns(sc, pid);
	int dfd = dirfd(d);
	size_t maxfds = sc->o->max_fds_per_proc ? sc->o->max_fds_per_proc : 65536;
	size_t n = 0;
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (++n > maxfds) {
			sc->st->fds_skipped++;
			continue;
		}
		ssize_t ll = readlinkat(dfd, de->d_name, b->tmp, sizeof(b->tmp) - 1);
		if (ll < 0)
			continue;
		b->tmp[ll] = 0;
		rc = emit_fd(sc, pid, dfd, de->d_name, b);
	}
	closedir(d);
	return rc;
}

/* Reads one thread (dir = /proc/PID or /proc/PID/task/TID) and reports it. */
static int emit_thread(struct scan *sc, const char *dir, uint64_t tid, uint64_t pid,
		       struct tbufs *b)
{
	char p[700];
	snprintf(p, sizeof(p), "%s/stat", dir);
	if (read_small(p, b->stat, sizeof(b->stat)) <= 0)
		return 1; /* vanished */
	snprintf(p, sizeof(p), "%s/status", dir);
	if (read_small(p, b->status, sizeof(b->status)) <= 0)
		return 1;
	struct sk_scap_thread t = {0};
	t.tid = tid;
	t.pid = pid;
	t.loginuid = 0xFFFFFFFF;
	/* stat: fields after the last ')' start at field 3 (state) */
	const char *rp = strrchr(b->stat, ')');
	if (!rp)
		return 1;
	long long ppid = 0, pgrp = 0, sess = 0, tty = 0;
	unsigned long long minflt = 0, majflt = 0;
	if (sscanf(rp + 2, "%*c %lld %lld %lld %lld %*s %*s %llu %*s %llu", &ppid, &pgrp, &sess, &tty,
		   &minflt, &majflt) < 4)
		return 1;
	t.ptid = (uint64_t)ppid;
	t.pgid = pgrp;
	t.sid = sess;
	t.pfminor = minflt;
	t.pfmajor = majflt;
	unsigned ma = ((unsigned long long)tty >> 8) & 0xfff;
	unsigned mi = ((unsigned long long)tty & 0xff) | (((unsigned long long)tty >> 12) & 0xfff00);
	t.tty = tty ? (ma << 20) | mi : 0;
	t.vpgid = status_last(b->status, "NSpgid", pgrp);
	t.vtid = status_last(b->status, "NSpid", (int64_t)tid);
	t.vpid = status_last(b->status, "NStgid", (int64_t)pid);
	t.uid = (uint32_t)status_nth(b->status, "Uid", 1, 10);
	t.gid = (uint32_t)status_nth(b->status, "Gid", 1, 10);
	t.vmsize_kb = (uint32_t)status_nth(b->status, "VmSize", 0, 10);
	t.vmrss_kb = (uint32_t)status_nth(b->status, "VmRSS", 0, 10);
	t.vmswap_kb = (uint32_t)status_nth(b->status, "VmSwap", 0, 10);
	t.cap_inheritable = status_nth(b->status, "CapInh", 0, 16);
	t.cap_permitted = status_nth(b->status, "CapPrm", 0, 16);
	t.cap_effective = status_nth(b->status, "CapEff", 0, 16);
	if (tid != pid)
		t.flags = 8192 | 1 | 2048 | 32768; /* CLONE_THREAD|FILES|SIGHAND|VM */

	snprintf(p, sizeof(p), "%s/comm", dir);
	ssize_t n = read_small(p, b->comm, sizeof(b->comm));
	if (n > 0 && b->comm[n - 1] == '\n')
		b->comm[--n] = 0;
	t.comm.p = b->comm;
	t.comm.len = n > 0 ? (uint32_t)n : 0;

	snprintf(p, sizeof(p), "%s/cmdline", dir);
	n = read_small(p, b->cmdline, sizeof(b->cmdline));
	if (n > 0) {
		size_t e0 = strnlen(b->cmdline, (size_t)n);
		t.exe.p = b->cmdline;
		t.exe.len = (uint32_t)e0;
		if (e0 + 1 < (size_t)n) {
			t.args.p = b->cmdline + e0 + 1;
			t.args.len = (uint32_t)((size_t)n - e0 - 1);
		}
	} else {
		t.exe = t.comm; /* kernel threads */
	}
	snprintf(p, sizeof(p), "%s/exe", dir);
	n = read_link(p, b->exepath, sizeof(b->exepath));
	t.exepath.p = b->exepath;
	t.exepath.len = n > 0 ? (uint32_t)n : 0;
	if (n > 0) {
		struct stat st;
		if (stat(p, &st) == 0) {
			t.exe_ino = st.st_ino;
			t.exe_ino_ctime = (uint64_t)st.st_ctim.tv_sec * 1000000000ull +
					  (uint64_t)st.st_ctim.tv_nsec;
			t.exe_ino_mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
					  (uint64_t)st.st_mtim.tv_nsec;
		}
		t.exe_from_memfd = !strncmp(b->exepath, "/memfd:", 7);
	}
	snprintf(p, sizeof(p), "%s/cwd", dir);
	n = read_link(p, b->cwd, sizeof(b->cwd));
	t.cwd.p = b->cwd;
	t.cwd.len = n > 0 ? (uint32_t)n : 0;
	snprintf(p, sizeof(p), "%s/root", dir);
	n = read_link(p, b->root, sizeof(b->root));
	t.root.p = b->root;
	t.root.len = n > 0 ? (uint32_t)n : 0;
	snprintf(p, sizeof(p), "%s/environ", dir);
	n = read_small(p, b->env, sizeof(b->env));
	t.env.p = b->env;
	t.env.len = n > 0 ? (uint32_t)n : 0;
	snprintf(p, sizeof(p), "%s/cgroup", dir);
	if (read_small(p, b->tmp, sizeof(b->tmp)) > 0) {
		t.cgroups.p = b->cgroups;
		t.cgroups.len = (uint32_t)build_cgroups(b->tmp, b->cgroups, sizeof(b->cgroups));
	}
	snprintf(p, sizeof(p), "%s/loginuid", dir);
	char lu[32];
	if (read_small(p, lu, sizeof(lu)) > 0)
		t.loginuid = (uint32_t)strtoul(lu, NULL, 10);
	t.fdlimit = 1024;
	snprintf(p, sizeof(p), "%s/limits", dir);
	if (read_small(p, b->tmp, sizeof(b->tmp)) > 0) {
		const char *l = strstr(b->tmp, "Max open files");
		if (l)
			t.fdlimit = strtoull(l + 14, NULL, 10);
	}
	sc->st->threads++;
	return sc->ops->thread ? sc->ops->thread(sc->ops->ctx, &t) : 0;
}

static int scan_procs(struct scan *sc)
{
	DIR *d = opendir(sc->proc);
	if (!d)
		return -errno;
	struct tbufs *b = malloc(sizeof(*b));
	if (!b) {
		closedir(d);
		return -ENOMEM;
	}
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		uint64_t pid;
		if (!isdigit((unsigned char)de->d_name[0]) || sk_parse_u64(de->d_name, &pid))
			continue;
		char dir[300];
		snprintf(dir, sizeof(dir), "%s/%llu", sc->proc, (unsigned long long)pid);
		int r = emit_thread(sc, dir, pid, pid, b);
		if (r == 1) {
			sc->st->vanished++;
			continue;
		}
		rc = r;
		if (!rc && sc->o->threads) {
			char tdir[340];
			snprintf(tdir, sizeof(tdir), "%s/task", dir);
			DIR *td = opendir(tdir);
			struct dirent *te;
			while (!rc && td && (te = readdir(td))) {
				uint64_t tid;
				if (!isdigit((unsigned char)te->d_name[0]) || sk_parse_u64(te->d_name, &tid) ||
				    tid == pid)
					continue;
				char tp[620];
				snprintf(tp, sizeof(tp), "%s/%llu", tdir, (unsigned long long)tid);
				r = emit_thread(sc, tp, tid, pid, b);
				rc = r == 1 ? 0 : r;
			}
			if (td)
				closedir(td);
		}
		if (!rc && sc->o->fds)
			rc = emit_fds(sc, pid, b);
	}
	free(b);
	closedir(d);
	return rc;
}

/* Sets up a scan: paths under the root, empty socket tables. -ENAMETOOLONG
 * when the paths do not fit. */
static int scan_init(struct scan *sc, const struct sk_proc_scan_opts *opts,
		     const struct sk_scap_meta_ops *ops, struct sk_proc_scan_stats *stats)
{
	static const struct sk_proc_scan_opts dflt = {.threads = true, .fds = true};
	static const struct sk_scap_meta_ops noops = {0};
	memset(sc, 0, sizeof(*sc));
	sc->o = opts ? opts : &dflt;
	sc->ops = ops ? ops : &noops;
	sc->st = stats;
	memset(sc->st, 0, sizeof(*sc->st));
	const char *root = sc->o->root ? sc->o->root : "";
	size_t rl = strlen(root);
	while (rl && root[rl - 1] == '/')
		rl--; /* "/host/" and "/" work too */
	int np = snprintf(sc->proc, sizeof(sc->proc), "%.*s%s", (int)rl, root,
			  sc->o->proc ? sc->o->proc : "/proc");
	int ne = snprintf(sc->etc, sizeof(sc->etc), "%.*s%s", (int)rl, root,
			  sc->o->etc ? sc->o->etc : "/etc");
	if (np < 0 || (size_t)np >= sizeof(sc->proc) || ne < 0 || (size_t)ne >= sizeof(sc->etc))
		return -ENAMETOOLONG;
	sk_u64map_init(&sc->socks, 1u << 20);
	sk_u64map_init(&sc->netns, 1u << 16);
	sk_arena_init(&sc->arena, 0);
	return 0;
}

static void scan_done(struct scan *sc)
{
	sk_u64map_done(&sc->socks);
	sk_u64map_done(&sc->netns);
	sk_arena_done(&sc->arena);
}

int64_t sk_proc_tgid(const char *root, int64_t tid)
{
	char path[PATH_MAX], st[TXT_MAX];
	snprintf(path, sizeof(path), "%s/proc/%lld/status", root ? root : "", (long long)tid);
	if (tid <= 0 || read_small(path, st, sizeof(st)) <= 0)
		return -1;
	return status_last(st, "Tgid", -1);
}

int sk_proc_read_thread(const struct sk_proc_scan_opts *opts, int64_t tid, bool with_process,
			const struct sk_scap_meta_ops *ops)
{
	struct sk_proc_scan_stats stats;
	struct scan sc;
	if (tid <= 0 || scan_init(&sc, opts, ops, &stats) < 0)
		return -EINVAL;
	sc.no_sockets = true;
	struct tbufs *b = malloc(sizeof(*b));
	if (!b) {
		scan_done(&sc);
		return -ENOMEM;
	}
	/* /proc/TID is there for any thread; its status names the process */
	char dir[340];
	snprintf(dir, sizeof(dir), "%s/%lld", sc.proc, (long long)tid);
	snprintf(b->tmp, sizeof(b->tmp), "%s/status", dir);
	int64_t pid = -1;
	if (read_small(b->tmp, b->status, sizeof(b->status)) > 0)
		pid = status_last(b->status, "Tgid", -1);
	int rc = 1;
	if (pid > 0) {
		rc = 0;
		if (with_process && pid != tid) {
			snprintf(dir, sizeof(dir), "%s/%lld", sc.proc, (long long)pid);
			rc = emit_thread(&sc, dir, (uint64_t)pid, (uint64_t)pid, b);
		}
		if (!rc) {
			snprintf(dir, sizeof(dir), "%s/%lld/task/%lld", sc.proc, (long long)pid,
				 (long long)tid);
			rc = emit_thread(&sc, dir, (uint64_t)tid, (uint64_t)pid, b);
		}
		if (!rc && with_process && sc.o->fds)
			rc = emit_fds(&sc, (uint64_t)pid, b);
	}
	free(b);
	scan_done(&sc);
	return rc;
}

int sk_proc_read_fds(const struct sk_proc_scan_opts *opts, int64_t pid, const int *fds, size_t n,
		     const struct sk_scap_meta_ops *ops)
{
	struct sk_proc_scan_stats stats;
	struct scan sc;
	if (pid <= 0 || scan_init(&sc, opts, ops, &stats) < 0)
		return -EINVAL;
	char dpath[320];
	snprintf(dpath, sizeof(dpath), "%s/%lld/fd", sc.proc, (long long)pid);
	int dfd = open(dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct tbufs *b = dfd >= 0 ? malloc(sizeof(*b)) : NULL;
	int rc = dfd < 0 ? 1 : !b ? -ENOMEM : 0;
	bool net_loaded = false;
	for (size_t i = 0; !rc && i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", fds[i]);
		ssize_t ll = fds[i] >= 0 ? readlinkat(dfd, name, b->tmp, sizeof(b->tmp) - 1) : -1;
		if (ll < 0)
			continue; /* closed already */
		b->tmp[ll] = 0;
		if (!net_loaded && !strncmp(b->tmp, "socket:", 7)) {
			/* the namespace's tables, once, and only when a socket came */
			load_netns(&sc, (uint64_t)pid);
			net_loaded = true;
		}
		rc = emit_fd(&sc, (uint64_t)pid, dfd, name, b);
	}
	free(b);
	if (dfd >= 0)
		close(dfd);
	scan_done(&sc);
	return rc;
}

int sk_proc_scan(const struct sk_proc_scan_opts *opts, const struct sk_scap_meta_ops *ops,
		 struct sk_proc_scan_stats *stats, struct sk_err *err)
{
	struct sk_proc_scan_stats local;
	struct scan sc;
	if (scan_init(&sc, opts, ops, stats ? stats : &local) < 0)
		return sk_err_set(err, -ENAMETOOLONG, "the /proc or /etc path under %s is too long",
				  opts && opts->root ? opts->root : "/");
	int rc = scan_machine(&sc);
	if (!rc)
		rc = scan_ifaces(&sc);
	if (!rc)
		rc = scan_users(&sc);
	if (!rc && (sc.ops->thread || sc.ops->fd)) /* nobody asked for processes: skip them */
		rc = scan_procs(&sc);
	scan_done(&sc);
	if (rc < 0)
		return sk_err_set(err, rc, "scanning %s: %s", sc.proc, strerror(-rc));
	if (rc > 0)
		return sk_err_set(err, rc, "the state consumer stopped the /proc scan (%d)", rc);
	return 0;
}
