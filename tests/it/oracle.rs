//! Differential oracle: CPython's own unpickler, with `find_class` replaced by a recorder that
//! returns inert stubs (tests/oracle/oracle.py), shows which globals a real load resolves. On
//! every sample, aibom must report at least those.

use crate::support::*;
use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn aibom_reports_every_global_cpython_resolves() {
    let out = Command::new("python3")
        .arg(repo().join("tests/oracle/oracle.py"))
        .arg("samples")
        .current_dir(repo())
        .output()
        .expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let oracle: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    let (_, report) = scan_json(&samples(), &[]);

    // (file path relative to samples/, module, name) that aibom saw.
    let mut seen = BTreeSet::new();
    for t in report["targets"].as_array().unwrap() {
        for f in t["files"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap().to_owned();
            for g in f["facts"]["globals"].as_array().into_iter().flatten() {
                seen.insert((
                    path.clone(),
                    g["module"].as_str().unwrap().to_owned(),
                    g["name"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for entry in oracle.as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        let path = path.strip_prefix("samples/").unwrap_or(path);
        // What any of CPython's readers resolved, nested loads included.
        let mut resolved = Vec::new();
        collect(entry, &mut resolved);
        for engine in entry["engines"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
        {
            collect(engine, &mut resolved);
        }
        for (m, n) in &resolved {
            let (m, n) = (m.as_str(), n.as_str());
            if m == "<ext>" {
                continue;
            }
            checked += 1;
            if !seen.contains(&(path.to_owned(), m.to_owned(), n.to_owned())) {
                missing.push(format!("{path}: {m}.{n}"));
            }
        }
    }
    assert!(checked > 40, "the oracle resolved only {checked} globals");
    assert!(
        missing.is_empty(),
        "CPython resolves globals aibom did not report:\n{}",
        missing.join("\n")
    );
}

/// The (module, name) pairs of an oracle entry and of its nested loads.
fn collect(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    for g in v["globals"].as_array().into_iter().flatten() {
        if let (Some(m), Some(n)) = (g[0].as_str(), g[1].as_str()) {
            out.push((m.to_owned(), n.to_owned()));
        }
    }
    for nested in v["nested"].as_array().into_iter().flatten() {
        collect(nested, out);
    }
}
