/* input.c - open a file or pipe, peel filters, let container formats bid. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "budget.h"
#include "input.h"
#include "vi-limits.h"

static const struct vi_filter *const filters[] = { &vi_filter_xz, NULL };
static const struct vi_format *const formats[] = {
	&vi_format_raw, &vi_format_libvirt, &vi_format_qcow2, NULL
};

#define BID_BYTES 64

int vi_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int vi_spool_create(struct vi_error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/vmstate-inspect.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
			       "cannot create a spool file in %s: %s", dir, strerror(errno));
	unlink(path);
	return fd;
}

static int bids(const uint8_t *head, size_t n)
{
	for (const struct vi_filter *const *f = filters; *f; f++)
		if ((*f)->bid(head, n))
			return 1;
	for (const struct vi_format *const *fmt = formats; *fmt; fmt++)
		if ((*fmt)->bid(head, n))
			return 1;
	return 0;
}

static int not_a_stream(const uint8_t *head, size_t n, struct vi_error *err)
{
	if (n < 4)
		vi_fail(err, VI_EXIT_INPUT, (int64_t)n,
			"not a QEMU migration stream: file has only %zu bytes", n);
	else
		vi_fail(err, VI_EXIT_INPUT, 0,
			"not a QEMU migration stream: magic %02x %02x %02x %02x, "
			"expected 51 45 56 4d (\"QEVM\"), a libvirt save image, "
			"a qcow2 image or a compressed one", head[0], head[1], head[2], head[3]);
	return vi_error_class(err, VI_C_BAD_MAGIC);
}

/* read(2) until n bytes or the end; returns the count, -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Copy a non-seekable descriptor into a spool so it can be walked.  The
 * first bytes must look like something we read before any is spooled. */
static int spool_pipe(struct vi_input *in, struct vi_error *err)
{
	static uint8_t buf[1 << 16];
	uint64_t total = 0;
	ssize_t r = read_full(in->fd, buf, BID_BYTES);
	int out;

	if (r < 0)
		return vi_fail(err, VI_EXIT_INPUT, 0, "read error: %s", strerror(errno));
	if (!bids(buf, (size_t)r))
		return not_a_stream(buf, (size_t)r, err);
	if ((out = vi_spool_create(err)) < 0)
		return -1;
	for (;;) {
		if (r < 0 && errno == EINTR) {
			r = read(in->fd, buf, sizeof(buf));
			continue;
		}
		if (r < 0) {
			close(out);
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				       "read error: %s", strerror(errno));
		}
		if (r == 0)
			break;
		if (total + (uint64_t)r > VI_MAX_SPOOL) {
			close(out);
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				       "input larger than %llu bytes, refusing to spool it",
				       (unsigned long long)VI_MAX_SPOOL);
		}
		if (write(out, buf, (size_t)r) != r) {
			close(out);
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				       "cannot write spool file: %s", strerror(errno));
		}
		total += (uint64_t)r;
		r = read(in->fd, buf, sizeof(buf));
	}
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = out;
	in->spooled = 1;
	in->file_size = total;
	return 0;
}

static size_t peek(const struct vi_input *in, uint64_t off, uint8_t *buf)
{
	size_t n = BID_BYTES;

	if (off >= in->file_size)
		return 0;
	if (in->file_size - off < n)
		n = (size_t)(in->file_size - off);
	return vi_pread_full(in->fd, buf, n, off) ? 0 : n;
}

/* Decode in->fd[off..] through f into a fresh spool that replaces in->fd. */
static int apply_filter(struct vi_input *in, const struct vi_filter *f,
			uint64_t off, struct vi_error *err)
{
	uint64_t out_size = 0;
	int out;

	if (in->nfilters == (int)(sizeof(in->filters) / sizeof(in->filters[0])))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off,
			       "too many nested compression layers");
	out = vi_spool_create(err);
	if (out < 0)
		return -1;
	if (f->decode(in->fd, off, out, VI_MAX_SPOOL, &out_size, err) < 0) {
		close(out);
		return -1;
	}
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = out;
	in->spooled = 1;
	in->file_size = out_size;
	in->filters[in->nfilters++] = f->name;
	return 0;
}

int vi_input_open(struct vi_input *in, const char *path, struct vi_error *err)
{
	uint8_t head[BID_BYTES];
	struct stat st;
	size_t n;

	memset(in, 0, sizeof(*in));
	in->name = path;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (in->fd < 0)
			return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
				       "cannot open: %s", strerror(errno));
	}
	if (fstat(in->fd, &st) < 0)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot stat: %s",
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "is a directory");
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		off_t end = lseek(in->fd, 0, SEEK_END);
		if (end < 0)
			return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
				       "cannot seek: %s", strerror(errno));
		in->file_size = (uint64_t)end;
	} else if (spool_pipe(in, err) < 0) {
		return -1;
	}

	in->input_size = in->file_size;
	/* Peel compression layers. */
	for (;;) {
		const struct vi_filter *const *f;
		n = peek(in, 0, head);
		for (f = filters; *f; f++)
			if ((*f)->bid(head, n))
				break;
		if (!*f)
			break;
		if (apply_filter(in, *f, 0, err) < 0)
			return -1;
	}

	for (const struct vi_format *const *fmt = formats; *fmt; fmt++) {
		const struct vi_filter *payload_filter = NULL;
		if (!(*fmt)->bid(head, n))
			continue;
		in->container = (*fmt)->name;
		if ((*fmt)->open(in, &payload_filter, err) < 0)
			return -1;
		if (payload_filter) {
			if (apply_filter(in, payload_filter, in->base, err) < 0)
				return -1;
			in->base = 0;
			in->size = in->file_size;
		}
		vi_budget_add_input(in->size);	/* what is built from it may grow */
		return 0;
	}
	return not_a_stream(head, n, err);
}

void vi_input_close(struct vi_input *in)
{
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
}

int vi_output_clobbers(const char *out, const char *const *inputs, size_t n)
{
	struct stat so, si;

	if (!out || stat(out, &so) < 0)
		return 0;	/* an output that does not exist yet is no input */
	for (size_t i = 0; i < n; i++) {
		if (!inputs[i])
			continue;
		if (strcmp(inputs[i], "-") == 0 ? fstat(STDIN_FILENO, &si) < 0
						: stat(inputs[i], &si) < 0)
			continue;
		if (si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			fprintf(stderr, "vmstate-inspect: %s: the output file is the input file "
				"%s; refusing to overwrite it\n", out, inputs[i]);
			return 1;
		}
	}
	return 0;
}
