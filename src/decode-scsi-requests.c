/* decode-scsi-requests.c - decoding the "requests" field of SCSI devices.
 *
 * put_scsi_requests() (hw/scsi/scsi-bus.c, same in QEMU 7.2 and 10.0)
 * writes, for every request in flight on the device:
 *   s8 1 (to be retried) or 2, CDB (16 bytes), be32 tag, be32 lun,
 *   the HBA's part       virtio-scsi: be32 request queue index and a
 *                        VirtQueueElementOld (49168 bytes on a 64-bit host,
 *                        host-endian); the other HBAs: nothing
 *   scsi-disk's part     be64 sector, be32 sector_count, be32 buflen, and
 *                        when buflen != 0: data going to the device (its
 *                        length is not written), or, unless the request is
 *                        retried, be32 length + data coming from it.
 *                        READ/WRITE/VERIFY requests always have it; emulated
 *                        ones (every other command) only when
 *                        migrate-emulated-scsi-request is true (QEMU 9.1+
 *                        machine types)
 * and s8 0 after the last one.  Neither part has its length on the wire, so
 * every combination is tried; the field is decoded only when exactly one
 * reading ends where the field does, else it stays one blob.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode-scsi-requests.h"
#include "decode-value.h"
#include "vi-bytes.h"

#define VQ_ELEM_OLD 49168u
#define MAX_REQUESTS 4096

struct sbuf {
	const uint8_t *p;
	uint32_t len, pos;
	uint64_t base;
};

int scsi_op_is_dma(uint8_t op)
{
	switch (op) {	/* scsi_disk_dma_reqops in hw/scsi/scsi-disk.c */
	case 0x08: case 0x0a: case 0x28: case 0x2a: case 0xa8: case 0xaa: case 0x88: case 0x8a:
	case 0x2e: case 0x2f: case 0xae: case 0xaf: case 0x8e: case 0x8f:
		return 1;
	default:
		return 0;
	}
}

static const char *op_name(uint8_t op)
{
	static const struct { uint8_t op; const char *name; } t[] = {
		{ 0x00, "TEST UNIT READY" }, { 0x03, "REQUEST SENSE" },
		{ 0x08, "READ(6)" }, { 0x0a, "WRITE(6)" }, { 0x12, "INQUIRY" },
		{ 0x15, "MODE SELECT(6)" }, { 0x1a, "MODE SENSE(6)" },
		{ 0x1b, "START STOP UNIT" }, { 0x1e, "PREVENT ALLOW MEDIUM REMOVAL" },
		{ 0x25, "READ CAPACITY(10)" }, { 0x28, "READ(10)" }, { 0x2a, "WRITE(10)" },
		{ 0x2e, "WRITE AND VERIFY(10)" }, { 0x2f, "VERIFY(10)" },
		{ 0x35, "SYNCHRONIZE CACHE(10)" }, { 0x41, "WRITE SAME(10)" }, { 0x42, "UNMAP" },
		{ 0x43, "READ TOC" }, { 0x46, "GET CONFIGURATION" },
		{ 0x4a, "GET EVENT STATUS NOTIFICATION" }, { 0x55, "MODE SELECT(10)" },
		{ 0x5a, "MODE SENSE(10)" }, { 0x88, "READ(16)" }, { 0x8a, "WRITE(16)" },
		{ 0x8e, "WRITE AND VERIFY(16)" }, { 0x8f, "VERIFY(16)" },
		{ 0x91, "SYNCHRONIZE CACHE(16)" }, { 0x93, "WRITE SAME(16)" },
		{ 0x9e, "SERVICE ACTION IN(16)" }, { 0xa0, "REPORT LUNS" }, { 0xa8, "READ(12)" },
		{ 0xaa, "WRITE(12)" }, { 0xae, "WRITE AND VERIFY(12)" }, { 0xaf, "VERIFY(12)" },
		{ 0xbd, "MECHANISM STATUS" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].op == op)
			return t[i].name;
	return NULL;
}

/* Bytes of data written for a request going to the device: what the CDB
 * asks for (emulated MODE SELECT / UNMAP), else the DMA chunk. */
static uint64_t to_dev_len(const uint8_t *cdb, uint64_t count, uint64_t buflen)
{
	uint64_t n;

	switch (cdb[0]) {
	case 0x15:
		return cdb[4];
	case 0x55: case 0x42:
		return vi_be16(cdb + 7);
	case 0x0a: case 0x2a: case 0xaa: case 0x8a: case 0x2e: case 0xae: case 0x8e:
		n = count * 512;
		return n < buflen ? n : buflen;
	default:
		return (uint64_t)-1;	/* unknown: no reading */
	}
}

static int op_to_dev(uint8_t op)
{
	switch (op) {
	case 0x0a: case 0x2a: case 0xaa: case 0x8a: case 0x2e: case 0xae: case 0x8e:
	case 0x15: case 0x55: case 0x42: case 0x41: case 0x93:
		return 1;
	default:
		return 0;
	}
}

