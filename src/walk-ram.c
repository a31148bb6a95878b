/* walk-ram.c - the iterative "ram" section (migration/ram.c, version 4).
 *
 * A payload is a run of be64 "address | flags" words with their bodies,
 * ended by EOS.  Pages are counted per RAMBlock and skipped, never read,
 * unless opts.ram_digests asks for each block's digest (vi-ram-digest.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t by value */
#include <xxhash.h>
#include "vi-limits.h"
#include "walk.h"

enum {
	RAM_FULL = 0x01, RAM_ZERO = 0x02, RAM_MEM_SIZE = 0x04, RAM_PAGE = 0x08,
	RAM_EOS = 0x10, RAM_CONTINUE = 0x20, RAM_XBZRLE = 0x40, RAM_HOOK = 0x80,
	RAM_COMPRESS_PAGE = 0x100, RAM_MULTIFD_FLUSH = 0x200,
};
#define X86_DEFAULT_PAGE 4096u
#define MAPPED_RAM_HEADER 28

struct ram_counts {
	uint64_t records, pages, zero, normal, xbzrle, compressed, flushes, hooks;
};

static int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

/* XXH3-64 of psize zero bytes, for the sizes a page fits in one piece: a
 * page is zero only if its hash is this one (then memcmp confirms), so
 * a non-zero page is read once, by the hash. */
static uint64_t zero_page_hash(uint64_t psize)
{
	static uint64_t size, hash;

	if (size != psize) {
		uint8_t *z = calloc(1, (size_t)psize);
		if (!z)
			abort();
		hash = ram_page_hash(z, (size_t)psize);
		size = psize;
		free(z);
	}
	return hash;
}

/* Hash one page of psize bytes at the reader (or at stream offset at, when
 * at is not UINT64_MAX) and remember it as page index of block b.  The
 * bytes are hashed where the reader holds them: no copy, no allocation. */
static int digest_page(struct vi_walk *w, struct vi_ramblock *b, uint64_t index,
		       uint64_t psize, uint64_t at)
{
	static XXH3_state_t st;	/* big pages only; one walk at a time */
	struct vi_reader *r = w->r;
	uint64_t off = at == UINT64_MAX ? rd_tell(r) : at, save = rd_tell(r), hash;
	const uint8_t *p;
	int zero = 1;

	if (at == UINT64_MAX)
		rd_transient(r, psize);	/* read once: hashed, not kept */
	if (at == UINT64_MAX && psize > rd_left(r))
		return rd_skip(r, psize, "page contents");	/* the error */
	if (at != UINT64_MAX) {
		if (at > r->limit || psize > r->limit - at)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)at,
				       "truncated: mapped-ram page %" PRIu64 " of a RAMBlock",
				       index);
		if (rd_seek(r, at) < 0)
			return -1;
	}
	if (psize <= VI_RD_BUF) {
		if (!(p = rd_ptr(r, (size_t)psize, "page contents")))
			return -1;
		hash = ram_page_hash(p, (size_t)psize);
		zero = hash == zero_page_hash(psize) && ram_is_zero(p, (size_t)psize);
	} else {
		XXH3_64bits_reset(&st);
		for (uint64_t done = 0; done < psize;) {
			size_t n = psize - done < VI_RD_BUF ? (size_t)(psize - done) : VI_RD_BUF;
			if (!(p = rd_ptr(r, n, "page contents")))
				return -1;
			XXH3_64bits_update(&st, p, n);
			if (zero)
				zero = ram_is_zero(p, n);
			done += n;
		}
		hash = XXH3_64bits_digest(&st);
	}
	if (at != UINT64_MAX && rd_seek(r, save) < 0)
		return -1;
	ram_pages_add(&b->pg, index, zero ? 0 : hash, off, zero);
	return 0;
}

/* RAMBlocks by name: every page record names one (or CONTINUEs). */
#define BLOCK_SLOTS (2 * VI_MAX_RAM_BLOCKS)

static size_t block_slot(const char *name)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & (BLOCK_SLOTS - 1);
}

