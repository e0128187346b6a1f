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

A document that claims a profile in its `profileConformance` is also held to that profile's own
rules, which the generated shapes leave out: `profile-conformance.ttl` (schemas/spdx3/, written
for this project from the model's "External properties restrictions" and "Profile conformance"
sections; its README says which) has one shape per class and profile (`software`: files and
packages have a name; `ai`: every AIPackage has releaseTime, suppliedBy, downloadLocation,
packageVersion, primaryPurpose and exactly one hasConcludedLicense and one hasDeclaredLicense;
`dataset`: every DatasetPackage has builtTime, releaseTime, exactly one originatedBy,
downloadLocation, primaryPurpose and the two licence relationships). Only the shapes of the
claimed profiles are added to the model's.

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
OURS = "https://aibom.invalid/shapes/spdx3/"
PROFILE = rdflib.URIRef(OURS + "profile")
CLAIM = rdflib.URIRef(TERMS + "Core/profileConformance")
PROFILE_IDS = TERMS + "Core/ProfileIdentifierType/"

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
PROFILE_SHAPES = rdflib.Graph().parse(os.path.join(SCHEMAS, "profile-conformance.ttl"),
                                      format="turtle")
# The ontology graph pyshacl mixes into each document: the model's statements about IRIs
# (classes and their rdfs:subClassOf, the enumerations' members and their rdf:type, the
# individuals the spec defines) without the shapes' blank nodes, whose `sh:in` lists pyshacl
# would copy into every document (4/5 of its time). The results are the same as with the whole
# model; the self-test checks that on the mutations whose refusal depends on the ontology.
ONTOLOGY = rdflib.Graph()
for triple in SHAPES:
    if isinstance(triple[0], rdflib.URIRef) and not triple[1].startswith(str(SH)):
        ONTOLOGY.add(triple)


def profile_rules(profiles):
    """The model's shapes plus, from profile-conformance.ttl, the shapes of the given profiles
    (short names: `ai`, `dataset`, `software`) with everything they reach (their property
    shapes, SPARQL constraints and prefix declarations)."""
    shapes = rdflib.Graph()
    for triple in SHAPES:
        shapes.add(triple)
    todo = [s for s, p in PROFILE_SHAPES.subject_objects(PROFILE)
            if str(p).removeprefix(PROFILE_IDS) in profiles]
    seen = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, p, o in PROFILE_SHAPES.triples((node, None, None)):
            shapes.add((node, p, o))
            if isinstance(o, rdflib.BNode) or str(o).startswith(OURS):
                todo.append(o)
    return shapes


RULES = {}


def rules_for(profiles):
    key = frozenset(profiles)
    if key not in RULES:
        RULES[key] = profile_rules(key)
    return RULES[key]


def claimed(data):
    """The profiles the document's SpdxDocument(s) claim, by short name."""
    return {str(p).removeprefix(PROFILE_IDS) for p in data.objects(None, CLAIM)}


def short(node):
    """An IRI of the model without its base (`Core/Element`), others as they are."""
    if node is None:
        return "-"
    s = str(node)
    if s.startswith(TERMS):
        return s[len(TERMS):]
    if s.startswith(str(SH)):
        return "sh:" + s[len(str(SH)):]
    if s.startswith(OURS):
        return "profile rule " + s[len(OURS):]
    return s


def describe_focus(data, node):
    types = ", ".join(sorted(short(t) for t in data.objects(node, RDF.type))) or "untyped"
    if isinstance(node, rdflib.BNode):
        return f"a blank node of type {types}"
    return f"{node} ({types})"


def shape_owner(shapes, shape):
    """The class whose `sh:property` the failing property shape is, else the shape itself."""
    owner = shapes.value(predicate=SH.property, object=shape)
    return short(owner if owner is not None else shape)


def violations(data, ontology=ONTOLOGY):
    shapes = rules_for(claimed(data))
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology)
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
            f"shape of {shape_owner(shapes, results.value(r, SH.sourceShape))}, "
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


NO_ASSERTION = "expandedlicensing_NoAssertionLicense"
SUPPLIER = "https://aibom.invalid/self-test/organization"


def packages(graph, kind):
    return [o for o in graph if o.get("type") == kind]


def licence_relationships(graph, of, kind):
    return [o for o in graph if o.get("type") == "Relationship" and o.get("from") == of
            and o.get("relationshipType") == kind]


def remove(graph, element):
    """Drops an element and its listing in the SpdxDocument."""
    graph.remove(element)
    listed = first(graph, "SpdxDocument")["element"]
    listed[:] = [e for e in listed if e != element.get("spdxId")]


def add(graph, element):
    graph.append(element)
    first(graph, "SpdxDocument")["element"].append(element["spdxId"])


