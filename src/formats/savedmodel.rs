//! TensorFlow SavedModel `saved_model.pb`: the ops its graphs and functions run.
//!
//! The file is one protobuf `SavedModel`
//! (<https://github.com/tensorflow/tensorflow/blob/master/tensorflow/core/protobuf/saved_model.proto>,
//! `meta_graph.proto`, `core/framework/graph.proto`, `node_def.proto`, `function.proto`). Field
//! numbers walked here:
//!
//! ```text
//! SavedModel          saved_model_schema_version = 1 (int64), meta_graphs = 2 (MetaGraphDef)
//! MetaGraphDef        meta_info_def = 1 (MetaInfoDef), graph_def = 2 (GraphDef)
//! MetaInfoDef         tags = 4 (string), tensorflow_version = 5 (string)
//! GraphDef            node = 1 (NodeDef), library = 2 (FunctionDefLibrary)
//! FunctionDefLibrary  function = 1 (FunctionDef)
//! FunctionDef         signature = 1 (OpDef: name = 1), node_def = 3 (NodeDef)
//! NodeDef             name = 1, op = 2, attr = 5 (map entry: key = 1, value = 2 AttrValue)
//! AttrValue           s = 2 (bytes), list = 1 (ListValue: s = 2)
//! ```
//!
//! Frozen graphs keep their weights in `Const` nodes, so the file is walked field by field with
//! the protobuf walker shared with ONNX ([`super::protobuf`]); only a function's `OpDef`
//! signature is decoded whole, with [`prost`]. Every op of the graph and of every library
//! function is counted; ops that touch the file system, run Python or reach the network are
//! `savedmodel-dangerous-op`, once per op type with a count and the nodes (the op list follows
//! what modelscan and modelaudit flag, restricted to ops TensorFlow really registers, and adds
//! the file and network ops of `tf.data`, summaries, tfdbg and `tf.distribute` RPC).
//!
//! `SaveV2`, `RestoreV2` and `MergeV2Checkpoints` are not findings: `tf.saved_model.save` and
//! `tf.compat.v1.train.Saver` put them in every SavedModel (the saver graph that reads
//! `variables/` when the model loads), so flagging them would flag every model. They are listed
//! in the facts (`routine_file_ops`) with the asset-file table initialisers, which are just as
//! routine.

#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use super::protobuf::{Field, Input, WireError};
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// What the SavedModel says about itself and its graphs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SavedModelFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<i64>,
    pub meta_graph_count: u64,
    /// Tags of each meta graph (`serve`, `train`, ...), in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Vec<String>>,
    /// `tensorflow_version` of the meta graphs that record one.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub tensorflow_versions: BTreeSet<String>,
    /// Nodes of the graphs and of the library functions.
    #[serde(skip_serializing_if = "is_zero")]
    pub node_count: u64,
    /// Library functions (`FunctionDef`), over all meta graphs.
    #[serde(skip_serializing_if = "is_zero")]
    pub function_count: u64,
    /// Nodes per op type, at most [`Limits::max_fact_entries`] op types.
    ///
    /// [`Limits::max_fact_entries`]: crate::limits::Limits::max_fact_entries
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub op_types: BTreeMap<String, u64>,
    /// Nodes whose op type was past the histogram's cap.
    #[serde(skip_serializing_if = "is_zero")]
    pub op_types_not_listed: u64,
    /// File ops every SavedModel has (checkpoint saver, asset tables): nodes per op, not findings.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub routine_file_ops: BTreeMap<String, u64>,
}

