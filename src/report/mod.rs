//! Renderers: one report model ([`crate::scan::ScanReport`]), many outputs. Renderers write to
//! any `impl Write` and never decide the exit status.

pub mod diff;
pub mod human;
pub mod json;
pub mod progress;
pub mod sarif;
