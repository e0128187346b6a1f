#!/usr/bin/env python3
"""Checks the LZ4 joblib samples and aibom's LZ4 reading against the real lz4 and joblib.

    python3 -m venv /tmp/lz4v && /tmp/lz4v/bin/pip install lz4 joblib numpy
    cargo build && /tmp/lz4v/bin/python samples/check_lz4.py [path/to/aibom]

generate.py writes LZ4 frames with its own standard-library encoder (stored blocks, XXH32
checksums). This script checks, with python-lz4 (liblz4) and joblib:

* each LZ4 sample decompresses (`lz4.frame.decompress`, and joblib's own decompressing file
  object) to the same pickle bytes as its zlib twin, and joblib's compressor detection
  (`_detect_compressor`) calls it 'lz4';
* liblz4 reads through a block that decodes to nothing, an empty frame before the payload
  frame and a skippable frame between two frames, and decodes a frame whose descriptor names a
  dictionary without one (aibom's decoder is wrapped so it does too);
* liblz4 refuses a legacy frame (`lz4 -l`) after a frame, and aibom calls that stream
  malformed without the payload in the legacy frame (which never loads);
* aibom finds the payload in frames written by liblz4 itself (compressed blocks, linked blocks,
  content size and checksums) and reports nothing on a real `joblib.dump(compress='lz4')` of
  a NumPy array and an int.

Nothing is unpickled: files are only decompressed, and aibom reads them statically. Never call
joblib.load on the malicious sample (its payload runs `echo aibom-sample`).
"""
import io
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import joblib
import lz4.block
import lz4.frame
import numpy
from joblib.numpy_pickle_utils import _detect_compressor, _validate_fileobject_and_memmap

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
AIBOM = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/debug/aibom"

# LZ4 sample -> its zlib twin (the same pickle, zlib-compressed by the standard library).
PAIRS = {
    "malicious/joblib_lz4.joblib": "malicious/joblib_zlib.joblib",
    "benign/model_joblib_lz4.joblib": "benign/model_joblib_zlib.joblib",
}

failures = 0


def check(ok: bool, what: str) -> None:
    global failures
    failures += not ok
    print(f"{'ok' if ok else 'FAILED':8} {what}")


def joblib_decompressed(data: bytes) -> bytes:
    """What joblib's loader reads from the file object it opens for these bytes (decompression
    only: the unpickler is never run)."""
    with _validate_fileobject_and_memmap(io.BytesIO(data), "sample.joblib") as (f, _):
        return f.read()


def aibom_scan(path: Path) -> tuple[str, set[str]]:
    run = subprocess.run([str(AIBOM), "scan", "--format", "json", str(path)],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    codes = {f["code"] for t in report["targets"] for file in t["files"] for f in file["findings"]}
    return report["summary"]["verdict"], codes


def main() -> int:
    for lz4_path, zlib_path in PAIRS.items():
        data = (SAMPLES / lz4_path).read_bytes()
        want = zlib.decompress((SAMPLES / zlib_path).read_bytes())
        check(lz4.frame.decompress(data) == want, f"{lz4_path}: lz4.frame.decompress gives the pickle of {zlib_path}")
        check(_detect_compressor(io.BytesIO(data)) == "lz4", f"{lz4_path}: joblib detects compressor 'lz4'")
        check(joblib_decompressed(data) == want, f"{lz4_path}: joblib's LZ4 file object reads the same pickle")

    payload = zlib.decompress((SAMPLES / "malicious/joblib_zlib.joblib").read_bytes())
    frame = (SAMPLES / "malicious/joblib_lz4.joblib").read_bytes()
    # An empty stored block (size 0x80000000) right after the 7-byte frame header.
    empty_block = frame[:7] + struct.pack("<I", 0x80000000) + frame[7:]
    check(joblib_decompressed(empty_block) == payload, "liblz4 reads on past a block that decodes to nothing")
    empty_frame = lz4.frame.compress(b"") + frame
    check(joblib_decompressed(empty_frame) == payload, "liblz4 reads on past an empty frame")

    # A skippable frame between two frames is skipped; a frame naming a dictionary is decoded
    # without one (joblib never passes one).
    split = (SAMPLES / "malicious/joblib_lz4_skippable.joblib").read_bytes()
    check(joblib_decompressed(split) == payload, "liblz4 reads through a skippable frame into the next frame")
    named = (SAMPLES / "malicious/joblib_lz4_dictionary.joblib").read_bytes()
    check(named[4] & 0x01 == 1, "the dictionary sample's frame names a dictionary")
    check(joblib_decompressed(named) == payload, "liblz4 decodes a frame naming a dictionary without it")

    # A legacy frame (`lz4 -l`: magic, then each block's compressed size and the block) after a
    # frame: liblz4's frame decoder stops at an unknown frame type, so the pickle in it never loads.
    block = lz4.block.compress(payload, store_size=False)
    legacy = struct.pack("<II", 0x184C2102, len(block)) + block
    legacy_after = {
        "legacy_after.joblib": lz4.frame.compress(b"") + legacy,
        # After a skippable frame of no data.
        "legacy_after_skippable.joblib": lz4.frame.compress(b"") + struct.pack("<II", 0x184D2A50, 0) + legacy,
        # The committed sample: the same, its legacy block of literals only.
        "joblib_lz4_legacy_after_frame.joblib": (SAMPLES / "malformed/joblib_lz4_legacy_after_frame.joblib").read_bytes(),
    }
    for name, data in legacy_after.items():
        try:
            joblib_decompressed(data)
            refused = "read"
        except RuntimeError as e:
            refused = str(e)
        check("frameType_unknown" in refused, f"liblz4 refuses {name} ({refused})")

    if not AIBOM.is_file():
        print(f"{AIBOM} not found: run cargo build (or pass the binary's path)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        written = {
            "liblz4_default.joblib": lz4.frame.compress(payload),
            "liblz4_checksums.joblib": lz4.frame.compress(payload, block_linked=False, content_checksum=True,
                                                          block_checksum=True, store_size=True),
            # The call after 1 MiB of bytes pushed and popped (BINBYTES, POP): compressed,
            # linked blocks of 64 KiB.
            "liblz4_linked.joblib": lz4.frame.compress(
                payload[:2] + b"B" + struct.pack("<I", 1 << 20) + b"N" * (1 << 20) + b"0" + payload[2:],
                block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=True),
            "empty_block.joblib": empty_block,
            "empty_frame.joblib": empty_frame,
        }
        for name, data in written.items():
            (tmp / name).write_bytes(data)
            verdict, codes = aibom_scan(tmp / name)
            check(verdict == "unsafe" and "pickle-dangerous-global" in codes,
                  f"aibom {name}: {verdict} {sorted(codes)}")
        for name, data in legacy_after.items():
            (tmp / name).write_bytes(data)
            verdict, codes = aibom_scan(tmp / name)
            check(verdict == "malformed" and "archive-malformed" in codes and "pickle-dangerous-call" not in codes,
                  f"aibom {name} (a legacy frame liblz4 refuses): {verdict} {sorted(codes)}")
        real = tmp / "real_dump.joblib"
        joblib.dump({"coef": numpy.arange(4.0), "n_iter": 3}, real, compress="lz4")
        check(real.read_bytes()[:4] == b"\x04\x22\x4d\x18", "joblib.dump(compress='lz4') writes an LZ4 frame")
        verdict, codes = aibom_scan(real)
        check(verdict == "clean", f"aibom real_dump.joblib: {verdict} {sorted(codes)}")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
