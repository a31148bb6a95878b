/* render-json-parts.h - what the JSON view's two writers share: render-json.c
 * builds the document with jansson, render-json-write.c streams the same
 * bytes without building it.  Private to render-json*.c. */
#ifndef VI_RENDER_JSON_PARTS_H
#define VI_RENDER_JSON_PARTS_H

#include <stdint.h>
#include <jansson.h>
#include "render.h"
#include "vi-tree.h"

#define RJ_FORMAT_VERSION 1

json_t *rj_uint(uint64_t v);
json_t *rj_hex(const uint8_t *p, size_t n);
json_t *rj_string(const char *s);
json_t *rj_value(const struct vi_node *n);
json_t *rj_warning(const struct vi_node *n);
json_t *rj_error(const struct vi_doc *doc);
int rj_scalar_leaf(const struct vi_node *n);
const char *rj_kids_key(const struct vi_node *parent, const struct vi_node *k);

#endif
