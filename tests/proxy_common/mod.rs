//! Helpers for the proxy tests: a proxy on 127.0.0.1:0 in front of an emulator, event
//! collection with a deadline, scripted raw-TCP upstreams for faults the emulator does not
//! produce, and a hash for byte-for-byte comparisons.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::event::{Event, EventKind};
use ratedoctor::proxy::{ProxyConfig, ProxyHandle, Upstreams, spawn};
use std::hash::{Hash, Hasher};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

pub fn config(upstream: &str) -> ProxyConfig {
    ProxyConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstreams: Upstreams::all(upstream).unwrap(),
        ..ProxyConfig::default()
    }
}

pub async fn proxy(config: ProxyConfig) -> (ProxyHandle, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel(100_000);
    let h = spawn(config, tx).await.expect("proxy starts");
    (h, rx)
}

/// Collects events until `done` says the list is complete (fails after `secs`).
pub async fn events_until(
    rx: &mut mpsc::Receiver<Event>,
    secs: u64,
    done: impl Fn(&[Event]) -> bool,
) -> Vec<Event> {
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(secs), async {
        while !done(&out) {
            match rx.recv().await {
                Some(e) => out.push(e),
                None => break,
            }
        }
    })
    .await;
    assert!(r.is_ok(), "events did not arrive in {secs} s; got {out:#?}");
    out
}

/// Everything already in the channel.
pub fn drain(rx: &mut mpsc::Receiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

pub fn count(events: &[Event], f: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().filter(|e| f(&e.kind)).count()
}

pub fn finished(events: &[Event]) -> usize {
    count(events, |k| matches!(k, EventKind::StreamFinished { .. }))
}

pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// A port nothing listens on.
pub async fn refused_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A scripted upstream: for every connection, reads the request head, then writes
/// `reply` (if any) and closes; with `reply = None` it holds the connection silently.
pub async fn scripted(reply: Option<&'static [u8]>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                break;
            };
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            match reply {
                Some(r) => {
                    let _ = s.write_all(r).await;
                    let _ = s.flush().await;
                    drop(s);
                }
                None => held.push(s),
            }
        }
    });
    format!("http://{addr}")
}

/// A keep-alive upstream that answers every request with a small JSON body and counts the
/// connections it accepts; with `close_each` it closes a connection after each answer.
pub async fn counting_upstream(
    close_each: bool,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = vec![0u8; 65536];
                loop {
                    // One request: the head, then content-length bytes of body.
                    let head_end = loop {
                        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                        }
                    };
                    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    while got.len() < head_end + len {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                        }
                    }
                    got.drain(..head_end + len);
                    let body = format!("{{\"connection\":{n}}}");
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(reply.as_bytes()).await.is_err() || close_each {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), accepted)
}
