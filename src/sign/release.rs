//! The release attestation (`<signature>.release`): an in-toto Statement v1 with predicate
//! [`RELEASE_PREDICATE`] that binds, for one signer, the model digest, the AIBOM's exact bytes
//! and every file of every release artifact (`[release]`), and records the release as signed:
//! its risk tier and its artifacts with their roles, paths and files.
//!
//! Subjects, in order:
//! 1. the model's root digest (as in the OMS signature);
//! 2. the AIBOM file, by the SHA-256 of its bytes;
//! 3. one per artifact, named `<role>:<path>`, whose digest is the artifact digest
//!    ([`artifact_digest`]): SHA-256 over the lines `<path>\0<sha256 hex>\n` of its files,
//!    sorted by path (byte order), paths relative to the release root.
//!
//! The predicate carries the same artifacts with their file lists, so a verifier names the file
//! that changed; [`parse`] recomputes every artifact digest from the listed files and refuses a
//! statement whose subjects and predicate disagree.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::manifest::{self, Entry, Irregular, Listing};
use super::statement::{Resource, STATEMENT_TYPE, check_name};
use crate::bom::read::Document;
use crate::digest::Sha256;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io;
use std::path::Path;

pub const RELEASE_PREDICATE: &str = "https://aibom.dev/attestation/release/v1";

/// One artifact of the release as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `dataset`, `prompts`, `evaluation`, `runtime-policy`.
    pub role: String,
    /// Relative to the release root.
    pub path: String,
    /// Every file, path relative to the release root, sorted by path.
    pub files: Vec<Resource>,
}

impl Artifact {
    /// The subject name: `<role>:<path>`.
    pub fn subject_name(&self) -> String {
        format!("{}:{}", self.role, self.path)
    }
}

/// The release as signed: tier, where the model sits, and the artifacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub tier: String,
    /// The model directory relative to the release root, when the AIBOM records it.
    pub model_path: Option<String>,
    pub artifacts: Vec<Artifact>,
}

impl Record {
    pub fn file_count(&self) -> usize {
        self.artifacts.iter().map(|a| a.files.len()).sum()
    }
}

/// A parsed release attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatement {
    pub model: Sha256,
    pub bom_sha256: Sha256,
    pub record: Record,
}

/// SHA-256 over `<path>\0<sha256 hex>\n` for each file, sorted by path (byte order).
pub fn artifact_digest(files: &[Resource]) -> Sha256 {
    let mut lines: Vec<(&str, String)> = files
        .iter()
        .map(|f| (f.name.as_str(), f.digest.to_hex()))
        .collect();
    lines.sort();
    let mut all = Vec::new();
    for (p, d) in lines {
        all.extend_from_slice(p.as_bytes());
        all.push(0);
        all.extend_from_slice(d.as_bytes());
        all.push(b'\n');
    }
    Sha256::of(&all)
}

/// The release attestation's statement bytes.
pub fn statement(
    model_name: &str,
    model: &Sha256,
    bom_name: &str,
    bom_sha256: &Sha256,
    record: &Record,
) -> serde_json::Result<Vec<u8>> {
    let mut subjects = vec![
        json!({"name": model_name, "digest": {"sha256": model.to_hex()}}),
        json!({"name": bom_name, "digest": {"sha256": bom_sha256.to_hex()}}),
    ];
    let mut artifacts = Vec::new();
    for a in &record.artifacts {
        subjects.push(json!({
            "name": a.subject_name(),
            "digest": {"sha256": artifact_digest(&a.files).to_hex()},
        }));
        let files: Vec<Value> = a
            .files
            .iter()
            .map(|f| json!({"path": f.name, "sha256": f.digest.to_hex()}))
            .collect();
        artifacts.push(json!({
            "role": a.role,
            "path": a.path,
            "file-count": a.files.len(),
            "files": files,
        }));
    }
    let mut predicate = json!({"tier": record.tier, "artifacts": artifacts});
    if let (Some(p), Some(o)) = (&record.model_path, predicate.as_object_mut()) {
        o.insert("model-path".into(), json!(p));
    }
    serde_json::to_vec(&json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": RELEASE_PREDICATE,
        "predicate": predicate,
    }))
}

