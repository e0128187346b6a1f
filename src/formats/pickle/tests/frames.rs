//! Frames read two ways: on across a frame's end (`pickle.loads`, file objects that peek), and
//! each frame whole into a buffer of its own (`io.BytesIO`, `torch.load`, frames of 8 KiB or
//! more). Each vector was loaded with CPython 3.11's C unpickler through both.

use super::*;

const READ_WHOLE: &str = "<pickle read frame by frame, as io.BytesIO and torch.load read it>";
const PAYLOAD: &[u8] = b"cos\nsystem\n(S'echo aibom-sample'\ntR.";

fn framed(inner: &[u8], after: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(inner.len() as u64).to_le_bytes());
    b.extend_from_slice(inner);
    b.extend_from_slice(after);
    b
}

/// The payload's findings, reported where the whole-frame reading reads them.
fn found_reading_whole(s: &Scan) {
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.codes
    );
    assert!(
        s.members(Some(Code::PickleDangerousGlobal))
            .contains(&READ_WHOLE.to_owned()),
        "{:?}",
        s.findings
    );
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.calls);
}

#[test]
fn a_read_past_a_frame_buffered_whole_takes_its_bytes_from_the_frame_end() {
    // SHORT_BINUNICODE of 8 with 4 bytes left in the frame. Read on, it takes them and the 4
    // after the frame, then a BINSTRING holding the payload: a string. Read whole, the 4 left
    // are dropped and the 8 come from the frame's end, so the reading resumes inside the
    // BINSTRING, at the payload (CPython returns the call's result through io.BytesIO).
    let mut after = b"AAAAU".to_vec();
    let mut s = b"AA".to_vec();
    s.extend_from_slice(PAYLOAD);
    after.push(s.len() as u8);
    after.extend_from_slice(&s);
    after.push(b'.');
    let b = framed(b"\x8c\x08AAAA", &after);
    let s = scan(&b);
    found_reading_whole(&s);
    // What both readings find (the overrun) is reported once.
    assert_eq!(
        s.members(Some(Code::PickleFrameOverrun)),
        Vec::<String>::new()
    );
    assert_eq!(
        s.codes
            .iter()
            .filter(|c| **c == Code::PickleFrameOverrun)
            .count(),
        1,
        "{:?}",
        s.findings
    );
}

#[test]
fn a_line_past_a_frame_buffered_whole_is_read_from_the_frame_end() {
    // GLOBAL's module line starts in the frame and has no newline there. Read on, the module
    // is `AAAAos`; read whole, the 4 bytes are dropped and the line is `os`.
    let mut after = b"os\nsystem\n".to_vec();
    after.extend_from_slice(&PAYLOAD[b"cos\nsystem\n".len()..]);
    let b = framed(b"cAAAA", &after);
    let s = scan(&b);
    found_reading_whole(&s);
    assert!(
        s.globals.iter().any(|(g, _, _)| g == "AAAAos.system"),
        "{:?}",
        s.globals
    );
}

#[test]
fn a_load_after_a_stop_inside_a_frame_starts_at_the_frame_end() {
    // The first stream stops with 5 bytes of its frame left. Read on, the next stream starts
    // there: a BINBYTES holding the payload. Read whole, the next `pickle.load` starts at the
    // frame's end, at the payload. This was reported as nothing at all.
    let mut inner = b"N.B".to_vec();
    inner.extend_from_slice(&(PAYLOAD.len() as u32).to_le_bytes());
    let mut after = PAYLOAD.to_vec();
    after.push(b'.');
    let b = framed(&inner, &after);
    let s = scan(&b);
    found_reading_whole(&s);
    let stop = s.finding(Code::PickleFrameOverrun);
    assert_eq!(stop.location.offset, Some(12), "{stop:?}");
    assert!(
        s.says("STOP at 12 ends the stream inside the frame"),
        "{stop:?}"
    );
}

