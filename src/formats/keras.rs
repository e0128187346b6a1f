//! Keras models: the Keras 3 `.keras` archive and the legacy HDF5 `.h5` file.
//!
//! Both carry the model as a JSON config tree of serialized objects
//! (`{"module", "class_name", "config", "registered_name"}`, Keras 2 without `module`) that
//! `keras.saving.load_model` turns back into Python objects. Two things in that tree run code
//! of the file's author when the model loads:
//!
//! - **`Lambda` layers.** Keras stores a lambda's code as base64 of `marshal.dumps(code)`:
//!   Keras 3 as `{"class_name": "__lambda__", "config": {"code": ..., "defaults", "closure"}}`
//!   in the layer's `function`, Keras 2 as a `[code, defaults, closure]` list with
//!   `function_type: "lambda"`. Loading unmarshals and calls that bytecode (Keras 3 refuses it
//!   under `safe_mode`, its default for `.keras`; tf.keras 2 and `safe_mode=False` do not).
//!   Reported as `keras-lambda`, with the decoded size; the code is never unmarshalled.
//! - **Objects outside Keras.** A `module` outside `keras.*` (and the Keras family packages)
//!   is imported by `load_model`; so is the package of a `registered_name` of the form
//!   `package>Name` (Keras 2 writes that form as the `class_name`). Reported as
//!   `keras-custom-object`, once per distinct object with its count (medium: custom layers
//!   are common); critical when the object comes from a module that runs commands or code
//!   (`builtins.exec`, `os`, `subprocess`, ...) or is a Keras function that published
//!   safe_mode bypasses call (`enable_unsafe_deserialization`).
//! - **Embedded objects.** `TorchModuleWrapper` (keras/src/utils/torch_utils.py) stores its
//!   module as base64 of `torch.save` bytes; `from_config` decodes it and calls
//!   `torch.load(weights_only=False)`, a full unpickling (recent Keras 3 refuses it under
//!   safe_mode; earlier releases and `safe_mode=False` do not). Reported as
//!   `keras-embedded-object` (critical) with what the string decodes to; the bytes themselves
//!   are inspected as a nested file by [`super::embedded`] (the config goes through it as any
//!   JSON does), so a malicious pickle inside is reported as such.
//! - **Artifacts loaded from elsewhere.** A `TFSMLayer` calls `tf.saved_model.load(filepath)`
//!   on its `filepath` when it is built from the config: a model outside the file, which aibom
//!   did not inspect (`keras-external-load`, high). A function object that loads or downloads
//!   files (`get_file`, `load_model`, `load_weights`), named by its `class_name`, `config` or
//!   `registered_name`, is the same finding, critical: published safe_mode bypasses use
//!   `get_file` to fetch a payload while the config loads.
//!
//! The `.keras` archive is a zip (checked by [`super::zip`] first, which recognises the
//! layout): `config.json`, `metadata.json` and `model.weights.h5`. Its members are read through
//! [`super::zip::read_member`], as Python's `zipfile` finds them.
//!
//! The `.h5` file keeps the config as a JSON string in the root group's `model_config`
//! attribute (`keras_version` and `backend` beside it). It is read with `hdf5-reader`, a
//! pure-Rust read-only HDF5 decoder, from an in-memory prefix of the file
//! ([`Limits::max_hdf5_metadata`]; Keras writes the attributes before the weights): that
//! covers fixed-length strings in the object header, variable-length strings in the global
//! heap and dense attribute storage (fractal heap, v2 B-tree). When the decoder fails (a file
//! it does not support, or a prefix too short), a fallback scans the prefix for the attribute
//! name and parses the first `{"class_name"` JSON object after it, which is where HDF5 puts a
//! small attribute's value. A file with neither (weights only, or not Keras) is left
//! uninspected and the facts say so.
//!
//! Why a decoder rather than the byte scan alone: reading an attribute properly takes the
//! superblock (versions 0 to 3, with a user block in front), the root object header (v1 or v2,
//! continuation chunks, checksums), shared messages, attribute messages with their datatype
//! and dataspace, dense attribute storage (attribute info message, fractal heap, v2 B-tree
//! name index) and global heap collections for variable-length strings (h5py's `str`). The
//! scan only sees a small, fixed-length value stored inline. The decoder is used narrowly: on
//! bytes in memory (no memory map, no file paths, external links unresolved), with its header,
//! read and chunk limits set, its raw attribute messages (nothing resolved eagerly), and only
//! the three Keras attributes decoded, each as one string. It survived some 700,000 mutated
//! Keras-like .h5 files without a panic; a panic would still be caught and turn into the
//! fallback.
//!
//! [`Limits::max_hdf5_metadata`]: crate::limits::Limits::max_hdf5_metadata
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io;

/// What a Keras config says about the model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KerasFacts {
    /// Where the config was read from: `config.json`, `hdf5 attribute` or `hdf5 byte scan`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keras_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// `class_name` of the root object (`Sequential`, `Functional`, a subclass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_class: Option<String>,
    /// Layers in the tree, nested models' layers included.
    #[serde(skip_serializing_if = "is_zero")]
    pub layer_count: u64,
    /// Layers per class (at most `max_fact_entries` classes; the rest count under `(other)`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub layer_classes: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub lambda_layers: u64,
    /// Objects whose code is imported from outside Keras.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_objects: Vec<CustomObject>,
    /// Why the config could not be inspected, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A class or function that `load_model` imports from outside Keras.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_name: Option<String>,
    /// Occurrences in the config.
    pub count: u64,
    /// It reaches code execution, the file system or the network directly (a dangerous
    /// module, or a Keras function that turns safe mode off or downloads files).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dangerous: bool,
}

/// Packages whose modules are Keras itself.
const KERAS_PACKAGES: &[&str] = &["keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras"];

