//! One exchange through the proxy (sources layer): read the request (bounded), group it
//! with earlier attempts, pace it, send it upstream, and answer with the upstream's
//! status, headers and streamed body — or, with `--retry`, retry a retryable 429 first;
//! or, when the upstream fails, a 502/504 JSON error that names ratedoctor and the cause.

use super::decode::{self, Decoder};
use super::inspect::{self, UsageTap};
use super::pace::Need;
use super::route::{self, is_hop_by_hop};
use super::tee::{
    BoxError, MAX_ERROR_BODY, Observer, PendingResponse, ProxyBody, Tee, diagnosis_text,
};
use super::upstream::{self, Failure, Outbound, Prefixed, Target};
use super::{MAX_REQUEST_BUFFER, Shared, report};
use crate::diagnose::{Provider, diagnose_block};
use crate::event::{EventKind, RetryBy};
use crate::headers::{self, Snapshot};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use hyper::http::uri::PathAndQuery;
use hyper::{Method, Request, Response};
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
fn classify_failure(f: &Failure, host: &str) -> (u16, &'static str, String) {
    let root = &f.root;
    let lower = root.to_ascii_lowercase();
    if f.timeout {
        (
            504,
            "upstream_timeout",
            format!("ratedoctor: timed out talking to the upstream {host} ({root})"),
        )
    } else if f.connect {
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

/// A body this small is copied out of the connection's read buffer, which hyper can then
/// reuse for the next request instead of allocating another.
const COPY_BELOW: usize = 16 * 1024;

async fn read_request(mut body: Incoming) -> Result<ReqBody, hyper::Error> {
    let mut first: Option<Bytes> = None;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            total += data.len();
            match first.take() {
                None if chunks.is_empty() => first = Some(data),
                prev => {
                    chunks.extend(prev);
                    chunks.push(data);
                }
            }
            if total > MAX_REQUEST_BUFFER {
                chunks.splice(0..0, first.take());
                return Ok(ReqBody::Streamed {
                    prefix: chunks,
                    rest: body,
                });
            }
        }
    }
    Ok(ReqBody::Whole(match first {
        Some(b) if b.len() < COPY_BELOW => Bytes::copy_from_slice(&b),
        Some(b) => b,
        None if chunks.is_empty() => Bytes::new(),
        None => Bytes::from(chunks.concat()),
    }))
}

/// The headers that go on: all but hop-by-hop ones (and `content-length` unless
/// `keep_length`), in their order, moved rather than copied.
fn forwarded(headers: HeaderMap, keep_length: bool) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    let mut it = headers.into_iter().peekable();
    let mut name = None;
    while let Some((n, value)) = it.next() {
        if n.is_some() {
            name = n;
        }
        // A name with more values is kept for them; the last one is moved.
        let Some(n) = (if matches!(it.peek(), Some((None, _))) {
            name.clone()
        } else {
            name.take()
        }) else {
            continue;
        };
        if is_hop_by_hop(n.as_str()) || (!keep_length && n == CONTENT_LENGTH) {
            continue;
        }
        out.append(n, value);
    }
    out
}

