//! The recommendation (core layer): search a few concurrencies, `max_tokens` caps and
//! policies for the setting that finishes soonest with no failures, and say why in one
//! sentence.
//!
//! Workloads over [`SAMPLE`] requests are searched on their first [`SAMPLE`] requests;
//! the winner is then run on the whole workload for the numbers shown.

use super::engine::{SimOptions, SimStats, lower_bound, simulate};
use super::spec::Workload;
use crate::backoff::Policy;
use crate::duration::human;
use crate::limiter::Limits;
use serde::Serialize;

/// Requests the search simulates per candidate at most.
pub const SAMPLE: u64 = 10_000;

/// The best setting found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// False when every setting fails some requests (quota, too large, …).
    pub no_failures: bool,
    pub policy: String,
    pub concurrency: u32,
    /// `None`: keep `max_tokens` as it is.
    pub max_tokens: Option<u64>,
    /// The winner run on the whole workload.
    pub stats: SimStats,
    /// One sentence.
    pub reason: String,
    /// Settings simulated.
    pub searched: usize,
    /// Requests each candidate was simulated with.
    pub sample_requests: u64,
}

fn concurrencies(limits: &Limits, w: &Workload) -> Vec<u32> {
    let n = w.requests.len().max(1);
    let mut v: Vec<u64> = vec![1, 2, 4, 8, 16, 32, 64];
    v.push(u64::from(w.concurrency));
    if let Some(k) = limits.concurrency {
        v.push(k);
    }
    // Enough workers to keep the binding per-minute limit busy for one latency.
    let mut rate = f64::INFINITY;
    if let Some(r) = limits.rpm {
        rate = rate.min(r as f64 / 60.0);
    }
    if let Some(t) = limits.tpm {
        let c = w.size(0).tpm_charge().max(1) as f64;
        rate = rate.min(t as f64 / 60.0 / c);
    }
    if rate.is_finite() && w.latency_s > 0.0 {
        v.push((rate * w.latency_s).ceil() as u64 + 1);
    }
    let mut v: Vec<u32> = v
        .into_iter()
        .filter(|c| *c >= 1 && *c <= n && *c <= 1024)
        .map(|c| c as u32)
        .collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() {
        v.push(1);
    }
    v
}

fn caps(w: &Workload) -> Vec<Option<u64>> {
    let mut out = vec![w.max_tokens_cap];
    let Some(m) = w.requests.max_max_tokens() else {
        return out;
    };
    let m = w.max_tokens_cap.map_or(m, |c| c.min(m));
    let input = w.size(0).input;
    for cap in [m / 2, m / 4] {
        // Lowering max_tokens only helps while it is what TPM is charged.
        if cap >= 16 && m > input {
            out.push(Some(cap));
        }
    }
    out.dedup();
    out
}

/// Searches concurrency × `max_tokens` × `policies` and returns the best setting.
pub fn recommend(
    limits: &Limits,
    workload: &Workload,
    policies: &[Policy],
    seed: u64,
) -> Option<Recommendation> {
    recommend_with(
        limits,
        workload,
        policies,
        &SimOptions {
            seed,
            ..SimOptions::default()
        },
    )
}

