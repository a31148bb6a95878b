/* check-values.c - values the destination compares with its own (config
 * spaces, fields it checks equal) and post_load hooks whose bound is its own
 * state (ARM CPU registers), for check-engine.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "check-engine.h"
#include "check-ctx.h"
#include "schema-facts.h"
#include "vi-pci-config.h"
#include "decode-virtio.h"


/* ---- values the destination compares with its own ---------------------- */

static struct vi_node *same_path(struct vi_node *mine, struct vi_node *their_sec)
{
	/* Path of names from the section down to mine, replayed in theirs. */
	struct vi_node *chain[64], *n = their_sec;
	int depth = 0;

	for (struct vi_node *p = mine; p && p->kind != VI_N_SECTION && depth < 64; p = p->parent)
		chain[depth++] = p;
	while (depth-- > 0 && n) {
		struct vi_node *next = NULL;
		for (size_t i = 0; i < n->nkids && !next; i++)
			if (!strcmp(n->kids[i]->name, chain[depth]->name))
				next = n->kids[i];
		n = next;
	}
	return n;
}

static int64_t node_int(const struct vi_node *n)
{
	return n->vt == VI_V_INT ? n->v.i : (int64_t)n->v.u;
}

static int read_bytes(struct vi_session *s, uint64_t off, uint8_t *buf, size_t n)
{
	return rd_peek_at(s->r, off, buf, n) == n ? 0 : -1;
}

static void compare_config(struct ctx *c, struct vi_node *mine, struct vi_node *theirs,
			   uint64_t skip, const char *what)
{
	uint8_t a[4096], b[4096], m = 0;
	size_t n;
	long bad;
	char path[512];

	if (mine->length < skip + 64 || theirs->length < skip + 64)
		return;
	n = mine->length - skip < sizeof(a) ? mine->length - skip : sizeof(a);
	if (theirs->length - skip < n)
		n = theirs->length - skip;
	if (read_bytes(c->src, mine->offset + skip, a, n) < 0 ||
	    read_bytes(c->d->stream, theirs->offset + skip, b, n) < 0)
		return;
	n = pci_config_size(b, n) < n ? pci_config_size(b, n) : n;
	if ((bad = pci_config_mismatch(a, b, n, &m)) < 0)
		return;
	vi_node_path(mine, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, mine->offset + skip + (uint64_t)bad, 1,
		       path, "%sget_pci_config_device: Bad config data: i=0x%lx read: %x "
		       "device: %x cmask: %x", what, bad, a[bad], b[bad], m);
}

void ce_check_values(struct ctx *c, struct vi_node *n, struct vi_node *their_sec)
{
	for (size_t i = 0; i < n->nkids; i++)
		ce_check_values(c, n->kids[i], their_sec);
	if (n->kind != VI_N_FIELD || n->nkids)
		return;
	/* An int32 is bounded where the destination's own vmstate says so
	 * (its trailer's "int32 le"), whatever type the source wrote it as. */
	if (strstr(n->type, " equal") || !strncmp(n->type, "int32", 5) ||
	    !strcmp(n->type, "pci config") || !strcmp(n->type, "virtio")) {
		struct vi_node *o = their_sec ? same_path(n, their_sec) : NULL;
		char path[512];

		vi_node_path(n, path, sizeof(path));
		if (!strncmp(n->type, "int32", 5) &&
		    strcmp(o && o->type ? o->type : n->type, "int32 le") != 0)
			return;
		if (!strncmp(n->type, "int32", 5)) {
			int64_t v = node_int(n), lim = o ? node_int(o) : INT32_MAX;
			if (v < 0 || v > lim)
				vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, n->offset, n->length,
					       path, "Invalid value %" PRId64 " expecting positive "
					       "value <= %" PRId64, v, lim);
		} else if (o && strstr(n->type, " equal") && node_int(n) != node_int(o)) {
			vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, n->offset, n->length, path,
				       "%" PRIx64 " != %" PRIx64 " (the destination requires "
				       "its own value)", (uint64_t)node_int(n), (uint64_t)node_int(o));
		} else if (o && !strcmp(n->type, "pci config")) {
			compare_config(c, n, o, 0, "");
		} else if (o && !strcmp(n->type, "virtio")) {
			/* virtio-pci transport first: int32 version, then config space. */
			compare_config(c, n, o, 4, "virtio transport: ");
		}
	}
}


