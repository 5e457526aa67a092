/* ctrd.h — private to src/container: pieces of containerd's own API shared
 * by the containerd engine (containerd.c) and the CRI engine (cri.c), which
 * follows containerd's event service when the CRI socket is containerd's,
 * plus small helpers both engines use to fill struct sk_ctr_info. */
#ifndef SK_CONTAINER_CTRD_H
#define SK_CONTAINER_CTRD_H

#include <protobuf-c/protobuf-c.h>
#include <stdatomic.h>

#include "container_int.h"

/* Follows containerd's event service at `socket` (containerd.services.
 * events.v1.Events/Subscribe) for container create, task start, task
 * delete and container delete, calling `fn` with the container id, until
 * `stop` (returns 0) or the stream fails (negative errno). `ns` limits the
 * events to one namespace (NULL = all). Returns -ENOTSUP, quickly, when the
 * socket is not containerd's (the event service is unimplemented). */
int sk_ctrd_watch(const char *socket, unsigned timeout_ms, const char *ns, sk_ctr_event_fn fn,
		  void *ctx, const atomic_bool *stop, struct sk_err *err) SK_WUR;

/* False when container `id` in containerd's namespace k8s.io was not made
 * by the CRI plugin (no io.cri-containerd.kind label: ctr, nerdctl); true
 * when it was, and when that cannot be told. */
bool sk_ctrd_is_cri(const char *socket, unsigned timeout_ms, const char *id);

/* protobuf-c's map<string,string> entries all have this layout (generated
 * *Entry structs differ only in name); engines read them through it. */
struct sk_pb_kv {
	ProtobufCMessage base;
	char *key;
	char *value;
};

/* Helpers for filling sk_ctr_info; each returns 0 or -ENOMEM. */
int sk_ctr_set_str(char **dst, const char *s) SK_WUR;
/* Adds map entries (an array of n protobuf-c *Entry pointers) to the JSON
 * object *obj, creating it when NULL. */
int sk_ctr_put_map(json_t **obj, void *const *entries, size_t n) SK_WUR;
int sk_ctr_put_label(json_t **obj, const char *k, const char *v) SK_WUR;
/* "0-3,7" -> 5, as the container plugin counts a cpuset (0 if malformed). */
int64_t sk_ctr_count_cpuset(const char *s);

#endif
