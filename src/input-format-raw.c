/* input-format-raw.c - a bare migration stream: "QEVM" at byte 0. */
#include <string.h>
#include "input.h"

static int raw_bid(const uint8_t *p, size_t n)
{
	return n >= 4 && memcmp(p, "QEVM", 4) == 0;
}

static int raw_open(struct vi_input *in, const struct vi_filter **filter,
		    struct vi_error *err)
{
	(void)err;
	*filter = NULL;
	in->base = 0;
	in->size = in->file_size;
	return 0;
}

const struct vi_format vi_format_raw = { "raw", raw_bid, raw_open };
