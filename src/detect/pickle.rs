//! The pickle opcode grammar that detection needs: the legacy `torch.save` magic, opcode names,
//! and a dry run over the first bytes that tells a protocol 0/1 pickle (which has no magic
//! byte) from text. A leaf: the pickle parser (`formats::pickle`) builds on it, never the other
//! way round.
//!
//! Opcode reference: CPython `Lib/pickletools.py`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// Start of every legacy (non-zip) `torch.save` file: protocol 2 and the magic number
/// 0x1950a86a20f9469cfc6c as a LONG1.
pub const LEGACY_TORCH_PREFIX: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

/// Position of the first newline.
pub(crate) fn memchr(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
}

/// The opcode's name, for messages.
pub fn op_name(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x80 => "PROTO",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8a => "LONG1",
        0x8b => "LONG4",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "UNKNOWN",
    }
}

/// A number's line as CPython reads it: `strtol`, `int()` and `float()` stop at a NUL (what
/// follows is never looked at: `I12\0zz` is 12) and allow whitespace around the number.
fn numeric_line(arg: &[u8]) -> bool {
    let number = arg.split(|&c| c == 0).next().unwrap_or(arg);
    number
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || b"+-._".contains(c) || c.is_ascii_whitespace())
}

/// A `GLOBAL` or `INST` module or name line: UTF-8 (the loader decodes it strictly) and, up to
/// any NUL, a dotted name of letters, digits and underscores (Python names need not be ASCII;
/// a frozen module is found by what precedes a NUL: `os\0x` imports `os`).
fn global_line(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let name = text.split('\0').next().unwrap_or(text);
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// Dry run of the opcode grammar over the first bytes: a protocol 0/1 pickle either reaches
/// STOP inside the window or runs through it without an error and with a plausible start. A
/// STOP after fewer than 8 opcodes, none of them an import or a call, is also how some text
/// begins (`N.B.`, `(1.5, 2.5)`): what follows it must then be the end of the data,
/// whitespace to the end, or another stream. (What follows a STOP is never read: a payload
/// may be followed by anything.)
pub fn looks_like_pickle(head: &[u8], len: u64) -> bool {
    let whole = head.len() as u64 >= len;
    match run(head, whole, 0, None) {
        Run::Is(p) => p,
        Run::Past { carry, .. } => !whole && carry.ops >= 8,
    }
}

/// [`looks_like_pickle`] that goes on where an argument runs past the window (a long string
/// first, then the payload: the window alone cannot tell), from the bytes `read` gives at an
/// offset (`read(at, n)`: up to `n` bytes), up to 8 times. A line argument (`S'...`, `V...`)
/// is followed to its newline, however far: CPython reads lines of any length. Past
/// [`LINE_SEARCH`] bytes with no newline, the bytes are taken for a pickle (the scan then
/// reports the line as a limit); the end of the data with none stops the loader.
pub fn looks_like_pickle_in(
    head: &[u8],
    len: u64,
    read: &mut dyn FnMut(u64, usize) -> std::io::Result<Vec<u8>>,
) -> std::io::Result<bool> {
    let mut run_so_far = run(head, head.len() as u64 >= len, 0, None);
    for _ in 0..8 {
        let Run::Past {
            mut at,
            carry,
            line,
        } = run_so_far
        else {
            break;
        };
        if line {
            match newline_from(at, len, read)? {
                Newline::At(nl) => at = nl.saturating_add(1),
                Newline::None => return Ok(false),
                Newline::TooFar => return Ok(true),
            }
        }
        // An argument that runs past the data stops the loader.
        if at >= len {
            return Ok(false);
        }
        let window = read(at, super::HEAD_LEN)?;
        let whole = at.saturating_add(window.len() as u64) >= len;
        run_so_far = run(&window, whole, at, Some(carry));
    }
    Ok(match run_so_far {
        Run::Is(p) => p,
        Run::Past { carry, .. } => carry.ops >= 8,
    })
}

/// How far a line argument's newline is looked for.
pub const LINE_SEARCH: u64 = 64 << 20;

enum Newline {
    At(u64),
    /// The data ends first.
    None,
    /// Not within [`LINE_SEARCH`] bytes.
    TooFar,
}

/// The first newline at or after `at`.
fn newline_from(
    at: u64,
    len: u64,
    read: &mut dyn FnMut(u64, usize) -> std::io::Result<Vec<u8>>,
) -> std::io::Result<Newline> {
    let mut pos = at;
    while pos < len {
        if pos.saturating_sub(at) >= LINE_SEARCH {
            return Ok(Newline::TooFar);
        }
        let chunk = read(pos, 64 << 10)?;
        if chunk.is_empty() {
            break;
        }
        if let Some(i) = memchr(&chunk) {
            return Ok(Newline::At(pos.saturating_add(i as u64)));
        }
        pos = pos.saturating_add(chunk.len() as u64);
    }
    Ok(Newline::None)
}

/// A line argument's first bytes (`rest`: all the window holds of it) are as CPython reads
/// such a line: `STRING` quoted, `PERSID` ASCII, a number's digits.
fn line_starts_well(op: u8, rest: &[u8]) -> bool {
    match op {
        b'S' => matches!(rest.first(), Some(b'\'' | b'"')),
        b'P' => rest.is_ascii(),
        b'F' | b'I' | b'L' => numeric_line(rest),
        _ => true,
    }
}

/// What the dry run over one window found.
enum Run {
    Is(bool),
    /// An argument ran past the window: the next opcode is at `at` (an offset in the data),
    /// or (`line`) after the first newline from `at` on.
    Past {
        at: u64,
        carry: Carry,
        line: bool,
    },
}

/// Where a stream's dry run stands: its count of opcodes, whether one imported or called, and
/// the loader's stack while it is followed ([`Shape`]).
#[derive(Clone)]
struct Carry {
    ops: usize,
    calls: bool,
    shape: Option<Shape>,
}

/// Opcodes whose effect on the loader's stack is followed: where the loader fails within them
/// (an empty stack, a missing MARK) and nothing was imported or called before, nothing runs,
/// and the bytes are not a pickle (`Node.js is ...`: `NONE` then `OBJ`, which needs a MARK).
const SHAPE_OPS: usize = 8;

/// The loader's stack by counts, as CPython's `_pickle.c` checks it: the items above each
/// MARK, and below every MARK. Only what makes the loader fail at once is modelled: popping
/// past a MARK or the bottom (`Pdata_stack_underflow`), a MARK missing (`marker`), an odd
/// `SETITEMS`.
#[derive(Clone)]
struct Shape {
    bottom: u32,
    marks: Vec<u32>,
}

impl Shape {
    fn new() -> Self {
        Shape {
            bottom: 0,
            marks: Vec::new(),
        }
    }

    fn top(&mut self) -> &mut u32 {
        self.marks.last_mut().unwrap_or(&mut self.bottom)
    }

    /// The items above the top MARK, which is popped; `None`: no MARK.
    fn pop_mark(&mut self) -> Option<u32> {
        self.marks.pop()
    }

    /// Pops `n` items above the top MARK and pushes `m`; false where the loader fails.
    fn pop_push(&mut self, n: u32, m: u32) -> bool {
        let top = self.top();
        if *top < n {
            return false;
        }
        *top = top.saturating_sub(n).saturating_add(m);
        true
    }

    /// Applies `op`; false where the loader fails on it (before it imports or calls).
    fn apply(&mut self, op: u8) -> bool {
        match op {
            b'(' => {
                self.marks.push(0);
                true
            }
            // `load_pop`: the top item, or else the top MARK.
            b'0' => {
                if *self.top() > 0 {
                    self.pop_push(1, 0)
                } else {
                    self.pop_mark().is_some()
                }
            }
            b'1' => self.pop_mark().is_some(),
            b'd' | b'l' | b't' | b'i' | 0x91 => self.pop_mark().is_some() && self.pop_push(0, 1),
            // `load_obj`: the class above the MARK.
            b'o' => self.pop_mark().is_some_and(|n| n >= 1) && self.pop_push(0, 1),
            // `do_append`, `do_setitems`, `load_additems`: the container below the MARK.
            b'e' | 0x90 => self.pop_mark().is_some() && *self.top() >= 1,
            b'u' => self.pop_mark().is_some_and(|n| n % 2 == 0) && *self.top() >= 1,
            b'.' => self.pop_push(1, 0),
            b'2' => self.pop_push(1, 2),
            b'p' | b'q' | b'r' | 0x94 | 0x85 | b'Q' | 0x98 => self.pop_push(1, 1),
            b'R' | b'b' | b'a' | 0x81 | 0x93 | 0x86 => self.pop_push(2, 1),
            b's' | 0x92 | 0x87 => self.pop_push(3, 1),
            0x80 | 0x95 => true,
            _ => self.pop_push(0, 1),
        }
    }
}

/// The dry run over `head`, which starts at `base` in the data, from the start of a stream or
/// (`resume`) from the middle of one, with its count of opcodes and whether it called.
fn run(head: &[u8], whole: bool, base: u64, mut resume: Option<Carry>) -> Run {
    let mut at = 0usize;
    let mut later = false;
    loop {
        let Some(rest) = head.get(at..) else {
            return Run::Is(false);
        };
        match stream(rest, whole, resume.take(), later) {
            Stream::Plausible(p) => return Run::Is(p),
            Stream::Past { next, carry, line } => {
                let at = base.saturating_add(at as u64).saturating_add(next as u64);
                return Run::Past { at, carry, line };
            }
            Stream::Stop { next, ops, calls } => {
                let after = rest.get(next..).unwrap_or(&[]);
                if ops >= 8
                    || calls
                    || after.is_empty()
                    || (whole && after.iter().all(u8::is_ascii_whitespace))
                    || matches!(after, [0x80, p, ..] if *p <= 5)
                {
                    return Run::Is(true);
                }
                at = at.saturating_add(next);
                later = true;
            }
        }
    }
}

/// What the dry run of one stream found.
enum Stream {
    Plausible(bool),
    /// A STOP after `ops` opcodes, some of them imports or calls (`calls`); the next stream
    /// would start at `next`.
    Stop {
        next: usize,
        ops: usize,
        calls: bool,
    },
    /// An argument runs past the window: the next opcode is at `next`, or (`line`) after the
    /// first newline from `next` on.
    Past {
        next: usize,
        carry: Carry,
        line: bool,
    },
}

/// The dry run of one stream from the start of `head`, or (`resume`) from the middle of one;
/// `later`: a stream after another (an `Unpickler` loaded again keeps its memo, so it may
/// start by fetching from it).
fn stream(head: &[u8], whole: bool, resume: Option<Carry>, later: bool) -> Stream {
    let mut i = 0usize;
    let fresh = resume.is_none();
    let Carry {
        mut ops,
        mut calls,
        mut shape,
    } = resume.unwrap_or(Carry {
        ops: 0,
        calls: false,
        shape: Some(Shape::new()),
    });
    // The first opcode of a stream pushes something or opens a MARK.
    if fresh
        && !(later && matches!(head.first(), Some(b'g' | b'h' | b'j')))
        && !matches!(
            head.first(),
            Some(
                b'(' | b'c'
                    | b'i'
                    | b'}'
                    | b']'
                    | b')'
                    | b'N'
                    | b'I'
                    | b'L'
                    | b'F'
                    | b'S'
                    | b'V'
                    | b'X'
                    | b'U'
                    | b'T'
                    | b'K'
                    | b'J'
                    | b'M'
                    | b'G'
                    | b'B'
                    | b'C'
                    | 0x88
                    | 0x89
                    | 0x8a
                    | 0x8b
                    | 0x8c
                    | 0x8d
                    | 0x8e
                    | 0x8f
                    | 0x96
                    | 0x95
                    | 0x80
                    | b'P'
            )
        )
    {
        return Stream::Plausible(false);
    }
    // The line at `i` (without its newline) and the position after it. Positions are below
    // `head.len()` plus an argument length of at most 2^32: they cannot overflow.
    let line_at = |i: usize| {
        let rest = head.get(i..)?;
        let n = memchr(rest)?;
        Some((rest.get(..n)?, i.saturating_add(n).saturating_add(1)))
    };
    while let Some(&op) = head.get(i) {
        i = i.saturating_add(1);
        ops = ops.saturating_add(1);
        // The pure-Python unpickler (joblib's `NumpyUnpickler` is one) imports an `INST`'s
        // class before it looks for the MARK.
        calls |= op == b'i';
        // The loader fails on this opcode's stack before it imports or calls anything.
        if let Some(sh) = shape.as_mut()
            && !sh.apply(op)
        {
            if !calls {
                return Stream::Plausible(false);
            }
            shape = None;
        }
        if ops >= SHAPE_OPS {
            shape = None;
        }
        calls |= matches!(op, b'c' | b'R' | b'o' | 0x81..=0x84 | 0x92 | 0x93);
        let next = match op {
            b'.' if ops >= 2 => {
                return Stream::Stop {
                    next: i,
                    ops,
                    calls,
                };
            }
            b'.' => return Stream::Plausible(false),
            b'(' | b'0' | b'1' | b'2' | b'N' | b'R' | b'a' | b'b' | b'd' | b'}' | b'e' | b'l'
            | b']' | b'o' | b's' | b't' | b')' | b'u' | b'Q' | 0x81 | 0x85 | 0x86 | 0x87 | 0x88
            | 0x89 | 0x8f | 0x90 | 0x91 | 0x92 | 0x93 | 0x94 | 0x97 | 0x98 => Some(i),
            b'F' | b'I' | b'L' | b'g' | b'p' => line_at(i)
                .filter(|(arg, _)| numeric_line(arg))
                .map(|(_, e)| e),
            b'S' | b'V' | b'P' => line_at(i).map(|(_, e)| e),
            b'c' | b'i' => line_at(i).and_then(|(module, e)| {
                let (name, e2) = line_at(e)?;
                (global_line(module) && global_line(name)).then_some(e2)
            }),
            b'K' | b'h' | b'q' | 0x82 => Some(i.saturating_add(1)),
            b'M' | 0x83 => Some(i.saturating_add(2)),
            b'J' | b'j' | b'r' | 0x84 => Some(i.saturating_add(4)),
            b'G' => Some(i.saturating_add(8)),
            b'U' | b'C' | 0x8c | 0x8a => head
                .get(i)
                .map(|&n| i.saturating_add(1).saturating_add(usize::from(n))),
            b'T' | b'X' | b'B' | 0x8b => head
                .get(i..i.saturating_add(4))
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|b| {
                    i.saturating_add(4)
                        .saturating_add(u32::from_le_bytes(b) as usize)
                }),
            0x80 => head
                .get(i)
                .filter(|&&p| p <= 5)
                .map(|_| i.saturating_add(1)),
            0x95 => Some(i.saturating_add(8)),
            0x8d | 0x8e | 0x96 => head
                .get(i..i.saturating_add(8))
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .and_then(|b| usize::try_from(u64::from_le_bytes(b)).ok())
                .map(|n| i.saturating_add(8).saturating_add(n)),
            _ => return Stream::Plausible(false),
        };
        match next {
            Some(n) if n > head.len() => {
                return Stream::Past {
                    next: n,
                    carry: Carry { ops, calls, shape },
                    line: false,
                };
            }
            Some(n) => i = n,
            // A line argument with no newline in the window, that begins as CPython reads
            // one: a quoted string, text, an ASCII persistent id, a number.
            None if !whole
                && matches!(op, b'S' | b'V' | b'P' | b'F' | b'I' | b'L')
                && line_starts_well(op, head.get(i..).unwrap_or(&[])) =>
            {
                return Stream::Past {
                    next: head.len(),
                    carry: Carry { ops, calls, shape },
                    line: true,
                };
            }
            // The argument runs past the window: plausible only if the file goes on.
            None => return Stream::Plausible(!whole && ops >= 4),
        }
    }
    Stream::Plausible(!whole && ops >= 8)
}
