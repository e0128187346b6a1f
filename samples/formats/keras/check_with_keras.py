#!/usr/bin/env python3
"""Check the hand-written Keras 3 samples (generate.py) against the real `keras` package.

Not part of the build or of CI: a one-off cross-check, run by hand in a throwaway venv OUTSIDE
the repo (Keras 3 needs a backend; JAX on CPU is the small one):

    python3 -m venv /tmp/keras-venv && /tmp/keras-venv/bin/pip install keras 'jax[cpu]'
    KERAS_BACKEND=jax /tmp/keras-venv/bin/python samples/formats/keras/check_with_keras.py

Last run with keras 3.15.1, jax/jaxlib 0.10.2, h5py 3.16.0, numpy 2.4.6 on Python 3.11.
(If jax will not install, plain `pip install torch` from PyPI with KERAS_BACKEND=torch should
do as well; not tried.)

Safety: every sample is loaded only through
`keras.saving.load_model(path, safe_mode=True, compile=False)`, never any other way.
- malicious/lambda.keras must be refused by safe mode (ValueError naming safe_mode and the
  Lambda layer) before Keras unmarshals its `code` (which is harmless ASCII anyway).
- malicious/custom_object.keras names module `evil_pkg.layers`, which does not exist (checked
  here before loading); Keras must refuse it, its inner error naming the class Backdoor
  (keras 3.15 does not even import modules outside keras/keras_hub/keras_cv/keras_nlp:
  "Could not locate class 'Backdoor'"; older Keras imports the module and fails with
  "its parent module evil_pkg.layers cannot be imported"; either is accepted).
- malicious/builtins_function.keras is loaded only after its config.json has been read and
  found to hold no `__lambda__` and no non-keras reference outside `compile_config`, and the
  installed Keras has been seen (in its own source) to drop `compile_config` when
  compile=False: then the `builtins.exec` loss is never even looked up, let alone called.
  Otherwise it is skipped, with the reason.
- benign/dense.keras must load and give InputLayer(3) -> Dense(4, relu) -> Dense(2, linear).
- malformed/bad_config.keras must fail to load.

Because generate.py writes `model.weights.h5` as a placeholder (HDF5 signature + zeros), the
script also builds the same models with real Keras in a temporary directory, saves them, and
(a) reports how the hand-written archive layout and config.json differ from what
`model.save()` writes, and (b) loads temporary variants of the sample (its own config.json
with a real weights file swapped in; its build_config shapes corrected; both), to tell a
config problem from a weights problem. Nothing in the repo is written.

Prints one `ok` / `FAIL` line per check (`info` lines are not counted) and ends with
`N passed, M failed`; exits 1 if anything failed.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent

try:
    import keras
except ImportError:
    sys.exit("keras is not installed here; see the setup at the top of this script")

RESULTS: list[bool] = []


def check(ok: bool, name: str, detail: str = "") -> bool:
    RESULTS.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
    return ok


def info(msg: str) -> None:
    print(f"info {msg}")


def one_line(e: BaseException, limit: int = 400) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= limit else text[:limit] + " ..."


def describe(e: BaseException) -> str:
    """The exception and, if different, the one it was raised while handling."""
    parts = [one_line(e)]
    ctx = e.__cause__ or e.__context__
    if ctx is not None and one_line(ctx) != parts[0]:
        parts.append("while handling " + one_line(ctx))
    return " | ".join(parts)


def safe_load(path: Path):
    """The ONLY way this script loads an archive."""
    return keras.saving.load_model(str(path), safe_mode=True, compile=False)


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def layer_summary(model) -> list[tuple]:
    out = []
    for layer in model.layers:
        cfg = layer.get_config()
        act = cfg.get("activation")
        out.append((type(layer).__name__, layer.name, cfg.get("units"), act))
    return out


# ---------------------------------------------------------------------------------------------
# Reference archives written by real Keras

def reference_model(spec: list[tuple[str, int, str]], compiled: bool):
    model = keras.Sequential(
        [keras.Input(shape=(3,))]
        + [keras.layers.Dense(units, activation=act, name=name) for name, units, act in spec])
    if compiled:
        model.compile(optimizer="adam", loss="mse")
    return model


def swap_weights(sample: Path, reference: Path, out: Path) -> Path:
    """The sample's own metadata.json and config.json with the reference's real weights."""
    with zipfile.ZipFile(sample) as s, zipfile.ZipFile(reference) as r, \
            zipfile.ZipFile(out, "w") as o:
        o.writestr("metadata.json", s.read("metadata.json"))
        o.writestr("config.json", s.read("config.json"))
        o.writestr("model.weights.h5", r.read("model.weights.h5"))
    return out


def rewrite_config(sample: Path, config: dict, out: Path) -> Path:
    """The sample with its config.json replaced (its other members as they are)."""
    with zipfile.ZipFile(sample) as s, zipfile.ZipFile(out, "w") as o:
        for name in s.namelist():
            data = json.dumps(config).encode() if name == "config.json" else s.read(name)
            o.writestr(name, data)
    return out


def fix_build_shapes(config: dict) -> dict:
    """Each Dense's build_config input_shape set to what really flows into it (the previous
    layer's width), as keras's own save writes it."""
    width = None
    for layer in config["config"]["layers"]:
        c = layer["config"]
        if layer["class_name"] == "InputLayer":
            width = c["batch_shape"][-1]
        elif layer["class_name"] == "Dense":
            layer["build_config"] = {"input_shape": [None, width]}
            width = c["units"]
    return config


def config_diff(ours, theirs, path: str = "", out: list[str] | None = None) -> list[str]:
    out = [] if out is None else out
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for k in sorted(set(ours) | set(theirs)):
            p = f"{path}.{k}" if path else k
            if k not in theirs:
                out.append(f"only in sample: {p}")
            elif k not in ours:
                out.append(f"only in keras: {p} = {json.dumps(theirs[k])[:80]}")
            else:
                config_diff(ours[k], theirs[k], p, out)
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            config_diff(a, b, f"{path}[{i}]", out)
    elif ours != theirs:
        out.append(f"differs: {path}: sample {json.dumps(ours)[:60]} vs keras "
                   f"{json.dumps(theirs)[:60]}")
    return out


def compare_layout(sample: Path, reference: Path) -> None:
    with zipfile.ZipFile(sample) as s, zipfile.ZipFile(reference) as r:
        si = [(i.filename, i.compress_type) for i in s.infolist()]
        ri = [(i.filename, i.compress_type) for i in r.infolist()]
        info(f"archive members (name, compress_type): sample {si} / keras.save {ri}")
        sm, rm = json.loads(s.read("metadata.json")), json.loads(r.read("metadata.json"))
        info(f"metadata.json keys: sample {sorted(sm)} / keras {sorted(rm)}")
        rw = r.read("model.weights.h5")
        info(f"model.weights.h5: sample {len(s.read('model.weights.h5'))} bytes placeholder / "
             f"keras {len(rw)} bytes (signature {rw[:8]!r})")
        diffs = config_diff(json.loads(s.read("config.json")), json.loads(r.read("config.json")))
        info(f"config.json vs keras {keras.__version__}'s own: {len(diffs)} differences")
        for d in diffs[:40]:
            info(f"  {d}")
        if len(diffs) > 40:
            info(f"  ... {len(diffs) - 40} more")


def reference_weight_paths(reference: Path) -> list[str]:
    try:
        import h5py
        import io
    except ImportError:
        return []
    names: list[str] = []
    with h5py.File(io.BytesIO(read_member(reference, "model.weights.h5")), "r") as f:
        f.visititems(lambda n, o: names.append(f"{n}{list(o.shape)}")
                     if isinstance(o, h5py.Dataset) else None)
    return names


# ---------------------------------------------------------------------------------------------
# Static audit of a config.json (no Keras involved)

def module_refs(node, path: str = "") -> list[tuple[str, str, str]]:
    """(json path, module, class_name) of every serialized object, plus __lambda__ objects."""
    out = []
    if isinstance(node, dict):
        if "module" in node and "class_name" in node:
            out.append((path, str(node["module"]), str(node["class_name"])))
        elif node.get("class_name") == "__lambda__":
            out.append((path, "", "__lambda__"))
        for k, v in node.items():
            out.extend(module_refs(v, f"{path}.{k}" if path else k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(module_refs(v, f"{path}[{i}]"))
    return out


def is_keras_module(m: str) -> bool:
    return m == "keras" or m.startswith("keras.")


# ---------------------------------------------------------------------------------------------

def main() -> int:
    import h5py
    import jax

    info(f"python {sys.version.split()[0]}, keras {keras.__version__}, backend "
         f"{keras.backend.backend()}, jax {jax.__version__}, h5py {h5py.__version__}")
    with tempfile.TemporaryDirectory(prefix="keras-check-") as d:
        return run_checks(Path(d))


def run_checks(tmp: Path) -> int:

    dense_spec = [("dense", 4, "relu"), ("dense_1", 2, "linear")]
    expected_dense = [("Dense", "dense", 4, "relu"), ("Dense", "dense_1", 2, "linear")]
    ref_dense = tmp / "ref_dense.keras"
    reference_model(dense_spec, compiled=True).save(ref_dense)
    ref_small = tmp / "ref_dense2.keras"
    reference_model([("dense", 2, "relu")], compiled=True).save(ref_small)

    # -- benign/dense.keras --------------------------------------------------------------------
    sample = ROOT / "benign" / "dense.keras"
    compare_layout(sample, ref_dense)
    info(f"real weights file datasets: {reference_weight_paths(ref_dense)}")
    expect_dense = "benign/dense.keras"

    def dense_check(name: str, path: Path) -> None:
        try:
            model = safe_load(path)
        except Exception as e:  # noqa: BLE001 - reported
            check(False, f"{expect_dense} {name}", describe(e))
        else:
            got = layer_summary(model)
            check(got == expected_dense and tuple(model.input_shape) == (None, 3),
                  f"{expect_dense} {name}", f"input {model.input_shape}, layers {got}")

    dense_check("loads as written (safe_mode, compile=False)", sample)
    # Tell the config from the weights: each of the two parts fixed alone, then both.
    dense_check("config.json as written, with a real model.weights.h5 swapped in",
                swap_weights(sample, ref_dense, tmp / "dense_real_weights.keras"))
    fixed_cfg = fix_build_shapes(json.loads(read_member(sample, "config.json")))
    placeholder = rewrite_config(sample, fixed_cfg, tmp / "dense_fixed_cfg.keras")
    dense_check("placeholder model.weights.h5, with build_config shapes fixed in config.json",
                placeholder)
    dense_check("build_config shapes fixed and a real model.weights.h5: both fixes together",
                swap_weights(placeholder, ref_dense, tmp / "dense_both_fixed.keras"))

    # -- malicious/lambda.keras ----------------------------------------------------------------
    sample = ROOT / "malicious" / "lambda.keras"
    try:
        safe_load(sample)
    except ValueError as e:
        msg = str(e)
        check("safe_mode" in msg and "lambda" in msg.lower(),
              "malicious/lambda.keras refused by safe mode", one_line(e))
    except Exception as e:  # noqa: BLE001
        check(False, "malicious/lambda.keras refused by safe mode",
              f"wrong exception: {describe(e)}")
    else:
        check(False, "malicious/lambda.keras refused by safe mode", "it LOADED")

    # -- malicious/custom_object.keras ---------------------------------------------------------
    sample = ROOT / "malicious" / "custom_object.keras"
    importable = importlib.util.find_spec("evil_pkg") is not None
    if importable:
        check(False, "malicious/custom_object.keras refused",
              "a module evil_pkg is importable here; not loading the sample")
    else:
        try:
            safe_load(sample)
        except Exception as e:  # noqa: BLE001
            # Keras wraps the real error in "Sequential could not be deserialized properly
            # ... config={...}": the config dump names Backdoor/evil_pkg whatever the cause,
            # so look at the inner error, after "Exception encountered:".
            inner = str(e).rsplit("Exception encountered:", 1)[-1].strip()
            names_it = ("Could not locate class 'Backdoor'" in inner
                        or ("'Backdoor'" in inner and "evil_pkg.layers" in inner
                            and "cannot be imported" in inner))
            check(names_it and "evil_pkg" not in sys.modules,
                  "malicious/custom_object.keras refused",
                  f"{type(e).__name__}, inner error: {inner[:300]}")
        else:
            check(False, "malicious/custom_object.keras refused", "it LOADED")

    # -- malicious/builtins_function.keras -----------------------------------------------------
    sample = ROOT / "malicious" / "builtins_function.keras"
    cfg = json.loads(read_member(sample, "config.json"))
    refs = module_refs(cfg)
    foreign = [r for r in refs if not is_keras_module(r[1])]
    info(f"builtins_function.keras non-keras references: {foreign}")
    outside_compile = [r for r in foreign if not r[0].startswith("compile_config")]
    from keras.src.saving import saving_lib
    src = inspect.getsource(saving_lib._model_from_config)
    drops_compile = ("if not compile" in src and 'config_dict["compile_config"] = None' in src)
    audit_ok = bool(foreign) and not outside_compile and drops_compile
    check(audit_ok,
          "malicious/builtins_function.keras audit: only non-keras ref is in compile_config, "
          "which compile=False drops",
          f"refs outside compile_config: {outside_compile}; "
          f"keras drops compile_config when compile=False: {drops_compile}")
    if not audit_ok:
        info("builtins_function.keras NOT loaded: the audit above did not clear it")
    else:
        try:
            model = safe_load(sample)
        except Exception as e:  # noqa: BLE001
            check(False, "malicious/builtins_function.keras loads with compile=False",
                  describe(e))
        else:
            check(layer_summary(model) == [("Dense", "dense", 2, "relu")],
                  "malicious/builtins_function.keras loads with compile=False",
                  f"layers {layer_summary(model)}, compiled={model.compiled}")
        swapped = swap_weights(sample, ref_small, tmp / "builtins_swapped.keras")
        try:
            model = safe_load(swapped)
        except Exception as e:  # noqa: BLE001
            check(False, "malicious/builtins_function.keras config.json + real weights loads "
                  "with compile=False, uncompiled", describe(e))
        else:
            check(layer_summary(model) == [("Dense", "dense", 2, "relu")]
                  and not model.compiled and model.loss is None,
                  "malicious/builtins_function.keras config.json + real weights loads "
                  "with compile=False, uncompiled",
                  f"layers {layer_summary(model)}, compiled={model.compiled}, "
                  f"loss={model.loss!r}")

    # -- malformed/bad_config.keras ------------------------------------------------------------
    sample = ROOT / "malformed" / "bad_config.keras"
    try:
        safe_load(sample)
    except Exception as e:  # noqa: BLE001
        check(True, "malformed/bad_config.keras fails to load", one_line(e))
    else:
        check(False, "malformed/bad_config.keras fails to load", "it LOADED")

    passed, failed = RESULTS.count(True), RESULTS.count(False)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
