#!/usr/bin/env python3
"""Validates SPDX 3.0.1 JSON-LD documents written by `aibom generate --format spdx3` with an
independent implementation: spdx-python-model, the Python bindings generated (shacl2code) from
the SPDX 3.0.1 model itself.

    python3 -m venv /tmp/spdx && /tmp/spdx/bin/pip install 'spdx-python-model==0.0.6'
    /tmp/spdx/bin/python tests/spdx/validate.py out/*.spdx.json
    /tmp/spdx/bin/python tests/spdx/validate.py --self-test out/one.spdx.json

Per document: every object deserialises into its 3.0.1 class (unknown classes and properties,
wrong value types, bad enumeration values and malformed date-times are errors); every
reference resolves to an element of the document (`link()` reports no missing ids); and
serialising the set back checks each class's required properties and cardinalities. Then the
AIBOM's own expectations: one SpdxDocument whose root is an ai_AIPackage with primary purpose
`model`, and every software_File carrying a SHA-256. Exit 0 when all pass, 1 otherwise (2: no
file given, or one cannot be read).
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from validate_files import run  # noqa: E402  (tests/validate_files.py: the loop over files)

from spdx_python_model import v3_0_1 as spdx


def check(path):
    problems = []
    with open(path, "rb") as f:
        data = json.load(f)
    if data.get("@context") != "https://spdx.org/rdf/3.0.1/spdx-context.jsonld":
        problems.append(f"@context is {data.get('@context')!r}")
    objects = spdx.SHACLObjectSet()
    try:
        spdx.JSONLDDeserializer().deserialize_data(data, objects)
    except Exception as e:  # the bindings raise TypeError/ValueError/KeyError per problem
        return [f"does not deserialise as SPDX 3.0.1: {type(e).__name__}: {e}"]
    missing = objects.link()
    if missing:
        problems.append(f"references to elements not in the document: {sorted(missing)}")
    try:
        spdx.JSONLDSerializer().write(objects, io.BytesIO())
    except Exception as e:
        problems.append(f"fails the 3.0.1 model's constraints: {type(e).__name__}: {e}")

    docs = list(objects.foreach_type(spdx.SpdxDocument))
    if len(docs) != 1:
        problems.append(f"{len(docs)} SpdxDocument elements, expected 1")
    else:
        roots = list(docs[0].rootElement)
        if len(roots) != 1 or not isinstance(roots[0], spdx.ai_AIPackage):
            problems.append("the document's root element is not one ai_AIPackage")
        elif roots[0].software_primaryPurpose != spdx.software_SoftwarePurpose.model:
            problems.append("the root ai_AIPackage's primary purpose is not model")
        listed = {e._id for e in docs[0].element}
        for o in objects.foreach():
            if isinstance(o, spdx.Element) and o is not docs[0] and o._id not in listed:
                problems.append(f"{o._id} is not listed in the document's element")
    for f in objects.foreach_type(spdx.software_File):
        if f.comment and "could not be read" in f.comment:
            continue
        if not any(
            isinstance(h, spdx.Hash) and h.algorithm == spdx.HashAlgorithm.sha256
            for h in f.verifiedUsing
        ):
            problems.append(f"file {f.name} has no sha256")
    return problems


MUTATIONS = [
    ("an unknown property", lambda g: first(g, "ai_AIPackage").update(aibom_unknown=1)),
    ("a purpose outside the enumeration", lambda g: first(g, "software_File").update(software_primaryPurpose="weights")),
    ("a relationship without its type", lambda g: first(g, "Relationship").pop("relationshipType")),
    ("a reference to no element", lambda g: first(g, "Relationship").update(to=["https://aibom.invalid/none"])),
    ("a date that is not a date-time", lambda g: first(g, "CreationInfo").update(created="2026-01-01")),
    ("a CreationInfo without createdBy", lambda g: first(g, "CreationInfo").pop("createdBy")),
]


def first(graph, kind):
    return next(o for o in graph if o.get("type") == kind)


def self_test(path):
    """The validator refuses each mutation of a valid document (so a pass means something)."""
    import copy
    import os
    import tempfile

    with open(path, "rb") as f:
        base = json.load(f)
    bad = 0
    for name, mutate in MUTATIONS:
        doc = copy.deepcopy(base)
        mutate(doc["@graph"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
            json.dump(doc, t)
        try:
            if not check(t.name):
                bad += 1
                print(f"self-test: {name} was accepted")
        finally:
            os.unlink(t.name)
    print(f"self-test: {len(MUTATIONS) - bad} of {len(MUTATIONS)} mutations refused")
    return 1 if bad else 0


def main(paths):
    if paths[:1] == ["--self-test"] and len(paths) == 2:
        return self_test(paths[1])
    valid = "valid SPDX 3.0.1 (spdx-python-model)"
    return run(paths, lambda p: (check(p), valid), "validate.py FILE.spdx.json...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
