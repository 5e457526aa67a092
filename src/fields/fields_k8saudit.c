/* fields_k8saudit.c — the k8s_audit source's fields: ka.* (the k8saudit
 * plugin's) and jevt.* / json.* (the json plugin's), read from the audit
 * Event's JSON document (c->audit, a jansson json_t).
 *
 * Conventions (reference k8saudit.md §4): every value is a string; a JSON
 * string is returned unquoted, anything else as its compact JSON text. A
 * missing path is "no value". List fields yield one value per element and
 * an optional [N] keeps element N of the first array on the path. ka.*
 * fields have no value unless the document has a top-level "auditID".
 *
 * Values live in one scratch buffer of the context per extraction: every
 * text is appended there first and the pointers are fixed up at the end,
 * since appending may move the buffer. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "fields_priv.h"

/* ---- value accumulation ---------------------------------------------------- */

struct acc {
	struct sk_buf *b;
	struct sk_value *out;
	size_t max, n;
	bool failed;
};

static void acc_init(struct acc *a, struct sk_eval_ctx *c, struct sk_value *out, size_t max)
{
	a->b = sk_fields_scratch(c);
	a->out = out;
	a->max = max;
	a->n = 0;
	a->failed = false;
}

static int dump_cb(const char *buf, size_t size, void *data)
{
	return sk_buf_append(data, buf, size) < 0 ? -1 : 0;
}

/* Appends v's text (strings raw, others compact JSON) to b. */
static int put_json(struct sk_buf *b, const json_t *v, size_t flags)
{
	if (json_is_string(v))
		return sk_buf_append(b, json_string_value(v), json_string_length(v));
	return json_dump_callback(v, dump_cb, b, flags | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) ? -1
													     : 0;
}

/* Starts a value at the buffer's end; its text is what is appended until
 * the next acc_begin / acc_finish. */
static bool acc_begin(struct acc *a)
{
	if (a->n >= a->max || a->failed)
		return false;
	a->out[a->n].type = SK_PT_CHARBUF;
	a->out[a->n].str.p = (const char *)(uintptr_t)a->b->len; /* offset until finish */
	a->n++;
	return true;
}

static void acc_json(struct acc *a, const json_t *v)
{
	if (acc_begin(a) && put_json(a->b, v, JSON_COMPACT) < 0)
		a->failed = true;
}

static void acc_text(struct acc *a, const char *s, size_t n)
{
	if (acc_begin(a) && sk_buf_append(a->b, s, n) < 0)
		a->failed = true;
}

/* Turns offsets into pointers and lengths; returns the value count. */
static size_t acc_finish(struct acc *a)
{
	if (a->failed)
		return 0;
	const char *base = sk_buf_cstr(a->b);
	for (size_t i = 0; i < a->n; i++) {
		size_t off = (size_t)(uintptr_t)a->out[i].str.p;
		size_t end = i + 1 < a->n ? (size_t)(uintptr_t)a->out[i + 1].str.p : a->b->len;
		a->out[i].str.p = base + off;
		a->out[i].str.len = (uint32_t)(end - off);
	}
	return a->n;
}

/* One value: v's text, or no value when v is NULL. */
static size_t one(struct sk_eval_ctx *c, const json_t *v, struct sk_value *out)
{
	if (!v)
		return 0;
	if (json_is_string(v))
		return sk_val_str(out, json_string_value(v), json_string_length(v));
	struct acc a;
	acc_init(&a, c, out, 1);
	acc_json(&a, v);
	return acc_finish(&a);
}

/* ---- JSON navigation --------------------------------------------------------- */

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Follows object keys; NULL when one is missing or not an object. */
static json_t *jget(json_t *v, const char *const *path)
{
	for (; v && *path; path++)
		v = json_object_get(v, *path);
	return v;
}

/* RFC 6901 pointer (leading '/' optional; "" = the document). */
static json_t *jpointer(json_t *v, const char *ptr)
{
	char tok[512];
	const char *p = ptr;
	if (*p == '/')
		p++;
	else if (!*p)
		return v;
	for (;;) {
		size_t n = 0;
		for (; *p && *p != '/'; p++) {
			char ch = *p;
			if (ch == '~') {
				if (p[1] == '0')
					ch = '~';
				else if (p[1] == '1')
					ch = '/';
				else
					return NULL;
				p++;
			}
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = ch;
		}
		tok[n] = 0;
		if (json_is_object(v)) {
			v = json_object_get(v, tok);
		} else if (json_is_array(v)) {
			int64_t idx;
			if (sk_parse_i64(tok, &idx) < 0 || idx < 0)
				return NULL;
			v = json_array_get(v, (size_t)idx);
		} else {
			return NULL;
		}
		if (!v || !*p)
			return v;
		p++;
	}
}

