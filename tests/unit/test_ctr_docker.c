/* test_ctr_docker.c — the Docker Engine API engine (src/container/docker.c)
 * against the real runtimes and against hostile peers.
 *
 * Real runtimes: podman's Docker-compatible service and dockerd, as
 * scripts/containers/setup-{podman,docker}.sh start them (skipped, with the
 * reason, when not root or when the socket is absent). Containers are started
 * with the runtime's CLI and every field the engine fills is compared with
 * what the CLI's own `inspect` says; list, watch (create/start/destroy of a
 * container made during the test, stop within timeout) and -ENOENT for a
 * removed container are checked, and inspect latency is measured.
 *
 * Hostile peers: a unix socket server on a thread that accepts and never
 * answers, answers garbage, truncates, floods, drips or sends JSON of the
 * wrong shape; every call must fail within timeout_ms + slack. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/container_int.h"

#define IMAGE "localhost/saker-test:1"
#define BIND_DIR "/tmp/saker-ctr-test"

/* ---- helpers -------------------------------------------------------------- */

/* Runs a shell command; returns its stdout without the trailing newline
 * (malloc'd), or NULL when it exits non-zero. */
static char *sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "re");
	if (!f)
		return NULL;
	struct sk_buf b;
	sk_buf_init(&b, 64 << 20);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sk_buf_append(&b, chunk, n) < 0)
			break;
	int st = pclose(f);
	if (st != 0) {
		sk_buf_done(&b);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = 0;
	return sk_buf_steal(&b);
}

static const char *s_or_empty(const char *s)
{
	return s ? s : "";
}

/* The settings the engine reads (timeout_ms); the client's defaults live in
 * client.c, which this test does not need. */
static void test_cfg(struct sk_ctr_cfg *cfg, unsigned timeout_ms)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->label_max_len = 100;
	cfg->timeout_ms = timeout_ms;
}

static uint64_t ms_since(uint64_t t0)
{
	return (sk_ctr_mono_ns() - t0) / 1000000;
}

/* ---- real runtimes -------------------------------------------------------- */

struct runtime {
	const char *name;
	const char *cli;  /* the CLI, pointed at the daemon under test */
	const char *sock;
	int type;
	const char *rm;   /* removes at once, no grace period */
};

static const struct runtime rt_podman = {"podman", "podman", "/run/podman/podman.sock",
					 SK_CT_PODMAN, "rm -f -t 0"};
static const struct runtime rt_docker = {"docker", "DOCKER_HOST=unix:///var/run/docker.sock docker",
					 "/var/run/docker.sock", SK_CT_DOCKER, "rm -f"};

enum { C_PLAIN, C_PRIV, C_K8S, NCTR };

/* One group's state: the engine and the containers it started. */
struct rt_state {
	const struct runtime *rt;
	struct sk_ctr_cfg cfg;
	struct sk_ctr_engine *e;
	char why[1024];         /* why the group is skipped */
	char ids[NCTR][65];
	char names[NCTR][64];
};

static int rt_setup(void **state, const struct runtime *rt)
{
	struct rt_state *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->rt = rt;
	*state = g;
	test_cfg(&g->cfg, 2000);
	if (geteuid() != 0) {
		snprintf(g->why, sizeof(g->why), "%s: not root", rt->name);
		return 0;
	}
	struct stat st;
	if (stat(rt->sock, &st) < 0) {
		snprintf(g->why, sizeof(g->why),
			 "%s: no %s (run scripts/containers/setup-%s.sh)", rt->name, rt->sock, rt->name);
		return 0;
	}
	struct sk_err err;
	sk_err_clear(&err);
	g->e = sk_ctr_docker_new(&g->cfg, rt->sock, rt->type, &err);
	if (!g->e) {
		snprintf(g->why, sizeof(g->why), "%s: engine: %s", rt->name, err.msg);
		return 0;
	}
	mkdir(BIND_DIR, 0755);
	static const char *opts[NCTR] = {
		[C_PLAIN] = "--label app=web --label tier=front",
		[C_PRIV] = "--privileged -v " BIND_DIR ":/data:ro --cpu-shares 512 --cpu-period 50000 "
			   "--cpu-quota 25000 -m 64m --cpuset-cpus 0",
		[C_K8S] = "--label io.kubernetes.pod.name=mypod --label io.kubernetes.pod.namespace=myns "
			  "--label io.kubernetes.pod.uid=0b1e7c3e-8d67-4c2a-9d7e-3f2b9a6c1d00 "
			  "--label io.kubernetes.container.name=c1 --pid host --ipc host",
	};
	static const char *net[NCTR] = {"--network none", "--network none", "--network host"};
	for (int k = 0; k < NCTR; k++) {
		snprintf(g->names[k], sizeof(g->names[k]), "sk-test-%s-%d-%d", rt->name, (int)getpid(), k);
		char *id = sh("%s run -d --name %s --label saker.test=1 %s %s %s sleep 1000", rt->cli,
			      g->names[k], net[k], opts[k], IMAGE);
		if (!id || strlen(id) != 64) {
			snprintf(g->why, sizeof(g->why), "%s: could not start container %s", rt->name,
				 g->names[k]);
			free(id);
			return 0;
		}
		memcpy(g->ids[k], id, 65);
		free(id);
	}
	return 0;
}

static int podman_setup(void **state) { return rt_setup(state, &rt_podman); }
static int docker_setup(void **state) { return rt_setup(state, &rt_docker); }

