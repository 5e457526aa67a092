/* container_int.h — private to src/container: what a runtime engine
 * implements (docker.c, cri.c, containerd.c) and the container description
 * engines fill, which json.c turns into the container plugin's JSON record. */
#ifndef SK_CONTAINER_INT_H
#define SK_CONTAINER_INT_H

#include <jansson.h>
#include <stdatomic.h>

#include "container/container.h"

/* What one runtime says about one container. Strings are malloc'd and owned
 * by the struct ("" is fine, NULL means ""); json_t members are owned
 * references (NULL = empty). Freed by sk_ctr_info_done. */
struct sk_ctr_info {
	int type;                   /* enum sk_ctr_type */
	char *full_id;              /* 64 hex for docker/podman/CRI; as given for containerd */
	char *name;                 /* without docker's leading '/' */
	char *image;                /* as the user named it: "localhost/test:1", "nginx@sha256:..." */
	char *image_id;             /* without "sha256:" */
	char *image_repo, *image_tag, *image_digest; /* digest with "sha256:" */
	char *user;                 /* Config.User */
	char *ip;                   /* primary IPv4, "" if none */
	char *cni_json;             /* CRI: the pod's CNI result (JSON text) */
	char *pod_sandbox_id;       /* CRI: full id of the pod's sandbox */
	bool privileged, host_pid, host_network, host_ipc;
	bool is_pod_sandbox;        /* the pause/infra container itself */
	int64_t created_time;       /* seconds since epoch */
	int64_t cpu_period, cpu_quota, cpu_shares, cpuset_cpu_count;
	int64_t memory_limit, swap_limit;
	json_t *labels;             /* object: string -> string (container labels) */
	json_t *pod_sandbox_labels; /* object: the pod's labels (CRI), NULL if none */
	json_t *mounts;             /* array of {Source, Destination, Mode, RW, Propagation} */
	json_t *env;                /* array of "K=V" strings */
	json_t *port_mappings;      /* array of {HostIp, HostPort, ContainerPort} */
};
void sk_ctr_info_done(struct sk_ctr_info *i);
/* The container plugin's JSON document for `i` ({"container": {...}}, every
 * key the plugin writes); labels longer than label_max_len are left out.
 * Returns malloc'd text or NULL on OOM. */
char *sk_ctr_info_to_json(const struct sk_ctr_info *i, size_t label_max_len);
/* Splits an image reference into repository, tag and digest the way the
 * container plugin does ("reg:5000/a/b:1.2@sha256:x" -> "reg:5000/a/b", "1.2",
 * "sha256:x"). Outputs are malloc'd ("" when absent). */
int sk_ctr_split_image(const char *image, char **repo, char **tag, char **digest) SK_WUR;

/* What a runtime event means for the client. */
enum sk_ctr_event_kind { SK_CTR_EV_CREATE, SK_CTR_EV_START, SK_CTR_EV_DESTROY };
typedef void (*sk_ctr_event_fn)(void *ctx, enum sk_ctr_event_kind kind, const char *full_id);
typedef void (*sk_ctr_list_fn)(void *ctx, const char *full_id);

struct sk_ctr_engine;

/* A runtime engine. Every call runs on a client thread, never on the engine
 * thread; each must give up after cfg->timeout_ms (watch: after `stop` is
 * set, within timeout_ms). Errors fill `err` and return a negative errno;
 * -ENOENT means "this runtime does not know the container". */
struct sk_ctr_engine_ops {
	const char *name;           /* "docker", "podman", "cri", "containerd" */
	/* Fills `out` (zeroed by the caller) for `id` (short or full). */
	int (*inspect)(struct sk_ctr_engine *e, const char *id, struct sk_ctr_info *out,
		       struct sk_err *err);
	/* Calls `fn` for each container the runtime runs now. */
	int (*list)(struct sk_ctr_engine *e, sk_ctr_list_fn fn, void *ctx, struct sk_err *err);
	/* Follows the runtime's event stream, calling `fn` per create/start/
	 * destroy, until `stop` is set (returns 0) or the stream fails (returns
	 * the error; the client reconnects with back-off). NULL when the runtime
	 * has no event stream: the client then polls `list`. */
	int (*watch)(struct sk_ctr_engine *e, sk_ctr_event_fn fn, void *ctx,
		     const atomic_bool *stop, struct sk_err *err);
	void (*free)(struct sk_ctr_engine *e);
};

/* Common head of every engine; engines embed it first. */
struct sk_ctr_engine {
	const struct sk_ctr_engine_ops *ops;
	const struct sk_ctr_cfg *cfg;   /* borrowed from the client */
	char socket[256];               /* the socket in use (host_root applied) */
};

/* Constructors: return NULL with `err` set when the engine cannot be used at
 * `socket` (it does not exist or does not answer a version call within
 * timeout_ms). `type` tells docker.c whether it speaks to docker or podman. */
struct sk_ctr_engine *sk_ctr_docker_new(const struct sk_ctr_cfg *cfg, const char *socket,
					int type, struct sk_err *err);
struct sk_ctr_engine *sk_ctr_cri_new(const struct sk_ctr_cfg *cfg, const char *socket,
				     struct sk_err *err);
struct sk_ctr_engine *sk_ctr_containerd_new(const struct sk_ctr_cfg *cfg, const char *socket,
					    struct sk_err *err);

/* What docker or podman wrote on disk about container `id` (full id) at
 * create time (disk.c): name, image, labels, mounts, privileged, host
 * namespaces for docker; name and image for podman. 0 or -ENOENT. */
int sk_ctr_disk_inspect(const struct sk_ctr_cfg *cfg, const char *id, struct sk_ctr_info *out);

/* Nanoseconds on CLOCK_REALTIME / CLOCK_MONOTONIC. */
uint64_t sk_ctr_now_ns(void);
uint64_t sk_ctr_mono_ns(void);

#endif
