/* check-compat-values.c - compat rules of the value kinds: virtio queue and
 * MSI-X vector counts, feature bits, field values, PCI config register bits,
 * ring sizes, RAMBlock names, SCSI request layouts. */
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
#include "vi-size.h"

void cc_eval_queue_count(struct eval *e, uint64_t fixed)
{
	struct vi_node *sec, *v, *nq;
	uint64_t want;

	if (cc_number(e->value, &want) < 0)
		return;
	want += fixed;
	FOR_SECTIONS(e, sec) {
		uint64_t have;
		if (!(v = cc_virtio_payload(sec)) || !(nq = cc_kid(v, "num_queues")))
			continue;
		if ((have = vi_node_u(v, VI_A_NUM_QUEUES, nq->v.u)) != want)
			cc_viol(e, nq, nq->offset, nq->length, "the stream has %" PRIu64 " virtqueues "
			     "in %s, a source with that value writes %" PRIu64 "%s", have, sec->name,
			     want, fixed ? " (control and event queues included)" : "");
	}
}

void cc_eval_msix_vectors(struct eval *e)
{
	struct vi_node *sec, *v, *t;
	uint64_t want;

	if (cc_number(e->value, &want) < 0)
		return;
	FOR_SECTIONS(e, sec) {
		uint64_t have;
		struct vi_node *at;
		if (!(v = cc_virtio_payload(sec)) || !(t = cc_kid(v, "transport")) ||
		    strcmp(t->type, "virtio-pci") != 0)
			continue;
		if ((have = vi_node_u(t, VI_A_MSIX_VECTORS, 0)) == want)
			continue;
		/* The MSI-X table if there is one, else the config space that
		 * lacks the capability. */
		at = cc_kid(t, "msix_table");
		if (!at && (at = cc_kid(t, "PCIDevice")))
			at = cc_kid(at, "config") ? cc_kid(at, "config") : at;
		if (!at)
			at = t;
		cc_viol(e, at, at->offset, at->length, "the stream has %" PRIu64 " MSI-X vector%s in "
		     "%s, a source with that value has %" PRIu64, have, have == 1 ? "" : "s",
		     sec->name, want);
	}
}

void cc_eval_feature_bit(struct eval *e)
{
	json_t *b = json_object_get(e->eff, "bit");
	json_int_t bit = json_integer_value(b);
	struct vi_node *sec, *v;

	if (!json_is_integer(b) || bit < 0 || bit > 63 || !cc_is_off(e->value))
		return;
	FOR_SECTIONS(e, sec) {
		if (!(v = cc_virtio_payload(sec)))
			continue;
		if (bit < 32) {
			struct vi_node *f = cc_kid(v, "guest_features");
			if (f && f->length == 4 && (f->v.u >> bit) & 1)
				cc_viol(e, f, f->offset + 3 - (uint64_t)bit / 8, 1, "feature bit %d is "
				     "negotiated in %s (guest_features 0x%" PRIx64 ")", (int)bit,
				     sec->name, f->v.u);
		} else {
			/* Bits 32-63 travel only in virtio/64bit_features (be64 of
			 * all 64); without it they are 0. */
			struct vi_node *sub = cc_kid(v, "virtio/64bit_features"), *d = cc_kid(sub, "data");
			uint8_t buf[8];
			uint64_t f;
			if (!d || d->length != 8 || cc_read_at(e, d->offset, buf, 8) < 0)
				continue;
			if ((f = vi_be(buf, 8)) >> bit & 1)
				cc_viol(e, d, d->offset + 7 - (uint64_t)bit / 8, 1, "feature bit %d is "
				     "negotiated in %s (virtio/64bit_features 0x%" PRIx64 ")",
				     (int)bit, sec->name, f);
		}
	}
}

void cc_eval_field_value(struct eval *e)
{
	const char *path = jstr(e->eff, "path");
	json_t *eq = json_object_get(e->eff, "equals");
	struct vi_node *sec, *found[MAX_FOUND];
	char base[256];
	const char *br;
	long idx = -1;

	if (!path || !json_is_integer(eq))
		return;
	snprintf(base, sizeof(base), "%s", path);
	if ((br = strrchr(path, '[')) && br[1] >= '0' && br[1] <= '9') {
		idx = strtol(br + 1, NULL, 10);
		base[br - path] = '\0';
	}
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		/* "mac_reg[VET]": a field of that very name; "core.mac[14]":
		 * element 14 of the array field core.mac (big-endian elements). */
		cc_collect(sec, cc_pick_field_named, path, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			if (f->nkids || (f->vt != VI_V_UINT && f->vt != VI_V_INT))
				continue;
			if (f->v.u != (uint64_t)json_integer_value(eq))
				cc_viol(e, f, f->offset, f->length, "%s is 0x%" PRIx64 " in %s, a source "
				     "with that value leaves it 0x%" PRIx64, path, f->v.u, sec->name,
				     (uint64_t)json_integer_value(eq));
		}
		if (n || idx < 0)
			continue;
		cc_collect(sec, cc_pick_field_named, base, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			uint64_t len = vi_node_u(f, VI_A_ARRAY_LEN, 0), es, x, at;
			uint8_t buf[8];
			struct vi_node *el;
			if (!len || (uint64_t)idx >= len)
				continue;
			if (f->nkids) {		/* elements decoded as children */
				if ((uint64_t)idx >= f->nkids || (el = f->kids[idx])->nkids ||
				    (el->vt != VI_V_UINT && el->vt != VI_V_INT))
					continue;
				x = el->v.u;
				at = el->offset;
				es = el->length;
			} else {		/* one value: read element idx */
				if (f->length % len || (es = f->length / len) == 0 || es > 8 ||
				    !vi_mul_ok((uint64_t)idx, (uint64_t)es, &at) ||
				    !vi_add_ok(at, f->offset, &at) || cc_read_at(e, at, buf, es) < 0)
					continue;
				x = vi_be(buf, es);
			}
			if (x != (uint64_t)json_integer_value(eq))
				cc_viol(e, f, at, es, "%s is 0x%" PRIx64 " in %s, a source with that "
				     "value leaves it 0x%" PRIx64, path, x, sec->name,
				     (uint64_t)json_integer_value(eq));
		}
	}
}