fn digest_of(subject: &Value) -> Result<Sha256, String> {
    subject
        .get("digest")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .ok_or_else(|| "a subject without a sha256 digest".to_owned())?
        .parse()
}

fn str_of<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}: no {key}"))
}

/// Parses and checks a release attestation's statement: type, predicate, names, and every
/// artifact subject equal to the digest of the files its predicate lists.
/// The directory `--stage` copies the model into before it is moved to its path: no release
/// artifact may be named so.
pub const STAGE_MODEL_DIR: &str = ".aibom-model";

pub fn parse(payload: &[u8]) -> Result<ReleaseStatement, String> {
    let v: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("_type").and_then(Value::as_str) != Some(STATEMENT_TYPE) {
        return Err(format!("_type is not {STATEMENT_TYPE:?}"));
    }
    let pt = v.get("predicateType").and_then(Value::as_str).unwrap_or("");
    if pt != RELEASE_PREDICATE {
        return Err(format!(
            "predicateType {pt:?}, not a release attestation ({RELEASE_PREDICATE})"
        ));
    }
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or("no subject list")?;
    let (model, rest) = subjects.split_first().ok_or("no model subject")?;
    let (bom, rest) = rest.split_first().ok_or("no AIBOM subject")?;
    let model = digest_of(model)?;
    let bom_sha256 = digest_of(bom)?;
    let p = v.get("predicate").ok_or("no predicate")?;
    let tier = str_of(p, "tier", "predicate")?.to_owned();
    // Exactly one of the tiers a policy names: a tier written otherwise (`HIGH`) would match
    // no `[verify.tier.*]` entry and fall to the default one.
    if tier.parse::<crate::config::RiskTier>().is_err() {
        return Err(format!(
            "predicate: tier {tier:?} is not one of low, medium, high, critical"
        ));
    }
    let model_path = p
        .get("model-path")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Paths under the release root: plain relative names (no `..`, no absolute path), none
    // inside another, and none the stage's own model directory.
    if let Some(mp) = &model_path {
        check_name(mp).map_err(|why| format!("predicate: model-path {mp:?} {why}"))?;
    }
    let listed = p
        .get("artifacts")
        .and_then(Value::as_array)
        .ok_or("predicate: no artifacts")?;
    if listed.len() != rest.len() {
        return Err(format!(
            "{} artifact subjects for {} artifacts in the predicate",
            rest.len(),
            listed.len()
        ));
    }
    let mut artifacts = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, (a, s)) in listed.iter().zip(rest).enumerate() {
        let at = format!("artifact {i}");
        let role = str_of(a, "role", &at)?.to_owned();
        let path = str_of(a, "path", &at)?.to_owned();
        check_name(&path).map_err(|why| format!("{at}: path {path:?} {why}"))?;
        if path.split('/').next() == Some(STAGE_MODEL_DIR) {
            return Err(format!("{at}: path {path:?} is a name the stage reserves"));
        }
        if let Some(mp) = &model_path
            && (path == *mp || manifest::ignores(mp, &path) || manifest::ignores(&path, mp))
        {
            return Err(format!(
                "{at}: path {path:?} overlaps the model directory {mp:?}"
            ));
        }
        let mut files = Vec::new();
        for f in a
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = str_of(f, "path", &at)?.to_owned();
            check_name(&name).map_err(|why| format!("{at}: file {name:?} {why}"))?;
            if !(name == path || manifest::ignores(&path, &name)) {
                return Err(format!("{at}: file {name:?} is not under {path:?}"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("file {name:?} is listed twice"));
            }
            let digest = str_of(f, "sha256", &at)?.parse()?;
            files.push(Resource { name, digest });
        }
        if a.get("file-count").and_then(Value::as_u64) != u64::try_from(files.len()).ok() {
            return Err(format!(
                "{at}: file-count is not the number of files listed"
            ));
        }
        let art = Artifact { role, path, files };
        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
        if name != art.subject_name() {
            return Err(format!(
                "subject {name:?} is not the artifact {:?}",
                art.subject_name()
            ));
        }
        let signed = digest_of(s)?;
        let computed = artifact_digest(&art.files);
        if signed != computed {
            return Err(format!(
                "subject {name:?} has digest {signed}, its listed files give {computed}"
            ));
        }
        artifacts.push(art);
    }
    Ok(ReleaseStatement {
        model,
        bom_sha256,
        record: Record {
            tier,
            model_path,
            artifacts,
        },
    })
}

