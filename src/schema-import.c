/* schema-import.c - merge -dump-vmstate with what real streams reveal.
 *
 * -dump-vmstate knows names, versions, sizes and subsections but not field
 * types, variable counts or buffer sizes; a stream's trailer knows those for
 * what it contains.  Counts and sizes of variable arrays and buffers are tied
 * to the earlier sibling whose decoded value matches (count_from/size_from).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "schema-import.h"
#include "schema-import-kids.h"
#include "vi-limits.h"

static json_t *new_vmsd(const char *name, json_int_t version, const char *origin)
{
	json_t *v = json_object();

	json_object_set_new(v, "name", json_string(name));
	json_object_set_new(v, "version_id", json_integer(version));
	json_object_set_new(v, "minimum_version_id", json_null());
	json_object_set_new(v, "origin", json_string(origin));
	json_object_set_new(v, "fields", json_array());
	json_object_set_new(v, "subsections", json_array());
	return v;
}

static void set_if_absent(json_t *o, const char *k, json_t *v)
{
	if (!json_object_get(o, k))
		json_object_set(o, k, v);
	json_decref(v);
}

static int is_buffer(const char *type)
{
	return type && (strcmp(type, "buffer") == 0 || strcmp(type, "unused_buffer") == 0);
}

static void merge_desc(struct vi_import *im, json_t *sv, json_t *vd,
		       struct vi_node *node, int depth);

/* sfields' name index, name -> [positions], kept in im->index under the
 * list's address (with a reference to the list, so the address stays its
 * own) and updated when a field is appended. */
static json_t *field_index(struct vi_import *im, json_t *sfields, int make)
{
	char key[32];
	json_t *e, *ix, *f, *list;
	size_t i;

	snprintf(key, sizeof(key), "%p", (void *)sfields);
	if (!im->index)
		im->index = json_object();
	if ((e = json_object_get(im->index, key)) || !make)
		return json_array_get(e, 1);
	ix = json_object();
	json_array_foreach(sfields, i, f) {
		const char *n = jstr(f, "name");
		if (!n)
			continue;
		if (!(list = json_object_get(ix, n)))
			json_object_set_new(ix, n, list = json_array());
		json_array_append_new(list, json_integer((json_int_t)i));
	}
	json_object_set_new(im->index, key, json_pack("[Oo]", sfields, ix));
	return ix;
}

static void field_index_add(struct vi_import *im, json_t *sfields, const char *name, size_t i)
{
	json_t *ix = field_index(im, sfields, 0), *list;

	if (!ix)
		return;		/* built with this field when first needed */
	if (!(list = json_object_get(ix, name)))
		json_object_set_new(ix, name, list = json_array());
	json_array_append_new(list, json_integer((json_int_t)i));
}

/* The first field called vname at or after *cursor, or "name[k]": the k-th
 * field called name (QEMU's de-duplication).  Fields mostly come in order,
 * so the next two are tried before the index. */
static json_t *find_field(struct vi_import *im, json_t *sfields, const char *vname,
			  size_t *cursor)
{
	char base[300];
	const char *br = strrchr(vname, '[');
	size_t i, lo, hi, n = json_array_size(sfields);
	json_t *list;

	for (i = *cursor; i < n && i < *cursor + 2; i++)
		if (jstr(json_array_get(sfields, i), "name") &&
		    strcmp(jstr(json_array_get(sfields, i), "name"), vname) == 0)
			goto found;
	list = json_object_get(field_index(im, sfields, 1), vname);
	lo = 0;
	hi = json_array_size(list);
	while (lo < hi) {	/* first position >= *cursor */
		size_t mid = lo + (hi - lo) / 2;
		if ((size_t)json_integer_value(json_array_get(list, mid)) < *cursor)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < json_array_size(list)) {
		i = (size_t)json_integer_value(json_array_get(list, lo));
		goto found;
	}
	if (br && vname[strlen(vname) - 1] == ']' && (size_t)(br - vname) < sizeof(base)) {
		int dup;
		memcpy(base, vname, (size_t)(br - vname));
		base[br - vname] = '\0';
		dup = atoi(br + 1);
		list = json_object_get(field_index(im, sfields, 1), base);
		if (dup >= 0 && (size_t)dup < json_array_size(list)) {
			i = (size_t)json_integer_value(json_array_get(list, (size_t)dup));
			goto found;
		}
	}
	return NULL;
found:
	*cursor = i;
	return json_array_get(sfields, i);
}