/// No AIBOM properties yet: what the scan report holds is enough.
impl crate::formats::FormatFacts for SavedModelFacts {}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `OpDef`, of which only the name is read (a function's signature).
#[derive(Clone, PartialEq, prost::Message)]
struct OpDef {
    #[prost(bytes = "vec", tag = "1")]
    name: Vec<u8>,
}

/// An op that does more than compute.
struct Rule {
    op: &'static str,
    severity: Severity,
    /// Completes "... which ...".
    does: &'static str,
}

const fn rule(op: &'static str, severity: Severity, does: &'static str) -> Rule {
    Rule { op, severity, does }
}

use Severity::{High, Medium};

const READS: &str = "reads any file its inputs name";
const WRITES: &str = "writes any file its inputs name";
const PY: &str = "calls a Python function of the loading process (tf.py_function, tf.numpy_function): the graph runs whatever is registered under its token";
const DEBUG: &str =
    "sends tensors to its debug_urls (file:// writes files, grpc:// opens a network connection)";
const DATA_READ: &str = "reads files its inputs name (input pipeline)";
const RPC: &str = "opens network connections (tf.distribute RPC)";

const DANGEROUS: &[Rule] = &[
    rule("PyFunc", High, PY),
    rule("PyFuncStateless", High, PY),
    rule("EagerPyFunc", High, PY),
    rule("ReadFile", High, READS),
    rule("WriteFile", High, WRITES),
    rule(
        "MatchingFiles",
        High,
        "lists the files matching any glob pattern",
    ),
    rule(
        "ImmutableConst",
        High,
        "memory-maps the file named by its memory_region_name attribute",
    ),
    rule(
        "FileSystemSetConfiguration",
        High,
        "changes the configuration of a file system",
    ),
    // Version-1 checkpoints: pre-2017 saver graphs used them; today they are only file access.
    rule("Save", Medium, WRITES),
    rule("SaveSlices", Medium, WRITES),
    rule("Restore", Medium, READS),
    rule("RestoreSlice", Medium, READS),
    rule("LoadAndRemapMatrix", Medium, READS),
    rule("DebugIdentity", High, DEBUG),
    rule(
        "DebugIdentityV2",
        High,
        "writes tensors as tfdbg events under its dump_root",
    ),
    rule("DebugIdentityV3", High, DEBUG),
    rule("DebugNanCount", High, DEBUG),
    rule("DebugNumericSummary", High, DEBUG),
    rule(
        "CreateSummaryFileWriter",
        High,
        "creates event files in any directory its inputs name",
    ),
    rule(
        "CreateSummaryDbWriter",
        High,
        "opens an SQLite database at any path its inputs name",
    ),
    rule("WriteSummary", Medium, "writes through a summary writer"),
    rule(
        "WriteScalarSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule(
        "WriteHistogramSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule(
        "WriteImageSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule(
        "WriteAudioSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule(
        "WriteGraphSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule(
        "WriteRawProtoSummary",
        Medium,
        "writes through a summary writer",
    ),
    rule("ImportEvent", Medium, "writes through a summary writer"),
    rule("DatasetToTFRecord", High, WRITES),
    rule("ExperimentalDatasetToTFRecord", High, WRITES),
    rule("SaveDataset", High, WRITES),
    rule("SaveDatasetV2", High, WRITES),
    rule(
        "SnapshotDataset",
        Medium,
        "writes dataset snapshots under a path its inputs name",
    ),
    rule(
        "SnapshotDatasetV2",
        Medium,
        "writes dataset snapshots under a path its inputs name",
    ),
    rule(
        "CacheDataset",
        Medium,
        "writes cache files under a path its inputs name",
    ),
    rule(
        "CacheDatasetV2",
        Medium,
        "writes cache files under a path its inputs name",
    ),
    rule("LoadDataset", Medium, DATA_READ),
    rule("TFRecordDataset", Medium, DATA_READ),
    rule("TFRecordDatasetV2", Medium, DATA_READ),
    rule("TextLineDataset", Medium, DATA_READ),
    rule("FixedLengthRecordDataset", Medium, DATA_READ),
    rule("FixedLengthRecordDatasetV2", Medium, DATA_READ),
    rule("CSVDataset", Medium, DATA_READ),
    rule("CSVDatasetV2", Medium, DATA_READ),
    rule("ExperimentalCSVDataset", Medium, DATA_READ),
    rule("LMDBDataset", Medium, DATA_READ),
    rule("ExperimentalLMDBDataset", Medium, DATA_READ),
    rule("SqlDataset", Medium, DATA_READ),
    rule("ExperimentalSqlDataset", Medium, DATA_READ),
    rule("MatchingFilesDataset", Medium, DATA_READ),
    rule("ExperimentalMatchingFilesDataset", Medium, DATA_READ),
    rule("WholeFileReader", Medium, DATA_READ),
    rule("WholeFileReaderV2", Medium, DATA_READ),
    rule("TextLineReader", Medium, DATA_READ),
    rule("TextLineReaderV2", Medium, DATA_READ),
    rule("TFRecordReader", Medium, DATA_READ),
    rule("TFRecordReaderV2", Medium, DATA_READ),
    rule("FixedLengthRecordReader", Medium, DATA_READ),
    rule("FixedLengthRecordReaderV2", Medium, DATA_READ),
    rule("LMDBReader", Medium, DATA_READ),
    rule("RpcServer", High, RPC),
    rule("RpcClient", High, RPC),
    rule("RpcCall", High, RPC),
    rule("RpcServerStart", High, RPC),
    rule("RpcServerRegister", High, RPC),
    rule("Rpc", High, RPC),
    rule("TryRpc", High, RPC),
];

/// `PrintV2` is a finding only when its `output_stream` is a file (`file://...`); the other
/// streams (stdout, stderr, log levels) are harmless.
const PRINT_TO_FILE: Rule = rule(
    "PrintV2",
    High,
    "writes to the file named by its output_stream attribute",
);

/// Ops that touch files in every ordinary SavedModel: facts, not findings (see the module docs).
const ROUTINE_FILE_OPS: &[&str] = &[
    "SaveV2",
    "RestoreV2",
    "MergeV2Checkpoints",
    "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2",
];

/// String attributes that say where a flagged op reads, writes or connects; quoted in findings.
const WHERE_ATTRS: &[&str] = &[
    "output_stream",
    "debug_urls",
    "dump_root",
    "memory_region_name",
];

/// Node names listed per finding (the count is always complete).
const MAX_LISTED: usize = 10;

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let mut inp = Input::new(src, ctx.limits.max_proto_depth);
    let mut walk = Walk {
        ctx,
        facts: SavedModelFacts::default(),
        hits: BTreeMap::new(),
    };
    match walk.saved_model(&mut inp) {
        Ok(()) if walk.facts.meta_graph_count == 0 => {
            walk.malformed(Some(0), "the SavedModel has no meta graph (field 2)".into())
        }
        Ok(()) => {}
        Err(WireError::Io(e)) => return Err(e),
        Err(e) => {
            let offset = e.offset();
            walk.malformed(
                offset,
                format!("{e}; the rest of the SavedModel was not inspected"),
            );
        }
    }
    walk.finish();
    Ok(())
}

