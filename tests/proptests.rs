//! Property tests: the parsers never panic on any input, streaming is split-invariant,
//! and redaction removes what it must.
//!
//! The reduced-size version of the fuzzing in `fuzz/` (issue #8): arbitrary bytes with
//! invalid UTF-8 cut at random points (inside a character too), deeply nested JSON, numbers
//! too big for an f64, inputs past the engine's buffer and block limits, header names the
//! parser knows with values it should refuse, and the views rendering whatever comes out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use ratedoctor::diagnose::{Diagnosis, Provider, Scanner, diagnose};
use ratedoctor::views::explain;
use ratedoctor::views::style::Style;
use ratedoctor::{duration, headers, redact};

fn error_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 100, Used 90, Requested 20. Please try again in 1.5s.\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}",
        "Error code: 429 - {'error': {'message': 'x', 'type': None}}",
        "HTTP/2 429\r\nretry-after: 3\r\n\r\n",
        "{\n  \"error\": {\n    \"code\": 429,\n",
        "\"status\": \"RESOURCE_EXHAUSTED\"",
        "{\\\"error\\\":{\\\"message\\\":\\\"quota\\\"}}",
        "b'{\"error\":",
        "}}}]]",
        "{{{[[",
        "'",
        "\"",
        "\\",
        "\n",
        "\r\n",
        "* Quota exceeded for metric: m, limit: 0, model: g\n",
        "Please retry in 38.9s.",
        "x-ratelimit-reset-tokens: 6m0s\n",
        "anthropic-ratelimit-tokens-reset: 2025-08-21T12:40:59Z\n",
        "529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
        "\u{0}\u{1}\u{fffd}",
    ]);
    prop::collection::vec(
        prop_oneof![pieces.prop_map(str::to_string), ".{0,12}"],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// Feeds `bytes` to a scanner in chunks of the given sizes (cycled).
fn scan_in_chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Diagnosis> {
    let mut scanner = Scanner::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = cuts[i % cuts.len()].max(1).min(bytes.len() - pos);
        scanner.feed(&bytes[pos..pos + n]);
        pos += n;
        i += 1;
    }
    scanner.finish()
}

fn scan_whole(bytes: &[u8]) -> Vec<Diagnosis> {
    let mut scanner = Scanner::new();
    scanner.feed(bytes);
    scanner.finish()
}

/// What every diagnosis must satisfy, whatever the input.
fn sane(d: &Diagnosis, len: usize) -> Result<(), TestCaseError> {
    prop_assert!(d.occurrences >= 1);
    prop_assert!(
        d.span[0] <= d.span[1] && d.span[1] as usize <= len,
        "{d:?} in {len}"
    );
    for v in [d.limit, d.used, d.requested, d.retry_after_s]
        .into_iter()
        .flatten()
    {
        prop_assert!(v.is_finite() && v >= 0.0, "{d:?}");
    }
    if let Some(m) = &d.message {
        prop_assert_eq!(redact::redact(m), m.as_str());
    }
    Ok(())
}

