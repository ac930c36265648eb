//! `ratedoctor watch` and `ratedoctor run` as a user runs them: the loopback rule, the
//! child's environment and exit code, a recording with no key in it, and the official
//! `openai` and `anthropic` Python SDKs under `ratedoctor run` against the emulator —
//! plain, streamed, past the limit and retried by the SDK itself — checked both from what
//! the SDK got and from what ratedoctor recorded.
//!
//! The SDK tests use the interpreter in `RATEDOCTOR_PYTHON` (a virtualenv with
//! `tests/python/requirements.txt`); without it they say SKIPPED and pass, unless
//! `RATEDOCTOR_REQUIRE_TOOLS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod proxy_common;

use common::*;
use proxy_common::ratedoctor_cmd as command;
use ratedoctor::diagnose::{Kind, Provider};
use ratedoctor::event::{Event, EventKind, RetryBy};
use ratedoctor::limiter::Limits;
use ratedoctor::session::{EARLY_TOLERANCE_S, Session};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

fn read_events(path: &Path) -> (String, Vec<Event>) {
    let text = std::fs::read_to_string(path).unwrap();
    let events = text
        .lines()
        .map(|l| Event::from_json_line(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (text, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_refuses_a_public_address_unless_allowed() {
    within(30, async {
        let out = command()
            .args(["watch", "--listen", "0.0.0.0:0"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--allow-remote"), "{err}");

        // A busy port says how to get a free one; localhost is a loopback address.
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        let out = command()
            .args([
                "watch",
                "--no-tui",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("in use") && err.contains("--listen 127.0.0.1:0"),
            "{err}"
        );
        let mut local = command()
            .args(["watch", "--no-tui", "--listen", "localhost:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(local.stderr.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
        local.kill().await.unwrap();
        let mut mock = command()
            .args(["mock", "--listen", "0.0.0.0:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(mock.stderr.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        assert!(
            first.contains("WARNING") && first.contains("other machines"),
            "{first}"
        );
        mock.kill().await.unwrap();

        // --retry has a ceiling (issue #15): past 10 a failing request is an outage.
        for cmd in [
            &["watch", "--retry", "11"][..],
            &["run", "--retry", "11", "--", "true"],
        ] {
            let out = command().args(cmd).output().await.unwrap();
            assert_eq!(out.status.code(), Some(2), "{cmd:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("--retry") && err.contains("0..=10"), "{err}");
        }

        let mut child = command()
            .args(["watch", "--listen", "0.0.0.0:0", "--allow-remote"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        assert!(first.contains("WARNING"), "{first}");
        child.kill().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_points_the_child_at_the_proxy_and_exits_with_its_code() {
    within(30, async {
        let emu = start(Limits::default()).await;
        let out = command()
            .args(["run", "--upstream", &emu.base_url(), "--"])
            .args([
                "sh",
                "-c",
                "echo \"$OPENAI_BASE_URL $ANTHROPIC_BASE_URL $AZURE_OPENAI_ENDPOINT $GOOGLE_GEMINI_BASE_URL\"; exit 7",
            ])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(7));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let parts: Vec<&str> = stdout.split_whitespace().collect();
        assert_eq!(parts.len(), 4, "{stdout}");
        let base = parts[1];
        assert!(base.starts_with("http://127.0.0.1:"), "{stdout}");
        assert_ne!(base, emu.base_url());
        assert_eq!(parts[0], format!("{base}/v1"));
        assert_eq!((parts[2], parts[3]), (base, base));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("ratedoctor summary"), "{stderr}");

        let ok = command()
            .args(["run", "--upstream", &emu.base_url(), "--", "true"])
            .output()
            .await
            .unwrap();
        assert_eq!(ok.status.code(), Some(0));
        // As shells say: 127 for a program not found, 126 for one that cannot run.
        let missing = command()
            .args(["run", "--", "/no/such/program"])
            .output()
            .await
            .unwrap();
        assert_eq!(missing.status.code(), Some(127));
        assert!(
            String::from_utf8_lossy(&missing.stderr)
                .contains("ratedoctor: cannot run /no/such/program:"),
            "{missing:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("notes.txt");
        std::fs::write(&plain, "not a program\n").unwrap();
        let not_executable = command()
            .args(["run", "--", plain.to_str().unwrap()])
            .output()
            .await
            .unwrap();
        assert_eq!(not_executable.status.code(), Some(126));
    })
    .await;
}

const CANARY_OPENAI: &str = "sk-proj-CANARY0123456789abcdefghijKLMN";
const CANARY_GEMINI: &str = "AIzaCANARY00000000000000000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_records_events_and_never_a_key() {
    within(60, async {
        let emu = start(Limits {
            rpm: Some(2),
            ..Limits::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("events.jsonl");
        let mut child = command()
            .args(["watch", "--listen", "127.0.0.1:0", "--json", "--upstream"])
            .arg(emu.base_url())
            .arg("--record")
            .arg(&record)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut stderr_text = String::new();
        let base = loop {
            let line = err_lines
                .next_line()
                .await
                .unwrap()
                .expect("a listening line");
            stderr_text.push_str(&line);
            stderr_text.push('\n');
            if let Some(rest) = line.split("proxy listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        let c = client();
        let body = chat_body(&format!("my key is {CANARY_OPENAI}"), Some(5));
        for _ in 0..3 {
            openai(&c, &base, CANARY_OPENAI, &body).await;
        }
        let g = c
            .post(format!(
                "{base}/v1beta/models/gemini-2.5-flash:generateContent?key={CANARY_GEMINI}"
            ))
            .json(&gemini_body(&format!("key {CANARY_GEMINI}")))
            .send()
            .await
            .unwrap();
        let _ = g.bytes().await;
        // Wait until the recording has every exchange, then stop like Ctrl-C would.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&record).unwrap_or_default();
            if text.matches("\"stream_finished\"").count() >= 4 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "recording: {text}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pid = child.id().unwrap().to_string();
        let killed = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().await.unwrap();
        assert_eq!(out.status.code(), Some(0));
        while let Ok(Some(l)) = err_lines.next_line().await {
            stderr_text.push_str(&l);
        }
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let (text, events) = read_events(&record);
        for (name, s) in [
            ("record", &text),
            ("stdout", &stdout),
            ("stderr", &stderr_text),
        ] {
            assert!(!s.contains("CANARY"), "a key reached the {name}:\n{s}");
        }
        assert!(text.contains("key=[REDACTED]"), "{text}");
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::RequestSent { .. }))
                .count(),
            4
        );
        assert!(events.iter().any(|e| matches!(
            &e.kind,
            EventKind::ResponseReceived {
                status: 429,
                diagnosis: Some(_),
                ..
            }
        )));
        // JSON lines of events on stdout, then the summary.
        let last = stdout.lines().last().unwrap();
        let summary: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(summary["summary"]["requests"], 4);
        assert_eq!(summary["summary"]["rate_limited"], 1);
        assert!(stdout.lines().count() > 10);
    })
    .await;
}

const RPM: u64 = 30;

/// Runs a script under `ratedoctor run` and returns its stdout, ratedoctor's stderr and
/// the recorded events.
async fn run_script(py: &str, name: &str) -> (String, String, String, Vec<Event>) {
    let emu = start(Limits {
        rpm: Some(RPM),
        ..Limits::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("run.jsonl");
    let out = command()
        .args(["run", "--no-tui", "--upstream", &emu.base_url(), "--record"])
        .arg(&record)
        .arg("--")
        .arg(py)
        .arg(common::python_script(name))
        .arg(RPM.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{name} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let (text, events) = read_events(&record);
    (stdout, stderr, text, events)
}

/// What every SDK run must show in the recording: the 429s, the SDK's own retry (waited
/// as advised), usage of the stream, and no key.
fn check_recording(stderr: &str, text: &str, events: &[Event]) {
    assert!(!text.contains("CANARY"), "a key reached the recording");
    assert!(!stderr.contains("CANARY"), "a key reached the output");
    let mut s = Session::new();
    for e in events {
        s.apply(e);
    }
    assert!(s.rate_limited >= 2, "{}", s.rate_limited);
    let retry = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::RetryScheduled {
                by: RetryBy::Client,
                wait_s,
                advised_s,
                reason,
                ..
            } => Some((*wait_s, *advised_s, reason.clone())),
            _ => None,
        })
        .expect("the SDK's retry was recognised");
    assert!(retry.2.contains("SDK retry header"), "{retry:?}");
    let advised = retry.1.expect("advised wait");
    assert!(retry.0 + EARLY_TOLERANCE_S >= advised, "{retry:?}");
    let audit = s.audit();
    assert!(audit.retries >= 1 && audit.too_early == 0, "{audit:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::RequestSent { stream: true, .. }))
    );
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::StreamFinished { usage: Some(u), complete: true, .. } if u.output_tokens > 0
    )));
    // Every answer's usage was read, the SDK's gzip-compressed JSON bodies included.
    let answered: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ResponseReceived { status: 200, .. }))
        .map(|e| e.id)
        .collect();
    assert!(!answered.is_empty());
    for id in answered {
        assert!(
            events.iter().any(|e| e.id == id
                && matches!(&e.kind, EventKind::StreamFinished { usage: Some(u), .. }
                    if u.output_tokens > 0)),
            "no usage read for request {id}"
        );
    }
    assert!(stderr.contains("ratedoctor summary"), "{stderr}");
    assert!(stderr.contains("recommendation"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_under_ratedoctor_run() {
    let Some(py) = common::sdk_python() else {
        return;
    };
    within(150, async {
        let (stdout, stderr, text, events) = run_script(&py, "run_openai.py").await;
        for line in [
            "openai plain ok",
            "openai stream ok",
            "RateLimitError ok",
            "sdk retry ok",
            "azure ok",
        ] {
            assert!(stdout.contains(line), "{line} missing:\n{stdout}\n{stderr}");
        }
        check_recording(&stderr, &text, &events);
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::RequestSent { model: Some(m), .. } if m == "gpt-4o-prod")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_under_ratedoctor_run() {
    let Some(py) = common::sdk_python() else {
        return;
    };
    within(150, async {
        let (stdout, stderr, text, events) = run_script(&py, "run_anthropic.py").await;
        for line in [
            "anthropic plain ok",
            "anthropic stream ok",
            "RateLimitError ok",
            "sdk retry ok",
        ] {
            assert!(stdout.contains(line), "{line} missing:\n{stdout}\n{stderr}");
        }
        check_recording(&stderr, &text, &events);
    })
    .await;
}

/// google-genai under `run`: GOOGLE_GEMINI_BASE_URL alone takes it through the proxy; its
/// plain and streamed calls and its 429 are seen, diagnosed as Gemini's, and no key is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_sdk_under_ratedoctor_run() {
    let Some(py) = common::sdk_python() else {
        return;
    };
    within(150, async {
        let (stdout, stderr, text, events) = run_script(&py, "run_gemini.py").await;
        for line in ["gemini plain ok", "gemini stream ok", "ClientError 429 ok"] {
            assert!(stdout.contains(line), "{line} missing:\n{stdout}\n{stderr}");
        }
        assert!(!text.contains("CANARY") && !stderr.contains("CANARY"));
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::RequestSent { provider: Provider::Gemini, stream: true, .. })));
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::StreamFinished { usage: Some(u), complete: true, .. } if u.output_tokens > 0)));
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::ResponseReceived { status: 429, diagnosis: Some(d), .. }
                if d.provider == Provider::Gemini && d.kind == Kind::Rpm)));
        assert!(stderr.contains("ratedoctor summary"), "{stderr}");
    })
    .await;
}

/// `run --json` keeps stdout for JSON Lines alone (every line parses: the events, then
/// the summary), the program's own stdout goes to stderr; `--json-file` writes the same
/// lines to a file and leaves the program's stdout where it was (issue #14 item 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_json_lines_own_stdout_and_json_file_leaves_it_to_the_program() {
    within(60, async {
        let emu = start(Limits::default()).await;
        let program = "echo program-says-hello; curl -s -o /dev/null \
             -H 'Authorization: Bearer sk-test-jsonlines-0123456789' \
             -H 'Content-Type: application/json' \
             -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}' \
             \"$OPENAI_BASE_URL/chat/completions\"";
        let out = command()
            .args(["run", "--json", "--upstream", &emu.base_url(), "--"])
            .args(["sh", "-c", program])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{stdout}")))
            .collect();
        assert!(lines.iter().any(|v| v["event"] == "request_sent"), "{stdout}");
        assert!(lines.iter().any(|v| v["event"] == "response_received"), "{stdout}");
        assert_eq!(lines.last().unwrap()["summary"]["requests"], 1, "{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("program-says-hello"), "{stderr}");
        assert!(!stdout.contains("jsonlines-0123456789") && !stderr.contains("jsonlines-0123456789"));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("events.jsonl");
        let out = command()
            .args(["run", "--no-tui", "--json-file", file.to_str().unwrap()])
            .args(["--upstream", &emu.base_url(), "--", "sh", "-c", program])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "program-says-hello\n");
        let written = std::fs::read_to_string(&file).unwrap();
        let last: serde_json::Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
        assert_eq!(last["summary"]["requests"], 1, "{written}");
        // The terminal keeps its text: the event lines and the summary on stderr.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("ratedoctor summary"), "{stderr}");
    })
    .await;
}
