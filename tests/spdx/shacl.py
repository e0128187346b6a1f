#!/usr/bin/env python3
"""Validates SPDX 3.0.1 JSON-LD documents written by `aibom generate --format spdx3` against the
SHACL shapes of the SPDX 3.0.1 model, with pyshacl, offline.

    python3 -m venv /tmp/spdx && /tmp/spdx/bin/pip install 'pyshacl==0.40.1' 'rdflib==7.6.0'
    unshare --net /tmp/spdx/bin/python tests/spdx/shacl.py out/*.spdx.json
    unshare --net /tmp/spdx/bin/python tests/spdx/shacl.py --self-test out/one.spdx.json

The shapes (`spdx-model.ttl`) and the JSON-LD context (`spdx-context.jsonld`) are the ones in
schemas/spdx3/ (its README says where they came from). rdflib would fetch the document's
`@context` URL; here its context loader is replaced by one that serves the vendored context for
https://spdx.org/rdf/3.0.1/spdx-context.jsonld and refuses any other URL, so nothing is fetched.
pyshacl runs as spdx3-validate runs it, with the model as the shapes graph and as the ontology
graph (so `rdfs:subClassOf` reaches `sh:class` and the classes' implicit targets, and the
enumerations' members have their class); the ontology graph given is the model without the
shapes' blank nodes, which gives the same results in a fifth of the time (see ONTOLOGY).

Each violation is printed as: the focus node (the element's spdxId, or the blank node's type),
the class whose shape failed, the property path, the SHACL constraint, the offending value and
pyshacl's message. Exit 0 when all documents conform, 1 otherwise (2: no file given, or one
cannot be read).

SHACL does not see what JSON-LD drops: a key that the context does not define produces no
triple, so an unknown property passes here; tests/spdx/validate.py (spdx-python-model) refuses
those.
"""

import copy
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from validate_files import run  # noqa: E402  (tests/validate_files.py: the loop over files)

import pyshacl  # noqa: E402
import rdflib  # noqa: E402
import rdflib.plugins.shared.jsonld.context as jsonld_context  # noqa: E402
from rdflib.namespace import RDF, SH  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMAS = os.path.join(ROOT, "schemas", "spdx3")
CONTEXT_URL = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
TERMS = "https://spdx.org/rdf/3.0.1/terms/"

with open(os.path.join(SCHEMAS, "spdx-context.jsonld"), "rb") as f:
    CONTEXT = json.load(f)


class RemoteContextRefused(Exception):
    pass


def local_context(source, *args, **kwargs):
    """Stands in for rdflib's `source_to_json` when a context is referenced by URL."""
    if source == CONTEXT_URL:
        return copy.deepcopy(CONTEXT), None
    raise RemoteContextRefused(f"@context {source!r} is not the vendored SPDX 3.0.1 context")


# rdflib's JSON-LD Context resolves a context URL through this module-level name (rdflib 7.x,
# pinned above); replacing it keeps the parser off the network.
jsonld_context.source_to_json = local_context

SHAPES = rdflib.Graph().parse(os.path.join(SCHEMAS, "spdx-model.ttl"), format="turtle")
# The ontology graph pyshacl mixes into each document: the model's statements about IRIs
# (classes and their rdfs:subClassOf, the enumerations' members and their rdf:type, the
# individuals the spec defines) without the shapes' blank nodes, whose `sh:in` lists pyshacl
# would copy into every document (4/5 of its time). The results are the same as with the whole
# model; the self-test checks that on the mutations whose refusal depends on the ontology.
ONTOLOGY = rdflib.Graph()
for triple in SHAPES:
    if isinstance(triple[0], rdflib.URIRef) and not triple[1].startswith(str(SH)):
        ONTOLOGY.add(triple)


def short(node):
    """An IRI of the model without its base (`Core/Element`), others as they are."""
    if node is None:
        return "-"
    s = str(node)
    if s.startswith(TERMS):
        return s[len(TERMS):]
    if s.startswith(str(SH)):
        return "sh:" + s[len(str(SH)):]
    return s


def describe_focus(data, node):
    types = ", ".join(sorted(short(t) for t in data.objects(node, RDF.type))) or "untyped"
    if isinstance(node, rdflib.BNode):
        return f"a blank node of type {types}"
    return f"{node} ({types})"


def shape_owner(shape):
    """The class whose `sh:property` the failing property shape is, else the shape itself."""
    owner = SHAPES.value(predicate=SH.property, object=shape)
    return short(owner if owner is not None else shape)


def violations(data, ontology=ONTOLOGY):
    conforms, results, _ = pyshacl.validate(data, shacl_graph=SHAPES, ont_graph=ontology)
    if conforms:
        return []
    problems = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        value = results.value(r, SH.value)
        if value is None:
            value = ""
        elif isinstance(value, rdflib.Literal):
            value = f", value {value.n3()}"
        else:
            value = f", value {short(value)}"
        problems.append(
            f"{describe_focus(data, results.value(r, SH.focusNode))}: "
            f"shape of {shape_owner(results.value(r, SH.sourceShape))}, "
            f"path {short(results.value(r, SH.resultPath))}, "
            f"{short(results.value(r, SH.sourceConstraintComponent))}{value}: "
            f"{results.value(r, SH.resultMessage) or '-'}"
        )
    return sorted(problems)


