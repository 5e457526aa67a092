/* exit_floor.c — attaches the empty programs of exit_floor.bpf.c and waits
 * for SIGINT/SIGTERM: the floor of a syscall-exit probe's cost.
 *
 *   exit_floor tp       the empty tp_btf/sys_exit program (every syscall)
 *   exit_floor fexit    empty fexit programs on openat and close only
 *   exit_floor kret     empty kretprobes on openat and close only
 *   exit_floor systp    empty programs on the tracepoints syscalls/sys_exit_openat
 *                       and sys_exit_close only
 *
 * Prints "attached" once the programs run, and their hit count at the end.
 * Used by bench/probe_cost.sh and bench/live_ab.sh (variant `floor:tp`). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "exit_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "tp") && strcmp(argv[1], "fexit") &&
			  strcmp(argv[1], "kret") && strcmp(argv[1], "systp"))) {
		fprintf(stderr, "usage: exit_floor tp|fexit|kret|systp\n");
		return 2;
	}
	int tp = !strcmp(argv[1], "tp"), fx = !strcmp(argv[1], "fexit");
	int kr = !strcmp(argv[1], "kret"), st = !strcmp(argv[1], "systp");
	struct exit_floor *sk = exit_floor__open();
	int rc = 1;
	if (!sk)
		goto cleanup;
	bpf_program__set_autoload(sk->progs.floor_sys_exit, tp);
	bpf_program__set_autoload(sk->progs.floor_fexit_openat, fx);
	bpf_program__set_autoload(sk->progs.floor_fexit_close, fx);
	bpf_program__set_autoload(sk->progs.floor_kret_openat, kr);
	bpf_program__set_autoload(sk->progs.floor_kret_close, kr);
	bpf_program__set_autoload(sk->progs.floor_stp_openat, st);
	bpf_program__set_autoload(sk->progs.floor_stp_close, st);
	if (exit_floor__load(sk) || exit_floor__attach(sk)) {
		fprintf(stderr, "exit_floor: cannot load or attach\n");
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "attached\n");
	while (!stop)
		pause();
	fprintf(stderr, "hits %llu\n", (unsigned long long)sk->bss->hits);
	rc = 0;
cleanup:
	exit_floor__destroy(sk);
	return rc;
}
