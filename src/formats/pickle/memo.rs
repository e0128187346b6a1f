//! The memo (`PUT`/`GET` and friends): every index set, and the values worth keeping.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::value::{Identity, VALUE_OVERHEAD, Value};

/// The memo: which indices are set (all of them), and the values worth keeping.
///
/// Indices are a bitset (dense below [`DENSE_MAX`], a map above); values are kept only when
/// they can name, carry or build something a loader resolves ([`Value::interesting`]).
/// References to globals and call results are always kept (up to the hard cap, which stops
/// the analysis); strings, bytes, tuples and dicts only while the soft budget lasts, after
/// which their slots are marked lost and read back as [`Value::Lost`]. The last few strings
/// and bytes marked so are remembered: one a judge then takes from the stack is kept after all
/// ([`Memo::rescue`]).
pub(super) struct Memo {
    dense: Vec<u64>,
    lost: Vec<u64>,
    /// Indices at or above `DENSE_MAX`, with their lost mark.
    sparse: foldhash::HashMap<u64, bool>,
    /// Kept values, by index (see [`Values`]).
    values: Values,
    pub(super) len: u64,
    /// Heap bytes of kept values and sparse entries.
    cost: usize,
    /// Some slot was marked lost.
    lost_any: bool,
    /// The last slots marked lost past the soft budget, with what they would have held,
    /// oldest first.
    recent: std::collections::VecDeque<(u64, Identity)>,
    /// Bytes kept by [`Memo::rescue`] (never given back: a budget of rescues, not of memory).
    rescued: usize,
    /// A joblib array wrapper awaits its BUILD: its state's dtype and shape are worth
    /// remembering when their slots are lost (set by the machine before each put).
    pub(super) wrapper_state: bool,
    /// [`Memo::heap_bytes`], worked out again when a table grows.
    heap: usize,
    /// Some kept value is not a reference ([`Memo::shed`] has something to let go).
    sheddable: bool,
    /// Dicts and dtypes put in slots that keep no value ([`Alias`]), and the order they came.
    aliases: foldhash::HashMap<u64, Alias>,
    alias_order: std::collections::VecDeque<u64>,
}

/// A dict or dtype put in a memo slot that keeps no value (inert when put, as an empty dict
/// is, or past the soft budget), held weakly: a GET of the slot gives back that very object
/// while anything else holds it, so a SETITEM or BUILD through the read-back changes what the
/// other holders see, as at load time. Once nothing else holds it, the slot reads back lost
/// (no other holder can see a change). At most [`ALIASES_KEPT`] are held; the oldest goes
/// first, and an object it names that is still alive is then no longer trusted
/// ([`Value::distrust`]).
enum Alias {
    Dict(std::rc::Weak<std::cell::RefCell<super::value::DictVal>>),
    Dtype(std::rc::Weak<std::cell::RefCell<super::value::Dtype>>),
}

impl Alias {
    fn of(v: &Value) -> Option<Alias> {
        match v {
            Value::Dict(d) => Some(Alias::Dict(std::rc::Rc::downgrade(d))),
            Value::Dtype(d) => Some(Alias::Dtype(std::rc::Rc::downgrade(d))),
            _ => None,
        }
    }

    /// The object, while something else holds it.
    fn get(&self) -> Option<Value> {
        match self {
            Alias::Dict(w) => w.upgrade().map(Value::Dict),
            Alias::Dtype(w) => w.upgrade().map(Value::Dtype),
        }
    }
}

/// Aliases a memo holds at most: a pickler fetches a dict or dtype it shares soon after it
/// memoized it, and a joblib array wrapper's state dict within a few opcodes.
const ALIASES_KEPT: usize = 4096;

/// Heap bytes an alias holds at most: its map entry and order slot, and the block of the
/// object it names, which a weak reference keeps allocated (not its contents).
const ALIAS_COST: usize = 8 + 16 + 1 + 8 + 160;

/// Longest string [`Memo::remember`] remembers: longer than any import's module or name.
const NAME_REMEMBERED: usize = 4096;

/// Slots [`Memo::recent`] remembers: a pickler memoizes a name (or bytes) and hands it to the
/// opcode that uses it within the next few opcodes; a joblib array wrapper's state dict,
/// fetched through the memo for every array after the first, has six keys and three strings
/// among its values.
const RECENT_LOST: usize = 16;

