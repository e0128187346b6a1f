//! Git LFS pointers: a pointer file where the model file should be (the clone skipped the LFS
//! download).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence};

#[derive(Debug, PartialEq, Eq)]
pub(super) struct LfsPointer {
    pub(super) oid: Option<String>,
    pub(super) size: Option<u64>,
}

/// A pointer file: the version line first, then `key value` lines.
pub(super) fn lfs_pointer(b: &[u8]) -> Option<LfsPointer> {
    let text = std::str::from_utf8(b).ok()?;
    let mut lines = text.lines();
    let version = lines.next()?.strip_prefix("version ")?;
    if !(version.starts_with("https://git-lfs.github.com/spec/")
        || version == "https://hawser.github.com/spec/v1")
    {
        return None;
    }
    let mut p = LfsPointer {
        oid: None,
        size: None,
    };
    for l in lines {
        if let Some(hex) = l.strip_prefix("oid sha256:") {
            if hex.len() == 64 && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                p.oid = Some(hex.to_ascii_lowercase());
            }
        } else if let Some(n) = l.strip_prefix("size ") {
            p.size = n.trim().parse().ok();
        }
    }
    Some(p)
}

pub(super) fn report_lfs(ctx: &mut Ctx, name: &str, len: u64, p: &LfsPointer) {
    let object = match (&p.oid, p.size) {
        (Some(o), Some(s)) => format!("sha256:{o}, {s} bytes"),
        (Some(o), None) => format!("sha256:{o}, size not given"),
        (None, Some(s)) => format!("no valid oid, {s} bytes"),
        (None, None) => "no valid oid or size".to_owned(),
    };
    ctx.report_with(
        Code::LfsPointer,
        Code::LfsPointer.default_severity(),
        None,
        format!(
            "{name} is a {len}-byte Git LFS pointer, not the file ({object}): the object was never downloaded (git lfs pull)"
        ),
        Evidence {
            rule: Some("git-lfs pointer".into()),
            expected: Some(object),
            actual: Some(format!("{len}-byte pointer file")),
            ..Evidence::default()
        },
    );
}
