/* inspect.c — `saker inspect`: a sysdig-style event printer for captures. */
#include <stdio.h>

#include "app/app.h"

int sk_app_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "saker inspect: not built yet\n");
	return 2;
}
