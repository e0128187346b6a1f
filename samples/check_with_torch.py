#!/usr/bin/env python3
"""Checks that the real PyTorch loaders read the torch samples the way aibom's findings say.

Not run in CI (torch is a ~540 MB wheel plus ~3 GB of nvidia-* dependencies); run by hand in a
throwaway venv outside the repo:

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch numpy
    /tmp/tv/bin/python samples/check_with_torch.py

Last run with torch 2.15.0 (the PyPI wheel with its nvidia-* dependencies, run on CPU) and
numpy 2.4.6 on Python 3.11.7: 39 PASS, 0 FAIL. (zip-encrypted-flag said that PyTorch ignores the
encrypted bit; this check showed torch's miniz refuses a member whose central-directory entry
has it, "unsupported encryption", and ignores it in the local header alone: the finding now
says so, and zip_flag_bit_local.pt is the sample torch loads through.)
frame_divergence_zip.pt depends on the Python that runs torch: CPython's C unpickler diverges
before 3.13.15 / 3.14.7 (see generate.py).

Every pickle-bearing sample goes through torch's own code: `torch.load(f, weights_only=False,
pickle_module=<recorder>)` (zip checkpoints through PyTorchFileReader and `_load`, legacy files
and tar checkpoints through `_legacy_load`), or through the step a library takes before it
(tarfile for a .nemo, base64 of a Keras TorchModuleWrapper config, the bytes handed to
`torch.storage._load_from_bytes`). The recorder is a module whose `Unpickler` subclasses
`pickle.Unpickler` (CPython's C unpickler, the one `torch.load` uses by default) with
`find_class` replaced: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
`torch.FloatStorage` are the real objects (so benign checkpoints really load and torch's
storage checks really run); `eval` is a stand-in that records its argument and returns
`ast.literal_eval` of it (what eval gives for a literal, refusing anything else); every other
global is an inert class that records its name and each call, and runs nothing. `os.system` is
recorded, never resolved. As a second guard, `os.system`, `os.popen`, `os.exec*`, `os.spawn*`
and `subprocess.Popen` are replaced by tripwires before anything is loaded.

`weights_only=True` (torch's own safe unpickler, the default since torch 2.6) is also run on
each zip, legacy and tar sample, and what it does is printed as a fact (`safe:`), not checked;
on a TorchScript archive it raises before torch.jit.load is reached.

TorchScript: `torch.jit.load` runs only on the benign archive. The malicious ones are read
statically with torch's own archive reader (`torch._C.PyTorchFileReader`, what torch.jit.load
reads records with): the `__setstate__` aibom reports is checked to be in the code record.
That torch.jit.load runs `__setstate__` while loading is shown on archives this script makes
with `torch.jit.save` in a temporary directory: their `__setstate__` calls `torch.from_file` on a
path the archive names, and the loaded module holds that file's bytes (or the load fails inside
from_file when the file is missing). A fact is printed too: when from_file's result is unused,
as in torchscript_setstate_from_file.pt (`_0 = ...`), the call is optimised away and loading
reads nothing.

Prints one `PASS` / `FAIL` line per sample (what the loader did) and exits 1 on any FAIL.
"""

import ast
import base64
import collections
import io
import json
import os
import pickle
import struct
import sys
import tarfile
import tempfile
import types
import warnings
import zipfile
from pathlib import Path

import torch
import torch.serialization

SAMPLES = Path(__file__).resolve().parent
warnings.simplefilter("ignore")  # torch's deprecation and protocol notes; errors are printed
CMD = "echo aibom-sample"
SYSTEM = ("call", "os.system", (CMD,))
TENSOR = [0.5, -1.25, 2.0, 0.125]


# --- guards ----------------------------------------------------------------------------------

from tripwires import TRIPPED  # noqa: E402  (installs the tripwires)


# --- the recording pickle module -------------------------------------------------------------

REAL = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch", "FloatStorage"): torch.FloatStorage,
}


