//! `ratedoctor explain --follow` as a user runs it: the real binary following a file that a
//! writer (this test) appends to, rotates and truncates, and a pipe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::bin;

use serde_json::Value;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const KEY: &str = "sk-proj-LEAKCHECKq8Zt3VbN5mK2xR7wY4pL9sD1fG6hJ0aE";

fn rpm_body() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/02_openai_rpm_compact_json.txt");
    std::fs::read_to_string(p).unwrap().trim().to_string()
}

/// One error as a log writes it (with the key in the line), and an ordinary line after it.
fn error_lines(second: u32) -> String {
    format!(
        "2025-10-02T08:00:{second:02}.112Z ERROR call failed (Authorization: Bearer {KEY}): {}\n\
         2025-10-02T08:00:{second:02}.200Z INFO next batch\n",
        rpm_body()
    )
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// The child with its stdout lines arriving on a channel, its stderr collected.
struct Follower {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: std::thread::JoinHandle<String>,
}

fn spawn(args: &[&str], stdin: Stdio) -> Follower {
    let mut child = bin()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    Follower {
        child,
        lines,
        seen: Vec::new(),
        stderr,
    }
}

impl Follower {
    /// Waits until `n` lines in all have come (10 s at most), and fails if more come.
    fn expect(&mut self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "expected {n} lines, got {}: {:#?}",
                    self.seen.len(),
                    self.seen
                ),
            }
        }
        assert_eq!(self.seen.len(), n, "{:#?}", self.seen);
    }

    /// Nothing more comes within `quiet`.
    fn no_more(&mut self, quiet: Duration) {
        if let Ok(l) = self.lines.recv_timeout(quiet) {
            panic!("an extra line (read twice?): {l}\nafter {:#?}", self.seen);
        }
    }

    /// Waits for the exit (5 s at most): status code and stderr.
    fn wait(mut self) -> (Option<i32>, String, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("did not exit; lines so far: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.seen.extend(self.lines.try_iter());
        (status.code(), self.stderr.join().unwrap(), self.seen)
    }
}

/// Runs `explain` with `args` on `input` through a pipe that then ends: exit code,
/// stderr, stdout lines.
fn follow_all(args: &[&str], input: &[u8]) -> (Option<i32>, String, Vec<String>) {
    let mut f = spawn(args, Stdio::piped());
    let mut w = f.child.stdin.take().unwrap();
    w.write_all(input).unwrap();
    drop(w);
    f.wait()
}

