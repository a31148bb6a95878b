/* input-reader-stream.c - the reader's backend for a stream read once: a pipe or
 * a decompressor (input-stream.c), walked in one pass, nothing on disk.
 *
 * Bytes come from the source into a window.  Once the walker has gone past
 * them they are kept in memory -- except the ranges it declared transient
 * (rd_transient: RAM page contents, block and bitmap data), which are only
 * counted and hashed as they stream by.  So the header, configuration, RAM
 * page headers, device sections and the trailer stay readable for a second
 * look (a device decoded again with another layout, the trailer probed once
 * the end is read, check's walk with another target's schema, diff's byte
 * comparisons) at their stream offsets.  What is kept (with the window and
 * its index) is capped: VI_MAX_KEPT, or VMSTATE_INSPECT_MAX_KEPT MiB. */
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "input.h"
#include "input-reader.h"
#include "vi-tree.h"
#include "vi-limits.h"

#define CHUNK (1u << 16)

struct ext {		/* kept stream bytes [off, off + len) at keep[at] */
	uint64_t off;
	size_t at;
};
struct drop {
	uint64_t from, to;
};

struct vi_rstream {
	int refs;
	struct vi_src *src, *bottom;
	struct vi_progress pg;
	const char *what;
	uint64_t src_pos;	/* stream bytes read from src */
	int eof;
	int failed;		/* the source could not be read (corrupt, I/O) */
	uint64_t cap;		/* bytes of memory allowed (keep, index, window) */
	uint8_t *win;		/* stream bytes [w_off, src_pos) */
	size_t w_cap;
	uint64_t w_off;
	uint8_t *keep;
	size_t k_len, k_cap;
	struct ext *ext;
	size_t next, e_cap;
	struct drop *drop;	/* transient ranges not yet passed, in order */
	size_t d_head, d_n, d_cap;
};

uint64_t vi_max_kept(void)
{
	const char *e = getenv("VMSTATE_INSPECT_MAX_KEPT");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return VI_MAX_KEPT;
	v = strtoull(e, &end, 10);
	return *end || v == 0 || v > (1ull << 20) ? VI_MAX_KEPT : v << 20;
}

struct vi_rstream *rs_new(struct vi_src *src, const char *name)
{
	struct vi_rstream *rs = vi_xmalloc(sizeof(*rs));

	memset(rs, 0, sizeof(*rs));
	rs->refs = 1;
	rs->src = src;
	rs->bottom = vi_src_bottom(src);
	rs->what = src == rs->bottom ? "reading" : src->name;
	rs->cap = vi_max_kept();
	vi_progress_start(&rs->pg, name);
	return rs;
}

void rs_ref(struct vi_rstream *rs)
{
	rs->refs++;
}

void rs_unref(struct vi_rstream *rs)
{
	if (!rs || --rs->refs > 0)
		return;
	vi_progress_end(&rs->pg);
	vi_src_free(rs->src);
	free(rs->win);
	free(rs->keep);
	free(rs->ext);
	free(rs->drop);
	free(rs);
}

void rs_progress_end(struct vi_rstream *rs)
{
	if (rs)
		vi_progress_end(&rs->pg);
}

int rs_at_end(const struct vi_rstream *rs, uint64_t *size, uint64_t *input)
{
	*size = rs->src_pos;
	*input = rs->bottom->pos;
	return rs->eof;
}

uint64_t rs_kept(const struct vi_rstream *rs)
{
	return rs->k_len;
}

static int over(struct vi_rstream *rs, struct vi_error *err)
{
	vi_fail(err, VI_EXIT_INPUT, (int64_t)rs->src_pos, "more than %llu MiB of this stream "
		"kept in memory: a pipe or compressed input is read once, and everything "
		"but RAM page contents is kept until the trailer at its end is read "
		"(VMSTATE_INSPECT_MAX_KEPT sets the limit in MiB; an uncompressed file "
		"needs none)", (unsigned long long)(rs->cap >> 20));
	return vi_error_hard(err);
}

/* Grow *p (of *cap elements of size el) to hold need; the total is capped. */
static int grow(struct vi_rstream *rs, void **p, size_t *cap, size_t need, size_t el,
		struct vi_error *err)
{
	size_t n = *cap ? *cap : 4096 / el;
	uint64_t other;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	other = rs->k_cap + rs->e_cap * sizeof(struct ext) + rs->w_cap - *cap * el;
	if (other + (uint64_t)n * el > rs->cap) {
		if (other + (uint64_t)need * el > rs->cap)
			return over(rs, err);
		n = (size_t)((rs->cap - other) / el);	/* all that is left, once */
	}
	*p = vi_xrealloc(*p, n * el);
	*cap = n;
	return 0;
}

