#!/usr/bin/env python3
"""report --format markdown and --format html, for every fixture (and corpus
stream): the markdown has one destination table with problems first and the
devices in <details>; the HTML is one self-contained page (no scripts, no
outside references), and for every fixture renders in headless Chromium with the machine type, the
verdicts and the device names in its text, and its screenshot is not blank.
Names from the stream are escaped: a crafted stream with HTML and markdown
in its section and RAMBlock names renders them as text.

Exit 77 when chromium is not installed (tools/install-deps.sh installs it)."""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check, run  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(url, *extra):
    with tempfile.TemporaryDirectory(prefix="vi-chromium.") as prof:
        p = subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=" + prof, *extra, url],
                           capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def png_colours(path):
    """Distinct colours of a PNG (8-bit RGB/RGBA, not interlaced), parsed
    with zlib alone."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, stride, bpp * 2):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return colours


class Tags(html.parser.HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.bad, self.tags, self.attrs = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.bad.append(tag)


def check_markdown(md, doc, label):
    lines = md.splitlines()
    head = [i for i, l in enumerate(lines) if l.startswith("| destination |")]
    if doc["destinations"]:
        check(len(head) == 1, f"{label}: markdown has one destination table")
        rows = []
        for l in lines[head[0] + 2:] if head else []:
            if not l.startswith("|"):
                break
            rows.append(l)
        check(len(rows) == len(doc["destinations"]), f"{label}: a row per destination")
        rank = [0 if "**reject**" in r else 2 for r in rows]
        check(rank == sorted(rank), f"{label}: rejects first")
    check("<details><summary>Devices:" in md and md.rstrip().endswith("</sub>") and "</details>" in md,
          f"{label}: devices in a <details> block")
    check(md.count("\n| 0x") == len(doc["devices"]), f"{label}: a row per device")


def check_html(page, doc, label, workdir, screenshot, render=True):
    t = Tags()
    t.feed(page)
    check(not t.bad and not t.stack, f"{label}: HTML tags balanced ({t.bad[:3]}, {t.stack[:3]})")
    check("script" not in t.tags and not any(k.startswith("on") for k, _ in t.attrs),
          f"{label}: no scripts")
    style = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    check(not any(k in ("src", "href", "action", "data", "srcset") for k, _ in t.attrs)
          and not re.search(r"url\(|@import", style)
          and t.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "dl",
                         "dt", "dd", "table", "tr", "th", "td", "details", "summary", "p",
                         "small", "ul", "li"},
          f"{label}: no outside references ({sorted(t.tags)})")
    check("details" in t.tags, f"{label}: expandable device tree")
    if not render:
        return None
    path = os.path.join(workdir, "report.html")
    open(path, "w").write(page)
    rc, dom = chromium("file://" + path, "--dump-dom")
    check(rc == 0 and "</html>" in dom, f"{label}: chromium renders it ({rc})")
    text = re.sub(r"<[^>]+>", " ", dom)
    text = html.unescape(text)
    if doc["source"].get("machine"):
        check(doc["source"]["machine"] in text, f"{label}: machine type in the rendered text")
    for d in doc["destinations"]:
        check(d["target"] in text and d["verdict"] in text, f"{label}: {d['target']} {d['verdict']} rendered")
    for d in doc["devices"][:50]:
        check(d["section"] in text, f"{label}: device {d['section']!r} rendered")
    if screenshot:
        png = os.path.join(workdir, "shot.png")
        rc, _ = chromium("file://" + path, "--screenshot=" + png, "--window-size=1000,800")
        if check(rc == 0 and os.path.exists(png), f"{label}: screenshot taken"):
            n = len(png_colours(png))
            check(n >= 8, f"{label}: screenshot is not blank ({n} colours)")
    return text


def report_both(stream, label, workdir, render):
    rc, out, err = run("report", "--format", "json", stream)
    if rc not in (0, 1, 3) or not out.strip():
        return check(False, f"{label}: report --format json ({rc}: {err.strip()})")
    doc = json.loads(out)
    if "destinations" not in doc:       # no stream at all: only the error
        return None
    rcm, md, _ = run("report", "--format", "markdown", stream)
    rch, page, _ = run("report", "--format", "html", stream)
    check(rcm == rc and rch == rc, f"{label}: same exit status in every format ({rc}, {rcm}, {rch})")
    check_markdown(md, doc, label)
    return check_html(page, doc, label, workdir, render, render)


def hostile_stream():
    bad = b"<script>alert(1)</script>|**x**"
    blk = b"<img src=x onerror=alert(2)>`[l](http://e)`"
    out = b"QEVM" + struct.pack(">I", 3) + b"\x07" + struct.pack(">I", 10) + b"pc-q35-7.2"
    out += b"\x01" + struct.pack(">I", 2) + bytes([3]) + b"ram" + struct.pack(">II", 0, 4)
    out += struct.pack(">Q", 4096 | 0x04) + bytes([len(blk)]) + blk + struct.pack(">Q", 4096)
    out += struct.pack(">Q", 0x10) + b"\x7e" + struct.pack(">I", 2)
    out += b"\x04" + struct.pack(">I", 3) + bytes([len(bad)]) + bad + struct.pack(">II", 0, 1)
    out += b"abc" + b"\x7e" + struct.pack(">I", 3) + b"\x00"
    return out, bad.decode(), blk.decode()


def main():
    if not CHROMIUM:
        vt.skip("chromium is not installed (tools/install-deps.sh installs it)")
    streams = [(f, os.path.basename(f)) for f in sorted(
        __import__("glob").glob(os.path.join(SRC, "tests", "data", "*.xz")))]
    nfix = len(streams)
    manifest = os.path.join(CORPUS, "manifest.json")
    if os.path.exists(manifest):
        streams += [(os.path.join(CORPUS, e["file"]), e["id"]) for e in json.load(open(manifest))
                    if e["type"] == "stream"]
    with tempfile.TemporaryDirectory(prefix="vi-render.") as wd:
        for i, (path, label) in enumerate(streams):
            report_both(path, label, wd, render=i < nfix)    # Chromium: the fixtures
        data, bad, blk = hostile_stream()
        path = os.path.join(wd, "hostile.qevm")
        open(path, "wb").write(data)
        rc, md, _ = run("report", "--format", "markdown", path)
        check("<script" not in md and "<img" not in md and not re.search(r"(?<!\\)\]\(", md),
              "hostile: markdown has no live HTML or links")
        check("&lt;script&gt;alert\\(1\\)" in md or "&lt;script&gt;alert(1)" in md,
              "hostile: the section name is there, escaped")
        rc, page, _ = run("report", "--format", "html", path)
        check("<script" not in page and "<img" not in page, "hostile: HTML has no live tags")
        text = check_html(page, json.loads(run("report", "--format", "json", path)[1]),
                          "hostile", wd, screenshot=True)
        check(bad in text and blk in text, "hostile: both names render as text")
    print(f"{len(streams)} streams (+1 crafted) as markdown and HTML; {nfix + 1} rendered "
          f"in Chromium with a screenshot each; {len(vt.failures)} failure(s)")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
