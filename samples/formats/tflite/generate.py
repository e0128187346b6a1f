#!/usr/bin/env python3
"""Rebuild aibom's TensorFlow Lite samples (samples/formats/tflite/) and expected.json.

    python3 samples/formats/tflite/generate.py

Standard library only: the `.tflite` FlatBuffers are written by the small writer below from the
FlatBuffers binary format and the TFLite schema (tensorflow/lite/schema/schema.fbs, schema
version 3). Deterministic: run it twice and every byte is the same. No sample is ever run;
`samples/check_with_tensorflow.py` has TensorFlow's `tf.lite.Interpreter` construct each one and
allocate its tensors (never invoke) to show it reads them the way aibom's findings say.

FlatBuffers layout used here (little-endian): the file starts with the root table's `uoffset`
(u32, relative to itself) and the 4-byte file identifier `TFL3`. A table starts with an
`soffset` (i32) to its vtable (vtable = table - soffset); the vtable is u16 words: its own size,
the table's inline size, then one offset per field from the table start (0: field absent, the
schema default applies). References (tables, vectors, strings) are u32 `uoffset`s from the
referring slot forward, so every object here is written after what points at it. A vector is a
u32 element count then the elements; a string is a u32 byte count, the bytes and a 0 byte.
Scalars are aligned to their size, vectors and tables to 4, tensor data to 16 (schema's
`force_align: 16`).

Tables and field indexes (a field's vtable slot is 4 + 2 * index; a union takes two indexes,
its type byte first):

    Model         version:uint = 0, operator_codes:[OperatorCode] = 1, subgraphs:[SubGraph] = 2,
                  description:string = 3, buffers:[Buffer] = 4
    OperatorCode  deprecated_builtin_code:byte = 0, custom_code:string = 1, version:int = 2,
                  builtin_code:BuiltinOperator(int) = 3
    SubGraph      tensors:[Tensor] = 0, inputs:[int] = 1, outputs:[int] = 2,
                  operators:[Operator] = 3, name:string = 4
    Tensor        shape:[int] = 0, type:TensorType(byte) = 1, buffer:uint = 2, name:string = 3
    Operator      opcode_index:uint = 0, inputs:[int] = 1, outputs:[int] = 2,
                  builtin_options_type:ubyte = 3, builtin_options = 4, custom_options:[ubyte] = 5
    Buffer        data:[ubyte] = 0
    AddOptions    fused_activation_function:byte = 0
    BuiltinOperator ADD = 0, RELU = 19, CUSTOM = 32; TensorType FLOAT32 = 0, STRING = 5;
    BuiltinOptions AddOptions = 11

The Flex operator's `custom_options` hold what TensorFlow's converter writes there: a FlexBuffer
vector of two strings, the TensorFlow op name and its serialized `NodeDef` (name = 1, op = 2,
input = 3 in node_def.proto), which the Flex delegate runs as a TensorFlow kernel. FlexBuffers
(flatbuffers/docs: "FlexBuffers" internals), with every width 1 byte: a string is its length,
its bytes and a 0 byte; an untyped vector is its length, one offset per element (back from the
element to the string's first byte) and one packed type byte per element (type << 2 | width
code; STRING = 5, VECTOR = 10, width code 0 = 1 byte); the buffer ends with the root (an offset
back to the vector), its packed type and the root's byte width.

Keys of expected.json are paths relative to samples/; `codes` must appear, others may too.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "formats/tflite/"

ADD, RELU, CUSTOM = 0, 19, 32
FLOAT32, STRING = 0, 5
ADD_OPTIONS = 11

expected: dict[str, dict] = {}


# --- FlatBuffers ------------------------------------------------------------------------------
class Table:
    """Fields by index: (kind, value); kind is a struct format ('B', 'b', 'I', 'i') or 'ref'."""

    def __init__(self, **fields):
        self.fields: dict[int, tuple[str, object]] = {}
        for key, v in fields.items():
            self.fields[int(key[1:])] = v


class Vector:
    def __init__(self, kind: str, items, align: int = 4):
        self.kind, self.items, self.align = kind, list(items), align


class String:
    def __init__(self, text: str):
        self.data = text.encode()


def f(i: int, kind: str, value) -> dict:
    return {f"f{i}": (kind, value)}


class Writer:
    """Writes objects front to back; every reference points forward to a later object."""

    def __init__(self, ident: bytes):
        self.buf = bytearray(4) + ident
        self.at: dict[int, int] = {}  # id(object) -> position, for the malformed cut

    def pad(self, align: int, extra: int = 0) -> None:
        while (len(self.buf) + extra) % align:
            self.buf.append(0)

    def patch(self, slot: int, target: int) -> None:
        self.buf[slot:slot + 4] = struct.pack("<I", target - slot)

    def write(self, obj) -> int:
        if isinstance(obj, Table):
            pos = self.table(obj)
        elif isinstance(obj, Vector):
            pos = self.vector(obj)
        else:
            self.pad(4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(obj.data)) + obj.data + b"\0"
        self.at[id(obj)] = pos
        return pos

    def table(self, t: Table) -> int:
        # Inline layout: the soffset, then fields largest first (all sizes here are 4 or 1, so
        # each is aligned once the table start is).
        size = {"B": 1, "b": 1, "I": 4, "i": 4, "ref": 4}
        order = sorted(t.fields, key=lambda i: (-size[t.fields[i][0]], i))
        offsets, inline = {}, 4
        for i in order:
            offsets[i] = inline
            inline += size[t.fields[i][0]]
        inline += -inline % 4
        slots = max(t.fields) + 1 if t.fields else 0
        vtable = struct.pack(f"<{2 + slots}H", 4 + 2 * slots, inline,
                             *[offsets.get(i, 0) for i in range(slots)])
        self.pad(4, len(vtable))
        vt_pos = len(self.buf)
        self.buf += vtable
        pos = len(self.buf)
        body = bytearray(inline)
        body[0:4] = struct.pack("<i", pos - vt_pos)
        refs = []
        for i in order:
            kind, value = t.fields[i]
            if kind == "ref":
                refs.append((pos + offsets[i], value))
            else:
                struct.pack_into("<" + kind, body, offsets[i], value)
        self.buf += body
        for slot, child in refs:
            self.patch(slot, self.write(child))
        return pos

    def vector(self, v: Vector) -> int:
        self.pad(max(v.align, 4), 4)
        pos = len(self.buf)
        count = len(v.items[0]) if v.kind == "bytes" else len(v.items)
        self.buf += struct.pack("<I", count)
        if v.kind == "ref":
            slots = []
            for _ in v.items:
                slots.append(len(self.buf))
                self.buf += bytes(4)
            for slot, child in zip(slots, v.items):
                self.patch(slot, self.write(child))
        elif v.kind == "bytes":
            self.buf += v.items[0]
        else:
            self.buf += struct.pack(f"<{len(v.items)}{v.kind}", *v.items)
        return pos

    def finish(self, root: Table) -> bytes:
        self.patch(0, self.write(root))
        self.pad(4)
        return bytes(self.buf)


def ints(*xs: int) -> tuple[str, Vector]:
    return ("ref", Vector("i", xs))


def ref(obj) -> tuple[str, object]:
    return ("ref", obj)


# --- TFLite -----------------------------------------------------------------------------------
def opcode(builtin: int, custom: str | None = None) -> Table:
    fields = {**f(0, "b", min(builtin, 127)), **f(2, "i", 1), **f(3, "i", builtin)}
    if custom is not None:
        fields.update(f(1, "ref", String(custom)))
    return Table(**fields)


def tensor(name: str, ttype: int, shape: tuple, buffer: int = 0) -> Table:
    return Table(**f(0, *ints(*shape)), **f(1, "b", ttype), **f(2, "I", buffer),
                 **f(3, "ref", String(name)))


def operator(index: int, inputs, outputs, options: Table | None = None,
             options_type: int = 0, custom_options: bytes | None = None) -> Table:
    fields = {**f(0, "I", index), **f(1, *ints(*inputs)), **f(2, *ints(*outputs))}
    if options is not None:
        fields.update({**f(3, "B", options_type), **f(4, "ref", options)})
    if custom_options is not None:
        fields.update(f(5, "ref", Vector("bytes", [custom_options])))
    return Table(**fields)


def buffer(data: bytes | None = None) -> Table:
    if data is None:
        return Table()
    return Table(**f(0, "ref", Vector("bytes", [data], align=16)))


def model(codes, tensors, inputs, outputs, ops, buffers) -> tuple[bytes, Writer, Table]:
    codes_vec = Vector("ref", codes)
    sub = Table(**f(0, "ref", Vector("ref", tensors)), **f(1, *ints(*inputs)),
                **f(2, *ints(*outputs)), **f(3, "ref", Vector("ref", ops)),
                **f(4, "ref", String("main")))
    root = Table(**f(0, "I", 3), **f(1, "ref", codes_vec), **f(2, "ref", Vector("ref", [sub])),
                 **f(3, "ref", String("aibom-sample")), **f(4, "ref", Vector("ref", buffers)))
    w = Writer(b"TFL3")
    return w.finish(root), w, codes_vec


def benign():
    """y = relu(x + w), float32[1, 4]; w is a constant tensor in buffer 1."""
    weights = struct.pack("<4f", 0.5, -1.0, 2.0, -3.0)
    return model(
        codes=[opcode(ADD), opcode(RELU)],
        tensors=[tensor("x", FLOAT32, (1, 4)), tensor("w", FLOAT32, (1, 4), buffer=1),
                 tensor("sum", FLOAT32, (1, 4)), tensor("y", FLOAT32, (1, 4))],
        inputs=[0], outputs=[3],
        ops=[operator(0, [0, 1], [2], Table(**f(0, "b", 0)), ADD_OPTIONS),
             operator(1, [2], [3])],
        buffers=[buffer(), buffer(weights)],
    )


def read_file(custom: str, custom_options: bytes | None = None):
    """contents = <custom op>(path): one string in, one string out."""
    return model(
        codes=[opcode(CUSTOM, custom)],
        tensors=[tensor("path", STRING, ()), tensor("contents", STRING, ())],
        inputs=[0], outputs=[1],
        ops=[operator(0, [0], [1], custom_options=custom_options)],
        buffers=[buffer()],
    )


# --- protobuf / FlexBuffers for the Flex operator's NodeDef -----------------------------------
def pb_bytes(number: int, payload: bytes) -> bytes:
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def flex_string_vector(*items: bytes) -> bytes:
    """A FlexBuffer whose root is an untyped vector of strings, all widths 1 byte."""
    out = bytearray()
    starts = []
    for s in items:
        assert len(s) < 256
        out.append(len(s))
        starts.append(len(out))
        out += s + b"\0"
    out.append(len(items))
    vec = len(out)
    for i, start in enumerate(starts):
        out.append(vec + i - start)
    out += bytes([5 << 2] * len(items))
    root = len(out)
    out += bytes([root - vec, 10 << 2, 1])
    return bytes(out)


def flex_read_file_options() -> bytes:
    node_def = pb_bytes(1, b"ReadFile") + pb_bytes(2, b"ReadFile") + pb_bytes(3, b"path")
    return flex_string_vector(b"ReadFile", node_def)


def write(rel: str, data: bytes, verdict: str, codes: list[str], why: str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expected[PREFIX + rel] = {"verdict": verdict, "codes": codes, "why": why}


def main() -> None:
    for d in ("benign", "malicious", "malformed"):
        shutil.rmtree(HERE / d, ignore_errors=True)
    good, writer, codes_vec = benign()
    write("benign/add_relu.tflite", good, "clean", [],
          "builtin operators only (ADD, RELU) and one constant tensor: nothing for the "
          "application to register, no Flex kernel")
    write("benign/custom_readfile.tflite", read_file("ReadFile")[0], "clean",
          ["tflite-custom-op"],
          "custom operator ReadFile: reported low, under the default gate (the model only names "
          "a native kernel; the application must register it, the file carries no code)")
    write("malicious/flex_readfile.tflite",
          read_file("FlexReadFile", flex_read_file_options())[0], "unsafe",
          ["tflite-flex-op"],
          "Flex operator FlexReadFile: TensorFlow's ReadFile kernel run through the Flex "
          "delegate (high: it reads any file its input names)")
    # Cut inside the operator-code vector: its element offsets point past the end.
    cut = writer.at[id(codes_vec)] + 8
    write("malformed/truncated.tflite", good[:cut], "malformed", ["tflite-malformed"],
          f"the benign model cut after {cut} of {len(good)} bytes, inside its operator-code "
          "vector (TFL3 identifier intact)")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
