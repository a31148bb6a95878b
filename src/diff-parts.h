/* diff-parts.h - what diff.c (descriptions, subsections, the walk over two
 * schemas) and diff-fields.c (field lists) share.  Private to diff*.c. */
#ifndef VI_DIFF_PARTS_H
#define VI_DIFF_PARTS_H

#include <jansson.h>
#include "vi-findings.h"

struct dctx {
	struct vi_findings *f;
	const char *sec;        /* QOM type or vmsd being compared */
	int src_seen, dst_seen; /* the description is only what streams showed */
	int same_bytes;         /* fixed-size layouts of equal total: names do not matter */
	int src_streams_known;  /* the source schema says which subsections streams carried */
	json_t *memo;           /* comparisons made: see compare() in diff.c */
};

#define ERR(c, cls, path, ...) \
	vi_finding_add((c)->f, cls, VI_SEV_ERROR, 0, 0, path, __VA_ARGS__)
#define WARN(c, cls, path, ...) \
	vi_finding_add((c)->f, cls, VI_SEV_WARNING, 0, 0, path, __VA_ARGS__)

/* diff.c */
void df_check_version(struct dctx *c, json_t *s, json_t *d, const char *desc);
void df_check_desc(struct dctx *c, json_t *s, json_t *d, int depth);
int df_same_name(const char *a, const char *b);
/* diff-fields.c */
void df_check_fields(struct dctx *c, json_t *sf, json_t *df, const char *desc,
		     int64_t src_version, int depth);

#endif
