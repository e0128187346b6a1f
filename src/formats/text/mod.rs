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
//! Layout: `lfs` reads Git LFS pointers; `chat` finds chat templates in tokenizer and processor
//! configs; `secrets` keeps the secrets of one file and reports them; `matchers` holds the
//! per-kind matchers that find them. This file holds the entry point and the windowing.
//!
//! [`Limits::max_text_window`]: crate::limits::Limits::max_text_window
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod chat;
mod lfs;
mod matchers;
mod secrets;
#[cfg(test)]
mod tests;

use super::Ctx;
use crate::detect::Format;
use crate::source::Source;
use chat::{TEMPLATE_FILES, chat_templates};
use lfs::{lfs_pointer, report_lfs};
use secrets::Secrets;
use serde_json::Value;
use std::io;

/// Git LFS pointer files are smaller than this (the spec says so; git-lfs checks it).
const LFS_MAX: u64 = 1024;
/// Bytes of context on each side of a window's core. Matches are at most `MAX_BODY` plus a
/// prefix long, and look at most `AWS_PAIR_DISTANCE` plus a key's length around them (both in
/// `matchers`).
const CONTEXT: usize = 4096;
/// The smallest window, whatever the limits say (it must hold the context on both sides).
const MIN_WINDOW: u64 = 64 << 10;

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
