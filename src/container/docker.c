/* docker.c — the Docker Engine API engine: dockerd and podman's
 * Docker-compatible service, over a unix socket, with libcurl and jansson.
 *
 * Calls: GET /_ping (constructor), /containers/{id}/json and
 * /images/{id}/json (inspect), /containers/json (list), /events (watch), all
 * under /v1.40, which dockerd 20.10 (API 1.41) and podman 4.3 (1.41) serve.
 * Field mapping follows the container plugin's docker and podman engines, so
 * records match Falco's, with three deliberate differences: podman's port
 * mappings are read (the plugin's podman engine never fills them), the
 * "container:<id>" network IP lookup is done for podman too, and list
 * reports running containers only (what the client needs at start-up).
 *
 * Thread safety: the engine holds no mutable state; every call makes its own
 * CURL handle, so calls may run concurrently. Everything read from the socket
 * is untrusted: bodies are bounded, every JSON member is type-checked, and
 * every call ends within cfg->timeout_ms (watch: within timeout_ms of stop). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <curl/curl.h>

#include "container_int.h"

#define SK_DOCKER_API "/v1.40"
#define SK_DOCKER_MAX_BODY ((size_t)8 << 20)   /* one inspect document */
#define SK_DOCKER_MAX_LIST ((size_t)64 << 20)  /* /containers/json under churn */
#define SK_DOCKER_MAX_LINE ((size_t)1 << 20)   /* one event of /events */
#define SK_DOCKER_MAX_ID 128                   /* ids and names we ask about */
#define SK_DOCKER_POLL_MS 50                   /* watch: how often `stop` is read */
#define SK_DEFAULT_CPU_PERIOD 100000           /* the plugin's defaults */
#define SK_DEFAULT_CPU_SHARES 1024
#define SK_DOCKER_TIMEOUT_MS 2000              /* when the config says 0 */

struct sk_docker {
	struct sk_ctr_engine base; /* first: the client sees only this */
	int type;                  /* SK_CT_DOCKER or SK_CT_PODMAN */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe: run it once, before any handle. */
static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The per-call budget: cfg->timeout_ms, or the default when unset. */
static unsigned call_timeout_ms(const struct sk_ctr_engine *e)
{
	return e->cfg && e->cfg->timeout_ms ? e->cfg->timeout_ms : SK_DOCKER_TIMEOUT_MS;
}

static uint64_t deadline_of(const struct sk_ctr_engine *e)
{
	return sk_ctr_mono_ns() + (uint64_t)call_timeout_ms(e) * 1000000ull;
}

/* ---- HTTP over the unix socket ------------------------------------------- */

/* A response being received: the body, bounded by buf.max. */
struct sk_http_body {
	struct sk_buf buf;
	bool overflow;
};

static size_t body_write(char *p, size_t size, size_t n, void *ud)
{
	struct sk_http_body *b = ud;
	if (sk_buf_append(&b->buf, p, size * n) < 0) {
		b->overflow = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* Maps a libcurl failure to a negative errno. */
static int curl_errno(CURLcode rc, bool overflow)
{
	if (overflow)
		return -E2BIG;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED: return -E2BIG;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		return -EPROTO;
	default: return -EIO;
	}
}

/* A handle for `path` on the engine's socket, or NULL (out of memory). The
 * caller sets the body callback and the timeouts. */
static CURL *http_handle(const struct sk_docker *d, const char *path, char *url, size_t urllen)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	snprintf(url, urllen, "http://localhost%s", path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, d->base.socket);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* client threads: no SIGALRM */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
	/* never through a proxy named by http_proxy & co. in the environment */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	return h;
}

/* GETs `path` within `timeout_ms` into `b` (its max bounds the body) and
 * stores the HTTP status. Transport errors return a negative errno with
 * `err` set; any status is a success here (the caller judges it). */
static int http_get(const struct sk_docker *d, const char *path, unsigned timeout_ms,
		    struct sk_http_body *b, long *status, struct sk_err *err)
{
	char url[SK_DOCKER_MAX_ID * 3 + 128];
	*status = 0;
	if (timeout_ms == 0)
		return sk_err_set(err, -ETIMEDOUT, "%s: GET %s: no time left", d->base.socket, path);
	CURL *h = http_handle(d, path, url, sizeof(url));
	if (!h)
		return sk_err_set(err, -ENOMEM, "%s: GET %s: out of memory", d->base.socket, path);
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->buf.max);
	CURLcode rc = curl_easy_perform(h);
	int ret = 0;
	if (rc != CURLE_OK) {
		ret = curl_errno(rc, b->overflow);
		sk_err_set(err, ret, "%s: GET %s: %s", d->base.socket, path,
			   b->overflow ? "response larger than the limit"
				       : (ebuf[0] ? ebuf : curl_easy_strerror(rc)));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	}
	curl_easy_cleanup(h);
	return ret;
}

