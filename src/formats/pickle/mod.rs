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
//!
//! Layout: `input` reads the bytes; `value` holds the inert values and the kept-bytes
//! accounting; `memo` is the memo; `machine` is the interpreter's state (stack, marks,
//! memo) and the values it reads; `judge` judges imports and calls against the policy;
//! `step` is the opcode loop and its dispatch; `joblib` skips in-stream array data;
//! `strings` decodes protocol 0 text arguments. The opcode names and the detection grammar
//! are the leaf `crate::detect::pickle`. This file holds the entry points: back-to-back
//! streams, the side readings after a frame overrun or a break, and the format choice.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod input;
mod joblib;
mod judge;
mod machine;
mod memo;
mod state_code;
mod step;
mod strings;
mod value;

use super::Ctx;
use crate::detect::Format;
use crate::detect::pickle::{LEGACY_TORCH_PREFIX, op_name};
use crate::finding::{Code, Evidence};
use crate::source::{ReadOver, Skip, Source, SourceReader};
use input::{Break, FileModel, Input, LineEnds};
use machine::{End, Machine, Visited};
use serde::Serialize;
use std::cell::RefCell;
use std::io::{self, BufRead, Read};
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

/// What reading back-to-back streams found, besides findings.
struct Streams {
    format: Format,
    /// Frames that an opcode ran past: (frame end, end of the opcode), offsets in the reader.
    overruns: Vec<(u64, u64)>,
    /// Where a stream broke (offset in the reader).
    broken_at: Option<u64>,
    /// The break is a place where the stream goes on somewhere unknown (see
    /// [`Break::Resync`]): every later position is tried, not only `PROTO` opcodes.
    resync: bool,
    /// Read without random access: the bytes already taken from the reader past the break
    /// (the input's buffer), so the reader's own position plus these is the break.
    rest: Vec<u8>,
    /// Bytes the reading took from its input (charged to the re-read budget on the side).
    read: u64,
    /// A stream stopped at an analysis limit.
    limited: bool,
    /// A stream after the first fetched a memo entry it had not put.
    memo_missed: bool,
    /// A plain `pickle.load` reads on where joblib's reading of a stream first parts from it
    /// (array data, or a place where the stream goes on unknown).
    plain_reads_on: bool,
    /// A stream imported a joblib array wrapper.
    wrappers: bool,
    /// A legacy torch file's five streams were read; where the storage bytes start.
    legacy_end: Option<u64>,
    /// Where an opcode last ran across a frame's end ([`FileModel::converge`]).
    last_cross: Option<u64>,
}

impl Streams {
    /// A plain `pickle.load` of the file may run what joblib's reading does not: it reads on
    /// where that reading first parts from it, or (frames and opcodes disagree) a file
    /// object's reading goes another way, which may meet another array ([`READ_PLAIN`]).
    fn plain_needed(&self) -> bool {
        self.plain_reads_on || (self.wrappers && !self.overruns.is_empty())
    }
}

/// What the side readings of one window share: the positions passed in an inert state and the
/// line ends found; and where this reading starts in the source.
#[derive(Clone, Copy)]
struct Side<'a> {
    visited: &'a Rc<RefCell<Visited>>,
    lines: &'a LineEnds,
    start: u64,
}

/// The windows of side readings one inspection has searched, as positions in the stream its
/// messages speak of: a search nested in a full reading does not try again the starts that
/// another search of the same source tries or has tried (nested full readings used to search
/// one window up to [`MAX_FULL_READINGS`] times).
///
/// Skipping is sound because every search tries each of its starts, or ends with a finding
/// that covers those it did not (a critical one, or `pickle-limit-exceeded`): a search of
/// every position covers any search; one of `PROTO` positions only, one of the same kind.
#[derive(Default)]
struct Searched {
    /// `(from, to, every position)`, sorted by `from`; adjacent spans of one kind merged.
    spans: Vec<(u64, u64, bool)>,
}

impl Searched {
    /// Claims `[from, to)` for a search of every position (`all`) or of `PROTO` positions;
    /// returns the parts of it that an earlier search covers (sorted, not overlapping), whose
    /// starts this one skips.
    fn claim(&mut self, from: u64, to: u64, all: bool) -> Vec<(u64, u64)> {
        let mut skip: Vec<(u64, u64)> = Vec::new();
        for &(f, t, a) in &self.spans {
            let (f, t) = (f.max(from), t.min(to));
            if f < t && (a || !all) {
                match skip.last_mut() {
                    Some(last) if last.1 >= f => last.1 = last.1.max(t),
                    _ => skip.push((f, t)),
                }
            }
        }
        let i = self.spans.partition_point(|s| s.0 < from);
        self.spans.insert(i, (from, to, all));
        // Windows searched one after another (after a joblib array, to the end of the file)
        // make one span.
        self.spans.dedup_by(|b, a| {
            a.2 == b.2 && a.0 <= b.0 && b.0 <= a.1 && {
                a.1 = a.1.max(b.1);
                true
            }
        });
        skip.sort_unstable();
        skip
    }
}

