/* session.c - open one input and walk it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include "vi-escape.h"
#include "session.h"
#include "walk.h"

/* A stream read once whose compressed data turns out corrupt (or a read
 * fails) is an input that cannot be read, as it was when such input was
 * unpacked before the walk: no tree, no verdict, the error. */
static int walked(struct vi_session *s, int rc)
{
	if (vi_input_walked(&s->in) < 0) {
		vi_walk_free(s->w);
		s->opened = 0;
		rc = -1;
	}
	s->root = s->w->root;
	return rc;
}

static int walk(struct vi_session *s, const struct vi_walk_opts *opts)
{
	int rc;

	s->w = vi_xmalloc(sizeof(*s->w));
	rc = walked(s, vi_walk_stream(s->w, s->r, opts, &s->facts, &s->err));
	rd_release(s->r);	/* its last window: mapped again if read again */
	return rc;
}

int vi_session_walk(struct vi_session *s, const char *path,
		    const struct vi_walk_opts *opts)
{
	memset(s, 0, sizeof(*s));
	if (vi_input_open(&s->in, path, &s->err) < 0)
		return -1;
	s->opened = 1;
	s->r = vi_xmalloc(sizeof(*s->r));
	rd_init_input(s->r, &s->in, &s->err);
	s->r->name = path;
	return walk(s, opts);
}

int vi_session_rewalk(struct vi_session *t, const struct vi_session *s,
		      const struct vi_walk_opts *opts)
{
	memset(t, 0, sizeof(*t));
	t->in = s->in;
	vi_input_share(&t->in);	/* a stream read once: what the first walk kept */
	if (t->in.rs)
		t->in.fd = -1;
	else if ((t->in.fd = dup(s->in.fd)) < 0)
		return vi_fail(&t->err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot reopen: %s",
			       strerror(errno));
	t->opened = 1;
	t->r = vi_xmalloc(sizeof(*t->r));
	rd_init_input(t->r, &t->in, &t->err);
	t->r->name = s->r ? s->r->name : NULL;
	if (opts && opts->ram_digests) {
		/* The first walk has the blocks' digests (the same stream: the
		 * same blocks): a stream read once cannot give the page contents
		 * again, and a file need not (report rewalked a 100 000-section
		 * file once per destination, hashing its RAM and keeping a page
		 * list each time). */
		struct vi_walk_opts o = *opts;
		int rc;
		o.ram_digests = 0;
		rc = walk(t, &o);
		t->facts.ram_digests = s->facts.ram_digests;
		for (size_t i = 0; i < t->facts.nblocks && i < s->facts.nblocks; i++) {
			struct ram_pages *a = &t->facts.blocks[i].pg;
			const struct ram_pages *b = &s->facts.blocks[i].pg;
			if (strcmp(t->facts.blocks[i].name, s->facts.blocks[i].name))
				break;
			a->done = b->done;
			a->unavailable = b->unavailable;
			a->nonzero = b->nonzero;
			memcpy(a->hex, b->hex, sizeof(a->hex));
		}
		return rc;
	}
	return walk(t, opts);
}

void vi_session_drop_tree(struct vi_session *s)
{
	for (size_t i = 0; i < s->facts.nsections; i++)
		s->facts.sections[i].first = NULL;
	for (size_t i = 0; i < s->facts.nblocks; i++)
		s->facts.blocks[i].node = NULL;
	if (s->w) {
		s->w->ram_node = NULL;
		vi_node_free(s->w->root);
		s->w->root = NULL;
	}
	s->root = NULL;
}

void vi_session_drop_pages(struct vi_session *s)
{
	for (size_t i = 0; i < s->facts.nblocks; i++) {
		struct ram_pages *p = &s->facts.blocks[i].pg;
		free(p->v);
		p->v = NULL;
		p->n = p->cap = 0;
	}
}

void vi_session_close(struct vi_session *s)
{
	if (s->w) {
		vi_walk_free(s->w);
		free(s->w);
		s->w = NULL;
	}
	s->root = NULL;
	vi_input_close(&s->in);
	if (s->r)
		rd_release(s->r);
	free(s->r);
	s->r = NULL;
}

int vi_input_file_offset(const struct vi_input *in, uint64_t off, uint64_t *file)
{
	if (in->nfilters || !in->container || strcmp(in->container, "qcow2") == 0)
		return 0;
	*file = in->base + off;
	return 1;
}

void vi_session_where(const struct vi_session *s, uint64_t off, char *buf, size_t n)
{
	const struct vi_input *in = &s->in;
	uint64_t file;

	if (!s->opened || !in->container ||
	    (strcmp(in->container, "raw") == 0 && in->base == 0))
		snprintf(buf, n, "byte %" PRIu64 " (0x%" PRIx64 ")", off, off);
	else if (vi_input_file_offset(in, off, &file))
		snprintf(buf, n, "stream byte %" PRIu64 " (0x%" PRIx64 "), file byte %" PRIu64
			 " (0x%" PRIx64 ")", off, off, file, file);
	else
		snprintf(buf, n, "stream byte %" PRIu64 " (0x%" PRIx64 ") (%s%s%s)", off, off,
			 strcmp(in->container, "qcow2") == 0 ? "in a qcow2 snapshot's VM state"
			 : "in the ", strcmp(in->container, "qcow2") == 0 ? "" : in->container,
			 strcmp(in->container, "qcow2") == 0 ? "" : " payload, compressed in the file");
}

void vi_session_print_error(const struct vi_session *s, const char *file)
{
	char where[160];

	if (!s->err.set)
		return;
	if (!s->err.has_offset) {
		vi_error_print(&s->err, file);
		return;
	}
	vi_session_where(s, s->err.offset, where, sizeof(where));
	fprintf(stderr, "vmstate-inspect: %s: %s: %s\n", vi_tx(file), where, s->err.msg);
}