/// Everything known about the request before it is sent.
struct Outgoing {
    method: Method,
    target: Arc<Target>,
    /// The request's path and query.
    pq: PathAndQuery,
    path_for_events: String,
    headers: HeaderMap,
    info: inspect::RequestInfo,
    hash: u64,
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    if path.starts_with("/_ratedoctor/") {
        return Ok(report::answer(&shared, path));
    }
    let path_q = parts.uri.path_and_query().map_or(path, |p| p.as_str());
    let family = route::classify(path);
    let Some(target) = shared.target(family) else {
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
    let info = inspect::request_info(path_q, whole.then_some(observed));
    let hash = inspect::request_hash(parts.method.as_str(), path_q, observed);
    let sdk_retry = inspect::sdk_retry_count(
        parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    );
    let path_for_events = route::redact_query(path_q);
    let pq = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let (body, retries) = match body {
        ReqBody::Whole(b) => (Outbound::Whole(b), shared.config.retry),
        // Too big to hold: one attempt, streamed; keep the declared length.
        ReqBody::Streamed { prefix, rest } => (
            Outbound::Streamed(Some(Prefixed::new(prefix, rest).boxed_unsync())),
            0,
        ),
    };
    let streamed = matches!(body, Outbound::Streamed(_));
    let out = Outgoing {
        method: parts.method,
        target: Arc::clone(target),
        pq,
        path_for_events,
        headers: forwarded(parts.headers, streamed),
        info,
        hash,
    };
    Ok(exchange(&shared, out, sdk_retry, body, retries).await)
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
    fn settle(
        &mut self,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        server: Option<Duration>,
    ) {
        if std::mem::replace(&mut self.armed, false) {
            let wake = self.shared.pacer().observe(
                self.provider,
                self.id,
                snapshot,
                rate_limited,
                server,
                Instant::now(),
            );
            wake_held(&self.shared, &wake);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.settle(None, false, None);
    }
}

/// A request's reservation in the fleet's ledger (`--share`): settled with the answer,
/// or freed when the exchange is dropped first.
struct FleetHold {
    fleet: Arc<super::share::Fleet>,
    ticket: Option<super::share::Ticket>,
}

impl FleetHold {
    /// Settles in the background: the answer goes back to the client without waiting
    /// on Redis.
    fn settle(&mut self, snapshot: Option<&Snapshot>, rate_limited: bool, counted: Instant) {
        if let Some(t) = self.ticket.take() {
            let (fleet, snapshot) = (Arc::clone(&self.fleet), snapshot.cloned());
            tokio::spawn(async move {
                fleet
                    .settle(&t, snapshot.as_ref(), rate_limited, counted)
                    .await;
            });
        }
    }
}

impl Drop for FleetHold {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.fleet.abandon(t);
        }
    }
}

/// How a request was admitted with `--pace`, to be settled with its answer: by the local
/// pacer, or, while this member is in a fleet (`--share`), by the fleet's ledger. The two
/// weigh by the same rules ([`super::rules`]).
enum Admission {
    Local(Reservation),
    Fleet(FleetHold),
}

impl Admission {
    /// Settles with the answer (`snapshot`; none: no answer) of the request sent at
    /// `sent_at`; `server`: how long the server says it worked on it.
    fn settle(
        &mut self,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        server: Option<Duration>,
        sent_at: Instant,
    ) {
        match self {
            Admission::Local(r) => r.settle(snapshot, rate_limited, server),
            Admission::Fleet(h) => {
                let now = Instant::now();
                let counted = match snapshot {
                    Some(_) => {
                        let ago = counted_ago(now.saturating_duration_since(sent_at), server);
                        now.checked_sub(ago).unwrap_or(sent_at)
                    }
                    None => now,
                };
                h.settle(snapshot, rate_limited, counted);
            }
        }
    }
}

/// Holds request `id` until it may go, and reserves what it will spend: in the fleet's
/// ledger while this member is in the fleet, else (no `--share`, or Redis is down) in the
/// local pacer.
async fn admit(
    shared: &Arc<Shared>,
    fleet: Option<&(Arc<super::share::Fleet>, String)>,
    provider: Provider,
    id: u64,
    need: Need,
) -> Admission {
    let asked = Instant::now();
    if let Some((f, prefix)) = fleet
        && f.joined()
        && let Some(ticket) = f
            .admit(
                prefix,
                need.input_tokens,
                need.max_tokens,
                super::pace::MAX_HOLD,
            )
            .await
    {
        let waited = asked.elapsed();
        if waited >= Duration::from_millis(5) {
            count_paced(shared, waited);
        }
        return Admission::Fleet(FleetHold {
            fleet: Arc::clone(f),
            ticket: Some(ticket),
        });
    }
    let reservation = Reservation {
        shared: Arc::clone(shared),
        provider,
        id,
        armed: true,
    };
    // Listed before it is put in line, so an answer that lets it go at once finds it.
    let wake = Arc::new(tokio::sync::Notify::new());
    shared.held().insert(id, Arc::clone(&wake));
    let _unlisted = Unlist { shared, id };
    let hold = shared.pacer().reserve(provider, id, need, Instant::now());
    if !hold.is_zero() {
        let held = Instant::now();
        let mut wait = hold;
        while !wait.is_zero() {
            // Woken early when an answer lets it go; else it looks again itself.
            tokio::select! {
                () = tokio::time::sleep(wait.min(super::pace::RECHECK)) => {}
                () = wake.notified() => {}
            }
            wait = shared.pacer().recheck(provider, id, Instant::now());
        }
        // The line has moved: the next may go too, or must weigh its wait.
        let next = shared.pacer().release(provider, Instant::now());
        wake_held(shared, &next);
        count_paced(shared, held.elapsed());
    }
    Admission::Local(reservation)
}

