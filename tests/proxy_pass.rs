//! The proxy is invisible: for every family, plain and streamed, the client gets the same
//! status, headers and bytes through the proxy as directly (two emulators with the same
//! seed answer the same request identically); SSE chunks arrive as they are sent; events
//! carry the right snapshots, usage and diagnoses; `/_ratedoctor/metrics` and `/state`
//! report them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod proxy_common;

use common::*;
use proxy_common::*;
use ratedoctor::diagnose::Kind;
use ratedoctor::emulator::MockConfig;
use ratedoctor::event::{Event, EventKind};
use ratedoctor::headers::Dimension;
use ratedoctor::limiter::Limits;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Case {
    name: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Value,
    model: &'static str,
    stream: bool,
}

fn cases() -> Vec<Case> {
    let bearer = vec![("authorization", "Bearer sk-test-emulator-0001")];
    let azure = vec![("api-key", "azure-test-key-0001")];
    let anth = vec![
        ("x-api-key", "sk-ant-test-0001"),
        ("anthropic-version", "2023-06-01"),
    ];
    let gem = vec![("x-goog-api-key", "AIza-test-0001")];
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 12});
    let mut chat_stream = chat.clone();
    chat_stream["stream"] = json!(true);
    chat_stream["stream_options"] = json!({"include_usage": true});
    let msg = anthropic_body("hello there", 12);
    let mut msg_stream = msg.clone();
    msg_stream["stream"] = json!(true);
    let g = gemini_body("hello there");
    vec![
        Case {
            name: "openai chat",
            path: "/v1/chat/completions",
            headers: bearer.clone(),
            body: chat.clone(),
            model: "gpt-4o-mini",
            stream: false,
        },
        Case {
            // Compressed as the providers' servers compress: passed on as it came, read
            // decoded.
            name: "openai chat gzip",
            path: "/v1/chat/completions",
            headers: vec![bearer[0], ("accept-encoding", "gzip, deflate")],
            body: chat.clone(),
            model: "gpt-4o-mini",
            stream: false,
        },
        Case {
            name: "openai chat stream",
            path: "/v1/chat/completions",
            headers: bearer,
            body: chat_stream.clone(),
            model: "gpt-4o-mini",
            stream: true,
        },
        Case {
            name: "azure chat",
            path: "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
            headers: azure.clone(),
            body: chat,
            model: "gpt-4o-prod",
            stream: false,
        },
        Case {
            name: "azure chat stream",
            path: "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
            headers: azure,
            body: chat_stream,
            model: "gpt-4o-prod",
            stream: true,
        },
        Case {
            name: "anthropic messages",
            path: "/v1/messages",
            headers: anth.clone(),
            body: msg,
            model: "claude-sonnet-4-20250514",
            stream: false,
        },
        Case {
            name: "anthropic messages stream",
            path: "/v1/messages",
            headers: anth,
            body: msg_stream,
            model: "claude-sonnet-4-20250514",
            stream: true,
        },
        Case {
            name: "gemini generate",
            path: "/v1beta/models/gemini-2.5-flash:generateContent",
            headers: gem.clone(),
            body: g.clone(),
            model: "gemini-2.5-flash",
            stream: false,
        },
        Case {
            name: "gemini stream sse",
            path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            headers: gem.clone(),
            body: g.clone(),
            model: "gemini-2.5-flash",
            stream: true,
        },
        Case {
            name: "gemini stream json array",
            path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            headers: gem,
            body: g,
            model: "gemini-2.5-flash",
            stream: true,
        },
    ]
}

struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn send(c: &reqwest::Client, base: &str, case: &Case) -> Raw {
    let mut r = c
        .post(format!("{base}{}", case.path))
        .body(serde_json::to_vec(&case.body).unwrap())
        .header("content-type", "application/json");
    for (k, v) in &case.headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.expect("send");
    let status = resp.status().as_u16();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            k != "date" && !k.contains("reset")
        })
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    headers.sort();
    let body = resp.bytes().await.expect("body").to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

fn emulator_config() -> MockConfig {
    MockConfig {
        limits: Limits {
            rpm: Some(1000),
            tpm: Some(1_000_000),
            input_tpm: Some(1_000_000),
            output_tpm: Some(1_000_000),
            ..Limits::default()
        },
        seed: 11,
        ..MockConfig::default()
    }
}

