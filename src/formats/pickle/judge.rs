//! Imports and calls: what a loader would import (`GLOBAL`, `INST`, `STACK_GLOBAL`) and
//! call (`REDUCE`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `BUILD` on a global), classified
//! by the policy and recorded as facts and findings; higher-order helpers ([`Helper`]) are
//! judged by what they are given.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Break, Input, Res, invalid};
use super::machine::{Machine, human_bytes};
use super::value::{Blob, Dtype, Made, Ref, Value, args_of, live_kept_bytes, tuple};
use super::{CallSite, GlobalUse, MAX_GLOBAL_FACTS};
use crate::finding::{Code, Evidence, Severity};
use crate::policy::Class;
use crate::units::clip_noting_len;
use std::rc::Rc;

/// Longest import (module and name) a fact records whole and the scan remembers as seen.
const SHOWN_NAME: usize = 512;

/// Heap bytes a fact of an import or call and its remembered key hold, for a key of `len`
/// bytes: the names twice (the fact's and the key's), the fact, a map slot.
fn fact_cost(len: usize) -> usize {
    len.min(SHOWN_NAME)
        .saturating_mul(2)
        .saturating_add(std::mem::size_of::<super::GlobalUse>())
        .saturating_add(48)
}

/// Callables that are `cls.__new__(cls, *args)` of the class they are handed first:
/// `copyreg.__newobj__`, and scikit-learn's `newObj(cls)`, how its distance metrics pickle.
const NEW_OF_CLASS: [&str; 4] = [
    "copyreg.__newobj__",
    "sklearn.metrics._dist_metrics.newObj",
    "sklearn.neighbors._dist_metrics.newObj",
    "sklearn.neighbors.dist_metrics.newObj",
];

