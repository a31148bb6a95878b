/* diff-stream.h - two streams compared: sections, versions, subsections,
 * decoded fields, and RAM per RAMBlock (diff-stream.c). */
#ifndef VI_DIFF_STREAM_H
#define VI_DIFF_STREAM_H

#include <jansson.h>
#include <stdio.h>
#include "session.h"

#define VI_DIFF_MAX_IGNORE 64

struct vi_diff_stream_opts {
	const char *ignore[VI_DIFF_MAX_IGNORE];  /* fnmatch patterns on field paths */
	size_t nignore;
	int no_default;                          /* without vi_diff_default_ignore */
};

/* Field paths that differ between any two saves of one idle guest. */
extern const char *const vi_diff_default_ignore[];

/* The differences as one document ("same": true when there are none);
 * both sessions were walked with ram_digests. */
json_t *vi_diff_streams(const struct vi_session *a, const struct vi_session *b,
			const struct vi_diff_stream_opts *o);
/* Its text view: render-diff-stream.h. */

#endif
