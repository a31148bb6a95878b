/* walk.h - walking a migration stream into a decoded tree.
 *
 * walk.c drives the record loop; walk-core.c has what every walk-* file
 * shares (warnings, budget, footers) and calls none of them; walk-config.c, walk-ram.c, walk-command.c
 * and walk-opaque.c each own one kind of payload; device sections are
 * decoded by the description interpreter (decode-vmsd.c, decode-schema.c) from the stream's
 * own VMDESCRIPTION trailer (walk-vmdesc.c).
 */
#ifndef VI_WALK_H
#define VI_WALK_H

#include <jansson.h>
#include <stdint.h>
#include "decode.h"
#include "vi-error.h"
#include "vi-ram-digest.h"
#include "input-reader.h"
#include "session-facts.h"
#include "vi-tree.h"
#include "vi-format.h"
#include "vi-map.h"

struct vi_vd_key;

struct vi_walk {
	struct vi_reader *r;
	struct vi_error *err;
	struct vi_walk_opts opts;
	struct vi_node *root;
	struct vi_stream_facts *f; /* what the stream told so far: the caller's */
	int probe_late;          /* a stream read once: trailer not probed yet */
	int packaged_depth;


	/* Which trailer entries are taken (the trailer is in f->vmdesc). */
	size_t vmdesc_next;      /* next unused device entry */
	size_t vmdesc_taken;     /* index of the entry vmdesc_take_device gave */
	size_t vmdesc_prev_next; /* vmdesc_next before that */
	unsigned char *vmdesc_used;
	/* Entries by (name, instance_id), for vmdesc_take_device: vd_keys
	 * sorted by name, instance, entry index; vd_pos[i] is entry i's place
	 * there (SIZE_MAX: no name or instance); vd_free is a binary tree over
	 * those places whose nodes say "an unused entry lies below" (place k
	 * is node vd_leaves + k). */
	struct vi_vd_key *vd_keys;
	size_t *vd_pos, vd_nkeys, vd_leaves;
	unsigned char *vd_free;

	size_t csections;        /* room in f->sections */
	struct vi_map sec_map;   /* section id -> index in f->sections */
	uint64_t nodes_made0;    /* vi_node_made() when the walk started */
	struct {                 /* walk_find_footer's last answer */
		int valid, footers;
		uint32_t id;
		size_t nsections;
		uint64_t limit, from, at;   /* at: UINT64_MAX = none up to limit */
	} ff;

	size_t cblocks;          /* room in f->blocks */
	uint16_t *block_hash;    /* 2 * VI_MAX_RAM_BLOCKS slots: block index + 1 */
	size_t last_block;       /* for RAM_SAVE_FLAG_CONTINUE: index + 1, 0 none
				    (blocks moves when it grows) */
	struct vi_node *ram_node;        /* the RAM summary */

	struct vi_decode_env dec; /* what the decoder gets: reader, error,
				    callbacks, its counters */
};

/* Walk r's stream into w->root, the stream's facts into *facts.  On error
 * w->err is set; the tree then holds everything decoded before the error. */
int vi_walk_stream(struct vi_walk *w, struct vi_reader *r,
		   const struct vi_walk_opts *opts, struct vi_stream_facts *facts,
		   struct vi_error *err);
/* Free the tree, the walker's state and what it put in its facts. */
void vi_walk_free(struct vi_walk *w);

/* walk.c: the record loop, also used for PACKAGED payloads. */
int walk_records(struct vi_walk *w, struct vi_node *parent, int nested);

/* walk-core.c: what the walk-* modules share; it calls none of them. */
struct vi_section *walk_section_by_id(struct vi_walk *w, uint32_t id);
/* -1 with a hard error in w->err when the tree has grown past VI_MAX_NODES
 * or the walk has made more than VI_MAX_NODE_WORK nodes; else 0. */
int walk_node_budget(struct vi_walk *w);
/* Could a record (or the end of the enclosing data) start at offset q? */
int walk_record_plausible(struct vi_walk *w, uint64_t q);
void walk_warn(struct vi_walk *w, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Offset of section id's footer at or after from, UINT64_MAX if none; may
 * set the reader's error on truncation. */
uint64_t walk_find_footer(struct vi_walk *w, uint64_t from, uint32_t id);
/* Is the reader at section id's footer (or, without footers, a record)? */
int walk_at_section_end(struct vi_walk *w, uint32_t id);
/* Fill w->dec: the decoder's context, whose callbacks are these functions. */
void walk_decode_env(struct vi_walk *w);

/* walk-config.c */
int walk_configuration(struct vi_walk *w, struct vi_node *parent);
/* walk-command.c */
int walk_command(struct vi_walk *w, struct vi_node *parent);
/* walk-live.c: START/PART/END payloads of ram, dirty-bitmap, block. */
int walk_live_payload(struct vi_walk *w, struct vi_node *sec, const char *idstr,
		      uint32_t id, int is_start);
/* walk-ram.c */
int walk_ram_payload(struct vi_walk *w, struct vi_node *sec, int is_start);
void walk_ram_summarise(struct vi_walk *w);

/* walk-opaque.c: a payload whose extent only its footer tells. */
int walk_opaque_payload(struct vi_walk *w, struct vi_node *sec, uint32_t id);
/* walk-vmdesc.c */
int vmdesc_probe(struct vi_walk *w);
/* A stream read once: probe the trailer now (first device section or EOF). */
int vmdesc_late_probe(struct vi_walk *w);
/* Walk the trailer after EOF (walk-vmdesc.c). */
int vmdesc_walk_trailer(struct vi_walk *w);
/* The trailer entry for a FULL section; *exact is 0 when it is only the
 * next unused entry in stream order (the section was renamed after writing). */
json_t *vmdesc_take_device(struct vi_walk *w, const char *idstr, uint32_t instance,
			   int *exact);
/* Undo the last vmdesc_take_device (its entry did not fit). */
void vmdesc_give_back(struct vi_walk *w);

#endif
