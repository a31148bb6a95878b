/* session.c - open one input and walk it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	return vi_walk_stream(&s->w, s->r, opts, &s->err);
}

int vi_session_rewalk(struct vi_session *t, const struct vi_session *s,
		      const struct vi_walk_opts *opts)
{
	memset(t, 0, sizeof(*t));
	t->in = s->in;
	if ((t->in.fd = dup(s->in.fd)) < 0)
		return vi_fail(&t->err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot reopen: %s",
			       strerror(errno));
	t->opened = 1;
	t->r = vi_xmalloc(sizeof(*t->r));
	rd_init(t->r, t->in.fd, t->in.base, t->in.size, &t->err);
	return vi_walk_stream(&t->w, t->r, opts, &t->err);
}

void vi_session_close(struct vi_session *s)
{
	vi_walk_free(&s->w);
	vi_input_close(&s->in);
	free(s->r);
	s->r = NULL;
}
