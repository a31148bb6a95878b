/* decode-virtio.c - decoding the payload of VMSTATE_VIRTIO_DEVICE fields.
 *
 * virtio_save() (hw/virtio/virtio.c, same layout in QEMU 7.2 and 10.0):
 *   transport config   virtio-pci: PCIDevice vmstate (int32 version_id,
 *                      config space 256 or 4096 bytes, 16 bytes irq state),
 *                      MSI-X table (16 bytes/vector) and PBA, be16 config
 *                      vector when MSI-X is present; virtio-mmio: none
 *   u8 status, u8 isr, be16 queue_sel, be32 guest features (low 32 bits)
 *   be32 config_len, config bytes
 *   be32 number of queues, then per queue: be32 ring size, [be32 alignment
 *   (virtio-mmio)], be64 descriptor table address, be16 last_avail_idx,
 *   [be16 MSI-X vector (virtio-pci with MSI-X)]
 *   device part        the device's own save hook and vmstate (layout
 *                      known only to the device: shown as one blob)
 *   vmstate "virtio"   no fields, only subsections: virtio/64bit_features,
 *                      virtio/virtqueues, virtio/extra_state (holding the
 *                      transport's virtio_pci/... subsections), virtio/started ...
 * The device part's end is where the chain of subsection headers that runs
 * to the end of the payload begins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-pci-config.h"
#include "decode-value.h"
#include "decode-virtio.h"
#include "vi-limits.h"
#include "vi-bytes.h"
#include "vi-format.h"

#define VIRTIO_QUEUE_MAX 1024
#define PCI_VENDOR_REDHAT_QUMRANET 0x1af4

struct vbuf {
	const uint8_t *p;
	uint32_t len, pos;
	uint64_t base;          /* stream offset of p[0] */
};

/* A scalar or blob child of n taking len bytes from b; NULL if short. */
static struct vi_node *take(struct vi_node *n, struct vbuf *b, const char *name,
			    const char *type, uint32_t len)
{
	struct vi_node *k;

	if (len > b->len - b->pos)
		return NULL;
	k = vi_node_new(n, VI_N_FIELD, name, type, b->base + b->pos);
	k->length = len;
	vi_value_set(k, vi_prim_lookup(type), b->p + b->pos, len);
	b->pos += len;
	return k;
}

static int is_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '/';
}

/* Is there a subsection header "05 len name be32-version" at b[i]? */
static uint32_t subsection_at(const struct vbuf *b, uint32_t i)
{
	uint32_t n, k;

	if (i + 2 > b->len || b->p[i] != QVM_SUBSECTION)
		return 0;
	n = b->p[i + 1];
	if (n < 3 || i + 2 + n + 4 > b->len || !memchr(b->p + i + 2, '/', n))
		return 0;
	for (k = 0; k < n; k++)
		if (!is_name_char(b->p[i + 2 + k]))
			return 0;
	if (vi_be32(b->p + i + 2 + n) > 255)
		return 0;
	return 2 + n + 4;
}

/* Subsection headers from 'from' on; the tail starts at the first header
 * whose name begins with "virtio/". */
static void subsections(struct vi_node *n, struct vbuf *b)
{
	uint32_t heads[256], nh = 0, tail = b->len;

	for (uint32_t i = b->pos; i < b->len && nh < 256; i++) {
		uint32_t h = subsection_at(b, i);
		if (!h)
			continue;
		if (tail == b->len && !memcmp(b->p + i + 2, "virtio/", 7))
			tail = nh;
		heads[nh++] = i;
		i += h - 1;
	}
	if (tail == b->len) {	/* no virtio vmstate tail found */
		take(n, b, "device", "virtio device state", b->len - b->pos);
		return;
	}
	if (heads[tail] > b->pos)
		take(n, b, "device", "virtio device state", heads[tail] - b->pos);
	for (uint32_t k = tail; k < nh; k++) {
		uint32_t at = heads[k], h = subsection_at(b, at);
		uint32_t end = k + 1 < nh ? heads[k + 1] : b->len;
		char name[256];
		struct vi_node *s;

		memcpy(name, b->p + at + 2, b->p[at + 1]);
		name[b->p[at + 1]] = '\0';
		s = vi_node_new(n, VI_N_SUBSECTION, name, "subsection", b->base + at);
		s->length = end - at;
		vi_node_put_u(s, VI_A_VERSION_ID, vi_be32(b->p + at + h - 4));
		vi_node_put_s(s, VI_A_FOUND_BY, "scan");
		b->pos = at + h;
		if (end > b->pos)
			take(s, b, "data", "buffer", end - b->pos);
		b->pos = end;
	}
}