def complete(doc):
    """The document as it would be if every AIPackage and DatasetPackage had what the AI and
    Dataset profiles require (made-up values: a test fixture, not facts), claiming both."""
    graph = doc["@graph"]
    first(graph, "SpdxDocument")["profileConformance"] += ["ai", "dataset"]
    add(graph, {"type": "Organization", "spdxId": SUPPLIER, "name": "supplier",
                 "creationInfo": "_:creationinfo"})
    for kind in ("ai_AIPackage", "dataset_DatasetPackage"):
        for p in packages(graph, kind):
            p["releaseTime"] = "2026-01-01T00:00:00Z"
            p.setdefault("software_downloadLocation", "https://example.invalid/download")
            p.setdefault("software_primaryPurpose", "model")
            if kind == "ai_AIPackage":
                p["suppliedBy"] = SUPPLIER
                p.setdefault("software_packageVersion", "1.0")
            else:
                p["builtTime"] = "2025-12-01T00:00:00Z"
                p["originatedBy"] = [SUPPLIER]
            for rel in ("hasConcludedLicense", "hasDeclaredLicense"):
                for r in licence_relationships(graph, p["spdxId"], rel):
                    remove(graph, r)
                add(graph, {"type": "Relationship", "spdxId": f"{p['spdxId']}/{rel}",
                            "creationInfo": "_:creationinfo", "from": p["spdxId"],
                            "relationshipType": rel, "to": [NO_ASSERTION]})


def concluded(graph, kind):
    p = first(graph, kind)
    return licence_relationships(graph, p["spdxId"], "hasConcludedLicense")[0]


def drop_licence(graph, kind, rel):
    remove(graph, licence_relationships(graph, first(graph, kind)["spdxId"], rel)[0])


def second_concluded(graph, kind):
    r = copy.deepcopy(concluded(graph, kind))
    r["spdxId"] += "/again"
    add(graph, r)


def rule(cls, path, constraint="sh:MinCountConstraintComponent"):
    return f"shape of profile rule {cls}, path {path}, {constraint}"


def sparql(cls, message):
    return (f"shape of profile rule {cls}, path -, sh:SPARQLConstraintComponent", message)


# The profiles' own rules (profile-conformance.ttl): each mutation of the completed document
# (see complete()) must be refused by the rule it breaks.
PROFILE_MUTATIONS = [
    ("an AIPackage without releaseTime", rule("AIPackage", "Core/releaseTime"),
     lambda g: first(g, "ai_AIPackage").pop("releaseTime")),
    ("an AIPackage without suppliedBy", rule("AIPackage", "Core/suppliedBy"),
     lambda g: first(g, "ai_AIPackage").pop("suppliedBy")),
    ("an AIPackage without downloadLocation", rule("AIPackage", "Software/downloadLocation"),
     lambda g: first(g, "ai_AIPackage").pop("software_downloadLocation")),
    ("an AIPackage without packageVersion", rule("AIPackage", "Software/packageVersion"),
     lambda g: first(g, "ai_AIPackage").pop("software_packageVersion")),
    ("an AIPackage without primaryPurpose", rule("AIPackage", "Software/primaryPurpose"),
     lambda g: first(g, "ai_AIPackage").pop("software_primaryPurpose")),
    ("an AIPackage without hasConcludedLicense",
     sparql("AIPackage", "no hasConcludedLicense"),
     lambda g: drop_licence(g, "ai_AIPackage", "hasConcludedLicense")),
    ("an AIPackage without hasDeclaredLicense",
     sparql("AIPackage", "no hasDeclaredLicense"),
     lambda g: drop_licence(g, "ai_AIPackage", "hasDeclaredLicense")),
    ("an AIPackage with two hasConcludedLicense relationships",
     sparql("AIPackage", "more than one hasConcludedLicense"),
     lambda g: second_concluded(g, "ai_AIPackage")),
    ("an AIPackage whose hasConcludedLicense has two licences",
     sparql("AIPackage", "relationship with more than one `to`"),
     lambda g: concluded(g, "ai_AIPackage").update(
         to=[NO_ASSERTION, "expandedlicensing_NoneLicense"])),
    ("an AIPackage whose hasConcludedLicense is a file",
     sparql("AIPackage", "relationship whose `to` is not an AnyLicenseInfo"),
     lambda g: concluded(g, "ai_AIPackage").update(to=[first(g, "software_File")["spdxId"]])),
    ("a DatasetPackage without builtTime", rule("DatasetPackage", "Core/builtTime"),
     lambda g: first(g, "dataset_DatasetPackage").pop("builtTime")),
    ("a DatasetPackage without releaseTime", rule("DatasetPackage", "Core/releaseTime"),
     lambda g: first(g, "dataset_DatasetPackage").pop("releaseTime")),
    ("a DatasetPackage without originatedBy", rule("DatasetPackage", "Core/originatedBy"),
     lambda g: first(g, "dataset_DatasetPackage").pop("originatedBy")),
    ("a DatasetPackage with two originatedBy",
     rule("DatasetPackage", "Core/originatedBy", "sh:MaxCountConstraintComponent"),
     lambda g: first(g, "dataset_DatasetPackage").update(
         originatedBy=[SUPPLIER, first(g, "SoftwareAgent")["spdxId"]])),
    ("a DatasetPackage without downloadLocation",
     rule("DatasetPackage", "Software/downloadLocation"),
     lambda g: first(g, "dataset_DatasetPackage").pop("software_downloadLocation")),
    ("a DatasetPackage without primaryPurpose",
     rule("DatasetPackage", "Software/primaryPurpose"),
     lambda g: first(g, "dataset_DatasetPackage").pop("software_primaryPurpose")),
    ("a DatasetPackage without hasConcludedLicense",
     sparql("DatasetPackage", "no hasConcludedLicense"),
     lambda g: drop_licence(g, "dataset_DatasetPackage", "hasConcludedLicense")),
    ("a DatasetPackage without hasDeclaredLicense",
     sparql("DatasetPackage", "no hasDeclaredLicense"),
     lambda g: drop_licence(g, "dataset_DatasetPackage", "hasDeclaredLicense")),
    ("a software file without a name", rule("SoftwareFile", "Core/name"),
     lambda g: first(g, "software_File").pop("name")),
    ("a software package without a name", rule("SoftwarePackage", "Core/name"),
     lambda g: first(g, "software_Package").pop("name")),
]

