/* sk_crictl.c — a small CRI (runtime.v1) client for tests: makes pods and
 * containers the way kubelet asks for them, on a runtime without CNI
 * (Debian has no crictl). It speaks through saker's own gRPC transport
 * (src/container/grpc.c). Needs root and a CRI socket set up by
 * scripts/containers/setup-containerd.sh.
 *
 * Usage: sk_crictl [-s SOCKET] [-t TIMEOUT_MS] COMMAND ARGS...
 *   SOCKET defaults to /run/containerd/containerd.sock, TIMEOUT_MS to 10000.
 *
 *   version                        runtime name, version and API version
 *   runp NAME NAMESPACE UID [-l K=V]... [-a K=V]...
 *        runs a pod sandbox: metadata NAME/NAMESPACE/UID, pod labels (-l) and
 *        annotations (-a), linux.cgroup_parent=/kubepods/besteffort/pod<UID>,
 *        host network (namespace_options.network=NODE) and an empty hostname
 *        (so no CNI is called); prints the sandbox id
 *   create POD_ID NAME IMAGE [-l K=V]... [-e K=V]... [-m HOST:CTR[:ro]]...
 *          [--privileged] -- COMMAND [ARG]...
 *        creates a container in the pod, with kubelet's labels
 *        io.kubernetes.pod.name/namespace/uid and io.kubernetes.container.name
 *        plus -l ones, env (-e), bind mounts (-m), host network; IMAGE is
 *        resolved to its image id as kubelet does; prints the container id
 *   start ID | stop ID [SECONDS] | rm ID       container life cycle
 *   stopp POD_ID                               stops a pod sandbox
 *   rmp POD_ID                                 removes a pod: its containers
 *        (stopped at once), the sandbox, and its cgroup (as kubelet does)
 *   ps                                         containers: id pod state name
 *   pods                                       sandboxes: id state ns/name
 *   inspect ID                                 saker's record (the container
 *        plugin's JSON) for a container or sandbox id, via the CRI engine
 *   run NAME NAMESPACE UID CNAME IMAGE [runp and create options] -- CMD...
 *        runp + create + start (here -l labels the pod; the container gets
 *        kubelet's four labels); prints "POD_ID CONTAINER_ID"
 *   cleanup NAMESPACE                          rmp of every pod whose
 *        metadata namespace is NAMESPACE
 *
 * The lead's scenario (pod ping-74dbb488b6-6hwp6 in falcotest, an httpd):
 *   sk_crictl run ping-74dbb488b6-6hwp6 falcotest 0b6a5f1c-7c39-4c7e-9d8e-3f2a1b4c5d6e \
 *     ping localhost/saker-test:1 -l app=ping -l pod-template-hash=74dbb488b6 \
 *     -- httpd -f -p 127.0.0.1:18080 -h /www
 * The image has busybox applets in /bin and a page in /www (index.html).
 * Built by the unit tests' CMake as <build dir>/tests/unit/sk_crictl.
 * Exit status 0 on success, 1 with a message on stderr otherwise. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/container_int.h"
#include "container/grpc.h"
#include "cri.pb-c.h"

#define SVC "/runtime.v1.RuntimeService/"
#define IMG_SVC "/runtime.v1.ImageService/"
#define MAX_KV 64
#define MAX_MOUNTS 16

static struct sk_grpc_target g_target = {"/run/containerd/containerd.sock", NULL, 10000};

static int die(const char *fmt, const char *a)
{
	fprintf(stderr, "sk_crictl: ");
	fprintf(stderr, fmt, a ? a : "");
	fputc('\n', stderr);
	return 1;
}

static int call(const char *method, const void *req, const ProtobufCMessageDescriptor *d,
		void *out)
{
	struct sk_err err = {0};
	int rc = sk_grpc_unary(&g_target, method, req, d, (ProtobufCMessage **)out, &err);
	if (rc < 0)
		fprintf(stderr, "sk_crictl: %s\n", err.msg);
	return rc;
}

/* ---- options shared by runp, create and run --------------------------------- */

struct kv {
	Runtime__V1__PodSandboxConfig__LabelsEntry e[MAX_KV]; /* same layout for all maps */
	void *p[MAX_KV];
	size_t n;
};

