/* schema-shape.h - a vmsd's shape: what `report` compares of a section with
 * each installed target's vmsd of the same name (report-triage-versions.c),
 * without parsing the vmsd.
 *
 * To say which release wrote a stream, report weighs every section against
 * every target: its version, its subsections, its fields' names and types.
 * Parsing those vmsds with jansson in 19 targets was most of report's own
 * time.  `make` encodes each vmsd of the schemas it validates into a shape
 * (src/schema-stamp, into schemas/validated.idx, keyed by the hash of the
 * entry's bytes, schema-index.h); a run reads the shape of an entry whose
 * bytes it checked.  A vmsd the index has no shape of (a schema loaded
 * whole) is encoded from its JSON when first asked for: one encoder, so the
 * two agree byte for byte (tests/unit checks every installed vmsd).
 *
 * The bytes: a shape is a version, the subsection names the vmsd knows, and
 * its field list; a field list is a count, its length in bytes and the
 * fields; a field is its name, flags, its type and (a struct) its own list.
 * Integers are 32 bits (the version 64), in the writer's byte order, as the
 * index is; strings are a length, the bytes and a NUL.
 */
#ifndef VI_SCHEMA_SHAPE_H
#define VI_SCHEMA_SHAPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct vi_schema;

struct vi_shape {
	const unsigned char *p;
	size_t n;
};

/* A field list, walked with vi_shape_next. */
struct vi_shape_list {
	const unsigned char *p, *end;
	uint32_t left;
};

struct vi_shape_field {
	const char *name;         /* NULL: the vmsd's field has no name string */
	const char *type;         /* NULL: no "type" string */
	int has_struct;           /* a "struct" member: kids is its field list */
	struct vi_shape_list kids;
};

/* Grown by the encoder. */
struct vi_shape_buf {
	unsigned char *p;
	size_t len, cap;
};

/* ---- encoding (src/schema-stamp at build time, and runs) ---- */
/* Append vmsd's shape to b (vmsd: any JSON; a non-object has no version,
 * subsections or fields). */
void vi_shape_encode(json_t *vmsd, struct vi_shape_buf *b);
/* The same for a vmsd's bytes (the index writer's digest): 0, or -1 when
 * they are not JSON. */
int vi_shape_encode_bytes(const char *json, size_t len, struct vi_shape_buf *b);

/* ---- reading ---- */
/* 1 and *v when the vmsd has an integer "version_id". */
int vi_shape_version(const struct vi_shape *s, int64_t *v);
/* Does the vmsd know subsection name: one of its "subsections", or listed
 * in its "subsection_names" (under its own name)? */
int vi_shape_knows_subsection(const struct vi_shape *s, const char *name);
/* The vmsd's top-level fields. */
void vi_shape_fields(const struct vi_shape *s, struct vi_shape_list *l);
/* The next field of l into *f: 1, or 0 at the end. */
int vi_shape_next(struct vi_shape_list *l, struct vi_shape_field *f);
static inline int vi_shape_list_empty(const struct vi_shape_list *l)
{
	return !l->left;
}

/* The shape of schema s's vmsd name: 1, or 0 when s has no such vmsd.
 * Valid as long as the run. */
int schema_shape(const struct vi_schema *s, const char *name, struct vi_shape *out);

#endif