fn is_keras_module(m: &str) -> bool {
    KERAS_PACKAGES.iter().any(|p| {
        m.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// Modules whose functions run commands, code or reach files and the network: an object from
/// one of them is no custom layer but a gadget (`{"module": "builtins", "class_name":
/// "function", "config": "exec"}`).
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "importlib",
    "runpy",
    "shutil",
    "socket",
    "pickle",
    "marshal",
    "ctypes",
    "pty",
    "code",
    "codeop",
    "webbrowser",
    "urllib",
    "http",
    "requests",
    "io",
    "pathlib",
    "tempfile",
];

/// Keras functions that published safe_mode bypasses call from a config: switching unsafe
/// deserialization on (after which a Lambda loads) and downloading files.
const KERAS_GADGETS: &[&str] = &["enable_unsafe_deserialization"];

/// Functions that load or download files when a config names them: `keras.utils.get_file`,
/// `keras.saving.load_model`, `Model.load_weights`.
const EXTERNAL_LOADERS: &[&str] = &["get_file", "load_model", "load_weights"];

fn is_external_loader(name: &str) -> bool {
    let last = name.rsplit(['>', '.']).next().unwrap_or(name);
    EXTERNAL_LOADERS.contains(&last)
}

fn is_dangerous(module: Option<&str>, name: &str) -> bool {
    match module {
        Some(m) if is_keras_module(m) => KERAS_GADGETS.contains(&name),
        Some(m) => DANGEROUS_MODULES.iter().any(|d| {
            m.strip_prefix(d)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        }),
        None => false,
    }
}

/// The package of a `package>Name` registered name, when it is not a Keras package.
fn foreign_registration(r: &str) -> Option<&str> {
    let (pkg, _) = r.split_once('>')?;
    (!KERAS_PACKAGES.contains(&pkg)).then_some(pkg)
}

fn malformed(ctx: &mut Ctx, msg: String) {
    ctx.report(Code::KerasMalformed, None, msg);
}

/// Reads a member of the `.keras` zip; `Err(message)` when it is missing or too large.
fn member(src: &dyn Source, name: &str, max: u64) -> io::Result<Result<Vec<u8>, String>> {
    Ok(match super::zip::read_member(src, name, max)? {
        None => Err(format!(
            "{name} cannot be read from the archive's central directory (missing, or a broken entry)"
        )),
        Some(b) if b.len() as u64 > max => Err(format!(
            "{name} is larger than the limit of {max} bytes; the model config was not inspected"
        )),
        Some(b) => Ok(b),
    })
}

/// A `.keras` zip (called once the zip parser has recognised the layout).
pub fn inspect_zip(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let max = ctx.limits.max_keras_config;
    let mut facts = KerasFacts {
        config_source: Some("config.json".into()),
        ..KerasFacts::default()
    };
    // metadata.json: {"keras_version": "3.x", "date_saved": ...}; Keras 3 writes it, loading
    // does not need it: only the facts come from it.
    if let Ok(bytes) = member(src, "metadata.json", max)? {
        ctx.enter("metadata.json", |ctx| {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => {
                    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                    facts.keras_version = s("keras_version");
                    facts.backend = s("backend");
                }
                Err(e) => malformed(ctx, format!("metadata.json is not valid JSON: {e}")),
            }
            Ok(())
        })?;
    }
    let config = match member(src, "config.json", max)? {
        Ok(b) => b,
        Err(msg) => {
            facts.note = Some(msg.clone());
            malformed(ctx, msg);
            ctx.facts.keras = Some(facts);
            return Ok(());
        }
    };
    ctx.enter("config.json", |ctx| {
        match serde_json::from_slice::<Value>(&config) {
            Ok(v) => check_config(ctx, &v, "config.json", &mut facts),
            Err(e) => {
                let msg = format!("config.json is not valid JSON: {e}");
                facts.note = Some(msg.clone());
                malformed(ctx, msg);
            }
        }
        Ok(())
    })?;
    ctx.facts.keras = Some(facts);
    Ok(())
}

/// A legacy Keras HDF5 file (`.h5`).
pub fn inspect_h5(src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
    let limits = ctx.limits;
    let n = src.len().min(limits.max_hdf5_metadata);
    let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
    let prefix = src.read_vec(0, n_usize)?;
    let mut facts = KerasFacts::default();

    let (config, source) = match read_root_attributes(prefix, limits.max_keras_config) {
        Ok(attrs) => {
            facts.keras_version = attrs.keras_version;
            facts.backend = attrs.backend;
            (attrs.model_config, "hdf5 attribute")
        }
        // The decoder took the bytes; read them again (only when it failed).
        Err(why) => match scan_for_config(&src.read_vec(0, n_usize)?) {
            Some(c) => (Some(c), "hdf5 byte scan"),
            None => {
                facts.note = Some(format!(
                    "the HDF5 structure could not be read ({why}) and no model_config was found in the first {n} bytes; not inspected"
                ));
                (None, "")
            }
        },
    };
    let Some(config) = config else {
        // Weights only (Keras 3's model.weights.h5, save_weights) or not a Keras file. Inside a
        // .keras archive the archive's facts are the ones that matter.
        if ctx.depth() == 0 {
            facts.note.get_or_insert_with(|| {
                "no model_config attribute in the root group (weights only, or not a Keras model); not inspected".into()
            });
            ctx.facts.keras = Some(facts);
        }
        return Ok(());
    };
    facts.config_source = Some(source.into());
    if config.len() as u64 > limits.max_keras_config {
        let msg = format!(
            "the model_config attribute is larger than the limit of {} bytes; not inspected",
            limits.max_keras_config
        );
        facts.note = Some(msg.clone());
        malformed(ctx, msg);
    } else {
        // Serialized objects in the config (a TorchModuleWrapper's torch.save bytes): inside
        // a .keras archive config.json goes through the text scan, which does this.
        ctx.enter("model_config", |ctx| {
            super::embedded::scan(&config, ctx, "model_config")
        })?;
        match serde_json::from_slice::<Value>(&config) {
            Ok(v) => check_config(ctx, &v, "model_config", &mut facts),
            Err(e) => {
                let msg = format!("the model_config attribute is not valid JSON: {e}");
                facts.note = Some(msg.clone());
                malformed(ctx, msg);
            }
        }
    }
    ctx.facts.keras = Some(facts);
    Ok(())
}

/// The root group attributes Keras writes.
#[derive(Debug, Default)]
struct RootAttributes {
    model_config: Option<Vec<u8>>,
    keras_version: Option<String>,
    backend: Option<String>,
}

/// Reads the root group's attributes with `hdf5-reader`. `Err` describes why the structure
/// could not be read (the caller falls back to a byte scan).
fn read_root_attributes(prefix: Vec<u8>, max_config: u64) -> Result<RootAttributes, String> {
    use hdf5_reader::{Hdf5File, OpenOptions};
    let max = usize::try_from(max_config).unwrap_or(usize::MAX);
    let read = || -> Result<RootAttributes, String> {
        let opts = OpenOptions::default()
            .with_chunk_cache_bytes(0)
            .with_max_read_bytes(max)
            .with_max_object_header_bytes(max)
            .with_max_chunk_bytes(max);
        let file = Hdf5File::from_vec_with_options(prefix, opts).map_err(|e| e.to_string())?;
        let root = file.root_group().map_err(|e| e.to_string())?;
        // Raw messages: `attributes()` would resolve every variable-length string of every
        // root attribute, and many references to one large heap object multiply memory.
        // Only the three Keras attributes are decoded, and only as single strings.
        let attrs = root.raw_attributes().map_err(|e| e.to_string())?;
        let file_data = root.file_data().map_err(|e| e.to_string())?;
        let mut out = RootAttributes::default();
        for a in attrs {
            let name = a.name().to_owned();
            if !matches!(name.as_str(), "model_config" | "keras_version" | "backend") {
                continue;
            }
            let (msg, _) = a.into_parts();
            // Keras writes UTF-8 bytes (a fixed-length string); h5py writes a Python str as a
            // variable-length string in the global heap. read_string decodes both.
            let value = if msg.dataspace.num_elements().ok() == Some(1) {
                hdf5_reader::Attribute::from_message_with_context(
                    msg,
                    Some(&file_data),
                    root.offset_size(),
                )
                .read_string()
                .ok()
            } else {
                None
            };
            match name.as_str() {
                "model_config" => {
                    let v = value.ok_or("the model_config attribute is not a single string")?;
                    out.model_config = Some(v.into_bytes());
                }
                "keras_version" => out.keras_version = value,
                _ => out.backend = value,
            }
        }
        Ok(out)
    };
    // The decoder is written to return errors on corrupt input (and survived our mutation
    // runs); a panic in it must still not take the scan down with it.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err("the HDF5 decoder failed".into()))
}

/// The fallback: the bytes after the attribute name `model_config` hold its value, a JSON
/// object that starts with `{"class_name"`; parse the first complete JSON value there.
fn scan_for_config(prefix: &[u8]) -> Option<Vec<u8>> {
    const NAME: &[u8] = b"model_config";
    const START: &[u8] = b"{\"class_name\"";
    let at = find(prefix, NAME, 0)?;
    let start = find(prefix, START, at.checked_add(NAME.len())?)?;
    let rest = prefix.get(start..)?;
    let mut stream =
        serde_json::Deserializer::from_slice(rest).into_iter::<serde::de::IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => rest.get(..stream.byte_offset()).map(<[u8]>::to_vec),
        // Cut short or broken: hand the bytes up to the padding on, so the parse error is
        // reported as a malformed config rather than silently dropped.
        _ => {
            let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            rest.get(..end).map(<[u8]>::to_vec)
        }
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .and_then(|p| p.checked_add(from))
}

/// Walks a parsed config, reports what it finds and fills `facts`.
fn check_config(ctx: &mut Ctx, root: &Value, origin: &str, facts: &mut KerasFacts) {
    let Some(class) = root.get("class_name").and_then(Value::as_str) else {
        malformed(
            ctx,
            format!("{origin} does not describe a Keras object (no class_name at the top)"),
        );
        return;
    };
    facts.model_class = Some(clip(class, ctx.limits.max_fact_string));
    let mut w = Walk::new(ctx);
    w.visit(root, 0, Role::Other, false);
    w.finish(ctx, origin, facts);
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let head = s.get(..s.floor_char_boundary(max)).unwrap_or_default();
    format!("{head}…")
}

/// How an object sits in its parent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// An element of a `layers` list, or a wrapper's `layer`/`backward_layer`.
    Layer,
    Other,
}

