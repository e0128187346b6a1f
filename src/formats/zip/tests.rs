//! Unit tests of the zip parser, on archives written by hand with every field open to corruption.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::records::{
    BZIP2, CENTRAL_LEN, CENTRAL_SIG, DESCRIPTOR_SIG, EOCD_SIG, FLAG_DESCRIPTOR, FLAG_ENCRYPTED,
    LOCAL_SIG, LZMA, Z64_EOCD_SIG, Z64_LOCATOR_SIG, ZSTD,
};
use super::*;
use crate::limits::Limits;
use crate::policy::Policy;
use std::io::Write;

const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";
const SAFE: &[u8] = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";

fn crc(b: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(b);
    c.sum()
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// One member as written by hand, with every field open to corruption.
#[derive(Clone)]
struct E {
    name: Vec<u8>,
    local_name: Vec<u8>,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    local_flags: u16,
    crc: u32,
    csize: u32,
    usize: u32,
    in_central: bool,
    /// Write sizes in a data descriptor (with signature) instead of the local header.
    descriptor: bool,
}

fn stored(name: &str, content: &[u8]) -> E {
    E {
        name: name.as_bytes().to_vec(),
        local_name: name.as_bytes().to_vec(),
        data: content.to_vec(),
        method: 0,
        flags: 0,
        local_flags: 0,
        crc: crc(content),
        csize: content.len() as u32,
        usize: content.len() as u32,
        in_central: true,
        descriptor: false,
    }
}

fn deflated(name: &str, content: &[u8]) -> E {
    let data = deflate(content);
    E {
        csize: data.len() as u32,
        data,
        method: 8,
        ..stored(name, content)
    }
}

fn build(entries: &[E]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        let (crc, cs, us) = if e.descriptor {
            (0, 0, 0)
        } else {
            (e.crc, e.csize, e.usize)
        };
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.local_flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&cs.to_le_bytes());
        out.extend_from_slice(&us.to_le_bytes());
        out.extend_from_slice(&(e.local_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.local_name);
        out.extend_from_slice(&e.data);
        if e.descriptor {
            out.extend_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
            out.extend_from_slice(&e.crc.to_le_bytes());
            out.extend_from_slice(&e.csize.to_le_bytes());
            out.extend_from_slice(&e.usize.to_le_bytes());
        }
    }
    let cd_start = out.len() as u32;
    let mut n = 0u16;
    for (e, off) in entries.iter().zip(&offsets) {
        if !e.in_central {
            continue;
        }
        n += 1;
        out.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&e.csize.to_le_bytes());
        out.extend_from_slice(&e.usize.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&e.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn pytorch(pkl: &[u8]) -> Vec<E> {
    vec![
        stored("archive/data.pkl", pkl),
        stored("archive/version", b"3\n"),
        stored("archive/data/0", &[0u8; 4096]),
    ]
}

struct Run {
    format: Format,
    codes: Vec<Code>,
    ctx_members: Vec<Member>,
    findings: Vec<crate::finding::Finding>,
}

fn policy() -> &'static Policy {
    static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| Policy::new(&[], false).unwrap())
}

fn run_with(bytes: &[u8], limits: Limits) -> Run {
    let mut ctx = Ctx::new(&limits, policy(), "t.zip");
    let bytes = bytes.to_vec();
    let format = inspect(&bytes, &mut ctx, None).unwrap();
    Run {
        format,
        codes: ctx.findings.iter().map(|f| f.code).collect(),
        ctx_members: ctx.facts.members.clone(),
        findings: ctx.findings.clone(),
    }
}

fn run(bytes: &[u8]) -> Run {
    run_with(bytes, Limits::default())
}

fn has(r: &Run, c: Code) -> bool {
    r.codes.contains(&c)
}

fn zip_codes(r: &Run) -> Vec<Code> {
    r.codes
        .iter()
        .copied()
        .filter(|c| c.as_str().starts_with("zip-"))
        .collect()
}

#[test]
fn clean_pytorch_checkpoint_has_no_zip_findings() {
    let r = run(&build(&pytorch(SAFE)));
    assert_eq!(r.format, Format::PytorchZip);
    assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
    let names: Vec<&str> = r.ctx_members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["archive/data.pkl", "archive/version", "archive/data/0"]
    );
    assert_eq!(r.ctx_members[0].format, Format::Pickle);
    assert_eq!(r.ctx_members[2].size, 4096);
}

