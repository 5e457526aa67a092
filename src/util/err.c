/* err.c — filling and rendering struct sk_err. */
#include <stdio.h>
#include <string.h>

#include "util.h"

void sk_err_clear(struct sk_err *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->offset = -1;
}

int sk_err_set(struct sk_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

int sk_err_set_at(struct sk_err *e, int code, int line, int col, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	e->line = line;
	e->col = col;
	return code;
}

void sk_err_format(const struct sk_err *e, char *out, size_t outlen)
{
	if (!outlen)
		return;
	out[0] = 0;
	size_t n = 0;
	if (e->file[0]) {
		if (e->line > 0 && e->col > 0)
			n = (size_t)snprintf(out, outlen, "%s:%d:%d: ", e->file, e->line, e->col);
		else if (e->line > 0)
			n = (size_t)snprintf(out, outlen, "%s:%d: ", e->file, e->line);
		else if (e->offset >= 0)
			n = (size_t)snprintf(out, outlen, "%s: offset %lld: ", e->file, e->offset);
		else
			n = (size_t)snprintf(out, outlen, "%s: ", e->file);
	} else if (e->offset >= 0) {
		n = (size_t)snprintf(out, outlen, "offset %lld: ", e->offset);
	}
	if (n < outlen)
		snprintf(out + n, outlen - n, "%s", e->msg);
}
