/* grpc.c — gRPC over a unix socket with libcurl (HTTP/2 prior knowledge):
 * request framing, incremental parsing of the response's length-prefixed
 * messages, status from headers or trailers, and the error mapping the
 * engines rely on. See grpc.h for the contract. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include "grpc.h"

/* One call in flight: what the callbacks fill. */
struct sk_grpc_call {
	const char *method;
	struct sk_buf in;           /* bytes of a frame not complete yet */
	sk_grpc_msg_fn fn;          /* stream: per message; NULL = unary */
	void *ctx;
	/* unary: the one message (owned) */
	uint8_t *msg;
	size_t msg_len;
	size_t nmsgs;
	/* from headers and trailers */
	int grpc_status;            /* -1 = not seen */
	char grpc_message[256];
	bool content_type_grpc;
	/* set by a callback that aborted the transfer */
	int failed;
	struct sk_err *err;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int call_fail(struct sk_grpc_call *c, int code, const char *what)
{
	if (!c->failed)
		c->failed = sk_err_set(c->err, code, "%s: %s", c->method, what);
	return c->failed;
}

/* Hands over one complete message: to the stream callback, or kept as the
 * unary reply (a second one is a protocol error). */
static int take_message(struct sk_grpc_call *c, const uint8_t *p, size_t n)
{
	c->nmsgs++;
	if (c->fn)
		return c->fn(c->ctx, p, n, c->err);
	if (c->msg)
		return call_fail(c, -EPROTO, "more than one message in a unary reply");
	c->msg = malloc(n ? n : 1);
	if (!c->msg)
		return call_fail(c, -ENOMEM, "out of memory");
	memcpy(c->msg, p, n);
	c->msg_len = n;
	return 0;
}

/* Consumes every complete frame at the head of c->in. */
static int parse_frames(struct sk_grpc_call *c)
{
	size_t off = 0;
	const uint8_t *d = (const uint8_t *)c->in.data;
	while (c->in.len - off >= 5) {
		const uint8_t *h = d + off;
		if (h[0] != 0)
			return call_fail(c, -EPROTO, h[0] == 1 ? "compressed message (not asked for)"
							       : "bad frame flag");
		size_t n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
		if (n > SK_GRPC_MAX_MSG)
			return call_fail(c, -EMSGSIZE, "message larger than 16 MiB");
		if (c->in.len - off - 5 < n)
			break;
		int rc = take_message(c, h + 5, n);
		if (rc < 0) {
			if (!c->failed)
				c->failed = rc;
			return rc;
		}
		off += 5 + n;
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sk_grpc_call *c = ud;
	size_t n = size * nmemb;
	if (c->failed)
		return 0;
	if (sk_buf_append(&c->in, p, n) < 0) {
		call_fail(c, -EMSGSIZE, "message larger than 16 MiB");
		return 0;
	}
	if (parse_frames(c) < 0)
		return 0;
	return n;
}

/* "grpc-message" is percent-encoded; decodes into out (bounded, NUL-ended). */
static void percent_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned v;
		if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2x", &v) == 1) {
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
}

/* Header lines and, for HTTP/2, trailer lines ("grpc-status: 0\r\n"). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sk_grpc_call *c = ud;
	size_t n = size * nmemb;
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return n;
	size_t klen = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vlen = n - klen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (klen == 11 && !strncasecmp(p, "grpc-status", 11)) {
		int st = 0;
		bool ok = vlen > 0 && vlen <= 3;
		for (size_t i = 0; ok && i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				ok = false;
			else
				st = st * 10 + (v[i] - '0');
		}
		c->grpc_status = ok ? st : 2 /* UNKNOWN */;
	} else if (klen == 12 && !strncasecmp(p, "grpc-message", 12)) {
		percent_decode(v, vlen, c->grpc_message, sizeof(c->grpc_message));
	} else if (klen == 12 && !strncasecmp(p, "content-type", 12)) {
		c->content_type_grpc = vlen >= 16 && !strncasecmp(v, "application/grpc", 16);
	}
	return n;
}

/* The request: the 5-byte frame header then the packed message. */
static uint8_t *frame_request(const ProtobufCMessage *req, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(req);
	uint8_t *b = malloc(n + 5);
	if (!b)
		return NULL;
	b[0] = 0;
	b[1] = (uint8_t)(n >> 24);
	b[2] = (uint8_t)(n >> 16);
	b[3] = (uint8_t)(n >> 8);
	b[4] = (uint8_t)n;
	protobuf_c_message_pack(req, b + 5);
	*len = n + 5;
	return b;
}

