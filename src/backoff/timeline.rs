//! The backoff timeline (core layer): attempts grouped per logical request, each with its
//! start, its outcome, the wait the server advised and the wait actually taken. One model
//! for every source — `backoff` schedules, `simulate` runs, and live (`watch`/`run`) and
//! replayed recordings, which [`crate::session::Session`] folds into these same traces — so
//! the TUI's timeline pane and the text renderers draw all of them with one code path.
//!
//! Times are seconds from an origin the source chooses (the simulation start, the first
//! event of a recording). Nothing here reads a clock.

use super::failure::{Failure, FailureKind};
use super::policy::{Decision, GiveUp, Policy, RetryState, WaitBasis};
use super::rng::Rng;
use serde::{Deserialize, Serialize};

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Ok,
    /// A failure (429, 529, 5xx …) of this kind and status.
    Failed { kind: FailureKind, status: u16 },
    /// Sent, no answer yet (live sources).
    Pending,
    /// No HTTP answer at all: the connection failed or was cut (live sources).
    Lost,
}

impl AttemptOutcome {
    /// A failure that retrying can never fix (quota, too large, bad request, auth).
    pub fn is_final_failure(self) -> bool {
        matches!(self, AttemptOutcome::Failed { kind, .. } if !kind.retryable())
    }

    /// The HTTP status, when there was an answer.
    pub fn status(self) -> Option<u16> {
        match self {
            AttemptOutcome::Ok => Some(200),
            AttemptOutcome::Failed { status, .. } => Some(status),
            AttemptOutcome::Pending | AttemptOutcome::Lost => None,
        }
    }
}

/// One HTTP call of a logical request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first call.
    pub n: u32,
    pub start_s: f64,
    /// When the answer arrived (the start while [`AttemptOutcome::Pending`]).
    pub end_s: f64,
    pub outcome: AttemptOutcome,
    /// What the server advised (`retry-after-ms` / `retry-after`), if anything.
    pub advised_wait_s: Option<f64>,
    /// The wait actually taken before the next attempt (`None` for the last one).
    pub wait_s: Option<f64>,
    /// Where that wait came from.
    pub basis: Option<WaitBasis>,
}

/// How a logical request ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum RequestOutcome {
    /// Still being tried (live sources).
    Pending,
    Succeeded,
    GaveUp {
        reason: GiveUp,
    },
}

/// Every attempt of one logical request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestTrace {
    pub id: u64,
    pub attempts: Vec<Attempt>,
    pub outcome: RequestOutcome,
}

impl RequestTrace {
    pub fn new(id: u64) -> Self {
        RequestTrace {
            id,
            attempts: Vec::new(),
            outcome: RequestOutcome::Pending,
        }
    }

    /// Records a call's answer.
    pub fn record(
        &mut self,
        start_s: f64,
        end_s: f64,
        outcome: AttemptOutcome,
        advised: Option<f64>,
    ) {
        let n = self.attempts.len() as u32 + 1;
        self.attempts.push(Attempt {
            n,
            start_s,
            end_s,
            outcome,
            advised_wait_s: advised,
            wait_s: None,
            basis: None,
        });
        if outcome == AttemptOutcome::Ok {
            self.outcome = RequestOutcome::Succeeded;
        }
    }

    /// Records the wait chosen after the last call.
    pub fn waited(&mut self, wait_s: f64, basis: WaitBasis) {
        if let Some(a) = self.attempts.last_mut() {
            a.wait_s = Some(wait_s);
            a.basis = Some(basis);
        }
    }

    /// Records that the client stopped trying.
    pub fn give_up(&mut self, reason: GiveUp) {
        self.outcome = RequestOutcome::GaveUp { reason };
    }

    /// When the first call started (0 with no calls).
    pub fn start_s(&self) -> f64 {
        self.attempts.first().map_or(0.0, |a| a.start_s)
    }

    /// When the last answer arrived (0 with no calls).
    pub fn end_s(&self) -> f64 {
        self.attempts.last().map_or(0.0, |a| a.end_s)
    }

    /// Calls after the first.
    pub fn retries(&self) -> u32 {
        (self.attempts.len() as u32).saturating_sub(1)
    }

