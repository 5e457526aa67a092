/* syscall_load.c — a syscall-heavy workload for the live overhead benchmark
 * (bench/live_overhead.sh): rounds of open/read/close of a file, and every
 * tenth round a loopback connect/accept/close (closed with a reset).
 *
 *   syscall_load N            N rounds as fast as possible
 *   syscall_load -r R -t S    R rounds per second for S seconds (paced in
 *                             1 ms slices; prints the rate reached)
 *   syscall_load -m MODE N    N rounds of one kind of syscall only, to price
 *                             one path of the probe (bench/probe_cost.sh):
 *                             read     read(2) of /dev/zero (a syscall no rule wants)
 *                             open     open+close of /etc/hostname (read-only: an open
 *                                      the stable rules' kernel filter drops, and its close)
 *                             openonly opens of /etc/hostname without closes, a
 *                                      close_range every 512 (the dropped open alone)
 *                             write    open+close of /dev/null for writing (both sent)
 *
 * Prints elapsed seconds, rounds and syscalls per second. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One round: 3 syscalls, plus 8 every tenth round (3.8 on average). */
static int round_once(long i, int ls, const struct sockaddr_in *sa)
{
	char buf[256];
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			return -1;
		close(fd);
	}
	if (i % 10 == 0) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* close with a reset: no TIME_WAIT sockets piling up, which would
		 * slow down whichever run comes next and skew the comparison */
		struct linger lg = {1, 0};
		if (c >= 0)
			(void)setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (c >= 0 && connect(c, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
			int x = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (x >= 0)
				close(x);
		}
		if (c >= 0)
			close(c);
	}
	return 0;
}

/* The single-path modes (-m): n rounds of one syscall kind. */
static int micro(const char *mode, long n)
{
	char buf[64];
	long calls = n;
	double t0 = now();
	if (!strcmp(mode, "read")) {
		int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		for (long i = 0; i < n; i++)
			if (read(fd, buf, sizeof(buf)) < 0)
				return 1;
		close(fd);
	} else if (!strcmp(mode, "open") || !strcmp(mode, "write")) {
		int w = !strcmp(mode, "write");
		const char *path = w ? "/dev/null" : "/etc/hostname";
		for (long i = 0; i < n; i++) {
			int fd = open(path, (w ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
			if (fd < 0)
				return 1;
			close(fd);
		}
		calls = 2 * n;
	} else if (!strcmp(mode, "openonly")) {
		for (long i = 0; i < n; i++) {
			if (open("/etc/hostname", O_RDONLY | O_CLOEXEC) < 0)
				return 1;
			if (i % 512 == 511 && syscall(SYS_close_range, 3u, ~0u, 0) < 0)
				return 1;
		}
		syscall(SYS_close_range, 3u, ~0u, 0);
		calls = n + n / 512;
	} else {
		fprintf(stderr, "syscall_load: unknown mode %s\n", mode);
		return 2;
	}
	double s = now() - t0;
	printf("%.3f s, %ld rounds, %.0f rounds/s, %.0f syscalls/s\n", s, n, (double)n / s,
	       (double)calls / s);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 100000;
	double rate = 0, secs = 0;
	const char *mode = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "m:r:t:")) != -1) {
		if (opt == 'r')
			rate = strtod(optarg, NULL);
		else if (opt == 't')
			secs = strtod(optarg, NULL);
		else if (opt == 'm')
			mode = optarg;
		else
			return 2;
	}
	if (optind < argc)
		n = strtol(argv[optind], NULL, 10);
	if (mode)
		return micro(mode, n);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl))
		return 1;
	double t0 = now(), t;
	long i = 0;
	if (rate > 0 && secs > 0) {
		/* paced: keep the round count at rate * elapsed, sleeping 1 ms
		 * whenever ahead */
		while ((t = now()) - t0 < secs) {
			long due = (long)((t - t0) * rate);
			if (i >= due) {
				struct timespec ts = {0, 1000000};
				nanosleep(&ts, NULL);
				continue;
			}
			for (; i < due; i++)
				if (round_once(i, ls, &sa))
					return 1;
		}
	} else {
		for (; i < n; i++)
			if (round_once(i, ls, &sa))
				return 1;
		t = now();
	}
	double s = t - t0;
	printf("%.3f s, %ld rounds, %.0f rounds/s, %.0f syscalls/s\n", s, i, (double)i / s,
	       (double)i * 3.8 / s);
	close(ls);
	return 0;
}