/// [`recommend`] with the options of its runs (the seed, and where to count progress).
pub fn recommend_with(
    limits: &Limits,
    workload: &Workload,
    policies: &[Policy],
    run: &SimOptions,
) -> Option<Recommendation> {
    if policies.is_empty() || workload.requests.is_empty() {
        return None;
    }
    let sample = Workload {
        requests: workload.requests.prefix(SAMPLE),
        ..workload.clone()
    };
    let opts = SimOptions { record: 0, ..*run };
    let mut tried: Vec<(usize, u32, Option<u64>, SimStats)> = Vec::new();
    for (pi, p) in policies.iter().enumerate() {
        for cap in caps(&sample) {
            for c in concurrencies(limits, &sample) {
                let w = Workload {
                    concurrency: c,
                    max_tokens_cap: cap,
                    ..sample.clone()
                };
                let s = simulate(limits, &w, p, &opts).stats;
                tried.push((pi, c, cap, s));
            }
        }
    }
    let searched = tried.len();
    let clean: Vec<&(usize, u32, Option<u64>, SimStats)> =
        tried.iter().filter(|t| t.3.outcome.failed == 0).collect();
    let no_failures = !clean.is_empty();
    let pool: Vec<&(usize, u32, Option<u64>, SimStats)> = if no_failures {
        clean
    } else {
        let fewest = tried.iter().map(|t| t.3.outcome.failed).min().unwrap_or(0);
        tried
            .iter()
            .filter(|t| t.3.outcome.failed == fewest)
            .collect()
    };
    let best_time = pool
        .iter()
        .map(|t| t.3.outcome.total_s)
        .fold(f64::INFINITY, f64::min);
    // Within 1 % of the best time: keep max_tokens, then fewest 429s, fewest workers.
    let chosen = pool
        .iter()
        .filter(|t| t.3.outcome.total_s <= best_time * 1.01 + 1e-6)
        .min_by(|a, b| {
            let cap = |x: &Option<u64>| std::cmp::Reverse(x.unwrap_or(u64::MAX));
            cap(&a.2)
                .cmp(&cap(&b.2))
                .then(a.3.outcome.rate_limited.cmp(&b.3.outcome.rate_limited))
                .then(a.1.cmp(&b.1))
                .then(a.3.outcome.total_s.total_cmp(&b.3.outcome.total_s))
                .then(a.0.cmp(&b.0))
        })?;
    let (pi, c, cap) = (chosen.0, chosen.1, chosen.2);
    let full = Workload {
        concurrency: c,
        max_tokens_cap: cap,
        ..workload.clone()
    };
    let stats = simulate(limits, &full, &policies[pi], &opts).stats;
    let baseline = simulate(limits, workload, &policies[0], &opts).stats;
    let reason = reason(limits, workload, &full, &stats, &baseline, no_failures);
    Some(Recommendation {
        no_failures,
        policy: policies[pi].name.clone(),
        concurrency: c,
        max_tokens: cap,
        stats,
        reason,
        searched,
        sample_requests: sample.requests.len(),
    })
}

fn reason(
    limits: &Limits,
    asked: &Workload,
    chosen: &Workload,
    s: &SimStats,
    base: &SimStats,
    no_failures: bool,
) -> String {
    if !no_failures {
        let why = s
            .gave_up
            .keys()
            .next()
            .copied()
            .unwrap_or("attempts_exhausted");
        let kinds: Vec<&str> = s.refusals.keys().copied().collect();
        let has = |k: &str| kinds.contains(&k);
        let fix = if has("quota") {
            "the quota is spent and never comes back: add credit or raise the usage limit"
        } else if has("too_large") {
            "some requests are bigger than a whole limit: shrink them or raise the limit"
        } else if has("rpd") || has("tpd") {
            "the per-day limit runs out: spread the job over more days or get a higher tier"
        } else {
            "the limits cannot carry this workload in time: raise them or accept a longer run"
        };
        return format!(
            "No setting finishes without failures ({} of {} requests still fail: {}; 429s: {}): {fix}.",
            s.outcome.failed,
            s.outcome.requests,
            why.replace('_', " "),
            if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds.join(", ")
            }
        );
    }
    let (_, binding) = lower_bound(limits, chosen);
    let mut levers: Vec<String> = Vec::new();
    if chosen.max_tokens_cap != asked.max_tokens_cap {
        levers.push(format!(
            "max_tokens {} cuts what each request reserves against TPM (if your answers fit in it)",
            chosen
                .max_tokens_cap
                .map_or("as is".to_string(), |m| m.to_string())
        ));
    }
    if chosen.concurrency < asked.concurrency {
        levers.push(format!(
            "{} keep{} the {binding} limit busy and more only collect 429s",
            workers(chosen.concurrency),
            if chosen.concurrency == 1 { "s" } else { "" }
        ));
    } else if chosen.concurrency > asked.concurrency {
        levers.push(format!(
            "{} use budget that {} leave idle",
            workers(chosen.concurrency),
            asked.concurrency
        ));
    }
    if s.policy != base.policy && base.outcome.failed > 0 {
        levers.push(format!(
            "{} sees it through where {} gives up",
            s.policy, base.policy
        ));
    }
    if levers.is_empty() {
        levers.push(format!(
            "the {binding} limit sets the pace; nothing here beats it"
        ));
    }
    let vs = if base.outcome.failed > 0 {
        format!(
            "yours fails {} and takes {}",
            base.outcome.failed,
            human(base.outcome.total_s)
        )
    } else {
        format!("yours takes {}", human(base.outcome.total_s))
    };
    format!(
        "{} with {} finishes {} requests in {} with no failures, {:.0}% of what the {binding} limit allows ({vs}): {}.",
        s.policy,
        workers(chosen.concurrency),
        s.outcome.requests,
        human(s.outcome.total_s),
        s.throughput_share * 100.0,
        levers.join("; ")
    )
}

fn workers(n: u32) -> String {
    if n == 1 {
        "1 worker".to_string()
    } else {
        format!("{n} workers")
    }
}
