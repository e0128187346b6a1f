//! TensorFlow checkpoint indexes (`variables/variables.index`, `model.ckpt-1000.index`): the
//! tensor bundle's table of contents, an immutable LevelDB-style table
//! (<https://github.com/tensorflow/tensorflow/blob/master/tensorflow/core/lib/io/format.h>,
//! `table_builder.cc`) mapping each tensor name to a `BundleEntryProto` (dtype, shape, shard,
//! offset, size, crc32c), with the `BundleHeaderProto` under the empty key. Restoring reads
//! numbers and the tensors' bytes from the `.data-NNNNN-of-NNNNN` shards: nothing in it runs
//! code.
//!
//! A table has no magic number at its start: its 48-byte footer ends with
//! `0xdb4775248b80fb57`, so recognition needs the end of the file and happens here, on bytes
//! detection left unknown (an index starts with a block entry, whose NUL bytes keep it from
//! ever being text). The magic alone is not enough: the footer's metaindex and index handles
//! must point at blocks inside the file, each block's trailer must name no compression or
//! Snappy, and the masked CRC-32C of the index and metaindex blocks must match. Data blocks the
//! index names are walked for their entries when uncompressed (the bundle writer never
//! compresses them), each checked the same way.
//!
//! The `.data-*` shards are raw tensor bytes laid end to end: nothing in them says what they
//! are, so they stay unknown.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::Format;
use crate::finding::Code;
use crate::source::Source;
use serde::Serialize;
use std::io;

/// `kTableMagicNumber`, stored as a little-endian fixed64 at the very end.
const MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// Footer: two block handles padded to 40 bytes, then the magic.
const FOOTER: u64 = 48;
/// Block trailer: compression type byte and masked CRC-32C.
const TRAILER: u64 = 5;
/// Largest index file read (an entry is about a hundred bytes per tensor: real indexes are
/// kilobytes to a few megabytes).
const MAX_READ: u64 = 64 << 20;

/// What the index says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TfCheckpointFacts {
    /// Tensors listed (entries but the header), when the blocks are uncompressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensors: Option<u64>,
    /// `BundleHeaderProto.num_shards`: how many `.data-*` files hold the tensors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_shards: Option<u64>,
    /// Data blocks in the table.
    pub data_blocks: u64,
    /// For each shard that entries place bytes in: the end of the furthest tensor's bytes
    /// (`offset + size`), at most [`MAX_SHARDS`] shards. The `.data-*` files are checked
    /// against it when the directory is put together (`scan`).
    #[serde(skip)]
    pub shard_ends: std::collections::BTreeMap<u64, u64>,
}

/// Shards whose extents are kept (TensorFlow writes one per saving device; real checkpoints
/// have a handful).
pub const MAX_SHARDS: u64 = 4096;

/// `BundleEntryProto`'s `shard_id` (3), `offset` (4) and `size` (5): the shard it lies in and
/// where its bytes end; `None` for an entry that is not a readable protobuf message.
fn entry_extent(entry: &[u8]) -> Option<(u64, u64)> {
    let (mut shard, mut offset, mut size) = (0u64, 0u64, 0u64);
    let mut at = 0usize;
    while at < entry.len() {
        let key = varint(entry, &mut at)?;
        match key & 7 {
            0 => {
                let v = varint(entry, &mut at)?;
                match key >> 3 {
                    3 => shard = v,
                    4 => offset = v,
                    5 => size = v,
                    _ => {}
                }
            }
            1 => at = at.checked_add(8)?,
            2 => {
                let n = usize::try_from(varint(entry, &mut at)?).ok()?;
                at = at.checked_add(n)?;
            }
            5 => at = at.checked_add(4)?,
            _ => return None,
        }
    }
    (at == entry.len()).then_some((shard, offset.checked_add(size)?))
}

impl crate::formats::FormatFacts for TfCheckpointFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        if let Some(n) = self.tensors {
            out.push(("aibom:tf-checkpoint:tensors", n.to_string()));
        }
        if let Some(n) = self.num_shards {
            out.push(("aibom:tf-checkpoint:shards", n.to_string()));
        }
    }
}

/// A varint (at most 10 bytes) at `*at`, moving past it.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..70u32).step_by(7) {
        let byte = *b.get(*at)?;
        *at = at.checked_add(1)?;
        v |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), bit by bit: only index and data
/// blocks of a checkpoint index are checked, kilobytes each.
fn crc32c(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &byte in *part {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0x82f6_3b78 & (crc & 1).wrapping_neg());
            }
        }
    }
    !crc
}

