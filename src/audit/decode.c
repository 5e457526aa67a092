/* decode.c — turns what the API server's webhook backend sends (or what a
 * user replays from a file) into audit Event objects: one Event, an
 * EventList, a JSON array of any of those, or several such JSON values one
 * after another (JSON lines). The whole input is parsed and counted before
 * the first event is handed out, so a bad or oversized body yields nothing. */
#include <errno.h>
#include <string.h>

#include "audit.h"

/* Line and column (1-based) of byte `off` of body. */
static void position(const char *body, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (body[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Counts the events a value holds; -EINVAL (message in err) when it is not
 * an Event, an EventList or an array of those. */
static long long count_events(json_t *v, struct sk_err *err)
{
	if (json_is_array(v)) {
		long long n = 0;
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			long long k = count_events(it, err);
			if (k < 0)
				return k;
			n += k;
		}
		return n;
	}
	if (!json_is_object(v))
		return sk_err_set(err, -EINVAL, "data not recognized as a k8s audit event (a JSON %s)",
				  json_is_string(v) ? "string" : json_is_null(v) ? "null" : "scalar");
	const char *kind = json_string_value(json_object_get(v, "kind"));
	if (kind && !strcmp(kind, "Event"))
		return 1;
	if (kind && !strcmp(kind, "EventList")) {
		json_t *items = json_object_get(v, "items");
		if (!json_is_array(items))
			return 0; /* as the plugin: an EventList without items is empty */
		long long n = 0;
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			if (!json_is_object(it))
				return sk_err_set(err, -EINVAL,
						  "EventList item %zu is not a JSON object", i);
			n++;
		}
		return n;
	}
	return sk_err_set(err, -EINVAL,
			  "data not recognized as a k8s audit event (kind is not Event or EventList)");
}

/* Calls fn for every event of a value already checked by count_events. */
static int emit(json_t *v, sk_audit_event_fn fn, void *ctx)
{
	size_t i;
	json_t *it;
	if (json_is_array(v)) {
		json_array_foreach(v, i, it) {
			int rc = emit(it, fn, ctx);
			if (rc)
				return rc;
		}
		return 0;
	}
	const char *kind = json_string_value(json_object_get(v, "kind"));
	if (!strcmp(kind, "Event"))
		return fn(ctx, v);
	json_array_foreach(json_object_get(v, "items"), i, it) {
		int rc = fn(ctx, it);
		if (rc)
			return rc;
	}
	return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses every JSON value of body into `values`; errors carry the line and
 * column in the whole body. */
static int parse_all(const char *body, size_t len, json_t *values, struct sk_err *err)
{
	size_t off = 0;
	for (;;) {
		while (off < len && is_space(body[off]))
			off++;
		if (off >= len)
			return 0;
		json_error_t je;
		json_t *v = json_loadb(body + off, len - off,
				       JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!v) {
			int line, col;
			size_t at = off + (je.position > 0 ? (size_t)je.position : 0);
			if (at > len)
				at = len;
			position(body, at, &line, &col);
			return sk_err_set_at(err, -EINVAL, line, col, "invalid JSON: %s", je.text);
		}
		off += (size_t)je.position;
		if (json_array_append_new(values, v))
			return sk_err_set(err, -ENOMEM, "out of memory decoding audit events");
	}
}

int sk_audit_decode(const char *body, size_t len, size_t max_events, sk_audit_event_fn fn,
		    void *ctx, struct sk_err *err)
{
	json_t *values = json_array();
	if (!values)
		return sk_err_set(err, -ENOMEM, "out of memory decoding audit events");
	int rc = parse_all(body, len, values, err);
	if (rc)
		goto out;
	long long n = count_events(values, err);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	if (max_events && (size_t)n > max_events) {
		rc = sk_err_set(err, -EINVAL, "%lld events in one body, more than the limit of %zu",
				n, max_events);
		goto out;
	}
	rc = emit(values, fn, ctx);
out:
	json_decref(values);
	return rc;
}
