/* json.c — the container description engines fill (struct sk_ctr_info), its
 * JSON form (the container plugin's record, the payload of asyncevent
 * "container" events in live streams and capture files), image reference
 * splitting and the runtime type names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container_int.h"

const char *sk_ctr_type_name(int type)
{
	switch (type) {
	case SK_CT_DOCKER: return "docker";
	case SK_CT_LXC: return "lxc";
	case SK_CT_LIBVIRT_LXC: return "libvirt-lxc";
	case SK_CT_MESOS: return "mesos";
	case SK_CT_RKT: return "rkt";
	case SK_CT_CRI: return "cri";
	case SK_CT_CONTAINERD: return "containerd";
	case SK_CT_CRIO: return "cri-o";
	case SK_CT_BPM: return "bpm";
	case SK_CT_PODMAN: return "podman";
	case SK_CT_HOST: return "host";
	default: return "";
	}
}

void sk_ctr_info_done(struct sk_ctr_info *i)
{
	if (!i)
		return;
	char **strs[] = {&i->full_id, &i->name, &i->image, &i->image_id, &i->image_repo,
			 &i->image_tag, &i->image_digest, &i->user, &i->ip, &i->cni_json,
			 &i->pod_sandbox_id};
	for (size_t k = 0; k < SK_ARRAY_LEN(strs); k++) {
		free(*strs[k]);
		*strs[k] = NULL;
	}
	json_t **objs[] = {&i->labels, &i->pod_sandbox_labels, &i->mounts, &i->env,
			   &i->port_mappings};
	for (size_t k = 0; k < SK_ARRAY_LEN(objs); k++) {
		json_decref(*objs[k]);
		*objs[k] = NULL;
	}
}

void sk_ctr_record_free(struct sk_ctr_record *r)
{
	if (!r)
		return;
	free(r->json);
	r->json = NULL;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

int sk_ctr_split_image(const char *image, char **repo, char **tag, char **digest)
{
	*repo = *tag = *digest = NULL;
	if (!image)
		image = "";
	const char *at = strchr(image, '@');
	size_t n = at ? (size_t)(at - image) : strlen(image);
	*digest = strdup(at ? at + 1 : "");
	/* a ':' before the last '/' belongs to a registry port, not a tag */
	const char *slash = NULL, *colon = NULL;
	for (size_t k = 0; k < n; k++) {
		if (image[k] == '/')
			slash = image + k;
		else if (image[k] == ':')
			colon = image + k;
	}
	if (!colon || (slash && colon < slash)) {
		*repo = dup_n(image, n);
		*tag = strdup("");
	} else {
		*repo = dup_n(image, (size_t)(colon - image));
		*tag = dup_n(colon + 1, (size_t)(image + n - colon - 1));
	}
	if (!*repo || !*tag || !*digest) {
		free(*repo);
		free(*tag);
		free(*digest);
		*repo = *tag = *digest = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int put_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, json_string(v ? v : ""));
}

static int put_int(json_t *o, const char *k, int64_t v)
{
	return json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* A copy of a string->string object without values over `max` bytes. */
static json_t *labels_copy(const json_t *src, size_t max)
{
	json_t *out = json_object();
	if (!out || !json_is_object(src))
		return out;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		if (!json_is_string(v) || json_string_length(v) > max)
			continue;
		json_object_set(out, k, v);
	}
	return out;
}

static json_t *array_or_empty(json_t *a)
{
	return json_is_array(a) ? json_incref(a) : json_array();
}

char *sk_ctr_info_to_json(const struct sk_ctr_info *i, size_t label_max_len)
{
	json_t *c = json_object();
	if (!c)
		return NULL;
	const char *full = i->full_id ? i->full_id : "";
	char id[13];
	sk_strlcpy(id, full, sizeof(id));
	int rc = 0;
	rc |= put_int(c, "type", i->type);
	rc |= put_str(c, "id", id);
	rc |= put_str(c, "name", i->name);
	rc |= put_str(c, "image", i->image);
	rc |= put_str(c, "imagedigest", i->image_digest);
	rc |= put_str(c, "imageid", i->image_id);
	rc |= put_str(c, "imagerepo", i->image_repo);
	rc |= put_str(c, "imagetag", i->image_tag);
	rc |= put_str(c, "User", i->user);
	rc |= put_str(c, "cni_json", i->cni_json);
	rc |= put_int(c, "cpu_period", i->cpu_period);
	rc |= put_int(c, "cpu_quota", i->cpu_quota);
	rc |= put_int(c, "cpu_shares", i->cpu_shares);
	rc |= put_int(c, "cpuset_cpu_count", i->cpuset_cpu_count);
	rc |= put_int(c, "created_time", i->created_time);
	rc |= put_int(c, "size", -1);
	rc |= json_object_set_new(c, "env", array_or_empty(i->env));
	rc |= put_str(c, "full_id", full);
	rc |= json_object_set_new(c, "host_ipc", json_boolean(i->host_ipc));
	rc |= json_object_set_new(c, "host_network", json_boolean(i->host_network));
	rc |= json_object_set_new(c, "host_pid", json_boolean(i->host_pid));
	rc |= put_str(c, "ip", i->ip);
	rc |= json_object_set_new(c, "is_pod_sandbox", json_boolean(i->is_pod_sandbox));
	rc |= json_object_set_new(c, "labels", labels_copy(i->labels, label_max_len));
	rc |= put_int(c, "memory_limit", i->memory_limit);
	rc |= put_int(c, "swap_limit", i->swap_limit);
	rc |= put_str(c, "pod_sandbox_id", i->pod_sandbox_id);
	rc |= json_object_set_new(c, "privileged", json_boolean(i->privileged));
	rc |= json_object_set_new(c, "pod_sandbox_labels",
				  i->pod_sandbox_labels
					  ? labels_copy(i->pod_sandbox_labels, label_max_len)
					  : json_null());
	rc |= json_object_set_new(c, "port_mappings", array_or_empty(i->port_mappings));
	rc |= json_object_set_new(c, "Mounts", array_or_empty(i->mounts));
	json_t *doc = json_object();
	if (rc || !doc || json_object_set_new(doc, "container", c) < 0) {
		json_decref(doc);
		json_decref(c);
		return NULL;
	}
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

uint64_t sk_ctr_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sk_ctr_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
