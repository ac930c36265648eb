//! Streamed bodies: a list of pre-rendered chunks sent one by one with a delay between
//! them, holding the request's concurrency slot until the last chunk is out (or the client
//! goes away).

use super::state::Guard;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

/// One SSE event: `event: NAME\ndata: JSON\n\n` (no `event:` line when `name` is empty).
pub fn event(name: &str, data: &Value) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_default();
    let s = if name.is_empty() {
        format!("data: {json}\n\n")
    } else {
        format!("event: {name}\ndata: {json}\n\n")
    };
    Bytes::from(s)
}

/// The OpenAI terminator.
pub fn done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}

struct Feed {
    chunks: VecDeque<Bytes>,
    delay: Duration,
    first: bool,
    _guard: Option<Guard>,
}

/// A streamed 200 response with `content_type`.
pub fn response(
    chunks: Vec<Bytes>,
    delay: Duration,
    guard: Option<Guard>,
    content_type: &'static str,
) -> Response {
    let feed = Feed {
        chunks: chunks.into(),
        delay,
        first: true,
        _guard: guard,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let chunk = feed.chunks.pop_front()?;
        if !feed.first && !feed.delay.is_zero() {
            tokio::time::sleep(feed.delay).await;
        }
        feed.first = false;
        Some((Ok::<Bytes, Infallible>(chunk), feed))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `text/event-stream` with the chunks.
pub fn sse(chunks: Vec<Bytes>, delay: Duration, guard: Option<Guard>) -> Response {
    response(chunks, delay, guard, "text/event-stream; charset=utf-8")
}