/// A layer or function reported with a sentence of its own (bounded by `max_fact_entries`;
/// past it only the count grows).
struct Site {
    /// `TorchModuleWrapper layer "t" at config.layers[0]`.
    what: String,
    /// What it carries or loads.
    detail: String,
    severity: Severity,
    module: Option<String>,
    name: Option<String>,
    rule: &'static str,
}

/// A `Lambda` layer, or marshalled code found elsewhere.
struct LambdaSite {
    /// The layer's `config.name`.
    name: Option<String>,
    /// Where in the tree (`config.layers[2]`).
    path: String,
    /// How the function is stored, for the message.
    what: String,
    module: Option<String>,
    /// A `__lambda__` object outside any Lambda layer.
    stray: bool,
}

struct Walk {
    max_depth: usize,
    max_entries: usize,
    max_string: usize,
    path: Vec<String>,
    layers: u64,
    classes: BTreeMap<String, u64>,
    lambdas: Vec<LambdaSite>,
    /// Layers that carry a serialized object (`TorchModuleWrapper`).
    embedded: Vec<Site>,
    /// Layers and functions that load files from elsewhere.
    external: Vec<Site>,
    custom: Vec<CustomObject>,
    /// Where the tree first went deeper than the limit.
    too_deep: Option<String>,
}

impl Walk {
    fn new(ctx: &Ctx) -> Self {
        Walk {
            max_depth: ctx.limits.max_json_depth,
            max_entries: ctx.limits.max_fact_entries,
            max_string: ctx.limits.max_fact_string,
            path: Vec::new(),
            layers: 0,
            classes: BTreeMap::new(),
            lambdas: Vec::new(),
            embedded: Vec::new(),
            external: Vec::new(),
            custom: Vec::new(),
            too_deep: None,
        }
    }

    fn path(&self) -> String {
        let mut s = String::new();
        for p in &self.path {
            if !p.starts_with('[') && !s.is_empty() {
                s.push('.');
            }
            s.push_str(p);
        }
        if s.is_empty() {
            return "(root)".into();
        }
        // Deep trees make long paths: keep the end, which says where.
        const MAX_PATH: usize = 240;
        if s.len() > MAX_PATH {
            let cut = s.ceil_char_boundary(s.len().saturating_sub(MAX_PATH));
            s = format!("…{}", s.get(cut..).unwrap_or_default());
        }
        s
    }

    fn clip(&self, s: &str) -> String {
        clip(s, self.max_string)
    }

