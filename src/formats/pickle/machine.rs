//! The interpreter's state: stack, mark stack with its fence, memo, what this stream has
//! reported; and the values it reads from the stream (strings, bytes, memo entries).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::MAX_GLOBAL_FACTS;
use super::input::{Break, Input, Res, invalid};
use super::memo::{Memo, Put, Slot, bit_get, map_bytes, map_growth};
use super::value::{
    Blob, DictVal, Made, SHORT, Short, VALUE_OVERHEAD, Value, live_container_bytes, live_kept_bytes,
};
use crate::finding::{Code, Evidence};
use crate::formats::Ctx;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub(super) enum End {
    /// STOP reached.
    Stop,
    /// A side reading reached a position an earlier reading passed in the same inert state:
    /// what follows was already analysed.
    Merged,
    /// A side reading found something dangerous: that is all it asks (it goes no further, so
    /// it marks no position past its finding as passed).
    Found,
    /// The stream broke; what ran before the break is reported.
    Broken,
    /// A limit was hit; the rest was not analysed.
    Limited,
}

pub(super) struct Machine<'c, 'a> {
    pub(super) ctx: &'c mut Ctx<'a>,
    pub(super) stack: Vec<Value>,
    /// Stack lengths where MARKs were pushed (at most `max_pickle_stack`).
    pub(super) marks: Vec<u32>,
    pub(super) memo: Memo,
    pub(super) frame_end: Option<u64>,
    pub(super) frame_overrun_reported: bool,
    /// The end of the last opcode read across a frame's end, of the last STOP inside a frame
    /// or FRAME inside a frame (see [`super::input::FileModel::converge`]).
    pub(super) last_cross: Option<u64>,
    /// The stream stopped inside a frame ([`Machine::stop_in_frame`]).
    pub(super) stopped_in_frame: bool,
    /// (module, name) pairs and (callee, opcode) pairs already reported in this stream.
    pub(super) seen_globals: foldhash::HashMap<Box<str>, usize>,
    /// Reused for [`Machine::import`]'s lookup key and the two lines of `GLOBAL`/`INST`.
    pub(super) key_buf: String,
    pub(super) line_bufs: [Vec<u8>; 2],
    pub(super) seen_calls: foldhash::HashMap<Box<str>, usize>,
    /// Bytes handed to a loader and scanned already, by address (kept alive here, so an
    /// address is never reused for other bytes).
    pub(super) nested_seen: foldhash::HashMap<usize, Rc<Blob>>,
    /// Extension codes already reported in this stream, and their fact.
    pub(super) ext_seen: foldhash::HashMap<(u32, bool), usize>,
    /// Imports and calls this stream found (to tell a broken payload from trailing junk).
    pub(super) activity: u64,
    /// Frames an opcode ran past: (frame end, end of the opcode's argument).
    pub(super) overruns: Vec<(u64, u64)>,
    /// Attributes set on globals by BUILD (`numpy.prod.a = "os"`): a later import of that
    /// dotted name yields the value set, as it would at load time.
    pub(super) attrs: HashMap<String, Value>,
    /// Values on the stack that are [`Value::interesting`].
    pub(super) hot: usize,
    /// For side readings: positions passed in an inert state by earlier readings.
    pub(super) visited: Option<Rc<RefCell<Visited>>>,
    /// Offset of this reading's start in the source (for `visited`).
    pub(super) base: u64,
    pub(super) exhaustion_reported: bool,
    /// A memo entry was fetched that this stream had not put.
    pub(super) memo_missed: bool,
    /// NEXT_BUFFER was reported in this stream.
    pub(super) oob_reported: bool,
    /// A higher-order helper ([`Helper`](super::judge::Helper)) was imported or reached in
    /// this stream: its uses are judged ([`Machine::loose`] has nothing to look for until then).
    pub(super) helpers: bool,
    /// (helper, what it was given) pairs already reported in this stream.
    pub(super) judged: foldhash::HashSet<Box<str>>,
    /// A joblib array wrapper class was imported in this stream.
    pub(super) wrappers: bool,
    /// Where this stream's reading first parts from a plain `pickle.load`'s (array data read,
    /// or where it goes on unknown): whether that loader reads on there (the next byte is an
    /// opcode; modern joblib writes an alignment length of 1 to 16 first, which is none).
    pub(super) plain_reads_on: Option<bool>,
    /// Read as a plain `pickle.load` reads it (an object array's pickle inside a joblib
    /// file): array wrappers are ordinary objects, no array bytes follow their BUILD.
    pub(super) plain: bool,
    /// Opcodes this machine may still run (see [`Machine::run`]).
    pub(super) opcodes_left: u64,
    /// Opcodes run and not yet charged to the facts and the file's budget.
    pub(super) opcodes_run: u64,
    /// The buffer of [`Machine::pop_mark`].
    pub(super) scratch: Vec<Value>,
    /// Bytes of the names in `attrs`.
    pub(super) attr_bytes: usize,
    /// What this machine's stack, MARKs and memo may hold ([`Room`]).
    pub(super) room: Room,
    /// joblib array wrapper instances made and not yet built (see
    /// [`Machine::container_budget`]).
    pub(super) awaiting_build: usize,
    /// A BUILD gave an object the analysis does not know exactly (what an unvetted call
    /// returned: `numpy.result_type(d)` is `d`) a state `dtype.__setstate__` takes (a tuple of 7
    /// to 9 items) or one not readable: a dtype may have changed unseen, so no dtype's layout
    /// is told from then on (found by review: joblib then unpickled what was skipped as raw).
    pub(super) dtype_may_have_changed: bool,
    /// Heap bytes of the import and call facts this machine recorded and the keys it
    /// remembers them by (counted against `max_pickle_memory`).
    pub(super) fact_bytes: usize,
    /// Memo indices past an i64 met so far, by digest, and the memo slot each was given
    /// ([`Machine::memo_put_huge`]).
    pub(super) huge: foldhash::HashMap<u128, u64>,
    /// Where [`Machine::shed_stack_strings`] goes on (stack slots below it were looked at).
    pub(super) shed_from: usize,
    /// Values walked to tell whether what goes out of sight may be a global (see
    /// [`Machine::hidden`]).
    pub(super) store_walked: u64,
}

