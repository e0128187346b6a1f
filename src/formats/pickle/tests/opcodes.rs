//! One family of opcodes per test: what each pushes, and what reaches an import or a call.

use super::*;

const SYSTEM: &[Code] = &[Code::PickleDangerousGlobal];

// --- numbers, None, booleans -------------------------------------------------------------------

#[test]
fn numbers_none_and_bools_push_inert_values() {
    // INT, LONG, BININT, BININT1, BININT2, FLOAT, BINFLOAT, NEWTRUE, NEWFALSE, NONE, LONG1,
    // LONG4, all left on the stack; STOP returns the last.
    let b = b"\x80\x02I5\nL6L\nJ\x03\x00\x00\x00K\x01M\x02\x00F1.5\nG\x00\x00\x00\x00\x00\x00\x00\x00\x88\x89N\x8a\x01\x05\x8b\x01\x00\x00\x00\x07.";
    let s = scan(b);
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(s.globals.is_empty() && s.calls.is_empty());
    assert_eq!((s.streams, s.format), (1, Format::Pickle));
}

#[test]
fn numbers_are_not_names_for_stack_global() {
    // CPython raises "STACK_GLOBAL requires str": the load stops there, nothing is imported.
    let s = scan(b"\x80\x04K\x01M\x00\x01\x93.");
    assert_eq!(s.codes, [Code::PickleMalformed]);
    let m = &s.finding(Code::PickleMalformed).message;
    assert!(m.contains("STACK_GLOBAL requires str"), "{m}");
}

/// What `builtins.getattr(os.path, <value>)` says of its attribute name.
fn getattr_name(value: &[u8]) -> String {
    let b = [b"\x80\x04cbuiltins\ngetattr\ncos\npath\n", value, b"\x86R."].concat();
    let s = scan(&b);
    s.findings
        .iter()
        .map(|f| f.message.clone())
        .find(|m| m.contains("an attribute name that is"))
        .unwrap_or_else(|| panic!("{:?}", s.findings))
}

#[test]
fn long1_is_sign_extended_and_protocol_0_bools_are_not_integers() {
    assert!(getattr_name(b"\x8a\x01\xff").contains("the integer -1"));
    assert!(getattr_name(b"\x8a\x02\x00\x01").contains("the integer 256"));
    // `I01` is True, `I00` False (protocol 0 booleans); `I7` and `L8L` are integers.
    assert!(getattr_name(b"I01\n").contains("a value computed at load time"));
    assert!(getattr_name(b"I00\n").contains("a value computed at load time"));
    assert!(getattr_name(b"I7\n").contains("the integer 7"));
    assert!(getattr_name(b"L8L\n").contains("the integer 8"));
    // Booleans and numbers are no strings: STACK_GLOBAL fails on them.
    assert_eq!(scan(b"I01\nI7\n\x93.").codes, [Code::PickleMalformed]);
}

#[test]
fn negative_long4_and_binstring_counts_break_the_stream() {
    assert_eq!(
        scan(b"\x80\x02\x8b\xff\xff\xff\xff.").codes,
        [Code::PickleMalformed]
    );
    assert_eq!(
        scan(b"\x80\x02T\xff\xff\xff\xff.").codes,
        [Code::PickleMalformed]
    );
}

// --- strings feed STACK_GLOBAL -------------------------------------------------------------------

#[test]
fn every_string_opcode_feeds_stack_global() {
    let cases: &[(&str, &[u8])] = &[
        ("SHORT_BINUNICODE", b"\x80\x04\x8c\x02os\x8c\x06system\x93."),
        (
            "BINUNICODE",
            b"\x80\x04X\x02\x00\x00\x00osX\x06\x00\x00\x00system\x93.",
        ),
        (
            "BINUNICODE8",
            b"\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00os\x8d\x06\x00\x00\x00\x00\x00\x00\x00system\x93.",
        ),
        ("UNICODE", b"\x80\x04Vos\nVsystem\n\x93."),
        ("UNICODE escapes", b"\x80\x04V\\u006fs\nVs\\U00000079stem\n\x93."),
        ("STRING", b"\x80\x04S'os'\nS\"system\"\n\x93."),
        ("STRING escapes", b"\x80\x04S'\\x6f\\163'\nS'sys\\x74em'\n\x93."),
        ("SHORT_BINSTRING", b"\x80\x04U\x02osU\x06system\x93."),
        (
            "BINSTRING",
            b"\x80\x04T\x02\x00\x00\x00osT\x06\x00\x00\x00system\x93.",
        ),
    ];
    for (what, b) in cases {
        let s = scan(b);
        assert_eq!(s.codes, SYSTEM, "{what}");
        assert_eq!(
            s.globals,
            [("os.system".to_owned(), "denied", "STACK_GLOBAL")],
            "{what}"
        );
    }
}

