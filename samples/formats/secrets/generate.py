#!/usr/bin/env python3
"""Rebuild the secret and Git LFS samples: samples/formats/secrets/{benign,malicious}/ and expected.json.

Standard library only, deterministic (run it twice and every byte is the same; `--check`
compares with what is on disk and writes nothing).

Every credential here is FAKE: each token has the right prefix and length so that it matches
the shape scanners look for, but its body is "AibomFake" followed by letters and digits drawn
from a SHA-256 counter stream. None was ever issued by any service; the private key is the
PEM header around base64 of plain text. The Git LFS pointer names the SHA-256 of a string,
not of any real object.

expected.json uses the format of samples/expected.json: paths relative to samples/ (a file, or
a directory scanned as a whole), each with the verdict aibom must give and the finding codes
that must appear.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT.parent.parent
OUTPUT_DIRS = ("benign", "malicious")

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PLACEHOLDER_WORDS = ("xxxx", "example", "your", "placeholder", "redacted", "dummy",
                     "changeme", "abcdefgh", "12345678")


def stream(label: str, n: int, alphabet: str) -> str:
    """n characters of `alphabet` from SHA-256(label || counter): fixed, and random-looking."""
    out: list[str] = []
    counter = 0
    while len(out) < n:
        for b in hashlib.sha256(f"{label}:{counter}".encode()).digest():
            if b < 256 - 256 % len(alphabet):
                out.append(alphabet[b % len(alphabet)])
        counter += 1
    return "".join(out[:n])


def fake(label: str, prefix: str, body_len: int, alphabet: str = ALNUM,
         marker: str = "AibomFake") -> str:
    body = marker + stream(label, body_len - len(marker), alphabet)
    # The shape aibom requires of a real token: no placeholder marker, varied characters.
    assert not any(w in body.lower() for w in PLACEHOLDER_WORDS), body
    assert len(set(body)) * 3 >= len(body), body
    return prefix + body


HF_TOKEN = fake("hf", "hf_", 34)
HF_TOKEN_2 = fake("hf-config", "hf_", 34)
AWS_KEY_ID = fake("aws-id", "AKIA", 16, UPPER_ALNUM, marker="AIBOMFAKE")
AWS_SECRET = fake("aws-secret", "", 40, ALNUM + "+/")
GITHUB_TOKEN = fake("github", "ghp_", 36)
OPENAI_KEY = fake("openai", "sk-proj-", 48)
DB_PASSWORD = "aibom-sample-" + stream("db", 12, ALNUM)

# Meta's Llama 3 instruct template, as the GGUF samples use it.
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)


def js(obj: object, indent: int | None = 2) -> bytes:
    return (json.dumps(obj, indent=indent) + "\n").encode()


def model_config(extra: dict | None = None) -> dict:
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
           "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 128,
           "torch_dtype": "float32", "transformers_version": "4.44.0"}
    cfg.update(extra or {})
    return cfg


def notebook() -> bytes:
    """nbformat 4.5, as Jupyter writes it (indent 1): a cell that printed the environment."""
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "a1b2c3d4", "metadata": {},
             "source": ["# Fine-tuning run\n", "Credentials come from the environment."]},
            {"cell_type": "code", "execution_count": 1, "id": "e5f6a7b8", "metadata": {},
             "outputs": [{"name": "stdout", "output_type": "stream",
                          "text": ["region: us-east-1\n",
                                   f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n",
                                   f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"]}],
             "source": ["import os\n",
                        "for k in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'):\n",
                        "    print(f'{k}={os.environ[k]}')"]},
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python", "version": "3.11.9"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return js(nb, indent=1)


def private_key() -> bytes:
    junk = base64.b64encode(b"aibom-sample: not key material, just text in a PEM frame. " * 12)
    body = "\n".join(textwrap.wrap(junk.decode(), 64))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n".encode()


def lfs_pointer() -> bytes:
    oid = hashlib.sha256(b"aibom-sample: the weights that were never downloaded").hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 538947584\n".encode()


def build() -> tuple[dict[str, bytes], dict[str, dict]]:
    files: dict[str, bytes] = {}
    expect: dict[str, dict] = {}

    def exp(rel: str, verdict: str, codes: list[str], why: str) -> None:
        expect[str((ROOT / rel).relative_to(SAMPLES))] = {
            "verdict": verdict, "codes": codes, "why": why}

    leaky = "malicious/leaky_repo"
    files[f"{leaky}/.env"] = (
        "# local settings for train.py\n"
        f"HF_TOKEN={HF_TOKEN}\n"
        f"OPENAI_API_KEY={OPENAI_KEY}\n"
        f"GITHUB_TOKEN={GITHUB_TOKEN}\n"
        "WANDB_PROJECT=aibom-sample\n"
        f"DB_PASSWORD='{DB_PASSWORD}'\n"
        "MAX_TOKENS=4096\n"
    ).encode()
    exp(f"{leaky}/.env", "unsafe", ["secret-exposed"],
        "fake hf_, sk-proj- and ghp_ tokens and a DB_PASSWORD assignment (generic "
        "assignments count in .env files only)")
    files[f"{leaky}/config.json"] = js(model_config({"hub_token": HF_TOKEN_2}))
    exp(f"{leaky}/config.json", "unsafe", ["secret-exposed"],
        "model config.json with a fake hf_ token left in a hub_token field")
    files[f"{leaky}/notebook.ipynb"] = notebook()
    exp(f"{leaky}/notebook.ipynb", "unsafe", ["secret-exposed"],
        "Jupyter notebook whose stream output printed a fake AWS access key id and secret key")
    files[f"{leaky}/id_rsa"] = private_key()
    exp(f"{leaky}/id_rsa", "unsafe", ["secret-exposed"],
        "-----BEGIN RSA PRIVATE KEY----- around base64 of plain text")
    files[f"{leaky}/README.md"] = (
        "# leaky-model\n\nA tiny test model. Set `HF_TOKEN` before running `train.py`.\n").encode()
    exp(leaky, "unsafe", ["secret-exposed"],
        "a model repository with credentials committed in .env, config.json, a notebook "
        "output and an SSH key")

    files["malicious/lfs_pointer/pytorch_model.bin"] = lfs_pointer()
    files["malicious/lfs_pointer/config.json"] = js(model_config())
    exp("malicious/lfs_pointer/pytorch_model.bin", "malformed", ["lfs-pointer"],
        "a Git LFS pointer (version, oid sha256, size) where the weights should be: cloned "
        "without git-lfs (text under a .bin name is not a mismatch by itself: many formats use .bin)")
    exp("malicious/lfs_pointer", "malformed", ["lfs-pointer"],
        "model directory whose only weights file is an LFS pointer")

    clean = "benign/clean_repo"
    files[f"{clean}/README.md"] = (
        "# clean-model\n\n"
        "A tiny Llama-style test model. To download gated files, log in with a token:\n\n"
        "```bash\nhuggingface-cli login --token $HF_TOKEN\n```\n\n"
        "Never commit your token (hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx) or an API key such as "
        "sk-... to the repository; the tokenizer adds a BOS token to every prompt.\n").encode()
    files[f"{clean}/.env.example"] = (
        "HF_TOKEN=<your-token>\nOPENAI_API_KEY=sk-...\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nDB_PASSWORD=changeme\n"
        "MAX_NEW_TOKENS=256\n").encode()
    files[f"{clean}/config.json"] = js(model_config())
    files[f"{clean}/tokenizer_config.json"] = js({
        "add_bos_token": True, "add_eos_token": False,
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
        "chat_template": LLAMA3_TEMPLATE,
        "clean_up_tokenization_spaces": True, "model_max_length": 8192,
        "tokenizer_class": "PreTrainedTokenizerFast"})
    exp(clean, "clean", [],
        "README that talks about tokens (with hf_xxx and sk-... placeholders), a .env.example "
        "of placeholders and AWS's documentation keys, a tokenizer_config.json with the "
        "Llama 3 chat template")
    return files, expect


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="write nothing; fail if the files on disk differ from what would be "
                         "generated")
    args = ap.parse_args()
    files, expect = build()
    files["expected.json"] = js({k: expect[k] for k in sorted(expect)})

    on_disk = {
        p.relative_to(ROOT).as_posix()
        for d in OUTPUT_DIRS if (ROOT / d).exists()
        for p in (ROOT / d).rglob("*") if p.is_file()
    }
    if args.check:
        problems = [f"missing: {r}" for r in sorted(files) if not (ROOT / r).is_file()]
        problems += [f"differs: {r}" for r in sorted(files)
                     if (ROOT / r).is_file() and (ROOT / r).read_bytes() != files[r]]
        problems += [f"not generated: {r}" for r in sorted(on_disk - set(files))]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for r in sorted(on_disk - set(files)):
        (ROOT / r).unlink()
    for rel, data in files.items():
        p = ROOT / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"wrote {len(files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
