//! Inert values: what the machine tracks in place of the objects a loader would build, and
//! the accounting of the memory they keep while they live: strings, bytes and import paths
//! against `max_pickle_kept_bytes`; tuples, dicts and dtypes against
//! `max_pickle_container_bytes`. Past the latter, a new tuple, dict or dtype is not made
//! ([`Value::Lost`]: used as a name, a callable or an argument, it fails closed) and a dict
//! takes no more entries.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::cell::RefCell;
use std::rc::Rc;

/// Elements of a tuple kept for resolving call arguments and array shapes (NumPy allows 64
/// dimensions: a shape is kept whole).
pub(super) const MAX_TUPLE_KEPT: usize = 64;

/// A string or bytes value, kept whole up to a limit.
#[derive(Debug)]
pub(super) struct Blob {
    pub(super) data: Vec<u8>,
    /// Full length in the stream.
    pub(super) len: u64,
    /// Bytes charged to the live total when made, returned exactly when dropped (the data may
    /// be taken out in between).
    charged: usize,
}

/// Heap bytes one kept value costs besides its data (the `Rc` and `Vec` headers).
pub(super) const VALUE_OVERHEAD: usize = 64;

thread_local! {
    /// Heap bytes held by live values on this thread. A file is inspected on one thread from
    /// start to end, so this is the file's kept memory; it shrinks as values are dropped.
    static LIVE_KEPT_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Heap bytes held by live tuples, dicts and dtypes on this thread.
    static LIVE_CONTAINER_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
thread_local! {
    /// The most [`LIVE_CONTAINER_BYTES`] has been since [`reset_peak`].
    static PEAK_CONTAINER_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
pub(super) fn reset_peak() {
    PEAK_CONTAINER_BYTES.with(|c| c.set(live_container_bytes()));
}

#[cfg(test)]
pub(super) fn peak_container_bytes() -> usize {
    PEAK_CONTAINER_BYTES.with(|c| c.get())
}

#[inline]
pub(super) fn live_container_bytes() -> usize {
    LIVE_CONTAINER_BYTES.with(|c| c.get())
}

#[inline]
pub(super) fn live_kept_bytes() -> usize {
    LIVE_KEPT_BYTES.with(|c| c.get())
}

#[inline]
fn charge(n: usize) {
    LIVE_KEPT_BYTES.with(|c| c.set(c.get().saturating_add(n)));
}

#[inline]
fn discharge(n: usize) {
    LIVE_KEPT_BYTES.with(|c| c.set(c.get().saturating_sub(n)));
}

/// Charges a container's `n` bytes when they fit within `budget` with the live containers.
#[inline]
fn charge_container(n: usize, budget: usize) -> bool {
    LIVE_CONTAINER_BYTES.with(|c| {
        let total = c.get().saturating_add(n);
        let fits = total <= budget;
        if fits {
            c.set(total);
            #[cfg(test)]
            PEAK_CONTAINER_BYTES.with(|p| p.set(p.get().max(total)));
        }
        fits
    })
}

#[inline]
fn discharge_container(n: usize) {
    LIVE_CONTAINER_BYTES.with(|c| c.set(c.get().saturating_sub(n)));
}

impl Blob {
    pub(super) fn new(data: Vec<u8>, len: u64) -> Self {
        let charged = data.capacity().saturating_add(VALUE_OVERHEAD);
        charge(charged);
        Blob { data, len, charged }
    }

    pub(super) fn truncated(&self) -> bool {
        (self.data.len() as u64) < self.len
    }
    pub(super) fn text(&self) -> Option<&str> {
        if self.truncated() {
            None
        } else {
            std::str::from_utf8(&self.data).ok()
        }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        discharge(self.charged);
    }
}

/// Something a loader could reach: a module, or an attribute path inside one. Held as its
/// dotted path (one allocation), split where the module ends. Its bytes count as kept (see
/// [`Blob`]): a stack of a million distinct imports would otherwise hold 100 MiB.
#[derive(Debug)]
pub(super) struct Ref {
    path: Box<str>,
    module_len: usize,
}

/// Heap bytes a [`Ref`] costs besides its path (its `Rc`, the struct, allocator headers).
const REF_OVERHEAD: usize = 64;

impl Drop for Ref {
    fn drop(&mut self) {
        discharge(self.path.len().saturating_add(REF_OVERHEAD));
    }
}

impl Ref {
    pub(super) fn new(module: &str, name: &str) -> Ref {
        let mut path =
            String::with_capacity(module.len().saturating_add(name.len()).saturating_add(1));
        path.push_str(module);
        if !name.is_empty() {
            path.push('.');
            path.push_str(name);
        }
        charge(path.len().saturating_add(REF_OVERHEAD));
        Ref {
            path: path.into_boxed_str(),
            module_len: module.len(),
        }
    }
    pub(super) fn module(&self) -> &str {
        self.path.get(..self.module_len).unwrap_or("")
    }
    pub(super) fn name(&self) -> &str {
        self.path
            .get(self.module_len.saturating_add(1)..)
            .unwrap_or("")
    }
    pub(super) fn path(&self) -> &str {
        &self.path
    }
    pub(super) fn attr(&self, attr: &str) -> Ref {
        if self.name().is_empty() {
            Ref::new(self.module(), attr)
        } else {
            Ref::new(self.module(), &format!("{}.{attr}", self.name()))
        }
    }
}

/// Inert stand-ins for the objects a loader would build.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// Floats, booleans, lists, sets: nothing that matters for resolution.
    Opaque,
    None,
    Int(i64),
    /// A dict's first entries (joblib array headers are dicts).
    Dict(Rc<RefCell<DictVal>>),
    /// A dict nothing refers to but the stack slot and that holds nothing yet: allocated as a
    /// [`Value::Dict`] on its first insert or when it gets a second reference (DUP, memo), so
    /// a flood of `EMPTY_DICT` costs no more memory than a flood of `NONE`.
    EmptyDict,
    /// `numpy.dtype(<str>)`, and what BUILD set on it.
    Dtype(Rc<RefCell<Dtype>>),
    /// `()`: a shape of no dimensions, an empty argument list.
    EmptyTuple,
    Str(Rc<Blob>),
    /// A string of at most [`SHORT`] bytes, held inline (module and attribute names, keys,
    /// vocabulary): no allocation for the commonest value in opcode-heavy pickles.
    Short(Short),
    Bytes(Rc<Blob>),
    Ref(Rc<Ref>),
    /// The result of a call; `callee` is None when the callable was not resolvable.
    Call(Option<Rc<Ref>>, Made),
    /// A callable object made by a higher-order helper (`functools.partial`) that calls
    /// `target` when it is called; `target` was judged when the object was made.
    Bound {
        helper: Rc<Ref>,
        target: Rc<Ref>,
    },
    /// A tuple's first [`MAX_TUPLE_KEPT`] items, with what [`Value::interesting`],
    /// [`Value::holds_ref`] and [`Value::cost`] say of them worked out once when it is built
    /// (every push, pop and memo store asks). A tuple holding a dict (`dynamic`, directly or
    /// through a tuple) is interesting whatever the dict holds now, since it can still be
    /// filled through another reference; what it holds of references and costs is what its
    /// items held when it was built. Asking its items each time instead was exponential in
    /// the nesting: one dict shared through five levels of 64-item tuples is 64^5 paths
    /// (332 bytes took 41 s).
    Tuple {
        items: Items,
        hot: bool,
        refs: bool,
        dynamic: bool,
        /// Tuples nested in it and it, at most [`MAX_TUPLE_DEPTH`].
        depth: u8,
        cost: u32,
    },
    /// A memoized string, bytes, tuple or dict that was not kept (the memo budget was spent).
    /// Used as an import operand it fails closed (`pickle-dynamic-global`).
    Lost,
}

/// A tuple's kept items, shared by its copies. Their memory is charged to the live total
/// when the tuple is made and returned when its last copy is dropped.
#[derive(Debug, Clone)]
pub(super) struct Items(Rc<[Value]>);

/// Heap bytes a tuple costs besides its items (the `Rc` counts, allocator headers).
const ITEMS_OVERHEAD: usize = 32;

impl Items {
    #[inline]
    fn charge_of(n: usize) -> usize {
        n.saturating_mul(std::mem::size_of::<Value>())
            .saturating_add(ITEMS_OVERHEAD)
    }
}

impl std::ops::Deref for Items {
    type Target = [Value];
    #[inline(always)]
    fn deref(&self) -> &[Value] {
        &self.0
    }
}

impl Drop for Items {
    #[inline]
    fn drop(&mut self) {
        if Rc::strong_count(&self.0) == 1 {
            discharge_container(Items::charge_of(self.0.len()));
        }
    }
}

/// What a tuple's items say, worked out in one pass over them.
pub(super) struct TupleFlags {
    /// Items that are [`Value::interesting`].
    pub(super) hot: usize,
    refs: bool,
    dynamic: bool,
    cost: usize,
    /// Every item is [`Value::Opaque`].
    pub(super) opaque: bool,
    /// The deepest tuple among the items, plus one.
    depth: u8,
}

/// Tuples nested deeper than this are not kept: the tuple that would hold them is
/// [`Value::Lost`] (used as an import operand or a callable, it fails closed). Values are
/// dropped and walked recursively, and a pickle nests tuples as deep as it likes (40,000
/// `TUPLE1` in 40 KB overflowed the stack).
pub(super) const MAX_TUPLE_DEPTH: u8 = 64;

impl TupleFlags {
    #[inline]
    pub(super) fn of(items: &[Value]) -> TupleFlags {
        let mut f = TupleFlags {
            hot: 0,
            refs: false,
            dynamic: false,
            cost: VALUE_OVERHEAD,
            opaque: true,
            depth: 1,
        };
        for v in items {
            // The commonest items of opcode-heavy pickles: one match, no flag but the cost.
            match v {
                Value::Opaque => {
                    f.cost = f.cost.saturating_add(VALUE_OVERHEAD);
                    continue;
                }
                Value::None | Value::Int(_) | Value::EmptyTuple => {
                    f.cost = f.cost.saturating_add(VALUE_OVERHEAD);
                    f.opaque = false;
                    continue;
                }
                Value::Short(_) => {
                    f.cost = f.cost.saturating_add(VALUE_OVERHEAD);
                    f.opaque = false;
                    f.hot = f.hot.saturating_add(1);
                    continue;
                }
                _ => {}
            }
            if let Value::Tuple { depth, .. } = v {
                f.depth = f.depth.max(depth.saturating_add(1));
            }
            f.hot = f.hot.saturating_add(usize::from(v.interesting()));
            f.refs |= v.holds_ref();
            f.dynamic |= matches!(v, Value::Dict(_) | Value::Tuple { dynamic: true, .. });
            f.cost = f.cost.saturating_add(v.cost());
            f.opaque &= matches!(v, Value::Opaque);
        }
        f
    }

    /// The tuple of `items` (the items these flags were worked out from), when its memory
    /// fits within `budget` with what is live.
    #[inline]
    pub(super) fn tuple(&self, items: Rc<[Value]>, budget: usize) -> Value {
        if self.depth > MAX_TUPLE_DEPTH || !charge_container(Items::charge_of(items.len()), budget)
        {
            return Value::Lost;
        }
        let items = Items(items);
        Value::Tuple {
            depth: self.depth,
            hot: self.hot > 0 || self.dynamic,
            refs: self.refs,
            dynamic: self.dynamic,
            cost: u32::try_from(self.cost).unwrap_or(u32::MAX),
            items,
        }
    }
}

/// A dict's entries, the first [`MAX_DICT_KEPT`] of them, and what [`Value::interesting`],
/// [`Value::holds_ref`] and [`Value::cost`] say of them, kept up to date as entries are added
/// (no entry holds a dict: [`Value::without_dicts`]). Its memory is charged to the live total
/// as it grows, and returned when it is dropped.
#[derive(Debug)]
pub(super) struct DictVal {
    entries: Vec<(Value, Value)>,
    /// Entries past the cap or the kept-bytes budget were dropped: a key not found may still
    /// be there.
    pub(super) dropped: bool,
    hot: bool,
    refs: bool,
    cost: usize,
    charged: usize,
}

/// Heap bytes a dict costs besides its entries (the `Rc`, the `RefCell`, the struct).
const DICT_OVERHEAD: usize = 96;

impl DictVal {
    /// An empty dict (entries come through [`DictVal::insert`], which keeps the flags), when
    /// it fits within `budget` with what is live.
    pub(super) fn new(budget: usize) -> Option<Rc<RefCell<DictVal>>> {
        charge_container(DICT_OVERHEAD, budget).then(|| {
            Rc::new(RefCell::new(DictVal {
                entries: Vec::new(),
                dropped: false,
                hot: false,
                refs: false,
                cost: 0,
                charged: DICT_OVERHEAD,
            }))
        })
    }

    /// Adds an entry, or notes it was dropped and gives it back when the dict is full or its
    /// room does not fit within `budget`.
    #[must_use]
    pub(super) fn insert(&mut self, k: Value, v: Value, budget: usize) -> Option<(Value, Value)> {
        let len = self.entries.len();
        if len >= MAX_DICT_KEPT {
            self.dropped = true;
            return Some((k, v));
        }
        if len == self.entries.capacity() {
            let grown = len.saturating_mul(2).clamp(4, MAX_DICT_KEPT);
            let more = grown
                .saturating_sub(len)
                .saturating_mul(std::mem::size_of::<(Value, Value)>());
            if !charge_container(more, budget) {
                self.dropped = true;
                return Some((k, v));
            }
            self.charged = self.charged.saturating_add(more);
            self.entries.reserve_exact(grown.saturating_sub(len));
        }
        self.hot |= k.interesting() || v.interesting();
        self.refs |= k.holds_ref() || v.holds_ref();
        self.cost = self.cost.saturating_add(k.cost()).saturating_add(v.cost());
        self.entries.push((k, v));
        None
    }

    pub(super) fn entries(&self) -> &[(Value, Value)] {
        &self.entries
    }

    /// What [`Value::interesting`] says of the dict.
    pub(super) fn hot(&self) -> bool {
        self.hot
    }
}

impl Drop for DictVal {
    fn drop(&mut self) {
        discharge_container(self.charged);
    }
}

/// `numpy.dtype(spec)` as the loader has it: what it was made from and what BUILD
/// (`dtype.__setstate__`) set on it. Shared: BUILD through one reference changes them all.
#[derive(Debug)]
pub(super) struct Dtype {
    pub(super) spec: Box<str>,
    /// The state's item size (index 5): numpy takes it for flexible types (S, U, V).
    pub(super) elsize: Option<i64>,
    /// The state's flags (index 7): numpy takes them for flexible types, and bit 0
    /// (`NPY_ITEM_HASOBJECT`) makes `dtype.hasobject` true.
    pub(super) flags: Option<i64>,
    /// A BUILD whose state was not a version 3 or 4 tuple of readable numbers.
    pub(super) unread_state: bool,
}

/// Heap bytes a dtype costs besides its spec.
const DTYPE_OVERHEAD: usize = 64;

impl Dtype {
    /// `numpy.dtype(spec)`, when it fits within `budget` with what is live (a spec copied
    /// once per call, through the memo, was 400 MB from a 1 MB file).
    pub(super) fn value_of(spec: &str, budget: usize) -> Value {
        if !charge_container(spec.len().saturating_add(DTYPE_OVERHEAD), budget) {
            return Value::Lost;
        }
        Value::Dtype(Rc::new(RefCell::new(Dtype {
            spec: spec.into(),
            elsize: None,
            flags: None,
            unread_state: false,
        })))
    }

    /// `dtype.__setstate__(state)`: `(version, endian, subarray, names, fields, elsize,
    /// alignment, flags[, metadata])`. numpy takes the flags only from a version 3 or 4
    /// state: for an older version it works `hasobject` out from the fields the state gives
    /// (found by review: `V8` with a version 2 state holding an `O` field and flags 0 made
    /// joblib unpickle what was read as raw numbers), so such a state is not read.
    pub(super) fn set_state(&mut self, state: &Value) {
        let items = state.items();
        match (items.len(), items.first(), items.get(5), items.get(7)) {
            (8 | 9, Some(Value::Int(3 | 4)), Some(Value::Int(e)), Some(Value::Int(f))) => {
                self.elsize = Some(*e);
                self.flags = Some(*f);
            }
            _ => self.unread_state = true,
        }
    }

    /// The kind letter of the spec (`f` of `<f8`), when the spec is in the form numpy's own
    /// pickles give ([`dtype_kind`](crate::formats::npy::dtype_kind)): `numpy.dtype('object')`
    /// or `numpy.dtype('u1,O')` hold objects too, and have none.
    fn kind(&self) -> Option<char> {
        crate::formats::npy::dtype_kind(&self.spec)
    }

    fn flexible(&self) -> bool {
        matches!(self.kind(), Some('S' | 'a' | 'U' | 'V'))
    }

    /// `dtype.hasobject`, when it can be told. Flexible types take the state's flags; for the
    /// others numpy's handling of a flags word that contradicts the type varies (`u1` with
    /// flag 1 has objects, `O` with flags 0 has none), so a contradiction is not told.
    pub(super) fn has_object(&self) -> Option<bool> {
        if self.unread_state {
            return None;
        }
        let natural = self.kind()? == 'O';
        match self.flags {
            None if self.flexible() => Some(false),
            None => Some(natural),
            Some(f) if self.flexible() => Some(f & 1 != 0),
            Some(f) if (f & 1 != 0) == natural => Some(natural),
            Some(_) => None,
        }
    }

    /// `dtype.itemsize`, when it can be told (and is not negative).
    pub(super) fn itemsize(&self) -> Option<u64> {
        let spec = crate::formats::npy::itemsize(&self.spec)?;
        if !self.flexible() {
            return Some(spec);
        }
        if self.unread_state {
            return None;
        }
        match self.elsize {
            Some(e) => u64::try_from(e).ok(),
            None => Some(spec),
        }
    }
}

impl Drop for Dtype {
    fn drop(&mut self) {
        discharge_container(self.spec.len().saturating_add(DTYPE_OVERHEAD));
    }
}

/// Longest string held inline in a [`Value::Short`].
pub(super) const SHORT: usize = 22;

#[derive(Debug, Clone, Copy)]
pub(super) struct Short {
    pub(super) len: u8,
    bytes: [u8; SHORT],
}

impl Short {
    /// `s` when it is short enough.
    pub(super) fn new(s: &str) -> Option<Short> {
        Short::inline(s.as_bytes())
    }

    /// `b` when it is ASCII and short enough.
    #[inline]
    pub(super) fn ascii(b: &[u8]) -> Option<Short> {
        b.is_ascii().then(|| Short::inline(b))?
    }

    /// `b` held inline, when short enough (the caller knows it is UTF-8).
    #[inline]
    fn inline(b: &[u8]) -> Option<Short> {
        let mut bytes = [0u8; SHORT];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(Short {
            len: u8::try_from(b.len()).ok()?,
            bytes,
        })
    }

    /// The first `len` bytes of `bytes`, when they are UTF-8.
    #[inline]
    pub(super) fn from_utf8(bytes: [u8; SHORT], len: usize) -> Option<Short> {
        std::str::from_utf8(bytes.get(..len)?).ok()?;
        Some(Short {
            len: u8::try_from(len).ok()?,
            bytes,
        })
    }

    pub(super) fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..usize::from(self.len))?).ok()
    }
}

