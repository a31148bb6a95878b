/* render-diff-stream.h - the text view of vi_diff_streams' document. */
#ifndef VI_RENDER_DIFF_STREAM_H
#define VI_RENDER_DIFF_STREAM_H

#include <jansson.h>
#include <stdio.h>

/* fa and fb: the two files, as the user named them. */
void vi_diff_streams_text(FILE *out, json_t *doc, const char *fa, const char *fb);

#endif