#[test]
fn finds_a_pickle_payload_in_a_stored_member_whatever_its_name() {
    let r = run(&build(&[stored("archive/weights.txt", MAL)]));
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::PickleDangerousGlobal)
        .unwrap();
    assert_eq!(f.location.member.as_deref(), Some("archive/weights.txt"));
}

#[test]
fn descriptor_written_members_like_miniz_are_clean() {
    let mut es = pytorch(SAFE);
    for e in &mut es {
        e.descriptor = true;
        e.flags = FLAG_DESCRIPTOR | 1 << 11;
        e.local_flags = e.flags;
    }
    es.push(E {
        descriptor: true,
        flags: FLAG_DESCRIPTOR,
        local_flags: FLAG_DESCRIPTOR,
        ..deflated("archive/extra.pkl", MAL)
    });
    let r = run(&build(&es));
    assert_eq!(r.format, Format::PytorchZip);
    assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert_eq!(r.ctx_members.len(), 4);
}

#[test]
fn finds_a_pickle_payload_in_a_deflated_member() {
    let r = run(&build(&[deflated("archive/data.pkl", MAL)]));
    assert_eq!(r.format, Format::PytorchZip);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
    assert_eq!(r.ctx_members[0].size, MAL.len() as u64);
}

#[test]
fn large_deflated_pickle_is_streamed() {
    // A pickle whose declared size is past the in-memory limit: pad with a long BINBYTES.
    let mut p = b"\x80\x02cos\nsystem\n".to_vec();
    let pad = vec![b'a'; 300_000];
    p.extend_from_slice(b"B");
    p.extend_from_slice(&(pad.len() as u32).to_le_bytes());
    p.extend_from_slice(&pad);
    p.extend_from_slice(b"\x85R.");
    let limits = Limits {
        max_in_memory: 1000,
        ..Limits::default()
    };
    let r = run_with(&build(&[deflated("archive/data.pkl", &p)]), limits);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert!(!has(&r, Code::ZipCrcMismatch), "{:?}", r.findings);
    assert_eq!(r.ctx_members[0].size, p.len() as u64);
}

#[test]
fn a_streamed_member_whose_frames_disagree_is_read_again_frame_by_frame() {
    // torch.load reads data.pkl through io.BytesIO: frame by frame. A 300 KB frame padded
    // with POPs of None, then a SHORT_BINUNICODE of 8 with 4 bytes left in the frame; read
    // frame by frame, the 8 come from the frame's end and the reading resumes in the
    // BINSTRING after it, at the payload.
    let payload = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";
    let inner_len = 300_000 + 6;
    let mut p = b"\x80\x04\x95".to_vec();
    p.extend_from_slice(&(inner_len as u64).to_le_bytes());
    for _ in 0..150_000 {
        p.extend_from_slice(b"N0");
    }
    p.extend_from_slice(b"\x8c\x08AAAAAAAAU");
    p.push(2 + payload.len() as u8);
    p.extend_from_slice(b"AA");
    p.extend_from_slice(payload);
    p.push(b'.');
    let limits = Limits {
        max_in_memory: 1000,
        ..Limits::default()
    };
    let r = run_with(&build(&[deflated("archive/data.pkl", &p)]), limits);
    assert!(has(&r, Code::PickleFrameOverrun), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.findings);
    assert!(!has(&r, Code::PickleLimitExceeded), "{:?}", r.findings);
}

#[test]
fn crc_mismatch_is_reported_and_the_member_still_scanned() {
    let mut e = stored("archive/data.pkl", MAL);
    e.crc ^= 0xffff_ffff;
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    let mut e = deflated("archive/data.pkl", MAL);
    e.crc ^= 1;
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
}

#[test]
fn encrypted_flag_is_reported_and_the_member_scanned_as_plain() {
    let mut e = stored("archive/data.pkl", MAL);
    e.flags = FLAG_ENCRYPTED;
    e.local_flags = FLAG_ENCRYPTED;
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipEncryptedFlag), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert!(!has(&r, Code::ZipHeaderMismatch), "{:?}", r.findings);
}

