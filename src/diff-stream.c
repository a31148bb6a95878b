/* diff-stream.c - "diff A B" when both are streams: what differs between
 * two saved states.  Device sections are matched by (idstr, instance),
 * their decoded trees by field path; RAM per RAMBlock by content digest
 * (vi-ram-digest.h), with the number of pages that differ.
 *
 * Fields that differ between any two saves of the same idle guest (clocks,
 * timer deadlines, the RTC) are ignored by default: default_ignore below,
 * found by diffing two saves of one running QEMU 7.2 and 10.0 guest on
 * x86_64, aarch64, ppc64, s390x and riscv64 (tests/diff_stream.py does that
 * again at test time; the RTC's and PIT's other time fields differ between
 * boots too).  Only START and FULL records are a device's state: how many
 * PART records an iterative section (s390-storage_attributes, block
 * dirty bitmaps) sent depends on how long the migration took, like RAM.  A RAM page that differs
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
	/* a timer interrupt raised but not yet taken when the idle guest was
	 * stopped: the PIC's request register and the vCPU's pending mask */
	"i8259/irr", "cpu_common/interrupt_request",
	/* x86 SeaBIOS: page 0 holds the BIOS data area's timer tick count */
	"ram/pc.ram@0x0",
	/* aarch64 PL031, riscv64 Goldfish RTC: the time of day, saved as an
	 * offset from the guest clock that moves whenever host time crosses a
	 * second the stopped guest's clock did not (seen under load) */
	"pl031/tick_offset_vmstate", "goldfish_rtc/tick_offset_vmstate",
	/* s390x: the TOD clock */
	"todclock/data",
	/* ppc64 pseries: the timebase, the time of day sent with it, and the
	 * decrementer (SPR 22) that counts down with the timebase */
	"spapr/tb/guest_timebase", "spapr/tb/time_of_the_day_ns", "cpu/env.spr/[[]22]",
	NULL
};

struct dctx {
	struct vi_reader *ra, *rb;    /* the streams, for buffers longer than a preview */
	const struct vi_diff_stream_opts *o;
	json_t *fields, *ignored_paths;
	size_t ignored;
};

/* A JSON string, or fallback when s is not UTF-8. */
static json_t *jstr(const char *s, const char *fallback)
{
	json_t *j = json_string(s);
	return j ? j : json_string(fallback);
}

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
	case VI_V_STR: return jstr(n->v.s, "?");
	case VI_V_BYTES:
		for (size_t i = 0; i < n->nbytes && i < VI_MAX_PREVIEW; i++)
			snprintf(hex + 2 * i, 3, "%02x", n->bytes[i]);
		hex[2 * (n->nbytes < VI_MAX_PREVIEW ? n->nbytes : VI_MAX_PREVIEW)] = '\0';
		return json_pack("{s:I, s:s}", "bytes", (json_int_t)n->blob_len, "preview", hex);
	default: return json_null();
	}
}

/* Are the stream bytes of a (in ra) and b (in rb) equal? */
static int same_bytes(struct dctx *c, const struct vi_node *a, const struct vi_node *b)
{
	uint8_t x[4096], y[4096];

	if (a->length != b->length)
		return 0;
	for (uint64_t done = 0; done < a->length;) {
		size_t k = a->length - done < sizeof(x) ? (size_t)(a->length - done) : sizeof(x);
		if (rd_peek_at(c->ra, a->offset + done, x, k) != k ||
		    rd_peek_at(c->rb, b->offset + done, y, k) != k)
			return 0;
		if (memcmp(x, y, k))
			return 0;
		done += k;
	}
	return 1;
}

static int same_value(struct dctx *c, const struct vi_node *a, const struct vi_node *b)
{
	if (a->vt != b->vt)
		return 0;
	switch (a->vt) {
	case VI_V_UINT: case VI_V_BOOL: return a->v.u == b->v.u;
	case VI_V_INT: return a->v.i == b->v.i;
	case VI_V_DOUBLE: return a->v.d == b->v.d || (a->v.d != a->v.d && b->v.d != b->v.d);
	case VI_V_STR: return !strcmp(a->v.s, b->v.s);
	case VI_V_BYTES:	/* the preview first, then every byte in the streams */
		return a->blob_len == b->blob_len && a->nbytes == b->nbytes &&
		       !memcmp(a->bytes, b->bytes, a->nbytes) &&
		       (a->blob_len <= a->nbytes || same_bytes(c, a, b));
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
			json_array_append_new(c->ignored_paths, jstr(path, "?"));
		return;
	}
	x = json_object();
	json_object_set_new(x, "path", jstr(path, "?"));
	json_object_set_new(x, "what", json_string(what));
	json_object_set_new(x, "offset_a", a ? json_integer((json_int_t)a->offset) : json_null());
	json_object_set_new(x, "offset_b", b ? json_integer((json_int_t)b->offset) : json_null());
	json_object_set_new(x, "a", a ? value_json(a) : json_null());
	json_object_set_new(x, "b", b ? value_json(b) : json_null());
	json_array_append_new(c->fields, x);
}

