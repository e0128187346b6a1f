#!/usr/bin/env python3
"""Checks the `makes-str:` marks of the pickle-global allowlist against the real classes.

Usage: python3 check_instances.py [DIR]      (DIR defaults to this script's directory)

The scanner takes an instance that NEWOBJ makes with no arguments, `cls.__new__(cls)`, of an
allowlisted class to be no `str` (a STACK_GLOBAL handed one as a module or name fails to
load), unless the class's entry is marked `makes-str:` (src/policy/mod.rs,
Policy::instance_never_str). For every allowlist entry that imports in this interpreter and is
a class, this makes `cls.__new__(cls)` and `cls.__new__(cls, "aibom")` and fails when either is
an exact `str` and the entry is not marked, or when a marked entry does neither; and it fails
when any entry that imports is itself a `str` (the scanner takes none to be one). Allowlisted
names are inert to import and to call with arguments taken from a file (that is what the
allowlist says of them); nothing else is imported or called. Entries that do not import here
(another version, a library not installed) are counted and skipped.
"""
import importlib
import os
import re
import sys
import warnings

ENTRY_RE = re.compile(r"^(\S+)(?:\t| {2})[ \t]*(\S.*?)\s*$")
MARK = "makes-str:"


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


def makes_str(cls):
    out = []
    for args in ((), ("aibom",)):
        try:
            r = cls.__new__(cls, *args)
        except Exception:
            continue
        if type(r) is str:
            out.append(f"{cls.__name__}.__new__({cls.__name__}{''.join(', ' + repr(a) for a in args)}) is {r!r}")
    return out


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    warnings.simplefilter("ignore")
    errors, classes, skipped, marked = [], 0, 0, 0
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
            if type(obj) is str:
                errors.append(f"allowlist.txt:{lineno}: {path} is a str ({obj!r}); the scanner takes "
                              "no allowlisted global to be one")
            if not isinstance(obj, type):
                continue
            classes += 1
            found = makes_str(obj)
            if found and not is_marked:
                errors.append(f"allowlist.txt:{lineno}: {path} is not marked {MARK!r} but {'; '.join(found)}")
            if is_marked and not found:
                errors.append(f"allowlist.txt:{lineno}: {path} is marked {MARK!r} but makes no str")
    print(f"check_instances: {classes} allowlisted classes made with and without an argument, "
          f"{marked} marked {MARK!r}, {skipped} entries not importable here")
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
