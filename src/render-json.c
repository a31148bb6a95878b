/* render-json.c - the JSON view of a decoded tree (documented in
 * man/vmstate-inspect.1), streamed through the one JSON writer (render-jw.c):
 * the document is never built, so memory stays small for trees of any size
 * (a jansson document would take about 1 KiB per value).
 *
 * Each node's members are collected first, in their order, with jansson's
 * set semantics the view has always had (a key set again keeps its place,
 * as an attribute named like a member does; a member set to no value is
 * left out), then written.  One thread writes: the writer uses
 * putc_unlocked. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-escape.h"
#include "render.h"
#include "render-input.h"
#include "render-jw.h"

#define RJ_FORMAT_VERSION 1

/* A node whose value is one scalar and nothing under it. */
static int scalar_leaf(const struct vi_node *n)
{
	return n->nkids == 0 && n->vt != VI_V_NONE && n->vt != VI_V_BYTES;
}

/* The member of its parent's object a kid is listed in. */
static const char *kids_key(const struct vi_node *parent, const struct vi_node *k)
{
	switch (k->kind) {
	case VI_N_SUBSECTION: return "subsections";
	case VI_N_WARNING: return "warnings";
	case VI_N_SECTION: case VI_N_COMMAND: case VI_N_EOF: return "records";
	case VI_N_RAMBLOCK: return "blocks";
	default:
		return parent->kind == VI_N_FIELD && vi_node_has(parent, VI_A_ARRAY_LEN)
			? "elements" : "fields";
	}
}

/* The walk error as the document's "error" member: an object, or null. */
static json_t *error_json(const struct vi_doc *doc)
{
	json_t *e;

	if (!doc->err || !doc->err->set)
		return json_null();
	e = json_object();
	json_object_set_new(e, "offset", doc->err->has_offset
			    ? json_integer((json_int_t)doc->err->offset) : json_null());
	json_object_set_new(e, "message", vi_jstr(doc->err->msg));
	json_object_set_new(e, "exit_code", json_integer(doc->err->exit_code));
	json_object_set_new(e, "class", json_string(!doc->unjudged
		? vi_class_name(vi_error_cls(doc->err)) : "unreadable"));
	return e;
}

enum mkind {
	M_JSON, M_UINT, M_INT, M_STR, M_HEX, M_BOOL, M_REAL,   /* values */
	M_KIDS, M_FOOTER, M_SCALARS, M_NODE, M_LIST, M_WARNINGS  /* nodes */
};

struct member {
	const char *key;
	enum mkind kind;
	union { json_t *j; uint64_t u; int64_t i; const char *s; double d; } v;
	const struct vi_node *node;   /* M_HEX, M_FOOTER, M_NODE: the node;
					 M_KIDS, M_SCALARS, M_LIST,
					 M_WARNINGS: the parent */
	int what;                     /* M_LIST: the vi_kind listed */
};

struct members {
	struct member *m, local[24];
	size_t n, cap;
};

static void mdrop(struct member *m)
{
	if (m->kind == M_JSON)
		json_decref(m->v.j);
}

static struct member *mset(struct members *ms, const char *key, enum mkind kind)
{
	struct member *m = NULL;

	for (size_t i = 0; i < ms->n && !m; i++)
		if (strcmp(ms->m[i].key, key) == 0) {
			m = &ms->m[i];
			mdrop(m);
		}
	if (!m) {
		if (!ms->m) {
			ms->m = ms->local;
			ms->cap = sizeof(ms->local) / sizeof(ms->local[0]);
		}
		if (ms->n == ms->cap) {
			struct member *g = vi_xmalloc(2 * ms->cap * sizeof(*g));
			memcpy(g, ms->m, ms->n * sizeof(*g));
			if (ms->m != ms->local)
				free(ms->m);
			ms->m = g;
			ms->cap *= 2;
		}
		m = &ms->m[ms->n++];
	}
	memset(m, 0, sizeof(*m));
	m->key = key;
	m->kind = kind;
	return m;
}

static void mset_json(struct members *ms, const char *key, json_t *v)
{
	if (v)
		mset(ms, key, M_JSON)->v.j = v;
}

static void mset_u(struct members *ms, const char *key, uint64_t u)
{
	mset(ms, key, M_UINT)->v.u = u;
}

