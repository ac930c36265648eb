//! One exchange through the proxy (sources layer): read the request (bounded), group it
//! with earlier attempts, pace it, send it upstream, and answer with the upstream's
//! status, headers and streamed body — or, with `--retry`, retry a retryable 429 first;
//! or, when the upstream fails, a 502/504 JSON error that names ratedoctor and the cause.

use super::inspect::{self, UsageTap};
use super::pace::Need;
use super::route::{self, is_hop_by_hop};
use super::tee::{
    BoxError, MAX_ERROR_BODY, Observer, PendingResponse, ProxyBody, Tee, diagnosis_text, root_cause,
};
use super::{MAX_REQUEST_BUFFER, Shared, report};
use crate::diagnose::{Provider, diagnose_block};
use crate::event::{EventKind, RetryBy};
use crate::headers::{self, Snapshot};
use crate::probe::providers::host_of;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never: Infallible| -> BoxError { match never {} })
        .boxed_unsync()
}

/// A JSON answer made by the proxy itself.
pub(crate) fn json_response(status: u16, value: &serde_json::Value) -> Response<ProxyBody> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = Response::new(full(body));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// The error a client gets when the proxy could not get it an answer.
fn proxy_error(
    shared: &Shared,
    status: u16,
    code: &'static str,
    message: &str,
) -> Response<ProxyBody> {
    shared.counters.proxy_errors.fetch_add(1, Ordering::Relaxed);
    let mut r = json_response(
        status,
        &serde_json::json!({"error": {
            "type": "ratedoctor_proxy_error",
            "code": code,
            "message": message,
        }}),
    );
    r.headers_mut().insert(
        "x-ratedoctor-error",
        hyper::header::HeaderValue::from_static(code),
    );
    r
}

/// Sorts an upstream failure into a status, a code and a sentence.
fn classify_failure(e: &reqwest::Error, host: &str) -> (u16, &'static str, String) {
    let root = root_cause(e);
    let lower = root.to_ascii_lowercase();
    if e.is_timeout() {
        (
            504,
            "upstream_timeout",
            format!("ratedoctor: timed out talking to the upstream {host} ({root})"),
        )
    } else if e.is_connect() {
        (
            502,
            "upstream_unreachable",
            format!("ratedoctor: cannot connect to the upstream {host} ({root})"),
        )
    } else if lower.contains("closed") || lower.contains("reset") || lower.contains("incomplete") {
        (
            502,
            "upstream_closed",
            format!(
                "ratedoctor: the upstream {host} closed the connection before answering ({root})"
            ),
        )
    } else {
        (
            502,
            "upstream_bad_response",
            format!("ratedoctor: the upstream {host} did not answer with valid HTTP ({root})"),
        )
    }
}

/// The request body: whole when small, else the first bytes and the rest as a stream.
enum ReqBody {
    Whole(Bytes),
    Streamed { prefix: Vec<Bytes>, rest: Incoming },
}

async fn read_request(mut body: Incoming) -> Result<ReqBody, hyper::Error> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            total += data.len();
            chunks.push(data);
            if total > MAX_REQUEST_BUFFER {
                return Ok(ReqBody::Streamed {
                    prefix: chunks,
                    rest: body,
                });
            }
        }
    }
    Ok(ReqBody::Whole(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.remove(0),
        _ => Bytes::from(chunks.concat()),
    }))
}

/// Reads at most `cap` bytes of an (error) body, within `timeout`.
async fn read_capped(resp: reqwest::Response, cap: usize, timeout: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    let read = async {
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { return false };
            let room = cap.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        true
    };
    let complete = tokio::time::timeout(timeout, read).await.unwrap_or(false);
    (out, complete)
}