/// The tuple of `items` (its first [`MAX_TUPLE_KEPT`]), within `budget` (see
/// [`TupleFlags::tuple`]).
pub(super) fn tuple(items: &[Value], budget: usize) -> Value {
    if items.is_empty() {
        Value::EmptyTuple
    } else if items.iter().all(|v| matches!(v, Value::Opaque)) {
        Value::Opaque
    } else {
        Value::tuple_of(items.iter().take(MAX_TUPLE_KEPT).cloned().collect(), budget)
    }
}

/// How a [`Value::Call`] was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Made {
    /// By a call whose result may be of any type, a `str` included.
    Call,
    /// By `cls.__new__(cls)` with no arguments (NEWOBJ or NEWOBJ_EX of an empty tuple,
    /// `copyreg.__newobj__(cls)`) of a class the built-in allowlist vets for it
    /// ([`Policy::makes_new_objects`](crate::policy::Policy::makes_new_objects)), or by
    /// `copyreg._reconstructor(cls, object, state)`, which is `object.__new__(cls)`: an
    /// instance of that class, never an exact `str` (`object.__new__` refuses `str` and its
    /// subclasses). What a plain loader meets when joblib's object-array data, a pickle of its
    /// own, fetches the outer stream's estimator or DataFrame from the memo as a module name.
    Instance,
    /// By `cls.__new__(cls)` with no arguments of a class on neither list (or allowed by the
    /// user only): a `str` only if that class's `__new__` makes one from nothing, so an
    /// import named by it is judged as the unknown class is
    /// ([`Machine::stack_global`](super::machine::Machine::stack_global)).
    Unvetted,
}