/// One case: direct to emulator A, through the proxy to emulator B (same seed).
async fn compare_once(case: &Case) -> Result<Vec<Event>, String> {
    let a = start_with(emulator_config()).await;
    let b = start_with(emulator_config()).await;
    let (p, mut rx) = proxy(config(&b.base_url())).await;
    let c = client();
    let direct = send(&c, &a.base_url(), case).await;
    let via = send(&c, &p.base_url(), case).await;
    let events = events_until(&mut rx, 10, |ev| finished(ev) >= 1).await;
    p.shutdown().await;
    if direct.status != 200 || via.status != 200 {
        return Err(format!(
            "{}: status {} direct, {} via proxy: {}",
            case.name,
            direct.status,
            via.status,
            String::from_utf8_lossy(&via.body)
        ));
    }
    if hash(&direct.body) != hash(&via.body) {
        return Err(format!(
            "{}: bodies differ\n direct: {}\n    via: {}",
            case.name,
            String::from_utf8_lossy(&direct.body),
            String::from_utf8_lossy(&via.body)
        ));
    }
    let gzip_asked = case.headers.iter().any(|(k, _)| *k == "accept-encoding");
    let gzipped = via
        .headers
        .iter()
        .any(|(k, v)| k == "content-encoding" && v == "gzip");
    assert_eq!(gzip_asked, gzipped, "{}: {:?}", case.name, via.headers);
    if direct.headers != via.headers {
        return Err(format!(
            "{}: headers differ\n direct: {:?}\n    via: {:?}",
            case.name, direct.headers, via.headers
        ));
    }
    // The proxy's own view of the exchange.
    let sent = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::RequestSent { model, stream, .. } => Some((model.clone(), *stream)),
            _ => None,
        })
        .ok_or("no RequestSent")?;
    assert_eq!(sent.0.as_deref(), Some(case.model), "{}", case.name);
    assert_eq!(sent.1, case.stream, "{}", case.name);
    let fin = events.iter().find_map(|e| match &e.kind {
        EventKind::StreamFinished {
            bytes,
            usage,
            complete,
            ..
        } => Some((*bytes, *usage, *complete)),
        _ => None,
    });
    let (bytes, usage, complete) = fin.ok_or("no StreamFinished")?;
    assert!(complete, "{}", case.name);
    assert_eq!(bytes, via.body.len() as u64, "{}", case.name);
    let usage = usage.unwrap_or_else(|| panic!("{}: no usage read from the body", case.name));
    assert!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "{}: {usage:?}",
        case.name
    );
    Ok(events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_passes_byte_for_byte_plain_and_streamed() {
    within(120, async {
        for case in cases() {
            // Bodies carry the emulator's wall-clock second; a pair that straddles a
            // second boundary may differ there, so a mismatch is tried again twice.
            let mut last = String::new();
            let mut ok = false;
            for _ in 0..3 {
                match compare_once(&case).await {
                    Ok(events) => {
                        let snap = events.iter().find_map(|e| match &e.kind {
                            EventKind::ResponseReceived {
                                status, snapshot, ..
                            } => Some((*status, snapshot.clone())),
                            _ => None,
                        });
                        let (status, snapshot) = snap.expect("ResponseReceived");
                        assert_eq!(status, 200);
                        if !case.name.starts_with("gemini") {
                            let req = snapshot
                                .get(Dimension::Requests)
                                .unwrap_or_else(|| panic!("{}: {snapshot:?}", case.name));
                            assert_eq!(req.limit, Some(1000.0), "{}", case.name);
                            assert_eq!(req.remaining, Some(999.0), "{}", case.name);
                        }
                        ok = true;
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            assert!(ok, "{last}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_chunks_reach_the_client_as_they_are_sent() {
    within(60, async {
        let emu = start_with(MockConfig {
            chunk_delay: Duration::from_millis(120),
            seed: 3,
            ..MockConfig::default()
        })
        .await;
        let (p, mut rx) = proxy(config(&emu.base_url())).await;
        let body = json!({"model": "gpt-4o-mini", "stream": true, "max_tokens": 6,
            "messages": [{"role": "user", "content": "count"}]});
        let t0 = Instant::now();
        let resp = client()
            .post(format!("{}/v1/chat/completions", p.base_url()))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let head_at = t0.elapsed();
        let events = sse_events(resp).await;
        assert!(events.len() >= 5, "{events:?}");
        // The head came before the body was produced, and chunk i arrived about i delays
        // after the first, not all at once at the end.
        assert!(head_at < Duration::from_millis(400), "{head_at:?}");
        let first = events[0].at;
        let last = events[events.len() - 1].at;
        let spread = last.duration_since(first);
        let expected = Duration::from_millis(120 * (events.len() as u64 - 2));
        assert!(spread >= expected, "spread {spread:?} < {expected:?}");
        for w in events.windows(2).take(events.len() - 2) {
            let gap = w[1].at.duration_since(w[0].at);
            assert!(gap >= Duration::from_millis(60), "chunks bunched: {gap:?}");
        }
        let got = events_until(&mut rx, 5, |ev| finished(ev) >= 1).await;
        // The response head was reported before the body finished.
        let rr = got
            .iter()
            .position(|e| matches!(e.kind, EventKind::ResponseReceived { .. }))
            .unwrap();
        let sf = got
            .iter()
            .position(|e| matches!(e.kind, EventKind::StreamFinished { .. }))
            .unwrap();
        assert!(rr < sf);
        assert!(got[sf].t_ms - got[rr].t_ms >= 100.0, "{got:?}");
        p.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_passed_through_diagnosed_and_counted() {
    within(60, async {
        let emu = start(Limits {
            rpm: Some(2),
            ..Limits::default()
        })
        .await;
        let (p, mut rx) = proxy(config(&emu.base_url())).await;
        let c = client();
        let body = chat_body("hi", Some(5));
        for _ in 0..2 {
            assert_eq!(openai(&c, &p.base_url(), KEY, &body).await.status, 200);
        }
        let direct_shape = openai(&c, &p.base_url(), KEY, &body).await;
        assert_eq!(direct_shape.status, 429);
        assert!(direct_shape.message().contains("requests per min (RPM)"));
        assert!(direct_shape.header("retry-after").is_some());
        let anth = anthropic(&c, &p.base_url(), "sk-ant-k", &anthropic_body("hi", 5)).await;
        assert_eq!(anth.status, 200);
        let events = events_until(&mut rx, 10, |ev| finished(ev) >= 4).await;
        let limited = events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::ResponseReceived {
                    status: 429,
                    snapshot,
                    diagnosis,
                    headers,
                    ..
                } => Some((snapshot.clone(), diagnosis.clone(), headers.clone())),
                _ => None,
            })
            .expect("a 429 event");
        let d = limited.1.expect("diagnosis");
        assert_eq!(d.kind, Kind::Rpm);
        assert!(d.retryable);
        assert_eq!(d.limit, Some(2.0));
        let req = limited.0.get(Dimension::Requests).unwrap();
        assert_eq!((req.limit, req.remaining), (Some(2.0), Some(0.0)));
        assert!(limited.0.retry_after_s.unwrap() > 0.0);
        assert!(limited.2.iter().any(|(k, _)| k == "retry-after"));
        // Anthropic's budget headers are read too.
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::ResponseReceived { status: 200, snapshot, .. }
                if snapshot.get(Dimension::Requests).is_some_and(|b| b.limit == Some(2.0)))));

        let state = p.state_json();
        assert_eq!(state["requests"], 4);
        assert_eq!(state["rate_limited"], 1);
        assert_eq!(state["by_kind"]["rpm"], 1);
        let c2 = client();
        let m = c2
            .get(format!("{}/_ratedoctor/metrics", p.base_url()))
            .send()
            .await
            .unwrap();
        assert!(
            m.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = m.text().await.unwrap();
        for needle in [
            "ratedoctor_requests_total 4",
            "ratedoctor_responses_total{status=\"429\"} 1",
            "ratedoctor_errors_by_kind_total{kind=\"rpm\"} 1",
            "ratedoctor_budget_remaining{provider=\"openai\",dimension=\"requests\"",
            "ratedoctor_budget_limit{provider=\"anthropic\",dimension=\"requests\"",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
        let s: Value = c2
            .get(format!("{}/_ratedoctor/state", p.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(s["rate_limited"], 1);
        assert!(s["recommendation"].as_str().unwrap().len() > 10);
        p.shutdown().await;
    })
    .await;
}

/// A gzip-compressed 429 reaches the client compressed, exactly as sent, and is
/// diagnosed from its decoded text, both when it is passed back and when `--retry` reads
/// it to decide whether and how long to wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_429_is_passed_on_as_it_came_and_diagnosed() {
    within(60, async {
        for retry in [0, 1] {
            let emu = start(Limits {
                rpm: Some(1),
                ..Limits::default()
            })
            .await;
            let mut cfg = config(&emu.base_url());
            cfg.retry = retry;
            cfg.retry_max_wait = Duration::from_millis(1);
            let (p, mut rx) = proxy(cfg).await;
            let c = client();
            let send = || {
                c.post(format!("{}/v1/chat/completions", p.base_url()))
                    .bearer_auth(KEY)
                    .header("accept-encoding", "gzip")
                    .json(&chat_body("hi", Some(5)))
                    .send()
            };
            let ok = send().await.unwrap();
            assert_eq!(ok.status(), 200);
            let ok_body = ok.bytes().await.unwrap();
            let refused = send().await.unwrap();
            assert_eq!(refused.status(), 429);
            assert_eq!(refused.headers()["content-encoding"], "gzip");
            let text = gunzip(&refused.bytes().await.unwrap());
            assert!(text.contains("requests per min (RPM)"), "{text}");
            let events = events_until(&mut rx, 10, |ev| finished(ev) >= 2).await;
            // The 200's usage, read from the compressed body, is the usage in it.
            let sent: Value = serde_json::from_str(&gunzip(&ok_body)).unwrap();
            let usage = events
                .iter()
                .find_map(|e| match &e.kind {
                    EventKind::StreamFinished { usage: Some(u), .. } => Some(*u),
                    _ => None,
                })
                .expect("usage read from the gzip body");
            assert_eq!(
                (usage.input_tokens, usage.output_tokens),
                (
                    sent["usage"]["prompt_tokens"].as_u64().unwrap(),
                    sent["usage"]["completion_tokens"].as_u64().unwrap()
                )
            );
            let d = events
                .iter()
                .find_map(|e| match &e.kind {
                    EventKind::ResponseReceived {
                        status: 429,
                        diagnosis,
                        ..
                    } => diagnosis.clone(),
                    _ => None,
                })
                .expect("the compressed 429 diagnosed");
            assert_eq!(d.kind, Kind::Rpm);
            assert_eq!(d.limit, Some(1.0));
            p.shutdown().await;
        }
    })
    .await;
}

/// An SSE stream compressed with brotli reaches the client as it came, and its usage is
/// read from the final chunk through the decoder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_stream_passes_as_it_came_and_its_usage_is_read() {
    within(30, async {
        let sse = concat!(
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n",
            "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n",
            "data: [DONE]\n\n"
        );
        let mut packed = Vec::new();
        {
            let mut e = brotli::CompressorWriter::new(&mut packed, 4096, 5, 22);
            std::io::Write::write_all(&mut e, sse.as_bytes()).unwrap();
        }
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: br\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            packed.len()
        )
        .into_bytes();
        reply.extend_from_slice(&packed);
        let upstream = scripted(Some(Box::leak(reply.into_boxed_slice()))).await;
        let (p, mut rx) = proxy(config(&upstream)).await;
        let resp = client()
            .post(format!("{}/v1/chat/completions", p.base_url()))
            .bearer_auth(KEY)
            .header("accept-encoding", "br")
            .json(&json!({"model": "gpt-4o-mini", "stream": true,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["content-encoding"], "br");
        let got = resp.bytes().await.unwrap();
        assert_eq!(hash(&got), hash(&packed), "the compressed bytes changed on the way");
        let events = events_until(&mut rx, 10, |ev| finished(ev) >= 1).await;
        let usage = events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::StreamFinished { usage, complete: true, .. } => Some(*usage),
                _ => None,
            })
            .expect("the stream finished");
        let usage = usage.expect("usage read from the compressed stream");
        assert_eq!((usage.input_tokens, usage.output_tokens), (7, 3));
        p.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_too_big_to_hold_streams_through() {
    within(60, async {
        let emu = start(Limits::default()).await;
        let (p, mut rx) = proxy(config(&emu.base_url())).await;
        let big = "a ".repeat(4_500_000);
        let body = chat_body(&big, Some(5));
        let bytes = serde_json::to_vec(&body).unwrap();
        assert!(bytes.len() > ratedoctor::proxy::MAX_REQUEST_BUFFER);
        let c = client();
        let direct = openai(&c, &emu.base_url(), KEY, &body).await;
        let via = openai(&c, &p.base_url(), KEY, &body).await;
        assert_eq!(direct.status, 200, "{}", direct.text);
        assert_eq!(via.status, 200, "{}", via.text);
        let events = events_until(&mut rx, 10, |ev| finished(ev) >= 1).await;
        // Only the path was read: no token estimate from a body that was never held.
        assert!(events.iter().any(|e| matches!(
            &e.kind,
            EventKind::RequestSent {
                est_input_tokens: None,
                ..
            }
        )));
        let u = events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::StreamFinished { usage, .. } => *usage,
                _ => None,
            })
            .unwrap();
        assert!(u.input_tokens > 1_000_000, "{u:?}");
        p.shutdown().await;
    })
    .await;
}

/// Reads one HTTP/1.1 response with a content-length from a raw socket.
async fn read_response(s: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut tmp).await.unwrap();
        assert!(
            n > 0,
            "connection closed: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .expect("content-length");
    while buf.len() < head_end + len {
        let n = s.read(&mut tmp).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&tmp[..n]);
    }
    (head, buf[head_end..head_end + len].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_connection_carries_many_requests() {
    use tokio::io::AsyncWriteExt;
    within(30, async {
        let emu = start(Limits::default()).await;
        let (p, _rx) = proxy(config(&emu.base_url())).await;
        let mut s = tokio::net::TcpStream::connect(p.addr()).await.unwrap();
        for i in 0..3 {
            let body = serde_json::to_vec(&chat_body(&format!("ping {i}"), Some(3))).unwrap();
            let head = format!(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&body).await.unwrap();
            let (head, body) = read_response(&mut s).await;
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["object"], "chat.completion");
        }
        assert_eq!(p.stats().connections, 1);
        p.shutdown().await;
    })
    .await;
}
