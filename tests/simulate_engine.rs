//! The simulator on workloads small enough to work out by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::backoff::Policy;
use ratedoctor::backoff::timeline::{AttemptOutcome, RequestOutcome};
use ratedoctor::limiter::Limits;
use ratedoctor::simulate::{
    SimOptions, Workload, advertised_hint, lower_bound, parse_limits, parse_workload, recommend,
    simulate,
};

fn workload(spec: &str) -> Workload {
    parse_workload(spec).unwrap().synthetic().unwrap()
}

fn run(limits: &str, wl: &str, policy: Policy) -> ratedoctor::simulate::SimRun {
    simulate(
        &parse_limits(limits).unwrap(),
        &workload(wl),
        &policy,
        &SimOptions {
            seed: 7,
            record: 10,
            ..SimOptions::default()
        },
    )
}

#[test]
fn rpm_60_two_minutes_of_work_takes_one_minute() {
    // 60 go at once from the full bucket, then one per second as it refills.
    let r = run(
        "rpm=60",
        "requests=120,input=10,max_tokens=10,concurrency=1,latency=0",
        Policy::openai_sdk(),
    );
    let s = &r.stats;
    assert_eq!(s.outcome.succeeded, 120);
    assert_eq!(s.outcome.failed, 0);
    assert!(
        (59.0..=61.0).contains(&s.outcome.total_s),
        "{}",
        s.outcome.total_s
    );
    assert_eq!(s.lower_bound_s, 60.0);
    assert_eq!(s.binding, "rpm");
    assert!(s.throughput_share > 0.97, "{}", s.throughput_share);
    // Each of the last 60 is refused once, told "retry-after: 1", and waits exactly 1 s.
    assert_eq!(s.outcome.rate_limited, 60);
    assert_eq!(s.outcome.retries, 60);
    assert_eq!(s.outcome.wasted_calls, 0);
    assert_eq!(s.refusals.get("rpm"), Some(&60));
}

#[test]
fn sequential_latency_bound_never_hits_the_limit() {
    // 1 s per call, one worker: 60 calls take 60 s and the bucket refills faster.
    let r = run(
        "rpm=60",
        "requests=60,input=10,max_tokens=10,concurrency=1,latency=1000",
        Policy::tenacity_seed(),
    );
    assert_eq!(r.stats.outcome.rate_limited, 0);
    assert!((r.stats.outcome.total_s - 60.0).abs() < 1e-9);
    assert_eq!(r.stats.p50_s, Some(1.0));
    assert_eq!(r.stats.p99_s, Some(1.0));
}

#[test]
fn tpm_bound_by_hand() {
    // Each request charges max(100, 50) = 100 tokens; 30 of them = 3000 against 1000/min:
    // 60·(3000 − 1000)/1000 = 120 s.
    let limits = parse_limits("tpm=1000").unwrap();
    let w = workload("requests=30,input=100,max_tokens=50,concurrency=2,latency=0");
    assert_eq!(lower_bound(&limits, &w), (120.0, "tpm"));
    let r = simulate(&limits, &w, &Policy::ratedoctor(), &SimOptions::default());
    assert_eq!(r.stats.outcome.failed, 0);
    assert!(
        r.stats.outcome.total_s >= 120.0 && r.stats.outcome.total_s < 140.0,
        "{}",
        r.stats.outcome.total_s
    );
}

#[test]
fn quota_runs_out_and_only_ratedoctor_stops_at_once() {
    // 1000 quota tokens; each request bills 50 input + 8..24 output, so ~15 succeed.
    let limits = "quota=1000";
    let wl = "requests=40,input=50,max_tokens=100,concurrency=1,latency=0";
    let ours = run(limits, wl, Policy::ratedoctor()).stats;
    let seed = run(limits, wl, Policy::tenacity_seed()).stats;
    let sdk = run(limits, wl, Policy::openai_sdk()).stats;
    assert!(
        ours.outcome.succeeded >= 13 && ours.outcome.succeeded <= 17,
        "{}",
        ours.outcome.succeeded
    );
    for s in [&ours, &seed, &sdk] {
        assert_eq!(s.outcome.succeeded, ours.outcome.succeeded, "{}", s.policy);
        assert_eq!(s.outcome.failed, 40 - ours.outcome.succeeded);
        assert_eq!(
            s.refusals.keys().copied().collect::<Vec<_>>(),
            vec!["quota"]
        );
    }
    assert_eq!(ours.outcome.retries, 0);
    assert_eq!(ours.gave_up.get("not_retried"), Some(&ours.outcome.failed));
    assert_eq!(ours.outcome.total_s, 0.0);
    // The SDK retries twice, the seed five times with 2+2+4+8+16 = 32 s, per request.
    assert_eq!(sdk.outcome.retries, 2 * sdk.outcome.failed);
    assert_eq!(seed.outcome.retries, 5 * seed.outcome.failed);
    assert_eq!(seed.outcome.wasted_calls, 5 * seed.outcome.failed);
    assert!((seed.outcome.total_s - 32.0 * seed.outcome.failed as f64).abs() < 1e-6);
    // The seed as it really runs, over the SDK's own retries: 18 calls per failed request.
    let real = run(limits, wl, Policy::preset("tenacity-seed+sdk").unwrap()).stats;
    assert_eq!(real.outcome.failed, ours.outcome.failed);
    assert_eq!(
        real.outcome.calls - real.outcome.succeeded,
        18 * real.outcome.failed
    );
}

