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

int walk_opaque_payload(struct vi_walk *w, struct vi_node *sec, uint32_t id)
{
	struct vi_reader *r = w->r;
	uint64_t start = rd_tell(r), found;
	struct vi_node *d;
	uint8_t preview[VI_MAX_PREVIEW];
	size_t n;

	if (w->f->footers == 0)
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
	vi_node_put_u(sec, VI_A_UNDECODED_BYTES, d->length);
	vi_node_put_s(sec, VI_A_DECODED_BY, "none");
	w->dec.undecoded_total += d->length;
	return rd_seek(r, found);
}