#[test]
fn short_strings_that_are_not_ascii_are_read_whole_and_keep_the_stream_in_step() {
    // A UTF-8 module name, then a string that is not UTF-8 (lossily decoded, as the lossy
    // reading of a surrogate), then os.system called: each read takes exactly its bytes.
    let b = b"\x80\x04\x8c\x07mylib\xc3\xa9\x8c\x01x\x930\x8c\x01\xff0cos\nsystem\n\x8c\x01a\x85R.";
    let s = scan(b);
    assert_eq!(
        s.codes,
        sorted(&[
            Code::PickleUnknownGlobal,
            Code::PickleDangerousCall,
            Code::PickleDangerousGlobal
        ])
    );
    assert_eq!(
        s.globals,
        [
            ("mylib\u{e9}.x".to_owned(), "unknown", "STACK_GLOBAL"),
            ("os.system".to_owned(), "denied", "GLOBAL")
        ]
    );
}

#[test]
fn strings_longer_than_the_inline_form_are_names_too() {
    let module = "x".repeat(40);
    let mut b = b"\x80\x04\x8c\x28".to_vec();
    b.extend_from_slice(module.as_bytes());
    b.extend_from_slice(b"\x8c\x01y\x93.");
    let s = scan(&b);
    assert_eq!(s.codes, [Code::PickleUnknownGlobal]);
    assert_eq!(s.globals[0].0, format!("{module}.y"));
}

#[test]
fn bytes_are_not_names_for_stack_global() {
    // CPython: "STACK_GLOBAL requires str"; the load fails there.
    for b in [
        &b"\x80\x04C\x02osC\x06system\x93."[..],
        b"\x80\x04B\x02\x00\x00\x00os\x8c\x06system\x93.",
        b"\x80\x05\x8c\x02os\x96\x06\x00\x00\x00\x00\x00\x00\x00system\x93.",
    ] {
        assert_eq!(scan(b).codes, [Code::PickleMalformed], "{b:?}");
    }
}

#[test]
fn unquoted_string_and_bad_hex_escape_break_the_stream() {
    assert_eq!(scan(b"S os\n.").codes, [Code::PickleMalformed]);
    assert_eq!(scan(b"S'\\xZZ'\n.").codes, [Code::PickleMalformed]);
    assert_eq!(scan(b"S'os\"\n.").codes, [Code::PickleMalformed]);
}

#[test]
fn global_reads_module_and_name_lines() {
    let s = scan(b"cos\nsystem\n.");
    assert_eq!(s.codes, SYSTEM);
    assert_eq!(s.globals, [("os.system".to_owned(), "denied", "GLOBAL")]);
    // Not UTF-8: the load fails.
    assert_eq!(scan(b"c\xff\nsystem\n.").codes, [Code::PickleMalformed]);
}

#[test]
fn a_repeated_import_is_reported_once_and_counted() {
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
    inspect(
        &b"\x80\x02cos\nsystem\n0cos\nsystem\n0cos\nsystem\n.".to_vec(),
        &mut ctx,
    )
    .unwrap();
    let codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, SYSTEM);
    assert_eq!(ctx.facts.globals.len(), 1);
    assert_eq!(ctx.facts.globals[0].count, 3);
    assert_eq!(ctx.facts.globals[0].offset, 2);
}

// --- memo --------------------------------------------------------------------------------------------

#[test]
fn every_memo_opcode_pair_round_trips_a_name() {
    let cases: &[(&str, &[u8])] = &[
        ("PUT/GET", b"\x80\x02Vos\np0\n0Vsystem\np1\n0g0\ng1\n\x93."),
        (
            "BINPUT/BINGET",
            b"\x80\x04\x8c\x02osq\x000\x8c\x06systemq\x010h\x00h\x01\x93.",
        ),
        (
            "LONG_BINPUT/LONG_BINGET",
            b"\x80\x04\x8c\x02osr\x07\x00\x01\x000\x8c\x06systemr\x08\x00\x01\x000j\x07\x00\x01\x00j\x08\x00\x01\x00\x93.",
        ),
        (
            "MEMOIZE/BINGET",
            b"\x80\x04\x8c\x02os\x940\x8c\x06system\x940h\x00h\x01\x93.",
        ),
    ];
    for (what, b) in cases {
        assert_eq!(scan(b).codes, SYSTEM, "{what}");
    }
}

#[test]
fn a_memoized_global_is_still_judged_when_called() {
    let s = scan(b"\x80\x02cos\nsystem\nq\x000h\x00(Vx\ntR.");
    assert_eq!(s.codes, system_called());
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.calls);
}