struct opts {
	struct kv labels, annots, clabels;
	Runtime__V1__KeyValue envs[MAX_KV];
	Runtime__V1__KeyValue *envp[MAX_KV];
	size_t nenv;
	Runtime__V1__Mount mounts[MAX_MOUNTS];
	Runtime__V1__Mount *mountp[MAX_MOUNTS];
	size_t nmounts;
	bool privileged;
	char **cmd;
	size_t ncmd;
};

static int kv_add(struct kv *kv, char *arg, const ProtobufCMessageDescriptor *d)
{
	char *eq = strchr(arg, '=');
	if (!eq || kv->n == MAX_KV)
		return -1;
	*eq = 0;
	protobuf_c_message_init(d, &kv->e[kv->n]);
	kv->e[kv->n].key = arg;
	kv->e[kv->n].value = eq + 1;
	kv->p[kv->n] = &kv->e[kv->n];
	kv->n++;
	return 0;
}

static int kv_put(struct kv *kv, const char *k, const char *v, const ProtobufCMessageDescriptor *d)
{
	char *s = malloc(strlen(k) + strlen(v) + 2);
	if (!s)
		return -1;
	snprintf(s, strlen(k) + strlen(v) + 2, "%s=%s", k, v);
	return kv_add(kv, s, d); /* kept until exit */
}

/* -l/-a for pods (`pod` true) or -l/-e/-m/--privileged for containers, then
 * "-- CMD..."; returns the index of the first unparsed argument or -1. */
static int parse_opts(int argc, char **argv, int i, struct opts *o, bool pod, bool ctr)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			o->cmd = argv + i + 1;
			o->ncmd = (size_t)(argc - i - 1);
			return argc;
		}
		if (i + 1 >= argc && strcmp(a, "--privileged"))
			return -1;
		if (!strcmp(a, "-l") && pod && !ctr) {
			if (kv_add(&o->labels, argv[++i], &runtime__v1__pod_sandbox_config__labels_entry__descriptor))
				return -1;
		} else if (!strcmp(a, "-l") && ctr && !pod) {
			if (kv_add(&o->clabels, argv[++i], &runtime__v1__container_config__labels_entry__descriptor))
				return -1;
		} else if (!strcmp(a, "-l") && ctr && pod) {
			/* run: -l labels the pod (the container gets kubelet's own) */
			if (kv_add(&o->labels, argv[++i], &runtime__v1__pod_sandbox_config__labels_entry__descriptor))
				return -1;
		} else if (!strcmp(a, "-a") && pod) {
			if (kv_add(&o->annots, argv[++i], &runtime__v1__pod_sandbox_config__annotations_entry__descriptor))
				return -1;
		} else if (!strcmp(a, "-e") && ctr) {
			char *eq = strchr(argv[++i], '=');
			if (!eq || o->nenv == MAX_KV)
				return -1;
			*eq = 0;
			Runtime__V1__KeyValue *e = &o->envs[o->nenv];
			runtime__v1__key_value__init(e);
			e->key = argv[i];
			e->value = eq + 1;
			o->envp[o->nenv++] = e;
		} else if (!strcmp(a, "-m") && ctr) {
			if (o->nmounts == MAX_MOUNTS)
				return -1;
			char *spec = argv[++i], *c1 = strchr(spec, ':');
			if (!c1)
				return -1;
			*c1 = 0;
			char *c2 = strchr(c1 + 1, ':');
			Runtime__V1__Mount *m = &o->mounts[o->nmounts];
			runtime__v1__mount__init(m);
			m->host_path = spec;
			m->container_path = c1 + 1;
			if (c2) {
				*c2 = 0;
				m->readonly = !strcmp(c2 + 1, "ro");
			}
			o->mountp[o->nmounts++] = m;
		} else if (!strcmp(a, "--privileged") && ctr) {
			o->privileged = true;
		} else {
			return -1;
		}
	}
	return i;
}

/* ---- pod sandbox config (the same for runp and create) ---------------------- */

struct podcfg {
	Runtime__V1__PodSandboxConfig cfg;
	Runtime__V1__PodSandboxMetadata md;
	Runtime__V1__LinuxPodSandboxConfig linux;
	Runtime__V1__LinuxSandboxSecurityContext sc;
	Runtime__V1__NamespaceOption ns;
	char cgroup[256];
};

