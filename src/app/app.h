/* app.h — the program layer: command-line handling, wiring of sources,
 * engine, outputs and server, signals and reload. Only app/ and main.c
 * print or log. */
#ifndef SK_APP_H
#define SK_APP_H

/* `saker inspect [-p FORMAT] [-n N] FILE [FILTER]`: prints events of a
 * capture like `sysdig -r`. argv[0] is "inspect". Returns the exit status. */
int sk_app_inspect(int argc, char **argv);

/* `saker --list[=SOURCE]`: prints the fields of a source (NULL or "" = all)
 * from the registry; "markdown" prints docs/fields.md. Returns the exit
 * status (1 for an unknown source). */
int sk_app_list_fields(const char *source);

/* Everything else: the Falco-compatible command line (rules, config,
 * replay, live capture). Returns the exit status. */
int sk_app_run(int argc, char **argv);

#endif