#[test]
fn memoize_numbers_after_the_entries_so_far() {
    // MEMOIZE takes the next index (the memo's length), whatever PUT used before.
    let b = b"\x80\x04\x8c\x01xq\x05\x8c\x02os\x94\x8c\x06system\x940h\x01h\x02\x93.";
    assert_eq!(scan(b).codes, SYSTEM);
}

#[test]
fn a_put_over_an_index_replaces_its_value() {
    // "os" as memo 0, then "Thing" as memo 0, popped; "mylib", GET 0: mylib.Thing.
    let b = b"\x80\x04\x8c\x02osq\x00\x8c\x05Thingq\x000\x8c\x05mylibh\x00\x93.";
    let s = scan(b);
    assert_eq!(s.globals[0].0, "mylib.Thing");
    assert_eq!(s.codes, [Code::PickleUnknownGlobal]);
}

#[test]
fn memo_misuse_breaks_the_stream() {
    for b in [
        &b"\x80\x02h\x07."[..], // GET of an index never set
        b"\x80\x02Np-1\n.",     // negative PUT
        b"\x80\x02Npx\n.",      // PUT of a non-number
        b"\x80\x02g-1\n.",      // negative GET
        b"\x80\x02q\x00.",      // PUT with an empty stack
        b"\x80\x02(q\x00.",     // PUT of the mark
    ] {
        assert_eq!(scan(b).codes, [Code::PickleMalformed], "{b:?}");
    }
}

// --- containers -------------------------------------------------------------------------------------

#[test]
fn building_and_filling_containers_is_inert() {
    for b in [
        &b"\x80\x02]K\x01a."[..],                               // EMPTY_LIST, APPEND
        b"\x80\x02](K\x01K\x02e.",                              // APPENDS
        b"\x80\x02(K\x01K\x02l.",                               // LIST
        b"\x80\x02}K\x01K\x02s.",                               // EMPTY_DICT, SETITEM
        b"\x80\x02}(K\x01K\x02K\x03K\x04u.",                    // SETITEMS
        b"\x80\x02(K\x01K\x02d.",                               // DICT
        b"\x80\x04\x8f(K\x01K\x02\x90.",                        // EMPTY_SET, ADDITEMS
        b"\x80\x04(K\x01K\x02\x91.",                            // FROZENSET
        b"\x80\x02)(K\x01t.",                                   // EMPTY_TUPLE, TUPLE
        b"\x80\x02K\x01\x85K\x01K\x02\x86K\x01K\x02K\x03\x87.", // TUPLE1-3
        b"\x80\x02(K\x010K\x01.",                               // POP inside a mark
        b"\x80\x02(K\x01K\x021K\x03.",                          // POP_MARK
        b"\x80\x02K\x012.",                                     // DUP
        b"\x80\x02(0K\x01.", // POP of an empty mark pops the mark
    ] {
        let s = scan(b);
        assert!(s.codes.is_empty(), "{b:?}: {:?}", s.codes);
    }
}

#[test]
fn tuples_and_dicts_are_not_names() {
    // Not strings: the loader raises "STACK_GLOBAL requires str".
    for b in [
        &b"\x80\x04)\x8c\x01x\x93."[..],
        b"\x80\x04\x8c\x02os\x85\x8c\x06system\x93.",
        b"\x80\x04}\x8c\x06system\x93.",
        b"\x80\x04]\x8c\x06system\x93.",
        b"\x80\x04N\x8c\x06system\x93.",
    ] {
        assert_eq!(scan(b).codes, [Code::PickleMalformed], "{b:?}");
    }
    // What may be a string at load time is still a computed name: a global, a call result.
    assert_eq!(
        scan(b"\x80\x04cos\nsep\n\x8c\x06system\x93.").codes,
        [Code::PickleDangerousGlobal, Code::PickleDynamicGlobal]
    );
}

#[test]
fn mutating_a_global_is_build_on_global() {
    for (b, op) in [
        (&b"cos\nsystem\nK\x01a."[..], "APPEND"),
        (b"cos\nsystem\n(K\x01e.", "APPENDS"),
        (b"cos\nsystem\nK\x01K\x02s.", "SETITEM"),
        (b"cos\nsystem\n(K\x01K\x02u.", "SETITEMS"),
        (b"\x80\x04cos\nsystem\n(K\x01\x90.", "ADDITEMS"),
        (b"cos\nsystem\n}b.", "BUILD"),
    ] {
        let s = scan(b);
        assert_eq!(
            s.codes,
            sorted(&[Code::PickleBuildOnGlobal, Code::PickleDangerousGlobal]),
            "{op}"
        );
        assert_eq!(
            s.finding(Code::PickleBuildOnGlobal)
                .evidence
                .opcode
                .as_deref(),
            Some(op)
        );
    }
}

