/* render.h - two views of one decoded tree: text (tshark -V style) and JSON. */
#ifndef VI_RENDER_H
#define VI_RENDER_H

#include <jansson.h>
#include <stdio.h>
#include "vi-error.h"
#include "input.h"
#include "vi-tree.h"

struct vi_doc {
	const struct vi_input *in;
	const struct vi_node *root;
	const struct vi_error *err;   /* set when the walk stopped early */
	int unjudged;                 /* the input did not open: no stream was found */
};

void render_text(FILE *out, const struct vi_doc *doc);
json_t *render_json(const struct vi_doc *doc);
/* The JSON value of one node (also used by other commands' output). */
json_t *render_json_node(const struct vi_node *n);
/* Print a JSON document; 0 or -1 on write failure. */
int render_json_dump(FILE *out, json_t *doc);
/* Print render_json(doc) as render_json_dump does, without building it
 * (memory stays small for trees of any size); 0 or -1 on write failure. */
int render_json_write(FILE *out, const struct vi_doc *doc);

#endif
