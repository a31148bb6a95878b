/* vi-error.c - recording and printing the one error of a run. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include "vi-error.h"
#include "vi-escape.h"

/* Copy s into out (size > 4) as printable ASCII: bytes outside 0x20-0x7e,
 * and '\' when esc_backslash, become \xNN.  A piece that does not fit is
 * never split: the text ends in "..." instead. */
static void sanitize(char *out, size_t size, const char *s, int esc_backslash)
{
	size_t o = 0;

	/* Invariant: while more text follows, o + 4 <= size ("..." fits). */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char piece[8];
		size_t k = 1;

		if (*p >= 0x20 && *p <= 0x7e && !(esc_backslash && *p == '\\'))
			piece[0] = (char)*p;
		else
			k = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", *p);
		if (o + k + (p[1] ? 3 : 0) + 1 > size) {
			memcpy(out + o, "...", 4);
			return;
		}
		memcpy(out + o, piece, k);
		o += k;
	}
	out[o] = '\0';
}

int vi_fail(struct vi_error *e, int exit_code, int64_t offset, const char *fmt, ...)
{
	char raw[2048];
	va_list ap;

	if (e->set)	/* keep the first, most precise error */
		return -1;
	e->set = 1;
	e->exit_code = exit_code;
	e->has_offset = offset >= 0;
	e->offset = offset >= 0 ? (uint64_t)offset : 0;
	e->hard = 0;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	sanitize(e->msg, sizeof(e->msg), raw, 0);
	if (!e->msg[0])
		snprintf(e->msg, sizeof(e->msg), "unexplained error");
	return -1;
}

int vi_error_class(struct vi_error *e, enum vi_class cls)
{
	if (e->set && !e->cls)
		e->cls = &vi_classes[cls];
	return -1;
}

int vi_error_hard(struct vi_error *e)
{
	if (e->set) {
		e->hard = 1;
		if (!e->cls)
			e->cls = &vi_classes[VI_C_LIMIT];
	}
	return -1;
}

const char *vi_esc(char *out, size_t size, const char *s)
{
	sanitize(out, size, s ? s : "", 1);
	return out;
}

void vi_error_print(const struct vi_error *e, const char *file)
{
	if (!e->set)
		return;
	if (e->has_offset)
		fprintf(stderr, "vmstate-inspect: %s: byte %" PRIu64 " (0x%" PRIx64 "): %s\n",
			vi_tx(file), e->offset, e->offset, e->msg);
	else
		fprintf(stderr, "vmstate-inspect: %s: %s\n", vi_tx(file), e->msg);
}
