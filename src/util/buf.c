/* buf.c — bounded growable byte buffer (struct sk_buf). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void sk_buf_init(struct sk_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : SK_BUF_DEFAULT_MAX;
}

void sk_buf_done(struct sk_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Ensures room for `extra` more bytes plus the terminating NUL. */
int sk_buf_reserve(struct sk_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return -E2BIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sk_buf_append(struct sk_buf *b, const void *p, size_t n)
{
	int rc = sk_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int sk_buf_puts(struct sk_buf *b, const char *s)
{
	return sk_buf_append(b, s, strlen(s));
}

int sk_buf_putc(struct sk_buf *b, char c)
{
	return sk_buf_append(b, &c, 1);
}

int sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	int rc = sk_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sk_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sk_buf_cstr(const struct sk_buf *b)
{
	return b->data ? b->data : "";
}

char *sk_buf_steal(struct sk_buf *b)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
