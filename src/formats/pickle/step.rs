//! The opcode loop and its dispatch, by opcode family (`Modules/_pickle.c`, `load`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Break, Input, Res, invalid};
use super::joblib::{Wrapper, joblib_wrapper};
use super::machine::{End, Machine};
use super::strings::{Index, parse_index, raw_unicode_escape, unquote_string};
use super::value::{Blob, DictVal, MAX_TUPLE_KEPT, Made, TupleFlags, Value, tuple};
use super::{GlobalUse, MAX_GLOBAL_FACTS};
use crate::detect::pickle::op_name;
use crate::finding::{Code, Evidence, Severity};
use std::rc::Rc;

/// Distinct extension codes (`EXT1/2/4`) one stream may name.
const MAX_EXTENSION_CODES: usize = 4096;

impl<'c, 'a> Machine<'c, 'a> {
    /// Runs one stream until STOP, a break or a limit.
    pub(super) fn run(&mut self, inp: &mut Input) -> Res<End> {
        self.opcodes_left = self.opcode_allowance();
        let end = self.run_opcodes(inp);
        self.charge_opcodes();
        end
    }

    /// Opcodes this machine may still run: what is left of this context's limit
    /// ([`Ctx::pickle_opcode_limit`](crate::formats::Ctx::pickle_opcode_limit): a side reading
    /// has its share of the re-read budget) and of the file's budget.
    pub(super) fn opcode_allowance(&self) -> u64 {
        self.ctx
            .pickle_opcode_limit()
            .saturating_sub(self.ctx.facts.pickle_opcodes)
            .min(self.ctx.budget().pickle_opcodes_left())
    }

    /// Charges the opcodes run since the last charge to this context's facts and to the
    /// file's budget (before anything else reads or spends them: a nested inspection, the
    /// end of the stream).
    pub(super) fn charge_opcodes(&mut self) {
        let n = std::mem::take(&mut self.opcodes_run);
        let facts = &mut self.ctx.facts.pickle_opcodes;
        *facts = facts.saturating_add(n);
        self.ctx.budget().spend_opcodes(n);
    }

    fn run_opcodes(&mut self, inp: &mut Input) -> Res<End> {
        loop {
            // The one opcode counter: a countdown of the allowance, charged in a batch.
            if self.opcodes_left == 0 {
                return Err(Break::Limit(format!(
                    "more than {} opcodes in this file",
                    self.ctx
                        .pickle_opcode_limit()
                        .min(self.ctx.budget().max_pickle_opcodes())
                )));
            }
            self.opcodes_left = self.opcodes_left.saturating_sub(1);
            self.opcodes_run = self.opcodes_run.saturating_add(1);
            let at = inp.pos;
            if let Some(v) = &self.visited {
                // A side reading records security findings only, and one is its answer.
                if !self.ctx.findings.is_empty() {
                    return Ok(End::Found);
                }
                if self.hot == 0
                    && self.attrs.is_empty()
                    && self.memo.inert()
                    && v.borrow_mut().mark(self.base.saturating_add(at))
                {
                    return Ok(End::Merged);
                }
            }
            if let Some(fe) = self.frame_end
                && at >= fe
            {
                self.frame_end = None;
            }
            let op = inp.byte("opcode")?;
            // An opcode that crosses a frame's end is an overrun even when it then fails: read
            // from the frame's end, its argument may not fail.
            let stepped = match self.step_hot(op, at, inp) {
                Ok(true) => Ok(false),
                Ok(false) => self.step(op, at, inp),
                Err(e) => Err(e),
            };
            if let Some(fe) = self.frame_end
                && at < fe
                && inp.pos > fe
                && op != 0x95
                && self.crossed(inp.pos)
                && !self.frame_overrun_reported
                && !inp.modelled()
            {
                let end = inp.pos;
                self.frame_overrun(
                    (fe, end),
                    at,
                    format!(
                        "opcode {} at {at} runs to {end} past the frame ending at {fe}; a loader that peeks reads on, one that reads the frame whole (io.BytesIO, torch.load) takes it from the frame end, frame-honouring scanners stop",
                        op_name(op)
                    ),
                    Evidence::mismatch(format!("end <= {fe}"), end.to_string()),
                );
            }
            if stepped? {
                return Ok(End::Stop);
            }
        }
    }

