//! Retry policies (core layer): the named presets that copy real clients, and the one
//! decision every policy makes — "retry after X s" or "give up, because …".
//!
//! Every policy is the same shape: an exponential wait `clamp(mult · base^k, min, max)`
//! (k = retries already made), a jitter rule, a rule for the server's hint, the statuses it
//! retries, an attempt limit and an optional total time cap. The presets' constants come
//! from `provider-formats.md` §16 and the clients' sources, cited on each constructor.

use super::failure::{Failure, FailureKind};
use super::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How randomness is applied to the exponential wait `w`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "amount")]
pub enum Jitter {
    /// `w` exactly.
    None,
    /// Uniform in `[0, w]` (AWS "full jitter", tenacity `wait_random_exponential`).
    Full,
    /// Uniform in `[w/2, w]`.
    Equal,
    /// `w · (1 − f·U)`: removes up to the fraction `f` (the Stainless SDKs use 0.25).
    Subtract(f64),
    /// `min(w + U·j, max)`: adds up to `j` seconds (tenacity `wait_exponential_jitter`).
    Add(f64),
}

/// Retries of a request after which the spread above an honoured hint starts doubling.
pub const GROW_AFTER: u32 = 3;

/// What to do with the server's hint (`retry-after-ms` / `retry-after`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum HintRule {
    /// Never read it.
    Ignore,
    /// Wait the hint when `0 < hint <= max_s`, plus a random extra of up to
    /// `spread · hint`, doubling with each retry after the [`GROW_AFTER`]th (at most the
    /// policy's cap): a client refused once or twice waits about the hint, while clients
    /// that keep colliding on one budget spread further apart each time. A larger hint either falls back to the exponential wait or makes the client
    /// give up.
    Honour {
        max_s: Option<f64>,
        above: AboveMax,
        /// Extra random fraction of the hint added on the first retries, doubling after
        /// [`GROW_AFTER`] of them (0 = wait exactly the hint).
        spread: f64,
    },
}

/// What a client does with a hint longer than it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AboveMax {
    /// Ignore the hint and use the exponential wait (and still retry).
    Backoff,
    /// Do not retry at all.
    GiveUp,
}

/// Which failures a policy retries at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryOn {
    /// Nothing.
    Never,
    /// Status 429 only, whatever the body says (`retry_if_exception_type(RateLimitError)`).
    RateLimitStatus,
    /// 408, 409, 429 and every status >= 500 (openai-python, anthropic-sdk-python).
    SdkStatuses,
    /// 408, 429, 500, 502, 503, 504 (google-genai `HttpRetryOptions`).
    GoogleStatuses,
    /// Whatever can clear by waiting: never quota, billing, too-large, bad request, auth.
    Retryable,
}

impl RetryOn {
    /// Does this rule retry `failure`?
    pub fn covers(self, failure: &Failure) -> bool {
        let s = failure.status;
        match self {
            RetryOn::Never => false,
            RetryOn::RateLimitStatus => s == 429,
            RetryOn::SdkStatuses => matches!(s, 408 | 409 | 429) || s >= 500,
            RetryOn::GoogleStatuses => matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
            RetryOn::Retryable => failure.kind.retryable(),
        }
    }
}

/// A retry policy. Build one with a preset or [`super::parse_policy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Preset name or the custom spec it was parsed from.
    pub name: String,
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Wait before retry k (k = 0 for the first retry): `clamp(mult · base^k, min_s, max_s)`.
    pub mult: f64,
    pub base: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub jitter: Jitter,
    pub hint: HintRule,
    pub retry_on: RetryOn,
    /// Give up rather than wait past this many seconds since the first attempt.
    pub total_cap_s: Option<f64>,
    /// A client with its own retries under this policy (tenacity around an SDK): each of
    /// this policy's attempts is a whole run of the inner client's retries.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner: Option<Box<Policy>>,
}

/// Where a logical request stands in its retries; start from `RetryState::default()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryState {
    /// HTTP calls made.
    pub calls: u32,
    /// Calls in the inner client's current run (nested policies only).
    pub inner_calls: u32,
    /// Attempts of this policy that failed (nested policies: inner runs that raised).
    pub outer_attempts: u32,
}

/// Why a policy stops retrying.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum GiveUp {
    /// The policy does not retry this status or kind.
    NotRetried { kind: FailureKind, status: u16 },
    /// Every allowed attempt was made.
    AttemptsExhausted { attempts: u32 },
    /// The server asked for a longer wait than the client accepts (openai-python > 120 s).
    HintTooLong { hint_s: f64, max_s: f64 },
    /// The next wait would pass the total time cap.
    TotalCap { cap_s: f64, would_reach_s: f64 },
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::duration::human;
        match *self {
            GiveUp::NotRetried { kind, status } => {
                if kind.retryable() {
                    write!(
                        f,
                        "not retried: this policy does not retry {status} ({kind})"
                    )
                } else {
                    write!(f, "not retried: {kind} ({status}) never clears by waiting")
                }
            }
            GiveUp::AttemptsExhausted { attempts } => {
                write!(f, "gave up: all {attempts} attempts used")
            }
            GiveUp::HintTooLong { hint_s, max_s } => write!(
                f,
                "gave up: the server asked for {} (more than the {} this client accepts)",
                human(hint_s),
                human(max_s)
            ),
            GiveUp::TotalCap {
                cap_s,
                would_reach_s,
            } => write!(
                f,
                "gave up: the next retry would start at {}, past the {} cap",
                human(would_reach_s),
                human(cap_s)
            ),
        }
    }
}

/// Where a wait came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitBasis {
    /// The server's hint was honoured.
    Hint,
    /// The exponential backoff (with jitter).
    Backoff,
}