    /// Seconds spent waiting between calls.
    pub fn waited_s(&self) -> f64 {
        self.attempts
            .iter()
            .filter_map(|a| a.wait_s)
            .fold(0.0, |a, b| a + b)
    }
}

/// Many requests: what the TUI's timeline pane draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub requests: Vec<RequestTrace>,
}

impl Timeline {
    /// The time span covered, `(first start, last end)`.
    pub fn span(&self) -> (f64, f64) {
        let start = self
            .requests
            .iter()
            .map(RequestTrace::start_s)
            .fold(f64::INFINITY, f64::min);
        let end = self
            .requests
            .iter()
            .map(RequestTrace::end_s)
            .fold(0.0, f64::max);
        if start.is_finite() {
            (start, end)
        } else {
            (0.0, 0.0)
        }
    }

    /// One text line per request, `width` columns for the span: `x` a failed call,
    /// `o` a success, `.` no answer (yet), `-` waiting, `!` the last failed call before the
    /// client gave up.
    pub fn render_ascii(&self, width: usize) -> Vec<String> {
        let (t0, t1) = self.span();
        self.requests
            .iter()
            .map(|r| render_trace(r, t0, t1, width))
            .collect()
    }
}

/// One request as a line of `width` cells over `[t0, t1]`.
pub fn render_trace(r: &RequestTrace, t0: f64, t1: f64, width: usize) -> String {
    let width = width.max(2);
    let span = (t1 - t0).max(1e-9);
    let col = |t: f64| {
        ((((t - t0) / span) * (width - 1) as f64).round().max(0.0) as usize).min(width - 1)
    };
    let mut cells = vec![' '; width];
    for a in &r.attempts {
        if let Some(w) = a.wait_s {
            let (c0, c1) = (col(a.end_s), col(a.end_s + w));
            for c in cells.iter_mut().take(c1 + 1).skip(c0) {
                *c = '-';
            }
        }
    }
    for a in &r.attempts {
        let c = col(a.start_s);
        cells[c] = match a.outcome {
            AttemptOutcome::Ok => 'o',
            AttemptOutcome::Failed { .. } => 'x',
            AttemptOutcome::Pending | AttemptOutcome::Lost => '.',
        };
    }
    if let (RequestOutcome::GaveUp { .. }, Some(last)) = (r.outcome, r.attempts.last()) {
        cells[col(last.start_s)] = '!';
    }
    cells.into_iter().collect()
}

/// The schedule of a call that fails the same way every time: attempt 1 at 0 s, each
/// failure answered after `latency_s`, the policy's wait, the next attempt … until the
/// policy gives up. Deterministic per `seed`.
pub fn schedule(policy: &Policy, failure: &Failure, latency_s: f64, seed: u64) -> RequestTrace {
    let mut rng = Rng::new(seed);
    let mut trace = RequestTrace::new(0);
    let mut t = 0.0;
    let mut state = RetryState::default();
    let latency_s = latency_s.max(0.0);
    loop {
        let end = t + latency_s;
        trace.record(
            t,
            end,
            AttemptOutcome::Failed {
                kind: failure.kind,
                status: failure.status,
            },
            failure.retry_after_s,
        );
        let attempts = trace.attempts.len() as u32;
        match policy.next(&mut state, end, failure, &mut rng) {
            Decision::Retry(w) => {
                trace.waited(w.wait_s, w.basis);
                t = end + w.wait_s;
            }
            Decision::GiveUp(reason) => {
                trace.give_up(reason);
                return trace;
            }
        }
        // Policies stop by themselves (attempts are capped); this is a belt and braces.
        if attempts >= 10_000 {
            trace.give_up(GiveUp::AttemptsExhausted { attempts });
            return trace;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_schedule_draws() {
        let t = schedule(
            &Policy::tenacity_seed(),
            &Failure::new(FailureKind::Rpm),
            0.0,
            1,
        );
        let line = render_trace(&t, 0.0, t.end_s(), 33);
        assert_eq!(line.chars().count(), 33);
        assert!(line.starts_with('x'));
        assert_eq!(line.matches('x').count(), 5);
        assert!(line.ends_with('!'));
        assert_eq!(t.retries(), 5);
        assert_eq!(t.waited_s(), 32.0);
    }
}
