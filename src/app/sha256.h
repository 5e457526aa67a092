/* sha256.h — private to src/app: SHA-256 hex digests (sha256.c). */
#ifndef SK_APP_SHA256_H
#define SK_APP_SHA256_H

#include <stddef.h>

#include "util/util.h"

void sk_sha256(const void *data, size_t len, char hex[65]);
/* 0 or a negative errno (unreadable file). */
int sk_sha256_file(const char *path, char hex[65]) SK_WUR;

#endif
