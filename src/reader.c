/* reader.c - buffered pread-based reader; never reads what it skips. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "reader.h"

/* After a skip only a little is fetched, so page contents stay unread. */
#define SMALL_FILL 16

void rd_init(struct vi_reader *r, int fd, uint64_t base, uint64_t size,
	     struct vi_error *err)
{
	r->fd = fd;
	r->base = base;
	r->size = size;
	r->limit = size;
	r->pos = 0;
	r->buf_off = 0;
	r->buf_len = 0;
	r->fill_hint = VI_RD_BUF;
	r->bytes_read = 0;
	r->err = err;
	r->st = NULL;
}

static int truncated(struct vi_reader *r, size_t n, const char *what)
{
	uint64_t have = rd_left(r);

	if (r->limit < r->size)
		return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			       "%s (%zu bytes) runs past the end of its enclosing record "
			       "(%llu bytes left)", what, n, (unsigned long long)have);
	vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
		"truncated: expected %s (%zu bytes), only %llu left in the stream",
		what, n, (unsigned long long)have);
	return vi_error_class(r->err, VI_C_TRUNCATED);
}

/* Make buf hold stream bytes [pos, pos+want) as far as the file has them. */
static int fill(struct vi_reader *r, size_t want)
{
	size_t n = r->fill_hint > want ? r->fill_hint : want;
	ssize_t got;

	if (r->st)
		return rs_fill(r, want);
	if (n > VI_RD_BUF)
		n = VI_RD_BUF;
	if (n > r->size - r->pos)
		n = (size_t)(r->size - r->pos);
	r->buf_off = r->pos;
	r->buf_len = 0;
	while (r->buf_len < n) {
		got = pread(r->fd, r->buf + r->buf_len, n - r->buf_len,
			    (off_t)(r->base + r->pos + r->buf_len));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
				       "read error: %s", strerror(errno));
		if (got == 0)
			break;
		r->buf_len += (size_t)got;
		r->bytes_read += (uint64_t)got;
	}
	r->fill_hint = VI_RD_BUF;
	return 0;
}

int rd_bytes(struct vi_reader *r, void *dst, size_t n, const char *what)
{
	uint8_t *d = dst;

	if (r->st && (r->pos < r->buf_off || r->pos + n > r->buf_off + r->buf_len) &&
	    rs_need(r, r->pos, r->pos + n) < 0)	/* the end is known if it is near */
		return -1;
	if (n > rd_left(r))
		return truncated(r, n, what);
	while (n) {
		size_t have, k;
		if (r->pos < r->buf_off || r->pos >= r->buf_off + r->buf_len) {
			if (fill(r, n) < 0)
				return -1;
			if (r->buf_len == 0)
				return truncated(r, n, what);
		}
		have = (size_t)(r->buf_off + r->buf_len - r->pos);
		k = have < n ? have : n;
		memcpy(d, r->buf + (r->pos - r->buf_off), k);
		d += k;
		n -= k;
		r->pos += k;
	}
	return 0;
}

int rd_u8(struct vi_reader *r, uint8_t *v, const char *what)
{
	return rd_bytes(r, v, 1, what);
}

int rd_be16(struct vi_reader *r, uint16_t *v, const char *what)
{
	uint8_t b[2];
	if (rd_bytes(r, b, 2, what) < 0)
		return -1;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

int rd_be32(struct vi_reader *r, uint32_t *v, const char *what)
{
	uint8_t b[4];
	if (rd_bytes(r, b, 4, what) < 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int rd_be64(struct vi_reader *r, uint64_t *v, const char *what)
{
	uint8_t b[8];
	uint64_t x = 0;
	if (rd_bytes(r, b, 8, what) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	*v = x;
	return 0;
}

int rd_cstr(struct vi_reader *r, char out[256], const char *what)
{
	uint8_t len;

	if (rd_u8(r, &len, what) < 0)
		return -1;
	if (rd_bytes(r, out, len, what) < 0)
		return -1;
	out[len] = '\0';
	return 0;
}

int rd_skip(struct vi_reader *r, uint64_t n, const char *what)
{
	if (r->st && rs_need(r, r->pos + n, r->pos + n) < 0)
		return -1;
	if (n > rd_left(r))
		return truncated(r, n > SIZE_MAX ? SIZE_MAX : (size_t)n, what);
	r->pos += n;
	if (r->pos >= r->buf_off + r->buf_len)
		r->fill_hint = SMALL_FILL;
	return 0;
}

int rd_seek(struct vi_reader *r, uint64_t off)
{
	if (r->st && off > r->pos && rs_need(r, off, off) < 0)	/* as a skip */
		return -1;
	if (off > rd_end(r))
		return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			       "offset %llu lies beyond the end of the stream (%llu)",
			       (unsigned long long)off, (unsigned long long)rd_end(r));
	r->pos = off;
	return 0;
}

size_t rd_peek_at(struct vi_reader *r, uint64_t off, void *dst, size_t n)
{
	uint64_t save = r->pos;
	size_t k;

	if (r->st)
		return rs_peek_at(r, off, dst, n);
	if (off >= r->limit)
		return 0;
	k = r->limit - off < n ? (size_t)(r->limit - off) : n;
	r->pos = off;
	if (rd_bytes(r, dst, k, "peek") < 0)
		k = 0;
	r->pos = save;
	return k;
}

size_t rd_peek(struct vi_reader *r, uint64_t ahead, void *dst, size_t n)
{
	if (ahead > UINT64_MAX - r->pos)
		return 0;
	return rd_peek_at(r, r->pos + ahead, dst, n);
}

uint64_t rd_push_limit(struct vi_reader *r, uint64_t end)
{
	uint64_t old = r->limit;
	if (end < r->limit)
		r->limit = end;
	return old;
}

void rd_pop_limit(struct vi_reader *r, uint64_t old)
{
	r->limit = old;
}
