//! The core stays pure: no async runtime, no network, no terminal, no files, no clock.
//! This test reads the core's source and fails on any import of those.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Core modules (files or directories under `src/`).
const CORE: &[&str] = &[
    "duration.rs",
    "diagnose",
    "headers",
    "table.rs",
    "vocab.rs",
    "snippet.rs",
    "base64.rs",
    "redact.rs",
    "pattern.rs",
    "limiter.rs",
    "backoff",
    "backoff.rs",
    "simulate",
    "simulate.rs",
    "session",
    "event.rs",
];

/// What the core must not mention, with the reason shown on failure.
const FORBIDDEN: &[(&str, &str)] = &[
    ("tokio", "async runtime"),
    ("reqwest", "network client"),
    ("hyper", "HTTP server/client"),
    ("axum", "HTTP server"),
    ("std::net", "sockets"),
    ("std::fs", "files"),
    ("std::io", "I/O"),
    ("std::env", "environment"),
    ("std::process", "processes"),
    ("std::thread", "threads and sleeps"),
    ("crossterm", "terminal"),
    ("ratatui", "terminal UI"),
    ("SystemTime", "wall clock"),
    ("Instant::now", "clock"),
    ("Timestamp::now", "clock"),
    ("Zoned::now", "clock"),
    ("jiff::Zoned", "clock-bound time zones"),
];

fn rust_files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            rust_files(&e.unwrap().path(), out);
        }
    } else if p.extension().is_some_and(|e| e == "rs") {
        out.push(p.to_path_buf());
    }
}

#[test]
fn core_modules_do_no_io_and_read_no_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for c in CORE {
        let p = src.join(c);
        if p.exists() {
            rust_files(&p, &mut files);
        }
    }
    assert!(files.len() >= 8, "core files found: {files:?}");
    let mut violations = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        violations.extend(find_violations(&f.display().to_string(), &text));
    }
    assert!(
        violations.is_empty(),
        "the core must stay pure:\n{}",
        violations.join("\n")
    );
}

fn find_violations(name: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (word, why) in FORBIDDEN {
            if code.contains(word) {
                out.push(format!("{name}:{}: `{word}` ({why})", n + 1));
            }
        }
    }
    out
}

#[test]
fn the_check_catches_io_and_clocks_but_not_comments() {
    let bad = "use tokio::time::sleep;\nlet t = std::time::SystemTime::now();\n";
    assert_eq!(find_violations("x.rs", bad).len(), 2);
    assert!(find_violations("x.rs", "// tokio is not used here\nlet x = 1;").is_empty());
}

/// The crate's modules each file of `dir` (or the file itself) imports: `use crate::X`.
fn crate_imports(path: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(path, &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("").trim();
            for part in code.split("crate::").skip(1) {
                let module: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(format!("{}: crate::{module}", f.display()));
            }
        }
    }
    out
}

/// Issue #14 ("the house behind it"): the shared words (Provider, Kind, Window, Cause) sit
/// in a leaf, and `headers` and `table`, which `diagnose` uses, do not use `diagnose` back.
#[test]
fn the_vocabulary_is_a_leaf_and_the_core_imports_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let vocab = crate_imports(&src.join("vocab.rs"));
    assert!(
        vocab.is_empty(),
        "vocab.rs must import nothing of the crate: {vocab:?}"
    );
    for below in ["headers", "table.rs"] {
        let back: Vec<String> = crate_imports(&src.join(below))
            .into_iter()
            .filter(|i| i.ends_with("crate::diagnose"))
            .collect();
        assert!(
            back.is_empty(),
            "{below} uses diagnose, which uses it: {back:?}"
        );
    }
}

/// Issue #14: arguments flow one way. The parser (`cli.rs`) knows the commands and
/// dispatches to them; no command, source or view reads the parser back.
#[test]
fn nothing_imports_the_cli_but_the_entry_point() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let back: Vec<String> = crate_imports(&src)
        .into_iter()
        .filter(|i| i.ends_with("crate::cli"))
        .filter(|i| !i.starts_with(&src.join("cli.rs").display().to_string()))
        .filter(|i| !i.starts_with(&src.join("lib.rs").display().to_string()))
        .collect();
    assert!(back.is_empty(), "these read the parser back: {back:?}");
}
