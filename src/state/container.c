/* container.c — container identity from cgroup paths, matching the container
 * plugin's cgroup matchers (podman, docker, cri, containerd, lxc,
 * libvirt-lxc, bpm, in that order), and the interned container table. */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

#define ID_LEN 64
#define SHORT_LEN 12

struct layout {
	const char *prefix, *suffix;
};

static const struct layout podman_layout[] = {
	{"/libpod-", ".scope"},
	{"/libpod-", ".scope/container"},
	{"/libpod-", ""},
	{"/libpod-payload-", ".scope"},
	{"/libpod-payload-", ".scope/container"},
	{"/libpod-payload-", ""},
	{NULL, NULL},
};

static const struct layout docker_layout[] = {
	{"/", ""},
	{"/docker-", ".scope"},
	{NULL, NULL},
};

static const struct layout cri_layout[] = {
	{"/", ""},
	{"/crio-", ""},
	{"/cri-containerd-", ".scope"},
	{"/crio-", ".scope"},
	{":cri-containerd:", ""},
	{"/docker-", ".scope"},
	{"/nerdctl-", ".scope"},
	{NULL, NULL},
};

/* Last occurrence of needle in hay[0..n), or SIZE_MAX. */
static size_t rfind(const char *hay, size_t n, const char *needle, size_t nl)
{
	if (nl > n)
		return SIZE_MAX;
	for (size_t i = n - nl + 1; i-- > 0;)
		if (!memcmp(hay + i, needle, nl))
			return i;
	return SIZE_MAX;
}

static size_t find(const char *hay, size_t n, const char *needle, size_t nl, size_t from)
{
	if (nl > n)
		return SIZE_MAX;
	for (size_t i = from; i + nl <= n; i++)
		if (!memcmp(hay + i, needle, nl))
			return i;
	return SIZE_MAX;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);
	return n >= l && !memcmp(s + n - l, suf, l);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void put_id(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The plugin's runc-style matcher for one prefix/suffix pair. Quirks kept:
 * the suffix is searched from the end of the whole path, and the hex check
 * compares the absolute position of the first non-hex char with 64. */
static bool match_one(const char *cg, size_t n, const char *prefix, const char *suffix,
		      bool containerd, char id[65], char full[129])
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	size_t start = rfind(cg, n, prefix, pl);
	if (start == SIZE_MAX)
		return false;
	start += pl;
	size_t end;
	if (!sl) {
		end = n;
	} else {
		end = rfind(cg, n, suffix, sl);
		if (end == SIZE_MAX)
			return false;
	}
	size_t len = end - start; /* wraps like size_t in the plugin */
	if (len == ID_LEN) {
		size_t first_bad = start;
		while (first_bad < n && is_hex(cg[first_bad]))
			first_bad++;
		if (first_bad == n || first_bad >= ID_LEN) {
			put_id(id, 65, cg + start, SHORT_LEN);
			put_id(full, 129, cg + start, ID_LEN);
			return true;
		}
	}
	if (len > ID_LEN || len == 0)
		return false;
	if (containerd && !ends_with(cg, n, ".service") && !ends_with(cg, n, ".slice") &&
	    !ends_with(cg, n, ".scope")) {
		put_id(id, 65, cg + start, len >= SHORT_LEN ? SHORT_LEN : len);
		put_id(full, 129, cg + start, len);
		return true;
	}
	return false;
}

static bool match_layouts(const char *cg, size_t n, const struct layout *l, bool containerd,
			  char id[65], char full[129])
{
	for (; l->prefix; l++)
		if (match_one(cg, n, l->prefix, l->suffix, containerd, id, full))
			return true;
	return false;
}

static bool ns_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* containerd (ctr): the first "/ns/" where ns matches
 * [A-Za-z0-9]+([._-][A-Za-z0-9]+)* delimited by slashes, used as prefix. */
static bool match_containerd(const char *cg, size_t n, char id[65], char full[129])
{
	for (size_t i = 0; i < n; i++) {
		if (cg[i] != '/')
			continue;
		size_t j = i + 1;
		bool ok = false;
		while (j < n) {
			size_t k = j;
			while (k < n && ns_char(cg[k]))
				k++;
			if (k == j)
				break;
			j = k;
			if (j < n && cg[j] == '/') {
				ok = true;
				break;
			}
			if (j < n && (cg[j] == '.' || cg[j] == '_' || cg[j] == '-') && j + 1 < n &&
			    ns_char(cg[j + 1])) {
				j++;
				continue;
			}
			break;
		}
		if (!ok)
			continue;
		char prefix[4096];
		size_t pl = j + 1 - i;
		if (pl >= sizeof(prefix))
			return false;
		memcpy(prefix, cg + i, pl);
		prefix[pl] = 0;
		return match_one(cg, n, prefix, "", true, id, full);
	}
	return false;
}

static bool match_lxc(const char *cg, size_t n, char id[65], char full[129])
{
	static const char *const pats[] = {"/lxc/", "/lxc.payload/", "/lxc.payload."};
	for (size_t p = 0; p < SK_ARRAY_LEN(pats); p++) {
		size_t pl = strlen(pats[p]);
		size_t pos = find(cg, n, pats[p], pl, 0);
		if (pos == SIZE_MAX)
			continue;
		size_t s = pos + pl, e = s;
		while (e < n && cg[e] != '/')
			e++;
		put_id(id, 65, cg + s, e - s);
		put_id(full, 129, cg + s, e - s);
		return true;
	}
	return false;
}

