//! `--pace` (sources layer): holds a request while the latest budgets say it cannot be
//! covered, until the budget has regained enough (at the latest, its reset instant).
//!
//! Per provider and dimension it keeps a projection of the budget: a reported limit,
//! remaining and reset, regaining linearly up to the limit by the reset instant
//! (continuous buckets; a window that resets at once is covered by the reset bound), less
//! what the report cannot include yet: every request let through and not answered when it
//! arrived, every one let through after it and answered before it, and every one let
//! through since (a refusal gives its share back). Each answer yields such a projection.
//! The answer of the request let through last is the freshest news and replaces the
//! projection; an older one replaces it only when it leaves more, so a fast answer (a 429
//! while admitted requests are still running) cannot hold everything back until those are
//! answered too. A request let through before the answered one but counted after it
//! (reordered on the way) is the one thing a projection cannot see: one request is kept in
//! hand for that.
//!
//! Held requests wait in line, first come first served; a request's wait is recomputed
//! while it waits ([`Pacer::recheck`]), so a better projection lets it go sooner. Before
//! anything is known about a provider, the first request goes alone and the others wait
//! for its answer (at most [`PROBE_WAIT`]) instead of going out as a blind burst.

use crate::diagnose::Provider;
use crate::headers::{Dimension, Snapshot};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Longest a request is held in all.
pub const MAX_HOLD: Duration = Duration::from_secs(120);
/// A held request looks again at least this often.
pub const RECHECK: Duration = Duration::from_millis(250);
/// Longest the first request to a provider is waited for before others follow it.
pub const PROBE_WAIT: Duration = Duration::from_secs(1);
/// Answers remembered to judge what later reports include.
const MAX_LOG: usize = 4096;

#[derive(Debug, Clone)]
struct Track {
    limit: f64,
    remaining: f64,
    reset_s: f64,
    seen: Instant,
    /// When the request whose answer this is was let through.
    base: Instant,
    /// Units of the requests the report does not include yet.
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

