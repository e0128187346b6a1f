//! Core ML models (`.mlmodel`), recognised by the top-level walk of [`crate::detect::coreml`].
//! Core ML runs built-in layers and models only, with one exception: **custom layers**
//! (`NeuralNetworkLayer.custom`, `CustomLayerParams.className`) and **custom models**
//! (`Model.customModel`, `CustomModel.className`) name a class the application must implement
//! and register (`MLCustomLayer`, `MLCustomModel`): native code runs for them when the model
//! loads and predicts. Each is a `coreml-custom-layer` finding (low, like TFLite custom
//! operators): the model cannot carry that code, but it says which code the app runs.
//!
//! Walked: the top level strictly, then the model type: neural networks (`neuralNetwork`,
//! `neuralNetworkClassifier`, `neuralNetworkRegressor`: `layers` = 1, each layer's `custom` =
//! 500) and pipelines (`pipeline.models` = 1, `pipelineClassifier`/`pipelineRegressor.pipeline`
//! = 1), recursively within [`Limits::max_proto_depth`]. Not walked: control-flow layers'
//! nested networks (`loop`, `branch`), whose custom layers are not reported, and ML programs
//! (MIL), which have no custom layers. Bytes that fail the walk stay unknown.
//!
//! [`Limits::max_proto_depth`]: crate::limits::Limits::max_proto_depth
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Ctx, Walked};
use crate::detect::Format;
use crate::detect::coreml::{Top, model_type};
use crate::detect::protobuf::{Field, Input, WireError};
use crate::finding::{Code, Evidence};
use crate::source::Source;
use serde::Serialize;
use std::io;

/// What the model says about itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoremlFacts {
    pub specification_version: u64,
    /// The `Model.Type` of the top-level model (`neuralNetwork`, `pipeline`, ...).
    pub model_type: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_updatable: bool,
    /// Neural network layers, over every network walked.
    #[serde(skip_serializing_if = "is_zero")]
    pub layers: u64,
    /// Models inside pipelines.
    #[serde(skip_serializing_if = "is_zero")]
    pub pipeline_models: u64,
    /// Class names of custom layers and custom models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_classes: Vec<String>,
}

impl crate::formats::FormatFacts for CoremlFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        out.push((
            "aibom:coreml:specification-version",
            self.specification_version.to_string(),
        ));
        out.push(("aibom:coreml:model-type", self.model_type.clone()));
        if !self.custom_classes.is_empty() {
            out.push(("aibom:coreml:custom-classes", self.custom_classes.join(",")));
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

struct Walk<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    facts: CoremlFacts,
}

impl Walk<'_, '_> {
    /// A `Model` spanning `[start, end)`: its top level strictly, then its type.
    fn model(&mut self, inp: &mut Input, start: u64, end: u64) -> Result<Top, WireError> {
        let mut top = Top::default();
        top.walk(inp, start, end)?;
        if let Some(kind) = top.kind.filter(|_| top.kinds == 1) {
            self.kind(inp, &kind)?;
        }
        Ok(top)
    }