/* The elements of the array at path to visit: all, or only [N]. */
struct span {
	json_t *arr;
	size_t from, to;
};

static bool span_of(json_t *arr, const struct sk_fieldref *f, struct span *s)
{
	if (!json_is_array(arr))
		return false;
	s->arr = arr;
	s->from = 0;
	s->to = json_array_size(arr);
	if (f->has_index) {
		if ((size_t)f->index >= s->to)
			return false;
		s->from = (size_t)f->index;
		s->to = s->from + 1;
	}
	return true;
}

/* ---- field families ---------------------------------------------------------- */

enum ctr_attr {
	CA_ARGS, CA_COMMAND, CA_NAME, CA_IMAGE, CA_IMAGE_REPO, CA_HOST_PORT, CA_PRIV, CA_APE,
	CA_ROFS, CA_RUN_AS_USER, CA_EFF_RUN_AS_USER, CA_RUN_AS_GROUP, CA_EFF_RUN_AS_GROUP,
	CA_PROC_MOUNT, CA_ADD_CAPS,
};

/* Image repository: the text before the first ':' then before the first '@'
 * (what the plugin does; a registry port is cut too). */
static size_t repo_len(const char *img, size_t len)
{
	size_t n = 0;
	while (n < len && img[n] != ':')
		n++;
	size_t m = 0;
	while (m < n && img[m] != '@')
		m++;
	return m;
}

/* Space-joined text of an array's elements (args, command). */
static void acc_joined(struct acc *a, const json_t *arr)
{
	if (!acc_begin(a))
		return;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		if ((i && sk_buf_putc(a->b, ' ') < 0) || put_json(a->b, e, JSON_COMPACT) < 0) {
			a->failed = true;
			return;
		}
	}
}

static const char *const sec_key[] = {
	[CA_PRIV] = "privileged",	   [CA_APE] = "allowPrivilegeEscalation",
	[CA_ROFS] = "readOnlyRootFilesystem", [CA_RUN_AS_USER] = "runAsUser",
	[CA_RUN_AS_GROUP] = "runAsGroup",  [CA_PROC_MOUNT] = "procMount",
	[CA_EFF_RUN_AS_USER] = "runAsUser", [CA_EFF_RUN_AS_GROUP] = "runAsGroup",
};

/* ka.req.pod.{containers,initContainers,ephemeralContainers}.ATTR */
static size_t fx_containers(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *doc,
			    const char *base, enum ctr_attr attr, struct sk_value *out, size_t max)
{
	json_t *spec = jget(doc, P("requestObject", "spec"));
	struct span s;
	if (!span_of(json_object_get(spec, base), f, &s))
		return 0;
	struct acc a;
	acc_init(&a, c, out, max);
	for (size_t i = s.from; i < s.to; i++) {
		json_t *ct = json_array_get(s.arr, i), *v;
		json_t *sec = json_object_get(ct, "securityContext");
		switch (attr) {
		case CA_ARGS:
		case CA_COMMAND:
			v = json_object_get(ct, attr == CA_ARGS ? "args" : "command");
			if (json_is_array(v))
				acc_joined(&a, v);
			else if (v)
				acc_json(&a, v);
			break;
		case CA_NAME:
		case CA_IMAGE:
		case CA_IMAGE_REPO:
			v = json_object_get(ct, attr == CA_NAME ? "name" : "image");
			if (!v)
				return 0; /* one container without it: no value at all */
			if (attr == CA_IMAGE_REPO && json_is_string(v))
				acc_text(&a, json_string_value(v),
					 repo_len(json_string_value(v), json_string_length(v)));
			else
				acc_json(&a, v);
			break;
		case CA_HOST_PORT: {
			size_t k;
			json_t *port;
			json_array_foreach(json_object_get(ct, "ports"), k, port) {
				json_t *hp = json_object_get(port, "hostPort");
				if (!hp)
					hp = json_object_get(port, "containerPort");
				if (hp)
					acc_json(&a, hp);
			}
			break;
		}
		case CA_EFF_RUN_AS_USER:
		case CA_EFF_RUN_AS_GROUP:
			v = json_object_get(sec, sec_key[attr]);
			if (!v)
				v = jget(spec, P("securityContext", sec_key[attr]));
			if (v)
				acc_json(&a, v);
			else
				acc_text(&a, "0", 1);
			break;
		case CA_ADD_CAPS:
			v = jget(sec, P("capabilities", "add"));
			if (v)
				acc_json(&a, v);
			break;
		default:
			v = json_object_get(sec, sec_key[attr]);
			if (v)
				acc_json(&a, v);
			break;
		}
	}
	return acc_finish(&a);
}

