//! Pickles in HDF5 attributes. PyTables (and pandas' `HDFStore`/`read_hdf` on it) unpickles
//! every scalar fixed-length string attribute whose value ends with "." when the attribute is
//! read (`tables/attributeset.py`, `AttributeSet.__getattr__`; opening a file reads system
//! attributes such as `TITLE` and `CLASS`), so a pickle in any attribute of any node runs on
//! load. h5py and Keras never unpickle; the file is the same.
//!
//! Every group and dataset reachable within the metadata prefix aibom reads
//! (`max_hdf5_metadata`) is walked once (hard links make a graph: nodes are visited by
//! address), and each such attribute value (trailing NULs stripped, as NumPy's `S` type
//! reads it) is analysed as a pickle on the side; one that imports or calls anything is
//! reported in full under the member `<attribute PATH:NAME>`. Values that are no pickle
//! ("A sentence.") fail in PyTables' `pickle.loads` too, which then returns the value: no
//! finding.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Kind, Severity};
use crate::source::Source;
use hdf5_reader::messages::dataspace::DataspaceType;
use hdf5_reader::messages::datatype::{Datatype, StringEncoding, StringSize, VarLenKind};
use hdf5_reader::{Hdf5File, OpenOptions, RawAttribute};
use std::collections::HashSet;
use std::io;

/// Attribute values tried as pickles per file.
const MAX_CANDIDATES: usize = 1_000;
/// Bytes of one variable-length attribute value read from the global heap (a reference
/// declares its length; many attributes can point at one large heap object).
const MAX_VLEN_VALUE: u32 = 1 << 20;
/// Bytes of attribute values kept for analysis per file.
const MAX_CANDIDATE_BYTES: usize = 64 << 20;

/// What the walk saw.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Walk {
    pub objects: usize,
    /// Attribute values PyTables would hand to `pickle.loads`.
    pub candidates: usize,
    /// Why the walk did not reach every object, if it did not.
    pub incomplete: Option<String>,
    /// PyTables `VLArray`s of `ObjectAtom` (`PSEUDOATOM = "object"`): each row is a pickle
    /// PyTables unpickles when it reads the row. Their data is not read here.
    pub object_arrays: Vec<String>,
    /// Bytes of the attribute values kept for analysis.
    pub kept_bytes: usize,
}

/// Opens an in-memory HDF5 prefix with every read the decoder makes bounded by `max` bytes
/// and no chunk cache (Keras's root attributes and this walk use the same bounds).
pub(crate) fn open(prefix: Vec<u8>, max: u64) -> Result<Hdf5File, String> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let opts = OpenOptions::default()
        .with_chunk_cache_bytes(0)
        .with_max_read_bytes(max)
        .with_max_object_header_bytes(max)
        .with_max_chunk_bytes(max);
    Hdf5File::from_vec_with_options(prefix, opts).map_err(|e| e.to_string())
}

