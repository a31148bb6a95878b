/* diff-fields.c - comparing two descriptions' field lists, for diff.c: fields
 * renamed or missing, moved into a nested struct, padding split otherwise,
 * sizes that changed, fields added without a version bump. */
#include <stdio.h>
#include <string.h>
#include "vi-json.h"
#include "diff.h"
#include "vi-limits.h"
#include "diff-parts.h"
#include "vi-size.h"

/* size x num of a field; -1 if negative or beyond 2^62 (schema_validate
 * keeps both below 2^31, but this is checked, not assumed). */
static int64_t total_size(json_t *f)
{
	int64_t n = jint(f, "num", 1), size = jint(f, "size", 0), t;

	if (n <= 0)
		n = 1;
	if (size < 0 || !vi_mul_ok(size, n, &t) || t > ((int64_t)1 << 62))
		return -1;
	return t;
}

/* A field that moved into a nested struct keeps the wire format: dest's
 * (or src's) struct field whose first member matches the other name. */
static int opens_substruct(json_t *item, const char *other)
{
	json_t *st = json_object_get(item, "struct");
	json_t *first = json_array_get(json_object_get(st, "fields"), 0);
	const char *n = jstr(first, "name");

	return n && strcmp(n, other) == 0;
}

void df_check_fields(struct dctx *c, json_t *sf, json_t *df, const char *desc,
		     int64_t src_version, int depth)
{
	json_t *sstack[VI_MAX_DESC_DEPTH], *dstack[VI_MAX_DESC_DEPTH];
	size_t sidx[VI_MAX_DESC_DEPTH], didx[VI_MAX_DESC_DEPTH];
	int sdepth = 0, ddepth = 0;
	size_t si = 0, di = 0;
	json_t *s, *d;
	int64_t unused = 0;       /* >0: dest "unused" left to match, <0: src's */
	char path[700];

	for (;;) {
		s = json_array_get(sf, si);
		if (!s) {
			if (sdepth) {	/* leave a source substruct */
				sf = sstack[--sdepth];
				si = sidx[sdepth];
				continue;
			}
			break;
		}
		d = json_array_get(df, di);
		if (!d) {
			if (ddepth) {
				df = dstack[--ddepth];
				di = didx[ddepth];
				continue;
			}
			if (c->dst_seen && json_is_true(json_object_get(s, "field_exists"))) {
				si++;
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
			ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\", Description \"%s\": expected "
			    "field \"%s\", while dest has no further fields", c->sec, desc,
			    jstr(s, "name"));
			return;
		}
		if (unused > 0) {	/* dest padding eats source fields */
			if (total_size(s) < 0)
				goto unused_mismatch;
			unused -= total_size(s);
			si++;
			if (unused < 0)
				goto unused_mismatch;
			if (unused == 0)
				di++;
			continue;
		}
		if (unused < 0) {	/* source padding eats dest fields */
			if (total_size(d) < 0)
				goto unused_mismatch;
			unused += total_size(d);
			di++;
			if (unused > 0)
				goto unused_mismatch;
			if (unused == 0)
				si++;
			continue;
		}
		if (!df_same_name(jstr(s, "name"), jstr(d, "name"))) {
			/* A conditional field the other side's streams never showed. */
			if (c->src_seen && json_is_true(json_object_get(d, "field_exists"))) {
				di++;
				continue;
			}
			if (c->dst_seen && json_is_true(json_object_get(s, "field_exists"))) {
				si++;
				continue;
			}
			if (opens_substruct(d, jstr(s, "name")) && ddepth < VI_MAX_DESC_DEPTH) {
				dstack[ddepth] = df;
				didx[ddepth++] = di + 1;
				df = json_object_get(json_object_get(d, "struct"), "fields");
				di = 0;
				continue;
			}
			if (opens_substruct(s, jstr(d, "name")) && sdepth < VI_MAX_DESC_DEPTH) {
				sstack[sdepth] = sf;
				sidx[sdepth++] = si + 1;
				sf = json_object_get(json_object_get(s, "struct"), "fields");
				si = 0;
				continue;
			}
			if (!strcmp(jstr(s, "name"), "unused") || !strcmp(jstr(d, "name"), "unused")) {
				int64_t ss = total_size(s), ds = total_size(d);
				if (ss < 0 || ds < 0) {
					goto unused_mismatch;
				} else if (ss == ds) {
					si++;
					di++;
				} else if (!strcmp(jstr(d, "name"), "unused") && ds > ss) {
					unused = ds - ss;	/* dest padding spans several */
					si++;
				} else if (!strcmp(jstr(s, "name"), "unused") && ss > ds) {
					unused = -(ss - ds);	/* source padding does */
					di++;
				} else {
					goto unused_mismatch;
				}
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
			if (c->same_bytes) {
				WARN(c, VI_C_FIELD_RENAMED, path, "Section \"%s\", Description \"%s\": "
				     "expected field \"%s\", got \"%s\"; the description writes the "
				     "same %s bytes on both sides, so the stream loads", c->sec, desc,
				     jstr(s, "name"), jstr(d, "name"), "fixed number of");
				si++;
				di++;
				continue;
			}
			ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\", Description \"%s\": expected "
			    "field \"%s\", got \"%s\"; skipping rest", c->sec, desc, jstr(s, "name"),
			    jstr(d, "name"));
			return;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(s, "name"));
		df_check_version(c, s, d, desc);
		if (!json_object_get(s, "struct") && jint(s, "size", 0) != jint(d, "size", 0) &&
		    c->same_bytes)
			WARN(c, VI_C_FIELD_RENAMED, path, "Section \"%s\" Description \"%s\" Field \"%s\" "
			     "size mismatch: %lld , %lld; the description's total is the same on both "
			     "sides, so the stream loads", c->sec, desc, jstr(s, "name"),
			     (long long)jint(s, "size", 0), (long long)jint(d, "size", 0));
		else if (!json_object_get(s, "struct") && jint(s, "size", 0) != jint(d, "size", 0))
			ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\" Description \"%s\" Field \"%s\" "
			    "size mismatch: %lld , %lld", c->sec, desc, jstr(s, "name"),
			    (long long)jint(s, "size", 0), (long long)jint(d, "size", 0));
		if (json_object_get(s, "struct")) {
			if (!json_object_get(d, "struct"))
				ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\", Description \"%s\", Field "
				    "\"%s\": missing description", c->sec, desc, jstr(s, "name"));
			else
				df_check_desc(c, json_object_get(s, "struct"),
					   json_object_get(d, "struct"), depth + 1);
		}
		si++;
		di++;
	}
	/* Beyond the checker: the destination reads what the source never wrote. */
	if (!sdepth && !ddepth && !unused && !c->same_bytes)
		for (; (d = json_array_get(df, di)); di++)
			if (jint(d, "version_id", 0) <= src_version &&
			    !json_is_true(json_object_get(d, "field_exists"))) {
				snprintf(path, sizeof(path), "%s/%s/%s", c->sec, desc, jstr(d, "name"));
				ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\", Description \"%s\": dest "
				    "has field \"%s\" (version %lld) that the source at version %lld "
				    "does not send: added without a version bump", c->sec, desc,
				    jstr(d, "name"), (long long)jint(d, "version_id", 0),
				    (long long)src_version);
			}
	return;
unused_mismatch:
	snprintf(path, sizeof(path), "%s/%s", c->sec, desc);
	ERR(c, VI_C_FIELD_MISMATCH, path, "Section \"%s\", Description \"%s\": unused size "
	    "mismatch near \"%s\"", c->sec, desc, jstr(s, "name"));
}

/* Each source subsection against the destination's first of that name,
 * found through a name index (jansson's hash table): linear in both lists.
 * A name the source lists again is compared once: N copies on both sides
 * would otherwise give N x N comparisons and findings. */
