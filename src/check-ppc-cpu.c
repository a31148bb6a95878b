/* check-ppc-cpu.c - PowerPC "cpu" sections: the CPU model must match.
 *
 * target/ppc/machine.c cpu_post_load: unless the stream put the CPU in a
 * compatibility mode (subsection cpu/compat, compat_pvr not 0), "we require
 * that the destination has exactly the same CPU model as the source": the
 * incoming Processor Version Register (env.spr[287], SPR_PVR, an
 * architectural number) must be one the destination's CPU class accepts,
 * else -EINVAL, with no message of its own ("error while loading state for
 * instance 0x0 of device 'cpu'"; 11.1 adds "post load hook failed").
 *
 * The destination's PVR: its own stream's env.spr[287] (--dest-stream), else
 * the PVR of its machine type's default CPU model (machine data:
 * default_cpu.pvr, from QMP query-machines and -cpu help, tools/gen_machines.py).
 * Judged as equality: QEMU's pvr_match hooks accept some other revisions of
 * the same processor family too (which ones changed between releases and
 * is not in the generated data), so a stream whose PVR differs only in its
 * revision from the destination's may be refused here and loaded by QEMU.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "check-ppc-cpu.h"
#include "vi-json.h"

#define SPR_PVR 287

static struct vi_node *kid(struct vi_node *n, enum vi_kind kind, const char *name)
{
	for (size_t i = 0; n && i < n->nkids; i++)
		if (n->kids[i]->kind == kind && !strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

/* env.spr[287] of a cpu section, or NULL (not a PowerPC cpu section). */
static struct vi_node *pvr_node(struct vi_node *sec)
{
	struct vi_node *spr = kid(sec, VI_N_FIELD, "env.spr");

	if (!spr || !vi_node_get(spr, VI_A_ARRAY_LEN) || spr->nkids <= SPR_PVR ||
	    spr->kids[SPR_PVR]->vt != VI_V_UINT)
		return NULL;
	return spr->kids[SPR_PVR];
}

/* The stream put the CPU in a compatibility mode: ppc_set_compat decides,
 * with a message of its own when it refuses (not judged here). */
static int compat_mode(struct vi_node *sec)
{
	struct vi_node *sub = kid(sec, VI_N_SUBSECTION, "cpu/compat");
	struct vi_node *f = kid(sub, VI_N_FIELD, "compat_pvr");

	return sub && (!f || f->vt != VI_V_UINT || f->v.u != 0);
}

void check_ppc_cpu(struct vi_node *sec, struct vi_node *theirs, json_t *machine,
		   const char *machine_name, const char *release, struct vi_findings *out)
{
	struct vi_node *mine = pvr_node(sec), *dst = theirs ? pvr_node(theirs) : NULL;
	json_t *cpu = json_object_get(machine, "default_cpu");
	uint64_t want, end;
	char path[300], whose[300];

	if (!mine || compat_mode(sec) || strcmp(sec->name, "cpu") != 0)
		return;
	if (theirs) {
		if (!dst)
			return;
		want = dst->v.u;
		snprintf(whose, sizeof(whose), "the destination's own stream (its CPU's PVR)");
	} else {
		if (!json_is_integer(json_object_get(cpu, "pvr")))
			return;
		want = (uint64_t)json_integer_value(json_object_get(cpu, "pvr"));
		snprintf(whose, sizeof(whose), "the PVR of %s, QEMU %s's default CPU of "
			 "machine type %s (assumed: the destination runs it)",
			 jstr(cpu, "type") ? jstr(cpu, "type") : "?", release,
			 machine_name ? machine_name : "?");
	}
	if (mine->v.u == want)
		return;
	end = vi_node_payload_end(sec);	/* post_load: after the subsections */
	snprintf(path, sizeof(path), "%s[%" PRIu64 "].env.spr[%d]", sec->name,
		 vi_node_get(sec, VI_A_INSTANCE_ID)->u, SPR_PVR);
	vi_finding_add(out, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
		       "incoming PVR 0x%08" PRIx64 " (byte %" PRIu64 ") is not 0x%08" PRIx64
		       ", %s, and the stream sets no compatibility mode: cpu_post_load "
		       "requires the same CPU model and fails the load (-EINVAL, no "
		       "message of its own)", mine->v.u, mine->offset, want, whose);
}
