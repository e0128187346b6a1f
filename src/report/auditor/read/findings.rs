//! Findings (`vulnerabilities[]`) and the exceptions that accepted some of them.

use super::*;

pub(super) fn read_findings(
    doc: &read::Document<'_>,
    comps: &[Comp<'_>],
    by_ref: &BTreeMap<&str, usize>,
    identity: &Identity,
) -> Findings {
    let recorded =
        doc.vulnerabilities.is_array() || identity.tools.iter().any(|t| t.name == "aibom");
    let mut rows = Vec::new();
    for v in &doc.findings().0 {
        let id = v.get("id").text().unwrap_or_else(|| "(no id)".into());
        let code = v
            .code
            .and_then(|c| c.parse::<Code>().ok())
            .or_else(|| id.parse::<Code>().ok());
        let mut affected: Vec<String> = v
            .affects
            .iter()
            .filter_map(|r| r.text())
            .map(|reference| match by_ref.get(reference.as_str()) {
                Some(&i) => comps.get(i).map(|c| c.name.clone()).unwrap_or(reference),
                None if Some(&reference) == identity.bom_ref.as_ref() => {
                    identity.name.clone().unwrap_or(reference)
                }
                None => reference,
            })
            .collect();
        if affected.is_empty()
            && let Some(p) = v.path
        {
            affected.push(p.to_owned());
        }
        let accepted = v.exception().is_some_and(|x| x.accepts());
        rows.push(FindingRow {
            id,
            code,
            severity: v.severity(),
            affected,
            member: v.member.map(str::to_owned),
            offset: v.offset.map(str::to_owned),
            description: v.get("description").text(),
            detail: v.get("detail").text(),
            cwes: v
                .get("cwes")
                .items()
                .iter()
                .filter_map(Value::as_u64)
                .filter_map(|c| u32::try_from(c).ok())
                .collect(),
            accepted,
        });
    }
    // Most severe first; the document's order otherwise.
    rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Findings {
        recorded: recorded || !rows.is_empty(),
        rows,
    }
}

pub(super) fn read_exceptions(
    doc: &read::Document<'_>,
    findings: &Findings,
    files: &Files,
    configured: &[crate::config::Exception],
) -> Vec<ExceptionRow> {
    let mut rows = Vec::new();
    for x in doc.exceptions().0 {
        let mut analysed = Vec::new();
        if let Some(s) = x.state.text() {
            analysed.push(format!("state {s}"));
        }
        let responses: Vec<String> = x.responses.iter().filter_map(|r| r.text()).collect();
        if !responses.is_empty() {
            analysed.push(format!("response {}", responses.join(", ")));
        }
        if let Some(j) = x.justification.text() {
            analysed.push(format!("justification {j}"));
        }
        rows.push(ExceptionRow {
            finding: x
                .finding
                .get("id")
                .text()
                .unwrap_or_else(|| "(no id)".into()),
            path: x
                .finding
                .path
                .map(str::to_owned)
                .or_else(|| x.first_affected.text()),
            reason: x.reason.map(str::to_owned).or_else(|| x.detail.text()),
            expires: x.expires.map(str::to_owned),
            owner: x.owner.map(str::to_owned),
            sha256: None,
            source: "AIBOM (vulnerabilities[].analysis)".into(),
            matches: None,
            analysis: (!analysed.is_empty()).then(|| analysed.join("; ")),
        });
    }
    // The SHA-256 the AIBOM records for each file, for exceptions pinned to bytes.
    let recorded: BTreeMap<&str, crate::digest::Sha256> = files
        .rows
        .iter()
        .filter_map(|f| {
            let (_, hex) = f.hashes.iter().find(|(alg, _)| alg == "SHA-256")?;
            Some((f.path.as_str(), hex.parse().ok()?))
        })
        .collect();
    for x in configured {
        let matches = findings.rows.iter().any(|f| {
            let codes = std::iter::once(f.id.as_str()).chain(f.code.map(|c| c.as_str()));
            codes.into_iter().any(|code| {
                f.affected.iter().any(|path| {
                    x.matches(&crate::config::Subject {
                        code,
                        path,
                        sha256: recorded.get(path.as_str()),
                    })
                })
            })
        });
        rows.push(ExceptionRow {
            finding: x.code.to_string(),
            path: Some(x.path.clone()),
            reason: Some(x.reason.clone()),
            expires: x.expires.map(|d| d.to_string()),
            owner: x.owner.clone(),
            sha256: x.sha256.map(|d| d.to_hex()),
            source: "aibom.toml".into(),
            matches: Some(matches),
            analysis: None,
        });
    }
    rows
}
