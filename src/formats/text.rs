//! Text and JSON files: Git LFS pointers, committed credentials, chat templates.
//!
//! - **Git LFS pointers.** A pointer (<https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md>:
//!   `version https://git-lfs.github.com/spec/v1`, `oid sha256:<64 hex>`, `size <n>`, under
//!   1024 bytes) where a file should be means the clone skipped the LFS download: the release
//!   is incomplete (`lfs-pointer`, with the object's oid and size as the expected value).
//! - **Secrets** (`secret-exposed`, CWE-798): access tokens and keys with a recognisable shape
//!   (Hugging Face, AWS, GitHub, GitLab, Slack, Google, OpenAI, Anthropic, PEM private keys),
//!   and in `.env` files any `PASSWORD=`/`API_KEY=`-like assignment. The matchers are written
//!   by hand: each checks a word boundary on both sides (no match inside a longer identifier),
//!   the exact length or minimum length of the token's body, and skips placeholders
//!   (`hf_xxxx…`, `AKIAIOSFODNN7EXAMPLE`, `<your-token>`, runs of one character). A finding
//!   names the file, the line and the kind of secret; it never contains the secret: at most
//!   its first four characters are shown, followed by `…`. Each distinct secret is reported
//!   once per file, with the number of further occurrences. Jupyter notebooks are also parsed
//!   and their cell outputs scanned as decoded text (JSON escapes such as `\/` can hide a key
//!   from the scan of the raw bytes).
//! - **Chat templates** (`tokenizer_config.json`, `chat_template.json`,
//!   `processor_config.json`: the `chat_template` string or list of `{name, template}`; any
//!   `*.jinja` file whole) go to [`super::template::check_template`].
//! - **Configs that load code or carry files**: Hydra/OmegaConf `_target_` keys go to
//!   [`super::hydra`] (not in prose, notebooks or Python files), and base64 or hex strings that
//!   decode to a model file to [`super::embedded`], which inspects them as nested members. Both
//!   read every byte once, in the whole file or window by window.
//!
//! Bounds: a file up to [`Limits::max_text_window`] (16 MiB) is read whole and parsed where
//! needed. A larger file is scanned for secrets only, whole, in windows of that size that
//! overlap by `CONTEXT` (4 KiB) bytes: a match is reported by the window whose core holds its start,
//! and every match and the context it looks at fit in the overlap. JSON of that size is not
//! parsed (templates and notebook outputs live in small files).
//!
//! [`Limits::max_text_window`]: crate::limits::Limits::max_text_window
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Ctx;
use crate::detect::Format;
use crate::finding::{Code, Evidence};
use crate::source::Source;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io;

/// Git LFS pointer files are smaller than this (the spec says so; git-lfs checks it).
const LFS_MAX: u64 = 1024;
/// Bytes of context on each side of a window's core. Matches are at most [`MAX_BODY`] plus a
/// prefix long, and look at most [`AWS_PAIR_DISTANCE`] plus a key's length around them.
const CONTEXT: usize = 4096;
/// The smallest window, whatever the limits say (it must hold the context on both sides).
const MIN_WINDOW: u64 = 64 << 10;
/// Longest token body considered; longer runs are not tokens (base64 blobs, hashes).
const MAX_BODY: usize = 255;
/// How far from an AWS access key id its secret key is looked for.
const AWS_PAIR_DISTANCE: usize = 256;

/// Secrets, Git LFS pointers and chat templates in text and JSON files.
pub fn inspect(src: &dyn Source, ctx: &mut Ctx, name: &str, format: Format) -> io::Result<()> {
    let len = src.len();
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let window = ctx.limits.max_text_window.max(MIN_WINDOW);
    let mut secrets = Secrets::new(is_env_file(base), ctx.limits.max_findings);

    if len <= window {
        let bytes = src.read_vec(0, usize::try_from(len).unwrap_or(usize::MAX))?;
        if len < LFS_MAX
            && let Some(p) = lfs_pointer(&bytes)
        {
            report_lfs(ctx, name, len, &p);
            return Ok(());
        }
        secrets.scan(&bytes, 0, bytes.len(), 0, 1);
        let mut payloads = super::embedded::Payloads::new(name);
        payloads.feed(&bytes, 0, src, ctx)?;
        payloads.finish(src, ctx)?;
        if super::hydra::wanted(base) {
            super::hydra::check(&bytes, ctx, name);
        }
        // Parsed only where something is read from the structure (a tokenizer.json of a few
        // MB would cost ten times that as a Value, for nothing).
        let wanted = base.ends_with(".ipynb") || TEMPLATE_FILES.contains(&base);
        let json = (format == Format::Json && wanted)
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten();
        if base.ends_with(".ipynb")
            && let Some(nb) = &json
        {
            secrets.scan_notebook(nb);
        }
        secrets.report(ctx, name);
        if let Some(v) = &json {
            for (origin, t) in chat_templates(base, v) {
                super::template::check_template(t, &origin, None, ctx);
            }
        }
        if base.ends_with(".jinja") {
            super::template::check_template(&String::from_utf8_lossy(&bytes), base, Some(0), ctx);
        }
        return Ok(());
    }

    // Larger than one window: secrets only, in overlapping windows.
    let win = usize::try_from(window).unwrap_or(usize::MAX);
    let mut start = 0u64;
    let mut line = 1u64;
    let mut payloads = super::embedded::Payloads::new(name);
    let mut targets = super::hydra::wanted(base).then(|| super::hydra::Targets::new(name));
    loop {
        let buf = src.read_vec(start, win)?;
        let last = start.saturating_add(buf.len() as u64) >= len || buf.len() < win;
        let from = if start == 0 { 0 } else { CONTEXT };
        // Unless last, the buffer is a full window of at least MIN_WINDOW > 2 * CONTEXT bytes.
        let to = if last {
            buf.len()
        } else {
            buf.len().saturating_sub(CONTEXT)
        };
        secrets.scan(&buf, from, to, start, line);
        // The cores of consecutive windows are consecutive: the payload scan sees every byte
        // once, in order.
        let core = buf.get(from..to).unwrap_or_default();
        payloads.feed(core, start.saturating_add(from as u64), src, ctx)?;
        if let Some(t) = targets.as_mut() {
            super::hydra::read_targets(&buf, from, to, start, line, |h| t.add(ctx, h));
        }
        if last {
            break;
        }
        // The next window's core starts where this one's ends, behind CONTEXT bytes.
        let next = to.saturating_sub(CONTEXT);
        line = line.saturating_add(count_lines(buf.get(..next).unwrap_or_default()));
        start = start.saturating_add(next as u64);
    }
    secrets.report(ctx, name);
    payloads.finish(src, ctx)?;
    if let Some(t) = targets {
        t.finish(ctx);
    }
    Ok(())
}

