//! Higher-order helpers (`functools.partial`, `map`, `getattr`, ...) judged by what they are
//! given.

use super::super::judge::{HELPERS, Helper};
use super::*;

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

#[test]
fn a_getattr_path_longer_than_any_import_fails_closed_and_holds_nothing() {
    // Found by review: each getattr of a chain held the whole path (50 calls of one memoized
    // 1 MiB name held 173 MB). Past the longest name an import may have, it is not followed.
    let mut b = b"\x80\x02cbuiltins\ngetattr\nq\x00ccollections\nOrderedDict\nX".to_vec();
    b.extend_from_slice(&5000u32.to_le_bytes());
    b.extend(std::iter::repeat_n(b'a', 5000));
    b.extend_from_slice(b"\x86R.");
    let s = scan(&b);
    let f = s.finding(Code::PickleDangerousCall);
    assert!(
        f.message.contains("longer than any import's"),
        "{:?}",
        s.findings
    );
    assert!(
        s.globals.iter().all(|g| g.0.len() < 4096),
        "{:?}",
        s.globals
    );
}

#[test]
fn a_partial_object_s_result_is_not_what_its_call_arguments_alone_make() {
    // Found by review: a partial object's own arguments come first, and the call was
    // evaluated with the call's arguments alone. `partial(_codecs.encode, "bf")("rot13")` is
    // "os" (read as the bytes of "rot13": "STACK_GLOBAL requires str", a break), and
    // `partial(copyreg.__newobj__, str, b"builtins")(email.charset.DEFAULT_CHARSET)` is
    // `str(b"builtins", "us-ascii")` (read as an instance made from nothing: medium). A
    // plain pickle.load runs the payload after each.
    let s = |x: &[u8]| [&[0x8c, x.len() as u8][..], x].concat();
    let partial = [s(b"functools"), s(b"partial"), b"\x93".to_vec()].concat();
    let tail = [
        s(b"system"),
        b"\x93".to_vec(),
        s(b"echo aibom-sample"),
        b"\x85R.".to_vec(),
    ]
    .concat();
    let rot13 = [
        b"\x80\x04".to_vec(),
        partial.clone(),
        s(b"_codecs"),
        s(b"encode"),
        b"\x93".to_vec(),
        s(b"bf"),
        b"\x86R".to_vec(),
        s(b"rot13"),
        b"\x85R".to_vec(),
        tail.clone(),
    ]
    .concat();
    let newobj = [
        b"\x80\x04".to_vec(),
        partial,
        s(b"copyreg"),
        s(b"__newobj__"),
        b"\x93".to_vec(),
        s(b"builtins"),
        s(b"str"),
        b"\x93C\x08builtins\x87R".to_vec(),
        s(b"email.charset"),
        s(b"DEFAULT_CHARSET"),
        b"\x93\x85R".to_vec(),
        s(b"eval"),
        b"\x93".to_vec(),
        s(b"echo aibom-sample"),
        b"\x85R.".to_vec(),
    ]
    .concat();
    for b in [rot13, newobj] {
        let scan = scan(&b);
        let f = scan.finding(Code::PickleDynamicGlobal);
        assert_eq!(f.severity, Severity::Critical, "{:?}", scan.findings);
    }
}

