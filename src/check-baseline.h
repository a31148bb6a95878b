/* check-baseline.h - "check --baseline FILE": findings accepted on purpose.
 *
 * A baseline is text, one accepted finding per line:
 *
 *     CLASS PATH-PATTERN TARGET
 *
 * separated by spaces or tabs; CLASS a finding class (vmstate-inspect help
 * classes), PATH-PATTERN a shell pattern (fnmatch, "*" matching "/" too; a
 * backslash quotes the next character, so a space or "*" in a path is
 * written "\ " or "\*"; "-" alone is the empty path), TARGET a target id or
 * a pattern over it ("*": every target).  Blank lines and lines whose first
 * other character is "#" are comments, as is anything after a fourth field
 * starting with "#".  A finding that matches a line is suppressed: shown,
 * marked, and not counted in the verdict.
 */
#ifndef VI_CHECK_BASELINE_H
#define VI_CHECK_BASELINE_H

#include <stdio.h>
#include "vi-findings.h"

#define VI_MAX_BASELINE_LINE   4096       /* bytes of one line */
#define VI_MAX_BASELINE_LINES  100000u    /* lines of one file */

struct vi_baseline_line {
	enum vi_class cls;
	char *pattern, *target;
	char *why;                  /* "baseline FILE:LINE": the justification */
	unsigned line;
	size_t used;                /* findings it suppressed */
};

struct vi_baseline {
	const char *path;
	struct vi_baseline_line *v;
	size_t n;
	size_t suppressed;          /* findings suppressed in the run */
};

/* Read path.  0, or -1 after one line on stderr naming FILE:LINE (exit
 * status 2). */
int vi_baseline_load(struct vi_baseline *b, const char *path);
/* Mark the findings of one (input, target) that a line accepts (their
 * suppressed field names the line).  Returns how many errors it marked. */
size_t vi_baseline_apply(struct vi_baseline *b, struct vi_findings *f, const char *target);
/* Notes for the run: how many findings were suppressed, and each line that
 * matched none ("unused"). */
void vi_baseline_notes(const struct vi_baseline *b, struct vi_findings *notes);
void vi_baseline_free(struct vi_baseline *b);

/* --write-baseline: collect lines, then write them sorted and without
 * duplicates. */
struct vi_baseline_writer {
	char **lines;
	size_t n, cap;
};
void vi_baseline_collect(struct vi_baseline_writer *w, const struct vi_finding *f,
			 const char *target);
/* The file's text; 0, or -1 on a write error (the caller's sink reports it). */
int vi_baseline_write(struct vi_baseline_writer *w, FILE *out);
void vi_baseline_writer_free(struct vi_baseline_writer *w);

#endif