/// The memo slot of the first index past an i64 ([`Machine::memo_put_huge`]); no index a
/// pickle gives in full reaches it.
const HUGE_SLOTS: u64 = i64::MAX as u64 + 1;

/// Bytes an entry of [`Machine::huge`] takes in its table (aligned to its key's 16 bytes).
const HUGE_ENTRY: usize = std::mem::size_of::<(u128, u64)>();

thread_local! {
    /// Stack slots and MARKs, and memo bytes, held by machines of this thread that wait for a
    /// nested inspection to end (bytes handed to `pickle.loads`, six levels deep at most).
    static SUSPENDED: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
    /// Heap bytes the stacks, MARKs and memos of those machines hold ([`Machine::held_bytes`]).
    static SUSPENDED_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// A nested machine stopped at a limit of its [`Room`] while machines waited for it.
    static CRAMPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What one machine's stack and MARKs (each), and memo, may hold: the limits, less what the
/// machines waiting for it hold (their memory is alive as long as it runs).
#[derive(Clone, Copy)]
pub(super) struct Room {
    pub(super) slots: usize,
    memo_soft: usize,
    memo_hard: usize,
    /// Slots and memo bytes taken by the machines waiting.
    taken: (usize, usize),
}

impl Room {
    fn left(limits: &crate::limits::Limits) -> Room {
        let taken = SUSPENDED.with(|c| c.get());
        Room {
            slots: limits.max_pickle_stack.saturating_sub(taken.0),
            // The soft budget is not shared: past it values are only marked, and a nested
            // pickle's own names would fail closed for what its outer pickles memoized.
            memo_soft: limits.max_memo_kept_bytes,
            memo_hard: limits
                .max_memo_kept_bytes
                .saturating_mul(2)
                .saturating_sub(taken.1),
            taken,
        }
    }

    /// A limit of this room was reached: noted when machines wait for this one (the nested
    /// inspection then fails closed, [`Machine::suspended`]).
    pub(super) fn reached(&self) {
        if self.taken != (0, 0) {
            CRAMPED.with(|c| c.set(true));
        }
    }

    /// For messages: what the waiting machines hold, when they hold anything.
    fn nested(&self) -> String {
        if self.taken == (0, 0) {
            String::new()
        } else {
            format!(
                " (the pickles this one is nested in hold {} stack slots and MARKs and {} of memo)",
                self.taken.0,
                human_bytes(self.taken.1 as u64)
            )
        }
    }
}

impl Machine<'_, '_> {
    /// Runs `f` (a nested inspection) with what this machine holds counted as taken; also
    /// returns whether a machine in it stopped at a limit of the room left ([`Room::reached`]).
    pub(super) fn suspended<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, bool) {
        let before = CRAMPED.with(|c| c.replace(false));
        let held = (
            self.stack.len().saturating_add(self.marks.len()),
            self.memo.cost(),
        );
        let bytes = self.own_bytes();
        SUSPENDED.with(|c| {
            let (s, m) = c.get();
            c.set((s.saturating_add(held.0), m.saturating_add(held.1)));
        });
        SUSPENDED_HELD.with(|c| c.set(c.get().saturating_add(bytes)));
        let out = f(self);
        SUSPENDED.with(|c| {
            let (s, m) = c.get();
            c.set((s.saturating_sub(held.0), m.saturating_sub(held.1)));
        });
        SUSPENDED_HELD.with(|c| c.set(c.get().saturating_sub(bytes)));
        let cramped = CRAMPED.with(|c| c.replace(before));
        (out, cramped)
    }
}