#[test]
fn local_and_central_names_that_differ_are_a_mismatch() {
    let mut e = stored("archive/data.pkl", MAL);
    e.local_name = b"archive/datX.pkl".to_vec();
    let r = run(&build(&[e]));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::ZipHeaderMismatch)
        .expect("mismatch");
    assert_eq!(f.evidence.expected.as_deref(), Some("\"archive/data.pkl\""));
    assert_eq!(f.evidence.actual.as_deref(), Some("\"archive/datX.pkl\""));
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    // Flags that differ between the views too.
    let mut e = stored("a.pkl", SAFE);
    e.local_flags = 1 << 11;
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipHeaderMismatch), "{:?}", r.codes);
}

#[test]
fn hidden_local_entry_is_reported_and_scanned() {
    let mut hidden = stored("archive/evil.pkl", MAL);
    hidden.in_central = false;
    let mut es = pytorch(SAFE);
    es.insert(1, hidden);
    let r = run(&build(&es));
    assert!(has(&r, Code::ZipHiddenEntry), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert_eq!(r.format, Format::PytorchZip);
}

#[test]
fn central_entry_without_local_header_is_hidden() {
    let mut bytes = build(&[stored("a.pkl", SAFE), stored("b.pkl", SAFE)]);
    // Point the second central entry into the middle of the first member's data.
    let cd = find_eocd(&bytes).unwrap().unwrap().cd_offset as usize;
    let second = cd + CENTRAL_LEN + "a.pkl".len();
    bytes[second + 42..second + 46].copy_from_slice(&33u32.to_le_bytes());
    let r = run(&bytes);
    assert!(has(&r, Code::ZipHiddenEntry), "{:?}", r.codes);
}

#[test]
fn duplicate_names_are_reported_and_both_scanned() {
    let r = run(&build(&[stored("data.pkl", SAFE), stored("data.pkl", MAL)]));
    assert!(has(&r, Code::ZipDuplicateName), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
    assert_eq!(
        r.codes
            .iter()
            .filter(|c| **c == Code::ZipDuplicateName)
            .count(),
        1
    );
}

#[test]
fn path_traversal_names_are_reported() {
    for name in ["../evil.pkl", "/etc/x", "C:\\x", "a\\..\\b", "a/../../b"] {
        let r = run(&build(&[stored(name, SAFE)]));
        assert!(has(&r, Code::ZipPathTraversal), "{name}: {:?}", r.codes);
    }
    for name in ["a/b..c", "..a/b", "archive/data.pkl"] {
        let r = run(&build(&[stored(name, SAFE)]));
        assert!(!has(&r, Code::ZipPathTraversal), "{name}: {:?}", r.codes);
    }
}

#[test]
fn truncated_archives_never_panic_and_are_malformed() {
    let mut es = pytorch(MAL);
    es.push(deflated("archive/x.pkl", MAL));
    es[0].descriptor = true;
    es[0].flags = FLAG_DESCRIPTOR;
    es[0].local_flags = FLAG_DESCRIPTOR;
    let bytes = build(&es);
    for cut in 0..bytes.len() {
        let r = run(&bytes[..cut]);
        if cut > 4 {
            assert!(has(&r, Code::ZipMalformed), "cut {cut}: {:?}", r.codes);
        }
    }
    // The payload is found from the local headers even without a central directory.
    let cd = find_eocd(&bytes).unwrap().unwrap().cd_offset as usize;
    let r = run(&bytes[..cd]);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
}

#[test]
fn corrupted_bytes_never_panic() {
    let mut es = pytorch(MAL);
    es.push(deflated("archive/x.pkl", MAL));
    let bytes = build(&es);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() % b.len() as u64) as usize;
            b[i] = next() as u8;
        }
        run(&b);
    }
}

