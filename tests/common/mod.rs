//! Shared helpers for the emulator tests: start the emulator on 127.0.0.1:0, call each
//! family the way its SDK does, read SSE incrementally, bound every test with a timeout.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::emulator::{MockConfig, MockHandle, spawn};
use ratedoctor::limiter::Limits;
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};

/// Fails the test instead of hanging it.
pub async fn within<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("test timed out after {secs} s"),
    }
}

pub async fn start(limits: Limits) -> MockHandle {
    start_with(MockConfig {
        limits,
        seed: 7,
        ..MockConfig::default()
    })
    .await
}

pub async fn start_with(config: MockConfig) -> MockHandle {
    spawn(config).await.expect("emulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// A response read to the end.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// The error message wherever the family puts it.
    pub fn message(&self) -> String {
        let v = self.json();
        let v = if v.is_array() { v[0].clone() } else { v };
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub async fn read(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = resp.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

pub const KEY: &str = "sk-test-emulator-0001";

/// A gzip body as text; panics unless it is valid gzip of UTF-8.
pub fn gunzip(packed: &[u8]) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(packed), &mut text)
        .expect("valid gzip");
    text
}

/// A chat body with `content` and optional max_tokens.
pub fn chat_body(content: &str, max_tokens: Option<u64>) -> Value {
    let mut b = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]});
    if let Some(m) = max_tokens {
        b["max_tokens"] = json!(m);
    }
    b
}

pub async fn openai(c: &reqwest::Client, base: &str, key: &str, body: &Value) -> Answer {
    let r = c
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("send");
    read(r).await
}

pub async fn azure(c: &reqwest::Client, base: &str, key: &str, body: &Value) -> Answer {
    let r = c
        .post(format!(
            "{base}/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-08-01-preview"
        ))
        .header("api-key", key)
        .json(body)
        .send()
        .await
        .expect("send");
    read(r).await
}

pub fn anthropic_body(content: &str, max_tokens: u64) -> Value {
    json!({"model": "claude-sonnet-4-20250514", "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": content}]})
}

pub async fn anthropic(c: &reqwest::Client, base: &str, key: &str, body: &Value) -> Answer {
    let r = c
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .expect("send");
    read(r).await
}

pub fn gemini_body(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

pub async fn gemini(c: &reqwest::Client, base: &str, key: &str, body: &Value) -> Answer {
    let r = c
        .post(format!(
            "{base}/v1beta/models/gemini-2.5-flash:generateContent"
        ))
        .header("x-goog-api-key", key)
        .json(body)
        .send()
        .await
        .expect("send");
    read(r).await
}

pub async fn state(c: &reqwest::Client, base: &str) -> Value {
    let r = c
        .get(format!("{base}/_mock/state"))
        .send()
        .await
        .expect("state");
    r.json().await.expect("state json")
}

/// One SSE event and when it arrived.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Option<String>,
    pub data: String,
    pub at: Instant,
}

/// Reads an SSE body chunk by chunk, parsing each event as soon as it is complete.
pub async fn sse_events(resp: reqwest::Response) -> Vec<Event> {
    use futures_util::StreamExt;
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        buf.push_str(std::str::from_utf8(&chunk).expect("utf8"));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            out.push(Event {
                name,
                data,
                at: Instant::now(),
            });
        }
    }
    assert!(
        buf.trim().is_empty(),
        "trailing bytes after the last event: {buf:?}"
    );
    out
}

#[path = "../skip/mod.rs"]
pub mod skip;

/// The Python interpreter with the official SDKs (`RATEDOCTOR_PYTHON`), or `None` to skip
/// the SDK tests (see `skip/mod.rs`: with `RATEDOCTOR_REQUIRE_TOOLS=1` a missing one fails).
pub fn sdk_python() -> Option<String> {
    let Some(py) = std::env::var("RATEDOCTOR_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
    else {
        skip::skip("the Python SDK tests", "RATEDOCTOR_PYTHON is not set");
        return None;
    };
    let ok = std::process::Command::new(&py)
        .args(["-c", "import openai, anthropic; from google import genai"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip::skip(
            "the Python SDK tests",
            &format!("{py} cannot import openai, anthropic and google.genai"),
        );
        return None;
    }
    Some(py)
}

/// A script under `tests/python/`.
pub fn python_script(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// A server with a header-read timeout under 3 s and a cap of `cap` connections (issue
/// #15, defect 4): a client that sends a few header bytes and stops is let go; a kept-alive
/// connection left idle after `request` is answered is let go; with `cap` connections held,
/// one more is answered 503 "too many connections" and closed. Returns the held ones.
pub async fn slow_idle_and_full(
    addr: &str,
    request: &[u8],
    cap: usize,
) -> Vec<tokio::net::TcpStream> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let closed_within = |mut s: tokio::net::TcpStream, secs: f64| async move {
        let mut buf = [0u8; 4096];
        let started = std::time::Instant::now();
        loop {
            match tokio::time::timeout(Duration::from_secs_f64(secs), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed().as_secs_f64()),
                Ok(Ok(_)) => continue,
                Err(_) => return None,
            }
        }
    };
    // A slow header: a few bytes, then nothing.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /v1/chat/comp").await.unwrap();
    let t = closed_within(slow, 5.0)
        .await
        .expect("a slow header is let go");
    assert!(t < 3.0, "closed after {t:.1} s");
    // An idle kept-alive connection after one answered request.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(request).await.unwrap();
    let t = closed_within(idle, 5.0)
        .await
        .expect("an idle connection is let go");
    assert!(t < 3.0, "closed after {t:.1} s");
    // Full: `cap` held connections, the next one is answered 503 and closed.
    let mut held = Vec::new();
    for _ in 0..cap {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), extra.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.contains("too many connections"),
        "{answer}"
    );
    held
}

/// The real binary with a clean environment: only PATH, NO_COLOR and a HOME with no
/// `.env` of the user's.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ratedoctor"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("HOME", std::env::temp_dir());
    c
}
