/* json.c — the two JSON writing primitives alerts need: strings with
 * nlohmann-compatible escaping and UTF-8 repair, and shortest doubles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_int.h"

/* Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int oj_str(struct sk_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = sk_buf_reserve(out, len + 2);
	if (rc >= 0)
		rc = sk_buf_putc(out, '"');
	for (size_t i = 0; i < len && rc >= 0;) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t n = utf8_len(p + i, len - i);
			if (n) {
				rc = sk_buf_append(out, p + i, n);
				i += n;
			} else {
				rc = sk_buf_puts(out, "\xef\xbf\xbd");
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"': rc = sk_buf_puts(out, "\\\""); break;
		case '\\': rc = sk_buf_puts(out, "\\\\"); break;
		case '\b': rc = sk_buf_puts(out, "\\b"); break;
		case '\f': rc = sk_buf_puts(out, "\\f"); break;
		case '\n': rc = sk_buf_puts(out, "\\n"); break;
		case '\r': rc = sk_buf_puts(out, "\\r"); break;
		case '\t': rc = sk_buf_puts(out, "\\t"); break;
		default:
			if (c < 0x20)
				rc = sk_buf_printf(out, "\\u%04x", c);
			else
				rc = sk_buf_putc(out, (char)c);
		}
	}
	return rc < 0 ? rc : sk_buf_putc(out, '"');
}

int oj_double(struct sk_buf *out, double d)
{
	char tmp[40];
	if (d != d || d - d != 0)
		return sk_buf_puts(out, "null");
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	int rc = sk_buf_puts(out, tmp);
	if (rc >= 0 && !strpbrk(tmp, ".eE"))
		rc = sk_buf_puts(out, ".0");
	return rc;
}
