//! TorchScript archives (`torch.jit.save`): what the code in `code/**/*.py` can reach.
//!
//! `torch.jit.load` compiles the archive's source (a Python subset printed by
//! `torch/csrc/jit/serialization/python_print.cpp`) and runs it: `__setstate__` methods while
//! loading, `forward` and the other methods when the model is called. The source cannot import
//! Python: the importer (`torch/csrc/jit/serialization/import_source.cpp`) resolves only a fixed
//! set of global names, so everything the code does goes through one of
//!
//! * `torch.<name>` (and `torch.autograd.<name>`): the ATen operator `aten::<name>`;
//! * `ops.<ns>.<name>`: the operator `<ns>::<name>`, of any namespace;
//! * `__torch__.torch.classes.<ns>.<Class>`: a custom C++ class (its methods are native code);
//! * `__torch__.<path>`: classes and functions defined by the archive's own source, analysed
//!   here too; `fork`, `annotate`, `unchecked_cast`, `uninitialized`, `CONSTANTS.cN` and the
//!   builtins (`len`, `int`, ...) compile to `aten`/`prim` operators.
//!
//! So a lexer that skips strings and comments and collects these dotted chains sees every
//! operator and class the code can call. Operators that ship with libtorch are facts; the few
//! that touch the host (files, network) are findings; namespaces outside libtorch need a native
//! library that the deployment must load first (the archive cannot carry one: an unknown op
//! fails the load), and are findings too. A chain the lexer cannot resolve (`torch` or `ops.ns`
//! used as a value, as in `getattr(torch, "from_file")`), a file over the cap, non-UTF-8 or
//! unterminated source fails closed: `torchscript-code`, as before this analysis existed.
//!
//! The lexer is one forward pass over bytes with constant state per byte: linear time, no
//! backtracking, memory bounded by the number of distinct references kept.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// Operator namespaces registered by libtorch itself (or by `torch` on import), with where.
/// Loading a model that uses them needs nothing beyond torch.
const CORE_OP_NAMESPACES: &[&str] = &[
    // The ATen library and the interpreter's primitives.
    "aten",
    "prim",
    // aten/src/ATen/native/quantized/library.cpp: TORCH_LIBRARY(quantized), (_quantized).
    "quantized",
    "_quantized",
    // aten/src/ATen/native/xnnpack/RegisterOpContextClass.cpp: TORCH_LIBRARY(prepacked).
    "prepacked",
    // aten/src/ATen/native/mkldnn/RegisterMkldnnOpContextClass.cpp: (mkldnn), (mkldnn_prepacked).
    "mkldnn",
    "mkldnn_prepacked",
    // aten/src/ATen/native/quantized/library.cpp: TORCH_LIBRARY(onednn).
    "onednn",
    // aten/src/ATen/native/ao_sparse/library.cpp: TORCH_LIBRARY(sparse).
    "sparse",
    // torch/csrc/jit/runtime/register_cuda_ops.cpp: cuda::current_stream, synchronize, ...
    "cuda",
    // torch/csrc/autograd/record_function_ops.cpp: profiler::_record_function_enter, ...
    "profiler",
    // torch/csrc/jit/runtime/register_prim_ops_fulljit.cpp: onnx::Reshape, onnx::Shape.
    "onnx",
    // torch/ao/quantization/fx/_decomposed.py (torch.library, registered by torch itself).
    "quantized_decomposed",
    // aten/src/ATen/native/vulkan/ops/Register.cpp, aten/src/ATen/native/metal/MetalPrepackOpRegister.cpp.
    "vulkan_prepack",
    "metal_prepack",
];

/// Custom-class namespaces registered by libtorch (`torch::class_<..>("<ns>", ..)`).
const CORE_CLASS_NAMESPACES: &[&str] = &[
    // quantized/cpu/fbgemm_utils.cpp: LinearPackedParamsBase, Conv{2,3}dPackedParamsBase, ...
    "quantized",
    // xnnpack/RegisterOpContextClass.cpp: LinearOpContext, Conv2dOpContext, ...
    "xnnpack",
    // mkldnn/RegisterMkldnnOpContextClass.cpp: ConvOpContext.
    "mkldnn",
    // ao_sparse/quantized/cpu/fbgemm_utils.cpp: LinearPackedParamsBase.
    "sparse",
    // torch/csrc/jit/runtime/register_distributed_ops.cpp: WorkerInfo.
    "dist_rpc",
    // torch/csrc/jit/cuda/cuda.h: Stream, Event.
    "cuda",
    "vulkan",
    "metal",
];