/// Error-like text mixed with bytes that are not UTF-8 (lone continuation bytes, cut
/// multi-byte characters, overlong forms).
fn error_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let junk = prop::sample::select(vec![
        vec![0x80u8],
        vec![0xc3],
        vec![0xe2, 0x82],
        vec![0xf0, 0x9f, 0x98],
        vec![0xc0, 0xaf],
        vec![0xff, 0xfe],
        "é".as_bytes().to_vec(),
        "€429".as_bytes().to_vec(),
        "😀".as_bytes().to_vec(),
    ]);
    prop::collection::vec(
        prop_oneof![
            3 => error_like().prop_map(String::into_bytes),
            1 => junk,
            1 => prop::collection::vec(any::<u8>(), 0..16),
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

/// Header names the parser reads, in any case, with values it must read or refuse.
fn known_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::sample::select(vec![
        "retry-after",
        "retry-after-ms",
        "x-amz-retry-after",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
        "x-ratelimit-limit-project-tokens",
        "x-ratelimit-limit-tokens-prompt",
        "x-ratelimit-remaining-tokens-generated",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-input-tokens-reset",
        "anthropic-priority-output-tokens-limit",
        "x-ratelimitbysize-limit-minute",
        "x-ratelimitbysize-remaining-month",
        "ratelimitbysize-reset",
        "x-tokenlimit-limit",
        "x-tokenlimit-remaining",
    ]);
    let values = prop_oneof![
        prop::sample::select(vec![
            "-1",
            "-7",
            "0",
            "1e309",
            "-1e309",
            "NaN",
            "inf",
            "1,000",
            "\"12\"",
            "6m0s",
            "1h2m3.5s",
            "12ms",
            "-3s",
            "99999999999999999999",
            "1750000000000",
            "1750000000",
            "2025-08-21T12:40:59Z",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "",
        ])
        .prop_map(str::to_string),
        "-?[0-9]{1,25}(\\.[0-9]{0,8})?(e[+-]?[0-9]{1,3})?",
        ".{0,20}",
    ];
    let name = (names, any::<bool>()).prop_map(|(n, upper)| {
        if upper {
            n.to_ascii_uppercase()
        } else {
            n.to_string()
        }
    });
    prop::collection::vec((name, values), 0..16)
}

/// JSON nested `depth` levels deep around an error body, closed or not.
fn nested(depth: usize, open: &str, close: &str, closed: bool) -> String {
    let mut s = open.repeat(depth);
    s.push_str("{\"error\":{\"message\":\"Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.\",\"code\":\"rate_limit_exceeded\"}}");
    if closed {
        s.push_str(&close.repeat(depth));
    }
    s
}

proptest! {
    #[test]
    fn diagnose_never_panics_on_any_string(s in ".{0,400}") {
        let _ = diagnose(&s);
    }

    #[test]
    fn diagnose_never_panics_on_error_like_text(s in error_like()) {
        for d in diagnose(&s) {
            prop_assert!(d.occurrences >= 1);
            prop_assert!(d.span[0] <= d.span[1]);
            prop_assert!(d.span[1] as usize <= s.len());
            if let Some(r) = d.retry_after_s {
                prop_assert!(r.is_finite() && r >= 0.0);
            }
        }
    }

    #[test]
    fn scanner_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut s = Scanner::new();
        s.feed(&bytes);
        let _ = s.finish();
    }

    #[test]
    fn splitting_the_input_does_not_change_the_answer(s in error_like(), cuts in prop::collection::vec(1usize..64, 1..8)) {
        let whole = diagnose(&s);
        let bytes = s.as_bytes();
        let mut scanner = Scanner::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < bytes.len() {
            let n = cuts[i % cuts.len()].min(bytes.len() - pos);
            scanner.feed(&bytes[pos..pos + n]);
            pos += n;
            i += 1;
        }
        prop_assert_eq!(scanner.finish(), whole);
    }

    #[test]
    fn header_parse_never_panics(pairs in prop::collection::vec(("[a-zA-Z-]{0,40}", ".{0,30}"), 0..12)) {
        let h: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let snap = headers::parse(&h, None, None);
        for b in &snap.budgets {
            if let (Some(l), Some(r)) = (b.limit, b.remaining) {
                prop_assert!(r <= l, "remaining {r} > limit {l}");
            }
        }
    }

    #[test]
    fn go_duration_parse_never_panics(s in ".{0,30}") {
        if let Some(v) = duration::parse_go(&s) {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
    }

    #[test]
    fn go_duration_round_trips(ms in 1u64..100_000_000) {
        let secs = ms as f64 / 1000.0;
        let back = duration::parse_go(&duration::format_go(secs)).unwrap();
        prop_assert!((back - secs).abs() < 0.0015, "{secs} -> {} -> {back}", duration::format_go(secs));
    }

    #[test]
    fn generated_keys_never_survive_redaction(body in "[A-Za-z0-9]{24,40}", prefix in prop::sample::select(vec!["sk-", "sk-proj-", "sk-ant-api03-", "gsk_", "xai-"])) {
        let key = format!("{prefix}{body}");
        let text = format!("curl -H 'Authorization: Bearer {key}' and {key}");
        let out = redact::redact(&text);
        prop_assert!(!out.contains(&body[..20]), "{out}");
    }

    #[test]
    fn arbitrary_bytes_cut_anywhere_give_the_same_answer(bytes in error_like_bytes(), cuts in prop::collection::vec(1usize..40, 1..8)) {
        let whole = scan_whole(&bytes);
        for d in &whole {
            sane(d, bytes.len())?;
        }
        prop_assert_eq!(scan_in_chunks(&bytes, &cuts), whole.clone());
        // One byte at a time: every cut inside a character, a line, a JSON string.
        prop_assert_eq!(scan_in_chunks(&bytes, &[1]), whole);
    }

    #[test]
    fn known_headers_with_any_value_give_sane_budgets(pairs in known_headers(), provider in prop::sample::select(vec![None, Some(Provider::Openai), Some(Provider::Groq), Some(Provider::Openrouter), Some(Provider::Together), Some(Provider::Anthropic)])) {
        let h: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let now = jiff::Timestamp::from_second(1_750_000_000).ok();
        for clock in [None, now] {
            let snap = headers::parse(&h, provider, clock);
            for b in &snap.budgets {
                for v in [b.limit, b.remaining, b.reset_s].into_iter().flatten() {
                    prop_assert!(v.is_finite() && v >= 0.0, "{b:?} from {pairs:?}");
                }
                if let (Some(l), Some(r)) = (b.limit, b.remaining) {
                    prop_assert!(r <= l, "{b:?}");
                }
            }
            if let Some(r) = snap.retry_after_s {
                prop_assert!(r.is_finite() && r >= 0.0, "{r} from {pairs:?}");
            }
        }
    }

    #[test]
    fn views_render_whatever_is_diagnosed(s in error_like(), width in 0usize..200) {
        let found = diagnose(&s);
        let text = explain::cards(&found, Style::PLAIN, width);
        prop_assert!(found.is_empty() || text.contains("ratedoctor:"));
        let json: serde_json::Value = serde_json::from_str(&explain::json(&found)).unwrap();
        prop_assert_eq!(json["diagnoses"].as_array().map(Vec::len), Some(found.len()));
        let _ = explain::cards(&found, Style { color: true }, width);
    }

    #[test]
    fn redaction_is_idempotent_and_leaves_no_key(prefix in ".{0,20}", body in "[A-Za-z0-9]{32}", family in prop::sample::select(vec!["sk-", "sk-proj-", "sk-ant-api03-", "AIzaSy", "gsk_", "xai-", "Bearer ", "x-api-key: ", "?key="]), suffix in ".{0,20}") {
        let text = format!("{prefix}{family}{body}{suffix}");
        let once = redact::redact(&text).into_owned();
        prop_assert!(!once.contains(&body[..8]), "{once}");
        prop_assert_eq!(redact::redact(&once), once.as_str());
    }
}

proptest! {
    // Big inputs are slow in a debug build: a few cases, each past a limit of the engine.
    #![proptest_config(ProptestConfig::with_cases(3))]

    #[test]
    fn inputs_past_the_buffer_and_block_limits_split_the_same(seed in error_like(), repeat in 1usize..4, cuts in prop::collection::vec(1usize..70_000, 1..4)) {
        // > 64 KiB (the packed trigger search), > 256 KiB of one line (MAX_BLOCK), and
        // > 4000 lines in one block (MAX_BLOCK_LINES).
        let filler_line = "x".repeat(300 * 1024);
        let many_lines = "  at frame (file.js:1:1)\n".repeat(4500);
        let mut input = String::new();
        for _ in 0..repeat {
            input.push_str(&seed);
            input.push_str(&filler_line);
            input.push('\n');
            input.push_str("Error: 429 Too Many Requests\n");
            input.push_str(&many_lines);
            input.push_str(&seed);
        }
        let bytes = input.as_bytes();
        let whole = scan_whole(bytes);
        for d in &whole {
            sane(d, bytes.len())?;
        }
        prop_assert_eq!(scan_in_chunks(bytes, &cuts), whole);
    }
}

#[test]
fn deep_nesting_and_huge_numbers_are_not_a_problem() {
    for depth in [1, 47, 48, 49, 200, 10_000, 200_000] {
        for (open, close) in [("{\"a\":", "}"), ("[", "]"), ("{\"error\":", "}")] {
            for closed in [true, false] {
                let text = nested(depth, open, close, closed);
                let found = diagnose(&text);
                for d in &found {
                    assert!(d.span[1] as usize <= text.len());
                }
                let _ = ratedoctor::diagnose::diagnose_block(&text);
            }
        }
    }
    // Escaped JSON inside JSON inside JSON ...
    let mut text = "{\"error\":{\"message\":\"quota exceeded\",\"code\":429}}".to_string();
    for _ in 0..12 {
        text = serde_json::to_string(&serde_json::json!({"error": {"message": text}})).unwrap();
    }
    let _ = diagnose(&text);
    // Numbers an f64 cannot hold, and negative ones.
    for n in [
        "1e400",
        "-1e400",
        "99999999999999999999999999999",
        "-5",
        "NaN",
        "1e-400",
    ] {
        let text = format!(
            "{{\"error\":{{\"message\":\"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit {n}, Used {n}, Requested {n}. Please try again in {n}s.\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}}}\nretry-after: {n}\nretry-after-ms: {n}\n\"retryDelay\": \"{n}s\"\n"
        );
        for d in diagnose(&text) {
            for v in [d.limit, d.used, d.requested, d.retry_after_s]
                .into_iter()
                .flatten()
            {
                assert!(v.is_finite() && v >= 0.0, "{n}: {d:?}");
            }
        }
    }
}
