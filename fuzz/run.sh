#!/usr/bin/env bash
# Runs one fuzz target on one core: new inputs go to fuzz/work/<target>/, the committed seeds in
# fuzz/corpus/<target>/ are read only, crashes land in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh TARGET [libFuzzer flags...]      e.g. fuzz/run.sh zip -runs=1000000
#
# Defaults: no time limit unless given, 1 s per input, 2 GiB RSS (and per allocation).
#
# AIBOM_FUZZ_SANITIZER=none builds without AddressSanitizer (about five times the executions
# per second; aibom forbids unsafe code, so ASan watches only the C libraries linked in, which
# `pickle` never reaches), in target/none so the ASan build is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$1"
shift
case "$target" in
    onnx | savedmodel) dict=proto ;;
    keras) dict=hdf5 ;;
    bundle | statement) dict=oms ;;
    *) dict="$target" ;;
esac
dict="$here/dicts/$dict.dict"
dict_flag=()
[[ -f "$dict" ]] && dict_flag=("-dict=$dict")
mkdir -p "$here/work/$target" "$here/corpus/$target"
cd "$here"
build=()
sanitizer="${AIBOM_FUZZ_SANITIZER:-address}"
if [[ "$sanitizer" != address ]]; then
    build=(-s "$sanitizer" --target-dir "target/$sanitizer")
fi
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "${build[@]}" "$target" "work/$target" "corpus/$target" -- \
    -timeout=1 -rss_limit_mb=2048 -print_final_stats=1 "${dict_flag[@]}" "$@"
