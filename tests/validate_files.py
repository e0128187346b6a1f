"""The loop tests/cdx/validate.py and tests/spdx/validate.py share: check each file, print one
line per valid file and every problem of an invalid one. Standard library only, so each
validator keeps its own venv (cyclonedx-python-lib, spdx-python-model)."""

import sys

MAX_PROBLEM = 400


def run(paths, check, usage):
    """check(path) returns (problems, what a valid file is). Exit status: 0 all valid; 1 at
    least one invalid; 2 no file given, or a file could not be read."""
    if not paths:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    invalid = 0
    for path in paths:
        try:
            problems, valid = check(path)
        except (OSError, UnicodeDecodeError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        if problems:
            invalid += 1
            print(f"{path}: invalid, {len(problems)} error(s)")
            for p in problems:
                print(f"  {p[:MAX_PROBLEM]}")
        else:
            print(f"{path}: {valid}")
    return 1 if invalid else 0
