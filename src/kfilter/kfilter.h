/* kfilter.h — rule-derived kernel filters: from the conditions of the enabled
 * syscall rules, the predicate (driver/bpf/kfilter.h) the probe evaluates on
 * each open-family exit before it builds the event, so that opens no rule
 * can match, and whose fd no rule can read later, are never sent.
 *
 * Sound by construction: each condition is read as an OR of ANDs of atoms;
 * an atom the kernel cannot evaluate exactly counts as "true", a negated one
 * too unless its negation is exact, and a conjunction may always drop a
 * conjunct. The filter is derived only when no enabled rule can read the fd
 * table through an event of another type in a way a missing regular file
 * could change (see sk_kfilter_derive). Layer: rules ← kfilter ← app; uses
 * the driver's predicate types. */
#ifndef SK_KFILTER_H
#define SK_KFILTER_H

#include "driver/driver.h"
#include "util/util.h"

struct sk_rules;

/* Derives the kernel filter of the enabled syscall rules of `r`.
 * On success returns 0 and sets *out to a sealed set (owned by the caller,
 * sk_kf_set_free) or to NULL when nothing can be filtered. `summary` (may be
 * NULL) receives one line saying what was derived per event type, or why
 * nothing was; `detail` (may be NULL) the predicates, one line per term.
 * Returns -ENOMEM (err set) on allocation failure. */
int sk_kfilter_derive(const struct sk_rules *r, struct sk_kf_set **out, struct sk_buf *summary,
		      struct sk_buf *detail, struct sk_err *err) SK_WUR;

#endif
