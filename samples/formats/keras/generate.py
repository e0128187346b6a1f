#!/usr/bin/env python3
"""Rebuild the Keras samples: samples/formats/keras/{benign,malicious,malformed}/ and expected.json.

The `.keras` archives need only the standard library: they are written by hand in the Keras 3
layout (a zip of `metadata.json`, `config.json` and `model.weights.h5`, as
`keras.saving.save_model` writes it), with fixed timestamps, so the bytes are the same on
every run. Their `model.weights.h5` is a placeholder: the 8-byte HDF5 signature and zero
padding, not a real weights file (aibom reads the config, never the weights; Keras would refuse
to load them).

The legacy `.h5` files (the Keras 2 `model.save("m.h5")` layout: root attributes
`keras_version`, `backend`, `model_config` as UTF-8 bytes, and a `model_weights` group) need
h5py from PyPI, in a venv:

    python3 -m venv /tmp/h5-venv && /tmp/h5-venv/bin/pip install h5py
    /tmp/h5-venv/bin/python samples/formats/keras/generate.py

Without h5py the `.h5` files on disk are kept as they are (their bytes depend on the HDF5
library version; these were made with h5py 3.16 / HDF5 2.0). `--check` compares what would be
written with what is on disk and writes nothing.

No model is built or loaded and nothing is unmarshalled: the Lambda samples carry base64 of
plain ASCII text where Keras would put marshalled bytecode, so even a loader that tried would
fail on it. The "custom object" module `evil_pkg` does not exist.

expected.json uses the format of samples/expected.json: paths relative to samples/, each with
the verdict aibom must give and the finding codes that must appear.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT.parent.parent
OUTPUT_DIRS = ("benign", "malicious", "malformed")

KERAS_VERSION = "3.6.0"
# Fixed, so that the archives are byte-for-byte reproducible.
DATE_SAVED = "2024-10-01@12:00:00"
ZIP_TIME = (2024, 10, 1, 12, 0, 0)
H5_PLACEHOLDER = b"\x89HDF\r\n\x1a\n" + bytes(88)

# Harmless bytes where Keras puts base64(marshal.dumps(code)): not bytecode at all.
HARMLESS_CODE = base64.b64encode(b"aibom-sample: harmless bytes, not Python bytecode").decode()


def dtype_policy() -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def initializer(name: str, config: dict | None = None) -> dict:
    return {"module": "keras.initializers", "class_name": name, "config": config or {},
            "registered_name": None}


def input_layer() -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False,
                       "name": "input_layer"},
            "registered_name": None}


def dense(name: str, units: int, activation: str = "relu", inputs: int = 3) -> dict:
    return {
        "module": "keras.layers", "class_name": "Dense",
        "config": {
            "name": name, "trainable": True, "dtype": dtype_policy(), "units": units,
            "activation": activation, "use_bias": True,
            "kernel_initializer": initializer("GlorotUniform", {"seed": None}),
            "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None,
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, inputs]},
    }


def lambda_layer(name: str) -> dict:
    # Keras 3's Lambda.get_config: the function serialized as a `__lambda__` object.
    return {
        "module": "keras.layers", "class_name": "Lambda",
        "config": {
            "name": name, "trainable": True, "dtype": dtype_policy(),
            "function": {"class_name": "__lambda__",
                         "config": {"code": HARMLESS_CODE, "defaults": None, "closure": None}},
            "arguments": {},
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, 2]},
    }


def custom_layer() -> dict:
    # What @keras.saving.register_keras_serializable(package="evil_pkg") writes for a layer
    # class defined in the module evil_pkg.layers.
    return {
        "module": "evil_pkg.layers", "class_name": "Backdoor",
        "config": {"name": "backdoor", "trainable": True, "dtype": dtype_policy()},
        "registered_name": "evil_pkg>Backdoor",
        "build_config": {"input_shape": [None, 2]},
    }


def sequential(layers: list[dict], compile_config: dict | None = None) -> dict:
    return {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(),
                   "layers": [input_layer(), *layers]},
        "registered_name": None,
        "build_config": {"input_shape": [None, 3]},
        "compile_config": compile_config,
    }


# Real weight files made by Keras itself (weights/make_weights.py), for the samples that real
# Keras must load; the others carry a placeholder Keras never reaches (it refuses them first).
WEIGHTS = ROOT / "weights"


def keras_zip(config: bytes, weights: bytes = H5_PLACEHOLDER) -> bytes:
    """A .keras archive: members in the order Keras writes them, deflated like zipfile's
    ZIP_DEFLATED, fixed timestamps and permissions."""
    metadata = json.dumps({"keras_version": KERAS_VERSION, "date_saved": DATE_SAVED}).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data, method in (("metadata.json", metadata, zipfile.ZIP_DEFLATED),
                                   ("config.json", config, zipfile.ZIP_DEFLATED),
                                   ("model.weights.h5", weights, zipfile.ZIP_STORED)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def config_bytes(model: dict) -> bytes:
    return json.dumps(model).encode()


# ---------------------------------------------------------------------------------------------
# Legacy HDF5 (Keras 2)

def legacy_dense(name: str, units: int) -> dict:
    return {"module": "keras.layers", "class_name": "Dense",
            "config": {"name": name, "trainable": True, "dtype": "float32", "units": units,
                       "activation": "relu", "use_bias": True,
                       "kernel_initializer": initializer("GlorotUniform", {"seed": None}),
                       "bias_initializer": initializer("Zeros"),
                       "kernel_regularizer": None, "bias_regularizer": None,
                       "activity_regularizer": None, "kernel_constraint": None,
                       "bias_constraint": None},
            "registered_name": None, "build_config": {"input_shape": [None, 3]}}


def legacy_lambda(name: str) -> dict:
    # tf.keras 2's Lambda.get_config: [code, defaults, closure] with function_type "lambda";
    # func_dump writes the base64 with a newline every 76 characters.
    code = base64.encodebytes(b"aibom-sample: harmless bytes, not Python bytecode").decode()
    return {"module": "keras.layers", "class_name": "Lambda",
            "config": {"name": name, "trainable": True, "dtype": "float32",
                       "function": [code, None, None], "function_type": "lambda",
                       "module": "__main__", "output_shape": None,
                       "output_shape_type": "raw", "output_shape_module": None,
                       "arguments": {}},
            "registered_name": None, "build_config": {"input_shape": [None, 2]}}


def legacy_model(layers: list[dict]) -> dict:
    return {"class_name": "Sequential",
            "config": {"name": "sequential",
                       "layers": [{"module": "keras.layers", "class_name": "InputLayer",
                                   "config": {"batch_input_shape": [None, 3],
                                              "dtype": "float32", "sparse": False,
                                              "ragged": False, "name": "dense_input"},
                                   "registered_name": None}, *layers]},
            "keras_version": "2.15.0", "backend": "tensorflow"}


def legacy_h5(model: dict) -> bytes | None:
    """save_model_to_hdf5's layout, written with h5py into memory; None without h5py."""
    try:
        import h5py
        import numpy as np
    except ImportError:
        return None
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model).encode("utf8")
        weights = f.create_group("model_weights")
        names = [l["config"]["name"] for l in model["config"]["layers"]]
        weights.attrs["layer_names"] = np.array([n.encode() for n in names])
        weights.attrs["backend"] = b"tensorflow"
        weights.attrs["keras_version"] = b"2.15.0"
        for layer in model["config"]["layers"]:
            name = layer["config"]["name"]
            g = weights.create_group(name)
            if layer["class_name"] == "Dense":
                units = layer["config"]["units"]
                g.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(),
                                                    f"{name}/bias:0".encode()])
                inner = g.create_group(name)
                inner.create_dataset("kernel:0", data=np.full((3, units), 0.5, dtype="f4"))
                inner.create_dataset("bias:0", data=np.zeros((units,), dtype="f4"))
            else:
                g.attrs["weight_names"] = np.array([], dtype="S1")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------

