"""aibom: inspect ML model releases for code that runs on load, without loading them.

The functions run the same Rust code as the ``aibom`` command, in this process, with the GIL
released while they work. Nothing they inspect is imported, unpickled or loaded. Each returns
what the command prints with ``--format json`` (``generate``: the AIBOM), as a dict; keyword
arguments are the command's flags in snake_case (a repeatable flag takes a list and has a
plural name: ``--allow-global`` is ``allow_globals``). What makes the command exit 2 raises an
:class:`AibomError`; findings and refused releases (exit 1) are data, not exceptions.

>>> import aibom
>>> report = aibom.scan("samples/malicious/hf_dir_with_payload")
>>> report["summary"]["verdict"]
'unsafe'
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from ._errors import AibomError, InputError, UnreadableFilesError, UsageError

try:
    from importlib.metadata import version as _version

    __version__ = _version("aibom")
except Exception:  # pragma: no cover - only when run from a source tree without metadata
    __version__ = "unknown"

__all__ = [
    "AibomError",
    "InputError",
    "UnreadableFilesError",
    "UsageError",
    "generate",
    "scan",
    "verify",
]

StrPath = Union[str, "os.PathLike[str]"]

_EXIT_ERROR = 2


def _paths(value: Union[StrPath, Iterable[StrPath]], name: str) -> List[StrPath]:
    """One path or several, as a list (a single ``str`` is one path, not its characters)."""
    if isinstance(value, (str, os.PathLike)):
        return [value]
    if isinstance(value, bytes):
        raise UsageError(f"{name}: give paths as str or os.PathLike, not bytes")
    return list(value)


def _strings(value: Union[str, Iterable[str]], name: str) -> List[str]:
    """One string or several, as a list."""
    if isinstance(value, str):
        return [value]
    values = list(value)
    for v in values:
        if not isinstance(v, str):
            raise UsageError(f"{name}: expected str, got {type(v).__name__}")
    return values


def _result(outcome: Tuple[str, int]) -> Dict[str, Any]:
    """The JSON the command printed, or UnreadableFilesError when it exited 2 with it."""
    text, code = outcome
    result: Dict[str, Any] = json.loads(text)
    if code == _EXIT_ERROR:
        raise UnreadableFilesError(
            "some files could not be read: the result is incomplete", result
        )
    return result


def scan(
    path: Union[StrPath, Sequence[StrPath]],
    *,
    fail_on: Optional[str] = None,
    strict: bool = False,
    allow_globals: Union[str, Sequence[str]] = (),
    skip: Union[str, Sequence[str]] = (),
    include_git: bool = False,
    config: Optional[StrPath] = None,
    jobs: Optional[int] = None,
    shard: Optional[str] = None,
) -> Dict[str, Any]:
    """Scans model directories or files, as ``aibom scan --format json PATH...``.

    Args:
        path: a directory or file, or a list of them.
        fail_on: ``--fail-on``: the severity (``info``, ``low``, ``medium``, ``high``,
            ``critical``) from which findings fail the scan [default: ``aibom.toml``'s, else
            ``high``].
        strict: ``--strict``: globals that are not on the allowlist fail the scan.
        allow_globals: ``--allow-global``: pickle globals (``module.name``) to treat as safe.
        skip: ``--skip``: globs of relative paths to leave out.
        include_git: ``--include-git``: also scan the ``.git`` directory.
        config: ``--config``: the configuration file [default: ``./aibom.toml`` if present].
        jobs: ``--jobs``: worker threads [default: one per core].
        shard: ``--shard``: ``"K/N"``, scan only shard K of N.

    Returns:
        The JSON report (``schemas/scan-report.schema.json``): ``targets`` with every file,
        its verdict and findings, and a ``summary`` whose ``verdict`` is the worst one.
        Findings at or above ``fail_on`` (the command's exit 1) are in the report.

    Raises:
        UsageError: an option value the command line refuses.
        InputError: a path is missing or cannot be read.
        UnreadableFilesError: some files could not be read (``.result`` holds the report).
        AibomError: any other reason the command exits 2 (an invalid ``aibom.toml``, ...).
    """
    return _result(
        _native.scan(
            _paths(path, "path"),
            fail_on,
            strict,
            _strings(allow_globals, "allow_globals"),
            _strings(skip, "skip"),
            include_git,
            config,
            jobs,
            shard,
        )
    )


def generate(
    path: StrPath,
    *,
    format: str = "cyclonedx",
    timestamp: Optional[str] = None,
    output: Optional[StrPath] = None,
    fail_on: Optional[str] = None,
    strict: bool = False,
    allow_globals: Union[str, Sequence[str]] = (),
    skip: Union[str, Sequence[str]] = (),
    include_git: bool = False,
    config: Optional[StrPath] = None,
    jobs: Optional[int] = None,
) -> Dict[str, Any]:
    """Writes the AIBOM of a model directory, as ``aibom generate PATH``.

    Args:
        path: the model directory.
        format: ``--format``: ``cyclonedx`` (CycloneDX 1.6 JSON) or ``spdx3`` (SPDX 3.0.1
            JSON-LD).
        timestamp: ``--timestamp``: an RFC 3339 UTC time to record [default:
            ``SOURCE_DATE_EPOCH`` if set, otherwise none, so the output is reproducible].
        output: ``--output``: also write the document's exact bytes to this file (atomically);
            sign that file, not a re-serialisation of the returned dict.
        fail_on, strict, allow_globals, skip, include_git, config, jobs: as for :func:`scan`.

    Returns:
        The AIBOM. Findings at or above ``fail_on`` (the command's exit 1) are recorded in it.

    Raises:
        UsageError, InputError, UnreadableFilesError, AibomError: as for :func:`scan`
        (``InputError`` also when ``path`` is not a directory).
    """
    return _result(
        _native.generate(
            path,
            format,
            timestamp,
            output,
            fail_on,
            strict,
            _strings(allow_globals, "allow_globals"),
            _strings(skip, "skip"),
            include_git,
            config,
            jobs,
        )
    )


def verify(
    path: StrPath,
    *,
    signatures: Union[StrPath, Sequence[StrPath]],
    public_keys: Union[StrPath, Sequence[StrPath]] = (),
    certificate_chains: Union[StrPath, Sequence[StrPath]] = (),
    trust_root: Optional[StrPath] = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    bom: Optional[StrPath] = None,
    policy: Optional[StrPath] = None,
    rescan: bool = False,
    ignore_paths: Union[str, Sequence[str]] = (),
    allow_symlinks: bool = False,
    release_root: Optional[StrPath] = None,
    previous: Optional[StrPath] = None,
    stage: Optional[StrPath] = None,
    ledger: Optional[StrPath] = None,
) -> Dict[str, Any]:
    """Verifies a model directory against its signatures, as ``aibom verify --format json``.

    Args:
        path: the model directory as it is about to be deployed.
        signatures: ``--signature``: the model signature(s), at least one.
        public_keys: ``--public-key``: trusted public keys (PEM).
        certificate_chains: ``--certificate-chain``: trusted CA certificates (PEM).
        trust_root: ``--trust-root``: a Sigstore ``trusted_root.json`` (never fetched).
        identity: ``--identity``: the keyless signer identity to accept (with ``issuer``).
        issuer: ``--issuer``: its OIDC issuer (with ``identity``).
        bom: ``--bom``: the AIBOM that must be signed for this model and match it.
        policy: ``--policy``: the release policy (never read implicitly).
        rescan: ``--rescan``: inspect every signed file again while hashing it.
        ignore_paths: ``--ignore-path``: relative paths to leave out.
        allow_symlinks: ``--allow-symlinks``: accept links to files inside ``path``.
        release_root: ``--release-root``: the release root when the AIBOM records a release.
        previous: ``--previous``: the AIBOM of the last approved release.
        stage: ``--stage``: copy the verified files to this new directory (moved into place
            only when every check holds).
        ledger: ``--ledger``: append the decision to this approval ledger.

    Returns:
        The verdict: ``accepted`` (the command's exit 0, else 1), every ``checks`` entry with
        expected and actual values, the ``roles`` and the ``model_digest``.

    Raises:
        UsageError, InputError, AibomError: as for :func:`scan` (no trust given, an
        unreadable policy or AIBOM, a damaged ledger, ...).
    """
    return _result(
        _native.verify(
            path,
            _paths(signatures, "signatures"),
            _paths(public_keys, "public_keys"),
            _paths(certificate_chains, "certificate_chains"),
            trust_root,
            identity,
            issuer,
            bom,
            policy,
            rescan,
            _strings(ignore_paths, "ignore_paths"),
            allow_symlinks,
            release_root,
            previous,
            stage,
            ledger,
        )
    )
