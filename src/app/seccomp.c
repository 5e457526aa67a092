/* seccomp.c — the optional seccomp filter (privileges.seccomp) installed
 * once the probe is loaded and the capabilities dropped. It denies (EPERM)
 * what no part of saker does after loading and what an attacker who took
 * over the process would want first: loading or attaching BPF programs and
 * creating maps (bpf() itself stays: a hot reload updates the probe's maps),
 * kernel modules, kexec, reboot, mounts, namespaces, ptrace and cross-process
 * memory writes, perf events, keyrings, time setting, swap, raw I/O ports.
 * Everything else is allowed: the filter is inherited by program_output
 * programs (any shell pipeline), and libcurl, libmicrohttpd, GnuTLS and libc
 * make calls that vary by version, so an allow-list could not be proven
 * complete. Non-native ABIs (x32, i386 on x86-64) are denied outright. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app/run_int.h"

#if defined(__x86_64__)
#define SK_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SK_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static const int denied[] = {
	SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_kexec_load, SYS_kexec_file_load,
	SYS_reboot, SYS_swapon, SYS_swapoff, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_setns,
	SYS_unshare, SYS_ptrace, SYS_process_vm_writev, SYS_perf_event_open, SYS_keyctl,
	SYS_add_key, SYS_request_key, SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime,
	SYS_adjtimex, SYS_acct, SYS_quotactl, SYS_open_by_handle_at, SYS_fsopen, SYS_fsmount,
	SYS_fsconfig, SYS_move_mount, SYS_open_tree, SYS_mount_setattr, SYS_userfaultfd,
#if defined(__x86_64__)
	SYS_iopl, SYS_ioperm,
#endif
};

/* bpf() commands that make or attach something new (the loaded probe needs
 * none of them: map lookups and updates stay allowed). */
static const int denied_bpf[] = {
	BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_PROG_ATTACH, BPF_RAW_TRACEPOINT_OPEN, BPF_BTF_LOAD,
	BPF_LINK_CREATE,
};

#define N_DENIED (sizeof(denied) / sizeof(denied[0]))
#define N_BPF (sizeof(denied_bpf) / sizeof(denied_bpf[0]))

int sk_app_seccomp_install(void)
{
#ifndef SK_AUDIT_ARCH
	return -ENOTSUP;
#else
	struct sock_filter f[2 * (N_DENIED + N_BPF) + 16];
	unsigned n = 0;
	const unsigned deny_eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SK_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny_eperm);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1); /* x32 */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny_eperm);
#endif
	for (unsigned i = 0; i < N_DENIED; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny_eperm);
	}
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, args[0]));
	for (unsigned i = 0; i < N_BPF; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied_bpf[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny_eperm);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
	/* TSYNC: every thread gets it, should one already run */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		return -errno;
	return 0;
#endif
}
