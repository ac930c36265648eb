//! Durations and instants as providers write them (core layer: pure, no clock).
//!
//! - Go-style durations (`6m0s`, `17ms`, `2m59.56s`, `1h15m4.753s`) from OpenAI and Groq
//!   `x-ratelimit-reset-*` headers and "Please try again in …" messages;
//! - `retry-after` values (seconds, possibly fractional, or an HTTP-date);
//! - RFC 3339 instants (Anthropic `*-reset` headers);
//! - the human form used on cards ("1.4 s", "6 min 0 s").

use jiff::Timestamp;

/// Parses a Go `time.Duration` string into seconds.
///
/// Accepts a sequence of `<number><unit>` with units `h`, `m`, `s`, `ms`, `us`/`µs`, `ns`,
/// optional whitespace between parts (`6m 11.52s` has been seen) and a protobuf-style
/// plain `"26s"`. Returns `None` for anything else, including an empty string or a bare
/// number without unit.
pub fn parse_go(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total = 0.0_f64;
    let mut parts = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return None;
        }
        let number: f64 = s.get(start..i)?.parse().ok()?;
        let rest = s.get(i..)?;
        // (multiplier, divisor): dividing keeps `174ms` at exactly 0.174.
        let (mul, div, len) = if rest.starts_with("ms") {
            (1.0, 1e3, 2)
        } else if rest.starts_with("us") {
            (1.0, 1e6, 2)
        } else if rest.starts_with("µs") {
            (1.0, 1e6, "µs".len())
        } else if rest.starts_with("ns") {
            (1.0, 1e9, 2)
        } else if rest.starts_with('h') {
            (3600.0, 1.0, 1)
        } else if rest.starts_with('m') {
            (60.0, 1.0, 1)
        } else if rest.starts_with('s') {
            (1.0, 1.0, 1)
        } else {
            return None;
        };
        total += number * mul / div;
        i += len;
        parts += 1;
    }
    // Sums like 480 + 25.107 pick up float noise; nanoseconds are Go's resolution.
    let total = if total < 1e9 {
        (total * 1e9).round() / 1e9
    } else {
        total
    };
    (parts > 0 && total.is_finite()).then_some(total)
}

/// Formats seconds the way Go prints a `time.Duration` (and so the way OpenAI writes
/// `x-ratelimit-reset-*`): `17ms`, `1s`, `6m0s`, `1h2m3.5s`.
pub fn format_go(seconds: f64) -> String {
    if !seconds.is_finite() || seconds <= 0.0 {
        return "0s".to_string();
    }
    if seconds < 1.0 {
        let ms = seconds * 1000.0;
        return format!("{}ms", trim_float(ms, 3));
    }
    // Work in whole milliseconds so that 59.9996 does not print as "60s".
    let total_ms = (seconds * 1000.0).round() as u64;
    let hours = total_ms / 3_600_000;
    let minutes = (total_ms / 60_000) % 60;
    let secs = (total_ms % 60_000) as f64 / 1000.0;
    let s = trim_float(secs, 3);
    if hours > 0 {
        format!("{hours}h{minutes}m{s}s")
    } else if minutes > 0 {
        format!("{minutes}m{s}s")
    } else {
        format!("{s}s")
    }
}

pub fn trim_float(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// What a `retry-after` header says: a number of seconds, or an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryAfter {
    Seconds(f64),
    At(Timestamp),
}

impl RetryAfter {
    /// Seconds to wait as seen from `now`; never negative.
    pub fn seconds_from(self, now: Timestamp) -> f64 {
        match self {
            RetryAfter::Seconds(s) => s,
            RetryAfter::At(t) => seconds_between(now, t).max(0.0),
        }
    }
}

/// Parses a `retry-after` value: integer or fractional seconds (SDKs accept floats), else
/// an HTTP-date (RFC 9110 IMF-fixdate). Negative and non-finite values are rejected.
pub fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(RetryAfter::Seconds(secs));
    }
    parse_http_date(v).map(RetryAfter::At)
}

/// Parses `retry-after-ms` (milliseconds, possibly fractional) into seconds.
pub fn parse_retry_after_ms(value: &str) -> Option<f64> {
    let ms: f64 = value.trim().parse().ok()?;
    (ms.is_finite() && ms >= 0.0).then_some(ms / 1000.0)
}

/// Parses an HTTP-date such as `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn parse_http_date(value: &str) -> Option<Timestamp> {
    let v = value.trim();
    let v = v
        .strip_suffix("GMT")
        .or_else(|| v.strip_suffix("UTC"))?
        .trim();
    // "Wed, 21 Oct 2015 07:28:00"
    let (_, rest) = v.split_once(", ")?;
    let mut it = rest.split_whitespace();
    let day: i8 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i16 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i8 = hms.next()?.parse().ok()?;
    let m: i8 = hms.next()?.parse().ok()?;
    let s: i8 = hms.next()?.parse().ok()?;
    let dt = jiff::civil::DateTime::new(year, month, day, h, m, s, 0).ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Parses an RFC 3339 instant (`2025-08-21T12:40:59Z`).
