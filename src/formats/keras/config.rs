//! The walk over a config tree of serialized objects: `Lambda` code, objects from outside
//! Keras, embedded objects and artifacts loaded from elsewhere.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{CustomObject, KerasFacts, clip, malformed};
use crate::finding::{Code, Evidence, Severity};
use crate::formats::Ctx;
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;

/// Packages whose modules are Keras itself.
const KERAS_PACKAGES: &[&str] = &["keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras"];

pub(super) fn is_keras_module(m: &str) -> bool {
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

pub(super) fn is_external_loader(name: &str) -> bool {
    let last = name.rsplit(['>', '.']).next().unwrap_or(name);
    EXTERNAL_LOADERS.contains(&last)
}

pub(super) fn is_dangerous(module: Option<&str>, name: &str) -> bool {
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
pub(super) fn foreign_registration(r: &str) -> Option<&str> {
    let (pkg, _) = r.split_once('>')?;
    (!KERAS_PACKAGES.contains(&pkg)).then_some(pkg)
}

/// How an object sits in its parent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
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

pub(super) struct Walk {
    max_depth: usize,
    max_entries: usize,
    max_string: usize,
    pub(super) path: Vec<String>,
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
    pub(super) fn new(ctx: &Ctx) -> Self {
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

    pub(super) fn path(&self) -> String {
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
        clip(s, self.max_string).into_owned()
    }

    /// `in_lambda`: inside a Lambda layer already reported (its function is part of it).
    pub(super) fn visit(&mut self, v: &Value, depth: usize, role: Role, in_lambda: bool) {
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
            Some(Value::String(s)) => match crate::formats::embedded::sniff(s.as_bytes(), s.len() as u64) {
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
                let outside = crate::formats::member::escapes(p.as_bytes()) || p.contains("://");
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
                "loads the SavedModel at {shown} with tf.saved_model.load when the model is deserialized with safe_mode=False (Keras 3 refuses a TFSMLayer in its default safe mode): an artifact outside this file that aibom did not inspect"
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

    pub(super) fn finish(self, ctx: &mut Ctx, origin: &str, facts: &mut KerasFacts) {
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
pub(super) fn describe_code(code: Option<&Value>) -> String {
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