#[test]
fn an_attribute_set_by_build_is_what_a_later_import_yields() {
    // numpy.prod.a = "os" (BUILD), then STACK_GLOBAL(numpy.prod.a -> "os", "system").
    let b = b"\x80\x04cnumpy\nprod\n}\x8c\x01a\x8c\x02ossb0\x8c\x05numpy\x8c\x06prod.a\x93\x8c\x06system\x93.";
    let s = scan(b);
    assert!(
        s.codes.contains(&Code::PickleBuildOnGlobal),
        "{:?}",
        s.codes
    );
    assert!(
        s.globals.iter().any(|g| g.0 == "os.system"),
        "{:?}",
        s.globals
    );
}

#[test]
fn container_misuse_breaks_the_stream() {
    for b in [
        &b"\x80\x02}(K\x01u."[..], // SETITEMS with an odd count
        b"\x80\x021.",             // POP_MARK with no mark
        b"\x80\x02t.",             // TUPLE with no mark
        b"\x80\x020.",             // POP of an empty stack
        b"\x80\x02N(\x85.",        // TUPLE1 across the mark
        b"\x80\x02N(R.",           // REDUCE across the mark
        b"\x80\x02a.",             // APPEND with an empty stack
    ] {
        assert_eq!(scan(b).codes, [Code::PickleMalformed], "{b:?}");
    }
}

// --- calls -----------------------------------------------------------------------------------------

#[test]
fn every_call_opcode_calls_what_it_is_given() {
    let cases: &[(&str, &[u8])] = &[
        ("REDUCE", b"\x80\x02cos\nsystem\n(Vx\ntR."),
        ("NEWOBJ", b"\x80\x02cos\nsystem\n)\x81."),
        ("NEWOBJ_EX", b"\x80\x04cos\nsystem\n)}\x92."),
        ("OBJ", b"(cos\nsystem\nVx\no."),
        ("INST", b"(Vx\nios\nsystem\n."),
    ];
    for (op, b) in cases {
        let s = scan(b);
        assert_eq!(s.codes, system_called(), "{op}");
        assert!(s.called("os.system", op), "{op}: {:?}", s.calls);
        assert_eq!(
            s.finding(Code::PickleDangerousCall)
                .evidence
                .opcode
                .as_deref(),
            Some(*op)
        );
    }
}

#[test]
fn calls_of_allowed_unknown_and_unresolved_callables() {
    let s = scan(b"\x80\x02ccollections\nOrderedDict\n)R.");
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(s.called("collections.OrderedDict", "REDUCE"));
    let s = scan(b"\x80\x02cmylib\nThing\n)R.");
    assert_eq!(s.codes, [Code::PickleUnknownGlobal]);
    assert!(s.called("mylib.Thing", "REDUCE"));
    // The result of a call, called: recorded as dynamic; it was judged when made.
    let s = scan(b"\x80\x02ccollections\nOrderedDict\n)R)R.");
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(s.called("<dynamic>", "REDUCE"), "{:?}", s.calls);
    // A string is not callable: the loader fails, nothing runs, nothing is recorded.
    let s = scan(b"\x80\x02Vx\n)R.");
    assert!(s.codes.is_empty() && s.calls.is_empty(), "{:?}", s.calls);
}

#[test]
fn build_on_a_call_result_calls_its_setstate() {
    let s = scan(b"\x80\x02ccollections\nOrderedDict\n)R}b.");
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert!(
        s.called("collections.OrderedDict.__setstate__", "BUILD"),
        "{:?}",
        s.calls
    );
}

#[test]
fn getattr_and_import_module_reach_what_they_name() {
    // getattr(os, "system") is denied as a global reached through getattr.
    let s = scan(b"\x80\x02cbuiltins\ngetattr\ncos\npath\nVjoin\n\x86R.");
    assert!(
        s.findings
            .iter()
            .any(|f| f.message.contains("os.path.join through builtins.getattr")),
        "{:?}",
        s.findings
    );
    // importlib.import_module("os") reaches the module os.
    let s = scan(b"\x80\x02cimportlib\nimport_module\nVos\n\x85R.");
    assert!(
        s.findings
            .iter()
            .any(|f| f.message.contains("through importlib.import_module")),
        "{:?}",
        s.findings
    );
}

#[test]
fn obj_with_no_class_breaks_the_stream() {
    assert_eq!(scan(b"(o.").codes, [Code::PickleMalformed]);
}

// --- persistent ids, extensions, buffers ------------------------------------------------------------

