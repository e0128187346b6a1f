#!/usr/bin/env python3
"""Checks that TensorFlow's own readers and loaders read the TensorFlow samples the way aibom's
findings say, without running a payload.

Not run in CI (tensorflow-cpu is a ~250 MB wheel, ~1.6 GB installed with its dependencies); run
by hand in a throwaway venv outside the repo, from the repository root (the TFLite checks scan
models with the aibom binary: `cargo build --release` first, or set AIBOM=/path/to/aibom):

    python3 -m venv /tmp/tfv && /tmp/tfv/bin/pip install tensorflow-cpu
    /tmp/tfv/bin/python samples/check_with_tensorflow.py

Last run with tensorflow-cpu 2.21.0 (keras 3.15.1, numpy 2.4.6, protobuf 7.36.2, flatbuffers
25.12.19) on Python 3.11.7: 13 PASS, 0 FAIL.

SavedModels (samples/formats/savedmodel/) are read with TF's loader internals:
`loader_impl.parse_saved_model` (the first step of tf.saved_model.load and of the TF1 loader),
the op list and op denylist scan of `saved_model_cli scan` (`_get_ops_in_metagraph`,
`scan_meta_graph_def`), TF's op registry, `graph_util.extract_sub_graph` (the nodes a fetch of
a node runs) and `import_graph_def` (graph construction, nothing runs). Each well-formed sample
must also pass both loaders' graph import (`Loaded`; the `load:` line says how far they get):
the TF1 loader's `SavedModelLoader.load_graph` and `get_init_op` (what `loader.load` would run
after importing), and the graph building of tf.saved_model.load for a SavedModel without an
object graph (load_v1_in_v2: `wrap_function` over its `load_graph`, then the init op and the
signatures pruned into functions, none of them called). A sample TF refuses there fails. The
readfile sample's init op is a NoOp after its WriteFile, so both loaders would run
ReadFile/WriteFile while loading; the pyfunc sample's PyFunc is reached by calling
`serving_default`. The ReadFile/WriteFile pair is run once, through the init op, and only
after its two path constants have been replaced (`input_map`) by paths in a temporary
directory: the script checks that the WriteFile node's inputs are those tensors before it runs
the session, and that `/tmp/aibom-sample.txt` is untouched after. Nothing else is run: no
session on a sample graph, no tf.saved_model.load of a sample (its last step, which calls the
init function, is never taken), no PyFunc. Before the samples were completed (VarHandleOp
shape, the saver's variable, StatefulPartitionedCall Tin/Tout), load_graph refused all three.

Checkpoints (samples/benign/tf_checkpoint/, samples/malformed/tf_checkpoint_truncated/) are
read with `tf.train.load_checkpoint(...).get_tensor(name)`.

TFLite (samples/formats/tflite/, FlatBuffers written by its standard-library generator): each
is scanned by aibom (JSON report) and read by TF's generated schema reader
(`schema_py_generated.ModelT`), then `tf.lite.Interpreter(model_path=...)` is constructed and
allocate_tensors called, never invoke. The builtin-only model (ADD, RELU) gives no tflite
finding and allocates (its constant tensor reads back); the custom-op model (`ReadFile`) is
tflite-custom-op and allocate_tensors refuses the unresolved custom op; the Flex model
(`FlexReadFile`, custom_options a FlexBuffer [op name, NodeDef] decoded with the `flatbuffers`
package) is tflite-flex-op high and allocate_tensors refuses it (no Flex delegate in the
tensorflow-cpu wheel's interpreter); the truncated model is tflite-malformed and the
constructor refuses it. Two more models are made here in a temporary directory with TF's
converter from a function that calls tf.io.read_file on its string input (select TF ops:
FlexReadFile; allow_custom_ops: custom operator ReadFile) and checked the same way, to show the
converter's own output is read alike.

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
import functools
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
from tensorflow.core.framework import node_def_pb2  # noqa: E402
from tensorflow.lite.python import schema_py_generated as tflite_schema  # noqa: E402
from tensorflow.python.eager import wrap_function  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402
from tensorflow.python.saved_model import load_v1_in_v2, loader_impl  # noqa: E402
from tensorflow.python.tools import saved_model_cli  # noqa: E402

tf.get_logger().setLevel("ERROR")  # extract_sub_graph's deprecation note

SAMPLES = Path(__file__).resolve().parent
REPO = SAMPLES.parent
SM = SAMPLES / "formats" / "savedmodel"
TFL = SAMPLES / "formats" / "tflite"
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


class Loaded:
    """How far TensorFlow's two SavedModel loaders get with the whole graph, short of running
    anything. Raises when the TF1 loader's graph import refuses the graph.

    TF1 (`tf.compat.v1.saved_model.load`): `SavedModelLoader.load_graph` imports the meta graph
    (graph construction, and a Saver only if the file names one), then the loader would restore
    variables and run `get_init_op`'s op: here that op is looked up in the imported graph and
    `extract_sub_graph` says which nodes running it runs.

    TF2 (`tf.saved_model.load` of a SavedModel without an object graph goes to load_v1_in_v2):
    `_EagerSavedModelLoader.load_graph` is traced by `wrap_function` (graph building in a
    FuncGraph), then the init op and each signature are pruned into the functions the loader
    would call (`wrapped.prune`, `_extract_signatures`). The loader's renaming of library
    functions is skipped; the last steps (restore, `_Initializer._initialize`, which calls the
    init function) are not taken.
    """

    def __init__(self, export_dir):
        loader = loader_impl.SavedModelLoader(str(export_dir))
        self.graph = tf.Graph()
        try:
            saver, _ = loader.load_graph(self.graph, ["serve"])
        except Exception as e:
            raise RuntimeError(f"SavedModelLoader.load_graph refuses it: {first_line(e)}") from e
        self.saver = saver
        self.mg = loader.get_meta_graph_def_from_tags(["serve"])
        with self.graph.as_default():
            init = loader_impl.get_init_op(self.mg)
        self.init = init.name if init is not None else None
        gd = self.graph.as_graph_def()
        self.init_runs = []
        if self.init:
            sub = tf.compat.v1.graph_util.extract_sub_graph(gd, [self.init])
            self.init_runs = sorted(n.name for n in sub.node)
        self.signatures = {
            k: {o: t.name for o, t in sig.outputs.items()}
            for k, sig in self.mg.signature_def.items()
        }
        # TF2 path, built and never called.
        v2 = load_v1_in_v2._EagerSavedModelLoader(str(export_dir))
        mg = v2.get_meta_graph_def_from_tags(["serve"])
        returns = [None]
        wrapped = wrap_function.wrap_function(
            functools.partial(v2.load_graph, returns, mg), signature=[]
        )
        self.v2 = {}
        with wrapped.graph.as_default():
            init = loader_impl.get_init_op(mg)
        if init is not None:
            fn = wrapped.prune(feeds=[], fetches=[wrapped.graph.as_graph_element(init)])
            self.v2["init"] = self.function_ops(fn)
        for key, fn in v2._extract_signatures(wrapped, mg).items():
            self.v2[key] = self.function_ops(fn)

    @staticmethod
    def function_ops(fn):
        gd = fn.graph.as_graph_def()
        ops = sorted({n.op for n in gd.node})
        called = sorted(f.signature.name for f in gd.library.function)
        return ops + [f"calls {c}" for c in called]

    def __str__(self):
        return (
            f"SavedModelLoader.load_graph imports the whole graph (Saver: {self.saver}); "
            f"init op: {self.init}"
            + (f", running it runs {self.init_runs}" if self.init else "")
            + f"; signatures {self.signatures}; tf.saved_model.load would build (not call) "
            f"{self.v2}"
        )


def check_savedmodel_benign():
    d = SM / "benign"
    mg = meta_graph(d)
    ops = saved_model_cli._get_ops_in_metagraph(mg)
    unregistered = sorted(op for op in ops if op_def_registry.get(op) is None)
    scan = denylist_scan(mg)
    loaded = Loaded(d)
    serve = loaded.v2.get("serving_default", [])
    ok = (
        not unregistered
        and not ops & HOST_OPS
        and "does not contain the default denylisted ops" in scan
        and {"MatMul", "Relu", "SaveV2", "RestoreV2", "MergeV2Checkpoints"} <= ops
        and loaded.init is None
        and "calls __inference_serve_12" in serve
        and not set(serve) & HOST_OPS
    )
    return ok, (
        f"parsed; ops {sorted(ops)} (all registered in TF), none touching the host; "
        f"cli scan: {scan}"
    ), loaded


def check_savedmodel_readfile():
    d = SM / "malicious" / "readfile"
    before = stat_of(PAYLOAD_OUT)  # before both loaders' graph import and the redirected run
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
    # What both loaders run while loading: the init op and its pruned subgraph.
    loaded = Loaded(d)
    init = loaded.init
    sub = tf.compat.v1.graph_util.extract_sub_graph(gd, [init]) if init else gd
    sub_nodes = sorted(n.name for n in sub.node)
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
            i = g.get_operation_by_name(f"s/{init}")
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
                    sess.run(i)
        copied = dst.exists() and dst.read_bytes() == src.read_bytes()
    untouched = stat_of(PAYLOAD_OUT) == before
    ok = shape_ok and init == "init" and sub_nodes == ["drop", "init", "leak", "out_path", "path"]
    ok = ok and {"ReadFile", "WriteFile"} <= set(loaded.v2.get("init", []))
    ok = ok and redirected and copied and untouched
    return ok, (
        f"cli scan: {scan}; leak=ReadFile({read_path!r}) -> drop=WriteFile({write_path!r}, leak); "
        f"the loaders' init op {init!r} runs {sub_nodes}; run with both paths mapped into a "
        f"temp dir, WriteFile {'wrote what ReadFile read' if copied else 'did NOT copy the file'}; "
        f"{PAYLOAD_OUT} {'untouched' if untouched else 'CHANGED'}"
    ), loaded


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
    loaded = Loaded(d)
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
        and loaded.init is None
        and loaded.signatures == {"serving_default": {"output_0": "StatefulPartitionedCall:0"}}
        and f"calls {target}" in loaded.v2.get("serving_default", [])
    )
    return ok, (
        f"StatefulPartitionedCall calls {target}, whose node py is {py.op if py else None} "
        f"(token {token!r}; PyFunc is a registered stateful TF op; TF imports the function); "
        f"serving_default's output is that call (loading runs nothing, calling the signature "
        f"reaches PyFunc); "
        f"not on saved_model_cli's denylist, which has {sorted(saved_model_cli._OP_DENYLIST)}"
    ), loaded


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


REFUSE_FLEX = "Select TensorFlow op(s), included in the given model, is(are) not supported"
REFUSE_CUSTOM = "Encountered unresolved custom op: ReadFile"


def tflite_verdict(path, want):
    """aibom's finding `want` = (code, severity, text in message) and the interpreter's outcome."""
    findings = aibom_findings(path)
    hit = [f for f in findings if f[0] == want[0] and f[1] == want[1] and want[2] in f[2]]
    said = hit[0][2] if hit else f"no {want[0]} ({want[1]}) naming {want[2]}: {findings}"
    return bool(hit), f"aibom: {want[0]} {want[1]}: {said}", interpreter_outcome(path)


def check_tflite_converted(kind):
    with tempfile.TemporaryDirectory(prefix="aibom-tflite-") as tmp:
        path = Path(tmp) / f"{kind}.tflite"
        if kind == "flex":
            ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
            path.write_bytes(convert(ops, False))
            want = ("tflite-flex-op", "high", "FlexReadFile")
            refusal = REFUSE_FLEX
        else:
            path.write_bytes(convert([tf.lite.OpsSet.TFLITE_BUILTINS], True))
            want = ("tflite-custom-op", "low", "custom operator ReadFile")
            refusal = REFUSE_CUSTOM
        hit, said, outcome = tflite_verdict(path, want)
    return hit and refusal in outcome, f"{said}; tf.lite.Interpreter: {outcome}", None


def tflite_model(path):
    """The model as TensorFlow's own generated schema reader sees it (nothing is built or run)."""
    m = tflite_schema.ModelT.InitFromPackedBuf(path.read_bytes(), 0)
    codes = [
        (c.builtinCode, c.customCode.decode() if c.customCode is not None else None)
        for c in m.operatorCodes
    ]
    return m, codes


