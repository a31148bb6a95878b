/* check-compat-absent.c - compat rules of the presence kinds: a subsection,
 * section, command, RAM flag or field a machine type's source never sends. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "vi-pci-config.h"
#include "vi-bytes.h"
#include "check-compat.h"

void cc_eval_subsection_absent(struct eval *e)
{
	const char *sub = jstr(e->eff, "subsection");
	struct vi_node *sec, *found[MAX_FOUND];

	if (!sub)
		return;
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		cc_collect(sec, cc_pick_subsection, sub, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++)
			cc_viol(e, found[k], found[k]->offset, found[k]->length,
			     "the stream carries subsection %s in %s", sub, sec->name);
	}
}

void cc_eval_section_absent(struct eval *e)
{
	struct vi_node *sec;

	FOR_SECTIONS(e, sec)
		cc_viol(e, sec, sec->offset, sec->length, "the stream carries section %s", sec->name);
}

static int cc_pick_command(const struct vi_node *n, const void *cmd)
{
	const struct vi_attr *c = vi_node_get(n, VI_A_COMMAND);
	return n->kind == VI_N_COMMAND && c && (json_int_t)c->u == *(const json_int_t *)cmd;
}

void cc_eval_command_absent(struct eval *e)
{
	json_t *c = json_object_get(e->eff, "command");
	json_int_t cmd = json_integer_value(c);
	struct vi_node *found[MAX_FOUND];
	size_t n = 0;

	if (!json_is_integer(c) || !e->s->root)
		return;
	cc_collect(e->s->root, cc_pick_command, &cmd, found, MAX_FOUND, &n, 0);
	for (size_t k = 0; k < n; k++)
		cc_viol(e, found[k], found[k]->offset, found[k]->length,
		     "the stream carries command %s (0x%x)", found[k]->name, (unsigned)cmd);
}

void cc_eval_ram_flag_absent(struct eval *e)
{
	const char *flag = jstr(e->eff, "flag");
	struct vi_node *root = e->s->root;

	if (!flag || strcmp(flag, "MULTIFD_FLUSH") != 0 || !root)
		return;          /* the only flag the RAM walker counts */
	for (size_t i = 0; i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i];
		uint64_t n = vi_node_u(sec, VI_A_MULTIFD_FLUSHES, 0);
		if (sec->kind == VI_N_SECTION && !strcmp(sec->name, "ram") && n)
			cc_viol(e, sec, sec->offset, sec->length, "this RAM section carries %" PRIu64
			     " MULTIFD_FLUSH record%s", n, n == 1 ? "" : "s");
	}
}

/* virtio-gpu's hand-written "virtio-gpu" field (hw/display/virtio-gpu.c
 * virtio_gpu_save): the resource list ending with be32 0, then vmstate
 * virtio-gpu-scanouts: be32 enable, be32 max_outputs, max_outputs x
 * virtio-gpu-one-scanout (10 be32 fields; the 6 fb.* fields of 8.2+ are
 * written only with x-scanout-vmstate-version >= 2).  The scanouts end the
 * field, so their size per output is read from the end: the layout with
 * the fb.* fields (64 bytes per output) or without (40).  1 = with, 0 =
 * without, -1 undecided (both or neither fit). */
static int cc_gpu_scanouts_have_fb(struct eval *e, struct vi_node *f, uint64_t *at, uint32_t *outs)
{
	static const uint32_t per[2] = { 40, 64 };
	int fits[2] = { 0, 0 };
	uint64_t where[2] = { 0, 0 };
	uint32_t count[2] = { 0, 0 };
	uint8_t buf[4];

	for (int v = 0; v < 2; v++)
		for (uint32_t n = 1; n <= 16; n++) {
			uint64_t scan = (uint64_t)n * per[v];
			if (f->length < scan + 12)
				break;
			if (cc_read_at(e, f->offset + f->length - scan - 4, buf, 4) < 0)
				return -1;
			if (vi_be(buf, 4) == n) {
				fits[v]++;
				where[v] = f->offset + f->length - scan;
				count[v] = n;
			}
		}
	if (fits[0] + fits[1] != 1)
		return -1;
	*at = fits[1] ? where[1] : where[0];
	*outs = fits[1] ? count[1] : count[0];
	return fits[1];
}

void cc_eval_field_absent(struct eval *e)
{
	json_t *fields = json_object_get(e->eff, "fields"), *x;
	const char *st = jstr(e->eff, "struct");
	struct vi_node *sec, *found[MAX_FOUND];
	size_t i;

	if (!json_is_array(fields))
		return;
	FOR_SECTIONS(e, sec) {
		size_t before = e->out->n;
		json_array_foreach(fields, i, x) {
			size_t n = 0;
			if (!json_is_string(x))
				continue;
			cc_collect(sec, cc_pick_field_named, json_string_value(x), found, MAX_FOUND, &n, 0);
			for (size_t k = 0; k < n; k++)
				cc_viol(e, found[k], found[k]->offset, found[k]->length,
				     "the stream carries field %s in %s", found[k]->name, sec->name);
		}
		if (e->out->n == before && st && !strcmp(st, "virtio-gpu-one-scanout")) {
			struct vi_node *g[4];
			size_t n = 0;
			uint64_t at;
			uint32_t outs;
			cc_collect(sec, cc_pick_type, "virtio-gpu", g, 4, &n, 0);
			for (size_t k = 0; k < n; k++)
				if (cc_gpu_scanouts_have_fb(e, g[k], &at, &outs) == 1)
					cc_viol(e, g[k], at, g[k]->offset + g[k]->length - at,
					     "the %u scanout%s of %s carry the fb.* fields (64 bytes "
					     "each; 40 without them)", outs, outs == 1 ? "" : "s",
					     sec->name);
		}
	}
}
