//! ONNX models: operator domains, external data references and model facts, without loading a
//! single weight.
//!
//! An `.onnx` file is one protobuf `ModelProto`
//! (<https://github.com/onnx/onnx/blob/main/onnx/onnx.proto>). Weights usually sit inline in
//! `graph.initializer[].raw_data`, so a model can be gigabytes. Instead of decoding it whole,
//! [`super::protobuf`] walks it field by field over the [`Source`] and skips every length-delimited field
//! it does not need (raw data, typed data arrays, value infos, doc strings): memory stays
//! constant whatever the model's size. Only small leaf messages (`OperatorSetIdProto`,
//! `StringStringEntryProto`) are decoded whole, with [`prost`], each within
//! [`Limits::max_proto_message`].
//!
//! Walked: `ModelProto` -> `graph`, `functions`, `training_info` graphs -> nodes -> attributes
//! -> subgraphs (`g`, `graphs`: If/Loop/Scan bodies) and tensors (`t`, `tensors`, sparse ones);
//! initializers and sparse initializers. Checks:
//! - `onnx-external-data-escape`: a tensor's `external_data` `location` that is absolute, has a
//!   drive or UNC prefix, contains NUL, or climbs out of the model directory with `..` after
//!   lexical normalisation (CVE-2022-25882; CVE-2024-27318 is the nested `sub/../../x` bypass of
//!   the first fix). A `..` that stays inside is reported at medium: the operating system
//!   resolves `..` after following symbolic links, a lexical check does not.
//! - `onnx-custom-operator` (low): nodes whose domain is not one of the ONNX standard domains,
//!   once per domain with its op types. Ops that call a model-local function are not custom.
//! - `onnx-malformed`: protobuf errors (truncation, lengths past the end, wrong wire types) and
//!   limit breaches ([`Limits::max_proto_depth`], [`Limits::max_onnx_graph_depth`]). A field
//!   that aibom reads but whose wire type is wrong is malformed, although protobuf's own parsers
//!   would keep it aside as an unknown field: the loader and aibom would then see different
//!   models (an external data entry the scanner reads and the loader ignores, or the reverse).
//!   Fields aibom does not read are skipped whatever their wire type, as protobuf does.
//!
//! [`Limits::max_proto_message`]: crate::limits::Limits::max_proto_message
//! [`Limits::max_proto_depth`]: crate::limits::Limits::max_proto_depth
//! [`Limits::max_onnx_graph_depth`]: crate::limits::Limits::max_onnx_graph_depth

#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use super::protobuf::{Field, Input, WireError};
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// What the model header and graph say.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OnnxFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ir_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<i64>,
    /// Name of the main graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_name: Option<String>,
    /// Operator set imports, domain -> version (the empty default domain is `ai.onnx`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub opset_imports: BTreeMap<String, i64>,
    /// `metadata_props` of the model, at most [`Limits::max_fact_entries`] entries.
    ///
    /// [`Limits::max_fact_entries`]: crate::limits::Limits::max_fact_entries
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata_props: BTreeMap<String, String>,
    /// Metadata entries past the cap or over [`Limits::max_proto_message`], not kept.
    ///
    /// [`Limits::max_proto_message`]: crate::limits::Limits::max_proto_message
    #[serde(skip_serializing_if = "is_zero")]
    pub metadata_props_not_kept: u64,
    /// Every node: the main graph, its subgraphs and the model-local functions.
    #[serde(skip_serializing_if = "is_zero")]
    pub node_count: u64,
    /// Nodes per op type (`Op` in the standard domain, `domain:Op` elsewhere).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub op_types: BTreeMap<String, u64>,
    /// Nodes whose op type was past the histogram's cap.
    #[serde(skip_serializing_if = "is_zero")]
    pub op_types_not_listed: u64,
    /// Graphs nested in node attributes (If/Loop/Scan bodies), at any depth.
    #[serde(skip_serializing_if = "is_zero")]
    pub subgraph_count: u64,
    /// Model-local functions (`ModelProto.functions`).
    #[serde(skip_serializing_if = "is_zero")]
    pub function_count: u64,
    /// Initializers and sparse initializers, in all graphs.
    #[serde(skip_serializing_if = "is_zero")]
    pub initializer_count: u64,
    /// Elements of all initializers (dense shape for sparse ones); tensors with a negative
    /// dimension are not counted.
    #[serde(skip_serializing_if = "is_zero")]
    pub parameter_count: u64,
    /// Distinct `external_data` locations, as written in the model.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub external_data_locations: BTreeSet<String>,
}