/* ---- post_load hooks whose bound is the destination's own state -------- */

/* Element i of a uint64 array field (decoded as children, or read). */
static int u64_elem(struct vi_session *s, struct vi_node *f, uint64_t i, uint64_t *v,
		    uint64_t *off)
{
	uint8_t b[8];

	if (f->nkids) {
		if (i >= f->nkids)
			return -1;
		*v = f->kids[i]->v.u;
		*off = f->kids[i]->offset;
		return 0;
	}
	if (f->length < 8 * (i + 1) || read_bytes(s, f->offset + 8 * i, b, 8) < 0)
		return -1;
	*v = 0;
	for (int k = 0; k < 8; k++)
		*v = *v << 8 | b[k];
	*off = f->offset + 8 * i;
	return 0;
}

static struct vi_node *direct_field(struct vi_node *n, const char *name)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VI_N_FIELD && !strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

/* An AArch64 ID register (op0 3, op1 0, CRn 0 in the KVM-style index
 * 0x6030000000130000 | op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2):
 * constant under TCG, so cpu_post_load's write_list_to_cpustate reads back
 * the destination's own value and fails when the incoming one differs. */
static int is_arm_id_reg(uint64_t idx)
{
	return (idx >> 16) == 0x603000000013ULL && ((idx >> 14) & 3) == 3 &&
	       ((idx >> 11) & 7) == 0 && ((idx >> 7) & 15) == 0;
}

static int id_reg_differs(struct ctx *c, struct vi_node *sec, struct vi_node *theirs,
			  uint64_t v, uint64_t i, uint64_t idx)
{
	struct vi_node *mv = direct_field(sec, "cpreg_vmstate_values");
	struct vi_node *tv = direct_field(theirs, "cpreg_vmstate_values");
	uint64_t a, b, off, doff, end;
	char path[512];

	if (!mv || !tv || u64_elem(c->src, mv, v, &a, &off) < 0 ||
	    u64_elem(c->d->stream, tv, i, &b, &doff) < 0 || a == b)
		return 0;
	end = vi_node_payload_end(sec);	/* post_load: after the subsections */
	vi_node_path(mv, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
		       "ID register 0x%" PRIx64 " (op0 3, op1 0, CRn 0, CRm %u, op2 %u; value at "
		       "byte %" PRIu64 ") is 0x%" PRIx64 " here and 0x%" PRIx64 " in the "
		       "destination's CPU, where it is "
		       "constant: cpu_post_load's write_list_to_cpustate fails the load "
		       "(\"Operation not permitted\", no message of its own)", idx,
		       (unsigned)((idx >> 3) & 15), (unsigned)(idx & 7), off, a, b);
	return 1;
}

/* ARM "cpu" (target/arm/machine.c cpu_post_load): the incoming coprocessor
 * register indexes are merged with the destination CPU's sorted list; one
 * the destination lacks fails the load with no message of its own (-1,
 * "Operation not permitted").  The destination's list is its own stream's
 * cpreg_vmstate_indexes.  post_load runs after the section's subsections,
 * so the finding is placed at the section's end. */
void ce_check_arm_cpregs(struct ctx *c, struct vi_node *sec, struct vi_node *theirs)
{
	struct vi_node *mi = direct_field(sec, "cpreg_vmstate_indexes");
	struct vi_node *ti = direct_field(theirs, "cpreg_vmstate_indexes");
	uint64_t ns, nd, i = 0, v = 0, sv = 0, dv = 0, off = 0, doff, end;
	char path[512];

	if (!mi || !ti || !vi_node_get(mi, VI_A_ARRAY_LEN) || !vi_node_get(ti, VI_A_ARRAY_LEN))
		return;
	ns = vi_node_get(mi, VI_A_ARRAY_LEN)->u;
	nd = vi_node_get(ti, VI_A_ARRAY_LEN)->u;
	while (i < nd && v < ns) {
		if (u64_elem(c->src, mi, v, &sv, &off) < 0 ||
		    u64_elem(c->d->stream, ti, i, &dv, &doff) < 0)
			return;
		if (sv > dv) {
			i++;
			continue;
		}
		if (sv < dv)
			break;
		if (is_arm_id_reg(sv) && id_reg_differs(c, sec, theirs, v, i, sv))
			return;
		i++;
		v++;
	}
	if (i >= nd || v >= ns)
		return;
	end = vi_node_payload_end(sec);
	vi_node_path(mi, path, sizeof(path));
	vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
		       "incoming coprocessor register 0x%" PRIx64 " (element %" PRIu64 ", byte %"
		       PRIu64 ") is not one of the destination CPU's %" PRIu64 " registers: "
		       "cpu_post_load fails the load (\"Operation not permitted\", no message "
		       "of its own)", sv, v, off, nd);
}