const DENSE_MAX: u64 = 1 << 25;
const SPARSE_ENTRY_COST: usize = 48;

/// What a memo slot keeps of a value.
#[derive(Clone, Copy)]
pub(super) enum Slot {
    /// Nothing: it reads back lost ([`Value::Lost`]).
    Lost,
    /// Nothing: the value is inert, only the index is set.
    Index,
    /// The value, of `cost` bytes; `refs`: it holds a reference (kept up to the hard cap).
    Value { refs: bool, cost: usize },
}

impl Slot {
    #[inline]
    pub(super) fn of(v: &Value) -> Slot {
        if matches!(v, Value::Lost) {
            Slot::Lost
        } else if !v.interesting() && !v.kept_for_arrays() {
            Slot::Index
        } else {
            Slot::Value {
                refs: v.holds_ref(),
                cost: v.cost(),
            }
        }
    }
}

pub(super) enum Put {
    Done,
    /// The hard cap was reached: the analysis must stop.
    Full,
}

#[inline]
pub(super) fn bit_get(bits: &[u64], i: u64) -> bool {
    usize::try_from(i / 64)
        .ok()
        .and_then(|w| bits.get(w))
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// Heap bytes a hash table of `capacity` entries of `entry` bytes holds: its buckets (at least
/// 8/7 of its capacity, a power of two in hashbrown) and a control byte each.
pub(super) fn map_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    capacity
        .saturating_mul(8)
        .div_ceil(7)
        .next_power_of_two()
        .saturating_mul(entry.saturating_add(1))
}

/// Heap bytes a hash table of `len` entries in `capacity` takes to hold one more: none while
/// it has room; a full table grows into one of twice its buckets, allocated while it is alive.
#[inline]
pub(super) fn map_growth(len: usize, capacity: usize, entry: usize) -> usize {
    if len < capacity {
        0
    } else {
        map_bytes(capacity.max(3).saturating_mul(2), entry)
    }
}

/// Sets bit `i` of word `w` (`i / 64`), which is within the bitset's capacity: it does not
/// reallocate.
#[inline]
fn bit_on_within(bits: &mut Vec<u64>, w: usize, i: u64) {
    while bits.len() <= w {
        bits.push(0);
    }
    if let Some(word) = bits.get_mut(w) {
        *word |= 1 << (i % 64);
    }
}

/// Sets or clears bit `i`; whether the bitset's buffer grew.
fn bit_set(bits: &mut Vec<u64>, i: u64, on: bool) -> bool {
    let Ok(w) = usize::try_from(i / 64) else {
        return false;
    };
    let mut grew = false;
    if bits.len() <= w {
        if !on {
            return false;
        }
        let cap = bits.capacity();
        bits.resize(w.saturating_add(1), 0);
        grew = bits.capacity() != cap;
    }
    if let Some(word) = bits.get_mut(w) {
        if on {
            *word |= 1 << (i % 64);
        } else {
            *word &= !(1 << (i % 64));
        }
    }
    grew
}

impl Memo {
    /// An empty memo whose maps hash with `hasher` (seeded once per machine: seeding costs
    /// more than a side reading that breaks at once).
    pub(super) fn new(hasher: &foldhash::fast::RandomState) -> Self {
        Memo {
            dense: Vec::new(),
            lost: Vec::new(),
            sparse: foldhash::HashMap::with_hasher(hasher.clone()),
            values: Values {
                dense: Vec::new(),
                costs: Vec::new(),
                in_dense: 0,
                sparse: foldhash::HashMap::with_hasher(hasher.clone()),
            },
            len: 0,
            cost: 0,
            lost_any: false,
            recent: std::collections::VecDeque::new(),
            rescued: 0,
            wrapper_state: false,
            heap: 0,
            sheddable: false,
            aliases: foldhash::HashMap::with_hasher(hasher.clone()),
            alias_order: std::collections::VecDeque::new(),
        }
    }

    #[inline]
    pub(super) fn contains(&self, i: u64) -> bool {
        if i < DENSE_MAX {
            bit_get(&self.dense, i)
        } else {
            self.sparse.contains_key(&i)
        }
    }

    #[inline]
    fn is_lost(&self, i: u64) -> bool {
        if i < DENSE_MAX {
            bit_get(&self.lost, i)
        } else {
            self.sparse.get(&i).copied().unwrap_or(false)
        }
    }

