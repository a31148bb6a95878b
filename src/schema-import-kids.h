/* schema-import-kids.h - a node's children for schema-import.c (private). */
#ifndef VI_SCHEMA_IMPORT_KIDS_H
#define VI_SCHEMA_IMPORT_KIDS_H

#include <stdint.h>
#include <jansson.h>
#include "vi-tree.h"

/* How far back the candidates for a count, size or field_exists test are
 * looked for: QEMU's vmstates name a nearby earlier field (real ones have
 * at most ~100 fields), and a bound keeps a hostile section of N fields
 * linear instead of N^2 (or N^3 with the lookups it used to make). */
#define LOOKBACK 256
#define MAX_CANDIDATES 16

/* A node's field children in order: k-th in O(1). */
struct kids {
	struct vi_node **v;
	size_t n;
	json_t *byname;         /* name -> index of the first such kid (built lazily) */
	struct vi_node *node;
	json_t *subs;           /* subsection name -> index in node->kids (lazily) */
};

/* The k-th child of node that stands for a trailer field entry. */
struct vi_node *ik_field_kid(struct vi_node *node, size_t k);
void ik_kids_init(struct kids *ks, struct vi_node *node);
void ik_kids_free(struct kids *ks);
struct vi_node *ik_kid_subsection(struct kids *ks, const char *name);
struct vi_node *ik_kid_at(const struct kids *ks, size_t k);
json_t *ik_siblings_with(const struct kids *ks, size_t k, uint64_t want, uint64_t mult);
json_t *ik_intersect(json_t *sf, const char *key, json_t *names);
int64_t ik_kid_value(struct kids *ks, const char *name);

#endif