// Every push, pop and copy moves one of these: it stays three words.
const _: () = assert!(std::mem::size_of::<Value>() == 24);

/// Entries kept per dict.
pub(super) const MAX_DICT_KEPT: usize = 32;

impl Value {
    /// Worth keeping in the memo: it can name, carry or build something a loader resolves.
    #[inline(always)]
    pub(super) fn interesting(&self) -> bool {
        match self {
            Value::Opaque | Value::None | Value::Int(_) | Value::EmptyDict | Value::EmptyTuple => {
                false
            }
            Value::Tuple { hot, .. } => *hot,
            Value::Lost => true,
            Value::Dict(d) => d.borrow().hot(),
            _ => true,
        }
    }

    /// Is or holds a dict.
    pub(super) fn holds_dict(&self) -> bool {
        match self {
            Value::Dict(_) | Value::EmptyDict => true,
            Value::Tuple { dynamic, .. } => *dynamic,
            _ => false,
        }
    }

    /// The value, or opaque when it is or holds a dict (see
    /// [`Machine::dict_insert`](super::machine::Machine::dict_insert)).
    pub(super) fn without_dicts(self) -> Value {
        if self.holds_dict() {
            Value::Opaque
        } else {
            self
        }
    }

    /// Holds a reference to a global, a partial object, or the result of calling a
    /// higher-order helper or a joblib array wrapper (later opcodes judge what they do): such
    /// values are always kept in the memo. Other call results are kept while the memo budget
    /// lasts, as strings are; one not kept reads back as lost (a list of 700,000 dates, each
    /// memoized, passed the cap that stops the analysis).
    /// A dict or dtype (or one a tuple holds) that may change unseen from now on (its memo
    /// slot reads back lost, and SETITEM or BUILD on the read-back is not followed): a key
    /// looked up in the dict, or the dtype's layout, is unknown from then on.
    pub(super) fn distrust(&self) {
        match self {
            Value::Dict(d) => d.borrow_mut().dropped = true,
            Value::Dtype(d) => d.borrow_mut().unread_state = true,
            Value::Tuple {
                items,
                dynamic: true,
                ..
            } => items.iter().for_each(Value::distrust),
            _ => {}
        }
    }