/* ka.req.container.privileged: "true" when any container is privileged. */
static size_t fx_any_privileged(struct sk_eval_ctx *c, json_t *doc, struct sk_value *out)
{
	(void)c;
	json_t *ctrs = jget(doc, P("requestObject", "spec", "containers"));
	if (!json_is_array(ctrs))
		return 0;
	size_t i;
	json_t *ct;
	json_array_foreach(ctrs, i, ct)
		if (json_is_true(jget(ct, P("securityContext", "privileged"))))
			return sk_val_cstr(out, "true");
	return sk_val_cstr(out, "false");
}

/* Each element of the array at path (ka.user.groups, supplemental groups,
 * binding subjects, role rules). */
static size_t fx_each(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *arr,
		      struct sk_value *out, size_t max)
{
	struct span s;
	if (!span_of(arr, f, &s))
		return 0;
	struct acc a;
	acc_init(&a, c, out, max);
	for (size_t i = s.from; i < s.to; i++)
		acc_json(&a, json_array_get(s.arr, i));
	return acc_finish(&a);
}

/* ka.req.binding.subjects.*_names: subjects of one kind; `ns` gives
 * "namespace:name". */
static size_t fx_subjects(struct sk_eval_ctx *c, json_t *doc, const char *kind, bool ns,
			  struct sk_value *out, size_t max)
{
	json_t *subs = jget(doc, P("requestObject", "subjects"));
	if (!json_is_array(subs))
		return 0;
	struct acc a;
	acc_init(&a, c, out, max);
	size_t i;
	json_t *sub;
	json_array_foreach(subs, i, sub) {
		const char *k = json_string_value(json_object_get(sub, "kind"));
		json_t *name = json_object_get(sub, "name");
		if (!k || strcmp(k, kind) || !name)
			continue;
		if (!acc_begin(&a))
			break;
		json_t *nsv = json_object_get(sub, "namespace");
		if (ns && ((nsv && put_json(a.b, nsv, JSON_COMPACT) < 0) || sk_buf_putc(a.b, ':') < 0))
			a.failed = true;
		if (put_json(a.b, name, JSON_COMPACT) < 0)
			a.failed = true;
	}
	return acc_finish(&a);
}

/* Flattens key of every element of the array at `arr` (role rules' verbs,
 * resources ...; volumes' hostPath.path ...): [N] keeps element N. */
static size_t fx_flatten(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *arr,
			 const char *const *key, struct sk_value *out, size_t max)
{
	struct span s;
	if (!span_of(arr, f, &s))
		return 0;
	struct acc a;
	acc_init(&a, c, out, max);
	for (size_t i = s.from; i < s.to; i++) {
		json_t *v = jget(json_array_get(s.arr, i), key);
		if (json_is_array(v)) {
			size_t k;
			json_t *e;
			json_array_foreach(v, k, e)
				acc_json(&a, e);
		} else if (v) {
			acc_json(&a, v);
		}
	}
	return acc_finish(&a);
}

/* ka.req.pod.volumes.volume_type: every key of each volume but "name". */
static size_t fx_volume_types(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *doc,
			      struct sk_value *out, size_t max)
{
	struct span s;
	if (!span_of(jget(doc, P("requestObject", "spec", "volumes")), f, &s))
		return 0;
	struct acc a;
	acc_init(&a, c, out, max);
	for (size_t i = s.from; i < s.to; i++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_array_get(s.arr, i), k, v)
			if (strcmp(k, "name"))
				acc_text(&a, k, strlen(k));
	}
	return acc_finish(&a);
}

/* ka.req.volume.hostpath[PATH]: "true" when a hostPath volume is PATH (or
 * starts with it when PATH ends in '*'). */
