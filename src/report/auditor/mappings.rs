//! Every finding code mapped to CWE, MITRE ATLAS, the OWASP Top 10 for LLM Applications 2025,
//! the NIST AI RMF 1.0 subcategories and the EU AI Act article it bears on (research:
//! `ecosystem.md` §4), and the names of the entries used.

use crate::finding::Code;

/// One finding code and the entries of each framework it maps to.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    pub code: Code,
    pub cwe: &'static [u32],
    pub atlas: &'static [&'static str],
    pub owasp: &'static [&'static str],
    pub nist: &'static [&'static str],
    pub eu_ai_act: &'static [&'static str],
}

// The shared rows, by finding class (`ecosystem.md` §4 mapping table).
const CODE_ON_LOAD_ATLAS: &[&str] = &["AML.T0011.000", "AML.T0010.003", "AML.T0018"];
const SUPPLY_CHAIN: &[&str] = &["LLM03"];
const POISONING: &[&str] = &["LLM03", "LLM04"];
const SECURITY_NIST: &[&str] = &["MEASURE 2.7", "MANAGE 3.2"];
const INTEGRITY_NIST: &[&str] = &["MEASURE 2.7", "MANAGE 3.1"];
const COVERAGE_NIST: &[&str] = &["MEASURE 1.1", "MEASURE 2.7"];
const ART15_5: &[&str] = &["Art. 15(5)"];
const ART15_4: &[&str] = &["Art. 15(4)"];
const MODEL_ATLAS: &[&str] = &["AML.T0010.003"];
const NONE: &[&str] = &[];

macro_rules! mapping {
    ($code:ident, $cwe:expr, $atlas:expr, $owasp:expr, $nist:expr, $eu:expr) => {
        Mapping {
            code: Code::$code,
            cwe: $cwe,
            atlas: $atlas,
            owasp: $owasp,
            nist: $nist,
            eu_ai_act: $eu,
        }
    };
}

