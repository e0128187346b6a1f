#!/usr/bin/env python3
"""Rebuild the GGUF samples: samples/formats/gguf/{benign,malicious,malformed}/ and expected.json.

Needs the real `gguf` package from PyPI (the writer llama.cpp's converters use), in a venv:

    python3 -m venv /tmp/gguf-venv && /tmp/gguf-venv/bin/pip install gguf
    /tmp/gguf-venv/bin/python samples/formats/gguf/generate.py

Every file is written by `gguf.GGUFWriter`; the malformed ones are then cut or patched by hand
(each patch is checked against the bytes it replaces). The output is deterministic (the writer
adds no timestamps; tensors are fixed arrays) and tiny (a few KB). Template payloads only ever
name the harmless command `echo aibom-sample`, and nothing here renders a template or loads a
model.

expected.json uses the format of samples/expected.json: paths relative to samples/, each with
the verdict aibom must give and the finding codes that must appear.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import gguf
import numpy as np

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT.parent.parent
OUTPUT_DIRS = ("benign", "malicious", "malformed")

# A Llama 3 style chat template (the one Meta ships with Llama-3-8B-Instruct).
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)

# CVE-2024-34359 (llama-cpp-python rendered GGUF chat templates without Jinja's sandbox): the
# published proof of concept walks from a tuple to `warnings.catch_warnings` and its module's
# builtins to `__import__('os')`. Command replaced by a harmless one.
SSTI_TEMPLATE = (
    "{% for x in ().__class__.__base__.__subclasses__() %}"
    "{% if \"warning\" in x.__name__ %}"
    "{{ x()._module.__builtins__['__import__']('os').popen(\"echo aibom-sample\") }}"
    "{% endif %}{% endfor %}"
)

# The same goal without one dunder or module name in the text: `_` from `'%c'|format(95)`,
# `__globals__` from a reversed literal, names joined with `~` and adjacent literals, reached
# through the `joiner` global and `attr` filters. Appended to a benign template, as an attacker
# would.
OBFUSCATED_TEMPLATE = LLAMA3_TEMPLATE + (
    "{%- set u = '%c'|format(95) * 2 %}"
    "{%- set g = u ~ ('slabolg'|reverse) ~ u %}"
    "{{- ((joiner|attr(u ~ 'init' ~ u)|attr(g))['o' 's']|attr('po' ~ 'pen'))"
    "('echo aibom-sample') }}"
)


def write(path: Path, template: str | None) -> bytes:
    """A llama-style GGUF: general.* metadata, a context length, a chat template, two tiny
    tensors (F32 and F16)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_name("aibom tiny llama")
    w.add_basename("aibom-tiny")
    w.add_size_label("6")
    w.add_license("apache-2.0")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_base_model_count(1)
    w.add_base_model_name(0, "Llama 3 8B Instruct")
    w.add_base_model_organization(0, "Meta Llama")
    w.add_base_model_repo_url(0, "https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct")
    w.add_context_length(2048)
    w.add_embedding_length(2)
    w.add_block_count(1)
    if template is not None:
        w.add_chat_template(template)
    w.add_tensor("token_embd.weight", np.arange(4, dtype=np.float32).reshape(2, 2))
    w.add_tensor("output_norm.weight", np.ones(2, dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def patch(data: bytes, at: int, old: bytes, new: bytes) -> bytes:
    assert data[at:at + len(old)] == old, f"unexpected bytes at {at}"
    assert len(old) == len(new)
    return data[:at] + new + data[at + len(new):]


def main() -> None:
    for d in OUTPUT_DIRS:
        shutil.rmtree(ROOT / d, ignore_errors=True)
    expect: dict[str, dict] = {}

    def exp(rel: str, verdict: str, codes: list[str], why: str) -> None:
        expect[str((ROOT / rel).relative_to(SAMPLES))] = {
            "verdict": verdict, "codes": codes, "why": why}

    tiny = write(ROOT / "benign/tiny.gguf", LLAMA3_TEMPLATE)
    exp("benign/tiny.gguf", "clean", [],
        "gguf.GGUFWriter llama header: general.* keys, base model, context length, "
        "Llama 3 chat template, F32 and F16 tensors")

    write(ROOT / "malicious/ssti_template.gguf", SSTI_TEMPLATE)
    exp("malicious/ssti_template.gguf", "unsafe", ["chat-template-injection"],
        "CVE-2024-34359 proof of concept in tokenizer.chat_template: "
        "().__class__.__base__.__subclasses__() -> __builtins__['__import__']('os').popen")
    write(ROOT / "malicious/obfuscated_template.gguf", OBFUSCATED_TEMPLATE)
    exp("malicious/obfuscated_template.gguf", "unsafe", ["chat-template-injection"],
        "benign Llama 3 template plus a payload with no dunder in the text: '%c'|format(95)*2, "
        "'slabolg'|reverse, ~ and adjacent literals, joiner|attr(...) chains")

    # Cut five bytes into the name of the second tensor: inside the tensor table.
    name = b"output_norm.weight"
    at = tiny.index(name)
    (ROOT / "malformed").mkdir(parents=True, exist_ok=True)
    (ROOT / "malformed/truncated.gguf").write_bytes(tiny[:at + 5])
    exp("malformed/truncated.gguf", "malformed", ["gguf-malformed"],
        "benign tiny.gguf cut in the middle of the tensor table (the second tensor's name)")

    # tensor_count at offset 8 and metadata_kv_count at 16 patched to 2^60.
    tensors, kvs = struct.unpack_from("<QQ", tiny, 8)
    huge = patch(tiny, 8, struct.pack("<QQ", tensors, kvs), struct.pack("<QQ", 1 << 60, 1 << 60))
    (ROOT / "malformed/huge_counts.gguf").write_bytes(huge)
    exp("malformed/huge_counts.gguf", "malformed", ["gguf-malformed"],
        "tensor_count and metadata_kv_count patched to 2^60 (a reader that allocates per "
        "declared entry runs out of memory)")

    # The length of general.name's value patched to 100,000: past the end of the file.
    key = b"general.name"
    at = tiny.index(struct.pack("<Q", len(key)) + key) + 8 + len(key)
    old = struct.pack("<IQ", 8, len("aibom tiny llama"))
    past = patch(tiny, at, old, struct.pack("<IQ", 8, 100_000))
    (ROOT / "malformed/string_past_eof.gguf").write_bytes(past)
    exp("malformed/string_past_eof.gguf", "malformed", ["gguf-malformed"],
        "general.name declares a 100,000-byte string in a file of a few KB")

    (ROOT / "expected.json").write_text(
        json.dumps({k: expect[k] for k in sorted(expect)}, indent=2) + "\n")


if __name__ == "__main__":
    main()
