//! joblib's NumPy arrays inside a pickle, read the way `NumpyUnpickler` reads them: the array
//! data in the stream right after the BUILD of a `NumpyArrayWrapper`, or (joblib < 0.10) a
//! `.npy` file beside the pickle named by an `NDArrayWrapper`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Break, Input, Res, invalid};
use super::machine::{End, Machine};
use super::value::{Lookup, Ref, Value};
use crate::detect::pickle::op_name;
use crate::finding::{Code, Evidence};
use crate::formats::Ctx;
use crate::formats::member::escapes;
use crate::source::Source;
use std::io::{self, BufRead, Read};

/// The two wrappers `NumpyUnpickler.load_build` replaces by an array.
pub(super) enum Wrapper {
    /// `NumpyArrayWrapper`: the data follows in the stream.
    Inline,
    /// `NDArrayWrapper`: the data is a file beside the pickle, loaded with `allow_pickle=True`.
    File,
}

pub(super) fn joblib_wrapper(path: &str) -> Option<Wrapper> {
    match path {
        "joblib.numpy_pickle.NumpyArrayWrapper"
        | "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper" => Some(Wrapper::Inline),
        // numpy_pickle imports the compat class: the same class under both names.
        "joblib.numpy_pickle_compat.NDArrayWrapper"
        | "joblib.numpy_pickle.NDArrayWrapper"
        | "sklearn.externals.joblib.numpy_pickle_compat.NDArrayWrapper"
        | "sklearn.externals.joblib.numpy_pickle.NDArrayWrapper" => Some(Wrapper::File),
        _ => None,
    }
}

/// An attribute of the wrapper after BUILD, as `pickle._Unpickler.load_build` sets them: a
/// dict state updates `__dict__`; a 2-tuple `(dict or None, slot dict)` does that and then
/// `setattr`s the slot dict's items (so they win).
pub(super) enum Attr {
    Set(Value),
    /// Not set: reading it raises `AttributeError` (or gives the default).
    Missing,
    /// The state cannot be read exactly (not a dict, a dict with entries dropped past the
    /// cap, a value not kept): the attribute may be anything.
    Unknown,
}

pub(super) fn attr(state: &Value, name: &str) -> Attr {
    fn in_dict(d: &Value, name: &str) -> Attr {
        match d {
            Value::None | Value::EmptyDict => Attr::Missing,
            // Entries past the cap were dropped: a later one may set the name (again).
            Value::Dict(entries) if entries.borrow().dropped => Attr::Unknown,
            Value::Dict(_) => match d.dict_get(name) {
                Some(Lookup::Set(v)) => Attr::Set(v),
                Some(Lookup::Unknown) => Attr::Unknown,
                None => Attr::Missing,
            },
            _ => Attr::Unknown,
        }
    }
    match state {
        Value::Tuple { items, .. } if items.len() == 2 => {
            let (Some(dict), Some(slots)) = (items.first(), items.get(1)) else {
                return Attr::Unknown;
            };
            match in_dict(slots, name) {
                Attr::Missing => in_dict(dict, name),
                found => found,
            }
        }
        other => in_dict(other, name),
    }
}

/// Why a joblib array's byte count cannot be worked out.
struct Unresolved(String);

/// A joblib wrapper class, or an instance of one not yet built (after its BUILD the machine
/// replaces it, as `NumpyUnpickler` replaces it by the array).
fn wrapper_like(v: &Value) -> bool {
    match v {
        Value::Ref(r) | Value::Call(Some(r), _) => joblib_wrapper(r.path()).is_some(),
        Value::Tuple { items, .. } => items.iter().any(wrapper_like),
        _ => false,
    }
}

/// Calls that make a wrapper instance from the class as the first item of an argument
/// tuple, which the analysis follows (see `evaluate`).
fn makes_instance(callee: &str) -> bool {
    matches!(
        callee,
        "copyreg._reconstructor"
            | "copy_reg._reconstructor"
            | "copyreg.__newobj__"
            | "copyreg.__newobj_ex__"
    )
}

