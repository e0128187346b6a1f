//! Kept bytes and the memo budget: values past a budget fail closed, and every kept byte is
//! returned when its value is dropped.

use super::super::machine::{peak_held, reset_peak_held};
use super::super::value::{
    Blob, live_container_bytes, live_kept_bytes, peak_container_bytes, reset_peak,
};
use super::*;

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
    assert_eq!(live_kept_bytes(), 0, "every kept byte is returned");
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
    memoize_words(&mut b, n);
    b.extend_from_slice(b"h\x00\x8c\x06system\x93\x8c\x04echo\x85R.");
    b
}

/// Appends `n` strings, each memoized (MEMOIZE) and popped.
fn memoize_words(b: &mut Vec<u8>, n: u32) {
    for i in 0..n {
        b.extend_from_slice(&su(&format!("word{i}")));
        b.extend_from_slice(b"\x940");
    }
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
        b.extend_from_slice(&su(&format!("word{i}")));
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
    let before = live_kept_bytes();
    let containers = live_container_bytes();
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
    assert_eq!(live_kept_bytes(), before, "every kept value was freed");
    assert_eq!(live_container_bytes(), containers, "every dict was freed");
}

#[test]
fn kept_bytes_are_returned_when_values_are_dropped() {
    let before = live_kept_bytes();
    {
        let b = Blob::new(vec![0; 1000], 1000);
        assert!(live_kept_bytes() >= before + 1000);
        drop(b);
    }
    assert_eq!(live_kept_bytes(), before);
}