/// Uses of one flagged op.
struct Hit {
    rule: &'static Rule,
    offset: u64,
    count: u64,
    /// `node` or `function/node`, the first [`MAX_LISTED`].
    places: Vec<String>,
    /// Values of [`WHERE_ATTRS`], distinct.
    targets: BTreeSet<String>,
}

struct Walk<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    facts: SavedModelFacts,
    hits: BTreeMap<&'static str, Hit>,
}

impl Walk<'_, '_> {
    fn malformed(&mut self, offset: Option<u64>, msg: String) {
        self.ctx.report(Code::SavedModelMalformed, offset, msg);
    }

    fn string(&self, inp: &mut Input, f: &Field) -> Result<String, WireError> {
        inp.string(f, self.ctx.limits.max_fact_string)
    }

    fn saved_model(&mut self, inp: &mut Input) -> Result<(), WireError> {
        let end = inp.len();
        inp.walk(0, end, |inp, f| {
            match f.number {
                1 => self.facts.schema_version = Some(inp.varint(&f)? as i64),
                2 => self.meta_graph(inp, &f)?,
                _ => {}
            }
            Ok(())
        })
    }

    fn meta_graph(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        self.facts.meta_graph_count = self.facts.meta_graph_count.saturating_add(1);
        let mut tags = Vec::new();
        inp.message(f, |inp, g| {
            match g.number {
                1 => inp.message(&g, |inp, h| {
                    match h.number {
                        4 if tags.len() < self.ctx.limits.max_fact_entries => {
                            tags.push(self.string(inp, &h)?);
                        }
                        5 => {
                            let v = self.string(inp, &h)?;
                            if !v.is_empty()
                                && self.facts.tensorflow_versions.len()
                                    < self.ctx.limits.max_fact_entries
                            {
                                self.facts.tensorflow_versions.insert(v);
                            }
                        }
                        _ => {}
                    }
                    Ok(())
                })?,
                2 => self.graph_def(inp, &g)?,
                _ => {}
            }
            Ok(())
        })?;
        if self.facts.tags.len() < self.ctx.limits.max_fact_entries {
            self.facts.tags.push(tags);
        }
        Ok(())
    }

