use super::judge::{HELPERS, Helper};
use super::value::{Blob, live_blob_bytes};
use super::*;
use crate::finding::{Code, Finding, Severity};
use crate::limits::Limits;
use crate::policy::Policy;

mod breaks;
mod limits;
mod opcodes;

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

    fn called(&self, callee: &str, opcode: &str) -> bool {
        self.calls.iter().any(|(c, o)| c == callee && *o == opcode)
    }
}

fn scan_with(bytes: &[u8], limits: &Limits) -> Scan {
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(limits, &policy, "t.pkl");
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

/// `codes`, sorted as [`Scan::codes`] is.
fn sorted(codes: &[Code]) -> Vec<Code> {
    let mut v = codes.to_vec();
    v.sort();
    v
}

fn overrun(n: u32, fill: u8) -> Vec<u8> {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(b.len() + n as usize, fill);
    b
}

#[test]
fn whitespace_after_the_last_stream_is_a_fact_not_trailing_data() {
    // Old NumPy wrote a newline after an object array's pickle.
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect(&b"\x80\x02N.\n".to_vec(), &mut ctx).unwrap();
    assert!(ctx.findings.is_empty(), "{:?}", ctx.findings);
    assert_eq!(ctx.facts.pickle_trailing_whitespace, 1);
    // Anything else after the stream still is.
    assert_eq!(run(b"\x80\x02N.\nx").0, vec![Code::PickleTrailingData]);
}

#[test]
fn frame_overrun_rereading_costs_about_one_pass() {
    // Every byte after the frame end is a start; the readings merge, so the work is a
    // small multiple of the bytes, not their square.
    for fill in [b'N', b'(', b'K'] {
        let b = overrun(200_000, fill);
        let (codes, ops) = run(&b);
        assert!(codes.contains(&Code::PickleFrameOverrun), "{codes:?}");
        assert!(
            ops <= 3 * b.len() as u64,
            "{} opcodes for {} bytes",
            ops,
            b.len()
        );
    }
}

#[test]
fn frame_overrun_hiding_a_call_is_found_by_rereading() {
    // The payload sits inside the BINBYTES data that overruns the frame.
    let hidden = b"cos\nsystem\n(Vecho aibom-sample\ntR.";
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'B');
    b.extend_from_slice(&(hidden.len() as u32 + 100).to_le_bytes());
    b.extend_from_slice(&[b'N'; 100]);
    b.extend_from_slice(hidden);
    b.push(b'.');
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
}