#[test]
fn tuples_nested_forty_thousand_deep_are_read_without_deep_recursion() {
    // CPython builds them one at a time and loads them; dropping or walking them as nested
    // values overflowed the stack (the process aborted, and the report was lost). Past 64
    // levels a tuple is not kept; what follows is still read.
    let mut b = b"\x80\x04cos\nsystem\n".to_vec();
    b.extend_from_slice(&[0x85; 40_000]);
    b.extend_from_slice(b"0N");
    b.extend_from_slice(&[0x85; 40_000]);
    b.extend_from_slice(b"0cos\nsystem\n(Vecho aibom-sample\ntR.");
    let s = scan(&b);
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn a_callable_behind_a_tuple_too_deep_to_keep_fails_closed() {
    // `getattr` handed a 65-deep tuple as its object: what it reaches cannot be told.
    let mut b = b"\x80\x04cbuiltins\ngetattr\nN".to_vec();
    b.extend_from_slice(&[0x85; 65]);
    b.extend_from_slice(b"Vsystem\n\x86R.");
    let s = scan(&b);
    assert!(
        s.codes.iter().any(|c| matches!(
            c,
            Code::PickleDangerousCall | Code::PickleDynamicGlobal | Code::PickleDangerousGlobal
        )),
        "{:?}",
        s.findings
    );
}

#[test]
fn dicts_nested_a_hundred_thousand_deep_are_read_without_deep_recursion() {
    // `(Vk\n` 100,000 times, NONE, then DICT 100,000 times: CPython loads it and runs what
    // follows. A dict built by DICT kept the dict inside it, and dropping the chain overflowed
    // the stack (a directory scan holding this file lost its whole report).
    let n = 100_000;
    let mut b = b"\x80\x04".to_vec();
    for _ in 0..n {
        b.extend_from_slice(b"(Vk\n");
    }
    b.push(b'N');
    b.extend(std::iter::repeat_n(b'd', n));
    b.extend_from_slice(b"0cos\nsystem\n(Vecho aibom-sample\ntR.");
    let s = scan(&b);
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn one_dict_shared_through_nested_tuples_is_judged_once_per_tuple() {
    // One dict put 64 times into a tuple with DUP, that tuple 64 times into the next, eight
    // levels deep: 64^8 paths to one dict. Asking every path again at each push, pop and
    // memo store took 41 s at five levels (332 bytes); a tuple now holds what it said when
    // it was built, and one holding a dict is interesting from the start.
    let (depth, width) = (8, 64);
    let mut b = b"\x80\x04".to_vec();
    b.extend(std::iter::repeat_n(b'(', depth));
    b.extend_from_slice(b"}NNs");
    for _ in 0..depth {
        b.extend(std::iter::repeat_n(b'2', width - 1));
        b.push(b't');
    }
    b.push(b'.');
    let (codes, _) = run(&b);
    assert!(codes.is_empty(), "{codes:?}");
}

/// `groups` stack slots each holding a tuple of 64 one-entry dicts: `(` + `}NNs` * 64 + `t`.
fn tuples_of_dicts(groups: usize) -> Vec<u8> {
    let mut g = b"(".to_vec();
    for _ in 0..64 {
        g.extend_from_slice(b"}NNs");
    }
    g.push(b't');
    let mut b = b"\x80\x04".to_vec();
    for _ in 0..groups {
        b.extend_from_slice(&g);
    }
    b
}

#[test]
fn tuples_and_dicts_left_on_the_stack_stay_within_the_kept_bytes_budget() {
    // Found by review: each 258-byte group kept about 19 KB (a 100 MB file held 7.2 GiB,
    // clean), as neither tuples nor dicts counted against any budget.
    let before = live_container_bytes();
    let mut b = tuples_of_dicts(4000);
    b.extend_from_slice(b"cos\nsystem\n(Vecho aibom-sample\ntR.");
    let tight = Limits {
        max_pickle_container_bytes: 256 << 10,
        ..Limits::default()
    };
    reset_peak();
    let s = scan_with(&b, &tight);
    // Past the budget, new dicts and tuples are not made; the analysis goes on and finds the
    // payload after them.
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
    let peak = peak_container_bytes() - before;
    // The containers are what is counted: they fill the budget, and no more.
    assert!(
        (250 << 10..=256 << 10).contains(&peak),
        "{peak} bytes kept at once"
    );
    assert_eq!(live_container_bytes(), before, "every kept value was freed");
}

#[test]
fn a_call_whose_arguments_were_not_kept_for_the_budget_fails_closed() {
    // functools.partial(builtins.len, None, None): nothing dangerous when its arguments are
    // kept. Past the budget (dicts are made until less is left of it than a new dict takes,
    // 96 bytes), the argument tuple (104 bytes) is lost: what the partial calls cannot be told.
    let mut b = tuples_of_dicts(100);
    b.push(b'(');
    for _ in 0..64 {
        b.extend_from_slice(b"}NNs");
    }
    b.extend_from_slice(b"cfunctools\npartial\ncbuiltins\nlen\nNN\x87R.");
    let s = scan(&b);
    assert!(
        s.findings.iter().all(|f| f.severity < Severity::High),
        "{:?}",
        s.findings
    );
    let tight = Limits {
        max_pickle_container_bytes: 64 << 10,
        ..Limits::default()
    };
    let s = scan_with(&b, &tight);
    assert!(
        s.findings.iter().any(|f| f.severity >= Severity::High),
        "{:?}",
        s.findings
    );
}

#[test]
fn tuples_dicts_and_dtypes_return_their_bytes_when_dropped() {
    use super::super::value::{DictVal, Dtype, Value};
    let before = live_container_bytes();
    {
        let t = Value::tuple_of(vec![Value::Int(1), Value::None].into(), usize::MAX);
        let copy = t.clone();
        let after_tuple = live_container_bytes();
        assert!(after_tuple >= before + 48);
        drop(t);
        assert_eq!(
            live_container_bytes(),
            after_tuple,
            "a copy still holds the items"
        );
        drop(copy);
        assert_eq!(live_container_bytes(), before);
        let d = DictVal::new(usize::MAX).unwrap();
        for i in 0..40 {
            let back = d
                .borrow_mut()
                .insert(Value::Int(i), Value::None, usize::MAX);
            // What is dropped is given back.
            assert_eq!(back.is_some(), i >= 32);
        }
        assert!(d.borrow().dropped, "entries past the cap are dropped");
        assert!(live_container_bytes() >= before + 32 * 48);
        drop(d);
        assert_eq!(live_container_bytes(), before);
        let dt = Dtype::value_of(&"U".repeat(5000), usize::MAX);
        assert!(live_container_bytes() >= before + 5000);
        drop(dt);
        assert_eq!(live_container_bytes(), before);
    }
    // Past the budget, none is made.
    assert!(matches!(
        Value::tuple_of(vec![Value::Int(1)].into(), before),
        Value::Lost
    ));
    assert!(DictVal::new(before).is_none());
    assert!(matches!(Dtype::value_of("<f8", before), Value::Lost));
    assert_eq!(live_container_bytes(), before);
}

#[test]
fn numpy_dtype_specs_called_again_and_again_count_against_the_budget() {
    // Found by review: a 1 MiB spec handed to numpy.dtype 400 times through the memo kept
    // 400 copies (405 MB from a 1 MB file).
    let spec = "U".repeat(1 << 20);
    let mut b = b"\x80\x02cnumpy\ndtype\nq\x00X".to_vec();
    b.extend_from_slice(&(spec.len() as u32).to_le_bytes());
    b.extend_from_slice(spec.as_bytes());
    b.extend_from_slice(b"q\x010");
    for _ in 0..400 {
        b.extend_from_slice(b"h\x00h\x01\x85R");
    }
    b.extend_from_slice(b"N.");
    let before = live_container_bytes();
    reset_peak();
    let (codes, _) = run(&b);
    assert!(codes.is_empty(), "{codes:?}");
    let peak = peak_container_bytes() - before;
    assert!(
        peak <= Limits::default().max_pickle_container_bytes,
        "{peak} bytes kept at once"
    );
    assert_eq!(live_container_bytes(), before);
}

/// A list of `n` `datetime.date` objects, each memoized as `pickle.dumps` memoizes them.
fn memoized_dates(n: u32) -> Vec<u8> {
    let mut b = b"\x80\x02]q\x00cdatetime\ndate\nq\x010".to_vec();
    for i in 0..n {
        b.extend_from_slice(b"h\x01C\x04\x07\xd0\x01\x01\x85R");
        b.push(b'r');
        b.extend_from_slice(&(i + 2).to_le_bytes());
        b.push(b'a');
    }
    b.push(b'.');
    b
}

#[test]
fn many_memoized_call_results_are_kept_within_the_budget_not_stopped_at_the_cap() {
    // A list of 700,000 dates (or Decimals), each memoized, passed the cap on references the
    // memo holds: the analysis stopped and a benign file failed the default gate.
    let tight = Limits {
        max_memo_kept_bytes: 64 << 10,
        ..Limits::default()
    };
    let s = scan_with(&memoized_dates(5000), &tight);
    assert!(s.codes.is_empty(), "{:?}", s.findings.first());
    // A call result not kept reads back as lost: used as a name, it fails closed.
    let mut b = memoized_dates(5000);
    b.pop();
    b.extend_from_slice(b"j\x80\x13\x00\x00\x8c\x06system\x93.");
    let (codes, _) = run_with(&b, &tight);
    assert_eq!(codes, [Code::PickleDynamicGlobal]);
}

#[test]
fn containers_past_their_budget_leave_later_names_whole() {
    // Found by review: with one budget for containers and names, a benign tuple of 200,000
    // dicts left no room for the module name of the class after it (24 bytes: not kept
    // whole, so the import was dynamic, critical), or for an import (a limit, high).
    let mut b = tuples_of_dicts(100);
    b.extend_from_slice(b"csome_package_with_a_long_name.models\nEstimator\n)\x81.");
    let tight = Limits {
        max_pickle_kept_bytes: 64 << 10,
        max_pickle_container_bytes: 64 << 10,
        ..Limits::default()
    };
    let (codes, _) = run_with(&b, &tight);
    assert_eq!(codes, [Code::PickleUnknownGlobal]);
}

/// [`tuples_of_dicts`], then a MARK and 64 more dicts: the containers' budget is spent to
/// less than a new dict takes (96 bytes), so a tuple of three or more items is not kept.
fn budget_spent() -> (Vec<u8>, Limits) {
    let mut b = tuples_of_dicts(10);
    b.push(b'(');
    for _ in 0..64 {
        b.extend_from_slice(b"}NNs");
    }
    let tight = Limits {
        max_pickle_container_bytes: 64 << 10,
        ..Limits::default()
    };
    (b, tight)
}

#[test]
fn a_persistent_id_not_kept_fails_closed() {
    // Found by review: torch's legacy loader returns the module name of a
    // ('module', 'os', ...) id; an id not kept (past the budget, or made by a call) was read
    // as an inert value and the STACK_GLOBAL after it as a break.
    let (mut b, tight) = budget_spent();
    b.extend_from_slice(b"(\x8c\x06module\x8c\x02osNNtQ\x8c\x06system\x93\x8c\x04echo\x85R.");
    let (codes, _) = run_with(&b, &tight);
    assert!(codes.contains(&Code::PickleDynamicGlobal), "{codes:?}");
    let call = b"\x80\x04\x8c\x08builtins\x8c\x05tuple\x93(\x8c\x06module\x8c\x02osNNl\x85RQ\x8c\x06system\x93.";
    let (codes, _) = run(call);
    assert!(codes.contains(&Code::PickleDynamicGlobal), "{codes:?}");
}

#[test]
fn a_joblib_wrapper_in_a_tuple_not_kept_fails_closed() {
    // Found by review: the wrapper class in an argument tuple past the budget was not seen
    // handed to a call (builtins.min hands it back), and joblib read the array data after
    // its BUILD that the analysis read as opcodes.
    let (mut b, tight) = budget_spent();
    b.extend_from_slice(b"cbuiltins\nmin\ncjoblib.numpy_pickle\nNumpyArrayWrapper\nNN\x87\x85R.");
    let (codes, _) = run_with(&b, &tight);
    assert!(codes.contains(&Code::JoblibArrayUnresolved), "{codes:?}");
}

#[test]
fn a_nested_pickle_has_the_stack_room_its_outer_pickles_leave() {
    // Found by review: each level of bytes handed to pickle.loads had a stack, MARKs and memo
    // of its own, all alive at once (10 MB of four levels held 351 MB).
    let mut inner = b"\x80\x04".to_vec();
    inner.extend_from_slice(&[b'N'; 50]);
    inner.push(b'.');
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&[b'N'; 80]);
    b.extend_from_slice(b"\x8c\x06pickle\x8c\x05loads\x93C");
    b.push(inner.len() as u8);
    b.extend_from_slice(&inner);
    b.extend_from_slice(b"\x85R.");
    let small = Limits {
        max_pickle_stack: 100,
        ..Limits::default()
    };
    let s = scan_with(&b, &small);
    let limit = s.finding(Code::PickleLimitExceeded);
    assert!(
        limit.message.contains("nested in hold 80 stack slots"),
        "{}",
        limit.message
    );
    // What the loader runs was not analysed for want of the room the outer pickle holds: it
    // fails closed (found by review: a payload after a million MARKs in the outer pickle
    // passed `--fail-on critical`).
    assert_eq!(
        s.finding(Code::PickleNestedUnscannable).severity,
        Severity::Critical
    );
    // With room for both, the inner pickle is read to its end.
    let roomy = Limits {
        max_pickle_stack: 200,
        ..Limits::default()
    };
    let s = scan_with(&b, &roomy);
    assert!(
        !s.codes.contains(&Code::PickleLimitExceeded),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_nested_pickle_past_the_kept_value_limit_fails_the_gate_whatever_it_is() {
    // `pickle.loads(<bytes longer than any kept value>)`: what it runs was not scanned. High by
    // default; a run that fails only at critical fails on it too (a limit hit never lets a
    // file pass a gate that what was not analysed might have failed).
    let mut b = b"\x80\x04\x8c\x06pickle\x8c\x05loads\x93C\x80".to_vec();
    b.extend_from_slice(&[b'N'; 0x80]);
    b.extend_from_slice(b"\x85R.");
    let small = Limits {
        max_kept_value: 64,
        ..Limits::default()
    };
    for (gate, severity) in [
        (Severity::Medium, Severity::High),
        (Severity::High, Severity::High),
        (Severity::Critical, Severity::Critical),
    ] {
        let s = scan_gated(&b, &small, gate);
        let f = s.finding(Code::PickleNestedUnscannable);
        assert!(
            f.message.contains("exceed the kept-value limit"),
            "{}",
            f.message
        );
        assert_eq!(f.severity, severity, "{gate:?}");
    }
}

#[test]
fn a_call_result_not_kept_called_with_a_joblib_wrapper_fails_closed() {
    // Found by review: a call result past the memo budget (typing.NewType hands its argument
    // back when called) read back as lost, and calling it judged nothing: the wrapper it
    // handed back was built, and joblib read array data the analysis read as opcodes.
    let tight = Limits {
        max_memo_kept_bytes: 64 << 10,
        ..Limits::default()
    };
    let mut b = memoized_dates(5000);
    b.pop();
    b.extend_from_slice(b"j\x80\x13\x00\x00cjoblib.numpy_pickle\nNumpyArrayWrapper\n\x85R.");
    let (codes, _) = run_with(&b, &tight);
    assert!(codes.contains(&Code::JoblibArrayUnresolved), "{codes:?}");
}

#[test]
fn memo_values_are_found_wherever_they_are_kept_array_or_map() {
    use super::super::memo::Memo;
    use super::super::value::{Short, Value};
    let name = |i: u64| Value::Short(Short::new(&format!("v{i}")).unwrap());
    let text = |v: Option<Value>| v.and_then(|v| v.text().map(str::to_owned));
    let mut m = Memo::new(&foldhash::fast::RandomState::default());
    let put = |m: &mut Memo, i: u64| {
        m.put(i, &name(i), usize::MAX, usize::MAX);
    };
    // Far past what the array covers: kept in the map.
    put(&mut m, 100_000);
    // In order, as a pickler numbers them: the array, which then grows over the map's index.
    for i in 0..60_000 {
        put(&mut m, i);
    }
    for i in (60_000..110_000).filter(|&i| i != 100_000) {
        put(&mut m, i);
    }
    assert_eq!(text(m.get(100_000)), Some("v100000".to_owned()));
    assert_eq!(text(m.get(59_999)), Some("v59999".to_owned()));
    // Set again: the new value is found, in whichever place.
    m.put(100_000, &name(7), usize::MAX, usize::MAX);
    assert_eq!(text(m.get(100_000)), Some("v7".to_owned()));
    m.put(5, &Value::Opaque, usize::MAX, usize::MAX);
    assert!(matches!(m.get(5), Some(Value::Opaque)));
    assert!(m.get(200_000).is_none());
}

/// Protocol 4, then `n` strings memoized at 0..n and popped: they spend a tight memo budget.
fn memo_flood(n: u32) -> Vec<u8> {
    let mut b = b"\x80\x04".to_vec();
    memoize_words(&mut b, n);
    b
}

#[test]
fn a_module_name_memoized_past_the_budget_resolves_when_fetched_for_the_next_import() {
    // As `pickle.dumps` writes two imports from one module after a vocabulary: the module's
    // name is memoized with the first import and fetched from the memo for the second.
    let mut b = memo_flood(1000);
    b.extend_from_slice(b"\x8c\x08builtins\x94\x8c\x03len\x94\x93\x940");
    b.extend_from_slice(&get(1000));
    b.extend_from_slice(b"\x8c\x04eval\x94\x930N.");
    let s = scan_with(&b, &tight_memo());
    let both = sorted(&[Code::PickleDangerousGlobal, Code::PickleUnknownGlobal]);
    assert_eq!(s.codes, both, "{:?}", s.findings);
    assert!(
        s.globals.iter().any(|g| g.0 == "builtins.eval"),
        "{:?}",
        s.globals
    );
    // A name memoized past the budget that no import took from the stack is still lost.
    let mut b = memo_flood(1000);
    b.extend_from_slice(b"\x8c\x08builtins\x940");
    b.extend_from_slice(&get(1000));
    b.extend_from_slice(b"\x8c\x04eval\x94\x930N.");
    let s = scan_with(&b, &tight_memo());
    assert_eq!(s.codes, [Code::PickleDynamicGlobal], "{:?}", s.findings);
}

#[test]
fn a_slot_memoized_again_is_not_rescued_with_what_it_held_before() {
    // `builtins` memoized at 1000, then 1000 memoized again as `os` (also past the budget)
    // before the import takes `builtins` from the stack: the slot holds `os`, not kept.
    let mut b = memo_flood(1000);
    b.extend_from_slice(b"\x8c\x08builtins\x94\x8c\x02os");
    b.extend_from_slice(b"r\xe8\x03\x00\x000\x8c\x03len\x93");
    b.extend_from_slice(b"0");
    b.extend_from_slice(&get(1000));
    b.extend_from_slice(b"\x8c\x06system\x93.");
    let s = scan_with(&b, &tight_memo());
    let dynamic = sorted(&[Code::PickleDynamicGlobal, Code::PickleUnknownGlobal]);
    assert_eq!(s.codes, dynamic, "{:?}", s.findings);
}

#[test]
fn bytes_memoized_past_the_budget_and_loaded_again_are_scanned_once() {
    // `pickle.loads(b)` twice on one bytes object memoized past the budget: the second call
    // fetches it from the memo. It loads the same way: no unscannable nested load.
    let inner = b"\x80\x02cbuiltins\nlen\n.";
    let mut b = memo_flood(1000);
    b.extend_from_slice(b"\x8c\x06pickle\x94\x8c\x05loads\x94\x93\x94");
    b.push(b'C');
    b.push(inner.len() as u8);
    b.extend_from_slice(inner);
    b.extend_from_slice(b"\x94\x85R0");
    b.extend_from_slice(&get(1002));
    b.extend_from_slice(&get(1003));
    b.extend_from_slice(b"\x85R0N.");
    let s = scan_with(&b, &tight_memo());
    let found = [
        Code::PickleDangerousCall,
        Code::PickleDangerousGlobal,
        Code::PickleUnknownGlobal,
    ];
    assert_eq!(s.codes, sorted(&found), "{:?}", s.findings);
    // The nested pickle's import, once.
    assert_eq!(s.members(Some(Code::PickleUnknownGlobal)).len(), 1);
    // Bytes no loader took from the stack before the memo handed them over stay lost.
    let mut b = memo_flood(1000);
    b.extend_from_slice(b"\x8c\x06pickle\x94\x8c\x05loads\x94\x93\x94C\x02ab\x940");
    b.extend_from_slice(&get(1002));
    b.extend_from_slice(&get(1003));
    b.extend_from_slice(b"\x85R0N.");
    let s = scan_with(&b, &tight_memo());
    assert!(
        s.codes.contains(&Code::PickleNestedUnscannable),
        "{:?}",
        s.findings
    );
}

/// Every part of a machine's memory at its limit at once (as review built it with the
/// default limits: 101 MB): references pinned in the memo, long strings memoized, dicts with
/// a joblib wrapper's reserve open, a deep stack, a million MARKs; then a payload.
fn every_limit_at_once(refs: usize, strings: usize, dicts: usize, slots: usize) -> Vec<u8> {
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&[su("builtins"), su("int")].concat());
    b.push(0x93);
    b.extend(std::iter::repeat_n(0x94, refs));
    b.push(b'0');
    b.extend_from_slice(&[su("joblib.numpy_pickle"), su("NumpyArrayWrapper")].concat());
    b.extend_from_slice(b"\x93)\x81");
    for i in 0..strings {
        b.push(b'X');
        b.extend_from_slice(&(64u32 << 10).to_le_bytes());
        b.extend(std::iter::repeat_n(b'A' + (i % 26) as u8, 64 << 10));
        b.push(0x94);
    }
    for _ in 0..dicts {
        b.extend_from_slice(b"}NNs");
    }
    b.extend(std::iter::repeat_n(b'N', slots));
    b.extend(std::iter::repeat_n(b'(', slots));
    b.extend_from_slice(b"cos\nsystem\n(Vecho aibom-sample\ntR.");
    b
}

#[test]
fn a_pickle_filling_every_limit_at_once_stays_within_the_memory_budget() {
    let limits = Limits {
        max_pickle_memory: 4 << 20,
        min_pickle_table_bytes: 2 << 20,
        ..Limits::default()
    };
    // Each part alone fits within its own limit, and all of them together twice over.
    let b = every_limit_at_once(60_000, 60, 40_000, 90_000);
    reset_peak_held();
    let s = scan_with(&b, &limits);
    let peak = peak_held();
    assert!(peak <= 4 << 20, "{peak} bytes held at once");
    assert!(
        peak > 3 << 20,
        "{peak} bytes held at once: the budget was not reached"
    );
    // The stack, MARKs or memo found no room: the analysis stopped, and says so.
    assert!(
        s.codes.contains(&Code::PickleLimitExceeded),
        "{:?}",
        s.findings
    );
    assert!(s.says("would hold more than 4 MiB"), "{:?}", s.findings);
    // The same pickle within the default budget: read to its end, the payload found.
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
}

#[test]
fn a_deep_stack_after_a_full_memo_lets_the_memo_values_go_rather_than_stop() {
    // 16 MiB of long strings memoized (the soft budget), then a tuple of 990,000 items: the
    // stack needs its whole share; the memoized strings are let go to make room.
    let mut b = b"\x80\x04".to_vec();
    for i in 0..17u8 {
        b.push(b'X');
        b.extend_from_slice(&(1u32 << 20).to_le_bytes());
        b.extend(std::iter::repeat_n(b'a' + i, 1 << 20));
        b.extend_from_slice(b"\x940");
    }
    b.push(b'(');
    b.extend(std::iter::repeat_n(b'N', 990_000));
    b.extend_from_slice(b"t0N.");
    reset_peak_held();
    let s = scan(&b);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    assert!(peak_held() <= Limits::default().max_pickle_memory);
}

/// Kept bytes 2,000 strings of 30 characters pass.
fn tight_kept() -> Limits {
    Limits {
        max_pickle_kept_bytes: 64 << 10,
        ..Limits::default()
    }
}

/// Protocol 4, a MARK, then `n` distinct strings of 30 characters (too long to be held
/// inline), none memoized: a vocabulary pushed item by item for one tuple.
fn vocabulary(n: u32) -> Vec<u8> {
    let mut b = b"\x80\x04(".to_vec();
    for i in 0..n {
        b.extend_from_slice(&su(&format!("w{i:029}")));
    }
    b
}

#[test]
fn a_class_named_after_a_vocabulary_that_spent_the_kept_bytes_resolves() {
    // `pickle.dumps(tuple(words + [Tokenizer()]))`: the class's module and name come after
    // the words, which took every kept byte (a benign tuple of 300,000 words of 23
    // characters was critical). The words deep in the stack are let go for them.
    let module = "tokenizer_configuration_module";
    let mut b = vocabulary(2_000);
    b.extend_from_slice(&su(module));
    b.extend_from_slice(b"\x8c\x09Tokenizer\x93)\x81t.");
    let s = scan_with(&b, &tight_kept());
    assert_eq!(s.codes, [Code::PickleUnknownGlobal], "{:?}", s.findings);
    assert!(
        s.globals
            .iter()
            .any(|g| g.0 == format!("{module}.Tokenizer"))
    );
    // Protocol 2 names it on a GLOBAL line: room is made for the import the same way.
    let mut b = vocabulary(2_000);
    b.extend_from_slice(format!("c{module}\nTokenizer\n").as_bytes());
    b.extend_from_slice(b")\x81t.");
    let s = scan_with(&b, &tight_kept());
    assert_eq!(s.codes, [Code::PickleUnknownGlobal], "{:?}", s.findings);
    assert_eq!(live_kept_bytes(), 0, "every kept byte is returned");
}

#[test]
fn a_name_pushed_before_a_vocabulary_and_let_go_for_it_fails_closed_when_used() {
    // The module's name goes first, the words after it push it deep, the words are popped
    // and the name is used: it was let go (the room went to the words), so the import is
    // one the analysis cannot name, as when a name is not kept.
    let module = "subprocess_with_a_long_name";
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&su(module));
    b.extend_from_slice(&vocabulary(2_000)[2..]);
    b.extend_from_slice(b"1\x8c\x06system\x93\x8c\x04echo\x85R.");
    let s = scan_with(&b, &tight_kept());
    assert_eq!(s.codes, [Code::PickleDynamicGlobal], "{:?}", s.findings);
    // Short names are held inline and never let go: `os` resolves.
    let mut b = b"\x80\x04\x8c\x02os".to_vec();
    b.extend_from_slice(&vocabulary(2_000)[2..]);
    b.extend_from_slice(b"1\x8c\x06system\x93\x8c\x04echo\x85R.");
    let s = scan_with(&b, &tight_kept());
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn bytes_for_a_loader_made_from_a_string_let_go_fail_closed() {
    // A nested pickle's text goes first, the words after it push it deep and take the room,
    // so it is let go; popped back, it is encoded to bytes and handed to a loader. What the
    // loader runs is not known: critical, as a name not kept is (it was high: the bytes
    // looked computed at load time).
    let inner = "\u{80}\u{2}cos\nsystem\nX\u{4}\0\0\0echoR.";
    let mut b = b"\x80\x02ctorch.storage\n_load_from_bytes\nc_codecs\nencode\n".to_vec();
    b.push(b'X');
    b.extend_from_slice(&(inner.len() as u32).to_le_bytes());
    b.extend_from_slice(inner.as_bytes());
    b.extend_from_slice(&vocabulary(2_000)[2..]);
    b.extend_from_slice(b"1X\x06\x00\x00\x00latin1\x86R\x85R.");
    let s = scan_with(&b, &tight_kept());
    let f = s.finding(Code::PickleNestedUnscannable);
    assert_eq!(f.severity, Severity::Critical, "{:?}", s.findings);
    // Kept, the same bytes are scanned and what they run is found.
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
}