#[test]
fn trailing_data_after_the_end_record() {
    let mut bytes = build(&pytorch(SAFE));
    bytes.extend_from_slice(b"junk after the archive");
    let r = run(&bytes);
    assert!(has(&r, Code::ZipTrailingData), "{:?}", r.codes);
    assert_eq!(r.format, Format::PytorchZip);
    // What hides there is scanned for what it is.
    let mut bytes = build(&pytorch(SAFE));
    bytes.extend_from_slice(MAL);
    let r = run(&bytes);
    assert!(has(&r, Code::ZipTrailingData), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
}

#[test]
fn bytes_between_members_are_reported() {
    let mut a = stored("a.pkl", SAFE);
    a.csize -= 1; // both views agree on a shorter member; its last byte belongs to none
    a.usize -= 1;
    a.crc = crc(&SAFE[..SAFE.len() - 1]);
    let r = run(&build(&[a, stored("b.pkl", SAFE)]));
    assert!(has(&r, Code::ZipTrailingData), "{:?}", r.findings);
}

#[test]
fn read_member_inflates_under_the_limits_in_effect() {
    let zeros = vec![0u8; 4 << 20];
    let bytes = build(&[deflated("config.json", &zeros)]);
    let whole = read_member(&bytes, "config.json", 8 << 20, &Limits::default()).unwrap();
    assert_eq!(whole.map(|b| b.len()), Some(4 << 20));
    let tight = Limits {
        max_ratio: 10,
        ratio_min_output: 1 << 16,
        ..Limits::default()
    };
    let cut = read_member(&bytes, "config.json", 8 << 20, &tight)
        .unwrap()
        .unwrap();
    assert!(cut.len() < 1 << 20, "{}", cut.len());
}

#[test]
fn each_duplicated_name_is_reported_once_in_order_of_its_first_member() {
    let r = run(&build(&[
        stored("b.pkl", SAFE),
        stored("a.pkl", SAFE),
        stored("c.pkl", SAFE),
        stored("a.pkl", SAFE),
        stored("b.pkl", SAFE),
        stored("b.pkl", SAFE),
    ]));
    let dups: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::ZipDuplicateName)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(dups.len(), 2, "{dups:?}");
    assert!(
        dups[0].starts_with("3 members are named \"b.pkl\""),
        "{dups:?}"
    );
    assert!(
        dups[1].starts_with("2 members are named \"a.pkl\""),
        "{dups:?}"
    );
}

#[test]
fn zip_bomb_stops_at_the_cap() {
    let zeros = vec![0u8; 20 << 20];
    let bytes = build(&[deflated("zeros.bin", &zeros)]);
    let limits = Limits {
        max_decompressed: 1 << 20,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let r = run_with(&bytes, limits);
    assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
    // The ratio limit alone catches it too.
    let limits = Limits {
        max_ratio: 200,
        ratio_min_output: 1 << 20,
        ..Limits::default()
    };
    let r = run_with(&bytes, limits);
    assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
    // A sparse array of 20 MiB (np.savez_compressed of zeros) is not a bomb by default.
    let r = run(&bytes);
    assert!(!has(&r, Code::ZipBomb), "{:?}", r.codes);
    // So does the per-file budget.
    let limits = Limits {
        max_decompressed_total: 1 << 20,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let r = run_with(&bytes, limits);
    assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
}

#[test]
fn unsupported_method_is_malformed_and_skipped() {
    let mut e = stored("a.bin", b"whatever");
    e.method = 98; // PPMd
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
}

/// `content` compressed with `method` as a zip member named `name`.
fn compressed(name: &str, content: &[u8], method: u16, data: Vec<u8>) -> E {
    let mut e = stored(name, content);
    e.method = method;
    e.csize = data.len() as u32;
    e.data = data;
    e
}

const EVIL: &[u8] = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";

#[test]
fn bzip2_and_zstd_members_are_decompressed_and_inspected() {
    use std::io::Write;
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(EVIL).unwrap();
    let bz = bz.finish().unwrap();
    let zst = ruzstd::encoding::compress_to_vec(EVIL, ruzstd::encoding::CompressionLevel::Fastest);
    for (method, data) in [(BZIP2, bz), (ZSTD, zst)] {
        let r = run(&build(&[compressed(
            "archive/data.pkl",
            EVIL,
            method,
            data,
        )]));
        assert_eq!(r.format, Format::PytorchZip, "method {method}");
        assert!(
            has(&r, Code::PickleDangerousCall),
            "method {method}: {:?}",
            r.codes
        );
        assert!(zip_codes(&r).is_empty(), "method {method}: {:?}", r.codes);
    }
}

#[test]
fn corrupt_or_mislabelled_compressed_member_is_malformed() {
    let mut bad = compressed("archive/data.pkl", EVIL, BZIP2, b"BZh9 not bzip2".to_vec());
    bad.crc = 0;
    let r = run(&build(&[bad]));
    assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
    let r = run(&build(&[compressed(
        "a.pkl",
        EVIL,
        LZMA,
        vec![9, 20, 5, 0, 1],
    )]));
    assert!(has(&r, Code::ZipMalformed), "{:?}", r.codes);
}

#[test]
fn a_crc_that_does_not_match_the_decompressed_bytes_is_reported() {
    use std::io::Write;
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(SAFE).unwrap();
    let mut e = compressed("archive/data.pkl", SAFE, BZIP2, bz.finish().unwrap());
    e.crc ^= 1;
    let r = run(&build(&[e]));
    assert!(has(&r, Code::ZipCrcMismatch), "{:?}", r.codes);
}

#[test]
fn eocd_is_not_found_in_random_bytes() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for n in [0usize, 10, 22, 100, 70_000, 200_000] {
        let mut b = Vec::with_capacity(n);
        while b.len() < n {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            b.extend_from_slice(&seed.to_le_bytes());
        }
        b.truncate(n);
        assert!(find_eocd(&b).unwrap().is_none(), "{n}");
        // Even with an end-record signature planted in them.
        if n >= 100 {
            b[n - 40..n - 36].copy_from_slice(&EOCD_SIG.to_le_bytes());
            assert!(find_eocd(&b).unwrap().is_none(), "{n} planted");
        }
    }
    let zip = build(&pytorch(SAFE));
    let e = find_eocd(&zip).unwrap().unwrap();
    assert_eq!(e.base, 0);
    assert_eq!(e.entries, 3);
}

#[test]
fn zip_behind_a_pickle_is_found_from_its_end() {
    let zip = build(&[stored("archive/data.pkl", MAL)]);
    let mut poly = SAFE.to_vec();
    poly.extend_from_slice(&zip);
    let e = find_eocd(&poly).unwrap().unwrap();
    assert_eq!(e.base, SAFE.len() as u64);
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    let f = inspect(&poly, &mut ctx, Some(e)).unwrap();
    assert_eq!(f, Format::PytorchZip);
    let codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    assert!(!codes.contains(&Code::ZipHiddenEntry), "{:?}", ctx.findings);
    assert!(
        !codes.contains(&Code::ZipTrailingData),
        "{:?}",
        ctx.findings
    );
}

#[test]
fn nested_zip_members_are_scanned_with_their_chain() {
    let inner = build(&[stored("evil.pkl", MAL)]);
    let r = run(&build(&[stored("inner.zip", &inner)]));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::PickleDangerousGlobal)
        .expect("payload");
    assert_eq!(f.location.member.as_deref(), Some("inner.zip!evil.pkl"));
    assert!(r.ctx_members.iter().any(|m| m.name == "inner.zip!evil.pkl"));
    // Past the depth limit, a finding instead.
    let limits = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    let r = run_with(&build(&[stored("inner.zip", &inner)]), limits);
    assert!(has(&r, Code::ArchiveDepthExceeded), "{:?}", r.codes);
}

