#!/usr/bin/env python3
"""Rebuild aibom's TensorFlow SavedModel samples (samples/formats/savedmodel/) and expected.json.

    python3 samples/formats/savedmodel/generate.py

Standard library only: TensorFlow is a multi-gigabyte install, so the `saved_model.pb`
protobufs are written with the small encoder below, field by field. Deterministic: run it twice
and every byte is the same. No sample is ever loaded; the malicious ones only *contain* nodes
that would read `/etc/hostname` or write `/tmp/aibom-sample.txt` if a session ran them.

Field numbers (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto,
core/framework/graph.proto, node_def.proto, function.proto, op_def.proto, attr_value.proto,
tensor.proto, types.proto):

    SavedModel          saved_model_schema_version = 1 (int64), meta_graphs = 2
    MetaGraphDef        meta_info_def = 1, graph_def = 2
    MetaInfoDef         meta_graph_version = 1, tags = 4, tensorflow_version = 5,
                        tensorflow_git_version = 6
    GraphDef            node = 1, library = 2, versions = 4 (VersionDef: producer = 1)
    FunctionDefLibrary  function = 1
    FunctionDef         signature = 1 (OpDef: name = 1), node_def = 3
    NodeDef             name = 1, op = 2, input = 3, device = 4,
                        attr = 5 (map<string, AttrValue>: entry key = 1, value = 2)
    AttrValue           list = 1, s = 2, i = 3, type = 6, tensor = 8, func = 10
                        (NameAttrList: name = 1)
    TensorProto         dtype = 1, tensor_shape = 2, string_val = 8, float_val = 5
    DataType            DT_FLOAT = 1, DT_STRING = 7

Files are named `saved_model.pb`, each in its own directory, since aibom recognises the format
by that name plus a plausible first byte (0x08: field 1 varint).

Keys of expected.json are paths relative to samples/; `codes` must appear, others may too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "formats/savedmodel/"
DT_FLOAT, DT_STRING = 1, 7

expected: dict[str, dict] = {}


# --- protobuf encoding -----------------------------------------------------------------------
def varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def f_bytes(number: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def f_msg(number: int, *parts: bytes) -> bytes:
    return f_bytes(number, b"".join(parts))


# --- TensorFlow messages -----------------------------------------------------------------------
def attr(key: str, value: bytes) -> bytes:
    """One NodeDef.attr map entry; `value` is the AttrValue's encoded fields."""
    return f_msg(5, f_bytes(1, key), f_msg(2, value))


def node(name: str, op: str, inputs=(), attrs=(), field: int = 1) -> bytes:
    parts = [f_bytes(1, name), f_bytes(2, op)]
    parts += [f_bytes(3, i) for i in inputs]
    parts += [attr(k, v) for k, v in attrs]
    return f_msg(field, *parts)


def dtype(t: int) -> bytes:
    return f_int(6, t)


def string_const(name: str, value: str) -> bytes:
    tensor = f_int(1, DT_STRING) + f_msg(2) + f_bytes(8, value)
    return node(name, "Const", attrs=[("dtype", dtype(DT_STRING)), ("value", f_msg(8, tensor))])


def function(name: str, *nodes: bytes) -> bytes:
    return f_msg(1, f_msg(1, f_bytes(1, name)), *nodes)


def saved_model(*graph: bytes, tags=("serve",)) -> bytes:
    meta_info = f_msg(
        1,
        f_bytes(1, "aibom-sample"),
        *[f_bytes(4, t) for t in tags],
        f_bytes(5, "2.15.0"),
        f_bytes(6, "v2.15.0-0-g6887368d6d4"),
    )
    versions = f_msg(4, f_int(1, 1645))
    return f_int(1, 1) + f_msg(2, meta_info, f_msg(2, *graph, versions))


def saver() -> list[bytes]:
    """The saver graph tf.saved_model.save writes: SaveV2/RestoreV2/MergeV2Checkpoints."""
    return [
        node("saver_filename", "Placeholder", attrs=[("dtype", dtype(DT_STRING))]),
        string_const("save/tensor_names", "w"),
        string_const("save/shape_and_slices", ""),
        node("save/SaveV2", "SaveV2",
             ["saver_filename", "save/tensor_names", "save/shape_and_slices", "w"]),
        node("save/RestoreV2", "RestoreV2",
             ["saver_filename", "save/tensor_names", "save/shape_and_slices"],
             attrs=[("dtypes", f_msg(1, f_int(6, DT_FLOAT)))]),
        node("save/MergeV2Checkpoints", "MergeV2Checkpoints", ["saver_filename", "saver_filename"]),
    ]


def benign() -> bytes:
    call = node("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "w"],
                attrs=[("f", f_msg(10, f_bytes(1, "__inference_serve_12")))])
    lib = f_msg(2, function("__inference_serve_12",
                            node("matmul", "MatMul", ["x", "w"], field=3),
                            node("relu", "Relu", ["matmul:product:0"], field=3)))
    return saved_model(
        node("x", "Placeholder", attrs=[("dtype", dtype(DT_FLOAT))]),
        node("w", "VarHandleOp", attrs=[("dtype", dtype(DT_FLOAT))]),
        call,
        *saver(),
        lib,
    )


def readfile() -> bytes:
    return saved_model(
        node("x", "Placeholder", attrs=[("dtype", dtype(DT_FLOAT))]),
        string_const("path", "/etc/hostname"),
        node("leak", "ReadFile", ["path"]),
        string_const("out_path", "/tmp/aibom-sample.txt"),
        node("drop", "WriteFile", ["out_path", "leak"]),
        *saver(),
    )


def pyfunc() -> bytes:
    lib = f_msg(2, function(
        "__inference_call_7",
        node("py", "PyFunc", ["x"], field=3,
             attrs=[("token", f_bytes(2, "pyfunc_0")), ("Tin", f_msg(1, f_int(6, DT_FLOAT))),
                    ("Tout", f_msg(1, f_int(6, DT_FLOAT)))]),
    ))
    call = node("StatefulPartitionedCall", "StatefulPartitionedCall", ["x"],
                attrs=[("f", f_msg(10, f_bytes(1, "__inference_call_7")))])
    return saved_model(node("x", "Placeholder", attrs=[("dtype", dtype(DT_FLOAT))]), call, lib)


def write(rel: str, data: bytes, verdict: str, codes: list[str], why: str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expected[PREFIX + rel] = {"verdict": verdict, "codes": codes, "why": why}


def main() -> None:
    for d in ("benign", "malicious", "malformed"):
        shutil.rmtree(HERE / d, ignore_errors=True)
    good = benign()
    write("benign/saved_model.pb", good, "clean", [],
          "Placeholder, MatMul/Relu in a library function, and the SaveV2/RestoreV2/"
          "MergeV2Checkpoints saver graph every SavedModel has (facts, not findings)")
    write("malicious/readfile/saved_model.pb", readfile(), "unsafe", ["savedmodel-dangerous-op"],
          "ReadFile of /etc/hostname and WriteFile to /tmp/aibom-sample.txt in the graph")
    write("malicious/pyfunc/saved_model.pb", pyfunc(), "unsafe", ["savedmodel-dangerous-op"],
          "PyFunc inside a library function called through StatefulPartitionedCall")
    write("malformed/saved_model.pb", good[: len(good) // 2], "malformed",
          ["savedmodel-malformed"], "the benign saved_model.pb cut in half")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
