/* input.h - turning what the user named into a seekable range of stream bytes.
 *
 * Like libarchive, input handling is a set of small modules that bid on the
 * first bytes: filters (compression, input-filter-*.c) are peeled off first,
 * then one container format (input-format-*.c) says where the QEMU migration
 * stream lies.  A seekable file with an uncompressed stream is read in place
 * (input-reader.c).  A pipe or a compressed stream becomes a chain of forward-only
 * sources (struct vi_src, input-stream.c) that the walker reads in one pass
 * (input-reader-stream.c): nothing is written to disk.
 */
#ifndef VI_INPUT_H
#define VI_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "vi-error.h"

struct argp;

/* What a libvirt save image's header says (input-format-libvirt.c). */
struct vi_libvirt {
	int refs;               /* inputs sharing it (a rewalk copies the input) */
	uint32_t version, data_len, was_running, format, cookie_offset;
	const char *format_name;
	char *xml;              /* the domain XML, NUL-terminated (cut at 4 MiB) */
	size_t xml_len;
	char *cookie;           /* libvirt's save cookie (XML) or NULL */
	size_t cookie_len;
	/* from the XML, printable ASCII ("" when absent) */
	char name[128], uuid[40], machine[64], arch[24];
};

/* The qcow2 snapshot a stream was read from, or every snapshot of the image
 * (--list-snapshots). */
struct vi_snapshot {
	char id[64], name[128];
	uint64_t vm_state_size, date_sec, date_nsec, vm_clock_nsec;
};

/* Options every command that reads a stream takes (input-options.c). */
struct vi_input_opts {
	const char *snapshot;   /* --snapshot ID|NAME, else VMSTATE_INSPECT_SNAPSHOT */
	int list_snapshots;     /* qcow2: list the snapshot table, read no state */
	int quiet;              /* --quiet: no progress line */
};
extern struct vi_input_opts vi_input_opts;
/* The argp child with --snapshot and -q/--quiet, for the commands' argp
 * children; vi_input_argp_snapshot has --snapshot only, for a command with
 * a -q of its own (check: its -q sets vi_input_opts.quiet too). */
extern const struct argp vi_input_argp;
extern const struct argp vi_input_argp_snapshot;

/* A forward-only byte source: a pipe, a file read from an offset on, or a
 * decompressor over another source (input-stream.c).  pos counts the bytes
 * handed out; the first ones can be peeked at (bidding) before they are. */
#define VI_SRC_HEAD 64
struct vi_src {
	const char *name;       /* "input" or the filter's name */
	ssize_t (*read)(struct vi_src *s, uint8_t *buf, size_t n, struct vi_error *err);
	void (*free)(struct vi_src *s);
	struct vi_src *below;   /* the source a filter reads, or NULL */
	uint64_t pos;           /* offset of the next byte handed out */
	uint8_t head[VI_SRC_HEAD];
	size_t head_len, head_pos;
};
/* Up to n bytes (0 at the end), or -1 with err set. */
ssize_t vi_src_read(struct vi_src *s, void *buf, size_t n, struct vi_error *err);
/* Exactly n bytes; a short read is an error naming what. */
int vi_src_read_full(struct vi_src *s, void *buf, size_t n, const char *what,
		     struct vi_error *err);
/* The next bytes (up to VI_SRC_HEAD) without consuming them: the count. */
ssize_t vi_src_peek(struct vi_src *s, uint8_t *buf, size_t n, struct vi_error *err);
/* Read and drop bytes up to offset off (>= pos). */
int vi_src_skip_to(struct vi_src *s, uint64_t off, struct vi_error *err);
void vi_src_free(struct vi_src *s);
/* The bytes of fd from offset off on (pread when seekable, else read). */
struct vi_src *vi_src_fd(int fd, uint64_t off, int seekable);
/* The bottom of a chain (the input's own bytes). */
struct vi_src *vi_src_bottom(struct vi_src *s);

struct vi_rstream;

struct vi_input {
	const char *name;       /* as the user gave it ("-" = stdin) */
	int fd;                 /* opened read-only (qcow2: a private spool) */
	int spooled;            /* fd is a temporary copy (qcow2's VM state) */
	uint64_t file_size;     /* bytes behind fd (UINT64_MAX: a pipe, not known) */
	uint64_t input_size;    /* bytes of the file (or pipe) as given, before any
				   layer was peeled off (a pipe: known once read) */
	struct vi_src *src;     /* a pipe or compressed stream: its sources */
	struct vi_rstream *rs;  /* ... read once by the walker (input-reader-stream.c) */
	uint64_t base;          /* offset in fd of stream byte 0 */
	uint64_t size;          /* stream bytes (a stream read once: known when
				   its end was read, UINT64_MAX before) */
	const char *container;  /* "raw", "libvirt-save", ... */
	const char *filters[4]; /* compression layers peeled off, outermost first */
	int nfilters;
	uint64_t temp_bytes;    /* written to disk (only qcow2's VM state) */
	char detail[256];       /* container facts worth showing */
	struct vi_libvirt *libvirt;  /* a libvirt save image's header, or NULL */
	int has_snapshot;       /* qcow2: the snapshot read */
	struct vi_snapshot snapshot;
	struct vi_snapshot *snapshots;  /* --list-snapshots: the table */
	size_t nsnapshots;
};

