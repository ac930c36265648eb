//! Rate-limit accounting (core layer: pure, no tokio, no network, no clock).
//!
//! A [`Limiter`] holds one caller's budgets the way the providers document them
//! (`provider-formats.md`):
//!
//! - per-minute dimensions ([`Dim::Rpm`], [`Dim::Tpm`], [`Dim::InputTpm`], [`Dim::OutputTpm`])
//!   are token buckets whose capacity is the per-minute limit and which refill continuously at
//!   `limit / 60` per second — so "Please try again in 20s" for one request at 3 RPM;
//! - per-day dimensions ([`Dim::Rpd`], [`Dim::Tpd`]) are fixed windows of 86 400 s starting at
//!   a day origin chosen by the caller (e.g. UTC midnight);
//! - a concurrency cap counts requests in flight (admitted and not yet [`Limiter::release`]d);
//! - a quota is a lifetime token allowance that never comes back once spent.
//!
//! Time is always passed in as `now`: seconds since an arbitrary origin (the emulator uses
//! "seconds since start"). Going backwards in time is ignored. A refused request is charged
//! only what its [`Cost::on_refusal`] says: OpenAI documents that "unsuccessful requests
//! contribute to your per-minute limit", so its calls refused for tokens or concurrency still
//! use one request of the per-minute request budget; the other families document nothing of
//! the kind and charge a refusal nothing.
//!
//! ```
//! use ratedoctor::limiter::{Cost, Dim, Limiter, Limits, Outcome};
//! let limits = Limits { rpm: Some(3), ..Limits::default() };
//! let mut l = Limiter::new(limits, 0.0);
//! let one = Cost::default().with(Dim::Rpm, 1);
//! for _ in 0..3 {
//!     assert!(matches!(l.admit(&one, 0.0), Outcome::Admitted));
//! }
//! let Outcome::Refused(r) = l.admit(&one, 0.0) else { panic!() };
//! assert_eq!((r.limit, r.used, r.requested), (3, 3, 1));
//! assert_eq!(r.retry_after_s, Some(20.0));
//! ```

use serde::Serialize;

/// Seconds in the per-day window.
pub const DAY_S: f64 = 86_400.0;

/// A rate-limited dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Requests per minute.
    Rpm,
    /// Tokens per minute.
    Tpm,
    /// Requests per day.
    Rpd,
    /// Tokens per day.
    Tpd,
    /// Input tokens per minute (Anthropic ITPM).
    InputTpm,
    /// Output tokens per minute (Anthropic OTPM).
    OutputTpm,
}

impl Dim {
    /// Every dimension, in the order ties are broken when several refuse at once.
    pub const ALL: [Dim; 6] = [
        Dim::Rpd,
        Dim::Tpd,
        Dim::Rpm,
        Dim::Tpm,
        Dim::InputTpm,
        Dim::OutputTpm,
    ];

    fn index(self) -> usize {
        match self {
            Dim::Rpm => 0,
            Dim::Tpm => 1,
            Dim::Rpd => 2,
            Dim::Tpd => 3,
            Dim::InputTpm => 4,
            Dim::OutputTpm => 5,
        }
    }

    /// Is this a per-day window (else a per-minute bucket)?
    pub fn is_daily(self) -> bool {
        matches!(self, Dim::Rpd | Dim::Tpd)
    }

    /// Does this dimension count requests (else tokens)?
    pub fn counts_requests(self) -> bool {
        matches!(self, Dim::Rpm | Dim::Rpd)
    }

    /// Short identifier: `rpm`, `tpm`, `rpd`, `tpd`, `input_tpm`, `output_tpm`.
    pub fn id(self) -> &'static str {
        match self {
            Dim::Rpm => "rpm",
            Dim::Tpm => "tpm",
            Dim::Rpd => "rpd",
            Dim::Tpd => "tpd",
            Dim::InputTpm => "input_tpm",
            Dim::OutputTpm => "output_tpm",
        }
    }
}

/// The configured limits; `None` means unlimited (not tracked, not reported).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub rpd: Option<u64>,
    pub tpd: Option<u64>,
    pub input_tpm: Option<u64>,
    pub output_tpm: Option<u64>,
    /// Maximum requests in flight at once.
    pub concurrency: Option<u64>,
    /// Lifetime token allowance (prepaid credit); never refills.
    pub quota_tokens: Option<u64>,
}

impl Limits {
    /// The limit of one dimension.
    pub fn get(&self, dim: Dim) -> Option<u64> {
        match dim {
            Dim::Rpm => self.rpm,
            Dim::Tpm => self.tpm,
            Dim::Rpd => self.rpd,
            Dim::Tpd => self.tpd,
            Dim::InputTpm => self.input_tpm,
            Dim::OutputTpm => self.output_tpm,
        }
    }
}

/// What one request costs in each dimension, and in quota. A dimension charged 0 is not
/// checked, so a caller decides which dimensions apply to a request by what it charges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    amounts: [u64; 6],
    /// Tokens taken from the quota (what the provider bills: input + output).
    pub billed_tokens: u64,
    /// Requests taken from the per-minute request budget ([`Dim::Rpm`]) when this call is
    /// refused by a rate, concurrency or size limit (not by a spent quota).
    pub refused_requests: u64,
}