/// Operators that touch the host, with what they do.
const DANGEROUS_OPS: &[(&str, &str, &str)] = &[
    // native_functions.yaml: from_file(str filename, bool? shared=None, int? size=0, ...).
    (
        "aten",
        "from_file",
        "maps a file named at run time into a tensor (reads any file the process can)",
    ),
    // register_prim_ops_fulljit.cpp: aten::save(t item, str filename) writes the file.
    (
        "aten",
        "save",
        "writes a file named at run time (creates or overwrites any file the process can)",
    ),
    // register_distributed_ops.cpp: remote procedure calls to other processes or hosts.
    (
        "prim",
        "rpc_async",
        "calls a function in another process over torch.distributed.rpc (network)",
    ),
    (
        "prim",
        "rpc_sync",
        "calls a function in another process over torch.distributed.rpc (network)",
    ),
    (
        "prim",
        "rpc_remote",
        "calls a function in another process over torch.distributed.rpc (network)",
    ),
];

/// Namespaces whose every operator sends or receives data over a process group (network):
/// torch/csrc/distributed/c10d/Ops.cpp (`c10d`) and Functional.cpp (`_c10d_functional`,
/// `c10d_functional`).
const DANGEROUS_NAMESPACES: &[&str] = &["c10d", "_c10d_functional", "c10d_functional"];

/// Facts about an archive's TorchScript code, for the report and the AIBOM.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TorchScriptFacts {
    /// Source files (`code/**/*.py`) analysed.
    pub code_files: u64,
    /// Source files that could not be analysed (too large, unreadable, not UTF-8).
    #[serde(skip_serializing_if = "is_zero")]
    pub unanalysed_files: u64,
    /// Operator references per namespace (`aten`, `prim`, ...).
    pub op_namespaces: BTreeMap<String, u64>,
    /// Distinct operators referenced.
    pub distinct_ops: u64,
    /// Custom classes referenced (`ns.Class`), with their reference counts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_classes: BTreeMap<String, u64>,
    /// `__setstate__` methods defined: torch.jit.load runs them while loading.
    pub setstate_methods: u64,
}

impl crate::formats::FormatFacts for TorchScriptFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        let namespaces: Vec<String> = self
            .op_namespaces
            .iter()
            .map(|(ns, n)| format!("{ns}={n}"))
            .collect();
        out.push(("aibom:torchscript:code-files", self.code_files.to_string()));
        out.push(("aibom:torchscript:op-namespaces", namespaces.join(",")));
        out.push((
            "aibom:torchscript:setstate-methods",
            self.setstate_methods.to_string(),
        ));
        if !self.custom_classes.is_empty() {
            let classes: Vec<&str> = self.custom_classes.keys().map(String::as_str).collect();
            out.push(("aibom:torchscript:custom-classes", classes.join(",")));
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a dotted chain refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Op { ns: String, name: String },
    Class { ns: String, name: String },
}

/// How a reference is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Core,
    Dangerous(&'static str),
    Foreign,
}

impl Target {
    fn class(&self) -> Class {
        match self {
            Target::Op { ns, name } => {
                if let Some((_, _, what)) =
                    DANGEROUS_OPS.iter().find(|(n, o, _)| n == ns && o == name)
                {
                    Class::Dangerous(what)
                } else if DANGEROUS_NAMESPACES.contains(&ns.as_str()) {
                    Class::Dangerous(
                        "sends or receives tensors over a distributed process group (network)",
                    )
                } else if CORE_OP_NAMESPACES.contains(&ns.as_str()) {
                    Class::Core
                } else {
                    Class::Foreign
                }
            }
            Target::Class { ns, .. } => {
                if CORE_CLASS_NAMESPACES.contains(&ns.as_str()) {
                    Class::Core
                } else {
                    Class::Foreign
                }
            }
        }
    }

