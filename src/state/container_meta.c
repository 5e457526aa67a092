/* container_meta.c — runtime metadata of containers: parsing the container
 * plugin's JSON record (what runtime clients produce live and what Falco's
 * and saker's captures carry as asyncevent "container"), the renderings
 * fields need, and the Deployment/ReplicaSet names derived from pod names. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

const struct sk_container_meta sk_container_host_meta = {
	.type = 0xfffe, .type_name = "host", .id = "host", .full_id = "host", .name = "host",
	.image = "", .image_id = "", .image_repo = "", .image_tag = "", .image_digest = "",
	.ip = "", .cni_json = "", .pod_sandbox_id = "", .user = "",
	.labels_str = "", .pod_labels_str = "", .mounts_str = "",
};

/* ---- Kubernetes owner names ----------------------------------------------------- */

/* Kubernetes' rand.SafeEncodeString alphabet (no vowels, no 0/1/3 look-alikes),
 * used for ReplicaSet hashes and pod name suffixes. */
static bool k8s_hash_char(char c)
{
	return c && strchr("bcdfghjklmnpqrstvwxz2456789", c) != NULL;
}

static bool all_hash_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!k8s_hash_char(s[i]))
			return false;
	return n > 0;
}

static void put_name(char *dst, size_t cap, const char *s, size_t n)
{
	if (!cap)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

bool sk_k8s_owner_names(const char *pod, const char *hash, char *rs, size_t rs_len, char *deploy,
			size_t deploy_len)
{
	put_name(rs, rs_len, "", 0);
	put_name(deploy, deploy_len, "", 0);
	if (!pod)
		return false;
	const char *last = strrchr(pod, '-');
	if (!last || last == pod)
		return false;
	size_t rsn = (size_t)(last - pod);
	/* the ReplicaSet's own hash: between the last two dashes */
	const char *prev = NULL;
	for (const char *p = pod; p < last; p++)
		if (*p == '-')
			prev = p;
	if (!prev || prev == pod)
		return false;
	size_t hn = (size_t)(last - prev - 1);
	if (hash && *hash) {
		if (strlen(hash) != hn || memcmp(prev + 1, hash, hn) != 0)
			return false;
	} else {
		/* no label: the name alone must have the generated shape */
		if (strlen(last + 1) != 5 || !all_hash_chars(last + 1, 5) || hn < 6 || hn > 10 ||
		    !all_hash_chars(prev + 1, hn))
			return false;
	}
	put_name(rs, rs_len, pod, rsn);
	put_name(deploy, deploy_len, pod, (size_t)(prev - pod));
	return true;
}

/* ---- parsing ---------------------------------------------------------------------- */

static const char *jstr(struct sk_arena *a, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	char *d = sk_arena_strndup(a, s, strlen(s));
	return d ? d : "";
}

static bool jbool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static int64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sk_kv *)a)->key, ((const struct sk_kv *)b)->key);
}

/* A string->string object as a sorted array (other value types skipped). */
static struct sk_kv *parse_labels(struct sk_arena *a, json_t *o, size_t *n)
{
	*n = 0;
	if (!json_is_object(o) || !json_object_size(o))
		return NULL;
	struct sk_kv *kv = sk_arena_alloc(a, json_object_size(o) * sizeof(*kv));
	if (!kv)
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			continue;
		kv[*n].key = sk_arena_strdup(a, k);
		kv[*n].value = sk_arena_strdup(a, json_string_value(v));
		if (!kv[*n].key || !kv[*n].value)
			return NULL;
		(*n)++;
	}
	qsort(kv, *n, sizeof(*kv), kv_cmp);
	return kv;
}

static const char *label_value(const struct sk_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

/* The plugin's label rendering: "k:v, k2:v2" (":v" left out for an empty
 * value), without annotation.* and io.kubernetes.* keys. */
static const char *render_labels(struct sk_arena *a, const struct sk_kv *kv, size_t n)
{
	struct sk_buf b;
	sk_buf_init(&b, 0);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(kv[i].key, "annotation.", 11) || !strncmp(kv[i].key, "io.kubernetes.", 14))
			continue;
		if (b.len)
			rc |= sk_buf_puts(&b, ", ");
		rc |= sk_buf_puts(&b, kv[i].key);
		if (*kv[i].value)
			rc |= sk_buf_printf(&b, ":%s", kv[i].value);
	}
	const char *s = rc ? "" : sk_arena_strdup(a, sk_buf_cstr(&b));
	sk_buf_done(&b);
	return s ? s : "";
}

