//! SentencePiece model recognition (`*.model`, `tokenizer.model`): a protobuf `ModelProto`
//! (<https://github.com/google/sentencepiece/blob/master/src/sentencepiece_model.proto>) holding
//! the vocabulary, the trainer's settings and the normaliser's rules. The loader
//! (`SentencePieceProcessor::Load`) reads strings, scores and a precompiled character map:
//! nothing in it runs code, so a model is facts only.
//!
//! A protobuf has no magic number and `.model` names anything, so the bytes are a
//! SentencePiece model only when a strict walk accepts them:
//! - the top level holds only `pieces` (1), `trainer_spec` (2), `normalizer_spec` (3),
//!   `self_test_data` (4) and `denormalizer_spec` (5), each length-delimited, or extensions
//!   (200 and up, proto2 `extensions 200 to max`);
//! - every piece holds only `piece` (1, non-empty UTF-8), `score` (2, a float) and `type`
//!   (3, one of the six piece types), and there is at least one piece;
//! - the specs are well-formed messages, and the fields read from them (`model_type`,
//!   `vocab_size`, `byte_fallback`, the normaliser `name`) have their wire types. Other spec
//!   fields are not checked one by one: the trainer's settings grow with each release.
//!
//! [`sniff`] runs the walk over the first bytes of a file against its length; a walk cut short
//! by their end must already have met [`MIN_PIECES_IN_HEAD`] complete pieces (pieces come
//! first). The format's parser (`formats::sentencepiece`) walks the whole file for its facts.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::protobuf::{Field, Input, Wire, WireError};
use serde::Serialize;

/// Complete pieces a walk of the first bytes must meet when the file goes on past them (a
/// real vocabulary puts hundreds there: `<unk>`, `<s>`, `</s>`, then short pieces).
pub const MIN_PIECES_IN_HEAD: u64 = 4;
/// Longest piece accepted (pieces are words and subwords; `max_sentencepiece_length` defaults
/// to 16 characters, user-defined symbols are longer but not kilobytes).
const MAX_PIECE: u64 = 4096;
/// First extension field number of each message.
const FIRST_EXTENSION: u32 = 200;

/// What the model says about itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SentencePieceFacts {
    /// Pieces in the vocabulary.
    pub pieces: u64,
    /// `trainer_spec.model_type`: unigram (the default), bpe, word or char.
    pub model_type: String,
    /// Pieces by type, when not normal: unknown, control, user-defined, unused, byte.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub piece_types: std::collections::BTreeMap<&'static str, u64>,
    /// `trainer_spec.vocab_size`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trainer_vocab_size: Option<u64>,
    /// `trainer_spec.byte_fallback`: unknown characters become byte pieces.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub byte_fallback: bool,
    /// `normalizer_spec.name` (`nmt_nfkc`, `identity`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalizer: Option<String>,
}

/// Why the bytes are not a ModelProto, past the wire format.
#[derive(Debug, thiserror::Error)]
pub enum NotAModel {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("piece at offset {0} is empty, longer than {MAX_PIECE} bytes or not UTF-8")]
    Piece(u64),
    #[error("piece at offset {offset} has type {value}, not one SentencePiece defines")]
    PieceType { offset: u64, value: u64 },
    #[error("model_type {0} is not one SentencePiece defines")]
    ModelType(u64),
    #[error("no pieces")]
    NoPieces,
}

fn piece_type(t: u64) -> Option<&'static str> {
    Some(match t {
        1 => "normal",
        2 => "unknown",
        3 => "control",
        4 => "user-defined",
        5 => "unused",
        6 => "byte",
        _ => return None,
    })
}

fn model_type(t: u64) -> Option<&'static str> {
    Some(match t {
        1 => "unigram",
        2 => "bpe",
        3 => "word",
        4 => "char",
        _ => return None,
    })
}

/// An extension field (200 and up) of any wire type but a group, or the unknown-field error.
fn extension(message: &'static str, f: &Field) -> Result<(), NotAModel> {
    if f.number >= FIRST_EXTENSION {
        Ok(())
    } else {
        Err(WireError::unknown(message, f).into())
    }
}

/// Walks a message checking only that it is well-formed protobuf.
fn any_message(inp: &mut Input, f: &Field) -> Result<(), WireError> {
    inp.message(f, |_, _| Ok(()))
}

#[derive(Default)]
pub struct Walk {
    pub facts: SentencePieceFacts,
    model_type: Option<u64>,
}