/// The release an AIBOM records (`None`: it records none): tier and artifacts with every
/// file's SHA-256. `Err` names what is missing or unreadable.
pub fn record_from_bom(doc: &Document<'_>) -> Result<Option<Record>, String> {
    let artifacts = doc.release_artifacts();
    let tier = doc.release_tier();
    if artifacts.is_empty() && tier.is_none() {
        return Ok(None);
    }
    let tier = tier.ok_or("the AIBOM records release artifacts but no aibom:release:tier")?;
    let mut out = Vec::new();
    for a in artifacts {
        let path = a
            .path
            .ok_or_else(|| format!("release artifact {} has no aibom:release:path", a.role))?;
        let mut files = Vec::new();
        for f in &a.files {
            let digest = f
                .sha256
                .ok_or_else(|| format!("release file {} has no SHA-256", f.path))?;
            files.push(Resource {
                name: f.path.to_owned(),
                digest,
            });
        }
        files.sort_by(|x, y| x.name.cmp(&y.name));
        out.push(Artifact {
            role: a.role.to_owned(),
            path: path.to_owned(),
            files,
        });
    }
    Ok(Some(Record {
        tier: tier.to_owned(),
        model_path: doc
            .model
            .and_then(|m| m.property("aibom:release:path"))
            .map(str::to_owned),
        artifacts: out,
    }))
}

/// Lists an artifact under `root`: a directory walked with the model directory's rules (its
/// `.git` and the other default ignores pruned), or one regular file. Names are relative to
/// the release root. A path that does not exist gives an empty listing (every file missing).
pub fn list_artifact(root: &Path, path: &str) -> io::Result<Listing> {
    let full = root.join(path);
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Listing::default()),
        Err(e) => return Err(e),
    };
    let mut out = Listing::default();
    // A link on the way to the artifact (`data -> /elsewhere`) would take it out of the
    // release root: the files checked would not be the ones under the root.
    if !meta.file_type().is_symlink() {
        let canonical = std::fs::canonicalize(&full)?;
        let expected = std::fs::canonicalize(root)?.join(path);
        if canonical != expected {
            out.irregular.push(Irregular::Symlink {
                name: path.to_owned(),
                target: canonical.display().to_string(),
            });
            return Ok(out);
        }
    }
    if meta.file_type().is_symlink() {
        out.irregular.push(Irregular::Symlink {
            name: path.to_owned(),
            target: std::fs::read_link(&full)
                .map(|t| t.display().to_string())
                .unwrap_or_default(),
        });
    } else if meta.is_file() {
        out.entries.push(Entry {
            name: path.to_owned(),
            path: full,
            size: meta.len(),
            link: false,
        });
    } else if meta.is_dir() {
        let ignored: Vec<String> = super::statement::DEFAULT_IGNORES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let inner = manifest::list(&full, &ignored, false)?;
        let prefix = |n: &str| format!("{path}/{n}");
        out.entries = inner
            .entries
            .into_iter()
            .map(|mut e| {
                e.name = prefix(&e.name);
                e
            })
            .collect();
        out.irregular = inner
            .irregular
            .into_iter()
            .map(|i| match i {
                Irregular::Symlink { name, target } => Irregular::Symlink {
                    name: prefix(&name),
                    target,
                },
                Irregular::Incomplete { name } => Irregular::Incomplete {
                    name: prefix(&name),
                },
                Irregular::NotUtf8 { path: p } => Irregular::NotUtf8 { path: prefix(&p) },
                Irregular::Special { name, kind } => Irregular::Special {
                    name: prefix(&name),
                    kind,
                },
                Irregular::BadName { name, why } => Irregular::BadName {
                    name: prefix(&name),
                    why,
                },
            })
            .collect();
    } else {
        out.irregular.push(Irregular::Special {
            name: path.to_owned(),
            kind: "special file",
        });
    }
    Ok(out)
}

