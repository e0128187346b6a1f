//! MATLAB level 4 MAT-files: no header and no magic, only matrices back to back, each a
//! 20-byte header of five int32 (`type`, `mrows`, `ncols`, `imagf`, `namlen`) in the file's
//! byte order, the NUL-terminated name, then `mrows * ncols` elements (twice that when
//! `imagf`). `type` is `M*1000 + O*100 + P*10 + T`: M the byte order (0 little-endian IEEE,
//! 1 big-endian IEEE; VAX and Cray are not read by any current loader), O always 0, P the
//! element type (double, single, int32, int16, uint16, uint8), T full, text or sparse
//! (<https://www.mathworks.com/help/pdf_doc/matlab/matfile_format.pdf>, "Level 4 MAT-File
//! Format"; scipy `io/matlab/_mio4.py`). Loading one reads numbers: nothing in it runs code.
//!
//! With no magic number the evidence has to be the structure: every header's fields in range,
//! the byte order its `type` names, a name of printable ASCII ending in its only NUL, and the
//! matrices chaining exactly to the end of the file. [`walk`] checks that over a [`Source`];
//! detection runs it over the first bytes against the file's length (a walk cut short by
//! their end must have met one whole header and name), the format's parser over the file.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::source::Source;
use serde::Serialize;

/// Longest name accepted, NUL included (MATLAB's `namelengthmax` is 63; scipy writes what it
/// is given, so some room is left).
const MAX_NAME: u64 = 256;
const HEADER: u64 = 20;

/// One matrix of the file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mat4Variable {
    pub name: String,
    pub rows: u64,
    pub cols: u64,
    /// Element type: double, single, int32, int16, uint16, uint8.
    pub precision: &'static str,
    /// full, text or sparse.
    pub class: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub complex: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Mat4 {
    /// The first `keep` matrices.
    pub variables: Vec<Mat4Variable>,
    /// Matrices walked.
    pub matrices: u64,
    pub big_endian: bool,
    /// The walk reached the end of the file (false: the source ran out first).
    pub complete: bool,
}

fn precision(p: u32) -> Option<(&'static str, u64)> {
    Some(match p {
        0 => ("double", 8),
        1 => ("single", 4),
        2 => ("int32", 4),
        3 => ("int16", 2),
        4 => ("uint16", 2),
        5 => ("uint8", 1),
        _ => return None,
    })
}

