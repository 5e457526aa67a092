/* fields.h — field classes (evt, proc/thread, user, group, fd, container, k8s,
 * ka/jevt/json of the k8s_audit source): one registry, typed extraction, text rendering.
 *
 * A field is looked up once (at rule/format compile time) into a struct
 * sk_fieldref, which binds the extractor to its argument. Extraction on the
 * hot path allocates nothing: values borrow the event, the state tables or a
 * scratch area owned by the eval context, valid until the next event. */
#ifndef SK_FIELDS_H
#define SK_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/util.h"

struct sk_state;
struct sk_fieldref;

/* Event sources. A field belongs to one source, or to all (generic evt.*). */
enum sk_source {
	SK_SRC_SYSCALL = 0,
	SK_SRC_K8S_AUDIT = 1,
	SK_SRC_COUNT
};

const char *sk_source_name(enum sk_source s);  /* "syscall", "k8s_audit" */
int sk_source_parse(const char *name);          /* enum value or -1 */

/* A typed value. `type` is an enum sk_ptype (field types reuse the PT codes).
 * Strings are not necessarily NUL-terminated; use str.len. */
struct sk_value {
	uint8_t type;
	union {
		int64_t s64;             /* INT*, ERRNO, FD, PID */
		uint64_t u64;            /* UINT*, FLAGS*, UID, GID, MODE, RELTIME, ABSTIME, BOOL, PORT... */
		double dbl;              /* DOUBLE */
		struct {
			const char *p;
			uint32_t len;
		} str;                   /* CHARBUF, FSPATH, FSRELPATH, BYTEBUF */
		struct {
			uint8_t b[16];   /* IPV4ADDR: first 4 bytes, network order */
			uint8_t prefix;  /* IPNET/IPV4NET/IPV6NET: prefix length */
			bool v6;
		} ip;                    /* IPV4ADDR, IPV6ADDR, IPADDR, IPNET, ... */
	};
};

/* Field flags. */
enum sk_field_flag {
	SK_FF_FILTER_ONLY = 1 << 0,  /* cannot appear in outputs */
	SK_FF_PRINT_ONLY = 1 << 1,   /* cannot appear in conditions */
	SK_FF_HIDDEN = 1 << 2,       /* table-only: not listed */
	SK_FF_DEPRECATED = 1 << 3,   /* load warning when used */
	SK_FF_LIST = 1 << 4,         /* multi-valued list field (in = all, intersects = any) */
	SK_FF_ANY = 1 << 5,          /* multi-valued existential (proc.aname without index):
	                                a check is true when any value satisfies it */
	SK_FF_NO_RHS = 1 << 6,       /* cannot be compared with val() */
	SK_FF_NO_TRANSFORMER = 1 << 7,
	SK_FF_ARG_REQUIRED = 1 << 8,
	SK_FF_ARG_ALLOWED = 1 << 9,
	SK_FF_ARG_INDEX = 1 << 10,   /* the argument is a decimal index */
	SK_FF_ARG_DOTTED = 1 << 11,  /* the argument may follow a dot (evt.arg.NAME) */
	SK_FF_NO_VALUE = 1 << 12,    /* registered so rules load, but never has a value
	                                (not supported yet; see docs/fields.md) */
};

struct sk_field_info {
	const char *name;            /* "proc.name" */
	const char *cls;             /* class as --list prints it: "evt", "process", "fd" ... */
	uint8_t type;                /* enum sk_ptype */
	uint32_t flags;              /* enum sk_field_flag */
	int source;                  /* enum sk_source, or -1 for every source */
	const char *desc;
};

/* The registry. Iterates every field of a source (-1 = all) in class order;
 * used by --list and docs/fields.md. Returns the count. */
size_t sk_fields_foreach(int source, void (*fn)(const struct sk_field_info *f, void *ctx),
			 void *ctx);
/* Longest registered field name that prefixes `name` (for dotted arguments);
 * NULL when none. *matched gets the length of the registered name. */
const struct sk_field_info *sk_fields_lookup(enum sk_source src, const char *name,
					     size_t *matched);

