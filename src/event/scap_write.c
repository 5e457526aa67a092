/* scap_write.c — the .scap writer: current layout only (SHB 1.2, MI, IL_V2,
 * UL_V2, PL_V9 with the full tail, FDL_V2, EV_V2/EVF_V2 and their _LARGE
 * variants), gzip-compressed or plain. Each block is built in one reusable
 * buffer and written with a single gzwrite. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "scap_int.h"

#define MAX_PATH_STR 1024u
#define MAX_ARGS_STR 4096u
#define MAX_CRED_STR 256u

struct sk_scap_writer {
	gzFile gz;
	struct sk_buf blk;           /* block being built */
	int err;                     /* first error, sticky */
};

/* ---- block building (errors are sticky in w->err) ---- */

static void b_put(struct sk_scap_writer *w, const void *p, size_t n)
{
	if (!w->err && n)
		w->err = sk_buf_append(&w->blk, p, n);
}
static void b_u8(struct sk_scap_writer *w, uint8_t v) { b_put(w, &v, 1); }
static void b_u16(struct sk_scap_writer *w, uint16_t v) { b_put(w, &v, 2); }
static void b_u32(struct sk_scap_writer *w, uint32_t v) { b_put(w, &v, 4); }
static void b_u64(struct sk_scap_writer *w, uint64_t v) { b_put(w, &v, 8); }

/* A u16-length string, bounded like the reader bounds it. */
static void b_str(struct sk_scap_writer *w, struct sk_bytes s, uint32_t max)
{
	if (s.len > max || s.len > 0xffff) {
		if (!w->err)
			w->err = -E2BIG;
		return;
	}
	b_u16(w, (uint16_t)s.len);
	b_put(w, s.p, s.len);
}

/* Patches a u32 at offset off of the block buffer. */
static void b_patch32(struct sk_scap_writer *w, size_t off, uint32_t v)
{
	if (!w->err)
		sk_wr32((uint8_t *)w->blk.data + off, v);
}

static void block_begin(struct sk_scap_writer *w, uint32_t type)
{
	sk_buf_reset(&w->blk);
	b_u32(w, type);
	b_u32(w, 0); /* length, patched by block_end */
}

/* Pads, adds the trailer, and writes the block. */
static int block_end(struct sk_scap_writer *w)
{
	static const uint8_t zero[4];
	size_t body = w->blk.len;
	size_t total = (body + 4 + 3) & ~(size_t)3;
	if (total > UINT32_MAX && !w->err)
		w->err = -E2BIG;
	b_put(w, zero, total - 4 - body);
	b_u32(w, (uint32_t)total);
	b_patch32(w, 4, (uint32_t)total);
	if (w->err)
		return w->err;
	size_t done = 0;
	while (done < w->blk.len) {
		size_t chunk = w->blk.len - done;
		if (chunk > (1u << 30))
			chunk = 1u << 30;
		int n = gzwrite(w->gz, w->blk.data + done, (unsigned)chunk);
		if (n <= 0) {
			int zerr;
			gzerror(w->gz, &zerr);
			w->err = zerr == Z_ERRNO && errno ? -errno : -EIO;
			return w->err;
		}
		done += (size_t)n;
	}
	return 0;
}

struct sk_scap_writer *sk_scap_writer_open(const char *path, bool compress, struct sk_err *err)
{
	sk_err_clear(err);
	struct sk_scap_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		sk_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	sk_buf_init(&w->blk, 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sk_err_set(err, -errno, "cannot create: %s", strerror(errno));
		goto fail;
	}
	w->gz = gzdopen(fd, compress ? "wb" : "wbT");
	if (!w->gz) {
		close(fd);
		sk_err_set(err, -ENOMEM, "cannot start the gzip stream");
		goto fail;
	}
	/* SHB 1.2, section length unknown */
	block_begin(w, SK_BLOCK_SHB);
	b_u32(w, 0x1A2B3C4Du);
	b_u16(w, 1);
	b_u16(w, 2);
	b_u64(w, UINT64_MAX);
	if (block_end(w)) {
		sk_err_set(err, w->err, "cannot write the section header: %s", strerror(-w->err));
		goto fail;
	}
	return w;
fail:
	if (err)
		sk_strlcpy(err->file, path, sizeof(err->file));
	if (w->gz)
		gzclose(w->gz);
	sk_buf_done(&w->blk);
	free(w);
	return NULL;
}

