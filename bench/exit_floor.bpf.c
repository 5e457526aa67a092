// SPDX-License-Identifier: GPL-2.0 OR MIT
/* exit_floor.bpf.c — the cheapest programs that can watch syscall exits, to
 * price what any probe pays before doing anything (bench/exit_floor.c,
 * bench/probe_cost.sh): an empty tp_btf/sys_exit program, which every
 * syscall of every task runs, and empty programs on two syscalls only
 * (openat, close), which the others never run: fexit, kretprobe, or the
 * per-syscall tracepoints syscalls/sys_exit_* (what a kernel without
 * fexit and kprobes still offers). Each counts its runs in .bss. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 hits = 0;

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	hits++;
	return 0;
}

SEC("fexit/__x64_sys_openat")
int BPF_PROG(floor_fexit_openat, const struct pt_regs *regs, long ret)
{
	hits++;
	return 0;
}

SEC("fexit/__x64_sys_close")
int BPF_PROG(floor_fexit_close, const struct pt_regs *regs, long ret)
{
	hits++;
	return 0;
}

SEC("kretprobe/__x64_sys_openat")
int BPF_KRETPROBE(floor_kret_openat, long ret)
{
	hits++;
	return 0;
}

SEC("kretprobe/__x64_sys_close")
int BPF_KRETPROBE(floor_kret_close, long ret)
{
	hits++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_stp_openat(void *ctx)
{
	hits++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_close")
int floor_stp_close(void *ctx)
{
	hits++;
	return 0;
}