static void mset_s(struct members *ms, const char *key, const char *s)
{
	mset(ms, key, M_STR)->v.s = s;
}

/* n's own value as a member; 0 if it has none. */
static int mset_value(struct members *ms, const char *key, const struct vi_node *n)
{
	switch (n->vt) {
	case VI_V_UINT: mset_u(ms, key, n->v.u); return 1;
	case VI_V_INT: mset(ms, key, M_INT)->v.i = n->v.i; return 1;
	case VI_V_STR: mset_s(ms, key, n->v.s); return 1;
	case VI_V_BOOL: mset(ms, key, M_BOOL)->v.u = n->v.u; return 1;
	case VI_V_DOUBLE: mset(ms, key, M_REAL)->v.d = n->v.d; return 1;
	default: return 0;
	}
}

static void mfree(struct members *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		mdrop(&ms->m[i]);
	if (ms->m != ms->local)
		free(ms->m);
}

/* The first 64 bytes of a value, in hex. */
static void write_hex(struct vi_jw *w, const struct vi_node *n)
{
	char buf[2 * 64 + 1];
	size_t k = n->nbytes < 64 ? n->nbytes : 64;

	for (size_t i = 0; i < k; i++)
		snprintf(buf + 2 * i, 3, "%02x", n->bytes[i]);
	buf[2 * k] = '\0';
	vi_jw_str(w, buf);
}

static void write_node(struct vi_jw *w, const struct vi_node *n);
static void write_member(struct vi_jw *w, const struct member *m);

static int listed(const struct member *m, const struct vi_node *k)
{
	switch (m->kind) {
	case M_KIDS:
		return strcmp(kids_key(m->node, k), m->key) == 0;
	case M_LIST:
		return (int)k->kind == m->what;
	case M_WARNINGS:
		return k->kind == VI_N_WARNING;
	default:	/* M_SCALARS: every kid is a scalar leaf */
		return 1;
	}
}

/* A list of the parent's kids that m takes. */
static void write_list(struct vi_jw *w, const struct member *m)
{
	const struct vi_node *p = m->node;

	vi_jw_arr(w);
	for (size_t i = 0; p && i < p->nkids; i++) {
		const struct vi_node *kid = p->kids[i];
		if (!listed(m, kid))
			continue;
		if (m->kind == M_WARNINGS) {
			vi_jw_obj(w);
			vi_jw_kuint(w, "offset", kid->offset);
			vi_jw_kstr(w, "message", kid->v.s);
			vi_jw_end(w);
		} else if (m->kind == M_SCALARS) {
			struct members one = { 0 };
			mset_value(&one, "value", kid);	/* a scalar leaf: one member */
			write_member(w, &one.m[0]);
			mfree(&one);
		} else {
			write_node(w, kid);
		}
	}
	vi_jw_end(w);
}

static void write_member(struct vi_jw *w, const struct member *m)
{
	switch (m->kind) {
	case M_JSON: vi_jw_json(w, m->v.j); break;
	case M_UINT: vi_jw_uint(w, m->v.u); break;
	case M_INT: vi_jw_int(w, m->v.i); break;
	case M_STR: vi_jw_str(w, m->v.s); break;
	case M_BOOL: vi_jw_bool(w, m->v.u != 0); break;
	case M_REAL: vi_jw_real(w, m->v.d); break;
	case M_HEX: write_hex(w, m->node); break;
	case M_FOOTER:
	case M_NODE:
		if (m->node)
			write_node(w, m->node);
		else
			vi_jw_null(w);
		break;
	default:
		write_list(w, m);
		break;
	}
}

static void write_members(struct vi_jw *w, const struct members *ms)
{
	vi_jw_obj(w);
	for (size_t i = 0; i < ms->n; i++) {
		vi_jw_key(w, ms->m[i].key);
		write_member(w, &ms->m[i]);
	}
	vi_jw_end(w);
}

/* A node: name, type, offset, length, its attributes, its value, its kids
 * (an array of scalars as one "value" list). */
