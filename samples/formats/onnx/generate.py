#!/usr/bin/env python3
"""Rebuild aibom's ONNX samples (samples/formats/onnx/) and their expected.json.

The models are built with the real `onnx` package from PyPI, so they are exactly what onnx
writes:

    python3 -m venv /tmp/onnx-venv && /tmp/onnx-venv/bin/pip install onnx
    /tmp/onnx-venv/bin/python samples/formats/onnx/generate.py

(made with onnx 1.23.2; any 1.14+ writes the same bytes for these graphs). Deterministic: run it
twice and every byte is the same. Nothing is ever loaded with its external data: the malicious
models only *name* files outside their directory (`/etc/hostname`), which is what an
`onnx.load` before 1.16 would have read (CVE-2022-25882, CVE-2024-27318).

`malformed/deep_nesting.onnx` is written byte by byte (If nodes nested 200 deep): Python's
protobuf refuses to build or parse messages that deep, which is the point of the sample.

Keys of expected.json are paths relative to samples/; `codes` must appear, others may too.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import onnx
from onnx import TensorProto, helper

HERE = Path(__file__).resolve().parent
PREFIX = "formats/onnx/"
OPSET = 17
IR_VERSION = 8  # the IR version of opset 17 (onnx 1.12)

expected: dict[str, dict] = {}


def write(rel: str, data: bytes, verdict: str, codes: list[str], why: str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expected[PREFIX + rel] = {"verdict": verdict, "codes": codes, "why": why}


def model(nodes, initializers, opsets=(("", OPSET),), metadata=None) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "aibom_tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializers,
    )
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
        producer_name="aibom-samples",
        producer_version="1",
        ir_version=IR_VERSION,
    )
    m.model_version = 1
    m.doc_string = "aibom sample model"
    for k, v in (metadata or {}).items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    return m


def tiny() -> onnx.ModelProto:
    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 2], [1.0, 0.0, 0.0, 1.0])
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="matmul"),
        helper.make_node("Relu", ["h"], ["y"], name="relu"),
    ]
    m = model(nodes, [w], metadata={"license": "Apache-2.0", "source": "aibom samples"})
    onnx.checker.check_model(m)
    return m


def external(location: str) -> onnx.ModelProto:
    """tiny's weight, stored outside the model at `location` (never written)."""
    w = TensorProto()
    w.name = "W"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([2, 2])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        entry = w.external_data.add()
        entry.key, entry.value = k, v
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="matmul"),
        helper.make_node("Relu", ["h"], ["y"], name="relu"),
    ]
    return model(nodes, [w])


def custom_op() -> onnx.ModelProto:
    nodes = [
        helper.make_node("AibomScale", ["x"], ["h"], name="scale", domain="com.example"),
        helper.make_node("Relu", ["h"], ["y"], name="relu"),
    ]
    return model(nodes, [], opsets=(("", OPSET), ("com.example", 1)))


# Hand-written protobuf for the nesting sample (field numbers from onnx.proto).
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


def field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_int(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def deep_nesting(levels: int) -> bytes:
    # GraphProto.node = 1; NodeProto.input = 1, output = 2, op_type = 4, attribute = 5;
    # AttributeProto.name = 1, g = 6, type = 20 (GRAPH = 5); ModelProto.ir_version = 1,
    # graph = 7, opset_import = 8 (OperatorSetIdProto.version = 2).
    def if_node(then_graph: bytes) -> bytes:
        attr = field_bytes(1, b"then_branch") + field_int(20, 5) + field_bytes(6, then_graph)
        return field_bytes(
            1,
            field_bytes(1, b"c") + field_bytes(2, b"y") + field_bytes(4, b"If")
            + field_bytes(5, attr),
        )

    graph = field_bytes(1, field_bytes(1, b"x") + field_bytes(2, b"y") + field_bytes(4, b"Identity"))
    for _ in range(levels):
        graph = if_node(graph)
    return field_int(1, IR_VERSION) + field_bytes(7, graph) + field_bytes(8, field_int(2, OPSET))


def main() -> None:
    for d in ("benign", "malicious", "malformed"):
        shutil.rmtree(HERE / d, ignore_errors=True)

    tiny_bytes = tiny().SerializeToString()
    write("benign/tiny.onnx", tiny_bytes, "clean", [],
          "onnx.helper model: MatMul + Relu, opset 17, one 2x2 initializer, metadata_props; passes onnx.checker")
    write("benign/custom_op.onnx", custom_op().SerializeToString(), "clean",
          ["onnx-custom-operator"],
          "a node in domain com.example needs a custom operator library: a low finding, below the default fail-on high")
    for name, loc, why in (
        ("external_data_traversal", "../../../etc/hostname",
         "initializer W's external_data location climbs out with '..' (CVE-2022-25882)"),
        ("external_data_absolute", "/etc/hostname",
         "initializer W's external_data location is absolute"),
        ("external_data_nested", "sub/../../x.bin",
         "'..' after a directory still climbs out (sub/../../x.bin -> ../x.bin; CVE-2024-27318)"),
    ):
        write(f"malicious/{name}.onnx", external(loc).SerializeToString(), "unsafe",
              ["onnx-external-data-escape"], why)
    # A model whose weight is external data beside it: the data file has no bytes of its own to
    # recognise, the model names it. Scanned alone it is unknown; with its model, recognised.
    write("benign/external_data/model.onnx", external("weights.bin").SerializeToString(), "clean", [],
          "tiny's weight stored outside the model, in weights.bin beside it (offset 0, length 16)")
    write("benign/external_data/weights.bin", struct.pack("<4f", 1.0, 0.0, 0.0, 1.0), "unsupported", [],
          "four float32 values, scanned alone: no format of their own (see the directory)")
    expected[PREFIX + "benign/external_data"] = {
        "verdict": "clean", "codes": [],
        "why": "model.onnx names weights.bin as its external data: recognised through the model (onnx-external-data)"}
    write("malformed/truncated.onnx", tiny_bytes[: len(tiny_bytes) * 2 // 3], "malformed",
          ["onnx-malformed"], "tiny.onnx cut to two thirds: the graph's length runs past the end")
    write("malformed/deep_nesting.onnx", deep_nesting(200), "malformed", ["onnx-malformed"],
          "If nodes nested 200 deep through then_branch subgraphs: past the subgraph and protobuf nesting limits")

    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
