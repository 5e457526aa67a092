/* scap_in.c — the reader's input: a decompressed byte stream (gzip or plain,
 * from a file or from memory) with a window that holds one whole block. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "scap_int.h"

#define IN_INITIAL_CAP (256u * 1024u)

static int in_alloc(struct sk_in *in, size_t cap)
{
	in->buf = malloc(cap);
	if (!in->buf)
		return -ENOMEM;
	in->cap = cap;
	return 0;
}

/* Opens path (O_CLOEXEC) for gzread, which also reads uncompressed files. */
int sk_in_open_file(struct sk_in *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	in->gz = gzdopen(fd, "rb");
	if (!in->gz) {
		close(fd);
		return -ENOMEM;
	}
	gzbuffer(in->gz, 128 * 1024);
	return in_alloc(in, IN_INITIAL_CAP);
}

int sk_in_open_mem(struct sk_in *in, const void *data, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->mem = data;
	in->mem_len = len;
	if (len >= 2 && in->mem[0] == 0x1f && in->mem[1] == 0x8b) {
		in->mem_gzip = true;
		if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
			return -ENOMEM;
		in->z_init = true;
		in->zs.next_in = (Bytef *)(uintptr_t)in->mem;
		in->zs.avail_in = len > UINT_MAX ? UINT_MAX : (uInt)len;
		in->mem_pos = in->zs.avail_in;
		return in_alloc(in, IN_INITIAL_CAP);
	}
	/* A small plain input gets a small window (fuzzing opens many). */
	return in_alloc(in, len < 4096 ? 4096 : len < IN_INITIAL_CAP ? len : IN_INITIAL_CAP);
}

void sk_in_close(struct sk_in *in)
{
	if (in->gz)
		gzclose(in->gz);
	if (in->z_init)
		inflateEnd(&in->zs);
	free(in->buf);
	memset(in, 0, sizeof(*in));
}

/* Inflates from memory into dst; returns bytes, 0 at end, or -EIO. */
static long mem_inflate(struct sk_in *in, uint8_t *dst, size_t room, struct sk_err *err)
{
	if (in->z_done)
		return 0;
	in->zs.next_out = dst;
	in->zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
	for (;;) {
		if (in->zs.avail_in == 0 && in->mem_pos < in->mem_len) {
			size_t left = in->mem_len - in->mem_pos;
			in->zs.next_in = (Bytef *)(uintptr_t)(in->mem + in->mem_pos);
			in->zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			in->mem_pos += in->zs.avail_in;
		}
		uInt before = in->zs.avail_out;
		int rc = inflate(&in->zs, Z_NO_FLUSH);
		long got = (long)(before - in->zs.avail_out);
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (gzread reads concatenated
			 * members); anything else after a member is ignored, as zlib does. */
			if (in->zs.avail_in >= 2 && in->zs.next_in[0] == 0x1f && in->zs.next_in[1] == 0x8b) {
				inflateReset(&in->zs);
			} else {
				in->z_done = true;
				return got;
			}
		} else if (rc == Z_BUF_ERROR || (rc == Z_OK && got == 0)) {
			if (in->zs.avail_in == 0 && in->mem_pos >= in->mem_len) {
				if (got)
					return got;
				return sk_err_set(err, -EIO, "gzip stream truncated (unexpected end of input)");
			}
		} else if (rc != Z_OK) {
			return sk_err_set(err, -EIO, "gzip stream corrupted: %s",
					  in->zs.msg ? in->zs.msg : "inflate error");
		}
		if (got)
			return got;
	}
}

/* Reads more bytes into the free space at the end of the window. */
static long in_fill(struct sk_in *in, struct sk_err *err)
{
	uint8_t *dst = in->buf + in->end;
	size_t room = in->cap - in->end;
	if (room > INT_MAX / 2)
		room = INT_MAX / 2;
	if (in->gz) {
		int n = gzread(in->gz, dst, (unsigned)room);
		if (n > 0)
			return n;
		int zerr = Z_OK;
		const char *msg = gzerror(in->gz, &zerr);
		if (zerr == Z_BUF_ERROR)
			return sk_err_set(err, -EIO, "gzip stream truncated (unexpected end of file)");
		if (zerr != Z_OK && zerr != Z_STREAM_END)
			return sk_err_set(err, zerr == Z_ERRNO ? -errno : -EIO, "read error: %s",
					  zerr == Z_ERRNO ? strerror(errno) : msg);
		return 0;
	}
	if (in->mem_gzip)
		return mem_inflate(in, dst, room, err);
	size_t left = in->mem_len - in->mem_pos;
	if (left > room)
		left = room;
	memcpy(dst, in->mem + in->mem_pos, left);
	in->mem_pos += left;
	return (long)left;
}

/* The window doubles only when full of data, so memory stays within twice
 * what the input really holds. */
int sk_in_need(struct sk_in *in, size_t n, struct sk_err *err)
{
	while (in->end - in->start < n && !in->eof) {
		if (in->end == in->cap) {
			if (in->start > 0) {
				memmove(in->buf, in->buf + in->start, in->end - in->start);
				in->end -= in->start;
				in->start = 0;
			} else {
				size_t ncap = in->cap * 2;
				if (ncap < n && ncap > n / 2)
					ncap = n;
				uint8_t *nb = realloc(in->buf, ncap);
				if (!nb)
					return sk_err_set(err, -ENOMEM, "out of memory for a %zu-byte block", n);
				in->buf = nb;
				in->cap = ncap;
			}
			continue;
		}
		long got = in_fill(in, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			in->eof = true;
		in->end += (size_t)got;
	}
	size_t avail = in->end - in->start;
	return avail > (size_t)INT_MAX ? INT_MAX : (int)avail;
}