    /// As the source spells it.
    fn spelled(&self) -> String {
        match self {
            Target::Op { ns, name } if ns == "aten" => format!("torch.{name}"),
            Target::Op { ns, name } => format!("ops.{ns}.{name}"),
            Target::Class { ns, name } => format!("__torch__.torch.classes.{ns}.{name}"),
        }
    }

    fn qualified(&self) -> String {
        match self {
            Target::Op { ns, name } => format!("{ns}::{name}"),
            Target::Class { ns, name } => format!("{ns}.{name}"),
        }
    }
}

/// References to one target from one file.
#[derive(Debug, Default, Clone, Copy)]
struct Uses {
    count: u64,
    /// Inside a `__setstate__` method (run by torch.jit.load itself).
    in_setstate: u64,
}

/// Why a source file was not (fully) analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanalysed {
    TooLarge { cap: u64 },
    TotalCap { cap: u64 },
    Unreadable,
    NotUtf8,
    Unterminated,
    Unresolved(String),
    TooManyTargets { cap: usize },
}

impl Unanalysed {
    fn describe(&self) -> String {
        match self {
            Unanalysed::TooLarge { cap } => format!("it is larger than the {cap}-byte cap"),
            Unanalysed::TotalCap { cap } => {
                format!("the archive's source passed the {cap}-byte cap before it")
            }
            Unanalysed::Unreadable => {
                "its bytes could not be read completely (compression, truncation or damage)".into()
            }
            Unanalysed::NotUtf8 => "it is not UTF-8 text".into(),
            Unanalysed::Unterminated => "a string or bracket is left open at its end".into(),
            Unanalysed::TooManyTargets { cap } => format!(
                "it references more than {cap} distinct operators and classes, and the rest were not kept"
            ),
            Unanalysed::Unresolved(what) => format!(
                "{what} is used as a value, so the operator or class it reaches cannot be read from the source"
            ),
        }
    }
}

/// The analysis of one archive's code, file by file.
#[derive(Debug)]
pub struct Analysis {
    facts: TorchScriptFacts,
    /// Per file (member name), per target.
    uses: BTreeMap<String, BTreeMap<Target, Uses>>,
    unanalysed: Vec<(String, Unanalysed)>,
    distinct: BTreeMap<Target, ()>,
    max_entries: usize,
    max_file: u64,
    max_total: u64,
    total: u64,
    /// Entries in `uses`.
    kept: usize,
}

impl Analysis {
    pub fn new(limits: &crate::limits::Limits) -> Self {
        Analysis {
            facts: TorchScriptFacts::default(),
            uses: BTreeMap::new(),
            unanalysed: Vec::new(),
            distinct: BTreeMap::new(),
            max_entries: limits.max_fact_entries,
            max_file: limits.max_torchscript_code,
            max_total: limits.max_torchscript_code_total,
            total: 0,
            kept: 0,
        }
    }

    /// Bytes to read of the next file: its cap, or what is left of the archive's.
    pub fn budget(&self) -> u64 {
        self.max_file.min(self.max_total.saturating_sub(self.total))
    }

    /// Records a file that could not be read.
    pub fn unreadable(&mut self, member: &str) {
        self.fail(member, Unanalysed::Unreadable);
    }

    fn fail(&mut self, member: &str, why: Unanalysed) {
        self.facts.unanalysed_files = self.facts.unanalysed_files.saturating_add(1);
        // Past the cap only the count grows: the listed ones already fail the file.
        if self.unanalysed.len() < self.max_entries {
            self.unanalysed.push((member.to_owned(), why));
        }
    }

