/* walk-vmdesc.c - the VMDESCRIPTION trailer: find it, parse it, hand out entries.
 *
 * The trailer (u8 0x06, be32 len, len bytes of JSON) is the last thing in a
 * stream, right after the EOF byte.  It is found before the walk by looking
 * at the end of the (seekable) input, so device sections can be decoded as
 * they are met; the walk checks that the EOF really lands there.  A stream
 * read once (a pipe, compressed input) has it probed late: at its first
 * device section or at EOF, when the rest is in memory.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-limits.h"
#include "walk.h"
#include "vi-bytes.h"

static int plausible_at(const uint8_t *t, uint64_t tlen, uint64_t i,
			uint64_t tail_start, uint64_t size)
{
	uint64_t p = tail_start + i;   /* stream offset of the 0x06 byte */
	uint32_t len;

	if (t[i] != QVM_VMDESCRIPTION || i == 0 || t[i - 1] != QVM_EOF || i + 5 >= tlen)
		return 0;
	len = vi_be32(t + i + 1);
	return p + 5 + len == size && t[i + 5] == '{';
}

struct vi_vd_key {
	const char *name;
	json_int_t instance;
	size_t index;
};

static int key_cmp(const struct vi_vd_key *a, const struct vi_vd_key *b)
{
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->instance != b->instance)
		return a->instance < b->instance ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int key_qsort(const void *a, const void *b)
{
	return key_cmp(a, b);
}

/* Mark place k of vd_keys unused (1) or used (0). */
static void free_set(struct vi_walk *w, size_t k, unsigned char v)
{
	size_t i = w->vd_leaves + k;

	w->vd_free[i] = v;
	for (i >>= 1; i; i >>= 1)
		w->vd_free[i] = w->vd_free[2 * i] | w->vd_free[2 * i + 1];
}

/* The first unused place in [lo, hi) below tree node i (covering
 * [nlo, nhi)), or SIZE_MAX. */
static size_t free_first(const struct vi_walk *w, size_t i, size_t nlo, size_t nhi,
			 size_t lo, size_t hi)
{
	size_t mid, k;

	if (nhi <= lo || nlo >= hi || !w->vd_free[i])
		return SIZE_MAX;
	if (nhi - nlo == 1)
		return nlo;
	mid = nlo + (nhi - nlo) / 2;
	k = free_first(w, 2 * i, nlo, mid, lo, hi);
	return k != SIZE_MAX ? k : free_first(w, 2 * i + 1, mid, nhi, lo, hi);
}

/* Index the "devices" entries by name and instance id. */
static void index_devices(struct vi_walk *w, json_t *dev)
{
	size_t n = json_array_size(dev), k = 0;

	w->vd_pos = vi_xmalloc((n + 1) * sizeof(*w->vd_pos));
	w->vd_keys = vi_xmalloc((n + 1) * sizeof(*w->vd_keys));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(dev, i), *name = json_object_get(e, "name"),
		       *inst = json_object_get(e, "instance_id");
		w->vd_pos[i] = SIZE_MAX;
		if (!json_is_string(name) || !json_is_integer(inst))
			continue;
		w->vd_keys[k].name = json_string_value(name);
		w->vd_keys[k].instance = json_integer_value(inst);
		w->vd_keys[k].index = i;
		k++;
	}
	w->vd_nkeys = k;
	qsort(w->vd_keys, k, sizeof(*w->vd_keys), key_qsort);
	for (w->vd_leaves = 1; w->vd_leaves < k; w->vd_leaves *= 2)
		;
	w->vd_free = vi_xmalloc(2 * w->vd_leaves);
	memset(w->vd_free, 0, 2 * w->vd_leaves);
	for (size_t p = 0; p < k; p++) {
		w->vd_pos[w->vd_keys[p].index] = p;
		w->vd_free[w->vd_leaves + p] = 1;
	}
	for (size_t i = w->vd_leaves - 1; i >= 1; i--)
		w->vd_free[i] = w->vd_free[2 * i] | w->vd_free[2 * i + 1];
}

