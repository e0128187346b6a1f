//! Code a class's `__setstate__` runs from the state BUILD gives it.
//!
//! scipy.stats distributions (`rv_generic.__setstate__`, then `_attach_argparser_methods`)
//! `exec` the state's `_parse_arg_template`: every pickled distribution, frozen ones too (a
//! `RandomizedSearchCV` keeps them), carries that code. What scipy writes there is three `def`s
//! whose only free parts are the names of the shape parameters; anything else is code of the
//! file's own that runs at load (found by review: a `norm_gen` state exec'd a payload with
//! nothing above medium reported).

use super::joblib::{Attr, attr};
use super::machine::Machine;
use super::value::{Made, Ref, Value};
use crate::finding::{Code, Evidence, Severity};
use crate::policy::Class;

/// The state key scipy's distributions `exec`.
const TEMPLATE_KEY: &str = "_parse_arg_template";

/// `rv_generic._construct_argparser` fills `parse_arg_template` with the shape names, each
/// followed by `", "` (`{S}`), and the location and scale arguments of a continuous or a
/// discrete distribution. `_parse_args_rvs` has had two bodies.
const TEMPLATES: [&str; 2] = [
    "\ndef _parse_args(self, {S} {LI}):\n    return ({S}), {LO}\n\ndef _parse_args_rvs(self, {S} {LI}, size=None):\n    return self._argcheck_rvs({S} {LO}, size=size)\n\ndef _parse_args_stats(self, {S} {LI}, moments='mv'):\n    return ({S}), {LO}, moments\n",
    "\ndef _parse_args(self, {S} {LI}):\n    return ({S}), {LO}\n\ndef _parse_args_rvs(self, {S} {LI}, size=None):\n    return ({S}), {LO}, size\n\ndef _parse_args_stats(self, {S} {LI}, moments='mv'):\n    return ({S}), {LO}, moments\n",
];

/// Location and scale, as `rv_continuous` and `rv_discrete` pass them.
const LOCSCALE: [(&str, &str); 2] = [("loc=0, scale=1", "loc, scale"), ("loc=0", "loc, 1")];

/// Longest template read: scipy's longest distribution has a few shapes; a state past this is
/// not scipy's.
const MAX_TEMPLATE: usize = 4096;

/// Whether `code` is the argument-parser code scipy generates: one of [`TEMPLATES`] filled in
/// with identifiers for shapes. It defines three functions and runs nothing else.
pub(super) fn is_scipy_argparser(code: &str) -> bool {
    if code.len() > MAX_TEMPLATE {
        return false;
    }
    let Some(rest) = code.strip_prefix("\ndef _parse_args(self, ") else {
        return false;
    };
    let Some(end) = rest.find(" loc=0") else {
        return false;
    };
    let shapes = rest.get(..end).unwrap_or_default();
    let mut left = shapes;
    while !left.is_empty() {
        let Some((name, after)) = left.split_once(", ") else {
            return false;
        };
        if !identifier(name) {
            return false;
        }
        left = after;
    }
    TEMPLATES.iter().any(|t| {
        LOCSCALE.iter().any(|(li, lo)| {
            t.replace("{S}", shapes)
                .replace("{LI}", li)
                .replace("{LO}", lo)
                == code
        })
    })
}

/// A Python identifier in ASCII (a keyword makes the `exec` fail: nothing runs).
fn identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `rv_generic.__setstate__` is `self.__dict__.update(state)`, then the `exec`: a state that
/// `dict.update` refuses (a number, `None`, a string or bytes, a tuple holding a number or
/// `None`: no key-value pair) raises before it. numpy's array state `(1, shape, dtype,
/// fortran, data)` is one, and so are scipy's `cKDTree`, `KDTree` and `Rotation` states
/// (tuples of sizes and arrays), which failed closed before.
fn update_fails(state: &Value) -> bool {
    match state {
        Value::Int(_) | Value::None | Value::Str(_) | Value::Short(_) | Value::Bytes(_) => true,
        Value::Tuple { items, .. } => items
            .iter()
            .any(|v| matches!(v, Value::Int(_) | Value::None)),
        _ => false,
    }
}

