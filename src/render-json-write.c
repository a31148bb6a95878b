/* render-json-write.c - the JSON view streamed: render_json_write prints
 * what render_json_dump(render_json()) prints (render-json.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-escape.h"
#include "render.h"
#include "render-input.h"
#include "render-json-parts.h"

/* ------------------------------------------------------------ streaming
 *
 * render_json_write prints what render_json_dump(render_json()) prints,
 * byte for byte, without building the document first: a tree of
 * VI_MAX_NODES values would take about 1 KiB of jansson objects per value.
 * Each node's members are collected in the order render_json_node sets
 * them (a key set again keeps its place; json_object_set_new with a NULL
 * value sets nothing), integers and strings are written here as jansson
 * writes them, anything else is handed to jansson.  One thread writes:
 * putc_unlocked saves stdio's locking per character.
 */

enum mkind {
	M_JSON, M_UINT, M_INT, M_STR, M_HEX,            /* values */
	M_KIDS, M_FOOTER, M_SCALARS, M_NODE, M_LIST, M_WARNINGS  /* nodes */
};

struct member {
	const char *key;
	enum mkind kind;
	union { json_t *j; uint64_t u; int64_t i; const char *s; } v;
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

/* What rj_value(n) gives, as a member; 0 if nothing. */
static int mset_value(struct members *ms, const char *key, const struct vi_node *n)
{
	switch (n->vt) {
	case VI_V_UINT: mset_u(ms, key, n->v.u); return 1;
	case VI_V_INT: mset(ms, key, M_INT)->v.i = n->v.i; return 1;
	case VI_V_STR: mset_s(ms, key, n->v.s); return 1;
	case VI_V_BOOL: case VI_V_DOUBLE: mset_json(ms, key, rj_value(n)); return 1;
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

static void newline(FILE *f, int depth)
{
	putc_unlocked('\n', f);
	for (int i = 0; i < depth; i++)
		putc_unlocked(' ', f);
}

/* A jansson value at depth: its own line breaks get depth more spaces. */
static void write_json(FILE *f, json_t *v, int depth)
{
	char *s = json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		if (*p == '\n')
			newline(f, depth);
		else
			putc_unlocked(*p, f);
	}
	free(s);
}

/* A string as jansson's dumper writes rj_string(s). */
static void write_str(FILE *f, const char *s)
{
	vi_put_json_str(f, s);
}

static void write_uint(FILE *f, uint64_t v)
{
	if (v <= INT64_MAX)
		fprintf(f, "%" PRIu64, v);
	else
		fprintf(f, "\"%" PRIu64 "\"", v);	/* juint's string */
}

static void write_node(FILE *f, const struct vi_node *n, int depth);
static void write_member(FILE *f, const struct member *m, int depth);

static int listed(const struct member *m, const struct vi_node *k)
{
	switch (m->kind) {
	case M_KIDS:
		return k->kind != VI_N_FOOTER && strcmp(rj_kids_key(m->node, k), m->key) == 0;
	case M_LIST:
		return (int)k->kind == m->what;
	case M_WARNINGS:
		return k->kind == VI_N_WARNING;
	default:	/* M_SCALARS: every kid is a scalar leaf */
		return 1;
	}
}

/* A list of the parent's kids that m takes; "[]" when there are none. */
static void write_list(FILE *f, const struct member *m, int depth)
{
	const struct vi_node *p = m->node;
	size_t count = 0, k = 0;

	for (size_t i = 0; p && i < p->nkids; i++)
		count += listed(m, p->kids[i]) != 0;
	if (!count) {
		fputs("[]", f);
		return;
	}
	putc_unlocked('[', f);
	for (size_t i = 0; i < p->nkids; i++) {
		const struct vi_node *kid = p->kids[i];
		if (!listed(m, kid))
			continue;
		newline(f, depth + 1);
		if (m->kind == M_WARNINGS) {
			json_t *w = rj_warning(kid);
			write_json(f, w, depth + 1);
			json_decref(w);
		} else if (m->kind == M_SCALARS) {
			struct members one = { 0 };
			mset_value(&one, "value", kid);
			write_member(f, &one.m[0], depth + 1);
			mfree(&one);
		} else {
			write_node(f, kid, depth + 1);
		}
		if (++k < count)
			putc_unlocked(',', f);
	}
	newline(f, depth);
	putc_unlocked(']', f);
}

static void write_member(FILE *f, const struct member *m, int depth)
{
	switch (m->kind) {
	case M_JSON: write_json(f, m->v.j, depth); break;
	case M_UINT: write_uint(f, m->v.u); break;
	case M_INT: fprintf(f, "%" PRId64, m->v.i); break;
	case M_STR: write_str(f, m->v.s); break;
	case M_HEX: {
		json_t *h = rj_hex(m->node->bytes, m->node->nbytes);
		write_json(f, h, depth);
		json_decref(h);
		break;
	}
	case M_FOOTER:
	case M_NODE:
		if (m->node)
			write_node(f, m->node, depth);
		else
			fputs("null", f);
		break;
	default:
		write_list(f, m, depth);
		break;
	}
}

static void write_members(FILE *f, const struct members *ms, int depth)
{
	if (!ms->n) {
		fputs("{}", f);
		return;
	}
	putc_unlocked('{', f);
	for (size_t i = 0; i < ms->n; i++) {
		newline(f, depth + 1);
		write_str(f, ms->m[i].key);
		fputs(": ", f);
		write_member(f, &ms->m[i], depth + 1);
		if (i + 1 < ms->n)
			putc_unlocked(',', f);
	}
	newline(f, depth);
	putc_unlocked('}', f);
}

/* The members render_json_node gives n, in its order. */
static void write_node(FILE *f, const struct vi_node *n, int depth)
{
	struct members ms = { 0 };
	int all_scalar = n->nkids > 0;

	mset_s(&ms, "name", n->name);
	mset_s(&ms, "type", n->type);
	mset_u(&ms, "offset", n->offset);
	mset_u(&ms, "length", n->length);
	for (size_t i = 0; i < n->nattrs; i++) {
		if (n->attrs[i].is_str)
			mset_s(&ms, n->attrs[i].key, n->attrs[i].s);
		else
			mset_u(&ms, n->attrs[i].key, n->attrs[i].u);
	}
	mset_value(&ms, "value", n);
	if (n->vt == VI_V_BYTES) {
		mset(&ms, "hex", M_HEX)->node = n;
		if (n->nbytes < n->blob_len)
			mset_json(&ms, "hex_truncated", json_true());
	}
	for (size_t i = 0; i < n->nkids; i++)
		if (!rj_scalar_leaf(n->kids[i]))
			all_scalar = 0;
	if (all_scalar && vi_node_attr(n, "array_len")) {
		mset(&ms, "value", M_SCALARS)->node = n;
	} else {
		for (size_t i = 0; i < n->nkids; i++) {
			const struct vi_node *k = n->kids[i];
			const char *key;
			int known = 0;
			if (k->kind == VI_N_FOOTER) {
				mset(&ms, "footer", M_FOOTER)->node = k;
				continue;
			}
			key = rj_kids_key(n, k);
			for (size_t j = 0; j < ms.n && !known; j++)
				known = strcmp(ms.m[j].key, key) == 0;
			/* known: a list already, or (json_array_append_new on a
			 * non-array) the kid is dropped */
			if (!known)
				mset(&ms, key, M_KIDS)->node = n;
		}
	}
	write_members(f, &ms, depth);
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

	mset_json(&ms, "format_version", json_integer(RJ_FORMAT_VERSION));
	mset_json(&ms, "file", rj_string(doc->in->name));
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
	a = root ? vi_node_attr(root, "undecoded_bytes") : NULL;
	if (a)
		mset_u(&ms, "undecoded_bytes", a->u);
	else
		mset_json(&ms, "undecoded_bytes", json_null());
	mset(&ms, "warnings", M_WARNINGS)->node = root;
	mset_json(&ms, "error", rj_error(doc));
	write_members(out, &ms, 0);
	mfree(&ms);
	putc_unlocked('\n', out);
	return ferror(out) ? -1 : 0;
}
