#!/usr/bin/env python3
"""Validates the Kubernetes manifests in deploy/ with kubernetes-validate, which checks each
resource against the OpenAPI-derived JSON schemas of a Kubernetes version that it bundles (no
cluster, no network), in strict mode (unknown fields are errors).

    python3 -m venv /tmp/k8s && /tmp/k8s/bin/pip install 'kubernetes-validate==1.37.0'
    /tmp/k8s/bin/python tests/k8s/validate.py deploy/*.yaml

Then a self-test, so that a pass means something: each mutation of deploy/model-gate.yaml
below (a misspelt field, a wrong type, a missing required field) must be refused. Last, the
policy in the manifest's ConfigMap must be deploy/image/aibom.toml, the one the image carries.
Exit 0 when all hold, 1 otherwise.
"""

import copy
import os
import subprocess
import sys
import tempfile

import yaml

VERSIONS = ["1.33.0", "1.37.0"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GATE = os.path.join(ROOT, "deploy", "model-gate.yaml")
POLICY = os.path.join(ROOT, "deploy", "image", "aibom.toml")
VALIDATOR = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")


def validate(paths, version):
    """Exit status and output of kubernetes-validate --strict on paths."""
    r = subprocess.run(
        [VALIDATOR, "--strict", "--no-warn", "-k", version, *paths],
        capture_output=True,
        text=True,
    )
    return r.returncode, (r.stdout + r.stderr).strip()


def kind(docs, k):
    return next(d for d in docs if d["kind"] == k)


def init(docs):
    return kind(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"][0]


def volumes(docs):
    return kind(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]


def spec(docs):
    return kind(docs, "Deployment")["spec"]


# (what, mutation, a phrase the refusal must contain: refused for that fault, not another)
MUTATIONS = [
    (
        "a misspelt field (readonly)",
        lambda d: init(d)["volumeMounts"][0].update(readonly=True),
        "'readonly' was unexpected",
    ),
    (
        "a field of the wrong type (replicas: one)",
        lambda d: spec(d).update(replicas="one"),
        "spec.replicas: 'one' is not of type",
    ),
    (
        "a missing required field (the selector)",
        lambda d: spec(d).pop("selector"),
        "'selector' is a required property",
    ),
    (
        "a list where a map is expected (configMap)",
        lambda d: volumes(d)[1].update(configMap=["aibom-policy"]),
        "configMap: ['aibom-policy'] is not of type",
    ),
    ("a container without its name", lambda d: init(d).pop("name"), "'name' is a required property"),
]


def self_test(version):
    with open(GATE, encoding="utf-8") as f:
        base = list(yaml.safe_load_all(f))
    accepted = 0
    for name, mutate, reason in MUTATIONS:
        docs = copy.deepcopy(base)
        mutate(docs)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as t:
            yaml.safe_dump_all(docs, t)
        try:
            rc, out = validate([t.name], version)
        finally:
            os.unlink(t.name)
        if rc == 0 or reason not in out:
            accepted += 1
            print(f"self-test: {name} was not refused for it (exit {rc}):\n{out}")
    refused = len(MUTATIONS) - accepted
    print(f"self-test (Kubernetes {version}): {refused} of {len(MUTATIONS)} mutations refused for their fault")
    return accepted == 0


def policy_matches():
    with open(GATE, encoding="utf-8") as f:
        cm = kind(list(yaml.safe_load_all(f)), "ConfigMap")
    with open(POLICY, encoding="utf-8") as f:
        policy = f.read()
    if cm["data"].get("aibom.toml") != policy:
        print("deploy/model-gate.yaml: the ConfigMap's aibom.toml is not deploy/image/aibom.toml")
        return False
    print("deploy/model-gate.yaml: the ConfigMap's aibom.toml is deploy/image/aibom.toml")
    return True


def main(paths):
    if not paths:
        print("usage: validate.py MANIFEST.yaml...", file=sys.stderr)
        return 2
    ok = True
    for version in VERSIONS:
        rc, out = validate(paths, version)
        print(out)
        ok &= rc == 0
    ok &= self_test(VERSIONS[0])
    ok &= policy_matches()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
