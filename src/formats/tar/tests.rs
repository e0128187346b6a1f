//! Unit tests of the tar parser, on archives written block by block.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::header::{link_escapes, number, pax_records};
use super::*;
use crate::detect;
use crate::finding::Code;
use crate::limits::Limits;
use crate::policy::Policy;
use std::io::Write;

const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";

/// A ustar header block with a valid checksum; `size` is written as octal text.
fn header(name: &[u8], size: u64, typeflag: u8, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    seal(&mut h);
    h
}

/// Writes the checksum of a header whose fields were changed.
fn seal(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn data(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn member(out: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    out.extend_from_slice(&header(name.as_bytes(), bytes.len() as u64, b'0', b""));
    data(out, bytes);
}

fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, b) in members {
        member(&mut out, n, b);
    }
    end(&mut out);
    out
}

struct Run {
    format: Format,
    codes: Vec<Code>,
    members: Vec<Member>,
}

impl Run {
    fn has(&self, c: Code) {
        assert!(self.codes.contains(&c), "{c:?} not in {:?}", self.codes);
    }
    fn lacks(&self, c: Code) {
        assert!(!self.codes.contains(&c), "{c:?} in {:?}", self.codes);
    }
}

fn policy() -> &'static Policy {
    static P: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    P.get_or_init(|| Policy::new(&[], false).unwrap())
}

fn run_with(bytes: &[u8], limits: Limits) -> Run {
    let mut ctx = Ctx::new(&limits, policy(), "m.tar");
    let format = inspect(&bytes.to_vec(), &mut ctx).unwrap().format;
    Run {
        format,
        codes: ctx.findings.iter().map(|f| f.code).collect(),
        members: ctx.facts.members,
    }
}

/// Through the shared entry point, as a file named `name`.
fn run_file(bytes: &[u8], name: &str, limits: Limits) -> Run {
    let mut ctx = Ctx::new(&limits, policy(), name);
    let format = super::super::inspect_source(&bytes.to_vec(), &mut ctx, name).unwrap();
    Run {
        format,
        codes: ctx.findings.iter().map(|f| f.code).collect(),
        members: ctx.facts.members,
    }
}

fn run(bytes: &[u8]) -> Run {
    run_with(bytes, Limits::default())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(bytes).unwrap();
    g.finish().unwrap()
}

#[test]
fn detects_ustar_gnu_and_checksummed_v7_headers() {
    let t = tar(&[("a.txt", b"hello")]);
    assert_eq!(detect::detect(&t, t.len() as u64, "x"), Format::Tar);
    let mut gnu = t.clone();
    gnu[257..265].copy_from_slice(b"ustar  \0");
    assert_eq!(detect::detect(&gnu, gnu.len() as u64, "x"), Format::Tar);
    let mut v7 = t.clone();
    v7[257..265].fill(0);
    let mut h: [u8; 512] = v7[..512].try_into().unwrap();
    seal(&mut h);
    v7[..512].copy_from_slice(&h);
    assert_eq!(detect::detect(&v7, v7.len() as u64, "x"), Format::Tar);
    // Without the magic, a bad checksum is not a tar.
    v7[0] = b'b';
    assert_ne!(detect::detect(&v7, v7.len() as u64, "x"), Format::Tar);
}

#[test]
fn scans_every_member_by_content_whatever_its_name() {
    let r = run(&tar(&[
        ("config.json", b"{\"a\": 1}"),
        ("weights.txt", MAL),
    ]));
    assert_eq!(r.format, Format::Tar);
    r.has(Code::PickleDangerousCall);
    assert_eq!(r.members.len(), 2);
    assert_eq!(r.members[1].format, Format::Pickle);
}

#[test]
fn reports_a_truncated_header() {
    let mut t = tar(&[("a.txt", b"hello")]);
    t.truncate(1024 + 300);
    t[1024..1324].fill(b'x');
    let r = run(&t[..1324]);
    r.has(Code::TarMalformed);
}

#[test]
fn reports_a_truncated_member_and_scans_what_is_there() {
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"big.pkl", 1 << 20, b'0', b""));
    t.extend_from_slice(MAL);
    let r = run(&t);
    r.has(Code::TarMalformed);
    r.has(Code::PickleDangerousCall);
}

#[test]
fn a_bad_checksum_is_malformed_and_the_next_header_is_still_found() {
    let mut t = tar(&[("a.txt", b"hello"), ("b.bin", MAL)]);
    t[0] ^= 1;
    let r = run(&t);
    r.has(Code::TarMalformed);
    r.has(Code::PickleDangerousCall);
}