int vmdesc_probe(struct vi_walk *w)
{
	struct vi_reader *r = w->r;
	/* The window ends at the end of the stream and holds at most the EOF
	 * byte, 0x06, the be32 length and a trailer of the largest size read. */
	const uint64_t maxwin = (uint64_t)VI_MAX_VMDESC_LEN + 6;
	uint64_t size = r->size, want = 1u << 20, tail_start;
	/* A stream read once is probed late: in memory from here on only. */
	uint64_t floor = rd_streaming(r) && rd_tell(r) < size ? rd_tell(r) : 0;
	uint8_t last;
	uint8_t *t = NULL;
	json_error_t jerr;
	json_t *doc, *dev, *ps;
	unsigned refused;

	w->f->vmdesc_offset = UINT64_MAX;
	if (size < 16 || rd_peek_at(r, size - 1, &last, 1) != 1 || last != '}')
		return 0;
	for (;;) {
		uint64_t i, tlen;
		if (want > maxwin)
			want = maxwin;
		if (want > size - floor)
			want = size - floor;
		tail_start = size - want;
		tlen = want;
		t = vi_xrealloc(t, tlen);
		if (rd_peek_at(r, tail_start, t, tlen) != tlen) {
			free(t);
			return w->err->set ? -1 : 0;
		}
		for (i = tlen - 6; i > 0; i--)
			if (plausible_at(t, tlen, i, tail_start, size))
				break;
		if (i > 0) {
			w->f->vmdesc_offset = tail_start + i;
			w->f->vmdesc_len = (uint32_t)(size - w->f->vmdesc_offset - 5);
			memmove(t, t + i + 5, w->f->vmdesc_len);
			break;
		}
		if (want == size - floor || want == maxwin) {
			/* None, or one too big to read: vmdesc_walk_trailer says which. */
			free(t);
			return 0;
		}
		want *= 4;
	}
	if (w->f->vmdesc_len > VI_MAX_VMDESC_LEN) {	/* not read: vmdesc_walk_trailer says so */
		free(t);
		w->f->vmdesc_offset = UINT64_MAX;
		w->f->vmdesc_len = 0;
		return 0;
	}
	jerr.text[0] = '\0';
	jerr.position = 0;
	refused = vi_budget_refusals();
	/* The JSON must end where the stream does: nothing after it. */
	doc = vi_json_loadb((const char *)t, w->f->vmdesc_len, 0, &jerr);
	free(t);
	if (!doc && vi_budget_refusals() != refused) {
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->f->vmdesc_offset + 5,
			"VMDESCRIPTION JSON of %u bytes would take more than %llu MiB "
			"(the memory budget: %llu MiB + %llu bytes per input byte)",
			w->f->vmdesc_len, (unsigned long long)(vi_budget_limit() >> 20),
			(unsigned long long)(VI_BUDGET_BASE >> 20),
			(unsigned long long)VI_BUDGET_PER_BYTE);
		return vi_error_hard(w->err);
	}
	if (!doc)
		return vi_fail(w->err, VI_EXIT_INPUT,
			       (int64_t)(w->f->vmdesc_offset + 5 + (uint64_t)jerr.position),
			       "malformed VMDESCRIPTION JSON: %s", jerr.text[0] ? jerr.text :
			       "the JSON parser gave up without saying why (out of memory?)");
	dev = json_object_get(doc, "devices");
	ps = json_object_get(doc, "page_size");
	if (!json_is_object(doc) || !json_is_array(dev)) {
		json_decref(doc);
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->f->vmdesc_offset + 5,
			       "malformed VMDESCRIPTION: no \"devices\" list");
	}
	if (ps) {
		json_int_t v = json_is_integer(ps) ? json_integer_value(ps) : 0;
		if (v < 512 || v > VI_MAX_PAGE_SIZE || (v & (v - 1))) {
			json_decref(doc);
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->f->vmdesc_offset + 5,
				       "malformed VMDESCRIPTION: page_size is not a power "
				       "of two between 512 and 1 GiB");
		}
		w->f->page_size = (uint32_t)v;
		w->f->page_size_from = "vmdesc";
	}
	w->f->vmdesc = doc;
	w->vmdesc_used = vi_xmalloc(json_array_size(dev) + 1);
	memset(w->vmdesc_used, 0, json_array_size(dev) + 1);
	index_devices(w, dev);
	return 0;
}