/* QEMU 11 writes the elements of some arrays of structs as entries of the
 * same name, with neither "index" nor "array_len": the first of such a run
 * (a name no entry before it has, repeated right after it) starts an array. */
static int run_starts(json_t *vfields, size_t k, const char *name)
{
	const char *next = jstr(json_array_get(vfields, k + 1), "name");
	const char *prev = k ? jstr(json_array_get(vfields, k - 1), "name") : NULL;

	return next && strcmp(next, name) == 0 && !(prev && strcmp(prev, name) == 0);
}

static void merge_field(struct vi_import *im, json_t *sv, json_t *vf, size_t k,
			json_t *vfields, struct kids *ks, size_t *cursor, int depth,
			unsigned char *seen)
{
	json_t *sfields = json_object_get(sv, "fields"), *sf, *sub;
	const char *name = jstr(vf, "name"), *type = jstr(vf, "type");
	json_int_t size = json_integer_value(json_object_get(vf, "size"));
	json_t *alen = json_object_get(vf, "array_len"), *idx = json_object_get(vf, "index");
	struct vi_node *kid = ik_kid_at(ks, k);

	if (!name || !type)
		return;
	sf = find_field(im, sfields, name, cursor);
	if (!sf) {
		const char *origin = jstr(sv, "origin");
		if (!origin || strcmp(origin, "vmdesc") != 0) {	/* -dump-vmstate's layout */
			im->unmatched++;
			return;
		}
		sf = json_object();
		json_object_set_new(sf, "name", json_string(name));
		json_object_set_new(sf, "version_id", json_integer(0));
		json_object_set_new(sf, "field_exists", json_false());
		json_object_set_new(sf, "size", json_integer(size));
		json_array_append_new(sfields, sf);
		*cursor = json_array_size(sfields) - 1;
		field_index_add(im, sfields, name, *cursor);
	}
	if (*cursor < 4096)
		seen[*cursor] = 1;
	set_if_absent(sf, "type", json_string(type));
	set_if_absent(sf, "observed_size", json_integer(size));
	json_object_del(sf, "observed_absent");
	if (json_is_integer(alen) || (json_is_integer(idx) && json_integer_value(idx) == 0) ||
	    (!idx && run_starts(vfields, k, name))) {
		json_int_t n = json_integer_value(alen);
		json_t *old = json_object_get(sf, "observed_array_len"), *cands;
		if (!json_is_integer(alen)) {	/* one entry per element */
			n = 0;
			for (size_t i = k; i < json_array_size(vfields); i++) {
				json_t *e = json_array_get(vfields, i);
				if (!jstr(e, "name") || strcmp(jstr(e, "name"), name) != 0)
					break;
				n++;
			}
		}
		if (old && json_integer_value(old) != n)
			json_object_set_new(sf, "array_len_varies", json_true());
		json_object_set_new(sf, "observed_array_len", json_integer(n));
		/* A count held by a sibling is only believed when counts were seen
		 * to vary and one sibling always matched; otherwise it is fixed. */
		cands = ik_intersect(sf, "count_candidates", ik_siblings_with(ks, k, (uint64_t)n, 0));
		if (!json_object_get(sf, "num") && json_is_true(json_object_get(sf, "array_len_varies")) &&
		    json_array_size(cands))
			json_object_set(sf, "count_from", json_array_get(cands, 0));
		else
			json_object_del(sf, "count_from");
	} else if (is_buffer(type) && !json_object_get(sf, "num") &&
		   json_integer_value(json_object_get(sf, "size")) != size) {
		json_int_t mult = json_integer_value(json_object_get(sf, "size"));
		json_t *cands = ik_intersect(sf, "size_candidates",
					  ik_siblings_with(ks, k, (uint64_t)size, (uint64_t)mult));
		if (json_array_size(cands))
			json_object_set(sf, "size_from", json_array_get(cands, 0));
		else
			json_object_del(sf, "size_from");
	}
	sub = json_object_get(vf, "struct");
	if (!json_is_object(sub) && json_is_array(json_object_get(vf, "fields")))
		sub = vf;	/* WITH_TMP / VSTRUCT: described inline */
	if (json_is_object(sub) && kid && depth < VI_MAX_DESC_DEPTH) {
		json_t *ss = json_object_get(sf, "struct");
		/* Compressed arrays have one layout: element 0 says it all.  Arrays
		 * written element by element ("index") are merged one by one. */
		struct vi_node *elem = vi_node_get(kid, VI_A_ARRAY_LEN) ? ik_field_kid(kid, 0) : kid;
		if (!ss) {
			ss = new_vmsd(jstr(sub, "vmsd_name") ? jstr(sub, "vmsd_name") : name,
				      json_integer_value(json_object_get(sub, "version")), "vmdesc");
			json_object_set_new(sf, "struct", ss);
		}
		merge_desc(im, ss, sub, elem, depth + 1);
	}
}

