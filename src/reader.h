/* reader.h - bounds-checked big-endian reader over a seekable stream range,
 * or over a stream read once (reader-stream.c: a pipe, a decompressor).
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

struct vi_rstream;
struct vi_input;

struct vi_reader {
	int fd;
	uint64_t base;       /* fd offset of stream byte 0 */
	uint64_t size;       /* stream bytes (read once: UINT64_MAX until the end) */
	uint64_t limit;      /* reads may not pass this stream offset */
	uint64_t pos;        /* stream offset of the next byte */
	uint64_t buf_off;    /* stream offset of buf[0] */
	size_t buf_len;
	size_t fill_hint;    /* bytes to fetch on the next miss */
	uint64_t bytes_read; /* from fd, for the benchmark */
	struct vi_error *err;
	struct vi_rstream *st; /* a stream read once, or NULL (pread on fd) */
	uint8_t buf[VI_RD_BUF];
};

void rd_init(struct vi_reader *r, int fd, uint64_t base, uint64_t size,
	     struct vi_error *err);

/* The reader for an opened input, whichever backend it needs. */
void rd_init_input(struct vi_reader *r, const struct vi_input *in, struct vi_error *err);

static inline uint64_t rd_tell(const struct vi_reader *r) { return r->pos; }
/* The end reads may not pass: the limit, or the stream's end once known. */
static inline uint64_t rd_end(const struct vi_reader *r)
{
	return r->limit < r->size ? r->limit : r->size;
}
static inline uint64_t rd_left(const struct vi_reader *r)
{
	return r->pos < rd_end(r) ? rd_end(r) - r->pos : 0;
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

/* A stream read once (reader-stream.c; no-ops otherwise).  The n bytes at
 * pos (or at off) are read at most once: not kept in memory (RAM page
 * contents).  rd_finish reads to the end, so that size is known and the
 * rest is in memory (within the cap on what is kept). */
void rd_transient(struct vi_reader *r, uint64_t n);
void rd_transient_at(struct vi_reader *r, uint64_t off, uint64_t n);
int rd_finish(struct vi_reader *r);
static inline int rd_streaming(const struct vi_reader *r) { return r->st != NULL; }
/* For reader.c and input.c only. */
int rs_fill(struct vi_reader *r, size_t want);
int rs_need(struct vi_reader *r, uint64_t commit_to, uint64_t end);
size_t rs_peek_at(struct vi_reader *r, uint64_t off, void *dst, size_t n);
struct vi_src;
struct vi_rstream *rs_new(struct vi_src *src, const char *name);
void rs_ref(struct vi_rstream *rs);
void rs_unref(struct vi_rstream *rs);
void rs_progress_end(struct vi_rstream *rs);
/* Stream bytes and input bytes read so far: 1 once the end was read. */
int rs_at_end(const struct vi_rstream *rs, uint64_t *size, uint64_t *input);
/* After a walk of a stream read once: its size (and a pipe's) as far as
 * read, and the progress line erased before anything else is written.
 * -1 when the input itself could not be read to its end (corrupt or
 * truncated compressed data, a read error): as if it could not be opened. */
int vi_input_walked(struct vi_input *in);
/* The cap on what is kept: VI_MAX_KEPT or VMSTATE_INSPECT_MAX_KEPT MiB. */
uint64_t vi_max_kept(void);
/* Bytes kept in memory so far (the benchmark's figure). */
uint64_t rs_kept(const struct vi_rstream *rs);

/* Narrow the limit; returns the old one for rd_pop_limit. */
uint64_t rd_push_limit(struct vi_reader *r, uint64_t end);
void rd_pop_limit(struct vi_reader *r, uint64_t old);

#endif
