//! SARIF 2.1.0 output (`aibom scan --format sarif`), shaped for GitHub code scanning.
//!
//! Spec: <https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html>;
//! the output is tested against the OASIS schema vendored in `schemas/sarif/`. What GitHub
//! additionally needs (docs.github.com "SARIF support for code scanning"; the issues cited in
//! `shared/research/ecosystem.md` §1) decides the shape:
//!
//! - one run, `tool.driver.rules` holding every [`Code`] (so `ruleIndex` is the code's position
//!   in [`Code::ALL`] and a rule's index never depends on what a scan found); each rule has
//!   `properties["security-severity"]` as a numeric string and `tags` `security`,
//!   `external/cwe/cwe-N` and its kind;
//! - every result has one `physicalLocation` whose `uri` is relative (GitHub ignores
//!   `originalUriBaseIds`, so `uriBaseId` is not used) and a `region` with `startLine: 1`:
//!   model files are binary and a finding is about the whole file. `region.byteOffset` is added
//!   only when the offset is into the file itself; an offset inside an archive member or a
//!   nested stream is not a file offset, so it stays in the message and `properties`;
//! - `partialFingerprints["aibomFinding/v1"]` keeps an alert the same alert across runs (see
//!   [`fingerprint`]);
//! - a finding accepted by an `[[exception]]` of `aibom.toml` is still a result, with
//!   `suppressions: [{kind: "external", status: "accepted", justification: <reason>}]` and the
//!   same fingerprint, so a code-scanning alert shows as suppressed rather than fixed; an expired
//!   or unused exception is a `toolConfigurationNotification` of the invocation.
//!
//! Paths: a target given as a relative path (`models`, `./models/x.pt`) prefixes its files'
//! paths, so that a scan run from the repository root yields repository-relative URIs; a target
//! given as an absolute path (or one climbing out with `..`) contributes nothing, and its files
//! are named relative to it. A single-file target is recognised by its one file being named like
//! the target's last component.
//!
//! Output is deterministic: targets in command-line order, files by path, findings by location
//! and code; typed structs (no hash map reaches the output); no timestamps.

use crate::finding::{Code, Finding, Kind, Severity};
use crate::scan::exceptions::{Excepted, Outcome, Status};
use crate::scan::{FileReport, ScanReport, TargetReport};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Component, Path};

/// The `$schema` written: the OASIS errata 01 schema, the one vendored in `schemas/sarif/`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of aibom's partial fingerprint; bump the version if its input ever changes.
pub const FINGERPRINT_KEY: &str = "aibomFinding/v1";

pub fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let log = build(report);
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

// ---- wire types (the subset of SARIF 2.1.0 aibom writes) ----

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: [Invocation; 1],
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
    properties: DriverProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriverProperties {
    policy_version: String,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_configuration_notifications: Vec<Notification>,
    properties: InvocationProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<RuleReference>,
}

#[derive(Serialize)]
struct RuleReference {
    id: &'static str,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvocationProperties {
    fail_on: Severity,
    strict: bool,
    /// Files that could not be read (the scan is incomplete when > 0).
    unreadable: u64,
}

#[derive(Serialize, Debug)]
struct Artifact {
    location: ArtifactUri,
    length: u64,
    roles: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    hashes: Option<Hashes>,
    properties: ArtifactProperties,
}

#[derive(Serialize, Debug)]
struct ArtifactUri {
    uri: String,
}

#[derive(Serialize, Debug)]
struct Hashes {
    /// The IANA "Hash Function Textual Names" spelling, as SARIF §3.24.11 asks.
    #[serde(rename = "sha-256")]
    sha256: String,
}

#[derive(Serialize, Debug)]
struct ArtifactProperties {
    format: crate::detect::Format,
    verdict: crate::scan::Verdict,
    /// Findings counted but not listed (a per-file cap), per code.
    #[serde(rename = "cappedFindings", skip_serializing_if = "BTreeMap::is_empty")]
    capped_findings: BTreeMap<crate::finding::Code, u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [ResultLocation; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression; 1]>,
    properties: ResultProperties,
}

/// SARIF §3.35: `external` because the exception lives in `aibom.toml`, not in the file.
#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SuppressionProperties>,
}

#[derive(Serialize)]
struct SuppressionProperties {
    expires: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<u64>,
}