/// The search state of one inspection, and where its source starts in the stream the
/// messages speak of (not 0 when the source holds only the bytes after a break).
#[derive(Clone, Copy)]
struct Search<'a> {
    searched: &'a RefCell<Searched>,
    base: u64,
}

#[cfg(test)]
thread_local! {
    /// Side readings this thread started, and starts it skipped because another search of the
    /// inspection tries them (for tests of the work searches do).
    static STARTS_TRIED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static STARTS_SKIPPED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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
    let searched = RefCell::new(Searched::default());
    let search = Search {
        searched: &searched,
        base: 0,
    };
    inspect_at(src, 0, search, How::First, ctx).map(|(format, _)| format)
}

/// Which reading of the streams: the first (bytes one after another, as `pickle.loads`
/// reads them, each stream with a memo of its own); one as CPython's C unpickler reads a
/// file object ([`frame_readings`]); one by an `Unpickler` whose `load()` is called again,
/// which keeps its memo ([`READ_REUSED`]); or one of a joblib file as a plain `pickle.load`
/// reads it, the array data as opcodes ([`READ_PLAIN`]), from bytes or (`Some`) a file.
#[derive(Clone, Copy, PartialEq)]
enum How {
    First,
    Model(FileModel),
    Reused,
    Plain(Option<FileModel>),
}

impl How {
    /// A first reading, plain or not: where its frames and opcodes disagree, it is read again
    /// as file objects read it ([`frame_readings`]).
    fn first(self) -> bool {
        matches!(self, How::First | How::Plain(None))
    }

    /// This reading, from a file object read as `model`.
    fn through_file(self, model: FileModel) -> How {
        match self {
            How::Plain(_) => How::Plain(Some(model)),
            _ => How::Model(model),
        }
    }
}

/// [`inspect`] of the streams that start at `start` in `src` (a dangerous side reading read
/// in full follows up its own overruns and breaks the same way), read as `model` reads them
/// when given ([`frame_readings`]); also returns the bytes the streams took.
fn inspect_at(
    src: &dyn Source,
    start: u64,
    search: Search<'_>,
    how: How,
    ctx: &mut Ctx,
) -> io::Result<(Format, u64)> {
    let mut r = SourceReader::new(src, start);
    let len = src.len().checked_sub(start);
    let out = read_streams_from(&mut r, &[], len, ctx, None, how)?;
    // An overrun, or a STOP inside a frame (which adds the frame's end as a window).
    if how.first() && !out.overruns.is_empty() {
        frame_readings(
            ctx,
            out.last_cross,
            len,
            &FILE_BUFFERS,
            &mut |ctx, model| {
                inspect_at(src, start, search, how.through_file(model), ctx).map(drop)
            },
        )?;
    }
    if how == How::First && out.memo_missed {
        Known::of(ctx).read_new(ctx, READ_REUSED, |ctx| {
            inspect_at(src, start, search, How::Reused, ctx).map(drop)
        })?;
    }
    if how == How::First && out.plain_needed() {
        plain_reading(ctx, READ_PLAIN, |ctx| {
            in_a_fresh_process(ctx, |ctx| {
                inspect_at(src, start, search, How::Plain(None), ctx).map(drop)
            })
        })?;
    }
    if how == How::First
        && let Some(end) = out.legacy_end
    {
        // torch.load stops after the fifth stream; a loader that reads on to the end of the
        // file runs the storage bytes as the next.
        let from = start.saturating_add(end);
        plain_reading(ctx, READ_PAST_LEGACY, |ctx| {
            let mut r = SourceReader::new(src, from);
            let len = src.len().checked_sub(from);
            read_streams_from(&mut r, &[], len, ctx, None, How::First).map(drop)
        })?;
    }
    if let How::Plain(_) = how {
        // A plain `pickle.load` stops at the break; the joblib reading searched after it.
        return Ok((out.format, out.read));
    }
    // The reading's offsets count from `start`; windows are offsets in `src`.
    let at = |o: u64| o.saturating_add(start);
    for &(fe, end) in out.overruns.iter().take(MAX_REINTERPRETATIONS) {
        let end = at(end).min(src.len());
        search_from(src, at(fe), Some(end), None, AFTER_FRAME, search, ctx)?;
    }
    too_many_overruns(&out.overruns, start, search, ctx);
    if let Some(b) = out.broken_at.filter(|_| out.resync) {
        joblib::resync_to_end(src, at(b), search, ctx)?;
    } else if let Some(b) = out.broken_at {
        let (only, why) = after_break(out.resync);
        search_from(src, at(b), Some(src.len()), only, why, search, ctx)?;
    }
    Ok((out.format, out.read))
}

