//! The proxy's side towards the provider (sources layer): where each family goes, and the
//! two ways there — for an `http://` upstream (an emulator, a local gateway: the path that
//! has to be cheap) hyper's HTTP/1 connections kept in a small pool of our own, for an
//! `https://` one reqwest with rustls.
//!
//! Either way a request goes out as built (method, path, headers, body) and the answer
//! comes back as an `http::Response` whose body is polled frame by frame.
//!
//! The pool: idle connections per upstream, most recent first. A connection goes back when
//! its response body has ended (never while a stream is still running), is skipped when
//! it has closed or idled longer than [`IDLE_TIMEOUT`], and a request that a pooled
//! connection could not even start is sent once more on a new one (the upstream closed it
//! while idle). A body dropped before its end drops the connection with it, which closes
//! it: the upstream sees the client leave.

use super::route::{self, Family, Upstreams};
use super::tee::BoxError;
use crate::diagnose::Provider;
use crate::error::AppError;
use crate::probe::providers::host_of;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1;
use hyper::header::{HOST, HeaderValue};
use hyper::http::uri::PathAndQuery;
use hyper::{HeaderMap, Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How long an idle upstream connection is kept.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The most idle connections kept per upstream: a burst of a thousand requests needs a
/// thousand connections once, not a thousand sockets open afterwards.
pub(crate) const MAX_IDLE: usize = 64;
/// How often idle connections past [`IDLE_TIMEOUT`] are closed, with no request to notice.
pub(crate) const REAP_EVERY: Duration = Duration::from_secs(10);

/// Drops from an idle list (oldest first) what has closed or idled past `timeout`, and
/// the oldest beyond `max`.
fn prune<T>(
    idle: &mut VecDeque<(T, Instant)>,
    now: Instant,
    timeout: Duration,
    max: usize,
    closed: impl Fn(&T) -> bool,
) {
    idle.retain(|(c, since)| !closed(c) && now.duration_since(*since) < timeout);
    while idle.len() > max {
        idle.pop_front();
    }
}
/// How long a pooled connection may take to be ready again after its last response.
const READY_WAIT: Duration = Duration::from_secs(1);

type Sender = http1::SendRequest<PlainBody>;

/// Where one family's requests go, worked out once.
#[derive(Debug)]
pub(crate) struct Target {
    /// The base URL, without a trailing slash.
    pub base: String,
    /// Its host, for messages.
    pub host: Arc<str>,
    /// The provider behind it.
    pub provider: Provider,
    /// For an `http://` base: its connections.
    plain: Option<Plain>,
}

/// An `http://` upstream.
#[derive(Debug)]
struct Plain {
    /// `host:port` to connect to.
    addr: String,
    /// The `Host` header (with the port unless it is 80).
    host_header: HeaderValue,
    /// The base URL's path (`""`, `"/openai"`): put before a request path that does not
    /// already start with it (as [`route::join`] does).
    base_path: String,
    idle: Mutex<VecDeque<(Sender, Instant)>>,
}

impl Plain {
    fn of(base: &str) -> Option<Plain> {
        let url = reqwest::Url::parse(base).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let host_header = match url.port() {
            Some(p) if p != 80 => format!("{host}:{p}"),
            _ => host.to_string(),
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        Some(Plain {
            addr: match bare.contains(':') {
                true => format!("[{bare}]:{port}"),
                false => format!("{bare}:{port}"),
            },
            host_header: HeaderValue::from_str(&host_header).ok()?,
            base_path: url.path().trim_end_matches('/').to_string(),
            idle: Mutex::new(VecDeque::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Sender, Instant)>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.lock();
        while let Some((s, since)) = idle.pop_back() {
            if !s.is_closed() && since.elapsed() < IDLE_TIMEOUT {
                return Some(s);
            }
        }
        None
    }

    fn give_back(&self, s: Sender) {
        if s.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.lock();
        idle.push_back((s, now));
        prune(&mut idle, now, IDLE_TIMEOUT, MAX_IDLE, Sender::is_closed);
    }

    /// Closes the idle connections that have closed or idled too long (a timer calls it).
    fn reap(&self) {
        prune(
            &mut self.lock(),
            Instant::now(),
            IDLE_TIMEOUT,
            MAX_IDLE,
            Sender::is_closed,
        );
    }

    /// A ready connection: a pooled one (`true`) or a new one.
    async fn checkout(&self, connect_timeout: Duration) -> Result<(Sender, bool), Failure> {
        while let Some(mut s) = self.take_idle() {
            if s.is_ready() {
                return Ok((s, true));
            }
            // Given back as its last response ended: the connection may need a moment.
            if let Ok(Ok(())) = tokio::time::timeout(READY_WAIT, s.ready()).await {
                return Ok((s, true));
            }
        }
        Ok((self.connect(connect_timeout).await?, false))
    }

    async fn connect(&self, timeout: Duration) -> Result<Sender, Failure> {
        let failed = |timeout: bool, root: String| Failure {
            timeout,
            connect: true,
            root,
        };
        let tcp = match tokio::time::timeout(timeout, TcpStream::connect(&*self.addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(failed(
                    e.kind() == std::io::ErrorKind::TimedOut,
                    e.to_string(),
                ));
            }
            Err(elapsed) => return Err(failed(true, elapsed.to_string())),
        };
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| failed(false, super::tee::root_cause(&e)))?;
        // The connection's own task: it lives until the connection closes.
        tokio::spawn(conn);
        Ok(sender)
    }

    /// The request target sent upstream: the path and query, after the base path when
    /// the request's own path does not start with it.
    fn uri(&self, pq: &PathAndQuery) -> Result<Uri, Failure> {
        let path = pq.path();
        let b = self.base_path.as_str();
        if b.is_empty()
            || path == b
            || (path.starts_with(b) && path.as_bytes().get(b.len()) == Some(&b'/'))
        {
            return Ok(Uri::from(pq.clone()));
        }
        Uri::try_from(format!("{b}{pq}")).map_err(|e| Failure {
            timeout: false,
            connect: false,
            root: format!("not a path hyper can send ({e})"),
        })
    }
}

impl Target {
    /// Closes its idle connections that have closed or idled past [`IDLE_TIMEOUT`].
    pub(crate) fn reap(&self) {
        if let Some(p) = &self.plain {
            p.reap();
        }
    }
}

/// The targets of every family that has an upstream.
pub(crate) fn targets(upstreams: &Upstreams) -> Vec<(Family, Arc<Target>)> {
    Family::ALL
        .iter()
        .filter_map(|f| {
            let base = upstreams.get(*f)?.trim_end_matches('/').to_string();
            Some((
                *f,
                Arc::new(Target {
                    host: Arc::from(host_of(&base).unwrap_or("upstream")),
                    provider: upstreams.provider(*f),
                    plain: Plain::of(&base),
                    base,
                }),
            ))
        })
        .collect()
}

/// A request body on its way upstream: read whole (sent again as is on a retry), or too
/// big to hold and streamed once.
pub(crate) enum Outbound {
    Whole(Bytes),
    Streamed(Option<UnsyncBoxBody<Bytes, BoxError>>),
}

/// A body too big to hold: the chunks already read, then the rest as it comes (data
/// frames only).
pub(crate) struct Prefixed {
    prefix: std::vec::IntoIter<Bytes>,
    rest: Incoming,
}

impl Prefixed {
    pub fn new(prefix: Vec<Bytes>, rest: Incoming) -> Prefixed {
        Prefixed {
            prefix: prefix.into_iter(),
            rest,
        }
    }
}

impl Body for Prefixed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(b) = this.prefix.next() {
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        loop {
            return match Pin::new(&mut this.rest).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) if !frame.is_data() => continue,
                other => other.map_err(Into::into),
            };
        }
    }
}

