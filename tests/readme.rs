//! The README stays true: every `ratedoctor explain` line in it runs, against the real
//! binary, with the exit code it states (`# exit N`, else 0).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

fn command_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in readme().lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code && line.starts_with("ratedoctor explain") {
            out.push(line.to_string());
        }
    }
    out
}

/// Splits a README command like a shell would for the simple forms the README uses:
/// words, single-quoted strings, `< file` redirection and a trailing `# comment`.
fn split(line: &str) -> (Vec<String>, Option<String>, i32) {
    let (cmd, comment) = match line.find("  #") {
        Some(i) => (&line[..i], &line[i..]),
        None => (line, ""),
    };
    let code = comment
        .split("exit ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut words = Vec::new();
    let mut stdin = None;
    let mut rest = cmd.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('\'') {
            let end = r.find('\'').unwrap();
            words.push(r[..end].to_string());
            rest = r[end + 1..].trim_start();
        } else if let Some(r) = rest.strip_prefix("< ") {
            let r = r.trim_start();
            let end = r.find(' ').unwrap_or(r.len());
            stdin = Some(r[..end].to_string());
            rest = r[end..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    (words, stdin, code)
}

#[test]
fn readme_has_the_two_commands() {
    let r = readme();
    assert!(r.contains("cargo test"));
    assert!(r.contains("cargo run --release -- "));
    let run_line = r
        .lines()
        .find(|l| l.starts_with("cargo run --release -- "))
        .unwrap();
    let (words, _, _) = split(run_line.trim_start_matches("cargo run --release -- "));
    for w in &words {
        if w.starts_with("samples/") {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(w).exists(),
                "{w}"
            );
        }
    }
}

#[test]
fn every_explain_example_runs_as_shown() {
    let lines = command_lines();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in lines {
        let (words, stdin, code) = split(&line);
        let mut c = Command::new(env!("CARGO_BIN_EXE_ratedoctor"));
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&words[1..])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stdin {
            Some(f) => {
                c.stdin(std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join(f)).unwrap())
            }
            None => c.stdin(Stdio::null()),
        };
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{line}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_json_example_is_what_explain_prints() {
    // Every field the README's JSON example shows (other than "...") is the real output
    // for the sample it names.
    let r = readme();
    let start = r.find("```json\n{\"diagnoses\"").expect("the JSON example") + 8;
    let example = &r[start..start + r[start..].find("```").unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "explain",
            "--json",
            "samples/01_openai_tpm_python_traceback.txt",
        ])
        .output()
        .unwrap();
    let real: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let real = &real["diagnoses"][0];
    let mut checked = 0;
    for field in [
        "provider",
        "kind",
        "window",
        "retryable",
        "status",
        "limit",
        "used",
        "requested",
        "retry_after_s",
        "model",
        "organization",
        "occurrences",
        "span",
    ] {
        let shown = serde_json::to_string(&real[field]).unwrap();
        let shown = shown.replace(',', ", ");
        assert!(
            example.contains(&format!("\"{field}\": {shown}")),
            "the README shows another {field} than {shown}:\n{example}"
        );
        checked += 1;
    }
    let first = &real["evidence"][0];
    assert!(example.contains(&format!(
        "{{\"text\": {}, \"span\": [{}, {}]}}",
        first["text"], first["span"][0], first["span"][1]
    )));
    assert_eq!(checked, 13);
}
