#!/usr/bin/env python3
"""schema-streams.py - make the real migration streams that tools/gen-schemas.sh feeds to
`vmstate-inspect schema import`.

Plain python3, standard library only.

    schema-streams.py --release X.Y --arch x86_64|aarch64|ppc64|s390x|riscv64 --bin QEMU-BINARY \\
                      --outdir DIR [--run S] [--recipe NAME]... [--list]

For the (release, arch) pair every recipe below is run once: QEMU is started with -S and a
QMP socket in a fresh directory DIR/NAME.d/ (1 MiB raw disks, a floppy image and a 9p share
are created there, and firmware a recipe names is copied there from its Debian package,
so every path on the command line is relative), then tools/qmp-migrate.py does cont, waits
--run seconds (default 2; a firmware recipe may ask for longer, a reset-state recipe for none), stop, migrate
"exec:cat > NAME.qevm", quit. Each recipe is a base command line plus "units" (one device,
or a device and what it needs: its -netdev, -drive, ...; a unit may name the units it plugs
into, e.g. a USB device its controller). Units that this binary cannot start or migrate are
dropped, not fatal:

  1. run the whole recipe; if it migrates, done;
  2. otherwise try base + each unit alone (a cheap "does it start and migrate" probe) and
     drop the units that fail, run again;
  3. if that still fails, add the surviving units one at a time, keeping each that does not
     break the stream.

A recipe whose base alone fails, or whose firmware file is missing, is skipped. Writes DIR/NAME.qevm for each stream that
worked and DIR/streams.json:

  {"release": ..., "arch": ..., "streams": [{"name", "file", "machine", "command_line",
   "units", "dropped": [{"unit", "why"}], "procedure"}...], "skipped": [...]}

"command_line" names the binary by its bare name (qemu-system-ARCH) and holds only relative
paths, so it can be recorded as provenance. Exit status 0 when at least one stream was made.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "qmp-migrate.py")
QMP_ARGS = ["-S", "-qmp", "unix:qmp.sock,server=on,wait=off"]
COMMON = "-nodefaults -nographic -accel tcg"


class U:
    """A unit: label, QEMU arguments (one string, split with shlex), releases it needs."""

    def __init__(self, label, args, since=None, until=None, needs=()):
        self.label, self.args, self.since, self.until = label, args, since, until
        self.needs = tuple(needs)   # labels of units of the same recipe this one plugs into

    def applies(self, rel):
        v = tuple(int(x) for x in rel.split("."))
        if self.since and v < tuple(int(x) for x in self.since.split(".")):
            return False
        if self.until and v > tuple(int(x) for x in self.until.split(".")):
            return False
        return True


def nic(i, model, extra=""):
    return U(model if not extra else "%s(%s)" % (model, extra),
             "-netdev user,id=net%d -device %s,netdev=net%d,mac=52:54:00:12:34:%02x%s"
             % (i, model, i, 0x10 + i, ("," + extra) if extra else ""))


def drv(name):
    return "-drive if=none,id=%s,file=disks/%s.raw,format=raw" % (name, name)


# ---------------------------------------------------------------------------------------
# Recipes. {rel} in the machine name is replaced by the release (7.2, 10.0).
# Devices whose vmsd name is shared by another QOM type with a different layout are kept
# to one variant: ne2k_pci (not ne2k_isa: both "ne2000"), cirrus-vga (not isa-cirrus-vga:
# both "cirrus_vga").
# ---------------------------------------------------------------------------------------

# Left out because they always block migration in these releases ("non-migratable device"
# or a migration blocker), so a stream can never hold them: nvme, ufs, usb-uas, usb-net,
# usb-wacom-tablet, usb-serial, usb-audio, virtio-crypto (10.0), virtio-sound (10.0),
# amd-iommu, vhost-*, vfio-*, ivshmem without master=on, usb-host/usb-redir, tpm-*; and
# pci-serial-2x, which makes both releases crash (SIGSEGV) while migrating (pci-serial and
# pci-serial-4x are fine).

X86_NET = [
    nic(0, "e1000"), nic(1, "e1000e"), nic(2, "rtl8139"), nic(3, "virtio-net-pci"),
    nic(4, "vmxnet3"), nic(5, "pcnet"), nic(6, "ne2k_pci"), nic(7, "i82559er"),
    nic(8, "tulip"), nic(10, "e1000-82544gc"), nic(11, "i82801"),
    U("igb", "-netdev user,id=net9 -device igb,netdev=net9,mac=52:54:00:12:34:19",
      since="10.0"),
    nic(12, "i82557b"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("virtio-scsi-pci+scsi-hd+scsi-cd",
      "-device virtio-scsi-pci,id=vscsi " + drv("vscsi0") +
      " -device scsi-hd,bus=vscsi.0,drive=vscsi0 -device scsi-cd,bus=vscsi.0"),
    U("virtio-rng-pci", "-object rng-builtin,id=rng0 -device virtio-rng-pci,rng=rng0"),
    U("virtio-balloon-pci", "-device virtio-balloon-pci,free-page-reporting=on"),
    U("virtio-serial-pci+virtconsole+virtserialport",
      "-chardev null,id=vcon -chardev null,id=vport -device virtio-serial-pci,id=vser "
      "-device virtconsole,chardev=vcon,bus=vser.0 "
      "-device virtserialport,chardev=vport,bus=vser.0,name=org.example.port"),
    U("virtio-gpu-pci", "-device virtio-gpu-pci"),
    U("virtio-9p-pci", "-fsdev local,id=fs0,path=share,security_model=none "
      "-device virtio-9p-pci,fsdev=fs0,mount_tag=share"),
    U("virtio-keyboard-pci", "-device virtio-keyboard-pci"),
    U("virtio-mouse-pci", "-device virtio-mouse-pci"),
    U("virtio-tablet-pci", "-device virtio-tablet-pci"),
    U("virtio-multitouch-pci", "-device virtio-multitouch-pci", since="10.0"),
    U("virtio-iommu-pci", "-device virtio-iommu-pci"),
    U("virtio-net-pci(multiqueue)", "-netdev user,id=mqnet "
      "-device virtio-net-pci,netdev=mqnet,mq=on,vectors=6,mac=52:54:00:12:34:40"),
]

X86_STORAGE_USB_AUDIO = [
    U("ide-hd+ide-cd(ahci)", drv("sata0") + " -device ide-hd,bus=ide.0,drive=sata0 "
      "-device ide-cd,bus=ide.1"),
    U("lsi53c895a+scsi-hd", "-device lsi53c895a,id=lsi " + drv("lsi0") +
      " -device scsi-hd,bus=lsi.0,drive=lsi0"),
    U("megasas+scsi-hd", "-device megasas,id=mega " + drv("mega0") +
      " -device scsi-hd,bus=mega.0,drive=mega0"),
    U("megasas-gen2", "-device megasas-gen2,id=mega2"),
    U("mptsas1068+scsi-hd", "-device mptsas1068,id=mpt " + drv("mpt0") +
      " -device scsi-hd,bus=mpt.0,drive=mpt0"),
    U("pvscsi+scsi-hd", "-device pvscsi,id=pvs " + drv("pvs0") +
      " -device scsi-hd,bus=pvs.0,drive=pvs0"),
    U("am53c974", "-device am53c974,id=am"),
    U("dc390", "-device dc390,id=dc"),
    U("sdhci-pci+sd-card", drv("sd0") + " -device sdhci-pci,id=sdhci "
      "-device sd-card,drive=sd0"),
    U("ich9-ahci(second)+ide-hd", "-device ich9-ahci,id=ahci2 " + drv("ahci20") +
      " -device ide-hd,bus=ahci2.0,drive=ahci20"),
    U("usb-ehci", "-device usb-ehci,id=ehci"),
    U("qemu-xhci", "-device qemu-xhci,id=xhci"),
    U("nec-usb-xhci", "-device nec-usb-xhci,id=nxhci"),
    U("ich9-usb-uhci1", "-device ich9-usb-uhci1,id=uhci"),
    U("pci-ohci", "-device pci-ohci,id=ohci"),
    U("usb-kbd", "-device usb-kbd,bus=xhci.0", needs=["qemu-xhci"]),
    U("usb-mouse", "-device usb-mouse,bus=uhci.0", needs=["ich9-usb-uhci1"]),
    U("usb-tablet", "-device usb-tablet,bus=ehci.0", needs=["usb-ehci"]),
    U("usb-storage", drv("usbstor") + " -device usb-storage,bus=xhci.0,drive=usbstor",
      needs=["qemu-xhci"]),
    U("usb-storage(ehci)", drv("usbstor2") + " -device usb-storage,bus=ehci.0,drive=usbstor2",
      needs=["usb-ehci"]),
    U("usb-hub+usb-kbd", "-device usb-hub,bus=ohci.0,port=1 "
      "-device usb-kbd,bus=ohci.0,port=1.1", needs=["pci-ohci"]),
    U("usb-ccid", "-device usb-ccid,bus=xhci.0", needs=["qemu-xhci"]),
    U("usb-bot+scsi-hd", "-device usb-bot,id=bot,bus=nxhci.0 " + drv("bot0") +
      " -device scsi-hd,bus=bot.0,drive=bot0", needs=["nec-usb-xhci"]),
    U("intel-hda+hda-duplex", "-audiodev none,id=hda -device intel-hda,id=hda0 "
      "-device hda-duplex,bus=hda0.0,audiodev=hda"),
    U("ich9-intel-hda+hda-output+hda-micro", "-audiodev none,id=hda9 "
      "-device ich9-intel-hda,id=hda1 -device hda-output,bus=hda1.0,audiodev=hda9 "
      "-device hda-micro,bus=hda1.0,audiodev=hda9"),
    U("AC97", "-audiodev none,id=ac97 -device AC97,audiodev=ac97"),
    U("ES1370", "-audiodev none,id=es -device ES1370,audiodev=es"),
    U("cirrus-vga", "-device cirrus-vga"),
    U("qxl", "-device qxl"),
]

X86_PLATFORM = [
    U("intel-iommu", "-device intel-iommu,intremap=off"),
    U("pcie-root-port+virtio-net-pci", "-device pcie-root-port,id=rp1,chassis=1,slot=1 "
      "-netdev user,id=rpnet -device virtio-net-pci,bus=rp1,netdev=rpnet"),
    U("ioh3420+e1000e", "-device ioh3420,id=rp2,chassis=2,slot=2 "
      "-netdev user,id=rp2net -device e1000e,bus=rp2,netdev=rp2net"),
    U("x3130-upstream+xio3130-downstream+virtio-blk-pci",
      "-device pcie-root-port,id=rp3,chassis=3,slot=3 -device x3130-upstream,id=up,bus=rp3 "
      "-device xio3130-downstream,id=down,bus=up,chassis=4,slot=4 " + drv("dblk") +
      " -device virtio-blk-pci,drive=dblk,bus=down"),
    U("pcie-pci-bridge+rtl8139", "-device pcie-root-port,id=rp5,chassis=5,slot=5 "
      "-device pcie-pci-bridge,id=ppb,bus=rp5 "
      "-netdev user,id=ppbnet -device rtl8139,bus=ppb,addr=1,netdev=ppbnet"),
    U("pci-bridge+e1000", "-device pci-bridge,id=br1,chassis_nr=6 "
      "-netdev user,id=brnet -device e1000,bus=br1,addr=2,netdev=brnet"),
    U("i82801b11-bridge", "-device i82801b11-bridge,id=dmi"),
    U("i6300esb", "-device i6300esb"),
    U("ib700", "-device ib700"),
    U("pvpanic", "-device pvpanic"),
    U("pvpanic-pci", "-device pvpanic-pci"),
    U("isa-serial", "-chardev null,id=ser0 -device isa-serial,chardev=ser0"),
    U("isa-parallel", "-chardev null,id=par0 -device isa-parallel,chardev=par0"),
    U("isa-fdc+floppy", "-drive if=none,id=fd0,file=disks/floppy.img,format=raw "
      "-device isa-fdc,id=fdc0 -device floppy,bus=fdc0.0,drive=fd0"),
    U("isa-debugcon", "-chardev null,id=dbg -device isa-debugcon,chardev=dbg"),
    U("ipmi-bmc-sim+isa-ipmi-kcs", "-device ipmi-bmc-sim,id=bmc0 "
      "-device isa-ipmi-kcs,bmc=bmc0"),
    U("ipmi-bmc-extern+isa-ipmi-bt", "-chardev null,id=ipmich -device ipmi-bmc-extern,"
      "id=bmc1,chardev=ipmich -device isa-ipmi-bt,bmc=bmc1"),
    U("vmgenid", "-device vmgenid"),
    U("vmcoreinfo", "-device vmcoreinfo"),
    U("pc-dimm", "-object memory-backend-ram,id=dimm0,size=32M "
      "-device pc-dimm,memdev=dimm0"),
    U("virtio-mem-pci", "-object memory-backend-ram,id=vmem0,size=64M "
      "-device virtio-mem-pci,memdev=vmem0,requested-size=0"),
    U("virtio-pmem-pci", "-object memory-backend-ram,id=pmem0,size=16M "
      "-device virtio-pmem-pci,memdev=pmem0"),
    U("ivshmem-plain", "-object memory-backend-ram,id=shm0,size=1M "
      "-device ivshmem-plain,memdev=shm0,master=on"),
    U("acpi-erst", "-object memory-backend-ram,id=erst0,size=64K "
      "-device acpi-erst,memdev=erst0"),
    U("edu", "-device edu"),
    U("pci-testdev", "-device pci-testdev"),
    U("sb16", "-audiodev none,id=sb -device sb16,audiodev=sb"),
    U("adlib", "-audiodev none,id=adl -device adlib,audiodev=adl"),
    U("gus", "-audiodev none,id=gus -device gus,audiodev=gus"),
    U("cs4231a", "-audiodev none,id=cs -device cs4231a,audiodev=cs"),
    U("isa-applesmc", "-device isa-applesmc,osk=0123456789012345678901234567890123456789012345678901234567890123"),
    U("pci-serial", "-chardev null,id=ps0 -device pci-serial,chardev=ps0"),
    U("pci-serial-4x", "-chardev null,id=ps3 -chardev null,id=ps4 "
      "-device pci-serial-4x,chardev1=ps3,chardev2=ps4"),
    U("tpci200+ipoctal232", "-device tpci200,id=tpci -device ipoctal232,bus=tpci.0"),
    U("hyperv-testdev", "-device hyperv-testdev"),
    U("kvaser_pci", "-object can-bus,id=canbus0 -device kvaser_pci,canbus=canbus0"),
    U("vmware-svga", "-device vmware-svga"),
    # last: devices without bus= would land on the expander's bus
    U("pxb-pcie+pcie-root-port+virtio-rng-pci", "-device pxb-pcie,id=pxb,bus_nr=64 "
      "-device pcie-root-port,id=rp9,chassis=9,slot=9,bus=pxb "
      "-device virtio-rng-pci,bus=rp9"),
]

X86_Q35_MISC = [
    U("ipmi-bmc-sim+pci-ipmi-bt", "-device ipmi-bmc-sim,id=bmc0 -device pci-ipmi-bt,bmc=bmc0"),
    U("ipmi-bmc-extern+smbus-ipmi", "-chardev null,id=ipmich -device ipmi-bmc-extern,"
      "id=bmc1,chardev=ipmich -device smbus-ipmi,bmc=bmc1"),
    U("nvdimm", "-object memory-backend-ram,id=nvd0,size=16M -device nvdimm,memdev=nvd0"),
    U("virtio-balloon-pci(free-page-hint)", "-object iothread,id=balio "
      "-device virtio-balloon-pci,deflate-on-oom=on,free-page-hint=on,iothread=balio"),
    U("pci-ohci+usb-mouse", "-device pci-ohci,id=ohci -device usb-mouse,bus=ohci.0"),
    U("ich9-usb-ehci1+ich9-usb-uhci1", "-device ich9-usb-ehci1,id=ehci1,addr=1d.7,multifunction=on "
      "-device ich9-usb-uhci1,masterbus=ehci1.0,firstport=0,addr=1d.0,multifunction=on"),
    U("virtio-vga", "-device virtio-vga"),
    U("bochs-display", "-device bochs-display"),
    U("secondary-vga", "-device secondary-vga"),
    U("ramfb", "-device ramfb"),
    U("qemu-xhci+usb-hub+usb-kbd", "-device qemu-xhci,id=xhci2 "
      "-device usb-hub,bus=xhci2.0,port=1 -device usb-kbd,bus=xhci2.0,port=1.1"),
]

X86_PC = [
    U("ide-hd+ide-cd(piix)", drv("ide0") + " -device ide-hd,bus=ide.0,drive=ide0 "
      "-device ide-cd,bus=ide.1"),
    U("floppy(built-in fdc)", "-drive if=floppy,index=0,file=disks/floppy.img,format=raw"),
    U("piix3-usb-uhci+usb-tablet", "-device piix3-usb-uhci,id=puhci "
      "-device usb-tablet,bus=puhci.0"),
    U("piix4-usb-uhci", "-device piix4-usb-uhci,id=p4uhci"),
    nic(0, "e1000"), nic(1, "rtl8139"), nic(2, "virtio-net-pci"), nic(3, "ne2k_pci"),
    nic(4, "i82550"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("virtio-balloon-pci", "-device virtio-balloon-pci"),
    U("virtio-rng-pci", "-device virtio-rng-pci"),
    U("virtio-scsi-pci+scsi-hd", "-device virtio-scsi-pci,id=vscsi " + drv("vscsi0") +
      " -device scsi-hd,bus=vscsi.0,drive=vscsi0"),
    U("usb-ehci+usb-kbd", "-device usb-ehci,id=ehci -device usb-kbd,bus=ehci.0"),
    U("pci-bridge+virtio-rng-pci", "-device pci-bridge,id=br1,chassis_nr=1 "
      "-device virtio-rng-pci,bus=br1,addr=3"),
    U("isa-serial", "-chardev null,id=ser0 -device isa-serial,chardev=ser0"),
    U("isa-parallel", "-chardev null,id=par0 -device isa-parallel,chardev=par0"),
    U("i6300esb", "-device i6300esb"),
    U("pvpanic", "-device pvpanic"),
    U("AC97", "-audiodev none,id=ac97 -device AC97,audiodev=ac97"),
    U("intel-hda+hda-duplex", "-audiodev none,id=hda -device intel-hda,id=hda0 "
      "-device hda-duplex,bus=hda0.0,audiodev=hda"),
    U("lsi53c810", "-device lsi53c810,id=lsi810"),
    U("ati-vga", "-device ati-vga"),
    U("piix4-ide", "-device piix4-ide,id=p4ide"),
    U("ipmi-bmc-sim+pci-ipmi-kcs", "-device ipmi-bmc-sim,id=bmc0 -device pci-ipmi-kcs,bmc=bmc0"),
    # last: devices without bus= would land on the expander's bus
    U("pxb+e1000", "-device pxb,id=pxb0,bus_nr=32,bus=pci.0 "
      "-netdev user,id=pxbnet -device e1000,bus=pxb0,addr=1,netdev=pxbnet"),
]

# UEFI firmware in pflash (pflash_cfi01), OVMF programs the PCI devices
X86_OVMF = [
    nic(0, "virtio-net-pci"), nic(1, "e1000e"),
    U("ide-hd(ahci)", drv("sata0") + " -device ide-hd,bus=ide.0,drive=sata0"),
    U("qemu-xhci+usb-tablet", "-device qemu-xhci,id=xhci -device usb-tablet,bus=xhci.0"),
    U("virtio-scsi-pci+scsi-cd", "-device virtio-scsi-pci,id=vscsi "
      "-device scsi-cd,bus=vscsi.0"),
]

# the microvm machine: virtio-mmio, a PCIe host (gpex) and ACPI's generic event device
X86_MICROVM = [
    U("virtio-net-device", "-netdev user,id=mnet -device virtio-net-device,netdev=mnet"),
    U("virtio-blk-device", drv("mblk") + " -device virtio-blk-device,drive=mblk"),
    U("virtio-rng-device", "-device virtio-rng-device"),
    U("virtio-serial-device+virtconsole", "-chardev null,id=mcon "
      "-device virtio-serial-device,id=mser -device virtconsole,chardev=mcon,bus=mser.0"),
    U("isa-serial", "-chardev null,id=ser0 -device isa-serial,chardev=ser0"),
    U("virtio-net-pci", "-netdev user,id=pnet -device virtio-net-pci,netdev=pnet"),
    U("pci-ohci+usb-kbd", "-device pci-ohci,id=ohci -device usb-kbd,bus=ohci.0"),
]

ARM_PCI = [
    nic(0, "virtio-net-pci"), nic(1, "e1000e"), nic(2, "e1000"), nic(3, "rtl8139"),
    U("igb", "-netdev user,id=net4 -device igb,netdev=net4,mac=52:54:00:12:34:14",
      since="10.0"),
    nic(6, "i82559c"), nic(7, "pcnet"), nic(8, "vmxnet3"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("virtio-scsi-pci+scsi-hd", "-device virtio-scsi-pci,id=vscsi " + drv("vscsi0") +
      " -device scsi-hd,bus=vscsi.0,drive=vscsi0 -device scsi-cd,bus=vscsi.0"),
    U("virtio-rng-pci", "-device virtio-rng-pci"),
    U("virtio-balloon-pci", "-device virtio-balloon-pci,free-page-reporting=on"),
    U("virtio-serial-pci+virtconsole", "-chardev null,id=vcon -device virtio-serial-pci,id=vser "
      "-device virtconsole,chardev=vcon,bus=vser.0"),
    U("virtio-gpu-pci", "-device virtio-gpu-pci"),
    U("virtio-9p-pci", "-fsdev local,id=fs0,path=share,security_model=none "
      "-device virtio-9p-pci,fsdev=fs0,mount_tag=share"),
    U("virtio-keyboard-pci", "-device virtio-keyboard-pci"),
    U("virtio-tablet-pci", "-device virtio-tablet-pci"),
    U("ich9-ahci+ide-hd", "-device ich9-ahci,id=ahci " + drv("sata0") +
      " -device ide-hd,bus=ahci.0,drive=sata0"),
    U("lsi53c895a+scsi-hd", "-device lsi53c895a,id=lsi " + drv("lsi0") +
      " -device scsi-hd,bus=lsi.0,drive=lsi0"),
    U("megasas-gen2+scsi-hd", "-device megasas-gen2,id=mega " + drv("mega0") +
      " -device scsi-hd,bus=mega.0,drive=mega0"),
    U("qemu-xhci+usb-kbd+usb-tablet+usb-storage", "-device qemu-xhci,id=xhci "
      "-device usb-kbd,bus=xhci.0 -device usb-tablet,bus=xhci.0 " + drv("usbstor") +
      " -device usb-storage,bus=xhci.0,drive=usbstor"),
    U("usb-ehci+usb-storage", "-device usb-ehci,id=ehci " + drv("usbstor2") +
      " -device usb-storage,bus=ehci.0,drive=usbstor2"),
    U("intel-hda+hda-duplex", "-audiodev none,id=hda -device intel-hda,id=hda0 "
      "-device hda-duplex,bus=hda0.0,audiodev=hda"),
    U("pcie-root-port+virtio-net-pci", "-device pcie-root-port,id=rp1,chassis=1,slot=1 "
      "-netdev user,id=rpnet -device virtio-net-pci,bus=rp1,netdev=rpnet"),
    U("pci-bridge+virtio-rng-pci", "-device pci-bridge,id=br1,chassis_nr=2 "
      "-device virtio-rng-pci,bus=br1,addr=3"),
    U("i6300esb", "-device i6300esb"),
    U("pvpanic-pci", "-device pvpanic-pci"),
    U("bochs-display", "-device bochs-display"),
    U("ramfb", "-device ramfb"),
]

ARM_MMIO = [
    U("virtio-net-device", "-netdev user,id=mnet -device virtio-net-device,netdev=mnet"),
    U("virtio-blk-device", drv("mblk") + " -device virtio-blk-device,drive=mblk"),
    U("virtio-rng-device", "-device virtio-rng-device"),
    U("virtio-balloon-device", "-device virtio-balloon-device"),
    U("virtio-scsi-device+scsi-hd", "-device virtio-scsi-device,id=mscsi " + drv("mscsi0") +
      " -device scsi-hd,bus=mscsi.0,drive=mscsi0"),
    U("virtio-serial-device+virtconsole", "-chardev null,id=mcon "
      "-device virtio-serial-device,id=mser -device virtconsole,chardev=mcon,bus=mser.0"),
    U("virtio-gpu-device", "-device virtio-gpu-device"),
    U("virtio-keyboard-device", "-device virtio-keyboard-device"),
    U("virtio-mouse-device", "-device virtio-mouse-device"),
    U("virtio-9p-device", "-fsdev local,id=mfs,path=share,security_model=none "
      "-device virtio-9p-device,fsdev=mfs,mount_tag=share"),
    U("virtio-iommu-pci", "-device virtio-iommu-pci"),
    nic(5, "virtio-net-pci"),
    U("pcie-root-port+virtio-blk-pci", "-device pcie-root-port,id=rp1,chassis=1,slot=1 " +
      drv("pblk") + " -device virtio-blk-pci,drive=pblk,bus=rp1"),
    U("usb-ehci+usb-kbd", "-device usb-ehci,id=ehci -device usb-kbd,bus=ehci.0"),
    U("pci-ohci+usb-tablet", "-device pci-ohci,id=ohci -device usb-tablet,bus=ohci.0"),
    U("nec-usb-xhci+usb-mouse", "-device nec-usb-xhci,id=nxhci -device usb-mouse,bus=nxhci.0"),
    U("AC97", "-audiodev none,id=ac97 -device AC97,audiodev=ac97"),
    U("ES1370", "-audiodev none,id=es -device ES1370,audiodev=es"),
    U("VGA", "-device VGA"),
    U("pci-serial", "-chardev null,id=ps0 -device pci-serial,chardev=ps0"),
    U("tulip", "-netdev user,id=tnet -device tulip,netdev=tnet"),
    U("ne2k_pci", "-netdev user,id=nnet -device ne2k_pci,netdev=nnet"),
    U("sdhci-pci+sd-card", drv("sd0") + " -device sdhci-pci,id=sdhci "
      "-device sd-card,drive=sd0"),
    U("edu", "-device edu"),
    U("pci-testdev", "-device pci-testdev"),
]

ARM_PCI_MORE = [
    U("megasas+scsi-hd", "-device megasas,id=mega " + drv("mega0") +
      " -device scsi-hd,bus=mega.0,drive=mega0"),
    U("mptsas1068+scsi-hd", "-device mptsas1068,id=mpt " + drv("mpt0") +
      " -device scsi-hd,bus=mpt.0,drive=mpt0"),
    U("pvscsi+scsi-hd", "-device pvscsi,id=pvs " + drv("pvs0") +
      " -device scsi-hd,bus=pvs.0,drive=pvs0"),
    U("am53c974", "-device am53c974,id=am"),
    U("dc390", "-device dc390,id=dc"),
    U("cirrus-vga", "-device cirrus-vga"),
    U("ioh3420+e1000e", "-device ioh3420,id=rp2,chassis=2,slot=2 "
      "-netdev user,id=rp2net -device e1000e,bus=rp2,netdev=rp2net"),
    U("x3130-upstream+xio3130-downstream+virtio-blk-pci",
      "-device pcie-root-port,id=rp3,chassis=3,slot=3 -device x3130-upstream,id=up,bus=rp3 "
      "-device xio3130-downstream,id=down,bus=up,chassis=4,slot=4 " + drv("dblk") +
      " -device virtio-blk-pci,drive=dblk,bus=down"),
    U("pcie-pci-bridge+rtl8139", "-device pcie-root-port,id=rp5,chassis=5,slot=5 "
      "-device pcie-pci-bridge,id=ppb,bus=rp5 "
      "-netdev user,id=ppbnet -device rtl8139,bus=ppb,addr=1,netdev=ppbnet"),
    U("i82801b11-bridge", "-device i82801b11-bridge,id=dmi"),
    U("ivshmem-plain", "-object memory-backend-ram,id=shm0,size=1M "
      "-device ivshmem-plain,memdev=shm0,master=on"),
    U("kvaser_pci", "-object can-bus,id=canbus0 -device kvaser_pci,canbus=canbus0"),
    U("tpci200+ipoctal232", "-device tpci200,id=tpci -device ipoctal232,bus=tpci.0"),
    U("pci-ohci+usb-hub+usb-kbd", "-device pci-ohci,id=ohci -device usb-hub,bus=ohci.0,port=1 "
      "-device usb-kbd,bus=ohci.0,port=1.1"),
    U("qemu-xhci+usb-ccid", "-device qemu-xhci,id=xhci -device usb-ccid,bus=xhci.0"),
    U("ich9-usb-uhci1+usb-mouse", "-device ich9-usb-uhci1,id=uhci "
      "-device usb-mouse,bus=uhci.0"),
    U("vmcoreinfo", "-device vmcoreinfo"),
    U("pci-serial-4x", "-chardev null,id=ps3 -chardev null,id=ps4 "
      "-device pci-serial-4x,chardev1=ps3,chardev2=ps4"),
    nic(9, "i82550"),
    U("virtio-mouse-pci", "-device virtio-mouse-pci"),
    U("virtio-multitouch-pci", "-device virtio-multitouch-pci", since="10.0"),
    U("ich9-intel-hda+hda-output", "-audiodev none,id=hda9 -device ich9-intel-hda,id=hda1 "
      "-device hda-output,bus=hda1.0,audiodev=hda9"),
]

# with UEFI firmware: ACPI is on, so the virt board has its acpi-ged device (memory hotplug),
# and the firmware programs the PCI devices while the guest runs
ARM_UEFI = [
    U("pc-dimm", "-object memory-backend-ram,id=dimm0,size=32M "
      "-device pc-dimm,memdev=dimm0"),
    U("virtio-mem-pci", "-object memory-backend-ram,id=vmem0,size=64M "
      "-device virtio-mem-pci,memdev=vmem0,requested-size=0"),
    U("nvdimm", "-object memory-backend-ram,id=nvd0,size=16M -device nvdimm,memdev=nvd0"),
    U("virtio-net-pci", "-netdev user,id=n0 -device virtio-net-pci,netdev=n0"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("qemu-xhci+usb-kbd", "-device qemu-xhci,id=xhci -device usb-kbd,bus=xhci.0"),
    U("virtio-gpu-pci", "-device virtio-gpu-pci"),
    U("virtio-scsi-pci+scsi-cd", "-device virtio-scsi-pci,id=vscsi "
      "-device scsi-cd,bus=vscsi.0"),
    U("acpi-erst", "-object memory-backend-ram,id=erst0,size=64K "
      "-device acpi-erst,memdev=erst0"),
]

ARM_EL3 = [
    U("virtio-net-pci", "-netdev user,id=n0 -device virtio-net-pci,netdev=n0"),
    U("usb-ehci+usb-kbd", "-device usb-ehci,id=ehci -device usb-kbd,bus=ehci.0"),
    U("virtio-blk-device", drv("mblk") + " -device virtio-blk-device,drive=mblk"),
]

# Each VIO device and PCI host bridge brings a TCE table (spapr_iommu: 65536-262144 entries
# decoded one by one): two streams keep each under vmstate-inspect's VI_MAX_NODES.
PPC_VIO = [
    U("spapr-vlan", "-netdev user,id=net4 -device spapr-vlan,netdev=net4"),
    U("spapr-vscsi+scsi-hd", "-device spapr-vscsi,id=vscsi " + drv("vscsi0") +
      " -device scsi-hd,bus=vscsi.0,drive=vscsi0"),
    U("spapr-vty", "-chardev null,id=vty -device spapr-vty,chardev=vty"),
]

PPC_PCI = [
    nic(0, "virtio-net-pci"), nic(1, "e1000"), nic(2, "rtl8139"), nic(3, "e1000e"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("virtio-scsi-pci+scsi-hd", "-device virtio-scsi-pci,id=vpscsi " + drv("vpscsi0") +
      " -device scsi-hd,bus=vpscsi.0,drive=vpscsi0 -device scsi-cd,bus=vpscsi.0"),
    U("virtio-rng-pci", "-device virtio-rng-pci"),
    U("virtio-balloon-pci", "-device virtio-balloon-pci"),
    U("virtio-serial-pci+virtconsole", "-chardev null,id=vcon -device virtio-serial-pci,id=vser "
      "-device virtconsole,chardev=vcon,bus=vser.0"),
    U("virtio-gpu-pci", "-device virtio-gpu-pci"),
    U("virtio-keyboard-pci", "-device virtio-keyboard-pci"),
    U("qemu-xhci+usb-kbd+usb-tablet", "-device qemu-xhci,id=xhci -device usb-kbd,bus=xhci.0 "
      "-device usb-tablet,bus=xhci.0"),
    U("usb-ehci+usb-storage", "-device usb-ehci,id=ehci " + drv("ustor") +
      " -device usb-storage,bus=ehci.0,drive=ustor"),
    U("VGA", "-device VGA"),
]

S390_CCW = [
    U("virtio-net-ccw", "-netdev user,id=n0 -device virtio-net-ccw,netdev=n0"),
    U("virtio-blk-ccw", drv("cblk") + " -device virtio-blk-ccw,drive=cblk"),
    U("virtio-scsi-ccw+scsi-hd", "-device virtio-scsi-ccw,id=cscsi " + drv("cscsi0") +
      " -device scsi-hd,bus=cscsi.0,drive=cscsi0"),
    U("virtio-rng-ccw", "-device virtio-rng-ccw"),
    U("virtio-balloon-ccw", "-device virtio-balloon-ccw"),
    U("virtio-serial-ccw+virtconsole", "-chardev null,id=ccon -device virtio-serial-ccw,id=cser "
      "-device virtconsole,chardev=ccon,bus=cser.0"),
    U("virtio-gpu-ccw", "-device virtio-gpu-ccw"),
    U("virtio-keyboard-ccw", "-device virtio-keyboard-ccw"),
    U("virtio-9p-ccw", "-fsdev local,id=cfs,path=share,security_model=none "
      "-device virtio-9p-ccw,fsdev=cfs,mount_tag=share"),
]

RISCV_VIRT = [
    nic(0, "virtio-net-pci"), nic(1, "e1000e"),
    U("virtio-net-device", "-netdev user,id=mnet -device virtio-net-device,netdev=mnet"),
    U("virtio-blk-pci", drv("vblk") + " -device virtio-blk-pci,drive=vblk"),
    U("virtio-blk-device", drv("mblk") + " -device virtio-blk-device,drive=mblk"),
    U("virtio-scsi-pci+scsi-hd", "-device virtio-scsi-pci,id=vscsi " + drv("vscsi0") +
      " -device scsi-hd,bus=vscsi.0,drive=vscsi0"),
    U("virtio-rng-pci", "-device virtio-rng-pci"),
    U("virtio-balloon-device", "-device virtio-balloon-device"),
    U("virtio-serial-pci+virtconsole", "-chardev null,id=vcon -device virtio-serial-pci,id=vser "
      "-device virtconsole,chardev=vcon,bus=vser.0"),
    U("virtio-gpu-pci", "-device virtio-gpu-pci"),
    U("qemu-xhci+usb-kbd", "-device qemu-xhci,id=xhci -device usb-kbd,bus=xhci.0"),
]

RECIPES = {
    "ppc64": [
        ("pseries-pci", "pseries-{rel}",
         COMMON + " -machine pseries-{rel} -m 512M -smp 2", PPC_PCI),
        ("pseries-vio", "pseries-{rel}",
         COMMON + " -machine pseries-{rel} -m 512M -smp 2", PPC_VIO),
    ],
    "s390x": [
        ("s390-ccw-virtio", "s390-ccw-virtio-{rel}",
         # no boot device: the BIOS stops in a disabled wait, which would end QEMU
         COMMON + " -machine s390-ccw-virtio-{rel} -m 256M -smp 2 -no-shutdown", S390_CCW),
    ],
    "riscv64": [
        ("virt", "virt",
         COMMON + " -machine virt -m 256M -smp 2", RISCV_VIRT),
    ],
    "x86_64": [
        ("q35-net-virtio", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel} -m 128M -smp 2 -cpu max -device VGA", X86_NET),
        ("q35-storage-usb-audio", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel} -m 128M -smp 2", X86_STORAGE_USB_AUDIO),
        ("q35-platform", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel},kernel-irqchip=split -m 128M,slots=2,maxmem=1G"
         " -smp 2,maxcpus=4", X86_PLATFORM),
        ("q35-misc", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel},nvdimm=on -m 128M,slots=2,maxmem=1G -smp 2"
         " -cpu Nehalem", X86_Q35_MISC),
        ("i440fx", "pc-i440fx-{rel}",
         COMMON + " -machine pc-i440fx-{rel} -m 128M -smp 2 -device VGA", X86_PC),
        ("q35-ovmf", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel} -m 256M -smp 2 -drive if=pflash,format=raw,unit=0,"
         "readonly=on,file=OVMF_CODE_4M.fd -device VGA", X86_OVMF,
         {"files": {"OVMF_CODE_4M.fd": ["/usr/share/OVMF/OVMF_CODE_4M.fd"]},
          "files_from": "OVMF_CODE_4M.fd copied there from Debian's ovmf package", "run": 8}),
        ("microvm", "microvm",
         COMMON + " -machine microvm,pcie=on,rtc=on -m 128M -smp 2", X86_MICROVM),
        # never started: the state of reset, whose subsections a running guest has left
        # behind (apic_sipi: the application processors still wait for their SIPI)
        ("q35-reset", "pc-q35-{rel}",
         COMMON + " -machine pc-q35-{rel} -m 128M -smp 2 -device VGA", X86_NET, {"run": 0}),
    ],
    "aarch64": [
        ("virt-gicv3-max-pci", "virt-{rel}",
         COMMON + " -machine virt-{rel},gic-version=3,iommu=smmuv3 -cpu max -m 256M,slots=2,"
         "maxmem=1G -smp 2", ARM_PCI),
        ("virt-gicv2-a57-mmio", "virt-{rel}",
         COMMON + " -machine virt-{rel},gic-version=2 -cpu cortex-a57 -m 256M -smp 2",
         ARM_MMIO),
        ("virt-gicv3-a72-pci", "virt-{rel}",
         COMMON + " -machine virt-{rel},gic-version=3 -cpu cortex-a72 -m 256M -smp 2",
         ARM_PCI_MORE),
        ("virt-gicv3-el3-el2", "virt-{rel}",
         COMMON + " -machine virt-{rel},gic-version=3,secure=on,virtualization=on,mte=on"
         " -cpu max -m 256M -smp 2", ARM_EL3),
        ("virt-uefi-acpi", "virt-{rel}",
         COMMON + " -machine virt-{rel},nvdimm=on -cpu max -m 256M,slots=2,maxmem=1G -smp 2"
         " -bios QEMU_EFI.fd", ARM_UEFI,
         {"files": {"QEMU_EFI.fd": ["/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"]},
          "files_from": "QEMU_EFI.fd copied there from Debian's qemu-efi-aarch64 package", "run": 10}),
    ],
}

# files a command line may refer to, created in the recipe's directory before the run
FLOPPY_SIZE = 1474560
DISK_SIZE = 1 << 20


def prepare(wd, argv):
    os.makedirs(os.path.join(wd, "disks"), exist_ok=True)
    for a in argv:
        for part in a.split(","):
            if part.startswith("file=disks/") or part.startswith("path=share"):
                path = os.path.join(wd, part.split("=", 1)[1])
                if part.startswith("path="):
                    os.makedirs(path, exist_ok=True)
                    with open(os.path.join(path, "README"), "w") as f:
                        f.write("9p share for a schema stream\n")
                elif not os.path.exists(path):
                    with open(path, "wb") as f:
                        f.truncate(FLOPPY_SIZE if path.endswith(".img") else DISK_SIZE)


class Runner:
    def __init__(self, binary, bare, outdir, run_s, verbose):
        self.binary, self.bare, self.outdir, self.run_s = binary, bare, outdir, run_s
        self.verbose = verbose
        self.n = 0
        self.opts, self.files = {}, {}

    def argv(self, base, units, rel):
        a = shlex.split(base.format(rel=rel))
        for u in units:
            a += shlex.split(u.args)
        return a

    def attempt(self, name, base, units, rel, keep=False):
        """Run base+units through qmp-migrate.py; return (ok, error text, workdir)."""
        self.n += 1
        tag = name if keep else "try%d" % self.n
        wd = os.path.join(self.outdir, tag + ".d")
        os.makedirs(wd, exist_ok=True)
        args = self.argv(base, units, rel)
        prepare(wd, args)
        for fn, host in self.files.items():
            shutil.copyfile(host, os.path.join(wd, fn))
        cmd = [sys.executable, HELPER, "--workdir", wd, "--out", tag + ".qevm",
               "--run", str(self.run_time()), "--timeout", "240", "--", self.binary] + \
            args + QMP_ARGS
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err = ""
        if p.returncode != 0:
            lines = [l for l in p.stderr.splitlines()
                     if l.strip() and "TCG doesn't support requested feature" not in l]
            err = " | ".join(lines[-2:])[-600:]
        if self.verbose:
            print("  %s %s%s" % ("ok  " if not err else "FAIL", name if keep else
                                 "%s (%s)" % (name, tag),
                                 "" if not err else ": " + err), file=sys.stderr)
        return (p.returncode == 0, err, wd, tag)

    def run_time(self):
        if self.opts.get("run") == 0:	# a recipe of the state of reset: never started
            return 0
        return max(self.run_s, self.opts.get("run", 0))

    def set_recipe(self, opts):
        """per-recipe options; False if a file it needs is not on this machine"""
        self.opts, self.files = opts, {}
        for fn, cands in opts.get("files", {}).items():
            host = [c for c in cands if os.path.isfile(c)]
            if not host:
                return False
            self.files[fn] = host[0]
        return True

    def cleanup(self, wd):
        subprocess.run(["rm", "-rf", wd])


def with_needs(u, units):
    """u preceded by the units it plugs into (recursively), in recipe order."""
    by_label = {x.label: x for x in units}
    want, todo = set(), [u.label]
    while todo:
        n = todo.pop()
        if n in by_label and n not in want:
            want.add(n)
            todo += list(by_label[n].needs)
    return [x for x in units if x.label in want]


def close_needs(units, dropped):
    """Drop units whose controller unit is gone."""
    while True:
        have = {u.label for u in units}
        bad = [u for u in units if any(n not in have for n in u.needs)]
        if not bad:
            return units
        for u in bad:
            dropped.append({"unit": u.label, "why": "needs " + ", ".join(u.needs)})
        units = [u for u in units if u not in bad]


def make_stream(r, rel, name, machine, base, units):
    units = [u for u in units if u.applies(rel)]
    dropped = []
    units = close_needs(units, dropped)
    ok, err, wd, tag = r.attempt(name, base, units, rel, keep=True)
    if not ok:
        r.cleanup(wd)
        ok0, err0, wd0, _ = r.attempt(name + ".base", base, [], rel)
        r.cleanup(wd0)
        if not ok0:
            return None, "base command line fails: " + err0
        good = []
        for u in units:
            ok1, err1, wd1, _ = r.attempt(name + "." + u.label.replace("/", "_"), base,
                                          with_needs(u, units), rel)
            r.cleanup(wd1)
            if ok1:
                good.append(u)
            else:
                dropped.append({"unit": u.label, "why": err1})
        good = close_needs(good, dropped)
        ok, err, wd, tag = r.attempt(name, base, good, rel, keep=True)
        if not ok:
            r.cleanup(wd)
            kept = []
            for u in good:
                if any(n not in {k.label for k in kept} for n in u.needs):
                    dropped.append({"unit": u.label, "why": "needs " + ", ".join(u.needs)})
                    continue
                ok2, err2, wd2, _ = r.attempt(name + ".plus", base, kept + [u], rel)
                r.cleanup(wd2)
                if ok2:
                    kept.append(u)
                else:
                    dropped.append({"unit": u.label, "why": "together with the others: " + err2})
            ok, err, wd, tag = r.attempt(name, base, kept, rel, keep=True)
            if not ok:
                r.cleanup(wd)
                return None, "still fails after dropping units: " + err
            good = kept
        units = good
    src = os.path.join(wd, tag + ".qevm")
    dst = os.path.join(r.outdir, name + ".qevm")
    os.replace(src, dst)
    with open(dst, "rb") as f:
        head = f.read(8)
    if head != b"QEVM\x00\x00\x00\x03":
        return None, "bad stream header %r" % head
    r.cleanup(wd)
    args = r.argv(base, units, rel) + QMP_ARGS
    return {
        "name": name,
        "file": name + ".qevm",
        "machine": machine.format(rel=rel),
        "command_line": " ".join([r.bare] + [shlex.quote(a) for a in args]),
        "units": [u.label for u in units],
        "dropped": dropped,
        "procedure": "started with -S in an empty directory (1 MiB raw disks, a 1.44 MB "
                     "floppy image and a 9p share created there%s); QMP: qmp_capabilities, "
                     "cont, run %g s, stop, migrate exec:cat > %s.qevm, quit" % (
                         "; " + r.opts["files_from"] if r.opts.get("files_from") else "",
                         r.run_time(), name),
    }, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--release", required=True, help="X.Y, e.g. 5.2 7.2 10.0 11.1")
    ap.add_argument("--arch", required=True, choices=sorted(RECIPES))
    ap.add_argument("--bin", help="QEMU binary (path or command name)")
    ap.add_argument("--outdir", help="where the streams and streams.json go")
    ap.add_argument("--run", type=float, default=2, help="seconds the guest runs (default 2)")
    ap.add_argument("--recipe", action="append", default=[], help="only these recipes")
    ap.add_argument("--list", action="store_true", help="print the recipes and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    recipes = [x for x in RECIPES[a.arch] if not a.recipe or x[0] in a.recipe]
    if a.list:
        for name, machine, base, units, *_ in recipes:
            print("%s (%s): %s" % (name, machine.format(rel=a.release), base.format(rel=a.release)))
            for u in units:
                if u.applies(a.release):
                    print("    %-40s %s" % (u.label, u.args))
        return 0
    if not a.bin or not a.outdir:
        ap.error("--bin and --outdir are needed")
    os.makedirs(a.outdir, exist_ok=True)
    r = Runner(a.bin, "qemu-system-" + a.arch, os.path.abspath(a.outdir), a.run, a.verbose)
    out = {"release": a.release, "arch": a.arch, "streams": [], "skipped": []}
    for name, machine, base, units, *opts in recipes:
        print("schema-streams: %s %s: %s" % (a.release, a.arch, name), file=sys.stderr)
        if r.set_recipe(opts[0] if opts else {}):
            rec, why = make_stream(r, a.release, name, machine, base, units)
        else:
            rec, why = None, "needs %s, not found on this machine" % ", ".join(
                c for cands in opts[0]["files"].values() for c in cands)
        if rec:
            out["streams"].append(rec)
            for d in rec["dropped"]:
                print("schema-streams:   dropped %s: %s" % (d["unit"], d["why"]), file=sys.stderr)
        else:
            out["skipped"].append({"name": name, "why": why})
            print("schema-streams:   SKIPPED %s: %s" % (name, why), file=sys.stderr)
    with open(os.path.join(a.outdir, "streams.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return 0 if out["streams"] else 1


if __name__ == "__main__":
    sys.exit(main())
