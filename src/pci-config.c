/* pci-config.c - the read-only bits of a PCI config space. */
#include <string.h>
#include "pci-config.h"

enum { CAP_PM = 0x01, CAP_MSI = 0x05, CAP_VENDOR = 0x09, CAP_EXP = 0x10,
       CAP_MSIX = 0x11 };

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
	uint8_t seen[256] = { 0 };
	size_t cap;
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
	if (!(dev[0x06] & 0x10))            /* no capability list */
		return;
	for (cap = dev[0x34] & 0xfc; cap >= 0x40 && cap + 2 <= 256 && cap < n && !seen[cap];
	     cap = dev[cap + 1] & 0xfc) {
		seen[cap] = 1;
		ro(mask, n, cap, 2, 0xff);  /* id, next */
		switch (dev[cap]) {
		case CAP_MSIX:
			ro16(mask, n, cap + 2, 0x07ff);   /* table size */
			ro(mask, n, cap + 4, 8, 0xff);    /* table and PBA offset/BIR */
			break;
		case CAP_MSI:
			ro16(mask, n, cap + 2, 0x018e);   /* capable bits */
			break;
		case CAP_PM:
			ro(mask, n, cap + 2, 2, 0xff);    /* PMC */
			break;
		case CAP_EXP:
			ro(mask, n, cap + 2, 6, 0xff);    /* caps, device caps */
			ro(mask, n, cap + 12, 4, 0xff);   /* link caps */
			break;
		case CAP_VENDOR:
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
	uint8_t seen[256] = { 0 };
	size_t cap;

	if (avail < 0x40 || !(cfg[0x06] & 0x10))
		return 256;
	for (cap = cfg[0x34] & 0xfc; cap >= 0x40 && cap + 2 <= avail && cap < 256 && !seen[cap];
	     cap = cfg[cap + 1] & 0xfc) {
		seen[cap] = 1;
		if (cfg[cap] == CAP_EXP)
			return 4096;
	}
	return 256;
}
