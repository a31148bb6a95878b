/* decode-scsi-requests.h - the "requests" field of SCSI devices (put_scsi_requests). */
#ifndef VI_SCSI_REQUESTS_H
#define VI_SCSI_REQUESTS_H

#include <stdint.h>
#include "vi-tree.h"

/* Decode the len bytes p (at stream offset base) into named children of e:
 * one "[i]" per request in flight (retry, cdb, tag, lun, the HBA's part,
 * scsi-disk's part) and "end"; attributes "requests", "hba_part" and, when
 * emulated requests are in flight, "emulated_disk_part" (yes/no).  0, or -1
 * when not exactly one reading fits (e is left without children). */
int scsi_requests_decode(struct vi_node *e, const uint8_t *p, uint32_t len, uint64_t base);

/* Is op a command scsi-disk runs as read/write (scsi_disk_dma_reqops)? */
int scsi_op_is_dma(uint8_t op);

#endif
