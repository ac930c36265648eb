//! Backoff policies: golden schedules against each client's documented constants
//! (`provider-formats.md` §16, tenacity's `wait.py`), and properties of every policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use ratedoctor::backoff::timeline::{RequestOutcome, RequestTrace, schedule};
use ratedoctor::backoff::{
    Decision, Failure, FailureKind, GiveUp, HintRule, PRESETS, Policy, Rng, WaitBasis, parse_policy,
};

fn waits(t: &RequestTrace) -> Vec<f64> {
    t.attempts.iter().filter_map(|a| a.wait_s).collect()
}

fn gave_up(t: &RequestTrace) -> GiveUp {
    match t.outcome {
        RequestOutcome::GaveUp { reason } => reason,
        other => panic!("expected a give-up, got {other:?}"),
    }
}

fn rpm() -> Failure {
    Failure::new(FailureKind::Rpm)
}

#[test]
fn openai_sdk_without_hint_two_jittered_retries() {
    for seed in 0..200 {
        let t = schedule(&Policy::openai_sdk(), &rpm(), 0.0, seed);
        let w = waits(&t);
        assert_eq!(w.len(), 2, "DEFAULT_MAX_RETRIES = 2");
        assert!((0.375..=0.5).contains(&w[0]), "{w:?}");
        assert!((0.75..=1.0).contains(&w[1]), "{w:?}");
        assert_eq!(gave_up(&t), GiveUp::AttemptsExhausted { attempts: 3 });
    }
    // The cap: min(0.5 · 2^n, 8.0) reaches MAX_RETRY_DELAY at n = 4.
    let p = Policy::openai_sdk();
    assert_eq!(p.base_wait(4), 8.0);
    assert_eq!(p.base_wait(9), 8.0);
}

#[test]
fn openai_sdk_hint_rules() {
    let p = Policy::openai_sdk();
    let t = schedule(&p, &rpm().with_hint(Some(20.0)), 0.0, 1);
    assert_eq!(waits(&t), vec![20.0, 20.0], "hint used as is");
    let t = schedule(&p, &rpm().with_hint(Some(120.0)), 0.0, 1);
    assert_eq!(waits(&t), vec![120.0, 120.0], "0 < x <= 120 is honoured");
    let t = schedule(&p, &rpm().with_hint(Some(121.0)), 0.0, 1);
    assert_eq!(t.attempts.len(), 1, "retry-after > 120 s: no retry");
    assert_eq!(
        gave_up(&t),
        GiveUp::HintTooLong {
            hint_s: 121.0,
            max_s: 120.0
        }
    );
    // A zero hint is not honoured: backoff.
    let t = schedule(&p, &rpm().with_hint(Some(0.0)), 0.0, 1);
    assert!(waits(&t)[0] <= 0.5);
}

#[test]
fn sdk_status_rules() {
    let p = Policy::openai_sdk();
    for status in [408, 409, 429, 500, 503, 529] {
        let f = Failure::new(FailureKind::ServerError).with_status(status);
        assert_eq!(schedule(&p, &f, 0.0, 0).attempts.len(), 3, "{status}");
    }
    for status in [400, 401, 403, 404, 413] {
        let f = Failure::new(FailureKind::BadRequest).with_status(status);
        assert_eq!(schedule(&p, &f, 0.0, 0).attempts.len(), 1, "{status}");
    }
    // The SDK only sees a 429: it retries insufficient_quota too.
    let q = schedule(&p, &Failure::new(FailureKind::Quota), 0.0, 0);
    assert_eq!(q.attempts.len(), 3);
}

