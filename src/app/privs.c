/* privs.c — least privilege for live operation. Loading the probe needs
 * CAP_SYS_ADMIN/CAP_BPF/CAP_PERFMON (and CAP_SYS_RESOURCE for the memlock
 * limit); reading events afterwards needs none of them, so once the probe is
 * loaded, and before any thread starts (capabilities are per thread), saker
 * keeps only what live operation still uses:
 *   CAP_SYS_PTRACE       /proc/PID/{environ,exe,cwd,root,fd} of every process
 *                        (the capture's /proc scan, container ids);
 *   CAP_DAC_READ_SEARCH  /proc/PID/fd and fdinfo of other users' processes;
 *   CAP_BPF              bpf() on the probe's maps: a hot reload re-selects
 *                        the syscall set, the counters are map lookups;
 *   CAP_NET_BIND_SERVICE only when a configured port is below 1024 (the
 *                        web server and audit webhook bind after the drop).
 * The bounding set is cut to the same set, ambient capabilities cleared,
 * SECBIT_NOROOT locked (a program_output child exec'd as uid 0 gets no
 * capabilities) and no_new_privs set (no set-uid or file-capability gain).
 * Optionally the process switches to `privileges.user` first (keeping the
 * set above across the switch).
 * With privileges.seccomp (default false) a seccomp filter then denies, for
 * the rest of saker's life and in its output programs, the system calls no
 * part of saker makes after loading (seccomp.c has the list and why).
 * Config: privileges.drop (default true), privileges.user (default none),
 * privileges.seccomp (default false). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app/run_int.h"
#include "config/config.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The highest capability the kernel knows (capabilities above it cannot be
 * dropped from the bounding set and are never granted). */
static int cap_last(void)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

static int threads_now(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* This thread's permitted capabilities (0 when they cannot be read). */
static uint64_t cap_permitted(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
}

/* Sets effective = permitted = keep, inheritable = none, for this thread. */
static int cap_set(uint64_t keep)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = (uint32_t)(keep >> (32 * i));
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

static int switch_user(const char *name, struct sk_err *err)
{
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return sk_err_set(err, -ENOENT, "privileges.user: no user named %s", name);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return sk_err_set(err, -errno, "privileges.user: cannot become %s: %s", name,
				  strerror(errno));
	return 0;
}

uint64_t sk_app_privs_keep(const struct sk_config *k)
{
	uint64_t keep = 1ull << CAP_SYS_PTRACE | 1ull << CAP_DAC_READ_SEARCH | 1ull << CAP_BPF;
	int64_t port = k->webserver.listen_port;
	const char *ap = sk_config_get_str(k, "k8s_audit.listen_port");
	if ((k->webserver.enabled && port > 0 && port < 1024) || (ap && atoi(ap) > 0 && atoi(ap) < 1024))
		keep |= 1ull << CAP_NET_BIND_SERVICE;
	return keep;
}

int sk_app_privs_drop(const struct sk_app_cfg *c, struct sk_err *err)
{
	const struct sk_config *k = c->conf;
	bool drop = true;
	if (sk_config_get_bool(k, "privileges.drop", &drop) == -EINVAL)
		return sk_err_set(err, -EINVAL, "privileges.drop: not a boolean");
	const char *user = sk_config_get_str(k, "privileges.user");
	if (!drop) {
		if (user && *user)
			return sk_err_set(err, -EINVAL, "privileges.user needs privileges.drop");
		return 0;
	}
	if (geteuid() != 0)
		return 0; /* started with only the capabilities it was given: nothing to drop */
	int nthr = threads_now();
	if (nthr != 1)
		sk_app_log(c, SK_LOG_WARNING,
			   "dropping privileges with %d threads running: only this one drops\n", nthr);
	/* In a container saker holds only what the runtime granted (a DaemonSet
	 * lists its capabilities, usually without CAP_SETPCAP): it keeps what it
	 * needs of those, and the bounding set and securebits, which only
	 * CAP_SETPCAP may change, stay as the runtime set them; no_new_privs
	 * below still keeps anything from being gained back. */
	uint64_t have = cap_permitted();
	uint64_t keep = sk_app_privs_keep(k) & have;
	bool setpcap = have >> CAP_SETPCAP & 1;
	int last = cap_last();
	for (int cap = 0; setpcap && cap <= last; cap++)
		if (!(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return sk_err_set(err, -errno, "cannot drop capability %d from the bounding set: %s",
					  cap, strerror(errno));
	if (setpcap && prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) != 0)
		return sk_err_set(err, -errno, "cannot set SECBIT_NOROOT: %s", strerror(errno));
	if (!setpcap)
		sk_app_log(c, SK_LOG_INFO, "No CAP_SETPCAP: the bounding set and securebits stay as "
			   "given; only the capabilities held are reduced\n");
	if (user && *user && switch_user(user, err) < 0)
		return err->code;
	int rc = cap_set(keep);
	if (rc < 0)
		return sk_err_set(err, rc, "capset: %s", strerror(-rc));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return sk_err_set(err, -errno, "cannot set no_new_privs: %s", strerror(errno));
	bool sc = false;
	if (sk_config_get_bool(k, "privileges.seccomp", &sc) == -EINVAL)
		return sk_err_set(err, -EINVAL, "privileges.seccomp: not a boolean");
	if (sc && (rc = sk_app_seccomp_install()) < 0)
		return sk_err_set(err, rc, "cannot install the seccomp filter: %s", strerror(-rc));
	sk_app_log(c, SK_LOG_INFO, "Privileges dropped: capabilities 0x%llx kept%s%s%s\n",
		   (unsigned long long)keep, user && *user ? ", running as " : "",
		   user && *user ? user : "", sc ? ", seccomp filter on" : "");
	return 0;
}
