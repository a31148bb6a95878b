/* input.c - open a file or pipe, peel filters, let container formats bid. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vi-budget.h"
#include "input.h"
#include "input-reader.h"
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

static size_t peek(const struct vi_input *in, uint64_t off, uint8_t *buf)
{
	size_t n = BID_BYTES;

	if (off >= in->file_size)
		return 0;
	if (in->file_size - off < n)
		n = (size_t)(in->file_size - off);
	return vi_pread_full(in->fd, buf, n, off) ? 0 : n;
}

/* After a rejected head, decoding goes on this far (nothing kept) so a
 * corrupt file is called corrupt: bzip2 and lzop check a block only once
 * it is all out, and a bzip2 block holds up to 900 kB. */
#define REJECT_LOOKAHEAD (1u << 20)

/* The first decompressed bytes are no stream (a payload: no raw stream). */
static int reject(struct vi_input *in, const char *filter, const uint8_t *head, size_t n,
		  int payload, struct vi_error *err)
{
	static uint8_t buf[1 << 16];
	uint64_t seen = 0;

	while (seen < REJECT_LOOKAHEAD) {
		ssize_t r = vi_src_read(in->src, buf, sizeof(buf), err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		seen += (uint64_t)r;
	}
	if (n < 4)
		vi_fail(err, VI_EXIT_INPUT, 0, "%s-compressed data, but not a QEMU "
			"migration stream: it decompresses to only %zu bytes", filter, n);
	else
		vi_fail(err, VI_EXIT_INPUT, 0, "%s-compressed data, but not a QEMU "
			"migration stream%s: it decompresses to %02x %02x %02x %02x ...",
			filter, payload ? " (the payload of the container)" : "",
			head[0], head[1], head[2], head[3]);
	return vi_error_class(err, VI_C_BAD_MAGIC);
}

/* Stack filter f on the input's source (from offset off of the file when
 * there is none yet) and bid on what it gives. */
static int push_filter(struct vi_input *in, const struct vi_filter *f, uint64_t off,
		       int seekable, int payload, uint8_t *head, size_t *n,
		       struct vi_error *err)
{
	struct vi_src *s;
	ssize_t got;

	if (in->nfilters == (int)(sizeof(in->filters) / sizeof(in->filters[0])))
		return vi_fail(err, VI_EXIT_INPUT, (int64_t)off,
			       "too many nested compression layers");
	if (!in->src)
		in->src = vi_src_fd(in->fd, off, seekable);
	if (!(s = vi_src_filter(in->src, f, err)))
		return -1;
	in->src = s;
	in->filters[in->nfilters++] = f->name;
	if ((got = vi_src_peek(in->src, head, BID_BYTES, err)) < 0)
		return -1;
	*n = (size_t)got;
	if (payload ? !vi_format_raw.bid(head, *n) : !bids(head, *n))
		return reject(in, f->name, head, *n, payload, err);
	return 0;
}

static const struct vi_filter *filter_for(const uint8_t *head, size_t n)
{
	for (const struct vi_filter *const *f = filters; *f; f++)
		if ((*f)->bid(head, n))
			return *f;
	return NULL;
}

/* The container's stream starts at in->base: its payload filter, if any,
 * then the reader (input-reader-stream.c) when it is read once. */
static int open_payload(struct vi_input *in, const struct vi_filter *pf, int seekable,
			struct vi_error *err)
{
	uint8_t ph[BID_BYTES];
	size_t pn;

	if (pf) {
		ssize_t got;
		if (in->src) {
			if (vi_src_skip_to(in->src, in->base, err) < 0)
				return -1;
			got = vi_src_peek(in->src, ph, BID_BYTES, err);
		} else {
			got = (ssize_t)peek(in, in->base, ph);
		}
		if (got < 0)
			return -1;
		pn = (size_t)got;
		if (!pf->bid(ph, pn))
			return vi_fail(err, VI_EXIT_INPUT, (int64_t)in->base,
				       "the %s says its stream is %s-compressed, but "
				       "it is not (%zu bytes: %02x %02x %02x %02x ...)",
				       in->container, pf->name, pn,
				       pn > 0 ? ph[0] : 0, pn > 1 ? ph[1] : 0,
				       pn > 2 ? ph[2] : 0, pn > 3 ? ph[3] : 0);
		if (push_filter(in, pf, in->base, seekable, 1, ph, &pn, err) < 0)
			return -1;
		in->base = 0;
	} else if (in->src && vi_src_skip_to(in->src, in->base, err) < 0) {
		return -1;
	}
	if (!in->src) {
		vi_budget_add_input(in->size);	/* what is built from it may grow */
		return 0;
	}
	/* Read once: offsets stay stream offsets, the size is known at the end. */
	in->size = UINT64_MAX;
	in->rs = rs_new(in->src, in->name);
	in->src = NULL;
	return 0;
}

/* A qcow2 image needs its clusters in any order: one that comes through a
 * pipe or compressed is read whole into memory (a memfd: no disk), within
 * the cap on what a stream read once keeps. */
static int qcow2_in_memory(struct vi_input *in, struct vi_error *err)
{
	static uint8_t buf[1 << 16];
	uint64_t total = 0, cap = vi_max_kept();
	int fd = memfd_create("vmstate-inspect-qcow2", MFD_CLOEXEC);

	if (fd < 0)
		return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot hold the qcow2 image "
			       "in memory: %s", strerror(errno));
	for (;;) {
		ssize_t r = vi_src_read(in->src, buf, sizeof(buf), err);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		if (total + (uint64_t)r > cap) {
			vi_fail(err, VI_EXIT_INPUT, (int64_t)total, "a qcow2 image through a "
				"pipe or compressed is read into memory, and this one is larger "
				"than %llu MiB (VMSTATE_INSPECT_MAX_KEPT sets the limit in MiB; "
				"give the image file itself)", (unsigned long long)(cap >> 20));
			vi_error_hard(err);
			goto fail;
		}
		if (write(fd, buf, (size_t)r) != r) {
			vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET, "cannot hold the qcow2 image "
				"in memory: %s", strerror(errno));
			goto fail;
		}
		total += (uint64_t)r;
	}
	if (in->input_size == UINT64_MAX)
		in->input_size = vi_src_bottom(in->src)->pos;
	vi_src_free(in->src);
	in->src = NULL;
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = fd;
	in->file_size = total;
	return 0;
