/* http_client.h — a one-call HTTP(S) client for unit tests that talk to
 * server/ over loopback (libcurl): method, URL, content type, headers,
 * body, optional client certificate; the status and the start of the
 * body back. Header-only: each test program includes it once. */
#ifndef SK_TEST_HTTP_CLIENT_H
#define SK_TEST_HTTP_CLIENT_H

#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

struct http_resp {
	char body[1024]; /* the first bytes of the body, NUL-terminated */
	size_t len;
};

struct http_req {
	const char *method;          /* "POST", "GET", ... */
	const char *url;
	const char *ctype;           /* Content-Type, or NULL */
	const char *auth;            /* Authorization value, or NULL */
	const char *body;            /* NULL = none */
	size_t len;
	const char *cert, *key;      /* client certificate files, or NULL */
};

static size_t http_sink(char *p, size_t sz, size_t n, void *ctx)
{
	struct http_resp *r = ctx;
	size_t k = sz * n, room = sizeof(r->body) - 1 - r->len;
	memcpy(r->body + r->len, p, k < room ? k : room);
	r->len += k < room ? k : room;
	r->body[r->len] = 0;
	return k;
}

/* The status, or -1 when the request failed (TLS: the server's certificate
 * is not checked). */
static long http_do(const struct http_req *q, struct http_resp *r)
{
	char ct[128], au[256];
	struct curl_slist *hd = curl_slist_append(NULL, "Expect:");
	if (q->ctype) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", q->ctype);
		hd = curl_slist_append(hd, ct);
	}
	if (q->auth) {
		snprintf(au, sizeof(au), "Authorization: %s", q->auth);
		hd = curl_slist_append(hd, au);
	}
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, q->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->len);
	}
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	if (q->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, q->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, q->key);
	}
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	long status = -1;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return status;
}

#endif
