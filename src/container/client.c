/* client.c — the runtime client: one thread per configured runtime socket
 * (it connects, retries with back-off while the socket is absent, follows
 * the runtime's event stream or polls its list), one lookup worker that
 * inspects containers, and the bounded queues between them and the engine
 * thread. The engine thread only enqueues lookups and takes records. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container_int.h"

#define DEF_MAX_PENDING 4096
#define DEF_MAX_KNOWN 16384
#define DEF_TIMEOUT_MS 2000
#define DEF_POLL_MS 1000
#define DEF_LABEL_MAX 100
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
#define CONNECT_RETRY_MAX_MS 5000
/* A lookup that found nothing is tried again, first after MISS_RETRY_MS and
 * then twice as long each time, MISS_RETRIES times (about 5 s in all): a
 * runtime announces a container (containerd's /containers/create) a few
 * milliseconds before its own API answers for it, and the container's first
 * process starts soon after, so the first retries must come fast. */
#define MISS_RETRY_MS 10
#define MISS_RETRIES 10
/* A container no runtime knows is not asked about again for this long. */
#define NEGATIVE_TTL_MS 30000

/* What the client knows about one container (by its 12-char id). */
struct known {
	char full_id[129];
	int slot;              /* engine slot that answered, -1 = none yet */
	bool have;             /* a record was sent */
	bool provisional;      /* a record from the runtime's files was sent */
	bool queued;           /* a lookup is queued */
	unsigned misses;       /* lookups that found nothing */
	uint64_t retry_at;     /* monotonic ns: not before (misses) */
	uint64_t touched;      /* monotonic ns of the last use, for eviction */
};

/* One runtime socket and its thread. */
struct slot {
	struct sk_ctr_client *c;
	const char *kind;      /* "docker", "podman", "cri", "containerd" */
	int type;              /* SK_CT_* handed to the docker constructor */
	char socket[256];
	struct sk_ctr_engine *_Atomic e;   /* set once by the slot thread */
	pthread_t th;
	bool started;
	char last_err[256];    /* the last failure, for the start-up log */
};

/* A lookup request: full or short id and who should answer first. */
struct request {
	char id[129];
	int slot;              /* slot to ask first, -1 = any */
	bool urgent;           /* from a runtime event: ahead of the queue */
};

struct sk_ctr_client {
	struct sk_ctr_cfg cfg;
	struct slot slots[4 * SK_CTR_MAX_SOCKETS];
	size_t nslots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
	bool worker_started;
	pthread_t worker;
	/* lookups: a ring of requests */
	struct request *rq;
	size_t rq_head, rq_len;
	/* records for the engine thread: a ring */
	struct sk_ctr_record *out;
	size_t out_head, out_len;
	atomic_size_t out_count;
	/* containers: short id -> struct known */
	struct sk_strmap known;
	/* counters */
	atomic_uint_fast64_t lookups, lookup_failures, lookup_ns_total, lookup_ns_max;
	atomic_uint_fast64_t events_seen, records, records_dropped, socket_errors;
};

/* ---- configuration ------------------------------------------------------- */

static void engine_defaults(struct sk_ctr_engine_cfg *e, const char *const *socks)
{
	e->enabled = true;
	e->nsockets = 0;
	for (; *socks && e->nsockets < SK_CTR_MAX_SOCKETS; socks++)
		sk_strlcpy(e->sockets[e->nsockets++], *socks, sizeof(e->sockets[0]));
}

void sk_ctr_cfg_defaults(struct sk_ctr_cfg *c)
{
	static const char *const docker[] = {"/var/run/docker.sock", NULL};
	static const char *const podman[] = {"/run/podman/podman.sock", NULL};
	static const char *const cri[] = {"/run/containerd/containerd.sock", "/run/crio/crio.sock",
					  "/run/k3s/containerd/containerd.sock",
					  "/run/host-containerd/containerd.sock", NULL};
	static const char *const containerd[] = {"/run/host-containerd/containerd.sock", NULL};
	memset(c, 0, sizeof(*c));
	engine_defaults(&c->docker, docker);
	engine_defaults(&c->podman, podman);
	engine_defaults(&c->cri, cri);
	engine_defaults(&c->containerd, containerd);
	c->label_max_len = DEF_LABEL_MAX;
	c->hook_create = true;
	c->max_pending = DEF_MAX_PENDING;
	c->max_known = DEF_MAX_KNOWN;
	c->timeout_ms = DEF_TIMEOUT_MS;
	c->poll_ms = DEF_POLL_MS;
}