    /// Analyses one source file: `text` holds at most [`Analysis::budget`] + 1 bytes, and
    /// more than the budget means the file was cut.
    pub fn source(&mut self, member: &str, text: &[u8]) {
        let budget = self.budget();
        if text.len() as u64 > budget {
            let why = if budget < self.max_file {
                Unanalysed::TotalCap {
                    cap: self.max_total,
                }
            } else {
                Unanalysed::TooLarge { cap: self.max_file }
            };
            self.total = self.total.saturating_add(text.len() as u64);
            self.fail(member, why);
            return;
        }
        self.total = self.total.saturating_add(text.len() as u64);
        let Ok(text) = std::str::from_utf8(text) else {
            self.fail(member, Unanalysed::NotUtf8);
            return;
        };
        self.facts.code_files = self.facts.code_files.saturating_add(1);
        let mut found: BTreeMap<Target, Uses> = BTreeMap::new();
        let max_targets = self.max_entries.saturating_mul(16);
        let mut overflow = false;
        let result = lex(text, |target, in_setstate| {
            if found.len() >= max_targets && !found.contains_key(&target) {
                overflow = true;
                return;
            }
            let u = found.entry(target).or_default();
            u.count = u.count.saturating_add(1);
            if in_setstate {
                u.in_setstate = u.in_setstate.saturating_add(1);
            }
        });
        match result {
            Ok(setstates) => {
                self.facts.setstate_methods = self.facts.setstate_methods.saturating_add(setstates);
            }
            Err(why) => self.fail(member, why),
        }
        if overflow {
            self.fail(member, Unanalysed::TooManyTargets { cap: max_targets });
        }
        self.add(member, found);
    }

    /// Records a custom class named by a pickle of the archive (`data.pkl`,
    /// `constants.pkl`): the unpickler creates it through the class's native `__setstate__`.
    pub fn pickled_class(&mut self, member: &str, module: &str, name: &str) {
        let Some(ns) = module.strip_prefix("__torch__.torch.classes.") else {
            return;
        };
        let target = Target::Class {
            ns: ns.to_owned(),
            name: name.to_owned(),
        };
        let mut one = BTreeMap::new();
        one.insert(
            target,
            Uses {
                count: 1,
                in_setstate: 1,
            },
        );
        self.add(member, one);
    }

    fn add(&mut self, member: &str, found: BTreeMap<Target, Uses>) {
        for (t, u) in &found {
            match t {
                Target::Op { ns, .. } => {
                    if self.facts.op_namespaces.len() < self.max_entries
                        || self.facts.op_namespaces.contains_key(ns)
                    {
                        let n = self.facts.op_namespaces.entry(ns.clone()).or_insert(0);
                        *n = n.saturating_add(u.count);
                    }
                    if self.distinct.len() < self.max_entries.saturating_mul(16)
                        && self.distinct.insert(t.clone(), ()).is_none()
                    {
                        self.facts.distinct_ops = self.facts.distinct_ops.saturating_add(1);
                    }
                }
                Target::Class { .. } => {
                    let key = t.qualified();
                    if self.facts.custom_classes.len() < self.max_entries
                        || self.facts.custom_classes.contains_key(&key)
                    {
                        let n = self.facts.custom_classes.entry(key).or_insert(0);
                        *n = n.saturating_add(u.count);
                    }
                }
            }
        }
        let kept: BTreeMap<Target, Uses> = found
            .into_iter()
            .filter(|(t, _)| t.class() != Class::Core)
            .collect();
        let cap = self.max_entries.saturating_mul(16);
        if self.kept.saturating_add(kept.len()) > cap {
            // Memory stays bounded; the file still fails, as unanalysed.
            self.fail(member, Unanalysed::TooManyTargets { cap });
            return;
        }
        self.kept = self.kept.saturating_add(kept.len());
        if !kept.is_empty() {
            let e = self.uses.entry(member.to_owned()).or_default();
            for (t, u) in kept {
                let x = e.entry(t).or_default();
                x.count = x.count.saturating_add(u.count);
                x.in_setstate = x.in_setstate.saturating_add(u.in_setstate);
            }
        }
    }

    /// Reports the findings (locations are members of the archive) and stores the facts.
    pub fn finish(self, ctx: &mut Ctx) {
        for (member, targets) in &self.uses {
            for (t, u) in targets {
                report_use(ctx, member, t, *u);
            }
        }
        for (member, why) in &self.unanalysed {
            let message = format!(
                "TorchScript source {member:?} was not analysed because {}: torch.jit.load compiles and runs it, so what it calls is unknown",
                why.describe()
            );
            in_member(ctx, member, |ctx| {
                ctx.report(Code::TorchScriptCode, None, message);
            });
        }
        ctx.facts.torchscript = Some(self.facts);
    }
}

