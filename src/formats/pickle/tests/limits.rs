//! Every analysis limit (`Break::Limit` and the stream cap) is a `pickle-limit-exceeded`
//! finding, never a quiet pass: what was found before it is kept, and what it hides leaves the
//! file at least "unsupported", never clean.

use super::*;
use crate::finding::Kind;

const LIMITED: &[Code] = &[Code::PickleLimitExceeded];
const SYSTEM_THEN_LIMITED: &[Code] = &[Code::PickleDangerousGlobal, Code::PickleLimitExceeded];

/// Scans with `limits`, checks the limit message, and returns the sorted codes.
fn limited(bytes: &[u8], limits: &Limits, message: &str) -> Vec<Code> {
    let s = scan_with(bytes, limits);
    let m = &s.finding(Code::PickleLimitExceeded).message;
    assert!(m.contains(message), "{m}");
    s.codes
}

#[test]
fn a_limit_is_a_high_coverage_finding() {
    // High fails a scan at the default --fail-on; coverage makes the verdict unsupported at
    // best (`scan::verdict`), so hitting a limit never makes a file look cleaner.
    assert_eq!(Code::PickleLimitExceeded.default_severity(), Severity::High);
    assert_eq!(Code::PickleLimitExceeded.kind(), Kind::Coverage);
}