    #[inline]
    pub(super) fn holds_ref(&self) -> bool {
        #[inline(never)]
        fn kept_call(r: &Ref) -> bool {
            super::judge::Helper::of(r.path()).is_some()
                || super::joblib::joblib_wrapper(r.path()).is_some()
        }
        match self {
            Value::Ref(_) | Value::Bound { .. } => true,
            Value::Call(Some(r), _) => kept_call(r),
            Value::Tuple { refs, .. } => *refs,
            Value::Dict(d) => d.borrow().refs,
            _ => false,
        }
    }

    /// Holds no heap memory of its own (its cost is its slot, [`VALUE_OVERHEAD`]).
    #[inline]
    pub(super) fn inline(&self) -> bool {
        matches!(
            self,
            Value::Opaque
                | Value::None
                | Value::Int(_)
                | Value::EmptyDict
                | Value::EmptyTuple
                | Value::Short(_)
        )
    }

    /// Approximate heap bytes a memo entry for this value costs.
    pub(super) fn cost(&self) -> usize {
        match self {
            Value::Str(b) | Value::Bytes(b) => VALUE_OVERHEAD.saturating_add(b.data.len()),
            Value::Short(_) => VALUE_OVERHEAD,
            Value::Tuple { cost, .. } => *cost as usize,
            Value::Dict(d) => VALUE_OVERHEAD.saturating_add(d.borrow().cost),
            Value::Dtype(d) => VALUE_OVERHEAD.saturating_add(d.borrow().spec.len()),
            _ => VALUE_OVERHEAD,
        }
    }