/* ---- binding ---------------------------------------------------------------
 * `name` is the whole token as written ("evt.arg.flags", "proc.aname");
 * `arg` the bracket argument or NULL ("2" for proc.aname[2]). Fails with a
 * message when the field is unknown, the argument is missing or malformed.
 * Bindings are shared: every call with the same (src, name, arg) returns
 * the same object with one more reference (sk_fieldref_free drops one), so
 * the single-valued fields many rules test (fd.name, proc.name, ...) are
 * extracted once per event and memoized. Thread safe; the memo assumes an
 * eval context is used by one thread at a time. */
struct sk_fieldref *sk_fieldref_new(enum sk_source src, const char *name, const char *arg,
				    struct sk_err *err);
void sk_fieldref_free(struct sk_fieldref *f); /* NULL-safe */
const struct sk_field_info *sk_fieldref_info(const struct sk_fieldref *f);
/* Value type and flags of this binding (an index argument can turn a
 * multi-valued field single-valued: proc.aname[2] has no SK_FF_ANY). */
uint8_t sk_fieldref_type(const struct sk_fieldref *f);
/* True when the field prints in hex (fd.dev): Falco's JSON output then gives
 * the text, not a number. */
bool sk_fieldref_prints_hex(const struct sk_fieldref *f);
/* True for the fields libsinsp evaluates only inside comparisons (fd.ip,
 * fd.port, fd.net, fd.proto: either end of a socket): Falco's outputs show
 * no value for them (JSON null, text <NA>). */
bool sk_fieldref_output_none(const struct sk_fieldref *f);
uint32_t sk_fieldref_flags(const struct sk_fieldref *f);
/* The field as written, with its argument: "proc.aname[2]". */
const char *sk_fieldref_text(const struct sk_fieldref *f);

/* ---- evaluation context -----------------------------------------------------
 * One per engine thread. sk_eval_ctx_set_event() resets per-event caches
 * (thread and fd lookups, scratch). The struct is public so callers can embed
 * it; only the fields module touches the members after `state`. */
struct sk_eval_ctx {
	const struct sk_event *ev;   /* syscall source */
	struct sk_state *state;      /* may be NULL (fields needing it are absent) */
	const void *audit;           /* k8s_audit source: the event's JSON (json_t *) */
	uint64_t audit_num, audit_ts;
	/* private to fields/ */
	void *thread, *fdinfo;
	bool thread_done, fdinfo_done;
	struct sk_buf scratch[8];
	unsigned scratch_next;
	uint64_t first_ts, prev_ts, last_ts; /* evt.reltime / evt.deltatime */
	uint64_t gen;                /* bumped by every sk_eval_ctx_set_event (memo key) */
	/* Settable by the caller after init: byte buffers (evt.buffer, data
	 * params in evt.args) longer than this are cut and end in "..." as
	 * sysdig prints them (80); 0 = no limit (the engine's default). */
	uint32_t max_buf_output;
	/* Settable by the caller after init: render as sysdig 0.29.3 does (saker
	 * inspect) where it differs from what current Falco's rules see, e.g. a
	 * space after every argument of evt.args. false = Falco 0.44 (the engine). */
	bool sysdig;
};

void sk_eval_ctx_init(struct sk_eval_ctx *c, struct sk_state *state);
void sk_eval_ctx_done(struct sk_eval_ctx *c);
void sk_eval_ctx_set_event(struct sk_eval_ctx *c, const struct sk_event *ev);
/* The k8s_audit source's event: `doc` (json_t *, borrowed until the next
 * call), its sequence number and time (ns). Resets the caches as above. */
void sk_eval_ctx_set_audit(struct sk_eval_ctx *c, const void *doc, uint64_t num, uint64_t ts);
/* Call after sk_eval_ctx_set_event() when the state was not updated from
 * this event (an old-layout enter event shown as stored): the fd fields then
 * use the file descriptor the event names in its "fd" parameter, resolved
 * in the event thread's table (none when it has no such parameter). */
void sk_eval_ctx_fd_from_event(struct sk_eval_ctx *c);

