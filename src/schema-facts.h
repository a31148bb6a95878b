/* schema-facts.h - what a release's loader knows beyond its vmstates: the
 * "release_facts" of a generated schema (schemas/README.md), made from the
 * real binary and its source by tools/schema-release-facts.py.  The check
 * engine asks these instead of knowing releases itself.  Every question
 * answers -1 when the schema has no such fact (a schema from `schema
 * import`, a raw -dump-vmstate file): the caller then judges less surely. */
#ifndef VI_SCHEMA_FACTS_H
#define VI_SCHEMA_FACTS_H

#include <stdint.h>
#include "schema.h"

/* Is name one of the release's MigrationCapability names (its
 * query-migrate-capabilities)?  1 yes, 0 no, -1 unknown. */
int facts_capability_known(const struct vi_schema *s, const char *name);
/* The capabilities configuration_post_load compares (should_validate_
 * capability), as a JSON array of strings, or NULL when unknown. */
json_t *facts_validated_capabilities(const struct vi_schema *s);
/* MIG_CMD number cmd: 1 the loader knows it (*name its name), 0 it does not
 * (*name the number of commands it knows, as "N"), -1 unknown. */
int facts_command(const struct vi_schema *s, uint64_t cmd, const char **name, size_t *known);
/* The subsection called name of parent ("virtio", "virtio_pci",
 * "virtio_mmio"), which virtio_load() reads by hand: 1 with its versions,
 * 0 the release has no such subsection, -1 unknown. */
int facts_virtio_subsection(const struct vi_schema *s, const char *parent, const char *name,
			    int *version_id, int *minimum_version_id);
/* The vmsd name in a section idstr ("<bus path>/<vmsd name>" or the bare
 * name): the longest tail of idstr, starting at its beginning or after a
 * '/', that names a vmsd of vmsds (a JSON object), else what follows the
 * components that look like a bus path (addresses, port numbers).
 * Some vmsd names hold a '/' themselves (ppc64's "spapr/rtc", "icp/server").
 * Points into idstr. */
const char *facts_vmsd_name(json_t *vmsds, const char *idstr);
/* Validate doc["release_facts"] if present: 0, or -1 with *why set. */
int facts_validate(json_t *doc, const char **why);

#endif
