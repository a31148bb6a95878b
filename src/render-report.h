/* render-report.h - the JSON, markdown and HTML views of a report
 * (report-triage.h); the text view is render-triage.c's. */
#ifndef VI_RENDER_REPORT_H
#define VI_RENDER_REPORT_H

#include <stdio.h>

/* Rows of vi_triage_formats (render-triage.c); model is the report (const
 * struct vi_triage_report *).  A comment for a GitLab/GitHub issue: */
int vi_report_markdown(FILE *out, const void *doc);
/* The document of report --format json (render-report-json.c). */
int vi_report_json(FILE *out, const void *doc);
/* One self-contained page, with each device's decoded fields. */
int vi_report_html(FILE *out, const void *doc);

#endif
