//! The probe view in text and JSON: budgets per dimension, what the probe cost, and the
//! diagnosis of any error.

use super::explain;
use super::style::Style;
use crate::diagnose::{Diagnosis, Provider};
use crate::duration;
use crate::headers::Budget;
use crate::probe::{Exchange, Outcome};
use jiff::Timestamp;
use serde::Serialize;

/// What the header says about the run, for both views.
pub struct Context<'a> {
    pub provider: Provider,
    pub model: &'a str,
    pub base_url: &'a str,
    pub raw: bool,
    pub now: Timestamp,
}

#[derive(Serialize)]
struct JsonBudget {
    dimension: &'static str,
    window: Option<&'static str>,
    limit: Option<f64>,
    remaining: Option<f64>,
    reset_s: Option<f64>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    provider: Provider,
    model: &'a str,
    base_url: &'a str,
    calls: usize,
    tokens_spent: u64,
    input_tokens: u64,
    output_tokens: u64,
    budgets: Vec<JsonBudget>,
    retry_after_s: Option<f64>,
    diagnoses: Vec<&'a Diagnosis>,
    notes: Vec<String>,
    stopped_on_429: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_headers: Option<Vec<(String, String)>>,
}

fn budgets_json(budgets: &[Budget]) -> Vec<JsonBudget> {
    budgets
        .iter()
        .map(|b| JsonBudget {
            dimension: b.dimension.id(),
            window: b.window.map(|w| w.id()),
            limit: b.limit,
            remaining: b.remaining,
            reset_s: b.reset_s,
        })
        .collect()
}

/// Notes that explain what a reader might otherwise misread.
pub fn notes(ctx: &Context<'_>, latest: Option<&Exchange>) -> Vec<String> {
    let mut n: Vec<String> = latest.map(|x| x.snapshot.notes.clone()).unwrap_or_default();
    if crate::probe::sends_no_budget_headers(ctx.provider) {
        n.push(format!(
            "{} sends no rate-limit headers on success: budgets cannot be read, only errors",
            ctx.provider.name()
        ));
    } else if latest.is_some_and(|x| x.snapshot.budgets.is_empty() && x.status < 400) {
        n.push("the response carried no rate-limit headers".to_string());
    }
    if latest.is_some_and(|x| x.not_json && x.status < 400) {
        n.push("the answer was not JSON: is something (a proxy, a web page) in the way?".into());
    }
    n
}

