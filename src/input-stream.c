/* input-stream.c - forward-only sources: a pipe or a file from an offset on,
 * and decompressors stacked on them.  A filter file (input-filter-*.c)
 * holds only its decoder's calls; the input buffer, its refill from the
 * source below and the compressed offsets for errors are here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "input.h"
#include "input-readahead.h"
#include "vi-tree.h"

ssize_t vi_src_read(struct vi_src *s, void *buf, size_t n, struct vi_error *err)
{
	ssize_t r;

	if (s->head_pos < s->head_len) {
		size_t k = s->head_len - s->head_pos < n ? s->head_len - s->head_pos : n;
		memcpy(buf, s->head + s->head_pos, k);
		s->head_pos += k;
		s->pos += k;
		return (ssize_t)k;
	}
	r = s->read(s, buf, n, err);
	if (r > 0)
		s->pos += (uint64_t)r;
	return r;
}

int vi_src_read_full(struct vi_src *s, void *buf, size_t n, const char *what,
		     struct vi_error *err)
{
	uint8_t *p = buf;
	uint64_t at = s->pos;

	while (n) {
		ssize_t r = vi_src_read(s, p, n, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)s->pos,
				       "truncated: %s (at byte %llu) runs past the end of the "
				       "input", what, (unsigned long long)at);
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

ssize_t vi_src_peek(struct vi_src *s, uint8_t *buf, size_t n, struct vi_error *err)
{
	if (n > VI_SRC_HEAD)
		n = VI_SRC_HEAD;
	if (s->head_pos > 0 && s->head_pos < s->head_len) {	/* keep what is left first */
		memmove(s->head, s->head + s->head_pos, s->head_len - s->head_pos);
		s->head_len -= s->head_pos;
		s->head_pos = 0;
	} else if (s->head_pos == s->head_len) {
		s->head_len = s->head_pos = 0;
	}
	while (s->head_len < n) {
		ssize_t r = s->read(s, s->head + s->head_len, n - s->head_len, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		s->head_len += (size_t)r;
	}
	n = s->head_len < n ? s->head_len : n;
	memcpy(buf, s->head, n);
	return (ssize_t)n;
}

int vi_src_skip_to(struct vi_src *s, uint64_t off, struct vi_error *err)
{
	uint8_t buf[4096];

	while (s->pos < off) {
		size_t k = off - s->pos < sizeof(buf) ? (size_t)(off - s->pos) : sizeof(buf);
		if (vi_src_read_full(s, buf, k, "the data before the stream", err) < 0)
			return -1;
	}
	return 0;
}

void vi_src_free(struct vi_src *s)
{
	while (s) {
		struct vi_src *below = s->below;
		s->free(s);
		s = below;
	}
}

struct vi_src *vi_src_bottom(struct vi_src *s)
{
	while (s && s->below)
		s = s->below;
	return s;
}

/* The input itself: read(2) on a pipe, pread(2) on a file. */
struct fd_src {
	struct vi_src s;
	int fd, seekable;
};