fn in_member(ctx: &mut Ctx, member: &str, f: impl FnOnce(&mut Ctx)) {
    // Entering can only fail past the depth limit, which the archive itself already passed.
    let _ = ctx.enter(member, |ctx| {
        f(ctx);
        Ok(())
    });
}

fn report_use(ctx: &mut Ctx, member: &str, t: &Target, u: Uses) {
    let calls = if u.count == 1 {
        "1 reference".to_owned()
    } else {
        format!("{} references", u.count)
    };
    let load = if u.in_setstate > 0 {
        format!(
            ", {} of them in __setstate__, which torch.jit.load runs while loading",
            u.in_setstate
        )
    } else {
        String::new()
    };
    let (code, severity, message) = match t.class() {
        Class::Core => return,
        Class::Dangerous(what) => (
            Code::TorchScriptDangerousOp,
            if u.in_setstate > 0 {
                Severity::Critical
            } else {
                Code::TorchScriptDangerousOp.default_severity()
            },
            format!(
                "the TorchScript code calls {} ({}), which {what} ({calls}{load})",
                t.spelled(),
                t.qualified()
            ),
        ),
        Class::Foreign => {
            let kind = match t {
                Target::Op { ns, .. } => format!("operator namespace {ns:?}"),
                Target::Class { ns, .. } => format!("custom-class namespace {ns:?}"),
            };
            (
                Code::TorchScriptCustomOp,
                if u.in_setstate > 0 {
                    Severity::High
                } else {
                    Code::TorchScriptCustomOp.default_severity()
                },
                format!(
                    "the TorchScript code uses {} ({calls}{load}): the {kind} is not part of libtorch, so torch.jit.load fails unless the deployment first loads a native library that registers it, and that library's code runs with the model",
                    t.spelled()
                ),
            )
        }
    };
    let evidence = match t {
        Target::Op { ns, name } | Target::Class { ns, name } => Evidence {
            module: Some(ns.clone()),
            name: Some(name.clone()),
            ..Evidence::default()
        },
    };
    in_member(ctx, member, |ctx| {
        ctx.report_with(code, severity, None, message, evidence);
    });
}

// ---------------------------------------------------------------------------------------------
// The lexer: tokens as torch/csrc/jit/frontend/lexer.h reads them (identifiers
// `[A-Za-z_][A-Za-z0-9_]*`, quoted strings with backslash escapes and triple quotes, `#`
// comments, brackets joining lines), reduced to the dotted chains and `def` headers.

/// Longest dotted chain kept (`__torch__.torch.classes.ns.Class` has five parts).
const MAX_CHAIN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Dot,
    Other,
}