/// `scipy.stats` distributions `exec` their state's `_parse_arg_template` when unpickled
/// (found by review: a `norm_gen` state carrying a payload there gave one medium finding).
#[test]
fn a_distribution_state_whose_argument_parser_is_not_scipys_is_a_dangerous_call() {
    let scipys = "\ndef _parse_args(self, a,  loc=0, scale=1):\n    return (a, ), loc, scale\n\ndef _parse_args_rvs(self, a,  loc=0, scale=1, size=None):\n    return self._argcheck_rvs(a,  loc, scale, size=size)\n\ndef _parse_args_stats(self, a,  loc=0, scale=1, moments='mv'):\n    return (a, ), loc, scale, moments\n";
    let build = |code: &str, class: &str| {
        let mut b = b"\x80\x02c".to_vec();
        b.extend_from_slice(class.as_bytes());
        b.extend_from_slice(b"\n)\x81}X");
        b.extend_from_slice(&(19u32).to_le_bytes());
        b.extend_from_slice(b"_parse_arg_template");
        b.push(b'X');
        b.extend_from_slice(&(code.len() as u32).to_le_bytes());
        b.extend_from_slice(code.as_bytes());
        b.extend_from_slice(b"sb.");
        scan(&b)
    };
    let norm = "scipy.stats._continuous_distns\nnorm_gen";
    let s = build(scipys, norm);
    assert!(
        !s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
    let payload = scipys.replace(
        "return (a, ), loc, scale\n",
        "return __import__('os').system('echo aibom-sample')\n",
    );
    for class in [norm, "types\nSimpleNamespace"] {
        let s = build(&payload, class);
        let f = s.finding(Code::PickleDangerousCall);
        assert_eq!(f.severity, Severity::Critical, "{class}");
        assert!(f.message.contains("_parse_arg_template"), "{}", f.message);
    }
}

/// Protocol 4: `STACK_GLOBAL` of `module` and the dotted `name`.
fn stack_global(module: &str, name: &str) -> Vec<u8> {
    [su(module), su(name), vec![0x93]].concat()
}

/// `BINUNICODE` of `s`.
fn text(s: &str) -> Vec<u8> {
    let mut b = vec![b'X'];
    b.extend_from_slice(&u32::try_from(s.len()).unwrap().to_le_bytes());
    b.extend_from_slice(s.as_bytes());
    b
}

/// scipy's code generators reached by name: each one runs `echo aibom-sample` under
/// `pickle.load` with scipy 1.17.1 (found by review; each was two unknown imports, medium).
#[test]
fn scipy_code_generators_are_denied_under_any_name_they_are_reached_by() {
    let payload = "import os\nos.system('echo aibom-sample')\n";
    // rv_generic._attach_argparser_methods(StrEnum("X", {"_parse_arg_template": payload})):
    // a str subclass member is exec'd, with no BUILD anywhere.
    let mut attach = b"\x80\x04".to_vec();
    attach.extend(stack_global(
        "scipy.stats._distn_infrastructure",
        "rv_generic._attach_argparser_methods",
    ));
    attach.extend(stack_global("enum", "StrEnum"));
    attach.extend(text("X"));
    attach.push(b'}');
    attach.extend(text("_parse_arg_template"));
    attach.extend(text(payload));
    attach.extend_from_slice(b"s\x86R\x85R.");
    // _nonlin_wrapper(name, Anderson) formats `name` into the source it execs.
    let mut nonlin = b"\x80\x04".to_vec();
    nonlin.extend(stack_global("scipy.optimize._nonlin", "_nonlin_wrapper"));
    nonlin.extend(text(
        "x(F, xin, iter=None, **kw):\n    pass\n__import__('os').system('echo aibom-sample')\ndef y",
    ));
    nonlin.extend(stack_global("scipy.optimize._nonlin", "Anderson"));
    nonlin.extend_from_slice(b"\x86R.");
    for bytes in [attach, nonlin] {
        let s = scan(&bytes);
        assert!(
            s.codes.contains(&Code::PickleDangerousGlobal),
            "{:?}",
            s.findings
        );
        assert!(
            s.codes.contains(&Code::PickleDangerousCall),
            "{:?}",
            s.findings
        );
    }
    // Under a subclass, an instance or another module's name for either.
    for (module, name) in [
        (
            "scipy.stats._continuous_distns",
            "norm_gen._construct_argparser",
        ),
        ("scipy.stats", "norm._attach_argparser_methods"),
        ("sklearn.utils.fixes", "randint._attach_methods"),
    ] {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global(module, name));
        b.extend_from_slice(b")R.");
        let s = scan(&b);
        let f = s.finding(Code::PickleDangerousCall);
        assert_eq!(f.severity, Severity::Critical, "{name}");
        assert!(
            f.message.contains("scipy.stats distribution method"),
            "{}",
            f.message
        );
    }
}

/// `unpickle_function("os", "system", None)("echo aibom-sample")`: a helper that imports
/// any object by name, then a call of what it returned. Denied by name, and the call of
/// the result is high for any helper on neither list.
#[test]
fn a_call_of_what_a_callable_not_on_the_allowlist_returned_is_high() {
    let resolve_then_call = |module: &str, name: &str| {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global(module, name));
        b.extend(text("os"));
        b.extend(text("system"));
        b.extend_from_slice(b"N\x87R");
        b.extend(text("echo aibom-sample"));
        b.extend_from_slice(b"\x85R.");
        scan(&b)
    };
    let s = resolve_then_call("scipy._lib._uarray._backend", "unpickle_function");
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
    assert!(
        s.codes.contains(&Code::PickleDynamicCall),
        "{:?}",
        s.findings
    );
    let s = resolve_then_call("mylib", "resolve");
    assert_eq!(
        s.codes,
        vec![Code::PickleUnknownGlobal, Code::PickleDynamicCall],
        "{:?}",
        s.findings
    );
    let f = s.finding(Code::PickleDynamicCall);
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.contains("the result of calling mylib.resolve"),
        "{}",
        f.message
    );
    // What a callable on the allowlist returned is judged where it was made.
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("collections", "OrderedDict"));
    b.extend_from_slice(b")R)R.");
    let s = scan(&b);
    assert!(
        !s.codes.contains(&Code::PickleDynamicCall),
        "{:?}",
        s.findings
    );
}

