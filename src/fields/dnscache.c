/* dnscache.c — the addresses of the host names that loaded conditions compare
 * fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name with.
 *
 * The names are resolved with getaddrinfo by a background thread: once when
 * they are set (at rule load; the loader waits a bounded time for that first
 * pass) and then every refresh interval, so the event path only looks an
 * address up in the last resolved sets, under a read lock, never waiting for
 * DNS. A name that does not resolve (yet) has no address: it matches nothing.
 * Names are kept until sk_dnscache_stop (a reload only switches which are
 * active), so the strings handed to extractors never dangle. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fields/fields.h"

struct dn_addr {
	uint8_t b[16];
	bool v6;
};

struct dn_name {
	char *name;
	bool active;
	struct dn_addr *addrs; /* under lock */
	size_t naddrs;
};

static struct {
	pthread_rwlock_t lock;    /* names[i].addrs/naddrs, nnames, active */
	pthread_mutex_t mu;       /* the thread's wake-ups */
	pthread_cond_t cv;
	struct dn_name *names;
	size_t nnames, cnames;
	unsigned refresh_s;
	bool running, stopping, kick;
	uint64_t passes;          /* finished resolution passes (under mu) */
	pthread_t thr;
	atomic_uint_fast64_t resolutions, failures;
} dc = {.lock = PTHREAD_RWLOCK_INITIALIZER,
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.refresh_s = SK_DNSCACHE_REFRESH_DEFAULT};

/* getaddrinfo's answer for name as an owned array (NULL, 0 when it does not
 * resolve). */
