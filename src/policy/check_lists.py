#!/usr/bin/env python3
"""Consistency check for aibom's pickle-global policy lists (stdlib only).

Usage: python3 check_lists.py [DIR]      (DIR defaults to this script's directory)

Parses denylist.txt and allowlist.txt with the same rules as the scanner:

  * UTF-8 text, one entry per line; blank lines and lines starting with `#` are ignored;
  * entry = `<qualified-name><TAB or 2+ spaces><reason>`;
  * qualified-name = dotted Python identifiers; in the denylist `module` alone or
    `module.*` means the whole module and its submodules; anything else is an exact
    global, which (denylist only) also covers attribute paths below it; `*.attr` (denylist
    only) is an attribute of that name on any object.

Checks (any failure makes the exit status 1):

  1. the header carries `# policy-version: X` and both files agree on X;
  2. every non-comment line parses and has a non-empty reason;
  3. allowlist entries are exact `module.name` paths (no wildcard, no bare module);
  4. no duplicate names in a file (`m` and `m.*` count as the same entry);
  5. entries appear only after a `# section:` comment and are sorted (plain code-point
     order) inside each section;
  6. no denylist entry is redundant (already covered by another denylist entry);
  7. no allowlist entry is covered by a denylist entry (same name, inside a wildcard
     module, an attribute path below a denied exact name, or an attribute denied on any
     object).

Prints per-file and per-section counts, plus informational notes.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_RE = re.compile(rf"^{IDENT}(?:\.{IDENT})*(?:\.\*)?$")
# `*.attr` (denylist only): an attribute of that name on any object.
ATTR_RE = re.compile(rf"^\*\.({IDENT})$")
ENTRY_RE = re.compile(r"^(\S+)(?:\t| {2})[ \t]*(\S.*?)\s*$")
VERSION_RE = re.compile(r"^#\s*policy-version:\s*(\S+)\s*$")
SECTION_RE = re.compile(r"^#\s*section:\s*(\S.*?)\s*$")


class Entry:
    __slots__ = ("name", "key", "wildcard", "reason", "section", "lineno")

    def __init__(self, name, reason, section, lineno, wildcard_allowed):
        self.name = name
        self.reason = reason
        self.section = section
        self.lineno = lineno
        if name.endswith(".*"):
            self.key, self.wildcard = name[:-2], True
        elif "." not in name and wildcard_allowed:
            self.key, self.wildcard = name, True
        else:
            self.key, self.wildcard = name, False


def parse(path, is_deny, errors):
    """Return (version, entries, sections) where sections is an ordered list of titles."""
    label = os.path.basename(path)
    version = None
    entries = []
    sections = []
    section = None
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        errors.append(f"{label}: cannot read: {e}")
        return None, [], []
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = VERSION_RE.match(line)
            if m:
                if version is not None:
                    errors.append(f"{label}:{lineno}: second policy-version line")
                version = m.group(1)
            m = SECTION_RE.match(line)
            if m:
                section = m.group(1)
                if section in sections:
                    errors.append(f"{label}:{lineno}: section {section!r} appears twice")
                sections.append(section)
            continue
        m = ENTRY_RE.match(raw.rstrip("\r"))
        if not m:
            errors.append(f"{label}:{lineno}: cannot parse (need name, TAB or 2+ spaces, reason): {raw!r}")
            continue
        name, reason = m.group(1), m.group(2)
        if is_deny and ATTR_RE.match(name):
            entries.append(Entry(name, reason, section, lineno, wildcard_allowed=False))
            continue
        if not NAME_RE.match(name):
            errors.append(f"{label}:{lineno}: invalid qualified name {name!r}")
            continue
        if section is None:
            errors.append(f"{label}:{lineno}: entry {name!r} before any '# section:' comment")
        e = Entry(name, reason, section, lineno, wildcard_allowed=is_deny)
        if not is_deny and (name.endswith(".*") or "." not in name):
            errors.append(f"{label}:{lineno}: allowlist entries must be exact module.name paths, got {name!r}")
            continue
        entries.append(e)
    if version is None:
        errors.append(f"{label}: missing '# policy-version:' header line")
    return version, entries, sections


def check_dupes_and_order(label, entries, errors):
    seen = {}
    for e in entries:
        k = (e.key, e.wildcard)
        if k in seen:
            errors.append(f"{label}:{e.lineno}: duplicate of line {seen[k]}: {e.name}")
        else:
            seen[k] = e.lineno
    by_section = {}
    for e in entries:
        by_section.setdefault(e.section, []).append(e)
    for sect, items in by_section.items():
        for a, b in zip(items, items[1:]):
            if b.name < a.name:
                errors.append(f"{label}:{b.lineno}: not sorted in section {sect!r}: {b.name!r} after {a.name!r}")
    return by_section


def covers(d, name):
    """True if denylist entry d covers the dotted name (exact, wildcard module, or attribute below)."""
    return name == d.key or name.startswith(d.key + ".")


def main(argv):
    here = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    deny_path = os.path.join(here, "denylist.txt")
    allow_path = os.path.join(here, "allowlist.txt")
    errors, notes = [], []

    dv, deny, deny_sections = parse(deny_path, True, errors)
    av, allow, allow_sections = parse(allow_path, False, errors)
    if dv and av and dv != av:
        errors.append(f"policy-version mismatch: denylist {dv} vs allowlist {av}")

    deny_by_sec = check_dupes_and_order("denylist.txt", deny, errors)
    allow_by_sec = check_dupes_and_order("allowlist.txt", allow, errors)

    # Index denylist keys for prefix lookups: every dotted prefix of a name is a candidate.
    deny_index = {}
    for d in deny:
        deny_index.setdefault(d.key, []).append(d)

    def deny_hits(name, skip=None):
        parts = name.split(".")
        hits = []
        for i in range(1, len(parts) + 1):
            for d in deny_index.get(".".join(parts[:i]), ()):
                if d is not skip and covers(d, name):
                    hits.append(d)
        return hits

    # 6. redundant denylist entries
    for d in deny:
        for other in deny_hits(d.key, skip=d):
            if other.key == d.key and other.wildcard == d.wildcard:
                continue  # already reported as duplicate
            if other.key == d.key and d.wildcard and not other.wildcard:
                continue  # `m.*` alongside exact `m` is odd but reported via the exact one
            errors.append(f"denylist.txt:{d.lineno}: {d.name} is redundant, already covered by "
                          f"line {other.lineno} ({other.name})")

    # 7. allowlist entries covered by the denylist (or holding an attribute denied on any object)
    deny_attrs = {d.key[2:]: d for d in deny if d.key.startswith("*.")}
    for a in allow:
        for part in a.key.split(".")[1:]:
            if part in deny_attrs:
                d = deny_attrs[part]
                errors.append(f"allowlist.txt:{a.lineno}: {a.name} is covered by denylist line {d.lineno} ({d.name})")
        for d in deny_hits(a.key):
            errors.append(f"allowlist.txt:{a.lineno}: {a.name} is covered by denylist line {d.lineno} ({d.name})")

    # Informational: allowed names with denied attribute paths below them.
    deny_names = sorted(d.key for d in deny if not d.wildcard)
    for a in allow:
        below = [n for n in deny_names if n.startswith(a.key + ".")]
        if below:
            notes.append(f"{a.name}: allowed exactly; {len(below)} denied attribute path(s) below it "
                         f"(e.g. {below[0]})")

    # Counts
    print(f"policy-version: denylist {dv}, allowlist {av}")
    n_wild = sum(1 for d in deny if d.wildcard)
    print(f"denylist.txt : {len(deny)} entries ({n_wild} module wildcards, {len(deny) - n_wild} exact) "
          f"in {len(deny_sections)} sections")
    for s in deny_sections:
        print(f"    {len(deny_by_sec.get(s, [])):4d}  {s}")
    print(f"allowlist.txt: {len(allow)} entries (all exact) in {len(allow_sections)} sections")
    for s in allow_sections:
        print(f"    {len(allow_by_sec.get(s, [])):4d}  {s}")
    if notes:
        print(f"notes ({len(notes)}): allowlisted names that have denied attribute paths below them")
        for n in notes:
            print(f"    {n}")
    if errors:
        print(f"FAILED: {len(errors)} error(s)")
        for e in errors:
            print(f"    {e}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