/// Lexes `text`, calling `found` for every operator or custom class referenced (and whether it
/// is inside a `__setstate__`); returns the number of `__setstate__` definitions.
fn lex(text: &str, mut found: impl FnMut(Target, bool)) -> Result<u64, Unanalysed> {
    let b = text.as_bytes();
    let mut i = 0usize;
    let mut depth = 0u64; // open brackets: newlines inside do not end a line
    let mut line_start = true;
    let mut indent = 0usize;
    // Enclosing `def`s: (indent, is __setstate__).
    let mut defs: Vec<(usize, bool)> = Vec::new();
    // How many of them are `__setstate__` (kept as a count: the stack may be deep).
    let mut in_setstate = 0usize;
    let mut setstates = 0u64;
    let mut prev = Tok::Other;
    let mut after_def = false;
    let mut chain: Vec<&str> = Vec::new();
    let mut chain_open = false; // the last token of the chain was a dot
    let mut def_indent = 0usize;

    while let Some(&c) = b.get(i) {
        // Line structure first: indentation of each logical line (outside brackets).
        if line_start {
            let mut j = i;
            let mut width = 0usize;
            while let Some(&w) = b.get(j) {
                if w == b' ' || w == b'\t' {
                    width = width.saturating_add(1);
                    j = j.saturating_add(1);
                } else {
                    break;
                }
            }
            match b.get(j) {
                None | Some(b'\n') | Some(b'\r') | Some(b'#') => {}
                Some(_) => {
                    while let Some(&(d, s)) = defs.last() {
                        if d < width {
                            break;
                        }
                        defs.pop();
                        if s {
                            in_setstate = in_setstate.saturating_sub(1);
                        }
                    }
                    indent = width;
                }
            }
            line_start = false;
            i = j;
            continue;
        }
        let tok;
        match c {
            b'\n' if depth > 0 => {
                // Inside brackets a newline joins lines, like any blank.
                i = i.saturating_add(1);
                continue;
            }
            b'\n' => {
                i = i.saturating_add(1);
                line_start = true;
                if !chain.is_empty() {
                    close(&mut chain, in_setstate > 0, &mut found)?;
                    chain_open = false;
                }
                prev = Tok::Other;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => {
                i = i.saturating_add(1);
                continue;
            }
            b'\\' => {
                // Line continuation: the newline is not a line break.
                i = i.saturating_add(1);
                if b.get(i) == Some(&b'\r') {
                    i = i.saturating_add(1);
                }
                if b.get(i) == Some(&b'\n') {
                    i = i.saturating_add(1);
                }
                continue;
            }
            b'#' => {
                while let Some(&x) = b.get(i) {
                    if x == b'\n' {
                        break;
                    }
                    i = i.saturating_add(1);
                }
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(b, i)?;
                tok = Tok::Other;
            }
            b'(' | b'[' | b'{' => {
                depth = depth.saturating_add(1);
                i = i.saturating_add(1);
                tok = Tok::Other;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i = i.saturating_add(1);
                tok = Tok::Other;
            }
            b'.' if !b.get(i.saturating_add(1)).is_some_and(u8::is_ascii_digit) => {
                i = i.saturating_add(1);
                tok = Tok::Dot;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&x| x == b'_' || x.is_ascii_alphanumeric())
                {
                    i = i.saturating_add(1);
                }
                tok = Tok::Ident(text.get(start..i).unwrap_or_default());
            }
            c if c.is_ascii_digit() || c == b'.' => {
                // Numbers, including `1.5e-3` and `.5`: digits, letters, dots, signed exponents.
                i = i.saturating_add(1);
                while let Some(&x) = b.get(i) {
                    let exp_sign = (x == b'-' || x == b'+')
                        && matches!(b.get(i.wrapping_sub(1)), Some(b'e' | b'E'));
                    if x.is_ascii_alphanumeric() || x == b'.' || x == b'_' || exp_sign {
                        i = i.saturating_add(1);
                    } else {
                        break;
                    }
                }
                tok = Tok::Other;
            }
            _ => {
                i = i.saturating_add(1);
                tok = Tok::Other;
            }
        }

        // `def NAME`: a new function scope at this line's indentation.
        if after_def {
            after_def = false;
            if let Tok::Ident(name) = tok {
                let s = name == "__setstate__";
                if s {
                    setstates = setstates.saturating_add(1);
                    in_setstate = in_setstate.saturating_add(1);
                }
                defs.push((def_indent, s));
            }
        }
        match tok {
            Tok::Ident(name) if chain_open => {
                if chain.len() < MAX_CHAIN {
                    chain.push(name);
                }
                chain_open = false;
            }
            Tok::Ident(name) if prev != Tok::Dot => {
                if !chain.is_empty() {
                    close(&mut chain, in_setstate > 0, &mut found)?;
                }
                if name == "def" {
                    after_def = true;
                    def_indent = indent;
                } else if matches!(name, "torch" | "ops" | "__torch__") {
                    chain.push(name);
                }
            }
            Tok::Dot if !chain.is_empty() && !chain_open => chain_open = true,
            _ => {
                if !chain.is_empty() {
                    close(&mut chain, in_setstate > 0, &mut found)?;
                    chain_open = false;
                }
            }
        }
        prev = tok;
    }
    if !chain.is_empty() {
        close(&mut chain, in_setstate > 0, &mut found)?;
    }
    if depth > 0 {
        return Err(Unanalysed::Unterminated);
    }
    Ok(setstates)
}