impl crate::formats::FormatFacts for OnnxFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        let opsets: Vec<String> = self
            .opset_imports
            .iter()
            .map(|(d, v)| format!("{}={v}", if d.is_empty() { "ai.onnx" } else { d }))
            .collect();
        let pairs = [
            ("aibom:onnx:producer", self.producer_name.clone()),
            ("aibom:onnx:producer-version", self.producer_version.clone()),
            (
                "aibom:onnx:ir-version",
                self.ir_version.map(|v| v.to_string()),
            ),
            (
                "aibom:onnx:opsets",
                (!opsets.is_empty()).then(|| opsets.join(",")),
            ),
            ("aibom:onnx:node-count", Some(self.node_count.to_string())),
        ];
        out.extend(pairs.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `StringStringEntryProto`: `metadata_props` and `TensorProto.external_data` entries. onnx.proto
/// is proto2, whose strings are not checked for UTF-8 by the reference parser, so they are
/// decoded as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct StringStringEntry {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `OperatorSetIdProto`.
#[derive(Clone, PartialEq, prost::Message)]
struct OperatorSetId {
    #[prost(bytes = "vec", tag = "1")]
    domain: Vec<u8>,
    #[prost(int64, tag = "2")]
    version: i64,
}

/// Domains defined by the ONNX specification (the empty string is `ai.onnx`).
const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
];

/// `TensorProto.data_location` value for external data.
const DATA_LOCATION_EXTERNAL: u64 = 1;

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let mut inp = Input::new(src, ctx.limits.max_proto_depth);
    let mut walk = Walk {
        ctx,
        facts: OnnxFacts::default(),
        custom: BTreeMap::new(),
        custom_not_listed: 0,
        local_functions: BTreeSet::new(),
        has_graph: false,
    };
    match walk.model(&mut inp) {
        Ok(()) if !walk.has_graph => walk.malformed(
            Some(0),
            "the model has no graph (ModelProto field 7)".into(),
            Evidence::default(),
        ),
        Ok(()) => {}
        Err(WireError::Io(e)) => return Err(e),
        Err(e) => {
            let offset = e.offset();
            walk.malformed(
                offset,
                format!("{e}; the rest of the model was not inspected"),
                Evidence::default(),
            );
        }
    }
    walk.finish();
    Ok(())
}

/// One custom domain's use.
struct DomainUse {
    /// The first node in it.
    offset: u64,
    /// Op type -> nodes.
    ops: BTreeMap<String, u64>,
}

struct Walk<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    facts: OnnxFacts,
    /// Non-standard domains seen on nodes.
    custom: BTreeMap<String, DomainUse>,
    /// Nodes in non-standard domains past the cap on distinct domains.
    custom_not_listed: u64,
    /// (domain, name) of model-local functions: nodes calling them are not custom operators.
    local_functions: BTreeSet<(String, String)>,
    has_graph: bool,
}

impl Walk<'_, '_> {
    fn malformed(&mut self, offset: Option<u64>, msg: String, ev: Evidence) {
        self.ctx.report_with(
            Code::OnnxMalformed,
            Code::OnnxMalformed.default_severity(),
            offset,
            msg,
            ev,
        );
    }

    fn string(&self, inp: &mut Input, f: &Field) -> Result<String, WireError> {
        inp.string(f, self.ctx.limits.max_fact_string)
    }

