//! Text and JSON forms of a simulation report (core layer: builds strings, prints nothing).

use super::engine::{SimRun, SimStats};
use super::recommend::Recommendation;
use super::spec::{Requests, Workload};
use crate::backoff::render::secs;
use crate::limiter::Limits;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// How the throughput share is computed, for the report.
pub const SHARE_FORMULA: &str = "share = (succeeded / requests) x min(1, lower bound / total time); lower bound = one latency + the largest of 60·(X − L)/L for each per-minute limit L charged X in all, (ceil(X/L) − 1)·86400 for each per-day limit, ceil(N/K)·latency for a concurrency cap K";

/// `rpm=60 tpm=30000 …`.
pub fn limits_text(l: &Limits) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("rpm", l.rpm),
        ("tpm", l.tpm),
        ("rpd", l.rpd),
        ("tpd", l.tpd),
        ("concurrency", l.concurrency),
        ("quota", l.quota_tokens),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(" ")
    }
}

/// One line describing the workload.
pub fn workload_text(w: &Workload) -> String {
    let what = match &w.requests {
        Requests::Uniform { n, size } => format!(
            "{n} requests (input {} tokens, max_tokens {}: {} TPM each)",
            size.input,
            w.size(0)
                .max_tokens
                .map_or("unset".to_string(), |m| m.to_string()),
            w.size(0).tpm_charge()
        ),
        Requests::List { sizes } => {
            let total: u64 = (0..sizes.len() as u64)
                .map(|i| w.size(i).tpm_charge())
                .sum();
            format!(
                "{} requests from a file ({} TPM in all, {} on average)",
                sizes.len(),
                total,
                total / (sizes.len() as u64).max(1)
            )
        }
    };
    format!(
        "{what}, {} worker{}, latency {} ms",
        w.concurrency,
        if w.concurrency == 1 { "" } else { "s" },
        (w.latency_s * 1000.0).round()
    )
}

fn opt_secs(v: Option<f64>) -> String {
    v.map_or("-".to_string(), secs)
}

/// A density strip: one character per column, darker = more.
fn strip(values: &[u64]) -> String {
    const SHADES: &[char] = &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let i = 1 + ((v as f64 / max as f64) * (SHADES.len() - 2) as f64).round() as usize;
                SHADES[i.min(SHADES.len() - 1)]
            }
        })
        .collect()
}

/// The compact timeline of one run: successes, 429s and give-ups over time.
pub fn timeline_text(run: &SimRun, width: usize) -> String {
    let total = run.stats.outcome.total_s;
    let cols = run.histogram.columns(total, width.max(10));
    let ok: Vec<u64> = cols.iter().map(|c| c.0).collect();
    let lim: Vec<u64> = cols.iter().map(|c| c.1).collect();
    let gu: Vec<u64> = cols.iter().map(|c| c.2).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "timeline ({}): 0 s … {}, one column = {}",
        run.stats.policy,
        secs(total),
        secs(total.max(0.0) / cols.len() as f64)
    );
    let _ = writeln!(out, "  200     |{}|", strip(&ok));
    let _ = writeln!(out, "  429     |{}|", strip(&lim));
    if gu.iter().any(|v| *v > 0) {
        let _ = writeln!(out, "  gave up |{}|", strip(&gu));
    }
    out
}

/// The table of runs.
pub fn table_text(runs: &[&SimStats]) -> String {
    let w = runs
        .iter()
        .map(|s| s.policy.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<w$} {:>12} {:>6} {:>9} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9}",
        "policy", "total", "share", "calls", "429s", "retries", "wasted", "failed", "p50", "p99"
    );
    for s in runs {
        let _ = writeln!(
            out,
            "{:<w$} {:>12} {:>5.0}% {:>9} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9}",
            s.policy,
            secs(s.outcome.total_s),
            s.throughput_share * 100.0,
            s.outcome.calls,
            s.outcome.rate_limited,
            s.outcome.retries,
            s.outcome.wasted_calls,
            s.outcome.failed,
            opt_secs(s.p50_s),
            opt_secs(s.p99_s)
        );
    }
    out
}

/// The whole text report of `ratedoctor simulate`.
pub fn report_text(
    limits: &Limits,
    workload: &Workload,
    runs: &[SimRun],
    rec: Option<&Recommendation>,
    width: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "workload: {}", workload_text(workload));
    let _ = writeln!(out, "limits:   {}", limits_text(limits));
    if let Some(why) = super::engine::cannot_finish(limits, workload) {
        let _ = writeln!(out, "cannot finish: {why}");
    } else if let Some(first) = runs.first() {
        let _ = writeln!(
            out,
            "lower bound: {} (set by {}); share = succeeded/requests x min(1, bound/total)",
            secs(first.stats.lower_bound_s),
            first.stats.binding
        );
    }
    let _ = writeln!(out);
    let stats: Vec<&SimStats> = runs.iter().map(|r| &r.stats).collect();
    out.push_str(&table_text(&stats));
    for r in runs {
        if r.stats.outcome.failed > 0 {
            let why: Vec<String> = r
                .stats
                .gave_up
                .iter()
                .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
                .collect();
            let _ = writeln!(
                out,
                "  {} gave up on {} requests: {}",
                r.stats.policy,
                r.stats.outcome.failed,
                why.join(", ")
            );
        }
    }
    if let Some(first) = runs.first() {
        let _ = writeln!(out);
        out.push_str(&timeline_text(first, width));
    }
    if let Some(rec) = rec {
        let _ = writeln!(out);
        let cap = rec
            .max_tokens
            .map_or("as is".to_string(), |m| m.to_string());
        if rec.no_failures {
            let _ = writeln!(
                out,
                "recommendation: policy {}, concurrency {}, max_tokens {} → {}, no failures",
                rec.policy,
                rec.concurrency,
                cap,
                secs(rec.stats.outcome.total_s)
            );
        } else {
            let _ = writeln!(out, "recommendation: none without failures");
        }
        let _ = writeln!(out, "  {}", rec.reason);
        let _ = writeln!(
            out,
            "  ({} settings searched on {} requests each)",
            rec.searched, rec.sample_requests
        );
    }
    out
}

/// The JSON document of `ratedoctor simulate --json`.
pub fn report_json(
    limits: &Limits,
    workload: &Workload,
    runs: &[SimRun],
    rec: Option<&Recommendation>,
    seed: u64,
) -> Value {
    let workload_json = json!({
        "requests": workload.requests.len(),
        "concurrency": workload.concurrency,
        "latency_s": workload.latency_s,
        "max_tokens_cap": workload.max_tokens_cap,
        "first_request": if workload.requests.is_empty() { Value::Null } else { json!(workload.size(0)) },
    });
    let runs_json: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "stats": r.stats,
                "histogram": r.histogram,
                "traces": r.timeline.requests,
            })
        })
        .collect();
    json!({
        "limits": limits,
        "workload": workload_json,
        "seed": seed,
        "share_formula": SHARE_FORMULA,
        "cannot_finish": super::engine::cannot_finish(limits, workload),
        "runs": runs_json,
        "recommendation": rec,
    })
}
