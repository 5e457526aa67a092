/* audit.h — the Kubernetes audit source: audit.k8s.io/v1 Event documents as
 * the k8s_audit rules see them, how they arrive (the webhook the API server
 * posts to, or a JSON / JSON-lines file to replay) and the bounded queue that
 * carries them to the engine thread of the k8s_audit source.
 *
 * Threads: the webhook runs on the HTTP server's threads and only pushes
 * into the queue; the engine thread pops. Nothing here evaluates rules.
 *
 * Ownership: an sk_audit_event owns one reference to its JSON document
 * (jansson json_t). Pushing hands it to the queue; popping hands it to the
 * caller, who ends it with sk_audit_event_done(). */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- one event ------------------------------------------------------------ */
struct sk_audit_event {
	json_t *doc;        /* the Event object (owned: one reference) */
	uint64_t ts;        /* stageTimestamp, ns since the epoch (0 = absent/bad;
	                       the engine then uses recv_ns, as Falco uses the
	                       time it read the event) */
	uint64_t recv_ns;   /* CLOCK_REALTIME when saker received it (latency) */
};

void sk_audit_event_done(struct sk_audit_event *ev); /* drops doc; NULL-safe */
/* RFC 3339 time with optional fraction ("2019-10-22T19:55:35.123456Z",
 * offsets allowed) to ns since the epoch; 0 when it does not parse. */
uint64_t sk_audit_parse_time(const char *s);

/* ---- decoding --------------------------------------------------------------
 * What the API server's webhook backend sends, and what users replay: a
 * single Event object, an EventList ({"kind":"EventList","items":[...]}),
 * a JSON array of Events, or (files only) JSON lines of any of those.
 * `fn` is called once per Event, in order, with a borrowed object (take a
 * reference to keep it); a non-zero return stops and is returned.
 * Errors (-EINVAL, message in err, with line/column from jansson where it
 * has them): not JSON, not an object/array, an item that is not an object,
 * more than `max_events` events in one body (0 = no limit). */
typedef int (*sk_audit_event_fn)(void *ctx, json_t *event);
int sk_audit_decode(const char *body, size_t len, size_t max_events, sk_audit_event_fn fn,
		    void *ctx, struct sk_err *err);

/* ---- the queue between a producer (webhook, file reader) and the engine ---- */
struct sk_audit_queue;
/* `cap` events at most (0 = 4096). NULL on ENOMEM. */
struct sk_audit_queue *sk_audit_queue_new(size_t cap);
void sk_audit_queue_free(struct sk_audit_queue *q); /* drops what is left; NULL-safe */
/* Any thread. Takes ev->doc on success (ev->doc is then NULL) and returns 0;
 * -EAGAIN when full (the caller keeps ev and counts a drop); -EPIPE once
 * closed. `wait_ms` > 0 waits for room that long (a file replay waits,
 * the webhook does not). */
int sk_audit_queue_push(struct sk_audit_queue *q, struct sk_audit_event *ev, int wait_ms);
/* Engine thread. 1 = *ev filled (caller owns it); 0 = nothing within
 * timeout_ms; -EPIPE = closed and drained (end of the source). */
int sk_audit_queue_pop(struct sk_audit_queue *q, struct sk_audit_event *ev, int timeout_ms);
/* No more pushes; pops drain what is queued, then return -EPIPE. */
void sk_audit_queue_close(struct sk_audit_queue *q);
struct sk_audit_queue_stats {
	uint64_t pushed, popped, dropped_full;
	size_t depth, cap;
};
void sk_audit_queue_stats(const struct sk_audit_queue *q, struct sk_audit_queue_stats *out);

/* ---- source configuration --------------------------------------------------
 * Both ways a falco.yaml configures the source end here: the k8saudit plugin
 * (open_params "http://[addr]:port/path", "https://...", "file://PATH",
 * init_config maxEventSize, webhookMaxBatchSize, sslCertificate, useAsync)
 * and Falco 0.2x's `webserver:` block (listen_port, k8s_audit_endpoint,
 * ssl_enabled, ssl_certificate). */