static void pod_config(struct podcfg *p, const char *name, const char *ns, const char *uid,
		       struct kv *labels, struct kv *annots)
{
	runtime__v1__pod_sandbox_config__init(&p->cfg);
	runtime__v1__pod_sandbox_metadata__init(&p->md);
	runtime__v1__linux_pod_sandbox_config__init(&p->linux);
	runtime__v1__linux_sandbox_security_context__init(&p->sc);
	runtime__v1__namespace_option__init(&p->ns);
	p->md.name = (char *)name;
	p->md.namespace_ = (char *)ns;
	p->md.uid = (char *)uid;
	/* kubelet's layout for a best-effort pod on the cgroupfs driver */
	snprintf(p->cgroup, sizeof(p->cgroup), "/kubepods/besteffort/pod%s", uid);
	p->linux.cgroup_parent = p->cgroup;
	/* host network and no hostname: CNI is not called (none is set up) */
	p->ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
	p->ns.pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
	p->ns.ipc = RUNTIME__V1__NAMESPACE_MODE__POD;
	p->sc.namespace_options = &p->ns;
	p->linux.security_context = &p->sc;
	p->cfg.metadata = &p->md;
	p->cfg.hostname = "";
	p->cfg.linux = &p->linux;
	if (labels) {
		p->cfg.n_labels = labels->n;
		p->cfg.labels = (Runtime__V1__PodSandboxConfig__LabelsEntry **)labels->p;
	}
	if (annots) {
		p->cfg.n_annotations = annots->n;
		p->cfg.annotations = (Runtime__V1__PodSandboxConfig__AnnotationsEntry **)annots->p;
	}
}

static int runp(const char *name, const char *ns, const char *uid, struct opts *o, char **id)
{
	struct podcfg p;
	pod_config(&p, name, ns, uid, &o->labels, &o->annots);
	Runtime__V1__RunPodSandboxRequest rq = RUNTIME__V1__RUN_POD_SANDBOX_REQUEST__INIT;
	rq.config = &p.cfg;
	Runtime__V1__RunPodSandboxResponse *r = NULL;
	if (call(SVC "RunPodSandbox", &rq, &runtime__v1__run_pod_sandbox_response__descriptor, &r) < 0)
		return -1;
	*id = strdup(r->pod_sandbox_id);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return *id ? 0 : -1;
}

/* The image id kubelet would pass (ImageService.ImageStatus): kubelet
 * resolves the pod spec's image to its id and gives the name as
 * user_specified_image. */
static int image_id(const char *name, char **id)
{
	Runtime__V1__ImageSpec is = RUNTIME__V1__IMAGE_SPEC__INIT;
	is.image = (char *)name;
	Runtime__V1__ImageStatusRequest rq = RUNTIME__V1__IMAGE_STATUS_REQUEST__INIT;
	rq.image = &is;
	Runtime__V1__ImageStatusResponse *r = NULL;
	if (call(IMG_SVC "ImageStatus", &rq, &runtime__v1__image_status_response__descriptor, &r) < 0)
		return -1;
	*id = r->image && r->image->id && *r->image->id ? strdup(r->image->id) : NULL;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return *id ? 0 : die("image %s not found", name);
}