fn count_lines(b: &[u8]) -> u64 {
    b.iter().filter(|c| **c == b'\n').count() as u64
}

fn is_env_file(base: &str) -> bool {
    base == ".env" || base == ".envrc" || base.starts_with(".env.") || base.ends_with(".env")
}

// ---------------------------------------------------------------------------------------------
// Git LFS pointers

#[derive(Debug, PartialEq, Eq)]
struct LfsPointer {
    oid: Option<String>,
    size: Option<u64>,
}

/// A pointer file: the version line first, then `key value` lines.
fn lfs_pointer(b: &[u8]) -> Option<LfsPointer> {
    let text = std::str::from_utf8(b).ok()?;
    let mut lines = text.lines();
    let version = lines.next()?.strip_prefix("version ")?;
    if !(version.starts_with("https://git-lfs.github.com/spec/")
        || version == "https://hawser.github.com/spec/v1")
    {
        return None;
    }
    let mut p = LfsPointer {
        oid: None,
        size: None,
    };
    for l in lines {
        if let Some(hex) = l.strip_prefix("oid sha256:") {
            if hex.len() == 64 && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                p.oid = Some(hex.to_ascii_lowercase());
            }
        } else if let Some(n) = l.strip_prefix("size ") {
            p.size = n.trim().parse().ok();
        }
    }
    Some(p)
}

fn report_lfs(ctx: &mut Ctx, name: &str, len: u64, p: &LfsPointer) {
    let object = match (&p.oid, p.size) {
        (Some(o), Some(s)) => format!("sha256:{o}, {s} bytes"),
        (Some(o), None) => format!("sha256:{o}, size not given"),
        (None, Some(s)) => format!("no valid oid, {s} bytes"),
        (None, None) => "no valid oid or size".to_owned(),
    };
    ctx.report_with(
        Code::LfsPointer,
        Code::LfsPointer.default_severity(),
        None,
        format!(
            "{name} is a {len}-byte Git LFS pointer, not the file ({object}): the object was never downloaded (git lfs pull)"
        ),
        Evidence {
            rule: Some("git-lfs pointer".into()),
            expected: Some(object),
            actual: Some(format!("{len}-byte pointer file")),
            ..Evidence::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Chat templates

/// Base names of JSON files with a `chat_template` key.
const TEMPLATE_FILES: &[&str] = &[
    "tokenizer_config.json",
    "chat_template.json",
    "processor_config.json",
];

/// The chat templates of a tokenizer or processor config: a string, or a list of
/// `{"name", "template"}` (named templates such as `default`, `tool_use`, `rag`).
fn chat_templates<'v>(base: &str, v: &'v Value) -> Vec<(String, &'v str)> {
    if !TEMPLATE_FILES.contains(&base) {
        return Vec::new();
    }
    match v.get("chat_template") {
        Some(Value::String(t)) => vec![(format!("{base}: chat_template"), t.as_str())],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let t = item.get("template")?.as_str()?;
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                Some((format!("{base}: chat_template[{name}]"), t))
            })
            .collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// The kinds of secret recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    HuggingFace,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    GitHub,
    GitLab,
    Slack,
    GoogleApiKey,
    OpenAi,
    Anthropic,
    PrivateKey,
    Assignment,
}

impl Kind {
    /// The stable name in `evidence.name`.
    fn id(self) -> &'static str {
        match self {
            Kind::HuggingFace => "huggingface-token",
            Kind::AwsAccessKeyId => "aws-access-key-id",
            Kind::AwsSecretAccessKey => "aws-secret-access-key",
            Kind::GitHub => "github-token",
            Kind::GitLab => "gitlab-token",
            Kind::Slack => "slack-token",
            Kind::GoogleApiKey => "google-api-key",
            Kind::OpenAi => "openai-api-key",
            Kind::Anthropic => "anthropic-api-key",
            Kind::PrivateKey => "private-key",
            Kind::Assignment => "credential-assignment",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::HuggingFace => "a Hugging Face access token",
            Kind::AwsAccessKeyId => "an AWS access key id",
            Kind::AwsSecretAccessKey => "an AWS secret access key",
            Kind::GitHub => "a GitHub token",
            Kind::GitLab => "a GitLab personal access token",
            Kind::Slack => "a Slack token",
            Kind::GoogleApiKey => "a Google API key",
            Kind::OpenAi => "an OpenAI API key",
            Kind::Anthropic => "an Anthropic API key",
            Kind::PrivateKey => "a private key",
            Kind::Assignment => "a credential",
        }
    }

    /// The shape that matched, for `evidence.rule`.
    fn rule(self) -> &'static str {
        match self {
            Kind::HuggingFace => "hf_ + 34 or more letters and digits",
            Kind::AwsAccessKeyId => "AKIA/ASIA + 16 upper-case letters and digits",
            Kind::AwsSecretAccessKey => {
                "40 base64 characters beside an AWS access key id or secret_access_key"
            }
            Kind::GitHub => "ghp_/gho_/ghu_/ghs_/ghr_ + 36 characters, or github_pat_ + 82",
            Kind::GitLab => "glpat- + 20 or more characters",
            Kind::Slack => "xoxb-/xoxa-/xoxp-/xoxr-/xoxs- + 20 or more characters",
            Kind::GoogleApiKey => "AIza + 35 characters",
            Kind::OpenAi => "sk- + 32 or more characters (legacy, project and service keys)",
            Kind::Anthropic => "sk-ant- + 32 or more characters",
            Kind::PrivateKey => "-----BEGIN ... PRIVATE KEY----- followed by key data",
            Kind::Assignment => "PASSWORD=/SECRET=/TOKEN=/API_KEY= assignment in a .env file",
        }
    }
}

