/* vi-ram-digest.c - RAMBlock content digests (see vi-ram-digest.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "vi-ram-digest.h"
#include "vi-tree.h"

#define IDX(e) ((e).index & ~RAM_PAGE_ZERO)

void ram_pages_add(struct ram_pages *p, uint64_t index, uint64_t hash,
		   uint64_t off, int zero)
{
	if (zero && (p->n == 0 || index > p->max_index))
		return;		/* nothing sent for it before: it is zero already */
	if (p->n && index <= IDX(p->v[p->n - 1]))
		p->unordered = 1;
	if (index > p->max_index)
		p->max_index = index;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->v = vi_xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n].index = index | (zero ? RAM_PAGE_ZERO : 0);
	p->v[p->n].hash = zero ? 0 : hash;
	p->v[p->n].off = off;
	p->n++;
}

/* Stable: equal indices keep stream order, so the last one is the last sent. */
static void merge_sort(struct ram_page *v, struct ram_page *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, h);
	merge_sort(v + h, tmp, n - h);
	while (i < h && j < n)
		tmp[k++] = IDX(v[j]) < IDX(v[i]) ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static void put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void hex128(XXH128_hash_t h, char hex[RAM_DIGEST_HEX])
{
	snprintf(hex, RAM_DIGEST_HEX, "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
}

struct digest { XXH3_state_t *st; };

static void digest_page(XXH3_state_t *st, uint64_t index, uint64_t hash)
{
	uint8_t b[16];

	put_le64(b, index);
	put_le64(b + 8, hash);
	XXH3_128bits_update(st, b, sizeof(b));
}

static void digest_end(XXH3_state_t *st, uint64_t used_length, uint64_t page_size,
		       char hex[RAM_DIGEST_HEX])
{
	uint8_t b[16];

	put_le64(b, used_length);
	put_le64(b + 8, page_size);
	XXH3_128bits_update(st, b, sizeof(b));
	hex128(XXH3_128bits_digest(st), hex);
}

static XXH3_state_t *digest_start(void)
{
	XXH3_state_t *st = XXH3_createState();

	if (!st) {
		fprintf(stderr, "vmstate-inspect: out of memory\n");
		abort();
	}
	XXH3_128bits_reset(st);
	return st;
}

void ram_pages_finish(struct ram_pages *p, uint64_t used_length, uint64_t page_size)
{
	XXH3_state_t *st;
	size_t k = 0;

	if (p->done)
		return;
	p->done = 1;
	if (p->unordered && p->n > 1) {
		struct ram_page *tmp = vi_xmalloc(p->n * sizeof(*tmp));
		merge_sort(p->v, tmp, p->n);
		free(tmp);
	}
	/* Keep the last entry of each index, and only non-zero pages. */
	for (size_t i = 0; i < p->n; i++) {
		if (i + 1 < p->n && IDX(p->v[i + 1]) == IDX(p->v[i]))
			continue;
		if (p->v[i].index & RAM_PAGE_ZERO)
			continue;
		p->v[k++] = p->v[i];
	}
	p->n = k;
	p->nonzero = k;
	if (p->unavailable)
		return;
	st = digest_start();
	for (size_t i = 0; i < p->n; i++)
		digest_page(st, p->v[i].index, p->v[i].hash);
	digest_end(st, used_length, page_size, p->hex);
	XXH3_freeState(st);
}

void ram_pages_free(struct ram_pages *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int ram_is_zero(const void *buf, size_t n)
{
	const unsigned char *b = buf;

	if (n == 0)
		return 1;
	return b[0] == 0 && memcmp(b, b + 1, n - 1) == 0;
}

uint64_t ram_page_hash_lib(const void *buf, size_t n)
{
	return XXH3_64bits(buf, n);
}

int ram_digest_fd(int fd, uint64_t len, uint64_t page_size, char hex[RAM_DIGEST_HEX])
{
	XXH3_state_t *st;
	uint8_t *buf;
	uint64_t pos = 0;

	if (page_size == 0 || page_size > (1u << 30)) {
		errno = EINVAL;
		return -1;
	}
	buf = vi_xmalloc(page_size);
	st = digest_start();
	while (pos < len) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
		size_t want, got = 0;
		if (d < 0 && errno == ENXIO)
			break;			/* only a hole is left */
		if (d >= 0 && (uint64_t)d > pos)
			pos = (uint64_t)d / page_size * page_size;
		if (pos >= len)
			break;
		want = len - pos < page_size ? (size_t)(len - pos) : (size_t)page_size;
		while (got < want) {
			ssize_t k = pread(fd, buf + got, want - got, (off_t)(pos + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				free(buf);
				XXH3_freeState(st);
				if (k == 0)
					errno = EIO;
				return -1;
			}
			got += (size_t)k;
		}
		memset(buf + want, 0, page_size - want);
		if (!ram_is_zero(buf, page_size))
			digest_page(st, pos / page_size, ram_page_hash(buf, page_size));
		pos += page_size;
	}
	digest_end(st, len, page_size, hex);
	free(buf);
	XXH3_freeState(st);
	return 0;
}

uint64_t ram_pages_differ_each(const struct ram_pages *a, uint64_t alen,
			       const struct ram_pages *b, uint64_t blen, uint64_t page_size,
			       int (*each)(void *ctx, uint64_t index), void *ctx)
{
	uint64_t d = 0, an = page_size ? (alen + page_size - 1) / page_size : 0,
		 bn = page_size ? (blen + page_size - 1) / page_size : 0;
	size_t i = 0, j = 0;

	/* Pages only one block has count as different (not passed to each()),
	 * as do non-zero pages with different contents. */
	d += an > bn ? an - bn : bn - an;
	while (i < a->n || j < b->n) {
		uint64_t ai = i < a->n ? a->v[i].index : UINT64_MAX;
		uint64_t bi = j < b->n ? b->v[j].index : UINT64_MAX;
		uint64_t at = ai < bi ? ai : bi;
		int differs;
		if (ai == bi) {
			differs = a->v[i].hash != b->v[j].hash;
			i++, j++;
		} else {
			if (ai < bi)
				i++;
			else
				j++;
			differs = at < an && at < bn;	/* beyond either end: counted above */
		}
		if (differs && !(each && each(ctx, at)))
			d++;
	}
	return d;
}

uint64_t ram_pages_differ(const struct ram_pages *a, uint64_t alen,
			  const struct ram_pages *b, uint64_t blen, uint64_t page_size)
{
	return ram_pages_differ_each(a, alen, b, blen, page_size, NULL, NULL);
}
