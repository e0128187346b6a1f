//! SentencePiece models (`*.model`, `tokenizer.model`), recognised by the strict walk of
//! [`crate::detect::sentencepiece`]. The loader (`SentencePieceProcessor::Load`) reads
//! strings, scores and a precompiled character map: nothing in it runs code, so a model is
//! facts only (vocabulary size, model type, piece types, normaliser).
//!
//! Detection walks the first bytes; `formats::inspect_source` confirms the walk over the whole
//! file before this runs and detects the bytes again without it when it fails, so the
//! `unknown-format` finding here is only for a file that changed in between.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Ctx, Walked};
use crate::detect::Format;
use crate::detect::protobuf::{Input, WireError};
use crate::detect::sentencepiece::{NotAModel, Walk};
use crate::source::Source;
use std::io;

pub use crate::detect::sentencepiece::SentencePieceFacts;

impl crate::formats::FormatFacts for SentencePieceFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("aibom:sentencepiece:pieces", self.pieces.to_string()));
        out.push(("aibom:sentencepiece:model-type", self.model_type.clone()));
    }
}

/// Walks the whole model: a SentencePiece model, or bytes that only started like one
/// (nothing reported; the caller detects them again without this reading).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Walked> {
    let mut inp = Input::new(src, ctx.limits.max_proto_depth);
    let mut walk = Walk::default();
    match walk.walk(&mut inp, src.len()).and_then(|()| walk.check()) {
        Ok(()) => {
            ctx.facts.sentencepiece = Some(walk.facts);
            Ok(Walked::Is(Format::SentencePiece))
        }
        Err(NotAModel::Wire(WireError::Io(e))) => Err(e),
        Err(e) => Ok(Walked::Not(format!(
            "the bytes start like a SentencePiece model but are not one ({e}); hashed only"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::protobuf::enc::*;
    use super::*;
    use crate::detect::sentencepiece::sniff;
    use crate::finding::{Code, Severity};
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn piece(text: &[u8], kind: u64) -> Vec<u8> {
        let mut score = vec![0x15];
        score.extend_from_slice(&(-1.5f32).to_le_bytes());
        msg(1, &[bytes(1, text), score, int(3, kind)])
    }

    fn model(n: usize) -> Vec<u8> {
        let mut b = piece(b"<unk>", 2);
        b.extend(piece(b"<s>", 3));
        b.extend(piece(b"</s>", 3));
        for i in 0..n {
            b.extend(piece(format!("\u{2581}w{i}").as_bytes(), 1));
        }
        b.extend(msg(2, &[int(3, 2), int(4, 3 + n as u64), int(35, 1)]));
        b.extend(msg(
            3,
            &[bytes(1, b"nmt_nfkc"), bytes(2, b"\0\x01"), int(3, 1)],
        ));
        b
    }

    fn run(b: &[u8]) -> (Format, Vec<(Code, Severity)>, Option<SentencePieceFacts>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "spm.model");
        let f = match inspect(&b.to_vec(), &mut ctx).unwrap() {
            Walked::Is(f) => f,
            Walked::Not(_) => Format::Unknown,
        };
        let codes = ctx.findings.iter().map(|f| (f.code, f.severity)).collect();
        (f, codes, ctx.facts.sentencepiece)
    }

    #[test]
    fn a_model_is_recognised_with_its_vocabulary_and_type() {
        let b = model(5);
        assert!(sniff(&b, b.len() as u64));
        let (f, codes, facts) = run(&b);
        assert_eq!(f, Format::SentencePiece);
        assert!(codes.is_empty(), "{codes:?}");
        let facts = facts.unwrap();
        assert_eq!((facts.pieces, facts.model_type.as_str()), (8, "bpe"));
        assert_eq!(facts.piece_types.get("control"), Some(&2));
        assert_eq!(facts.trainer_vocab_size, Some(8));
        assert!(facts.byte_fallback);
        assert_eq!(facts.normalizer.as_deref(), Some("nmt_nfkc"));
    }

    #[test]
    fn a_long_model_is_sniffed_from_its_first_pieces() {
        let b = model(1000);
        assert!(b.len() > crate::detect::HEAD_LEN);
        assert!(sniff(&b[..crate::detect::HEAD_LEN], b.len() as u64));
        // Three pieces and then the end of the window are not enough.
        let three = model(0);
        assert!(!sniff(&three[..40], 4000));
    }

    #[test]
    fn pieces_that_break_the_schema_are_not_a_model() {
        let mut cases = vec![
            piece(b"", 1),             // empty piece
            piece(b"\xff\xfe", 1),     // not UTF-8
            piece(b"a", 7),            // no such type
            msg(1, &[int(1, 5)]),      // piece as a varint
            msg(1, &[int(4, 5)]),      // field 4 in a piece
            msg(1, &[int(3, 1)]),      // no piece text
            int(2, 1),                 // trainer_spec as a varint
            msg(2, &[bytes(3, b"x")]), // model_type as a string
            msg(2, &[int(3, 9)]),      // no such model type
            int(7, 1),                 // unknown top-level field
        ];
        cases.iter_mut().skip(6).for_each(|c| {
            let mut b = piece(b"a", 1);
            b.append(c);
            *c = b;
        });
        cases.push(msg(2, &[int(3, 1)])); // no pieces at all
        for b in cases {
            assert!(!sniff(&b, b.len() as u64), "{b:?}");
            let (f, codes, _) = run(&b);
            assert_eq!(f, Format::Unknown, "{b:?}");
            assert_eq!(codes, vec![]);
        }
    }

    #[test]
    fn truncated_models_and_huge_declared_lengths_are_rejected_without_a_panic() {
        let b = model(2);
        for cut in 1..b.len() {
            let part = &b[..cut];
            // A cut can fall between two top-level fields and leave a smaller valid model.
            if sniff(part, part.len() as u64) {
                assert_eq!(run(part).0, Format::SentencePiece, "cut at {cut}");
            } else {
                assert_eq!(run(part).0, Format::Unknown, "cut at {cut}");
            }
        }
        let mut huge = vec![0x0a];
        huge.extend(varint(1 << 62));
        huge.extend(piece(b"a", 1));
        assert!(!sniff(&huge, huge.len() as u64));
        assert_eq!(run(&huge).0, Format::Unknown);
        // Extensions are allowed; a group is not.
        let mut ext = model(0);
        ext.extend(int(200, 1));
        assert_eq!(run(&ext).0, Format::SentencePiece);
        let mut group = model(0);
        group.extend([0xc3, 0x0c]);
        assert_eq!(run(&group).0, Format::Unknown);
    }
}
