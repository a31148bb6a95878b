/* input-progress.c - a progress line while input is copied or decompressed.
 *
 * Shown only on a terminal (stderr is a tty), not with --quiet, and only
 * once the work has taken a second (VMSTATE_INSPECT_PROGRESS_AFTER_MS sets
 * another delay, for tests): "vmstate-inspect: FILE: gzip: 12.0 MiB read,
 * 96.0 MiB out, 48.0 MiB/s", redrawn at most four times a second with a
 * carriage return, and erased when done.  No colours or cursor codes, so
 * NO_COLOR and dumb terminals need nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "input.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void vi_progress_start(struct vi_progress *p, const char *name)
{
	const char *after = getenv("VMSTATE_INSPECT_PROGRESS_AFTER_MS");

	p->on = !vi_input_opts.quiet && isatty(STDERR_FILENO);
	p->name = name;
	p->start = now();
	p->last = 0;
	p->shown = 0;
	p->delay = after && *after ? atof(after) / 1000.0 : 1.0;
}

static void mib(char *buf, size_t size, uint64_t b)
{
	double v = (double)b / 1048576.0;
	if (v >= 1024)
		snprintf(buf, size, "%.1f GiB", v / 1024);
	else
		snprintf(buf, size, "%.1f MiB", v);
}

void vi_progress_update(struct vi_progress *p, const char *what, uint64_t in, uint64_t out)
{
	char a[32], b[32], r[32];
	double t;

	if (!p->on)
		return;
	t = now();
	if (t - p->start < p->delay || (p->shown && t - p->last < 0.25))
		return;
	p->last = t;
	mib(a, sizeof(a), in);
	mib(b, sizeof(b), out);
	mib(r, sizeof(r), (uint64_t)((double)(out ? out : in) / (t - p->start > 0.001 ?
								   t - p->start : 0.001)));
	if (out)
		p->shown = fprintf(stderr, "\rvmstate-inspect: %.60s: %s: %s read, %s out, %s/s ",
				   p->name, what, a, b, r);
	else
		p->shown = fprintf(stderr, "\rvmstate-inspect: %.60s: %s: %s, %s/s ", p->name,
				   what, a, r);
	if (p->shown < 0)
		p->shown = 0;
}

void vi_progress_end(struct vi_progress *p)
{
	if (p->on && p->shown > 0)
		fprintf(stderr, "\r%*s\r", p->shown, "");
	p->shown = 0;
}