/* Pairing the children of a and b: same name, same occurrence of that
 * name.  Identical name lists (the usual case) pair by position; otherwise
 * both lists are sorted by (name, position) and merged, O(n log n) however
 * the names repeat. */
struct kid { const char *name; size_t pos; };

static int kid_cmp(const void *x, const void *y)
{
	const struct kid *p = x, *q = y;
	int c = strcmp(p->name, q->name);
	return c ? c : (p->pos > q->pos) - (p->pos < q->pos);
}

static struct kid *sorted_kids(const struct vi_node *n)
{
	struct kid *k = vi_xmalloc((n->nkids ? n->nkids : 1) * sizeof(*k));

	for (size_t i = 0; i < n->nkids; i++)
		k[i] = (struct kid){ n->kids[i]->name, i };
	qsort(k, n->nkids, sizeof(*k), kid_cmp);
	return k;
}

/* ma[i]: the index in b of a's i-th child's partner, or SIZE_MAX; mb the same
 * for b's children. */
static void pair_kids(const struct vi_node *a, const struct vi_node *b, size_t *ma, size_t *mb)
{
	struct kid *ka, *kb;
	size_t i = 0, j = 0;
	int same = a->nkids == b->nkids;

	for (size_t k = 0; same && k < a->nkids; k++)
		same = !strcmp(a->kids[k]->name, b->kids[k]->name);
	if (same) {
		for (size_t k = 0; k < a->nkids; k++)
			ma[k] = mb[k] = k;
		return;
	}
	for (size_t k = 0; k < a->nkids; k++)
		ma[k] = SIZE_MAX;
	for (size_t k = 0; k < b->nkids; k++)
		mb[k] = SIZE_MAX;
	ka = sorted_kids(a);
	kb = sorted_kids(b);
	while (i < a->nkids && j < b->nkids) {
		int c = strcmp(ka[i].name, kb[j].name);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {	/* the n-th of this name in a with the n-th in b */
			ma[ka[i].pos] = kb[j].pos;
			mb[kb[j].pos] = ka[i].pos;
			i++, j++;
		}
	}
	free(ka);
	free(kb);
}

static void diff_nodes(struct dctx *c, const struct vi_node *a, const struct vi_node *b,
		       char *path, size_t len)
{
	size_t *ma, *mb;

	if (a->kind == VI_N_WARNING)
		return;
	if (!same_value(c, a, b))
		add_field(c, path, a, b, "value");
	ma = vi_xmalloc((a->nkids + 1) * sizeof(*ma));
	mb = vi_xmalloc((b->nkids + 1) * sizeof(*mb));
	pair_kids(a, b, ma, mb);
	for (size_t i = 0; i < a->nkids; i++) {
		const struct vi_node *k = a->kids[i];
		size_t n = len + (size_t)snprintf(path + len, MAX_PATH - len, "/%s", k->name);
		if (n >= MAX_PATH)
			n = MAX_PATH - 1;
		if (k->kind == VI_N_WARNING)
			;
		else if (ma[i] == SIZE_MAX)
			add_field(c, path, k, NULL, k->kind == VI_N_SUBSECTION ? "subsection only in a"
										: "only in a");
		else
			diff_nodes(c, k, b->kids[ma[i]], path, n);
		path[len] = '\0';
	}
	for (size_t i = 0; i < b->nkids; i++) {
		const struct vi_node *k = b->kids[i];
		if (k->kind == VI_N_WARNING || mb[i] != SIZE_MAX)
			continue;
		snprintf(path + len, MAX_PATH - len, "/%s", k->name);
		add_field(c, path, NULL, k, k->kind == VI_N_SUBSECTION ? "subsection only in b"
								       : "only in b");
		path[len] = '\0';
	}
	free(ma);
	free(mb);
}

static int is_device(const struct vi_node *n)
{
	return n->kind == VI_N_SECTION && vi_node_get(n, VI_A_INSTANCE_ID) &&
	       strcmp(n->name, "ram") != 0 && n->type &&
	       (!strcmp(n->type, "start") || !strcmp(n->type, "full"));
}

/* Device sections (START/FULL records) of a tree, sorted by (name,
 * instance, position), for matching a's to b's in O(n log n). */
