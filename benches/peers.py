#!/usr/bin/env python3
"""Compare aibom's verdicts with peer scanners (picklescan, modelscan, modelaudit) on samples/.

Every key of samples/expected.json (a file or a directory, relative to samples/) is scanned by
each tool, one invocation per sample and tool, each with a time limit. Each result is one of:

  flag     the tool reports something at high/critical (picklescan: a dangerous import)
  warn     the tool reports something below that (picklescan: suspicious globals only;
           modelscan: LOW/MEDIUM; modelaudit: warning)
  clean    the tool ran and reported nothing
  error    the tool failed, or said it could not parse/scan the input
  timeout  the invocation ran past --timeout
  n/a      the tool is not installed

aibom is "flag" when it exits 1 (findings at or above high), as CI would see it.

The important output is the list of samples where a peer says flag/warn and aibom exits 0.
Standard library only. Peers come from the venv made by benches/bench.sh (/tmp/aibom-peers)
or from --venv. Usage:  python3 benches/peers.py [--json OUT] [--venv DIR] [--aibom BIN]
"""

import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("aibom", "picklescan", "modelscan", "modelaudit")
# Keep peers offline and quiet (modelaudit sends telemetry unless told not to).
PEER_ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1", NO_COLOR="1",
                HF_HUB_OFFLINE="1", TERM="dumb")


