/* walk-core.c - what every walk-* module and the decoder's callbacks use:
 * warnings, the node budget, sections by id, where a record or a section's
 * footer can be.  It calls no other walk-* file, so none of them calls back
 * into walk.c (the record loop) but walk-command.c's PACKAGED payloads. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-bytes.h"
#include "vi-limits.h"
#include "walk.h"

void walk_warn(struct vi_walk *w, uint64_t offset, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct vi_node *n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = vi_node_new(w->root, VI_N_WARNING, "warning", "warning", offset);
	vi_node_set_str(n, msg);
}

struct vi_section *walk_section_by_id(struct vi_walk *w, uint32_t id)
{
	size_t i = vi_map_get(&w->sec_map, id);

	return i == VI_MAP_NONE ? NULL : &w->f->sections[i];
}

static int node_budget(struct vi_walk *w, struct vi_error *err)
{
	if (vi_budget_over()) {
		vi_fail(err, VI_EXIT_INPUT, (int64_t)rd_tell(w->r),
			"what was decoded would take more than %llu MiB (the memory budget: "
			"%llu MiB + %llu bytes per input byte); refusing to go on",
			(unsigned long long)(vi_budget_limit() >> 20),
			(unsigned long long)(VI_BUDGET_BASE >> 20),
			(unsigned long long)VI_BUDGET_PER_BYTE);
		return vi_error_hard(err);
	}
	if (vi_node_count() > VI_MAX_NODES) {
		vi_fail(err, VI_EXIT_INPUT, (int64_t)rd_tell(w->r),
			"more than %u decoded values; refusing to go on", VI_MAX_NODES);
		return vi_error_hard(err);
	}
	if (vi_node_made() - w->nodes_made0 > VI_MAX_NODE_WORK) {
		vi_fail(err, VI_EXIT_INPUT, (int64_t)rd_tell(w->r),
			"more than %u values decoded and thrown away again; refusing "
			"to go on", VI_MAX_NODE_WORK);
		return vi_error_hard(err);
	}
	return 0;
}

int walk_node_budget(struct vi_walk *w)
{
	return node_budget(w, w->err);
}

/* Could a record start at stream offset q?  Used to confirm a footer. */
int walk_record_plausible(struct vi_walk *w, uint64_t q)
{
	struct vi_reader *r = w->r;
	uint8_t b[5 + 256];
	size_t n;

	if (q >= rd_end(r))
		return q == rd_end(r);
	n = rd_peek_at(r, q, b, sizeof(b));
	if (n == 0)	/* a stream read once: its end is known now */
		return q == rd_end(r);
	switch (b[0]) {
	case QVM_EOF:
		return n == 1 || (n >= 2 && b[1] == QVM_VMDESCRIPTION);
	case QVM_SECTION_START:
	case QVM_SECTION_FULL:
		if (n < 6 || b[5] == 0 || n < (size_t)6 + b[5])
			return 0;
		for (int i = 0; i < b[5]; i++)
			if (b[6 + i] < 0x20 || b[6 + i] > 0x7e)
				return 0;
		return 1;
	case QVM_SECTION_PART:
	case QVM_SECTION_END:
		return n >= 5 && walk_section_by_id(w, vi_be32(b + 1)) != NULL;
	case QVM_COMMAND:
		return n >= 3 && b[1] == 0 && b[2] >= 1 && b[2] <= 11;
	default:
		return 0;
	}
}

int walk_at_section_end(struct vi_walk *w, uint32_t id)
{
	uint8_t b[5];

	if (w->f->footers == 0)
		return walk_record_plausible(w, rd_tell(w->r));
	if (rd_peek(w->r, 0, b, 5) == 5 && b[0] == QVM_SECTION_FOOTER &&
	    vi_be32(b + 1) == id)
		return 1;
	return w->f->footers < 0 && walk_record_plausible(w, rd_tell(w->r));
}

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
	w->ff.footers = w->f->footers;
	w->ff.id = id;
	w->ff.nsections = w->f->nsections;
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

	if (w->f->footers == 0)
		return UINT64_MAX;
	/* The first footer at or after from is also the first at or after any
	 * later point up to it; none up to the end is none from later either.
	 * (Schema decoding asks again and again within one section.) */
	if (w->ff.valid && w->ff.id == id && w->ff.footers == w->f->footers &&
	    w->ff.nsections == w->f->nsections && w->ff.limit == w->r->limit &&
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

/* The decoder's callbacks (decode.h): it reaches the walker only here. */
static void dec_warn(void *p, uint64_t off, const char *msg)
{
	walk_warn(p, off, "%s", msg);
}

static int dec_budget(void *p, struct vi_error *err)
{
	return node_budget(p, err);
}

static uint64_t dec_find_footer(void *p, uint64_t from, uint32_t id)
{
	return walk_find_footer(p, from, id);
}

static int dec_at_section_end(void *p, uint32_t id)
{
	return walk_at_section_end(p, id);
}

void walk_decode_env(struct vi_walk *w)
{
	w->dec.r = w->r;
	w->dec.err = w->err;
	w->dec.walker = w;
	w->dec.warn = dec_warn;
	w->dec.budget = dec_budget;
	w->dec.find_footer = dec_find_footer;
	w->dec.at_section_end = dec_at_section_end;
}
