/* explain.h - QEMU's load error lines (explain-table.c) and where each
 * points in a stream (explain-locate.c); the command is cmd-explain.c. */
#ifndef VI_EXPLAIN_H
#define VI_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>
#include "vi-error.h"
#include "vi-tree.h"

/* Where a message points, given its captures g1 and g2. */
enum explain_loc {
	EX_HEADER,               /* the file header (magic, version) */
	EX_CONFIG,               /* the configuration record (machine type) */
	EX_CONFIG_PAGE,          /* its target-page-bits subsection */
	EX_CONFIG_CAPS,          /* its capabilities subsection */
	EX_TRAILER,              /* the VMDESCRIPTION trailer / EOF */
	EX_SECTION,              /* section (or vmsd) named g1 */
	EX_SECTION_INSTANCE,     /* section g1, instance g2 (decimal) */
	EX_SECTION_INSTANCE_HEX, /* section g1, instance g2 (hex) */
	EX_SECTION_ID,           /* section id g1 */
	EX_SECTION_VERSION,      /* the version_id of section (vmsd) g1 */
	EX_FOOTER,               /* the footer of section g1 */
	EX_FIELD,                /* field g2 of vmsd g1 (g1 0: any) */
	EX_SUBSECTION,           /* subsection g1 of vmsd g2 */
	EX_PCI_CONFIG,           /* byte g1 (hex) of the device's PCI config */
	EX_RAMBLOCK,             /* RAMBlock g1 */
	EX_VALUE,                /* a field of the device holding value g1 */
	EX_VALUE_HEX,            /* the same, g1 in hex */
	EX_WALK_ERROR,           /* where the stream stops being readable */
	EX_RECORD_TYPE,          /* the first record of type g1 (else as EX_WALK_ERROR) */
	EX_COMMAND,              /* a COMMAND record */
	EX_CONTEXT,              /* the device the other lines name */
	EX_SUMMARY,              /* QEMU's last line: where the first line points */
};

struct explain_row {
	const char *id;          /* short name of the message */
	const char *source;      /* QEMU file and function that prints it */
	const char *regex;       /* POSIX ERE, searched in the line */
	enum explain_loc loc;
	int g1, g2;              /* capture groups for the location and %1/%2 */
	const char *why, *fix;   /* plain words; %1 %2 are the captures */
};

extern const struct explain_row explain_table[];
extern const size_t explain_table_len;

/* One error line of QEMU's, matched and located (explain-locate.c). */
#define CAP 256
struct ex_line {
	char *text;
	const struct explain_row *row;
	char g[2][CAP];          /* captures g1, g2 ("" when none) */
	const struct vi_node *node;  /* what it points at, or NULL */
	uint64_t offset;
	int located;
	const char *how;         /* a note on how it was located */
	struct vi_node footer;   /* node may be this: a footer (vi_node_footer) */
	struct vi_attr footer_attr;
};

struct explain_ctx {
	const struct vi_node *root, *device;   /* device: what the other lines name */
	const struct vi_error *err;
};

void explain_locate(struct ex_line *l, const struct explain_ctx *c);
/* The section a node is in, and its path in it ("virtio-net/vq[1].num"). */
const struct vi_node *explain_section_of(const struct vi_node *n);
void explain_path_of(const struct vi_node *n, char *out, size_t size);

#endif
