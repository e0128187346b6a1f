#!/usr/bin/env bash
# The deploy-gate image, end to end: builds the static binary (deploy/image/build.sh) and the
# image (Containerfile) with podman from Debian's packages, then runs the gate inside it the way
# deploy/model-gate.yaml does (same paths and arguments) on a release signed here with a key
# made for the run: accepted with --rescan, with --stage, and with /etc/aibom laid out as a
# ConfigMap volume; a tampered copy refused (nothing staged); no trusted key, refused to run. The container has no network, a read-only root with
# no /tmp, an unprivileged uid and no capabilities. Then the fleet scan Jobs, their argument
# lists and mounts read from deploy/fleet-scan-job.yaml and deploy/fleet-merge-job.yaml
# (python3-yaml): every shard of the Indexed Job, then the merge of the shards' directory, must
# give one unsharded scan's JSON and SARIF. A binary that is not static cannot start in the
# image (FROM scratch has no ld.so), so every check below fails with it.
#
#   deploy/image/test.sh            (as root, or with podman already working)
set -euo pipefail
cd "$(dirname "$0")/../.."

deploy/image/build.sh
aibom="$PWD/target/image/aibom"

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 ||
  ! python3 -c 'import yaml' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc python3-yaml >/dev/null
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

# The fleet scan Jobs (deploy/fleet-scan-job.yaml, then deploy/fleet-merge-job.yaml) as the
# kubelet would run them in this image: each container's args and volume mounts are read from
# the manifests themselves, JOB_COMPLETION_INDEX is set for each index of the Indexed Job and
# $(VAR) in args expanded as the kubelet does; each volume is a host directory (a subPath, a
# directory in it). The shards' merge must be byte for byte one unsharded scan of /models, in
# JSON and SARIF, with its exit status.
mkdir -p "$work/models"
cp -a samples/benign/. "$work/models/"
cp -a samples/malicious/hf_dir_with_payload "$work/models/payload"
chmod -R a+rX "$work/models"
mkdir -m 0777 "$work/reports-volume" "$work/reports-volume/shards"
# container MANIFEST NAME IMAGE [volume:VOLUME=HOSTDIR | VAR=VALUE]...: prints, NUL-separated,
# the podman options, IMAGE and arguments that run container NAME of the Job's pod; with NAME
# "completions", the Job's completion count.
container() {
  python3 - "$@" <<'PY'
import re, sys, yaml

manifest, name, image, *pairs = sys.argv[1:]
with open(manifest) as f:
    (job,) = [d for d in yaml.safe_load_all(f) if d]
if name == "completions":
    sys.stdout.write(str(job["spec"]["completions"]))
    sys.exit()
pod = job["spec"]["template"]["spec"]
(c,) = [c for c in pod["containers"] if c["name"] == name]
assert "command" not in c, f"{name}: runs a command, not the image's entrypoint"
given = dict(p.split("=", 1) for p in pairs)
hosts = {k: v for k, v in given.items() if k.startswith("volume:")}
env = {k: v for k, v in given.items() if not k.startswith("volume:")}
env.update({e["name"]: e["value"] for e in c.get("env", []) if "value" in e})
claims = {v["name"]: v for v in pod["volumes"]}
out = []
for k, v in env.items():
    out += ["-e", f"{k}={v}"]
for m in c["volumeMounts"]:
    assert m["name"] in claims, m
    host = hosts["volume:" + m["name"]]
    if m.get("subPath"):
        host += "/" + m["subPath"]
    out += ["-v", f"{host}:{m['mountPath']}" + (":ro" if m.get("readOnly") else "")]

def expand(arg):
    # The kubelet's expansion: $(VAR) of a variable the container has becomes its value,
    # $$ is a literal $, and anything else is left as written.
    return re.sub(
        r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
        arg,
    )

out += [image] + [expand(str(a)) for a in c["args"]]
sys.stdout.write("\0".join(out) + "\0")
PY
}
run_container() {
  local manifest="$1" name="$2"
  shift 2
  container "$manifest" "$name" "$image" "volume:models=$work/models" \
    "volume:reports=$work/reports-volume" "$@" >"$work/argv"
  local argv
  mapfile -d '' argv <"$work/argv"
  gate "${argv[@]}"
}
scan_job=deploy/fleet-scan-job.yaml
merge_job=deploy/fleet-merge-job.yaml
n="$(container "$scan_job" completions -)"
for ((k = 0; k < n; k++)); do
  expect 0 "fleet scan: shard $k of $n (findings do not fail a shard)" \
    run_container "$scan_job" scan "JOB_COMPLETION_INDEX=$k"
done
shards="$(ls "$work/reports-volume/shards")"
want="$(for ((k = 0; k < n; k++)); do echo "shard-$k.json"; done)"
if [ "$shards" != "$want" ]; then
  echo "the fleet scan wrote $shards, not $want" >&2
  exit 1
fi
set +e
gate -v "$work/models:/models:ro" "$image" scan --quiet --format=json /models >"$work/one.json"
one=$?
gate -v "$work/models:/models:ro" "$image" scan --quiet --format=sarif /models >"$work/one.sarif"
set -e
[ "$one" -eq 1 ] || { echo "one scan of the fleet: expected exit 1 (findings), got $one" >&2; exit 1; }
expect "$one" "fleet merge: the shards directory to fleet.json" \
  run_container "$merge_job" merge-json
expect "$one" "fleet merge: the shards directory to fleet.sarif" \
  run_container "$merge_job" merge-sarif
cmp "$work/one.json" "$work/reports-volume/fleet.json"
cmp "$work/one.sarif" "$work/reports-volume/fleet.sarif"
echo "ok: the merged fleet reports are one scan's, byte for byte ($n shards)"

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