/// How the readings after a frame's end are labelled.
const AFTER_FRAME: &str = "after the FRAME ending at";

/// Tries the first [`RESYNC_WINDOW`] positions of `src` from `from` on (up to `end`, the end of
/// what may follow; `None`: a stream that may go on) as starts ([`reinterpret`]); positions
/// past them, up to `end`, are a limit finding.
fn search_from(
    src: &dyn Source,
    from: u64,
    end: Option<u64>,
    only: Option<u8>,
    why: &str,
    search: Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let stop = from
        .saturating_add(RESYNC_WINDOW)
        .min(end.unwrap_or(u64::MAX))
        .min(src.len());
    reinterpret(src, from, stop, only, why, search, ctx)?;
    if end.is_some_and(|e| stop >= e) {
        return Ok(());
    }
    let [from, to] = [from, stop].map(|o| o.saturating_add(search.base));
    let base = search.base;
    let rest = match end {
        Some(e) => format!("from {to} to {}", e.saturating_add(base)),
        None => format!("from {to} on"),
    };
    ctx.report(
        Code::PickleLimitExceeded,
        Some(to),
        format!(
            "the positions {rest}, {why} {from}, were not tried as pickle starts: side readings try the first {} after it",
            machine::human_bytes(RESYNC_WINDOW)
        ),
    );
    Ok(())
}

/// Which positions after a break are tried as pickle starts, and how readings there are
/// labelled: `PROTO` opcodes after a break (a new pickle appended), every position where the
/// stream goes on somewhere unknown.
fn after_break(resync: bool) -> (Option<u8>, &'static str) {
    if resync {
        (None, "after the unresolved joblib array ending at or after")
    } else {
        (Some(0x80), "after the break at")
    }
}

/// Dangerous side readings read in full, per file. Past the first of a window, another is
/// read only when those before found nothing critical (a decoy in front of the payload); when
/// they are spent, the dangerous readings left are a limit finding.
pub(crate) const MAX_FULL_READINGS: u32 = 16;

/// The bytes of one window of side readings and what its readings share.
struct Window<'a> {
    src: &'a dyn Source,
    /// The window's bytes and those after it read with them.
    data: &'a [u8],
    /// Positions tried as starts: `data[..span]`.
    span: usize,
    /// Offset of `data` in `src`, and of its end.
    from: u64,
    after: u64,
    only: Option<u8>,
    visited: Rc<RefCell<Visited>>,
    lines: LineEnds,
    /// Spans of `src` (sorted) whose starts another search tries ([`Searched`]).
    skip: Vec<(u64, u64)>,
}

