/* ops.c — the pure operator functions of the condition language: glob
 * (fnmatch semantics, no flags), case-insensitive search, the pmatch path
 * prefix tree, base64 and hex decoding, and literal parsing by field type.
 * Nothing here knows about fields or events, so each piece is unit-tested
 * on its own (tests/unit/test_filter_ops.c). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

static inline unsigned char fold(unsigned char c, bool ic)
{
	return ic && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---- glob ------------------------------------------------------------------- */

/* Matches one bracket expression starting at p[*pi] == '['. Returns 1 match,
 * 0 no match, -1 malformed (no closing ']': '[' is then an ordinary char).
 * On 0/1, *pi is advanced past the closing ']'. */
static int bracket(const unsigned char *p, size_t pn, size_t *pi, unsigned char c, bool ic)
{
	size_t i = *pi + 1;
	bool neg = false, match = false;
	if (i < pn && (p[i] == '!' || p[i] == '^')) {
		neg = true;
		i++;
	}
	c = fold(c, ic);
	bool first = true;
	for (;;) {
		if (i >= pn) return -1;
		unsigned char lo = p[i];
		if (lo == ']' && !first) {
			i++;
			break;
		}
		first = false;
		if (lo == '[' && i + 1 < pn && p[i + 1] == ':') {
			/* character class [:name:] */
			size_t j = i + 2;
			while (j + 1 < pn && !(p[j] == ':' && p[j + 1] == ']')) j++;
			if (j + 1 < pn) {
				size_t n = j - (i + 2);
				const char *name = (const char *)p + i + 2;
				int (*fn)(int) = NULL;
#define CLS(s, f) if (n == sizeof(s) - 1 && memcmp(name, s, n) == 0) fn = f
				CLS("alpha", isalpha); CLS("digit", isdigit); CLS("alnum", isalnum);
				CLS("upper", isupper); CLS("lower", islower); CLS("space", isspace);
				CLS("punct", ispunct); CLS("xdigit", isxdigit); CLS("print", isprint);
				CLS("graph", isgraph); CLS("cntrl", iscntrl); CLS("blank", isblank);
#undef CLS
				if (fn && (fn(c) || (ic && fn(toupper(c))))) match = true;
				i = j + 2;
				continue;
			}
		}
		if (lo == '\\' && i + 1 < pn) lo = p[++i];
		i++;
		unsigned char hi = lo;
		if (i + 1 < pn && p[i] == '-' && p[i + 1] != ']') {
			hi = p[i + 1];
			if (hi == '\\' && i + 2 < pn) {
				hi = p[i + 2];
				i++;
			}
			i += 2;
		}
		unsigned char l = fold(lo, ic), h = fold(hi, ic);
		if ((c >= lo && c <= hi) || (c >= l && c <= h)) match = true;
	}
	*pi = i;
	return match != neg;
}

bool sk_glob_match(const char *pat, size_t pn, const char *str, size_t sn, bool ic)
{
	const unsigned char *p = (const unsigned char *)pat, *s = (const unsigned char *)str;
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn) {
			unsigned char c = p[pi];
			if (c == '*') {
				while (pi < pn && p[pi] == '*') pi++;
				if (pi == pn) return true;
				star_p = pi;
				star_s = si;
				continue;
			}
			if (c == '?') {
				pi++;
				si++;
				continue;
			}
			if (c == '[') {
				size_t q = pi;
				int r = bracket(p, pn, &q, s[si], ic);
				if (r == 1) {
					pi = q;
					si++;
					continue;
				}
				if (r < 0 && s[si] == '[') {
					pi++;
					si++;
					continue;
				}
				goto backtrack;
			}
			size_t step = 1;
			if (c == '\\' && pi + 1 < pn) {
				c = p[pi + 1];
				step = 2;
			}
			if (fold(c, ic) == fold(s[si], ic)) {
				pi += step;
				si++;
				continue;
			}
		}