def recorder():
    """A fresh pickle module for torch.load(pickle_module=...) and its log of events."""
    log = []

    def stub(qual):
        class Stub:
            def __new__(cls, *args, **kwargs):
                log.append(("call", qual, args))
                return object.__new__(cls)

            def __init__(self, *args, **kwargs):
                pass

            def __setstate__(self, state):
                pass

            def __repr__(self):
                return f"<stub {qual} instance>"

        Stub.__name__ = Stub.__qualname__ = qual
        return Stub

    def literal_eval_stand_in(source, *rest):
        log.append(("call", "builtins.eval", (source,)))
        return ast.literal_eval(source)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            real = REAL.get((module, name))
            if real is not None:
                log.append(("real", f"{module}.{name}"))
                return real
            log.append(("global", f"{module}.{name}"))
            if module in ("builtins", "__builtin__") and name == "eval":
                return literal_eval_stand_in
            return stub(f"{module}.{name}")

    def load(file, **kwargs):
        return Unpickler(file, **kwargs).load()

    module = types.ModuleType("recording_pickle")
    module.Unpickler = Unpickler
    module.load = load
    module.loads = lambda data, **kw: load(io.BytesIO(data), **kw)
    return module, log


class ReadLog:
    """torch's zip reader, recording which records torch.load asks for."""

    def __init__(self, inner, read):
        self._inner, self._read = inner, read

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name in ("get_record", "get_storage_from_record"):

            def wrapped(record, *args):
                self._read.append(record)
                return attr(record, *args)

            return wrapped
        return attr


RECORDS_READ = []


class _RecordingZipReader(torch.serialization._open_zipfile_reader):
    def __enter__(self):
        return ReadLog(self.file_like, RECORDS_READ)


torch.serialization._open_zipfile_reader = _RecordingZipReader


def first_line(e):
    return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:160]


def load(src, **kwargs):
    """torch.load(weights_only=False) with the recorder: (result, error, log, records read)."""
    module, log = recorder()
    RECORDS_READ.clear()
    f = open(src, "rb") if isinstance(src, Path) else io.BytesIO(src)
    with f:
        try:
            result, error = torch.load(f, weights_only=False, pickle_module=module, **kwargs), None
        except Exception as e:  # the check decides whether an error is what the finding says
            result, error = None, e
    return result, error, log, list(RECORDS_READ)


def safe_load(src):
    """What torch's own weights_only=True loader does (a fact, not a check)."""
    f = open(src, "rb") if isinstance(src, Path) else io.BytesIO(src)
    with f:
        try:
            r = torch.load(f, weights_only=True)
        except Exception as e:
            # The UnpicklingError's first paragraph is the same for every refusal; say why.
            why = [
                l.strip()
                for l in str(e).splitlines()
                if l.strip().startswith(("Trying", "Unsupported", "WeightsUnpickler"))
            ]
            return "refuses: " + (f"{type(e).__name__}: {why[0][:150]}" if why else first_line(e))
    return "loads " + describe(r)


def describe(r):
    if isinstance(r, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in r.items()) + "}"
    if isinstance(r, torch.Tensor):
        return f"tensor{list(r.shape)} {r.flatten().tolist()}"
    return type(r).__name__


def is_state_dict(r):
    return (
        isinstance(r, collections.OrderedDict)
        and list(r) == ["linear.weight"]
        and r["linear.weight"].flatten().tolist() == TENSOR
    )


def stub_globals(log):
    return [e[1] for e in log if e[0] == "global"]


def ran_system(log):
    return SYSTEM in log


# --- the checks: each returns (ok, what the loader did) ---------------------------------------


def payload(src, **kwargs):
    """The finding: loading reaches os.system('echo aibom-sample')."""
    result, error, log, _ = load(src, **kwargs)
    what = (
        "reached os.system('echo aibom-sample')"
        if ran_system(log)
        else f"did NOT reach os.system (globals {stub_globals(log)})"
    )
    if error:
        what += f", then {first_line(error)}"
    return ran_system(log), what


