//! The `ratedoctor mock` binary: first line, serving, clean stop on SIGTERM/SIGINT, and
//! one-line errors for bad flags.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ratedoctor"));
    c.env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env("NO_COLOR", "1");
    c
}

/// Starts `ratedoctor mock ARGS` and returns it with its first stdout line.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = bin()
        .arg("mock")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("first line within 20 s");
    (child, line.trim_end().to_string())
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(ok.success());
}

fn wait_exit(child: Child) -> std::process::Output {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("exits within 20 s")
        .expect("wait")
}

#[test]
fn prints_listening_serves_and_stops_on_sigterm() {
    let (child, line) = start(&["--rpm", "1", "--seed", "5"]);
    let re = regex::Regex::new(r"^listening on http://127\.0\.0\.1:(\d+)$").unwrap();
    let port: u16 = re.captures(&line).unwrap_or_else(|| panic!("{line:?}"))[1]
        .parse()
        .unwrap();
    assert!(port > 0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), async {
            let c = reqwest::Client::new();
            let url = format!("http://127.0.0.1:{port}/v1/chat/completions");
            let body = serde_json::json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
            let first = c.post(&url).bearer_auth("k").json(&body).send().await.unwrap();
            assert_eq!(first.status(), 200);
            let second = c.post(&url).bearer_auth("k").json(&body).send().await.unwrap();
            assert_eq!(second.status(), 429);
        })
        .await
        .expect("requests within 20 s");
    });
    signal(&child, "TERM");
    let out = wait_exit(child);
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stops_on_ctrl_c() {
    let (child, line) = start(&[]);
    assert!(line.starts_with("listening on http://127.0.0.1:"));
    signal(&child, "INT");
    let out = wait_exit(child);
    assert!(out.status.success(), "{:?}", out.status);
}

#[test]
fn bad_flags_fail_with_a_short_error_and_no_panic() {
    for args in [
        &["--overload", "2"][..],
        &["--rpm", "0"],
        &["--rpm", "lots"],
        &["--listen", "nowhere"],
        &["--latency", "-5"],
    ] {
        let out = bin().arg("mock").args(args).output().expect("run");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(
            err.lines()
                .next()
                .is_some_and(|l| l.contains(args[0]) || l.contains(args[1])),
            "{err}"
        );
        assert!(!err.contains("panicked"));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_busy_port_is_one_line_and_non_zero() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = bin()
        .args(["mock", "--listen", &addr])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("ratedoctor: cannot listen on"), "{err}");
    assert!(out.stdout.is_empty());
}