/* Milliseconds left before `deadline` (CLOCK_MONOTONIC ns), 0 if none. */
static unsigned ms_left(uint64_t deadline)
{
	uint64_t now = sk_ctr_mono_ns();
	return now >= deadline ? 0 : (unsigned)((deadline - now + 999999) / 1000000);
}

/* The API's error message ({"message": "..."}) or the body's start. */
static void api_message(const struct sk_http_body *b, char *out, size_t len)
{
	json_t *doc = json_loadb(b->buf.data ? b->buf.data : "", b->buf.len, 0, NULL);
	const char *m = json_string_value(json_object_get(doc, "message"));
	if (m) {
		sk_strlcpy(out, m, len);
	} else {
		size_t k = 0;
		for (; k + 1 < len && k < b->buf.len && k < 120; k++) {
			unsigned char c = (unsigned char)b->buf.data[k];
			out[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		out[k] = 0;
	}
	json_decref(doc);
}

/* GETs `path` and parses the JSON body into *out, which must be of JSON type
 * `want`. 404 gives -ENOENT, other non-200 statuses -EIO, bad JSON -EPROTO. */
static int api_get_json(const struct sk_docker *d, const char *path, size_t max,
			uint64_t deadline, json_type want, json_t **out, struct sk_err *err)
{
	struct sk_http_body b = {.overflow = false};
	sk_buf_init(&b.buf, max);
	long status;
	*out = NULL;
	int rc = http_get(d, path, ms_left(deadline), &b, &status, err);
	if (rc < 0)
		goto done;
	if (status != 200) {
		char msg[160];
		api_message(&b, msg, sizeof(msg));
		rc = sk_err_set(err, status == 404 ? -ENOENT : -EIO, "%s: GET %s: HTTP %ld: %s",
				d->base.socket, path, status, msg);
		goto done;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(b.buf.data ? b.buf.data : "", b.buf.len, 0, &jerr);
	if (!doc) {
		rc = sk_err_set(err, -EPROTO, "%s: GET %s: bad JSON at byte %d: %s", d->base.socket,
				path, jerr.position, jerr.text);
		goto done;
	}
	if (json_typeof(doc) != want) {
		json_decref(doc);
		rc = sk_err_set(err, -EPROTO, "%s: GET %s: the document is not a JSON %s",
				d->base.socket, path, want == JSON_ARRAY ? "array" : "object");
		goto done;
	}
	*out = doc;
done:
	sk_buf_done(&b.buf);
	return rc;
}

/* ---- typed access to untrusted JSON -------------------------------------- */

/* A member lookup that tells "absent" (or null: docker writes null for empty
 * maps and lists) from "wrong type". `where` names the document in errors. */
struct sk_jctx {
	const char *where;
	struct sk_err *err;
};

/* *out = o[key] if it is of type `want`; NULL if absent/null (returns 0);
 * -EPROTO if present with another type. A non-object `o` reads as absent. */
static int j_get(const struct sk_jctx *c, json_t *o, const char *key, json_type want,
		 json_t **out)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	bool ok = json_typeof(v) == want ||
		  (want == JSON_TRUE && json_is_boolean(v));
	if (!ok)
		return sk_err_set(c->err, -EPROTO, "%s: member %s has the wrong JSON type",
				  c->where, key);
	*out = v;
	return 0;
}

/* A string member, copied (absent -> ""). */
static int j_str(const struct sk_jctx *c, json_t *o, const char *key, char **out)
{
	json_t *v;
	int rc = j_get(c, o, key, JSON_STRING, &v);
	if (rc < 0)
		return rc;
	*out = strdup(v ? json_string_value(v) : "");
	return *out ? 0 : sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
}

/* A string member, borrowed (absent -> ""). */
static int j_cstr(const struct sk_jctx *c, json_t *o, const char *key, const char **out)
{
	json_t *v;
	int rc = j_get(c, o, key, JSON_STRING, &v);
	*out = v ? json_string_value(v) : "";
	return rc;
}

static int j_bool(const struct sk_jctx *c, json_t *o, const char *key, bool *out)
{
	json_t *v;
	int rc = j_get(c, o, key, JSON_TRUE, &v);
	*out = v && json_is_true(v);
	return rc;
}

static int j_int(const struct sk_jctx *c, json_t *o, const char *key, int64_t *out)
{
	json_t *v;
	int rc = j_get(c, o, key, JSON_INTEGER, &v);
	*out = v ? (int64_t)json_integer_value(v) : 0;
	return rc;
}

/* ---- field conversions ---------------------------------------------------- */

static bool is_hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* Ids and names go into a URL path: accept only what docker and podman allow
 * in them (letters, digits, '_', '.', '-'), so nothing needs escaping. */
static bool id_ok(const char *id)
{
	size_t n = 0;
	for (; id[n]; n++) {
		char ch = id[n];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return n > 0 && n <= SK_DOCKER_MAX_ID;
}

/* Reads `ndigits` decimal digits at *p. */
static bool read_digits(const char **p, int ndigits, int *out)
{
	int v = 0;
	for (int k = 0; k < ndigits; k++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return true;
}

/* RFC 3339 ("2026-12-03T16:23:02.309768227Z", or with "+01:00") to seconds
 * since the epoch; 0 when malformed, as the plugin does. */
static int64_t parse_rfc3339(const char *s)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	const char *p = s;
	if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
	    !read_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return 0;
	p++;
	if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi) || *p++ != ':' ||
	    !read_digits(&p, 2, &se))
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int sign = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!read_digits(&p, 2, &oh) || *p++ != ':' || !read_digits(&p, 2, &om))
			return 0;
	} else {
		return 0;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	/* Go's zero time (0001-01-01) is "unknown": the plugin reports it
	 * as-is; timegm copes with it on 64-bit time_t. */
	int64_t t = (int64_t)timegm(&tm);
	return t - sign * (int64_t)(oh * 3600 + om * 60);
}

