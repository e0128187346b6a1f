//! What every fuzz target shares: one inspection context per input, with the limits and policy
//! a default `aibom scan` uses, and the invariants every inspector must keep whatever the bytes.
//!
//! Hangs and memory are not asserted here: libFuzzer's `-timeout` and `-rss_limit_mb` (which
//! also caps any single allocation) catch them, and `fuzz/README.md` gives the figures used.

use aibom::detect::Format;
use aibom::finding::Severity;
use aibom::formats::Ctx;
use aibom::limits::Limits;
use aibom::policy::Policy;
use std::io;
use std::sync::OnceLock;

/// The built-in policy, built once per process.
pub fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| Policy::new(&[], false).expect("the built-in policy lists parse"))
}

/// The limits of a default scan.
pub fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(Limits::default)
}

/// Runs one inspector over in-memory bytes in a fresh context for a file called `name`, then
/// checks the invariants. Returns what the inspector returned and its findings' codes.
pub fn inspect<T>(name: &str, f: impl FnOnce(&mut Ctx) -> io::Result<T>) -> T {
    inspect_with(limits(), name, f)
}

/// [`inspect`] with other limits.
pub fn inspect_with<T>(
    limits: &Limits,
    name: &str,
    f: impl FnOnce(&mut Ctx) -> io::Result<T>,
) -> T {
    let mut ctx = Ctx::new(limits, policy(), name);
    // `Err` means "the file could not be read": an in-memory source always can, so any `Err`
    // is a parser error that escaped as an I/O error (the scan would report `read-error`).
    let out = match f(&mut ctx) {
        Ok(out) => out,
        Err(e) => panic!("inspecting in-memory bytes returned an I/O error: {e}"),
    };
    check(&ctx);
    out
}

/// Invariants of a context after any inspection.
pub fn check(ctx: &Ctx) {
    // Below the gate (a context's default is high), at most `max_findings` plus the first of
    // each code are listed; at or above it, at most `max_gate_findings` plus the same. A code
    // that was counted past a cap always has a listed finding, so the verdict is right.
    let below = ctx
        .findings
        .iter()
        .filter(|f| f.severity < Severity::High)
        .count();
    let codes = aibom::finding::Code::ALL.len();
    assert!(
        below <= ctx.limits.max_findings + codes,
        "{below} findings below the gate, over the cap of {}",
        ctx.limits.max_findings
    );
    assert!(
        ctx.findings.len() - below <= ctx.limits.max_gate_findings + codes,
        "{} findings at the gate, over the cap of {}",
        ctx.findings.len() - below,
        ctx.limits.max_gate_findings
    );
    for code in ctx.capped.keys() {
        assert!(
            ctx.findings.iter().any(|f| f.code == *code),
            "{code:?} was counted past a cap but none of it is listed"
        );
    }
    assert_eq!(ctx.depth(), 0, "a member was entered and never left");
    for f in &ctx.findings {
        assert_eq!(f.location.path, ctx.path, "a finding names another file");
        assert!(!f.message.is_empty(), "{:?} has an empty message", f.code);
    }
    // What the report and the AIBOM serialise must serialise.
    serde_json::to_vec(&ctx.findings).expect("findings serialise to JSON");
    serde_json::to_vec(&ctx.facts).expect("facts serialise to JSON");
}

/// The verdict a scan would give, computed the way `scan` does (at the default `--fail-on`).
pub fn verdict(ctx: &Ctx, format: Format) -> aibom::scan::Verdict {
    aibom::scan::verdict(&ctx.findings, format, Severity::High)
}

/// The certificates of the OMS interoperability vectors (leaf, intermediate, root), DER.
pub mod certs {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub const LEAF_PEM: &str =
        include_str!("../../tests/vectors/oms-v1.1.0/keys/signing-key-cert.pem");
    pub const INTERMEDIATE_PEM: &str =
        include_str!("../../tests/vectors/oms-v1.1.0/keys/int-ca-cert.pem");
    pub const ROOT_PEM: &str = include_str!("../../tests/vectors/oms-v1.1.0/keys/ca-cert.pem");

    /// The DER inside the first PEM block of `pem`.
    pub fn der(pem: &str) -> Vec<u8> {
        let body: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        STANDARD.decode(body).expect("vector PEM is base64")
    }

    /// DER as a PEM block (64 base64 characters a line, as RFC 7468 writes it).
    pub fn pem(der: &[u8]) -> String {
        let b64 = STANDARD.encode(der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }
}
