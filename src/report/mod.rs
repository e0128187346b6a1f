//! Renderers: one report model ([`crate::scan::ScanReport`]), many outputs. Renderers write to
//! any `impl Write` and never decide the exit status.

pub mod auditor;
pub mod diff;
pub(crate) mod escape;
pub mod html;
pub(crate) mod human;
pub(crate) mod json;
pub mod markdown;
pub(crate) mod sarif;
