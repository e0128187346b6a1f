#!/usr/bin/env python3
"""Adversarial benchmark: inputs built to hang, blind or exhaust a scanner, at 1 MB and 100 MB.

For every shape, aibom scans the file (one job, so one core) and `openssl dgst -sha256` hashes
it; both are timed side by side (median of --runs) and aibom's peak RSS is read from
/usr/bin/time. The ratio is aibom's time over openssl's: hashing is the floor for a tool that
must read every byte. Goals: every 1 MB input in under 0.2 s, every 100 MB input within 3x of
hashing it, RSS under 64 MiB throughout.

With --peers, picklescan, modelaudit and fickling (from --venv, as benches/bench.sh installs
them) are timed on the opcode-heavy pickles too, each under --timeout.

The inputs are generated at run time in WORKDIR (never in the repository). A benign model
directory (--dir-gib, default 2) is generated too and scanned with the default jobs (all cores)
against openssl on all cores. Standard library only.

Usage: python3 benches/adversarial.py [WORKDIR] [--aibom BIN] [--runs N] [--peers]
       [--venv DIR] [--json OUT] [--sizes 1,100] [--dir-gib 2] [--only TEXT]
"""

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000
PEER_ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1", NO_COLOR="1",
                HF_HUB_OFFLINE="1", TERM="dumb")


# --- shapes ------------------------------------------------------------------------------------

def frame_overrun(size, fill):
    """PROTO 4, FRAME 1, BINBYTES n, fill * n: every later byte is a re-reading start."""
    n = size - 16
    return b"\x80\x04\x95" + struct.pack("<Q", 1) + b"B" + struct.pack("<I", n) + fill * n


def overrun_line(size):
    """PROTO 4, FRAME 1, then one INT line to the end: every position in it starts a reading
    of one opcode that runs to the newline (found by fuzzing; quadratic before side readings
    were charged for their bytes)."""
    n = size - 12
    return b"\x80\x04\x95" + struct.pack("<Q", 1) + b"I" * n + b"\n"


def overrun_unicode(size):
    """PROTO 4, FRAME 1, then one UNICODE line to the end whose every other byte is `V` and the
    rest latin-1: every `V` starts a side reading of the rest of the line (found by fuzzing:
    decoding was quadratic in a line of non-ASCII bytes, and each reading decoded the rest of
    the line: 1 MB took 0.8 s, 400 KB of one reading 1 s)."""
    n = (size - 14) // 2
    return b"\x80\x04\x95" + struct.pack("<Q", 1) + b"V" + b"V\xe9" * n + b"\n."


def finding_flood(size):
    """Unknown imports (each a medium finding) until `size`, then os.system called."""
    out = bytearray(b"\x80\x02")
    i = 0
    tail = b"cos\nsystem\nX" + struct.pack("<I", 17) + b"echo aibom-sample\x85R."
    while len(out) < size - len(tail):
        out += b"cmylib\nT%d\n0" % i
        i += 1
    return bytes(out + tail)


def dotted_flood(size):
    """Distinct imports whose names have 2,000 one-letter components, just under the 4 KiB
    name limit (every component a place a denylisted attribute path could start; checking
    every prefix at every start was quadratic: 0.8 MB took 58 s), then os.system called."""
    name = b".".join([b"a"] * 2000)
    out = bytearray(b"\x80\x02")
    tail = b"cos\nsystem\nX" + struct.pack("<I", 17) + b"echo aibom-sample\x85R."
    i = 0
    while len(out) + len(name) + 20 < size - len(tail):
        out += b"cmylib\nT%d." % i + name + b"\n0"
        i += 1
    out += b"N" * (size - len(tail) - len(out) - 1) + b"0"
    return bytes(out + tail)


def denied_flood(size, components):
    """Distinct imports below os.system (each a critical finding, never dropped below the
    per-file cap), with `components` one-letter components after a counter: 50,000 findings
    of 4 KB names held 295 MiB before findings were clipped and capped at 10,000."""
    name = b".".join([b"a"] * components)
    out = bytearray(b"\x80\x02")
    i = 0
    while len(out) + len(name) + 30 < size:
        out += b"cos\nsystem.T%d." % i + name + b"\n0"
        i += 1
    out += b"N" * (size - len(out) - 2) + b"0."
    return bytes(out)


