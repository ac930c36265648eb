use super::*;

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn refused(o: Outcome) -> Refusal {
    match o {
        Outcome::Refused(r) => r,
        Outcome::Admitted => panic!("expected a refusal"),
    }
}

#[test]
fn unlimited_admits_everything() {
    let mut l = Limiter::new(Limits::default(), 0.0);
    let cost = Cost::default()
        .with(Dim::Rpm, 1)
        .with(Dim::Tpm, 1_000_000)
        .billed(1_000_000);
    for i in 0..1000 {
        assert_eq!(l.admit(&cost, f64::from(i)), Outcome::Admitted);
    }
    assert!(l.statuses(0.0).is_empty());
}

#[test]
fn rpm_bucket_refills_continuously() {
    let mut l = Limiter::new(
        Limits {
            rpm: Some(60),
            ..Limits::default()
        },
        0.0,
    );
    let one = Cost::default().with(Dim::Rpm, 1);
    for _ in 0..60 {
        assert_eq!(l.admit(&one, 10.0), Outcome::Admitted);
    }
    let r = refused(l.admit(&one, 10.0));
    assert_eq!(r.reason, Reason::Limit(Dim::Rpm));
    assert_eq!((r.limit, r.used, r.requested), (60, 60, 1));
    assert!(approx(r.retry_after_s.unwrap(), 1.0));
    // Half a second later half a request has refilled: still refused, 0.5 s to go.
    let r = refused(l.admit(&one, 10.5));
    assert!(approx(r.retry_after_s.unwrap(), 0.5));
    assert_eq!(r.used, 60);
    // After the advertised wait it is admitted.
    assert_eq!(l.admit(&one, 11.0), Outcome::Admitted);
    let s = l.status(Dim::Rpm, 11.0).unwrap();
    assert_eq!((s.limit, s.remaining), (60, 0));
    assert!(approx(s.reset_s, 60.0));
    // A full minute refills the whole bucket, and no more.
    let s = l.status(Dim::Rpm, 500.0).unwrap();
    assert_eq!(s.remaining, 60);
    assert!(approx(s.reset_s, 0.0));
}

#[test]
fn token_bucket_numbers_match_the_openai_grammar() {
    // Limit 10000, Used 9348, Requested 5086 -> wait (5086 - 652) / (10000/60) s.
    let mut l = Limiter::new(
        Limits {
            tpm: Some(10_000),
            ..Limits::default()
        },
        0.0,
    );
    assert_eq!(
        l.admit(&Cost::default().with(Dim::Tpm, 9348), 0.0),
        Outcome::Admitted
    );
    let r = refused(l.admit(&Cost::default().with(Dim::Tpm, 5086), 0.0));
    assert_eq!((r.limit, r.used, r.requested), (10_000, 9348, 5086));
    assert!(approx(
        r.retry_after_s.unwrap(),
        (5086.0 - 652.0) * 60.0 / 10_000.0
    ));
    let s = l.status(Dim::Tpm, 0.0).unwrap();
    assert_eq!(s.remaining, 652);
    assert!(approx(s.reset_s, 9348.0 * 60.0 / 10_000.0));
}

#[test]
fn used_rounds_remaining_down() {
    let mut l = Limiter::new(
        Limits {
            rpm: Some(3),
            ..Limits::default()
        },
        0.0,
    );
    let one = Cost::default().with(Dim::Rpm, 1);
    for _ in 0..3 {
        assert_eq!(l.admit(&one, 0.0), Outcome::Admitted);
    }
    // 10 s later: 0.5 of a request has refilled; remaining 0, used 3.
    let r = refused(l.admit(&one, 10.0));
    assert_eq!((r.limit, r.used, r.requested), (3, 3, 1));
    assert!(approx(r.retry_after_s.unwrap(), 10.0));
}

#[test]
fn request_bigger_than_the_limit_is_too_large() {
    let mut l = Limiter::new(
        Limits {
            tpm: Some(1000),
            ..Limits::default()
        },
        0.0,
    );
    let r = refused(l.admit(&Cost::default().with(Dim::Tpm, 1001), 0.0));
    assert_eq!(r.reason, Reason::TooLarge(Dim::Tpm));
    assert_eq!((r.limit, r.used, r.requested), (1000, 0, 1001));
    assert_eq!(r.retry_after_s, None);
}

