/* findings.h - what is wrong, kept apart from walking (what is there) and
 * from rendering (how it is shown). */
#ifndef VI_FINDINGS_H
#define VI_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

enum vi_severity { VI_SEV_NOTE, VI_SEV_WARNING, VI_SEV_ERROR };

struct vi_finding {
	const char *cls;            /* unknown-section, version-too-new, ... */
	enum vi_severity severity;  /* error = the destination rejects */
	uint64_t offset;            /* stream byte offset */
	uint64_t length;            /* bytes concerned (0 = a position) */
	char *path;                 /* section[/instance]/subsection/field */
	char *message;              /* what the destination would do */
	size_t seq;                 /* order added: ties in offset keep it */
};

struct vi_findings {
	struct vi_finding *v;
	size_t n, cap;
};

__attribute__((format(printf, 7, 8)))
void vi_finding_add(struct vi_findings *f, const char *cls, enum vi_severity sev,
		    uint64_t offset, uint64_t length, const char *path,
		    const char *fmt, ...);
void vi_findings_free(struct vi_findings *f);
/* Sort by offset: QEMU loads in stream order, so the first error is what
 * it would report. */
void vi_findings_sort(struct vi_findings *f);
/* The first error, or NULL: its class is the predicted failure class. */
const struct vi_finding *vi_findings_first_error(const struct vi_findings *f);
const char *vi_severity_name(enum vi_severity s);

/* Every class check and diff report, with a one-line description. */
struct vi_class_info { const char *name; const char *description; };
extern const struct vi_class_info vi_classes[];

#endif