/// Walks the file's attributes and scans those PyTables unpickles.
pub fn scan_attributes(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Walk> {
    let limits = ctx.limits;
    let n = usize::try_from(src.len().min(limits.max_hdf5_metadata)).unwrap_or(usize::MAX);
    let prefix = src.read_vec(0, n)?;
    let mut walk = Walk::default();
    let file = match open(prefix, limits.max_keras_config) {
        Ok(f) => f,
        Err(e) => {
            walk.incomplete = Some(e.to_string());
            return Ok(walk);
        }
    };
    let mut candidates: Vec<(String, Vec<u8>)> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let root = match file.root_group() {
        Ok(r) => r,
        Err(e) => {
            walk.incomplete = Some(e.to_string());
            return Ok(walk);
        }
    };
    let mut queue = vec![(String::new(), root)];
    let note = |walk: &mut Walk, e: String| {
        walk.incomplete.get_or_insert(e);
    };
    while let Some((path, group)) = queue.pop() {
        if !seen.insert(group.address()) {
            continue;
        }
        if walk.objects >= limits.max_fact_entries {
            note(
                &mut walk,
                format!("more than {} objects", limits.max_fact_entries),
            );
            break;
        }
        walk.objects = walk.objects.saturating_add(1);
        let shown = if path.is_empty() { "/" } else { path.as_str() };
        match group.raw_attributes() {
            Ok(attrs) => {
                let vlen = |r: &[u8]| group.resolve_vlen_reference_bytes(r, 1).ok();
                collect(shown, &attrs, &vlen, &mut candidates, &mut walk);
            }
            Err(e) => note(&mut walk, e.to_string()),
        }
        let (groups, datasets) = match group.members() {
            Ok(m) => m,
            Err(e) => {
                note(&mut walk, e.to_string());
                continue;
            }
        };
        for d in datasets {
            if !seen.insert(d.address()) {
                continue;
            }
            walk.objects = walk.objects.saturating_add(1);
            let at = format!("{path}/{}", d.name());
            match d.raw_attributes() {
                Ok(attrs) => {
                    let vlen = |r: &[u8]| d.resolve_vlen_reference_bytes(r, 1).ok();
                    match object_atom(&attrs, &vlen) {
                        Some(true) if walk.object_arrays.len() < limits.max_fact_entries => {
                            walk.object_arrays.push(at.clone());
                        }
                        None => note(&mut walk, format!("the PSEUDOATOM of {at} is not readable")),
                        _ => {}
                    }
                    collect(&at, &attrs, &vlen, &mut candidates, &mut walk);
                }
                Err(e) => note(&mut walk, e.to_string()),
            }
        }
        for g in groups {
            let at = format!("{path}/{}", g.name());
            queue.push((at, g));
        }
    }
    walk.candidates = candidates.len();
    for (at, value) in candidates {
        let dangerous = {
            let mut side = ctx.scratch(limits);
            super::pickle::inspect(&value, &mut side)?;
            side.findings
                .iter()
                .any(|f| f.code.kind() == Kind::Security)
        };
        if dangerous {
            ctx.enter(&format!("<attribute {at}>"), |ctx| {
                super::pickle::inspect(&value, ctx).map(|_| ())
            })?;
        }
    }
    Ok(walk)
}

/// An HDF5 file counts as inspected when every object was walked (so every attribute a
/// loader could unpickle was checked) and it holds no array whose rows are pickles; else
/// `hdf5-incomplete` (coverage: the verdict is `unsupported`) says what was left.
///
/// A structure that cannot be walked is reported for a file of its own only: inside an archive
/// (a `.keras` file's `model.weights.h5`) the archive's loader decides how the member is read,
/// and its own checks say what was inspected. Object arrays are reported at any depth.
pub fn report_gaps(walk: &Walk, ctx: &mut Ctx) {
    if let Some(why) = &walk.incomplete
        && ctx.depth() == 0
    {
        ctx.report_with(
            Code::Hdf5Incomplete,
            Severity::Low,
            None,
            format!(
                "the HDF5 structure was not walked whole ({why}); attributes past that point were not checked"
            ),
            Evidence::default(),
        );
    }
    if let Some(first) = walk.object_arrays.first() {
        ctx.report_with(
            Code::Hdf5Incomplete,
            Severity::High,
            None,
            format!(
                "{} PyTables object array(s) (first: {first}): each row is a pickle PyTables unpickles when it reads it, and rows are not read here",
                walk.object_arrays.len()
            ),
            Evidence::default(),
        );
    }
}

/// What makes a dataset a PyTables array of pickled objects.
/// Whether a dataset is a PyTables object array: its `PSEUDOATOM` is "object" (PyTables
/// compares whatever the string type); None when that attribute cannot be read.
fn object_atom(attrs: &[RawAttribute], vlen: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> Option<bool> {
    let mut object = false;
    for a in attrs.iter().filter(|a| a.message().name == "PSEUDOATOM") {
        match string_value(a, vlen, true) {
            StrValue::Bytes(v) => object |= v == b"object",
            StrValue::Unreadable | StrValue::TooLong(_) => return None,
            StrValue::Not => {}
        }
    }
    Some(object)
}

/// A scalar string attribute's value, as PyTables reads it.
enum StrValue {
    Bytes(Vec<u8>),
    /// A variable-length value longer than [`MAX_VLEN_VALUE`]: not read.
    TooLong(u32),
    /// A variable-length value whose heap object cannot be read (the HDF5 library may read
    /// it where this reader does not: a free-space object first, an index given twice).
    Unreadable,
    /// Not a scalar string of the kind asked for.
    Not,
}

/// A fixed-length string with its trailing NULs stripped (NumPy's `S`), or a variable-length
/// one from the global heap (`resolve`). PyTables gives ASCII variable-length strings as
/// `bytes` (which it may unpickle) and UTF-8 ones as `str` (which it does not):
/// `any_encoding` takes both.
fn string_value(
    a: &RawAttribute,
    resolve: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
    any_encoding: bool,
) -> StrValue {
    let m = a.message();
    if m.dataspace.dataspace_type != DataspaceType::Scalar {
        return StrValue::Not;
    }
    match &m.datatype {
        Datatype::VarLen {
            kind: VarLenKind::String,
            encoding,
            ..
        } if any_encoding || *encoding == StringEncoding::Ascii => {
            // The reference's first field is the length: nothing longer than the cap is read.
            let Some(len) = m
                .raw_data
                .first_chunk::<4>()
                .map(|b| u32::from_le_bytes(*b))
            else {
                return StrValue::Not;
            };
            if len > MAX_VLEN_VALUE {
                return StrValue::TooLong(len);
            }
            resolve(&m.raw_data).map_or(StrValue::Unreadable, StrValue::Bytes)
        }
        _ => fixed_string(a).map_or(StrValue::Not, |v| StrValue::Bytes(v.to_vec())),
    }
}

/// A scalar fixed-length string attribute's value, trailing NULs stripped (NumPy's `S`).
fn fixed_string(a: &RawAttribute) -> Option<&[u8]> {
    let m = a.message();
    if m.dataspace.dataspace_type != DataspaceType::Scalar {
        return None;
    }
    let Datatype::String {
        size: StringSize::Fixed(n),
        ..
    } = &m.datatype
    else {
        return None;
    };
    let n = usize::try_from(*n).unwrap_or(usize::MAX);
    let raw = m.raw_data.get(..n.min(m.raw_data.len())).unwrap_or(&[]);
    let end = raw
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i.saturating_add(1));
    raw.get(..end)
}

/// The attributes PyTables unpickles: scalar, `bytes` (fixed-length, or variable-length
/// ASCII), ending with "." once trailing NULs are stripped, and not "0." (its workaround
/// for an old Python bug). What cannot be kept (too many, too long) leaves the walk
/// incomplete.
fn collect(
    at: &str,
    attrs: &[RawAttribute],
    vlen: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
    out: &mut Vec<(String, Vec<u8>)>,
    walk: &mut Walk,
) {
    for a in attrs {
        let name = &a.message().name;
        let value = match string_value(a, vlen, false) {
            StrValue::Bytes(v) => v,
            StrValue::TooLong(n) => {
                walk.incomplete.get_or_insert_with(|| {
                    format!("attribute {at}:{name} is a string of {n} bytes, past the {MAX_VLEN_VALUE}-byte limit")
                });
                continue;
            }
            StrValue::Unreadable => {
                walk.incomplete.get_or_insert_with(|| {
                    format!("attribute {at}:{name} is a string whose heap object is not readable")
                });
                continue;
            }
            StrValue::Not => continue,
        };
        if !value.ends_with(b".") || value == b"0." {
            continue;
        }
        if out.len() >= MAX_CANDIDATES {
            walk.incomplete.get_or_insert_with(|| {
                format!("more than {MAX_CANDIDATES} string attributes ending in \".\"")
            });
            continue;
        }
        walk.kept_bytes = walk.kept_bytes.saturating_add(value.len());
        if walk.kept_bytes > MAX_CANDIDATE_BYTES {
            walk.incomplete.get_or_insert_with(|| {
                format!(
                    "string attributes ending in \".\" hold more than {MAX_CANDIDATE_BYTES} bytes"
                )
            });
            continue;
        }
        out.push((format!("{at}:{name}"), value));
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Code;
    use crate::limits::Limits;
    use crate::policy::Policy;

    /// Built by `tests/fixtures/make_hdf5.py` (h5py) and checked there against PyTables.
    const FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/pytables_pickled_attrs.h5");

    #[test]
    fn pickles_in_attributes_pytables_unpickles_are_found_where_they_are() {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "store.h5");
        let walk = scan_attributes(&FIXTURE.to_vec(), &mut ctx).unwrap();
        assert_eq!(walk.incomplete, None);
        assert_eq!((walk.objects, walk.candidates), (3, 4));
        let mut found: Vec<(Code, String)> = ctx
            .findings
            .iter()
            .map(|f| (f.code, f.location.member.clone().unwrap_or_default()))
            .collect();
        found.sort();
        found.dedup();
        let at = |code, a: &str| (code, format!("<attribute {a}>"));
        assert_eq!(
            found,
            [
                at(Code::PickleDangerousGlobal, "/:TITLE"),
                at(Code::PickleDangerousGlobal, "/g/d:info"),
                // A variable-length ASCII string: PyTables reads it as bytes too.
                at(Code::PickleDangerousGlobal, "/g:blob"),
                at(Code::PickleDangerousCall, "/:TITLE"),
                at(Code::PickleDangerousCall, "/g/d:info"),
                at(Code::PickleDangerousCall, "/g:blob"),
            ]
        );
    }

    #[test]
    fn a_cut_file_reports_the_attributes_it_reaches_and_says_the_walk_is_incomplete() {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "x.h5");
        let cut = FIXTURE[..600].to_vec();
        let walk = scan_attributes(&cut, &mut ctx).unwrap();
        assert!(walk.incomplete.is_some());
        assert!(
            ctx.findings
                .iter()
                .all(|f| f.location.member.as_deref() == Some("<attribute /:TITLE>"))
        );
        // Bytes that are no HDF5 file at all: nothing walked, nothing reported.
        let mut ctx = Ctx::new(&limits, &policy, "x.h5");
        let walk = scan_attributes(&b"\x89HDF\r\n\x1a\nnot really".to_vec(), &mut ctx).unwrap();
        assert_eq!(walk.objects, 0);
        assert!(walk.incomplete.is_some() && ctx.findings.is_empty());
    }
}