static int rt_teardown(void **state)
{
	struct rt_state *g = *state;
	for (int k = 0; k < NCTR; k++)
		if (g->names[k][0])
			free(sh("%s %s %s >/dev/null 2>&1", g->rt->cli, g->rt->rm, g->names[k]));
	if (g->e)
		g->e->ops->free(g->e);
	free(g);
	return 0;
}

/* Skips the test (cmocka skip) when the group could not start. */
#define NEED_RUNTIME(g)                                              \
	do {                                                         \
		if ((g)->why[0] || !(g)->e) {                        \
			print_message("SKIP %s\n", (g)->why);        \
			skip();                                      \
		}                                                    \
	} while (0)

/* The CLI's inspect of `what` ("inspect ID" / "image inspect ID"): [0]. */
static json_t *cli_inspect(const struct runtime *rt, const char *what)
{
	char *out = sh("%s %s", rt->cli, what);
	assert_non_null(out);
	json_t *arr = json_loads(out, 0, NULL);
	free(out);
	assert_true(json_is_array(arr));
	json_t *o = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	assert_true(json_is_object(o));
	return o;
}

static const char *jstr(json_t *o, const char *path)
{
	/* "A.B.C": nested members */
	char buf[128];
	sk_strlcpy(buf, path, sizeof(buf));
	json_t *v = o;
	for (char *p = buf, *dot; p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = 0;
		v = json_object_get(v, p);
	}
	return json_is_string(v) ? json_string_value(v) : "";
}

static json_t *jget(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return b ? json_object_get(v, b) : v;
}

static int64_t jint(json_t *o, const char *a, const char *b)
{
	return (int64_t)json_integer_value(jget(o, a, b));
}

static void strip_sha(const char **s)
{
	if (strncmp(*s, "sha256:", 7) == 0)
		*s += 7;
}

/* Same strings in any order. */
static void assert_same_set(json_t *a, json_t *b)
{
	size_t na = json_is_array(a) ? json_array_size(a) : 0;
	size_t nb = json_is_array(b) ? json_array_size(b) : 0;
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = json_equal(json_array_get(a, i), json_array_get(b, j));
		assert_true(found);
	}
}