/// LevelDB's CRC masking (`crc32c::Mask`): rotate right by 15 and add a constant.
fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// The contents of the block at a handle (`offset`, `size`), with its trailer checked, and
/// whether it is uncompressed; `None` when it does not fit before `end` or its CRC is wrong.
fn block(b: &[u8], offset: u64, size: u64, end: u64) -> Option<(&[u8], bool)> {
    let stop = offset.checked_add(size)?;
    if stop.checked_add(TRAILER)? > end {
        return None;
    }
    let (start, stop) = (usize::try_from(offset).ok()?, usize::try_from(stop).ok()?);
    let contents = b.get(start..stop)?;
    let kind = *b.get(stop)?;
    let stored = u32::from_le_bytes(
        b.get(stop.checked_add(1)?..stop.checked_add(5)?)?
            .try_into()
            .ok()?,
    );
    if kind > 1 || mask(crc32c(&[contents, &[kind]])) != stored {
        return None;
    }
    Some((contents, kind == 0))
}

/// The entries of an uncompressed block: (key, value), keys rebuilt from their shared
/// prefixes. `None` when an entry runs past the entries area or shares more than the last key.
fn entries(block: &[u8]) -> Option<Vec<(Vec<u8>, &[u8])>> {
    let n = block.len();
    let restarts = usize::try_from(u32::from_le_bytes(
        block.get(n.checked_sub(4)?..)?.try_into().ok()?,
    ))
    .ok()?;
    let end = n.checked_sub(restarts.checked_add(1)?.checked_mul(4)?)?;
    let area = block.get(..end)?;
    let mut out: Vec<(Vec<u8>, &[u8])> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut at = 0usize;
    while at < end {
        let shared = usize::try_from(varint(area, &mut at)?).ok()?;
        let own = usize::try_from(varint(area, &mut at)?).ok()?;
        let vlen = usize::try_from(varint(area, &mut at)?).ok()?;
        if shared > key.len() {
            return None;
        }
        key.truncate(shared);
        key.extend_from_slice(area.get(at..at.checked_add(own)?)?);
        at = at.checked_add(own)?;
        let value = area.get(at..at.checked_add(vlen)?)?;
        at = at.checked_add(vlen)?;
        out.push((key.clone(), value));
    }
    Some(out)
}

/// `BundleHeaderProto.num_shards` (field 1, varint), read without a schema walk: the header
/// is a handful of bytes.
fn num_shards(header: &[u8]) -> Option<u64> {
    let mut at = 0usize;
    while at < header.len() {
        let key = varint(header, &mut at)?;
        match key & 7 {
            0 => {
                let v = varint(header, &mut at)?;
                if key >> 3 == 1 {
                    return Some(v);
                }
            }
            2 => {
                let n = usize::try_from(varint(header, &mut at)?).ok()?;
                at = at.checked_add(n)?;
            }
            _ => return None,
        }
    }
    None
}

/// Reads the footer and the blocks; `None` when the bytes are not a table.
fn read(b: &[u8]) -> Option<TfCheckpointFacts> {
    let len = u64::try_from(b.len()).ok()?;
    let footer_at = len.checked_sub(FOOTER)?;
    let footer = b.get(usize::try_from(footer_at).ok()?..)?;
    if u64::from_le_bytes(footer.get(40..48)?.try_into().ok()?) != MAGIC {
        return None;
    }
    let handles = footer.get(..40)?;
    let mut at = 0usize;
    let (meta_off, meta_size) = (varint(handles, &mut at)?, varint(handles, &mut at)?);
    let (index_off, index_size) = (varint(handles, &mut at)?, varint(handles, &mut at)?);
    // The metaindex block is checked (it is empty in bundles) but not read.
    block(b, meta_off, meta_size, footer_at)?;
    let (index, plain) = block(b, index_off, index_size, footer_at)?;
    let mut facts = TfCheckpointFacts::default();
    if !plain {
        return Some(facts);
    }
    let mut tensors = 0u64;
    let mut all_plain = true;
    for (_, handle) in entries(index)? {
        let mut at = 0usize;
        let (off, size) = (varint(handle, &mut at)?, varint(handle, &mut at)?);
        // Data blocks lie before the metaindex and index blocks.
        let (data, plain) = block(b, off, size, meta_off.min(index_off))?;
        facts.data_blocks = facts.data_blocks.saturating_add(1);
        if !plain {
            all_plain = false;
            continue;
        }
        for (key, value) in entries(data)? {
            if key.is_empty() {
                facts.num_shards = num_shards(value);
            } else {
                tensors = tensors.saturating_add(1);
                if let Some((shard, end)) = entry_extent(value)
                    && shard < MAX_SHARDS
                {
                    let e = facts.shard_ends.entry(shard).or_insert(0);
                    *e = (*e).max(end);
                }
            }
        }
    }
    facts.tensors = all_plain.then_some(tensors);
    Some(facts)
}

/// Whether the last bytes of `src` are a table footer whose magic matches: the cheap first
/// test, before the file is read.
pub fn has_footer(src: &dyn Source) -> bool {
    let Some(at) = src.len().checked_sub(FOOTER) else {
        return false;
    };
    src.read_vec(at.saturating_add(40), 8)
        .ok()
        .and_then(|m| m.try_into().ok())
        .is_some_and(|m: [u8; 8]| u64::from_le_bytes(m) == MAGIC)
}