    /// `in_lambda`: inside a Lambda layer already reported (its function is part of it).
    fn visit(&mut self, v: &Value, depth: usize, role: Role, in_lambda: bool) {
        if depth > self.max_depth {
            if self.too_deep.is_none() {
                self.too_deep = Some(self.path());
            }
            return;
        }
        match v {
            Value::Object(map) => {
                let mut in_lambda = in_lambda;
                if let Some(class) = map.get("class_name").and_then(Value::as_str) {
                    self.object(map, class, role, &mut in_lambda);
                }
                for (k, child) in map {
                    let role = match (k.as_str(), child) {
                        ("layer" | "backward_layer", Value::Object(_)) => Role::Layer,
                        _ => Role::Other,
                    };
                    self.path.push(self.clip(k));
                    match (k.as_str(), child) {
                        ("layers", Value::Array(items)) => {
                            for (i, item) in items.iter().enumerate() {
                                self.path.push(format!("[{i}]"));
                                let deeper = depth.saturating_add(2);
                                self.visit(item, deeper, Role::Layer, in_lambda);
                                self.path.pop();
                            }
                        }
                        _ => self.visit(child, depth.saturating_add(1), role, in_lambda),
                    }
                    self.path.pop();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.path.push(format!("[{i}]"));
                    self.visit(item, depth.saturating_add(1), Role::Other, in_lambda);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    /// A serialized object: `{"module", "class_name", "config", "registered_name"}`.
    fn object(
        &mut self,
        map: &serde_json::Map<String, Value>,
        class: &str,
        role: Role,
        in_lambda: &mut bool,
    ) {
        let config = map.get("config");
        if role == Role::Layer {
            self.layers = self.layers.saturating_add(1);
            let key = if self.classes.len() < self.max_entries || self.classes.contains_key(class) {
                self.clip(class)
            } else {
                "(other)".to_owned()
            };
            let n = self.classes.entry(key).or_default();
            *n = n.saturating_add(1);
        }
        if class == "Lambda" && !*in_lambda {
            let site = self.lambda_layer(config);
            self.lambdas.push(site);
            *in_lambda = true;
        } else if class == "__lambda__" && !*in_lambda {
            let code = config.and_then(|c| c.get("code"));
            self.lambdas.push(LambdaSite {
                name: None,
                path: self.path(),
                what: describe_code(code),
                module: None,
                stray: true,
            });
        }
        let module = map.get("module").and_then(Value::as_str);
        let registered = map.get("registered_name").and_then(Value::as_str);
        // A function object names the function in its config.
        let name = match (class, config) {
            ("function", Some(Value::String(f))) => f.as_str(),
            _ => class,
        };
        let foreign = module.is_some_and(|m| !is_keras_module(m))
            || registered.and_then(foreign_registration).is_some()
            || foreign_registration(class).is_some();
        let loader = is_external_loader(name)
            || registered.is_some_and(is_external_loader)
            || (class != name && is_external_loader(class));
        if loader {
            let site = Site {
                what: format!("the function {} at {}", self.clip(name), self.path()),
                detail: "loads or downloads files when the config is deserialized (safe_mode bypasses fetch their payload this way)".into(),
                severity: Severity::Critical,
                module: module.map(|m| self.clip(m)),
                name: Some(self.clip(name)),
                rule: "file-loading function",
            };
            self.push_site(site, false);
        } else if foreign || is_dangerous(module, name) {
            self.add_custom(module, name, registered);
        }
        match class {
            "TorchModuleWrapper" => self.torch_module(config),
            "TFSMLayer" => self.saved_model_layer(config),
            _ => {}
        }
    }

    fn lambda_layer(&mut self, config: Option<&Value>) -> LambdaSite {
        let name = config
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .map(|s| self.clip(s));
        let function = config.and_then(|c| c.get("function"));
        let ftype = config
            .and_then(|c| c.get("function_type"))
            .and_then(Value::as_str);
        let legacy_module = config.and_then(|c| c.get("module")).and_then(Value::as_str);
        let mut module = None;
        let what = match function {
            // Keras 3: a serialized object.
            Some(Value::Object(f)) => match f.get("class_name").and_then(Value::as_str) {
                Some("__lambda__") => describe_code(f.get("config").and_then(|c| c.get("code"))),
                Some("function") => {
                    let fname = f.get("config").and_then(Value::as_str).unwrap_or("?");
                    module = f
                        .get("module")
                        .and_then(Value::as_str)
                        .map(|m| self.clip(m));
                    format!("calls the function {}", self.clip(fname))
                }
                Some(other) => format!("calls a {} object", self.clip(other)),
                None => "has a function of unknown form".into(),
            },
            // Keras 2: [code, defaults, closure] with function_type "lambda".
            Some(Value::Array(parts)) if ftype != Some("function") => describe_code(parts.first()),
            // Keras 2: a function looked up by name in `module` (which is imported).
            Some(Value::String(fname)) => {
                module = legacy_module.map(|m| self.clip(m));
                if let Some(m) = legacy_module.filter(|m| !is_keras_module(m)) {
                    self.add_custom(Some(m), fname, None);
                }
                format!(
                    "calls the function {} looked up in module {}",
                    self.clip(fname),
                    legacy_module.map_or_else(|| "?".to_owned(), |m| self.clip(m))
                )
            }
            _ => "has a function of unknown form".into(),
        };
        LambdaSite {
            name,
            path: self.path(),
            what,
            module,
            stray: false,
        }
    }

    fn layer_name(&self, config: Option<&Value>) -> String {
        config
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .map_or_else(String::new, |n| format!(" {:?}", self.clip(n)))
    }

    /// `TorchModuleWrapper`: `config.module` is base64 of `torch.save` bytes.
    fn torch_module(&mut self, config: Option<&Value>) {
        let module = config.and_then(|c| c.get("module"));
        let detail = match module {
            Some(Value::String(s)) => match super::embedded::sniff(s.as_bytes(), s.len() as u64) {
                Some(found) => format!(
                    "a {} string of a {}-byte {} (torch.save); from_config decodes it and calls torch.load(weights_only=False), which unpickles it (recent Keras 3 refuses this under safe_mode; earlier releases and safe_mode=False do not); the bytes were inspected as a nested file",
                    found.encoding.describe(),
                    found.decoded_len,
                    found.format.describe()
                ),
                None => format!(
                    "a {}-character module string that does not decode to a known model format; from_config passes its base64 decoding to torch.load(weights_only=False)",
                    s.len()
                ),
            },
            Some(_) => "a module value that is not a string; from_config passes it to torch.load(weights_only=False)".into(),
            None => return,
        };
        let site = Site {
            what: format!(
                "TorchModuleWrapper layer{} at {}",
                self.layer_name(config),
                self.path()
            ),
            detail: format!("carries {detail}"),
            severity: Severity::Critical,
            module: Some("torch".into()),
            name: Some("load".into()),
            rule: "TorchModuleWrapper",
        };
        self.push_site(site, true);
    }

    /// `TFSMLayer`: `config.filepath` is loaded with `tf.saved_model.load`.
    fn saved_model_layer(&mut self, config: Option<&Value>) {
        let Some(path) = config.and_then(|c| c.get("filepath")) else {
            return;
        };
        let shown = match path {
            Value::String(p) => {
                let outside = p.starts_with('/')
                    || p.starts_with('\\')
                    || p.get(1..2) == Some(":")
                    || p.contains("://")
                    || p.split(['/', '\\']).any(|c| c == "..");
                format!(
                    "{:?}{}",
                    self.clip(p),
                    if outside {
                        " (absolute, remote or climbing out of the model directory)"
                    } else {
                        ""
                    }
                )
            }
            other => format!(
                "given as {}",
                if other.is_null() {
                    "null"
                } else {
                    "a non-string value"
                }
            ),
        };
        let site = Site {
            what: format!(
                "TFSMLayer layer{} at {}",
                self.layer_name(config),
                self.path()
            ),
            detail: format!(
                "loads the SavedModel at {shown} with tf.saved_model.load when the model is deserialized: an artifact outside this file that aibom did not inspect"
            ),
            severity: Code::KerasExternalLoad.default_severity(),
            module: Some("keras.layers".into()),
            name: Some("TFSMLayer".into()),
            rule: "TFSMLayer",
        };
        self.push_site(site, false);
    }

    fn push_site(&mut self, site: Site, embedded: bool) {
        let list = if embedded {
            &mut self.embedded
        } else {
            &mut self.external
        };
        if list.len() < self.max_entries {
            list.push(site);
        }
    }

    fn add_custom(&mut self, module: Option<&str>, name: &str, registered: Option<&str>) {
        let module = module.map(|m| self.clip(m));
        let name = self.clip(name);
        let registered = registered.map(|r| self.clip(r));
        if let Some(c) = self
            .custom
            .iter_mut()
            .find(|c| c.module == module && c.name == name && c.registered_name == registered)
        {
            c.count = c.count.saturating_add(1);
        } else if self.custom.len() < self.max_entries {
            let dangerous = is_dangerous(module.as_deref(), &name);
            self.custom.push(CustomObject {
                module,
                name,
                registered_name: registered,
                count: 1,
                dangerous,
            });
        }
    }

    fn finish(self, ctx: &mut Ctx, origin: &str, facts: &mut KerasFacts) {
        for l in &self.lambdas {
            let layer = match &l.name {
                Some(n) => format!("Lambda layer {n:?} at {}", l.path),
                None if l.stray => format!("a marshalled lambda at {}", l.path),
                None => format!("Lambda layer at {}", l.path),
            };
            ctx.report_with(
                Code::KerasLambda,
                Code::KerasLambda.default_severity(),
                None,
                format!(
                    "{origin}: {layer} {}; keras.saving.load_model unmarshals and runs it unless safe_mode is on (Keras 3's default for .keras; tf.keras 2 and safe_mode=False run it)",
                    l.what
                ),
                Evidence {
                    module: l.module.clone(),
                    name: l.name.clone(),
                    rule: Some(if l.stray { "__lambda__" } else { "Lambda" }.into()),
                    actual: Some(l.path.clone()),
                    ..Evidence::default()
                },
            );
        }
        for (code, sites) in [
            (Code::KerasEmbeddedObject, &self.embedded),
            (Code::KerasExternalLoad, &self.external),
        ] {
            for site in sites {
                ctx.report_with(
                    code,
                    site.severity,
                    None,
                    format!("{origin}: {} {}", site.what, site.detail),
                    Evidence {
                        module: site.module.clone(),
                        name: site.name.clone(),
                        rule: Some(site.rule.into()),
                        ..Evidence::default()
                    },
                );
            }
        }
        for c in &self.custom {
            let foreign_module = c.module.as_deref().filter(|m| !is_keras_module(m));
            let from = match (foreign_module, &c.registered_name) {
                (Some(m), _) => format!("from module {m}"),
                (None, Some(r)) => format!("registered as {r}"),
                (None, None) => "registered outside Keras".to_owned(),
            };
            let times = if c.count == 1 {
                String::new()
            } else {
                format!(" ({} times)", c.count)
            };
            let (rule, severity, what) = if c.dangerous && foreign_module.is_none() {
                (
                    "keras function used by safe_mode bypasses",
                    Severity::Critical,
                    "is a Keras function that turns safe mode off or downloads files; load_model calls it",
                )
            } else if c.dangerous {
                (
                    "dangerous module",
                    Severity::Critical,
                    "reaches code execution, files or the network; load_model imports and calls it",
                )
            } else if foreign_module.is_some() {
                (
                    "module outside keras",
                    Code::KerasCustomObject.default_severity(),
                    "is outside Keras: load_model imports it, running that module's code",
                )
            } else {
                (
                    "registered_name outside keras",
                    Code::KerasCustomObject.default_severity(),
                    "is outside Keras: load_model imports it, running that module's code",
                )
            };
            let from = if c.dangerous && foreign_module.is_none() {
                c.module
                    .as_deref()
                    .map_or_else(String::new, |m| format!("from module {m}"))
            } else {
                from
            };
            ctx.report_with(
                Code::KerasCustomObject,
                severity,
                None,
                format!("{origin}: {} {from}{times} {what}", c.name),
                Evidence {
                    module: c.module.clone(),
                    name: Some(c.name.clone()),
                    rule: Some(rule.into()),
                    ..Evidence::default()
                },
            );
        }
        if let Some(p) = &self.too_deep {
            malformed(
                ctx,
                format!(
                    "{origin} nests deeper than {} levels at {p}; the deeper objects were not inspected",
                    self.max_depth
                ),
            );
        }
        facts.layer_count = self.layers;
        facts.layer_classes = self.classes;
        facts.lambda_layers = self.lambdas.iter().filter(|l| !l.stray).count() as u64;
        facts.custom_objects = self.custom;
    }
}

/// "carries N bytes of marshalled bytecode" for a base64 `code` value (MIME base64, with
/// newlines, in Keras 2). The bytes are decoded to be measured, never unmarshalled.
fn describe_code(code: Option<&Value>) -> String {
    let Some(s) = code.and_then(Value::as_str) else {
        return "has no code string".into();
    };
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(&clean) {
        // marshal's TYPE_CODE is 'c', with the FLAG_REF bit (0x80) set by Python 3.
        Ok(b) if b.first().is_some_and(|c| c & 0x7f == b'c') => {
            format!("carries {} bytes of marshalled Python bytecode", b.len())
        }
        Ok(b) => format!("carries {} bytes of base64-encoded code", b.len()),
        Err(_) => format!(
            "carries a {}-character code string that is not valid base64",
            s.len()
        ),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::limits::Limits;
    use crate::policy::Policy;
    use std::io::Write;

    fn policy() -> Policy {
        Policy::new(&[], false).unwrap()
    }

    /// A zip of stored (or deflated) members, enough for the Keras layout.
    pub(crate) fn zip(members: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data) in members {
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let body = if deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let method: u16 = if deflate { 8 } else { 0 };
            let off = out.len() as u32;
            let mut h = Vec::new();
            h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&crc.sum().to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&h[4..30]);
            cd.extend_from_slice(&[0; 10]);
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let n = members.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const METADATA: &[u8] = br#"{"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"}"#;
    const H5: &[u8] = b"\x89HDF\r\n\x1a\n";

    fn keras(config: &str) -> Vec<u8> {
        zip(
            &[
                ("metadata.json", METADATA),
                ("config.json", config.as_bytes()),
                ("model.weights.h5", H5),
            ],
            false,
        )
    }

    struct Run {
        findings: Vec<Finding>,
        facts: Option<KerasFacts>,
    }

    impl Run {
        fn codes(&self) -> Vec<Code> {
            self.findings.iter().map(|f| f.code).collect()
        }
        fn count(&self, c: Code) -> usize {
            self.findings.iter().filter(|f| f.code == c).count()
        }
    }

    fn run_with(bytes: &[u8], name: &str, limits: &Limits) -> Run {
        let p = policy();
        let mut ctx = Ctx::new(limits, &p, name);
        super::super::inspect_source(&bytes.to_vec(), &mut ctx, name).unwrap();
        Run {
            findings: ctx.findings,
            facts: ctx.facts.keras,
        }
    }

    #[test]
    fn clips_and_long_paths_cut_at_character_boundaries() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        // 'é' is two bytes: a cut inside it keeps the text before it.
        assert_eq!(clip("aéb", 2), "a…");
        assert_eq!(clip("éé", 1), "…");
        let limits = Limits::default();
        let p = policy();
        let ctx = Ctx::new(&limits, &p, "m.keras");
        let mut w = Walk::new(&ctx);
        // 243 bytes: the last 240 start inside the second 'é', so the cut moves past it.
        w.path = vec!["é".repeat(120), "xy".into()];
        assert_eq!(w.path(), format!("…{}.xy", "é".repeat(118)));
    }

    fn run(bytes: &[u8], name: &str) -> Run {
        run_with(bytes, name, &Limits::default())
    }

    fn layer(class: &str, name: &str) -> String {
        format!(
            r#"{{"module": "keras.layers", "class_name": "{class}", "config": {{"name": "{name}", "units": 4, "kernel_initializer": {{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {{"seed": null}}, "registered_name": null}}}}, "registered_name": null}}"#
        )
    }

    fn sequential(layers: &[String]) -> String {
        format!(
            r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "sequential", "layers": [{}]}}, "registered_name": null, "compile_config": {{"loss": {{"module": "keras.losses", "class_name": "MeanSquaredError", "config": {{}}, "registered_name": null}}}}}}"#,
            layers.join(", ")
        )
    }

