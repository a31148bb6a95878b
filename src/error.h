/* error.h - one error per run: what went wrong, where, and the exit code. */
#ifndef VI_ERROR_H
#define VI_ERROR_H

#include <stdint.h>

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
	uint64_t offset;      /* byte offset in the stream */
	char msg[512];
	const char *cls;      /* what kind of damage: see vi_error_class() */
};

__attribute__((format(printf, 4, 5)))
int vi_fail(struct vi_error *e, int exit_code, int64_t offset,
	    const char *fmt, ...);

/* Name the kind of damage for the error just set: "truncated", "bad-footer",
 * "bad-magic"; anything else is "malformed".  Returns -1 for chaining. */
int vi_error_class(struct vi_error *e, const char *cls);
static inline const char *vi_error_cls(const struct vi_error *e)
{
	return e->cls ? e->cls : "malformed";
}

/* "vmstate-inspect: FILE: byte N (0xN): MESSAGE" on stderr. */
void vi_error_print(const struct vi_error *e, const char *file);

#define VI_NO_OFFSET ((int64_t)-1)

#endif