void cc_eval_pci_config_bits(struct eval *e)
{
	json_int_t cap = jint(e->eff, "capability", -1), off = jint(e->eff, "offset", -1);
	json_int_t size = jint(e->eff, "size", 0), mask = jint(e->eff, "mask", 0);
	json_int_t value = jint(e->eff, "value", 0);
	struct vi_node *sec, *found[MAX_FOUND];
	uint8_t cfg[4096];

	if (cap < 0 || cap > 255 || off < 0 || size < 1 || size > 4)
		return;
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		cc_collect(sec, cc_pick_type, "pci config", found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			size_t len = f->length < sizeof(cfg) ? f->length : sizeof(cfg);
			unsigned p;
			uint64_t reg = 0;
			if (cc_read_at(e, f->offset, cfg, len) < 0 || !(p = pci_cap_find(cfg, len, (unsigned)cap)) ||
			    p + (size_t)off + (size_t)size > len)
				continue;
			for (json_int_t b = size - 1; b >= 0; b--)
				reg = reg << 8 | cfg[p + off + b];
			if ((reg & (uint64_t)mask) != (uint64_t)value)
				cc_viol(e, f, f->offset + p + (uint64_t)off, (uint64_t)size,
				     "%s: capability 0x%02x at 0x%x, register +0x%x is 0x%" PRIx64
				     " (bits 0x%" PRIx64 " must be 0x%" PRIx64 ")", sec->name,
				     (unsigned)cap, p, (unsigned)off, reg, (uint64_t)mask,
				     (uint64_t)value);
		}
	}
}

void cc_eval_ring_size(struct eval *e)
{
	struct vi_node *sec, *v, *q;
	uint64_t limit;

	if (cc_number(e->value, &limit) < 0)
		return;
	FOR_SECTIONS(e, sec) {
		if (!(v = cc_virtio_payload(sec)) || !(q = cc_kid(v, "queues")))
			continue;
		for (size_t k = 0; k < q->nkids; k++) {
			struct vi_node *num = cc_kid(q->kids[k], "num");
			if (num && num->v.u > limit) {
				cc_viol(e, num, num->offset, num->length, "virtqueue %zu of %s has %" PRIu64
				     " entries, a source with that value at most %" PRIu64, k,
				     sec->name, num->v.u, limit);
				break;	/* one per device */
			}
		}
	}
}

void cc_eval_ramblock_name(struct eval *e)
{
	const char *rb = jstr(e->eff, "ramblock");
	int with_path = json_is_true(json_object_get(e->eff, "device_path"));
	struct vi_node *root = e->s->root;
	size_t rl;

	if (!rb || !root)
		return;
	rl = strlen(rb);
	for (size_t i = 0; i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i], *list;
		if (sec->kind != VI_N_SECTION || strcmp(sec->name, "ram") || strcmp(sec->type, "start"))
			continue;
		for (size_t k = 0; k < sec->nkids; k++) {
			if (strcmp((list = sec->kids[k])->type, "ramblock list"))
				continue;
			for (size_t b = 0; b < list->nkids; b++) {
				struct vi_node *blk = list->kids[b];
				size_t nl = strlen(blk->name);
				int bare = !strcmp(blk->name, rb);
				int pathed = nl > rl + 1 && blk->name[nl - rl - 1] == '/' &&
					     !strcmp(blk->name + nl - rl, rb);
				if (with_path ? bare : pathed)
					cc_viol(e, blk, blk->offset, blk->length, "the stream names RAMBlock "
					     "\"%s\"; a source with that value names it \"%s%s\"", blk->name,
					     with_path ? "<device path>/" : "", rb);
			}
		}
	}
}

/* scsi-requests: src/decode-scsi-requests.c decodes the list when exactly one
 * reading of it fits and says whether emulated requests carry scsi-disk's
 * part (sector, count, buffer), which migrate-emulated-scsi-request=false
 * leaves out.  An undecoded (ambiguous) list gets no verdict. */
void cc_eval_scsi_layout(struct eval *e)
{
	struct vi_node *sec, *found[MAX_FOUND];

	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		cc_collect(sec, cc_pick_type, "scsi-requests", found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			const struct vi_attr *a = vi_node_get(found[k], VI_A_EMULATED_DISK_PART);
			struct vi_node *first = NULL;
			if (!a || !a->is_str || strcmp(a->s, "yes"))
				continue;
			for (size_t i = 0; i < found[k]->nkids && !first; i++) {
				const struct vi_attr *ops = vi_node_get(found[k]->kids[i], VI_A_OPS);
				if (ops && ops->is_str && !strcmp(ops->s, "emulated"))
					first = found[k]->kids[i];
			}
			if (first)
				cc_viol(e, found[k], first->offset, first->length, "an emulated SCSI "
				     "request in flight in %s carries scsi-disk's request state "
				     "(sector, count, buffer)", sec->name);
		}
	}
}