/// Reads the table of a file whose footer has the magic ([`has_footer`]); returns
/// [`Format::TfCheckpointIndex`] with its facts, or [`Format::Unknown`] (with the
/// `unknown-format` finding saying why) when the blocks behind the footer do not check out.
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Format> {
    let facts = if src.len() > MAX_READ {
        None
    } else {
        read(&src.read_vec(0, usize::try_from(src.len()).unwrap_or(0))?)
    };
    let Some(facts) = facts else {
        ctx.report(
            Code::UnknownFormat,
            None,
            format!(
                "the bytes end with a TensorFlow table footer, but its blocks do not check out (handles, trailers, CRC-32C) or the file is over {} MiB; hashed only",
                MAX_READ >> 20
            ),
        );
        return Ok(Format::Unknown);
    };
    ctx.facts.tf_checkpoint = Some(facts);
    Ok(Format::TfCheckpointIndex)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
pub(crate) mod tests {
    use super::*;

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// One block of `(key, value)` entries (no shared prefixes, one restart), with trailer.
    fn block_bytes(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        for (k, v) in entries {
            put_varint(&mut b, 0);
            put_varint(&mut b, k.len() as u64);
            put_varint(&mut b, v.len() as u64);
            b.extend_from_slice(k);
            b.extend_from_slice(v);
        }
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        let crc = mask(crc32c(&[&b, &[0]]));
        b.push(0);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// A checkpoint index: header entry (num_shards 1) and `names`, in one data block.
    pub(crate) fn index(names: &[&str]) -> Vec<u8> {
        let header: &[u8] = b"\x08\x01";
        let mut items: Vec<(&[u8], &[u8])> = vec![(b"", header)];
        items.extend(names.iter().map(|n| (n.as_bytes(), &b"\x08\x01"[..])));
        let data = block_bytes(&items);
        let data_size = data.len() as u64 - TRAILER;
        let mut file = data;
        let meta_off = file.len() as u64;
        let meta = block_bytes(&[]);
        file.extend_from_slice(&meta);
        let index_off = file.len() as u64;
        let mut handle = Vec::new();
        put_varint(&mut handle, 0);
        put_varint(&mut handle, data_size);
        let last = names.last().map_or(&b""[..], |n| n.as_bytes());
        let idx = block_bytes(&[(last, &handle)]);
        file.extend_from_slice(&idx);
        let mut footer = Vec::new();
        put_varint(&mut footer, meta_off);
        put_varint(&mut footer, meta.len() as u64 - TRAILER);
        put_varint(&mut footer, index_off);
        put_varint(&mut footer, idx.len() as u64 - TRAILER);
        footer.resize(40, 0);
        footer.extend_from_slice(&MAGIC.to_le_bytes());
        file.extend_from_slice(&footer);
        file
    }

    #[test]
    fn an_entry_gives_the_shard_and_end_of_its_bytes() {
        // dtype 1, shape [2], shard_id 2, offset 8, size 8, crc32c.
        let e = b"\x08\x01\x12\x04\x12\x02\x08\x02\x18\x02\x20\x08\x28\x08\x35\x01\x02\x03\x04";
        assert_eq!(entry_extent(e), Some((2, 16)));
        // shard_id absent: shard 0; a field cut short or an end past u64: not read.
        assert_eq!(entry_extent(b"\x28\x05"), Some((0, 5)));
        assert_eq!(entry_extent(b"\x35\x01\x02"), None);
        let mut over = b"\x20".to_vec();
        put_varint(&mut over, u64::MAX);
        over.extend_from_slice(b"\x28\x01");
        assert_eq!(entry_extent(&over), None);
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(&[b"123456789"]), 0xe306_9283);
    }

    #[test]
    fn an_index_is_recognised_with_its_tensor_count() {
        let b = index(&["dense/bias", "dense/kernel"]);
        assert!(has_footer(&b));
        let facts = read(&b).unwrap();
        assert_eq!(
            (facts.tensors, facts.num_shards, facts.data_blocks),
            (Some(2), Some(1), 1)
        );
    }

    #[test]
    fn the_magic_alone_is_not_a_table() {
        let mut b = vec![0u8; 100];
        b.extend_from_slice(&[0; 40]);
        b.extend_from_slice(&MAGIC.to_le_bytes());
        assert!(has_footer(&b));
        assert!(read(&b).is_none());
        // One flipped bit in a block breaks its CRC.
        let mut flipped = index(&["w"]);
        flipped[3] ^= 1;
        assert!(read(&flipped).is_none());
    }

    #[test]
    fn truncated_and_huge_handles_are_rejected_without_a_panic() {
        let b = index(&["a", "b"]);
        for cut in 0..b.len() {
            assert!(read(&b[..cut]).is_none(), "cut at {cut}");
        }
        let mut huge = vec![0u8; 16];
        let mut footer = Vec::new();
        for v in [u64::MAX, u64::MAX, 1 << 62, 1 << 62] {
            put_varint(&mut footer, v);
        }
        footer.resize(40, 0);
        footer.extend_from_slice(&MAGIC.to_le_bytes());
        huge.extend_from_slice(&footer);
        assert!(read(&huge).is_none());
    }
}
