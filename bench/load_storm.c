/* load_storm.c — real-process load for the bounded-state tests
 * (tests/e2e/test_load_bounds.py, bench/load_bounds.sh): process storms,
 * one process with many fds, one process with many threads.
 *
 *   load_storm forks N            N children, each fork + _exit, one at a time
 *   load_storm nested N DEPTH W   N processes as chains DEPTH deep (each process
 *                                 forks the next, then waits), W chains at once
 *   load_storm fds N              raises RLIMIT_NOFILE, opens N fds on /dev/null (fewer
 *                                 when the hard limit cannot be raised)
 *   load_storm threads N          starts N threads (64 KiB stacks)
 *
 * fds and threads print "ready N" once everything is open / started and
 * hold it until standard input closes; then they exit. Every mode prints
 * "done N" at the end. Exit status 0, or 1 with a message. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "load_storm: %s: %s\n", what, strerror(errno));
	return 1;
}

/* fork() that retries while the kernel is short of pids or memory for a moment. */
static pid_t fork_retry(void)
{
	for (int i = 0; i < 1000; i++) {
		pid_t p = fork();
		if (p >= 0 || errno != EAGAIN)
			return p;
		usleep(1000);
	}
	return -1;
}

static int storm_forks(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork_retry();
		if (p < 0)
			return fail("fork");
		if (p == 0)
			_exit(0);
		if (waitpid(p, NULL, 0) < 0)
			return fail("waitpid");
	}
	return 0;
}

/* This process forks the rest of its chain (depth levels below it): each
 * child forks the next level, then waits for it and exits. */
static void chain(int depth)
{
	for (; depth > 1; depth--) {
		pid_t p = fork_retry();
		if (p == 0)
			continue; /* the child goes one level deeper */
		if (p > 0)
			waitpid(p, NULL, 0);
		_exit(p < 0);
	}
	_exit(0);
}

static int storm_nested(long n, int depth, int width)
{
	long chains = (n + depth - 1) / depth, running = 0;
	for (long i = 0; i < chains; i++) {
		if (running == width) {
			if (wait(NULL) < 0)
				return fail("wait");
			running--;
		}
		pid_t p = fork_retry();
		if (p < 0)
			return fail("fork");
		if (p == 0)
			chain(depth);
		running++;
	}
	while (running-- > 0)
		if (wait(NULL) < 0)
			return fail("wait");
	return 0;
}

/* Blocks until standard input is closed (or anything is written to it). */
static void hold(long n)
{
	char c;
	printf("ready %ld\n", n);
	fflush(stdout);
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
}

/* Without CAP_SYS_RESOURCE the hard limit cannot be raised: then as many as
 * it allows (the "ready" line says how many). */
static int many_fds(long n)
{
	struct rlimit rl = {(rlim_t)n + 64, (rlim_t)n + 64};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return fail("getrlimit");
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return fail("setrlimit(RLIMIT_NOFILE)");
		if ((rlim_t)n + 64 > rl.rlim_max)
			n = (long)rl.rlim_max - 64;
	}
	for (long i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return fail("open /dev/null");
	hold(n);
	return 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stop;

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int many_threads(long n)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t a;
	if (!t || pthread_attr_init(&a) || pthread_attr_setstacksize(&a, 64 * 1024))
		return fail("thread attributes");
	for (long i = 0; i < n; i++) {
		int rc = pthread_create(&t[i], &a, sleeper, NULL);
		if (rc) {
			errno = rc;
			return fail("pthread_create");
		}
	}
	hold(n);
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: load_storm forks|nested|fds|threads N [DEPTH WIDTH]\n");
		return 2;
	}
	long n = atol(argv[2]);
	int rc;
	if (!strcmp(argv[1], "forks"))
		rc = storm_forks(n);
	else if (!strcmp(argv[1], "nested"))
		rc = storm_nested(n, argc > 3 ? atoi(argv[3]) : 10, argc > 4 ? atoi(argv[4]) : 4);
	else if (!strcmp(argv[1], "fds"))
		rc = many_fds(n);
	else if (!strcmp(argv[1], "threads"))
		rc = many_threads(n);
	else {
		fprintf(stderr, "load_storm: unknown mode %s\n", argv[1]);
		return 2;
	}
	if (!rc)
		printf("done %ld\n", n);
	return rc;
}