/// Re-hashes every artifact of `record` under `root` (one parallel pass) and returns the
/// record as found on disk, for `sign` to compare with the AIBOM. `Err`: a file that cannot
/// be read, or an irregular entry (links, FIFOs, ... are never signed).
pub fn hash_under(root: &Path, record: &Record) -> Result<Record, String> {
    let mut listings = Vec::new();
    for a in &record.artifacts {
        let l = list_artifact(root, &a.path).map_err(|e| format!("{}: {e}", a.path))?;
        if let Some(i) = l.irregular.first() {
            return Err(format!("release artifact {}: {i}", a.path));
        }
        listings.push(l);
    }
    let mut artifacts = Vec::new();
    for (a, l) in record.artifacts.iter().zip(&listings) {
        let mut files = manifest::resources(&l.entries).map_err(|e| e.to_string())?;
        files.sort_by(|x, y| x.name.cmp(&y.name));
        artifacts.push(Artifact {
            role: a.role.clone(),
            path: a.path.clone(),
            files,
        });
    }
    Ok(Record {
        tier: record.tier.clone(),
        model_path: record.model_path.clone(),
        artifacts,
    })
}

/// The release root when none is given: the model directory `dir` minus the model path the
/// release records (`model` in `[release]`), e.g. `/srv/rel` for `/srv/rel/model`.
pub fn default_root(dir: &Path, model_path: Option<&str>) -> Result<std::path::PathBuf, String> {
    let Some(mp) = model_path else {
        return Err(
            "the release does not record where the model sits (release.model): give --release-root"
                .to_owned(),
        );
    };
    // The path as given, made absolute without resolving links: the root is the directory
    // the model sits in as the server sees it, never where a link to it leads.
    let given = std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut root = given.as_path();
    for c in mp.split('/').rev() {
        if root.file_name().and_then(|n| n.to_str()) != Some(c) {
            return Err(format!(
                "{} does not end with the release's model path {mp:?}: give --release-root",
                given.display()
            ));
        }
        root = root.parent().ok_or("no parent directory")?;
    }
    model_inside(root, dir, mp)?;
    Ok(root.to_path_buf())
}

/// The model directory `dir` must be `<root>/<model path>` once links are resolved: a model
/// directory that is a link to another tree (a decoy copy of the release beside the one that
/// is served) is refused.
pub fn model_inside(root: &Path, dir: &Path, mp: &str) -> Result<(), String> {
    let real_dir = std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let real_root = std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
    if real_dir != real_root.join(mp) {
        return Err(format!(
            "the model directory {} resolves to {}, not to {mp} under the release root {}: a link takes the model out of the release",
            dir.display(),
            real_dir.display(),
            real_root.display()
        ));
    }
    Ok(())
}