impl<'c, 'a> Machine<'c, 'a> {
    /// A loader's `find_class(module, name)`: classify and record.
    fn import(&mut self, module: &str, name: &str, opcode: &'static str, at: u64) -> Value {
        self.activity = self.activity.saturating_add(1);
        // CPython finds a frozen module (os, io, codecs, runpy, posixpath, ...) by the part of
        // its name before a NUL: `os\0x` imports os. A module is judged by that part.
        let module = module.split('\0').next().unwrap_or(module);
        let r = Ref::new(module, name);
        // The key (module, NUL, name) is unambiguous for names that can be imported at all; a
        // module or name holding NUL is never remembered, so it is reported every time.
        let mut key = std::mem::take(&mut self.key_buf);
        key.clear();
        // Nor is a name longer than a fact keeps (`SHOWN_NAME`): the facts hold it clipped.
        let long = module.len().saturating_add(name.len()) > SHOWN_NAME;
        let rememberable =
            !long && !module.as_bytes().contains(&0) && !name.as_bytes().contains(&0);
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
            let class = self.judge_reached(&r, opcode, at, None);
            let idx = self.ctx.facts.globals.len();
            // Past the facts cap, imports are no longer remembered (memory stays bounded);
            // a repeat is then reported again, and the finding caps count it.
            if idx < MAX_GLOBAL_FACTS {
                let member = self.ctx.member();
                self.ctx.facts.globals.push(GlobalUse {
                    module: clip_noting_len(module, SHOWN_NAME / 2).into_owned(),
                    name: clip_noting_len(name, SHOWN_NAME / 2).into_owned(),
                    class,
                    member,
                    offset: at,
                    opcode,
                    count: 1,
                });
                if rememberable {
                    self.seen_globals.insert(key.as_str().into(), idx);
                }
                self.fact_bytes = self.fact_bytes.saturating_add(fact_cost(key.len()));
            }
        }
        self.key_buf = key;
        if !self.attrs.is_empty()
            && let Some(v) = self.attrs.get(r.path())
        {
            return v.clone();
        }
        Value::Ref(Rc::new(r))
    }

    /// Judges what a loader imports or reaches (`via`: the import helper that reached it):
    /// classified by the policy and reported; a joblib array wrapper class is noted (its
    /// BUILDs are then followed). Returns the policy's verdict, for the facts.
    fn judge_reached(
        &mut self,
        r: &Ref,
        opcode: &'static str,
        at: u64,
        via: Option<&str>,
    ) -> &'static str {
        if !self.plain && super::joblib::joblib_wrapper(r.path()).is_some() {
            self.wrappers = true;
        }
        let class = self.ctx.policy.classify(r.module(), r.name());
        self.report_class(&class, r.module(), r.name(), opcode, at, via);
        class.label()
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
            || (matches!(class, Class::Denied { .. })
                && self
                    .ctx
                    .count_if_capped(Code::PickleDangerousGlobal, Severity::Critical))
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

    /// A call made while loading: `callee(*args)`. A joblib array wrapper instance it makes
    /// awaits its BUILD ([`Machine::container_budget`]).
    pub(super) fn call(
        &mut self,
        callee: Value,
        args: Value,
        opcode: &'static str,
        at: u64,
    ) -> Res<Value> {
        let v = self.call_judged(callee, args, opcode, at)?;
        if self.wrappers
            && let Value::Call(Some(r), _) = &v
            && super::joblib::joblib_wrapper(r.path()).is_some()
        {
            self.awaiting_build = self.awaiting_build.saturating_add(1);
        }
        Ok(v)
    }

    fn call_judged(
        &mut self,
        callee: Value,
        args: Value,
        opcode: &'static str,
        at: u64,
    ) -> Res<Value> {
        // A callable not vetted to only make new objects may set attributes on a module or
        // class as it runs (`dataclasses._set_new_attribute(cls, "__new__", f)`, on neither
        // list, is `setattr`): see [`Ctx::pickle_globals_changed`](crate::formats::Ctx). What
        // it returns is judged first, as the callable is.
        // Once set, it stays set: no lookup per call after that.
        let vetted = |r: &Ref| self.ctx.policy.makes_new_objects(r.module(), r.name());
        let changes = !self.ctx.pickle_globals_changed
            && match &callee {
                Value::Ref(r) | Value::Bound { target: r, .. } => !vetted(r),
                Value::Call(..) | Value::Lost => true,
                _ => false,
            };
        let v = self.call_resolved(callee, args, opcode, at);
        if changes {
            self.ctx.pickle_globals_changed = true;
        }
        v
    }

    fn call_resolved(
        &mut self,
        callee: Value,
        args: Value,
        opcode: &'static str,
        at: u64,
    ) -> Res<Value> {
        self.activity = self.activity.saturating_add(1);
        let r = match &callee {
            Value::Ref(r) => Some(r.clone()),
            // Calling a partial object calls what it wraps.
            Value::Bound { target, .. } => Some(target.clone()),
            // A call result: what it calls was chosen while loading, by what made it.
            Value::Call(made_by, _) => {
                if let Some(r) = made_by {
                    self.dynamic_call(r, &callee, opcode, at);
                }
                None
            }
            // A value not kept: a string, bytes, tuple or dict, which fail in the loader.
            Value::Lost => None,
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
        self.wrapper_call(r.as_deref(), &args, opcode, at)?;
        self.handed_results(r.as_deref(), args_of(&args), opcode, at);
        let Some(r) = r else {
            return Ok(Value::Call(None, Made::Call));
        };
        if self.helpers
            && let Some(h) = Helper::of(r.path())
            && let Class::HigherOrder { .. } = self.ctx.policy.classify(r.module(), r.name())
        {
            return self.higher_order(h, &r, &args, opcode, at);
        }
        let v = self.evaluate(&r, &args, opcode, at)?;
        if matches!(callee, Value::Bound { .. }) {
            // A partial object passes its own arguments first, and they are not kept: what
            // the call returns is not what these arguments alone make
            // (`partial(_codecs.encode, "bf")("rot13")` is "os", not the bytes of "rot13";
            // `partial(copyreg.__newobj__, str, b"os")(enc)` is a str). What it reaches was
            // judged, and a loader it is handed bytes to was read, all the same.
            return Ok(match v {
                Value::Lost => Value::Lost,
                _ => Value::Call(Some(r), Made::Call),
            });
        }
        Ok(v)
    }

    /// A call of what a call of `made_by` returned. What runs is chosen while loading: by a
    /// callable on the allowlist vetted to make new objects, it is judged there; by anything
    /// else it is not known, and high: `scipy._lib._uarray._backend.unpickle_function("os",
    /// "system", None)` imports any module and walks to any attribute, and `numpy.object_(f)`,
    /// allowed but marked `not-fresh:`, is `f` itself. (What a dynamic import, an extension
    /// code or such a call returned was reported where it was made.)
    fn dynamic_call(&mut self, made_by: &Ref, callee: &Value, opcode: &'static str, at: u64) {
        if self
            .ctx
            .policy
            .makes_new_objects(made_by.module(), made_by.name())
            || !self.first_judgement(made_by.path(), "()")
        {
            return;
        }
        let message = format!(
            "calls {} ({opcode}): what runs is chosen while loading, by a callable not vetted to make new objects",
            self.describe(callee)
        );
        self.ctx.report_with(
            Code::PickleDynamicCall,
            Code::PickleDynamicCall.default_severity(),
            Some(at),
            message,
            Evidence::global(made_by.module(), made_by.name(), opcode),
        );
    }

    /// Whether what a call of `r` returned may be any object the file holds, not a new one
    /// of a class of its own: a function on neither list (by its name: a class is
    /// capitalised, a function is not), or an allowed callable marked `not-fresh:`
    /// (`numpy.object_(x)` is `x`). Not a callable vetted to make new objects, and not a
    /// Cython class's unpickle helper (`__pyx_unpickle_X(type, checksum, state)` is
    /// `X.__new__(type)`, a new instance of `X` or a subclass; see [`Machine::evaluate`]).
    pub(super) fn returns_any_object(&self, r: &Ref) -> bool {
        let (module, name) = (r.module(), r.name());
        if self.ctx.policy.makes_new_objects(module, name) {
            return false;
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        match self.ctx.policy.classify(module, name) {
            Class::Unknown => {
                !last.starts_with("__pyx_unpickle_")
                    && last
                        .trim_start_matches('_')
                        .chars()
                        .next()
                        .is_some_and(|c| !c.is_ascii_uppercase())
            }
            Class::Allowed => true,
            _ => false,
        }
    }

    /// What a callable returned that may be any object the file holds (a function on
    /// neither list, by its lower-case name, or an allowed one marked `not-fresh:`), handed
    /// as an argument to a callable that may call it: high, as a call of it would be. Found
    /// by review: `dict.get(ns, "system")`, on a namespace `clone_module("os", ns)` filled,
    /// handed to `heapq.nsmallest(1, ["echo ..."], f)` ran it with nothing above medium. A
    /// class on neither list (`mylib.Color(1)`, capitalised) makes an instance of its own,
    /// and a callable vetted to make new objects is inert with what it is given; neither
    /// is reported.
    pub(super) fn handed_results(
        &mut self,
        callee: Option<&Ref>,
        args: &[Value],
        opcode: &'static str,
        at: u64,
    ) {
        // The callee is looked up only when an argument is a call result: most calls (a
        // `datetime.date` every few bytes) hand over none.
        let mut callee_vetted = None;
        for v in args {
            let Value::Call(Some(made_by), Made::Call) = v else {
                continue;
            };
            let vetted = *callee_vetted.get_or_insert_with(|| {
                callee.is_some_and(|c| self.ctx.policy.makes_new_objects(c.module(), c.name()))
            });
            if vetted
                || !self.returns_any_object(made_by)
                || !self.first_judgement(made_by.path(), "(arg)")
            {
                continue;
            }
            let (module, name) = (made_by.module(), made_by.name());
            let message = format!(
                "hands {} to {} as an argument ({opcode}): what it is was chosen while loading, and a callable that calls its arguments runs it",
                self.describe(v),
                callee.map_or("a callable not resolved", Ref::path)
            );
            self.ctx.report_with(
                Code::PickleDynamicCall,
                Code::PickleDynamicCall.default_severity(),
                Some(at),
                message,
                Evidence::global(module, name, opcode),
            );
        }
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
                    let args = items.get(1..).unwrap_or(&[]);
                    let rest = tuple(args, self.container_budget());
                    self.wrapper_lost(&rest, args, at)?;
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
        Ok(Value::Call(Some(r.clone()), Made::Call))
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
    #[inline(always)]
    pub(super) fn loose(&mut self, items: &[Value], opcode: &'static str, at: u64) {
        if self.helpers {
            self.loose_judged(items, opcode, at);
        }
    }

    fn loose_judged(&mut self, items: &[Value], opcode: &'static str, at: u64) {
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
    pub(super) fn rebind(&mut self, state: &Value, at: u64) -> Res<()> {
        let (p, bound) = match self.top()? {
            Value::Bound { helper, .. } => (helper.clone(), true),
            Value::Call(Some(r), _) if Helper::of(r.path()) == Some(Helper::Partial) => {
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
            None => Value::Call(Some(p), Made::Call),
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
        // Data made from a value the analysis did not keep (a memory budget was spent) is not
        // known either: it stays lost, and fails closed where a loader takes it.
        if matches!(
            path.as_str(),
            "_codecs.encode" | "codecs.encode" | "io.BytesIO" | "_io.BytesIO" | "builtins.bytes"
        ) && matches!(args.first(), Some(Value::Lost))
        {
            return Ok(Value::Lost);
        }
        match path.as_str() {
            "builtins.getattr" | "__builtin__.getattr" | "inspect.getattr_static" => {
                if let (Some(Value::Ref(base)), Some(attr)) = (args.first(), text(1)) {
                    if base.path().len().saturating_add(attr.len())
                        >= self.ctx.limits.max_global_name
                    {
                        // Longer than any name an import may have (each getattr of a chain
                        // would hold the whole path): not followed, it fails closed.
                        let what = format!(
                            "an attribute path of {} bytes, longer than any import's",
                            base.path().len().saturating_add(attr.len())
                        );
                        self.unresolved(r, &what, opcode, at);
                        return Ok(Value::Lost);
                    }
                    let derived = Rc::new(base.attr(&attr));
                    self.reached(&derived, opcode, at, &path);
                    return Ok(Value::Ref(derived));
                }
            }
            "importlib.import_module"
            | "builtins.__import__"
            | "__builtin__.__import__"
            | "importlib.__import__" => {
                if let Some(m) = text(0)
                    && m.len() < self.ctx.limits.max_global_name
                {
                    let derived = Rc::new(Ref::new(&m, ""));
                    self.reached(&derived, opcode, at, &path);
                    return Ok(Value::Ref(derived));
                }
            }
            "pkgutil.resolve_name" => {
                if let Some(spec) = text(0)
                    && spec.len() < self.ctx.limits.max_global_name
                {
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
            // `copyreg._reconstructor(cls, base, state)`, `copyreg.__newobj__(cls, *args)`: an
            // instance of `cls` (what an isinstance check after BUILD sees). With `object` as
            // the base, `_reconstructor` is `object.__new__(cls)`, and `__newobj__(cls)` is
            // NEWOBJ with no arguments: see [`Made::Instance`].
            p if matches!(
                p,
                "copyreg._reconstructor" | "copy_reg._reconstructor" | "copyreg.__newobj_ex__"
            ) || NEW_OF_CLASS.contains(&p) =>
            {
                if let Some(Value::Ref(cls)) = args.first() {
                    let made = match (path.as_str(), args) {
                        (
                            "copyreg._reconstructor" | "copy_reg._reconstructor",
                            [_, Value::Ref(base), _],
                        ) if matches!(base.path(), "builtins.object" | "__builtin__.object")
                            && !self.ctx.pickle_globals_changed =>
                        {
                            Made::Instance
                        }
                        (p, [_]) if NEW_OF_CLASS.contains(&p) => self.made_by_new(cls),
                        _ => Made::Call,
                    };
                    return Ok(Value::Call(Some(cls.clone()), made));
                }
            }
            // rot13 is the one codec that turns a str into a str.
            "_codecs.encode" | "codecs.encode"
                if text(1)
                    .is_some_and(|e| matches!(codec_name(&e).as_str(), "rot13" | "rot_13")) =>
            {
                if let Some(t) = text(0) {
                    let r: String = t.chars().map(rot13).collect();
                    let len = r.len() as u64;
                    return Ok(Value::string(r.into_bytes(), len));
                }
            }
            // Protocol 2 pickles bytes as _codecs.encode(str, "latin1"). An encoding that is
            // not a constant string gives a value of unknown type.
            "_codecs.encode" | "codecs.encode" if args.len() < 2 || text(1).is_some() => {
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
                    return Ok(Dtype::value_of(&d, self.container_budget()));
                }
                // `numpy.dtype(d)` is `d` itself: a BUILD on the result changes `d`. Of
                // anything else not kept, the result may be a dtype tracked elsewhere.
                return Ok(match args.first() {
                    Some(d @ Value::Dtype(_)) => d.clone(),
                    _ => Value::Lost,
                });
            }
            // A bytearray can be changed after it is made (SETITEM on it): not the bytes it
            // was made from.
            "io.BytesIO" | "_io.BytesIO" | "builtins.bytes" => {
                if let Some(v @ Value::Bytes(_)) = args.first() {
                    return Ok(v.clone());
                }
            }
            // A Cython class's unpickle helper, `__pyx_unpickle_X(type, checksum, state)`,
            // returns `X.__new__(type)` (after checking the checksum): an instance of a Cython
            // class, and Cython makes no class derived from `str`. Judged as `cls.__new__(cls)`
            // is ([`Made`]), by what the policy says of the helper.
            _ if args.len() == 3
                && r.name()
                    .rsplit('.')
                    .next()
                    .is_some_and(|n| n.starts_with("__pyx_unpickle_")) =>
            {
                return Ok(Value::Call(Some(r.clone()), self.made_by_new(r)));
            }
            // `__generator_ctor(name, ctor)` and `__randomstate_ctor(name, ctor)` call
            // `ctor(name)` (the legacy path numpy 1 wrote): judged as that call.
            "numpy.random._pickle.__generator_ctor" | "numpy.random._pickle.__randomstate_ctor" => {
                if let Some(ctor) = args.get(1) {
                    let name = tuple(args.get(..1).unwrap_or_default(), self.container_budget());
                    self.call_judged(ctor.clone(), name, opcode, at)?;
                }
            }
            p if is_loader(p) => {
                self.nested(&path, args.first(), opcode, at)?;
            }
            _ => {}
        }
        Ok(Value::Call(Some(r.clone()), Made::Call))
    }

    /// Something reached at load time through an import helper: classify it like an import.
    fn reached(&mut self, r: &Ref, opcode: &'static str, at: u64, via: &str) {
        self.judge_reached(r, opcode, at, Some(via));
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
            // The same bytes handed to a loader again (through the memo) load the same way:
            // scanned once (20,000 calls on one memoized megabyte took 75 s).
            Some(Value::Bytes(b)) if self.nested_seen.contains_key(&(Rc::as_ptr(b) as usize)) => {}
            Some(Value::Bytes(b)) if !b.truncated() => {
                self.nested_seen
                    .insert(Rc::as_ptr(b) as usize, Rc::clone(b));
                if let Some(v) = arg {
                    // Handed to a loader again through the memo, they are seen (above).
                    self.memo.rescue(v, self.ctx.limits.max_memo_rescued_bytes);
                }
                let name = format!("<bytes passed to {loader} at {at}>");
                let blob = Rc::clone(b);
                // The nested inspection spends from the same allowance: what this stream ran
                // is charged first, and what is left is read again after.
                self.charge_opcodes();
                let (nested, cramped) = self.suspended(|m| {
                    m.ctx.enter(&name, |ctx| {
                        crate::formats::inspect_source(&blob.data, ctx, "")
                    })
                });
                self.opcodes_left = self.opcode_allowance();
                nested.map_err(Break::Io)?;
                if cramped {
                    // What the loader runs was not analysed to its end for want of the room
                    // this pickle holds: it fails closed.
                    self.unscannable(
                        loader,
                        opcode,
                        at,
                        Severity::Critical,
                        format!(
                            "{loader} loads a pickle whose analysis stopped at a limit: the pickles it is nested in hold the room (stack, MARKs, memo) it would have had alone"
                        ),
                    );
                }
            }
            other => {
                let (why, severity) = match other {
                    Some(Value::Bytes(b)) => (
                        format!(
                            "its {} bytes exceed the kept-value limit ({} bytes)",
                            b.len, self.ctx.limits.max_kept_value
                        ),
                        // A limit: what was not scanned may be anything, at any gate.
                        self.ctx
                            .at_least_gate(Code::PickleNestedUnscannable.default_severity()),
                    ),
                    // A value the analysis did not keep (a memory budget was spent) may be
                    // one it would have read in full: not knowing it fails closed, as a name
                    // not kept does.
                    Some(Value::Lost) => (
                        "its argument is a value the analysis did not keep (a memory budget was spent)".to_owned(),
                        Severity::Critical,
                    ),
                    _ => (
                        "its argument is computed at load time".to_owned(),
                        Code::PickleNestedUnscannable.default_severity(),
                    ),
                };
                self.unscannable(
                    loader,
                    opcode,
                    at,
                    severity,
                    format!("{loader} loads data that could not be scanned: {why}"),
                );
            }
        }
        Ok(())
    }

    /// `pickle-nested-unscannable`: what `loader` loads was not scanned (to its end).
    fn unscannable(
        &mut self,
        loader: &str,
        opcode: &'static str,
        at: u64,
        severity: Severity,
        message: String,
    ) {
        let ev = Evidence {
            opcode: Some(opcode.to_owned()),
            name: Some(loader.to_owned()),
            ..Evidence::default()
        };
        self.ctx.report_with(
            Code::PickleNestedUnscannable,
            severity,
            Some(at),
            message,
            ev,
        );
    }

    /// Records mutation of a global object (BUILD, SETITEM(S), APPEND(S), ADDITEMS) of
    /// `stored` (the state, items or entries).
    pub(super) fn mutate(&mut self, opcode: &'static str, at: u64, stored: &[Value]) -> Res<()> {
        if !self.ctx.pickle_globals_changed {
            // An object (an instance, what a vetted class made) or a list or set given a
            // value that may be a global may change it later through its own methods, which
            // this analysis does not follow (`collections.UserDict` whose `data` BUILD sets to
            // `copyreg._inverted_registry`: its SETITEM fills the registry). A dict only holds
            // what it is given (what it does not keep is hidden in `fill_dict`).
            let top = self.top()?;
            let holder = matches!(top, Value::Call(Some(_), _) | Value::Opaque);
            if self.build_may_change_globals(top) {
                self.ctx.pickle_globals_changed = true;
            } else if holder {
                self.hidden(stored);
            }
        }
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

    /// A torch storage persistent id, `('storage', <storage type>, key, location, numel)`
    /// (`torch.serialization._save`), is remembered for the archive to check its record.
    pub(super) fn storage_ref(&mut self, pid: &Value, at: u64) {
        let [tag, Value::Ref(kind), key, _location, Value::Int(numel), ..] = pid.items() else {
            return;
        };
        let (Some("storage"), Ok(numel)) = (tag.text(), u64::try_from(*numel)) else {
            return;
        };
        let key = key.text().map(str::to_owned);
        if self.ctx.storages.len() >= self.ctx.limits.max_fact_entries {
            self.ctx.storages_dropped = true;
            return;
        }
        let member = self.ctx.member();
        self.ctx.storages.push(crate::formats::StorageRef {
            member,
            storage_type: kind.path().to_owned(),
            key,
            numel,
            offset: at,
        });
    }

    /// torch's legacy `persistent_load` (`_legacy_load`, `weights_only=False`) hands back the
    /// object of a `('module', obj, source_file, source)` id as it is, so that object (or, for
    /// a tag not known here, the item that would be it) is what the pickle goes on with. Any
    /// other id loads as something the analysis does not know; a `str` id (PERSID) fails its
    /// `assert isinstance(saved_id, tuple)`, and what follows is still read (a superset).
    pub(super) fn persistent(&mut self, pid: &Value, opcode: &'static str, at: u64) -> Res<()> {
        self.record_call("<persistent_load>", opcode, at);
        match (pid, pid.items()) {
            (_, [tag, obj, ..]) if matches!(tag.text(), Some("module") | None) => {
                self.push(obj.clone())
            }
            // An id not kept, or made at load time: what the loader's `persistent_load` returns
            // for it (torch's legacy loader returns a module's name for `('module', ...)`)
            // cannot be told, so it fails closed where it is used.
            (Value::Lost | Value::Call(..) | Value::Bound { .. }, _) => {
                self.activity = self.activity.saturating_add(1);
                self.push(Value::Lost)
            }
            _ => self.push(Value::Opaque),
        }
    }

    /// Records a call site; returns true the first time this callee and opcode are seen in
    /// the stream.
    pub(super) fn record_call(&mut self, callee: &str, opcode: &'static str, at: u64) -> bool {
        // The key (callee, NUL, opcode) in a reused buffer: a repeat allocates nothing.
        let mut key = std::mem::take(&mut self.key_buf);
        key.clear();
        key.push_str(callee);
        key.push('\0');
        key.push_str(opcode);
        // A callee longer than a fact keeps whole is never remembered, as for imports.
        let rememberable = callee.len() <= SHOWN_NAME;
        let seen = if rememberable {
            self.seen_calls.get(key.as_str()).copied()
        } else {
            None
        };
        // Remembered while the facts have room for it (past that, every call is new).
        let idx = self.ctx.facts.calls.len();
        if rememberable && seen.is_none() && idx < MAX_GLOBAL_FACTS {
            self.seen_calls.insert(key.as_str().into(), idx);
            self.fact_bytes = self.fact_bytes.saturating_add(fact_cost(key.len()));
        }
        self.key_buf = key;
        if let Some(i) = seen {
            if let Some(c) = self.ctx.facts.calls.get_mut(i) {
                c.count = c.count.saturating_add(1);
            }
            return false;
        }
        if idx < MAX_GLOBAL_FACTS {
            let member = self.ctx.member();
            self.ctx.facts.calls.push(CallSite {
                callee: clip_noting_len(callee, SHOWN_NAME).into_owned(),
                opcode,
                member,
                offset: at,
                count: 1,
            });
        }
        true
    }

    /// `GLOBAL`/`INST`: module and name on two lines, imported.
    pub(super) fn import_lines(
        &mut self,
        inp: &mut Input,
        what: &'static str,
        at: u64,
    ) -> Res<Value> {
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
    /// for it among the kept bytes (imports left on the stack or in the memo are kept),
    /// made by letting go of strings deep in the stack when there is none
    /// ([`Machine::shed_stack_strings`]).
    fn check_global_name(&mut self, module: &str, name: &str, what: &str) -> Res<()> {
        let limits = &self.ctx.limits;
        let len = module.len().saturating_add(name.len());
        if len > limits.max_global_name {
            return Err(Break::Limit(format!(
                "{what} imports a name longer than {} bytes",
                limits.max_global_name
            )));
        }
        let max = limits.max_pickle_kept_bytes;
        let over = |len: usize| live_kept_bytes().saturating_add(len) > max;
        if over(len) && (!self.shed_stack_strings(len) || over(len)) {
            return Err(Break::Limit(format!(
                "imports, strings and bytes held at once pass {}",
                human_bytes(max as u64)
            )));
        }
        Ok(())
    }

    /// NEWOBJ and NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`, a call judged as any
    /// other. With no arguments, of a class the built-in allowlist vets, the result is an
    /// instance that is no `str` ([`Made::Instance`]).
    pub(super) fn new_object(
        &mut self,
        cls: Value,
        args: Value,
        no_kwargs: bool,
        opcode: &'static str,
        at: u64,
    ) -> Res<Value> {
        let made = match (&cls, &args) {
            (Value::Ref(r), Value::EmptyTuple) if no_kwargs => self.made_by_new(r),
            _ => Made::Call,
        };
        Ok(match self.call(cls, args, opcode, at)? {
            Value::Call(Some(r), Made::Call) => Value::Call(Some(r), made),
            v => v,
        })
    }

    /// BUILD (or SETITEM, APPEND, ...) on `target` may set attributes on a module or class: it
    /// is a global (reported already), or may be one (a value not kept, a call result that is
    /// not a new object of a vetted class: `numpy.object_(module)` is the module,
    /// `vars(module)` its namespace). See
    /// [`Ctx::pickle_globals_changed`](crate::formats::Ctx::pickle_globals_changed).
    pub(super) fn build_may_change_globals(&self, target: &Value) -> bool {
        match target {
            // A vetted class's instance; or one of a class on neither list made from nothing,
            // which is a module or class only if that class makes one from nothing (judged as
            // that class is, like the str it could be: see [`Made::Unvetted`]).
            Value::Call(Some(_), Made::Instance | Made::Unvetted) => false,
            Value::Call(Some(r), Made::Call) => {
                !self.ctx.policy.makes_new_objects(r.module(), r.name())
            }
            Value::Call(..) | Value::Ref(_) | Value::Lost | Value::Bound { .. } => true,
            _ => false,
        }
    }

    /// `values` go where the analysis sees them no more (a list or set, an object, a tuple's
    /// items past the kept ones, a dict's entries past its cap, a dict inside a dict): one that
    /// is or holds a global not on the allowlist, or may be one (not kept, what a callable not
    /// vetted returned), may be changed by whatever reaches it there, so it ends the trust in
    /// globals as a call would ([`Ctx::pickle_globals_changed`](crate::formats::Ctx)).
    pub(super) fn hidden<'v>(&mut self, values: impl IntoIterator<Item = &'v Value>) {
        if !self.ctx.pickle_globals_changed && self.any_may_be_a_global(values) {
            self.ctx.pickle_globals_changed = true;
        }
    }

    /// Whether any of `values` is or holds a global not on the allowlist, or may be one.
    /// Values walked per stream: at most 16 per opcode run (linear in the stream, however
    /// often one container is looked at), past which a value fails closed as a global.
    fn any_may_be_a_global<'v>(&mut self, values: impl IntoIterator<Item = &'v Value>) -> bool {
        let opcodes = self
            .ctx
            .facts
            .pickle_opcodes
            .saturating_add(self.opcodes_run);
        let allowance = opcodes.saturating_mul(16).saturating_add(4096);
        let mut left = allowance.saturating_sub(self.store_walked);
        let found = values
            .into_iter()
            .any(|v| self.may_hold_a_global(v, &mut left));
        self.store_walked = allowance.saturating_sub(left);
        found
    }

    fn may_hold_a_global(&self, v: &Value, left: &mut u64) -> bool {
        if *left == 0 {
            return true;
        }
        *left = left.saturating_sub(1);
        let unvetted = |r: &Ref| {
            !matches!(
                self.ctx.policy.classify(r.module(), r.name()),
                Class::Allowed
            )
        };
        match v {
            Value::Lost | Value::Call(None, _) => true,
            Value::Call(Some(r), Made::Call) => {
                !self.ctx.policy.makes_new_objects(r.module(), r.name())
            }
            Value::Ref(r) => unvetted(r),
            Value::Bound { target, .. } => unvetted(target),
            Value::Tuple { items, .. } => items.iter().any(|v| self.may_hold_a_global(v, left)),
            Value::Dict(d) => {
                d.borrow().entries().iter().any(|(k, v)| {
                    self.may_hold_a_global(k, left) || self.may_hold_a_global(v, left)
                })
            }
            _ => false,
        }
    }

    /// How `cls.__new__(cls)`, with no arguments, makes its value. Once a BUILD may have
    /// changed a module or class, not even an allowlisted class's `__new__` is known.
    fn made_by_new(&self, cls: &Ref) -> Made {
        let policy = &self.ctx.policy;
        if self.ctx.pickle_globals_changed {
            return Made::Call;
        }
        match policy.classify(cls.module(), cls.name()) {
            Class::Allowed if policy.makes_new_objects(cls.module(), cls.name()) => Made::Instance,
            Class::Allowed | Class::Unknown => Made::Unvetted,
            _ => Made::Call,
        }
    }

    /// A value that is no exact `str` when loaded: one that cannot be ([`Value::may_be_str`]),
    /// or a global on the built-in allowlist (a class or function: a plain loader of a joblib
    /// file with an object array fetches the outer stream's class this way as a module name).
    fn never_str(&self, v: &Value) -> bool {
        match v {
            Value::Ref(r) => {
                !self.ctx.pickle_globals_changed
                    && self.ctx.policy.global_never_str(r.module(), r.name())
            }
            v => !v.may_be_str(),
        }
    }

    pub(super) fn stack_global(&mut self, module: Value, name: Value, at: u64) -> Res<Value> {
        match (&module, &name) {
            (m, n) if m.text().is_some() && n.text().is_some() => {
                // A pickler memoizes a module's name as it imports from it the first time and
                // fetches it from the memo for the next import from that module.
                let budget = self.ctx.limits.max_memo_rescued_bytes;
                self.memo.rescue(m, budget);
                self.memo.rescue(n, budget);
                let (m, n) = (
                    m.text().unwrap_or("").to_owned(),
                    n.text().unwrap_or("").to_owned(),
                );
                self.check_global_name(&m, &n, "STACK_GLOBAL")?;
                Ok(self.import(&m, &n, "STACK_GLOBAL", at))
            }
            // CPython: "STACK_GLOBAL requires str"; the load fails here. Values the analysis
            // knows are not strings: bytes, numbers, None, tuples, dicts, dtypes and the
            // opaque ones (floats, booleans, lists, sets: no string is ever opaque). Globals,
            // call results and memo entries not kept may be strings at load time.
            (m, n) if self.never_str(m) || self.never_str(n) => {
                invalid("STACK_GLOBAL requires str")
            }
            _ => {
                self.activity = self.activity.saturating_add(1);
                let (m, n) = (self.describe(&module), self.describe(&name));
                let ev = Evidence {
                    opcode: Some("STACK_GLOBAL".into()),
                    actual: Some(format!("module: {m}; name: {n}")),
                    ..Evidence::default()
                };
                // An operand that is an unvetted class's instance made from nothing, the
                // other a known string or one too: a str only if that class makes one, so the
                // import is as dangerous as the class is unknown (the loader refuses it
                // otherwise: "STACK_GLOBAL requires str"). Any other operand not known fails
                // closed.
                // Made before any change or not, what it is was settled when it was made.
                let unvetted = |v: &Value| matches!(v, Value::Call(Some(_), Made::Unvetted));
                let judged = |v: &Value| unvetted(v) || v.text().is_some();
                let (severity, why) = if judged(&module) && judged(&name) {
                    (
                        self.ctx.policy.unknown_severity(),
                        ": the loader refuses it unless a class on neither list makes a str with no arguments, so it is judged as that class",
                    )
                } else {
                    (Severity::Critical, "")
                };
                self.ctx.report_with(
                    Code::PickleDynamicGlobal,
                    severity,
                    Some(at),
                    format!(
                        "STACK_GLOBAL imports a name computed at load time (module: {m}, name: {n}){why}"
                    ),
                    ev,
                );
                Ok(Value::Call(None, Made::Call))
            }
        }
    }
}

/// How a higher-order helper (a denylist entry marked `higher-order:`, see
/// [`Class::HigherOrder`]) is judged: by the callable or attribute it is given, as if that
/// were called. A helper the policy marks but this table does not know is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Helper {
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
pub(super) const HELPERS: &[(&str, Helper)] = &[
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
    pub(super) fn of(path: &str) -> Option<Helper> {
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

/// `codecs.encode(s, "rot13")` on one character: ASCII letters turned 13 places.
fn rot13(c: char) -> char {
    const LOWER: &[u8; 26] = b"nopqrstuvwxyzabcdefghijklm";
    const UPPER: &[u8; 26] = b"NOPQRSTUVWXYZABCDEFGHIJKLM";
    let table = if c.is_ascii_lowercase() {
        LOWER
    } else if c.is_ascii_uppercase() {
        UPPER
    } else {
        return c;
    };
    let i = usize::from((c as u8).wrapping_sub(if c.is_ascii_lowercase() { b'a' } else { b'A' }));
    table.get(i).map_or(c, |&b| char::from(b))
}

/// A codec name as Python's codec registry looks it up (`encodings.normalize_encoding`, then
/// lower case): runs of characters other than letters, digits and '.' become one '_', and
/// none is kept at either end.
fn codec_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_alphanumeric() || c == '.' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}