def benign(src):
    result, error, log, _ = load(src)
    ok = error is None and is_state_dict(result) and not stub_globals(log)
    what = f"loads {describe(result)}" if error is None else f"fails: {first_line(error)}"
    return ok, what + (f"; other globals {stub_globals(log)}" if stub_globals(log) else "")


def tar_member(path, name):
    with tarfile.open(path) as t:
        return t.extractfile(name).read()


def check_storage_truncated(path):
    result, error, log, read = load(path)
    ok = error is not None and not stub_globals(log) and "data/0" in read and "record size" in str(error)
    return ok, (
        f"reads data/0 and raises {first_line(error)}"
        if error
        else f"loads {describe(result)} without complaint"
    )


def check_storage_unreferenced(path):
    result, error, log, read = load(path)
    with zipfile.ZipFile(path) as z:
        present = "archive/data/1" in z.namelist()
    ok = error is None and is_state_dict(result) and present and not any(r.endswith("data/1") for r in read)
    return ok, f"loads {describe(result)}; records read {read}; data/1 present but never read"


def check_zip_truncated(path):
    result, error, log, _ = load(path)
    ok = error is not None and not stub_globals(log)
    return ok, f"refuses before any pickle: {first_line(error)}" if error else "loads it"


def check_7z(path):
    result, error, log, _ = load(path)
    ok = error is not None and not stub_globals(log)
    return ok, (
        (
            "cannot read a 7z archive, no global reached ("
            + first_line(error)
            + "); the payload needs an unpacking step first, as the finding says"
        )
        if error
        else "loads it"
    )


def zip_flags(data, member, local_flag, central_flag):
    """A copy of the zip whose `member` has the given general-purpose flags in its local and
    central headers (the sample's own bytes otherwise)."""
    b = bytearray(data)
    for magic, flag_at, name_len_at, name_at, flag in (
        (b"PK\x03\x04", 6, 26, 30, local_flag),
        (b"PK\x01\x02", 8, 28, 46, central_flag),
    ):
        i = b.find(magic)
        while i >= 0:
            (n,) = struct.unpack_from("<H", b, i + name_len_at)
            if bytes(b[i + name_at : i + name_at + n]).endswith(member.encode()):
                struct.pack_into("<H", b, i + flag_at, flag)
            i = b.find(magic, i + 4)
    return bytes(b)


def check_flag_bit(path):
    """aibom's zip-encrypted-flag says PyTorch refuses a member whose central-directory entry
    has the encrypted bit (here in both headers)."""
    ok, what = payload(path)
    data = path.read_bytes()
    central_only, _ = payload(zip_flags(data, "data.pkl", 0, 0x1))
    return not ok and not central_only, (
        f"{what}. Fact, on a copy with bit 0 in the central directory only: "
        f"{'loads, os.system reached' if central_only else 'refused'}"
    )


def check_flag_bit_local(path):
    """aibom's zip-encrypted-flag says PyTorch ignores the encrypted bit in a local header only
    and reads the bytes: the payload is reached."""
    return payload(path)


def check_magic_bypass(path):
    """The magic number comes from eval('0x1950a86a20f9469cfc6c'); os.system is in the next pickle."""
    _, error, log, _ = load(path)
    evals = [e[2][0] for e in log if e[:2] == ("call", "builtins.eval")]
    ok = evals == [hex(torch.serialization.MAGIC_NUMBER)] and ran_system(log)
    return ok, (
        f"the first pickle calls eval({evals[0] if evals else None!r}), which is torch's MAGIC_NUMBER, so "
        f"_legacy_load reads on; the next pickle {'reaches' if ran_system(log) else 'does NOT reach'} "
        f"os.system('echo aibom-sample')" + (f", then {first_line(error)}" if error else "")
    )


