/* schema.h - device schemas: what a destination QEMU knows (schemas/README.md).
 *
 * Our own schema files and QEMU's raw -dump-vmstate output are both read
 * into one normalised form (a jansson document in our format), validated
 * as hostile input: wrong types, huge numbers and deep nesting are refused.
 */
#ifndef VI_SCHEMA_H
#define VI_SCHEMA_H

#include <jansson.h>
#include "vi-error.h"
#include "schema-index.h"


struct vi_schema {
	json_t *doc;            /* normalised document */
	json_t *vmsds;          /* doc["vmsds"]: vmsd name -> vmsd */
	const char *target;     /* doc["target"] */
	const char *qemu_version;
	char path[1024];        /* where it was read from */
};

/* Load a file (our format or raw -dump-vmstate); errors are exit 2. */
int schema_load_file(struct vi_schema *s, const char *path, struct vi_error *err);
/* Load a target id like "qemu-10.0/x86_64" from the schema directories, or
 * a path to a file. */
int schema_load_target(struct vi_schema *s, const char *target,
		       const char *schema_dir, struct vi_error *err);
void schema_free(struct vi_schema *s);

/* Installed targets that `make` validated are loaded lazily: their vmsds
 * are parsed when schema_vmsd() (or facts_vmsd_name()) first asks for them,
 * so s->vmsds holds only those, and the "qom" member only the entries their
 * variants came from, until schema_complete() (for whoever iterates over
 * every vmsd or QOM type, in the file's order). */
json_t *schema_vmsd(const struct vi_schema *s, const char *name);
void schema_complete(const struct vi_schema *s);
/* The objects of a schema file `make` indexes (src/schema-stamp). */
extern const struct vi_idx_spec schema_index_objects[];
/* A subsection description of vmsd by full name, or NULL. */
json_t *schema_subsection(json_t *vmsd, const char *name);
/* A vmstate -dump-vmstate leaves out (cpu, timer, ...) is known from
 * generated streams, which carry only the subsections needed then; its
 * "subsection_names" (from the binary's strings) lists all "<vmsd>/..."
 * names.  1 name is one of them, 0 it is not, -1 no such list. */
int schema_subsection_name_known(json_t *vmsd, const char *name);
/* Convert raw -dump-vmstate JSON into a normalised document (new reference). */
json_t *schema_from_dump_vmstate(json_t *raw, struct vi_error *err);
/* Validate a normalised document; 0 or -1 with err set (exit 2). */
int schema_validate(json_t *doc, const char *path, struct vi_error *err);
/* The directories searched for TARGET.json, NULL-terminated. */
const char *const *schema_dirs(const char *override);
/* The directories whose validated.idx (schema-index.h) is trusted: the
 * install's and a build tree's, never one a user names (--schemas,
 * VMSTATE_INSPECT_SCHEMAS), where an index could vouch for a file nobody
 * validated.  A file there is still read lazily when its bytes are those of
 * a file a trusted index describes. */
const char *const *schema_index_dirs(void);
/* Call fn for every installed target ("qemu-RELEASE/ARCH" and its file),
 * in name order, from the first schema directory that has any; *dir (if
 * not NULL) is that directory.  Returns how many. */
typedef void (*schema_target_fn)(const char *id, const char *path, void *ctx);
int schema_targets(const char *override, schema_target_fn fn, void *ctx, const char **dir);
/* "7.2" from "qemu-7.2/x86_64" style targets, into buf. */
const char *schema_release(const struct vi_schema *s, char *buf, size_t n);

#endif