#[test]
fn a_huge_declared_size_is_truncation_not_an_allocation() {
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"huge", 0o77777777777, b'0', b""));
    t.extend_from_slice(b"some bytes");
    let r = run(&t);
    r.has(Code::TarMalformed);
    // Base-256 past 64 bits is not a number.
    let mut h = header(b"huger", 0, b'0', b"");
    h[124] = 0x80;
    h[125..136].fill(0xff);
    seal(&mut h);
    let r = run(&h);
    r.has(Code::TarMalformed);
}

#[test]
fn a_negative_size_never_moves_backwards() {
    let mut t = Vec::new();
    let mut h = header(b"neg", 0, b'0', b"");
    h[124..136].fill(0xff);
    seal(&mut h);
    t.extend_from_slice(&h);
    member(&mut t, "after.bin", MAL);
    end(&mut t);
    assert_eq!(number(&h[124..136]), Ok(None));
    let r = run(&t);
    r.has(Code::TarMalformed);
    r.has(Code::PickleDangerousCall);
}

#[test]
fn a_base256_size_is_read() {
    let mut t = Vec::new();
    let mut h = header(b"b256.pkl", 0, b'0', b"");
    h[124..136].fill(0);
    h[124] = 0x80;
    h[135] = MAL.len() as u8;
    seal(&mut h);
    t.extend_from_slice(&h);
    data(&mut t, MAL);
    end(&mut t);
    let r = run(&t);
    assert_eq!(r.members[0].size, MAL.len() as u64);
    r.has(Code::PickleDangerousCall);
    r.lacks(Code::TarMalformed);
}

fn pax(records: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in records {
        let kv = format!(" {k}={v}\n");
        let mut n = kv.len() + 1;
        if format!("{n}{kv}").len() != n {
            n += 1;
        }
        body.extend_from_slice(format!("{n}{kv}").as_bytes());
    }
    body
}

#[test]
fn a_pax_size_overrides_the_header_size() {
    let mut t = Vec::new();
    let p = pax(&[("size", &MAL.len().to_string()), ("path", "renamed.pkl")]);
    t.extend_from_slice(&header(b"PaxHeaders/x", p.len() as u64, b'x', b""));
    data(&mut t, &p);
    // The ustar header says 0 bytes: a reader that ignores pax reads the pickle as a header.
    t.extend_from_slice(&header(b"x", 0, b'0', b""));
    data(&mut t, MAL);
    member(&mut t, "next.txt", b"still found");
    end(&mut t);
    let r = run(&t);
    assert_eq!(r.members[0].name, "renamed.pkl");
    assert_eq!(r.members[0].size, MAL.len() as u64);
    assert_eq!(r.members[1].name, "next.txt");
    r.has(Code::PickleDangerousCall);
    r.lacks(Code::TarMalformed);
}

#[test]
fn an_invalid_pax_record_is_malformed() {
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"PaxHeaders/x", 11, b'x', b""));
    data(&mut t, b"99 path=a\n\n");
    member(&mut t, "a", b"text\n");
    end(&mut t);
    run(&t).has(Code::TarMalformed);
    assert!(pax_records(b"5 a=\n").is_ok());
    assert!(pax_records(b"6 size=x\n").is_err());
}

#[test]
fn gnu_long_names_name_the_next_member_and_the_first_extension_wins() {
    let long = "d/".repeat(100) + "model.pkl";
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"././@LongLink", long.len() as u64 + 1, b'L', b""));
    data(&mut t, format!("{long}\0").as_bytes());
    let p = pax(&[("path", "loses.pkl")]);
    t.extend_from_slice(&header(b"PaxHeaders/x", p.len() as u64, b'x', b""));
    data(&mut t, &p);
    member(&mut t, "short", MAL);
    end(&mut t);
    let r = run(&t);
    assert_eq!(r.members[0].name, long);
}

#[test]
fn long_name_chains_are_bounded() {
    let mut t = Vec::new();
    for _ in 0..1000 {
        t.extend_from_slice(&header(b"././@LongLink", 4, b'L', b""));
        data(&mut t, b"abc\0");
    }
    member(&mut t, "x", MAL);
    end(&mut t);
    let r = run(&t);
    r.has(Code::TarLimitExceeded);
    r.has(Code::PickleDangerousCall);
    // An extension header larger than the cap is skipped, not read.
    let limits = Limits {
        max_tar_header_data: 16,
        ..Limits::default()
    };
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"././@LongLink", 600, b'L', b""));
    data(&mut t, &[b'a'; 600]);
    member(&mut t, "x", MAL);
    end(&mut t);
    let r = run_with(&t, limits);
    r.has(Code::TarLimitExceeded);
    assert_eq!(r.members[0].name, "x");
}

