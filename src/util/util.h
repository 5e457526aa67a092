/* util.h — small shared pieces every module uses: error context, bounded
 * string buffer, hash maps keyed by integers and strings, and an arena.
 *
 * Nothing here logs or aborts: every fallible call returns a negative errno
 * (or NULL) and leaves the object usable. Objects are not thread safe. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SK_WUR __attribute__((warn_unused_result))
#define SK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SK_UNUSED(x) ((void)(x))

/* ---- errors -------------------------------------------------------------
 * A library function that fails fills an sk_err (when the caller passed one)
 * with a message naming what failed and where. `line`/`col` are 1-based and 0
 * when unknown; `offset` is a byte offset (capture files), -1 when unknown. */
struct sk_err {
	int code;          /* negative errno or module-specific code */
	int line, col;     /* position in a text input, 0 = unknown */
	long long offset;  /* byte offset in a binary input, -1 = unknown */
	char file[256];    /* input name, "" = none */
	char msg[768];
};

void sk_err_clear(struct sk_err *e);
/* Sets code and message; returns code so callers can `return sk_err_set(...)`.
 * A NULL `e` is allowed (the message is dropped). */
int sk_err_set(struct sk_err *e, int code, const char *fmt, ...) SK_PRINTF(3, 4);
/* Like sk_err_set, and also records a text position. */
int sk_err_set_at(struct sk_err *e, int code, int line, int col, const char *fmt, ...)
	SK_PRINTF(5, 6);
/* Renders "file:line:col: msg" (parts omitted when unknown) into out. */
void sk_err_format(const struct sk_err *e, char *out, size_t outlen);

/* ---- bounded growable buffer ---------------------------------------------
 * Always NUL-terminated after any successful append (data may hold NULs too).
 * `max` bounds the total size; appends beyond it fail with -E2BIG and leave
 * the buffer unchanged. */
struct sk_buf {
	char *data;
	size_t len, cap, max;
};

#define SK_BUF_DEFAULT_MAX ((size_t)1 << 30)

void sk_buf_init(struct sk_buf *b, size_t max); /* max 0 = SK_BUF_DEFAULT_MAX */
void sk_buf_done(struct sk_buf *b);             /* frees contents; NULL-safe */
static inline void sk_buf_reset(struct sk_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
int sk_buf_reserve(struct sk_buf *b, size_t extra) SK_WUR;
int sk_buf_append(struct sk_buf *b, const void *p, size_t n) SK_WUR;
int sk_buf_puts(struct sk_buf *b, const char *s) SK_WUR;
int sk_buf_putc(struct sk_buf *b, char c) SK_WUR;
int sk_buf_printf(struct sk_buf *b, const char *fmt, ...) SK_PRINTF(2, 3) SK_WUR;
int sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap) SK_WUR;
/* Returns the contents ("" for an empty buffer, never NULL). */
const char *sk_buf_cstr(const struct sk_buf *b);
/* Hands the contents to the caller (free() it) and empties the buffer. */
char *sk_buf_steal(struct sk_buf *b);

/* ---- time ------------------------------------------------------------------ */
/* The absolute time `ms` milliseconds from now on clock `clk`, for
 * pthread_cond_timedwait (CLOCK_MONOTONIC for condvars made with that
 * clock, CLOCK_REALTIME for default ones). */
struct timespec sk_deadline(clockid_t clk, uint64_t ms);

/* ---- hashing --------------------------------------------------------------- */
uint64_t sk_hash_bytes(const void *p, size_t n);
static inline uint64_t sk_hash_u64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* ---- integer-keyed map -----------------------------------------------------
 * Open addressing, u64 key -> void *value. Values are borrowed: the map never
 * frees them. `limit` bounds the number of entries (0 = unbounded by count);
 * a put beyond it fails with -ENOSPC so the owner can evict and count. */
struct sk_u64map {
	uint64_t *keys;
	void **vals;
	uint8_t *used; /* 0 empty, 1 used, 2 deleted */
	size_t cap, count, tombs, limit;
};

void sk_u64map_init(struct sk_u64map *m, size_t limit);
void sk_u64map_done(struct sk_u64map *m);
void *sk_u64map_get(const struct sk_u64map *m, uint64_t key);
int sk_u64map_put(struct sk_u64map *m, uint64_t key, void *val) SK_WUR; /* replaces */
void *sk_u64map_del(struct sk_u64map *m, uint64_t key); /* returns the old value */
/* Iteration: for (size_t i = 0; sk_u64map_next(m, &i, &k, &v);) ... Deleting the
 * current key during iteration is allowed. */
bool sk_u64map_next(const struct sk_u64map *m, size_t *iter, uint64_t *key, void **val);

/* ---- string-keyed map -------------------------------------------------------
 * Keys are byte strings (may contain NUL) copied into the map; values borrowed. */
struct sk_strmap {
	struct sk_strmap_ent *ents;
	size_t cap, count, tombs;
};

void sk_strmap_init(struct sk_strmap *m);
void sk_strmap_done(struct sk_strmap *m);
void *sk_strmap_getn(const struct sk_strmap *m, const char *key, size_t len);
static inline void *sk_strmap_get(const struct sk_strmap *m, const char *key);
bool sk_strmap_hasn(const struct sk_strmap *m, const char *key, size_t len);
int sk_strmap_putn(struct sk_strmap *m, const char *key, size_t len, void *val) SK_WUR;
int sk_strmap_put(struct sk_strmap *m, const char *key, void *val) SK_WUR;
void *sk_strmap_deln(struct sk_strmap *m, const char *key, size_t len);
bool sk_strmap_next(const struct sk_strmap *m, size_t *iter, const char **key, size_t *len,
		    void **val);

/* ---- arena -----------------------------------------------------------------
 * Bump allocator for objects that live and die together (a loaded ruleset, a
 * capture's metadata). Allocations are 16-byte aligned and never move. */
struct sk_arena {
	struct sk_arena_chunk *head;
	size_t chunk_size, total;
};

void sk_arena_init(struct sk_arena *a, size_t chunk_size); /* 0 = 64 KiB */
void sk_arena_done(struct sk_arena *a);                    /* frees everything */
void *sk_arena_alloc(struct sk_arena *a, size_t n);        /* zeroed; NULL on OOM */
char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t n); /* NUL-terminates */
char *sk_arena_strdup(struct sk_arena *a, const char *s);

/* ---- small string helpers -------------------------------------------------- */
/* Copies at most dstlen-1 bytes and always terminates; returns strlen(src). */
size_t sk_strlcpy(char *dst, const char *src, size_t dstlen);
/* Strict decimal parsers: whole string, no junk, range checked. 0 or -EINVAL/-ERANGE. */
int sk_parse_i64(const char *s, int64_t *out) SK_WUR;
int sk_parse_u64(const char *s, uint64_t *out) SK_WUR;
/* Reads a whole file into a NUL-terminated malloc'd buffer (bounded by max). */
int sk_read_file(const char *path, size_t max, char **out, size_t *len) SK_WUR;

static inline void *sk_strmap_get(const struct sk_strmap *m, const char *key)
{
	size_t n = 0;
	while (key[n]) n++;
	return sk_strmap_getn(m, key, n);
}

#endif
