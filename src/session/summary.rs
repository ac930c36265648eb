//! The end-of-run summary (core layer: pure): every number the summary shows, counted
//! once from the session, so that `demo`, `watch`, `run` and `replay` — in text and in
//! JSON — say the same thing in the same words. The words are defined in the README
//! ("The summary").

use super::Session;
use crate::diagnose::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

/// What ratedoctor itself did for the program (the proxy's `--retry` and `--pace`);
/// zero for a recording, where only the program acted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Helped {
    /// Upstream retries made by the proxy (the program never saw those 429s).
    pub retries: u64,
    /// Requests held by `--pace`, and the seconds they were held in all.
    pub paced: u64,
    pub paced_s: f64,
}

/// The summary's numbers. Each answer is counted in exactly one of `ok`, `rate_limited`,
/// `overloaded` and `other_errors`, which add up to `responses`; `rate_limited_by_kind`
/// adds up to `rate_limited`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Requests that reached the proxy, retries included.
    pub requests: u64,
    /// Requests the upstream answered (any status).
    pub responses: u64,
    /// Requests with no answer at all (the connection failed or was cut).
    pub failures: u64,
    /// 2xx answers.
    pub ok: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// The 429s by kind (`rpm`, `tpm`, `quota`, …).
    pub rate_limited_by_kind: BTreeMap<&'static str, u64>,
    /// 503 and 529 answers: the provider is overloaded, not your budget.
    pub overloaded: u64,
    /// Every other error answer (4xx and 5xx).
    pub other_errors: u64,
    /// Retries the program made (calls after a request's first).
    pub retries_by_client: u64,
    /// Of those, sent sooner than the server asked.
    pub too_early: u64,
    /// Of those, retries of an error that retrying cannot fix (quota, too large, auth).
    pub non_retryable_retried: u64,
    /// Upstream retries made by ratedoctor (`--retry`).
    pub retries_by_ratedoctor: u64,
    /// Retries refused again: calls that bought nothing.
    pub wasted_calls: u64,
    /// Requests whose last attempt did not succeed (an error answer or none) by the end:
    /// the program stopped trying. `replay --policy` and `simulate` call these `failed`.
    pub failed_requests: u64,
    /// Of those, the ones the server had asked to wait only briefly (up to a minute).
    pub gave_up_early: u64,
    /// Seconds the program waited between attempts, summed over its requests (two
    /// clients waiting 5 s at once count 10 s).
    pub waited_s: f64,
    /// Seconds requests were held by `--pace`, summed the same way.
    pub paced_s: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub recommendation: String,
}

impl Session {
    /// The summary of everything seen so far.
    pub fn summary(&self, helped: &Helped) -> Summary {
        let audit = self.audit();
        let count = |f: &dyn Fn(u16) -> bool| -> u64 {
            self.by_status
                .iter()
                .filter(|(s, _)| f(**s))
                .map(|(_, n)| n)
                .sum()
        };
        let ok = count(&|s| (200..300).contains(&s));
        let overloaded = count(&|s| s == 503 || s == 529);
        let rate_limited = self.rate_limited;
        Summary {
            requests: self.requests,
            responses: self.responses,
            failures: self.failures,
            ok,
            rate_limited,
            rate_limited_by_kind: self
                .rate_limited_by_kind
                .iter()
                .map(|(k, n)| (k.id(), *n))
                .collect(),
            overloaded,
            other_errors: self
                .responses
                .saturating_sub(ok + rate_limited + overloaded),
            // The audit sees the proxy's own retries as attempts too.
            retries_by_client: audit.retries.saturating_sub(helped.retries),
            too_early: audit.too_early,
            non_retryable_retried: audit.non_retryable_retried,
            retries_by_ratedoctor: helped.retries,
            wasted_calls: audit.wasted_calls,
            failed_requests: audit.gave_up,
            gave_up_early: audit.gave_up_early,
            waited_s: audit.waited_s,
            paced_s: helped.paced_s,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            recommendation: self.recommendation(),
        }
    }
}

impl Summary {
    /// The 429s by kind, most first (ties by name).
    pub fn kinds_by_count(&self) -> Vec<(&'static str, u64)> {
        let mut kinds: Vec<(&'static str, u64)> = self
            .rate_limited_by_kind
            .iter()
            .map(|(k, n)| (*k, *n))
            .collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kinds
    }
}

/// A 429's kind when it came with no diagnosis at all.
pub const UNDIAGNOSED_429: Kind = Kind::Transient;
