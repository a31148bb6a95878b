/* fuzz-common.h - shared by the libFuzzer harnesses (header-only).
 *
 * Each harness turns its input into a file (a memfd, so nothing touches the
 * disk) and runs exactly what "vmstate-inspect dump" runs: vi_input_open,
 * rd_init + vi_walk_stream, then render_json_write and render_text into /dev/null,
 * freeing everything, so LeakSanitizer sees every leak.
 */
#ifndef VI_FUZZ_COMMON_H
#define VI_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vi-budget.h"
#include "vi-error.h"
#include "input.h"
#include "input-reader.h"
#include "render.h"
#include "walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f && !(f = fopen("/dev/null", "w")))
		abort();
	return f;
}

/* Every input starts from an empty budget, as a run of the tool does.  The
 * last input's objects are all freed by now, so anything still charged is a
 * charge without its release: a finding (the budget would drift and refuse
 * allocations a run is entitled to). */
static inline void fuzz_budget_start(void)
{
	if (vi_budget_used() != 0) {
		fprintf(stderr, "fuzz: %llu bytes still charged to the memory budget "
			"after the last input was freed\n",
			(unsigned long long)vi_budget_used());
		abort();
	}
	vi_budget_reset();
}

/* One memfd per process, refilled for every input.  Every harness calls
 * it first, so it also starts the input's memory budget afresh. */
static inline int fuzz_memfd(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t done = 0;

	fuzz_budget_start();
	if (fd < 0 && (fd = memfd_create("vi-fuzz", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	return fd;
}

/* The documented exit codes are 0-3; anything else is a bug. */
static inline void fuzz_check_error(const struct vi_error *err)
{
	if (err->set && (err->exit_code < VI_EXIT_OK || err->exit_code > VI_EXIT_INPUT)) {
		fprintf(stderr, "fuzz: exit code %d outside 0-3: %s\n", err->exit_code,
			err->msg);
		abort();
	}
}

/* Walk an opened input and render it both ways, like cmd-dump.c's run(). */
static inline void fuzz_walk_render(struct vi_input *in, int opened,
			     const struct vi_walk_opts *opts, struct vi_error *err)
{
	static struct vi_reader *keep;	/* one reader for the process: its
					 * window is too big for ASan's primary
					 * allocator, so a fresh one per input
					 * would be an mmap and page faults */
	struct vi_reader *r = NULL;
	struct vi_walk w;
	struct vi_stream_facts facts;
	struct vi_doc doc;

	memset(&w, 0, sizeof(w));
	if (opened) {
		if (!keep && !(keep = malloc(sizeof(*keep))))
			abort();
		r = keep;
		rd_init_input(r, in, err);
		(void)vi_walk_stream(&w, r, opts, &facts, err);
		(void)vi_input_walked(in);
	}
	doc.in = in;
	doc.root = w.root;
	doc.err = err;
	doc.unjudged = !opened;
	if (render_json_write(fuzz_devnull(), &doc) < 0)
		abort();
	if (w.root)
		render_text(fuzz_devnull(), &doc);
	fflush(fuzz_devnull());
	fuzz_check_error(err);
	vi_walk_free(&w);
	if (r)
		rd_release(r);
}

/* The whole dump path on a path name. */
static inline void fuzz_dump_path(const char *path, const struct vi_walk_opts *opts)
{
	struct vi_error err;
	struct vi_input in;
	int opened;

	memset(&err, 0, sizeof(err));
	opened = vi_input_open(&in, path, &err) == 0;
	fuzz_walk_render(&in, opened, opts, &err);
	vi_input_close(&in);
}

#endif
