#!/usr/bin/env bash
# aibom benchmarks. Usage: benches/bench.sh [WORKDIR]          (default /tmp/aibom-bench)
#
#  b. a generated ~3 GiB model release: aibom scan vs openssl dgst on all cores vs sha256sum
#  c. big_opcodes.pkl (1M small tuples, benign): aibom time and peak RSS
#  d. peers (picklescan, modelscan, modelaudit) vs aibom on samples/ and on big_opcodes.pkl
# Writes WORKDIR/results.json and prints a summary on stdout (progress goes to stderr).
# Safe to re-run: generated data is kept and reused while its size matches.
#
# Environment: AIBOM_BENCH_GIB (dataset size, default 3), AIBOM_BENCH_RUNS (default 3),
#   AIBOM (binary to test; default: cargo build --release, then a copy in WORKDIR so a
#   concurrent rebuild cannot swap it mid-run), PEERS_VENV (default /tmp/aibom-peers),
#   AIBOM_BENCH_WAIT (seconds, default 900: total time to wait for other load to go away),
#   AIBOM_BENCH_PEERS=0 to leave the peers out.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(realpath -m "${1:-/tmp/aibom-bench}")
GIB=${AIBOM_BENCH_GIB:-3}
RUNS=${AIBOM_BENCH_RUNS:-3}
VENV=${PEERS_VENV:-/tmp/aibom-peers}
WAIT=${AIBOM_BENCH_WAIT:-900}
PEERS=${AIBOM_BENCH_PEERS:-1}
DATA=$WORK/model-${GIB}GiB
RAW=$WORK/raw
# Keep modelaudit offline (it sends telemetry unless told not to).
export PROMPTFOO_DISABLE_TELEMETRY=1 NO_ANALYTICS=1 HF_HUB_OFFLINE=1