#[test]
fn persistent_ids_are_calls_of_persistent_load() {
    let s = scan(b"Pfoo\n.");
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert_eq!(s.calls, [("<persistent_load>".to_owned(), "PERSID")]);
    let s = scan(b"\x80\x02Vx\nQ.");
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert_eq!(s.calls, [("<persistent_load>".to_owned(), "BINPERSID")]);
    // BINPERSID pops its id: with nothing on the stack, the load fails.
    assert_eq!(scan(b"\x80\x02Q.").codes, [Code::PickleMalformed]);
}

#[test]
fn extension_codes_are_reported_as_registry_lookups() {
    for (b, op) in [
        (&b"\x80\x02\x82\x01."[..], "EXT1"),
        (b"\x80\x02\x83\x01\x00.", "EXT2"),
        (b"\x80\x02\x84\x01\x00\x00\x00.", "EXT4"),
    ] {
        let s = scan(b);
        assert_eq!(s.codes, [Code::PickleExtensionCode], "{op}");
        assert_eq!(
            s.globals,
            [("<copyreg extension registry>.1".to_owned(), "unknown", op)]
        );
    }
}

#[test]
fn out_of_band_buffers() {
    assert_eq!(scan(b"\x80\x05\x97.").codes, [Code::PickleOutOfBandBuffer]);
    // READONLY_BUFFER only looks at the top of the stack.
    assert!(scan(b"\x80\x05N\x98.").codes.is_empty());
    assert_eq!(scan(b"\x80\x05\x98.").codes, [Code::PickleMalformed]);
}

// --- frames, protocol, streams ---------------------------------------------------------------------

#[test]
fn a_frame_that_holds_its_opcodes_is_silent() {
    let b = b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.";
    assert!(scan(b).codes.is_empty());
    // Back-to-back frames.
    let b = b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00.";
    assert!(scan(b).codes.is_empty());
}

#[test]
fn an_opcode_past_its_frame_is_an_overrun_reported_once() {
    // The frame holds one byte; SHORT_BINUNICODE's argument runs past it, twice.
    let b = b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x8c\x01b.";
    let s = scan(b);
    assert_eq!(s.codes, [Code::PickleFrameOverrun]);
    assert_eq!(
        s.finding(Code::PickleFrameOverrun).location.offset,
        Some(11)
    );
}

#[test]
fn a_frame_declaring_more_than_the_loader_can_allocate_is_exhaustion() {
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(1u64 << 40).to_le_bytes());
    b.extend_from_slice(b"N.");
    assert_eq!(scan(&b).codes, [Code::PickleLoaderExhaustion]);
}

#[test]
fn an_unsupported_protocol_or_unknown_opcode_breaks_the_stream() {
    assert_eq!(scan(b"\x80\x06N.").codes, [Code::PickleMalformed]);
    let s = scan(b"\x80\x02N\xff.");
    assert_eq!(s.codes, [Code::PickleMalformed]);
    let m = &s.finding(Code::PickleMalformed).message;
    assert!(m.contains("invalid load key 0xff"), "{m}");
}

#[test]
fn every_stream_back_to_back_is_read() {
    let s = scan(b"\x80\x02N.\x80\x02N.\x80\x02cos\nsystem\n.");
    assert_eq!(s.codes, SYSTEM);
    assert_eq!(s.streams, 3);
    // Protocol 0, no PROTO opcode, then protocol 4.
    let s = scan(b"N.\x80\x04\x8c\x02os\x8c\x06system\x93.");
    assert_eq!(s.codes, SYSTEM);
    assert_eq!(s.streams, 2);
}

#[test]
fn legacy_torch_reads_five_streams_and_leaves_the_storages() {
    let mut b = LEGACY_TORCH_PREFIX.to_vec();
    b.push(b'.');
    for _ in 0..4 {
        b.extend_from_slice(b"\x80\x02N.");
    }
    // Raw storage bytes: not a pickle, never parsed.
    b.extend_from_slice(&[0xff; 32]);
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert_eq!((s.streams, s.format), (5, Format::PytorchLegacy));
}

#[test]
fn storage_bytes_a_loader_reading_on_runs_as_a_sixth_stream_are_read() {
    // torch.load reads five streams; a loader that reads pickles to the end of the file runs
    // the storage bytes next: os.system there is found (under a member of its own).
    let mut b = LEGACY_TORCH_PREFIX.to_vec();
    b.push(b'.');
    for _ in 0..4 {
        b.extend_from_slice(b"\x80\x02N.");
    }
    b.extend_from_slice(b"cos\nsystem\n(Vecho aibom-sample\ntR.");
    let s = scan(&b);
    assert_eq!(s.codes, system_called());
    assert_eq!(
        s.members(None),
        ["<pickle read on past the five streams of a legacy torch file: storage bytes as opcodes>";
            2]
    );
    assert_eq!(s.format, Format::PytorchLegacy);
}

