//! joblib arrays, read as `NumpyUnpickler.load_build` / `NumpyArrayWrapper.read_array` read
//! them: the payload after the array data is found only when the data is skipped exactly.
use super::*;

/// `os.system("echo aibom-sample")`, popped: opcodes that can follow anything on the stack.
const PAYLOAD: &[u8] = b"cos\nsystem\n(Vecho aibom-sample\ntR0";

/// `NumpyArrayWrapper` made with NEWOBJ, then `state` (opcodes leaving one value) and BUILD.
fn wrapper(state: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81".to_vec();
    b.extend_from_slice(state);
    b.push(b'b');
    b
}

const F8: &[u8] = b"Vdtype\ncnumpy\ndtype\nVf8\n\x85R";

/// The wrapper, `data`, the payload and STOP.
fn joblib(state: &[u8], data: &[u8]) -> Vec<u8> {
    let mut b = wrapper(state);
    b.extend_from_slice(data);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    b
}

/// The payload was reached (after the array, when the data was skipped as joblib skips it):
/// its import and call, and nothing else.
fn assert_payload_found(bytes: &[u8]) -> Scan {
    let s = scan(bytes);
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
    s
}

/// The array could not be sized, and the payload after it was found all the same (every later
/// start is tried).
fn assert_unresolved_and_payload_found(bytes: &[u8]) {
    let s = scan(bytes);
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved)
            && s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.findings
    );
}

fn dict(entries: &[&[u8]]) -> Vec<u8> {
    let mut b = b"}(".to_vec();
    for e in entries {
        b.extend_from_slice(e);
    }
    b.push(b'u');
    b
}

#[test]
fn a_shape_fetched_from_the_memo_sizes_the_array() {
    // The shape (2, 3) is memoized first and fetched with BINGET: 48 bytes of data.
    let mut b = b"\x80\x02K\x02K\x03\x86q\x070".to_vec();
    let state = dict(&[F8, b"Vshape\nh\x07"]);
    b.extend_from_slice(&joblib(&state, &[0xff; 48])[2..]);
    assert_payload_found(&b);
}

#[test]
fn the_last_value_of_a_repeated_key_is_the_one_joblib_reads() {
    let state = dict(&[F8, b"Vshape\nK\x01\x85", b"Vshape\nK\x04\x85"]);
    assert_payload_found(&joblib(&state, &[0xff; 32]));
}

#[test]
fn slot_state_sets_attributes_after_the_dict() {
    // BUILD state (dict, slots): the slot dict's shape wins.
    let mut state = dict(&[F8, b"Vshape\nK\x01\x85"]);
    state.extend_from_slice(&dict(&[b"Vshape\nK\x03\x85"]));
    state.push(0x86);
    assert_payload_found(&joblib(&state, &[0xff; 24]));
}

#[test]
fn a_shape_whose_product_wraps_to_zero_reads_no_data() {
    // (2**32, 2**32): numpy.multiply.reduce over int64 gives 0, so joblib reads nothing.
    let big = b"\x8a\x05\x00\x00\x00\x00\x01";
    let shape = [b"Vshape\n".as_slice(), big, big, b"\x86"].concat();
    let state = dict(&[F8, &shape]);
    assert_payload_found(&joblib(&state, b""));
}

#[test]
fn a_void_dtype_whose_state_sets_the_object_flag_reads_a_whole_pickle() {
    // numpy.dtype("V8"), then BUILD (3, '|', None, None, None, 8, 1, 1): `hasobject` is true,
    // so joblib reads an embedded pickle, not 8 raw bytes per item.
    let dtype = b"Vdtype\ncnumpy\ndtype\nVV8\n\x85R(K\x03V|\nNNNK\x08K\x01K\x01tb";
    let state = dict(&[dtype, b"Vshape\nK\x01\x85"]);
    let mut b = wrapper(&state);
    b.extend_from_slice(b"\x80\x02");
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.N.");
    assert_payload_found(&b);
}

#[test]
fn a_dtype_state_older_than_version_3_is_unresolved() {
    // numpy.dtype("V8"), then BUILD (2, '|', None, None, None, 8, 1, 0): for a version below
    // 3 numpy works `hasobject` out from the fields, not from the flags word (found by review:
    // an `O` field with flags 0 made joblib unpickle what was skipped as raw numbers).
    let dtype = b"Vdtype\ncnumpy\ndtype\nVV8\n\x85R(K\x02V|\nNNNK\x08K\x01K\x00tb";
    let state = dict(&[dtype, b"Vshape\nK\x01\x85"]);
    assert_unresolved_and_payload_found(&joblib(&state, &[0xff; 8]));
}

#[test]
fn a_dtype_spec_not_in_numpys_own_form_is_unresolved() {
    // numpy.dtype('object') and numpy.dtype('u1,O') hold objects: only the form numpy's
    // pickles give (`O8`, `f8`, `V8`) is read.
    for spec in ["object", "u1,O", "(1,)O", "float64", "f8 "] {
        let dtype = [
            format!("Vdtype\ncnumpy\ndtype\nV{spec}\n").as_bytes(),
            b"\x85R",
        ]
        .concat();
        let state = dict(&[&dtype, b"Vshape\nK\x01\x85"]);
        assert_unresolved_and_payload_found(&joblib(&state, &[0xff; 8]));
    }
}