/* Take entry i (exact or not) out of the pool, or put it back. */
static void mark_used(struct vi_walk *w, size_t i, unsigned char used)
{
	w->vmdesc_used[i] = used;
	if (w->vd_pos[i] != SIZE_MAX)
		free_set(w, w->vd_pos[i], !used);
}

json_t *vmdesc_take_device(struct vi_walk *w, const char *idstr, uint32_t instance,
			   int *exact)
{
	struct vi_vd_key want = { idstr, (json_int_t)instance, 0 };
	json_t *dev;
	size_t n, i, lo, hi, p, a, b, k;

	*exact = 1;
	w->vmdesc_prev_next = w->vmdesc_next;
	if (!w->f->vmdesc || w->opts.ignore_vmdesc)
		return NULL;
	dev = json_object_get(w->f->vmdesc, "devices");
	n = json_array_size(dev);
	/* The entries of that name and instance: places [lo, hi). */
	for (a = 0, b = w->vd_nkeys; a < b;) {
		size_t m = a + (b - a) / 2;
		if (key_cmp(&w->vd_keys[m], &want) < 0)
			a = m + 1;
		else
			b = m;
	}
	lo = a;
	want.index = SIZE_MAX;
	for (b = w->vd_nkeys; a < b;) {
		size_t m = a + (b - a) / 2;
		if (key_cmp(&w->vd_keys[m], &want) <= 0)
			a = m + 1;
		else
			b = m;
	}
	hi = a;
	/* The first unused one at or after vmdesc_next, else the first. */
	for (a = lo, b = hi; a < b;) {
		size_t m = a + (b - a) / 2;
		if (w->vd_keys[m].index < w->vmdesc_next)
			a = m + 1;
		else
			b = m;
	}
	p = a;
	k = lo < hi ? free_first(w, 1, 0, w->vd_leaves, p, hi) : SIZE_MAX;
	if (k == SIZE_MAX && lo < p)
		k = free_first(w, 1, 0, w->vd_leaves, lo, p);
	if (k != SIZE_MAX) {
		i = w->vd_keys[k].index;
		mark_used(w, i, 1);
		w->vmdesc_next = i + 1;
		w->vmdesc_taken = i;
		return json_array_get(dev, i);
	}
	/* Entries follow the FULL sections in stream order: a section whose
	 * name or instance was changed after writing still has its entry next.
	 * If the bytes do not follow it, the caller falls back. */
	i = w->vmdesc_next;
	if (i < n && !w->vmdesc_used[i]) {
		json_t *e = json_array_get(dev, i), *name = json_object_get(e, "name");
		mark_used(w, i, 1);
		w->vmdesc_next = i + 1;
		w->vmdesc_taken = i;
		*exact = 0;
		walk_warn(w, rd_tell(w->r), "section %s instance %u has no VMDESCRIPTION entry "
			  "of that name; decoding it with the next entry in order (%s)",
			  idstr, instance, json_is_string(name) ? json_string_value(name) : "?");
		return e;
	}
	return NULL;
}

void vmdesc_give_back(struct vi_walk *w)
{
	if (w->vmdesc_used && w->vmdesc_taken < json_array_size(json_object_get(w->f->vmdesc, "devices")))
		mark_used(w, w->vmdesc_taken, 0);
	w->vmdesc_next = w->vmdesc_prev_next;
}

/* A stream read once (input-reader-stream.c) has its trailer probed when the
 * first device section or the end comes: from there on it is read to the
 * end into memory (the device sections and the trailer: what is kept is
 * capped).  RAM came before, walked with the page size the configuration
 * gave (or the x86 one assumed): the trailer must agree. */
