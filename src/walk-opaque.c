/* walk-opaque.c - payloads nothing describes: find their end by the footer.
 *
 * Without a trailer entry (or a schema) a device payload has no length.  Its
 * end is the first "7e <be32 section id>" that is followed by something a
 * record can start with; the bytes are then shown as undecoded with a hex
 * preview.  Streams written without footers cannot be split this way.
 */
#include <inttypes.h>
#include <string.h>
#include "vi-limits.h"
#include "walk.h"
#include "vi-bytes.h"

static int footer_at(struct vi_walk *w, const uint8_t *p, uint32_t id, uint64_t q)
{
	uint32_t v = vi_be32(p + 1);

	return p[0] == QVM_SECTION_FOOTER && v == id && walk_record_plausible(w, q + 5);
}

static uint64_t remember(struct vi_walk *w, uint32_t id, uint64_t from, uint64_t at)
{
	if (w->r->err->set)	/* a read failed: nothing to remember */
		return at;
	w->ff.valid = 1;
	w->ff.footers = w->footers;
	w->ff.id = id;
	w->ff.nsections = w->nsections;
	w->ff.limit = w->r->limit;
	w->ff.from = from;
	w->ff.at = at;
	return at;
}

uint64_t walk_find_footer(struct vi_walk *w, uint64_t from, uint32_t id)
{
	static uint8_t buf[1 << 16];
	uint64_t pos = from;
	size_t n, chunk = 256;	/* most payloads are short: read little first */

	if (w->footers == 0)
		return UINT64_MAX;
	/* The first footer at or after from is also the first at or after any
	 * later point up to it; none up to the end is none from later either.
	 * (Schema decoding asks again and again within one section.) */
	if (w->ff.valid && w->ff.id == id && w->ff.footers == w->footers &&
	    w->ff.nsections == w->nsections && w->ff.limit == w->r->limit &&
	    w->ff.from <= from && from <= w->ff.at)
		return w->ff.at;
	for (;;) {
		if (pos - from > VI_MAX_SCAN)
			return UINT64_MAX;
		n = rd_peek_at(w->r, pos, buf, chunk);
		if (chunk < sizeof(buf))
			chunk *= 4;
		if (n < 5)
			return remember(w, id, from, UINT64_MAX);
		for (size_t i = 0; i + 5 <= n; i++) {
			const uint8_t *p = memchr(buf + i, QVM_SECTION_FOOTER, n - 4 - i);
			if (!p)
				break;
			i = (size_t)(p - buf);
			if (footer_at(w, p, id, pos + i))
				return remember(w, id, from, pos + i);
		}
		pos += n - 4;
	}
}

int walk_opaque_payload(struct vi_walk *w, struct vi_node *sec, uint32_t id)
{
	struct vi_reader *r = w->r;
	uint64_t start = rd_tell(r), found;
	struct vi_node *d;
	uint8_t preview[VI_MAX_PREVIEW];
	size_t n;

	if (w->footers == 0)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)start,
			       "cannot find the end of section %u (%s): the stream has no "
			       "section footers and no VMDESCRIPTION entry describes it",
			       id, sec->name);
	found = walk_find_footer(w, start, id);
	if (found == UINT64_MAX) {
		if (w->err->set)
			return -1;
		if (rd_end(r) - start > VI_MAX_SCAN)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)start,
				       "no footer for section %u (%s) within %llu bytes",
				       id, sec->name, (unsigned long long)VI_MAX_SCAN);
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)rd_end(r),
			"truncated: the stream ends inside section %u (%s), "
			"which started at byte %" PRIu64 ", before its footer",
			id, sec->name, sec->offset);
		return vi_error_class(w->err, VI_C_TRUNCATED);
	}
	d = vi_node_new(sec, VI_N_BLOB, "data", "undecoded", start);
	d->length = found - start;
	n = rd_peek(r, 0, preview, d->length < sizeof(preview) ? d->length : sizeof(preview));
	vi_node_set_bytes(d, preview, n < d->length ? d->length : n);  /* keeps the preview */
	vi_node_attr_u(sec, "undecoded_bytes", d->length);
	vi_node_attr_s(sec, "decoded_by", "none");
	w->dec.undecoded_total += d->length;
	return rd_seek(r, found);
}
