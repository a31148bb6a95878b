/* diff.c - what breaks migration from one release's vmstates to another's.
 *
 * Covers what QEMU's scripts/vmstate-static-checker.py covers, on our
 * normalised schemas (so on raw -dump-vmstate files too): device types
 * missing in the destination, version_id above the destination's,
 * below its minimum_version_id, descriptions renamed, entries missing,
 * fields renamed or missing (allowing fields moved into a nested struct
 * without changing the wire format, and "unused" padding split
 * differently), field sizes that changed, subsections the destination
 * lacks; and, beyond the checker, fields the destination added without a
 * version bump (it would read bytes the source never wrote).  Messages use
 * the checker's wording where it has one.
 *
 * Two things make a difference the checker reports harmless on the wire,
 * and they are warnings here:
 *  - names: a description whose fields all have fixed sizes and whose total
 *    stays the same (fields renamed, or a buffer split into several fields
 *    as QEMU 9.0 did with globalstate's runstate) reads the same bytes;
 *  - what our schemas only saw: a description known from generated
 *    streams alone (origin "vmdesc", or versions only) lists the fields and
 *    subsections those streams happened to contain, not all there are, so
 *    a conditional field or a subsection it lacks is unknown, not missing.
 */
#include <stdio.h>
#include <string.h>
#include "vi-json.h"
#include "diff.h"
#include "schema-lazy.h"
#include "vi-limits.h"
#include "diff-parts.h"
#include "vi-size.h"

static int seen_only(json_t *vmsd)
{
	const char *o = jstr(vmsd, "origin");
	return o && (strcmp(o, "vmdesc") == 0 || strcmp(o, "extra") == 0);
}

/* Bytes a description always writes, or -1 when that depends on the state
 * (conditional fields, variable arrays), is not known, or does not fit in
 * 63 bits (sizes and counts come from the input: size x count x nesting
 * can overflow, and a wrapped total must never make two layouts "equal"). */
static int64_t fixed_bytes(json_t *desc, int depth)
{
	json_t *f;
	size_t i;
	int64_t total = 0;

	if (depth > VI_MAX_DESC_DEPTH || !json_is_array(json_object_get(desc, "fields")))
		return -1;
	json_array_foreach(json_object_get(desc, "fields"), i, f) {
		int64_t n = jint(f, "num", 1), each, bytes;
		if (json_is_true(json_object_get(f, "field_exists")) ||
		    json_object_get(f, "count_from") || json_object_get(f, "size_from"))
			return -1;
		if (json_object_get(f, "observed_array_len") && !json_object_get(f, "num"))
			n = jint(f, "observed_array_len", -1);
		each = json_object_get(f, "struct") ? fixed_bytes(json_object_get(f, "struct"), depth + 1)
						    : jint(f, "observed_size", jint(f, "size", -1));
		if (each < 0 || n < 0 || !vi_mul_ok(each, n, &bytes) ||
		    !vi_add_ok(total, bytes, &total))
			return -1;
	}
	return total;
}

/* Field lists with the same names and sizes all the way down. */
static int same_fields(json_t *a, json_t *b, int depth)
{
	json_t *x, *y;
	size_t i;

	if (depth > VI_MAX_DESC_DEPTH || json_array_size(a) != json_array_size(b))
		return 0;
	json_array_foreach(a, i, x) {
		y = json_array_get(b, i);
		if (!jstr(x, "name") || !jstr(y, "name") || !df_same_name(jstr(x, "name"), jstr(y, "name")) ||
		    jint(x, "size", 0) != jint(y, "size", 0) ||
		    !same_fields(json_object_get(json_object_get(x, "struct"), "fields"),
				 json_object_get(json_object_get(y, "struct"), "fields"), depth + 1))
			return 0;
	}
	return 1;
}

/* "config[0]" (a trailer's name for the first of several "config") is "config". */
int df_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb + 3 && strcmp(a + lb, "[0]") == 0)
		return strncmp(a, b, lb) == 0;
	if (lb == la + 3 && strcmp(b + la, "[0]") == 0)
		return strncmp(a, b, la) == 0;
	return strcmp(a, b) == 0;
}