def check(path, ontology=ONTOLOGY):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"not JSON: {e}"]
    if not isinstance(data, dict) or data.get("@context") != CONTEXT_URL:
        context = data.get("@context") if isinstance(data, dict) else None
        return [f"@context is {context!r}, not {CONTEXT_URL}"]
    try:
        graph = rdflib.Graph().parse(data=text, format="json-ld")
    except RemoteContextRefused as e:
        return [str(e)]
    except Exception as e:  # rdflib's JSON-LD parser has no common error type
        return [f"does not parse as JSON-LD: {type(e).__name__}: {e}"]
    if len(graph) == 0:
        return ["the document has no triples"]
    return violations(graph, ontology)


# Broken documents SHACL must refuse, each still valid JSON-LD with the 3.0.1 context, and the
# shape, path and constraint that must report it.
MUTATIONS = [
    ("a name that is a node, not a string",
     "shape of Core/Element, path Core/name, sh:DatatypeConstraintComponent",
     lambda g: first(g, "software_File").update(name={"@id": "https://aibom.invalid/x"})),
    ("a relationship without from",
     "shape of Core/Relationship, path Core/from, sh:MinCountConstraintComponent",
     lambda g: first(g, "Relationship").pop("from")),
    ("a CreationInfo without createdBy",
     "shape of Core/CreationInfo, path Core/createdBy, sh:MinCountConstraintComponent",
     lambda g: first(g, "CreationInfo").pop("createdBy")),
    ("a hash algorithm outside the enumeration",
     "shape of Core/Hash, path Core/algorithm, sh:InConstraintComponent",
     lambda g: first_hash(g).update(algorithm="sha257")),
    ("a hash without its value",
     "shape of Core/Hash, path Core/hashValue, sh:MinCountConstraintComponent",
     lambda g: first_hash(g).pop("hashValue")),
    ("a creation date that is not a date-time stamp",
     "shape of Core/CreationInfo, path Core/created, sh:PatternConstraintComponent",
     lambda g: first(g, "CreationInfo").update(created="2026-01-01")),
    ("a spec version that is not semver",
     "shape of Core/CreationInfo, path Core/specVersion, sh:PatternConstraintComponent",
     lambda g: first(g, "CreationInfo").update(specVersion="3.0")),
    ("an instance of the abstract class Artifact",
     "shape of Core/Artifact, path http://www.w3.org/1999/02/22-rdf-syntax-ns#type, "
     "sh:NotConstraintComponent",
     lambda g: first(g, "software_Package").update(type="Artifact")),
    ("a file as the model's supplier (not an Agent)",
     "shape of Core/Artifact, path Core/suppliedBy, sh:ClassConstraintComponent",
     lambda g: first(g, "ai_AIPackage").update(suppliedBy=first(g, "software_File")["spdxId"])),
    ("two primary purposes on one file",
     "shape of Software/SoftwareArtifact, path Software/primaryPurpose, "
     "sh:MaxCountConstraintComponent",
     lambda g: first(g, "software_File").update(software_primaryPurpose=["model", "data"])),
]


def first(graph, kind):
    return next(o for o in graph if o.get("type") == kind)


def first_hash(graph):
    return next(h for o in graph for h in o.get("verifiedUsing", []) if h.get("type") == "Hash")


def parse_only(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    try:
        rdflib.Graph().parse(data=text, format="json-ld")
    except RemoteContextRefused as e:
        return [str(e)]
    return []


def self_test(path):
    """SHACL refuses each mutation of a valid document, and a context other than the vendored
    one is refused rather than fetched (so a pass means something, and nothing goes online)."""
    with open(path, "rb") as f:
        base = json.load(f)
    if check(path):
        print(f"self-test: {path} does not conform to start with")
        return 1
    cases = [(name, expected, lambda d, m=mutate: m(d["@graph"]), check)
             for name, expected, mutate in MUTATIONS]
    # check() refuses a foreign @context before parsing; parse_only() calls the parser itself so
    # that the context loader's refusal is what is tested.
    other = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"
    cases.append(("the SPDX 3.0.0 context (not vendored, so not fetched)",
                  "is not the vendored SPDX 3.0.1 context",
                  lambda d: d.update({"@context": other}), parse_only))
    bad = 0
    for name, expected, mutate, test in cases:
        doc = copy.deepcopy(base)
        mutate(doc)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
            json.dump(doc, t)
        try:
            problems = test(t.name)
            # membership of a class or of an enumeration comes from the ontology graph: the
            # reduced one must find what the whole model finds
            if test is check and ("sh:Class" in expected or "sh:In" in expected):
                whole = check(t.name, ontology=SHAPES)
                if whole != problems:
                    problems = ["differs with the whole model as the ontology graph:"] + whole
        finally:
            os.unlink(t.name)
        hit = next((p for p in problems if expected in p), None)
        if hit:
            print(f"self-test: refused {name}: {hit[:300]}")
        else:
            bad += 1
            print(f"self-test: {name} was not refused with \"{expected}\" ({problems[:2]})")
    print(f"self-test: {len(cases) - bad} of {len(cases)} broken documents refused")
    return 1 if bad else 0


def main(paths):
    if paths[:1] == ["--self-test"] and len(paths) == 2:
        return self_test(paths[1])
    valid = "conforms to the SPDX 3.0.1 SHACL shapes (pyshacl)"
    return run(paths, lambda p: (check(p), valid), "shacl.py FILE.spdx.json...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