/* CPUs in a cpuset list ("0-3,7" -> 5); 0 when empty or malformed. */
static int64_t cpuset_count(const char *s)
{
	int64_t n = 0;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		long long a = strtoll(p, &end, 10);
		if (end == p || errno || a < 0)
			return 0;
		long long b = a;
		p = end;
		if (*p == '-') {
			const char *q = p + 1;
			b = strtoll(q, &end, 10);
			if (end == q || errno || b < a)
				return 0;
			p = end;
		}
		n += b - a + 1;
		if (*p == ',')
			p++;
		else if (*p)
			return 0;
	}
	return n;
}

/* ---- inspect -------------------------------------------------------------- */

/* Copies the string->string members of `src` (other types are skipped). */
static int copy_labels(const struct sk_jctx *c, json_t *src, json_t **out)
{
	*out = json_object();
	if (!*out)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v) {
		if (json_is_string(v) && json_object_set(*out, k, v) < 0)
			return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	}
	return 0;
}

static int copy_env(const struct sk_jctx *c, json_t *src, json_t **out)
{
	*out = json_array();
	if (!*out)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	size_t k;
	json_t *v;
	json_array_foreach(src, k, v) {
		if (!json_is_string(v))
			return sk_err_set(c->err, -EPROTO, "%s: Config.Env[%zu] is not a string",
					  c->where, k);
		if (json_array_append(*out, v) < 0)
			return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	}
	return 0;
}

/* .Mounts -> [{Source, Destination, Mode, RW, Propagation}]. */
static int copy_mounts(const struct sk_jctx *c, json_t *src, json_t **out)
{
	*out = json_array();
	if (!*out)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	size_t k;
	json_t *m;
	json_array_foreach(src, k, m) {
		if (!json_is_object(m))
			return sk_err_set(c->err, -EPROTO, "%s: Mounts[%zu] is not an object",
					  c->where, k);
		const char *s = "", *dst = "", *mode = "", *prop = "";
		bool rw = false;
		int rc = j_cstr(c, m, "Source", &s);
		if (!rc) rc = j_cstr(c, m, "Destination", &dst);
		if (!rc) rc = j_cstr(c, m, "Mode", &mode);
		if (!rc) rc = j_bool(c, m, "RW", &rw);
		if (!rc) rc = j_cstr(c, m, "Propagation", &prop);
		if (rc < 0)
			return rc;
		json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "Source", s, "Destination", dst,
				      "Mode", mode, "RW", rw, "Propagation", prop);
		if (!o || json_array_append_new(*out, o) < 0)
			return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	}
	return 0;
}

/* "1.2.3.4" -> host-order u32 (as the plugin stores HostIp); false for
 * anything else (IPv6 included, which the plugin leaves out too). */
static bool parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	const char *p = s;
	for (int part = 0; part < 4; part++) {
		int n = 0, digits = 0;
		for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
			n = n * 10 + (*p - '0');
		if (!digits || n > 255 || (part < 3 && *p++ != '.'))
			return false;
		v = v << 8 | (uint32_t)n;
	}
	*out = v;
	return *p == 0;
}

/* NetworkSettings.Ports ({"80/tcp": [{"HostIp", "HostPort"}]}) -> the TCP
 * IPv4 bindings as [{HostIp, HostPort, ContainerPort}]. Malformed entries are
 * skipped, as the plugin does. */