/// Ends the current chain (the next token is not `.`) and reports what it refers to.
fn close(
    chain: &mut Vec<&str>,
    in_setstate: bool,
    found: &mut dyn FnMut(Target, bool),
) -> Result<(), Unanalysed> {
    let r = resolve(chain);
    chain.clear();
    if let Some(t) = r? {
        found(t, in_setstate);
    }
    Ok(())
}

/// Skips the string literal starting at `i` (a quote); returns the index after it.
fn skip_string(b: &[u8], i: usize) -> Result<usize, Unanalysed> {
    let q = *b.get(i).ok_or(Unanalysed::Unterminated)?;
    let triple = b.get(i..i.saturating_add(3)) == Some(&[q, q, q][..]);
    let mut j = if triple {
        i.saturating_add(3)
    } else {
        i.saturating_add(1)
    };
    loop {
        let Some(&x) = b.get(j) else {
            return Err(Unanalysed::Unterminated);
        };
        if x == b'\\' {
            j = j.saturating_add(2);
            continue;
        }
        if x == b'\n' && !triple {
            return Err(Unanalysed::Unterminated);
        }
        if x == q {
            if !triple {
                return Ok(j.saturating_add(1));
            }
            if b.get(j..j.saturating_add(3)) == Some(&[q, q, q][..]) {
                return Ok(j.saturating_add(3));
            }
        }
        j = j.saturating_add(1);
    }
}

