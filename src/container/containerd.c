/* containerd.c — the containerd engine (containers made with ctr, nerdctl,
 * or any containerd client, in every namespace) over containerd's own gRPC
 * API, and the pieces of that API the CRI engine shares: the event stream
 * and small record helpers (ctrd.h).
 *
 * Records follow the container plugin's containerd engine (go-worker
 * containerd.go): labels, image and sandbox from the container, the rest from
 * its OCI runtime spec. Like the CRI engine, no mutable state after _new;
 * each call opens its own connection. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "containerd.pb-c.h"
#include "ctrd.h"
#include "grpc.h"

#define CTRD_DEFAULT_TIMEOUT_MS 2000u
#define CTRD_MAX_NAMESPACES 64
#define CTRD_CPU_PERIOD_DEFAULT 100000
#define CTRD_CPU_SHARES_DEFAULT 1024

/* ---- record helpers (ctrd.h) ---------------------------------------------- */

int sk_ctr_set_str(char **dst, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int sk_ctr_put_label(json_t **obj, const char *k, const char *v)
{
	if (!*obj && !(*obj = json_object()))
		return -ENOMEM;
	json_t *s = json_string(v ? v : "");
	if (!s) /* not UTF-8: left out rather than failing the record */
		return 0;
	return json_object_set_new(*obj, k ? k : "", s) < 0 ? -ENOMEM : 0;
}

int sk_ctr_put_map(json_t **obj, void *const *entries, size_t n)
{
	if (!*obj && !(*obj = json_object()))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct sk_pb_kv *kv = entries[i];
		if (!kv->key || !json_is_object(*obj))
			continue;
		int rc = sk_ctr_put_label(obj, kv->key, kv->value);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Each comma-separated part is "N" or "A-B"; anything else makes it 0. */
int64_t sk_ctr_count_cpuset(const char *s)
{
	int64_t count = 0;
	if (!s || !*s)
		return 0;
	while (*s) {
		char *end;
		long long a = strtoll(s, &end, 10), b = a;
		if (end == s)
			return 0;
		if (*end == '-') {
			const char *p = end + 1;
			b = strtoll(p, &end, 10);
			if (end == p || *end == '-')
				return 0;
		}
		count += b - a + 1;
		if (*end == ',')
			end++;
		else if (*end)
			return 0;
		s = end;
	}
	return count;
}

/* ---- calls ------------------------------------------------------------------ */

struct sk_ctrd {
	struct sk_ctr_engine base;
};

static unsigned timeout_of(const struct sk_ctr_cfg *cfg)
{
	return cfg && cfg->timeout_ms ? cfg->timeout_ms : CTRD_DEFAULT_TIMEOUT_MS;
}

static int ctrd_call(const struct sk_ctrd *c, const char *ns, const char *method,
		     const void *req, const ProtobufCMessageDescriptor *d, void *out,
		     struct sk_err *err)
{
	struct sk_grpc_target t = {c->base.socket, ns, timeout_of(c->base.cfg)};
	return sk_grpc_unary(&t, method, req, d, (ProtobufCMessage **)out, err);
}

static void pb_free(void *m)
{
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

static int version_call(const char *socket, unsigned timeout_ms, struct sk_err *err)
{
	struct sk_grpc_target t = {socket, NULL, timeout_ms};
	Containerd__Empty rq = CONTAINERD__EMPTY__INIT;
	ProtobufCMessage *v = NULL;
	int rc = sk_grpc_unary(&t, "/containerd.services.version.v1.Version/Version", &rq.base,
			       &containerd__version_response__descriptor, &v, err);
	pb_free(v);
	return rc;
}

/* ---- events ------------------------------------------------------------------ */

struct ctrd_watch {
	sk_ctr_event_fn fn;
	void *ctx;
};

/* The container id an event is about, and what it means; NULL to skip. */
static const char *event_id(const Containerd__Envelope *env, ProtobufCMessage **held,
			    enum sk_ctr_event_kind *kind)
{
	const ProtobufCBinaryData *v = &env->event->value;
	const char *topic = env->topic;
	if (!strcmp(topic, "/containers/create")) {
		Containerd__ContainerCreate *m = containerd__container_create__unpack(NULL, v->len, v->data);
		*held = (ProtobufCMessage *)m;
		*kind = SK_CTR_EV_CREATE;
		return m ? m->id : NULL;
	}
	if (!strcmp(topic, "/tasks/start")) {
		Containerd__TaskStart *m = containerd__task_start__unpack(NULL, v->len, v->data);
		*held = (ProtobufCMessage *)m;
		*kind = SK_CTR_EV_START;
		return m ? m->container_id : NULL;
	}
	if (!strcmp(topic, "/tasks/delete")) {
		Containerd__TaskDelete *m = containerd__task_delete__unpack(NULL, v->len, v->data);
		*held = (ProtobufCMessage *)m;
		*kind = SK_CTR_EV_DESTROY;
		/* an exec'd process ending is not the container ending */
		if (m && m->id && *m->id && strcmp(m->id, m->container_id))
			return NULL;
		return m ? m->container_id : NULL;
	}
	if (!strcmp(topic, "/containers/delete")) {
		Containerd__ContainerDelete *m = containerd__container_delete__unpack(NULL, v->len, v->data);
		*held = (ProtobufCMessage *)m;
		*kind = SK_CTR_EV_DESTROY;
		return m ? m->id : NULL;
	}
	return NULL;
}

static int on_envelope(void *ud, const uint8_t *msg, size_t len, struct sk_err *err)
{
	struct ctrd_watch *w = ud;
	Containerd__Envelope *env = containerd__envelope__unpack(NULL, len, msg);
	if (!env)
		return sk_err_set(err, -EPROTO, "containerd events: envelope does not decode (%zu bytes)",
				  len);
	if (env->topic && env->event) {
		ProtobufCMessage *held = NULL;
		enum sk_ctr_event_kind kind = SK_CTR_EV_CREATE;
		const char *id = event_id(env, &held, &kind);
		if (held)
			sk_grpc_fix_utf8(held);
		if (id && *id)
			w->fn(w->ctx, kind, id);
		pb_free(held);
	}
	pb_free(env);
	return 0;
}

int sk_ctrd_watch(const char *socket, unsigned timeout_ms, const char *ns, sk_ctr_event_fn fn,
		  void *ctx, const atomic_bool *stop, struct sk_err *err)
{
	/* A version call first: it tells containerd from other runtimes and a
	 * dead peer from a quiet stream (containerd sends the stream's headers
	 * only with its first event). */
	int rc = version_call(socket, timeout_ms, err);
	if (rc < 0)
		return rc;
	static const char *const topics[] = {"/containers/create", "/tasks/start", "/tasks/delete",
					     "/containers/delete"};
	char filters[SK_ARRAY_LEN(topics)][320];
	char *fp[SK_ARRAY_LEN(topics)];
	for (size_t i = 0; i < SK_ARRAY_LEN(topics); i++) {
		if (ns)
			snprintf(filters[i], sizeof(filters[i]), "topic==\"%s\",namespace==\"%s\"",
				 topics[i], ns);
		else
			snprintf(filters[i], sizeof(filters[i]), "topic==\"%s\"", topics[i]);
		fp[i] = filters[i];
	}
	Containerd__SubscribeRequest rq = CONTAINERD__SUBSCRIBE_REQUEST__INIT;
	rq.n_filters = SK_ARRAY_LEN(topics);
	rq.filters = fp;
	struct sk_grpc_target t = {socket, NULL, timeout_ms};
	struct ctrd_watch w = {fn, ctx};
	return sk_grpc_stream(&t, "/containerd.services.events.v1.Events/Subscribe", &rq.base,
			      on_envelope, &w, stop, err);
}

bool sk_ctrd_is_cri(const char *socket, unsigned timeout_ms, const char *id)
{
	struct sk_grpc_target t = {socket, "k8s.io", timeout_ms};
	Containerd__GetContainerRequest rq = CONTAINERD__GET_CONTAINER_REQUEST__INIT;
	rq.id = (char *)id;
	Containerd__GetContainerResponse *r = NULL;
	struct sk_err ignored;
	int rc = sk_grpc_unary(&t, "/containerd.services.containers.v1.Containers/Get", &rq.base,
			       &containerd__get_container_response__descriptor,
			       (ProtobufCMessage **)&r, &ignored);
	bool cri = rc != 0; /* unsure: say yes */
	for (size_t i = 0; rc == 0 && r->container && i < r->container->n_labels; i++)
		if (!strcmp(r->container->labels[i]->key, "io.cri-containerd.kind"))
			cri = true;
	pb_free(r);
	return cri;
}

/* ---- the containerd engine ----------------------------------------------------- */

/* Namespace names (at most CTRD_MAX_NAMESPACES); free with ns_free. */
static int list_namespaces(const struct sk_ctrd *c, char ***names, size_t *n, struct sk_err *err)
{
	Containerd__ListNamespacesRequest rq = CONTAINERD__LIST_NAMESPACES_REQUEST__INIT;
	Containerd__ListNamespacesResponse *r = NULL;
	*names = NULL;
	*n = 0;
	int rc = ctrd_call(c, NULL, "/containerd.services.namespaces.v1.Namespaces/List", &rq,
			   &containerd__list_namespaces_response__descriptor, &r, err);
	if (rc < 0)
		return rc;
	size_t k = r->n_namespaces < CTRD_MAX_NAMESPACES ? r->n_namespaces : CTRD_MAX_NAMESPACES;
	*names = calloc(k + 1, sizeof(char *));
	for (size_t i = 0; *names && i < k; i++) {
		if (!((*names)[*n] = strdup(r->namespaces[i]->name ? r->namespaces[i]->name : "")))
			break;
		(*n)++;
	}
	pb_free(r);
	if (!*names || *n < k)
		return sk_err_set(err, -ENOMEM, "containerd: out of memory");
	return 0;
}

static void ns_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static json_t *jobj(json_t *j, const char *k)
{
	return json_is_object(j) ? json_object_get(j, k) : NULL;
}

static int64_t jint(json_t *j, int64_t dflt)
{
	return json_is_integer(j) ? (int64_t)json_integer_value(j) : dflt;
}

static const char *jstr(json_t *j)
{
	return json_is_string(j) ? json_string_value(j) : NULL;
}

static void spec_resources(json_t *spec, struct sk_ctr_info *o)
{
	json_t *res = jobj(jobj(spec, "linux"), "resources");
	json_t *cpu = jobj(res, "cpu"), *mem = jobj(res, "memory");
	o->cpu_period = CTRD_CPU_PERIOD_DEFAULT;
	o->cpu_shares = CTRD_CPU_SHARES_DEFAULT;
	if (jint(jobj(cpu, "period"), 0) > 0)
		o->cpu_period = jint(jobj(cpu, "period"), 0);
	if (jint(jobj(cpu, "shares"), 0) > 0)
		o->cpu_shares = jint(jobj(cpu, "shares"), 0);
	o->cpu_quota = jint(jobj(cpu, "quota"), 0);
	o->cpuset_cpu_count = sk_ctr_count_cpuset(jstr(jobj(cpu, "cpus")));
	o->memory_limit = jint(jobj(mem, "limit"), 0);
	o->swap_limit = jint(jobj(mem, "swap"), 0);
}

static int spec_mounts(json_t *spec, struct sk_ctr_info *o)
{
	const char *prop = jstr(jobj(jobj(spec, "linux"), "rootfsPropagation"));
	size_t i, k;
	json_t *m, *opt;
	if (!(o->mounts = json_array()))
		return -ENOMEM;
	json_array_foreach(jobj(spec, "mounts"), i, m) {
		bool ro = false;
		const char *mode = "";
		json_array_foreach(jobj(m, "options"), k, opt) {
			const char *s = jstr(opt);
			if (s && !strcmp(s, "ro"))
				ro = true;
			else if (s && !strncmp(s, "mode=", 5))
				mode = s + 5;
		}
		const char *src = jstr(jobj(m, "source")), *dst = jstr(jobj(m, "destination"));
		json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source", src ? src : "", "Destination",
				      dst ? dst : "", "Mode", mode, "RW", !ro, "Propagation",
				      prop ? prop : "");
		if (!j || json_array_append_new(o->mounts, j) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A namespace missing from the spec is shared with the host. */
static void spec_namespaces(json_t *spec, struct sk_ctr_info *o)
{
	size_t i;
	json_t *ns;
	o->host_pid = o->host_network = o->host_ipc = true;
	json_array_foreach(jobj(jobj(spec, "linux"), "namespaces"), i, ns) {
		const char *t = jstr(jobj(ns, "type"));
		if (!t)
			continue;
		if (!strcmp(t, "pid"))
			o->host_pid = false;
		else if (!strcmp(t, "network"))
			o->host_network = false;
		else if (!strcmp(t, "ipc"))
			o->host_ipc = false;
	}
}

/* containerd's oci.WithPrivileged leaves no masked or read-only paths, no
 * SELinux/AppArmor/seccomp confinement, and sysfs/cgroup mounts writable;
 * the plugin calls a container privileged when all of that holds. */
static bool spec_privileged(json_t *spec)
{
	json_t *linux = jobj(spec, "linux"), *proc = jobj(spec, "process");
	if (!linux || !proc)
		return false;
	const char *aa = jstr(jobj(proc, "apparmorProfile"));
	const char *se = jstr(jobj(proc, "selinuxLabel"));
	if (jobj(linux, "maskedPaths") || jobj(linux, "readonlyPaths") || (se && *se) ||
	    (aa && *aa && strcmp(aa, "unconfined")) || jobj(linux, "seccomp"))
		return false;
	size_t i, k;
	json_t *m, *opt;
	json_array_foreach(jobj(spec, "mounts"), i, m) {
		const char *type = jstr(jobj(m, "type"));
		if (!type || (strcmp(type, "sysfs") && strcmp(type, "cgroup")))
			continue;
		json_array_foreach(jobj(m, "options"), k, opt)
			if (jstr(opt) && !strcmp(jstr(opt), "ro"))
				return false;
	}
	return true;
}

static int spec_env(json_t *spec, struct sk_ctr_info *o)
{
	size_t i;
	json_t *e;
	if (!(o->env = json_array()))
		return -ENOMEM;
	json_array_foreach(jobj(jobj(spec, "process"), "env"), i, e)
		if (json_is_string(e) && json_array_append(o->env, e) < 0)
			return -ENOMEM;
	return 0;
}

static int fill_from_spec(const Containerd__Container *x, struct sk_ctr_info *o)
{
	json_t *spec = NULL;
	if (x->spec && x->spec->value.len)
		spec = json_loadb((const char *)x->spec->value.data, x->spec->value.len, 0, NULL);
	char uid[24];
	snprintf(uid, sizeof(uid), "%lld",
		 (long long)jint(jobj(jobj(jobj(spec, "process"), "user"), "uid"), 0));
	spec_resources(spec, o);
	spec_namespaces(spec, o);
	o->privileged = spec_privileged(spec);
	int rc;
	if ((rc = sk_ctr_set_str(&o->user, uid)) < 0 || (rc = spec_mounts(spec, o)) < 0 ||
	    (rc = spec_env(spec, o)) < 0)
		goto out;
	const char *sandbox = x->sandbox && *x->sandbox
				      ? x->sandbox
				      : jstr(jobj(jobj(spec, "annotations"), "io.kubernetes.cri.sandbox-id"));
	rc = sk_ctr_set_str(&o->pod_sandbox_id, sandbox);
out:
	json_decref(spec);
	return rc;
}

/* The image's manifest digest (Images.Get); "" when the image is gone. */
static int image_digest(const struct sk_ctrd *c, const char *ns, const char *name, char **out)
{
	Containerd__GetImageRequest rq = CONTAINERD__GET_IMAGE_REQUEST__INIT;
	rq.name = (char *)name;
	Containerd__GetImageResponse *r = NULL;
	struct sk_err ignored;
	const char *d = "";
	if (*name && ctrd_call(c, ns, "/containerd.services.images.v1.Images/Get", &rq,
			       &containerd__get_image_response__descriptor, &r, &ignored) == 0 &&
	    r->image && r->image->target && r->image->target->digest)
		d = r->image->target->digest;
	int rc = sk_ctr_set_str(out, d);
	pb_free(r);
	return rc;
}

static int fill_container(const struct sk_ctrd *c, const char *ns, const Containerd__Container *x,
			  struct sk_ctr_info *o)
{
	int rc;
	char shortid[13];
	snprintf(shortid, sizeof(shortid), "%s", x->id);
	char *unused = NULL;
	o->type = SK_CT_CONTAINERD;
	o->created_time = x->created_at ? x->created_at->seconds : 0;
	if ((rc = sk_ctr_set_str(&o->full_id, x->id)) < 0 ||
	    (rc = sk_ctr_set_str(&o->name, shortid)) < 0 ||
	    (rc = sk_ctr_set_str(&o->image, x->image)) < 0 ||
	    (rc = sk_ctr_split_image(o->image, &o->image_repo, &o->image_tag, &unused)) < 0 ||
	    (rc = image_digest(c, ns, o->image, &o->image_digest)) < 0 ||
	    (rc = sk_ctr_set_str(&o->image_id, "")) < 0 || (rc = fill_from_spec(x, o)) < 0)
		goto out;
	if (!(o->labels = json_object())) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = sk_ctr_put_map(&o->labels, (void *const *)x->labels, x->n_labels)) < 0)
		goto out;
	const char *kind = jstr(json_object_get(o->labels, "io.cri-containerd.kind"));
	o->is_pod_sandbox = kind && !strcmp(kind, "sandbox");
out:
	free(unused);
	return rc;
}

static int get_container(const struct sk_ctrd *c, const char *ns, const char *id,
			 Containerd__GetContainerResponse **r, struct sk_err *err)
{
	Containerd__GetContainerRequest rq = CONTAINERD__GET_CONTAINER_REQUEST__INIT;
	rq.id = (char *)id;
	int rc = ctrd_call(c, ns, "/containerd.services.containers.v1.Containers/Get", &rq,
			   &containerd__get_container_response__descriptor, r, err);
	if (rc == 0 && !(*r)->container) {
		pb_free(*r);
		*r = NULL;
		rc = sk_err_set(err, -EPROTO, "containerd Get %s: reply without a container", id);
	}
	return rc;
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* A short hex id (as a cgroup name gives) expanded to the one container
 * whose id starts with it; -ENOENT when none or several do. */
static int expand_prefix(const struct sk_ctrd *c, const char *ns, const char *id, char **full,
			 struct sk_err *err)
{
	char filter[128];
	snprintf(filter, sizeof(filter), "id~=^%s", id);
	char *fp[] = {filter};
	Containerd__ListContainersRequest rq = CONTAINERD__LIST_CONTAINERS_REQUEST__INIT;
	rq.n_filters = 1;
	rq.filters = fp;
	Containerd__ListContainersResponse *r = NULL;
	int rc = ctrd_call(c, ns, "/containerd.services.containers.v1.Containers/List", &rq,
			   &containerd__list_containers_response__descriptor, &r, err);
	if (rc == 0)
		rc = r->n_containers == 1 ? sk_ctr_set_str(full, r->containers[0]->id) : -ENOENT;
	pb_free(r);
	return rc;
}

/* Looks `id` up in namespace `ns`: 0 with *r set, -ENOENT, or an error. */
static int find_in_ns(const struct sk_ctrd *c, const char *ns, const char *id,
		      Containerd__GetContainerResponse **r, struct sk_err *err)
{
	int rc = get_container(c, ns, id, r, err);
	if (rc != -ENOENT || strlen(id) >= 64 || strlen(id) < 6 || !is_hex(id))
		return rc;
	char *full = NULL;
	if ((rc = expand_prefix(c, ns, id, &full, err)) == 0)
		rc = get_container(c, ns, full, r, err);
	free(full);
	return rc;
}

static int ctrd_inspect(struct sk_ctr_engine *e, const char *id, struct sk_ctr_info *out,
			struct sk_err *err)
{
	const struct sk_ctrd *c = (const struct sk_ctrd *)e;
	char **names;
	size_t n;
	if (!id || !*id)
		return sk_err_set(err, -EINVAL, "containerd inspect: empty id");
	int rc = list_namespaces(c, &names, &n, err);
	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < n && rc == -ENOENT; i++) {
		Containerd__GetContainerResponse *r = NULL;
		rc = find_in_ns(c, names[i], id, &r, err);
		if (rc == 0) {
			if ((rc = fill_container(c, names[i], r->container, out)) < 0) {
				sk_err_set(err, rc, "containerd %s: cannot build the record", id);
				sk_ctr_info_done(out);
			}
		}
		pb_free(r);
	}
	if (rc == -ENOENT)
		sk_err_set(err, -ENOENT, "containerd %s: no such container in %zu namespaces", id, n);
	ns_free(names, n);
	return rc;
}

static int ctrd_list(struct sk_ctr_engine *e, sk_ctr_list_fn fn, void *ctx, struct sk_err *err)
{
	const struct sk_ctrd *c = (const struct sk_ctrd *)e;
	char **names;
	size_t n;
	int rc = list_namespaces(c, &names, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		Containerd__ListContainersRequest rq = CONTAINERD__LIST_CONTAINERS_REQUEST__INIT;
		Containerd__ListContainersResponse *r = NULL;
		rc = ctrd_call(c, names[i], "/containerd.services.containers.v1.Containers/List", &rq,
			       &containerd__list_containers_response__descriptor, &r, err);
		for (size_t k = 0; rc == 0 && k < r->n_containers; k++)
			if (r->containers[k]->id && *r->containers[k]->id)
				fn(ctx, r->containers[k]->id);
		pb_free(r);
	}
	ns_free(names, n);
	return rc;
}

static int ctrd_watch(struct sk_ctr_engine *e, sk_ctr_event_fn fn, void *ctx,
		      const atomic_bool *stop, struct sk_err *err)
{
	return sk_ctrd_watch(e->socket, timeout_of(e->cfg), NULL, fn, ctx, stop, err);
}

static void ctrd_free(struct sk_ctr_engine *e)
{
	free(e);
}

static const struct sk_ctr_engine_ops ctrd_ops = {
	.name = "containerd",
	.inspect = ctrd_inspect,
	.list = ctrd_list,
	.watch = ctrd_watch,
	.free = ctrd_free,
};

struct sk_ctr_engine *sk_ctr_containerd_new(const struct sk_ctr_cfg *cfg, const char *socket,
					    struct sk_err *err)
{
	if (strlen(socket) >= sizeof(((struct sk_ctr_engine *)0)->socket)) {
		sk_err_set(err, -ENAMETOOLONG, "%s: socket path too long", socket);
		return NULL;
	}
	if (version_call(socket, timeout_of(cfg), err) < 0)
		return NULL;
	struct sk_ctrd *c = calloc(1, sizeof(*c));
	if (!c) {
		sk_err_set(err, -ENOMEM, "%s: out of memory", socket);
		return NULL;
	}
	c->base.ops = &ctrd_ops;
	c->base.cfg = cfg;
	memcpy(c->base.socket, socket, strlen(socket) + 1);
	return &c->base;
}