enum sk_audit_kind { SK_AUDIT_OFF = 0, SK_AUDIT_HTTP, SK_AUDIT_FILE };

struct sk_audit_cfg {
	enum sk_audit_kind kind;
	char *file;              /* SK_AUDIT_FILE: the path (owned) */
	/* SK_AUDIT_HTTP */
	char *address;           /* listen address literal; NULL/"" = all (owned) */
	uint16_t port;           /* plugin default 9765; 0.2x default 8765 */
	char *path;              /* endpoint, e.g. "/k8s-audit" (owned) */
	bool tls;                /* https:// or ssl_enabled */
	char *tls_pem;           /* certificate + key PEM file (owned) */
	char *client_ca;         /* optional: require client certificates from this CA (owned) */
	char *bearer_token_file; /* optional: require "Authorization: Bearer <contents>" (owned) */
	size_t max_event_size;   /* bytes of one event, compact JSON (plugin maxEventSize,
	                            default 262144) */
	size_t max_body;         /* bytes of one HTTP body (init_config webhookMaxBatchSize,
	                            k8s_audit.max_request_bytes; 0 = 12 MiB) */
	size_t max_batch;        /* events in one body (k8s_audit.max_events_per_request,
	                            default 500; 0 = no limit) */
	size_t queue_cap;        /* events queued for the engine (default 4096) */
};

void sk_audit_cfg_done(struct sk_audit_cfg *c); /* frees owned strings; NULL-safe */
/* Parses the plugin's open_params into c (kind, address, port, path, tls or
 * file). -EINVAL with a message naming the value when it is malformed. */
int sk_audit_cfg_open_params(struct sk_audit_cfg *c, const char *open_params, struct sk_err *err);

/* ---- the webhook ------------------------------------------------------------
 * Serves POST `c->path` and pushes every Event of a valid body into `q`;
 * answers 200 once the body is queued, before any rule runs. 4xx with a
 * reason for a bad method (405), content type (415), size (413: body over
 * max_body, or more than max_batch events), JSON (400) or auth (401/403);
 * 503 when the queue has no room for the whole body (checked first; only
 * a race with another poster can leave part of a body queued). Events
 * longer than max_event_size (compact JSON) are dropped one by one, as the
 * plugin does. Counters below (every request once in `requests`). */
struct sk_audit_web;
struct sk_server;
struct sk_audit_web_stats {
	uint64_t requests, events, bad_method, bad_type, too_large, bad_json, unauthorized,
		queue_full;
	uint64_t busy;           /* 503: the server's body budget was spent */
	uint64_t event_too_large; /* events dropped for max_event_size */
};
/* The plugin form: its own listener on c->address:c->port (TLS with
 * c->tls_pem when c->tls, client certificates from c->client_ca). */
struct sk_audit_web *sk_audit_web_new(const struct sk_audit_cfg *c, struct sk_audit_queue *q,
				      struct sk_err *err);
/* Falco 0.2x's form: the same webhook as a route of a server another
 * module runs (one port for /healthz, /metrics and the endpoint). Only
 * c->path, the limits, bearer_token_file and client_ca (which needs `host`
 * started with that CA) apply. */
struct sk_audit_web *sk_audit_web_attach(struct sk_server *host, const struct sk_audit_cfg *c,
					 struct sk_audit_queue *q, struct sk_err *err);
/* Stops serving (waits for requests in flight on the endpoint); NULL-safe. */
void sk_audit_web_free(struct sk_audit_web *w);
uint16_t sk_audit_web_port(const struct sk_audit_web *w); /* bound port (port 0 = any) */
void sk_audit_web_stats(const struct sk_audit_web *w, struct sk_audit_web_stats *out);

#endif