static int create(const char *pod_id, const char *cname, const char *image, struct opts *o,
		  char **id)
{
	Runtime__V1__PodSandboxStatusRequest srq = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	srq.pod_sandbox_id = (char *)pod_id;
	Runtime__V1__PodSandboxStatusResponse *sr = NULL;
	if (call(SVC "PodSandboxStatus", &srq, &runtime__v1__pod_sandbox_status_response__descriptor,
		 &sr) < 0)
		return -1;
	const Runtime__V1__PodSandboxMetadata *md = sr->status ? sr->status->metadata : NULL;
	if (!md) {
		protobuf_c_message_free_unpacked(&sr->base, NULL);
		return die("%s: sandbox without metadata", pod_id);
	}
	/* the runtime derives the container's cgroup from the request's copy of
	 * the sandbox config, so it must match what runp sent */
	struct podcfg p;
	pod_config(&p, md->name, md->namespace_, md->uid, NULL, NULL);
	const ProtobufCMessageDescriptor *ld = &runtime__v1__container_config__labels_entry__descriptor;
	if (kv_put(&o->clabels, "io.kubernetes.pod.name", md->name, ld) ||
	    kv_put(&o->clabels, "io.kubernetes.pod.namespace", md->namespace_, ld) ||
	    kv_put(&o->clabels, "io.kubernetes.pod.uid", md->uid, ld) ||
	    kv_put(&o->clabels, "io.kubernetes.container.name", cname, ld)) {
		protobuf_c_message_free_unpacked(&sr->base, NULL);
		return die("%s: too many labels", pod_id);
	}
	char *img_id = NULL;
	if (image_id(image, &img_id) < 0) {
		protobuf_c_message_free_unpacked(&sr->base, NULL);
		return -1;
	}
	Runtime__V1__ContainerMetadata cm = RUNTIME__V1__CONTAINER_METADATA__INIT;
	cm.name = (char *)cname;
	Runtime__V1__ImageSpec is = RUNTIME__V1__IMAGE_SPEC__INIT;
	is.image = img_id;
	is.user_specified_image = (char *)image;
	Runtime__V1__NamespaceOption ns = RUNTIME__V1__NAMESPACE_OPTION__INIT;
	ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
	ns.pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
	ns.ipc = RUNTIME__V1__NAMESPACE_MODE__POD;
	Runtime__V1__LinuxContainerSecurityContext sc = RUNTIME__V1__LINUX_CONTAINER_SECURITY_CONTEXT__INIT;
	sc.namespace_options = &ns;
	sc.privileged = o->privileged;
	Runtime__V1__LinuxContainerConfig lc = RUNTIME__V1__LINUX_CONTAINER_CONFIG__INIT;
	lc.security_context = &sc;
	Runtime__V1__ContainerConfig cc = RUNTIME__V1__CONTAINER_CONFIG__INIT;
	cc.metadata = &cm;
	cc.image = &is;
	cc.n_command = o->ncmd;
	cc.command = o->cmd;
	cc.n_envs = o->nenv;
	cc.envs = o->envp;
	cc.n_mounts = o->nmounts;
	cc.mounts = o->mountp;
	cc.n_labels = o->clabels.n;
	cc.labels = (Runtime__V1__ContainerConfig__LabelsEntry **)o->clabels.p;
	cc.linux = &lc;
	Runtime__V1__CreateContainerRequest rq = RUNTIME__V1__CREATE_CONTAINER_REQUEST__INIT;
	rq.pod_sandbox_id = (char *)pod_id;
	rq.config = &cc;
	rq.sandbox_config = &p.cfg;
	Runtime__V1__CreateContainerResponse *r = NULL;
	int rc = call(SVC "CreateContainer", &rq, &runtime__v1__create_container_response__descriptor, &r);
	if (rc == 0) {
		*id = strdup(r->container_id);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	free(img_id);
	protobuf_c_message_free_unpacked(&sr->base, NULL);
	return rc < 0 || !*id ? -1 : 0;
}

static int simple(const char *method, const ProtobufCMessage *rq, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *r = NULL;
	if (call(method, rq, d, &r) < 0)
		return 1;
	protobuf_c_message_free_unpacked(r, NULL);
	return 0;
}

static int start(const char *id)
{
	Runtime__V1__StartContainerRequest rq = RUNTIME__V1__START_CONTAINER_REQUEST__INIT;
	rq.container_id = (char *)id;
	return simple(SVC "StartContainer", &rq.base, &runtime__v1__start_container_response__descriptor);
}

static int stop(const char *id, long secs)
{
	Runtime__V1__StopContainerRequest rq = RUNTIME__V1__STOP_CONTAINER_REQUEST__INIT;
	rq.container_id = (char *)id;
	rq.timeout = secs;
	return simple(SVC "StopContainer", &rq.base, &runtime__v1__stop_container_response__descriptor);
}

static int rm(const char *id)
{
	Runtime__V1__RemoveContainerRequest rq = RUNTIME__V1__REMOVE_CONTAINER_REQUEST__INIT;
	rq.container_id = (char *)id;
	return simple(SVC "RemoveContainer", &rq.base, &runtime__v1__remove_container_response__descriptor);
}

static int stopp(const char *id)
{
	Runtime__V1__StopPodSandboxRequest rq = RUNTIME__V1__STOP_POD_SANDBOX_REQUEST__INIT;
	rq.pod_sandbox_id = (char *)id;
	return simple(SVC "StopPodSandbox", &rq.base, &runtime__v1__stop_pod_sandbox_response__descriptor);
}

static int rmp(const char *id)
{
	Runtime__V1__RemovePodSandboxRequest rq = RUNTIME__V1__REMOVE_POD_SANDBOX_REQUEST__INIT;
	rq.pod_sandbox_id = (char *)id;
	return simple(SVC "RemovePodSandbox", &rq.base, &runtime__v1__remove_pod_sandbox_response__descriptor);
}

static const char *ctr_state(int s)
{
	static const char *const n[] = {"CREATED", "RUNNING", "EXITED", "UNKNOWN"};
	return s >= 0 && s < 4 ? n[s] : "?";
}

static int ps(void)
{
	Runtime__V1__ListContainersRequest rq = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	Runtime__V1__ListContainersResponse *r = NULL;
	if (call(SVC "ListContainers", &rq, &runtime__v1__list_containers_response__descriptor, &r) < 0)
		return 1;
	for (size_t i = 0; i < r->n_containers; i++) {
		const Runtime__V1__Container *c = r->containers[i];
		printf("%s %s %s %s\n", c->id, c->pod_sandbox_id, ctr_state(c->state),
		       c->metadata ? c->metadata->name : "");
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return 0;
}

static Runtime__V1__ListPodSandboxResponse *list_pods(void)
{
	Runtime__V1__ListPodSandboxRequest rq = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	Runtime__V1__ListPodSandboxResponse *r = NULL;
	if (call(SVC "ListPodSandbox", &rq, &runtime__v1__list_pod_sandbox_response__descriptor, &r) < 0)
		return NULL;
	return r;
}

static int pods(void)
{
	Runtime__V1__ListPodSandboxResponse *r = list_pods();
	if (!r)
		return 1;
	for (size_t i = 0; i < r->n_items; i++) {
		const Runtime__V1__PodSandbox *p = r->items[i];
		printf("%s %s %s/%s\n", p->id, p->state ? "NOTREADY" : "READY",
		       p->metadata ? p->metadata->namespace_ : "", p->metadata ? p->metadata->name : "");
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return 0;
}

/* kubelet removes a pod's cgroup once the pod is gone; so does this tool,
 * in every hierarchy (rmdir fails harmlessly on a cgroup still in use). */
static void remove_pod_cgroup(const char *uid)
{
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d || !uid || !*uid || strchr(uid, '/')) {
		if (d)
			closedir(d);
		return;
	}
	char path[512];
	snprintf(path, sizeof(path), "/sys/fs/cgroup/kubepods/besteffort/pod%s", uid);
	rmdir(path); /* cgroup v2 only */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/kubepods/besteffort/pod%s", de->d_name,
			 uid);
		rmdir(path);
	}
	closedir(d);
}

