/* cri.c — the CRI (Kubernetes runtime.v1) engine over gRPC on a unix socket
 * (containerd's CRI plugin, CRI-O): container and pod sandbox metadata from
 * ContainerStatus/PodSandboxStatus (verbose), listing of containers and
 * sandboxes, and events from containerd's event service (namespace k8s.io)
 * or, failing that, CRI GetContainerEvents.
 *
 * Records follow the container plugin's CRI engine (go-worker cri.go): the
 * same sources for each key, the same quirks, noted where they matter. The
 * engine holds no mutable state after sk_ctr_cri_new: every call opens its
 * own connection, so calls may run on any threads at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container_int.h"
#include "cri.pb-c.h"
#include "ctrd.h"
#include "grpc.h"

#define CRI_SVC "/runtime.v1.RuntimeService/"
#define CRI_DEFAULT_TIMEOUT_MS 2000u
#define CRI_CPU_PERIOD_DEFAULT 100000
#define CRI_CPU_SHARES_DEFAULT 1024
#define CRI_MAX_CNI_JSON 4096
#define CRI_KNOW_POLL_NS 10000000 /* 10 ms between "does CRI know it yet?" */

struct sk_cri {
	struct sk_ctr_engine base;
	int type;               /* from Version's runtime_name; set once by _new */
};

static struct sk_grpc_target cri_target(const struct sk_cri *c)
{
	unsigned t = c->base.cfg && c->base.cfg->timeout_ms ? c->base.cfg->timeout_ms
							    : CRI_DEFAULT_TIMEOUT_MS;
	return (struct sk_grpc_target){.socket = c->base.socket, .ns = NULL, .timeout_ms = t};
}

static int cri_call(const struct sk_cri *c, const char *method, const void *req,
		    const ProtobufCMessageDescriptor *d, void *out, struct sk_err *err)
{
	struct sk_grpc_target t = cri_target(c);
	return sk_grpc_unary(&t, method, req, d, (ProtobufCMessage **)out, err);
}

static void pb_free(void *m)
{
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- the verbose "info" JSON ---------------------------------------------- */

/* Parses the "info" entry of a verbose status reply (NULL if absent or not
 * JSON: the plugin ignores it then too). */
static json_t *info_json(void *const *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sk_pb_kv *kv = entries[i];
		if (kv->key && kv->value && !strcmp(kv->key, "info"))
			return json_loads(kv->value, JSON_REJECT_DUPLICATES, NULL);
	}
	return NULL;
}

/* Follows object keys (NULL-terminated list); NULL when any is missing. */
static json_t *jget(json_t *j, const char *const *path)
{
	for (; j && *path; path++)
		j = json_is_object(j) ? json_object_get(j, *path) : NULL;
	return j;
}

#define JGET(j, ...) jget((j), (const char *const[]){__VA_ARGS__, NULL})

static const char *jstr(json_t *j)
{
	return json_is_string(j) ? json_string_value(j) : NULL;
}

/* The plugin's order: runtimeSpec.linux.security_context.privileged (never
 * in an OCI spec, kept for parity), config.linux.security_context.privileged,
 * then the top-level "privileged" containerd writes. */
static bool info_privileged(json_t *info)
{
	json_t *p = JGET(info, "runtimeSpec", "linux", "security_context", "privileged");
	if (!json_is_boolean(p))
		p = JGET(info, "config", "linux", "security_context", "privileged");
	if (!json_is_boolean(p))
		p = JGET(info, "privileged");
	return json_is_true(p);
}

