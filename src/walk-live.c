/* walk-live.c - live sections other than RAM: their START/PART/END payloads.
 *
 * dirty-bitmap (migration/block-dirty-bitmap.c, capability dirty-bitmaps):
 *   chunks of flags (1 byte; 2 when bit 0x80 is set, 4 when the second byte
 *   has it too), then per flag: DEVICE_NAME counted string, BITMAP_NAME
 *   counted string, START be32 granularity + u8 bitmap flags, BITS be64 first
 *   sector + be32 sector count (+ be64 size + data unless ZEROES); EOS ends.
 * block (migration/block.c, QEMU <= 9.0 "migrate -b/-i"): be64 words
 *   (sector << 9 | flags); DEVICE_BLOCK adds a counted-string device name
 *   and, unless ZERO_BLOCK, 1 MiB of data; PROGRESS carries a percentage;
 *   EOS ends.
 * spapr/htab (hw/ppc/spapr.c, ppc64 pseries with a hash page table): START
 *   be32 htab_shift (-1: no hash table); PART/END be32 header (-1: nothing
 *   follows), then chunks of be32 first index, be16 n_valid, be16 n_invalid
 *   and n_valid 16-byte entries, ended by a chunk of three zeros.
 * s390-storage_attributes (hw/s390x/s390-stattrib.c, CMMA): be64 words
 *   (guest address | flags in the page offset bits); MORE adds be64 count
 *   and count attribute bytes; DONE marks the last pass; EOS ends.
 */
#include <inttypes.h>
#include <string.h>
#include "walk.h"

enum {
	DBM_EOS = 0x01, DBM_ZEROES = 0x02, DBM_BITMAP_NAME = 0x04,
	DBM_DEVICE_NAME = 0x08, DBM_START = 0x10, DBM_COMPLETE = 0x20,
	DBM_BITS = 0x40, DBM_EXTRA = 0x80,
};
enum {
	BLK_DEVICE_BLOCK = 0x01, BLK_EOS = 0x02, BLK_PROGRESS = 0x04,
	BLK_ZERO_BLOCK = 0x08,
};
#define BLK_MIG_BLOCK_SIZE (1u << 20)
#define DBM_MAX_BUF (1u << 30)

static int dirty_bitmap_payload(struct vi_walk *w, struct vi_node *sec, int is_start)
{
	struct vi_reader *r = w->r;
	uint64_t chunks = 0, bits = 0;
	char name[256];

	(void)is_start;
	for (;;) {
		uint64_t off = rd_tell(r);
		uint32_t flags;
		uint8_t b;

		if (rd_u8(r, &b, "dirty-bitmap flags") < 0)
			return -1;
		flags = b;
		if (b & DBM_EXTRA) {
			if (rd_u8(r, &b, "dirty-bitmap flags") < 0)
				return -1;
			flags = flags << 8 | b;
			if (b & DBM_EXTRA) {
				uint16_t rest;
				if (rd_be16(r, &rest, "dirty-bitmap flags") < 0)
					return -1;
				flags = flags << 16 | rest;
			}
		}
		chunks++;
		if (flags & DBM_DEVICE_NAME) {
			if (rd_cstr(r, name, "dirty-bitmap device name") < 0)
				return -1;
			vi_node_attr_s(sec, "device", name);
		}
		if (flags & DBM_BITMAP_NAME) {
			if (rd_cstr(r, name, "dirty-bitmap name") < 0)
				return -1;
			vi_node_attr_s(sec, "bitmap", name);
		}
		if (flags & DBM_START) {
			uint32_t gran;
			uint8_t bf;
			if (rd_be32(r, &gran, "dirty-bitmap granularity") < 0 ||
			    rd_u8(r, &bf, "dirty-bitmap flags") < 0)
				return -1;
			vi_node_attr_u(sec, "granularity", gran);
		}
		if (flags & DBM_BITS) {
			uint64_t first, size;
			uint32_t count;
			if (rd_be64(r, &first, "dirty-bitmap first sector") < 0 ||
			    rd_be32(r, &count, "dirty-bitmap sector count") < 0)
				return -1;
			bits++;
			if (!(flags & DBM_ZEROES)) {
				if (rd_be64(r, &size, "dirty-bitmap data size") < 0)
					return -1;
				if (size > DBM_MAX_BUF)
					return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(r) - 8,
						       "dirty-bitmap data of %" PRIu64 " bytes", size);
				rd_transient(r, size);
				if (rd_skip(r, size, "dirty-bitmap data") < 0)
					return -1;
			}
		}
		if (flags & ~(uint32_t)(DBM_EOS | DBM_ZEROES | DBM_BITMAP_NAME | DBM_DEVICE_NAME |
					DBM_START | DBM_COMPLETE | DBM_BITS | 0x8080u))
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "unknown dirty-bitmap flags 0x%x", flags);
		if (flags & DBM_EOS)
			break;
	}
	vi_node_attr_u(sec, "chunks", chunks);
	vi_node_attr_u(sec, "bits_chunks", bits);
	return 0;
}