    /// A tuple of `items`, its flags worked out once, within `budget` (see
    /// [`TupleFlags::tuple`]).
    pub(super) fn tuple_of(items: Rc<[Value]>, budget: usize) -> Value {
        TupleFlags::of(&items).tuple(items, budget)
    }

    /// The items of a tuple; none for anything else.
    pub(super) fn items(&self) -> &[Value] {
        match self {
            Value::Tuple { items, .. } => items,
            _ => &[],
        }
    }

    /// Could be an exact `str` when loaded (what `STACK_GLOBAL` requires): a string, or a
    /// value whose type is only known at load time (a global, a call result, a memo entry
    /// not kept).
    pub(super) fn may_be_str(&self) -> bool {
        match self {
            // A joblib array wrapper class, and what calling it makes, are no strings (a
            // plain loader reading array data as opcodes meets them on the stack).
            Value::Ref(r) | Value::Call(Some(r), _)
                if super::joblib::joblib_wrapper(r.path()).is_some() =>
            {
                false
            }
            // An instance of a vetted class made with no arguments ([`Made::Instance`]).
            Value::Call(_, Made::Instance) => false,
            Value::Str(_)
            | Value::Short(_)
            | Value::Ref(_)
            | Value::Call(..)
            | Value::Bound { .. }
            | Value::Lost => true,
            _ => false,
        }
    }

