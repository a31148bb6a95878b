/* fuzz-split.h - two files in one fuzz input (header-only).
 *
 * The harnesses that read two documents (fuzz-diff: SRC and DST
 * -dump-vmstate files; fuzz-schema: a -dump-vmstate file and a stream)
 * split their input at the first FUZZ_SEP; without one, both halves are the
 * whole input.  Each half goes to its own memfd, so nothing touches the disk.
 */
#ifndef VI_FUZZ_SPLIT_H
#define VI_FUZZ_SPLIT_H

#include <stdint.h>
#include <string.h>

#define FUZZ_SEP "\n@@@@\n"

static inline void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a,
			      size_t *na, const uint8_t **b, size_t *nb)
{
	const uint8_t *p = size >= 6 ? memmem(data, size, FUZZ_SEP, 6) : NULL;

	*a = data;
	*na = p ? (size_t)(p - data) : size;
	*b = p ? p + 6 : data;
	*nb = p ? size - *na - 6 : size;
}

/* A second memfd (fuzz_memfd in fuzz-common.h owns the first). */
static inline int fuzz_memfd2(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t done = 0;

	if (fd < 0 && (fd = memfd_create("vi-fuzz2", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	return fd;
}

#endif