static int cfg_bool(json_t *o, const char *key, bool *out, const char *where,
		    struct sk_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return sk_err_set(err, -EINVAL, "container plugin init_config: %s%s must be a boolean",
				  where, key);
	*out = json_is_true(v);
	return 0;
}

static int cfg_engine(json_t *engines, const char *name, struct sk_ctr_engine_cfg *e,
		      struct sk_err *err)
{
	json_t *o = json_object_get(engines, name);
	if (!o)
		return 0;
	char where[64];
	snprintf(where, sizeof(where), "engines.%s.", name);
	if (!json_is_object(o))
		return sk_err_set(err, -EINVAL, "container plugin init_config: engines.%s must be a map",
				  name);
	if (cfg_bool(o, "enabled", &e->enabled, where, err) < 0)
		return err ? err->code : -EINVAL;
	json_t *s = json_object_get(o, "sockets");
	if (!s || (json_is_array(s) && !json_array_size(s)))
		return 0; /* an empty list keeps the defaults, as the plugin does */
	if (!json_is_array(s))
		return sk_err_set(err, -EINVAL,
				  "container plugin init_config: %ssockets must be a list", where);
	e->nsockets = 0;
	size_t i;
	json_t *v;
	json_array_foreach(s, i, v) {
		if (!json_is_string(v))
			return sk_err_set(err, -EINVAL,
					  "container plugin init_config: %ssockets[%zu] must be a string",
					  where, i);
		if (e->nsockets == SK_CTR_MAX_SOCKETS)
			return sk_err_set(err, -E2BIG,
					  "container plugin init_config: %ssockets: at most %d sockets",
					  where, SK_CTR_MAX_SOCKETS);
		if (json_string_length(v) >= sizeof(e->sockets[0]))
			return sk_err_set(err, -ENAMETOOLONG,
					  "container plugin init_config: %ssockets[%zu] is too long",
					  where, i);
		sk_strlcpy(e->sockets[e->nsockets++], json_string_value(v), sizeof(e->sockets[0]));
	}
	return 0;
}

static int cfg_simple(json_t *engines, const char *name, bool *out, struct sk_err *err)
{
	json_t *o = json_object_get(engines, name);
	if (!o)
		return 0;
	char where[64];
	snprintf(where, sizeof(where), "engines.%s.", name);
	return json_is_object(o) ? cfg_bool(o, "enabled", out, where, err) : 0;
}

static int cfg_hooks(json_t *root, struct sk_ctr_cfg *c, struct sk_err *err)
{
	json_t *h = json_object_get(root, "hooks");
	if (!h)
		return 0;
	if (!json_is_array(h))
		return sk_err_set(err, -EINVAL, "container plugin init_config: hooks must be a list");
	c->hook_create = c->hook_start = false;
	size_t i;
	json_t *v;
	json_array_foreach(h, i, v) {
		const char *s = json_string_value(v);
		if (s && !strcmp(s, "create"))
			c->hook_create = true;
		else if (s && !strcmp(s, "start"))
			c->hook_start = true;
	}
	return 0;
}

