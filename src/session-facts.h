/* session-facts.h - what a stream says about itself, typed.
 *
 * The walker fills a struct vi_stream_facts that its caller (the session,
 * session.h) owns; check, report, compat and the commands read the facts
 * and the tree, never the walker's state (walk.h). */
#ifndef VI_SESSION_FACTS_H
#define VI_SESSION_FACTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "vi-ram-digest.h"
#include "vi-tree.h"

/* How to walk (the command's choice). */
struct vi_walk_opts {
	int ignore_vmdesc;       /* decode as if there were no trailer */
	json_t *schema_vmsds;    /* a target schema's "vmsds": decodes sections
				    the trailer does not describe (borrowed) */
	int ram_digests;         /* read RAM pages and digest each RAMBlock
				    (vi-ram-digest.h); otherwise pages are skipped */
};

struct vi_ramblock {
	char name[256];
	uint64_t used_length;
	uint64_t page_size;      /* hugepage size if sent, else stream page size */
	uint64_t mr_addr;
	int has_mr_addr;
	uint64_t pages, zero_pages, normal_pages, xbzrle_pages, compressed_pages;
	uint64_t nonzero_fill;   /* ZERO records whose fill byte was not 0 */
	struct ram_pages pg;     /* with ram_digests: the non-zero pages */
	struct vi_node *node;
};

/* A section as its START or FULL record named it (PART and END records
 * give only the id). */
struct vi_section {
	uint32_t id;
	char *idstr;             /* as the stream has it (< 256 bytes) */
	uint32_t instance_id;
	uint32_t version_id;
	struct vi_node *first;   /* the START/FULL node */
};

struct vi_stream_facts {
	char machine[256];          /* the configuration's machine type, "" if none */
	uint32_t page_size;         /* 0 until known */
	int page_size_assumed;      /* no trailer, no target-page-bits */
	const char *page_size_from; /* "vmdesc", "target-page-bits", "assumed" */
	int footers;                /* -1 unknown, 0 absent, 1 present */
	int cap_mapped_ram, cap_ignore_shared;   /* capabilities the stream shows */
	/* The VMDESCRIPTION trailer: the whole document, or NULL. */
	json_t *vmdesc;
	uint64_t vmdesc_offset;     /* offset of the 0x06 byte, UINT64_MAX none */
	uint32_t vmdesc_len;
	/* RAMBlocks in the order the stream lists them. */
	struct vi_ramblock *blocks;
	size_t nblocks;
	int ram_digests;            /* pages were read: each block's pg is its digest */
	/* Sections by the order of their first record; an id a later START
	 * reuses keeps its place with the new name. */
	struct vi_section *sections;
	size_t nsections;
};

#endif
