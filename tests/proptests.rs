//! Property tests: the parsers never panic on any input, streaming is split-invariant,
//! and redaction removes what it must.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use ratedoctor::diagnose::{Scanner, diagnose};
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
}