static int block_payload(struct vi_walk *w, struct vi_node *sec, int is_start)
{
	struct vi_reader *r = w->r;
	uint64_t blocks = 0, zero = 0;
	char name[256];

	(void)is_start;
	for (;;) {
		uint64_t off = rd_tell(r), word, flags;
		if (rd_be64(r, &word, "block migration word") < 0)
			return -1;
		flags = word & 0x1ff;
		if (flags & BLK_DEVICE_BLOCK) {
			if (rd_cstr(r, name, "block device name") < 0)
				return -1;
			blocks++;
			if (flags & BLK_ZERO_BLOCK)
				zero++;
			else if (rd_transient(r, BLK_MIG_BLOCK_SIZE),
				 rd_skip(r, BLK_MIG_BLOCK_SIZE, "block data") < 0)
				return -1;
		} else if (flags & BLK_PROGRESS) {
			vi_node_attr_u(sec, "progress", word >> 9);
		} else if (!(flags & BLK_EOS)) {
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "unknown block migration flags 0x%" PRIx64, flags);
		}
		if (flags & BLK_EOS)
			break;
	}
	vi_node_attr_u(sec, "blocks", blocks);
	vi_node_attr_u(sec, "zero_blocks", zero);
	return 0;
}

static struct vi_node *be32_field(struct vi_walk *w, struct vi_node *sec, const char *name)
{
	uint64_t off = rd_tell(w->r);
	uint32_t v;
	struct vi_node *n;

	if (rd_be32(w->r, &v, name) < 0)
		return NULL;
	n = vi_node_new(sec, VI_N_FIELD, name, "int32", off);
	n->length = 4;
	n->vt = VI_V_INT;
	n->v.i = (int32_t)v;
	return n;
}

static int htab_payload(struct vi_walk *w, struct vi_node *sec, int is_start)
{
	struct vi_reader *r = w->r;
	struct vi_node *n;
	uint64_t chunks = 0, valid = 0, invalid = 0, start, off;

	if (!(n = be32_field(w, sec, is_start ? "htab_shift" : "header")))
		return -1;
	if (is_start || n->v.i == -1)
		return 0;
	start = rd_tell(r);
	for (;;) {
		uint32_t index;
		uint16_t nv, ni;
		off = rd_tell(r);
		if (rd_be32(r, &index, "htab chunk index") < 0 ||
		    rd_be16(r, &nv, "htab chunk n_valid") < 0 ||
		    rd_be16(r, &ni, "htab chunk n_invalid") < 0)
			return -1;
		if (!index && !nv && !ni)
			break;
		if (nv)
			rd_transient(r, 16ull * nv);
		if (nv && rd_skip(r, 16ull * nv, "htab entries") < 0)
			return -1;
		chunks++;
		valid += nv;
		invalid += ni;
	}
	if (chunks) {
		n = vi_node_new(sec, VI_N_FIELD, "chunks", "htab chunks", start);
		n->length = off - start;
		vi_node_attr_u(n, "chunks", chunks);
		vi_node_attr_u(n, "valid_entries", valid);
		vi_node_attr_u(n, "invalid_entries", invalid);
	}
	n = vi_node_new(sec, VI_N_FIELD, "end", "htab end marker", off);
	n->length = 8;
	return 0;
}

enum { STATTR_EOS = 0x01, STATTR_MORE = 0x02, STATTR_ERROR = 0x04, STATTR_DONE = 0x08 };

static int stattrib_payload(struct vi_walk *w, struct vi_node *sec, int is_start)
{
	struct vi_reader *r = w->r;
	uint64_t page = w->f->page_size ? w->f->page_size : 4096, runs = 0, bytes = 0;

	(void)is_start;
	for (;;) {
		uint64_t off = rd_tell(r), word, flags, count;
		if (rd_be64(r, &word, "storage attributes word") < 0)
			return -1;
		flags = word & (page - 1);
		if (flags == STATTR_EOS)
			break;
		if (flags == STATTR_MORE) {
			if (rd_be64(r, &count, "storage attributes count") < 0 ||
			    (rd_transient(r, count), rd_skip(r, count, "storage attributes")) < 0)
				return -1;
			runs++;
			bytes += count;
		} else if (flags == STATTR_DONE) {
			vi_node_attr_u(sec, "done", 1);
		} else {
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "storage attributes: flags 0x%" PRIx64 "%s", flags,
				       flags == STATTR_ERROR ? " (the source's data is incomplete)"
							     : ", unknown");
		}
	}
	vi_node_attr_u(sec, "attribute_runs", runs);
	vi_node_attr_u(sec, "attribute_bytes", bytes);
	return 0;
}

static const struct {
	const char *idstr;
	int (*payload)(struct vi_walk *, struct vi_node *, int is_start);
} live[] = {
	{ "ram", walk_ram_payload },
	{ "dirty-bitmap", dirty_bitmap_payload },
	{ "block", block_payload },
	{ "spapr/htab", htab_payload },
	{ "s390-storage_attributes", stattrib_payload },
};

int walk_live_payload(struct vi_walk *w, struct vi_node *sec, const char *idstr,
		      uint32_t id, int is_start)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (strcmp(live[i].idstr, idstr) == 0)
			return live[i].payload(w, sec, is_start);
	return walk_opaque_payload(w, sec, id);
}
