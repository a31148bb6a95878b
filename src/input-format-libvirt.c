/* input-format-libvirt.c - libvirt save images (virsh save, managed save).
 *
 * 92-byte host-endian header: magic "LibvirtQemudSave", version, data_len,
 * was_running, compression format, cookie offset, 14 unused words; then
 * data_len bytes of domain XML + cookie + padding, then the QEMU stream,
 * possibly piped through a compressor.
 */
#include <stdio.h>
#include <string.h>
#include "input.h"

#define LV_HEADER 92

static const char *const lv_formats[] = {
	"raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse"
};

static int lv_bid(const uint8_t *p, size_t n)
{
	return n >= 16 && (memcmp(p, "LibvirtQemudSave", 16) == 0 ||
			   memcmp(p, "LibvirtQemudPart", 16) == 0);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static int lv_open(struct vi_input *in, const struct vi_filter **filter,
		   struct vi_error *err)
{
	uint8_t h[LV_HEADER];
	uint32_t version, data_len, fmt;

	*filter = NULL;
	if (in->file_size < LV_HEADER || vi_pread_full(in->fd, h, LV_HEADER, 0))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)in->file_size,
			       "truncated libvirt save image header: need %d bytes", LV_HEADER);
	if (memcmp(h, "LibvirtQemudPart", 16) == 0)
		return vi_fail(err, VI_EXIT_INPUT, 0,
			       "libvirt save image is incomplete (magic LibvirtQemudPart)");
	version = le32(h + 16);
	data_len = le32(h + 20);
	fmt = le32(h + 28);
	if (version > 2) {	/* written on a host of the other endianness */
		version = swap32(version);
		data_len = swap32(data_len);
		fmt = swap32(fmt);
	}
	if (version < 1 || version > 2)
		return vi_fail(err, VI_EXIT_INPUT, 16,
			       "libvirt save image version %u not supported (1 or 2)", version);
	if (version == 1)
		fmt = 0;
	if ((uint64_t)LV_HEADER + data_len > in->file_size)
		return vi_fail(err, VI_EXIT_INPUT, 20,
			       "libvirt save image data length %u runs past the end of the "
			       "file (%llu bytes)", data_len, (unsigned long long)in->file_size);
	in->base = LV_HEADER + (uint64_t)data_len;
	in->size = in->file_size - in->base;
	snprintf(in->detail, sizeof(in->detail),
		 "libvirt save image v%u, %u bytes of XML and padding, format %s",
		 version, data_len, fmt < 7 ? lv_formats[fmt] : "unknown");
	switch (fmt) {
	case 0:
	case 6:
		return 0;
	case 1:
		*filter = &vi_filter_gzip;
		return 0;
	case 2:
		*filter = &vi_filter_bzip2;
		return 0;
	case 3:
		*filter = &vi_filter_xz;
		return 0;
	case 4:
		*filter = &vi_filter_lzop;
		return 0;
	case 5:
		*filter = &vi_filter_zstd;
		return 0;
	default:
		return vi_fail(err, VI_EXIT_INPUT, 28,
			       "libvirt save image compression format %u (%s) is not supported; "
			       "decompress the stream part first", fmt,
			       fmt < 7 ? lv_formats[fmt] : "unknown");
	}
}

const struct vi_format vi_format_libvirt = { "libvirt-save", lv_bid, lv_open };
