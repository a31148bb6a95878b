/* fuzz-libvirt.c - libvirt save image headers (input-format-libvirt.c).
 *
 * Input: a mode byte (bit 0: walk and render too), then a libvirt save image
 * without its 16-byte magic "LibvirtQemudSave", which the harness prepends
 * (fuzz-container.h).  Seeds: tests/fuzz/corpus-libvirt (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz-container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_container("LibvirtQemudSave", 16, data, size);
	return 0;
}
