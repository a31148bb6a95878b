/* session.h - open one input and walk it: what dump, check and import share.
 *
 * Downstream code (check, report, compat, the commands) reads the session's
 * tree and typed facts (session-facts.h); the walker's own state stays
 * behind s->w, whose type only the walker knows (walk.h). */
#ifndef VI_SESSION_H
#define VI_SESSION_H

#include "input.h"
#include "input-reader.h"
#include "session-facts.h"
#include "vi-tree.h"

struct vi_walk;

struct vi_session {
	struct vi_input in;
	struct vi_reader *r;
	struct vi_node *root;           /* the decoded tree, NULL if none */
	struct vi_stream_facts facts;   /* what the stream told about itself */
	struct vi_walk *w;              /* the walker's private state */
	struct vi_error err;
	int opened;             /* the input could be opened and bid on */
};

/* 0, or -1 with s->err set (the tree then holds what was decoded). */
int vi_session_walk(struct vi_session *s, const char *path,
		    const struct vi_walk_opts *opts);
/* Walk s's input again into t, with other options: the same open file, or
 * for a pipe or compressed input read once what the first walk kept in
 * memory (all but RAM page contents).  As vi_session_walk. */
int vi_session_rewalk(struct vi_session *t, const struct vi_session *s,
		      const struct vi_walk_opts *opts);
void vi_session_close(struct vi_session *s);
/* Free the decoded tree (s->root becomes NULL; facts, error and input stay,
 * so s can still be walked again with vi_session_rewalk). */
void vi_session_drop_tree(struct vi_session *s);
/* Free each RAMBlock's page list (for extract and diff), keeping its
 * digest and counts: all report needs (200 000 pages: ~5 MB). */
void vi_session_drop_pages(struct vi_session *s);

/* Did the input open (a stream was found, possibly inside a container)?
 * An error before that means the input cannot be judged (exit 3, no
 * verdict); an error after it is damage in a found stream. */
static inline int vi_session_found(const struct vi_session *s)
{
	return s->opened;
}
/* The file offset of stream byte off, when the stream is stored in the
 * file as it is (no compression, no qcow2 cluster mapping): 1 and *file. */
int vi_input_file_offset(const struct vi_input *in, uint64_t off, uint64_t *file);
/* What a byte offset of s's error counts, for a message: "byte N (0xN)"
 * for a raw stream (or input-layer errors, which count the file's bytes),
 * "stream byte N (0xN), file byte M (0xM)" for a stream inside a
 * container, "stream byte N (0xN) (...)" when it has no file offset. */
void vi_session_where(const struct vi_session *s, uint64_t off, char *buf, size_t n);
/* The error line: "vmstate-inspect: FILE: WHERE: MESSAGE" on stderr. */
void vi_session_print_error(const struct vi_session *s, const char *file);

#endif