#[test]
fn spent_reread_budget_is_a_limit_finding() {
    let limits = Limits {
        max_reread_opcodes: 10,
        ..Limits::default()
    };
    // Distinct opcodes that never merge quickly: MARKs open fresh states.
    let (codes, _) = run_with(&overrun(5_000, b'('), &limits);
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn file_opcode_budget_is_shared_by_side_readings() {
    let limits = Limits {
        max_pickle_opcodes: 1_000,
        ..Limits::default()
    };
    let (codes, ops) = run_with(&overrun(50_000, b'N'), &limits);
    assert!(ops <= 1_000, "{ops}");
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn a_stack_of_distinct_imports_stops_at_the_kept_bytes_budget() {
    // A million distinct imports left on the stack held 110 MiB; each import's bytes now
    // count as kept, and the analysis stops (fails closed) when they pass the budget.
    let mut b = b"\x80\x02".to_vec();
    for i in 0..2_000u32 {
        b.extend_from_slice(format!("cmylib\nT{i}\n").as_bytes());
    }
    b.extend_from_slice(b"cos\nsystem\n.");
    let tight = Limits {
        max_pickle_kept_bytes: 64 << 10,
        ..Limits::default()
    };
    let (codes, _) = run_with(&b, &tight);
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
    assert!(!codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    // Within the default budget, every import is analysed.
    let (codes, _) = run(&b);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    assert!(!codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
    assert_eq!(live_blob_bytes(), 0, "every kept byte is returned");
}

#[test]
fn an_import_name_past_the_limit_stops_the_analysis() {
    let long = "a.".repeat(3000);
    let global = [b"\x80\x02cmylib\n", long.as_bytes(), b"os\nsystem\n."].concat();
    let (codes, _) = run(&global);
    assert_eq!(codes, [Code::PickleLimitExceeded]);
    let name = format!("{long}system");
    let len = u32::try_from(name.len()).unwrap().to_le_bytes();
    let stack = [
        b"\x80\x04\x8c\x05mylibX".as_slice(),
        &len,
        name.as_bytes(),
        b"\x93.",
    ]
    .concat();
    let (codes, _) = run(&stack);
    assert_eq!(codes, [Code::PickleLimitExceeded]);
    // Under the limit, a long dotted name is classified in full.
    let short = [
        b"\x80\x02cmylib\n",
        "a.".repeat(1000).as_bytes(),
        b"os.system\n.",
    ]
    .concat();
    let (codes, _) = run(&short);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
}

/// `n` memoized strings, then an import whose module string comes back from the memo.
fn memo_then_import(n: u32) -> Vec<u8> {
    let mut b = b"\x80\x04\x8c\x02os\x94".to_vec();
    for i in 0..n {
        let s = format!("word{i}");
        b.push(0x8c);
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(b"\x940");
    }
    b.extend_from_slice(b"h\x00\x8c\x06system\x93\x8c\x04echo\x85R.");
    b
}

#[test]
fn memo_values_past_the_budget_fail_closed() {
    // Within budget: the import resolves to os.system.
    let (codes, _) = run(&memo_then_import(1000));
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    // The early string is kept even past the budget (only later ones are not).
    let tight = Limits {
        max_memo_kept_bytes: 4096,
        ..Limits::default()
    };
    let (codes, _) = run_with(&memo_then_import(1000), &tight);
    assert!(codes.contains(&Code::PickleDangerousGlobal), "{codes:?}");
    // A string memoized after the budget is spent comes back as lost: dynamic, critical.
    let mut b = b"\x80\x04".to_vec();
    for i in 0..1000u32 {
        let s = format!("word{i}");
        b.push(0x8c);
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(b"r");
        b.extend_from_slice(&i.to_le_bytes());
        b.push(b'0');
    }
    b.extend_from_slice(b"j\xe7\x03\x00\x00\x8c\x06system\x93.");
    let (codes, _) = run_with(&b, &tight);
    assert_eq!(codes, [Code::PickleDynamicGlobal]);
}

#[test]
fn references_to_globals_past_the_hard_memo_cap_stop_the_analysis() {
    let tight = Limits {
        max_memo_kept_bytes: 1024,
        ..Limits::default()
    };
    let mut b = b"\x80\x02cbuiltins\nlen\n".to_vec();
    for i in 0..1000u32 {
        b.push(b'r');
        b.extend_from_slice(&i.to_le_bytes());
    }
    b.push(b'.');
    let (codes, _) = run_with(&b, &tight);
    assert!(codes.contains(&Code::PickleLimitExceeded), "{codes:?}");
}

#[test]
fn huge_memo_index_is_loader_exhaustion_but_the_rest_is_still_read() {
    let (codes, _) = run(b"\x80\x02Nr\xff\xff\xff\xff0cos\nsystem\n.");
    assert_eq!(
        codes,
        [Code::PickleDangerousGlobal, Code::PickleLoaderExhaustion]
    );
}

#[test]
fn a_dict_inserted_into_itself_makes_no_reference_cycle() {
    // MARK, DICT, DUP, EMPTY_DICT, SETITEM: d[d] = {} (found by fuzzing: the cycle leaked).
    let before = live_blob_bytes();
    let (codes, _) = run(b"(d2}s");
    assert_eq!(codes, [Code::PickleMalformed]);
    // d = {a: a}; d[b] = d, with strings long enough to be kept on the heap (a dict holding
    // a string is worth keeping in the memo, so the GET returns the dict itself).
    let x = |c: u8| {
        let mut v = b"X\x1e\x00\x00\x00".to_vec();
        v.extend_from_slice(&[c; 30]);
        v
    };
    let mut b = b"\x80\x02}".to_vec();
    b.extend(x(b'a'));
    b.extend(x(b'a'));
    b.extend_from_slice(b"sq\x00(");
    b.extend(x(b'b'));
    b.extend_from_slice(b"h\x00u.");
    let (codes, _) = run(&b);
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(live_blob_bytes(), before, "every kept value was freed");
}

#[test]
fn kept_bytes_are_returned_when_values_are_dropped() {
    let before = live_blob_bytes();
    {
        let b = Blob::new(vec![0; 1000], 1000);
        assert!(live_blob_bytes() >= before + 1000);
        drop(b);
    }
    assert_eq!(live_blob_bytes(), before);
}

// --- higher-order helpers ----------------------------------------------------------------

/// What one scan found: finding codes, and the facts as (callee) and (path, class).
struct Seen {
    codes: Vec<Code>,
    calls: Vec<String>,
    globals: Vec<(String, &'static str)>,
}

fn seen(bytes: &[u8]) -> Seen {
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect(&bytes.to_vec(), &mut ctx).unwrap();
    let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    codes.sort();
    Seen {
        codes,
        calls: ctx.facts.calls.iter().map(|c| c.callee.clone()).collect(),
        globals: ctx
            .facts
            .globals
            .iter()
            .map(|g| (format!("{}.{}", g.module, g.name), g.class))
            .collect(),
    }
}

fn critical(s: &Seen) -> bool {
    s.codes
        .iter()
        .any(|c| c.default_severity() == Severity::Critical)
}

/// Protocol 2: `functools.partial(<target>)` with the state a pickler writes,
/// `(func, (), {}, None)`, func fetched from the memo; then `tail` and STOP.
fn partial_of(target: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x02cfunctools\npartial\nq\x00".to_vec();
    b.extend_from_slice(target);
    b.extend_from_slice(b"q\x01\x85R(h\x01)}Ntb");
    b.extend_from_slice(tail);
    b.push(b'.');
    b
}

#[test]
fn partial_of_a_denylisted_function_stored_only_is_critical() {
    let s = seen(&partial_of(b"cos\nsystem\n", b""));
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
    assert!(critical(&s));
}

#[test]
fn partial_of_an_allowlisted_function_stored_only_is_clean() {
    let s = seen(&partial_of(b"ccollections\nOrderedDict\n", b""));
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(
        s.globals
            .contains(&("functools.partial".to_owned(), "higher-order")),
        "{:?}",
        s.globals
    );
}

#[test]
fn partial_of_an_unknown_function_is_only_the_unknown_import() {
    let s = seen(&partial_of(b"cmylib.ops\nnormalize\n", b""));
    assert_eq!(s.codes, [Code::PickleUnknownGlobal]);
}

#[test]
fn partial_whose_target_is_computed_at_load_is_critical() {
    // STACK_GLOBAL of a call result: the import itself is dynamic, and so is the target.
    let b = b"\x80\x04\x8c\tfunctools\x8c\x07partial\x93\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R\x8c\x06system\x93\x85R.";
    let s = seen(b);
    assert!(
        s.codes.contains(&Code::PickleDynamicGlobal),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
    // A call result wrapped directly: nothing names what the partial calls.
    let b = b"\x80\x04\x8c\tfunctools\x8c\x07partial\x93\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R\x85R.";
    assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
}

#[test]
fn partial_rebound_by_build_state_is_judged() {
    // partial(OrderedDict), then BUILD (os.system, (), None, None).
    let b = b"\x80\x02cfunctools\npartial\nccollections\nOrderedDict\n\x85R(cos\nsystem\n)NNtb.";
    assert!(seen(b).codes.contains(&Code::PickleDangerousCall));
    // ... or BUILD state that names nothing.
    let b = b"\x80\x02cfunctools\npartial\nccollections\nOrderedDict\n\x85R(K\x01)NNtb.";
    assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
}

#[test]
fn partial_later_called_is_judged_as_a_call_of_what_it_wraps() {
    let s = seen(&partial_of(
        b"cos\nsystem\n",
        b"(X\x11\x00\x00\x00echo aibom-sampletR",
    ));
    assert!(s.calls.contains(&"os.system".to_owned()), "{:?}", s.calls);
    assert!(s.codes.contains(&Code::PickleDangerousCall));
    let s = seen(&partial_of(b"ccollections\nOrderedDict\n", b")R"));
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(
        s.calls.contains(&"collections.OrderedDict".to_owned()),
        "{:?}",
        s.calls
    );
}

#[test]
fn map_and_filter_with_os_system_are_critical() {
    for helper in [
        "builtins\nmap",
        "builtins\nfilter",
        "itertools\nimap",
        "functools\nreduce",
    ] {
        // list(helper(os.system, ['echo aibom-sample']))
        let mut b = b"\x80\x02c__builtin__\nlist\nc".to_vec();
        b.extend_from_slice(helper.as_bytes());
        b.extend_from_slice(b"\ncos\nsystem\n](X\x11\x00\x00\x00echo aibom-samplee\x86R\x85R.");
        let s = seen(&b);
        assert!(
            s.codes.contains(&Code::PickleDangerousCall),
            "{helper}: {:?}",
            s.codes
        );
    }
    // filter(None, [...]) calls nothing; map(str, [...]) calls an allowed constructor.
    let b = b"\x80\x02cbuiltins\nfilter\nN]\x86R.";
    assert!(seen(b).codes.is_empty());
    let b = b"\x80\x02cbuiltins\nmap\nc__builtin__\nstr\n]\x86R.";
    assert!(seen(b).codes.is_empty(), "{:?}", seen(b).codes);
    // map(<call result>, [...]) fails closed.
    let b = b"\x80\x02cbuiltins\nmap\nccollections\nOrderedDict\n)R]\x86R.";
    assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
}

#[test]
fn getattr_is_judged_by_the_attribute_it_reaches() {
    // getattr(OrderedDict, 'fromkeys'): an unknown attribute, medium only.
    let b =
        b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\nX\x08\x00\x00\x00fromkeys\x86R.";
    assert_eq!(seen(b).codes, [Code::PickleUnknownGlobal]);
    // getattr(<call result>, 'x') cannot be resolved.
    let b = b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\n)RX\x01\x00\x00\x00x\x86R.";
    assert_eq!(seen(b).codes, [Code::PickleDangerousCall]);
    // getattr(OrderedDict, '__globals__') reaches interpreter internals.
    let b = b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\nX\x0b\x00\x00\x00__globals__\x86R.";
    assert_eq!(seen(b).codes, [Code::PickleDunderAccess]);
}

#[test]
fn a_helper_handed_on_as_a_value_fails_closed() {
    // copyreg.__newobj__(functools.partial, builtins.getattr, numpy.ndarray, 'tofile'):
    // only allowlisted callables are called by the pickle itself.
    let b = b"\x80\x02ccopyreg\n__newobj__\n(cfunctools\npartial\ncbuiltins\ngetattr\ncnumpy\nndarray\nX\x06\x00\x00\x00tofiletR)R.";
    let s = seen(b);
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.codes
    );
    // In a list, as an attribute value, as BUILD state.
    for b in [
        &b"\x80\x02](cbuiltins\nmap\ne."[..],
        b"\x80\x02}X\x01\x00\x00\x00fcbuiltins\ngetattr\ns.",
        b"\x80\x02ccollections\nOrderedDict\n)Rcfunctools\npartial\nb.",
    ] {
        assert_eq!(seen(b).codes, [Code::PickleDangerousGlobal], "{b:?}");
    }
}

#[test]
fn gensim_shaped_partial_in_model_state_is_neither_critical_nor_high() {
    // pickle.dumps(m, 2) and (m, 4) of a model whose attribute is
    // functools.partial(gensim.models.tfidfmodel.smartirs_normalize), written with
    // stand-in modules (the pickle records only module and name).
    let p2 = b"\x80\x02cgensim.models.tfidfmodel\nTfidfModel\nq\x00)\x81q\x01}q\x02(X\t\x00\x00\x00normalizeq\x03cfunctools\npartial\nq\x04cgensim.models.tfidfmodel\nsmartirs_normalize\nq\x05\x85q\x06Rq\x07(h\x05)}q\x08Ntq\tbX\x08\x00\x00\x00num_docsq\nK\tX\x08\x00\x00\x00smartirsq\x0bX\x03\x00\x00\x00nfcq\x0cub.";
    let p4 = b"\x80\x04\x95\x9c\x00\x00\x00\x00\x00\x00\x00\x8c\x18gensim.models.tfidfmodel\x94\x8c\nTfidfModel\x94\x93\x94)\x81\x94}\x94(\x8c\tnormalize\x94\x8c\tfunctools\x94\x8c\x07partial\x94\x93\x94h\x00\x8c\x12smartirs_normalize\x94\x93\x94\x85\x94R\x94(h\n)}\x94Nt\x94b\x8c\x08num_docs\x94K\t\x8c\x08smartirs\x94\x8c\x03nfc\x94ub.";
    for b in [&p2[..], &p4[..]] {
        let s = seen(b);
        assert_eq!(
            s.codes,
            [Code::PickleUnknownGlobal, Code::PickleUnknownGlobal],
            "{:?}",
            s.globals
        );
    }
}

#[test]
fn every_higher_order_entry_of_the_denylist_has_a_judge() {
    let policy = Policy::new(&[], false).unwrap();
    let marked: Vec<&str> = policy.higher_order().collect();
    for path in &marked {
        assert!(
            Helper::of(path).is_some(),
            "{path} is marked but not judged"
        );
    }
    for (path, _) in HELPERS {
        assert!(marked.contains(path), "{path} is judged but not marked");
    }
}
