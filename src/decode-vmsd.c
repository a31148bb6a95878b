/* decode-vmsd.c - one interpreter for every device: decode a vmstate payload
 * from a description.
 *
 * Two kinds of description drive the same loop:
 *  - a trailer entry (VMDESCRIPTION): {"fields": [...], "subsections"?}, a
 *    field {"name", "type", "size", ["array_len" | "index"], ["struct"]},
 *    describing exactly what was written; each field's "size" bounds it, so
 *    a nested part the description does not explain becomes a typed blob of
 *    that size, never lost;
 *  - a schema vmsd (schemas/README.md): what the release can write; fields
 *    exist by version, counts and sizes come from "num", "count_from",
 *    "size_from", the type's size or the observed one, and subsections are
 *    recognised by name.  Fields whose presence a device test decides
 *    (field_exists) are first taken as the generated streams showed them,
 *    then tried the other way, the right way being the one that ends at the
 *    section footer.
 * Returns 0, -1 (error in c->err) or VMSD_MISMATCH (the bytes do not follow
 * the description at this level, c->why says why; the caller falls back).
 * The walker is reached only through the context's callbacks (decode.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "decode-value.h"
#include "vi-limits.h"
#include "decode-scsi-requests.h"
#include "decode-virtio.h"
#include "decode-vmsd.h"
#include "vi-size.h"

int dv_mismatch(struct dctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why->msg, sizeof(c->why->msg), fmt, ap);
	va_end(ap);
	return VMSD_MISMATCH;
}

void dv_warn(struct dctx *c, uint64_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->env->warn(c->env->walker, off, msg);
}

void dv_attempt_begin(struct dctx *c, struct dv_attempt *a)
{
	memset(&a->err, 0, sizeof(a->err));
	a->outer = c->err;
	c->err = c->r->err = &a->err;
}

int dv_attempt_end(struct dctx *c, struct dv_attempt *a, int rc, int mismatch_ok)
{
	c->err = c->r->err = a->outer;
	if (rc == -1 && mismatch_ok && a->err.set && a->err.exit_code == VI_EXIT_INPUT &&
	    !a->err.hard) {
		snprintf(c->why->msg, sizeof(c->why->msg), "%s", a->err.msg);
		return VMSD_MISMATCH;
	}
	if (a->err.set && !a->outer->set)
		*a->outer = a->err;
	return rc;
}

static int decode_leaf(struct dctx *c, struct vi_node *e, const char *type,
		       uint32_t size)
{
	const struct vi_prim *p = vi_prim_lookup(type);
	uint8_t buf[VI_MAX_PREVIEW];
	size_t keep = size < sizeof(buf) ? size : sizeof(buf);

	if (rd_bytes(c->r, buf, keep, e->name) < 0)
		return -1;
	if (size > keep && rd_skip(c->r, size - keep, e->name) < 0)
		return -1;
	if (p->kind == VI_P_NULLPTR && size == 1 && buf[0] != 0x30)
		dv_warn(c, e->offset, "%s: NULL marker is 0x%02x, QEMU expects 0x30",
			  e->name, buf[0]);
	vi_value_set(e, p, buf, size);
	return 0;
}

/* A payload QEMU writes by hand: its size bytes decoded by fn into named
 * fields, or kept as one value of the field's type. */
static int decode_handwritten(struct dctx *c, struct vi_node *e, const char *type,
			      uint32_t size, int (*fn)(struct vi_node *, const uint8_t *,
						       uint32_t, uint64_t))
{
	uint64_t start = rd_tell(c->r);
	uint8_t *buf = vi_xmalloc(size ? size : 1);

	if (rd_bytes(c->r, buf, size, e->name) < 0) {
		free(buf);
		return -1;
	}
	if (fn(e, buf, size, start) < 0)
		vi_value_set(e, vi_prim_lookup(type), buf, size);
	free(buf);
	return 0;
}

static void name_struct(struct vi_node *e, const char *type, json_t *sub)
{
	const char *n = jstr(sub, "vmsd_name") ? jstr(sub, "vmsd_name") : jstr(sub, "name");
	char t[300];

	if (n) {
		snprintf(t, sizeof(t), "%s %s", strcmp(type, "unknown") ? type : "struct", n);
		vi_node_set_type(e, t);
	}
}

/* One element of known size (size >= 0) or, in schema mode, of a size only
 * its description tells (size < 0). */