    fn graph_def(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        inp.message(f, |inp, g| {
            match g.number {
                1 => self.node(inp, &g, None)?,
                2 => inp.message(&g, |inp, h| match h.number {
                    1 => self.function(inp, &h),
                    _ => Ok(()),
                })?,
                _ => {}
            }
            Ok(())
        })
    }

    fn function(&mut self, inp: &mut Input, f: &Field) -> Result<(), WireError> {
        self.facts.function_count = self.facts.function_count.saturating_add(1);
        // The signature (field 1) comes first in everything TensorFlow writes; nodes before it
        // are listed under the function's number.
        let mut name = format!("function #{}", self.facts.function_count);
        let max_message = self.ctx.limits.max_proto_message;
        let max_string = self.ctx.limits.max_fact_string;
        inp.message(f, |inp, g| {
            match g.number {
                1 => {
                    let sig: OpDef = inp.decode(&g, max_message, "function signature (OpDef)")?;
                    name = String::from_utf8_lossy(sig.name.get(..max_string).unwrap_or(&sig.name))
                        .into_owned();
                }
                3 => self.node(inp, &g, Some(&name))?,
                _ => {}
            }
            Ok(())
        })
    }

    /// `NodeDef`; `function` is the library function it belongs to.
    fn node(
        &mut self,
        inp: &mut Input,
        f: &Field,
        function: Option<&str>,
    ) -> Result<(), WireError> {
        let mut name = String::new();
        let mut op = String::new();
        let mut targets: Vec<(String, String)> = Vec::new();
        inp.message(f, |inp, g| {
            match g.number {
                1 => name = self.string(inp, &g)?,
                2 => op = self.string(inp, &g)?,
                5 => self.attr(inp, &g, &mut targets)?,
                _ => {}
            }
            Ok(())
        })?;
        self.record(f.offset, op, name, function, targets);
        Ok(())
    }

    /// One `attr` map entry: keeps the string values of [`WHERE_ATTRS`]. Other values (tensors of
    /// `Const` nodes among them) are skipped unread.
    fn attr(
        &mut self,
        inp: &mut Input,
        f: &Field,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), WireError> {
        let mut key = String::new();
        let mut value: Option<Field> = None;
        inp.message(f, |inp, g| {
            match g.number {
                1 => key = self.string(inp, &g)?,
                2 => value = Some(g),
                _ => {}
            }
            Ok(())
        })?;
        let Some(value) = value else {
            return Ok(());
        };
        if !WHERE_ATTRS.contains(&key.as_str()) {
            return Ok(());
        }
        let max = self.ctx.limits.max_fact_string;
        let keep = |inp: &mut Input, s: &Field, out: &mut Vec<(String, String)>| {
            if out.len() < MAX_LISTED {
                out.push((key.clone(), inp.string(s, max)?));
            }
            Ok(())
        };
        // AttrValue: s = 2; list = 1 (ListValue: s = 2).
        inp.message(&value, |inp, a| match a.number {
            2 => keep(inp, &a, out),
            1 => inp.message(&a, |inp, l| match l.number {
                2 => keep(inp, &l, out),
                _ => Ok(()),
            }),
            _ => Ok(()),
        })
    }

    fn record(
        &mut self,
        offset: u64,
        op: String,
        name: String,
        function: Option<&str>,
        targets: Vec<(String, String)>,
    ) {
        let cap = self.ctx.limits.max_fact_entries;
        self.facts.node_count = self.facts.node_count.saturating_add(1);
        if ROUTINE_FILE_OPS.contains(&op.as_str()) {
            let n = self.facts.routine_file_ops.entry(op.clone()).or_default();
            *n = n.saturating_add(1);
        }
        let rule = if op == PRINT_TO_FILE.op {
            targets
                .iter()
                .any(|(k, v)| k == "output_stream" && v.starts_with("file://"))
                .then_some(&PRINT_TO_FILE)
        } else {
            DANGEROUS.iter().find(|r| r.op == op)
        };
        if let Some(n) = self.facts.op_types.get_mut(&op) {
            *n = n.saturating_add(1);
        } else if self.facts.op_types.len() < cap {
            self.facts.op_types.insert(op, 1);
        } else {
            self.facts.op_types_not_listed = self.facts.op_types_not_listed.saturating_add(1);
        }
        let Some(rule) = rule else {
            return;
        };
        let hit = self.hits.entry(rule.op).or_insert_with(|| Hit {
            rule,
            offset,
            count: 0,
            places: Vec::new(),
            targets: BTreeSet::new(),
        });
        hit.count = hit.count.saturating_add(1);
        if hit.places.len() < MAX_LISTED {
            hit.places.push(match function {
                Some(func) => format!("{func}/{name}"),
                None => name,
            });
        }
        for (k, v) in targets {
            if hit.targets.len() < MAX_LISTED {
                hit.targets.insert(format!("{k}={v}"));
            }
        }
    }

