/* channels.c — the output channels: stdout, file, syslog, program and http.
 * Every operation runs on the output thread (open also at setup); each
 * channel records its own failures in ch->st and never prints. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <zlib.h>
#ifdef SK_HAVE_CURL
#include <curl/curl.h>
#endif

#include "output_int.h"

extern char **environ;

#define CH_BUF_FLUSH 8192           /* buffered channels write out at this size */
#define CH_BUF_MAX ((size_t)64 << 20)

void ch_error(struct channel *ch, const char *fmt, ...)
{
	va_list ap;
	ch->st.errors++;
	va_start(ap, fmt);
	vsnprintf(ch->st.last_error, sizeof(ch->st.last_error), fmt, ap);
	va_end(ap);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A pending-output buffer shared by stdout/file/program. */
struct sink {
	int fd;
	bool buffered;
	struct sk_buf buf;
};

static int sink_flush(struct channel *ch, struct sink *s)
{
	int rc = 0;
	if (s->buf.len && s->fd >= 0) {
		rc = write_all(s->fd, s->buf.data, s->buf.len);
		if (rc < 0)
			ch_error(ch, "write: %s", strerror(-rc));
	}
	sk_buf_reset(&s->buf);
	return rc;
}

static int sink_line(struct channel *ch, struct sink *s, const char *line, size_t len)
{
	if (sk_buf_append(&s->buf, line, len) < 0 || sk_buf_putc(&s->buf, '\n') < 0) {
		ch_error(ch, "output buffer full");
		sk_buf_reset(&s->buf);
		return -E2BIG;
	}
	if (!s->buffered || s->buf.len >= CH_BUF_FLUSH)
		return sink_flush(ch, s);
	return 0;
}

/* ---- stdout --------------------------------------------------------------------- */

static int stdout_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		       int stdout_fd, struct sk_err *err)
{
	(void)cfg;
	(void)err;
	struct sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = stdout_fd > 0 ? stdout_fd : 1;
	s->buffered = buffered;
	sk_buf_init(&s->buf, CH_BUF_MAX);
	ch->priv = s;
	return 0;
}

static int stdout_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)a;
	return sink_line(ch, ch->priv, line, len);
}

static void stdout_flush(struct channel *ch)
{
	sink_flush(ch, ch->priv);
}

static void sink_close(struct channel *ch)
{
	struct sink *s = ch->priv;
	if (!s)
		return;
	sink_flush(ch, s);
	sk_buf_done(&s->buf);
	free(s);
	ch->priv = NULL;
}

static void noop(struct channel *ch)
{
	(void)ch;
}

const struct channel_ops sk_ch_stdout_ops = {
	stdout_open, stdout_emit, stdout_flush, noop, sink_close, NULL,
};

/* ---- file ------------------------------------------------------------------------- */

struct file_ch {
	struct sink s;               /* first: sink_close works on it */
	char *path;
	bool keep_alive;
};

static int file_reopen_fd(struct channel *ch, struct file_ch *f)
{
	if (f->s.fd >= 0)
		close(f->s.fd);
	f->s.fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (f->s.fd < 0) {
		ch_error(ch, "cannot open %s: %s", f->path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int file_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		     int stdout_fd, struct sk_err *err)
{
	(void)stdout_fd;
	struct file_ch *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(cfg->file_output.filename))) {
		free(f);
		return -ENOMEM;
	}
	f->s.fd = -1;
	f->s.buffered = buffered && cfg->file_output.keep_alive;
	f->keep_alive = cfg->file_output.keep_alive;
	sk_buf_init(&f->s.buf, CH_BUF_MAX);
	ch->priv = f;
	if (f->keep_alive && file_reopen_fd(ch, f) < 0)
		return sk_err_set(err, -EIO, "file_output: %s", ch->st.last_error);
	return 0;
}

static int file_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)a;
	struct file_ch *f = ch->priv;
	if (f->s.fd < 0 && file_reopen_fd(ch, f) < 0)
		return -EIO;
	int rc = sink_line(ch, &f->s, line, len);
	if (!f->keep_alive) {
		close(f->s.fd);
		f->s.fd = -1;
	}
	return rc;
}

static void file_flush(struct channel *ch)
{
	struct file_ch *f = ch->priv;
	sink_flush(ch, &f->s);
}

static void file_reopen(struct channel *ch)
{
	struct file_ch *f = ch->priv;
	sink_flush(ch, &f->s);
	if (f->keep_alive)
		file_reopen_fd(ch, f);
}

static void file_close(struct channel *ch)
{
	struct file_ch *f = ch->priv;
	if (!f)
		return;
	sink_flush(ch, &f->s);
	if (f->s.fd >= 0)
		close(f->s.fd);
	sk_buf_done(&f->s.buf);
	free(f->path);
	free(f);
	ch->priv = NULL;
}

/* Opens (creating) the file once, so a missing directory or a read-only
 * target is reported at start-up rather than on the first alert. */
