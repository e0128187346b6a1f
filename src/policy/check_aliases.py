#!/usr/bin/env python3
"""Finds the names under which modules expose a denied object, and checks the scanner denies them.

Usage: python3 check_aliases.py AIBOM [--print]

A pickle names what it imports by module and attribute path, and a module's attributes include
what it imported: `argparse._os` is the module `os`, `joblib._memmapping_reducer.loads` is
`pickle.loads`, `enum.bltns` is `builtins`. The denylist is a list of names, so each such alias
must be denied too. This imports every module of the standard library and of the installed
numpy, scipy, scikit-learn, pandas and joblib (their submodules and test suites included;
CPython's own `test` package is denied whole), looks at every
attribute of each, and asks the scanner (AIBOM: the release binary) how it classifies both the
alias and the object's own name, by scanning pickles that import them (nothing is loaded):

  * an object (function, class) whose own name (`__module__.__qualname__`) is denied and whose
    alias is not: the alias belongs in the denylist's generated section (`--print` prints the
    entries);
  * a module reached under another name whose own name has denied names (or other names of
    denied objects) below it: the scanner must read the alias as that module
    (`src/policy/aliases.txt`, modules section), which is checked by asking it about
    `<alias>.<denied name>`.

Exits 1 listing what is missing. Importing runs module code: only the libraries named above
(pinned in CI), and no module that starts programs, opens windows or prints on import.
"""
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import types
import warnings

# Modules that start a browser, a GUI, print, or are test suites of the interpreter itself.
SKIP = {
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "__main__",
    "__mp_main__", "pydoc_data", "ensurepip", "venv", "lib2to3",
}
PACKAGES = ["numpy", "scipy", "sklearn", "pandas", "joblib"]
# Other packages installed beside them are walked too (their dependencies: narwhals re-exports
# operator.attrgetter and importlib.import_module), but not the installer's own.
NOT_WALKED = {"pip", "setuptools", "_distutils_hack", "pkg_resources", "wheel"}


def installed_packages():
    import importlib.metadata as md
    names = set()
    for dist in md.distributions():
        top = dist.read_text("top_level.txt")
        if top:
            names.update(t.strip() for t in top.split() if t.strip())
        else:
            for f in dist.files or []:
                parts = f.parts
                if len(parts) > 1 and parts[1] == "__init__.py":
                    names.add(parts[0])
    return sorted(n for n in names if n.isidentifier() and n not in NOT_WALKED
                  and n not in PACKAGES and n not in SKIP)
BATCH = 2000


def import_everything():
    warnings.simplefilter("ignore")
    names = sorted(n for n in sys.stdlib_module_names if n not in SKIP)
    walked = PACKAGES + installed_packages()
    for n in names + walked:
        try:
            importlib.import_module(n)
        except BaseException:
            pass
    for p in walked:
        mod = sys.modules.get(p)
        if mod is None or not hasattr(mod, "__path__"):
            continue
        for info in pkgutil.walk_packages(mod.__path__, p + ".", onerror=lambda _: None):
            # Test suites of the libraries are installed with them and importable: walked too.
            if any(part in SKIP - {"test"} for part in info.name.split(".")):
                continue
            try:
                importlib.import_module(info.name)
            except BaseException:
                pass


def own_name(v):
    m, q = getattr(v, "__module__", None), getattr(v, "__qualname__", None)
    if isinstance(m, str) and isinstance(q, str) and "<" not in q:
        return (m, q)
    return None


def denied_objects(denied_names):
    """{id(object): (module, name)} of each exact denylist entry that resolves here to a class
    or function whose own name is not that entry (`types.FunctionType` is `builtins.function`):
    its other names are found by identity."""
    out = {}
    for entry in denied_names:
        if entry.startswith("*.") or entry.endswith(".*"):
            continue
        parts = entry.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = sys.modules.get(".".join(parts[:i]))
            if mod is None:
                continue
            v = mod
            try:
                for a in parts[i:]:
                    v = getattr(v, a)
            except Exception:
                break
            if callable(v) and not isinstance(v, types.ModuleType):
                own = own_name(v)
                key = (".".join(parts[:i]), ".".join(parts[i:]))
                if own != key:
                    out.setdefault(id(v), key)
            break
    return out