impl Cost {
    /// This cost with `amount` charged to `dim`.
    #[must_use]
    pub fn with(mut self, dim: Dim, amount: u64) -> Self {
        self.amounts[dim.index()] = amount;
        self
    }

    /// This cost with `tokens` billed against the quota.
    #[must_use]
    pub fn billed(mut self, tokens: u64) -> Self {
        self.billed_tokens = tokens;
        self
    }

    /// This cost with `requests` taken from [`Dim::Rpm`] when the call is refused.
    #[must_use]
    pub fn on_refusal(mut self, requests: u64) -> Self {
        self.refused_requests = requests;
        self
    }

    /// The amount charged to `dim`.
    pub fn get(&self, dim: Dim) -> u64 {
        self.amounts[dim.index()]
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "dim")]
pub enum Reason {
    /// Not enough left in this dimension now; waiting `retry_after_s` is enough.
    Limit(Dim),
    /// The request alone is bigger than the whole limit of this dimension: never admitted.
    TooLarge(Dim),
    /// Too many requests in flight.
    Concurrency,
    /// The quota is spent; it never comes back.
    Quota,
}

/// A refusal with the true numbers behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Refusal {
    pub reason: Reason,
    /// The limit that refused (per minute, per day, in flight, or quota tokens).
    pub limit: u64,
    /// `limit - remaining` with remaining rounded down (for concurrency: requests in flight;
    /// for quota: tokens spent).
    pub used: u64,
    /// What this request asked for in that dimension.
    pub requested: u64,
    /// Seconds until enough has refilled for this request; `None` when waiting cannot help
    /// (too large, quota) or is unknown (concurrency).
    pub retry_after_s: Option<f64>,
}

/// The answer to [`Limiter::admit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Charged; the caller must [`Limiter::release`] when the request ends.
    Admitted,
    Refused(Refusal),
}

/// One dimension's state as response headers report it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Status {
    pub dim: Dim,
    pub limit: u64,
    /// Whole units left now (rounded down).
    pub remaining: u64,
    /// Seconds until the dimension is back to its full limit (0 when it is full).
    pub reset_s: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    limit: u64,
    level: f64,
    last: f64,
    day: i64,
}

impl Bucket {
    fn new(limit: u64) -> Self {
        Bucket {
            limit,
            level: limit as f64,
            last: f64::NEG_INFINITY,
            day: i64::MIN,
        }
    }

    fn rate(&self) -> f64 {
        self.limit as f64 / 60.0
    }

    /// Brings the bucket to `now`: continuous refill (minute) or window roll-over (day).
    fn advance(&mut self, daily: bool, now: f64, origin: f64) {
        if daily {
            let day = ((now - origin) / DAY_S).floor() as i64;
            if day > self.day {
                self.day = day;
                self.level = self.limit as f64;
            }
        } else if self.last == f64::NEG_INFINITY {
            self.last = now;
        } else if now > self.last {
            self.level = (self.level + (now - self.last) * self.rate()).min(self.limit as f64);
            self.last = now;
        }
    }

    /// Seconds until `amount` is available (bucket already advanced to `now`).
    fn wait_for(&self, daily: bool, amount: f64, now: f64, origin: f64) -> f64 {
        if self.level >= amount {
            0.0
        } else if daily {
            origin + (self.day as f64 + 1.0) * DAY_S - now
        } else {
            (amount - self.level) / self.rate()
        }
    }
}

/// One caller's rate-limit state.
#[derive(Debug, Clone)]
pub struct Limiter {
    limits: Limits,
    buckets: [Option<Bucket>; 6],
    day_origin: f64,
    in_flight: u64,
    quota_spent: u64,
}