static int keep_append(struct vi_rstream *rs, uint64_t off, const uint8_t *p, size_t n,
		       struct vi_error *err)
{
	struct ext *last = rs->next ? &rs->ext[rs->next - 1] : NULL;

	if (!last || last->off + (rs->k_len - last->at) != off) {
		if (grow(rs, (void **)&rs->ext, &rs->e_cap, rs->next + 1, sizeof(*rs->ext),
			 err) < 0)
			return -1;
		rs->ext[rs->next].off = off;
		rs->ext[rs->next].at = rs->k_len;
		rs->next++;
	}
	if (grow(rs, (void **)&rs->keep, &rs->k_cap, rs->k_len + n, 1, err) < 0)
		return -1;
	memcpy(rs->keep + rs->k_len, p, n);
	rs->k_len += n;
	return 0;
}

/* Window bytes before upto leave it: kept, unless declared transient. */
static int commit(struct vi_rstream *rs, uint64_t upto, struct vi_error *err)
{
	uint64_t o = rs->w_off;

	if (upto > rs->src_pos)
		upto = rs->src_pos;
	if (upto <= o)
		return 0;
	while (o < upto) {
		uint64_t e = upto;
		while (rs->d_head < rs->d_n && rs->drop[rs->d_head].to <= o)
			rs->d_head++;
		if (rs->d_head < rs->d_n && rs->drop[rs->d_head].from <= o) {
			o = rs->drop[rs->d_head].to < upto ? rs->drop[rs->d_head].to : upto;
			continue;
		}
		if (rs->d_head < rs->d_n && rs->drop[rs->d_head].from < e)
			e = rs->drop[rs->d_head].from;
		if (keep_append(rs, o, rs->win + (o - rs->w_off), (size_t)(e - o), err) < 0)
			return -1;
		o = e;
	}
	memmove(rs->win, rs->win + (upto - rs->w_off), (size_t)(rs->src_pos - upto));
	rs->w_off = upto;
	if (rs->d_head == rs->d_n) {
		rs->d_head = rs->d_n = 0;
	} else if (rs->d_head > 1024) {
		memmove(rs->drop, rs->drop + rs->d_head, (rs->d_n - rs->d_head) * sizeof(*rs->drop));
		rs->d_n -= rs->d_head;
		rs->d_head = 0;
	}
	return 0;
}

static int read_more(struct vi_rstream *rs, struct vi_error *err)
{
	size_t have = (size_t)(rs->src_pos - rs->w_off);
	ssize_t got;

	if (grow(rs, (void **)&rs->win, &rs->w_cap, have + CHUNK, 1, err) < 0)
		return -1;
	if (rs->failed)
		return err->set ? -1 : vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
					       "the input could not be read to its end");
	got = vi_src_read(rs->src, rs->win + have, CHUNK, err);
	if (got < 0) {	/* not a layout to try another way: the input is bad */
		rs->failed = 1;
		return vi_error_hard(err);
	}
	if (got == 0) {
		rs->eof = 1;
		vi_progress_end(&rs->pg);
		return 0;
	}
	rs->src_pos += (uint64_t)got;
	vi_budget_add_input((uint64_t)got);	/* what is built from it may grow */
	vi_progress_update(&rs->pg, rs->what, rs->bottom->pos,
			   rs->src == rs->bottom ? 0 : rs->src_pos);
	return 0;
}

/* Read on until stream byte end - 1 is in the window (or the end), letting
 * the bytes before commit_to leave it. */
static int ensure(struct vi_rstream *rs, uint64_t commit_to, uint64_t end,
		  struct vi_error *err)
{
	while (rs->src_pos < end && !rs->eof) {
		uint64_t c = commit_to < rs->src_pos ? commit_to : rs->src_pos;
		if (c > rs->w_off && commit(rs, c, err) < 0)
			return -1;
		if (read_more(rs, err) < 0)
			return -1;
	}
	return 0;
}

static size_t kept_copy(const struct vi_rstream *rs, uint64_t off, uint8_t *dst, size_t n)
{
	size_t lo = 0, hi = rs->next, len;
	const struct ext *e;

	while (lo < hi) {	/* the last extent starting at or before off */
		size_t m = lo + (hi - lo) / 2;
		if (rs->ext[m].off <= off)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == 0)
		return 0;
	e = &rs->ext[lo - 1];
	len = (lo < rs->next ? rs->ext[lo].at : rs->k_len) - e->at;
	if (off >= e->off + len)
		return 0;
	if (n > e->off + len - off)
		n = (size_t)(e->off + len - off);
	memcpy(dst, rs->keep + e->at + (off - e->off), n);
	return n;
}

