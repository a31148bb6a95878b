/* input-readahead.c - the compressed bytes of a regular file read on a
 * second thread while the decompressor and the walker work on the first
 * (input-readahead.h).
 *
 * The thread does nothing but pread(2) into a ring of VI_RA_BUFS buffers of
 * VI_FSRC_BUF bytes, at increasing offsets, until the end of the file or an
 * error; the consumer takes one buffer at a time, in order, and hands it
 * back by taking the next.  Only regular files: a pread there always
 * returns, so stopping the thread (flag, signal, join) cannot hang, as a
 * read from a pipe that never ends could.  The thread touches no memory
 * budget, error or progress state: a failed read is passed on as its errno
 * and reported by the consumer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "input.h"
#include "input-readahead.h"
#include "vi-tree.h"

#define VI_RA_BUFS 4

struct vi_ra {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	uint64_t off;                  /* the thread's next offset */
	uint8_t *buf[VI_RA_BUFS];
	ssize_t len[VI_RA_BUFS];       /* bytes read; 0 the end; -1 an error */
	int errnum[VI_RA_BUFS];
	unsigned head, tail;           /* filled: [head, tail); the consumer holds head */
	int held;                      /* the consumer holds buf[head % VI_RA_BUFS] */
	int stop;
};

static void *reader(void *arg)
{
	struct vi_ra *ra = arg;

	pthread_mutex_lock(&ra->mu);
	for (;;) {
		unsigned slot;
		ssize_t r;
		int e = 0;
		while (!ra->stop && ra->tail - ra->head == VI_RA_BUFS)
			pthread_cond_wait(&ra->cv, &ra->mu);
		if (ra->stop)
			break;
		slot = ra->tail % VI_RA_BUFS;
		pthread_mutex_unlock(&ra->mu);
		do
			r = pread(ra->fd, ra->buf[slot], VI_FSRC_BUF, (off_t)ra->off);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			e = errno;
		pthread_mutex_lock(&ra->mu);
		ra->len[slot] = r;
		ra->errnum[slot] = e;
		if (r > 0)
			ra->off += (uint64_t)r;
		ra->tail++;
		pthread_cond_broadcast(&ra->cv);
		if (r <= 0)
			break;
	}
	pthread_mutex_unlock(&ra->mu);
	return NULL;
}

struct vi_ra *vi_ra_start(int fd, uint64_t off)
{
	struct vi_ra *ra = vi_xmalloc(sizeof(*ra));

	memset(ra, 0, sizeof(*ra));
	ra->fd = fd;
	ra->off = off;
	for (int i = 0; i < VI_RA_BUFS; i++)
		ra->buf[i] = vi_xmalloc(VI_FSRC_BUF);
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	if (pthread_create(&ra->th, NULL, reader, ra) != 0) {	/* read on this thread */
		pthread_mutex_destroy(&ra->mu);
		pthread_cond_destroy(&ra->cv);
		for (int i = 0; i < VI_RA_BUFS; i++)
			free(ra->buf[i]);
		free(ra);
		return NULL;
	}
	return ra;
}

ssize_t vi_ra_take(struct vi_ra *ra, uint8_t **p, int *errnum)
{
	unsigned slot;
	ssize_t r;

	pthread_mutex_lock(&ra->mu);
	slot = ra->head % VI_RA_BUFS;
	/* hand back the buffer held, unless it was the end (kept for good) */
	if (ra->held && ra->len[slot] > 0) {
		ra->head++;
		ra->held = 0;
		pthread_cond_broadcast(&ra->cv);
	}
	while (ra->head == ra->tail)
		pthread_cond_wait(&ra->cv, &ra->mu);
	slot = ra->head % VI_RA_BUFS;
	ra->held = 1;
	r = ra->len[slot];
	*p = ra->buf[slot];
	*errnum = ra->errnum[slot];
	pthread_mutex_unlock(&ra->mu);
	return r;
}

void vi_ra_stop(struct vi_ra *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = 1;
	pthread_cond_broadcast(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->cv);
	for (int i = 0; i < VI_RA_BUFS; i++)
		free(ra->buf[i]);
	free(ra);
}
