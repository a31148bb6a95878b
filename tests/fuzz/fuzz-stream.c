/* fuzz-stream.c - bytes -> the whole "vmstate-inspect dump" path.
 *
 * The input is a file as a user would hand it over: a raw stream, a libvirt
 * save image or an xz-compressed one.  It is put in a memfd and opened by
 * name (/proc/self/fd/N) through vi_input_open, walked, and rendered as JSON
 * and as text.  Seeds: tests/fuzz/corpus-stream (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_dump_path(path, NULL);
	return 0;
}