    fn finish(mut self) {
        let hits = std::mem::take(&mut self.hits);
        for (op, hit) in hits {
            let mut places = hit.places.join(", ");
            if hit.count > hit.places.len() as u64 {
                places.push_str(", ...");
            }
            let targets = if hit.targets.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    hit.targets.iter().cloned().collect::<Vec<_>>().join("; ")
                )
            };
            self.ctx.report_with(
                Code::SavedModelDangerousOp,
                hit.rule.severity,
                Some(hit.offset),
                format!(
                    "{} node(s) run op {op}, which {}{targets}: {places}",
                    hit.count, hit.rule.does
                ),
                Evidence {
                    name: Some(op.to_owned()),
                    ..Evidence::default()
                },
            );
        }
        self.ctx.facts.savedmodel = Some(self.facts);
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

    fn run(bytes: &[u8]) -> (Vec<Finding>, Option<SavedModelFacts>) {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "saved_model.pb");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        (ctx.findings, ctx.facts.savedmodel)
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// A `NodeDef` as field `field` with string attributes.
    fn node_as(field: u32, name: &str, op: &str, attrs: &[(&str, &str)]) -> Vec<u8> {
        let mut parts = vec![bytes(1, name.as_bytes()), bytes(2, op.as_bytes())];
        for (k, v) in attrs {
            parts.push(msg(
                5,
                &[bytes(1, k.as_bytes()), msg(2, &[bytes(2, v.as_bytes())])],
            ));
        }
        msg(field, &parts)
    }

    fn node(name: &str, op: &str) -> Vec<u8> {
        node_as(1, name, op, &[])
    }

    fn function(name: &str, nodes: &[Vec<u8>]) -> Vec<u8> {
        let mut parts = vec![msg(1, &[bytes(1, name.as_bytes())])];
        parts.extend(nodes.iter().cloned());
        msg(1, &parts)
    }

    fn saved_model(graph: &[Vec<u8>]) -> Vec<u8> {
        let meta_info = msg(1, &[bytes(4, b"serve"), bytes(5, b"2.15.0")]);
        [int(1, 1), msg(2, &[meta_info, msg(2, graph)])].concat()
    }

    #[test]
    fn benign_graph_has_facts_and_no_findings() {
        let m = saved_model(&[
            node("x", "Placeholder"),
            node("w", "Const"),
            node("y", "MatMul"),
            node("save/SaveV2", "SaveV2"),
            node("save/RestoreV2", "RestoreV2"),
            node("save/Merge", "MergeV2Checkpoints"),
        ]);
        let (findings, facts) = run(&m);
        assert!(findings.is_empty(), "{findings:?}");
        let f = facts.unwrap();
        assert_eq!(f.schema_version, Some(1));
        assert_eq!(f.meta_graph_count, 1);
        assert_eq!(f.tags, vec![vec!["serve".to_owned()]]);
        assert!(f.tensorflow_versions.contains("2.15.0"));
        assert_eq!(f.node_count, 6);
        assert_eq!(f.op_types["MatMul"], 1);
        assert_eq!(f.routine_file_ops["SaveV2"], 1);
        assert_eq!(f.routine_file_ops.len(), 3);
    }

    #[test]
    fn flags_read_and_write_file_once_per_op_with_counts() {
        let m = saved_model(&[
            node("a", "ReadFile"),
            node("b", "ReadFile"),
            node("c", "WriteFile"),
        ]);
        let (findings, _) = run(&m);
        assert_eq!(
            codes(&findings),
            ["savedmodel-dangerous-op", "savedmodel-dangerous-op"]
        );
        let read = findings
            .iter()
            .find(|f| f.evidence.name.as_deref() == Some("ReadFile"))
            .unwrap();
        assert_eq!(read.severity, Severity::High);
        assert!(read.message.starts_with("2 node(s)"), "{}", read.message);
        assert!(read.message.contains("a, b"), "{}", read.message);
    }

    #[test]
    fn flags_pyfunc_in_a_library_function() {
        let lib = msg(
            2,
            &[function(
                "__inference_f_12",
                &[node_as(3, "py", "PyFunc", &[])],
            )],
        );
        let (findings, facts) = run(&saved_model(&[
            node("call", "StatefulPartitionedCall"),
            lib,
        ]));
        assert_eq!(codes(&findings), ["savedmodel-dangerous-op"]);
        assert!(
            findings[0].message.contains("__inference_f_12/py"),
            "{}",
            findings[0].message
        );
        let f = facts.unwrap();
        assert_eq!(f.function_count, 1);
        assert_eq!(f.node_count, 2);
    }

    #[test]
    fn flags_print_v2_only_when_it_writes_a_file() {
        let to_stderr = node_as(1, "p", "PrintV2", &[("output_stream", "stderr")]);
        assert!(run(&saved_model(&[to_stderr])).0.is_empty());
        let to_file = node_as(1, "p", "PrintV2", &[("output_stream", "file:///tmp/x")]);
        let (findings, _) = run(&saved_model(&[to_file]));
        assert_eq!(codes(&findings), ["savedmodel-dangerous-op"]);
        assert!(findings[0].message.contains("output_stream=file:///tmp/x"));
    }

    #[test]
    fn legacy_checkpoint_ops_are_medium() {
        let (findings, _) = run(&saved_model(&[node("s", "Save")]));
        assert_eq!(findings[0].severity, Severity::Medium);
    }

    #[test]
    fn skips_large_const_tensors_without_reading_them() {
        // A Const whose `value` attr holds a 100 KB tensor, then a ReadFile.
        let tensor = msg(2, &[msg(8, &[bytes(4, &vec![0u8; 100_000])])]);
        let konst = msg(
            1,
            &[bytes(2, b"Const"), msg(5, &[bytes(1, b"value"), tensor])],
        );
        let (findings, facts) = run(&saved_model(&[konst, node("r", "ReadFile")]));
        assert_eq!(codes(&findings), ["savedmodel-dangerous-op"]);
        assert_eq!(facts.unwrap().node_count, 2);
    }

    #[test]
    fn rejects_truncated_file() {
        let m = saved_model(&[node("x", "Placeholder"), node("y", "MatMul")]);
        let (findings, _) = run(&m[..m.len() - 5]);
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
        assert!(
            findings[0].message.contains("declares"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn rejects_truncated_varint_and_wrong_wire_type() {
        let (findings, _) = run(&[0x08, 0x80]);
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
        assert!(findings[0].message.contains("varint"));
        // meta_graphs (field 2) as a varint.
        let (findings, _) = run(&[0x08, 0x01, 0x10, 0x01]);
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
        assert!(findings[0].message.contains("expected length-delimited"));
    }

    #[test]
    fn rejects_huge_declared_length() {
        let mut b = vec![0x12];
        b.extend(varint(1 << 40));
        let (findings, _) = run(&b);
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
    }

    #[test]
    fn rejects_nesting_past_the_limit() {
        let limits = Limits {
            max_proto_depth: 3,
            ..Limits::default()
        };
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "saved_model.pb");
        inspect(&saved_model(&[node("x", "Placeholder")]), &mut ctx).unwrap();
        assert_eq!(codes(&ctx.findings), ["savedmodel-malformed"]);
        assert!(ctx.findings[0].message.contains("nested more than 3"));
    }

    #[test]
    fn never_panics_on_truncation_or_corruption() {
        let lib = msg(2, &[function("f", &[node_as(3, "py", "PyFunc", &[])])]);
        let m = saved_model(&[
            node_as(1, "p", "PrintV2", &[("output_stream", "file:///tmp/x")]),
            lib,
        ]);
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
    fn rejects_a_file_without_meta_graphs() {
        let (findings, _) = run(&[0x08, 0x01]);
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
    }

    #[test]
    fn rejects_undecodable_signature() {
        // OpDef.name (field 1) as a varint inside the signature.
        let lib = msg(2, &[msg(1, &[msg(1, &[int(1, 5)])])]);
        let (findings, _) = run(&saved_model(&[lib]));
        assert_eq!(codes(&findings), ["savedmodel-malformed"]);
        assert!(
            findings[0].message.contains("signature"),
            "{}",
            findings[0].message
        );
    }
}
