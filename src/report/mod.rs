//! Renderers: one report model ([`crate::scan::ScanReport`]), many outputs. Renderers write to
//! any `impl Write` and never decide the exit status.

pub mod auditor;
pub mod diff;
pub mod escape;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
