//! Integration tests: one binary, a module per concern.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod certsign;
mod cli;
mod conventions;
mod diff;
mod docs;
mod fleet;
mod gate;
mod generate;
mod hostile;
mod layers;
mod ledger;
mod oracle;
mod pki;
mod release;
mod release_report;
mod report;
mod robustness;
mod samples;
mod sarif;
mod spdx;
mod support;
mod verify;
mod verify_gate;
mod walkthrough;