static struct sk_container_mount *parse_mounts(struct sk_arena *a, json_t *arr, size_t *n,
					       const char **rendered)
{
	*n = 0;
	*rendered = "";
	if (!json_is_array(arr) || !json_array_size(arr))
		return NULL;
	struct sk_container_mount *m = sk_arena_alloc(a, json_array_size(arr) * sizeof(*m));
	if (!m)
		return NULL;
	struct sk_buf b;
	sk_buf_init(&b, 0);
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_object(v))
			continue;
		struct sk_container_mount *x = &m[(*n)++];
		x->source = jstr(a, v, "Source");
		x->dest = jstr(a, v, "Destination");
		x->mode = jstr(a, v, "Mode");
		x->propagation = jstr(a, v, "Propagation");
		x->rdwr = jbool(v, "RW");
		rc |= sk_buf_printf(&b, "%s%s:%s:%s:%s:%s", b.len ? "," : "", x->source, x->dest,
				    x->mode, x->rdwr ? "true" : "false", x->propagation);
	}
	if (!rc)
		*rendered = sk_arena_strdup(a, sk_buf_cstr(&b));
	if (!*rendered)
		*rendered = "";
	sk_buf_done(&b);
	return m;
}

static const char *type_name_of(int type)
{
	static const char *const names[] = {"docker", "lxc", "libvirt-lxc", "mesos", "rkt", "",
					    "cri", "containerd", "cri-o", "bpm", "", "podman"};
	if (type >= 0 && (size_t)type < SK_ARRAY_LEN(names))
		return names[type];
	return type == 0xfffe ? "host" : "";
}

void sk_container_meta_free(struct sk_container_meta *m)
{
	if (!m)
		return;
	sk_arena_done(&m->arena);
	free(m);
}

/* Fills the derived names: pod name/namespace/uid from labels, Deployment
 * and ReplicaSet from the pod name (and its pod-template-hash label). */
static void derive_k8s(struct sk_container_meta *m, const struct sk_kv *pod_labels, size_t npl)
{
	m->pod_name = label_value(m->labels, m->nlabels, "io.kubernetes.pod.name");
	m->pod_ns = label_value(m->labels, m->nlabels, "io.kubernetes.pod.namespace");
	m->pod_uid = label_value(m->labels, m->nlabels, "io.kubernetes.pod.uid");
	if (!m->pod_name)
		return;
	const char *hash = label_value(pod_labels, npl, "pod-template-hash");
	char rs[256], dep[256];
	if (sk_k8s_owner_names(m->pod_name, hash, rs, sizeof(rs), dep, sizeof(dep))) {
		m->rs_name = sk_arena_strdup(&m->arena, rs);
		m->deploy_name = sk_arena_strdup(&m->arena, dep);
	}
}

/* Parses one record; NULL when the text is not a container record. `sandbox`
 * lends pod labels when the record has none of its own (CRI containers whose
 * pod was learnt first). */
static struct sk_container_meta *meta_parse(struct sk_state *st, const char *text, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	json_t *c = json_object_get(root, "container");
	struct sk_container_meta *m = NULL;
	if (!json_is_object(c))
		goto out;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out;
	struct sk_arena *a = &m->arena;
	sk_arena_init(a, 4096);
	m->type = (int)jint(c, "type");
	m->type_name = type_name_of(m->type);
	m->full_id = jstr(a, c, "full_id");
	m->id = jstr(a, c, "id");
	if (!*m->id) {
		char shortid[13];
		sk_strlcpy(shortid, m->full_id, sizeof(shortid));
		m->id = sk_arena_strdup(a, shortid);
	}
	/* the table is keyed by this id and sk_container.id holds 64 chars */
	if (!m->id || !*m->id || strlen(m->id) > 64) {
		sk_container_meta_free(m);
		m = NULL;
		goto out;
	}
	m->name = jstr(a, c, "name");
	m->image = jstr(a, c, "image");
	m->image_id = jstr(a, c, "imageid");
	m->image_repo = jstr(a, c, "imagerepo");
	m->image_tag = jstr(a, c, "imagetag");
	m->image_digest = jstr(a, c, "imagedigest");
	m->ip = jstr(a, c, "ip");
	m->cni_json = jstr(a, c, "cni_json");
	m->pod_sandbox_id = jstr(a, c, "pod_sandbox_id");
	m->user = jstr(a, c, "User");
	m->privileged = jbool(c, "privileged");
	m->host_pid = jbool(c, "host_pid");
	m->host_network = jbool(c, "host_network");
	m->host_ipc = jbool(c, "host_ipc");
	m->is_pod_sandbox = jbool(c, "is_pod_sandbox");
	m->created_time = jint(c, "created_time");
	m->labels = parse_labels(a, json_object_get(c, "labels"), &m->nlabels);
	json_t *pl = json_object_get(c, "pod_sandbox_labels");
	m->pod_labels = parse_labels(a, pl, &m->npod_labels);
	m->labels_str = render_labels(a, m->labels, m->nlabels);
	m->mounts = parse_mounts(a, json_object_get(c, "Mounts"), &m->nmounts, &m->mounts_str);
	/* pod labels: the record's own, else its sandbox's (the plugin's fallback) */
	const struct sk_kv *podl = m->pod_labels;
	size_t npodl = m->npod_labels;
	if (!npodl && *m->pod_sandbox_id) {
		char sid[13];
		sk_strlcpy(sid, m->pod_sandbox_id, sizeof(sid));
		const struct sk_container *sb = sk_state_container(st, sid);
		if (sb && sb->meta) {
			podl = sb->meta->pod_labels;
			npodl = sb->meta->npod_labels;
		}
	}
	m->pod_labels_str = render_labels(a, podl, npodl);
	derive_k8s(m, podl, npodl);
out:
	json_decref(root);
	return m;
}