def build() -> tuple[dict[str, bytes | None], dict[str, dict]]:
    files: dict[str, bytes | None] = {}
    expect: dict[str, dict] = {}

    def add(rel: str, data: bytes | None, verdict: str, codes: list[str], why: str) -> None:
        files[rel] = data
        expect[str((ROOT / rel).relative_to(SAMPLES))] = {
            "verdict": verdict, "codes": codes, "why": why}

    add("benign/dense.keras",
        keras_zip(config_bytes(sequential([dense("dense", 4),
                                           dense("dense_1", 2, "linear", inputs=4)],
                                          {"optimizer": "adam", "loss": "mse"})),
                  (WEIGHTS / "dense.weights.h5").read_bytes()),
        "clean", [],
        "Keras 3 archive: Sequential of InputLayer and two Dense layers, keras.* modules only")
    add("malicious/lambda.keras",
        keras_zip(config_bytes(sequential([dense("dense", 2), lambda_layer("lambda")]))),
        "unsafe", ["keras-lambda"],
        "Lambda layer whose function is a __lambda__ object with base64 'code' "
        "(harmless ASCII here; Keras unmarshals and runs it when safe_mode is off)")
    add("malicious/custom_object.keras",
        keras_zip(config_bytes(sequential([dense("dense", 2), custom_layer()]))),
        "clean", ["keras-custom-object"],
        "layer class from module evil_pkg.layers (registered_name evil_pkg>Backdoor): imported "
        "at load time; medium, below the default --fail-on high, as custom layers are common")
    builtins_fn = {"module": "builtins", "class_name": "function", "config": "exec",
                   "registered_name": "function"}
    add("malicious/builtins_function.keras",
        keras_zip(config_bytes(sequential([dense("dense", 2)],
                                          {"optimizer": "adam", "loss": builtins_fn})),
                  (WEIGHTS / "one_dense.weights.h5").read_bytes()),
        "unsafe", ["keras-custom-object"],
        "compile_config loss is the function builtins.exec: a gadget from a dangerous module "
        "(critical), not a custom layer")
    add("malformed/bad_config.keras", keras_zip(b"{'class_name': 'Sequential', oops"),
        "malformed", ["keras-malformed"],
        "config.json is not JSON (Python repr with single quotes, cut short)")

    add("benign/legacy.h5", legacy_h5(legacy_model([legacy_dense("dense", 2)])),
        "clean", [],
        "Keras 2 .h5 (h5py): root attributes keras_version, backend, model_config "
        "(Sequential, Dense), model_weights group; the config is checked and every node's "
        "attributes walked (none that PyTables would unpickle), so clean")
    add("malicious/legacy_lambda.h5",
        legacy_h5(legacy_model([legacy_dense("dense", 2), legacy_lambda("lambda")])),
        "unsafe", ["keras-lambda"],
        "Keras 2 .h5 whose model_config has a Lambda layer: function [base64 code, None, "
        "None], function_type lambda (tf.keras loads it without any safe mode)")
    return files, expect


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="write nothing; fail if the files on disk differ from what would be "
                         "generated")
    args = ap.parse_args()
    files, expect = build()
    files_out = {rel: data for rel, data in files.items()}
    files_out["expected.json"] = (
        json.dumps({k: expect[k] for k in sorted(expect)}, indent=2) + "\n").encode()
    skipped = [rel for rel, data in files_out.items() if data is None]
    for rel in skipped:
        print(f"h5py not available: {rel} kept as it is", file=sys.stderr)

    if args.check:
        problems = []
        for rel, data in files_out.items():
            p = ROOT / rel
            if not p.is_file():
                problems.append(f"missing: {rel}")
            elif data is not None and p.read_bytes() != data:
                problems.append(f"differs: {rel}")
        for d in OUTPUT_DIRS:
            for p in sorted((ROOT / d).rglob("*")) if (ROOT / d).exists() else []:
                rel = p.relative_to(ROOT).as_posix()
                if p.is_file() and rel not in files_out:
                    problems.append(f"not generated: {rel}")
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0

    for d in OUTPUT_DIRS:
        for p in sorted((ROOT / d).rglob("*"), reverse=True) if (ROOT / d).exists() else []:
            rel = p.relative_to(ROOT).as_posix()
            if p.is_file() and rel not in files_out:
                p.unlink()
    for rel, data in files_out.items():
        if data is None:
            continue
        p = ROOT / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"wrote {len(files_out) - len(skipped)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
