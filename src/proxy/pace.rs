//! `--pace` (sources layer): holds a request while the latest budgets say it cannot be
//! covered, until the budget has regained enough (at the latest, its reset instant).
//!
//! Per provider and dimension it keeps a projection of the budget from one answer's
//! report: a limit, what remained when the server counted that request, and how fast the
//! budget comes back (continuous buckets; a window that resets at once is covered by the
//! reset bound). From that it takes what the report cannot include: every request not
//! answered yet (some may have been counted before it: erring low), and every answered
//! request of a later burst, or of an earlier one that the server counted after it (a
//! refusal was not charged and counts for nothing). When the server counted a request is
//! estimated from its answer ([`counted_at`]): a request let through early whose
//! connection was slow to open is counted late.
//!
//! Requests let through less than [`ALONE`] apart form a burst. Within a burst the server
//! may count calls in any order, so the freshest report is not the one of the request let
//! through last but the one that leaves the least: the request counted last. A report of a
//! later burst replaces the projection; one of an earlier burst never does. A report is
//! dated when the server counted its request: by the server's own time on it when the
//! answer gives it (OpenAI's `openai-processing-ms`), else as near as the quickest answer
//! seen tells ([`counted_at`]); half a request is kept in hand for what that may miss.
//!
//! Held requests wait in line, first come first served. Only the first in line weighs its
//! wait against the budgets, again while it waits ([`Pacer::recheck`]); the others wait
//! their turn, so holding thousands of requests costs about what holding one does. Each
//! answer at once lets go what the budget it shows now covers, and wakes the request first
//! in line then ([`Pacer::observe`], [`Pacer::release`]). Before anything is known about a
//! provider, the first request goes alone and the others wait for its answer (at most
//! [`PROBE_WAIT`]) instead of going out as a blind burst.

use super::rules::{MARGIN, Reading};
use crate::diagnose::{Provider, Window};
use crate::headers::{Dimension, Snapshot};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Longest a request is held in all.
pub const MAX_HOLD: Duration = Duration::from_secs(120);
/// A held request looks again at least this often. Its turn is told to it sooner: the
/// first in line sleeps until the budget covers it, and is woken by every answer and when
/// the line moves ([`Pacer::release`]); this is only the net under that.
pub const RECHECK: Duration = Duration::from_secs(5);
/// Longest the first request to a provider is waited for before others follow it.
pub const PROBE_WAIT: Duration = Duration::from_secs(1);
/// A request let through this long after the one before it went alone: it starts a burst.
const ALONE: Duration = Duration::from_millis(100);
/// The longest one-way trip to a provider assumed.
const ONE_WAY: Duration = Duration::from_millis(50);
/// Answers remembered to judge what later reports include.
const MAX_LOG: usize = 4096;

#[derive(Debug, Clone)]
struct Track {
    limit: f64,
    remaining: f64,
    /// Units regained a second, when the report shows the budget regaining.
    rate: Option<f64>,
    /// When the budget is full again, at the latest.
    full_at: Instant,
    /// The instant `remaining` describes: about when the server counted the request.
    seen: Instant,
    /// The burst of the request whose answer this is.
    burst: u64,
}

impl Track {
    /// The report seen from `now`, for the pacing rules.
    fn reading(&self, now: Instant) -> Reading {
        let signed = |t: Instant| match t.checked_duration_since(now) {
            Some(ahead) => ahead.as_secs_f64(),
            None => -now.saturating_duration_since(t).as_secs_f64(),
        };
        Reading {
            limit: self.limit,
            remaining: self.remaining,
            rate: self.rate,
            since_s: -signed(self.seen),
            full_in_s: signed(self.full_at),
        }
    }

    /// The budget now as the report alone would have it.
    fn projected(&self, now: Instant) -> f64 {
        self.reading(now).projected()
    }
}

