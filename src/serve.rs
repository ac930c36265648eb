//! The accept loop of our servers, the emulator's and the proxy's (source layer): HTTP/1.1
//! with keep-alive, a header-read timeout that also lets idle kept-alive connections go,
//! and a cap on open connections past which one more gets a clear 503 and is closed,
//! rather than held.

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// How long a client may take to send a request's headers (and how long a kept-alive
/// connection may sit idle before its next request).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Open client connections at most; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 4096;

/// The limits of one server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    /// The JSON body of the 503 past `max_connections`.
    pub full_body: &'static str,
}

/// Serves `service` on `listener` until `stop` resolves; then lets open connections
/// finish for up to 2 s. `on_accept` is called for each connection served (not for one
/// refused past the cap).
pub async fn serve<S, B>(
    listener: TcpListener,
    limits: Limits,
    service: S,
    on_accept: impl Fn(),
    stop: impl Future<Output = ()>,
) where
    S: hyper::service::Service<hyper::Request<Incoming>, Response = hyper::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                // No Nagle: a streamed chunk leaves at once, as a provider's server sends it.
                let _ = tcp.set_nodelay(true);
                if conns.len() >= limits.max_connections {
                    conns.spawn(refuse_full(tcp, limits.full_body));
                    continue;
                }
                on_accept();
                let service = service.clone();
                let mut closed = closed.clone();
                conns.spawn(async move {
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_read_timeout)
                        .serve_connection(TokioIo::new(tcp), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = closed.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(2), conn.as_mut()).await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

/// The answer to a connection past the cap: one 503 with `retry-after: 1`, then close.
async fn refuse_full(mut tcp: TcpStream, body: &'static str) {
    use tokio::io::AsyncWriteExt;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.write_all(answer.as_bytes())).await;
    let _ = tcp.shutdown().await;
}