static struct vi_ramblock *find_block(struct vi_walk *w, const char *name)
{
	if (!w->block_hash)
		return NULL;
	for (size_t i = block_slot(name);; i = (i + 1) & (BLOCK_SLOTS - 1)) {
		uint16_t k = w->block_hash[i];
		if (!k)
			return NULL;
		if (strcmp(w->f->blocks[k - 1].name, name) == 0)
			return &w->f->blocks[k - 1];
	}
}

static void add_block_name(struct vi_walk *w, size_t index)
{
	size_t i = block_slot(w->f->blocks[index].name);

	if (!w->block_hash) {
		w->block_hash = vi_xmalloc(BLOCK_SLOTS * sizeof(*w->block_hash));
		memset(w->block_hash, 0, BLOCK_SLOTS * sizeof(*w->block_hash));
	}
	while (w->block_hash[i])
		i = (i + 1) & (BLOCK_SLOTS - 1);
	w->block_hash[i] = (uint16_t)(index + 1);
}

/* mapped-ram: bit i of the block's bitmap (host-endian longs, written at
 * the end of migration) says page i was written; the rest read as zero. */
static int count_bitmap(struct vi_walk *w, struct vi_ramblock *b, uint64_t at,
			uint64_t psize, struct vi_node *bn, uint64_t pages_at)
{
	uint64_t npages = b->used_length / psize, bytes = (npages + 63) / 64 * 8, set = 0;
	uint8_t buf[4096];
	char name[VI_ESC_NAME];

	if (at > rd_end(w->r) || bytes > rd_end(w->r) - at)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)at,
			       "truncated: mapped-ram bitmap of block %s (%" PRIu64 " bytes)",
			       vi_esc(name, sizeof(name), b->name), bytes);
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < sizeof(buf) ? (size_t)(bytes - done) : sizeof(buf);
		if (rd_peek_at(w->r, at + done, buf, n) != n)
			return -1;
		for (size_t i = 0; i < n; i++) {
			set += (uint64_t)__builtin_popcount(buf[i]);
			for (int bit = 0; w->opts.ram_digests && bit < 8; bit++) {
				/* host-endian longs: little-endian hosts are assumed */
				uint64_t page = (done + i) * 8 + (uint64_t)bit;
				if (!(buf[i] >> bit & 1) || page >= npages)
					continue;
				if (digest_page(w, b, page, psize, pages_at + page * psize) < 0)
					return -1;
			}
		}
		done += n;
	}
	b->pages += npages;
	b->normal_pages += set;
	b->zero_pages += npages - set;
	vi_node_attr_u(bn, "mapped_ram_pages_written", set);
	return 0;
}

static int mapped_ram(struct vi_walk *w, struct vi_ramblock *b, struct vi_node *bn)
{
	struct vi_reader *r = w->r;
	uint64_t off = rd_tell(r), psize, bitmap, pages, pos;
	uint32_t version;
	char name[VI_ESC_NAME];

	if (rd_be32(r, &version, "mapped-ram header version") < 0 ||
	    rd_be64(r, &psize, "mapped-ram page size") < 0 ||
	    rd_be64(r, &bitmap, "mapped-ram bitmap offset") < 0 ||
	    rd_be64(r, &pages, "mapped-ram pages offset") < 0)
		return -1;
	if (version != 1)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "mapped-ram header version %u not supported (1)", version);
	vi_node_attr_u(bn, "mapped_ram_bitmap_offset", bitmap);
	vi_node_attr_u(bn, "mapped_ram_pages_offset", pages);
	/* The offsets are absolute file offsets; ours are stream offsets. */
	if (pages < r->base || pages - r->base < rd_tell(r) ||
	    b->used_length > UINT64_MAX - pages)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 20,
			       "mapped-ram pages offset %" PRIu64 " lies before its own header",
			       pages);
	pos = pages - r->base + b->used_length;
	/* read once: the pages are counted and hashed, never kept */
	rd_transient_at(r, pages - r->base, b->used_length);
	if (pos > rd_end(r))
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 20,
			       "truncated: mapped-ram pages of block %s end at %" PRIu64
			       ", beyond the end of the stream (%" PRIu64 ")",
			       vi_esc(name, sizeof(name), b->name), pos,
			       rd_end(r));
	if (psize < 512 || psize > VI_MAX_PAGE_SIZE || !is_pow2(psize) || bitmap < r->base)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 4,
			       "mapped-ram header of block %s: bad page size %" PRIu64
			       " or bitmap offset", vi_esc(name, sizeof(name), b->name), psize);
	if (w->opts.ram_digests && psize != w->f->page_size)
		b->pg.unavailable = "mapped-ram page size differs from the stream's";
	if (count_bitmap(w, b, bitmap - r->base, psize, bn, pages - r->base) < 0)
		return -1;
	return rd_seek(r, pos);
}