/* A decompressor over a source (input-stream.c holds the shared part: the
 * input buffer and its refill, vi_fsrc_refill). */
#define VI_FSRC_BUF (1u << 17)
struct vi_fsrc {
	struct vi_src s;
	const struct vi_filter *f;
	uint8_t *ibuf;          /* VI_FSRC_BUF bytes of compressed input: own,
				   or the read-ahead thread's (input-readahead.h) */
	uint8_t *own;
	struct vi_ra *ra;       /* the file below read on a second thread, or NULL */
	int ra_tried;
	size_t in_pos, in_len;  /* ibuf[in_pos..in_len) not yet decoded */
	int eof;                /* the source below has ended */
	int done;               /* the decoder has ended */
	void *dec;              /* the decoder's state */
	struct vi_error *err;
};

/* A compression filter: bids on the first bytes; init sets f->dec, read
 * decodes into buf: the count (> 0), 0 at the end, -1 with f->err set. */
struct vi_filter {
	const char *name;
	int (*bid)(const uint8_t *p, size_t n);
	int (*init)(struct vi_fsrc *f);
	ssize_t (*read)(struct vi_fsrc *f, uint8_t *buf, size_t n);
	void (*end)(struct vi_fsrc *f);
	int own_threads;        /* decodes on threads of its own: the file
				   below is not read ahead (input-readahead.h) */
};

/* The shared refill: when ibuf is used up and the source below has more,
 * read the next bytes into it.  0 (f->eof set at the end), -1 on error. */
int vi_fsrc_refill(struct vi_fsrc *f);
/* Exactly n compressed bytes (lzop's container); short = corrupt. */
int vi_fsrc_get(struct vi_fsrc *f, void *buf, size_t n, const char *what);
/* The offset in the source below of the next compressed byte. */
uint64_t vi_fsrc_offset(const struct vi_fsrc *f);
/* "FILTER: corrupt or truncated compressed data (WHY)" at compressed byte off. */
int vi_filter_corrupt(struct vi_error *err, const char *filter, uint64_t off,
		      const char *why);
/* A source decoding s through f (which takes s over). */
struct vi_src *vi_src_filter(struct vi_src *s, const struct vi_filter *f,
			     struct vi_error *err);

/* A container format: bids on the first bytes, then sets in->base/size.
 * It may ask for a filter on its payload by returning it in *filter. */
struct vi_format {
	const char *name;
	int (*bid)(const uint8_t *p, size_t n);
	int (*open)(struct vi_input *in, const struct vi_filter **filter,
		    struct vi_error *err);
};

extern const struct vi_filter vi_filter_xz;
extern const struct vi_filter vi_filter_gzip;
extern const struct vi_filter vi_filter_bzip2;
extern const struct vi_filter vi_filter_lzop;
extern const struct vi_filter vi_filter_zstd;
extern const struct vi_format vi_format_raw;
extern const struct vi_format vi_format_libvirt;
extern const struct vi_format vi_format_qcow2;

int vi_input_open(struct vi_input *in, const char *path, struct vi_error *err);
/* Would writing the output file out clobber one of the n inputs (same
 * device and inode; "-" is standard input)?  Then one line on stderr and 1;
 * else 0.  NULL out or inputs are skipped. */
int vi_output_clobbers(const char *out, const char *const *inputs, size_t n);
void vi_input_close(struct vi_input *in);
/* Another reference to in's libvirt facts, for a copy of in. */
void vi_input_share(struct vi_input *copy);

/* Read exactly n bytes at absolute fd offset off; short read = error. */
int vi_pread_full(int fd, void *buf, size_t n, uint64_t off);
/* For container formats: exactly n bytes at input offset off, from the file
 * or (a pipe, a compressed input) forward from the source.  0 or -1. */
int vi_input_pread(struct vi_input *in, void *buf, size_t n, uint64_t off);

/* A progress line on a terminal while input is read or decompressed
 * (input-progress.c). */
struct vi_progress {
	int on, shown;
	const char *name;
	double start, last, delay;
};
void vi_progress_start(struct vi_progress *p, const char *name);
void vi_progress_update(struct vi_progress *p, const char *what, uint64_t in, uint64_t out);
void vi_progress_end(struct vi_progress *p);

/* A spool file: an unlinked temporary file in $TMPDIR (or /tmp). */
int vi_spool_create(struct vi_error *err);

#endif
