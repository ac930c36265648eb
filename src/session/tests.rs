use super::*;
use crate::diagnose::diagnose;
use crate::event::{Event, EventKind, Usage};
use crate::headers::{self, Snapshot};

fn sent(t: f64, id: u64, group: u64, attempt: u32) -> Event {
    Event {
        t_ms: t,
        id,
        kind: EventKind::RequestSent {
            provider: Provider::Openai,
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            model: Some("gpt-4o-mini".into()),
            est_input_tokens: Some(10),
            max_tokens: Some(100),
            stream: false,
            group,
            attempt,
        },
    }
}

fn snap(rem_req: &str, retry_after: Option<&str>) -> Snapshot {
    let mut h = vec![
        ("x-ratelimit-limit-requests", "10"),
        ("x-ratelimit-remaining-requests", rem_req),
        ("x-ratelimit-reset-requests", "6s"),
    ];
    if let Some(r) = retry_after {
        h.push(("retry-after", r));
    }
    headers::parse(&h, Some(Provider::Openai), None)
}

fn got(t: f64, id: u64, status: u16, s: Snapshot, body: Option<&str>) -> Event {
    Event {
        t_ms: t,
        id,
        kind: EventKind::ResponseReceived {
            status,
            ttfb_ms: 5.0,
            snapshot: s,
            headers: vec![],
            diagnosis: body.and_then(|b| diagnose(b).into_iter().next()),
            usage: (status == 200).then_some(Usage {
                input_tokens: 10,
                output_tokens: 5,
            }),
        },
    }
}

const RPM_429: &str = r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 10, Used 10, Requested 1. Please try again in 6s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
const QUOTA_429: &str = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;

#[test]
fn budgets_counts_and_tokens() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(10.0, 1, 200, snap("9", None), None));
    s.apply(&sent(20.0, 2, 2, 0));
    s.apply(&got(30.0, 2, 200, snap("8", None), None));
    assert_eq!((s.requests, s.responses, s.rate_limited), (2, 2, 0));
    assert_eq!((s.input_tokens, s.output_tokens), (20, 10));
    let t = s.tightest().unwrap();
    assert_eq!(t.dimension, Dimension::Requests);
    assert_eq!(t.latest.remaining, Some(8.0));
    assert_eq!(t.history.len(), 2);
    assert!((t.headroom().unwrap() - 0.8).abs() < 1e-9);
    assert!(s.recommendation().contains("No rate limits hit"));
}

#[test]
fn a_session_with_no_request_says_the_program_did_not_come_through() {
    // Issue #14: a `run` whose program sent nothing said "No rate limits hit".
    let s = Session::new();
    assert!(
        s.recommendation()
            .starts_with("0 requests reached the proxy: does your program read OPENAI_BASE_URL"),
        "{}",
        s.recommendation()
    );
}

#[test]
fn a_client_that_retries_too_early_is_caught() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 7, 0));
    s.apply(&got(10.0, 1, 429, snap("0", Some("6")), Some(RPM_429)));
    // retried after 1 s although 6 s were advised
    s.apply(&sent(1010.0, 2, 7, 1));
    s.apply(&got(1020.0, 2, 429, snap("0", Some("5")), Some(RPM_429)));
    // then waited properly
    s.apply(&sent(7020.0, 3, 7, 2));
    s.apply(&got(7030.0, 3, 200, snap("9", None), None));
    let a = s.audit();
    assert_eq!(a.retries, 2);
    assert_eq!(a.too_early, 1);
    // The first retry (sent too early) was refused again; the second succeeded.
    assert_eq!(a.wasted_calls, 1);
    assert_eq!(a.non_retryable_retried, 0);
    assert!((a.waited_s - 7.0).abs() < 1e-9, "{}", a.waited_s);
    assert_eq!(s.rate_limited, 2);
    assert_eq!(s.by_kind.get(&Kind::Rpm), Some(&2));
    assert_eq!(s.diagnoses.len(), 1);
    assert_eq!(s.diagnoses[0].occurrences, 2);
    assert!(s.recommendation().contains("sooner than the server asked"));
}

