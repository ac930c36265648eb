//! `ratedoctor probe` as a source (sources layer): sends the cheapest call that returns
//! budget headers — or a capped burst of them — and reports each exchange as [`Event`]s.

pub mod providers;

use crate::config::ApiKey;
use crate::diagnose::{Diagnosis, Kind, Provider, diagnose_block};
use crate::error::AppError;
use crate::event::{Event, EventKind, Usage};
use crate::headers::{self, Snapshot};
use providers::{Call, Spec};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// What to send.
pub struct Plan {
    pub spec: &'static Spec,
    pub call: Call,
    pub base_url: String,
    pub calls: u32,
    pub concurrency: u32,
    pub timeout: Duration,
}

/// One exchange's result.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub index: u32,
    pub status: u16,
    pub ttfb_ms: f64,
    pub snapshot: Snapshot,
    pub headers: Vec<(String, String)>,
    pub usage: Option<Usage>,
    pub diagnosis: Option<Diagnosis>,
    /// The body was not JSON (a proxy page, an HTML error).
    pub not_json: bool,
}

/// Everything a probe learned.
#[derive(Debug, Default)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub exchanges: Vec<Exchange>,
    /// A network failure that ended the probe.
    pub failure: Option<String>,
    /// The burst ended on a 429.
    pub stopped_on_429: bool,
}

impl Outcome {
    pub fn tokens_spent(&self) -> (u64, u64) {
        self.exchanges
            .iter()
            .filter_map(|e| e.usage)
            .fold((0, 0), |(i, o), u| {
                (i + u.input_tokens, o + u.output_tokens)
            })
    }

    /// The last exchange that carried budget headers, else the last one.
    pub fn latest(&self) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .rev()
            .find(|e| !e.snapshot.budgets.is_empty())
            .or(self.exchanges.last())
    }
}

/// Turns a reqwest failure into one line that names the cause (never the key).
pub fn describe(e: &reqwest::Error, url: &str, timeout: Duration) -> String {
    let host = providers::host_of(url).unwrap_or(url);
    let mut chain = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    if e.is_timeout() {
        format!(
            "no answer from {host} within {} s (--timeout)",
            timeout.as_secs_f64()
        )
    } else if [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "unknownissuer",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        format!(
            "TLS error talking to {host}: the handshake failed (is it https? is the certificate trusted?)"
        )
    } else if lower.contains("connection refused") {
        format!("cannot connect to {host}: connection refused (is the base URL right?)")
    } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
        format!("cannot resolve {host}: no such host or no network")
    } else if lower.contains("connection reset") || lower.contains("connection closed") {
        format!("{host} closed the connection before answering")
    } else if e.is_builder() {
        format!("bad URL {url}")
    } else {
        format!("network error talking to {host}")
    }
}

fn text_for_diagnosis(status: u16, headers: &[(String, String)], body: &str) -> String {
    let mut t = format!("HTTP/1.1 {status}\n");
    for (k, v) in headers {
        t.push_str(&format!("{k}: {v}\n"));
    }
    t.push('\n');
    t.push_str(body);
    t
}