#[test]
fn anthropic_sdk_falls_back_above_60_and_still_retries() {
    let p = Policy::anthropic_sdk();
    let t = schedule(&p, &rpm().with_hint(Some(60.0)), 0.0, 3);
    assert_eq!(waits(&t), vec![60.0, 60.0]);
    for seed in 0..100 {
        let t = schedule(&p, &rpm().with_hint(Some(61.0)), 0.0, seed);
        let w = waits(&t);
        assert_eq!(w.len(), 2);
        assert!(
            (0.375..=0.5).contains(&w[0]) && (0.75..=1.0).contains(&w[1]),
            "{w:?}"
        );
    }
    let overloaded = Failure::new(FailureKind::Overloaded);
    assert_eq!(overloaded.status, 529);
    assert_eq!(
        schedule(&p, &overloaded, 0.0, 0).attempts.len(),
        3,
        "529 is >= 500"
    );
}

#[test]
fn tenacity_seed_golden() {
    let p = Policy::tenacity_seed();
    let t = schedule(&p, &rpm(), 0.0, 0);
    // max(2, min(1 · 2^(attempt_number − 1), 60)) after attempts 1..5; stop after attempt 6.
    assert_eq!(waits(&t), vec![2.0, 2.0, 4.0, 8.0, 16.0]);
    assert_eq!(t.attempts.len(), 6);
    assert_eq!(t.end_s(), 32.0);
    assert_eq!(gave_up(&t), GiveUp::AttemptsExhausted { attempts: 6 });
    // Ignores Retry-After.
    let t = schedule(&p, &rpm().with_hint(Some(30.0)), 0.0, 0);
    assert_eq!(waits(&t), vec![2.0, 2.0, 4.0, 8.0, 16.0]);
    // Retries quota errors (RateLimitError): the seed's flaw, 32 s wasted.
    let t = schedule(&p, &Failure::new(FailureKind::Quota), 0.0, 0);
    assert_eq!(t.attempts.len(), 6);
    // Does not retry a 529 (not a RateLimitError).
    let t = schedule(&p, &Failure::new(FailureKind::Overloaded), 0.0, 0);
    assert_eq!(t.attempts.len(), 1);
}

#[test]
fn tenacity_seed_over_the_sdk_makes_up_to_18_calls() {
    let p = Policy::preset("tenacity-seed+sdk").unwrap();
    for seed in 0..50 {
        let t = schedule(&p, &rpm(), 0.0, seed);
        assert_eq!(t.attempts.len(), 18, "6 tenacity attempts x 3 SDK calls");
        let w = waits(&t);
        assert_eq!(w.len(), 17);
        for (i, x) in w.iter().enumerate() {
            match i % 3 {
                0 => assert!((0.375..=0.5).contains(x), "{i}: {x}"),
                1 => assert!((0.75..=1.0).contains(x), "{i}: {x}"),
                _ => assert_eq!(*x, [2.0, 2.0, 4.0, 8.0, 16.0][i / 3], "tenacity's wait"),
            }
        }
        assert_eq!(gave_up(&t), GiveUp::AttemptsExhausted { attempts: 6 });
    }
    // With a 20 s hint the SDK waits it; tenacity still waits its own 2, 2, 4, 8, 16.
    let w = waits(&schedule(&p, &rpm().with_hint(Some(20.0)), 0.0, 0));
    assert_eq!(&w[..6], &[20.0, 20.0, 2.0, 20.0, 20.0, 2.0]);
    // Over 120 s the SDK raises at once: one call per tenacity attempt.
    let t = schedule(&p, &rpm().with_hint(Some(300.0)), 0.0, 0);
    assert_eq!(waits(&t), vec![2.0, 2.0, 4.0, 8.0, 16.0]);
}

#[test]
fn tenacity_random_full_jitter_over_doubling_window() {
    let p = Policy::tenacity_random();
    let mut seen_small = false;
    for seed in 0..200 {
        let w = waits(&schedule(&p, &rpm(), 0.0, seed));
        assert_eq!(w.len(), 5);
        for (k, x) in w.iter().enumerate() {
            let hi = 2f64.powi(k as i32).min(60.0);
            assert!((0.0..=hi).contains(x), "retry {k}: {x} not in [0, {hi}]");
        }
        seen_small |= w[4] < 8.0;
    }
    assert!(seen_small, "jitter spreads over the whole window");
}

