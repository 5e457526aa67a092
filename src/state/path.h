/* path.h — private: libsinsp-compatible path joining (see path.c). */
#ifndef SK_STATE_PATH_H
#define SK_STATE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

#define SK_PATH_MAX 1024 /* SCAP_MAX_PATH_SIZE */

/* Joins p2 to the base p1 (p1 used only when p2 is relative; p1 normally ends
 * with '/'), normalizing the result into out. Returns its length. */
size_t sk_path_concat(char out[SK_PATH_MAX], const char *p1, size_t l1, const char *p2);

#endif