/// Everything known about the request before it is sent.
struct Outgoing {
    method: hyper::Method,
    url: String,
    host: String,
    path_for_events: String,
    headers: hyper::HeaderMap,
    provider: Provider,
    info: inspect::RequestInfo,
    hash: u64,
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let path = req.uri().path().to_string();
    if path.starts_with("/_ratedoctor/") {
        return Ok(report::answer(&shared, &path));
    }
    let path_q = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_string());
    let family = route::classify(&path);
    let Some(base) = shared.config.upstreams.get(family).map(str::to_string) else {
        return Ok(proxy_error(
            &shared,
            502,
            "no_upstream",
            &format!(
                "ratedoctor: no upstream for {} requests; pass --upstream {}=URL",
                family.id(),
                family.id()
            ),
        ));
    };
    let url = route::join(&base, &path_q);
    let host = host_of(&base).unwrap_or("upstream").to_string();
    let (parts, body) = req.into_parts();
    let mut headers = hyper::HeaderMap::new();
    for (k, v) in &parts.headers {
        if !is_hop_by_hop(k.as_str()) && k != hyper::header::CONTENT_LENGTH {
            headers.append(k.clone(), v.clone());
        }
    }
    let body = match read_request(body).await {
        Ok(b) => b,
        Err(e) => {
            return Ok(proxy_error(
                &shared,
                400,
                "client_body",
                &format!("ratedoctor: could not read the request body from the client ({e})"),
            ));
        }
    };
    let (observed, whole): (&[u8], bool) = match &body {
        ReqBody::Whole(b) => (b, true),
        ReqBody::Streamed { prefix, .. } => (prefix.first().map_or(&[][..], |b| &b[..]), false),
    };
    let info = inspect::request_info(&path_q, whole.then_some(observed));
    let hash = inspect::request_hash(parts.method.as_str(), &path_q, observed);
    let out = Outgoing {
        method: parts.method.clone(),
        url,
        host,
        path_for_events: route::redact_query(&path_q),
        provider: shared.provider(family),
        info,
        hash,
        headers,
    };
    let sdk_retry = inspect::sdk_retry_count(
        parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    );
    if let ReqBody::Streamed { prefix, rest } = body {
        // Too big to hold: one attempt, streamed; keep the declared length.
        let mut out = out;
        if let Some(len) = parts.headers.get(hyper::header::CONTENT_LENGTH) {
            out.headers
                .insert(hyper::header::CONTENT_LENGTH, len.clone());
        }
        let stream = futures_util::stream::iter(prefix.into_iter().map(Ok::<Bytes, BoxError>))
            .chain(
                http_body_util::BodyStream::new(rest).filter_map(|f| async move {
                    match f {
                        Ok(frame) => frame.into_data().ok().map(Ok),
                        Err(e) => Some(Err(Box::new(e) as BoxError)),
                    }
                }),
            );
        let mut stream = Some(stream);
        let once = move || {
            stream.take().map_or_else(
                || reqwest::Body::from(Bytes::new()),
                reqwest::Body::wrap_stream,
            )
        };
        return Ok(exchange(&shared, &out, sdk_retry, once, 0).await);
    }
    let ReqBody::Whole(bytes) = body else {
        return Ok(proxy_error(
            &shared,
            500,
            "internal",
            "ratedoctor: internal error",
        ));
    };
    let retries = shared.config.retry;
    Ok(exchange(
        &shared,
        &out,
        sdk_retry,
        move || reqwest::Body::from(bytes.clone()),
        retries,
    )
    .await)
}

/// Records a client that went away while its request waited for the upstream (hyper drops
/// the exchange, and with it the upstream request).
struct Abandoned {
    shared: Arc<Shared>,
    id: u64,
    armed: bool,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if self.armed {
            self.shared.emit(
                self.id,
                EventKind::Failed {
                    error: "the client closed the connection before the answer; the upstream request was cancelled".into(),
                },
            );
        }
    }
}

/// What one request reserved with `--pace`; settled with the answer, or released when the
/// exchange is dropped first (the client left while it was held or in flight).
struct Reservation {
    shared: Arc<Shared>,
    provider: Provider,
    id: u64,
    armed: bool,
}