#[test]
fn links_devices_traversal_and_duplicates_are_reported() {
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"ok-link", 0, b'2', b"sub/file"));
    let r = run(&{
        let mut t = t.clone();
        end(&mut t);
        t
    });
    assert!(r.codes.is_empty(), "{:?}", r.codes);
    t.extend_from_slice(&header(b"a/b/up", 0, b'2', b"../../../etc/passwd"));
    t.extend_from_slice(&header(b"hard", 0, b'1', b"/etc/shadow"));
    t.extend_from_slice(&header(b"dev", 0, b'3', b""));
    t.extend_from_slice(&header(b"pipe", 0, b'6', b""));
    member(&mut t, "../escape.txt", b"x");
    member(&mut t, "same", b"1");
    member(&mut t, "./same", b"2");
    end(&mut t);
    let r = run(&t);
    let count = |c: Code| r.codes.iter().filter(|x| **x == c).count();
    assert_eq!(count(Code::TarLinkEscape), 2, "{:?}", r.codes);
    assert_eq!(count(Code::TarSpecialFile), 2, "{:?}", r.codes);
    assert_eq!(count(Code::TarPathTraversal), 1, "{:?}", r.codes);
    assert_eq!(count(Code::TarDuplicateName), 1, "{:?}", r.codes);
}

#[test]
fn link_targets_resolve_from_the_link_directory() {
    assert!(!link_escapes(b"a/b/l", b"../c", true));
    assert!(!link_escapes(b"a/b/l", b"../../c", true));
    assert!(link_escapes(b"a/b/l", b"../../../c", true));
    // Hard links resolve from the root.
    assert!(link_escapes(b"a/b/l", b"../c", false));
    assert!(link_escapes(b"l", b"C:\\x", true));
    assert!(!link_escapes(b"l", b"./x/./y", true));
}

#[test]
fn data_behind_a_link_header_is_malformed() {
    let mut t = Vec::new();
    t.extend_from_slice(&header(b"l", 512, b'2', b"x"));
    data(&mut t, &[b'z'; 512]);
    end(&mut t);
    run(&t).has(Code::TarMalformed);
}

#[test]
fn members_after_the_end_marker_are_scanned_and_reported() {
    let mut t = tar(&[("a.txt", b"hello")]);
    member(&mut t, "hidden.bin", MAL);
    end(&mut t);
    let r = run(&t);
    r.has(Code::TarTrailingData);
    r.has(Code::PickleDangerousCall);
    // Bytes that are no header after the end are scanned for what they are.
    let mut t = tar(&[("a.txt", b"hello")]);
    t.extend_from_slice(MAL);
    let r = run(&t);
    r.has(Code::TarTrailingData);
    r.has(Code::PickleDangerousCall);
}

#[test]
fn the_legacy_torch_layout_is_recognised_and_its_pickles_scanned() {
    // `storages`: a count, then per storage a pickle and raw bytes (8-byte count first).
    let mut storages = b"\x80\x02K\x01.".to_vec();
    storages.extend_from_slice(b"\x80\x02X\x01\x00\x00\x000q\x00.");
    storages.extend_from_slice(&1u64.to_le_bytes());
    storages.extend_from_slice(&[0, 0, 0x80, 0x3f]);
    let r = run(&tar(&[
        ("sys_info", b"\x80\x02}q\x00."),
        ("storages", &storages),
        ("tensors", b"\x80\x02K\x00."),
        ("pickle", MAL),
    ]));
    assert_eq!(r.format, Format::PytorchTar);
    r.has(Code::PickleDangerousCall);
    r.lacks(Code::PickleTrailingData);
}

#[test]
fn a_tar_inside_gzip_is_read_as_a_stream() {
    let gz = gzip(&tar(&[("config.json", b"{}"), ("model.bin", MAL)]));
    let r = run_file(&gz, "model.tar.gz", Limits::default());
    r.has(Code::PickleDangerousCall);
    assert_eq!(r.members[1].name, "<gzip>!model.bin");
    // A member larger than the in-memory cap is streamed when it is a pickle.
    let limits = Limits {
        max_in_memory: 16,
        ..Limits::default()
    };
    run_file(&gz, "model.tar.gz", limits).has(Code::PickleDangerousCall);
}