impl Machine<'_, '_> {
    /// BUILD with `state` of an object (what `class` made or returned, when the analysis
    /// knows): a `_parse_arg_template` that is not scipy's own code is a dangerous call
    /// (whatever the class: `_attach_argparser_methods` may be called on any object later);
    /// one that cannot be read fails closed on a scipy class, and on what may be any object
    /// the file holds: what an allowed callable marked `not-fresh:` returned
    /// (`numpy.object_(scipy.stats.norm)` is `scipy.stats.norm`), and what a function on
    /// neither list returned (`dict.get({}, "x", scipy.stats.norm)`, found by review).
    pub(super) fn state_code(&mut self, class: Option<(&Ref, Made)>, state: &Value, at: u64) {
        let path = class.map(|(r, _)| r.path());
        let may_be_distribution = || {
            !update_fails(state)
                && class.is_some_and(|(r, made)| {
                    r.path().starts_with("scipy.")
                        || (made == Made::Call && self.returns_any_object(r))
                        || (!self.ctx.policy.makes_new_objects(r.module(), r.name())
                            && self.ctx.policy.classify(r.module(), r.name()) == Class::Allowed)
                })
        };
        let (severity, message, actual) = match attr(state, TEMPLATE_KEY) {
            Attr::Missing => return,
            Attr::Set(v) => match v.text() {
                Some(code) if is_scipy_argparser(code) => return,
                Some(code) => (
                    Severity::Critical,
                    format!(
                        "BUILD gives {} a {TEMPLATE_KEY} that is not the argument-parser code scipy generates: scipy.stats distributions exec() it when unpickled",
                        path.unwrap_or("an object")
                    ),
                    code.chars().take(200).collect::<String>(),
                ),
                None => (
                    Severity::High,
                    format!(
                        "BUILD gives {} a {TEMPLATE_KEY} that is {}: scipy.stats distributions exec() it when unpickled",
                        path.unwrap_or("an object"),
                        self.describe(&v)
                    ),
                    self.describe(&v),
                ),
            },
            Attr::Unknown if may_be_distribution() => (
                Severity::High,
                format!(
                    "BUILD gives {} a state that cannot be read whole: its {TEMPLATE_KEY}, which scipy.stats distributions exec() when unpickled, is not known",
                    match path {
                        Some(p) if p.starts_with("scipy.") => p.to_owned(),
                        Some(p) => format!("what {p} returned (any object the file holds)"),
                        None => "an object".to_owned(),
                    }
                ),
                "a state not kept whole".to_owned(),
            ),
            Attr::Unknown => return,
        };
        self.activity = self.activity.saturating_add(1);
        self.ctx.report_with(
            Code::PickleDangerousCall,
            severity,
            Some(at),
            message,
            Evidence {
                opcode: Some("BUILD".into()),
                rule: Some(format!("exec of {TEMPLATE_KEY}")),
                actual: Some(actual),
                ..Evidence::default()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::is_scipy_argparser;

    fn fill(t: &str, shapes: &str, li: &str, lo: &str) -> String {
        t.replace("{S}", shapes)
            .replace("{LI}", li)
            .replace("{LO}", lo)
    }

    #[test]
    fn scipy_argparser_code_is_recognised_and_anything_else_is_not() {
        let t = super::TEMPLATES[0];
        for shapes in ["", "a, ", "a, b, ", "loc_, s_2, "] {
            assert!(is_scipy_argparser(&fill(
                t,
                shapes,
                "loc=0, scale=1",
                "loc, scale"
            )));
            assert!(is_scipy_argparser(&fill(t, shapes, "loc=0", "loc, 1")));
            assert!(is_scipy_argparser(&fill(
                super::TEMPLATES[1],
                shapes,
                "loc=0",
                "loc, 1"
            )));
        }
        let good = fill(t, "a, ", "loc=0, scale=1", "loc, scale");
        for bad in [
            fill(t, "a=__import__('os'), ", "loc=0, scale=1", "loc, scale"),
            fill(t, "a, ", "loc=0, scale=1", "loc, scale") + "import os\n",
            fill(t, "(a), ", "loc=0, scale=1", "loc, scale"),
            fill(t, "a, ", "loc=0, scale=1", "loc, scale=os.system('x')"),
            fill(t, "a, ", "loc=0, scale=1", "loc, 1"),
            good.replacen("\n", "\nimport os\n", 1),
            String::new(),
        ] {
            assert!(!is_scipy_argparser(&bad), "{bad:?}");
        }
    }
}