static int info_env(json_t *info, json_t **out)
{
	json_t *envs = JGET(info, "config", "envs");
	*out = json_array();
	if (!*out)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach(envs, i, e) {
		const char *k = jstr(JGET(e, "key")), *v = jstr(JGET(e, "value"));
		json_t *s = json_sprintf("%s=%s", k ? k : "", v ? v : "");
		if (!s || json_array_append_new(*out, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static const char *info_annotation(json_t *info, const char *key)
{
	return jstr(json_object_get(JGET(info, "runtimeSpec", "annotations"), key));
}

/* CNI result of the sandbox: CRI-O's annotation. containerd's cniResult is
 * left out as the plugin leaves it out (its marshalling keeps the result
 * only when marshalling fails), so records match Falco's. */
static int sandbox_cni_json(json_t *sbinfo, char **out)
{
	const char *v = info_annotation(sbinfo, "io.kubernetes.cri-o.CNIResult");
	if (!v)
		return sk_ctr_set_str(out, "");
	size_t n = strnlen(v, CRI_MAX_CNI_JSON);
	*out = strndup(v, n);
	return *out ? 0 : -ENOMEM;
}

/* ---- image keys, as the plugin derives them ------------------------------- */

static int image_tag_of(const char *image, char **tag)
{
	char *repo = NULL, *digest = NULL;
	int rc = sk_ctr_split_image(image, &repo, tag, &digest);
	free(repo);
	free(digest);
	return rc;
}

/* The image name and digest as the plugin reads them: image_ref is
 * "sha256:<hex>" (the digest) or "<repo>@sha256:<hex>" (names the image by
 * digest; the tag then comes from status.image, *tag_from_spec). Images
 * named by id fall back to the runtime's annotations. Outputs malloc'd. */
static int image_name_digest(const Runtime__V1__ContainerStatus *s, json_t *info, char **name,
			     char **digest, bool *tag_from_spec)
{
	const char *ref = s->image_ref ? s->image_ref : "";
	const char *ds = strstr(ref, "sha256:");
	*tag_from_spec = false;
	if (ds && ds != ref && ds[-1] == '@') {
		*name = strndup(ref, (size_t)(ds - 1 - ref));
		*digest = strdup(ds);
		*tag_from_spec = true;
	} else {
		*name = strdup(s->image && s->image->image ? s->image->image : "");
		*digest = strdup(ds == ref ? ref : "");
	}
	if (!*name || !*digest)
		return -ENOMEM;
	if (**name && strncmp(*name, "sha256", 6))
		return 0;
	const char *keys[] = {"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.Image",
			      "io.kubernetes.cri-o.ImageName"};
	for (size_t k = 0; k < SK_ARRAY_LEN(keys); k++) {
		const char *v = info_annotation(info, keys[k]);
		if (v) {
			*tag_from_spec = false;
			return sk_ctr_set_str(name, v);
		}
	}
	return 0;
}

/* A name given by digest gets status.image's tag: "repo" -> "repo:tag". */
static int add_spec_tag(const Runtime__V1__ContainerStatus *s, char **name, struct sk_ctr_info *o)
{
	char *tag = NULL;
	int rc = image_tag_of(s->image && s->image->image ? s->image->image : "", &tag);
	if (rc < 0 || !*tag) {
		free(tag);
		return rc;
	}
	size_t n = strlen(*name) + 1 + strlen(tag) + 1;
	char *full = malloc(n);
	if (!full) {
		free(tag);
		return -ENOMEM;
	}
	snprintf(full, n, "%s:%s", *name, tag);
	free(*name);
	*name = full;
	free(o->image_tag);
	o->image_tag = tag;
	return 0;
}

static int fill_image(const Runtime__V1__ContainerStatus *s, json_t *info, struct sk_ctr_info *o)
{
	char *name = NULL, *digest = NULL, *unused = NULL;
	bool tag_from_spec;
	int rc = image_name_digest(s, info, &name, &digest, &tag_from_spec);
	if (rc == 0)
		rc = sk_ctr_split_image(name, &o->image_repo, &o->image_tag, &unused);
	free(unused);
	if (rc == 0 && tag_from_spec)
		rc = add_spec_tag(s, &name, o);
	/* image id: the part after ':' of config.image.image ("sha256:<hex>"
	 * as kubelet passes it), else status.image_id */
	const char *cfg_image = jstr(JGET(info, "config", "image", "image"));
	if (rc == 0)
		rc = image_tag_of(cfg_image ? cfg_image : "", &o->image_id);
	if (rc == 0 && !*o->image_id && s->image_id && *s->image_id)
		rc = sk_ctr_set_str(&o->image_id, s->image_id);
	if (rc == 0) {
		o->image = name;
		o->image_digest = digest;
		return 0;
	}
	free(name);
	free(digest);
	return rc;
}

/* ---- records --------------------------------------------------------------- */

static const char *propagation_name(Runtime__V1__MountPropagation p)
{
	switch (p) {
	case RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_PRIVATE: return "private";
	case RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_HOST_TO_CONTAINER: return "rslave";
	case RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_BIDIRECTIONAL: return "rshared";
	default: return "unknown";
	}
}

static int fill_mounts(const Runtime__V1__ContainerStatus *s, struct sk_ctr_info *o)
{
	if (!(o->mounts = json_array()))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const Runtime__V1__Mount *m = s->mounts[i];
		json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source", m->host_path ? m->host_path : "",
				      "Destination", m->container_path ? m->container_path : "",
				      "Mode", "", "RW", !m->readonly, "Propagation",
				      propagation_name(m->propagation));
		if (!j || json_array_append_new(o->mounts, j) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void fill_resources(const Runtime__V1__ContainerStatus *s, struct sk_ctr_info *o)
{
	o->cpu_period = CRI_CPU_PERIOD_DEFAULT;
	o->cpu_shares = CRI_CPU_SHARES_DEFAULT;
	const Runtime__V1__LinuxContainerResources *r = s->resources ? s->resources->linux : NULL;
	if (!r)
		return;
	if (r->cpu_period > 0)
		o->cpu_period = r->cpu_period;
	if (r->cpu_shares > 0)
		o->cpu_shares = r->cpu_shares;
	o->cpu_quota = r->cpu_quota;
	o->cpuset_cpu_count = sk_ctr_count_cpuset(r->cpuset_cpus);
	o->memory_limit = r->memory_limit_in_bytes;
	o->swap_limit = r->memory_swap_limit_in_bytes;
}

/* Go's time.Unix(0, ns).Unix(): floor division. */
static int64_t ns_to_s(int64_t ns)
{
	int64_t s = ns / 1000000000;
	return ns % 1000000000 < 0 ? s - 1 : s;
}

/* What a pod sandbox's status says about every process in the pod: host
 * namespaces, IP, the pod's labels and the kubernetes identity labels. */
static int fill_from_sandbox(const Runtime__V1__PodSandboxStatus *sb, json_t *sbinfo,
			     struct sk_ctr_info *o)
{
	int rc = 0;
	const Runtime__V1__NamespaceOption *ns =
		sb->linux && sb->linux->namespaces ? sb->linux->namespaces->options : NULL;
	if (ns) {
		o->host_ipc = ns->ipc == RUNTIME__V1__NAMESPACE_MODE__NODE;
		o->host_network = ns->network == RUNTIME__V1__NAMESPACE_MODE__NODE;
		o->host_pid = ns->pid == RUNTIME__V1__NAMESPACE_MODE__NODE;
	}
	if (sb->network && (rc = sk_ctr_set_str(&o->ip, sb->network->ip)) < 0)
		return rc;
	if ((rc = sk_ctr_put_label(&o->labels, "io.kubernetes.sandbox.id", sb->id)) < 0)
		return rc;
	if (sb->metadata) {
		if ((rc = sk_ctr_put_label(&o->labels, "io.kubernetes.pod.uid", sb->metadata->uid)) < 0 ||
		    (rc = sk_ctr_put_label(&o->labels, "io.kubernetes.pod.name", sb->metadata->name)) < 0 ||
		    (rc = sk_ctr_put_label(&o->labels, "io.kubernetes.pod.namespace",
					   sb->metadata->namespace_)) < 0)
			return rc;
	}
	if (!o->pod_sandbox_labels && !(o->pod_sandbox_labels = json_object()))
		return -ENOMEM;
	if ((rc = sk_ctr_put_map(&o->pod_sandbox_labels, (void *const *)sb->labels,
				 sb->n_labels)) < 0)
		return rc;
	if ((rc = sk_ctr_set_str(&o->pod_sandbox_id, sb->id)) < 0)
		return rc;
	return sandbox_cni_json(sbinfo, &o->cni_json);
}

static int fill_container(const struct sk_cri *c, const Runtime__V1__ContainerStatus *s,
			  json_t *info, const Runtime__V1__PodSandboxStatus *sb, json_t *sbinfo,
			  struct sk_ctr_info *o)
{
	int rc;
	o->type = c->type;
	o->created_time = ns_to_s(s->created_at);
	o->privileged = info_privileged(info);
	fill_resources(s, o);
	char uid[24];
	snprintf(uid, sizeof(uid), "%lld",
		 (long long)(s->user && s->user->linux ? s->user->linux->uid : 0));
	if ((rc = sk_ctr_set_str(&o->full_id, s->id)) < 0 ||
	    (rc = sk_ctr_set_str(&o->name, s->metadata ? s->metadata->name : "")) < 0 ||
	    (rc = sk_ctr_set_str(&o->user, uid)) < 0 || (rc = fill_image(s, info, o)) < 0 ||
	    (rc = fill_mounts(s, o)) < 0 || (rc = info_env(info, &o->env)) < 0)
		return rc;
	if (!(o->labels = json_object()))
		return -ENOMEM;
	if ((rc = sk_ctr_put_map(&o->labels, (void *const *)s->labels, s->n_labels)) < 0)
		return rc;
	if (sb)
		return fill_from_sandbox(sb, sbinfo, o);
	/* no sandbox known: the plugin names the container its own sandbox */
	if ((rc = sk_ctr_set_str(&o->pod_sandbox_id, s->id)) < 0 ||
	    (rc = sk_ctr_put_label(&o->labels, "io.kubernetes.sandbox.id", s->id)) < 0)
		return rc;
	return sk_ctr_set_str(&o->cni_json, "");
}

/* A pod sandbox (pause container) as a container record of its own. */
static int fill_sandbox(const struct sk_cri *c, const Runtime__V1__PodSandboxStatus *sb,
			json_t *sbinfo, struct sk_ctr_info *o)
{
	int rc;
	o->type = c->type;
	o->is_pod_sandbox = true;
	o->created_time = ns_to_s(sb->created_at);
	o->cpu_period = CRI_CPU_PERIOD_DEFAULT;
	o->cpu_shares = CRI_CPU_SHARES_DEFAULT;
	o->privileged = info_privileged(sbinfo);
	const char *image = jstr(JGET(sbinfo, "image"));
	char *unused = NULL;
	if ((rc = sk_ctr_set_str(&o->full_id, sb->id)) < 0 ||
	    (rc = sk_ctr_set_str(&o->name, sb->metadata ? sb->metadata->name : "")) < 0 ||
	    (rc = sk_ctr_set_str(&o->image, image ? image : "")) < 0 ||
	    (rc = sk_ctr_split_image(o->image, &o->image_repo, &o->image_tag, &unused)) < 0)
		return rc;
	free(unused);
	if ((rc = sk_ctr_set_str(&o->user, "0")) < 0)
		return rc;
	if (!(o->labels = json_object()) || !(o->mounts = json_array()) || !(o->env = json_array()))
		return -ENOMEM;
	if ((rc = sk_ctr_put_map(&o->labels, (void *const *)sb->labels, sb->n_labels)) < 0)
		return rc;
	return fill_from_sandbox(sb, sbinfo, o);
}

/* ---- calls ------------------------------------------------------------------ */

static int sandbox_status(const struct sk_cri *c, const char *id,
			  Runtime__V1__PodSandboxStatusResponse **out, struct sk_err *err)
{
	Runtime__V1__PodSandboxStatusRequest rq = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	rq.pod_sandbox_id = (char *)id;
	rq.verbose = true;
	int rc = cri_call(c, CRI_SVC "PodSandboxStatus", &rq,
			  &runtime__v1__pod_sandbox_status_response__descriptor, out, err);
	if (rc == 0 && !(*out)->status) {
		pb_free(*out);
		*out = NULL;
		rc = sk_err_set(err, -EPROTO, "PodSandboxStatus %s: reply without a status", id);
	}
	return rc;
}

/* The sandbox of a container: from the verbose info (containerd and CRI-O
 * both write "sandboxID"), else from ListContainers filtered by id. */
static int container_sandbox_id(const struct sk_cri *c, const char *id, json_t *info,
				 char **out, struct sk_err *err)
{
	const char *sid = jstr(JGET(info, "sandboxID"));
	if (sid && *sid)
		return sk_ctr_set_str(out, sid);
	Runtime__V1__ContainerFilter f = RUNTIME__V1__CONTAINER_FILTER__INIT;
	f.id = (char *)id;
	Runtime__V1__ListContainersRequest rq = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	rq.filter = &f;
	Runtime__V1__ListContainersResponse *r = NULL;
	int rc = cri_call(c, CRI_SVC "ListContainers", &rq,
			  &runtime__v1__list_containers_response__descriptor, &r, err);
	if (rc == 0)
		rc = sk_ctr_set_str(out, r->n_containers ? r->containers[0]->pod_sandbox_id : "");
	pb_free(r);
	return rc;
}

static int inspect_container(const struct sk_cri *c, Runtime__V1__ContainerStatusResponse *r,
			     struct sk_ctr_info *out, struct sk_err *err)
{
	json_t *info = info_json((void *const *)r->info, r->n_info), *sbinfo = NULL;
	Runtime__V1__PodSandboxStatusResponse *sb = NULL;
	char *sid = NULL;
	int rc = container_sandbox_id(c, r->status->id, info, &sid, err);
	if (rc == 0 && *sid) {
		/* a sandbox gone meanwhile still leaves a useful record */
		struct sk_err ignored;
		if (sandbox_status(c, sid, &sb, &ignored) == 0)
			sbinfo = info_json((void *const *)sb->info, sb->n_info);
	}
	if (rc == 0 && (rc = fill_container(c, r->status, info, sb ? sb->status : NULL, sbinfo,
					    out)) < 0)
		sk_err_set(err, rc, "CRI %s: cannot build the record", r->status->id);
	free(sid);
	pb_free(sb);
	json_decref(info);
	json_decref(sbinfo);
	return rc;
}

static int cri_inspect(struct sk_ctr_engine *e, const char *id, struct sk_ctr_info *out,
		       struct sk_err *err)
{
	const struct sk_cri *c = (const struct sk_cri *)e;
	if (!id || !*id)
		return sk_err_set(err, -EINVAL, "CRI inspect: empty id");
	/* both calls accept a unique prefix of the id (containerd, CRI-O) */
	Runtime__V1__ContainerStatusRequest rq = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
	rq.container_id = (char *)id;
	rq.verbose = true;
	Runtime__V1__ContainerStatusResponse *r = NULL;
	int rc = cri_call(c, CRI_SVC "ContainerStatus", &rq,
			  &runtime__v1__container_status_response__descriptor, &r, err);
	if (rc == 0) {
		rc = r->status ? inspect_container(c, r, out, err)
			       : sk_err_set(err, -EPROTO, "ContainerStatus %s: reply without a status", id);
		pb_free(r);
		goto fail;
	}
	if (rc != -ENOENT)
		goto fail;
	/* not a container: the pause container of a pod sandbox? */
	Runtime__V1__PodSandboxStatusResponse *sb = NULL;
	if ((rc = sandbox_status(c, id, &sb, err)) < 0) {
		if (rc == -ENOENT)
			sk_err_set(err, -ENOENT, "CRI %s: no such container or pod sandbox", id);
		goto fail;
	}
	json_t *sbinfo = info_json((void *const *)sb->info, sb->n_info);
	if ((rc = fill_sandbox(c, sb->status, sbinfo, out)) < 0)
		sk_err_set(err, rc, "CRI sandbox %s: cannot build the record", id);
	json_decref(sbinfo);
	pb_free(sb);
fail:
	/* a half-filled record is of no use to the caller */
	if (rc < 0)
		sk_ctr_info_done(out);
	return rc;
}

/* Running and created containers, then ready sandboxes. */
static int cri_list(struct sk_ctr_engine *e, sk_ctr_list_fn fn, void *ctx, struct sk_err *err)
{
	const struct sk_cri *c = (const struct sk_cri *)e;
	Runtime__V1__ListContainersRequest crq = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	Runtime__V1__ListContainersResponse *cr = NULL;
	int rc = cri_call(c, CRI_SVC "ListContainers", &crq,
			  &runtime__v1__list_containers_response__descriptor, &cr, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cr->n_containers; i++) {
		const Runtime__V1__Container *x = cr->containers[i];
		if (x->id && *x->id && (x->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING ||
					x->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED))
			fn(ctx, x->id);
	}
	pb_free(cr);
	Runtime__V1__ListPodSandboxRequest srq = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	Runtime__V1__ListPodSandboxResponse *sr = NULL;
	if ((rc = cri_call(c, CRI_SVC "ListPodSandbox", &srq,
			   &runtime__v1__list_pod_sandbox_response__descriptor, &sr, err)) < 0)
		return rc;
	for (size_t i = 0; i < sr->n_items; i++) {
		const Runtime__V1__PodSandbox *x = sr->items[i];
		if (x->id && *x->id && x->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY)
			fn(ctx, x->id);
	}
	pb_free(sr);
	return 0;
}

struct cri_watch {
	sk_ctr_event_fn fn;
	void *ctx;
};

static int on_cri_event(void *ud, const uint8_t *msg, size_t len, struct sk_err *err)
{
	struct cri_watch *w = ud;
	Runtime__V1__ContainerEventResponse *ev =
		runtime__v1__container_event_response__unpack(NULL, len, msg);
	if (!ev)
		return sk_err_set(err, -EPROTO, "GetContainerEvents: event does not decode (%zu bytes)",
				  len);
	sk_grpc_fix_utf8(&ev->base);
	if (ev->container_id && *ev->container_id) {
		switch (ev->container_event_type) {
		case RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT:
			w->fn(w->ctx, SK_CTR_EV_CREATE, ev->container_id);
			break;
		case RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT:
			w->fn(w->ctx, SK_CTR_EV_START, ev->container_id);
			break;
		case RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT:
			w->fn(w->ctx, SK_CTR_EV_DESTROY, ev->container_id);
			break;
		default: /* stopped: the plugin ignores it as well */
			break;
		}
	}
	pb_free(ev);
	return 0;
}

/* Milliseconds left until `deadline` (ns, monotonic); 0 when past it. */
static unsigned ms_left(uint64_t deadline)
{
	uint64_t now = sk_ctr_mono_ns();
	return now >= deadline ? 0 : (unsigned)((deadline - now) / 1000000u) + 1;
}

/* True once the CRI plugin answers for `id` (container or sandbox); each
 * call is bounded by what is left of `deadline`. */
static bool cri_knows(const struct sk_cri *c, const char *id, uint64_t deadline)
{
	struct sk_err ignored;
	struct sk_grpc_target t = cri_target(c);
	Runtime__V1__ContainerStatusRequest crq = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
	crq.container_id = (char *)id;
	ProtobufCMessage *r = NULL;
	if (!(t.timeout_ms = ms_left(deadline)))
		return false;
	int rc = sk_grpc_unary(&t, CRI_SVC "ContainerStatus", &crq.base,
			       &runtime__v1__container_status_response__descriptor, &r, &ignored);
	pb_free(r);
	if (rc != -ENOENT)
		return rc == 0;
	Runtime__V1__PodSandboxStatusRequest srq = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	srq.pod_sandbox_id = (char *)id;
	r = NULL;
	if (!(t.timeout_ms = ms_left(deadline)))
		return false;
	rc = sk_grpc_unary(&t, CRI_SVC "PodSandboxStatus", &srq.base,
			   &runtime__v1__pod_sandbox_status_response__descriptor, &r, &ignored);
	pb_free(r);
	return rc == 0;
}

/* containerd publishes /containers/create (and, for a sandbox, /tasks/start)
 * before its CRI plugin stores the container, so an inspect right after the
 * event can miss. Create and start events of the plugin's containers are
 * held until the plugin knows the id, for at most the timeout in all (and
 * not past `stop`): when the client hears of a container, inspect works.
 * A container's own processes start only after CreateContainer has
 * returned, so nothing is learnt late because of this. */
struct cri_relay {
	const struct sk_cri *c;
	sk_ctr_event_fn fn;
	void *ctx;
	const atomic_bool *stop;
};

static void relay_event(void *ud, enum sk_ctr_event_kind kind, const char *id)
{
	struct cri_relay *r = ud;
	struct sk_grpc_target t = cri_target(r->c);
	uint64_t deadline = sk_ctr_mono_ns() + (uint64_t)t.timeout_ms * 1000000u;
	/* containers other clients put in k8s.io are never the plugin's */
	if (kind != SK_CTR_EV_DESTROY && !cri_knows(r->c, id, deadline) && ms_left(deadline) &&
	    sk_ctrd_is_cri(t.socket, ms_left(deadline), id)) {
		while (!atomic_load(r->stop) && !cri_knows(r->c, id, deadline) && ms_left(deadline)) {
			struct timespec ts = {0, CRI_KNOW_POLL_NS};
			nanosleep(&ts, NULL);
		}
	}
	r->fn(r->ctx, kind, id);
}

/* containerd's event service when the socket is containerd's (its CRI
 * plugin has no GetContainerEvents before 1.7), else GetContainerEvents. */
static int cri_watch(struct sk_ctr_engine *e, sk_ctr_event_fn fn, void *ctx,
		     const atomic_bool *stop, struct sk_err *err)
{
	const struct sk_cri *c = (const struct sk_cri *)e;
	struct sk_grpc_target t = cri_target(c);
	struct cri_relay relay = {c, fn, ctx, stop};
	int rc = sk_ctrd_watch(t.socket, t.timeout_ms, "k8s.io", relay_event, &relay, stop, err);
	if (rc != -ENOTSUP)
		return rc;
	Runtime__V1__GetEventsRequest rq = RUNTIME__V1__GET_EVENTS_REQUEST__INIT;
	struct cri_watch w = {fn, ctx};
	rc = sk_grpc_stream(&t, CRI_SVC "GetContainerEvents", &rq.base, on_cri_event, &w, stop, err);
	if (rc == -ENOTSUP)
		sk_err_set(err, -ENOTSUP, "%s: neither containerd events nor CRI GetContainerEvents",
			   t.socket);
	return rc;
}

static void cri_free(struct sk_ctr_engine *e)
{
	free(e);
}

static const struct sk_ctr_engine_ops cri_ops = {
	.name = "cri",
	.inspect = cri_inspect,
	.list = cri_list,
	.watch = cri_watch,
	.free = cri_free,
};

/* containerd and CRI-O get their own container types, any other CRI
 * runtime the generic one (as the plugin's getRuntime). */
static int runtime_type(const char *name)
{
	if (name && !strcmp(name, "containerd"))
		return SK_CT_CONTAINERD;
	if (name && !strcmp(name, "cri-o"))
		return SK_CT_CRIO;
	return SK_CT_CRI;
}

struct sk_ctr_engine *sk_ctr_cri_new(const struct sk_ctr_cfg *cfg, const char *socket,
				     struct sk_err *err)
{
	struct sk_cri *c = calloc(1, sizeof(*c));
	if (!c) {
		sk_err_set(err, -ENOMEM, "%s: out of memory", socket);
		return NULL;
	}
	c->base.ops = &cri_ops;
	c->base.cfg = cfg;
	if (strlen(socket) >= sizeof(c->base.socket)) {
		sk_err_set(err, -ENAMETOOLONG, "%s: socket path too long", socket);
		free(c);
		return NULL;
	}
	memcpy(c->base.socket, socket, strlen(socket) + 1);
	Runtime__V1__VersionRequest rq = RUNTIME__V1__VERSION_REQUEST__INIT;
	rq.version = "v1";
	Runtime__V1__VersionResponse *v = NULL;
	if (cri_call(c, CRI_SVC "Version", &rq, &runtime__v1__version_response__descriptor, &v,
		     err) < 0) {
		free(c);
		return NULL;
	}
	c->type = runtime_type(v->runtime_name);
	pb_free(v);
	return &c->base;
}
