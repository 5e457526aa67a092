/* disk.c — what docker and podman have written about a container on disk
 * by the time its first process exists, read without asking their APIs.
 *
 * Why: both APIs hold the container's lock while it is being created and
 * started, so an inspect made when the container's first thread appears
 * (runc init, in the new cgroup) answers only after the entrypoint has run.
 * The files below are written at create time, before runc is called, so a
 * record made from them is there for the entrypoint's first execve; the
 * API's full record follows and replaces it.
 *   docker: <root>/containers/<id>/config.v2.json and hostconfig.json
 *   podman: containers/storage's overlay-containers/containers.json (name
 *           and image of every container) and the container's OCI spec
 *           (privileged, host namespaces, bind mounts) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"

#define MAX_FILE (16u << 20)

static const char *const docker_roots[] = {"/var/lib/docker"};
static const char *const podman_stores[] = {
	"/var/lib/containers/storage/overlay-containers/containers.json",
	"/var/lib/containers/storage/vfs-containers/containers.json",
};

static json_t *load_json(const char *host_root, const char *path)
{
	char full[1024];
	snprintf(full, sizeof(full), "%s%s", host_root ? host_root : "", path);
	char *text = NULL;
	size_t len = 0;
	if (sk_read_file(full, MAX_FILE, &text, &len) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	free(text);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static char *jdup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return strdup(s ? s : "");
}

static bool hex64(const char *id)
{
	size_t n = strlen(id);
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

/* Docker's mount points as the API's Mounts array. */
static json_t *docker_mounts(json_t *mps)
{
	json_t *arr = json_array();
	const char *dest;
	json_t *m;
	json_object_foreach(mps, dest, m) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source", jstr(m, "Source"),
				      "Destination", dest, "Mode", jstr(m, "Mode"), "RW",
				      json_is_true(json_object_get(m, "RW")), "Propagation",
				      jstr(m, "Propagation"));
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}

static int docker_disk(const struct sk_ctr_cfg *cfg, const char *id, struct sk_ctr_info *out)
{
	if (!hex64(id))
		return -ENOENT; /* the directory is named by the full id */
	char path[512];
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", docker_roots[0], id);
	json_t *c = load_json(cfg->host_root, path);
	if (!json_is_object(c)) {
		json_decref(c);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/containers/%s/hostconfig.json", docker_roots[0], id);
	json_t *h = load_json(cfg->host_root, path);
	json_t *conf = json_object_get(c, "Config");
	out->type = SK_CT_DOCKER;
	out->full_id = strdup(id);
	const char *name = json_string_value(json_object_get(c, "Name"));
	out->name = strdup(name ? (name[0] == '/' ? name + 1 : name) : "");
	out->image = jdup(conf, "Image");
	const char *iid = json_string_value(json_object_get(c, "Image"));
	out->image_id = strdup(iid ? (strncmp(iid, "sha256:", 7) ? iid : iid + 7) : "");
	out->user = jdup(conf, "User");
	out->ip = strdup("");
	json_t *labels = json_object_get(conf, "Labels");
	out->labels = json_is_object(labels) ? json_incref(labels) : NULL;
	json_t *mps = json_object_get(c, "MountPoints");
	out->mounts = json_is_object(mps) ? docker_mounts(mps) : NULL;
	if (json_is_object(h)) {
		out->privileged = json_is_true(json_object_get(h, "Privileged"));
		const char *nm = json_string_value(json_object_get(h, "NetworkMode"));
		const char *pm = json_string_value(json_object_get(h, "PidMode"));
		const char *im = json_string_value(json_object_get(h, "IpcMode"));
		out->host_network = nm && !strcmp(nm, "host");
		out->host_pid = pm && !strcmp(pm, "host");
		out->host_ipc = im && !strcmp(im, "host");
	}
	json_decref(h);
	json_decref(c);
	if (!out->full_id || !out->name || !out->image || !out->image_id || !out->user || !out->ip)
		return -ENOMEM;
	return sk_ctr_split_image(out->image, &out->image_repo, &out->image_tag, &out->image_digest);
}

/* True when the OCI spec's namespace list lacks `type`: the host's is used. */
static bool host_ns(json_t *nss, const char *type)
{
	size_t i;
	json_t *n;
	json_array_foreach(nss, i, n)
		if (!strcmp(jstr(n, "type"), type))
			return false;
	return true;
}

static bool has_opt(json_t *opts, const char *o)
{
	size_t i;
	json_t *v;
	json_array_foreach(opts, i, v)
		if (!strcmp(json_string_value(v) ? json_string_value(v) : "", o))
			return true;
	return false;
}

/* The user's bind mounts of an OCI spec, as podman's inspect lists them:
 * podman's own (the container's shm, hosts, resolv.conf, ...) come from its
 * storage and run directories and are left out. */
static json_t *podman_mounts(json_t *mounts)
{
	static const char *const own[] = {"/var/lib/containers/", "/var/run/containers/",
					  "/run/containers/", "/run/libpod/", "/var/run/libpod/"};
	static const char *const props[] = {"rprivate", "private", "rshared", "shared",
					    "rslave", "slave"};
	json_t *arr = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *src = jstr(m, "source");
		if (strcmp(jstr(m, "type"), "bind") || !*src)
			continue;
		bool internal = false;
		for (size_t k = 0; k < SK_ARRAY_LEN(own) && !internal; k++)
			internal = !strncmp(src, own[k], strlen(own[k]));
		if (internal)
			continue;
		json_t *opts = json_object_get(m, "options");
		const char *prop = "";
		for (size_t k = 0; k < SK_ARRAY_LEN(props); k++)
			if (has_opt(opts, props[k])) {
				prop = props[k];
				break;
			}
		json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source", src, "Destination",
				      jstr(m, "destination"), "Mode", "", "RW", !has_opt(opts, "ro"),
				      "Propagation", prop);
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}

