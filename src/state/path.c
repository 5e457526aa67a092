/* path.c — joining and normalizing paths the way libsinsp renders fd.name and
 * proc.cwd: relative paths are joined to a base ("/a/b/" + "../c" -> "/a/c"),
 * "." and ".." components and repeated separators are folded, a trailing
 * separator is dropped, and the result is bounded by SCAP_MAX_PATH_SIZE. */
#include <string.h>

#include "path.h"
#include "state.h"

/* Moves *tc back to just after the previous '/' (never before base+1). */
static void rewind_parent(const char *base, char **tc)
{
	if (*tc <= base + 1)
		return;
	(*tc)--;
	while (*tc >= base + 1 && *(*tc - 1) != '/')
		(*tc)--;
}

/* Appends `path` at `target` (inside [base, end)), normalizing as it goes. */
static void append_normalized(char *target, char *base, char *end, const char *path)
{
	char *tc = target;
	const char *pc = path;
	const bool empty_base = target == base;
	for (;;) {
		if (*pc == 0) {
			*tc = 0;
			if (tc > base + 1 && *(tc - 1) == '/')
				*(tc - 1) = 0;
			return;
		}
		if (*pc == '.' && (tc == base || *(tc - 1) == '/')) {
			if (pc[1] == '.' && pc[2] == '/') {
				rewind_parent(base, &tc);
				pc += 3;
			} else if (pc[1] == '.' && pc[2] == 0) {
				rewind_parent(base, &tc);
				pc += 2;
			} else if (pc[1] == '/') {
				pc += 2;
			} else if (pc[1] == 0) {
				pc++;
			} else {
				if (tc + 1 >= end) {
					*tc = 0;
					return;
				}
				*tc++ = *pc++;
			}
		} else if (*pc == '/') {
			if ((tc > base && *(tc - 1) == '/') || (tc == base && !empty_base)) {
				pc++;
			} else {
				if (tc + 1 >= end) {
					*tc = 0;
					return;
				}
				*tc++ = *pc++;
			}
		} else {
			if (tc + 1 >= end) {
				*tc = 0;
				return;
			}
			*tc++ = *pc++;
		}
	}
}

size_t sk_path_concat(char out[SK_PATH_MAX], const char *p1, size_t l1, const char *p2)
{
	size_t l2 = strlen(p2);
	if (l1 + l2 + 1 > SK_PATH_MAX) {
		sk_strlcpy(out, "/DIR_TOO_LONG/FILENAME_TOO_LONG", SK_PATH_MAX);
		return strlen(out);
	}
	if (l2 != 0 && p2[0] != '/') {
		memcpy(out, p1, l1);
		append_normalized(out + l1, out, out + SK_PATH_MAX, p2);
	} else {
		out[0] = 0;
		append_normalized(out, out, out + SK_PATH_MAX, p2);
	}
	return strlen(out);
}

size_t sk_state_path_join(char out[SK_STATE_PATH_MAX], const char *base, size_t baselen,
			  const char *path)
{
	_Static_assert(SK_STATE_PATH_MAX == SK_PATH_MAX, "one path bound");
	return sk_path_concat(out, base, baselen, path);
}
