#!/usr/bin/env python3
"""Rebuild the MessagePack samples: samples/formats/msgpack/{benign,malicious,malformed}/ and
expected.json, written by the real libraries, then checked against the real loader.

    python3 -m venv /tmp/msgpack-venv
    /tmp/msgpack-venv/bin/pip install msgpack msgpack-numpy srsly numpy
    /tmp/msgpack-venv/bin/python samples/formats/msgpack/generate.py

* benign/thinc_weights.msgpack: what spaCy/thinc write for a layer's parameters
  (`srsly.msgpack_dumps` of a dict of float32 arrays: msgpack-numpy maps of kind `f`);
* benign/numpy_cache.msgpack: `msgpack_numpy.packb` of float and int arrays;
* malicious/object_array.msgpack: `msgpack_numpy.packb` of an object array holding an object
  whose pickle calls `os.system("echo aibom-sample")`; `msgpack_numpy.decode` unpickles it;
* malformed/cut.msgpack: the benign cache cut short (not one whole document: not recognised).

The check at the end loads the malicious sample with `msgpack_numpy.unpackb` after replacing the
`pickle.loads` it calls by a recorder, so the payload never runs: it shows the loader hands
exactly the array's bytes to `pickle.loads`. The output is deterministic (no timestamps).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import msgpack
import msgpack_numpy
import numpy as np
import srsly

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT.parent.parent
OUTPUT_DIRS = ("benign", "malicious", "malformed")


class Payload:
    """Pickles as os.system("echo aibom-sample"): never unpickle the sample."""

    def __reduce__(self):
        return (os.system, ("echo aibom-sample",))


def main() -> None:
    for d in OUTPUT_DIRS:
        shutil.rmtree(ROOT / d, ignore_errors=True)
        (ROOT / d).mkdir()
    expected = {}

    def put(rel: str, data: bytes, verdict: str, codes: list[str], why: str) -> None:
        (ROOT / rel).write_bytes(data)
        expected[f"formats/msgpack/{rel}"] = {"verdict": verdict, "codes": codes, "why": why}

    weights = {
        "W": np.arange(6, dtype="float32").reshape(2, 3),
        "b": np.zeros(3, dtype="float32"),
        "name": "dense",
    }
    put("benign/thinc_weights.msgpack", srsly.msgpack_dumps(weights), "clean", [],
        "srsly.msgpack_dumps of float32 arrays and a name, as thinc saves a layer: msgpack-numpy maps of kind f, nothing unpickled")
    cache = msgpack_numpy.packb({"x": np.linspace(0, 1, 4), "ids": np.arange(3)})
    put("benign/numpy_cache.msgpack", cache, "clean", [],
        "msgpack_numpy.packb of a float64 and an int64 array: data only")
    obj = np.empty(1, dtype=object)
    obj[0] = Payload()
    evil = msgpack_numpy.packb({"meta": "cache", "arr": obj})
    put("malicious/object_array.msgpack", evil, "unsafe",
        ["npy-object-array", "pickle-dangerous-global", "pickle-dangerous-call"],
        "msgpack_numpy.packb of an object array: msgpack_numpy.decode calls pickle.loads on its data, whose pickle calls os.system('echo aibom-sample')")
    put("malformed/cut.msgpack", cache[:-3], "unsupported", ["unknown-format"],
        "the benign cache cut three bytes short: not one whole MessagePack document, so not recognised (hashed only)")

    (ROOT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    check(evil)


def check(evil: bytes) -> None:
    """The real loader unpickles exactly the object array's data (recorded, never run)."""
    seen = []
    real = msgpack_numpy.pickle.loads
    msgpack_numpy.pickle.loads = lambda b, *a, **k: seen.append(bytes(b)) or "not unpickled"
    try:
        out = msgpack.unpackb(evil, object_hook=msgpack_numpy.decode)
    finally:
        msgpack_numpy.pickle.loads = real
    assert out["arr"] == "not unpickled", out
    assert len(seen) == 1 and b"system" in seen[0] and seen[0] in evil, seen
    # srsly (spaCy) decodes the same map without unpickling: it fails on the object dtype.
    try:
        srsly.msgpack_loads(evil)
    except (TypeError, ValueError):
        pass
    print("checked: msgpack_numpy.decode hands the object array's", len(seen[0]), "bytes to pickle.loads")


if __name__ == "__main__":
    main()