int sk_ctr_cfg_from_json(struct sk_ctr_cfg *c, const char *text, struct sk_err *err)
{
	if (!text || !*text)
		return 0;
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return sk_err_set(err, -EINVAL, "container plugin init_config: %s (line %d, column %d)",
				  je.text, je.line, je.column);
	int rc = 0;
	if (!json_is_object(root)) {
		rc = sk_err_set(err, -EINVAL, "container plugin init_config must be a map");
		goto out;
	}
	json_t *lm = json_object_get(root, "label_max_len");
	if (lm) {
		if (!json_is_integer(lm) || json_integer_value(lm) < 0) {
			rc = sk_err_set(err, -EINVAL,
					"container plugin init_config: label_max_len must be a non-negative integer");
			goto out;
		}
		c->label_max_len = (size_t)json_integer_value(lm);
	}
	if ((rc = cfg_bool(root, "with_size", &c->with_size, "", err)) < 0 ||
	    (rc = cfg_hooks(root, c, err)) < 0)
		goto out;
	json_t *eng = json_object_get(root, "engines");
	if (eng && !json_is_object(eng)) {
		rc = sk_err_set(err, -EINVAL, "container plugin init_config: engines must be a map");
		goto out;
	}
	if (eng && ((rc = cfg_engine(eng, "docker", &c->docker, err)) < 0 ||
		    (rc = cfg_engine(eng, "podman", &c->podman, err)) < 0 ||
		    (rc = cfg_engine(eng, "cri", &c->cri, err)) < 0 ||
		    (rc = cfg_engine(eng, "containerd", &c->containerd, err)) < 0 ||
		    (rc = cfg_simple(eng, "lxc", &c->lxc, err)) < 0 ||
		    (rc = cfg_simple(eng, "libvirt_lxc", &c->libvirt_lxc, err)) < 0 ||
		    (rc = cfg_simple(eng, "bpm", &c->bpm, err)) < 0))
		goto out;
out:
	json_decref(root);
	return rc;
}

/* ---- queues (called with c->mu held) --------------------------------------- */

static void push_record_locked(struct sk_ctr_client *c, bool removed, char *json)
{
	if (c->out_len == c->cfg.max_pending) {
		atomic_fetch_add(&c->records_dropped, 1);
		free(json);
		return;
	}
	struct sk_ctr_record *r = &c->out[(c->out_head + c->out_len) % c->cfg.max_pending];
	r->removed = removed;
	r->json = json;
	r->ts = sk_ctr_now_ns();
	c->out_len++;
	atomic_store(&c->out_count, c->out_len);
	atomic_fetch_add(&c->records, 1);
}

/* The oldest known entry that is not queued, or NULL. */
static const char *oldest_known_locked(struct sk_ctr_client *c)
{
	const char *best = NULL;
	uint64_t best_t = UINT64_MAX;
	size_t it = 0, kl;
	const char *k;
	void *v;
	while (sk_strmap_next(&c->known, &it, &k, &kl, &v)) {
		struct known *kn = v;
		if (!kn->queued && kn->touched < best_t) {
			best_t = kn->touched;
			best = k;
		}
	}
	return best;
}

static struct known *known_get_locked(struct sk_ctr_client *c, const char *id, bool create)
{
	char key[13];
	sk_strlcpy(key, id, sizeof(key));
	struct known *kn = sk_strmap_get(&c->known, key);
	if (kn || !create)
		return kn;
	if (c->known.count >= c->cfg.max_known) {
		const char *old = oldest_known_locked(c);
		if (!old)
			return NULL;
		free(sk_strmap_deln(&c->known, old, strlen(old)));
	}
	kn = calloc(1, sizeof(*kn));
	if (!kn)
		return NULL;
	kn->slot = -1;
	if (sk_strmap_put(&c->known, key, kn) < 0) {
		free(kn);
		return NULL;
	}
	return kn;
}

static void known_forget_locked(struct sk_ctr_client *c, const char *id)
{
	char key[13];
	sk_strlcpy(key, id, sizeof(key));
	free(sk_strmap_deln(&c->known, key, strlen(key)));
}

static bool queue_lookup_locked(struct sk_ctr_client *c, const char *id, int slot, bool urgent)
{
	if (c->rq_len == c->cfg.max_pending)
		return false;
	size_t pos;
	if (urgent) {
		c->rq_head = (c->rq_head + c->cfg.max_pending - 1) % c->cfg.max_pending;
		pos = c->rq_head;
	} else {
		pos = (c->rq_head + c->rq_len) % c->cfg.max_pending;
	}
	struct request *r = &c->rq[pos];
	sk_strlcpy(r->id, id, sizeof(r->id));
	r->slot = slot;
	r->urgent = urgent;
	c->rq_len++;
	pthread_cond_signal(&c->cv);
	return true;
}