/* field_exists tests mostly look at an earlier field: find the earlier
 * sibling whose being non-zero matched the field's presence every time. */
static void infer_exists(json_t *sv, size_t i, int present, struct kids *ks)
{
	json_t *fields = json_object_get(sv, "fields"), *sf = json_array_get(fields, i);
	json_t *names = json_array(), *cands;

	for (size_t j = i; j-- > 0 && i - j <= LOOKBACK &&
			   json_array_size(names) < MAX_CANDIDATES;) {	/* nearest first */
		const char *n = jstr(json_array_get(fields, j), "name");
		int64_t v = n ? ik_kid_value(ks, n) : -1;
		if (v >= 0 && (v != 0) == (present != 0))
			json_array_append_new(names, json_string(n));
	}
	json_object_set_new(sf, present ? "seen_present" : "seen_absent", json_true());
	cands = ik_intersect(sf, "exists_candidates", names);
	if (json_is_true(json_object_get(sf, "seen_present")) &&
	    json_is_true(json_object_get(sf, "seen_absent")) && json_array_size(cands))
		json_object_set(sf, "exists_if_nonzero", json_array_get(cands, 0));
	else
		json_object_del(sf, "exists_if_nonzero");
}

static void merge_desc(struct vi_import *im, json_t *sv, json_t *vd,
		       struct vi_node *node, int depth)
{
	json_t *vfields = json_object_get(vd, "fields"), *x;
	size_t i, cursor = 0;
	unsigned char seen[4096] = { 0 };
	struct kids ks;

	if (!json_is_array(json_object_get(sv, "fields")))
		json_object_set_new(sv, "fields", json_array());
	if (!json_is_array(json_object_get(sv, "subsections")))
		json_object_set_new(sv, "subsections", json_array());
	ik_kids_init(&ks, node);
	json_array_foreach(vfields, i, x)
		if (json_is_object(x))
			merge_field(im, sv, x, i, vfields, &ks, &cursor, depth, seen);
	/* A field this stream did not write although the vmstate was: a
	 * field_exists test said no, or a variable array or buffer was empty. */
	json_array_foreach(json_object_get(sv, "fields"), i, x)
		if (i < sizeof(seen) && !seen[i] && !json_object_get(x, "observed_size"))
			json_object_set_new(x, "observed_absent", json_true());
	json_array_foreach(json_object_get(sv, "fields"), i, x)
		if (i < sizeof(seen) && json_is_true(json_object_get(x, "field_exists")))
			infer_exists(sv, i, seen[i], &ks);
	json_array_foreach(json_object_get(vd, "subsections"), i, x) {
		const char *n = jstr(x, "vmsd_name");
		json_t *ss, *subs = json_object_get(sv, "subsections");
		json_t *at = n ? json_object_get(field_index(im, subs, 1), n) : NULL;
		if (!n)
			continue;
		/* schema_subsection(sv, n), through the name index */
		if (!(ss = at ? json_array_get(subs, (size_t)json_integer_value(json_array_get(at, 0)))
			      : NULL)) {
			ss = new_vmsd(n, json_integer_value(json_object_get(x, "version")), "vmdesc");
			json_array_append_new(subs, ss);
			field_index_add(im, subs, n, json_array_size(subs) - 1);
		}
		json_object_set_new(ss, "observed", json_true());
		merge_desc(im, ss, x, ik_kid_subsection(&ks, n), depth + 1);
	}
	ik_kids_free(&ks);
}

