#!/usr/bin/env python3
"""Builds the seed corpora fuzz/corpus/<target>/ from samples/, tests/ and a few generated
inputs (Python standard library only). Seeds are named by their SHA-1, as libFuzzer names its
own, so running this again adds nothing twice. Targets whose first byte is a selector (which
decoder, which file name, which x509 mode) get it prepended here.

    python3 fuzz/seed.py          # from anywhere; rewrites nothing that exists
"""
import base64
import bz2
import gzip
import hashlib
import json
import lzma
import pathlib
import struct
import zlib

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"
MAX_SEED = 20 << 10  # a few KB each keeps the committed corpora small

# Must match the selector tables of the targets.
WHOLE_NAMES = [
    "model.pkl", "pytorch_model.bin", "model.pt", "model.ckpt", "model.safetensors",
    "array.npy", "arrays.npz", "model.gguf", "model.onnx", "saved_model.pb", "model.keras",
    "model.h5", "model.joblib", "model.7z", "tokenizer_config.json", "config.json",
    "chat_template.json", "notebook.ipynb", ".env", "README.md", "weights.bin.gz", "weights",
    "data/archive/data.pkl", "model.dill",
]
TEXT_NAMES = [
    "config.json", "tokenizer_config.json", "chat_template.json", "processor_config.json",
    "notebook.ipynb", ".env", "prod.env", "README.md", "notes.txt", "params.yaml", "train.py",
    "tokenizer.json",
]
COMPRESSED = ["gzip", "zlib", "bzip2", "xz", "lzma", "zstd"]
X509_SEP = b"\n--SEP--\n"


def add(target, data):
    if len(data) > MAX_SEED:
        return
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    p = d / hashlib.sha1(data).hexdigest()
    if not p.exists():
        p.write_bytes(data)


def samples():
    for p in sorted((ROOT / "samples").rglob("*")):
        if p.is_file() and not p.is_symlink() and p.name not in ("generate.py", "expected.json"):
            yield p


def kind(b):
    if b.startswith(b"PK"):
        return "zip"
    if b.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if b.startswith(b"\x1f\x8b"):
        return "gzip"
    if b.startswith(b"BZh"):
        return "bzip2"
    if b.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if b.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if b.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if len(b) > 1 and b[0] == 0x78 and (b[0] << 8 | b[1]) % 31 == 0:
        return "zlib"
    if b.startswith(b"\x93NUMPY"):
        return "npy"
    if b.startswith(b"GGUF"):
        return "gguf"
    if b.startswith(b"\x89HDF"):
        return "hdf5"
    if b[:1] == b"\x80" or b[:1] in (b"(", b"]", b"}", b"c", b"N"):
        return "pickle"
    return None


def whole_selector(name):
    base = name.rsplit("/", 1)[-1]
    if base in WHOLE_NAMES:
        return WHOLE_NAMES.index(base)
    ext = base.rsplit(".", 1)[-1] if "." in base else ""
    for i, n in enumerate(WHOLE_NAMES):
        if ext and n.endswith("." + ext):
            return i
    return WHOLE_NAMES.index("weights")


def text_selector(name):
    base = name.rsplit("/", 1)[-1]
    if base in TEXT_NAMES:
        return TEXT_NAMES.index(base)
    if base.startswith(".env") or base.endswith(".env"):
        return TEXT_NAMES.index(".env")
    ext = base.rsplit(".", 1)[-1]
    for i, n in enumerate(TEXT_NAMES):
        if n.endswith("." + ext):
            return i
    return TEXT_NAMES.index("notes.txt")


def zstd_raw(data):
    """A single-segment zstd frame of one raw block (no zstd module in the standard library)."""
    assert len(data) < 256
    return b"\x28\xb5\x2f\xfd" + bytes([0x20, len(data)]) + struct.pack("<I", len(data) << 3 | 1)[:3] + data


def zstd_rle(byte, n):
    return b"\x28\xb5\x2f\xfd" + b"\x00" + struct.pack("<I", n << 3 | 2 << 1 | 1)[:3] + bytes([byte])


def compressions(data):
    yield "gzip", gzip.compress(data, mtime=0)
    yield "zlib", zlib.compress(data)
    yield "bzip2", bz2.compress(data)
    yield "xz", lzma.compress(data, format=lzma.FORMAT_XZ)
    yield "lzma", lzma.compress(data, format=lzma.FORMAT_ALONE)