/* Queues a lookup unless one is queued, a record was sent (and `force` is
 * off), or the container missed too recently. */
static void want_lookup_locked(struct sk_ctr_client *c, const char *id, int slot, bool urgent,
			       bool force)
{
	struct known *kn = known_get_locked(c, id, true);
	if (!kn)
		return;
	kn->touched = sk_ctr_mono_ns();
	if (strlen(id) > strlen(kn->full_id))
		sk_strlcpy(kn->full_id, id, sizeof(kn->full_id));
	if (kn->queued) {
		if (urgent && kn->misses) {
			kn->retry_at = 0; /* news from the runtime: retry now */
			pthread_cond_signal(&c->cv);
		}
		return;
	}
	if (kn->have && !force)
		return;
	if (!force && kn->misses >= MISS_RETRIES && kn->touched < kn->retry_at)
		return;
	if (force)
		kn->misses = 0;
	if (queue_lookup_locked(c, kn->full_id[0] ? kn->full_id : id, slot, urgent))
		kn->queued = true;
}

/* ---- the lookup worker ------------------------------------------------------ */

static struct sk_ctr_engine *slot_engine(struct slot *s)
{
	return atomic_load(&s->e);
}

/* Asks the preferred slot first, then every other one. Returns the slot that
 * answered (info filled) or -1. */
static int inspect_any(struct sk_ctr_client *c, const struct request *r, struct sk_ctr_info *info)
{
	for (size_t pass = 0; pass <= c->nslots; pass++) {
		int i = pass == 0 ? r->slot : (int)pass - 1;
		if (i < 0 || (size_t)i >= c->nslots || (pass && i == r->slot))
			continue;
		struct sk_ctr_engine *e = slot_engine(&c->slots[i]);
		if (!e)
			continue;
		struct sk_err err;
		sk_err_clear(&err);
		memset(info, 0, sizeof(*info));
		int rc = e->ops->inspect(e, r->id, info, &err);
		if (rc == 0)
			return i;
		sk_ctr_info_done(info);
		if (rc != -ENOENT)
			atomic_fetch_add(&c->socket_errors, 1);
	}
	return -1;
}

/* Docker and podman hold a container's lock while creating and starting
 * it: their files give a first record at once (disk.c), the API the full
 * one after. */
