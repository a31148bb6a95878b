/* virtio.h - the "virtio" field: what virtio_save() writes by hand. */
#ifndef VI_VIRTIO_H
#define VI_VIRTIO_H

#include "walk.h"

/* Decode the size bytes at the reader's position into named children of e
 * (transport state, status, features, config, queues, device part, and the
 * subsections of the virtio vmstate that end the payload).  Falls back to a
 * typed blob when the bytes do not follow the layout.  0 or -1 (error). */
int virtio_decode(struct vi_walk *w, struct vi_node *e, uint32_t size);

#endif