#[test]
fn a_policy_that_gives_up() {
    let r = run(
        "rpm=10",
        "requests=30,input=10,max_tokens=10,concurrency=1,latency=0",
        Policy::none(),
    );
    assert_eq!(r.stats.outcome.succeeded, 10);
    assert_eq!(r.stats.outcome.failed, 20);
    assert_eq!(r.stats.outcome.calls, 30);
    assert_eq!(r.stats.gave_up.get("not_retried"), Some(&20));
    assert!(r.stats.throughput_share < 0.5);
}

#[test]
fn concurrency_refusals_have_no_hint_and_backoff_recovers() {
    let r = run(
        "concurrency=2",
        "requests=12,input=10,max_tokens=10,concurrency=4,latency=1000",
        Policy::ratedoctor(),
    );
    let s = &r.stats;
    assert_eq!(s.outcome.failed, 0);
    assert!(s.refusals.get("concurrency").copied().unwrap_or(0) > 0);
    assert!(
        s.outcome.total_s >= 6.0,
        "ceil(12/2) rounds of 1 s: {}",
        s.outcome.total_s
    );
    assert_eq!(s.lower_bound_s, 6.0);
    for t in &r.timeline.requests {
        for a in &t.attempts {
            if let AttemptOutcome::Failed { .. } = a.outcome {
                assert_eq!(a.advised_wait_s, None);
            }
        }
    }
}

#[test]
fn traces_follow_the_policy_and_runs_are_deterministic() {
    let limits = "rpm=30,tpm=20000";
    let wl = "requests=200,input=200,max_tokens=300,concurrency=2,latency=500";
    let a = run(limits, wl, Policy::ratedoctor());
    let b = run(limits, wl, Policy::ratedoctor());
    assert_eq!(a, b);
    assert_eq!(a.timeline.requests.len(), 10);
    for t in &a.timeline.requests {
        assert_eq!(t.outcome, RequestOutcome::Succeeded);
        for pair in t.attempts.windows(2) {
            let waited = pair[0].wait_s.unwrap();
            assert!((pair[1].start_s - (pair[0].end_s + waited)).abs() < 1e-9);
            if let Some(h) = pair[0].advised_wait_s {
                assert!(waited >= h, "honours the hint");
            }
        }
    }
    let hist_total: u64 = a
        .histogram
        .columns(a.stats.outcome.total_s, 40)
        .iter()
        .map(|c| c.0)
        .sum();
    assert_eq!(hist_total, a.stats.outcome.succeeded);
    assert_eq!(a.stats.outcome.failed, 0);
}

#[test]
fn hint_rounding_matches_the_emulator() {
    assert_eq!(advertised_hint(0.2), 1.0);
    assert_eq!(advertised_hint(1.0), 1.0);
    assert_eq!(advertised_hint(2.0001), 3.0);
}

#[test]
fn empty_limits_finish_at_latency() {
    let r = simulate(
        &Limits::default(),
        &workload("requests=5,concurrency=5,latency=200"),
        &Policy::none(),
        &SimOptions::default(),
    );
    assert!((r.stats.outcome.total_s - 0.2).abs() < 1e-9);
    assert!((r.stats.throughput_share - 1.0).abs() < 1e-9);
}

#[test]
fn recommendation_finds_a_clean_setting() {
    // 16 workers on 60 RPM with the seed's decorator: many 429s and give-ups.
    let limits = parse_limits("rpm=60").unwrap();
    let w = workload("requests=150,input=10,max_tokens=10,concurrency=16,latency=500");
    let seed = simulate(
        &limits,
        &w,
        &Policy::tenacity_seed(),
        &SimOptions::default(),
    );
    assert!(seed.stats.outcome.rate_limited > 0);
    let rec = recommend(
        &limits,
        &w,
        &[Policy::tenacity_seed(), Policy::ratedoctor()],
        0,
    )
    .unwrap();
    assert!(rec.no_failures, "{rec:?}");
    assert_eq!(rec.stats.outcome.failed, 0);
    assert!(seed.stats.outcome.failed > 0, "{:?}", seed.stats);
    assert!(rec.stats.outcome.rate_limited < seed.stats.outcome.rate_limited);
    assert!(rec.reason.ends_with('.'), "{}", rec.reason);
    assert!(!rec.reason.contains('\n'));
}

#[test]
fn recommendation_lowers_max_tokens_when_tpm_binds() {
    let limits = parse_limits("tpm=10000").unwrap();
    let w = workload("requests=60,input=100,max_tokens=1000,concurrency=4,latency=500");
    let rec = recommend(&limits, &w, &[Policy::ratedoctor()], 0).unwrap();
    assert!(rec.no_failures);
    assert_eq!(rec.max_tokens, Some(250), "{}", rec.reason);
    assert!(rec.reason.contains("max_tokens"), "{}", rec.reason);
}

#[test]
fn recommendation_admits_when_nothing_avoids_failures() {
    let limits = parse_limits("quota=500").unwrap();
    let w = workload("requests=30,input=50,max_tokens=50,concurrency=2,latency=0");
    let rec = recommend(&limits, &w, &[Policy::openai_sdk()], 0).unwrap();
    assert!(!rec.no_failures);
    assert!(rec.reason.contains("credit"), "{}", rec.reason);
}