/* virtio-pci transport state; returns MSI-X vector count, or -1. */
static int pci_transport(struct vi_node *n, struct vbuf *b)
{
	struct vi_node *t = vi_node_new(n, VI_N_FIELD, "transport", "virtio-pci", b->base + b->pos);
	struct vi_node *pd = vi_node_new(t, VI_N_FIELD, "PCIDevice", "struct PCIDevice", b->base + b->pos);
	uint32_t start = b->pos, csize, vectors = 0;
	unsigned cap;
	const uint8_t *cfg;

	if (b->len - b->pos < 4 + 256 + 16 || vi_be32(b->p + b->pos) != 2)
		return -1;
	cfg = b->p + b->pos + 4;
	if (vi_le16(cfg) != PCI_VENDOR_REDHAT_QUMRANET)
		return -1;
	csize = (uint32_t)pci_config_size(cfg, b->len - b->pos - 4);
	take(pd, b, "version_id", "int32 le", 4);
	if (!take(pd, b, "config", "pci config", csize) || !take(pd, b, "irq_state", "pci irq state", 16))
		return -1;
	pd->length = b->pos - start;
	if ((cap = pci_cap_find(cfg, csize, PCI_CAP_ID_MSIX)))
		vectors = (uint32_t)(vi_le16(cfg + cap + 2) & 0x7ff) + 1;
	if (vectors) {
		if (!take(t, b, "msix_table", "buffer", vectors * 16) ||
		    !take(t, b, "msix_pba", "buffer", (vectors + 7) / 8) ||
		    !take(t, b, "config_vector", "uint16", 2))
			return -1;
		vi_node_put_u(t, VI_A_MSIX_VECTORS, vectors);
	}
	t->length = b->pos - start;
	return (int)vectors;
}

static int decode(struct vi_node *e, struct vbuf *b, int pci)
{
	int vectors = 0;
	uint32_t clen, nq;
	struct vi_node *q;

	if (pci && (vectors = pci_transport(e, b)) < 0)
		return -1;
	if (!take(e, b, "status", "uint8", 1) || !take(e, b, "isr", "uint8", 1) ||
	    !take(e, b, "queue_sel", "uint16", 2) ||
	    !take(e, b, "guest_features", "uint32", 4) || b->len - b->pos < 4)
		return -1;
	clen = (uint32_t)vi_be32(b->p + b->pos);
	if (!take(e, b, "config_len", "uint32", 4) || !take(e, b, "config", "buffer", clen) ||
	    b->len - b->pos < 4)
		return -1;
	nq = (uint32_t)vi_be32(b->p + b->pos);
	if (nq > VIRTIO_QUEUE_MAX || !take(e, b, "num_queues", "uint32", 4))
		return -1;
	q = vi_node_new(e, VI_N_FIELD, "queues", "virtqueue", b->base + b->pos);
	vi_node_put_u(q, VI_A_ARRAY_LEN, nq);
	for (uint32_t i = 0; i < nq; i++) {
		char name[16];
		struct vi_node *el;
		snprintf(name, sizeof(name), "[%u]", i);
		el = vi_node_new(q, VI_N_FIELD, name, "struct virtqueue", b->base + b->pos);
		if (!take(el, b, "num", "uint32", 4) || (!pci && !take(el, b, "align", "uint32", 4)) ||
		    !take(el, b, "desc", "uint64", 8) || !take(el, b, "last_avail_idx", "uint16", 2) ||
		    (vectors && !take(el, b, "vector", "uint16", 2)))
			return -1;
		el->length = b->base + b->pos - el->offset;
	}
	q->length = b->base + b->pos - q->offset;
	vi_node_put_u(e, VI_A_NUM_QUEUES, nq);
	subsections(e, b);
	return b->pos == b->len ? 0 : -1;
}

int virtio_decode(struct vi_node *e, const uint8_t *p, uint32_t size, uint64_t base)
{
	struct vbuf b = { p, size, 0, base };
	/* virtio-pci starts with PCIDevice version 2 and the Red Hat vendor id. */
	int pci = size >= 8 && vi_be32(p) == 2 && p[4] == 0xf4 && p[5] == 0x1a;

	if (decode(e, &b, pci) < 0 && (!pci || (b.pos = 0, vi_node_drop_kids_from(e, 0),
						 decode(e, &b, 0) < 0))) {
		vi_node_drop_kids_from(e, 0);
		return -1;
	}
	vi_node_put_s(e, VI_A_TRANSPORT, pci ? "virtio-pci" : "virtio-mmio");
	return 0;
}

/* ---- the vmstates virtio_load() reads by hand -------------------------
 * Which subsections each release knows in them is a release fact
 * (schema-facts.h: release_facts virtio_subsections). */
int virtio_is_payload_vmsd(const char *parent)
{
	return !strcmp(parent, "virtio") || !strcmp(parent, "virtio_pci") ||
	       !strcmp(parent, "virtio_mmio");
}