/// JSON Lines, each parsed.
fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn a_file_appended_rotated_and_truncated_each_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let log: PathBuf = dir.path().join("app.log");
    // Content from before the start: read with --from-start.
    append(&log, &(error_lines(1) + &error_lines(2)));
    let mut f = spawn(
        &[
            "explain",
            "--follow",
            "--json",
            "--from-start",
            log.to_str().unwrap(),
        ],
        Stdio::null(),
    );
    f.expect(2);

    // Appended at varying speeds: at once, 30 ms apart, a pause longer than the idle flush.
    append(&log, &error_lines(3));
    std::thread::sleep(Duration::from_millis(30));
    append(&log, &error_lines(4));
    std::thread::sleep(Duration::from_millis(400));
    // One error written in two pieces, cut mid-line.
    let e = error_lines(5);
    let (a, b) = e.split_at(60);
    append(&log, a);
    std::thread::sleep(Duration::from_millis(350));
    append(&log, b);
    f.expect(5);

    // Rotation: renamed away, one more line into the old file, a new file at the path.
    let old = dir.path().join("app.log.1");
    std::fs::rename(&log, &old).unwrap();
    append(&old, &error_lines(6));
    append(&log, &(error_lines(7) + &error_lines(8)));
    f.expect(8);

    // Truncation: the file shrinks to one new error, then grows again.
    std::fs::write(&log, error_lines(9)).unwrap();
    f.expect(9);
    append(&log, &error_lines(10));
    f.expect(10);
    f.no_more(Duration::from_millis(600));

    sigterm(&f.child);
    let (code, stderr, lines) = f.wait();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(lines.len(), 10, "{lines:#?}");
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // An event as --record writes it (replay reads it), plus t and t_from.
        assert!(
            ratedoctor::event::Event::from_json_line(line).is_ok(),
            "{line}"
        );
        assert_eq!(v["event"], "response_received", "{line}");
        assert_eq!(v["status"], 429, "{line}");
        assert_eq!(v["id"], i as u64 + 1, "{line}");
        assert_eq!(v["diagnosis"]["provider"], "openai", "{line}");
        assert_eq!(v["diagnosis"]["kind"], "rpm", "{line}");
        assert_eq!(v["diagnosis"]["occurrences"], i as u64 + 1, "{line}");
        assert_eq!(v["t_from"], "log", "{line}");
        // The message's numbers, read as a budget: Limit 3, Used 3.
        let b = &v["snapshot"]["budgets"][0];
        assert_eq!(b["from_message"], true, "{line}");
        assert_eq!(b["remaining"], 0.0, "{line}");
        assert_eq!(b["limit"], 3.0, "{line}");
        // t_ms: the lines' own times, one second apart (then the rotation's and the
        // truncation's lines, which keep their stamps' distances too).
        let t_ms = v["t_ms"].as_f64().unwrap();
        if i > 0 {
            let prev: Value = serde_json::from_str(&lines[i - 1]).unwrap();
            let d = t_ms - prev["t_ms"].as_f64().unwrap();
            assert!(
                (d - 1000.0).abs() < 1.0,
                "{d} ms between {i} and the one before"
            );
        }
        assert_eq!(
            v["t"],
            format!("2025-10-02T08:00:{:02}.112Z", i + 1),
            "each error once, in order: {line}"
        );
    }
    let all = lines.join("\n") + &stderr;
    assert!(!all.contains("LEAKCHECK"), "a key reached the output");
    assert!(
        stderr.contains("followed") && stderr.contains("10 API errors diagnosed (10 rpm)"),
        "{stderr}"
    );
}

