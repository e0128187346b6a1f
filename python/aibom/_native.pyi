"""The compiled extension (src/python.rs). Use the functions of ``aibom`` instead: they take
keyword arguments with defaults, return dicts and raise ``aibom.UnreadableFilesError``."""

from os import PathLike
from typing import Optional, Sequence, Tuple, Union

_Path = Union[str, PathLike[str]]

def main(argv: Sequence[str]) -> int: ...
def scan(
    paths: Sequence[_Path],
    fail_on: Optional[str],
    strict: bool,
    allow_globals: Sequence[str],
    skip: Sequence[str],
    include_git: bool,
    config: Optional[_Path],
    jobs: Optional[int],
    shard: Optional[str],
) -> Tuple[str, int]: ...
def generate(
    path: _Path,
    format: str,
    timestamp: Optional[str],
    output: Optional[_Path],
    fail_on: Optional[str],
    strict: bool,
    allow_globals: Sequence[str],
    skip: Sequence[str],
    include_git: bool,
    config: Optional[_Path],
    jobs: Optional[int],
) -> Tuple[str, int]: ...
def verify(
    path: _Path,
    signatures: Sequence[_Path],
    public_keys: Sequence[_Path],
    certificate_chains: Sequence[_Path],
    trust_root: Optional[_Path],
    identity: Optional[str],
    issuer: Optional[str],
    bom: Optional[_Path],
    policy: Optional[_Path],
    rescan: bool,
    ignore_paths: Sequence[str],
    allow_symlinks: bool,
    release_root: Optional[_Path],
    previous: Optional[_Path],
    stage: Optional[_Path],
    ledger: Optional[_Path],
) -> Tuple[str, int]: ...
