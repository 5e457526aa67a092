/* fields_container.c — container.*, k8s.* and proc.is_container_* (the
 * container plugin's fields), from the runtime metadata state/ keeps per
 * container. As in the plugin: host processes have the host's record (name
 * "host", empty strings); a container whose metadata is not known yet has
 * only container.id and the start time; an event that carries a container
 * record (asyncevent "container") describes that container. Beyond Falco
 * 0.44, k8s.rs.name and k8s.deployment.name have values (derived from the
 * pod name: see state's sk_k8s_owner_names). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "fields_priv.h"
#include "state/state.h"

/* The plugin selects a mount by a pattern searched (not anchored) in the
 * source or destination. Patterns are compiled once per binding and kept in
 * a small cache keyed by the argument text (engine thread only). */
#define MOUNT_RE_CACHE 32
static struct {
	char *arg;
	pcre2_code *re;
	pcre2_match_data *md;
} mount_re[MOUNT_RE_CACHE];

/* True when the pattern `arg` is found in `subject`. A pattern that does
 * not compile, or does not fit the cache, finds nothing. */
static bool pattern_finds(const char *arg, const char *subject)
{
	size_t i, free_slot = MOUNT_RE_CACHE;
	for (i = 0; i < MOUNT_RE_CACHE; i++) {
		if (mount_re[i].arg && !strcmp(mount_re[i].arg, arg))
			break;
		if (!mount_re[i].arg && free_slot == MOUNT_RE_CACHE)
			free_slot = i;
	}
	if (i == MOUNT_RE_CACHE) {
		if (free_slot == MOUNT_RE_CACHE)
			return false;
		int errc;
		PCRE2_SIZE erro;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)arg, PCRE2_ZERO_TERMINATED,
					       PCRE2_MULTILINE, &errc, &erro, NULL);
		pcre2_match_data *md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
		char *key = md ? strdup(arg) : NULL;
		if (!key) {
			pcre2_match_data_free(md);
			pcre2_code_free(re);
			return false;
		}
		i = free_slot;
		mount_re[i].arg = key;
		mount_re[i].re = re;
		mount_re[i].md = md;
	}
	return pcre2_match(mount_re[i].re, (PCRE2_SPTR)subject, PCRE2_ZERO_TERMINATED, 0, 0,
			   mount_re[i].md, NULL) >= 0;
}

/* container.mount*[N] by index; [PATTERN] by source, except mount.source
 * which selects by destination. */
static const struct sk_container_mount *mount_select(const struct sk_fieldref *f,
						     const struct sk_container_meta *m)
{
	if (f->has_index)
		return f->index >= 0 && (size_t)f->index < m->nmounts ? &m->mounts[f->index] : NULL;
	if (!f->arg)
		return NULL;
	bool by_dest = f->def->id == SK_F_CONTAINER_MOUNT_SOURCE;
	for (size_t i = 0; i < m->nmounts; i++)
		if (pattern_finds(f->arg, by_dest ? m->mounts[i].dest : m->mounts[i].source))
			return &m->mounts[i];
	return NULL;
}

static size_t mount_value(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			  const struct sk_container_meta *m, struct sk_value *out)
{
	const struct sk_container_mount *mt = mount_select(f, m);
	if (!mt)
		return 0;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_CONTAINER_MOUNT: {
		struct sk_buf *b = sk_fields_scratch(c);
		if (sk_buf_printf(b, "%s:%s:%s:%s:%s", mt->source, mt->dest, mt->mode,
				  mt->rdwr ? "true" : "false", mt->propagation) < 0)
			return 0;
		return sk_val_buf(out, b);
	}
	case SK_F_CONTAINER_MOUNT_SOURCE:
		return sk_val_cstr(out, mt->source);
	case SK_F_CONTAINER_MOUNT_DEST:
		return sk_val_cstr(out, mt->dest);
	case SK_F_CONTAINER_MOUNT_MODE:
		return sk_val_cstr(out, mt->mode);
	case SK_F_CONTAINER_MOUNT_RDWR:
		return sk_val_cstr(out, mt->rdwr ? "true" : "false");
	default:
		return sk_val_cstr(out, mt->propagation);
	}
}

static size_t label_value(const struct sk_kv *kv, size_t n, const char *key, struct sk_value *out)
{
	if (!key)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return sk_val_cstr(out, kv[i].value);
	return 0;
}

/* The pod-level record: the container's own when it has pod data (CNI
 * result), else its sandbox's when known (the plugin's fallback). */
static const struct sk_container_meta *pod_meta(struct sk_eval_ctx *c,
						const struct sk_container_meta *m)
{
	if (*m->cni_json)
		return m;
	/* no sandbox: the plugin's lookup of "" finds its host entry */
	if (!*m->pod_sandbox_id || !c->state)
		return &sk_container_host_meta;
	char sid[13];
	sk_strlcpy(sid, m->pod_sandbox_id, sizeof(sid));
	const struct sk_container *sb = sk_state_container(c->state, sid);
	return sb && sb->meta ? sb->meta : NULL;
}

static size_t sandbox_id(const struct sk_container_meta *m, bool full, struct sk_value *out)
{
	size_t n = strlen(m->pod_sandbox_id);
	return sk_val_str(out, m->pod_sandbox_id, full || n < 12 ? n : 12);
}