/// One match in a buffer: the secret is `[start, end)`; `shown` is what a finding may show.
#[derive(Debug, Clone)]
struct Hit {
    kind: Kind,
    start: usize,
    end: usize,
    shown: String,
}

/// A distinct secret found in the file (never the secret itself).
struct Found {
    kind: Kind,
    offset: Option<u64>,
    /// `line 12` or `cell 3, output 1, line 2`.
    place: String,
    shown: String,
    more: u64,
}

/// The secrets of one file, deduplicated by a hash of (kind, value).
struct Secrets {
    env: bool,
    max: usize,
    found: Vec<Found>,
    seen: HashMap<u64, usize>,
    /// Hits past the end of a window's core (a secret key found beside an access key id
    /// just before the edge), by fingerprint and offset: the next window sees them again.
    ahead: HashSet<(u64, u64)>,
}

fn fingerprint(kind: Kind, secret: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    secret.hash(&mut h);
    h.finish()
}

impl Secrets {
    fn new(env: bool, max: usize) -> Self {
        Secrets {
            env,
            max,
            found: Vec::new(),
            seen: HashMap::new(),
            ahead: HashSet::new(),
        }
    }

    /// Scans `buf[from..to]` (matches may look into the rest of `buf`); `base` is the file
    /// offset of `buf[0]` and `line` its line number.
    fn scan(&mut self, buf: &[u8], from: usize, to: usize, base: u64, line: u64) {
        let hits = find_secrets(buf, from, to, self.env);
        // File offsets and line numbers: bounded by the file's length.
        let core_start = base.saturating_add(from as u64);
        self.ahead.retain(|(_, off)| *off >= core_start);
        let mut line = line;
        let mut pos = 0;
        for h in hits {
            line = line.saturating_add(count_lines(buf.get(pos..h.start).unwrap_or_default()));
            pos = h.start;
            let secret = buf.get(h.start..h.end).unwrap_or_default();
            let off = base.saturating_add(h.start as u64);
            let key = (fingerprint(h.kind, secret), off);
            if self.ahead.contains(&key) {
                continue;
            }
            if h.start >= to {
                self.ahead.insert(key);
            }
            self.add(&h, secret, Some(off), format!("line {line}"), true);
        }
    }

    /// Decoded cell outputs of a notebook (nbformat 4: `cells[].outputs[]` with `text`,
    /// `data` and `traceback`). Secrets already found in the raw bytes are not repeated.
    fn scan_notebook(&mut self, nb: &Value) {
        let Some(cells) = nb.get("cells").and_then(Value::as_array) else {
            return;
        };
        for (ci, cell) in (1u64..).zip(cells) {
            let Some(outputs) = cell.get("outputs").and_then(Value::as_array) else {
                continue;
            };
            for (oi, out) in (1u64..).zip(outputs) {
                let mut texts = Vec::new();
                collect_text(out.get("text"), &mut texts);
                collect_text(out.get("traceback"), &mut texts);
                collect_text(out.get("evalue"), &mut texts);
                if let Some(Value::Object(data)) = out.get("data") {
                    for v in data.values() {
                        collect_text(Some(v), &mut texts);
                    }
                }
                for text in texts {
                    let b = text.as_bytes();
                    let mut hits = find_secrets(b, 0, b.len(), false);
                    hits.sort_by_key(|h| h.start);
                    for h in hits {
                        let line =
                            count_lines(b.get(..h.start).unwrap_or_default()).saturating_add(1);
                        let secret = b.get(h.start..h.end).unwrap_or_default();
                        let place = format!("cell {ci}, output {oi}, line {line}");
                        self.add(&h, secret, None, place, false);
                    }
                }
            }
        }
    }

    /// `count_repeats`: a repeat in the raw bytes is another occurrence; a repeat in the
    /// decoded pass is the same occurrence seen again.
    fn add(
        &mut self,
        h: &Hit,
        secret: &[u8],
        offset: Option<u64>,
        place: String,
        count_repeats: bool,
    ) {
        let fp = fingerprint(h.kind, secret);
        if let Some(&i) = self.seen.get(&fp) {
            if count_repeats && let Some(f) = self.found.get_mut(i) {
                f.more = f.more.saturating_add(1);
            }
            return;
        }
        if self.found.len() >= self.max {
            return;
        }
        self.seen.insert(fp, self.found.len());
        self.found.push(Found {
            kind: h.kind,
            offset,
            place,
            shown: h.shown.clone(),
            more: 0,
        });
    }

    fn report(self, ctx: &mut Ctx, name: &str) {
        for f in self.found {
            let more = match f.more {
                0 => String::new(),
                1 => ", and once more in the file".to_owned(),
                n => format!(", and {n} more times in the file"),
            };
            ctx.report_with(
                Code::SecretExposed,
                Code::SecretExposed.default_severity(),
                f.offset,
                format!(
                    "{} ({}) is committed in {name}, {}{more}: revoke it and remove it from the history",
                    f.kind.what(),
                    f.shown,
                    f.place
                ),
                Evidence {
                    name: Some(f.kind.id().into()),
                    rule: Some(f.kind.rule().into()),
                    actual: Some(f.place),
                    ..Evidence::default()
                },
            );
        }
    }
}

fn collect_text(v: Option<&Value>, out: &mut Vec<String>) {
    match v {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(items)) => {
            // nbformat splits multi-line text into a list of lines that keep their '\n'.
            let joined: String = items.iter().filter_map(Value::as_str).collect();
            out.push(joined);
        }
        _ => {}
    }
}

