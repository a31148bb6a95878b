/* schema-import.h - building a schema from -dump-vmstate and real streams. */
#ifndef VI_SCHEMA_IMPORT_H
#define VI_SCHEMA_IMPORT_H

#include <jansson.h>
#include "schema.h"
#include "vi-tree.h"

struct vi_import {
	json_t *vmsds;          /* the schema being built (borrowed) */
	unsigned unmatched;     /* trailer fields -dump-vmstate did not list */
	json_t *index;          /* field name indexes of the lists merged into */
};

/* Merge one FULL section decoded from its trailer entry. */
void import_section(struct vi_import *im, json_t *entry, struct vi_node *sec);
/* Record a live (START/PART/END) section such as ram. */
void import_live_section(struct vi_import *im, const char *idstr, uint32_t version);
/* Apply {"vmsds": {name: {version_id, minimum_version_id}}}; -1 if malformed. */
int import_extra(struct vi_import *im, json_t *extra);

/* Drop the bookkeeping the merges kept (candidate lists) from a schema. */
void import_finish(json_t *vmsds, int depth);
/* Free what im keeps between merges (not the schema). */
void import_free(struct vi_import *im);

#endif