static void write_node(struct vi_jw *w, const struct vi_node *n)
{
	struct members ms = { 0 };
	int all_scalar = n->nkids > 0;
	struct vi_node fbuf;
	struct vi_attr fattr;
	const struct vi_node *footer;

	mset_s(&ms, "name", n->name);
	mset_s(&ms, "type", n->type);
	mset_u(&ms, "offset", n->offset);
	mset_u(&ms, "length", n->length);
	for (size_t i = 0; i < n->nattrs; i++) {
		if (n->attrs[i].is_str)
			mset_s(&ms, vi_attr_name(&n->attrs[i]), n->attrs[i].s);
		else
			mset_u(&ms, vi_attr_name(&n->attrs[i]), n->attrs[i].u);
	}
	mset_value(&ms, "value", n);
	if (n->vt == VI_V_BYTES) {
		mset(&ms, "hex", M_HEX)->node = n;
		if (n->nbytes < n->blob_len)
			mset(&ms, "hex_truncated", M_BOOL)->v.u = 1;
	}
	for (size_t i = 0; i < n->nkids; i++)
		if (!scalar_leaf(n->kids[i]))
			all_scalar = 0;
	if (all_scalar && vi_node_has(n, VI_A_ARRAY_LEN)) {
		mset(&ms, "value", M_SCALARS)->node = n;
	} else {
		for (size_t i = 0; i < n->nkids; i++) {
			const struct vi_node *k = n->kids[i];
			const char *key;
			int known = 0;
			key = kids_key(n, k);
			for (size_t j = 0; j < ms.n && !known; j++)
				known = strcmp(ms.m[j].key, key) == 0;
			/* known: a list already, or (json_array_append_new on a
			 * non-array) the kid is dropped */
			if (!known)
				mset(&ms, key, M_KIDS)->node = n;
		}
	}
	if ((footer = vi_node_footer(n, &fbuf, &fattr)))	/* after the kids, as in the stream */
		mset(&ms, "footer", M_FOOTER)->node = footer;
	write_members(w, &ms);
	mfree(&ms);
}

/* The last top-level node of a kind (json_object_set_new replaces). */
static const struct vi_node *last_kid(const struct vi_node *root, enum vi_kind kind)
{
	const struct vi_node *found = NULL;

	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == kind)
			found = root->kids[i];
	return found;
}

int render_json_write(FILE *out, const struct vi_doc *doc)
{
	static const struct { const char *key; enum mkind kind; int what; } top[] = {
		{ "header", M_NODE, VI_N_HEADER }, { "configuration", M_NODE, VI_N_CONFIG },
		{ "sections", M_LIST, VI_N_SECTION }, { "commands", M_LIST, VI_N_COMMAND },
		{ "eof", M_NODE, VI_N_EOF }, { "vmdesc", M_NODE, VI_N_VMDESC },
		{ "ram", M_NODE, VI_N_RAM },
	};
	const struct vi_node *root = doc->root;
	const struct vi_attr *a;
	struct members ms = { 0 };
	json_t *filters = json_array();
	struct vi_jw w;

	mset_json(&ms, "format_version", json_integer(RJ_FORMAT_VERSION));
	if (doc->in->name)
		mset_s(&ms, "file", doc->in->name);
	mset_json(&ms, "container", doc->in->container
		  ? json_string(doc->in->container) : json_null());
	for (int i = 0; i < doc->in->nfilters; i++)
		json_array_append_new(filters, json_string(doc->in->filters[i]));
	mset_json(&ms, "filters", filters);
	mset_u(&ms, "stream_offset", doc->in->base);
	mset_u(&ms, "stream_size", doc->in->size);
	if (doc->in->libvirt)
		mset_json(&ms, "libvirt", render_libvirt_json(doc->in->libvirt));
	if (doc->in->has_snapshot)
		mset_json(&ms, "snapshot", render_snapshot_json(&doc->in->snapshot));
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		struct member *m = mset(&ms, top[i].key, top[i].kind);
		m->what = top[i].what;
		m->node = top[i].kind == M_LIST ? root
			: last_kid(root, (enum vi_kind)top[i].what);
	}
	a = root ? vi_node_get(root, VI_A_UNDECODED_BYTES) : NULL;
	if (a)
		mset_u(&ms, "undecoded_bytes", a->u);
	else
		mset_json(&ms, "undecoded_bytes", json_null());
	mset(&ms, "warnings", M_WARNINGS)->node = root;
	mset_json(&ms, "error", error_json(doc));
	vi_jw_init(&w, out, 1, 0);
	write_members(&w, &ms);
	mfree(&ms);
	return vi_jw_done(&w);
}
