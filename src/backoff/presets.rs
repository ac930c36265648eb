//! The named presets (core layer): each copies a real client's retry constants, cited
//! from `provider-formats.md` §16 and the client's source.

use super::policy::{AboveMax, HintRule, Jitter, Policy, RetryOn};

/// The preset names, in the order `--help` lists them.
pub const PRESETS: [&str; 8] = [
    "openai-sdk",
    "anthropic-sdk",
    "tenacity-seed",
    "tenacity-seed+sdk",
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
            "tenacity-seed+sdk" => Policy::tenacity_seed_over_sdk(),
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
            inner: None,
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
    /// (current `tenacity/wait.py`; old releases used `2^attempt_number`, which gave
    /// 2, 4, 8, 16, 32), so the waits after attempts 1–5 are **2, 2, 4, 8, 16 s** (32 s in
    /// all), then it stops after attempt 6. It never reads
    /// `Retry-After`, and retries every 429 — quota errors included (the seed's flaw).
    /// (The `OpenAI()` client under it also retries twice on its own: `tenacity-seed+sdk`.)
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
            inner: None,
        }
    }

    /// The seed as it really runs: its decorator wraps `client = OpenAI()`, whose own
    /// `DEFAULT_MAX_RETRIES = 2` apply inside every tenacity attempt. So each of the 6
    /// attempts is up to 3 HTTP calls with the SDK's waits (and its retry-after rules),
    /// then tenacity's 2, 2, 4, 8, 16 s between attempts: up to 18 calls per request.
    pub fn tenacity_seed_over_sdk() -> Policy {
        Policy {
            name: "tenacity-seed+sdk".into(),
            inner: Some(Box::new(Policy::openai_sdk())),
            ..Policy::tenacity_seed()
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
            inner: None,
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
            inner: None,
        }
    }

    /// Our recommendation: wait exactly the server's hint, so clients refused at different
    /// times come back in that order (first come, first served: a spread above the hint
    /// made a client refused many times wait ever longer, p99 2 min 45 s on the README's
    /// example and 13 % slower than the limit allows); without a hint, full jitter over
    /// `min(1·2^k, 32)` s; never retry what cannot clear (quota, billing, too large, bad
    /// request, auth); never past 10 minutes since the first attempt. The attempt limit
    /// (100) is only a guard: waiting a hint is cheap. `tests/simulate_cli.rs` checks it
    /// has the best share of every preset on four workloads.
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
                spread: 0.0,
            },
            retry_on: RetryOn::Retryable,
            total_cap_s: Some(600.0),
            inner: None,
        }
    }
}
