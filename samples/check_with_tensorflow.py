#!/usr/bin/env python3
"""Checks that TensorFlow's own readers and loaders read the TensorFlow samples the way aibom's
findings say, without running a payload.

Not run in CI (tensorflow-cpu is a ~250 MB wheel, ~1.6 GB installed with its dependencies); run
by hand in a throwaway venv outside the repo, from the repository root (the TFLite checks scan
models with the aibom binary: `cargo build --release` first, or set AIBOM=/path/to/aibom):

    python3 -m venv /tmp/tfv && /tmp/tfv/bin/pip install tensorflow-cpu
    /tmp/tfv/bin/python samples/check_with_tensorflow.py

Last run with tensorflow-cpu 2.21.0 (keras 3.15.1, numpy 2.4.6, protobuf 7.36.2) on Python
3.11.7: 9 PASS, 0 FAIL.

SavedModels (samples/formats/savedmodel/) are read with TF's loader internals:
`loader_impl.parse_saved_model` (the first step of tf.saved_model.load and of the TF1 loader),
the op list and op denylist scan of `saved_model_cli scan` (`_get_ops_in_metagraph`,
`scan_meta_graph_def`), TF's op registry, `graph_util.extract_sub_graph` (the nodes a fetch of
a node runs) and `import_graph_def` (graph construction, nothing runs). The ReadFile/WriteFile
pair is run once, and only after its two path constants have been replaced (`input_map`) by
paths in a temporary directory: the script checks that the WriteFile node's inputs are those
tensors before it runs the session, and that `/tmp/aibom-sample.txt` is untouched after.
Nothing else is run: no session on a sample graph, no tf.saved_model.load of a sample, no
PyFunc. A fact is printed for each well-formed sample (`load:`): what the TF1 loader's graph
import (`SavedModelLoader.load_graph`, which runs nothing) does with the whole graph. The
generator writes minimal graphs, and TF refuses each of them there (a VarHandleOp without
its shape attr, a SaveV2 input `w` the readfile graph lacks, a StatefulPartitionedCall
without Tin/Tout): the ops are in the graph, but these files fail to load before any runs.

Checkpoints (samples/benign/tf_checkpoint/, samples/malformed/tf_checkpoint_truncated/) are
read with `tf.train.load_checkpoint(...).get_tensor(name)`.

TFLite: samples/ has no TFLite model, so two are made here in a temporary directory with TF's
converter from a function that calls tf.io.read_file on its string input: one with select TF
ops (FlexReadFile), one with allow_custom_ops (a custom operator ReadFile). aibom scans each
(JSON report), and `tf.lite.Interpreter(model_path=...)` must refuse each as the finding says:
the constructor accepts both, allocate_tensors refuses (no Flex delegate in the tensorflow-cpu
wheel's interpreter; no kernel registered for the custom op). Nothing is invoked.

Keras TFSMLayer (samples/malicious/keras_tfsm_layer.keras): `keras.saving.load_model` (TF
backend, compile=False) with `tf.saved_model.load` replaced by a recorder that raises. With
safe_mode=False it must be called with the absolute path the finding names. What safe_mode=True
(the default) does is printed as a fact (`safe:`): keras 3.15.1 refuses the TFSMLayer in
from_config ("disallowed by default") before tf.saved_model.load is reached, which the
keras-external-load message ("loads the SavedModel ... when the model is deserialized") does
not say.

As a second guard, `os.system`, `os.popen`, `os.exec*`, `os.spawn*` and `subprocess.Popen` are
replaced by tripwires once TensorFlow is imported (the aibom scan runs through subprocess.run,
with the real Popen restored for that call only).

Prints one `PASS` / `FAIL` line per sample (what TensorFlow did) and exits 1 on any FAIL.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation note; errors are printed

import tensorflow as tf  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402
from tensorflow.python.saved_model import loader_impl  # noqa: E402
from tensorflow.python.tools import saved_model_cli  # noqa: E402

tf.get_logger().setLevel("ERROR")  # extract_sub_graph's deprecation note

SAMPLES = Path(__file__).resolve().parent
REPO = SAMPLES.parent
SM = SAMPLES / "formats" / "savedmodel"
PAYLOAD_OUT = Path("/tmp/aibom-sample.txt")
HOST_OPS = {"ReadFile", "WriteFile", "PrintV2", "PyFunc", "PyFuncStateless", "EagerPyFunc"}


# --- guards ----------------------------------------------------------------------------------

from tripwires import REAL_POPEN, TRIPPED, tripwire  # noqa: E402  (installs the tripwires)


def stat_of(path):
    try:
        s = path.stat()
        return (s.st_size, s.st_mtime_ns, s.st_ino)
    except FileNotFoundError:
        return None


def first_line(e):
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:200]


# --- SavedModel --------------------------------------------------------------------------------


def meta_graph(export_dir):
    saved = loader_impl.parse_saved_model(str(export_dir))
    assert len(saved.meta_graphs) == 1, f"{len(saved.meta_graphs)} meta graphs"
    return saved.meta_graphs[0]


def denylist_scan(mg):
    """What `saved_model_cli scan` prints for this meta graph (TF's default op denylist)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        saved_model_cli.scan_meta_graph_def(mg, saved_model_cli._OP_DENYLIST)
    return out.getvalue().strip()


def nodes_by_name(nodes):
    return {n.name: n for n in nodes}


def const_string(node):
    assert node.op == "Const", f"{node.name} is {node.op}"
    return node.attr["value"].tensor.string_val[0].decode()


def load_fact(export_dir):
    """What the TF1 loader's graph import does with the whole graph (runs nothing)."""
    loader = loader_impl.SavedModelLoader(str(export_dir))
    try:
        loader.load_graph(tf.Graph(), ["serve"])
        return "SavedModelLoader.load_graph imports the whole graph"
    except Exception as e:
        return f"SavedModelLoader.load_graph refuses the whole graph: {first_line(e)}"


def check_savedmodel_benign():
    d = SM / "benign"
    mg = meta_graph(d)
    ops = saved_model_cli._get_ops_in_metagraph(mg)
    unregistered = sorted(op for op in ops if op_def_registry.get(op) is None)
    scan = denylist_scan(mg)
    ok = (
        not unregistered
        and not ops & HOST_OPS
        and "does not contain the default denylisted ops" in scan
        and {"MatMul", "Relu", "SaveV2", "RestoreV2", "MergeV2Checkpoints"} <= ops
    )
    return ok, (
        f"parsed; ops {sorted(ops)} (all registered in TF), none touching the host; "
        f"cli scan: {scan}"
    ), d


def check_savedmodel_readfile():
    d = SM / "malicious" / "readfile"
    mg = meta_graph(d)
    gd = mg.graph_def
    scan = denylist_scan(mg)
    nodes = nodes_by_name(gd.node)
    leak, drop = nodes["leak"], nodes["drop"]
    read_path = const_string(nodes[leak.input[0]])
    write_path = const_string(nodes[drop.input[0]])
    shape_ok = (
        "contains the following denylisted ops" in scan
        and "ReadFile" in scan
        and "WriteFile" in scan
        and leak.op == "ReadFile"
        and drop.op == "WriteFile"
        and list(drop.input) == ["out_path", "leak"]
        and read_path == "/etc/hostname"
        and write_path == str(PAYLOAD_OUT)
    )
    # What fetching `drop` runs, per TF: the pruned subgraph.
    sub = tf.compat.v1.graph_util.extract_sub_graph(gd, ["drop"])
    sub_nodes = sorted(n.name for n in sub.node)
    before = stat_of(PAYLOAD_OUT)
    with tempfile.TemporaryDirectory(prefix="aibom-tf-") as tmp:
        src, dst = Path(tmp) / "in.txt", Path(tmp) / "out.txt"
        src.write_bytes(b"aibom-sample read through the graph\n")
        g = tf.Graph()
        with g.as_default():
            src_t = tf.constant(str(src), name="tmp_in")
            dst_t = tf.constant(str(dst), name="tmp_out")
            tf.compat.v1.import_graph_def(
                sub, input_map={"path:0": src_t, "out_path:0": dst_t}, name="s"
            )
            w = g.get_operation_by_name("s/drop")
            r = g.get_operation_by_name("s/leak")
            writes = [op for op in g.get_operations() if op.type in ("WriteFile", "ReadFile")]
            # Only run when every file op in the graph points into tmp.
            redirected = (
                w.inputs[0] is dst_t
                and r.inputs[0] is src_t
                and w.inputs[1] is r.outputs[0]
                and len(writes) == 2
            )
            if redirected:
                with tf.compat.v1.Session(graph=g) as sess:
                    sess.run(w)
        copied = dst.exists() and dst.read_bytes() == src.read_bytes()
    untouched = stat_of(PAYLOAD_OUT) == before
    ok = shape_ok and sub_nodes == ["drop", "leak", "out_path", "path"] and redirected and copied
    ok = ok and untouched
    return ok, (
        f"cli scan: {scan}; leak=ReadFile({read_path!r}) -> drop=WriteFile({write_path!r}, leak); "
        f"fetching drop runs {sub_nodes}; run with both paths mapped into a temp dir, "
        f"WriteFile {'wrote what ReadFile read' if copied else 'did NOT copy the file'}; "
        f"{PAYLOAD_OUT} {'untouched' if untouched else 'CHANGED'}"
    ), d


def check_savedmodel_pyfunc():
    d = SM / "malicious" / "pyfunc"
    mg = meta_graph(d)
    gd = mg.graph_def
    ops = saved_model_cli._get_ops_in_metagraph(mg)
    call = nodes_by_name(gd.node)["StatefulPartitionedCall"]
    target = call.attr["f"].func.name
    funcs = {f.signature.name: f for f in gd.library.function}
    body = nodes_by_name(funcs[target].node_def) if target in funcs else {}
    py = body.get("py")
    token = py.attr["token"].s.decode() if py is not None else None
    # TF's importer takes the library (the function is registered in the graph).
    lib_only = tf.compat.v1.GraphDef()
    lib_only.library.CopyFrom(gd.library)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(lib_only, name="")
    imported = [f.signature.name for f in g.as_graph_def().library.function]
    pyfunc_def = op_def_registry.get("PyFunc")
    ok = (
        "PyFunc" in ops
        and call.op == "StatefulPartitionedCall"
        and target == "__inference_call_7"
        and py is not None
        and py.op == "PyFunc"
        and token == "pyfunc_0"
        and imported == [target]
        and pyfunc_def is not None
        and pyfunc_def.is_stateful
    )
    return ok, (
        f"StatefulPartitionedCall calls {target}, whose node py is {py.op if py else None} "
        f"(token {token!r}; PyFunc is a registered stateful TF op; TF imports the function); "
        f"not on saved_model_cli's denylist, which has {sorted(saved_model_cli._OP_DENYLIST)}"
    ), d


def check_savedmodel_malformed():
    d = SM / "malformed"
    try:
        loader_impl.parse_saved_model(str(d))
    except OSError as e:
        return "Cannot parse file" in str(e), f"parse_saved_model refuses it: {first_line(e)}", None
    return False, "parse_saved_model accepted the truncated protobuf", None


# --- checkpoints -------------------------------------------------------------------------------


def read_checkpoint(prefix):
    reader = tf.train.load_checkpoint(str(prefix))
    shapes = reader.get_variable_to_shape_map()
    got = {}
    for name in sorted(shapes):
        try:
            got[name] = reader.get_tensor(name).tolist()
        except Exception as e:
            got[name] = e
    return shapes, got


KERNEL = "dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"
BIAS = "dense/bias/.ATTRIBUTES/VARIABLE_VALUE"


def check_checkpoint_benign():
    shapes, got = read_checkpoint(SAMPLES / "benign" / "tf_checkpoint" / "variables")
    ok = got == {BIAS: [0.0, 1.0], KERNEL: [2.0, 3.0]}
    return ok, f"get_tensor reads every tensor: {got}", None


def check_checkpoint_truncated():
    d = SAMPLES / "malformed" / "tf_checkpoint_truncated"
    shard = d / "variables.data-00000-of-00001"
    shapes, got = read_checkpoint(d / "variables")
    kernel = got.get(KERNEL)
    ok = (
        shard.stat().st_size == 12
        and shapes == {BIAS: [2], KERNEL: [2]}
        and got.get(BIAS) == [0.0, 1.0]
        and isinstance(kernel, Exception)
        and "Read less bytes than requested" in str(kernel)
    )
    return ok, (
        f"shard holds {shard.stat().st_size} bytes; get_tensor({BIAS!r}) = {got.get(BIAS)}; "
        f"get_tensor({KERNEL!r}) (float32[2], bytes 8..16) -> "
        f"{first_line(kernel) if isinstance(kernel, Exception) else kernel}"
    ), None


# --- TFLite ------------------------------------------------------------------------------------


def aibom_binary():
    path = os.environ.get("AIBOM") or str(REPO / "target" / "release" / "aibom")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no aibom binary at {path} (cargo build --release, or set AIBOM)")
    return path


def aibom_findings(path):
    subprocess.Popen = REAL_POPEN
    try:
        run = subprocess.run(
            [aibom_binary(), "scan", "-q", "-f", "json", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        subprocess.Popen = tripwire("subprocess.Popen")
    found = []

    def walk(o):
        if isinstance(o, dict):
            if "code" in o and "message" in o:
                found.append((o["code"], o.get("severity"), o["message"]))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads(run.stdout))
    return found


@tf.function(input_signature=[tf.TensorSpec([], tf.string)])
def read_named_file(path):
    return tf.io.read_file(path)


def convert(ops, custom):
    conv = tf.lite.TFLiteConverter.from_concrete_functions(
        [read_named_file.get_concrete_function()], read_named_file
    )
    conv.target_spec.supported_ops = ops
    conv.allow_custom_ops = custom
    return conv.convert()


def interpreter_outcome(path):
    """Construct and allocate; never invoke."""
    interp = tf.lite.Interpreter(model_path=str(path))
    try:
        interp.allocate_tensors()
    except RuntimeError as e:
        return "constructed, allocate_tensors refuses: " + " ".join(str(e).split())[:220]
    return "constructed and allocated (runnable)"


def check_tflite(kind):
    with tempfile.TemporaryDirectory(prefix="aibom-tflite-") as tmp:
        path = Path(tmp) / f"{kind}.tflite"
        if kind == "flex":
            ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
            path.write_bytes(convert(ops, False))
            want = ("tflite-flex-op", "high", "FlexReadFile")
            refusal = "Select TensorFlow op(s), included in the given model, is(are) not supported"
        else:
            path.write_bytes(convert([tf.lite.OpsSet.TFLITE_BUILTINS], True))
            want = ("tflite-custom-op", "low", "custom operator ReadFile")
            refusal = "Encountered unresolved custom op: ReadFile"
        findings = aibom_findings(path)
        outcome = interpreter_outcome(path)
    hit = [f for f in findings if f[0] == want[0] and f[1] == want[1] and want[2] in f[2]]
    ok = bool(hit) and refusal in outcome
    said = hit[0][2] if hit else f"no {want[0]} ({want[1]}) naming {want[2]}: {findings}"
    return ok, f"aibom: {want[0]} {want[1]}: {said}; tf.lite.Interpreter: {outcome}", None


# --- Keras TFSMLayer ---------------------------------------------------------------------------


def check_tfsm_layer():
    import keras

    path = str(SAMPLES / "malicious" / "keras_tfsm_layer.keras")

    def load(safe_mode):
        calls = []

        def recorder(export_dir, *args, **kwargs):
            calls.append(str(export_dir))
            raise RuntimeError("recorded: tf.saved_model.load")

        real = tf.saved_model.load
        tf.saved_model.load = recorder
        try:
            keras.saving.load_model(path, safe_mode=safe_mode, compile=False)
            error = None
        except Exception as e:
            error = e
        finally:
            tf.saved_model.load = real
        return calls, error

    calls, error = load(False)
    safe_calls, safe_error = load(True)
    ok = calls == ["/tmp/aibom-sample/saved_model"]
    SAFE_FACTS.append(
        f"load_model(safe_mode=True) calls tf.saved_model.load{tuple(safe_calls)}"
        + (f", {first_line(safe_error)}" if safe_error else "")
    )
    return ok, (
        f"keras {keras.__version__} load_model(safe_mode=False) calls "
        f"tf.saved_model.load{tuple(calls)}"
        + (f", then {first_line(error)}" if error else "")
    ), None


SAFE_FACTS = []


# --- main --------------------------------------------------------------------------------------


def main():
    checks = [
        ("formats/savedmodel/benign/", check_savedmodel_benign),
        ("formats/savedmodel/malicious/readfile/", check_savedmodel_readfile),
        ("formats/savedmodel/malicious/pyfunc/", check_savedmodel_pyfunc),
        ("formats/savedmodel/malformed/", check_savedmodel_malformed),
        ("benign/tf_checkpoint/", check_checkpoint_benign),
        ("malformed/tf_checkpoint_truncated/", check_checkpoint_truncated),
        ("(made here) FlexReadFile .tflite", lambda: check_tflite("flex")),
        ("(made here) custom-op ReadFile .tflite", lambda: check_tflite("custom")),
        ("malicious/keras_tfsm_layer.keras", check_tfsm_layer),
    ]
    failed = 0
    for name, check in checks:
        load = None
        try:
            ok, what, load = check()
        except Exception as e:  # a check that crashes is a failed check
            ok, what = False, f"check crashed: {first_line(e)}"
        if TRIPPED:
            ok, what = False, f"TRIPWIRE {TRIPPED}; {what}"
            TRIPPED.clear()
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {what}")
        if load is not None:
            print(f"     load: {load_fact(load)}")
        for fact in SAFE_FACTS:
            print(f"     safe: {fact}")
        SAFE_FACTS.clear()
    print(f"{len(checks) - failed} passed, {failed} failed (tensorflow {tf.__version__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