/// The body type of the plain client.
type PlainBody = Either<Full<Bytes>, UnsyncBoxBody<Bytes, BoxError>>;

impl Outbound {
    /// The body of the next attempt (a streamed body only once, then empty).
    fn plain(&mut self) -> PlainBody {
        match self {
            Outbound::Whole(b) => Either::Left(Full::new(b.clone())),
            Outbound::Streamed(s) => match s.take() {
                Some(s) => Either::Right(s),
                None => Either::Left(Full::new(Bytes::new())),
            },
        }
    }

    fn reqwest(&mut self) -> reqwest::Body {
        match self {
            Outbound::Whole(b) => reqwest::Body::from(b.clone()),
            Outbound::Streamed(s) => match s.take() {
                Some(s) => reqwest::Body::wrap_stream(http_body_util::BodyDataStream::new(s)),
                None => reqwest::Body::from(Bytes::new()),
            },
        }
    }
}

/// Why no answer came back.
#[derive(Debug)]
pub(crate) struct Failure {
    pub timeout: bool,
    pub connect: bool,
    /// The innermost error message.
    pub root: String,
}

impl Failure {
    fn hyper(e: &hyper::Error) -> Failure {
        let mut timeout = false;
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = src {
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                timeout = true;
            }
            src = s.source();
        }
        Failure {
            timeout,
            connect: false,
            root: super::tee::root_cause(e),
        }
    }

    fn reqwest(e: &reqwest::Error) -> Failure {
        Failure {
            timeout: e.is_timeout(),
            connect: e.is_connect(),
            root: super::tee::root_cause(e),
        }
    }
}

/// A plain upstream's response body; its connection goes back to the pool when the body
/// has ended.
pub(crate) struct PlainInbound {
    body: Incoming,
    back: Option<(Sender, Arc<Target>)>,
}

