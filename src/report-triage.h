/* report-triage.h - what `report` says about one stream, as one typed summary
 * (struct vi_triage_report): the input, the source (machine type, likely QEMU
 * release), the devices, where the bytes go, what is wrong in the stream,
 * and what each checked destination would do.  Gathering (report-triage.c) is apart
 * from judging (check-engine.c) and from showing (render-triage.c,
 * render-report.c). */
#ifndef VI_TRIAGE_H
#define VI_TRIAGE_H

#include <jansson.h>
#include <stdint.h>
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

/* Compare s's device sections with each of n schemas (fills r[i] except
 * target/version), in one pass over the sections. */
void vi_triage_versions(const struct vi_session *s, const struct vi_schema *const *schemas,
			struct vi_triage_release *const *r, size_t n);

/* ---- the report: a typed summary, built once, walked by every view ----
 *
 * vi_triage_build gathers it from the walked session; render-triage.c
 * (text, json) and render-report.c (markdown, html) walk it.  Strings
 * point into the session, the targets and the findings, which outlive it;
 * it owns only its arrays.  The JSON view writes the members in the order
 * the man page documents (report_version, input, source, devices, bytes,
 * problems, destinations, error). */

/* One device: its first (FULL or START) record and every record after. */
struct vi_report_device {
	const struct vi_node *first;    /* the HTML view's field tree */
	const char *section;            /* idstr */
	const char *decoded_by;         /* NULL when the walk did not say */
	uint64_t instance_id, version_id, offset;
	uint64_t bytes, undecoded;
	size_t records;
};

struct vi_report_block {
	const char *name;
	uint64_t used_length, pages, zero_pages, normal_pages, xbzrle_pages,
		 compressed_pages;
	enum { VI_DIGEST_NONE, VI_DIGEST_HEX, VI_DIGEST_UNAVAILABLE } digest;
	const char *hex;                /* VI_DIGEST_HEX */
};

enum vi_report_sev { VI_RP_WARNING, VI_RP_NOTE, VI_RP_ERROR };

/* A problem in the stream itself (not in a destination). */
struct vi_report_problem {
	enum vi_report_sev severity;
	int has_offset;
	uint64_t offset;
	const char *message;
};

/* A destination's verdict, counted from its findings. */
struct vi_report_dest {
	const struct vi_triage_dest *d;
	size_t errors, warnings;
	const struct vi_finding *first_error;   /* NULL: none */
};

struct vi_triage_report {
	/* an input with nothing to report: only file and error */
	int error_only;
	json_t *error_doc;              /* error_only: vi_error_json's object */
	const char *error_message;      /* error_only: its message */

	const struct vi_node *root;     /* the decoded tree (HTML view) */
	/* input */
	const char *file, *container, *detail;     /* detail: NULL if none */
	const char *const *filters;
	int nfilters;
	uint64_t file_size, stream_offset, stream_size;
	const struct vi_libvirt *libvirt;          /* NULL: not a libvirt image */
	const struct vi_snapshot *snapshot;        /* NULL: not a qcow2 snapshot */
	int has_qevm;
	uint64_t qevm_version;
	/* source */
	const char *machine;            /* NULL: no configuration section */
	char machine_since[32];         /* "7.2", or "" */
	int has_page_size;
	uint64_t page_size;
	const char *page_size_from;
	int trailer, section_footers;
	const char *caps[4];
	size_t ncaps;
	const char **commands;
	size_t ncommands;
	/* which release wrote it */
	const struct vi_triage_release *rel;
	size_t nrel;
	size_t *fit;                    /* indexes into rel: consistent with */
	size_t nfit;
	int other_architecture, newer_than_installed;
	const struct vi_triage_release *closest;   /* NULL: none */
	/* devices and bytes */
	struct vi_report_device *devices;
	size_t ndevices;
	uint64_t b_stream, b_header, b_ram, b_devices, b_trailer, b_other, b_not_walked;
	struct vi_report_block *blocks;
	size_t nblocks;
	/* problems in the stream */
	struct vi_report_problem *problems;
	size_t nproblems;
	char undecoded_note[160];
	/* destinations */
	struct vi_report_dest *dests;
	size_t ndests;
	/* the walk error (NULL: none) */
	const struct vi_error *err;
};

/* Gather the report of a walked session (the walk error, if any, is s->err). */
void vi_triage_build(struct vi_triage_report *r, const struct vi_session *s, const char *file,
		     const struct vi_triage_release *rel, size_t nrel,
		     const struct vi_triage_dest *dest, size_t ndest);
/* The report of an input with nothing to report: file and error (error:
 * vi_error_json's object, owned by the report from here on). */
void vi_triage_error(struct vi_triage_report *r, const char *file, json_t *error);
void vi_triage_free(struct vi_triage_report *r);

extern const char *const vi_report_sev_names[];   /* "warning", "note", "error" */

/* The views: text, json, markdown, html (render(FILE *, const struct
 * vi_report *)); the text view of an error-only report writes nothing and
 * returns 1 (the error line on stderr says it all). */
extern const struct vi_outfmt vi_triage_formats[];

#endif