def opcode_heavy(size):
    """What pickle.dump([(i, 'k%d' % i, float(i)) ...], f, 4) writes (benign), to `size`."""
    out = bytearray(b"\x80\x04]\x94(")
    i = 0
    while len(out) < size - 2:
        s = b"k%d" % i
        out += b"J" + struct.pack("<i", i) + b"\x8c" + bytes([len(s)]) + s + b"\x94G"
        out += struct.pack(">d", float(i)) + b"\x87\x94"
        i += 1
        if i % 1000 == 0:
            out += b"e("
    return bytes(out + b"e.")


def memo_flood(size):
    """A string memoized at fresh indices, the way a vocabulary pickle does, to `size`."""
    out = bytearray(b"\x80\x04")
    i = 0
    while len(out) < size - 1:
        s = b"w%d" % i
        out += b"\x8c" + bytes([len(s)]) + s + b"r" + struct.pack("<I", i) + b"0"
        i += 1
    return bytes(out + b"N.")


def small_frames_overrun(size):
    """Small frames each ending in a LONG1 that runs one byte past it (found by review): every
    frame disagrees with its opcodes, so the file is read again as io.BytesIO and six buffered
    files read it (a search over which frames to read whole took 3.1 s and 753 MB per MB)."""
    out = bytearray(b"\x80\x04")
    body = b"N0" * 40 + b"\x8a\x02\x00"
    while len(out) < size - 1:
        out += b"\x95" + struct.pack("<Q", len(body)) + body + b"\xff0"
    return bytes(out + b".")


