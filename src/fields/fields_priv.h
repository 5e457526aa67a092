/* fields_priv.h — private to fields/: the registry entry, the bound field
 * reference, the per-class extractors and the argument renderer shared by
 * evt.args, evt.arg.X and `saker inspect`. */
#ifndef SK_FIELDS_PRIV_H
#define SK_FIELDS_PRIV_H

#include "fields/fields.h"
#include "fields/fields_ids.h"

struct sk_fieldref;

/* A class extractor: fills up to `max` values for field `f` of the current
 * event and returns how many (0 = no value). Never allocates except through
 * the context's scratch buffers. */
typedef size_t (*sk_fx_fn)(const struct sk_fieldref *f, struct sk_eval_ctx *c,
			   struct sk_value *out, size_t max);

struct sk_field_def {
	struct sk_field_info info;
	uint16_t id;                 /* enum sk_field_id */
	sk_fx_fn fx;
};

extern const struct sk_field_def sk_field_defs[];
extern const size_t sk_field_defs_count;

#define SK_ARGIDX_NONE 0xFF

/* A field bound to its argument. Owned by the caller of sk_fieldref_new. */
struct sk_fieldref {
	const struct sk_field_def *def;
	uint8_t type;                /* value type of this binding */
	uint8_t fmt;                 /* enum sk_pformat used by sk_fieldref_format */
	uint32_t flags;
	char *text;                  /* "proc.aname[2]" */
	char *arg;                   /* argument text or NULL */
	bool has_index;
	int64_t index;               /* numeric argument */
	int sub;                     /* class-specific selector (abspath src/dst ...) */
	/* evt.arg.NAME / evt.rawarg.NAME: param index per event code
	 * (SK_ARGIDX_NONE when that event has no such param). */
	uint8_t *argidx;
	/* Sharing and the per-event memo (see sk_fieldref_new/_extract). */
	uint32_t refs;               /* owners; freed when the last one frees it */
	char *key;                   /* intern key: "src\1name\1arg" */
	const struct sk_eval_ctx *memo_ctx;
	uint64_t memo_gen;           /* ctx->gen the memo belongs to */
	size_t memo_n;               /* 0 or 1 */
	struct sk_value memo;
};

/* Class extractors (one file each). */
size_t sk_fx_evt(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		 size_t max);
size_t sk_fx_proc(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max);
size_t sk_fx_user(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max);
size_t sk_fx_fd(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		size_t max);
size_t sk_fx_misc(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max);
size_t sk_fx_container(const struct sk_fieldref *f, struct sk_eval_ctx *c,
		       struct sk_value *out, size_t max);
/* ka.*, jevt.*, json.* of the k8s_audit source (c->audit). */
size_t sk_fx_k8saudit(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		      size_t max);

/* ---- helpers shared by class files (fields.c) ---- */
/* A scratch buffer of the context, reset; rotates among SK_ARRAY_LEN(c->scratch)
 * so that a few values of one event can coexist. */
struct sk_buf *sk_fields_scratch(struct sk_eval_ctx *c);
static inline size_t sk_val_str(struct sk_value *v, const char *p, size_t len)
{
	v->type = SK_PT_CHARBUF;
	v->str.p = p;
	v->str.len = (uint32_t)len;
	return 1;
}
size_t sk_val_cstr(struct sk_value *v, const char *s);
static inline size_t sk_val_u64(struct sk_value *v, uint8_t type, uint64_t x)
{
	v->type = type;
	v->u64 = x;
	return 1;
}
static inline size_t sk_val_s64(struct sk_value *v, uint8_t type, int64_t x)
{
	v->type = type;
	v->s64 = x;
	return 1;
}
static inline size_t sk_val_bool(struct sk_value *v, bool b)
{
	return sk_val_u64(v, SK_PT_BOOL, b ? 1 : 0);
}
/* The buffer's contents as a string value (scratch must stay untouched). */
static inline size_t sk_val_buf(struct sk_value *v, const struct sk_buf *b)
{
	return sk_val_str(v, sk_buf_cstr(b), b->len);
}

/* Thread/fd of the current event (cached per event; NULL when no state). */
struct sk_thread;
struct sk_fdinfo;
struct sk_thread *sk_fields_thread(struct sk_eval_ctx *c);
/* The user / group of thread t's container (NULL when unknown; see
 * fields_user.c for where they are looked up). */
const struct sk_user *sk_fields_user(struct sk_eval_ctx *c, const struct sk_thread *t,
				     uint32_t uid);
const struct sk_group *sk_fields_group(struct sk_eval_ctx *c, const struct sk_thread *t,
				       uint32_t gid);
struct sk_fdinfo *sk_fields_fdinfo(struct sk_eval_ctx *c);

/* path resolved against dirfd as libsinsp's parse_dirfd + concatenate_paths
 * do (cwd for AT_FDCWD, "<UNKNOWN>/" for an fd the table lacks), written to
 * b (reset first). Returns its length, 0 on failure. */
size_t sk_fields_dirfd_path(struct sk_eval_ctx *c, struct sk_thread *t, int64_t dirfd,
			    const char *path, struct sk_buf *b);

/* ---- argument rendering (render.c) ----
 * Renders param i of ev the way libsinsp prints it: `raw` gets the plain
 * text ("3", "4097", "127.0.0.1:80"), `resolved` the resolved part when
 * there is one ("<f>/etc/passwd", "O_RDONLY|O_CLOEXEC", "ENOENT"), left
 * empty otherwise. c may have no state (fds and pids then stay numeric). */
int sk_render_param(struct sk_eval_ctx *c, const struct sk_event *ev, unsigned i,
		    struct sk_buf *raw, struct sk_buf *resolved);
/* evt.args: "name=raw(resolved) name=raw " (trailing space kept as sysdig). */
int sk_render_args(struct sk_eval_ctx *c, const struct sk_event *ev, struct sk_buf *out);
/* Typechar of an fd type ('f', '4', ...; 'o' unknown). */
char sk_fd_typechar(uint8_t type);
/* fd.type name of an fd type ("file", "ipv4", ...), NULL when unknown. */
const char *sk_fd_type_name(uint8_t type);

#endif