/* ARM "cpu" without --dest-stream: the destination's register list is the
 * schema's list for the CPU model whose list the incoming one matches best
 * (cpreg_index_sets, from the generated streams; the same model's list
 * changes a little between releases, different models' lists a lot).
 * Assumes the destination runs the source's CPU model, as check assumes the
 * source's devices.  Two checks, in QEMU's order: cpreg_vmstate_array_len is
 * an int32 le field bounded by the destination's length, then cpu_post_load
 * needs every incoming index in the destination's list. */
void ce_check_arm_cpregs_schema(struct ctx *c, struct vi_node *sec, json_t *sv)
{
	struct vi_node *mi = direct_field(sec, "cpreg_vmstate_indexes");
	struct vi_node *ml = direct_field(sec, "cpreg_vmstate_array_len");
	json_t *sets = json_object_get(sv, "cpreg_index_sets"), *best = NULL, *x;
	uint64_t ns, best_missing = UINT64_MAX, best_n = 0, v, off, end;
	size_t i;
	char path[512];

	if (!mi || !vi_node_get(mi, VI_A_ARRAY_LEN) || !json_array_size(sets))
		return;
	ns = vi_node_get(mi, VI_A_ARRAY_LEN)->u;
	if (ns > 65536)
		return;
	/* The list closest to the incoming one (fewest indexes in one and not
	 * the other): lists grow between releases, so an older release's list
	 * of the same model is nearly a subset of a newer one's and the reverse. */
	json_array_foreach(sets, i, x) {
		json_t *list = json_object_get(x, "indexes");
		uint64_t missing = 0;
		size_t j = 0, n = json_array_size(list);
		for (uint64_t k = 0; k < ns; k++) {
			if (u64_elem(c->src, mi, k, &v, &off) < 0)
				return;
			while (j < n && (uint64_t)json_integer_value(json_array_get(list, j)) < v)
				j++;
			if (j >= n || (uint64_t)json_integer_value(json_array_get(list, j)) != v)
				missing++;
		}
		if (best_missing == UINT64_MAX ||
		    2 * missing + n < 2 * best_missing + best_n) {
			best_missing = missing;
			best_n = n;
			best = x;
		}
	}
	/* A CPU model the schema never ran: its list is not among these (the
	 * lists share less than 90% of the shorter one). */
	if (!best || (ns - best_missing) * 10 < 9 * (ns < best_n ? ns : best_n))
		return;
	if (ml && (uint64_t)node_int(ml) > json_array_size(json_object_get(best, "indexes"))) {
		vi_node_path(ml, path, sizeof(path));
		vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, ml->offset, ml->length, path,
			       "Invalid value %" PRId64 " expecting positive value <= %zu (QEMU %s's "
			       "%s has %zu coprocessor registers; assumed: the destination runs the "
			       "source's CPU model, whose register list this is closest to)",
			       node_int(ml), json_array_size(json_object_get(best, "indexes")),
			       c->release, jstr(best, "cpu"),
			       json_array_size(json_object_get(best, "indexes")));
		return;
	}
	if (!best_missing)
		return;
	for (uint64_t k = 0; k < ns; k++) {	/* the first one missing */
		json_t *list = json_object_get(best, "indexes");
		int found = 0;
		if (u64_elem(c->src, mi, k, &v, &off) < 0)
			return;
		json_array_foreach(list, i, x)
			if ((uint64_t)json_integer_value(x) == v) {
				found = 1;
				break;
			}
		if (found)
			continue;
		end = vi_node_payload_end(sec);
		vi_node_path(mi, path, sizeof(path));
		vi_finding_add(c->f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, end, 0, path,
			       "incoming coprocessor register 0x%" PRIx64 " (element %" PRIu64 ", byte %"
			       PRIu64 ") is not one of QEMU %s's %s registers: cpu_post_load fails the "
			       "load (\"Operation not permitted\", no message of its own); assumed: "
			       "the destination runs the source's CPU model", v, k, off, c->release,
			       jstr(best, "cpu"));
		return;
	}
}