struct dev { const struct vi_node *n; uint64_t inst; size_t pos; };

static int dev_cmp(const void *x, const void *y)
{
	const struct dev *p = x, *q = y;
	int c = strcmp(p->n->name, q->n->name);
	if (c)
		return c;
	if (p->inst != q->inst)
		return p->inst < q->inst ? -1 : 1;
	return (p->pos > q->pos) - (p->pos < q->pos);
}

static struct dev *devices(const struct vi_node *root, size_t *n)
{
	struct dev *d = vi_xmalloc(((root ? root->nkids : 0) + 1) * sizeof(*d));

	*n = 0;
	for (size_t i = 0; root && i < root->nkids; i++)
		if (is_device(root->kids[i]))
			d[(*n)++] = (struct dev){ root->kids[i],
				vi_node_get(root->kids[i], VI_A_INSTANCE_ID)->u, i };
	qsort(d, *n, sizeof(*d), dev_cmp);
	return d;
}

static json_t *sec_json(const struct vi_node *n)
{
	return json_pack("{s:o, s:I, s:I, s:I}", "section", jstr(n->name, "?"),
			 "instance_id", (json_int_t)vi_node_get(n, VI_A_INSTANCE_ID)->u,
			 "version_id", (json_int_t)vi_node_get(n, VI_A_VERSION_ID)->u,
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
			json_array_append_new(p->c->ignored_paths, jstr(path, "ram/?"));
		return 1;
	}
	if (json_array_size(p->pages) < 64)
		json_array_append_new(p->pages, json_integer((json_int_t)(index * p->page_size)));
	return 0;
}

static json_t *ram_diff(struct dctx *c, const struct vi_session *a, const struct vi_session *b)
{
	json_t *arr = json_array();

	for (int side = 0; side < 2; side++) {
		const struct vi_stream_facts *x = side ? &b->facts : &a->facts,
				      *y = side ? &a->facts : &b->facts;
		for (size_t i = 0; i < x->nblocks; i++) {
			const struct vi_ramblock *p = &x->blocks[i], *q = NULL;
			json_t *o;
			for (size_t k = 0; k < y->nblocks && !q; k++)
				if (!strcmp(y->blocks[k].name, p->name))
					q = &y->blocks[k];
			if (side && q)
				continue;		/* done from a's side */
			o = json_object();
			json_object_set_new(o, "block", jstr(p->name, "?"));
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
				struct page_ctx pc = { c, p->name, a->facts.page_size, 0, json_array() };
				uint64_t d = a->facts.page_size == b->facts.page_size ? ram_pages_differ_each(&p->pg,
					p->used_length, &q->pg, q->used_length, a->facts.page_size,
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

json_t *vi_diff_streams(const struct vi_session *a, const struct vi_session *b,
			const struct vi_diff_stream_opts *o)
{
	json_t *doc = json_object(), *only_a = json_array(), *only_b = json_array();
	json_t *versions = json_array(), *ram;
	struct dctx c = { a->r, b->r, o, json_array(), json_array(), 0 };
	char path[MAX_PATH];
	int same;
	size_t ram_differ = 0, i;
	json_t *x;

	{
		size_t na, nb, ia = 0, jb = 0;
		struct dev *da = devices(a->root, &na), *db = devices(b->root, &nb);
		while (ia < na || jb < nb) {
			int cmp = ia == na ? 1 : jb == nb ? -1 : strcmp(da[ia].n->name, db[jb].n->name);
			const struct vi_node *d, *e;
			if (!cmp && da[ia].inst != db[jb].inst)
				cmp = da[ia].inst < db[jb].inst ? -1 : 1;
			if (cmp < 0) {
				json_array_append_new(only_a, sec_json(da[ia++].n));
				continue;
			}
			if (cmp > 0) {
				json_array_append_new(only_b, sec_json(db[jb++].n));
				continue;
			}
			d = da[ia++].n;
			e = db[jb++].n;
			if (vi_node_get(d, VI_A_VERSION_ID)->u != vi_node_get(e, VI_A_VERSION_ID)->u)
				json_array_append_new(versions, json_pack("{s:o, s:I, s:I, s:I}",
					"section", jstr(d->name, "?"), "instance_id",
					(json_int_t)vi_node_get(d, VI_A_INSTANCE_ID)->u,
					"a", (json_int_t)vi_node_get(d, VI_A_VERSION_ID)->u,
					"b", (json_int_t)vi_node_get(e, VI_A_VERSION_ID)->u));
			snprintf(path, sizeof(path), "%s", d->name);
			diff_nodes(&c, d, e, path, strlen(path));
		}
		free(da);
		free(db);
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
