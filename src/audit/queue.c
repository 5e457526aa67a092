/* queue.c — the bounded multi-producer, single-consumer queue between the
 * audit producers (webhook threads, the file reader) and the engine thread
 * of the k8s_audit source. A ring of events under one mutex; two condition
 * variables wake the consumer (not empty / closed) and waiting producers
 * (not full / closed). Events are rare next to syscalls, so a lock is fine. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "audit.h"

struct sk_audit_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct sk_audit_event *ring; /* cap slots; head = next pop */
	size_t cap, head, len;
	bool closed;
	unsigned pop_waiters, push_waiters; /* threads in a timed wait: signal only them */
	uint64_t pushed, popped, dropped_full;
};

struct sk_audit_queue *sk_audit_queue_new(size_t cap)
{
	if (!cap)
		cap = 4096;
	struct sk_audit_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return NULL;
	}
	q->cap = cap;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, &ca);
	pthread_cond_init(&q->not_full, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void sk_audit_queue_free(struct sk_audit_queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->len; i++)
		sk_audit_event_done(&q->ring[(q->head + i) % q->cap]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->ring);
	free(q);
}

/* Absolute CLOCK_MONOTONIC deadline ms from now (the condvars use it). */
static struct timespec deadline(int ms)
{
	return sk_deadline(CLOCK_MONOTONIC, ms > 0 ? (uint64_t)ms : 0);
}

int sk_audit_queue_push(struct sk_audit_queue *q, struct sk_audit_event *ev, int wait_ms)
{
	pthread_mutex_lock(&q->mu);
	if (!q->closed && q->len == q->cap && wait_ms > 0) {
		struct timespec until = deadline(wait_ms);
		q->push_waiters++;
		while (!q->closed && q->len == q->cap)
			if (pthread_cond_timedwait(&q->not_full, &q->mu, &until) == ETIMEDOUT)
				break;
		q->push_waiters--;
	}
	int rc = 0;
	if (q->closed) {
		rc = -EPIPE;
	} else if (q->len == q->cap) {
		q->dropped_full++;
		rc = -EAGAIN;
	} else {
		q->ring[(q->head + q->len) % q->cap] = *ev;
		q->len++;
		q->pushed++;
		ev->doc = NULL;
		if (q->pop_waiters)
			pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int sk_audit_queue_pop(struct sk_audit_queue *q, struct sk_audit_event *ev, int timeout_ms)
{
	pthread_mutex_lock(&q->mu);
	if (!q->len && !q->closed && timeout_ms > 0) {
		struct timespec until = deadline(timeout_ms);
		q->pop_waiters++;
		while (!q->len && !q->closed)
			if (pthread_cond_timedwait(&q->not_empty, &q->mu, &until) == ETIMEDOUT)
				break;
		q->pop_waiters--;
	}
	int rc = 0;
	if (q->len) {
		*ev = q->ring[q->head];
		q->ring[q->head].doc = NULL;
		q->head = (q->head + 1) % q->cap;
		q->len--;
		q->popped++;
		if (q->push_waiters)
			pthread_cond_signal(&q->not_full);
		rc = 1;
	} else if (q->closed) {
		rc = -EPIPE;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void sk_audit_queue_close(struct sk_audit_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

void sk_audit_queue_stats(const struct sk_audit_queue *q, struct sk_audit_queue_stats *out)
{
	/* The mutex is not const, but locking it does not change the queue. */
	struct sk_audit_queue *mq = (struct sk_audit_queue *)q;
	pthread_mutex_lock(&mq->mu);
	out->pushed = q->pushed;
	out->popped = q->popped;
	out->dropped_full = q->dropped_full;
	out->depth = q->len;
	out->cap = q->cap;
	pthread_mutex_unlock(&mq->mu);
}