#[test]
fn a_frame_that_does_not_fit_the_frame_buffered_starts_at_its_end() {
    // A FRAME inside a frame, longer than what is left of it: read whole, the outer frame's
    // rest (here a BINBYTES header that swallows the payload when read on) is dropped and the
    // inner frame is read from the outer frame's end.
    let mut inner = b"\x95".to_vec();
    inner.extend_from_slice(&(PAYLOAD.len() as u64).to_le_bytes());
    inner.push(b'B');
    inner.extend_from_slice(&(PAYLOAD.len() as u32).to_le_bytes());
    let mut after = PAYLOAD.to_vec();
    after.push(b'.');
    let b = framed(&inner, &after);
    let s = scan(&b);
    assert!(s.codes.contains(&Code::PickleFrameOverrun), "{:?}", s.codes);
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.codes
    );
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.calls);
}

#[test]
fn a_frame_longer_than_the_data_stops_a_loader_that_reads_it_whole() {
    // The frame ends past the data after an overrun: read whole, the loader raises at the
    // FRAME, so nothing after it runs; read on, the BINBYTES is a string. No import either way.
    let mut b = framed(b"\x8c\x08AAAA", b"AAAA");
    b.extend_from_slice(b"\x95\xff\xff\x00\x00\x00\x00\x00\x00N.");
    let s = scan(&b);
    assert!(s.globals.is_empty(), "{:?}", s.globals);
    let codes = [Code::PickleFrameOverrun, Code::PickleMalformed];
    assert!(
        s.codes.iter().all(|c| codes.contains(c)),
        "{:?}",
        s.findings
    );
}

#[test]
fn frames_that_end_where_their_opcodes_end_are_read_once() {
    // What a pickler writes: no overrun, no STOP inside a frame; one reading, no member.
    let mut inner = b"cmylib\nThing\n)R".to_vec();
    inner.push(b'.');
    let b = framed(&inner, b"");
    let s = scan(&b);
    assert_eq!(s.codes, vec![Code::PickleUnknownGlobal], "{:?}", s.findings);
    assert!(s.members(None).is_empty(), "{:?}", s.findings);
    assert_eq!(s.streams, 1);
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut b = vec![0x95];
    b.extend_from_slice(&(body.len() as u64).to_le_bytes());
    b.extend_from_slice(body);
    b
}

/// PROTO 4, then `os` and `system` memoized (0 and 1) and popped.
fn memo_prelude() -> Vec<u8> {
    b"\x80\x04\x8c\x02os\x94\x8c\x06system\x9400".to_vec()
}

/// `os.system('echo aibom-sample')` from the memo, as the data of a SHORT_BINBYTES: a string
/// to a reading that reads it as one.
fn memo_payload_in_bytes() -> Vec<u8> {
    let cmd = b"echo aibom-sample";
    let mut pay = b"h\x00h\x01\x93\x8c".to_vec();
    pay.push(cmd.len() as u8);
    pay.extend_from_slice(cmd);
    pay.extend_from_slice(b"\x85R");
    let mut b = vec![b'C', pay.len() as u8];
    b.extend_from_slice(&pay);
    b.push(b'.');
    b
}

#[test]
fn a_byte_string_past_a_frame_read_whole_runs_on_across_its_end() {
    // CPython reads a byte string's data with `_Unpickler_ReadInto`: the rest of the frame,
    // then on from its end, even when the frame is read whole; other arguments are cut at the
    // frame's end. Frame A holds a SHORT_BINBYTES that runs 2 bytes past it; frame B a BININT
    // that runs 2 bytes past it, read whole into the payload's bytes. Through io.BytesIO this
    // runs os.system; cutting the byte string too lost the loader's path at frame A.
    let mut b = memo_prelude();
    b.extend_from_slice(&frame(b"N0C\x03a"));
    b.extend_from_slice(b"bcC\x01\xff00");
    b.extend_from_slice(&frame(b"JAA"));
    b.extend_from_slice(b"AA");
    b.extend_from_slice(&memo_payload_in_bytes());
    let s = scan(&b);
    found_reading_whole(&s);
}