def aliases(by_identity):
    """((module, attribute), kind, target) for every module attribute that is another name:
    kind "module" with the module's name, or "object" with its own (module, qualname), or the
    denylist entry it is (by identity)."""
    out = set()
    for mname, mod in sorted(sys.modules.items()):
        if not isinstance(mod, types.ModuleType) or mname.split(".")[0] in SKIP:
            continue
        try:
            attrs = sorted(vars(mod).items())
        except Exception:
            continue
        for a, v in attrs:
            if not isinstance(a, str) or not a.isidentifier() or (a.startswith("__") and a.endswith("__")):
                continue
            if isinstance(v, types.ModuleType):
                if v.__name__ != f"{mname}.{a}":
                    out.add(((mname, a), "module", v.__name__))
            elif callable(v):
                try:
                    target = own_name(v)
                except Exception:
                    target = None
                if target and target != (mname, a):
                    out.add(((mname, a), "object", target))
                entry = by_identity.get(id(v))
                if entry and entry != (mname, a):
                    out.add(((mname, a), "object", entry))
    return sorted(out)


def pickle_of(pairs):
    """STACK_GLOBAL of each (module, name), as a pickler writes it (a dotted name is attribute
    traversal), each popped."""
    b = bytearray(b"\x80\x04")
    for pair in pairs:
        for s in pair:
            e = s.encode()
            b += b"\x8d" + len(e).to_bytes(8, "little") + e
        b += b"\x930"
    return bytes(b + b"N.")


def classify(aibom, pairs):
    """{(module, name): class} as the scanner's facts give it."""
    result = {}
    pairs = sorted(set(pairs))
    with tempfile.TemporaryDirectory() as d:
        for i in range(0, len(pairs), BATCH):
            chunk = pairs[i:i + BATCH]
            f = os.path.join(d, "names.pkl")
            with open(f, "wb") as fh:
                fh.write(pickle_of(chunk))
            run = subprocess.run([aibom, "scan", f, "--format", "json"], capture_output=True)
            if not run.stdout:
                sys.exit(f"check_aliases: {aibom} failed: {run.stderr.decode(errors='replace')[:500]}")
            report = json.loads(run.stdout)
            for t in report["targets"]:
                for file in t["files"]:
                    for g in file.get("facts", {}).get("globals", []):
                        if not g.get("member"):
                            result[(g["module"], g["name"])] = g["class"]
    return result


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    aibom = sys.argv[1]
    printing = "--print" in sys.argv[2:]
    import_everything()
    denied_names = [ln.split()[0] for ln in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "denylist.txt"))
                    if ln.strip() and not ln.startswith("#")]
    found = aliases(denied_objects(denied_names))
    # Objects: the alias and the object's own name.
    objects = [(p, t) for p, k, t in found if k == "object"]
    modules = [(p, t) for p, k, t in found if k == "module"]
    # Modules: the alias followed by a denied name below its module, or another name of a
    # denied object below it (a made-up name below a module denied whole).
    here = os.path.dirname(os.path.abspath(__file__))
    listed = [ln.split()[0] for ln in open(os.path.join(here, "aliases.txt"))
              if ln.strip() and not ln.startswith("#") and "." in ln.split()[0]]
    probes = {}
    for (m, a), t in modules:
        below = sorted(n for n in denied_names + listed if n.startswith(t + ".") and not n.endswith(".*"))
        if any(n in (t, t + ".*") for n in denied_names):
            probes[((m, a), t)] = (m, f"{a}.system_probe")
        elif below:
            probes[((m, a), t)] = (m, a + below[0][len(t):])
    classes = classify(aibom, [p for p, _ in objects] + [t for _, t in objects] + list(probes.values()))
    # A higher-order helper is judged by what it is given: a denied name for it is the policy's
    # choice (`_functools.partial` stays denied, `functools.partial` is a helper).
    missing_objects = sorted((p, t) for p, t in objects
                             if classes.get(t) == "denied" and classes.get(p) in ("unknown", "allowed", "dunder"))
    missing_modules = sorted((p, t, probe) for (p, t), probe in probes.items()
                             if classes.get(probe) not in (None, "denied"))
    if printing:
        names = sorted({(a, t) for (_, a), t, _ in missing_modules})
        if names:
            print("# section: modules")
            for n, t in names:
                print(f"{n:<22}  {t}")
        if missing_objects:
            print("# section: objects")
            for (m, a), (tm, tq) in missing_objects:
                print(f"{m + '.' + a:<70}  {tm}.{tq}")
    print(f"check_aliases: {len(found)} aliases ({len(objects)} objects, {len(modules)} modules), "
          f"{len(missing_objects)} denied objects and {len(missing_modules)} modules with denied names "
          f"reachable under a name the scanner does not deny", file=sys.stderr)
    if (missing_objects or missing_modules) and not printing:
        for (m, a), (tm, tq) in missing_objects[:50]:
            print(f"  {m}.{a} is {tm}.{tq}", file=sys.stderr)
        for (m, a), t, probe in missing_modules[:50]:
            print(f"  {m}.{a} is the module {t}: {'.'.join(probe)} is not denied", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