    #[inline]
    fn set_lost(&mut self, i: u64, lost: bool) {
        self.lost_any |= lost;
        if i < DENSE_MAX {
            if bit_set(&mut self.lost, i, lost) {
                self.refresh_heap();
            }
        } else if let Some(l) = self.sparse.get_mut(&i) {
            *l = lost;
        }
    }

    /// [`Memo::put`] of the commonest puts of a large pickle, when nothing has to be worked
    /// out: an index not set before, in a bitset with room for it, of a value that is lost,
    /// inert, or not a reference once the soft budget is spent (only its index and its lost
    /// mark are set). `None`: [`Memo::put`] decides.
    #[inline]
    pub(super) fn put_quick(&mut self, i: u64, v: &Value, soft: usize, hard: usize) -> Option<Put> {
        let w = usize::try_from(i / 64).ok()?;
        if i >= DENSE_MAX
            || w >= self.dense.capacity()
            || w >= self.lost.capacity()
            || bit_get(&self.dense, i)
        {
            return None;
        }
        let lost = match v {
            Value::Lost => true,
            // An alias may be kept ([`Memo::put`]).
            Value::Dict(_) | Value::Dtype(_) => return None,
            _ if !v.interesting() && !v.kept_for_arrays() => false,
            // Past the soft budget, whatever the value's cost (at least `VALUE_OVERHEAD`).
            _ if self.cost >= soft && !v.holds_ref() => true,
            // A value held inline within the soft budget, at the value array's next slot,
            // which has room: kept.
            _ if v.inline()
                && self.cost.saturating_add(VALUE_OVERHEAD) <= soft
                && self.values.push_next(i, v) =>
            {
                self.cost = self.cost.saturating_add(VALUE_OVERHEAD);
                self.sheddable = true;
                false
            }
            _ => return None,
        };
        self.len = self.len.saturating_add(1);
        bit_on_within(&mut self.dense, w, i);
        if lost {
            self.lost_any = true;
            bit_on_within(&mut self.lost, w, i);
            if !matches!(v, Value::Lost) {
                self.remember(i, v);
            }
            return Some(Put::Done);
        }
        Some(if self.cost > hard {
            Put::Full
        } else {
            Put::Done
        })
    }

    pub(super) fn put(&mut self, i: u64, v: &Value, soft: usize, hard: usize) -> Put {
        self.put_as(i, v, Slot::of(v), soft, hard)
    }

    /// [`Memo::put`] of `v`, which is `slot`.
    pub(super) fn put_as(
        &mut self,
        i: u64,
        v: &Value,
        slot: Slot,
        soft: usize,
        hard: usize,
    ) -> Put {
        let existed = self.contains(i);
        if existed && !self.recent.is_empty() {
            self.recent.retain(|(j, _)| *j != i);
        }
        if existed && !self.aliases.is_empty() {
            self.aliases.remove(&i);
        }
        if !existed {
            self.len = self.len.saturating_add(1);
            if i < DENSE_MAX {
                if bit_set(&mut self.dense, i, true) {
                    // The lost marks get room as the index bits do, so that marking slots
                    // lost (when memo values are let go to make room) never allocates.
                    let cap = self.dense.capacity();
                    self.lost.reserve_exact(cap.saturating_sub(self.lost.len()));
                    self.refresh_heap();
                }
            } else {
                self.sparse.insert(i, false);
                self.cost = self.cost.saturating_add(SPARSE_ENTRY_COST);
                self.refresh_heap();
            }
        }
        if existed {
            if let Some(c) = self.values.remove(i) {
                self.cost = self.cost.saturating_sub(c);
            }
            self.set_lost(i, false);
        }
        let (refs, c) = match slot {
            Slot::Lost => {
                // Read back as lost from its mark: no value to keep.
                self.set_lost(i, true);
                return Put::Done;
            }
            Slot::Index if self.alias(i, v) => {
                // An empty dict: it reads back as itself while something holds it, else lost.
                self.set_lost(i, true);
                return if self.cost > hard {
                    Put::Full
                } else {
                    Put::Done
                };
            }
            Slot::Index => {
                return if self.cost > hard {
                    Put::Full
                } else {
                    Put::Done
                };
            }
            Slot::Value { refs, cost } => (refs, cost),
        };
        let total = self.cost.saturating_add(c);
        if refs {
            if total > hard {
                return Put::Full;
            }
        } else if total > soft {
            self.set_lost(i, true);
            self.remember(i, v);
            self.alias(i, v);
            return Put::Done;
        }
        self.cost = total;
        self.sheddable |= !refs;
        if self.values.insert(i, v.clone(), c) {
            self.refresh_heap();
        }
        Put::Done
    }