#[test]
fn day_window_resets_at_the_next_day_start() {
    // The day started 1000 s before the limiter's origin.
    let mut l = Limiter::new(
        Limits {
            rpd: Some(2),
            ..Limits::default()
        },
        -1000.0,
    );
    let one = Cost::default().with(Dim::Rpd, 1);
    assert_eq!(l.admit(&one, 0.0), Outcome::Admitted);
    assert_eq!(l.admit(&one, 100.0), Outcome::Admitted);
    let r = refused(l.admit(&one, 200.0));
    assert_eq!(r.reason, Reason::Limit(Dim::Rpd));
    assert_eq!((r.limit, r.used, r.requested), (2, 2, 1));
    assert!(approx(r.retry_after_s.unwrap(), DAY_S - 1000.0 - 200.0));
    let s = l.status(Dim::Rpd, 200.0).unwrap();
    assert_eq!(s.remaining, 0);
    assert!(approx(s.reset_s, DAY_S - 1200.0));
    // Nothing refills within the day.
    assert!(matches!(l.admit(&one, DAY_S - 1001.0), Outcome::Refused(_)));
    // The next day it is full again.
    assert_eq!(l.admit(&one, DAY_S - 1000.0), Outcome::Admitted);
    assert_eq!(l.status(Dim::Rpd, DAY_S - 1000.0).unwrap().remaining, 1);
}

#[test]
fn tokens_per_day() {
    let mut l = Limiter::new(
        Limits {
            tpd: Some(100),
            ..Limits::default()
        },
        0.0,
    );
    assert_eq!(
        l.admit(&Cost::default().with(Dim::Tpd, 60), 5.0),
        Outcome::Admitted
    );
    let r = refused(l.admit(&Cost::default().with(Dim::Tpd, 50), 5.0));
    assert_eq!(r.reason, Reason::Limit(Dim::Tpd));
    assert_eq!((r.limit, r.used, r.requested), (100, 60, 50));
    assert!(approx(r.retry_after_s.unwrap(), DAY_S - 5.0));
}

#[test]
fn input_and_output_buckets_are_separate() {
    let limits = Limits {
        input_tpm: Some(1000),
        output_tpm: Some(200),
        ..Limits::default()
    };
    let mut l = Limiter::new(limits, 0.0);
    let cost = |i, o| {
        Cost::default()
            .with(Dim::InputTpm, i)
            .with(Dim::OutputTpm, o)
    };
    assert_eq!(l.admit(&cost(100, 150), 0.0), Outcome::Admitted);
    // Input has room, output does not.
    let r = refused(l.admit(&cost(100, 100), 0.0));
    assert_eq!(r.reason, Reason::Limit(Dim::OutputTpm));
    assert_eq!((r.limit, r.used, r.requested), (200, 150, 100));
    assert!(approx(r.retry_after_s.unwrap(), 50.0 * 60.0 / 200.0));
    // Nothing was charged for the refusal.
    assert_eq!(l.status(Dim::InputTpm, 0.0).unwrap().remaining, 900);
    assert_eq!(l.admit(&cost(900, 50), 0.0), Outcome::Admitted);
    let r = refused(l.admit(&cost(1, 0), 0.0));
    assert_eq!(r.reason, Reason::Limit(Dim::InputTpm));
}

