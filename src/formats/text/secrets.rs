//! The secrets of one file: the kinds recognised, each distinct secret kept once with its
//! place and how often it repeats (never the secret itself), in the raw bytes window by window
//! and in a notebook's decoded cell outputs, and the findings.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::matchers::find_secrets;
use super::{Ctx, count_lines};
use crate::finding::{Code, Evidence};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// The kinds of secret recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
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
pub(super) struct Hit {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) shown: String,
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
pub(super) struct Secrets {
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
    pub(super) fn new(env: bool, max: usize) -> Self {
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
    pub(super) fn scan(&mut self, buf: &[u8], from: usize, to: usize, base: u64, line: u64) {
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
    pub(super) fn scan_notebook(&mut self, nb: &Value) {
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

    pub(super) fn report(self, ctx: &mut Ctx, name: &str) {
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
pub(super) fn shown(secret: &[u8]) -> String {
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
