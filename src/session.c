/* session.c - open one input and walk it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include "escape.h"
#include "session.h"

int vi_session_walk(struct vi_session *s, const char *path,
		    const struct vi_walk_opts *opts)
{
	memset(s, 0, sizeof(*s));
	if (vi_input_open(&s->in, path, &s->err) < 0)
		return -1;
	s->opened = 1;
	s->r = vi_xmalloc(sizeof(*s->r));
	rd_init(s->r, s->in.fd, s->in.base, s->in.size, &s->err);
	s->r->name = path;
	return vi_walk_stream(&s->w, s->r, opts, &s->err);
}

int vi_session_rewalk(struct vi_session *t, const struct vi_session *s,
		      const struct vi_walk_opts *opts)
{
	memset(t, 0, sizeof(*t));
	t->in = s->in;
	vi_input_share(&t->in);
	if ((t->in.fd = dup(s->in.fd)) < 0)
		return vi_fail(&t->err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot reopen: %s",
			       strerror(errno));
	t->opened = 1;
	t->r = vi_xmalloc(sizeof(*t->r));
	rd_init(t->r, t->in.fd, t->in.base, t->in.size, &t->err);
	t->r->name = s->r ? s->r->name : NULL;
	return vi_walk_stream(&t->w, t->r, opts, &t->err);
}

void vi_session_close(struct vi_session *s)
{
	vi_walk_free(&s->w);
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