static int file_check(struct channel *ch, char *why, size_t len)
{
	struct file_ch *f = ch->priv;
	if (f->s.fd >= 0)
		return 0;
	int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "cannot open %s: %s", f->path, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

const struct channel_ops sk_ch_file_ops = {
	file_open, file_emit, file_flush, file_reopen, file_close, file_check,
};

/* ---- syslog ------------------------------------------------------------------------ */

static int syslog_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		       int stdout_fd, struct sk_err *err)
{
	(void)ch; (void)cfg; (void)buffered; (void)stdout_fd; (void)err;
	return 0;
}

static int syslog_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)ch;
	int prio = a->priority >= 0 && a->priority < SK_PRIO_COUNT ? a->priority : LOG_DEBUG;
	syslog(prio, "%.*s", (int)(len > INT32_MAX ? INT32_MAX : len), line);
	return 0;
}

const struct channel_ops sk_ch_syslog_ops = {
	syslog_open, syslog_emit, noop, noop, noop, NULL,
};

/* ---- program ------------------------------------------------------------------------ */

struct prog_ch {
	struct sink s;
	char *cmd;
	bool keep_alive;
	pid_t pid;
};

static int prog_start(struct channel *ch, struct prog_ch *p)
{
	int fds[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	char *argv[] = { "sh", "-c", p->cmd, NULL };
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ch_error(ch, "pipe: %s", strerror(errno));
		return -errno;
	}
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	/* Nothing but stdin, stdout and stderr reaches the program. saker opens
	 * every descriptor close-on-exec, but libcurl's multi handles hold a
	 * wake-up socketpair no option makes so; closing from 3 in the child
	 * covers it and whatever a library opens next. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	/* the program layer ignores SIGPIPE (a closed stdout must not kill
	 * saker); the program gets the default action back, as from a shell */
	sigset_t pipe_sig;
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &pipe_sig);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		p->pid = 0;
		ch_error(ch, "cannot run program: %s", strerror(rc));
		return -rc;
	}
	p->s.fd = fds[1];
	return 0;
}

/* Closes the pipe and reaps the program (it ends on EOF). */
static void prog_stop(struct channel *ch, struct prog_ch *p)
{
	sink_flush(ch, &p->s);
	if (p->s.fd >= 0)
		close(p->s.fd);
	p->s.fd = -1;
	if (p->pid > 0) {
		int status;
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
	}
}

static int prog_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		     int stdout_fd, struct sk_err *err)
{
	(void)stdout_fd;
	struct prog_ch *p = calloc(1, sizeof(*p));
	if (!p || !(p->cmd = strdup(cfg->program_output.program))) {
		free(p);
		return -ENOMEM;
	}
	p->s.fd = -1;
	p->keep_alive = cfg->program_output.keep_alive;
	p->s.buffered = buffered && p->keep_alive;
	sk_buf_init(&p->s.buf, CH_BUF_MAX);
	ch->priv = p;
	if (p->keep_alive && prog_start(ch, p) < 0)
		return sk_err_set(err, -EIO, "program_output: %s", ch->st.last_error);
	return 0;
}

/* Consumes a SIGPIPE raised by a write to a dead program (blocked on the
 * output thread, so it is pending rather than fatal). */
static void eat_sigpipe(void)
{
	sigset_t s;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
}

static int prog_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)a;
	struct prog_ch *p = ch->priv;
	if (p->s.fd < 0 && prog_start(ch, p) < 0)
		return -EIO;
	uint64_t errs = ch->st.errors;
	int rc = sink_line(ch, &p->s, line, len);
	if (ch->st.errors != errs) {
		eat_sigpipe();
		prog_stop(ch, p); /* restarted on the next alert */
	} else if (!p->keep_alive) {
		prog_stop(ch, p);
	}
	return rc;
}

static void prog_flush(struct channel *ch)
{
	struct prog_ch *p = ch->priv;
	if (sink_flush(ch, &p->s) < 0) {
		eat_sigpipe();
		prog_stop(ch, p);
	}
}

static void prog_reopen(struct channel *ch)
{
	struct prog_ch *p = ch->priv;
	if (p->s.fd >= 0) {
		prog_stop(ch, p);
		eat_sigpipe();
		if (p->keep_alive)
			prog_start(ch, p);
	}
}

static void prog_close(struct channel *ch)
{
	struct prog_ch *p = ch->priv;
	if (!p)
		return;
	prog_stop(ch, p);
	eat_sigpipe();
	sk_buf_done(&p->s.buf);
	free(p->cmd);
	free(p);
	ch->priv = NULL;
}

const struct channel_ops sk_ch_program_ops = {
	prog_open, prog_emit, prog_flush, prog_reopen, prog_close, NULL,
};

/* ---- http ----------------------------------------------------------------------------- */

#ifdef SK_HAVE_CURL
struct http_ch {
	CURL *h;
	struct curl_slist *hdrs;
	bool compress;
	long timeout_ms;
	int64_t max_timeouts;
	struct sk_buf gz;
	char errbuf[CURL_ERROR_SIZE];
	char url[1024];
};

