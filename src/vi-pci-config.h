/* vi-pci-config.h - which PCI config space bytes a destination compares.
 *
 * QEMU's get_pci_config_device() rejects a loaded config space whose bytes
 * differ from the device's own in bits that are checked (cmask) and neither
 * writable (wmask) nor write-1-to-clear.  This models the read-only bits
 * that are the same for every device: header identity fields and the
 * read-only parts of the standard capabilities.
 */
#ifndef VI_PCI_CONFIG_H
#define VI_PCI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* First byte index where src and dev differ in a read-only bit, or -1.
 * n is 256 (PCI) or 4096 (PCIe); dev is the destination's own config. */
long pci_config_mismatch(const uint8_t *src, const uint8_t *dev, size_t n,
			 uint8_t *mask_out);

/* Capability ids (PCI Local Bus spec, QEMU's PCI_CAP_ID_*). */
enum { PCI_CAP_ID_PM = 0x01, PCI_CAP_ID_MSI = 0x05, PCI_CAP_ID_VNDR = 0x09,
       PCI_CAP_ID_EXP = 0x10, PCI_CAP_ID_MSIX = 0x11 };

/* The capability list of a config space of n bytes, one entry at a time:
 *   for (unsigned c = pci_cap_first(&it, cfg, n); c; c = pci_cap_next(&it))
 * gives each capability's offset (cfg[c] is its id).  None when the status
 * register lists no capabilities; the walk stops at a pointer below 0x40,
 * one whose id and next bytes are not inside n (and the 256-byte space),
 * and at a loop (each offset once). */
struct pci_cap_iter {
	const uint8_t *cfg;
	size_t n;
	unsigned pos;
	uint8_t seen[64];
};
unsigned pci_cap_first(struct pci_cap_iter *it, const uint8_t *cfg, size_t n);
unsigned pci_cap_next(struct pci_cap_iter *it);
/* The offset of the first capability with that id, or 0. */
unsigned pci_cap_find(const uint8_t *cfg, size_t n, uint8_t id);

/* 4096 when the config space lists a PCI Express capability, else 256. */
size_t pci_config_size(const uint8_t *cfg, size_t avail);

#endif