    // base64 of b"\xe3" + 15 zero bytes: shaped like a marshalled code object, harmless.
    const CODE: &str = "4wAAAAAAAAAAAAAAAAAAAA==";

    fn lambda_layer(name: &str) -> String {
        format!(
            r#"{{"module": "keras.layers", "class_name": "Lambda", "config": {{"name": "{name}", "function": {{"class_name": "__lambda__", "config": {{"code": "{CODE}", "defaults": null, "closure": null}}}}, "arguments": {{}}}}, "registered_name": null}}"#
        )
    }

    #[test]
    fn benign_sequential_gives_facts_and_no_findings() {
        let r = run(
            keras(&sequential(&[
                layer("InputLayer", "in"),
                layer("Dense", "d1"),
                layer("Dense", "d2"),
            ]))
            .as_slice(),
            "m.keras",
        );
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let f = r.facts.unwrap();
        assert_eq!(f.keras_version.as_deref(), Some("3.6.0"));
        assert_eq!(f.model_class.as_deref(), Some("Sequential"));
        assert_eq!(f.layer_count, 3);
        assert_eq!(f.layer_classes.get("Dense"), Some(&2));
        assert!(f.custom_objects.is_empty());
        assert_eq!(f.config_source.as_deref(), Some("config.json"));
    }