/// Every finding code, mapped. A test keeps it complete and consistent with [`Code::cwe`].
///
/// ATLAS ids are pinned to the technique names listed in [`atlas_name`] (ATLAS data as of
/// 2025; newer releases rename "ML" to "AI" and add AML.T0115 "Publish Poisoned AI Artifacts"
/// beside AML.T0058). OWASP ids are the 2025 edition of the Top 10 for LLM Applications.
#[rustfmt::skip]
// (code, CWE, MITRE ATLAS, OWASP LLM Top 10 2025, NIST AI RMF 1.0, EU AI Act)
pub const MAPPINGS: &[Mapping] = &[
    mapping!(PickleDangerousGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleDangerousCall, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleUnknownGlobal, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(PickleDynamicGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleDynamicCall, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleDunderAccess, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleBuildOnGlobal, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleExtensionCode, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(PickleNestedUnscannable, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 1.1", "MEASURE 2.7", "MANAGE 3.2"], ART15_5),
    mapping!(PickleFrameOverrun, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleMalformed, &[436], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleTrailingData, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(PickleOutOfBandBuffer, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(PickleLimitExceeded, &[400], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(PickleLoaderExhaustion, &[789, 400], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(JoblibArrayUnresolved, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(JoblibExternalArray, &[73, 502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(FindingsCapped, &[], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(Polyglot, &[434, 436], &["AML.T0010.003", "AML.T0011.000"], SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipCrcMismatch, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipHeaderMismatch, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipDuplicateName, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipPathTraversal, &[22], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(ZipEncryptedFlag, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipHiddenEntry, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipTrailingData, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(ZipBomb, &[409], MODEL_ATLAS, SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_4),
    mapping!(ZipMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(TorchStorageMismatch, &[130], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(TfCheckpointDataMismatch, &[130], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(TarPathTraversal, &[22], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(TarLinkEscape, &[59], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(TarSpecialFile, &[], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(TarDuplicateName, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(TarTrailingData, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(TarMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(TarLimitExceeded, &[400], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(ArchiveDepthExceeded, &[400], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(ArchiveMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(TorchScriptCode, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(NpyObjectArray, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(NpyMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(SafetensorsMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(GgufMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(ChatTemplateInjection, &[1336], &["AML.T0051", "AML.T0010.003", "AML.T0011.000"], &["LLM01", "LLM03"], SECURITY_NIST, ART15_5),
    mapping!(OnnxMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(OnnxExternalDataEscape, &[22], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(OnnxCustomOperator, &[], &["AML.T0010.001"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], NONE),
    mapping!(KerasLambda, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(KerasCustomObject, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(KerasEmbeddedObject, &[502], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(KerasExternalLoad, &[829], &["AML.T0010.003", "AML.T0011.000"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(KerasMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(SavedModelDangerousOp, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(SavedModelMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(CoremlCustomLayer, &[829], &["AML.T0010.001"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], NONE),
    mapping!(TfliteCustomOp, &[829], &["AML.T0010.001"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], NONE),
    mapping!(TfliteFlexOp, &[829], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(TfliteMalformed, &[], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_4),
    mapping!(ConfigCallableTarget, &[470], &["AML.T0010.001", "AML.T0011.000"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(ConfigEmbeddedPayload, &[502], &["AML.T0011.000", "AML.T0010.003"], SUPPLY_CHAIN, SECURITY_NIST, ART15_5),
    mapping!(RemoteCode, &[94], &["AML.T0010.001", "AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7", "MANAGE 3.1"], ART15_5),
    mapping!(LfsPointer, &[], MODEL_ATLAS, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(SecretExposed, &[798], &["AML.T0055"], &["LLM02"], &["MEASURE 2.7", "MEASURE 2.10"], ART15_5),
    mapping!(TorchScriptDangerousOp, &[94], CODE_ON_LOAD_ATLAS, POISONING, SECURITY_NIST, ART15_5),
    mapping!(TorchScriptCustomOp, &[829], &["AML.T0010.001", "AML.T0011.000"], SUPPLY_CHAIN, &["MAP 4.1", "MEASURE 2.7"], ART15_5),
    mapping!(FormatMismatch, &[646], &["AML.T0010.003", "AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(EmptyFile, &[], NONE, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(UnknownFormat, &[], NONE, SUPPLY_CHAIN, &["MEASURE 1.1"], NONE),
    mapping!(Hdf5DuplicateHeapObject, &[436], MODEL_ATLAS, SUPPLY_CHAIN, INTEGRITY_NIST, ART15_5),
    mapping!(Hdf5Incomplete, &[], NONE, SUPPLY_CHAIN, COVERAGE_NIST, NONE),
    mapping!(SymlinkEscape, &[59], &["AML.T0011.000"], SUPPLY_CHAIN, &["MEASURE 2.7"], ART15_5),
    mapping!(SymlinkBroken, &[59], NONE, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(PartialDownload, &[], MODEL_ATLAS, SUPPLY_CHAIN, &["MANAGE 3.1"], NONE),
    mapping!(ReadError, &[], NONE, SUPPLY_CHAIN, &["MEASURE 1.1"], NONE),
];

/// Observations of the report that are not findings, mapped the same way.
pub struct GapMapping {
    pub gap: &'static str,
    pub atlas: &'static [&'static str],
    pub owasp: &'static [&'static str],
    pub nist: &'static [&'static str],
    pub eu_ai_act: &'static [&'static str],
}

pub const DATASET_GAP: GapMapping = GapMapping {
    gap: "dataset with unknown provenance, licence or classification",
    atlas: &["AML.T0010.002", "AML.T0019"],
    owasp: &["LLM04"],
    nist: &["MAP 4.1"],
    eu_ai_act: &["Art. 10", "Art. 53(1)(d) + Annex XI"],
};

pub const LICENSE_GAP: GapMapping = GapMapping {
    gap: "licence missing, non-commercial or not an SPDX identifier",
    atlas: &[],
    owasp: &["LLM03"],
    nist: &["GOVERN 6.1"],
    eu_ai_act: &["Art. 53(1)(c)"],
};

pub const DEPENDENCY_GAP: GapMapping = GapMapping {
    gap: "dependency without a pinned version",
    atlas: &["AML.T0010.001"],
    owasp: &["LLM03"],
    nist: &["MAP 4.1", "MANAGE 3.1"],
    eu_ai_act: &[],
};

/// The mapping of a finding code.
pub fn mapping(code: Code) -> Option<&'static Mapping> {
    MAPPINGS.iter().find(|m| m.code == code)
}

/// Names of the MITRE ATLAS techniques used above.
pub fn atlas_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "AML.T0010" => "AI Supply Chain Compromise",
        "AML.T0010.001" => "AI Supply Chain Compromise: AI Software",
        "AML.T0010.002" => "AI Supply Chain Compromise: Data",
        "AML.T0010.003" => "AI Supply Chain Compromise: Model",
        "AML.T0011.000" => "User Execution: Unsafe AI Artifacts",
        "AML.T0018" => "Manipulate AI Model (backdoor)",
        "AML.T0019" => "Publish Poisoned Datasets",
        "AML.T0051" => "LLM Prompt Injection",
        "AML.T0055" => "Unsecured Credentials",
        "AML.T0058" => "Publish Poisoned Models",
        _ => return None,
    })
}

/// Names of the OWASP Top 10 for LLM Applications 2025 entries used above.
pub fn owasp_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "LLM01" => "Prompt Injection",
        "LLM02" => "Sensitive Information Disclosure",
        "LLM03" => "Supply Chain",
        "LLM04" => "Data and Model Poisoning",
        _ => return None,
    })
}

/// What the NIST AI RMF 1.0 subcategories used above ask for (paraphrased).
pub fn nist_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "GOVERN 1.6" => "AI systems are inventoried",
        "GOVERN 6.1" => "third-party risks, including intellectual property, are addressed",
        "MAP 4.1" => {
            "legal and technology risks of components, incl. third-party data and software, are mapped"
        }
        "MEASURE 1.1" => "risks that are not or cannot be measured are documented",
        "MEASURE 2.3" => "performance is measured and demonstrated",
        "MEASURE 2.7" => "security and resilience are evaluated and documented",
        "MEASURE 2.10" => "privacy risk is examined and documented",
        "MEASURE 2.11" => "fairness and bias are evaluated",
        "MANAGE 3.1" => "third-party resources are monitored",
        "MANAGE 3.2" => "pre-trained models are monitored",
        _ => return None,
    })
}

/// Names of the CWE entries used above.
pub fn cwe_name(id: u32) -> Option<&'static str> {
    Some(match id {
        22 => "Path Traversal",
        59 => "Link Following",
        73 => "External Control of File Name or Path",
        94 => "Code Injection",
        130 => "Improper Handling of Length Parameter Inconsistency",
        400 => "Uncontrolled Resource Consumption",
        409 => "Improper Handling of Highly Compressed Data",
        434 => "Unrestricted Upload of File with Dangerous Type",
        470 => "Use of Externally-Controlled Input to Select Classes or Code (Unsafe Reflection)",
        436 => "Interpretation Conflict",
        502 => "Deserialization of Untrusted Data",
        646 => "Reliance on File Name or Extension of Externally-Supplied File",
        789 => "Memory Allocation with Excessive Size Value",
        829 => "Inclusion of Functionality from Untrusted Control Sphere",
        798 => "Use of Hard-coded Credentials",
        1336 => "Improper Neutralization of Special Elements Used in a Template Engine",
        _ => return None,
    })
}

/// `id` followed by its name when known: `AML.T0019 Publish Poisoned Datasets`.
pub fn labelled(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{id} {n}"),
        None => id.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_code_has_exactly_one_mapping() {
        for code in Code::ALL {
            let n = MAPPINGS.iter().filter(|m| m.code == *code).count();
            assert_eq!(n, 1, "{code} has {n} mappings");
        }
        assert_eq!(MAPPINGS.len(), Code::ALL.len());
    }

    #[test]
    fn mapping_cwes_include_the_cwe_of_the_code() {
        for m in MAPPINGS {
            if let Some(c) = m.code.cwe() {
                assert!(m.cwe.contains(&c), "{}: CWE-{c} missing", m.code);
            }
        }
    }

    #[test]
    fn every_framework_id_in_the_mapping_has_a_name() {
        let gaps = [&DATASET_GAP, &LICENSE_GAP, &DEPENDENCY_GAP];
        for m in MAPPINGS {
            for c in m.cwe {
                assert!(cwe_name(*c).is_some(), "CWE-{c}");
            }
            for a in m.atlas {
                assert!(atlas_name(a).is_some(), "{a}");
            }
            for o in m.owasp {
                assert!(owasp_name(o).is_some(), "{o}");
            }
            for n in m.nist {
                assert!(nist_name(n).is_some(), "{n}");
            }
            // Every finding is at least a supply-chain matter.
            assert!(!m.owasp.is_empty(), "{}", m.code);
        }
        for g in gaps {
            assert!(g.atlas.iter().all(|a| atlas_name(a).is_some()));
            assert!(g.owasp.iter().all(|a| owasp_name(a).is_some()));
            assert!(g.nist.iter().all(|a| nist_name(a).is_some()));
        }
    }

    #[test]
    fn pickle_payloads_templates_and_secrets_map_to_their_owasp_and_atlas_entries() {
        let m = mapping(Code::PickleDangerousCall).unwrap();
        assert!(m.atlas.contains(&"AML.T0011.000") && m.atlas.contains(&"AML.T0018"));
        assert!(m.owasp.contains(&"LLM03"));
        let t = mapping(Code::ChatTemplateInjection).unwrap();
        assert!(t.owasp.contains(&"LLM01"));
        let s = mapping(Code::SecretExposed).unwrap();
        assert!(s.owasp.contains(&"LLM02"));
    }
}