/// The finding's own data: its severity (which a policy may have changed from the rule's
/// default), where it is inside the file, its evidence, and the file's digest.
#[derive(Serialize)]
struct ResultProperties {
    severity: Severity,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    opcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

// ---- report -> log ----

fn build(report: &ScanReport) -> Log {
    let mut artifacts: Vec<Artifact> = Vec::new();
    // Identical artifacts (two absolute targets holding the same file) are listed once:
    // the schema wants `artifacts` unique.
    let mut artifact_index: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::new();
    let mut seen_fingerprints: HashMap<String, u32> = HashMap::new();

    for target in &report.targets {
        let prefix = uri_prefix(target);
        let uri_of = |rel: &str| join_uri(prefix.as_deref(), rel);

        // The target's files, by relative path, with their artifact index.
        let mut files: BTreeMap<&str, (&FileReport, usize)> = BTreeMap::new();
        for f in &target.files {
            let a = artifact(f, uri_of(&f.path));
            // Identical artifacts (same location and content) are listed once.
            let key = format!("{a:?}");
            let index = *artifact_index.entry(key).or_insert_with(|| {
                artifacts.push(a);
                artifacts.len() - 1
            });
            files.insert(f.path.as_str(), (f, index));
        }

        // Tree findings, then each file's; active and excepted findings merged back into the
        // scan's order (location, code), so that excepting a finding does not renumber others.
        let groups = std::iter::once((&target.findings, &target.excepted))
            .chain(target.files.iter().map(|f| (&f.findings, &f.excepted)));
        for (active, excepted) in groups {
            let mut all: Vec<(&Finding, Option<&Excepted>)> = active
                .iter()
                .map(|f| (f, None))
                .chain(excepted.iter().map(|x| (&x.finding, Some(x))))
                .collect();
            all.sort_by(|(a, _), (b, _)| (&a.location, a.code).cmp(&(&b.location, b.code)));
            for (finding, excepted) in all {
                let file = files.get(finding.location.path.as_str()).copied();
                let uri = uri_of(&finding.location.path);
                let fp = fingerprint(finding, &uri);
                let n = seen_fingerprints.entry(fp.clone()).or_insert(0);
                *n += 1;
                let mut r = result(finding, uri, file, format!("{fp}:{n}"));
                r.suppressions = excepted.map(suppression);
                results.push(r);
            }
        }
    }

    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: report.tool.name,
                    version: report.tool.version,
                    semantic_version: report.tool.version,
                    rules: Code::ALL.iter().map(|&c| rule(c)).collect(),
                    properties: DriverProperties {
                        policy_version: report.tool.policy_version.clone(),
                    },
                },
            },
            invocations: [Invocation {
                execution_successful: report.summary.unreadable == 0,
                tool_configuration_notifications: report
                    .exceptions
                    .iter()
                    .filter_map(notification)
                    .collect(),
                properties: InvocationProperties {
                    fail_on: report.fail_on,
                    strict: report.strict,
                    unreadable: report.summary.unreadable,
                },
            }],
            artifacts,
            results,
        }],
    }
}

fn artifact(f: &FileReport, uri: String) -> Artifact {
    Artifact {
        location: ArtifactUri { uri },
        length: f.size,
        roles: ["analysisTarget"],
        hashes: f.sha256.map(|d| Hashes { sha256: d.to_hex() }),
        properties: ArtifactProperties {
            format: f.format,
            verdict: f.verdict,
            capped_findings: f.capped_findings.clone(),
        },
    }
}

fn suppression(x: &Excepted) -> [Suppression; 1] {
    [Suppression {
        kind: "external",
        status: "accepted",
        justification: x.reason.clone(),
        properties: x.expires.map(|d| SuppressionProperties {
            expires: d.to_string(),
        }),
    }]
}

/// An exception that did not apply: expired (its findings are active again) or unused.
fn notification(o: &Outcome) -> Option<Notification> {
    let (level, what) = match o.status {
        Status::Applied => return None,
        Status::Expired => (
            "warning",
            format!(
                "expired on {}; the {} findings it named are active again",
                o.expires.map_or_else(|| "?".to_owned(), |d| d.to_string()),
                o.matched
            ),
        ),
        Status::Unused => ("note", "matched no finding".to_owned()),
    };
    Some(Notification {
        level,
        message: Text {
            text: format!(
                "the exception for {} in {} ({}) {what}",
                o.code, o.path, o.reason
            ),
        },
        associated_rule: Some(RuleReference {
            id: o.code.as_str(),
            index: rule_index(o.code),
        }),
    })
}

fn rule(code: Code) -> Rule {
    let kind = kind_str(code.kind());
    let mut tags = vec!["security".to_owned()];
    if let Some(cwe) = code.cwe() {
        tags.push(format!("external/cwe/cwe-{cwe}"));
    }
    if !tags.iter().any(|t| t == kind) {
        tags.push(kind.to_owned());
    }
    let severity = code.default_severity();
    let mut full = format!(
        "{}. {} Default severity: {severity}.",
        capitalize(code.summary()),
        kind_sentence(code.kind())
    );
    if let Some(cwe) = code.cwe() {
        full.push_str(&format!(" CWE-{cwe}."));
    }
    Rule {
        id: code.as_str(),
        name: pascal_case(code.as_str()),
        short_description: Text {
            text: code.summary().to_owned(),
        },
        full_description: Text { text: full },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: security_severity(severity),
            precision: "high",
        },
    }
}