static int copy_ports(const struct sk_jctx *c, json_t *src, json_t **out)
{
	*out = json_array();
	if (!*out)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	const char *key;
	json_t *binds;
	json_object_foreach(src, key, binds) {
		char *end;
		errno = 0;
		long cport = strtol(key, &end, 10);
		if (end == key || errno || cport < 0 || cport > 65535 || strcmp(end, "/tcp") != 0 ||
		    !json_is_array(binds))
			continue;
		size_t k;
		json_t *b;
		json_array_foreach(binds, k, b) {
			const char *hip = json_string_value(json_object_get(b, "HostIp"));
			const char *hport = json_string_value(json_object_get(b, "HostPort"));
			uint32_t ip;
			if (!hip || !hport || !parse_ipv4(hip, &ip))
				continue;
			errno = 0;
			long port = strtol(hport, &end, 10);
			if (end == hport || *end || errno || port < 0 || port > 65535)
				continue;
			json_t *o = json_pack("{s:I, s:I, s:I}", "HostIp", (json_int_t)ip, "HostPort",
					      (json_int_t)port, "ContainerPort", (json_int_t)cport);
			if (!o || json_array_append_new(*out, o) < 0)
				return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
		}
	}
	return 0;
}

/* Config: image as named, user, labels, env. */
static int read_config(const struct sk_jctx *c, json_t *cfg, struct sk_ctr_info *out)
{
	json_t *labels, *env;
	int rc = j_str(c, cfg, "Image", &out->image);
	if (!rc) rc = j_str(c, cfg, "User", &out->user);
	if (!rc) rc = j_get(c, cfg, "Labels", JSON_OBJECT, &labels);
	if (!rc) rc = copy_labels(c, labels, &out->labels);
	if (!rc) rc = j_get(c, cfg, "Env", JSON_ARRAY, &env);
	if (!rc) rc = copy_env(c, env, &out->env);
	return rc;
}

/* HostConfig: privileges, namespaces shared with the host, limits. Returns
 * the network mode (borrowed) for the "container:<id>" IP lookup. */
static int read_host_config(const struct sk_jctx *c, json_t *hc, struct sk_ctr_info *out,
			    const char **netmode)
{
	const char *pid = "", *ipc = "", *cpuset = "";
	int rc = j_bool(c, hc, "Privileged", &out->privileged);
	if (!rc) rc = j_cstr(c, hc, "NetworkMode", netmode);
	if (!rc) rc = j_cstr(c, hc, "PidMode", &pid);
	if (!rc) rc = j_cstr(c, hc, "IpcMode", &ipc);
	if (!rc) rc = j_int(c, hc, "CpuShares", &out->cpu_shares);
	if (!rc) rc = j_int(c, hc, "CpuPeriod", &out->cpu_period);
	if (!rc) rc = j_int(c, hc, "CpuQuota", &out->cpu_quota);
	if (!rc) rc = j_int(c, hc, "Memory", &out->memory_limit);
	if (!rc) rc = j_int(c, hc, "MemorySwap", &out->swap_limit);
	if (!rc) rc = j_cstr(c, hc, "CpusetCpus", &cpuset);
	if (rc < 0)
		return rc;
	out->host_network = strcmp(*netmode, "host") == 0;
	out->host_pid = strcmp(pid, "host") == 0;
	out->host_ipc = strcmp(ipc, "host") == 0;
	if (out->cpu_shares <= 0)
		out->cpu_shares = SK_DEFAULT_CPU_SHARES;
	if (out->cpu_period <= 0)
		out->cpu_period = SK_DEFAULT_CPU_PERIOD;
	out->cpuset_cpu_count = cpuset_count(cpuset);
	return 0;
}

/* The first "repo@digest" of RepoDigests names the repository (unless the
 * image has none); its digest is the one for that repository, or the only
 * one there is. Then the tag is the one of a RepoTag of that repository.
 * This is the plugin's docker rule. */
static int image_from_repo_lists(const struct sk_jctx *c, json_t *img, struct sk_ctr_info *out)
{
	json_t *digests, *tags;
	int rc = j_get(c, img, "RepoDigests", JSON_ARRAY, &digests);
	if (!rc) rc = j_get(c, img, "RepoTags", JSON_ARRAY, &tags);
	if (rc < 0)
		return rc;
	char repo[512] = "", digest[256] = "", only[256] = "";
	size_t ndigests = 0, k;
	json_t *v;
	json_array_foreach(digests, k, v) {
		const char *s = json_string_value(v);
		const char *at = s ? strchr(s, '@') : NULL;
		if (!at || strchr(at + 1, '@'))
			continue;
		if (!repo[0])
			snprintf(repo, sizeof(repo), "%.*s", (int)(at - s), s);
		ndigests++;
		sk_strlcpy(only, at + 1, sizeof(only));
		if (strstr(s, repo)) {
			sk_strlcpy(digest, at + 1, sizeof(digest));
			break;
		}
	}
	if (!digest[0] && ndigests == 1)
		sk_strlcpy(digest, only, sizeof(digest));
	char tag[256] = "";
	json_array_foreach(tags, k, v) {
		const char *s = json_string_value(v);
		char *r = NULL, *t = NULL, *dg = NULL;
		if (!s)
			continue;
		if (sk_ctr_split_image(s, &r, &t, &dg) < 0)
			return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
		bool use = r[0] && t[0];
		if (use && !repo[0])
			sk_strlcpy(repo, r, sizeof(repo));
		if (use && strstr(s, repo))
			sk_strlcpy(tag, t, sizeof(tag));
		free(r);
		free(t);
		free(dg);
		if (tag[0])
			break;
	}
	free(out->image_repo);
	free(out->image_tag);
	free(out->image_digest);
	out->image_repo = strdup(repo);
	out->image_tag = strdup(tag);
	out->image_digest = strdup(digest);
	if (!out->image_repo || !out->image_tag || !out->image_digest)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->where);
	return 0;
}

