//! The state every live view draws (core layer: pure): events folded into budgets per
//! dimension with their history, counts, diagnoses, and the retry audit of each logical
//! request. `apply` is the only way in; time comes from the events themselves.
//!
//! Logical requests are kept as [`RequestTrace`]s, the timeline model `backoff` and
//! `simulate` produce, with times in seconds since the session's origin: the TUI draws live,
//! replayed and simulated runs with one code path.

use crate::backoff::FailureKind;
use crate::backoff::timeline::{Attempt, AttemptOutcome, RequestOutcome, RequestTrace};
use crate::diagnose::{Diagnosis, Kind, Provider, Window};
use crate::event::{Event, EventKind, RetryBy};
use crate::headers::{Budget, Dimension};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

mod summary;
pub use summary::{Helped, Summary};

/// Points of history kept per budget (older ones are dropped).
pub const HISTORY: usize = 240;
/// How far back [`Session::error_times`] reaches (ms before the latest event).
pub const ERROR_TIMES_MS: f64 = 600_000.0;
/// A client retry this much sooner than advised counts as "too early".
pub const EARLY_TOLERANCE_S: f64 = 0.25;
/// A budget is stale once its reset has passed and it is at least this old (seconds): a
/// `reset 0 s` seen a moment ago is still the latest word.
pub const STALE_MIN_AGE_S: f64 = 1.0;

/// One dimension's budget over time.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetTrack {
    pub dimension: Dimension,
    pub window: Option<Window>,
    pub provider: Provider,
    pub latest: Budget,
    /// When the latest value was seen (ms since start).
    pub seen_ms: f64,
    /// (t_ms, remaining) points, oldest first.
    pub history: VecDeque<(f64, f64)>,
}

impl BudgetTrack {
    /// Remaining ÷ limit, when both are known.
    pub fn headroom(&self) -> Option<f64> {
        match (self.latest.limit, self.latest.remaining) {
            (Some(l), Some(r)) if l > 0.0 => Some((r / l).clamp(0.0, 1.0)),
            _ => None,
        }
    }

    /// Seconds until the budget is empty at the rate it fell over the recent history;
    /// `None` when it is not falling.
    pub fn forecast_empty_s(&self) -> Option<f64> {
        let (t1, r1) = *self.history.back()?;
        // Look back over about the last 10 seconds.
        let (t0, r0) = *self
            .history
            .iter()
            .rev()
            .find(|(t, _)| t1 - t >= 10_000.0)
            .or(self.history.front())?;
        let dt = (t1 - t0) / 1000.0;
        let fall = r0 - r1;
        if dt <= 0.0 || fall <= 0.0 {
            return None;
        }
        Some(r1 / (fall / dt))
    }

    /// Seconds until reset as of `now_ms`.
    pub fn reset_in_s(&self, now_ms: f64) -> Option<f64> {
        self.latest
            .reset_s
            .map(|r| (r - (now_ms - self.seen_ms) / 1000.0).max(0.0))
    }

    /// Seconds since the latest answer that carried this budget.
    pub fn age_s(&self, now_ms: f64) -> f64 {
        ((now_ms - self.seen_ms) / 1000.0).max(0.0)
    }

    /// Whether the budget's reset has passed at `now_ms` with no newer answer: its numbers
    /// (and any forecast drawn from them) are history. A budget without a reset time is
    /// never called stale.
    pub fn is_stale(&self, now_ms: f64) -> bool {
        let age = self.age_s(now_ms);
        self.latest
            .reset_s
            .is_some_and(|r| age > r && age >= STALE_MIN_AGE_S)
    }

    /// Remaining as best known at `now_ms`: the latest answer's number, or, once the
    /// reset has passed, the limit (refilled: an estimate, no server said so).
    pub fn remaining_at(&self, now_ms: f64) -> Option<f64> {
        if self.is_stale(now_ms) {
            self.latest.limit.or(self.latest.remaining)
        } else {
            self.latest.remaining
        }
    }

