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
	if (argc > 1 && strcmp(argv[1], "--list") == 0)
		return sk_app_list_fields(argc > 2 ? argv[2] : NULL);
	if (argc > 1 && strncmp(argv[1], "--list=", 7) == 0)
		return sk_app_list_fields(argv[1] + 7);
	fprintf(stderr, "saker: not built yet\n");
	return 2;
}
