//! Why a diagnosis says what it says: the few phrases of the input that decided its kind
//! and its numbers, with their byte spans, so a reader (or a test) can check the verdict.
//!
//! Found after the verdict, in the block as it came: the first cue of the cause (its most
//! telling words first), then each number where the input states it.

use super::types::{Cause, Diagnosis, Evidence};
use crate::redact;

/// At most this many phrases per diagnosis.
pub const MAX: usize = 4;
/// A phrase is cut to about this many bytes around its cue.
const WIDE: usize = 64;

/// The words that tell each cause, most telling first (lower case).
fn cues(cause: Cause) -> &'static [&'static str] {
    match cause {
        Cause::RequestsPerMinute => &[
            "requests per min",
            "(rpm)",
            "call rate limit",
            "requestsperminute",
            "requests_per_minute",
            "max rpm",
            "request rate",
            "too many requests",
            "qps",
            "rpm",
            "request",
        ],
        Cause::TokensPerMinute => &[
            "tokens per min",
            "(tpm)",
            "token rate limit",
            "tokens_usage_based",
            "too many tokens",
            "tokensperminute",
            "tpm",
            "tokens",
        ],
        Cause::InputTokensPerMinute => &[
            "input tokens per minute",
            "inputtokensperminute",
            "input_token",
            "(itpm)",
            "input tokens",
        ],
        Cause::OutputTokensPerMinute => &["output tokens per minute", "(otpm)", "output tokens"],
        Cause::RequestsPerDay => &[
            "requestsperday",
            "requests per day",
            "per-day",
            "per day",
            "perday",
            "daily",
            "(rpd)",
        ],
        Cause::TokensPerDay => &[
            "tokensperday",
            "tokens per day",
            "per day",
            "perday",
            "daily",
            "(tpd)",
            "tpd",
        ],
        Cause::ImagesPerMinute => &["images per minute", "(ipm)", "image"],
        Cause::RequestTooLarge => &["request too large", "requested", "exceeds"],
        Cause::Quota => &[
            "insufficient_quota",
            "exceeded your current quota",
            "credit balance",
            "insufficient balance",
            "requires more credits",
            "extra usage",
            "\u{6b20}\u{8d39}",
            "\u{989d}\u{5ea6}",
            "\u{4f59}\u{989d}",
            "billing",
            "credit",
            "balance",
            "quota",
        ],
        Cause::SpendCap => &["spend", "usage limit", "limit exceeded", "limit"],
        Cause::ZeroAllowance => &[
            "limit: 0",
            "quota_limit_value",
            "quotavalue",
            "quota_value",
            "limit is 0",
            "quota",
        ],
        Cause::MonthlyLimit => &["/ month", "month"],
        Cause::Concurrency => &["concurren", "connections", "\u{5e76}\u{53d1}"],
        Cause::Ramp => &["slow_down", "acceleration", "too quickly"],
        Cause::Overloaded => &[
            "overloaded",
            "high demand",
            "busy",
            "capacity",
            "\u{9971}\u{548c}",
            "limiting requests",
            "529",
            "unavailable",
        ],
        Cause::Upstream => &["upstream"],
        Cause::Transient => &[
            "rate limit",
            "too many requests",
            "resource_exhausted",
            "resource has been exhausted",
            "throttl",
            "toomanyrequests",
            "limit",
            "429",
        ],
        Cause::Auth => &[
            "api key",
            "x-api-key",
            "unauthorized",
            "authentication",
            "401",
        ],
        Cause::PermissionDenied => &["permission", "denied", "not authorized", "403"],
        Cause::NotFound => &["does not exist", "not found", "not_found", "404"],
        Cause::ContextLength => &["context", "too long", "maximum", "exceeds"],
        Cause::BadRequest => &[
            "invalid",
            "bad request",
            "blocked",
            "filtered",
            "exceeded",
            "400",
        ],
        Cause::ServerError => &[
            "internal",
            "server error",
            "bad gateway",
            "500",
            "502",
            "520",
        ],
        Cause::Timeout => &["timed out", "timeout", "deadline", "time-out"],
        Cause::Connection => &["connection", "connect"],
        Cause::Certificate => &["certificate"],
    }
}

/// Is `at` inside a word (so a cue there is part of a longer word)?
fn in_word(b: &[u8], at: usize) -> bool {
    b.get(at).is_some_and(u8::is_ascii_alphanumeric)
}

/// Is the byte at `at` the end of a clause: a line break, a quote or bracket, or a full
/// stop or comma followed by a space?
fn clause_edge(b: &[u8], at: usize) -> bool {
    let letter = |i: Option<usize>| {
        i.and_then(|i| b.get(i))
            .is_some_and(u8::is_ascii_alphabetic)
    };
    match b.get(at) {
        // An apostrophe inside a word (`organization's`) is no edge.
        Some(b'\'') => !(letter(at.checked_sub(1)) && letter(Some(at + 1))),
        Some(b'\n' | b'"' | b'{' | b'}' | b'[' | b']' | b';' | b'`' | b'\\') => true,
        Some(b'.' | b',') => b.get(at + 1).is_none_or(u8::is_ascii_whitespace),
        _ => false,
    }
}

/// `s`, or the start of the next word when `s` is inside one (a phrase cut by length
/// alone); never past `start`.
fn word_start(b: &[u8], s: usize, start: usize) -> usize {
    if s > 0 && s < start && !clause_edge(b, s - 1) && b[s - 1] != b' ' {
        b[s..start]
            .iter()
            .position(|c| *c == b' ')
            .map_or(start, |p| s + p + 1)
    } else {
        s
    }
}

