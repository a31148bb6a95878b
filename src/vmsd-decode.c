/* vmsd-decode.c - one interpreter for every device: decode a vmstate payload
 * from a description (the stream's own VMDESCRIPTION entries).
 *
 * A description is {"fields": [...], "subsections"?: [...]}; a field is
 * {"name", "type", "size", ["array_len" | "index"], ["struct": desc]} and
 * VMSTATE_WITH_TMP / VMS_VSTRUCT fields carry their description inline.
 * Each field's "size" is what QEMU actually wrote, so an element's extent is
 * always known: a nested part the description does not explain is shown as
 * a typed blob of exactly that size, never lost.
 *
 * Returns 0, -1 (hard error in w->err) or VMSD_MISMATCH when the bytes do
 * not follow the description at this level (the caller falls back).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "vi-limits.h"
#include "value.h"
#include "virtio.h"
#include "walk.h"

static char mismatch_msg[600];

__attribute__((format(printf, 1, 2)))
static int mismatch(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mismatch_msg, sizeof(mismatch_msg), fmt, ap);
	va_end(ap);
	return VMSD_MISMATCH;
}

const char *vmsd_mismatch_message(void)
{
	return mismatch_msg;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A non-negative integer member no larger than max, or -1. */
static int64_t jnum(json_t *o, const char *key, int64_t max)
{
	json_t *v = json_object_get(o, key);
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	return x < 0 || x > max ? -1 : (int64_t)x;
}

static int decode_desc(struct vi_walk *w, json_t *desc, struct vi_node *parent,
		       int depth);

static int decode_leaf(struct vi_walk *w, struct vi_node *e, const char *type,
		       uint32_t size)
{
	const struct vi_prim *p = vi_prim_lookup(type);
	uint8_t buf[VI_MAX_PREVIEW];
	size_t keep = size < sizeof(buf) ? size : sizeof(buf);

	if (rd_bytes(w->r, buf, keep, e->name) < 0)
		return -1;
	if (size > keep && rd_skip(w->r, size - keep, e->name) < 0)
		return -1;
	if (p->kind == VI_P_NULLPTR && size == 1 && buf[0] != 0x30)
		walk_warn(w, e->offset, "%s: NULL marker is 0x%02x, QEMU expects 0x30",
			  e->name, buf[0]);
	vi_value_set(e, p, buf, size);
	return 0;
}

/* Decode one element of size bytes; nested trouble is contained in it. */
static int decode_element(struct vi_walk *w, json_t *f, struct vi_node *e,
			  const char *type, uint32_t size, int depth)
{
	json_t *sub = json_object_get(f, "struct");
	uint64_t start = rd_tell(w->r), end = start + size, old;
	int rc;

	if (size > rd_left(w->r))
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)start,
			       "truncated: field '%s' needs %u bytes, %" PRIu64 " left",
			       e->name, size, rd_left(w->r));
	if (!json_is_object(sub) && (strcmp(type, "tmp") == 0 ||
				     strcmp(type, "vstruct") == 0) &&
	    json_is_array(json_object_get(f, "fields")))
		sub = f;	/* description written inline into the field */
	if (!json_is_object(sub) && strcmp(type, "virtio") == 0)
		return virtio_decode(w, e, size);
	if (!json_is_object(sub))
		return decode_leaf(w, e, type, size);

	if (jstr(sub, "vmsd_name")) {
		char t[300];
		snprintf(t, sizeof(t), "%s %s", type, jstr(sub, "vmsd_name"));
		vi_node_set_type(e, t);
	}
	old = rd_push_limit(w->r, end);
	rc = decode_desc(w, sub, e, depth + 1);
	if (rc == 0 && rd_tell(w->r) != end)
		rc = mismatch("'%s': its description explains %" PRIu64 " bytes less than written",
			      e->name, end - rd_tell(w->r));
	rd_pop_limit(w->r, old);
	if (rc == -1 && w->err->exit_code == VI_EXIT_INPUT && end <= w->r->limit) {
		/* The bytes are there: the description was wrong, not the stream. */
		snprintf(mismatch_msg, sizeof(mismatch_msg), "%s", w->err->msg);
		w->err->set = 0;
		w->err->cls = NULL;
		rc = VMSD_MISMATCH;
	}
	if (rc == VMSD_MISMATCH) {
		walk_warn(w, start, "%s: %s; shown as %u undecoded bytes",
			  e->name, mismatch_msg, size);
		vi_node_drop_kids_from(e, 0);
		rd_seek(w->r, start);
		vi_node_attr_u(e, "undecoded_bytes", size);
		w->undecoded_total += size;
		return decode_leaf(w, e, "blob", size);
	}
	return rc;
}

