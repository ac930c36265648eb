//! The proxy's side towards the provider (sources layer): where each family goes, and the
//! two clients that take it there — hyper's pooled HTTP/1 client for `http://` upstreams
//! (an emulator, a local gateway: the path that has to be cheap), reqwest with rustls for
//! `https://` ones.
//!
//! Either way a request goes out as built (method, URI, headers, body) and the answer
//! comes back as an `http::Response` whose body is polled frame by frame.

use super::route::{self, Family, Upstreams};
use super::tee::BoxError;
use crate::diagnose::Provider;
use crate::error::AppError;
use crate::probe::providers::host_of;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{HeaderMap, Method, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Where one family's requests go, worked out once.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The base URL, without a trailing slash.
    pub base: String,
    /// Its host, for messages.
    pub host: Arc<str>,
    /// The provider behind it.
    pub provider: Provider,
    /// `http://`: the plain client.
    pub plain: bool,
}

/// The targets of every family that has an upstream.
pub(crate) fn targets(upstreams: &Upstreams) -> Vec<(Family, Target)> {
    Family::ALL
        .iter()
        .filter_map(|f| {
            let base = upstreams.get(*f)?.trim_end_matches('/').to_string();
            Some((
                *f,
                Target {
                    host: Arc::from(host_of(&base).unwrap_or("upstream")),
                    provider: upstreams.provider(*f),
                    plain: base.starts_with("http://"),
                    base,
                },
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
    fn plain(e: &hyper_util::client::legacy::Error) -> Failure {
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
            connect: e.is_connect(),
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

/// A response body from either client.
pub(crate) enum Inbound {
    Plain(Incoming),
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
            Inbound::Plain(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
            Inbound::Tls(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Inbound::Plain(b) => b.is_end_stream(),
            Inbound::Tls(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Inbound::Plain(b) => b.size_hint(),
            Inbound::Tls(b) => b.size_hint(),
        }
    }
}

/// Both clients.
pub(crate) struct Clients {
    plain: Client<HttpConnector, PlainBody>,
    tls: reqwest::Client,
}

impl Clients {
    pub fn new(connect_timeout: Duration) -> Result<Clients, AppError> {
        let tls = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| AppError::Internal(format!("cannot build the HTTP client: {e}")))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(connect_timeout));
        let plain = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Clients { plain, tls })
    }

    /// Sends one attempt. `url` is the full upstream URL.
    pub async fn send(
        &self,
        target: &Target,
        method: &Method,
        url: String,
        headers: HeaderMap,
        body: &mut Outbound,
    ) -> Result<Response<Inbound>, Failure> {
        if target.plain {
            let uri = hyper::Uri::try_from(url).map_err(|e| Failure {
                timeout: false,
                connect: false,
                root: format!("not a URL hyper can send to ({e})"),
            })?;
            let mut req = Request::new(body.plain());
            *req.method_mut() = method.clone();
            *req.uri_mut() = uri;
            *req.headers_mut() = headers;
            let resp = self
                .plain
                .request(req)
                .await
                .map_err(|e| Failure::plain(&e))?;
            Ok(resp.map(Inbound::Plain))
        } else {
            let resp = self
                .tls
                .request(method.clone(), url)
                .headers(headers)
                .body(body.reqwest())
                .send()
                .await
                .map_err(|e| Failure::reqwest(&e))?;
            Ok(Response::<reqwest::Body>::from(resp).map(Inbound::Tls))
        }
    }
}

/// The upstream URL of a request.
pub(crate) fn url(target: &Target, path_and_query: &str) -> String {
    route::join(&target.base, path_and_query)
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
