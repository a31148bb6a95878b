/* diff-stream.c - "diff A B" when both are streams: what differs between
 * two saved states.  Device sections are matched by (idstr, instance),
 * their decoded trees by field path; RAM per RAMBlock by content digest
 * (ram-digest.h), with the number of pages that differ.
 *
 * Fields that differ between any two saves of the same idle guest (clocks,
 * timer deadlines, the RTC) are ignored by default: default_ignore below,
 * found by diffing two saves of one running QEMU 7.2 and 10.0 x86_64 guest
 * (tests/diff_stream.py does that again at test time; the RTC's and PIT's
 * other time fields differ between boots too).  A RAM page that differs
 * is the path ram/BLOCK@0xADDRESS.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff-stream.h"
#include "session.h"
#include "vi-limits.h"

#define MAX_PATH 2048

const char *const vi_diff_default_ignore[] = {
	/* the guest's clocks: where QEMU_CLOCK_VIRTUAL stood */
	"timer/cpu_ticks_offset", "timer/cpu_clock_offset",
	/* the RTC's registers hold the time of day */
	"mc146818rtc/cmos_data", "mc146818rtc/base_rtc", "mc146818rtc/last_update",
	"mc146818rtc/update_timer", "mc146818rtc/next_alarm_time",
	/* the PIT's next deadline, in both of its field layouts */
	"i8254/channels/*/next_transition_time", "i8254/channels*next_transition_time",
	"i8254/channels/*/count_load_time",
	/* x86 SeaBIOS: page 0 holds the BIOS data area's timer tick count */
	"ram/pc.ram@0x0",
	NULL
};

struct dctx {
	const struct vi_diff_stream_opts *o;
	json_t *fields, *ignored_paths;
	size_t ignored;
};

static int ignored(struct dctx *c, const char *path)
{
	for (size_t i = 0; i < c->o->nignore; i++)
		if (fnmatch(c->o->ignore[i], path, 0) == 0)
			return 1;
	for (const char *const *p = vi_diff_default_ignore; !c->o->no_default && *p; p++)
		if (fnmatch(*p, path, 0) == 0)
			return 1;
	return 0;
}

static json_t *value_json(const struct vi_node *n)
{
	char hex[2 * VI_MAX_PREVIEW + 1];

	switch (n->vt) {
	case VI_V_UINT: return n->v.u <= INT64_MAX ? json_integer((json_int_t)n->v.u)
						   : json_real((double)n->v.u);
	case VI_V_INT: return json_integer((json_int_t)n->v.i);
	case VI_V_BOOL: return json_boolean(n->v.u);
	case VI_V_DOUBLE: return json_real(n->v.d);
	case VI_V_STR: return json_string(n->v.s) ? json_string(n->v.s) : json_string("?");
	case VI_V_BYTES:
		for (size_t i = 0; i < n->nbytes && i < VI_MAX_PREVIEW; i++)
			snprintf(hex + 2 * i, 3, "%02x", n->bytes[i]);
		hex[2 * (n->nbytes < VI_MAX_PREVIEW ? n->nbytes : VI_MAX_PREVIEW)] = '\0';
		return json_pack("{s:I, s:s}", "bytes", (json_int_t)n->blob_len, "preview", hex);
	default: return json_null();
	}
}

static int same_value(const struct vi_node *a, const struct vi_node *b)
{
	if (a->vt != b->vt)
		return 0;
	switch (a->vt) {
	case VI_V_UINT: case VI_V_BOOL: return a->v.u == b->v.u;
	case VI_V_INT: return a->v.i == b->v.i;
	case VI_V_DOUBLE: return a->v.d == b->v.d || (a->v.d != a->v.d && b->v.d != b->v.d);
	case VI_V_STR: return !strcmp(a->v.s, b->v.s);
	case VI_V_BYTES:	/* the preview and the length: a digest is not kept */
		return a->blob_len == b->blob_len && a->nbytes == b->nbytes &&
		       !memcmp(a->bytes, b->bytes, a->nbytes);
	default: return 1;
	}
}

static void add_field(struct dctx *c, const char *path, const struct vi_node *a,
		      const struct vi_node *b, const char *what)
{
	json_t *x;

	if (ignored(c, path)) {
		c->ignored++;
		if (json_array_size(c->ignored_paths) < 64)
			json_array_append_new(c->ignored_paths, json_string(path));
		return;
	}
	x = json_object();
	json_object_set_new(x, "path", json_string(path) ? json_string(path) : json_string("?"));
	json_object_set_new(x, "what", json_string(what));
	json_object_set_new(x, "offset_a", a ? json_integer((json_int_t)a->offset) : json_null());
	json_object_set_new(x, "offset_b", b ? json_integer((json_int_t)b->offset) : json_null());
	json_object_set_new(x, "a", a ? value_json(a) : json_null());
	json_object_set_new(x, "b", b ? value_json(b) : json_null());
	json_array_append_new(c->fields, x);
}

