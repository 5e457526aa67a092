/* spool.c — the http channel's optional file spool (http_output.spool_file):
 * a header holding the read position ("SKSPOOL1 <20 digits>\n"), then an
 * append-only run of length-prefixed records ("<len>\n<bytes>\n") read from
 * the front. It holds the oldest alerts waiting for the receiver, so they
 * also survive a restart: records found at open are delivered first; the
 * read position is written after each delivery (a crash between a delivery
 * and that write resends one alert). A partial record at the end (a crash
 * mid-write) is cut off at open. Used by one thread (the http channel's);
 * bounded by max_bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_int.h"

#define REC_HEAD_MAX 24              /* "<len>\n" */
#define REC_MAX ((size_t)64 << 20)
#define HDR_LEN 30                   /* "SKSPOOL1 " + 20 digits + "\n" */

struct spool {
	int fd;
	uint64_t rd, wr;             /* read and write offsets */
	uint64_t count;              /* records between rd and wr */
	uint64_t max_bytes;
	size_t peeked;               /* record size at rd once peeked (0: not peeked) */
};

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int write_header(struct spool *s)
{
	char h[HDR_LEN + 1];
	snprintf(h, sizeof(h), "SKSPOOL1 %020llu\n", (unsigned long long)s->rd);
	return pwrite_all(s->fd, h, HDR_LEN, 0);
}

/* The read position from the header; HDR_LEN for a new or foreign file
 * (which is then started over). */
static uint64_t read_header(struct spool *s, uint64_t size)
{
	char h[HDR_LEN + 1];
	if (size < HDR_LEN || pread_all(s->fd, h, HDR_LEN, 0) < 0 || memcmp(h, "SKSPOOL1 ", 9) ||
	    h[HDR_LEN - 1] != '\n')
		return 0;
	h[HDR_LEN - 1] = 0;
	char *e;
	unsigned long long rd = strtoull(h + 9, &e, 10);
	return *e || rd < HDR_LEN || rd > size ? 0 : rd;
}

/* The record at `off`: its data length and total size. -ENODATA when there
 * is no whole record there. */
static int rec_at(struct spool *s, uint64_t off, uint64_t end, size_t *dlen, size_t *total)
{
	char head[REC_HEAD_MAX + 1];
	size_t hl = end - off < REC_HEAD_MAX ? (size_t)(end - off) : REC_HEAD_MAX;
	if (!hl || pread_all(s->fd, head, hl, off) < 0)
		return -ENODATA;
	head[hl] = 0;
	char *nl = memchr(head, '\n', hl);
	if (!nl || nl == head)
		return -ENODATA;
	char *e;
	unsigned long long n = strtoull(head, &e, 10);
	if (e != nl || n > REC_MAX)
		return -ENODATA;
	size_t t = (size_t)(nl - head) + 1 + (size_t)n + 1;
	if (off + t > end)
		return -ENODATA;
	*dlen = (size_t)n;
	*total = t;
	return 0;
}

struct spool *spool_open(const char *path, uint64_t max_bytes, struct sk_err *err)
{
	struct spool *s = calloc(1, sizeof(*s));
	if (!s) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	s->max_bytes = max_bytes;
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st) < 0) {
		sk_err_set(err, -errno, "http_output.spool_file %s: %s", path, strerror(errno));
		spool_close(s);
		return NULL;
	}
	uint64_t end = (uint64_t)st.st_size;
	uint64_t off = read_header(s, end);
	if (!off) { /* new (or not a spool): start it over */
		end = 0;
		off = HDR_LEN;
	}
	s->rd = off;
	size_t dl, t;
	while (off < end && rec_at(s, off, end, &dl, &t) == 0) {
		off += t;
		s->count++;
	}
	if (!s->count)
		s->rd = off = HDR_LEN;
	if ((off != end && ftruncate(s->fd, (off_t)off) < 0) || write_header(s) < 0) {
		sk_err_set(err, -errno, "http_output.spool_file %s: %s", path, strerror(errno));
		spool_close(s);
		return NULL;
	}
	s->wr = off;
	return s;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int spool_append(struct spool *s, const char *line, size_t len)
{
	char head[REC_HEAD_MAX];
	int hl = snprintf(head, sizeof(head), "%zu\n", len);
	uint64_t t = (uint64_t)hl + len + 1;
	if (len > REC_MAX || (s->max_bytes && s->wr - s->rd + t > s->max_bytes))
		return -ENOSPC;
	uint64_t off = s->wr;
	int rc = pwrite_all(s->fd, head, (size_t)hl, off);
	if (!rc)
		rc = pwrite_all(s->fd, line, len, off + (uint64_t)hl);
	if (!rc)
		rc = pwrite_all(s->fd, "\n", 1, off + (uint64_t)hl + len);
	if (rc < 0) {
		if (ftruncate(s->fd, (off_t)s->wr) < 0)
			return -errno;
		return rc;
	}
	s->wr = off + t;
	s->count++;
	return 0;
}

int spool_peek(struct spool *s, struct sk_buf *out)
{
	if (!s->count)
		return 0;
	size_t dl, t;
	if (rec_at(s, s->rd, s->wr, &dl, &t) < 0)
		return -EIO;
	sk_buf_reset(out);
	int rc = sk_buf_reserve(out, dl + 1);
	if (rc < 0)
		return rc;
	if (pread_all(s->fd, out->data, dl, s->rd + (t - dl - 1)) < 0)
		return -EIO;
	out->len = dl;
	out->data[dl] = 0;
	s->peeked = t;
	return 1;
}

int spool_pop(struct spool *s)
{
	if (!s->count || !s->peeked)
		return -EINVAL;
	s->rd += s->peeked;
	s->peeked = 0;
	s->count--;
	if (!s->count) { /* empty: start the file over */
		s->rd = s->wr = HDR_LEN;
		if (ftruncate(s->fd, HDR_LEN) < 0)
			return -errno;
	}
	return write_header(s);
}

uint64_t spool_count(const struct spool *s)
{
	return s ? s->count : 0;
}

uint64_t spool_bytes(const struct spool *s)
{
	return s ? s->wr - s->rd : 0;
}
