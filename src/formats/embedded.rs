//! Model files hidden in text: base64 or hex strings in a config that decode to a pickle, an
//! archive or another model format.
//!
//! Configs carry serialized objects as text. Keras 3's `TorchModuleWrapper` stores its module as
//! base64 of `torch.save` bytes, which `from_config` passes to `torch.load`; any loader that
//! base64-decodes a config value and unpickles it does the same. Such a string is a file like
//! any other, so it is decoded and inspected as a nested member (`config.json!<base64 at 120>`)
//! through [`super::inspect_source`]: its findings carry through, and a `config-embedded-payload`
//! finding says where it was and what it decodes to.
//!
//! How a string is found, in one pass over the bytes and in constant memory: a *run* is a
//! maximal sequence of base64 characters (`A-Z a-z 0-9 + / - _ =`, both alphabets). A run of at
//! least [`MIN_RUN`] characters has its first [`HEAD_CHARS`] decoded (as hex when it is all hex
//! digits of even length, else as base64, URL-safe when it uses `-` or `_`) and the result is
//! given to [`crate::detect::detect`]. Only formats with a real magic number count as a payload
//! ([`is_payload`]): text, JSON and unknown bytes never do, nor zlib and lzma-alone streams,
//! whose two or three header bytes random data matches too often. A pickle must also end with
//! STOP (`.`). Only then is the whole run read again from the source and decoded, up to
//! [`Limits::max_embedded_payload`] decoded bytes; a larger one is reported as not scanned
//! (high), never skipped quietly.
//!
//! Not recognised: strings split by escapes or line breaks (JSON `\/`, MIME base64 with `\n`,
//! YAML `!!binary` blocks over several lines), and encodings other than base64 and hex.
//!
//! [`Limits::max_embedded_payload`]: crate::limits::Limits::max_embedded_payload
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::{self, Format};
use crate::finding::{Code, Evidence, Severity};
use crate::source::Source;
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use std::io;

/// Shortest run looked at: 24 decoded bytes, about the smallest pickle that calls something.
pub const MIN_RUN: u64 = 32;
/// Characters of a run decoded to detect its format: enough for [`detect::HEAD_LEN`] bytes.
pub const HEAD_CHARS: usize = detect::HEAD_LEN.div_ceil(3) * 4;

/// Lenient about padding, as Python's `base64.b64decode` is about what follows it.
const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);

/// How a string encodes its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
    Base64Url,
}

impl Encoding {
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
            Encoding::Base64Url => "base64url",
        }
    }

    /// Decodes `s`; `None` when it is not valid in this encoding.
    fn decode(self, s: &[u8]) -> Option<Vec<u8>> {
        match self {
            Encoding::Hex => hex::decode(s).ok(),
            Encoding::Base64 => STANDARD.decode(s).ok(),
            Encoding::Base64Url => URL_SAFE.decode(s).ok(),
        }
    }

    /// Decoded length of `chars` characters of this encoding (padding not subtracted).
    fn decoded_len(self, chars: u64) -> u64 {
        match self {
            Encoding::Hex => chars / 2,
            Encoding::Base64 | Encoding::Base64Url => (chars / 4)
                .saturating_mul(3)
                .saturating_add((chars % 4).saturating_sub(1)),
        }
    }
}

fn is_run_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// What a string that looks like an encoded model file decodes to, from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub encoding: Encoding,
    pub format: Format,
    /// Decoded size, from the string's length.
    pub decoded_len: u64,
}

/// Whether bytes detected as `format` are worth reading as a nested file: formats with a magic
/// number of four bytes or more (or a header that must be consistent, as safetensors'), and
/// pickles with a protocol header. `decoded` is the start of the bytes.
pub fn is_payload(format: Format, decoded: &[u8]) -> bool {
    match format {
        Format::Json
        | Format::Text
        | Format::Unknown
        | Format::Empty
        | Format::Zlib
        | Format::Lzma
        | Format::Word2Vec => false,
        // Two bytes of magic: the deflate method byte must follow.
        Format::Gzip => decoded.get(2) == Some(&8),
        _ => true,
    }
}

