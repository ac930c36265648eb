//! Scripted sessions for the pane snapshots, the loop test and the frame bench: events built
//! through the core (`headers::parse` on header lines, `diagnose` on the real samples), at
//! fixed times, so every picture is reproducible. Not part of the product.

use crate::diagnose::{Diagnosis, Provider, diagnose};
use crate::event::{Event, EventKind, RetryBy, Usage};
use crate::headers;

/// `samples/02`: OpenAI RPM, "Please try again in 20s".
pub const SAMPLE_RPM: &str = include_str!("../../samples/02_openai_rpm_compact_json.txt");
/// `samples/04`: OpenAI "Request too large" (never retryable).
pub const SAMPLE_TOO_LARGE: &str = include_str!("../../samples/04_openai_request_too_large.txt");
/// `samples/28`: Anthropic output tokens per minute, a `curl -si` dump with headers.
pub const SAMPLE_OTPM: &str = include_str!("../../samples/28_anthropic_otpm_curl.txt");
/// `samples/05`: OpenAI insufficient quota.
pub const SAMPLE_QUOTA: &str =
    include_str!("../../samples/05_openai_insufficient_quota_old_pretty.txt");

/// An OpenAI TPM 429 as an application logs it (`Limit 30000, Used 28541`).
pub const SAMPLE_TPM_LINE: &str = "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 30000, Used 28541, Requested 4120. Please try again in 5.322s.', 'type': 'tokens', 'code': 'rate_limit_exceeded'}}";
/// An OpenAI RPM 429 as an application logs it.
pub const SAMPLE_RPM_LINE: &str = "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', 'type': 'requests', 'code': 'rate_limit_exceeded'}}";

/// The live view of a followed log keeping `capacity` events, fed `bodies` as 429s read
/// from the log `step_ms` apart (answers with no request seen, as `explain --follow`
/// makes them).
pub fn followed_app(capacity: usize, step_ms: f64, bodies: &[&str]) -> super::App {
    let source = super::LiveSource::Follow {
        path: "app.log".into(),
    };
    log_app(source, capacity, step_ms, bodies)
}

/// [`followed_app`] with another source (a followed log's recording, replayed).
pub fn log_app(
    source: super::LiveSource,
    capacity: usize,
    step_ms: f64,
    bodies: &[&str],
) -> super::App {
    let mut app = super::App::live(source, capacity);
    for (i, body) in bodies.iter().enumerate() {
        app.update(super::Msg::Event(Event {
            t_ms: i as f64 * step_ms,
            id: i as u64 + 1,
            kind: EventKind::ResponseReceived {
                status: 429,
                ttfb_ms: 0.0,
                snapshot: headers::Snapshot::default(),
                headers: vec![],
                diagnosis: diagnose(body).into_iter().next(),
                usage: None,
            },
        }));
    }
    app
}

