//! `aibom merge`: the reports of `scan --shard K/N` runs -> the report one run over the same
//! roots gives. Files, tree findings and excepted findings are put back in scan order, each
//! exception's outcome is decided again from the summed matches ([`Status::of`]), and the
//! summary is computed by the same [`super::summarize`] as a scan's.
//!
//! Refused: reports of another aibom version (when read), of another policy or configuration
//! (fail-on, strict, exceptions, and the settings [`ShardInfo::settings`] records), of another
//! tree, root list or shard count, a shard given twice, a missing shard, units claimed by two
//! shards. Each report is checked against itself as well, so that an edited one is refused:
//! the units it claims are its shard's, every file and tree finding lies in one of them, each
//! of them holds something, no file is listed twice (in it or across shards), each file's
//! verdict is what its findings give, and the summary it records is what its files give.

use super::exceptions::Status;
use super::shard::{ShardInfo, Unit, shard_of, unit_dir, units_digest};
use super::{ScanReport, TargetReport, verdict};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: name the shard reports")]
    Empty,
    #[error("{report}: not a shard report (made without --shard)")]
    NotSharded { report: String },
    #[error("{report}: {what} is {theirs}, but {first} has {ours}: shards of different scans")]
    Different {
        report: String,
        first: String,
        what: &'static str,
        theirs: String,
        ours: String,
    },
    #[error("shard {index} given twice: {a} and {b}")]
    Duplicate { index: u32, a: String, b: String },
    #[error("shard{} {} of {count} missing", if missing.len() == 1 { "" } else { "s" },
        missing.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    Missing { missing: Vec<u32>, count: u32 },
    #[error("{a} and {b} both scanned {root}/{dir}: overlapping shards")]
    Overlap {
        a: String,
        b: String,
        root: String,
        dir: String,
    },
    #[error("the shards cover {got} of {total} units")]
    Incomplete { got: u64, total: u64 },
    #[error("the units the shards claim are not the unit list their digest records")]
    UnitList,
    #[error("{report}: claims the unit {root}/{dir}, which is shard {owner}'s of {count}")]
    Foreign {
        report: String,
        root: String,
        dir: String,
        owner: u32,
        count: u32,
    },
    #[error("{report}: claims the unit {root}/{dir} but lists no file or finding in it")]
    EmptyUnit {
        report: String,
        root: String,
        dir: String,
    },
    #[error("{report}: {root}/{path} lies outside the units its shard claims")]
    Outside {
        report: String,
        root: String,
        path: String,
    },
    #[error("{root}/{path} is listed twice: in {a} and in {b}")]
    Twice {
        a: String,
        b: String,
        root: String,
        path: String,
    },
    #[error("{report}: {root}/{path} is {recorded}, where its findings make it {computed}")]
    Verdict {
        report: String,
        root: String,
        path: String,
        recorded: &'static str,
        computed: &'static str,
    },
    #[error(
        "{report}: the summary it records ({recorded}) is not what its files give ({computed})"
    )]
    Summary {
        report: String,
        recorded: String,
        computed: String,
    },
    #[error("{report}: {got} targets for the {listed} roots its shard lists")]
    Targets {
        report: String,
        got: usize,
        listed: usize,
    },
    #[error("{report}: target {index} is {root}, where its shard lists {listed}")]
    Target {
        report: String,
        index: usize,
        root: String,
        listed: String,
    },
}

