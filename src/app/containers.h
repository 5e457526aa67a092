/* containers.h — private to src/app: container metadata for the syscall
 * engine (containers.c). */
#ifndef SK_APP_CONTAINERS_H
#define SK_APP_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>

#include "app/run_int.h"
#include "container/container.h"

struct sk_state;
struct sk_event;
struct sk_config_plugin;

struct sk_app_ctr {
	bool enabled;                /* the container plugin is configured (or --cri) */
	struct sk_ctr_cfg cfg;
	struct sk_ctr_client *client;
	const struct sk_app_cfg *app;
	struct sk_buf rec;           /* the async event being handed out */
	uint64_t calls;
	long next_check_s;
	bool warned;
	bool metrics;                /* our /metrics callback is registered */
};

/* Reads the container plugin's configuration (plugins/load_plugins, its
 * init_config) and --cri. Unknown plugins are Falco's load errors. Prints
 * the error and returns -1 on failure. */
int sk_app_ctr_setup(struct sk_app_ctr *a, const struct sk_app_cfg *c);
/* Starts the runtime client (when enabled): lists running containers, then
 * follows the runtimes; installs state's lookup hook. -1 on failure. */
int sk_app_ctr_start(struct sk_app_ctr *a, struct sk_state *st);
/* The next container record as an asyncevent "container" /
 * "container_removed", stamped with the time the client learnt it: fills
 * `ev` (valid until the next call) and returns 1, or 0 when none is
 * waiting (an atomic load, no clock read). */
int sk_app_ctr_next_event(struct sk_app_ctr *a, struct sk_event *ev);
void sk_app_ctr_stats(const struct sk_app_ctr *a, struct sk_ctr_stats *out);
void sk_app_ctr_done(struct sk_app_ctr *a);
/* The `plugins:` entry of plugin `name` when falco.yaml loads it
 * (load_plugins, or every entry when load_plugins is not set); NULL
 * otherwise. */
const struct sk_config_plugin *sk_app_plugin_loaded(const struct sk_config *k, const char *name);

#endif
