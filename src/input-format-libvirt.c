/* input-format-libvirt.c - libvirt save images (virsh save, managed save).
 *
 * libvirt's src/qemu/qemu_saveimage.[ch]: a 92-byte host-endian header
 * (magic "LibvirtQemudSave", version, data_len, was_running, format,
 * cookieOffset, 14 unused words), then data_len bytes: the domain XML with
 * its NUL, libvirt's save cookie with its NUL when cookieOffset is set (it
 * is the XML's length then), and zero padding (64 KiB, room to edit the
 * XML).  Then the QEMU stream, piped through a compressor for version 2's
 * formats gzip, bzip2, xz, lzop and zstd; "raw" and "sparse" (mapped-ram,
 * libvirt 10.x) are not compressed.  Version 1 images are never compressed.
 * "LibvirtQemudPart" marks an image whose save did not finish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "input.h"
#include "vi-tree.h"

#define LV_HEADER 92
#define LV_MAX_XML (4u << 20)      /* domain XML kept (real ones: a few KiB) */
#define LV_MAX_COOKIE (1u << 20)

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

/* The text of the first <tag>...</tag> after from, entities decoded, as
 * printable ASCII (other bytes '?'). */
static void element(char *out, size_t cap, const char *xml, const char *tag)
{
	char open[32], close[32];
	const char *p, *e;
	size_t k = 0;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (!(p = strstr(xml, open)) || !(e = strstr(p, close)))
		return;
	for (p += strlen(open); p < e && k + 1 < cap; p++) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			{ "&quot;", '"' }, { "&apos;", '\'' },
		};
		char c = *p;
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (!strncmp(p, ents[i].ent, strlen(ents[i].ent))) {
				c = ents[i].c;
				p += strlen(ents[i].ent) - 1;
				break;
			}
		out[k++] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[k] = '\0';
}

/* An attribute of the <type> element inside <os>: machine='...', arch='...'. */
static void os_type_attr(char *out, size_t cap, const char *xml, const char *attr)
{
	const char *os = strstr(xml, "<os"), *type, *end, *a;
	char key[32];
	size_t k = 0;

	out[0] = '\0';
	if (!os || !(type = strstr(os, "<type")) || !(end = strchr(type, '>')))
		return;
	snprintf(key, sizeof(key), " %s=", attr);
	if (!(a = strstr(type, key)) || a > end)
		return;
	a += strlen(key);
	if (*a != '\'' && *a != '"')
		return;
	for (char q = *a++; *a && *a != q && a < end && k + 1 < cap; a++)
		out[k++] = *a >= 0x20 && *a < 0x7f ? *a : '?';
	out[k] = '\0';
}

/* Read a NUL-terminated string of at most region bytes (kept up to cap). */
static char *read_string(struct vi_input *in, uint64_t off, uint64_t region, size_t cap,
			 size_t *len)
{
	size_t n = region < cap ? (size_t)region : cap;
	char *s = vi_xmalloc(n + 1);

	if (vi_input_pread(in, s, n, off)) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	*len = strlen(s);
	return s;
}

static int lv_open(struct vi_input *in, const struct vi_filter **filter,
		   struct vi_error *err)
{
	static const struct vi_filter *const payload[] = {
		NULL, &vi_filter_gzip, &vi_filter_bzip2, &vi_filter_xz, &vi_filter_lzop,
		&vi_filter_zstd, NULL
	};
	uint8_t h[LV_HEADER];
	struct vi_libvirt *lv;
	uint64_t xml_region;

	*filter = NULL;
	if (in->file_size < LV_HEADER || vi_input_pread(in, h, LV_HEADER, 0))
		return vi_fail(err, VI_EXIT_INPUT, in->src ? VI_NO_OFFSET : (int64_t)in->file_size,
			       "truncated libvirt save image header: need %d bytes", LV_HEADER);
	if (memcmp(h, "LibvirtQemudPart", 16) == 0)
		return vi_fail(err, VI_EXIT_INPUT, 0,
			       "libvirt save image is incomplete (magic LibvirtQemudPart): "
			       "the save did not finish");
	lv = vi_xmalloc(sizeof(*lv));
	memset(lv, 0, sizeof(*lv));
	lv->refs = 1;
	in->libvirt = lv;
	lv->version = le32(h + 16);
	lv->data_len = le32(h + 20);
	lv->was_running = le32(h + 24);
	lv->format = le32(h + 28);
	lv->cookie_offset = le32(h + 32);
	if (lv->version > 2) {	/* written on a host of the other endianness */
		lv->version = swap32(lv->version);
		lv->data_len = swap32(lv->data_len);
		lv->was_running = swap32(lv->was_running);
		lv->format = swap32(lv->format);
		lv->cookie_offset = swap32(lv->cookie_offset);
	}
	if (lv->version < 1 || lv->version > 2)
		return vi_fail(err, VI_EXIT_INPUT, 16,
			       "libvirt save image version %u not supported (1 or 2)", lv->version);
	if (lv->version == 1)
		lv->format = 0;
	lv->format_name = lv->format < 7 ? lv_formats[lv->format] : "unknown";
	if (lv->format >= 7)
		return vi_fail(err, VI_EXIT_INPUT, 28,
			       "libvirt save image format %u is unknown (0-6: raw, gzip, bzip2, "
			       "xz, lzop, zstd, sparse)", lv->format);
	if ((uint64_t)LV_HEADER + lv->data_len > in->file_size)
		return vi_fail(err, VI_EXIT_INPUT, 20,
			       "libvirt save image data length %u runs past the end of the "
			       "file (%llu bytes)", lv->data_len, (unsigned long long)in->file_size);
	if (lv->cookie_offset > lv->data_len)
		return vi_fail(err, VI_EXIT_INPUT, 32,
			       "libvirt save image cookie offset %u is past its data length %u",
			       lv->cookie_offset, lv->data_len);
	xml_region = lv->cookie_offset ? lv->cookie_offset : lv->data_len;
	lv->xml = read_string(in, LV_HEADER, xml_region, LV_MAX_XML, &lv->xml_len);
	if (lv->cookie_offset)
		lv->cookie = read_string(in, LV_HEADER + (uint64_t)lv->cookie_offset,
					 lv->data_len - lv->cookie_offset, LV_MAX_COOKIE,
					 &lv->cookie_len);
	if (!lv->xml)
		return vi_fail(err, VI_EXIT_INPUT, LV_HEADER,
			       "cannot read the libvirt save image's domain XML");
	element(lv->name, sizeof(lv->name), lv->xml, "name");
	element(lv->uuid, sizeof(lv->uuid), lv->xml, "uuid");
	os_type_attr(lv->machine, sizeof(lv->machine), lv->xml, "machine");
	os_type_attr(lv->arch, sizeof(lv->arch), lv->xml, "arch");
	in->base = LV_HEADER + (uint64_t)lv->data_len;
	in->size = in->file_size - in->base;
	snprintf(in->detail, sizeof(in->detail),
		 "libvirt save image v%u, format %s, %u bytes of XML, cookie and padding, "
		 "guest %s", lv->version, lv->format_name, lv->data_len,
		 lv->was_running ? "running" : "paused");
	*filter = payload[lv->format];
	return 0;
}

const struct vi_format vi_format_libvirt = { "libvirt-save", lv_bid, lv_open };