    /// Holds `v` weakly for slot `i` when it is a dict or dtype ([`Alias`]); whether it is one.
    fn alias(&mut self, i: u64, v: &Value) -> bool {
        let Some(a) = Alias::of(v) else {
            return false;
        };
        if self.aliases.is_empty() && self.aliases.capacity() == 0 {
            // All the room it may take, at once: counted from the start, and no table grows
            // while the memory budget is not looked at.
            self.aliases.reserve(ALIASES_KEPT);
            self.alias_order.reserve_exact(ALIASES_KEPT);
            self.refresh_heap();
        }
        while self.alias_order.len() >= ALIASES_KEPT {
            let Some(old) = self.alias_order.pop_front() else {
                break;
            };
            // Still alive, and its slot still keeps no value: a GET of the slot now reads back
            // lost, and a change through that is not seen.
            if let Some(live) = self.aliases.remove(&old).and_then(|a| a.get())
                && self.is_lost(old)
            {
                live.distrust();
            }
        }
        self.aliases.insert(i, a);
        self.alias_order.push_back(i);
        true
    }

    /// Slot `i`, read back lost, holds a dict that nothing else held any more (its alias
    /// outlived it): a dict still, whose entries are not known.
    pub(super) fn holds_dict_let_go(&self, i: u64) -> bool {
        matches!(self.aliases.get(&i), Some(Alias::Dict(w)) if w.strong_count() == 0)
    }

    /// Slot `i` was read back lost: [`Memo::rescue`] no longer gives it back what it held
    /// (it may have changed through the read-back, unseen).
    pub(super) fn forget(&mut self, i: u64) {
        if !self.recent.is_empty() {
            self.recent.retain(|(j, _)| *j != i);
        }
    }

    /// Remembers what slot `i`, just marked lost, would have held.
    fn remember(&mut self, i: u64, v: &Value) {
        // What a judge can take: a name (short), bytes (a nested loader's), and while a joblib
        // array wrapper awaits its BUILD, the dtype and shape of its state. Nothing else is
        // remembered (a weak reference keeps a freed tuple's block from being reused).
        let worth = match v {
            Value::Short(_) | Value::Bytes(_) => true,
            Value::Str(b) => b.data.len() <= NAME_REMEMBERED,
            Value::Dtype(_) | Value::Tuple { .. } => self.wrapper_state,
            _ => false,
        };
        if !worth {
            return;
        }
        let Some(id) = v.identity() else { return };
        if self.recent.len() >= RECENT_LOST {
            self.recent.pop_front();
        }
        self.recent.push_back((i, id));
    }

    /// `v` was taken from the stack by a judge that resolves it (an import's module or name,
    /// bytes a nested loader reads, a joblib array wrapper's state): slots marked lost that would have held it keep it after
    /// all, within `budget` bytes of such rescues. Exact: the slot holds that very object.
    pub(super) fn rescue(&mut self, v: &Value, budget: usize) {
        if self.recent.is_empty() {
            return;
        }
        let c = v.cost();
        let mut k = 0;
        while let Some((i, id)) = self.recent.get(k) {
            if !id.is(v) {
                k = k.saturating_add(1);
                continue;
            }
            let i = *i;
            self.recent.remove(k);
            let Some(rescued) = self.rescued.checked_add(c).filter(|&n| n <= budget) else {
                return;
            };
            self.rescued = rescued;
            self.cost = self.cost.saturating_add(c);
            self.set_lost(i, false);
            // The slot keeps the object itself now.
            self.aliases.remove(&i);
            self.sheddable |= !v.holds_ref();
            if self.values.insert(i, v.clone(), c) {
                self.refresh_heap();
            }
        }
    }

    #[inline]
    pub(super) fn get(&self, i: u64) -> Option<Value> {
        if !self.contains(i) {
            return None;
        }
        if self.is_lost(i) {
            if !self.aliases.is_empty()
                && let Some(v) = self.aliases.get(&i).and_then(Alias::get)
            {
                return Some(v);
            }
            return Some(Value::Lost);
        }
        Some(self.values.get(i))
    }