#[test]
fn joblib_array_data_is_skipped_the_way_numpy_unpickler_reads_it() {
    // NumpyArrayWrapper() with state {dtype: numpy.dtype("f8"), shape: (2,)}, then 16 bytes
    // of array data that are no pickle at all, then STOP.
    let mut b = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(Vdtype\ncnumpy\ndtype\nVf8\n\x85RVshape\nK\x02\x85ub".to_vec();
    b.extend_from_slice(&[0xff; 16]);
    b.push(b'.');
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.codes);
    assert_eq!(s.format, Format::Joblib);
    // One byte short: the stream breaks where the data ends.
    let short = [&b[..b.len() - 2], b"."].concat();
    assert_eq!(scan(&short).codes, [Code::PickleMalformed]);
}

#[test]
fn rot13_of_a_string_is_a_string_for_stack_global() {
    // codecs.encode("bf", "rot13") is "os": STACK_GLOBAL imports os.system.
    let b =
        b"\x80\x04\x8c\x07_codecs\x8c\x06encode\x93\x8c\x02bf\x8c\x05rot13\x86R\x8c\x06system\x93.";
    let s = scan(b);
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.codes
    );
}

#[test]
fn rot13_is_recognised_under_every_spelling_the_codec_registry_accepts() {
    for name in ["rot 13", "rot$13", " rot13", "rot13\t", "ROT--13"] {
        let mut b = b"\x80\x04\x8c\x07_codecs\x8c\x06encode\x93\x8c\x02bf\x8c".to_vec();
        b.push(name.len() as u8);
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(b"\x86R\x8c\x06system\x93.");
        assert!(
            scan(&b).codes.contains(&Code::PickleDangerousGlobal),
            "{name:?}"
        );
    }
}

#[test]
fn a_module_name_with_a_nul_is_judged_by_what_precedes_it() {
    // CPython 3.11 finds frozen modules (os, io, codecs, runpy, ...) by the part of the name
    // before a NUL: this runs os.system. It was an unknown import of `os\0x`, a clean file.
    let s = scan(b"\x80\x02cos\0x\nsystem\n(S'echo aibom-sample'\ntR.");
    assert_eq!(
        s.codes,
        [Code::PickleDangerousGlobal, Code::PickleDangerousCall],
        "{:?}",
        s.findings
    );
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.calls);
}

#[test]
fn an_extension_code_is_reported_once_per_stream_and_too_many_are_a_limit() {
    // A run of EXT1 opcodes gave a finding each, and every side reading read in full after a
    // frame overrun gave them all again.
    let mut b = b"\x80\x02".to_vec();
    for _ in 0..1000 {
        b.extend_from_slice(b"\x82\x010");
    }
    b.extend_from_slice(b"N.");
    let s = scan(&b);
    assert_eq!(s.codes, [Code::PickleExtensionCode], "{:?}", s.findings);
    let ext: Vec<_> = s.globals.iter().filter(|g| g.2 == "EXT1").collect();
    assert_eq!(ext.len(), 1, "{:?}", s.globals);
    // A loader resolves only the codes registered in its process: thousands are no model.
    let mut b = b"\x80\x02".to_vec();
    for code in 1..5001u32 {
        b.push(0x84);
        b.extend_from_slice(&code.to_le_bytes());
        b.push(b'0');
    }
    b.extend_from_slice(b"N.");
    let s = scan(&b);
    assert_eq!(
        s.codes
            .iter()
            .filter(|c| **c == Code::PickleExtensionCode)
            .count(),
        4096
    );
    assert!(
        s.codes.contains(&Code::PickleLimitExceeded),
        "{:?}",
        s.codes
    );
}

#[test]
fn an_extension_code_after_a_call_that_may_fill_the_registry_is_critical() {
    // `operator.setitem(copyreg._inverted_registry, 0x42, ("os", "system"))`, then `EXT1 0x42`:
    // the loader imports os.system. The same code fetched before the call, in the same stream,
    // is the loading process's (high) and does not hide the one after it.
    let fill = b"\x8c\x08operator\x8c\x07setitem\x93\x8c\x07copyreg\x8c\x12_inverted_registry\x93K\x42\x8c\x02os\x8c\x06system\x86\x87R0";
    let b = [&b"\x80\x04\x82\x420"[..], fill, b"\x82\x42."].concat();
    let s = scan(&b);
    let ext: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.code == Code::PickleExtensionCode)
        .map(|f| (f.severity, f.location.offset))
        .collect();
    assert_eq!(
        ext,
        [
            (Severity::High, Some(2)),
            (Severity::Critical, Some(b.len() as u64 - 3))
        ],
        "{:?}",
        s.findings
    );
    assert!(s.says("may have registered what it resolves to"));
    // With no call or BUILD before it, the code is the loading process's: high.
    let s = scan(b"\x80\x04\x82\x42.");
    assert_eq!(
        s.finding(Code::PickleExtensionCode).severity,
        Severity::High
    );
}