/// The first characters of a secret, at most four, then `…`.
fn shown(secret: &[u8]) -> String {
    let head: String = secret
        .iter()
        .take(4)
        .map(|b| {
            if b.is_ascii_graphic() {
                *b as char
            } else {
                '?'
            }
        })
        .collect();
    format!("{head}…")
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// URL-safe token characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The byte before `i` is not of `class` (or there is none).
fn boundary_before(buf: &[u8], i: usize, class: fn(u8) -> bool) -> bool {
    i.checked_sub(1)
        .and_then(|before| buf.get(before))
        .is_none_or(|b| !class(*b))
}

/// Length of the run of `class` bytes at `at`, counted up to `MAX_BODY + 1`.
fn run(buf: &[u8], at: usize, class: fn(u8) -> bool) -> usize {
    buf.get(at..)
        .unwrap_or_default()
        .iter()
        .take(MAX_BODY.saturating_add(1))
        .take_while(|b| class(**b))
        .count()
}

fn starts_with_at(buf: &[u8], i: usize, p: &[u8]) -> bool {
    buf.get(i..).is_some_and(|s| s.starts_with(p))
}

fn starts_with_ci(buf: &[u8], i: usize, p: &[u8]) -> bool {
    buf.get(i..i.saturating_add(p.len()))
        .is_some_and(|s| s.eq_ignore_ascii_case(p))
}

/// Words that mark documentation and templates rather than secrets.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"xxxx",
    b"example",
    b"your",
    b"placeholder",
    b"redacted",
    b"dummy",
    b"changeme",
    b"abcdefgh",
    b"12345678",
    b"****",
    b"....",
];

/// An obvious placeholder: a marker word, or too few distinct characters to be random
/// (`hf_aaaa…`, `AKIAAAAABBBBCCCCDDDD`).
fn placeholder(body: &[u8]) -> bool {
    if body.is_empty() {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    if PLACEHOLDER_WORDS
        .iter()
        .any(|w| lower.windows(w.len()).any(|x| x == *w))
    {
        return true;
    }
    let mut seen = [false; 256];
    for b in body {
        if let Some(seen) = seen.get_mut(usize::from(*b)) {
            *seen = true;
        }
    }
    let distinct = seen.iter().filter(|s| **s).count();
    distinct.saturating_mul(3) < body.len()
}

fn mixed_case(b: &[u8]) -> bool {
    b.iter().any(u8::is_ascii_uppercase) && b.iter().any(u8::is_ascii_lowercase)
}

fn has_digit(b: &[u8]) -> bool {
    b.iter().any(u8::is_ascii_digit)
}

/// A prefixed token at `i`: `prefix` then a body of `class` bytes whose length is in
/// `min..=max`, not continued by a word character, and not a placeholder.
fn prefixed(
    buf: &[u8],
    i: usize,
    prefix: &[u8],
    class: fn(u8) -> bool,
    min: usize,
    max: usize,
    kind: Kind,
) -> Option<Hit> {
    if !starts_with_at(buf, i, prefix) {
        return None;
    }
    // Positions in `buf` plus lengths of at most a few hundred bytes.
    let body_at = i.saturating_add(prefix.len());
    let n = run(buf, body_at, class);
    if n < min || n > max {
        return None;
    }
    let end = body_at.saturating_add(n);
    if buf.get(end).is_some_and(|b| is_token(*b)) {
        return None;
    }
    let body = buf.get(body_at..end)?;
    if placeholder(body) {
        return None;
    }
    Some(Hit {
        kind,
        start: i,
        end,
        shown: shown(buf.get(i..end)?),
    })
}

fn huggingface(buf: &[u8], i: usize) -> Option<Hit> {
    let h = prefixed(buf, i, b"hf_", is_alnum, 34, MAX_BODY, Kind::HuggingFace)?;
    mixed_case(buf.get(i.saturating_add(3)..h.end)?).then_some(h)
}

fn aws_key_id(buf: &[u8], i: usize) -> Option<Hit> {
    [&b"AKIA"[..], b"ASIA"]
        .iter()
        .find_map(|p| prefixed(buf, i, p, is_upper_alnum, 16, 16, Kind::AwsAccessKeyId))
}

/// A 40-character secret access key at `at` (base64 alphabet, bounded on both sides).
fn aws_secret_at(buf: &[u8], at: usize) -> Option<Hit> {
    if !boundary_before(buf, at, is_b64) || run(buf, at, is_b64) != 40 {
        return None;
    }
    let end = at.saturating_add(40);
    let body = buf.get(at..end)?;
    if placeholder(body) || !mixed_case(body) || !has_digit(body) {
        return None;
    }
    Some(Hit {
        kind: Kind::AwsSecretAccessKey,
        start: at,
        end,
        shown: shown(body),
    })
}

/// The secret key that usually follows an access key id (credentials files and CSVs).
fn aws_secret_near(buf: &[u8], after: usize) -> Option<Hit> {
    let end = buf.len().min(after.saturating_add(AWS_PAIR_DISTANCE));
    (after..end).find_map(|j| aws_secret_at(buf, j))
}

const AWS_SECRET_NAMES: &[&[u8]] = &[
    b"aws_secret_access_key",
    b"secret_access_key",
    b"secretaccesskey",
    b"secret-access-key",
    b"aws_secret_key",
];

/// `aws_secret_access_key = <40 chars>` and its spellings (`SecretAccessKey": "...`).
fn aws_secret_named(buf: &[u8], i: usize) -> Option<Hit> {
    let name = AWS_SECRET_NAMES
        .iter()
        .find(|n| starts_with_ci(buf, i, n))?;
    let mut j = i.saturating_add(name.len());
    let mut assigned = false;
    for _ in 0..8 {
        match buf.get(j) {
            Some(b'=' | b':') => assigned = true,
            Some(b' ' | b'\t' | b'"' | b'\'') => {}
            _ => break,
        }
        j = j.saturating_add(1);
    }
    if !assigned {
        return None;
    }
    aws_secret_at(buf, j)
}

fn github(buf: &[u8], i: usize) -> Option<Hit> {
    if let Some(h) = prefixed(buf, i, b"github_pat_", is_word, 82, MAX_BODY, Kind::GitHub) {
        return Some(h);
    }
    let classic: [&[u8]; 5] = [b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"];
    classic
        .iter()
        .find_map(|p| prefixed(buf, i, p, is_alnum, 36, MAX_BODY, Kind::GitHub))
}

fn gitlab(buf: &[u8], i: usize) -> Option<Hit> {
    prefixed(buf, i, b"glpat-", is_token, 20, MAX_BODY, Kind::GitLab)
}

fn slack(buf: &[u8], i: usize) -> Option<Hit> {
    let kinds: [&[u8]; 5] = [b"xoxb-", b"xoxa-", b"xoxp-", b"xoxr-", b"xoxs-"];
    let is_slack = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let h = kinds
        .iter()
        .find_map(|p| prefixed(buf, i, p, is_slack, 20, MAX_BODY, Kind::Slack))?;
    has_digit(buf.get(i.saturating_add(5)..h.end)?).then_some(h)
}

fn google(buf: &[u8], i: usize) -> Option<Hit> {
    prefixed(buf, i, b"AIza", is_token, 35, 35, Kind::GoogleApiKey)
}

/// `sk-ant-…` (Anthropic) before `sk-…` (OpenAI: legacy, `sk-proj-`, `sk-svcacct-`).
fn sk_key(buf: &[u8], i: usize) -> Option<Hit> {
    if starts_with_at(buf, i, b"sk-ant-") {
        return prefixed(buf, i, b"sk-ant-", is_token, 32, MAX_BODY, Kind::Anthropic);
    }
    let h = prefixed(buf, i, b"sk-", is_token, 32, MAX_BODY, Kind::OpenAi)?;
    let body = buf.get(i.saturating_add(3)..h.end)?;
    (mixed_case(body) && has_digit(body)).then_some(h)
}

const PEM_KINDS: &[&[u8]] = &[b"RSA ", b"EC ", b"OPENSSH ", b"DSA ", b"ENCRYPTED ", b""];

/// `-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----` followed by key data
/// (base64, or the `Proc-Type:` header of an encrypted PEM), also inside a JSON string where
/// the line breaks are `\n` escapes.
fn private_key(buf: &[u8], i: usize) -> Option<Hit> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const TAIL: &[u8] = b"PRIVATE KEY-----";
    if !starts_with_at(buf, i, BEGIN) {
        return None;
    }
    // Positions in `buf` plus a few hundred bytes at most.
    let at = i.saturating_add(BEGIN.len());
    let kind = PEM_KINDS.iter().find(|k| {
        starts_with_at(buf, at, k) && starts_with_at(buf, at.saturating_add(k.len()), TAIL)
    })?;
    let header_end = at.saturating_add(kind.len()).saturating_add(TAIL.len());
    // Line breaks, escaped line breaks and JSON list punctuation before the data.
    let mut j = header_end;
    for _ in 0..64 {
        let step = match (buf.get(j), buf.get(j.saturating_add(1))) {
            (Some(b'\\'), Some(b'n' | b'r')) => 2,
            (Some(b' ' | b'\t' | b'\r' | b'\n' | b'"' | b','), _) => 1,
            _ => break,
        };
        j = j.saturating_add(step);
    }
    let data = run(buf, j, |b| is_b64(b) || b == b'=');
    let data_end = j.saturating_add(data);
    let encrypted = starts_with_at(buf, j, b"Proc-Type:");
    if !encrypted && (data < 32 || placeholder(buf.get(j..data_end)?)) {
        return None;
    }
    let label = String::from_utf8_lossy(kind).trim().to_owned();
    Some(Hit {
        kind: Kind::PrivateKey,
        start: i,
        end: data_end,
        shown: if label.is_empty() {
            "PRIVATE KEY header".to_owned()
        } else {
            format!("{label} PRIVATE KEY header")
        },
    })
}

/// All secrets starting in `buf[from..to]`.
fn find_secrets(buf: &[u8], from: usize, to: usize, env: bool) -> Vec<Hit> {
    let mut hits = Vec::new();
    let to = to.min(buf.len());
    let mut i = from;
    while i < to {
        let Some(&b) = buf.get(i) else { break };
        let word_start = boundary_before(buf, i, is_word);
        let token_start = boundary_before(buf, i, is_token);
        let hit = match b {
            b'h' if word_start => huggingface(buf, i),
            b'A' if word_start => aws_key_id(buf, i)
                .or_else(|| (token_start).then(|| google(buf, i)).flatten())
                .or_else(|| aws_secret_named(buf, i)),
            b'g' if word_start => github(buf, i).or_else(|| gitlab(buf, i)),
            b'x' if word_start => slack(buf, i),
            b's' if token_start => sk_key(buf, i).or_else(|| aws_secret_named(buf, i)),
            b's' | b'S' | b'a' if word_start => aws_secret_named(buf, i),
            b'-' => private_key(buf, i),
            _ => None,
        };
        // i < to <= buf.len(): the step cannot overflow.
        let next = i.saturating_add(1);
        match hit {
            Some(h) => {
                i = h.end.max(next);
                if h.kind == Kind::AwsAccessKeyId
                    && let Some(s) = aws_secret_near(buf, h.end)
                {
                    hits.push(s);
                }
                hits.push(h);
            }
            None => i = next,
        }
    }
    if env {
        env_assignments(buf, from, to, &mut hits);
    }
    // An AWS secret key can be found both beside its id and after its name.
    hits.sort_by_key(|h| (h.start, h.end));
    hits.dedup_by(|a, b| a.start == b.start && a.kind == b.kind);
    hits
}

/// Key name parts that make an assignment a credential (`DB_PASSWORD`, `OPENAI_API_KEY`).
const SECRET_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIALS",
];
const SECRET_PAIRS: &[(&str, &str)] = &[("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY")];