def check_build_on_function(path):
    """BUILD with a dict state on the real torch._utils._rebuild_tensor_v2 (the one global torch
    and the recorder both resolve for real): the function object itself gets the attributes."""
    target = torch._utils._rebuild_tensor_v2
    before = dict(target.__dict__)
    _, error, log, _ = load(path)
    added = {k: v for k, v in target.__dict__.items() if k not in before}
    for k in added:  # undo the mutation the sample makes in this process
        delattr(target, k)
    ok = added == {"aibom": "sample"}
    return ok, (
        f"BUILD set {added} on torch._utils._rebuild_tensor_v2 itself"
        + (f", then {first_line(error)}" if error else "")
        + " (undone afterwards)"
    )


def check_empty(path):
    _, error, log, _ = load(path)
    ok = error is not None and not log
    return ok, f"refuses the empty file: {first_line(error)}" if error else "loads it"


def check_duplicate(path):
    result, error, log, read = load(path)
    with zipfile.ZipFile(path) as z:
        zipfile_pick = z.read("archive/data.pkl")
    zipfile_malicious = b"system" in zipfile_pick
    torch_malicious = ran_system(log)
    ok = torch_malicious != zipfile_malicious
    return ok, (
        f"torch (miniz) reads the {'malicious' if torch_malicious else 'benign'} archive/data.pkl, "
        f"zipfile the {'malicious' if zipfile_malicious else 'benign'} one: they disagree"
    )


def check_hidden_local(path):
    result, error, log, _ = load(path)
    ok = error is None and is_state_dict(result) and not stub_globals(log)
    return ok, (
        (
            f"loads the central directory's benign checkpoint {describe(result)}; the local-only "
            "archive/data.pkl is never read (no os.system)"
        )
        if ok
        else f"{describe(result)} {error} {log}"
    )


def check_appended(path):
    result, error, log, _ = load(path)
    ok = error is None and is_state_dict(result) and not stub_globals(log)
    return ok, (
        (
            "loads the benign zip; the pickle after the EOCD is never read by torch (it is bytes "
            "outside the archive, which the finding reports)"
        )
        if ok
        else f"{error} {log}"
    )


def check_member(path, member):
    _, error, log0, _ = load(path)
    ok_default = error is not None and not stub_globals(log0)
    ok, what = payload(path, pickle_file=member)
    return ok and ok_default, (
        f"default torch.load finds no data.pkl ({first_line(error)}); "
        f"torch.load(pickle_file={member!r}) {what}"
    )


def check_nested_from_bytes(path):
    module, log = recorder()
    with open(path, "rb") as f:
        module.load(f)
    calls = [e for e in log if e[0] == "call" and e[1] == "torch.storage._load_from_bytes"]
    if not calls:
        return False, f"outer pickle does not call torch.storage._load_from_bytes: {log}"
    import inspect

    src = inspect.getsource(torch.storage._load_from_bytes)
    ok_src = "torch.load(io.BytesIO(b), weights_only=False)" in src
    ok, what = payload(calls[0][2][0])
    return ok and ok_src, (
        f"outer pickle calls torch.storage._load_from_bytes(<{len(calls[0][2][0])} bytes>), "
        f"which is torch.load(io.BytesIO(b), weights_only=False)"
        f"{'' if ok_src else ' (NOT in this torch)'}; torch.load of them {what}"
    )


def check_dotted(path):
    _, error, log, _ = load(path)
    called = ("call", "torch.serialization.os.system", (CMD,)) in log
    walks = torch.serialization.os is os
    return called and walks, (
        f"find_class gets ('torch', 'serialization.os.system') and the pickle calls it "
        f"with {CMD!r}: {called}; the attribute walk goes through torch.serialization.os, "
        f"which is the os module: {walks} (so the global is os.system; not resolved here)"
        + (f", then {first_line(error)}" if error else "")
    )