#[test]
fn google_genai_adds_up_to_one_second() {
    let p = Policy::google_genai();
    for seed in 0..100 {
        let t = schedule(&p, &rpm().with_hint(Some(47.0)), 0.0, seed);
        let w = waits(&t);
        assert_eq!(w.len(), 4, "5 attempts");
        for (k, x) in w.iter().enumerate() {
            let lo = 2f64.powi(k as i32);
            assert!((lo..=lo + 1.0).contains(x), "{x} for retry {k}");
        }
    }
    let conflict = Failure::new(FailureKind::ServerError).with_status(409);
    assert_eq!(schedule(&p, &conflict, 0.0, 0).attempts.len(), 1);
}

#[test]
fn none_never_retries() {
    let t = schedule(&Policy::none(), &rpm().with_hint(Some(1.0)), 0.0, 0);
    assert_eq!(t.attempts.len(), 1);
}

#[test]
fn ratedoctor_golden() {
    let p = Policy::ratedoctor();
    for kind in [
        FailureKind::Quota,
        FailureKind::TooLarge,
        FailureKind::BadRequest,
        FailureKind::Auth,
    ] {
        let t = schedule(&p, &Failure::new(kind).with_hint(Some(5.0)), 0.0, 0);
        assert_eq!(t.attempts.len(), 1, "{kind}");
        assert!(matches!(gave_up(&t), GiveUp::NotRetried { .. }));
    }
    for seed in 0..100 {
        let t = schedule(&p, &rpm().with_hint(Some(20.0)), 0.0, seed);
        // Exactly the hint, every time (refused clients return in the order they were
        // refused), whatever the seed.
        assert!(waits(&t).iter().all(|w| *w == 20.0), "{:?}", waits(&t));
        // 600 s cap: the first call at 0 s, then one every 20 s up to 600 s: 31 in all.
        assert_eq!(t.attempts.len(), 31);
        assert!(matches!(gave_up(&t), GiveUp::TotalCap { .. }));
    }
    // A day limit's hint beyond the cap: stop now, say why.
    let t = schedule(
        &p,
        &Failure::new(FailureKind::Rpd).with_hint(Some(3600.0)),
        0.0,
        0,
    );
    assert_eq!(t.attempts.len(), 1);
    assert!(matches!(gave_up(&t), GiveUp::TotalCap { .. }));
    let text = gave_up(&t).to_string();
    assert!(text.contains("10 min"), "{text}");
}

#[test]
fn custom_form_from_the_issue() {
    let p = parse_policy("exp:min=2,max=60,mult=1,jitter=full,attempts=6,honor-retry-after=true")
        .unwrap();
    for seed in 0..50 {
        let w = waits(&schedule(&p, &rpm(), 0.0, seed));
        assert_eq!(w.len(), 5);
        for (k, x) in w.iter().enumerate() {
            let hi = 2f64.powi(k as i32).clamp(2.0, 60.0);
            assert!((0.0..=hi).contains(x));
        }
    }
    let w = waits(&schedule(&p, &rpm().with_hint(Some(7.0)), 0.0, 0));
    assert_eq!(w, vec![7.0; 5]);
}

fn kind_strategy() -> impl Strategy<Value = FailureKind> {
    (0..FailureKind::ALL.len()).prop_map(|i| FailureKind::ALL[i])
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    let presets = (0..PRESETS.len()).prop_map(|i| Policy::preset(PRESETS[i]).unwrap());
    let custom = (
        0.0f64..5.0,
        0.0f64..100.0,
        0.1f64..4.0,
        1.0f64..4.0,
        prop::sample::select(vec!["none", "full", "equal", "sdk", "minus:0.5", "plus:2"]),
        1u32..12,
        any::<bool>(),
        prop::option::of(1.0f64..200.0),
    )
        .prop_map(|(min, span, mult, base, jitter, attempts, honour, max_hint)| {
            let spec = format!(
                "exp:min={min},max={},mult={mult},base={base},jitter={jitter},attempts={attempts},honor-retry-after={honour}{}",
                min + span,
                max_hint.map_or(String::new(), |m| format!(",max-retry-after={m}"))
            );
            parse_policy(&spec).unwrap()
        });
    prop_oneof![presets, custom]
}