static int decode_element(struct dctx *c, json_t *f, struct vi_node *e,
			  const char *type, int64_t size, int depth)
{
	struct vi_reader *r = c->r;
	json_t *sub = dv_nested(f, type);
	uint64_t start = rd_tell(r), end = start + (uint64_t)(size < 0 ? 0 : size), old;
	struct dv_attempt a;
	int rc;

	if (size >= 0 && (uint64_t)size > rd_left(r))
		return vi_fail(c->err, VI_EXIT_INPUT, (int64_t)start,
			       "truncated: field '%s' needs %" PRId64 " bytes, %" PRIu64 " left",
			       e->name, size, rd_left(r));
	if (!sub && size >= 0 && (uint64_t)size <= VI_MAX_HANDWRITTEN) {
		/* payloads QEMU writes with its own code, not a vmstate table */
		if (strcmp(type, "virtio") == 0)
			return decode_handwritten(c, e, type, (uint32_t)size, virtio_decode);
		if (strcmp(type, "scsi-requests") == 0)
			return decode_handwritten(c, e, type, (uint32_t)size, scsi_requests_decode);
	}
	if (!sub) {
		if (size < 0)
			return dv_mismatch(c, "field '%s' (%s): size unknown", e->name, type);
		return decode_leaf(c, e, type, (uint32_t)size);
	}
	name_struct(e, type, sub);
	if (size < 0) {		/* schema: the nested description decides */
		rc = dv_decode_desc(c, sub, e, dv_jnum(sub, "version_id", INT32_MAX), depth + 1);
		e->length = rd_tell(r) - start;
		return rc;
	}
	old = rd_push_limit(r, end);
	dv_attempt_begin(c, &a);
	rc = dv_decode_desc(c, sub, e, dv_jnum(sub, "version_id", INT32_MAX), depth + 1);
	if (rc == 0 && rd_tell(r) != end)
		rc = dv_mismatch(c, "'%s': its description explains %" PRIu64 " bytes less than written",
				 e->name, end - rd_tell(r));
	rd_pop_limit(r, old);
	/* A read past the element's bytes, when the bytes are there: the
	 * description was wrong, not the stream. */
	rc = dv_attempt_end(c, &a, rc, end <= rd_end(r));
	if (rc == VMSD_MISMATCH && !c->schema) {
		dv_warn(c, start, "%s: %s; shown as %" PRId64 " undecoded bytes",
			e->name, c->why->msg, size);
		vi_node_drop_kids_from(e, 0);
		rd_seek(r, start);
		vi_node_put_u(e, VI_A_UNDECODED_BYTES, (uint64_t)size);
		c->env->undecoded_total += (uint64_t)size;
		return decode_leaf(c, e, "blob", (uint32_t)size);
	}
	return rc;
}

static int empty_elems_limit(struct dctx *c, const char *name)
{
	char n[VI_ESC_NAME];

	vi_fail(c->err, VI_EXIT_INPUT, (int64_t)rd_tell(c->r),
		"field '%s': more than %u elements that take no bytes in one section",
		vi_esc(n, sizeof(n), name), VI_MAX_EMPTY_ELEMS);
	return vi_error_hard(c->err);
}

/* An array of plain unsigned or 8/16/64-bit signed integers with at least
 * VI_PACK_ELEMS elements is kept as one value: the tree stays small
 * (VI_MAX_NODES) whatever the device's table size.  Not "int32" (bounded by
 * the destination, check-values.c), not " equal" types, not structs. */
static int packable(json_t *f, const char *type, int64_t size, int64_t count)
{
	static const char *const types[] = { "uint8", "uint16", "uint32", "uint64",
					     "int8", "int16", "int64" };
	const struct vi_prim *p = vi_prim_lookup(type);

	if (count < (int64_t)VI_PACK_ELEMS || dv_nested(f, type) || size <= 0 ||
	    (uint64_t)count * (uint64_t)size > UINT32_MAX || p->size != (unsigned)size)
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i]))
			return 1;
	return 0;
}