void df_check_version(struct dctx *c, json_t *s, json_t *d, const char *desc)
{
	int64_t sv = jint(s, "version_id", 0), dv = jint(d, "version_id", 0);
	int64_t dmin = jint(d, "minimum_version_id", -1);
	char path[600];

	snprintf(path, sizeof(path), "%s%s%s", c->sec, desc ? "/" : "", desc ? desc : "");
	if (sv > dv)
		ERR(c, VI_C_VERSION_TOO_NEW, path, "Section \"%s\"%s%s%s version error: %lld > %lld",
		    c->sec, desc ? " Description \"" : "", desc ? desc : "", desc ? "\":" : "",
		    (long long)sv, (long long)dv);
	if (dmin >= 0 && sv < dmin && desc)
		ERR(c, VI_C_VERSION_TOO_OLD, path, "Section \"%s\" Description \"%s\": minimum "
		    "version error: %lld < %lld", c->sec, desc, (long long)sv, (long long)dmin);
}

static void check_subsections(struct dctx *c, json_t *ss, json_t *ds, const char *desc,
			      int depth)
{
	json_t *s, *d, *byname = json_object(), *done = json_object();
	size_t i;
	char path[700];

	json_array_foreach(ds, i, d)
		if (jstr(d, "name") && !json_object_get(byname, jstr(d, "name")))
			json_object_set(byname, jstr(d, "name"), d);
	json_array_foreach(ss, i, s) {
		int found;
		if (!jstr(s, "name") || json_object_get(done, jstr(s, "name")))
			continue;
		json_object_set_new(done, jstr(s, "name"), json_true());
		d = json_object_get(byname, jstr(s, "name"));
		found = d != NULL;
		if (found)
			df_check_desc(c, s, d, depth + 1);
		if (!found && (c->dst_seen || c->src_streams_known) &&
			 !json_is_true(json_object_get(s, "observed"))) {
			snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
			WARN(c, VI_C_UNKNOWN_SUBSECTION, path, "Section \"%s\", Description \"%s\": "
			     "Subsection \"%s\" not found; a stream that carries it is refused, but "
			     "none of the source's generated streams did (QEMU sends it only when its "
			     "needed() test says so)", c->sec, desc, jstr(s, "name"));
		} else if (!found && c->dst_seen) {
			snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
			WARN(c, VI_C_UNKNOWN_SUBSECTION, path, "Section \"%s\", Description \"%s\": "
			     "Subsection \"%s\" not seen in the destination's generated streams: "
			     "whether it knows it is not known", c->sec, desc, jstr(s, "name"));
		} else if (!found) {
			snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
			ERR(c, VI_C_UNKNOWN_SUBSECTION, path, "Section \"%s\", Description \"%s\": "
			    "Subsection \"%s\" not found", c->sec, desc, jstr(s, "name"));
		}
	}
	json_decref(byname);
	json_decref(done);
}

void df_check_desc(struct dctx *c, json_t *s, json_t *d, int depth)
{
	const char *name = jstr(s, "name"), *dname = jstr(d, "name");
	char path[600];
	int saved;

	if (depth > VI_MAX_DESC_DEPTH || !name || !dname)
		return;
	df_check_version(c, s, d, name);
	if (strcmp(name, dname) != 0) {
		snprintf(path, sizeof(path), "%s/%s", c->sec, name);
		ERR(c, VI_C_UNKNOWN_SECTION, path, "Section \"%s\": Description \"%s\" missing, got "
		    "\"%s\" instead; skipping", c->sec, name, dname);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", c->sec, name);
	saved = c->same_bytes;
	{
		int64_t sb = fixed_bytes(s, depth), db = fixed_bytes(d, depth);
		c->same_bytes = sb >= 0 && sb == db;
	}
	if ((c->src_seen && !json_array_size(json_object_get(s, "fields"))) ||
	    (c->dst_seen && !json_array_size(json_object_get(d, "fields"))))
		;	/* versions only (no stream showed it): fields unknown */
	else if (c->same_bytes && !same_fields(json_object_get(s, "fields"),
					       json_object_get(d, "fields"), depth))
		WARN(c, VI_C_FIELD_RENAMED, path, "Section \"%s\" Description \"%s\": fields are "
		     "named or grouped differently, but both sides write the same %lld fixed bytes, "
		     "so the stream loads", c->sec, name, (long long)fixed_bytes(s, depth));
	else if (json_object_get(s, "fields") && !json_object_get(d, "fields"))
		ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\" Description \"%s\": Entry \"Fields\" "
		    "missing", c->sec, name);
	else
		df_check_fields(c, json_object_get(s, "fields"), json_object_get(d, "fields"), name,
			     jint(s, "version_id", 0), depth);
	if (json_object_get(s, "subsections") && !json_object_get(d, "subsections") &&
	    json_array_size(json_object_get(s, "subsections")))
		ERR(c, VI_C_UNKNOWN_SUBSECTION, path, "Section \"%s\" Description \"%s\": Entry "
		    "\"Subsections\" missing", c->sec, name);
	else
		check_subsections(c, json_object_get(s, "subsections"),
				  json_object_get(d, "subsections"), name, depth);
	c->same_bytes = saved;
}