/// Found by review: `numpy.result_type(d)` returns `d` itself, and a BUILD on what it returned
/// gave the wrapper's `V8` dtype an `O` field: joblib unpickled what was skipped as raw.
#[test]
fn a_dtype_state_given_to_what_an_unvetted_call_returned_makes_later_arrays_unresolved() {
    // numpy.dtype("V8") memoized; numpy.result_type(it), BUILD (3, '|', None, None, None, 8,
    // 1, 1) on the result; then the wrapper's dtype is the memoized one.
    let mut b = b"\x80\x02cnumpy\ndtype\nVV8\n\x85Rq\x010cnumpy\nresult_type\nh\x01\x85R".to_vec();
    b.extend_from_slice(b"(K\x03V|\nNNNK\x08K\x01K\x01tb0");
    let state = dict(&[b"Vdtype\nh\x01", b"Vshape\nK\x01\x85"]);
    let mut w = wrapper(&state);
    w.drain(..2);
    b.extend_from_slice(&w);
    b.extend_from_slice(&[0xff; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    assert_unresolved_and_payload_found(&b);
}

#[test]
fn a_flexible_dtype_takes_its_item_size_from_its_state() {
    // numpy.dtype("S1") with state item size 16: two items are 32 bytes.
    let dtype = b"Vdtype\ncnumpy\ndtype\nVS1\n\x85R(K\x03V|\nNNNK\x10K\x01K\x00tb";
    let state = dict(&[dtype, b"Vshape\nK\x02\x85"]);
    assert_payload_found(&joblib(&state, &[0xff; 32]));
}

#[test]
fn a_shape_the_analysis_cannot_read_is_reported_and_every_later_start_is_tried() {
    // A list as the shape (joblib accepts any sequence; the analysis keeps no lists).
    let state = dict(&[F8, b"Vshape\n]K\x05a"]);
    let s = scan(&joblib(&state, &[0xff; 40]));
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
    assert!(!s.codes.contains(&Code::PickleMalformed), "{:?}", s.codes);
    let f = s.finding(Code::JoblibArrayUnresolved);
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn a_state_dict_with_entries_past_the_cap_is_unresolved() {
    let mut entries: Vec<Vec<u8>> = (0..40).map(|i| format!("Vk{i}\nN").into_bytes()).collect();
    entries.push(F8.to_vec());
    entries.push(b"Vshape\nK\x01\x85".to_vec());
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let s = scan(&joblib(&dict(&refs), &[0xff; 8]));
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_legacy_wrapper_naming_a_file_outside_the_directory_is_reported() {
    let legacy = |name: &str| {
        let mut b = b"\x80\x02cjoblib.numpy_pickle_compat\nNDArrayWrapper\n)\x81".to_vec();
        b.extend_from_slice(&dict(&[format!("Vfilename\nV{name}\n").as_bytes()]));
        b.extend_from_slice(b"b.");
        scan(&b)
    };
    for name in ["../../tmp/x.npy", "/etc/x.npy"] {
        let s = legacy(name);
        assert_eq!(s.codes, [Code::JoblibExternalArray], "{name}");
        assert_eq!(
            s.finding(Code::JoblibExternalArray).severity,
            Severity::High
        );
    }
    assert!(legacy("model.pkl_01.npy").codes.is_empty());
}

// Found by attacking the sizing (each was clean while joblib reached the payload).

#[test]
fn a_build_inside_a_frame_is_unresolved_and_the_rest_is_tried() {
    // FRAME[wrapper ... BUILD | payload] then the array bytes: joblib reads the array from
    // after the frame and then runs the rest of the frame.
    let mut inner = wrapper(&dict(&[F8, b"Vshape\nK\x01\x85"]))[2..].to_vec();
    inner.push(b'0');
    inner.extend_from_slice(PAYLOAD);
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(inner.len() as u64).to_le_bytes());
    b.extend_from_slice(&inner);
    b.extend_from_slice(&[0xff; 8]);
    b.extend_from_slice(b"N.");
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_state_flag_that_contradicts_the_dtype_is_unresolved() {
    // numpy.dtype("u1") with flags 1 has objects; "O" with flags 0 has none.
    for (spec, flags) in [("u1", b'\x01'), ("O8", b'\x00')] {
        let dtype = [
            b"Vorder\nVC\nVdtype\ncnumpy\ndtype\nV".as_slice(),
            spec.as_bytes(),
            b"\n\x85R(K\x03V|\nNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK",
            &[flags],
            b"tb",
        ]
        .concat();
        let state = dict(&[&dtype, b"Vshape\nK\x01\x85"]);
        let s = scan(&joblib(&state, &[0xff; 1]));
        assert!(
            s.codes.contains(&Code::JoblibArrayUnresolved),
            "{spec}: {:?}",
            s.codes
        );
        assert!(s.codes.contains(&Code::PickleDangerousCall), "{spec}");
    }
}

#[test]
fn a_shape_of_seventeen_dimensions_is_kept_whole() {
    let mut shape = b"Vshape\n(".to_vec();
    for _ in 0..16 {
        shape.extend_from_slice(b"K\x01");
    }
    shape.extend_from_slice(b"K\x10t");
    let state = dict(&[b"Vdtype\ncnumpy\ndtype\nVu1\n\x85R", &shape]);
    assert_payload_found(&joblib(&state, &[0xff; 16]));
}

#[test]
fn a_memoized_none_is_no_alignment() {
    // None memoized, then fetched as the alignment attribute: no padding byte.
    let mut b = b"\x80\x02Nq\x090".to_vec();
    let state = dict(&[
        F8,
        b"Vshape\nK\x01\x85",
        b"Vnumpy_array_alignment_bytes\nh\x09",
    ]);
    b.extend_from_slice(&joblib(&state, &[0x07; 8])[2..]);
    assert_payload_found(&b);
}

#[test]
fn a_state_dict_past_the_cap_is_unresolved_even_when_the_key_was_kept() {
    let mut entries: Vec<Vec<u8>> = vec![F8.to_vec(), b"Vshape\nK\x01\x85".to_vec()];
    entries.extend((0..40).map(|i| format!("Vk{i}\nN").into_bytes()));
    entries.push(b"Vshape\nK\x10\x85".to_vec());
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let s = scan(&joblib(&dict(&refs), &[0xff; 128]));
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.codes
    );
    assert!(
        s.codes.contains(&Code::PickleDangerousCall),
        "{:?}",
        s.codes
    );
}

#[test]
fn a_wrapper_made_through_copyreg_is_a_wrapper() {
    // copyreg._reconstructor(NumpyArrayWrapper, object, None), then BUILD.
    let state = dict(&[F8, b"Vshape\nK\x02\x85"]);
    let mut b = b"\x80\x02ccopyreg\n_reconstructor\n(cjoblib.numpy_pickle\nNumpyArrayWrapper\ncbuiltins\nobject\nNtR".to_vec();
    b.extend_from_slice(&state);
    b.push(b'b');
    b.extend_from_slice(&[0xff; 16]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    assert_payload_found(&b);
}

#[test]
fn the_legacy_wrapper_under_its_numpy_pickle_name_is_checked_too() {
    let mut b = b"\x80\x02cjoblib.numpy_pickle\nNDArrayWrapper\n)\x81".to_vec();
    b.extend_from_slice(&dict(&[b"Vfilename\nV../x.npy\n"]));
    b.extend_from_slice(b"b.");
    assert!(scan(&b).codes.contains(&Code::JoblibExternalArray));
}

#[test]
fn a_wrapper_the_analysis_cannot_follow_is_unresolved() {
    // copyreg.__newobj__ given a list holding the class; min() of an unbuilt instance;
    // the class called with arguments (REDUCE runs __init__, which sets attributes).
    let cls = b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n";
    let list_args = [b"\x80\x02ccopyreg\n__newobj__\n]".as_slice(), cls, b"aR"].concat();
    let via_min = [b"\x80\x02cbuiltins\nmin\n(".as_slice(), cls, b")\x81\x85tR"].concat();
    let init = [
        b"\x80\x02".as_slice(),
        cls,
        b"(cnumpy\nndarray\nK\x02\x85VC\nNtR",
    ]
    .concat();
    for made in [list_args, via_min, init] {
        let mut b = made.clone();
        b.extend_from_slice(&dict(&[F8, b"Vshape\nK\x02\x85"]));
        b.push(b'b');
        b.extend_from_slice(&[0xff; 16]);
        b.push(b'0');
        b.extend_from_slice(PAYLOAD);
        b.extend_from_slice(b"N.");
        let s = scan(&b);
        assert!(
            s.codes.contains(&Code::JoblibArrayUnresolved),
            "{made:?}: {:?}",
            s.codes
        );
    }
}

#[test]
fn a_built_wrapper_is_the_array_and_can_go_into_containers() {
    // joblib's usual layout: the wrapper BUILT, then appended to a list: no finding.
    let mut b = b"\x80\x02]".to_vec();
    b.extend_from_slice(&wrapper(&dict(&[F8, b"Vshape\nK\x01\x85"]))[2..]);
    b.extend_from_slice(&[0x00; 8]);
    b.extend_from_slice(b"a.");
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn a_wrapper_class_reached_through_getattr_is_watched_like_an_imported_one() {
    // getattr(joblib.numpy_pickle, "NumpyArrayWrapper") appended to a list: the class was
    // never imported by name, yet an instance made from the list later is read by joblib.
    let b = b"\x80\x02]cbuiltins\ngetattr\n(cjoblib\nnumpy_pickle\nVNumpyArrayWrapper\ntRa.";
    let s = scan(b);
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved),
        "{:?}",
        s.findings
    );
}

#[test]
fn a_wrapper_inside_an_object_array_pickle_is_an_ordinary_object() {
    // joblib reads an object array's pickle with a plain `pickle.load`: a wrapper inside it
    // is built like any object and no array bytes follow it, so the 34 bytes a `u1` array of
    // shape (34,) would take are opcodes, and they run.
    let inner_state = dict(&[b"Vdtype\ncnumpy\ndtype\nVu1\n\x85R", b"Vshape\nK\x22\x85"]);
    let mut inner = wrapper(&inner_state);
    assert_eq!(PAYLOAD.len(), 34);
    inner.extend_from_slice(PAYLOAD);
    inner.extend_from_slice(b"N.");
    let outer_state = dict(&[b"Vdtype\ncnumpy\ndtype\nVO\n\x85R", b"Vshape\nK\x01\x85"]);
    let mut b = wrapper(&outer_state);
    b.extend_from_slice(&inner);
    b.extend_from_slice(b"N.");
    assert_payload_found(&b);
}

/// `os.system("echo aibom-sample")` and STOP, padded with spaces to `n` bytes: array data a
/// plain loader runs as opcodes.
fn payload_as_data(n: usize) -> Vec<u8> {
    let mut d = b"cos\nsystem\n(Vecho aibom-sample\ntR.".to_vec();
    assert!(d.len() <= n);
    d.resize(n, b' ');
    d
}

#[test]
fn a_payload_in_array_data_is_found_where_a_plain_pickle_load_runs_it() {
    // joblib.load reads the 40 bytes as the array; pickle.load (or pandas.read_pickle, or
    // torch.load without weights_only) runs them as opcodes: os.system, then STOP.
    let state = dict(&[F8, b"Vshape\nK\x05\x85"]);
    let mut b = wrapper(&state);
    b.extend_from_slice(&payload_as_data(40));
    b.push(b'.');
    let s = assert_payload_found(&b);
    assert_eq!(
        s.members(None),
        ["<pickle read as a plain pickle.load reads a joblib file: array data as opcodes>"; 2]
    );
    assert!(s.called("os.system", "REDUCE"));
}

#[test]
fn an_extension_code_array_data_registers_for_itself_is_found_by_the_plain_reading() {
    // Read by pickle.load, the 104 bytes fill copyreg's registry
    // (`operator.setitem(copyreg._inverted_registry, 0x42, ("os", "system"))`) and fetch code
    // 0x42: os.system. The plain reading drops the extension codes that bytes of data spell;
    // not one fetched after a call that may have filled the registry.
    let mut d = b"\x80\x04\x8c\x08operator\x8c\x07setitem\x93\x8c\x07copyreg\x8c\x12_inverted_registry\x93K\x42\x8c\x02os\x8c\x06system\x86\x87R0\x82\x42\x8c\x11echo aibom-sample\x85R.".to_vec();
    d.resize(104, b' ');
    let state = dict(&[F8, b"Vshape\nK\x0d\x85"]);
    let mut b = wrapper(&state);
    b.extend_from_slice(&d);
    b.push(b'.');
    let s = scan(&b);
    let ext = s.finding(Code::PickleExtensionCode);
    assert_eq!(ext.severity, Severity::Critical, "{:?}", s.findings);
    assert_eq!(
        ext.location.member.as_deref(),
        Some("<pickle read as a plain pickle.load reads a joblib file: array data as opcodes>")
    );
}

#[test]
fn array_data_a_plain_loader_cannot_read_adds_nothing() {
    // Numbers are not opcodes: a plain pickle.load fails at the first byte of the data. Its
    // break is not a fault of the joblib file, and is not reported.
    let state = dict(&[F8, b"Vshape\nK\x05\x85"]);
    let mut b = wrapper(&state);
    b.extend_from_slice(&[0xff; 40]);
    b.push(b'.');
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn a_compressed_joblib_stream_is_read_again_as_a_plain_loader_reads_it() {
    // joblib's compressed dumps (gzip, zlib, lz4, ...) are read as they are decompressed; the
    // plain reading decompresses again. Read once only (a member of a compressed tar), the
    // reading that was not made is a limit finding.
    let state = dict(&[F8, b"Vshape\nK\x05\x85"]);
    let mut b = wrapper(&state);
    b.extend_from_slice(&payload_as_data(40));
    b.push(b'.');
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let codes = |reopen: bool| {
        let mut ctx = Ctx::new(&limits, &policy, "t.pkl");
        let mut again =
            || -> std::io::Result<Box<dyn std::io::BufRead + '_>> { Ok(Box::new(&b[..])) };
        let reopen: Option<&mut Reopen<'_>> = if reopen { Some(&mut again) } else { None };
        inspect_stream(&mut &b[..], reopen, &mut ctx).unwrap();
        let mut codes: Vec<Code> = ctx.findings.iter().map(|f| f.code).collect();
        codes.sort();
        codes
    };
    assert_eq!(
        codes(true),
        [Code::PickleDangerousGlobal, Code::PickleDangerousCall]
    );
    assert_eq!(codes(false), [Code::PickleLimitExceeded]);
}

/// A wrapper whose state says joblib wrote an alignment padding before the data.
fn padded(data_items: u8) -> Vec<u8> {
    let shape = [b"Vshape\nK".as_slice(), &[data_items, 0x85]].concat();
    dict(&[F8, &shape, b"Vnumpy_array_alignment_bytes\nK\x10"])
}

#[test]
fn a_plain_loader_stops_at_the_alignment_padding_joblib_writes_and_is_not_read() {
    // joblib >= 1.2 writes a padding length of 1 to 16 before each array's data: no opcode,
    // so a plain pickle.load fails there and runs nothing after it; the file is read once.
    let mut b = wrapper(&padded(5));
    b.push(0x08);
    b.extend_from_slice(&[0xff; 8]);
    b.extend_from_slice(&payload_as_data(40));
    b.push(b'.');
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
    // With a padding length that is an opcode (`N`), the plain reading runs the wrapper's
    // opcodes again.
    let at = b.iter().rposition(|&c| c == 0x08).unwrap();
    let mut opcode = b.clone();
    opcode[at] = b'N';
    let (_, once) = run(&b);
    let (_, twice) = run(&opcode);
    assert!(once + 10 < twice, "{once} opcodes against {twice}");
}

#[test]
fn a_padding_length_that_is_an_opcode_is_read_as_a_plain_loader_reads_it() {
    // Crafted: a padding of 0x28 bytes (`(`, MARK) that a plain loader runs as opcodes, the
    // payload inside it.
    let mut b = wrapper(&padded(1));
    b.push(b'(');
    let mut pad = b"0cos\nsystem\n(Vecho aibom-sample\ntR.".to_vec();
    pad.resize(0x28, b' ');
    b.extend_from_slice(&pad);
    b.extend_from_slice(&[0xff; 8]);
    b.push(b'.');
    assert_payload_found(&b);
}

#[test]
fn data_a_plain_loader_reads_as_a_stack_global_on_the_wrapper_fails_there() {
    // joblib's old layout (no padding): a float whose first byte is 0x93 is STACK_GLOBAL to a
    // plain loader, with the wrapper instance as its name: "STACK_GLOBAL requires str".
    // Read as a computed import, benign files failed the gate.
    let state = dict(&[F8, b"Vshape\nK\x01\x85"]);
    let mut b = b"\x80\x04\x8c\x05coef_".to_vec();
    b.extend_from_slice(&wrapper(&state)[2..]);
    b.extend_from_slice(&[0x93, 0, 0, 0, 0, 0, 0, 0x40]);
    b.extend_from_slice(b"\x86.");
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn array_data_of_one_repeated_c_is_no_limit_for_a_plain_loader() {
    // 5,000 bytes of 99 read as a GLOBAL: a module name whose first component is longer
    // than a file name can be; the import fails. It was a limit (high) on benign files.
    let state = dict(&[
        b"Vdtype\ncnumpy\ndtype\nVu1\n\x85R",
        b"Vshape\nM\x88\x13\x85",
    ]);
    let mut b = wrapper(&state);
    b.extend_from_slice(&[b'c'; 5000]);
    b.push(b'.');
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn what_an_object_array_pickle_returns_may_be_a_string() {
    // joblib puts what an object array's pickle returns in the wrapper's place: two of them
    // returning "os" and "system" give STACK_GLOBAL its strings (joblib.load with mmap_mode
    // runs os.system). It was taken for an array, no string: "STACK_GLOBAL requires str".
    let state = b"}(Vdtype\ncnumpy\ndtype\nVO\n\x85RVshape\nK\x01\x85Vallow_mmap\n\x89u";
    let arr = |s: &[u8]| {
        let mut b = wrapper(state)[2..].to_vec();
        b.extend_from_slice(b"\x80\x04\x8c");
        b.push(s.len() as u8);
        b.extend_from_slice(s);
        b.push(b'.');
        b
    };
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(&arr(b"os"));
    b.extend_from_slice(&arr(b"system"));
    b.extend_from_slice(b"\x93\x8c\x11echo aibom-sample\x85R.");
    let s = scan(&b);
    assert!(
        s.codes.contains(&Code::PickleDynamicGlobal),
        "{:?}",
        s.findings
    );
    assert_eq!(
        s.finding(Code::PickleDynamicGlobal).severity,
        Severity::Critical
    );
}

/// A joblib file whose first object is what `first` makes, in memo slot 3 (`first` sets
/// slots 0 to 3), then an object array. The array's data is a pickle of its own that memoizes
/// "numpy" in its slot 3 and imports `numpy.dtype` through it: read by a plain
/// `pickle.load`, with the outer memo, that fetch returns the outer slot 3 as a module name.
fn object_array_after(first: &[u8]) -> Vec<u8> {
    let mut b = b"\x80\x04".to_vec();
    b.extend_from_slice(first);
    b.push(b'0');
    let state = b"}(Vdtype\ncnumpy\ndtype\nVO\n\x85RVshape\nK\x01\x85Vallow_mmap\n\x89u";
    b.extend_from_slice(&wrapper(state)[2..]);
    b.extend_from_slice(b"\x80\x04\x8c\x01a\x94\x8c\x01b\x94\x8c\x01c\x94\x8c\x05numpy\x94");
    b.extend_from_slice(b"h\x03\x8c\x05dtype\x93.0N.");
    b
}

/// `sklearn.preprocessing._label.LabelEncoder`, imported with memoized strings.
const LABEL_ENCODER: &[u8] =
    b"\x8c\x1csklearn.preprocessing._label\x94\x8c\x0cLabelEncoder\x94\x93\x94";

#[test]
fn an_allowlisted_estimator_an_object_array_fetches_as_a_module_name_is_no_string() {
    // joblib.dump of a LabelEncoder fitted on object labels (and of OneHotEncoder, a
    // categorical pipeline, ...): a plain pickle.load meets STACK_GLOBAL with the estimator
    // as its module and fails ("STACK_GLOBAL requires str"). It was a computed import, and
    // benign files were critical.
    let b = object_array_after(&[LABEL_ENCODER, b")\x81\x94"].concat());
    let s = scan(&b);
    assert!(s.codes.is_empty(), "{:?}", s.findings);
    // copyreg.__newobj__(cls) is NEWOBJ with no arguments.
    let first = b"\x8c\x07copyreg\x94\x8c\x0a__newobj__\x94\x93\x94\x8c\x1csklearn.preprocessing._label\x8c\x0cLabelEncoder\x93\x85R\x94";
    let s = scan(&object_array_after(first));
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn an_allowlisted_class_an_object_array_fetches_as_a_module_name_is_no_string() {
    // joblib.dump([x, object_array]) at protocol 4 or 5: slot 3 holds the class of x, which a
    // plain pickle.load fetches as a module name and refuses. A global on neither list may be
    // a str (`email.charset.DEFAULT_CHARSET`): critical still.
    let s = scan(&object_array_after(
        &[b"N\x940".as_slice(), LABEL_ENCODER].concat(),
    ));
    assert!(s.codes.is_empty(), "{:?}", s.findings);
    let first = b"N\x940\x8c\x0demail.charset\x94\x8c\x0fDEFAULT_CHARSET\x94\x93\x94";
    let s = scan(&object_array_after(first));
    let f = s.finding(Code::PickleDynamicGlobal);
    assert_eq!(f.severity, Severity::Critical, "{:?}", s.findings);
}

#[test]
fn an_unknown_class_made_from_nothing_as_a_module_name_is_judged_as_that_class() {
    // Of a class on neither list, `cls.__new__(cls)` is a str only if that class makes one:
    // the computed import is as severe as an unknown global (medium; high with --strict).
    let first = b"\x8c\x0cmylib.models\x94\x8c\x05Model\x94\x93\x94)\x81\x94";
    let s = scan(&object_array_after(first));
    assert_eq!(
        s.codes,
        sorted(&[Code::PickleDynamicGlobal, Code::PickleUnknownGlobal]),
        "{:?}",
        s.findings
    );
    let f = s.finding(Code::PickleDynamicGlobal);
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        f.message
            .contains("an instance of mylib.models.Model made with no arguments")
    );
    // A Cython class's unpickle helper on neither list: judged the same way.
    let first = b"cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\nq\x00cpandas.arrays\nStringArray\nq\x01K\x00Nq\x02\x87Rq\x03";
    let s = scan(&object_array_after(first));
    assert_eq!(
        s.finding(Code::PickleDynamicGlobal).severity,
        Severity::Medium
    );
}

#[test]
fn a_class_made_from_arguments_as_a_module_name_is_critical_whatever_its_class() {
    // `typing.Text("os")` is "os", and so is `numpy.object_("os")` (allowlisted): with
    // arguments, what `__new__` returns may be a str.
    for first in [
        b"\x8c\x06typing\x94\x8c\x04Text\x94\x93\x94\x8c\x02os\x85\x81\x94".as_slice(),
        b"\x8c\x05numpy\x94\x8c\x07object_\x94\x93\x94\x8c\x02os\x85\x81\x94",
        b"\x8c\x06typing\x94\x8c\x04Text\x94\x93\x94\x8c\x02os\x85}\x92\x94",
        // NEWOBJ_EX with keywords.
        b"\x8c\x0cmylib.models\x94\x8c\x05Model\x94\x93\x94)}\x8c\x01k\x8c\x02os\x73\x92\x94",
        // copyreg._reconstructor(cls, base, state) is base.__new__(cls, state) unless base is
        // object.
        b"ccopyreg\n_reconstructor\nq\x00ctyping\nText\nq\x01h\x01\x8c\x02osq\x02\x87Rq\x03",
        // A Cython unpickle helper given other than its three arguments.
        b"cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\nq\x00cpandas.arrays\nStringArray\nq\x01Nq\x02\x86Rq\x03",
    ] {
        let s = scan(&object_array_after(first));
        let f = s.finding(Code::PickleDynamicGlobal);
        assert_eq!(f.severity, Severity::Critical, "{first:?}: {:?}", s.findings);
    }
}

#[test]
fn after_a_build_that_may_change_a_module_or_class_no_global_is_trusted_to_be_no_string() {
    // Found by review: `numpy.object_(x)` is `x` itself, so a BUILD on what it returns sets
    // attributes on a module or class (`setattr(collections, "UserString", "os")`, or a class's
    // `__new__` replaced by `partial(str.format, "os")`). An allowlisted global, or what an
    // allowlisted (or unknown) class makes from nothing, is "os" then: a plain pickle.load
    // runs `os.system`. They were read as "STACK_GLOBAL requires str" (a break, dropped in a
    // joblib file's array data) or medium.
    let s = |x: &[u8]| [&[0x8c, x.len() as u8][..], x].concat();
    let sg = |m: &[u8], n: &[u8]| [s(m), s(n), b"\x93".to_vec()].concat();
    let object_of =
        |m: &[u8], n: &[u8]| [sg(b"numpy", b"object_"), sg(m, n), b"\x85R".to_vec()].concat();
    let call = [
        s(b"system"),
        b"\x93".to_vec(),
        s(b"echo aibom-sample"),
        b"\x85R.".to_vec(),
    ]
    .concat();
    let format_os = [
        sg(b"functools", b"partial"),
        sg(b"builtins", b"str.format"),
        s(b"os"),
        b"\x86R".to_vec(),
    ]
    .concat();
    let rebound_global = [
        b"\x80\x04".to_vec(),
        object_of(b"typing", b"collections"),
        b"N}".to_vec(),
        s(b"UserString"),
        s(b"os"),
        b"s\x86b0".to_vec(),
        sg(b"collections", b"UserString"),
        call.clone(),
    ]
    .concat();
    let rebound_new = |m: &[u8], n: &[u8]| {
        [
            b"\x80\x04".to_vec(),
            object_of(m, n),
            b"N}".to_vec(),
            s(b"__new__"),
            format_os.clone(),
            b"s\x86b0".to_vec(),
            sg(m, n),
            b")\x81".to_vec(),
            call.clone(),
        ]
        .concat()
    };
    // Found by the next review: a call of a global on neither list may set attributes too
    // (`dataclasses._set_new_attribute` is `setattr`).
    let set_new = |m: &[u8], n: &[u8]| {
        [
            b"\x80\x04".to_vec(),
            sg(b"dataclasses", b"_set_new_attribute"),
            sg(m, n),
            s(b"__new__"),
            format_os.clone(),
            b"\x87R0".to_vec(),
            sg(m, n),
            b")\x81".to_vec(),
            call.clone(),
        ]
        .concat()
    };
    for b in [
        rebound_global,
        rebound_new(b"collections", b"UserString"),
        rebound_new(b"textwrap", b"TextWrapper"),
        set_new(b"collections", b"UserString"),
        set_new(b"email.message", b"Message"),
    ] {
        let scan = scan(&b);
        let f = scan.finding(Code::PickleDynamicGlobal);
        assert_eq!(f.severity, Severity::Critical, "{:?}", scan.findings);
        // The same as a joblib file's array data, which only a plain pickle.load runs.
        let data = &b[2..];
        let shape = [
            b"Vshape\nM".as_slice(),
            &(data.len() as u16).to_le_bytes(),
            b"\x85",
        ]
        .concat();
        let state = dict(&[b"Vdtype\ncnumpy\ndtype\nVu1\n\x85R", &shape]);
        let j = [wrapper(&state).as_slice(), data, b"."].concat();
        let scan = self::scan(&j);
        let f = scan.finding(Code::PickleDynamicGlobal);
        assert_eq!(f.severity, Severity::Critical, "{:?}", scan.findings);
    }
}

#[test]
fn an_instance_made_by_object_new_as_a_module_name_is_no_string() {
    // copyreg._reconstructor(cls, object, state) is object.__new__(cls), which refuses str
    // and its subclasses: whatever the class, it is no string (protocols 0 and 1).
    let first = b"ccopyreg\n_reconstructor\nq\x00cmylib.models\nModel\nq\x01c__builtin__\nobject\nq\x02N\x87Rq\x03";
    let s = scan(&object_array_after(first));
    assert_eq!(s.codes, [Code::PickleUnknownGlobal], "{:?}", s.findings);
}

#[test]
fn a_dict_nothing_holds_read_back_as_a_module_name_is_no_string() {
    // joblib.dump([obj_arr, obj_arr, ints], protocol=2): the second array's pickle fetches
    // slot 3, the first wrapper's state dict, which BUILD consumed. It read back as a value
    // not kept, which may be a string: critical on a benign file.
    let s = scan(&object_array_after(b"}q\x00}q\x01}q\x02}q\x03"));
    assert!(s.codes.is_empty(), "{:?}", s.findings);
}

#[test]
fn a_dict_nothing_holds_read_back_as_an_array_header_is_not_trusted() {
    // The dict is a dict still, but what was set in it is not known: an array whose header it
    // is cannot be sized, and every later start is tried.
    let header = [
        b"\x80\x02}q\x05(".as_slice(),
        F8,
        b"Vorder\nVC\nVshape\nK\x01\x85u0",
    ]
    .concat();
    assert_unresolved_and_payload_found(&[header, joblib(b"h\x05", &[0xff; 8])].concat());
}

#[test]
fn a_plain_loader_that_reads_a_frame_whole_may_meet_another_array() {
    // Read on, the stream meets wrapper X, whose padding length (8) is no opcode; a file
    // object that reads the first frame whole drops its last bytes and meets wrapper Y, whose
    // padding length is `(`: the payload in Y's padding runs under pickle.load(io.BytesIO)
    // and open() with 4-32 KiB buffers. The plain reading ran only where the first reading
    // said a plain loader reads on.
    let w = b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81";
    let state = |shape: &[u8]| {
        [
            b"}(".as_slice(),
            F8,
            b"Vshape\n",
            shape,
            b"\x85Vnumpy_array_alignment_bytes\nK\x10u",
        ]
        .concat()
    };
    let mut pad = b"0cos\nsystem\n(Vecho aibom-sample\ntR.".to_vec();
    pad.resize(0x28, b' ');
    let y = [
        b"00".as_slice(),
        w,
        &state(b"K\x01"),
        b"b(",
        &pad,
        &[0xff; 8],
        b".",
    ]
    .concat();
    let n_in = 200_000u32;
    let mut body = vec![b'B'];
    body.extend_from_slice(&n_in.to_le_bytes());
    body.resize(body.len() + n_in as usize, b'x');
    body.extend_from_slice(b"0Gabcd");
    let mut b = b"\x80\x04\x95".to_vec();
    b.extend_from_slice(&(body.len() as u64).to_le_bytes());
    b.extend_from_slice(&body);
    let mut tail = b"WXYZC\x07qqB".to_vec();
    tail.extend_from_slice(&200u32.to_le_bytes());
    let first = [b"00".as_slice(), w, &state(b"M\x00\x01"), b"b\x08", &[0; 8]].concat();
    let at = 13 + 200 - tail.len() - first.len();
    let mut data = vec![0; at];
    data.extend_from_slice(&y);
    data.resize(2048, 0);
    b.extend_from_slice(&tail);
    b.extend_from_slice(&first);
    b.extend_from_slice(&data);
    b.push(b'.');
    let s = scan(&b);
    assert!(s.called("os.system", "REDUCE"), "{:?}", s.findings);
    assert!(
        s.members(Some(Code::PickleDangerousGlobal))
            .iter()
            .any(|m| m.starts_with(
                "<pickle read as a plain pickle.load reads a joblib file: array data as opcodes>"
            )),
        "{:?}",
        s.findings
    );
}

/// Protocol 2, then `n` strings memoized at 0..n (`LONG_BINPUT`) and popped: they spend a
/// tight memo budget.
fn memo_flood(n: u32) -> Vec<u8> {
    let mut b = b"\x80\x02".to_vec();
    for i in 0..n {
        b.extend_from_slice(format!("Vword{i}\nr").as_bytes());
        b.extend_from_slice(&i.to_le_bytes());
        b.push(b'0');
    }
    b
}

#[test]
fn a_wrapper_state_memoized_past_the_budget_sizes_the_next_arrays() {
    // As joblib dumps arrays after a large vocabulary: the first array's state keys, dtype
    // and shape are memoized past the budget; the second array fetches them all from the memo.
    let n = 1000;
    let mut b = memo_flood(n);
    let first = [
        b"Vdtype\n".as_slice(),
        &put(n),
        b"cnumpy\ndtype\nVf8\n\x85R",
        &put(n + 1),
        b"Vshape\n",
        &put(n + 2),
        b"K\x02\x85",
        &put(n + 3),
    ]
    .concat();
    b.extend_from_slice(&wrapper(&dict(&[&first]))[2..]);
    b.extend_from_slice(&[0xff; 16]);
    b.push(b'0');
    let again = [get(n), get(n + 1), get(n + 2), get(n + 3)].concat();
    b.extend_from_slice(&wrapper(&dict(&[&again]))[2..]);
    b.extend_from_slice(&[0xff; 16]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    let s = scan_with(&b, &tight_memo());
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn a_key_not_kept_may_be_the_shape_joblib_reads() {
    // `shape` memoized past the budget and popped, then fetched as a state key: the loader
    // finds its shape there, so the array is not sized, not malformed.
    let n = 1000;
    let mut b = memo_flood(n);
    b.extend_from_slice(b"Vshape\n");
    b.extend_from_slice(&put(n));
    b.push(b'0');
    let key = [get(n).as_slice(), b"K\x02\x85"].concat();
    b.extend_from_slice(&wrapper(&dict(&[F8, &key]))[2..]);
    b.extend_from_slice(&[0xff; 16]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    let s = scan_with(&b, &tight_memo());
    assert!(
        s.codes.contains(&Code::JoblibArrayUnresolved) && !s.codes.contains(&Code::PickleMalformed),
        "{:?}",
        s.findings
    );
}

/// `numpy.dtype("V8")`'s BUILD state setting its item size to `size`.
fn void_state(size: u16) -> Vec<u8> {
    [
        b"(K\x03V|\nNNNM".as_slice(),
        &size.to_le_bytes(),
        b"K\x01K\x00tb",
    ]
    .concat()
}

/// After a memo flood of `n` strings, a joblib array wrapper and its state dict opened with
/// the key `key`, whose value is a void dtype of item size 8000, memoized at `n` past the
/// budget and changed to item size 8 through a GET of it (the read-back left on the stack).
fn dtype_changed_through_its_read_back(key: &[u8], n: u32) -> Vec<u8> {
    let mut b = memo_flood(n);
    b.extend_from_slice(b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(V");
    b.extend_from_slice(key);
    b.extend_from_slice(b"\ncnumpy\ndtype\nVV8\n\x85R");
    b.extend_from_slice(&void_state(8000));
    b.extend_from_slice(&put(n));
    b.extend_from_slice(&get(n));
    b.extend_from_slice(&void_state(8));
    b
}

#[test]
fn a_dtype_in_a_state_dict_changed_through_its_read_back_sizes_the_array_as_joblib_does() {
    // Found by review: a dtype memoized past the budget, its item size changed through the
    // lost read-back (numpy applies it; the analysis could not), then handed to the wrapper's
    // state. The analysis' copy said 8000 bytes, joblib reads 8: the payload lies between.
    let n = 1000;
    let mut b = dtype_changed_through_its_read_back(b"k", n);
    b.extend_from_slice(b"0u0");
    let state = [b"Vshape\nK\x01\x85Vorder\nVC\nVdtype\n".as_slice(), &get(n)].concat();
    b.extend_from_slice(&dict(&[&state]));
    b.push(b'b');
    b.extend_from_slice(&[0; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend(std::iter::repeat_n(b'N', 8000));
    b.push(b'.');
    let s = scan_with(&b, &tight_memo());
    // The read-back is the dtype itself while the dict holds it: the BUILD through it is
    // seen, and the slot is given that dtype back when the state takes it. The array is 8
    // bytes, and the payload after it is found.
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn numpy_dtype_of_a_dtype_is_that_dtype_and_a_build_on_it_changes_it() {
    // Found by review: `numpy.dtype(d) is d`, so a BUILD on the result sets d's item size
    // (8000 -> 8); read as a new dtype, the array was sized 8000 bytes and the payload after
    // its 8 bytes was skipped.
    let mut b = b"\x80\x02cnumpy\ndtype\nVV8\n\x85Rq\x02".to_vec();
    b.extend_from_slice(&void_state(8000));
    b.extend_from_slice(b"cnumpy\ndtype\nh\x02\x85R");
    b.extend_from_slice(&void_state(8));
    b.push(b'0');
    let state = dict(&[b"Vshape\nK\x01\x85Vorder\nVC\nVdtype\nh\x02"]);
    b.extend_from_slice(&wrapper(&state)[2..]);
    b.extend_from_slice(&[0; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend(std::iter::repeat_n(b'N', 8000));
    b.push(b'.');
    assert_payload_found(&b);
}

#[test]
fn a_state_dict_memoized_empty_and_changed_through_its_read_back_is_the_dict_joblib_reads() {
    // Found by review: an empty dict memoized (a slot that keeps no value: it was inert) read
    // back as an opaque object, so a SETITEM through the read-back was not seen. The state
    // says 1000 items (8000 bytes); the SETITEM through the memo makes it 1 (8 bytes), which is
    // what joblib reads, and the payload follows.
    let mut b = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}q\x05(".to_vec();
    b.extend_from_slice(F8);
    b.extend_from_slice(b"Vorder\nVC\nVshape\nM\xe8\x03\x85u");
    b.extend_from_slice(b"h\x05Vshape\nK\x01\x85s0b");
    b.extend_from_slice(&[0xff; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend(std::iter::repeat_n(b'N', 8000));
    b.push(b'.');
    assert_payload_found(&b);
}

#[test]
fn a_dtype_memoized_past_the_budget_and_changed_through_its_read_back_is_the_one_joblib_reads() {
    // Found by review: a dtype memoized past the soft budget read back lost, so a BUILD
    // through the read-back (item size 8000 -> 8) was not seen, while the state dict's own
    // reference to it stayed trusted: the array was sized 8000 bytes, joblib reads 8.
    let n = 1000;
    let mut b = dtype_changed_through_its_read_back(b"dtype", n);
    b.extend_from_slice(b"0Vshape\nK\x01\x85Vorder\nVC\nub");
    b.extend_from_slice(&[0; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend(std::iter::repeat_n(b'N', 8000));
    b.push(b'.');
    let s = scan_with(&b, &tight_memo());
    assert_eq!(s.codes, system_called(), "{:?}", s.findings);
}

#[test]
fn a_dict_held_past_the_last_aliases_is_no_longer_trusted() {
    // More dicts memoized without a kept value than the memo holds aliases for: the first,
    // still on the stack, can no longer be followed through its slot, so a key looked up in
    // it is unknown from then on (the array is unresolved, never sized from a stale shape).
    let mut b =
        b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}r\xa0\x86\x01\x00(".to_vec();
    b.extend_from_slice(F8);
    b.extend_from_slice(b"Vorder\nVC\nVshape\nK\x01\x85u");
    for _ in 0..5000 {
        b.extend_from_slice(b"}\x940");
    }
    b.extend_from_slice(b"b");
    b.extend_from_slice(&[0xff; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend_from_slice(b"N.");
    assert_unresolved_and_payload_found(&b);
}

#[test]
fn an_empty_state_dict_put_past_64_bits_and_changed_through_its_read_back_is_not_trusted() {
    // Found by review: a PUT at an index past an i64 of a dict not yet filled left it inline;
    // the SETITEMs after gave it an allocation of its own, trusted, while the loader changed
    // its shape through the memo (1000 items -> 1): the payload after the 8 bytes was skipped.
    let h = "9".repeat(30);
    let mut b = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}p".to_vec();
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(b"\n(");
    b.extend_from_slice(F8);
    b.extend_from_slice(b"Vorder\nVC\nVshape\nM\xe8\x03\x85ug");
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(b"\nVshape\nK\x01\x85s0b");
    b.extend_from_slice(&[0xff; 8]);
    b.push(b'0');
    b.extend_from_slice(PAYLOAD);
    b.extend(std::iter::repeat_n(b'N', 8000));
    b.push(b'.');
    assert_unresolved_and_payload_found(&b);
}
