/* input-readahead.h - a regular file under a decompressor, read ahead on a
 * second thread (input-readahead.c; used by vi_fsrc_refill). */
#ifndef VI_INPUT_READAHEAD_H
#define VI_INPUT_READAHEAD_H

#include <stdint.h>
#include <sys/types.h>

struct vi_ra;

/* Start reading fd (a regular file) from offset off; NULL if no thread
 * could be started (the caller reads on its own thread). */
struct vi_ra *vi_ra_start(int fd, uint64_t off);
/* The next bytes: their count (at most VI_FSRC_BUF) with *p, valid until
 * the next call; 0 at the end of the file; -1 with *errnum on a read
 * error.  The end and an error are returned again on every later call. */
ssize_t vi_ra_take(struct vi_ra *ra, uint8_t **p, int *errnum);
/* Stop the thread and free everything (NULL: nothing). */
void vi_ra_stop(struct vi_ra *ra);

#endif