int sk_scap_write_machine(struct sk_scap_writer *w, const struct sk_scap_machine *mi)
{
	if (w->err)
		return w->err;
	block_begin(w, SK_BLOCK_MI);
	b_u32(w, mi->num_cpus);
	b_u64(w, mi->memory_bytes);
	b_u64(w, mi->max_pid);
	char host[128] = {0};
	size_t hl = strnlen(mi->hostname, sizeof(mi->hostname));
	memcpy(host, mi->hostname, hl < 128 ? hl : 128);
	b_put(w, host, 128);
	b_u64(w, mi->boot_ts);
	b_u64(w, mi->flags);
	b_u64(w, 0);
	b_u64(w, 0);
	return block_end(w);
}

int sk_scap_write_ifaces(struct sk_scap_writer *w, const struct sk_scap_iface *v, size_t n)
{
	if (w->err)
		return w->err;
	block_begin(w, SK_BLOCK_IL_V2);
	for (size_t i = 0; i < n; i++) {
		const struct sk_scap_iface *f = &v[i];
		size_t alen;
		switch (f->type) {
		case 1: case 3: alen = 4; break;
		case 2: case 4: alen = 16; break;
		default: return w->err = -EINVAL;
		}
		if (f->name.len >= MAX_PATH_STR)
			return w->err = -E2BIG;
		size_t at = w->blk.len;
		b_u32(w, 0); /* entry length, excluding itself */
		b_u16(w, f->type);
		b_u16(w, (uint16_t)f->name.len);
		b_put(w, f->addr, alen);
		b_put(w, f->netmask, alen);
		b_put(w, f->bcast, alen);
		if (f->type <= 2)
			b_u64(w, f->linkspeed);
		b_put(w, f->name.p, f->name.len);
		b_patch32(w, at, (uint32_t)(w->blk.len - at - 4));
	}
	return block_end(w);
}

int sk_scap_write_users(struct sk_scap_writer *w, const struct sk_scap_user *u, size_t nu,
			const struct sk_scap_group *g, size_t ng)
{
	if (w->err)
		return w->err;
	block_begin(w, SK_BLOCK_UL_V2);
	for (size_t i = 0; i < nu; i++) {
		size_t at = w->blk.len;
		b_u32(w, 0); /* entry length, including itself */
		b_u8(w, 0);
		b_u32(w, u[i].uid);
		b_u32(w, u[i].gid);
		b_str(w, u[i].name, MAX_CRED_STR - 1);
		b_str(w, u[i].homedir, MAX_CRED_STR - 1);
		b_str(w, u[i].shell, MAX_CRED_STR - 1);
		b_patch32(w, at, (uint32_t)(w->blk.len - at));
	}
	for (size_t i = 0; i < ng; i++) {
		size_t at = w->blk.len;
		b_u32(w, 0);
		b_u8(w, 1);
		b_u32(w, g[i].gid);
		b_str(w, g[i].name, MAX_CRED_STR - 1);
		b_patch32(w, at, (uint32_t)(w->blk.len - at));
	}
	return block_end(w);
}

int sk_scap_write_threads(struct sk_scap_writer *w, const struct sk_scap_thread *v, size_t n)
{
	if (w->err)
		return w->err;
	block_begin(w, SK_BLOCK_PL_V9);
	for (size_t i = 0; i < n; i++) {
		const struct sk_scap_thread *t = &v[i];
		size_t at = w->blk.len;
		b_u32(w, 0); /* entry length, including itself */
		b_u64(w, t->tid);
		b_u64(w, t->pid);
		b_u64(w, t->ptid);
		b_u64(w, (uint64_t)t->sid);
		b_u64(w, (uint64_t)t->vpgid);
		b_str(w, t->comm, MAX_PATH_STR);
		b_str(w, t->exe, MAX_PATH_STR);
		b_str(w, t->exepath, MAX_PATH_STR);
		b_str(w, t->args, MAX_ARGS_STR);
		b_str(w, t->cwd, MAX_PATH_STR);
		b_u64(w, t->fdlimit);
		b_u32(w, t->flags);
		b_u32(w, t->uid);
		b_u32(w, t->gid);
		b_u32(w, t->vmsize_kb);
		b_u32(w, t->vmrss_kb);
		b_u32(w, t->vmswap_kb);
		b_u64(w, t->pfmajor);
		b_u64(w, t->pfminor);
		b_str(w, t->env, MAX_ARGS_STR);
		b_u64(w, (uint64_t)t->vtid);
		b_u64(w, (uint64_t)t->vpid);
		b_str(w, t->cgroups, MAX_ARGS_STR);
		b_str(w, t->root, MAX_PATH_STR);
		b_u64(w, t->pidns_init_start_ts);
		b_u32(w, t->tty);
		b_u32(w, t->loginuid);
		b_u8(w, t->exe_writable);
		b_u64(w, t->cap_inheritable);
		b_u64(w, t->cap_permitted);
		b_u64(w, t->cap_effective);
		b_u8(w, t->exe_upper_layer);
		b_u64(w, t->exe_ino);
		b_u64(w, t->exe_ino_ctime);
		b_u64(w, t->exe_ino_mtime);
		b_u8(w, t->exe_from_memfd);
		b_u8(w, t->exe_lower_layer);
		b_u64(w, (uint64_t)t->pgid);
		b_patch32(w, at, (uint32_t)(w->blk.len - at));
	}
	return block_end(w);
}