static size_t http_discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static int gzip(const char *p, size_t len, struct sk_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	sk_buf_reset(out);
	uLong bound = deflateBound(&z, (uLong)len) + 32;
	int rc = sk_buf_reserve(out, bound);
	if (rc == 0) {
		z.next_in = (Bytef *)(uintptr_t)p;
		z.avail_in = (uInt)len;
		z.next_out = (Bytef *)out->data;
		z.avail_out = (uInt)bound;
		rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
		out->len = z.total_out;
	}
	deflateEnd(&z);
	return rc;
}

static int http_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		     int stdout_fd, struct sk_err *err)
{
	(void)buffered;
	(void)stdout_fd;
	static const char *const ct_json = "Content-Type: application/json";
	static const char *const ct_text = "Content-Type: text/plain";
	struct http_ch *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	ch->priv = h;
	sk_buf_init(&h->gz, CH_BUF_MAX);
	h->h = curl_easy_init();
	h->hdrs = curl_slist_append(NULL, cfg->json_output ? ct_json : ct_text);
	if (h->hdrs && cfg->http_output.compress_uploads)
		h->hdrs = curl_slist_append(h->hdrs, "Content-Encoding: gzip");
	if (!h->h || !h->hdrs)
		return sk_err_set(err, -ENOMEM, "http_output: cannot initialise libcurl");
	h->compress = cfg->http_output.compress_uploads;
	sk_strlcpy(h->url, cfg->http_output.url, sizeof(h->url));
	h->timeout_ms = cfg->output_timeout_ms > 0 ? (long)cfg->output_timeout_ms : 2000;
	h->max_timeouts = cfg->http_output.max_consecutive_timeouts;
	CURL *c = h->h;
	curl_easy_setopt(c, CURLOPT_URL, cfg->http_output.url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, cfg->http_output.user_agent);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, cfg->http_output.keep_alive ? 0L : 1L);
	if (cfg->http_output.insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (*cfg->http_output.ca_cert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->http_output.ca_cert);
	else if (*cfg->http_output.ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->http_output.ca_bundle);
	if (*cfg->http_output.ca_path)
		curl_easy_setopt(c, CURLOPT_CAPATH, cfg->http_output.ca_path);
	if (cfg->http_output.mtls) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->http_output.client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->http_output.client_key);
	}
	return 0;
}

static int http_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)a;
	struct http_ch *h = ch->priv;
	const char *body = line;
	size_t blen = len;
	if (h->compress) {
		if (gzip(line, len, &h->gz) < 0) {
			ch_error(ch, "gzip failed");
			return -EIO;
		}
		body = h->gz.data;
		blen = h->gz.len;
	}
	curl_easy_setopt(h->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	for (int64_t attempt = 0;; attempt++) {
		h->errbuf[0] = 0;
		CURLcode res = curl_easy_perform(h->h);
		if (res == CURLE_OPERATION_TIMEDOUT) {
			ch->st.timeouts++;
			if (attempt + 1 < h->max_timeouts)
				continue;
		}
		if (res != CURLE_OK) { /* unreachable or timed out: retried later */
			ch_error(ch, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(res));
			return -EAGAIN;
		}
		long code = 0;
		curl_easy_getinfo(h->h, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 400) {
			ch_error(ch, "HTTP status %ld", code);
			/* a gateway in front of a receiver that is down: retried */
			return code == 502 || code == 503 || code == 504 ? -EAGAIN : -EIO;
		}
		return 0;
	}
}

/* Connects (TCP and TLS, no request sent) to see whether the receiver is
 * there at start-up. */
static int http_check(struct channel *ch, char *why, size_t len)
{
	struct http_ch *h = ch->priv;
	CURL *c = curl_easy_duphandle(h->h);
	if (!c)
		return 0;
	char eb[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, eb);
	CURLcode res = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (res == CURLE_OK)
		return 0;
	snprintf(why, len, "cannot reach %s: %s", h->url, eb[0] ? eb : curl_easy_strerror(res));
	return -EHOSTUNREACH;
}

static void http_close(struct channel *ch)
{
	struct http_ch *h = ch->priv;
	if (!h)
		return;
	if (h->h)
		curl_easy_cleanup(h->h);
	curl_slist_free_all(h->hdrs);
	sk_buf_done(&h->gz);
	free(h);
	ch->priv = NULL;
}
#else
static int http_open(struct channel *ch, const struct sk_config *cfg, bool buffered,
		     int stdout_fd, struct sk_err *err)
{
	(void)ch; (void)cfg; (void)buffered; (void)stdout_fd;
	return sk_err_set(err, -ENOTSUP, "http_output: saker was built without libcurl");
}

static int http_emit(struct channel *ch, const struct sk_alert *a, const char *line, size_t len)
{
	(void)a; (void)line; (void)len;
	ch_error(ch, "built without libcurl");
	return -ENOTSUP;
}

static void http_close(struct channel *ch)
{
	(void)ch;
}

#define http_check NULL
#endif

const struct channel_ops sk_ch_http_ops = {
	http_open, http_emit, noop, noop, http_close, http_check,
};