/// Decodes the start of `s` (a whole run, or its first characters) and detects what it is.
/// `total` is the run's full length in characters.
pub fn sniff(s: &[u8], total: u64) -> Option<Sniffed> {
    if total < MIN_RUN {
        return None;
    }
    let head = s.get(..s.len().min(HEAD_CHARS)).unwrap_or(s);
    let whole = head.len() as u64 == total;
    let mut tries: [Option<Encoding>; 2] = [None, None];
    if total.is_multiple_of(2) && head.iter().all(u8::is_ascii_hexdigit) {
        tries[0] = Some(Encoding::Hex);
    }
    let url = head.iter().any(|b| matches!(b, b'-' | b'_'));
    let std = head.iter().any(|b| matches!(b, b'+' | b'/'));
    if !(url && std) {
        tries[1] = Some(if url {
            Encoding::Base64Url
        } else {
            Encoding::Base64
        });
    }
    for enc in tries.into_iter().flatten() {
        // A cut inside the run decodes whole groups only: 2 hex digits, 4 base64 characters.
        let unit = if enc == Encoding::Hex { 2 } else { 4 };
        let n = if whole {
            head.len()
        } else {
            head.len()
                .saturating_sub(head.len().checked_rem(unit).unwrap_or(0))
        };
        let Some(decoded) = head.get(..n).and_then(|h| enc.decode(h)) else {
            continue;
        };
        // Padding is known when the whole string is at hand.
        let padding = if whole && enc != Encoding::Hex {
            head.iter().rev().take_while(|b| **b == b'=').count() as u64
        } else {
            0
        };
        let decoded_len = enc.decoded_len(total.saturating_sub(padding));
        let format = detect::detect(&decoded, decoded_len, "");
        if is_payload(format, &decoded) {
            return Some(Sniffed {
                encoding: enc,
                format,
                decoded_len,
            });
        }
    }
    None
}

/// The byte-level scan: feed it the bytes of a file in order (in one piece or in consecutive
/// pieces), then [`Payloads::finish`]. Runs that decode to a model file are inspected as they
/// end.
pub struct Payloads {
    /// Offset of the current run's first byte.
    start: u64,
    len: u64,
    /// The run's first [`HEAD_CHARS`] bytes.
    head: Vec<u8>,
    /// What the nested files were found in, for messages (`config.json`, `model_config`).
    origin: String,
    /// Payloads inspected so far; past [`Limits::max_embedded_payloads`] the scan reports
    /// once (`cap_reported`) and inspects no more.
    ///
    /// [`Limits::max_embedded_payloads`]: crate::limits::Limits::max_embedded_payloads
    inspected: usize,
    cap_reported: bool,
}

impl Payloads {
    pub fn new(origin: &str) -> Self {
        Payloads {
            start: 0,
            len: 0,
            head: Vec::new(),
            origin: origin.to_owned(),
            inspected: 0,
            cap_reported: false,
        }
    }

    /// Scans `bytes`, which sit at offset `at` of `src`.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        at: u64,
        src: &dyn Source,
        ctx: &mut Ctx,
    ) -> io::Result<()> {
        let mut i = 0usize;
        while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
            let n = rest
                .iter()
                .position(|b| !is_run_byte(*b))
                .unwrap_or(rest.len());
            if n > 0 {
                if self.len == 0 {
                    self.start = at.saturating_add(i as u64);
                }
                let room = HEAD_CHARS.saturating_sub(self.head.len()).min(n);
                self.head
                    .extend_from_slice(rest.get(..room).unwrap_or_default());
                self.len = self.len.saturating_add(n as u64);
            }
            i = i.saturating_add(n);
            if i < bytes.len() {
                // A delimiter ends the run.
                self.end_run(src, ctx)?;
                i = i.saturating_add(1);
            }
        }
        Ok(())
    }

    /// Ends the last run (at the end of the file).
    pub fn finish(mut self, src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
        self.end_run(src, ctx)
    }

    fn end_run(&mut self, src: &dyn Source, ctx: &mut Ctx) -> io::Result<()> {
        let (start, len) = (self.start, self.len);
        self.len = 0;
        // Past the cap (reported), no run is looked at again.
        if len < MIN_RUN || self.cap_reported {
            self.head.clear();
            return Ok(());
        }
        let found = sniff(&self.head, len);
        self.head.clear();
        let Some(s) = found else {
            return Ok(());
        };
        let max = ctx.limits.max_embedded_payloads;
        if self.inspected >= max {
            if !self.cap_reported {
                self.cap_reported = true;
                ctx.report_with(
                    Code::ConfigEmbeddedPayload,
                    Severity::High,
                    Some(start),
                    format!(
                        "{}: more than {max} strings decode to model files; from byte {start} on, none was inspected",
                        self.origin
                    ),
                    Evidence {
                        rule: Some(format!("at most {max} embedded payloads per file")),
                        ..Evidence::default()
                    },
                );
            }
            return Ok(());
        }
        self.inspected = self.inspected.saturating_add(1);
        inspect_run(src, ctx, start, len, s, &self.origin)
    }
}

