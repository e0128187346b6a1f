//! The legacy HDF5 `.h5` file: the root group's `model_config`, `keras_version` and `backend`
//! attributes, decoded by `hdf5-reader` from an in-memory prefix, with a byte scan as fallback.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{KerasFacts, check_config, malformed};
use crate::formats::Ctx;
use crate::formats::hdf5::Opened;
use crate::source::Source;
use hdf5_reader::messages::datatype::{Datatype, VarLenKind};
use serde_json::Value;
use std::io;

/// A legacy Keras HDF5 file (`.h5`), opened by the caller (the attribute walk reads the same
/// structure).
pub(crate) fn inspect_h5(
    src: &dyn Source,
    ctx: &mut Ctx,
    opened: Result<&Opened, &String>,
) -> io::Result<()> {
    let limits = ctx.limits;
    let n = src.len().min(limits.max_hdf5_metadata);
    let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
    let mut facts = KerasFacts::default();

    let attrs = opened
        .map_err(String::clone)
        .and_then(|o| read_root_attributes(o, limits.max_keras_config));
    let (config, source) = match attrs {
        Ok(attrs) => {
            facts.keras_version = attrs.keras_version;
            facts.backend = attrs.backend;
            (attrs.model_config, "hdf5 attribute")
        }
        // Read the bytes again for the byte scan (only when the decoder failed).
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
            crate::formats::embedded::scan(&config, ctx, "model_config")
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
fn read_root_attributes(opened: &Opened, max_config: u64) -> Result<RootAttributes, String> {
    let read = || -> Result<RootAttributes, String> {
        let root = opened.file.root_group().map_err(|e| e.to_string())?;
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
            // A variable-length string is read from the global heap as libhdf5 reads it
            // (`Opened::vlen`): an index given twice gives the last object.
            let scalar = msg.dataspace.num_elements().ok() == Some(1);
            let value = if scalar
                && matches!(
                    msg.datatype,
                    Datatype::VarLen {
                        kind: VarLenKind::String,
                        ..
                    }
                ) {
                let max = u32::try_from(max_config).unwrap_or(u32::MAX);
                opened
                    .vlen(&msg.raw_data, max)
                    .and_then(|v| String::from_utf8(v).ok())
            } else if scalar {
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