/// `numpy.object_(x)` is `x` (allowed, marked `not-fresh:`): what it hands back was not made
/// by it. Found by review: a resolver's result passed through it was called unreported, and
/// a scipy distribution passed through it took a BUILD state not read whole (both ran
/// `echo aibom-sample` under `pickle.load`).
#[test]
fn what_an_allowed_callable_that_returns_its_argument_returned_is_not_vetted() {
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("numpy", "object_"));
    b.extend(stack_global("mylib", "resolve"));
    b.extend(text("os"));
    b.extend(text("system"));
    b.extend_from_slice(b"\x86R\x85R");
    b.extend(text("echo aibom-sample"));
    b.extend_from_slice(b"\x85R.");
    let s = scan(&b);
    assert_eq!(s.finding(Code::PickleDynamicCall).severity, Severity::High);
    // BUILD on numpy.object_(scipy.stats.norm) with a state made by a call: not readable.
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("numpy", "object_"));
    b.extend(stack_global("scipy.stats", "norm"));
    b.extend_from_slice(b"\x85R");
    b.extend(stack_global("mylib", "state"));
    b.extend_from_slice(b")Rb.");
    let s = scan(&b);
    let f = s.finding(Code::PickleDangerousCall);
    assert_eq!(f.severity, Severity::High, "{:?}", s.findings);
    assert!(
        f.message.contains("what numpy.object_ returned"),
        "{}",
        f.message
    );
    // The same BUILD on an object an allowed class made fresh is not judged so.
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("collections", "OrderedDict"));
    b.extend_from_slice(b")R");
    b.extend(stack_global("mylib", "state"));
    b.extend_from_slice(b")Rb.");
    let s = scan(&b);
    assert!(
        !s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
}

/// `heapq.nsmallest(1, ["echo aibom-sample"], f)` with `f` what a function on neither list
/// returned: nsmallest calls `f` on each item. Found by review 31 (`f` was
/// `dict.get(ns, "system")` on a namespace `clone_module("os", ns)` filled; it ran).
#[test]
fn what_a_function_on_neither_list_returned_handed_as_an_argument_is_high() {
    let handed = |maker: (&str, &str), callee: (&str, &str)| {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global(callee.0, callee.1));
        b.extend_from_slice(b"(K\x01]");
        b.extend(text("echo aibom-sample"));
        b.push(b'a');
        b.extend(stack_global(maker.0, maker.1));
        b.extend(text("system"));
        b.extend_from_slice(b"\x85RtR.");
        scan(&b)
    };
    let s = handed(("mylib", "fetch"), ("heapq", "nsmallest"));
    let f = s.finding(Code::PickleDynamicCall);
    assert_eq!(f.severity, Severity::High, "{:?}", s.findings);
    assert!(
        f.message
            .contains("hands the result of calling mylib.fetch to heapq.nsmallest"),
        "{}",
        f.message
    );
    // A class on neither list makes an instance of its own (an enum member, say), and a
    // callable vetted to make new objects is inert with what it is given.
    for (maker, callee) in [
        (("mylib", "Color"), ("heapq", "nsmallest")),
        (("mylib", "fetch"), ("collections", "OrderedDict")),
    ] {
        let s = handed(maker, callee);
        s.lacks(Code::PickleDynamicCall, &format!("{maker:?} {callee:?}"));
    }
}

/// numpy's `__generator_ctor(name, ctor)` and `__randomstate_ctor(name, ctor)` (allowed)
/// return `Generator(ctor(name))`: the call of `ctor` is judged. Found by review 31: a
/// resolved `os.system` handed to it as `ctor` ran.
#[test]
fn numpy_random_state_constructors_are_judged_by_the_callable_they_call() {
    for ctor in ["__generator_ctor", "__randomstate_ctor"] {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global("numpy.random._pickle", ctor));
        b.extend(text("echo aibom-sample"));
        b.extend(stack_global("mylib", "resolve"));
        b.extend(text("os"));
        b.extend(text("system"));
        b.extend_from_slice(b"\x86R\x86R.");
        let s = scan(&b);
        let f = s.finding(Code::PickleDynamicCall);
        assert_eq!(f.severity, Severity::High, "{ctor}: {:?}", s.findings);
        assert!(f.message.contains("mylib.resolve"), "{}", f.message);
        // What numpy 1 wrote: a bit generator's name and numpy's own constructor.
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global("numpy.random._pickle", ctor));
        b.extend(text("PCG64"));
        b.extend(stack_global("numpy.random._pickle", "__bit_generator_ctor"));
        b.extend_from_slice(b"\x86R.");
        let s = scan(&b);
        assert!(s.codes.is_empty(), "{ctor}: {:?}", s.findings);
    }
}