static int status_errno(int st)
{
	switch (st) {
	case SK_GRPC_NOT_FOUND: return -ENOENT;
	case SK_GRPC_UNIMPLEMENTED: return -ENOTSUP;
	case SK_GRPC_DEADLINE_EXCEEDED: return -ETIMEDOUT;
	case SK_GRPC_UNAVAILABLE: return -EAGAIN;
	default: return -EIO;
	}
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE: case CURLE_UNSUPPORTED_PROTOCOL:
		return -EPROTO;
	default: return -EIO;
	}
}

/* libcurl 7.88 opens its sockets without close-on-exec; saker runs
 * programs (output channels), which must not inherit them. */
static curl_socket_t open_cloexec(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)ud;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Sets up the easy handle for one call; returns NULL on allocation failure. */
static CURL *make_handle(const struct sk_grpc_target *t, const char *method,
			 struct sk_grpc_call *c, const uint8_t *body, size_t body_len,
			 struct curl_slist **hdrs, bool unary)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char url[512], nsh[320], tmo[64];
	snprintf(url, sizeof(url), "http://localhost%s", method);
	struct curl_slist *l = NULL, *n;
	const char *fixed[] = {"content-type: application/grpc", "te: trailers", "Accept:",
			       "Expect:"};
	for (size_t i = 0; i < SK_ARRAY_LEN(fixed); i++) {
		if (!(n = curl_slist_append(l, fixed[i])))
			goto oom;
		l = n;
	}
	if (t->ns) {
		snprintf(nsh, sizeof(nsh), "containerd-namespace: %s", t->ns);
		if (!(n = curl_slist_append(l, nsh)))
			goto oom;
		l = n;
	}
	if (unary) {
		/* the server gives up too, instead of working for nobody */
		snprintf(tmo, sizeof(tmo), "grpc-timeout: %um", t->timeout_ms);
		if (!(n = curl_slist_append(l, tmo)))
			goto oom;
		l = n;
	}
	*hdrs = l;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, t->socket);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "saker-grpc");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t->timeout_ms);
	if (unary)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	return h;
oom:
	curl_slist_free_all(l);
	curl_easy_cleanup(h);
	return NULL;
}

/* Drives the transfer until it ends, `stop` is set (-ECANCELED, no error
 * recorded) or, for streams, the connection is not up by the deadline.
 * Returns the transfer's CURLcode through *rc. */
static int drive(CURL *h, struct sk_grpc_call *c, const struct sk_grpc_target *t,
		 const atomic_bool *stop, CURLcode *rc)
{
	CURLM *m = curl_multi_init();
	if (!m)
		return sk_err_set(c->err, -ENOMEM, "%s: out of memory", c->method);
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return sk_err_set(c->err, -ENOMEM, "%s: cannot start the transfer", c->method);
	}
	uint64_t deadline = mono_ms() + t->timeout_ms;
	unsigned wait = SK_GRPC_STOP_POLL_MS;
	if (t->timeout_ms / 4 < wait)
		wait = t->timeout_ms / 4 ? t->timeout_ms / 4 : 1;
	int ret = 0;
	*rc = CURLE_OK;
	for (;;) {
		int running = 0;
		CURLMcode mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			ret = sk_err_set(c->err, -EIO, "%s: %s", c->method, curl_multi_strerror(mc));
			break;
		}
		if (!running) {
			int left;
			CURLMsg *msg = curl_multi_info_read(m, &left);
			*rc = msg && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_OK;
			break;
		}
		if (stop && atomic_load(stop)) {
			ret = -ECANCELED;
			break;
		}
		if (stop && mono_ms() > deadline) {
			/* a stream's connection must be up by the deadline; after it,
			 * waiting for events is open-ended */
			curl_off_t connected = 0;
			curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
			if (!connected) {
				ret = sk_err_set(c->err, -ETIMEDOUT, "%s: %s: not connected after %u ms",
						 c->method, t->socket, t->timeout_ms);
				break;
			}
		}
		if (curl_multi_poll(m, NULL, 0, (int)wait, NULL) != CURLM_OK) {
			ret = sk_err_set(c->err, -EIO, "%s: poll failed", c->method);
			break;
		}
	}
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return ret;
}

/* The outcome of a finished transfer, from curl's code, the HTTP status and
 * the gRPC status. */
