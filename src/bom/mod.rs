//! CycloneDX 1.6 AIBOM: wire types ([`model`]), what a model directory says about itself
//! ([`card`]), assembly from a scan ([`assemble`]) and validation ([`validate`]); the same
//! AIBOM as SPDX 3.0.1 JSON-LD ([`spdx3`]).

pub(crate) mod assemble;
pub mod card;
pub mod model;
pub(crate) mod read;
pub(crate) mod release;
pub mod spdx3;
pub mod validate;

/// Serialises a BOM as stable, pretty JSON with a trailing newline. A failure is an error,
/// never an empty document written with success.
pub fn to_json(bom: &model::Bom) -> serde_json::Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(bom)?;
    out.push(b'\n');
    Ok(out)
}