async fn one(
    client: &reqwest::Client,
    plan: &Plan,
    key: &ApiKey,
    index: u32,
    start: Instant,
) -> Result<(Exchange, Vec<Event>), (String, Vec<Event>)> {
    let id = u64::from(index) + 1;
    let mut events = vec![Event {
        t_ms: start.elapsed().as_secs_f64() * 1000.0,
        id,
        kind: EventKind::RequestSent {
            provider: plan.spec.provider,
            method: "POST".into(),
            path: plan.call.path.clone(),
            model: Some(plan.call.model.clone()),
            est_input_tokens: Some(8),
            max_tokens: Some(plan.call.max_tokens),
            stream: false,
            group: id,
            attempt: 0,
        },
    }];
    let mut req = client.post(&plan.call.url).json(&plan.call.body);
    for (k, v) in &plan.call.headers {
        req = req.header(*k, v);
    }
    let (name, prefix) = plan.call.key_header;
    req = req.header(name, format!("{prefix}{}", key.expose()));
    let sent = Instant::now();
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            let msg = describe(&e, &plan.call.url, plan.timeout);
            events.push(Event {
                t_ms: start.elapsed().as_secs_f64() * 1000.0,
                id,
                kind: EventKind::Failed { error: msg.clone() },
            });
            return Err((msg, events));
        }
    };
    let ttfb_ms = sent.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    let all_headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let rl: Vec<(String, String)> = all_headers
        .iter()
        .filter(|(k, _)| headers::is_rate_limit_header(k))
        .cloned()
        .collect();
    let pairs: Vec<(&str, &str)> = rl.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let snapshot = headers::parse(
        &pairs,
        Some(plan.spec.provider),
        Some(jiff::Timestamp::now()),
    );
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            let msg = describe(&e, &plan.call.url, plan.timeout);
            events.push(Event {
                t_ms: start.elapsed().as_secs_f64() * 1000.0,
                id,
                kind: EventKind::Failed { error: msg.clone() },
            });
            return Err((msg, events));
        }
    };
    let body_text = String::from_utf8_lossy(&body[..body.len().min(1 << 20)]).into_owned();
    let json: Option<serde_json::Value> = serde_json::from_str(body_text.trim()).ok();
    let usage = json.as_ref().and_then(providers::usage_of);
    let diagnosis = if status >= 400 {
        let text = text_for_diagnosis(status, &all_headers, &body_text);
        diagnose_block(&text).into_iter().next()
    } else {
        None
    };
    let exchange = Exchange {
        index,
        status,
        ttfb_ms,
        snapshot: snapshot.clone(),
        headers: rl.clone(),
        usage,
        diagnosis: diagnosis.clone(),
        not_json: json.is_none(),
    };
    events.push(Event {
        t_ms: start.elapsed().as_secs_f64() * 1000.0,
        id,
        kind: EventKind::ResponseReceived {
            status,
            ttfb_ms,
            snapshot,
            headers: rl,
            diagnosis,
            usage,
        },
    });
    Ok((exchange, events))
}

/// Sends the plan's calls (at most `plan.calls`, `plan.concurrency` at a time) and stops at
/// the first 429 or network failure. `on_exchange` sees each result as it lands.
pub async fn run(
    plan: Arc<Plan>,
    key: ApiKey,
    on_exchange: impl Fn(&Exchange) + Send + Sync + 'static,
) -> Result<Outcome, AppError> {
    let client = reqwest::Client::builder()
        .timeout(plan.timeout)
        .connect_timeout(plan.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("ratedoctor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build the HTTP client: {e}")))?;
    let start = Instant::now();
    let next = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let key = Arc::new(key);
    let on_exchange = Arc::new(on_exchange);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let workers = plan.concurrency.clamp(1, plan.calls.max(1));
    for _ in 0..workers {
        let (client, plan, key, next, stop, tx, on_exchange) = (
            client.clone(),
            plan.clone(),
            key.clone(),
            next.clone(),
            stop.clone(),
            tx.clone(),
            on_exchange.clone(),
        );
        tokio::spawn(async move {
            loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= plan.calls {
                    break;
                }
                let r = one(&client, &plan, &key, i, start).await;
                match &r {
                    Ok((x, _)) => {
                        on_exchange(x);
                        if x.status == 429 || x.status >= 400 && x.status != 408 {
                            stop.store(true, Ordering::SeqCst);
                        }
                    }
                    Err(_) => stop.store(true, Ordering::SeqCst),
                }
                if tx.send(r).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut out = Outcome::default();
    while let Some(r) = rx.recv().await {
        match r {
            Ok((x, ev)) => {
                out.events.extend(ev);
                if x.status == 429 {
                    out.stopped_on_429 = true;
                }
                out.exchanges.push(x);
            }
            Err((msg, ev)) => {
                out.events.extend(ev);
                if out.failure.is_none() {
                    out.failure = Some(msg);
                }
            }
        }
    }
    out.events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    out.exchanges.sort_by_key(|x| x.index);
    Ok(out)
}

/// Is a diagnosis a real limit (so a burst found what it was looking for)?
pub fn is_limit(d: &Diagnosis) -> bool {
    !matches!(d.kind, Kind::NotRateLimit)
}

/// The providers whose responses carry no budget headers.
pub fn sends_no_budget_headers(p: Provider) -> bool {
    providers::spec(p).is_some_and(|s| !s.budget_headers)
}
