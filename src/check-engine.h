/* check-engine.h - predict what a destination QEMU does with a stream. */
#ifndef VI_CHECK_ENGINE_H
#define VI_CHECK_ENGINE_H

#include "vi-findings.h"
#include "schema-machines.h"
#include "schema.h"
#include "session.h"

struct vi_dest {
	const struct vi_schema *schema;  /* the destination release's vmstates */
	struct vi_session *stream;       /* a stream its own configuration wrote, or NULL */
	const char *machine;             /* its machine type (aliases resolved), or NULL: the stream's */
	const struct vi_machines *machines; /* the target's machine types, or NULL */
	struct vi_findings *notes;       /* what was assumed, once per run; NULL:
					    with each stream's findings */
	int machine_unknown;             /* machine names a type the release lacks */
};

/* Compare one walked stream with the destination; findings are appended
 * and sorted by offset.  Returns the number of errors (reject if > 0). */
size_t vi_check_stream(struct vi_session *src, const char *file,
		       const struct vi_dest *dest, struct vi_findings *out);

#endif