/* A finding of an earlier comparison again, for section sec instead of
 * was: the path starts with the section and the message names it first. */
static void replay(struct dctx *c, const struct vi_finding *x, const char *was)
{
	char path[1100], msg[1100], quoted[600];
	const char *p = x->path, *at;
	size_t lw = strlen(was);

	if (strncmp(p, was, lw) == 0)
		snprintf(path, sizeof(path), "%s%s", c->sec, p + lw);
	else
		snprintf(path, sizeof(path), "%s", p);
	snprintf(quoted, sizeof(quoted), "Section \"%s\"", was);
	if ((at = strstr(x->message, quoted)))
		snprintf(msg, sizeof(msg), "%.*sSection \"%s\"%s", (int)(at - x->message),
			 x->message, c->sec, at + strlen(quoted));
	else
		snprintf(msg, sizeof(msg), "%s", x->message);
	vi_finding_add(c->f, x->cls, x->severity, x->offset, x->length, path, "%s", msg);
}

/* df_check_desc(c, s, d, 0), once per pair of descriptions: many device types
 * may name one vmsd (a schema's qom entries point to it), and comparing
 * it again for each is N x M.  A repeat adds the first comparison's
 * findings again with the type's name, or, once the list is full, only
 * counts them. */
static void compare(struct dctx *c, json_t *s, json_t *d)
{
	char key[96];
	json_t *m;
	size_t n0 = c->f->n, dropped0 = c->f->dropped;
	size_t t0 = c->f->total, e0 = c->f->total_errors, w0 = c->f->total_warnings;

	snprintf(key, sizeof(key), "%p %p %d %d", (void *)s, (void *)d, c->src_seen, c->dst_seen);
	if ((m = json_object_get(c->memo, key))) {
		size_t n = (size_t)json_integer_value(json_array_get(m, 2));
		size_t errs = (size_t)json_integer_value(json_array_get(m, 3));
		size_t warns = (size_t)json_integer_value(json_array_get(m, 4));
		size_t start = (size_t)json_integer_value(json_array_get(m, 1));
		if (c->f->dropped || !json_is_true(json_array_get(m, 5))) {
			vi_findings_drop_more(c->f, n, errs, warns,
					      errs ? VI_SEV_ERROR : VI_SEV_WARNING);
			return;
		}
		for (size_t i = 0; i < n; i++)
			replay(c, &c->f->v[start + i], json_string_value(json_array_get(m, 0)));
		return;
	}
	df_check_desc(c, s, d, 0);
	json_object_set_new(c->memo, key, json_pack("[sIIIIb]", c->sec, (json_int_t)n0,
		(json_int_t)(c->f->total - t0), (json_int_t)(c->f->total_errors - e0),
		(json_int_t)(c->f->total_warnings - w0), c->f->dropped == dropped0));
}

/* A QOM type's description: its own when it differs from the vmsd's. */
static json_t *qom_desc(const struct vi_schema *s, json_t *q)
{
	json_t *own = json_object_get(q, "description");
	const char *v = jstr(q, "vmsd");

	return own ? own : v ? schema_vmsd(s, v) : NULL;
}