/// The phrase around `[start, end)`: back to the start of the word before it, on to the
/// end of its clause, at most [`WIDE`] bytes, on character boundaries.
fn phrase(text: &str, start: usize, end: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut s = start;
    // The cue's own word, and one word before it (`on tokens per min`).
    let mut words = 0;
    while s > 0 && start - s < 24 && !clause_edge(b, s - 1) {
        if b[s - 1] == b' ' && s < start {
            words += 1;
            if words == 2 {
                break;
            }
        }
        s -= 1;
    }
    s = word_start(b, s, start);
    let mut e = end;
    while e < b.len() && e - s < WIDE && !clause_edge(b, e) {
        e += 1;
    }
    // Likewise at the end: not half a word.
    if e < b.len() && e > end && !clause_edge(b, e) && b[e] != b' ' {
        e = b[end..e]
            .iter()
            .rposition(|c| *c == b' ')
            .map_or(e, |p| end + p);
    }
    while s < start && !text.is_char_boundary(s) {
        s += 1;
    }
    while e > end && !text.is_char_boundary(e) {
        e -= 1;
    }
    (s, e)
}

/// Where `number` is written in `lower` (plain, or with thousands commas), not as part
/// of a longer number; the occurrence after a telling word first.
fn find_number(lower: &str, number: f64, near: &[&str]) -> Option<(usize, usize)> {
    if !number.is_finite() {
        return None;
    }
    let plain = if number.fract() == 0.0 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    };
    let mut forms = vec![plain.clone()];
    if number.fract() == 0.0 && number.abs() >= 1000.0 {
        forms.push(crate::duration::count(number));
    }
    let b = lower.as_bytes();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for f in &forms {
        let mut from = 0;
        while let Some(p) = lower[from..].find(f.as_str()) {
            let s = from + p;
            let e = s + f.len();
            let before = s.checked_sub(1).and_then(|i| b.get(i)).copied();
            let after = b.get(e).copied();
            let digit =
                |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit() || c == b'.' || c == b',');
            // A full stop or comma after it (`5.322s.`, `Used 28541,`) is no digit.
            let after_ok = !digit(after)
                || (matches!(after, Some(b'.' | b','))
                    && !b.get(e + 1).is_some_and(u8::is_ascii_digit));
            if !digit(before) && after_ok {
                found.push((s, e));
            }
            from = e;
        }
    }
    found.sort_unstable();
    found
        .iter()
        .find(|(s, _)| {
            let back = lower[..*s]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            near.iter().any(|w| lower[back..*s].contains(w))
        })
        .or(found.first())
        .copied()
}

/// The evidence for `d`, found in `raw` (the block as it came, which starts at byte
/// `base` of the input).
pub fn find(raw: &str, base: u64, d: &Diagnosis) -> Vec<Evidence> {
    let lower = raw.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // The cause's own words; failing those, what any API error says.
    const ANY: &[&str] = &["rate limit", "limit", "quota", "429", "error"];
    for cue in cues(d.detail).iter().chain(ANY) {
        let mut from = 0;
        let mut hit = None;
        while let Some(p) = lower[from..].find(cue) {
            let s = from + p;
            let e = s + cue.len();
            // A short cue (`tpm`, `429`) counts only as a word of its own.
            let whole =
                cue.len() > 4 || (!in_word(b, s.wrapping_sub(1)) || s == 0) && !in_word(b, e);
            if whole {
                hit = Some((s, e));
                break;
            }
            from = e;
        }
        if let Some((s, e)) = hit {
            spans.push(phrase(raw, s, e));
            break;
        }
    }
    let numbers: [(Option<f64>, &[&str]); 4] = [
        (
            d.limit,
            &["limit", "quota", "value", "max", "afford", "of "],
        ),
        (d.used, &["used", "current"]),
        (d.requested, &["requested", "request"]),
        (
            d.retry_after_s,
            &[
                "try again",
                "retry",
                "wait",
                "retrydelay",
                "retry_delay",
                "seconds:",
            ],
        ),
    ];
    for (value, near) in numbers {
        let Some(v) = value else { continue };
        let Some((s, e)) = find_number(&lower, v, near) else {
            continue;
        };
        if spans.iter().any(|(a, z)| *a <= s && e <= *z) {
            continue;
        }
        // The number with the words just before it: `Limit 30000`, `try again in 5.3s`.
        let mut from = s;
        while from > 0 && s - from < 24 && !clause_edge(b, from - 1) {
            from -= 1;
        }
        let word_start = word_start(b, from, s);
        let end = lower[e..]
            .char_indices()
            .find(|(_, c)| !c.is_ascii_alphanumeric() && *c != '.')
            .map_or(lower.len(), |(i, _)| e + i);
        let (s2, e2) = (word_start.min(s), end.min(e + 8));
        let s2 = (s2..=s).find(|i| raw.is_char_boundary(*i)).unwrap_or(s);
        let e2 = (e..=e2)
            .rev()
            .find(|i| raw.is_char_boundary(*i))
            .unwrap_or(e);
        spans.push((s2, e2));
    }
    spans.sort_unstable();
    spans.dedup();
    spans
        .into_iter()
        .take(MAX)
        .filter_map(|(s, e)| {
            // The span is exactly what is quoted: edges of white space and punctuation off.
            let edge = |c: char| {
                c.is_whitespace() || matches!(c, ',' | ':' | '=' | '(' | ')' | '.' | '\\')
            };
            let slice = raw.get(s..e)?;
            let head = slice.len() - slice.trim_start_matches(edge).len();
            let slice = slice.trim_matches(edge);
            let (s, e) = (s + head, s + head + slice.len());
            let text = slice.split_whitespace().collect::<Vec<_>>().join(" ");
            let text = redact::shorten_ids(&redact::redact(&text)).into_owned();
            (!text.is_empty()).then(|| Evidence {
                text,
                span: [base + s as u64, base + e as u64],
            })
        })
        .collect()
}