#[test]
fn retrying_a_quota_error_is_flagged() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(5.0, 1, 429, Snapshot::default(), Some(QUOTA_429)));
    s.apply(&sent(2005.0, 2, 1, 1));
    s.apply(&got(2010.0, 2, 429, Snapshot::default(), Some(QUOTA_429)));
    let a = s.audit();
    assert_eq!(a.non_retryable_retried, 1);
    assert!(s.recommendation().starts_with("Stop retrying"));
}

#[test]
fn giving_up_while_the_budget_was_about_to_refill() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(5.0, 1, 429, snap("0", Some("2")), Some(RPM_429)));
    s.apply(&sent(10_000.0, 2, 2, 0));
    s.apply(&got(10_005.0, 2, 200, snap("9", None), None));
    assert_eq!(s.audit().gave_up_early, 1);
}

#[test]
fn forecast_from_a_falling_budget() {
    let mut s = Session::new();
    for i in 0..6u64 {
        let rem = (10 - i).to_string();
        s.apply(&sent(i as f64 * 1000.0, i + 1, i + 1, 0));
        s.apply(&got(
            i as f64 * 1000.0 + 1.0,
            i + 1,
            200,
            snap(&rem, None),
            None,
        ));
    }
    // 1 request per second, 5 left.
    let f = s.tightest().unwrap().forecast_empty_s().unwrap();
    assert!((f - 5.0).abs() < 0.1, "{f}");
}

#[test]
fn history_is_bounded() {
    let mut s = Session::new();
    for i in 0..(HISTORY as u64 * 3) {
        s.apply(&sent(i as f64, i + 1, i + 1, 0));
        s.apply(&got(i as f64 + 0.5, i + 1, 200, snap("5", None), None));
    }
    assert_eq!(s.budgets[0].history.len(), HISTORY);
    s.max_groups = 10;
    s.apply(&sent(1e9, 99_999, 99_999, 0));
    assert!(s.groups.len() <= 10);
}

#[test]
fn live_events_fold_into_the_timeline_model_simulate_produces() {
    use crate::backoff::timeline::{AttemptOutcome, RequestOutcome, render_trace};
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 7, 0));
    s.apply(&got(10.0, 1, 429, snap("0", Some("6")), Some(RPM_429)));
    s.apply(&sent(6010.0, 2, 7, 1));
    s.apply(&got(6020.0, 2, 429, snap("0", Some("6")), Some(QUOTA_429)));
    s.apply(&sent(9000.0, 3, 7, 2));
    let g = &s.groups[&7];
    assert_eq!(g.id, 7);
    assert_eq!(g.outcome, RequestOutcome::Pending);
    let a = &g.attempts;
    assert_eq!(a.len(), 3);
    assert_eq!(
        a[0].outcome,
        AttemptOutcome::Failed {
            kind: FailureKind::Rpm,
            status: 429
        }
    );
    assert_eq!((a[0].n, a[0].start_s, a[0].end_s), (1, 0.0, 0.01));
    assert_eq!(a[0].advised_wait_s, Some(6.0));
    assert!((a[0].wait_s.unwrap() - 6.0).abs() < 1e-9);
    // A quota 429 is a failure retrying cannot fix, whatever its status.
    assert!(a[1].outcome.is_final_failure());
    assert_eq!(a[2].outcome, AttemptOutcome::Pending);
    s.apply(&got(9500.0, 3, 200, snap("9", None), None));
    let g = &s.groups[&7];
    assert_eq!(g.outcome, RequestOutcome::Succeeded);
    assert_eq!(g.retries(), 2);
    // The text renderer `backoff` and `simulate` use draws it as it is.
    assert_eq!(render_trace(g, 0.0, 9.5, 20), "x-----------x-----o ");
}