def short(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def run(cmd, timeout, cwd=None):
    """(returncode, stdout, stderr); returncode None on timeout, -1 if it could not start."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout, cwd=cwd, env=PEER_ENV, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", ""
    except OSError as e:
        return -1, "", str(e)


def load_json(text):
    """Parse a JSON object from text that may carry log lines before it."""
    try:
        return json.loads(text)
    except ValueError:
        start = text.find("{")
        try:
            return json.loads(text[start:]) if start >= 0 else None
        except ValueError:
            return None


def scan_aibom(binary, path, timeout, tmp):
    rc, out, err = run([binary, "scan", str(path), "--format", "json", "--no-progress"], timeout, tmp)
    if rc is None:
        return "timeout", ""
    report = load_json(out) if rc in (0, 1) else None
    if report is None:
        return "error", short(f"exit {rc}: {err}")
    codes = set()
    for target in report.get("targets", []):
        for f in target.get("findings", []):
            codes.add(f"{f.get('code')}:{f.get('severity')}")
        for file in target.get("files", []):
            for f in file.get("findings", []):
                codes.add(f"{f.get('code')}:{f.get('severity')}")
    verdict = report.get("summary", {}).get("verdict", "?")
    return ("flag" if rc == 1 else "clean"), short(f"{verdict} " + " ".join(sorted(codes)))


def scan_picklescan(venv, path, timeout, tmp):
    # -g lists every global with picklescan's class (dangerous/suspicious/innocuous).
    rc, out, err = run([str(venv / "bin/picklescan"), "-g", "-p", str(path)], timeout, tmp)
    if rc is None:
        return "timeout", ""
    text = out + err
    dangerous = sorted(set(re.findall(r"dangerous import '([^']*)'", text)))
    suspicious = sorted(set(re.findall(r"\* (\S+) - suspicious", text)))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    problems = [line for line in lines if "could not parse" in line or line.startswith("ERROR")]
    crash = [line for line in lines if re.match(r"[\w.]*(Error|Exception)\b", line)]
    if "Traceback" in text:
        problems.append(crash[-1] if crash else "Traceback")
    if rc == 1 or dangerous:
        return "flag", short("dangerous: " + ", ".join(dangerous))
    problems = [line.replace(str(path), "<path>") for line in problems[:2]]
    if suspicious:
        return "warn", short("suspicious: " + ", ".join(suspicious + problems))
    if rc not in (0, 1) or problems:
        return "error", short(f"exit {rc}: " + "; ".join(problems))
    return "clean", ""


def scan_modelscan(venv, path, timeout, tmp):
    report_file = Path(tmp) / "modelscan.json"
    report_file.unlink(missing_ok=True)
    rc, out, err = run([str(venv / "bin/modelscan"), "-p", str(path), "-r", "json",
                        "-o", str(report_file)], timeout, tmp)
    if rc is None:
        return "timeout", ""
    try:
        report = json.loads(report_file.read_text())
    except (OSError, ValueError):
        report = load_json(out) or {}
    issues = report.get("issues") or []
    sev = {str(i.get("severity", "")).upper() for i in issues}
    detail = "; ".join(sorted({f"{i.get('module')}.{i.get('operator')} {i.get('severity')}"
                               for i in issues}))
    errors = [short(e.get("description", e) if isinstance(e, dict) else e, 90)
              for e in report.get("errors") or []]
    if sev & {"CRITICAL", "HIGH"}:
        return "flag", short(detail)
    if issues:
        return "warn", short(detail)
    if rc == 3:  # "no supported files": modelscan skipped everything
        return "clean", "no supported files"
    if rc not in (0, 1) or errors:
        return "error", short(f"exit {rc}: " + "; ".join(errors[:2] or [err[-200:]]))
    return "clean", ""


def scan_modelaudit(venv, path, timeout, tmp):
    rc, out, err = run([str(venv / "bin/modelaudit"), "scan", "-f", "json", "--no-cache",
                        str(path)], timeout, tmp)
    if rc is None:
        return "timeout", ""
    report = load_json(out)
    if not isinstance(report, dict):
        return "error", short(f"exit {rc}: {err[-200:]}")
    issues = [i for i in report.get("issues") or [] if isinstance(i, dict)]

    def msgs(levels):
        hits = [i for i in issues if str(i.get("severity", "")).lower() in levels]
        return hits, short("; ".join(sorted({str(i.get("message", "")) for i in hits})), 200)

    flagged, detail = msgs({"critical", "high", "error"})
    if flagged:
        return "flag", detail
    warned, detail = msgs({"warning", "medium"})
    if warned:
        return "warn", detail
    if rc == 2 or report.get("has_errors"):
        return "error", short("has_errors; " + "; ".join(str(i.get("message")) for i in issues)[:150])
    return "clean", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=Path, default=REPO / "samples")
    ap.add_argument("--venv", type=Path, default=Path("/tmp/aibom-peers"))
    ap.add_argument("--aibom", type=Path, default=REPO / "target/release/aibom")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per invocation")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write all results here")
    args = ap.parse_args()

    expected = json.loads((args.samples / "expected.json").read_text())
    scanners = {"aibom": lambda p, t: scan_aibom(str(args.aibom), p, args.timeout, t)}
    for name, fn in (("picklescan", scan_picklescan), ("modelscan", scan_modelscan),
                     ("modelaudit", scan_modelaudit)):
        if (args.venv / "bin" / name).exists():
            scanners[name] = lambda p, t, fn=fn: fn(args.venv, p, args.timeout, t)
        else:
            print(f"note: {name} not found in {args.venv}/bin; shown as n/a", file=sys.stderr)

    def one(sample):
        # Fresh working directory per sample: peers may read settings or write caches there.
        with tempfile.TemporaryDirectory(prefix="aibom-peers-") as tmp:
            row = {}
            for name in TOOLS:
                if name not in scanners:
                    row[name] = ("n/a", "")
                    continue
                try:
                    row[name] = scanners[name](args.samples / sample, tmp)
                except Exception as e:  # a peer's odd output must never stop the run
                    row[name] = ("error", short(f"peers.py: {e!r}"))
            return sample, row

    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(pool.map(one, sorted(expected)))

    # Table: one line per sample.
    width = max(len(s) for s in results)
    print(f"{'sample':<{width}}  {'expected':<9} " + " ".join(f"{t:<10}" for t in TOOLS))
    for sample, row in results.items():
        print(f"{sample:<{width}}  {expected[sample]['verdict']:<9} "
              + " ".join(f"{row[t][0]:<10}" for t in TOOLS))

    # Totals per tool.
    print()
    for t in TOOLS:
        counts = {}
        for row in results.values():
            counts[row[t][0]] = counts.get(row[t][0], 0) + 1
        print(f"{t:<11} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    misses = {s: r for s, r in results.items()
              if r["aibom"][0] != "flag" and any(r[p][0] in ("flag", "warn") for p in TOOLS[1:])}
    print(f"\n== Samples where a peer flags something and aibom does not: {len(misses)}")
    for sample, row in misses.items():
        print(f"- {sample} (expected {expected[sample]['verdict']}; aibom {row['aibom'][0]}: {row['aibom'][1]})")
        for p in TOOLS[1:]:
            if row[p][0] in ("flag", "warn"):
                print(f"    {p}: {row[p][0]}: {row[p][1]}")

    only = {s: r for s, r in results.items()
            if r["aibom"][0] == "flag" and not any(r[p][0] == "flag" for p in TOOLS[1:])}
    print(f"\n== Samples aibom flags and no peer flags: {len(only)}")
    for sample, row in only.items():
        others = ", ".join(f"{p} {row[p][0]}" for p in TOOLS[1:])
        print(f"- {sample} (expected {expected[sample]['verdict']}): aibom {row['aibom'][1]} | {others}")

    # aibom's detail starts with its summary verdict (clean/unsafe/malformed/unsupported).
    wrong = {s: r for s, r in results.items() if r["aibom"][1].split(" ")[0] != expected[s]["verdict"]}
    if wrong:
        print(f"\n== aibom's verdict differs from expected.json on {len(wrong)} samples")
        for sample, row in wrong.items():
            print(f"- {sample} (expected {expected[sample]['verdict']}): aibom {row['aibom'][1]}")

    if args.json:
        args.json.write_text(json.dumps(
            {s: {"expected": expected[s]["verdict"],
                 **{t: {"result": r[t][0], "detail": r[t][1]} for t in TOOLS}}
             for s, r in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