def check_collect_env(path):
    _, _, log, _ = load(path)
    called = ("call", "torch.utils.collect_env.run", (CMD,)) in log
    spec = __import__("importlib.util").util.find_spec("torch.utils.collect_env")
    tree = ast.parse(Path(spec.origin).read_text())
    run = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"), None)
    # shell=True, or shell=<a name set from `type(command) is str`> (torch 2.x: a string runs in a shell)
    shell_names = (
        {
            t.id
            for n in ast.walk(run)
            if isinstance(n, ast.Assign) and "type(command) is str" in ast.unparse(n.value)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        if run
        else set()
    )
    shell = run is not None and any(
        isinstance(n, ast.Call)
        and ast.unparse(n.func).endswith("Popen")
        and n.args
        and ast.unparse(n.args[0]) == "command"
        and any(
            k.arg == "shell"
            and (getattr(k.value, "value", None) is True or ast.unparse(k.value) in shell_names)
            for k in n.keywords
        )
        for n in ast.walk(run)
    )
    return called and shell, (
        f"torch.load calls torch.utils.collect_env.run({CMD!r}); in this torch that "
        f"function {'runs a string argument with subprocess.Popen(shell=True)' if shell else 'is NOT a shell runner'} "
        "(read from its source, not imported)"
    )


def check_polyglot(path):
    ok, what = payload(path)
    with zipfile.ZipFile(path) as z:
        zipped = z.namelist()
    return (
        ok,
        f"torch sees no zip at offset 0 and takes the legacy path: {what}; zipfile sees {len(zipped)} members",
    )


def check_keras(path):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    layer = next(lay for lay in config["config"]["layers"] if lay["class_name"] == "TorchModuleWrapper")
    data = base64.b64decode(layer["config"]["module"])
    ok, what = payload(data)
    return (
        ok,
        f"TorchModuleWrapper config 'module' is base64 of a {len(data)}-byte torch zip; torch.load of it {what}",
    )


def torchscript_code(path):
    reader = torch._C.PyTorchFileReader(str(path))
    records = reader.get_all_records()
    code = bytes(reader.get_record("code/__torch__/model.py")).decode()
    return records, code


def setstate_body(code):
    if "def __setstate__" not in code:
        return ""
    return code.split("def __setstate__", 1)[1]


def check_torchscript_static(path, needle):
    records, code = torchscript_code(path)
    body = setstate_body(code)
    ok = "constants.pkl" in records and needle in body
    return ok, (
        f"STATIC (not loaded): torch's archive reader lists {len(records)} records, constants.pkl among "
        f"them (a TorchScript archive), and __setstate__ holds {needle!r}; torch.load(weights_only=True) "
        f"{safe_load(path).split(':', 1)[0]}"
    )


def check_custom_op(path):
    ok, what = check_torchscript_static(path, "ops.aibom_sample.echo(")
    try:
        torch.ops.aibom_sample.echo
        registered = True
    except (AttributeError, RuntimeError):
        registered = False
    return (
        ok and not registered,
        what
        + f"; torch.ops.aibom_sample.echo is {'REGISTERED' if registered else 'not registered in stock torch'}",
    )


def check_torchscript_benign(path):
    records, code = torchscript_code(path)
    m = torch.jit.load(str(path))
    x = torch.tensor([[-2.0, 0.5], [1.0, -0.25]])
    y = m(x)
    ok = torch.equal(y, torch.relu(x + 1)) and "__setstate__" not in code
    return ok, f"torch.jit.load loads it; forward(x) = relu(x + 1) on a 2x2 input: {ok}"


def setstate_runs_on_load():
    """torch.jit.load runs __setstate__ while loading, and torch.from_file there reads a file the
    archive names (shown on archives made here, in a temporary directory)."""

    class FromFile(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.path = "x"
            self.read = torch.zeros(1)

        def forward(self, x):
            return x

        @torch.jit.export
        def __getstate__(self):
            return (self.path, self.training)

        @torch.jit.export
        def __setstate__(self, state: tuple[str, bool]):
            self.path = state[0]
            self.training = state[1]
            self.read = torch.from_file(self.path, False, 8)

    class Unused(FromFile):
        @torch.jit.export
        def __setstate__(self, state: tuple[str, bool]):
            self.path = state[0]
            self.training = state[1]
            self.read = torch.zeros(1)
            _unused = torch.from_file(self.path, False, 8)  # noqa: F841 (the form the sample uses)

    def save_load(cls, d, path):
        m = torch.jit.script(cls())
        m.path = path
        archive = os.path.join(d, cls.__name__ + ".pt")
        torch.jit.save(m, archive)
        try:
            return torch.jit.load(archive), None
        except Exception as e:
            return None, e

    with tempfile.TemporaryDirectory() as d:
        target = os.path.join(d, "named-by-archive")
        values = torch.tensor([1.5, -2.0, 3.25, 0.5, 7.0, -0.75, 2.5, 4.0])
        Path(target).write_bytes(values.numpy().tobytes())
        loaded, error = save_load(FromFile, d, target)
        reads = loaded is not None and torch.equal(loaded.read, values)
        _, missing_error = save_load(FromFile, d, os.path.join(d, "missing"))
        _, unused_error = save_load(Unused, d, os.path.join(d, "missing"))
    ok = reads and missing_error is not None
    return ok, (
        f"torch.jit.load runs __setstate__: torch.from_file there read the file the archive names: {reads}; "
        f"with a missing file the load fails inside from_file: {missing_error is not None}. Fact: when "
        f"from_file's result is unused (as in torchscript_setstate_from_file.pt, `_0 = ...`), loading "
        f"with a missing file {'fails: ' + first_line(unused_error) if unused_error else 'succeeds (the call is optimised away)'}"
    )


def main():
    b, m, f = SAMPLES / "benign", SAMPLES / "malicious", SAMPLES / "malformed"
    nemo = lambda p: tar_member(p, "model_weights.ckpt")  # noqa: E731
    checks = [
        ("benign/torch_zip_benign.pt", lambda: benign(b / "torch_zip_benign.pt"), b / "torch_zip_benign.pt"),
        ("benign/legacy_torch.bin", lambda: benign(b / "legacy_torch.bin"), b / "legacy_torch.bin"),
        ("benign/nemo/model.nemo", lambda: benign(nemo(b / "nemo/model.nemo")), nemo(b / "nemo/model.nemo")),
        ("benign/torchscript_module.pt", lambda: check_torchscript_benign(b / "torchscript_module.pt"), None),
        (
            "malformed/torch_storage_truncated.pt",
            lambda: check_storage_truncated(f / "torch_storage_truncated.pt"),
            f / "torch_storage_truncated.pt",
        ),
        (
            "malformed/torch_storage_unreferenced.pt",
            lambda: check_storage_unreferenced(f / "torch_storage_unreferenced.pt"),
            f / "torch_storage_unreferenced.pt",
        ),
        (
            "malformed/empty_weights/pytorch_model.bin",
            lambda: check_empty(f / "empty_weights/pytorch_model.bin"),
            f / "empty_weights/pytorch_model.bin",
        ),
        (
            "malformed/zip_truncated.pt",
            lambda: check_zip_truncated(f / "zip_truncated.pt"),
            f / "zip_truncated.pt",
        ),
    ]
    for name in (
        "torch_zip_reduce.pt",
        "hf_dir_with_payload/pytorch_model.bin",
        "zip_bad_crc.pt",
        "zip_local_name_mismatch.pt",
        "nullifai_broken_pickle.pt",
        "frame_divergence_zip.pt",
        "legacy_payload_4th.bin",
        "legacy_module_persistent_id.bin",
        "legacy_torch_tar.pt",
        "pickle_named_bin/pytorch_model.bin",
    ):
        checks.append((f"malicious/{name}", (lambda p=m / name: payload(p)), m / name))
    checks += [
        ("malicious/zip_flag_bit.pt", lambda: check_flag_bit(m / "zip_flag_bit.pt"), m / "zip_flag_bit.pt"),
        (
            "malicious/zip_flag_bit_local.pt",
            lambda: check_flag_bit_local(m / "zip_flag_bit_local.pt"),
            m / "zip_flag_bit_local.pt",
        ),
        (
            "malicious/legacy_magic_bypass.pt",
            lambda: check_magic_bypass(m / "legacy_magic_bypass.pt"),
            m / "legacy_magic_bypass.pt",
        ),
        (
            "malicious/build_on_function.pkl",
            lambda: check_build_on_function(m / "build_on_function.pkl"),
            m / "build_on_function.pkl",
        ),
        (
            "malicious/frame_divergence.pkl",
            lambda: payload(m / "frame_divergence.pkl"),
            m / "frame_divergence.pkl",
        ),
        (
            "malicious/nemo_payload.nemo",
            lambda: payload(nemo(m / "nemo_payload.nemo")),
            nemo(m / "nemo_payload.nemo"),
        ),
        (
            "malicious/keras_torch_module_wrapper.keras",
            lambda: check_keras(m / "keras_torch_module_wrapper.keras"),
            None,
        ),
        (
            "malicious/nested_torch_load_from_bytes.pkl",
            lambda: check_nested_from_bytes(m / "nested_torch_load_from_bytes.pkl"),
            None,
        ),
        (
            "malicious/pickle_zip_polyglot.pkl",
            lambda: check_polyglot(m / "pickle_zip_polyglot.pkl"),
            m / "pickle_zip_polyglot.pkl",
        ),
        (
            "malicious/dotted_torch_serialization.pkl",
            lambda: check_dotted(m / "dotted_torch_serialization.pkl"),
            m / "dotted_torch_serialization.pkl",
        ),
        (
            "malicious/gadgets/torch_collect_env_run.pkl",
            lambda: check_collect_env(m / "gadgets/torch_collect_env_run.pkl"),
            m / "gadgets/torch_collect_env_run.pkl",
        ),
        (
            "malicious/zip_duplicate_name.pt",
            lambda: check_duplicate(m / "zip_duplicate_name.pt"),
            m / "zip_duplicate_name.pt",
        ),
        (
            "malicious/zip_central_only_benign_local_malicious.pt",
            lambda: check_hidden_local(m / "zip_central_only_benign_local_malicious.pt"),
            m / "zip_central_only_benign_local_malicious.pt",
        ),
        (
            "malicious/zip_pickle_appended.zip",
            lambda: check_appended(m / "zip_pickle_appended.zip"),
            m / "zip_pickle_appended.zip",
        ),
        (
            "malicious/zip_member_txt.pt",
            lambda: check_member(m / "zip_member_txt.pt", "weights.txt"),
            m / "zip_member_txt.pt",
        ),
        (
            "malicious/zip_member_proto0.pt",
            lambda: check_member(m / "zip_member_proto0.pt", "data.txt"),
            m / "zip_member_proto0.pt",
        ),
        ("malicious/nullifai_7z.pt", lambda: check_7z(m / "nullifai_7z.pt"), m / "nullifai_7z.pt"),
        (
            "malicious/torchscript_setstate_from_file.pt",
            lambda: check_torchscript_static(
                m / "torchscript_setstate_from_file.pt", 'torch.from_file("aibom-sample"'
            ),
            None,
        ),
        (
            "malicious/torchscript_getattr_op.pt",
            lambda: check_torchscript_static(m / "torchscript_getattr_op.pt", 'getattr(torch, "from_file")'),
            None,
        ),
        ("malicious/torchscript_custom_op.pt", lambda: check_custom_op(m / "torchscript_custom_op.pt"), None),
        ("(mechanism) torch.jit.load runs __setstate__", setstate_runs_on_load, None),
    ]
    failed = 0
    for name, check, safe_src in checks:
        try:
            ok, what = check()
        except Exception as e:  # a check that crashes is a failed check
            ok, what = False, f"check crashed: {first_line(e)}"
        if TRIPPED:
            ok, what = False, f"TRIPWIRE {TRIPPED}; {what}"
            TRIPPED.clear()
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {what}")
        if safe_src is not None:
            print(f"     safe: torch.load(weights_only=True) {safe_load(safe_src)}")
    print(f"{len(checks) - failed} passed, {failed} failed (torch {torch.__version__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