#[test]
fn the_opcode_budget_stops_the_analysis() {
    let l = Limits {
        max_pickle_opcodes: 5,
        ..Limits::default()
    };
    let msg = "more than 5 opcodes in this file";
    assert_eq!(
        limited(b"\x80\x02cos\nsystem\nNNNNNN.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
    assert_eq!(limited(b"\x80\x02NNNNNNcos\nsystem\n.", &l, msg), LIMITED);
    // Within the budget: no limit.
    assert_eq!(scan_with(b"\x80\x02NNN.", &l).codes, []);
}

#[test]
fn the_stack_depth_stops_the_analysis() {
    let l = Limits {
        max_pickle_stack: 3,
        ..Limits::default()
    };
    let msg = "stack deeper than 3 objects";
    assert_eq!(
        limited(b"\x80\x02cos\nsystem\nNNN.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
    // An import whose push passes the limit is still judged: it was read whole.
    assert_eq!(
        limited(b"\x80\x02NNNcos\nsystem\n.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
    assert_eq!(limited(b"\x80\x02NNNNcos\nsystem\n.", &l, msg), LIMITED);
    assert_eq!(scan_with(b"\x80\x02NNN.", &l).codes, []);
}

#[test]
fn open_marks_are_capped_like_the_stack() {
    let l = Limits {
        max_pickle_stack: 3,
        ..Limits::default()
    };
    let msg = "more than 3 open MARKs";
    assert_eq!(
        limited(b"\x80\x02cos\nsystem\n((((t.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
}

#[test]
fn memo_entries_are_capped_but_reusing_an_index_is_free() {
    let l = Limits {
        max_memo_entries: 2,
        ..Limits::default()
    };
    let msg = "more than 2 memo entries";
    assert_eq!(
        limited(b"\x80\x02cos\nsystem\nq\x00q\x01q\x02.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
    assert_eq!(
        scan_with(b"\x80\x02Nq\x00q\x00q\x01q\x01q\x00.", &l).codes,
        []
    );
}

#[test]
fn the_memo_hard_cap_on_references_stops_the_analysis() {
    let l = Limits {
        max_memo_kept_bytes: 1024,
        ..Limits::default()
    };
    let mut b = b"\x80\x02cos\nsystem\n".to_vec();
    for i in 0..1000u32 {
        b.push(b'r');
        b.extend_from_slice(&i.to_le_bytes());
    }
    b.push(b'.');
    let msg = "the memo holds more than 2 KiB of references to globals and call results";
    assert_eq!(limited(&b, &l, msg), SYSTEM_THEN_LIMITED);
}

#[test]
fn a_line_longer_than_the_limit_stops_the_analysis() {
    let l = Limits {
        max_line: 8,
        ..Limits::default()
    };
    let msg = "UNICODE line longer than 8 bytes";
    // The newline past the limit, or none at all.
    assert_eq!(
        limited(b"\x80\x02cos\nsystem\nVabcdefghi\n.", &l, msg),
        SYSTEM_THEN_LIMITED
    );
    assert_eq!(limited(b"\x80\x02Vabcdefghi", &l, msg), LIMITED);
    // At the limit: read.
    assert_eq!(scan_with(b"\x80\x02Vabcdefgh\n.", &l).codes, []);
}

#[test]
fn an_import_name_longer_than_the_limit_stops_the_analysis() {
    let l = Limits {
        max_global_name: 8,
        ..Limits::default()
    };
    // os + system is 8 bytes: read; os + system_ is 9.
    assert_eq!(
        scan_with(b"\x80\x02cos\nsystem\n.", &l).codes,
        [Code::PickleDangerousGlobal]
    );
    assert_eq!(
        limited(
            b"\x80\x02cos\nsystem_\n.",
            &l,
            "GLOBAL imports a name longer than 8 bytes"
        ),
        LIMITED
    );
    assert_eq!(
        limited(
            b"\x80\x04\x8c\x02os\x8c\x07system_\x93.",
            &l,
            "STACK_GLOBAL imports a name longer than 8 bytes"
        ),
        LIMITED
    );
    // Each GLOBAL line is held to the same limit while it is read.
    assert_eq!(
        limited(
            b"\x80\x02cabcdefghi\nx\n.",
            &l,
            "GLOBAL line longer than 8 bytes"
        ),
        LIMITED
    );
}

#[test]
fn imports_past_the_kept_bytes_budget_stop_the_analysis() {
    // One import's path and overhead (8 + 64 bytes) fills a budget of 64.
    let l = Limits {
        max_pickle_kept_bytes: 64,
        ..Limits::default()
    };
    assert_eq!(
        limited(
            b"\x80\x02cos\nsystem\ncos\npopen\n.",
            &l,
            "imports, strings and bytes held at once pass 64 bytes"
        ),
        SYSTEM_THEN_LIMITED
    );
    // Once the first is dropped, its bytes are free again.
    assert_eq!(
        scan_with(b"\x80\x02cos\nsystem\n0cos\npopen\n.", &l).codes,
        sorted(&[Code::PickleDangerousGlobal, Code::PickleDangerousGlobal])
    );
}

#[test]
fn streams_past_the_cap_are_not_analysed() {
    let l = Limits {
        max_pickle_streams: 2,
        ..Limits::default()
    };
    let msg = "more than 2 pickle streams back to back";
    assert_eq!(limited(b"N.N.cos\nsystem\n.", &l, msg), LIMITED);
    assert_eq!(limited(b"cos\nsystem\n.N.N.", &l, msg), SYSTEM_THEN_LIMITED);
}

/// PROTO 4, a FRAME of one byte, BINBYTES of `hidden` (running past the frame), STOP.
fn overrun_hiding(hidden: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&u32::try_from(hidden.len()).unwrap().to_le_bytes());
    b.extend_from_slice(hidden);
    b.push(b'.');
    b
}

#[test]
fn side_readings_past_the_reread_or_file_budget_are_a_limit_finding() {
    // MARKs open fresh states, so the readings do not merge quickly; a payload at the end is
    // out of reach of the budget, and that is reported, not passed.
    let mut hidden = vec![b'('; 5000];
    hidden.extend_from_slice(b"cos\nsystem\n.");
    let b = overrun_hiding(&hidden);
    let want = sorted(&[Code::PickleFrameOverrun, Code::PickleLimitExceeded]);
    let l = Limits {
        max_reread_opcodes: 10,
        ..Limits::default()
    };
    let msg = "possible pickle starts after the FRAME ending at 12 were not tried";
    assert_eq!(limited(&b, &l, msg), want);
    let l = Limits {
        max_pickle_opcodes: 1000,
        ..Limits::default()
    };
    assert_eq!(limited(&b, &l, msg), want);
    // With the default budgets, the payload is found.
    assert!(scan(&b).codes.contains(&Code::PickleDangerousGlobal));
}