static int call_result(CURL *h, struct sk_grpc_call *c, const struct sk_grpc_target *t,
		       CURLcode rc)
{
	if (c->failed)
		return c->failed;
	if (rc != CURLE_OK)
		return sk_err_set(c->err, curl_errno(rc), "%s: %s: %s", c->method, t->socket,
				  curl_easy_strerror(rc));
	long http = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
	if (http != 200)
		return sk_err_set(c->err, -EPROTO, "%s: %s: HTTP status %ld, not a gRPC reply",
				  c->method, t->socket, http);
	if (c->grpc_status < 0)
		return sk_err_set(c->err, -EPROTO, "%s: %s: reply without grpc-status", c->method,
				  t->socket);
	if (c->grpc_status != SK_GRPC_OK)
		return sk_err_set(c->err, status_errno(c->grpc_status), "%s: gRPC status %d: %s",
				  c->method, c->grpc_status, c->grpc_message);
	if (!c->content_type_grpc)
		return sk_err_set(c->err, -EPROTO, "%s: %s: content-type is not application/grpc",
				  c->method, t->socket);
	if (c->in.len)
		return sk_err_set(c->err, -EPROTO, "%s: %zu bytes of a truncated message",
				  c->method, c->in.len);
	return 0;
}

/* Runs one call (unary when fn is NULL). */
static int run_call(const struct sk_grpc_target *t, const char *method,
		    const ProtobufCMessage *req, struct sk_grpc_call *c,
		    const atomic_bool *stop)
{
	size_t body_len = 0;
	uint8_t *body = frame_request(req, &body_len);
	struct curl_slist *hdrs = NULL;
	CURL *h = body ? make_handle(t, method, c, body, body_len, &hdrs, stop == NULL) : NULL;
	int ret;
	if (!h) {
		ret = sk_err_set(c->err, -ENOMEM, "%s: out of memory", method);
		goto out;
	}
	CURLcode rc;
	ret = drive(h, c, t, stop, &rc);
	if (ret == 0)
		ret = call_result(h, c, t, rc);
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(body);
	return ret;
}

static void call_init(struct sk_grpc_call *c, const char *method, struct sk_err *err)
{
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->grpc_status = -1;
	c->err = err;
	sk_buf_init(&c->in, SK_GRPC_MAX_MSG + 5);
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlongs, surrogates and code points past U+10FFFF */
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] > 0x9f) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

static void fix_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (p && *p) {
		size_t n = utf8_seq(p);
		if (!n)
			*p = '?', n = 1;
		p += n;
	}
}

static void fix_message(ProtobufCMessage *m, int depth)
{
	if (!m || depth > 32)
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		char *base = (char *)m + f->offset;
		size_t n = 1;
		void **items = (void **)base;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(size_t *)((char *)m + f->quantifier_offset);
			items = *(void ***)base;
		}
		for (size_t k = 0; items && k < n; k++) {
			if (f->type == PROTOBUF_C_TYPE_STRING)
				fix_utf8(items[k]);
			else
				fix_message(items[k], depth + 1);
		}
	}
}

void sk_grpc_fix_utf8(ProtobufCMessage *m)
{
	fix_message(m, 0);
}

int sk_grpc_unary(const struct sk_grpc_target *t, const char *method,
		  const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		  ProtobufCMessage **out, struct sk_err *err)
{
	struct sk_grpc_call c;
	call_init(&c, method, err);
	*out = NULL;
	int ret = run_call(t, method, req, &c, NULL);
	if (ret == 0 && !c.msg)
		ret = sk_err_set(err, -EPROTO, "%s: status OK without a reply message", method);
	if (ret == 0) {
		*out = protobuf_c_message_unpack(resp_desc, NULL, c.msg_len, c.msg);
		if (!*out)
			ret = sk_err_set(err, -EPROTO, "%s: reply does not decode as %s (%zu bytes)",
					 method, resp_desc->name, c.msg_len);
		else
			sk_grpc_fix_utf8(*out);
	}
	free(c.msg);
	sk_buf_done(&c.in);
	return ret;
}

int sk_grpc_stream(const struct sk_grpc_target *t, const char *method,
		   const ProtobufCMessage *req, sk_grpc_msg_fn fn, void *ctx,
		   const atomic_bool *stop, struct sk_err *err)
{
	static const atomic_bool never = false;
	struct sk_grpc_call c;
	call_init(&c, method, err);
	c.fn = fn;
	c.ctx = ctx;
	int ret = run_call(t, method, req, &c, stop ? stop : &never);
	if (ret == -ECANCELED)
		ret = 0;
	else if (ret == 0)
		ret = sk_err_set(err, -ECONNRESET, "%s: %s: the server ended the stream",
				 method, t->socket);
	sk_buf_done(&c.in);
	return ret;
}
