/* decode-schema.c - schema mode of the one interpreter (decode-vmsd.c): a
 * schema vmsd says what a release can write, not what this stream holds, so
 * counts and sizes are worked out from the schema, the decoded siblings and
 * the anchors that follow (a known subsection header, the section footer);
 * decode-choices.c tries fields a device test decides (field_exists) both
 * ways, the right way being the one that ends at the section footer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "decode-value.h"
#include "vi-limits.h"
#include "decode-vmsd.h"
#include "vi-size.h"

/* Schema mode: how many elements and how big each, from what the schema
 * and the already decoded siblings say.  size -1: the struct decides;
 * -2: unknown. */
void dv_schema_shape(json_t *f, struct vi_node *parent, const char *type,
		     int64_t *count, int *is_array, int64_t *size)
{
	const struct vi_prim *p = vi_prim_lookup(type);
	const char *from;
	int64_t v;

	*count = 1;
	*is_array = 0;
	if ((v = dv_jnum(f, "num", INT32_MAX)) >= 0) {
		*count = v;
		*is_array = 1;
	} else if ((from = jstr(f, "count_from"))) {
		*count = dv_sibling_value(parent, from);
		*is_array = 1;
	} else if ((v = dv_jnum(f, "observed_array_len", INT32_MAX)) >= 0) {
		*count = v;
		*is_array = 1;
	} else if (json_is_true(json_object_get(f, "observed_absent"))) {
		*count = 0;	/* never written by the generated streams: empty */
		*is_array = 1;
	}
	if (dv_nested(f, type))
		*size = -1;
	else if ((from = jstr(f, "size_from")))
		*size = dv_sibling_value(parent, from);
	else if (p->kind != VI_P_BLOB)
		*size = p->size;
	else if ((v = dv_jnum(f, "observed_size", INT32_MAX)) > 0 && strcmp(type, "virtio") != 0)
		*size = v;
	else if ((v = dv_jnum(f, "size", INT32_MAX)) > 0 && strcmp(type, "virtio") != 0)
		*size = v;
	else
		*size = -2;
}

/* Bytes a description always takes at version, or -1 when that depends on
 * the data (variable counts or sizes, optional fields, subsections). */
int64_t dv_static_size(json_t *desc, int64_t version, int depth)
{
	json_t *f, *sub;
	size_t i;
	int64_t total = 0;

	if (depth > VI_MAX_DESC_DEPTH || json_array_size(json_object_get(desc, "subsections")))
		return -1;
	json_array_foreach(json_object_get(desc, "fields"), i, f) {
		const char *type = jstr(f, "type");
		int64_t n = dv_jnum(f, "num", INT32_MAX), each;
		if (dv_jnum(f, "version_id", INT32_MAX) > version)
			continue;
		if (json_is_true(json_object_get(f, "field_exists")) || !type ||
		    jstr(f, "count_from") || jstr(f, "size_from"))
			return -1;
		if (n < 0 && json_object_get(f, "observed_array_len"))
			return -1;
		if ((sub = dv_nested(f, type)))
			each = dv_static_size(sub, dv_jnum(sub, "version_id", INT32_MAX), depth + 1);
		else if (vi_prim_lookup(type)->kind != VI_P_BLOB)
			each = vi_prim_lookup(type)->size;
		else if (strcmp(type, "virtio") != 0)	/* untyped: its size is what it takes */
			each = dv_jnum(f, "observed_size", INT32_MAX) > 0 ? dv_jnum(f, "observed_size", INT32_MAX)
								      : dv_jnum(f, "size", INT32_MAX);
		else
			each = -1;
		if (each < 0)
			return -1;
		if (!vi_mul_ok(n < 0 ? 1 : n, each, &each) || !vi_add_ok(total, each, &total) ||
		    total > INT32_MAX)
			return -1;
	}
	return total;
}

/* Does a subsection header that one of the descriptions being decoded lists
 * start at byte pos? */
static int dv_known_subsection_at(struct dctx *c, uint64_t pos)
{
	struct vi_reader *r = c->r;
	uint8_t b[2 + 255];

	if (rd_peek_at(r, pos, b, 2) < 2 || b[0] != QVM_SUBSECTION ||
	    rd_peek_at(r, pos + 2, b + 2, b[1]) < b[1])
		return 0;
	for (int d = c->nsubs - 1; d >= 0; d--) {
		json_t *x;
		size_t i;
		json_array_foreach(c->subs[d], i, x) {
			const char *name = jstr(x, "name");
			if (name && strlen(name) == b[1] && memcmp(name, b + 2, b[1]) == 0)
				return 1;
		}
	}
	return 0;
}

/* Schema mode, an array whose element count the stream does not carry (a
 * VARRAY sized by the device's configuration, e.g. one entry per hotplug
 * slot or CPU) as the last field of its description: the count is the first
 * one after which a subsection header this walk knows, or the section
 * footer, follows.  -1 when no count fits. */
int64_t dv_count_by_anchor(struct dctx *c, int64_t esz)
{
	struct vi_reader *r = c->r;
	uint64_t here = rd_tell(r), foot = c->env->find_footer(c->env->walker, here, c->section_id);
	uint64_t maxc = (foot != UINT64_MAX && foot >= here ? foot - here : rd_left(r)) /
			(uint64_t)esz;

	if (maxc > MAX_GUESSED_COUNT)
		maxc = MAX_GUESSED_COUNT;
	for (uint64_t k = 0; k <= maxc; k++) {
		uint64_t pos = here + k * (uint64_t)esz;
		if (pos == foot)
			return (int64_t)k;
		if (dv_known_subsection_at(c, pos))
			return (int64_t)k;
	}
	return -1;
}

/* Does the next thing in the stream end an array of unknown count: the
 * section footer, or a subsection header this walk knows? */
int dv_at_anchor(struct dctx *c)
{
	uint64_t here = rd_tell(c->r);

	return c->env->find_footer(c->env->walker, here, c->section_id) == here ||
	       dv_known_subsection_at(c, here);
}

/* Bytes from here to this section's footer, for a last field of unknown size. */
int64_t dv_to_footer(struct dctx *c)
{
	uint64_t end = c->env->find_footer(c->env->walker, rd_tell(c->r), c->section_id);
	return end == UINT64_MAX ? -2 : (int64_t)(end - rd_tell(c->r));
}
