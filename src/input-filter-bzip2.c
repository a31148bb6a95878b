/* input-filter-bzip2.c - bzip2 compressed input (concatenated streams too, as
 * pbzip2 writes), via libbz2. */
#include <bzlib.h>
#include <string.h>
#include "input.h"

static int bz_bid(const uint8_t *p, size_t n)
{
	return n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' &&
	       p[3] <= '9' && !memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6);
}

static int bz_decode(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err)
{
	static char ibuf[1 << 16], obuf[1 << 16];
	bz_stream z;
	uint64_t in_off = off;
	int rc = 0, eof = 0, ret;

	memset(&z, 0, sizeof(z));
	if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "bzip2: cannot start decoder");
	for (;;) {
		if (z.avail_in == 0 && !eof) {
			ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "bzip2", err);
			if (r < 0) {
				rc = -1;
				break;
			}
			eof = r == 0;
			z.next_in = ibuf;
			z.avail_in = (unsigned)r;
			in_off += (uint64_t)r;
		}
		z.next_out = obuf;
		z.avail_out = sizeof(obuf);
		ret = BZ2_bzDecompress(&z);
		if (z.avail_out < sizeof(obuf) &&
		    vi_sink_write(k, obuf, sizeof(obuf) - z.avail_out, in_off - z.avail_in,
				  err) < 0) {
			rc = -1;
			break;
		}
		if (ret == BZ_STREAM_END) {
			if (z.avail_in == 0 && !eof) {
				ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "bzip2",
							   err);
				if (r < 0) {
					rc = -1;
					break;
				}
				eof = r == 0;
				z.next_in = ibuf;
				z.avail_in = (unsigned)r;
				in_off += (uint64_t)r;
			}
			if (z.avail_in == 0)
				break;
			if (z.next_in[0] != 'B') {
				rc = vi_filter_corrupt(err, "bzip2", in_off - z.avail_in,
						       "data after the last stream");
				break;
			}
			{	/* the next stream of a concatenation */
				char *next = z.next_in;
				unsigned avail = z.avail_in;
				BZ2_bzDecompressEnd(&z);
				memset(&z, 0, sizeof(z));
				if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
					return vi_fail(err, VI_EXIT_INPUT, (int64_t)in_off,
						       "bzip2: cannot start decoder");
				z.next_in = next;
				z.avail_in = avail;
			}
			continue;
		}
		if (ret == BZ_OK && eof && z.avail_in == 0 && z.avail_out == sizeof(obuf)) {
			rc = vi_filter_corrupt(err, "bzip2", in_off, "ends inside a stream");
			break;
		}
		if (ret != BZ_OK) {
			rc = vi_filter_corrupt(err, "bzip2", in_off - z.avail_in,
					       ret == BZ_DATA_ERROR ? "bad data or block CRC"
					       : ret == BZ_DATA_ERROR_MAGIC ? "not a bzip2 stream"
					       : "libbz2 error");
			break;
		}
	}
	BZ2_bzDecompressEnd(&z);
	return rc;
}

const struct vi_filter vi_filter_bzip2 = { "bzip2", bz_bid, bz_decode };
