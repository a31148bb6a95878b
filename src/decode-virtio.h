/* decode-virtio.h - the "virtio" field: what virtio_save() writes by hand. */
#ifndef VI_VIRTIO_H
#define VI_VIRTIO_H

#include <stdint.h>
#include "vi-tree.h"

/* Decode the size bytes p (at stream offset base) into named children of e
 * (transport state, status, features, config, queues, device part, and the
 * subsections of the virtio vmstate that end the payload).  0, or -1 when
 * the bytes do not follow the layout (e is left without children). */
int virtio_decode(struct vi_node *e, const uint8_t *p, uint32_t size, uint64_t base);

/* The vmstates virtio_load() loads by hand from the end of the payload:
 * "virtio" (hw/virtio/virtio.c, vmstate_virtio) and the transports' extra
 * state inside virtio/extra_state, "virtio_pci" (hw/virtio/virtio-pci.c)
 * and "virtio_mmio" (hw/virtio/virtio-mmio.c).  No -dump-vmstate lists
 * them; the subsections each release knows are its schema's release_facts
 * (schema-facts.h).  Is parent one of them? */
int virtio_is_payload_vmsd(const char *parent);

#endif
