/* input-filter-bzip2.c - bzip2 compressed input (concatenated streams too, as
 * pbzip2 writes), via libbz2. */
#include <bzlib.h>
#include <stdlib.h>
#include <string.h>
#include "input.h"
#include "vi-tree.h"

static int bz_bid(const uint8_t *p, size_t n)
{
	return n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' &&
	       p[3] <= '9' && !memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6);
}

static int bz_start(struct vi_fsrc *f, bz_stream *z)
{
	memset(z, 0, sizeof(*z));
	if (BZ2_bzDecompressInit(z, 0, 0) != BZ_OK)
		return vi_fail(f->err, VI_EXIT_INPUT, VI_NO_OFFSET, "bzip2: cannot start decoder");
	return 0;
}

static int bz_init(struct vi_fsrc *f)
{
	bz_stream *z = vi_xmalloc(sizeof(*z));

	if (bz_start(f, z) < 0) {
		free(z);
		return -1;
	}
	f->dec = z;
	return 0;
}

static ssize_t bz_read(struct vi_fsrc *f, uint8_t *buf, size_t n)
{
	bz_stream *z = f->dec;
	int ret;

	for (;;) {
		if (vi_fsrc_refill(f) < 0)
			return -1;
		z->next_in = (char *)f->ibuf + f->in_pos;
		z->avail_in = (unsigned)(f->in_len - f->in_pos);
		z->next_out = (char *)buf;
		z->avail_out = (unsigned)n;
		ret = BZ2_bzDecompress(z);
		f->in_pos = f->in_len - z->avail_in;
		if (ret == BZ_STREAM_END) {
			if (vi_fsrc_refill(f) < 0)
				return -1;
			if (f->in_pos == f->in_len) {
				f->done = 1;
			} else if (f->ibuf[f->in_pos] != 'B') {
				return vi_filter_corrupt(f->err, "bzip2", vi_fsrc_offset(f),
							 "data after the last stream");
			} else {	/* the next stream of a concatenation */
				BZ2_bzDecompressEnd(z);
				if (bz_start(f, z) < 0)
					return -1;
			}
		} else if (ret == BZ_OK && f->eof && f->in_pos == f->in_len &&
			   z->avail_out == n) {
			return vi_filter_corrupt(f->err, "bzip2", vi_fsrc_offset(f),
						 "ends inside a stream");
		} else if (ret != BZ_OK) {
			return vi_filter_corrupt(f->err, "bzip2", vi_fsrc_offset(f),
						 ret == BZ_DATA_ERROR ? "bad data or block CRC"
						 : ret == BZ_DATA_ERROR_MAGIC ? "not a bzip2 stream"
						 : "libbz2 error");
		}
		if (z->avail_out < n)
			return (ssize_t)(n - z->avail_out);
		if (f->done)
			return 0;
	}
}

static void bz_end(struct vi_fsrc *f)
{
	BZ2_bzDecompressEnd(f->dec);
	free(f->dec);
	f->dec = NULL;
}

const struct vi_filter vi_filter_bzip2 = { "bzip2", bz_bid, bz_init, bz_read, bz_end, 0 };
