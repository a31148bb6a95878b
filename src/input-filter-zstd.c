/* input-filter-zstd.c - zstd compressed input (concatenated frames too), via
 * libzstd.  The decoder keeps libzstd's default window limit (128 MiB, what
 * zstd -19 and libvirt's zstd use); a --long=31 file says so. */
#include <stdio.h>
#include <string.h>
#include <zstd.h>
#include "input.h"

static int zs_bid(const uint8_t *p, size_t n)
{
	return n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4);
}

static int zs_decode(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err)
{
	static uint8_t ibuf[1 << 17], obuf[1 << 17];
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer in = { ibuf, 0, 0 };
	uint64_t in_off = off;
	size_t ret = 1;
	int rc = 0, full = 0;

	if (!z)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "zstd: cannot start decoder");
	for (;;) {
		ZSTD_outBuffer out = { obuf, sizeof(obuf), 0 };
		if (in.pos == in.size && !full) {	/* a full buffer: more may wait */
			ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "zstd", err);
			if (r < 0) {
				rc = -1;
				break;
			}
			if (r == 0) {
				if (ret != 0)	/* inside a frame */
					rc = vi_filter_corrupt(err, "zstd", in_off,
							       "ends inside a frame");
				break;
			}
			in.size = (size_t)r;
			in.pos = 0;
			in_off += (uint64_t)r;
		}
		ret = ZSTD_decompressStream(z, &out, &in);
		if (ZSTD_isError(ret)) {
			rc = vi_filter_corrupt(err, "zstd", in_off - (in.size - in.pos),
					       ZSTD_getErrorName(ret));
			break;
		}
		full = out.pos == out.size;
		if (out.pos && vi_sink_write(k, obuf, out.pos, in_off - (in.size - in.pos),
					     err) < 0) {
			rc = -1;
			break;
		}
	}
	ZSTD_freeDStream(z);
	return rc;
}

const struct vi_filter vi_filter_zstd = { "zstd", zs_bid, zs_decode };
