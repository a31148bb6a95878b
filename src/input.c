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

static const struct vi_filter *const filters[] = {
	&vi_filter_xz, &vi_filter_gzip, &vi_filter_bzip2, &vi_filter_lzop, &vi_filter_zstd, NULL
};
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

/* Formats we recognise but do not read: say what it is and how to get in. */
static const struct {
	const char *magic;
	size_t len;
	const char *what;
} foreign[] = {
	{ "\x04\x22\x4d\x18", 4, "lz4-compressed data is not supported; decompress it first "
				"(lz4 -d)" },
	{ "LZIP", 4, "lzip-compressed data is not supported; decompress it first (lzip -d)" },
	{ "\x1f\x9d", 2, "compress (.Z) data is not supported; decompress it first (gzip -d)" },
	{ "\x5d\x00\x00", 3, "lzma-alone (.lzma) data is not supported; decompress it first "
			      "(xz -d)" },
	{ "PK\x03\x04", 4, "a zip archive, not a QEMU migration stream; extract it first" },
	{ "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive, not a QEMU migration stream; extract it "
				   "first" },
};

static int not_a_stream(const uint8_t *head, size_t n, struct vi_error *err)
{
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		if (n >= foreign[i].len && !memcmp(head, foreign[i].magic, foreign[i].len)) {
			vi_fail(err, VI_EXIT_INPUT, 0, "%s", foreign[i].what);
			return vi_error_class(err, VI_C_BAD_MAGIC);
		}
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
	struct vi_progress pg;
	uint64_t total = 0;
	ssize_t r = read_full(in->fd, buf, BID_BYTES);
	int out;

	if (r < 0)
		return vi_fail(err, VI_EXIT_INPUT, 0, "read error: %s", strerror(errno));
	if (!bids(buf, (size_t)r))
		return not_a_stream(buf, (size_t)r, err);
	if ((out = vi_spool_create(err)) < 0)
		return -1;
	vi_progress_start(&pg, in->name);
	for (;;) {
		if (r < 0 && errno == EINTR) {
			r = read(in->fd, buf, sizeof(buf));
			continue;
		}
		if (r < 0) {
			close(out);
			vi_progress_end(&pg);
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				       "read error: %s", strerror(errno));
		}
		if (r == 0)
			break;
		if (total + (uint64_t)r > VI_MAX_SPOOL) {
			close(out);
			vi_progress_end(&pg);
			vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				"input larger than %llu bytes, refusing to spool it",
				(unsigned long long)VI_MAX_SPOOL);
			return vi_error_hard(err);
		}
		if (write(out, buf, (size_t)r) != r) {
			close(out);
			vi_progress_end(&pg);
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)total,
				       "cannot write spool file: %s", strerror(errno));
		}
		total += (uint64_t)r;
		vi_progress_update(&pg, "reading", total, 0);
		r = read(in->fd, buf, sizeof(buf));
	}
	vi_progress_end(&pg);
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = out;
	in->spooled = 1;
	in->file_size = total;
	in->temp_bytes = total;
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

struct vi_sink {
	struct vi_input *in;
	const struct vi_filter *f;
	int out;		/* the spool, -1 until the first bytes passed */
	int payload;		/* a container's payload: must be a raw stream */
	uint64_t in_start;	/* compressed offset the filter started at */
	uint64_t total;		/* decompressed bytes so far */
	uint8_t head[BID_BYTES];
	size_t nhead;
	struct vi_progress pg;
	int rejected;		/* the head is no stream: decoding on, writing nothing */
};

/* After a rejected head, decoding goes on this far (nothing written) so a
 * corrupt file is called corrupt: bzip2 and lzop check a block only once
 * it is all out, and a bzip2 block holds up to 900 kB. */
#define REJECT_LOOKAHEAD (1u << 20)

ssize_t vi_filter_read(int fd, void *buf, size_t n, uint64_t off, const char *filter,
		       struct vi_error *err)
{
	for (;;) {
		ssize_t r = pread(fd, buf, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "%s: read error: %s", filter,
				strerror(errno));
		return r;
	}
}

int vi_filter_corrupt(struct vi_error *err, const char *filter, uint64_t off,
		      const char *why)
{
	vi_fail(err, VI_EXIT_INPUT, (int64_t)off, "%s: corrupt or truncated compressed data "
		"at compressed byte %llu: %s", filter, (unsigned long long)off, why);
	return vi_error_class(err, VI_C_TRUNCATED);
}

/* The first decompressed bytes must be something we read: a stream, a
 * container or another compressed layer (a payload: a stream only). */
static int sink_accept(const struct vi_sink *k)
{
	return k->payload ? vi_format_raw.bid(k->head, k->nhead) : bids(k->head, k->nhead);
}

static int sink_reject(const struct vi_sink *k, struct vi_error *err)
{
	if (k->nhead < 4)
		vi_fail(err, VI_EXIT_INPUT, 0, "%s-compressed data, but not a QEMU "
			"migration stream: it decompresses to only %zu bytes", k->f->name,
			k->nhead);
	else
		vi_fail(err, VI_EXIT_INPUT, 0, "%s-compressed data, but not a QEMU "
			"migration stream%s: it decompresses to %02x %02x %02x %02x ...",
			k->f->name, k->payload ? " (the payload of the container)" : "",
			k->head[0], k->head[1], k->head[2], k->head[3]);
	return vi_error_class(err, VI_C_BAD_MAGIC);
}