/* len bytes of b as child `name` of n (no node when n is NULL: dry run). */
static int take(struct vi_node *n, struct sbuf *b, const char *name, const char *type,
		uint64_t len)
{
	struct vi_node *k;

	if (len > b->len - b->pos)
		return -1;
	if (n) {
		k = vi_node_new(n, VI_N_FIELD, name, type, b->base + b->pos);
		k->length = len;
		vi_value_set(k, vi_prim_lookup(type), b->p + b->pos, (size_t)len);
	}
	b->pos += (uint32_t)len;
	return 0;
}

/* One reading: hba = bytes of the HBA part, part = emulated requests carry
 * the disk part.  Into e's children when e != NULL.  Returns the number of
 * requests (>= 0) when the list ends exactly at the end, else -1;
 * *emulated counts the emulated ones. */
static int reading(struct vi_node *e, struct sbuf *b, uint32_t hba, int part, int *emulated)
{
	int n = 0;

	*emulated = 0;
	b->pos = 0;
	while (b->pos < b->len && n < MAX_REQUESTS) {
		const uint8_t *h = b->p + b->pos;
		struct vi_node *r = NULL;
		int emu;
		char name[16];

		if (h[0] == 0) {
			if (take(e, b, "end", "uint8", 1) < 0)
				return -1;
			return b->pos == b->len ? n : -1;
		}
		if ((h[0] != 1 && h[0] != 2) || b->len - b->pos < 25)
			return -1;
		emu = !scsi_op_is_dma(h[1]);
		if (e) {
			snprintf(name, sizeof(name), "[%d]", n);
			r = vi_node_new(e, VI_N_FIELD, name, "struct scsi_request", b->base + b->pos);
			vi_node_put_s(r, VI_A_COMMAND, op_name(h[1]) ? op_name(h[1]) : "(other)");
			vi_node_put_s(r, VI_A_OPS, emu ? "emulated" : "read/write");
		}
		if (take(r, b, "retry", "uint8", 1) < 0 || take(r, b, "cdb", "buffer", 16) < 0 ||
		    take(r, b, "tag", "uint32", 4) < 0 || take(r, b, "lun", "uint32", 4) < 0)
			return -1;
		if (hba && (take(r, b, "queue", "uint32", 4) < 0 ||
			    take(r, b, "elem", "VirtQueueElementOld", hba - 4) < 0))
			return -1;
		*emulated += emu;
		if (!emu || part) {
			const uint8_t *d = b->p + b->pos;
			uint64_t buflen;
			if (b->len - b->pos < 16)
				return -1;
			buflen = vi_be32(d + 12);
			if (take(r, b, "sector", "uint64", 8) < 0 ||
			    take(r, b, "sector_count", "uint32", 4) < 0 ||
			    take(r, b, "buflen", "uint32", 4) < 0)
				return -1;
			if (buflen && op_to_dev(h[1])) {
				uint64_t l = to_dev_len(h + 1, vi_be32(d + 8), buflen);
				if (l == (uint64_t)-1 || take(r, b, "data", "buffer", l) < 0)
					return -1;
			} else if (buflen && h[0] == 2) {
				uint64_t l;
				if (b->len - b->pos < 4)
					return -1;
				l = vi_be32(b->p + b->pos);
				if (take(r, b, "data_len", "uint32", 4) < 0 ||
				    take(r, b, "data", "buffer", l) < 0)
					return -1;
			}
		}
		if (r)
			r->length = b->base + b->pos - r->offset;
		n++;
	}
	return -1;
}

int scsi_requests_decode(struct vi_node *e, const uint8_t *p, uint32_t len, uint64_t base)
{
	static const uint32_t hbas[2] = { 0, 4 + VQ_ELEM_OLD };
	struct sbuf b = { p, len, 0, base };
	int found = 0, hba = 0, part = 0, n, emu;
	int empty = len == 1 && p[0] == 0;	/* nothing in flight: every reading */

	for (int h = 0; h < 2; h++) {
		int ok0 = reading(NULL, &b, hbas[h], 0, &emu) >= 0;
		int ok1 = emu && reading(NULL, &b, hbas[h], 1, &emu) >= 0;
		/* without emulated requests both readings are the same one */
		found += ok0 + ok1;
		if (ok0 || ok1) {
			hba = h;
			part = ok1;
		}
	}
	if (found != 1 && !empty)
		return -1;
	n = reading(e, &b, hbas[hba], part, &emu);
	if (n < 0) {		/* cannot happen: the dry run passed */
		vi_node_drop_kids_from(e, 0);
		return -1;
	}
	vi_node_attr_u(e, "requests", (uint64_t)n);
	if (n)
		vi_node_attr_s(e, "hba_part", hba ? "virtio-scsi" : "none");
	if (emu)
		vi_node_put_s(e, VI_A_EMULATED_DISK_PART, part ? "yes" : "no");
	return 0;
}