static int decode_field(struct vi_walk *w, json_t *f, struct vi_node *parent,
			int depth)
{
	const char *name = jstr(f, "name"), *type = jstr(f, "type");
	int64_t size = jnum(f, "size", INT32_MAX);
	int64_t alen = jnum(f, "array_len", INT32_MAX);
	int64_t idx = jnum(f, "index", INT32_MAX);
	struct vi_node *holder = parent, *e;
	char ename[300];

	if (!json_is_object(f) || !name || !type || size < 0)
		return mismatch("field entry without name, type or size");
	if (json_object_get(f, "array_len") && alen < 1)
		return mismatch("field '%s': bad array_len", name);
	if (alen < 1)
		alen = 1;
	if (size == 0 && alen > 4096)
		return mismatch("field '%s': %" PRIu64 " empty elements", name, (uint64_t)alen);
	if ((uint64_t)alen * (uint64_t)size > rd_left(w->r))
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(w->r),
			       "truncated: field '%s' needs %" PRIu64 " bytes, %" PRIu64 " left",
			       name, (uint64_t)alen * (uint64_t)size, rd_left(w->r));
	if (json_object_get(f, "array_len")) {
		holder = vi_node_new(parent, VI_N_FIELD, name, type, rd_tell(w->r));
		vi_node_attr_u(holder, "array_len", (uint64_t)alen);
		holder->length = (uint64_t)alen * (uint64_t)size;
	}
	for (int64_t i = 0; i < alen; i++) {
		int rc;
		if (vi_node_count() > VI_MAX_NODES)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_tell(w->r),
				       "more than %u decoded values; refusing to go on",
				       VI_MAX_NODES);
		if (holder != parent)
			snprintf(ename, sizeof(ename), "[%" PRId64 "]", i);
		else if (idx >= 0)
			snprintf(ename, sizeof(ename), "%s[%" PRId64 "]", name, idx);
		else
			snprintf(ename, sizeof(ename), "%s", name);
		e = vi_node_new(holder, VI_N_FIELD, ename, type, rd_tell(w->r));
		e->length = (uint64_t)size;
		rc = decode_element(w, f, e, type, (uint32_t)size, depth);
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_subsection(struct vi_walk *w, json_t *sub,
			     struct vi_node *parent, int depth)
{
	const char *want = jstr(sub, "vmsd_name");
	uint64_t off = rd_tell(w->r);
	uint8_t hdr[2];
	char name[256];
	uint32_t version;
	struct vi_node *n;
	int rc;

	if (!json_is_object(sub) || !want)
		return mismatch("subsection entry without vmsd_name");
	if (rd_peek(w->r, 0, hdr, 1) != 1 || hdr[0] != QVM_SUBSECTION)
		return mismatch("expected subsection '%s' (byte 0x05) at %" PRIu64, want, off);
	if (rd_bytes(w->r, hdr, 2, "subsection header") < 0 ||
	    rd_bytes(w->r, name, hdr[1], "subsection name") < 0 ||
	    rd_be32(w->r, &version, "subsection version") < 0)
		return -1;
	name[hdr[1]] = '\0';
	n = vi_node_new(parent, VI_N_SUBSECTION, name, "subsection", off);
	vi_node_attr_u(n, "version_id", version);
	if (strcmp(name, want) != 0) {
		walk_warn(w, off, "subsection '%s' in the stream is '%s' in the trailer; "
			  "decoded with the trailer's description", name, want);
		vi_node_attr_s(n, "trailer_name", want);
	}
	rc = decode_desc(w, sub, n, depth + 1);
	n->length = rd_tell(w->r) - off;
	return rc;
}

static int decode_desc(struct vi_walk *w, json_t *desc, struct vi_node *parent,
		       int depth)
{
	json_t *fields = json_object_get(desc, "fields");
	json_t *subs = json_object_get(desc, "subsections");
	json_t *v;
	size_t i;
	int rc;

	if (depth > VI_MAX_DESC_DEPTH)
		return mismatch("description nested deeper than %d levels",
				VI_MAX_DESC_DEPTH);
	if (fields && !json_is_array(fields))
		return mismatch("'fields' of '%s' is not a list", parent->name);
	if (subs && !json_is_array(subs))
		return mismatch("'subsections' of '%s' is not a list", parent->name);
	json_array_foreach(fields, i, v)
		if ((rc = decode_field(w, v, parent, depth)))
			return rc;
	json_array_foreach(subs, i, v)
		if ((rc = decode_subsection(w, v, parent, depth)))
			return rc;
	return 0;
}

int vmsd_decode_payload(struct vi_walk *w, json_t *desc, struct vi_node *parent,
			int depth)
{
	return decode_desc(w, desc, parent, depth);
}