    /// [`BudgetTrack::headroom`] at `now_ms`, counting a passed reset as a refill.
    pub fn headroom_at(&self, now_ms: f64) -> Option<f64> {
        match (self.latest.limit, self.remaining_at(now_ms)) {
            (Some(l), Some(r)) if l > 0.0 => Some((r / l).clamp(0.0, 1.0)),
            _ => None,
        }
    }

    /// How a stale budget's numbers should be read, e.g. `est. refilled; 27 left 13 s
    /// ago`; `None` while the latest answer still holds.
    pub fn stale_note(&self, now_ms: f64, count: impl Fn(f64) -> String) -> Option<String> {
        if !self.is_stale(now_ms) {
            return None;
        }
        let age = crate::duration::human(self.age_s(now_ms).floor());
        Some(match (self.latest.limit, self.latest.remaining) {
            (Some(_), Some(r)) => format!("est. refilled; {} left {age} ago", count(r)),
            _ => format!("as of {age} ago"),
        })
    }
}

/// The retry audit's findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Audit {
    pub retries: u64,
    /// Retries sent sooner than the server asked.
    pub too_early: u64,
    /// Retries of an error that retrying cannot fix (quota, too large, auth).
    pub non_retryable_retried: u64,
    /// Retries refused again (a retry that got an error or no answer): calls that
    /// bought nothing. `replay --policy` and `simulate` count the same.
    pub wasted_calls: u64,
    /// Logical requests whose last attempt failed: the program stopped trying.
    pub gave_up: u64,
    /// Of those, the ones whose last answer advised a short wait (a retry would have
    /// worked soon).
    pub gave_up_early: u64,
    /// Seconds spent waiting between attempts, summed.
    pub waited_s: f64,
}

/// The folded state of a session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Session {
    pub last_ms: f64,
    pub requests: u64,
    pub responses: u64,
    pub failures: u64,
    pub by_status: BTreeMap<u16, u64>,
    /// 429 answers.
    pub rate_limited: u64,
    /// Every diagnosed error answer by kind (429s, overloads and the rest).
    pub by_kind: BTreeMap<Kind, u64>,
    /// Diagnosed error answers by kind over time: per kind, (second, count) of the last
    /// [`ERROR_TIMES_MS`] of the session, oldest first (for the rate now and its history,
    /// however many events a view keeps).
    #[serde(skip)]
    pub error_times: BTreeMap<Kind, VecDeque<(i64, u64)>>,
    /// The 429 answers alone by kind (one without a diagnosis counts as transient): adds
    /// up to `rate_limited`.
    pub rate_limited_by_kind: BTreeMap<Kind, u64>,
    pub budgets: Vec<BudgetTrack>,
    pub diagnoses: Vec<Diagnosis>,
    pub providers: BTreeSet<Provider>,
    pub models: BTreeSet<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Logical requests by group id, each with its attempts (times in seconds).
    pub groups: BTreeMap<u64, RequestTrace>,
    pub last_429: Option<(f64, Diagnosis)>,
    pub retry_after_s: Option<f64>,
    /// `--share`: the fleet as last reported (members, in flight, 429s, admissions).
    #[serde(skip)]
    pub fleet: Option<crate::event::FleetSeen>,
    /// Exchange id → (group, attempt index, provider) of requests not answered yet.
    #[serde(skip)]
    pending: HashMap<u64, (u64, usize, Provider)>,
    /// Bound on kept groups (oldest dropped; counts keep counting).
    #[serde(skip)]
    pub max_groups: usize,
    /// The program's retries that a followed log told of (`explain --follow`: a retry of
    /// an exchange whose request was never seen), counted into [`Session::audit`].
    #[serde(skip)]
    log_retries: Audit,
}

fn same_error(a: &Diagnosis, b: &Diagnosis) -> bool {
    a.provider == b.provider && a.detail == b.detail && a.model == b.model && a.limit == b.limit
}