/// A decision to retry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    /// Seconds to wait before the next attempt.
    pub wait_s: f64,
    pub basis: WaitBasis,
}

/// The answer of [`Policy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Retry(Wait),
    GiveUp(GiveUp),
}

impl Policy {
    /// The exponential wait before jitter for retry `k` (0 for the first retry):
    /// `max(min_s, min(mult · base^k, max_s))`, the tenacity formula.
    pub fn base_wait(&self, k: u32) -> f64 {
        let raw = self.mult * self.base.powi(k.min(1023) as i32);
        let raw = if raw.is_finite() { raw } else { self.max_s };
        self.min_s.max(raw.min(self.max_s)).max(0.0)
    }

    /// The band `[lo, hi]` a backoff (not hint) wait for retry `k` falls in.
    pub fn backoff_band(&self, k: u32) -> (f64, f64) {
        let w = self.base_wait(k);
        match self.jitter {
            Jitter::None => (w, w),
            Jitter::Full => (0.0, w),
            Jitter::Equal => (w / 2.0, w),
            Jitter::Subtract(f) => (w * (1.0 - f), w),
            Jitter::Add(j) => (w.min(self.max_s), (w + j).min(self.max_s.max(w))),
        }
    }

    fn jittered(&self, k: u32, rng: &mut Rng) -> f64 {
        let w = self.base_wait(k);
        let wait = match self.jitter {
            Jitter::None => w,
            Jitter::Full => w * rng.next_f64(),
            Jitter::Equal => w / 2.0 + w / 2.0 * rng.next_f64(),
            Jitter::Subtract(f) => w * (1.0 - f * rng.next_f64()),
            Jitter::Add(j) => (w + j * rng.next_f64()).min(self.max_s.max(w)),
        };
        wait.max(0.0)
    }

    /// Records one more failed call in `state` and decides what follows. For a plain
    /// policy this is [`Policy::decide`] with the number of calls; for a nested one the
    /// inner client retries first, and only when it gives up does this policy count a
    /// failed attempt and wait its own wait.
    pub fn next(
        &self,
        state: &mut RetryState,
        elapsed_s: f64,
        failure: &Failure,
        rng: &mut Rng,
    ) -> Decision {
        state.calls += 1;
        let Some(inner) = &self.inner else {
            state.outer_attempts = state.calls;
            return self.decide(state.calls, elapsed_s, failure, rng);
        };
        state.inner_calls += 1;
        match inner.decide(state.inner_calls, elapsed_s, failure, rng) {
            Decision::Retry(w) => Decision::Retry(w),
            Decision::GiveUp(_) => {
                state.outer_attempts += 1;
                state.inner_calls = 0;
                self.decide(state.outer_attempts, elapsed_s, failure, rng)
            }
        }
    }

    /// Decides what to do after attempt number `attempts` (1 = the first call) failed with
    /// `failure`, `elapsed_s` seconds after the first attempt started. Draws from `rng` only
    /// when the wait is random, so the same seed gives the same schedule.
    pub fn decide(
        &self,
        attempts: u32,
        elapsed_s: f64,
        failure: &Failure,
        rng: &mut Rng,
    ) -> Decision {
        if !self.retry_on.covers(failure) {
            return Decision::GiveUp(GiveUp::NotRetried {
                kind: failure.kind,
                status: failure.status,
            });
        }
        if attempts >= self.max_attempts {
            return Decision::GiveUp(GiveUp::AttemptsExhausted {
                attempts: self.max_attempts,
            });
        }
        let k = attempts.saturating_sub(1);
        let mut wait = None;
        if let HintRule::Honour {
            max_s,
            above,
            spread,
        } = self.hint
            && let Some(hint) = failure.retry_after_s.filter(|h| h.is_finite() && *h > 0.0)
        {
            match max_s {
                Some(max) if hint > max => {
                    if above == AboveMax::GiveUp {
                        return Decision::GiveUp(GiveUp::HintTooLong {
                            hint_s: hint,
                            max_s: max,
                        });
                    }
                }
                _ => {
                    let extra = if spread > 0.0 {
                        let widest = (hint
                            * spread
                            * 2f64.powi(k.saturating_sub(GROW_AFTER).min(60) as i32))
                        .min(self.max_s);
                        widest * rng.next_f64()
                    } else {
                        0.0
                    };
                    wait = Some(Wait {
                        wait_s: hint + extra,
                        basis: WaitBasis::Hint,
                    });
                }
            }
        }
        let wait = match wait {
            Some(w) => w,
            None => Wait {
                wait_s: self.jittered(k, rng),
                basis: WaitBasis::Backoff,
            },
        };
        if let Some(cap) = self.total_cap_s {
            let would_reach_s = elapsed_s + wait.wait_s;
            if would_reach_s > cap {
                return Decision::GiveUp(GiveUp::TotalCap {
                    cap_s: cap,
                    would_reach_s,
                });
            }
        }
        Decision::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::PRESETS;

    #[test]
    fn tenacity_formula_matches_source() {
        let p = Policy::tenacity_seed();
        let waits: Vec<f64> = (0..6).map(|k| p.base_wait(k)).collect();
        assert_eq!(waits, vec![2.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        assert_eq!(p.base_wait(10), 60.0);
        assert_eq!(Policy::openai_sdk().base_wait(0), 0.5);
        assert_eq!(Policy::openai_sdk().base_wait(5), 8.0);
    }

    #[test]
    fn every_preset_resolves() {
        for name in PRESETS {
            assert_eq!(Policy::preset(name).map(|p| p.name), Some(name.to_string()));
        }
        assert!(Policy::preset("nope").is_none());
    }
}
