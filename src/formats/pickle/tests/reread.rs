//! The side readings after a frame overrun: what they find, and what they cost.

use super::*;

fn overrun(n: u32, fill: u8) -> Vec<u8> {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(b.len() + n as usize, fill);
    b
}

#[test]
fn frame_overrun_rereading_costs_about_one_pass() {
    // Every byte after the frame end is a start; the readings merge, so the work is a
    // small multiple of the bytes, not their square.
    for fill in [b'N', b'(', b'K'] {
        let b = overrun(200_000, fill);
        let (codes, ops) = run(&b);
        assert!(codes.contains(&Code::PickleFrameOverrun), "{codes:?}");
        assert!(
            ops <= 3 * b.len() as u64,
            "{} opcodes for {} bytes",
            ops,
            b.len()
        );
    }
}

#[test]
fn frame_overrun_hiding_a_call_is_found_by_rereading() {
    // The payload sits inside the BINBYTES data that overruns the frame.
    let hidden = b"cos\nsystem\n(Vecho aibom-sample\ntR.";
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&(hidden.len() as u32 + 100).to_le_bytes());
    b.extend_from_slice(&[b'N'; 100]);
    b.extend_from_slice(hidden);
    b.push(b'.');
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
}

#[test]
fn side_readings_do_not_decode_a_unicode_line_longer_than_a_name() {
    // FRAME 1, then a UNICODE line of 1 MB that overruns it and whose every other byte is `V`:
    // each `V` starts a side reading of the rest of the line. None decodes it (decoding the
    // rest every time was 64 times the line's bytes of work: 0.8 s); each pushes a string not
    // kept whole, which used as an import's module fails closed.
    let line = b"V\xe9".repeat(500_000);
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'V');
    b.extend_from_slice(&line);
    b.extend_from_slice(b"\n\x8c\x06system\x93.");
    let s = scan(&b);
    // The main reading decodes the line whole: a module name past the limit stops it. The
    // first side reading (at the first `V` inside the line) pushes a string not kept whole,
    // so its STACK_GLOBAL is dangerous and it is read again in full, as its own member, where
    // the same limit stops it; nothing critical, so the search goes on, each start inside the
    // line alike, until the full readings allowed are spent: a limit finding too.
    assert_eq!(
        s.codes.first(),
        Some(&Code::PickleFrameOverrun),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes[1..].iter().all(|c| *c == Code::PickleLimitExceeded),
        "{:?}",
        s.codes
    );
    let side = s.members(None);
    assert_eq!(side.len(), MAX_FULL_READINGS as usize, "{:#?}", s.findings);
    assert!(side[0].contains("pickle at 12"), "{side:?}");
    assert!(s.says("were not read in full"), "{:#?}", s.findings);
}

#[test]
fn a_side_reading_passing_bytes_longer_than_a_name_to_a_loader_is_read_again_in_full() {
    // Side readings keep no value longer than a name. The payload hidden past the frame hands
    // 5 KB of pickle to torch's `_load_from_bytes`: the side reading cannot scan them, which
    // fails closed, so the reading is read again in full and the nested pickle's call found.
    let mut nested = b"\x80\x02X\x88\x13\x00\x00".to_vec();
    nested.resize(nested.len() + 5_000, b'x');
    nested.extend_from_slice(b"0cos\nsystem\nX\x04\x00\x00\x00echo\x85R.");
    let mut hidden = b"ctorch.storage\n_load_from_bytes\nB".to_vec();
    hidden.extend_from_slice(&(nested.len() as u32).to_le_bytes());
    hidden.extend_from_slice(&nested);
    hidden.extend_from_slice(b"\x85R.");
    let s = scan(&overrun_hiding(&[&[b'N'; 100][..], &hidden].concat()));
    let inner = s.members(Some(Code::PickleDangerousCall));
    assert!(
        inner
            .iter()
            .any(|m| m.contains("pickle at") && m.contains("bytes passed to")),
        "{:#?}",
        s.findings
    );
    assert!(
        !s.codes.contains(&Code::PickleNestedUnscannable),
        "{:?}",
        s.codes
    );
}