/// `collections.UserDict()` (NEWOBJ), BUILD `{"data": <held>}`, then `inst[0x42] = ("os",
/// "system")` (forwarded to what it holds), then `EXT1 0x42`: the severity of the extension code.
fn extension_code_after_a_userdict_holding(held: &[u8]) -> Severity {
    let mut b = b"\x80\x04\x8c\x0bcollections\x8c\x08UserDict\x93)\x81}\x8c\x04data".to_vec();
    b.extend_from_slice(held);
    b.extend_from_slice(b"sbK\x42\x8c\x02os\x8c\x06system\x86s0\x82\x42.");
    let s = scan(&b);
    s.finding(Code::PickleExtensionCode).severity
}

#[test]
fn an_object_given_a_global_not_on_the_allowlist_may_change_it_later() {
    // Found by review: `UserDict.data` set by BUILD to `copyreg._inverted_registry` (now on the
    // denylist), then SETITEM on the instance, filled the registry with no call and no BUILD
    // on a global, and `EXT1` stayed high (dropped by the plain reading of joblib array data).
    // Any global not on the allowlist handed to an object is one it may change.
    assert_eq!(
        extension_code_after_a_userdict_holding(b"\x8c\x05mylib\x8c\x08REGISTRY\x93"),
        Severity::Critical
    );
    // Held in a tuple in the state, the same.
    assert_eq!(
        extension_code_after_a_userdict_holding(b"\x8c\x05mylib\x8c\x08REGISTRY\x93\x85"),
        Severity::Critical
    );
    // An allowlisted class held changes through no item an object sets on it.
    assert_eq!(
        extension_code_after_a_userdict_holding(b"\x8c\x0bcollections\x8c\x0bOrderedDict\x93"),
        Severity::High
    );
    // Nor does a string.
    assert_eq!(
        extension_code_after_a_userdict_holding(b"\x8c\x01x"),
        Severity::High
    );
}

