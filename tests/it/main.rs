//! Integration tests: one binary, a module per concern.

mod cli;
mod oracle;
mod samples;
mod support;