case "$WORK/" in "$REPO"/*) echo "work dir must be outside the repository" >&2; exit 2 ;; esac
log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$RAW" && rm -f "$RAW"/*

# --- tools ----------------------------------------------------------------------------------
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y "$2"; } >/dev/null 2>&1; }
need hyperfine hyperfine || log "no hyperfine: timing with a plain loop"
need /usr/bin/time time
if [ -z "${AIBOM:-}" ]; then
    # Others may be mid-edit: retry the build a few times before giving up.
    for try in 1 2 3 4 5; do
        (cd "$REPO" && cargo build --release --quiet) && break
        [ "$try" = 5 ] && { echo "cargo build failed" >&2; exit 2; }
        log "build failed, retrying in 60 s"; sleep 60
    done
    cp "$REPO/target/release/aibom" "$WORK/aibom"
    AIBOM=$WORK/aibom
fi
if [ "$PEERS" != 0 ]; then
    # Pinned: the versions benches/corpus/README.md reports. fickling is for benches/corpus/run.py.
    [ -x "$VENV/bin/python" ] || { log "creating peer venv $VENV"; python3 -m venv "$VENV"; }
    for peer in picklescan==1.0.5 fickling==0.1.12 modelaudit==0.2.54; do   # a peer that fails to install is skipped
        [ -x "$VENV/bin/${peer%%=*}" ] || "$VENV/bin/pip" install -q "$peer" >&2 || log "could not install $peer: skipped"
    done
    # modelscan 0.8.8 reads .npy headers with numpy.lib.format._check_version and
    # _read_array_header, which numpy >= 2.3 no longer exports (every .npy would be an error):
    # it gets its own venv with numpy 2.2 (and h5py for .h5; not tensorflow, so .pb files are
    # skipped), linked into $VENV/bin, where the scripts look for it.
    if [ ! -x "$VENV/bin/modelscan" ]; then
        { [ -x "$VENV-modelscan/bin/python" ] || python3 -m venv "$VENV-modelscan"; } &&
        "$VENV-modelscan/bin/pip" install -q 'modelscan[h5py]==0.8.8' 'numpy==2.2.6' >&2 &&
        ln -sf "$VENV-modelscan/bin/modelscan" "$VENV/bin/modelscan" || log "could not install modelscan: skipped"
    fi
fi

# --- data -----------------------------------------------------------------------------------
if [ "$(cat "$WORK/.model-${GIB}GiB.done" 2>/dev/null)" != "$GIB" ]; then
    log "generating $DATA (~$GIB GiB)"
    rm -rf "$DATA" && mkdir -p "$DATA"
    python3 - "$DATA" "$GIB" <<'EOF'
# A model release: safetensors shards + index, a PyTorch zip checkpoint, small json files.
import collections, io, json, pickle, struct, sys, types, zipfile
out, total = sys.argv[1], int(float(sys.argv[2]) * 2**30)
BLOCK = bytes(range(256)) * 4096                 # 1 MiB of deterministic filler
COLS = 4096                                      # every tensor is F32 [rows, 4096]

def fill(f, n):
    while n:
        k = min(n, len(BLOCK)); f.write(BLOCK[:k]); n -= k

def split(nbytes, per=64 << 20):
    """(count, rows) of F32 [rows, COLS] tensors of about `per` bytes filling nbytes."""
    count = max(1, round(nbytes / per))
    return count, max(1, nbytes // count // (4 * COLS))

# 7/8 of the bytes in 4 safetensors shards; the header's data_offsets cover the data exactly.
shards, weight_map, layer, total_size = 4, {}, 0, 0
for s in range(1, shards + 1):
    name = f"model-{s:05d}-of-{shards:05d}.safetensors"
    count, rows = split(total * 7 // 8 // shards)
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for _ in range(count):
        key = f"model.layers.{layer}.mlp.weight"; layer += 1
        size = rows * COLS * 4
        header[key] = {"dtype": "F32", "shape": [rows, COLS], "data_offsets": [off, off + size]}
        weight_map[key] = name; off += size
    total_size += off
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(f"{out}/{name}", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h); fill(f, off)
with open(f"{out}/model.safetensors.index.json", "w") as f:
    json.dump({"metadata": {"total_size": total_size}, "weight_map": weight_map}, f, indent=2)

# 1/8 in a torch.save-style zip (STORED): archive/data.pkl is a protocol-2 pickle of an
# OrderedDict of torch._utils._rebuild_tensor_v2(storage...) with BINPERSID storages, as torch
# writes it. Stand-in torch modules let the stdlib pickler emit the real global names.
torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
class FloatStorage: pass
def _rebuild_tensor_v2(*args): pass
FloatStorage.__module__, _rebuild_tensor_v2.__module__ = "torch", "torch._utils"
torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
sys.modules.update({"torch": torch, "torch._utils": utils})

class Storage:
    def __init__(self, key, numel): self.key, self.numel = key, numel
class Tensor:
    def __init__(self, key, rows): self.key, self.rows = key, rows
    def __reduce__(self):
        return (_rebuild_tensor_v2, (Storage(self.key, self.rows * COLS), 0, (self.rows, COLS),
                                     (COLS, 1), False, collections.OrderedDict()))
class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
        return None

count, rows = split(total // 8)
state = collections.OrderedDict((f"lm_head.{i}.weight", Tensor(str(i), rows)) for i in range(count))
buf = io.BytesIO(); TorchPickler(buf, protocol=2).dump(state)
with zipfile.ZipFile(f"{out}/pytorch_model.bin", "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", buf.getvalue())
    z.writestr("archive/byteorder", "little")
    for i in range(count):
        with z.open(f"archive/data/{i}", "w", force_zip64=True) as m:
            fill(m, rows * COLS * 4)
    z.writestr("archive/version", "3\n")

small = {
    "config.json": {"architectures": ["LlamaForCausalLM"], "hidden_size": COLS, "num_hidden_layers": layer,
                    "torch_dtype": "float32", "model_type": "llama"},
    "generation_config.json": {"bos_token_id": 1, "eos_token_id": 2, "max_length": 4096},
    "tokenizer_config.json": {"model_max_length": 4096, "tokenizer_class": "LlamaTokenizer"},
    "special_tokens_map.json": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
}
for name, obj in small.items():
    with open(f"{out}/{name}", "w") as f:
        json.dump(obj, f, indent=2)
EOF
    sync
    echo "$GIB" > "$WORK/.model-${GIB}GiB.done"
fi
if [ ! -s "$WORK/big_opcodes.pkl" ]; then
    # Import the samples generator's writer rather than run it: its main() rewrites samples/.
    python3 -c 'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])
import generate; generate.write_big_opcodes(Path(sys.argv[2]))' "$REPO/samples" "$WORK/big_opcodes.pkl"
fi

# --- measuring ------------------------------------------------------------------------------
# "cold" drops this machine's page cache; in a VM the host may still cache the disk image.
echo 'sync; echo 3 > /proc/sys/vm/drop_caches' > "$WORK/drop-caches.sh"
DROP="bash $WORK/drop-caches.sh"
if $DROP 2>/dev/null; then CACHE=cold; else CACHE=warm-only; log "cannot drop the page cache: warm-cache figures only"; fi

# CPU jiffies of the whole machine since boot: "busy total" (all cores).
cpu_jiffies() {
    local -a s; read -ra s < /proc/stat
    echo "$((s[1] + s[2] + s[3] + s[6] + s[7] + s[8])) $((s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7] + s[8]))"
}
# others_pct BEFORE AFTER OUR_CPU_SECONDS: percent of the machine used by processes other than
# ours between two cpu_jiffies samples (other people's builds on this machine skew timings).
others_pct() {
    local b0 t0 b1 t1 ours p
    read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
    ours=$(awk -v s="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", s * hz }')
    p=$(( (b1 - b0 - ours) * 100 / (t1 - t0 + 1) )); echo $(( p < 0 ? 0 : p ))
}

# bench NAME PREPARE CMD: RUNS runs of CMD (saved as raw/NAME.sh, run by bash), PREPARE (a
# plain command line, may be empty) before each. /usr/bin/time appends "seconds maxrss_kb exit
# user sys" per run to raw/NAME.times; with hyperfine, raw/NAME.hyperfine.json has its
# statistics (they include time's ~1 ms). It first waits for a quiet machine, and measures
# again (3 tries at most) when other processes took more than 10% of the CPU meanwhile, both
# within the AIBOM_BENCH_WAIT budget; raw/NAME.others keeps that percentage.
bench() {
    local name=$1 prep=$2 cmd=$3 try before others
    local timed="/usr/bin/time -a -f '%e %M %x %U %S' -o $RAW/$name.times bash $RAW/$name.sh"
    for try in 1 2 3; do
        while :; do
            before=$(cpu_jiffies); sleep 1
            others=$(others_pct "$before" "$(cpu_jiffies)" 0)
            [ "$others" -gt 10 ] && [ "$WAIT" -gt 0 ] || break
            log "machine ${others}% busy, waiting"; sleep 9; WAIT=$((WAIT - 10))
        done
        rm -f "$RAW/$name".*
        echo "$cmd" > "$RAW/$name.sh"
        log "$name"
        before=$(cpu_jiffies)
        if command -v hyperfine >/dev/null; then
            # Cold runs drop the cache before each run; warm ones get an untimed warm-up run.
            # -N: no shell (and no shell calibration runs competing for the CPU).
            local mode=(--warmup 1); [ -z "$prep" ] || mode=(--prepare "$prep")
            hyperfine -N --style basic --runs "$RUNS" -i -n "$name" "${mode[@]}" \
                --export-json "$RAW/$name.hyperfine.json" "$timed" >&2
        else
            for _ in $(seq "$RUNS"); do
                $prep
                bash -c "$timed" || true
            done
        fi
        others=$(others_pct "$before" "$(cpu_jiffies)" \
            "$(awk '$1 ~ /^[0-9]/ { s += $4 + $5 } END { print s + 0 }' "$RAW/$name.times")")
        echo "$others" > "$RAW/$name.others"
        [ "$others" -gt 10 ] && [ "$WAIT" -gt 0 ] || break
        log "other processes took ${others}% of the CPU during $name: measuring again"
        WAIT=$((WAIT - 30))
    done
}
cd "$WORK"   # modelscan reads ./modelscan-settings.toml; keep the peers away from the repo

# b. whole-release hashing: cold cache (if it can be dropped), then warm.
SCAN="$AIBOM scan $DATA --format json --no-progress"
OPENSSL="find $DATA -type f -print0 | xargs -0 -P$(nproc) -n1 openssl dgst -sha256 >/dev/null"
SHA256SUM="find $DATA -type f -print0 | xargs -0 sha256sum >/dev/null"
$SCAN -o "$RAW/dataset-report.json" && echo 0 > "$RAW/dataset-exit" || echo $? > "$RAW/dataset-exit"
find "$DATA" -type f -print0 | xargs -0 sha256sum > "$RAW/dataset.sha256"
for mode in cold warm; do
    if [ $mode = cold ]; then [ $CACHE = cold ] || continue; prep=$DROP; else prep=; fi
    bench "release-$mode-aibom" "$prep" "$SCAN -o /dev/null"
    bench "release-$mode-openssl" "$prep" "$OPENSSL"
    bench "release-$mode-sha256sum" "$prep" "$SHA256SUM"
done

# c + d. big_opcodes.pkl and samples/: aibom and each installed peer (warm cache).
for target in big_opcodes samples; do
    path=$WORK/big_opcodes.pkl; [ $target = samples ] && path=$REPO/samples
    bench "$target-aibom" "" "$AIBOM scan $path --format json --no-progress -o /dev/null"
    declare -A peer=(
        [picklescan]="$VENV/bin/picklescan -p $path >/dev/null 2>&1"
        [modelscan]="$VENV/bin/modelscan -p $path -r json -o $RAW/$target-modelscan-report.json >/dev/null 2>&1"
        [modelaudit]="$VENV/bin/modelaudit scan -f json --no-cache $path >$RAW/$target-modelaudit-report.json 2>/dev/null")
    for name in picklescan modelscan modelaudit; do
        if [ "$PEERS" != 0 ] && [ -x "$VENV/bin/$name" ]; then bench "$target-$name" "" "${peer[$name]}"; fi
    done
done

# --- summary --------------------------------------------------------------------------------
python3 - "$WORK" "$DATA" "$CACHE" "$RUNS" "$(git -C "$REPO" describe --always --dirty 2>/dev/null)" <<'EOF'
import json, statistics, sys
from pathlib import Path
work, data, cache, runs, rev = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
raw = work / "raw"

def stats(name):
    """Mean/min/max seconds (hyperfine's if present), peak RSS and exit codes of raw/NAME.*"""
    f = raw / f"{name}.times"   # GNU time also writes "Command exited with non-zero status N"
    lines = [l.split() for l in f.read_text().splitlines() if l[:1].isdigit()] if f.exists() else []
    if not lines:
        return None
    secs = [float(l[0]) for l in lines]
    r = {"mean_s": statistics.mean(secs), "min_s": min(secs), "max_s": max(secs), "runs": len(secs)}
    if (raw / f"{name}.hyperfine.json").exists():
        h = json.loads((raw / f"{name}.hyperfine.json").read_text())["results"][0]
        r.update(mean_s=h["mean"], min_s=h["min"], max_s=h["max"], stddev_s=h.get("stddev"), runs=len(h["times"]))
    r = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
    r["peak_rss_mib"] = round(max(int(l[1]) for l in lines) / 1024, 1)
    r["exit_codes"] = sorted({int(l[2]) for l in lines if len(l) > 2})
    r["others_cpu_pct"] = int((raw / f"{name}.others").read_text())
    return r

files = [p for p in data.rglob("*") if p.is_file()]
nbytes = sum(p.stat().st_size for p in files)
report = json.loads((raw / "dataset-report.json").read_text())
ours = {f["path"]: f["sha256"] for t in report["targets"] for f in t["files"]}
theirs = {str(Path(l[66:]).relative_to(data)): l[:64] for l in (raw / "dataset.sha256").read_text().splitlines()}
res = {"aibom_rev": rev, "runs": int(runs), "page_cache": cache,
       "release": {"path": str(data), "files": len(files), "bytes": nbytes,
                   "aibom_exit": int((raw / "dataset-exit").read_text()), "aibom_summary": report["summary"],
                   "sha256_match_sha256sum": ours == theirs}}
for mode in ("cold", "warm"):
    tools = {t: stats(f"release-{mode}-{t}") for t in ("aibom", "openssl", "sha256sum")}
    if all(tools.values()):
        for t in tools.values():
            t["gib_per_s"] = round(nbytes / 2**30 / t["mean_s"], 2)
        tools["ratio_aibom_over_openssl_all_cores"] = round(tools["aibom"]["mean_s"] / tools["openssl"]["mean_s"], 3)
        tools["ratio_aibom_over_sha256sum"] = round(tools["aibom"]["mean_s"] / tools["sha256sum"]["mean_s"], 3)
        res["release"][mode] = tools
for target in ("big_opcodes", "samples"):
    tools = {t: s for t in ("aibom", "picklescan", "modelscan", "modelaudit") if (s := stats(f"{target}-{t}"))}
    for t, s in tools.items():
        s["ratio_over_aibom"] = round(s["mean_s"] / tools["aibom"]["mean_s"], 1)
    res[target] = tools
(work / "results.json").write_text(json.dumps(res, indent=2))

rel = res["release"]
print(f"aibom {rev}; {runs} runs each; page cache: {cache}" + (" (guest cache dropped before each cold run)" if cache == "cold" else ""))
print(f"\nRelease {data}: {rel['files']} files, {nbytes / 2**30:.2f} GiB; aibom exit {rel['aibom_exit']}, "
      f"verdict {rel['aibom_summary'].get('verdict')}; aibom SHA-256 == sha256sum: {rel['sha256_match_sha256sum']}")
for mode in ("cold", "warm"):
    if mode in rel:
        m = rel[mode]
        print(f"  {mode:<5} " + "   ".join(f"{t} {m[t]['mean_s']:.2f}s ({m[t]['gib_per_s']} GiB/s, {m[t]['peak_rss_mib']} MiB)"
                                       for t in ("aibom", "openssl", "sha256sum")))
        print(f"        aibom/openssl(all cores) = {m['ratio_aibom_over_openssl_all_cores']}   "
              f"aibom/sha256sum(1 core) = {m['ratio_aibom_over_sha256sum']}")
for target in ("big_opcodes", "samples"):
    print(f"\n{target}: " + ("big_opcodes.pkl (benign, 1M tuples)" if target == "big_opcodes" else "samples/ directory"))
    for t, s in res[target].items():
        print(f"  {t:<11} {s['mean_s']:8.3f}s  x{s['ratio_over_aibom']:<6} peak RSS {s['peak_rss_mib']:7.1f} MiB  exit {s['exit_codes']}")
busy = sorted(f"{b.stem} ({b.read_text().strip()}%)" for b in raw.glob("*.others") if int(b.read_text()) > 10)
if busy:
    print("\nWARNING: other processes used the CPU during " + ", ".join(busy) + ": those timings are skewed")
print(f"\nresults: {work / 'results.json'}")
EOF
