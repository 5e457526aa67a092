/* syscall_load.c — a syscall-heavy workload for the live overhead benchmark
 * (bench/live_overhead.sh): rounds of open/read/close of a file, and every
 * tenth round a loopback connect/accept/close (closed with a reset).
 *
 *   syscall_load N            N rounds as fast as possible
 *   syscall_load -r R -t S    R rounds per second for S seconds (paced in
 *                             1 ms slices; prints the rate reached)
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

int main(int argc, char **argv)
{
	long n = 100000;
	double rate = 0, secs = 0;
	int opt;
	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		if (opt == 'r')
			rate = strtod(optarg, NULL);
		else if (opt == 't')
			secs = strtod(optarg, NULL);
		else
			return 2;
	}
	if (optind < argc)
		n = strtol(argv[optind], NULL, 10);
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