/* Does layout sv list the trailer entry's first field? */
static int fits(struct vi_import *im, json_t *sv, json_t *entry)
{
	json_t *first = json_array_get(json_object_get(entry, "fields"), 0);
	size_t cursor = 0;

	return !first || !jstr(first, "name") ||
	       find_field(im, json_object_get(sv, "fields"), jstr(first, "name"), &cursor);
}

void import_section(struct vi_import *im, json_t *entry, struct vi_node *sec)
{
	const char *vname = jstr(entry, "vmsd_name");
	const struct vi_attr *ver = vi_node_get(sec, VI_A_VERSION_ID);
	json_t *sv;

	if (!vname)	/* old-style section: no vmsd, only its size */
		vname = vi_idstr_vmsd(sec->name);
	if (!(sv = json_object_get(im->vmsds, vname))) {
		sv = new_vmsd(vname, ver ? (json_int_t)ver->u : 0, "vmdesc");
		if (!jstr(entry, "vmsd_name"))
			json_object_set_new(sv, "old_style", json_true());
		json_object_set_new(im->vmsds, vname, sv);
	}
	if (!fits(im, sv, entry)) {	/* another class's layout of this name? */
		json_t *x;
		size_t i;
		json_array_foreach(json_object_get(sv, "variants"), i, x)
			if (fits(im, x, entry)) {
				sv = x;
				break;
			}
	}
	json_object_set_new(sv, "observed", json_true());
	merge_desc(im, sv, entry, sec, 0);
}

void import_live_section(struct vi_import *im, const char *idstr, uint32_t version)
{
	json_t *sv = json_object_get(im->vmsds, idstr);

	if (!sv) {
		sv = new_vmsd(idstr, version, "vmdesc");
		json_object_set_new(sv, "live", json_true());
		json_object_set_new(im->vmsds, idstr, sv);
	}
	json_object_set_new(sv, "observed", json_true());
}

int import_extra(struct vi_import *im, json_t *extra)
{
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(extra, "vmsds"), k, v) {
		json_t *sv = json_object_get(im->vmsds, k);
		json_t *ver = json_object_get(v, "version_id");
		json_t *min = json_object_get(v, "minimum_version_id");
		if (!json_is_integer(ver) || !json_is_integer(min))
			return -1;
		if (!sv) {
			sv = new_vmsd(k, json_integer_value(ver), "extra");
			json_object_set_new(im->vmsds, k, sv);
		}
		if (json_is_null(json_object_get(sv, "minimum_version_id")))
			json_object_set(sv, "minimum_version_id", min);
		/* every registration passes this literal instance id */
		if (json_is_integer(json_object_get(v, "instance_id")))
			json_object_set(sv, "registered_instance_id", json_object_get(v, "instance_id"));
	}
	return 0;
}

void import_free(struct vi_import *im)
{
	json_decref(im->index);
	im->index = NULL;
}

void import_finish(json_t *v, int depth)
{
	static const char *const scratch[] = { "count_candidates", "size_candidates",
		"exists_candidates", "seen_present", "seen_absent", "array_len_varies" };
	const char *k;
	json_t *x;
	size_t i;

	if (depth > VI_MAX_DESC_DEPTH + 4)
		return;
	if (json_is_object(v)) {
		for (i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
			json_object_del(v, scratch[i]);
		json_object_foreach(v, k, x)
			import_finish(x, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			import_finish(x, depth + 1);
	}
}
