/* filter_int.h — private declarations shared by the files of src/filter/. */
#ifndef SK_FILTER_INT_H
#define SK_FILTER_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "filter/filter.h"

/* Decodes a quoted token at s[*pos] (the opening quote); see parse.c.
 * `hex`: accept \xHH escapes (sysdig's filters; Falco's rules reject them). */
int sk_filter_lex_quoted(const char *s, size_t len, size_t *pos, char **out, size_t *errpos,
			 const char **errmsg, bool hex);
/* Name of a transformer code ("tolower"). */
const char *sk_filter_tr_name(uint8_t tr);
/* True when s[0..n) looks like a transformer call: "NAME(" ... ")" with NAME
 * one of val and the transformers (for the misuse warning). */
bool sk_filter_is_tr_call(const char *s, size_t n);
/* Name of a modifier ("oneof"), "" for none. */
const char *sk_filter_mod_name(uint8_t mod);

/* Adds every code named `name` to s (generic syscall codes when unknown). */
void sk_filter_evtset_add_name(struct sk_evtset *s, const char *name);

/* ---- operators (ops.c) ---- */
#include <sys/types.h>

/* fnmatch(pat, str, 0) on byte ranges; `ic` folds ASCII case (iglob). */
bool sk_glob_match(const char *pat, size_t pn, const char *str, size_t sn, bool ic);
/* ASCII case-insensitive memmem. */
const char *sk_memcasemem(const char *h, size_t hn, const char *lower_needle, size_t nn);

/* pmatch: path-prefix tree over '/'-separated components. */
struct sk_ptrie;
struct sk_ptrie *sk_ptrie_new(void);
void sk_ptrie_free(struct sk_ptrie *t);
int sk_ptrie_add(struct sk_ptrie *t, const char *path, size_t n) SK_WUR;
bool sk_ptrie_match(const struct sk_ptrie *t, const char *s, size_t n);

/* base64 (padding optional) into out (>= n bytes); -1 on invalid input. */
ssize_t sk_b64_decode(const char *in, size_t n, char *out);
/* hex pairs into out (>= n/2 bytes); returns the length or -1. */
int sk_hex_decode(const char *in, size_t n, char *out);

enum sk_tclass {
	SK_TC_OTHER = 0,
	SK_TC_SIGNED,
	SK_TC_UNSIGNED,
	SK_TC_DOUBLE,
	SK_TC_BOOL,
	SK_TC_STR,
	SK_TC_BYTES,
	SK_TC_IP,
	SK_TC_NET,
};
enum sk_tclass sk_type_class(uint8_t ptype);
int64_t sk_trunc_s64(uint8_t ptype, int64_t v);
uint64_t sk_trunc_u64(uint8_t ptype, uint64_t v);
/* Converts literal text to a value of the field type (not for strings). */
int sk_literal_parse(uint8_t ptype, const char *text, struct sk_value *out) SK_WUR;
/* True when addr (same family) lies inside the CIDR net. */
bool sk_net_contains(const struct sk_value *net, const struct sk_value *addr);

#endif