/// The rate-limit header lines of the first HTTP response in a `curl -i` dump.
pub fn sample_headers(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("HTTP/") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && headers::is_rate_limit_header(k.trim())
        {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

fn first(text: &str) -> Option<Diagnosis> {
    diagnose(text).into_iter().next()
}

fn openai_headers(rem_req: u64, rem_tok: u64, retry_after: Option<f64>) -> Vec<(String, String)> {
    let mut h = vec![
        ("x-ratelimit-limit-requests".to_string(), "30".to_string()),
        (
            "x-ratelimit-remaining-requests".to_string(),
            rem_req.to_string(),
        ),
        (
            "x-ratelimit-reset-requests".to_string(),
            format!("{}s", (30 - rem_req.min(30)) * 2),
        ),
        ("x-ratelimit-limit-tokens".to_string(), "6000".to_string()),
        (
            "x-ratelimit-remaining-tokens".to_string(),
            rem_tok.to_string(),
        ),
        ("x-ratelimit-reset-tokens".to_string(), "8.5s".to_string()),
    ];
    if let Some(r) = retry_after {
        h.push(("retry-after".to_string(), format!("{r}")));
    }
    h
}

fn response(
    t_ms: f64,
    id: u64,
    status: u16,
    provider: Provider,
    hdrs: Vec<(String, String)>,
    diagnosis: Option<Diagnosis>,
) -> Event {
    let pairs: Vec<(&str, &str)> = hdrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let now = jiff::Timestamp::from_second(1_749_054_069).ok();
    let snapshot = headers::parse(&pairs, Some(provider), now);
    Event {
        t_ms,
        id,
        kind: EventKind::ResponseReceived {
            status,
            ttfb_ms: 42.0,
            snapshot,
            headers: hdrs,
            diagnosis,
            usage: (status == 200).then_some(Usage {
                input_tokens: 120,
                output_tokens: 80,
            }),
        },
    }
}

fn sent(t_ms: f64, id: u64, provider: Provider, model: &str, group: u64, attempt: u32) -> Event {
    Event {
        t_ms,
        id,
        kind: EventKind::RequestSent {
            provider,
            method: "POST".into(),
            path: if provider == Provider::Anthropic {
                "/v1/messages".into()
            } else {
                "/v1/chat/completions".into()
            },
            model: Some(model.to_string()),
            est_input_tokens: Some(120),
            max_tokens: Some(200),
            stream: id.is_multiple_of(3),
            group,
            attempt,
        },
    }
}

fn retry(t_ms: f64, id: u64, group: u64, wait_s: f64, advised_s: Option<f64>) -> Event {
    Event {
        t_ms,
        id,
        kind: EventKind::RetryScheduled {
            group,
            wait_s,
            advised_s,
            by: RetryBy::Client,
            reason: "429".into(),
        },
    }
}

/// A session of at least `n` events over time: OpenAI and Anthropic calls, budgets that
/// drain and refill, RPM 429s retried too early, Anthropic OTPM 429s retried as advised, a
/// "request too large" retried anyway, one quota error.
pub fn scripted_events(n: usize) -> Vec<Event> {
    let rpm = first(SAMPLE_RPM);
    let too_large = first(SAMPLE_TOO_LARGE);
    let otpm = first(SAMPLE_OTPM);
    let quota = first(SAMPLE_QUOTA);
    let anthropic_429 = sample_headers(SAMPLE_OTPM);
    let anthropic_ok: Vec<(String, String)> = anthropic_429
        .iter()
        .map(|(k, v)| {
            if k == "anthropic-ratelimit-output-tokens-remaining" {
                (k.clone(), "52000".to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .filter(|(k, _)| k != "retry-after")
        .collect();

    let mut out = Vec::with_capacity(n + 8);
    let mut id = 0u64;
    let mut k = 0u64;
    while out.len() < n {
        k += 1;
        let t = k as f64 * 400.0;
        id += 1;
        let group = id;
        let cycle = k % 40;
        let rem_req = 30u64.saturating_sub(cycle.min(30));
        let rem_tok = 6000u64.saturating_sub(cycle * 150);
        if k.is_multiple_of(11) {
            // Anthropic: OTPM 429, retried after the advised 14 s... cut short to 3 s.
            out.push(sent(
                t,
                id,
                Provider::Anthropic,
                "claude-sonnet-4",
                group,
                0,
            ));
            out.push(response(
                t + 60.0,
                id,
                429,
                Provider::Anthropic,
                anthropic_429.clone(),
                otpm.clone(),
            ));
            out.push(retry(t + 61.0, id, group, 14.0, Some(14.0)));
            id += 1;
            out.push(sent(
                t + 14_100.0,
                id,
                Provider::Anthropic,
                "claude-sonnet-4",
                group,
                1,
            ));
            out.push(response(
                t + 14_300.0,
                id,
                200,
                Provider::Anthropic,
                anthropic_ok.clone(),
                None,
            ));
        } else if k.is_multiple_of(17) {
            // Too large: never retryable, retried anyway.
            out.push(sent(t, id, Provider::Openai, "gpt-4-turbo", group, 0));
            out.push(response(
                t + 30.0,
                id,
                429,
                Provider::Openai,
                openai_headers(rem_req, rem_tok, None),
                too_large.clone(),
            ));
            out.push(retry(t + 31.0, id, group, 1.0, None));
            id += 1;
            out.push(sent(
                t + 1_040.0,
                id,
                Provider::Openai,
                "gpt-4-turbo",
                group,
                1,
            ));
            out.push(response(
                t + 1_070.0,
                id,
                429,
                Provider::Openai,
                openai_headers(rem_req, rem_tok, None),
                too_large.clone(),
            ));
        } else if cycle >= 30 {
            // Requests exhausted: RPM 429 with a hint of 2 s, retried after 0.5 s.
            out.push(sent(t, id, Provider::Openai, "gpt-4o-mini", group, 0));
            out.push(response(
                t + 20.0,
                id,
                429,
                Provider::Openai,
                openai_headers(0, rem_tok, Some(2.0)),
                rpm.clone(),
            ));
            out.push(retry(t + 21.0, id, group, 0.5, Some(2.0)));
            id += 1;
            out.push(sent(
                t + 520.0,
                id,
                Provider::Openai,
                "gpt-4o-mini",
                group,
                1,
            ));
            out.push(response(
                t + 540.0,
                id,
                200,
                Provider::Openai,
                openai_headers(1, rem_tok, None),
                None,
            ));
        } else if k == 37 {
            out.push(sent(t, id, Provider::Openai, "gpt-4o-mini", group, 0));
            out.push(response(
                t + 25.0,
                id,
                429,
                Provider::Openai,
                openai_headers(rem_req, rem_tok, None),
                quota.clone(),
            ));
        } else {
            out.push(sent(t, id, Provider::Openai, "gpt-4o-mini", group, 0));
            out.push(response(
                t + 180.0,
                id,
                200,
                Provider::Openai,
                openai_headers(rem_req, rem_tok, None),
                None,
            ));
        }
    }
    out.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    out
}

/// The live app after `n` scripted events, its clock at the last event.
pub fn live_app(n: usize, capacity: usize) -> super::App {
    let mut app = super::App::live(super::LiveSource::Demo, capacity);
    let events = scripted_events(n);
    let last = events.last().map_or(0.0, |e| e.t_ms);
    for e in events {
        app.update(super::Msg::Event(e));
    }
    app.update(super::Msg::Tick(last + 500.0));
    app
}