#[test]
fn the_longest_wait_is_reported_when_several_refuse() {
    let limits = Limits {
        rpm: Some(1),
        tpm: Some(600),
        rpd: Some(1),
        ..Limits::default()
    };
    let mut l = Limiter::new(limits, 0.0);
    let cost = Cost::default()
        .with(Dim::Rpm, 1)
        .with(Dim::Rpd, 1)
        .with(Dim::Tpm, 600);
    assert_eq!(l.admit(&cost, 0.0), Outcome::Admitted);
    // All three refuse; the day window has the longest wait.
    assert_eq!(refused(l.admit(&cost, 1.0)).reason, Reason::Limit(Dim::Rpd));

    // Minute buckets only: TPM needs 59 s, RPM 59 s too -> tie broken by Dim::ALL (Rpm).
    let limits = Limits {
        rpm: Some(1),
        tpm: Some(600),
        ..Limits::default()
    };
    let mut l = Limiter::new(limits, 0.0);
    let cost = Cost::default().with(Dim::Rpm, 1).with(Dim::Tpm, 600);
    assert_eq!(l.admit(&cost, 0.0), Outcome::Admitted);
    assert_eq!(refused(l.admit(&cost, 1.0)).reason, Reason::Limit(Dim::Rpm));
    // A smaller token request: RPM waits 59 s, TPM only 9 s -> RPM.
    let small = Cost::default().with(Dim::Rpm, 1).with(Dim::Tpm, 100);
    let r = refused(l.admit(&small, 1.0));
    assert_eq!(r.reason, Reason::Limit(Dim::Rpm));
    assert!(approx(r.retry_after_s.unwrap(), 59.0));
    // At 59.5 s RPM has 0.975 requests and TPM plenty: RPM still refuses.
    let r = refused(l.admit(&small, 59.5));
    assert_eq!(r.reason, Reason::Limit(Dim::Rpm));
    assert!(approx(r.retry_after_s.unwrap(), 0.5));
}

#[test]
fn uncharged_dimensions_are_not_checked() {
    let mut l = Limiter::new(
        Limits {
            rpm: Some(1),
            rpd: Some(1),
            ..Limits::default()
        },
        0.0,
    );
    let minute_only = Cost::default().with(Dim::Rpm, 1);
    assert_eq!(l.admit(&minute_only, 0.0), Outcome::Admitted);
    assert_eq!(l.admit(&minute_only, 60.0), Outcome::Admitted);
    assert_eq!(l.status(Dim::Rpd, 60.0).unwrap().remaining, 1);
}

#[test]
fn too_large_wins_over_a_short_wait() {
    let limits = Limits {
        rpm: Some(1),
        tpm: Some(100),
        ..Limits::default()
    };
    let mut l = Limiter::new(limits, 0.0);
    assert_eq!(
        l.admit(&Cost::default().with(Dim::Rpm, 1), 0.0),
        Outcome::Admitted
    );
    let r = refused(l.admit(&Cost::default().with(Dim::Rpm, 1).with(Dim::Tpm, 101), 0.0));
    assert_eq!(r.reason, Reason::TooLarge(Dim::Tpm));
}

#[test]
fn quota_is_spent_once_and_never_returns() {
    let mut l = Limiter::new(
        Limits {
            quota_tokens: Some(100),
            ..Limits::default()
        },
        0.0,
    );
    assert_eq!(l.admit(&Cost::default().billed(60), 0.0), Outcome::Admitted);
    // The request that crosses the allowance still runs (credit goes slightly negative).
    assert_eq!(l.admit(&Cost::default().billed(60), 0.0), Outcome::Admitted);
    assert_eq!(l.quota_spent(), 120);
    for t in [0.0, 60.0, DAY_S * 40.0] {
        let r = refused(l.admit(&Cost::default().billed(1), t));
        assert_eq!(r.reason, Reason::Quota);
        assert_eq!((r.limit, r.used, r.requested), (100, 120, 1));
        assert_eq!(r.retry_after_s, None);
    }
}

#[test]
fn concurrency_counts_requests_in_flight() {
    let mut l = Limiter::new(
        Limits {
            concurrency: Some(2),
            ..Limits::default()
        },
        0.0,
    );
    let c = Cost::default();
    assert_eq!(l.admit(&c, 0.0), Outcome::Admitted);
    assert_eq!(l.admit(&c, 0.0), Outcome::Admitted);
    let r = refused(l.admit(&c, 0.0));
    assert_eq!(r.reason, Reason::Concurrency);
    assert_eq!((r.limit, r.used, r.requested), (2, 2, 1));
    l.release();
    assert_eq!(l.in_flight(), 1);
    assert_eq!(l.admit(&c, 0.0), Outcome::Admitted);
}

