"""The installed wheel: the `aibom` console script and `import aibom`.

Run against a wheel installed into a fresh virtual environment (see .ci/run):

    AIBOM_BINARY=target/release/aibom python -m pytest tests/python

AIBOM_BINARY (default: target/release/aibom) is the cargo-built binary the console script and
the API are compared with; the comparisons are skipped when it is not there and the variable
is not set.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import aibom

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
MALICIOUS = SAMPLES / "malicious" / "hf_dir_with_payload"
BENIGN = SAMPLES / "benign" / "hf_model"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())


def _binary() -> Path:
    named = os.environ.get("AIBOM_BINARY")
    path = Path(named) if named else REPO / "target" / "release" / "aibom"
    if not path.is_file():
        if named:
            pytest.fail(f"AIBOM_BINARY={named} does not exist")
        pytest.skip("no cargo-built aibom binary to compare with")
    return path


@pytest.fixture(scope="session")
def binary() -> Path:
    return _binary()


@pytest.fixture(scope="session")
def console() -> Path:
    """The console script the wheel installed beside this interpreter."""
    found = shutil.which("aibom", path=str(Path(sys.executable).parent))
    assert found, "the wheel did not install an `aibom` command"
    return Path(found)


def run(program: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run(
        [str(program), *args], cwd=cwd, capture_output=True, timeout=300, env=env
    )


# --- the console script runs the binary's command line --------------------------------------


@pytest.mark.parametrize(
    "args, code",
    [
        (["scan", "samples/malicious/hf_dir_with_payload", "--no-progress"], 1),
        (["scan", "samples/benign/hf_model", "--no-progress"], 0),
        (["scan", "samples/does-not-exist"], 2),
        (["scan", "--fail-on", "severe", "samples/benign/hf_model"], 2),
        (["scan"], 2),
        (["no-such-command"], 2),
        (["--version"], 0),
        (["scan", "--help"], 0),
    ],
)
def test_console_script_gives_the_binarys_exit_code_and_output(
    console: Path, binary: Path, args: list, code: int
) -> None:
    ours = run(console, *args)
    theirs = run(binary, *args)
    assert ours.returncode == code
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )


@pytest.mark.parametrize("sample", [MALICIOUS, BENIGN], ids=["malicious", "benign"])
def test_console_script_prints_the_binarys_json_byte_for_byte(
    console: Path, binary: Path, sample: Path
) -> None:
    args = ["scan", "--format", "json", str(sample.relative_to(REPO))]
    ours = run(console, *args)
    assert ours.stdout == run(binary, *args).stdout
    json.loads(ours.stdout)


def test_console_script_exits_1_on_the_malicious_sample_and_0_on_the_benign(
    console: Path,
) -> None:
    assert run(console, "scan", "-q", str(MALICIOUS)).returncode == 1
    assert run(console, "scan", "-q", str(BENIGN)).returncode == 0


def test_python_dash_m_aibom_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aibom", "scan", "-q", str(MALICIOUS)],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 1


# --- aibom.scan ----------------------------------------------------------------------------


def test_scan_reports_the_malicious_sample_unsafe_with_its_codes() -> None:
    report = aibom.scan(MALICIOUS)
    assert report["summary"]["verdict"] == "unsafe"
    codes = {
        f["code"]
        for target in report["targets"]
        for file in target["files"]
        for f in file["findings"]
    }
    for code in EXPECTED["malicious/hf_dir_with_payload"]["codes"]:
        assert code in codes


def test_scan_reports_the_benign_sample_clean() -> None:
    report = aibom.scan(str(BENIGN))
    assert report["summary"]["verdict"] == "clean"
    assert report["summary"]["unreadable"] == 0


def test_scan_returns_what_the_binary_prints_with_format_json(binary: Path) -> None:
    for sample in (MALICIOUS, BENIGN):
        rel = str(sample.relative_to(REPO))
        printed = json.loads(run(binary, "scan", "--format", "json", rel).stdout)
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            assert aibom.scan(rel) == printed
        finally:
            os.chdir(cwd)


def test_scan_takes_several_paths_as_the_command_line_does() -> None:
    report = aibom.scan([MALICIOUS, BENIGN])
    assert [t["root"] for t in report["targets"]] == [str(MALICIOUS), str(BENIGN)]


def test_scan_options_are_the_command_line_flags() -> None:
    # The malicious file skipped: nothing unsafe is left.
    report = aibom.scan(MALICIOUS, skip="pytorch_model.bin")
    assert report["summary"]["verdict"] == "clean"
    assert aibom.scan(BENIGN, fail_on="critical", jobs=1)["fail_on"] == "critical"
    assert aibom.scan(BENIGN, strict=True)["strict"] is True


def test_scan_never_imports_the_globals_a_pickle_names(tmp_path: Path) -> None:
    # A module that leaves a mark when imported, and a pickle that calls it on load.
    modules = tmp_path / "modules"
    modules.mkdir()
    mark = tmp_path / "imported"
    (modules / "aibom_canary.py").write_text(
        f"open({str(mark)!r}, 'w').close()\ndef boom():\n    pass\n"
    )
    model = tmp_path / "model"
    model.mkdir()
    # PROTO 2, GLOBAL aibom_canary.boom, EMPTY_TUPLE, REDUCE, STOP.
    (model / "model.pkl").write_bytes(b"\x80\x02caibom_canary\nboom\n)R.")
    sys.path.insert(0, str(modules))
    try:
        report = aibom.scan(model)
    finally:
        sys.path.remove(str(modules))
    assert "aibom_canary" not in sys.modules
    assert not mark.exists()
    assert report["targets"][0]["files"][0]["findings"], "the global is reported"


# --- errors: what makes the command line exit 2 --------------------------------------------


def test_a_missing_path_raises_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(aibom.InputError, match="no such file or directory") as raised:
        aibom.scan(missing)
    assert isinstance(raised.value, aibom.AibomError)
    assert isinstance(raised.value, OSError)
    with pytest.raises(aibom.InputError, match="not a directory"):
        aibom.generate(SAMPLES / "benign" / "dict_p2.pkl")
    with pytest.raises(aibom.InputError, match="not a directory"):
        aibom.verify(missing, signatures=[tmp_path / "sig"], public_keys=[tmp_path / "k"])


def test_an_option_the_command_line_refuses_raises_a_usage_error() -> None:
    with pytest.raises(aibom.UsageError, match="severe") as raised:
        aibom.scan(BENIGN, fail_on="severe")
    assert isinstance(raised.value, ValueError)
    with pytest.raises(aibom.UsageError):
        aibom.scan(BENIGN, shard="3/2")
    with pytest.raises(aibom.UsageError):
        aibom.generate(BENIGN, format="xml")
    with pytest.raises(aibom.UsageError, match="issuer"):
        aibom.verify(BENIGN, signatures="sig", identity="someone@example.com")


def test_a_flag_like_value_is_a_value_not_a_flag() -> None:
    with pytest.raises(aibom.UsageError, match="--strict"):
        aibom.scan(BENIGN, fail_on="--strict")


def test_an_invalid_configuration_raises_an_aibom_error(tmp_path: Path) -> None:
    config = tmp_path / "aibom.toml"
    config.write_text("no-such-key = 1\n")
    with pytest.raises(aibom.AibomError) as raised:
        aibom.scan(BENIGN, config=config)
    assert not isinstance(raised.value, (aibom.UsageError, aibom.InputError))


def test_unreadable_files_raise_with_the_report(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    model = tmp_path / "model"
    model.mkdir()
    secret = model / "weights.bin"
    secret.write_bytes(b"\0" * 16)
    secret.chmod(0)
    with pytest.raises(aibom.UnreadableFilesError) as raised:
        aibom.scan(model)
    assert raised.value.result["summary"]["unreadable"] == 1


# --- aibom.generate ------------------------------------------------------------------------


def test_generate_returns_the_aibom_and_writes_the_binarys_bytes(
    binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    ours = tmp_path / "ours.cdx.json"
    theirs = tmp_path / "theirs.cdx.json"
    doc = aibom.generate(BENIGN, output=ours)
    assert run(binary, "generate", str(BENIGN), "-o", str(theirs)).returncode == 0
    assert ours.read_bytes() == theirs.read_bytes()
    assert doc == json.loads(theirs.read_bytes())
    assert doc["bomFormat"] == "CycloneDX"


def test_generate_records_the_malicious_sample_findings() -> None:
    doc = aibom.generate(MALICIOUS, timestamp="2026-01-31T12:00:00Z")
    assert doc["metadata"]["timestamp"] == "2026-01-31T12:00:00Z"
    assert "pickle-dangerous-global" in json.dumps(doc)


def test_generate_writes_spdx3_when_asked() -> None:
    doc = aibom.generate(BENIGN, format="spdx3")
    assert "@context" in doc


# --- aibom.verify --------------------------------------------------------------------------


@pytest.fixture()
def signed(console: Path, tmp_path: Path) -> dict:
    model = tmp_path / "model"
    shutil.copytree(BENIGN, model)
    key, pub, sig = tmp_path / "key.pem", tmp_path / "key.pub", tmp_path / "model.sig"
    assert run(console, "keygen", "--private-key", str(key), "--public-key", str(pub)).returncode == 0
    done = run(console, "sign", str(model), "--private-key", str(key), "--signature", str(sig))
    assert done.returncode == 0, done.stderr
    return {"model": model, "public_key": pub, "signature": sig}


def test_verify_accepts_a_signed_model(signed: dict, console: Path) -> None:
    verdict = aibom.verify(
        signed["model"], signatures=signed["signature"], public_keys=signed["public_key"]
    )
    assert verdict["accepted"] is True
    printed = run(
        console,
        "verify",
        str(signed["model"]),
        "--signature",
        str(signed["signature"]),
        "--public-key",
        str(signed["public_key"]),
        "--format",
        "json",
    )
    assert printed.returncode == 0
    assert verdict == json.loads(printed.stdout)


def test_verify_refuses_a_changed_model_as_data(signed: dict) -> None:
    (signed["model"] / "config.json").write_text("{}")
    verdict = aibom.verify(
        signed["model"], signatures=[signed["signature"]], public_keys=[signed["public_key"]]
    )
    assert verdict["accepted"] is False
    assert any(not c["ok"] for c in verdict["checks"])


def test_verify_without_trust_raises_an_aibom_error(signed: dict) -> None:
    with pytest.raises(aibom.AibomError, match="nothing to verify against"):
        aibom.verify(signed["model"], signatures=signed["signature"])


# --- the GIL is released while the native code works ---------------------------------------


def test_other_threads_run_while_a_scan_works(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    # Enough opcodes that one scan takes a noticeable time on one thread (hashing alone is
    # too quick with SHA extensions): 30 back-to-back benign pickle streams, about 80 MB,
    # written a stream at a time.
    with open(model / "data.pkl", "wb") as f:
        for s in range(30):
            rows = [(i, "k%d" % i, float(i)) for i in range(s * 100_000, (s + 1) * 100_000)]
            f.write(pickle.dumps(rows, protocol=4))
    gaps = []
    result = {}

    def work() -> None:
        result["report"] = aibom.scan(model, jobs=1)

    worker = threading.Thread(target=work)
    # Measured from before the thread starts to after it ends: a call holding the GIL would
    # block this thread at start() or in the loop, and one of the gaps would be that long.
    started = last = time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        time.sleep(0.001)
    worker.join()
    ended = time.perf_counter()
    gaps.append(ended - last)
    took = ended - started
    assert result["report"]["summary"]["files"] == 1
    if took < 0.1:
        pytest.skip(f"the scan took {took:.3f} s: too quick to tell")
    # Holding the GIL, the scan would stop this loop for its whole duration.
    assert max(gaps) < took / 2, (max(gaps), took)


def test_the_package_is_typed() -> None:
    package = Path(aibom.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_native.pyi").is_file()
    assert aibom.__version__ != "unknown"
