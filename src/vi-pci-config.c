/* vi-pci-config.c - the read-only bits of a PCI config space. */
#include <string.h>
#include "vi-pci-config.h"

static unsigned cap_at(struct pci_cap_iter *it, unsigned pos)
{
	pos &= 0xfc;
	if (pos < 0x40 || pos + 2 > it->n || pos >= 256 || it->seen[pos / 4])
		return it->pos = 0;
	it->seen[pos / 4] = 1;
	return it->pos = pos;
}

unsigned pci_cap_first(struct pci_cap_iter *it, const uint8_t *cfg, size_t n)
{
	memset(it, 0, sizeof(*it));
	it->cfg = cfg;
	it->n = n;
	if (n < 0x40 || !(cfg[0x06] & 0x10))  /* no capability list */
		return 0;
	return cap_at(it, cfg[0x34]);
}

unsigned pci_cap_next(struct pci_cap_iter *it)
{
	return it->pos ? cap_at(it, it->cfg[it->pos + 1]) : 0;
}

unsigned pci_cap_find(const uint8_t *cfg, size_t n, uint8_t id)
{
	struct pci_cap_iter it;

	for (unsigned c = pci_cap_first(&it, cfg, n); c; c = pci_cap_next(&it))
		if (cfg[c] == id)
			return c;
	return 0;
}

static void ro(uint8_t *mask, size_t n, size_t at, size_t len, uint8_t bits)
{
	for (size_t i = at; i < at + len && i < n; i++)
		mask[i] |= bits;
}

static void ro16(uint8_t *mask, size_t n, size_t at, uint16_t bits)
{
	ro(mask, n, at, 1, (uint8_t)(bits & 0xff));
	ro(mask, n, at + 1, 1, (uint8_t)(bits >> 8));
}

static void build_mask(const uint8_t *dev, size_t n, uint8_t *mask)
{
	struct pci_cap_iter it;
	int type1 = (dev[0x0e] & 0x7f) == 1;

	memset(mask, 0, n);
	ro(mask, n, 0x00, 4, 0xff);         /* vendor, device */
	ro(mask, n, 0x08, 4, 0xff);         /* revision, class */
	ro(mask, n, 0x0e, 1, 0xff);         /* header type */
	ro(mask, n, 0x34, 1, 0xff);         /* capability pointer */
	if (!type1) {
		ro(mask, n, 0x2c, 4, 0xff); /* subsystem vendor, subsystem */
		ro(mask, n, 0x3d, 1, 0xff); /* interrupt pin */
	}
	for (unsigned cap = pci_cap_first(&it, dev, n); cap; cap = pci_cap_next(&it)) {
		ro(mask, n, cap, 2, 0xff);  /* id, next */
		switch (dev[cap]) {
		case PCI_CAP_ID_MSIX:
			ro16(mask, n, cap + 2, 0x07ff);   /* table size */
			ro(mask, n, cap + 4, 8, 0xff);    /* table and PBA offset/BIR */
			break;
		case PCI_CAP_ID_MSI:
			ro16(mask, n, cap + 2, 0x018e);   /* capable bits */
			break;
		case PCI_CAP_ID_PM:
			ro(mask, n, cap + 2, 2, 0xff);    /* PMC */
			break;
		case PCI_CAP_ID_EXP:
			ro(mask, n, cap + 2, 6, 0xff);    /* caps, device caps */
			ro(mask, n, cap + 12, 4, 0xff);   /* link caps */
			break;
		case PCI_CAP_ID_VNDR:
			if (cap + 2 < n && dev[cap + 2] >= 16)
				ro(mask, n, cap + 2, 14, 0xff);   /* virtio cap header */
			break;
		default:
			break;
		}
	}
}

long pci_config_mismatch(const uint8_t *src, const uint8_t *dev, size_t n,
			 uint8_t *mask_out)
{
	uint8_t mask[4096];

	if (n > sizeof(mask))
		n = sizeof(mask);
	if (n < 0x40)
		return -1;
	build_mask(dev, n, mask);
	for (size_t i = 0; i < n; i++)
		if ((src[i] ^ dev[i]) & mask[i]) {
			if (mask_out)
				*mask_out = mask[i];
			return (long)i;
		}
	return -1;
}

size_t pci_config_size(const uint8_t *cfg, size_t avail)
{
	return pci_cap_find(cfg, avail, PCI_CAP_ID_EXP) ? 4096 : 256;
}