#[test]
fn judges_torchscript_code_and_drops_its_own_class_globals() {
    // data.pkl: GLOBAL '__torch__.m M', EMPTY_TUPLE, NEWOBJ, STOP (a TorchScript class).
    let data = b"\x80\x02c__torch__.m\nM\n)\x81.";
    let code = b"class M(Module):\n  def __setstate__(self: __torch__.m.M,\n    s: Tuple[int]) -> NoneType:\n    _0 = torch.from_file(\"f\")\n    return None\n  def forward(self: __torch__.m.M) -> Tensor:\n    return ops.myns.op(torch.zeros([1]))\n";
    let r = run(&build(&[
        stored("m/data.pkl", data),
        stored("m/constants.pkl", SAFE),
        deflated("m/code/__torch__/m.py", code),
    ]));
    assert_eq!(r.format, Format::TorchScript);
    assert!(has(&r, Code::TorchScriptDangerousOp), "{:?}", r.codes);
    assert!(has(&r, Code::TorchScriptCustomOp), "{:?}", r.codes);
    assert!(!has(&r, Code::PickleUnknownGlobal), "{:?}", r.codes);

    // A code member that cannot be read (unsupported method) fails closed.
    let mut bad = stored("m/code/__torch__/m.py", b"def f(x):\n  pass\n");
    bad.method = 12;
    let r = run(&build(&[stored("m/data.pkl", SAFE), bad]));
    assert!(has(&r, Code::TorchScriptCode), "{:?}", r.codes);
}

