#!/usr/bin/env python3
"""Rebuild the Core ML package samples: samples/formats/coreml/{benign,malicious}/ and
expected.json, written by coremltools, then read back with coremltools.

    python3 -m venv /tmp/coreml-venv && /tmp/coreml-venv/bin/pip install coremltools numpy
    /tmp/coreml-venv/bin/python samples/formats/coreml/generate.py

* benign/Linear.mlpackage: an ML program (one `linear` layer, 64x64 float32 weights) saved by
  `MLModel.save`: `Manifest.json`, `Data/com.apple.CoreML/model.mlmodel` and the weights the
  program reads by offset, `Data/com.apple.CoreML/weights/weight.bin` (blob storage);
* malicious/pickled_weights.mlpackage: the same package with a pickle calling
  `os.system("echo aibom-sample")` in place of `weight.bin`. Core ML would read the bytes as
  numbers, but the file's own bytes are a pickle, and a pickle is reported wherever it is.

coremltools writes a random identifier per item into `Manifest.json` and the conversion date
into the spec's metadata, and serializes protobuf maps in any order; the identifiers are
replaced by fixed ones (consistently, `rootModelIdentifier` too), the date is left out and the
spec is written again with map keys sorted, so that the output is deterministic. The
check at the end opens each package with `coremltools.models.MLModel(..., skip_model_load=True)`
(loading for prediction needs macOS) and reads the spec: an ML program whose weights are in
the package. Nothing is unpickled.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import coremltools as ct
import numpy as np
from coremltools.converters.mil import Builder as mb
from coremltools.proto import Model_pb2

ROOT = Path(__file__).resolve().parent
OUTPUT_DIRS = ("benign", "malicious")
WEIGHTS = "Data/com.apple.CoreML/weights/weight.bin"
# pickle.dumps of os.system("echo aibom-sample") at protocol 2, written out by hand.
MAL = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R."


def build(path: Path) -> None:
    w = np.random.RandomState(0).rand(64, 64).astype(np.float32)

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 64))])
    def prog(x):
        return mb.linear(x=x, weight=w)

    model = ct.convert(prog, convert_to="mlprogram", compute_precision=ct.precision.FLOAT32)
    # The one varying field of the spec: when it was converted.
    model.user_defined_metadata.pop("com.github.apple.coremltools.conversion_date", None)
    model.save(str(path))
    # Protobuf maps (metadata, the program's attributes) come out in any order: written again
    # with map keys sorted.
    spec_path = path / "Data/com.apple.CoreML/model.mlmodel"
    spec = Model_pb2.Model()
    spec.ParseFromString(spec_path.read_bytes())
    spec_path.write_bytes(spec.SerializeToString(deterministic=True))
    manifest = path / "Manifest.json"
    doc = json.loads(manifest.read_text())
    entries = sorted(doc["itemInfoEntries"], key=lambda k: doc["itemInfoEntries"][k]["path"])
    ids = {old: f"00000000-0000-4000-8000-{i:012d}" for i, old in enumerate(entries)}
    doc["itemInfoEntries"] = {ids[k]: v for k, v in doc["itemInfoEntries"].items()}
    doc["rootModelIdentifier"] = ids[doc["rootModelIdentifier"]]
    manifest.write_text(json.dumps(doc, indent=4, sort_keys=True) + "\n")


def check(path: Path) -> None:
    model = ct.models.MLModel(str(path), skip_model_load=True)
    spec = model.get_spec()
    assert spec.WhichOneof("Type") == "mlProgram", spec.WhichOneof("Type")
    assert (path / WEIGHTS).is_file()
    print(f"ok       {path.relative_to(ROOT)}: coremltools reads an ML program with weights in the package")


def main() -> None:
    for d in OUTPUT_DIRS:
        shutil.rmtree(ROOT / d, ignore_errors=True)
        (ROOT / d).mkdir()
    expected = {}
    benign = ROOT / "benign/Linear.mlpackage"
    build(benign)
    expected["formats/coreml/benign/Linear.mlpackage"] = {
        "verdict": "clean", "codes": [],
        "why": "coremltools MLModel.save of an ML program: the model, its Manifest.json and the weight.bin it reads "
               "by offset, recognised through the package (coreml-weights)",
    }
    bad = ROOT / "malicious/pickled_weights.mlpackage"
    build(bad)
    (bad / WEIGHTS).write_bytes(MAL)
    expected["formats/coreml/malicious/pickled_weights.mlpackage"] = {
        "verdict": "unsafe", "codes": ["pickle-dangerous-global", "pickle-dangerous-call"],
        "why": "the package's weight.bin replaced by a pickle calling os.system('echo aibom-sample'): "
               "a file whose bytes are a pickle keeps that reading inside a package",
    }
    for p in (benign, bad):
        check(p)
    (ROOT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