fn result(
    f: &Finding,
    uri: String,
    file: Option<(&FileReport, usize)>,
    fingerprint: String,
) -> SarifResult {
    let loc = &f.location;
    let mut text = if f.message.trim().is_empty() {
        f.code.summary().to_owned()
    } else {
        f.message.clone()
    };
    match (&loc.member, loc.offset) {
        (Some(m), Some(o)) => text.push_str(&format!(" (in {m}, at byte {o})")),
        (Some(m), None) => text.push_str(&format!(" (in {m})")),
        (None, Some(o)) => text.push_str(&format!(" (at byte {o})")),
        (None, None) => {}
    }
    let ev = &f.evidence;
    SarifResult {
        rule_id: f.code.as_str(),
        rule_index: rule_index(f.code),
        level: level(f.severity),
        message: Text { text },
        locations: [ResultLocation {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri,
                    index: file.map(|(_, i)| i),
                },
                region: Region {
                    start_line: 1,
                    // An offset inside a member is not an offset into the file.
                    byte_offset: if loc.member.is_none() {
                        loc.offset
                    } else {
                        None
                    },
                },
            },
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        suppressions: None,
        properties: ResultProperties {
            severity: f.severity,
            kind: f.code.kind(),
            member: loc.member.clone(),
            offset: loc.offset,
            module: ev.module.clone(),
            name: ev.name.clone(),
            opcode: ev.opcode.clone(),
            rule: ev.rule.clone(),
            expected: ev.expected.clone(),
            actual: ev.actual.clone(),
            sha256: file.and_then(|(f, _)| f.sha256).map(|d| d.to_hex()),
        },
    }
}