impl Limiter {
    /// A limiter with full budgets. Day windows are `[day_origin + k·86400, …)` in the same
    /// time scale as `now` (pass minus the seconds since midnight at start to align them
    /// with midnight).
    pub fn new(limits: Limits, day_origin: f64) -> Self {
        let mut buckets = [None; 6];
        for dim in Dim::ALL {
            buckets[dim.index()] = limits.get(dim).map(Bucket::new);
        }
        Limiter {
            limits,
            buckets,
            day_origin,
            in_flight: 0,
            quota_spent: 0,
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Requests admitted and not yet released.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// Quota tokens spent so far.
    pub fn quota_spent(&self) -> u64 {
        self.quota_spent
    }

    /// Charges `cost` at `now` if every check passes, else says which limit refused.
    ///
    /// Checks, in order: quota (spent → [`Reason::Quota`]), concurrency, requests bigger
    /// than a whole limit ([`Reason::TooLarge`]), then every charged dimension. When several
    /// dimensions refuse, the one with the longest wait is reported (retrying after a
    /// shorter wait would only fail again); ties go to [`Dim::ALL`] order.
    ///
    /// A refusal other than quota takes [`Cost::refused_requests`] from [`Dim::Rpm`] when
    /// that many whole requests are left there, before the wait is worked out, so the
    /// advertised wait covers the charge.
    pub fn admit(&mut self, cost: &Cost, now: f64) -> Outcome {
        self.advance(now);
        if let Some(quota) = self.limits.quota_tokens
            && self.quota_spent >= quota
        {
            return Outcome::Refused(Refusal {
                reason: Reason::Quota,
                limit: quota,
                used: self.quota_spent,
                requested: cost.billed_tokens,
                retry_after_s: None,
            });
        }
        if let Some(max) = self.limits.concurrency
            && self.in_flight >= max
        {
            self.charge_refusal(cost);
            return Outcome::Refused(Refusal {
                reason: Reason::Concurrency,
                limit: max,
                used: self.in_flight,
                requested: 1,
                retry_after_s: None,
            });
        }
        let refusal = match self.check(cost, now) {
            None => {
                for dim in Dim::ALL {
                    if let Some(b) = self.buckets[dim.index()].as_mut() {
                        b.level -= cost.get(dim) as f64;
                    }
                }
                self.quota_spent = self.quota_spent.saturating_add(cost.billed_tokens);
                self.in_flight += 1;
                return Outcome::Admitted;
            }
            Some(r) if cost.refused_requests == 0 => r,
            Some(r) => {
                self.charge_refusal(cost);
                match r.reason {
                    Reason::Limit(_) => self.check(cost, now).unwrap_or(r),
                    _ => r,
                }
            }
        };
        Outcome::Refused(refusal)
    }

    /// What would refuse `cost` at `now` (buckets already advanced), without charging.
    fn check(&self, cost: &Cost, now: f64) -> Option<Refusal> {
        let mut worst: Option<Refusal> = None;
        for dim in Dim::ALL {
            let amount = cost.get(dim);
            let Some(b) = self.buckets[dim.index()] else {
                continue;
            };
            if amount == 0 {
                continue;
            }
            let used = b.limit - (b.level.max(0.0).floor() as u64).min(b.limit);
            if amount > b.limit {
                return Some(Refusal {
                    reason: Reason::TooLarge(dim),
                    limit: b.limit,
                    used,
                    requested: amount,
                    retry_after_s: None,
                });
            }
            let wait = b.wait_for(dim.is_daily(), amount as f64, now, self.day_origin);
            if wait > 0.0 && worst.is_none_or(|w| wait > w.retry_after_s.unwrap_or(0.0)) {
                worst = Some(Refusal {
                    reason: Reason::Limit(dim),
                    limit: b.limit,
                    used,
                    requested: amount,
                    retry_after_s: Some(wait),
                });
            }
        }
        worst
    }

    /// Takes a refused call's [`Cost::refused_requests`] from the per-minute request bucket
    /// when that many whole requests are left there (a call refused for its tokens, or for
    /// concurrency, still uses a request; one refused by the request limit itself found no
    /// request left to use).
    fn charge_refusal(&mut self, cost: &Cost) {
        let n = cost.refused_requests as f64;
        if let Some(b) = self.buckets[Dim::Rpm.index()].as_mut()
            && b.level >= n
        {
            b.level -= n;
        }
    }

    /// Ends an admitted request (frees its concurrency slot).
    pub fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Gives back `amount` to a dimension (e.g. output tokens reserved but not produced).
    /// The level never exceeds the limit.
    pub fn refund(&mut self, dim: Dim, amount: u64, now: f64) {
        self.advance(now);
        if let Some(b) = self.buckets[dim.index()].as_mut() {
            b.level = (b.level + amount as f64).min(b.limit as f64);
        }
    }

    /// A configured dimension's state at `now`, as headers report it.
    pub fn status(&mut self, dim: Dim, now: f64) -> Option<Status> {
        self.advance(now);
        let b = self.buckets[dim.index()]?;
        let remaining = (b.level.max(0.0).floor() as u64).min(b.limit);
        let reset_s = b.wait_for(dim.is_daily(), b.limit as f64, now, self.day_origin);
        Some(Status {
            dim,
            limit: b.limit,
            remaining,
            reset_s,
        })
    }

    /// Every configured dimension's state at `now`, in [`Dim::ALL`] order.
    pub fn statuses(&mut self, now: f64) -> Vec<Status> {
        Dim::ALL
            .iter()
            .filter_map(|&d| self.status(d, now))
            .collect()
    }

    fn advance(&mut self, now: f64) {
        for dim in Dim::ALL {
            if let Some(b) = self.buckets[dim.index()].as_mut() {
                b.advance(dim.is_daily(), now, self.day_origin);
            }
        }
    }
}

/// Characters of the text in a messages/contents/input value: strings, arrays of them, and
/// the `text`, `content` and `parts` of objects. Tokens are estimated from this the way
/// OpenAI documents (about four characters a token), by the emulator and the simulator alike.
pub fn text_chars(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.iter().map(text_chars).sum(),
        Value::Object(map) => ["text", "content", "parts"]
            .iter()
            .filter_map(|k| map.get(*k))
            .map(text_chars)
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
