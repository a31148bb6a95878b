/* reader.h - bounds-checked big-endian reader over a seekable stream range.
 *
 * Offsets are stream offsets (0 = first byte of the migration stream).  Every
 * read names what it expected, so a short read becomes one precise error.
 * A limit (end offset) can be narrowed for nested payloads.
 */
#ifndef VI_READER_H
#define VI_READER_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define VI_RD_BUF (1u << 16)

struct vi_reader {
	int fd;
	uint64_t base;       /* fd offset of stream byte 0 */
	uint64_t size;       /* stream bytes */
	uint64_t limit;      /* reads may not pass this stream offset */
	uint64_t pos;        /* stream offset of the next byte */
	uint64_t buf_off;    /* stream offset of buf[0] */
	size_t buf_len;
	size_t fill_hint;    /* bytes to fetch on the next miss */
	uint64_t bytes_read; /* from fd, for the benchmark */
	struct vi_error *err;
	uint8_t buf[VI_RD_BUF];
};

void rd_init(struct vi_reader *r, int fd, uint64_t base, uint64_t size,
	     struct vi_error *err);

static inline uint64_t rd_tell(const struct vi_reader *r) { return r->pos; }
static inline uint64_t rd_left(const struct vi_reader *r)
{
	return r->pos < r->limit ? r->limit - r->pos : 0;
}

int rd_bytes(struct vi_reader *r, void *dst, size_t n, const char *what);
int rd_u8(struct vi_reader *r, uint8_t *v, const char *what);
int rd_be16(struct vi_reader *r, uint16_t *v, const char *what);
int rd_be32(struct vi_reader *r, uint32_t *v, const char *what);
int rd_be64(struct vi_reader *r, uint64_t *v, const char *what);
/* counted string: u8 length + bytes; out gets a NUL-terminated copy. */
int rd_cstr(struct vi_reader *r, char out[256], const char *what);

/* Skip n bytes without reading them (RAM pages). */
int rd_skip(struct vi_reader *r, uint64_t n, const char *what);
/* Move to an absolute stream offset within [0, limit]. */
int rd_seek(struct vi_reader *r, uint64_t off);
/* Copy up to n bytes starting at pos+ahead without consuming; returns count. */
size_t rd_peek(struct vi_reader *r, uint64_t ahead, void *dst, size_t n);
/* The same at an absolute stream offset. */
size_t rd_peek_at(struct vi_reader *r, uint64_t off, void *dst, size_t n);

/* Narrow the limit; returns the old one for rd_pop_limit. */
uint64_t rd_push_limit(struct vi_reader *r, uint64_t end);
void rd_pop_limit(struct vi_reader *r, uint64_t old);

#endif