/// A request held by `--pace` for `held` before it went.
fn count_paced(shared: &Shared, held: Duration) {
    shared.counters.paced.fetch_add(1, Ordering::Relaxed);
    shared
        .counters
        .paced_ms
        .fetch_add(held.as_millis() as u64, Ordering::Relaxed);
}

/// About how long before its answer the server counted a request answered after `took`:
/// the server's own time on it when it says, else the answer less one way's travel (as
/// [`super::pace`] dates a report).
fn counted_ago(took: Duration, server: Option<Duration>) -> Duration {
    server
        .unwrap_or_else(|| took - (took / 2).min(Duration::from_millis(50)))
        .min(took)
}

/// Wakes the held requests `--pace` has just let go, and the one first in line now.
fn wake_held(shared: &Shared, ids: &[u64]) {
    if ids.is_empty() {
        return;
    }
    let held = shared.held();
    for id in ids {
        if let Some(wake) = held.get(id) {
            wake.notify_one();
        }
    }
}

/// Takes a held request's waker out of the list when it stops waiting (it goes, or the
/// client left while it was held).
struct Unlist<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Unlist<'_> {
    fn drop(&mut self) {
        self.shared.held().remove(&self.id);
    }
}

/// How long the server says it worked on the request: OpenAI's `openai-processing-ms`.
fn server_time(headers: &HeaderMap) -> Option<Duration> {
    let ms: f64 = headers
        .get("openai-processing-ms")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms.min(3.6e6) / 1000.0))
}

/// The value itself on the last use, a copy before.
fn take_or_clone<T: Clone + Default>(x: &mut T, last: bool) -> T {
    if last { std::mem::take(x) } else { x.clone() }
}

