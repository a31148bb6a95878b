/* fuzz-qcow2.c - qcow2 images with an internal snapshot's VM state
 * (input-format-qcow2.c).
 *
 * Input: a mode byte (bit 0: walk and render too), then a qcow2 image
 * without its 4-byte magic "QFI\xfb", which the harness prepends
 * (fuzz-container.h).  Seeds: tests/fuzz/corpus-qcow2 (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_container("QFI\xfb", 4, data, size);
	return 0;
}
