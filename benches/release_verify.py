#!/usr/bin/env python3
"""Release verification against hashing: `aibom verify` of a release whose datasets total
--gib GiB, side by side with `openssl dgst -sha256` of the same files on all cores.

The release is samples/release/ copied to WORKDIR with one more dataset directory of random
files (generated at run time, never in the repository). It is generated, signed by one party
and verified: verify re-hashes the model directory and every release artifact file. openssl
hashes exactly those files, `xargs -P <cores>` wide. Both read from the page cache (one
untimed warm-up run each); the figure is the median of --runs. Goal: verify within 1.25x.

Usage: python3 benches/release_verify.py [WORKDIR] [--aibom BIN] [--gib 2] [--runs 3]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20


def run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))}: exit {r.returncode}\n{r.stderr}")
    return r.stdout


def timed(cmd, runs, shell=False):
    subprocess.run(cmd, shell=shell, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, shell=shell, capture_output=True)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"{cmd}: exit {r.returncode}\n{r.stderr.decode(errors='replace')}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", nargs="?", default="/tmp/aibom-release-bench")
    ap.add_argument("--aibom", default=str(REPO / "target/release/aibom"))
    ap.add_argument("--gib", type=float, default=2)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    rel = work / "rel"
    shutil.copytree(REPO / "samples/release", rel)
    bulk = rel / "data/bulk"
    bulk.mkdir(parents=True)
    per_file = int(a.gib * (1 << 30)) // a.files
    for i in range(a.files):
        with open(bulk / f"shard-{i:05}.bin", "wb") as f:
            left = per_file
            while left:
                n = min(CHUNK, left)
                f.write(os.urandom(n))
                left -= n
    with open(rel / "aibom.toml", "a") as f:
        f.write('\n[[release.dataset]]\nname = "bulk"\npath = "data/bulk"\n')
    bom = work / "model.cdx.json"
    run([a.aibom, "generate", "model", "--config", "aibom.toml", "--no-progress", "-o", str(bom)], cwd=rel)
    run([a.aibom, "keygen", "--private-key", str(work / "k.pem"), "--public-key", str(work / "k.pub")])
    sig = work / "k.sig"
    run([a.aibom, "sign", str(rel / "model"), "--private-key", str(work / "k.pem"),
         "--signature", str(sig), "--bom", str(bom)])
    policy = work / "policy.toml"
    policy.write_text('[verify]\n[[verify.signer]]\nrole = "ml-lead"\npublic-key = "k.pub"\n'
                      '[verify.tier.high]\nroles = ["ml-lead"]\n')
    verify = [a.aibom, "verify", str(rel / "model"), "--bom", str(bom), "--policy", str(policy),
              "--signature", str(sig)]
    files = sorted(str(p) for p in rel.rglob("*") if p.is_file() and p.name != "aibom.toml")
    listing = work / "files.txt"
    listing.write_text("\n".join(files) + "\n")
    cores = os.cpu_count() or 1
    total = sum(os.path.getsize(p) for p in files)
    t_verify = timed(verify, a.runs)
    t_openssl = timed(f"xargs -P {cores} -n 1 openssl dgst -sha256 < {listing} > /dev/null",
                      a.runs, shell=True)
    print(f"release of {len(files)} files, {total / 1e9:.2f} GB ({cores} cores): "
          f"aibom verify {t_verify:.3f} s, openssl dgst -sha256 {t_openssl:.3f} s, "
          f"ratio {t_verify / t_openssl:.2f} (goal <= 1.25)")


if __name__ == "__main__":
    main()
