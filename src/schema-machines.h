/* schema-machines.h - machine types, their compat properties, and the rules that
 * tie a compat property to what it changes in a stream (schemas/machines/,
 * schemas/compat-rules.json, described in schemas/README-compat.md). */
#ifndef VI_MACHINES_H
#define VI_MACHINES_H

#include <jansson.h>
#include "vi-error.h"
#include "schema-index.h"
#include "vi-findings.h"
#include "vi-tree.h"

/* The objects of a machine file `make` indexes (src/schema-stamp): its
 * machine types (found by their aliases too), its provenance. */
extern const struct vi_idx_spec machines_index_objects[];

struct vi_machines {
	json_t *doc;           /* {"machines": {name: {"compat_props": [...]}}} */
	json_t *rules;         /* compat-rules.json "rules", or NULL */
	char path[1100];
	char rules_path[1100]; /* where the rules were read from ("" if none) */
};

/* Load the machine types of a target id ("qemu-10.0/x86_64"); absent data
 * is not an error (returns 1, doc NULL); malformed data is (exit 2). */
int machines_load(struct vi_machines *m, const char *target, const char *schema_dir,
		  struct vi_error *err);
void machines_free(struct vi_machines *m);
/* A machine file loaded and checked as machines_load does (schema-stamp). */
int machines_validate_file(const char *path, struct vi_error *err);
/* The machine entry for a name or alias, or NULL. */
json_t *machines_get(const struct vi_machines *m, const char *name, const char **resolved);
/* Every machine type ({name: entry}, the file's order): installed machine
 * files are parsed one type at a time as machines_get() asks (schema-lazy.h). */
json_t *machines_all(const struct vi_machines *m);

struct vi_session;

/* machine-property findings (warnings): what the machine type's compat
 * properties say a source with that machine type cannot have written.
 * Rules the destination's own stream (dest, may be NULL) breaks the same
 * way are left out: the destination overrides the property like the
 * source.  Identical findings of variant drivers are merged. */
void machines_check(const struct vi_machines *m, const char *machine,
		    struct vi_session *src, struct vi_session *dest, struct vi_findings *out);

#endif
