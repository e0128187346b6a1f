#!/usr/bin/env python3
"""Renders `aibom report` HTML in a real, headless Chromium and checks what a person would see.

Usage:
    python3 tests/browser/render.py AIBOM_BINARY CHROMIUM_BINARY [--save-screenshot PATH]

For `samples/benign/lora_adapter` (a LoRA adapter with a base model and datasets) and
`samples/malicious/hf_dir_with_payload` (a checkpoint with a pickle payload) it generates the
AIBOM and the HTML report into a fresh temporary directory, then asks Chromium for

- the DOM after load (`--dump-dom`): it must show the model name, the findings, the lineage
  SVG with the base model's name, and the completeness score, and load nothing remote;
- a screenshot (`--screenshot`, 1280x2000): a PNG (signature, IHDR size) of more than 10 KB;
- a printed PDF (`--print-to-pdf`): the print stylesheet must give a multi-page PDF.

Every Chromium run gets its own fresh profile directory and no network features. With
`--save-screenshot PATH`, a 1200x1600 screenshot of the adapter's report is kept at PATH (the
one the README shows). Prints one line per check and a final `N passed, M failed`; exits 1 on
any failure, 2 if it could not run. Python standard library only.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 120


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)


def chromium(binary, tmp, args):
    """Runs Chromium with a fresh profile; returns the completed process."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    try:
        return run([binary, *FLAGS, f"--user-data-dir={profile}", *args])
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_size(path):
    """(width, height) from the IHDR of a PNG, or None if it is not one."""
    data = Path(path).read_bytes()[:32]
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def text_of(dom):
    """The visible text of a DOM dump, roughly: tags removed, entities of the escaper undone."""
    dom = re.sub(r"<(style|script)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", dom)
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(ent, ch)
    return re.sub(r"\s+", " ", text)


def remote_loads(dom):
    """Attributes in the DOM that would fetch something from elsewhere."""
    bad = []
    for tag in re.findall(r"<[a-zA-Z][^>]*>", dom):
        for attr, value in re.findall(r'\s(src|href|srcset|action|poster|xlink:href)\s*=\s*"([^"]*)"', tag):
            if not value.startswith("#"):
                bad.append(f"{attr}={value}")
        if re.match(r"<(link|img|iframe|object|embed)\b", tag, re.I):
            bad.append(tag[:60])
    if re.search(r"url\(\s*['\"]?(https?:)?//", dom):
        bad.append("url(...) to a remote address")
    return bad


def generate(aibom, sample, tmp):
    name = Path(sample).name
    bom = Path(tmp) / f"{name}.cdx.json"
    html = Path(tmp) / f"{name}.html"
    g = run([aibom, "generate", "--no-progress", "-o", str(bom), str(REPO / "samples" / sample)], cwd=tmp)
    if g.returncode == 2 or not bom.exists():
        raise RuntimeError(f"aibom generate {sample} failed: {g.stderr.decode(errors='replace')}")
    r = run([aibom, "report", str(bom), "-o", str(html)], cwd=tmp)
    if r.returncode != 0 or not html.exists():
        raise RuntimeError(f"aibom report {sample} failed: {r.stderr.decode(errors='replace')}")
    return html