proptest! {
    #[test]
    fn every_policy_keeps_its_promises(
        p in policy_strategy(),
        kind in kind_strategy(),
        hint in prop::option::of(0.0f64..500.0),
        attempts in 1u32..15,
        elapsed in 0.0f64..1000.0,
        seed in any::<u64>(),
    ) {
        let f = Failure::new(kind).with_hint(hint);
        let a = p.decide(attempts, elapsed, &f, &mut Rng::new(seed));
        let b = p.decide(attempts, elapsed, &f, &mut Rng::new(seed));
        prop_assert_eq!(a, b, "deterministic per seed");
        let honoured_hint = match (p.hint, hint) {
            (HintRule::Honour { max_s, .. }, Some(h)) if h > 0.0 => max_s.is_none_or(|m| h <= m).then_some(h),
            _ => None,
        };
        match a {
            Decision::Retry(w) => {
                prop_assert!(attempts < p.max_attempts);
                prop_assert!(w.wait_s >= 0.0 && w.wait_s.is_finite());
                if p.name == "ratedoctor" {
                    prop_assert!(kind.retryable(), "non-retryable → no retry");
                }
                if let Some(h) = honoured_hint {
                    prop_assert_eq!(w.basis, WaitBasis::Hint);
                    prop_assert!(w.wait_s >= h, "never below an honoured hint");
                    let spread = match p.hint { HintRule::Honour { spread, .. } => spread, HintRule::Ignore => 0.0 };
                    let grow = (attempts - 1).saturating_sub(ratedoctor::backoff::GROW_AFTER);
                    let widest = (h * spread * 2f64.powi(grow as i32)).min(p.max_s);
                    prop_assert!(w.wait_s <= h + widest + 1e-9);
                } else {
                    prop_assert_eq!(w.basis, WaitBasis::Backoff);
                    let (lo, hi) = p.backoff_band(attempts - 1);
                    prop_assert!(w.wait_s >= lo - 1e-9 && w.wait_s <= hi + 1e-9, "jitter band [{}, {}]: {}", lo, hi, w.wait_s);
                    prop_assert!(w.wait_s <= p.max_s.max(p.min_s) + 1e-9, "never above the cap");
                }
                if let Some(cap) = p.total_cap_s {
                    prop_assert!(elapsed + w.wait_s <= cap);
                }
            }
            Decision::GiveUp(_) => {}
        }
        if p.name == "none" {
            prop_assert!(matches!(a, Decision::GiveUp(_)));
        }
        if p.name == "ratedoctor" && !kind.retryable() {
            let is_not_retried = matches!(a, Decision::GiveUp(GiveUp::NotRetried { .. }));
            prop_assert!(is_not_retried);
        }
    }

    #[test]
    fn waits_before_jitter_never_decrease(p in policy_strategy(), k in 0u32..40) {
        prop_assert!(p.base_wait(k) <= p.base_wait(k + 1));
        prop_assert!(p.base_wait(k) <= p.max_s.max(p.min_s));
    }

    #[test]
    fn schedules_are_deterministic_and_finite(
        p in policy_strategy(),
        kind in kind_strategy(),
        hint in prop::option::of(0.0f64..200.0),
        seed in any::<u64>(),
    ) {
        let f = Failure::new(kind).with_hint(hint);
        let a = schedule(&p, &f, 0.0, seed);
        prop_assert_eq!(&a, &schedule(&p, &f, 0.0, seed));
        let per_attempt = p.inner.as_ref().map_or(1, |i| i.max_attempts);
        prop_assert!(a.attempts.len() as u32 <= p.max_attempts * per_attempt);
        let ended = matches!(a.outcome, RequestOutcome::GaveUp { .. });
        prop_assert!(ended);
        for w in a.attempts.windows(2) {
            prop_assert!(w[1].start_s >= w[0].end_s);
        }
    }
}
