//! Static analysis of pickle streams (protocols 0-5).
//!
//! A symbolic interpreter runs every opcode the way CPython's `_pickle.c` does — stack, mark
//! stack with its fence, memo — but with inert values: nothing is imported, called or
//! constructed. What a loader would import (`GLOBAL`, `INST`, `STACK_GLOBAL`, `EXT*`) and call
//! (`REDUCE`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, and `BUILD` or item opcodes that mutate a
//! global) is resolved from tracked *values*, so strings that reach `STACK_GLOBAL` through the
//! memo, protocol-0 `STRING` opcodes or any other path are seen; operands that are not constant
//! strings are themselves a finding. Higher-order helpers on the denylist (`functools.partial`,
//! `map`, `getattr`, ...) are judged by the callable or attribute they are given, not by their
//! import (see `Helper`).
//!
//! Where scanners and the loader have disagreed, this mirrors the loader:
//! - `FRAME` does not bound reads: CPython's C unpickler reads an argument past the end of a
//!   declared frame, so frames are only checked, never trusted (`pickle-frame-overrun`).
//! - Back-to-back pickles are all scanned (legacy `torch.save` writes five; attackers append).
//! - A stream that breaks after its payload is reported with both the payload and the break.
//! - Bytes handed to a loader inside the pickle (`pickle.loads`, `torch.storage._load_from_bytes`)
//!   are scanned as a file of their own.
//!
//! Opcode reference: CPython `Lib/pickletools.py` and `Modules/_pickle.c`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::Format;
use crate::detect::pickle::{LEGACY_TORCH_PREFIX, memchr, op_name};
use crate::finding::{Code, Evidence, Severity};
use crate::policy::Class;
use crate::source::{Source, SourceReader};
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, BufRead};
use std::rc::Rc;

/// A global imported by a pickle.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GlobalUse {
    pub module: String,
    pub name: String,
    /// `allowed`, `denied`, `higher-order`, `dunder`, `unknown` (the policy's verdict).
    pub class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Offset of the first opcode that imported it.
    pub offset: u64,
    pub opcode: &'static str,
    pub count: u64,
}

/// A place where loading the pickle calls something.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CallSite {
    /// Dotted path of the callable, or `<dynamic>` when it could not be resolved.
    pub callee: String,
    pub opcode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Offset of the first such call.
    pub offset: u64,
    pub count: u64,
}

/// Facts kept per file are capped; past these, only counts grow.
const MAX_GLOBAL_FACTS: usize = 10_000;
/// Elements of a tuple kept for resolving call arguments.
const MAX_TUPLE_KEPT: usize = 16;

// ---------------------------------------------------------------------------------------------
// Values

/// A string or bytes value, kept whole up to a limit.
#[derive(Debug)]
struct Blob {
    data: Vec<u8>,
    /// Full length in the stream.
    len: u64,
    /// Bytes charged to the live total when made, returned exactly when dropped (the data may
    /// be taken out in between).
    charged: usize,
}

/// Heap bytes one kept value costs besides its data (the `Rc` and `Vec` headers).
const VALUE_OVERHEAD: usize = 64;

thread_local! {
    /// Bytes held by live [`Blob`]s on this thread. A file is inspected on one thread from
    /// start to end, so this is the file's kept memory; it shrinks as values are dropped.
    static LIVE_BLOB_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn live_blob_bytes() -> usize {
    LIVE_BLOB_BYTES.with(|c| c.get())
}

impl Blob {
    fn new(data: Vec<u8>, len: u64) -> Self {
        let charged = data.capacity().saturating_add(VALUE_OVERHEAD);
        LIVE_BLOB_BYTES.with(|c| c.set(c.get().saturating_add(charged)));
        Blob { data, len, charged }
    }

    fn truncated(&self) -> bool {
        (self.data.len() as u64) < self.len
    }
    fn text(&self) -> Option<&str> {
        if self.truncated() {
            None
        } else {
            std::str::from_utf8(&self.data).ok()
        }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        let charged = self.charged;
        LIVE_BLOB_BYTES.with(|c| c.set(c.get().saturating_sub(charged)));
    }
}

/// Something a loader could reach: a module, or an attribute path inside one. Held as its
/// dotted path (one allocation), split where the module ends. Its bytes count as kept (see
/// [`Blob`]): a stack of a million distinct imports would otherwise hold 100 MiB.
#[derive(Debug)]
struct Ref {
    path: Box<str>,
    module_len: usize,
}

/// Heap bytes a [`Ref`] costs besides its path (its `Rc`, the struct, allocator headers).
const REF_OVERHEAD: usize = 64;

impl Drop for Ref {
    fn drop(&mut self) {
        let charged = self.path.len().saturating_add(REF_OVERHEAD);
        LIVE_BLOB_BYTES.with(|c| c.set(c.get().saturating_sub(charged)));
    }
}

impl Ref {
    fn new(module: &str, name: &str) -> Ref {
        let mut path =
            String::with_capacity(module.len().saturating_add(name.len()).saturating_add(1));
        path.push_str(module);
        if !name.is_empty() {
            path.push('.');
            path.push_str(name);
        }
        let charged = path.len().saturating_add(REF_OVERHEAD);
        LIVE_BLOB_BYTES.with(|c| c.set(c.get().saturating_add(charged)));
        Ref {
            path: path.into_boxed_str(),
            module_len: module.len(),
        }
    }
    fn module(&self) -> &str {
        self.path.get(..self.module_len).unwrap_or("")
    }
    fn name(&self) -> &str {
        self.path
            .get(self.module_len.saturating_add(1)..)
            .unwrap_or("")
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn attr(&self, attr: &str) -> Ref {
        if self.name().is_empty() {
            Ref::new(self.module(), attr)
        } else {
            Ref::new(self.module(), &format!("{}.{attr}", self.name()))
        }
    }
}

/// Inert stand-ins for the objects a loader would build.
#[derive(Debug, Clone)]
enum Value {
    /// Floats, booleans, lists, sets: nothing that matters for resolution.
    Opaque,
    None,
    Int(i64),
    /// A dict's first entries (joblib array headers are dicts).
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    /// A dict nothing refers to but the stack slot and that holds nothing yet: allocated as a
    /// [`Value::Dict`] on its first insert or when it gets a second reference (DUP, memo), so
    /// a flood of `EMPTY_DICT` costs no more memory than a flood of `NONE`.
    EmptyDict,
    /// `numpy.dtype(<str>)`.
    Dtype(Rc<str>),
    Str(Rc<Blob>),
    /// A string of at most [`SHORT`] bytes, held inline (module and attribute names, keys,
    /// vocabulary): no allocation for the commonest value in opcode-heavy pickles.
    Short(Short),
    Bytes(Rc<Blob>),
    Ref(Rc<Ref>),
    /// The result of a call; `callee` is None when the callable was not resolvable.
    Call(Option<Rc<Ref>>),
    /// A callable object made by a higher-order helper (`functools.partial`) that calls
    /// `target` when it is called; `target` was judged when the object was made.
    Bound {
        helper: Rc<Ref>,
        target: Rc<Ref>,
    },
    Tuple(Rc<[Value]>),
    /// A memoized string, bytes, tuple or dict that was not kept (the memo budget was spent).
    /// Used as an import operand it fails closed (`pickle-dynamic-global`).
    Lost,
}

/// Longest string held inline in a [`Value::Short`].
const SHORT: usize = 22;

#[derive(Debug, Clone, Copy)]
struct Short {
    len: u8,
    bytes: [u8; SHORT],
}

impl Short {
    fn new(s: &str) -> Option<Short> {
        let b = s.as_bytes();
        let mut bytes = [0u8; SHORT];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(Short {
            len: u8::try_from(b.len()).ok()?,
            bytes,
        })
    }

    fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..usize::from(self.len))?).ok()
    }
}

fn tuple(items: Vec<Value>) -> Value {
    if items.iter().all(|v| matches!(v, Value::Opaque)) {
        Value::Opaque
    } else {
        Value::Tuple(items.into_iter().take(MAX_TUPLE_KEPT).collect())
    }
}

/// Entries kept per dict.
const MAX_DICT_KEPT: usize = 32;

impl Value {
    /// Worth keeping in the memo: it can name, carry or build something a loader resolves.
    fn interesting(&self) -> bool {
        match self {
            Value::Opaque | Value::None | Value::Int(_) | Value::EmptyDict => false,
            Value::Tuple(t) => t.iter().any(Value::interesting),
            Value::Lost => true,
            Value::Dict(d) => d
                .borrow()
                .iter()
                .any(|(k, v)| k.interesting() || v.interesting()),
            _ => true,
        }
    }

    /// The value, or opaque when it is or holds a dict (see [`Machine::dict_insert`]).
    fn without_dicts(self) -> Value {
        fn holds_dict(v: &Value) -> bool {
            match v {
                Value::Dict(_) | Value::EmptyDict => true,
                Value::Tuple(t) => t.iter().any(holds_dict),
                _ => false,
            }
        }
        if holds_dict(&self) {
            Value::Opaque
        } else {
            self
        }
    }

    /// Holds a reference to a global or a call result: such values are always kept.
    fn holds_ref(&self) -> bool {
        match self {
            Value::Ref(_) | Value::Call(_) | Value::Bound { .. } => true,
            Value::Tuple(t) => t.iter().any(Value::holds_ref),
            Value::Dict(d) => d
                .borrow()
                .iter()
                .any(|(k, v)| k.holds_ref() || v.holds_ref()),
            _ => false,
        }
    }

    /// Approximate heap bytes a memo entry for this value costs.
    fn cost(&self) -> usize {
        match self {
            Value::Str(b) | Value::Bytes(b) => VALUE_OVERHEAD.saturating_add(b.data.len()),
            Value::Short(_) => VALUE_OVERHEAD,
            Value::Tuple(t) => t
                .iter()
                .map(Value::cost)
                .fold(VALUE_OVERHEAD, usize::saturating_add),
            Value::Dict(d) => d
                .borrow()
                .iter()
                .map(|(k, v)| k.cost().saturating_add(v.cost()))
                .fold(VALUE_OVERHEAD, usize::saturating_add),
            Value::Dtype(d) => VALUE_OVERHEAD.saturating_add(d.len()),
            _ => VALUE_OVERHEAD,
        }
    }

    /// The text of a string value kept whole.
    fn text(&self) -> Option<&str> {
        match self {
            Value::Str(b) => b.text(),
            Value::Short(s) => s.text(),
            _ => None,
        }
    }

    /// A string value: inline when short.
    fn string(data: Vec<u8>, len: u64) -> Value {
        if data.len() as u64 == len
            && let Ok(t) = std::str::from_utf8(&data)
            && let Some(s) = Short::new(t)
        {
            return Value::Short(s);
        }
        Value::Str(Rc::new(Blob::new(data, len)))
    }

    fn dict_get(&self, key: &str) -> Option<Value> {
        let Value::Dict(d) = self else { return None };
        d.borrow()
            .iter()
            .find_map(|(k, v)| (k.text() == Some(key)).then(|| v.clone()))
    }
}

fn args_of(v: &Value) -> &[Value] {
    match v {
        Value::Tuple(t) => t,
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------------
// Input

/// Why a stream stopped early.
enum Break {
    /// The loader would raise here: the rest of the stream never runs.
    Invalid(String),
    /// An analysis limit was reached.
    Limit(String),
    /// Reading the underlying file failed: the tool cannot do its job.
    Io(io::Error),
}

impl From<io::Error> for Break {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            // Short data and corrupt compressed input are properties of the bytes.
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => {
                Break::Invalid(format!("read failed: {e}"))
            }
            _ => Break::Io(e),
        }
    }
}

type Res<T> = Result<T, Break>;

fn invalid<T>(msg: impl Into<String>) -> Res<T> {
    Err(Break::Invalid(msg.into()))
}

struct Input<'r> {
    r: &'r mut dyn BufRead,
    /// Bytes taken from `r` and not yet consumed: `buf[start..end]`. Reading through a local
    /// buffer keeps the per-opcode cost to a bounds check instead of two dynamic calls.
    buf: Cow<'r, [u8]>,
    start: usize,
    end: usize,
    pos: u64,
    /// Bytes the stream holds from its start, when known (random-access sources).
    len: Option<u64>,
}

const INPUT_BUF: usize = 64 << 10;

impl<'r> Input<'r> {
    /// `data`: bytes already in memory that come first (a side reading's window); `r` goes
    /// on after them. The local buffer is only allocated when `r` is read.
    fn new(r: &'r mut dyn BufRead, data: &'r [u8], len: Option<u64>) -> Self {
        Input {
            r,
            buf: Cow::Borrowed(data),
            start: 0,
            end: data.len(),
            pos: 0,
            len,
        }
    }

    /// Bytes left after the current position, when the length is known.
    fn remaining(&self) -> Option<u64> {
        self.len.map(|l| l.saturating_sub(self.pos))
    }

