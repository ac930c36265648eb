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

/// What to do with the server's hint (`retry-after-ms` / `retry-after`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum HintRule {
    /// Never read it.
    Ignore,
    /// Wait exactly the hint (times `1 + spread·U`) when `0 < hint <= max_s`; a larger hint
    /// either falls back to the exponential wait or makes the client give up.
    Honour {
        max_s: Option<f64>,
        above: AboveMax,
        /// Extra random fraction added on top of the hint (0 = wait exactly the hint).
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

/// The preset names, in the order `--help` lists them.
pub const PRESETS: [&str; 7] = [
    "openai-sdk",
    "anthropic-sdk",
    "tenacity-seed",
    "tenacity-random",
    "google-genai",
    "none",
    "ratedoctor",
];

impl Policy {
    /// A preset by name, `None` if unknown.
    pub fn preset(name: &str) -> Option<Policy> {
        Some(match name {
            "openai-sdk" => Policy::openai_sdk(),
            "anthropic-sdk" => Policy::anthropic_sdk(),
            "tenacity-seed" => Policy::tenacity_seed(),
            "tenacity-random" => Policy::tenacity_random(),
            "google-genai" => Policy::google_genai(),
            "none" => Policy::none(),
            "ratedoctor" => Policy::ratedoctor(),
            _ => return None,
        })
    }

    /// openai-python v3.3.1 (`provider-formats.md` §16.1): `DEFAULT_MAX_RETRIES = 2` (3
    /// attempts), `INITIAL_RETRY_DELAY = 0.5`, `MAX_RETRY_DELAY = 8.0`, wait
    /// `min(0.5·2^n, 8) · (1 − 0.25·random())`; `retry-after-ms` then `retry-after` used as
    /// is when `0 < x <= MAX_RETRY_AFTER_DELAY = 120`; a hint above 120 s means **no retry**
    /// (since v2.52.0); retries 408, 409, 429 and >= 500 — including a 429
    /// `insufficient_quota`, which the SDK cannot tell apart by status.
    pub fn openai_sdk() -> Policy {
        Policy {
            name: "openai-sdk".into(),
            max_attempts: 3,
            mult: 0.5,
            base: 2.0,
            min_s: 0.0,
            max_s: 8.0,
            jitter: Jitter::Subtract(0.25),
            hint: HintRule::Honour {
                max_s: Some(120.0),
                above: AboveMax::GiveUp,
                spread: 0.0,
            },
            retry_on: RetryOn::SdkStatuses,
            total_cap_s: None,
        }
    }

    /// anthropic-sdk-python v0.121.0 (§16.3): the same constants as openai-python (2
    /// retries, 0.5 s doubling to 8 s, minus up to 25 %), but the hint is used only when
    /// `0 < x <= 60`; a larger hint falls back to the backoff **and still retries**.
    /// Retries 408, 409, 429, >= 500 (so 529 overloaded too).
    pub fn anthropic_sdk() -> Policy {
        Policy {
            name: "anthropic-sdk".into(),
            hint: HintRule::Honour {
                max_s: Some(60.0),
                above: AboveMax::Backoff,
                spread: 0.0,
            },
            ..Policy::openai_sdk()
        }
    }

    /// The seed's decorator: `retry_if_exception_type(openai.RateLimitError)`,
    /// `wait_exponential(multiplier=1, min=2, max=60)`, `stop_after_attempt(6)`.
    /// tenacity computes `max(min, min(multiplier · 2^(attempt_number − 1), max))`
    /// (`tenacity/wait.py`, since 5.x), so the waits after attempts 1–5 are
    /// **2, 2, 4, 8, 16 s** (32 s in all), then it stops after attempt 6. It never reads
    /// `Retry-After`, and retries every 429 — quota errors included (the seed's flaw).
    /// (The `OpenAI()` client under it also retries twice on its own; not modelled here.)
    pub fn tenacity_seed() -> Policy {
        Policy {
            name: "tenacity-seed".into(),
            max_attempts: 6,
            mult: 1.0,
            base: 2.0,
            min_s: 2.0,
            max_s: 60.0,
            jitter: Jitter::None,
            hint: HintRule::Ignore,
            retry_on: RetryOn::RateLimitStatus,
            total_cap_s: None,
        }
    }

    /// `wait_random_exponential(multiplier=1, max=60)` with `stop_after_attempt(6)`:
    /// `uniform(0, min(2^(attempt_number − 1), 60))`, i.e. full jitter over 1, 2, 4, 8, 16 s.
    /// Same retry rule as the seed (every 429, hint ignored).
    pub fn tenacity_random() -> Policy {
        Policy {
            name: "tenacity-random".into(),
            min_s: 0.0,
            jitter: Jitter::Full,
            ..Policy::tenacity_seed()
        }
    }

    /// google-genai Python v2.19.0 with `HttpRetryOptions()` (§16.5; retries are off by
    /// default): 5 attempts, `wait_exponential_jitter(initial=1.0, max=60.0, exp_base=2,
    /// jitter=1)` = `min(2^(n−1) + uniform(0, 1), 60)`, codes 408, 429, 500, 502, 503, 504,
    /// and it does not read `RetryInfo.retryDelay` or `retry-after`.
    pub fn google_genai() -> Policy {
        Policy {
            name: "google-genai".into(),
            max_attempts: 5,
            mult: 1.0,
            base: 2.0,
            min_s: 0.0,
            max_s: 60.0,
            jitter: Jitter::Add(1.0),
            hint: HintRule::Ignore,
            retry_on: RetryOn::GoogleStatuses,
            total_cap_s: None,
        }
    }

    /// No retries: the first failure is final.
    pub fn none() -> Policy {
        Policy {
            name: "none".into(),
            max_attempts: 1,
            mult: 1.0,
            base: 2.0,
            min_s: 0.0,
            max_s: 0.0,
            jitter: Jitter::None,
            hint: HintRule::Ignore,
            retry_on: RetryOn::Never,
            total_cap_s: None,
        }
    }

    /// Our recommendation: wait the server's hint (plus up to 10 % so workers that were
    /// refused together do not return together); without a hint, full jitter over
    /// `min(1·2^k, 32)` s; never retry what cannot clear (quota, billing, too large, bad
    /// request, auth); never past 10 minutes since the first attempt. The attempt limit
    /// (100) is only a guard: waiting a hint is cheap, and with many workers on one bucket
    /// a request may lose the race for the refilled budget many times before its turn
    /// (at 30 attempts, 8 workers on 30 RPM still lost 1 % of requests in simulation).
    pub fn ratedoctor() -> Policy {
        Policy {
            name: "ratedoctor".into(),
            max_attempts: 100,
            mult: 1.0,
            base: 2.0,
            min_s: 0.0,
            max_s: 32.0,
            jitter: Jitter::Full,
            hint: HintRule::Honour {
                max_s: None,
                above: AboveMax::Backoff,
                spread: 0.1,
            },
            retry_on: RetryOn::Retryable,
            total_cap_s: Some(600.0),
        }
    }

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
                        hint * spread * rng.next_f64()
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
