#!/usr/bin/env python3
"""Rebuild aibom's TensorFlow SavedModel samples (samples/formats/savedmodel/) and expected.json.

    python3 samples/formats/savedmodel/generate.py

Standard library only: TensorFlow is a multi-gigabyte install, so the `saved_model.pb`
protobufs are written with the small encoder below, field by field. Deterministic: run it twice
and every byte is the same. No sample is ever loaded; the malicious ones only *contain* nodes
that would read `/etc/hostname` or write `/tmp/aibom-sample.txt` if a session ran them.

The graphs are complete enough for TensorFlow's own loaders: every node has the attrs its op
registers without a default (VarHandleOp's dtype/shape, StatefulPartitionedCall's Tin/Tout/f,
SaveV2's dtypes, ...), every input names a node of the graph, library functions have typed
signatures and `ret` maps, and constants have the shapes the ops' shape functions require, so
`SavedModelLoader.load_graph` (the TF1 loader's graph import, which runs nothing) imports each
well-formed sample. `samples/check_with_tensorflow.py` checks that, and how far each loader
would get: the readfile sample's ReadFile/WriteFile pair is the init op
(`__saved_model_init_op` signature -> NoOp `init` after `drop`), which the TF1 loader and
tf.saved_model.load (load_v1_in_v2, no object graph here) run while loading; the pyfunc
sample's PyFunc runs when `serving_default` is called. No SaverDef and no variables/ directory
are written, so neither loader makes a Saver or restores a checkpoint.

Field numbers (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto,
core/framework/graph.proto, node_def.proto, function.proto, op_def.proto, attr_value.proto,
tensor.proto, tensor_shape.proto, types.proto):

    SavedModel          saved_model_schema_version = 1 (int64), meta_graphs = 2
    MetaGraphDef        meta_info_def = 1, graph_def = 2,
                        signature_def = 5 (map<string, SignatureDef>: key = 1, value = 2)
    MetaInfoDef         meta_graph_version = 1, tags = 4, tensorflow_version = 5,
                        tensorflow_git_version = 6
    SignatureDef        inputs = 1, outputs = 2 (map<string, TensorInfo>), method_name = 3
    TensorInfo          name = 1, dtype = 2, tensor_shape = 3
    GraphDef            node = 1, library = 2, versions = 4 (VersionDef: producer = 1)
    FunctionDefLibrary  function = 1
    FunctionDef         signature = 1, node_def = 3, ret = 4 (map<string, string>)
    OpDef               name = 1, input_arg = 2, output_arg = 3 (ArgDef: name = 1, type = 3),
                        is_stateful = 17
    NodeDef             name = 1, op = 2, input = 3, device = 4,
                        attr = 5 (map<string, AttrValue>: entry key = 1, value = 2)
    AttrValue           list = 1 (ListValue: type = 6), s = 2, i = 3, type = 6, shape = 7,
                        tensor = 8, func = 10 (NameAttrList: name = 1)
    TensorShapeProto    dim = 2 (Dim: size = 1; -1 unknown)
    TensorProto         dtype = 1, tensor_shape = 2, string_val = 8
    DataType            DT_FLOAT = 1, DT_STRING = 7, DT_RESOURCE = 20

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
DT_FLOAT, DT_STRING, DT_RESOURCE = 1, 7, 20

expected: dict[str, dict] = {}


# --- protobuf encoding -----------------------------------------------------------------------
def varint(v: int) -> bytes:
    v &= (1 << 64) - 1  # negative int64 values are ten-byte two's complement varints
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


def types(*ts: int) -> bytes:
    """AttrValue.list of types (list(type) attrs: Tin, Tout, dtypes)."""
    return f_msg(1, *[f_int(6, t) for t in ts])


def shape_proto(*dims: int) -> bytes:
    """TensorShapeProto fields (dim = 2, Dim.size = 1; -1 is an unknown dimension)."""
    return b"".join(f_msg(2, f_int(1, d)) for d in dims)


def shape(*dims: int) -> bytes:
    return f_msg(7, shape_proto(*dims))


def string_const(name: str, *values: str, dims=()) -> bytes:
    tensor = f_int(1, DT_STRING) + f_msg(2, shape_proto(*dims))
    tensor += b"".join(f_bytes(8, v) for v in values)
    return node(name, "Const", attrs=[("dtype", dtype(DT_STRING)), ("value", f_msg(8, tensor))])


def arg(name: str, t: int) -> bytes:
    return f_bytes(1, name) + f_int(3, t)


def function(name: str, inputs, outputs, nodes, ret, stateful=True) -> bytes:
    """A FunctionDef: OpDef signature (inputs/outputs as (name, dtype)), body, ret map."""
    sig = [f_bytes(1, name)]
    sig += [f_msg(2, arg(n, t)) for n, t in inputs]
    sig += [f_msg(3, arg(n, t)) for n, t in outputs]
    if stateful:
        sig.append(f_int(17, 1))
    rets = [f_msg(4, f_bytes(1, k), f_bytes(2, v)) for k, v in ret]
    return f_msg(1, f_msg(1, *sig), *nodes, *rets)


def tensor_info(name: str, t: int | None = None, dims=None) -> bytes:
    parts = [f_bytes(1, name)]
    if t is not None:
        parts.append(f_int(2, t))
    if dims is not None:
        parts.append(f_msg(3, shape_proto(*dims)))
    return b"".join(parts)


def signature(key: str, method: str, inputs=(), outputs=()) -> bytes:
    """A MetaGraphDef.signature_def map entry (field 5); inputs/outputs are (key, TensorInfo)."""
    sig = [f_msg(1, f_bytes(1, k), f_msg(2, v)) for k, v in inputs]
    sig += [f_msg(2, f_bytes(1, k), f_msg(2, v)) for k, v in outputs]
    sig.append(f_bytes(3, method))
    return f_msg(5, f_bytes(1, key), f_msg(2, *sig))


def saved_model(*graph: bytes, signatures=(), tags=("serve",)) -> bytes:
    meta_info = f_msg(
        1,
        f_bytes(1, "aibom-sample"),
        *[f_bytes(4, t) for t in tags],
        f_bytes(5, "2.15.0"),
        f_bytes(6, "v2.15.0-0-g6887368d6d4"),
    )
    versions = f_msg(4, f_int(1, 1645))
    return f_int(1, 1) + f_msg(2, meta_info, f_msg(2, *graph, versions), *signatures)


def variable() -> list[bytes]:
    """The resource variable `w` (float32[2, 2]) the saver graph saves and restores."""
    return [node("w", "VarHandleOp", attrs=[("dtype", dtype(DT_FLOAT)), ("shape", shape(2, 2)),
                                            ("shared_name", f_bytes(2, "w"))])]


def saver() -> list[bytes]:
    """The saver graph of `tf.compat.v1.train.Saver` for `w`: SaveV2/RestoreV2/MergeV2Checkpoints.

    No SaverDef points at it and no variables/ directory is written, so the TF1 loader makes no
    Saver and restores nothing (the samples carry no checkpoint)."""
    names = ["saver_filename", "save/tensor_names", "save/shape_and_slices"]
    return [
        node("saver_filename", "Placeholder", attrs=[("dtype", dtype(DT_STRING))]),
        string_const("save/tensor_names", "w", dims=[1]),
        string_const("save/shape_and_slices", "", dims=[1]),
        node("save/Read/ReadVariableOp", "ReadVariableOp", ["w"],
             attrs=[("dtype", dtype(DT_FLOAT))]),
        node("save/SaveV2", "SaveV2", names + ["save/Read/ReadVariableOp"],
             attrs=[("dtypes", types(DT_FLOAT))]),
        node("save/RestoreV2", "RestoreV2", names, attrs=[("dtypes", types(DT_FLOAT))]),
        node("save/AssignVariableOp", "AssignVariableOp", ["w", "save/RestoreV2"],
             attrs=[("dtype", dtype(DT_FLOAT))]),
        node("save/MergeV2Checkpoints", "MergeV2Checkpoints", ["saver_filename", "saver_filename"]),
    ]


def placeholder_x() -> bytes:
    return node("x", "Placeholder", attrs=[("dtype", dtype(DT_FLOAT)), ("shape", shape(-1, 2))])


def serving(output: str) -> bytes:
    """`serving_default`: x -> `output`, as tf.saved_model.save names a single-output signature."""
    return signature("serving_default", "tensorflow/serving/predict",
                     inputs=[("x", tensor_info("x:0", DT_FLOAT, (-1, 2)))],
                     outputs=[("output_0", tensor_info(output, DT_FLOAT, (-1, 2)))])


def benign() -> bytes:
    call = node("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "w"],
                attrs=[("Tin", types(DT_FLOAT, DT_RESOURCE)), ("Tout", types(DT_FLOAT)),
                       ("f", f_msg(10, f_bytes(1, "__inference_serve_12")))])
    body = [
        node("read", "ReadVariableOp", ["w"], field=3, attrs=[("dtype", dtype(DT_FLOAT))]),
        node("matmul", "MatMul", ["x", "read:value:0"], field=3, attrs=[("T", dtype(DT_FLOAT))]),
        node("relu", "Relu", ["matmul:product:0"], field=3, attrs=[("T", dtype(DT_FLOAT))]),
    ]
    lib = f_msg(2, function("__inference_serve_12", [("x", DT_FLOAT), ("w", DT_RESOURCE)],
                            [("relu", DT_FLOAT)], body, [("relu", "relu:activations:0")]))
    return saved_model(placeholder_x(), *variable(), call, *saver(), lib,
                       signatures=[serving("StatefulPartitionedCall:0")])


def readfile() -> bytes:
    """ReadFile -> WriteFile, run by the init op (`__saved_model_init_op`, a NoOp after `drop`):
    both tf.saved_model.load and the TF1 loader run it while loading."""
    init_key = "__saved_model_init_op"
    return saved_model(
        placeholder_x(),
        string_const("path", "/etc/hostname"),
        node("leak", "ReadFile", ["path"]),
        string_const("out_path", "/tmp/aibom-sample.txt"),
        node("drop", "WriteFile", ["out_path", "leak"]),
        node("init", "NoOp", ["^drop"]),
        *variable(),
        *saver(),
        signatures=[signature(init_key, "", outputs=[(init_key, tensor_info("init"))])],
    )


def pyfunc() -> bytes:
    """PyFunc in a library function, reached by calling `serving_default`. Its token names a
    Python function of the loading process, so the file carries no code of its own."""
    body = [node("py", "PyFunc", ["x"], field=3,
                 attrs=[("token", f_bytes(2, "pyfunc_0")), ("Tin", types(DT_FLOAT)),
                        ("Tout", types(DT_FLOAT))])]
    lib = f_msg(2, function("__inference_call_7", [("x", DT_FLOAT)], [("py", DT_FLOAT)], body,
                            [("py", "py:output:0")]))
    call = node("StatefulPartitionedCall", "StatefulPartitionedCall", ["x"],
                attrs=[("Tin", types(DT_FLOAT)), ("Tout", types(DT_FLOAT)),
                       ("f", f_msg(10, f_bytes(1, "__inference_call_7")))])
    return saved_model(placeholder_x(), call, lib,
                       signatures=[serving("StatefulPartitionedCall:0")])


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
          "Placeholder, resource variable, ReadVariableOp/MatMul/Relu in a library function "
          "behind serving_default, and the SaveV2/RestoreV2/MergeV2Checkpoints saver graph "
          "every SavedModel has (facts, not findings)")
    write("malicious/readfile/saved_model.pb", readfile(), "unsafe", ["savedmodel-dangerous-op"],
          "ReadFile of /etc/hostname and WriteFile to /tmp/aibom-sample.txt, run by the init "
          "op (__saved_model_init_op) while the model loads")
    write("malicious/pyfunc/saved_model.pb", pyfunc(), "unsafe", ["savedmodel-dangerous-op"],
          "PyFunc inside a library function called through StatefulPartitionedCall "
          "(serving_default)")
    write("malformed/saved_model.pb", good[: len(good) // 2], "malformed",
          ["savedmodel-malformed"], "the benign saved_model.pb cut in half")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