static int all_zero(const uint8_t *p, size_t n)
{
	return n && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Runs of 4 KiB of zeros become holes (a sparse libvirt image, a guest's
 * empty pages): the spool's disk use follows the data, not its length. */
static int sink_put(struct vi_sink *k, const void *buf, size_t n, struct vi_error *err)
{
	const uint8_t *p = buf;

	while (n) {
		size_t c = n < 4096 ? n : 4096;
		if (c == 4096 && all_zero(p, c) ? lseek(k->out, (off_t)c, SEEK_CUR) < 0
		    : write(k->out, p, c) != (ssize_t)c)
			return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
				       "%s: cannot write spool file: %s", k->f->name,
				       strerror(errno));
		p += c;
		n -= c;
	}
	return 0;
}

/* Nothing reaches the spool before the head was bid on. */
static int sink_open(struct vi_sink *k, struct vi_error *err)
{
	if (!sink_accept(k)) {
		k->rejected = 1;
		return 0;
	}
	if ((k->out = vi_spool_create(err)) < 0)
		return -1;
	return sink_put(k, k->head, k->nhead, err);
}

static unsigned max_ratio(void)
{
	const char *e = getenv("VMSTATE_INSPECT_MAX_RATIO");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return VI_MAX_RATIO;
	v = strtoul(e, &end, 10);
	return *end || v > 1000000 ? VI_MAX_RATIO : (unsigned)v;
}

int vi_sink_write(struct vi_sink *k, const void *buf, size_t n, uint64_t in_off,
		  struct vi_error *err)
{
	const uint8_t *p = buf;
	uint64_t total = k->total + n, packed = in_off > k->in_start ? in_off - k->in_start : 1;
	unsigned ratio = max_ratio();

	if (k->in->temp_bytes + total > VI_MAX_SPOOL) {
		vi_fail(err, VI_EXIT_INPUT, (int64_t)in_off, "%s: decompressed data passes %llu "
			"temporary bytes (every layer of this input together); refusing it",
			k->f->name, (unsigned long long)VI_MAX_SPOOL);
		return vi_error_hard(err);
	}
	if (ratio && total > VI_BOMB_FLOOR && total / ratio > packed) {
		vi_fail(err, VI_EXIT_INPUT, (int64_t)in_off, "%s: %llu compressed bytes expand "
			"to more than %llu, over %ux: refusing a likely decompression bomb "
			"(VMSTATE_INSPECT_MAX_RATIO sets the limit)", k->f->name,
			(unsigned long long)packed, (unsigned long long)total, ratio);
		return vi_error_hard(err);
	}
	k->total = total;
	vi_progress_update(&k->pg, k->f->name, packed, total);
	if (k->rejected)
		return total > REJECT_LOOKAHEAD ? sink_reject(k, err) : 0;
	if (k->out < 0) {
		size_t take = BID_BYTES - k->nhead < n ? BID_BYTES - k->nhead : n;
		memcpy(k->head + k->nhead, p, take);
		k->nhead += take;
		p += take;
		n -= take;
		if (k->nhead < BID_BYTES)
			return 0;
		if (sink_open(k, err) < 0)
			return -1;
		if (k->rejected)
			return 0;
	}
	return n ? sink_put(k, p, n, err) : 0;
}

/* Decode in->fd[off..] through f into a fresh spool that replaces in->fd. */
static int apply_filter(struct vi_input *in, const struct vi_filter *f,
			uint64_t off, int payload, struct vi_error *err)
{
	struct vi_sink k = { .in = in, .f = f, .out = -1, .payload = payload, .in_start = off };
	int rc;

	if (in->nfilters == (int)(sizeof(in->filters) / sizeof(in->filters[0])))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off,
			       "too many nested compression layers");
	vi_progress_start(&k.pg, in->name);
	rc = f->decode(in->fd, off, &k, err);
	vi_progress_end(&k.pg);
	if (rc < 0 || (k.out < 0 && !k.rejected && sink_open(&k, err) < 0) ||
	    (k.rejected && sink_reject(&k, err) < 0) ||
	    (ftruncate(k.out, (off_t)k.total) < 0 &&	/* a trailing hole */
	     vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "%s: cannot extend spool file: %s",
		     f->name, strerror(errno)) < 0)) {
		if (k.out >= 0)
			close(k.out);
		return -1;
	}
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = k.out;
	in->spooled = 1;
	in->file_size = k.total;
	in->temp_bytes += k.total;
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
		if (apply_filter(in, *f, 0, 0, err) < 0)
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
			uint8_t ph[BID_BYTES];
			size_t pn = peek(in, in->base, ph);
			if (!payload_filter->bid(ph, pn))
				return vi_fail(err, VI_EXIT_INPUT, (int64_t)in->base,
					       "the %s says its stream is %s-compressed, but "
					       "it is not (%zu bytes: %02x %02x %02x %02x ...)",
					       in->container, payload_filter->name, pn,
					       pn > 0 ? ph[0] : 0, pn > 1 ? ph[1] : 0,
					       pn > 2 ? ph[2] : 0, pn > 3 ? ph[3] : 0);
			if (apply_filter(in, payload_filter, in->base, 1, err) < 0)
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
	if (in->libvirt && --in->libvirt->refs == 0) {
		free(in->libvirt->xml);
		free(in->libvirt->cookie);
		free(in->libvirt);
	}
	in->libvirt = NULL;
	free(in->snapshots);
	in->snapshots = NULL;
	in->nsnapshots = 0;
}

void vi_input_share(struct vi_input *copy)
{
	if (copy->libvirt)
		copy->libvirt->refs++;
	copy->snapshots = NULL;
	copy->nsnapshots = 0;
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