static int decode_field(struct dctx *c, json_t *f, struct vi_node *parent,
			int64_t version, int last, int last_in_desc, int depth)
{
	struct vi_reader *r = c->r;
	const char *name = jstr(f, "name"), *type = jstr(f, "type");
	int64_t size, count, idx = dv_jnum(f, "index", INT32_MAX);
	int is_array, until_anchor = 0;
	uint64_t need;
	struct vi_node *holder = parent, *e;
	char ename[300];

	if (!json_is_object(f) || !name)
		return dv_mismatch(c, "field entry without a name");
	if (c->schema) {
		if (dv_jnum(f, "version_id", INT32_MAX) > version)
			return 0;	/* newer than the stream: not written */
		if (json_is_true(json_object_get(f, "field_exists"))) {
			/* First guess: present iff a generated stream showed it;
			 * later attempts flip guesses (bit k of choices, k-th such field). */
			const char *test = jstr(f, "exists_if_nonzero");
			int present = test ? dv_sibling_value(parent, test) > 0
					   : json_object_get(f, "observed_size") != NULL;
			if (c->nchoice < 63 && (c->choices >> c->nchoice) & 1)
				present = !present;
			c->nchoice++;
			if (!present)
				return 0;
		}
		if (!type)
			type = "unknown";
		dv_schema_shape(f, parent, type, &count, &is_array, &size);
		if (json_is_true(json_object_get(f, "field_exists")) && is_array && count == 0 &&
		    json_is_true(json_object_get(f, "observed_absent")) &&
		    !json_object_get(f, "observed_array_len")) {
			count = 1;	/* chosen present: "never seen" says nothing more */
			is_array = 0;
		}
		/* A struct no generated stream showed may be a variable array too. */
		if (!is_array && dv_nested(f, type) && !json_object_get(f, "observed_size"))
			is_array = -1;
		if (is_array && last_in_desc && dv_jnum(f, "num", INT32_MAX) < 0 &&
		    !jstr(f, "count_from")) {
			json_t *sub = dv_nested(f, type);
			int64_t esz = size >= 0 ? size :
				sub ? dv_static_size(sub, dv_jnum(sub, "version_id", INT32_MAX), depth + 1) : -1;
			int64_t k = esz > 0 ? dv_count_by_anchor(c, esz) : -1;
			/* Another choice: the count generated streams showed, or
			 * the one the next anchor implies; for elements of varying
			 * size, as many as come before the next anchor. */
			if ((k >= 0 && k != count) || (esz <= 0 && sub)) {
				if (c->nchoice < 63 && (c->choices >> c->nchoice) & 1) {
					count = k >= 0 ? k : MAX_GUESSED_COUNT;
					until_anchor = k < 0;
					is_array = 1;
				}
				c->nchoice++;
			}
		}
		if (is_array < 0)
			is_array = 0;	/* kept as the single struct the schema says */
		if (size == -2 && last)
			size = dv_to_footer(c);
		if (count < 0 || size == -2)
			return dv_mismatch(c, "field '%s': %s unknown without a trailer", name,
					count < 0 ? "element count" : "size");
	} else {
		int64_t alen = dv_jnum(f, "array_len", INT32_MAX);
		size = dv_jnum(f, "size", INT32_MAX);
		if (!type || size < 0)
			return dv_mismatch(c, "field entry without name, type or size");
		if (json_object_get(f, "array_len") && alen < 1)
			return dv_mismatch(c, "field '%s': bad array_len", name);
		is_array = alen >= 1;
		count = is_array ? alen : 1;
	}
	if (size == 0 && count > (int64_t)VI_MAX_EMPTY_ELEMS - (int64_t)c->env->empty_elems)
		return empty_elems_limit(c, name);
	if (!until_anchor && size > 0 &&
	    (!vi_mul_ok((uint64_t)count, (uint64_t)size, &need) || need > rd_left(r)))
		return vi_fail(c->err, VI_EXIT_INPUT, (int64_t)rd_tell(r),
			       "truncated: field '%s' needs %" PRIu64 " bytes, %" PRIu64 " left",
			       vi_esc(ename, sizeof(ename), name),
			       (uint64_t)count * (uint64_t)size, rd_left(r));
	if (is_array) {
		holder = vi_node_new(parent, VI_N_FIELD, name, type, rd_tell(r));
		vi_node_put_u(holder, VI_A_ARRAY_LEN, (uint64_t)count);
		if (packable(f, type, size, count) && !until_anchor) {
			/* One value, not one node per element (a TCE table is
			 * 262144 of them): its bytes, previewed like a blob. */
			holder->length = (uint64_t)count * (uint64_t)size;
			return decode_leaf(c, holder, type, (uint32_t)holder->length);
		}
	}
	for (int64_t i = 0; i < count; i++) {
		uint64_t at = rd_tell(r);
		int rc;
		if (c->env->budget(c->env->walker, c->err) < 0)
			return -1;
		if (until_anchor && dv_at_anchor(c))
			break;
		if (holder != parent)
			snprintf(ename, sizeof(ename), "[%" PRId64 "]", i);
		else if (idx >= 0)
			snprintf(ename, sizeof(ename), "%s[%" PRId64 "]", name, idx);
		else
			snprintf(ename, sizeof(ename), "%s", name);
		e = vi_node_new(holder, VI_N_FIELD, ename, type, rd_tell(r));
		e->length = size < 0 ? 0 : (uint64_t)size;
		if ((rc = decode_element(c, f, e, type, size, depth)))
			return rc;
		/* Elements that take no bytes cost nothing to claim: cap them
		 * (rolled back ones count too). */
		if (rd_tell(r) == at && ++c->env->empty_elems > VI_MAX_EMPTY_ELEMS)
			return empty_elems_limit(c, name);
	}
	if (holder != parent) {
		holder->length = rd_tell(r) - holder->offset;
		if (until_anchor)
			vi_node_put_u(holder, VI_A_ARRAY_LEN, holder->nkids);
	}
	return 0;
}