    /// The buffered bytes, refilled when empty; empty at the end of the data.
    fn avail(&mut self) -> Res<&[u8]> {
        if self.start >= self.end {
            let src = self.r.fill_buf()?;
            let n = src.len().min(INPUT_BUF);
            if n > 0 {
                if matches!(self.buf, Cow::Borrowed(_)) || self.buf.len() < INPUT_BUF {
                    self.buf = Cow::Owned(vec![0; INPUT_BUF]);
                }
                if let (Some(dst), Some(src)) = (self.buf.to_mut().get_mut(..n), src.get(..n)) {
                    dst.copy_from_slice(src);
                }
            }
            self.r.consume(n);
            self.start = 0;
            self.end = n;
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or(&[]))
    }

    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        self.pos = self.pos.saturating_add(n as u64); // a stream offset
    }

    fn peek(&mut self) -> Res<Option<u8>> {
        Ok(self.avail()?.first().copied())
    }

    fn byte(&mut self, what: &str) -> Res<u8> {
        if let Some(&b) = self.buf.get(self.start).filter(|_| self.start < self.end) {
            // The per-opcode path: start < end <= buf.len(), and pos is a stream offset.
            self.start = self.start.wrapping_add(1);
            self.pos = self.pos.wrapping_add(1);
            return Ok(b);
        }
        match self.peek()? {
            Some(b) => {
                self.consume(1);
                Ok(b)
            }
            None => invalid(format!("pickle data was truncated (in {what})")),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Res<[u8; N]> {
        let mut out = [0u8; N];
        self.fill(&mut out, what)?;
        Ok(out)
    }

    /// Fills `out` from the stream.
    fn fill(&mut self, out: &mut [u8], what: &str) -> Res<()> {
        let mut done = 0;
        while let Some(rest) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!("pickle data was truncated (in {what})"));
            }
            let n = buf.len().min(rest.len());
            if let (Some(dst), Some(src)) = (rest.get_mut(..n), buf.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.consume(n);
            done = done.saturating_add(n);
        }
        Ok(())
    }

    /// Reads a `\n`-terminated line (without the newline).
    fn line(&mut self, max: usize, what: &str) -> Res<Vec<u8>> {
        let mut out = Vec::new();
        self.line_into(&mut out, max, what)?;
        Ok(out)
    }

    /// Reads a `\n`-terminated line (without the newline) into `out`, which is cleared first.
    fn line_into(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Res<()> {
        out.clear();
        loop {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!("pickle data was truncated (in {what})"));
            }
            if let Some(i) = memchr(buf) {
                if out.len().saturating_add(i) > max {
                    return Err(Break::Limit(format!("{what} line longer than {max} bytes")));
                }
                out.extend_from_slice(buf.get(..i).unwrap_or(&[]));
                self.consume(i.saturating_add(1)); // with the newline at `i`
                return Ok(());
            }
            let n = buf.len();
            if out.len().saturating_add(n) > max {
                return Err(Break::Limit(format!("{what} line longer than {max} bytes")));
            }
            out.extend_from_slice(buf);
            self.consume(n);
        }
    }

    /// Reads `n` bytes, keeping at most `keep` of them.
    fn take(&mut self, n: u64, keep: usize, what: &str) -> Res<Blob> {
        let mut data = Vec::with_capacity((n.min(keep as u64) as usize).min(1 << 16));
        let mut left = n;
        while left > 0 {
            let buf = self.avail()?;
            if buf.is_empty() {
                return invalid(format!(
                    "pickle data was truncated ({what} declares {n} bytes, {left} missing)"
                ));
            }
            let m = usize::try_from((buf.len() as u64).min(left)).unwrap_or(0);
            let room = keep.saturating_sub(data.len()).min(m);
            data.extend_from_slice(buf.get(..room).unwrap_or(&[]));
            self.consume(m);
            left = left.saturating_sub(m as u64); // m <= left
        }
        Ok(Blob::new(data, n))
    }
}

// ---------------------------------------------------------------------------------------------
// Memo

/// The memo: which indices are set (all of them), and the values worth keeping.
///
/// Indices are a bitset (dense below [`DENSE_MAX`], a map above); values are kept only when
/// they can name, carry or build something a loader resolves ([`Value::interesting`]).
/// References to globals and call results are always kept (up to the hard cap, which stops
/// the analysis); strings, bytes, tuples and dicts only while the soft budget lasts, after
/// which their slots are marked lost and read back as [`Value::Lost`].
#[derive(Default)]
struct Memo {
    dense: Vec<u64>,
    lost: Vec<u64>,
    /// Indices at or above `DENSE_MAX`, with their lost mark.
    sparse: foldhash::HashMap<u64, bool>,
    values: foldhash::HashMap<u64, (Value, usize)>,
    len: u64,
    /// Heap bytes of kept values and sparse entries.
    cost: usize,
    /// Some slot was marked lost.
    lost_any: bool,
}

const DENSE_MAX: u64 = 1 << 25;
const SPARSE_ENTRY_COST: usize = 48;

enum Put {
    Done,
    /// The hard cap was reached: the analysis must stop.
    Full,
}