static int mem_size(struct vi_walk *w, struct vi_node *sec, uint64_t total,
		    uint64_t word_off)
{
	struct vi_reader *r = w->r;
	struct vi_node *list = vi_node_new(sec, VI_N_FIELD, "ramblocks", "ramblock list",
					   word_off);
	uint64_t sum = 0;

	vi_node_attr_u(list, "total_bytes", total);
	while (sum < total) {
		uint64_t off = rd_tell(r), used, extra;
		char name[256], ename[VI_ESC_NAME];
		struct vi_ramblock *b;
		struct vi_node *bn;
		uint8_t peek[8];

		if (walk_node_budget(w) < 0)	/* before the block adds nodes */
			return -1;
		if (rd_cstr(r, name, "RAMBlock name") < 0 || rd_be64(r, &used, "RAMBlock length") < 0)
			return -1;
		if (!name[0])
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "empty RAMBlock name in the MEM_SIZE list");
		if (used > total - sum)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1 + strlen(name),
				       "RAMBlock %s length %" PRIu64 " exceeds the %" PRIu64
				       " bytes the MEM_SIZE total leaves",
				       vi_esc(ename, sizeof(ename), name), used, total - sum);
		sum += used;
		if (!(b = find_block(w, name))) {
			if (w->f->nblocks == VI_MAX_RAM_BLOCKS)
				return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
					       "more than %d RAMBlocks", VI_MAX_RAM_BLOCKS);
			if (w->f->nblocks == w->cblocks) {
				w->cblocks = w->cblocks ? 2 * w->cblocks : 16;
				w->f->blocks = vi_xrealloc(w->f->blocks, w->cblocks * sizeof(*w->f->blocks));
			}
			b = &w->f->blocks[w->f->nblocks++];
			memset(b, 0, sizeof(*b));
			snprintf(b->name, sizeof(b->name), "%s", name);
			add_block_name(w, w->f->nblocks - 1);
		}
		b->used_length = used;
		b->page_size = w->f->page_size;
		bn = vi_node_new(list, VI_N_RAMBLOCK, name, "ramblock", off);
		vi_node_put_u(bn, VI_A_USED_LENGTH, used);
		/* postcopy-ram: a hugepage size may follow (never a valid word).
		 * With x-ignore-shared a guest address follows, which can look the
		 * same: that combination is taken to carry no page size. */
		if (!w->f->cap_ignore_shared && rd_peek(r, 0, peek, 8) == 8) {
			uint64_t v = 0;
			for (int i = 0; i < 8; i++)
				v = v << 8 | peek[i];
			if (is_pow2(v) && v > w->f->page_size && v <= VI_MAX_PAGE_SIZE &&
			    (sum < total ? peek[0] == 0 : 1)) {
				rd_skip(r, 8, "RAMBlock page size");
				b->page_size = v;
				vi_node_put_u(bn, VI_A_PAGE_SIZE, v);
			}
		}
		if (w->f->cap_ignore_shared) {
			if (rd_be64(r, &extra, "RAMBlock guest address") < 0)
				return -1;
			b->mr_addr = extra;
			b->has_mr_addr = 1;
			vi_node_attr_u(bn, "mr_addr", extra);
		}
		if (w->f->cap_mapped_ram && mapped_ram(w, b, bn) < 0)
			return -1;
		bn->length = rd_tell(r) - off;
	}
	list->length = rd_tell(r) - word_off;
	vi_node_attr_u(list, "block_count", list->nkids);
	return 0;
}