    /// The text of a string value kept whole.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Value::Str(b) => b.text(),
            Value::Short(s) => s.text(),
            _ => None,
        }
    }

    /// A string value: inline when short.
    pub(super) fn string(data: Vec<u8>, len: u64) -> Value {
        if data.len() as u64 == len
            && let Ok(t) = std::str::from_utf8(&data)
            && let Some(s) = Short::new(t)
        {
            return Value::Short(s);
        }
        Value::Str(Rc::new(Blob::new(data, len)))
    }

    /// The value of `key` in a dict (the last one set, as a loader's dict keeps it).
    pub(super) fn dict_get(&self, key: &str) -> Option<Lookup> {
        let Value::Dict(d) = self else { return None };
        // The last entry whose key is `key` sets it, unless a later key may be `key` at load
        // time without the analysis knowing its text (a memoized string not kept, a call).
        d.borrow()
            .entries()
            .iter()
            .rev()
            .find_map(|(k, v)| match k.text() {
                Some(t) if t == key => Some(Lookup::Set(v.clone())),
                Some(_) => None,
                // An instance may compare equal to a string (its class's `__eq__`).
                None if k.may_be_str() || matches!(k, Value::Call(..)) => Some(Lookup::Unknown),
                None => None,
            })
    }

    /// Kept in the memo although not [`Value::interesting`]: numbers and tuples of numbers
    /// (a joblib array's shape and alignment can come from the memo; standard picklers never
    /// memoize numbers, and memoize few tuples of numbers).
    pub(super) fn kept_for_arrays(&self) -> bool {
        match self {
            Value::Int(_) | Value::None | Value::EmptyTuple => true,
            Value::Tuple { items, dynamic, .. } => {
                !dynamic && items.iter().all(|v| matches!(v, Value::Int(_)))
            }
            _ => false,
        }
    }
}

