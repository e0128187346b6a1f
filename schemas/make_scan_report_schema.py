#!/usr/bin/env python3
"""Writes schemas/scan-report.schema.json from the finding codes and formats in the source.

Run after adding a finding code or a format: `python3 schemas/make_scan_report_schema.py`.
The tests check that the schema lists exactly the codes of src/finding.rs, and that every
report validates against it.
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
finding = (ROOT / "src/finding.rs").read_text()
codes = re.findall(r'= "([a-z0-9-]+)", (?:Security|Integrity|Coverage),', finding)
detect = (ROOT / "src/detect.rs").read_text()
enum = detect[detect.index("pub enum Format {"):]
enum = enum[:enum.index("}")]
variants = [v for v in re.findall(r"^\s+([A-Z][A-Za-z0-9]*),", enum, re.M)]


RENAMED = {"SevenZ": "7z", "FastText": "fasttext", "Word2Vec": "word2vec", "NetCdf": "netcdf",
           "SentencePiece": "sentencepiece"}


def kebab(name):
    if name in RENAMED:
        return RENAMED[name]
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


formats = [kebab(v) for v in variants]
sev = ["info", "low", "medium", "high", "critical"]
verdicts = ["clean", "unsupported", "malformed", "unsafe"]
string_map = {"type": "object", "additionalProperties": {"type": "string"}}
finding_schema = {
    "type": "object", "additionalProperties": False,
    "required": ["code", "severity", "location", "message"],
    "properties": {
        "code": {"enum": codes},
        "severity": {"enum": sev},
        "location": {"type": "object", "additionalProperties": False, "required": ["path"],
                     "properties": {"path": {"type": "string", "minLength": 1},
                                    "member": {"type": "string"},
                                    "offset": {"type": "integer", "minimum": 0}}},
        "message": {"type": "string", "minLength": 1},
        "evidence": {"type": "object", "additionalProperties": False,
                     "properties": {k: {"type": "string"} for k in
                                    ["module", "name", "opcode", "rule", "expected", "actual"]}},
    },
}
excepted = {"type": "array", "items": {
    "type": "object", "additionalProperties": False, "required": ["finding", "reason"],
    "properties": {"finding": {"$ref": "#/$defs/finding"}, "reason": {"type": "string"},
                   "owner": {"type": "string"}, "expires": {"type": "string"}}}}
facts = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "globals": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["module", "name", "class", "offset", "opcode", "count"],
            "properties": {"module": {"type": "string"}, "name": {"type": "string"},
                           "class": {"enum": ["allowed", "denied", "higher-order", "dunder", "unknown"]},
                           "member": {"type": "string"}, "offset": {"type": "integer"},
                           "opcode": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}}},
        "calls": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["callee", "opcode", "offset", "count"],
            "properties": {"callee": {"type": "string"}, "opcode": {"type": "string"},
                           "member": {"type": "string"}, "offset": {"type": "integer"},
                           "count": {"type": "integer", "minimum": 1}}}},
        "pickle_streams": {"type": "integer"},
        "pickle_opcodes": {"type": "integer"},
        "pickle_trailing_whitespace": {"type": "integer", "minimum": 1},
        "members": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "size", "format"],
            "properties": {"name": {"type": "string"}, "size": {"type": "integer"},
                           "format": {"enum": formats}}}},
        "safetensors": {"type": "object", "additionalProperties": False,
                        "required": ["header_len", "tensor_count", "parameter_count", "dtypes"],
                        "properties": {"header_len": {"type": "integer"},
                                       "tensor_count": {"type": "integer"},
                                       "parameter_count": {"type": "integer"},
                                       "dtypes": {"type": "object",
                                                  "additionalProperties": {"type": "integer"}},
                                       "metadata": string_map}},
        "arrays": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["descr", "shape", "fortran_order", "object"],
            "properties": {"member": {"type": "string"}, "descr": {"type": "string"},
                           "shape": {"type": "array", "items": {"type": "integer"}},
                           "fortran_order": {"type": "boolean"}, "object": {"type": "boolean"}}}},
        # Header facts of other formats; their fields are documented with their Rust types
        # (src/formats/<format>.rs) and may grow within report version 1.
        "gguf": {"type": "object"},
        "onnx": {"type": "object"},
        "keras": {"type": "object"},
        "savedmodel": {"type": "object"},
        "torchscript": {"type": "object"},
        "hydra": {"type": "object"},
        "onnx_tensor": {"type": "object", "additionalProperties": False,
                        "required": ["data_type", "dims", "elements", "storage"],
                        "properties": {"data_type": {"type": "string"},
                                       "dims": {"type": "array", "items": {"type": "integer"}},
                                       "elements": {"type": "integer", "minimum": 0},
                                       "storage": {"type": "string"},
                                       "name": {"type": "string"},
                                       "external_locations": {"type": "array",
                                                              "items": {"type": "string"}}}},
        "sentencepiece": {"type": "object", "additionalProperties": False,
                          "required": ["pieces", "model_type"],
                          "properties": {"pieces": {"type": "integer", "minimum": 1},
                                         "model_type": {"enum": ["unigram", "bpe", "word", "char"]},
                                         "piece_types": {"type": "object",
                                                         "additionalProperties": {"type": "integer"}},
                                         "trainer_vocab_size": {"type": "integer"},
                                         "byte_fallback": {"const": True},
                                         "normalizer": {"type": "string"}}},
        "tf_checkpoint": {"type": "object", "additionalProperties": False,
                          "required": ["data_blocks"],
                          "properties": {"tensors": {"type": "integer", "minimum": 0},
                                         "num_shards": {"type": "integer"},
                                         "data_blocks": {"type": "integer", "minimum": 0}}},
        "msgpack": {"type": "object", "additionalProperties": False,
                    "required": ["values", "numpy_arrays", "object_arrays"],
                    "properties": {"values": {"type": "integer", "minimum": 1},
                                   "numpy_arrays": {"type": "integer", "minimum": 0},
                                   "object_arrays": {"type": "integer", "minimum": 0}}},
        "matlab4": {"type": "object", "additionalProperties": False,
                    "required": ["matrices", "byte_order", "variables"],
                    "properties": {"matrices": {"type": "integer", "minimum": 1},
                                   "byte_order": {"enum": ["little", "big"]},
                                   "variables": {"type": "array", "items": {
                                       "type": "object", "additionalProperties": False,
                                       "required": ["name", "rows", "cols", "precision", "class"],
                                       "properties": {
                                           "name": {"type": "string"},
                                           "rows": {"type": "integer"},
                                           "cols": {"type": "integer"},
                                           "precision": {"enum": ["double", "single", "int32",
                                                                  "int16", "uint16", "uint8"]},
                                           "class": {"enum": ["full", "text", "sparse"]},
                                           "complex": {"const": True}}}}}},
        "coreml": {"type": "object", "additionalProperties": False,
                   "required": ["specification_version", "model_type"],
                   "properties": {"specification_version": {"type": "integer"},
                                  "model_type": {"type": "string"},
                                  "is_updatable": {"const": True},
                                  "layers": {"type": "integer", "minimum": 1},
                                  "pipeline_models": {"type": "integer", "minimum": 1},
                                  "custom_classes": {"type": "array", "items": {"type": "string"}}}},
        "tflite": {"type": "object", "additionalProperties": False,
                   "required": ["version", "operator_codes"],
                   "properties": {"version": {"type": "integer"},
                                  "operator_codes": {"type": "integer"},
                                  "custom_ops": {"type": "array", "items": {"type": "string"}}}},
    },
}
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://aibom.dev/schemas/scan-report/1",
    "title": "aibom scan report",
    "description": "Output of `aibom scan --format json`. report_version 1. Fields are only ever added within a version.",
    "type": "object", "additionalProperties": False,
    "required": ["report_version", "tool", "fail_on", "strict", "targets", "summary"],
    "properties": {
        "report_version": {"const": "1"},
        "tool": {"type": "object", "additionalProperties": False,
                 "required": ["name", "version", "policy_version"],
                 "properties": {"name": {"const": "aibom"}, "version": {"type": "string"},
                                "policy_version": {"type": "string"}}},
        "fail_on": {"enum": sev},
        "strict": {"type": "boolean"},
        "targets": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["root", "files", "findings"],
            "properties": {"root": {"type": "string"},
                           "files": {"type": "array", "items": {"$ref": "#/$defs/file"}},
                           "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                           "excepted": excepted}}},
        "exceptions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["code", "path", "reason", "status", "matched"],
            "properties": {"code": {"type": "string"}, "path": {"type": "string"},
                           "sha256": {"type": "string"}, "reason": {"type": "string"},
                           "owner": {"type": "string"}, "expires": {"type": "string"},
                           "status": {"enum": ["applied", "expired", "unused"]},
                           "matched": {"type": "integer", "minimum": 0}}}},
        "summary": {"type": "object", "additionalProperties": False,
                    "required": ["files", "bytes", "verdict", "clean", "unsupported", "malformed",
                                 "unsafe_files", "findings", "unreadable"],
                    "properties": {"files": {"type": "integer", "minimum": 0},
                                   "bytes": {"type": "integer", "minimum": 0},
                                   "verdict": {"enum": verdicts + [None]},
                                   "clean": {"type": "integer"}, "unsupported": {"type": "integer"},
                                   "malformed": {"type": "integer"},
                                   "unsafe_files": {"type": "integer"},
                                   "findings": {"type": "object", "propertyNames": {"enum": sev},
                                                "additionalProperties": {"type": "integer"}},
                                   "unreadable": {"type": "integer"}}},
        "shard": {
            "description": "Present only in the report of `aibom scan --shard K/N`: which part of the work this run did. `aibom merge` checks and combines such reports.",
            "type": "object",
            "additionalProperties": False,
            "required": [
                "index",
                "count",
                "roots",
                "units_total",
                "units_sha256",
                "units",
                "settings"
            ],
            "properties": {
                "index": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "K, from 0"
                },
                "count": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "N"
                },
                "roots": {
                    "type": "array",
                    "items": {
                        "type": "string"
                    },
                    "description": "The roots as given, in order"
                },
                "units_total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Units (models) of the whole scan"
                },
                "units_sha256": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$",
                    "description": "SHA-256 of the JSON list of all units, sorted"
                },
                "units": {
                    "type": "array",
                    "description": "The units this shard scanned",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [
                            "root",
                            "dir"
                        ],
                        "properties": {
                            "root": {
                                "type": "string"
                            },
                            "dir": {
                                "type": "string",
                                "description": "A top-level directory of the root, or empty for the files directly in it"
                            }
                        }
                    }
                },
                "settings": {
                    "type": "object",
                    "description": "The settings (flags and aibom.toml) that change which files are read or what is found in them: every shard of one scan has the same, or `aibom merge` refuses them",
                    "additionalProperties": False,
                    "required": [
                        "allow_globals",
                        "skip",
                        "include_git"
                    ],
                    "properties": {
                        "allow_globals": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Pickle globals allowed beyond the built-in allowlist (--allow-global, [pickle] allow-globals), sorted"
                        },
                        "skip": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Globs of relative paths not scanned (--skip, [scan] skip), sorted"
                        },
                        "include_git": {
                            "type": "boolean",
                            "description": "--include-git, [scan] include-git"
                        }
                    }
                }
            }
        },
    },
    "$defs": {
        "finding": finding_schema,
        "file": {"type": "object", "additionalProperties": False,
                 "required": ["path", "format", "size", "verdict", "findings", "facts"],
                 "properties": {
                     "path": {"type": "string", "minLength": 1,
                              "description": "relative to the target root, '/'-separated"},
                     "link": {"type": "string",
                              "description": "symbolic link text, when reached through a link"},
                     "format": {"enum": formats},
                     "size": {"type": "integer", "minimum": 0},
                     "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                     "verdict": {"enum": verdicts},
                     "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                     "capped_findings": {
                         "description": "Findings counted but not listed because a per-file cap was reached, per finding code (see the findings-capped finding).",
                         "type": "object",
                         "additionalProperties": {"type": "integer", "minimum": 1}},
                     "excepted": excepted,
                     "facts": {"$ref": "#/$defs/facts"}}},
        "facts": facts,
    },
}
(ROOT / "schemas/scan-report.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
print(f"{len(codes)} codes, {len(formats)} formats")