#[test]
fn a_file_read_through_a_buffer_reads_a_frame_whole_where_the_buffer_ends() {
    // pickle.load(open(...)) with a 4 KiB buffer: frame A is peeked (run on); frame B, 203
    // bytes, straddles the end of the file's buffer, so `peek` returns less than it and it is
    // read whole: its BININT is cut at its end, into the payload. Every frame run on, or
    // every frame whole, reads no payload.
    let mut b = memo_prelude();
    let mut a = vec![b'N'; 10];
    a.extend_from_slice(b"JAA");
    b.extend_from_slice(&frame(&a));
    b.extend_from_slice(b"AAC\x01\xff00");
    let pad = 4000 - b.len();
    b.push(b'B');
    b.extend_from_slice(&(pad as u32).to_le_bytes());
    b.resize(b.len() + pad, 0);
    b.push(b'0');
    // Exactly as CPython 3.11 does: open() with a 4 KiB buffer runs it, 8 KiB and more not.
    found_by_one_buffer(b, "4 KiB");
}

/// `b`, then a frame of 203 bytes whose BININT runs 2 bytes past it, then the payload as a
/// SHORT_BINBYTES: run on, the BININT ends it; read whole (the frame straddles the file's
/// buffer), the BININT takes the frame's end and the payload runs. It is found by the
/// reading through a buffer of `size` alone.
fn found_by_one_buffer(mut b: Vec<u8>, size: &str) {
    let mut body = b"N0".repeat(100);
    body.extend_from_slice(b"JAA");
    b.extend_from_slice(&frame(&body));
    b.extend_from_slice(b"AA");
    b.extend_from_slice(&memo_payload_in_bytes());
    let s = scan(&b);
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.findings);
    let member = format!("<pickle read as pickle.load reads a file with a buffer of {size}>");
    assert_eq!(
        s.members(Some(Code::PickleDangerousGlobal)),
        [member],
        "{:?}",
        s.findings
    );
}

#[test]
fn the_load_after_a_stop_inside_a_large_frame_starts_at_its_end() {
    // Three loads from one file: the first stops inside small frame A, whose rest holds the
    // header of a 9 KB frame B; the second stops inside B, read whole (it is 8 KiB or more),
    // so the third starts at B's end, at the payload. Read run on, a BINBYTES swallows it.
    let cmd = b"echo aibom-sample";
    let mut pay = b"\x80\x04cos\nsystem\n\x8c".to_vec();
    pay.push(cmd.len() as u8);
    pay.extend_from_slice(cmd);
    pay.extend_from_slice(b"\x85R.");
    let fill = 9000;
    let mut b_body = vec![b'B'];
    b_body.extend_from_slice(&(fill as u32).to_le_bytes());
    b_body.resize(b_body.len() + fill, 0);
    b_body.push(b'.');
    let mut tail3 = b"\x80\x04B".to_vec();
    tail3.extend_from_slice(&(pay.len() as u32 + 1).to_le_bytes());
    let mut a = b"N.\x80\x04\x95".to_vec();
    a.extend_from_slice(&((b_body.len() + tail3.len()) as u64).to_le_bytes());
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&frame(&a));
    b.extend_from_slice(&b_body);
    b.extend_from_slice(&tail3);
    b.extend_from_slice(&pay);
    b.extend_from_slice(b"N.");
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.findings
    );
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.findings);
}