    /// Heap bytes of kept values and sparse entries.
    pub(super) fn cost(&self) -> usize {
        self.cost
    }

    /// Lets every kept value go but references to globals and call results (they stop the
    /// analysis when not kept): their slots read back lost.
    pub(super) fn shed(&mut self) {
        // Nothing kept since the last time but references: nothing to walk for.
        if !self.sheddable {
            return;
        }
        self.sheddable = false;
        let mut shed = Vec::new();
        let values = self.values.dense.iter_mut().zip(&self.values.costs);
        for (i, (v, &c)) in values.enumerate() {
            if !matches!(v, Value::Opaque) && !v.holds_ref() {
                // A dict or dtype let go may change unseen through a GET of its slot: its
                // other copies are no longer trusted.
                v.distrust();
                shed.push(i as u64);
                self.cost = self.cost.saturating_sub(c as usize);
                *v = Value::Opaque;
            }
        }
        self.values.in_dense = self.values.in_dense.saturating_sub(shed.len());
        self.values.sparse.retain(|&i, (v, c)| {
            if v.holds_ref() {
                true
            } else {
                v.distrust();
                shed.push(i);
                self.cost = self.cost.saturating_sub(*c);
                false
            }
        });
        for i in shed {
            self.set_lost(i, true);
        }
        if self.values.in_dense == 0 {
            self.values.dense = Vec::new();
            self.values.costs = Vec::new();
        }
        self.refresh_heap();
        self.recent.clear();
    }

    /// Heap bytes the memo's own tables hold (what its values hold besides is counted where
    /// they are made): bitsets, the value array, the maps (a hash table slot is its entry and a
    /// control byte).
    /// Bytes the tables would grow by to put a value at `i` (`kept`: the value is kept, not
    /// only its index), at most: what [`Memo::put`] may allocate.
    #[inline]
    pub(super) fn growth(&self, i: u64, kept: bool) -> usize {
        let words = |bits: &Vec<u64>| {
            let w = usize::try_from(i / 64).unwrap_or(usize::MAX);
            if w < bits.capacity() {
                0
            } else {
                // `Vec::resize` at least doubles.
                w.saturating_add(1)
                    .max(bits.capacity().saturating_mul(2))
                    .saturating_sub(bits.capacity())
                    .saturating_mul(8)
            }
        };
        let map = map_growth;
        let mut n = if i < DENSE_MAX {
            // The lost marks grow only once one is set: they may lag far behind.
            words(&self.dense).saturating_add(words(&self.lost))
        } else {
            map(self.sparse.len(), self.sparse.capacity(), 16)
        };
        if kept {
            let j = usize::try_from(i).unwrap_or(usize::MAX);
            let cap = self.values.dense.capacity();
            n = n.saturating_add(if j < cap {
                0
            } else if self.values.in_array(j) {
                // Grown as `Values::insert` grows it.
                j.saturating_add(1)
                    .saturating_sub(self.values.dense.len())
                    .max(cap / 2)
                    .max(1024)
                    .saturating_mul(std::mem::size_of::<Value>().saturating_add(4))
            } else {
                map(
                    self.values.sparse.len(),
                    self.values.sparse.capacity(),
                    std::mem::size_of::<(u64, (Value, usize))>(),
                )
            });
        }
        n
    }

    #[inline]
    pub(super) fn heap_bytes(&self) -> usize {
        self.heap
    }

    fn refresh_heap(&mut self) {
        let map = map_bytes;
        let heap = self
            .dense
            .capacity()
            .saturating_add(self.lost.capacity())
            .saturating_mul(8)
            .saturating_add(map(self.sparse.capacity(), 16))
            .saturating_add(
                self.values
                    .dense
                    .capacity()
                    .saturating_mul(std::mem::size_of::<Value>()),
            )
            .saturating_add(self.values.costs.capacity().saturating_mul(4))
            .saturating_add(map(
                self.values.sparse.capacity(),
                std::mem::size_of::<(u64, (Value, usize))>(),
            ))
            .saturating_add(
                self.aliases
                    .capacity()
                    .max(self.alias_order.capacity())
                    .saturating_mul(ALIAS_COST),
            );
        self.heap = heap;
    }

