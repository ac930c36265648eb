//! Issue #8, reliability "Faults": `ratedoctor watch` (the real binary) in front of
//! upstreams that misbehave — one that accepts and never answers, one that answers
//! something that is not HTTP, one that closes before answering, one that cuts a chunked
//! body, the emulator killed in the middle of a stream and restarted on the same port
//! during a run — and clients that leave mid-stream or before the answer. Each case gets the
//! answer the README documents (a 502/504 JSON error naming ratedoctor, or a body cut so
//! the client sees an error, never a short answer that looks whole), the proxy serves the
//! next request, and nothing leaks: once the clients are gone and the upstreams closed, the
//! proxy's TCP sockets and descriptors are back to their baseline and its memory close to it.
//!
//! Fake upstreams are raw TCP listeners written here (`proxy_common::scripted`). Rounds:
//! 3 in `cargo test`; `RATEDOCTOR_RELIABILITY_FULL=1` (`bench/reliability.sh`) runs 50, or
//! `RATEDOCTOR_RELIABILITY_ROUNDS` sets them.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod proxy_common;

use common::*;
use futures_util::StreamExt;
use proxy_common::*;
use ratedoctor::emulator::MockConfig;
use ratedoctor::event::{Event, EventKind};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

fn rounds() -> usize {
    let full = std::env::var("RATEDOCTOR_RELIABILITY_FULL").is_ok_and(|v| v == "1");
    std::env::var("RATEDOCTOR_RELIABILITY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 50 } else { 3 })
}

/// Memory the proxy may keep after the faults (allocator caches, buffers kept for reuse).
const RSS_TOLERANCE_KB: u64 = 8 * 1024;

const ANTHROPIC: &str = "/v1/messages";
const GEMINI: &str = "/v1beta/models/gemini-2.5-flash:generateContent";
const AZURE: &str = "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21";
const GROQ: &str = "/openai/v1/chat/completions";
const OPENAI: &str = "/v1/chat/completions";

fn request(c: &reqwest::Client, base: &str, path: &str, body: &Value) -> reqwest::RequestBuilder {
    c.post(format!("{base}{path}"))
        .bearer_auth(KEY)
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

fn stream_body(content: &str) -> Value {
    let mut b = chat_body(content, Some(40));
    b["stream"] = json!(true);
    b
}

/// Checks a proxy's own error answer against the README: `status`, the
/// `x-ratedoctor-error: CODE` header, and `{"error": {"type": "ratedoctor_proxy_error",
/// "code": CODE, "message": "ratedoctor: ..."}}`; returns the message.
async fn documented_error(resp: reqwest::Response, status: u16, code: &str, says: &str) -> String {
    assert_eq!(resp.status().as_u16(), status, "{code}");
    assert_eq!(
        resp.headers()
            .get("x-ratedoctor-error")
            .and_then(|v| v.to_str().ok()),
        Some(code)
    );
    let v: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(v["error"]["type"], "ratedoctor_proxy_error", "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    let msg = v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.starts_with("ratedoctor: ") && msg.contains(says),
        "{code}: {msg:?} should say {says:?}"
    );
    msg
}

/// Reads a body to its end: the bytes that came, and whether it ended in an error.
async fn read_to_end(resp: reqwest::Response) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

async fn healthy(c: &reqwest::Client, base: &str, after: &str) {
    let r = request(c, base, OPENAI, &chat_body("still there?", Some(5)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("after {after}: {e}"));
    assert_eq!(r.status(), 200, "after {after}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion", "after {after}");
}

fn failures(events: &[Event], says: &str) -> usize {
    count(
        events,
        |k| matches!(k, EventKind::Failed { error } if error.contains(says)),
    )
}

fn sent(events: &[Event]) -> usize {
    count(events, |k| matches!(k, EventKind::RequestSent { .. }))
}

/// Waits until the proxy is at rest (at most `max_sockets` TCP sockets and `max_fds`
/// descriptors) and says what it holds.
/// Once the proxy is back at rest (`at_rest` against `before`: descriptors, TCP sockets,
/// RSS in KiB), prints what `what` did to them and checks memory stayed close.
async fn back_at_rest(proxy: &Child, before: (usize, usize, u64), what: &str) {
    let (fds0, sockets0, rss0) = before;
    let (fds1, sockets1) = at_rest(proxy, sockets0, fds0).await;
    let (rss1, hwm) = proxy.rss_kb();
    eprintln!(
        "reliability faults: {what}; proxy descriptors {fds0} -> {fds1}, TCP sockets {sockets0} -> {sockets1}, RSS {:.1} -> {:.1} MB (peak {:.1} MB)",
        rss0 as f64 / 1024.0,
        rss1 as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    assert!(
        rss1 <= rss0 + RSS_TOLERANCE_KB,
        "RSS grew from {rss0} to {rss1} KiB"
    );
}

async fn at_rest(proxy: &Child, max_sockets: usize, max_fds: usize) -> (usize, usize) {
    let ok = eventually(30, || {
        let (fds, sockets) = proc_fds(proxy.pid);
        sockets <= max_sockets && fds <= max_fds
    })
    .await;
    let now = proc_fds(proxy.pid);
    assert!(
        ok,
        "the proxy holds {} descriptors ({} TCP sockets), at rest it held {max_fds} ({max_sockets})",
        now.0, now.1
    );
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_gets_its_documented_answer_and_nothing_leaks() {
    let rounds = rounds();
    within(90 + 4 * rounds as u64, async {
        let emu = start_with(MockConfig {
            chunk_delay: Duration::from_millis(200),
            ..MockConfig::default()
        })
        .await;
        let silent = scripted(None).await;
        let garbage = scripted(Some(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n")).await;
        // A chunked SSE body: one whole chunk, then a chunk cut short by the close.
        let cut = scripted(Some(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nf\r\ndata: {\"n\":1}\n\n\r\n20\r\ndata: {\"n\":2",
        ))
        .await;
        let closed = scripted(Some(b"")).await;
        let proxy = Child::watch(
            &[
                "--json",
                "--head-timeout",
                "1",
                "--upstream",
                &format!("openai={}", emu.base_url()),
                "--upstream",
                &format!("anthropic={silent}"),
                "--upstream",
                &format!("gemini={garbage}"),
                "--upstream",
                &format!("azure={cut}"),
                "--upstream",
                &format!("groq={closed}"),
            ],
            true,
        )
        .await;
        let base = proxy.url.clone();
        {
            let warm = client();
            healthy(&warm, &base, "start").await;
        }
        // At rest: the listener and one pooled connection to the emulator.
        let (fds0, sockets0) = at_rest(&proxy, 2, usize::MAX).await;
        let (rss0, _) = proxy.rss_kb();

        for round in 0..rounds {
            let c = client();
            let body = chat_body(&format!("round {round}"), Some(5));

            // Accepts and never answers: 504 after --head-timeout.
            let r = request(&c, &base, ANTHROPIC, &body).send().await.unwrap();
            documented_error(r, 504, "upstream_timeout", "no answer from the upstream 127.0.0.1 within 1 s").await;
            healthy(&c, &base, "a silent upstream").await;

            // Not HTTP.
            let r = request(&c, &base, GEMINI, &body).send().await.unwrap();
            documented_error(r, 502, "upstream_bad_response", "did not answer with valid HTTP").await;
            healthy(&c, &base, "a garbage upstream").await;

            // Closes the connection without answering.
            let r = request(&c, &base, GROQ, &body).send().await.unwrap();
            documented_error(r, 502, "upstream_closed", "closed the connection before answering").await;
            healthy(&c, &base, "an upstream that closed").await;

            // A chunked body cut short: the status has gone, so the client's body ends in
            // an error after the whole first chunk.
            let r = request(&c, &base, AZURE, &body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let (got, broke) = read_to_end(r).await;
            assert!(broke, "a cut body must not end cleanly: {:?}", String::from_utf8_lossy(&got));
            assert!(got.starts_with(b"data: {\"n\":1}\n\n"), "{:?}", String::from_utf8_lossy(&got));
            healthy(&c, &base, "a cut chunked body").await;

            // The client leaves mid-stream: the upstream stream is cancelled too.
            let r = request(&c, &base, OPENAI, &stream_body("a long story")).send().await.unwrap();
            let mut chunks = r.bytes_stream();
            assert!(!chunks.next().await.unwrap().unwrap().is_empty());
            assert_eq!(emu.state()["in_flight"], 1);
            drop(chunks);
            assert!(
                eventually(20, || emu.state()["in_flight"] == 0).await,
                "the upstream stream outlived its client: {}",
                emu.state()
            );
            healthy(&c, &base, "a client that left mid-stream").await;

            // The client leaves while the upstream has not answered yet.
            let before = sent(&proxy.events());
            let pending = tokio::spawn(request(&c, &base, ANTHROPIC, &body).send());
            proxy.events_until(20, |ev| sent(ev) > before).await;
            pending.abort();
            let _ = pending.await;
            healthy(&c, &base, "a client that left before the answer").await;
        }

        // Every fault was recorded as what it was.
        let events = proxy
            .events_until(20, |ev| failures(ev, "the client closed the connection before the answer") >= rounds)
            .await;
        for (says, n) in [
            ("no answer from the upstream 127.0.0.1 within 1 s", rounds),
            ("did not answer with valid HTTP", rounds),
            ("closed the connection before answering", rounds),
            ("broke the response body after", rounds),
            ("the client closed the connection before the answer", rounds),
        ] {
            assert_eq!(failures(&events, says), n, "{says}: {events:#?}");
        }
        let cut_streams = count(&events, |k| {
            matches!(k, EventKind::StreamFinished { complete: false, .. })
        });
        assert_eq!(cut_streams, 2 * rounds, "the cut body and the stream left mid-way");
        assert_eq!(
            count(&events, |k| matches!(k, EventKind::Failed { .. })),
            5 * rounds
        );

        // Nothing leaks: no socket or descriptor more than at rest before, memory close.
        back_at_rest(&proxy, (fds0, sockets0, rss0), &format!("{rounds} rounds of 6 faults"))
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_not_timed_and_is_released_with_its_client() {
    within(60, async {
        // The head and a first event, then silence with the connection open.
        let stall = scripted_then_silent(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nf\r\ndata: {\"n\":1}\n\n\r\n",
        )
        .await;
        let proxy = Child::watch(&["--json", "--head-timeout", "1", "--upstream", &stall], true).await;
        let (fds0, sockets0) = at_rest(&proxy, 1, usize::MAX).await;
        let c = client();
        let r = request(&c, &proxy.url, OPENAI, &stream_body("slow")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let mut chunks = r.bytes_stream();
        assert_eq!(&chunks.next().await.unwrap().unwrap()[..], b"data: {\"n\":1}\n\n");
        // Past --head-timeout the stream is still open: a slow stream is not cut.
        let more = tokio::time::timeout(Duration::from_millis(2500), chunks.next()).await;
        assert!(more.is_err(), "the proxy ended a stalled stream: {more:?}");
        assert_eq!(proc_fds(proxy.pid).1, 3, "listener, client, upstream");
        // The client gives up: the proxy lets go of the upstream too.
        drop(chunks);
        drop(c);
        at_rest(&proxy, sockets0, fds0).await;
        let events = proxy.events_until(20, |ev| finished(ev) == 1).await;
        assert!(events.iter().any(|e| matches!(
            &e.kind,
            EventKind::StreamFinished { complete: false, bytes: 15, .. }
        )));
        assert_eq!(count(&events, |k| matches!(k, EventKind::Failed { .. })), 0);
    })
    .await;
}

/// What one request of the run got.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Ok,
    Unreachable,
    Closed,
    Cut,
}

async fn one_call(c: &reqwest::Client, base: &str, i: usize) -> Result<Outcome, String> {
    let r = request(c, base, OPENAI, &chat_body(&format!("run {i}"), Some(5)))
        .send()
        .await
        .map_err(|e| format!("no answer at all: {e}"))?;
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-ratedoctor-error")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (body, broke) = read_to_end(r).await;
    let text = String::from_utf8_lossy(&body);
    match (status, code.as_deref(), broke) {
        (200, None, false) if text.contains("chat.completion") => Ok(Outcome::Ok),
        (200, None, true) => Ok(Outcome::Cut),
        (502, Some("upstream_unreachable"), false) => Ok(Outcome::Unreachable),
        (502, Some("upstream_closed"), false) => Ok(Outcome::Closed),
        _ => Err(format!("{status} {code:?} broke={broke}: {text}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_killed_mid_stream_and_restarted_on_its_port() {
    within(120, async {
        let mock_args = |listen: &str| {
            vec![
                "--listen".to_string(),
                listen.to_string(),
                "--chunk-delay".into(),
                "300".into(),
            ]
        };
        let args: Vec<String> = mock_args("127.0.0.1:0");
        let mut mock = Child::mock(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let addr = mock.addr().to_string();
        let restart = || {
            let args = mock_args(&addr);
            async move { Child::mock(&args.iter().map(String::as_str).collect::<Vec<_>>()).await }
        };
        let proxy = Child::watch(&["--json", "--upstream", &mock.url], true).await;
        let base = proxy.url.clone();
        {
            let warm = client();
            healthy(&warm, &base, "start").await;
        }
        let (fds0, sockets0) = at_rest(&proxy, 2, usize::MAX).await;
        let (rss0, _) = proxy.rss_kb();

        // Killed mid-stream: the client has the status and a first chunk; its body must
        // end in an error, not as if the answer were whole.
        let c = client();
        let r = request(&c, &base, OPENAI, &stream_body("a long story")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let mut chunks = r.bytes_stream();
        let first = chunks.next().await.unwrap().unwrap();
        assert!(first.starts_with(b"data: "));
        mock.kill().await;
        let mut broke = false;
        while let Some(chunk) = chunks.next().await {
            if chunk.is_err() {
                broke = true;
                break;
            }
        }
        assert!(broke, "the stream of a killed upstream ended cleanly");
        proxy
            .events_until(20, |ev| failures(ev, "broke the response body after") == 1)
            .await;
        // While it is down: 502 upstream_unreachable, at once.
        let r = request(&c, &base, OPENAI, &chat_body("anyone?", Some(5))).send().await.unwrap();
        documented_error(r, 502, "upstream_unreachable", "cannot connect to the upstream 127.0.0.1").await;
        // Back on the same port: served again.
        let mut mock = restart().await;
        healthy(&c, &base, "the restart").await;
        drop(c);

        // Restarted during a run: four clients call in a loop while it is killed and
        // restarted. Calls sent once it listens again must all succeed; the others get an
        // answer or a documented error, and none hangs.
        let phase = Arc::new(AtomicU8::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let after_restart_ok = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for w in 0..4 {
            let (phase, stop, calls, ok2) = (
                Arc::clone(&phase),
                Arc::clone(&stop),
                Arc::clone(&calls),
                Arc::clone(&after_restart_ok),
            );
            let (c, base) = (client(), base.clone());
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut i = w * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    let p = phase.load(Ordering::SeqCst);
                    let got = one_call(&c, &base, i).await;
                    calls.fetch_add(1, Ordering::Relaxed);
                    if p == 2 && got == Ok(Outcome::Ok) {
                        ok2.fetch_add(1, Ordering::Relaxed);
                    }
                    seen.push((p, got));
                    i += 1;
                }
                seen
            }));
        }
        assert!(eventually(30, || calls.load(Ordering::Relaxed) >= 40).await);
        phase.store(1, Ordering::SeqCst);
        mock.kill().await;
        let down_at = calls.load(Ordering::Relaxed);
        assert!(eventually(30, || calls.load(Ordering::Relaxed) >= down_at + 40).await);
        let mut mock = restart().await;
        phase.store(2, Ordering::SeqCst);
        assert!(eventually(30, || after_restart_ok.load(Ordering::Relaxed) >= 40).await);
        stop.store(true, Ordering::Relaxed);
        let mut tally = std::collections::BTreeMap::new();
        for w in workers {
            for (p, got) in w.await.unwrap() {
                match (p, &got) {
                    (_, Err(e)) => panic!("phase {p}: {e}"),
                    (2, Ok(o)) => assert_eq!(*o, Outcome::Ok, "a call after the restart"),
                    _ => {}
                }
                *tally.entry(format!("{p}:{:?}", got.unwrap())).or_insert(0) += 1;
            }
        }
        assert!(tally.keys().any(|k| k == "1:Unreachable"), "{tally:?}");

        // At rest again: nothing but the listener and a pooled connection.
        mock.kill().await;
        let what = format!(
            "killed mid-stream, restarted twice on {addr}; the run's calls (phase 0 before the kill, 1 down, 2 restarted): {tally:?}"
        );
        back_at_rest(&proxy, (fds0, sockets0, rss0), &what).await;
    })
    .await;
}