/// What a report says of a budget: how much is left and how fast it comes back.
///
/// A budget that regains `limit` a window continuously (a per-second or per-minute bucket)
/// and reports the time until it is full finely, as OpenAI does to the millisecond, tells
/// more than its `remaining`, which is rounded down: the exact remaining is
/// `limit - reset * rate`, taking the reset as rounded down by up to `precision_s`. That is
/// used when it agrees with `remaining`. Otherwise the rate is what the report implies, a
/// little under it, since the rounded `remaining` makes `(limit - remaining) / reset`
/// slightly optimistic.
fn regain(
    window: Option<Window>,
    limit: f64,
    remaining: f64,
    reset_s: f64,
    precision_s: f64,
) -> (f64, Option<f64>) {
    let per_s = match window {
        Some(Window::Second) => Some(limit),
        Some(Window::Minute) => Some(limit / 60.0),
        _ => None,
    };
    if let Some(r) = per_s
        && reset_s > 0.0
    {
        let exact = limit - (reset_s + precision_s) * r;
        let tolerance = 0.01 + precision_s * r;
        if exact > remaining - tolerance && exact < remaining + 1.0 {
            return (exact.max(remaining), Some(r));
        }
    }
    let rate = (reset_s > 0.0 && limit > remaining).then(|| 0.95 * (limit - remaining) / reset_s);
    (remaining, rate)
}

/// [`regain`] of one budget of a report: what is left and how fast it comes back, for the
/// fleet's ledger ([`super::share`]), which weighs it as [`Pacer::recheck`] does.
pub(crate) fn regain_of(
    b: &crate::headers::Budget,
    limit: f64,
    remaining: f64,
    reset_s: f64,
) -> (f64, Option<f64>) {
    let precision = reset_precision(reset_s, b.reset_at.is_some());
    regain(b.window, limit, remaining, reset_s, precision)
}

/// How finely a reset was given: a reset instant is taken to the second (Anthropic's
/// RFC 3339 time; OpenRouter's epoch milliseconds are finer, so this errs low); a duration
/// (OpenAI's `1.234s`, `6m0s`) to its last nonzero decimal, at least the millisecond.
fn reset_precision(reset_s: f64, as_instant: bool) -> f64 {
    if as_instant {
        return 1.0;
    }
    let ms = (reset_s * 1000.0).round() as u64;
    [1000, 100, 10]
        .into_iter()
        .find(|step| ms.is_multiple_of(*step))
        .map_or(0.001, |step| step as f64 / 1000.0)
}

/// About when the server counted a request let through at `sent` and answered at `now`,
/// erring late. When the answer says how long the server worked on the request (OpenAI's
/// `openai-processing-ms`), it was counted about that long before the answer left, no
/// later. Otherwise the answer came the server's work and one way's travel after, and
/// neither is less than the quickest answer seen shows, less one way there (half that
/// answer, at most [`ONE_WAY`]); a call that queued on the way, in a burst, is then dated
/// as late as it was answered.
fn counted_at(
    sent: Instant,
    now: Instant,
    server: Option<Duration>,
    quickest: &mut Option<Duration>,
) -> Instant {
    let took = now.saturating_duration_since(sent);
    let q = quickest.map_or(took, |q| q.min(took));
    *quickest = Some(q);
    let before_answer = server.unwrap_or_else(|| q - (q / 2).min(ONE_WAY));
    now.checked_sub(before_answer)
        .unwrap_or(sent)
        .clamp(sent, now)
}

/// What one request will spend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Need {
    pub input_tokens: f64,
    pub max_tokens: f64,
}

impl Need {
    fn of(&self, d: Dimension) -> f64 {
        Units::default().plus(*self).of(d)
    }
}

/// What several requests spend, in every dimension.
#[derive(Debug, Clone, Copy, Default)]
struct Units {
    requests: f64,
    input: f64,
    output: f64,
}

impl Units {
    fn plus(mut self, n: Need) -> Units {
        self.requests += 1.0;
        self.input += n.input_tokens;
        self.output += n.max_tokens;
        self
    }

    fn minus(mut self, n: Need) -> Units {
        self.requests = (self.requests - 1.0).max(0.0);
        self.input = (self.input - n.input_tokens).max(0.0);
        self.output = (self.output - n.max_tokens).max(0.0);
        self
    }

    fn add(mut self, u: Units) -> Units {
        self.requests += u.requests;
        self.input += u.input;
        self.output += u.output;
        self
    }

    fn of(&self, d: Dimension) -> f64 {
        match d {
            Dimension::Requests => self.requests,
            Dimension::Tokens | Dimension::ProjectTokens => self.input + self.output,
            Dimension::InputTokens => self.input,
            Dimension::OutputTokens => self.output,
            Dimension::Images => 0.0,
        }
    }
}

