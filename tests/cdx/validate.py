#!/usr/bin/env python3
"""Validate CycloneDX JSON documents with cyclonedx-python-lib, the CycloneDX project's own validator.

An independent check of aibom's output: the Rust validator (src/bom/validate/) embeds the same
schema files, but a second implementation (python-jsonschema instead of the jsonschema crate)
catches mistakes in either. Needs `cyclonedx-python-lib[json-validation]`, e.g.

    python3 -m venv .venv && .venv/bin/pip install 'cyclonedx-python-lib[json-validation]'
    .venv/bin/python tests/cdx/validate.py bom.json [more.json ...]

Each document is validated against the schema of its own `specVersion`, with every error
reported (`all_errors=True`) at its JSON pointer. Prints one line per valid file.

Exit status: 0 all valid; 1 at least one document invalid (schema errors, not JSON, or no
supported `specVersion`); 2 a file could not be read or no file was given.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from validate_files import run  # noqa: E402  (tests/validate_files.py: the loop over files)

from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator

# Messages from python-jsonschema quote the whole offending value; a oneOf failure on a component
# would print all of it.
MAX_MESSAGE = 300


def pointer(parts):
    """RFC 6901 JSON pointer for a jsonschema error path; "/" for the whole document (as aibom's
    `Problem` prints it)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"


def shorten(message):
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def problems(text):
    """Returns (schema version or None, list of "path: message" strings)."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        return None, [f"/: not JSON: {e}"]
    version = doc.get("specVersion") if isinstance(doc, dict) else None
    try:
        schema_version = SchemaVersion.from_version(version)
    except (ValueError, TypeError, AttributeError):
        return None, [f"/specVersion: {version!r} is not a CycloneDX version python-lib supports"]
    validator = make_schemabased_validator(OutputFormat.JSON, schema_version)
    errors = validator.validate_str(text, all_errors=True) or []
    found = [f"{pointer(e.data.absolute_path)}: {shorten(e.data.message)}" for e in errors]
    return schema_version, found


def check(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    schema_version, found = problems(text)
    if found:
        return found, None
    return [], f"valid CycloneDX {schema_version.to_version()}"


def main(paths):
    return run(paths, check, f"{sys.argv[0]} BOM.json [BOM.json ...]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
