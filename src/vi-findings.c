/* vi-findings.c - the list of findings and the classes they come in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-findings.h"
#include "vi-escape.h"
#include "vi-tree.h"

const struct vi_class_info vi_classes[VI_C_COUNT] = {
#define VI_CLASS_ROW(e, name, sev, doc) { VI_C_##e, name, sev, doc },
	VI_CLASSES(VI_CLASS_ROW)
#undef VI_CLASS_ROW
};

/* Past VI_MAX_FINDINGS the last finding kept becomes the count of the
 * rest: the first one dropped and every later one. */
static void drop_n(struct vi_findings *f, size_t n, size_t errors, enum vi_severity sev)
{
	struct vi_finding *x = &f->v[f->n - 1];
	char msg[200];

	if (!f->dropped) {
		f->dropped = 1;
		f->dropped_errors = x->severity == VI_SEV_ERROR;
		x->cls = VI_C_ASSUMPTION;
		vi_budget_release_ptr(x->path);
		free(x->path);
		x->path = vi_xstrdup("");
	}
	f->dropped += n;
	f->dropped_errors += errors;
	if (sev > x->severity)
		x->severity = sev;
	snprintf(msg, sizeof(msg), "... and %zu more findings (%zu errors) not listed: "
		 "only the first %u are kept", f->dropped, f->dropped_errors,
		 VI_MAX_FINDINGS - 1);
	vi_budget_release_ptr(x->message);
	free(x->message);
	x->message = vi_xstrdup(msg);
	vi_budget_charge_ptr(x->message);
}

static void drop(struct vi_findings *f, enum vi_severity sev)
{
	drop_n(f, 1, sev == VI_SEV_ERROR, sev);
}

void vi_findings_drop_more(struct vi_findings *f, size_t n, size_t errors, size_t warnings,
			   enum vi_severity worst)
{
	if (!n || !f->dropped)
		return;
	f->total += n;
	f->total_errors += errors;
	f->total_warnings += warnings;
	drop_n(f, n, errors, worst);
}

void vi_finding_add(struct vi_findings *f, enum vi_class cls, enum vi_severity sev,
		    uint64_t offset, uint64_t length, const char *path,
		    const char *fmt, ...)
{
	struct vi_finding *x;
	char msg[1024];
	va_list ap;

	f->total++;
	f->total_errors += sev == VI_SEV_ERROR;
	f->total_warnings += sev == VI_SEV_WARNING;
	if (f->n >= VI_MAX_FINDINGS) {
		drop(f, sev);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vi_utf8_cut(msg, sizeof(msg) - 1);	/* vsnprintf may cut a character */
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		vi_budget_release_ptr(f->v);
		f->v = vi_xrealloc(f->v, f->cap * sizeof(*f->v));
		vi_budget_charge_ptr(f->v);
	}
	x = &f->v[f->n++];
	x->cls = cls;
	x->severity = sev;
	x->offset = offset;
	x->length = length;
	x->path = vi_xstrdup(path ? path : "");
	x->message = vi_xstrdup(msg);
	vi_budget_charge_ptr(x->path);
	vi_budget_charge_ptr(x->message);
	x->seq = f->n - 1;
	x->suppressed = NULL;
}

void vi_findings_free(struct vi_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		vi_budget_release_ptr(f->v[i].path);
		vi_budget_release_ptr(f->v[i].message);
		free(f->v[i].path);
		free(f->v[i].message);
	}
	vi_budget_release_ptr(f->v);
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
		if (f->v[i].severity == VI_SEV_ERROR && !f->v[i].suppressed)
			return &f->v[i];
	return NULL;
}

const char *vi_severity_name(enum vi_severity s)
{
	return s == VI_SEV_ERROR ? "error" : s == VI_SEV_WARNING ? "warning" : "note";
}

int vi_severity_parse(const char *s, enum vi_severity *out)
{
	static const enum vi_severity all[] = { VI_SEV_NOTE, VI_SEV_WARNING, VI_SEV_ERROR };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, vi_severity_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}
