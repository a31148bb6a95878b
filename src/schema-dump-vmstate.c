/* schema-dump-vmstate.c - QEMU's raw -dump-vmstate JSON into the
 * normalised schema form (schema.h), as schema_load_file reads it. */
#include <stdio.h>
#include <string.h>
#include "schema.h"
#include "vi-limits.h"

/* ---- raw -dump-vmstate -> normalised ---------------------------------- */

static json_t *conv_desc(json_t *d, int depth);

static void copy(json_t *to, const char *tk, json_t *from, const char *fk)
{
	json_t *v = json_object_get(from, fk);
	if (v)
		json_object_set(to, tk, v);
}

static json_t *conv_field(json_t *f, int depth)
{
	json_t *o = json_object(), *d;

	copy(o, "name", f, "field");
	copy(o, "version_id", f, "version_id");
	copy(o, "field_exists", f, "field_exists");
	copy(o, "size", f, "size");
	copy(o, "num", f, "num");
	if ((d = json_object_get(f, "Description")) && json_is_object(d))
		json_object_set_new(o, "struct", conv_desc(d, depth + 1));
	return o;
}

/* Keys absent from the raw description stay absent ("Fields" missing is
 * not "no fields" to the static checker, and diff reports it). */
static json_t *conv_desc(json_t *d, int depth)
{
	json_t *o = json_object(), *x, *list;
	size_t i;

	copy(o, "name", d, "name");
	copy(o, "version_id", d, "version_id");
	copy(o, "minimum_version_id", d, "minimum_version_id");
	if (depth > VI_MAX_DESC_DEPTH)
		return o;
	if (json_is_array(json_object_get(d, "Fields"))) {
		list = json_array();
		json_array_foreach(json_object_get(d, "Fields"), i, x)
			if (json_is_object(x))
				json_array_append_new(list, conv_field(x, depth));
		json_object_set_new(o, "fields", list);
	}
	if (json_is_array(json_object_get(d, "Subsections"))) {
		list = json_array();
		json_array_foreach(json_object_get(d, "Subsections"), i, x)
			if (json_is_object(x))
				json_array_append_new(list, conv_desc(x, depth + 1));
		json_object_set_new(o, "subsections", list);
	}
	return o;
}

json_t *schema_from_dump_vmstate(json_t *raw, struct vi_error *err)
{
	json_t *doc = json_object(), *vmsds = json_object(), *qom = json_object(), *v, *m;
	/* vmsd name -> its first layout as converted, without the keys added
	 * below: comparing a later type's layout with it costs its own size,
	 * never the number of types that share the vmsd. */
	json_t *first = json_object();
	const char *k;
	char target[300];

	m = json_object_get(json_object_get(raw, "vmschkmachine"), "Name");
	snprintf(target, sizeof(target), "dump-vmstate/%s",
		 json_is_string(m) ? json_string_value(m) : "unknown");
	json_object_set_new(doc, "format", json_string("vmstate-inspect-schema"));
	json_object_set_new(doc, "format_version", json_integer(1));
	json_object_set_new(doc, "target", json_string(target));
	json_object_set_new(doc, "qemu_version", json_string("unknown (raw -dump-vmstate)"));
	if (json_is_string(m))
		json_object_set(doc, "machine", m);
	/* -dump-vmstate lists device classes only: ram, timer, cpu... are missing. */
	json_object_set_new(doc, "device_classes_only", json_true());
	json_object_foreach(raw, k, v) {
		json_t *d = json_object_get(v, "Description"), *name, *have, *q, *conv;
		if (strcmp(k, "vmschkmachine") == 0 || !json_is_object(v))
			continue;
		/* Per QOM type: its own versions and which vmsd it has. */
		q = json_object();
		copy(q, "version_id", v, "version_id");
		copy(q, "minimum_version_id", v, "minimum_version_id");
		json_object_set_new(qom, k, q);
		if (!d) {	/* the static checker's data has such entries */
			json_object_set_new(q, "vmsd", json_null());
			continue;
		}
		if (!json_is_object(d) || !json_is_string(name = json_object_get(d, "name")) ||
		    (json_object_get(d, "Fields") && !json_is_array(json_object_get(d, "Fields")))) {
			vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "-dump-vmstate entry %s: its "
				"Description is not an object with a name and a Fields list", k);
			json_decref(doc);
			json_decref(vmsds);
			json_decref(qom);
			json_decref(first);
			return NULL;
		}
		json_object_set(q, "vmsd", name);
		conv = conv_desc(d, 0);
		if ((have = json_object_get(vmsds, json_string_value(name)))) {
			json_array_append_new(json_object_get(have, "qom_types"), json_string(k));
			/* same name, another layout */
			if (!json_equal(json_object_get(first, json_string_value(name)), conv))
				json_object_set(q, "description", conv);
			json_decref(conv);
			continue;
		}
		json_object_set_new(first, json_string_value(name), json_copy(conv));
		json_object_set_new(conv, "qom_types", json_pack("[s]", k));
		json_object_set_new(conv, "origin", json_string("dump-vmstate"));
		json_object_set_new(vmsds, json_string_value(name), conv);
	}
	json_decref(first);
	json_object_set_new(doc, "vmsds", vmsds);
	json_object_set_new(doc, "qom", qom);
	return doc;
}