/// Which object a value is, without keeping it alive: an inline string by its text, a string,
/// bytes, dtype or tuple by a weak reference (its contents are freed with it, and its address
/// cannot be reused while the reference lives, so [`Identity::is`] never mistakes another
/// object for it).
pub(super) enum Identity {
    Short(Short),
    Blob(std::rc::Weak<Blob>),
    Dtype(std::rc::Weak<RefCell<Dtype>>),
    Items(std::rc::Weak<[Value]>),
}

impl Identity {
    /// `v` is that object (or, inline, that text).
    pub(super) fn is(&self, v: &Value) -> bool {
        match (self, v) {
            (Identity::Short(a), Value::Short(b)) => a.text() == b.text(),
            (Identity::Blob(w), Value::Str(b) | Value::Bytes(b)) => {
                std::ptr::eq(w.as_ptr(), Rc::as_ptr(b))
            }
            (Identity::Dtype(w), Value::Dtype(d)) => std::ptr::eq(w.as_ptr(), Rc::as_ptr(d)),
            (Identity::Items(w), Value::Tuple { items, .. }) => {
                std::ptr::eq(w.as_ptr().cast::<Value>(), items.0.as_ptr())
            }
            _ => false,
        }
    }
}

impl Value {
    /// Which object this is ([`Identity`]); none for values that are not objects the
    /// analysis tells apart.
    pub(super) fn identity(&self) -> Option<Identity> {
        Some(match self {
            Value::Short(s) => Identity::Short(*s),
            Value::Str(b) | Value::Bytes(b) => Identity::Blob(Rc::downgrade(b)),
            Value::Dtype(d) => Identity::Dtype(Rc::downgrade(d)),
            Value::Tuple { items, .. } => Identity::Items(Rc::downgrade(&items.0)),
            _ => return None,
        })
    }
}