static size_t fx_volume_hostpath(const struct sk_fieldref *f, json_t *doc, struct sk_value *out)
{
	json_t *vols = jget(doc, P("requestObject", "spec", "volumes"));
	if (!json_is_array(vols))
		return 0;
	size_t alen = strlen(f->arg);
	bool prefix = alen && f->arg[alen - 1] == '*';
	size_t i;
	json_t *vol;
	json_array_foreach(vols, i, vol) {
		const char *p = json_string_value(jget(vol, P("hostPath", "path")));
		if (p && (prefix ? !strncmp(p, f->arg, alen - 1) : !strcmp(p, f->arg)))
			return sk_val_cstr(out, "true");
	}
	return sk_val_cstr(out, "false");
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Appends the query-decoded s[0..n) ('+' is a space, %XX a byte). */
static int unescape(struct sk_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (sk_buf_putc(b, ch) < 0)
			return -1;
	}
	return 0;
}

/* ka.uri.param[KEY]: the first value of KEY in the request URI's query. */
static size_t fx_uri_param(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *doc,
			   struct sk_value *out)
{
	const char *uri = json_string_value(json_object_get(doc, "requestURI"));
	const char *q = uri ? strchr(uri, '?') : NULL;
	if (!q)
		return 0;
	struct sk_buf *key = sk_fields_scratch(c);
	for (const char *p = q + 1; *p;) {
		const char *end = p + strcspn(p, "&;");
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq ? eq : end;
		sk_buf_reset(key);
		if (unescape(key, p, (size_t)(kend - p)) < 0)
			return 0;
		if (!strcmp(sk_buf_cstr(key), f->arg)) {
			struct acc a;
			acc_init(&a, c, out, 1);
			if (acc_begin(&a) && eq && unescape(a.b, eq + 1, (size_t)(end - eq - 1)) < 0)
				a.failed = true;
			return acc_finish(&a);
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* ---- the table of plain JSON locations -------------------------------------- */

/* Fields that read one JSON location, by field id (NULL: not such a field). */
static const char *const *const plain_path[SK_F_COUNT] = {
	[SK_F_KA_AUDITID] = P("auditID"),
	[SK_F_KA_STAGE] = P("stage"),
	[SK_F_KA_AUTH_DECISION] = P("annotations", "authorization.k8s.io/decision"),
	[SK_F_KA_AUTH_REASON] = P("annotations", "authorization.k8s.io/reason"),
	[SK_F_KA_AUTH_OPENSHIFT_DECISION] = P("annotations", "authentication.openshift.io/decision"),
	[SK_F_KA_VALIDATIONS_ADMISSION_POLICY_FAILURE] = P("annotations", "validation.policy.admission.k8s.io/validation_failure"),
	[SK_F_KA_SECURITY_POD_VIOLATIONS] = P("annotations", "pod-security.kubernetes.io/audit-violations"),
	[SK_F_KA_AUTH_OPENSHIFT_USERNAME] = P("annotations", "authentication.openshift.io/username"),
	[SK_F_KA_USER_NAME] = P("user", "username"),
	[SK_F_KA_IMPUSER_NAME] = P("impersonatedUser", "username"),
	[SK_F_KA_VERB] = P("verb"),
	[SK_F_KA_URI] = P("requestURI"),
	[SK_F_KA_TARGET_NAME] = P("objectRef", "name"),
	[SK_F_KA_TARGET_NAMESPACE] = P("objectRef", "namespace"),
	[SK_F_KA_TARGET_RESOURCE] = P("objectRef", "resource"),
	[SK_F_KA_TARGET_SUBRESOURCE] = P("objectRef", "subresource"),
	[SK_F_KA_REQ_BINDING_ROLE] = P("requestObject", "roleRef", "name"),
	[SK_F_KA_REQ_CONFIGMAP_NAME] = P("objectRef", "name"),
	[SK_F_KA_REQ_CONFIGMAP_OBJ] = P("requestObject", "data"),
	[SK_F_KA_REQ_POD_HOST_IPC] = P("requestObject", "spec", "hostIPC"),
	[SK_F_KA_REQ_POD_HOST_NETWORK] = P("requestObject", "spec", "hostNetwork"),
	[SK_F_KA_REQ_CONTAINER_HOST_NETWORK] = P("requestObject", "spec", "hostNetwork"),
	[SK_F_KA_REQ_POD_HOST_PID] = P("requestObject", "spec", "hostPID"),
	[SK_F_KA_REQ_POD_RUN_AS_USER] = P("requestObject", "spec", "securityContext", "runAsUser"),
	[SK_F_KA_REQ_POD_RUN_AS_GROUP] = P("requestObject", "spec", "securityContext", "runAsGroup"),
	[SK_F_KA_REQ_POD_FS_GROUP] = P("requestObject", "spec", "securityContext", "fsGroup"),
	[SK_F_KA_REQ_SERVICE_TYPE] = P("requestObject", "spec", "type"),
	[SK_F_KA_REQ_SERVICE_PORTS] = P("requestObject", "spec", "ports"),
	[SK_F_KA_RESP_NAME] = P("responseObject", "metadata", "name"),
	[SK_F_KA_RESPONSE_CODE] = P("responseStatus", "code"),
	[SK_F_KA_RESPONSE_REASON] = P("responseStatus", "reason"),
	[SK_F_KA_USERAGENT] = P("userAgent"),
	[SK_F_KA_CLUSTER_NAME] = P("annotations", "cluster_name"),
};

/* The container families: three bases, each with its attributes. */
struct ctr_field {
	uint8_t base; /* 1 containers, 2 initContainers, 3 ephemeralContainers; 0 = none */
	uint8_t attr;
};

#define CTR3(ATTR, CA)                                                                          \
	[SK_F_KA_REQ_POD_CONTAINERS_##ATTR] = {1, CA},                                          \
	[SK_F_KA_REQ_POD_INITCONTAINERS_##ATTR] = {2, CA},                                      \
	[SK_F_KA_REQ_POD_EPHEMERALCONTAINERS_##ATTR] = {3, CA}

/* The container families, by field id. */
static const struct ctr_field ctr_fields[SK_F_COUNT] = {
	CTR3(ARGS, CA_ARGS),
	CTR3(COMMAND, CA_COMMAND),
	CTR3(NAME, CA_NAME),
	CTR3(IMAGE, CA_IMAGE),
	CTR3(IMAGE_REPOSITORY, CA_IMAGE_REPO),
	CTR3(PRIVILEGED, CA_PRIV),
	CTR3(ALLOW_PRIVILEGE_ESCALATION, CA_APE),
	CTR3(READ_ONLY_FS, CA_ROFS),
	CTR3(RUN_AS_USER, CA_RUN_AS_USER),
	CTR3(EFF_RUN_AS_USER, CA_EFF_RUN_AS_USER),
	CTR3(RUN_AS_GROUP, CA_RUN_AS_GROUP),
	CTR3(EFF_RUN_AS_GROUP, CA_EFF_RUN_AS_GROUP),
	CTR3(PROC_MOUNT, CA_PROC_MOUNT),
	CTR3(ADD_CAPABILITIES, CA_ADD_CAPS),
	[SK_F_KA_REQ_POD_CONTAINERS_HOST_PORT] = {1, CA_HOST_PORT},
	[SK_F_KA_REQ_POD_INITCONTAINERS_HOST_PORT] = {2, CA_HOST_PORT},
};

static const char *const ctr_base[] = {"", "containers", "initContainers",
					"ephemeralContainers"};

/* jevt.* / json.*: any JSON document. */
static size_t fx_jevt(const struct sk_fieldref *f, struct sk_eval_ctx *c, json_t *doc,
		      struct sk_value *out)
{
	struct acc a;
	switch (f->def->id) {
	case SK_F_JEVT_VALUE:
	case SK_F_JSON_VALUE:
		return one(c, jpointer(doc, f->arg), out);
	case SK_F_JEVT_OBJ:
	case SK_F_JSON_OBJ:
		acc_init(&a, c, out, 1);
		if (acc_begin(&a) && put_json(a.b, doc, JSON_INDENT(2)) < 0)
			a.failed = true;
		return acc_finish(&a);
	default: /* rawtime */
		acc_init(&a, c, out, 1);
		if (acc_begin(&a) && sk_buf_printf(a.b, "%llu", (unsigned long long)c->audit_ts) < 0)
			a.failed = true;
		return acc_finish(&a);
	}
}

size_t sk_fx_k8saudit(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		      size_t max)
{
	json_t *doc = (json_t *)c->audit;
	if (!doc)
		return 0;
	uint16_t id = f->def->id;
	if (id >= SK_F_COUNT)
		return 0;
	if (id >= SK_F_JEVT_VALUE)
		return fx_jevt(f, c, doc, out);
	if (!json_object_get(doc, "auditID"))
		return 0; /* not an audit event: no ka.* value (as the plugin) */
	if (plain_path[id]) {
		json_t *v = jget(doc, plain_path[id]);
		if (id == SK_F_KA_REQ_SERVICE_PORTS && v && max) {
			/* the whole array as one element, whatever [N] says */
			struct acc a;
			acc_init(&a, c, out, 1);
			acc_json(&a, v);
			return acc_finish(&a);
		}
		return one(c, v, out);
	}
	if (ctr_fields[id].base)
		return fx_containers(f, c, doc, ctr_base[ctr_fields[id].base],
				     (enum ctr_attr)ctr_fields[id].attr, out, max);
	json_t *ro = json_object_get(doc, "requestObject");
	json_t *v;
	switch (id) {
	case SK_F_KA_USER_GROUPS:
		return fx_each(f, c, jget(doc, P("user", "groups")), out, max);
	case SK_F_KA_URI_PARAM:
		return fx_uri_param(f, c, doc, out);
	case SK_F_KA_TARGET_POD_NAME: {
		const char *res = json_string_value(jget(doc, P("objectRef", "resource")));
		if (!res || strcmp(res, "pods") || jget(doc, P("objectRef", "subresource")))
			return 0;
		return one(c, jget(doc, P("responseObject", "metadata", "name")), out);
	}
	case SK_F_KA_REQ_BINDING_SUBJECTS:
		return fx_each(f, c, json_object_get(ro, "subjects"), out, max);
	case SK_F_KA_REQ_BINDING_SUBJECTS_USER_NAMES:
		return fx_subjects(c, doc, "User", false, out, max);
	case SK_F_KA_REQ_BINDING_SUBJECTS_SERVICEACCOUNT_NAMES:
		return fx_subjects(c, doc, "ServiceAccount", false, out, max);
	case SK_F_KA_REQ_BINDING_SUBJECTS_SERVICEACCOUNT_NS_NAMES:
		return fx_subjects(c, doc, "ServiceAccount", true, out, max);
	case SK_F_KA_REQ_BINDING_SUBJECTS_GROUP_NAMES:
		return fx_subjects(c, doc, "Group", false, out, max);
	case SK_F_KA_REQ_BINDING_SUBJECT_HAS_NAME:
		return sk_val_cstr(out, "true"); /* legacy: a constant in the plugin */
	case SK_F_KA_REQ_CONTAINER_IMAGE:
	case SK_F_KA_REQ_CONTAINER_IMAGE_REPOSITORY:
		v = json_array_get(jget(ro, P("spec", "containers")), 0);
		v = json_object_get(v, "image");
		if (id == SK_F_KA_REQ_CONTAINER_IMAGE || !json_is_string(v))
			return one(c, v, out);
		return sk_val_str(out, json_string_value(v),
				  repo_len(json_string_value(v), json_string_length(v)));
	case SK_F_KA_REQ_CONTAINER_PRIVILEGED:
		return fx_any_privileged(c, doc, out);
	case SK_F_KA_REQ_ROLE_RULES:
		return fx_each(f, c, json_object_get(ro, "rules"), out, max);
	case SK_F_KA_REQ_ROLE_RULES_APIGROUPS:
		return fx_flatten(f, c, json_object_get(ro, "rules"), P("apiGroups"), out, max);
	case SK_F_KA_REQ_ROLE_RULES_NONRESOURCEURLS:
		return fx_flatten(f, c, json_object_get(ro, "rules"), P("nonResourceURLs"), out, max);
	case SK_F_KA_REQ_ROLE_RULES_VERBS:
		return fx_flatten(f, c, json_object_get(ro, "rules"), P("verbs"), out, max);
	case SK_F_KA_REQ_ROLE_RULES_RESOURCES:
		return fx_flatten(f, c, json_object_get(ro, "rules"), P("resources"), out, max);
	case SK_F_KA_SOURCEIPS: /* sic: the plugin reads the role rules' sourceIPs */
		return fx_flatten(f, c, json_object_get(ro, "rules"), P("sourceIPs"), out, max);
	case SK_F_KA_REQ_POD_SUPPLEMENTAL_GROUPS:
		return fx_each(f, c, jget(ro, P("spec", "securityContext", "supplementalGroups")), out,
			       max);
	case SK_F_KA_REQ_POD_VOLUMES_HOSTPATH:
		return fx_flatten(f, c, jget(ro, P("spec", "volumes")), P("hostPath", "path"), out,
				  max);
	case SK_F_KA_REQ_POD_VOLUMES_FLEXVOLUME_DRIVER:
		return fx_flatten(f, c, jget(ro, P("spec", "volumes")), P("flexVolume", "driver"), out,
				  max);
	case SK_F_KA_REQ_POD_VOLUMES_VOLUME_TYPE:
		return fx_volume_types(f, c, doc, out, max);
	case SK_F_KA_REQ_VOLUME_HOSTPATH:
		return fx_volume_hostpath(f, doc, out);
	default:
		return 0;
	}
}