impl PlainInbound {
    fn give_back(&mut self) {
        if let Some((s, t)) = self.back.take()
            && let Some(p) = &t.plain
        {
            p.give_back(s);
        }
    }
}

/// A response body from either client.
pub(crate) enum Inbound {
    Plain(PlainInbound),
    Tls(reqwest::Body),
}

impl Body for Inbound {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Inbound::Plain(p) => {
                let polled = Pin::new(&mut p.body).poll_frame(cx);
                match &polled {
                    Poll::Ready(Some(Ok(_))) if p.body.is_end_stream() => p.give_back(),
                    Poll::Ready(None) => p.give_back(),
                    // A broken body closes its connection with it.
                    Poll::Ready(Some(Err(_))) => p.back = None,
                    _ => {}
                }
                polled.map_err(Into::into)
            }
            Inbound::Tls(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Inbound::Plain(p) => p.body.is_end_stream(),
            Inbound::Tls(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Inbound::Plain(p) => p.body.size_hint(),
            Inbound::Tls(b) => b.size_hint(),
        }
    }
}

/// Both ways upstream.
pub(crate) struct Clients {
    tls: reqwest::Client,
    connect_timeout: Duration,
}

impl Clients {
    pub fn new(connect_timeout: Duration) -> Result<Clients, AppError> {
        let tls = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_max_idle_per_host(MAX_IDLE)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| AppError::Internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Clients {
            tls,
            connect_timeout,
        })
    }

    /// Sends one attempt: `pq` is the request's path and query.
    pub async fn send(
        &self,
        target: &Arc<Target>,
        method: &Method,
        pq: &PathAndQuery,
        mut headers: HeaderMap,
        body: &mut Outbound,
    ) -> Result<Response<Inbound>, Failure> {
        let Some(plain) = &target.plain else {
            let resp = self
                .tls
                .request(method.clone(), route::join(&target.base, pq.as_str()))
                .headers(headers)
                .body(body.reqwest())
                .send()
                .await
                .map_err(|e| Failure::reqwest(&e))?;
            return Ok(Response::<reqwest::Body>::from(resp).map(Inbound::Tls));
        };
        headers.insert(HOST, plain.host_header.clone());
        let mut req = Request::new(body.plain());
        *req.method_mut() = method.clone();
        *req.uri_mut() = plain.uri(pq)?;
        *req.headers_mut() = headers;
        let (mut sender, pooled) = plain.checkout(self.connect_timeout).await?;
        let resp = match sender.try_send_request(req).await {
            Ok(resp) => resp,
            Err(mut e) => match e.take_message() {
                // Never started on a pooled connection (closed while idle): once more on a
                // new one.
                Some(req) if pooled => {
                    sender = plain.connect(self.connect_timeout).await?;
                    sender
                        .send_request(req)
                        .await
                        .map_err(|e| Failure::hyper(&e))?
                }
                _ => return Err(Failure::hyper(e.error())),
            },
        };
        let back = Some((sender, Arc::clone(target)));
        Ok(resp.map(|body| Inbound::Plain(PlainInbound { body, back })))
    }
}

/// Reads at most `cap` bytes of a body, within `timeout`; says whether it ended cleanly.
pub(crate) async fn read_capped(
    mut body: Inbound,
    cap: usize,
    timeout: Duration,
) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Ok(chunk) = frame.into_data() {
                let room = cap.saturating_sub(out.len());
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
        true
    };
    let complete = tokio::time::timeout(timeout, read).await.unwrap_or(false);
    (out, complete)
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[test]
    fn the_idle_pool_is_capped_and_forgets_what_closed_or_idled_too_long() {
        let t0 = Instant::now();
        let mut idle: VecDeque<(bool, Instant)> = VecDeque::new();
        for i in 0..100u64 {
            idle.push_back((false, t0 + Duration::from_millis(i)));
        }
        let prune_at = |idle: &mut VecDeque<(bool, Instant)>, after: Duration| {
            prune(idle, t0 + after, IDLE_TIMEOUT, MAX_IDLE, |c| *c);
        };
        prune_at(&mut idle, Duration::from_secs(1));
        assert_eq!(idle.len(), MAX_IDLE, "the oldest beyond the cap go");
        assert_eq!(
            idle.front().map(|x| x.1),
            Some(t0 + Duration::from_millis(36))
        );
        idle[5].0 = true;
        prune_at(&mut idle, Duration::from_secs(1));
        assert_eq!(idle.len(), MAX_IDLE - 1, "a closed one goes");
        prune_at(&mut idle, IDLE_TIMEOUT + Duration::from_secs(1));
        assert!(idle.is_empty(), "past the idle timeout, all go");
    }
}