static size_t k8s_value(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			const struct sk_container_meta *m, struct sk_value *out)
{
	const struct sk_container_meta *pm;
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_K8S_POD_NAME:
		return m->pod_name ? sk_val_cstr(out, m->pod_name) : 0;
	case SK_F_K8S_NS_NAME:
		return m->pod_ns ? sk_val_cstr(out, m->pod_ns) : 0;
	case SK_F_K8S_POD_ID: case SK_F_K8S_POD_UID:
		return m->pod_uid ? sk_val_cstr(out, m->pod_uid) : 0;
	case SK_F_K8S_POD_SANDBOX_ID:
		return sandbox_id(m, false, out);
	case SK_F_K8S_POD_FULL_SANDBOX_ID:
		return sandbox_id(m, true, out);
	case SK_F_K8S_POD_LABEL:
		pm = pod_meta(c, m);
		if (pm && pm != m && label_value(pm->pod_labels, pm->npod_labels, f->arg, out))
			return 1;
		return label_value(m->pod_labels, m->npod_labels, f->arg, out);
	case SK_F_K8S_POD_LABELS:
		pm = pod_meta(c, m);
		return sk_val_cstr(out, (pm ? pm : m)->pod_labels_str);
	case SK_F_K8S_POD_IP:
		pm = pod_meta(c, m);
		return pm ? sk_val_cstr(out, pm->ip) : 0;
	case SK_F_K8S_POD_CNI_JSON:
		pm = pod_meta(c, m);
		return pm ? sk_val_cstr(out, pm->cni_json) : 0;
	case SK_F_K8S_RS_NAME:
		return m->rs_name ? sk_val_cstr(out, m->rs_name) : 0;
	case SK_F_K8S_DEPLOYMENT_NAME:
		return m->deploy_name ? sk_val_cstr(out, m->deploy_name) : 0;
	default:
		return 0; /* deprecated k8s.* fields: never extracted, as in Falco */
	}
}

static size_t meta_value(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			 const struct sk_container_meta *m, struct sk_value *out)
{
	switch ((enum sk_field_id)f->def->id) {
	case SK_F_CONTAINER_ID:
		return sk_val_cstr(out, m->id);
	case SK_F_CONTAINER_FULL_ID:
		return sk_val_cstr(out, m->full_id);
	case SK_F_CONTAINER_NAME:
		return sk_val_cstr(out, m->name);
	case SK_F_CONTAINER_IMAGE:
		return sk_val_cstr(out, m->image);
	case SK_F_CONTAINER_IMAGE_ID:
		return sk_val_cstr(out, m->image_id);
	case SK_F_CONTAINER_TYPE:
		return sk_val_cstr(out, m->type_name);
	case SK_F_CONTAINER_PRIVILEGED:
		return sk_val_bool(out, m->privileged);
	case SK_F_CONTAINER_MOUNTS:
		return sk_val_cstr(out, m->mounts_str);
	case SK_F_CONTAINER_MOUNT: case SK_F_CONTAINER_MOUNT_SOURCE: case SK_F_CONTAINER_MOUNT_DEST:
	case SK_F_CONTAINER_MOUNT_MODE: case SK_F_CONTAINER_MOUNT_RDWR:
	case SK_F_CONTAINER_MOUNT_PROPAGATION:
		return mount_value(f, c, m, out);
	case SK_F_CONTAINER_IMAGE_REPOSITORY:
		return sk_val_cstr(out, m->image_repo);
	case SK_F_CONTAINER_IMAGE_TAG:
		return sk_val_cstr(out, m->image_tag);
	case SK_F_CONTAINER_IMAGE_DIGEST:
		return sk_val_cstr(out, m->image_digest);
	case SK_F_CONTAINER_IP:
		return sk_val_cstr(out, m->ip);
	case SK_F_CONTAINER_CNI_JSON:
		return sk_val_cstr(out, m->cni_json);
	case SK_F_CONTAINER_HOST_PID:
		return sk_val_bool(out, m->host_pid);
	case SK_F_CONTAINER_HOST_NETWORK:
		return sk_val_bool(out, m->host_network);
	case SK_F_CONTAINER_HOST_IPC:
		return sk_val_bool(out, m->host_ipc);
	case SK_F_CONTAINER_LABEL:
		return label_value(m->labels, m->nlabels, f->arg, out);
	case SK_F_CONTAINER_LABELS:
		return sk_val_cstr(out, m->labels_str);
	default:
		return k8s_value(f, c, m, out);
	}
}

/* container.start_ts / duration: the start of the thread's pid namespace
 * init, as the plugin (none on the host, where it is 0). */
static size_t start_value(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			  const struct sk_thread *t, struct sk_value *out)
{
	if (!t || !t->pidns_init_start_ts || !t->container)
		return 0;
	if (f->def->id == SK_F_CONTAINER_START_TS)
		return sk_val_u64(out, SK_PT_ABSTIME, t->pidns_init_start_ts);
	uint64_t ts = c->ev ? c->ev->ts : 0;
	return sk_val_u64(out, SK_PT_RELTIME, ts > t->pidns_init_start_ts ? ts - t->pidns_init_start_ts : 0);
}

size_t sk_fx_container(const struct sk_fieldref *f, struct sk_eval_ctx *c,
		       struct sk_value *out, size_t max)
{
	(void)max;
	uint16_t id = f->def->id;
	const struct sk_container_meta *m = c->state ? sk_state_event_container(c->state) : NULL;
	struct sk_thread *t = NULL;
	if (!m) {
		t = sk_fields_thread(c);
		if (!t)
			return 0;
		if (id == SK_F_CONTAINER_START_TS || id == SK_F_CONTAINER_DURATION)
			return start_value(f, c, t, out);
		m = sk_thread_container_meta(t);
		if (!m) /* in a container whose metadata is not known (yet) */
			return id == SK_F_CONTAINER_ID ? sk_val_cstr(out, sk_thread_container_id(t)) : 0;
	} else if (id == SK_F_CONTAINER_START_TS || id == SK_F_CONTAINER_DURATION) {
		return 0;
	}
	return meta_value(f, c, m, out);
}
