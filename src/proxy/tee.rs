//! The response body wrapper (sources layer): every chunk goes to the client the moment
//! it arrives; a copy feeds the usage reader (and, for an error, the first bytes feed the
//! diagnosis). When the body ends — completely, cut by the upstream, or dropped because
//! the client went away, which also drops the upstream request — it emits the events
//! that needed the body.

use super::Shared;
use super::decode::Decoder;
use super::inspect::UsageTap;
use super::upstream::Inbound;
use crate::diagnose::diagnose_block;
use crate::event::EventKind;
use crate::headers::Snapshot;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of every answer the proxy gives.
pub(crate) type ProxyBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// The most of an error body kept for its diagnosis.
pub(crate) const MAX_ERROR_BODY: usize = 256 * 1024;

/// A `ResponseReceived` held until the error body it diagnoses has passed.
pub(crate) struct PendingResponse {
    pub status: u16,
    pub ttfb_ms: f64,
    pub snapshot: Snapshot,
    pub rl_headers: Vec<(String, String)>,
    pub all_headers: Vec<(String, String)>,
    pub hash: u64,
    pub group: u64,
}

/// The text the explain engine reads for an error response.
pub(crate) fn diagnosis_text(status: u16, headers: &[(String, String)], body: &[u8]) -> String {
    let mut t = format!("HTTP/1.1 {status}\n");
    for (k, v) in headers {
        t.push_str(k);
        t.push_str(": ");
        t.push_str(v);
        t.push('\n');
    }
    t.push('\n');
    t.push_str(&String::from_utf8_lossy(body));
    t
}

/// Watches one body go by.
pub(crate) struct Observer {
    pub shared: Arc<Shared>,
    pub id: u64,
    pub started: Instant,
    pub usage: UsageTap,
    /// Reads a compressed body (`Content-Encoding`) for the usage tap and the diagnosis.
    pub decoder: Option<Decoder>,
    pub error_body: Option<Vec<u8>>,
    pub pending: Option<PendingResponse>,
    pub bytes: u64,
    pub finished: bool,
}

impl Observer {
    fn feed(&mut self, b: &Bytes) {
        self.bytes += b.len() as u64;
        let (usage, error_body) = (&mut self.usage, &mut self.error_body);
        let Some(d) = &mut self.decoder else {
            read(usage, error_body, b);
            return;
        };
        d.feed(b, &mut |text| read(usage, error_body, text));
        if !usage.wants_more()
            && error_body
                .as_ref()
                .is_none_or(|e| e.len() >= MAX_ERROR_BODY)
        {
            d.give_up();
        }
    }

    /// The body ended: `cut` says why when it did not end normally; `upstream_fault` when
    /// the upstream (not the client) broke it.
    fn finish(&mut self, cut: Option<String>, upstream_fault: bool) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(d) = &mut self.decoder {
            let (usage, error_body) = (&mut self.usage, &mut self.error_body);
            d.finish(&mut |text| read(usage, error_body, text));
        }
        let shared = Arc::clone(&self.shared);
        if let Some(p) = self.pending.take() {
            let body = self.error_body.take().unwrap_or_default();
            let diagnosis = diagnose_block(&diagnosis_text(p.status, &p.all_headers, &body))
                .into_iter()
                .next();
            let advised = p
                .snapshot
                .retry_after_s
                .or_else(|| diagnosis.as_ref().and_then(|d| d.retry_after_s));
            shared
                .groups()
                .finished(p.hash, p.group, true, advised, Instant::now());
            shared.emit(
                self.id,
                EventKind::ResponseReceived {
                    status: p.status,
                    ttfb_ms: p.ttfb_ms,
                    snapshot: p.snapshot,
                    headers: p.rl_headers,
                    diagnosis,
                    usage: None,
                },
            );
        }
        let usage = self.usage.finish();
        shared.emit(
            self.id,
            EventKind::StreamFinished {
                bytes: self.bytes,
                elapsed_ms: self.started.elapsed().as_secs_f64() * 1000.0,
                usage,
                complete: cut.is_none(),
            },
        );
        if let Some(why) = cut
            && upstream_fault
        {
            shared.emit(self.id, EventKind::Failed { error: why });
        }
    }
}

/// Hands (decoded) body text to the usage tap and, for an error, to the diagnosis.
fn read(usage: &mut UsageTap, error_body: &mut Option<Vec<u8>>, text: &[u8]) {
    usage.feed(text);
    if let Some(e) = error_body {
        let room = MAX_ERROR_BODY.saturating_sub(e.len());
        e.extend_from_slice(&text[..text.len().min(room)]);
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.finish(
            Some(
                "the client closed the connection mid-body; the upstream request was cancelled"
                    .into(),
            ),
            false,
        );
    }
}

/// The upstream body, observed.
pub(crate) struct Tee {
    body: Inbound,
    obs: Observer,
    upstream: Arc<str>,
    size: Option<u64>,
}

impl Tee {
    pub fn new(body: Inbound, obs: Observer, upstream: Arc<str>) -> Tee {
        Tee {
            size: body.size_hint().exact(),
            body,
            obs,
            upstream,
        }
    }
}

impl Body for Tee {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.obs.finished {
            return Poll::Ready(None);
        }
        if this.size == Some(0) {
            this.obs.finish(None, false);
            return Poll::Ready(None);
        }
        loop {
            return match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are not passed on (nor were they ever: SSE and JSON have none).
                    let Ok(b) = frame.into_data() else { continue };
                    this.obs.feed(&b);
                    // With a declared length the server stops polling after the last byte.
                    if this.size.is_some_and(|n| this.obs.bytes >= n) {
                        this.obs.finish(None, false);
                    }
                    Poll::Ready(Some(Ok(Frame::data(b))))
                }
                Poll::Ready(Some(Err(e))) => {
                    let why = format!(
                        "ratedoctor: the upstream {} broke the response body after {} bytes ({})",
                        this.upstream,
                        this.obs.bytes,
                        root_cause(&*e)
                    );
                    this.obs.finish(Some(why.clone()), true);
                    Poll::Ready(Some(Err(why.into())))
                }
                Poll::Ready(None) => {
                    this.obs.finish(None, false);
                    Poll::Ready(None)
                }
                Poll::Pending => Poll::Pending,
            };
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.size {
            Some(n) => SizeHint::with_exact(n.saturating_sub(self.obs.bytes)),
            None => SizeHint::default(),
        }
    }
}

/// The innermost error message of a chain.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        last = s.to_string();
        src = s.source();
    }
    last
}
