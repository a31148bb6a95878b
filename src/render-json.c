/* render-json.c - the JSON view (documented in man/vmstate-inspect.1). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "vi-escape.h"
#include "render.h"
#include "render-input.h"
#include "render-json-parts.h"



json_t *rj_uint(uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

json_t *rj_hex(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	size_t k = n < 64 ? n : 64;

	for (size_t i = 0; i < k; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * k] = '\0';
	return json_string(buf);
}

/* JSON has no NaN or infinities (json_real() refuses them): those are
 * written as the strings "NaN", "Infinity" and "-Infinity". */
static json_t *jdouble(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d < 0 ? "-Infinity" : "Infinity");
	return json_real(d);
}

/* Any string: escaped at this edge when it is not valid UTF-8 (vi-escape.h). */
json_t *rj_string(const char *s)
{
	return vi_jstr(s);
}

json_t *rj_value(const struct vi_node *n)
{
	switch (n->vt) {
	case VI_V_UINT: return rj_uint(n->v.u);
	case VI_V_INT: return json_integer((json_int_t)n->v.i);
	case VI_V_BOOL: return json_boolean(n->v.u);
	case VI_V_DOUBLE: return jdouble(n->v.d);
	case VI_V_STR: return rj_string(n->v.s);
	default: return NULL;
	}
}

int rj_scalar_leaf(const struct vi_node *n)
{
	return n->nkids == 0 && n->vt != VI_V_NONE && n->vt != VI_V_BYTES;
}

const char *rj_kids_key(const struct vi_node *parent, const struct vi_node *k)
{
	switch (k->kind) {
	case VI_N_SUBSECTION: return "subsections";
	case VI_N_WARNING: return "warnings";
	case VI_N_SECTION: case VI_N_COMMAND: case VI_N_EOF: return "records";
	case VI_N_RAMBLOCK: return "blocks";
	default:
		return parent->kind == VI_N_FIELD && vi_node_attr(parent, "array_len")
			? "elements" : "fields";
	}
}

json_t *render_json_node(const struct vi_node *n)
{
	json_t *o = json_object(), *v;
	int all_scalar = n->nkids > 0;

	json_object_set_new(o, "name", rj_string(n->name));
	json_object_set_new(o, "type", rj_string(n->type));
	json_object_set_new(o, "offset", rj_uint(n->offset));
	json_object_set_new(o, "length", rj_uint(n->length));
	for (size_t i = 0; i < n->nattrs; i++)
		json_object_set_new(o, n->attrs[i].key, n->attrs[i].is_str
				    ? rj_string(n->attrs[i].s) : rj_uint(n->attrs[i].u));
	if ((v = rj_value(n)))
		json_object_set_new(o, "value", v);
	if (n->vt == VI_V_BYTES) {
		json_object_set_new(o, "hex", rj_hex(n->bytes, n->nbytes));
		if (n->nbytes < n->blob_len)
			json_object_set_new(o, "hex_truncated", json_true());
	}
	for (size_t i = 0; i < n->nkids; i++)
		if (!rj_scalar_leaf(n->kids[i]))
			all_scalar = 0;
	if (all_scalar && vi_node_attr(n, "array_len")) {
		json_t *a = json_array();
		for (size_t i = 0; i < n->nkids; i++)
			json_array_append_new(a, rj_value(n->kids[i]));
		json_object_set_new(o, "value", a);
		return o;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		const struct vi_node *k = n->kids[i];
		if (k->kind == VI_N_FOOTER) {
			json_object_set_new(o, "footer", render_json_node(k));
			continue;
		}
		const char *key = rj_kids_key(n, k);
		json_t *a = json_object_get(o, key);
		if (!a) {
			a = json_array();
			json_object_set_new(o, key, a);
		}
		json_array_append_new(a, render_json_node(k));
	}
	return o;
}

/* The walk error as the document's "error" member: an object, or null. */
json_t *rj_error(const struct vi_doc *doc)
{
	json_t *e;

	if (!doc->err || !doc->err->set)
		return json_null();
	e = json_object();
	json_object_set_new(e, "offset", doc->err->has_offset
			    ? rj_uint(doc->err->offset) : json_null());
	json_object_set_new(e, "message", rj_string(doc->err->msg));
	json_object_set_new(e, "exit_code", json_integer(doc->err->exit_code));
	json_object_set_new(e, "class", json_string(!doc->unjudged ? vi_class_name(vi_error_cls(doc->err)) : "unreadable"));
	return e;
}

json_t *rj_warning(const struct vi_node *n)
{
	json_t *o = json_object();
	json_object_set_new(o, "offset", rj_uint(n->offset));
	json_object_set_new(o, "message", rj_string(n->v.s));
	return o;
}

json_t *render_json(const struct vi_doc *doc)
{
	const struct vi_node *root = doc->root;
	const struct vi_attr *a;
	json_t *o = json_object(), *sections = json_array(), *commands = json_array();
	json_t *warnings = json_array(), *filters = json_array();

	json_object_set_new(o, "format_version", json_integer(RJ_FORMAT_VERSION));
	json_object_set_new(o, "file", rj_string(doc->in->name));
	json_object_set_new(o, "container", doc->in->container
			    ? json_string(doc->in->container) : json_null());
	for (int i = 0; i < doc->in->nfilters; i++)
		json_array_append_new(filters, json_string(doc->in->filters[i]));
	json_object_set_new(o, "filters", filters);
	json_object_set_new(o, "stream_offset", rj_uint(doc->in->base));
	json_object_set_new(o, "stream_size", rj_uint(doc->in->size));
	if (doc->in->libvirt)
		json_object_set_new(o, "libvirt", render_libvirt_json(doc->in->libvirt));
	if (doc->in->has_snapshot)
		json_object_set_new(o, "snapshot", render_snapshot_json(&doc->in->snapshot));
	json_object_set_new(o, "header", json_null());
	json_object_set_new(o, "configuration", json_null());
	json_object_set_new(o, "sections", sections);
	json_object_set_new(o, "commands", commands);
	json_object_set_new(o, "eof", json_null());
	json_object_set_new(o, "vmdesc", json_null());
	json_object_set_new(o, "ram", json_null());
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		switch (k->kind) {
		case VI_N_HEADER: json_object_set_new(o, "header", render_json_node(k)); break;
		case VI_N_CONFIG: json_object_set_new(o, "configuration", render_json_node(k)); break;
		case VI_N_SECTION: json_array_append_new(sections, render_json_node(k)); break;
		case VI_N_COMMAND: json_array_append_new(commands, render_json_node(k)); break;
		case VI_N_EOF: json_object_set_new(o, "eof", render_json_node(k)); break;
		case VI_N_VMDESC: json_object_set_new(o, "vmdesc", render_json_node(k)); break;
		case VI_N_RAM: json_object_set_new(o, "ram", render_json_node(k)); break;
		case VI_N_WARNING: json_array_append_new(warnings, rj_warning(k)); break;
		default: break;
		}
	}
	a = root ? vi_node_attr(root, "undecoded_bytes") : NULL;
	json_object_set_new(o, "undecoded_bytes", a ? rj_uint(a->u) : json_null());
	json_object_set_new(o, "warnings", warnings);
	json_object_set_new(o, "error", rj_error(doc));
	return o;
}

int render_json_dump(FILE *out, json_t *doc)
{
	int rc = json_dumpf(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	return rc;
}
