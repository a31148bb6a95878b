/* render-report.h - markdown and HTML views of a `report` document. */
#ifndef VI_RENDER_REPORT_H
#define VI_RENDER_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "vi-tree.h"

/* Rows of vi_triage_formats (render-triage.c); doc is the report document
 * (json_t *).  A comment for a GitLab/GitHub issue: */
int vi_report_markdown(FILE *out, const void *doc);
/* One self-contained page, with the device tree set below. */
int vi_report_html(FILE *out, const void *doc);
/* The decoded tree whose device sections the HTML view expands (NULL:
 * none); cmd-report.c sets it before rendering. */
void vi_report_set_tree(const struct vi_node *root);

#endif
