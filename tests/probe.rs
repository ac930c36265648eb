//! `ratedoctor probe` end to end: the real binary against the emulator on loopback, and
//! against tiny scripted servers for the failures the emulator does not produce.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{start, within};
use ratedoctor::limiter::Limits;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

const CANARY: &str = "sk-test-LEAKCHECK-probe-0123456789abcdef";

fn probe_cmd(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ratedoctor"));
    c.arg("probe")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

async fn probe(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let e: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        probe_cmd(&a, &e).output().unwrap()
    })
    .await
    .unwrap()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn no_leak(out: &Output) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("LEAKCHECK"), "key leaked: {all}");
}

fn budget<'a>(v: &'a Value, dim: &str) -> &'a Value {
    v["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["dimension"] == dim)
        .unwrap_or_else(|| panic!("no {dim} budget in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_budgets_match_the_emulator() {
    within(60, async {
        let h = start(Limits {
            rpm: Some(60),
            tpm: Some(10_000),
            ..Limits::default()
        })
        .await;
        let base = format!("{}/v1", h.base_url());
        let out = probe(
            s(&["--provider", "openai", "--base-url", &base, "--json"]),
            vec![("OPENAI_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_leak(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["provider"], "openai");
        assert_eq!(v["calls"], 1);
        assert!(v["tokens_spent"].as_u64().unwrap() >= 2);
        let r = budget(&v, "requests");
        assert_eq!(
            (r["limit"].as_f64(), r["remaining"].as_f64()),
            (Some(60.0), Some(59.0))
        );
        assert_eq!(r["window"], "minute");
        let t = budget(&v, "tokens");
        assert_eq!(t["limit"].as_f64(), Some(10_000.0));
        // The emulator's own state agrees with what the headers said.
        let state = common::state(&common::client(), &h.base_url()).await;
        let buckets = state["keys"][0]["buckets"].as_array().unwrap();
        let tpm = buckets.iter().find(|b| b["dim"] == "tpm").unwrap();
        let spent = 10_000.0 - t["remaining"].as_f64().unwrap();
        let state_spent = 10_000.0 - tpm["remaining"].as_f64().unwrap();
        assert!(
            (spent - state_spent).abs() <= 2.0,
            "headers {spent} vs state {state_spent}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_key_decides_and_the_sdk_base_url_variable_is_honoured() {
    // Issue #14: `--base-url http://127.0.0.1:PORT/v1` with only OPENAI_API_KEY set, and
    // OPENAI_BASE_URL alone, both probe the emulator as OpenAI.
    within(60, async {
        let h = start(Limits {
            rpm: Some(60),
            ..Limits::default()
        })
        .await;
        let base = format!("{}/v1", h.base_url());
        let by_flag = probe(
            s(&["--base-url", &base, "--json"]),
            vec![("OPENAI_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(by_flag.status.code(), Some(0), "{}", text(&by_flag.stderr));
        no_leak(&by_flag);
        let v: Value = serde_json::from_slice(&by_flag.stdout).unwrap();
        assert_eq!(v["provider"], "openai");
        assert_eq!(budget(&v, "requests")["remaining"].as_f64(), Some(59.0));
        let by_env = probe(
            s(&["--json"]),
            vec![
                ("OPENAI_API_KEY", CANARY.into()),
                ("OPENAI_BASE_URL", base.clone()),
            ],
        )
        .await;
        assert_eq!(by_env.status.code(), Some(0), "{}", text(&by_env.stderr));
        let v: Value = serde_json::from_slice(&by_env.stdout).unwrap();
        assert_eq!(v["provider"], "openai");
        // The second call reached the emulator, not api.openai.com.
        assert_eq!(budget(&v, "requests")["remaining"].as_f64(), Some(58.0));
        // With two keys and a URL that names no provider, one clear line asks for one.
        let two = probe(
            s(&["--base-url", &base]),
            vec![
                ("OPENAI_API_KEY", CANARY.into()),
                ("GROQ_API_KEY", CANARY.into()),
            ],
        )
        .await;
        assert_eq!(two.status.code(), Some(2));
        let err = text(&two.stderr);
        assert!(
            err.contains("--provider") && err.lines().count() == 1,
            "{err}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_reports_its_budgets() {
    within(60, async {
        let h = start(Limits {
            rpm: Some(50),
            tpm: Some(20_000),
            input_tpm: Some(8_000),
            output_tpm: Some(4_000),
            ..Limits::default()
        })
        .await;
        let base = h.base_url();
        // Anthropic: requests, input and output tokens, RFC 3339 resets.
        let out = probe(
            s(&[
                "--provider",
                "anthropic",
                "--base-url",
                &base,
                "--json",
                "--raw",
            ]),
            vec![("ANTHROPIC_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_leak(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(budget(&v, "requests")["limit"].as_f64(), Some(50.0));
        assert_eq!(budget(&v, "input_tokens")["limit"].as_f64(), Some(8_000.0));
        assert_eq!(budget(&v, "output_tokens")["limit"].as_f64(), Some(4_000.0));
        assert!(
            v["raw_headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h[0] == "anthropic-ratelimit-requests-reset")
        );
        // Azure: deployment as the model.
        let out = probe(
            s(&[
                "--provider",
                "azure",
                "--base-url",
                &base,
                "--model",
                "gpt-4o-dep",
                "--json",
            ]),
            vec![("AZURE_OPENAI_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(budget(&v, "requests")["limit"].as_f64(), Some(50.0));
        // Gemini sends no budget headers: said plainly.
        let out = probe(
            s(&["--provider", "gemini", "--base-url", &base]),
            vec![("GEMINI_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_leak(&out);
        let t = text(&out.stdout);
        assert!(t.contains("sends no rate-limit headers"), "{t}");
        assert!(t.contains("cost "), "{t}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_stops_at_the_first_429_and_diagnoses_it() {
    within(60, async {
        let h = start(Limits {
            rpm: Some(3),
            ..Limits::default()
        })
        .await;
        let base = format!("{}/v1", h.base_url());
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("probe.jsonl");
        let out = probe(
            s(&[
                "--provider",
                "openai",
                "--base-url",
                &base,
                "--calls",
                "10",
                "--yes",
                "--json",
                "--record",
                rec.to_str().unwrap(),
            ]),
            vec![("OPENAI_API_KEY", CANARY.into())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_leak(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["calls"], 4, "3 allowed, the 4th refused, then stop");
        assert_eq!(v["stopped_on_429"], true);
        // The burst's summary is the one every command prints (issue #14).
        let sum = &v["summary"];
        assert_eq!(
            (sum["requests"].as_u64(), sum["ok"].as_u64()),
            (Some(4), Some(3))
        );
        assert_eq!(sum["rate_limited_by_kind"]["rpm"], 1, "{sum}");
        let d = &v["diagnoses"][0];
        assert_eq!(
            (d["provider"].as_str(), d["kind"].as_str()),
            (Some("openai"), Some("rpm"))
        );
        assert_eq!(d["limit"].as_f64(), Some(3.0));
        assert!(d["retry_after_s"].as_f64().unwrap() > 0.0);
        let err = text(&out.stderr);
        assert!(err.contains("costs at most"), "{err}");
        let recorded = std::fs::read_to_string(&rec).unwrap();
        assert!(!recorded.contains("LEAKCHECK"));
        let events: Vec<ratedoctor::event::Event> = recorded
            .lines()
            .map(|l| ratedoctor::event::Event::from_json_line(l).unwrap())
            .collect();
        assert_eq!(events.len(), 8, "a request and a response per call");
        let state = common::state(&common::client(), &h.base_url()).await;
        assert_eq!(state["requests"], 4, "nothing sent after the 429");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_and_confirmation_rules_hold() {
    within(30, async {
        let h = start(Limits::default()).await;
        let base = format!("{}/v1", h.base_url());
        let env = vec![("OPENAI_API_KEY", CANARY.to_string())];
        let over = probe(
            s(&[
                "--provider",
                "openai",
                "--base-url",
                &base,
                "--calls",
                "21",
                "--yes",
            ]),
            env.clone(),
        )
        .await;
        assert_eq!(over.status.code(), Some(2));
        assert!(
            text(&over.stderr).contains("over the cap of 20"),
            "{}",
            text(&over.stderr)
        );
        let no_yes = probe(
            s(&["--provider", "openai", "--base-url", &base, "--calls", "2"]),
            env.clone(),
        )
        .await;
        assert_eq!(no_yes.status.code(), Some(2));
        assert!(text(&no_yes.stderr).contains("without --yes"));
        let raised = probe(
            s(&[
                "--provider",
                "openai",
                "--base-url",
                &base,
                "--calls",
                "25",
                "--max-calls",
                "25",
                "--yes",
                "--json",
            ]),
            env,
        )
        .await;
        assert_eq!(raised.status.code(), Some(0), "{}", text(&raised.stderr));
        let state = common::state(&common::client(), &h.base_url()).await;
        assert_eq!(
            state["requests"], 25,
            "nothing was sent by the refused runs"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_come_from_dotenv_and_the_real_environment_wins() {
    within(30, async {
        let h = start(Limits {
            rpm: Some(10),
            ..Limits::default()
        })
        .await;
        let base = format!("{}/v1", h.base_url());
        let dir = tempfile::tempdir().unwrap();
        let env_file = dir.path().join(".env");
        std::fs::write(&env_file, format!("OPENAI_API_KEY={CANARY}\n")).unwrap();
        let out = probe(
            s(&[
                "--base-url",
                &base,
                "--provider",
                "openai",
                "--env-file",
                env_file.to_str().unwrap(),
            ]),
            vec![],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_leak(&out);
        // No key anywhere: a clear error, nothing sent.
        let out = probe(s(&["--base-url", &base, "--provider", "openai"]), vec![]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("OPENAI_API_KEY"));
        // Two providers' keys and no --provider: ambiguity lists the choices.
        let out = probe(
            s(&[]),
            vec![
                ("OPENAI_API_KEY", CANARY.into()),
                ("ANTHROPIC_API_KEY", CANARY.into()),
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("--provider"),
            "{}",
            text(&out.stderr)
        );
        no_leak(&out);
    })
    .await;
}

/// A one-shot scripted server: answers every connection with `response`, or never answers.
fn scripted(response: Option<&'static str>) -> (String, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        if let Ok((mut sock, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf);
            match response {
                Some(r) => {
                    let _ = sock.write_all(r.as_bytes());
                }
                None => std::thread::sleep(std::time::Duration::from_secs(3)),
            }
        }
    });
    (url, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_failures_and_odd_servers_get_one_clear_line() {
    within(60, async {
        let env = vec![("OPENAI_API_KEY", CANARY.to_string())];
        // Refused: a port nobody listens on.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = probe(s(&["--provider", "openai", "--base-url", &format!("http://127.0.0.1:{port}/v1")]), env.clone()).await;
        assert_eq!(out.status.code(), Some(4));
        assert!(text(&out.stderr).contains("connection refused"), "{}", text(&out.stderr));
        // Never answers: the timeout.
        let (url, _t) = scripted(None);
        let out = probe(s(&["--provider", "openai", "--base-url", &url, "--timeout", "0.5"]), env.clone()).await;
        assert_eq!(out.status.code(), Some(4));
        assert!(text(&out.stderr).contains("no answer"), "{}", text(&out.stderr));
        // Not an API: an HTML page.
        let (url, _t) = scripted(Some("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 15\r\nconnection: close\r\n\r\n<html>hi</html>"));
        let out = probe(s(&["--provider", "openai", "--base-url", &url]), env.clone()).await;
        assert_eq!(out.status.code(), Some(5));
        assert!(text(&out.stdout).contains("not JSON"), "{}", text(&out.stdout));
        // A rejected key.
        let body = r#"{"error":{"message":"Incorrect API key provided: sk-test-********cdef.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let resp: &'static str = Box::leak(
            format!("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).into_boxed_str(),
        );
        let (url, _t) = scripted(Some(resp));
        let out = probe(s(&["--provider", "openai", "--base-url", &url]), env.clone()).await;
        assert_eq!(out.status.code(), Some(5));
        assert!(text(&out.stdout).contains("API key rejected"), "{}", text(&out.stdout));
        no_leak(&out);
        // TLS to a server that speaks plain HTTP: the handshake fails.
        let (url, _t) = scripted(Some("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"));
        let tls_url = url.replacen("http://", "https://", 1);
        let out = probe(s(&["--provider", "openai", "--base-url", &tls_url]), env.clone()).await;
        assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("TLS"), "{}", text(&out.stderr));
        // A bad base URL.
        let out = probe(s(&["--provider", "openai", "--base-url", "ftp://example"]), env).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(!text(&out.stderr).contains("panicked"));
    })
    .await;
}