/* Compares every field of `i` with the CLI's view of container `id`. */
static void check_info(const struct rt_state *g, int which, const struct sk_ctr_info *i)
{
	const struct runtime *rt = g->rt;
	char what[128];
	snprintf(what, sizeof(what), "inspect %s", g->ids[which]);
	json_t *c = cli_inspect(rt, what);

	assert_int_equal(i->type, rt->type);
	assert_string_equal(i->full_id, jstr(c, "Id"));
	const char *name = jstr(c, "Name");
	assert_string_equal(i->name, name[0] == '/' ? name + 1 : name);
	assert_string_equal(i->name, g->names[which]);
	/* the image as named: docker Config.Image, podman (libpod) ImageName */
	assert_string_equal(i->image, rt->type == SK_CT_PODMAN ? jstr(c, "ImageName")
							       : jstr(c, "Config.Image"));
	assert_string_equal(i->image, IMAGE);
	const char *imgid = jstr(c, "Image");
	strip_sha(&imgid);
	assert_string_equal(i->image_id, imgid);
	assert_int_equal(strlen(i->image_id), 64);

	snprintf(what, sizeof(what), "image inspect %s", imgid);
	json_t *img = cli_inspect(rt, what);
	const char *img_id = jstr(img, "Id");
	strip_sha(&img_id);
	assert_string_equal(i->image_id, img_id);
	/* the image's only tag is localhost/saker-test:1 */
	assert_string_equal(json_string_value(json_array_get(jget(img, "RepoTags", NULL), 0)), IMAGE);
	assert_string_equal(s_or_empty(i->image_repo), "localhost/saker-test");
	assert_string_equal(s_or_empty(i->image_tag), "1");
	if (rt->type == SK_CT_PODMAN) {
		assert_string_equal(s_or_empty(i->image_digest), jstr(c, "ImageDigest"));
		assert_int_equal(strncmp(s_or_empty(i->image_digest), "sha256:", 7), 0);
	} else {
		/* an imported image has no RepoDigests, hence no digest */
		assert_int_equal(json_array_size(jget(img, "RepoDigests", NULL)), 0);
		assert_string_equal(s_or_empty(i->image_digest), "");
	}
	json_decref(img);

	assert_string_equal(s_or_empty(i->user), jstr(c, "Config.User"));
	assert_true(json_equal(i->labels, jget(c, "Config", "Labels")));
	assert_string_equal(json_string_value(json_object_get(i->labels, "saker.test")), "1");
	assert_same_set(i->env, jget(c, "Config", "Env"));

	json_t *hc = jget(c, "HostConfig", NULL);
	assert_int_equal(i->privileged, json_is_true(json_object_get(hc, "Privileged")));
	assert_int_equal(i->privileged, which == C_PRIV);
	assert_int_equal(i->host_network, strcmp(jstr(hc, "NetworkMode"), "host") == 0);
	assert_int_equal(i->host_pid, strcmp(jstr(hc, "PidMode"), "host") == 0);
	assert_int_equal(i->host_ipc, strcmp(jstr(hc, "IpcMode"), "host") == 0);
	assert_int_equal(i->host_network, which == C_K8S);
	assert_int_equal(i->host_pid, which == C_K8S);
	/* podman 4.3 says IpcMode "shareable" for --ipc host (libpod and compat
	 * API alike), so only docker's flag can be checked against the truth */
	if (rt->type == SK_CT_DOCKER)
		assert_int_equal(i->host_ipc, which == C_K8S);
	int64_t shares = jint(hc, "CpuShares", NULL), period = jint(hc, "CpuPeriod", NULL);
	assert_int_equal(i->cpu_shares, shares > 0 ? shares : 1024);
	assert_int_equal(i->cpu_period, period > 0 ? period : 100000);
	assert_int_equal(i->cpu_quota, jint(hc, "CpuQuota", NULL));
	assert_int_equal(i->memory_limit, jint(hc, "Memory", NULL));
	assert_int_equal(i->swap_limit, jint(hc, "MemorySwap", NULL));
	assert_int_equal(i->cpuset_cpu_count, strcmp(jstr(hc, "CpusetCpus"), "0") == 0 ? 1 : 0);
	if (which == C_PRIV) {
		assert_int_equal(i->cpu_shares, 512);
		assert_int_equal(i->cpu_period, 50000);
		assert_int_equal(i->cpu_quota, 25000);
		assert_int_equal(i->memory_limit, 64 << 20);
		assert_int_equal(i->cpuset_cpu_count, 1);
	}

	/* mounts: every CLI mount, field by field */
	json_t *cm = jget(c, "Mounts", NULL);
	assert_int_equal(json_array_size(i->mounts), json_array_size(cm));
	assert_int_equal(json_array_size(i->mounts), which == C_PRIV ? 1 : 0);
	size_t k;
	json_t *m;
	json_array_foreach(cm, k, m) {
		json_t *mine = json_array_get(i->mounts, k);
		assert_string_equal(jstr(mine, "Source"), jstr(m, "Source"));
		assert_string_equal(jstr(mine, "Destination"), jstr(m, "Destination"));
		assert_string_equal(jstr(mine, "Mode"), jstr(m, "Mode"));
		assert_string_equal(jstr(mine, "Propagation"), jstr(m, "Propagation"));
		assert_int_equal(json_is_true(json_object_get(mine, "RW")),
				 json_is_true(json_object_get(m, "RW")));
		assert_string_equal(jstr(mine, "Source"), BIND_DIR);
		assert_string_equal(jstr(mine, "Destination"), "/data");
		assert_false(json_is_true(json_object_get(mine, "RW")));
	}

	char *created = sh("date -d '%s' +%%s", jstr(c, "Created"));
	assert_non_null(created);
	assert_int_equal(i->created_time, strtoll(created, NULL, 10));
	free(created);
	assert_true(i->created_time > 1600000000);

	assert_string_equal(s_or_empty(i->ip), jstr(c, "NetworkSettings.IPAddress"));
	assert_false(i->is_pod_sandbox);
	assert_string_equal(s_or_empty(i->pod_sandbox_id), "");
	/* CRI-only fields stay empty for the Docker API */
	assert_string_equal(s_or_empty(i->cni_json), "");
	assert_null(i->pod_sandbox_labels);
	assert_int_equal(json_array_size(i->port_mappings), 0);

	/* and the record the engine thread gets */
	char *rec = sk_ctr_info_to_json(i, 100);
	assert_non_null(rec);
	json_t *r = json_loads(rec, 0, NULL);
	free(rec);
	char shortid[13];
	sk_strlcpy(shortid, g->ids[which], sizeof(shortid));
	assert_string_equal(jstr(r, "container.id"), shortid);
	assert_string_equal(jstr(r, "container.full_id"), g->ids[which]);
	json_decref(r);
	json_decref(c);
}

static void test_inspect(void **state)
{
	struct rt_state *g = *state;
	NEED_RUNTIME(g);
	for (int k = 0; k < NCTR; k++) {
		const char *ids[3];
		char shortid[13];
		sk_strlcpy(shortid, g->ids[k], sizeof(shortid));
		ids[0] = g->ids[k];
		ids[1] = shortid;
		ids[2] = g->names[k];
		for (int n = 0; n < 3; n++) {
			struct sk_ctr_info i = {0};
			struct sk_err err;
			sk_err_clear(&err);
			int rc = g->e->ops->inspect(g->e, ids[n], &i, &err);
			if (rc)
				print_message("inspect %s: %s\n", ids[n], err.msg);
			assert_int_equal(rc, 0);
			check_info(g, k, &i);
			sk_ctr_info_done(&i);
		}
	}
}

static void collect_id(void *ctx, const char *full_id)
{
	json_array_append_new(ctx, json_string(full_id));
}

static void test_list(void **state)
{
	struct rt_state *g = *state;
	NEED_RUNTIME(g);
	json_t *ids = json_array();
	struct sk_err err;
	sk_err_clear(&err);
	assert_int_equal(g->e->ops->list(g->e, collect_id, ids, &err), 0);
	for (int k = 0; k < NCTR; k++) {
		bool found = false;
		size_t n;
		json_t *v;
		json_array_foreach(ids, n, v)
			found |= strcmp(json_string_value(v), g->ids[k]) == 0;
		assert_true(found);
	}
	json_decref(ids);
}

/* What the watch thread saw. */
struct seen {
	pthread_mutex_t mu;
	struct {
		enum sk_ctr_event_kind kind;
		char id[65];
	} ev[512];
	size_t n;
	struct sk_ctr_engine *e;
	atomic_bool stop;
	int rc;
	struct sk_err err;
};

