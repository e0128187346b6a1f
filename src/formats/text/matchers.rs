//! The secret matchers, one per kind of token (each checks word boundaries, the body's length
//! and placeholders), `.env` credential assignments, and [`find_secrets`], which runs them over
//! a buffer.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::secrets::{Hit, Kind, shown};

/// Longest token body considered; longer runs are not tokens (base64 blobs, hashes).
const MAX_BODY: usize = 255;
/// How far from an AWS access key id its secret key is looked for.
const AWS_PAIR_DISTANCE: usize = 256;

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
pub(super) fn find_secrets(buf: &[u8], from: usize, to: usize, env: bool) -> Vec<Hit> {
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

pub(super) fn secret_key_name(key: &str) -> bool {
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
