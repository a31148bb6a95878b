/* vi-output.h - where a command's document goes, and in which format.
 *
 * The output sink: -o FILE is written to a temporary file beside FILE and
 * renamed over it only when the whole document was written (vi_out_commit);
 * a run that fails leaves an existing FILE as it was (vi_out_abort).  An
 * output that is not a regular file (a device, a FIFO) and standard output
 * ("-" or no -o) are written directly.  Every write is checked: a full
 * disk, a closed standard output or any other write error is one line on
 * standard error and exit status 2.  A reader that closes a pipe early
 * ends the run quietly, as SIGPIPE does for every filter.
 *
 * Every file the run reads is recorded (vi_out_note_read); -o naming one
 * of them is refused, when the output is opened and again before it is
 * committed (schemas are resolved after -o is opened).
 *
 * Formats: one table per view, {name, render}; adding a format is one
 * renderer and one row.
 */
#ifndef VI_OUTPUT_H
#define VI_OUTPUT_H

#include <stdio.h>

struct vi_out {
	const char *name;      /* for messages: the -o argument or "standard output" */
	char *dest;            /* the file to replace, or NULL (written directly) */
	char *tmp;             /* the temporary file beside it */
	FILE *f;               /* write here */
	int fd;
	int err;               /* first write errno, 0 if none */
};

/* Open the output: path NULL or "-" is standard output.  0, or -1 after
 * one line on stderr (exit status 2). */
int vi_out_open(struct vi_out *o, const char *path);
/* Flush and check every write, then put the document in place.  0, or -1
 * after one line on stderr (exit status 2; the destination untouched). */
int vi_out_commit(struct vi_out *o);
/* Throw away what was written: an existing destination stays as it was. */
void vi_out_abort(struct vi_out *o);

/* Record a file the run reads ("-" is standard input; NULL is skipped). */
void vi_out_note_read(const char *path);

/* Run once at start: standard input, output and error opened if closed
 * (output read-only, so a write to it fails and is reported), SIGPIPE
 * back to its default. */
void vi_stdio_guard(void);

/* One output format of a view. */
typedef int (*vi_render_fn)(FILE *out, const void *model);
struct vi_outfmt {
	const char *name;
	vi_render_fn render;
};
/* The row named name in a table ended by a NULL name, or NULL. */
const struct vi_outfmt *vi_outfmt_find(const struct vi_outfmt *table, const char *name);
/* "text, json, sarif or junit" (a static buffer). */
const char *vi_outfmt_names(const struct vi_outfmt *table);

#endif