/* The child of b matching a's i-th child (same name, same occurrence). */
static const struct vi_node *match_kid(const struct vi_node *a, size_t i, const struct vi_node *b)
{
	const char *name = a->kids[i]->name;
	size_t occ = 0, seen = 0;

	if (i < b->nkids && !strcmp(b->kids[i]->name, name)) {
		int unique_before = 1;
		for (size_t k = 0; k < i && unique_before; k++)
			unique_before = strcmp(a->kids[k]->name, name) != 0;
		if (unique_before)
			return b->kids[i];
	}
	for (size_t k = 0; k < i; k++)
		occ += !strcmp(a->kids[k]->name, name);
	for (size_t k = 0; k < b->nkids; k++)
		if (!strcmp(b->kids[k]->name, name) && seen++ == occ)
			return b->kids[k];
	return NULL;
}

static void diff_nodes(struct dctx *c, const struct vi_node *a, const struct vi_node *b,
		       char *path, size_t len)
{
	if (a->kind == VI_N_FOOTER || a->kind == VI_N_WARNING)
		return;
	if (!same_value(a, b))
		add_field(c, path, a, b, "value");
	for (size_t i = 0; i < a->nkids; i++) {
		const struct vi_node *k = a->kids[i], *m = match_kid(a, i, b);
		size_t n = len + (size_t)snprintf(path + len, MAX_PATH - len, "/%s", k->name);
		if (n >= MAX_PATH)
			n = MAX_PATH - 1;
		if (k->kind == VI_N_FOOTER || k->kind == VI_N_WARNING)
			;
		else if (!m)
			add_field(c, path, k, NULL, k->kind == VI_N_SUBSECTION ? "subsection only in a"
										: "only in a");
		else
			diff_nodes(c, k, m, path, n);
		path[len] = '\0';
	}
	for (size_t i = 0; i < b->nkids; i++) {
		const struct vi_node *k = b->kids[i];
		size_t n;
		if (k->kind == VI_N_FOOTER || k->kind == VI_N_WARNING || match_kid(b, i, a))
			continue;
		n = len + (size_t)snprintf(path + len, MAX_PATH - len, "/%s", k->name);
		(void)n;
		add_field(c, path, NULL, k, k->kind == VI_N_SUBSECTION ? "subsection only in b"
								       : "only in b");
		path[len] = '\0';
	}
}

static int is_device(const struct vi_node *n)
{
	return n->kind == VI_N_SECTION && vi_node_attr(n, "instance_id") &&
	       strcmp(n->name, "ram") != 0;
}

static const struct vi_node *find_dev(const struct vi_node *root, const struct vi_node *d)
{
	uint64_t inst = vi_node_attr(d, "instance_id")->u;

	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (is_device(k) && !strcmp(k->name, d->name) &&
		    vi_node_attr(k, "instance_id")->u == inst)
			return k;
	}
	return NULL;
}

static json_t *sec_json(const struct vi_node *n)
{
	return json_pack("{s:s, s:I, s:I, s:I}", "section", n->name,
			 "instance_id", (json_int_t)vi_node_attr(n, "instance_id")->u,
			 "version_id", (json_int_t)vi_node_attr(n, "version_id")->u,
			 "offset", (json_int_t)n->offset);
}

struct page_ctx {
	struct dctx *c;
	const char *block;
	uint64_t page_size, ignored;
	json_t *pages;
};

/* A page that differs: "ram/BLOCK@0xADDR", ignored when a pattern says so. */
static int page_differs(void *ctx, uint64_t index)
{
	struct page_ctx *p = ctx;
	char path[400];

	snprintf(path, sizeof(path), "ram/%s@0x%" PRIx64, p->block, index * p->page_size);
	if (ignored(p->c, path)) {
		p->ignored++;
		p->c->ignored++;
		if (json_array_size(p->c->ignored_paths) < 64)
			json_array_append_new(p->c->ignored_paths, json_string(path) ?
					      json_string(path) : json_string("ram/?"));
		return 1;
	}
	if (json_array_size(p->pages) < 64)
		json_array_append_new(p->pages, json_integer((json_int_t)(index * p->page_size)));
	return 0;
}