/* Image repository, tag, digest and id. Docker: from the image's RepoDigests
 * and RepoTags. Podman: repository and tag from the name the container was
 * made with; the digest from the image (the plugin reads libpod's
 * ImageDigest, which is the one RepoDigests carries). The image may be gone
 * (docker rmi -f) or the call may fail: the fields then stay empty, as in the
 * plugin, but the container is still described. */
static int read_image(const struct sk_docker *d, const char *image_ref, uint64_t deadline,
		      struct sk_ctr_info *out, struct sk_err *err)
{
	const char *ref = strncmp(image_ref, "sha256:", 7) == 0 ? image_ref + 7 : image_ref;
	free(out->image_id);
	out->image_id = strdup(ref);
	if (!out->image_id)
		return sk_err_set(err, -ENOMEM, "out of memory");
	if (d->type == SK_CT_PODMAN) {
		char *dg = NULL;
		free(out->image_repo);
		free(out->image_tag);
		out->image_repo = out->image_tag = NULL;
		if (sk_ctr_split_image(out->image, &out->image_repo, &out->image_tag, &dg) < 0)
			return sk_err_set(err, -ENOMEM, "out of memory");
		free(dg);
	}
	char path[SK_DOCKER_MAX_ID + 64];
	json_t *img;
	struct sk_err ierr;
	sk_err_clear(&ierr);
	if (!id_ok(ref))
		return 0;
	snprintf(path, sizeof(path), SK_DOCKER_API "/images/%s/json", ref);
	int rc = api_get_json(d, path, SK_DOCKER_MAX_BODY, deadline, JSON_OBJECT, &img, &ierr);
	if (rc == -ETIMEDOUT || rc == -ECONNREFUSED || rc == -ENOMEM) {
		/* transient: fail the inspect, the next attempt may get it all */
		*err = ierr;
		return rc;
	}
	if (rc < 0)
		return 0; /* the image is gone or the runtime cannot describe it */
	char where[sizeof(path) + sizeof(d->base.socket) + 8];
	snprintf(where, sizeof(where), "%s: GET %s", d->base.socket, path);
	struct sk_jctx c = {where, err};
	const char *id = "";
	rc = j_cstr(&c, img, "Id", &id);
	if (!rc && d->type == SK_CT_PODMAN) {
		char *repo = out->image_repo, *tag = out->image_tag;
		out->image_repo = out->image_tag = NULL;
		rc = image_from_repo_lists(&c, img, out);
		/* keep only the digest from the lists */
		free(out->image_repo);
		free(out->image_tag);
		out->image_repo = repo;
		out->image_tag = tag;
	} else if (!rc) {
		rc = image_from_repo_lists(&c, img, out);
	}
	if (!rc && id[0]) {
		free(out->image_id);
		out->image_id = strdup(strncmp(id, "sha256:", 7) == 0 ? id + 7 : id);
		if (!out->image_id)
			rc = sk_err_set(err, -ENOMEM, "out of memory");
	}
	json_decref(img);
	return rc;
}

/* GETs /containers/{id}/json into *doc and checks its Id. */
static int get_container(const struct sk_docker *d, const char *id, uint64_t deadline,
			 json_t **doc, char *path, size_t pathlen, struct sk_err *err)
{
	if (!id_ok(id))
		return sk_err_set(err, -EINVAL, "%s: not a container id or name: \"%.*s\"",
				  d->base.socket, 80, id);
	snprintf(path, pathlen, SK_DOCKER_API "/containers/%s/json", id);
	int rc = api_get_json(d, path, SK_DOCKER_MAX_BODY, deadline, JSON_OBJECT, doc, err);
	if (rc < 0)
		return rc;
	const char *full = json_string_value(json_object_get(*doc, "Id"));
	if (!full || !is_hex64(full)) {
		json_decref(*doc);
		*doc = NULL;
		return sk_err_set(err, -EPROTO, "%s: GET %s: no 64-hex \"Id\"", d->base.socket, path);
	}
	return 0;
}

