#!/usr/bin/env python3
"""Differential pickle oracle: which globals would CPython's unpicklers resolve, without ever
obtaining a real callable.

Standard library only. For every input file (or every file under an input directory) it finds
the pickle streams a loader would read, loads each back-to-back pickle with several CPython
unpicklers whose `find_class` is replaced, and prints JSON:

    [{"path": ..., "format": ..., "globals": [[module, name], ...], "error": "..." | null,
      "engines": {...}, "genops": [...], "nested": [...], "members": [...]}, ...]

`globals`/`error` come from the pure-Python unpickler (`pickle._Unpickler`, which honours
FRAME boundaries). `engines` repeats the run with the C unpickler (`_pickle.Unpickler`, what
torch.load, numpy.load and pickle.load use) in three input modes, because the C unpickler's
reads depend on how the input is fed to it (CPython gh-154848):

    c_bytes   in-memory buffer, read linearly            = pickle.loads(data)
    c_stream  io.BytesIO (no peek)                        = torch.load on a zip record
    c_file    open(path, "rb", buffering=8192) (peek)     = pickle.load(open(path, "rb"))

`genops` is the naive static view most scanners have (pickletools.genops: GLOBAL/INST args,
STACK_GLOBAL = the last two strings pushed). Differences between these views are exactly the
parser differentials a scanner must not fall for.

Why nothing can run:
* `find_class` never calls the real one: it records (module, name) and returns an inert stub
  class. Dotted names are resolved only through stubs (attribute values a pickle stored with
  BUILD are plain data); dunder components and attributes of non-stub objects give new stubs,
  so no real object is ever reached through getattr.
* Stubs: calling a stub class or instance, NEWOBJ/NEWOBJ_EX/OBJ/INST, BUILD (`__setstate__` is a
  descriptor that only records), SETITEM(S)/APPEND(S) all just record and return more stubs.
* `persistent_load` returns a stub. EXT1/2/4: the pure-Python engine overrides
  `get_extension` to record ("<ext>", code) and return a stub; the C unpickler has no hook, so
  the oracle refuses to start unless copyreg's extension registry is empty (then EXT raises
  "unregistered extension code", which is recorded as the error).
* An audit hook (PEP 578) aborts the process if the real find_class ("pickle.find_class"
  event), exec, a process spawn, dlopen, a socket or a write-mode open is ever reached.
* Nested loaders (pickle.loads, torch.storage._load_from_bytes, ...) are stubs too; when one is
  called with bytes, those bytes are analysed recursively with the same stubbed unpickler and
  reported under "nested".
* Containers are read with a lenient, miniz-like zip reader (central directory, local headers
  ignoring CRC, flags and name mismatches, plus local-header-only "hidden" entries and bytes
  before the first entry or after the EOCD), npy object arrays, joblib/gzip/bz2/xz/lzma/zlib
  (decompressed in memory), Copy-coder 7z, and the legacy torch layout (5 pickles then raw
  storage). joblib's in-stream array bytes after a NumpyArrayWrapper BUILD are skipped as
  joblib's NumpyUnpickler does. Symlinks are reported, never followed.

Usage: python3 tests/oracle/oracle.py [--summary] PATH...
"""

from __future__ import annotations

import argparse
import ast
import bz2
import copyreg
import gzip
import io
import json
import lzma
import os
import pickle
import pickletools
import re
import struct
import sys
import zlib