impl Reservation {
    fn settle(&mut self, snapshot: Option<&Snapshot>, rate_limited: bool) {
        if std::mem::replace(&mut self.armed, false) {
            self.shared.pacer().observe(
                self.provider,
                self.id,
                snapshot,
                rate_limited,
                Instant::now(),
            );
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.settle(None, false);
    }
}

/// Sends the request (again, up to `retries` times with `--retry`) and answers.
async fn exchange<F>(
    shared: &Arc<Shared>,
    out: &Outgoing,
    sdk_retry: Option<u32>,
    mut make_body: F,
    retries: u32,
) -> Response<ProxyBody>
where
    F: FnMut() -> reqwest::Body,
{
    let assigned = shared.groups().assign(out.hash, sdk_retry, Instant::now());
    let group = assigned.group;
    let mut attempt = assigned.attempt;
    let mut client_retry = assigned.client_retry;
    let need = Need {
        input_tokens: out.info.est_input_tokens.unwrap_or(0) as f64,
        max_tokens: out.info.max_tokens.unwrap_or(0) as f64,
    };
    let pace = shared.config.pace;
    let mut tries = 0u32;
    loop {
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(cr) = client_retry.take() {
            shared.emit(
                id,
                EventKind::RetryScheduled {
                    group,
                    wait_s: cr.waited_s,
                    advised_s: cr.advised_s,
                    by: RetryBy::Client,
                    reason: match sdk_retry {
                        Some(n) => format!("the client's retry #{n} (SDK retry header)"),
                        None => "the client sent the same request again after a failure".into(),
                    },
                },
            );
        }
        let mut reservation = pace.then(|| Reservation {
            shared: Arc::clone(shared),
            provider: out.provider,
            id,
            armed: true,
        });
        if pace {
            let hold = shared
                .pacer()
                .reserve(out.provider, id, need, Instant::now());
            if !hold.is_zero() {
                let held = Instant::now();
                let mut wait = hold;
                while !wait.is_zero() {
                    tokio::time::sleep(wait.min(super::pace::RECHECK)).await;
                    wait = shared.pacer().recheck(out.provider, id, Instant::now());
                }
                shared.counters.paced.fetch_add(1, Ordering::Relaxed);
                shared
                    .counters
                    .paced_ms
                    .fetch_add(held.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
        }
        shared.emit(
            id,
            EventKind::RequestSent {
                provider: out.provider,
                method: out.method.to_string(),
                path: out.path_for_events.clone(),
                model: out.info.model.clone(),
                est_input_tokens: out.info.est_input_tokens,
                max_tokens: out.info.max_tokens,
                stream: out.info.stream,
                group,
                attempt,
            },
        );
        let mut guard = Abandoned {
            shared: Arc::clone(shared),
            id,
            armed: true,
        };
        let sent_at = Instant::now();
        let request = shared
            .client
            .request(out.method.clone(), &out.url)
            .headers(out.headers.clone())
            .body(make_body());
        let result = tokio::time::timeout(shared.config.head_timeout, request.send()).await;
        guard.armed = false;
        let resp = match result {
            Ok(Ok(r)) => r,
            failure => {
                let (status, code, msg) = match failure {
                    Ok(Err(e)) => classify_failure(&e, &out.host),
                    _ => (
                        504,
                        "upstream_timeout",
                        format!(
                            "ratedoctor: no answer from the upstream {} within {} s",
                            out.host,
                            shared.config.head_timeout.as_secs_f64()
                        ),
                    ),
                };
                if let Some(r) = &mut reservation {
                    r.settle(None, false);
                }
                shared
                    .groups()
                    .finished(out.hash, group, true, None, Instant::now());
                shared.emit(id, EventKind::Failed { error: msg.clone() });
                return proxy_error(shared, status, code, &msg);
            }
        };
        let ttfb_ms = sent_at.elapsed().as_secs_f64() * 1000.0;
        let status = resp.status().as_u16();
        // Every header only for an error (the diagnosis reads them); the rate-limit ones
        // always.
        let is_error = status >= 400;
        let all_headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(k, _)| is_error || headers::is_rate_limit_header(k.as_str()))
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let rl_headers: Vec<(String, String)> = if is_error {
            all_headers
                .iter()
                .filter(|(k, _)| headers::is_rate_limit_header(k))
                .cloned()
                .collect()
        } else {
            all_headers.clone()
        };
        let pairs: Vec<(&str, &str)> = rl_headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let snapshot: Snapshot =
            headers::parse(&pairs, Some(out.provider), Some(jiff::Timestamp::now()));
        if let Some(r) = &mut reservation {
            r.settle(Some(&snapshot), status == 429);
        }

        if tries < retries && matches!(status, 429 | 503 | 529) {
            let (body, complete) =
                read_capped(resp, MAX_ERROR_BODY, shared.config.head_timeout).await;
            let diagnosis = diagnose_block(&diagnosis_text(status, &all_headers, &body))
                .into_iter()
                .next();
            let advised = snapshot
                .retry_after_s
                .or_else(|| diagnosis.as_ref().and_then(|d| d.retry_after_s));
            let retryable = diagnosis.as_ref().is_none_or(|d| d.retryable);
            let kind = diagnosis.as_ref().map_or("error", |d| d.kind.id());
            shared.emit(
                id,
                EventKind::ResponseReceived {
                    status,
                    ttfb_ms,
                    snapshot,
                    headers: rl_headers,
                    diagnosis,
                    usage: None,
                },
            );
            shared.emit(
                id,
                EventKind::StreamFinished {
                    bytes: body.len() as u64,
                    elapsed_ms: sent_at.elapsed().as_secs_f64() * 1000.0,
                    usage: None,
                    complete,
                },
            );
            shared
                .groups()
                .finished(out.hash, group, true, advised, Instant::now());
            let wait = advised.unwrap_or_else(|| (0.5 * 2f64.powi(tries as i32)).min(8.0));
            if retryable && complete && wait <= shared.config.retry_max_wait.as_secs_f64() {
                // With --pace the retry waits in the pacer's line after the advised wait;
                // without it, retries refused together go one advised wait apart.
                let wait = if pace {
                    wait
                } else {
                    shared
                        .pacer()
                        .retry_slot(
                            out.provider,
                            Duration::from_secs_f64(wait.max(0.0)),
                            Instant::now(),
                        )
                        .as_secs_f64()
                };
                attempt = shared.groups().proxy_retry(out.hash, group);
                shared.emit(
                    id,
                    EventKind::RetryScheduled {
                        group,
                        wait_s: wait,
                        advised_s: advised,
                        by: RetryBy::Ratedoctor,
                        reason: format!("{status} {kind}: ratedoctor --retry waits as advised"),
                    },
                );
                shared
                    .counters
                    .proxy_retries
                    .fetch_add(1, Ordering::Relaxed);
                shared
                    .counters
                    .proxy_retry_wait_ms
                    .fetch_add((wait * 1000.0) as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs_f64(wait.max(0.0))).await;
                tries += 1;
                continue;
            }
            // Not retryable (quota, too large) or too long a wait: pass it back as it came.
            let mut r = Response::new(full(body));
            *r.status_mut() =
                hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
            for (k, v) in &all_headers {
                if !is_hop_by_hop(k)
                    && !k.eq_ignore_ascii_case("content-length")
                    && let (Ok(name), Ok(value)) = (
                        hyper::header::HeaderName::from_bytes(k.as_bytes()),
                        hyper::header::HeaderValue::from_str(v),
                    )
                {
                    r.headers_mut().append(name, value);
                }
            }
            return r;
        }

        let mut builder = Response::builder().status(resp.status());
        for (k, v) in resp.headers() {
            if !is_hop_by_hop(k.as_str()) {
                builder = builder.header(k, v);
            }
        }
        let sse = resp
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"));
        let pending = if is_error {
            Some(PendingResponse {
                status,
                ttfb_ms,
                snapshot,
                rl_headers,
                all_headers,
                hash: out.hash,
                group,
            })
        } else {
            shared
                .groups()
                .finished(out.hash, group, false, None, Instant::now());
            shared.emit(
                id,
                EventKind::ResponseReceived {
                    status,
                    ttfb_ms,
                    snapshot,
                    headers: rl_headers,
                    diagnosis: None,
                    usage: None,
                },
            );
            None
        };
        let obs = Observer {
            shared: Arc::clone(shared),
            id,
            started: sent_at,
            usage: UsageTap::new(sse),
            error_body: is_error.then(Vec::new),
            pending,
            bytes: 0,
            finished: false,
        };
        let tee = Tee::new(resp, obs, out.host.clone());
        return match builder.body(tee.boxed_unsync()) {
            Ok(r) => r,
            Err(e) => proxy_error(
                shared,
                502,
                "upstream_bad_response",
                &format!(
                    "ratedoctor: the upstream {} sent a head that cannot be forwarded ({e})",
                    out.host
                ),
            ),
        };
    }
}
