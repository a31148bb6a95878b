/* input-filter-gzip.c - gzip compressed input (concatenated members too), via zlib. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "input.h"

static int gz_bid(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

static int gz_decode(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err)
{
	static uint8_t ibuf[1 << 16], obuf[1 << 16];
	z_stream z;
	uint64_t in_off = off;
	int rc = 0, eof = 0, ret;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "gzip: cannot start decoder");
	for (;;) {
		if (z.avail_in == 0 && !eof) {
			ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "gzip", err);
			if (r < 0) {
				rc = -1;
				break;
			}
			eof = r == 0;
			z.next_in = ibuf;
			z.avail_in = (uInt)r;
			in_off += (uint64_t)r;
		}
		z.next_out = obuf;
		z.avail_out = sizeof(obuf);
		ret = inflate(&z, Z_NO_FLUSH);
		if (z.avail_out < sizeof(obuf) &&
		    vi_sink_write(k, obuf, sizeof(obuf) - z.avail_out, in_off - z.avail_in,
				  err) < 0) {
			rc = -1;
			break;
		}
		if (ret == Z_STREAM_END) {
			/* another member may follow (gzip a b > c; pigz) */
			if (z.avail_in == 0 && !eof) {
				ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "gzip",
							   err);
				if (r < 0) {
					rc = -1;
					break;
				}
				eof = r == 0;
				z.next_in = ibuf;
				z.avail_in = (uInt)r;
				in_off += (uint64_t)r;
			}
			if (z.avail_in == 0)
				break;
			if (z.next_in[0] != 0x1f) {	/* trailing garbage or zero padding */
				rc = vi_filter_corrupt(err, "gzip", in_off - z.avail_in,
						       "data after the last member");
				break;
			}
			inflateReset(&z);
			continue;
		}
		if (ret == Z_BUF_ERROR && eof && z.avail_in == 0) {
			rc = vi_filter_corrupt(err, "gzip", in_off, "ends inside a member");
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			rc = vi_filter_corrupt(err, "gzip", in_off - z.avail_in,
					       z.msg ? z.msg : "zlib error");
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

const struct vi_filter vi_filter_gzip = { "gzip", gz_bid, gz_decode };
