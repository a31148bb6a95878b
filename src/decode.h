/* decode.h - the description interpreter (decode-*.c) as the walker sees it.
 *
 * The walker hands the decoder a small context, never itself: the reader,
 * where hard errors go, and callbacks for warnings, the node budget and the
 * section's end.  A description the bytes do not follow is not an error: the
 * entry points return VMSD_MISMATCH and say why in *why. */
#ifndef VI_DECODE_H
#define VI_DECODE_H

#include <jansson.h>
#include <stdint.h>
#include "vi-error.h"
#include "input-reader.h"
#include "vi-tree.h"

#define VMSD_MISMATCH (-2)

struct vi_decode_env {
	struct vi_reader *r;
	struct vi_error *err;		/* the walk's error: hard errors end up here */
	void *walker;			/* given back to every callback */
	/* A warning node at stream offset off. */
	void (*warn)(void *walker, uint64_t off, const char *msg);
	/* -1 with a hard error in *err when the walk may make no more nodes. */
	int (*budget)(void *walker, struct vi_error *err);
	/* Offset of section id's footer at or after from, UINT64_MAX if none. */
	uint64_t (*find_footer)(void *walker, uint64_t from, uint32_t id);
	/* Is the reader at section id's end (its footer, or a record)? */
	int (*at_section_end)(void *walker, uint32_t id);
	uint32_t empty_elems;		/* elements of this section that took no bytes */
	uint64_t undecoded_total;	/* bytes shown undecoded so far */
};

/* Why the bytes did not follow the description. */
struct vi_mismatch {
	char msg[600];
};

/* Decode a payload from a trailer entry into parent: 0, -1 (error in
 * env->err) or VMSD_MISMATCH (*why says why). */
int vmsd_decode_payload(struct vi_decode_env *env, json_t *desc, struct vi_node *parent,
			int depth, struct vi_mismatch *why);
/* Decode a FULL section's payload from a schema vmsd at the section
 * version, trying the choices the schema leaves open; as above. */
int vmsd_decode_schema(struct vi_decode_env *env, json_t *vmsd, struct vi_node *sec,
		       uint32_t section_id, uint32_t version, struct vi_mismatch *why);

#endif