/// Sends the request (again, up to `retries` times with `--retry`) and answers.
async fn exchange(
    shared: &Arc<Shared>,
    mut out: Outgoing,
    sdk_retry: Option<u32>,
    mut body: Outbound,
    retries: u32,
) -> Response<ProxyBody> {
    let assigned = shared.groups().assign(out.hash, sdk_retry, Instant::now());
    let group = assigned.group;
    let mut attempt = assigned.attempt;
    let mut client_retry = assigned.client_retry;
    let provider = out.target.provider;
    let need = Need {
        input_tokens: out.info.est_input_tokens.unwrap_or(0) as f64,
        max_tokens: out.info.max_tokens.unwrap_or(0) as f64,
    };
    let pace = shared.config.pace;
    let fleet = shared.fleet.as_ref().filter(|_| pace).map(|f| {
        let prefix = f.prefix(&out.target.base, provider, &out.headers, out.pq.query());
        (Arc::clone(f), prefix)
    });
    let mut tries = 0u32;
    // Seconds this request has waited for its retries so far.
    let mut waited = 0.0f64;
    loop {
        // No attempt follows this one: what it sends can be moved, not copied.
        let last = tries >= retries;
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
        let mut admission = if pace {
            Some(admit(shared, fleet.as_ref(), provider, id, need).await)
        } else {
            None
        };
        shared.emit(
            id,
            EventKind::RequestSent {
                provider,
                method: out.method.to_string(),
                path: take_or_clone(&mut out.path_for_events, last),
                model: take_or_clone(&mut out.info.model, last),
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
        let request = shared.clients.send(
            &out.target,
            &out.method,
            &out.pq,
            take_or_clone(&mut out.headers, last),
            &mut body,
        );
        let result = tokio::time::timeout(shared.config.head_timeout, request).await;
        guard.armed = false;
        let resp = match result {
            Ok(Ok(r)) => r,
            failure => {
                let (status, code, msg) = match failure {
                    Ok(Err(e)) => classify_failure(&e, &out.target.host),
                    _ => (
                        504,
                        "upstream_timeout",
                        format!(
                            "ratedoctor: no answer from the upstream {} within {} s",
                            out.target.host,
                            shared.config.head_timeout.as_secs_f64()
                        ),
                    ),
                };
                if let Some(a) = &mut admission {
                    a.settle(None, false, None, sent_at);
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
        let mut all_headers: Vec<(String, String)> = Vec::new();
        let mut rl_headers: Vec<(String, String)> = Vec::new();
        for (k, v) in resp.headers() {
            let rate_limit = headers::is_rate_limit_header(k.as_str());
            if !(is_error || rate_limit) {
                continue;
            }
            let Ok(v) = v.to_str() else { continue };
            if is_error {
                all_headers.push((k.as_str().to_string(), v.to_string()));
            }
            if rate_limit {
                rl_headers.push((k.as_str().to_string(), v.to_string()));
            }
        }
        let pairs: Vec<(&str, &str)> = rl_headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let snapshot: Snapshot =
            headers::parse(&pairs, Some(provider), Some(jiff::Timestamp::now()));
        drop(pairs);
        let server = server_time(resp.headers());
        if let Some(a) = &mut admission {
            a.settle(Some(&snapshot), status == 429, server, sent_at);
        }

        if tries < retries && matches!(status, 429 | 503 | 529) {
            let (body, complete) =
                upstream::read_capped(resp.into_body(), MAX_ERROR_BODY, shared.config.head_timeout)
                    .await;
            let encoding = all_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
                .map(|(_, v)| v.as_str());
            let text = decode::decode_whole(encoding, &body, MAX_ERROR_BODY);
            let diagnosis = diagnose_block(&diagnosis_text(status, &all_headers, &text))
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
            // A hint of 0 (or none) never means "at once": a floor that doubles each try;
            // and one request waits at most the retry budget in all.
            let wait = super::retry_wait(advised, tries);
            let within_budget = waited + wait <= shared.config.retry_budget.as_secs_f64();
            if retryable
                && complete
                && within_budget
                && wait <= shared.config.retry_max_wait.as_secs_f64()
            {
                // With --pace the retry waits in the pacer's line after the advised wait;
                // without it, retries refused together go one advised wait apart.
                let wait = if pace {
                    wait
                } else {
                    shared
                        .pacer()
                        .retry_slot(
                            provider,
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
                waited += wait;
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

        let (mut head, resp_body) = resp.into_parts();
        if head.headers.keys().any(|k| is_hop_by_hop(k.as_str())) {
            head.headers = forwarded(std::mem::take(&mut head.headers), true);
        }
        let sse = head
            .headers
            .get(CONTENT_TYPE)
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
            decoder: Decoder::for_encoding(
                head.headers
                    .get(CONTENT_ENCODING)
                    .and_then(|v| v.to_str().ok()),
            ),
            error_body: is_error.then(Vec::new),
            pending,
            bytes: 0,
            finished: false,
        };
        let tee = Tee::new(resp_body, obs, Arc::clone(&out.target.host));
        let mut r = Response::new(tee.boxed_unsync());
        *r.status_mut() = head.status;
        *r.headers_mut() = head.headers;
        return r;
    }
}
