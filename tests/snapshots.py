#!/usr/bin/env python3
"""qcow2 snapshots from the command line: dump --list-snapshots (text and
JSON), --snapshot ID|NAME on dump, check and report (the option wins over
VMSTATE_INSPECT_SNAPSHOT, which stays a fallback), the snapshot's name and
date in dump and report; and the container-only options refused, exit 3,
on inputs without that container."""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402

VI = vt.need_bin()
DATA = vt.DATA
Q = os.path.join(DATA, "v100-x86-q35-10.0-savevm.qcow2.xz")
RAW = os.path.join(DATA, "v100-x86-q35-10.0-minimal.qevm.xz")
TARGET = "qemu-10.0/x86_64"


def vi(*args, env=None):
    return vt.run(*args, env={"VMSTATE_INSPECT_SNAPSHOT": None, **(env or {})})


rc, out, err = vi("dump", "--list-snapshots", Q)
expect("--list-snapshots text", rc == 0 and out.startswith("Snapshot list:") and
       any(l.split()[:2] == ["1", "snap1"] for l in out.splitlines()), out + err)
rc, out, err = vi("dump", "--list-snapshots", "--format", "json", Q)
snaps = json.loads(out)["snapshots"] if rc == 0 else []
expect("--list-snapshots json", len(snaps) == 1 and snaps[0]["id"] == "1" and
       snaps[0]["name"] == "snap1" and snaps[0]["date"].endswith("Z"), out + err)
rc, out, err = vi("dump", "--format", "json", Q)
default = json.loads(out) if rc == 0 else {}
expect("dump: the snapshot in the JSON", rc == 0 and default.get("snapshot", {}).get("name")
       == "snap1" and default["stream_size"] == snaps[0]["vm_state_size"], err)
for want in ("1", "snap1"):
    rc, out, err = vi("dump", "--format", "json", "--snapshot", want, Q)
    expect(f"dump --snapshot {want}: same tree as the default pick",
           rc == 0 and json.loads(out)["sections"] == default["sections"], err)
rc, out, err = vi("dump", "--snapshot", "nope", Q)
expect("dump --snapshot nope: exit 3 naming it", rc == 3 and "'nope'" in err, err)
rc, out, err = vi("dump", "--snapshot", "nope", Q, env={"VMSTATE_INSPECT_SNAPSHOT": "snap1"})
expect("the option wins over VMSTATE_INSPECT_SNAPSHOT", rc == 3 and "'nope'" in err, err)
rc, out, err = vi("dump", Q, env={"VMSTATE_INSPECT_SNAPSHOT": "nope"})
expect("VMSTATE_INSPECT_SNAPSHOT is the fallback", rc == 3 and "'nope'" in err, err)
rc, out, err = vi("check", "--target", TARGET, "--snapshot", "snap1", Q)
expect("check --snapshot snap1: accept", rc == 0, out + err)
rc, out, err = vi("check", "--target", TARGET, "--snapshot", "snap9", Q)
expect("check --snapshot snap9: exit 3", rc == 3, out + err)
rc, out, err = vi("report", "--target", TARGET, "--snapshot", "snap1", Q)
date = snaps[0]["date"] if snaps else "?"
expect("report: the snapshot's name, id and date",
       rc == 0 and f"'snap1' (id 1), taken {date}" in out, out + err)
rc, out, err = vi("report", "--format", "json", "--target", TARGET, Q)
expect("report json: input/snapshot", rc == 0 and
       json.loads(out)["input"].get("snapshot", {}).get("date") == date, err)
rc, out, err = vi("dump", "--list-snapshots", RAW)
expect("--list-snapshots on a raw stream: exit 3", rc == 3 and "not a qcow2" in err, err)
rc, out, err = vi("dump", "--domain-xml", Q)
expect("--domain-xml on a qcow2 image: exit 3", rc == 3 and "not a libvirt" in err, err)
sys.exit(vt.done())
