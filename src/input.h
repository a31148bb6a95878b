/* input.h - turning what the user named into a seekable range of stream bytes.
 *
 * Like libarchive, input handling is a set of small modules that bid on the
 * first bytes: filters (compression, input-filter-*.c) are peeled off first,
 * then one container format (input-format-*.c) says where the QEMU migration
 * stream lies.  Pipes and filter output are spooled to an unlinked temporary
 * file so the walker can always seek: the VMDESCRIPTION trailer sits at the
 * end of the stream and RAM pages are skipped, never read.
 */
#ifndef VI_INPUT_H
#define VI_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

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

struct vi_input {
	const char *name;       /* as the user gave it ("-" = stdin) */
	int fd;                 /* opened read-only, or a private spool */
	int spooled;            /* fd is a temporary copy */
	uint64_t file_size;     /* bytes behind fd */
	uint64_t input_size;    /* bytes of the file (or pipe) as given, before any
				   layer was peeled off */
	uint64_t base;          /* offset in fd of stream byte 0 */
	uint64_t size;          /* stream bytes */
	const char *container;  /* "raw", "libvirt-save", ... */
	const char *filters[4]; /* compression layers peeled off, outermost first */
	int nfilters;
	uint64_t temp_bytes;    /* written to spools so far, every layer */
	char detail[256];       /* container facts worth showing */
	struct vi_libvirt *libvirt;  /* a libvirt save image's header, or NULL */
	int has_snapshot;       /* qcow2: the snapshot read */
	struct vi_snapshot snapshot;
	struct vi_snapshot *snapshots;  /* --list-snapshots: the table */
	size_t nsnapshots;
};

/* Where a filter's output goes (input.c): the first decompressed bytes are
 * bid on before any is written to a spool, and the bytes written are held
 * to the caps on expansion ratio and temporary bytes (vi-limits.h). */
struct vi_sink;

/* A compression filter: bids on the first bytes, then decodes fd[off..]
 * (to the end of the file) into the sink. */
struct vi_filter {
	const char *name;
	int (*bid)(const uint8_t *p, size_t n);
	int (*decode)(int fd, uint64_t off, struct vi_sink *k, struct vi_error *err);
};

/* Hand n decompressed bytes to the sink; in_off is the absolute offset of
 * the compressed bytes consumed so far.  0, or -1 with err set. */
int vi_sink_write(struct vi_sink *k, const void *buf, size_t n, uint64_t in_off,
		  struct vi_error *err);
/* read(2) at fd offset off, up to n bytes, retrying EINTR: the count (0 at
 * the end), or -1 with err set naming the filter. */
ssize_t vi_filter_read(int fd, void *buf, size_t n, uint64_t off, const char *filter,
		       struct vi_error *err);
/* "FILTER: corrupt or truncated compressed data (WHY)" at compressed byte off. */
int vi_filter_corrupt(struct vi_error *err, const char *filter, uint64_t off,
		      const char *why);

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

/* A progress line on a terminal while input is copied or decompressed
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
