//! What a document says about the release, typed once for every consumer: its files
//! ([`Document::files`]) and its findings ([`Document::findings`]), each with notes on what
//! could not be read. Where consumers read differently on purpose, the difference is a
//! documented parameter ([`FileRule`], [`PathRule`]).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Component, Document, Field, Note, Object, Problem, Shape, kind_of};

/// Which components are the release's files ([`Document::files`]).
///
/// | rule | components | `type` |
/// |---|---|---|
/// | [`ModelDirect`](Self::ModelDirect) | the model's own, `metadata.component.components[]`, not nested further | exactly `file` |
/// | [`AnyDepth`](Self::AnyDepth) | every component, at any depth | exactly `file` |
/// | [`AnyDepthTrimmed`](Self::AnyDepthTrimmed) | every component, at any depth | `file` once trimmed |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRule {
    /// `verify`: the files the model lists itself, compared with the signed ones.
    ModelDirect,
    /// The audit report: every file the document lists.
    AnyDepth,
    /// The diff: every file, whatever the generator's spacing.
    AnyDepthTrimmed,
}

/// What names a file ([`FileEntry::path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRule {
    /// `verify`: `name` exactly as written, matched against the signed file names.
    Name,
    /// The audit report: the [shown name](Object::shown_name) (`group/name`, else `name`,
    /// else `bom-ref`).
    Shown,
    /// The diff: the one `evidence.occurrences[].location` when there is exactly one, else
    /// the trimmed `name`, else the first location.
    Located,
}

/// A file of the release: a component whose `type` is `file` ([`FileRule`]), with the
/// properties aibom records on it.
#[derive(Debug, Clone)]
pub struct FileEntry<'a> {
    pub component: Component<'a>,
    /// `evidence.occurrences[].location`, trimmed, the blank ones left out.
    pub locations: Vec<&'a str>,
    /// `aibom:file:size`, when it reads as a number of bytes.
    pub size: Option<u64>,
    /// `aibom:file:format`.
    pub format: Option<&'a str>,
    /// `aibom:file:verdict`.
    pub verdict: Option<&'a str>,
    /// `aibom:file:role` (`chat-template`, `config`, ...).
    pub role: Option<&'a str>,
    /// `aibom:gguf:chat-template-sha256`: the digest of a chat template embedded in GGUF
    /// metadata, as written.
    pub chat_template_sha256: Option<&'a str>,
    /// What could not be read of this file: `hashes` that is not an array
    /// ([`Problem::NotAnArray`] at `….hashes`); neither a name nor a location
    /// ([`Problem::Unnamed`]).
    pub notes: Vec<Note>,
}

impl<'a> std::ops::Deref for FileEntry<'a> {
    type Target = Object<'a>;
    fn deref(&self) -> &Object<'a> {
        &self.component.object
    }
}