# Documents the profile rules must accept: a rule applies only when its profile is claimed.
PROFILE_ACCEPTED = [
    ("the completed document", lambda d: None),
    ("the completed document, ai and dataset not claimed, without releaseTime",
     lambda d: (first(d["@graph"], "SpdxDocument").update(profileConformance=[
         p for p in first(d["@graph"], "SpdxDocument")["profileConformance"]
         if p not in ("ai", "dataset")]),
         [p.pop("releaseTime") for p in d["@graph"] if "releaseTime" in p])),
]


def with_file(doc, test):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
        json.dump(doc, t)
    try:
        problems = test(t.name)
        # membership of a class or of an enumeration comes from the ontology graph: the
        # reduced one must find what the whole model finds
        if test is check and any(k in str(problems) for k in ("sh:Class", "sh:In", "SPARQL")):
            whole = check(t.name, ontology=SHAPES)
            if whole != problems:
                problems = ["differs with the whole model as the ontology graph:"] + whole
    finally:
        os.unlink(t.name)
    return problems


def self_test(path):
    """SHACL refuses each mutation of a valid document, the profile rules refuse each mutation of
    a document that meets them and claims their profiles (and apply only when claimed), and a
    context other than the vendored one is refused rather than fetched (so a pass means
    something, and nothing goes online)."""
    with open(path, "rb") as f:
        base = json.load(f)
    if check(path):
        print(f"self-test: {path} does not conform to start with")
        return 1
    completed = copy.deepcopy(base)
    complete(completed)
    cases = [(name, expected, lambda d, m=mutate: m(d["@graph"]), check, base)
             for name, expected, mutate in MUTATIONS]
    cases.append(("the document as written, claiming the ai profile",
                  rule("AIPackage", "Core/releaseTime"),
                  lambda d: first(d["@graph"], "SpdxDocument")["profileConformance"].append("ai"),
                  check, base))
    cases.append(("the document as written, claiming the dataset profile",
                  rule("DatasetPackage", "Core/builtTime"),
                  lambda d: first(d["@graph"], "SpdxDocument")["profileConformance"].append(
                      "dataset"),
                  check, base))
    cases += [(name, expected, lambda d, m=mutate: m(d["@graph"]), check, completed)
              for name, expected, mutate in PROFILE_MUTATIONS]
    # check() refuses a foreign @context before parsing; parse_only() calls the parser itself so
    # that the context loader's refusal is what is tested.
    other = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"
    cases.append(("the SPDX 3.0.0 context (not vendored, so not fetched)",
                  "is not the vendored SPDX 3.0.1 context",
                  lambda d: d.update({"@context": other}), parse_only, base))
    bad = 0
    for name, mutate in PROFILE_ACCEPTED:
        doc = copy.deepcopy(completed)
        mutate(doc)
        problems = with_file(doc, check)
        if problems:
            bad += 1
            print(f"self-test: {name} was refused ({problems[:2]})")
        else:
            print(f"self-test: accepted {name}")
    for name, expected, mutate, test, start in cases:
        doc = copy.deepcopy(start)
        mutate(doc)
        problems = with_file(doc, test)
        wanted = expected if isinstance(expected, tuple) else (expected,)
        hit = next((p for p in problems if all(e in p for e in wanted)), None)
        if hit:
            print(f"self-test: refused {name}: {hit[:300]}")
        else:
            bad += 1
            print(f"self-test: {name} was not refused with {wanted} ({problems[:2]})")
    print(f"self-test: {len(cases)} broken documents, {len(PROFILE_ACCEPTED)} to accept, "
          f"{bad} failed")
    return 1 if bad else 0


def main(paths):
    if paths[:1] == ["--self-test"] and len(paths) == 2:
        return self_test(paths[1])
    valid = "conforms to the SPDX 3.0.1 SHACL shapes (pyshacl)"
    return run(paths, lambda p: (check(p), valid), "shacl.py FILE.spdx.json...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