static json_t *ram_diff(struct dctx *c, const struct vi_walk *a, const struct vi_walk *b)
{
	json_t *arr = json_array();

	for (int side = 0; side < 2; side++) {
		const struct vi_walk *x = side ? b : a, *y = side ? a : b;
		for (size_t i = 0; i < x->nblocks; i++) {
			const struct vi_ramblock *p = &x->blocks[i], *q = NULL;
			json_t *o;
			for (size_t k = 0; k < y->nblocks && !q; k++)
				if (!strcmp(y->blocks[k].name, p->name))
					q = &y->blocks[k];
			if (side && q)
				continue;		/* done from a's side */
			o = json_object();
			json_object_set_new(o, "block", json_string(p->name) ? json_string(p->name)
								    : json_string("?"));
			if (!q) {
				json_object_set_new(o, side ? "only_in_b" : "only_in_a", json_true());
				json_array_append_new(arr, o);
				continue;
			}
			json_object_set_new(o, "used_length", json_pack("[I,I]",
				(json_int_t)p->used_length, (json_int_t)q->used_length));
			json_object_set_new(o, "zero_pages", json_pack("[I,I]",
				(json_int_t)p->zero_pages, (json_int_t)q->zero_pages));
			json_object_set_new(o, "normal_pages", json_pack("[I,I]",
				(json_int_t)p->normal_pages, (json_int_t)q->normal_pages));
			if (p->pg.unavailable || q->pg.unavailable) {
				json_object_set_new(o, "digest", json_null());
				json_object_set_new(o, "pages_differ", json_null());
				json_object_set_new(o, "same", json_false());
			} else {
				struct page_ctx pc = { c, p->name, a->page_size, 0, json_array() };
				uint64_t d = a->page_size == b->page_size ? ram_pages_differ_each(&p->pg,
					p->used_length, &q->pg, q->used_length, a->page_size,
					page_differs, &pc) : p->used_length / 4096 + 1;
				json_object_set_new(o, "digest", json_pack("[s,s]", p->pg.hex, q->pg.hex));
				json_object_set_new(o, "pages_differ", json_integer((json_int_t)d));
				json_object_set_new(o, "pages_ignored", json_integer((json_int_t)pc.ignored));
				json_object_set_new(o, "page_addresses", pc.pages);
				/* same: equal, or every page that differs is ignored */
				json_object_set_new(o, "same", json_boolean(!strcmp(p->pg.hex, q->pg.hex) ||
					(d == 0 && p->used_length == q->used_length)));
			}
			json_array_append_new(arr, o);
		}
	}
	return arr;
}

json_t *vi_diff_streams(const struct vi_walk *a, const struct vi_walk *b,
			const struct vi_diff_stream_opts *o)
{
	json_t *doc = json_object(), *only_a = json_array(), *only_b = json_array();
	json_t *versions = json_array(), *ram;
	struct dctx c = { o, json_array(), json_array(), 0 };
	char path[MAX_PATH];
	int same;
	size_t ram_differ = 0, i;
	json_t *x;

	for (size_t k = 0; a->root && k < a->root->nkids; k++) {
		const struct vi_node *d = a->root->kids[k], *e;
		if (!is_device(d))
			continue;
		if (!(e = find_dev(b->root, d))) {
			json_array_append_new(only_a, sec_json(d));
			continue;
		}
		if (vi_node_attr(d, "version_id")->u != vi_node_attr(e, "version_id")->u)
			json_array_append_new(versions, json_pack("{s:s, s:I, s:I, s:I}",
				"section", d->name, "instance_id",
				(json_int_t)vi_node_attr(d, "instance_id")->u,
				"a", (json_int_t)vi_node_attr(d, "version_id")->u,
				"b", (json_int_t)vi_node_attr(e, "version_id")->u));
		snprintf(path, sizeof(path), "%s", d->name);
		diff_nodes(&c, d, e, path, strlen(path));
	}
	for (size_t k = 0; b->root && k < b->root->nkids; k++) {
		const struct vi_node *d = b->root->kids[k];
		if (is_device(d) && !find_dev(a->root, d))
			json_array_append_new(only_b, sec_json(d));
	}
	ram = ram_diff(&c, a, b);
	json_array_foreach(ram, i, x)
		ram_differ += !json_is_true(json_object_get(x, "same"));
	same = !json_array_size(only_a) && !json_array_size(only_b) &&
	       !json_array_size(versions) && !json_array_size(c.fields) && !ram_differ;
	json_object_set_new(doc, "same", json_boolean(same));
	json_object_set_new(doc, "sections_only_in_a", only_a);
	json_object_set_new(doc, "sections_only_in_b", only_b);
	json_object_set_new(doc, "versions", versions);
	json_object_set_new(doc, "fields", c.fields);
	json_object_set_new(doc, "ram", ram);
	json_object_set_new(doc, "ignored", json_integer((json_int_t)c.ignored));
	json_object_set_new(doc, "ignored_paths", c.ignored_paths);
	{
		json_t *pat = json_array();
		for (size_t k = 0; k < o->nignore; k++)
			json_array_append_new(pat, json_string(o->ignore[k]));
		for (const char *const *p = vi_diff_default_ignore; !o->no_default && *p; p++)
			json_array_append_new(pat, json_string(*p));
		json_object_set_new(doc, "ignore_patterns", pat);
	}
	return doc;
}