#[test]
fn a_pipe_is_followed_until_it_ends_and_repeats_fold_into_counts() {
    let mut f = spawn(&["explain", "--follow", "--no-tui", "-"], Stdio::piped());
    let mut w = f.child.stdin.take().unwrap();
    // No timestamp: the time it was read.
    let line = format!("ERROR Bearer {KEY} {}\n", rpm_body());
    w.write_all(line.as_bytes()).unwrap();
    w.flush().unwrap();
    // Diagnosed while the pipe is still open.
    f.expect(1);
    assert!(
        f.seen[0].contains("  rpm openai · gpt-4o-mini · retry in 20 s"),
        "{:?}",
        f.seen
    );
    for _ in 0..4 {
        w.write_all(b"ordinary line\n").unwrap();
        w.write_all(line.as_bytes()).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let (code, stderr, lines) = f.wait();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(lines.len(), 2, "one line, then one count line: {lines:#?}");
    assert!(lines[1].contains("… ×5 rpm openai"), "{lines:#?}");
    let all = lines.join("\n") + &stderr;
    assert!(!all.contains("LEAKCHECK"), "a key reached the output");
    assert!(
        stderr.contains("5 API errors diagnosed (5 rpm)"),
        "{stderr}"
    );
}

/// A tenacity tpm error (OpenAI's numbers: Limit 30000, Used 28541, Requested 4120) and
/// openai-python's retry line.
fn tpm_with_retries(second: u32, used: u32, wait: &str) -> String {
    format!(
        "2025-10-02 08:01:{second:02},100 - openai._base_client - INFO - HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 429 Too Many Requests\"\n\
         2025-10-02 08:01:{second:02},101 - app - ERROR - key {KEY} openai.RateLimitError: Error code: 429 - {{'error': {{'message': 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used {used}, Requested 4120. Please try again in 5.5s. Visit https://platform.openai.com/account/rate-limits to learn more.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}}}\n\
         2025-10-02 08:01:{second:02},102 - openai._base_client - INFO - Retrying request to /chat/completions in {wait} seconds\n\
         2025-10-02 08:01:{second:02},300 - app - INFO - working\n"
    )
}

/// `--no-tui` on a busy log: the first error and its first retry are lines; then the
/// repeats and the retries fold into count lines, at most one a second per distinct error,
/// each with the kind's rate in the minute and the retries set against the server's hint.
#[test]
fn a_busy_log_folds_repeats_and_retries_into_count_lines() {
    let mut f = spawn(&["explain", "--follow", "--no-tui", "-"], Stdio::piped());
    let mut w = f.child.stdin.take().unwrap();
    let started = Instant::now();
    // 200 errors, each retried by openai-python 0.4 s later than the 5.5 s asked, written
    // ten at a time over about two seconds.
    for batch in 0..20 {
        let mut text = String::new();
        for i in 0..10 {
            text += &tpm_with_retries((batch * 10 + i) % 60, 28541, "0.410672");
        }
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(w);
    let (code, stderr, lines) = f.wait();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(lines[0].contains("429 tpm openai · gpt-4o"), "{lines:#?}");
    assert!(
        lines[1].contains("↻ the program retries in 411 ms (server asked 5.5 s) · too early"),
        "{lines:#?}"
    );
    let counts = &lines[2..];
    assert!(
        counts.iter().all(|l| l.contains("… ×")),
        "only count lines after the first two: {lines:#?}"
    );
    assert!(
        (counts.len() as f64) <= secs.ceil() + 1.0,
        "{} count lines in {secs:.1} s: {lines:#?}",
        counts.len()
    );
    let last = counts.last().unwrap();
    assert!(
        last.contains("… ×200 429 tpm openai")
            // All stamped within one minute of the log (08:01:00 to 08:01:59).
            && last.contains("tpm 200/min now")
            && last.contains("retried 200× by the program (200 too early)"),
        "{last}"
    );
    assert!(
        stderr.contains("200 API errors diagnosed (200 tpm); 200 retries by the program (200 sooner than the server asked)"),
        "{stderr}"
    );
    assert!(!(lines.join("\n") + &stderr).contains("LEAKCHECK"));
}

#[test]
fn retry_lines_are_audited_and_a_recording_replays_to_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("follow.jsonl");
    let mut f = spawn(
        &[
            "explain",
            "--follow",
            "--json",
            "--record",
            rec.to_str().unwrap(),
            "-",
        ],
        Stdio::piped(),
    );
    let mut w = f.child.stdin.take().unwrap();
    // Too early (0.4 s against 5.5 s), then as asked (6 s), then tenacity's line.
    let tenacity = format!(
        "2025-10-02 08:01:09,000 - langchain - WARNING - Retrying langchain_openai.chat_models.base.ChatOpenAI.completion_with_retry.<locals>._completion_with_retry in 4.0 seconds as it raised RateLimitError: Error code: 429 (Bearer {KEY}) - {{'error': {{'message': 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29990, Requested 4120. Please try again in 8s.', 'type': 'tokens', 'code': 'rate_limit_exceeded'}}}}.\n"
    );
    let text = tpm_with_retries(1, 28541, "0.410672")
        + &tpm_with_retries(2, 29000, "6.000000")
        + &tenacity;
    w.write_all(text.as_bytes()).unwrap();
    drop(w);
    let (code, stderr, lines) = f.wait();
    assert_eq!(code, Some(0), "{stderr}");
    let events = json_lines(&lines);
    let kinds: Vec<&str> = events
        .iter()
        .map(|v| v["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "response_received",
            "retry_scheduled",
            "response_received",
            "retry_scheduled",
            "response_received",
            "retry_scheduled"
        ],
        "{lines:#?}"
    );
    // Each retry is set against the error before it, with that error's own numbers.
    for (i, (wait, advised, used)) in [
        (0.410672, 5.5, 28541.0),
        (6.0, 5.5, 29000.0),
        (4.0, 8.0, 29990.0),
    ]
    .into_iter()
    .enumerate()
    {
        let (err, retry) = (&events[2 * i], &events[2 * i + 1]);
        assert_eq!(retry["group"], err["id"], "{retry}");
        assert_eq!(retry["by"], "client", "{retry}");
        assert!(
            (retry["wait_s"].as_f64().unwrap() - wait).abs() < 1e-9,
            "{retry}"
        );
        assert_eq!(retry["advised_s"], advised, "{retry}");
        assert_eq!(err["diagnosis"]["used"], used, "{err}");
        assert_eq!(
            err["snapshot"]["budgets"][0]["remaining"],
            30000.0 - used,
            "{err}"
        );
    }
    assert!(
        events[1]["reason"]
            .as_str()
            .unwrap()
            .contains("openai-python")
    );
    assert!(events[5]["reason"].as_str().unwrap().contains("langchain"));
    assert!(
        stderr.contains("3 API errors diagnosed (3 tpm); 3 retries by the program (2 sooner than the server asked)"),
        "{stderr}"
    );
    // The recording: the same events, which replay reads into the same counts.
    let recorded = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(recorded.lines().count(), 6, "{recorded}");
    let out = bin()
        .args(["replay", "--json", rec.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &replayed["summary"];
    assert_eq!(s["requests"], 0, "no request was seen: {s}");
    assert_eq!(s["responses"], 3, "{s}");
    assert_eq!(s["rate_limited"], 3, "{s}");
    assert_eq!(s["rate_limited_by_kind"]["tpm"], 3, "{s}");
    assert_eq!(s["retries_by_client"], 3, "{s}");
    assert_eq!(s["too_early"], 2, "{s}");
    let text = bin()
        .args(["replay", "--no-tui", rec.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("errors          3 read from a log (3 rate-limited (429); no requests seen)"),
        "{text}"
    );
    assert!(!text.contains("reached the proxy"), "{text}");
    assert!(
        text.contains("tightest        openai tokens per minute: 10 of 30,000 left"),
        "{text}"
    );
    let all = lines.join("\n") + &stderr + &recorded + &text;
    assert!(!all.contains("LEAKCHECK"), "a key reached an output");
}

#[test]
fn a_missing_input_is_one_line_and_several_are_refused() {
    let out = bin()
        .args(["explain", "--follow", "a", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--follow reads one input"), "{err}");
}

/// Peak resident memory of a running process, from /proc (Linux).
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
#[cfg(target_os = "linux")]
fn an_endless_pipe_of_ordinary_lines_keeps_memory_flat() {
    let mut f = spawn(&["explain", "--follow", "--json", "-"], Stdio::piped());
    let mut w = f.child.stdin.take().unwrap();
    let line = "2025-10-02T08:00:00.112Z INFO GET /v1/items?page=3 200 in 12 ms region=eu-west-1\n";
    let chunk = line.repeat(1 << 14);
    // 128 MiB of lines, then one error: read while the pipe stays open.
    let mut written = 0;
    while written < 128 << 20 {
        w.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    w.write_all(error_lines(1).as_bytes()).unwrap();
    w.flush().unwrap();
    f.expect(1);
    let peak = peak_kib(f.child.id()).expect("VmHWM in /proc");
    eprintln!("peak RSS after 128 MiB: {peak} KiB");
    drop(w);
    let (code, stderr, _) = f.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB after 128 MiB of input"
    );
}

/// The README's `cat samples/… | ratedoctor explain --follow -` example prints what the
/// README shows: its lines on stdout, the summary on stderr.
#[test]
fn the_readme_example_prints_what_the_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block: Vec<&str> = readme
        .lines()
        .skip_while(|l| !(l.starts_with("$ cat samples/") && l.ends_with("explain --follow -")))
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let files: Vec<&str> = block[0]
        .split(' ')
        .filter(|w| w.starts_with("samples/"))
        .collect();
    assert!(!files.is_empty(), "no example in the README");
    let mut input = Vec::new();
    for f in &files {
        input.extend(std::fs::read(root.join(f)).unwrap());
    }
    let (code, stderr, lines) = follow_all(&["explain", "--follow", "-"], &input);
    assert_eq!(code, Some(0), "{stderr}");
    let (shown_err, shown_out): (Vec<&str>, Vec<&str>) = block[1..]
        .iter()
        .partition(|l| l.starts_with("ratedoctor: "));
    assert_eq!(lines, shown_out, "stdout differs from the README");
    assert_eq!(stderr.lines().collect::<Vec<_>>(), shown_err);
}

/// LiteLLM's router's retry lines as its logs show them: `Retrying request with
/// num_retries: 3` (once, before the first retry) and, in older versions with verbose
/// logging, `retrying request. Current attempt - N` (once a retry). Neither says how long
/// it waited, so each is counted, not judged against the server's hint.
#[test]
fn litellm_retry_lines_are_counted_without_a_wait() {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 8,000 output tokens per minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."}}"#;
    let text = format!(
        "2025-05-04 00:07:31,998 - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 429 Too Many Requests\"\n\
         2025-05-04 00:07:32,016 - LiteLLM Router - INFO - litellm.acompletion(model=claude-3-5-sonnet-20240620) Exception litellm.RateLimitError: AnthropicException - {body}\n\
         2025-05-04 00:07:32,016 - LiteLLM Router - INFO - Retrying request with num_retries: 3\n\
         LiteLLM.Router: retrying request. Current attempt - 0; num retries: 2\n\
         LiteLLM.Router: retrying request. Current attempt - 1; num retries: 2\n"
    );
    let (code, stderr, lines) =
        follow_all(&["explain", "--follow", "--json", "-"], text.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    let events = json_lines(&lines);
    assert_eq!(events.len(), 4, "{lines:#?}");
    assert_eq!(
        events[0]["diagnosis"]["kind"], "output_tpm",
        "{}",
        events[0]
    );
    for retry in &events[1..] {
        assert_eq!(retry["event"], "retry_scheduled", "{retry}");
        assert_eq!(retry["group"], events[0]["id"], "{retry}");
        assert_eq!(retry["reason"], "litellm: wait not in the log", "{retry}");
        assert_eq!(retry["advised_s"], Value::Null, "{retry}");
    }
    assert!(
        stderr.contains("1 API error diagnosed (1 output_tpm); 3 retries by the program (no server hint logged with them)"),
        "{stderr}"
    );
}

/// A connection error is an exchange without an answer: its count line gives no rate of
/// answers (it said `0/min now` while it came every second). Retries before any answer
/// fold by SDK: the first is a line, the rest a count line.
#[test]
fn connection_errors_count_without_a_rate_and_their_retries_fold() {
    let text: String = (1..=5)
        .map(|i| format!("2025-10-02 08:01:0{i},000 - __main__ - WARNING - Retrying __main__.call in 2.0 seconds as it raised APIConnectionError: Connection error.\n"))
        .collect();
    let (code, stderr, lines) =
        follow_all(&["explain", "--follow", "--no-tui", "-"], text.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        lines,
        [
            "08:01:01  not_rate_limit unknown · API: could not connect",
            "08:01:01  ↻ the program retries in 2 s · tenacity",
            "08:01:05  … ×5 not_rate_limit unknown",
            "08:01:05  … ↻ ×5 retries by the program · tenacity",
        ]
    );
}

/// A retry line is its error's retry only when it comes as the error does: one logged a
/// second after another request's error (openai-python logs its retries before the error it
/// gives up on) is counted, not judged by that error's hint.
#[test]
fn a_retry_long_after_an_error_is_not_judged_by_its_hint() {
    let error = "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 200000, Used 199000, Requested 3000. Please try again in 900ms.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}";
    let text = format!(
        "2025-03-14 09:12:02,311 ERROR doc 1 failed: {error}\n\
         2025-03-14 09:12:02,400 INFO  openai._base_client Retrying request to /chat/completions in 0.412000 seconds\n\
         2025-03-14 09:12:03,900 INFO  openai._base_client Retrying request to /chat/completions in 0.512000 seconds\n"
    );
    let (code, stderr, lines) =
        follow_all(&["explain", "--follow", "--json", "-"], text.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    let events = json_lines(&lines);
    assert_eq!(events.len(), 3, "{lines:#?}");
    // 89 ms after the error: its retry, sooner than the 900 ms asked.
    assert_eq!(events[1]["group"], events[0]["id"], "{}", events[1]);
    assert_eq!(events[1]["advised_s"], 0.9, "{}", events[1]);
    // 1.6 s after: another request's.
    assert_ne!(events[2]["group"], events[0]["id"], "{}", events[2]);
    assert_eq!(events[2]["advised_s"], Value::Null, "{}", events[2]);
    assert!(
        stderr.contains(
            "2 retries by the program (1 sooner than the server asked, of 1 logged with a hint)"
        ),
        "{stderr}"
    );
}