impl<'c, 'a> Machine<'c, 'a> {
    /// A wrapper class or unbuilt instance put into a list, dict or set: an instance made from
    /// it later (through any callable that takes an iterable, or hands its argument back) is
    /// read by joblib after its BUILD, and the analysis would not know it.
    #[inline(always)]
    pub(super) fn wrapper_escapes(&mut self, items: &[Value], opcode: &str, at: u64) -> Res<()> {
        // Only a stream that made a reference to a wrapper class can hold one.
        if self.wrappers {
            self.wrapper_stored(items, opcode, at)
        } else {
            Ok(())
        }
    }

    /// A tuple holding a wrapper class or unbuilt instance that was not kept (nested too
    /// deep, or past the containers' budget): where the wrapper goes from there is not
    /// followed.
    #[inline(always)]
    pub(super) fn wrapper_lost(&mut self, made: &Value, items: &[Value], at: u64) -> Res<()> {
        if self.wrappers && matches!(made, Value::Lost) && items.iter().any(wrapper_like) {
            return self.unresolved_wrapper(
                at,
                "a joblib array wrapper is held in a tuple that is not kept (nested too deep, or past the budget)".to_owned(),
            );
        }
        Ok(())
    }

    fn wrapper_stored(&mut self, items: &[Value], opcode: &str, at: u64) -> Res<()> {
        if items.iter().any(wrapper_like) {
            return self.unresolved_wrapper(
                at,
                format!("a joblib array wrapper is stored in a container ({opcode})"),
            );
        }
        Ok(())
    }

    /// Calls the analysis cannot follow to a wrapper instance: the class called with
    /// arguments (REDUCE, INST, OBJ run `__init__`, which sets attributes BUILD need not
    /// repeat), or a wrapper class or unbuilt instance handed to any call but the copyreg
    /// constructors with it first in a tuple (an identity-like call hands it back).
    pub(super) fn wrapper_call(
        &mut self,
        callee: Option<&Ref>,
        args: &Value,
        opcode: &str,
        at: u64,
    ) -> Res<()> {
        if self.plain {
            return Ok(());
        }
        let items = args.items();
        if let Some(c) = callee
            && joblib_wrapper(c.path()).is_some()
            && matches!(opcode, "REDUCE" | "INST" | "OBJ")
            && !matches!(args, Value::EmptyTuple)
        {
            return self.unresolved_wrapper(
                at,
                format!(
                    "the wrapper is made by calling it with arguments ({opcode} runs __init__)"
                ),
            );
        }
        let allowed_first = callee.is_some_and(|c| makes_instance(c.path()));
        let passed = items.iter().enumerate().any(|(i, v)| {
            wrapper_like(v) && !(allowed_first && i == 0 && matches!(v, Value::Ref(_)))
        });
        let opaque_args = !matches!(args, Value::Tuple { .. } | Value::EmptyTuple);
        // Arguments the analysis does not see (a list) may hold the class: only once a
        // wrapper class was imported in this stream.
        let unseen =
            self.wrappers && callee.is_some_and(|c| makes_instance(c.path())) && opaque_args;
        if passed || unseen {
            return self.unresolved_wrapper(
                at,
                format!("a joblib array wrapper is handed to a call ({opcode})"),
            );
        }
        Ok(())
    }

    /// The first place this reading parts from a plain `pickle.load`'s: whether that loader
    /// reads on there ([`Machine::plain_reads_on`]).
    fn parts_from_plain(&mut self, reads_on: bool) {
        if self.plain_reads_on.is_none() {
            self.plain_reads_on = Some(reads_on);
        }
    }

    fn unresolved_wrapper(&mut self, at: u64, why: String) -> Res<()> {
        let message = format!(
            "{why} at offset {at}: an instance joblib reads an array after is not followed"
        );
        self.array_unresolved(at, message, why, None)
    }

    /// `joblib-array-unresolved`, then the stream stops and the positions after it are
    /// tried as pickle starts ([`Break::Resync`]).
    fn array_unresolved(
        &mut self,
        at: u64,
        message: String,
        why: String,
        opcode: Option<&str>,
    ) -> Res<()> {
        self.activity = self.activity.saturating_add(1);
        self.parts_from_plain(true);
        self.ctx.report_with(
            Code::JoblibArrayUnresolved,
            Code::JoblibArrayUnresolved.default_severity(),
            Some(at),
            format!(
                "{message}, so the positions after it were tried as pickle starts, to the end of the data"
            ),
            Evidence {
                opcode: opcode.map(str::to_owned),
                actual: Some(why),
                ..Evidence::default()
            },
        );
        Err(Break::Resync)
    }