def check_report(c, browser, tmp, html, label, expect):
    url = html.resolve().as_uri()
    dom_run = chromium(browser, tmp, ["--dump-dom", url])
    dom = dom_run.stdout.decode("utf-8", errors="replace")
    c.check(f"{label}: chromium loads the page", dom_run.returncode == 0 and "<html" in dom,
            dom_run.stderr.decode(errors="replace")[-400:])
    text = text_of(dom)
    c.check(f"{label}: the title names the model", f"AIBOM audit report: {expect['name']}" in text)
    m = re.search(r'id="completeness-score">\s*(\d+)', dom)
    c.check(f"{label}: the completeness score is shown", m is not None and 0 <= int(m.group(1)) <= 100,
            "no score element")
    c.check(f"{label}: the completeness table lists the CycloneDX fields",
            "modelCard.modelParameters.task" in text and "Completeness" in text)
    svg = re.search(r'<svg class="lineage-graph".*?</svg>', dom, re.S)
    c.check(f"{label}: the lineage is an SVG picture", svg is not None and "<rect" in svg.group(0))
    for node in expect.get("lineage", []):
        c.check(f"{label}: the lineage SVG has a box for {node}",
                svg is not None and f">{node}</text>" in svg.group(0))
    findings = expect.get("findings", [])
    if findings:
        table = re.search(r'<table class="findings">.*?</table>', dom, re.S)
        c.check(f"{label}: the findings table is shown", table is not None)
        for f in findings:
            c.check(f"{label}: finding {f} is listed", table is not None and f in table.group(0))
        c.check(f"{label}: findings are mapped to MITRE ATLAS and OWASP",
                "AML.T0011.000" in text and "LLM03 Supply Chain" in text)
    else:
        c.check(f"{label}: says there is no finding", "No finding" in text)
    bad = remote_loads(dom)
    c.check(f"{label}: nothing is loaded from elsewhere", not bad, ", ".join(bad[:5]))

    png = Path(tmp) / f"{html.stem}.png"
    shot = chromium(browser, tmp, [f"--screenshot={png}", "--window-size=1280,2000", url])
    size = png.stat().st_size if png.exists() else 0
    c.check(f"{label}: the screenshot is a PNG of 1280x2000", png.exists() and png_size(png) == (1280, 2000),
            f"exit {shot.returncode}, {png_size(png) if png.exists() else 'no file'}")
    c.check(f"{label}: the screenshot is not blank (> 10 KB)", size > 10 * 1024, f"{size} bytes")

    pdf = Path(tmp) / f"{html.stem}.pdf"
    chromium(browser, tmp, [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url])
    data = pdf.read_bytes() if pdf.exists() else b""
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    c.check(f"{label}: it prints to a multi-page PDF", data.startswith(b"%PDF") and pages >= 2,
            f"{len(data)} bytes, {pages} pages")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("aibom", help="the aibom binary")
    ap.add_argument("chromium", help="the Chromium binary (e.g. /usr/bin/chromium)")
    ap.add_argument("--save-screenshot", metavar="PATH",
                    help="keep a 1200x1600 screenshot of the adapter's report here")
    args = ap.parse_args()
    for b in (args.aibom, args.chromium):
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            print(f"not an executable: {b}", file=sys.stderr)
            return 2
    aibom = os.path.abspath(args.aibom)

    c = Checks()
    with tempfile.TemporaryDirectory(prefix="aibom-browser-") as tmp:
        try:
            lora = generate(aibom, "benign/lora_adapter", tmp)
            payload = generate(aibom, "malicious/hf_dir_with_payload", tmp)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(e, file=sys.stderr)
            return 2
        try:
            check_report(c, args.chromium, tmp, lora, "lora_adapter", {
                "name": "lora_adapter",
                "lineage": ["lora_adapter", "aibom/tiny-base", "aibom/tiny-instructions"],
            })
            check_report(c, args.chromium, tmp, payload, "hf_dir_with_payload", {
                "name": "hf_dir_with_payload",
                "lineage": ["hf_dir_with_payload"],
                "findings": ["pickle-dangerous-global", "pickle-dangerous-call", "pytorch_model.bin"],
            })
            if args.save_screenshot:
                out = Path(args.save_screenshot).resolve()
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp_png = Path(tmp) / "saved.png"
                chromium(args.chromium, tmp, [f"--screenshot={tmp_png}", "--window-size=1200,1600",
                                              lora.resolve().as_uri()])
                ok = tmp_png.exists() and png_size(tmp_png) is not None
                if ok:
                    shutil.copyfile(tmp_png, out)
                size = out.stat().st_size if ok else 0
                c.check(f"screenshot saved to {args.save_screenshot} (< 1 MiB)", ok and size < 1024 * 1024,
                        f"{size} bytes")
        except subprocess.TimeoutExpired as e:
            c.check("chromium finishes in time", False, str(e))
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