/// Tries each position in `[from, to)` (those holding `only`, when given) as the start of a
/// pickle, on the side; a reading that finds something dangerous is reported in full, and the
/// search goes on after it until a full reading finds something critical (so a decoy cannot
/// hide a payload behind it), the file's [`MAX_FULL_READINGS`] are spent or its budget is.
/// Starts another search of the inspection tries are skipped ([`Searched`]). Returns true when later windows need not be tried: a full
/// reading found something critical, or no more full readings are left (a finding).
#[allow(clippy::too_many_arguments)]
fn reinterpret(
    src: &dyn Source,
    from: u64,
    to: u64,
    only: Option<u8>,
    why: &str,
    search: Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<bool> {
    let base = search.base;
    let skip = search
        .searched
        .borrow_mut()
        .claim(
            from.saturating_add(base),
            to.saturating_add(base),
            only.is_none(),
        )
        .into_iter()
        .map(|(f, t)| (f.saturating_sub(base), t.saturating_sub(base)))
        .collect();
    // The window's positions are tried as starts; the bytes after it, up to as many again as
    // a window holds, are read with it, so the readings that run past the window go on in
    // memory (a reader and its buffer per reading cost more than most readings).
    let span = usize::try_from(to.saturating_sub(from)).unwrap_or(0);
    let ahead = to
        .saturating_sub(from)
        .saturating_add(RESYNC_WINDOW)
        .min(src.len().saturating_sub(from));
    let data = src.read_vec(from, usize::try_from(ahead).unwrap_or(span))?;
    let w = Window {
        src,
        data: &data,
        span: span.min(data.len()),
        from,
        after: from.saturating_add(data.len() as u64),
        only,
        visited: Rc::new(RefCell::new(Visited::new(from, to.saturating_sub(from)))),
        lines: LineEnds::default(),
        skip,
    };
    // A side reading only asks whether anything dangerous is there: it keeps no value longer
    // than a name (a longer one fails closed: an import operand or a nested loader's data not
    // kept is itself a finding, and the reading is then read again in full).
    let small = crate::limits::Limits {
        max_pickle_streams: 2,
        max_kept_value: ctx.limits.max_kept_value.min(ctx.limits.max_global_name),
        ..ctx.limits.clone()
    };
    let at = from.saturating_add(base);
    let mut untried = 0u64;
    let mut next = 0;
    let mut over = false;
    while let Some(i) = try_starts(&w, next, &small, ctx, &mut untried)? {
        let start = from.saturating_add(i as u64).saturating_add(base);
        if !ctx.budget().take_full_reading() {
            ctx.report(
                Code::PickleLimitExceeded,
                Some(start),
                format!(
                    "the file's {MAX_FULL_READINGS} full readings of side readings that found something dangerous or stopped early are spent; the reading at {start}, {why} {at}, and any after it were not read in full"
                ),
            );
            over = true;
            break;
        }
        let criticals = ctx.criticals();
        let opcodes = ctx.budget().pickle_opcodes();
        let label = format!("<pickle at {start}, {why} {at}>");
        let from_start = from.saturating_add(i as u64);
        let read = ctx.enter(&label, |ctx| {
            inspect_at(src, from_start, search, How::First, ctx).map(|(_, r)| r)
        })?;
        // Full readings spend the side readings' budget too, for their opcodes and bytes:
        // decoys cannot buy more of them.
        let spent = ctx.budget().pickle_opcodes().saturating_sub(opcodes);
        let bytes = read.unwrap_or(0) / crate::limits::REREAD_BYTES_PER_OPCODE;
        ctx.budget().spend_reread(spent.saturating_add(bytes));
        if ctx.criticals() > criticals {
            // Nothing found later could make the verdict worse.
            over = true;
            break;
        }
        next = i.saturating_add(1);
    }
    if untried > 0 {
        ctx.report(
            Code::PickleLimitExceeded,
            Some(at),
            format!(
                "{untried} possible pickle starts {why} {at} were not tried: the file's opcode budget ({} for such readings, {} in all) is spent",
                ctx.limits.max_reread_opcodes, ctx.limits.max_pickle_opcodes
            ),
        );
    }
    Ok(over)
}

/// Reads on the side from each start of `w` from index `next` on, until one finds something
/// dangerous, stops at a limit or at an unresolved joblib array (where it goes on cannot be
/// told on the side): its index is returned, for it to be read in full. Starts the budget
/// leaves no opcodes for, and a reading that spends what was left, are counted in `untried`.
fn try_starts(
    w: &Window<'_>,
    next: usize,
    small: &crate::limits::Limits,
    ctx: &Ctx,
    untried: &mut u64,
) -> io::Result<Option<usize>> {
    let mut scratch = ctx.scratch(small);
    let mut skip = w.skip.iter().peekable();
    for (i, &b) in w.data.iter().enumerate().take(w.span).skip(next) {
        let start = w.from.saturating_add(i as u64);
        while skip.next_if(|s| s.1 <= start).is_some() {}
        if skip.peek().is_some_and(|s| s.0 <= start) {
            #[cfg(test)]
            STARTS_SKIPPED.with(|c| c.set(c.get().saturating_add(1)));
            continue;
        }
        let plausible = match w.only {
            Some(o) => b == o && w.data.get(i.saturating_add(1)).is_some_and(|p| *p <= 5),
            None => op_name(b) != "UNKNOWN",
        };
        if !plausible || w.visited.borrow().is_marked(start) {
            continue;
        }
        let budget = ctx.budget();
        let left = budget.reread_left().min(
            budget
                .max_pickle_opcodes()
                .saturating_sub(budget.pickle_opcodes()),
        );
        if left == 0 {
            *untried = untried.saturating_add(1);
            continue;
        }
        #[cfg(test)]
        STARTS_TRIED.with(|c| c.set(c.get().saturating_add(1)));
        scratch.restart_side(ctx.decompressed, left);
        // The reading starts in memory and goes on into the rest of the file only if it gets
        // that far (the reader allocates nothing until then).
        let mut rest = SourceReader::new(w.src, w.after);
        let out = read_streams_from(
            &mut rest,
            w.data.get(i..).unwrap_or(&[]),
            w.src.len().checked_sub(start),
            &mut scratch,
            Some(Side {
                visited: &w.visited,
                lines: &w.lines,
                start,
            }),
            How::First,
        )?;
        let ran = scratch.facts.pickle_opcodes;
        let bytes = out.read / crate::limits::REREAD_BYTES_PER_OPCODE;
        ctx.budget().spend_reread(ran.saturating_add(bytes));
        let dangerous = scratch
            .findings
            .iter()
            .any(|f| f.code.kind() == crate::finding::Kind::Security);
        if !dangerous && out.limited && ran >= left {
            // Stopped by the budget: what it did not read is untried, as later starts are.
            *untried = untried.saturating_add(1);
            continue;
        }
        // A reading that stopped early at another limit or at an unresolved joblib array
        // passed positions it marked, which no other reading then tries: it is read in full,
        // where the limit is a finding and the array's later positions are tried.
        if dangerous || out.limited || out.resync {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Opens a stream again from its start (a decompressing reader made anew), for the readings
/// that only a stream whose frames and opcodes disagree needs.
pub type Reopen<'a> = dyn FnMut() -> io::Result<Box<dyn BufRead + 'a>> + 'a;

/// Inspects back-to-back pickle streams read from `r` (for example a decompressing reader).
///
/// Without random access, a break is followed up as [`inspect`] does it, over the bytes
/// after the break kept in memory: a window of [`RESYNC_WINDOW`] positions tried as starts,
/// and as much again for the readings to run on. A reading that needs more than that stops
/// at its end (the payloads appended after a crashing stream are small). Where frames and
/// opcodes disagree, the stream is read again from its start through `reopen`: frame by frame
/// ([`frame_readings`]), and to the windows after each frame overrun, kept in memory as
/// after a break. A stream that cannot be read again (`reopen` is `None`: a member of a
/// compressed tar or a 7z archive) gets a `pickle-limit-exceeded` finding instead.
pub fn inspect_stream(
    r: &mut dyn BufRead,
    reopen: Option<&mut Reopen<'_>>,
    ctx: &mut Ctx,
) -> io::Result<Format> {
    let searched = RefCell::new(Searched::default());
    let search = Search {
        searched: &searched,
        base: 0,
    };
    stream_at(r, reopen, How::First, search, ctx)
}

/// [`inspect_stream`], read as `how` says.
fn stream_at(
    r: &mut dyn BufRead,
    mut reopen: Option<&mut Reopen<'_>>,
    how: How,
    search: Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<Format> {
    let out = read_streams_from(&mut ReadOver(r), &[], None, ctx, None, how)?;
    let first = how == How::First;
    if first
        && out.memo_missed
        && let Some(reopen) = reopen.as_deref_mut()
    {
        Known::of(ctx).read_new(ctx, READ_REUSED, |ctx| match again(reopen)? {
            Some(mut r) => stream_at(&mut *r, None, How::Reused, search, ctx).map(drop),
            None => Ok(()),
        })?;
    }
    if first && out.plain_needed() {
        match reopen.as_deref_mut() {
            Some(reopen) => plain_reading(ctx, READ_PLAIN, |ctx| {
                in_a_fresh_process(ctx, |ctx| match again(reopen)? {
                    Some(mut r) => {
                        stream_at(&mut *r, Some(reopen), How::Plain(None), search, ctx).map(drop)
                    }
                    None => Ok(()),
                })
            })?,
            None => ctx.report(
                Code::PickleLimitExceeded,
                None,
                "a plain pickle.load reads on where joblib reads array data in this stream, which is read once, as it is decompressed (a member of a compressed tar or a 7z archive): it was not read again as that loader reads it, with the array data as opcodes",
            ),
        }
    }
    let disagree = !out.overruns.is_empty();
    let plain = matches!(how, How::Plain(_));
    match reopen {
        Some(reopen) if disagree && how.first() => {
            frame_readings(
                ctx,
                out.last_cross,
                None,
                &STREAM_BUFFERS,
                &mut |ctx, model| match again(reopen)? {
                    Some(mut r) => {
                        stream_at(&mut *r, None, how.through_file(model), search, ctx).map(drop)
                    }
                    None => Ok(()),
                },
            )?;
            if first {
                stream_windows(reopen, &out.overruns, search, ctx)?;
            }
        }
        None if disagree && first => {
            ctx.report(
                Code::PickleLimitExceeded,
                None,
                "frames and opcodes disagree in this stream, which is read once, as it is decompressed (a member of a compressed tar or a 7z archive): it was not read again frame by frame, as io.BytesIO and torch.load read it, nor from the frame ends on",
            );
        }
        _ => {}
    }
    if plain {
        // A plain `pickle.load` stops at the break; the joblib reading searched after it.
        return Ok(out.format);
    }
    too_many_overruns(&out.overruns, 0, search, ctx);
    if let Some(b) = out.broken_at.filter(|_| out.resync) {
        joblib::resync_stream(r, out.rest, b, search, ctx)?;
    } else if let Some(b) = out.broken_at {
        let mut tail = out.rest;
        let want = RESYNC_WINDOW.saturating_mul(2);
        let more = want.saturating_sub(tail.len() as u64);
        // Best effort: a decoder that fails past the break (corrupt data) leaves what it
        // produced in `tail`; the main reading already reported the stream's state.
        let _ = io::Read::take(&mut *r, more).read_to_end(&mut tail);
        let (only, why) = after_break(out.resync);
        let search = Search { base: b, ..search };
        // All that was read ahead came: the stream may go on past it.
        let end = Some(tail.len() as u64).filter(|&n| n < want);
        search_from(&tail, 0, end, only, why, search, ctx)?;
    }
    Ok(out.format)
}

/// The stream opened again; `None` when its data fails this time (it was read once already,
/// and what it held then was reported).
fn again<'a>(reopen: &mut Reopen<'a>) -> io::Result<Option<Box<dyn BufRead + 'a>>> {
    match reopen() {
        Ok(r) => Ok(Some(r)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The side readings after each frame overrun of a stream read without random access: the
/// stream is opened again and read to the frame's end, and the window after it is tried from
/// memory with the bytes after it, as after a break.
fn stream_windows(
    reopen: &mut Reopen<'_>,
    overruns: &[(u64, u64)],
    search: Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let mut open: Option<(Box<dyn BufRead + '_>, u64)> = None;
    for &(fe, end) in overruns.iter().take(MAX_REINTERPRETATIONS) {
        let (mut r, pos) = match open.take() {
            Some((r, pos)) if pos <= fe => (r, pos),
            _ => match again(reopen)? {
                Some(r) => (r, 0),
                None => return Ok(()),
            },
        };
        let gap = fe.saturating_sub(pos);
        // Best effort, as after a break: data that fails now ends the windows.
        let skipped = io::copy(&mut io::Read::take(&mut *r, gap), &mut io::sink()).unwrap_or(0);
        if skipped < gap {
            return Ok(());
        }
        let span = end.min(fe.saturating_add(RESYNC_WINDOW)).saturating_sub(fe);
        let mut tail = Vec::new();
        let _ = io::Read::take(&mut *r, span.saturating_add(RESYNC_WINDOW)).read_to_end(&mut tail);
        let end = end.saturating_sub(fe).min(tail.len() as u64);
        let at = Search { base: fe, ..search };
        search_from(&tail, 0, Some(end), None, AFTER_FRAME, at, ctx)?;
        open = Some((r, fe.saturating_add(tail.len() as u64)));
    }
    Ok(())
}

/// More frame overruns than are followed up: a finding (`start` is where the reading began
/// in its source).
fn too_many_overruns(overruns: &[(u64, u64)], start: u64, search: Search<'_>, ctx: &mut Ctx) {
    if let Some(&(fe, _)) = overruns.get(MAX_REINTERPRETATIONS) {
        let fe = fe.saturating_add(start).saturating_add(search.base);
        ctx.report(
            Code::PickleLimitExceeded,
            Some(fe),
            format!(
                "{} frame overruns; the bytes after the frames ending at {fe} and later were not read as a loader that resumes there would",
                overruns.len()
            ),
        );
    }
}

/// The buffer sizes of the files a loader reads from that are tried: every power of two from
/// 4 KiB to 16 MiB. `open()` buffers by the file system's block size (4 KiB on most local file
/// systems, 128 KiB on ZFS, 1 MiB on NFS, 4 MiB on Lustre and CephFS, up to 16 MiB on GPFS),
/// or 8 KiB when it has none; joblib reads compressed files through a buffer of 1 MiB.
const FILE_BUFFERS: [u64; 13] = [
    4 << 10,
    8 << 10,
    16 << 10,
    32 << 10,
    64 << 10,
    128 << 10,
    256 << 10,
    512 << 10,
    1 << 20,
    2 << 20,
    4 << 20,
    8 << 20,
    16 << 20,
];

/// The buffers a decompressed stream is read through: not a file system's block size, but the
/// buffer its reader puts in front of the decompressor (8 KiB for `gzip.open`, `bz2.open`,
/// `lzma.open`; 1 MiB for joblib), and those of its members' readers.
const STREAM_BUFFERS: [u64; 6] = [4 << 10, 8 << 10, 16 << 10, 64 << 10, 128 << 10, 1 << 20];

/// Where frames and opcodes disagree, the streams are read again as CPython's C unpickler
/// reads them from a file object ([`FileModel`]; `read` makes one such reading): from
/// `io.BytesIO` (`torch.load`), then from a file opened with each of [`FILE_BUFFERS`]. Read
/// that way, a frame is taken whole or run on as the file object's buffer falls, and each of
/// these readings is what that loader runs. What they find that the first reading did not is
/// reported under members of their own. A reading that has read the same bytes as the first
/// by `converge` stops there ([`FileModel::converge`]). The buffer sizes are `buffers`
/// ([`FILE_BUFFERS`] or [`STREAM_BUFFERS`]); those larger than the data (`len`, when known)
/// hold all of it and read it alike: the first of them is read.
fn frame_readings(
    ctx: &mut Ctx,
    converge: Option<u64>,
    len: Option<u64>,
    buffers: &[u64],
    read: &mut dyn FnMut(&mut Ctx, FileModel) -> io::Result<()>,
) -> io::Result<()> {
    let bytes_io = FileModel {
        buffer: None,
        readinto: true,
        converge,
    };
    let mut known = Known::of(ctx);
    known.read_new(ctx, READ_WHOLE, |ctx| read(ctx, bytes_io))?;
    let larger = buffers
        .iter()
        .position(|&b| len.is_some_and(|l| b > l))
        .map_or(buffers.len(), |i| i.saturating_add(1));
    for &b in buffers.iter().take(larger) {
        let label = format!(
            "<pickle read as pickle.load reads a file with a buffer of {}>",
            machine::human_bytes(b)
        );
        let model = FileModel {
            buffer: Some(b),
            readinto: true,
            converge,
        };
        known.read_new(ctx, &label, |ctx| read(ctx, model))?;
    }
    // `gzip.open` (pandas.read_pickle) and `lzma.open`: an 8 KiB buffer with no `readinto`.
    let gzip = FileModel {
        buffer: Some(8 << 10),
        readinto: false,
        converge,
    };
    known.read_new(ctx, READ_GZIP, |ctx| read(ctx, gzip))?;
    Ok(())
}

/// The member of what the reading by an `Unpickler` loading again finds.
const READ_REUSED: &str =
    "<pickle read by one Unpickler whose load() is called again, keeping its memo>";

/// The member of what the plain reading of a joblib file finds.
const READ_PLAIN: &str =
    "<pickle read as a plain pickle.load reads a joblib file: array data as opcodes>";

/// The member of what a reading past a legacy torch file's five streams finds.
const READ_PAST_LEGACY: &str =
    "<pickle read on past the five streams of a legacy torch file: storage bytes as opcodes>";

/// A reading of bytes that the file's own loader reads as data, as a plain loader runs them as
/// opcodes: a joblib file read by a plain `pickle.load` (or `pandas.read_pickle`, `torch.load`),
/// where joblib's own loader reads each array's data from the file after the BUILD of its
/// wrapper ([`READ_PLAIN`]); a legacy torch file read on past its five streams
/// ([`READ_PAST_LEGACY`]). A payload there runs under that loader alone. The reading stops where
/// its loader would (numbers are seldom opcodes); what it adds that is critical (an import or
/// call that runs code), an import named by values made at load time (whatever its severity:
/// one that rests on an unknown class is below critical), or a limit it hit, is reported under
/// `label`. The rest is what reading
/// numbers as opcodes gives, not faults of the file, and is dropped: its breaks, and the
/// extension codes and unknown imports that bytes of data spell now and then (1 in 70 benign
/// files of joblib's old layout, 3 in 256 legacy torch files).
fn plain_reading(
    ctx: &mut Ctx,
    label: &str,
    read: impl FnOnce(&mut Ctx) -> io::Result<()>,
) -> io::Result<()> {
    let before = ctx.findings.len();
    // Its streams are not the file's: the facts count those its own loader reads.
    let streams = ctx.facts.pickle_streams;
    Known::of(ctx).read_new(ctx, label, read)?;
    ctx.facts.pickle_streams = streams;
    ctx.retain_findings_from(before, |f| {
        (f.code.kind() == crate::finding::Kind::Security
            && f.severity == crate::finding::Severity::Critical)
            || matches!(
                f.code,
                Code::PickleLimitExceeded | Code::PickleDynamicGlobal
            )
    });
    Ok(())
}

/// A reading of the whole file as another loader reads it, in a process of its own: what the
/// readings before may have changed in modules and classes
/// ([`Ctx::pickle_globals_changed`]) is not changed there (the joblib reading of a pandas
/// DataFrame calls pandas' helpers, on neither list; the plain reading has not yet).
fn in_a_fresh_process<T>(ctx: &mut Ctx, read: impl FnOnce(&mut Ctx) -> T) -> T {
    let before = std::mem::replace(&mut ctx.pickle_globals_changed, false);
    let out = read(ctx);
    ctx.pickle_globals_changed = before;
    out
}

/// The member of what the reading from `gzip.open` finds.
const READ_GZIP: &str = "<pickle read as pickle.load reads gzip.open or lzma.open>";

/// The member of what the reading from `io.BytesIO` finds.
const READ_WHOLE: &str = "<pickle read frame by frame, as io.BytesIO and torch.load read it>";

/// The findings an inspection has reported, by code, offset and message: another reading of
/// the same bytes reports only what is new ([`Known::read_new`]), so what several readings
/// see is reported once.
struct Known(std::collections::HashSet<(Code, Option<u64>, String)>);

impl Known {
    fn key(f: &crate::finding::Finding) -> (Code, Option<u64>, String) {
        (f.code, f.location.offset, f.message.clone())
    }

    fn of(ctx: &Ctx) -> Self {
        Known(ctx.findings.iter().map(Known::key).collect())
    }

    /// Runs another reading under the member `label`, keeping only the findings it adds that
    /// are not known, which then are.
    fn read_new<T: Default>(
        &mut self,
        ctx: &mut Ctx,
        label: &str,
        read: impl FnOnce(&mut Ctx) -> io::Result<T>,
    ) -> io::Result<T> {
        let before = ctx.findings.len();
        let out = ctx.enter(label, read)?;
        ctx.retain_findings_from(before, |f| !self.0.contains(&Known::key(f)));
        self.0.extend(
            ctx.findings
                .get(before..)
                .unwrap_or(&[])
                .iter()
                .map(Known::key),
        );
        Ok(out.unwrap_or_default())
    }
}

/// Reads back-to-back streams; `len` is the data's length when known, `side` what a side
/// reading shares with the other readings of its window.
fn read_streams_from(
    r: &mut dyn Skip,
    data: &[u8],
    len: Option<u64>,
    ctx: &mut Ctx,
    side: Option<Side<'_>>,
    how: How,
) -> io::Result<Streams> {
    let legacy = if data.is_empty() {
        r.fill_buf()?.starts_with(LEGACY_TORCH_PREFIX)
    } else {
        data.starts_with(LEGACY_TORCH_PREFIX)
    };
    let mut inp = Input::new(r, data, len);
    if let How::Model(model) | How::Plain(Some(model)) = how {
        inp.read_as(model);
    }
    if let Some(side) = side {
        inp.share_lines(side.start, Rc::clone(side.lines));
    }
    let mut streams = 0usize;
    let first_global = ctx.facts.globals.len();
    let mut overruns = Vec::new();
    let mut broken_at = None;
    let mut resync = false;
    let mut limited = false;
    let mut memo_missed = false;
    let mut plain_reads_on = false;
    let mut wrappers = false;
    let mut legacy_end = None;
    let mut last_cross: Option<u64> = None;
    let mut memo = None;
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
            legacy_end = Some(inp.pos);
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
        m.plain = matches!(how, How::Plain(_));
        if let Some(side) = side {
            m.visited = Some(Rc::clone(side.visited));
            m.base = side.start;
        }
        // An `Unpickler` loaded again keeps its memo: a later stream may fetch what an earlier
        // one put (`pickle.load` makes a new one each time, and there the fetch fails: a miss
        // in a later stream is read again that way).
        if let Some(kept) = memo.take() {
            m.memo = kept;
        }
        let res = m.run(&mut inp);
        let activity = m.activity;
        memo_missed |= streams > 0 && m.memo_missed;
        plain_reads_on |= m.plain_reads_on == Some(true);
        wrappers |= m.wrappers;
        last_cross = last_cross.max(m.last_cross);
        overruns.append(&mut m.overruns);
        if how == How::Reused {
            memo = Some(m.take_memo());
        }
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
            // Read on, this reading finds what the first did.
            Err(Break::Converged) => break,
            Err(Break::Resync) => {
                broken_at = Some(inp.pos);
                resync = true;
                End::Broken
            }
            Err(Break::Limit(msg)) => {
                limited = true;
                ctx.report(
                    Code::PickleLimitExceeded,
                    Some(inp.pos),
                    format!("analysis stopped: {msg}; the rest of the stream was not analysed"),
                );
                End::Limited
            }
        };
        match end {
            End::Stop => {
                // Read whole frames, the next load starts at the end of the frame buffered.
                if let Err(e) = inp.end_of_load() {
                    match e {
                        Break::Io(e) => return Err(e),
                        _ => break,
                    }
                }
            }
            End::Merged | End::Found | End::Broken | End::Limited => break,
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
    // Read without random access, the bytes the input took past the break are handed back.
    let rest = if broken_at.is_some() && len.is_none() && side.is_none() {
        inp.avail().map(<[u8]>::to_vec).unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Streams {
        format,
        overruns,
        broken_at,
        resync,
        rest,
        read: inp.pos,
        limited,
        memo_missed,
        plain_reads_on,
        wrappers,
        legacy_end,
        last_cross,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
