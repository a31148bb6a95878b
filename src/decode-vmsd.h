/* decode-vmsd.h - what the interpreter (decode-vmsd.c), its schema mode
 * (decode-schema.c, decode-choices.c) and decode-desc.c share.  Private to
 * decode-*.c; the walker's entry points (vmsd_decode_payload,
 * vmsd_decode_schema) are in decode.h. */
#ifndef VI_DECODE_VMSD_H
#define VI_DECODE_VMSD_H

#include <stdint.h>
#include <jansson.h>
#include "vi-limits.h"
#include "decode.h"
#include "vi-format.h"

#define MAX_CHOICE_ATTEMPTS 64
#define MAX_GUESSED_COUNT 65536	/* elements tried for a count the stream lacks */

struct dctx {
	struct vi_decode_env *env;
	struct vi_reader *r;    /* env->r */
	struct vi_error *err;   /* where errors go now: env->err, or an attempt's own */
	struct vi_mismatch *why; /* the caller's: why the bytes did not follow */
	int schema;             /* description is a schema vmsd, not a trailer entry */
	uint32_t section_id;    /* for "up to the footer" fields */
	uint64_t choices;       /* bit k: the k-th field_exists field is present */
	int nchoice;
	/* Schema mode: subsection lists of the descriptions being decoded,
	 * innermost last (what may legitimately follow a field). */
	json_t *subs[VI_MAX_DESC_DEPTH + 2];
	int nsubs;
};

/* Say why the bytes did not follow the description: returns VMSD_MISMATCH. */
__attribute__((format(printf, 2, 3)))
int dv_mismatch(struct dctx *c, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void dv_warn(struct dctx *c, uint64_t off, const char *fmt, ...);

/* An attempt that may be given up: errors the reader or the decoder meet
 * while it runs go to its own error, not the walk's.  dv_attempt_end says
 * what became of them: a hard error, or one that is not a read past the
 * data (mismatch_ok 0), is the walk's error again and -1; otherwise a read
 * past the data is a mismatch (VMSD_MISMATCH, its message in c->why). */
struct dv_attempt {
	struct vi_error err;
	struct vi_error *outer;
};
void dv_attempt_begin(struct dctx *c, struct dv_attempt *a);
int dv_attempt_end(struct dctx *c, struct dv_attempt *a, int rc, int mismatch_ok);

/* decode-desc.c: what a description says of a field. */
int64_t dv_jnum(json_t *o, const char *key, int64_t max);
int64_t dv_sibling_value(struct vi_node *parent, const char *name);
json_t *dv_nested(json_t *f, const char *type);

/* decode-vmsd.c: the interpreter (decode-choices.c drives it in schema mode). */
int dv_decode_desc(struct dctx *c, json_t *desc, struct vi_node *parent,
		   int64_t version, int depth);

/* decode-schema.c: schema mode's counts, sizes and anchors. */
void dv_schema_shape(json_t *f, struct vi_node *parent, const char *type,
		     int64_t *count, int *is_array, int64_t *size);
int64_t dv_static_size(json_t *desc, int64_t version, int depth);
int64_t dv_count_by_anchor(struct dctx *c, int64_t esz);
int dv_at_anchor(struct dctx *c);
int64_t dv_to_footer(struct dctx *c);

#endif
