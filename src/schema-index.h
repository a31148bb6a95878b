/* schema-index.h - where each entry of an installed schema or machine file
 * is, so that a run reads only the entries it parses.
 *
 * `make` validates every schema and machine file whole (src/schema-stamp)
 * and writes, for each that passes, a record into schemas/validated.idx:
 * the file's size; where its big objects lie (a schema's "vmsds", "qom" and
 * "provenance", a machine file's "machines" and "provenance": the
 * *_index_objects tables of schema.c and schema-machines.c); the XXH3-64 of
 * the rest of the document
 * (the file with each of those objects written "{}"); and for each entry
 * of each object, the XXH3-64 of its name, where its bytes are, and the
 * XXH3-64 of those bytes (from the key's opening quote to the end of its
 * value).  An object's record may also list, by hash, the strings of one
 * member of each entry (a machine type's "aliases", a QOM type's "vmsd"):
 * so "pc" is found in the one machine type that has it, and the QOM types
 * whose vmstate is "serial" without parsing every one; a string nobody
 * lists is known absent.
 *
 * After the records, the index keeps the shape of each vmsd (what report
 * compares, schema-shape.h) by the hash of its entry's bytes, read only by a
 * run that asks for one, and only as written (the hash of the whole table).
 *
 * A run finds a file's record by its size and the hash of its rest, then
 * reads each entry it asks for and checks that entry's hash before parsing
 * it (schema-lazy.c): no byte is used that was not validated.
 *
 * The file is in the byte order of the machine that wrote it; a record
 * starts with a magic and a byte-order mark, and a file that is not what
 * this reader expects is ignored (every schema is then loaded whole).
 */
#ifndef VI_SCHEMA_INDEX_H
#define VI_SCHEMA_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct vi_shape_buf;

#define VI_IDX_NAME "validated.idx"

/* Entries and aliases start with the hash they are sorted by (one lookup). */
struct vi_idx_entry {
	uint64_t nhash;          /* XXH3-64 of the name's bytes */
	uint64_t bhash;          /* XXH3-64 of bytes [name - 1, val + vlen) */
	uint32_t name, nlen;     /* the key's bytes (no escapes), in the file */
	uint32_t val, vlen;      /* the value's bytes */
};

#define VI_IDX_ESCAPES 1u        /* a backslash in the object */
#define VI_IDX_ALIASES 2u        /* alias[] lists the strings of a member */
#define VI_IDX_MAX_OBJ 4         /* big objects of one file */

struct vi_idx_alias {
	uint64_t hash;           /* XXH3-64 of the member's string */
	uint32_t entry;          /* index into e[] */
	uint32_t name;           /* that entry's name offset (its file order) */
};

/* One big object of a file, as the reader hands it out (pointing into the
 * index): its value's bytes are [span, span + slen) of the file. */
struct vi_idx_obj {
	uint64_t span, slen;
	uint32_t flags;
	const char *key;                 /* the member's name, NUL-terminated */
	const struct vi_idx_entry *e;    /* sorted by nhash, then by name */
	size_t n;
	const struct vi_idx_alias *alias;  /* sorted by hash, then file order */
	size_t nalias;
};

/* One file's record: its objects in the file's order. */
struct vi_idx_view {
	uint64_t size, rest_hash;
	size_t nobj;
	struct vi_idx_obj obj[VI_IDX_MAX_OBJ];
};

/* An object to index: the top-level member key, and alias_member (or NULL),
 * the member of each entry whose string (or strings) alias[] lists. */
struct vi_idx_spec {
	const char *key, *alias_member;
	/* NULL, or each entry's shape from its value's bytes (schema-shape.h),
	 * kept by the hash of the entry's bytes: 0, or -1 (not indexed) */
	int (*shape)(const char *val, size_t len, struct vi_shape_buf *out);
};

uint64_t vi_idx_hash(const void *p, size_t n);

/* ---- writing (src/schema-stamp, tests) ---- */
struct vi_idx_writer;
struct vi_idx_writer *vi_idx_writer_new(void);
/* Add the file at path, with the objects of spec (ended by a NULL key, at
 * most VI_IDX_MAX_OBJ).  0, or -1 when the file cannot be indexed (an
 * object missing, not JSON as the scanner reads it): it is left out, and
 * loaded whole at run time. */
int vi_idx_add(struct vi_idx_writer *w, const char *path, const struct vi_idx_spec *spec);
/* Write to out (through out.tmp, renamed) and free w; 0 or -1. */
int vi_idx_save(struct vi_idx_writer *w, const char *out);

/* ---- reading ---- */
/* Records of files of size bytes with an object key, from validated.idx in
 * each of dirs (NULL-terminated; each directory's read once per run, and
 * only the directories named are searched): up to max into out, and how
 * many there are. */
size_t vi_idx_find(const char *const *dirs, uint64_t size, const char *key,
		   struct vi_idx_view *out, size_t max);
/* The first entry of o whose name hashes to h (then the next ones), or NULL. */
const struct vi_idx_entry *vi_idx_lookup(const struct vi_idx_obj *o, uint64_t h);
/* The first alias of o hashed h (then the next ones), or NULL. */
const struct vi_idx_alias *vi_idx_alias(const struct vi_idx_obj *o, uint64_t h);
/* The shape kept for the entry whose bytes hash to bhash, in an index read
 * so far: 1 with *p and *n (valid as long as the run), or 0. */
int vi_idx_shape(uint64_t bhash, const unsigned char **p, size_t *n);

#endif