static void on_event(void *ctx, enum sk_ctr_event_kind kind, const char *full_id)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->mu);
	if (s->n < SK_ARRAY_LEN(s->ev)) {
		s->ev[s->n].kind = kind;
		sk_strlcpy(s->ev[s->n].id, full_id, sizeof(s->ev[s->n].id));
		s->n++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *watch_thread(void *arg)
{
	struct seen *s = arg;
	s->rc = s->e->ops->watch(s->e, on_event, s, &s->stop, &s->err);
	return NULL;
}

static bool saw(struct seen *s, enum sk_ctr_event_kind kind, const char *id)
{
	bool found = false;
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < s->n && !found; k++)
		found = s->ev[k].kind == kind && strcmp(s->ev[k].id, id) == 0;
	pthread_mutex_unlock(&s->mu);
	return found;
}

static void test_watch(void **state)
{
	struct rt_state *g = *state;
	NEED_RUNTIME(g);
	struct seen *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	pthread_mutex_init(&s->mu, NULL);
	s->e = g->e;
	atomic_init(&s->stop, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, watch_thread, s), 0);
	usleep(500 * 1000); /* let the stream open */

	char name[64];
	snprintf(name, sizeof(name), "sk-test-%s-%d-w", g->rt->name, (int)getpid());
	char *id = sh("%s run -d --name %s --label saker.test=1 --network none %s sleep 1000",
		      g->rt->cli, name, IMAGE);
	assert_non_null(id);
	/* inspect while the stream is open, from this thread */
	struct sk_ctr_info i = {0};
	struct sk_err err;
	assert_int_equal(g->e->ops->inspect(g->e, id, &i, &err), 0);
	assert_string_equal(i.full_id, id);
	sk_ctr_info_done(&i);
	free(sh("%s %s %s >/dev/null", g->rt->cli, g->rt->rm, name));

	uint64_t t0 = sk_ctr_mono_ns();
	while (!saw(s, SK_CTR_EV_DESTROY, id) && ms_since(t0) < 30000) /* a loaded CI machine */
		usleep(20 * 1000);
	assert_true(saw(s, SK_CTR_EV_CREATE, id));
	assert_true(saw(s, SK_CTR_EV_START, id));
	assert_true(saw(s, SK_CTR_EV_DESTROY, id));

	/* a removed container is unknown */
	memset(&i, 0, sizeof(i));
	sk_err_clear(&err);
	assert_int_equal(g->e->ops->inspect(g->e, id, &i, &err), -ENOENT);
	sk_ctr_info_done(&i);
	char shortid[13];
	sk_strlcpy(shortid, id, sizeof(shortid));
	assert_int_equal(g->e->ops->inspect(g->e, shortid, &i, &err), -ENOENT);
	sk_ctr_info_done(&i);

	t0 = sk_ctr_mono_ns();
	atomic_store(&s->stop, true);
	pthread_join(th, NULL);
	uint64_t stop_ms = ms_since(t0);
	print_message("%s: watch returned %d %ums after stop\n", g->rt->name, s->rc,
		      (unsigned)stop_ms);
	assert_int_equal(s->rc, 0);
	assert_true(stop_ms <= g->cfg.timeout_ms);
	free(id);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* One of several threads calling the same engine at once. */
struct conc {
	struct rt_state *g;
	int which;
	int failures;
};

static void *conc_thread(void *arg)
{
	struct conc *c = arg;
	for (int k = 0; k < 25; k++) {
		struct sk_ctr_info i = {0};
		struct sk_err err;
		if (c->g->e->ops->inspect(c->g->e, c->g->ids[c->which], &i, &err) != 0 ||
		    strcmp(i.full_id, c->g->ids[c->which]) != 0)
			c->failures++;
		sk_ctr_info_done(&i);
		json_t *ids = json_array();
		if (k % 5 == 0 && c->g->e->ops->list(c->g->e, collect_id, ids, &err) != 0)
			c->failures++;
		json_decref(ids);
	}
	return NULL;
}