    /// `ModelProto`.
    fn model(&mut self, inp: &mut Input) -> Result<(), WireError> {
        let end = inp.len();
        inp.walk(0, end, |inp, f| {
            match f.number {
                1 => self.facts.ir_version = Some(inp.varint(&f)? as i64),
                2 => self.facts.producer_name = Some(self.string(inp, &f)?),
                3 => self.facts.producer_version = Some(self.string(inp, &f)?),
                4 => self.facts.domain = Some(self.string(inp, &f)?),
                5 => self.facts.model_version = Some(inp.varint(&f)? as i64),
                7 => {
                    self.has_graph = true;
                    self.graph(inp, &f, 0)?;
                }
                8 => {
                    let o: OperatorSetId =
                        inp.decode(&f, self.ctx.limits.max_proto_message, "opset_import")?;
                    let mut domain = lossy(&o.domain, self.ctx.limits.max_fact_string);
                    if domain.is_empty() {
                        domain = "ai.onnx".into();
                    }
                    let cap = self.ctx.limits.max_fact_entries;
                    if self.facts.opset_imports.len() < cap
                        || self.facts.opset_imports.contains_key(&domain)
                    {
                        self.facts.opset_imports.insert(domain, o.version);
                    }
                }
                14 => self.metadata(inp, &f)?,
                // TrainingInfoProto: initialization = 1, algorithm = 2 (both graphs).
                20 => inp.message(&f, |inp, g| match g.number {
                    1 | 2 => self.graph(inp, &g, 0),
                    _ => Ok(()),
                })?,
                25 => self.function(inp, &f)?,
                _ => {}
            }
            Ok(())
        })
    }

    fn metadata(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        let limits = self.ctx.limits;
        if f.len() > limits.max_proto_message
            || self.facts.metadata_props.len() >= limits.max_fact_entries
        {
            // Valid, just too much to keep: the entry is skipped, not decoded.
            inp.expect_len(f)?;
            self.facts.metadata_props_not_kept =
                self.facts.metadata_props_not_kept.saturating_add(1);
            return Ok(());
        }
        let e: StringStringEntry = inp.decode(f, limits.max_proto_message, "metadata_props")?;
        self.facts.metadata_props.insert(
            lossy(&e.key, limits.max_fact_string),
            lossy(&e.value, limits.max_fact_string),
        );
        Ok(())
    }

    /// `GraphProto` at subgraph depth `depth` (0 for the main graph, training graphs and
    /// function bodies).
    fn graph(&mut self, inp: &mut Input, f: &Field, depth: u32) -> Result<(), WireError> {
        let limit = self.ctx.limits.max_onnx_graph_depth;
        if depth > limit {
            return Err(WireError::TooDeep {
                what: "subgraphs",
                offset: f.offset,
                limit,
            });
        }
        if depth > 0 {
            self.facts.subgraph_count = self.facts.subgraph_count.saturating_add(1);
        }
        let main = depth == 0 && self.facts.graph_name.is_none();
        inp.message(f, |inp, g| {
            match g.number {
                1 => self.node(inp, &g, depth)?,
                2 if main => self.facts.graph_name = Some(self.string(inp, &g)?),
                5 => {
                    let elements = self.tensor(inp, &g)?;
                    self.count_initializer(elements);
                }
                // SparseTensorProto: values = 1, indices = 2 (tensors), dims = 3 (dense shape).
                15 => {
                    let elements = self.sparse_tensor(inp, &g)?;
                    self.count_initializer(elements);
                }
                _ => {}
            }
            Ok(())
        })
    }

    fn count_initializer(&mut self, elements: Option<u64>) {
        self.facts.initializer_count = self.facts.initializer_count.saturating_add(1);
        if let Some(n) = elements {
            self.facts.parameter_count = self.facts.parameter_count.saturating_add(n);
        }
    }

    /// `NodeProto`.
    fn node(&mut self, inp: &mut Input, f: &Field, depth: u32) -> Result<(), WireError> {
        let mut op_type = String::new();
        let mut domain = String::new();
        inp.message(f, |inp, g| {
            match g.number {
                4 => op_type = self.string(inp, &g)?,
                5 => self.attribute(inp, &g, depth)?,
                7 => domain = self.string(inp, &g)?,
                _ => {}
            }
            Ok(())
        })?;
        self.record_node(f.offset, domain, op_type);
        Ok(())
    }

    fn record_node(&mut self, offset: u64, domain: String, op_type: String) {
        let cap = self.ctx.limits.max_fact_entries;
        self.facts.node_count = self.facts.node_count.saturating_add(1);
        let standard = STANDARD_DOMAINS.contains(&domain.as_str());
        let key = if standard {
            op_type.clone()
        } else {
            format!("{domain}:{op_type}")
        };
        if !bump(&mut self.facts.op_types, key, cap) {
            self.facts.op_types_not_listed = self.facts.op_types_not_listed.saturating_add(1);
        }
        if standard {
            return;
        }
        if !self.custom.contains_key(&domain) && self.custom.len() >= cap {
            self.custom_not_listed = self.custom_not_listed.saturating_add(1);
            return;
        }
        let entry = self.custom.entry(domain).or_insert_with(|| DomainUse {
            offset,
            ops: BTreeMap::new(),
        });
        bump(&mut entry.ops, op_type, cap);
    }

