//! The proxy's own endpoints (sources layer, drawing on the session): `/_ratedoctor/metrics`
//! in the Prometheus text exposition format and `/_ratedoctor/state` as JSON.

use super::forward::json_response;
use super::tee::{BoxError, ProxyBody};
use super::{Shared, stats};
use crate::session::Session;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use serde_json::{Value, json};
use std::fmt::Write;

/// Answers a `/_ratedoctor/...` path.
pub(crate) fn answer(shared: &Shared, path: &str) -> Response<ProxyBody> {
    match path {
        "/_ratedoctor/metrics" => {
            let text = metrics(shared);
            let mut r = Response::new(
                Full::new(Bytes::from(text))
                    .map_err(|never: std::convert::Infallible| -> BoxError { match never {} })
                    .boxed_unsync(),
            );
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        "/_ratedoctor/state" => json_response(200, &state_json(shared)),
        _ => json_response(
            404,
            &json!({"error": {"type": "ratedoctor_proxy_error", "code": "not_found",
                "message": "ratedoctor: unknown endpoint; try /_ratedoctor/metrics or /_ratedoctor/state"}}),
        ),
    }
}

/// The session and the proxy's counters in the Prometheus text format.
pub(crate) fn metrics(shared: &Shared) -> String {
    let s = shared.session().clone();
    let st = stats(shared);
    let audit = s.audit();
    let mut o = String::new();
    let family = |o: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    family(
        &mut o,
        "ratedoctor_requests_total",
        "counter",
        "Requests sent upstream.",
    );
    let _ = writeln!(o, "ratedoctor_requests_total {}", s.requests);
    family(
        &mut o,
        "ratedoctor_responses_total",
        "counter",
        "Responses by status.",
    );
    for (status, n) in &s.by_status {
        let _ = writeln!(o, "ratedoctor_responses_total{{status=\"{status}\"}} {n}");
    }
    family(
        &mut o,
        "ratedoctor_rate_limited_total",
        "counter",
        "Responses with status 429.",
    );
    let _ = writeln!(o, "ratedoctor_rate_limited_total {}", s.rate_limited);
    family(
        &mut o,
        "ratedoctor_errors_by_kind_total",
        "counter",
        "Diagnosed errors by limit kind.",
    );
    for (kind, n) in &s.by_kind {
        let _ = writeln!(
            o,
            "ratedoctor_errors_by_kind_total{{kind=\"{}\"}} {n}",
            kind.id()
        );
    }
    family(
        &mut o,
        "ratedoctor_failures_total",
        "counter",
        "Exchanges without an HTTP answer.",
    );
    let _ = writeln!(o, "ratedoctor_failures_total {}", s.failures);
    family(
        &mut o,
        "ratedoctor_budget_remaining",
        "gauge",
        "Remaining budget per dimension, as last reported.",
    );
    let mut limits = String::new();
    for b in &s.budgets {
        let labels = format!(
            "provider=\"{}\",dimension=\"{}\",window=\"{}\"",
            b.provider.id(),
            b.dimension.id(),
            b.window.map_or("", |w| w.id())
        );
        if let Some(r) = b.latest.remaining {
            let _ = writeln!(o, "ratedoctor_budget_remaining{{{labels}}} {r}");
        }
        if let Some(l) = b.latest.limit {
            let _ = writeln!(limits, "ratedoctor_budget_limit{{{labels}}} {l}");
        }
    }
    family(
        &mut o,
        "ratedoctor_budget_limit",
        "gauge",
        "Budget limit per dimension, as last reported.",
    );
    o.push_str(&limits);
    family(
        &mut o,
        "ratedoctor_retries_total",
        "counter",
        "Retries seen (client) and made (ratedoctor).",
    );
    let client = audit.retries.saturating_sub(st.proxy_retries);
    let _ = writeln!(o, "ratedoctor_retries_total{{by=\"client\"}} {client}");
    let _ = writeln!(
        o,
        "ratedoctor_retries_total{{by=\"ratedoctor\"}} {}",
        st.proxy_retries
    );
    family(
        &mut o,
        "ratedoctor_retries_too_early_total",
        "counter",
        "Retries sent sooner than the server asked.",
    );
    let _ = writeln!(o, "ratedoctor_retries_too_early_total {}", audit.too_early);
    family(
        &mut o,
        "ratedoctor_retries_non_retryable_total",
        "counter",
        "Retries of errors that retrying cannot fix.",
    );
    let _ = writeln!(
        o,
        "ratedoctor_retries_non_retryable_total {}",
        audit.non_retryable_retried
    );
    family(
        &mut o,
        "ratedoctor_wasted_calls_total",
        "counter",
        "Failed attempts that were retried.",
    );
    let _ = writeln!(o, "ratedoctor_wasted_calls_total {}", audit.wasted_calls);
    family(
        &mut o,
        "ratedoctor_wait_seconds_total",
        "counter",
        "Seconds waited between attempts and by --pace.",
    );
    let _ = writeln!(
        o,
        "ratedoctor_wait_seconds_total{{by=\"retries\"}} {}",
        audit.waited_s
    );
    let _ = writeln!(
        o,
        "ratedoctor_wait_seconds_total{{by=\"pace\"}} {}",
        st.paced_s
    );
    family(
        &mut o,
        "ratedoctor_tokens_total",
        "counter",
        "Tokens the responses reported.",
    );
    let _ = writeln!(
        o,
        "ratedoctor_tokens_total{{direction=\"input\"}} {}",
        s.input_tokens
    );
    let _ = writeln!(
        o,
        "ratedoctor_tokens_total{{direction=\"output\"}} {}",
        s.output_tokens
    );
    family(
        &mut o,
        "ratedoctor_events_dropped_total",
        "counter",
        "Events a full channel could not take.",
    );
    let _ = writeln!(o, "ratedoctor_events_dropped_total {}", st.dropped_events);
    family(
        &mut o,
        "ratedoctor_proxy_errors_total",
        "counter",
        "502/504 answers made by the proxy.",
    );
    let _ = writeln!(o, "ratedoctor_proxy_errors_total {}", st.proxy_errors);
    if let Some(f) = &shared.fleet {
        let v = f.view();
        let gauges = [
            (
                "ratedoctor_fleet_joined",
                "gauge",
                "1 while pacing with the fleet (--share), 0 while pacing locally.",
                u64::from(v.joined),
            ),
            (
                "ratedoctor_fleet_members_alive",
                "gauge",
                "Members of the fleet alive.",
                v.members_alive,
            ),
            (
                "ratedoctor_fleet_in_flight",
                "gauge",
                "Requests in flight across the fleet.",
                v.in_flight,
            ),
            (
                "ratedoctor_fleet_rate_limited_total",
                "counter",
                "429s seen across the fleet.",
                v.rate_limited,
            ),
            (
                "ratedoctor_fleet_admitted_here_total",
                "counter",
                "Requests the fleet admitted from this member.",
                v.admitted_here,
            ),
            (
                "ratedoctor_fleet_admitted_total",
                "counter",
                "Requests the fleet admitted from every member.",
                v.admitted_total,
            ),
        ];
        for (name, kind, help, n) in gauges {
            family(&mut o, name, kind, help);
            let _ = writeln!(o, "{name} {n}");
        }
    }
    o
}

/// The summary of a session as JSON (also the end-of-run `--json` summary), as of the
/// session's last event: the one [`Summary`](crate::session::Summary) serialized, with the
/// budgets, the models and the proxy's own counters. `by_kind` counts every diagnosed
/// error answer; `audit` and `wait_s` keep the shape earlier versions printed.
pub fn summary_json(s: &Session, st: &super::ProxyStats) -> Value {
    summary_json_at(s, st, s.last_ms)
}

/// [`summary_json`] as of `now_ms`: each budget says whether its reset has passed since
/// its latest answer (`stale`), how old that answer is (`age_s`) and, when stale, what it
/// is estimated at (`estimated_remaining`, the limit); `remaining` stays the last reported.
pub fn summary_json_at(s: &Session, st: &super::ProxyStats, now_ms: f64) -> Value {
    let audit = s.audit();
    let summary = s.summary(&st.helped());
    let mut v = serde_json::to_value(&summary).unwrap_or_else(|_| json!({}));
    let by_kind: serde_json::Map<String, Value> = s
        .by_kind
        .iter()
        .map(|(k, n)| (k.id().to_string(), json!(n)))
        .collect();
    let by_status: serde_json::Map<String, Value> = s
        .by_status
        .iter()
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect();
    let budgets: Vec<Value> = s
        .budgets
        .iter()
        .map(|b| {
            let stale = b.is_stale(now_ms);
            json!({"provider": b.provider, "dimension": b.dimension, "window": b.window,
                "limit": b.latest.limit, "remaining": b.latest.remaining,
                "reset_in_s": b.reset_in_s(now_ms), "headroom": b.headroom(),
                "stale": stale, "age_s": b.age_s(now_ms),
                "estimated_remaining": if stale { b.remaining_at(now_ms) } else { None }})
        })
        .collect();
    let tightest = s.tightest_at(now_ms).map(|b| {
        json!({"provider": b.provider, "dimension": b.dimension, "window": b.window,
            "limit": b.latest.limit, "remaining": b.latest.remaining, "headroom": b.headroom()})
    });
    if let Some(o) = v.as_object_mut() {
        o.insert("by_status".into(), Value::Object(by_status));
        o.insert("by_kind".into(), Value::Object(by_kind));
        o.insert("audit".into(), json!(audit));
        o.insert(
            "wait_s".into(),
            json!({"retries": summary.waited_s, "pace": summary.paced_s}),
        );
        o.insert("budgets".into(), json!(budgets));
        o.insert("tightest".into(), json!(tightest));
        o.insert("models".into(), json!(s.models));
        o.insert("proxy".into(), json!(st));
    }
    v
}

/// `/_ratedoctor/state`.
pub(crate) fn state_json(shared: &Shared) -> Value {
    let s = shared.session().clone();
    let mut v = summary_json_at(&s, &stats(shared), shared.t_ms());
    if let (Some(f), Some(o)) = (&shared.fleet, v.as_object_mut()) {
        o.insert("fleet".into(), fleet_json(f));
    }
    v
}

/// `--share`: the fleet as this member saw it at its last beat.
fn fleet_json(f: &super::share::Fleet) -> Value {
    let v = f.view();
    let share = (v.admitted_total > 0).then(|| v.admitted_here as f64 / v.admitted_total as f64);
    json!({"ledger": f.shown(), "joined": v.joined, "members_alive": v.members_alive,
        "in_flight": v.in_flight, "rate_limited": v.rate_limited,
        "admitted_here": v.admitted_here, "admitted_total": v.admitted_total,
        "share": share, "lost": f.lost.load(std::sync::atomic::Ordering::Relaxed)})
}

#[cfg(test)]
mod tests {
    use super::summary_json_at;
    use crate::diagnose::Provider;
    use crate::event::{Event, EventKind};
    use crate::headers;
    use crate::session::Session;

    /// Issue #14: the JSON says when a budget's numbers are older than its reset, keeping
    /// `remaining` as last reported.
    #[test]
    fn budgets_in_json_say_when_they_are_stale() {
        let mut s = Session::new();
        let h = [
            ("x-ratelimit-limit-requests", "30"),
            ("x-ratelimit-remaining-requests", "27"),
            ("x-ratelimit-reset-requests", "2s"),
        ];
        s.apply(&Event {
            t_ms: 1000.0,
            id: 1,
            kind: EventKind::ResponseReceived {
                status: 200,
                ttfb_ms: 5.0,
                snapshot: headers::parse(&h, Some(Provider::Openai), None),
                headers: vec![],
                diagnosis: None,
                usage: None,
            },
        });
        let st = Default::default();
        let fresh = &summary_json_at(&s, &st, 1500.0)["budgets"][0];
        assert_eq!(fresh["stale"], false);
        assert_eq!(fresh["remaining"], 27.0);
        assert!(fresh["estimated_remaining"].is_null());
        let old = &summary_json_at(&s, &st, 14_000.0)["budgets"][0];
        assert_eq!(old["stale"], true);
        assert_eq!(old["age_s"], 13.0);
        assert_eq!(old["remaining"], 27.0, "as last reported");
        assert_eq!(old["estimated_remaining"], 30.0);
        assert_eq!(old["reset_in_s"], 0.0);
    }
}
