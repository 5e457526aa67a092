/* event.c — decoding a V2 record into struct sk_event, typed parameter
 * accessors, and the record builder. */
#include <errno.h>
#include <string.h>

#include "event.h"

static inline uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int sk_event_param_index(const struct sk_event_info *info, const char *name)
{
	/* called per event by field extraction: compare the first byte before
	 * paying for strcmp (names of one event rarely share it) */
	for (unsigned i = 0; i < info->nparams; i++) {
		const char *pn = info->params[i].name;
		if (pn[0] == name[0] && strcmp(pn, name) == 0)
			return (int)i;
	}
	return -1;
}

const struct sk_flag_table *sk_flag_table_find(const char *name)
{
	for (size_t i = 0; i < sk_flag_tables_count; i++)
		if (strcmp(sk_flag_tables[i].name, name) == 0)
			return &sk_flag_tables[i];
	return NULL;
}

int sk_event_decode(struct sk_event *ev, const uint8_t *rec, size_t avail, struct sk_err *err)
{
	if (avail < SK_EVENT_HDR_LEN)
		return sk_err_set(err, -EINVAL, "event record shorter than its header (%zu bytes)",
				  avail);
	uint32_t len = rd32(rec + 16);
	uint16_t type = rd16(rec + 20);
	uint32_t nparams = rd32(rec + 22);
	if (len < SK_EVENT_HDR_LEN || len > avail)
		return sk_err_set(err, -EINVAL, "event length %u out of bounds (%zu available)", len,
				  avail);
	if (type >= SK_EVENT_MAX)
		return sk_err_set(err, -EINVAL, "unknown event type %u", type);
	if (nparams > SK_MAX_PARAMS)
		return sk_err_set(err, -EINVAL, "event type %u has %u parameters (max %d)", type,
				  nparams, SK_MAX_PARAMS);
	unsigned w = sk_event_large(type) ? 4 : 2;
	size_t off = SK_EVENT_HDR_LEN + (size_t)nparams * w;
	if (off > len)
		return sk_err_set(err, -EINVAL, "event type %u: %u parameter lengths overrun length %u",
				  type, nparams, len);
	const uint8_t *lens = rec + SK_EVENT_HDR_LEN;
	for (uint32_t i = 0; i < nparams; i++) {
		uint32_t pl = w == 4 ? rd32(lens + 4 * i) : rd16(lens + 2 * i);
		if (pl > len - off)
			return sk_err_set(err, -EINVAL,
					  "event type %u: parameter %u length %u overruns the record",
					  type, i, pl);
		ev->plen[i] = pl;
		ev->pval[i] = rec + off;
		off += pl;
	}
	ev->ts = rd64(rec);
	ev->tid = (int64_t)rd64(rec + 8);
	ev->type = type;
	ev->nparams = nparams;
	ev->info = &sk_event_table[type];
	ev->rec = rec;
	ev->len = len;
	return 0;
}

static bool fixed_int(const struct sk_event *ev, unsigned i, uint64_t *raw, unsigned *size,
		      bool *is_signed)
{
	if (i >= ev->nparams || !ev->plen[i] || i >= ev->info->nparams)
		return false;
	uint32_t len = ev->plen[i];
	const uint8_t *p = ev->pval[i];
	switch (ev->info->params[i].type) {
	case SK_PT_INT8: case SK_PT_INT16: case SK_PT_INT32: case SK_PT_INT64:
	case SK_PT_ERRNO: case SK_PT_FD: case SK_PT_PID: case SK_PT_FD32: case SK_PT_PID32:
		*is_signed = true;
		break;
	case SK_PT_UINT8: case SK_PT_UINT16: case SK_PT_UINT32: case SK_PT_UINT64:
	case SK_PT_FLAGS8: case SK_PT_FLAGS16: case SK_PT_FLAGS32: case SK_PT_ENUMFLAGS8:
	case SK_PT_ENUMFLAGS16: case SK_PT_ENUMFLAGS32: case SK_PT_SIGTYPE: case SK_PT_L4PROTO:
	case SK_PT_SOCKFAMILY: case SK_PT_SYSCALLID: case SK_PT_PORT: case SK_PT_MODE:
	case SK_PT_UID: case SK_PT_GID: case SK_PT_SIGSET: case SK_PT_BOOL: case SK_PT_IPV4ADDR:
	case SK_PT_RELTIME: case SK_PT_ABSTIME: case SK_PT_DOUBLE:
		*is_signed = false;
		break;
	default:
		return false;
	}
	switch (len) {
	case 1: *raw = p[0]; break;
	case 2: *raw = rd16(p); break;
	case 4: *raw = rd32(p); break;
	case 8: *raw = rd64(p); break;
	default: return false;
	}
	*size = len;
	return true;
}

