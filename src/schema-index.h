/* schema-index.h - where each entry of an installed schema or machine file
 * is, so that a run reads only the entries it parses.
 *
 * `make` validates every schema and machine file whole (src/schema-stamp)
 * and writes, for each that passes, a record into schemas/validated.idx:
 * the file's size; where its big object (a schema's "vmsds", a machine
 * file's "machines") lies; the XXH3-64 of the rest of the document (the
 * file with that object written "{}"); and for each entry of the object,
 * the XXH3-64 of its name, where its bytes are, and the XXH3-64 of those
 * bytes (from the key's opening quote to the end of its value).  A machine
 * file's record also lists each entry's other names (the strings of its
 * "aliases" member) by hash, so that "pc" is found in the one machine type
 * that has it, and an alias nobody defined is known absent, without parsing
 * every machine type.
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

#define VI_IDX_NAME "validated.idx"

/* Entries and aliases start with the hash they are sorted by (one lookup). */
struct vi_idx_entry {
	uint64_t nhash;          /* XXH3-64 of the name's bytes */
	uint64_t bhash;          /* XXH3-64 of bytes [name - 1, val + vlen) */
	uint32_t name, nlen;     /* the key's bytes (no escapes), in the file */
	uint32_t val, vlen;      /* the value's bytes */
};

#define VI_IDX_ESCAPES 1u        /* a backslash in the object */
#define VI_IDX_ALIASES 2u        /* alias[] lists the entries' other names */

struct vi_idx_alias {
	uint64_t hash;           /* XXH3-64 of an other name */
	uint32_t entry;          /* index into e[] */
	uint32_t name;           /* that entry's name offset (its file order) */
};

/* One file's record, as the reader hands it out (pointing into the index). */
struct vi_idx_view {
	uint64_t size, span, slen, rest_hash;
	uint32_t flags;
	const char *key;                 /* NUL-terminated */
	const struct vi_idx_entry *e;    /* sorted by nhash, then by name */
	size_t n;
	const struct vi_idx_alias *alias;  /* sorted by hash, then file order */
	size_t nalias;
};

uint64_t vi_idx_hash(const void *p, size_t n);

/* ---- writing (src/schema-stamp, tests) ---- */
struct vi_idx_writer;
struct vi_idx_writer *vi_idx_writer_new(void);
/* Add the file at path, member key; alias_member (or NULL): the member of
 * an entry that lists its other names.
 * 0, or -1 when the file cannot be indexed (no such object, not JSON as the
 * scanner reads it): it is left out, and loaded whole at run time. */
int vi_idx_add(struct vi_idx_writer *w, const char *path, const char *key,
	       const char *alias_member);
/* Write to out (through out.tmp, renamed) and free w; 0 or -1. */
int vi_idx_save(struct vi_idx_writer *w, const char *out);

/* ---- reading ---- */
/* Records of files of size bytes whose member is key, from validated.idx in
 * each of dirs (NULL-terminated; each directory's read once per run, and
 * only the directories named are searched): up to max into out, and how
 * many there are. */
size_t vi_idx_find(const char *const *dirs, uint64_t size, const char *key,
		   struct vi_idx_view *out, size_t max);
/* The first entry of v whose name hashes to h (then the next ones), or NULL. */
const struct vi_idx_entry *vi_idx_lookup(const struct vi_idx_view *v, uint64_t h);
/* The first alias of v hashed h (then the next ones), or NULL. */
const struct vi_idx_alias *vi_idx_alias(const struct vi_idx_view *v, uint64_t h);

#endif
