//! `--pace` (sources layer): holds a request while the latest budgets say it cannot be
//! covered, until the budget has regained enough (at the latest, its reset instant).
//!
//! Per provider and dimension it keeps the last reported limit, remaining and reset; the
//! budget is taken to regain linearly up to the limit by the reset instant (continuous
//! buckets; a window that resets at once is covered by the reset bound). Requests already
//! let through since the report are subtracted, so a burst is spread out, not released at
//! once.

use crate::diagnose::Provider;
use crate::headers::{Dimension, Snapshot};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Longest single hold.
pub const MAX_HOLD: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
struct Track {
    limit: f64,
    remaining: f64,
    reset_s: f64,
    seen: Instant,
    /// Units let through since `seen`, plus those in flight when it was seen.
    reserved: f64,
}

impl Track {
    /// The regain rate, a little under what the report implies: `remaining` is rounded
    /// down by providers, which makes `(limit - remaining) / reset` slightly optimistic.
    fn rate(&self) -> Option<f64> {
        (self.reset_s > 0.0 && self.limit > self.remaining)
            .then(|| 0.95 * (self.limit - self.remaining) / self.reset_s)
    }

    fn available(&self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.seen).as_secs_f64();
        let regained = match self.rate() {
            Some(r) => r * dt,
            None if dt >= self.reset_s => self.limit,
            None => 0.0,
        };
        (self.remaining + regained).min(self.limit) - self.reserved
    }

    /// Seconds until `need` is available (keeping `margin` in hand for what is already
    /// on its way to the provider but not yet counted).
    fn wait_for(&self, need: f64, margin: f64, now: Instant) -> f64 {
        let short = need + margin - self.available(now);
        if short <= 0.0 || need > self.limit {
            return 0.0;
        }
        let since = now.saturating_duration_since(self.seen).as_secs_f64();
        let to_reset = (self.reset_s - since).max(0.0);
        match self.rate() {
            Some(r) => short / r,
            None => to_reset,
        }
    }
}

/// What one request will spend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Need {
    pub input_tokens: f64,
    pub max_tokens: f64,
}

impl Need {
    fn of(&self, d: Dimension) -> f64 {
        match d {
            Dimension::Requests => 1.0,
            Dimension::Tokens | Dimension::ProjectTokens => self.input_tokens + self.max_tokens,
            Dimension::InputTokens => self.input_tokens,
            Dimension::OutputTokens => self.max_tokens,
            Dimension::Images => 0.0,
        }
    }
}

/// The pacing state of every provider seen.
#[derive(Debug, Default)]
pub struct Pacer {
    tracks: HashMap<(Provider, Dimension), Track>,
    in_flight: HashMap<Provider, (u64, Need)>,
    /// Send order of the request whose answer was last used (older answers are stale).
    last_seq: HashMap<Provider, u64>,
    blocked_until: HashMap<Provider, Instant>,
    /// `--retry`: when the next retry to each provider may go.
    retry_gate: HashMap<Provider, Instant>,
}

impl Pacer {
    /// `--retry`: how long to hold a retry the server advised to send after `advised`.
    ///
    /// Retries to one provider go one at a time, each at least `advised` after the one
    /// before: when several requests are refused together, the advised wait is the time
    /// until *one* slot is back, and a refused call can cost part of a slot (OpenAI), so
    /// retrying them all at once would only refuse all but one again.
    pub fn retry_slot(&mut self, provider: Provider, advised: Duration, now: Instant) -> Duration {
        let gate = self.retry_gate.entry(provider).or_insert(now);
        let at = (*gate).max(now + advised);
        *gate = at + advised;
        at.saturating_duration_since(now)
    }

    /// Reserves what a request will spend and returns how long to hold it first.
    pub fn reserve(&mut self, provider: Provider, need: Need, now: Instant) -> Duration {
        let mut wait = 0.0f64;
        for ((p, d), t) in &self.tracks {
            if *p == provider {
                let n = need.of(*d);
                let margin = if *d == Dimension::Requests { 1.0 } else { 0.0 };
                if n > 0.0 {
                    wait = wait.max(t.wait_for(n, margin, now));
                }
            }
        }
        if let Some(until) = self.blocked_until.get(&provider) {
            wait = wait.max(until.saturating_duration_since(now).as_secs_f64());
        }
        for ((p, d), t) in &mut self.tracks {
            if *p == provider {
                t.reserved += need.of(*d);
            }
        }
        let f = self.in_flight.entry(provider).or_default();
        f.0 += 1;
        f.1.input_tokens += need.input_tokens;
        f.1.max_tokens += need.max_tokens;
        Duration::from_secs_f64(wait.clamp(0.0, MAX_HOLD.as_secs_f64()))
    }