/// How a record found on disk differs from the one expected: the first difference, named.
pub fn first_difference(expected: &Record, found: &Record) -> Option<String> {
    for (e, f) in expected.artifacts.iter().zip(&found.artifacts) {
        let ef: std::collections::BTreeMap<&str, Sha256> = e
            .files
            .iter()
            .map(|r| (r.name.as_str(), r.digest))
            .collect();
        let ff: std::collections::BTreeMap<&str, Sha256> = f
            .files
            .iter()
            .map(|r| (r.name.as_str(), r.digest))
            .collect();
        for (n, d) in &ef {
            match ff.get(n) {
                None => return Some(format!("{n} is missing")),
                Some(x) if x != d => return Some(format!("{n} has SHA-256 {x}, recorded {d}")),
                _ => {}
            }
        }
        if let Some(n) = ff.keys().find(|n| !ef.contains_key(*n)) {
            return Some(format!("{n} is not recorded"));
        }
    }
    (expected != found).then(|| "the artifacts differ".to_owned())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn r(name: &str, b: &[u8]) -> Resource {
        Resource {
            name: name.into(),
            digest: Sha256::of(b),
        }
    }

    fn record() -> Record {
        Record {
            tier: "high".into(),
            model_path: Some("model".into()),
            artifacts: vec![Artifact {
                role: "prompts".into(),
                path: "prompts".into(),
                files: vec![r("prompts/a.txt", b"a"), r("prompts/b.txt", b"b")],
            }],
        }
    }

    #[test]
    fn artifact_digest_is_sha256_of_sorted_path_nul_hex_lines() {
        let files = vec![r("p/b", b"b"), r("p/a", b"a")];
        let text = format!(
            "p/a\0{}\np/b\0{}\n",
            Sha256::of(b"a").to_hex(),
            Sha256::of(b"b").to_hex()
        );
        assert_eq!(artifact_digest(&files), Sha256::of(text.as_bytes()));
    }

    #[test]
    fn a_release_statement_round_trips() {
        let bytes = statement(
            "m",
            &Sha256::of(b"m"),
            "b.json",
            &Sha256::of(b"b"),
            &record(),
        )
        .unwrap();
        let s = parse(&bytes).unwrap();
        assert_eq!(s.record, record());
        assert_eq!(s.model, Sha256::of(b"m"));
        assert_eq!(s.bom_sha256, Sha256::of(b"b"));
    }

    #[test]
    fn refuses_a_predicate_file_list_that_disagrees_with_its_subject() {
        let bytes = statement(
            "m",
            &Sha256::of(b"m"),
            "b.json",
            &Sha256::of(b"b"),
            &record(),
        )
        .unwrap();
        let mut v: Value = serde_json::from_slice(&bytes).unwrap();
        v["predicate"]["artifacts"][0]["files"][0]["sha256"] = json!(Sha256::of(b"other").to_hex());
        let err = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(err.contains("its listed files give"), "{err}");
    }

    /// `rec` written into a release statement and parsed back.
    fn signed(rec: &Record) -> Result<ReleaseStatement, String> {
        parse(&statement("m", &Sha256::of(b"m"), "b", &Sha256::of(b"b"), rec).unwrap())
    }

    #[test]
    fn refuses_a_file_outside_its_artifact_and_a_climbing_path() {
        let mut rec = record();
        rec.artifacts[0].files.push(r("data/x", b"x"));
        assert!(signed(&rec).unwrap_err().contains("is not under"));
        let mut rec = record();
        rec.artifacts[0].path = "../x".into();
        assert!(signed(&rec).unwrap_err().contains("climbs"));
    }

    #[test]
    fn refuses_a_tier_off_the_list_a_climbing_model_path_and_overlapping_paths() {
        let mut rec = record();
        rec.tier = "HIGH".into();
        assert!(signed(&rec).unwrap_err().contains("tier"));
        for mp in ["../model", "/srv/model", "a/../b"] {
            let mut rec = record();
            rec.model_path = Some(mp.into());
            assert!(signed(&rec).unwrap_err().contains("model-path"), "{mp}");
        }
        // An artifact at the model's path or inside it, or named like the stage's own model
        // directory.
        for (path, file) in [
            ("model", "model/x"),
            ("model/sub", "model/sub/x"),
            (".aibom-model", ".aibom-model/pytorch_model.bin"),
        ] {
            let mut rec = record();
            rec.artifacts[0].path = path.into();
            rec.artifacts[0].files = vec![r(file, b"x")];
            assert!(signed(&rec).is_err(), "{path}");
        }
        assert!(signed(&record()).is_ok());
    }
}
