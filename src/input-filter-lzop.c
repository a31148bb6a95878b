/* input-filter-lzop.c - lzop files (what libvirt's "lzop" save format and the
 * lzop tool write), via liblzo2.  liblzo2 only decompresses blocks; lzop's
 * own container is parsed here (lzop 1.04 src/lzop.c, read_header and
 * x_decompress): a header with its own checksum, then blocks of
 * (uncompressed length, compressed length, optional Adler-32/CRC-32 of
 * either side, data), ended by a zero length.  A block whose lengths are
 * equal is stored.  Methods LZO1X-1, -1(15) and -999; filters refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lzo/lzo1x.h>
#include "input.h"
#include "vi-tree.h"

#define LZOP_MAX_BLOCK (64u << 20)	/* lzop's MAX_BLOCK_SIZE */
#define F_ADLER32_D 0x1u
#define F_ADLER32_C 0x2u
#define F_H_EXTRA_FIELD 0x40u
#define F_CRC32_D 0x100u
#define F_CRC32_C 0x200u
#define F_H_FILTER 0x800u
#define F_H_CRC32 0x1000u

static const uint8_t lzop_magic[9] = { 0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n' };

static int lzop_bid(const uint8_t *p, size_t n)
{
	return n >= 9 && !memcmp(p, lzop_magic, 9);
}

struct lz {
	struct vi_fsrc *f;
	uint32_t flags, chk;	/* header checksum so far */
	int crc;
	uint8_t hdr[64];	/* the header's bytes (its checksum may switch to CRC-32) */
	size_t nhdr;
	uint8_t *src, *dst;	/* one block */
	size_t cap, out_pos, out_len;
	int header_done;
};

static int lz_get(struct lz *z, void *buf, size_t n, const char *what)
{
	if (vi_fsrc_get(z->f, buf, n, what) < 0)
		return -1;
	if (!z->header_done) {
		z->chk = z->crc ? lzo_crc32(z->chk, buf, n) : lzo_adler32(z->chk, buf, n);
		if (z->nhdr + n <= sizeof(z->hdr))
			memcpy(z->hdr + z->nhdr, buf, n);
		z->nhdr += n;
	}
	return 0;
}

static int lz_u32(struct lz *z, uint32_t *v, const char *what)
{
	uint8_t b[4];
	if (lz_get(z, b, 4, what) < 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static int lz_header(struct lz *z)
{
	uint8_t b[16], method, name_len, magic[9];
	uint32_t v, want;
	unsigned version;
	struct vi_error *err = z->f->err;

	if (vi_fsrc_get(z->f, magic, 9, "header") < 0)
		return -1;
	z->chk = 1;	/* Adler-32 start; the flags may switch to CRC-32 below */
	if (lz_get(z, b, 4, "header") < 0)
		return -1;
	version = (unsigned)b[0] << 8 | b[1];
	if (version >= 0x0940 && lz_get(z, b + 4, 2, "header") < 0)
		return -1;
	if (lz_get(z, &method, 1, "header") < 0 ||
	    (version >= 0x0940 && lz_get(z, b + 6, 1, "header") < 0) ||
	    lz_u32(z, &z->flags, "header") < 0)
		return -1;
	if (z->flags & F_H_CRC32) {	/* recompute what was read so far as CRC-32 */
		z->crc = 1;
		z->chk = lzo_crc32(0, z->hdr, z->nhdr);
	}
	if (method < 1 || method > 3)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "lzop: compression "
			       "method %u is not supported (LZO1X-1, -1(15), -999 are)", method);
	if (z->flags & F_H_FILTER)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
			       "lzop: files written with a filter are not supported");
	if (lz_u32(z, &v, "header") < 0 || lz_u32(z, &v, "header") < 0 ||
	    (version >= 0x0940 && lz_u32(z, &v, "header") < 0) ||
	    lz_get(z, &name_len, 1, "header") < 0) {
		return -1;
	}
	{
		uint8_t name[255];
		if (lz_get(z, name, name_len, "header") < 0)
			return -1;
	}
	want = z->chk;
	z->header_done = 1;
	if (lz_u32(z, &v, "header checksum") < 0)
		return -1;
	if (v != want)
		return vi_filter_corrupt(err, "lzop", vi_fsrc_offset(z->f) - 4,
					 "header checksum mismatch");
	if (z->flags & F_H_EXTRA_FIELD) {
		uint8_t skip[256];
		if (lz_u32(z, &v, "extra field") < 0)
			return -1;
		for (uint64_t left = (uint64_t)v + 4; left;) {	/* the field and its checksum */
			size_t k = left < sizeof(skip) ? (size_t)left : sizeof(skip);
			if (lz_get(z, skip, k, "extra field") < 0)
				return -1;
			left -= k;
		}
	}
	return 0;
}

static int lzop_init(struct vi_fsrc *f)
{
	struct lz *z;

	if (lzo_init() != LZO_E_OK)
		return vi_fail(f->err, VI_EXIT_INPUT, VI_NO_OFFSET, "lzop: cannot start liblzo2");
	z = vi_xmalloc(sizeof(*z));
	memset(z, 0, sizeof(*z));
	z->f = f;
	f->dec = z;
	return 0;
}

/* The next block into z->dst: 0, or 1 at the end marker, -1 on error. */
static int lzop_block(struct lz *z)
{
	struct vi_fsrc *f = z->f;
	uint32_t dlen, slen, dsum[2] = { 0 }, csum[2] = { 0 };
	uint64_t at = vi_fsrc_offset(f);
	lzo_uint got;

	if (lz_u32(z, &dlen, "block header") < 0)
		return -1;
	if (dlen == 0)
		return 1;
	if (lz_u32(z, &slen, "block header") < 0 ||
	    ((z->flags & F_ADLER32_D) && lz_u32(z, &dsum[0], "block header") < 0) ||
	    ((z->flags & F_CRC32_D) && lz_u32(z, &dsum[1], "block header") < 0) ||
	    (slen < dlen && (z->flags & F_ADLER32_C) && lz_u32(z, &csum[0], "block header") < 0) ||
	    (slen < dlen && (z->flags & F_CRC32_C) && lz_u32(z, &csum[1], "block header") < 0))
		return -1;
	if (dlen > LZOP_MAX_BLOCK || slen > dlen ||
	    (uint64_t)slen * 256 + 4096 < dlen)	/* LZO1X expands < 256x */
		return vi_filter_corrupt(f->err, "lzop", at, "bad block lengths");
	if (dlen > z->cap) {	/* at most LZOP_MAX_BLOCK, twice */
		free(z->src);
		free(z->dst);
		z->src = vi_xmalloc(dlen);
		z->dst = vi_xmalloc(dlen);
		z->cap = dlen;
	}
	if (lz_get(z, z->src, slen, "ends inside a block") < 0)
		return -1;
	if (((z->flags & F_ADLER32_C) && slen < dlen && lzo_adler32(1, z->src, slen) != csum[0]) ||
	    ((z->flags & F_CRC32_C) && slen < dlen && lzo_crc32(0, z->src, slen) != csum[1]))
		return vi_filter_corrupt(f->err, "lzop", at, "compressed block checksum mismatch");
	if (slen == dlen) {
		memcpy(z->dst, z->src, dlen);
	} else {
		got = dlen;
		if (lzo1x_decompress_safe(z->src, slen, z->dst, &got, NULL) != LZO_E_OK ||
		    got != dlen)
			return vi_filter_corrupt(f->err, "lzop", at, "bad LZO1X block");
	}
	if (((z->flags & F_ADLER32_D) && lzo_adler32(1, z->dst, dlen) != dsum[0]) ||
	    ((z->flags & F_CRC32_D) && lzo_crc32(0, z->dst, dlen) != dsum[1]))
		return vi_filter_corrupt(f->err, "lzop", at, "block checksum mismatch");
	z->out_pos = 0;
	z->out_len = dlen;
	return 0;
}

static ssize_t lzop_read(struct vi_fsrc *f, uint8_t *buf, size_t n)
{
	struct lz *z = f->dec;
	size_t k;

	if (!z->header_done && lz_header(z) < 0)
		return -1;
	while (z->out_pos == z->out_len) {
		int rc = lzop_block(z);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			f->done = 1;
			return 0;
		}
	}
	k = z->out_len - z->out_pos < n ? z->out_len - z->out_pos : n;
	memcpy(buf, z->dst + z->out_pos, k);
	z->out_pos += k;
	return (ssize_t)k;
}

static void lzop_end(struct vi_fsrc *f)
{
	struct lz *z = f->dec;

	free(z->src);
	free(z->dst);
	free(z);
	f->dec = NULL;
}

const struct vi_filter vi_filter_lzop = { "lzop", lzop_bid, lzop_init, lzop_read, lzop_end, 0 };
