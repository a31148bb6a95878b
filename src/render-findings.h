/* render-findings.h - check/diff results as text, JSON, SARIF 2.1.0, JUnit XML. */
#ifndef VI_RENDER_FINDINGS_H
#define VI_RENDER_FINDINGS_H

#include <jansson.h>
#include <stdio.h>
#include "findings.h"

struct vi_result {                 /* one checked input */
	const char *file;
	struct vi_findings findings;
	int unreadable;                 /* could not be read at all (exit 3) */
	const char *verdict;            /* "accept", "reject" or "unreadable" */
};

struct vi_report {
	const char *tool_command;       /* "check" or "diff" */
	const char *target;             /* destination description */
	const char *qemu_version;
	const char *machine;
	struct vi_result *results;
	size_t n;
	const char *verdict;            /* overall */
	int no_offsets;                 /* diff: findings are about schemas, not bytes */
};

enum vi_report_format { VI_REP_TEXT, VI_REP_JSON, VI_REP_SARIF, VI_REP_JUNIT };

/* One finding as a JSON object (class, severity, offset, length, path,
 * message; file when not NULL; offsets null when no_offsets). */
json_t *vi_finding_json(const struct vi_finding *f, const char *file, int no_offsets);
int vi_report_format_parse(const char *s, enum vi_report_format *out);
void vi_report_render(FILE *out, const struct vi_report *r, enum vi_report_format f);
/* Render to path (NULL: stdout); -1 with a message if it cannot be written. */
int vi_report_write(const char *path, const struct vi_report *r, enum vi_report_format f);

#endif
