//! A stream that breaks: what ran before the break is kept and reported with it, and what
//! follows is looked at the way a loader might read it.

use super::*;

#[test]
fn a_stream_that_breaks_after_its_payload_reports_both() {
    let b = b"\x80\x02cos\nsystem\n(Vx\ntR\xff.";
    let s = scan(b);
    assert_eq!(
        s.codes,
        sorted(&[
            Code::PickleDangerousCall,
            Code::PickleDangerousGlobal,
            Code::PickleMalformed
        ])
    );
    let f = s.finding(Code::PickleMalformed);
    // Reported where the stream stops: just past the bad opcode.
    assert_eq!(f.location.offset, Some(b.len() as u64 - 1));
    assert!(
        f.message
            .contains("pickle stream 1 (starting at 0) breaks: invalid load key 0xff"),
        "{}",
        f.message
    );
    assert!(f.message.contains("everything before this point runs"));
}

#[test]
fn a_truncated_stream_keeps_what_came_before() {
    let s = scan(b"\x80\x02cos\nsystem\n");
    assert_eq!(
        s.codes,
        sorted(&[Code::PickleDangerousGlobal, Code::PickleMalformed])
    );
    let m = &s.finding(Code::PickleMalformed).message;
    assert!(m.contains("truncated"), "{m}");
}

#[test]
fn a_pickle_after_a_break_is_scanned_too() {
    // An attacker appends a working payload after a stream built to crash scanners.
    let s = scan(b"\x80\x02N\xff\x80\x02cos\nsystem\n.");
    assert_eq!(
        s.codes,
        sorted(&[Code::PickleDangerousGlobal, Code::PickleMalformed])
    );
    let member = s
        .finding(Code::PickleDangerousGlobal)
        .location
        .member
        .as_deref();
    assert_eq!(member, Some("<pickle at 4, after the break at 4>"));
    // One that does nothing dangerous is not reported.
    assert_eq!(
        scan(b"\x80\x02N\xff\x80\x02N.").codes,
        [Code::PickleMalformed]
    );
}

#[test]
fn a_stream_read_without_random_access_is_reread_after_a_break() {
    // A payload appended after a stream built to break (inside gzip, say) is found as it is
    // in a file: the bytes after the break are kept and tried.
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    let b = b"\x80\x02N\xff\x80\x02cos\nsystem\n.";
    let format = inspect_stream(&mut &b[..], None, &mut ctx).unwrap();
    let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        sorted(&[Code::PickleMalformed, Code::PickleDangerousGlobal])
    );
    let global = ctx
        .findings
        .iter()
        .find(|f| f.code == Code::PickleDangerousGlobal)
        .unwrap();
    assert_eq!(
        global.location.member.as_deref(),
        Some("<pickle at 4, after the break at 4>")
    );
    assert_eq!(format, Format::Pickle);
    // The same bytes behind a long benign stream that breaks: the input's read-ahead is
    // handed back, so the start is still found.
    let mut long = b"\x80\x02(".to_vec();
    long.extend(std::iter::repeat_n(b'N', 200_000));
    long.extend_from_slice(b"\xff\x80\x02cos\nsystem\n.");
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect_stream(&mut &long[..], None, &mut ctx).unwrap();
    assert!(
        ctx.findings
            .iter()
            .any(|f| f.code == Code::PickleDangerousGlobal),
        "{:?}",
        ctx.findings
    );
}

#[test]
fn bytes_after_the_last_stream_that_run_nothing_are_trailing_data() {
    let s = scan(b"\x80\x02N.\xff\xff");
    assert_eq!(s.codes, [Code::PickleTrailingData]);
    assert_eq!(s.finding(Code::PickleTrailingData).location.offset, Some(4));
    assert_eq!(s.streams, 2);
}

#[test]
fn a_later_stream_that_breaks_after_an_import_is_malformed_not_trailing_data() {
    let s = scan(b"\x80\x02N.cos\nsystem\n");
    assert_eq!(
        s.codes,
        sorted(&[Code::PickleDangerousGlobal, Code::PickleMalformed])
    );
    let m = &s.finding(Code::PickleMalformed).message;
    assert!(m.contains("pickle stream 2 (starting at 4)"), "{m}");
}

#[test]
fn a_first_stream_that_breaks_at_once_is_malformed_and_empty_input_is_nothing() {
    assert_eq!(scan(b"\xff").codes, [Code::PickleMalformed]);
    let s = scan(b"");
    assert!(s.codes.is_empty());
    assert_eq!(s.streams, 0);
}

#[test]
fn whitespace_after_the_last_stream_is_a_fact_not_trailing_data() {
    // Old NumPy wrote a newline after an object array's pickle.
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect(&b"\x80\x02N.\n".to_vec(), &mut ctx).unwrap();
    assert!(ctx.findings.is_empty(), "{:?}", ctx.findings);
    assert_eq!(ctx.facts.pickle_trailing_whitespace, 1);
    // Anything else after the stream still is.
    assert_eq!(run(b"\x80\x02N.\nx").0, vec![Code::PickleTrailingData]);
}

#[test]
fn a_stream_read_once_whose_frames_disagree_is_a_limit() {
    // A member of a compressed tar cannot be opened again: its frame overrun is not followed
    // up, which is said.
    let b = b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00\x8c\x01a.";
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect_stream(&mut &b[..], None, &mut ctx).unwrap();
    let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        [Code::PickleFrameOverrun, Code::PickleLimitExceeded],
        "{:?}",
        ctx.findings
    );
}

#[test]
fn bytes_past_the_window_of_starts_tried_after_a_break_are_a_limit() {
    // PROTO positions are tried for 1 MiB after a break; a file that goes on past that says
    // so. One that ends within it does not.
    let mut b = b"\x80\x02N\xff".to_vec();
    b.resize(b.len() + (3 << 19), b'x');
    let s = scan(&b);
    assert_eq!(
        s.codes,
        [Code::PickleMalformed, Code::PickleLimitExceeded],
        "{:?}",
        s.findings
    );
    assert!(
        s.says("were not tried as pickle starts"),
        "{:?}",
        s.findings
    );
    b.truncate(1 << 20);
    assert_eq!(scan(&b).codes, [Code::PickleMalformed]);
}

#[test]
fn a_long_line_cpython_cannot_read_is_a_break_not_a_limit() {
    // Array bytes read as opcodes: lines no loader reads, whatever their length, end the
    // stream where they start; only a line the loader could read is a limit of the analysis.
    let limits = Limits {
        max_line: 1000,
        ..Limits::default()
    };
    let line = |op: &[u8], fill: u8| {
        let mut b = op.to_vec();
        b.resize(2000, fill);
        b.extend_from_slice(b"\nx\n.");
        b
    };
    for b in [
        line(b"I", 0xff),
        line(b"I12 ", b'z'),
        line(b"F", b'%'),
        line(b"c", 0xff),
        line(b"P", 0x80),
        line(b"S", b'a'),
    ] {
        let s = scan_with(&b, &limits);
        assert_eq!(s.codes, [Code::PickleMalformed], "{:?}", s.findings);
        assert!(s.says("that CPython cannot read"), "{:?}", s.findings);
    }
    for b in [
        line(b"I", b'1'),
        line(b"I12\0", 0xff),
        line(b"c", b'a'),
        line(b"S'", 0xff),
    ] {
        let s = scan_with(&b, &limits);
        assert_eq!(s.codes, [Code::PickleLimitExceeded], "{:?}", s.findings);
    }
}
