/* vi-ram-digest.h - content digests of RAMBlocks, independent of how a stream
 * sent the pages.
 *
 * The digest of a block is XXH3-128 over, for every page whose last content
 * is not all zero bytes, in increasing page index, le64(index) followed by
 * le64(XXH3-64 of the page), and then le64(used_length) le64(page_size).
 * Pages never sent and zero pages contribute nothing, so a zero page counts
 * as zeros however it was sent; a page sent twice counts as its last
 * content.  Only non-zero pages are remembered (24 bytes each: index, page
 * hash, stream offset of the contents), which is what lets `diff` count the
 * pages that differ and `extract` copy each page once, without holding a
 * block in memory.  The same digest is computed from an extracted file by
 * ram_digest_fd().
 */
#ifndef VI_RAM_DIGEST_H
#define VI_RAM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define RAM_DIGEST_HEX 33        /* 32 hex digits and a NUL */
#define RAM_PAGE_ZERO (1ull << 63)

struct ram_page {
	uint64_t index;          /* RAM_PAGE_ZERO set: the page became zero */
	uint64_t hash;           /* XXH3-64 of the contents */
	uint64_t off;            /* stream offset of the contents */
};

struct ram_pages {
	struct ram_page *v;
	size_t n, cap;
	uint64_t max_index;
	int unordered;           /* some page came at or below an earlier one */
	const char *unavailable; /* why no digest (XBZRLE, compressed pages) */
	int done;
	uint64_t nonzero;        /* after ram_pages_finish: pages in v */
	char hex[RAM_DIGEST_HEX];
};

/* A page at index with contents hash, or zero; off is where it was read. */
void ram_pages_add(struct ram_pages *p, uint64_t index, uint64_t hash,
		   uint64_t off, int zero);
/* Sort, keep each page's last content, drop zero pages, compute the digest. */
void ram_pages_finish(struct ram_pages *p, uint64_t used_length, uint64_t page_size);
void ram_pages_free(struct ram_pages *p);
/* Is buf all zero bytes? */
int ram_is_zero(const void *buf, size_t n);
/* XXH3-64 of one page's n bytes (vi-ram-hash.c: AVX2 where the CPU has it,
 * else ram_page_hash_lib, libxxhash's). */
uint64_t ram_page_hash(const void *buf, size_t n);
uint64_t ram_page_hash_lib(const void *buf, size_t n);
/* The digest of a block from a file of length len holding its contents
 * (holes read as zeros); 0, or -1 with errno. */
int ram_digest_fd(int fd, uint64_t len, uint64_t page_size, char hex[RAM_DIGEST_HEX]);
/* Pages that differ between two finished blocks of the same page size;
 * each (page index) is also passed to each() when it is not NULL, and is
 * not counted when each() returns nonzero (ignored). */
uint64_t ram_pages_differ(const struct ram_pages *a, uint64_t alen,
			  const struct ram_pages *b, uint64_t blen, uint64_t page_size);
uint64_t ram_pages_differ_each(const struct ram_pages *a, uint64_t alen,
			       const struct ram_pages *b, uint64_t blen, uint64_t page_size,
			       int (*each)(void *ctx, uint64_t index), void *ctx);

#endif
