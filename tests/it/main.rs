//! Integration tests: one binary, a module per concern.

mod cli;
mod docs;
mod oracle;
mod robustness;
mod samples;
mod support;