/// A request let through and not answered.
#[derive(Debug, Clone, Copy)]
struct Sent {
    need: Need,
    at: Instant,
    burst: u64,
}

/// What an answered request was charged.
#[derive(Debug, Clone, Copy)]
struct Charge {
    /// When the server counted it, about ([`counted_at`]).
    counted: Instant,
    burst: u64,
    units: Units,
}

impl Charge {
    /// Whether the report `t` may not include this charge: the request went in a later
    /// burst, or in an earlier one but was counted after. Within the report's own burst
    /// the order is not known, and the report that leaves least is the one kept.
    fn after(&self, t: &Track) -> bool {
        self.burst > t.burst || (self.burst < t.burst && self.counted > t.seen)
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
    sent: HashMap<u64, Sent>,
    /// What the requests in `sent` spend.
    unanswered: Units,
    /// The burst of the request let through last, and when it went.
    burst: u64,
    last_sent: Option<Instant>,
    /// The quickest answer seen: a request's own travel and the server's least work.
    quickest: Option<Duration>,
    /// What answered requests were charged (refusals are not), oldest answer first.
    charged: VecDeque<Charge>,
    blocked_until: Option<Instant>,
    /// When the first request was let through, until an answer has come back.
    probing: Option<Instant>,
    answered: bool,
}

impl Lane {
    /// What the report `t` cannot include: every request not answered yet, and what the
    /// answered requests it may not include were charged.
    fn unreported(&self, t: &Track) -> Units {
        self.charged
            .iter()
            .filter(|c| c.after(t))
            .fold(self.unanswered, |sum, c| sum.add(c.units))
    }
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
    /// as sent). Only the first in line is weighed against the budgets: the others wait
    /// their turn (or [`MAX_HOLD`]), so holding many requests costs no more than one.
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
        let left = MAX_HOLD.saturating_sub(now.saturating_duration_since(since));
        if lane.line.keys().next() != Some(&order) && !left.is_zero() {
            return RECHECK.min(left);
        }
        let mut wait = 0.0f64;
        for ((p, d), t) in &self.tracks {
            if *p != provider {
                continue;
            }
            let margin = if *d == Dimension::Requests {
                MARGIN
            } else {
                0.0
            };
            let unreported = lane.unreported(t).of(*d);
            wait = wait.max(t.reading(now).wait(need.of(*d), unreported, margin));
        }
        if let Some(until) = lane.blocked_until {
            wait = wait.max(until.saturating_duration_since(now).as_secs_f64());
        }
        // Nothing known yet and a first request on its way: wait for its answer (for a
        // little while) rather than send a burst blind. The answer lets the others go
        // ([`Pacer::release`]).
        if let Some(first) = lane.probing
            && !lane.answered
        {
            let until = first + PROBE_WAIT;
            if until > now {
                wait = wait.max(until.saturating_duration_since(now).as_secs_f64());
            }
        }
        let wait = Duration::from_secs_f64(wait.max(0.0)).min(left);
        if wait.is_zero() {
            self.let_through(provider, id, now);
        }
        wait
    }

    /// Lets through, in line order, every held request that can go now (an answer has just
    /// shown more budget, or the line has moved); returns their ids and then the id of the
    /// request first in line now, if any, for their holders to be woken: the first in line
    /// weighs its wait afresh.
    pub fn release(&mut self, provider: Provider, now: Instant) -> Vec<u64> {
        let mut wake = Vec::new();
        while let Some(&(id, _)) = self
            .lanes
            .get(&provider)
            .and_then(|lane| lane.line.values().next())
        {
            wake.push(id);
            if !self.recheck(provider, id, now).is_zero() {
                break;
            }
        }
        wake
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
        if lane
            .last_sent
            .is_none_or(|t| now.saturating_duration_since(t) >= ALONE)
        {
            lane.burst += 1;
        }
        lane.last_sent = Some(now);
        let burst = lane.burst;
        lane.sent.insert(
            id,
            Sent {
                need,
                at: now,
                burst,
            },
        );
        lane.unanswered = lane.unanswered.plus(need);
        lane.probing.get_or_insert(now);
    }

