/* render-redact.h - dump --redact (render-redact.c). */
#ifndef VI_REDACT_H
#define VI_REDACT_H

#include <stddef.h>
#include "input-reader.h"
#include "vi-tree.h"

/* Replace every value that can hold guest data by its length and digest
 * (attributes redacted, redacted_length, redacted_xxh3_128); r reads the
 * stream the tree came from.  Returns how many values were redacted. */
size_t vi_redact_tree(struct vi_node *root, struct vi_reader *r);

#endif