static ssize_t fd_read(struct vi_src *s, uint8_t *buf, size_t n, struct vi_error *err)
{
	struct fd_src *f = (struct fd_src *)s;
	uint64_t at = s->pos + (s->head_len - s->head_pos);	/* past what was peeked */

	for (;;) {
		ssize_t r = f->seekable ? pread(f->fd, buf, n, (off_t)at) : read(f->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			vi_fail(err, VI_EXIT_INPUT, (int64_t)at, "read error: %s", strerror(errno));
		return r;
	}
}

static void fd_free(struct vi_src *s)
{
	free(s);	/* the fd is the input's */
}

struct vi_src *vi_src_fd(int fd, uint64_t off, int seekable)
{
	struct fd_src *f = vi_xmalloc(sizeof(*f));

	memset(f, 0, sizeof(*f));
	f->s.name = "input";
	f->s.read = fd_read;
	f->s.free = fd_free;
	f->s.pos = off;
	f->fd = fd;
	f->seekable = seekable;
	return &f->s;
}

/* Read the file under a decompressor on a second thread (once the bytes
 * peeked to choose the filter are used)?  Only a regular file: a pipe's
 * read could block the thread for ever.  Not under a filter with threads of
 * its own (xz), nor with VMSTATE_INSPECT_READAHEAD=0. */
static int readahead_ok(const struct vi_src *b)
{
	const char *e = getenv("VMSTATE_INSPECT_READAHEAD");
	struct stat st;

	return b->read == fd_read && ((const struct fd_src *)b)->seekable &&
	       !(e && !strcmp(e, "0")) &&
	       fstat(((const struct fd_src *)b)->fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* A decompressor: the filter's read, over the shared input buffer. */
int vi_fsrc_refill(struct vi_fsrc *f)
{
	struct vi_src *b = f->s.below;
	ssize_t r;

	if (f->in_pos < f->in_len || f->eof)
		return 0;
	if (!f->ra_tried && b->head_pos == b->head_len) {
		f->ra_tried = 1;
		if (!f->f->own_threads && readahead_ok(b))
			f->ra = vi_ra_start(((struct fd_src *)b)->fd, b->pos);
	}
	if (f->ra) {	/* the thread's buffer, used in place */
		uint8_t *p;
		int e;
		r = vi_ra_take(f->ra, &p, &e);
		if (r < 0)
			return vi_fail(f->err, VI_EXIT_INPUT, (int64_t)b->pos, "read error: %s",
				       strerror(e));
		f->ibuf = p;
		b->pos += (uint64_t)r;
	} else {
		f->ibuf = f->own;
		r = vi_src_read(b, f->ibuf, VI_FSRC_BUF, f->err);
		if (r < 0)
			return -1;
	}
	f->eof = r == 0;
	f->in_pos = 0;
	f->in_len = (size_t)r;
	return 0;
}

uint64_t vi_fsrc_offset(const struct vi_fsrc *f)
{
	return f->s.below->pos - (f->in_len - f->in_pos);
}

int vi_fsrc_get(struct vi_fsrc *f, void *buf, size_t n, const char *what)
{
	uint8_t *p = buf;

	while (n) {
		size_t k;
		if (vi_fsrc_refill(f) < 0)
			return -1;
		if (f->in_pos == f->in_len)
			return vi_filter_corrupt(f->err, f->f->name, vi_fsrc_offset(f), what);
		k = f->in_len - f->in_pos < n ? f->in_len - f->in_pos : n;
		memcpy(p, f->ibuf + f->in_pos, k);
		f->in_pos += k;
		p += k;
		n -= k;
	}
	return 0;
}

int vi_filter_corrupt(struct vi_error *err, const char *filter, uint64_t off,
		      const char *why)
{
	vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "%s: corrupt or truncated compressed data "
		"at compressed byte %llu: %s", filter, (unsigned long long)off, why);
	return vi_error_class(err, VI_C_TRUNCATED);
}

static ssize_t fsrc_read(struct vi_src *s, uint8_t *buf, size_t n, struct vi_error *err)
{
	struct vi_fsrc *f = (struct vi_fsrc *)s;

	f->err = err;
	if (f->done)
		return 0;
	return f->f->read(f, buf, n);
}

static void fsrc_free(struct vi_src *s)
{
	struct vi_fsrc *f = (struct vi_fsrc *)s;

	if (f->dec)
		f->f->end(f);
	vi_ra_stop(f->ra);
	free(f->own);
	free(f);
}

struct vi_src *vi_src_filter(struct vi_src *below, const struct vi_filter *flt,
			     struct vi_error *err)
{
	struct vi_fsrc *f = vi_xmalloc(sizeof(*f));

	memset(f, 0, sizeof(*f));
	f->s.name = flt->name;
	f->s.read = fsrc_read;
	f->s.free = fsrc_free;
	f->s.below = below;
	f->f = flt;
	f->ibuf = f->own = vi_xmalloc(VI_FSRC_BUF);
	f->err = err;
	if (flt->init(f) < 0) {
		f->s.below = NULL;	/* the caller still owns it */
		fsrc_free(&f->s);
		return NULL;
	}
	return &f->s;
}

int vi_input_pread(struct vi_input *in, void *buf, size_t n, uint64_t off)
{
	struct vi_error err = { 0 };

	if (!in->src)
		return off > in->file_size || n > in->file_size - off ||
		       vi_pread_full(in->fd, buf, n, off) ? -1 : 0;
	if (off < in->src->pos || vi_src_skip_to(in->src, off, &err) < 0 ||
	    vi_src_read_full(in->src, buf, n, "container", &err) < 0)
		return -1;
	return 0;
}
