//! How the demo's exchanges become [`Event`]s (sources layer).
//!
//! Until the watch proxy sits between the workload and the emulator, the workload reports
//! its own exchanges: [`Reporter::SelfReport`] reads the status, headers and body of each
//! response and builds the same events the proxy would (`headers::parse`,
//! `diagnose_block`). Through the proxy, [`Reporter::Proxy`] reports nothing: the proxy
//! does. Switching is the one line in [`super::start`] that picks the reporter and the base
//! URL.

use crate::diagnose::{Provider, diagnose_block};
use crate::event::{Event, EventKind, RetryBy, Usage};
use crate::headers;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::mpsc::Sender;

/// What a client is about to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub provider: Provider,
    pub path: &'a str,
    pub model: &'a str,
    pub est_input_tokens: u64,
    pub max_tokens: u64,
    pub stream: bool,
    pub group: u64,
    pub attempt: u32,
}

/// Builds events from what the workload sees and sends them.
#[derive(Debug, Clone)]
pub struct SelfReport {
    tx: Sender<Event>,
    start: Instant,
    next_id: Arc<AtomicU64>,
}

/// Who reports the demo's exchanges.
#[derive(Debug, Clone)]
pub enum Reporter {
    /// The workload itself (no proxy in between).
    SelfReport(SelfReport),
    /// The watch proxy reports; the workload stays silent.
    Proxy,
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Status line, headers and body as one block, the way `explain` reads a `curl -i` dump.
fn as_text(status: u16, headers: &[(String, String)], body: &str) -> String {
    let mut t = format!("HTTP/1.1 {status}\n");
    for (k, v) in headers {
        t.push_str(&format!("{k}: {v}\n"));
    }
    t.push('\n');
    t.push_str(body);
    t
}

impl Reporter {
    pub fn self_report(tx: Sender<Event>, start: Instant) -> Self {
        Reporter::SelfReport(SelfReport {
            tx,
            start,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    /// A request leaves; returns the exchange id (0 when the proxy numbers them).
    pub async fn sent(&self, o: &Outgoing<'_>) -> u64 {
        let Reporter::SelfReport(r) = self else {
            return 0;
        };
        let id = r.next_id.fetch_add(1, Ordering::Relaxed);
        let _ =
            r.tx.send(Event {
                t_ms: ms(r.start),
                id,
                kind: EventKind::RequestSent {
                    provider: o.provider,
                    method: "POST".into(),
                    path: o.path.to_string(),
                    model: Some(o.model.to_string()),
                    est_input_tokens: Some(o.est_input_tokens),
                    max_tokens: Some(o.max_tokens),
                    stream: o.stream,
                    group: o.group,
                    attempt: o.attempt,
                },
            })
            .await;
        id
    }

    /// The response head (and, when it was read at once, the body) arrived.
    pub async fn received(
        &self,
        id: u64,
        provider: Provider,
        status: u16,
        ttfb_ms: f64,
        all_headers: &[(String, String)],
        body: Option<&str>,
    ) {
        let Reporter::SelfReport(r) = self else {
            return;
        };
        let rl: Vec<(String, String)> = all_headers
            .iter()
            .filter(|(k, _)| headers::is_rate_limit_header(k))
            .cloned()
            .collect();
        let pairs: Vec<(&str, &str)> = rl.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let snapshot = headers::parse(&pairs, Some(provider), Some(jiff::Timestamp::now()));
        let json: Option<serde_json::Value> = body.and_then(|b| serde_json::from_str(b).ok());
        let usage = json.as_ref().and_then(crate::probe::providers::usage_of);
        let diagnosis = if status >= 400 {
            diagnose_block(&as_text(status, all_headers, body.unwrap_or("")))
                .into_iter()
                .next()
        } else {
            None
        };
        let _ =
            r.tx.send(Event {
                t_ms: ms(r.start),
                id,
                kind: EventKind::ResponseReceived {
                    status,
                    ttfb_ms,
                    snapshot,
                    headers: rl,
                    diagnosis,
                    usage,
                },
            })
            .await;
    }

    /// The client decided to wait and try again.
    pub async fn retry(&self, id: u64, group: u64, wait_s: f64, advised_s: Option<f64>, why: &str) {
        let Reporter::SelfReport(r) = self else {
            return;
        };
        let _ =
            r.tx.send(Event {
                t_ms: ms(r.start),
                id,
                kind: EventKind::RetryScheduled {
                    group,
                    wait_s,
                    advised_s,
                    by: RetryBy::Client,
                    reason: why.to_string(),
                },
            })
            .await;
    }

    /// A streamed body ended.
    pub async fn stream_done(
        &self,
        id: u64,
        bytes: u64,
        elapsed_ms: f64,
        usage: Option<Usage>,
        complete: bool,
    ) {
        let Reporter::SelfReport(r) = self else {
            return;
        };
        let _ =
            r.tx.send(Event {
                t_ms: ms(r.start),
                id,
                kind: EventKind::StreamFinished {
                    bytes,
                    elapsed_ms,
                    usage,
                    complete,
                },
            })
            .await;
    }

    /// The exchange failed without an answer.
    pub async fn failed(&self, id: u64, error: String) {
        let Reporter::SelfReport(r) = self else {
            return;
        };
        let _ =
            r.tx.send(Event {
                t_ms: ms(r.start),
                id,
                kind: EventKind::Failed { error },
            })
            .await;
    }
}
