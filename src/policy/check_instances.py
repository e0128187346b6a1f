#!/usr/bin/env python3
"""Checks the `not-fresh:` marks of the pickle-global allowlist against the real objects.

Usage: python3 check_instances.py [DIR]      (DIR defaults to this script's directory)

The scanner takes what an unmarked allowlist entry makes to be a new object of its own: called
(REDUCE), or `cls.__new__(cls)` for a class (NEWOBJ with no arguments), it is never an exact
`str` nor one of its arguments (so never a module or class that a BUILD on it would change).
Entries whose result may be either are marked `not-fresh:` (src/policy/mod.rs,
Policy::makes_new_objects). For every allowlist entry that imports in this interpreter, this:

  * fails when the entry is itself a `str` (the scanner takes no allowlisted global to be one);
  * for a class, makes `cls.__new__(cls)`, `cls.__new__(cls, "aibom")`, `cls.__new__(cls, S)`
    and `cls(S)`, S a fresh object, and for any callable calls it with S in the last place of
    a few argument lists the marked helpers take (`(S,)`, `(numpy.object_, S)`,
    `(numpy.dtype("O"), S)`, `(numpy.object_, numpy.object_, S)`, `(numpy.object_, (S,), {})`);
    it fails when an unmarked entry gives an exact `str` from a class or S itself back. A
    marked entry that does neither here is listed, not failed: a mark may stand for another
    version (NumPy 2 refuses what `numpy.core.multiarray.scalar` hands back under NumPy 1).

Allowlisted names are inert to import and to call with arguments taken from a file (that is
what the allowlist says of them); nothing else is imported or called. Entries that do not
import here (another version, a library not installed) are counted and skipped.
"""
import importlib
import os
import re
import signal
import sys
import warnings

ENTRY_RE = re.compile(r"^(\S+)(?:\t| {2})[ \t]*(\S.*?)\s*$")
MARK = "not-fresh:"


def resolve(path):
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for a in parts[i:]:
                obj = getattr(obj, a)
        except AttributeError:
            return None
        return obj
    return None


def attempt(f, *args):
    """f(*args), or a marker when it raises (or takes over 2 s)."""
    signal.alarm(2)
    try:
        return f(*args)
    except BaseException:
        return attempt
    finally:
        signal.alarm(0)


def not_fresh(obj):
    """What shows that `obj` may give a str or its argument back, as text; empty if nothing."""
    out = []
    sentinel = object()
    try:
        import numpy
        extra = [(numpy.object_, sentinel), (numpy.dtype("O"), sentinel),
                 (numpy.object_, numpy.object_, sentinel), (numpy.object_, (sentinel,), {})]
    except ImportError:
        extra = []
    if isinstance(obj, type):
        for args in ((), ("aibom",)):
            r = attempt(obj.__new__, obj, *args)
            if type(r) is str:
                out.append(f"__new__ with {args!r} is the str {r!r}")
        if attempt(obj.__new__, obj, sentinel) is sentinel:
            out.append("__new__ returns its argument")
    if callable(obj):
        for args in [(sentinel,)] + extra:
            if attempt(obj, *args) is sentinel:
                out.append(f"a call with {len(args)} argument(s) returns what it was given")
    return out


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    errors, checked, skipped, marked = [], 0, 0, 0
    with open(os.path.join(here, "allowlist.txt"), encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            if raw.startswith("#") or not raw.strip():
                continue
            m = ENTRY_RE.match(raw.rstrip("\n"))
            if not m:
                continue
            path, reason = m.group(1), m.group(2)
            is_marked = reason.startswith(MARK)
            marked += is_marked
            obj = resolve(path)
            if obj is None:
                skipped += 1
                continue
            checked += 1
            if type(obj) is str:
                errors.append(f"allowlist.txt:{lineno}: {path} is a str ({obj!r}); the scanner "
                              "takes no allowlisted global to be one")
            found = not_fresh(obj)
            if found and not is_marked:
                errors.append(f"allowlist.txt:{lineno}: {path} is not marked {MARK!r} but "
                              + "; ".join(found))
            if is_marked and not found:
                print(f"  note: allowlist.txt:{lineno}: {path} is marked {MARK!r} and gives neither "
                      "a str nor its argument back with this version")
    print(f"check_instances: {checked} allowlist entries imported and checked, {marked} marked "
          f"{MARK!r}, {skipped} not importable here")
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
