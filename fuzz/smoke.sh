#!/usr/bin/env bash
# CI smoke run of the fuzz targets: one build for all of them (ASan + coverage instrumentation,
# release optimisations with debug assertions and overflow checks), then each target over its
# committed seeds and a few seconds of mutation. Fails on any crash, timeout (> 1 s per input)
# or out-of-memory (> 2 GiB). Needs cargo-fuzz (`cargo install cargo-fuzz`); no nightly
# toolchain (RUSTC_BOOTSTRAP=1 unlocks -Zsanitizer on stable).
#
#   fuzz/smoke.sh [SECONDS_PER_TARGET]     default 5
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-5}"
cd "$here"
export RUSTC_BOOTSTRAP=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}"
cargo fuzz build
targets=$(cargo fuzz list)
bin="$here/target/x86_64-unknown-linux-gnu/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for t in $targets; do
    mkdir -p "$work/$t"
    # A fresh directory for new inputs: the committed seeds are only read.
    if "$bin/$t" "$work/$t" "corpus/$t" -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$t-" >"$work/$t.log" 2>&1; then
        echo "fuzz $t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/$t.log" || echo ok)"
    else
        echo "fuzz $t: FAILED"
        tail -n 40 "$work/$t.log"
        failed+=("$t")
    fi
done
if ((${#failed[@]})); then
    echo "fuzz targets failing: ${failed[*]}" >&2
    exit 1
fi