    /// joblib writes a NumPy array's bytes into the pickle stream right after the BUILD of
    /// its `NumpyArrayWrapper` (`joblib/numpy_pickle.py`, `read_array`): for object arrays a
    /// whole pickle of its own; else an optional alignment padding (one length byte, then that
    /// many bytes) when the wrapper has a `numpy_array_alignment_bytes` that is not None, then
    /// `prod(int64(shape))` items of `dtype.itemsize` bytes. The data is skipped exactly so;
    /// the embedded pickle is analysed. When the count cannot be worked out from the pickle
    /// (a value not kept, a state not readable), `joblib-array-unresolved`: the stream stops
    /// here and every later position is tried as a pickle start.
    /// Returns what joblib puts on the stack in the wrapper's place: a numeric array, or what
    /// an object array's pickle returned (anything: not followed, so [`Value::Lost`], which
    /// fails closed as an import operand or a callable).
    pub(super) fn joblib_array(&mut self, state: &Value, at: u64, inp: &mut Input) -> Res<Value> {
        // joblib's unpickler (the pure-Python one) has read the whole current frame into
        // memory; the array is read from the file after it, and the rest of the frame runs
        // as opcodes afterwards. A BUILD inside a frame is read in that order by no reading
        // here: every later position is tried instead.
        let layout = match self.frame_end {
            Some(fe) if fe > inp.pos => Ok(Err(Unresolved(format!(
                "the BUILD is inside a FRAME ending at {fe}: joblib reads the array from after the frame, then runs the rest of the frame"
            )))),
            _ => self.array_layout(state),
        };
        match layout? {
            Ok(Layout::Objects) => {
                // A plain loader runs it on the outer stack and memo.
                self.parts_from_plain(true);
                // joblib reads it with a plain `pickle.load`: a wrapper inside is no array.
                // This machine waits for it (its memory counts against the one budget).
                let (end, _) = self.suspended(|m| {
                    let mut sub = Machine::new(&mut *m.ctx);
                    sub.plain = true;
                    sub.run(inp)
                });
                match end? {
                    End::Stop => Ok(Value::Lost),
                    _ => invalid("embedded object-array pickle did not end"),
                }
            }
            Ok(Layout::Raw { padded, nbytes }) => {
                // A plain loader reads the padding length or the data as the next opcode.
                if (padded || nbytes > 0) && self.plain_reads_on.is_none() {
                    let next = inp.peek()?;
                    self.parts_from_plain(next.is_some_and(|b| op_name(b) != "UNKNOWN"));
                }
                if padded {
                    let pad = inp.byte("joblib alignment padding")?;
                    inp.take(u64::from(pad), 0, "joblib alignment padding")?;
                }
                self.check_declared(inp, nbytes, inp.pos, "joblib array data");
                inp.take(nbytes, 0, "joblib array data")?;
                Ok(Value::Opaque)
            }
            Err(Unresolved(why)) => {
                let message = format!(
                    "the joblib array built at offset {at} cannot be sized as joblib reads it ({why}): where its data ends and the pickle goes on is unknown"
                );
                self.array_unresolved(at, message, why, Some("BUILD"))
                    .map(|()| Value::Opaque)
            }
        }
    }

    /// BUILD with `state` on the stack top, which is no dtype the analysis tracks: whether it
    /// may be a dtype all the same (anything but what a vetted call or class made fresh) given
    /// a state `dtype.__setstate__` takes (a tuple of 7 to 9 items, a version first, integers
    /// where the item size and alignment go) or one not readable. Unlike
    /// [`Machine::build_may_change_globals`], an instance of a class on neither list made from
    /// nothing counts: `numpy.dtypes.Float64DType()` is numpy's one `float64` dtype.
    pub(super) fn build_may_change_a_dtype(&self, state: &Value) -> Res<bool> {
        let fresh = match self.top()? {
            Value::Call(Some(r), _) => self.ctx.policy.makes_new_objects(r.module(), r.name()),
            _ => false,
        };
        // `(version, endian, subarray, names, fields, elsize, alignment[, flags[, metadata]])`
        // (numpy 2 refuses the shorter forms): a version, and an item size and alignment that
        // may be integers (anything with `__index__`).
        let int_like = |v: Option<&Value>| {
            !matches!(
                v,
                None | Some(
                    Value::Str(_)
                        | Value::Short(_)
                        | Value::Bytes(_)
                        | Value::Tuple { .. }
                        | Value::EmptyTuple
                        | Value::Dict(_)
                        | Value::EmptyDict
                        | Value::None
                )
            )
        };
        let dtype_like = |items: &[Value]| {
            (7..=9).contains(&items.len())
                && matches!(items.first(), Some(Value::Int(_)))
                && int_like(items.get(5))
                && int_like(items.get(6))
        };
        Ok(!fresh
            && match state {
                Value::Tuple { .. } => dtype_like(state.items()),
                Value::Lost | Value::Call(..) => true,
                _ => false,
            })
    }

