//! Signing: OpenSSF Model Signing (OMS) bundles over a model directory, and an in-toto
//! attestation that binds the AIBOM to the same model digest.
//!
//! ```text
//! sign:   walk + hash (parallel) -> Statement (resources, root digest) -> DSSE PAE -> ECDSA
//!         -> Sigstore bundle v0.3 (model.sig): a key hint, or the signing certificate and its
//!         chain (signer.rs); with an AIBOM, the same over the AIBOM predicate
//! ```

pub mod bundle;
pub(crate) mod keyless;
pub mod keys;
pub(crate) mod manifest;
pub mod release;
pub mod signer;
pub mod statement;
pub(crate) mod trust;
pub mod x509;