/// The summary's counts add up (issue #14: "429s 360 (rpm 301, tpm 55, overloaded 20,
/// output_tpm 4)" summed to 380): answers split into ok, 429s, overloads and other errors;
/// the 429s by kind add up to the 429s; a retry refused again is a wasted call; a request
/// whose last answer was an error is one the program gave up.
#[test]
fn summary_counts_add_up() {
    let mut s = Session::new();
    // Request 1: 429, 429, then 200 (two retries, one refused again).
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(10.0, 1, 429, snap("0", Some("1")), Some(RPM_429)));
    s.apply(&sent(1100.0, 2, 1, 1));
    s.apply(&got(1110.0, 2, 429, snap("0", Some("1")), Some(RPM_429)));
    s.apply(&sent(2200.0, 3, 1, 2));
    s.apply(&got(2210.0, 3, 200, snap("5", None), None));
    // Request 2: a quota 429, retried once, refused again, then given up.
    s.apply(&sent(3000.0, 4, 2, 0));
    s.apply(&got(3010.0, 4, 429, snap("5", None), Some(QUOTA_429)));
    s.apply(&sent(3500.0, 5, 2, 1));
    s.apply(&got(3510.0, 5, 429, snap("5", None), Some(QUOTA_429)));
    // Request 3: overloaded (529); request 4: a 500; request 5: no answer.
    s.apply(&sent(4000.0, 6, 3, 0));
    s.apply(&got(4010.0, 6, 529, snap("5", None), None));
    s.apply(&sent(4100.0, 7, 4, 0));
    s.apply(&got(4110.0, 7, 500, snap("5", None), None));
    s.apply(&sent(4200.0, 8, 5, 0));
    s.apply(&Event {
        t_ms: 4300.0,
        id: 8,
        kind: EventKind::Failed {
            error: "cut".into(),
        },
    });
    let sum = s.summary(&Helped::default());
    assert_eq!(sum.requests, 8);
    assert_eq!((sum.responses, sum.failures), (7, 1));
    assert_eq!(
        (sum.ok, sum.rate_limited, sum.overloaded, sum.other_errors),
        (1, 4, 1, 1)
    );
    assert_eq!(
        sum.ok + sum.rate_limited + sum.overloaded + sum.other_errors,
        sum.responses
    );
    assert_eq!(
        sum.rate_limited_by_kind.values().sum::<u64>(),
        sum.rate_limited
    );
    assert_eq!(sum.rate_limited_by_kind.get("rpm"), Some(&2));
    assert_eq!(sum.rate_limited_by_kind.get("quota"), Some(&2));
    assert_eq!(sum.retries_by_client, 3);
    assert_eq!(sum.non_retryable_retried, 1);
    assert_eq!(sum.wasted_calls, 2, "the two retries refused again");
    assert_eq!(
        sum.failed_requests, 4,
        "quota, 529, 500 and the lost request"
    );
    // What the proxy did itself is told apart from the program's retries.
    let helped = Helped {
        retries: 1,
        paced: 0,
        paced_s: 0.0,
    };
    assert_eq!(s.summary(&helped).retries_by_client, 2);
    assert_eq!(s.summary(&helped).retries_by_ratedoctor, 1);
}

/// Issue #14: a budget whose reset has passed with no newer answer is history, not
/// `27/30 reset 0.0 s` unchanged; the clock is passed in.
#[test]
fn a_budget_goes_stale_once_its_reset_passes_without_a_newer_answer() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    // 8 of 10 left, full again in 6 s.
    s.apply(&got(1000.0, 1, 200, snap("8", None), None));
    let b = &s.budgets[0];
    for now in [1000.0, 4000.0, 7000.0] {
        assert!(!b.is_stale(now), "at {now} ms");
        assert_eq!(b.remaining_at(now), Some(8.0));
        assert_eq!(b.stale_note(now, |x| x.to_string()), None);
    }
    // 13 s after the answer: its reset (6 s) has passed.
    let now = 14_000.0;
    assert!(b.is_stale(now));
    assert_eq!(b.age_s(now), 13.0);
    assert_eq!(b.remaining_at(now), Some(10.0), "refilled by estimate");
    assert_eq!(b.headroom_at(now), Some(1.0));
    assert_eq!(b.reset_in_s(now), Some(0.0));
    assert_eq!(
        b.stale_note(now, |x| x.to_string()).as_deref(),
        Some("est. refilled; 8 left 13 s ago")
    );
    // A newer answer makes it current again.
    s.apply(&sent(14_000.0, 2, 2, 0));
    s.apply(&got(14_100.0, 2, 200, snap("9", None), None));
    assert!(!s.budgets[0].is_stale(14_500.0));
    assert_eq!(s.budgets[0].remaining_at(14_500.0), Some(9.0));
}