#[test]
fn refund_is_capped_at_the_limit() {
    let mut l = Limiter::new(
        Limits {
            output_tpm: Some(100),
            ..Limits::default()
        },
        0.0,
    );
    assert_eq!(
        l.admit(&Cost::default().with(Dim::OutputTpm, 80), 0.0),
        Outcome::Admitted
    );
    l.refund(Dim::OutputTpm, 50, 0.0);
    assert_eq!(l.status(Dim::OutputTpm, 0.0).unwrap().remaining, 70);
    l.refund(Dim::OutputTpm, 500, 0.0);
    assert_eq!(l.status(Dim::OutputTpm, 0.0).unwrap().remaining, 100);
}

#[test]
fn time_going_backwards_is_ignored() {
    let mut l = Limiter::new(
        Limits {
            rpm: Some(60),
            ..Limits::default()
        },
        0.0,
    );
    let one = Cost::default().with(Dim::Rpm, 60);
    assert_eq!(l.admit(&one, 100.0), Outcome::Admitted);
    assert_eq!(l.status(Dim::Rpm, 50.0).unwrap().remaining, 0);
    assert_eq!(l.status(Dim::Rpm, 130.0).unwrap().remaining, 30);
}

#[test]
fn a_refusal_uses_a_request_only_when_a_whole_one_is_left() {
    let limits = Limits {
        rpm: Some(60),
        tpm: Some(1000),
        ..Limits::default()
    };
    let openai = Cost::default()
        .with(Dim::Rpm, 1)
        .with(Dim::Tpm, 10)
        .on_refusal(1);
    let mut l = Limiter::new(limits, 0.0);
    for _ in 0..60 {
        assert_eq!(l.admit(&openai, 0.0), Outcome::Admitted);
    }
    // Refused by the request limit itself: no whole request left to use, so the wait
    // advertised at 0.5 s is the half second the bucket still needs, and it holds.
    let r = refused(l.admit(&openai, 0.5));
    assert_eq!(r.reason, Reason::Limit(Dim::Rpm));
    assert!(approx(r.retry_after_s.unwrap(), 0.5), "{r:?}");
    assert_eq!(l.admit(&openai, 1.0), Outcome::Admitted);
}

#[test]
fn a_token_refusal_also_takes_a_request_and_the_longest_wait_is_advertised() {
    let limits = Limits {
        rpm: Some(60),
        tpm: Some(600),
        ..Limits::default()
    };
    let big = Cost::default()
        .with(Dim::Rpm, 1)
        .with(Dim::Tpm, 600)
        .on_refusal(1);
    let mut l = Limiter::new(limits, 0.0);
    assert_eq!(l.admit(&big, 0.0), Outcome::Admitted);
    // Each refusal for tokens uses a request: hammering burns the request budget too.
    for _ in 0..58 {
        let r = refused(l.admit(&big, 0.0));
        assert_eq!(r.reason, Reason::Limit(Dim::Tpm));
        assert!(approx(r.retry_after_s.unwrap(), 60.0));
    }
    assert_eq!(l.status(Dim::Rpm, 0.0).unwrap().remaining, 1);
    // With one request left, the refusal takes it and the wait covers both limits.
    let r = refused(l.admit(&big, 0.0));
    assert_eq!(l.status(Dim::Rpm, 0.0).unwrap().remaining, 0);
    assert!(approx(r.retry_after_s.unwrap(), 60.0));
    // Without the charge (the default) refusals cost nothing.
    let free = Cost::default().with(Dim::Rpm, 1).with(Dim::Tpm, 600);
    let mut l = Limiter::new(limits, 0.0);
    assert_eq!(l.admit(&free, 0.0), Outcome::Admitted);
    refused(l.admit(&free, 0.0));
    assert_eq!(l.status(Dim::Rpm, 0.0).unwrap().remaining, 59);
}

#[test]
fn a_spent_quota_charges_nothing_more() {
    let limits = Limits {
        rpm: Some(60),
        quota_tokens: Some(10),
        ..Limits::default()
    };
    let cost = Cost::default().with(Dim::Rpm, 1).billed(10).on_refusal(1);
    let mut l = Limiter::new(limits, 0.0);
    assert_eq!(l.admit(&cost, 0.0), Outcome::Admitted);
    assert_eq!(refused(l.admit(&cost, 0.0)).reason, Reason::Quota);
    assert_eq!(l.status(Dim::Rpm, 0.0).unwrap().remaining, 59);
}