#[test]
fn nested_tar_in_gzip_in_tar_stops_at_the_depth_limit() {
    // Each level is two: the member `inner.tar.gz`, then its decompressed `<gzip>`.
    let nested = |levels: usize| {
        let mut t = tar(&[("payload.pkl", MAL)]);
        for _ in 0..levels {
            t = tar(&[("inner.tar.gz", &gzip(&t))]);
        }
        t
    };
    let r = run(&nested(4));
    r.has(Code::ArchiveDepthExceeded);
    r.lacks(Code::PickleDangerousCall);
    // Within the limit, the payload is found.
    let r = run(&nested(2));
    r.has(Code::PickleDangerousCall);
    r.lacks(Code::ArchiveDepthExceeded);
}

#[test]
fn a_hundred_thousand_empty_members_stop_at_the_member_limit() {
    let n = 100_001;
    let mut t = Vec::with_capacity(n * 512 + 1024);
    for i in 0..n {
        t.extend_from_slice(&header(format!("f{i}").as_bytes(), 0, b'0', b""));
    }
    end(&mut t);
    let r = run(&t);
    r.has(Code::TarLimitExceeded);
    assert_eq!(r.members.len(), 100_000);
    assert!(r.members.capacity() <= 100_000);
}

#[test]
fn a_zip_stored_as_the_last_member_is_that_member_not_a_polyglot() {
    // The smallest zip: one stored member, its central directory and end record.
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&0xd87f7e0cu32.to_le_bytes());
    z.extend_from_slice(&[4, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0]);
    z.extend_from_slice(b"a.txttest");
    let cd = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&0xd87f7e0cu32.to_le_bytes());
    z.extend_from_slice(&[
        4, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    z.extend_from_slice(&[0, 0, 0, 0]);
    z.extend_from_slice(b"a.txt");
    let cd_len = z.len() as u32 - cd;
    z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    let r = run_file(&tar(&[("model.ckpt", &z)]), "model.nemo", Limits::default());
    assert_eq!(r.members[0].format, Format::Zip);
    assert!(r.codes.is_empty(), "{:?}", r.codes);
}

#[test]
fn a_tar_whose_first_name_is_a_pickle_is_a_polyglot() {
    let mut t = tar(&[("x", b"data")]);
    let name = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";
    t[..100].fill(0);
    t[..name.len()].copy_from_slice(name);
    let mut h: [u8; 512] = t[..512].try_into().unwrap();
    seal(&mut h);
    t[..512].copy_from_slice(&h);
    let r = run_file(&t, "x.tar", Limits::default());
    assert_eq!(r.format, Format::Tar);
    r.has(Code::Polyglot);
    r.has(Code::PickleDangerousCall);
}

#[test]
fn bytes_with_a_tar_magic_and_no_header_are_inspected_once_not_as_a_member_of_themselves() {
    // A pickle whose first block carries `ustar` at 257 and no valid checksum: detected as
    // a tar, whose first header is broken. Its bytes "after the archive" are all of it: they
    // were inspected as a member of itself, detected as a tar again, as deep as the depth
    // limit (a 14 KB input ran its pickle readings six times, then `archive-depth-exceeded`).
    let mut b = MAL.to_vec();
    b.resize(1024, 0);
    b[257..263].copy_from_slice(b"ustar\0");
    assert_eq!(detect::detect(&b, b.len() as u64, "x"), Format::Tar);
    let r = run_file(&b, "model.pkl", Limits::default());
    r.has(Code::TarMalformed);
    // The pickle a loader runs is found by the archive's own reading of it as a pickle.
    r.has(Code::PickleDangerousCall);
    r.lacks(Code::ArchiveDepthExceeded);
    assert!(r.members.is_empty(), "{:?}", r.members);
}

#[test]
fn a_pickle_whose_first_string_carries_the_tar_magic_is_also_read_as_a_pickle() {
    // No PROTO: a long string first, `ustar` in it at 257, then the payload. Detected as a
    // tar (with a broken header); `pickle.load` runs it.
    let mut text = vec![b'a'; 600];
    text[252..258].copy_from_slice(b"ustar\0");
    let mut b = b"X".to_vec();
    b.extend_from_slice(&(text.len() as u32).to_le_bytes());
    b.extend_from_slice(&text);
    b.push(b'0');
    b.extend_from_slice(&MAL[2..]);
    assert_eq!(detect::detect(&b, b.len() as u64, "x"), Format::Tar);
    let r = run_file(&b, "model.pkl", Limits::default());
    r.has(Code::TarMalformed);
    r.has(Code::PickleDangerousCall);
}