/// What [`Value::dict_get`] finds for a key that some entry sets or may set.
pub(super) enum Lookup {
    Set(Value),
    /// A key the analysis cannot read may be the one asked for.
    Unknown,
}

pub(super) fn args_of(v: &Value) -> &[Value] {
    v.items()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dict_sees_what_is_put_into_it_later_and_a_tuple_holding_it_is_interesting_from_the_start()
    {
        let dict = Value::Dict(DictVal::new(usize::MAX).unwrap());
        let t = Value::tuple_of(vec![Value::Int(1), dict.clone()].into(), usize::MAX);
        assert!(!dict.interesting() && !dict.holds_ref());
        // The dict can be filled later through another reference.
        assert!(t.interesting() && !t.holds_ref());
        if let Value::Dict(d) = &dict {
            let target = Value::Ref(Rc::new(Ref::new("os", "system")));
            assert!(
                d.borrow_mut()
                    .insert(Value::Int(0), target, usize::MAX)
                    .is_none()
            );
        }
        assert!(dict.interesting() && dict.holds_ref());
        assert_eq!(dict.cost(), 3 * VALUE_OVERHEAD);
        // And through a tuple inside a tuple.
        assert!(Value::tuple_of(vec![t].into(), usize::MAX).interesting());
    }

    #[test]
    fn a_tuple_of_plain_values_keeps_what_its_items_say() {
        let t = Value::tuple_of(vec![Value::Int(1), Value::None].into(), usize::MAX);
        assert!(!t.interesting() && !t.holds_ref());
        let s = Value::tuple_of(
            vec![Value::Short(Short::new("k0").unwrap())].into(),
            usize::MAX,
        );
        assert!(s.interesting() && !s.holds_ref());
        assert_eq!(s.cost(), 2 * VALUE_OVERHEAD);
    }
}
