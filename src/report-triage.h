/* report-triage.h - what `report` says about one stream, as one JSON document:
 * the input, the source (machine type, likely QEMU release), the devices,
 * where the bytes go, what is wrong in the stream, and what each checked
 * destination would do.  render-triage.c shows it as text; -f json prints
 * it as is.  Gathering (here) is apart from judging (check-engine.c) and
 * from showing. */
#ifndef VI_TRIAGE_H
#define VI_TRIAGE_H

#include <jansson.h>
#include <stdio.h>
#include "vi-findings.h"
#include "vi-output.h"
#include "schema.h"
#include "session.h"

/* One destination the stream was checked against. */
struct vi_triage_dest {
	const char *target;             /* "qemu-10.0/x86_64" */
	const char *qemu_version;       /* its schema's `--version` line */
	const char *machine;            /* machine type checked */
	int machine_known;              /* the target has that machine type */
	struct vi_findings findings;    /* vi_check_stream's */
};

/* How the stream's section versions compare with one target's schema: the
 * source wrote each section at its own vmsd's version_id. */
struct vi_triage_release {
	const char *target, *qemu_version;
	int machine_known;
	size_t same, differ, unknown;   /* sections */
	int cpu_match;                  /* the stream's "cpu" fields are this
					   target's (1), are not: another
					   architecture (0), cannot tell (-1) */
	char first_differ[300];         /* "cpu: 12 in the stream, 13 here" */
};

/* Compare s's device sections with schema (fills r except target/version). */
void vi_triage_versions(const struct vi_session *s, const struct vi_schema *schema,
			struct vi_triage_release *r);

/* The report document (new reference).  The walk error, if any, is s->err. */
json_t *vi_triage_build(const struct vi_session *s, const char *file,
			const struct vi_triage_release *rel, size_t nrel,
			const struct vi_triage_dest *dest, size_t ndest);

/* The text view. */
void vi_triage_text(FILE *out, json_t *doc);
/* The views: text, json (render(FILE *, json_t *doc)); a document without
 * "input" is an error document ({report_version, file, error}). */
extern const struct vi_outfmt vi_triage_formats[];

#endif