/// Walks the matrices of a file `len` bytes long whose first bytes `src` holds (all of them
/// for a full walk). `None` when the bytes are not a level 4 MAT-file.
pub fn walk(src: &dyn Source, len: u64, keep: usize) -> Option<Mat4> {
    let mut out = Mat4::default();
    let mut at = 0u64;
    while at < len {
        let Some(end) = at.checked_add(HEADER).filter(|e| *e <= src.len()) else {
            // The source ran out: enough if one whole matrix header and name were read.
            return (at.checked_add(HEADER)? <= len && out.matrices > 0).then_some(out);
        };
        let h = src.read_vec(at, HEADER as usize).ok()?;
        let int = |i: usize, big: bool| -> Option<u32> {
            let b: [u8; 4] = h.get(i..i.checked_add(4)?)?.try_into().ok()?;
            Some(if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        };
        // The type's thousands digit names the byte order it is written in.
        let big = match (int(0, false)?, int(0, true)?) {
            (t, _) if t < 1000 => false,
            (_, t) if (1000..2000).contains(&t) => true,
            _ => return None,
        };
        if at > 0 && big != out.big_endian {
            return None;
        }
        let t = int(0, big)?;
        let (o, p, class) = ((t / 100) % 10, (t / 10) % 10, t % 10);
        let (prec, size) = precision(p)?;
        let class = match class {
            0 => "full",
            1 => "text",
            2 => "sparse",
            _ => return None,
        };
        let (rows, cols, imag, namlen) = (int(4, big)?, int(8, big)?, int(12, big)?, int(16, big)?);
        // Counts are int32: a value with the top bit set is negative.
        if o != 0
            || imag > 1
            || !(2..=MAX_NAME).contains(&u64::from(namlen))
            || rows > i32::MAX as u32
            || cols > i32::MAX as u32
        {
            return None;
        }
        let name_end = end.checked_add(u64::from(namlen))?;
        if name_end > src.len() {
            return (name_end <= len && out.matrices > 0).then_some(out);
        }
        let name = src.read_vec(end, namlen as usize).ok()?;
        let (last, text) = name.split_last()?;
        if *last != 0 || !text.iter().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let data = u64::from(rows)
            .checked_mul(u64::from(cols))?
            .checked_mul(size)?
            .checked_mul(u64::from(imag).checked_add(1)?)?;
        at = name_end.checked_add(data)?;
        if at > len {
            return None;
        }
        out.big_endian = big;
        out.matrices = out.matrices.saturating_add(1);
        if out.variables.len() < keep {
            out.variables.push(Mat4Variable {
                name: String::from_utf8_lossy(text).into_owned(),
                rows: u64::from(rows),
                cols: u64::from(cols),
                precision: prec,
                class,
                complex: imag == 1,
            });
        }
    }
    out.complete = out.matrices > 0;
    out.complete.then_some(out)
}

/// Whether the first bytes of a file (`head`, of a file `len` long) are a level 4 MAT-file as
/// far as they go.
pub fn sniff(head: &[u8], len: u64) -> bool {
    // The type of a little-endian file is below 1000 (`xx 00 00 00`), of a big-endian one
    // 1000 to 1052 (`00 00 03 e8..`): anything else is decided without a copy.
    if !matches!(head.get(..3), Some([_, 0, 0]) | Some([0, 0, 3 | 4])) {
        return false;
    }
    walk(&head.to_vec(), len, 0).is_some()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
pub(crate) mod tests {
    use super::*;

    /// One matrix: (type, rows, cols, imagf, name), data of zeros.
    pub(crate) fn matrix(
        big: bool,
        t: u32,
        rows: u32,
        cols: u32,
        imag: u32,
        name: &str,
    ) -> Vec<u8> {
        let mut b = Vec::new();
        let n = name.len() as u32 + 1;
        for v in [t, rows, cols, imag, n] {
            b.extend(if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        b.extend(name.as_bytes());
        b.push(0);
        // An undefined precision (for the hostile cases) gets one byte per element.
        let size = *[8, 4, 4, 2, 2, 1]
            .get(((t / 10) % 10) as usize)
            .unwrap_or(&1);
        b.resize(b.len() + (rows * cols * size * (imag + 1)) as usize, 0);
        b
    }

    fn whole(b: &[u8]) -> Option<Mat4> {
        walk(&b.to_vec(), b.len() as u64, 10)
    }

    #[test]
    fn matrices_chaining_to_the_end_are_a_mat_file_in_either_byte_order() {
        let mut le = matrix(false, 0, 2, 3, 0, "a");
        le.extend(matrix(false, 11, 1, 4, 1, "theta"));
        let m = whole(&le).unwrap();
        assert_eq!((m.matrices, m.big_endian), (2, false));
        assert_eq!(m.variables[1].precision, "single");
        assert!(m.variables[1].complex);
        let be = matrix(true, 1002, 8, 3, 0, "sp");
        let m = whole(&be).unwrap();
        assert!(m.big_endian);
        assert_eq!(m.variables[0].class, "sparse");
        assert!(sniff(&le, le.len() as u64) && sniff(&be, be.len() as u64));
    }

    #[test]
    fn a_file_is_sniffed_from_its_first_header_and_name() {
        let b = matrix(false, 0, 100, 100, 0, "big");
        assert!(sniff(&b[..4096], b.len() as u64));
        // A header cut before its name ends is not enough.
        assert!(!sniff(&b[..22], b.len() as u64));
    }

    #[test]
    fn broken_headers_names_and_chains_are_not_a_mat_file() {
        let ok = matrix(false, 0, 2, 2, 0, "a");
        let mut cases = vec![
            matrix(false, 100, 1, 1, 0, "a"), // O digit set
            matrix(false, 60, 1, 1, 0, "a"),  // no such precision
            matrix(false, 3, 1, 1, 0, "a"),   // no such class
            matrix(false, 0, 1, 1, 2, "a"),   // imagf 2
            matrix(false, 0, 1, 1, 0, "a b"), // space in the name
            matrix(false, 0, 1, 1, 0, ""),    // empty name
            ok[..ok.len() - 1].to_vec(),      // data cut short
            [ok.clone(), vec![0]].concat(),   // a byte past the last matrix
            [ok.clone(), matrix(true, 1000, 1, 1, 0, "b")].concat(), // byte order changes
            vec![0; 64],                      // zeros: namlen 0
        ];
        // A name whose NUL is not its last byte.
        let mut nul = matrix(false, 0, 1, 1, 0, "ab");
        nul[21] = 0;
        cases.push(nul);
        // Rows with the int32 sign bit set.
        let mut neg = ok.clone();
        neg[7] = 0x80;
        cases.push(neg);
        for b in cases {
            assert!(whole(&b).is_none(), "{b:?}");
            assert!(!sniff(&b, b.len() as u64), "{b:?}");
        }
    }

    #[test]
    fn huge_declared_sizes_are_rejected_without_a_panic() {
        let b = matrix(false, 0, 0, 0, 0, "a");
        let mut huge = b.clone();
        huge[4..8].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        huge[8..12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert!(whole(&huge).is_none());
        for cut in 0..b.len() {
            assert!(whole(&b[..cut]).is_none());
        }
    }
}