static int page_record(struct vi_walk *w, uint64_t flags, uint64_t addr,
		       uint64_t off, struct ram_counts *c)
{
	struct vi_reader *r = w->r;
	struct vi_ramblock *b = w->last_block ? &w->f->blocks[w->last_block - 1] : NULL;
	char name[256], ename[VI_ESC_NAME];

	if (!(flags & RAM_CONTINUE)) {
		if (rd_cstr(r, name, "RAMBlock name of a page") < 0)
			return -1;
		if (!(b = find_block(w, name)))
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 8,
				       "page for RAMBlock \"%s\", which the MEM_SIZE list "
				       "does not name", vi_esc(ename, sizeof(ename), name));
		w->last_block = (size_t)(b - w->f->blocks) + 1;
	} else if (!b) {
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "page record with CONTINUE but no previous RAMBlock");
	}
	if (addr >= b->used_length)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "page offset 0x%" PRIx64 " beyond RAMBlock %s (%" PRIu64 " bytes)",
			       addr, vi_esc(ename, sizeof(ename), b->name), b->used_length);
	b->pages++;
	c->pages++;
	switch (flags & ~(uint64_t)RAM_CONTINUE) {
	case RAM_ZERO: {
		uint8_t fill;
		if (rd_u8(r, &fill, "zero page fill byte") < 0)
			return -1;
		b->zero_pages++;
		c->zero++;
		if (fill)
			b->nonzero_fill++;
		if (w->opts.ram_digests)	/* QEMU fills with 0 whatever the byte */
			ram_pages_add(&b->pg, addr / w->f->page_size, 0, rd_tell(r), 1);
		return 0;
	}
	case RAM_PAGE:
		b->normal_pages++;
		c->normal++;
		if (w->opts.ram_digests)
			return digest_page(w, b, addr / w->f->page_size, w->f->page_size, UINT64_MAX);
		rd_transient(r, w->f->page_size);
		return rd_skip(r, w->f->page_size, "page contents");
	case RAM_XBZRLE: {
		uint8_t enc;
		uint16_t len;
		if (rd_u8(r, &enc, "XBZRLE encoding") < 0 || rd_be16(r, &len, "XBZRLE length") < 0)
			return -1;
		if (enc != 1 || len > w->f->page_size)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(r) - 3,
				       "bad XBZRLE page header (encoding %u, length %u)", enc, len);
		b->xbzrle_pages++;
		c->xbzrle++;
		b->pg.unavailable = "XBZRLE pages (deltas against contents the stream does not hold)";
		rd_transient(r, len);
		return rd_skip(r, len, "XBZRLE data");
	}
	default: {	/* RAM_COMPRESS_PAGE */
		uint32_t len;
		if (rd_be32(r, &len, "compressed page length") < 0)
			return -1;
		if (len > 2 * w->f->page_size)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(r) - 4,
				       "compressed page length %u exceeds twice the page size", len);
		b->compressed_pages++;
		c->compressed++;
		b->pg.unavailable = "compressed pages (not decompressed)";
		rd_transient(r, len);
		return rd_skip(r, len, "compressed page");
	}
	}
}