/// What a complete chain (`torch.add`, `ops.ns.op`, `__torch__.torch.classes.ns.C`, ...)
/// refers to; `None` for the archive's own classes and functions; an error for a chain that
/// stops where the operator or class is not named yet.
fn resolve(chain: &[&str]) -> Result<Option<Target>, Unanalysed> {
    let unresolved = || Err(Unanalysed::Unresolved(format!("`{}`", chain.join("."))));
    let op = |ns: &str, name: &str| {
        Ok(Some(Target::Op {
            ns: ns.to_owned(),
            name: name.to_owned(),
        }))
    };
    match chain {
        ["torch"] | ["torch", "autograd"] | ["ops"] | ["ops", _] => unresolved(),
        ["torch", "autograd", name, ..] => op("aten", name),
        ["torch", name, ..] => op("aten", name),
        ["ops", ns, name, ..] => op(ns, name),
        ["__torch__"] | ["__torch__", "torch"] | ["__torch__", "torch", "classes"] => unresolved(),
        ["__torch__", "torch", "classes", ns] => {
            // The class is picked by a computed name: judged by its namespace.
            if CORE_CLASS_NAMESPACES.contains(ns) {
                Ok(None)
            } else {
                Ok(Some(Target::Class {
                    ns: (*ns).to_owned(),
                    name: "?".to_owned(),
                }))
            }
        }
        ["__torch__", "torch", "classes", ns, name, ..] => Ok(Some(Target::Class {
            ns: (*ns).to_owned(),
            name: (*name).to_owned(),
        })),
        _ => Ok(None),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Result<(Vec<(String, bool)>, u64), Unanalysed> {
        let mut out = Vec::new();
        let n = lex(src, |t, s| out.push((t.qualified(), s)))?;
        Ok((out, n))
    }

    #[test]
    fn reads_aten_prim_and_custom_ops_outside_strings_and_comments() {
        let src = "def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n  _0 = \"ops.evil.x torch.from_file\"  # torch.save\n  y = torch.add(x, ops.prim.NumToTensor(1))\n  z = ops.torchvision.nms(y, y, 0.5)\n  return torch.autograd.grad([z], [x])\n";
        let (r, n) = refs(src).unwrap();
        let names: Vec<&str> = r.iter().map(|(q, _)| q.as_str()).collect();
        assert_eq!(
            names,
            [
                "aten::add",
                "prim::NumToTensor",
                "torchvision::nms",
                "aten::grad"
            ]
        );
        assert_eq!(n, 0);
    }

    #[test]
    fn attributes_named_like_modules_are_not_ops() {
        let (r, _) = refs("def f(self):\n  a = self.torch.save\n  b = x.ops.evil.op\n").unwrap();
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn flags_ops_inside_setstate_only() {
        let src = "class M(Module):\n  a : __torch__.torch.classes.myns.Thing\n  def __setstate__(self: __torch__.M,\n    state: Tuple[str]) -> NoneType:\n    t = torch.from_file(state[0],\n      True)\n    return None\n  def forward(self: __torch__.M) -> Tensor:\n    return torch.from_file(\"x\")\n";
        let (r, n) = refs(src).unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            r,
            [
                ("myns.Thing".to_owned(), false),
                ("aten::from_file".to_owned(), true),
                ("aten::from_file".to_owned(), false)
            ]
        );
    }

    #[test]
    fn fails_closed_on_op_namespaces_used_as_values() {
        for src in [
            "def f(x):\n  return getattr(torch, \"from_file\")(x)\n",
            "def f(x):\n  m = ops.aten\n  return m.from_file(x)\n",
            "def f(x):\n  return getattr(__torch__.torch.classes, \"ns\")\n",
            "def f(x):\n  return torch\n",
        ] {
            assert!(matches!(refs(src), Err(Unanalysed::Unresolved(_))), "{src}");
        }
    }

    #[test]
    fn fails_closed_on_unterminated_strings_and_brackets() {
        assert_eq!(
            refs("def f(x):\n  s = \"abc\n"),
            Err(Unanalysed::Unterminated)
        );
        assert_eq!(
            refs("def f(x):\n  s = '''abc"),
            Err(Unanalysed::Unterminated)
        );
        assert_eq!(refs("def f(x:\n"), Err(Unanalysed::Unterminated));
    }

    #[test]
    fn skips_escapes_triple_quotes_and_numbers() {
        let src = "def f(x):\n  s = \"a\\\"torch.save(\"\n  t = '''\ntorch.from_file'''\n  u = 1.5e-3 + .5\n  return torch.mul(x, 2.)\n";
        let (r, _) = refs(src).unwrap();
        assert_eq!(r, [("aten::mul".to_owned(), false)]);
    }

    #[test]
    fn classifies_core_dangerous_and_foreign_targets() {
        let op = |ns: &str, name: &str| Target::Op {
            ns: ns.into(),
            name: name.into(),
        };
        assert_eq!(op("aten", "add").class(), Class::Core);
        assert_eq!(op("quantized", "linear").class(), Class::Core);
        assert!(matches!(
            op("aten", "from_file").class(),
            Class::Dangerous(_)
        ));
        assert!(matches!(op("aten", "save").class(), Class::Dangerous(_)));
        assert!(matches!(
            op("c10d", "allreduce_").class(),
            Class::Dangerous(_)
        ));
        assert_eq!(op("torchvision", "nms").class(), Class::Foreign);
        let class = |ns: &str| Target::Class {
            ns: ns.into(),
            name: "C".into(),
        };
        assert_eq!(class("quantized").class(), Class::Core);
        assert_eq!(class("myns").class(), Class::Foreign);
    }

    #[test]
    fn fails_closed_past_the_distinct_target_cap() {
        let limits = crate::limits::Limits {
            max_fact_entries: 1,
            ..Default::default()
        };
        let mut a = Analysis::new(&limits);
        let mut src = String::from("def f(x):\n");
        for i in 0..20 {
            src.push_str(&format!("  _{i} = ops.n{i}.op(x)\n"));
        }
        src.push_str("  return torch.from_file(\"f\")\n");
        a.source("a.py", src.as_bytes());
        assert_eq!(a.unanalysed[0].1, Unanalysed::TooManyTargets { cap: 16 });
    }

    #[test]
    fn rejects_oversize_and_non_utf8_files() {
        let limits = crate::limits::Limits {
            max_torchscript_code: 8,
            ..Default::default()
        };
        let mut a = Analysis::new(&limits);
        a.source("a.py", b"def f(x):\n  pass\n");
        a.source("b.py", b"\xff\xfe");
        assert_eq!(a.facts.unanalysed_files, 2);
        assert_eq!(a.unanalysed[0].1, Unanalysed::TooLarge { cap: 8 });
        assert_eq!(a.unanalysed[1].1, Unanalysed::NotUtf8);
    }
}