def check_tflite_benign():
    path = TFL / "benign" / "add_relu.tflite"
    findings = aibom_findings(path)
    m, codes = tflite_model(path)
    interp = tf.lite.Interpreter(model_path=str(path))
    interp.allocate_tensors()  # never invoked
    ins = [(d["name"], d["shape"].tolist()) for d in interp.get_input_details()]
    outs = [(d["name"], d["shape"].tolist()) for d in interp.get_output_details()]
    w = interp.get_tensor(1).tolist()  # the constant tensor, read from buffer 1
    B = tflite_schema.BuiltinOperator
    ok = (
        not [f for f in findings if f[0].startswith("tflite-")]
        and codes == [(B.ADD, None), (B.RELU, None)]
        and m.version == 3
        and ins == [("x", [1, 4])]
        and outs == [("y", [1, 4])]
        and w == [[0.5, -1.0, 2.0, -3.0]]
    )
    return ok, (
        f"aibom: no tflite finding ({findings or 'no findings'}); TF's schema reader: version "
        f"{m.version}, operator codes {codes} (ADD, RELU); tf.lite.Interpreter constructs and "
        f"allocates it (inputs {ins}, outputs {outs}, constant w = {w}); not invoked"
    ), None


def check_tflite_custom():
    path = TFL / "benign" / "custom_readfile.tflite"
    _, codes = tflite_model(path)
    hit, said, outcome = tflite_verdict(
        path, ("tflite-custom-op", "low", "custom operator ReadFile")
    )
    B = tflite_schema.BuiltinOperator
    ok = hit and codes == [(B.CUSTOM, "ReadFile")] and REFUSE_CUSTOM in outcome
    return ok, f"{said}; operator codes {codes}; tf.lite.Interpreter: {outcome}", None