fn bit_get(bits: &[u64], i: u64) -> bool {
    usize::try_from(i / 64)
        .ok()
        .and_then(|w| bits.get(w))
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn bit_set(bits: &mut Vec<u64>, i: u64, on: bool) {
    let Ok(w) = usize::try_from(i / 64) else {
        return;
    };
    if bits.len() <= w {
        if !on {
            return;
        }
        bits.resize(w.saturating_add(1), 0);
    }
    if let Some(word) = bits.get_mut(w) {
        if on {
            *word |= 1 << (i % 64);
        } else {
            *word &= !(1 << (i % 64));
        }
    }
}

impl Memo {
    fn contains(&self, i: u64) -> bool {
        if i < DENSE_MAX {
            bit_get(&self.dense, i)
        } else {
            self.sparse.contains_key(&i)
        }
    }

    fn is_lost(&self, i: u64) -> bool {
        if i < DENSE_MAX {
            bit_get(&self.lost, i)
        } else {
            self.sparse.get(&i).copied().unwrap_or(false)
        }
    }

    fn set_lost(&mut self, i: u64, lost: bool) {
        self.lost_any |= lost;
        if i < DENSE_MAX {
            bit_set(&mut self.lost, i, lost);
        } else if let Some(l) = self.sparse.get_mut(&i) {
            *l = lost;
        }
    }

    fn put(&mut self, i: u64, v: Value, soft: usize, hard: usize) -> Put {
        let existed = self.contains(i);
        if !existed {
            self.len = self.len.saturating_add(1);
            if i < DENSE_MAX {
                bit_set(&mut self.dense, i, true);
            } else {
                self.sparse.insert(i, false);
                self.cost = self.cost.saturating_add(SPARSE_ENTRY_COST);
            }
        }
        if existed {
            if let Some((_, c)) = self.values.remove(&i) {
                self.cost = self.cost.saturating_sub(c);
            }
            self.set_lost(i, false);
        }
        if !v.interesting() {
            return if self.cost > hard {
                Put::Full
            } else {
                Put::Done
            };
        }
        let c = v.cost();
        let total = self.cost.saturating_add(c);
        if v.holds_ref() {
            if total > hard {
                return Put::Full;
            }
        } else if total > soft {
            self.set_lost(i, true);
            return Put::Done;
        }
        self.cost = total;
        self.values.insert(i, (v, c));
        Put::Done
    }

    fn get(&self, i: u64) -> Option<Value> {
        if !self.contains(i) {
            return None;
        }
        if self.is_lost(i) {
            return Some(Value::Lost);
        }
        Some(
            self.values
                .get(&i)
                .map(|(v, _)| v.clone())
                .unwrap_or(Value::Opaque),
        )
    }

    /// No value worth tracking is kept (only inert ones).
    fn inert(&self) -> bool {
        self.values.is_empty() && !self.lost_any
    }
}

// ---------------------------------------------------------------------------------------------
// The machine

enum End {
    /// STOP reached.
    Stop,
    /// A side reading reached a position an earlier reading passed in the same inert state:
    /// what follows was already analysed.
    Merged,
    /// The stream broke; what ran before the break is reported.
    Broken,
    /// A limit was hit; the rest was not analysed.
    Limited,
}

struct Machine<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Memo,
    frame_end: Option<u64>,
    frame_overrun_reported: bool,
    /// (module, name) pairs and (callee, opcode) pairs already reported in this stream.
    seen_globals: foldhash::HashMap<Box<str>, usize>,
    /// Reused for [`Machine::import`]'s lookup key and the two lines of `GLOBAL`/`INST`.
    key_buf: String,
    line_bufs: [Vec<u8>; 2],
    seen_calls: HashMap<(String, &'static str), usize>,
    /// Imports and calls this stream found (to tell a broken payload from trailing junk).
    activity: u64,
    /// Frames an opcode ran past: (frame end, end of the opcode's argument).
    overruns: Vec<(u64, u64)>,
    /// Attributes set on globals by BUILD (`numpy.prod.a = "os"`): a later import of that
    /// dotted name yields the value set, as it would at load time.
    attrs: HashMap<String, Value>,
    /// Values on the stack that are [`Value::interesting`].
    hot: usize,
    /// For side readings: positions passed in an inert state by earlier readings.
    visited: Option<Rc<RefCell<Visited>>>,
    /// Offset of this reading's start in the source (for `visited`).
    base: u64,
    exhaustion_reported: bool,
    /// A higher-order helper ([`Helper`]) was imported or reached in this stream: its uses
    /// are judged ([`Machine::loose`] has nothing to look for until then).
    helpers: bool,
    /// (helper, what it was given) pairs already reported in this stream.
    judged: foldhash::HashSet<Box<str>>,
}

/// Positions (as opcode starts) that side readings have passed with nothing interesting on
/// the stack, in the memo or in attributes. From such a position, any later reading in the
/// same inert state runs the same opcodes with the same effect on what aibom tracks, so it
/// stops there: every position is tried as a start, and the total work stays linear.
struct Visited {
    start: u64,
    bits: Vec<u64>,
}

impl Visited {
    fn new(start: u64, len: u64) -> Self {
        let words = usize::try_from(len.div_ceil(64)).unwrap_or(0);
        Visited {
            start,
            bits: vec![0; words],
        }
    }

    /// Marks `pos`; returns true when it was already marked (positions outside the window
    /// are never marked).
    fn mark(&mut self, pos: u64) -> bool {
        let Some(i) = pos.checked_sub(self.start) else {
            return false;
        };
        let Some(word) = usize::try_from(i / 64)
            .ok()
            .and_then(|w| self.bits.get_mut(w))
        else {
            return false;
        };
        let bit = 1u64 << (i % 64);
        let was = *word & bit != 0;
        *word |= bit;
        was
    }

    fn is_marked(&self, pos: u64) -> bool {
        pos.checked_sub(self.start)
            .is_some_and(|i| bit_get(&self.bits, i))
    }
}

impl<'c, 'a> Machine<'c, 'a> {
    fn new(ctx: &'c mut Ctx<'a>) -> Self {
        Machine {
            ctx,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            frame_end: None,
            frame_overrun_reported: false,
            seen_globals: foldhash::HashMap::default(),
            key_buf: String::new(),
            line_bufs: [Vec::new(), Vec::new()],
            seen_calls: HashMap::new(),
            activity: 0,
            overruns: Vec::new(),
            attrs: HashMap::new(),
            hot: 0,
            visited: None,
            base: 0,
            exhaustion_reported: false,
            helpers: false,
            judged: foldhash::HashSet::default(),
        }
    }

    fn cool(&mut self, removed: &[Value]) {
        let n = removed.iter().filter(|v| v.interesting()).count();
        self.hot = self.hot.saturating_sub(n);
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, v: Value) -> Res<()> {
        if self.stack.len() >= self.ctx.limits.max_pickle_stack {
            return Err(Break::Limit(format!(
                "stack deeper than {} objects",
                self.ctx.limits.max_pickle_stack
            )));
        }
        if v.interesting() {
            self.hot = self.hot.saturating_add(1);
        }
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self) -> Res<Value> {
        if self.stack.len() <= self.fence() {
            return invalid("unpickling stack underflow");
        }
        let v = self.stack.pop().unwrap_or(Value::Opaque);
        if v.interesting() {
            self.hot = self.hot.saturating_sub(1);
        }
        Ok(v)
    }

    fn top(&self) -> Res<&Value> {
        if self.stack.len() <= self.fence() {
            return invalid("unpickling stack underflow");
        }
        self.stack
            .last()
            .map_or_else(|| invalid("unpickling stack underflow"), Ok)
    }

    fn pop_mark(&mut self) -> Res<Vec<Value>> {
        let Some(k) = self.marks.pop() else {
            return invalid("could not find MARK");
        };
        let items = self.stack.split_off(k.min(self.stack.len()));
        self.cool(&items);
        Ok(items)
    }

    /// How many of `n` bytes to keep: all of them while the live kept bytes of this thread
    /// (this file) stay within `max_pickle_kept_bytes` and one value within
    /// `max_kept_value`; else a prefix, or nothing (a value not kept whole is never used
    /// as a name: it fails closed).
    fn keep(&mut self, n: u64) -> usize {
        let room = self
            .ctx
            .limits
            .max_pickle_kept_bytes
            .saturating_sub(live_blob_bytes());
        let cap = u64::try_from(self.ctx.limits.max_kept_value.min(room)).unwrap_or(u64::MAX);
        usize::try_from(n.min(cap)).unwrap_or(0)
    }

    // --- imports and calls -------------------------------------------------------------------

    /// A loader's `find_class(module, name)`: classify and record.
    fn import(&mut self, module: &str, name: &str, opcode: &'static str, at: u64) -> Value {
        self.activity = self.activity.saturating_add(1);
        // The key (module, NUL, name) is unambiguous for names that can be imported at all; a
        // module or name holding NUL is never remembered, so it is reported every time.
        let mut key = std::mem::take(&mut self.key_buf);
        key.clear();
        let rememberable = !module.as_bytes().contains(&0) && !name.as_bytes().contains(&0);
        key.push_str(module);
        key.push('\0');
        key.push_str(name);
        let seen = if rememberable {
            self.seen_globals.get(key.as_str()).copied()
        } else {
            None
        };
        if let Some(i) = seen {
            if let Some(g) = self.ctx.facts.globals.get_mut(i) {
                g.count = g.count.saturating_add(1);
            }
        } else {
            // A repeat was judged the first time; only a new import is classified.
            let class = self.ctx.policy.classify(module, name);
            let idx = self.ctx.facts.globals.len();
            // Past the facts cap, imports are no longer remembered (memory stays bounded);
            // a repeat is then reported again, and the finding caps count it.
            if idx < MAX_GLOBAL_FACTS {
                let member = self.ctx.member();
                self.ctx.facts.globals.push(GlobalUse {
                    module: module.to_owned(),
                    name: name.to_owned(),
                    class: class.label(),
                    member,
                    offset: at,
                    opcode,
                    count: 1,
                });
                if rememberable {
                    self.seen_globals.insert(key.as_str().into(), idx);
                }
            }
            self.report_class(&class, module, name, opcode, at, None);
        }
        self.key_buf = key;
        let r = Ref::new(module, name);
        if !self.attrs.is_empty()
            && let Some(v) = self.attrs.get(r.path())
        {
            return v.clone();
        }
        Value::Ref(Rc::new(r))
    }

    fn report_class(
        &mut self,
        class: &Class,
        module: &str,
        name: &str,
        opcode: &'static str,
        at: u64,
        via: Option<&str>,
    ) {
        if matches!(class, Class::Allowed)
            || (matches!(class, Class::Unknown)
                && self.ctx.count_if_capped(
                    Code::PickleUnknownGlobal,
                    self.ctx.policy.unknown_severity(),
                ))
        {
            return;
        }
        let path = if name.is_empty() {
            module.to_owned()
        } else {
            format!("{module}.{name}")
        };
        if matches!(class, Class::HigherOrder { .. }) && Helper::of(&path).is_some() {
            // Importing it runs nothing: each use is judged (`higher_order`, `loose`).
            self.helpers = true;
            return;
        }
        let how = via.map(|v| format!(" through {v}")).unwrap_or_default();
        let mut ev = Evidence::global(module, name, opcode);
        match class {
            Class::Allowed => {}
            // A helper this analysis cannot judge is denied.
            Class::Denied { rule, reason } | Class::HigherOrder { rule, reason } => {
                ev.rule = Some(format!("denylist: {rule}"));
                self.ctx.report_with(
                    Code::PickleDangerousGlobal,
                    Severity::Critical,
                    Some(at),
                    format!("imports {path}{how}: {reason}"),
                    ev,
                );
            }
            Class::Dunder { attr } => {
                ev.rule = Some(format!("dunder attribute {attr}"));
                self.ctx.report_with(
                    Code::PickleDunderAccess,
                    Severity::Critical,
                    Some(at),
                    format!(
                        "reaches {path}{how}: the attribute {attr} exposes interpreter internals"
                    ),
                    ev,
                );
            }
            Class::Unknown => {
                let sev = self.ctx.policy.unknown_severity();
                ev.rule = Some("not on the allowlist".into());
                let dotted = if name.contains('.') {
                    " (attribute traversal)"
                } else {
                    ""
                };
                self.ctx.report_with(
                    Code::PickleUnknownGlobal,
                    sev,
                    Some(at),
                    format!("imports {path}{how}{dotted}, which is not on the allowlist of known-safe globals"),
                    ev,
                );
            }
        }
    }

    /// A call made while loading: `callee(*args)`.
    fn call(&mut self, callee: Value, args: Value, opcode: &'static str, at: u64) -> Res<Value> {
        self.activity = self.activity.saturating_add(1);
        let r = match &callee {
            Value::Ref(r) => Some(r.clone()),
            // Calling a partial object calls what it wraps.
            Value::Bound { target, .. } => Some(target.clone()),
            Value::Call(_) => None,
            // Calling a string or a number fails in the loader; nothing runs.
            _ => return Ok(Value::Opaque),
        };
        let callee_name = r.as_ref().map_or("<dynamic>", |r| r.path());
        if self.record_call(callee_name, opcode, at)
            && let Some(r) = &r
            && let Class::Denied { rule, reason } = self.ctx.policy.classify(r.module(), r.name())
        {
            let mut ev = Evidence::global(r.module(), r.name(), opcode);
            ev.rule = Some(format!("denylist: {rule}"));
            self.ctx.report_with(
                Code::PickleDangerousCall,
                Severity::Critical,
                Some(at),
                format!("calls {callee_name} while loading ({opcode}): {reason}"),
                ev,
            );
        }
        let Some(r) = r else {
            return Ok(Value::Call(None));
        };
        if self.helpers
            && let Some(h) = Helper::of(r.path())
            && let Class::HigherOrder { .. } = self.ctx.policy.classify(r.module(), r.name())
        {
            return self.higher_order(h, &r, &args, opcode, at);
        }
        self.evaluate(&r, &args, opcode, at)
    }

    /// A call of a higher-order helper, judged by what it is given (see [`Helper`]).
    fn higher_order(
        &mut self,
        h: Helper,
        r: &Rc<Ref>,
        args: &Value,
        opcode: &'static str,
        at: u64,
    ) -> Res<Value> {
        let items = args_of(args);
        match h {
            Helper::Getattr => {
                if let (Some(Value::Ref(_)), Some(_)) =
                    (items.first(), items.get(1).and_then(Value::text))
                {
                    return self.evaluate(r, args, opcode, at);
                }
                let what = match (items.first(), items.get(1)) {
                    (Some(Value::Ref(_)), Some(name)) => {
                        format!("an attribute name that is {}", self.describe(name))
                    }
                    (Some(obj), _) => format!("an object that is {}", self.describe(obj)),
                    (None, _) => "arguments that were not kept".to_owned(),
                };
                self.unresolved(r, &what, opcode, at);
            }
            Helper::CallNow => {
                if let Some(f @ (Value::Ref(_) | Value::Bound { .. })) = items.first() {
                    let rest = tuple(items.get(1..).unwrap_or(&[]).to_vec());
                    return self.call(f.clone(), rest, opcode, at);
                }
                self.wrapped(r, items.first(), None, false, opcode, at)?;
            }
            Helper::Calls { none_ok } => {
                self.wrapped(r, items.first(), None, none_ok, opcode, at)?;
            }
            Helper::Partial => {
                if let Some(target) =
                    self.wrapped(r, items.first(), items.get(1), false, opcode, at)?
                {
                    return Ok(Value::Bound {
                        helper: r.clone(),
                        target,
                    });
                }
            }
        }
        Ok(Value::Call(Some(r.clone())))
    }

    /// Judges the callable `fun` handed to `helper` as if the helper called it (with `data`
    /// as its first argument, when known). Returns it when it could be resolved.
    fn wrapped(
        &mut self,
        helper: &Rc<Ref>,
        fun: Option<&Value>,
        data: Option<&Value>,
        none_ok: bool,
        opcode: &'static str,
        at: u64,
    ) -> Res<Option<Rc<Ref>>> {
        let t = match fun {
            Some(Value::Ref(t)) => t.clone(),
            // A partial object: what it calls was judged when it was made.
            Some(Value::Bound { target, .. }) => return Ok(Some(target.clone())),
            Some(Value::None) if none_ok => return Ok(None),
            other => {
                let what = match other {
                    Some(v) => format!("a callable that is {}", self.describe(v)),
                    None => "a callable that was not kept".to_owned(),
                };
                self.unresolved(helper, &what, opcode, at);
                return Ok(None);
            }
        };
        match self.ctx.policy.classify(t.module(), t.name()) {
            // An unknown callable was reported when it was imported or reached.
            Class::Allowed | Class::Unknown => {}
            Class::HigherOrder { .. } => {
                let what = format!("another higher-order helper, {}", t.path());
                self.unresolved(helper, &what, opcode, at);
                return Ok(None);
            }
            Class::Denied { rule, reason } => {
                self.handed(helper, &t, format!("denylist: {rule}"), &reason, opcode, at);
            }
            Class::Dunder { attr } => {
                let why = format!("the attribute {attr} exposes interpreter internals");
                self.handed(
                    helper,
                    &t,
                    format!("dunder attribute {attr}"),
                    &why,
                    opcode,
                    at,
                );
            }
        }
        if is_loader(t.path()) {
            self.nested(t.path(), data, opcode, at)?;
        }
        Ok(Some(t))
    }

    /// True the first time `helper` given `what` is reported in this stream.
    fn first_judgement(&mut self, helper: &str, what: &str) -> bool {
        let key = format!("{helper}\0{what}");
        if self.judged.contains(key.as_str()) {
            return false;
        }
        if self.judged.len() < MAX_GLOBAL_FACTS {
            self.judged.insert(key.into_boxed_str());
        }
        true
    }

    /// A denied callable handed to a helper that calls it.
    fn handed(
        &mut self,
        helper: &Ref,
        t: &Ref,
        rule: String,
        why: &str,
        opcode: &'static str,
        at: u64,
    ) {
        if !self.first_judgement(helper.path(), t.path()) {
            return;
        }
        let mut ev = Evidence::global(t.module(), t.name(), opcode);
        ev.rule = Some(rule);
        self.ctx.report_with(
            Code::PickleDangerousCall,
            Severity::Critical,
            Some(at),
            format!(
                "hands {} to {} ({opcode}), which calls it: {why}",
                t.path(),
                helper.path()
            ),
            ev,
        );
    }

    /// A helper whose callable or attribute is not resolved fails closed: it counts as the
    /// denylist entry it is.
    fn unresolved(&mut self, helper: &Ref, what: &str, opcode: &'static str, at: u64) {
        if !self.first_judgement(helper.path(), "") {
            return;
        }
        let (rule, reason) = match self.ctx.policy.classify(helper.module(), helper.name()) {
            Class::HigherOrder { rule, reason } | Class::Denied { rule, reason } => (rule, reason),
            _ => (helper.path().to_owned(), "a higher-order helper".to_owned()),
        };
        let mut ev = Evidence::global(helper.module(), helper.name(), opcode);
        ev.rule = Some(format!("denylist: {rule}"));
        self.ctx.report_with(
            Code::PickleDangerousCall,
            Severity::Critical,
            Some(at),
            format!(
                "calls {} ({opcode}) with {what}: what it calls or reaches is not resolved, so it counts as denied: {reason}",
                helper.path()
            ),
            ev,
        );
    }

    /// Higher-order helpers among values packed into a container or handed over as an
    /// argument or state rather than called by the pickle: something else may call them
    /// (`copyreg.__newobj__`, `copyreg._reconstructor`, a `__setstate__`) with arguments this
    /// analysis does not see, so each fails closed as the denylisted import it is.
    fn loose(&mut self, items: &[Value], opcode: &'static str, at: u64) {
        if !self.helpers {
            return;
        }
        for v in items {
            let Value::Ref(r) = v else { continue };
            if Helper::of(r.path()).is_none() || !self.first_judgement(r.path(), "\0") {
                continue;
            }
            let (rule, reason) = match self.ctx.policy.classify(r.module(), r.name()) {
                Class::HigherOrder { rule, reason } | Class::Denied { rule, reason } => {
                    (rule, reason)
                }
                _ => continue,
            };
            let mut ev = Evidence::global(r.module(), r.name(), opcode);
            ev.rule = Some(format!("denylist: {rule}"));
            self.ctx.report_with(
                Code::PickleDangerousGlobal,
                Severity::Critical,
                Some(at),
                format!(
                    "imports {} and hands it on as a value ({opcode}) instead of calling it: what calls it, with what, is not resolved: {reason}",
                    r.path()
                ),
                ev,
            );
        }
    }

    /// BUILD on a partial object: `partial.__setstate__((func, args, kwargs, dict))` replaces
    /// what it calls, so that is judged too.
    fn rebind(&mut self, state: &Value, at: u64) -> Res<()> {
        let (p, bound) = match self.top()? {
            Value::Bound { helper, .. } => (helper.clone(), true),
            Value::Call(Some(r)) if Helper::of(r.path()) == Some(Helper::Partial) => {
                (r.clone(), false)
            }
            _ => return Ok(()),
        };
        if bound {
            // A plain call result's __setstate__ is recorded by BUILD itself.
            self.record_call(&format!("{}.__setstate__", p.path()), "BUILD", at);
        }
        let items = args_of(state);
        let data = items.get(1).map(args_of).and_then(<[Value]>::first);
        let v = match self.wrapped(&p, items.first(), data, false, "BUILD", at)? {
            Some(target) => Value::Bound { helper: p, target },
            None => Value::Call(Some(p)),
        };
        if let Some(top) = self.stack.last_mut() {
            *top = v;
        }
        Ok(())
    }

    /// What a few well-known callables return, so that what they reach is classified too.
    fn evaluate(&mut self, r: &Rc<Ref>, args: &Value, opcode: &'static str, at: u64) -> Res<Value> {
        let path = r.path().to_owned();
        let args = args_of(args);
        let text = |i: usize| args.get(i).and_then(Value::text).map(str::to_owned);
        match path.as_str() {
            "builtins.getattr" | "__builtin__.getattr" | "inspect.getattr_static" => {
                if let (Some(Value::Ref(base)), Some(attr)) = (args.first(), text(1)) {
                    let derived = Rc::new(base.attr(&attr));
                    self.reached(&derived, opcode, at, &path);
                    return Ok(Value::Ref(derived));
                }
            }
            "importlib.import_module"
            | "builtins.__import__"
            | "__builtin__.__import__"
            | "importlib.__import__" => {
                if let Some(m) = text(0) {
                    let derived = Rc::new(Ref::new(&m, ""));
                    self.reached(&derived, opcode, at, &path);
                    return Ok(Value::Ref(derived));
                }
            }
            "pkgutil.resolve_name" => {
                if let Some(spec) = text(0) {
                    let (module, name) = match spec.split_once(':') {
                        Some((m, n)) => (m.to_owned(), n.to_owned()),
                        None => match spec.rsplit_once('.') {
                            Some((m, n)) => (m.to_owned(), n.to_owned()),
                            None => (spec.clone(), String::new()),
                        },
                    };
                    let derived = Rc::new(Ref::new(&module, &name));
                    self.reached(&derived, opcode, at, &path);
                    return Ok(Value::Ref(derived));
                }
            }
            // Protocol 2 pickles bytes as _codecs.encode(str, "latin1").
            "_codecs.encode" | "codecs.encode" => {
                if let (Some(s @ (Value::Str(_) | Value::Short(_))), enc) = (args.first(), text(1))
                {
                    let enc = enc.unwrap_or_else(|| "utf-8".into()).to_ascii_lowercase();
                    if let Some(t) = s.text() {
                        let data = if matches!(
                            enc.as_str(),
                            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1"
                        ) {
                            t.chars()
                                .map(|c| u8::try_from(c as u32).ok())
                                .collect::<Option<Vec<u8>>>()
                        } else {
                            Some(t.as_bytes().to_vec())
                        };
                        if let Some(data) = data {
                            let len = data.len() as u64;
                            return Ok(Value::Bytes(Rc::new(Blob::new(data, len))));
                        }
                    } else if let Value::Str(b) = s
                        && b.truncated()
                    {
                        // Too long to keep: the bytes are as long as the text.
                        return Ok(Value::Bytes(Rc::new(Blob::new(b.data.clone(), b.len))));
                    }
                }
            }
            "numpy.dtype" | "numpy.core.multiarray.dtype" | "numpy._core.multiarray.dtype" => {
                if let Some(d) = text(0) {
                    return Ok(Value::Dtype(d.into()));
                }
            }
            "io.BytesIO" | "_io.BytesIO" | "builtins.bytes" | "builtins.bytearray" => {
                if let Some(v @ Value::Bytes(_)) = args.first() {
                    return Ok(v.clone());
                }
            }
            p if is_loader(p) => {
                self.nested(&path, args.first(), opcode, at)?;
            }
            _ => {}
        }
        Ok(Value::Call(Some(r.clone())))
    }

    /// Something reached at load time through an import helper: classify it like an import.
    fn reached(&mut self, r: &Ref, opcode: &'static str, at: u64, via: &str) {
        let class = self.ctx.policy.classify(r.module(), r.name());
        self.report_class(&class, r.module(), r.name(), opcode, at, Some(via));
    }

    /// Bytes handed to a loader: scan them as a file of their own.
    fn nested(
        &mut self,
        loader: &str,
        arg: Option<&Value>,
        opcode: &'static str,
        at: u64,
    ) -> Res<()> {
        match arg {
            Some(Value::Bytes(b)) if !b.truncated() => {
                let name = format!("<bytes passed to {loader} at {at}>");
                let data = b.data.clone();
                self.ctx
                    .enter(&name, |ctx| super::inspect_source(&data, ctx, ""))
                    .map_err(Break::Io)?;
            }
            other => {
                let why = match other {
                    Some(Value::Bytes(b)) => format!(
                        "its {} bytes exceed the kept-value limit ({} bytes)",
                        b.len, self.ctx.limits.max_kept_value
                    ),
                    _ => "its argument is computed at load time".to_owned(),
                };
                let ev = Evidence {
                    opcode: Some(opcode.to_owned()),
                    name: Some(loader.to_owned()),
                    ..Evidence::default()
                };
                self.ctx.report_with(
                    Code::PickleNestedUnscannable,
                    Code::PickleNestedUnscannable.default_severity(),
                    Some(at),
                    format!("{loader} loads data that could not be scanned: {why}"),
                    ev,
                );
            }
        }
        Ok(())
    }

    /// Records mutation of a global object (BUILD, SETITEM(S), APPEND(S), ADDITEMS).
    fn mutate(&mut self, opcode: &'static str, at: u64) -> Res<()> {
        if let Value::Ref(r) = self.top()? {
            let r = r.clone();
            self.activity = self.activity.saturating_add(1);
            let ev = Evidence::global(r.module(), r.name(), opcode);
            self.ctx.report_with(
                Code::PickleBuildOnGlobal,
                Severity::Critical,
                Some(at),
                format!(
                    "{opcode} sets state on the global object {} itself (rewires a class or function at load time)",
                    r.path()
                ),
                ev,
            );
        }
        Ok(())
    }

    // --- the interpreter ---------------------------------------------------------------------

    /// Runs one stream until STOP, a break or a limit.
    fn run(&mut self, inp: &mut Input) -> Res<End> {
        let limits = self.ctx.limits;
        loop {
            if self.ctx.facts.pickle_opcodes >= limits.max_pickle_opcodes
                || !self.ctx.budget().spend_opcode()
            {
                return Err(Break::Limit(format!(
                    "more than {} opcodes in this file",
                    limits
                        .max_pickle_opcodes
                        .min(self.ctx.budget().max_pickle_opcodes())
                )));
            }
            let opcodes = &mut self.ctx.facts.pickle_opcodes;
            *opcodes = opcodes.saturating_add(1);
            let at = inp.pos;
            if let Some(v) = &self.visited
                && self.hot == 0
                && self.attrs.is_empty()
                && self.memo.inert()
                && v.borrow_mut().mark(self.base.saturating_add(at))
            {
                return Ok(End::Merged);
            }
            if let Some(fe) = self.frame_end
                && at >= fe
            {
                self.frame_end = None;
            }
            let op = inp.byte("opcode")?;
            let stop = self.step(op, at, inp)?;
            if let Some(fe) = self.frame_end
                && at < fe
                && inp.pos > fe
                && !self.frame_overrun_reported
                && op != 0x95
            {
                self.frame_overrun_reported = true;
                self.overruns.push((fe, inp.pos));
                self.ctx.report_with(
                        Code::PickleFrameOverrun,
                        Code::PickleFrameOverrun.default_severity(),
                        Some(at),
                        format!(
                            "opcode {} at {at} runs to {} past the frame ending at {fe}; CPython reads on, frame-honouring scanners stop",
                            op_name(op),
                            inp.pos
                        ),
                        Evidence::mismatch(format!("end <= {fe}"), inp.pos.to_string()),
                    );
            }
            if stop {
                return Ok(End::Stop);
            }
        }
    }

    /// Executes one opcode; returns true on STOP.
    fn step(&mut self, op: u8, at: u64, inp: &mut Input) -> Res<bool> {
        let limits = self.ctx.limits;
        match op {
            b'(' => {
                if self.marks.len() >= limits.max_pickle_stack {
                    return Err(Break::Limit(format!(
                        "more than {} open MARKs",
                        limits.max_pickle_stack
                    )));
                }
                self.marks.push(self.stack.len());
            }
            b'.' => {
                self.pop()?;
                return Ok(true);
            }
            b'0' => {
                if self.marks.last() == Some(&self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                self.share_top()?;
                let v = self.top()?.clone();
                self.push(v)?;
            }
            // Numbers: arguments are framed, values do not matter.
            b'F' => {
                inp.line(limits.max_line, "FLOAT")?;
                self.push(Value::Opaque)?;
            }
            b'I' | b'L' => {
                let line = inp.line(limits.max_line, op_name(op))?;
                let text = String::from_utf8_lossy(&line);
                let v = match text.trim().trim_end_matches('L').parse::<i64>() {
                    Ok(n) if text.trim() != "00" && text.trim() != "01" => Value::Int(n),
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            b'J' => {
                let n = i32::from_le_bytes(inp.array::<4>("BININT")?);
                self.push(Value::Int(i64::from(n)))?;
            }
            b'K' => {
                let n = inp.byte("BININT1")?;
                self.push(Value::Int(i64::from(n)))?;
            }
            b'M' => {
                let n = u16::from_le_bytes(inp.array::<2>("BININT2")?);
                self.push(Value::Int(i64::from(n)))?;
            }
            b'G' => {
                inp.array::<8>("BINFLOAT")?;
                self.push(Value::Opaque)?;
            }
            0x8a => {
                let n = inp.byte("LONG1")?;
                let b = inp.take(u64::from(n), 8, "LONG1")?;
                let v = if n == 0 {
                    Value::Int(0)
                } else if n <= 8 {
                    // Two's complement, little-endian: sign-extend past the given bytes.
                    let negative = b.data.last().is_some_and(|x| x & 0x80 != 0);
                    let mut le = [if negative { 0xff } else { 0 }; 8];
                    for (to, from) in le.iter_mut().zip(&b.data) {
                        *to = *from;
                    }
                    Value::Int(i64::from_le_bytes(le))
                } else {
                    Value::Opaque
                };
                self.push(v)?;
            }
            0x8b => {
                let n = i32::from_le_bytes(inp.array::<4>("LONG4")?);
                if n < 0 {
                    return invalid("LONG pickle has negative byte count");
                }
                inp.take(n as u64, 0, "LONG4")?;
                self.push(Value::Opaque)?;
            }
            b'N' => {
                self.push(Value::None)?;
            }
            b'}' => {
                self.push(Value::EmptyDict)?;
            }
            0x88 | 0x89 | b']' | 0x8f => {
                self.push(Value::Opaque)?;
            }
            b')' => {
                self.push(Value::Opaque)?;
            }
            // Strings.
            b'S' => {
                let line = inp.line(limits.max_line, "STRING")?;
                let s = unquote_string(&line)?;
                let v = self.string_from(s);
                self.push(v)?;
            }
            b'V' => {
                let line = inp.line(limits.max_line, "UNICODE")?;
                let v = self.string_from(raw_unicode_escape(&line).into_bytes());
                self.push(v)?;
            }
            b'T' => {
                let n = i32::from_le_bytes(inp.array::<4>("BINSTRING")?);
                if n < 0 {
                    return invalid("BINSTRING pickle has negative byte count");
                }
                let v = self.read_blob(inp, n as u64, "BINSTRING", true)?;
                self.push(v)?;
            }
            b'U' => {
                let n = inp.byte("SHORT_BINSTRING")?;
                let v = self.read_blob(inp, u64::from(n), "SHORT_BINSTRING", true)?;
                self.push(v)?;
            }
            b'X' => {
                let n = u32::from_le_bytes(inp.array::<4>("BINUNICODE")?);
                let v = self.read_text(inp, u64::from(n), "BINUNICODE")?;
                self.push(v)?;
            }
            0x8c => {
                let n = inp.byte("SHORT_BINUNICODE")?;
                let v = self.read_text(inp, u64::from(n), "SHORT_BINUNICODE")?;
                self.push(v)?;
            }
            0x8d => {
                let n = u64::from_le_bytes(inp.array::<8>("BINUNICODE8")?);
                let v = self.read_text(inp, n, "BINUNICODE8")?;
                self.push(v)?;
            }
            // Bytes.
            b'B' => {
                let n = u32::from_le_bytes(inp.array::<4>("BINBYTES")?);
                let v = self.read_blob(inp, u64::from(n), "BINBYTES", false)?;
                self.push(v)?;
            }
            b'C' => {
                let n = inp.byte("SHORT_BINBYTES")?;
                let v = self.read_blob(inp, u64::from(n), "SHORT_BINBYTES", false)?;
                self.push(v)?;
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(inp.array::<8>(op_name(op))?);
                let v = self.read_blob(inp, n, op_name(op), false)?;
                self.push(v)?;
            }
            0x97 => {
                self.ctx.report(
                    Code::PickleOutOfBandBuffer,
                    Some(at),
                    "NEXT_BUFFER needs out-of-band buffers; a plain loader raises here",
                );
                self.push(Value::Opaque)?;
            }
            0x98 => {
                self.top()?;
            }
            // Containers.
            b'd' => {
                let items = self.pop_mark()?;
                self.loose(&items, "DICT", at);
                let mut pairs = Vec::new();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if pairs.len() < MAX_DICT_KEPT {
                        pairs.push((k, v));
                    }
                }
                self.push(Value::Dict(Rc::new(RefCell::new(pairs))))?;
            }
            b'l' | 0x91 => {
                let items = self.pop_mark()?;
                self.loose(&items, op_name(op), at);
                self.push(Value::Opaque)?;
            }
            b't' => {
                let items = self.pop_mark()?;
                self.loose(&items, "TUPLE", at);
                self.push(tuple(items))?;
            }
            0x85..=0x87 => {
                let n = usize::from(op.saturating_sub(0x84)); // 1 to 3
                if self.stack.len() < self.fence().saturating_add(n) {
                    return invalid("unpickling stack underflow");
                }
                let from = self.stack.len().saturating_sub(n);
                let items = self.stack.get(from..).unwrap_or(&[]);
                let hot = items.iter().filter(|v| v.interesting()).count();
                // As `tuple`: only a tuple of nothing at all is opaque (shapes are ints).
                let v = if items.iter().all(|v| matches!(v, Value::Opaque)) {
                    self.stack.truncate(from);
                    Value::Opaque
                } else {
                    self.hot = self.hot.saturating_sub(hot);
                    let t: Rc<[Value]> = self.stack.drain(from..).collect();
                    self.loose(&t, op_name(op), at);
                    Value::Tuple(t)
                };
                self.push(v)?;
            }
            b'a' => {
                let v = self.pop()?;
                self.loose(std::slice::from_ref(&v), "APPEND", at);
                self.mutate("APPEND", at)?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.loose(&items, "APPENDS", at);
                self.mutate("APPENDS", at)?;
            }
            b's' => {
                let v = self.pop()?;
                let k = self.pop()?;
                self.loose(std::slice::from_ref(&k), "SETITEM", at);
                self.loose(std::slice::from_ref(&v), "SETITEM", at);
                self.mutate("SETITEM", at)?;
                self.dict_insert(vec![k, v])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                if items.len() % 2 != 0 {
                    return invalid("odd number of items for SETITEMS");
                }
                self.loose(&items, "SETITEMS", at);
                self.mutate("SETITEMS", at)?;
                self.dict_insert(items)?;
            }
            0x90 => {
                let items = self.pop_mark()?;
                self.loose(&items, "ADDITEMS", at);
                self.mutate("ADDITEMS", at)?;
            }
            b'b' => {
                let state = self.pop()?;
                self.loose(std::slice::from_ref(&state), "BUILD", at);
                self.mutate("BUILD", at)?;
                if let Value::Ref(r) = self.top()? {
                    let base = r.path().to_owned();
                    self.record_attrs(&base, &state);
                }
                if let Value::Call(Some(r)) = self.top()? {
                    let r = r.clone();
                    // BUILD calls the object's __setstate__ (or sets its attributes).
                    self.record_call(&format!("{}.__setstate__", r.path()), "BUILD", at);
                    if is_joblib_array_wrapper(r.path()) {
                        // joblib ends the current frame before writing the array data.
                        if self.frame_end == Some(inp.pos) {
                            self.frame_end = None;
                        }
                        self.joblib_array(&state, inp)?;
                    }
                }
                self.rebind(&state, at)?;
            }
            // Memo.
            b'p' => {
                let line = inp.line(limits.max_line, "PUT")?;
                let i = parse_index(&line, "PUT")?;
                self.memo_put(i, at)?;
            }
            b'q' => {
                let i = inp.byte("BINPUT")?;
                self.memo_put(u64::from(i), at)?;
            }
            b'r' => {
                let i = u32::from_le_bytes(inp.array::<4>("LONG_BINPUT")?);
                self.memo_put(u64::from(i), at)?;
            }
            0x94 => {
                let i = self.memo.len;
                self.memo_put(i, at)?;
            }
            b'g' => {
                let line = inp.line(limits.max_line, "GET")?;
                let i = parse_index(&line, "GET")?;
                self.memo_get(i)?;
            }
            b'h' => {
                let i = inp.byte("BINGET")?;
                self.memo_get(u64::from(i))?;
            }
            b'j' => {
                let i = u32::from_le_bytes(inp.array::<4>("LONG_BINGET")?);
                self.memo_get(u64::from(i))?;
            }
            // Imports.
            b'c' => {
                let v = self.import_lines(inp, "GLOBAL", at)?;
                self.push(v)?;
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let v = self.stack_global(module, name, at)?;
                self.push(v)?;
            }
            0x82..=0x84 => {
                let code = match op {
                    0x82 => u32::from(inp.byte("EXT1")?),
                    0x83 => u32::from(u16::from_le_bytes(inp.array::<2>("EXT2")?)),
                    _ => i32::from_le_bytes(inp.array::<4>("EXT4")?) as u32,
                };
                self.activity = self.activity.saturating_add(1);
                if self.ctx.facts.globals.len() < MAX_GLOBAL_FACTS {
                    let member = self.ctx.member();
                    self.ctx.facts.globals.push(GlobalUse {
                        module: "<copyreg extension registry>".into(),
                        name: code.to_string(),
                        class: "unknown",
                        member,
                        offset: at,
                        opcode: op_name(op),
                        count: 1,
                    });
                }
                let ev = Evidence {
                    opcode: Some(op_name(op).to_owned()),
                    actual: Some(code.to_string()),
                    ..Evidence::default()
                };
                self.ctx.report_with(
                    Code::PickleExtensionCode,
                    Code::PickleExtensionCode.default_severity(),
                    Some(at),
                    format!(
                        "{} fetches extension code {code} from the copyreg registry: what it resolves to depends on the loading process",
                        op_name(op)
                    ),
                    ev,
                );
                self.push(Value::Call(None))?;
            }
            // Calls.
            b'R' => {
                let args = self.pop()?;
                let callee = self.pop()?;
                let v = self.call(callee, args, "REDUCE", at)?;
                self.push(v)?;
            }
            b'i' => {
                let callee = self.import_lines(inp, "INST", at)?;
                let args = self.pop_mark()?;
                self.loose(&args, "INST", at);
                let v = self.call(callee, tuple(args), "INST", at)?;
                self.push(v)?;
            }
            b'o' => {
                let mut items = self.pop_mark()?;
                if items.is_empty() {
                    return invalid("OBJ with no class");
                }
                let callee = items.remove(0);
                self.loose(&items, "OBJ", at);
                let v = self.call(callee, tuple(items), "OBJ", at)?;
                self.push(v)?;
            }
            0x81 => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.call(cls, args, "NEWOBJ", at)?;
                self.push(v)?;
            }
            0x92 => {
                let _kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.call(cls, args, "NEWOBJ_EX", at)?;
                self.push(v)?;
            }
            // Persistent ids: resolved by the loader's persistent_load (torch: storages).
            b'P' => {
                inp.line(limits.max_line, "PERSID")?;
                self.persistent("PERSID", at)?;
            }
            b'Q' => {
                self.pop()?;
                self.persistent("BINPERSID", at)?;
            }
            // Framing and protocol.
            0x80 => {
                let p = inp.byte("PROTO")?;
                if p > 5 {
                    return invalid(format!("unsupported pickle protocol: {p}"));
                }
            }
            0x95 => {
                let n = u64::from_le_bytes(inp.array::<8>("FRAME")?);
                self.check_declared(inp, n, at, "FRAME");
                let end = inp.pos.saturating_add(n);
                self.frame_end = Some(end);
            }
            other => {
                return invalid(format!("invalid load key {:#04x}", other));
            }
        }
        Ok(false)
    }

    /// BUILD state is a dict of attributes, or `(dict or None, slot dict)`.
    fn record_attrs(&mut self, base: &str, state: &Value) {
        let dicts: Vec<&Value> = match state {
            Value::Tuple(t) => t.iter().take(2).collect(),
            other => vec![other],
        };
        for d in dicts {
            if let Value::Dict(entries) = d {
                for (k, v) in entries.borrow().iter() {
                    if let Some(k) = k.text()
                        && self.attrs.len() < MAX_GLOBAL_FACTS
                    {
                        self.attrs.insert(format!("{base}.{k}"), v.clone());
                    }
                }
            }
        }
    }

    /// SETITEM(S) into a tracked dict. A key or value that holds a dict is kept as opaque: a
    /// dict inserted into itself (or into a dict it contains) would be a reference cycle, whose
    /// memory would never be freed; and nothing resolves through a dict inside a dict.
    /// Gives an [`Value::EmptyDict`] on top of the stack its allocation, before a second
    /// reference to it is made or something is inserted: every reference then sees the same
    /// entries.
    fn share_top(&mut self) -> Res<()> {
        self.top()?;
        if let Some(v @ Value::EmptyDict) = self.stack.last_mut() {
            *v = Value::Dict(Rc::new(RefCell::new(Vec::new())));
        }
        Ok(())
    }

    fn dict_insert(&mut self, items: Vec<Value>) -> Res<()> {
        self.share_top()?;
        if let Value::Dict(d) = self.top()? {
            let mut d = d.borrow_mut();
            let mut it = items.into_iter().map(Value::without_dicts);
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                if d.len() >= MAX_DICT_KEPT {
                    break;
                }
                d.push((k, v));
            }
        }
        Ok(())
    }

    /// joblib writes a NumPy array's bytes into the pickle stream right after the BUILD of
    /// its `NumpyArrayWrapper` (`joblib/numpy_pickle.py`, `write_array`/`read_array`): an
    /// optional alignment padding (one length byte, then that many bytes), then the raw data;
    /// or, for object arrays, a whole pickle of its own. Skip the raw data exactly as
    /// `NumpyUnpickler` does; analyse the embedded pickle.
    fn joblib_array(&mut self, state: &Value, inp: &mut Input) -> Res<()> {
        let dtype = match state.dict_get("dtype") {
            Some(Value::Dtype(d)) => d,
            _ => return invalid("joblib array wrapper without a readable dtype"),
        };
        if dtype
            .trim_start_matches(['<', '>', '|', '='])
            .starts_with('O')
        {
            let mut sub = Machine::new(&mut *self.ctx);
            return match sub.run(inp)? {
                End::Stop => Ok(()),
                _ => invalid("embedded object-array pickle did not end"),
            };
        }
        let Some(itemsize) = super::npy::itemsize(&dtype) else {
            return invalid(format!("joblib array of unsupported dtype {dtype:?}"));
        };
        let shape = match state.dict_get("shape") {
            Some(Value::Tuple(t)) => t
                .iter()
                .map(|d| match d {
                    Value::Int(n) => u64::try_from(*n).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<u64>>>(),
            Some(Value::Opaque) => Some(Vec::new()),
            _ => None,
        };
        let Some(shape) = shape else {
            return invalid("joblib array wrapper without a readable shape");
        };
        let Some(nbytes) = shape.iter().try_fold(itemsize, |a, &d| a.checked_mul(d)) else {
            return invalid("joblib array size overflows");
        };
        if let Some(Value::Int(_)) = state.dict_get("numpy_array_alignment_bytes") {
            let pad = inp.byte("joblib alignment padding")?;
            inp.take(u64::from(pad), 0, "joblib alignment padding")?;
        }
        inp.take(nbytes, 0, "joblib array data")?;
        Ok(())
    }

    fn persistent(&mut self, opcode: &'static str, at: u64) -> Res<()> {
        self.record_call("<persistent_load>", opcode, at);
        self.push(Value::Opaque)
    }

    /// Records a call site; returns true the first time this callee and opcode are seen in
    /// the stream.
    fn record_call(&mut self, callee: &str, opcode: &'static str, at: u64) -> bool {
        let key = (callee.to_owned(), opcode);
        if let Some(&i) = self.seen_calls.get(&key) {
            if let Some(c) = self.ctx.facts.calls.get_mut(i) {
                c.count = c.count.saturating_add(1);
            }
            return false;
        }
        let idx = self.ctx.facts.calls.len();
        if idx < MAX_GLOBAL_FACTS {
            let member = self.ctx.member();
            self.ctx.facts.calls.push(CallSite {
                callee: callee.to_owned(),
                opcode,
                member,
                offset: at,
                count: 1,
            });
        }
        if idx < MAX_GLOBAL_FACTS {
            self.seen_calls.insert(key, idx);
        }
        true
    }

    /// `GLOBAL`/`INST`: module and name on two lines, imported.
    fn import_lines(&mut self, inp: &mut Input, what: &'static str, at: u64) -> Res<Value> {
        let max = self
            .ctx
            .limits
            .max_line
            .min(self.ctx.limits.max_global_name);
        let [mut m, mut n] = std::mem::take(&mut self.line_bufs);
        let read = inp
            .line_into(&mut m, max, what)
            .and_then(|()| inp.line_into(&mut n, max, what));
        let v = read.and_then(
            |()| match (std::str::from_utf8(&m), std::str::from_utf8(&n)) {
                (Ok(module), Ok(name)) => {
                    self.check_global_name(module, name, what)?;
                    Ok(self.import(module, name, what, at))
                }
                _ => invalid(format!("{what} module or name is not UTF-8")),
            },
        );
        self.line_bufs = [m, n];
        v
    }

    /// An import the analysis can hold: a name of at most `max_global_name` bytes, and room
    /// for it among the kept bytes (imports left on the stack or in the memo are kept).
    fn check_global_name(&self, module: &str, name: &str, what: &str) -> Res<()> {
        let limits = &self.ctx.limits;
        let len = module.len().saturating_add(name.len());
        if len > limits.max_global_name {
            return Err(Break::Limit(format!(
                "{what} imports a name longer than {} bytes",
                limits.max_global_name
            )));
        }
        if live_blob_bytes().saturating_add(len) > limits.max_pickle_kept_bytes {
            return Err(Break::Limit(format!(
                "imports, strings and bytes held at once pass {}",
                human_bytes(limits.max_pickle_kept_bytes as u64)
            )));
        }
        Ok(())
    }

    fn stack_global(&mut self, module: Value, name: Value, at: u64) -> Res<Value> {
        match (&module, &name) {
            (m, n) if m.text().is_some() && n.text().is_some() => {
                let (m, n) = (
                    m.text().unwrap_or("").to_owned(),
                    n.text().unwrap_or("").to_owned(),
                );
                self.check_global_name(&m, &n, "STACK_GLOBAL")?;
                Ok(self.import(&m, &n, "STACK_GLOBAL", at))
            }
            // CPython: "STACK_GLOBAL requires str"; the load fails here.
            (Value::Bytes(_), _) | (_, Value::Bytes(_)) => invalid("STACK_GLOBAL requires str"),
            _ => {
                self.activity = self.activity.saturating_add(1);
                let (m, n) = (self.describe(&module), self.describe(&name));
                let ev = Evidence {
                    opcode: Some("STACK_GLOBAL".into()),
                    actual: Some(format!("module: {m}; name: {n}")),
                    ..Evidence::default()
                };
                self.ctx.report_with(
                    Code::PickleDynamicGlobal,
                    Severity::Critical,
                    Some(at),
                    format!(
                        "STACK_GLOBAL imports a name computed at load time (module: {m}, name: {n})"
                    ),
                    ev,
                );
                Ok(Value::Call(None))
            }
        }
    }

    /// What a value is, for messages.
    fn describe(&self, v: &Value) -> String {
        match v {
            Value::Str(b) => format!("a string of {} bytes", b.len),
            Value::Short(s) => format!("a string of {} bytes", s.len),
            Value::Call(Some(r)) => format!("the result of calling {}", r.path()),
            Value::Call(None) => "the result of a dynamic call".to_owned(),
            Value::Ref(r) => format!("the object {}", r.path()),
            Value::Bound { helper, target } => {
                format!("a {} of {}", helper.path(), target.path())
            }
            Value::Tuple(_) => "a tuple".to_owned(),
            Value::Bytes(_) => "bytes".to_owned(),
            Value::Opaque => "a value computed at load time".to_owned(),
            Value::None => "None".to_owned(),
            Value::Int(n) => format!("the integer {n}"),
            Value::Dict(_) | Value::EmptyDict => "a dict".to_owned(),
            Value::Dtype(_) => "a dtype".to_owned(),
            Value::Lost => format!(
                "a memoized value not kept (the memo budget of {} was spent)",
                human_bytes(self.ctx.limits.max_memo_kept_bytes as u64)
            ),
        }
    }

    fn memo_put(&mut self, i: u64, at: u64) -> Res<()> {
        self.share_top()?;
        let v = self.top()?.clone();
        if !self.memo.contains(i) && self.memo.len >= self.ctx.limits.max_memo_entries {
            return Err(Break::Limit(format!(
                "more than {} memo entries",
                self.ctx.limits.max_memo_entries
            )));
        }
        // CPython's C unpickler keeps the memo as an array and grows it to twice the index
        // (`_Unpickler_MemoPut`): 16 bytes per index. A pickler numbers its memo entries in
        // order, so an index far beyond what the bytes so far could have memoized only makes
        // the loader allocate.
        let alloc = i.saturating_mul(16);
        if alloc >= LOADER_ALLOC_FLAG && i > at.saturating_mul(2).saturating_add(1 << 20) {
            self.exhausts(
                at,
                format!(
                    "memo index {i} at offset {at} makes CPython's unpickler allocate about {} for its memo",
                    human_bytes(alloc)
                ),
                format!("an index near the {at} bytes read so far"),
                i.to_string(),
            );
        }
        let limits = self.ctx.limits;
        match self.memo.put(
            i,
            v,
            limits.max_memo_kept_bytes,
            limits.max_memo_kept_bytes.saturating_mul(2),
        ) {
            Put::Done => Ok(()),
            Put::Full => Err(Break::Limit(format!(
                "the memo holds more than {} of references to globals and call results",
                human_bytes(limits.max_memo_kept_bytes.saturating_mul(2) as u64)
            ))),
        }
    }

    /// A count or length that would make the loader allocate far past the file: the load
    /// fails with MemoryError (or exhausts the host) before anything after it runs.
    fn exhausts(&mut self, at: u64, message: String, expected: String, actual: String) {
        if self.exhaustion_reported {
            return;
        }
        self.exhaustion_reported = true;
        self.activity = self.activity.saturating_add(1);
        self.ctx.report_with(
            Code::PickleLoaderExhaustion,
            Code::PickleLoaderExhaustion.default_severity(),
            Some(at),
            message,
            Evidence::mismatch(expected, actual),
        );
    }

    /// Checks a declared length against what the data can hold.
    fn check_declared(&mut self, inp: &Input, n: u64, at: u64, what: &str) {
        if let Some(rem) = inp.remaining()
            && n >= LOADER_ALLOC_FLAG
            && n > rem.saturating_mul(2).saturating_add(64 << 20)
        {
            self.exhausts(
                at,
                format!(
                    "{what} at offset {at} declares {} but only {} follow: the loader allocates for the declared size first",
                    human_bytes(n),
                    human_bytes(rem)
                ),
                format!("at most {rem} bytes"),
                n.to_string(),
            );
        }
    }

    fn memo_get(&mut self, i: u64) -> Res<()> {
        match self.memo.get(i) {
            Some(v) => self.push(v),
            None => invalid(format!("memo value not found at index {i}")),
        }
    }

    fn string_from(&mut self, data: Vec<u8>) -> Value {
        let len = data.len() as u64;
        let keep = self.keep(len);
        let mut data = data;
        data.truncate(keep);
        Value::string(data, len)
    }

    fn read_blob(&mut self, inp: &mut Input, n: u64, what: &str, text: bool) -> Res<Value> {
        let at = inp.pos;
        self.check_declared(inp, n, at, what);
        let keep = self.keep(n);
        let blob = Rc::new(inp.take(n, keep, what)?);
        Ok(if text {
            // Python 2 str: decoded by the loader (ASCII/latin-1), usable as a name.
            let s: String = blob.data.iter().map(|&b| b as char).collect();
            let data = s.into_bytes();
            let len = if blob.truncated() {
                blob.len
            } else {
                data.len() as u64
            };
            Value::string(data, len)
        } else {
            Value::Bytes(blob)
        })
    }

    fn read_text(&mut self, inp: &mut Input, n: u64, what: &str) -> Res<Value> {
        let at = inp.pos;
        self.check_declared(inp, n, at, what);
        if n <= SHORT as u64 {
            let mut buf = [0u8; SHORT];
            let short = buf.get_mut(..n as usize).unwrap_or(&mut []);
            inp.fill(short, what)?;
            if let Ok(t) = std::str::from_utf8(short)
                && let Some(s) = Short::new(t)
            {
                return Ok(Value::Short(s));
            }
            let t = String::from_utf8_lossy(short).into_owned();
            let len = t.len() as u64;
            return Ok(Value::string(t.into_bytes(), len));
        }
        let keep = self.keep(n);
        let mut blob = inp.take(n, keep, what)?;
        if blob.truncated() {
            return Ok(Value::Str(Rc::new(blob)));
        }
        let data = match String::from_utf8(std::mem::take(&mut blob.data)) {
            Ok(s) => s.into_bytes(),
            // CPython decodes with surrogatepass; anything else fails to load.
            Err(e) => String::from_utf8_lossy(e.as_bytes())
                .into_owned()
                .into_bytes(),
        };
        let len = data.len() as u64;
        Ok(Value::Str(Rc::new(Blob::new(data, len))))
    }
}

/// An allocation the loader would make that is worth reporting when it also dwarfs the data.
const LOADER_ALLOC_FLAG: u64 = 1 << 30;

fn human_bytes(n: u64) -> String {
    match n {
        _ if n >= 1 << 40 => format!("{} TiB", n >> 40),
        _ if n >= 1 << 30 => format!("{} GiB", n >> 30),
        _ if n >= 1 << 20 => format!("{} MiB", n >> 20),
        _ if n >= 1 << 10 => format!("{} KiB", n >> 10),
        _ => format!("{n} bytes"),
    }
}

fn is_joblib_array_wrapper(path: &str) -> bool {
    matches!(
        path,
        "joblib.numpy_pickle.NumpyArrayWrapper"
            | "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"
    )
}

/// How a higher-order helper (a denylist entry marked `higher-order:`, see
/// [`Class::HigherOrder`]) is judged: by the callable or attribute it is given, as if that
/// were called. A helper the policy marks but this table does not know is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Helper {
    /// `functools.partial(func, *args, **kwargs)`: calling the result calls `func`; BUILD
    /// state `(func, args, kwargs, dict)` replaces it (`partial.__setstate__`).
    Partial,
    /// Calls its first argument, now or once iterated (`map`, `filter`, `functools.reduce`,
    /// `itertools.starmap`, ...); with `none_ok`, `None` there means no call at all
    /// (`filter(None, items)`). Every such helper takes the callable positionally only, so a
    /// NEWOBJ_EX keyword cannot hand it a second one.
    Calls { none_ok: bool },
    /// `operator.call(func, *args)`: the call `func(*args)`, made now.
    CallNow,
    /// `getattr(obj, name[, default])`: the attribute it reaches ([`Machine::evaluate`]).
    Getattr,
}

/// Every helper this analysis judges, under each name a loader resolves it by.
const HELPERS: &[(&str, Helper)] = &[
    ("functools.partial", Helper::Partial),
    ("builtins.map", Helper::Calls { none_ok: false }),
    ("__builtin__.map", Helper::Calls { none_ok: false }),
    ("itertools.imap", Helper::Calls { none_ok: false }),
    ("builtins.filter", Helper::Calls { none_ok: true }),
    ("__builtin__.filter", Helper::Calls { none_ok: true }),
    ("itertools.ifilter", Helper::Calls { none_ok: true }),
    ("itertools.filterfalse", Helper::Calls { none_ok: true }),
    ("functools.reduce", Helper::Calls { none_ok: false }),
    ("__builtin__.reduce", Helper::Calls { none_ok: false }),
    ("functools.cmp_to_key", Helper::Calls { none_ok: false }),
    ("itertools.starmap", Helper::Calls { none_ok: false }),
    ("itertools.dropwhile", Helper::Calls { none_ok: false }),
    ("itertools.takewhile", Helper::Calls { none_ok: false }),
    ("operator.call", Helper::CallNow),
    ("builtins.getattr", Helper::Getattr),
    ("__builtin__.getattr", Helper::Getattr),
];

impl Helper {
    fn of(path: &str) -> Option<Helper> {
        HELPERS.iter().find(|(p, _)| *p == path).map(|&(_, h)| h)
    }
}

fn is_loader(path: &str) -> bool {
    matches!(
        path,
        "pickle.loads"
            | "pickle.load"
            | "pickle._loads"
            | "pickle._load"
            | "_pickle.loads"
            | "_pickle.load"
            | "cPickle.loads"
            | "cPickle.load"
            | "dill.loads"
            | "dill.load"
            | "dill._dill.loads"
            | "cloudpickle.loads"
            | "joblib.load"
            | "numpy.loads"
            | "torch.load"
            | "torch.serialization.load"
            | "torch.storage._load_from_bytes"
            | "torch.serialization._load_from_bytes"
    )
}

fn parse_index(line: &[u8], what: &str) -> Res<u64> {
    let s = std::str::from_utf8(line).unwrap_or("").trim();
    match s.parse::<i64>() {
        Ok(i) if i >= 0 => Ok(i as u64),
        Ok(_) => invalid(format!("negative {what} argument")),
        Err(_) => invalid(format!("invalid {what} argument {s:?}")),
    }
}

/// Protocol 0 `STRING`: a quoted Python literal with backslash escapes.
fn unquote_string(line: &[u8]) -> Res<Vec<u8>> {
    let inner = match line {
        [q, inner @ .., q2] if line.len() >= 2 && q == q2 && (*q == b'\'' || *q == b'"') => inner,
        _ => return invalid("the STRING opcode argument must be quoted"),
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some((&c, tail)) = rest.split_first() {
        rest = tail;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some((&e, tail)) = rest.split_first() else {
            // A backslash that ends the string is kept.
            out.push(c);
            continue;
        };
        rest = tail;
        let octal = |d: &u8| char::from(*d).to_digit(8);
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'0'..=b'7' => {
                // Up to three octal digits: at most 0o777.
                let mut v = octal(&e).unwrap_or(0);
                for _ in 0..2 {
                    let Some((d, tail)) =
                        rest.split_first().and_then(|(d, t)| Some((octal(d)?, t)))
                    else {
                        break;
                    };
                    v = v.saturating_mul(8).saturating_add(d);
                    rest = tail;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = rest.get(..2).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        rest = rest.get(2..).unwrap_or_default();
                    }
                    None => return invalid("invalid \\x escape in STRING"),
                }
            }
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Protocol 0 `UNICODE`: raw-unicode-escape (`\uXXXX`, `\UXXXXXXXX`, other bytes latin-1).
fn raw_unicode_escape(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((&c, tail)) = rest.split_first() {
        if c == b'\\'
            && let Some((&u @ (b'u' | b'U'), after)) = tail.split_first()
        {
            let n = if u == b'u' { 4 } else { 8 };
            if let Some(ch) = after
                .get(..n)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
            {
                out.push(ch);
                rest = after.get(n..).unwrap_or_default();
                continue;
            }
        }
        out.push(c as char);
        rest = tail;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Entry points

/// What reading back-to-back streams found, besides findings.
struct Streams {
    format: Format,
    /// Frames that an opcode ran past: (frame end, end of the opcode), offsets in the reader.
    overruns: Vec<(u64, u64)>,
    /// Where a stream broke (offset in the reader).
    broken_at: Option<u64>,
}

/// Frame overruns whose tails are re-read.
const MAX_REINTERPRETATIONS: usize = 4;
/// How far past a frame end or a break to look for another reading.
const RESYNC_WINDOW: u64 = 1 << 20;

/// Inspects a source holding one or more pickle streams (a pickle file, a legacy torch
/// checkpoint, a zip member). Returns the refined format.
///
/// With random access, more readings are tried, so that a loader that reads the bytes
/// differently cannot see what the scan did not:
/// - after a FRAME overrun, every position from the frame's end on is a possible start (which
///   byte a buffered reader resumes at depends on its buffer sizes);
/// - after a break, a pickle that starts later (a PROTO opcode) is parsed too: attackers
///   append a working payload after a stream built to crash scanners.
///
/// Side readings share one [`Visited`] map and stop where an earlier reading passed in the
/// same inert state, so trying every position costs about one pass over the window; their
/// opcodes are charged to the file's budget (`max_reread_opcodes`), and a budget that runs out
/// is a `pickle-limit-exceeded` finding. A reading is reported only when it finds something
/// dangerous (under the member `<pickle at N, ...>`); the overrun and the break are findings in
/// any case.
pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Format> {
    let mut r = SourceReader::new(src, 0);
    let out = read_streams(&mut r, Some(src.len()), ctx)?;
    for &(fe, end) in out.overruns.iter().take(MAX_REINTERPRETATIONS) {
        let stop = end.min(fe.saturating_add(RESYNC_WINDOW)).min(src.len());
        reinterpret(src, fe, stop, None, "after the FRAME ending at", ctx)?;
    }
    if let Some(b) = out.broken_at {
        let stop = b.saturating_add(RESYNC_WINDOW).min(src.len());
        reinterpret(src, b, stop, Some(0x80), "after the break at", ctx)?;
    }
    Ok(out.format)
}

/// Tries each position in `[from, to)` (those holding `only`, when given) as the start of a
/// pickle, on the side; the first reading that finds something dangerous is reported in full.
fn reinterpret(
    src: &dyn Source,
    from: u64,
    to: u64,
    only: Option<u8>,
    why: &str,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let visited = Rc::new(RefCell::new(Visited::new(from, to.saturating_sub(from))));
    let window = src.read_vec(from, usize::try_from(to.saturating_sub(from)).unwrap_or(0))?;
    let mut found = None;
    let mut untried = 0u64;
    for (i, &b) in window.iter().enumerate() {
        let start = from.saturating_add(i as u64);
        let plausible = match only {
            Some(o) => b == o && window.get(i.saturating_add(1)).is_some_and(|p| *p <= 5),
            None => op_name(b) != "UNKNOWN",
        };
        if !plausible || visited.borrow().is_marked(start) {
            continue;
        }
        let budget = ctx.budget();
        let left = budget.reread_left().min(
            budget
                .max_pickle_opcodes()
                .saturating_sub(budget.pickle_opcodes()),
        );
        if left == 0 {
            untried = untried.saturating_add(1);
            continue;
        }
        let small = crate::limits::Limits {
            max_pickle_opcodes: left,
            max_pickle_streams: 2,
            ..ctx.limits.clone()
        };
        let (spent, dangerous) = {
            let mut scratch = ctx.scratch(&small);
            // The window is in memory: the reading starts there and goes on into the rest of
            // the file only if it gets that far (the reader allocates nothing until then).
            let mut rest = SourceReader::new(src, to);
            read_streams_from(
                &mut rest,
                window.get(i..).unwrap_or(&[]),
                src.len().checked_sub(start),
                &mut scratch,
                Some((&visited, start)),
            )?;
            let dangerous = scratch
                .findings
                .iter()
                .any(|f| f.code.kind() == crate::finding::Kind::Security);
            (scratch.facts.pickle_opcodes, dangerous)
        };
        ctx.budget().spend_reread(spent);
        if dangerous {
            found = Some(start);
            break;
        }
    }
    if untried > 0 {
        ctx.report(
            Code::PickleLimitExceeded,
            Some(from),
            format!(
                "{untried} possible pickle starts {why} {from} were not tried: the file's opcode budget ({} for such readings, {} in all) is spent",
                ctx.limits.max_reread_opcodes, ctx.limits.max_pickle_opcodes
            ),
        );
    }
    if let Some(start) = found {
        let label = format!("<pickle at {start}, {why} {from}>");
        ctx.enter(&label, |ctx| {
            let mut r = SourceReader::new(src, start);
            read_streams(&mut r, src.len().checked_sub(start), ctx).map(|_| ())
        })?;
    }
    Ok(())
}

/// Inspects back-to-back pickle streams read from `r` (for example a decompressing reader).
pub fn inspect_stream(r: &mut dyn BufRead, ctx: &mut Ctx) -> io::Result<Format> {
    read_streams(r, None, ctx).map(|s| s.format)
}

fn read_streams(r: &mut dyn BufRead, len: Option<u64>, ctx: &mut Ctx) -> io::Result<Streams> {
    read_streams_from(r, &[], len, ctx, None)
}

/// Reads back-to-back streams; `len` is the data's length when known, `side` the map of a
/// side reading and the reading's start in the source.
fn read_streams_from(
    r: &mut dyn BufRead,
    data: &[u8],
    len: Option<u64>,
    ctx: &mut Ctx,
    side: Option<(&Rc<RefCell<Visited>>, u64)>,
) -> io::Result<Streams> {
    let legacy = if data.is_empty() {
        r.fill_buf()?.starts_with(LEGACY_TORCH_PREFIX)
    } else {
        data.starts_with(LEGACY_TORCH_PREFIX)
    };
    let mut inp = Input::new(r, data, len);
    let mut streams = 0usize;
    let first_global = ctx.facts.globals.len();
    let mut overruns = Vec::new();
    let mut broken_at = None;
    loop {
        match inp.peek() {
            Ok(None) => break,
            Ok(Some(_)) => {}
            Err(Break::Io(e)) => return Err(e),
            Err(_) => break,
        }
        // Legacy torch: magic, protocol, sys info, the object, the storage keys; then raw
        // storage bytes that no loader parses as pickle.
        if legacy && streams == 5 {
            break;
        }
        // Whitespace after the last stream (old NumPy wrote a newline after an object array's
        // pickle): no loader reads it; a fact, not trailing data.
        if streams > 0
            && let Some(rem) = inp.remaining().filter(|&r| r <= 64)
            && let Ok(avail) = inp.avail()
            && avail.len() as u64 == rem
            && avail.iter().all(u8::is_ascii_whitespace)
        {
            ctx.facts.pickle_trailing_whitespace =
                ctx.facts.pickle_trailing_whitespace.saturating_add(rem);
            break;
        }
        if streams >= ctx.limits.max_pickle_streams {
            ctx.report(
                Code::PickleLimitExceeded,
                Some(inp.pos),
                format!(
                    "more than {} pickle streams back to back; the rest was not analysed",
                    ctx.limits.max_pickle_streams
                ),
            );
            break;
        }
        let start = inp.pos;
        let findings_before = ctx.findings.len();
        let mut m = Machine::new(ctx);
        if let Some((v, base)) = side {
            m.visited = Some(Rc::clone(v));
            m.base = base;
        }
        let res = m.run(&mut inp);
        let activity = m.activity;
        overruns.append(&mut m.overruns);
        drop(m);
        ctx.facts.pickle_streams = ctx.facts.pickle_streams.saturating_add(1);
        streams = streams.saturating_add(1);
        let end = match res {
            Ok(e) => e,
            Err(Break::Io(e)) => return Err(e),
            Err(Break::Invalid(msg)) => {
                if streams > 1 && activity == 0 {
                    // Not another pickle: bytes after the last stream.
                    ctx.retain_findings_from(findings_before, |_| false);
                    ctx.report_with(
                        Code::PickleTrailingData,
                        Code::PickleTrailingData.default_severity(),
                        Some(start),
                        format!("bytes after the last pickle stream are not a pickle ({msg})"),
                        Evidence::mismatch("end of data", format!("data at offset {start}")),
                    );
                    break;
                }
                if ctx.records(Code::PickleMalformed) {
                    ctx.report(
                        Code::PickleMalformed,
                        Some(inp.pos),
                        format!("pickle stream {streams} (starting at {start}) breaks: {msg}; everything before this point runs when loaded"),
                    );
                }
                broken_at = Some(inp.pos);
                End::Broken
            }
            Err(Break::Limit(msg)) => {
                ctx.report(
                    Code::PickleLimitExceeded,
                    Some(inp.pos),
                    format!("analysis stopped: {msg}; the rest of the stream was not analysed"),
                );
                End::Limited
            }
        };
        match end {
            End::Stop => {}
            End::Merged | End::Broken | End::Limited => break,
        }
    }
    let format = if legacy {
        Format::PytorchLegacy
    } else if ctx
        .facts
        .globals
        .get(first_global..)
        .unwrap_or(&[])
        .iter()
        .any(|g| g.module.starts_with("joblib."))
    {
        Format::Joblib
    } else {
        Format::Pickle
    };
    Ok(Streams {
        format,
        overruns,
        broken_at,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Code;
    use crate::limits::Limits;
    use crate::policy::Policy;

    fn run_with(bytes: &[u8], limits: &Limits) -> (Vec<Code>, u64) {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &policy, "t.pkl");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
        codes.sort();
        (codes, ctx.budget().pickle_opcodes())
    }

    fn run(bytes: &[u8]) -> (Vec<Code>, u64) {
        run_with(bytes, &Limits::default())
    }

    fn overrun(n: u32, fill: u8) -> Vec<u8> {
        let mut b = b"\x80\x04\x95".to_vec();
        b.extend_from_slice(&1u64.to_le_bytes());
        b.push(b'B');
        b.extend_from_slice(&n.to_le_bytes());
        b.resize(b.len() + n as usize, fill);
        b
    }

    #[test]
    fn whitespace_after_the_last_stream_is_a_fact_not_trailing_data() {
        // Old NumPy wrote a newline after an object array's pickle.
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
        inspect(&b"\x80\x02N.\n".to_vec(), &mut ctx).unwrap();
        assert!(ctx.findings.is_empty(), "{:?}", ctx.findings);
        assert_eq!(ctx.facts.pickle_trailing_whitespace, 1);
        // Anything else after the stream still is.
        assert_eq!(run(b"\x80\x02N.\nx").0, vec![Code::PickleTrailingData]);
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
    fn a_stack_of_distinct_imports_stops_at_the_kept_bytes_budget() {
        // A million distinct imports left on the stack held 110 MiB; each import's bytes now
        // count as kept, and the analysis stops (fails closed) when they pass the budget.
        let mut b = b"\x80\x02".to_vec();
        for i in 0..2_000u32 {
            b.extend_from_slice(format!("cmylib\nT{i}\n").as_bytes());
        }
        b.extend_from_slice(b"cos\nsystem\n.");
        let tight = Limits {
            max_pickle_kept_bytes: 64 << 10,
            ..Limits::default()
        };
        let (codes, _) = run_with(&b, &tight);
        assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
        assert!(!codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        // Within the default budget, every import is analysed.
        let (codes, _) = run(&b);
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        assert!(!codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
        assert_eq!(live_blob_bytes(), 0, "every kept byte is returned");
    }

    #[test]
    fn an_import_name_past_the_limit_stops_the_analysis() {
        let long = "a.".repeat(3000);
        let global = [b"\x80\x02cmylib\n", long.as_bytes(), b"os\nsystem\n."].concat();
        let (codes, _) = run(&global);
        assert_eq!(codes, [Code::PickleLimitExceeded]);
        let name = format!("{long}system");
        let len = u32::try_from(name.len()).unwrap().to_le_bytes();
        let stack = [
            b"\x80\x04\x8c\x05mylibX".as_slice(),
            &len,
            name.as_bytes(),
            b"\x93.",
        ]
        .concat();
        let (codes, _) = run(&stack);
        assert_eq!(codes, [Code::PickleLimitExceeded]);
        // Under the limit, a long dotted name is classified in full.
        let short = [
            b"\x80\x02cmylib\n",
            "a.".repeat(1000).as_bytes(),
            b"os.system\n.",
        ]
        .concat();
        let (codes, _) = run(&short);
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    }

    /// `n` memoized strings, then an import whose module string comes back from the memo.
    fn memo_then_import(n: u32) -> Vec<u8> {
        let mut b = b"\x80\x04\x8c\x02os\x94".to_vec();
        for i in 0..n {
            let s = format!("word{i}");
            b.push(0x8c);
            b.push(s.len() as u8);
            b.extend_from_slice(s.as_bytes());
            b.extend_from_slice(b"\x940");
        }
        b.extend_from_slice(b"h\x00\x8c\x06system\x93\x8c\x04echo\x85R.");
        b
    }

    #[test]
    fn memo_values_past_the_budget_fail_closed() {
        // Within budget: the import resolves to os.system.
        let (codes, _) = run(&memo_then_import(1000));
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        // The early string is kept even past the budget (only later ones are not).
        let tight = Limits {
            max_memo_kept_bytes: 4096,
            ..Limits::default()
        };
        let (codes, _) = run_with(&memo_then_import(1000), &tight);
        assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
        // A string memoized after the budget is spent comes back as lost: dynamic, critical.
        let mut b = b"\x80\x04".to_vec();
        for i in 0..1000u32 {
            let s = format!("word{i}");
            b.push(0x8c);
            b.push(s.len() as u8);
            b.extend_from_slice(s.as_bytes());
            b.extend_from_slice(b"r");
            b.extend_from_slice(&i.to_le_bytes());
            b.push(b'0');
        }
        b.extend_from_slice(b"j\xe7\x03\x00\x00\x8c\x06system\x93.");
        let (codes, _) = run_with(&b, &tight);
        assert_eq!(codes, [Code::PickleDynamicGlobal]);
    }

    #[test]
    fn references_to_globals_past_the_hard_memo_cap_stop_the_analysis() {
        let tight = Limits {
            max_memo_kept_bytes: 1024,
            ..Limits::default()
        };
        let mut b = b"\x80\x02cbuiltins\nlen\n".to_vec();
        for i in 0..1000u32 {
            b.push(b'r');
            b.extend_from_slice(&i.to_le_bytes());
        }
        b.push(b'.');
        let (codes, _) = run_with(&b, &tight);
        assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
    }

    #[test]
    fn huge_memo_index_is_loader_exhaustion_but_the_rest_is_still_read() {
        let (codes, _) = run(b"\x80\x02Nr\xff\xff\xff\xff0cos\nsystem\n.");
        assert_eq!(
            codes,
            [Code::PickleDangerousGlobal, Code::PickleLoaderExhaustion]
        );
    }

    #[test]
    fn a_dict_inserted_into_itself_makes_no_reference_cycle() {
        // MARK, DICT, DUP, EMPTY_DICT, SETITEM: d[d] = {} (found by fuzzing: the cycle leaked).
        let before = live_blob_bytes();
        let (codes, _) = run(b"(d2}s");
        assert_eq!(codes, [Code::PickleMalformed]);
        // d = {a: a}; d[b] = d, with strings long enough to be kept on the heap (a dict holding
        // a string is worth keeping in the memo, so the GET returns the dict itself).
        let x = |c: u8| {
            let mut v = b"X\x1e\x00\x00\x00".to_vec();
            v.extend_from_slice(&[c; 30]);
            v
        };
        let mut b = b"\x80\x02}".to_vec();
        b.extend(x(b'a'));
        b.extend(x(b'a'));
        b.extend_from_slice(b"sq\x00(");
        b.extend(x(b'b'));
        b.extend_from_slice(b"h\x00u.");
        let (codes, _) = run(&b);
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(live_blob_bytes(), before, "every kept value was freed");
    }

    #[test]
    fn kept_bytes_are_returned_when_values_are_dropped() {
        let before = live_blob_bytes();
        {
            let b = Blob::new(vec![0; 1000], 1000);
            assert!(live_blob_bytes() >= before + 1000);
            drop(b);
        }
        assert_eq!(live_blob_bytes(), before);
    }

    // --- higher-order helpers ----------------------------------------------------------------

    /// What one scan found: finding codes, and the facts as (callee) and (path, class).
    struct Seen {
        codes: Vec<Code>,
        calls: Vec<String>,
        globals: Vec<(String, &'static str)>,
    }

    fn seen(bytes: &[u8]) -> Seen {
        let policy = Policy::new(&[], false).unwrap();
        let limits = Limits::default();
        let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
        inspect(&bytes.to_vec(), &mut ctx).unwrap();
        let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
        codes.sort();
        Seen {
            codes,
            calls: ctx.facts.calls.iter().map(|c| c.callee.clone()).collect(),
            globals: ctx
                .facts
                .globals
                .iter()
                .map(|g| (format!("{}.{}", g.module, g.name), g.class))
                .collect(),
        }
    }

    fn critical(s: &Seen) -> bool {
        s.codes
            .iter()
            .any(|c| c.default_severity() == Severity::Critical)
    }

    /// Protocol 2: `functools.partial(<target>)` with the state a pickler writes,
    /// `(func, (), {}, None)`, func fetched from the memo; then `tail` and STOP.
    fn partial_of(target: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut b = b"\x80\x02cfunctools\npartial\nq\x00".to_vec();
        b.extend_from_slice(target);
        b.extend_from_slice(b"q\x01\x85R(h\x01)}Ntb");
        b.extend_from_slice(tail);
        b.push(b'.');
        b
    }

    #[test]
    fn partial_of_a_denylisted_function_stored_only_is_critical() {
        let s = seen(&partial_of(b"cos\nsystem\n", b""));
        assert!(
            s.codes.contains(&Code::PickleDangerousCall),
            "{:?}",
            s.codes
        );
        assert!(critical(&s));
    }

    #[test]
    fn partial_of_an_allowlisted_function_stored_only_is_clean() {
        let s = seen(&partial_of(b"ccollections\nOrderedDict\n", b""));
        assert!(s.codes.is_empty(), "{:?}", s.codes);
        assert!(
            s.globals
                .contains(&("functools.partial".to_owned(), "higher-order")),
            "{:?}",
            s.globals
        );
    }

    #[test]
    fn partial_of_an_unknown_function_is_only_the_unknown_import() {
        let s = seen(&partial_of(b"cmylib.ops\nnormalize\n", b""));
        assert_eq!(s.codes, [Code::PickleUnknownGlobal]);
    }

    #[test]
    fn partial_whose_target_is_computed_at_load_is_critical() {
        // STACK_GLOBAL of a call result: the import itself is dynamic, and so is the target.
        let b = b"\x80\x04\x8c\tfunctools\x8c\x07partial\x93\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R\x8c\x06system\x93\x85R.";
        let s = seen(b);
        assert!(
            s.codes.contains(&Code::PickleDynamicGlobal),
            "{:?}",
            s.codes
        );
        assert!(
            s.codes.contains(&Code::PickleDangerousCall),
            "{:?}",
            s.codes
        );
        // A call result wrapped directly: nothing names what the partial calls.
        let b = b"\x80\x04\x8c\tfunctools\x8c\x07partial\x93\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R\x85R.";
        assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
    }

    #[test]
    fn partial_rebound_by_build_state_is_judged() {
        // partial(OrderedDict), then BUILD (os.system, (), None, None).
        let b =
            b"\x80\x02cfunctools\npartial\nccollections\nOrderedDict\n\x85R(cos\nsystem\n)NNtb.";
        assert!(seen(b).codes.contains(&Code::PickleDangerousCall));
        // ... or BUILD state that names nothing.
        let b = b"\x80\x02cfunctools\npartial\nccollections\nOrderedDict\n\x85R(K\x01)NNtb.";
        assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
    }

    #[test]
    fn partial_later_called_is_judged_as_a_call_of_what_it_wraps() {
        let s = seen(&partial_of(
            b"cos\nsystem\n",
            b"(X\x11\x00\x00\x00echo aibom-sampletR",
        ));
        assert!(s.calls.contains(&"os.system".to_owned()), "{:?}", s.calls);
        assert!(s.codes.contains(&Code::PickleDangerousCall));
        let s = seen(&partial_of(b"ccollections\nOrderedDict\n", b")R"));
        assert!(s.codes.is_empty(), "{:?}", s.codes);
        assert!(
            s.calls.contains(&"collections.OrderedDict".to_owned()),
            "{:?}",
            s.calls
        );
    }

    #[test]
    fn map_and_filter_with_os_system_are_critical() {
        for helper in [
            "builtins\nmap",
            "builtins\nfilter",
            "itertools\nimap",
            "functools\nreduce",
        ] {
            // list(helper(os.system, ['echo aibom-sample']))
            let mut b = b"\x80\x02c__builtin__\nlist\nc".to_vec();
            b.extend_from_slice(helper.as_bytes());
            b.extend_from_slice(b"\ncos\nsystem\n](X\x11\x00\x00\x00echo aibom-samplee\x86R\x85R.");
            let s = seen(&b);
            assert!(
                s.codes.contains(&Code::PickleDangerousCall),
                "{helper}: {:?}",
                s.codes
            );
        }
        // filter(None, [...]) calls nothing; map(str, [...]) calls an allowed constructor.
        let b = b"\x80\x02cbuiltins\nfilter\nN]\x86R.";
        assert!(seen(b).codes.is_empty());
        let b = b"\x80\x02cbuiltins\nmap\nc__builtin__\nstr\n]\x86R.";
        assert!(seen(b).codes.is_empty(), "{:?}", seen(b).codes);
        // map(<call result>, [...]) fails closed.
        let b = b"\x80\x02cbuiltins\nmap\nccollections\nOrderedDict\n)R]\x86R.";
        assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
    }

    #[test]
    fn getattr_is_judged_by_the_attribute_it_reaches() {
        // getattr(OrderedDict, 'fromkeys'): an unknown attribute, medium only.
        let b = b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\nX\x08\x00\x00\x00fromkeys\x86R.";
        assert_eq!(seen(b).codes, [Code::PickleUnknownGlobal]);
        // getattr(<call result>, 'x') cannot be resolved.
        let b =
            b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\n)RX\x01\x00\x00\x00x\x86R.";
        assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
        // getattr(OrderedDict, '__globals__') reaches interpreter internals.
        let b = b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\nX\x0b\x00\x00\x00__globals__\x86R.";
        assert_eq!(seen(b).codes, [Code::PickleDunderAccess]);
    }

    #[test]
    fn a_helper_handed_on_as_a_value_fails_closed() {
        // copyreg.__newobj__(functools.partial, builtins.getattr, numpy.ndarray, 'tofile'):
        // only allowlisted callables are called by the pickle itself.
        let b = b"\x80\x02ccopyreg\n__newobj__\n(cfunctools\npartial\ncbuiltins\ngetattr\ncnumpy\nndarray\nX\x06\x00\x00\x00tofiletR)R.";
        let s = seen(b);
        assert!(
            s.codes.contains(&Code::PickleDangerousGlobal),
            "{:?}",
            s.codes
        );
        // In a list, as an attribute value, as BUILD state.
        for b in [
            &b"\x80\x02](cbuiltins\nmap\ne."[..],
            b"\x80\x02}X\x01\x00\x00\x00fcbuiltins\ngetattr\ns.",
            b"\x80\x02ccollections\nOrderedDict\n)Rcfunctools\npartial\nb.",
        ] {
            assert_eq!(seen(b).codes, [Code::PickleDangerousGlobal], "{b:?}");
        }
    }

    #[test]
    fn gensim_shaped_partial_in_model_state_is_neither_critical_nor_high() {
        // pickle.dumps(m, 2) and (m, 4) of a model whose attribute is
        // functools.partial(gensim.models.tfidfmodel.smartirs_normalize), written with
        // stand-in modules (the pickle records only module and name).
        let p2 = b"\x80\x02cgensim.models.tfidfmodel\nTfidfModel\nq\x00)\x81q\x01}q\x02(X\t\x00\x00\x00normalizeq\x03cfunctools\npartial\nq\x04cgensim.models.tfidfmodel\nsmartirs_normalize\nq\x05\x85q\x06Rq\x07(h\x05)}q\x08Ntq\tbX\x08\x00\x00\x00num_docsq\nK\tX\x08\x00\x00\x00smartirsq\x0bX\x03\x00\x00\x00nfcq\x0cub.";
        let p4 = b"\x80\x04\x95\x9c\x00\x00\x00\x00\x00\x00\x00\x8c\x18gensim.models.tfidfmodel\x94\x8c\nTfidfModel\x94\x93\x94)\x81\x94}\x94(\x8c\tnormalize\x94\x8c\tfunctools\x94\x8c\x07partial\x94\x93\x94h\x00\x8c\x12smartirs_normalize\x94\x93\x94\x85\x94R\x94(h\n)}\x94Nt\x94b\x8c\x08num_docs\x94K\t\x8c\x08smartirs\x94\x8c\x03nfc\x94ub.";
        for b in [&p2[..], &p4[..]] {
            let s = seen(b);
            assert_eq!(
                s.codes,
                [Code::PickleUnknownGlobal, Code::PickleUnknownGlobal],
                "{:?}",
                s.globals
            );
        }
    }

    #[test]
    fn every_higher_order_entry_of_the_denylist_has_a_judge() {
        let policy = Policy::new(&[], false).unwrap();
        let marked: Vec<&str> = policy.higher_order().collect();
        for path in &marked {
            assert!(
                Helper::of(path).is_some(),
                "{path} is marked but not judged"
            );
        }
        for (path, _) in HELPERS {
            assert!(marked.contains(path), "{path} is judged but not marked");
        }
    }
}