import _pickle

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
MAX_STREAMS = 64
MAX_DECOMPRESSED = 64 << 20
MAX_DEPTH = 3
NESTED_LOADERS = {"pickle.loads", "_pickle.loads", "pickle._loads", "dill.loads", "dill._dill.loads",
                  "cloudpickle.loads", "torch.storage._load_from_bytes", "numpy.loads"}


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _short(x, n=80) -> str:
    r = repr(x) if not isinstance(x, (Stub, StubMeta)) else f"<stub {_name(x)}>"
    return r if len(r) <= n else r[: n - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Recording context.

class Recorder:
    def __init__(self, depth: int):
        self.depth = depth
        self.globals: list[list[str]] = []
        self.calls: list[str] = []
        self.builds_on_globals: list[str] = []
        self.nested: list[dict] = []
        self.roots: dict = {}

    def root(self, module: str, name: str):
        key = (module, name)
        if key not in self.roots:
            self.roots[key] = _new_stub_class(f"{module}.{name}")
        return self.roots[key]

    def call(self, name: str, args, kwargs) -> None:
        self.calls.append(f"{name}({', '.join(_short(a, 40) for a in args)}{', **' + _short(kwargs, 40) if kwargs else ''})")
        if name in NESTED_LOADERS and args and isinstance(args[0], (bytes, bytearray)) and self.depth < MAX_DEPTH:
            inner = analyze_unit(bytes(args[0]), depth=self.depth + 1, engines=("py",))
            self.nested.append({"via": name, "globals": inner["globals"], "error": inner["error"],
                                "nested": inner["nested"]})


_CTX: list[Recorder] = []


def _rec() -> Recorder:
    return _CTX[-1]


# ---------------------------------------------------------------------------------------------
# Stubs.

def _attrs(obj) -> dict:
    if isinstance(obj, StubMeta):
        return type.__getattribute__(obj, "_stub_attrs")
    return object.__getattribute__(obj, "_stub_attrs")


def _name(obj) -> str:
    if isinstance(obj, StubMeta):
        return type.__getattribute__(obj, "_stub_name")
    return type(obj)._stub_name + "()"


def _instance(cls, args=()):
    inst = object.__new__(cls)
    object.__setattr__(inst, "_stub_attrs", {})
    object.__setattr__(inst, "_stub_args", tuple(args))
    return inst


def _new_stub_class(qualname: str):
    return StubMeta(qualname, (Stub,), {"_stub_name": qualname, "_stub_attrs": {}})


def _apply_state(target, state) -> None:
    """BUILD: record the state; never set a real attribute."""
    attrs = _attrs(target)
    if isinstance(target, StubMeta):
        _rec().builds_on_globals.append(_name(target))
    parts = [state]
    if isinstance(state, tuple) and len(state) == 2 and all(s is None or isinstance(s, dict) for s in state):
        parts = list(state)
    for part in parts:
        if isinstance(part, dict):
            for k, v in part.items():
                if isinstance(k, str):
                    attrs[k] = v
        elif part is not None:
            attrs["__state__"] = part


class _SetState:
    """`__setstate__` for stub classes and instances alike (BUILD looks it up on both)."""

    def __get__(self, obj, owner=None):
        target = owner if obj is None else obj

        def __setstate__(state):
            _apply_state(target, state)

        return __setstate__


class StubMeta(type):
    def __call__(cls, *args, **kwargs):  # REDUCE / INST / OBJ on a stub class
        _rec().call(_name(cls), args, kwargs)
        return _instance(cls, args)

    def __getattr__(cls, name):
        if _dunder(name):
            raise AttributeError(name)
        attrs = _attrs(cls)
        if name not in attrs:
            attrs[name] = _new_stub_class(f"{_name(cls)}.{name}")
        return attrs[name]


class Stub(metaclass=StubMeta):
    _stub_name = "<stub>"
    _stub_attrs: dict = {}
    _stub_args: tuple = ()
    __setstate__ = _SetState()

    def __new__(cls, *args, **kwargs):  # NEWOBJ / NEWOBJ_EX / argument-less OBJ
        return _instance(cls, args)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        name = _name(self)
        _rec().call(name, args, kwargs)
        return _instance(_new_stub_class(name + "(...)"), args)

    def __getattr__(self, name):  # e.g. append/extend/add looked up by APPENDS/ADDITEMS
        if _dunder(name):
            raise AttributeError(name)
        attrs = _attrs(self)
        if name not in attrs:
            attrs[name] = _new_stub_class(f"{_name(self)}.{name}")
        return attrs[name]

    def __setitem__(self, key, value):  # SETITEM(S) on a stub (e.g. an OrderedDict stub)
        _attrs(self).setdefault("__items__", []).append(key)

    def __repr__(self):
        return f"<stub {_name(self)}>"


def _find_class(module, name):
    rec = _rec()
    rec.globals.append([module, name])
    parts = str(name).split(".")
    obj = rec.root(str(module), parts[0])
    path = f"{module}.{parts[0]}"
    for part in parts[1:]:
        path += "." + part
        if isinstance(obj, (Stub, StubMeta)) and not _dunder(part):
            attrs = _attrs(obj)
            if part not in attrs:
                attrs[part] = _new_stub_class(path)
            obj = attrs[part]  # a stub, or plain data a BUILD stored there (modelscan #85)
        else:
            obj = _new_stub_class(path)  # never getattr on real objects or dunders
    return obj


def _persistent(pid):
    return _instance(_new_stub_class("<persistent_load>"), (pid,))


# ---------------------------------------------------------------------------------------------
# Unpicklers.

class PyOracle(pickle._Unpickler):
    """Pure-Python unpickler: honours FRAME boundaries ("pickle exhausted before end of frame")."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file):
        super().__init__(file)
        self._oracle_file = file

    def find_class(self, module, name):
        return _find_class(module, name)

    def persistent_load(self, pid):
        return _persistent(pid)

    def get_extension(self, code):
        _rec().globals.append(["<ext>", str(code)])
        self.append(_new_stub_class(f"<ext {code}>"))

    def load_build(self):
        inst = self.stack[-2] if len(self.stack) >= 2 else None
        pickle._Unpickler.load_build(self)
        if isinstance(inst, Stub) and _name(inst) == "joblib.numpy_pickle.NumpyArrayWrapper()":
            self.stack[-1] = self._joblib_array(inst)

    dispatch[pickle.BUILD[0]] = load_build

    def _joblib_array(self, wrapper):
        """joblib.numpy_pickle.NumpyArrayWrapper.read_array: the array bytes follow in the file."""
        attrs = _attrs(wrapper)
        shape, dtype = attrs.get("shape"), attrs.get("dtype")
        dargs = object.__getattribute__(dtype, "_stub_args") if isinstance(dtype, Stub) else ()
        descr = dargs[0] if dargs else None
        if not isinstance(shape, tuple) or not all(isinstance(x, int) for x in shape) or not isinstance(descr, str):
            raise pickle.UnpicklingError("joblib NumpyArrayWrapper without a usable shape/dtype")
        count = 1
        for x in shape:
            count *= x
        if "O" in descr:  # object arrays: a nested pickle follows
            PyOracle(self._oracle_file).load()
        else:
            m = re.search(r"(\d+)$", descr)
            itemsize = int(m.group(1)) if m else 1
            if attrs.get("numpy_array_alignment_bytes") is not None:
                pad = self._file_read(1)
                self._file_read(pad[0] if pad else 0)
            got = self._file_read(count * itemsize)
            if len(got) != count * itemsize:
                raise pickle.UnpicklingError("joblib array data truncated")
        return _instance(_new_stub_class("numpy.ndarray"), (shape, descr))


assert pickle.Unpickler is _pickle.Unpickler, "the C unpickler is required"


class COracle(pickle.Unpickler):
    """_pickle.Unpickler: C subclasses do call an overridden find_class/persistent_load."""

    def find_class(self, module, name):
        return _find_class(module, name)

    def persistent_load(self, pid):
        return _persistent(pid)


class WholeBuffer:
    """A file whose peek() returns all remaining bytes: the C unpickler then holds the whole input
    in one buffer and reads it linearly, exactly as pickle.loads(bytes) does."""

    def __init__(self, data: bytes):
        self._b = io.BytesIO(data)

    def read(self, n=-1):
        return self._b.read(n)

    def readline(self):
        return self._b.readline()

    def peek(self, n=0):
        pos = self._b.tell()
        rest = self._b.read()
        self._b.seek(pos)
        return rest

    def tell(self):
        return self._b.tell()


def run_engine(engine: str, data: bytes, depth: int, path: str | None = None) -> dict:
    """Load back-to-back pickles until EOF or an error."""
    rec = Recorder(depth)
    _CTX.append(rec)
    streams, error, trailing, legacy = 0, None, 0, False
    f = None
    try:
        if engine == "py":
            f, make = io.BytesIO(data), PyOracle
        elif engine == "c_bytes":
            f, make = WholeBuffer(data), COracle
        elif engine == "c_stream":
            f, make = io.BytesIO(data), COracle
        elif engine == "c_file":
            f, make = open(path, "rb", buffering=8192), COracle
        else:
            raise ValueError(engine)
        while f.tell() < len(data) and streams < MAX_STREAMS:
            start = f.tell()
            try:
                obj = make(f).load()
            except Exception as e:  # noqa: BLE001 - every failure is a result here
                error = f"stream {streams} at offset {start}: {type(e).__name__}: {e}"
                break
            streams += 1
            if streams == 1 and type(obj) is int and obj == TORCH_MAGIC:
                legacy = True  # torch legacy layout: magic, version, sys_info, object, storage keys
            if legacy and streams == 5:
                trailing = len(data) - f.tell()  # raw storage bytes, not pickles
                break
    finally:
        _CTX.pop()
        if engine == "c_file" and f is not None:
            f.close()
    out = {"globals": rec.globals, "error": error, "streams": streams}
    if legacy:
        out["legacy_torch_storage_bytes"] = trailing
    if rec.builds_on_globals:
        out["builds_on_globals"] = rec.builds_on_globals
    out["calls"] = rec.calls
    out["nested"] = rec.nested
    return out


STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"}


def genops_view(data: bytes) -> dict:
    """The naive static view: GLOBAL/INST arguments, STACK_GLOBAL = last two strings pushed."""
    found, error, f, streams = [], None, io.BytesIO(data), 0
    while f.tell() < len(data) and streams < MAX_STREAMS:
        strings: list[str] = []
        try:
            for op, arg, _pos in pickletools.genops(f):
                if op.name in ("GLOBAL", "INST"):
                    found.append(arg.split(" ", 1))
                elif op.name == "STACK_GLOBAL":
                    found.append(strings[-2:] if len(strings) >= 2 else ["?", "?"])
                elif op.name in STRING_OPS:
                    strings.append(str(arg))
                elif op.name in ("EXT1", "EXT2", "EXT4"):
                    found.append(["<ext>", str(arg)])
        except Exception as e:  # noqa: BLE001
            error = f"stream {streams}: {type(e).__name__}: {e}"
            break
        streams += 1
    return {"globals": found, "error": error}


# ---------------------------------------------------------------------------------------------
# Units (one pickle byte stream) and containers.

PICKLE_START = set(b"\x80(c]})SVXTUBC\x8c\x8d\x8eIJKMLFG\x8a\x8bN\x88\x89P\x95\x8f\x82\x83\x84")


def looks_like_pickle(data: bytes) -> bool:
    if not data or data[0] not in PICKLE_START:
        return False
    if data[0] == ord("c"):  # GLOBAL needs "module\nname\n"
        return re.match(rb"c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n", data) is not None
    return True


def analyze_unit(data: bytes, depth=0, engines=("py", "c_bytes", "c_stream"), path=None) -> dict:
    py = run_engine("py", data, depth)
    out = {"format": "pickle", "globals": py["globals"], "error": py["error"], "streams": py["streams"]}
    for k in ("legacy_torch_storage_bytes", "builds_on_globals"):
        if k in py:
            out[k] = py[k]
    out["calls"] = py["calls"]
    out["nested"] = py["nested"]
    if path is not None:  # the whole file is this stream: also feed the C unpickler a real file
        engines = tuple(engines) + ("c_file",)
    eng = {}
    for e in engines:
        if e == "py":
            continue
        r = run_engine(e, data, depth, path)
        eng[e] = {"globals": r["globals"], "error": r["error"]}
        for n in r["nested"]:
            if n not in out["nested"]:
                out["nested"].append(n)
    if eng:
        out["engines"] = eng
    out["genops"] = genops_view(data)
    return out


def find_eocd(data: bytes) -> int:
    return data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))


def read_local(data: bytes, off: int):
    if data[off:off + 4] != b"PK\x03\x04" or off + 30 > len(data):
        return None
    flags, method, crc, csize, usize, nlen, xlen = struct.unpack("<2xHH4xIIIHH", data[off + 4:off + 30])
    name = data[off + 30:off + 30 + nlen].decode("utf-8", "replace")
    start = off + 30 + nlen + xlen
    return {"flags": flags, "method": method, "crc": crc, "csize": csize, "name": name, "start": start}


def inflate(payload: bytes, method: int) -> bytes:
    if method == 0:
        return payload
    if method == 8:
        d = zlib.decompressobj(-15)
        return d.decompress(payload, MAX_DECOMPRESSED)
    raise ValueError(f"compression method {method}")


def analyze_zip(data: bytes, depth: int) -> dict:
    out = {"format": "zip", "members": [], "notes": []}
    eocd = find_eocd(data)
    entries, covered = [], []
    if eocd >= 0:
        n, cd_size, cd_off, clen = struct.unpack("<HIIH", data[eocd + 10:eocd + 22])
        pos = cd_off
        for _ in range(n):
            if data[pos:pos + 4] != b"PK\x01\x02":
                out["notes"].append(f"bad central directory entry at {pos}")
                break
            flags, method, crc, csize, usize, nlen, xlen, klen, local = struct.unpack(
                "<8xHH4xIIIHHH8xI", data[pos:pos + 46])
            name = data[pos + 46:pos + 46 + nlen].decode("utf-8", "replace")
            entries.append({"name": name, "flags": flags, "method": method, "crc": crc, "csize": csize, "local": local})
            pos += 46 + nlen + xlen + klen
        tail = data[eocd + 22 + clen:]
        if tail:
            out["notes"].append(f"{len(tail)} bytes after the EOCD")
    else:
        out["notes"].append("no end of central directory record")
        cd_off, tail = len(data), b""
    seen_names = set()
    for e in entries:
        loc = read_local(data, e["local"])
        if loc is None:
            out["notes"].append(f"{e['name']}: no local header at {e['local']}")
            continue
        notes = []
        if loc["name"] != e["name"]:
            notes.append(f"local name {loc['name']!r}")
        if e["flags"] & 1:
            notes.append("encrypted flag")
        if e["name"] in seen_names:
            notes.append("duplicate name")
        if e["name"].startswith("/") or ".." in e["name"].split("/"):
            notes.append("path traversal")
        seen_names.add(e["name"])
        payload = data[loc["start"]:loc["start"] + e["csize"]]
        covered.append((e["local"], loc["start"] + e["csize"]))
        out["members"].append(member(e["name"], payload, e["method"], e["crc"], notes, depth))
    # Local headers the central directory does not list (streaming unzippers see them).
    known = {e["local"] for e in entries}
    for m in re.finditer(re.escape(b"PK\x03\x04"), data[:cd_off]):
        off = m.start()
        if off in known or any(a <= off < b for a, b in covered):
            continue
        loc = read_local(data, off)
        if loc is None:
            continue
        payload = data[loc["start"]:loc["start"] + loc["csize"]]
        covered.append((off, loc["start"] + loc["csize"]))
        out["members"].append(member(loc["name"], payload, loc["method"], loc["crc"], ["hidden: local header only"], depth))
    first = min([a for a, _ in covered], default=0)
    if first > 0:
        out["prefix"] = {"bytes": first, **(analyze_unit(data[:first], depth) if looks_like_pickle(data) else {})}
    if tail and looks_like_pickle(tail):
        out["trailing"] = analyze_unit(tail, depth)
    return out


def member(name, payload, method, crc, notes, depth) -> dict:
    m = {"name": name}
    try:
        raw = inflate(payload, method)
    except Exception as e:  # noqa: BLE001
        m.update(notes=notes, error=f"cannot decompress: {e}")
        return m
    if zlib.crc32(raw) != crc:
        notes = notes + ["CRC mismatch"]
    if notes:
        m["notes"] = notes
    m.update(analyze_bytes(raw, depth + 1, member=True))
    return m


def analyze_npy(data: bytes, depth: int) -> dict:
    out = {"format": "npy"}
    try:
        major = data[6]
        if major == 1:
            hlen, start = struct.unpack("<H", data[8:10])[0], 10
        else:
            hlen, start = struct.unpack("<I", data[8:12])[0], 12
        header = ast.literal_eval(data[start:start + hlen].decode("latin1"))  # literals only
        descr = header["descr"]
    except Exception as e:  # noqa: BLE001
        out["error"] = f"bad npy header: {type(e).__name__}: {e}"
        return out
    out["descr"] = str(descr)
    if "O" in str(descr):
        out.update(analyze_unit(data[start + hlen:], depth))
        out["format"] = "npy+pickle"
    return out


def analyze_7z(data: bytes, depth: int) -> dict:
    """Copy-coder 7z only (what samples/generate.py writes); anything else is reported."""
    out = {"format": "7z", "members": []}
    try:
        off, size = struct.unpack("<QQ", data[12:28])
        h = data[32 + off:32 + off + size]
        pos = 0

        def num():
            nonlocal pos
            first = h[pos]
            pos += 1
            mask, n = 0x80, 0
            while n < 8 and first & mask:
                n += 1
                mask >>= 1
            v = int.from_bytes(h[pos:pos + n], "little")
            pos += n
            high = first & (mask - 1) if n < 8 else 0
            return v | (high << (8 * n))

        def byte(expect=None):
            nonlocal pos
            b = h[pos]
            pos += 1
            if expect is not None and b != expect:
                raise ValueError(f"7z: expected property {expect:#x}, got {b:#x} (unsupported layout)")
            return b

        byte(0x01), byte(0x04), byte(0x06)
        packpos, npack = num(), num()
        byte(0x09)
        sizes = [num() for _ in range(npack)]
        byte(0x00), byte(0x07), byte(0x0B)
        nfolders = num()
        byte(0x00)
        for _ in range(nfolders):
            if num() != 1 or byte() != 0x01 or byte() != 0x00:
                raise ValueError("7z: only single Copy-coder folders are supported")
        byte(0x0C)
        [num() for _ in range(nfolders)]
        byte(0x00)
        if h[pos] == 0x08:
            pos += 1
            if h[pos] == 0x0A:
                pos += 2 + 4 * nfolders
            byte(0x00)
        byte(0x00), byte(0x05)
        nfiles = num()
        byte(0x11)
        nsize = num()
        byte(0x00)
        names = h[pos:pos + nsize - 1].decode("utf-16-le").split("\x00")[:nfiles]
        at = 32 + packpos
        for name, sz in zip(names, sizes):
            out["members"].append({"name": name, **analyze_bytes(data[at:at + sz], depth + 1, member=True)})
            at += sz
    except Exception as e:  # noqa: BLE001
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def analyze_bytes(data: bytes, depth: int, member=False, path=None) -> dict:
    """Sniff by magic bytes (never by name) and analyse every pickle a loader could reach."""
    if not data:
        return {"format": "empty"}
    if depth > MAX_DEPTH + 2:
        return {"format": "too deep"}
    if data[:4] == b"PK\x03\x04":
        return analyze_zip(data, depth)
    if data[:6] == b"\x93NUMPY":
        return analyze_npy(data, depth)
    if data[:6] == b"7z\xbc\xaf\x27\x1c":
        return analyze_7z(data, depth)
    for fmt, magic, fn in (("gzip", b"\x1f\x8b", gzip.decompress), ("bz2", b"BZh", bz2.decompress),
                           ("xz", b"\xfd7zXZ\x00", lzma.decompress), ("lzma", b"\x5d\x00\x00", lzma.decompress),
                           ("zlib", b"x", zlib.decompress)):
        if data.startswith(magic):
            try:
                inner = fn(data)
            except Exception:  # noqa: BLE001 - not really compressed (e.g. a pickle starting 'x')
                break
            return {"format": fmt, "inner": analyze_bytes(inner[:MAX_DECOMPRESSED], depth + 1, member=True)}
    if len(data) >= 9 and data[8:9] == b"{" and struct.unpack("<Q", data[:8])[0] <= len(data) - 8:
        return {"format": "safetensors"}
    if looks_like_pickle(data):
        out = analyze_unit(data, depth, path=path)
        eocd = find_eocd(data)
        if eocd > 0:  # a zip reachable through its EOCD as well: pickle+zip polyglot
            out["zip_view"] = analyze_zip(data, depth)
        return out
    return {"format": "not a pickle (skipped)"}


def analyze_path(path: str) -> list[dict]:
    results = []
    if os.path.islink(path):
        return [{"path": path, "symlink": os.readlink(path)}]
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            dirnames.sort()
            for fn in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
                results.extend(analyze_path(os.path.join(dirpath, fn)))
        return results
    with open(path, "rb") as f:
        data = f.read()
    r = analyze_bytes(data, 0, path=path)
    return [{"path": path, **flatten(r)}]


def all_units(r: dict):
    """Every pickle unit inside a result, with a label."""
    if "globals" in r:
        yield "", r
    for m in r.get("members", []):
        for label, u in all_units(m):
            yield f"{m['name']}{'/' + label if label else ''}", u
    if "inner" in r:
        yield from all_units(r["inner"])
    for k in ("prefix", "trailing", "zip_view"):
        if k in r and isinstance(r[k], dict):
            for label, u in all_units(r[k]):
                yield f"<{k}>{'/' + label if label else ''}", u


def flatten(r: dict) -> dict:
    """Top-level globals/error aggregate every unit in the file (members, compressed payloads)."""
    if not any(k in r for k in ("members", "inner", "prefix", "trailing", "zip_view")):
        return r
    out = dict(r)
    g = [x for i, x in enumerate(r.get("globals", [])) if x not in r["globals"][:i]]
    errors = [r["error"]] if r.get("error") else []
    for label, u in all_units(r):
        if u is r:
            continue
        for x in u.get("globals", []):
            if x not in g:
                g.append(x)
        if u.get("error"):
            errors.append(f"{label}: {u['error']}")
    out["globals"] = g
    out["error"] = "; ".join(errors) if errors else r.get("error")
    return out


def summary_line(r: dict) -> str:
    if "symlink" in r:
        return f"{r['path']}: symlink -> {r['symlink']}"
    parts = [f"{r['path']}: [{r.get('format')}]"]
    parts.append(" ".join(".".join(g) for g in r.get("globals", [])) or "no globals")
    for label, u in all_units(r):
        for n in u.get("nested", []):
            parts.append(f"nested via {n['via']}: {' '.join('.'.join(g) for g in n['globals'])}")
        for e, v in u.get("engines", {}).items():
            if v["globals"] != u["globals"]:
                parts.append(f"{e}{'@' + label if label else ''}: {' '.join('.'.join(g) for g in v['globals']) or 'no globals'}"
                             + (f" (error: {v['error'][:60]})" if v["error"] else ""))
        gv = u.get("genops", {}).get("globals")
        if gv is not None and gv != u.get("globals"):
            parts.append(f"genops{'@' + label if label else ''}: {' '.join('.'.join(g) for g in gv) or 'no globals'}")
    if r.get("error"):
        parts.append(f"error: {r['error'][:160]}")
    return " | ".join(parts)


# Fail closed: if anything the oracle does ever reaches the real find_class, a process spawn, a
# native library, the network, exec/eval or a file opened for writing, CPython raises an audit
# event (PEP 578) and we kill the process before the operation happens.
FORBIDDEN_EVENTS = {
    "pickle.find_class", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
    "os.forkpty", "subprocess.Popen", "ctypes.dlopen", "ctypes.dlsym", "socket.connect",
    "socket.getaddrinfo", "webbrowser.open", "exec", "os.startfile", "os.remove", "os.rename",
    "shutil.rmtree", "urllib.Request",
}


_STDLIB = os.path.dirname(os.__file__) + os.sep


def _audit_guard(event, args):
    if event == "exec" and args and getattr(args[0], "co_filename", "").startswith((_STDLIB, "<frozen ")):
        return  # a lazily imported standard-library module, not something a pickle reached
    writes = False
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        writes = writes and path != os.devnull
    if event in FORBIDDEN_EVENTS or writes:
        os.write(2, f"oracle: refused audit event {event} {args!r:.200}; aborting\n".encode())
        os._exit(3)


def main() -> int:
    sys.addaudithook(_audit_guard)
    if copyreg._inverted_registry or copyreg._extension_cache:
        sys.exit("oracle: copyreg extension registry is not empty; refusing to run the C unpickler")
    ap = argparse.ArgumentParser(description="stubbed differential unpickling oracle (never runs payloads)")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--summary", action="store_true", help="one line per file instead of JSON")
    args = ap.parse_args()
    results = []
    for p in args.paths:
        results.extend(analyze_path(p))
    try:
        if args.summary:
            for r in results:
                print(summary_line(r))
        else:
            json.dump(results, sys.stdout, indent=1, default=str)
            print()
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: a quiet success
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