    /// `AttributeProto`: tensors and subgraphs.
    fn attribute(&mut self, inp: &mut Input, f: &Field, depth: u32) -> Result<(), WireError> {
        inp.message(f, |inp, g| {
            match g.number {
                5 | 10 => {
                    self.tensor(inp, &g)?;
                }
                6 | 11 => self.graph(inp, &g, depth.saturating_add(1))?,
                22 | 23 => {
                    self.sparse_tensor(inp, &g)?;
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// `SparseTensorProto`; returns the elements of its dense shape.
    fn sparse_tensor(&mut self, inp: &mut Input, f: &Field) -> Result<Option<u64>, WireError> {
        let mut elements = Some(1u64);
        inp.message(f, |inp, g| {
            match g.number {
                1 | 2 => {
                    self.tensor(inp, &g)?;
                }
                3 => inp.varints(&g, |d| elements = mul_dim(elements, d))?,
                _ => {}
            }
            Ok(())
        })?;
        Ok(elements)
    }

    /// `TensorProto`: checks its external data; returns its element count. The data fields
    /// (`raw_data`, `float_data`, ...) are skipped unread.
    fn tensor(&mut self, inp: &mut Input, f: &Field) -> Result<Option<u64>, WireError> {
        let limits = self.ctx.limits;
        let mut elements = Some(1u64);
        let mut name = String::new();
        let mut external = false;
        let mut locations: Vec<(Vec<u8>, u64)> = Vec::new();
        inp.message(f, |inp, g| {
            match g.number {
                1 => inp.varints(&g, |d| elements = mul_dim(elements, d))?,
                8 => name = self.string(inp, &g)?,
                13 => {
                    let e: StringStringEntry =
                        inp.decode(&g, limits.max_proto_message, "external_data entry")?;
                    if e.key == b"location" && locations.len() < limits.max_fact_entries {
                        locations.push((e.value, g.offset));
                    }
                }
                14 => external = inp.varint(&g)? == DATA_LOCATION_EXTERNAL,
                _ => {}
            }
            Ok(())
        })?;
        if external && locations.is_empty() {
            self.malformed(
                Some(f.offset),
                format!("tensor {name:?} has data_location EXTERNAL but no location"),
                Evidence {
                    name: Some(name.clone()),
                    ..Evidence::default()
                },
            );
        }
        for (loc, offset) in locations {
            self.location(&name, &loc, offset);
        }
        Ok(elements)
    }

    fn location(&mut self, tensor: &str, loc: &[u8], offset: u64) {
        let limits = self.ctx.limits;
        let shown = lossy(loc, limits.max_fact_string);
        if self.facts.external_data_locations.len() < limits.max_fact_entries {
            self.facts.external_data_locations.insert(shown.clone());
        }
        let ev = Evidence {
            name: Some(tensor.to_owned()),
            actual: Some(shown.clone()),
            ..Evidence::default()
        };
        match check_location(loc) {
            LocationCheck::Inside => {}
            LocationCheck::Empty => self.malformed(
                Some(offset),
                format!("tensor {tensor:?} has an empty external data location"),
                ev,
            ),
            LocationCheck::Escapes(why) => self.ctx.report_with(
                Code::OnnxExternalDataEscape,
                Severity::High,
                Some(offset),
                format!(
                    "tensor {tensor:?} reads its data from {shown:?}, which {why}: loading the model reads that file"
                ),
                ev,
            ),
            LocationCheck::DotDotInside => self.ctx.report_with(
                Code::OnnxExternalDataEscape,
                Severity::Medium,
                Some(offset),
                format!(
                    "tensor {tensor:?} reads its data from {shown:?}, which contains '..': it stays in the model directory only if no directory before the '..' is a symbolic link"
                ),
                ev,
            ),
        }
    }

    /// `FunctionProto`: name = 1, node = 7, domain = 10.
    fn function(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        let mut name = String::new();
        let mut domain = String::new();
        inp.message(f, |inp, g| {
            match g.number {
                1 => name = self.string(inp, &g)?,
                7 => self.node(inp, &g, 0)?,
                10 => domain = self.string(inp, &g)?,
                _ => {}
            }
            Ok(())
        })?;
        self.facts.function_count = self.facts.function_count.saturating_add(1);
        if self.local_functions.len() < self.ctx.limits.max_fact_entries {
            self.local_functions.insert((domain, name));
        }
        Ok(())
    }

    /// Reports the custom domains and stores the facts.
    fn finish(mut self) {
        let custom = std::mem::take(&mut self.custom);
        for (domain, mut used) in custom {
            used.ops
                .retain(|op, _| !self.local_functions.contains(&(domain.clone(), op.clone())));
            if used.ops.is_empty() {
                continue;
            }
            let nodes: u64 = used.ops.values().fold(0, |a, n| a.saturating_add(*n));
            let ops: Vec<String> = used
                .ops
                .iter()
                .map(|(op, n)| format!("{op} x{n}"))
                .collect();
            let note = if domain == "com.microsoft" || domain.starts_with("com.microsoft.") {
                "; com.microsoft is onnxruntime's contrib domain, built into onnxruntime and common in exported and optimised models"
            } else {
                "; running the model needs a custom operator library registered for this domain, which is native code"
            };
            self.ctx.report_with(
                Code::OnnxCustomOperator,
                Code::OnnxCustomOperator.default_severity(),
                Some(used.offset),
                format!(
                    "{nodes} node(s) use operator domain {domain:?}, which is not a standard ONNX domain: {}{note}",
                    ops.join(", ")
                ),
                Evidence {
                    module: Some(domain.clone()),
                    name: Some(used.ops.keys().cloned().collect::<Vec<_>>().join(",")),
                    ..Evidence::default()
                },
            );
        }
        if self.custom_not_listed > 0 {
            let n = self.custom_not_listed;
            self.ctx.report(
                Code::OnnxCustomOperator,
                None,
                format!("{n} more node(s) use further non-standard domains, past the limit of {} domains listed", self.ctx.limits.max_fact_entries),
            );
        }
        self.ctx.facts.onnx = Some(self.facts);
    }
}

/// Adds one to `map[key]` unless the map is full and lacks the key; returns whether it counted.
fn bump(map: &mut BTreeMap<String, u64>, key: String, cap: usize) -> bool {
    if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_add(1);
        true
    } else if map.len() < cap {
        map.insert(key, 1);
        true
    } else {
        false
    }
}

/// Multiplies an element count by a dimension (an int64 on the wire); a negative dimension makes
/// the count unknown.
fn mul_dim(elements: Option<u64>, dim: u64) -> Option<u64> {
    let d = i64::try_from(dim).ok()?;
    let d = u64::try_from(d).ok()?;
    Some(elements?.saturating_mul(d))
}

/// UTF-8 (lossy) of at most `max` bytes, marked when cut.
fn lossy(bytes: &[u8], max: usize) -> String {
    match bytes.get(..max) {
        Some(head) if bytes.len() > max => {
            format!(
                "{}... ({} bytes)",
                String::from_utf8_lossy(head),
                bytes.len()
            )
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// What an external data location resolves to, relative to the model's directory.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LocationCheck {
    Inside,
    Empty,
    /// Leaves the directory; the reason completes "which ...".
    Escapes(&'static str),
    /// Contains `..` but stays inside after lexical normalisation.
    DotDotInside,
}

/// Checks an external data location the way a loader on any platform could resolve it: both
/// `/` and `\` separate components (Windows accepts both), and `..` is resolved lexically
/// (`std::filesystem::path::lexically_normal`, which onnx's checker uses since 1.16).
pub(crate) fn check_location(loc: &[u8]) -> LocationCheck {
    if loc.is_empty() {
        return LocationCheck::Empty;
    }
    if loc.contains(&0) {
        return LocationCheck::Escapes(
            "contains a NUL byte (C and C++ loaders open the path cut at it, not the one checked)",
        );
    }
    let sep = |b: &u8| *b == b'/' || *b == b'\\';
    match loc {
        [a, b, ..] if sep(a) && sep(b) => {
            return LocationCheck::Escapes("is a UNC or network path");
        }
        [a, ..] if sep(a) => return LocationCheck::Escapes("is an absolute path"),
        [d, b':', ..] if d.is_ascii_alphabetic() => {
            return LocationCheck::Escapes("has a Windows drive prefix");
        }
        _ => {}
    }
    let mut depth = 0u64;
    let mut dotdot = false;
    for part in loc.split(sep) {
        match part {
            b"" | b"." => {}
            b".." => {
                dotdot = true;
                match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => {
                        return LocationCheck::Escapes(
                            "climbs out of the model directory with '..'",
                        );
                    }
                }
            }
            _ => depth = depth.saturating_add(1),
        }
    }
    if dotdot {
        LocationCheck::DotDotInside
    } else {
        LocationCheck::Inside
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::protobuf::enc::*;
    use super::*;
    use crate::finding::Finding;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn run_with(bytes: &[u8], limits: &Limits) -> (Vec<Finding>, Option<OnnxFacts>) {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &policy, "model.onnx");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        (ctx.findings, ctx.facts.onnx)
    }

    fn run(bytes: &[u8]) -> (Vec<Finding>, Option<OnnxFacts>) {
        run_with(bytes, &Limits::default())
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// A `NodeProto` as `GraphProto.node` (field 1).
    fn node(op: &str, domain: &str, attrs: &[Vec<u8>]) -> Vec<u8> {
        node_as(1, op, domain, attrs)
    }

    fn node_as(field: u32, op: &str, domain: &str, attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut parts = vec![bytes(1, b"x"), bytes(2, b"y"), bytes(4, op.as_bytes())];
        if !domain.is_empty() {
            parts.push(bytes(7, domain.as_bytes()));
        }
        parts.extend(attrs.iter().cloned());
        msg(field, &parts)
    }

    fn entry(field: u32, k: &str, v: &str) -> Vec<u8> {
        msg(field, &[bytes(1, k.as_bytes()), bytes(2, v.as_bytes())])
    }

    fn external_tensor(location: &str) -> Vec<u8> {
        msg(
            5,
            &[
                int(1, 2),
                int(1, 3),
                int(2, 1),
                bytes(8, b"w"),
                entry(13, "location", location),
                entry(13, "offset", "0"),
                int(14, DATA_LOCATION_EXTERNAL),
            ],
        )
    }

    fn model(graph: &[Vec<u8>], extra: &[Vec<u8>]) -> Vec<u8> {
        let mut parts = vec![
            int(1, 8),
            bytes(2, b"aibom-test"),
            bytes(3, b"1.0"),
            msg(7, graph),
            msg(8, &[bytes(1, b""), int(2, 17)]),
            entry(14, "author", "aibom"),
        ];
        parts.extend(extra.iter().cloned());
        parts.concat()
    }

    #[test]
    fn extracts_facts_from_a_benign_model() {
        let weight = msg(
            5,
            &[
                int(1, 4),
                bytes(1, &[5]),
                int(2, 1),
                bytes(8, b"w"),
                bytes(9, &[0u8; 80]),
            ],
        );
        let m = model(
            &[
                node("MatMul", "", &[]),
                node("Relu", "ai.onnx", &[]),
                bytes(2, b"main"),
                weight,
            ],
            &[],
        );
        let (findings, facts) = run(&m);
        assert!(findings.is_empty(), "{findings:?}");
        let f = facts.unwrap();
        assert_eq!(f.ir_version, Some(8));
        assert_eq!(f.producer_name.as_deref(), Some("aibom-test"));
        assert_eq!(f.graph_name.as_deref(), Some("main"));
        assert_eq!(f.opset_imports["ai.onnx"], 17);
        assert_eq!(f.metadata_props["author"], "aibom");
        assert_eq!(f.node_count, 2);
        assert_eq!(f.op_types["MatMul"], 1);
        assert_eq!(f.initializer_count, 1);
        assert_eq!(f.parameter_count, 20);
    }

    #[test]
    fn flags_external_data_traversal_absolute_and_nested() {
        for loc in [
            "../../../etc/hostname",
            "/etc/hostname",
            "sub/../../x.bin",
            "..\\..\\x.bin",
            "C:\\Windows\\win.ini",
            "\\\\server\\share\\x",
            "w.bin\0/../../etc/passwd",
        ] {
            let (findings, facts) = run(&model(&[node("Add", "", &[]), external_tensor(loc)], &[]));
            assert_eq!(codes(&findings), ["onnx-external-data-escape"], "{loc:?}");
            assert_eq!(findings[0].severity, Severity::High, "{loc:?}");
            assert_eq!(facts.unwrap().external_data_locations.len(), 1);
        }
    }

    #[test]
    fn accepts_plain_external_data_and_notes_inner_dotdot() {
        let (findings, facts) = run(&model(&[external_tensor("weights/w.bin")], &[]));
        assert!(findings.is_empty(), "{findings:?}");
        assert!(
            facts
                .unwrap()
                .external_data_locations
                .contains("weights/w.bin")
        );
        let (findings, _) = run(&model(&[external_tensor("sub/../w.bin")], &[]));
        assert_eq!(codes(&findings), ["onnx-external-data-escape"]);
        assert_eq!(findings[0].severity, Severity::Medium);
    }

    #[test]
    fn flags_external_data_in_subgraph_attribute_tensors() {
        let inner = msg(5, &[bytes(1, b"value"), external_tensor("/etc/passwd")]);
        let (findings, _) = run(&model(&[node("Constant", "", &[inner])], &[]));
        assert_eq!(codes(&findings), ["onnx-external-data-escape"]);
    }

    #[test]
    fn rejects_external_location_missing_or_empty() {
        let t = msg(5, &[bytes(8, b"w"), int(14, DATA_LOCATION_EXTERNAL)]);
        let (findings, _) = run(&model(&[t], &[]));
        assert_eq!(codes(&findings), ["onnx-malformed"]);
        let (findings, _) = run(&model(&[external_tensor("")], &[]));
        assert_eq!(codes(&findings), ["onnx-malformed"]);
    }

    #[test]
    fn flags_custom_domains_once_each_with_their_ops() {
        let (findings, facts) = run(&model(
            &[
                node("Foo", "com.example", &[]),
                node("Foo", "com.example", &[]),
                node("Bar", "com.example", &[]),
                node("FusedMatMul", "com.microsoft", &[]),
                node("LinearClassifier", "ai.onnx.ml", &[]),
            ],
            &[],
        ));
        assert_eq!(
            codes(&findings),
            ["onnx-custom-operator", "onnx-custom-operator"]
        );
        assert!(findings.iter().all(|f| f.severity == Severity::Low));
        let example = findings
            .iter()
            .find(|f| f.evidence.module.as_deref() == Some("com.example"))
            .unwrap();
        assert!(
            example.message.contains("Bar x1, Foo x2"),
            "{}",
            example.message
        );
        let ms = findings
            .iter()
            .find(|f| f.evidence.module.as_deref() == Some("com.microsoft"))
            .unwrap();
        assert!(ms.message.contains("onnxruntime"), "{}", ms.message);
        assert_eq!(facts.unwrap().op_types["com.example:Foo"], 2);
    }

    #[test]
    fn calls_to_model_local_functions_are_not_custom_operators() {
        let func = msg(
            25,
            &[
                bytes(1, b"MyGelu"),
                bytes(10, b"local"),
                node_as(7, "Erf", "", &[]),
            ],
        );
        let (findings, facts) = run(&model(&[node("MyGelu", "local", &[])], &[func]));
        assert!(findings.is_empty(), "{findings:?}");
        let f = facts.unwrap();
        assert_eq!(f.function_count, 1);
        assert_eq!(f.node_count, 2);
    }

    #[test]
    fn walks_subgraphs_of_control_flow_nodes() {
        let body = msg(6, &[node("Foo", "com.example", &[])]);
        let attr = msg(5, &[bytes(1, b"then_branch"), int(20, 5), body]);
        let (findings, facts) = run(&model(&[node("If", "", &[attr])], &[]));
        assert_eq!(codes(&findings), ["onnx-custom-operator"]);
        let f = facts.unwrap();
        assert_eq!(f.subgraph_count, 1);
        assert_eq!(f.node_count, 2);
    }

    /// If nodes nested `levels` deep, innermost first.
    fn nested_ifs(levels: usize) -> Vec<u8> {
        let mut graph = node("Identity", "", &[]);
        for _ in 0..levels {
            let attr = msg(5, &[bytes(1, b"then_branch"), int(20, 5), bytes(6, &graph)]);
            graph = node("If", "", &[attr]);
        }
        model(&[graph], &[])
    }

    #[test]
    fn rejects_subgraphs_nested_past_the_limit() {
        let limits = Limits {
            max_onnx_graph_depth: 4,
            ..Limits::default()
        };
        let (findings, _) = run_with(&nested_ifs(4), &limits);
        assert!(findings.is_empty(), "{findings:?}");
        let (findings, _) = run_with(&nested_ifs(5), &limits);
        assert_eq!(codes(&findings), ["onnx-malformed"]);
        assert!(
            findings[0].message.contains("subgraphs nested"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn rejects_messages_nested_past_the_limit() {
        let (findings, _) = run(&nested_ifs(200));
        assert_eq!(codes(&findings), ["onnx-malformed"]);
        assert!(
            findings[0].message.contains("nested more than"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn rejects_truncated_model_but_keeps_what_was_read() {
        let m = model(
            &[node("Foo", "com.example", &[]), node("Add", "", &[])],
            &[],
        );
        let (findings, facts) = run(&m[..m.len() - 30]);
        assert!(codes(&findings).contains(&"onnx-malformed"), "{findings:?}");
        assert_eq!(facts.unwrap().ir_version, Some(8));
    }

    #[test]
    fn rejects_wrong_wire_type_for_the_graph() {
        let (findings, _) = run(&[int(1, 8), int(7, 1)].concat());
        assert_eq!(codes(&findings), ["onnx-malformed"]);
        assert!(findings[0].message.contains("expected length-delimited"));
    }

    #[test]
    fn rejects_a_model_without_a_graph() {
        let (findings, _) = run(&int(1, 8));
        assert_eq!(codes(&findings), ["onnx-malformed"]);
    }

    #[test]
    fn rejects_undecodable_opset_import() {
        // OperatorSetIdProto.version (field 2) as a length-delimited field.
        let m = [int(1, 8), msg(7, &[]), msg(8, &[bytes(2, b"x")])].concat();
        let (findings, _) = run(&m);
        assert_eq!(codes(&findings), ["onnx-malformed"]);
        assert!(
            findings[0].message.contains("opset_import"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn bounds_the_op_type_histogram() {
        let limits = Limits {
            max_fact_entries: 2,
            ..Limits::default()
        };
        let nodes: Vec<Vec<u8>> = ["A", "B", "C", "D"]
            .iter()
            .map(|op| node(op, "", &[]))
            .collect();
        let (_, facts) = run_with(&model(&nodes, &[]), &limits);
        let f = facts.unwrap();
        assert_eq!(f.op_types.len(), 2);
        assert_eq!(f.op_types_not_listed, 2);
        assert_eq!(f.node_count, 4);
    }

    #[test]
    fn never_panics_on_truncation_or_corruption() {
        let body = msg(6, &[node("Foo", "com.example", &[])]);
        let attr = msg(5, &[bytes(1, b"then_branch"), int(20, 5), body]);
        let m = model(
            &[node("If", "", &[attr]), external_tensor("../w.bin")],
            &[msg(25, &[bytes(1, b"F"), node_as(7, "Relu", "", &[])])],
        );
        for cut in 0..m.len() {
            run(&m[..cut]);
        }
        for i in 0..m.len() {
            for b in [0x00, 0x7f, 0x80, 0xff] {
                let mut c = m.clone();
                c[i] = b;
                run(&c);
            }
        }
    }

    #[test]
    fn location_check_table() {
        use LocationCheck::*;
        for (loc, want) in [
            ("w.bin", Inside),
            ("./w.bin", Inside),
            ("a/b/../c", DotDotInside),
            (
                "a/../../c",
                Escapes("climbs out of the model directory with '..'"),
            ),
            ("..", Escapes("climbs out of the model directory with '..'")),
            ("/abs", Escapes("is an absolute path")),
            ("//host/share", Escapes("is a UNC or network path")),
            ("c:w.bin", Escapes("has a Windows drive prefix")),
            ("", Empty),
        ] {
            assert_eq!(check_location(loc.as_bytes()), want, "{loc:?}");
        }
    }
}
