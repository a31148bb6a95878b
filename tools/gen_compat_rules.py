#!/usr/bin/env python3
"""gen_compat_rules.py - write schemas/compat-rules.json (see schemas/README-compat.md).

Plain python3, standard library only.

    python3 tools/gen_compat_rules.py [--machines DIR] [--out FILE] [--check]

A rule ties one compat property (driver, property[, value]) to what it does to a migration
stream.  The effects below were read from the QEMU 7.2 and 10.0 sources (the function named
in each rule's "source") and every one is demonstrated with the real QEMU binaries by
tests/machine/evidence.py (the case named in "evidence").  This script adds what it can
derive from the generated machine data (schemas/machines/qemu-*/ *.json):

  * "arrays": every array that sets the property, per target, with its value(s);
  * a consistency check: the property must occur in the machine data, and when "when" is
    given every array must set exactly that value (otherwise the rule could never fire or
    would fire on the wrong value) - a failed check aborts without writing anything.

--check only verifies that FILE is what this script would write (exit 1 if not).
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (id, driver, property, when, effect, evidence case, source, note)
# when: the compat value that triggers the effect, or None when the effect is stated in
#       terms of the value itself (queue / vector counts).
RULES = [
    # ---- 9.2 -------------------------------------------------------------------------
    ("send-switchover-start", "migration", "send-switchover-start", "off",
     {"kind": "command-absent", "command": 11},
     "switchover-start", "migration/savevm.c qemu_savevm_maybe_send_switchover_start()",
     "A source with send-switchover-start=off never writes MIG_CMD_SWITCHOVER_START "
     "(08 000b 0000) before the END sections; a 7.2 destination rejects command 11 as unknown."),
    ("virtio-balloon-pci-vectors", "virtio-balloon-pci", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-balloon"},
     "balloon-vectors", "hw/virtio/virtio-balloon-pci.c, hw/virtio/virtio-pci.c",
     "vectors=0: the device has no MSI-X capability, the virtio payload carries no MSI-X "
     "table, PBA or per-queue vectors; the PCI config space differs too (load fails on "
     "the capability bytes)."),
    ("virtio-balloon-pci-transitional-vectors", "virtio-balloon-pci-transitional",
     "vectors", None, {"kind": "msix-vectors", "vmsd": "virtio-balloon"},
     "balloon-transitional-vectors", "hw/virtio/virtio-balloon-pci.c",
     "Same as virtio-balloon-pci, for the transitional variant (own QOM type, own entry)."),
    ("virtio-balloon-pci-non-transitional-vectors", "virtio-balloon-pci-non-transitional",
     "vectors", None, {"kind": "msix-vectors", "vmsd": "virtio-balloon"},
     "balloon-non-transitional-vectors", "hw/virtio/virtio-balloon-pci.c",
     "Same as virtio-balloon-pci, for the non-transitional variant."),
    ("virtio-mem-pci-vectors", "virtio-mem-pci", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-mem"},
     "virtio-mem-vectors", "hw/virtio/virtio-mem-pci.c",
     "Not in the stream-format table but in hw_compat_9_2 next to the balloon entries: "
     "virtio-mem-pci without MSI-X on <= 9.2 machine types."),
    # ---- 9.1 -------------------------------------------------------------------------
    ("pcie-ext-tag", "pci-device", "x-pcie-ext-tag", "false",
     {"kind": "pci-config-bits", "vmsd": "*", "capability": 16, "offset": 4, "size": 4,
      "mask": 32, "value": 0},
     "pcie-ext-tag", "hw/pci/pcie.c pcie_cap_v1_fill()",
     "Every PCI Express device (PCIe capability, id 0x10): Device Capabilities register "
     "(capability + 4) bit 5 'Extended Tag Field Supported' is clear on <= 9.1 machine "
     "types.  The capability is read-only and fully covered by cmask, so a mismatch fails "
     "the load with 'get_pci_config_device: Bad config data'."),
    # ---- 9.0 -------------------------------------------------------------------------
    ("scsi-hd-emulated-request", "scsi-hd", "migrate-emulated-scsi-request", "false",
     {"kind": "scsi-request-layout", "vmsd": "scsi-disk"},
     "scsi-hd-emulated-request", "hw/scsi/scsi-disk.c scsi_disk_emulate_save_request()",
     "With false, an in-flight *emulated* (non read/write) SCSI request of this disk is "
     "written in the scsi-requests list without its sector/sector_count/buflen/data part.  "
     "scsi-hd and scsi-cd share the scsi-disk vmsd, so a stream cannot tell which of the "
     "two it is (one finding names both).  Evidence: a flush that fails once (blkdebug) "
     "under werror=stop leaves SYNCHRONIZE CACHE in flight; a destination with false reads "
     "the list short and fails with 'Missing section footer for .../scsi-disk'."),
    ("scsi-cd-emulated-request", "scsi-cd", "migrate-emulated-scsi-request", "false",
     {"kind": "scsi-request-layout", "vmsd": "scsi-disk"},
     "scsi-cd-emulated-request", "hw/scsi/scsi-disk.c scsi_disk_emulate_save_request()",
     "As scsi-hd-emulated-request, for scsi-cd (on a writable node, so that a flush "
     "reaches the failing blkdebug layer)."),
    # ---- 8.2 -------------------------------------------------------------------------
    ("virtio-gpu-scanout-v1", "virtio-gpu-device", "x-scanout-vmstate-version", "1",
     {"kind": "field-absent", "vmsd": "virtio-gpu", "struct": "virtio-gpu-one-scanout",
      "fields": ["fb.format", "fb.bytes_pp", "fb.width", "fb.height", "fb.stride",
                 "fb.offset"]},
     "virtio-gpu-scanout", "hw/display/virtio-gpu.c vmstate_virtio_gpu_scanout",
     "Each scanout (one per max_outputs) is written in the version-1 layout, 24 bytes "
     "shorter: the six fb.* fields are absent.  They live inside the device's 'virtio-gpu' "
     "field (hand-written save), which a vmdesc trailer shows only with its total size."),
    # ---- 8.1 -------------------------------------------------------------------------
    ("ramfb-migrate", "ramfb", "x-migrate", "off",
     {"kind": "section-absent", "vmsd": "ramfb-dev"},
     "ramfb-migrate", "hw/display/ramfb-standalone.c migrate_needed()",
     "The standalone ramfb device's section is named ramfb-dev (not ramfb: that is the "
     "nested state struct); with x-migrate=off its needed() is false and the whole section "
     "is skipped."),
    ("virtio-net-host-uso", "virtio-net-device", "host_uso", "off",
     {"kind": "virtio-feature-bit", "vmsd": "virtio-net", "bit": 56},
     "virtio-net-uso", "hw/net/virtio-net.c virtio_net_get_features()",
     "VIRTIO_NET_F_HOST_USO (bit 56, so in the virtio/64bit_features subsection) cannot be "
     "negotiated.  Only visible when a driver negotiated features and the backend offers "
     "USO (tap with vnet_hdr on a kernel with TUN_F_USO4/6; user-mode networking offers no "
     "offloads at all)."),
    ("virtio-net-guest-uso4", "virtio-net-device", "guest_uso4", "off",
     {"kind": "virtio-feature-bit", "vmsd": "virtio-net", "bit": 54},
     "virtio-net-uso", "hw/net/virtio-net.c virtio_net_get_features()",
     "VIRTIO_NET_F_GUEST_USO4 (bit 54); see virtio-net-host-uso."),
    ("virtio-net-guest-uso6", "virtio-net-device", "guest_uso6", "off",
     {"kind": "virtio-feature-bit", "vmsd": "virtio-net", "bit": 55},
     "virtio-net-uso", "hw/net/virtio-net.c virtio_net_get_features()",
     "VIRTIO_NET_F_GUEST_USO6 (bit 55); see virtio-net-host-uso."),
    # ---- 8.0 -------------------------------------------------------------------------
    ("multifd-flush-after-each-section", "migration", "multifd-flush-after-each-section",
     "on", {"kind": "ram-flag-absent", "flag": "MULTIFD_FLUSH"},
     "multifd-flush", "migration/multifd-nocomp.c multifd_ram_flush_and_sync()",
     "Only streams made with the multifd capability over a socket carry RAM_SAVE_FLAG_"
     "MULTIFD_FLUSH (0x200) in the main channel; with the property on they never do "
     "(synchronisation at each section's EOS instead).  mapped-ram file streams never do."),
    # ---- 7.2 -------------------------------------------------------------------------
    ("e1000e-migrate-timadj", "e1000e", "migrate-timadj", "off",
     {"kind": "field-absent", "vmsd": "e1000e", "fields": ["core.timadj"]},
     "e1000e-timadj", "hw/net/e1000e.c vmstate_e1000e (VMSTATE_INT64_TEST core.timadj)",
     "core.timadj is a field with a field_exists test, not a subsection: 8 bytes less in "
     "the e1000e section."),
    ("virtio-mem-early-migration", "virtio-mem", "x-early-migration", "false",
     {"kind": "section-absent", "vmsd": "virtio-mem-device-early"},
     "virtio-mem-early", "hw/virtio/virtio-mem.c virtio_mem_device_realize()",
     "No early-setup FULL section virtio-mem-device-early before RAM; size, bitmap and the "
     "sanity checks travel in the virtio-mem-device state inside the virtio payload "
     "instead."),
    # ---- 7.1 -------------------------------------------------------------------------
    ("virtio-rng-pci-vectors", "virtio-rng-pci", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-rng"},
     "rng-vectors", "hw/virtio/virtio-rng-pci.c",
     "vectors=0: no MSI-X for virtio-rng on <= 7.1 machine types (PCI config differs too)."),
    ("virtio-rng-pci-transitional-vectors", "virtio-rng-pci-transitional", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-rng"},
     "rng-transitional-vectors", "hw/virtio/virtio-rng-pci.c",
     "Transitional variant of virtio-rng-pci-vectors."),
    ("virtio-rng-pci-non-transitional-vectors", "virtio-rng-pci-non-transitional", "vectors",
     None, {"kind": "msix-vectors", "vmsd": "virtio-rng"},
     "rng-non-transitional-vectors", "hw/virtio/virtio-rng-pci.c",
     "Non-transitional variant of virtio-rng-pci-vectors."),
    ("virtio-queue-reset", "virtio-device", "queue_reset", "false",
     {"kind": "virtio-feature-bit", "vmsd": "*", "bit": 40},
     "virtio-queue-reset", "hw/virtio/virtio.c (DEFINE_PROP_BIT64 queue_reset)",
     "VIRTIO_F_RING_RESET (bit 40, virtio/64bit_features subsection) cannot be negotiated by "
     "any virtio device.  Visible only once a driver negotiated features."),
    # ---- 6.2 -------------------------------------------------------------------------
    ("piix4-acpi-index", "PIIX4_PM", "x-not-migrate-acpi-index", "on",
     {"kind": "field-absent", "vmsd": "piix4_pm", "fields": ["acpi_pci_hotplug.acpi_index"]},
     "piix4-acpi-index", "hw/acpi/piix4.c vmstate_test_migrate_acpi_index()",
     "A field with a field_exists test (VMSTATE_PCI_HOTPLUG), not a subsection: 4 bytes "
     "less in piix4_pm."),
    # ---- 6.0 -------------------------------------------------------------------------
    ("i8042-extended-state", "i8042", "extended-state", "false",
     {"kind": "subsection-absent", "vmsd": "pckbd", "subsection": "pckbd/extended_state"},
     "i8042-extended-state", "hw/input/pckbd.c kbd_extended_state_needed()",
     "Only pckbd/extended_state depends on it; the outport subsection (named pckbd_outport) "
     "is sent whenever the output port differs from its default, on any machine type."),
    ("e1000-init-vet", "e1000", "init-vet", "off",
     {"kind": "field-value", "vmsd": "e1000", "path": "mac_reg[VET]", "equals": 0},
     "e1000-init-vet", "hw/net/e1000.c e1000_reset()",
     "Reset value of the VLAN EtherType register: 0 instead of 0x8100.  A hint only: the "
     "register is guest-writable and the destination does not check it, so a stream with "
     "0x8100 may still come from an init-vet=off source whose guest driver wrote VET."),
    ("e1000e-init-vet", "e1000e", "init-vet", "off",
     {"kind": "field-value", "vmsd": "e1000e", "path": "core.mac[14]", "equals": 0},
     "e1000e-init-vet", "hw/net/e1000e.c e1000e_core_reset() caller",
     "core.mac[14] is VET (E1000_VET 0x38 / 4).  A hint only, as for e1000-init-vet."),
    # ---- 5.2 -------------------------------------------------------------------------
    ("virtio-net-pci-vectors", "virtio-net-pci-base", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-net"},
     "virtio-net-vectors", "hw/virtio/virtio-net-pci.c",
     "3 vectors on <= 5.2 machine types instead of 2 * queue pairs + 2 (4 for one pair)."),
    # ---- 5.1 -------------------------------------------------------------------------
    ("virtio-blk-num-queues", "virtio-blk-device", "num-queues", None,
     {"kind": "virtio-queue-count", "vmsd": "virtio-blk"},
     "virtio-blk-num-queues", "hw/block/virtio-blk.c, hw/virtio/virtio-blk-pci.c",
     "1 queue on <= 5.1 machine types instead of one per vCPU; with vectors unset the PCI "
     "proxy also gets num-queues + 1 MSI-X vectors.  A destination with another count "
     "fails on the virtio config ('Bad config data' on num_queues in PCI config, or the "
     "queue count check in virtio_load)."),
    ("virtio-scsi-num-queues", "virtio-scsi-device", "num_queues", None,
     {"kind": "virtio-request-queue-count", "vmsd": "virtio-scsi", "fixed_queues": 2},
     "virtio-scsi-num-queues", "hw/scsi/virtio-scsi.c virtio_scsi_common_realize()",
     "num_queues counts request queues only; the payload also has the control and event "
     "queues, so it carries num_queues + 2 virtqueues (3 on <= 5.1 machine types)."),
    ("vhost-user-blk-num-queues", "vhost-user-blk", "num-queues", None,
     {"kind": "virtio-queue-count", "vmsd": "vhost-user-blk"},
     "vhost-user-blk-num-queues", "hw/block/vhost-user-blk.c",
     "1 queue on <= 5.1 machine types instead of one per vCPU, as for virtio-blk (the "
     "backend must offer at least as many queues).  The evidence runs qemu-storage-daemon "
     "as the vhost-user block backend; with vectors unset the PCI proxy also gets "
     "num-queues + 1 MSI-X vectors."),
    ("vhost-scsi-num-queues", "vhost-scsi", "num_queues", None,
     {"kind": "virtio-request-queue-count", "vmsd": "virtio-vhost_scsi", "fixed_queues": 2},
     "vhost-scsi-num-queues", "hw/scsi/vhost-scsi.c",
     "Queue count of vhost-scsi.  Cannot be shown here: needs the kernel vhost-scsi target "
     "(LIO) configured, and the device migrates only with migratable=on; evidence is SKIP."),
    ("vhost-user-scsi-num-queues", "vhost-user-scsi", "num_queues", None,
     {"kind": "virtio-request-queue-count", "vmsd": "virtio-scsi", "fixed_queues": 2},
     "vhost-user-scsi-num-queues", "hw/scsi/vhost-user-scsi.c",
     "Queue count of vhost-user-scsi (its section is also named virtio-scsi): num_queues + 2 "
     "virtqueues, 3 on <= 5.1 machine types.  No vhost-user SCSI backend is packaged: the "
     "evidence lets qemu-storage-daemon's vhost-user-blk export stand in, which is enough "
     "for an unstarted device (the backend is only asked how many queues it serves)."),
    ("pl011-migrate-clk", "pl011", "migrate-clk", "off",
     {"kind": "subsection-absent", "vmsd": "pl011", "subsection": "pl011/clock"},
     "pl011-clock", "hw/char/pl011.c pl011_clock_needed()", ""),
    # ---- 5.0 -------------------------------------------------------------------------
    ("pci-host-config-reg", "pci-host-bridge", "x-config-reg-migration-enabled", "off",
     {"kind": "section-absent", "vmsd": "PCIHost"},
     "pci-host-config-reg", "hw/pci/pci_host.c pci_host_needed()",
     "The host bridge's PCIHost section (config_reg, the 0xcf8 latch) is skipped entirely."),
    # ---- 4.2 -------------------------------------------------------------------------
    ("fw-cfg-acpi-mr-restore", "fw_cfg", "acpi-mr-restore", "false",
     {"kind": "subsection-absent", "vmsd": "fw_cfg", "subsection": "fw_cfg/acpi_mr"},
     "fw-cfg-acpi-mr", "hw/nvram/fw_cfg.c fw_cfg_acpi_mr_restore()",
     "Sent only when the ACPI blob sizes are not host-page aligned (the usual case on x86) "
     "and the property is true."),
    ("virtio-use-disabled-flag", "virtio-device", "use-disabled-flag", "false",
     {"kind": "subsection-absent", "vmsd": "*", "subsection": "virtio/disabled"},
     "virtio-disabled", "hw/virtio/virtio.c virtio_disabled_needed(), "
     "hw/virtio/virtio-pci.c virtio_write_config()",
     "virtio/disabled is sent once the guest cleared Bus Master in the PCI command register "
     "(vdev->disabled); with the property false the flag is never set."),
    ("virtio-blk-queue-size", "virtio-blk-device", "queue-size", None,
     {"kind": "virtio-ring-size", "vmsd": "virtio-blk"},
     "virtio-blk-queue-size", "hw/block/virtio-blk.c virtio_blk_device_realize()",
     "Ring size of every virtqueue is at most the property (128 on <= 4.2 machine types, "
     "else 256); a driver may only shrink it."),
    ("virtio-scsi-virtqueue-size", "virtio-scsi-device", "virtqueue_size", None,
     {"kind": "virtio-ring-size", "vmsd": "virtio-scsi"},
     "virtio-scsi-virtqueue-size", "hw/scsi/virtio-scsi.c virtio_scsi_common_realize()",
     "Not in the stream-format table, same array (hw_compat_4_2) and same effect as "
     "virtio-blk-queue-size."),
    # ---- 4.0 -------------------------------------------------------------------------
    ("virtio-use-started", "virtio-device", "use-started", "false",
     {"kind": "subsection-absent", "vmsd": "*", "subsection": "virtio/started"},
     "virtio-started", "hw/virtio/virtio.c virtio_started_needed(), virtio_set_started()",
     "virtio/started is sent once the driver set DRIVER_OK; with the property false the "
     "flag is never set."),
    ("pl031-migrate-tick-offset", "pl031", "migrate-tick-offset", "false",
     {"kind": "subsection-absent", "vmsd": "pl031", "subsection": "pl031/tick-offset"},
     "pl031-tick-offset", "hw/rtc/pl031.c pl031_tick_offset_needed()", ""),
    # ---- 2.12 ------------------------------------------------------------------------
    ("vga-global-vmstate", "VGA", "global-vmstate", "true",
     {"kind": "ramblock-name", "ramblock": "vga.vram", "device_path": False},
     "vga-global-vmstate", "hw/display/vga.c vga_common_init()",
     "The video RAM block is registered without the device path: 'vga.vram' instead of "
     "'0000:00:02.0/vga.vram'.  The section idstr keeps its path.  A destination with the "
     "other naming fails with 'Unknown ramblock'."),
    ("cirrus-vga-global-vmstate", "cirrus-vga", "global-vmstate", "true",
     {"kind": "ramblock-name", "ramblock": "vga.vram", "device_path": False},
     "cirrus-global-vmstate", "hw/display/cirrus_vga.c, vga.c vga_common_init()",
     "As vga-global-vmstate, for cirrus-vga."),
    ("vmware-svga-global-vmstate", "vmware-svga", "global-vmstate", "true",
     {"kind": "ramblock-name", "ramblock": "vga.vram", "device_path": False},
     "vmware-svga-global-vmstate", "hw/display/vmware_vga.c, vga.c vga_common_init()",
     "As vga-global-vmstate, for vmware-svga."),
    ("qxl-vga-global-vmstate", "qxl-vga", "global-vmstate", "true",
     {"kind": "ramblock-name", "ramblock": "vga.vram", "device_path": False},
     "qxl-vga-global-vmstate", "hw/display/qxl.c, vga.c vga_common_init()",
     "As vga-global-vmstate, for qxl-vga (needs QEMU's spice module)."),
    # ---- 2.11 ------------------------------------------------------------------------
    ("x86-migrate-smi-count", "x86_64-cpu", "x-migrate-smi-count", "off",
     {"kind": "subsection-absent", "vmsd": "cpu", "subsection": "cpu/msr_smi_count"},
     "smi-count", "target/i386/machine.c msr_smi_count_needed()",
     "Sent only when the CPU counted SMIs (SeaBIOS enters SMM on q35, so a few seconds of "
     "firmware suffice under TCG or KVM).  The compat driver is the target's CPU type "
     "(x86_64-cpu for qemu-system-x86_64)."),
    ("hpet-offset-saved", "hpet", "hpet-offset-saved", "false",
     {"kind": "subsection-absent", "vmsd": "hpet", "subsection": "hpet/offset"},
     "hpet-offset", "hw/timer/hpet.c hpet_offset_needed()",
     "Sent only while the HPET is enabled by the guest (general config ENABLE_CNF)."),
    ("e1000-migrate-tso-props", "e1000", "migrate_tso_props", "off",
     {"kind": "subsection-absent", "vmsd": "e1000", "subsection": "e1000/tx_tso_state"},
     "e1000-tso", "hw/net/e1000.c e1000_tso_state_needed()", ""),
    ("virtio-blk-pci-vectors", "virtio-blk-pci", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "virtio-blk"},
     "virtio-blk-vectors", "hw/virtio/virtio-blk-pci.c",
     "2 vectors on <= 2.11 machine types whatever num-queues is (else num-queues + 1)."),
    ("vhost-user-blk-pci-vectors", "vhost-user-blk-pci", "vectors", None,
     {"kind": "msix-vectors", "vmsd": "vhost-user-blk"},
     "vhost-user-blk-vectors", "hw/virtio/vhost-user-blk-pci.c",
     "2 vectors on <= 2.11 machine types whatever num-queues is (else num-queues + 1), as "
     "for virtio-blk-pci.  The evidence runs qemu-storage-daemon as the vhost-user block "
     "backend."),
    # ---- 2.9 -------------------------------------------------------------------------
    ("pcie-root-port-migrate-msix", "pcie-root-port", "x-migrate-msix", "false",
     {"kind": "field-absent", "vmsd": "pcie-root-port",
      "fields": ["parent_obj.parent_obj.parent_obj.parent_obj"]},
     "root-port-msix", "hw/pci-bridge/gen_pcie_root_port.c gen_rp_test_migrate_msix()",
     "The root port's MSI-X state (VMSTATE_MSIX_TEST, table + PBA) is a field with a "
     "field_exists test, not a subsection."),
    # ---- 2.4 -------------------------------------------------------------------------
    ("e1000-extra-mac-registers", "e1000", "extra_mac_registers", "off",
     {"kind": "subsection-absent", "vmsd": "e1000", "subsection": "e1000/full_mac_state"},
     "e1000-full-mac", "hw/net/e1000.c e1000_full_mac_needed()", ""),
    ("virtio-pci-migrate-extra", "virtio-pci", "migrate-extra", "off",
     {"kind": "subsection-absent", "vmsd": "*", "subsection": "virtio/extra_state"},
     "virtio-extra-state", "hw/virtio/virtio-pci.c virtio_pci_has_extra_state()",
     "virtio/extra_state carries the virtio-pci modern state (virtio_pci/modern_state "
     "nested in it)."),
    ("fw-cfg-io-dma", "fw_cfg_io", "dma_enabled", "off",
     {"kind": "subsection-absent", "vmsd": "fw_cfg", "subsection": "fw_cfg/dma"},
     "fw-cfg-io-dma", "hw/nvram/fw_cfg.c fw_cfg_dma_enabled()",
     "The x86 fw_cfg device (fw_cfg_io) on PC machine types <= 2.4.  (The PC machine "
     "setting fwcfg_dma_enabled of <= 2.6 types only picks the non-DMA linuxboot/multiboot "
     "option ROMs; it does not touch this property.)"),
    ("fw-cfg-mem-dma", "fw_cfg_mem", "dma_enabled", "off",
     {"kind": "subsection-absent", "vmsd": "fw_cfg", "subsection": "fw_cfg/dma"},
     "fw-cfg-mem-dma", "hw/nvram/fw_cfg.c fw_cfg_dma_enabled()",
     "fw_cfg_mem is used by arm virt; virt machine types start at 2.6, so the 2.4 entry "
     "never applies to a virt machine of these releases; shown with -global."),
]

# What QEMU 10.0, configured like the stream's source but with the compat property set
# (-global driver.property=value, same machine type), does with a stream that violates the
# effect.  Verified by tests/machine/evidence.py.  "accepted" mostly means the 10.0 code still
# knows the subsection/section/command; a real QEMU of the old release, which predates it,
# rejects the stream (see each note).  None: not checked (no stream can be made here, or the
# destination needs a multifd listener).
REJECTED = {
    "virtio-balloon-pci-vectors", "virtio-balloon-pci-transitional-vectors",
    "virtio-balloon-pci-non-transitional-vectors", "virtio-mem-pci-vectors", "pcie-ext-tag",
    "virtio-gpu-scanout-v1", "virtio-net-host-uso", "virtio-net-guest-uso4",
    "virtio-net-guest-uso6", "e1000e-migrate-timadj", "virtio-mem-early-migration",
    "virtio-rng-pci-vectors", "virtio-rng-pci-transitional-vectors",
    "virtio-rng-pci-non-transitional-vectors", "virtio-queue-reset", "piix4-acpi-index",
    "virtio-net-pci-vectors", "virtio-blk-num-queues", "virtio-scsi-num-queues",
    "vga-global-vmstate", "cirrus-vga-global-vmstate", "vmware-svga-global-vmstate",
    "qxl-vga-global-vmstate", "virtio-blk-pci-vectors", "pcie-root-port-migrate-msix",
    "scsi-hd-emulated-request", "scsi-cd-emulated-request",
}
ACCEPTED = {
    # what the stream carries that the old release lacked, and the release it came with
    "send-switchover-start": ("MIG_CMD_SWITCHOVER_START", "10.0"),
    "ramfb-migrate": ("the ramfb-dev vmstate", "8.2"),
    "i8042-extended-state": ("pckbd/extended_state", "6.1"),
    "e1000-init-vet": None,
    "e1000e-init-vet": None,
    "pl011-migrate-clk": ("pl011/clock", "5.2"),
    "pci-host-config-reg": ("the PCIHost vmstate", "5.1"),
    "fw-cfg-acpi-mr-restore": ("fw_cfg/acpi_mr", "5.0"),
    "virtio-use-disabled-flag": ("virtio/disabled", "5.0"),
    "virtio-blk-queue-size": None,
    "virtio-scsi-virtqueue-size": None,
    "virtio-use-started": ("virtio/started", "4.1"),
    "pl031-migrate-tick-offset": ("pl031/tick-offset", "4.1"),
    "x86-migrate-smi-count": ("cpu/msr_smi_count", "2.12"),
    "hpet-offset-saved": ("hpet/offset", "2.12"),
    "e1000-migrate-tso-props": ("e1000/tx_tso_state", "2.12"),
    "e1000-extra-mac-registers": ("e1000/full_mac_state", "2.5"),
    "virtio-pci-migrate-extra": ("virtio/extra_state", "2.5"),
    "fw-cfg-io-dma": ("fw_cfg/dma", "2.5"),
    "fw-cfg-mem-dma": ("fw_cfg/dma", "2.5"),
}

KINDS = {"subsection-absent", "section-absent", "command-absent", "ram-flag-absent",
         "virtio-queue-count", "virtio-request-queue-count", "msix-vectors",
         "virtio-feature-bit", "field-value", "field-absent", "pci-config-bits",
         "virtio-ring-size", "ramblock-name", "scsi-request-layout"}


def load_machines(d):
    out = {}
    for rel in sorted(os.listdir(d)):
        sub = os.path.join(d, rel)
        if not os.path.isdir(sub):
            continue
        for fn in sorted(os.listdir(sub)):
            if fn.endswith(".json"):
                with open(os.path.join(sub, fn)) as f:
                    out["%s/%s" % (rel, fn[:-5])] = json.load(f)
    return out


def build(machines):
    rules = []
    errors = []
    seen = set()
    for (rid, driver, prop, when, effect, case, source, note) in RULES:
        if rid in seen:
            errors.append("duplicate rule id %s" % rid)
        seen.add(rid)
        if effect["kind"] not in KINDS:
            errors.append("%s: unknown kind %s" % (rid, effect["kind"]))
        arrays = {}
        for target, doc in sorted(machines.items()):
            found = {}
            for m in doc["machines"].values():
                for p in m["compat_props"]:
                    if p["driver"] == driver and p["property"] == prop:
                        found.setdefault(p["array"], set()).add(p["value"])
            if found:
                arrays[target] = [{"array": a, "value": sorted(v)[0] if len(v) == 1
                                   else sorted(v)} for a, v in sorted(found.items())]
                for a, v in found.items():
                    if when is not None and v != {when}:
                        errors.append("%s: %s %s sets %s.%s=%s, rule expects %s" %
                                      (rid, target, a, driver, prop, sorted(v), when))
        if not arrays:
            errors.append("%s: %s.%s occurs in no machine type of any target"
                          % (rid, driver, prop))
        if rid in REJECTED:
            load = "rejected"
        elif rid in ACCEPTED:
            load = "accepted"
            since = ACCEPTED[rid]
            if since:
                note = (note + "  " if note else "") + (
                    "QEMU 10.0 configured with the property still loads a stream that "
                    "violates this (it knows %s); a real QEMU of the machine type's own "
                    "release does not, %s came with the property in %s." % (
                        since[0], since[0], since[1]))
            else:
                note = (note + "  " if note else "") + (
                    "No destination rejects a stream that differs here: a hint about the "
                    "source's configuration, not a load failure.")
        else:
            load = None
        rules.append({
            "id": rid,
            "driver": driver,
            "property": prop,
            "when": when,
            "effect": effect,
            "evidence": "tests/machine/%s" % case,
            "note": note,
            "load_with_property": load,
            "source": source,
            "arrays": arrays,
        })
    return rules, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machines", default=os.path.join(ROOT, "schemas", "machines"))
    ap.add_argument("--out", default=os.path.join(ROOT, "schemas", "compat-rules.json"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    machines = load_machines(a.machines)
    if not machines:
        sys.exit("gen_compat_rules: no machine data under %s (run tools/gen-machines.sh)"
                 % a.machines)
    rules, errors = build(machines)
    ids = {r["id"] for r in rules}
    for rid in (REJECTED | set(ACCEPTED)) - ids:
        errors.append("load outcome given for unknown rule %s" % rid)
    if errors:
        for e in errors:
            print("gen_compat_rules: %s" % e, file=sys.stderr)
        return 1
    doc = {
        "format": "vmstate-inspect-compat-rules",
        "format_version": 1,
        "provenance": {
            "generator": "tools/gen_compat_rules.py",
            "machine_data": sorted(machines),
            "evidence": "tests/machine/evidence.py",
        },
        "rules": rules,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if a.check:
        try:
            with open(a.out) as f:
                same = f.read() == text
        except OSError:
            same = False
        print("compat-rules.json is %s" % ("up to date" if same else "OUT OF DATE"))
        return 0 if same else 1
    with open(a.out, "w") as f:
        f.write(text)
    print("%s: %d rules" % (os.path.relpath(a.out, ROOT), len(rules)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