fn secret_key_name(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split(['_', '-', '.']).collect();
    parts.iter().any(|p| SECRET_PARTS.contains(p))
        || parts
            .windows(2)
            .any(|w| SECRET_PAIRS.iter().any(|(a, b)| *w == [*a, *b]))
}

/// Values that are not secrets: references, booleans, numbers, placeholders.
fn placeholder_value(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    v.len() < 8
        || matches!(v.first(), Some(b'$' | b'<' | b'{' | b'%'))
        || v.iter().all(u8::is_ascii_digit)
        || ["none", "null", "true", "false"].contains(&String::from_utf8_lossy(&lower).as_ref())
        || placeholder(v)
}

/// `KEY=value` lines of a `.env` file whose key names a credential; lines that already hold
/// a recognised token are left to that token's finding.
fn env_assignments(buf: &[u8], from: usize, to: usize, hits: &mut Vec<Hit>) {
    let mut p = from;
    while p < to {
        let eol = buf
            .get(p..)
            .and_then(|r| r.iter().position(|b| *b == b'\n'))
            .map_or(buf.len(), |n| p.saturating_add(n));
        let at_line_start = p
            .checked_sub(1)
            .is_none_or(|before| buf.get(before) == Some(&b'\n'));
        if at_line_start
            && !hits.iter().any(|h| h.start >= p && h.start < eol)
            && let Some(h) = env_line(buf, p, eol)
        {
            hits.push(h);
        }
        p = eol.saturating_add(1);
    }
}