    #[test]
    fn flags_every_lambda_layer_with_its_code_size() {
        let cfg = sequential(&[layer("Dense", "d"), lambda_layer("l1"), lambda_layer("l2")]);
        let r = run(&keras(&cfg), "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 2, "{:?}", r.findings);
        let f = r
            .findings
            .iter()
            .find(|f| f.code == Code::KerasLambda)
            .unwrap();
        assert!(
            f.message.contains("16 bytes of marshalled Python bytecode"),
            "{}",
            f.message
        );
        assert!(f.message.contains("safe_mode"), "{}", f.message);
        assert_eq!(f.location.member.as_deref(), Some("config.json"));
        assert_eq!(f.evidence.name.as_deref(), Some("l1"));
        assert_eq!(r.facts.unwrap().lambda_layers, 2);
    }

    #[test]
    fn flags_lambdas_in_nested_functional_models_and_wrappers() {
        let inner = format!(
            r#"{{"module": "keras.src.models.functional", "class_name": "Functional", "config": {{"name": "inner", "layers": [{}], "input_layers": [["in", 0, 0]]}}, "registered_name": "Functional", "inbound_nodes": [{{"args": [{{"class_name": "__keras_tensor__", "config": {{"shape": [null, 3], "keras_history": ["in", 0, 0]}}}}], "kwargs": {{}}}}]}}"#,
            lambda_layer("deep")
        );
        let wrapped = format!(
            r#"{{"module": "keras.layers", "class_name": "TimeDistributed", "config": {{"name": "td", "layer": {}}}, "registered_name": null}}"#,
            lambda_layer("wrapped")
        );
        let r = run(&keras(&sequential(&[inner, wrapped])), "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 2, "{:?}", r.findings);
        let f = r.facts.unwrap();
        // Sequential's two layers, the inner model's Lambda and the wrapped Lambda.
        assert_eq!(f.layer_count, 4);
        assert_eq!(f.layer_classes.get("Lambda"), Some(&2));
    }

    #[test]
    fn flags_legacy_lambda_forms() {
        // Keras 2: [code, defaults, closure] with newlines in the base64.
        let legacy = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam", "function": ["4wAAAAAA\nAAAAAAAAAAAAAA==\n", null, null], "function_type": "lambda", "module": "__main__"}}]}}"#;
        let r = run(&keras(legacy), "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
        assert!(
            r.findings[0].message.contains("16 bytes"),
            "{}",
            r.findings[0].message
        );
        // Keras 2: a named function looked up in a module that load_model imports.
        let named = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam", "function": "system", "function_type": "function", "module": "os"}}]}}"#;
        let r = run(&keras(named), "m.keras");
        assert!(r.codes().contains(&Code::KerasLambda), "{:?}", r.findings);
        let c = r
            .findings
            .iter()
            .find(|f| f.code == Code::KerasCustomObject)
            .unwrap();
        assert_eq!(c.evidence.module.as_deref(), Some("os"));
        assert_eq!(c.evidence.name.as_deref(), Some("system"));
    }

    #[test]
    fn stray_marshalled_lambda_outside_a_layer_is_flagged() {
        let cfg = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": []}, "compile_config": {"loss": {"class_name": "__lambda__", "config": {"code": "4wAAAAAAAAAAAAAAAAAAAA=="}}}}"#;
        let r = run(&keras(cfg), "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
        assert!(
            r.findings[0].message.contains("compile_config.loss"),
            "{}",
            r.findings[0].message
        );
        assert_eq!(r.facts.unwrap().lambda_layers, 0);
    }

    #[test]
    fn flags_custom_modules_and_registered_names_once_each() {
        let custom = r#"{"module": "evil_pkg.layers", "class_name": "Backdoor", "config": {"name": "b"}, "registered_name": "evil_pkg>Backdoor"}"#;
        let func = r#"{"module": "keras.layers", "class_name": "Activation", "config": {"name": "a", "activation": {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}, "registered_name": null}"#;
        let reg_only = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}, "registered_name": "MyPkg>Dense"}"#;
        let hub = r#"{"module": "keras_hub.src.models.bert.bert_backbone", "class_name": "BertBackbone", "config": {"name": "bb"}, "registered_name": "keras_hub>BertBackbone"}"#;
        let cfg = sequential(&[
            custom.into(),
            custom.into(),
            func.into(),
            reg_only.into(),
            hub.into(),
        ]);
        let r = run(&keras(&cfg), "m.keras");
        assert_eq!(r.count(Code::KerasCustomObject), 3, "{:?}", r.findings);
        assert!(!r.codes().contains(&Code::KerasLambda));
        let msgs: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("Backdoor from module evil_pkg.layers (2 times)")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("exec from module builtins")),
            "{msgs:?}"
        );
        let exec = r
            .findings
            .iter()
            .find(|f| f.message.contains("exec"))
            .unwrap();
        assert_eq!(exec.severity, Severity::Critical);
        let evil = r
            .findings
            .iter()
            .find(|f| f.message.contains("Backdoor"))
            .unwrap();
        assert_eq!(evil.severity, Severity::Medium);
        assert!(
            msgs.iter().any(|m| m.contains("registered as MyPkg>Dense")),
            "{msgs:?}"
        );
        let facts = r.facts.unwrap();
        assert_eq!(facts.custom_objects.len(), 3);
        assert_eq!(facts.custom_objects[0].count, 2);
    }