/* Calls may run concurrently on one engine (the client's threads). */
static void test_concurrent(void **state)
{
	struct rt_state *g = *state;
	NEED_RUNTIME(g);
	struct conc c[4];
	pthread_t th[4];
	for (int k = 0; k < 4; k++) {
		c[k] = (struct conc){g, k % NCTR, 0};
		assert_int_equal(pthread_create(&th[k], NULL, conc_thread, &c[k]), 0);
	}
	for (int k = 0; k < 4; k++) {
		pthread_join(th[k], NULL);
		assert_int_equal(c[k].failures, 0);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* p50/p99 of 100 inspects (container + image calls) by full id. */
static void test_inspect_latency(void **state)
{
	struct rt_state *g = *state;
	NEED_RUNTIME(g);
	uint64_t us[100];
	for (size_t k = 0; k < SK_ARRAY_LEN(us); k++) {
		struct sk_ctr_info i = {0};
		struct sk_err err;
		uint64_t t0 = sk_ctr_mono_ns();
		assert_int_equal(g->e->ops->inspect(g->e, g->ids[C_PRIV], &i, &err), 0);
		us[k] = (sk_ctr_mono_ns() - t0) / 1000;
		sk_ctr_info_done(&i);
	}
	qsort(us, SK_ARRAY_LEN(us), sizeof(us[0]), cmp_u64);
	print_message("%s: inspect latency over 100: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		      g->rt->name, us[49] / 1000.0, us[98] / 1000.0, us[99] / 1000.0);
	assert_true(us[98] < (uint64_t)g->cfg.timeout_ms * 1000);
}

/* ---- hostile peers -------------------------------------------------------- */

enum peer_mode {
	P_HANG,        /* accepts, reads, never answers */
	P_GARBAGE,     /* not HTTP */
	P_BAD_JSON,    /* HTTP 200, broken JSON */
	P_TRUNCATED,   /* Content-Length 1000, sends 8 bytes, closes */
	P_HUGE_LEN,    /* Content-Length 100 MB */
	P_FLOOD,       /* no length, endless bytes without a newline */
	P_DRIP,        /* a byte every 100 ms, forever */
	P_WRONG_TYPES, /* well-formed JSON of the wrong shape */
	P_CLOSE,       /* closes without a byte */
	P_CANNED,      /* a plausible runtime with odd-but-valid documents */
	P_ERROR_FLOOD, /* HTTP 500 and an endless body */
	P_IMAGE_HANG,  /* P_CANNED, but the image call never answers */
};

struct peer {
	char path[108];
	int lfd;
	enum peer_mode mode;
	bool ping_ok;
	atomic_bool stop;
	pthread_t th;
};

static bool peer_send(int fd, const char *s, size_t n)
{
	return send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* Waits until the client closes `fd` or the server stops. */
static void peer_wait_close(struct peer *p, int fd, int drip_ms)
{
	char buf[4096];
	while (!atomic_load(&p->stop)) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int n = poll(&pf, 1, drip_ms ? drip_ms : 50);
		if (n > 0 && (pf.revents & (POLLHUP | POLLERR)))
			return;
		if (n > 0 && read(fd, buf, sizeof(buf)) <= 0)
			return;
		if (n == 0 && drip_ms && !peer_send(fd, "a", 1))
			return;
	}
}

static void http_reply(int fd, const char *status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 status, strlen(body));
	if (peer_send(fd, head, (size_t)n))
		peer_send(fd, body, strlen(body));
}

#define CANNED_ID "1111111111111111111111111111111111111111111111111111111111111111"
#define CANNED_NET "2222222222222222222222222222222222222222222222222222222222222222"

/* P_CANNED: what a runtime could say, in forms the real ones did not show. */
static void canned_reply(int fd, const char *path)
{
	if (strstr(path, "/containers/" CANNED_ID "/json") || strstr(path, "/containers/k8s_POD")) {
		http_reply(fd, "200 OK",
			   "{\"Id\":\"" CANNED_ID "\",\"Name\":\"/k8s_POD_mypod_myns_uid_0\","
			   "\"Created\":\"2024-02-29T23:30:00.5+02:00\",\"Image\":\"sha256:abc\","
			   "\"Config\":{\"Image\":\"reg:5000/a/b:1.2\",\"User\":\"1000\",\"Labels\":null,"
			   "\"Env\":null,\"Unknown\":[1,2,{}]},"
			   "\"HostConfig\":{\"Privileged\":false,\"NetworkMode\":\"container:" CANNED_NET
			   "\",\"PidMode\":\"host\",\"IpcMode\":\"\",\"CpuShares\":0,\"CpuPeriod\":0,"
			   "\"CpuQuota\":-1,\"Memory\":9223372036854775807,\"MemorySwap\":-1,"
			   "\"CpusetCpus\":\"0-3,7\"},"
			   "\"Mounts\":null,"
			   "\"NetworkSettings\":{\"IPAddress\":\"\",\"Ports\":{"
			   "\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
			   "{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],"
			   "\"53/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"53\"}],"
			   "\"443/tcp\":null,\"x/tcp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"1\"}],"
			   "\"8443/tcp\":[{\"HostIp\":\"10.0.0.1\",\"HostPort\":\"99999\"},"
			   "{\"HostIp\":\"10.0.0.1\",\"HostPort\":\"443\"}]}}}");
	} else if (strstr(path, "/containers/" CANNED_NET "/json")) {
		http_reply(fd, "200 OK",
			   "{\"Id\":\"" CANNED_NET "\",\"NetworkSettings\":{\"IPAddress\":\"10.1.2.3\"}}");
	} else if (strstr(path, "/images/abc/json")) {
		http_reply(fd, "200 OK",
			   "{\"Id\":\"sha256:abc\",\"RepoTags\":[\"bad\",\"reg:5000/a/b:1.2\"],"
			   "\"RepoDigests\":[\"reg:5000/a/b@sha256:d1\",\"other/x@sha256:d2\"]}");
	} else if (strstr(path, "/containers/json")) {
		http_reply(fd, "200 OK", "[{\"Id\":\"" CANNED_ID "\"},{\"Id\":\"" CANNED_NET "\"}]");
	} else if (strstr(path, "/events")) {
		const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
		const char *evs =
			"{\"status\":\"create\",\"id\":\"" CANNED_ID "\",\"Type\":\"container\","
			"\"Action\":\"create\",\"Actor\":{\"ID\":\"" CANNED_ID "\"}}\n"
			"{\"Type\":\"network\",\"Action\":\"create\",\"Actor\":{\"ID\":\"" CANNED_ID "\"}}\n"
			"{\"Type\":\"container\",\"Action\":\"exec_create: sh\",\"Actor\":{\"ID\":\"" CANNED_ID "\"}}\n"
			"{\"status\":\"start\",\"id\":\"" CANNED_ID "\"}\r\n\n"
			"{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"" CANNED_ID "\"}}\n"
			"{\"Type\":\"container\",\"Action\":\"remove\",\"Actor\":{\"ID\":\"" CANNED_ID "\"}}\n";
		if (peer_send(fd, head, strlen(head)))
			peer_send(fd, evs, strlen(evs));
	} else {
		http_reply(fd, "404 Not Found", "{\"message\":\"no such container\"}");
	}
}

/* Answers one request according to the peer's mode. */
static void peer_serve(struct peer *p, int fd, const char *req)
{
	char path[512] = "";
	sscanf(req, "GET %511s", path);
	if (p->ping_ok && strcmp(path, "/_ping") == 0) {
		const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
		peer_send(fd, ok, strlen(ok));
		return;
	}
	static char flood[65536];
	memset(flood, 'a', sizeof(flood));
	const char *s;
	switch (p->mode) {
	case P_HANG:
		peer_wait_close(p, fd, 0);
		break;
	case P_GARBAGE:
		s = "\x01\xff\xfe garbage, not HTTP at all\r\n\r\n";
		peer_send(fd, s, strlen(s));
		break;
	case P_BAD_JSON:
		s = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"Id\": [1,\n\n";
		peer_send(fd, s, strlen(s));
		peer_wait_close(p, fd, 0);
		break;
	case P_TRUNCATED:
		s = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"Id\":\"";
		peer_send(fd, s, strlen(s));
		break;
	case P_HUGE_LEN:
		s = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
		if (peer_send(fd, s, strlen(s)))
			while (!atomic_load(&p->stop) && peer_send(fd, flood, sizeof(flood)))
				;
		break;
	case P_FLOOD:
		s = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
		if (peer_send(fd, s, strlen(s)))
			while (!atomic_load(&p->stop) && peer_send(fd, flood, sizeof(flood)))
				;
		break;
	case P_DRIP:
		s = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
		if (peer_send(fd, s, strlen(s)))
			peer_wait_close(p, fd, 100);
		break;
	case P_WRONG_TYPES:
		if (strstr(path, "/events")) {
			s = "HTTP/1.1 200 OK\r\n\r\n[1,2,3]\n";
			peer_send(fd, s, strlen(s));
			peer_wait_close(p, fd, 0);
		} else if (strstr(path, "/containers/json")) {
			http_reply(fd, "200 OK", "[{\"Id\":\"" CANNED_ID "\"},{\"Id\":5}]");
		} else {
			http_reply(fd, "200 OK",
				   "{\"Id\":\"" CANNED_ID "\",\"HostConfig\":{\"Privileged\":\"yes\"}}");
		}
		break;
	case P_CLOSE:
		break;
	case P_ERROR_FLOOD:
		s = "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n";
		if (peer_send(fd, s, strlen(s)))
			while (!atomic_load(&p->stop) && peer_send(fd, flood, sizeof(flood)))
				;
		break;
	case P_IMAGE_HANG:
		if (strstr(path, "/images/")) {
			peer_wait_close(p, fd, 0);
			break;
		}
		/* fall through */
	case P_CANNED:
		canned_reply(fd, path);
		/* the event stream ends when the connection closes */
		if (!strstr(path, "/events"))
			peer_wait_close(p, fd, 0);
		break;
	}
}

/* Reads a request's head (bounded), then serves it. One connection at a
 * time: the tests make one call at a time. */
static void peer_conn(struct peer *p, int fd)
{
	char req[8192];
	size_t len = 0;
	while (!atomic_load(&p->stop) && len + 1 < sizeof(req)) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = 0;
		if (strstr(req, "\r\n\r\n")) {
			peer_serve(p, fd, req);
			return;
		}
	}
}

static void *peer_thread(void *arg)
{
	struct peer *p = arg;
	while (!atomic_load(&p->stop)) {
		struct pollfd pf = {.fd = p->lfd, .events = POLLIN};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		peer_conn(p, fd);
		close(fd);
	}
	return NULL;
}

static struct peer *peer_start(enum peer_mode mode, bool ping_ok)
{
	struct peer *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	snprintf(p->path, sizeof(p->path), "/tmp/sk-hostile-%d.sock", (int)getpid());
	unlink(p->path);
	p->mode = mode;
	p->ping_ok = ping_ok;
	atomic_init(&p->stop, false);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(p->lfd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	sk_strlcpy(sa.sun_path, p->path, sizeof(sa.sun_path));
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 16), 0);
	assert_int_equal(pthread_create(&p->th, NULL, peer_thread, p), 0);
	return p;
}