def main():
    pickles = []
    for p in samples():
        b = p.read_bytes()
        rel = str(p.relative_to(ROOT / "samples"))
        k = kind(b)
        add("whole", bytes([whole_selector(rel)]) + b)
        if k == "pickle" or p.suffix in (".pkl", ".dill"):
            add("pickle", b)
            if len(b) < 256:
                pickles.append(b)
        if k == "zip":
            add("zip", b)
        if k == "7z":
            add("sevenz", b)
        if b[257:262] == b"ustar":
            add("tar", b)
        if k == "gzip" and ".tar" in p.name:
            add("tar", gzip.decompress(b))
        if k in COMPRESSED:
            add("compressed", bytes([COMPRESSED.index(k)]) + b)
        if p.suffix == ".npy" or k == "npy":
            add("npy", b)
        if p.suffix == ".safetensors" or b[8:10] == b'{"':
            add("safetensors", b)
        if k == "gguf":
            add("gguf", b)
        if p.suffix == ".onnx":
            add("onnx", b)
        if p.name == "saved_model.pb":
            add("savedmodel", b)
        if p.suffix in (".keras", ".h5"):
            add("keras", b)
        if k not in ("zip", "7z", "pickle", "npy", "gguf", "hdf5") and p.suffix not in (
            ".safetensors", ".onnx", ".pb", ".bin", ".pt", ".joblib", ".gz", ".incomplete",
        ) and "blobs" not in rel:
            add("text", bytes([text_selector(rel)]) + b)
        if p.name in ("tokenizer_config.json", "chat_template.json"):
            try:
                t = json.loads(b).get("chat_template")
            except ValueError:
                t = None
            if isinstance(t, str):
                add("template", t.encode())

    # Compressed streams over small pickles and other formats; zstd by hand.
    for data in pickles[:8] + [b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + b" " * 50 + b"\n" + b"\x00" * 8]:
        for k, c in compressions(data):
            add("compressed", bytes([COMPRESSED.index(k)]) + c)
        if len(data) < 256:
            add("compressed", bytes([COMPRESSED.index("zstd")]) + zstd_raw(data))
    add("compressed", bytes([COMPRESSED.index("zstd")]) + zstd_rle(ord("N"), 4096))

    # Chat templates: a typical one and injection shapes.
    for t in [
        "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% set x = cycler.__init__.__globals__.os.popen('id').read() %}{{ x }}",
        "{{ self._TemplateReference__context.joiner.__init__.__globals__['o'~'s'] }}",
        "{{ ('%c' % 95) * 2 ~ 'class' ~ ('%c' % 95) * 2 }}{{ lipsum|attr('__glo' 'bals__') }}",
        "{%- raw %}{{ not a block }}{% endraw -%}{# comment #}{{ messages|map(attribute='content')|join('\\n') }}",
    ]:
        add("template", t.encode())

    # OMS bundles, their statements, certificates.
    for sig in sorted((ROOT / "tests" / "vectors").rglob("*.sig")):
        b = sig.read_bytes()
        add("bundle", b)
        try:
            payload = base64.b64decode(json.loads(b)["dsseEnvelope"]["payload"])
            add("statement", payload)
        except (ValueError, KeyError):
            pass
    keys = ROOT / "tests" / "vectors" / "oms-v1.1.0" / "keys"
    ders = {}
    for pem in sorted(keys.glob("*-cert.pem")):
        text = pem.read_bytes()
        add("x509", b"\x00" + text)
        body = b"".join(l for l in text.splitlines() if l and not l.startswith(b"-----"))
        ders[pem.stem] = base64.b64decode(body)
    add("x509", b"\x00" + b"".join((keys / f).read_bytes() for f in ("signing-key-cert.pem", "int-ca-cert.pem")))
    leaf, inter = ders["signing-key-cert"], ders["int-ca-cert"]
    for mode in (1, 3, 5, 7):
        add("x509", bytes([mode]) + leaf)
        add("x509", bytes([mode]) + leaf + X509_SEP + inter)
    for cdx in sorted((ROOT / "tests" / "snapshots").rglob("*.json")):
        b = cdx.read_bytes()
        add("cyclonedx", b)
        try:
            doc = json.loads(b)
        except ValueError:
            continue
        if doc.get("bomFormat") == "CycloneDX":
            st = {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "model", "digest": {"sha256": "0" * 64}}],
                "predicateType": "https://cyclonedx.org/bom",
                "predicate": doc,
            }
            add("statement", json.dumps(st).encode())


if __name__ == "__main__":
    main()
