//! `scan --shard K/N`: a stable partition of the work by model, so N machines (a Kubernetes
//! Indexed Job) each scan part of a fleet and `aibom merge` puts the parts back together.
//!
//! The unit is a model: each top-level directory under a root given on the command line, plus
//! one unit for the files directly in the root (a root that is a file is one unit). A unit
//! goes to shard `u64(SHA-256(name)[..8]) mod N`, where the name is the directory's path
//! relative to the root it was found under (`""` for the root's own files): the same on every
//! machine, whatever the order of the roots or of the directory listing. Findings about the
//! tree go with the unit their path is in.

use crate::digest::Sha256;
use crate::discover::Discovery;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `K/N`, validated: `0 <= K < N` (K is 0-based, as `JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not K/N (such as 0/3)"))?;
        let index: u32 = k
            .trim()
            .parse()
            .map_err(|_| format!("{k:?} is not a shard index"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("{n:?} is not a shard count"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: K counts from 0 and must be below N"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One model of the partition: a top-level directory of a root, or (`dir` empty) the files
/// directly in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unit {
    pub root: String,
    pub dir: String,
}

/// What a shard's report records, for `aibom merge` to check and combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
    /// The roots as given, in order (every shard of one scan names the same).
    pub roots: Vec<String>,
    /// How many units the whole scan has, and the SHA-256 of their list (JSON, sorted):
    /// shards of different trees disagree here.
    pub units_total: u64,
    pub units_sha256: Sha256,
    /// The units this shard scanned.
    pub units: Vec<Unit>,
    /// The settings that change what a scan finds (shards of one scan have the same).
    pub settings: Settings,
}

/// The user's settings that change which files a scan reads or what it finds in them,
/// beside those the report records of every scan (`fail_on`, `strict`, `exceptions`): flags
/// and `aibom.toml` together, in a canonical form (lists sorted, without repeats), so that
/// `aibom merge` refuses shards scanned with different ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Pickle globals allowed beyond the built-in allowlist (`--allow-global`,
    /// `[pickle] allow-globals`).
    pub allow_globals: Vec<String>,
    /// Globs of relative paths not scanned (`--skip`, `[scan] skip`).
    pub skip: Vec<String>,
    /// `.git` directories scanned (`--include-git`, `[scan] include-git`).
    pub include_git: bool,
}

impl Settings {
    pub fn new<'a>(
        allow_globals: impl IntoIterator<Item = &'a str>,
        skip: impl IntoIterator<Item = &'a str>,
        include_git: bool,
    ) -> Settings {
        let canonical = |it: &mut dyn Iterator<Item = &'a str>| -> Vec<String> {
            it.map(str::to_owned)
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect()
        };
        Settings {
            allow_globals: canonical(&mut allow_globals.into_iter()),
            skip: canonical(&mut skip.into_iter()),
            include_git,
        }
    }
}

/// The unit name of a path relative to its root: its first directory, or `""`.
pub(crate) fn unit_dir(rel: &str) -> &str {
    rel.split_once('/').map(|(first, _)| first).unwrap_or("")
}

/// The SHA-256 of a unit list as a report records it (`units_sha256`).
pub(crate) fn units_digest(all: &BTreeSet<Unit>) -> Sha256 {
    Sha256::of(&serde_json::to_vec(all).unwrap_or_default())
}

/// The shard a unit goes to.
pub fn shard_of(dir: &str, count: u32) -> u32 {
    let d = Sha256::of(dir.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(d.0.get(..8).unwrap_or(&[0; 8]));
    (u64::from_be_bytes(first) % u64::from(count)) as u32
}

/// Keeps in `discoveries` only the artifacts and tree findings of `shard`'s units; returns
/// what the report records.
pub fn partition(discoveries: &mut [Discovery], shard: Shard, settings: &Settings) -> ShardInfo {
    let mut all = BTreeSet::new();
    for d in discoveries.iter() {
        let dirs = d
            .artifacts
            .iter()
            .map(|a| unit_dir(&a.rel))
            .chain(d.findings.iter().map(|f| unit_dir(&f.location.path)));
        for dir in dirs {
            all.insert(Unit {
                root: d.root.clone(),
                dir: dir.to_owned(),
            });
        }
    }
    let mine = |dir: &str| shard_of(dir, shard.count) == shard.index;
    for d in discoveries.iter_mut() {
        d.artifacts.retain(|a| mine(unit_dir(&a.rel)));
        d.findings.retain(|f| mine(unit_dir(&f.location.path)));
    }
    ShardInfo {
        index: shard.index,
        count: shard.count,
        roots: discoveries.iter().map(|d| d.root.clone()).collect(),
        units_total: all.len() as u64,
        units_sha256: units_digest(&all),
        units: all.into_iter().filter(|u| mine(&u.dir)).collect(),
        settings: settings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_k_of_n_counts_from_zero_below_n() {
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("-1/3".parse::<Shard>().is_err());
    }

    #[test]
    fn a_unit_goes_to_the_same_shard_everywhere() {
        // Pinned: the assignment is part of the interface (shards from different machines
        // and versions must agree).
        let got: Vec<u32> = ["", "benign", "malicious", "malformed"]
            .iter()
            .map(|d| shard_of(d, 3))
            .collect();
        assert_eq!(got, PINNED);
        assert_eq!(unit_dir("a/b/c.pkl"), "a");
        assert_eq!(unit_dir("c.pkl"), "");
    }

    const PINNED: [u32; 4] = [1, 2, 0, 1];
}
