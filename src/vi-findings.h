/* vi-findings.h - what is wrong, kept apart from walking (what is there) and
 * from rendering (how it is shown). */
#ifndef VI_FINDINGS_H
#define VI_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

enum vi_severity { VI_SEV_NOTE, VI_SEV_WARNING, VI_SEV_ERROR };

/* The one table of finding classes: X(ENUM, "name", default severity,
 * "one-line doc").  SARIF's rules, JSON's "class", the man page's list
 * (tests/classes.test compares them) and `vmstate-inspect help classes`
 * all come from it; code names a class by its enum value only, so a class
 * missing here does not compile.  Adding a class is one row. */
#define VI_CLASSES(X) \
	X(UNKNOWN_SECTION, "unknown-section", VI_SEV_ERROR, \
	  "the destination has no such section, instance or RAMBlock") \
	X(UNKNOWN_SUBSECTION, "unknown-subsection", VI_SEV_ERROR, \
	  "the destination's vmstate has no such subsection") \
	X(VERSION_TOO_NEW, "version-too-new", VI_SEV_ERROR, \
	  "a version above the destination's version_id") \
	X(VERSION_TOO_OLD, "version-too-old", VI_SEV_ERROR, \
	  "a version below the destination's minimum_version_id") \
	X(FIELD_MISMATCH, "field-mismatch", VI_SEV_ERROR, \
	  "the destination would read or accept different bytes") \
	X(FIELD_RENAMED, "field-renamed", VI_SEV_WARNING, \
	  "diff: fields named or grouped differently where both sides write the same bytes") \
	X(MACHINE_MISMATCH, "machine-mismatch", VI_SEV_ERROR, \
	  "the configuration names another machine type or page size, or is missing " \
	  "where the destination expects it") \
	X(MACHINE_PROPERTY, "machine-property", VI_SEV_WARNING, \
	  "the machine type's compat properties forbid what is in the stream") \
	X(CAPABILITY_MISMATCH, "capability-mismatch", VI_SEV_ERROR, \
	  "the source's validated migration capabilities (x-ignore-shared, mapped-ram) " \
	  "differ from the destination's, or the destination must enable them") \
	X(UNSUPPORTED_COMMAND, "unsupported-command", VI_SEV_ERROR, \
	  "a command record the destination release does not know") \
	X(TRUNCATED, "truncated", VI_SEV_ERROR, "the stream ends early") \
	X(BAD_FOOTER, "bad-footer", VI_SEV_ERROR, \
	  "a section footer is missing or names another section") \
	X(BAD_MAGIC, "bad-magic", VI_SEV_ERROR, \
	  "a wrong magic or an unsupported stream version where a stream was found") \
	X(MALFORMED, "malformed", VI_SEV_ERROR, "the bytes break the stream format") \
	X(LIMIT, "limit", VI_SEV_ERROR, \
	  "the stream claims more than a documented limit allows (LIMITS in the man page)") \
	X(ASSUMPTION, "assumption", VI_SEV_NOTE, "what the check had to assume") \
	X(UNREADABLE, "unreadable", VI_SEV_ERROR, \
	  "the input cannot be judged: missing, unreadable, empty, a directory, no format " \
	  "the tool knows, or a container or compression layer it cannot read")

enum vi_class {
#define VI_CLASS_ENUM(e, name, sev, doc) VI_C_##e,
	VI_CLASSES(VI_CLASS_ENUM)
#undef VI_CLASS_ENUM
	VI_C_COUNT
};

struct vi_class_info {
	enum vi_class id;
	const char *name;
	enum vi_severity severity;  /* default: SARIF's defaultConfiguration */
	const char *doc;
};
extern const struct vi_class_info vi_classes[VI_C_COUNT];

static inline const char *vi_class_name(enum vi_class c)
{
	return (unsigned)c < VI_C_COUNT ? vi_classes[c].name : "malformed";
}

struct vi_finding {
	enum vi_class cls;          /* unknown-section, version-too-new, ... */
	enum vi_severity severity;  /* error = the destination rejects */
	uint64_t offset;            /* stream byte offset */
	uint64_t length;            /* bytes concerned (0 = a position) */
	char *path;                 /* section[/instance]/subsection/field */
	char *message;              /* what the destination would do */
	size_t seq;                 /* order added: ties in offset keep it */
	const char *suppressed;     /* check --baseline: the entry that accepts it
				       ("baseline FILE:LINE", not owned), or NULL */
};

struct vi_findings {
	struct vi_finding *v;
	size_t n, cap;
	size_t dropped;             /* findings past VI_MAX_FINDINGS, not stored */
	size_t dropped_errors;      /* of those, errors */
	size_t total, total_errors; /* every finding added, stored or not */
	size_t total_warnings;      /* of those, warnings */
};

/* At most this many findings are kept per list; the last one kept then says
 * "... and N more findings (E errors) not listed", so a hostile input cannot
 * make a report grow without bound. */
#define VI_MAX_FINDINGS 10000

/* The message is cut at a character boundary (1023 bytes at most). */
__attribute__((format(printf, 7, 8)))
void vi_finding_add(struct vi_findings *f, enum vi_class cls, enum vi_severity sev,
		    uint64_t offset, uint64_t length, const char *path,
		    const char *fmt, ...);
void vi_findings_free(struct vi_findings *f);
/* Once the list is full (f->dropped): count n more findings, errors and
 * warnings of them errors and warnings, without their text (diff repeating
 * a comparison). */
void vi_findings_drop_more(struct vi_findings *f, size_t n, size_t errors, size_t warnings,
			   enum vi_severity worst);
/* Sort by offset: QEMU loads in stream order, so the first error is what
 * it would report. */
void vi_findings_sort(struct vi_findings *f);
/* The first error not suppressed by a baseline, or NULL: its class is the
 * predicted failure class. */
const struct vi_finding *vi_findings_first_error(const struct vi_findings *f);
const char *vi_severity_name(enum vi_severity s);
/* "error", "warning", "note" -> 0 and *out; else -1. */
int vi_severity_parse(const char *s, enum vi_severity *out);

#endif
