/* check-ppc-cpu.h - PowerPC "cpu" sections: the incoming PVR against the
 * destination's CPU model (target/ppc/machine.c cpu_post_load). */
#ifndef VI_CHECK_PPC_CPU_H
#define VI_CHECK_PPC_CPU_H

#include <jansson.h>
#include "vi-findings.h"
#include "vi-tree.h"

/* sec: a "cpu" section of the source; theirs: the same section of the
 * destination's own stream, or NULL; machine: the destination machine
 * type's entry in its machine data (default_cpu), or NULL.  Appends a
 * field-mismatch error when the PVRs differ; nothing for other
 * architectures' cpu sections or when nothing is known. */
void check_ppc_cpu(struct vi_node *sec, struct vi_node *theirs, json_t *machine,
		   const char *machine_name, const char *release, struct vi_findings *out);

#endif