int walk_ram_payload(struct vi_walk *w, struct vi_node *sec, int is_start)
{
	struct vi_reader *r = w->r;
	struct ram_counts c = { 0 };
	uint64_t mask;

	(void)is_start;
	if (!w->f->page_size) {
		/* No trailer and no target-page-bits subsection: QEMU sends that
		 * subsection whenever the page size is above the target minimum,
		 * so this is the minimum; 4 KiB for x86, s390x and ppc. */
		w->f->page_size = X86_DEFAULT_PAGE;
		w->f->page_size_assumed = 1;
		w->f->page_size_from = "assumed";
	}
	mask = w->f->page_size - 1;
	for (;;) {
		uint64_t off = rd_tell(r), word, flags, addr;
		int rc = 0;

		if (rd_be64(r, &word, "RAM record (address | flags)") < 0)
			return -1;
		flags = word & mask;
		addr = word & ~mask;
		c.records++;
		switch (flags & ~(uint64_t)RAM_CONTINUE) {
		case RAM_MEM_SIZE:
			rc = mem_size(w, sec, addr, off);
			break;
		case RAM_ZERO:
		case RAM_PAGE:
		case RAM_XBZRLE:
		case RAM_COMPRESS_PAGE:
			rc = page_record(w, flags, addr, off, &c);
			break;
		case RAM_EOS:
			goto done;
		case RAM_MULTIFD_FLUSH:
			c.flushes++;
			break;
		case RAM_HOOK:
			c.hooks++;
			break;
		default:
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "unknown combination of RAM flags 0x%" PRIx64, flags);
		}
		if (rc < 0)
			return -1;
	}
done:
	vi_node_attr_u(sec, "ram_records", c.records);
	vi_node_put_u(sec, VI_A_PAGES, c.pages);
	vi_node_put_u(sec, VI_A_ZERO_PAGES, c.zero);
	vi_node_put_u(sec, VI_A_NORMAL_PAGES, c.normal);
	if (c.xbzrle)
		vi_node_attr_u(sec, "xbzrle_pages", c.xbzrle);
	if (c.compressed)
		vi_node_attr_u(sec, "compressed_pages", c.compressed);
	if (c.flushes)
		vi_node_put_u(sec, VI_A_MULTIFD_FLUSHES, c.flushes);
	if (c.hooks)
		vi_node_attr_u(sec, "hooks", c.hooks);
	return 0;
}

void walk_ram_summarise(struct vi_walk *w)
{
	struct vi_node *ram;

	if (!w->f->nblocks)
		return;
	ram = vi_node_new(w->root, VI_N_RAM, "ram", "ram summary", 0);
	vi_node_put_u(ram, VI_A_PAGE_SIZE, w->f->page_size);
	vi_node_attr_s(ram, "page_size_from", w->f->page_size_from);
	if (w->f->cap_ignore_shared)	/* shared blocks are not sent at all */
		vi_node_attr_u(ram, "x_ignore_shared", 1);
	if (w->f->cap_mapped_ram)
		vi_node_attr_u(ram, "mapped_ram", 1);
	for (size_t i = 0; i < w->f->nblocks; i++) {
		struct vi_ramblock *b = &w->f->blocks[i];
		struct vi_node *n = vi_node_new(ram, VI_N_RAMBLOCK, b->name, "ramblock", 0);
		vi_node_put_u(n, VI_A_USED_LENGTH, b->used_length);
		vi_node_put_u(n, VI_A_PAGES, b->pages);
		vi_node_put_u(n, VI_A_ZERO_PAGES, b->zero_pages);
		vi_node_put_u(n, VI_A_NORMAL_PAGES, b->normal_pages);
		if (b->xbzrle_pages)
			vi_node_attr_u(n, "xbzrle_pages", b->xbzrle_pages);
		if (b->compressed_pages)
			vi_node_attr_u(n, "compressed_pages", b->compressed_pages);
		if (b->page_size != w->f->page_size)
			vi_node_put_u(n, VI_A_PAGE_SIZE, b->page_size);
		if (b->nonzero_fill)
			vi_node_attr_u(n, "zero_pages_with_nonzero_fill", b->nonzero_fill);
		if (!w->opts.ram_digests)
			continue;
		if (w->f->cap_ignore_shared && !b->pages)
			b->pg.unavailable = "x-ignore-shared: the block's contents are not in the stream";
		ram_pages_finish(&b->pg, b->used_length, w->f->page_size);
		if (b->pg.unavailable) {
			vi_node_put_s(n, VI_A_DIGEST_UNAVAILABLE, b->pg.unavailable);
		} else {
			vi_node_put_s(n, VI_A_XXH3_128, b->pg.hex);
			vi_node_attr_u(n, "nonzero_pages", b->pg.nonzero);
		}
	}
}