/// Merges shard reports, each named (for messages) by where it was read.
pub fn merge(reports: Vec<(String, ScanReport)>) -> Result<ScanReport, MergeError> {
    let mut shards: Vec<(String, ShardInfo, ScanReport)> = Vec::new();
    for (name, mut r) in reports {
        let info = r.shard.take().ok_or_else(|| MergeError::NotSharded {
            report: name.clone(),
        })?;
        if r.targets.len() != info.roots.len() {
            return Err(MergeError::Targets {
                report: name,
                got: r.targets.len(),
                listed: info.roots.len(),
            });
        }
        for (index, (t, listed)) in r.targets.iter().zip(&info.roots).enumerate() {
            if &t.root != listed {
                return Err(MergeError::Target {
                    report: name,
                    index,
                    root: t.root.clone(),
                    listed: listed.clone(),
                });
            }
        }
        shards.push((name, info, r));
    }
    let Some((first_name, first, first_report)) = shards.first() else {
        return Err(MergeError::Empty);
    };
    for (name, info, r) in &shards {
        let checks: [(&'static str, String, String); 11] = [
            (
                "the policy version",
                r.tool.policy_version.clone(),
                first_report.tool.policy_version.clone(),
            ),
            (
                "fail-on",
                r.fail_on.to_string(),
                first_report.fail_on.to_string(),
            ),
            (
                "strict",
                r.strict.to_string(),
                first_report.strict.to_string(),
            ),
            (
                "the shard count",
                info.count.to_string(),
                first.count.to_string(),
            ),
            (
                "the root list",
                format!("{:?}", info.roots),
                format!("{:?}", first.roots),
            ),
            (
                "the allowed globals (allow-globals)",
                format!("{:?}", info.settings.allow_globals),
                format!("{:?}", first.settings.allow_globals),
            ),
            (
                "the skipped paths (skip)",
                format!("{:?}", info.settings.skip),
                format!("{:?}", first.settings.skip),
            ),
            (
                "include-git",
                info.settings.include_git.to_string(),
                first.settings.include_git.to_string(),
            ),
            (
                "the unit count",
                info.units_total.to_string(),
                first.units_total.to_string(),
            ),
            (
                "the unit list digest",
                info.units_sha256.to_string(),
                first.units_sha256.to_string(),
            ),
            (
                "the exceptions",
                exceptions_key(r),
                exceptions_key(first_report),
            ),
        ];
        for (what, theirs, ours) in checks {
            if theirs != ours {
                return Err(MergeError::Different {
                    report: name.clone(),
                    first: first_name.clone(),
                    what,
                    theirs,
                    ours,
                });
            }
        }
    }
    let count = first.count;
    let total = first.units_total;
    let roots = first.roots.clone();
    let units_sha256 = first.units_sha256;

    let mut by_index: BTreeMap<u32, &str> = BTreeMap::new();
    let mut owner: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for (name, info, _) in &shards {
        if let Some(a) = by_index.insert(info.index, name) {
            return Err(MergeError::Duplicate {
                index: info.index,
                a: a.to_owned(),
                b: name.clone(),
            });
        }
        for u in &info.units {
            if let Some(a) = owner.insert((&u.root, &u.dir), name) {
                return Err(MergeError::Overlap {
                    a: a.to_owned(),
                    b: name.clone(),
                    root: u.root.clone(),
                    dir: u.dir.clone(),
                });
            }
        }
    }
    let missing: Vec<u32> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count });
    }
    if owner.len() as u64 != total {
        return Err(MergeError::Incomplete {
            got: owner.len() as u64,
            total,
        });
    }
    let all: BTreeSet<Unit> = owner
        .keys()
        .map(|(root, dir)| Unit {
            root: (*root).to_owned(),
            dir: (*dir).to_owned(),
        })
        .collect();
    if units_digest(&all) != units_sha256 {
        return Err(MergeError::UnitList);
    }
    let mut listed: BTreeMap<(usize, &str), &str> = BTreeMap::new();
    for (name, info, r) in &shards {
        check_shard(name, info, r, &mut listed)?;
    }

    let mut shards = shards.into_iter().map(|(_, _, r)| r);
    let Some(mut merged) = shards.next() else {
        return Err(MergeError::Empty);
    };
    let mut expired: Vec<bool> = merged
        .exceptions
        .iter()
        .map(|o| o.status == Status::Expired)
        .collect();
    let mut matched: Vec<u64> = vec![0; merged.exceptions.len()];
    let first_targets = std::mem::take(&mut merged.targets);
    let first_outcomes = merged.exceptions.clone();
    let mut all: Vec<(Vec<TargetReport>, Vec<super::exceptions::Outcome>)> =
        vec![(first_targets, first_outcomes)];
    all.extend(shards.map(|r| (r.targets, r.exceptions)));
    merged.targets = roots
        .iter()
        .map(|root| TargetReport {
            root: root.clone(),
            files: Vec::new(),
            findings: Vec::new(),
            excepted: Vec::new(),
        })
        .collect();
    for (targets, outcomes) in all {
        for (into, t) in merged.targets.iter_mut().zip(targets) {
            into.files.extend(t.files);
            into.findings.extend(t.findings);
            into.excepted.extend(t.excepted);
        }
        for (i, o) in outcomes.iter().enumerate() {
            if let (Some(m), Some(e)) = (matched.get_mut(i), expired.get_mut(i)) {
                *m = m.saturating_add(o.matched);
                *e |= o.status == Status::Expired;
            }
        }
    }
    // The order a single run writes (scan::scan, exceptions::apply).
    for t in &mut merged.targets {
        t.files.sort_by(|a, b| a.path.cmp(&b.path));
        t.findings
            .sort_by(|a, b| (&a.location, a.code).cmp(&(&b.location, b.code)));
        t.excepted.sort_by(|a, b| {
            (&a.finding.location, a.finding.code).cmp(&(&b.finding.location, b.finding.code))
        });
    }
    for ((o, m), e) in merged.exceptions.iter_mut().zip(matched).zip(expired) {
        o.matched = m;
        o.status = Status::of(e, m);
    }
    merged.shard = None;
    merged.recorded_summary = None;
    merged.summary = super::summarize(&merged);
    Ok(merged)
}