#[test]
fn an_opcode_that_crosses_a_frame_end_and_fails_there_is_still_an_overrun() {
    // LONG_BINGET with 2 of its 4 index bytes in the frame: read on, the index is 65535 and
    // the stream breaks; read from io.BytesIO, the 4 bytes come from the frame's end: index 0,
    // `os`, then the payload runs. The failing opcode skipped the overrun check, so no
    // reading from a file object was made.
    let setup = b"\x8c\x02os\x94\x8c\x06system\x94\x8c\x11echo aibom-sample\x94000";
    let mut body = setup.to_vec();
    body.extend_from_slice(b"j\xff\xff");
    let mut after = 0u32.to_le_bytes().to_vec();
    after.extend_from_slice(b"0h\x00h\x01\x93h\x02\x85R0N.");
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&frame(&body));
    b.extend_from_slice(&after);
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleFrameOverrun),
        "{:?}",
        s.findings
    );
    found_reading_whole(&s);
}

#[test]
fn readings_that_read_the_same_bytes_stop_after_the_last_frame_end_crossed() {
    // One frame crossed at the start, then 1.1 M opcodes (2.2 MB) after it. Every
    // file-object reading reads the same bytes as the first (a byte string's data runs on
    // from the frame's end either way): each stops at its first read from the file after
    // the crossing (a buffered one where its buffer ends, at most 1 MiB on) instead of
    // reading the file again. Each used to read to the end: 10 MB took 0.9 s, 11 times a
    // clean file. What is left: the first reading, and the side reading tried from the
    // frame's end, which reads to the end too.
    let mut body = Vec::new();
    for _ in 0..1_100_000 {
        body.extend_from_slice(b"N0");
    }
    body.push(b'N');
    body.push(b'.');
    let crossed = framed(b"C\x03", &[b"NNN0".as_slice(), &body].concat());
    let clean = [b"\x80\x04".as_slice(), &body].concat();
    let (codes, crossed_ops) = run(&crossed);
    assert_eq!(codes, [Code::PickleFrameOverrun]);
    let (codes, clean_ops) = run(&clean);
    assert!(codes.is_empty(), "{codes:?}");
    assert!(
        crossed_ops < 3 * clean_ops,
        "{crossed_ops} opcodes against {clean_ops} in one reading"
    );
}

#[test]
fn a_reading_that_dropped_bytes_reads_on_to_the_end() {
    // The payload comes after 100,000 opcodes, behind a frame whose crossing argument the
    // whole-frame reading takes from the frame's end: that reading parted from the first,
    // and reads on to find it.
    let mut tail = Vec::new();
    for _ in 0..100_000 {
        tail.extend_from_slice(b"N0");
    }
    tail.extend_from_slice(PAYLOAD);
    // Read on, BININT takes the frame's 2 bytes and `ab`, and the stream stops at the `.`
    // after them; read whole, the frame's bytes are dropped and BININT takes `ab.Z` from the
    // frame's end: that reading reads the tail as opcodes.
    let b = framed(b"J\x01\x02", &[b"ab.Z".as_slice(), &tail].concat());
    let s = scan(&b);
    found_reading_whole(&s);
}

#[test]
fn a_file_read_through_a_32_kib_buffer_is_read_as_that_buffer_falls() {
    // Frame A straddles 16 KiB, frame B 32 KiB. Buffers of 16 KiB and less read A whole (its
    // BININT cut at its end into 0xff: the load fails), 64 KiB and more read B run on (its
    // BININT takes 2 bytes after it, and a SHORT_BINBYTES swallows the payload); only a
    // 32 KiB buffer (st_blksize of some file systems) runs A on and reads B whole: os.system.
    // CPython 3.11 agrees for io.BytesIO and buffers of 4 KiB to 1 MiB.
    let mut b = memo_prelude();
    while b.len() < 16300 {
        b.extend_from_slice(b"\x880");
    }
    b.truncate(16300);
    let mut a = b"N0".repeat(95);
    a.extend_from_slice(b"JAA");
    b.extend_from_slice(&frame(&a));
    b.extend_from_slice(b"AAC\x01\xff00");
    while b.len() + 2 <= 32700 {
        b.extend_from_slice(b"N0");
    }
    if b.len() < 32700 {
        b.push(b'N');
    }
    found_by_one_buffer(b, "32 KiB");
}