#[test]
fn refines_npz_torchscript_and_keras() {
    let npy = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }                                                            \n\0\0\0\0";
    let r = run(&build(&[stored("a.npy", npy), deflated("b.npy", npy)]));
    assert_eq!(r.format, Format::Npz, "{:?}", r.findings);

    let r = run(&build(&[
        stored("m/data.pkl", SAFE),
        stored("m/constants.pkl", SAFE),
        stored("m/code/__torch__/m.py", b"def forward(self):\n  pass\n"),
    ]));
    assert_eq!(r.format, Format::TorchScript);
    assert!(r.codes.is_empty(), "{:?}", r.codes);

    let r = run(&build(&[
        stored("config.json", b"{}"),
        stored("metadata.json", b"{}"),
        stored("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
    ]));
    assert_eq!(r.format, Format::Keras);
    let r = run(&build(&[stored("readme.txt", b"hello")]));
    assert_eq!(r.format, Format::Zip);
}

#[test]
fn zip64_records_are_read() {
    // One stored member with zip64 sizes and offset, and zip64 end records.
    let content = MAL;
    let mut out = Vec::new();
    let name = b"archive/data.pkl";
    let mut z64_local = Vec::new();
    z64_local.extend_from_slice(&1u16.to_le_bytes());
    z64_local.extend_from_slice(&16u16.to_le_bytes());
    z64_local.extend_from_slice(&(content.len() as u64).to_le_bytes());
    z64_local.extend_from_slice(&(content.len() as u64).to_le_bytes());
    out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
    out.extend_from_slice(&45u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&crc(content).to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&(z64_local.len() as u16).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&z64_local);
    out.extend_from_slice(content);
    let cd = out.len() as u64;
    let mut z64c = Vec::new();
    z64c.extend_from_slice(&1u16.to_le_bytes());
    z64c.extend_from_slice(&24u16.to_le_bytes());
    z64c.extend_from_slice(&(content.len() as u64).to_le_bytes());
    z64c.extend_from_slice(&(content.len() as u64).to_le_bytes());
    z64c.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
    out.extend_from_slice(&45u16.to_le_bytes());
    out.extend_from_slice(&45u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&crc(content).to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&(z64c.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 10]);
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&z64c);
    let cd_size = out.len() as u64 - cd;
    let z64_off = out.len() as u64;
    out.extend_from_slice(&Z64_EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&45u16.to_le_bytes());
    out.extend_from_slice(&45u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&Z64_LOCATOR_SIG.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&z64_off.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&0xffffu16.to_le_bytes());
    out.extend_from_slice(&0xffffu16.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());

    let e = find_eocd(&out).unwrap().unwrap();
    assert_eq!(e.zip64, Some(z64_off));
    assert_eq!(e.cd_offset, cd);
    assert_eq!(e.entries, 1);
    let r = run(&out);
    assert_eq!(r.format, Format::PytorchZip);
    assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
}

#[test]
fn empty_archive_is_a_clean_zip() {
    let mut b = EOCD_SIG.to_le_bytes().to_vec();
    b.extend_from_slice(&[0; 18]);
    assert!(find_eocd(&b).unwrap().is_some());
    let r = run(&b);
    assert_eq!(r.format, Format::Zip);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn a_lying_local_size_is_a_mismatch_not_a_gap() {
    let mut a = stored("a.pkl", MAL);
    a.descriptor = false;
    let mut bytes = build(&[a, stored("b.pkl", SAFE)]);
    // Local compressed and uncompressed size of a.pkl: 10 instead of the real length.
    bytes[18..22].copy_from_slice(&10u32.to_le_bytes());
    bytes[22..26].copy_from_slice(&10u32.to_le_bytes());
    let r = run(&bytes);
    assert!(has(&r, Code::ZipHeaderMismatch), "{:?}", r.findings);
    assert!(!has(&r, Code::ZipTrailingData), "{:?}", r.findings);
    assert!(!has(&r, Code::ZipHiddenEntry), "{:?}", r.findings);
    // The central view (what PyTorch reads) was scanned whole.
    assert!(has(&r, Code::PickleDangerousCall), "{:?}", r.codes);
}

#[test]
fn descriptor_without_signature_uses_the_central_directory() {
    let mut e = stored("archive/data.pkl", MAL);
    e.descriptor = true;
    e.flags = FLAG_DESCRIPTOR;
    e.local_flags = FLAG_DESCRIPTOR;
    let mut bytes = build(&[e, stored("archive/version", b"3\n")]);
    // Drop the descriptor's optional signature.
    let sig = bytes
        .windows(4)
        .position(|w| w == DESCRIPTOR_SIG.to_le_bytes())
        .unwrap();
    bytes.drain(sig..sig + 4);
    // Shift the offsets that followed it.
    let e = {
        let mut b = bytes.clone();
        let n = b.len();
        let cd = u32::from_le_bytes(b[n - 6..n - 2].try_into().unwrap()) - 4;
        b[n - 6..n - 2].copy_from_slice(&cd.to_le_bytes());
        let second = cd as usize + CENTRAL_LEN + "archive/data.pkl".len();
        let off = u32::from_le_bytes(b[second + 42..second + 46].try_into().unwrap()) - 4;
        b[second + 42..second + 46].copy_from_slice(&off.to_le_bytes());
        b
    };
    let r = run(&e);
    assert!(zip_codes(&r).is_empty(), "{:?}", r.findings);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
}

#[test]
fn member_facts_list_parents_before_nested_members() {
    let inner = build(&[stored("x.pkl", SAFE)]);
    let r = run(&build(&[stored("in.zip", &inner), stored("y.pkl", SAFE)]));
    let names: Vec<&str> = r.ctx_members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["in.zip", "in.zip!x.pkl", "y.pkl"]);
    assert_eq!(r.ctx_members[0].format, Format::Zip);
}