/// One shard's report against itself: the units it claims are its shard's, every file and
/// tree finding lies in one of them and each holds one, every file's verdict is what its
/// findings give, and the summary it records is what its files give. `listed`: the files of
/// the shards checked so far (by target and path), so that none is listed twice.
fn check_shard<'a>(
    name: &'a str,
    info: &'a ShardInfo,
    r: &'a ScanReport,
    listed: &mut BTreeMap<(usize, &'a str), &'a str>,
) -> Result<(), MergeError> {
    for u in &info.units {
        let owner = shard_of(&u.dir, info.count);
        if owner != info.index {
            return Err(MergeError::Foreign {
                report: name.to_owned(),
                root: u.root.clone(),
                dir: u.dir.clone(),
                owner,
                count: info.count,
            });
        }
    }
    let claimed: BTreeSet<(&str, &str)> = info
        .units
        .iter()
        .map(|u| (u.root.as_str(), u.dir.as_str()))
        .collect();
    let mut held: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (index, t) in r.targets.iter().enumerate() {
        let paths = t
            .files
            .iter()
            .map(|f| f.path.as_str())
            .chain(t.findings.iter().map(|f| f.location.path.as_str()))
            .chain(t.excepted.iter().map(|e| e.finding.location.path.as_str()));
        for path in paths {
            let unit = (t.root.as_str(), unit_dir(path));
            if !claimed.contains(&unit) {
                return Err(MergeError::Outside {
                    report: name.to_owned(),
                    root: t.root.clone(),
                    path: path.to_owned(),
                });
            }
            held.insert(unit);
        }
        for f in &t.files {
            if let Some(a) = listed.insert((index, f.path.as_str()), name) {
                return Err(MergeError::Twice {
                    a: a.to_owned(),
                    b: name.to_owned(),
                    root: t.root.clone(),
                    path: f.path.clone(),
                });
            }
            let computed = verdict(&f.findings, f.format, r.fail_on);
            if computed != f.verdict {
                return Err(MergeError::Verdict {
                    report: name.to_owned(),
                    root: t.root.clone(),
                    path: f.path.clone(),
                    recorded: f.verdict.as_str(),
                    computed: computed.as_str(),
                });
            }
        }
    }
    if let Some((root, dir)) = claimed.difference(&held).next() {
        return Err(MergeError::EmptyUnit {
            report: name.to_owned(),
            root: (*root).to_owned(),
            dir: (*dir).to_owned(),
        });
    }
    let computed = super::summarize(r);
    if r.recorded_summary.as_ref() != Some(&computed) {
        return Err(MergeError::Summary {
            report: name.to_owned(),
            recorded: r
                .recorded_summary
                .as_ref()
                .map_or_else(|| "none".to_owned(), summary_line),
            computed: summary_line(&computed),
        });
    }
    Ok(())
}

/// A summary in a few words, for messages.
fn summary_line(s: &super::Summary) -> String {
    format!(
        "{} files, {} bytes, verdict {}, {} unsafe, {} malformed, {} unsupported, {} clean, \
         {} unreadable, findings {:?}",
        s.files,
        s.bytes,
        s.verdict.map_or("none", |v| v.as_str()),
        s.unsafe_files,
        s.malformed,
        s.unsupported,
        s.clean,
        s.unreadable,
        s.findings
    )
}