/// `dict.get({}, "x", scipy.stats.norm)` is `norm` itself: a BUILD on what a function on
/// neither list returned, with a state not read whole, may set the `_parse_arg_template`
/// scipy execs. Found by review 31 (it ran under pickle.load, joblib.load and
/// numpy.load). A state `dict.update` refuses (numpy's array state starts with a number)
/// runs nothing: numpy 0's `numpy.core._internal._reconstruct` writes one.
#[test]
fn a_build_on_what_a_function_on_neither_list_returned_with_an_unread_state_fails_closed() {
    let built = |maker: (&str, &str), state: &[u8]| {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global(maker.0, maker.1));
        b.extend(text("x"));
        b.extend_from_slice(b"\x85R");
        b.extend_from_slice(state);
        b.extend_from_slice(b"b.");
        scan(&b)
    };
    let made_state = [stack_global("builtins", "dict"), b")R".to_vec()].concat();
    let s = built(("mylib", "get"), &made_state);
    let f = s.finding(Code::PickleDangerousCall);
    assert_eq!(f.severity, Severity::High, "{:?}", s.findings);
    assert!(
        f.message.contains("what mylib.get returned"),
        "{}",
        f.message
    );
    for (maker, state) in [
        (("mylib", "get"), b"(K\x01)N\x89C\x00t".to_vec()),
        (("mylib", "Thing"), made_state.clone()),
    ] {
        let s = built(maker, &state);
        s.lacks(Code::PickleDangerousCall, &format!("{maker:?}"));
    }
}

/// Benign shapes the rules above must leave alone (each failed the first version of them,
/// found by review): a pandas Timestamp with a zoneinfo time zone hands
/// `ZoneInfo._unpickle(key, 1)` to `_unpickle_timestamp`; scikit-learn's distance metrics
/// pickle as `newObj(cls)` with a tuple state; scipy's `cKDTree` state is a tuple of sizes
/// and arrays, which `dict.update` refuses before any `exec`.
#[test]
fn time_zones_distance_metrics_and_kd_trees_are_not_dynamic_calls() {
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global(
        "pandas._libs.tslibs.timestamps",
        "_unpickle_timestamp",
    ));
    b.extend_from_slice(b"(J\x00\x00\x00\x00N");
    b.extend(stack_global("zoneinfo", "ZoneInfo._unpickle"));
    b.extend(text("Europe/Paris"));
    b.extend_from_slice(b"K\x01\x86RK\x0atR.");
    let s = scan(&b);
    s.lacks(Code::PickleDynamicCall, "a Timestamp with a zoneinfo tz");
    let tuple_state = [
        b"(K\x1eK\x03".to_vec(),
        stack_global("mylib", "array"),
        b")R\x89t".to_vec(),
    ]
    .concat();
    // No number in it: what `dict.update` would take, had newObj returned a distribution.
    let arrays_state = [
        b"(".to_vec(),
        stack_global("mylib", "array"),
        b")R\x89t".to_vec(),
    ]
    .concat();
    for (module, name, state) in [
        ("sklearn.metrics._dist_metrics", "newObj", &arrays_state),
        ("mylib", "rebuild", &tuple_state),
    ] {
        let mut b = b"\x80\x04".to_vec();
        b.extend(stack_global(module, name));
        b.extend(stack_global(
            "sklearn.metrics._dist_metrics",
            "EuclideanDistance64",
        ));
        b.extend_from_slice(b"\x85R");
        b.extend_from_slice(state);
        b.extend_from_slice(b"b.");
        let s = scan(&b);
        s.lacks(Code::PickleDangerousCall, &format!("{module}.{name}"));
    }
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("scipy.spatial._ckdtree", "cKDTree"));
    b.extend_from_slice(b")\x81");
    b.extend_from_slice(&tuple_state);
    b.extend_from_slice(b"b.");
    let s = scan(&b);
    s.lacks(Code::PickleDangerousCall, "a cKDTree state");
}

/// Keyword arguments are handed over as positional ones are: NEWOBJ_EX of
/// `functools.partial(heapq.nsmallest, key=f)` (found by review: it ran `echo aibom-sample`).
#[test]
fn keyword_arguments_of_newobj_ex_are_judged_as_arguments() {
    let mut b = b"\x80\x04".to_vec();
    b.extend(stack_global("functools", "partial"));
    b.extend(stack_global("heapq", "nsmallest"));
    b.extend_from_slice(b"\x85}");
    b.extend(text("key"));
    b.extend(stack_global("mylib", "fetch"));
    b.extend(text("system"));
    b.extend_from_slice(b"\x85Rs\x92.");
    let s = scan(&b);
    let f = s.finding(Code::PickleDynamicCall);
    assert_eq!(f.severity, Severity::High, "{:?}", s.findings);
    assert!(f.message.contains("mylib.fetch"), "{}", f.message);
}
