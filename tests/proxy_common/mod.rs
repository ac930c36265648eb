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