/* The IP of a container that shares another's network ("container:<id>"),
 * as the plugin does for docker; "" when that one is gone. */
static int secondary_ip(const struct sk_docker *d, const char *netmode, uint64_t deadline,
			struct sk_ctr_info *out, struct sk_err *err)
{
	char path[SK_DOCKER_MAX_ID + 64];
	json_t *doc;
	int rc = get_container(d, netmode + strlen("container:"), deadline, &doc, path,
			       sizeof(path), err);
	if (rc == -ENOENT || rc == -EINVAL) {
		sk_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	char where[sizeof(path) + sizeof(d->base.socket) + 8];
	snprintf(where, sizeof(where), "%s: GET %s", d->base.socket, path);
	struct sk_jctx c = {where, err};
	json_t *net;
	rc = j_get(&c, doc, "NetworkSettings", JSON_OBJECT, &net);
	if (!rc) {
		free(out->ip);
		out->ip = NULL;
		rc = j_str(&c, net, "IPAddress", &out->ip);
	}
	json_decref(doc);
	return rc;
}

/* Fills `out` from a /containers/{id}/json document. */
static int read_container(const struct sk_jctx *c, json_t *doc, struct sk_ctr_info *out,
			  const char **image_ref, const char **netmode)
{
	json_t *cfg, *hc, *net, *mounts, *ports;
	const char *name = "", *created = "";
	int rc = j_str(c, doc, "Id", &out->full_id);
	if (!rc) rc = j_cstr(c, doc, "Name", &name);
	if (!rc) rc = j_cstr(c, doc, "Created", &created);
	if (!rc) rc = j_cstr(c, doc, "Image", image_ref);
	if (!rc) rc = j_get(c, doc, "Config", JSON_OBJECT, &cfg);
	if (!rc) rc = j_get(c, doc, "HostConfig", JSON_OBJECT, &hc);
	if (!rc) rc = j_get(c, doc, "NetworkSettings", JSON_OBJECT, &net);
	if (!rc) rc = j_get(c, doc, "Mounts", JSON_ARRAY, &mounts);
	if (!rc) rc = read_config(c, cfg, out);
	if (!rc) rc = read_host_config(c, hc, out, netmode);
	if (!rc) rc = copy_mounts(c, mounts, &out->mounts);
	if (!rc) rc = j_str(c, net, "IPAddress", &out->ip);
	if (!rc) rc = j_get(c, net, "Ports", JSON_OBJECT, &ports);
	if (!rc) rc = copy_ports(c, ports, &out->port_mappings);
	if (rc < 0)
		return rc;
	out->name = strdup(name[0] == '/' ? name + 1 : name);
	if (!out->name)
		return sk_err_set(c->err, -ENOMEM, "out of memory");
	out->created_time = parse_rfc3339(created);
	/* dockershim and cri-dockerd name sandboxes k8s_POD_<pod>_<ns>_... */
	out->is_pod_sandbox = strstr(out->name, "k8s_POD") != NULL;
	return 0;
}

static int docker_inspect(struct sk_ctr_engine *e, const char *id, struct sk_ctr_info *out,
			  struct sk_err *err)
{
	struct sk_docker *d = (struct sk_docker *)e;
	uint64_t deadline = deadline_of(e);
	char path[SK_DOCKER_MAX_ID + 64];
	json_t *doc;
	out->type = d->type;
	int rc = get_container(d, id, deadline, &doc, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	char where[sizeof(path) + sizeof(e->socket) + 8];
	snprintf(where, sizeof(where), "%s: GET %s", e->socket, path);
	struct sk_jctx c = {where, err};
	const char *image_ref = "", *netmode = "";
	rc = read_container(&c, doc, out, &image_ref, &netmode);
	if (!rc)
		rc = read_image(d, image_ref, deadline, out, err);
	if (!rc && !out->ip[0] && strncmp(netmode, "container:", 10) == 0)
		rc = secondary_ip(d, netmode, deadline, out, err);
	json_decref(doc);
	if (rc < 0) {
		/* partial results must not look like a description */
		sk_ctr_info_done(out);
		out->type = d->type;
	}
	return rc;
}

/* ---- list ----------------------------------------------------------------- */

static int docker_list(struct sk_ctr_engine *e, sk_ctr_list_fn fn, void *ctx, struct sk_err *err)
{
	struct sk_docker *d = (struct sk_docker *)e;
	uint64_t deadline = deadline_of(e);
	const char *path = SK_DOCKER_API "/containers/json";
	json_t *doc;
	int rc = api_get_json(d, path, SK_DOCKER_MAX_LIST, deadline, JSON_ARRAY, &doc, err);
	if (rc < 0)
		return rc;
	size_t k;
	json_t *v;
	/* check the whole list first, so that a bad one reports nothing */
	json_array_foreach(doc, k, v) {
		const char *id = json_string_value(json_object_get(v, "Id"));
		if (!id || !is_hex64(id)) {
			json_decref(doc);
			return sk_err_set(err, -EPROTO, "%s: GET %s: element %zu has no 64-hex \"Id\"",
					  e->socket, path, k);
		}
	}
	json_array_foreach(doc, k, v)
		fn(ctx, json_string_value(json_object_get(v, "Id")));
	json_decref(doc);
	return 0;
}

/* ---- watch ---------------------------------------------------------------- */

/* The state of one /events stream. */
struct sk_watch {
	struct sk_docker *d;
	sk_ctr_event_fn fn;
	void *ctx;
	struct sk_buf line;  /* the event being received (bounded) */
	struct sk_buf body;  /* a non-200 answer's start, for the error */
	CURL *h;
	long status;
	int rc;              /* first error of the stream, 0 = none */
	struct sk_err *err;
};

static int event_kind(const char *action, enum sk_ctr_event_kind *kind)
{
	if (strcmp(action, "create") == 0)
		*kind = SK_CTR_EV_CREATE;
	else if (strcmp(action, "start") == 0)
		*kind = SK_CTR_EV_START;
	else if (strcmp(action, "destroy") == 0 || strcmp(action, "remove") == 0)
		*kind = SK_CTR_EV_DESTROY; /* podman says remove */
	else
		return -1;
	return 0;
}

/* Handles one line of the stream: a JSON event object. Events other than
 * container create/start/destroy are skipped; a line that is not a JSON
 * object means the stream is broken. */
static int watch_line(struct sk_watch *w, const char *s, size_t n)
{
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (!n)
		return 0;
	json_error_t jerr;
	json_t *ev = json_loadb(s, n, 0, &jerr);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return sk_err_set(w->err, -EPROTO, "%s: /events: not a JSON object (%s)",
				  w->d->base.socket, ev ? "wrong type" : jerr.text);
	}
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	if (!action)
		action = json_string_value(json_object_get(ev, "status"));
	const char *id = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));
	if (!id)
		id = json_string_value(json_object_get(ev, "id"));
	enum sk_ctr_event_kind kind;
	if ((!type || strcmp(type, "container") == 0) && action && id && is_hex64(id) &&
	    event_kind(action, &kind) == 0)
		w->fn(w->ctx, kind, id);
	json_decref(ev);
	return 0;
}