impl<'a> FileEntry<'a> {
    /// `c` as a file when `rule` takes it as one.
    pub fn of(c: &Component<'a>, rule: FileRule) -> Option<FileEntry<'a>> {
        let kind = c.get("type");
        let taken = match rule {
            FileRule::ModelDirect => c.in_model && c.depth == 0 && kind.str() == Some("file"),
            FileRule::AnyDepth => kind.str() == Some("file"),
            FileRule::AnyDepthTrimmed => kind.trimmed() == Some("file"),
        };
        if !taken {
            return None;
        }
        let locations: Vec<&'a str> = c
            .get("evidence")
            .object()
            .get("occurrences")
            .objects()
            .filter_map(|o| o.get("location").trimmed())
            .collect();
        let mut notes = Vec::new();
        if let Shape::Other(found) = c.get("hashes").shape() {
            notes.push(Note {
                at: format!("{}.hashes", c.at),
                problem: Problem::NotAnArray { found },
            });
        }
        if locations.is_empty() && c.get("name").trimmed().is_none() {
            notes.push(Note {
                at: c.at.clone(),
                problem: Problem::Unnamed,
            });
        }
        Some(FileEntry {
            locations,
            size: c.property("aibom:file:size").and_then(|s| s.parse().ok()),
            format: c.property("aibom:file:format"),
            verdict: c.property("aibom:file:verdict"),
            role: c.property("aibom:file:role"),
            chat_template_sha256: c.property("aibom:gguf:chat-template-sha256"),
            component: c.clone(),
            notes,
        })
    }

    /// What names the file, as `rule` reads it ([`PathRule`]).
    pub fn path(&self, rule: PathRule) -> Option<String> {
        match rule {
            PathRule::Name => self.get("name").str().map(str::to_owned),
            PathRule::Shown => self.shown_name(),
            PathRule::Located => match (self.locations.as_slice(), self.get("name").trimmed()) {
                ([one], _) => Some((*one).to_owned()),
                (_, Some(n)) => Some(n.to_owned()),
                ([first, ..], None) => Some((*first).to_owned()),
                ([], None) => None,
            },
        }
    }

    /// `(algorithm, hex)` of each hash that has display text ([`Field::text`]), the hex in
    /// lower case, SHA-256 first, then by algorithm.
    pub fn hashes_shown(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .hashes()
            .filter_map(|h| Some((h.alg.text()?, h.content.text()?.to_ascii_lowercase())))
            .collect();
        out.sort_by_key(|(alg, _)| (alg != "SHA-256", alg.clone()));
        out
    }
}

/// One entry of `vulnerabilities[]`: a finding, with the properties aibom records on it.
/// An entry that is not an object reads as empty and is noted.
#[derive(Debug, Clone)]
pub struct FindingEntry<'a> {
    pub object: Object<'a>,
    /// Its place: `vulnerabilities[2]`.
    pub at: String,
    /// `aibom:finding:code`: the aibom finding code, as written.
    pub code: Option<&'a str>,
    /// `aibom:finding:path`: the file the finding is in (the first property of that name
    /// whose value is a string).
    pub path: Option<&'a str>,
    /// The value of the first `aibom:finding:path` property, of whatever type: `verify`
    /// reads the path from this one only, so that a later property cannot stand in for a
    /// first one that is not a string.
    pub first_path: Field<'a>,
    /// `aibom:finding:member`: the archive member.
    pub member: Option<&'a str>,
    /// `aibom:finding:offset`.
    pub offset: Option<&'a str>,
    /// `affects[].ref`, every entry's field as written.
    pub affects: Vec<Field<'a>>,
}

impl<'a> std::ops::Deref for FindingEntry<'a> {
    type Target = Object<'a>;
    fn deref(&self) -> &Object<'a> {
        &self.object
    }
}

impl<'a> FindingEntry<'a> {
    /// Whether the entry is an object (one that is not is noted, and reads as empty).
    pub fn is_readable(&self) -> bool {
        self.object.is_object()
    }

    /// The exception this finding records, when it has an `analysis` (of any type) or an
    /// `aibom:exception:reason`.
    pub fn exception(&self) -> Option<ExceptionEntry<'a>> {
        let analysis = self.get("analysis");
        let reason = self.property("aibom:exception:reason");
        if analysis.value().is_none() && reason.is_none() {
            return None;
        }
        let a = analysis.object();
        Some(ExceptionEntry {
            finding: self.clone(),
            analysis,
            state: a.get("state"),
            responses: a.get("response").items().iter().map(Field::from).collect(),
            justification: a.get("justification"),
            detail: a.get("detail"),
            reason,
            expires: self.property("aibom:exception:expires"),
            owner: self.property("aibom:exception:owner"),
            first_affected: self.at("/affects/0/ref"),
        })
    }
}

/// An exception recorded in the document: a finding's CycloneDX `analysis` (VEX) and the
/// `aibom:exception:*` properties aibom writes when an exception in `aibom.toml` accepted it
/// ([`Document::exceptions`]).
#[derive(Debug, Clone)]
pub struct ExceptionEntry<'a> {
    /// The finding it is recorded on.
    pub finding: FindingEntry<'a>,
    /// `analysis`, as written.
    pub analysis: Field<'a>,
    /// `analysis.state` (`not_affected`, `false_positive`, ...).
    pub state: Field<'a>,
    /// `analysis.response[]`, every entry (`will_not_fix`, `can_not_fix`, ...).
    pub responses: Vec<Field<'a>>,
    /// `analysis.justification`.
    pub justification: Field<'a>,
    /// `analysis.detail`.
    pub detail: Field<'a>,
    /// `aibom:exception:reason`.
    pub reason: Option<&'a str>,
    /// `aibom:exception:expires`.
    pub expires: Option<&'a str>,
    /// `aibom:exception:owner`.
    pub owner: Option<&'a str>,
    /// `affects[0].ref`, read as the JSON pointer `/affects/0/ref`.
    pub first_affected: Field<'a>,
}