impl Session {
    pub fn new() -> Self {
        Session {
            max_groups: 50_000,
            ..Session::default()
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, e: &Event) {
        self.last_ms = self.last_ms.max(e.t_ms);
        match &e.kind {
            EventKind::RequestSent {
                provider,
                model,
                group,
                ..
            } => {
                self.requests += 1;
                self.providers.insert(*provider);
                if let Some(m) = model
                    && self.models.len() < 64
                {
                    self.models.insert(m.clone());
                }
                let t = e.t_ms / 1000.0;
                let g = self
                    .groups
                    .entry(*group)
                    .or_insert_with(|| RequestTrace::new(*group));
                if let Some(prev) = g.attempts.last_mut()
                    && prev.outcome != AttemptOutcome::Pending
                {
                    prev.wait_s = Some((t - prev.end_s).max(0.0));
                }
                g.record(t, t, AttemptOutcome::Pending, None);
                self.pending
                    .insert(e.id, (*group, g.attempts.len() - 1, *provider));
                self.trim_groups();
            }
            EventKind::ResponseReceived {
                status,
                snapshot,
                diagnosis,
                usage,
                ..
            } => {
                self.responses += 1;
                *self.by_status.entry(*status).or_default() += 1;
                let (group, idx, provider) = match self.pending.remove(&e.id) {
                    Some(p) => p,
                    // An answer without a request seen (a followed log): its diagnosis
                    // names the provider and model.
                    None => {
                        let provider = diagnosis.as_ref().map_or(Provider::Unknown, |d| d.provider);
                        if provider != Provider::Unknown {
                            self.providers.insert(provider);
                        }
                        if let Some(m) = diagnosis.as_ref().and_then(|d| d.model.as_ref())
                            && self.models.len() < 64
                        {
                            self.models.insert(m.clone());
                        }
                        (e.id, usize::MAX, provider)
                    }
                };
                if let Some(u) = usage {
                    self.input_tokens += u.input_tokens;
                    self.output_tokens += u.output_tokens;
                }
                for b in &snapshot.budgets {
                    self.track(b, provider, e.t_ms);
                }
                if snapshot.retry_after_s.is_some() {
                    self.retry_after_s = snapshot.retry_after_s;
                }
                if *status == 429 {
                    self.rate_limited += 1;
                    let kind = diagnosis
                        .as_ref()
                        .map_or(summary::UNDIAGNOSED_429, |d| d.kind);
                    *self.rate_limited_by_kind.entry(kind).or_default() += 1;
                }
                if let Some(d) = diagnosis {
                    *self.by_kind.entry(d.kind).or_default() += 1;
                    self.note_error(d.kind, e.t_ms);
                    if *status == 429 || d.kind != Kind::NotRateLimit {
                        self.last_429 = Some((e.t_ms, d.clone()));
                    }
                    if let Some(x) = self.diagnoses.iter_mut().find(|x| same_error(x, d)) {
                        x.occurrences += 1;
                    } else if self.diagnoses.len() < 1000 {
                        self.diagnoses.push(d.clone());
                    }
                }
                if let Some(g) = self.groups.get_mut(&group)
                    && let Some(a) = g.attempts.get_mut(idx)
                {
                    a.end_s = e.t_ms / 1000.0;
                    a.advised_wait_s = snapshot
                        .retry_after_s
                        .or_else(|| diagnosis.as_ref().and_then(|d| d.retry_after_s));
                    a.outcome = if (200..300).contains(status) {
                        AttemptOutcome::Ok
                    } else {
                        AttemptOutcome::Failed {
                            kind: FailureKind::from_answer(
                                *status,
                                diagnosis.as_ref().map(|d| (d.kind, d.retryable)),
                            ),
                            status: *status,
                        }
                    };
                    if a.outcome == AttemptOutcome::Ok {
                        g.outcome = RequestOutcome::Succeeded;
                    }
                }
            }
            EventKind::RetryScheduled {
                group,
                wait_s,
                advised_s,
                by: RetryBy::Client,
                ..
            } if !self.groups.contains_key(group) => {
                // Said by a log: no attempts to measure, the wait is the log's word.
                let a = &mut self.log_retries;
                a.retries += 1;
                a.waited_s += wait_s;
                if advised_s.is_some_and(|adv| wait_s + EARLY_TOLERANCE_S < adv) {
                    a.too_early += 1;
                }
            }
            EventKind::RetryScheduled { .. } | EventKind::Ledger { .. } => {}
            EventKind::Fleet(seen) => self.fleet = Some(*seen),
            EventKind::StreamFinished { usage, .. } => {
                if let Some(u) = usage {
                    self.input_tokens += u.input_tokens;
                    self.output_tokens += u.output_tokens;
                }
            }
            EventKind::Failed { .. } => {
                self.failures += 1;
                if let Some((group, idx, _)) = self.pending.remove(&e.id)
                    && let Some(a) = self
                        .groups
                        .get_mut(&group)
                        .and_then(|g| g.attempts.get_mut(idx))
                {
                    a.end_s = e.t_ms / 1000.0;
                    a.outcome = AttemptOutcome::Lost;
                }
            }
        }
    }

    fn trim_groups(&mut self) {
        while self.groups.len() > self.max_groups.max(1) {
            let Some(first) = self.groups.keys().next().copied() else {
                break;
            };
            self.groups.remove(&first);
        }
    }

    fn track(&mut self, b: &Budget, provider: Provider, t_ms: f64) {
        let idx = self.budgets.iter().position(|x| {
            x.dimension == b.dimension && x.window == b.window && x.provider == provider
        });
        let track = match idx {
            Some(i) => &mut self.budgets[i],
            None => {
                self.budgets.push(BudgetTrack {
                    dimension: b.dimension,
                    window: b.window,
                    provider,
                    latest: b.clone(),
                    seen_ms: t_ms,
                    history: VecDeque::new(),
                });
                let last = self.budgets.len() - 1;
                &mut self.budgets[last]
            }
        };
        track.latest = b.clone();
        track.seen_ms = t_ms;
        if let Some(r) = b.remaining {
            if track.history.len() >= HISTORY {
                track.history.pop_front();
            }
            track.history.push_back((t_ms, r));
        }
    }

    /// The budget with the least headroom as of the last event (a budget whose reset has
    /// passed by then counts as refilled).
    pub fn tightest(&self) -> Option<&BudgetTrack> {
        self.tightest_at(self.last_ms)
    }

    /// The budget with the least headroom at `now_ms`.
    pub fn tightest_at(&self, now_ms: f64) -> Option<&BudgetTrack> {
        self.budgets
            .iter()
            .filter_map(|b| b.headroom_at(now_ms).map(|h| (h, b)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, b)| b)
    }

    /// Whether the events are a log's (`explain --follow`, or its recording replayed):
    /// answers (or exchanges without one) read, no request ever seen.
    pub fn from_log(&self) -> bool {
        self.requests == 0 && self.responses + self.failures > 0
    }

    /// Counts a diagnosed error of `kind` at `t_ms` into [`Session::error_times`], and
    /// drops what is older than [`ERROR_TIMES_MS`] before the latest event.
    fn note_error(&mut self, kind: Kind, t_ms: f64) {
        let second = (t_ms / 1000.0).floor() as i64;
        let times = self.error_times.entry(kind).or_default();
        match times.back_mut() {
            Some((s, n)) if *s == second => *n += 1,
            // Times out of order (a log's own stamps) go in their place.
            _ => {
                let at = times.partition_point(|(s, _)| *s < second);
                match times.get_mut(at) {
                    Some((s, n)) if *s == second => *n += 1,
                    _ => times.insert(at, (second, 1)),
                }
            }
        }
        let oldest = ((self.last_ms - ERROR_TIMES_MS) / 1000.0).floor() as i64;
        for times in self.error_times.values_mut() {
            while times.front().is_some_and(|(s, _)| *s < oldest) {
                times.pop_front();
            }
        }
    }

    /// Diagnosed errors of `kind` in the minute up to `now_ms` (by the second they came
    /// in): the `N/min now` of the live view and of `explain --follow`'s count lines.
    pub fn errors_per_min(&self, kind: Kind, now_ms: f64) -> u64 {
        let from = ((now_ms - 60_000.0) / 1000.0).floor() as i64;
        self.error_times.get(&kind).map_or(0, |times| {
            times
                .iter()
                .rev()
                .take_while(|(s, _)| *s >= from)
                .map(|(_, n)| n)
                .sum()
        })
    }

    /// The retry audit over every logical request seen so far.
    pub fn audit(&self) -> Audit {
        let mut a = self.log_retries;
        let now_s = self.last_ms / 1000.0;
        for g in self.groups.values() {
            // A retry refused again: a call that bought nothing.
            a.wasted_calls += g
                .attempts
                .iter()
                .skip(1)
                .filter(|x| !matches!(x.outcome, AttemptOutcome::Ok | AttemptOutcome::Pending))
                .count() as u64;
            for prev in g.attempts.iter().rev().skip(1) {
                if prev.outcome == AttemptOutcome::Ok {
                    continue;
                }
                a.retries += 1;
                if let Some(w) = prev.wait_s {
                    a.waited_s += w;
                    if prev
                        .advised_wait_s
                        .is_some_and(|adv| w + EARLY_TOLERANCE_S < adv)
                    {
                        a.too_early += 1;
                    }
                }
                if prev.outcome.is_final_failure() {
                    a.non_retryable_retried += 1;
                }
            }
            if let Some(last) = g.attempts.last()
                && !matches!(last.outcome, AttemptOutcome::Ok | AttemptOutcome::Pending)
            {
                a.gave_up += 1;
                if gave_up_early(last, now_s) {
                    a.gave_up_early += 1;
                }
            }
        }
        a
    }

    /// One concrete recommendation from what was seen.
    pub fn recommendation(&self) -> String {
        if self.requests == 0 && self.responses == 0 {
            return "0 requests reached the proxy: does your program read OPENAI_BASE_URL (or ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL)? `ratedoctor run` sets them; a client built with its own base_url ignores them.".to_string();
        }
        let audit = self.audit();
        if let Some(d) = self
            .diagnoses
            .iter()
            .find(|d| !d.retryable && d.kind == Kind::Quota)
        {
            return format!("Stop retrying: {}. {}", d.title, d.fix);
        }
        if audit.non_retryable_retried > 0 {
            return "Your program retried errors that retrying cannot fix: stop on quota, billing and too-large errors (check the error code before retrying).".to_string();
        }
        if audit.too_early > 0 {
            return format!(
                "Your program retried {} time(s) sooner than the server asked: honour retry-after / retry-after-ms instead of a fixed or exponential guess.",
                audit.too_early
            );
        }
        // The errors by kind; 429s that came with no diagnosable body count as theirs.
        let kinds = if self.by_kind.is_empty() {
            &self.rate_limited_by_kind
        } else {
            &self.by_kind
        };
        if let Some(k) = kinds.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k) {
            return match k {
                Kind::Tpm | Kind::InputTpm | Kind::OutputTpm | Kind::Tpd => {
                    "Tokens are the tight budget: lower max_tokens to what replies need and trim prompts; pace requests with ratedoctor run --pace.".to_string()
                }
                Kind::Rpm | Kind::Rpd => {
                    "Requests are the tight budget: cap concurrency (a semaphore) and batch small calls; ratedoctor run --pace spaces them for you.".to_string()
                }
                Kind::Concurrency => "Lower the number of requests in flight.".to_string(),
                Kind::Overloaded => "The provider was overloaded, not your limit: retry with backoff or fall back to another model.".to_string(),
                _ => "Honour the server's retry hint and back off with jitter.".to_string(),
            };
        }
        match self.tightest() {
            Some(t) if t.headroom_at(self.last_ms).is_some_and(|h| h < 0.2) => format!(
                "No 429s yet, but {} is at {:.0}% of its limit: expect throttling if load grows.",
                t.dimension.id(),
                (1.0 - t.headroom_at(self.last_ms).unwrap_or(1.0)) * 100.0
            ),
            _ => "No rate limits hit: nothing to change.".to_string(),
        }
    }
}

/// A last attempt refused with a short, retryable 429 whose advised wait (plus 2 s) has
/// long passed: the client stopped although waiting would have worked.
fn gave_up_early(last: &Attempt, now_s: f64) -> bool {
    let AttemptOutcome::Failed { kind, status: 429 } = last.outcome else {
        return false;
    };
    kind.retryable()
        && last
            .advised_wait_s
            .is_some_and(|adv| adv <= 60.0 && now_s - last.end_s > adv + 2.0)
}

#[cfg(test)]
mod tests;
