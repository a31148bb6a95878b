/* input-filter-xz.c - xz (and lzma-alone) compressed input, via liblzma. */
#include <errno.h>
#include <lzma.h>
#include <string.h>
#include <unistd.h>
#include "input.h"

static int xz_bid(const uint8_t *p, size_t n)
{
	return n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0;
}

static int xz_decode(int fd, uint64_t off, int out, uint64_t max,
		     uint64_t *out_size, struct vi_error *err)
{
	static uint8_t ibuf[1 << 16], obuf[1 << 16];
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_action action = LZMA_RUN;
	uint64_t in_off = off, total = 0;
	lzma_ret ret;

	/* 256 MiB of decoder memory is far more than any real preset needs. */
	if (lzma_stream_decoder(&s, 256u << 20, LZMA_CONCATENATED) != LZMA_OK)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "xz: cannot start decoder");
	for (;;) {
		if (s.avail_in == 0 && action == LZMA_RUN) {
			ssize_t r = pread(fd, ibuf, sizeof(ibuf), (off_t)in_off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				lzma_end(&s);
				return vi_fail(err, VI_EXIT_INPUT, (int64_t)in_off,
					       "xz: read error: %s", strerror(errno));
			}
			if (r == 0)
				action = LZMA_FINISH;
			s.next_in = ibuf;
			s.avail_in = (size_t)r;
			in_off += (uint64_t)r;
		}
		s.next_out = obuf;
		s.avail_out = sizeof(obuf);
		ret = lzma_code(&s, action);
		if (s.avail_out < sizeof(obuf)) {
			size_t w = sizeof(obuf) - s.avail_out;
			if (total + w > max) {
				lzma_end(&s);
				return vi_fail(err, VI_EXIT_INPUT, (int64_t)in_off,
					       "xz: decompressed data exceeds %llu bytes",
					       (unsigned long long)max);
			}
			if (write(out, obuf, w) != (ssize_t)w) {
				lzma_end(&s);
				return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
					       "xz: cannot write spool file: %s", strerror(errno));
			}
			total += w;
		}
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK) {
			lzma_end(&s);
			return vi_fail(err, VI_EXIT_INPUT,
				       (int64_t)(in_off - s.avail_in),
				       "xz: corrupt or truncated compressed data (liblzma error %d)",
				       (int)ret);
		}
	}
	lzma_end(&s);
	*out_size = total;
	return 0;
}

const struct vi_filter vi_filter_xz = { "xz", xz_bid, xz_decode };