    #[test]
    fn keras_functions_used_by_safe_mode_bypasses_are_critical() {
        let gadget = r#"{"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization", "registered_name": "function"}"#;
        let cfg = format!(
            r#"{{"module": "keras", "class_name": "Sequential", "config": {{"layers": [{}]}}, "compile_config": {{"loss": {gadget}}}}}"#,
            layer("Dense", "d")
        );
        let r = run(&keras(&cfg), "m.keras");
        assert_eq!(r.count(Code::KerasCustomObject), 1, "{:?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.message
                .contains("enable_unsafe_deserialization from module keras.config"),
            "{}",
            f.message
        );
        assert!(is_dangerous(Some("os.path"), "join") && is_dangerous(Some("subprocess"), "run"));
        assert!(!is_dangerous(Some("ossify"), "x") && !is_dangerous(Some("keras.layers"), "Dense"));
    }

    /// A torch.save zip whose data.pkl calls os.system('echo aibom-sample').
    fn torch_zip_with_payload() -> Vec<u8> {
        let pkl: &[u8] = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";
        zip(
            &[("archive/data.pkl", pkl), ("archive/version", b"3\n")],
            false,
        )
    }

    fn torch_wrapper(module: &str) -> String {
        format!(
            r#"{{"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {{"name": "torch_net", "module": "{module}", "output_shape": null}}, "registered_name": "TorchModuleWrapper"}}"#
        )
    }