    /// A STOP with bytes of its frame left after it. A loader that reads the frame whole
    /// leaves the file at the frame's end, where the next `pickle.load` starts; one that
    /// peeks resumes right after the STOP: the two read different streams next (no writer
    /// ends a stream inside a frame).
    fn stop_in_frame(&mut self, at: u64, inp: &Input) {
        // A frame that runs past the data stops CPython at its FRAME, however it reads.
        let within = |fe: u64| {
            inp.remaining()
                .is_none_or(|r| fe <= inp.pos.saturating_add(r))
        };
        let Some(fe) = self.frame_end.filter(|&fe| inp.pos < fe && within(fe)) else {
            return;
        };
        self.crossed(fe.saturating_add(1));
        // Side readings look for payloads, not for this.
        if inp.modelled()
            || self.visited.is_some()
            || std::mem::replace(&mut self.stopped_in_frame, true)
        {
            return;
        }
        // The next load of a loader that reads the frame whole starts at its end, afresh:
        // that is tried as a side reading.
        self.overruns.push((fe, fe.saturating_add(1)));
        let code = Code::PickleFrameOverrun;
        self.ctx.report_with(
            code,
            code.default_severity(),
            Some(at),
            format!(
                "STOP at {at} ends the stream inside the frame ending at {fe}; a loader that reads the frame whole (io.BytesIO, torch.load) starts the next load at {fe}, one that peeks at {}",
                inp.pos
            ),
            Evidence::mismatch(format!("STOP at {}", fe.saturating_sub(1)), at.to_string()),
        );
    }

    /// Notes a place where a file object's reading may part from the first reading, up to
    /// `end`; true.
    #[cold]
    fn crossed(&mut self, end: u64) -> bool {
        self.last_cross = Some(self.last_cross.map_or(end, |c| c.max(end)));
        true
    }

    /// Reports the stream's (first) frame overrun at opcode `at` and keeps `window`, (frame
    /// end, end of what ran past it), for the side readings tried there.
    fn frame_overrun(&mut self, window: (u64, u64), at: u64, message: String, ev: Evidence) {
        self.frame_overrun_reported = true;
        self.overruns.push(window);
        let code = Code::PickleFrameOverrun;
        self.ctx
            .report_with(code, code.default_severity(), Some(at), message, ev);
    }

