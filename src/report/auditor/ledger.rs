//! The deploy decisions an approval ledger records about this AIBOM (`aibom report --ledger`):
//! the chain is checked first ([`crate::ledger::check`]); a broken chain is shown as broken,
//! without entries, since nothing in it can be relied on.

use crate::digest::Sha256;
use serde_json::Value;

/// The ledger as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerView {
    /// The ledger's file name (no directories: the report must not depend on where it lies).
    pub file: String,
    /// Why the chain does not hold; no entries are shown then.
    pub broken: Option<String>,
    /// Entries in the whole ledger.
    pub total: u64,
    /// SHA-256 of the last line (the head), when the chain holds.
    pub head: Option<String>,
    /// The entries whose AIBOM SHA-256 is this AIBOM's, in order.
    pub entries: Vec<LedgerRow>,
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub seq: u64,
    pub time: Option<String>,
    /// `pass` or `refuse`.
    pub verdict: String,
    pub exit_code: Option<u64>,
    /// Who signed (verified identities, with the role filled).
    pub signers: Vec<String>,
    /// The checks that failed (`check: subject`), warnings included.
    pub failed: Vec<String>,
}

/// Reads the ledger `bytes` (file `file`) for the AIBOM whose bytes hash to `aibom`.
// `Value["key"]` never panics: an absent key or a value of another type reads as `null`.
#[allow(clippy::indexing_slicing)]
pub fn view(file: &str, bytes: &[u8], aibom: &Sha256) -> LedgerView {
    let chain = crate::ledger::check(bytes);
    let entries = match crate::ledger::entries(bytes) {
        Ok(e) => e,
        Err(b) => {
            return LedgerView {
                file: file.to_owned(),
                broken: Some(b.to_string()),
                total: 0,
                head: None,
                entries: Vec::new(),
            };
        }
    };
    let hex = aibom.to_hex();
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let rows = entries
        .iter()
        .filter(|e| e["release"]["aibom_sha256"].as_str() == Some(hex.as_str()))
        .map(|e| LedgerRow {
            seq: e["seq"].as_u64().unwrap_or(0),
            time: text(&e["time"]),
            verdict: text(&e["verdict"]).unwrap_or_default(),
            exit_code: e["exit_code"].as_u64(),
            signers: e["signers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let id = s["identity"].as_str()?;
                    Some(match s["role"].as_str() {
                        Some(r) => format!("{id} (role {r})"),
                        None => id.to_owned(),
                    })
                })
                .collect(),
            failed: e["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["ok"] == false)
                .map(|c| {
                    format!(
                        "{}: {}",
                        c["check"].as_str().unwrap_or("?"),
                        c["subject"].as_str().unwrap_or("")
                    )
                })
                .collect(),
        })
        .collect();
    let (total, head) = chain.map_or((0, None), |c| (c.entries, Some(c.head)));
    LedgerView {
        file: file.to_owned(),
        broken: None,
        total,
        head,
        entries: rows,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ledger(entries: &[Value]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for e in entries {
            let chain = crate::ledger::check(&bytes).unwrap();
            bytes.extend(crate::ledger::line(&chain, e).unwrap());
        }
        bytes
    }

    #[test]
    fn shows_only_the_decisions_about_this_aibom() {
        let ours = Sha256::of(b"ours");
        let bytes = ledger(&[
            json!({"release": {"aibom_sha256": ours}, "verdict": "pass", "exit_code": 0,
                   "signers": [{"identity": "key k", "role": "release"}],
                   "checks": [{"check": "signature", "ok": true, "subject": "s"}]}),
            json!({"release": {"aibom_sha256": Sha256::of(b"other")}, "verdict": "pass"}),
            json!({"release": {"aibom_sha256": ours}, "verdict": "refuse", "exit_code": 1,
                   "checks": [{"check": "release-revoked", "ok": false, "subject": "r.json"}]}),
        ]);
        let v = view("ledger.jsonl", &bytes, &ours);
        assert_eq!(v.total, 3);
        assert_eq!(v.entries.len(), 2);
        assert_eq!(v.entries[0].signers, ["key k (role release)"]);
        assert_eq!(v.entries[1].seq, 3);
        assert_eq!(v.entries[1].failed, ["release-revoked: r.json"]);
    }

    #[test]
    fn a_broken_chain_is_shown_broken_without_entries() {
        let ours = Sha256::of(b"ours");
        let mut bytes = ledger(&[json!({"release": {"aibom_sha256": ours}})]);
        bytes.pop();
        let v = view("ledger.jsonl", &bytes, &ours);
        assert!(v.broken.unwrap().contains("line 1"));
        assert!(v.entries.is_empty());
    }
}