#[test]
fn side_readings_search_a_line_without_a_newline_once() {
    // FRAME 1, then 3 MiB of `I` (INT) in an overrunning BINBYTES and no newline after: every
    // byte after the frame starts an INT whose line runs past the line limit. Each start
    // searched the 2 MiB in memory for a newline and stopped at the limit having consumed
    // nothing, so the budget was charged one opcode per start: about 1M starts x 2 MiB (51 s
    // for this 3 MB file in a release build). The readings share what was searched.
    let mut b = overrun(3 << 20, b'I');
    b.push(b'.');
    super::input::NEWLINE_SEARCHED.with(|c| c.set(0));
    let (codes, _) = run(&b);
    let searched = super::input::NEWLINE_SEARCHED.with(|c| c.get());
    assert!(
        searched <= 2 * b.len() as u64,
        "{searched} bytes searched for a newline in a file of {}",
        b.len()
    );
    // Each reading that stops at the line limit marked what it passed: it is read in full,
    // where the limit is a finding, until the file's full readings are spent (a finding too).
    assert_eq!(codes.first(), Some(&Code::PickleFrameOverrun), "{codes:?}");
    assert!(
        codes[1..].iter().all(|c| *c == Code::PickleLimitExceeded),
        "{codes:?}"
    );
    // And the 2 MiB of the overrun past the window of starts tried are a limit too.
    assert_eq!(codes.len(), 3 + MAX_FULL_READINGS as usize, "{codes:?}");
}

/// FRAME 1, then a BINBYTES overrunning it that holds `hidden`.
fn overrun_hiding(hidden: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&(hidden.len() as u32).to_le_bytes());
    b.extend_from_slice(hidden);
    b.push(b'.');
    b
}

/// An unknown import (medium) whose BINBYTES swallows `rest`: a reading from the decoy never
/// parses `rest`.
fn decoy(name: &str, rest: &[u8]) -> Vec<u8> {
    let mut d = format!("cmylib\n{name}\nB").into_bytes();
    d.extend_from_slice(&(rest.len() as u32).to_le_bytes());
    d.extend_from_slice(rest);
    d.extend_from_slice(b"0.");
    d
}

const PAYLOAD: &[u8] = b"cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";

