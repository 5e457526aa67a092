/* event.h — the event model: the event table (every event code, its
 * parameters and their types), struct sk_event (a zero-copy view over one
 * scap-layout record), and typed parameter accessors.
 *
 * One layout everywhere: the eBPF probe, capture files and tests all produce
 * records in the current scap layout (V2 header with nparams, see
 * shared/reference/scap-format.md §6), so this one decoder serves them all. */
#ifndef SK_EVENT_H
#define SK_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SK_EVENT_MAX 454     /* PPM_EVENT_MAX: codes are 0 .. SK_EVENT_MAX-1 */
#define SK_MAX_PARAMS 32     /* PPM_MAX_EVENT_PARAMS */
#define SK_EVENT_HDR_LEN 26  /* V2 header: ts, tid, len, type, nparams */
#define SK_EVENT_HDR_V1_LEN 22

/* Parameter (and field) value types; the numbers are libs' PT_* codes. */
enum sk_ptype {
	SK_PT_NONE = 0,
	SK_PT_INT8 = 1,
	SK_PT_INT16 = 2,
	SK_PT_INT32 = 3,
	SK_PT_INT64 = 4,
	SK_PT_UINT8 = 5,
	SK_PT_UINT16 = 6,
	SK_PT_UINT32 = 7,
	SK_PT_UINT64 = 8,
	SK_PT_CHARBUF = 9,
	SK_PT_BYTEBUF = 10,
	SK_PT_ERRNO = 11,
	SK_PT_SOCKADDR = 12,
	SK_PT_SOCKTUPLE = 13,
	SK_PT_FD = 14,
	SK_PT_PID = 15,
	SK_PT_FDLIST = 16,
	SK_PT_FSPATH = 17,
	SK_PT_SYSCALLID = 18,
	SK_PT_SIGTYPE = 19,
	SK_PT_RELTIME = 20,
	SK_PT_ABSTIME = 21,
	SK_PT_PORT = 22,
	SK_PT_L4PROTO = 23,
	SK_PT_SOCKFAMILY = 24,
	SK_PT_BOOL = 25,
	SK_PT_IPV4ADDR = 26,
	SK_PT_DYN = 27,
	SK_PT_FLAGS8 = 28,
	SK_PT_FLAGS16 = 29,
	SK_PT_FLAGS32 = 30,
	SK_PT_UID = 31,
	SK_PT_GID = 32,
	SK_PT_DOUBLE = 33,
	SK_PT_SIGSET = 34,
	SK_PT_CHARBUFARRAY = 35,
	SK_PT_CHARBUF_PAIR_ARRAY = 36,
	SK_PT_IPV4NET = 37,
	SK_PT_IPV6ADDR = 38,
	SK_PT_IPV6NET = 39,
	SK_PT_IPADDR = 40,
	SK_PT_IPNET = 41,
	SK_PT_MODE = 42,
	SK_PT_FSRELPATH = 43,
	SK_PT_ENUMFLAGS8 = 44,
	SK_PT_ENUMFLAGS16 = 45,
	SK_PT_ENUMFLAGS32 = 46,
	SK_PT_FD32 = 47,
	SK_PT_PID32 = 48,
	SK_PT_MAX
};

/* Print formats of the event table (PF_*). */
enum sk_pformat {
	SK_PF_NA = 0,
	SK_PF_DEC,
	SK_PF_HEX,
	SK_PF_OCT,
	SK_PF_ID,
	SK_PF_DIR,
	SK_PF_10_PADDED_DEC,
};

/* Event flags (EF_*). */
enum sk_event_flag {
	SK_EF_CREATES_FD = 1 << 0,
	SK_EF_DESTROYS_FD = 1 << 1,
	SK_EF_USES_FD = 1 << 2,
	SK_EF_READS_FROM_FD = 1 << 3,
	SK_EF_WRITES_TO_FD = 1 << 4,
	SK_EF_MODIFIES_STATE = 1 << 5,
	SK_EF_UNUSED = 1 << 6,
	SK_EF_WAITS = 1 << 7,
	SK_EF_SKIPPARSERESET = 1 << 8,
	SK_EF_OLD_VERSION = 1 << 9,
	SK_EF_LARGE_PAYLOAD = 1 << 11,
	SK_EF_CONVERTER_MANAGED = 1 << 12,
};

/* Event categories (ppm_event_category): low bits = kind, high bits = origin. */
enum sk_event_category {
	SK_EC_UNKNOWN = 0,
	SK_EC_OTHER = 1,
	SK_EC_FILE = 2,
	SK_EC_NET = 3,
	SK_EC_IPC = 4,
	SK_EC_MEMORY = 5,
	SK_EC_PROCESS = 6,
	SK_EC_SLEEP = 7,
	SK_EC_SYSTEM = 8,
	SK_EC_SIGNAL = 9,
	SK_EC_USER = 10,
	SK_EC_TIME = 11,
	SK_EC_PROCESSING = 12,
	SK_EC_IO_READ = 32,
	SK_EC_IO_WRITE = 33,
	SK_EC_IO_OTHER = 34,
	SK_EC_WAIT = 64,
	SK_EC_SCHEDULER = 128,
	SK_EC_INTERNAL = 256,
	SK_EC_SYSCALL = 512,
	SK_EC_TRACEPOINT = 1024,
	SK_EC_PLUGIN = 2048,
	SK_EC_METAEVENT = 4096,
	SK_EC_ITER = 8192,
};

/* One name of a flag/enum table (flags.tsv), in table order. */
struct sk_flag_name {
	const char *name;
	uint32_t value;
};

struct sk_flag_table {
	const char *name;            /* e.g. "file_flags" */
	const struct sk_flag_name *names;
	uint16_t count;
};

