/* fuzz_procfs.c — libFuzzer target for the /proc and /etc parsers of the
 * start-up scan (sk_proc_scan), which read text any local process controls
 * (its command line, environment, cgroup, comm, open file names, socket
 * tables). The input is split at "\n--\n" into the contents of the files
 * below, written under a private directory laid out like the host's / (the
 * scan's `root` option, Falco's HOST_ROOT). Links (fds, exe, cwd) get their
 * target from the input. What the scan reports goes into a real state table
 * through its seeding callbacks. Nothing may crash, leak or read out of
 * bounds. */
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/driver.h"
#include "state/state.h"

/* Files in the order the input's sections fill them; "@" marks a symlink. */
static const char *const FILES[] = {
	"proc/1/stat", "proc/1/status", "proc/1/cmdline", "proc/1/environ", "proc/1/cgroup",
	"@proc/1/fd/3", "@proc/1/fd/4", "proc/1/fdinfo/3", "proc/1/net/tcp", "proc/1/net/tcp6",
	"proc/1/net/udp", "proc/1/net/unix", "proc/1/net/netlink", "etc/passwd", "etc/group",
	"proc/1/comm", "proc/1/limits", "proc/1/loginuid", "@proc/1/exe", "@proc/1/cwd",
	"proc/1/task/2/stat", "proc/1/task/2/status", "proc/1/net/raw6", "proc/sys/kernel/pid_max",
};
#define NFILES (sizeof(FILES) / sizeof(FILES[0]))
static const char *const DIRS[] = {
	"proc", "proc/1", "proc/1/fd", "proc/1/fdinfo", "proc/1/task", "proc/1/task/2",
	"proc/1/net", "proc/1/ns", "proc/sys", "proc/sys/kernel", "etc",
};

static char root[64];
static struct sk_state *st;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

static void cleanup(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/dev/shm/fuzz_procfs.%d", (int)getpid());
	if (mkdir(root, 0700) != 0 && access(root, W_OK) != 0)
		snprintf(root, sizeof(root), "/tmp/fuzz_procfs.%d", (int)getpid());
	mkdir(root, 0700);
	char p[256];
	for (size_t i = 0; i < sizeof(DIRS) / sizeof(DIRS[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, DIRS[i]);
		mkdir(p, 0700);
	}
	snprintf(p, sizeof(p), "%s/proc/1/ns/net", root); /* the scan stats it: netns identity */
	FILE *ns = fopen(p, "we");
	if (ns)
		fclose(ns);
	atexit(cleanup);
	st = sk_state_new(&(struct sk_state_config){.max_threads = 64, .max_fds_per_process = 16,
						    .max_users = 16, .max_containers = 16});
	if (!st)
		abort();
}

/* Writes (or links) one section; an absent section leaves no file. */
static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[256];
	bool link = name[0] == '@';
	snprintf(path, sizeof(path), "%s/%s", root, name + link);
	unlink(path);
	if (!p)
		return;
	if (link) {
		char tgt[1024];
		size_t l = n < sizeof(tgt) - 1 ? n : sizeof(tgt) - 1;
		memcpy(tgt, p, l);
		tgt[l] = 0; /* a link target ends at its first NUL */
		if (tgt[0])
			(void)!symlink(tgt, path);
		return;
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char SEP[] = "\n--\n";
	if (!st)
		setup();
	size_t off = 0;
	for (size_t i = 0; i < NFILES; i++) {
		if (off > size) {
			put(FILES[i], NULL, 0);
			continue;
		}
		const uint8_t *s = data + off;
		const uint8_t *e = memmem(s, size - off, SEP, sizeof(SEP) - 1);
		size_t n = e ? (size_t)(e - s) : size - off;
		put(FILES[i], s, n);
		off += n + sizeof(SEP) - 1;
	}
	sk_state_clear(st);
	struct sk_scap_meta_ops ops;
	sk_state_meta_ops(st, &ops);
	struct sk_proc_scan_opts o = {.root = root, .threads = true, .fds = true,
				      .max_fds_per_proc = 8};
	struct sk_proc_scan_stats stats;
	struct sk_err err;
	if (sk_proc_scan(&o, &ops, &stats, &err) == 0)
		sk_state_seed_done(st);
	/* the same passwd and group read the way a container's are (inside a
	 * root, regular files only, bounded) */
	struct sk_scap_meta_ops uops = {.ctx = st, .user = ops.user, .group = ops.group};
	(void)sk_proc_read_users(root, -1, &uops);
	return 0;
}
