/* fuzz-input.c - the container and filter layer (input*.c): libvirt save
 * image headers, xz (also inside libvirt images, also nested), qcow2
 * recognition, and reading non-seekable input once.
 *
 * Input: one mode byte, then the file.  Mode bit 0: hand the file over as a
 * pipe on stdin ("-", read once) instead of a regular file.  Mode bit 1: walk
 * and render the stream as dump does; otherwise only open it and read every
 * stream byte, checking that the range the container claims is readable.
 * Run with -max_len <= 65536 so a pipe never blocks.
 * Seeds: tests/fuzz/corpus-input (make-seeds.py).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include "fuzz-common.h"

#define PIPE_MAX 65536

static void read_all(struct vi_input *in)
{
	struct vi_error err;
	struct vi_reader *r = malloc(sizeof(*r));
	uint8_t chunk[4096];

	if (!r)
		abort();
	memset(&err, 0, sizeof(err));
	if (!in->rs && (in->base > in->file_size || in->size > in->file_size - in->base)) {
		fprintf(stderr, "fuzz: stream range base %llu size %llu beyond file size %llu\n",
			(unsigned long long)in->base, (unsigned long long)in->size,
			(unsigned long long)in->file_size);
		abort();
	}
	rd_init_input(r, in, &err);
	while (in->rs) {	/* read once: to its end, or to an error */
		size_t k = rd_peek(r, 0, chunk, sizeof(chunk));
		if (!k || rd_skip(r, k, "fuzz") < 0)
			break;
	}
	while (!in->rs && rd_left(r)) {
		size_t k = rd_left(r) < sizeof(chunk) ? (size_t)rd_left(r) : sizeof(chunk);
		if (rd_bytes(r, chunk, k, "fuzz") < 0) {
			fprintf(stderr, "fuzz: stream byte %llu of %llu unreadable: %s\n",
				(unsigned long long)rd_tell(r), (unsigned long long)in->size,
				err.msg);
			abort();
		}
	}
	rd_release(r);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vi_input in;
	struct vi_error err;
	char path[64];
	int mode, opened, saved_stdin = -1;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	fuzz_budget_start();
	memset(&err, 0, sizeof(err));
	if (mode & 1) {
		int p[2];
		size_t done = 0;
		if (size > PIPE_MAX)
			return 0;
		if (pipe(p) < 0)
			abort();
		while (done < size) {
			ssize_t w = write(p[1], data + done, size - done);
			if (w <= 0)
				abort();
			done += (size_t)w;
		}
		close(p[1]);
		saved_stdin = dup(STDIN_FILENO);
		if (dup2(p[0], STDIN_FILENO) < 0)
			abort();
		close(p[0]);
		snprintf(path, sizeof(path), "-");
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fuzz_memfd(data, size));
	}
	opened = vi_input_open(&in, path, &err) == 0;
	if (mode & 2)
		fuzz_walk_render(&in, opened, NULL, &err);
	else if (opened)
		read_all(&in);
	fuzz_check_error(&err);
	vi_input_close(&in);
	if (saved_stdin >= 0) {
		dup2(saved_stdin, STDIN_FILENO);
		close(saved_stdin);
	}
	return 0;
}