    /// No value worth tracking is kept (only inert ones).
    pub(super) fn inert(&self) -> bool {
        self.values.is_empty() && !self.lost_any
    }
}

/// Kept memo values by index: in an array while the indices are about as many as the values
/// (a pickler numbers its memo in order), else in a map. An array slot holding
/// [`Value::Opaque`] holds nothing (opaque values are never kept); a value lives in one place.
struct Values {
    dense: Vec<Value>,
    costs: Vec<u32>,
    /// Values in `dense`.
    in_dense: usize,
    sparse: foldhash::HashMap<u64, (Value, usize)>,
}

/// Array slots beyond twice the values it holds that the array may cover.
const DENSE_SLACK: usize = 4096;

impl Values {
    fn is_empty(&self) -> bool {
        self.in_dense == 0 && self.sparse.is_empty()
    }

    #[inline]
    fn get(&self, i: u64) -> Value {
        if let Some(v) = usize::try_from(i).ok().and_then(|i| self.dense.get(i))
            && !matches!(v, Value::Opaque)
        {
            return v.clone();
        }
        if self.sparse.is_empty() {
            return Value::Opaque;
        }
        self.sparse
            .get(&i)
            .map_or(Value::Opaque, |(v, _)| v.clone())
    }

    /// A value at `j` goes in the array (else in the map).
    #[inline]
    fn in_array(&self, j: usize) -> bool {
        let room = self
            .in_dense
            .saturating_add(1)
            .saturating_mul(2)
            .saturating_add(DENSE_SLACK);
        j < self.dense.len() || j < room
    }

    /// Keeps `v`, of cost [`VALUE_OVERHEAD`], at `i` when that is the array's next slot and
    /// the array has room for it (nothing is kept there yet); whether it did.
    #[inline]
    fn push_next(&mut self, i: u64, v: &Value) -> bool {
        let Ok(j) = usize::try_from(i) else {
            return false;
        };
        if j != self.dense.len()
            || j >= self.dense.capacity()
            || j >= self.costs.capacity()
            || !self.in_array(j)
        {
            return false;
        }
        self.dense.push(v.clone());
        self.costs.push(VALUE_OVERHEAD as u32);
        self.in_dense = self.in_dense.saturating_add(1);
        true
    }

    /// Takes the value at `i` out; returns its cost.
    fn remove(&mut self, i: u64) -> Option<usize> {
        if let Ok(j) = usize::try_from(i)
            && let Some(v) = self.dense.get_mut(j)
            && !matches!(v, Value::Opaque)
        {
            *v = Value::Opaque;
            self.in_dense = self.in_dense.saturating_sub(1);
            return self.costs.get(j).map(|&c| c as usize);
        }
        self.sparse.remove(&i).map(|(_, c)| c)
    }

    /// Keeps `v` at `i` (nothing is kept there: [`Values::remove`] came first); whether a
    /// table grew.
    fn insert(&mut self, i: u64, v: Value, cost: usize) -> bool {
        if matches!(v, Value::Opaque) {
            return false;
        }
        let mut grew = false;
        let cost32 = u32::try_from(cost).unwrap_or(u32::MAX);
        if let Ok(j) = usize::try_from(i)
            && self.in_array(j)
        {
            if j == self.dense.len() && j < self.dense.capacity() && j < self.costs.capacity() {
                // The next index, with room (a pickler numbers its memo in order).
                self.dense.push(v);
                self.costs.push(cost32);
                self.in_dense = self.in_dense.saturating_add(1);
                return false;
            }
            if j >= self.dense.len() {
                let len = j.saturating_add(1);
                // Grown by half at a time (not doubled): the array stays near its length.
                let more = len.saturating_sub(self.dense.len());
                if len > self.dense.capacity() {
                    let grow = more.max(self.dense.capacity() / 2).max(1024);
                    self.dense.reserve_exact(grow);
                    self.costs.reserve_exact(grow);
                    grew = true;
                }
                self.dense.resize(len, Value::Opaque);
                self.costs.resize(len, 0);
            }
            if let (Some(slot), Some(c)) = (self.dense.get_mut(j), self.costs.get_mut(j)) {
                *slot = v;
                *c = cost32;
                self.in_dense = self.in_dense.saturating_add(1);
                return grew;
            }
        }
        let cap = self.sparse.capacity();
        self.sparse.insert(i, (v, cost));
        grew || self.sparse.capacity() != cap
    }
}
