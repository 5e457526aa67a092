/* run.c — the main command line (Falco-compatible flags). */
#include <stdio.h>
#include <string.h>

#include "app/app.h"

int sk_app_run(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("saker version: 0.1.0\n");
		return 0;
	}
	fprintf(stderr, "saker: not built yet\n");
	return 2;
}
