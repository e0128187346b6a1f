//! In-toto statements (OMS model signatures and AIBOM attestations). A statement that parses,
//! written again by aibom's own writer, parses to the same statement.
#![no_main]
use aibom::digest::Sha256;
use aibom::sign::statement::{self, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = statement::parse(data) else {
        return;
    };
    match &parsed {
        Statement::Model {
            subject_name,
            resources,
            ignore_paths,
            allow_symlinks,
            ..
        } => {
            let written =
                statement::model_statement(subject_name, resources, ignore_paths, *allow_symlinks)
                    .expect("a parsed statement serialises");
            let again = statement::parse(&written).expect("a statement aibom writes parses");
            assert_eq!(parsed, again, "the statement changed on a round trip");
        }
        Statement::Bom {
            subject,
            bom,
            bom_sha256,
        } => {
            // Attestations without the AIBOM's digest are older ones; aibom always writes it.
            let digest = bom_sha256.unwrap_or_else(|| Sha256::of(b"aibom.cdx.json"));
            let value: serde_json::Value =
                serde_json::from_str(bom.get()).expect("a parsed predicate is JSON");
            let written =
                statement::bom_statement("model", subject, &value, "aibom.cdx.json", &digest)
                    .expect("a parsed statement serialises");
            let again = statement::parse(&written).expect("a statement aibom writes parses");
            let Statement::Bom {
                subject: s,
                bom: b,
                bom_sha256: d,
            } = again
            else {
                panic!("an AIBOM attestation read back as a model statement");
            };
            assert_eq!((s, d), (*subject, Some(digest)), "the subjects changed");
            assert!(b.same_as(&value), "the AIBOM changed on a round trip");
        }
    }
});