/* ---- the table ------------------------------------------------------------------ */

const struct sk_container *sk_state_container(const struct sk_state *st, const char *id)
{
	return sk_strmap_get(&st->containers, id);
}

const struct sk_container_meta *sk_thread_container_meta(const struct sk_thread *t)
{
	if (!t->container)
		return &sk_container_host_meta;
	return t->container->meta;
}

const struct sk_container_meta *sk_state_event_container(const struct sk_state *st)
{
	return st->event_ctr;
}

void sk_state_set_container_hook(struct sk_state *st, sk_state_container_hook fn, void *ctx)
{
	st->ctr_hook = fn;
	st->ctr_hook_ctx = ctx;
}

/* Makes room for one more container: drops one no thread uses, preferring
 * one without metadata. Returns false when every container is in use. */
static bool evict_one(struct sk_state *st)
{
	size_t it = 0, kl;
	const char *k, *best = NULL;
	size_t best_len = 0;
	void *v;
	while (sk_strmap_next(&st->containers, &it, &k, &kl, &v)) {
		struct sk_container *c = v;
		if (c->refs)
			continue;
		best = k;
		best_len = kl;
		if (!c->meta)
			break;
	}
	if (!best)
		return false;
	struct sk_container *c = sk_strmap_deln(&st->containers, best, best_len);
	sk_container_free(st, c);
	st->stats.containers_dropped++;
	return true;
}

struct sk_container *sk_state_container_get_or_add(struct sk_state *st, const char *id,
						   const char *full_id, const char *type)
{
	size_t il = strlen(id);
	struct sk_container *c = sk_strmap_getn(&st->containers, id, il);
	if (c)
		return c;
	if (st->containers.count >= st->cfg.max_containers && !evict_one(st)) {
		st->stats.containers_dropped++;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	sk_strlcpy(c->id, id, sizeof(c->id));
	sk_strlcpy(c->full_id, full_id, sizeof(c->full_id));
	c->type = type;
	if (sk_strmap_putn(&st->containers, id, il, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void remember_removed(struct sk_state *st, const char *id)
{
	sk_strlcpy(st->removed_ids[st->removed_next], id, sizeof(st->removed_ids[0]));
	st->removed_next = (st->removed_next + 1) % SK_STATE_REMOVED_IDS;
}

static bool was_removed(const struct sk_state *st, const char *id)
{
	for (unsigned i = 0; i < SK_STATE_REMOVED_IDS; i++)
		if (st->removed_ids[i][0] && !strcmp(st->removed_ids[i], id))
			return true;
	return false;
}

int sk_state_container_json(struct sk_state *st, const char *json, size_t len, bool removed)
{
	while (len && !json[len - 1])
		len--; /* captures store the payload NUL-terminated */
	struct sk_container_meta *m = meta_parse(st, json, len);
	if (!m) {
		st->stats.containers_bad++;
		return -EINVAL;
	}
	struct sk_container *c = sk_strmap_get(&st->containers, m->id);
	if (removed) {
		st->stats.containers_removed++;
		remember_removed(st, m->id);
		/* the event still describes the container: keep its last record */
		struct sk_container_meta *last = c && c->meta ? c->meta : m;
		if (last != m)
			sk_container_meta_free(m);
		if (c) {
			c->meta = NULL;
			c->requested = false;
			c->removed = c->refs != 0;
			if (!c->refs) {
				sk_strmap_deln(&st->containers, c->id, strlen(c->id));
				sk_container_free(st, c);
			}
		}
		sk_container_meta_free(st->event_ctr_owned);
		st->event_ctr_owned = last;
		st->event_ctr = last;
		return 0;
	}
	st->stats.containers_meta++;
	if (!m->is_pod_sandbox && !*m->image)
		st->stats.containers_missing_image++;
	if (!c && was_removed(st, m->id)) {
		/* late: the event still describes it, the table does not take it */
		st->stats.containers_late++;
		sk_container_meta_free(st->event_ctr_owned);
		st->event_ctr_owned = m;
		st->event_ctr = m;
		return 0;
	}
	if (!c)
		c = sk_state_container_get_or_add(st, m->id, m->full_id, m->type_name);
	if (!c) {
		/* no room: the event still describes it */
		sk_container_meta_free(st->event_ctr_owned);
		st->event_ctr_owned = m;
		st->event_ctr = m;
		return 0;
	}
	if (*m->full_id)
		sk_strlcpy(c->full_id, m->full_id, sizeof(c->full_id));
	sk_container_meta_free(c->meta);
	c->meta = m;
	st->event_ctr = m;
	return 0;
}

/* Called before each event: the previous event's container record is done. */
void sk_state_event_container_reset(struct sk_state *st)
{
	st->event_ctr = NULL;
	if (st->event_ctr_owned) {
		sk_container_meta_free(st->event_ctr_owned);
		st->event_ctr_owned = NULL;
	}
}