static void provisional_record(struct sk_ctr_client *c, const struct request *r)
{
	pthread_mutex_lock(&c->mu);
	struct known *kn = known_get_locked(c, r->id, false);
	bool want = kn && !kn->have && !kn->provisional;
	pthread_mutex_unlock(&c->mu);
	if (!want)
		return;
	struct sk_ctr_info info;
	memset(&info, 0, sizeof(info));
	char *json = NULL;
	if (sk_ctr_disk_inspect(&c->cfg, r->id, &info) == 0)
		json = sk_ctr_info_to_json(&info, c->cfg.label_max_len);
	sk_ctr_info_done(&info);
	if (!json)
		return;
	pthread_mutex_lock(&c->mu);
	kn = known_get_locked(c, r->id, false);
	if (kn && !kn->have) {
		kn->provisional = true;
		push_record_locked(c, false, json);
		json = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	free(json);
}

static void lookup_one(struct sk_ctr_client *c, const struct request *r)
{
	provisional_record(c, r);
	struct sk_ctr_info info;
	uint64_t t0 = sk_ctr_mono_ns();
	int slot = inspect_any(c, r, &info);
	uint64_t dt = sk_ctr_mono_ns() - t0;
	atomic_fetch_add(&c->lookups, 1);
	atomic_fetch_add(&c->lookup_ns_total, dt);
	uint64_t mx = atomic_load(&c->lookup_ns_max);
	while (dt > mx && !atomic_compare_exchange_weak(&c->lookup_ns_max, &mx, dt))
		;
	char *json = slot >= 0 ? sk_ctr_info_to_json(&info, c->cfg.label_max_len) : NULL;
	if (slot >= 0)
		sk_ctr_info_done(&info);
	pthread_mutex_lock(&c->mu);
	struct known *kn = known_get_locked(c, r->id, true);
	if (kn)
		kn->queued = false;
	if (json) {
		if (kn) {
			kn->have = true;
			kn->slot = slot;
			kn->misses = 0;
		}
		push_record_locked(c, false, json);
	} else {
		if (!kn || kn->misses + 1 >= MISS_RETRIES)
			atomic_fetch_add(&c->lookup_failures, 1); /* given up on */
		if (kn) {
			kn->misses++;
			uint64_t now = sk_ctr_mono_ns();
			if (kn->misses < MISS_RETRIES) {
				/* the runtime may not know it yet: ask again shortly */
				kn->retry_at = now + ((uint64_t)MISS_RETRY_MS * 1000000ull << (kn->misses - 1));
				kn->queued = queue_lookup_locked(c, r->id, r->slot, false);
			} else {
				kn->retry_at = now + (uint64_t)NEGATIVE_TTL_MS * 1000000ull;
			}
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* Waits for the next request that is due; false when stopping. */
static bool next_request(struct sk_ctr_client *c, struct request *out)
{
	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (atomic_load(&c->stop)) {
			pthread_mutex_unlock(&c->mu);
			return false;
		}
		/* the first due request; ones waiting for a retry go to the back */
		uint64_t now = sk_ctr_mono_ns(), next_due = UINT64_MAX;
		for (size_t n = c->rq_len; n > 0; n--) {
			*out = c->rq[c->rq_head];
			c->rq_head = (c->rq_head + 1) % c->cfg.max_pending;
			struct known *kn = known_get_locked(c, out->id, false);
			if (!kn || kn->misses == 0 || now >= kn->retry_at) {
				c->rq_len--;
				pthread_mutex_unlock(&c->mu);
				return true;
			}
			if (kn->retry_at < next_due)
				next_due = kn->retry_at;
			c->rq[(c->rq_head + c->rq_len - 1) % c->cfg.max_pending] = *out;
		}
		if (next_due == UINT64_MAX) {
			pthread_cond_wait(&c->cv, &c->mu); /* nothing queued */
			continue;
		}
		/* sleep until the earliest retry (or a signal) */
		uint64_t wait_ns = next_due - now;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + wait_ns;
		ts.tv_sec = (time_t)(t / 1000000000ull);
		ts.tv_nsec = (long)(t % 1000000000ull);
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
}

static void *worker_main(void *arg)
{
	struct sk_ctr_client *c = arg;
	struct request r;
	while (next_request(c, &r))
		lookup_one(c, &r);
	return NULL;
}

/* ---- slot threads: connect, then watch or poll ------------------------------ */

static void sleep_ms(struct sk_ctr_client *c, unsigned ms)
{
	while (ms && !atomic_load(&c->stop)) {
		unsigned step = ms < 50 ? ms : 50;
		usleep(step * 1000u);
		ms -= step;
	}
}

static struct sk_ctr_engine *slot_connect(struct slot *s, struct sk_err *err)
{
	const struct sk_ctr_cfg *cfg = &s->c->cfg;
	if (!strcmp(s->kind, "cri"))
		return sk_ctr_cri_new(cfg, s->socket, err);
	if (!strcmp(s->kind, "containerd"))
		return sk_ctr_containerd_new(cfg, s->socket, err);
	return sk_ctr_docker_new(cfg, s->socket, s->type, err);
}

static void on_runtime_event(void *ctx, enum sk_ctr_event_kind kind, const char *full_id)
{
	struct slot *s = ctx;
	struct sk_ctr_client *c = s->c;
	atomic_fetch_add(&c->events_seen, 1);
	int idx = (int)(s - c->slots);
	pthread_mutex_lock(&c->mu);
	if (kind == SK_CTR_EV_DESTROY) {
		struct known *kn = known_get_locked(c, full_id, false);
		if (kn && (kn->have || kn->provisional)) {
			char *json = NULL;
			json_t *o = json_pack("{s:{s:s,s:s%,s:i}}", "container", "full_id",
					      kn->full_id, "id", kn->full_id,
					      strlen(kn->full_id) < 12 ? strlen(kn->full_id) : (size_t)12,
					      "type", s->type);
			if (o)
				json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(o);
			if (json)
				push_record_locked(c, true, json);
		}
		if (kn && !kn->queued)
			known_forget_locked(c, full_id);
	} else if ((kind == SK_CTR_EV_CREATE && c->cfg.hook_create) ||
		   (kind == SK_CTR_EV_START && c->cfg.hook_start)) {
		want_lookup_locked(c, full_id, idx, true, kind == SK_CTR_EV_START);
	} else if (kind == SK_CTR_EV_START) {
		/* start without the start hook: only if create was missed */
		want_lookup_locked(c, full_id, idx, true, false);
	}
	pthread_mutex_unlock(&c->mu);
}

struct poll_ctx {
	struct slot *s;
	struct sk_strmap seen;
};

static void on_listed(void *ctx, const char *full_id)
{
	struct poll_ctx *p = ctx;
	struct sk_ctr_client *c = p->s->c;
	char key[13];
	sk_strlcpy(key, full_id, sizeof(key));
	if (sk_strmap_put(&p->seen, key, (void *)1) < 0)
		return;
	pthread_mutex_lock(&c->mu);
	want_lookup_locked(c, full_id, (int)(p->s - c->slots), false, false);
	pthread_mutex_unlock(&c->mu);
}

/* A runtime without events: list it every poll_ms; what disappeared from
 * the list is removed. */
static int poll_once(struct slot *s, struct sk_ctr_engine *e, struct sk_err *err)
{
	struct sk_ctr_client *c = s->c;
	struct poll_ctx p = {.s = s};
	sk_strmap_init(&p.seen);
	int rc = e->ops->list(e, on_listed, &p, err);
	if (rc == 0) {
		/* every container gone from the list (after a broken event stream
		 * there can be many), in rounds of 64 names */
		int idx = (int)(s - c->slots);
		char gone[64][13];
		size_t ngone;
		bool more = true;
		while (more) {
			ngone = 0;
			pthread_mutex_lock(&c->mu);
			size_t it = 0, kl;
			const char *k;
			void *v;
			while (ngone < SK_ARRAY_LEN(gone) &&
			       sk_strmap_next(&c->known, &it, &k, &kl, &v)) {
				struct known *kn = v;
				if (kn->have && kn->slot == idx && !sk_strmap_hasn(&p.seen, k, kl))
					sk_strlcpy(gone[ngone++], k, sizeof(gone[0]));
			}
			pthread_mutex_unlock(&c->mu);
			more = ngone == SK_ARRAY_LEN(gone);
			/* the next round starts over (forgetting changes the map):
			 * what this one handled counts as seen, so it is not again */
			for (size_t i = 0; i < ngone; i++) {
				on_runtime_event(s, SK_CTR_EV_DESTROY, gone[i]);
				if (sk_strmap_put(&p.seen, gone[i], (void *)1) < 0)
					more = false;
			}
		}
	}
	sk_strmap_done(&p.seen);
	return rc;
}

static void *slot_main(void *arg)
{
	struct slot *s = arg;
	struct sk_ctr_client *c = s->c;
	unsigned backoff = RETRY_MIN_MS;
	while (!atomic_load(&c->stop)) {
		struct sk_err err;
		sk_err_clear(&err);
		struct sk_ctr_engine *e = slot_engine(s);
		if (!e) {
			e = slot_connect(s, &err);
			if (!e) {
				/* a socket that exists but does not answer is an error;
				 * one that does not exist is a runtime not installed */
				if (access(s->socket, F_OK) == 0)
					atomic_fetch_add(&c->socket_errors, 1);
				sk_strlcpy(s->last_err, err.msg, sizeof(s->last_err));
				/* a runtime started after saker is found within seconds */
				sleep_ms(c, backoff < CONNECT_RETRY_MAX_MS ? backoff : CONNECT_RETRY_MAX_MS);
				backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
				continue;
			}
			atomic_store(&s->e, e);
			backoff = RETRY_MIN_MS;
			poll_once(s, e, &err); /* what runs already */
		}
		int rc = e->ops->watch ? e->ops->watch(e, on_runtime_event, s, &c->stop, &err)
				       : -ENOTSUP;
		if (rc == 0 || atomic_load(&c->stop))
			continue;
		if (rc == -ENOTSUP) {
			if (poll_once(s, e, &err) < 0)
				atomic_fetch_add(&c->socket_errors, 1);
			sleep_ms(c, c->cfg.poll_ms);
			continue;
		}
		atomic_fetch_add(&c->socket_errors, 1);
		sk_strlcpy(s->last_err, err.msg, sizeof(s->last_err));
		sleep_ms(c, backoff);
		backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
		/* the stream broke: catch up on what happened meanwhile */
		poll_once(s, e, &err);
	}
	return NULL;
}

/* ---- public API -------------------------------------------------------------- */

static void add_slots(struct sk_ctr_client *c, const struct sk_ctr_engine_cfg *ec,
		      const char *kind, int type)
{
	if (!ec->enabled)
		return;
	for (size_t i = 0; i < ec->nsockets && c->nslots < SK_ARRAY_LEN(c->slots); i++) {
		struct slot *s = &c->slots[c->nslots++];
		s->c = c;
		s->kind = kind;
		s->type = type;
		snprintf(s->socket, sizeof(s->socket), "%s%s",
			 c->cfg.host_root ? c->cfg.host_root : "", ec->sockets[i]);
	}
}

struct sk_ctr_client *sk_ctr_client_new(const struct sk_ctr_cfg *cfg, struct sk_err *err)
{
	struct sk_ctr_client *c = calloc(1, sizeof(*c));
	if (!c) {
		sk_err_set(err, -ENOMEM, "container client: out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	if (!c->cfg.max_pending)
		c->cfg.max_pending = DEF_MAX_PENDING;
	if (!c->cfg.max_known)
		c->cfg.max_known = DEF_MAX_KNOWN;
	if (!c->cfg.timeout_ms)
		c->cfg.timeout_ms = DEF_TIMEOUT_MS;
	if (!c->cfg.poll_ms)
		c->cfg.poll_ms = DEF_POLL_MS;
	c->rq = calloc(c->cfg.max_pending, sizeof(*c->rq));
	c->out = calloc(c->cfg.max_pending, sizeof(*c->out));
	if (!c->rq || !c->out) {
		free(c->rq);
		free(c->out);
		free(c);
		sk_err_set(err, -ENOMEM, "container client: out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	sk_strmap_init(&c->known);
	add_slots(c, &c->cfg.docker, "docker", SK_CT_DOCKER);
	add_slots(c, &c->cfg.podman, "podman", SK_CT_PODMAN);
	add_slots(c, &c->cfg.cri, "cri", SK_CT_CRI);
	add_slots(c, &c->cfg.containerd, "containerd", SK_CT_CONTAINERD);
	return c;
}

int sk_ctr_client_list_now(struct sk_ctr_client *c)
{
	for (size_t i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[i];
		if (s->started || slot_engine(s) || access(s->socket, F_OK) != 0)
			continue;
		struct sk_err err;
		sk_err_clear(&err);
		struct sk_ctr_engine *e = slot_connect(s, &err);
		if (!e) {
			sk_strlcpy(s->last_err, err.msg, sizeof(s->last_err));
			continue;
		}
		atomic_store(&s->e, e);
		if (poll_once(s, e, &err) < 0)
			sk_strlcpy(s->last_err, err.msg, sizeof(s->last_err));
	}
	/* run the queued lookups here, synchronously: nothing else runs yet;
	 * each once (a retry goes back to the queue, for the worker) */
	struct request r;
	pthread_mutex_lock(&c->mu);
	size_t todo = c->rq_len;
	pthread_mutex_unlock(&c->mu);
	while (todo--) {
		pthread_mutex_lock(&c->mu);
		bool have = c->rq_len > 0 && !c->worker_started;
		if (have) {
			r = c->rq[c->rq_head];
			c->rq_head = (c->rq_head + 1) % c->cfg.max_pending;
			c->rq_len--;
		}
		pthread_mutex_unlock(&c->mu);
		if (!have)
			break;
		struct known *kn;
		pthread_mutex_lock(&c->mu);
		kn = known_get_locked(c, r.id, false);
		bool retry = kn && kn->misses > 0;
		if (retry) /* leave retries to the worker: back in the queue */
			queue_lookup_locked(c, r.id, r.slot, false);
		pthread_mutex_unlock(&c->mu);
		if (!retry)
			lookup_one(c, &r);
	}
	return 0;
}

int sk_ctr_client_start(struct sk_ctr_client *c, struct sk_err *err)
{
	if (pthread_create(&c->worker, NULL, worker_main, c) != 0)
		return sk_err_set(err, -EAGAIN, "container client: cannot start the lookup thread");
	c->worker_started = true;
	for (size_t i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[i];
		if (pthread_create(&s->th, NULL, slot_main, s) != 0)
			return sk_err_set(err, -EAGAIN, "container client: cannot start the %s thread",
					  s->kind);
		s->started = true;
	}
	return 0;
}

void sk_ctr_client_request(struct sk_ctr_client *c, const char *id, int type)
{
	if (!c || !id || !*id)
		return;
	int slot = -1;
	for (size_t i = 0; i < c->nslots && type >= 0; i++)
		if (c->slots[i].type == type && slot_engine(&c->slots[i])) {
			slot = (int)i;
			break;
		}
	pthread_mutex_lock(&c->mu);
	want_lookup_locked(c, id, slot, false, false);
	pthread_mutex_unlock(&c->mu);
}

bool sk_ctr_client_poll(struct sk_ctr_client *c, struct sk_ctr_record *out)
{
	if (!c || !atomic_load_explicit(&c->out_count, memory_order_acquire))
		return false;
	pthread_mutex_lock(&c->mu);
	bool have = c->out_len > 0;
	if (have) {
		*out = c->out[c->out_head];
		c->out[c->out_head].json = NULL;
		c->out_head = (c->out_head + 1) % c->cfg.max_pending;
		c->out_len--;
		atomic_store(&c->out_count, c->out_len);
	}
	pthread_mutex_unlock(&c->mu);
	return have;
}

void sk_ctr_client_stats(const struct sk_ctr_client *cc, struct sk_ctr_stats *o)
{
	struct sk_ctr_client *c = (struct sk_ctr_client *)cc;
	memset(o, 0, sizeof(*o));
	if (!c)
		return;
	o->lookups = atomic_load(&c->lookups);
	o->lookup_failures = atomic_load(&c->lookup_failures);
	o->lookup_ns_total = atomic_load(&c->lookup_ns_total);
	o->lookup_ns_max = atomic_load(&c->lookup_ns_max);
	o->events_seen = atomic_load(&c->events_seen);
	o->records = atomic_load(&c->records);
	o->records_dropped = atomic_load(&c->records_dropped);
	o->socket_errors = atomic_load(&c->socket_errors);
	pthread_mutex_lock(&c->mu);
	o->known = c->known.count;
	o->pending = c->rq_len;
	pthread_mutex_unlock(&c->mu);
}

void sk_ctr_client_describe(const struct sk_ctr_client *c, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; c && i < c->nslots && n < len; i++) {
		const struct slot *s = &c->slots[i];
		if (!atomic_load(&((struct slot *)s)->e))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s:%s", n ? ", " : "", s->kind, s->socket);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

void sk_ctr_client_free(struct sk_ctr_client *c)
{
	if (!c)
		return;
	atomic_store(&c->stop, true);
	pthread_mutex_lock(&c->mu);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->worker_started)
		pthread_join(c->worker, NULL);
	for (size_t i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[i];
		if (s->started)
			pthread_join(s->th, NULL);
		struct sk_ctr_engine *e = slot_engine(s);
		if (e && e->ops->free)
			e->ops->free(e);
	}
	for (size_t i = 0; i < c->out_len; i++)
		sk_ctr_record_free(&c->out[(c->out_head + i) % c->cfg.max_pending]);
	size_t it = 0, kl;
	const char *k;
	void *v;
	while (sk_strmap_next(&c->known, &it, &k, &kl, &v))
		free(v);
	sk_strmap_done(&c->known);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->rq);
	free(c->out);
	free(c);
}
