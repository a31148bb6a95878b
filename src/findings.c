/* findings.c - the list of findings and the classes they come in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "findings.h"
#include "tree.h"

const struct vi_class_info vi_classes[] = {
	{ "unknown-section", "the destination has no such section, instance or RAMBlock" },
	{ "unknown-subsection", "the destination's vmstate has no such subsection" },
	{ "version-too-new", "a version above the destination's version_id" },
	{ "version-too-old", "a version below the destination's minimum_version_id" },
	{ "field-mismatch", "the destination would read or accept different bytes" },
	{ "machine-mismatch", "the configuration names another machine type or page size" },
	{ "machine-property", "the machine type's compat properties forbid what is in the stream" },
	{ "capability-mismatch", "the source's validated migration capabilities (x-ignore-shared, "
	  "mapped-ram) differ from the destination's, or the destination must enable them" },
	{ "unsupported-command", "a command record the destination release does not know" },
	{ "truncated", "the stream ends early" },
	{ "bad-footer", "a section footer is missing or names another section" },
	{ "bad-magic", "not a migration stream, or an unsupported stream version" },
	{ "malformed", "the bytes break the stream format" },
	{ "assumption", "what the check had to assume" },
	{ "incompatible", "a schema change that breaks migration in this direction" },
	{ NULL, NULL },
};

void vi_finding_add(struct vi_findings *f, const char *cls, enum vi_severity sev,
		    uint64_t offset, uint64_t length, const char *path,
		    const char *fmt, ...)
{
	struct vi_finding *x;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->v = vi_xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	x = &f->v[f->n++];
	x->cls = cls;
	x->severity = sev;
	x->offset = offset;
	x->length = length;
	x->path = vi_xstrdup(path ? path : "");
	x->message = vi_xstrdup(msg);
	x->seq = f->n - 1;
}

void vi_findings_free(struct vi_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].message);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int by_offset(const void *a, const void *b)
{
	const struct vi_finding *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void vi_findings_sort(struct vi_findings *f)
{
	/* qsort is not stable: order equal offsets by severity, then by the
	 * order the checks added them (the order QEMU would meet them). */
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), by_offset);
}

const struct vi_finding *vi_findings_first_error(const struct vi_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].severity == VI_SEV_ERROR)
			return &f->v[i];
	return NULL;
}

const char *vi_severity_name(enum vi_severity s)
{
	return s == VI_SEV_ERROR ? "error" : s == VI_SEV_WARNING ? "warning" : "note";
}
