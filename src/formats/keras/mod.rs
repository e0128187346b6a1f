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

mod archive;
mod config;
mod h5;
#[cfg(test)]
pub(crate) mod tests;

pub use archive::inspect_zip;
pub(crate) use h5::inspect_h5;

use super::Ctx;
use crate::finding::Code;
use crate::units::clip;
use config::{Role, Walk};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

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

impl crate::formats::FormatFacts for KerasFacts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        let pairs = [
            ("aibom:keras:version", self.keras_version.clone()),
            ("aibom:keras:backend", self.backend.clone()),
            ("aibom:keras:model-class", self.model_class.clone()),
            (
                "aibom:keras:layer-count",
                Some(self.layer_count.to_string()),
            ),
            (
                "aibom:keras:lambda-layers",
                Some(self.lambda_layers.to_string()),
            ),
        ];
        out.extend(pairs.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
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

fn malformed(ctx: &mut Ctx, msg: String) {
    ctx.report(Code::KerasMalformed, None, msg);
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
    facts.model_class = Some(clip(class, ctx.limits.max_fact_string).into_owned());
    let mut w = Walk::new(ctx);
    w.visit(root, 0, Role::Other, false);
    w.finish(ctx, origin, facts);
}
