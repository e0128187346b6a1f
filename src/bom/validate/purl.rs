//! Package URLs: `check_purl` and why a string is not one
//! (<https://github.com/package-url/purl-spec/blob/main/PURL-SPECIFICATION.rst>).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::HashSet;

/// Why a string is not a package URL; displayed after `purl "<text>"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum PurlError {
    #[error("does not start with \"pkg:\"")]
    Scheme,
    #[error("contains {0:?}, which must be percent-encoded")]
    Unencoded(char),
    #[error("has a malformed percent-escape in {0:?}")]
    BadEscape(String),
    #[error("percent-decodes to invalid UTF-8")]
    NotUtf8,
    #[error("has type {0:?}; types are [a-z][a-z0-9.+-]*")]
    Type(String),
    #[error("has no name")]
    MissingName,
    #[error("has an empty namespace segment")]
    EmptyNamespaceSegment,
    #[error("has an empty version after '@'")]
    EmptyVersion,
    #[error("has qualifier {0:?}, which is not key=value")]
    Qualifier(String),
    #[error("has qualifier key {0:?}; keys are [a-z0-9._-]+, not starting with a digit")]
    QualifierKey(String),
    #[error("repeats qualifier key {0:?}")]
    DuplicateQualifier(String),
    #[error("has subpath segment {0:?}")]
    SubpathSegment(String),
}

/// Parses `text` as a package URL, strictly: `pkg:type/namespace/name@version?qualifiers#subpath`
/// with a lowercase type, a non-empty name, lowercase unique qualifier keys, no `.`/`..` subpath
/// segments, and every character outside the URL-safe set percent-encoded as valid UTF-8.
/// Follows the spec's parse order (subpath, qualifiers, scheme, type, version, name, namespace).
pub(super) fn check_purl(text: &str) -> Result<(), PurlError> {
    if let Some(c) = text.chars().find(|c| !is_url_char(*c)) {
        return Err(PurlError::Unencoded(c));
    }
    let (rest, subpath) = split_off(text, '#')?;
    let (rest, qualifiers) = split_off(rest, '?')?;
    let rest = rest.strip_prefix("pkg:").ok_or(PurlError::Scheme)?;
    // "purl parsers must accept URLs such as 'pkg://' and must ignore the '//'".
    let rest = rest.trim_start_matches('/');

    let (kind, rest) = rest.split_once('/').ok_or(PurlError::MissingName)?;
    let type_ok = kind.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    if !type_ok {
        return Err(PurlError::Type(kind.to_owned()));
    }

    let rest = match rest.rsplit_once('@') {
        Some((rest, version)) => {
            if version.is_empty() {
                return Err(PurlError::EmptyVersion);
            }
            check_escapes(version)?;
            rest
        }
        None => rest,
    };
    let (namespace, name) = match rest.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, rest),
    };
    if check_escapes(name)?.is_empty() {
        return Err(PurlError::MissingName);
    }
    for segment in namespace
        .into_iter()
        .flat_map(|namespace| namespace.split('/'))
    {
        if check_escapes(segment)?.is_empty() {
            return Err(PurlError::EmptyNamespaceSegment);
        }
    }

    let mut keys = HashSet::new();
    for pair in qualifiers
        .into_iter()
        .flat_map(|qualifiers| qualifiers.split('&'))
    {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| PurlError::Qualifier(pair.into()))?;
        let key_ok = key.chars().next().is_some_and(|c| !c.is_ascii_digit())
            && key.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
            });
        if !key_ok {
            return Err(PurlError::QualifierKey(key.to_owned()));
        }
        if !keys.insert(key) {
            return Err(PurlError::DuplicateQualifier(key.to_owned()));
        }
        check_escapes(value)?;
    }

    // Leading, trailing and doubled '/' in a subpath are insignificant; '.' and '..' are not
    // allowed (they would let a subpath climb out of the package).
    for segment in subpath.into_iter().flat_map(|subpath| subpath.split('/')) {
        let decoded = check_escapes(segment)?;
        if decoded == "." || decoded == ".." {
            return Err(PurlError::SubpathSegment(decoded));
        }
    }
    Ok(())
}

/// Splits `text` at the only `separator` in it; a second one should have been percent-encoded.
fn split_off(text: &str, separator: char) -> Result<(&str, Option<&str>), PurlError> {
    match text.split_once(separator) {
        Some((_, after)) if after.contains(separator) => Err(PurlError::Unencoded(separator)),
        Some((before, after)) => Ok((before, Some(after))),
        None => Ok((text, None)),
    }
}

/// Characters a purl may contain unencoded: RFC 3986 unreserved, sub-delims, and the
/// separators `: / ? # @` plus `%` for escapes.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:/?#@%".contains(c)
}

/// Percent-decodes `text`, requiring every `%` to start a two-hex-digit escape and the result to
/// be UTF-8.
fn check_escapes(text: &str) -> Result<String, PurlError> {
    let mut rest = text.as_bytes();
    let mut decoded = Vec::with_capacity(rest.len());
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'%' {
            decoded.push(b);
            continue;
        }
        let [high, low, after @ ..] = tail else {
            return Err(PurlError::BadEscape(text.to_owned()));
        };
        let (high, low) = hex_value(*high)
            .zip(hex_value(*low))
            .ok_or_else(|| PurlError::BadEscape(text.to_owned()))?;
        decoded.push(high << 4 | low);
        rest = after;
    }
    String::from_utf8(decoded).map_err(|_| PurlError::NotUtf8)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}