int vmdesc_late_probe(struct vi_walk *w)
{
	uint32_t ps = w->f->page_size;

	if (!w->probe_late)
		return 0;
	w->probe_late = 0;
	if (rd_finish(w->r) < 0 || vmdesc_probe(w) < 0)
		return -1;
	if (ps && w->f->page_size != ps)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->f->vmdesc_offset,
			       "the VMDESCRIPTION trailer gives page size %u, but the RAM "
			       "before it was read with %u (a pipe or compressed input is "
			       "read once: give an uncompressed file)", w->f->page_size, ps);
	if (w->f->page_size_from && strcmp(w->f->page_size_from, "vmdesc") == 0)
		w->f->page_size_assumed = 0;
	return 0;
}

/* The trailer after EOF: where vmdesc_probe found it, or nothing. */
int vmdesc_walk_trailer(struct vi_walk *w)
{
	struct vi_reader *r = w->r;
	uint64_t off = rd_tell(r);
	uint8_t type;
	uint32_t len;
	struct vi_node *n;

	if (w->probe_late) {	/* read once: not past garbage after EOF (a bomb) */
		if (rd_peek(r, 0, &type, 1) == 1 && type != QVM_VMDESCRIPTION)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "unexpected bytes after EOF (byte 0x%02x; only a "
				       "VMDESCRIPTION trailer 0x06 may follow)", type);
		if (vmdesc_late_probe(w) < 0)
			return -1;
	}
	if (off == r->size) {
		if (w->f->vmdesc_offset != UINT64_MAX)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "internal: trailer found at %" PRIu64 " but EOF is at the end",
				       w->f->vmdesc_offset);
		return 0;
	}
	if (rd_u8(r, &type, "trailer type") < 0)
		return -1;
	if (type != QVM_VMDESCRIPTION)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "%" PRIu64 " unexpected bytes after EOF (byte 0x%02x; only a "
			       "VMDESCRIPTION trailer 0x06 may follow)", r->size - off, type);
	if (rd_be32(r, &len, "VMDESCRIPTION length") < 0)
		return -1;
	if (off != w->f->vmdesc_offset) {
		if (len > VI_MAX_VMDESC_LEN && (uint64_t)len == r->size - rd_tell(r)) {
			/* QEMU never reads it back (qemu_loadvm_state stops at EOF):
			 * a stream with one this long loads, so it is no input error;
			 * it is only too big to parse safely.  Shown, and skipped. */
			walk_warn(w, off, "VMDESCRIPTION trailer of %u bytes not read: "
				  "over the limit of %u bytes; the device sections were "
				  "decoded without it", len, VI_MAX_VMDESC_LEN);
			n = vi_node_new(w->root, VI_N_VMDESC, "vmdesc", "vmdescription", off);
			n->length = 5 + (uint64_t)len;
			vi_node_attr_u(n, "json_length", len);
			return rd_skip(r, len, "VMDESCRIPTION JSON");
		}
		if ((uint64_t)len > r->size - rd_tell(r))
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
				       "VMDESCRIPTION length %u runs past the end of the "
				       "stream (%" PRIu64 " bytes left)", len,
				       r->size - rd_tell(r));
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
			       "malformed VMDESCRIPTION: length %u leaves %" PRIu64
			       " bytes at the end, or the JSON does not start with '{'",
			       len, r->size - rd_tell(r) - len);
	}
	n = vi_node_new(w->root, VI_N_VMDESC, "vmdesc", "vmdescription", off);
	n->length = 5 + (uint64_t)len;
	vi_node_attr_u(n, "json_length", len);
	vi_node_attr_u(n, "devices",
		       json_array_size(json_object_get(w->f->vmdesc, "devices")));
	if (w->f->page_size)
		vi_node_put_u(n, VI_A_PAGE_SIZE, w->f->page_size);
	return rd_skip(r, len, "VMDESCRIPTION JSON");
}
