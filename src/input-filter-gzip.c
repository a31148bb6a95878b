/* input-filter-gzip.c - gzip compressed input (concatenated members too), via zlib. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "input.h"
#include "vi-tree.h"

static int gz_bid(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

static int gz_init(struct vi_fsrc *f)
{
	z_stream *z = vi_xmalloc(sizeof(*z));

	memset(z, 0, sizeof(*z));
	if (inflateInit2(z, 16 + MAX_WBITS) != Z_OK) {
		free(z);
		return vi_fail(f->err, VI_EXIT_INPUT, VI_NO_OFFSET, "gzip: cannot start decoder");
	}
	f->dec = z;
	return 0;
}

static ssize_t gz_read(struct vi_fsrc *f, uint8_t *buf, size_t n)
{
	z_stream *z = f->dec;
	int ret;

	for (;;) {
		if (vi_fsrc_refill(f) < 0)
			return -1;
		z->next_in = f->ibuf + f->in_pos;
		z->avail_in = (uInt)(f->in_len - f->in_pos);
		z->next_out = buf;
		z->avail_out = (uInt)n;
		ret = inflate(z, Z_NO_FLUSH);
		f->in_pos = f->in_len - z->avail_in;
		if (ret == Z_STREAM_END) {
			/* another member may follow (gzip a b > c; pigz) */
			if (vi_fsrc_refill(f) < 0)
				return -1;
			if (f->in_pos == f->in_len)
				f->done = 1;
			else if (f->ibuf[f->in_pos] != 0x1f)	/* garbage or zero padding */
				return vi_filter_corrupt(f->err, "gzip", vi_fsrc_offset(f),
							 "data after the last member");
			else
				inflateReset(z);
		} else if (ret == Z_BUF_ERROR && f->eof && f->in_pos == f->in_len) {
			return vi_filter_corrupt(f->err, "gzip", vi_fsrc_offset(f),
						 "ends inside a member");
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			return vi_filter_corrupt(f->err, "gzip", vi_fsrc_offset(f),
						 z->msg ? z->msg : "zlib error");
		}
		if (z->avail_out < n)
			return (ssize_t)(n - z->avail_out);
		if (f->done)
			return 0;
	}
}

static void gz_end(struct vi_fsrc *f)
{
	inflateEnd(f->dec);
	free(f->dec);
	f->dec = NULL;
}

const struct vi_filter vi_filter_gzip = { "gzip", gz_bid, gz_init, gz_read, gz_end, 0 };