/// What identifies the configured exceptions (their outcomes aside).
fn exceptions_key(r: &ScanReport) -> String {
    let ids: BTreeSet<String> = r
        .exceptions
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{i}:{}:{}:{:?}:{}", o.code, o.path, o.sha256, o.reason))
        .collect();
    format!("{ids:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::limits::Limits;
    use crate::policy::Policy;
    use crate::scan::shard::{Shard, Unit};
    use crate::scan::{ScanOptions, scan};

    /// Shard `k` of `n` of a tree with models a, b, c, d (a: shard 0 of 2, d: shard 1).
    fn shard(dir: &std::path::Path, k: u32, n: u32) -> (String, ScanReport) {
        let opts = ScanOptions {
            limits: Limits::default(),
            policy: Policy::new(&[], false).unwrap(),
            fail_on: Severity::High,
            walk: Default::default(),
            progress: false,
            keep_metadata: false,
            exceptions: Vec::new(),
            today: None,
            shard: Some(Shard { index: k, count: n }),
            settings: Default::default(),
        };
        // As `merge` reads it: the summary recorded, the facts kept as text.
        let json = serde_json::to_vec(&scan(&[dir.to_path_buf()], &opts).unwrap()).unwrap();
        (format!("s{k}"), serde_json::from_slice(&json).unwrap())
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for m in ["a", "b", "c", "d"] {
            std::fs::create_dir(d.path().join(m)).unwrap();
            std::fs::write(d.path().join(m).join("x.pkl"), b"\x80\x04N.").unwrap();
        }
        d
    }

    #[test]
    fn merges_shards_into_the_whole_run() {
        let d = tree();
        let merged = merge(vec![shard(d.path(), 1, 2), shard(d.path(), 0, 2)]).unwrap();
        let paths: Vec<&str> = merged.files().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a/x.pkl", "b/x.pkl", "c/x.pkl", "d/x.pkl"]);
        assert_eq!(merged.summary.files, 4);
        assert!(merged.shard.is_none());
    }

    #[test]
    fn refuses_nothing_and_whole_runs() {
        assert!(matches!(merge(Vec::new()), Err(MergeError::Empty)));
        let d = tree();
        let (name, mut whole) = shard(d.path(), 0, 1);
        whole.shard = None;
        assert!(matches!(
            merge(vec![(name, whole)]),
            Err(MergeError::NotSharded { .. })
        ));
    }

    #[test]
    fn refuses_missing_duplicate_and_foreign_shards() {
        let d = tree();
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2)]),
            Err(MergeError::Missing { ref missing, count: 2 }) if missing == &[1]
        ));
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), shard(d.path(), 0, 2)]),
            Err(MergeError::Duplicate { index: 0, .. })
        ));
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), shard(d.path(), 1, 3)]),
            Err(MergeError::Different {
                what: "the shard count",
                ..
            })
        ));
        let mut strict = shard(d.path(), 1, 2);
        strict.1.strict = true;
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), strict]),
            Err(MergeError::Different { what: "strict", .. })
        ));
    }

    #[test]
    fn refuses_units_of_another_shard_and_a_unit_list_of_another_tree() {
        let d = tree();
        let (mut s0, mut s1) = (shard(d.path(), 0, 2), shard(d.path(), 1, 2));
        // "a" is shard 0's: moved to shard 1's claim, with its file.
        if let (Some(i0), Some(i1)) = (s0.1.shard.as_mut(), s1.1.shard.as_mut()) {
            let a = i0.units.remove(0);
            assert_eq!(a.dir, "a");
            i1.units.push(a);
        }
        let file = s0.1.targets[0].files.remove(0);
        s1.1.targets[0].files.insert(0, file);
        assert!(matches!(
            merge(vec![s1, s0]),
            Err(MergeError::Foreign { ref dir, owner: 0, count: 2, .. }) if dir == "a"
        ));
        let (mut s0, mut s1) = (shard(d.path(), 0, 2), shard(d.path(), 1, 2));
        for s in [&mut s0, &mut s1] {
            if let Some(i) = s.1.shard.as_mut() {
                i.units_sha256 = crate::digest::Sha256::of(b"another tree");
            }
        }
        assert!(matches!(merge(vec![s0, s1]), Err(MergeError::UnitList)));
    }

    #[test]
    fn refuses_overlapping_incomplete_and_inconsistent_shards() {
        let d = tree();
        let root = d.path().display().to_string();
        let mut greedy = shard(d.path(), 1, 2);
        if let Some(s) = greedy.1.shard.as_mut() {
            s.units.push(Unit {
                root: root.clone(),
                dir: "a".into(),
            });
        }
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), greedy]),
            Err(MergeError::Overlap { .. })
        ));
        let mut shy = shard(d.path(), 1, 2);
        if let Some(s) = shy.1.shard.as_mut() {
            s.units.clear();
        }
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), shy]),
            Err(MergeError::Incomplete { got: 3, total: 4 })
        ));
        let mut short = shard(d.path(), 1, 2);
        short.1.targets.clear();
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), short]),
            Err(MergeError::Targets {
                got: 0,
                listed: 1,
                ..
            })
        ));
        let mut renamed = shard(d.path(), 1, 2);
        renamed.1.targets[0].root = "elsewhere".into();
        assert!(matches!(
            merge(vec![shard(d.path(), 0, 2), renamed]),
            Err(MergeError::Target { index: 0, .. })
        ));
    }
}
