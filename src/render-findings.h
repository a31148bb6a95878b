/* render-findings.h - check/diff results as text, JSON, SARIF 2.1.0, JUnit XML. */
#ifndef VI_RENDER_FINDINGS_H
#define VI_RENDER_FINDINGS_H

#include <jansson.h>
#include <stdio.h>
#include "vi-error.h"
#include "vi-findings.h"
#include "vi-output.h"
#include "session.h"

struct vi_result {                 /* one (input, destination) judged */
	const char *file;               /* the input as named (diff: "SRC -> DST") */
	const char *artifact;           /* the file behind it, for URIs (NULL: file) */
	const char *target;             /* destination id */
	const char *qemu_version;
	const char *machine;            /* machine type checked, or NULL */
	struct vi_findings findings;
	const char *verdict;            /* accept/reject, compatible/incompatible; NULL
					   when the input could not be judged */
	struct vi_error error;          /* set when it could not be judged */
	int found;                      /* a stream was found: offsets count its bytes */
	struct vi_input in;             /* where it lies in the file (when found) */
	size_t input;                   /* which input: results of one input share it */
	int own_machine;                /* machine is a copy to free */
};

struct vi_report {
	const char *tool_command;       /* "check" or "diff" */
	struct vi_result *results;
	size_t n;
	const char *machine;            /* --machine, or NULL */
	const char *verdict;            /* overall; NULL when an input could not be judged */
	int exit_code;                  /* what the run exits with */
	int no_offsets;                 /* diff: findings are about schemas, not bytes */
	struct vi_findings notes;       /* what the run assumed: once per run */
	enum vi_severity min_severity;  /* findings below it are left out */
	int quiet;                      /* text: the verdicts only */
	const char *baseline;           /* check --baseline FILE, or NULL: findings say
					   whether it suppressed them */
};

/* The views: text, json, sarif, junit (render(FILE *, const struct vi_report *)). */
extern const struct vi_outfmt vi_report_formats[];

/* One finding as a JSON object (class, severity, offset, length, path,
 * message; file when not NULL; offsets null when no_offsets). */
json_t *vi_finding_json(const struct vi_finding *f, const char *file, int no_offsets);
/* The same object written as it goes (report lists up to 10 000 findings a
 * destination): the same bytes as vi_jw_json() of vi_finding_json()
 * (test-jw checks). */
struct vi_jw;
void vi_finding_write(struct vi_jw *w, const struct vi_finding *f, const char *file,
		      int no_offsets);
/* An error as the JSON "error" object (file may be NULL; found and in say
 * what the offset counts: in may be NULL). */
json_t *vi_error_json(const struct vi_error *e, const char *file, int found,
		      const struct vi_input *in);
/* Set r->verdict and r->exit_code from the results. */
void vi_report_finish(struct vi_report *r, const char *accept, const char *reject);

#endif
