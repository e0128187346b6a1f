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
    assert_eq!(
        s.members(Some(Code::PickleDangerousGlobal)),
        vec![READ_WHOLE.to_owned()],
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
    assert!(s.codes.contains(&Code::PickleFrameOverrun), "{:?}", s.codes);
    assert!(s.globals.is_empty(), "{:?}", s.globals);
    assert!(
        s.members(None).iter().all(|m| m == READ_WHOLE),
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
