/* vmdesc.c - the VMDESCRIPTION trailer: find it, parse it, hand out entries.
 *
 * The trailer (u8 0x06, be32 len, len bytes of JSON) is the last thing in a
 * stream, right after the EOF byte.  It is found before the walk by looking
 * at the end of the (seekable) input, so device sections can be decoded as
 * they are met; the walk checks that the EOF really lands there.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "vi-limits.h"
#include "walk.h"

static int plausible_at(const uint8_t *t, uint64_t tlen, uint64_t i,
			uint64_t tail_start, uint64_t size)
{
	uint64_t p = tail_start + i;   /* stream offset of the 0x06 byte */
	uint32_t len;

	if (t[i] != QVM_VMDESCRIPTION || i == 0 || t[i - 1] != QVM_EOF || i + 5 >= tlen)
		return 0;
	len = (uint32_t)t[i + 1] << 24 | (uint32_t)t[i + 2] << 16 |
	      (uint32_t)t[i + 3] << 8 | t[i + 4];
	return p + 5 + len == size && t[i + 5] == '{';
}

int vmdesc_probe(struct vi_walk *w)
{
	struct vi_reader *r = w->r;
	uint64_t size = r->size, want = 1u << 20, tail_start;
	uint8_t last;
	uint8_t *t = NULL;
	json_error_t jerr;
	json_t *doc, *dev, *ps;

	w->vmdesc_offset = UINT64_MAX;
	if (size < 16 || rd_peek_at(r, size - 1, &last, 1) != 1 || last != '}')
		return 0;
	for (;;) {
		uint64_t i, tlen;
		if (want > size)
			want = size;
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
			w->vmdesc_offset = tail_start + i;
			w->vmdesc_len = (uint32_t)(size - w->vmdesc_offset - 5);
			memmove(t, t + i + 5, w->vmdesc_len);
			break;
		}
		if (want == size || want >= (uint64_t)VI_MAX_VMDESC_LEN + 6) {
			free(t);
			return 0;
		}
		want *= 4;
	}
	if (w->vmdesc_len > VI_MAX_VMDESC_LEN) {
		free(t);
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->vmdesc_offset + 1,
			       "VMDESCRIPTION of %u bytes exceeds the limit of %u",
			       w->vmdesc_len, VI_MAX_VMDESC_LEN);
	}
	doc = json_loadb((const char *)t, w->vmdesc_len, JSON_DISABLE_EOF_CHECK, &jerr);
	free(t);
	if (!doc)
		return vi_fail(w->err, VI_EXIT_INPUT,
			       (int64_t)(w->vmdesc_offset + 5 + (uint64_t)jerr.position),
			       "malformed VMDESCRIPTION JSON: %s", jerr.text);
	dev = json_object_get(doc, "devices");
	ps = json_object_get(doc, "page_size");
	if (!json_is_object(doc) || !json_is_array(dev)) {
		json_decref(doc);
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->vmdesc_offset + 5,
			       "malformed VMDESCRIPTION: no \"devices\" list");
	}
	if (ps) {
		json_int_t v = json_is_integer(ps) ? json_integer_value(ps) : 0;
		if (v < 512 || v > VI_MAX_PAGE_SIZE || (v & (v - 1))) {
			json_decref(doc);
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)w->vmdesc_offset + 5,
				       "malformed VMDESCRIPTION: page_size is not a power "
				       "of two between 512 and 1 GiB");
		}
		w->page_size = (uint32_t)v;
		w->page_size_from = "vmdesc";
	}
	w->vmdesc = doc;
	w->vmdesc_used = calloc(json_array_size(dev) + 1, 1);
	if (!w->vmdesc_used)
		abort();
	return 0;
}

static int entry_is(json_t *e, const char *idstr, uint32_t instance)
{
	json_t *n = json_object_get(e, "name"), *i = json_object_get(e, "instance_id");

	return json_is_string(n) && strcmp(json_string_value(n), idstr) == 0 &&
	       json_is_integer(i) && json_integer_value(i) == (json_int_t)instance;
}

json_t *vmdesc_take_device(struct vi_walk *w, const char *idstr, uint32_t instance,
			   int *exact)
{
	json_t *dev;
	size_t n, i;

	*exact = 1;
	w->vmdesc_prev_next = w->vmdesc_next;
	if (!w->vmdesc || w->opts.ignore_vmdesc)
		return NULL;
	dev = json_object_get(w->vmdesc, "devices");
	n = json_array_size(dev);
	for (size_t k = 0; k < n; k++) {
		i = (w->vmdesc_next + k) % n;
		if (!w->vmdesc_used[i] && entry_is(json_array_get(dev, i), idstr, instance)) {
			w->vmdesc_used[i] = 1;
			w->vmdesc_next = i + 1;
			w->vmdesc_taken = i;
			return json_array_get(dev, i);
		}
	}
	/* Entries follow the FULL sections in stream order: a section whose
	 * name or instance was changed after writing still has its entry next.
	 * If the bytes do not follow it, the caller falls back. */
	i = w->vmdesc_next;
	if (i < n && !w->vmdesc_used[i]) {
		json_t *e = json_array_get(dev, i), *name = json_object_get(e, "name");
		w->vmdesc_used[i] = 1;
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
	if (w->vmdesc_used && w->vmdesc_taken < json_array_size(json_object_get(w->vmdesc, "devices")))
		w->vmdesc_used[w->vmdesc_taken] = 0;
	w->vmdesc_next = w->vmdesc_prev_next;
}
