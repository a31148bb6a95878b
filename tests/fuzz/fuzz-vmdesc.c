/* fuzz-vmdesc.c - the VMDESCRIPTION JSON reader and the description
 * interpreter (walk-vmdesc.c, decode-vmsd.c, decode-schema.c, decode-value.c) under fire.
 *
 * Input: be24 H, then (H & 0x7fffff) bytes of section payload, then the
 * VMDESCRIPTION JSON (everything left).  They are placed into a fixed, valid
 * stream prefix:
 *
 *   "QEVM" 3, configuration "pc-q35-10.0",
 *   FULL section 0 "dev" instance 0 version 1, <payload>, [footer 7e 0],
 *   EOF, 06 <be32 len> <JSON>
 *
 * Bit 23 of H leaves the section footer out (send-section-footer=off).  The
 * section is decoded with the trailer's entry of that name or, failing that,
 * the next entry in order, so any "devices" list exercises the interpreter.
 * Seeds: tests/fuzz/corpus-vmdesc (make-seeds.py), one per real device section.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-common.h"

static const uint8_t prefix[] = {
	'Q', 'E', 'V', 'M', 0, 0, 0, 3,
	0x07, 0, 0, 0, 11, 'p', 'c', '-', 'q', '3', '5', '-', '1', '0', '.', '0',
	0x04, 0, 0, 0, 0, 3, 'd', 'e', 'v', 0, 0, 0, 0, 0, 0, 0, 1,
};
static const uint8_t footer[] = { 0x7e, 0, 0, 0, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *buf;
	static size_t cap;
	size_t plen, jlen, n = 0, need;
	int with_footer;
	struct vi_input in;
	struct vi_error err;

	if (size < 3)
		return 0;
	plen = ((size_t)data[0] << 16 | (size_t)data[1] << 8 | data[2]) & 0x7fffff;
	with_footer = !(data[0] & 0x80);
	data += 3;
	size -= 3;
	if (plen > size)
		plen = size;
	jlen = size - plen;
	need = sizeof(prefix) + plen + sizeof(footer) + 1 + 5 + jlen;
	if (need > cap) {
		free(buf);
		cap = need;
		if (!(buf = malloc(cap)))
			abort();
	}
	memcpy(buf + n, prefix, sizeof(prefix));
	n += sizeof(prefix);
	memcpy(buf + n, data, plen);
	n += plen;
	if (with_footer) {
		memcpy(buf + n, footer, sizeof(footer));
		n += sizeof(footer);
	}
	buf[n++] = 0x00;	/* EOF */
	buf[n++] = 0x06;	/* VMDESCRIPTION */
	buf[n++] = (uint8_t)(jlen >> 24);
	buf[n++] = (uint8_t)(jlen >> 16);
	buf[n++] = (uint8_t)(jlen >> 8);
	buf[n++] = (uint8_t)jlen;
	memcpy(buf + n, data + plen, jlen);
	n += jlen;

	/* A raw stream needs no bidding: build the input as raw_open would. */
	memset(&in, 0, sizeof(in));
	memset(&err, 0, sizeof(err));
	in.name = "fuzz-vmdesc";
	in.fd = fuzz_memfd(buf, n);
	in.file_size = n;
	in.base = 0;
	in.size = n;
	in.container = "raw";
	fuzz_walk_render(&in, 1, NULL, &err);
	return 0;	/* the memfd is reused, not closed */
}
