/* cfg.c — the k8s_audit source's configuration: the k8saudit plugin's
 * open_params string ("http://[addr]:port/path", "https://...",
 * "file://PATH" or a bare path) parsed into struct sk_audit_cfg. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

void sk_audit_cfg_done(struct sk_audit_cfg *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->address);
	free(c->path);
	free(c->tls_pem);
	free(c->client_ca);
	free(c->bearer_token_file);
	c->file = c->address = c->path = c->tls_pem = c->client_ca = c->bearer_token_file = NULL;
	c->kind = SK_AUDIT_OFF;
}

/* Replaces *dst with a copy of s[0..n). */
static int set_str(char **dst, const char *s, size_t n)
{
	char *v = strndup(s, n);
	if (!v)
		return -ENOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

/* "host:port/path" (after the scheme) into c. */
static int parse_http(struct sk_audit_cfg *c, const char *op, const char *rest, struct sk_err *err)
{
	const char *host = rest, *host_end, *p;
	if (*rest == '[') { /* IPv6 literal */
		host = rest + 1;
		host_end = strchr(host, ']');
		if (!host_end)
			return sk_err_set(err, -EINVAL, "open_params '%s': unterminated '[' in the address",
					  op);
		p = host_end + 1;
	} else {
		host_end = rest + strcspn(rest, ":/");
		p = host_end;
	}
	if (*p != ':')
		return sk_err_set(err, -EINVAL, "open_params '%s': missing the port (http://[addr]:port/path)",
				  op);
	p++;
	uint32_t port = 0;
	const char *ps = p;
	while (*p >= '0' && *p <= '9' && port <= 65535)
		port = port * 10 + (uint32_t)(*p++ - '0');
	if (p == ps || port > 65535 || (*p && *p != '/'))
		return sk_err_set(err, -EINVAL, "open_params '%s': bad port", op);
	if (set_str(&c->address, host, (size_t)(host_end - host)) ||
	    set_str(&c->path, *p ? p : "/", *p ? strlen(p) : 1))
		return sk_err_set(err, -ENOMEM, "out of memory");
	c->port = (uint16_t)port;
	c->kind = SK_AUDIT_HTTP;
	return 0;
}

int sk_audit_cfg_open_params(struct sk_audit_cfg *c, const char *op, struct sk_err *err)
{
	if (!op || !*op)
		return sk_err_set(err, -EINVAL, "open_params is empty (want http://[addr]:port/path, "
						"https://..., or file://PATH)");
	if (!c->max_event_size)
		c->max_event_size = 262144;
	if (!c->max_batch)
		c->max_batch = 500;
	if (!c->queue_cap)
		c->queue_cap = 4096;
	if (!strncmp(op, "http://", 7)) {
		c->tls = false;
		return parse_http(c, op, op + 7, err);
	}
	if (!strncmp(op, "https://", 8)) {
		c->tls = true;
		return parse_http(c, op, op + 8, err);
	}
	const char *path = op;
	if (!strncmp(op, "file://", 7))
		path = op + 7;
	else if (strstr(op, "://"))
		return sk_err_set(err, -EINVAL, "open_params '%s': unknown scheme (want http://, "
						"https:// or file://)", op);
	if (!*path)
		return sk_err_set(err, -EINVAL, "open_params '%s': empty file path", op);
	if (set_str(&c->file, path, strlen(path)))
		return sk_err_set(err, -ENOMEM, "out of memory");
	c->kind = SK_AUDIT_FILE;
	return 0;
}
