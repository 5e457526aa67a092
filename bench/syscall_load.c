/* syscall_load.c — a syscall-heavy workload for the overhead benchmark:
 * N rounds of open/read/close of a file and connect/accept/close on
 * loopback. Prints the elapsed seconds and syscalls/s. Usage: syscall_load N */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl))
		return 1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	char buf[256];
	for (long i = 0; i < n; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0)
				return 1;
			close(fd);
		}
		if (i % 10 == 0) {
			int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
				int x = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
				if (x >= 0)
					close(x);
			}
			close(c);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.3f s, %.0f syscalls/s\n", s, (double)n * 3.5 / s);
	close(ls);
	return 0;
}