static size_t watch_write(char *p, size_t size, size_t n, void *ud)
{
	struct sk_watch *w = ud;
	size_t len = size * n;
	if (w->rc)
		return 0;
	if (!w->status)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->status != 200) {
		/* keep the start of the error body; once it is full, end the
		 * transfer (an endless error body must not look like a stream) */
		size_t room = w->body.max > w->body.len + 1 ? w->body.max - w->body.len - 1 : 0;
		if (sk_buf_append(&w->body, p, len < room ? len : room) < 0 || len > room)
			return 0;
		return len;
	}
	for (size_t k = 0; k < len; k++) {
		if (p[k] != '\n') {
			if (sk_buf_putc(&w->line, p[k]) < 0) {
				w->rc = sk_err_set(w->err, -E2BIG, "%s: /events: an event over %zu bytes",
						   w->d->base.socket, w->line.max);
				return 0;
			}
			continue;
		}
		w->rc = watch_line(w, w->line.data ? w->line.data : "", w->line.len);
		sk_buf_reset(&w->line);
		if (w->rc)
			return 0;
	}
	return len;
}

/* Runs the transfer until it ends, `stop` is set, or no answer arrived
 * within timeout_ms. Returns the CURLcode of the transfer, or -1 for stop. */
static int watch_run(struct sk_watch *w, CURLM *m, const atomic_bool *stop, unsigned timeout_ms)
{
	uint64_t answer_by = sk_ctr_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		int running = 0;
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return CURLE_OUT_OF_MEMORY;
		int left;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE)
				return (int)msg->data.result;
		if (!running)
			return CURLE_OK;
		if (atomic_load(stop))
			return -1;
		if (!w->status)
			curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->status);
		if (!w->status && sk_ctr_mono_ns() > answer_by)
			return CURLE_OPERATION_TIMEDOUT;
		unsigned wait = SK_DOCKER_POLL_MS < timeout_ms ? SK_DOCKER_POLL_MS : timeout_ms;
		if (curl_multi_poll(m, NULL, 0, (int)(wait ? wait : 1), NULL) != CURLM_OK)
			return CURLE_OUT_OF_MEMORY;
	}
}