#[test]
fn a_checkpoint_on_disk_is_read_once() {
    // miniz-style members (sizes in data descriptors), several MiB of tensor data: the walk
    // reads it in the hash pass, CRCs included, and the directory read adds only the tail.
    let mut es = pytorch(SAFE);
    for (i, n) in [3usize << 20, 5 << 20, 1 << 20].into_iter().enumerate() {
        let data: Vec<u8> = (0..n).map(|j| (j * 31 + i) as u8).collect();
        es.push(stored(&format!("archive/data/{}", i + 1), &data));
    }
    for e in es.iter_mut().skip(1).step_by(2) {
        e.descriptor = true;
        e.flags = FLAG_DESCRIPTOR;
        e.local_flags = FLAG_DESCRIPTOR;
    }
    es[4].crc ^= 1; // a corrupt tensor: its CRC is still checked
    es[5].crc ^= 1;
    let bytes = build(&es);
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(&bytes).unwrap();
    let len = bytes.len() as u64;
    let file = crate::digest::HashingFile::new(f, len);
    let limits = Limits::default();
    let mut ctx = Ctx::new(&limits, policy(), "model.pt");
    let format = super::super::inspect_source(&file, &mut ctx, "model.pt").unwrap();
    let (sha, read) = file.finish().unwrap();
    assert_eq!(sha, crate::digest::Sha256::of(&bytes));
    assert_eq!(format, Format::PytorchZip);
    let codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == Code::ZipCrcMismatch).count(),
        2,
        "{:?}",
        ctx.findings
    );
    assert!(
        read < len + (1 << 20),
        "read {read} bytes of a {len}-byte file"
    );
}

#[test]
fn overlapping_members_are_reported_and_cannot_multiply_the_work() {
    // Many central entries whose data all run over the headers that follow them and over a
    // nested archive at the end (the overlapping-member zip bomb, stored).
    let inner = build(&[stored("evil.pkl", MAL)]);
    let n = 300usize;
    let mut es: Vec<E> = (0..n)
        .map(|i| {
            let mut e = stored(&format!("m{i:03}"), b"");
            e.csize = 0;
            e.usize = 0;
            e
        })
        .collect();
    es.push(stored("inner.zip", &inner));
    let mut bytes = build(&es);
    let e = find_eocd(&bytes).unwrap().unwrap();
    let payload_end = e.cd_offset as usize;
    let mut at = e.cd_offset as usize;
    for i in 0..n {
        let data_off = i * (30 + 4) + 30 + 4;
        let size = (payload_end - data_off) as u32;
        bytes[at + 20..at + 24].copy_from_slice(&size.to_le_bytes());
        bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
        at += CENTRAL_LEN + 4;
    }
    let r = run(&bytes);
    assert!(has(&r, Code::ZipBomb), "{:?}", r.codes);
    assert!(has(&r, Code::PickleDangerousGlobal), "{:?}", r.codes);
}