/* Removes the pod's containers first (RemovePodSandbox does too, but only
 * after stopping them with the runtime's grace period), then the sandbox
 * and its cgroup. */
static int remove_pod(const char *pod_id)
{
	Runtime__V1__PodSandboxStatusRequest srq = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	srq.pod_sandbox_id = (char *)pod_id;
	Runtime__V1__PodSandboxStatusResponse *sr = NULL;
	char *uid = NULL;
	if (call(SVC "PodSandboxStatus", &srq, &runtime__v1__pod_sandbox_status_response__descriptor,
		 &sr) == 0) {
		if (sr->status && sr->status->metadata && sr->status->metadata->uid)
			uid = strdup(sr->status->metadata->uid);
		protobuf_c_message_free_unpacked(&sr->base, NULL);
	}
	Runtime__V1__ContainerFilter f = RUNTIME__V1__CONTAINER_FILTER__INIT;
	f.pod_sandbox_id = (char *)pod_id;
	Runtime__V1__ListContainersRequest rq = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	rq.filter = &f;
	Runtime__V1__ListContainersResponse *r = NULL;
	int rc = 0;
	if (call(SVC "ListContainers", &rq, &runtime__v1__list_containers_response__descriptor, &r) == 0) {
		for (size_t i = 0; i < r->n_containers; i++) {
			rc |= stop(r->containers[i]->id, 0);
			rc |= rm(r->containers[i]->id);
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	rc |= stopp(pod_id);
	rc |= rmp(pod_id);
	if (rc == 0)
		remove_pod_cgroup(uid);
	free(uid);
	return rc;
}

static int cleanup(const char *ns)
{
	Runtime__V1__ListPodSandboxResponse *r = list_pods();
	if (!r)
		return 1;
	int rc = 0;
	for (size_t i = 0; i < r->n_items; i++) {
		const Runtime__V1__PodSandbox *p = r->items[i];
		if (p->metadata && p->metadata->namespace_ && !strcmp(p->metadata->namespace_, ns))
			rc |= remove_pod(p->id);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

static int inspect(const char *id)
{
	struct sk_ctr_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout_ms = g_target.timeout_ms;
	struct sk_err err = {0};
	struct sk_ctr_engine *e = sk_ctr_cri_new(&cfg, g_target.socket, &err);
	if (!e)
		return die("%s", err.msg);
	struct sk_ctr_info info;
	memset(&info, 0, sizeof(info));
	int rc = e->ops->inspect(e, id, &info, &err);
	if (rc == 0) {
		char *j = sk_ctr_info_to_json(&info, 100);
		printf("%s\n", j ? j : "{}");
		free(j);
	} else {
		fprintf(stderr, "sk_crictl: %s\n", err.msg);
	}
	sk_ctr_info_done(&info);
	e->ops->free(e);
	return rc < 0;
}

static int version(void)
{
	Runtime__V1__VersionRequest rq = RUNTIME__V1__VERSION_REQUEST__INIT;
	Runtime__V1__VersionResponse *v = NULL;
	if (call(SVC "Version", &rq, &runtime__v1__version_response__descriptor, &v) < 0)
		return 1;
	printf("%s %s %s\n", v->runtime_name, v->runtime_version, v->runtime_api_version);
	protobuf_c_message_free_unpacked(&v->base, NULL);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: sk_crictl [-s SOCKET] [-t TIMEOUT_MS] "
			"version|runp|create|start|stop|rm|stopp|rmp|ps|pods|inspect|run|cleanup ...\n"
			"(see the comment at the top of tests/tools/sk_crictl.c)\n");
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-s"))
			g_target.socket = argv[i + 1];
		else if (!strcmp(argv[i], "-t"))
			g_target.timeout_ms = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i++];
	int n = argc - i;
	char **a = argv + i;
	static struct opts o;
	char *id = NULL, *cid = NULL;
	if (!strcmp(cmd, "version"))
		return version();
	if (!strcmp(cmd, "ps"))
		return ps();
	if (!strcmp(cmd, "pods"))
		return pods();
	if (n == 1 && !strcmp(cmd, "start"))
		return start(a[0]);
	if ((n == 1 || n == 2) && !strcmp(cmd, "stop"))
		return stop(a[0], n == 2 ? strtol(a[1], NULL, 10) : 10);
	if (n == 1 && !strcmp(cmd, "rm"))
		return rm(a[0]);
	if (n == 1 && !strcmp(cmd, "stopp"))
		return stopp(a[0]);
	if (n == 1 && !strcmp(cmd, "rmp"))
		return remove_pod(a[0]) != 0;
	if (n == 1 && !strcmp(cmd, "inspect"))
		return inspect(a[0]);
	if (n == 1 && !strcmp(cmd, "cleanup"))
		return cleanup(a[0]);
	if (n >= 3 && !strcmp(cmd, "runp")) {
		if (parse_opts(argc, argv, i + 3, &o, true, false) < 0 || o.cmd)
			return usage();
		if (runp(a[0], a[1], a[2], &o, &id) < 0)
			return 1;
		printf("%s\n", id);
		free(id);
		return 0;
	}
	if (n >= 3 && !strcmp(cmd, "create")) {
		if (parse_opts(argc, argv, i + 3, &o, false, true) < 0 || !o.ncmd)
			return usage();
		if (create(a[0], a[1], a[2], &o, &id) < 0)
			return 1;
		printf("%s\n", id);
		free(id);
		return 0;
	}
	if (n >= 5 && !strcmp(cmd, "run")) {
		if (parse_opts(argc, argv, i + 5, &o, true, true) < 0 || !o.ncmd)
			return usage();
		if (runp(a[0], a[1], a[2], &o, &id) < 0)
			return 1;
		int rc = 0;
		if (create(id, a[3], a[4], &o, &cid) < 0 || start(cid) != 0) {
			remove_pod(id);
			rc = 1;
		} else {
			printf("%s %s\n", id, cid);
		}
		free(id);
		free(cid);
		return rc;
	}
	return usage();
}