backtrack:
		if (star_p == SIZE_MAX) return false;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < pn && p[pi] == '*') pi++;
	return pi == pn;
}

/* ---- substring search ------------------------------------------------------- */

const char *sk_memcasemem(const char *h, size_t hn, const char *lower_needle, size_t nn)
{
	if (nn == 0) return h;
	if (hn < nn) return NULL;
	const unsigned char *n = (const unsigned char *)lower_needle;
	unsigned char f = fold(n[0], true);
	for (size_t i = 0; i + nn <= hn; i++) {
		if (fold((unsigned char)h[i], true) != f) continue;
		size_t k = 1;
		while (k < nn && fold((unsigned char)h[i + k], true) == fold(n[k], true)) k++;
		if (k == nn) return h + i;
	}
	return NULL;
}

/* ---- pmatch prefix tree ------------------------------------------------------ */

struct sk_ptrie {
	bool terminal;          /* an entry ends here: everything below matches */
	struct sk_strmap exact; /* component -> child */
	struct sk_ptrie **globs;/* children whose component has glob characters */
	char **glob_pat;
	size_t nglobs;
};

struct sk_ptrie *sk_ptrie_new(void)
{
	struct sk_ptrie *t = calloc(1, sizeof(*t));
	if (t) sk_strmap_init(&t->exact);
	return t;
}

void sk_ptrie_free(struct sk_ptrie *t)
{
	if (!t) return;
	size_t it = 0;
	const char *k;
	size_t kl;
	void *v;
	while (sk_strmap_next(&t->exact, &it, &k, &kl, &v)) sk_ptrie_free(v);
	sk_strmap_done(&t->exact);
	for (size_t i = 0; i < t->nglobs; i++) {
		sk_ptrie_free(t->globs[i]);
		free(t->glob_pat[i]);
	}
	free(t->globs);
	free(t->glob_pat);
	free(t);
}

static bool has_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
	return false;
}

/* Next non-empty path component of s[*i..n); false at the end. */
static bool next_comp(const char *s, size_t n, size_t *i, const char **c, size_t *cl)
{
	while (*i < n && s[*i] == '/') (*i)++;
	if (*i >= n) return false;
	size_t a = *i;
	while (*i < n && s[*i] != '/') (*i)++;
	*c = s + a;
	*cl = *i - a;
	return true;
}

int sk_ptrie_add(struct sk_ptrie *t, const char *path, size_t n)
{
	size_t i = 0;
	const char *c;
	size_t cl;
	while (next_comp(path, n, &i, &c, &cl)) {
		if (t->terminal) return 0; /* a shorter entry already covers it */
		struct sk_ptrie *child = NULL;
		if (has_glob(c, cl)) {
			for (size_t g = 0; g < t->nglobs; g++)
				if (strlen(t->glob_pat[g]) == cl && memcmp(t->glob_pat[g], c, cl) == 0)
					child = t->globs[g];
			if (!child) {
				struct sk_ptrie **ng = realloc(t->globs, (t->nglobs + 1) * sizeof(*ng));
				if (!ng) return -ENOMEM;
				t->globs = ng;
				char **np = realloc(t->glob_pat, (t->nglobs + 1) * sizeof(*np));
				if (!np) return -ENOMEM;
				t->glob_pat = np;
				child = sk_ptrie_new();
				char *pat = strndup(c, cl);
				if (!child || !pat) {
					sk_ptrie_free(child);
					free(pat);
					return -ENOMEM;
				}
				t->globs[t->nglobs] = child;
				t->glob_pat[t->nglobs++] = pat;
			}
		} else {
			child = sk_strmap_getn(&t->exact, c, cl);
			if (!child) {
				child = sk_ptrie_new();
				if (!child) return -ENOMEM;
				if (sk_strmap_putn(&t->exact, c, cl, child) < 0) {
					sk_ptrie_free(child);
					return -ENOMEM;
				}
			}
		}
		t = child;
	}
	t->terminal = true;
	return 0;
}