/* Extracts up to `max` values. Returns the count: 0 = the field has no value
 * (every comparison on it is false), 1 for ordinary fields, 0..n for
 * SK_FF_LIST/SK_FF_ANY fields. Values stay valid until the next event. */
size_t sk_fieldref_extract(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			   struct sk_value *out, size_t max);

/* Appends the field's text rendering as Falco/sysdig outputs print it
 * ("<NA>" when missing; lists as "(a,b)"; ancestors space-separated).
 * Returns 1 when the field had a value, 0 when "<NA>" was printed, or a
 * negative code when the buffer is full. */
int sk_fieldref_format(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_buf *out);

/* Renders one value as text (numbers in decimal, IPs dotted, ...). */
int sk_value_format(const struct sk_value *v, struct sk_buf *out) SK_WUR;

/* ---- rendering helpers (libsinsp's text forms; used by outputs and tests) ----
 * Each appends to `out` and returns 0 or -E2BIG when the buffer is full. */
/* A flag/enum value by table walk (scap-format.md §7.1): "O_RDONLY|O_CLOEXEC";
 * `exact` for ENUMFLAGS. Appends nothing when no name matches. */
int sk_render_flags(const struct sk_flag_table *t, uint32_t val, bool exact,
		    struct sk_buf *out) SK_WUR;
/* An IP address: dotted quad (first 4 bytes) or RFC 5952 IPv6. */
int sk_render_ip(const uint8_t *ip, bool v6, struct sk_buf *out) SK_WUR;
/* A PT_SOCKADDR param: "1.2.3.4:80", "[::1]:80"-less IPv6 "::1:80", a unix
 * path, or "family N". */
int sk_render_sockaddr(const uint8_t *p, uint32_t len, struct sk_buf *out) SK_WUR;
/* A PT_SOCKTUPLE param: "1.2.3.4:5->6.7.8.9:80" (IPv4-mapped IPv6 shown as
 * IPv4), unix "src_hex->dst_hex path", or "family N". */
int sk_render_socktuple(const uint8_t *p, uint32_t len, struct sk_buf *out) SK_WUR;
/* Name of a negative errno value ("ENOENT" for -2), NULL when unknown. */
const char *sk_errno_name(int64_t err);
/* Name of a signal number ("SIGKILL"), NULL when unknown. */
const char *sk_signal_name(uint32_t sig);
/* Name of a PPM_SC syscall code (generic events), NULL when unknown. */
const char *sk_syscall_name(uint32_t code);
/* Name of an x86_64 syscall number, NULL when unknown. */
const char *sk_syscall_native_name(uint32_t nr);
/* Bytes as sysdig prints a buffer: printable ASCII kept, others as '.'. */
int sk_render_bytes(const void *p, size_t len, struct sk_buf *out) SK_WUR;

/* ---- fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name (dnscache.c) ----
 * A name is true for an endpoint when the endpoint's address is one of the
 * name's resolved addresses. The names come from the loaded conditions; a
 * background thread resolves them (getaddrinfo) when set and every refresh
 * interval; a name that does not resolve matches nothing. Process-wide. */
#define SK_DNSCACHE_REFRESH_DEFAULT 60u /* seconds */
/* Makes `names` the active set (others stay known but match nothing), starts
 * the refresh thread if needed and waits up to wait_ms for their first
 * resolution. Returns 0 or a negative errno. */
int sk_dnscache_set_names(const char *const *names, size_t n, unsigned wait_ms,
			  struct sk_err *err) SK_WUR;
void sk_dnscache_set_refresh(unsigned seconds); /* 0 = the default */
/* The active names that resolved to ip (4 or 16 bytes, network order), at
 * most max; the strings live until sk_dnscache_stop. */
size_t sk_dnscache_names_of(const uint8_t *ip, bool v6, const char **out, size_t max);
struct sk_dnscache_stats {
	uint64_t resolutions;  /* getaddrinfo calls that answered */
	uint64_t failures;     /* getaddrinfo calls that failed */
	uint64_t names;        /* active names */
};
void sk_dnscache_stats(struct sk_dnscache_stats *out);
void sk_dnscache_stop(void); /* joins the thread, forgets every name */

#endif
