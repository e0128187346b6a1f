//! Core ML model recognition (`.mlmodel`): a protobuf `Model`
//! (<https://github.com/apple/coremltools/blob/main/mlmodel/format/Model.proto>) with no magic
//! number: `specificationVersion` (1), `description` (2), `isUpdatable` (10) and exactly one
//! field of the `Type` oneof (pipelines at 200, regressors at 300, classifiers at 400, neural
//! networks, ML programs and custom models at 500, feature engineering at 600, Core ML's own
//! models at 2000, ...).
//!
//! The bytes are a Core ML model only when the top level holds nothing else, each field with
//! its wire type, the specification version is one Core ML has had (1 to [`MAX_SPEC`]) and one
//! model type is present. [`sniff`] walks the top level over the first bytes of a file against
//! its length (the model type's payload, usually most of the file, is skipped by its length):
//! a walk cut short must already have met the version and the model type.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::protobuf::{Field, Input, Wire, WireError};

/// Highest specification version accepted (9 is iOS 18; room is left for new releases).
pub const MAX_SPEC: u64 = 16;

/// The `Model.Type` oneof: the name of a field number.
pub fn model_type(number: u32) -> Option<&'static str> {
    Some(match number {
        200 => "pipelineClassifier",
        201 => "pipelineRegressor",
        202 => "pipeline",
        300 => "glmRegressor",
        301 => "supportVectorRegressor",
        302 => "treeEnsembleRegressor",
        303 => "neuralNetworkRegressor",
        304 => "bayesianProbitRegressor",
        400 => "glmClassifier",
        401 => "supportVectorClassifier",
        402 => "treeEnsembleClassifier",
        403 => "neuralNetworkClassifier",
        404 => "kNearestNeighborsClassifier",
        500 => "neuralNetwork",
        501 => "itemSimilarityRecommender",
        502 => "mlProgram",
        555 => "customModel",
        556 => "linkedModel",
        560 => "classConfidenceThresholding",
        600 => "oneHotEncoder",
        601 => "imputer",
        602 => "featureVectorizer",
        603 => "dictVectorizer",
        604 => "scaler",
        606 => "categoricalMapping",
        607 => "normalizer",
        609 => "arrayFeatureExtractor",
        610 => "nonMaximumSuppression",
        900 => "identity",
        2000 => "textClassifier",
        2001 => "wordTagger",
        2002 => "visionFeaturePrint",
        2003 => "soundAnalysisPreprocessing",
        2004 => "gazetteer",
        2005 => "wordEmbedding",
        2006 => "audioFeaturePrint",
        3000 => "serializedModel",
        _ => return None,
    })
}

/// The top level of a `Model`.
#[derive(Debug, Default)]
pub struct Top {
    pub version: Option<u64>,
    pub updatable: bool,
    /// The `Type` field (the last one seen) and how many were seen.
    pub kind: Option<Field>,
    pub kinds: u32,
}

impl Top {
    /// Walks the message `[start, end)` strictly: only Model's fields, with their wire types.
    pub fn walk(&mut self, inp: &mut Input, start: u64, end: u64) -> Result<(), WireError> {
        inp.walk(start, end, |inp, f| {
            match f.number {
                1 => {
                    f.expect(Wire::Varint)?;
                    self.version = Some(inp.varint(&f)?);
                }
                2 => f.expect(Wire::Len)?,
                10 => {
                    f.expect(Wire::Varint)?;
                    self.updatable = inp.varint(&f)? != 0;
                }
                n if model_type(n).is_some() => {
                    f.expect(Wire::Len)?;
                    self.kind = Some(f);
                    self.kinds = self.kinds.saturating_add(1);
                }
                _ => return Err(WireError::unknown("Core ML Model", &f)),
            }
            Ok(())
        })
    }

    /// A version Core ML has had, and one model type.
    pub fn is_model(&self) -> bool {
        self.version.is_some_and(|v| (1..=MAX_SPEC).contains(&v)) && self.kinds == 1
    }
}

/// Whether the first bytes of a file (`head`, of a file `len` long) are a Core ML model as far
/// as they go.
pub fn sniff(head: &[u8], len: u64) -> bool {
    // specificationVersion comes first.
    if head.first() != Some(&0x08) {
        return false;
    }
    let bytes = head.to_vec();
    let mut inp = Input::new(&bytes, 4);
    let mut top = Top::default();
    match top.walk(&mut inp, 0, len) {
        Ok(()) => top.is_model(),
        Err(e) if e.is_end_of_input() => top.is_model(),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::protobuf::enc::*;
    use super::*;

    #[test]
    fn a_model_needs_a_version_and_exactly_one_type() {
        let mut m = int(1, 4);
        m.extend(msg(2, &[bytes(1, b"input")]));
        m.extend(bytes(600, b""));
        assert!(sniff(&m, m.len() as u64));
        let mut two = m.clone();
        two.extend(bytes(900, b""));
        let mut none = int(1, 4);
        none.extend(msg(2, &[]));
        let mut unknown = m.clone();
        unknown.extend(int(3, 1));
        let mut version = int(1, 99);
        version.extend(bytes(600, b""));
        for b in [two, none, unknown, version] {
            assert!(!sniff(&b, b.len() as u64), "{b:?}");
        }
        // An ONNX ModelProto (ir_version, producer_name, graph) is not one.
        let mut onnx = int(1, 8);
        onnx.extend(bytes(2, b"pytorch"));
        onnx.extend(msg(7, &[]));
        assert!(!sniff(&onnx, onnx.len() as u64));
    }

    #[test]
    fn a_large_model_is_sniffed_from_its_top_level() {
        let mut m = int(1, 5);
        m.extend(bytes(500, &vec![0u8; 10_000]));
        assert!(sniff(&m[..crate::detect::HEAD_LEN], m.len() as u64));
        // Cut before the model type: not enough.
        let mut d = int(1, 5);
        d.extend(bytes(2, &vec![0u8; 10_000]));
        d.extend(bytes(500, b""));
        assert!(!sniff(&d[..crate::detect::HEAD_LEN], d.len() as u64));
    }
}
