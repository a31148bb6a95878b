/* pci-config.h - which PCI config space bytes a destination compares.
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

/* 4096 when the config space lists a PCI Express capability, else 256. */
size_t pci_config_size(const uint8_t *cfg, size_t avail);

#endif