pub fn parse_rfc3339(value: &str) -> Option<Timestamp> {
    value.trim().parse::<Timestamp>().ok()
}

/// Formats an instant as RFC 3339 in UTC with whole seconds (`2025-08-21T12:40:59Z`).
pub fn format_rfc3339(t: Timestamp) -> String {
    let secs = t.as_second();
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
pub fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    (b.as_nanosecond() - a.as_nanosecond()) as f64 / 1e9
}

/// A count as people read it: `9,348`, `1,000,000`, `0.5`.
pub fn count(x: f64) -> String {
    if x.fract() != 0.0 || !x.is_finite() || x.abs() >= 1e15 {
        return format!("{x}");
    }
    let digits = format!("{}", x.abs() as u64);
    let b = digits.as_bytes();
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    for (i, c) in b.iter().enumerate() {
        if i > 0 && (b.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(*c as char);
    }
    out
}

/// A short human form for cards and tables: `174 ms`, `1.4 s`, `26 s`, `6 min 0 s`,
/// `2 h 5 min`, `3 days`.
pub fn human(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown".to_string();
    }
    if seconds < 1.0 {
        return format!("{} ms", (seconds * 1000.0).round() as u64);
    }
    if seconds < 10.0 {
        return format!("{} s", trim_float(seconds, 1));
    }
    if seconds < 60.0 {
        return format!("{} s", seconds.round() as u64);
    }
    let total = seconds.round() as u64;
    if total < 3600 {
        return format!("{} min {} s", total / 60, total % 60);
    }
    if total < 86_400 * 2 {
        return format!("{} h {} min", total / 3600, (total % 3600) / 60);
    }
    format!("{} days", total / 86_400)
}

/// A number of seconds, more than 0 and at most a day (`--duration`, `--head-timeout`).
pub fn seconds_arg(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() && v <= 86_400.0 => Ok(v),
        _ => Err("must be a number of seconds, more than 0".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_seen_in_the_wild() {
        let cases: &[(&str, f64)] = &[
            ("1s", 1.0),
            ("6m0s", 360.0),
            ("12ms", 0.012),
            ("174ms", 0.174),
            ("2m59.56s", 179.56),
            ("7.66s", 7.66),
            ("28m48s", 1728.0),
            ("1h15m4.753s", 4504.753),
            ("11m10.031999999s", 670.031999999),
            ("6m 11.52s", 371.52),
            ("26s", 26.0),
            ("38.962214405s", 38.962214405),
            ("1.482857142s", 1.482857142),
        ];
        for (input, want) in cases {
            let got = parse_go(input).unwrap_or(f64::NAN);
            assert!((got - want).abs() < 1e-9, "{input}: got {got}, want {want}");
        }
    }

    #[test]
    fn go_duration_rejects_garbage() {
        for bad in ["", "s", "10", "1x", "abc", "1.2.3s", "-5s"] {
            assert_eq!(parse_go(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn go_format_matches_openai_headers() {
        assert_eq!(format_go(360.0), "6m0s");
        assert_eq!(format_go(0.017), "17ms");
        assert_eq!(format_go(1.0), "1s");
        assert_eq!(format_go(179.56), "2m59.56s");
        assert_eq!(format_go(3723.5), "1h2m3.5s");
        assert_eq!(format_go(0.0), "0s");
        assert_eq!(format_go(59.9999), "1m0s");
    }

    #[test]
    fn go_format_round_trips() {
        for v in [0.004, 0.5, 1.25, 59.0, 61.5, 3600.0, 4504.753] {
            let back = parse_go(&format_go(v)).unwrap_or(f64::NAN);
            assert!((back - v).abs() < 1e-3, "{v} -> {} -> {back}", format_go(v));
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("20"), Some(RetryAfter::Seconds(20.0)));
        assert_eq!(parse_retry_after(" 1.5 "), Some(RetryAfter::Seconds(1.5)));
        assert_eq!(parse_retry_after("-1"), None);
        let at = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT");
        let want: Timestamp = "2015-10-21T07:28:00Z".parse().unwrap();
        assert_eq!(at, Some(RetryAfter::At(want)));
        let now: Timestamp = "2015-10-21T07:27:30Z".parse().unwrap();
        assert_eq!(at.unwrap().seconds_from(now), 30.0);
        assert_eq!(parse_retry_after_ms("1500"), Some(1.5));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2025-08-21T12:40:59Z").unwrap();
        assert_eq!(format_rfc3339(t), "2025-08-21T12:40:59Z");
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn counts() {
        assert_eq!(count(9348.0), "9,348");
        assert_eq!(count(1_000_000.0), "1,000,000");
        assert_eq!(count(-1200.0), "-1,200");
        assert_eq!(count(0.5), "0.5");
        assert_eq!(count(12.0), "12");
    }

    #[test]
    fn human_forms() {
        assert_eq!(human(0.174), "174 ms");
        assert_eq!(human(1.4), "1.4 s");
        assert_eq!(human(26.604), "27 s");
        assert_eq!(human(360.0), "6 min 0 s");
        assert_eq!(human(7500.0), "2 h 5 min");
        assert_eq!(human(86400.0 * 3.0), "3 days");
    }
}