/// The `--json` document.
pub fn json(ctx: &Context<'_>, out: &Outcome) -> String {
    let latest = out.latest();
    let (i, o) = out.tokens_spent();
    let report = JsonReport {
        provider: ctx.provider,
        model: ctx.model,
        base_url: ctx.base_url,
        calls: out.exchanges.len(),
        tokens_spent: i + o,
        input_tokens: i,
        output_tokens: o,
        budgets: latest
            .map(|x| budgets_json(&x.snapshot.budgets))
            .unwrap_or_default(),
        retry_after_s: latest.and_then(|x| x.snapshot.retry_after_s),
        diagnoses: out
            .exchanges
            .iter()
            .filter_map(|x| x.diagnosis.as_ref())
            .collect(),
        notes: notes(ctx, latest),
        stopped_on_429: out.stopped_on_429,
        raw_headers: ctx
            .raw
            .then(|| latest.map(|x| x.headers.clone()).unwrap_or_default()),
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

fn pct_used(b: &Budget) -> Option<f64> {
    match (b.limit, b.remaining) {
        (Some(l), Some(r)) if l > 0.0 => Some(((l - r) / l * 100.0).clamp(0.0, 100.0)),
        _ => None,
    }
}

fn clock(now: Timestamp, secs: f64) -> String {
    let at = now
        .checked_add(jiff::SignedDuration::from_secs_f64(secs.min(1e9)))
        .unwrap_or(now);
    let s = at.strftime("%H:%M:%S UTC").to_string();
    if secs >= 86_400.0 {
        at.strftime("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        s
    }
}

/// The budgets table.
pub fn budget_table(budgets: &[Budget], now: Timestamp, style: Style) -> String {
    let mut s = format!(
        "  {:<15} {:<7} {:>23} {:>7}  {:<12} {}\n",
        "dimension", "window", "remaining / limit", "used", "resets in", "at"
    );
    for b in budgets {
        let rem = b.remaining.map_or("?".to_string(), duration::count);
        let lim = b.limit.map_or("?".to_string(), duration::count);
        let used = pct_used(b).map_or("-".to_string(), |p| format!("{p:.1}%"));
        let used = match pct_used(b) {
            Some(p) if p >= 90.0 => style.red(&format!("{used:>7}")),
            Some(p) if p >= 60.0 => style.yellow(&format!("{used:>7}")),
            _ => format!("{used:>7}"),
        };
        let (in_s, at) = match b.reset_s {
            Some(r) => (duration::human(r), clock(now, r)),
            None => ("-".to_string(), "-".to_string()),
        };
        s.push_str(&format!(
            "  {:<15} {:<7} {:>23} {}  {:<12} {}\n",
            b.dimension.id(),
            b.window.map_or("-", |w| w.id()),
            format!("{rem} / {lim}"),
            used,
            in_s,
            at
        ));
    }
    s
}

/// One line per call of a burst: the budget draining.
pub fn burst_line(x: &Exchange) -> String {
    let mut parts = vec![format!("call {:>2}: HTTP {}", x.index + 1, x.status)];
    for b in &x.snapshot.budgets {
        if let (Some(r), Some(l)) = (b.remaining, b.limit) {
            parts.push(format!(
                "{} {}/{}",
                b.dimension.id(),
                duration::count(r),
                duration::count(l)
            ));
        }
    }
    if let Some(d) = &x.diagnosis {
        parts.push(format!("→ {}", d.title));
    }
    parts.join("  ")
}

/// The text report.
pub fn text(ctx: &Context<'_>, out: &Outcome, style: Style, width: usize) -> String {
    let mut s = String::new();
    let (i, o) = out.tokens_spent();
    s.push_str(&format!(
        "{} {} · {} · {}\n",
        style.bold("ratedoctor probe"),
        ctx.provider.id(),
        ctx.model,
        ctx.base_url
    ));
    let latest = out.latest();
    let status = latest.map_or("no answer".to_string(), |x| {
        format!("last answer HTTP {} in {:.0} ms", x.status, x.ttfb_ms)
    });
    s.push_str(&format!(
        "{} call{} · cost {i} input + {o} output tokens · {status}\n",
        out.exchanges.len(),
        if out.exchanges.len() == 1 { "" } else { "s" }
    ));
    if let Some(x) = latest {
        if !x.snapshot.budgets.is_empty() {
            s.push('\n');
            s.push_str(&budget_table(&x.snapshot.budgets, ctx.now, style));
        }
        if let Some(r) = x.snapshot.retry_after_s {
            s.push_str(&format!("\n  retry hint: wait {}\n", duration::human(r)));
        }
    }
    let notes = notes(ctx, latest);
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            s.push_str(&format!("  note: {n}\n"));
        }
    }
    if ctx.raw
        && let Some(x) = latest
    {
        s.push_str("\n  raw rate-limit headers:\n");
        if x.headers.is_empty() {
            s.push_str("    (none)\n");
        }
        for (k, v) in &x.headers {
            s.push_str(&format!("    {k}: {v}\n"));
        }
    }
    let diags: Vec<Diagnosis> = out
        .exchanges
        .iter()
        .filter_map(|x| x.diagnosis.clone())
        .collect();
    if !diags.is_empty() {
        s.push('\n');
        for d in &diags {
            s.push_str(&explain::card(d, style, width));
        }
    }
    if let Some(f) = &out.failure {
        s.push_str(&format!("\n  failed: {f}\n"));
    }
    s
}