/// A torch `data.pkl` whose one persistent id names storage `key` of `numel` floats.
fn storage_pickle(key: &str, numel: u8) -> Vec<u8> {
    let mut p = b"\x80\x02(Vstorage\nctorch\nFloatStorage\nV".to_vec();
    p.extend_from_slice(key.as_bytes());
    p.extend_from_slice(b"\nVcpu\nK");
    p.push(numel);
    p.extend_from_slice(b"tQ.");
    p
}

fn storage_findings(entries: &[E]) -> Vec<String> {
    let r = run(&build(entries));
    assert_eq!(r.format, Format::PytorchZip);
    r.findings
        .iter()
        .filter(|f| f.code == Code::TorchStorageMismatch)
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn a_storage_record_of_exactly_numel_times_element_size_is_consistent() {
    let pkl = storage_pickle("0", 4);
    let ok = storage_findings(&[
        stored("archive/data.pkl", &pkl),
        stored("archive/data/0", &[0u8; 16]),
    ]);
    assert!(ok.is_empty(), "{ok:?}");
}

#[test]
fn a_storage_record_of_another_size_missing_or_unreferenced_is_a_mismatch() {
    let pkl = storage_pickle("0", 4);
    let short = storage_findings(&[
        stored("archive/data.pkl", &pkl),
        stored("archive/data/0", &[0u8; 12]),
    ]);
    assert_eq!(short.len(), 1, "{short:?}");
    assert!(
        short[0].contains("of 16 bytes; it is 12 bytes"),
        "{short:?}"
    );
    let missing = storage_findings(&[stored("archive/data.pkl", &pkl)]);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("no such record"), "{missing:?}");
    // A deflated record is judged by what it inflates to.
    let bomb = deflated("archive/data/0", &[0u8; 1 << 16]);
    let big = storage_findings(&[stored("archive/data.pkl", &pkl), bomb]);
    assert_eq!(big.len(), 1, "{big:?}");
    assert!(big[0].contains("it is 65536 bytes"), "{big:?}");
    let extra = storage_findings(&[
        stored("archive/data.pkl", &pkl),
        stored("archive/data/0", &[0u8; 16]),
        stored("archive/data/1", &[0u8; 16]),
    ]);
    assert_eq!(extra.len(), 1, "{extra:?}");
    assert!(extra[0].contains("\"archive/data/1\""), "{extra:?}");
}

#[test]
fn records_nobody_names_are_not_reported_when_the_pickle_was_not_read_to_its_end() {
    // The pickle breaks before its persistent id: what it would have named is unknown.
    let mut pkl = b"\x80\x02\xff".to_vec();
    pkl.extend_from_slice(&storage_pickle("0", 4)[2..]);
    let r = run(&build(&[
        stored("archive/data.pkl", &pkl),
        stored("archive/data/0", &[0u8; 16]),
    ]));
    assert!(!has(&r, Code::TorchStorageMismatch), "{:?}", r.findings);
}

#[test]
fn a_storage_key_that_is_no_string_and_records_under_data_subdirectories_are_mismatches() {
    // torch names the record after str(key): a bytes key's record is not the one checked.
    let pkl = b"\x80\x02(Vstorage\nctorch\nFloatStorage\nC\x03x/0Vcpu\nK\x04tQ.".to_vec();
    let found = storage_findings(&[
        stored("archive/data.pkl", &pkl),
        stored("archive/data/b'x/0'", &[0u8; 4]),
    ]);
    assert!(
        found.iter().any(|m| m.contains("not a string")),
        "{found:?}"
    );
    // A record nested under data/ that nothing names is reported like any other.
    let named = storage_pickle("0", 4);
    let nested = storage_findings(&[
        stored("archive/data.pkl", &named),
        stored("archive/data/0", &[0u8; 16]),
        stored("archive/data/x/1", &[0u8; 4]),
    ]);
    assert_eq!(nested.len(), 1, "{nested:?}");
    assert!(nested[0].contains("\"archive/data/x/1\""), "{nested:?}");
}

#[test]
fn a_code_member_without_constants_does_not_skip_the_storage_check() {
    // torch.load treats an archive as TorchScript only with constants.pkl.
    let r = run(&build(&[
        stored("archive/data.pkl", &storage_pickle("0", 4)),
        stored("archive/code/x.py", b"x = 1\n"),
        stored("archive/data/0", &[0u8; 4]),
    ]));
    assert!(has(&r, Code::TorchStorageMismatch), "{:?}", r.findings);
}
