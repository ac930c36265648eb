//! The demo's simulated clients (sources layer): OpenAI, Anthropic and Gemini callers, plain
//! and streamed, that back off the way real programs do — well (honour `retry-after`, stop
//! on errors retrying cannot fix) or badly (a fixed short sleep, retry everything).

use super::observer::{Outgoing, Reporter};
use crate::diagnose::Provider;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How a client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Waits what the server advises (or backs off exponentially on 5xx); never retries an
    /// error without a hint.
    Honours,
    /// Sleeps 200 ms whatever happened and tries again, up to 3 times.
    Hasty,
}

/// One simulated client.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub name: &'static str,
    pub provider: Provider,
    pub key: &'static str,
    pub model: &'static str,
    pub max_tokens: u64,
    /// Every n-th logical request is streamed (0: never, 1: always).
    pub stream_every: u64,
    /// Every n-th logical request asks for more tokens than the whole per-minute limit.
    pub too_large_every: u64,
    /// Pause between logical requests.
    pub pause: Duration,
    pub policy: Policy,
}

/// The built-in mix: three OpenAI callers sharing one key (one of them hasty and sometimes
/// asking for too much), an Anthropic caller with a large `max_tokens`, a Gemini caller.
pub fn clients() -> Vec<ClientSpec> {
    vec![
        ClientSpec {
            name: "summarizer",
            provider: Provider::Openai,
            key: "sk-demo-team",
            model: "gpt-4o-mini",
            max_tokens: 200,
            stream_every: 0,
            too_large_every: 0,
            pause: Duration::from_millis(180),
            policy: Policy::Honours,
        },
        ClientSpec {
            name: "chat",
            provider: Provider::Openai,
            key: "sk-demo-team",
            model: "gpt-4o-mini",
            max_tokens: 400,
            stream_every: 1,
            too_large_every: 0,
            pause: Duration::from_millis(250),
            policy: Policy::Honours,
        },
        ClientSpec {
            name: "hasty-batch",
            provider: Provider::Openai,
            key: "sk-demo-team",
            model: "gpt-4o-mini",
            max_tokens: 300,
            stream_every: 0,
            too_large_every: 6,
            pause: Duration::from_millis(150),
            policy: Policy::Hasty,
        },
        ClientSpec {
            name: "writer",
            provider: Provider::Anthropic,
            key: "sk-ant-demo",
            model: "claude-sonnet-4-5",
            max_tokens: 500,
            stream_every: 2,
            too_large_every: 0,
            pause: Duration::from_millis(300),
            policy: Policy::Honours,
        },
        ClientSpec {
            name: "tagger",
            provider: Provider::Gemini,
            key: "demo-gemini-key",
            model: "gemini-2.0-flash",
            max_tokens: 100,
            stream_every: 0,
            too_large_every: 0,
            pause: Duration::from_millis(600),
            policy: Policy::Honours,
        },
    ]
}

/// Tokens more than any per-minute limit the demo sets.
pub const TOO_LARGE: u64 = 50_000;

const PROMPT: &str =
    "Summarise the incident report in three bullet points for the on-call channel.";

struct Request {
    path: String,
    body: serde_json::Value,
    headers: Vec<(&'static str, String)>,
}

/// The request of logical request `n` (the global group number) (its body is unique, so a proxy can tell a retry from
/// the next request); `attempt` goes in the SDK retry header as the official SDKs do.
fn request(c: &ClientSpec, n: u64, max_tokens: u64, stream: bool) -> Request {
    let prompt = format!("{PROMPT} (ticket {n})");
    match c.provider {
        Provider::Anthropic => Request {
            path: "/v1/messages".into(),
            body: serde_json::json!({
                "model": c.model,
                "max_tokens": max_tokens,
                "stream": stream,
                "messages": [{"role": "user", "content": prompt}],
            }),
            headers: vec![
                ("x-api-key", c.key.to_string()),
                ("anthropic-version", "2023-06-01".to_string()),
            ],
        },
        Provider::Gemini => Request {
            path: format!(
                "/v1beta/models/{}:{}",
                c.model,
                if stream {
                    "streamGenerateContent?alt=sse"
                } else {
                    "generateContent"
                }
            ),
            body: serde_json::json!({
                "contents": [{"parts": [{"text": prompt}]}],
                "generationConfig": {"maxOutputTokens": max_tokens},
            }),
            headers: vec![("x-goog-api-key", c.key.to_string())],
        },
        _ => Request {
            path: "/v1/chat/completions".into(),
            body: serde_json::json!({
                "model": c.model,
                "max_tokens": max_tokens,
                "stream": stream,
                "messages": [{"role": "user", "content": prompt}],
            }),
            headers: vec![("authorization", format!("Bearer {}", c.key))],
        },
    }
}

/// A small deterministic generator for jitter.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

fn advised(headers: &[(String, String)]) -> Option<f64> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim())
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Some(ms / 1000.0);
    }
    get("retry-after").and_then(|v| v.parse::<f64>().ok())
}

