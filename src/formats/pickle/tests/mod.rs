use super::*;
use crate::finding::{Code, Finding, Severity};
use crate::limits::Limits;
use crate::policy::Policy;

mod breaks;
mod frames;
mod higher_order;
mod joblib;
mod limits;
mod memory;
mod opcodes;
mod reread;

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

/// Everything one scan of `bytes` found.
struct Scan {
    /// Finding codes, sorted.
    codes: Vec<Code>,
    findings: Vec<Finding>,
    /// Imports as (dotted path, class, opcode).
    globals: Vec<(String, &'static str, &'static str)>,
    /// Call sites as (callee, opcode).
    calls: Vec<(String, &'static str)>,
    streams: u64,
    format: Format,
}

impl Scan {
    /// The first finding with `code`.
    fn finding(&self, code: Code) -> &Finding {
        self.findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {code:?} in {:?}", self.codes))
    }

    /// The members of the findings with `code` (of every finding when none): where the side
    /// readings read in full report (`<pickle at N, ...>`).
    fn members(&self, code: Option<Code>) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| code.is_none_or(|c| f.code == c))
            .filter_map(|f| f.location.member.clone())
            .collect()
    }

    /// No finding has `code` (`what` names the case in the failure).
    fn lacks(&self, code: Code, what: &str) {
        assert!(
            !self.codes.contains(&code),
            "{what}: no {code:?} expected in {:?}",
            self.findings
        );
    }

    /// Some finding's message holds `text`.
    fn says(&self, text: &str) -> bool {
        self.findings.iter().any(|f| f.message.contains(text))
    }

    fn called(&self, callee: &str, opcode: &str) -> bool {
        self.calls.iter().any(|(c, o)| c == callee && *o == opcode)
    }
}

fn scan_with(bytes: &[u8], limits: &Limits) -> Scan {
    scan_gated(bytes, limits, Severity::High)
}

/// A scan whose run fails at `gate` (`--fail-on`).
fn scan_gated(bytes: &[u8], limits: &Limits, gate: Severity) -> Scan {
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(limits, &policy, "t.pkl").with_gate(gate);
    let format = inspect(&bytes.to_vec(), &mut ctx).unwrap();
    let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    codes.sort();
    Scan {
        codes,
        findings: ctx.findings.clone(),
        globals: ctx
            .facts
            .globals
            .iter()
            .map(|g| (format!("{}.{}", g.module, g.name), g.class, g.opcode))
            .collect(),
        calls: ctx
            .facts
            .calls
            .iter()
            .map(|c| (c.callee.clone(), c.opcode))
            .collect(),
        streams: ctx.facts.pickle_streams,
        format,
    }
}

fn scan(bytes: &[u8]) -> Scan {
    scan_with(bytes, &Limits::default())
}

/// What `os.system(...)` called gives: its import and its call, sorted.
fn system_called() -> Vec<Code> {
    sorted(&[Code::PickleDangerousCall, Code::PickleDangerousGlobal])
}

/// `codes`, sorted as [`Scan::codes`] is.
fn sorted(codes: &[Code]) -> Vec<Code> {
    let mut v = codes.to_vec();
    v.sort();
    v
}

/// `\x8c` + `s` (SHORT_BINUNICODE).
fn su(s: &str) -> Vec<u8> {
    [&[0x8c, s.len() as u8][..], s.as_bytes()].concat()
}

/// `LONG_BINPUT i`.
fn put(i: u32) -> Vec<u8> {
    [b"r".as_slice(), &i.to_le_bytes()].concat()
}

/// `LONG_BINGET i`.
fn get(i: u32) -> Vec<u8> {
    [b"j".as_slice(), &i.to_le_bytes()].concat()
}

/// A memo budget a thousand memoized strings spend.
fn tight_memo() -> Limits {
    Limits {
        max_memo_kept_bytes: 4096,
        ..Limits::default()
    }
}