#[cfg(test)]
thread_local! {
    /// The most a machine of this thread was seen to hold, everything counted (as
    /// `max_pickle_memory` counts it), since [`reset_peak_held`].
    static PEAK_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
pub(super) fn reset_peak_held() {
    PEAK_HELD.with(|p| p.set(0));
}

#[cfg(test)]
pub(super) fn peak_held() -> usize {
    PEAK_HELD.with(|p| p.get())
}

/// Bytes of attribute names BUILD on globals may record in one stream.
const MAX_ATTR_NAME_BYTES: usize = 1 << 20;

/// Bytes of containers past `max_pickle_container_bytes` that the state of a joblib array
/// wrapper awaiting its BUILD may take (its dict, shape and dtype), so that a file of many
/// containers does not leave its arrays unreadable. A wrapper made and never built keeps it
/// open; it stays bounded.
const WRAPPER_STATE_RESERVE: usize = 4 << 20;

/// Bytes of `min_pickle_table_bytes` that strings short enough to be a name may take when
/// strings and containers have taken the rest of `max_pickle_memory` ([`Machine::keep`]).
const NAME_SLACK: usize = 1 << 20;

/// Stack slots at the top that [`Machine::shed_stack_strings`] never lets go (a name and
/// the module pushed before it, the items of the call or tuple being built).
const SHED_KEPT_TOP: usize = 64;

/// Items whose buffer [`Machine::recycle`] keeps (24 bytes each).
const SCRATCH_KEPT: usize = 1 << 16;

/// Positions (as opcode starts) that side readings have passed with nothing interesting on
/// the stack, in the memo or in attributes. From such a position, any later reading in the
/// same inert state runs the same opcodes with the same effect on what aibom tracks, so it
/// stops there: every position is tried as a start, and the total work stays linear.
pub(super) struct Visited {
    start: u64,
    bits: Vec<u64>,
}

impl Visited {
    pub(super) fn new(start: u64, len: u64) -> Self {
        let words = usize::try_from(len.div_ceil(64)).unwrap_or(0);
        Visited {
            start,
            bits: vec![0; words],
        }
    }

    /// Marks `pos`; returns true when it was already marked (positions outside the window
    /// are never marked).
    #[inline]
    pub(super) fn mark(&mut self, pos: u64) -> bool {
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

    pub(super) fn is_marked(&self, pos: u64) -> bool {
        pos.checked_sub(self.start)
            .is_some_and(|i| bit_get(&self.bits, i))
    }
}

impl<'c, 'a> Machine<'c, 'a> {
    pub(super) fn new(ctx: &'c mut Ctx<'a>) -> Self {
        let ctx_limits = ctx.limits;
        // One seed for every map of this machine (each is keyed by strings from the stream).
        let hasher = foldhash::fast::RandomState::default();
        Machine {
            ctx,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::new(&hasher),
            frame_end: None,
            frame_overrun_reported: false,
            last_cross: None,
            stopped_in_frame: false,
            seen_globals: foldhash::HashMap::with_hasher(hasher.clone()),
            key_buf: String::new(),
            line_bufs: [Vec::new(), Vec::new()],
            seen_calls: foldhash::HashMap::with_hasher(hasher.clone()),
            ext_seen: foldhash::HashMap::with_hasher(hasher.clone()),
            huge: foldhash::HashMap::with_hasher(hasher.clone()),
            nested_seen: foldhash::HashMap::with_hasher(hasher.clone()),
            activity: 0,
            overruns: Vec::new(),
            attrs: HashMap::new(),
            hot: 0,
            visited: None,
            base: 0,
            exhaustion_reported: false,
            oob_reported: false,
            memo_missed: false,
            helpers: false,
            judged: foldhash::HashSet::with_hasher(hasher),
            wrappers: false,
            plain_reads_on: None,
            plain: false,
            opcodes_left: 0,
            opcodes_run: 0,
            scratch: Vec::new(),
            awaiting_build: 0,
            dtype_may_have_changed: false,
            fact_bytes: 0,
            attr_bytes: 0,
            room: Room::left(ctx_limits),
            shed_from: 0,
            store_walked: 0,
        }
    }

    /// What tuples, dicts and dtypes may hold at once: `max_pickle_container_bytes`, and
    /// [`WRAPPER_STATE_RESERVE`] more while a joblib array wrapper awaits its BUILD.
    #[inline]
    pub(super) fn container_budget(&self) -> usize {
        let budget = self.ctx.limits.max_pickle_container_bytes;
        let budget = if self.awaiting_build > 0 {
            budget.saturating_add(WRAPPER_STATE_RESERVE)
        } else {
            budget
        };
        budget.min(live_container_bytes().saturating_add(self.memory_left()))
    }

    /// Heap bytes this machine's stack, MARKs, scratch buffer and memo hold.
    fn own_bytes(&self) -> usize {
        self.stack
            .capacity()
            .saturating_add(self.scratch.capacity())
            .saturating_mul(std::mem::size_of::<Value>())
            .saturating_add(self.marks.capacity().saturating_mul(4))
            .saturating_add(self.memo.heap_bytes())
            .saturating_add(map_bytes(self.huge.capacity(), HUGE_ENTRY))
    }

    /// Bytes strings, bytes and containers may still take within `max_pickle_memory`: what
    /// the stacks, MARKs and memos of this machine and those waiting for it (at least
    /// `min_pickle_table_bytes`), and the strings, bytes and containers alive, leave.
    pub(super) fn memory_left(&self) -> usize {
        self.free_bytes(self.ctx.limits.min_pickle_table_bytes)
    }

    /// `max_pickle_memory` less what is held, the tables counted as at least `tables`.
    fn free_bytes(&self, tables: usize) -> usize {
        let own = self.own_bytes();
        // The findings listed so far count too (10,000 critical ones of long names hold
        // tens of MB).
        let values = live_kept_bytes()
            .saturating_add(live_container_bytes())
            .saturating_add(self.ctx.findings_bytes)
            .saturating_add(self.fact_bytes);
        let suspended = SUSPENDED_HELD.with(|c| c.get());
        #[cfg(test)]
        PEAK_HELD.with(|p| {
            p.set(
                p.get()
                    .max(suspended.saturating_add(own).saturating_add(values)),
            )
        });
        let held = suspended
            .saturating_add(own.max(tables))
            .saturating_add(values);
        self.ctx.limits.max_pickle_memory.saturating_sub(held)
    }

    /// Whether the stack, MARKs or memo may take `n` bytes more within `max_pickle_memory`;
    /// when they may not, memo values past references (strings, bytes, containers: a GET of
    /// them then reads back lost) are let go first.
    fn table_room(&mut self, n: usize) -> bool {
        if self.free_bytes(0) >= n {
            return true;
        }
        self.memo.shed();
        self.free_bytes(0) >= n
    }

    /// The limit error for tables that found no room ([`Machine::table_room`]).
    fn out_of_memory(&self, what: &str) -> Break {
        self.room.reached();
        Break::Limit(format!(
            "{what}: the analysis of this pickle would hold more than {} at once{}",
            human_bytes(self.ctx.limits.max_pickle_memory as u64),
            self.room.nested()
        ))
    }

    /// How many slots of `unit` bytes a full buffer of `len` (at most `room.slots`) grows by:
    /// by half while there is room within `max_pickle_memory`, by less as room runs out (the
    /// last slots within the budget are used, not refused for want of half again); none when
    /// even `min` slots find no room.
    #[cold]
    fn growth_step(&mut self, len: usize, unit: usize, min: usize) -> Option<usize> {
        let left = self.room.slots.saturating_sub(len).max(1);
        [len / 2, len / 16, min].into_iter().find_map(|more| {
            let more = more.max(min).min(left);
            self.table_room(more.saturating_mul(unit)).then_some(more)
        })
    }

    /// Grows the stack for its next push ([`Machine::growth_step`]).
    #[cold]
    fn grow_stack(&mut self) -> Res<()> {
        let len = self.stack.len();
        let Some(more) = self.growth_step(len, std::mem::size_of::<Value>(), 256) else {
            return Err(self.out_of_memory(&format!("a stack of {len} objects")));
        };
        self.stack.reserve_exact(more);
        Ok(())
    }

    /// Pushes a MARK at the stack's length, growing the MARK stack as the stack grows.
    pub(super) fn push_mark(&mut self) -> Res<()> {
        if self.marks.len() >= self.room.slots {
            self.room.reached();
            return Err(Break::Limit(format!(
                "more than {} open MARKs{}",
                self.room.slots,
                self.room.nested()
            )));
        }
        let Ok(k) = u32::try_from(self.stack.len()) else {
            return Err(Break::Limit("a MARK past 2^32 stack slots".to_owned()));
        };
        if self.marks.len() == self.marks.capacity() {
            let len = self.marks.len();
            let Some(more) = self.growth_step(len, 4, 64) else {
                return Err(self.out_of_memory(&format!("{len} open MARKs")));
            };
            self.marks.reserve_exact(more);
        }
        self.marks.push(k);
        Ok(())
    }

    /// The memo, for the next stream of a loader that keeps it; this machine's is empty.
    pub(super) fn take_memo(&mut self) -> Memo {
        let empty = Memo::new(&foldhash::fast::RandomState::default());
        std::mem::replace(&mut self.memo, empty)
    }

    #[inline]
    fn cool(&mut self, removed: &[Value]) {
        let n = removed.iter().filter(|v| v.interesting()).count();
        self.hot = self.hot.saturating_sub(n);
    }

    #[inline]
    pub(super) fn fence(&self) -> usize {
        self.marks.last().map_or(0, |&k| k as usize)
    }

    #[inline(always)]
    pub(super) fn push(&mut self, v: Value) -> Res<()> {
        if self.stack.len() >= self.room.slots {
            self.room.reached();
            return Err(Break::Limit(format!(
                "stack deeper than {} objects{}",
                self.room.slots,
                self.room.nested()
            )));
        }
        if self.stack.len() == self.stack.capacity() {
            self.grow_stack()?;
        }
        if v.interesting() {
            self.hot = self.hot.saturating_add(1);
        }
        self.stack.push(v);
        Ok(())
    }

    #[inline(always)]
    pub(super) fn pop(&mut self) -> Res<Value> {
        if self.stack.len() <= self.fence() {
            return invalid("unpickling stack underflow");
        }
        let v = self.stack.pop().unwrap_or(Value::Opaque);
        if v.interesting() {
            self.hot = self.hot.saturating_sub(1);
        }
        Ok(v)
    }

    pub(super) fn top(&self) -> Res<&Value> {
        if self.stack.len() <= self.fence() {
            return invalid("unpickling stack underflow");
        }
        self.stack
            .last()
            .map_or_else(|| invalid("unpickling stack underflow"), Ok)
    }

    /// The top `n` (1 to 3) values as a tuple's items, in one allocation of exactly their
    /// size (TUPLE1-3, the commonest containers in opcode-heavy pickles). The caller checked
    /// that the stack holds them above the fence and took their heat off `hot`.
    #[inline]
    pub(super) fn pop_tuple_items(&mut self, n: usize) -> Rc<[Value]> {
        let mut take = || self.stack.pop().unwrap_or(Value::Opaque);
        match n {
            1 => Rc::new([take()]) as Rc<[Value]>,
            2 => {
                let b = take();
                Rc::new([take(), b]) as Rc<[Value]>
            }
            _ => {
                let c = take();
                let b = take();
                Rc::new([take(), b, c]) as Rc<[Value]>
            }
        }
    }

    /// Pops the items above the last MARK, into the reused buffer (no allocation per
    /// container): what a container is built from is taken out or cloned, and the buffer handed
    /// back with [`Machine::recycle`].
    #[inline]
    pub(super) fn pop_mark(&mut self) -> Res<Vec<Value>> {
        let Some(k) = self.marks.pop().map(|k| k as usize) else {
            return invalid("could not find MARK");
        };
        let k = k.min(self.stack.len());
        let items = if self.stack.len().saturating_sub(k) > SCRATCH_KEPT.max(k) {
            // Most of a large stack: it becomes the items (no copy of a million values beside
            // them), and what lies below the MARK a new stack.
            let mut all = std::mem::take(&mut self.stack);
            self.stack = all.drain(..k).collect();
            all
        } else {
            let n = self.stack.len().saturating_sub(k);
            let more = n.saturating_sub(self.scratch.capacity());
            if more > 0 && !self.table_room(more.saturating_mul(std::mem::size_of::<Value>())) {
                return Err(self.out_of_memory(&format!("a container of {n} items")));
            }
            let mut items = std::mem::take(&mut self.scratch);
            items.extend(self.stack.drain(k..));
            items
        };
        self.cool(&items);
        Ok(items)
    }

    /// Drops what a container's items were and keeps their buffer for the next one (up to a
    /// size that a pickle of ordinary containers does not pass).
    #[inline]
    pub(super) fn recycle(&mut self, mut items: Vec<Value>) {
        items.clear();
        if items.capacity() <= SCRATCH_KEPT {
            self.scratch = items;
        }
    }

    /// How many of `n` bytes to keep: all of them while the live kept bytes of this thread
    /// (this file) stay within `max_pickle_kept_bytes` and one value within
    /// `max_kept_value`; else a prefix, or nothing (a value not kept whole is never used
    /// as a name: it fails closed).
    pub(super) fn keep(&mut self, n: u64) -> usize {
        let kept = self.kept_room(n);
        if kept as u64 >= n || n > self.ctx.limits.max_global_name as u64 {
            return kept;
        }
        let need = usize::try_from(n)
            .unwrap_or(usize::MAX)
            .saturating_add(VALUE_OVERHEAD);
        if self.shed_stack_strings(need) {
            self.kept_room(n)
        } else {
            kept
        }
    }

    #[inline]
    fn kept_room(&self, n: u64) -> usize {
        let limits = &self.ctx.limits;
        // A string short enough to be an import's name may take a little of what the stack
        // and memo have not taken of their share: strings and containers that fill theirs do
        // not leave the next import unresolved (it is dropped as soon as the import is made).
        let mut free = self.memory_left();
        if n <= limits.max_global_name as u64 {
            free = free.saturating_add(NAME_SLACK).min(self.free_bytes(0));
        }
        let room = limits
            .max_pickle_kept_bytes
            .saturating_sub(live_kept_bytes())
            .min(free)
            // What the value itself takes besides its data.
            .saturating_sub(VALUE_OVERHEAD);
        let cap = u64::try_from(self.ctx.limits.max_kept_value.min(room)).unwrap_or(u64::MAX);
        usize::try_from(n.min(cap)).unwrap_or(0)
    }

    /// Makes room for a name that the kept strings leave none for: strings deep in the
    /// stack (below its top [`SHED_KEPT_TOP`] slots) that nothing else holds are let go,
    /// oldest first, and read back lost, until `need` bytes are freed; true when any were.
    /// A pickler pushes a name just before the opcode that uses it, so the names a load
    /// resolves are near the top, and a vocabulary pushed item by item for one tuple or set
    /// (a `tuple` of 300,000 words, then an object of a class of its own) no longer takes
    /// the room the class's name needs. A string let go that is used as a name after all
    /// fails closed, as one not kept does. Each slot is looked at once (the cursor only goes
    /// back when the stack shrinks below it), so the work stays linear.
    pub(super) fn shed_stack_strings(&mut self, need: usize) -> bool {
        let end = self.stack.len().saturating_sub(SHED_KEPT_TOP);
        let mut i = self.shed_from.min(self.stack.len());
        let mut freed = 0usize;
        while i < end && freed < need {
            if let Some(slot) = self.stack.get_mut(i)
                && let Value::Str(b) = slot
                && Rc::strong_count(b) == 1
            {
                freed = freed
                    .saturating_add(b.data.capacity())
                    .saturating_add(VALUE_OVERHEAD);
                // Lost is as interesting as a string: `hot` stays.
                *slot = Value::Lost;
            }
            i = i.saturating_add(1);
        }
        self.shed_from = i;
        freed > 0
    }

    /// BUILD state is a dict of attributes, or `(dict or None, slot dict)`. Names longer than
    /// an import can be are not recorded (no import reads them), nor past
    /// [`MAX_ATTR_NAME_BYTES`] in all: a BUILD on a global is critical already, and 200 BUILDs
    /// of one state of 32 keys of 100 KB each held 640 MB.
    pub(super) fn record_attrs(&mut self, base: &str, state: &Value) {
        let dicts: Vec<&Value> = match state {
            Value::Tuple { items, .. } => items.iter().take(2).collect(),
            other => vec![other],
        };
        let max = self.ctx.limits.max_global_name;
        for d in dicts {
            if let Value::Dict(entries) = d {
                for (k, v) in entries.borrow().entries() {
                    let Some(k) = k.text() else { continue };
                    let len = base.len().saturating_add(k.len()).saturating_add(1);
                    if len > max
                        || self.attrs.len() >= MAX_GLOBAL_FACTS
                        || self.attr_bytes.saturating_add(len) > MAX_ATTR_NAME_BYTES
                    {
                        continue;
                    }
                    self.attr_bytes = self.attr_bytes.saturating_add(len);
                    self.attrs.insert(format!("{base}.{k}"), v.clone());
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
    #[inline]
    pub(super) fn share_top(&mut self) -> Res<()> {
        // `top`'s check, without making the value it returns (every memo put passes here).
        if self.stack.len() <= self.fence() {
            return invalid("unpickling stack underflow");
        }
        if matches!(self.stack.last(), Some(Value::EmptyDict)) {
            self.share_empty_dict();
        }
        Ok(())
    }

    /// [`Machine::share_top`] of an empty dict on top.
    #[inline(never)]
    fn share_empty_dict(&mut self) {
        let budget = self.container_budget();
        let Some(v) = self.stack.last_mut() else {
            return;
        };
        // Past the kept-bytes budget the dict is not made: lost (it fails closed), and
        // interesting where the empty dict was not.
        *v = DictVal::new(budget).map_or(Value::Lost, Value::Dict);
        if v.interesting() {
            self.hot = self.hot.saturating_add(1);
        }
    }

    pub(super) fn dict_insert(&mut self, items: &mut Vec<Value>) -> Res<()> {
        self.share_top()?;
        let budget = self.container_budget();
        if self.awaiting_build > 0 {
            // The state of a joblib array wrapper, most likely: the next wrappers' states
            // fetch its keys from the memo.
            let rescue = self.ctx.limits.max_memo_rescued_bytes;
            for v in items.iter() {
                self.memo.rescue(v, rescue);
            }
        }
        let mut warmed = 0;
        if let Value::Dict(d) = self.top()? {
            let d = Rc::clone(d);
            let was = d.borrow().hot();
            self.fill_dict(&d, items, budget);
            // The dict turned interesting: the stack slots that hold it were counted cold
            // when pushed, and count as interesting when popped. Every holder is counted now
            // (tuples holding it were counted already: that only delays a merge). The clone
            // made here is not one of them.
            if !was && d.borrow().hot() {
                warmed = Rc::strong_count(&d).saturating_sub(1);
            }
        }
        self.hot = self.hot.saturating_add(warmed);
        Ok(())
    }

    /// Puts `items` (key, value, key, value, ...) in `d` as a dict is kept: no dict inside it
    /// (nor one nested as deep as it likes: [`Value::without_dicts`]) and no entry past its
    /// cap. What it does not keep is [`Machine::hidden`].
    pub(super) fn fill_dict(
        &mut self,
        d: &Rc<std::cell::RefCell<DictVal>>,
        items: &mut Vec<Value>,
        budget: usize,
    ) {
        // Before `d` is borrowed: a dict may be put in itself.
        self.hidden(items.iter().filter(|v| v.holds_dict()));
        let mut dict = d.borrow_mut();
        let mut it = items.drain(..).map(Value::without_dicts);
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            // Walked as it is dropped (a flood past the cap is no list); it holds no dict.
            if let Some((k, v)) = dict.insert(k, v, budget) {
                self.hidden([&k, &v]);
            }
        }
    }

    /// What a value is, for messages.
    pub(super) fn describe(&self, v: &Value) -> String {
        match v {
            Value::Str(b) => format!("a string of {} bytes", b.len),
            Value::Short(s) => format!("a string of {} bytes", s.len),
            Value::Call(Some(r), Made::Instance | Made::Unvetted) => {
                format!("an instance of {} made with no arguments", r.path())
            }
            Value::Call(Some(r), _) => format!("the result of calling {}", r.path()),
            Value::Call(None, _) => "the result of a dynamic call".to_owned(),
            Value::Ref(r) => format!("the object {}", r.path()),
            Value::Bound { helper, target } => {
                format!("a {} of {}", helper.path(), target.path())
            }
            Value::Tuple { .. } => "a tuple".to_owned(),
            Value::Bytes(_) => "bytes".to_owned(),
            Value::Opaque => "a value computed at load time".to_owned(),
            Value::None => "None".to_owned(),
            Value::Int(n) => format!("the integer {n}"),
            Value::Dict(_) | Value::EmptyDict => "a dict".to_owned(),
            Value::EmptyTuple => "an empty tuple".to_owned(),
            Value::Dtype(_) => "a dtype".to_owned(),
            Value::Lost => format!(
                "a value not kept (a memoized value past the memo budget of {}, tuples nested more than {} deep, or a string read when the memory budget was spent)",
                human_bytes(self.ctx.limits.max_memo_kept_bytes as u64),
                super::value::MAX_TUPLE_DEPTH
            ),
        }
    }

    /// PUT at an index past an i64 ([`Index::Huge`](super::strings::Index)): a memo slot of its
    /// own, numbered from [`HUGE_SLOTS`] on in the order such indices first come, whose value
    /// is not tracked (a GET there reads back lost). Each distinct index is an entry, as in the
    /// pure-Python unpickler's memo dict: MEMOIZE numbers on from their count.
    pub(super) fn memo_put_huge(&mut self, digest: u128) -> Res<()> {
        // An empty dict is made now (it is shared from here on: found by review, an empty
        // dict left inline was given an allocation of its own, trusted, by the SETITEMs after
        // this PUT), and a GET of it reads back lost: what it holds may change unseen through
        // that.
        self.share_top()?;
        self.top()?.distrust();
        let i = match self.huge.get(&digest) {
            Some(&i) => i,
            None => {
                if self.memo.len >= self.ctx.limits.max_memo_entries {
                    return Err(self.too_many_memo_entries());
                }
                let more = map_growth(self.huge.len(), self.huge.capacity(), HUGE_ENTRY);
                if more > 0 && !self.table_room(more) {
                    return Err(self.out_of_memory("the memo's indices past 64 bits"));
                }
                let i = HUGE_SLOTS.saturating_add(self.huge.len() as u64);
                self.huge.insert(digest, i);
                i
            }
        };
        let grow = self.memo.growth(i, false);
        if grow > 0 && !self.table_room(grow) {
            return Err(self.out_of_memory("the memo's tables"));
        }
        let put = self
            .memo
            .put(i, &Value::Lost, self.room.memo_soft, self.room.memo_hard);
        self.memo_stored(put)
    }

    /// GET at an index past an i64: the slot [`Machine::memo_put_huge`] gave it, or none (the
    /// loader's `KeyError`).
    pub(super) fn memo_get_huge(&mut self, digest: u128) -> Res<()> {
        match self.huge.get(&digest) {
            Some(&i) => self.memo_get(i),
            None => {
                self.memo_missed = true;
                invalid("memo value not found at an index past 64 bits")
            }
        }
    }

    /// What a memo put gives: past the hard cap on references, the analysis stops.
    #[inline]
    fn memo_stored(&self, put: Put) -> Res<()> {
        match put {
            Put::Done => Ok(()),
            Put::Full => self.memo_full(),
        }
    }

    /// The limit on memo entries, reached.
    #[cold]
    fn too_many_memo_entries(&self) -> Break {
        Break::Limit(format!(
            "more than {} memo entries",
            self.ctx.limits.max_memo_entries
        ))
    }

    #[cold]
    fn memo_full(&self) -> Res<()> {
        self.room.reached();
        Err(Break::Limit(format!(
            "the memo holds more than {} of references to globals and call results{}",
            human_bytes(self.room.memo_hard as u64),
            self.room.nested()
        )))
    }

    pub(super) fn memo_put(&mut self, i: u64, at: u64) -> Res<()> {
        self.share_top()?;
        if !self.memo.contains(i) && self.memo.len >= self.ctx.limits.max_memo_entries {
            return Err(self.too_many_memo_entries());
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
        // `share_top` checked there is a top.
        let Some(v) = self.stack.last() else {
            return invalid("unpickling stack underflow");
        };
        self.memo.wrapper_state = self.awaiting_build > 0;
        if let Some(put) = self
            .memo
            .put_quick(i, v, self.room.memo_soft, self.room.memo_hard)
        {
            return self.memo_stored(put);
        }
        self.memo_put_slow(i)
    }

    /// [`Machine::memo_put`] of the top at `i` when [`Memo::put_quick`] cannot: the value's
    /// slot, and room for it, are worked out.
    #[inline(never)]
    fn memo_put_slow(&mut self, i: u64) -> Res<()> {
        let Some(v) = self.stack.last() else {
            return invalid("unpickling stack underflow");
        };
        let mut slot = Slot::of(v);
        // Past the soft budget only a reference is kept: the others set only their index (and
        // their lost mark), and need no room in the value table.
        let mut soft = self.room.memo_soft;
        let kept = match slot {
            Slot::Value { refs: true, .. } => true,
            Slot::Value { refs: false, cost } => {
                let total = self.memo.cost().saturating_add(cost);
                // Past the soft budget it is not kept whatever memory is left (the commonest
                // case in a large pickle: no need to work that out). A value held inline takes
                // nothing but its slot in the tables, which `growth` counts.
                if total <= soft && !v.inline() {
                    soft = soft.min(self.memo.cost().saturating_add(self.memory_left()));
                }
                total <= soft
            }
            _ => false,
        };
        let grow = self.memo.growth(i, kept);
        if grow > 0 && !self.table_room(grow) {
            match slot {
                // Not kept, for want of room for it: a dict or dtype it is may then change
                // unseen through a GET of the slot, and is no longer trusted.
                Slot::Value { refs: false, .. } if self.table_room(self.memo.growth(i, false)) => {
                    if let Some(v) = self.stack.last() {
                        v.distrust();
                    }
                    slot = Slot::Lost;
                }
                _ => return Err(self.out_of_memory("the memo's tables")),
            }
        }
        let Some(v) = self.stack.last() else {
            return invalid("unpickling stack underflow");
        };
        let Slot::Value { refs, cost } = slot else {
            // Nothing kept but its index (or its lost mark).
            let put = self
                .memo
                .put_as(i, v, slot, self.room.memo_soft, self.room.memo_hard);
            return self.memo_stored(put);
        };
        if refs {
            // A reference must be kept (or the analysis stops): within the memory left, once
            // other memo values are let go.
            if !self.table_room(cost) {
                return Err(self.out_of_memory("memo references to globals and call results"));
            }
        }
        let Some(v) = self.stack.last() else {
            return invalid("unpickling stack underflow");
        };
        let put = self.memo.put_as(i, v, slot, soft, self.room.memo_hard);
        self.memo_stored(put)
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
    pub(super) fn check_declared(&mut self, inp: &Input, n: u64, at: u64, what: &str) {
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

    pub(super) fn memo_get(&mut self, i: u64) -> Res<()> {
        match self.memo.get(i) {
            Some(v) => {
                if matches!(v, Value::Lost) {
                    // Read back lost, it may be changed unseen: the slot is no longer given
                    // back what it held ([`Memo::rescue`]).
                    self.memo.forget(i);
                    // A dict nothing held any more is a dict still, its entries unknown (no
                    // string: joblib's object-array data, read by a plain loader, fetches the
                    // outer stream's array header this way as a module name).
                    if self.memo.holds_dict_let_go(i)
                        && let Some(d) = DictVal::new(self.container_budget())
                    {
                        d.borrow_mut().dropped = true;
                        return self.push(Value::Dict(d));
                    }
                }
                self.push(v)
            }
            None => {
                self.memo_missed = true;
                invalid(format!("memo value not found at index {i}"))
            }
        }
    }

    pub(super) fn string_from(&mut self, data: Vec<u8>) -> Value {
        let len = data.len() as u64;
        let keep = self.keep(len);
        let mut data = data;
        data.truncate(keep);
        Value::string(data, len)
    }

    pub(super) fn read_blob(
        &mut self,
        inp: &mut Input,
        n: u64,
        what: &str,
        text: bool,
    ) -> Res<Value> {
        let at = inp.pos;
        self.check_declared(inp, n, at, what);
        let keep = self.keep(n);
        // A byte string's data is read with `_Unpickler_ReadInto` (on across a frame's end,
        // however it is read), a Python 2 str's with `_Unpickler_Read`.
        let blob = if text {
            inp.take(n, keep, what)?
        } else {
            inp.take_run_on(n, keep, what)?
        };
        if blob.data.is_empty() && blob.truncated() {
            return Ok(Value::Lost);
        }
        let blob = Rc::new(blob);
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

    pub(super) fn read_text(&mut self, inp: &mut Input, n: u64, what: &str) -> Res<Value> {
        let at = inp.pos;
        self.check_declared(inp, n, at, what);
        if n <= SHORT as u64 {
            // The commonest value of opcode-heavy pickles: an ASCII name or key, in the buffer.
            if let Some(s) = inp.buffered(n as usize).and_then(Short::ascii) {
                inp.skip_buffered(n as usize);
                return Ok(Value::Short(s));
            }
            let mut buf = [0u8; SHORT];
            let short = buf.get_mut(..n as usize).unwrap_or(&mut []);
            inp.fill(short, what)?;
            if let Some(s) = Short::from_utf8(buf, n as usize) {
                return Ok(Value::Short(s));
            }
            let short = buf.get(..n as usize).unwrap_or(&[]);
            let t = String::from_utf8_lossy(short).into_owned();
            let len = t.len() as u64;
            return Ok(Value::string(t.into_bytes(), len));
        }
        let keep = self.keep(n);
        let mut blob = inp.take(n, keep, what)?;
        if blob.data.is_empty() && blob.truncated() {
            // Nothing kept: no value of its own (a stack of a million of them would hold 64 MB
            // more than the stack itself). Lost fails closed wherever a string is needed.
            return Ok(Value::Lost);
        }
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

pub(super) fn human_bytes(n: u64) -> String {
    match n {
        _ if n >= 1 << 40 => format!("{} TiB", n >> 40),
        _ if n >= 1 << 30 => format!("{} GiB", n >> 30),
        _ if n >= 1 << 20 => format!("{} MiB", n >> 20),
        _ if n >= 1 << 10 => format!("{} KiB", n >> 10),
        _ => format!("{n} bytes"),
    }
}
