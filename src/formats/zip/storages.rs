//! A PyTorch zip checkpoint checked against its own pickle: every storage `data.pkl` names in
//! a persistent id (`('storage', torch.FloatStorage, '0', 'cpu', 4)`) is the record
//! `<dir>/data/<key>` of exactly element count x element size bytes, and no record under
//! `data/` goes unreferenced. `torch.load` builds each storage of `numel x element_size`
//! bytes over the record's buffer (`get_storage_from_record`), so a record of another size is
//! a truncated or substituted tensor, or a decompression bomb dressed as one.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Zip;
use crate::finding::{Code, Evidence};
use crate::formats::{Ctx, StorageRef};
use std::collections::{BTreeMap, BTreeSet};

/// Bytes per element of a storage type (`torch/storage.py`, `_pickle_storage_type`); None for
/// a type whose size is not known here (nothing is checked for it).
pub(super) fn element_size(storage_type: &str) -> Option<u64> {
    let name = storage_type.strip_prefix("torch.")?;
    Some(match name {
        "UntypedStorage" | "ByteStorage" | "CharStorage" | "BoolStorage" | "QUInt8Storage"
        | "QInt8Storage" | "QUInt4x2Storage" | "QUInt2x4Storage" => 1,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "FloatStorage" | "IntStorage" | "QInt32Storage" => 4,
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "ComplexDoubleStorage" => 16,
        _ => return None,
    })
}

impl Zip<'_> {
    /// Checks the records under `<dir>/data/` of each `<dir>/data.pkl` against the storages
    /// its pickle named. `complete`: whether a pickle was analysed to its end with every
    /// storage kept (only then is a record nobody names reported).
    pub(super) fn check_storages(&self, ctx: &mut Ctx, pickles: &[String]) {
        // Member name -> size, for the records of this archive (full names).
        let mut sizes: BTreeMap<String, Option<u64>> = BTreeMap::new();
        for (raw, idx) in &self.listing {
            let name = String::from_utf8_lossy(raw);
            if name.ends_with('/') {
                continue;
            }
            let size = idx.and_then(|i| self.member_size(ctx, i));
            sizes.insert(name.into_owned(), size);
        }
        for pkl in pickles {
            let dir = pkl.strip_suffix("data.pkl").unwrap_or("");
            let member = self.full_name(pkl);
            let refs: Vec<StorageRef> = ctx
                .storages
                .iter()
                .filter(|s| s.member.as_deref() == Some(member.as_str()))
                .cloned()
                .collect();
            let mut named: BTreeSet<String> = BTreeSet::new();
            for s in &refs {
                let Some(key) = &s.key else {
                    self.storage_mismatch(
                        ctx,
                        &format!("{dir}data/<key>"),
                        s,
                        "a key that is a string".into(),
                        "a key of another type (torch.load names the record after str(key))".into(),
                    );
                    continue;
                };
                let record = format!("{dir}data/{key}");
                named.insert(record.clone());
                let Some(elsize) = element_size(&s.storage_type) else {
                    continue;
                };
                let Some(want) = s.numel.checked_mul(elsize) else {
                    self.storage_mismatch(
                        ctx,
                        &record,
                        s,
                        "an element count whose byte size overflows".into(),
                        u64::MAX.to_string(),
                    );
                    continue;
                };
                match sizes.get(&record) {
                    None => self.storage_mismatch(
                        ctx,
                        &record,
                        s,
                        format!("{want} bytes"),
                        "no such record".into(),
                    ),
                    Some(Some(have)) if *have != want => self.storage_mismatch(
                        ctx,
                        &record,
                        s,
                        format!("{want} bytes"),
                        format!("{have} bytes"),
                    ),
                    _ => {}
                }
            }
            // Records under data/ that no storage names: only when the pickle was read to
            // its end with every storage kept (else some were not seen).
            if ctx.storages_dropped || !self.pickle_complete(ctx, &member) {
                continue;
            }
            let prefix = format!("{dir}data/");
            for name in sizes.keys() {
                if !name.starts_with(&prefix) {
                    continue;
                }
                if named.contains(name) {
                    continue;
                }
                ctx.report_with(
                    Code::TorchStorageMismatch,
                    Code::TorchStorageMismatch.default_severity(),
                    None,
                    format!(
                        "the record {name:?} is a storage no persistent id of {pkl:?} names: torch.load never reads it, and it holds bytes the checkpoint does not account for"
                    ),
                    Evidence::mismatch("a storage named by data.pkl", name.clone()),
                );
            }
        }
    }

    fn storage_mismatch(
        &self,
        ctx: &mut Ctx,
        record: &str,
        s: &StorageRef,
        want: String,
        have: String,
    ) {
        ctx.report_with(
            Code::TorchStorageMismatch,
            Code::TorchStorageMismatch.default_severity(),
            None,
            format!(
                "storage {} ({} x {} elements, persistent id at offset {} of {:?}) should be the record {record:?} of {want}; it is {have}",
                s.key.as_deref().map_or_else(|| "<not a string>".to_owned(), |k| format!("{k:?}")),
                s.storage_type,
                s.numel,
                s.offset,
                s.member.as_deref().unwrap_or(""),
            ),
            Evidence::mismatch(want, have),
        );
    }

    /// The decompressed size of a scanned member, when its whole content was produced, else
    /// its declared size.
    fn member_size(&self, ctx: &Ctx, idx: usize) -> Option<u64> {
        let s = self.scanned.get(idx)?;
        if s.complete {
            return Some(s.out_len);
        }
        ctx.facts.members.get(s.fact).map(|m| m.size)
    }

    /// Whether the pickle of `member` was analysed to its end: no break, limit or
    /// unresolved array reported inside it.
    fn pickle_complete(&self, ctx: &Ctx, member: &str) -> bool {
        !ctx.findings.iter().any(|f| {
            f.location.member.as_deref() == Some(member)
                && matches!(
                    f.code,
                    Code::PickleMalformed
                        | Code::PickleLimitExceeded
                        | Code::JoblibArrayUnresolved
                        | Code::FindingsCapped
                )
        }) && ctx.capped.is_empty()
    }
}
