/* input-filter-zstd.c - zstd compressed input (concatenated frames too), via
 * libzstd.  The decoder keeps libzstd's default window limit (128 MiB, what
 * zstd -19 and libvirt's zstd use); a --long=31 file says so. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "input.h"
#include "vi-tree.h"

struct zs {
	ZSTD_DStream *z;
	size_t ret;	/* 0: between frames */
};

static int zs_bid(const uint8_t *p, size_t n)
{
	return n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4);
}

static int zs_init(struct vi_fsrc *f)
{
	struct zs *d = vi_xmalloc(sizeof(*d));

	d->ret = 0;
	if (!(d->z = ZSTD_createDStream())) {
		free(d);
		return vi_fail(f->err, VI_EXIT_INPUT, VI_NO_OFFSET, "zstd: cannot start decoder");
	}
	f->dec = d;
	return 0;
}

static ssize_t zs_read(struct vi_fsrc *f, uint8_t *buf, size_t n)
{
	struct zs *d = f->dec;

	for (;;) {
		ZSTD_outBuffer out = { buf, n, 0 };
		ZSTD_inBuffer in;
		if (vi_fsrc_refill(f) < 0)
			return -1;
		if (f->in_pos == f->in_len) {
			f->done = 1;
			if (d->ret != 0)	/* inside a frame */
				return vi_filter_corrupt(f->err, "zstd", vi_fsrc_offset(f),
							 "ends inside a frame");
			return 0;
		}
		in.src = f->ibuf;
		in.size = f->in_len;
		in.pos = f->in_pos;
		d->ret = ZSTD_decompressStream(d->z, &out, &in);
		f->in_pos = in.pos;
		if (ZSTD_isError(d->ret))
			return vi_filter_corrupt(f->err, "zstd", vi_fsrc_offset(f),
						 ZSTD_getErrorName(d->ret));
		if (out.pos)
			return (ssize_t)out.pos;
	}
}

static void zs_end(struct vi_fsrc *f)
{
	struct zs *d = f->dec;

	ZSTD_freeDStream(d->z);
	free(d);
	f->dec = NULL;
}

const struct vi_filter vi_filter_zstd = { "zstd", zs_bid, zs_init, zs_read, zs_end, 0 };
