//! The Keras 3 `.keras` archive: `metadata.json` for the facts, `config.json` for the walk,
//! read through [`crate::formats::zip::read_member`] as Python's `zipfile` finds them.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{KerasFacts, check_config, malformed};
use crate::formats::Ctx;
use crate::source::Source;
use serde_json::Value;
use std::io;

/// Reads a member of the `.keras` zip; `Err(message)` when it is missing or too large.
fn member(
    src: &dyn Source,
    name: &str,
    max: u64,
    limits: &crate::limits::Limits,
) -> io::Result<Result<Vec<u8>, String>> {
    Ok(
        match crate::formats::zip::read_member(src, name, max, limits)? {
            None => Err(format!(
                "{name} cannot be read from the archive's central directory (missing, or a broken entry)"
            )),
            Some(b) if b.len() as u64 > max => Err(format!(
                "{name} is larger than the limit of {max} bytes; the model config was not inspected"
            )),
            Some(b) => Ok(b),
        },
    )
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
    if let Ok(bytes) = member(src, "metadata.json", max, ctx.limits)? {
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
    let config = match member(src, "config.json", max, ctx.limits)? {
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
