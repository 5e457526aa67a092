/* scap_read_bench.c — reads a capture N times with the .scap reader and
 * prints the event rate. Usage: scap_read_bench FILE [N] [--raw] [--params]
 * --params also walks every parameter (what a consumer touching all
 * arguments would pay). Output: one line of key=value pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/event.h"

static volatile uint64_t sink_out; /* keeps --params work from being optimised away */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [N] [--raw] [--params]\n", argv[0]);
		return 2;
	}
	const char *path = argv[1];
	long n = 3;
	bool raw = false, params = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--raw") == 0)
			raw = true;
		else if (strcmp(argv[i], "--params") == 0)
			params = true;
		else
			n = strtol(argv[i], NULL, 10);
	}
	if (n < 1)
		n = 1;
	uint64_t events = 0, bytes = 0, sink = 0;
	double best = 1e30, total = 0;
	for (long round = 0; round < n; round++) {
		struct sk_err err;
		struct sk_scap_open_opts o = {.raw = raw};
		double t0 = now();
		struct sk_scap_reader *r = sk_scap_open_ex(path, &o, NULL, &err);
		if (!r) {
			char msg[1200];
			sk_err_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			return 1;
		}
		struct sk_event ev;
		int rc;
		events = bytes = 0;
		while ((rc = sk_scap_next(r, &ev, &err)) == 1) {
			events++;
			bytes += ev.len;
			if (params)
				for (unsigned i = 0; i < ev.nparams; i++) {
					int64_t v;
					if (sk_event_get_s64(&ev, i, &v))
						sink += (uint64_t)v;
				}
		}
		sk_scap_close(r);
		double dt = now() - t0;
		if (rc < 0) {
			char msg[1200];
			sk_err_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			return 1;
		}
		total += dt;
		if (dt < best)
			best = dt;
	}
	printf("file=%s rounds=%ld events=%llu record_bytes=%llu best_s=%.3f mean_s=%.3f "
	       "events_per_s=%.0f\n",
	       path, n, (unsigned long long)events, (unsigned long long)bytes, best, total / n,
	       (double)events / best);
	sink_out = sink;
	return 0;
}
