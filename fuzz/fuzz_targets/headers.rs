//! Fuzz target: the header parser and the duration parsers behind it.
//!
//! The input is read as `name: value` lines (the shape of `curl -i` output) and parsed as
//! every provider family would, with and without a clock. Budgets must never report more
//! remaining than their limit, and every number must be finite and not negative.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ratedoctor::diagnose::Provider;
use ratedoctor::{duration, headers};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once(':').unwrap_or((l, "")))
        .collect();
    let now = jiff::Timestamp::from_second(1_750_000_000).ok();
    let providers = [
        None,
        Some(Provider::Openai),
        Some(Provider::Groq),
        Some(Provider::Openrouter),
        Some(Provider::Together),
    ];
    for p in providers {
        for clock in [None, now] {
            let snap = headers::parse(&pairs, p, clock);
            for b in &snap.budgets {
                if let (Some(l), Some(r)) = (b.limit, b.remaining) {
                    assert!(r <= l, "remaining {r} > limit {l}: {b:?}");
                }
                for v in [b.limit, b.remaining, b.reset_s].into_iter().flatten() {
                    assert!(v.is_finite() && v >= 0.0, "{b:?}");
                }
            }
            if let Some(r) = snap.retry_after_s {
                assert!(r.is_finite() && r >= 0.0, "{snap:?}");
            }
        }
    }
    let _ = headers::provider_from_headers(pairs.iter().map(|(n, _)| *n));
    for (_, v) in &pairs {
        if let Some(s) = duration::parse_go(v.trim()) {
            assert!(s.is_finite() && s >= 0.0, "{v:?} -> {s}");
        }
        let _ = duration::parse_retry_after(v);
        let _ = duration::parse_retry_after_ms(v);
        let _ = duration::parse_http_date(v);
        let _ = duration::parse_rfc3339(v);
    }
});