static int subsection_header(struct dctx *c, struct vi_node *parent, const char *want,
			     struct vi_node **out, uint32_t *version)
{
	struct vi_reader *r = c->r;
	uint64_t off = rd_tell(r);
	uint8_t hdr[2];
	char name[256];

	if (rd_bytes(r, hdr, 2, "subsection header") < 0 ||
	    rd_bytes(r, name, hdr[1], "subsection name") < 0 ||
	    rd_be32(r, version, "subsection version") < 0)
		return -1;
	name[hdr[1]] = '\0';
	*out = vi_node_new(parent, VI_N_SUBSECTION, name, "subsection", off);
	vi_node_put_u(*out, VI_A_VERSION_ID, *version);
	if (want && strcmp(name, want) != 0) {
		dv_warn(c, off, "subsection '%s' in the stream is '%s' in the trailer; "
			"decoded with the trailer's description", name, want);
		vi_node_attr_s(*out, "trailer_name", want);
	}
	return 0;
}

/* Schema mode: the subsection whose header is next, if the description has it. */
static json_t *next_subsection(struct dctx *c, json_t *subs)
{
	uint8_t b[2 + 255];
	size_t n = rd_peek(c->r, 0, b, sizeof(b));
	json_t *s;
	size_t i;

	if (n < 2 || b[0] != QVM_SUBSECTION || n < (size_t)2 + b[1])
		return NULL;
	json_array_foreach(subs, i, s) {
		const char *name = jstr(s, "name");
		if (name && strlen(name) == b[1] && memcmp(name, b + 2, b[1]) == 0)
			return s;
	}
	return NULL;
}

static int decode_desc_body(struct dctx *c, json_t *desc, struct vi_node *parent,
			    int64_t version, int depth)
{
	json_t *fields = json_object_get(desc, "fields");
	json_t *subs = json_object_get(desc, "subsections");
	json_t *v;
	size_t i, n;
	int rc;

	if (depth > VI_MAX_DESC_DEPTH)
		return dv_mismatch(c, "description nested deeper than %d levels", VI_MAX_DESC_DEPTH);
	if (fields && !json_is_array(fields))
		return dv_mismatch(c, "'fields' of '%s' is not a list", parent->name);
	if (subs && !json_is_array(subs))
		return dv_mismatch(c, "'subsections' of '%s' is not a list", parent->name);
	n = json_array_size(fields);
	json_array_foreach(fields, i, v) {
		int last = depth == 0 && i + 1 == n && json_array_size(subs) == 0;
		if ((rc = decode_field(c, v, parent, version, last, i + 1 == n, depth)))
			return rc;
	}
	if (c->schema) {
		while ((v = next_subsection(c, subs))) {
			struct vi_node *s;
			uint32_t sv;
			if (subsection_header(c, parent, NULL, &s, &sv) < 0)
				return -1;
			rc = dv_decode_desc(c, v, s, sv & 0xff, depth + 1);
			s->length = rd_tell(c->r) - s->offset;
			if (rc)
				return rc;
		}
		return 0;
	}
	json_array_foreach(subs, i, v) {
		const char *want = jstr(v, "vmsd_name");
		struct vi_node *s;
		uint32_t sv;
		uint8_t b;
		if (!json_is_object(v) || !want)
			return dv_mismatch(c, "subsection entry without vmsd_name");
		if (rd_peek(c->r, 0, &b, 1) != 1 || b != QVM_SUBSECTION)
			return dv_mismatch(c, "expected subsection '%s' (byte 0x05) at %" PRIu64, want,
					rd_tell(c->r));
		if (subsection_header(c, parent, want, &s, &sv) < 0)
			return -1;
		rc = dv_decode_desc(c, v, s, sv, depth + 1);
		s->length = rd_tell(c->r) - s->offset;
		if (rc)
			return rc;
	}
	return 0;
}

int dv_decode_desc(struct dctx *c, json_t *desc, struct vi_node *parent,
		   int64_t version, int depth)
{
	int rc, pushed = c->nsubs < (int)(sizeof(c->subs) / sizeof(c->subs[0]));

	if (pushed)
		c->subs[c->nsubs++] = json_object_get(desc, "subsections");
	rc = decode_desc_body(c, desc, parent, version, depth);
	if (pushed)
		c->nsubs--;
	return rc;
}

int vmsd_decode_payload(struct vi_decode_env *env, json_t *desc, struct vi_node *parent,
			int depth, struct vi_mismatch *why)
{
	struct dctx c = { .env = env, .r = env->r, .err = env->err, .why = why };

	why->msg[0] = '\0';

	return dv_decode_desc(&c, desc, parent, INT32_MAX, depth);
}