bool sk_ptrie_match(const struct sk_ptrie *t, const char *s, size_t n)
{
	size_t i = 0;
	const char *c;
	size_t cl;
	for (;;) {
		if (t->terminal) return true;
		if (!next_comp(s, n, &i, &c, &cl)) return false;
		for (size_t g = 0; g < t->nglobs; g++) {
			const char *pat = t->glob_pat[g];
			if (sk_glob_match(pat, strlen(pat), c, cl, false) &&
			    sk_ptrie_match(t->globs[g], s + i, n - i))
				return true;
		}
		t = sk_strmap_getn(&t->exact, c, cl);
		if (!t) return false;
	}
}

/* ---- decoding ------------------------------------------------------------------ */

static int b64v(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

ssize_t sk_b64_decode(const char *in, size_t n, char *out)
{
	while (n > 0 && in[n - 1] == '=') n--; /* padding optional */
	if (n % 4 == 1) return -1;
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64v((unsigned char)in[i]);
		if (v < 0) return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return (ssize_t)o;
}

int sk_hex_decode(const char *in, size_t n, char *out)
{
	if (n % 2) return -1;
	for (size_t i = 0; i < n; i += 2) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = in[i + (size_t)k];
			int d = c >= '0' && c <= '9' ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0) return -1;
			v = v * 16 + d;
		}
		out[i / 2] = (char)v;
	}
	return (int)(n / 2);
}

/* ---- type classes and literals ---------------------------------------------------- */

enum sk_tclass sk_type_class(uint8_t t)
{
	switch (t) {
	case SK_PT_INT8: case SK_PT_INT16: case SK_PT_INT32: case SK_PT_INT64:
	case SK_PT_ERRNO: case SK_PT_FD: case SK_PT_PID: case SK_PT_FD32: case SK_PT_PID32:
		return SK_TC_SIGNED;
	case SK_PT_UINT8: case SK_PT_UINT16: case SK_PT_UINT32: case SK_PT_UINT64:
	case SK_PT_SYSCALLID: case SK_PT_SIGTYPE: case SK_PT_RELTIME: case SK_PT_ABSTIME:
	case SK_PT_PORT: case SK_PT_L4PROTO: case SK_PT_SOCKFAMILY: case SK_PT_FLAGS8:
	case SK_PT_FLAGS16: case SK_PT_FLAGS32: case SK_PT_UID: case SK_PT_GID: case SK_PT_MODE:
	case SK_PT_ENUMFLAGS8: case SK_PT_ENUMFLAGS16: case SK_PT_ENUMFLAGS32: case SK_PT_SIGSET:
		return SK_TC_UNSIGNED;
	case SK_PT_DOUBLE: return SK_TC_DOUBLE;
	case SK_PT_BOOL: return SK_TC_BOOL;
	case SK_PT_CHARBUF: case SK_PT_FSPATH: case SK_PT_FSRELPATH: return SK_TC_STR;
	case SK_PT_BYTEBUF: return SK_TC_BYTES;
	case SK_PT_IPV4ADDR: case SK_PT_IPV6ADDR: case SK_PT_IPADDR: return SK_TC_IP;
	case SK_PT_IPV4NET: case SK_PT_IPV6NET: case SK_PT_IPNET: return SK_TC_NET;
	default: return SK_TC_OTHER;
	}
}

/* Width in bytes of an integer type (8 when not an integer). */
static unsigned int_width(uint8_t t)
{
	switch (t) {
	case SK_PT_INT8: case SK_PT_UINT8: case SK_PT_SIGTYPE: case SK_PT_L4PROTO:
	case SK_PT_SOCKFAMILY: case SK_PT_FLAGS8: case SK_PT_ENUMFLAGS8:
		return 1;
	case SK_PT_INT16: case SK_PT_UINT16: case SK_PT_PORT: case SK_PT_SYSCALLID:
	case SK_PT_FLAGS16: case SK_PT_ENUMFLAGS16:
		return 2;
	case SK_PT_INT32: case SK_PT_UINT32: case SK_PT_FLAGS32: case SK_PT_ENUMFLAGS32:
	case SK_PT_UID: case SK_PT_GID: case SK_PT_MODE: case SK_PT_FD32: case SK_PT_PID32:
	case SK_PT_BOOL:
		return 4;
	default:
		return 8;
	}
}

