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
#include <sys/stat.h>
#include <lzo/lzo1x.h>
#include "input.h"
#include "tree.h"

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
	int fd;
	uint64_t off, end;
	uint32_t flags, chk;	/* header checksum so far */
	int crc;
	struct vi_error *err;
};

static int lz_get(struct lz *z, void *buf, size_t n, const char *what)
{
	if (z->off > z->end || n > z->end - z->off || vi_pread_full(z->fd, buf, n, z->off))
		return vi_filter_corrupt(z->err, "lzop", z->off, what);
	z->chk = z->crc ? lzo_crc32(z->chk, buf, n) : lzo_adler32(z->chk, buf, n);
	z->off += n;
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
	uint8_t b[16], method, name_len;
	uint32_t v, want;
	unsigned version;

	z->off += 9;
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
		uint8_t all[32];
		size_t n = (size_t)(z->off - 9);
		if (vi_pread_full(z->fd, all, n, 9))
			return vi_filter_corrupt(z->err, "lzop", 9, "header");
		z->crc = 1;
		z->chk = lzo_crc32(0, all, n);
	}
	if (method < 1 || method > 3)
		return vi_fail(z->err, VI_EXIT_INPUT, (int64_t)z->off, "lzop: compression "
			       "method %u is not supported (LZO1X-1, -1(15), -999 are)", method);
	if (z->flags & F_H_FILTER)
		return vi_fail(z->err, VI_EXIT_INPUT, (int64_t)z->off,
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
	if (lz_u32(z, &v, "header checksum") < 0)
		return -1;
	if (v != want)
		return vi_filter_corrupt(z->err, "lzop", z->off - 4, "header checksum mismatch");
	if (z->flags & F_H_EXTRA_FIELD) {
		if (lz_u32(z, &v, "extra field") < 0)
			return -1;
		if (v > z->end - z->off || z->end - z->off - v < 4)
			return vi_filter_corrupt(z->err, "lzop", z->off, "extra field");
		z->off += v + 4;
	}
	return 0;
}

static int lzop_decode(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err)
{
	struct lz z = { .fd = fd, .off = off, .err = err };
	uint8_t *src = NULL, *dst = NULL;
	size_t cap = 0;
	struct stat st;
	int rc = 0;

	if (lzo_init() != LZO_E_OK)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "lzop: cannot start liblzo2");
	if (fstat(fd, &st) < 0 || st.st_size < 0)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "lzop: cannot stat input");
	z.end = (uint64_t)st.st_size;
	if (lz_header(&z) < 0)
		return -1;
	for (;;) {
		uint32_t dlen, slen, dsum[2] = { 0 }, csum[2] = { 0 };
		uint64_t at = z.off;
		lzo_uint got;
		if (lz_u32(&z, &dlen, "block header") < 0) {
			rc = -1;
			break;
		}
		if (dlen == 0)
			break;
		if (lz_u32(&z, &slen, "block header") < 0 ||
		    ((z.flags & F_ADLER32_D) && lz_u32(&z, &dsum[0], "block header") < 0) ||
		    ((z.flags & F_CRC32_D) && lz_u32(&z, &dsum[1], "block header") < 0) ||
		    (slen < dlen && (z.flags & F_ADLER32_C) &&
		     lz_u32(&z, &csum[0], "block header") < 0) ||
		    (slen < dlen && (z.flags & F_CRC32_C) &&
		     lz_u32(&z, &csum[1], "block header") < 0)) {
			rc = -1;
			break;
		}
		if (dlen > LZOP_MAX_BLOCK || slen > dlen || slen > z.end - z.off ||
		    (uint64_t)slen * 256 + 4096 < dlen) {	/* LZO1X expands < 256x */
			rc = vi_filter_corrupt(err, "lzop", at, slen > z.end - z.off ?
					       "ends inside a block" : "bad block lengths");
			break;
		}
		if (dlen > cap) {	/* the compressed bytes exist: worth the memory */
			free(src);
			free(dst);
			src = vi_xmalloc(dlen);
			dst = vi_xmalloc(dlen);
			cap = dlen;
		}
		if (lz_get(&z, src, slen, "block data") < 0) {
			rc = -1;
			break;
		}
		if (((z.flags & F_ADLER32_C) && slen < dlen && lzo_adler32(1, src, slen) != csum[0]) ||
		    ((z.flags & F_CRC32_C) && slen < dlen && lzo_crc32(0, src, slen) != csum[1])) {
			rc = vi_filter_corrupt(err, "lzop", at, "compressed block checksum mismatch");
			break;
		}
		if (slen == dlen) {
			memcpy(dst, src, dlen);
		} else {
			got = dlen;
			if (lzo1x_decompress_safe(src, slen, dst, &got, NULL) != LZO_E_OK ||
			    got != dlen) {
				rc = vi_filter_corrupt(err, "lzop", at, "bad LZO1X block");
				break;
			}
		}
		if (((z.flags & F_ADLER32_D) && lzo_adler32(1, dst, dlen) != dsum[0]) ||
		    ((z.flags & F_CRC32_D) && lzo_crc32(0, dst, dlen) != dsum[1])) {
			rc = vi_filter_corrupt(err, "lzop", at, "block checksum mismatch");
			break;
		}
		if (vi_sink_write(k, dst, dlen, z.off, err) < 0) {
			rc = -1;
			break;
		}
	}
	free(src);
	free(dst);
	return rc;
}

const struct vi_filter vi_filter_lzop = { "lzop", lzop_bid, lzop_decode };