    #[test]
    fn torch_module_wrapper_payload_is_scanned_as_a_nested_file() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(torch_zip_with_payload());
        let r = run(&keras(&sequential(&[torch_wrapper(&b64)])), "m.keras");
        let f = r
            .findings
            .iter()
            .find(|f| f.code == Code::KerasEmbeddedObject)
            .expect("the wrapper is reported");
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.message.contains("TorchModuleWrapper layer \"torch_net\""),
            "{}",
            f.message
        );
        assert!(f.message.contains("-byte zip"), "{}", f.message);
        // The pickle inside: reported where it is, critical.
        let inner = r
            .findings
            .iter()
            .find(|f| f.code == Code::PickleDangerousGlobal)
            .expect("the nested pickle is scanned");
        let member = inner.location.member.as_deref().unwrap();
        assert!(
            member.starts_with("config.json!<base64 at ") && member.ends_with("!archive/data.pkl"),
            "{member}"
        );
        assert!(r.codes().contains(&Code::ConfigEmbeddedPayload));
        // A module string that is no model file is still the embedded object.
        let r = run(
            &keras(&sequential(&[torch_wrapper("bm90IGEgbW9kZWw=")])),
            "m.keras",
        );
        assert_eq!(r.count(Code::KerasEmbeddedObject), 1, "{:?}", r.findings);
        // In the HDF5 config too.
        // (The fallback reader starts at the first `{"class_name"`, as Keras 2 writes it.)
        let legacy = format!(
            r#"{{"class_name": "Sequential", "config": {{"layers": [{}]}}}}"#,
            torch_wrapper(&b64)
        );
        let r = run(&h5_bytes(&legacy), "m.h5");
        assert!(
            r.codes().contains(&Code::KerasEmbeddedObject),
            "{:?}",
            r.findings
        );
        assert!(
            r.codes().contains(&Code::PickleDangerousGlobal),
            "{:?}",
            r.findings
        );
    }

    #[test]
    fn tfsm_layers_and_file_loading_functions_are_external_loads() {
        let tfsm = r#"{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "ext", "filepath": "/tmp/aibom-sample/saved_model", "call_endpoint": "serve"}, "registered_name": "TFSMLayer"}"#;
        let get_file = r#"{"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"}"#;
        let cfg = format!(
            r#"{{"module": "keras", "class_name": "Sequential", "config": {{"layers": [{tfsm}]}}, "compile_config": {{"loss": {get_file}}}}}"#
        );
        let r = run(&keras(&cfg), "m.keras");
        assert_eq!(r.count(Code::KerasExternalLoad), 2, "{:?}", r.findings);
        let t = r
            .findings
            .iter()
            .find(|f| f.message.contains("TFSMLayer"))
            .unwrap();
        assert_eq!(t.severity, Severity::High);
        assert!(
            t.message
                .contains("\"/tmp/aibom-sample/saved_model\" (absolute"),
            "{}",
            t.message
        );
        let g = r
            .findings
            .iter()
            .find(|f| f.message.contains("get_file"))
            .unwrap();
        assert_eq!(g.severity, Severity::Critical);
        assert!(
            !r.codes().contains(&Code::KerasCustomObject),
            "{:?}",
            r.findings
        );
        assert!(is_external_loader("keras.saving>load_model") && !is_external_loader("loader"));
    }

    #[test]
    fn keras_modules_are_recognised_exactly() {
        for m in [
            "keras",
            "keras.layers",
            "keras.src.models.functional",
            "keras_hub",
            "keras_nlp.models",
            "keras_cv.layers",
            "tf_keras.layers",
        ] {
            assert!(is_keras_module(m), "{m}");
        }
        for m in [
            "kerasx",
            "keras_evil",
            "evil.keras",
            "builtins",
            "os",
            "__main__",
            "",
        ] {
            assert!(!is_keras_module(m), "{m}");
        }
        assert_eq!(foreign_registration("Custom>Layer"), Some("Custom"));
        assert_eq!(foreign_registration("keras_hub>GemmaBackbone"), None);
        assert_eq!(foreign_registration("Functional"), None);
    }

    #[test]
    fn malformed_config_is_reported() {
        let r = run(&keras("{\"class_name\": \"Sequential\", "), "m.keras");
        assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
        assert!(
            r.findings[0]
                .message
                .contains("config.json is not valid JSON")
        );
        let r = run(&keras("[1, 2]"), "m.keras");
        assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
        let bad_meta = zip(
            &[
                ("metadata.json", b"nope"),
                ("config.json", sequential(&[]).as_bytes()),
                ("model.weights.h5", H5),
            ],
            false,
        );
        let r = run(&bad_meta, "m.keras");
        assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
    }

    #[test]
    fn deflated_members_are_read() {
        let cfg = sequential(&[lambda_layer("l")]);
        let bytes = zip(
            &[
                ("metadata.json", METADATA),
                ("config.json", cfg.as_bytes()),
                ("model.weights.h5", H5),
            ],
            true,
        );
        let r = run(&bytes, "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
    }

    #[test]
    fn oversized_config_is_reported_not_parsed() {
        let limits = Limits {
            max_keras_config: 64,
            ..Limits::default()
        };
        let r = run_with(
            &keras(&sequential(&[lambda_layer("l")])),
            "m.keras",
            &limits,
        );
        assert!(
            r.codes().contains(&Code::KerasMalformed),
            "{:?}",
            r.findings
        );
        assert!(!r.codes().contains(&Code::KerasLambda));
    }

    #[test]
    fn walk_depth_is_bounded() {
        // A Lambda hidden below the depth limit: reported as malformed, never a stack overflow.
        let mut cfg = lambda_layer("deep");
        for _ in 0..25 {
            cfg = format!(r#"{{"class_name": "Wrapper", "config": {{"layer": {cfg}}}}}"#);
        }
        let cfg = sequential(&[cfg]);
        let limits = Limits {
            max_json_depth: 20,
            ..Limits::default()
        };
        let r = run_with(&keras(&cfg), "m.keras", &limits);
        assert!(
            r.codes().contains(&Code::KerasMalformed),
            "{:?}",
            r.findings
        );
        assert!(
            r.findings
                .iter()
                .any(|f| f.message.contains("nests deeper than 20"))
        );
        // Within the default depth it is found.
        let r = run(&keras(&cfg), "m.keras");
        assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
        // Deeper than serde_json's own recursion limit: a parse error, reported.
        let mut deep = String::from("1");
        for _ in 0..200 {
            deep = format!("[{deep}]");
        }
        let r = run(
            &keras(&format!(r#"{{"class_name": "X", "config": {deep}}}"#)),
            "m.keras",
        );
        assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
    }

    #[test]
    fn describes_code_without_running_it() {
        assert_eq!(
            describe_code(Some(&Value::String(CODE.into()))),
            "carries 16 bytes of marshalled Python bytecode"
        );
        assert!(
            describe_code(Some(&Value::String("aGVsbG8=".into()))).contains("5 bytes of base64")
        );
        assert!(describe_code(Some(&Value::String("!!".into()))).contains("not valid base64"));
        assert_eq!(describe_code(None), "has no code string");
    }

    /// A minimal HDF5-like prefix: the signature, the attribute name and its JSON value, the
    /// way a small fixed-length string attribute sits in an object header.
    fn h5_bytes(config: &str) -> Vec<u8> {
        let mut b = H5.to_vec();
        b.extend_from_slice(&[0u8; 96]);
        b.extend_from_slice(b"model_config\0\0\0\0\x13\x00\x00\x00");
        b.extend_from_slice(config.as_bytes());
        b.extend_from_slice(&[0u8; 64]);
        b
    }

    #[test]
    fn h5_fallback_scan_finds_the_config() {
        let r = run(&h5_bytes(&sequential(&[lambda_layer("l")])), "m.h5");
        assert_eq!(r.count(Code::KerasLambda), 1, "{:?}", r.findings);
        assert_eq!(
            r.facts.unwrap().config_source.as_deref(),
            Some("hdf5 byte scan")
        );
        let r = run(
            &h5_bytes("{\"class_name\": \"Sequential\", \"config\": [1, "),
            "m.h5",
        );
        assert_eq!(r.codes(), vec![Code::KerasMalformed], "{:?}", r.findings);
    }

    #[test]
    fn h5_without_config_is_left_uninspected_with_a_note() {
        let mut b = H5.to_vec();
        b.extend_from_slice(&[0u8; 200]);
        let r = run(&b, "weights.h5");
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let f = r.facts.unwrap();
        assert!(f.note.unwrap().contains("not inspected"));
        assert!(f.config_source.is_none());
    }

    #[test]
    fn h5_samples_are_read_with_the_hdf5_decoder() {
        // Written by h5py (samples/formats/keras/generate.py) the way Keras 2 saves a model.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/formats/keras");
        let lam = std::fs::read(dir.join("malicious/legacy_lambda.h5")).unwrap();
        let r = run(&lam, "legacy_lambda.h5");
        assert!(r.codes().contains(&Code::KerasLambda), "{:?}", r.findings);
        let f = r.facts.unwrap();
        assert_eq!(f.config_source.as_deref(), Some("hdf5 attribute"));
        assert!(f.keras_version.is_some());
        let benign = std::fs::read(dir.join("benign/legacy.h5")).unwrap();
        let r = run(&benign, "legacy.h5");
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert!(r.facts.unwrap().layer_count > 0);
        // Every truncation of the file: no panic, and at worst nothing found.
        for cut in (0..lam.len()).step_by(97) {
            let _ = run(&lam[..cut], "cut.h5");
        }
    }
}
