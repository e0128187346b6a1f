//! In-toto statements (OMS model signatures and AIBOM attestations). A statement that parses,
//! written again by aibom's own writer, parses to the same statement.
#![no_main]
use aibom::sign::statement::{self, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = statement::parse(data) else {
        return;
    };
    let written = match &parsed {
        Statement::Model {
            resources,
            ignore_paths,
            allow_symlinks,
            ..
        } => statement::model_statement("fuzz", resources, ignore_paths, *allow_symlinks),
        Statement::Bom { subject, bom } => statement::bom_statement("fuzz", subject, bom),
    };
    let again = statement::parse(&written).expect("a statement aibom writes parses");
    assert_eq!(parsed, again, "the statement changed on a round trip");
});
