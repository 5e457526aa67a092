/* filter_int.h — private declarations shared by the files of src/filter/. */
#ifndef SK_FILTER_INT_H
#define SK_FILTER_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "filter/filter.h"

/* Decodes a quoted token at s[*pos] (the opening quote); see parse.c. */
int sk_filter_lex_quoted(const char *s, size_t len, size_t *pos, char **out, size_t *errpos,
			 const char **errmsg);
/* Name of a transformer code ("tolower"). */
const char *sk_filter_tr_name(uint8_t tr);

#endif