    /// Request `id` got its answer, or none (it failed, or was dropped, perhaps while still
    /// held). A 429's retry hint blocks the provider until it has passed. `server`: how long
    /// the server says it worked on the request, when it says. Returns the held requests to
    /// wake, as [`Pacer::release`] does: what the answer lets go, and the first in line.
    pub fn observe(
        &mut self,
        provider: Provider,
        id: u64,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        server: Option<Duration>,
        now: Instant,
    ) -> Vec<u64> {
        self.record(provider, id, snapshot, rate_limited, server, now);
        self.release(provider, now)
    }

    /// [`Pacer::observe`] without the release.
    fn record(
        &mut self,
        provider: Provider,
        id: u64,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        server: Option<Duration>,
        now: Instant,
    ) {
        let lane = self.lanes.entry(provider).or_default();
        if let Some((order, _)) = lane.held.remove(&id) {
            // Dropped while held: it never went.
            lane.line.remove(&order);
            return;
        }
        let Some(sent) = lane.sent.remove(&id) else {
            return;
        };
        lane.unanswered = lane.unanswered.minus(sent.need);
        lane.answered |= snapshot.is_some();
        let Some(snap) = snapshot else {
            return;
        };
        let seen = counted_at(sent.at, now, server, &mut lane.quickest);
        // A refusal was not charged. (A refused OpenAI call does take the part of a
        // request regained since the bucket was last empty, less than one: the request
        // kept in hand covers it.)
        if !rate_limited {
            lane.charged.push_back(Charge {
                counted: seen,
                burst: sent.burst,
                units: Units::default().plus(sent.need),
            });
        }
        if rate_limited && let Some(ra) = snap.retry_after_s.filter(|s| *s > 0.0) {
            let until = now + Duration::from_secs_f64(ra.min(MAX_HOLD.as_secs_f64()));
            lane.blocked_until = Some(lane.blocked_until.map_or(until, |b| b.max(until)));
        }
        for b in &snap.budgets {
            let (Some(limit), Some(remaining)) = (b.limit, b.remaining) else {
                continue;
            };
            if limit <= 0.0 {
                continue;
            }
            let reset_s = b.reset_s.unwrap_or(60.0).max(0.0);
            let precision = reset_precision(reset_s, b.reset_at.is_some());
            let (remaining, rate) =
                regain(b.window, limit, remaining.min(limit), reset_s, precision);
            let candidate = Track {
                limit,
                remaining,
                rate,
                full_at: now + Duration::from_secs_f64(reset_s.min(MAX_HOLD.as_secs_f64())),
                seen,
                burst: sent.burst,
            };
            let key = (provider, b.dimension);
            let better = self.tracks.get(&key).is_none_or(|t| {
                t.limit != candidate.limit
                    || candidate.burst > t.burst
                    || (candidate.burst == t.burst && candidate.projected(now) < t.projected(now))
            });
            if better {
                self.tracks.insert(key, candidate);
            }
        }
        // A charge is kept while some projection may not include it.
        let tracks: Vec<&Track> = self
            .tracks
            .iter()
            .filter(|((p, _), _)| *p == provider)
            .map(|(_, t)| t)
            .collect();
        lane.charged.retain(|c| tracks.iter().any(|t| c.after(t)));
        while lane.charged.len() > MAX_LOG {
            lane.charged.pop_front();
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
                from_message: false,
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
        p.observe(p0, 1, Some(&snap(12.0, 11.0, 5.0)), false, None, t1);
        assert_eq!(p.recheck(p0, 2, t1), Duration::ZERO);
        assert_eq!(p.recheck(p0, 3, t1), Duration::ZERO);
    }

    /// An answer lets go, in line order, what the budget it shows covers, and no more; the
    /// first left in line is woken too, to weigh its wait afresh.
    #[test]
    fn an_answer_releases_the_held_requests_it_covers_in_line_order() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let need = Need::default();
        let p0 = Provider::Openai;
        let held = |p: &mut Pacer, id| !p.recheck(p0, id, t0).is_zero();
        assert_eq!(p.reserve(p0, 1, need, t0), Duration::ZERO);
        for id in 2..=4 {
            assert!(!p.reserve(p0, id, need, t0).is_zero());
        }
        assert_eq!(p.release(p0, t0), vec![2], "nothing known yet");
        assert!(held(&mut p, 2));
        // 2 left of 10: one goes, and half a request is kept in hand with it in flight.
        let woken = p.observe(p0, 1, Some(&snap(10.0, 2.0, 60.0)), false, None, t0);
        assert_eq!(woken, vec![2, 3]);
        assert!(held(&mut p, 3));
        assert_eq!(p.release(p0, t0), vec![3], "nothing more to let go");
        // Refused after all: its share is back, and the next in line goes.
        let woken = p.observe(p0, 2, Some(&Snapshot::default()), true, None, t0);
        assert_eq!(woken, vec![3, 4]);
        assert!(held(&mut p, 4));
        // A held request that leaves the line (its client went) wakes the one behind it.
        assert!(!p.reserve(p0, 5, need, t0).is_zero());
        assert_eq!(p.observe(p0, 4, None, false, None, t0), vec![5]);
        assert!(held(&mut p, 5));
    }

