//! Dates and times: the clock ([`now`], [`today`]), the RFC 3339 form of a Unix time
//! ([`rfc3339`]), and dates and times as the command line and configuration give them,
//! checked on bytes, never by slicing a `str` (which panics inside a multi-byte character).
//!
//! RFC 3339 section 5.6: `full-date "T" full-time`, with `time-offset = "Z" / ("+" / "-")
//! HH:MM`, an optional fraction of a second, and a real calendar date (leap years included,
//! checked by `jiff`).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// A calendar date written `YYYY-MM-DD` that exists (`2026-02-29` and `9999-99-99` do not).
pub fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return Err(format!("{s:?} is not YYYY-MM-DD"));
    }
    s.parse::<jiff::civil::Date>()
        .map_err(|_| format!("{s:?} is not a calendar date"))
}

/// The current time, whole seconds, or `None` when the system clock cannot be read (before
/// 1970, or past what a timestamp can hold). The only place the clock is read.
pub fn now() -> Option<jiff::Timestamp> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    jiff::Timestamp::from_second(i64::try_from(secs).ok()?).ok()
}

/// Today's date (UTC), or `None` when the system clock cannot be read (see [`now`]). Callers
/// fail closed on `None`: dated exceptions expire.
pub fn today() -> Option<jiff::civil::Date> {
    Some(now()?.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// RFC 3339 UTC time for seconds since the Unix epoch (for `SOURCE_DATE_EPOCH`).
// No step can overflow: `epoch / 86 400` and the era arithmetic on it stay within about
// 2^47 for any `i64`, and the remainders are small and non-negative.
#[allow(clippy::arithmetic_side_effects)]
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The decimal number in `b` (all ASCII digits), or None.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(char::from(*d).to_digit(10)?)
    })
}

/// Whether `s` is an RFC 3339 date-time such as `2026-01-31T12:00:00Z`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(date), Some(sep)) = (s.get(0..10), b.get(10)) else {
        return false;
    };
    if parse_date(date).is_err() || !matches!(sep, b'T' | b't') {
        return false;
    }
    let Some(time) = b.get(11..) else {
        return false;
    };
    // HH:MM:SS
    let (Some(hms), Some(rest)) = (time.get(0..8), time.get(8..)) else {
        return false;
    };
    if hms.get(2) != Some(&b':') || hms.get(5) != Some(&b':') {
        return false;
    }
    let ok_hms = matches!(
        (
            hms.get(0..2).and_then(digits),
            hms.get(3..5).and_then(digits),
            hms.get(6..8).and_then(digits),
        ),
        (Some(h), Some(m), Some(s)) if h <= 23 && m <= 59 && s <= 60
    );
    if !ok_hms {
        return false;
    }
    // Optional fraction.
    let mut rest = rest;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = frac.get(n..).unwrap_or(&[]);
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => matches!(
            (digits(&[*h1, *h2]), digits(&[*m1, *m2])),
            (Some(h), Some(m)) if h <= 23 && m <= 59
        ),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_date_times() {
        for t in [
            "2026-01-31T12:00:00Z",
            "2026-01-31t12:00:00z",
            "2024-02-29T23:59:60+01:00",
            "2026-12-05T01:02:03.123456-05:30",
        ] {
            assert!(is_rfc3339(t), "{t}");
        }
    }

    #[test]
    fn rejects_malformed_or_impossible_date_times() {
        for t in [
            "2026-01-31T12:00:0éxx",
            "2026-01-31T12:00:00",
            "2026-02-30T12:00:00Z",
            "2025-02-29T12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2026-01-31T24:00:00Z",
            "2026-01-31T12:00:00.Z",
            "2026-01-31T12:00:00+0100",
            "é026-01-31T12:00:00Z",
            "2026-01-31",
            "",
        ] {
            assert!(!is_rfc3339(t), "{t}");
        }
    }

    #[test]
    fn formats_epoch_seconds_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_parsed_date_prints_as_written() {
        for d in ["0000-01-01", "0999-12-31", "2028-02-29", "9999-12-31"] {
            assert_eq!(parse_date(d).unwrap().to_string(), d);
        }
    }

    #[test]
    fn dates_must_exist_in_the_calendar() {
        assert_eq!(
            parse_date("2024-02-29").map(|d| (d.year(), d.month(), d.day())),
            Ok((2024, 2, 29))
        );
        for d in [
            "2026-99-99",
            "9999-99-99",
            "2026-02-29",
            "2026-04-31",
            "2026-1-01",
        ] {
            assert!(parse_date(d).is_err(), "{d}");
        }
    }
}
