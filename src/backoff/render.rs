//! Text and JSON forms of a backoff schedule (core layer: builds strings, prints nothing).

use super::failure::Failure;
use super::policy::{GiveUp, Policy, WaitBasis};
use super::timeline::{RequestOutcome, RequestTrace, render_trace};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Seconds for a table cell: `0.437 s`, `2 s`, `59.5 s`, then `2 min 6 s` and up.
pub fn secs(s: f64) -> String {
    if !s.is_finite() {
        return "∞".to_string();
    }
    if s < 60.0 {
        let t = format!("{s:.3}");
        let t = t.trim_end_matches('0').trim_end_matches('.');
        format!("{t} s")
    } else {
        crate::duration::human(s)
    }
}

/// One line saying what ends the schedule.
pub fn ending(trace: &RequestTrace) -> String {
    match trace.outcome {
        RequestOutcome::GaveUp { reason } => reason.to_string(),
        RequestOutcome::Succeeded => "succeeded".to_string(),
        RequestOutcome::Pending => "still trying".to_string(),
    }
}

fn hint_text(failure: &Failure) -> String {
    match failure.retry_after_s {
        Some(h) => format!("retry-after {}", secs(h)),
        None => "no retry-after".to_string(),
    }
}

/// The table and timeline of `ratedoctor backoff`.
pub fn schedule_text(
    policy: &Policy,
    failure: &Failure,
    trace: &RequestTrace,
    width: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "policy {}: a call that keeps failing with {} {} ({})",
        policy.name,
        failure.status,
        failure.kind,
        hint_text(failure)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>7}  {:>10}  {:<16}  {:>10}  {:>10}  {:>10}  then",
        "attempt", "starts at", "answer", "advised", "wait", "cumulative"
    );
    for a in &trace.attempts {
        let answer = match a.outcome {
            super::timeline::AttemptOutcome::Ok => "200".to_string(),
            super::timeline::AttemptOutcome::Failed { kind, status } => format!("{status} {kind}"),
            super::timeline::AttemptOutcome::Pending => "pending".to_string(),
            super::timeline::AttemptOutcome::Lost => "no answer".to_string(),
        };
        let advised = a.advised_wait_s.map_or("-".to_string(), secs);
        let (wait, cumulative, then) = match (a.wait_s, a.basis) {
            (Some(w), basis) => (
                secs(w),
                secs(a.end_s + w),
                match basis {
                    Some(WaitBasis::Hint) => "retry (waits the server's hint)".to_string(),
                    _ => "retry (backoff)".to_string(),
                },
            ),
            (None, _) => ("-".to_string(), secs(a.end_s), ending(trace)),
        };
        let _ = writeln!(
            out,
            "{:>7}  {:>10}  {:<16}  {:>10}  {:>10}  {:>10}  {}",
            a.n,
            secs(a.start_s),
            answer,
            advised,
            wait,
            cumulative,
            then
        );
    }
    let _ = writeln!(out);
    let calls = trace.attempts.len();
    let _ = writeln!(
        out,
        "{calls} call{}, {} retr{}, {} spent waiting; {}",
        if calls == 1 { "" } else { "s" },
        trace.retries(),
        if trace.retries() == 1 { "y" } else { "ies" },
        secs(trace.waited_s()),
        ending(trace)
    );
    let end = trace.end_s();
    if end > 0.0 && trace.attempts.len() > 1 {
        let _ = writeln!(out);
        let line = render_trace(trace, 0.0, end, width);
        let _ = writeln!(out, "timeline  0 s |{line}| {}", secs(end));
        let _ = writeln!(
            out,
            "          x failed call  - waiting  ! last call, then gave up"
        );
    }
    out
}

/// The JSON document of `ratedoctor backoff --json`.
pub fn schedule_json(policy: &Policy, failure: &Failure, trace: &RequestTrace, seed: u64) -> Value {
    let gave_up: Option<GiveUp> = match trace.outcome {
        RequestOutcome::GaveUp { reason } => Some(reason),
        _ => None,
    };
    json!({
        "policy": policy,
        "failure": failure,
        "seed": seed,
        "attempts": trace.attempts,
        "calls": trace.attempts.len(),
        "retries": trace.retries(),
        "waited_s": trace.waited_s(),
        "total_s": trace.end_s(),
        "outcome": trace.outcome,
        "gave_up": gave_up,
        "ending": ending(trace),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::FailureKind;
    use crate::backoff::timeline::schedule;

    #[test]
    fn seed_table_reads_right() {
        let p = Policy::tenacity_seed();
        let f = Failure::new(FailureKind::Rpm);
        let t = schedule(&p, &f, 0.0, 0);
        let text = schedule_text(&p, &f, &t, 40);
        assert!(text.contains("gave up: all 6 attempts used"), "{text}");
        assert!(
            text.contains("6 calls, 5 retries, 32 s spent waiting"),
            "{text}"
        );
        let j = schedule_json(&p, &f, &t, 0);
        assert_eq!(j["calls"], 6);
        assert_eq!(j["gave_up"]["why"], "attempts_exhausted");
        assert_eq!(secs(0.4371), "0.437 s");
        assert_eq!(secs(2.0), "2 s");
    }
}