static void print_value(FILE *out, json_t *v)
{
	if (json_is_null(v))
		fputs("-", out);
	else if (json_is_object(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT " bytes %s", json_integer_value(
			json_object_get(v, "bytes")), json_string_value(json_object_get(v, "preview")));
	else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		fputs(s ? s : "?", out);
		free(s);
	}
}

void vi_diff_streams_text(FILE *out, json_t *doc, const char *fa, const char *fb)
{
	json_t *x;
	size_t i;
	char esc[VI_ESC_NAME];

	fprintf(out, "a: %s\nb: %s\n", fa, fb);
	json_array_foreach(json_object_get(doc, "sections_only_in_a"), i, x)
		fprintf(out, "only in a   %s[%" JSON_INTEGER_FORMAT "] v%" JSON_INTEGER_FORMAT
			" at 0x%" PRIx64 "\n",
			vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "section"))),
			json_integer_value(json_object_get(x, "instance_id")),
			json_integer_value(json_object_get(x, "version_id")),
			(uint64_t)json_integer_value(json_object_get(x, "offset")));
	json_array_foreach(json_object_get(doc, "sections_only_in_b"), i, x)
		fprintf(out, "only in b   %s[%" JSON_INTEGER_FORMAT "] v%" JSON_INTEGER_FORMAT
			" at 0x%" PRIx64 "\n",
			vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "section"))),
			json_integer_value(json_object_get(x, "instance_id")),
			json_integer_value(json_object_get(x, "version_id")),
			(uint64_t)json_integer_value(json_object_get(x, "offset")));
	json_array_foreach(json_object_get(doc, "versions"), i, x)
		fprintf(out, "version     %s[%" JSON_INTEGER_FORMAT "]: %" JSON_INTEGER_FORMAT
			" in a, %" JSON_INTEGER_FORMAT " in b\n",
			vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "section"))),
			json_integer_value(json_object_get(x, "instance_id")),
			json_integer_value(json_object_get(x, "a")),
			json_integer_value(json_object_get(x, "b")));
	json_array_foreach(json_object_get(doc, "fields"), i, x) {
		char p[1024];
		json_t *oa = json_object_get(x, "offset_a"), *ob = json_object_get(x, "offset_b");
		fprintf(out, "%-11s %s: ", json_string_value(json_object_get(x, "what")),
			vi_esc(p, sizeof(p), json_string_value(json_object_get(x, "path"))));
		print_value(out, json_object_get(x, "a"));
		if (json_is_integer(oa))
			fprintf(out, " (a 0x%" PRIx64 ")", (uint64_t)json_integer_value(oa));
		fputs(" -> ", out);
		print_value(out, json_object_get(x, "b"));
		if (json_is_integer(ob))
			fprintf(out, " (b 0x%" PRIx64 ")", (uint64_t)json_integer_value(ob));
		fputc('\n', out);
	}
	json_array_foreach(json_object_get(doc, "ram"), i, x) {
		json_t *d = json_object_get(x, "digest");
		if (json_is_true(json_object_get(x, "same")))
			continue;
		vi_esc(esc, sizeof(esc), json_string_value(json_object_get(x, "block")));
		if (json_object_get(x, "only_in_a") || json_object_get(x, "only_in_b")) {
			fprintf(out, "ram         %s: only in %s\n", esc,
				json_object_get(x, "only_in_a") ? "a" : "b");
			continue;
		}
		fprintf(out, "ram         %s: %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT
			" bytes, zero pages %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT
			", pages with data %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT, esc,
			json_integer_value(json_array_get(json_object_get(x, "used_length"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "used_length"), 1)),
			json_integer_value(json_array_get(json_object_get(x, "zero_pages"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "zero_pages"), 1)),
			json_integer_value(json_array_get(json_object_get(x, "normal_pages"), 0)),
			json_integer_value(json_array_get(json_object_get(x, "normal_pages"), 1)));
		if (json_is_array(d))
			fprintf(out, ", xxh3-128 %s / %s, %" JSON_INTEGER_FORMAT " page(s) differ\n",
				json_string_value(json_array_get(d, 0)),
				json_string_value(json_array_get(d, 1)),
				json_integer_value(json_object_get(x, "pages_differ")));
		else
			fputs(", no digest (XBZRLE or compressed pages)\n", out);
	}
	if (json_integer_value(json_object_get(doc, "ignored")))
		fprintf(out, "ignored     %" JSON_INTEGER_FORMAT " difference(s) in volatile fields "
			"(--ignore, and the default set unless --no-default-ignore)\n",
			json_integer_value(json_object_get(doc, "ignored")));
	fprintf(out, "%s\n", json_is_true(json_object_get(doc, "same")) ? "same" : "different");
}