    /// A request reserved with `need` got its answer (or none); `seq` orders requests by
    /// when they were sent. A 429's retry hint blocks the provider until it has passed.
    pub fn observe(
        &mut self,
        provider: Provider,
        need: Need,
        seq: u64,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        now: Instant,
    ) {
        let f = self.in_flight.entry(provider).or_default();
        f.0 = f.0.saturating_sub(1);
        f.1.input_tokens = (f.1.input_tokens - need.input_tokens).max(0.0);
        f.1.max_tokens = (f.1.max_tokens - need.max_tokens).max(0.0);
        let in_flight = *f;
        let Some(snap) = snapshot else { return };
        if rate_limited && let Some(ra) = snap.retry_after_s.filter(|s| *s > 0.0) {
            let until = now + Duration::from_secs_f64(ra.min(MAX_HOLD.as_secs_f64()));
            let e = self.blocked_until.entry(provider).or_insert(until);
            *e = (*e).max(until);
        }
        let last = self.last_seq.entry(provider).or_insert(0);
        if seq < *last {
            return;
        }
        *last = seq;
        for b in &snap.budgets {
            let (Some(limit), Some(remaining)) = (b.limit, b.remaining) else {
                continue;
            };
            if limit <= 0.0 {
                continue;
            }
            let in_flight_units = match b.dimension {
                Dimension::Requests => in_flight.0 as f64,
                d => in_flight.1.of(d),
            };
            self.tracks.insert(
                (provider, b.dimension),
                Track {
                    limit,
                    remaining: remaining.min(limit),
                    reset_s: b.reset_s.unwrap_or(60.0).max(0.0),
                    seen: now,
                    reserved: in_flight_units,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Budget;

    fn snap(limit: f64, remaining: f64, reset_s: f64) -> Snapshot {
        Snapshot {
            budgets: vec![Budget {
                dimension: Dimension::Requests,
                window: None,
                limit: Some(limit),
                remaining: Some(remaining),
                reset_s: Some(reset_s),
                reset_at: None,
            }],
            retry_after_s: None,
            notes: vec![],
        }
    }

    #[test]
    fn holds_only_what_the_budget_cannot_cover_and_spreads_a_burst() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let need = Need::default();
        let p0 = Provider::Openai;
        assert_eq!(p.reserve(p0, need, t0), Duration::ZERO);
        // 3 of 10 left; full again in 7 s: one unit per second (0.95 counted), one kept
        // in hand.
        p.observe(p0, need, 1, Some(&snap(10.0, 3.0, 7.0)), false, t0);
        assert_eq!(p.reserve(p0, need, t0), Duration::ZERO);
        assert_eq!(p.reserve(p0, need, t0), Duration::ZERO);
        let w3 = p.reserve(p0, need, t0).as_secs_f64();
        let w4 = p.reserve(p0, need, t0).as_secs_f64();
        assert!((w3 - 1.0 / 0.95).abs() < 1e-6, "{w3}");
        assert!((w4 - 2.0 / 0.95).abs() < 1e-6, "{w4}");
        // Another provider is not held.
        assert_eq!(p.reserve(Provider::Anthropic, need, t0), Duration::ZERO);
    }

    #[test]
    fn a_429_hint_blocks_until_it_passes() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let mut s = snap(10.0, 5.0, 1.0);
        s.retry_after_s = Some(3.0);
        p.reserve(Provider::Openai, Need::default(), t0);
        p.observe(Provider::Openai, Need::default(), 1, Some(&s), true, t0);
        let w = p
            .reserve(Provider::Openai, Need::default(), t0)
            .as_secs_f64();
        assert!((w - 3.0).abs() < 1e-6, "{w}");
    }

    #[test]
    fn retries_refused_together_go_one_advised_wait_apart() {
        let mut p = Pacer::default();
        let now = Instant::now();
        let two = Duration::from_secs(2);
        let holds: Vec<u64> = (0..4)
            .map(|_| p.retry_slot(Provider::Openai, two, now).as_secs())
            .collect();
        assert_eq!(holds, [2, 4, 6, 8]);
        // Another provider's budget is its own.
        assert_eq!(p.retry_slot(Provider::Anthropic, two, now).as_secs(), 2);
        // Once the queue has drained, a retry waits just what it was advised.
        let later = now + Duration::from_secs(60);
        assert_eq!(p.retry_slot(Provider::Openai, two, later).as_secs(), 2);
    }
}
