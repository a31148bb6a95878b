/* session.h - open one input and walk it: what dump, check and import share. */
#ifndef VI_SESSION_H
#define VI_SESSION_H

#include "input.h"
#include "reader.h"
#include "walk.h"

struct vi_session {
	struct vi_input in;
	struct vi_reader *r;
	struct vi_walk w;
	struct vi_error err;
	int opened;             /* the input could be opened and bid on */
};

/* 0, or -1 with s->err set (the tree then holds what was decoded). */
int vi_session_walk(struct vi_session *s, const char *path,
		    const struct vi_walk_opts *opts);
/* Walk s's input again into t (the same open file: a spooled pipe or
 * filter output too), with other options.  As vi_session_walk. */
int vi_session_rewalk(struct vi_session *t, const struct vi_session *s,
		      const struct vi_walk_opts *opts);
void vi_session_close(struct vi_session *s);

#endif