def check_tflite_flex():
    import flatbuffers.flexbuffers as flexbuffers  # a dependency of tensorflow

    path = TFL / "malicious" / "flex_readfile.tflite"
    m, codes = tflite_model(path)
    options = bytes(m.subgraphs[0].operators[0].customOptions)
    vec = flexbuffers.GetRoot(options).AsVector
    op_name, node = vec[0].AsString, node_def_pb2.NodeDef.FromString(vec[1].AsStringBytes)
    hit, said, outcome = tflite_verdict(path, ("tflite-flex-op", "high", "FlexReadFile"))
    B = tflite_schema.BuiltinOperator
    ok = (
        hit
        and codes == [(B.CUSTOM, "FlexReadFile")]
        and len(vec) == 2
        and op_name == "ReadFile"
        and node.op == "ReadFile"
        and REFUSE_FLEX in outcome
    )
    return ok, (
        f"{said}; operator codes {codes}; custom_options (FlexBuffer) name {op_name!r} and a "
        f"NodeDef with op {node.op!r}, inputs {list(node.input)}; "
        f"tf.lite.Interpreter: {outcome}"
    ), None


def check_tflite_truncated():
    path = TFL / "malformed" / "truncated.tflite"
    findings = aibom_findings(path)
    hit = [f for f in findings if f[0] == "tflite-malformed"]
    try:
        tf.lite.Interpreter(model_path=str(path))
        outcome, refused = "constructed (accepted the truncated file)", False
    except ValueError as e:
        outcome, refused = f"the constructor refuses it: {first_line(e)}", True
    ok = bool(hit) and refused
    said = hit[0][2] if hit else f"no tflite-malformed: {findings}"
    return ok, (
        f"{path.stat().st_size} bytes; aibom: tflite-malformed: {said}; "
        f"tf.lite.Interpreter: {outcome}"
    ), None


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
        ("formats/tflite/benign/add_relu.tflite", check_tflite_benign),
        ("formats/tflite/benign/custom_readfile.tflite", check_tflite_custom),
        ("formats/tflite/malicious/flex_readfile.tflite", check_tflite_flex),
        ("formats/tflite/malformed/truncated.tflite", check_tflite_truncated),
        ("(made here) FlexReadFile .tflite", lambda: check_tflite_converted("flex")),
        ("(made here) custom-op ReadFile .tflite", lambda: check_tflite_converted("custom")),
        ("malicious/keras_tfsm_layer.keras", check_tfsm_layer),
    ]
    failed = 0
    for name, check in checks:
        load = None
        try:
            ok, what, load = check()
        except Exception as e:  # a check that crashes (or a loader that refuses) is a failure
            ok, what = False, f"check crashed: {first_line(e)}"
        if TRIPPED:
            ok, what = False, f"TRIPWIRE {TRIPPED}; {what}"
            TRIPPED.clear()
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {what}")
        if load is not None:
            print(f"     load: {load}")
        for fact in SAFE_FACTS:
            print(f"     safe: {fact}")
        SAFE_FACTS.clear()
    print(f"{len(checks) - failed} passed, {failed} failed (tensorflow {tf.__version__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
