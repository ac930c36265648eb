//! The terminal UI in a real terminal: `ratedoctor demo` inside tmux. Budgets and a 429
//! appear, a pasted error is diagnosed, `q` quits with status 0 and the terminal is back
//! on the normal screen in cooked mode. SIGTERM, SIGINT and a panic: `reliability_terminal.rs`.
//!
//! Skipped (with a note) when tmux is missing, unless `CI` or `RATEDOCTOR_REQUIRE_SDKS=1` is
//! set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use std::path::Path;
use tmux_common::{Tmux, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

fn has_429(s: &str) -> bool {
    s.lines().any(|l| {
        l.split("429s ")
            .nth(1)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit() && c != '0')
    })
}

#[test]
fn demo_shows_budgets_and_429s_diagnoses_a_paste_and_quits_cleanly() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("demo");
    t.send_line(&format!("{BIN} demo --seed 3; echo EXIT=$?"));
    let s = t.wait_for("budgets and a 429", 15, |s| {
        s.contains("budgets (") && has_429(s)
    });
    assert!(
        t.alternate_on(),
        "the UI should be on the alternate screen:\n{s}"
    );
    assert!(s.contains("requests/min"), "{s}");

    // Paste a sample error with bracketed paste and see its diagnosis.
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/02_openai_rpm_compact_json.txt");
    t.key("p");
    t.wait_for("the paste area", 5, |s| s.contains("paste an error"));
    t.paste_file(&sample);
    t.wait_for("the diagnosis of the pasted error", 5, |s| {
        s.contains("requests per minute (RPM) limit reached") && s.contains("wait 20 s")
    });

    t.key("q");
    t.assert_restored("0");
}