def ext_flood_overrun(size):
    """EXT1 after EXT1 inside the bytes that overrun a frame (found by review): each side
    reading finds one and is read in full, and each reported every EXT of the rest (13 s for
    500 KB before extension codes were reported once per stream)."""
    n = size - 17
    return (b"\x80\x04\x95" + struct.pack("<Q", 1) + b"B" + struct.pack("<I", n)
            + b"\x82\x01" * (n // 2) + b"N" * (n % 2) + b".")


def late_crossed_memo(size):
    """One frame of NONE, MEMOIZE, POP crossed by a BININT at its very end (found by review):
    every reading as a file object reads the same bytes as the first until the crossing, so
    none stops early, and each rebuilds the memo of a third of a million entries."""
    body = b"N\x940" * ((size - 20) // 3)
    frame = body + b"J\x01\x02"
    return b"\x80\x04\x95" + struct.pack("<Q", len(frame)) + frame + b"\x03\x04N."


def nested_bytes_reused(size):
    """One memoized pickle of 100 KB handed to torch's `_load_from_bytes` again and again
    through the memo (found by review: each call scanned it again, 49 s for 0.8 MB)."""
    inner = b"\x80\x02X" + struct.pack("<I", 100_000) + b"a" * 100_000 + b"."
    out = bytearray(b"\x80\x02ctorch.storage\n_load_from_bytes\nq\x00B"
                    + struct.pack("<I", len(inner)) + inner + b"q\x010")
    while len(out) < size - 2:
        out += b"h\x00h\x01\x85R0"
    return bytes(out + b"N.")


def dicts_in_tuples(size):
    """Stack slots each holding a tuple of 64 one-entry dicts (found by review: 16 MB held
    1.2 GiB, reported clean, before the stack's tuples and dicts were counted)."""
    group = b"(" + b"}NNs" * 64 + b"t"
    return b"\x80\x04" + group * ((size - 3) // len(group)) + b"."


def shared_dict_nesting(size):
    """One dict put 64 times into a tuple with DUP, that tuple 64 times into the next, five
    levels deep, popped, again (found by review: the first 332 bytes took 41 s, clean, when
    every push asked every path to the dict)."""
    block = b"(" * 5 + b"}NNs" + (b"2" * 63 + b"t") * 5 + b"0"
    return b"\x80\x04" + block * ((size - 3) // len(block)) + b"."


def nested_loads(size):
    """Pickles handed to pickle.loads inside pickles, four levels, each holding a full stack,
    open MARKs and a memo of one import when the next is loaded (found by review: every level
    had room of its own, all alive at once; 10 MB held 351 MB)."""
    per = max(size // 4, 64)
    n = per // 4

    def level(inner):
        b = bytearray(b"\x80\x04\x8c\x08builtins\x8c\x03int\x93" + b"\x94" * n + b"0")
        b += b"N" * n + b"(" * n
        if inner is not None:
            b += b"\x8c\x06pickle\x8c\x05loads\x93\x8e" + struct.pack("<Q", len(inner))
            b += inner + b"\x85R"
        return bytes(b + b".")

    data = None
    for _ in range(4):
        data = level(data)
    return data


def memoized_calls(size):
    """A benign list of datetime.date objects, each memoized as pickle.dumps memoizes it (700,000
    of them passed the cap on references the memo holds, and the analysis stopped)."""
    out = bytearray(b"\x80\x02]q\x00cdatetime\ndate\nq\x010")
    i = 2
    while len(out) < size - 17:
        out += b"h\x01C\x04\x07\xd0\x01\x01\x85Rr" + struct.pack("<I", i) + b"a"
        i += 1
    return bytes(out + b".")


def mark_flood(size):
    """Open MARKs and empty lists (the stack and mark stack grow with the input)."""
    return b"\x80\x02" + b"(]" * ((size - 3) // 2) + b"."


def dict_flood(size):
    """EMPTY_DICT after EMPTY_DICT: each one a live object on the stack (found by fuzzing
    through a 189-byte bzip2 stream: 95 MiB of dicts for 1 MB of opcodes)."""
    return b"\x80\x04" + b"}" * (size - 3) + b"."


def zip_many(size):
    """A stored zip of many tiny members (both directories walked)."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        i = 0
        while buf.tell() < size * 0.45:
            z.writestr("archive/data/%d" % i, b"x")
            i += 1
    return buf.getvalue()


def tar_many(size):
    """A tar of many one-byte members (1 KiB each: header and padded data; stops at the
    100,000-member limit at 100 MB)."""
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for i in range(max(1, size // 1024 - 10)):
            ti = tarfile.TarInfo("model/data/%d" % i)
            ti.size = 1
            t.addfile(ti, io.BytesIO(b"x"))
    return buf.getvalue()


def every_limit_at_once(size):
    """Every part of the analysis's memory at its limit at once (found by review: 101 MB of
    RSS from 35 MB): references memoized up to the memo's cap, memoized 1 MiB strings, dicts
    with a joblib wrapper's reserve open, a deep stack, open MARKs; a quarter of the input each
    (past 35 MB, NONE and POP to the size)."""
    def su(s):
        return b"\x8c" + bytes([len(s)]) + s
    q = min(size, 35 * MB) // 4
    out = bytearray(b"\x80\x04" + su(b"builtins") + su(b"int") + b"\x93" + b"\x94" * min(q, 520_000)
                    + b"0" + su(b"joblib.numpy_pickle") + su(b"NumpyArrayWrapper") + b"\x93)\x81")
    one = min(1 << 20, q // 2)
    for i in range(max(q // (one + 6), 1)):
        out += b"X" + struct.pack("<I", one) + bytes([65 + i % 26]) * one + b"\x94"
    out += b"}NNs" * (q // 4) + b"N" * (q // 2) + b"(" * (q // 2)
    out += b"N0" * max((size - len(out) - 2) // 2, 0)
    return bytes(out + b"N.")


def late_crossed_memo_bz2(size):
    """The memo flood crossed at its frame's very end, bzip2'd (found by fuzzing: 108 bytes that
    decompress to 16 MB took 0.7 s): every reading as a file object decompresses it again."""
    import bz2
    return bz2.compress(late_crossed_memo(size), 9)


def tar_many_gz(size):
    """The tar of tiny members gzip'd: `size` is the tar's, the file about a hundredth of it
    (read as it is decompressed; the floor is decompressing and hashing, not hashing the file)."""
    import gzip
    return gzip.compress(tar_many(size), 6, mtime=0)


# Shapes whose floor is not hashing the file: (shell command on "$1", what it is, file suffix).
FLOORS = {
    "memo flood crossed at its frame's end, bzip2'd (size: the pickle's)":
        ('bzip2 -dc "$1" | openssl dgst -sha256', "bzip2 -dc | openssl", ".pkl.bz2"),
    "tar of tiny members, gzip'd (size: the tar's)":
        ('gzip -dc "$1" | openssl dgst -sha256', "gzip -dc | openssl", ".tar.gz"),
}

SHAPES = [
    ("frame overrun, NONE flood", lambda n: frame_overrun(n, b"N")),
    ("frame overrun, MARK flood", lambda n: frame_overrun(n, b"(")),
    ("frame overrun, REDUCE flood (every start breaks at once)", lambda n: frame_overrun(n, b"R")),
    ("frame overrun, one long INT line", overrun_line),
    ("frame overrun, one long latin-1 UNICODE line of V", overrun_unicode),
    ("unknown-import flood + os.system", finding_flood),
    ("dotted-name imports + os.system", dotted_flood),
    ("denied imports (critical findings)", lambda n: denied_flood(n, 1)),
    ("denied imports with 4 KB names", lambda n: denied_flood(n, 1900)),
    ("small frames each overrun by a LONG1 (eight readings)", small_frames_overrun),
    ("EXT1 flood behind a frame overrun", ext_flood_overrun),
    ("one 100 KB pickle handed to a loader again and again", nested_bytes_reused),
    ("memo flood in one frame, crossed at its very end", late_crossed_memo),
    ("memo flood crossed at its frame's end, bzip2'd (size: the pickle's)", late_crossed_memo_bz2),
    ("memo flood (fresh indices)", memo_flood),
    ("tuples of 64 dicts on the stack", dicts_in_tuples),
    ("one dict shared through five levels of tuples", shared_dict_nesting),
    ("pickles nested four deep through pickle.loads, each level full", nested_loads),
    ("benign: memoized datetime.date objects", memoized_calls),
    ("MARK + list flood", mark_flood),
    ("EMPTY_DICT flood", dict_flood),
    ("every memory limit at once", every_limit_at_once),
    ("opcode-heavy benign tuples", opcode_heavy),
    ("zip of tiny members", zip_many),
    ("tar of tiny members", tar_many),
    ("tar of tiny members, gzip'd (size: the tar's)", tar_many_gz),
]


# --- measuring ---------------------------------------------------------------------------------

def timed(cmd, runs, timeout=None, env=None):
    """(median seconds, peak RSS KiB of the slowest run, exit code); None time on timeout."""
    times, rss, code = [], 0, None
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True,
                               timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, 0, None
        times.append(time.perf_counter() - t0)
        code = p.returncode
        last = p.stderr.decode(errors="replace").strip().splitlines()
        try:
            rss = max(rss, int(last[-1]))
        except (IndexError, ValueError):
            pass
    return statistics.median(times), rss, code


def fmt_s(t):
    return "timeout" if t is None else f"{t:.3f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", nargs="?", default="/tmp/aibom-adversarial")
    ap.add_argument("--aibom")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="1,100", help="sizes in MB")
    ap.add_argument("--peers", action="store_true")
    ap.add_argument("--venv", default="/tmp/aibom-peers")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--dir-gib", type=float, default=2)
    ap.add_argument("--json")
    ap.add_argument("--only", help="only the shapes whose name holds this text")
    a = ap.parse_args()

    work = Path(a.work).resolve()
    if REPO in work.parents or work == REPO:
        sys.exit("work dir must be outside the repository")
    work.mkdir(parents=True, exist_ok=True)
    aibom = a.aibom
    if not aibom:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        aibom = str(work / "aibom")
        shutil.copy(REPO / "target/release/aibom", aibom)
    openssl = shutil.which("openssl") or sys.exit("openssl is needed")

    rows = []
    for size_mb in [int(s) for s in a.sizes.split(",")]:
        for name, make in SHAPES:
            if a.only and a.only not in name:
                continue
            slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
            suffix = FLOORS[name][2] if name in FLOORS else ".bin"
            path = work / f"{slug}-{size_mb}MB{suffix}"
            if not path.exists() or (name not in FLOORS
                                     and path.stat().st_size < size_mb * MB * 0.4):
                path.write_bytes(make(size_mb * MB))
            t, rss, code = timed([aibom, "scan", "-j", "1", "--no-progress", str(path)],
                                 a.runs, a.timeout)
            floor = FLOORS.get(name)
            if floor:
                h, _, _ = timed(["sh", "-c", floor[0], "sh", str(path)], a.runs)
            else:
                h, _, _ = timed([openssl, "dgst", "-sha256", str(path)], a.runs)
            row = {"shape": name, "bytes": path.stat().st_size, "aibom_s": t,
                   "aibom_rss_kib": rss, "aibom_exit": code, "openssl_s": h,
                   "floor": floor[1] if floor else "openssl",
                   "ratio": (t / h) if t and h else None}
            if a.peers and ("opcode-heavy" in name or "flood +" in name):
                for peer, cmd in (("picklescan", ["picklescan", "-p"]),
                                  ("modelaudit", ["modelaudit", "scan"]),
                                  ("fickling", ["fickling", "--check-safety"])):
                    exe = Path(a.venv) / "bin" / cmd[0]
                    if exe.exists():
                        pt, prss, pcode = timed([str(exe)] + cmd[1:] + [str(path)], 1,
                                                a.timeout, PEER_ENV)
                        row[peer] = {"s": pt, "rss_kib": prss, "exit": pcode}
            rows.append(row)
            print(f"{name:36} {row['bytes'] / MB:7.1f} MB  aibom {fmt_s(t):>10} "
                  f"{rss / 1024:6.1f} MiB  exit {code}  {row['floor']} {fmt_s(h):>10}  "
                  f"ratio {row['ratio'] or 0:5.2f}"
                  + "".join(f"  {p} {fmt_s(row[p]['s'])} {row[p]['rss_kib'] / 1024:.0f} MiB"
                            f" exit {row[p]['exit']}"
                            for p in ("picklescan", "modelaudit", "fickling") if p in row),
                  flush=True)

    if a.dir_gib > 0:
        d = work / f"model-{a.dir_gib}GiB"
        marker = d / ".done"
        if not marker.exists():
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            # safetensors shards of random-looking bytes and a small config.
            shard = 256 << 20
            total = int(a.dir_gib * (1 << 30))
            block = os.urandom(1 << 20)
            for k in range(max(1, total // shard)):
                header = json.dumps({"w": {"dtype": "U8", "shape": [shard],
                                           "data_offsets": [0, shard]}}).encode()
                header += b" " * (-len(header) % 8)
                with open(d / f"model-{k:05}.safetensors", "wb") as f:
                    f.write(struct.pack("<Q", len(header)) + header)
                    for _ in range(shard >> 20):
                        f.write(block)
            (d / "config.json").write_text('{"model_type": "llama"}')
            marker.write_text("ok")
        files = sorted(str(p) for p in d.glob("*.safetensors"))
        t, rss, code = timed([aibom, "scan", "--no-progress", str(d)], a.runs)
        h, _, _ = timed(["sh", "-c", 'printf "%s\\n" "$@" | xargs -P2 -n1 openssl dgst -sha256 >/dev/null',
                         "sh"] + files, a.runs)
        row = {"shape": f"benign model directory ({a.dir_gib} GiB, all cores)",
               "bytes": sum(os.path.getsize(f) for f in files), "aibom_s": t,
               "aibom_rss_kib": rss, "aibom_exit": code, "openssl_s": h,
               "ratio": (t / h) if t and h else None}
        rows.append(row)
        print(f"{row['shape']:36} {row['bytes'] / MB:7.1f} MB  aibom {fmt_s(t):>10} "
              f"{rss / 1024:6.1f} MiB  exit {code}  openssl {fmt_s(h):>10}  "
              f"ratio {row['ratio'] or 0:5.2f}", flush=True)

    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