static void peer_stop(struct peer *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->th, NULL);
	close(p->lfd);
	unlink(p->path);
	free(p);
}

#define TIMEOUT_MS 500
#define SLACK_MS 500

static void hostile_cfg(struct sk_ctr_cfg *cfg)
{
	test_cfg(cfg, TIMEOUT_MS);
}

static void ignore_event(void *ctx, enum sk_ctr_event_kind kind, const char *id)
{
	(void)ctx;
	(void)kind;
	(void)id;
}

static void ignore_id(void *ctx, const char *id)
{
	(void)ctx;
	(void)id;
}

/* A watch that is not stopped must still fail on its own, in time. */
struct watch_run {
	struct sk_ctr_engine *e;
	atomic_bool stop;
	int rc;
	struct sk_err err;
};

static void *watch_run_thread(void *arg)
{
	struct watch_run *w = arg;
	w->rc = w->e->ops->watch(w->e, ignore_event, NULL, &w->stop, &w->err);
	return NULL;
}

/* Runs inspect, list and watch against a peer in `mode`; each must fail
 * within the timeout plus slack. `watch_fails`: whether the stream itself
 * must end in an error (a dripping stream is a live one until stopped). */
static void hostile_calls(enum peer_mode mode, bool watch_fails)
{
	struct peer *p = peer_start(mode, true);
	struct sk_ctr_cfg cfg;
	hostile_cfg(&cfg);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ctr_engine *e = sk_ctr_docker_new(&cfg, p->path, SK_CT_DOCKER, &err);
	assert_non_null(e);

	struct sk_ctr_info i = {0};
	uint64_t t0 = sk_ctr_mono_ns();
	int rc = e->ops->inspect(e, "0123456789ab", &i, &err);
	uint64_t ms = ms_since(t0);
	print_message("mode %d inspect: %d after %ums: %s\n", mode, rc, (unsigned)ms, err.msg);
	assert_true(rc < 0);
	assert_true(ms <= TIMEOUT_MS + SLACK_MS);
	assert_null(i.full_id);
	sk_ctr_info_done(&i);

	t0 = sk_ctr_mono_ns();
	rc = e->ops->list(e, ignore_id, NULL, &err);
	ms = ms_since(t0);
	print_message("mode %d list: %d after %ums: %s\n", mode, rc, (unsigned)ms, err.msg);
	assert_true(rc < 0);
	assert_true(ms <= TIMEOUT_MS + SLACK_MS);

	struct watch_run *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->e = e;
	atomic_init(&w->stop, false);
	pthread_t th;
	t0 = sk_ctr_mono_ns();
	assert_int_equal(pthread_create(&th, NULL, watch_run_thread, w), 0);
	if (!watch_fails) {
		usleep(300 * 1000);
		t0 = sk_ctr_mono_ns();
		atomic_store(&w->stop, true);
	}
	/* a watchdog: stop it anyway long after it should have ended */
	while (ms_since(t0) < 4 * (TIMEOUT_MS + SLACK_MS)) {
		usleep(10 * 1000);
		if (pthread_tryjoin_np(th, NULL) == 0)
			goto joined;
	}
	atomic_store(&w->stop, true);
	pthread_join(th, NULL);
joined:
	ms = ms_since(t0);
	print_message("mode %d watch: %d after %ums: %s\n", mode, w->rc, (unsigned)ms, w->err.msg);
	assert_true(ms <= TIMEOUT_MS + SLACK_MS);
	if (watch_fails)
		assert_true(w->rc < 0);
	else
		assert_int_equal(w->rc, 0);
	free(w);
	e->ops->free(e);
	peer_stop(p);
}