    fn kind(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        match f.number {
            // NeuralNetwork*: layers = 1.
            303 | 403 | 500 => inp.message(f, |inp, g| {
                if g.number == 1 {
                    self.layer(inp, &g)?;
                }
                Ok(())
            }),
            // Pipeline: models = 1.
            202 => self.pipeline(inp, f),
            // PipelineClassifier / PipelineRegressor: pipeline = 1.
            200 | 201 => inp.message(f, |inp, g| {
                if g.number == 1 {
                    self.pipeline(inp, &g)?;
                }
                Ok(())
            }),
            555 => {
                let class = self.class_name(inp, f)?;
                self.custom(f, "custom model", class);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn pipeline(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        inp.message(f, |inp, g| {
            if g.number == 1 {
                // The enclosing `Input::message` counted this level against the depth limit.
                let (start, len) = inp.expect_len(&g)?;
                self.facts.pipeline_models = self.facts.pipeline_models.saturating_add(1);
                let top = self.model(inp, start, start.saturating_add(len))?;
                if !top.is_model() {
                    return Err(WireError::unknown(
                        "Core ML Pipeline (a model without one type)",
                        &g,
                    ));
                }
            }
            Ok(())
        })
    }

    /// `NeuralNetworkLayer`: custom = 500 (`CustomLayerParams`).
    fn layer(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        self.facts.layers = self.facts.layers.saturating_add(1);
        let mut custom = None;
        inp.message(f, |inp, g| {
            if g.number == 500 {
                custom = Some(self.class_name(inp, &g)?);
            }
            Ok(())
        })?;
        if let Some(class) = custom {
            self.custom(f, "custom layer", class);
        }
        Ok(())
    }

    /// `className` (field 10) of `CustomLayerParams` or `CustomModel`.
    fn class_name(&mut self, inp: &mut Input, f: &Field) -> Result<String, WireError> {
        let mut class = String::new();
        let max = self.ctx.limits.max_fact_string;
        inp.message(f, |inp, g| {
            if g.number == 10 {
                class = inp.string(&g, max)?;
            }
            Ok(())
        })?;
        Ok(class)
    }

    fn custom(&mut self, f: &Field, what: &str, class: String) {
        if self.facts.custom_classes.len() < self.ctx.limits.max_fact_entries {
            self.facts.custom_classes.push(class.clone());
        }
        self.ctx.report_with(
            Code::CoremlCustomLayer,
            Code::CoremlCustomLayer.default_severity(),
            Some(f.offset),
            format!(
                "{what} {class:?}: the application must implement and register it as native code before the model loads"
            ),
            Evidence::global("coreml", &class, what),
        );
    }
}

/// Walks the whole model: a Core ML model, or bytes that only started like one (findings of
/// the failed walk removed; the caller detects them again without this reading).
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Walked> {
    let mut inp = Input::new(src, ctx.limits.max_proto_depth);
    let start = ctx.findings.len();
    let mut walk = Walk {
        ctx,
        facts: CoremlFacts::default(),
    };
    let out = walk.model(&mut inp, 0, src.len());
    let Walk { ctx, mut facts } = walk;
    match out {
        Ok(top) if top.is_model() => {
            facts.specification_version = top.version.unwrap_or(0);
            facts.model_type = top
                .kind
                .and_then(|k| model_type(k.number))
                .unwrap_or_default()
                .to_owned();
            facts.is_updatable = top.updatable;
            ctx.facts.coreml = Some(facts);
            Ok(Walked::Is(Format::Coreml))
        }
        Err(WireError::Io(e)) => Err(e),
        other => {
            // Findings from a walk that then failed belong to no model.
            ctx.retain_findings_from(start, |_| false);
            let why = match other {
                Err(e) => e.to_string(),
                Ok(_) => "no specification version or not exactly one model type".to_owned(),
            };
            Ok(Walked::Not(format!(
                "the bytes start like a Core ML model but are not one ({why}); hashed only"
            )))
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::detect::protobuf::enc::*;
    use crate::finding::Severity;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn run(b: &[u8]) -> (Format, Vec<(Code, Severity)>, Option<CoremlFacts>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "m.mlmodel");
        let f = match inspect(&b.to_vec(), &mut ctx).unwrap() {
            Walked::Is(f) => f,
            Walked::Not(_) => Format::Unknown,
        };
        let codes = ctx.findings.iter().map(|f| (f.code, f.severity)).collect();
        (f, codes, ctx.facts.coreml)
    }

    fn network(layers: &[Vec<u8>]) -> Vec<u8> {
        let mut m = int(1, 4);
        m.extend(msg(2, &[]));
        m.extend(msg(
            500,
            &layers.iter().map(|l| bytes(1, l)).collect::<Vec<_>>(),
        ));
        m
    }

    #[test]
    fn builtin_layers_are_clean_and_custom_ones_are_low_findings() {
        let relu = [bytes(1, b"relu1"), msg(130, &[])].concat();
        let (f, codes, facts) = run(&network(std::slice::from_ref(&relu)));
        assert_eq!(f, Format::Coreml);
        assert!(codes.is_empty(), "{codes:?}");
        let facts = facts.unwrap();
        assert_eq!(
            (
                facts.specification_version,
                facts.model_type.as_str(),
                facts.layers
            ),
            (4, "neuralNetwork", 1)
        );
        let custom = [bytes(1, b"c"), msg(500, &[bytes(10, b"AAPLSwish")])].concat();
        let (_, codes, facts) = run(&network(&[relu, custom]));
        assert_eq!(codes, vec![(Code::CoremlCustomLayer, Severity::Low)]);
        assert_eq!(facts.unwrap().custom_classes, vec!["AAPLSwish"]);
    }

    #[test]
    fn custom_models_inside_pipelines_are_found() {
        let mut inner = int(1, 4);
        inner.extend(msg(555, &[bytes(10, b"MyModel")]));
        let mut m = int(1, 4);
        m.extend(msg(202, &[bytes(1, &inner)]));
        let (f, codes, facts) = run(&m);
        assert_eq!(f, Format::Coreml);
        assert_eq!(codes, vec![(Code::CoremlCustomLayer, Severity::Low)]);
        assert_eq!(facts.unwrap().pipeline_models, 1);
    }

    #[test]
    fn broken_models_stay_unknown_without_a_panic() {
        let custom = [bytes(1, b"c"), msg(500, &[bytes(10, b"X")])].concat();
        let b = network(&[custom]);
        for cut in 1..b.len() {
            let (f, codes, _) = run(&b[..cut]);
            if f == Format::Unknown {
                assert_eq!(
                    codes,
                    vec![],
                    "a failed walk leaves no findings; cut at {cut}"
                );
            }
        }
        // A pipeline model without a type, and one nested past the depth limit.
        let mut m = int(1, 4);
        m.extend(msg(202, &[bytes(1, &int(1, 4))]));
        assert_eq!(run(&m).0, Format::Unknown);
        let mut deep = int(1, 4);
        deep.extend(bytes(600, b""));
        for _ in 0..200 {
            let mut outer = int(1, 4);
            outer.extend(msg(202, &[bytes(1, &deep)]));
            deep = outer;
        }
        assert_eq!(run(&deep).0, Format::Unknown);
    }
}
