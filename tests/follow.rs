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
        assert_eq!(v["provider"], "openai", "{line}");
        assert_eq!(v["kind"], "rpm", "{line}");
        assert_eq!(v["occurrences"], i as u64 + 1, "{line}");
        assert_eq!(v["t_from"], "log", "{line}");
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