#[test]
fn a_fresh_zero_reset_is_not_stale_and_a_budget_without_reset_never_is() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    let h = [
        ("x-ratelimit-limit-requests", "10"),
        ("x-ratelimit-remaining-requests", "10"),
        ("x-ratelimit-reset-requests", "0s"),
        ("x-ratelimit-limit-tokens", "1000"),
        ("x-ratelimit-remaining-tokens", "100"),
    ];
    s.apply(&got(
        1000.0,
        1,
        200,
        headers::parse(&h, Some(Provider::Openai), None),
        None,
    ));
    let req = s
        .budgets
        .iter()
        .find(|b| b.dimension == Dimension::Requests)
        .unwrap();
    let tok = s
        .budgets
        .iter()
        .find(|b| b.dimension == Dimension::Tokens)
        .unwrap();
    assert!(!req.is_stale(1500.0), "half a second old");
    assert!(req.is_stale(2500.0));
    assert!(!tok.is_stale(1e9), "no reset time: never called stale");
}

#[test]
fn the_tightest_budget_counts_a_passed_reset_as_a_refill() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(1000.0, 1, 200, snap("1", None), None));
    assert!(s.recommendation().contains("at 90% of its limit"));
    assert_eq!(
        s.tightest_at(2000.0).unwrap().headroom_at(2000.0),
        Some(0.1)
    );
    // 20 s later the 6 s reset has long passed.
    assert_eq!(
        s.tightest_at(21_000.0).unwrap().headroom_at(21_000.0),
        Some(1.0)
    );
}

/// A 429 with no body to diagnose is still a 429: the recommendation does not say "No
/// 429s yet" beside a summary that counts one.
#[test]
fn an_undiagnosed_429_is_not_no_429s() {
    let mut s = Session::new();
    s.apply(&sent(0.0, 1, 1, 0));
    s.apply(&got(10.0, 1, 429, snap("0", None), None));
    assert_eq!(s.rate_limited, 1);
    assert!(
        !s.recommendation().starts_with("No 429s yet"),
        "{}",
        s.recommendation()
    );
}

/// The errors per minute by kind: a log's stamps may come out of order, each counts in its
/// second; the minute is the one before `now`; ten minutes back is all that is kept.
#[test]
fn errors_per_minute_by_kind() {
    let rpm = RPM_429;
    let mut s = Session::new();
    for (id, t) in [(1, 10_000.0), (2, 70_500.0), (3, 30_000.0), (4, 70_900.0)] {
        s.apply(&got(t, id, 429, Snapshot::default(), Some(rpm)));
    }
    assert_eq!(s.errors_per_min(Kind::Rpm, 71_000.0), 3);
    assert_eq!(s.errors_per_min(Kind::Rpm, 100_000.0), 2);
    assert_eq!(s.errors_per_min(Kind::Tpm, 71_000.0), 0);
    assert_eq!(
        Vec::from(s.error_times[&Kind::Rpm].clone()),
        [(10, 1), (30, 1), (70, 2)]
    );
    s.apply(&got(700_000.0, 5, 429, Snapshot::default(), Some(rpm)));
    assert_eq!(Vec::from(s.error_times[&Kind::Rpm].clone()), [(700, 1)]);
    assert_eq!(s.by_kind[&Kind::Rpm], 5);
}