/* podman's OCI spec for the container (written at init, before runc runs):
 * the privileged annotation and the host namespaces. */
static void podman_spec(const struct sk_ctr_cfg *cfg, const char *store, const char *id,
			struct sk_ctr_info *out)
{
	char path[1024];
	const char *slash = strrchr(store, '/');
	snprintf(path, sizeof(path), "%.*s/%s/userdata/config.json", (int)(slash - store), store, id);
	json_t *spec = load_json(cfg->host_root, path);
	json_t *ann = json_object_get(spec, "annotations");
	out->privileged = !strcmp(jstr(ann, "io.podman.annotations.privileged"), "TRUE");
	json_t *nss = json_object_get(json_object_get(spec, "linux"), "namespaces");
	if (json_is_array(nss)) {
		out->host_pid = host_ns(nss, "pid");
		out->host_network = host_ns(nss, "network");
		out->host_ipc = host_ns(nss, "ipc");
	}
	out->mounts = podman_mounts(json_object_get(spec, "mounts"));
	json_decref(spec);
}

/* containers/storage keeps one JSON array of every container; the entry's
 * "metadata" is itself JSON text with the name and image podman gave it. */
static int podman_disk(const struct sk_ctr_cfg *cfg, const char *id, struct sk_ctr_info *out)
{
	size_t idl = strlen(id);
	if (idl < 12)
		return -ENOENT;
	for (size_t s = 0; s < SK_ARRAY_LEN(podman_stores); s++) {
		json_t *all = load_json(cfg->host_root, podman_stores[s]);
		size_t i;
		json_t *e;
		json_array_foreach(all, i, e) {
			const char *eid = json_string_value(json_object_get(e, "id"));
			if (!eid || strncmp(eid, id, idl) != 0)
				continue;
			json_error_t je;
			const char *meta = json_string_value(json_object_get(e, "metadata"));
			json_t *m = meta ? json_loads(meta, 0, &je) : NULL;
			out->type = SK_CT_PODMAN;
			out->full_id = strdup(eid);
			out->name = jdup(m, "name");
			out->image = jdup(m, "image-name");
			out->image_id = jdup(e, "image");
			out->ip = strdup("");
			json_decref(m);
			podman_spec(cfg, podman_stores[s], eid, out);
			json_decref(all);
			if (!out->full_id || !out->name || !out->image || !out->image_id || !out->ip)
				return -ENOMEM;
			return sk_ctr_split_image(out->image, &out->image_repo, &out->image_tag,
						  &out->image_digest);
		}
		json_decref(all);
	}
	return -ENOENT;
}

int sk_ctr_disk_inspect(const struct sk_ctr_cfg *cfg, const char *id, struct sk_ctr_info *out)
{
	int rc = -ENOENT;
	if (cfg->docker.enabled && (rc = docker_disk(cfg, id, out)) == 0)
		return 0;
	sk_ctr_info_done(out);
	memset(out, 0, sizeof(*out));
	if (cfg->podman.enabled && (rc = podman_disk(cfg, id, out)) == 0)
		return 0;
	sk_ctr_info_done(out);
	memset(out, 0, sizeof(*out));
	return rc;
}
