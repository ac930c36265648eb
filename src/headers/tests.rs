use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn openai_headers() {
    let h = [
        ("x-ratelimit-limit-requests", "60"),
        ("x-ratelimit-limit-tokens", "150000"),
        ("x-ratelimit-remaining-requests", "59"),
        ("x-ratelimit-remaining-tokens", "149984"),
        ("x-ratelimit-reset-requests", "1s"),
        ("x-ratelimit-reset-tokens", "6m0s"),
        ("Retry-After", "56"),
    ];
    let s = parse(&h, Some(Provider::Openai), None);
    let r = s.get(Dimension::Requests).unwrap();
    assert_eq!(
        (r.limit, r.remaining, r.reset_s),
        (Some(60.0), Some(59.0), Some(1.0))
    );
    assert_eq!(r.window, Some(Window::Minute));
    let t = s.get(Dimension::Tokens).unwrap();
    assert_eq!(
        (t.limit, t.remaining, t.reset_s),
        (Some(150000.0), Some(149984.0), Some(360.0))
    );
    assert_eq!(s.retry_after_s, Some(56.0));
}

#[test]
fn groq_requests_are_per_day() {
    let h = [
        ("x-ratelimit-limit-requests", "14400"),
        ("x-ratelimit-remaining-requests", "14370"),
        ("x-ratelimit-reset-requests", "2m59.56s"),
        ("x-ratelimit-limit-tokens", "18000"),
        ("x-ratelimit-reset-tokens", "7.66s"),
    ];
    let s = parse(&h, Some(Provider::Groq), None);
    let r = s.get(Dimension::Requests).unwrap();
    assert_eq!(r.window, Some(Window::Day));
    assert!((r.reset_s.unwrap() - 179.56).abs() < 1e-9);
    assert_eq!(
        s.get(Dimension::Tokens).unwrap().window,
        Some(Window::Minute)
    );
    assert!(s.notes.iter().any(|n| n.contains("per day")));
}

#[test]
fn anthropic_headers_with_now() {
    let h = [
        ("anthropic-ratelimit-input-tokens-limit", "80000"),
        ("anthropic-ratelimit-input-tokens-remaining", "79000"),
        (
            "anthropic-ratelimit-input-tokens-reset",
            "2025-08-21T12:40:59Z",
        ),
        ("anthropic-ratelimit-requests-limit", "1000"),
        ("anthropic-ratelimit-requests-remaining", "999"),
        ("anthropic-ratelimit-requests-reset", "2025-08-21T12:41:00Z"),
        ("retry-after", "12"),
    ];
    let s = parse(
        &h,
        Some(Provider::Anthropic),
        Some(ts("2025-08-21T12:40:30Z")),
    );
    let i = s.get(Dimension::InputTokens).unwrap();
    assert_eq!(i.limit, Some(80000.0));
    assert_eq!(i.reset_s, Some(29.0));
    assert_eq!(i.reset_at.as_deref(), Some("2025-08-21T12:40:59Z"));
    assert_eq!(s.get(Dimension::Requests).unwrap().reset_s, Some(30.0));
    assert_eq!(s.retry_after_s, Some(12.0));
}

#[test]
fn azure_placeholders_and_ms() {
    let h = [
        ("x-ratelimit-limit-tokens", "-1"),
        ("x-ratelimit-remaining-tokens", "-1"),
        ("x-ratelimit-reset-tokens", "0"),
        ("retry-after-ms", "1500"),
        ("retry-after", "2"),
    ];
    let s = parse(&h, Some(Provider::Azure), None);
    assert_eq!(s.retry_after_s, Some(1.5), "retry-after-ms wins");
    let t = s.get(Dimension::Tokens);
    assert!(t.is_none() || t.unwrap().limit.is_none());
    assert!(s.notes.iter().any(|n| n.contains("-1")));
}

#[test]
fn openrouter_epoch_ms_reset() {
    let h = [
        ("X-RateLimit-Limit", "50"),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", "1784505600000"),
    ];
    let s = parse(
        &h,
        Some(Provider::Openrouter),
        Some(ts("2026-07-19T23:00:00Z")),
    );
    let r = s.get(Dimension::Requests).unwrap();
    assert_eq!(r.reset_at.as_deref(), Some("2026-07-20T00:00:00Z"));
    assert_eq!(r.reset_s, Some(3600.0));
}

#[test]
fn remaining_never_exceeds_limit() {
    let h = [
        ("x-ratelimit-limit-tokens", "10"),
        ("x-ratelimit-remaining-tokens", "50"),
    ];
    let s = parse(&h, None, None);
    assert_eq!(s.get(Dimension::Tokens).unwrap().remaining, Some(10.0));
}

#[test]
fn tightest_budget() {
    let h = [
        ("x-ratelimit-limit-requests", "100"),
        ("x-ratelimit-remaining-requests", "90"),
        ("x-ratelimit-limit-tokens", "1000"),
        ("x-ratelimit-remaining-tokens", "10"),
    ];
    let s = parse(&h, None, None);
    assert_eq!(s.tightest().unwrap().dimension, Dimension::Tokens);
}

#[test]
fn provider_guess_from_names() {
    assert_eq!(
        provider_from_headers(["anthropic-ratelimit-requests-limit"]),
        Some(Provider::Anthropic)
    );
    assert_eq!(
        provider_from_headers(["x-ms-region", "x-ratelimit-limit-tokens"]),
        Some(Provider::Azure)
    );
    assert_eq!(
        provider_from_headers(["x-ratelimit-reset-tokens"]),
        Some(Provider::Openai)
    );
    assert_eq!(provider_from_headers(["date", "server"]), None);
}

#[test]
fn http_date_retry_after_needs_now() {
    let h = [("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")];
    assert_eq!(parse(&h, None, None).retry_after_s, None);
    let s = parse(&h, None, Some(ts("2015-10-21T07:27:00Z")));
    assert_eq!(s.retry_after_s, Some(60.0));
}

#[test]
fn negative_numbers_are_dropped_not_shown() {
    // Found by fuzz/ (headers target): a remaining of -7 came out as "-7 of 10 left".
    let h = [
        ("x-ratelimit-limit", "10"),
        ("x-ratelimit-remaining", "-7"),
        ("x-ratelimit-reset", "-2"),
        ("anthropic-ratelimit-tokens-limit", "-5"),
        ("anthropic-ratelimit-tokens-remaining", "3"),
    ];
    let s = parse(&h, Some(Provider::Together), None);
    let r = s.get(Dimension::Requests).unwrap();
    assert_eq!((r.limit, r.remaining, r.reset_s), (Some(10.0), None, None));
    let t = s.get(Dimension::Tokens).unwrap();
    assert_eq!((t.limit, t.remaining), (None, Some(3.0)));
}