uint32_t sk_ptype_fixed_size(uint8_t type)
{
	switch (type) {
	case SK_PT_INT8: case SK_PT_UINT8: case SK_PT_FLAGS8: case SK_PT_ENUMFLAGS8:
	case SK_PT_SIGTYPE: case SK_PT_L4PROTO: case SK_PT_SOCKFAMILY:
		return 1;
	case SK_PT_INT16: case SK_PT_UINT16: case SK_PT_FLAGS16: case SK_PT_ENUMFLAGS16:
	case SK_PT_SYSCALLID: case SK_PT_PORT:
		return 2;
	case SK_PT_INT32: case SK_PT_UINT32: case SK_PT_FLAGS32: case SK_PT_ENUMFLAGS32:
	case SK_PT_UID: case SK_PT_GID: case SK_PT_MODE: case SK_PT_SIGSET: case SK_PT_FD32:
	case SK_PT_PID32: case SK_PT_IPV4ADDR: case SK_PT_BOOL:
		return 4;
	case SK_PT_INT64: case SK_PT_UINT64: case SK_PT_RELTIME: case SK_PT_ABSTIME:
	case SK_PT_ERRNO: case SK_PT_FD: case SK_PT_PID: case SK_PT_DOUBLE:
		return 8;
	case SK_PT_IPV6ADDR:
		return 16;
	default:
		return 0;
	}
}

bool sk_event_get_s64(const struct sk_event *ev, unsigned i, int64_t *out)
{
	uint64_t raw;
	unsigned size;
	bool sgn;
	if (!fixed_int(ev, i, &raw, &size, &sgn))
		return false;
	if (sgn && size < 8) {
		unsigned shift = 64 - 8 * size;
		*out = (int64_t)(raw << shift) >> shift;
	} else {
		*out = (int64_t)raw;
	}
	return true;
}

bool sk_event_get_u64(const struct sk_event *ev, unsigned i, uint64_t *out)
{
	unsigned size;
	bool sgn;
	return fixed_int(ev, i, out, &size, &sgn);
}

const char *sk_event_get_str(const struct sk_event *ev, unsigned i)
{
	if (i >= ev->nparams || !ev->plen[i])
		return NULL;
	uint32_t len = ev->plen[i];
	const char *s = (const char *)ev->pval[i];
	if (s[len - 1] != 0)
		return NULL;
	if (len == 7 && memcmp(s, "(NULL)", 7) == 0)
		return NULL;
	return s;
}

/* ---- builder ---- */

void sk_event_build_begin(struct sk_event_builder *b, struct sk_buf *out, uint64_t ts,
			  int64_t tid, uint16_t type, uint32_t nparams)
{
	memset(b, 0, sizeof(*b));
	b->out = out;
	b->start = out->len;
	b->type = type;
	b->nparams = nparams;
	b->large = sk_event_large(type);
	if (nparams > SK_MAX_PARAMS) {
		b->err = -EINVAL;
		return;
	}
	uint8_t hdr[SK_EVENT_HDR_LEN] = {0};
	uint64_t t = (uint64_t)tid;
	memcpy(hdr, &ts, 8);
	memcpy(hdr + 8, &t, 8);
	memcpy(hdr + 20, &type, 2);
	memcpy(hdr + 22, &nparams, 4);
	size_t lens = (size_t)nparams * (b->large ? 4 : 2);
	b->err = sk_buf_append(out, hdr, sizeof(hdr));
	if (!b->err)
		b->err = sk_buf_reserve(out, lens);
	if (!b->err) {
		memset(out->data + out->len, 0, lens);
		out->len += lens;
	}
}

void sk_event_build_param(struct sk_event_builder *b, const void *data, uint32_t len)
{
	if (b->err)
		return;
	if (b->added >= b->nparams || (!b->large && len > 0xffff)) {
		b->err = -EINVAL;
		return;
	}
	uint8_t *lens = (uint8_t *)b->out->data + b->start + SK_EVENT_HDR_LEN;
	if (b->large)
		memcpy(lens + 4 * b->added, &len, 4);
	else {
		uint16_t l = (uint16_t)len;
		memcpy(lens + 2 * b->added, &l, 2);
	}
	b->added++;
	if (len)
		b->err = sk_buf_append(b->out, data, len);
}

void sk_event_build_u64(struct sk_event_builder *b, uint64_t v, unsigned width)
{
	uint8_t tmp[8];
	memcpy(tmp, &v, 8); /* little-endian host */
	sk_event_build_param(b, tmp, width);
}

void sk_event_build_str(struct sk_event_builder *b, const char *s)
{
	sk_event_build_param(b, s, s ? (uint32_t)strlen(s) + 1 : 0);
}

int sk_event_build_end(struct sk_event_builder *b)
{
	if (b->err)
		return b->err;
	if (b->added != b->nparams)
		return -EINVAL;
	size_t len = b->out->len - b->start;
	if (len > UINT32_MAX)
		return -E2BIG;
	uint32_t l = (uint32_t)len;
	memcpy(b->out->data + b->start + 16, &l, 4);
	return 0;
}
