/* input-filter-xz.c - xz compressed input (concatenated streams too), via liblzma. */
#include <lzma.h>
#include <string.h>
#include <unistd.h>
#include "input.h"

static int xz_bid(const uint8_t *p, size_t n)
{
	return n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0;
}

/* The decoder: liblzma's threaded one (5.4 and later), which decodes the
 * blocks of a multi-block file (xz -T) on every core, else the plain one.
 * 256 MiB of decoder memory is far more than any real preset needs; the
 * threaded decoder falls back to one thread past memlimit_threading. */
static lzma_ret xz_start(lzma_stream *s)
{
#if LZMA_VERSION >= 50040002
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	lzma_mt mt = {
		.flags = LZMA_CONCATENATED,
		.threads = n > 1 ? (n > 8 ? 8 : (uint32_t)n) : 1,
		.memlimit_threading = 256u << 20,
		.memlimit_stop = 256u << 20,
	};

	if (lzma_stream_decoder_mt(s, &mt) == LZMA_OK)
		return LZMA_OK;
#endif
	return lzma_stream_decoder(s, 256u << 20, LZMA_CONCATENATED);
}

static int xz_decode(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err)
{
	static uint8_t ibuf[1 << 16], obuf[1 << 16];
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_action action = LZMA_RUN;
	uint64_t in_off = off;
	lzma_ret ret;
	int rc = 0;

	if (xz_start(&s) != LZMA_OK)
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "xz: cannot start decoder");
	for (;;) {
		if (s.avail_in == 0 && action == LZMA_RUN) {
			ssize_t r = vi_filter_read(fd, ibuf, sizeof(ibuf), in_off, "xz", err);
			if (r < 0) {
				rc = -1;
				break;
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
		if (s.avail_out < sizeof(obuf) &&
		    vi_sink_write(k, obuf, sizeof(obuf) - s.avail_out, in_off - s.avail_in,
				  err) < 0) {
			rc = -1;
			break;
		}
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_MEMLIMIT_ERROR) {
			rc = vi_fail(err, VI_EXIT_INPUT, (int64_t)(in_off - s.avail_in),
				     "xz: the stream needs more than 256 MiB of decoder memory");
			break;
		}
		if (ret != LZMA_OK) {
			rc = vi_filter_corrupt(err, "xz", in_off - s.avail_in,
					       ret == LZMA_BUF_ERROR ? "it ends early"
					       : ret == LZMA_DATA_ERROR ? "bad data or checksum"
					       : ret == LZMA_OPTIONS_ERROR ? "unsupported options"
					       : ret == LZMA_FORMAT_ERROR ? "not an xz stream"
					       : "liblzma error");
			break;
		}
	}
	lzma_end(&s);
	return rc;
}

const struct vi_filter vi_filter_xz = { "xz", xz_bid, xz_decode };