fn env_line(buf: &[u8], start: usize, eol: usize) -> Option<Hit> {
    let line = buf.get(start..eol)?;
    let text = std::str::from_utf8(line).ok()?;
    let trimmed = text.trim_start();
    let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        || !secret_key_name(key)
    {
        return None;
    }
    let value = value.trim();
    let value = match value.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) => {
            let inner = value.get(1..)?;
            inner.split(char::from(*q)).next().unwrap_or(inner)
        }
        _ => value.split(" #").next().unwrap_or(value).trim(),
    };
    if placeholder_value(value.as_bytes()) {
        return None;
    }
    let eq = text.find('=')?;
    // Positions inside `buf`.
    let after_eq = eq.saturating_add(1);
    let vstart = start
        .saturating_add(after_eq)
        .saturating_add(text.get(after_eq..)?.find(value)?);
    Some(Hit {
        kind: Kind::Assignment,
        start: vstart,
        end: vstart.saturating_add(value.len()),
        shown: format!("assigned to {key}"),
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::limits::Limits;
    use crate::policy::Policy;

    // Fake, pattern-valid tokens (never real credentials): "AibomFake" plus filler.
    const HF: &str = "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1";
    const AWS_ID: &str = "AKIAAIBOMFAKE7Q2W3XY";
    const AWS_SECRET: &str = "AibomFake9sQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9";
    const GHP: &str = "ghp_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbNm1";
    const GH_PAT: &str = "github_pat_11AIBOMFAKE0QwErTyUiOpAs_DfGhJkLzXcVbNm7301928465QwErTyUiOpAsDfGhJkLzXcVbNm73019Qw";
    const GLPAT: &str = "glpat-AibomFake1QwErTyUiOp";
    const SLACK: &str = "xoxb-730192846501-5820394817263-AibomFakeQwErTyUi";
    const GOOGLE: &str = "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXcV";
    const OPENAI: &str = "sk-proj-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm";
    const ANTHROPIC: &str = "sk-ant-api03-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm";

    fn run_with(text: &[u8], name: &str, limits: &Limits) -> Vec<Finding> {
        let p = Policy::new(&[], false).unwrap();
        let mut ctx = Ctx::new(limits, &p, name);
        let format = if text.first() == Some(&b'{') {
            Format::Json
        } else {
            Format::Text
        };
        inspect(&text.to_vec(), &mut ctx, name, format).unwrap();
        ctx.findings
    }

    fn run(text: &str, name: &str) -> Vec<Finding> {
        run_with(text.as_bytes(), name, &Limits::default())
    }

    fn kinds(f: &[Finding]) -> Vec<String> {
        f.iter().filter_map(|f| f.evidence.name.clone()).collect()
    }

    /// The finding, serialized whole, never holds the secret or its end, and the message
    /// shows at most its first 4 characters.
    fn assert_hidden(f: &[Finding], secret: &str) {
        for x in f {
            let json = serde_json::to_string(x).unwrap();
            assert!(!json.contains(secret), "{json}");
            assert!(!json.contains(&secret[secret.len() - 12..]), "{json}");
            assert!(!x.message.contains(&secret[..5]), "{}", x.message);
        }
    }

    #[test]
    fn finds_each_kind_of_token_and_never_shows_it() {
        let table = [
            (HF, "huggingface-token"),
            (AWS_ID, "aws-access-key-id"),
            (GHP, "github-token"),
            (GH_PAT, "github-token"),
            (GLPAT, "gitlab-token"),
            (SLACK, "slack-token"),
            (GOOGLE, "google-api-key"),
            (OPENAI, "openai-api-key"),
            (ANTHROPIC, "anthropic-api-key"),
        ];
        for (secret, kind) in table {
            for wrap in [
                "token = \"{}\"\n",
                "{}",
                "x\n\n  url: https://u:{}@host\n",
                "'{}',",
            ] {
                let text = wrap.replace("{}", secret);
                let f = run(&text, "config.yaml");
                assert_eq!(kinds(&f), vec![kind], "{text:?}: {f:?}");
                assert_eq!(f[0].code, Code::SecretExposed);
                assert_eq!(f[0].severity, crate::finding::Severity::High);
                assert!(
                    f[0].message.contains(&format!("{}…", &secret[..4])),
                    "{}",
                    f[0].message
                );
                assert!(f[0].message.contains("config.yaml"));
                assert_hidden(&f, secret);
            }
        }
    }

    #[test]
    fn reports_the_line_number() {
        let text = format!("a\nb\n\nkey: {HF}\n");
        let f = run(&text, "notes.md");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.actual.as_deref(), Some("line 4"));
        assert!(f[0].message.contains("line 4"), "{}", f[0].message);
        assert_eq!(f[0].location.offset, Some(10));
    }

    #[test]
    fn aws_secret_key_beside_its_id_or_named() {
        let csv = format!("Access key ID,Secret access key\n{AWS_ID},{AWS_SECRET}\n");
        let f = run(&csv, "credentials.csv");
        assert_eq!(
            kinds(&f),
            vec!["aws-access-key-id", "aws-secret-access-key"],
            "{f:?}"
        );
        assert_hidden(&f, AWS_SECRET);
        let ini = format!("[default]\naws_secret_access_key = {AWS_SECRET}\n");
        let f = run(&ini, "credentials");
        assert_eq!(kinds(&f), vec!["aws-secret-access-key"], "{f:?}");
        assert_eq!(f[0].evidence.actual.as_deref(), Some("line 2"));
        let json = format!("{{\"SecretAccessKey\": \"{AWS_SECRET}\"}}");
        assert_eq!(kinds(&run(&json, "c.json")), vec!["aws-secret-access-key"]);
        // A 40-character string alone is not a key.
        assert!(run(&format!("sha: {AWS_SECRET}\n"), "x.txt").is_empty());
    }

    #[test]
    fn private_key_headers_need_key_data() {
        for kind in ["", "RSA ", "EC ", "OPENSSH ", "DSA ", "ENCRYPTED "] {
            let pem = format!(
                "-----BEGIN {kind}PRIVATE KEY-----\nQWlib20gZmFrZSBrZXkgZGF0YSwgbm90IGEga2V5IGF0IGFsbA==\n-----END {kind}PRIVATE KEY-----\n"
            );
            let f = run(&pem, "id_rsa");
            assert_eq!(kinds(&f), vec!["private-key"], "{kind}: {f:?}");
            assert!(!f[0].message.contains("QWlib20g"), "{}", f[0].message);
        }
        // In a JSON string with escaped line breaks.
        let json = r#"{"key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----"}"#;
        assert_eq!(kinds(&run(json, "sa.json")), vec!["private-key"]);
        // Encrypted PEM with headers.
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nabc\n";
        assert_eq!(kinds(&run(enc, "k.pem")), vec!["private-key"]);
        // Documentation: no key data.
        for doc in [
            "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
            "-----BEGIN PRIVATE KEY-----\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        ] {
            assert!(run(doc, "README.md").is_empty(), "{doc}");
        }
    }

    #[test]
    fn placeholders_and_look_alikes_do_not_match() {
        let negatives = [
            "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "hf_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "HF_TOKEN=<your-token>",
            "hf_YOUR_TOKEN_HERE",
            "use hf_hub_download to fetch",
            "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVb", // 33 characters
            "myhf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1",
            "hf_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbN1_suffix",
            "hf_alllowercaseletterswithoutanycaps",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY beside AKIAIOSFODNN7EXAMPLE",
            "AKIAAIBOMFAKE7Q2W3XYZ", // 17 characters
            "AKIAAIBOMFAKE7Q2W3X",   // 15 characters
            "XAKIAAIBOMFAKE7Q2W3XY",
            "MY_AKIAAIBOMFAKE7Q2W3XY",
            "AKIAAAAABBBBCCCCDDDD",
            "sk-...",
            "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "pip install scikit-learn; task-manager-configuration-for-the-cluster-v2",
            "sk-this-is-a-long-kebab-case-identifier-name",
            "disk-AibomFake1QwErTyUiOpAsDfGhJkLzXcVbNm",
            "ghp_AibomFakeQwErTyUiOpAsDfGhJkLzXcVbNm", // 35 characters
            "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXc",  // 34 characters
            "AIzaSyAibomFake-QwErTyUiOpAsDfGhJkLzXcV1", // 36 characters
            "glpat-short",
            "xoxb-your-bot-token-goes-here",
            "the tokenizer uses a special token for padding",
            "password=hunter22xyz",
        ];
        for n in negatives {
            let f = run(n, "README.md");
            assert!(f.is_empty(), "{n}: {f:?}");
        }
    }

    #[test]
    fn env_assignments_only_in_env_files() {
        let env = "# settings\nexport DB_PASSWORD='s3cr3t-Pa55word'\nOPENAI_API_KEY=\"Zm9vYmFyYmF6cXV4MTIz\"\nMAX_TOKENS=4096\nTOKENIZER_NAME=bert-base\nPASSWORD=\nAPI_KEY=${FROM_VAULT}\nSECRET_KEY=changeme\nDEBUG=true\n";
        let f = run(env, ".env");
        assert_eq!(kinds(&f), vec!["credential-assignment"; 2], "{f:?}");
        assert!(
            f[0].message.contains("assigned to DB_PASSWORD"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence.actual.as_deref(), Some("line 2"));
        assert_eq!(f[1].evidence.actual.as_deref(), Some("line 3"));
        assert_hidden(&f, "s3cr3t-Pa55word");
        assert_hidden(&f, "Zm9vYmFyYmF6cXV4MTIz");
        assert!(run(env, "settings.txt").is_empty());
        assert_eq!(run(env, "prod.env").len(), 2);
        assert_eq!(run(env, ".env.local").len(), 2);
        // A recognised token on the line is reported as that token, once.
        let f = run(&format!("HF_TOKEN={HF}\n"), ".env");
        assert_eq!(kinds(&f), vec!["huggingface-token"]);
        assert!(secret_key_name("hf_token") && secret_key_name("AWS_ACCESS_KEY"));
        assert!(!secret_key_name("MAX_TOKENS") && !secret_key_name("TOKENIZER"));
    }

    #[test]
    fn repeats_are_one_finding_with_a_count() {
        let text = format!("{HF}\n{HF}\n{HF}\n{GHP}\n");
        let f = run(&text, "x.txt");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].message.contains("and 2 more times"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence.actual.as_deref(), Some("line 1"));
    }

    #[test]
    fn notebook_outputs_are_scanned_decoded() {
        // Python's json escapes nothing here; another writer escaped '/' as '\/', which
        // hides the secret key from the raw scan.
        let secret_with_slash = format!("{}/{}", &AWS_SECRET[..20], &AWS_SECRET[21..]);
        let escaped_slash = secret_with_slash.replace('/', "\\/");
        let nb = format!(
            r#"{{"cells": [{{"cell_type": "code", "source": ["import os\n"], "outputs": [{{"output_type": "stream", "name": "stdout", "text": ["key {AWS_ID}\n", "aws_secret_access_key={escaped_slash}\n"]}}]}}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#
        );
        let f = run(&nb, "notebook.ipynb");
        assert_eq!(
            kinds(&f),
            vec!["aws-access-key-id", "aws-secret-access-key"],
            "{f:?}"
        );
        // The id was found in the raw bytes (file line), the secret key only decoded.
        assert_eq!(f[0].evidence.actual.as_deref(), Some("line 1"));
        assert_eq!(
            f[1].evidence.actual.as_deref(),
            Some("cell 1, output 1, line 2")
        );
        assert_hidden(&f, &secret_with_slash);
        // The same notebook named otherwise: raw scan only.
        assert_eq!(kinds(&run(&nb, "notebook.json")), vec!["aws-access-key-id"]);
    }

    #[test]
    fn large_files_are_scanned_in_overlapping_windows() {
        // A token placed across each of the first window edges is found exactly once, on its
        // line. Window cores: [0, W - C), then W - 2C long each.
        let limits = Limits {
            max_text_window: MIN_WINDOW,
            ..Limits::default()
        };
        let (w, c) = (MIN_WINDOW as usize, CONTEXT);
        for k in 0..3 {
            let edge = w - c + k * (w - 2 * c);
            for shift in (0..50).step_by(3) {
                let at = edge + shift - 45;
                let mut t = "y\n".repeat(at / 2);
                if at % 2 == 1 {
                    t.push(' ');
                }
                t.push_str(HF);
                t.push('\n');
                t.push_str(&"y\n".repeat(w));
                let f = run_with(t.as_bytes(), "big.txt", &limits);
                assert_eq!(f.len(), 1, "edge {k}, shift {shift}: {f:?}");
                let line = format!("line {}", at / 2 + 1);
                assert_eq!(f[0].evidence.actual.as_deref(), Some(line.as_str()));
                assert_eq!(f[0].location.offset, Some(at as u64));
            }
        }
    }

    #[test]
    fn config_scans_see_every_window_of_a_large_file_once() {
        // A base64 pickle across the first window edge and `_target_` keys on both sides of
        // the second: each found once, at its file offset and line.
        use base64::Engine;
        let limits = Limits {
            max_text_window: MIN_WINDOW,
            ..Limits::default()
        };
        let (w, c) = (MIN_WINDOW as usize, CONTEXT);
        let pickle = b"\x80\x02cos\nsystem\nX\x11\x00\x00\x00echo aibom-sample\x85R.";
        let b64 = base64::engine::general_purpose::STANDARD.encode(pickle);
        let first_edge = w - c;
        let mut t = "y\n".repeat((first_edge - 20) / 2);
        let at = t.len();
        t.push_str(&format!("m: {b64}\n"));
        let second_edge = first_edge + (w - 2 * c);
        t.push_str(&"y\n".repeat((second_edge - 6 - t.len()) / 2));
        let key = t.len();
        t.push_str("_target_: os.system\n_target_: os.system\n");
        t.push_str(&"y\n".repeat(w));
        let f = run_with(t.as_bytes(), "big.yaml", &limits);
        let payload: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::ConfigEmbeddedPayload)
            .collect();
        assert_eq!(payload.len(), 1, "{f:?}");
        assert_eq!(payload[0].location.offset, Some(at as u64 + 3));
        assert!(f.iter().any(|f| f.code == Code::PickleDangerousGlobal));
        let target: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::ConfigCallableTarget)
            .collect();
        assert_eq!(target.len(), 1, "{f:?}");
        assert_eq!(target[0].location.offset, Some(key as u64));
        let line = format!(
            "big.yaml line {}: _target_ os.system (2 times)",
            t[..key].matches('\n').count() + 1
        );
        assert!(
            target[0].message.starts_with(&line),
            "{} / {line}",
            target[0].message
        );
    }

    #[test]
    fn aws_pair_across_a_window_edge_is_counted_once() {
        let limits = Limits {
            max_text_window: MIN_WINDOW,
            ..Limits::default()
        };
        let edge = MIN_WINDOW as usize - CONTEXT;
        for shift in [60usize, 45, 30, 10] {
            let at = edge - shift;
            let mut t = "y\n".repeat(at / 2);
            if at % 2 == 1 {
                t.push(' ');
            }
            t.push_str(&format!("{AWS_ID} aws_secret_access_key={AWS_SECRET}\n"));
            t.push_str(&"y\n".repeat(MIN_WINDOW as usize));
            let f = run_with(t.as_bytes(), "big.txt", &limits);
            assert_eq!(
                kinds(&f),
                vec!["aws-access-key-id", "aws-secret-access-key"],
                "{shift}"
            );
            assert!(
                f.iter().all(|f| !f.message.contains("more")),
                "{shift}: {f:?}"
            );
        }
    }

    #[test]
    fn lfs_pointer_is_reported_with_oid_and_size() {
        let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
        let text = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345678\n"
        );
        let f = run(&text, "pytorch_model.bin");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, Code::LfsPointer);
        assert_eq!(f[0].severity, crate::finding::Severity::High);
        assert_eq!(
            f[0].evidence.expected.as_deref(),
            Some(format!("sha256:{oid}, 12345678 bytes").as_str())
        );
        assert!(lfs_pointer(b"version 1.0\nsize 3\n").is_none());
        assert!(lfs_pointer(b"just text").is_none());
        let p =
            lfs_pointer(b"version https://git-lfs.github.com/spec/v1\noid sha256:zz\n").unwrap();
        assert_eq!(
            p,
            LfsPointer {
                oid: None,
                size: None
            }
        );
    }

    #[test]
    fn chat_templates_are_found_in_tokenizer_configs() {
        let v: Value = serde_json::json!({"chat_template": "{{ messages }}"});
        let t = chat_templates("tokenizer_config.json", &v);
        assert_eq!(
            t,
            vec![(
                "tokenizer_config.json: chat_template".to_owned(),
                "{{ messages }}"
            )]
        );
        assert!(chat_templates("config.json", &v).is_empty());
        let v = serde_json::json!({"chat_template": [
            {"name": "default", "template": "a"}, {"name": "tool_use", "template": "b"}, {"name": "x"}
        ]});
        let t = chat_templates("tokenizer_config.json", &v);
        assert_eq!(
            t,
            vec![
                (
                    "tokenizer_config.json: chat_template[default]".to_owned(),
                    "a"
                ),
                (
                    "tokenizer_config.json: chat_template[tool_use]".to_owned(),
                    "b"
                ),
            ]
        );
        // Malformed JSON or a number: nothing, no panic.
        assert!(run("{\"chat_template\": ", "tokenizer_config.json").is_empty());
        assert!(run("{\"chat_template\": 3}", "tokenizer_config.json").is_empty());
    }

    #[test]
    fn prefix_triggers_everywhere_stay_within_the_finding_cap() {
        // Every few bytes starts a secret's prefix; only `glpat-` completes one (its 20
        // characters run into the next repetition). How long this
        // takes is the adversarial benchmark's business (benches/adversarial.py), not a test's.
        let mut text = String::new();
        while text.len() < 4 << 20 {
            text.push_str("sk-hf_AKIA-----BEGIN xoxb-glpat-AIza");
        }
        let found = run(&text, "x.txt");
        assert!(
            found.len() <= Limits::default().max_findings.saturating_add(1),
            "{}",
            found.len()
        );
        let kinds = kinds(&found);
        assert!(
            !kinds.is_empty() && kinds.iter().all(|k| k == "gitlab-token"),
            "{kinds:?}"
        );
    }
}