static bool match_libvirt(const char *cg, size_t n, char id[65], char full[129])
{
	static const char lx[] = ".libvirt-lxc";
	size_t pos = find(cg, n, lx, sizeof(lx) - 1, 0);
	if (pos != SIZE_MAX && pos == n - (sizeof(lx) - 1)) {
		size_t p2 = rfind(cg, n, "/", 1);
		if (p2 != SIZE_MAX) {
			size_t l = pos - p2 - 1;
			put_id(id, 65, cg + p2 + 1, l);
			put_id(full, 129, cg + p2 + 1, l);
			return true;
		}
	}
	static const char sx[] = "-lxc\\x2";
	pos = find(cg, n, sx, sizeof(sx) - 1, 0);
	if (pos != SIZE_MAX) {
		const char *delim =
			find(cg, n, ".scope/libvirt", 14, 0) != SIZE_MAX ? ".scope/libvirt" : ".scope";
		size_t dl = strlen(delim);
		size_t p2 = find(cg, n, delim, dl, 0);
		if (p2 != SIZE_MAX && p2 == n - dl && p2 >= pos + sizeof(sx)) {
			/* the plugin skips sizeof("-lxc\\x2") = 8 chars (incl. the 'd') */
			size_t s = pos + sizeof(sx);
			put_id(id, 65, cg + s, p2 - s);
			put_id(full, 129, cg + s, p2 - s);
			return true;
		}
	}
	static const char lg[] = "/libvirt/lxc/";
	pos = find(cg, n, lg, sizeof(lg) - 1, 0);
	if (pos != SIZE_MAX) {
		size_t s = pos + sizeof(lg) - 1;
		put_id(id, 65, cg + s, n - s);
		put_id(full, 129, cg + s, n - s);
		return true;
	}
	return false;
}

static bool match_bpm(const char *cg, size_t n, char id[65], char full[129])
{
	size_t pos = find(cg, n, "bpm-", 4, 0);
	if (pos == SIZE_MAX)
		return false;
	size_t s = pos + 4, e = find(cg, n, ".scope", 6, s);
	if (e == SIZE_MAX)
		e = n;
	if (e == s)
		return false;
	for (size_t i = s; i < e; i++) {
		char c = cg[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'V') ||
			  (c >= 'W' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '-';
		if (!ok)
			return false;
	}
	put_id(id, 65, cg + s, e - s);
	put_id(full, 129, cg + s, e - s);
	return true;
}

bool sk_container_match_cgroup(const char *path, size_t len, char id[65], char full_id[129],
			       const char **type)
{
	const char *eq = memchr(path, '=', len);
	if (eq) {
		len -= (size_t)(eq + 1 - path);
		path = eq + 1;
	}
	if (!len)
		return false;
	id[0] = full_id[0] = 0;
	if (match_layouts(path, len, podman_layout, false, id, full_id)) {
		*type = "podman";
		return true;
	}
	if (match_layouts(path, len, docker_layout, false, id, full_id)) {
		*type = "docker";
		return true;
	}
	if (match_layouts(path, len, cri_layout, false, id, full_id)) {
		*type = "cri";
		return true;
	}
	if (match_containerd(path, len, id, full_id)) {
		*type = "containerd";
		return true;
	}
	if (match_lxc(path, len, id, full_id)) {
		*type = "lxc";
		return true;
	}
	if (match_libvirt(path, len, id, full_id)) {
		*type = "libvirt-lxc";
		return true;
	}
	if (match_bpm(path, len, id, full_id)) {
		*type = "bpm";
		return true;
	}
	return false;
}

void sk_state_container_unref(struct sk_state *st, const struct sk_container *cc)
{
	struct sk_container *c = (struct sk_container *)cc;
	if (!c || --c->refs)
		return;
	/* a container with metadata stays until the runtime says it is gone
	 * (container_removed) or room is needed; without, only while under half
	 * the bound. One the runtime removed before its threads' exits were read
	 * (runtime records and probe events come by different paths) goes now. */
	if (c->removed || (!c->meta && st->containers.count > st->cfg.max_containers / 2)) {
		sk_strmap_deln(&st->containers, c->id, strlen(c->id));
		sk_container_free(st, c);
	}
}

/* Asks the program layer (once) for metadata of a container without any. */
static void want_meta(struct sk_state *st, struct sk_container *c)
{
	if (c->meta || c->requested || !st->ctr_hook)
		return;
	c->requested = true;
	st->ctr_hook(st->ctr_hook_ctx, c->id, c->full_id, c->type);
}

void sk_state_thread_container(struct sk_state *st, struct sk_thread *t)
{
	char id[65], full[129];
	const char *type = NULL;
	bool found = false;
	const char *p = t->cgroups.s;
	size_t n = t->cgroups.len, i = 0;
	while (i < n && !found) {
		size_t e = i;
		while (e < n && p[e])
			e++;
		found = sk_container_match_cgroup(p + i, e - i, id, full, &type) && id[0];
		i = e + 1;
	}
	const struct sk_container *old = t->container;
	if (!found) {
		t->container = NULL;
		sk_state_container_unref(st, old);
		return;
	}
	if (old && !strcmp(old->id, id))
		return;
	struct sk_container *c = sk_state_container_get_or_add(st, id, full, type);
	if (!c) {
		t->container = NULL;
		sk_state_container_unref(st, old);
		return;
	}
	c->refs++;
	t->container = c;
	sk_state_container_unref(st, old);
	want_meta(st, c);
}
