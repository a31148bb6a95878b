/* error.c - recording and printing the one error of a run. */
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include "error.h"

int vi_fail(struct vi_error *e, int exit_code, int64_t offset, const char *fmt, ...)
{
	va_list ap;

	if (e->set)	/* keep the first, most precise error */
		return -1;
	e->set = 1;
	e->exit_code = exit_code;
	e->has_offset = offset >= 0;
	e->offset = offset >= 0 ? (uint64_t)offset : 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int vi_error_class(struct vi_error *e, const char *cls)
{
	if (e->set && !e->cls)
		e->cls = cls;
	return -1;
}

void vi_error_print(const struct vi_error *e, const char *file)
{
	if (!e->set)
		return;
	if (e->has_offset)
		fprintf(stderr, "vmstate-inspect: %s: byte %" PRIu64 " (0x%" PRIx64 "): %s\n",
			file, e->offset, e->offset, e->msg);
	else
		fprintf(stderr, "vmstate-inspect: %s: %s\n", file, e->msg);
}
