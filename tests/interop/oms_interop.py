#!/usr/bin/env python3
"""Interoperability suite: aibom against OpenSSF `model-signing` (the `model_signing` CLI).

Usage:
    python3 tests/interop/oms_interop.py --aibom target/release/aibom \
        --model-signing /tmp/ms-venv/bin/model_signing [--vectors tests/vectors] [-v] [--keep]

The peer is `model-signing` 1.1.1 from PyPI, installed in a venv:
    python3 -m venv /tmp/ms-venv && /tmp/ms-venv/bin/pip install model-signing pyopenssl
(1.1.1 imports pyOpenSSL without declaring it). `openssl` must be on PATH.

Standard library only. Everything is created in a temporary directory that is removed at
the end (unless --keep). Nothing here needs the network: both tools run with the HTTP(S)
proxy variables pointed at a closed local port, so an unexpected connection attempt fails
fast instead of reaching out (a tripwire, not a sandbox). The keyless `sigstore` vector is
verified by both tools offline, against the Sigstore trusted root kept beside the vectors
(`sigstore-public-good-trusted_root.json`): aibom reads it with `--trust-root`;
`model_signing verify sigstore` would otherwise refresh its trusted root from Sigstore's TUF
repository, and is given it in a client trust configuration (`--trust_config`, the trusted root
with an empty signing configuration, which verifying does not read). Where the kernel allows
unprivileged user namespaces, these keyless cases also run inside a network namespace of their
own (`unshare --net --map-root-user`), whose only interface is a loopback that is down, and
their names say so; elsewhere they have the proxy tripwire only.

Output: one line per case, `ok   NAME`, `FAIL NAME` (followed by indented details) or
`skip NAME (why)`, then `N passed, M failed` (skips are not counted). Exit status 1 if any
case failed, 0 otherwise.

Cases:
 1. model_signing signs (keys from `aibom keygen` p256/p384, and from `openssl ecparam
    -genkey` as SEC1 PEM with and without the EC PARAMETERS block, and the same converted to
    PKCS#8) -> aibom verify accepts (model_signing verify accepts too, as a control).
 2. aibom signs (aibom keygen p256/p384, openssl SEC1/PKCS#8 keys) -> model_signing verify
    accepts (aibom verify too); both tools, same key and model, sign the same resources
    in the same order and the same subject digest.
 3. Tamper matrix for signatures made by each tool (p256 and p384), a fresh copy each time:
    both verifiers refuse (model_signing exit 1, aibom exit exactly 1).
 4. Vectors (--vectors): oms-v1.1.0/elliptic-key, oms-v1.1.0/certificate, oms-key-ordering
    (both signatures, and the expectations listed in its README): both tools give the same
    outcome. oms-v1.1.0/sigstore (keyless): both accept with its signer's identity and issuer,
    and both refuse another identity, another issuer, a flipped byte, and a trusted root without
    its Fulcio certificate authorities.
 5. AIBOM binding: aibom generate + aibom sign --bom -> aibom verify --bom accepts; an edited
    AIBOM or a missing attestation is refused; model_signing still accepts the model signature.
 6. Certificate method, with CAs made by `openssl` at run time (an EC root -> EC intermediate ->
    P-384 signing certificate, and an RSA-3072 root -> P-256 signing certificate): aibom sign
    --signing-certificate [--certificate-chain] -> model_signing verify certificate accepts
    (aibom verify too); model_signing sign certificate -> aibom verify accepts; with the same
    key and certificates both write the same verificationMaterial; a root of the same name but
    another key, or a flipped byte, is refused by both; the AIBOM attestation verifies with the
    root; a certificate of another key is refused by aibom sign.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 300  # seconds per command

# A closed port: any HTTP(S) request made through the proxy variables fails at once.
NO_NET = "http://127.0.0.1:9"


class Failure(Exception):
    """A case precondition failed (e.g. a signing step); the message says what."""


class Result:
    def __init__(self, cmd, rc, out):
        self.cmd = cmd
        self.rc = rc  # None: timed out or could not start
        self.out = out

    def describe(self, lines=25):
        tail = self.out.rstrip("\n").splitlines()[-lines:]
        text = [f"$ {' '.join(str(c) for c in self.cmd)}", f"exit: {self.rc}"]
        text += [f"| {line}" for line in tail]
        return "\n".join(text)


class Env:
    def __init__(self, args, tmp):
        self.aibom = str(Path(args.aibom).resolve())
        self.ms = str(Path(args.model_signing).absolute())
        self.vectors = Path(args.vectors).resolve()
        self.verbose = args.verbose
        self.tmp = tmp
        # Commands run from here: no aibom.toml, so aibom's default policy is not picked up.
        self.cwd = tmp / "cwd"
        self.cwd.mkdir()
        self.env = dict(os.environ)
        for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                    "all_proxy"):
            self.env[var] = NO_NET
        for var in ("no_proxy", "NO_PROXY", "PYTHONPATH", "PYTHONHOME", "SOURCE_DATE_EPOCH"):
            self.env.pop(var, None)
        # Keep caches the peer might write inside the temp dir.
        self.env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
        self.env["XDG_DATA_HOME"] = str(tmp / "xdg-data")
        # The prefix that runs a command in a network namespace of its own, or [] when that is
        # not allowed here (set by main()).
        self.netns = []
        self.counter = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    # --- running commands -------------------------------------------------------------

    def run(self, cmd, isolated=False):
        """Runs cmd; with isolated, inside a network namespace of its own when available."""
        cmd = [str(c) for c in (self.netns if isolated else []) + list(cmd)]
        try:
            p = subprocess.run(cmd, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=TIMEOUT)
            res = Result(cmd, p.returncode, p.stdout.decode("utf-8", "replace"))
        except subprocess.TimeoutExpired as e:
            out = (e.output or b"").decode("utf-8", "replace")
            res = Result(cmd, None, out + f"\n[timed out after {TIMEOUT}s]")
        except OSError as e:
            res = Result(cmd, None, f"[could not run: {e}]")
        if self.verbose:
            print("  " + res.describe(8).replace("\n", "\n  "))
        return res

    def must(self, cmd, what):
        res = self.run(cmd)
        if res.rc != 0:
            raise Failure(f"{what} failed\n{res.describe()}")
        return res

    def fresh(self, name):
        self.counter += 1
        d = self.tmp / f"{self.counter:03d}-{name}"
        d.mkdir()
        return d

    # --- reporting -----------------------------------------------------------------------

    def ok(self, name):
        self.passed += 1
        print(f"ok   {name}", flush=True)

    def fail(self, name, detail=""):
        self.failed += 1
        print(f"FAIL {name}", flush=True)
        if detail:
            print("     " + detail.replace("\n", "\n     "), flush=True)

    def skip(self, name, why):
        self.skipped += 1
        print(f"skip {name} ({why})", flush=True)

    def case(self, name, fn):
        """Run fn(); it returns None (pass) or a failure detail string."""
        try:
            detail = fn()
        except Failure as e:
            detail = str(e)
        except Exception as e:  # a bug in a case must not hide the others
            detail = f"unexpected {type(e).__name__}: {e}"
        if detail is None:
            self.ok(name)
        else:
            self.fail(name, detail)

    # --- the two verifiers ---------------------------------------------------------------

    def aibom_verify(self, model, sigs, keys=(), chains=(), bom=None, ignore=(), policy=None,
                     keyless=None):
        """keyless: (trusted root, identity, issuer), run isolated."""
        cmd = [self.aibom, "verify", model]
        if keyless is not None:
            root, identity, issuer = keyless
            cmd += ["--trust-root", root, "--identity", identity, "--issuer", issuer]
        if policy is not None:
            cmd += ["--policy", policy]
        for s in sigs:
            cmd += ["--signature", s]
        for k in keys:
            cmd += ["--public-key", k]
        for c in chains:
            cmd += ["--certificate-chain", c]
        if bom is not None:
            cmd += ["--bom", bom]
        for p in ignore:
            cmd += ["--ignore-path", p]
        return self.run(cmd, isolated=keyless is not None)

    def ms_verify_key(self, model, sig, key, ignore=()):
        cmd = [self.ms, "verify", "key", model, "--signature", sig, "--public_key", key]
        for p in ignore:
            cmd += ["--ignore-paths", p]
        return self.run(cmd)

    def ms_verify_sigstore(self, model, sig, trust_config, identity, issuer, ignore=()):
        cmd = [self.ms, "verify", "sigstore", model, "--signature", sig, "--trust_config",
               trust_config, "--identity", identity, "--identity_provider", issuer]
        for p in ignore:
            cmd += ["--ignore-paths", p]
        return self.run(cmd, isolated=True)

    def ms_verify_cert(self, model, sig, chains, ignore=()):
        cmd = [self.ms, "verify", "certificate", model, "--signature", sig]
        for c in chains:
            cmd += ["--certificate_chain", c]
        for p in ignore:
            cmd += ["--ignore-paths", p]
        return self.run(cmd)


# --- outcome checks (return None when as expected, else a detail string) ------------------

def aibom_accepts(res):
    if res.rc == 0:
        return None
    return f"aibom verify should accept (exit 0)\n{res.describe()}"


def aibom_refuses(res):
    if res.rc == 1:
        return None
    return f"aibom verify should refuse with exit exactly 1\n{res.describe()}"


def ms_accepts(res):
    if res.rc == 0 and "Verification succeeded" in res.out:
        return None
    return f"model_signing verify should accept\n{res.describe()}"


def ms_refuses(res):
    if res.rc == 1:
        return None
    return f"model_signing verify should refuse (exit 1)\n{res.describe()}"


# --- model directories, keys, bundles ------------------------------------------------------

def safetensors_bytes():
    """A small valid safetensors file: one F32 4x4 tensor `w`."""
    header = {"__metadata__": {"format": "pt"},
              "w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + struct.pack("<16f", *[i / 16 for i in range(16)])


# Names chosen so that code-point order and path-component order disagree
# ('-' 0x2D < '.' 0x2E < '/' 0x2F): a-b/c.txt, a.b, a/b.txt, and tokenizer.json vs
# tokenizer/vocab.txt. `a.b` and `a-b/c.txt` have the same size (content swap case).
MODEL_FILES = {
    "config.json": b'{"model_type": "tiny", "hidden_size": 4, "vocab_size": 5}\n',
    "model.safetensors": safetensors_bytes(),
    "tokenizer.json": b'{"version": "1.0", "model": {"type": "WordLevel"}}\n',
    "tokenizer/vocab.txt": b"<pad>\n<s>\n</s>\nhello\nworld\n",
    "tokenizer/special/added_tokens.txt": b"<extra_0>\n",
    "a-b/c.txt": b"alpha\n",
    "a.b": b"bravo\n",
    "a/b.txt": b"charlie\n",
}


def make_model(path):
    for rel, data in MODEL_FILES.items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
    return path


def copy_model(src, parent):
    """A fresh copy of src as parent/<same name> (the subject name stays the same)."""
    dst = parent / src.name
    shutil.copytree(src, dst, symlinks=True)
    return dst


def make_writable(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for n in [dirpath] + [os.path.join(dirpath, f) for f in dirnames + filenames]:
            if not os.path.islink(n):
                os.chmod(n, os.stat(n).st_mode | 0o200)


def flip_byte(path, offset=-5):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def pem_der_len(path):
    """Length of the DER in the first PEM block (text around the block is allowed)."""
    body, inside = [], False
    for ln in Path(path).read_text().splitlines():
        if ln.startswith("-----BEGIN "):
            inside = True
        elif ln.startswith("-----END "):
            break
        elif inside:
            body.append(ln.strip())
    return len(base64.b64decode("".join(body)))


def key_curve(pub):
    """p256 or p384 from the size of an SPKI PEM (91 and 120 bytes of DER)."""
    return {91: "p256", 120: "p384"}.get(pem_der_len(pub), "unknown")


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_bundle(path):
    return json.loads(Path(path).read_text())


def bundle_payload(bundle):
    return base64.b64decode(bundle["dsseEnvelope"]["payload"]).decode()


def write_bundle_with_payload(src, dst, old, new):
    """Copy bundle src to dst with `old` replaced by `new` (once) in the DSSE payload text,
    re-encoded; the signature is kept."""
    b = read_bundle(src)
    text = bundle_payload(b)
    if text.count(old) != 1:
        raise Failure(f"{old!r} occurs {text.count(old)} times in the payload of {src}")
    b["dsseEnvelope"]["payload"] = base64.b64encode(text.replace(old, new).encode()).decode()
    Path(dst).write_text(json.dumps(b, indent=2))


def other_hex(h):
    """h with its last hex digit changed."""
    return h[:-1] + ("0" if h[-1] != "0" else "1")


class Keys:
    """Key pairs made once for the whole run."""

    def __init__(self, env):
        self.env = env
        self.dir = env.tmp / "keys"
        self.dir.mkdir()
        self.pairs = {}  # name -> (private, public)

    def aibom(self, name, curve):
        priv, pub = self.dir / f"{name}.pem", self.dir / f"{name}.pub"
        self.env.must([self.env.aibom, "keygen", "--private-key", priv, "--public-key", pub,
                       "--curve", curve], f"aibom keygen --curve {curve}")
        self.pairs[name] = (priv, pub)

    def openssl(self, name, curve, params=False, pkcs8=False):
        ossl = {"p256": "prime256v1", "p384": "secp384r1"}[curve]
        sec1 = self.dir / f"{name}.sec1.pem"
        cmd = ["openssl", "ecparam", "-name", ossl, "-genkey", "-out", sec1]
        if not params:
            cmd.insert(-2, "-noout")
        self.env.must(cmd, "openssl ecparam -genkey")
        pub = self.dir / f"{name}.pub"
        self.env.must(["openssl", "ec", "-in", sec1, "-pubout", "-out", pub], "openssl ec -pubout")
        priv = sec1
        if pkcs8:
            priv = self.dir / f"{name}.p8.pem"
            self.env.must(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", sec1, "-out", priv],
                          "openssl pkcs8 -topk8 -nocrypt")
        self.pairs[name] = (priv, pub)


def ms_sign(env, model, priv, sig):
    env.must([env.ms, "sign", "key", model, "--private_key", priv, "--signature", sig],
             "model_signing sign key")
    if not Path(sig).is_file():
        raise Failure(f"model_signing sign wrote no {sig}")


def aibom_sign(env, model, priv, sig, bom=None):
    cmd = [env.aibom, "sign", model, "--private-key", priv, "--signature", sig]
    if bom is not None:
        cmd += ["--bom", bom]
    env.must(cmd, "aibom sign")
    if not Path(sig).is_file():
        raise Failure(f"aibom sign wrote no {sig}")


SIGNERS = {"aibom": aibom_sign, "model_signing": ms_sign}


def aibom_sign_cert(env, model, priv, cert, chain, sig, bom=None):
    cmd = [env.aibom, "sign", model, "--private-key", priv, "--signing-certificate", cert,
           "--signature", sig]
    for c in chain:
        cmd += ["--certificate-chain", c]
    if bom is not None:
        cmd += ["--bom", bom]
    env.must(cmd, "aibom sign --signing-certificate")
    if not Path(sig).is_file():
        raise Failure(f"aibom sign wrote no {sig}")


def ms_sign_cert(env, model, priv, cert, chain, sig):
    cmd = [env.ms, "sign", "certificate", model, "--private_key", priv,
           "--signing_certificate", cert, "--signature", sig]
    for c in chain:
        cmd += ["--certificate_chain", c]
    env.must(cmd, "model_signing sign certificate")
    if not Path(sig).is_file():
        raise Failure(f"model_signing sign wrote no {sig}")


# --- case 1 and 2: signing with one tool, verifying with the other --------------------------

KEY_VARIANTS = [
    # name, description, how to make it
    ("keygen-p256", "aibom keygen p256", lambda k, n: k.aibom(n, "p256")),
    ("keygen-p384", "aibom keygen p384", lambda k, n: k.aibom(n, "p384")),
    ("ossl-sec1-p256", "openssl ecparam -genkey -noout, SEC1, p256",
     lambda k, n: k.openssl(n, "p256")),
    ("ossl-sec1-p384", "openssl ecparam -genkey -noout, SEC1, p384",
     lambda k, n: k.openssl(n, "p384")),
    ("ossl-sec1params-p256", "openssl ecparam -genkey, SEC1 with EC PARAMETERS block, p256",
     lambda k, n: k.openssl(n, "p256", params=True)),
    ("ossl-pkcs8-p256", "openssl ecparam -genkey | pkcs8 -topk8 -nocrypt, p256",
     lambda k, n: k.openssl(n, "p256", pkcs8=True)),
    ("ossl-pkcs8-p384", "openssl ecparam -genkey | pkcs8 -topk8 -nocrypt, p384",
     lambda k, n: k.openssl(n, "p384", pkcs8=True)),
]


def cross_sign_cases(env, keys, base):
    for name, desc, make in KEY_VARIANTS:
        try:
            make(keys, name)
        except Failure as e:
            env.fail(f"setup: key {desc}", str(e))
            continue
        priv, pub = keys.pairs[name]

        for signer, verifier in (("model_signing", "aibom"), ("aibom", "model_signing")):
            label = f"[{signer} signs, key {desc}]"

            def run(signer=signer, verifier=verifier):
                d = env.fresh(f"x-{signer}-{name}")
                model = copy_model(base, d)
                sig = d / "model.sig"
                SIGNERS[signer](env, model, priv, sig)
                primary = (aibom_accepts(env.aibom_verify(model, [sig], keys=[pub]))
                           if verifier == "aibom"
                           else ms_accepts(env.ms_verify_key(model, sig, pub)))
                if primary:
                    return primary
                control = (ms_accepts(env.ms_verify_key(model, sig, pub))
                           if verifier == "aibom"
                           else aibom_accepts(env.aibom_verify(model, [sig], keys=[pub])))
                if control:
                    return f"(control: the signer's own verifier) {control}"
                return None

            env.case(f"cross {label} -> {verifier} verify accepts", run)

    # Same model, same key: both tools describe the model identically.
    def same_manifest():
        priv, pub = keys.pairs["keygen-p256"]
        d = env.fresh("same-manifest")
        model = copy_model(base, d)
        a, m = d / "aibom.sig", d / "ms.sig"
        aibom_sign(env, model, priv, a)
        ms_sign(env, model, priv, m)
        pa, pm = json.loads(bundle_payload(read_bundle(a))), json.loads(bundle_payload(read_bundle(m)))
        diffs = []
        if pa.get("predicateType") != pm.get("predicateType"):
            diffs.append(f"predicateType {pa.get('predicateType')!r} vs {pm.get('predicateType')!r}")
        if pa.get("subject") != pm.get("subject"):
            diffs.append(f"subject {pa.get('subject')} vs {pm.get('subject')}")
        ra = [(r.get("name"), r.get("algorithm"), r.get("digest"))
              for r in pa["predicate"]["resources"]]
        rm = [(r.get("name"), r.get("algorithm"), r.get("digest"))
              for r in pm["predicate"]["resources"]]
        if ra != rm:
            diffs.append(f"resources (in order)\n  aibom:         {ra}\n  model_signing: {rm}")
        sa, sm = dict(pa["predicate"]["serialization"]), dict(pm["predicate"]["serialization"])
        sa["ignore_paths"] = sorted(sa.get("ignore_paths", []))
        sm["ignore_paths"] = sorted(sm.get("ignore_paths", []))
        if sa != sm:
            diffs.append(f"serialization {sa} vs {sm}")
        if set(r[0] for r in ra) != set(MODEL_FILES):
            diffs.append(f"resources {sorted(r[0] for r in ra)} are not the model's files")
        return "payloads differ: " + "; ".join(diffs) if diffs else None

    if "keygen-p256" in keys.pairs:
        env.case("cross [same key, same model] aibom and model_signing sign the same "
                 "subject digest and resources in the same order", same_manifest)


# --- case 3: tamper matrix ---------------------------------------------------------------

def t_byte_flipped(t):
    flip_byte(t.model / "model.safetensors", -5)  # inside the tensor data: still valid


def t_file_added(t):
    (t.model / "extra.txt").write_bytes(b"not signed\n")


def t_file_removed(t):
    (t.model / "config.json").unlink()


def t_file_renamed(t):
    (t.model / "tokenizer/vocab.txt").rename(t.model / "tokenizer/vocab2.txt")


def t_contents_swapped(t):
    a, b = t.model / "a.b", t.model / "a-b/c.txt"  # same size, different bytes
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)


def t_payload_digest_edited(t):
    old = sha256_file(t.model / "config.json")
    write_bundle_with_payload(t.sig, t.sig2, old, other_hex(old))
    t.sig = t.sig2


def t_payload_matches_tampered_file(t):
    # The file is changed and the payload edited to its new digest: only the signature
    # (and the subject digest) can catch this.
    f = t.model / "model.safetensors"
    old = sha256_file(f)
    flip_byte(f, -5)
    write_bundle_with_payload(t.sig, t.sig2, old, sha256_file(f))
    t.sig = t.sig2


def t_other_key(t):
    t.pub = t.other_pub


def t_hint_altered(t):
    b = read_bundle(t.sig)
    h = b["verificationMaterial"]["publicKey"]["hint"]
    b["verificationMaterial"]["publicKey"]["hint"] = other_hex(h)
    t.sig2.write_text(json.dumps(b, indent=2))
    t.sig = t.sig2


def t_dsse_sig_altered(t):
    b = read_bundle(t.sig)
    raw = bytearray(base64.b64decode(b["dsseEnvelope"]["signatures"][0]["sig"]))
    raw[-3] ^= 0x01  # inside s, DER still well-formed
    b["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    t.sig2.write_text(json.dumps(b, indent=2))
    t.sig = t.sig2


def t_truncated(t):
    data = t.sig.read_bytes()
    t.sig2.write_bytes(data[: len(data) // 2])
    t.sig = t.sig2


def t_media_type(t):
    b = read_bundle(t.sig)
    b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
    t.sig2.write_text(json.dumps(b, indent=2))
    t.sig = t.sig2


TAMPERS = [
    ("one byte flipped in model.safetensors", t_byte_flipped),
    ("file added (extra.txt)", t_file_added),
    ("file removed (config.json)", t_file_removed),
    ("file renamed (tokenizer/vocab.txt -> vocab2.txt)", t_file_renamed),
    ("contents of a.b and a-b/c.txt swapped", t_contents_swapped),
    ("payload: config.json digest edited, signature kept", t_payload_digest_edited),
    ("payload edited to match a tampered file, signature kept", t_payload_matches_tampered_file),
    ("verified with another key", t_other_key),
    ("publicKey.hint altered", t_hint_altered),
    ("DSSE signature bytes altered", t_dsse_sig_altered),
    ("signature file truncated to half", t_truncated),
    ("mediaType changed to bundle+json;version=0.2", t_media_type),
]


class Tampered:
    pass


def tamper_cases(env, keys, base):
    for curve in ("p256", "p384"):
        kname, oname = f"keygen-{curve}", f"other-{curve}"
        if kname not in keys.pairs:
            env.fail(f"tamper [{curve}] setup", f"no {kname} key (see above)")
            continue
        try:
            keys.aibom(oname, curve)
        except Failure as e:
            env.fail(f"tamper [{curve}] setup: another key", str(e))
            continue
        priv, pub = keys.pairs[kname]
        other_pub = keys.pairs[oname][1]
        for signer in ("aibom", "model_signing"):
            label = f"tamper [{signer}-signed, {curve}]"
            # One signature per signer and curve; each case works on a fresh copy of the
            # model and of the signature.
            src = env.fresh(f"t-{signer}-{curve}")
            model0 = copy_model(base, src)
            sig0 = src / "model.sig"
            try:
                SIGNERS[signer](env, model0, priv, sig0)
            except Failure as e:
                env.fail(f"{label} setup: sign", str(e))
                continue

            def baseline(model0=model0, sig0=sig0, pub=pub):
                return (aibom_accepts(env.aibom_verify(model0, [sig0], keys=[pub]))
                        or ms_accepts(env.ms_verify_key(model0, sig0, pub)))

            env.case(f"{label} untouched -> both accept", baseline)

            for tname, tfn in TAMPERS:
                for verifier in ("aibom", "model_signing"):
                    def run(tfn=tfn, verifier=verifier, model0=model0, sig0=sig0, pub=pub,
                            other_pub=other_pub, signer=signer):
                        d = env.fresh(f"t-{signer}-{curve}-{verifier}")
                        t = Tampered()
                        t.model = copy_model(model0, d)
                        t.sig = d / "model.sig"
                        shutil.copyfile(sig0, t.sig)
                        t.sig2 = d / "tampered.sig"
                        t.pub, t.other_pub = pub, other_pub
                        tfn(t)
                        if verifier == "aibom":
                            return aibom_refuses(env.aibom_verify(t.model, [t.sig], keys=[t.pub]))
                        return ms_refuses(env.ms_verify_key(t.model, t.sig, t.pub))

                    env.case(f"{label} {tname} -> {verifier} refuses", run)


# --- case 4: vectors -----------------------------------------------------------------------

def vector_cases(env, keys):
    if not env.vectors.is_dir():
        env.fail("vectors", f"no vectors directory {env.vectors}")
        return
    vec = env.tmp / "vectors"
    shutil.copytree(env.vectors, vec, symlinks=True)
    make_writable(vec)  # the vectors may be read-only; copies of them get tampered with
    oms = vec / "oms-v1.1.0"

    def need(*paths):
        missing = [str(p.relative_to(vec)) for p in paths if not p.exists()]
        if missing:
            raise Failure(f"missing from {env.vectors}: {', '.join(missing)}")

    def other_pub_for(pub):
        curve = key_curve(pub)
        name = f"other-{curve}"
        if name not in keys.pairs:
            keys.aibom(name, curve)
        return keys.pairs[name][1]

    def both(expect_accept, a_res, m_res):
        check_a = aibom_accepts if expect_accept else aibom_refuses
        check_m = ms_accepts if expect_accept else ms_refuses
        return check_a(a_res) or check_m(m_res)

    def copy_of(src, tag):
        """A fresh copy of the vector folder src (model and signature together)."""
        d = env.fresh(f"v-{tag}")
        dst = d / src.name
        shutil.copytree(src, dst, symlinks=True)
        return dst

    # oms-v1.1.0/elliptic-key (key method, P-384; ignore-me ignored)
    ek, ek_pub = oms / "elliptic-key", oms / "keys" / "signing-key-pub.pem"

    def ek_run(mutate=None, pub=None, ignore=True, expect=True, policy=None, aibom_expect=None):
        def run():
            need(ek / "model.sig", ek_pub)
            d = copy_of(ek, "elliptic-key")
            if mutate:
                mutate(d)
            key = pub() if pub else ek_pub
            sig = d / "model.sig"
            a = env.aibom_verify(d, [sig], keys=[key], ignore=["ignore-me"] if ignore else [],
                                 policy=policy() if policy else None)
            m = env.ms_verify_key(d, sig, key, ignore=[d / "ignore-me"] if ignore else [])
            if aibom_expect is None:
                return both(expect, a, m)
            check_a = aibom_accepts if aibom_expect else aibom_refuses
            check_m = ms_accepts if expect else ms_refuses
            return check_a(a) or check_m(m)
        return run

    def signed_ignores_policy():
        # Outside the verified directory: aibom refuses a policy that lies inside it.
        p = env.tmp / "signed-ignores.toml"
        p.write_text('[verify]\nsigned-ignores = [".git", ".gitattributes", ".github", '
                     '".gitignore", "ignore-me"]\n')
        return p

    name = "vector oms-v1.1.0/elliptic-key"
    env.case(f"{name} -> both accept", ek_run())
    env.case(f"{name} one byte flipped in signme-1 -> both refuse",
             ek_run(mutate=lambda d: flip_byte(d / "signme-1", 0), expect=False))
    # The signed serialization.ignore_paths lists ignore-me. model_signing honours any signed
    # ignore; aibom honours only those the policy's signed-ignores allows (default: VCS
    # metadata), so one signer can never opt files out of the check on its own.
    env.case(f"{name} no ignore path given (ignore-me is in the signed ignore_paths) "
             "-> model_signing accepts, aibom refuses by default",
             ek_run(ignore=False, aibom_expect=False))
    env.case(f"{name} no ignore path given, policy signed-ignores allows ignore-me "
             "-> both accept", ek_run(ignore=False, policy=signed_ignores_policy))
    env.case(f"{name} extra file added -> both refuse",
             ek_run(mutate=lambda d: (d / "signme-3").write_bytes(b"x\n"), expect=False))
    env.case(f"{name} another P-384 key -> both refuse",
             ek_run(pub=lambda: other_pub_for(ek_pub), expect=False))

    # oms-v1.1.0/certificate (leaf + intermediate in the bundle, root given)
    ce = oms / "certificate"
    ca, ica = oms / "keys" / "ca-cert.pem", oms / "keys" / "int-ca-cert.pem"

    def impostor_ca():
        # Same subject as the real root (CN=root-ca), different key.
        d = env.tmp / "impostor-ca"
        if not (d / "ca-cert.pem").exists():
            d.mkdir(exist_ok=True)
            env.must(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", d / "ca-key.pem",
                      "-out", d / "ca-cert.pem", "-subj", "/CN=root-ca", "-days", "30"],
                     "openssl req -x509 (impostor CA)")
        return d / "ca-cert.pem"

    def ce_run(mutate=None, chains=None, expect=True):
        def run():
            need(ce / "model.sig", ca, ica)
            d = copy_of(ce, "certificate")
            if mutate:
                mutate(d)
            ch = chains() if chains else [ca, ica]
            sig = d / "model.sig"
            a = env.aibom_verify(d, [sig], chains=ch, ignore=["ignore-me"])
            m = env.ms_verify_cert(d, sig, ch, ignore=[d / "ignore-me"])
            return both(expect, a, m)
        return run

    name = "vector oms-v1.1.0/certificate"
    env.case(f"{name} -> both accept", ce_run())
    env.case(f"{name} one byte flipped in signme-2 -> both refuse",
             ce_run(mutate=lambda d: flip_byte(d / "signme-2", 0), expect=False))
    env.case(f"{name} untrusted root with the same name -> both refuse",
             ce_run(chains=lambda: [impostor_ca()], expect=False))

    # oms-v1.1.0/sigstore: keyless, against the trusted root kept beside the vectors
    ks = oms / "sigstore"
    trusted_root = vec / "sigstore-public-good-trusted_root.json"
    identity, issuer = "stefanb@us.ibm.com", "https://sigstore.verify.ibm.com/oauth2"

    def trust_files(without_fulcio):
        """The trusted root (for aibom) and a client trust configuration holding it (for
        model_signing), optionally with its Fulcio certificate authorities left out."""
        tag = "no-fulcio" if without_fulcio else "public-good"
        d = env.tmp / f"sigstore-trust-{tag}"
        root_file, config_file = d / "trusted_root.json", d / "trust_config.json"
        if not config_file.exists():
            d.mkdir()
            root = json.loads(trusted_root.read_text())
            if without_fulcio:
                root["certificateAuthorities"] = []
            root_file.write_text(json.dumps(root))
            config_file.write_text(json.dumps({
                "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                "trustedRoot": root,
                "signingConfig": {
                    "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                    "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
                    "rekorTlogConfig": {"selector": "ANY"},
                    "tsaConfig": {"selector": "ANY"},
                },
            }))
        return root_file, config_file

    def ks_run(mutate=None, who=identity, by=issuer, without_fulcio=False, expect=True,
               aibom_says=None):
        def run():
            need(ks / "model.sig", trusted_root)
            d = copy_of(ks, "sigstore")
            if mutate:
                mutate(d)
            root_file, config_file = trust_files(without_fulcio)
            sig = d / "model.sig"
            a = env.aibom_verify(d, [sig], ignore=["ignore-me"], keyless=(root_file, who, by))
            m = env.ms_verify_sigstore(d, sig, config_file, who, by, ignore=[d / "ignore-me"])
            if aibom_says is not None and aibom_says not in a.out:
                return f"aibom verify should say {aibom_says!r}\n{a.describe()}"
            return both(expect, a, m)
        return run

    where = "in a network namespace" if env.netns else "offline, proxy tripwire only"
    name = f"vector oms-v1.1.0/sigstore (keyless, trusted root from a file, {where})"
    env.case(f"{name} -> both accept", ks_run())
    env.case(f"{name} another identity -> both refuse",
             ks_run(who="someone@example.com", expect=False,
                    aibom_says='identity is "stefanb@us.ibm.com", expected "someone@example.com"'))
    env.case(f"{name} another issuer -> both refuse",
             ks_run(by="https://accounts.google.com", expect=False))
    env.case(f"{name} one byte flipped in signme-1 -> both refuse",
             ks_run(mutate=lambda d: flip_byte(d / "signme-1", 0), expect=False))
    env.case(f"{name} trusted root without its Fulcio CAs -> both refuse",
             ks_run(without_fulcio=True, expect=False))

    # oms-key-ordering: both signatures; expectations from its README
    ko = vec / "oms-key-ordering"

    def ko_mut_add(rel):
        def m(d):
            f = d / "tiny-model" / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(b"ref: refs/heads/main\n" if rel.endswith("HEAD") else b"x\n")
        return m

    def ko_swap(d):
        a, b = d / "tiny-model/tokenizer.json", d / "tiny-model/tokenizer/vocab.txt"
        da, db = a.read_bytes(), b.read_bytes()
        a.write_bytes(db)
        b.write_bytes(da)

    def ko_run(sig_name, mutate=None, other_key=False, expect=True):
        def run():
            need(ko / sig_name, ko / "key.pub", ko / "tiny-model")
            d = copy_of(ko, "key-ordering")
            if mutate:
                mutate(d)
            key = other_pub_for(d / "key.pub") if other_key else d / "key.pub"
            model, sig = d / "tiny-model", d / sig_name
            a = env.aibom_verify(model, [sig], keys=[key])
            m = env.ms_verify_key(model, sig, key)
            return both(expect, a, m)
        return run

    for sig_name in ("model.sig", "model.spec-order.sig"):
        name = f"vector oms-key-ordering/{sig_name}"
        env.case(f"{name} -> both accept", ko_run(sig_name))
        env.case(f"{name} one byte flipped in model.safetensors -> both refuse",
                 ko_run(sig_name, mutate=lambda d: flip_byte(d / "tiny-model/model.safetensors"),
                        expect=False))
        env.case(f"{name} extra.txt added -> both refuse",
                 ko_run(sig_name, mutate=ko_mut_add("extra.txt"), expect=False))
        env.case(f"{name} tokenizer.json deleted -> both refuse",
                 ko_run(sig_name, mutate=lambda d: (d / "tiny-model/tokenizer.json").unlink(),
                        expect=False))
        env.case(f"{name} tokenizer.json and tokenizer/vocab.txt swapped -> both refuse",
                 ko_run(sig_name, mutate=ko_swap, expect=False))
        env.case(f"{name} another P-256 key -> both refuse",
                 ko_run(sig_name, other_key=True, expect=False))
        env.case(f"{name} .git/HEAD added -> both accept",
                 ko_run(sig_name, mutate=ko_mut_add(".git/HEAD")))
        env.case(f"{name} .cache/x added -> both refuse",
                 ko_run(sig_name, mutate=ko_mut_add(".cache/x"), expect=False))


# --- case 5: AIBOM binding -----------------------------------------------------------------

def bom_cases(env, keys, base):
    if "keygen-p256" not in keys.pairs:
        env.fail("aibom binding setup", "no keygen-p256 key (see above)")
        return
    priv, pub = keys.pairs["keygen-p256"]
    d = env.fresh("bom")
    model = copy_model(base, d)
    bom, sig = d / "model.cdx.json", d / "model.sig"
    att = Path(str(sig) + ".bom")
    label = "aibom binding"

    def setup():
        env.must([env.aibom, "generate", model, "-o", bom], "aibom generate")
        aibom_sign(env, model, priv, sig, bom=bom)
        if not att.is_file():
            return f"aibom sign --bom wrote no {att.name}"
        return None

    env.case(f"{label} generate + sign --bom writes the signature and {att.name}", setup)
    if not (bom.is_file() and sig.is_file() and att.is_file()):
        return

    env.case(f"{label} verify --bom accepts",
             lambda: aibom_accepts(env.aibom_verify(model, [sig], keys=[pub], bom=bom)))
    env.case(f"{label} model_signing verify key accepts the model signature",
             lambda: ms_accepts(env.ms_verify_key(model, sig, pub)))

    bom_text = bom.read_text()
    n = [0]

    def edited(fn):
        n[0] += 1
        out = d / f"edited-{n[0]}.cdx.json"
        text = fn(bom_text)
        if text == bom_text:
            raise Failure("the edit changed nothing")
        out.write_text(text)
        return out

    def edit_serial(text):
        # One byte of the serial number, still a valid lower-case hex UUID.
        i = text.index('"urn:uuid:') + len('"urn:uuid:')
        c = text[i]
        return text[:i] + ("0" if c != "0" else "1") + text[i + 1:]

    def edit_hash(text):
        # One hex digit of a file hash recorded in the AIBOM.
        h = sha256_file(model / "config.json")
        if text.count(h) < 1:
            raise Failure("config.json's hash is not in the AIBOM")
        return text.replace(h, other_hex(h), 1)

    def edit_description(text):
        b = json.loads(text)
        comp = b["metadata"]["component"]
        comp["description"] = comp.get("description", "A tiny test model") + "!"
        return json.dumps(b, indent=2) + "\n"

    for what, fn in (("one byte of serialNumber changed", edit_serial),
                     ("one digit of a file hash changed", edit_hash),
                     ("model description changed", edit_description)):
        def run(fn=fn):
            return aibom_refuses(env.aibom_verify(model, [sig], keys=[pub], bom=edited(fn)))
        env.case(f"{label} AIBOM edited ({what}) -> aibom verify --bom refuses", run)

    def missing_attestation():
        d2 = env.fresh("bom-noatt")
        sig2 = d2 / "model.sig"
        shutil.copyfile(sig, sig2)
        return aibom_refuses(env.aibom_verify(model, [sig2], keys=[pub], bom=bom))

    env.case(f"{label} attestation missing -> aibom verify --bom refuses", missing_attestation)

    def model_changed():
        d2 = env.fresh("bom-model-changed")
        m2 = copy_model(model, d2)
        flip_byte(m2 / "model.safetensors", -5)
        return aibom_refuses(env.aibom_verify(m2, [sig], keys=[pub], bom=bom))

    env.case(f"{label} one byte flipped in the model -> aibom verify --bom refuses",
             model_changed)

    env.case(f"{label} model_signing verify key still accepts after the AIBOM edits",
             lambda: ms_accepts(env.ms_verify_key(model, sig, pub)))


# --- case 6: certificate method ---------------------------------------------------------------

class Pki:
    """CAs and signing certificates made with the openssl CLI, once for the whole run."""

    def __init__(self, env):
        self.env = env
        self.dir = env.tmp / "pki"
        self.dir.mkdir()

    def path(self, name):
        return self.dir / name

    def ext(self, name, lines):
        p = self.path(f"{name}.ext")
        p.write_text("\n".join(lines) + "\n")
        return p

    def newkey(self, name, alg):
        """A private key: alg is p256, p384 or rsa3072."""
        key = self.path(f"{name}.key")
        opts = {"p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
                "p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
                "rsa3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]}[alg]
        self.env.must(["openssl", "genpkey", *opts, "-out", key], f"openssl genpkey {alg}")
        return key

    def root(self, name, alg, cn):
        key = self.newkey(name, alg)
        cert = self.path(f"{name}.pem")
        self.env.must(["openssl", "req", "-x509", "-new", "-key", key, "-out", cert,
                       "-subj", f"/CN={cn}", "-days", "30",
                       "-addext", "basicConstraints=critical,CA:TRUE",
                       "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                      f"openssl req -x509 ({cn})")
        return key, cert

    def issue(self, name, alg, cn, ca_key, ca_cert, ca):
        key = self.newkey(name, alg)
        csr, cert = self.path(f"{name}.csr"), self.path(f"{name}.pem")
        self.env.must(["openssl", "req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={cn}"],
                      f"openssl req -new ({cn})")
        ext = self.ext(name, ["basicConstraints=critical,CA:TRUE",
                              "keyUsage=critical,keyCertSign,cRLSign"] if ca else
                       ["basicConstraints=critical,CA:FALSE",
                        "keyUsage=critical,digitalSignature",
                        "extendedKeyUsage=codeSigning"])
        self.env.must(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
                       "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext],
                      f"openssl x509 -req ({cn})")
        return key, cert


def cert_cases(env, keys, base):
    pki = Pki(env)
    try:
        ec_root_key, ec_root = pki.root("ec-root", "p256", "aibom-interop-root")
        int_key, int_cert = pki.issue("ec-int", "p256", "aibom-interop-intermediate",
                                      ec_root_key, ec_root, ca=True)
        leaf_key, leaf = pki.issue("ec-leaf", "p384", "aibom-interop-signer", int_key, int_cert,
                                   ca=False)
        rsa_root_key, rsa_root = pki.root("rsa-root", "rsa3072", "aibom-interop-rsa-root")
        rleaf_key, rleaf = pki.issue("rsa-leaf", "p256", "aibom-interop-rsa-signer",
                                     rsa_root_key, rsa_root, ca=False)
        _, impostor = pki.root("impostor", "p256", "aibom-interop-root")
        other_key = pki.newkey("other", "p384")
    except Failure as e:
        env.fail("certificate method setup", str(e))
        return

    # (key, certificate, chain aibom carries, chain both carry, root). model_signing 1.1.1's
    # `sign certificate` fails on an empty chain (MalformedFraming), so where aibom signs with
    # no intermediate, the cases where model_signing signs give it the root as the chain.
    chains = {
        "EC root -> EC intermediate -> P-384 signer":
            (leaf_key, leaf, [int_cert], [int_cert], ec_root),
        "RSA-3072 root -> P-256 signer": (rleaf_key, rleaf, [], [rsa_root], rsa_root),
    }
    for desc, (priv, cert, chain, ms_chain, root) in chains.items():
        label = f"certificate [{desc}]"

        def aibom_signed(tag, priv=priv, cert=cert, chain=chain):
            d = env.fresh(f"c-{tag}")
            model = copy_model(base, d)
            sig = d / "model.sig"
            aibom_sign_cert(env, model, priv, cert, chain, sig)
            return d, model, sig

        def aibom_signs(root=root):
            _, model, sig = aibom_signed("aibom")
            return (ms_accepts(env.ms_verify_cert(model, sig, [root]))
                    or aibom_accepts(env.aibom_verify(model, [sig], chains=[root])))

        def ms_signs(priv=priv, cert=cert, chain=ms_chain, root=root):
            d = env.fresh("c-ms")
            model = copy_model(base, d)
            sig = d / "model.sig"
            ms_sign_cert(env, model, priv, cert, chain, sig)
            return (aibom_accepts(env.aibom_verify(model, [sig], chains=[root]))
                    or ms_accepts(env.ms_verify_cert(model, sig, [root])))

        def same_material(priv=priv, cert=cert, chain=ms_chain):
            d = env.fresh("c-same")
            model = copy_model(base, d)
            a, m = d / "aibom.sig", d / "ms.sig"
            aibom_sign_cert(env, model, priv, cert, chain, a)
            ms_sign_cert(env, model, priv, cert, chain, m)
            va, vm = read_bundle(a)["verificationMaterial"], read_bundle(m)["verificationMaterial"]
            if va != vm:
                return f"verificationMaterial differs\n  aibom:         {va}\n  model_signing: {vm}"
            ka = [s.get("keyid") for s in read_bundle(a)["dsseEnvelope"]["signatures"]]
            km = [s.get("keyid") for s in read_bundle(m)["dsseEnvelope"]["signatures"]]
            return None if ka == km else f"keyid {ka} vs {km}"

        def impostor_root():
            _, model, sig = aibom_signed("impostor")
            return (ms_refuses(env.ms_verify_cert(model, sig, [impostor]))
                    or aibom_refuses(env.aibom_verify(model, [sig], chains=[impostor])))

        def byte_flipped(root=root):
            _, model, sig = aibom_signed("flip")
            flip_byte(model / "model.safetensors", -5)
            return (ms_refuses(env.ms_verify_cert(model, sig, [root]))
                    or aibom_refuses(env.aibom_verify(model, [sig], chains=[root])))

        def with_bom(priv=priv, cert=cert, chain=chain, root=root):
            d = env.fresh("c-bom")
            model = copy_model(base, d)
            bom, sig = d / "model.cdx.json", d / "model.sig"
            env.must([env.aibom, "generate", model, "-o", bom], "aibom generate")
            aibom_sign_cert(env, model, priv, cert, chain, sig, bom=bom)
            att = read_bundle(Path(str(sig) + ".bom"))["verificationMaterial"]
            if att != read_bundle(sig)["verificationMaterial"]:
                return "the AIBOM attestation carries other verification material"
            return (aibom_accepts(env.aibom_verify(model, [sig], chains=[root], bom=bom))
                    or aibom_refuses(env.aibom_verify(model, [sig], chains=[impostor], bom=bom))
                    or ms_accepts(env.ms_verify_cert(model, sig, [root])))

        env.case(f"{label} aibom signs -> model_signing verify certificate accepts", aibom_signs)
        env.case(f"{label} model_signing signs -> aibom verify accepts", ms_signs)
        env.case(f"{label} same key and certificates -> both write the same "
                 "verificationMaterial", same_material)
        env.case(f"{label} root of the same name, another key -> both refuse", impostor_root)
        env.case(f"{label} one byte flipped -> both refuse", byte_flipped)
        env.case(f"{label} sign --bom -> aibom verify --bom accepts with the root, refuses "
                 "with another; model_signing accepts the model signature", with_bom)

    def key_mismatch():
        d = env.fresh("c-mismatch")
        model = copy_model(base, d)
        sig = d / "model.sig"
        res = env.run([env.aibom, "sign", model, "--private-key", other_key,
                       "--signing-certificate", leaf, "--certificate-chain", int_cert,
                       "--signature", sig])
        if res.rc != 2 or str(leaf) not in res.out or sig.exists():
            return f"aibom sign should refuse (exit 2) naming {leaf}\n{res.describe()}"
        return None

    env.case("certificate of another key -> aibom sign refuses naming the certificate",
             key_mismatch)


# --- main ----------------------------------------------------------------------------------

def network_namespace(env):
    """The prefix that runs a command without any network, if unprivileged user namespaces
    are allowed here (a new network namespace holds only a loopback that is down), else []."""
    prefix = ["unshare", "--net", "--map-root-user"]
    if shutil.which("unshare") is None:
        return []
    probe = env.run(prefix + [sys.executable, "-c",
                              "import socket; print([n for _, n in socket.if_nameindex()])"])
    return prefix if probe.rc == 0 and probe.out.strip() == "['lo']" else []

def main():
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aibom", required=True, help="the aibom binary")
    ap.add_argument("--model-signing", required=True,
                    help="the model_signing CLI (model-signing 1.1.1, inside a venv)")
    ap.add_argument("--vectors", default=str(repo / "tests" / "vectors"),
                    help="test vectors directory (default: tests/vectors in the repo)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every command")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="oms-interop-"))
    env = Env(args, tmp)
    try:
        problems = []
        for what, path in (("--aibom", env.aibom), ("--model-signing", env.ms)):
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                problems.append(f"{what}: {path} is not an executable file")
        if shutil.which("openssl") is None:
            problems.append("openssl is not on PATH")
        if problems:
            env.fail("setup", "\n".join(problems))
        else:
            ver = env.run([env.ms, "--version"])
            if ver.rc != 0:
                env.fail("setup: model_signing --version", ver.describe())
            else:
                if env.verbose:
                    print(f"  peer: {ver.out.strip()}")
                env.netns = network_namespace(env)
                base = make_model(tmp / "base" / "model")
                keys = Keys(env)
                cross_sign_cases(env, keys, base)
                tamper_cases(env, keys, base)
                vector_cases(env, keys)
                bom_cases(env, keys, base)
                cert_cases(env, keys, base)
    finally:
        if args.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{env.passed} passed, {env.failed} failed")
    return 1 if env.failed else 0


if __name__ == "__main__":
    sys.exit(main())
