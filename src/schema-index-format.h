/* schema-index-format.h - the bytes of schemas/validated.idx, shared by its
 * writer (schema-index-write.c) and its reader (schema-index.c); the format
 * itself is described in schema-index.h. */
#ifndef VI_SCHEMA_INDEX_FORMAT_H
#define VI_SCHEMA_INDEX_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define VI_IDX_MAGIC "VIIDX03\n"
#define VI_IDX_BOM 0x01020304u
#define VI_IDX_MAX_FILE (64u << 20)	/* an index, or a schema file to index */

/* The records start after the head; the shapes (a table sorted by hash,
 * then their bytes) at shapes_off, read only by a run that asks for one. */
struct vi_idx_head {
	char magic[8];
	uint32_t bom, nrec;
	uint64_t shapes_off, shapes_len, shapes_hash;
	uint32_t nshape, pad;
};
struct vi_idx_shape { uint64_t bhash; uint32_t off, len; };
struct vi_idx_rec { uint64_t size, rest_hash; uint32_t nobj, pad; };
struct vi_idx_orec { uint64_t span, slen; uint32_t flags, keylen, n, nalias; };

static inline size_t vi_idx_pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* A regular file's bytes, read to its size (at most VI_IDX_MAX_FILE), with
 * one byte of room after; NULL if it cannot be. */
char *vi_idx_slurp(const char *path, size_t *len);

#endif