/// Scans a whole source, in pieces of 64 KiB.
pub fn scan(src: &dyn Source, ctx: &mut Ctx, origin: &str) -> io::Result<()> {
    const CHUNK: usize = 64 << 10;
    let mut p = Payloads::new(origin);
    let mut at = 0u64;
    while at < src.len() {
        let piece = src.read_vec(at, CHUNK)?;
        if piece.is_empty() {
            break;
        }
        p.feed(&piece, at, src, ctx)?;
        at = at.saturating_add(piece.len() as u64);
    }
    p.finish(src, ctx)
}

/// Decodes the run `[start, start + len)` of `src` and inspects it as a nested file.
fn inspect_run(
    src: &dyn Source,
    ctx: &mut Ctx,
    start: u64,
    len: u64,
    s: Sniffed,
    origin: &str,
) -> io::Result<()> {
    let enc = s.encoding.describe();
    let what = s.format.describe();
    let max = ctx.limits.max_embedded_payload;
    let evidence = Evidence {
        rule: Some(format!("{enc} string decoding to {what}")),
        actual: Some(format!("{len} characters at byte {start}")),
        ..Evidence::default()
    };
    let unscanned = |ctx: &mut Ctx, why: String| {
        ctx.report_with(
            Code::ConfigEmbeddedPayload,
            Severity::High,
            Some(start),
            format!(
                "{origin}: a {len}-character {enc} string at byte {start} starts like a {what} but {why}; its content was not inspected"
            ),
            evidence.clone(),
        );
    };
    if s.decoded_len > max {
        unscanned(
            ctx,
            format!(
                "decodes to about {} bytes, more than the limit of {max}",
                s.decoded_len
            ),
        );
        return Ok(());
    }
    let raw = src.read_vec(start, usize::try_from(len).unwrap_or(usize::MAX))?;
    let Some(decoded) = s.encoding.decode(&raw) else {
        unscanned(ctx, format!("is not valid {enc} as a whole"));
        return Ok(());
    };
    drop(raw);
    // A pickle stream ends with STOP: random bytes that merely start like one do not.
    if matches!(s.format, Format::Pickle) && decoded.last() != Some(&b'.') {
        return Ok(());
    }
    let severity = if s.format.can_run_code_on_load() {
        Code::ConfigEmbeddedPayload.default_severity()
    } else {
        Severity::Low
    };
    let name = format!("<{enc} at {start}>");
    ctx.report_with(
        Code::ConfigEmbeddedPayload,
        severity,
        Some(start),
        format!(
            "{origin}: a {len}-character {enc} string at byte {start} decodes to a {}-byte {what}; whatever decodes and loads it reads that file, so it was inspected as the nested member {name}",
            decoded.len()
        ),
        evidence,
    );
    let format = ctx.enter(&name, |ctx| super::inspect_source(&decoded, ctx, ""))?;
    if let Some(format) = format {
        let chain = ctx
            .member()
            .map_or_else(|| name.clone(), |m| format!("{m}!{name}"));
        ctx.facts.members.push(super::Member {
            name: chain,
            size: decoded.len() as u64,
            format,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::formats::keras::tests::zip as keras_zip;
    use crate::limits::Limits;
    use crate::policy::Policy;

    /// `os.system('echo aibom-sample')`, protocol 2.
    const MAL: &[u8] = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    fn run_with(text: &str, limits: &Limits) -> Vec<Finding> {
        let policy = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &policy, "config.json");
        scan(&text.as_bytes().to_vec(), &mut ctx, "config.json").unwrap();
        ctx.findings
    }

    fn run(text: &str) -> Vec<Finding> {
        run_with(text, &Limits::default())
    }

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn base64_pickle_in_json_is_scanned_as_a_nested_file() {
        let text = format!(r#"{{"name": "x", "module": "{}"}}"#, b64(MAL));
        let f = run(&text);
        assert!(codes(&f).contains(&Code::ConfigEmbeddedPayload), "{f:?}");
        let bad = f
            .iter()
            .find(|f| f.code == Code::PickleDangerousGlobal)
            .expect("the pickle's findings carry through");
        assert_eq!(bad.severity, Severity::Critical);
        assert_eq!(bad.location.member.as_deref(), Some("<base64 at 25>"));
        let p = f
            .iter()
            .find(|f| f.code == Code::ConfigEmbeddedPayload)
            .unwrap();
        assert_eq!(p.severity, Severity::Medium);
        assert!(
            p.message.contains("decodes to a 38-byte pickle"),
            "{}",
            p.message
        );
    }

    #[test]
    fn hex_and_urlsafe_pickles_are_scanned_too() {
        let text = format!("payload: {}\n", hex::encode(MAL));
        let f = run(&text);
        assert!(codes(&f).contains(&Code::PickleDangerousGlobal), "{f:?}");
        assert!(f.iter().any(|f| f.message.contains("hex string")));
        // A pickle whose base64 uses the URL-safe alphabet.
        let long = base64::engine::general_purpose::URL_SAFE.encode(
            [
                b"\x80\x02\x8c\x04\xfb\xff\xfe\xfd\x94".as_slice(),
                &[b'N'; 20],
                b".",
            ]
            .concat(),
        );
        assert!(long.contains('-') || long.contains('_'), "{long}");
        let f = run(&format!("x = \"{long}\""));
        assert!(codes(&f).contains(&Code::ConfigEmbeddedPayload), "{f:?}");
    }

    #[test]
    fn plain_text_digests_and_short_strings_are_not_payloads() {
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let words = "the_quick_brown_fox_jumps_over_the_lazy_dog_and_keeps_running";
        let image = b64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0");
        let text = format!(
            "{{\"sha\": \"{sha}\", \"k\": \"{words}\", \"png\": \"{image}\", \"s\": \"{}\"}}",
            b64(b"\x80\x02N.")
        );
        assert!(run(&text).is_empty());
        // A run that starts like a pickle but does not end with STOP is left alone.
        let cut = b64(&MAL[..MAL.len() - 1]);
        assert!(run(&cut).is_empty());
    }

    #[test]
    fn runs_split_across_fed_pieces_are_joined() {
        let text = format!("a: {}\n", b64(MAL));
        let policy = Policy::new(&[], false).unwrap();
        let limits = Limits::default();
        let mut ctx = Ctx::new(&limits, &policy, "c.yaml");
        let src = text.as_bytes().to_vec();
        let mut p = Payloads::new("c.yaml");
        for (i, chunk) in src.chunks(7).enumerate() {
            p.feed(chunk, (i * 7) as u64, &src, &mut ctx).unwrap();
        }
        p.finish(&src, &mut ctx).unwrap();
        assert!(
            codes(&ctx.findings).contains(&Code::PickleDangerousGlobal),
            "{:?}",
            ctx.findings
        );
    }

    #[test]
    fn payload_larger_than_the_cap_is_reported_not_decoded() {
        let mut big = MAL.to_vec();
        big.splice(2..2, std::iter::repeat_n(b'N', 200));
        let limits = Limits {
            max_embedded_payload: 64,
            ..Limits::default()
        };
        let f = run_with(&b64(&big), &limits);
        assert_eq!(codes(&f), vec![Code::ConfigEmbeddedPayload], "{f:?}");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("not inspected"), "{}", f[0].message);
    }

    #[test]
    fn nesting_stops_at_the_depth_limit() {
        // base64 of a JSON config whose value is base64 of ... a pickle: each level is a zip
        // member holding the next config, so the chain is archives in archives.
        let mut inner = b64(MAL);
        for _ in 0..10 {
            let config = format!("{{\"m\": \"{inner}\"}}");
            inner = b64(&keras_zip(&[("c.json", config.as_bytes())], false));
        }
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        let f = run_with(&inner, &limits);
        assert!(codes(&f).contains(&Code::ArchiveDepthExceeded), "{f:?}");
        assert!(!codes(&f).contains(&Code::PickleDangerousGlobal));
    }

    #[test]
    fn payloads_past_the_cap_are_reported_once_and_not_inspected() {
        let pickle = b64(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.");
        let text = format!(
            "{{\"a\": [{}]}}",
            vec![format!("\"{pickle}\""); 5].join(",")
        );
        let limits = Limits {
            max_embedded_payloads: 3,
            ..Limits::default()
        };
        let found = run_with(&text, &limits);
        let capped: Vec<_> = found
            .iter()
            .filter(|f| f.message.contains("more than 3 strings"))
            .collect();
        assert_eq!(capped.len(), 1, "{found:#?}");
        assert_eq!(capped[0].severity, Severity::High);
        let nested = found
            .iter()
            .filter(|f| f.code == Code::PickleDangerousGlobal)
            .count();
        assert_eq!(nested, 3, "{found:#?}");
    }

    #[test]
    fn hostile_runs_cost_one_pass() {
        // A megabyte of base64 characters, and a megabyte of short runs: nothing found, fast.
        let long = "A".repeat(1 << 20);
        assert!(run(&long).is_empty());
        let short = "abcd,".repeat(200_000);
        assert!(run(&short).is_empty());
        // Runs whose head is a zip magic but whose body is garbage: each is one nested zip,
        // found broken.
        let fake = b64(&[b"PK\x03\x04".as_slice(), &[0u8; 40]].concat());
        let f = run(&format!("{fake} {fake}"));
        assert!(codes(&f).contains(&Code::ConfigEmbeddedPayload), "{f:?}");
    }
}