#[test]
fn a_decoy_reading_does_not_hide_a_payload_after_it() {
    // The first dangerous side reading imports an unknown global (medium) and swallows the
    // payload in a BINBYTES. Read in full it is nothing critical, so the search goes on and
    // the payload's own reading is found and read in full too.
    let s = scan(&overrun_hiding(&decoy("x", PAYLOAD)));
    assert!(
        s.members(Some(Code::PickleUnknownGlobal))
            .iter()
            .any(|m| m.starts_with("<pickle at 16,")),
        "{:#?}",
        s.findings
    );
    let calls = s.members(Some(Code::PickleDangerousCall));
    assert_eq!(calls.len(), 1, "{:#?}", s.findings);
    assert!(calls[0].starts_with("<pickle at "), "{calls:?}");
    assert!(
        !s.codes.contains(&Code::PickleLimitExceeded),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_decoy_whose_full_reading_stops_early_does_not_hide_the_payload_it_passes() {
    // The side reading at the decoy does not keep its 5,000-byte string, so its STACK_GLOBAL
    // is dynamic: dangerous. Read in full, the string is kept and the name limit stops the
    // reading before the payload. Had the side reading gone on after its finding, it would
    // have marked the payload's start as passed and no reading would have tried it.
    let mut hidden = b"X".to_vec();
    hidden.extend_from_slice(&5000u32.to_le_bytes());
    hidden.resize(hidden.len() + 5000, b'a');
    hidden.extend_from_slice(b"\x8c\x01x\x930");
    hidden.extend_from_slice(PAYLOAD);
    let s = scan(&overrun_hiding(&hidden));
    assert!(
        s.members(Some(Code::PickleDangerousCall))
            .iter()
            .any(|m| m.starts_with("<pickle at ")),
        "{:#?}",
        s.findings
    );
}

#[test]
fn a_side_reading_stopped_by_a_limit_is_read_in_full_where_the_limit_is_a_finding() {
    // The reading from the first NONE pushes 999 of them, passes the payload's PROTO and
    // first string (marking them) and stops at the stack limit on `system`, silently on the
    // side; no other start reaches `os.system`. Read in full, the limit is a finding.
    let limits = Limits {
        max_pickle_stack: 1000,
        ..Limits::default()
    };
    let mut hidden = vec![b'N'; 999];
    hidden.extend_from_slice(b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.");
    let (codes, _) = run_with(&overrun_hiding(&hidden), &limits);
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
    assert!(!codes.contains(&Code::PickleDangerousCall), "{codes:?}");
}

#[test]
fn a_side_reading_stopped_by_an_unresolved_array_is_followed_to_the_end() {
    // Inside the window a wrapper is stored in a list: an unresolved joblib array, past which
    // a side reading cannot go. The main stream ends, bytes that are no pickle follow, then
    // the payload, outside the window. Read in full, the reading after the array tries every
    // later position and finds the payload.
    let mut b = overrun_hiding(b"]cjoblib.numpy_pickle\nNumpyArrayWrapper\na");
    b.push(0xff);
    b.extend_from_slice(PAYLOAD);
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_frame_inside_an_unfinished_frame_is_an_overrun_and_what_follows_the_outer_frame_is_read() {
    // The outer frame holds a FRAME declaring more than the outer frame has left and a
    // BINSTRING that, read on, swallows the payload sitting at the outer frame's end. The C
    // unpickler runs the payload (it resumes at the outer frame's end); the pure-Python one
    // refuses the inner FRAME. No opcode's argument crosses a frame end here.
    let mut inner = b"T".to_vec();
    inner.extend_from_slice(&(PAYLOAD.len() as u32 + 4).to_le_bytes());
    let mut frame1 = vec![0x95];
    frame1.extend_from_slice(&(inner.len() as u64 + PAYLOAD.len() as u64 + 69).to_le_bytes());
    frame1.extend_from_slice(&inner);
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(frame1.len() as u64).to_le_bytes());
    b.extend_from_slice(&frame1);
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"AAAA.");
    b.extend_from_slice(b"T\x50\x00\x00\x00");
    b.extend_from_slice(&[b'A'; 0x50]);
    b.push(b'.');
    let s = scan(&b);
    assert!(
        s.findings.iter().any(|f| f.code == Code::PickleFrameOverrun
            && f.message.contains("begins before the frame ending at")),
        "{:#?}",
        s.findings
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
}

#[test]
fn decoys_past_the_full_readings_allowed_are_a_limit_finding() {
    // Nested decoys, each swallowing the next and the payload: more dangerous readings than
    // are read in full. The payload is not reached, and that is a finding.
    let mut inner = PAYLOAD.to_vec();
    for i in 0..2 * MAX_FULL_READINGS {
        inner = decoy(&format!("d{i}"), &inner);
    }
    let s = scan(&overrun_hiding(&inner));
    assert!(
        s.codes.contains(&Code::PickleLimitExceeded),
        "{:?}",
        s.codes
    );
    assert!(s.says("were not read in full"), "{:#?}", s.findings);
}

#[test]
fn the_search_stops_at_a_critical_full_reading() {
    // The payload comes first and swallows a decoy in a BINBYTES: once the payload is read in
    // full, the decoy's own reading is not.
    let late = decoy("late", b"N.");
    let mut hidden = PAYLOAD[..PAYLOAD.len() - 1].to_vec();
    hidden.push(b'B');
    hidden.extend_from_slice(&(late.len() as u32).to_le_bytes());
    hidden.extend_from_slice(&late);
    hidden.extend_from_slice(b"0.");
    let s = scan(&overrun_hiding(&hidden));
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
    assert!(!s.says("mylib.late"), "{:#?}", s.findings);
}

#[test]
fn spent_reread_budget_is_a_limit_finding() {
    let limits = Limits {
        max_reread_opcodes: 10,
        ..Limits::default()
    };
    // Distinct opcodes that never merge quickly: MARKs open fresh states.
    let (codes, _) = run_with(&overrun(5_000, b'('), &limits);
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn file_opcode_budget_is_shared_by_side_readings() {
    let limits = Limits {
        max_pickle_opcodes: 1_000,
        ..Limits::default()
    };
    let (codes, ops) = run_with(&overrun(50_000, b'N'), &limits);
    assert!(ops <= 1_000, "{ops}");
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn side_readings_are_charged_for_the_bytes_of_long_arguments() {
    // One INT line of 4,000 bytes after the frame: every position in it starts a reading of
    // one opcode that runs to the newline, so the readings take the square of the line in
    // bytes while spending two opcodes each. Charged by their bytes too, they spend this
    // budget (about 125,000 by bytes, 8,000 by opcodes alone).
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.resize(b.len() + 4_000, b'I');
    b.push(b'\n');
    let limits = Limits {
        max_reread_opcodes: 10_000,
        ..Limits::default()
    };
    let (codes, _) = run_with(&b, &limits);
    assert!(codes.contains(&Code::PickleFrameOverrun), "{codes:?}");
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn int_lines_keep_their_values_and_long_ones_are_inert() {
    use crate::formats::pickle::value::Value;
    for (line, want) in [
        (&b" 42 "[..], Some(42)),
        (b"-7L", Some(-7)),
        (b"01", None),
        (b"00", None),
        (b"9223372036854775807", Some(i64::MAX)),
        (b"99999999999999999999", None),
        (b"4x", None),
    ] {
        let got = match crate::formats::pickle::step::int_line(line) {
            Value::Int(n) => Some(n),
            _ => None,
        };
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(line));
    }
    let long = vec![b'1'; 1 << 20];
    assert!(matches!(
        crate::formats::pickle::step::int_line(&long),
        Value::Opaque
    ));
}

#[test]
fn readings_that_start_inside_a_line_already_read_reuse_its_end() {
    use crate::formats::pickle::input::{Input, LineEnds};
    let data = b"IIIIIIIII\nJ\n";
    let lines = LineEnds::default();
    let mut empty: &[u8] = &[];
    // The first reading (at 0) searches for the newline and shares where it is.
    let mut first = Input::new(&mut empty, data, Some(data.len() as u64));
    first.share_lines(0, std::rc::Rc::clone(&lines));
    assert_eq!(&*first.line(100, "INT").ok().unwrap(), b"IIIIIIIII");
    assert_eq!(lines.get(), (0, 9, true));
    // A reading that starts inside that line gets the same end without a search of its own
    // (the shared end is left as it was), and the same bytes.
    let mut inside: &[u8] = &[];
    let mut second = Input::new(&mut inside, &data[4..], Some(data.len() as u64 - 4));
    second.share_lines(4, std::rc::Rc::clone(&lines));
    assert_eq!(&*second.line(100, "INT").ok().unwrap(), b"IIIII");
    assert_eq!(lines.get(), (0, 9, true));
    // Past that newline, the next line is searched for and shared.
    assert_eq!(&*second.line(100, "INT").ok().unwrap(), b"J");
    assert_eq!(lines.get(), (10, 11, true));
    // A shared end that does not hold for these bytes is never trusted.
    lines.set((0, 7, true));
    let mut other: &[u8] = &[];
    let mut third = Input::new(&mut other, &data[2..], Some(data.len() as u64 - 2));
    third.share_lines(2, std::rc::Rc::clone(&lines));
    assert_eq!(&*third.line(100, "INT").ok().unwrap(), b"IIIIIII");
    // No newline as far as the bytes go: found once, and a reading inside knows it at once
    // (the shared state is left as it was), both stopping at the line limit.
    let open = b"IIIIII";
    let lines = LineEnds::default();
    let mut e: &[u8] = &[];
    let mut a = Input::new(&mut e, open, Some(6));
    a.share_lines(0, std::rc::Rc::clone(&lines));
    assert!(matches!(a.line(3, "INT"), Err(Break::Limit(_))));
    assert_eq!(lines.get(), (0, 6, false));
    let mut e: &[u8] = &[];
    let mut b = Input::new(&mut e, &open[2..], Some(4));
    b.share_lines(2, std::rc::Rc::clone(&lines));
    assert!(matches!(b.line(3, "INT"), Err(Break::Limit(_))));
    assert_eq!(lines.get(), (0, 6, false));
    // Bytes that go on past what was searched are searched.
    let mut c = Input::new(&mut e, b"IIIIIIII\n", Some(9));
    c.share_lines(0, std::rc::Rc::clone(&lines));
    assert_eq!(&*c.line(100, "INT").ok().unwrap(), b"IIIIIIII");
    assert_eq!(lines.get(), (0, 8, true));
}

#[test]
fn text_arguments_decode_the_same_with_long_latin1_runs_and_escapes() {
    use crate::formats::pickle::strings::{Index, parse_index, raw_unicode_escape, unquote_string};
    let long = "a".repeat(100_000);
    for (line, want) in [
        (format!("'{long}'"), long.clone().into_bytes()),
        ("'ab\\x41cd\\ne\\\\'".to_owned(), b"abAcd\ne\\".to_vec()),
        ("\"q\\'\\101z\\\"\"".to_owned(), b"q'Az\"".to_vec()),
        ("'tail\\'".to_owned(), b"tail\\".to_vec()),
        ("'\\q'".to_owned(), b"\\q".to_vec()),
    ] {
        assert_eq!(unquote_string(line.as_bytes()).ok(), Some(want), "{line}");
    }
    assert_eq!(raw_unicode_escape(b"os.p\\u0061th"), "os.path");
    // Bytes past ASCII are latin-1, also after an ASCII run.
    assert_eq!(raw_unicode_escape(b"ab\xe9cd\\U00000041"), "ab\u{e9}cdA");
    assert_eq!(raw_unicode_escape(long.as_bytes()), long);
    assert_eq!(raw_unicode_escape(b"x\\z\\u00"), "x\\z\\u00");
    // A long run of latin-1 and ASCII without a backslash (each start of such a run searched
    // to its end again was quadratic: a 1 MB line took seconds), then an escape, then a
    // backslash that ends the line.
    let mixed: Vec<u8> = b"\xe9a".repeat(500_000);
    let want: String = "\u{e9}a".repeat(500_000);
    assert_eq!(raw_unicode_escape(&mixed), want);
    let escaped = [&mixed[..4], b"\\u0041\xff\\"].concat();
    assert_eq!(raw_unicode_escape(&escaped), "\u{e9}a\u{e9}aA\u{ff}\\");
    // Memo indices: whitespace and leading zeros as Python's int() reads them.
    assert_eq!(parse_index(b" 42 ", "PUT").ok(), Some(Index::Small(42)));
    assert_eq!(parse_index(b"5000", "PUT").ok(), Some(Index::Small(5000)));
    assert_eq!(parse_index(b"0", "PUT").ok(), Some(Index::Small(0)));
    let zeros = format!("{}7", "0".repeat(100_000));
    assert_eq!(
        parse_index(zeros.as_bytes(), "GET").ok(),
        Some(Index::Small(7))
    );
    assert!(parse_index(b"-1", "GET").is_err());
    // Underscores between digits, a vertical tab or form feed around them, a sign (found by
    // review: `p1_0` and `p1\x0b` are PUTs CPython runs, and the stream was read as broken
    // there, with a payload after it).
    assert_eq!(parse_index(b"1_0", "PUT").ok(), Some(Index::Small(10)));
    assert_eq!(
        parse_index(b"\x0c+7\x0b\r", "PUT").ok(),
        Some(Index::Small(7))
    );
    assert_eq!(parse_index(b"-0", "PUT").ok(), Some(Index::Small(0)));
    for bad in [
        &b"1__0"[..],
        b"_1",
        b"1_",
        b"1 2",
        b"",
        b"+",
        b"1\x1c",
        b"\xd9\xa1",
    ] {
        assert!(parse_index(bad, "PUT").is_err(), "{bad:?}");
    }
    // Past 64 bits: joblib's pure-Python unpickler takes it as a dict key, each its own
    // (found by review: all such indices were one slot, and MEMOIZE numbered on from one
    // entry where joblib's memo had two).
    let nines = "9".repeat(100_000);
    let huge = |t: &[u8]| match parse_index(t, "GET").ok() {
        Some(Index::Huge(d)) => d,
        other => panic!("{other:?}"),
    };
    let max = huge(b"9223372036854775808");
    assert_ne!(huge(nines.as_bytes()), max);
    assert_eq!(huge(b"00_9223372036854775808 "), max);
    // CPython's C unpickler reads the line as a C string: a NUL ends it (found by review).
    assert_eq!(parse_index(b"1\x00x", "PUT").ok(), Some(Index::Small(1)));
    assert_eq!(
        parse_index(b" 7 \x00\xff", "GET").ok(),
        Some(Index::Small(7))
    );
    assert!(parse_index(b"\x001", "PUT").is_err());
    assert_ne!(huge(b"9223372036854775809"), max);
    assert_ne!(huge(b"92233720368547758080"), max);
}

#[test]
fn a_memo_index_past_64_bits_reads_back_lost() {
    // joblib.load (the pure-Python unpickler) keeps it; what GET reads there fails closed.
    let b = b"(S'os'\np99999999999999999999\n0g99999999999999999999\nS'system'\n\x93.";
    let (codes, _) = run(&b[..]);
    assert!(codes.contains(&Code::PickleDynamicGlobal), "{codes:?}");
}

#[test]
fn a_put_line_ending_at_a_nul_goes_on_as_pickle_load_reads_it() {
    // Found by review: `p1\0x` is PUT 1 under pickle.load (the line is a C string there); read
    // as broken, the payload after it was never read and the file was only high.
    let (codes, _) = run(b"\x80\x02Np1\x00x\n0cos\nsystem\n(Vecho aibom-sample\ntR.");
    assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
    assert!(!codes.contains(&Code::PickleMalformed), "{codes:?}");
}

#[test]
fn distinct_memo_indices_past_64_bits_are_distinct_entries_and_memoize_numbers_on_from_them() {
    // The pure-Python unpickler (joblib.load) keys its memo dict by each index: two huge PUTs
    // are two entries, so the MEMOIZE after them is index 2 and the one after that index 3.
    // Counted as one entry, the first MEMOIZE was index 1: the GETs of 2 and 3 read `system`
    // and `OrderedDict` (an unknown import, `system.OrderedDict`) where joblib.load imports and calls `os.system`.
    let (h1, h2) = (&"1".repeat(30).into_bytes(), &"2".repeat(30).into_bytes());
    let b = [
        &b"\x80\x04Np"[..],
        h1,
        b"\np",
        h2,
        b"\n0\x8c\x02os\x94\x8c\x06system\x94\x8c\x0bOrderedDict\x940g2\ng3\n\x93N\x85R.",
    ]
    .concat();
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    assert!(codes.contains(&Code::PickleDangerousCall), "{codes:?}");
    // The same huge index twice is one entry: MEMOIZE goes on from 1.
    let b = [
        &b"\x80\x04Np"[..],
        h1,
        b"\np",
        h1,
        b"\n0\x8c\x02os\x94\x8c\x06system\x940g1\ng2\n\x93N\x85R.",
    ]
    .concat();
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    // A GET of a huge index never put is the loader's KeyError: the stream breaks there.
    let b = [&b"\x80\x04Np"[..], h1, b"\n0g", h2, b"\n."].concat();
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleMalformed), "{codes:?}");
}

#[test]
fn full_readings_nested_in_a_search_do_not_search_its_window_again() {
    // Found by fuzzing (8 KB, 1 s under ASan): side readings that stop early are read in
    // full, and each full reading follows up its own unresolved joblib arrays (or overruns,
    // or breaks) with a search of its own,
    // over the window its caller was already searching. Nested up to the file's 16 full
    // readings, one window was searched again and again.
    let b =
        include_bytes!("../../../../fuzz/regressions/pickle/nested-full-readings-research-windows");
    STARTS_TRIED.with(|c| c.set(0));
    STARTS_SKIPPED.with(|c| c.set(0));
    let (codes, _) = run(b);
    let tried = STARTS_TRIED.with(|c| c.get());
    let skipped = STARTS_SKIPPED.with(|c| c.get());
    assert!(codes.contains(&Code::JoblibArrayUnresolved), "{codes:?}");
    assert!(skipped > 0, "no search met another's window");
    assert!(
        tried <= b.len() as u64,
        "{tried} side readings started in a file of {} bytes",
        b.len()
    );
}

#[test]
fn a_search_skips_only_the_starts_an_earlier_search_of_as_many_positions_covers() {
    let mut s = Searched::default();
    // PROTO positions after a break, then every position after an overrun: not covered.
    assert_eq!(s.claim(100, 200, false), vec![]);
    assert_eq!(s.claim(150, 300, true), vec![]);
    // PROTO positions are covered by both kinds.
    assert_eq!(s.claim(120, 400, false), vec![(120, 300)]);
    assert_eq!(s.claim(250, 500, true), vec![(250, 300)]);
    // Windows one after another make one span.
    assert_eq!(s.claim(500, 600, true), vec![]);
    assert_eq!(s.claim(0, 1000, true), vec![(150, 600)]);
}

#[test]
fn a_dict_filled_on_the_stack_keeps_a_side_reading_from_merging_while_it_is_there() {
    // Found by review (69 bytes): SETITEM made a dict on the stack interesting without
    // counting it; popping it then uncounted another value, so a side reading at B merged
    // into an earlier one with the string "os" still on its stack, and the payload that a
    // reading starting at B runs was not reported.
    let b_part = b"\x8c\x02os}K\x01\x8c\x01xs0";
    let mut w = b"\x8b".to_vec();
    w.extend_from_slice(&(b_part.len() as i32).to_le_bytes());
    w.extend_from_slice(b_part);
    w.extend_from_slice(b"\x8c\x06system\x93\x8c\x11echo aibom-sample\x85R.");
    let mut frame = b"X".to_vec();
    frame.extend_from_slice(&((w.len() + 2) as u32).to_le_bytes());
    frame.extend_from_slice(b"ab");
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(frame.len() as u64).to_le_bytes());
    b.extend_from_slice(&frame);
    b.extend_from_slice(&w);
    b.extend_from_slice(b".N.");
    let s = scan(&b);
    assert!(s.codes.contains(&Code::PickleFrameOverrun), "{:?}", s.codes);
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
}