static void test_hostile_hang(void **state) { (void)state; hostile_calls(P_HANG, true); }
static void test_hostile_garbage(void **state) { (void)state; hostile_calls(P_GARBAGE, true); }
static void test_hostile_bad_json(void **state) { (void)state; hostile_calls(P_BAD_JSON, true); }
static void test_hostile_truncated(void **state) { (void)state; hostile_calls(P_TRUNCATED, true); }
static void test_hostile_huge_len(void **state) { (void)state; hostile_calls(P_HUGE_LEN, true); }
static void test_hostile_flood(void **state) { (void)state; hostile_calls(P_FLOOD, true); }
static void test_hostile_drip(void **state) { (void)state; hostile_calls(P_DRIP, false); }
static void test_hostile_wrong_types(void **state) { (void)state; hostile_calls(P_WRONG_TYPES, true); }
static void test_hostile_close(void **state) { (void)state; hostile_calls(P_CLOSE, true); }
static void test_hostile_error_flood(void **state) { (void)state; hostile_calls(P_ERROR_FLOOD, true); }

/* An inspect is one budget: a container call that answers and an image call
 * that hangs still end within timeout_ms. */
static void test_hostile_image_hang(void **state)
{
	(void)state;
	struct peer *p = peer_start(P_IMAGE_HANG, true);
	struct sk_ctr_cfg cfg;
	hostile_cfg(&cfg);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ctr_engine *e = sk_ctr_docker_new(&cfg, p->path, SK_CT_DOCKER, &err);
	assert_non_null(e);
	struct sk_ctr_info i = {0};
	uint64_t t0 = sk_ctr_mono_ns();
	int rc = e->ops->inspect(e, CANNED_ID, &i, &err);
	uint64_t ms = ms_since(t0);
	print_message("image hang: %d after %ums: %s\n", rc, (unsigned)ms, err.msg);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_true(ms <= TIMEOUT_MS + SLACK_MS);
	assert_null(i.full_id);
	sk_ctr_info_done(&i);
	e->ops->free(e);
	peer_stop(p);
}

/* The constructor refuses a missing socket, a socket that never answers and
 * one that answers garbage, within the timeout. */
static void test_hostile_constructor(void **state)
{
	(void)state;
	struct sk_ctr_cfg cfg;
	hostile_cfg(&cfg);
	struct sk_err err;
	sk_err_clear(&err);
	assert_null(sk_ctr_docker_new(&cfg, "/nonexistent/docker.sock", SK_CT_DOCKER, &err));
	assert_int_equal(err.code, -ENOENT);
	enum peer_mode modes[] = {P_HANG, P_GARBAGE, P_CLOSE, P_DRIP};
	for (size_t k = 0; k < SK_ARRAY_LEN(modes); k++) {
		struct peer *p = peer_start(modes[k], false);
		sk_err_clear(&err);
		uint64_t t0 = sk_ctr_mono_ns();
		assert_null(sk_ctr_docker_new(&cfg, p->path, SK_CT_PODMAN, &err));
		uint64_t ms = ms_since(t0);
		print_message("constructor, mode %d: %ums: %s\n", modes[k], (unsigned)ms, err.msg);
		assert_true(err.code < 0);
		assert_true(ms <= TIMEOUT_MS + SLACK_MS);
		peer_stop(p);
	}
}

