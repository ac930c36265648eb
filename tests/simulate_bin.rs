//! `ratedoctor backoff` and `ratedoctor simulate` through the real binary: output modes,
//! exit codes, one-line errors. Needs the two subcommands wired in `cli.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::{Command, Output};

fn ratedoctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .args(args)
        .env_remove("RATEDOCTOR_POLICY")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn backoff_text_and_json() {
    let o = ratedoctor(&["backoff"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("gave up: all 6 attempts used"), "{text}");
    let o = ratedoctor(&["backoff", "-p", "openai-sdk", "-r", "2", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["calls"], 3);
    assert_eq!(v["waited_s"], 4.0);
}

#[test]
fn simulate_text_json_and_file() {
    let o = ratedoctor(&[
        "simulate",
        "--limits",
        "rpm=60",
        "--workload",
        "requests=120,input=10,max_tokens=10,concurrency=1,latency=0",
        "--policy",
        "openai-sdk",
        "--compare",
        "none,ratedoctor",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("recommendation:"), "{text}");
    let o = ratedoctor(&[
        "simulate",
        "-l",
        "rpm=60",
        "-w",
        "requests=10",
        "-p",
        "ratedoctor",
        "-j",
        "--no-recommend",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"][0]["stats"]["succeeded"], 10);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.jsonl");
    std::fs::write(
        &file,
        "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":20}}\n",
    )
    .unwrap();
    let o = ratedoctor(&[
        "simulate",
        "-l",
        "rpm=5",
        "-f",
        file.to_str().unwrap(),
        "-j",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["workload"]["requests"], 1);
}

#[test]
fn bad_input_exits_2_or_3_with_one_line() {
    for (args, code) in [
        (vec!["backoff", "-p", "nope"], 2),
        (vec!["simulate", "-l", "rpm=x", "-w", "requests=1"], 2),
        (vec!["simulate", "-l", "rpm=1"], 2),
        (
            vec!["simulate", "-l", "rpm=1", "-f", "/nonexistent/batch.jsonl"],
            3,
        ),
    ] {
        let o = ratedoctor(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("ratedoctor: "), "{err}");
    }
}