    /// The opcodes that make up most of an opcode-heavy pickle, dispatched in a small frame
    /// of their own (the full [`Machine::step`] keeps a frame of kilobytes for its rarer
    /// opcodes). Returns false for an opcode it does not handle.
    #[inline(always)]
    fn step_hot(&mut self, op: u8, at: u64, inp: &mut Input) -> Res<bool> {
        match op {
            b'(' => self.push_mark()?,
            b'0' => {
                if self.marks.last().map(|&k| k as usize) == Some(self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
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
                self.push(Value::EmptyTuple)?;
            }
            0x8c => {
                let n = inp.byte("SHORT_BINUNICODE")?;
                let v = self.read_text(inp, u64::from(n), "SHORT_BINUNICODE")?;
                self.push(v)?;
            }
            0x85..=0x87 => {
                let n = usize::from(op.saturating_sub(0x84)); // 1 to 3
                if self.stack.len() < self.fence().saturating_add(n) {
                    return invalid("unpickling stack underflow");
                }
                let from = self.stack.len().saturating_sub(n);
                let items = self.stack.get(from..).unwrap_or(&[]);
                let flags = TupleFlags::of(items);
                // As `tuple`: only a tuple of nothing at all is opaque (shapes are ints).
                let v = if flags.opaque {
                    self.stack.truncate(from);
                    Value::Opaque
                } else {
                    self.hot = self.hot.saturating_sub(flags.hot);
                    let t = self.pop_tuple_items(n);
                    self.loose(&t, op_name(op), at);
                    // The items are looked at again only when a wrapper could be among them.
                    let items = self.wrappers.then(|| Rc::clone(&t));
                    let v = flags.tuple(t, self.container_budget());
                    if let Some(items) = items {
                        self.wrapper_lost(&v, &items, at)?;
                    }
                    v
                };
                self.push(v)?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.wrapper_escapes(&items, "APPENDS", at)?;
                self.loose(&items, "APPENDS", at);
                self.mutate("APPENDS", at, &items)?;
                self.recycle(items);
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
            b'h' => {
                let i = inp.byte("BINGET")?;
                self.memo_get(u64::from(i))?;
            }
            b'j' => {
                let i = u32::from_le_bytes(inp.array::<4>("LONG_BINGET")?);
                self.memo_get(u64::from(i))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Executes one opcode; returns true on STOP.
    #[inline(never)]
    fn step(&mut self, op: u8, at: u64, inp: &mut Input) -> Res<bool> {
        let limits = self.ctx.limits;
        match op {
            b'.' => {
                self.pop()?;
                self.stop_in_frame(at, inp);
                return Ok(true);
            }
            b'1' => {
                let items = self.pop_mark()?;
                self.recycle(items);
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
                self.push(int_line(&line))?;
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
            // Strings.
            b'S' => {
                let line = inp.line(limits.max_line, "STRING")?;
                let s = unquote_string(&line)?;
                let v = self.string_from(s);
                self.push(v)?;
            }
            b'V' => {
                let line = inp.line(limits.max_line, "UNICODE")?;
                let n = line.len() as u64;
                let v = if self.keep(n) < line.len() {
                    // A line longer than what may be kept is not decoded: a string not kept
                    // whole is never a name and never read (its length is the line's, an
                    // upper bound of the text's). Side readings keep no more than a name, so
                    // the many starts inside one long line do not each decode the rest of it.
                    Value::Str(Rc::new(Blob::new(Vec::new(), n)))
                } else {
                    self.string_from(raw_unicode_escape(&line).into_bytes())
                };
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
                // Once per stream: a run of them gave a finding each (886 in 3.6 KB).
                if !std::mem::replace(&mut self.oob_reported, true) {
                    self.ctx.report(
                        Code::PickleOutOfBandBuffer,
                        Some(at),
                        "NEXT_BUFFER needs out-of-band buffers; a plain loader raises here",
                    );
                }
                self.push(Value::Opaque)?;
            }
            0x98 => {
                self.top()?;
            }
            // Containers.
            b'd' => {
                let mut items = self.pop_mark()?;
                self.wrapper_escapes(&items, "DICT", at)?;
                self.loose(&items, "DICT", at);
                let budget = self.container_budget();
                // Past the kept-bytes budget the dict is not made: lost (it fails closed).
                let v = match DictVal::new(budget) {
                    Some(d) => {
                        self.fill_dict(&d, &mut items, budget);
                        Value::Dict(d)
                    }
                    None => Value::Lost,
                };
                self.recycle(items);
                self.push(v)?;
            }
            b'l' | 0x91 => {
                let items = self.pop_mark()?;
                self.wrapper_escapes(&items, op_name(op), at)?;
                self.loose(&items, op_name(op), at);
                // A list or set is not kept.
                self.hidden(&items);
                self.recycle(items);
                self.push(Value::Opaque)?;
            }
            b't' => {
                // Made from the stack in place: a tuple of a million items is no copy of them.
                let Some(k) = self.marks.pop().map(|k| k as usize) else {
                    return invalid("could not find MARK");
                };
                let stack = std::mem::take(&mut self.stack);
                let items = stack.get(k..).unwrap_or(&[]);
                self.loose(items, "TUPLE", at);
                // Items past the kept ones are seen no more.
                self.hidden(items.get(MAX_TUPLE_KEPT..).unwrap_or(&[]));
                let v = tuple(items, self.container_budget());
                let cooled = items.iter().filter(|v| v.interesting()).count();
                let lost = self.wrapper_lost(&v, items, at);
                self.stack = stack;
                lost?;
                self.stack.truncate(k);
                self.hot = self.hot.saturating_sub(cooled);
                self.push(v)?;
            }
            b'a' => {
                let v = self.pop()?;
                self.wrapper_escapes(std::slice::from_ref(&v), "APPEND", at)?;
                self.loose(std::slice::from_ref(&v), "APPEND", at);
                self.mutate("APPEND", at, std::slice::from_ref(&v))?;
            }
            b's' => {
                let v = self.pop()?;
                let k = self.pop()?;
                self.wrapper_escapes(&[k.clone(), v.clone()], "SETITEM", at)?;
                self.loose(std::slice::from_ref(&k), "SETITEM", at);
                self.loose(std::slice::from_ref(&v), "SETITEM", at);
                let mut kv = vec![k, v];
                self.mutate("SETITEM", at, &kv)?;
                self.dict_insert(&mut kv)?;
            }
            b'u' => {
                let mut items = self.pop_mark()?;
                if items.len() % 2 != 0 {
                    return invalid("odd number of items for SETITEMS");
                }
                self.wrapper_escapes(&items, "SETITEMS", at)?;
                self.loose(&items, "SETITEMS", at);
                self.mutate("SETITEMS", at, &items)?;
                self.dict_insert(&mut items)?;
                self.recycle(items);
            }
            0x90 => {
                let items = self.pop_mark()?;
                self.wrapper_escapes(&items, "ADDITEMS", at)?;
                self.loose(&items, "ADDITEMS", at);
                self.mutate("ADDITEMS", at, &items)?;
                self.recycle(items);
            }
            b'b' => {
                let state = self.pop()?;
                self.loose(std::slice::from_ref(&state), "BUILD", at);
                self.mutate("BUILD", at, std::slice::from_ref(&state))?;
                if let Value::Ref(r) = self.top()? {
                    let base = r.path().to_owned();
                    self.record_attrs(&base, &state);
                }
                let top = self.top()?;
                let class = match top {
                    Value::Call(Some(r), made) => Some((r.clone(), *made)),
                    _ => None,
                };
                if let Value::Dtype(d) = top {
                    d.borrow_mut().set_state(&state);
                } else if !self.dtype_may_have_changed && self.build_may_change_a_dtype(&state)? {
                    self.dtype_may_have_changed = true;
                }
                self.state_code(class.as_ref().map(|(r, m)| (&**r, *m)), &state, at);
                if let Some((r, _)) = class {
                    // BUILD calls the object's __setstate__ (or sets its attributes).
                    self.record_call(&format!("{}.__setstate__", r.path()), "BUILD", at);
                    if let Some(wrapper) = joblib_wrapper(r.path()).filter(|_| !self.plain) {
                        self.awaiting_build = self.awaiting_build.saturating_sub(1);
                        let array = match wrapper {
                            Wrapper::Inline => {
                                // joblib ends the current frame before writing the array data.
                                if self.frame_end == Some(inp.pos) {
                                    self.frame_end = None;
                                }
                                self.joblib_array(&state, at, inp)?
                            }
                            Wrapper::File => {
                                self.joblib_array_file(&state, at);
                                Value::Opaque
                            }
                        };
                        // NumpyUnpickler replaces the wrapper by the array it read: what is
                        // left on the stack is no wrapper (a wrapper seen later was not built).
                        if let Some(top) = self.stack.last_mut() {
                            *top = array;
                        }
                    }
                }
                self.rebind(&state, at)?;
            }
            // Memo.
            b'p' => {
                let line = inp.line(limits.max_line, "PUT")?;
                match parse_index(&line, "PUT")? {
                    Index::Small(i) => self.memo_put(i, at)?,
                    Index::Huge(d) => self.memo_put_huge(d)?,
                }
            }
            b'g' => {
                let line = inp.line(limits.max_line, "GET")?;
                match parse_index(&line, "GET")? {
                    Index::Small(i) => self.memo_get(i)?,
                    Index::Huge(d) => self.memo_get_huge(d)?,
                }
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
                    0x82 => i64::from(inp.byte("EXT1")?),
                    0x83 => i64::from(u16::from_le_bytes(inp.array::<2>("EXT2")?)),
                    _ => i64::from(i32::from_le_bytes(inp.array::<4>("EXT4")?)),
                };
                // `load_extension`: no code names anything there.
                let Some(code) = u32::try_from(code).ok().filter(|&c| c > 0) else {
                    return invalid("EXT specifies code <= 0");
                };
                self.activity = self.activity.saturating_add(1);
                // Once a call or BUILD may have changed a module's state, the registry may have
                // been filled by the file itself (`operator.setitem(copyreg._inverted_registry,
                // 0x42, ("os", "system"))`, then `EXT1 0x42`): what the code resolves to is then
                // the file's choice, an import it names by values made at load time, and that
                // is critical in every reading (the plain reading of a joblib file drops
                // extension codes that bytes of data spell, not this one).
                let changed = self.ctx.pickle_globals_changed;
                // Each code is reported once per stream (its fact counts the rest): a stream of
                // one opcode after another gave a finding each, and the side readings read in
                // full multiplied them. A loader resolves only the codes registered in its
                // process; a stream naming more than a few thousand is analysed no further.
                if let Some(&i) = self.ext_seen.get(&(code, changed)) {
                    if let Some(g) = self.ctx.facts.globals.get_mut(i) {
                        g.count = g.count.saturating_add(1);
                    }
                    self.push(Value::Call(None, Made::Call))?;
                    return Ok(false);
                }
                if self.ext_seen.len() >= MAX_EXTENSION_CODES {
                    return Err(Break::Limit(format!(
                        "more than {MAX_EXTENSION_CODES} extension codes in one stream"
                    )));
                }
                self.ext_seen.insert(
                    (code, changed),
                    self.ctx.facts.globals.len().min(MAX_GLOBAL_FACTS),
                );
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
                let (severity, whence) = if changed {
                    (
                        Severity::Critical,
                        " after a call or BUILD that may have changed it: the file may have registered what it resolves to",
                    )
                } else {
                    (
                        Code::PickleExtensionCode.default_severity(),
                        ": what it resolves to depends on the loading process",
                    )
                };
                let message = format!(
                    "{} fetches extension code {code} from the copyreg registry{whence}",
                    op_name(op)
                );
                self.ctx
                    .report_with(Code::PickleExtensionCode, severity, Some(at), message, ev);
                self.push(Value::Call(None, Made::Call))?;
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
                let t = tuple(&args, self.container_budget());
                self.wrapper_lost(&t, &args, at)?;
                self.recycle(args);
                let v = self.call(callee, t, "INST", at)?;
                self.push(v)?;
            }
            b'o' => {
                let items = self.pop_mark()?;
                let Some((callee, args)) = items.split_first() else {
                    return invalid("OBJ with no class");
                };
                self.loose(args, "OBJ", at);
                let (callee, t) = (callee.clone(), tuple(args, self.container_budget()));
                self.wrapper_lost(&t, args, at)?;
                self.recycle(items);
                let v = self.call(callee, t, "OBJ", at)?;
                self.push(v)?;
            }
            0x81 => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.new_object(cls, args, true, "NEWOBJ", at)?;
                self.push(v)?;
            }
            0x92 => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let no_kwargs = matches!(kwargs, Value::EmptyDict);
                if let Value::Dict(d) = &kwargs {
                    // Keyword arguments are handed over as positional ones are (a partial made
                    // with `key=f` calls `f`).
                    let values: Vec<Value> = d
                        .borrow()
                        .entries()
                        .iter()
                        .map(|(_, v)| v.clone())
                        .collect();
                    self.loose(&values, "NEWOBJ_EX", at);
                    let callee = match &cls {
                        Value::Ref(r) => Some(&**r),
                        _ => None,
                    };
                    self.handed_results(callee, &values, "NEWOBJ_EX", at);
                }
                let v = self.new_object(cls, args, no_kwargs, "NEWOBJ_EX", at)?;
                self.push(v)?;
            }
            // Persistent ids: resolved by the loader's persistent_load (torch: storages).
            b'P' => {
                inp.line(limits.max_line, "PERSID")?;
                self.persistent(&Value::Opaque, "PERSID", at)?;
            }
            b'Q' => {
                let pid = self.pop()?;
                self.storage_ref(&pid, at);
                self.persistent(&pid, "BINPERSID", at)?;
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
                // A FRAME before the current frame ends: the pure-Python unpickler refuses it,
                // the C unpickler reads on, resuming where its buffering takes it (no writer
                // makes one: each frame begins where the last ended).
                if let Some(fe) = self.frame_end.filter(|&fe| at < fe)
                    && self.crossed(end.max(fe))
                    && !self.frame_overrun_reported
                    && !inp.modelled()
                {
                    self.frame_overrun(
                        (fe, end.max(fe)),
                        at,
                        format!(
                            "FRAME at {at} begins before the frame ending at {fe} ends; the pure-Python unpickler refuses it, CPython's C unpickler reads on"
                        ),
                        Evidence::mismatch(format!("FRAME at >= {fe}"), at.to_string()),
                    );
                }
                self.frame_end = Some(end);
                inp.frame(n)?;
            }
            other => {
                return invalid(format!("invalid load key {:#04x}", other));
            }
        }
        Ok(false)
    }
}

/// The value of an `INT` or `LONG` line: an `i64` when it is one (`00` and `01` are protocol
/// 0's booleans), inert otherwise. Only the digits are looked at: a line longer than any
/// `i64` is inert without being converted (lines can be a megabyte long).
pub(super) fn int_line(line: &[u8]) -> Value {
    let text = line.trim_ascii();
    let text = text.strip_suffix(b"L").unwrap_or(text);
    if text.len() > 24 || text == b"00" || text == b"01" {
        return Value::Opaque;
    }
    match std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(n) => Value::Int(n),
        None => Value::Opaque,
    }
}
