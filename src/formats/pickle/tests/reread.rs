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
