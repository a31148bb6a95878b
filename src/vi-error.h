/* vi-error.h - one error per run: what went wrong, where, and the exit code. */
#ifndef VI_ERROR_H
#define VI_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include "vi-findings.h"

/* Documented exit codes (man/vmstate-inspect.1, EXIT STATUS). */
enum vi_exit {
	VI_EXIT_OK = 0,       /* done; for check: accept */
	VI_EXIT_FINDINGS = 1, /* check: reject; diff: incompatible */
	VI_EXIT_USAGE = 2,    /* bad options, schema or target */
	VI_EXIT_INPUT = 3,    /* unreadable, truncated or malformed input */
};

struct vi_error {
	int set;
	int exit_code;
	int has_offset;
	int hard;             /* a resource limit: never retried as a mismatch */
	uint64_t offset;      /* byte offset in the stream */
	char msg[512];        /* printable ASCII, one line */
	const struct vi_class_info *cls; /* what kind of damage: see vi_error_class() */
};

/* Record the error (the first one wins).  The message is made one line of
 * printable ASCII: other bytes become \xNN, and a message too long for msg
 * is cut between characters and ends in "...".  Returns -1. */
__attribute__((format(printf, 4, 5)))
int vi_fail(struct vi_error *e, int exit_code, int64_t offset,
	    const char *fmt, ...);

/* Name the kind of damage for the error just set: VI_C_TRUNCATED,
 * VI_C_BAD_FOOTER, VI_C_BAD_MAGIC...; unnamed is VI_C_MALFORMED.  Returns -1
 * for chaining. */
int vi_error_class(struct vi_error *e, enum vi_class cls);
static inline enum vi_class vi_error_cls(const struct vi_error *e)
{
	return e->cls ? e->cls->id : VI_C_MALFORMED;
}

/* Mark the error just set as a resource limit (too many nodes, sections,
 * empty elements): fallbacks that retry a description another way must not
 * swallow it.  Class "limit".  Returns -1 for chaining. */
int vi_error_hard(struct vi_error *e);

/* A name from the input, for a message: printable ASCII with other bytes
 * and '\' written \xNN (like the names in the tree), cut to fit out with
 * "..." at a character boundary.  Returns out. */
const char *vi_esc(char *out, size_t size, const char *s);
/* Room for an escaped 255-byte name, cut at 80 characters. */
#define VI_ESC_NAME 96

/* "vmstate-inspect: FILE: byte N (0xN): MESSAGE" on stderr. */
void vi_error_print(const struct vi_error *e, const char *file);

#define VI_NO_OFFSET ((int64_t)-1)

#endif