int64_t sk_trunc_s64(uint8_t t, int64_t v)
{
	switch (int_width(t)) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return v;
	}
}

uint64_t sk_trunc_u64(uint8_t t, uint64_t v)
{
	unsigned w = int_width(t);
	return w >= 8 ? v : v & ((1ULL << (w * 8)) - 1);
}

/* Decimal with an optional sign; the rest of the text must be empty. */
static int parse_dec(const char *s, bool *neg, uint64_t *mag)
{
	*neg = false;
	if (*s == '+' || *s == '-') *neg = *s++ == '-';
	if (!*s) return -EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9') return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) return -ERANGE;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

int sk_literal_parse(uint8_t type, const char *text, struct sk_value *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	bool neg;
	uint64_t mag;
	switch (sk_type_class(type)) {
	case SK_TC_SIGNED:
		if (parse_dec(text, &neg, &mag) < 0) return -EINVAL;
		if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0)) return -ERANGE;
		out->s64 = sk_trunc_s64(type, neg ? (int64_t)(0 - mag) : (int64_t)mag);
		return 0;
	case SK_TC_UNSIGNED:
		if (parse_dec(text, &neg, &mag) < 0) {
			if (type == SK_PT_PORT) {
				struct servent *se = getservbyname(text, NULL);
				if (se) {
					out->u64 = ntohs((uint16_t)se->s_port);
					return 0;
				}
			}
			return -EINVAL;
		}
		out->u64 = sk_trunc_u64(type, neg ? 0 - mag : mag);
		return 0;
	case SK_TC_DOUBLE:
		if (parse_dec(text, &neg, &mag) < 0 || mag > 0x80000000ULL) return -EINVAL;
		out->dbl = (double)(int32_t)(neg ? (int64_t)(0 - mag) : (int64_t)mag);
		return 0;
	case SK_TC_BOOL:
		if (strcmp(text, "true") == 0) out->u64 = 1;
		else if (strcmp(text, "false") == 0) out->u64 = 0;
		else return -EINVAL;
		return 0;
	case SK_TC_IP: {
		bool v6 = type == SK_PT_IPV6ADDR || (type == SK_PT_IPADDR && !strchr(text, '.'));
		if (inet_pton(v6 ? AF_INET6 : AF_INET, text, out->ip.b) != 1) return -EINVAL;
		out->ip.v6 = v6;
		return 0;
	}
	case SK_TC_NET: {
		const char *slash = strchr(text, '/');
		if (!slash || slash - text >= 64) return -EINVAL;
		char addr[64];
		memcpy(addr, text, (size_t)(slash - text));
		addr[slash - text] = 0;
		bool v6 = type == SK_PT_IPV6NET || (type == SK_PT_IPNET && !strchr(addr, '.'));
		if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, out->ip.b) != 1) return -EINVAL;
		if (parse_dec(slash + 1, &neg, &mag) < 0 || neg || mag > (v6 ? 128u : 32u))
			return -EINVAL;
		out->ip.v6 = v6;
		out->ip.prefix = (uint8_t)mag;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

bool sk_net_contains(const struct sk_value *net, const struct sk_value *addr)
{
	if (net->ip.v6 != addr->ip.v6) return false;
	unsigned bits = net->ip.prefix, full = bits / 8, rem = bits % 8;
	if (memcmp(net->ip.b, addr->ip.b, full) != 0) return false;
	if (!rem) return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (net->ip.b[full] & mask) == (addr->ip.b[full] & mask);
}