    /// How the array's data is laid out, or why that cannot be told. `Err` only where the
    /// loader itself fails (the load stops there).
    fn array_layout(&self, state: &Value) -> Res<Result<Layout, Unresolved>> {
        let unresolved = |why: &str| Ok(Err(Unresolved(why.to_owned())));
        let dtype = match attr(state, "dtype") {
            Attr::Set(Value::Dtype(d)) => d,
            Attr::Missing => return invalid("joblib array wrapper has no dtype"),
            Attr::Set(Value::Lost) | Attr::Unknown => {
                return unresolved("its state is not readable");
            }
            Attr::Set(v) => {
                return unresolved(&format!("its dtype is {}", self.describe(&v)));
            }
        };
        let dtype = dtype.borrow();
        let shape = match attr(state, "shape") {
            Attr::Set(Value::EmptyTuple) => Some(Vec::new()),
            Attr::Set(t @ Value::Tuple { .. }) => t
                .items()
                .iter()
                .map(|d| match d {
                    Value::Int(n) => Some(*n),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>(),
            Attr::Missing => return invalid("joblib array wrapper has no shape"),
            _ => None,
        };
        let Some(shape) = shape else {
            return unresolved("its shape is not a tuple of integers kept by the analysis");
        };
        if self.dtype_may_have_changed {
            return unresolved(
                "a BUILD before it gave an object not known exactly a state numpy.dtype.__setstate__ takes: the dtype may have changed unseen",
            );
        }
        match dtype.has_object() {
            Some(true) => return Ok(Ok(Layout::Objects)),
            Some(false) => {}
            None => {
                return unresolved(&format!(
                    "the state set on its dtype {:?} is not readable",
                    dtype.spec
                ));
            }
        }
        let Some(itemsize) = dtype.itemsize() else {
            return unresolved(&format!(
                "the item size of dtype {:?} is not known",
                dtype.spec
            ));
        };
        // `numpy.multiply.reduce` over int64: wraps on overflow; a negative count makes
        // `numpy.empty` raise.
        let count = shape.iter().fold(1i64, |a, &d| a.wrapping_mul(d));
        let Ok(count) = u64::try_from(count) else {
            return invalid(format!("joblib array of negative size {count}"));
        };
        if itemsize == 0 {
            // `BUFFER_SIZE // min(BUFFER_SIZE, 0)`: joblib raises ZeroDivisionError.
            return invalid("joblib array of zero-size items");
        }
        let Some(nbytes) = count.checked_mul(itemsize) else {
            return invalid("joblib array size overflows");
        };
        let padded = match attr(state, "numpy_array_alignment_bytes") {
            Attr::Missing | Attr::Set(Value::None) => false,
            Attr::Set(Value::Lost) | Attr::Unknown => {
                return unresolved("whether it is padded is not readable");
            }
            Attr::Set(_) => true,
        };
        Ok(Ok(Layout::Raw { padded, nbytes }))
    }

    /// `NDArrayWrapper.read` (joblib < 0.10) loads `os.path.join(<the pickle's directory>,
    /// filename)` with `numpy.load(..., allow_pickle=True)`: a name that leaves the directory,
    /// or one not known from the pickle, loads a file the scan never saw, and a pickle in it
    /// runs.
    pub(super) fn joblib_array_file(&mut self, state: &Value, at: u64) {
        let name = match attr(state, "filename") {
            Attr::Set(v) => v.text().map(str::to_owned).ok_or_else(|| self.describe(&v)),
            // No filename: the load fails with AttributeError.
            Attr::Missing => return,
            Attr::Unknown => Err("a state that is not readable".to_owned()),
        };
        let (message, actual) = match name {
            Ok(n) if !escapes(n.as_bytes()) && !n.contains("://") => {
                // Whether the scan inspected that file is told once every file is read
                // (`scan`): here only the name is known. A wrapper inside an archive member,
                // a name longer than facts keep, or one past the facts' cap names a file no
                // other file report stands for.
                let limits = self.ctx.limits;
                let facts = &mut self.ctx.facts.joblib_array_files;
                if self.ctx.member.is_empty()
                    && n.len() <= limits.max_fact_string
                    && (facts.contains(&n) || facts.len() < limits.max_fact_entries)
                {
                    facts.insert(n);
                    return;
                }
                (
                    format!(
                        "a legacy joblib NDArrayWrapper at offset {at} loads {n:?} with allow_pickle=True, a file this scan does not follow from here (inside an archive member, a name over {} bytes, or past {} such names)",
                        limits.max_fact_string, limits.max_fact_entries
                    ),
                    n,
                )
            }
            Ok(n) => (
                format!(
                    "a legacy joblib NDArrayWrapper at offset {at} loads {n:?} with allow_pickle=True: the path leaves the pickle's directory"
                ),
                n,
            ),
            Err(what) => (
                format!(
                    "a legacy joblib NDArrayWrapper at offset {at} loads a file named by {what} with allow_pickle=True"
                ),
                what,
            ),
        };
        self.activity = self.activity.saturating_add(1);
        self.ctx.report_with(
            Code::JoblibExternalArray,
            Code::JoblibExternalArray.default_severity(),
            Some(at),
            message,
            Evidence {
                opcode: Some("BUILD".into()),
                actual: Some(actual),
                ..Evidence::default()
            },
        );
    }
}

/// After `joblib-array-unresolved` at `from`: every later position, to the end of the file, is
/// tried as a pickle start ([`super::reinterpret`]), one window of [`super::RESYNC_WINDOW`]
/// positions at a time so that memory stays that of one window and the bytes read ahead of
/// it (as many again). Readings that leave a window
/// read on in the file. The work is one pass over the positions plus the file's budget of
/// re-read opcodes (`max_reread_opcodes`), which all windows share: once it is spent, the
/// positions not tried are `pickle-limit-exceeded` and the windows stop. They stop too once a
/// dangerous reading read in full finds something critical, or the file's full readings are
/// spent (see [`super::reinterpret`]): a decoy in one window does not end the search.
pub(super) fn resync_to_end(
    src: &dyn Source,
    from: u64,
    search: super::Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let (only, why) = super::after_break(true);
    let mut at = from;
    while at < src.len() {
        if budget_spent(ctx) {
            let b = search.base;
            return untried_rest(
                ctx,
                at.saturating_add(b),
                src.len().saturating_add(b),
                from.saturating_add(b),
            );
        }
        let stop = at.saturating_add(super::RESYNC_WINDOW).min(src.len());
        if super::reinterpret(src, at, stop, only, why, search, ctx)? {
            return Ok(());
        }
        at = stop;
    }
    Ok(())
}

/// [`resync_to_end`] for data read without random access (a decompressing reader): `tail`
/// holds the bytes after the break at `from` already read; the rest is read a window at a
/// time, each window tried with the next window in memory behind it for readings to run on
/// (a reading that needs more stops at the end of that, as after any break in a stream).
pub(super) fn resync_stream(
    r: &mut dyn BufRead,
    mut tail: Vec<u8>,
    from: u64,
    search: super::Search<'_>,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let (only, why) = super::after_break(true);
    let window = super::RESYNC_WINDOW;
    let mut base = from;
    loop {
        let want = window.saturating_mul(2);
        let more = want.saturating_sub(tail.len() as u64);
        // Best effort: a decoder that fails past the break (corrupt data) leaves what it
        // produced in `tail`; the main reading already reported the stream's state.
        let _ = io::Read::take(&mut *r, more).read_to_end(&mut tail);
        if tail.is_empty() {
            return Ok(());
        }
        if budget_spent(ctx) {
            let end = base.saturating_add(tail.len() as u64);
            return untried_rest(ctx, base, end, from);
        }
        let stop = window.min(tail.len() as u64);
        let search = super::Search { base, ..search };
        if super::reinterpret(&tail, 0, stop, only, why, search, ctx)?
            || (tail.len() as u64) <= window
        {
            return Ok(());
        }
        let n = usize::try_from(stop).unwrap_or(tail.len());
        tail.drain(..n);
        base = base.saturating_add(stop);
    }
}

fn budget_spent(ctx: &Ctx) -> bool {
    let b = ctx.budget();
    b.reread_left() == 0 || b.pickle_opcodes() >= b.max_pickle_opcodes()
}

fn untried_rest(ctx: &mut Ctx, at: u64, end: u64, from: u64) -> io::Result<()> {
    ctx.report(
        Code::PickleLimitExceeded,
        Some(at),
        format!(
            "the {} bytes from offset {at} on, after the unresolved joblib array ending at or after {from}, were not tried as pickle starts: the file's opcode budget ({} for such readings, {} in all) is spent",
            end.saturating_sub(at),
            ctx.limits.max_reread_opcodes,
            ctx.limits.max_pickle_opcodes
        ),
    );
    Ok(())
}

enum Layout {
    /// `dtype.hasobject`: a whole pickle follows.
    Objects,
    Raw {
        padded: bool,
        nbytes: u64,
    },
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use crate::finding::Code;
    use crate::formats::Ctx;
    use crate::limits::Limits;
    use crate::policy::Policy;

    /// A wrapper class appended to a list: `joblib-array-unresolved` at the APPEND.
    const UNRESOLVED: &[u8] = b"\x80\x02]cjoblib.numpy_pickle\nNumpyArrayWrapper\na";
    const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";

    /// The unresolved array, `gap` bytes no reading starts at, then the payload.
    fn with_gap(gap: usize, filler: u8) -> Vec<u8> {
        let mut bytes = UNRESOLVED.to_vec();
        bytes.resize(UNRESOLVED.len() + gap, filler);
        bytes.extend_from_slice(MAL);
        bytes
    }

    fn codes(bytes: &[u8], limits: &Limits, stream: bool) -> Vec<Code> {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &policy, "m.joblib");
        if stream {
            super::super::inspect_stream(&mut &bytes[..], None, &mut ctx).unwrap();
        } else {
            super::super::inspect(&bytes.to_vec(), &mut ctx).unwrap();
        }
        ctx.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_payload_far_after_an_unresolved_array_is_found_to_the_end_of_the_file() {
        // 0xff is no opcode: no reading starts in the gap. The payload is 3 MiB on, past
        // any one window of positions.
        let bytes = with_gap(3 << 20, 0xff);
        for stream in [false, true] {
            let found = codes(&bytes, &Limits::default(), stream);
            assert!(found.contains(&Code::JoblibArrayUnresolved), "{found:?}");
            assert!(
                found.contains(&Code::PickleDangerousCall),
                "stream {stream}: {found:?}"
            );
        }
    }

    #[test]
    fn a_decoy_in_one_window_does_not_end_the_search_of_the_next() {
        // An unknown import (medium) right after the array, then 3 MiB where no reading
        // starts, then the payload, windows later.
        let mut bytes = UNRESOLVED.to_vec();
        bytes.extend_from_slice(b"cmylib\nx\n0.");
        bytes.resize(bytes.len() + (3 << 20), 0xff);
        bytes.extend_from_slice(MAL);
        for stream in [false, true] {
            let found = codes(&bytes, &Limits::default(), stream);
            assert!(found.contains(&Code::PickleUnknownGlobal), "{found:?}");
            assert!(
                found.contains(&Code::PickleDangerousCall),
                "stream {stream}: {found:?}"
            );
        }
    }

    #[test]
    fn readings_after_an_unresolved_array_stop_when_the_budget_is_spent() {
        // NONE opcodes: each reading pushes until the next one; the budget runs out long
        // before the payload, which is then not reached: the positions left are a finding.
        let bytes = with_gap(3 << 20, b'N');
        let limits = Limits {
            max_reread_opcodes: 10_000,
            ..Limits::default()
        };
        for stream in [false, true] {
            let found = codes(&bytes, &limits, stream);
            assert!(
                found.contains(&Code::PickleLimitExceeded),
                "stream {stream}: {found:?}"
            );
            assert!(!found.contains(&Code::PickleDangerousCall), "{found:?}");
        }
    }
}