static struct dn_addr *resolve(const char *name, size_t *n)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	*n = 0;
	if (getaddrinfo(name, NULL, &hints, &res) != 0) {
		atomic_fetch_add(&dc.failures, 1);
		return NULL;
	}
	atomic_fetch_add(&dc.resolutions, 1);
	size_t cap = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next)
		cap++;
	struct dn_addr *v = calloc(cap ? cap : 1, sizeof(*v));
	for (struct addrinfo *a = res; v && a; a = a->ai_next) {
		struct dn_addr d = {0};
		if (a->ai_family == AF_INET) {
			memcpy(d.b, &((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr, 4);
		} else if (a->ai_family == AF_INET6) {
			memcpy(d.b, &((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr, 16);
			d.v6 = true;
		} else {
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = memcmp(&v[i], &d, sizeof(d)) == 0;
		if (!dup)
			v[(*n)++] = d;
	}
	freeaddrinfo(res);
	return v;
}

/* One pass over the active names; the lock is held only to swap results. */
static void resolve_all(void)
{
	pthread_rwlock_rdlock(&dc.lock);
	size_t n = dc.nnames;
	pthread_rwlock_unlock(&dc.lock);
	for (size_t i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&dc.lock);
		bool active = dc.names[i].active;
		const char *name = dc.names[i].name; /* never freed while running */
		pthread_rwlock_unlock(&dc.lock);
		if (!active)
			continue;
		size_t na;
		struct dn_addr *a = resolve(name, &na);
		pthread_rwlock_wrlock(&dc.lock);
		struct dn_addr *old = dc.names[i].addrs;
		dc.names[i].addrs = a;
		dc.names[i].naddrs = na;
		pthread_rwlock_unlock(&dc.lock);
		free(old);
	}
}

static void *refresher(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&dc.mu);
	while (!dc.stopping) {
		if (dc.kick) {
			dc.kick = false;
			pthread_mutex_unlock(&dc.mu);
			resolve_all();
			pthread_mutex_lock(&dc.mu);
			dc.passes++;
			pthread_cond_broadcast(&dc.cv);
			continue;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += dc.refresh_s;
		if (pthread_cond_timedwait(&dc.cv, &dc.mu, &until) == ETIMEDOUT)
			dc.kick = true;
	}
	pthread_mutex_unlock(&dc.mu);
	return NULL;
}

static int add_name(const char *name)
{
	for (size_t i = 0; i < dc.nnames; i++)
		if (!strcmp(dc.names[i].name, name)) {
			dc.names[i].active = true;
			return 0;
		}
	if (dc.nnames == dc.cnames) {
		size_t c = dc.cnames ? dc.cnames * 2 : 8;
		struct dn_name *v = realloc(dc.names, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		dc.names = v;
		dc.cnames = c;
	}
	char *s = strdup(name);
	if (!s)
		return -ENOMEM;
	dc.names[dc.nnames++] = (struct dn_name){.name = s, .active = true};
	return 0;
}

int sk_dnscache_set_names(const char *const *names, size_t n, unsigned wait_ms,
			  struct sk_err *err)
{
	pthread_rwlock_wrlock(&dc.lock);
	for (size_t i = 0; i < dc.nnames; i++)
		dc.names[i].active = false;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_name(names[i]);
	pthread_rwlock_unlock(&dc.lock);
	if (rc) {
		sk_err_set(err, rc, "out of memory");
		return rc;
	}
	if (!n)
		return 0;
	pthread_mutex_lock(&dc.mu);
	if (!dc.running) {
		dc.stopping = false;
		rc = -pthread_create(&dc.thr, NULL, refresher, NULL);
		if (rc) {
			pthread_mutex_unlock(&dc.mu);
			sk_err_set(err, rc, "cannot start the DNS refresh thread");
			return rc;
		}
		dc.running = true;
	}
	/* the first pass, waited for a bounded time: a slow resolver delays the
	 * start by at most wait_ms, the names then match once it answers */
	uint64_t want = dc.passes + 1;
	dc.kick = true;
	pthread_cond_broadcast(&dc.cv);
	struct timespec until = sk_deadline(CLOCK_REALTIME, (uint64_t)wait_ms);
	while (dc.passes < want && pthread_cond_timedwait(&dc.cv, &dc.mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&dc.mu);
	return 0;
}

void sk_dnscache_set_refresh(unsigned seconds)
{
	pthread_mutex_lock(&dc.mu);
	dc.refresh_s = seconds ? seconds : SK_DNSCACHE_REFRESH_DEFAULT;
	pthread_cond_broadcast(&dc.cv);
	pthread_mutex_unlock(&dc.mu);
}

size_t sk_dnscache_names_of(const uint8_t *ip, bool v6, const char **out, size_t max)
{
	size_t k = 0;
	pthread_rwlock_rdlock(&dc.lock);
	for (size_t i = 0; i < dc.nnames && k < max; i++) {
		const struct dn_name *d = &dc.names[i];
		bool hit = false;
		for (size_t j = 0; d->active && j < d->naddrs && !hit; j++)
			hit = d->addrs[j].v6 == v6 && !memcmp(d->addrs[j].b, ip, v6 ? 16 : 4);
		if (hit)
			out[k++] = d->name;
	}
	pthread_rwlock_unlock(&dc.lock);
	return k;
}

void sk_dnscache_stats(struct sk_dnscache_stats *out)
{
	out->resolutions = atomic_load(&dc.resolutions);
	out->failures = atomic_load(&dc.failures);
	pthread_rwlock_rdlock(&dc.lock);
	out->names = 0;
	for (size_t i = 0; i < dc.nnames; i++)
		out->names += dc.names[i].active;
	pthread_rwlock_unlock(&dc.lock);
}

void sk_dnscache_stop(void)
{
	pthread_mutex_lock(&dc.mu);
	bool running = dc.running;
	dc.stopping = true;
	pthread_cond_broadcast(&dc.cv);
	pthread_mutex_unlock(&dc.mu);
	if (running)
		pthread_join(dc.thr, NULL);
	pthread_rwlock_wrlock(&dc.lock);
	for (size_t i = 0; i < dc.nnames; i++) {
		free(dc.names[i].name);
		free(dc.names[i].addrs);
	}
	free(dc.names);
	dc.names = NULL;
	dc.nnames = dc.cnames = 0;
	pthread_rwlock_unlock(&dc.lock);
	pthread_mutex_lock(&dc.mu);
	dc.running = false;
	pthread_mutex_unlock(&dc.mu);
}