int sk_scap_write_fds(struct sk_scap_writer *w, uint64_t tid, const struct sk_scap_fd *v,
		      size_t n)
{
	if (w->err)
		return w->err;
	block_begin(w, SK_BLOCK_FDL_V2);
	b_u64(w, tid);
	for (size_t i = 0; i < n; i++) {
		const struct sk_scap_fd *f = &v[i];
		size_t at = w->blk.len;
		b_u32(w, 0); /* entry length, including itself */
		b_u64(w, (uint64_t)f->fd);
		b_u64(w, f->ino);
		b_u8(w, f->type);
		switch (f->type) {
		case SK_FD_UNKNOWN:
			break;
		case SK_FD_IPV4_SOCK:
			b_put(w, f->sip, 4);
			b_put(w, f->dip, 4);
			b_u16(w, f->sport);
			b_u16(w, f->dport);
			b_u8(w, f->l4proto);
			break;
		case SK_FD_IPV6_SOCK:
			b_put(w, f->sip, 16);
			b_put(w, f->dip, 16);
			b_u16(w, f->sport);
			b_u16(w, f->dport);
			b_u8(w, f->l4proto);
			break;
		case SK_FD_IPV4_SERVSOCK:
			b_put(w, f->sip, 4);
			b_u16(w, f->sport);
			b_u8(w, f->l4proto);
			break;
		case SK_FD_IPV6_SERVSOCK:
			b_put(w, f->sip, 16);
			b_u16(w, f->sport);
			b_u8(w, f->l4proto);
			break;
		case SK_FD_UNIX_SOCK:
			b_u64(w, f->unix_src);
			b_u64(w, f->unix_dst);
			b_str(w, f->name, MAX_PATH_STR - 1);
			break;
		case SK_FD_FILE_V2:
			b_u32(w, f->open_flags);
			b_str(w, f->name, MAX_PATH_STR - 1);
			b_u32(w, f->dev);
			break;
		default:
			b_str(w, f->name, MAX_PATH_STR - 1);
			break;
		}
		b_patch32(w, at, (uint32_t)(w->blk.len - at));
	}
	return block_end(w);
}

int sk_scap_write_event(struct sk_scap_writer *w, const struct sk_event *ev)
{
	if (w->err)
		return w->err;
	bool flags = ev->dump_flags != 0;
	size_t body = 2 + (flags ? 4 : 0) + (size_t)ev->len;
	size_t total = (8 + body + 4 + 3) & ~(size_t)3;
	bool large = total - 8 > SK_SCAP_EVBLOCK_MAX;
	uint32_t type = flags ? (large ? SK_BLOCK_EVF_V2_LARGE : SK_BLOCK_EVF_V2)
			      : (large ? SK_BLOCK_EV_V2_LARGE : SK_BLOCK_EV_V2);
	block_begin(w, type);
	b_u16(w, ev->cpuid);
	if (flags)
		b_u32(w, ev->dump_flags & ~4u); /* SCAP_DF_LARGE is never stored */
	b_put(w, ev->rec, ev->len);
	return block_end(w);
}

int sk_scap_writer_close(struct sk_scap_writer *w)
{
	if (!w)
		return 0;
	int rc = w->err;
	int zrc = gzclose(w->gz);
	if (!rc && zrc != Z_OK)
		rc = zrc == Z_ERRNO ? -EIO : -EIO;
	sk_buf_done(&w->blk);
	free(w);
	return rc;
}
