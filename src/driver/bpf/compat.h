/* compat.h — ia32 (32-bit compat) syscalls in the eBPF probe: a 32-bit
 * program, or a 64-bit one using `int $0x80`, enters the kernel with ia32
 * syscall numbers and arguments in ebx, ecx, edx, esi, edi, ebp. The probe
 * decodes such a syscall as its x86_64 twin: the number is mapped through
 * compat_nr.h (generated at build time from the UAPI unistd_32.h/unistd_64.h,
 * by name) and the arguments are taken from the ia32 registers, so the event
 * is the same one a 64-bit caller would have produced.
 *
 * Included by probe.bpf.c only (after vmlinux.h and probe.h). */
#ifndef SK_DRIVER_BPF_COMPAT_H
#define SK_DRIVER_BPF_COMPAT_H

#include "compat_nr.h"

/* compat_nr.h entry: bits 0-8 the x86_64 number, 9-11 socketcall's argument
 * count, and these flags (the generator writes the same values). */
#define SK_IA32_NR_MASK 0x1ff
#define SK_IA32_NOPTR1 0x1000     /* arg 1 points to a struct of another layout: cleared */
#define SK_IA32_UID16 0x2000      /* args 0-2 are 16-bit ids (old_uid_t) */
#define SK_IA32_SOCKETCALL 0x4000 /* socketcall(2): see sk_ia32_socketcall[] */
#define SK_IA32_MAPPED 0x8000     /* decoded as x86_64 number (e & SK_IA32_NR_MASK) */

/* thread_info.status bit set by the kernel's 32-bit syscall entry and
 * cleared on the way back to user space (arch/x86 thread_info.h): the
 * kernel's in_ia32_syscall(). Still set at the sys_exit tracepoint; after a
 * successful execve it follows the new program's personality, as orig_ax
 * does. The task is the current one (bpf_get_current_task_btf()). */
#define SK_TS_COMPAT 0x0002

static __always_inline int compat__in_ia32(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->thread_info.status))
		return 0; /* a kernel without it: 64-bit decoding only */
	return (t->thread_info.status & SK_TS_COMPAT) != 0;
}

/* The same through bpf_probe_read, for a task pointer without BTF type
 * (kernels before bpf_get_current_task_btf). */
static __always_inline int compat__in_ia32_read(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->thread_info.status))
		return 0;
	return (BPF_CORE_READ(t, thread_info.status) & SK_TS_COMPAT) != 0;
}

/* The table entry of the current ia32 syscall `nr` (regs from the exit
 * tracepoint), or 0 when it has no decoded x86_64 twin. socketcall is
 * resolved to its sub-call, named by ebx. */
static __always_inline __u32 compat__entry(struct pt_regs *regs, __u64 nr)
{
	if (nr >= SK_IA32_NR_MAX)
		return 0;
	__u32 e = sk_ia32_nr[nr & (SK_IA32_NR_MAX - 1)];
	if (e & SK_IA32_SOCKETCALL) {
		__u32 call = (__u32)regs->bx;
		if (call >= SK_IA32_SOCKETCALL_MAX)
			return 0;
		e = sk_ia32_socketcall[call] | SK_IA32_SOCKETCALL;
	}
	return (e & SK_IA32_MAPPED) ? e : 0;
}

/* old_uid_t -> uid_t: (u16)-1 means "unchanged" and becomes -1, as the
 * kernel's low2highuid() does. */
static __always_inline __u64 compat__uid16(__u64 v)
{
	v &= 0xffff;
	return v == 0xffff ? 0xffffffffULL : v;
}

/* Fills s->args from the ia32 registers for table entry e. Registers are
 * zero-extended from 32 bits: user pointers stay below 4 GiB, and every int
 * parameter (fds, AT_FDCWD, pids) is sign-extended by its spec (SK_XF_S32),
 * as for a 64-bit caller. socketcall's arguments are an array of 32-bit
 * words in user memory (ecx); an unreadable array leaves them 0. */
static __always_inline void compat__args(struct sk_probe_scratch *s, struct pt_regs *regs,
					 __u32 e)
{
	if (e & SK_IA32_SOCKETCALL) {
		__u32 w[6] = {};
		__u32 n = (e >> 9) & 7;
		if (n > 6)
			n = 6;
		if (bpf_probe_read_user(w, n * 4, (void *)(__u64)(__u32)regs->cx) < 0)
			count_fault();
		for (int i = 0; i < 6; i++)
			s->args[i] = w[i];
	} else {
		s->args[0] = (__u32)regs->bx;
		s->args[1] = (__u32)regs->cx;
		s->args[2] = (__u32)regs->dx;
		s->args[3] = (__u32)regs->si;
		s->args[4] = (__u32)regs->di;
		s->args[5] = (__u32)regs->bp;
	}
	if (e & SK_IA32_UID16) {
		s->args[0] = compat__uid16(s->args[0]);
		s->args[1] = compat__uid16(s->args[1]);
		s->args[2] = compat__uid16(s->args[2]);
	}
	if (e & SK_IA32_NOPTR1)
		s->args[1] = 0;
}

#endif
