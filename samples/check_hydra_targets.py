#!/usr/bin/env python3
"""Checks aibom's `_target_` reader against OmegaConf, the parser Hydra itself uses.

    python3 -m venv /tmp/hydra-venv && /tmp/hydra-venv/bin/pip install hydra-core==1.3.2
    cargo build && /tmp/hydra-venv/bin/python samples/check_hydra_targets.py [path/to/aibom]

For each YAML config (the Hydra samples, and tricky forms written to a temporary directory:
quotes, escapes, flow style, tags, anchors, values on the next line, block scalars, keys in
comments and strings), OmegaConf loads the file and every `_target_` value in the tree is
collected, unresolved: exactly the strings `hydra.utils.instantiate` hands to `_locate`. aibom
scans the same file and its `hydra.targets` facts must list the same set. Nothing from a
config is ever instantiated, located or imported: the script only parses YAML.

Then the keys beside `_target_` that aibom does not let lower its judgment are checked against
Hydra's own instantiate, on `builtins.dict`/`builtins.list` targets only: Hydra knows exactly
`_target_`, `_convert_`, `_recursive_`, `_args_` and `_partial_` (a `_call_: false` is one more
keyword argument, and the target is still called); `_partial_: true` still locates (imports)
the target and returns a partial that calls it later; `_recursive_: false` leaves nested
configs to the outer callable, which may instantiate them; nested targets in `_args_` are
instantiated.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hydra._internal.instantiate._instantiate2 import _Keys
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parent.parent
AIBOM = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/debug/aibom"

# Hydra's own name for the key aibom reads.
assert _Keys.TARGET == "_target_", _Keys.TARGET

TRICKY = {
    "quoted.yaml": "a:\n  _target_: \"os.system\"\nb:\n  _target_: 'subprocess.Popen'\n",
    "escapes.yaml": "a:\n  _target_: \"\\x6fs.sys\\u0074em\"\n",
    "escaped_key.yaml": "a:\n  \"\\x5ftarget_\": builtins.eval\n",
    "flow.yaml": "cbs: [{_target_: a.B}, {_target_: c.D, x: 1}]\nm: {_target_: e.F}\n",
    "tag_anchor.yaml": "a:\n  _target_: !!str os.system\nb:\n  _target_: &t pkg.Mod\n",
    "next_line.yaml": "a:\n  _target_:\n    os.system\nb:\n  _target_: >-\n    pkg.Thing\n",
    "comments.yaml": "# _target_: os.system\na:\n  _target_: pkg.A  # _target_: os.system\n  doc: 'see _target_: os.system'\n",
    "interpolation.yaml": "cls: pkg.Z\na:\n  _target_: ${cls}\n",
    "json.yaml": "{\"m\": {\"_target_\": \"torch.nn.Linear\", \"in_features\": 4}}\n",
    "bom.yaml": "\ufeff_target_: os.system\n",
    "spaced.yaml": "a:\n  _target_ :   os.system   \r\nb: {\n  _target_: pkg.Multi,\n  x: 1\n}\n",
    "explicit_key.yaml": "a:\n  ? _target_\n  : os.system\n",
    "special_keys.yaml": "a:\n  _target_: os.system\n  _partial_: true\n  _call_: false\n  _convert_: all\n"
                         "b:\n  _target_: pkg.Outer\n  _recursive_: false\n  inner:\n    _target_: builtins.eval\n"
                         "c:\n  _target_: pkg.Args\n  _args_:\n    - _target_: subprocess.Popen\n",
}


def omegaconf_targets(path: Path) -> set[str]:
    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    out: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == _Keys.TARGET and isinstance(v, str):
                    out.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(cfg)
    return out


def aibom_targets(path: Path) -> set[str]:
    run = subprocess.run([str(AIBOM), "scan", "--format", "json", str(path)],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    facts = report["targets"][0]["files"][0].get("facts", {})
    return {t["target"] for t in facts.get("hydra", {}).get("targets", [])}


def semantics() -> int:
    """Hydra's special keys, checked with harmless builtins."""
    import functools

    from hydra.utils import instantiate

    checks = [
        ({k.value for k in _Keys} == {"_target_", "_convert_", "_recursive_", "_args_", "_partial_"},
         "Hydra's special keys are _target_, _convert_, _recursive_, _args_, _partial_ (no _call_)"),
        (instantiate({"_target_": "builtins.dict", "_call_": False}) == {"_call_": False},
         "_call_: false is passed to the target, which is called"),
    ]
    partial = instantiate({"_target_": "builtins.dict", "_partial_": True, "a": 1})
    checks.append((isinstance(partial, functools.partial) and partial() == {"a": 1},
                   "_partial_: true returns a partial that calls the target later"))
    outer = instantiate({"_target_": "builtins.dict", "_recursive_": False,
                         "inner": {"_target_": "builtins.list"}})
    checks.append((instantiate(outer["inner"]) == [],
                   "_recursive_: false hands the nested config on, still instantiable"))
    checks.append((instantiate({"_target_": "builtins.list", "_args_": [[{"_target_": "builtins.dict", "x": 2}]]})
                   == [{"x": 2}], "nested targets in _args_ are instantiated"))
    failures = 0
    for ok, what in checks:
        failures += not ok
        print(f"{'ok' if ok else 'FAILED':8} {what}")
    return failures


def main() -> int:
    files = sorted((ROOT / "samples").glob("*/hydra_*/*.yaml"))
    failures = semantics()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in TRICKY.items():
            p = Path(tmp) / name
            p.write_text(text)
            files.append(p)
        for p in files:
            want, got = omegaconf_targets(p), aibom_targets(p)
            status = "ok" if want == got else "DIFFERS"
            failures += want != got
            print(f"{status:8} {p.name}: omegaconf {sorted(want)} aibom {sorted(got)}")
    print(f"{len(files)} configs, {failures} differing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
