//! `ratedoctor explain` as a user runs it: the real binary, real files, real pipes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::bin;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = bin();
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(data) = stdin {
        let mut w = child.stdin.take().unwrap();
        w.write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("ratedoctor: "), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_sample_gets_a_card() {
    let out = run(
        &[
            "explain",
            sample("01_openai_tpm_python_traceback.txt")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("OpenAI: tokens per minute (TPM) limit reached"),
        "{s}"
    );
    assert!(s.contains("retry?"), "{s}");
    assert!(s.contains("fix"), "{s}");
    assert!(
        !s.contains('\u{1b}'),
        "no colour when not a terminal / NO_COLOR: {s:?}"
    );
}

#[test]
fn json_has_exactly_the_documented_fields() {
    let out = run(
        &[
            "explain",
            "--json",
            sample("80_log_anthropic_two_errors.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let list = v["diagnoses"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let kinds = [
        "rpm",
        "tpm",
        "rpd",
        "tpd",
        "ipm",
        "input_tpm",
        "output_tpm",
        "quota",
        "concurrency",
        "overloaded",
        "transient",
        "not_rate_limit",
    ];
    let providers = [
        "openai",
        "azure",
        "anthropic",
        "gemini",
        "vertex",
        "groq",
        "mistral",
        "openrouter",
        "together",
        "deepseek",
        "cohere",
        "xai",
        "fireworks",
        "bedrock",
        "perplexity",
        "unknown",
    ];
    let mut last_start = 0;
    for d in list {
        assert!(providers.contains(&d["provider"].as_str().unwrap()));
        assert!(kinds.contains(&d["kind"].as_str().unwrap()));
        assert!(
            d["window"].is_null()
                || ["minute", "day", "month"].contains(&d["window"].as_str().unwrap())
        );
        assert!(d["retryable"].is_boolean());
        for f in ["status", "limit", "used", "requested", "retry_after_s"] {
            assert!(d[f].is_null() || d[f].is_number(), "{f}: {}", d[f]);
        }
        for f in ["model", "organization"] {
            assert!(d[f].is_null() || d[f].is_string(), "{f}");
        }
        assert!(d["occurrences"].as_u64().unwrap() >= 1);
        assert!(!d["cause"].as_str().unwrap().is_empty());
        assert!(!d["fix"].as_str().unwrap().is_empty());
        let span = d["span"].as_array().unwrap();
        assert_eq!(span.len(), 2);
        let start = span[0].as_u64().unwrap();
        assert!(start >= last_start, "order of first appearance");
        last_start = start;
    }
}

#[test]
fn json_counts_are_integers_and_seconds_floats() {
    // "limit": 30000, not 30000.0: a count is a whole number; a wait may be a fraction.
    let out = run(
        &[
            "explain",
            "--json",
            sample("01_openai_tpm_python_traceback.txt")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let raw = text(&out.stdout);
    for (field, want) in [("limit", 30000), ("used", 28541), ("requested", 4120)] {
        assert!(
            raw.contains(&format!("\"{field}\": {want},")),
            "{field} is not the integer {want}: {raw}"
        );
    }
    let v: Value = serde_json::from_str(&raw).unwrap();
    let d = &v["diagnoses"][0];
    assert!(d["limit"].is_u64() && d["used"].is_u64() && d["requested"].is_u64());
    assert_eq!(d["retry_after_s"].as_f64(), Some(5.322));
}

#[test]
fn each_diagnosis_says_why_with_the_phrases_and_their_bytes() {
    let path = sample("01_openai_tpm_python_traceback.txt");
    let input = std::fs::read_to_string(&path).unwrap();
    let out = run(&["explain", "--json", path.to_str().unwrap()], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let evidence = v["diagnoses"][0]["evidence"].as_array().unwrap();
    let texts: Vec<&str> = evidence
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "on tokens per min (TPM): Limit 30000",
            "Used 28541",
            "Requested 4120",
            "Please try again in 5.322s"
        ]
    );
    for e in evidence {
        let span = e["span"].as_array().unwrap();
        let (a, z) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
        assert_eq!(&input[a as usize..z as usize], e["text"].as_str().unwrap());
    }
    // The card says the same, as "because".
    let card = text(&run(&["explain", "--no-tui", path.to_str().unwrap()], None).stdout);
    assert!(
        card.contains("because    \"on tokens per min (TPM): Limit 30000\" · \"Used 28541\""),
        "{card}"
    );
}

#[test]
fn stdin_dash_and_no_argument_and_text() {
    let body = std::fs::read(sample("45_gemini_503_overloaded.txt")).unwrap();
    for args in [vec!["explain", "-", "--json"], vec!["explain", "--json"]] {
        let out = run(&args, Some(&body));
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["diagnoses"][0]["kind"], "overloaded");
    }
    let out = run(
        &[
            "explain",
            "--json",
            "--text",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnoses"][0]["provider"], "anthropic");
}

#[test]
fn several_inputs_fold_across_files_and_name_the_source() {
    let a = sample("79_log_openai_tpm_repeated.txt");
    let out = run(
        &[
            "explain",
            "--json",
            a.to_str().unwrap(),
            a.to_str().unwrap(),
        ],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnoses"][0];
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1);
    assert_eq!(d["occurrences"], 8);
    assert!(
        d["source"]
            .as_str()
            .unwrap()
            .ends_with("79_log_openai_tpm_repeated.txt")
    );
}

#[test]
fn missing_file_directory_and_binary_are_unreadable() {
    assert_one_line_error(
        &run(&["explain", "/no/such/file.log"], None),
        3,
        "no such file",
    );
    assert_one_line_error(
        &run(&["explain", env!("CARGO_MANIFEST_DIR")], None),
        3,
        "directory",
    );
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert_one_line_error(&run(&["explain", "-"], Some(&garbage)), 3, "binary");
}

/// One unreadable input among several does not hide the others (as grep does): the
/// readable ones are diagnosed and printed, then the failure is reported, exit code 3.
#[test]
fn a_missing_file_among_several_is_reported_after_the_others() {
    let good = sample("02_openai_rpm_compact_json.txt");
    for args in [
        vec![
            "explain",
            "--no-tui",
            good.to_str().unwrap(),
            "/no/such/file.log",
        ],
        vec![
            "explain",
            "--no-tui",
            "/no/such/file.log",
            good.to_str().unwrap(),
        ],
    ] {
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("requests per minute"), "{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("/no/such/file.log: no such file"),
            "{stderr}"
        );
    }
    let out = run(
        &[
            "explain",
            "--json",
            good.to_str().unwrap(),
            "/no/such/file.log",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1);
    // Every unreadable input is named, each on its own line.
    let out = run(&["explain", "/no/such/a.log", "/no/such/b.log"], None);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a.log") && stderr.contains("b.log"),
        "{stderr}"
    );
}

#[test]
fn empty_input_and_no_error_exit_1() {
    assert_one_line_error(&run(&["explain", "-"], Some(b"")), 1, "empty");
    let out = run(
        &["explain", sample("82_log_no_errors.txt").to_str().unwrap()],
        None,
    );
    assert_one_line_error(&out, 1, "no API error found");
    let out = run(
        &[
            "explain",
            "--json",
            sample("82_log_no_errors.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 0);
}

#[test]
fn invalid_utf8_around_an_error_is_still_diagnosed() {
    let mut data = vec![0xff, 0xfe, b'\n'];
    data.extend_from_slice(&std::fs::read(sample("02_openai_rpm_compact_json.txt")).unwrap());
    data.extend_from_slice(&[b'\n', 0xc3, 0x28, b'\n']);
    let out = run(&["explain", "--json", "-"], Some(&data));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnoses"][0]["kind"], "rpm");
}

#[test]
fn api_keys_never_reach_the_output() {
    let canary = "sk-proj-LEAKCHECKLEAKCHECKLEAKCHECK0000";
    let pasted = format!(
        "$ curl -i https://api.openai.com/v1/chat/completions -H \"Authorization: Bearer {canary}\"\nHTTP/2 429\nretry-after: 2\n\n{{\"error\":{{\"message\":\"Incorrect API key provided: {canary}. You can find your API key at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}}}\n"
    );
    for args in [vec!["explain", "-"], vec!["explain", "--json", "-"]] {
        let out = run(&args, Some(pasted.as_bytes()));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("LEAKCHECK"), "{all}");
        assert!(all.contains("REDACTED"), "{all}");
    }
    let out = run(
        &[
            "explain",
            "--json",
            sample("14_openai_curl_fake_key_tpm.txt").to_str().unwrap(),
        ],
        None,
    );
    let s = text(&out.stdout);
    assert!(!s.contains("FAKEFAKE"), "{s}");
}

#[test]
fn table_lists_every_cause() {
    let out = run(&["explain", "--table"], None);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    for id in [
        "requests_per_minute",
        "request_too_large",
        "spend_cap",
        "zero_allowance",
        "overloaded",
        "context_length",
    ] {
        assert!(s.contains(id), "{id}");
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = run(&["explain", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("panicked"));
}

/// Peak resident memory of a child, read from /proc while it runs (Linux only).
fn peak_rss_kib(child: &std::process::Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

#[test]
fn a_large_input_is_streamed_in_bounded_memory() {
    // 64 MB: ordinary lines, one endless line, and errors at both ends.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let err = std::fs::read(sample("02_openai_rpm_compact_json.txt")).unwrap();
    f.write_all(&err).unwrap();
    f.write_all(b"\n").unwrap();
    let line = b"2025-01-01T00:00:00Z INFO worker-3 processed job 1234 in 87 ms\n";
    for _ in 0..(48 * 1024 * 1024 / line.len()) {
        f.write_all(line).unwrap();
    }
    f.write_all(&vec![b'x'; 16 * 1024 * 1024]).unwrap();
    f.write_all(b"\n").unwrap();
    f.write_all(&err).unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);

    // Fed through stdin, with the last bytes held back: the process cannot end before its
    // memory is read, so the peak is always measured (a peak of 0 fails the test).
    let data = std::fs::read(&path).unwrap();
    let (body, tail) = data.split_at(data.len() - 64);
    let mut child = bin()
        .args(["explain", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body).unwrap();
    stdin.flush().unwrap();
    // All but the pipe's last buffer has been read: the peak so far, sampled while alive.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut peak = 0;
    let mut samples = 0;
    for _ in 0..5 {
        if let Some(k) = peak_rss_kib(&child) {
            peak = peak.max(k);
            samples += 1;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stdin.write_all(tail).unwrap();
    drop(stdin);
    assert!(samples > 0 && peak > 0, "no memory sample was taken");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["diagnoses"][0]["occurrences"], 2,
        "both ends of the file are read"
    );
    assert!(peak < 48 * 1024, "peak RSS {peak} KiB for a 64 MB input");
}

#[test]
fn a_reader_that_goes_away_ends_it_quietly() {
    // `ratedoctor … | head`: stdout is a pipe whose reading end is already closed.
    for args in [
        vec!["explain", "--table"],
        vec!["backoff", "--policy", "tenacity-seed"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bin()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}