/* Odd but valid documents: null maps, an RFC 3339 offset, a cpuset range
 * list, port bindings to keep and to skip, a shared network namespace, a
 * sandbox name, an image with several repositories; ids that are not ids. */
static void test_canned_peer(void **state)
{
	(void)state;
	struct peer *p = peer_start(P_CANNED, true);
	struct sk_ctr_cfg cfg;
	hostile_cfg(&cfg);
	struct sk_err err;
	sk_err_clear(&err);
	struct sk_ctr_engine *e = sk_ctr_docker_new(&cfg, p->path, SK_CT_DOCKER, &err);
	assert_non_null(e);
	struct sk_ctr_info i = {0};
	int rc = e->ops->inspect(e, CANNED_ID, &i, &err);
	if (rc)
		print_message("canned inspect: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(i.name, "k8s_POD_mypod_myns_uid_0");
	assert_true(i.is_pod_sandbox);
	assert_string_equal(i.image, "reg:5000/a/b:1.2");
	assert_string_equal(i.image_id, "abc");
	assert_string_equal(i.image_repo, "reg:5000/a/b");
	assert_string_equal(i.image_tag, "1.2");
	assert_string_equal(i.image_digest, "sha256:d1");
	assert_string_equal(i.user, "1000");
	assert_int_equal(i.created_time, 1709242200); /* 2024-02-29T21:30:00Z */
	assert_true(i.host_pid);
	assert_false(i.host_ipc);
	assert_false(i.host_network);
	assert_int_equal(i.cpu_shares, 1024);
	assert_int_equal(i.cpu_period, 100000);
	assert_int_equal(i.cpu_quota, -1);
	assert_int_equal(i.memory_limit, INT64_MAX);
	assert_int_equal(i.swap_limit, -1);
	assert_int_equal(i.cpuset_cpu_count, 5);
	assert_string_equal(i.ip, "10.1.2.3");
	assert_int_equal(json_object_size(i.labels), 0);
	assert_int_equal(json_array_size(i.env), 0);
	assert_int_equal(json_array_size(i.mounts), 0);
	json_t *want = json_loads("[{\"HostIp\":0,\"HostPort\":8080,\"ContainerPort\":80},"
				  "{\"HostIp\":167772161,\"HostPort\":443,\"ContainerPort\":8443}]",
				  0, NULL);
	assert_non_null(want);
	assert_int_equal(json_array_size(i.port_mappings), 2);
	assert_same_set(i.port_mappings, want);
	json_decref(want);
	sk_ctr_info_done(&i);

	/* by name; unknown; ids that could not be ids are refused unsent */
	assert_int_equal(e->ops->inspect(e, "k8s_POD_mypod_myns_uid_0", &i, &err), 0);
	sk_ctr_info_done(&i);
	assert_int_equal(e->ops->inspect(e, "fedcba987654", &i, &err), -ENOENT);
	sk_ctr_info_done(&i);
	char longid[130];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	const char *bad[] = {"", "../../_ping", "a b", "a?b", "a%2fb", longid};
	for (size_t k = 0; k < SK_ARRAY_LEN(bad); k++) {
		assert_int_equal(e->ops->inspect(e, bad[k], &i, &err), -EINVAL);
		sk_ctr_info_done(&i);
	}

	json_t *ids = json_array();
	assert_int_equal(e->ops->list(e, collect_id, ids, &err), 0);
	assert_int_equal(json_array_size(ids), 2);
	json_decref(ids);

	/* the stream: create, start, remove (as destroy); the rest skipped;
	 * the runtime then ends the stream, which is an error */
	struct seen *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	pthread_mutex_init(&s->mu, NULL);
	s->e = e;
	atomic_init(&s->stop, false);
	watch_thread(s);
	print_message("canned watch: %d: %s\n", s->rc, s->err.msg);
	assert_true(s->rc < 0);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->ev[0].kind, SK_CTR_EV_CREATE);
	assert_int_equal(s->ev[1].kind, SK_CTR_EV_START);
	assert_int_equal(s->ev[2].kind, SK_CTR_EV_DESTROY);
	assert_string_equal(s->ev[2].id, CANNED_ID);
	pthread_mutex_destroy(&s->mu);
	free(s);
	e->ops->free(e);
	peer_stop(p);
}

int main(void)
{
	const struct CMUnitTest runtime_tests[] = {
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_inspect_latency),
	};
	const struct CMUnitTest hostile_tests[] = {
		cmocka_unit_test(test_hostile_constructor),
		cmocka_unit_test(test_hostile_hang),
		cmocka_unit_test(test_hostile_garbage),
		cmocka_unit_test(test_hostile_bad_json),
		cmocka_unit_test(test_hostile_truncated),
		cmocka_unit_test(test_hostile_huge_len),
		cmocka_unit_test(test_hostile_flood),
		cmocka_unit_test(test_hostile_drip),
		cmocka_unit_test(test_hostile_wrong_types),
		cmocka_unit_test(test_hostile_close),
		cmocka_unit_test(test_hostile_error_flood),
		cmocka_unit_test(test_hostile_image_hang),
		cmocka_unit_test(test_canned_peer),
	};
	int fails = 0;
	fails += cmocka_run_group_tests_name("hostile", hostile_tests, NULL, NULL);
	fails += cmocka_run_group_tests_name("podman", runtime_tests, podman_setup, rt_teardown);
	fails += cmocka_run_group_tests_name("docker", runtime_tests, docker_setup, rt_teardown);
	return fails;
}