/* Copy stream bytes [off, off + n) as far as they are here. */
static size_t copy(const struct vi_rstream *rs, uint64_t off, uint8_t *dst, size_t n)
{
	size_t done = 0;

	while (done < n) {
		uint64_t at = off + done;
		size_t k;
		if (at < rs->w_off) {
			k = kept_copy(rs, at, dst + done, n - done);
			if (k > rs->w_off - at)
				k = (size_t)(rs->w_off - at);
		} else {
			k = at < rs->src_pos ? (size_t)(rs->src_pos - at) : 0;
			if (k > n - done)
				k = n - done;
			memcpy(dst + done, rs->win + (at - rs->w_off), k);
		}
		if (k == 0)
			break;
		done += k;
	}
	return done;
}

static void sync_size(struct vi_reader *r)
{
	if (r->st->eof)
		r->size = r->st->src_pos;
}

int rs_need(struct vi_reader *r, uint64_t commit_to, uint64_t end)
{
	if (end < r->pos)	/* wrapped */
		end = UINT64_MAX;
	if (ensure(r->st, commit_to, end, r->err) < 0)
		return -1;
	sync_size(r);
	return 0;
}

int rs_fill(struct vi_reader *r, size_t want)
{
	struct vi_rstream *rs = r->st;
	size_t n = r->fill_hint > want ? r->fill_hint : want;

	if (n > VI_RD_BUF)
		n = VI_RD_BUF;
	r->win = r->buf;	/* a stream read once is never mapped */
	r->buf_off = r->pos;
	r->buf_len = 0;
	if (rs_need(r, r->pos, r->pos + n) < 0)
		return -1;
	if (r->pos >= rd_end(r))
		n = 0;
	else if (n > rd_end(r) - r->pos)
		n = (size_t)(rd_end(r) - r->pos);
	r->buf_len = copy(rs, r->pos, r->buf, n);
	r->bytes_read += r->buf_len;
	r->fill_hint = VI_RD_BUF;
	if (r->buf_len == 0 && n > 0 && r->pos < rs->w_off)
		return vi_fail(r->err, VI_EXIT_INPUT, (int64_t)r->pos,
			       "stream byte %llu is no longer in memory: a pipe or compressed "
			       "input is read once, and RAM page contents are not kept "
			       "(give an uncompressed file)", (unsigned long long)r->pos);
	return 0;
}

size_t rs_peek_at(struct vi_reader *r, uint64_t off, void *dst, size_t n)
{
	uint64_t end;

	if (off >= rd_end(r))
		return 0;
	if (n > rd_end(r) - off)
		n = (size_t)(rd_end(r) - off);
	if (rs_need(r, off < r->pos ? off : r->pos, off + n) < 0)
		return 0;
	end = rd_end(r);
	if (off >= end)
		return 0;
	if (n > end - off)
		n = (size_t)(end - off);
	return copy(r->st, off, dst, n);
}

void rd_transient_at(struct vi_reader *r, uint64_t off, uint64_t n)
{
	struct vi_rstream *rs = r->st;
	struct drop *last;

	if (!rs || !n)
		return;
	if (n > UINT64_MAX - off)
		n = UINT64_MAX - off;
	if (off < rs->w_off) {	/* already kept (or dropped) */
		if (off + n <= rs->w_off)
			return;
		n -= rs->w_off - off;
		off = rs->w_off;
	}
	last = rs->d_n > rs->d_head ? &rs->drop[rs->d_n - 1] : NULL;
	if (last && off >= last->from && off <= last->to) {
		if (off + n > last->to)
			last->to = off + n;
		return;
	}
	if (last && off < last->from)
		return;	/* out of order: keeping it is always correct */
	if (rs->d_n == rs->d_cap) {
		rs->d_cap = rs->d_cap ? 2 * rs->d_cap : 64;
		rs->drop = vi_xrealloc(rs->drop, rs->d_cap * sizeof(*rs->drop));
	}
	rs->drop[rs->d_n].from = off;
	rs->drop[rs->d_n].to = off + n;
	rs->d_n++;
}

void rd_transient(struct vi_reader *r, uint64_t n)
{
	rd_transient_at(r, r->pos, n);
}

int rd_finish(struct vi_reader *r)
{
	if (!r->st)
		return 0;
	return rs_need(r, r->pos, UINT64_MAX);
}

void rd_init_input(struct vi_reader *r, const struct vi_input *in, struct vi_error *err)
{
	if (!in->rs) {
		rd_init(r, in->fd, in->base, in->size, err);
		return;
	}
	rd_init(r, -1, in->base, UINT64_MAX, err);
	r->st = in->rs;
	sync_size(r);
}

int vi_input_walked(struct vi_input *in)
{
	uint64_t size, input;

	if (!in->rs)
		return 0;
	rs_progress_end(in->rs);
	rs_at_end(in->rs, &size, &input);
	in->size = size;
	if (in->input_size == UINT64_MAX)
		in->input_size = input;
	if (in->file_size == UINT64_MAX)
		in->file_size = in->input_size;
	return in->rs->failed ? -1 : 0;
}
