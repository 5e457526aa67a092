/* main.c — saker's entry point: picks the subcommand and hands over to app/. */
#include <string.h>

#include "app/app.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "inspect") == 0)
		return sk_app_inspect(argc - 1, argv + 1);
	return sk_app_run(argc, argv);
}