/// Sleeps, or returns false early when the demo stops.
async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}

/// Runs one client until the demo stops.
pub async fn run_client(
    c: ClientSpec,
    base: String,
    http: reqwest::Client,
    reporter: Reporter,
    groups: std::sync::Arc<std::sync::atomic::AtomicU64>,
    mut stop: watch::Receiver<bool>,
    seed: u64,
) {
    let mut jitter = Jitter(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // Spread the first calls a little.
    if !sleep_or_stop(Duration::from_secs_f64(jitter.next() * 0.3), &mut stop).await {
        return;
    }
    let mut n = 0u64;
    loop {
        n += 1;
        let group = groups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let too_large = c.too_large_every > 0 && n.is_multiple_of(c.too_large_every);
        let max_tokens = if too_large { TOO_LARGE } else { c.max_tokens };
        let stream = c.stream_every > 0 && n.is_multiple_of(c.stream_every);
        let req = request(&c, group, max_tokens, stream);
        let mut attempt = 0u32;
        loop {
            let id = reporter
                .sent(&Outgoing {
                    provider: c.provider,
                    path: req.path.split('?').next().unwrap_or(&req.path),
                    model: c.model,
                    est_input_tokens: (PROMPT.len() as u64).div_ceil(4),
                    max_tokens,
                    stream,
                    group,
                    attempt,
                })
                .await;
            let mut rb = http.post(format!("{base}{}", req.path)).json(&req.body);
            for (k, v) in &req.headers {
                rb = rb.header(*k, v);
            }
            if c.provider != Provider::Gemini {
                rb = rb.header("x-stainless-retry-count", attempt.to_string());
            }
            let t0 = Instant::now();
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    reporter
                        .failed(id, format!("{c_name}: {e}", c_name = c.name))
                        .await;
                    break;
                }
            };
            let ttfb_ms = t0.elapsed().as_secs_f64() * 1000.0;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            if status == 200 && stream {
                reporter
                    .received(id, c.provider, status, ttfb_ms, &headers, None)
                    .await;
                let mut bytes = 0u64;
                let mut complete = true;
                let mut body = resp;
                loop {
                    match body.chunk().await {
                        Ok(Some(b)) => bytes += b.len() as u64,
                        Ok(None) => break,
                        Err(_) => {
                            complete = false;
                            break;
                        }
                    }
                }
                reporter
                    .stream_done(
                        id,
                        bytes,
                        t0.elapsed().as_secs_f64() * 1000.0,
                        None,
                        complete,
                    )
                    .await;
            } else {
                let text = resp.text().await.unwrap_or_default();
                reporter
                    .received(id, c.provider, status, ttfb_ms, &headers, Some(&text))
                    .await;
            }
            if status < 400 {
                break;
            }
            let hint = advised(&headers);
            let wait = match c.policy {
                Policy::Honours => match (status, hint) {
                    (429, Some(h)) => Some(h + 0.05 + jitter.next() * 0.2),
                    (500..=599, _) => Some(0.3 * 2f64.powi(attempt as i32) + jitter.next() * 0.2),
                    _ => None,
                },
                Policy::Hasty => (attempt < 2).then_some(0.2),
            };
            let Some(wait) = wait.filter(|_| attempt < 4) else {
                break;
            };
            reporter
                .retry(id, group, wait, hint, &format!("HTTP {status}"))
                .await;
            if !sleep_or_stop(Duration::from_secs_f64(wait), &mut stop).await {
                return;
            }
            attempt += 1;
        }
        let pause = c.pause.mul_f64(0.7 + jitter.next() * 0.6);
        if !sleep_or_stop(pause, &mut stop).await {
            return;
        }
    }
}