struct sk_param_info {
	const char *name;
	uint8_t type;                /* enum sk_ptype */
	uint8_t fmt;                 /* enum sk_pformat */
	int8_t dirfd;                /* FSRELPATH: index of its dirfd param, else -1 */
	const struct sk_flag_table *flags; /* flag/enum table of FLAGS, ENUMFLAGS, MODE params */
	const char *dyn_table;       /* DYN params: name of the dynamic table, else NULL */
};

struct sk_event_info {
	const char *name;            /* evt.type; "NA" for unused slots */
	const char *symbol;          /* PPME_* */
	uint32_t category;           /* enum sk_event_category bits */
	uint32_t flags;              /* enum sk_event_flag bits */
	char dir;                    /* 'E' or 'X' */
	uint8_t nparams;
	const struct sk_param_info *params;
};

/* The event table, indexed by code. Generated from shared/reference/events.tsv
 * by scripts/gen_event_table.py into event_table.c. */
extern const struct sk_event_info sk_event_table[SK_EVENT_MAX];
extern const struct sk_flag_table sk_flag_tables[];
extern const size_t sk_flag_tables_count;

/* Returns the table entry for a code, or NULL when out of range. */
static inline const struct sk_event_info *sk_event_info_get(uint16_t type)
{
	return type < SK_EVENT_MAX ? &sk_event_table[type] : NULL;
}

/* Index of the named parameter of an event type, or -1. */
int sk_event_param_index(const struct sk_event_info *info, const char *name);
/* Looks up a flag table by name; NULL if unknown. */
const struct sk_flag_table *sk_flag_table_find(const char *name);
/* True when the code's params use 32-bit lengths (EF_LARGE_PAYLOAD). */
static inline bool sk_event_large(uint16_t type)
{
	return type < SK_EVENT_MAX && (sk_event_table[type].flags & SK_EF_LARGE_PAYLOAD);
}

/* ---- the event view --------------------------------------------------------
 * A read-only view over one V2 record. All pointers borrow the source's
 * buffer and stay valid until that source's next call. Filled by
 * sk_event_decode(); sources set `num`, `cpuid` and `dump_flags`. */
struct sk_event {
	uint64_t num;                /* evt.num: 1-based sequence number in the stream */
	uint64_t ts;                 /* ns since epoch */
	int64_t tid;                 /* host thread id (-1 for some meta events) */
	uint16_t type;               /* event code */
	uint16_t cpuid;
	uint32_t dump_flags;         /* SK_DF_* from EVF blocks, 0 otherwise */
	uint32_t nparams;
	const struct sk_event_info *info; /* never NULL after a successful decode */
	const uint8_t *rec;          /* the record, starting at the header */
	uint32_t len;                /* record length (header + lengths + data) */
	uint32_t plen[SK_MAX_PARAMS];
	const uint8_t *pval[SK_MAX_PARAMS];
};

#define SK_DF_STATE_ONLY 0x1u        /* update state, never show or alert */

/* Decodes and validates a V2 record of `avail` bytes into `ev` (num, cpuid and
 * dump_flags untouched). Checks every length against `avail` as libscap does.
 * Returns 0, or -EINVAL with a message in err. Never reads past avail. */
int sk_event_decode(struct sk_event *ev, const uint8_t *rec, size_t avail, struct sk_err *err)
	SK_WUR;

/* Raw bytes of param i (NULL and *len = 0 when i is out of range or empty). */
static inline const uint8_t *sk_event_param(const struct sk_event *ev, unsigned i, uint32_t *len)
{
	if (i >= ev->nparams) {
		*len = 0;
		return NULL;
	}
	*len = ev->plen[i];
	return ev->plen[i] ? ev->pval[i] : NULL;
}

/* Width in bytes of a fixed-size parameter type (1, 2, 4, 8, or 16 for
 * IPV6ADDR); 0 for variable-size types. Also covers the types libscap gives
 * no size (BOOL, DOUBLE, L4PROTO, SOCKFAMILY) by their encoding. */
uint32_t sk_ptype_fixed_size(uint8_t type);

/* Integer value of a fixed-size param, sign- or zero-extended by its table
 * type. False when the param is absent, empty or not an integer type. */
bool sk_event_get_s64(const struct sk_event *ev, unsigned i, int64_t *out);
bool sk_event_get_u64(const struct sk_event *ev, unsigned i, uint64_t *out);
/* A string param (CHARBUF/FSPATH/FSRELPATH) as a NUL-terminated C string, or
 * NULL when empty, legacy "(NULL)", or not NUL-terminated. */
const char *sk_event_get_str(const struct sk_event *ev, unsigned i);

/* ---- building records ------------------------------------------------------
 * For tests, the capture converter and the scap writer: builds one V2 record
 * in a caller-owned sk_buf. Usage: begin, add each param in table order, end. */
struct sk_event_builder {
	struct sk_buf *out;
	size_t start;                /* offset of the record in out */
	uint16_t type;
	uint32_t nparams, added;
	bool large;
	int err;                     /* first error, sticky */
};

void sk_event_build_begin(struct sk_event_builder *b, struct sk_buf *out, uint64_t ts,
			  int64_t tid, uint16_t type, uint32_t nparams);
void sk_event_build_param(struct sk_event_builder *b, const void *data, uint32_t len);
void sk_event_build_u64(struct sk_event_builder *b, uint64_t v, unsigned width);
void sk_event_build_str(struct sk_event_builder *b, const char *s); /* NULL = empty */
/* Finishes the record; returns 0 or the first error. */
int sk_event_build_end(struct sk_event_builder *b) SK_WUR;

/* Capture files (reader, writer, metadata) are part of this module's face. */
#include "event/scap.h"

#endif