    /// Seconds until `need` is available, `ahead` is served first and `margin` is left
    /// in hand.
    fn wait_for(&self, need: f64, ahead: f64, margin: f64, now: Instant) -> f64 {
        let short = ahead + need + margin - self.available(now);
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

/// One provider's requests.
#[derive(Debug, Default)]
struct Lane {
    /// Held requests in line: order -> (id, need).
    line: BTreeMap<u64, (u64, Need)>,
    /// Held request id -> (order in line, when it was first held).
    held: HashMap<u64, (u64, Instant)>,
    next_order: u64,
    /// Requests let through and not answered: id -> (need, when let through).
    sent: HashMap<u64, (Need, Instant)>,
    /// Answers that were not refusals: (when that request was let through, need), oldest
    /// answer first.
    charged: VecDeque<(Instant, Need)>,
    /// Answers of requests let through before this may not be judged: some answers they
    /// would need were forgotten.
    horizon: Option<Instant>,
    blocked_until: Option<Instant>,
    /// When the first request was let through, until an answer has come back.
    probing: Option<Instant>,
    answered: bool,
}

/// The pacing state of every provider seen.
#[derive(Debug, Default)]
pub struct Pacer {
    tracks: HashMap<(Provider, Dimension), Track>,
    lanes: HashMap<Provider, Lane>,
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

    /// Puts request `id` in line and returns how long to hold it before asking again with
    /// [`Pacer::recheck`]; zero: it goes now.
    pub fn reserve(&mut self, provider: Provider, id: u64, need: Need, now: Instant) -> Duration {
        let lane = self.lanes.entry(provider).or_default();
        let order = lane.next_order;
        lane.next_order += 1;
        lane.line.insert(order, (id, need));
        lane.held.insert(id, (order, now));
        self.recheck(provider, id, now)
    }

    /// How much longer held request `id` should wait; zero lets it go (it is then counted
    /// as sent).
    pub fn recheck(&mut self, provider: Provider, id: u64, now: Instant) -> Duration {
        let Some(lane) = self.lanes.get(&provider) else {
            return Duration::ZERO;
        };
        let Some(&(order, since)) = lane.held.get(&id) else {
            return Duration::ZERO;
        };
        let Some(&(_, need)) = lane.line.get(&order) else {
            return Duration::ZERO;
        };
        let mut wait = 0.0f64;
        for ((p, d), t) in &self.tracks {
            if *p == provider {
                let n = need.of(*d);
                let a: f64 = lane.line.range(..order).map(|(_, (_, n))| n.of(*d)).sum();
                let margin = if *d == Dimension::Requests { 1.0 } else { 0.0 };
                if n > 0.0 {
                    wait = wait.max(t.wait_for(n, a, margin, now));
                }
            }
        }
        if let Some(until) = lane.blocked_until {
            wait = wait.max(until.saturating_duration_since(now).as_secs_f64());
        }
        // Nothing known yet and a first request on its way: wait for its answer (for a
        // little while) rather than send a burst blind.
        if let Some(first) = lane.probing
            && !lane.answered
        {
            let until = first + PROBE_WAIT;
            if until > now {
                wait = wait.max(until.saturating_duration_since(now).as_secs_f64().min(0.02));
            }
        }
        let left = MAX_HOLD.saturating_sub(now.saturating_duration_since(since));
        let wait = Duration::from_secs_f64(wait.max(0.0)).min(left);
        if wait.is_zero() {
            self.let_through(provider, id, now);
        }
        wait
    }

    fn let_through(&mut self, provider: Provider, id: u64, now: Instant) {
        let Some(lane) = self.lanes.get_mut(&provider) else {
            return;
        };
        let Some((order, _)) = lane.held.remove(&id) else {
            return;
        };
        let Some((_, need)) = lane.line.remove(&order) else {
            return;
        };
        lane.sent.insert(id, (need, now));
        lane.probing.get_or_insert(now);
        for ((p, d), t) in &mut self.tracks {
            if *p == provider {
                t.reserved += need.of(*d);
            }
        }
    }

    /// Request `id` got its answer, or none (it failed, or was dropped, perhaps while still
    /// held). A 429's retry hint blocks the provider until it has passed.
    pub fn observe(
        &mut self,
        provider: Provider,
        id: u64,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        now: Instant,
    ) {
        let lane = self.lanes.entry(provider).or_default();
        if let Some((order, _)) = lane.held.remove(&id) {
            // Dropped while held: it never went.
            lane.line.remove(&order);
            return;
        }
        let Some((need, sent_at)) = lane.sent.remove(&id) else {
            return;
        };
        lane.answered |= snapshot.is_some();
        // Every projection counts this request as not reported yet (it was unanswered
        // when each was made). A refusal was not charged: give its share back. (A refused
        // OpenAI call does take the part of a request regained since the bucket was last
        // empty, less than one: the one request kept in hand covers it.)
        if rate_limited {
            for ((p, d), t) in &mut self.tracks {
                if *p == provider {
                    t.reserved = (t.reserved - need.of(*d)).max(0.0);
                }
            }
        }
        let Some(snap) = snapshot else {
            return;
        };
        if rate_limited && let Some(ra) = snap.retry_after_s.filter(|s| *s > 0.0) {
            let until = now + Duration::from_secs_f64(ra.min(MAX_HOLD.as_secs_f64()));
            lane.blocked_until = Some(lane.blocked_until.map_or(until, |b| b.max(until)));
        }
        // Not in this report: requests still unanswered, and requests let through after
        // this one that were answered (and charged) before it.
        let mut unreported: Vec<Need> = lane.sent.values().map(|(n, _)| *n).collect();
        unreported.extend(
            lane.charged
                .iter()
                .filter(|(at, _)| *at > sent_at)
                .map(|(_, n)| *n),
        );
        if !rate_limited {
            lane.charged.push_back((sent_at, need));
            if lane.charged.len() > MAX_LOG {
                // Only answers of requests let through after the oldest one still running
                // can matter.
                let oldest = lane.sent.values().map(|(_, at)| *at).min();
                lane.charged
                    .retain(|(at, _)| oldest.is_some_and(|o| *at > o));
                while lane.charged.len() > MAX_LOG {
                    if let Some((at, _)) = lane.charged.pop_front() {
                        lane.horizon = Some(lane.horizon.map_or(at, |h| h.max(at)));
                    }
                }
            }
        }
        if lane.horizon.is_some_and(|h| sent_at <= h) {
            return;
        }
        for b in &snap.budgets {
            let (Some(limit), Some(remaining)) = (b.limit, b.remaining) else {
                continue;
            };
            if limit <= 0.0 {
                continue;
            }
            let candidate = Track {
                limit,
                remaining: remaining.min(limit),
                reset_s: b.reset_s.unwrap_or(60.0).max(0.0),
                seen: now,
                base: sent_at,
                reserved: unreported.iter().map(|n| n.of(b.dimension)).sum(),
            };
            let key = (provider, b.dimension);
            let better = self.tracks.get(&key).is_none_or(|t| {
                t.limit != candidate.limit
                    || candidate.base >= t.base
                    || candidate.available(now) > t.available(now)
            });
            if better {
                self.tracks.insert(key, candidate);
            }
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

    fn close(a: Duration, b: f64) -> bool {
        (a.as_secs_f64() - b).abs() < 1e-6
    }

    /// Requests 1..=n to OpenAI with nothing known: the 1st goes at t0 + 1 ms; the others
    /// are held for its answer, which does not come, so they go after PROBE_WAIT, the
    /// k-th at t0 + PROBE_WAIT + k ms.
    fn blind_burst(p: &mut Pacer, n: u64, t0: Instant) {
        let ms = |k: u64| t0 + Duration::from_millis(k);
        let need = Need::default();
        assert_eq!(p.reserve(Provider::Openai, 1, need, ms(1)), Duration::ZERO);
        for id in 2..=n {
            assert!(!p.reserve(Provider::Openai, id, need, ms(id)).is_zero());
        }
        for id in 2..=n {
            let at = ms(1) + PROBE_WAIT + Duration::from_millis(id);
            assert_eq!(p.recheck(Provider::Openai, id, at), Duration::ZERO);
        }
    }

    #[test]
    fn the_first_request_goes_alone_and_the_rest_wait_for_its_answer() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let need = Need::default();
        let p0 = Provider::Openai;
        assert_eq!(p.reserve(p0, 1, need, t0), Duration::ZERO);
        assert!(!p.reserve(p0, 2, need, t0).is_zero());
        assert!(!p.reserve(p0, 3, need, t0).is_zero());
        // Its answer: 11 of 12 left. Both go.
        let t1 = t0 + Duration::from_millis(300);
        p.observe(p0, 1, Some(&snap(12.0, 11.0, 5.0)), false, t1);
        assert_eq!(p.recheck(p0, 2, t1), Duration::ZERO);
        assert_eq!(p.recheck(p0, 3, t1), Duration::ZERO);
    }

    #[test]
    fn holds_only_what_the_budget_cannot_cover_and_spreads_a_burst() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let need = Need::default();
        let p0 = Provider::Openai;
        assert_eq!(p.reserve(p0, 1, need, t0), Duration::ZERO);
        // 3 of 10 left; full again in 7 s: one unit per second (0.95 counted), one kept
        // in hand.
        p.observe(p0, 1, Some(&snap(10.0, 3.0, 7.0)), false, t0);
        assert_eq!(p.reserve(p0, 2, need, t0), Duration::ZERO);
        assert_eq!(p.reserve(p0, 3, need, t0), Duration::ZERO);
        let w4 = p.reserve(p0, 4, need, t0);
        let w5 = p.reserve(p0, 5, need, t0);
        assert!(close(w4, 1.0 / 0.95), "{w4:?}");
        assert!(close(w5, 2.0 / 0.95), "{w5:?}");
        // Asked again later: the first in line goes when its turn comes, then the next.
        let t1 = t0 + w4 + Duration::from_millis(1);
        assert_eq!(p.recheck(p0, 4, t1), Duration::ZERO);
        let w5 = p.recheck(p0, 5, t1).as_secs_f64();
        assert!((w5 - (1.0 / 0.95 - 0.001)).abs() < 1e-6, "{w5}");
        // Another provider is not held.
        assert_eq!(p.reserve(Provider::Anthropic, 6, need, t0), Duration::ZERO);
    }

    #[test]
    fn a_fast_answer_does_not_hold_back_what_slower_answers_show() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let need = Need::default();
        let p0 = Provider::Openai;
        // Nothing known, and the first request's answer is slow: after PROBE_WAIT the
        // other 9 follow it blind. 10 a minute, one every 6 s.
        blind_burst(&mut p, 10, t0);
        // The 10th is refused at once while the 9 admitted ones still run: for all the
        // pacer can tell, those 9 may not have reached the server yet.
        let mut refused = snap(10.0, 0.0, 60.0);
        refused.retry_after_s = Some(1.0);
        p.observe(p0, 10, Some(&refused), true, ms(1020));
        let w = p.reserve(p0, 11, need, ms(2020));
        assert!(w.as_secs_f64() > 50.0, "{w:?}");
        // Their answers come: the 9th (last let through) says 1 left after it, with
        // nothing else unanswered. The request in line goes after 1 more unit (one kept
        // in hand), not after 9.
        for id in 1..=9 {
            let left = 10.0 - id as f64;
            p.observe(
                p0,
                id,
                Some(&snap(10.0, left, 6.0 * id as f64)),
                false,
                ms(2100),
            );
        }
        let w = p.recheck(p0, 11, ms(2100));
        assert!(close(w, 6.0 / 0.95), "{w:?}");
    }

    #[test]
    fn requests_let_through_after_the_answered_one_are_counted() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let need = Need::default();
        let p0 = Provider::Openai;
        blind_burst(&mut p, 4, t0);
        // The 4th is answered first (6 left): its report may miss the 1st to 3rd, still
        // unanswered: 3 at least. Then the 3rd (7 left): it may miss the 1st and 2nd and
        // the 4th (let through after it, answered already): 4 at least, the better view.
        p.observe(p0, 4, Some(&snap(10.0, 6.0, 24.0)), false, ms(1010));
        p.observe(p0, 3, Some(&snap(10.0, 7.0, 18.0)), false, ms(1010));
        // 3 go, one is kept in hand.
        for id in 5..=7 {
            assert_eq!(p.reserve(p0, id, need, ms(1010)), Duration::ZERO, "{id}");
        }
        assert!(!p.reserve(p0, 8, need, ms(1010)).is_zero());
        // A refusal gives its share back (this one says nothing of the budget).
        p.observe(p0, 7, Some(&Snapshot::default()), true, ms(1011));
        assert_eq!(p.recheck(p0, 8, ms(1011)), Duration::ZERO);
        // The freshest answer replaces the projection even when it leaves less: 0 left
        // with the 1st, 2nd, 5th, 6th and 8th unanswered.
        p.reserve(p0, 9, need, ms(1012));
        p.observe(p0, 8, Some(&snap(10.0, 0.0, 60.0)), false, ms(1013));
        assert!(p.recheck(p0, 9, ms(1013)).as_secs_f64() > 6.0 * 5.0);
    }

    #[test]
    fn a_429_hint_blocks_until_it_passes_and_a_dropped_request_leaves_the_line() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let mut s = snap(10.0, 5.0, 1.0);
        s.retry_after_s = Some(3.0);
        let p0 = Provider::Openai;
        p.reserve(p0, 1, Need::default(), t0);
        p.observe(p0, 1, Some(&s), true, t0);
        let w = p.reserve(p0, 2, Need::default(), t0);
        assert!(close(w, 3.0), "{w:?}");
        let w = p.reserve(p0, 3, Need::default(), t0);
        assert!(close(w, 3.0), "{w:?}");
        p.observe(p0, 2, None, false, t0);
        let t3 = t0 + Duration::from_secs(3);
        assert_eq!(p.recheck(p0, 3, t3), Duration::ZERO);
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
