/* input-reader.h - bounds-checked big-endian reader over a seekable stream range,
 * or over a stream read once (input-reader-stream.c: a pipe, a decompressor).
 *
 * Offsets are stream offsets (0 = first byte of the migration stream).  Every
 * read names what it expected, so a short read becomes one precise error.
 * A limit (end offset) can be narrowed for nested payloads.
 *
 * The bytes are served from "the window": by default a VI_RD_BUF buffer
 * filled by pread, which reads through skips shorter than 64 KiB (4 KiB
 * RAM pages: one pread per 256 KiB instead of one per page) and leaves
 * longer ones unread; or, with VMSTATE_INSPECT_MMAP=1 and a regular file,
 * a VI_RD_WIN mapping of the file (2 MiB aligned) moved along as the walk
 * goes, so resident memory does not grow with the stream.  The mapping is
 * kept only when the kernel maps the page cache in 2 MiB pieces: mapped
 * 4 KiB page by page, touching each page header measured four times
 * slower than pread copying everything (a virtual machine with shadow
 * page tables).  Even with 2 MiB pieces it was no faster than pread on the
 * machine measured (bench/RESULTS.md), hence the default.  The inline
 * readers below serve from the window; input-reader.c moves it.
 */
#ifndef VI_READER_H
#define VI_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "vi-error.h"

#define VI_RD_BUF (1u << 18)
#define VI_RD_WIN (4u << 20)	/* bytes of a regular file mapped at once */

struct vi_rstream;
struct vi_input;

struct vi_reader {
	int fd;
	uint64_t base;       /* fd offset of stream byte 0 */
	uint64_t size;       /* stream bytes (read once: UINT64_MAX until the end) */
	uint64_t limit;      /* reads may not pass this stream offset */
	uint64_t pos;        /* stream offset of the next byte */
	const uint8_t *win;  /* the window: buf, or into the mapping */
	uint64_t buf_off;    /* stream offset of win[0] */
	size_t buf_len;      /* bytes at win */
	size_t fill_hint;    /* pread: bytes to fetch on the next miss */
	int map;             /* 1: mapped windows, 0: pread buffer, 2: not decided */
	int map_ok;          /* a regular file holding the whole range */
	void *map_addr;      /* the current mapping (page aligned), or NULL */
	size_t map_len;
	uint64_t bytes_read; /* read by pread, or handed out of a mapping */
	const char *name;    /* the input, for the SIGBUS message; may be NULL */
	struct vi_error *err;
	struct vi_rstream *st; /* a stream read once, or NULL (pread on fd) */
	uint8_t buf[VI_RD_BUF];
};

void rd_init(struct vi_reader *r, int fd, uint64_t base, uint64_t size,
	     struct vi_error *err);
/* Map always (1) or never (0) for this reader, instead of the default
 * (decided on the first big window by measuring which costs less: mapping
 * or copying; VMSTATE_INSPECT_MMAP=0 or 1 sets it); 1 only on a regular
 * file. */
void rd_set_mmap(struct vi_reader *r, int on);
/* Drop the mapping; the reader can be used again (it maps anew). */
void rd_release(struct vi_reader *r);

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

/* Does the window hold n bytes at pos, all before the limit? */
static inline int rd_in_window(const struct vi_reader *r, size_t n)
{
	return r->pos >= r->buf_off && n <= r->buf_len &&
	       r->pos - r->buf_off <= r->buf_len - n && n <= rd_left(r);
}

int rd_bytes_slow(struct vi_reader *r, void *dst, size_t n, const char *what);
static inline int rd_bytes(struct vi_reader *r, void *dst, size_t n, const char *what)
{
	if (rd_in_window(r, n)) {
		memcpy(dst, r->win + (r->pos - r->buf_off), n);
		r->pos += n;
		return 0;
	}
	return rd_bytes_slow(r, dst, n, what);
}

/* n (at most VI_RD_BUF) bytes at pos, consumed: a pointer into the window,
 * valid until the next call on r; NULL after an error (set on r->err). */
const uint8_t *rd_ptr_slow(struct vi_reader *r, size_t n, const char *what);
static inline const uint8_t *rd_ptr(struct vi_reader *r, size_t n, const char *what)
{
	if (rd_in_window(r, n)) {
		const uint8_t *p = r->win + (r->pos - r->buf_off);
		r->pos += n;
		r->bytes_read += n;
		return p;
	}
	return rd_ptr_slow(r, n, what);
}

int rd_u8(struct vi_reader *r, uint8_t *v, const char *what);
int rd_be16(struct vi_reader *r, uint16_t *v, const char *what);
int rd_be32(struct vi_reader *r, uint32_t *v, const char *what);
int rd_be64_slow(struct vi_reader *r, uint64_t *v, const char *what);
static inline int rd_be64(struct vi_reader *r, uint64_t *v, const char *what)
{
	if (rd_in_window(r, 8)) {
		const uint8_t *b = r->win + (r->pos - r->buf_off);
		*v = (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
		     (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
		     (uint64_t)b[6] << 8 | b[7];
		r->pos += 8;
		return 0;
	}
	return rd_be64_slow(r, v, what);
}
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

/* A stream read once (input-reader-stream.c; no-ops otherwise).  The n bytes at
 * pos (or at off) are read at most once: not kept in memory (RAM page
 * contents).  rd_finish reads to the end, so that size is known and the
 * rest is in memory (within the cap on what is kept). */
void rd_transient(struct vi_reader *r, uint64_t n);
void rd_transient_at(struct vi_reader *r, uint64_t off, uint64_t n);
int rd_finish(struct vi_reader *r);
static inline int rd_streaming(const struct vi_reader *r) { return r->st != NULL; }
/* For input-reader.c and input.c only. */
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