size_t vi_diff_schemas(const struct vi_schema *src, const struct vi_schema *dst,
		       struct vi_findings *out)
{
	json_t *sq = json_object_get(src->doc, "qom"), *dq = json_object_get(dst->doc, "qom");
	json_t *v, *reached = json_object();
	const char *k, *sm = jstr(src->doc, "machine"), *dm = jstr(dst->doc, "machine");
	struct dctx c = { .f = out, .memo = json_object() };
	/* Our schemas (not raw -dump-vmstate files) record what generated
	 * streams carried: a subsection none of them did is sent only sometimes. */
	c.src_streams_known = json_array_size(vi_lazy_get(json_object_get(src->doc,
				"provenance"), "streams")) > 0;
	size_t errors = 0;

	schema_complete(src);	/* every vmsd of both, in their files' order */
	schema_complete(dst);
	if (sm && dm && strcmp(sm, dm) != 0)
		vi_finding_add(out, VI_C_ASSUMPTION, VI_SEV_WARNING, 0, 0, "vmschkmachine",
			       "Warning: checking incompatible machine types: \"%s\", \"%s\"", sm, dm);
	/* Device types, as the static checker sees them. */
	json_object_foreach(sq, k, v) {
		json_t *d = json_object_get(dq, k), *sd, *dd;
		c.sec = k;
		c.src_seen = c.dst_seen = 0;
		if (!d && jstr(v, "vmsd") && schema_vmsd(dst, jstr(v, "vmsd")) &&
		    !json_is_true(json_object_get(dst->doc, "device_classes_only"))) {
			/* The device type is gone or renamed, its vmstate is not: a
			 * stream names vmstates, so compare those. */
			json_t *dv = schema_vmsd(dst, jstr(v, "vmsd"));
			json_object_set_new(reached, jstr(v, "vmsd"), json_true());
			if ((sd = qom_desc(src, v))) {
				c.src_seen = seen_only(sd);
				c.dst_seen = seen_only(dv);
				compare(&c, sd, dv);
			}
			continue;
		}
		if (!d) {
			ERR(&c, VI_C_UNKNOWN_SECTION, k, "Section \"%s\" does not exist in dest", k);
			continue;
		}
		df_check_version(&c, v, d, NULL);
		sd = qom_desc(src, v);
		dd = qom_desc(dst, d);
		if (jstr(v, "vmsd"))
			json_object_set_new(reached, jstr(v, "vmsd"), json_true());
		if (sd && !dd) {
			ERR(&c, VI_C_UNKNOWN_SECTION, k, "Section \"%s\": Entry \"Description\" missing", k);
			continue;
		}
		c.src_seen = sd == schema_vmsd(src, jstr(v, "vmsd") ? jstr(v, "vmsd") : "") && seen_only(sd);
		c.dst_seen = dd == schema_vmsd(dst, jstr(d, "vmsd") ? jstr(d, "vmsd") : "") && seen_only(dd);
		if (sd)
			compare(&c, sd, dd);
	}
	/* vmstates no device type names (ram, cpu, timer... from streams). */
	json_object_foreach(src->vmsds, k, v) {
		json_t *d = schema_vmsd(dst, k);
		if (json_object_get(reached, k) ||
		    (sq && json_array_size(json_object_get(v, "qom_types"))))
			continue;
		c.sec = k;
		if (!d) {
			if (!json_is_true(json_object_get(dst->doc, "device_classes_only")))
				ERR(&c, VI_C_UNKNOWN_SECTION, k, "Section \"%s\" does not exist in dest", k);
			continue;
		}
		c.src_seen = seen_only(v);
		c.dst_seen = seen_only(d);
		compare(&c, v, d);
	}
	json_decref(reached);
	json_decref(c.memo);
	for (size_t i = 0; i < out->n; i++)
		errors += out->v[i].severity == VI_SEV_ERROR;
	if (out->dropped)	/* the last one kept stands for the dropped ones */
		errors += out->dropped_errors - (out->v[out->n - 1].severity == VI_SEV_ERROR);
	return errors;
}