impl Walk {
    fn piece(&mut self, inp: &mut Input, f: &Field) -> Result<(), NotAModel> {
        let mut text = false;
        let mut kind = 1u64;
        let mut bad: Option<NotAModel> = None;
        inp.message(f, |inp, g| {
            match g.number {
                1 => {
                    let (_, len) = inp.expect_len(&g)?;
                    let ok = (1..=MAX_PIECE).contains(&len)
                        && std::str::from_utf8(&inp.bytes(&g, MAX_PIECE, "piece")?).is_ok();
                    if !ok {
                        bad.get_or_insert(NotAModel::Piece(g.offset));
                    }
                    text = true;
                }
                2 => g.expect(Wire::Fixed32)?,
                3 => {
                    g.expect(Wire::Varint)?;
                    kind = inp.varint(&g)?;
                }
                _ if g.number >= FIRST_EXTENSION => {}
                _ => return Err(WireError::unknown("ModelProto.SentencePiece", &g)),
            }
            Ok(())
        })?;
        if let Some(e) = bad {
            return Err(e);
        }
        if !text {
            return Err(NotAModel::Piece(f.offset));
        }
        let name = piece_type(kind).ok_or(NotAModel::PieceType {
            offset: f.offset,
            value: kind,
        })?;
        self.facts.pieces = self.facts.pieces.saturating_add(1);
        if kind != 1 {
            let n = self.facts.piece_types.entry(name).or_insert(0);
            *n = n.saturating_add(1);
        }
        Ok(())
    }

    fn trainer_spec(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        inp.message(f, |inp, g| {
            match g.number {
                3 => {
                    g.expect(Wire::Varint)?;
                    self.model_type = Some(inp.varint(&g)?);
                }
                4 => {
                    g.expect(Wire::Varint)?;
                    self.facts.trainer_vocab_size = Some(inp.varint(&g)?);
                }
                35 => {
                    g.expect(Wire::Varint)?;
                    self.facts.byte_fallback = inp.varint(&g)? != 0;
                }
                _ => {}
            }
            Ok(())
        })
    }

    fn normalizer_spec(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        inp.message(f, |inp, g| {
            match g.number {
                1 => self.facts.normalizer = Some(inp.string(&g, 256)?),
                2 | 6 => g.expect(Wire::Len)?,
                3..=5 => g.expect(Wire::Varint)?,
                _ => {}
            }
            Ok(())
        })
    }

    pub fn walk(&mut self, inp: &mut Input, end: u64) -> Result<(), NotAModel> {
        let mut err: Option<NotAModel> = None;
        let out = inp.walk(0, end, |inp, f| {
            let r = match f.number {
                1 => self.piece(inp, &f),
                2 => self.trainer_spec(inp, &f).map_err(NotAModel::from),
                3 => self.normalizer_spec(inp, &f).map_err(NotAModel::from),
                4 | 5 => any_message(inp, &f).map_err(NotAModel::from),
                _ => extension("ModelProto", &f),
            };
            match r {
                Ok(()) => Ok(()),
                Err(NotAModel::Wire(e)) => Err(e),
                Err(e) => {
                    // Stop the walk: the error is carried out beside it.
                    err = Some(e);
                    Err(WireError::unknown("ModelProto", &f))
                }
            }
        });
        match (err, out) {
            (Some(e), _) => Err(e),
            (None, out) => out.map_err(NotAModel::from),
        }
    }

    pub fn check(&mut self) -> Result<(), NotAModel> {
        if self.facts.pieces == 0 {
            return Err(NotAModel::NoPieces);
        }
        let t = self.model_type.unwrap_or(1);
        self.facts.model_type = model_type(t).ok_or(NotAModel::ModelType(t))?.to_owned();
        Ok(())
    }
}

/// Whether the first bytes of a file (`head`, of a file `len` long) are a SentencePiece
/// model as far as they go (see the module docs).
pub fn sniff(head: &[u8], len: u64) -> bool {
    // Pieces come first: a length-delimited field 1 whose message starts with its piece.
    if head.first() != Some(&0x0a) {
        return false;
    }
    let bytes = head.to_vec();
    let mut inp = Input::new(&bytes, 4);
    let mut walk = Walk::default();
    match walk.walk(&mut inp, len) {
        Ok(()) => walk.check().is_ok(),
        Err(NotAModel::Wire(e)) if e.is_end_of_input() => {
            walk.facts.pieces >= MIN_PIECES_IN_HEAD && walk.check().is_ok()
        }
        Err(_) => false,
    }
}