#[test]
fn what_an_object_is_given_is_walked_at_most_sixteen_values_per_opcode_then_fails_closed() {
    // A tuple of 64 tuples of 64 allowlisted classes (4,160 values, made by 140 opcodes),
    // given to one object `n` times through BUILD: each look walks it all. Past 16 values per
    // opcode run, what is given may be a global.
    let rounds = |n: usize| {
        let mut b = b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93\x94(".to_vec();
        b.extend_from_slice(&b"h\x00".repeat(64));
        b.extend_from_slice(b"t\x94(");
        b.extend_from_slice(&b"h\x01".repeat(64));
        b.extend_from_slice(b"t\x94\x8c\x0bcollections\x8c\x08UserDict\x93)\x81\x940");
        b.extend_from_slice(&b"h\x03}\x8c\x01dh\x02sb0".repeat(n));
        b.extend_from_slice(b"\x82\x42.");
        scan(&b).finding(Code::PickleExtensionCode).severity
    };
    assert_eq!(rounds(1), Severity::High);
    assert_eq!(rounds(3), Severity::Critical);
}

/// `mylib.REGISTRY` (on neither list) put where the analysis sees it no more, then `EXT1`.
fn extension_code_after(hiding: &[u8]) -> Severity {
    let b = [
        &b"\x80\x04\x8c\x05mylib\x8c\x08REGISTRY\x93\x940"[..],
        hiding,
        b"0\x82\x42.",
    ]
    .concat();
    scan(&b).finding(Code::PickleExtensionCode).severity
}

#[test]
fn a_global_put_where_the_analysis_sees_it_no_more_ends_the_trust_in_globals() {
    // Whatever reaches it there may change it: a list or set, a tuple's items past the 64
    // kept, a dict's entries past the 32 kept, a dict inside a dict.
    let mut tuple = b"(".to_vec();
    tuple.extend_from_slice(&b"K\x01".repeat(70));
    tuple.extend_from_slice(b"h\x00t");
    let mut dict = b"(".to_vec();
    for i in 0..40u8 {
        dict.extend_from_slice(&[b'K', i, b'K', 0]);
    }
    dict.extend_from_slice(b"K\x63h\x00d");
    for hiding in [
        &b"]h\x00a"[..],
        b"(h\x00l",
        b"\x8f(h\x00\x90",
        &tuple,
        &dict,
        b"}K\x01}K\x02h\x00ss",
    ] {
        assert_eq!(
            extension_code_after(hiding),
            Severity::Critical,
            "{}",
            String::from_utf8_lossy(hiding)
        );
    }
    // Kept where it is seen, it stays seen: a tuple, a dict.
    assert_eq!(extension_code_after(b"h\x00\x85"), Severity::High);
    assert_eq!(extension_code_after(b"}K\x01h\x00s"), Severity::High);
}

#[test]
fn the_extension_registry_and_the_reducer_table_are_denied_by_name() {
    for (module, name) in [
        ("copyreg", "_inverted_registry"),
        ("copyreg", "_extension_registry"),
        ("copyreg", "_extension_cache"),
        ("copyreg", "dispatch_table"),
        ("copy", "dispatch_table"),
        ("pickle", "_inverted_registry"),
        // Under a module that imported copyreg.
        ("re", "copyreg._inverted_registry"),
    ] {
        let mut b = b"\x80\x04".to_vec();
        for t in [module, name] {
            b.push(0x8c);
            b.push(t.len() as u8);
            b.extend_from_slice(t.as_bytes());
        }
        b.extend_from_slice(b"\x93.");
        let s = scan(&b);
        assert_eq!(s.codes, [Code::PickleDangerousGlobal], "{module}.{name}");
    }
}

#[test]
fn an_extension_code_of_zero_or_less_stops_the_loader() {
    // `load_extension`: "EXT specifies code <= 0". Bytes of data read as opcodes spell such
    // codes now and then; they fetch nothing.
    for b in [
        &b"\x80\x02\x82\x00."[..],
        b"\x80\x02\x83\x00\x00.",
        b"\x80\x02\x84\xff\xff\xff\xff.",
    ] {
        let s = scan(b);
        assert_eq!(s.codes, [Code::PickleMalformed], "{:?}", s.findings);
        assert!(s.says("EXT specifies code <= 0"), "{:?}", s.findings);
    }
}

#[test]
fn the_same_bytes_handed_to_a_loader_again_are_scanned_once() {
    // A memoized pickle passed to torch's `_load_from_bytes` 2,000 times: each call loads the
    // same bytes, so one scan says it all (a megabyte called 20,000 times took 75 s).
    let inner = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.";
    let mut b = b"\x80\x02ctorch.storage\n_load_from_bytes\nq\x00C".to_vec();
    b.push(inner.len() as u8);
    b.extend_from_slice(inner);
    b.extend_from_slice(b"q\x010");
    for _ in 0..2000 {
        b.extend_from_slice(b"h\x00h\x01\x85R0");
    }
    b.extend_from_slice(b"N.");
    let s = scan(&b);
    let nested = s
        .findings
        .iter()
        .filter(|f| {
            f.location
                .member
                .as_deref()
                .is_some_and(|m| m.starts_with("<bytes passed to"))
        })
        .count();
    assert_eq!(nested, 2, "{:?}", s.findings);
    assert!(
        s.codes.contains(&Code::PickleDangerousGlobal),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_later_stream_may_fetch_what_an_earlier_one_memoized() {
    // `u = pickle.Unpickler(f); u.load(); u.load()` keeps the memo between the loads: the
    // second stream imports os.system from strings the first put there (CPython 3.11 runs
    // it). `pickle.load` twice fails at the memo miss: trailing data to that reading.
    let mut b = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x86\x94.".to_vec();
    b.extend_from_slice(b"\x80\x04h\x00h\x01\x93\x8c\x11echo aibom-sample\x85R.");
    let s = scan(&b);
    let reused = "<pickle read by one Unpickler whose load() is called again, keeping its memo>";
    assert_eq!(
        s.members(Some(Code::PickleDangerousGlobal)),
        [reused],
        "{:?}",
        s.findings
    );
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.calls);
}

#[test]
fn each_stream_loaded_by_pickle_load_numbers_its_memo_from_zero() {
    // Stream 1 memoizes `builtins` and `len`; stream 2 memoizes `os` and `system` at 0 and 1
    // and fetches them: `pickle.load` twice runs os.system (a memo carried from stream 1 made
    // it fetch `builtins.len`).
    let mut b = b"\x80\x04\x8c\x08builtins\x94\x8c\x03len\x94\x93\x94.".to_vec();
    b.extend_from_slice(b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93");
    b.extend_from_slice(b"\x8c\x11echo aibom-sample\x85R.");
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
    assert_eq!(
        s.members(Some(Code::PickleDangerousCall)),
        Vec::<String>::new()
    );
}

#[test]
fn next_buffer_is_reported_once_per_stream() {
    // Found by fuzzing: a run of NEXT_BUFFER opcodes in bytes read again by several readings
    // gave 886 findings in a 3.6 KB file (about 2 s under ASan).
    let mut b = b"\x80\x05".to_vec();
    b.extend_from_slice(&[0x97; 500]);
    b.push(b'.');
    let s = scan(&b);
    assert_eq!(s.codes, [Code::PickleOutOfBandBuffer], "{:?}", s.findings);
}