impl ExceptionEntry<'_> {
    /// Whether the finding counts as accepted: aibom recorded an exception reason, the
    /// analysis state says it does not apply or is resolved (`not_affected`,
    /// `false_positive`, `resolved`, `resolved_with_pedigree`), or a response declines a fix
    /// (`will_not_fix`, `can_not_fix`); each read as display text ([`Field::text`]).
    pub fn accepts(&self) -> bool {
        self.reason.is_some()
            || matches!(
                self.state.text().as_deref(),
                Some("not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree")
            )
            || self
                .responses
                .iter()
                .filter_map(|r| r.text())
                .any(|x| x == "will_not_fix" || x == "can_not_fix")
    }
}

/// Where the model comes from: its base models and the dependency graph
/// ([`Document::lineage`]).
#[derive(Debug, Clone, Default)]
pub struct Lineage<'a> {
    /// `metadata.component.pedigree.ancestors[]`: the model's base models, every entry (one
    /// that is not an object reads as empty).
    pub base_models: Vec<Object<'a>>,
    /// How the model derives from them: the text after `base_model_relation: ` in
    /// `metadata.component.pedigree.notes` (`adapter`, `finetune`, `quantized`, `merge`).
    pub relation: Option<String>,
    /// `aibom:card:base_model_relation` on the model card: the same, as the card states it.
    pub card_relation: Option<&'a str>,
    /// `dependencies[]`, every entry.
    pub dependencies: Vec<Dependency<'a>>,
    /// What could not be read: a base model without a name ([`Problem::Unnamed`] at
    /// `metadata.component.pedigree.ancestors[i]`); a dependency entry without a `ref`
    /// ([`Problem::Missing`] at `dependencies[i].ref`, its `dependsOn` then not read); a
    /// `dependsOn` entry that is not a string ([`Problem::NotAString`] at
    /// `dependencies[i].dependsOn[j]`). Names and refs are read trimmed. Whether the sections
    /// are there at all is in [`Document::notes`].
    pub notes: Vec<Note>,
}

/// One entry of `dependencies[]` (an entry that is not an object reads as empty).
#[derive(Debug, Clone)]
pub struct Dependency<'a> {
    /// `ref`: the component that depends on the others.
    pub from: Field<'a>,
    /// `dependsOn[]`, every entry as written.
    pub depends_on: Vec<Field<'a>>,
    /// `provides[]`, every entry as written.
    pub provides: Vec<Field<'a>>,
}

impl<'a> Dependency<'a> {
    fn of(entry: Object<'a>) -> Dependency<'a> {
        let each = |key: &str| entry.get(key).items().iter().map(Field::from).collect();
        Dependency {
            from: entry.get("ref"),
            depends_on: each("dependsOn"),
            provides: each("provides"),
        }
    }
}

/// One dataset the model card names (`metadata.component.modelCard.modelParameters
/// .datasets[]`): a reference to a `data` component, or the dataset inline
/// ([`Document::dataset_refs`]). An entry that is not an object reads as empty and is noted.
#[derive(Debug, Clone)]
pub struct DatasetRef<'a> {
    pub entry: Object<'a>,
    /// Its place: `metadata.component.modelCard.modelParameters.datasets[1]`.
    pub at: String,
    /// `ref`: the `bom-ref` of the `data` component, as written.
    pub reference: Field<'a>,
}