    #[test]
    fn holds_only_what_the_budget_cannot_cover_and_spreads_a_burst() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let need = Need::default();
        let p0 = Provider::Openai;
        assert_eq!(p.reserve(p0, 1, need, t0), Duration::ZERO);
        // 3 of 10 left; full again in 7 s: one unit per second (0.95 counted); half a
        // request is kept in hand.
        p.observe(p0, 1, Some(&snap(10.0, 3.0, 7.0)), false, None, t0);
        assert_eq!(p.reserve(p0, 2, need, t0), Duration::ZERO);
        assert_eq!(p.reserve(p0, 3, need, t0), Duration::ZERO);
        let w4 = p.reserve(p0, 4, need, t0);
        let w5 = p.reserve(p0, 5, need, t0);
        assert!(close(w4, 0.5 / 0.95), "{w4:?}");
        // The second in line waits its turn, looking again after RECHECK at the latest.
        assert_eq!(w5, RECHECK);
        // Asked again later: the first in line goes when its turn comes, then the next
        // weighs its own wait.
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
        // other 9 follow it blind. 9 a minute.
        blind_burst(&mut p, 10, t0);
        // The 10th is refused at once while the 9 admitted ones still run: for all the
        // pacer can tell, those 9 may not have reached the server yet.
        let mut refused = snap(9.0, 0.0, 60.0);
        refused.retry_after_s = Some(1.0);
        p.observe(p0, 10, Some(&refused), true, None, ms(1020));
        let w = p.reserve(p0, 11, need, ms(2020));
        assert!(w.as_secs_f64() > 50.0, "{w:?}");
        // Their answers come, the 9th with none left. Nothing is unanswered any more: the
        // request in line waits for 1 unit and the half kept in hand (at 0.95 × 9/60 a
        // second, about 10.5 s), not for 9 more.
        for id in 1..=9 {
            let left = 9.0 - id as f64;
            p.observe(p0, id, Some(&snap(9.0, left, 60.0)), false, None, ms(2100));
        }
        let w = p.recheck(p0, 11, ms(2100)).as_secs_f64();
        assert!(w > 10.0 && w < 1.5 / (0.95 * 9.0 / 60.0), "{w}");
    }

    /// Calls let through together are counted in any order: the report of the one let
    /// through last can come from the call counted first, and calls counted after it may
    /// be answered before it. Within a burst the report that leaves the least is believed.
    #[test]
    fn within_a_burst_the_report_that_leaves_least_holds() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let need = Need::default();
        let p0 = Provider::Openai;
        // 10 a minute. The probe (1 left of 10 after the burst: 9 used).
        blind_burst(&mut p, 9, t0);
        let answered = ms(1) + PROBE_WAIT + Duration::from_millis(300);
        // The server counted them in reverse: the 9th first (8 left after the probe and
        // it), the 2nd last (1 left). All but the 9th are answered first.
        p.observe(p0, 1, Some(&minute(10.0, 9.0, 6.0)), false, None, answered);
        for id in 2..=8 {
            let left = 1.0 + (id - 2) as f64;
            p.observe(
                p0,
                id,
                Some(&minute(10.0, left, 60.0 - 6.0 * left)),
                false,
                None,
                answered,
            );
        }
        // Then the 9th, let through last, but with the oldest news: 8 left.
        p.observe(p0, 9, Some(&minute(10.0, 8.0, 12.0)), false, None, answered);
        // 1 left, and what came back since the server counted the 2nd (dated 50 ms after
        // it went: the quickest answer took 297 ms): nothing goes at once, and the next
        // waits for the rest of 1.5 units at 1/6 a second.
        let r = 10.0 / 60.0;
        let since = (answered - (ms(1003) + Duration::from_millis(50))).as_secs_f64();
        let expected = (1.5 - (1.0 + r * since)) / r;
        let w = p.reserve(p0, 10, need, answered).as_secs_f64();
        assert!((w - expected).abs() < 1e-6, "{w} {expected}");
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
        p.observe(p0, 4, Some(&snap(10.0, 6.0, 24.0)), false, None, ms(1010));
        p.observe(p0, 3, Some(&snap(10.0, 7.0, 18.0)), false, None, ms(1010));
        // 3 go, one is kept in hand.
        for id in 5..=7 {
            assert_eq!(p.reserve(p0, id, need, ms(1010)), Duration::ZERO, "{id}");
        }
        assert!(!p.reserve(p0, 8, need, ms(1010)).is_zero());
        // A refusal gives its share back (this one says nothing of the budget).
        p.observe(p0, 7, Some(&Snapshot::default()), true, None, ms(1011));
        assert_eq!(p.recheck(p0, 8, ms(1011)), Duration::ZERO);
        // The freshest answer replaces the projection even when it leaves less: 0 left
        // with the 1st, 2nd, 5th, 6th and 8th unanswered.
        p.reserve(p0, 9, need, ms(1012));
        p.observe(p0, 8, Some(&snap(10.0, 0.0, 60.0)), false, None, ms(1013));
        assert!(p.recheck(p0, 9, ms(1013)).as_secs_f64() > 6.0 * 5.0);
    }

    fn minute(limit: f64, remaining: f64, reset_s: f64) -> Snapshot {
        let mut s = snap(limit, remaining, reset_s);
        s.budgets[0].window = Some(Window::Minute);
        s
    }

    /// A per-minute bucket that gives its reset to the millisecond tells the fraction its
    /// rounded-down `remaining` hides, and regains exactly limit/60 a second.
    #[test]
    fn the_reset_of_a_minute_bucket_tells_the_exact_remaining() {
        let m = Some(Window::Minute);
        // 2.7 left of 360 a minute: full in 59.55 s, given to 10 ms (59.56 s at worst).
        assert_eq!(reset_precision(59.55, false), 0.01);
        let (left, rate) = regain(m, 360.0, 2.0, 59.55, 0.01);
        assert!((left - (360.0 - 59.56 * 6.0)).abs() < 1e-9, "{left}");
        assert_eq!(rate, Some(6.0));
        // Just charged: 359 exactly, the reset rounded up to 0.167 s.
        assert_eq!(reset_precision(0.167, false), 0.001);
        assert_eq!(regain(m, 360.0, 359.0, 0.167, 0.001).0, 359.0);
        // A reset given to the second (`6s`, or an instant) hides up to a second's regain:
        // it tells nothing beyond `remaining` (323.x of 360, full in 6.x s).
        assert_eq!(reset_precision(6.0, false), 1.0);
        assert_eq!(reset_precision(6.0004, true), 1.0);
        assert_eq!(regain(m, 360.0, 323.0, 6.0, 1.0), (323.0, Some(6.0)));
        // A reset that disagrees (a window that starts over at once): what is reported,
        // and the rate it implies, a little under.
        let (left, rate) = regain(m, 360.0, 0.0, 20.0, 0.001);
        assert_eq!(left, 0.0);
        assert!((rate.unwrap() - 0.95 * 18.0).abs() < 1e-9);
        assert_eq!(regain(None, 360.0, 2.0, 59.55, 0.01).0, 2.0);
        assert_eq!(regain(Some(Window::Day), 360.0, 2.0, 59.55, 0.01).0, 2.0);
    }

    /// Calls whose connections were slow to open are counted late, after the report of a
    /// call let through after them: their answers, when they come, do not make that report
    /// leave more.
    #[test]
    fn calls_counted_late_stay_out_of_a_later_report() {
        let p0 = Provider::Openai;
        let need = Need::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut p = Pacer::default();
        // 60 a minute, 1 a second; answers take 250 ms.
        p.reserve(p0, 1, need, t0);
        p.observe(p0, 1, Some(&minute(60.0, 59.0, 1.0)), false, None, ms(250));
        for id in 2..=5 {
            assert_eq!(p.reserve(p0, id, need, ms(300)), Duration::ZERO);
        }
        p.observe(p0, 2, Some(&minute(60.0, 56.0, 4.0)), false, None, ms(550));
        p.observe(p0, 3, Some(&minute(60.0, 55.0, 5.0)), false, None, ms(550));
        // The 6th goes alone; its report (counted about 750 ms) says 2 left, without the
        // 4th and 5th, still on their way.
        assert_eq!(p.reserve(p0, 6, need, ms(700)), Duration::ZERO);
        p.observe(p0, 6, Some(&minute(60.0, 2.0, 58.0)), false, None, ms(950));
        assert!(!p.reserve(p0, 7, need, ms(950)).is_zero());
        // They are answered a second late (counted about 1350 ms): the 7th still waits for
        // 1.5 units less the 0.8 left (2 + 0.8 s of regain - those 2).
        p.observe(p0, 4, Some(&minute(60.0, 0.0, 60.0)), false, None, ms(1550));
        p.observe(p0, 5, Some(&minute(60.0, 0.0, 60.0)), false, None, ms(1550));
        let w = p.recheck(p0, 7, ms(1550)).as_secs_f64();
        assert!((w - 0.7).abs() < 1e-6, "{w}");
    }

    /// A report is dated about when the server counted its request: one way's travel
    /// after it went, by the quickest answer seen; later when the answer took longer than
    /// the quickest (it queued, or the server worked longer).
    #[test]
    fn reports_are_dated_when_the_server_counted_the_request() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut quickest = None;
        // The first answer, 250 ms: counted at most 50 ms after it went.
        assert_eq!(counted_at(t0, ms(250), None, &mut quickest), ms(50));
        // A quicker one, 40 ms: one way is at most 20 ms.
        assert_eq!(
            counted_at(ms(1000), ms(1040), None, &mut quickest),
            ms(1020)
        );
        // One that took 340 ms: it may have queued or worked for 300 ms; counted no
        // sooner than 20 ms before its answer could have left.
        assert_eq!(
            counted_at(ms(2000), ms(2340), None, &mut quickest),
            ms(2320)
        );
        assert_eq!(quickest, Some(Duration::from_millis(40)));
        // An answer that says the server worked 245 ms on the request: counted then, not
        // by the quickest answer; a server time longer than the whole trip means the call
        // went no sooner than it was let through.
        let worked = |n| Some(Duration::from_millis(n));
        assert_eq!(
            counted_at(ms(3000), ms(3250), worked(245), &mut quickest),
            ms(3005)
        );
        assert_eq!(
            counted_at(ms(4000), ms(4250), worked(900), &mut quickest),
            ms(4000)
        );

        // The pacer: 360 a minute, 6 a second; the answer comes 250 ms after the call and
        // says the bucket is empty. The next unit, and the half kept in hand, are back
        // 250 ms after the call was counted.
        let p0 = Provider::Openai;
        let mut p = Pacer::default();
        p.reserve(p0, 1, Need::default(), t0);
        p.observe(p0, 1, Some(&minute(360.0, 0.0, 60.0)), false, None, ms(250));
        let w = p.reserve(p0, 2, Need::default(), ms(250)).as_secs_f64();
        assert!((w - 0.05).abs() < 1e-6, "{w}");
    }

    #[test]
    fn a_429_hint_blocks_until_it_passes_and_a_dropped_request_leaves_the_line() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        let mut s = snap(10.0, 5.0, 1.0);
        s.retry_after_s = Some(3.0);
        let p0 = Provider::Openai;
        p.reserve(p0, 1, Need::default(), t0);
        p.observe(p0, 1, Some(&s), true, None, t0);
        let w = p.reserve(p0, 2, Need::default(), t0);
        assert!(close(w, 3.0), "{w:?}");
        assert_eq!(p.reserve(p0, 3, Need::default(), t0), RECHECK);
        // The first in line leaves: the next is first, and the hint holds it too.
        p.observe(p0, 2, None, false, None, t0);
        assert_eq!(p.release(p0, t0), vec![3]);
        let w = p.recheck(p0, 3, t0);
        assert!(close(w, 3.0), "{w:?}");
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
