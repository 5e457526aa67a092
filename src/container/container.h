/* container.h — container runtime clients: learn which containers and pods
 * exist from the runtimes' own APIs (Docker Engine API for docker and
 * podman, CRI over gRPC for containerd/CRI-O, containerd's own API) and hand
 * the engine thread immutable records in the container plugin's JSON shape.
 *
 * Nothing here runs on the engine thread except sk_ctr_client_request() and
 * sk_ctr_client_poll(), which only take a short lock when work is queued.
 * Runtime calls, event streams and retries run on the client's own threads.
 * The module depends on util/ only (and libcurl, jansson, protobuf-c). */
#ifndef SK_CONTAINER_H
#define SK_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Runtime kinds, numbered as the container plugin's container_type (the
 * "type" key of its JSON records and of Falco's capture files). */
enum sk_ctr_type {
	SK_CT_DOCKER = 0,
	SK_CT_LXC = 1,
	SK_CT_LIBVIRT_LXC = 2,
	SK_CT_MESOS = 3,
	SK_CT_RKT = 4,
	SK_CT_CUSTOM = 5,
	SK_CT_CRI = 6,
	SK_CT_CONTAINERD = 7,
	SK_CT_CRIO = 8,
	SK_CT_BPM = 9,
	SK_CT_STATIC = 10,
	SK_CT_PODMAN = 11,
	SK_CT_HOST = 0xfffe,
	SK_CT_UNKNOWN = 0xffff,
};

/* "docker", "cri-o", ... as container.type renders it; "" for unknown. */
const char *sk_ctr_type_name(int type);

#define SK_CTR_MAX_SOCKETS 8

/* One engine's settings: the plugin's init_config.engines.<name>. */
struct sk_ctr_engine_cfg {
	bool enabled;
	size_t nsockets;
	char sockets[SK_CTR_MAX_SOCKETS][256]; /* unix socket paths; 0 = defaults */
};

/* The container plugin's init_config, as saker serves it natively. */
struct sk_ctr_cfg {
	struct sk_ctr_engine_cfg docker, podman, cri, containerd;
	bool lxc, libvirt_lxc, bpm;  /* cgroup-only engines (no client) */
	size_t label_max_len;        /* labels with longer values are left out; default 100 */
	bool with_size;              /* ignored (the plugin's slow size inspection) */
	bool hook_create, hook_start;/* learn containers at create (default) and/or start */
	const char *host_root;       /* prefix for socket paths (HOST_ROOT), NULL = "" */
	/* Bounds: queued lookups, records waiting for the engine thread, and the
	 * client's own table of known containers (evicted when they are gone). */
	size_t max_pending;          /* default 4096 */
	size_t max_known;            /* default 16384 */
	unsigned timeout_ms;         /* per runtime call; default 2000 */
	unsigned poll_ms;            /* listing interval where a runtime has no events; default 1000 */
};

/* Falco's defaults: every socket engine on with its default sockets, hooks
 * [create], label_max_len 100. */
void sk_ctr_cfg_defaults(struct sk_ctr_cfg *c);
/* Fills `c` from the plugin's init_config given as JSON text (what
 * falco.yaml's plugins[].init_config becomes). Unknown keys are ignored, as
 * the plugin does; wrong types are errors. */
int sk_ctr_cfg_from_json(struct sk_ctr_cfg *c, const char *json, struct sk_err *err) SK_WUR;

/* A record for the engine thread: the container plugin's JSON document
 * ({"container": {...}}), as carried by asyncevent "container" (added or
 * updated) and "container_removed". Owned by whoever holds it. */
struct sk_ctr_record {
	bool removed;
	char *json;
	uint64_t ts;  /* when the client learnt it, ns since epoch */
};
void sk_ctr_record_free(struct sk_ctr_record *r);

/* Counters (monotonic unless noted), read from any thread. */
struct sk_ctr_stats {
	uint64_t lookups;            /* runtime inspect rounds (each retry counts) */
	uint64_t lookup_failures;    /* containers given up on after every retry */
	uint64_t lookup_ns_total, lookup_ns_max;
	uint64_t events_seen;        /* runtime events received */
	uint64_t records, records_dropped;
	uint64_t socket_errors;      /* connect/protocol failures */
	uint64_t known;              /* containers known now (gauge) */
	uint64_t pending;            /* lookups queued now (gauge) */
};

struct sk_ctr_client;

/* Creates a client for the enabled engines whose sockets exist. No thread
 * runs yet. Returns NULL with `err` set only on allocation failure: a
 * missing socket is not an error (the engine retries it in the background). */
struct sk_ctr_client *sk_ctr_client_new(const struct sk_ctr_cfg *cfg, struct sk_err *err);
/* Lists the containers running now (synchronously, bounded by timeout_ms
 * per runtime) and queues their records: called during the /proc scan so
 * that processes already running have metadata on their first event. */
int sk_ctr_client_list_now(struct sk_ctr_client *c);
/* Starts the event listeners and the lookup worker. */
int sk_ctr_client_start(struct sk_ctr_client *c, struct sk_err *err) SK_WUR;
/* Engine thread: asks for the metadata of a container seen in a cgroup
 * (`id` short or full, `type` the cgroup matcher's guess or -1). Never
 * blocks; repeated requests for the same id are coalesced. */
void sk_ctr_client_request(struct sk_ctr_client *c, const char *id, int type);
/* Engine thread: takes the next record (true) into `out`, which the caller
 * frees with sk_ctr_record_free. Cheap when nothing is queued. */
bool sk_ctr_client_poll(struct sk_ctr_client *c, struct sk_ctr_record *out);
void sk_ctr_client_stats(const struct sk_ctr_client *c, struct sk_ctr_stats *out);
/* Names of the engines that found a socket ("docker:/var/run/docker.sock"),
 * for the start-up log; `buf` is NUL-terminated. */
void sk_ctr_client_describe(const struct sk_ctr_client *c, char *buf, size_t len);
/* Stops threads and frees everything (NULL-safe). */
void sk_ctr_client_free(struct sk_ctr_client *c);

#endif