fail:
	close(fd);
	return -1;
}

int vi_input_open(struct vi_input *in, const char *path, struct vi_error *err)
{
	uint8_t head[BID_BYTES];
	const struct vi_filter *f;
	struct stat st;
	size_t n;
	int seekable;

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
	seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	if (seekable) {
		off_t end = lseek(in->fd, 0, SEEK_END);
		if (end < 0)
			return vi_fail(err, VI_EXIT_INPUT, VI_NO_OFFSET,
				       "cannot seek: %s", strerror(errno));
		in->file_size = (uint64_t)end;
		n = peek(in, 0, head);
	} else {	/* a pipe: judged by its first bytes, read once */
		ssize_t got;
		in->file_size = UINT64_MAX;
		in->src = vi_src_fd(in->fd, 0, 0);
		if ((got = vi_src_peek(in->src, head, BID_BYTES, err)) < 0)
			return -1;
		n = (size_t)got;
	}
	in->input_size = in->file_size;
	if (!bids(head, n))
		return not_a_stream(head, n, err);
	/* Peel compression layers: each read as it is decoded. */
	while ((f = filter_for(head, n)))
		if (push_filter(in, f, 0, seekable, 0, head, &n, err) < 0)
			return -1;
	if (in->src)
		in->file_size = UINT64_MAX;	/* the stream's container: not known */

	for (const struct vi_format *const *fmt = formats; *fmt; fmt++) {
		const struct vi_filter *payload_filter = NULL;
		if (!(*fmt)->bid(head, n))
			continue;
		in->container = (*fmt)->name;
		if (in->src && *fmt == &vi_format_qcow2 && qcow2_in_memory(in, err) < 0)
			return -1;
		if ((*fmt)->open(in, &payload_filter, err) < 0)
			return -1;
		return open_payload(in, payload_filter, seekable, err);
	}
	return not_a_stream(head, n, err);
}

void vi_input_close(struct vi_input *in)
{
	rs_unref(in->rs);
	in->rs = NULL;
	vi_src_free(in->src);
	in->src = NULL;
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
	if (copy->rs)
		rs_ref(copy->rs);
	copy->src = NULL;
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