/* Turns the end of the stream into the call's result. */
static int watch_result(struct sk_watch *w, int res, const char *path)
{
	if (res == -1)
		return 0; /* stopped */
	if (w->rc)
		return w->rc;
	if (w->status && w->status != 200) {
		struct sk_http_body b = {.buf = w->body};
		char msg[160];
		api_message(&b, msg, sizeof(msg));
		return sk_err_set(w->err, w->status == 404 ? -ENOENT : -EIO, "%s: GET %s: HTTP %ld: %s",
				  w->d->base.socket, path, w->status, msg);
	}
	if (res == CURLE_OK)
		return sk_err_set(w->err, -EPIPE, "%s: GET %s: the runtime ended the stream",
				  w->d->base.socket, path);
	int e = curl_errno((CURLcode)res, false);
	return sk_err_set(w->err, e, "%s: GET %s: %s", w->d->base.socket, path,
			  res == CURLE_OPERATION_TIMEDOUT ? "no answer in time"
							  : curl_easy_strerror((CURLcode)res));
}

static int docker_watch(struct sk_ctr_engine *e, sk_ctr_event_fn fn, void *ctx,
			const atomic_bool *stop, struct sk_err *err)
{
	struct sk_docker *d = (struct sk_docker *)e;
	/* filters={"type":["container"]} */
	const char *path = SK_DOCKER_API "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D";
	struct sk_watch w = {.d = d, .fn = fn, .ctx = ctx, .err = err};
	char url[256];
	sk_buf_init(&w.line, SK_DOCKER_MAX_LINE);
	sk_buf_init(&w.body, 4096);
	w.h = http_handle(d, path, url, sizeof(url));
	CURLM *m = curl_multi_init();
	int rc;
	if (!w.h || !m) {
		rc = sk_err_set(err, -ENOMEM, "%s: GET /events: out of memory", e->socket);
		goto done;
	}
	curl_easy_setopt(w.h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w.h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(w.h, CURLOPT_CONNECTTIMEOUT_MS, (long)call_timeout_ms(e));
	curl_easy_setopt(w.h, CURLOPT_TCP_KEEPALIVE, 0L);
	if (curl_multi_add_handle(m, w.h) != CURLM_OK) {
		rc = sk_err_set(err, -ENOMEM, "%s: GET /events: out of memory", e->socket);
		goto done;
	}
	rc = watch_result(&w, watch_run(&w, m, stop, call_timeout_ms(e)), path);
	curl_multi_remove_handle(m, w.h);
done:
	curl_multi_cleanup(m);
	curl_easy_cleanup(w.h);
	sk_buf_done(&w.line);
	sk_buf_done(&w.body);
	return rc;
}

/* ---- constructor ---------------------------------------------------------- */

static void docker_free(struct sk_ctr_engine *e)
{
	free(e);
}

static const struct sk_ctr_engine_ops docker_ops = {
	.name = "docker",
	.inspect = docker_inspect,
	.list = docker_list,
	.watch = docker_watch,
	.free = docker_free,
};

static const struct sk_ctr_engine_ops podman_ops = {
	.name = "podman",
	.inspect = docker_inspect,
	.list = docker_list,
	.watch = docker_watch,
	.free = docker_free,
};

/* The runtime must answer GET /_ping with 200 within timeout_ms. */
static int ping(const struct sk_docker *d, struct sk_err *err)
{
	struct sk_http_body b = {.overflow = false};
	sk_buf_init(&b.buf, 4096);
	long status;
	int rc = http_get(d, "/_ping", call_timeout_ms(&d->base), &b, &status, err);
	if (!rc && status != 200)
		rc = sk_err_set(err, -EPROTO, "%s: GET /_ping: HTTP %ld, not a Docker API",
				d->base.socket, status);
	sk_buf_done(&b.buf);
	return rc;
}

struct sk_ctr_engine *sk_ctr_docker_new(const struct sk_ctr_cfg *cfg, const char *socket,
					int type, struct sk_err *err)
{
	struct stat st;
	if (type != SK_CT_DOCKER && type != SK_CT_PODMAN) {
		sk_err_set(err, -EINVAL, "%s: Docker API engine for type %d", socket, type);
		return NULL;
	}
	if (strlen(socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		sk_err_set(err, -ENAMETOOLONG, "%s: socket path too long", socket);
		return NULL;
	}
	if (stat(socket, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		sk_err_set(err, -ENOENT, "%s: no such socket", socket);
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		sk_err_set(err, -ENOMEM, "%s: curl_global_init failed", socket);
		return NULL;
	}
	struct sk_docker *d = calloc(1, sizeof(*d));
	if (!d) {
		sk_err_set(err, -ENOMEM, "%s: out of memory", socket);
		return NULL;
	}
	d->base.ops = type == SK_CT_PODMAN ? &podman_ops : &docker_ops;
	d->base.cfg = cfg;
	sk_strlcpy(d->base.socket, socket, sizeof(d->base.socket));
	d->type = type;
	if (ping(d, err) < 0) {
		free(d);
		return NULL;
	}
	return &d->base;
}
