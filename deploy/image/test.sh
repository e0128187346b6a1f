#!/usr/bin/env bash
# The deploy-gate image, end to end: builds the static binary (deploy/image/build.sh) and the
# image (Containerfile) with podman from Debian's packages, then runs the gate inside it the way
# deploy/model-gate.yaml does (same paths and arguments) on a release signed here with a key
# made for the run: accepted with --rescan, with --stage, and with /etc/aibom laid out as a
# ConfigMap volume; a tampered copy refused (nothing staged); no trusted key, refused to run. The container has no network, a read-only root with
# no /tmp, an unprivileged uid and no capabilities. A binary that is not static cannot start in
# the image (FROM scratch has no ld.so), so every check below fails with it.
#
#   deploy/image/test.sh            (as root, or with podman already working)
set -euo pipefail
cd "$(dirname "$0")/../.."

deploy/image/build.sh
aibom="$PWD/target/image/aibom"

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc >/dev/null
fi
podman --version

image="localhost/aibom:test-$$"
work="$(mktemp -d)"
cleanup() {
  podman rmi --force "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
podman build --quiet --tag "$image" . >/dev/null

# runc rather than crun: crun 1.8 (Debian 12) refuses hosts with controllers in both cgroup v1
# and v2 ("hybrid mode"). Explicit ulimits: on a VM that cannot raise its hard limits, podman's
# defaults (RLIMIT_NOFILE 1048576, RLIMIT_NPROC 32768 for a non-root user) make runc fail.
gate() {
  podman --runtime runc run --rm --network none --read-only --read-only-tmpfs=false \
    --cap-drop all --security-opt no-new-privileges --user 65532:65532 \
    --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "$@"
}
expect() {
  local want="$1" what="$2"
  shift 2
  set +e
  "$@" >"$work/out" 2>&1
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    echo "$what: expected exit $want, got $rc" >&2
    cat "$work/out" >&2
    exit 1
  fi
  echo "ok: $what (exit $rc)"
}

expect 0 "the binary runs in the image" gate "$image" --version

# The release as `aibom sign` ships it, and the trusted key as the ConfigMap provides it.
mkdir -p "$work/good" "$work/etc"
cp -r samples/benign/hf_model "$work/good/model"
"$aibom" keygen --private-key "$work/release.pem" --public-key "$work/etc/release.pub" -q
"$aibom" generate "$work/good/model" -o "$work/good/model.cdx.json" --no-progress -q
"$aibom" sign "$work/good/model" --private-key "$work/release.pem" \
  --signature "$work/good/model.sig" --bom "$work/good/model.cdx.json" -q
cp -r "$work/good" "$work/tampered"
printf ' ' >>"$work/tampered/model/config.json"
mkdir -m 0777 "$work/staged-good" "$work/staged-tampered"
chmod -R a+rX "$work/good" "$work/tampered" "$work/etc"

verify=(verify /release/model --signature=/release/model.sig --bom=/release/model.cdx.json
  --policy=/etc/aibom/aibom.toml)
key=(-v "$work/etc/release.pub:/etc/aibom/release.pub:ro")
expect 0 "signed release accepted (--rescan)" \
  gate -v "$work/good:/release:ro" "${key[@]}" "$image" "${verify[@]}" --rescan
expect 0 "signed release accepted and staged (deploy/model-gate.yaml)" \
  gate -v "$work/good:/release:ro" "${key[@]}" -v "$work/staged-good:/staged" \
  "$image" "${verify[@]}" --stage=/staged/model
diff -r "$work/good/model" "$work/staged-good/model"
echo "ok: the staged copy is the signed model"

# The same, with /etc/aibom laid out as a ConfigMap volume is: each key a link through ..data to
# a timestamped directory (deploy/model-gate.yaml's ConfigMap holds deploy/image/aibom.toml).
cm="$work/configmap"
mkdir -p "$cm/..2026_01_01_00_00_00.000000000"
cp deploy/image/aibom.toml "$work/etc/release.pub" "$cm/..2026_01_01_00_00_00.000000000/"
ln -s ..2026_01_01_00_00_00.000000000 "$cm/..data"
ln -s ..data/aibom.toml "$cm/aibom.toml"
ln -s ..data/release.pub "$cm/release.pub"
chmod -R a+rX "$cm"
expect 0 "signed release accepted with the policy and key from a ConfigMap-style volume" \
  gate -v "$work/good:/release:ro" -v "$cm:/etc/aibom:ro" "$image" "${verify[@]}" --rescan

expect 1 "tampered release refused (--rescan)" \
  gate -v "$work/tampered:/release:ro" "${key[@]}" "$image" "${verify[@]}" --rescan
expect 1 "tampered release refused, nothing staged" \
  gate -v "$work/tampered:/release:ro" "${key[@]}" -v "$work/staged-tampered:/staged" \
  "$image" "${verify[@]}" --stage=/staged/model
if [ -n "$(ls -A "$work/staged-tampered")" ]; then
  echo "a refused release left files in the staging volume:" >&2
  ls -la "$work/staged-tampered" >&2
  exit 1
fi
grep -q 'config.json' "$work/out" || { echo "the refusal does not name config.json" >&2; exit 1; }

expect 2 "no trusted key mounted: the image's policy refuses to run" \
  gate -v "$work/good:/release:ro" "$image" "${verify[@]}"
grep -q 'release.pub' "$work/out" || { echo "the refusal does not name release.pub" >&2; exit 1; }

# What the image holds: the binary and the policy, nothing else (no shell, no libraries).
ctr="$(podman create "$image")"
files="$(podman export "$ctr" | tar -t | sed 's,/$,,' | sort | tr '\n' ' ')"
podman rm "$ctr" >/dev/null
want="etc etc/aibom etc/aibom/aibom.toml usr usr/local usr/local/bin usr/local/bin/aibom "
if [ "$files" != "$want" ]; then
  echo "the image holds other files than the binary and the policy: $files" >&2
  exit 1
fi
echo "ok: the image holds $files($(podman image inspect --format '{{.Size}}' "$image") bytes)"