impl<'a> Document<'a> {
    /// The datasets the model card names, every entry in document order, and a note for each
    /// entry that is not an object ([`Problem::NotAnObject`]). The list itself, when it is not
    /// an array, is in [`Document::notes`].
    pub fn dataset_refs(&self) -> (Vec<DatasetRef<'a>>, Vec<Note>) {
        let mut notes = Vec::new();
        let refs = self
            .datasets
            .items()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("metadata.component.modelCard.modelParameters.datasets[{i}]");
                if !v.is_object() {
                    notes.push(Note {
                        at: at.clone(),
                        problem: Problem::NotAnObject { found: kind_of(v) },
                    });
                }
                let entry = Object::new(v);
                DatasetRef {
                    entry,
                    at,
                    reference: entry.get("ref"),
                }
            })
            .collect();
        (refs, notes)
    }

    /// The release's files as `rule` takes them ([`FileRule`]), in document order (see
    /// [`Document::components`]); each carries notes on what of it could not be read.
    pub fn files(&self, rule: FileRule) -> Vec<FileEntry<'a>> {
        self.components
            .iter()
            .filter_map(|c| FileEntry::of(c, rule))
            .collect()
    }

    /// The model's lineage: its base models, how it derives from them, and `dependencies[]`,
    /// with notes on what could not be read ([`Lineage::notes`]).
    pub fn lineage(&self) -> Lineage<'a> {
        let model = self.model.unwrap_or_else(Object::empty);
        let mut notes = Vec::new();
        let base_models: Vec<Object<'a>> = model.ancestors().objects().collect();
        for (i, a) in base_models.iter().enumerate() {
            if a.get("name").trimmed().is_none() {
                notes.push(Note {
                    at: format!("metadata.component.pedigree.ancestors[{i}]"),
                    problem: Problem::Unnamed,
                });
            }
        }
        let dependencies: Vec<Dependency<'a>> = self.dependencies().map(Dependency::of).collect();
        for (i, d) in dependencies.iter().enumerate() {
            if d.from.trimmed().is_none() {
                notes.push(Note {
                    at: format!("dependencies[{i}].ref"),
                    problem: Problem::Missing,
                });
                continue;
            }
            for (j, to) in d.depends_on.iter().enumerate() {
                if let Some(v) = to.value().filter(|v| !v.is_string()) {
                    notes.push(Note {
                        at: format!("dependencies[{i}].dependsOn[{j}]"),
                        problem: Problem::NotAString { found: kind_of(v) },
                    });
                }
            }
        }
        Lineage {
            base_models,
            relation: model
                .at("/pedigree/notes")
                .text()
                .and_then(|n| n.strip_prefix("base_model_relation: ").map(str::to_owned)),
            card_relation: model
                .get("modelCard")
                .object()
                .property("aibom:card:base_model_relation"),
            dependencies,
            notes,
        }
    }

    /// The exceptions recorded on findings ([`FindingEntry::exception`]), in document order,
    /// and a note for each `analysis` that is present but not an object
    /// ([`Problem::NotAnObject`] at `vulnerabilities[i].analysis`: read as empty).
    pub fn exceptions(&self) -> (Vec<ExceptionEntry<'a>>, Vec<Note>) {
        let mut notes = Vec::new();
        let entries = self
            .findings()
            .0
            .iter()
            .filter_map(FindingEntry::exception)
            .inspect(|x| {
                if let Some(v) = x.analysis.value().filter(|v| !v.is_object()) {
                    notes.push(Note {
                        at: format!("{}.analysis", x.finding.at),
                        problem: Problem::NotAnObject { found: kind_of(v) },
                    });
                }
            })
            .collect();
        (entries, notes)
    }

    /// Every entry of `vulnerabilities[]` as a finding, in document order, and a note for
    /// each entry that is not an object ([`Problem::NotAnObject`] at `vulnerabilities[i]`).
    /// The section itself, absent or not an array, is in [`Document::notes`].
    pub fn findings(&self) -> (Vec<FindingEntry<'a>>, Vec<Note>) {
        let mut notes = Vec::new();
        let entries = self
            .vulnerabilities
            .items()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("vulnerabilities[{i}]");
                if !v.is_object() {
                    notes.push(Note {
                        at: at.clone(),
                        problem: Problem::NotAnObject { found: kind_of(v) },
                    });
                }
                let o = Object::new(v);
                FindingEntry {
                    object: o,
                    at,
                    code: o.property("aibom:finding:code"),
                    path: o.property("aibom:finding:path"),
                    first_path: o.first_property("aibom:finding:path"),
                    member: o.property("aibom:finding:member"),
                    offset: o.property("aibom:finding:offset"),
                    affects: o.get("affects").objects().map(|a| a.get("ref")).collect(),
                }
            })
            .collect();
        (entries, notes)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::Sha256Rule;
    use super::*;
    use serde_json::{Value, json};

    fn release() -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "metadata": {"component": {"name": "m", "components": [
                {"type": "file", "name": "w.safetensors",
                 "hashes": [{"alg": "SHA-256", "content": "AB"}, {"alg": "MD5", "content": "CD"}],
                 "properties": [
                    {"name": "aibom:file:size", "value": "12"},
                    {"name": "aibom:file:format", "value": "safetensors"},
                    {"name": "aibom:file:verdict", "value": "clean"},
                    {"name": "aibom:file:role", "value": "weights"}]},
                {"type": " file ", "name": "spaced.bin"},
                {"type": "library", "name": "torch", "components": [
                    {"type": "file", "name": "nested.gguf",
                     "properties": [{"name": "aibom:gguf:chat-template-sha256", "value": "EF"}]}
                ]}
            ]}},
            "components": [
                {"type": "file", "group": "g", "name": "top.pt",
                 "evidence": {"occurrences": [{"location": " dir/top.pt "}]}}
            ]
        })
    }

    #[test]
    fn each_file_rule_takes_its_own_components() {
        let v = release();
        let d = Document::from_value(&v).unwrap();
        let names = |rule| -> Vec<String> {
            d.files(rule)
                .iter()
                .filter_map(|f| f.path(PathRule::Name))
                .collect()
        };
        assert_eq!(names(FileRule::ModelDirect), ["w.safetensors"]);
        assert_eq!(
            names(FileRule::AnyDepth),
            ["w.safetensors", "nested.gguf", "top.pt"]
        );
        assert_eq!(
            names(FileRule::AnyDepthTrimmed),
            ["w.safetensors", "spaced.bin", "nested.gguf", "top.pt"]
        );
    }

    #[test]
    fn reads_a_files_properties_digests_and_paths() {
        let v = release();
        let d = Document::from_value(&v).unwrap();
        let files = d.files(FileRule::AnyDepth);
        let w = &files[0];
        assert_eq!(w.size, Some(12));
        assert_eq!(
            (w.format, w.verdict, w.role),
            (Some("safetensors"), Some("clean"), Some("weights"))
        );
        assert_eq!(w.sha256(Sha256Rule::Exact).as_deref(), Some("ab"));
        assert_eq!(
            w.hashes_shown(),
            [
                ("SHA-256".to_owned(), "ab".to_owned()),
                ("MD5".to_owned(), "cd".to_owned())
            ]
        );
        assert!(w.notes.is_empty());
        assert_eq!(files[1].chat_template_sha256, Some("EF"));
        let top = &files[2];
        assert_eq!(top.locations, ["dir/top.pt"]);
        assert_eq!(top.path(PathRule::Name).as_deref(), Some("top.pt"));
        assert_eq!(top.path(PathRule::Shown).as_deref(), Some("g/top.pt"));
        assert_eq!(top.path(PathRule::Located).as_deref(), Some("dir/top.pt"));
    }

    #[test]
    fn notes_a_file_without_a_name_and_hashes_that_do_not_read() {
        let v = json!({"components": [
            {"type": "file", "name": " ", "hashes": "AB",
             "properties": [{"name": "aibom:file:size", "value": "big"}]},
            {"type": "file", "name": "x", "evidence": {"occurrences": [{"location": "a"}, {"location": "b"}]}},
            {"type": "file", "evidence": {"occurrences": [{"location": "a"}, {"location": "b"}]}}
        ]});
        let d = Document::from_value(&v).unwrap();
        let files = d.files(FileRule::AnyDepth);
        let notes: Vec<(&str, Problem)> = files[0]
            .notes
            .iter()
            .map(|n| (n.at.as_str(), n.problem))
            .collect();
        assert_eq!(
            notes,
            [
                (
                    "components[0].hashes",
                    Problem::NotAnArray { found: "a string" }
                ),
                ("components[0]", Problem::Unnamed)
            ]
        );
        assert_eq!(files[0].size, None);
        assert_eq!(files[0].path(PathRule::Located), None);
        assert_eq!(files[0].sha256(Sha256Rule::Exact), None);
        assert_eq!(files[1].path(PathRule::Located).as_deref(), Some("x"));
        assert_eq!(files[2].path(PathRule::Located).as_deref(), Some("a"));
        assert!(files[2].notes.is_empty());
    }

    #[test]
    fn reads_findings_and_notes_entries_that_are_not_objects() {
        let v = json!({"vulnerabilities": [
            {"id": "PICKLE", "affects": [{"ref": "file:w.pkl"}, 3, {"ref": 4}],
             "properties": [
                {"name": "aibom:finding:code", "value": "pickle-dangerous-call"},
                {"name": "aibom:finding:path", "value": 1},
                {"name": "aibom:finding:path", "value": "w.pkl"},
                {"name": "aibom:finding:member", "value": "data.pkl"},
                {"name": "aibom:finding:offset", "value": "12"}]},
            "oops"
        ]});
        let d = Document::from_value(&v).unwrap();
        let (findings, notes) = d.findings();
        assert_eq!(findings.len(), 2);
        let f = &findings[0];
        assert!(f.is_readable());
        assert_eq!(f.at, "vulnerabilities[0]");
        assert_eq!(f.code, Some("pickle-dangerous-call"));
        assert_eq!((f.member, f.offset), (Some("data.pkl"), Some("12")));
        // The first string path, unless the first path property is asked for.
        assert_eq!(f.path, Some("w.pkl"));
        assert_eq!(f.first_path.str(), None);
        let refs: Vec<Option<&str>> = f.affects.iter().map(|r| r.str()).collect();
        assert_eq!(refs, [Some("file:w.pkl"), None, None]);
        assert!(!findings[1].is_readable());
        assert_eq!(findings[1].code, None);
        assert_eq!(
            notes,
            [Note {
                at: "vulnerabilities[1]".to_owned(),
                problem: Problem::NotAnObject { found: "a string" }
            }]
        );
        // The section itself is the document's note.
        let v = json!({"vulnerabilities": {}});
        let d = Document::from_value(&v).unwrap();
        assert!(d.findings().0.is_empty() && d.findings().1.is_empty());
        assert!(d.notes.iter().any(|n| n.at == "vulnerabilities"
            && n.problem == Problem::NotAnArray { found: "an object" }));
    }

    #[test]
    fn reads_the_lineage_and_notes_what_it_cannot() {
        let v = json!({
            "metadata": {"component": {"bom-ref": "m", "name": "m",
                "pedigree": {"ancestors": [{"name": "org/base"}, {"name": " "}, 7],
                             "notes": "base_model_relation: adapter"},
                "modelCard": {"properties": [
                    {"name": "aibom:card:base_model_relation", "value": "finetune"}]}}},
            "dependencies": [
                {"ref": "m", "dependsOn": ["a", 5, "b"], "provides": ["p"]},
                {"ref": " ", "dependsOn": [1]},
                "x"
            ]
        });
        let d = Document::from_value(&v).unwrap();
        let l = d.lineage();
        assert_eq!(l.base_models.len(), 3);
        assert_eq!(l.base_models[0].get("name").str(), Some("org/base"));
        assert_eq!(l.relation.as_deref(), Some("adapter"));
        assert_eq!(l.card_relation, Some("finetune"));
        assert_eq!(l.dependencies.len(), 3);
        let first = &l.dependencies[0];
        assert_eq!(first.from.str(), Some("m"));
        let to: Vec<Option<&str>> = first.depends_on.iter().map(|t| t.str()).collect();
        assert_eq!(to, [Some("a"), None, Some("b")]);
        assert_eq!(first.provides[0].str(), Some("p"));
        assert!(l.dependencies[2].from.value().is_none());
        let notes: Vec<(&str, Problem)> =
            l.notes.iter().map(|n| (n.at.as_str(), n.problem)).collect();
        assert_eq!(
            notes,
            [
                ("metadata.component.pedigree.ancestors[1]", Problem::Unnamed),
                ("metadata.component.pedigree.ancestors[2]", Problem::Unnamed),
                (
                    "dependencies[0].dependsOn[1]",
                    Problem::NotAString { found: "a number" }
                ),
                ("dependencies[1].ref", Problem::Missing),
                ("dependencies[2].ref", Problem::Missing),
            ]
        );
        // No model, no dependencies: nothing to read, and the document notes why.
        let v = json!({"bomFormat": "CycloneDX"});
        let d = Document::from_value(&v).unwrap();
        let l = d.lineage();
        assert!(l.base_models.is_empty() && l.dependencies.is_empty() && l.notes.is_empty());
        assert_eq!(l.relation, None);
    }

    #[test]
    fn reads_recorded_exceptions_and_notes_an_analysis_that_is_not_an_object() {
        let v = json!({"vulnerabilities": [
            {"id": "A", "properties": [
                {"name": "aibom:exception:reason", "value": "vetted"},
                {"name": "aibom:exception:expires", "value": "2099-01-01"},
                {"name": "aibom:exception:owner", "value": "ml-sec"}]},
            {"id": "B"},
            {"id": "C", "affects": [{"ref": "file:x"}],
             "analysis": {"state": "exploitable", "response": ["will_not_fix", 3],
                          "justification": "code_not_reachable", "detail": "d"}},
            {"id": "D", "analysis": {"state": "in_triage"}},
            {"id": "E", "analysis": "accepted"}
        ]});
        let d = Document::from_value(&v).unwrap();
        let (xs, notes) = d.exceptions();
        let ids: Vec<Option<&str>> = xs.iter().map(|x| x.finding.get("id").str()).collect();
        assert_eq!(ids, [Some("A"), Some("C"), Some("D"), Some("E")]);
        let a = &xs[0];
        assert_eq!(
            (a.reason, a.expires, a.owner),
            (Some("vetted"), Some("2099-01-01"), Some("ml-sec"))
        );
        let c = &xs[1];
        assert_eq!(c.state.str(), Some("exploitable"));
        assert_eq!(c.responses.len(), 2);
        assert_eq!(c.justification.str(), Some("code_not_reachable"));
        assert_eq!(c.detail.str(), Some("d"));
        assert_eq!(c.first_affected.str(), Some("file:x"));
        let accepts: Vec<bool> = xs.iter().map(ExceptionEntry::accepts).collect();
        assert_eq!(accepts, [true, true, false, false]);
        assert_eq!(
            notes,
            [Note {
                at: "vulnerabilities[4].analysis".to_owned(),
                problem: Problem::NotAnObject { found: "a string" }
            }]
        );
        assert!(xs[3].state.value().is_none());
    }

    #[test]
    fn reads_the_datasets_the_model_card_names() {
        let v = json!({"metadata": {"component": {"name": "m", "modelCard": {"modelParameters":
            {"datasets": [{"ref": "dataset:a"}, {"type": "dataset", "name": "inline"}, 5]}}}}});
        let d = Document::from_value(&v).unwrap();
        let (refs, notes) = d.dataset_refs();
        let read: Vec<(Option<&str>, bool)> = refs
            .iter()
            .map(|r| (r.reference.str(), r.entry.is_object()))
            .collect();
        assert_eq!(
            read,
            [(Some("dataset:a"), true), (None, true), (None, false)]
        );
        assert_eq!(
            notes,
            [Note {
                at: "metadata.component.modelCard.modelParameters.datasets[2]".to_owned(),
                problem: Problem::NotAnObject { found: "a number" }
            }]
        );
        // A list that is not an array is the document's note; nothing is read from it.
        let v = json!({"metadata": {"component": {"modelCard": {"modelParameters":
            {"datasets": "x"}}}}});
        let d = Document::from_value(&v).unwrap();
        assert!(d.dataset_refs().0.is_empty());
        assert!(d.notes.iter().any(|n| n.at
            == "metadata.component.modelCard.modelParameters.datasets"
            && n.problem == Problem::NotAnArray { found: "a string" }));
    }
}