/// Hex SHA-256 over what identifies a finding independently of the run: its code, the file's
/// URI, the member and the evidence. Not the byte offset, the message or the file's digest, so
/// the alert survives edits elsewhere in the file; nothing from other files. [`build`] appends
/// `:N`, the occurrence of that hash in the run (as CodeQL's `primaryLocationLineHash` does), so
/// that repeated findings (the same global imported twice) stay distinct.
fn fingerprint(f: &Finding, uri: &str) -> String {
    let ev = &f.evidence;
    // A JSON array is an unambiguous encoding of the fields (no separator can be forged).
    let fields = serde_json::json!([
        f.code.as_str(),
        uri,
        f.location.member,
        ev.module,
        ev.name,
        ev.opcode,
        ev.rule,
        ev.expected,
        ev.actual,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

fn rule_index(code: Code) -> usize {
    Code::ALL
        .iter()
        .position(|&c| c == code)
        .unwrap_or_default()
}

/// SARIF `level`: what a reader must do about it.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score as a string): over 9.0 is shown as
/// critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn kind_str(k: Kind) -> &'static str {
    match k {
        Kind::Security => "security",
        Kind::Integrity => "integrity",
        Kind::Coverage => "coverage",
    }
}

fn kind_sentence(k: Kind) -> &'static str {
    match k {
        Kind::Security => "Security finding: loading the file could run code or touch the system.",
        Kind::Integrity => "Integrity finding: the bytes are broken, ambiguous or inconsistent.",
        Kind::Coverage => "Coverage finding: the file could not be fully inspected.",
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `pickle-dangerous-global` -> `PickleDangerousGlobal`.
fn pascal_case(code: &str) -> String {
    code.split('-').map(capitalize).collect()
}

// ---- paths -> URIs ----

/// The URI prefix of a target's files: the target as given when it is a relative path inside
/// the working directory, `/`-separated and without `.` components; None when it is absolute or
/// climbs out with `..` (a URI with `..` or a leading `/` is not repository-relative).
fn uri_prefix(target: &TargetReport) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(&target.root).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    // A file target: its one file is named after the target's last component, and the target
    // itself is that file's path.
    if let [only] = target.files.as_slice()
        && target.findings.is_empty()
        && parts.last().is_some_and(|last| *last == only.path)
    {
        parts.pop();
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

fn join_uri(prefix: Option<&str>, rel: &str) -> String {
    let path = match prefix {
        Some(p) if rel.is_empty() => p.to_owned(),
        Some(p) => format!("{p}/{rel}"),
        None => rel.to_owned(),
    };
    let uri = percent_encode_path(&path);
    if uri.is_empty() { ".".to_owned() } else { uri }
}

/// Percent-encodes everything outside RFC 3986 `pchar` and `/` (and `:` too: a first segment
/// with a colon would read as a scheme).
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Format;
    use crate::finding::{Evidence, Location};
    use crate::scan::{Summary, Tool as ScanTool, Verdict};

    fn file(path: &str) -> FileReport {
        FileReport {
            path: path.into(),
            link: None,
            format: Format::Pickle,
            size: 3,
            sha256: None,
            verdict: Verdict::Clean,
            findings: Vec::new(),
            capped_findings: Default::default(),
            excepted: Vec::new(),
            facts: Default::default(),
            facts_raw: None,
            content: None,
        }
    }

    fn target(root: &str, files: &[&str]) -> TargetReport {
        TargetReport {
            root: root.into(),
            files: files.iter().map(|p| file(p)).collect(),
            findings: Vec::new(),
            excepted: Vec::new(),
        }
    }

    fn finding(code: Code, path: &str, offset: Option<u64>) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            location: Location {
                path: path.into(),
                member: None,
                offset,
            },
            message: "m".into(),
            evidence: Evidence::global("os", "system", "REDUCE"),
        }
    }

    #[test]
    fn relative_targets_prefix_uris_and_absolute_ones_do_not() {
        let dir = target("models", &["a.pkl", "b/c.pt"]);
        assert_eq!(uri_prefix(&dir).as_deref(), Some("models"));
        assert_eq!(
            uri_prefix(&target("./models/./v1/", &["a.pkl"])).as_deref(),
            Some("models/v1")
        );
        assert_eq!(uri_prefix(&target(".", &["a.pkl"])), None);
        assert_eq!(uri_prefix(&target("/srv/models", &["a.pkl"])), None);
        assert_eq!(uri_prefix(&target("../models", &["a.pkl"])), None);
        assert_eq!(uri_prefix(&target("models/../x", &["a.pkl"])), None);
    }

    #[test]
    fn a_file_target_is_named_by_its_own_path() {
        assert_eq!(
            uri_prefix(&target("models/x.pkl", &["x.pkl"])).as_deref(),
            Some("models")
        );
        assert_eq!(uri_prefix(&target("x.pkl", &["x.pkl"])), None);
        assert_eq!(uri_prefix(&target("/tmp/x.pkl", &["x.pkl"])), None);
    }

    #[test]
    fn percent_encodes_characters_outside_a_uri_path() {
        assert_eq!(
            join_uri(Some("m"), "a b/c#1:2%.pkl"),
            "m/a%20b/c%231%3A2%25.pkl"
        );
        assert_eq!(join_uri(None, "é.bin"), "%C3%A9.bin");
        assert_eq!(
            join_uri(None, "dir/model-v1_2~x.safetensors"),
            "dir/model-v1_2~x.safetensors"
        );
    }

    #[test]
    fn rule_names_are_pascal_case_and_tags_do_not_repeat() {
        assert_eq!(
            pascal_case("pickle-dangerous-global"),
            "PickleDangerousGlobal"
        );
        let r = rule(Code::PickleDangerousGlobal);
        assert_eq!(r.properties.tags, ["security", "external/cwe/cwe-502"]);
        assert_eq!(r.properties.security_severity, "9.5");
        assert_eq!(r.default_configuration.level, "error");
        let r = rule(Code::ZipMalformed);
        assert_eq!(r.properties.tags, ["security", "integrity"]);
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn fingerprints_ignore_offsets_and_number_repeats() {
        let a = finding(Code::PickleDangerousCall, "x.pkl", Some(10));
        let b = finding(Code::PickleDangerousCall, "x.pkl", Some(99));
        assert_eq!(fingerprint(&a, "x.pkl"), fingerprint(&b, "x.pkl"));
        assert_ne!(fingerprint(&a, "x.pkl"), fingerprint(&a, "y.pkl"));

        let mut t = target("m", &["x.pkl"]);
        t.files[0].findings = vec![a, b];
        let report = ScanReport {
            report_version: "1",
            tool: ScanTool {
                name: "aibom",
                version: "0.0.0",
                policy_version: "p".into(),
            },
            fail_on: Severity::High,
            strict: false,
            targets: vec![t],
            exceptions: Vec::new(),
            summary: Summary::default(),
            recorded_summary: None,
            shard: None,
        };
        let log = build(&report);
        let fps: Vec<&str> = log.runs[0]
            .results
            .iter()
            .map(|r| r.partial_fingerprints[FINGERPRINT_KEY].as_str())
            .collect();
        assert!(fps[0].ends_with(":1") && fps[1].ends_with(":2"), "{fps:?}");
        assert_eq!(fps[0].trim_end_matches(":1"), fps[1].trim_end_matches(":2"));
        let loc = &log.runs[0].results[0].locations[0].physical_location;
        assert_eq!(loc.artifact_location.uri, "m/x.pkl");
        assert_eq!(loc.artifact_location.index, Some(0));
        assert_eq!(loc.region.byte_offset, Some(10));
    }
}
