//! The live view in a real terminal at 80×24, 120×36 and 200×50 (issue #14, items 6, 7
//! and 9): `ratedoctor demo` (the emulator is the provider) cuts no word in its header,
//! titles and footer, its gauges and sparklines use the budgets pane's width, and a budget
//! whose reset has passed with no newer answer says so; `watch` and `run` with no request
//! yet say how to connect.
//!
//! Skipped (with a note) when tmux is missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1` is
//! set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use tmux_common::{Tmux, has_429, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

fn sized(name: &str, w: u16, h: u16) -> Tmux {
    let t = Tmux::start(name);
    let out = t.cmd(&[
        "resize-window",
        "-t",
        "t",
        "-x",
        &w.to_string(),
        "-y",
        &h.to_string(),
    ]);
    assert!(out.status.success(), "{out:?}");
    t
}

/// The budgets pane's gauge lines (`│label [███···] n/m …│`).
fn gauge_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in s.lines() {
        if l.starts_with("┌ budgets") {
            inside = true;
        } else if inside && l.starts_with('└') {
            break;
        } else if inside && l.contains(" [") && l.contains(']') {
            out.push(l);
        }
    }
    out
}

/// What a user would see as a word cut short in the places issue #14 names.
fn cut_words(s: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let lines: Vec<&str> = s.lines().collect();
    for l in &lines {
        if let Some(i) = l.find("PAUS")
            && !l[i..].starts_with("PAUSED")
        {
            bad.push(format!("PAUS cut: {l}"));
        }
        // `retries 24 (14 too early, …)`: an opened bracket closes on the same line.
        if let Some(i) = l.find("retries ")
            && l[i..].contains('(')
            && !l[i..].contains(')')
        {
            bad.push(format!("retries cut: {l}"));
        }
        // A pane title ends with a whole word before the border goes on.
        if let Some(title) = l.strip_prefix("┌ ") {
            let title = title
                .split(" ─")
                .next()
                .unwrap_or("")
                .trim_end_matches(" ◆");
            if title.ends_with('┐') {
                bad.push(format!("title runs into the corner: {l}"));
            }
        }
    }
    // The header's first line keeps its clock.
    let head = lines.first().copied().unwrap_or("");
    if !head.split_whitespace().any(|w| {
        w.len() == 5 && w.as_bytes()[2] == b':' && w.bytes().filter(u8::is_ascii_digit).count() == 4
    }) {
        bad.push(format!("the clock is cut off the header: {head}"));
    }
    // The footer ends with a whole key, or `…` after a space.
    let foot = lines.iter().rev().find(|l| !l.trim().is_empty()).unwrap();
    let foot = foot.trim_end();
    if !(foot.ends_with("? help") || foot.ends_with(" …")) {
        bad.push(format!("footer cut: {foot}"));
    }
    bad
}

#[test]
fn the_demo_cuts_no_word_and_fills_the_budgets_pane_at_three_sizes() {
    if !tmux_present() {
        return;
    }
    for (w, h) in [(80u16, 24u16), (120, 36), (200, 50)] {
        let t = sized(&format!("live{w}"), w, h);
        t.send_line(&format!("{BIN} demo --seed 3; echo EXIT=$?"));
        t.wait_for("budgets, 429s and the models", 20, |s| {
            s.contains("budgets (") && has_429(s) && gauge_lines(s).len() >= 4
        });
        // Paused: the screen holds still while it is read, and PAUSED shows twice.
        t.key("Space");
        let s = t.wait_for("the pause", 5, |s| s.matches("PAUSED").count() >= 2);
        let bad = cut_words(&s);
        assert!(bad.is_empty(), "{w}×{h}: {bad:#?}\n{s}");
        // The gauges use the pane: the bar spans most of the line.
        for l in gauge_lines(&s) {
            let chars: Vec<char> = l.chars().collect();
            let open = chars.iter().position(|c| *c == '[').unwrap();
            let close = chars.iter().position(|c| *c == ']').unwrap();
            let span = close - open + 1;
            let want = if w >= 200 { w as usize / 2 } else { 10 };
            assert!(span >= want, "{w}×{h}: a gauge of {span} columns: {l}\n{s}");
        }
        if w >= 200 {
            // A sparkline line also reaches across the pane.
            let spark = s
                .lines()
                .filter(|l| l.contains('▁') || l.contains('█') || l.contains('▇'))
                .filter(|l| !l.contains('['))
                .map(|l| l.chars().filter(|c| ('▁'..='█').contains(c)).count())
                .max()
                .unwrap_or(0);
            assert!(spark >= 100, "sparkline of {spark} cells:\n{s}");
        }
        t.key("q");
        let after = t.assert_restored("0");
        // The summary's recommendation wraps at words on the terminal.
        let rec: Vec<&str> = after
            .lines()
            .skip_while(|l| !l.contains("recommendation"))
            .take_while(|l| !l.contains("EXIT="))
            .collect();
        assert!(!rec.is_empty(), "{after}");
        for pair in rec.windows(2) {
            let (a, b) = (pair[0].trim_end(), pair[1]);
            let joined = a.chars().last().is_some_and(char::is_alphanumeric)
                && b.starts_with(|c: char| c.is_alphanumeric());
            assert!(!joined, "{w}×{h}: a word split across lines:\n{a}\n{b}");
        }
    }
}

#[test]
fn a_budget_whose_reset_passed_says_it_is_an_estimate() {
    if !tmux_present() {
        return;
    }
    let t = sized("stale", 120, 36);
    t.send_line(&format!("{BIN} demo --seed 3; echo EXIT=$?"));
    // The demo's Anthropic client pauses between calls: its budgets' resets pass with no
    // newer answer, and the pane stops showing the old numbers as current.
    let s = t.wait_for("a stale budget", 45, |s| {
        gauge_lines(s)
            .iter()
            .any(|l| l.contains("est.") && l.contains(" ago"))
    });
    let stale: Vec<&str> = gauge_lines(&s)
        .into_iter()
        .filter(|l| l.contains("est."))
        .collect();
    for l in stale {
        assert!(l.contains('~'), "an estimate is marked: {l}");
        assert!(l.contains("as of "), "{l}");
        assert!(!l.contains("reset 0.0 s"), "{l}");
    }
    t.key("q");
    t.assert_restored("0");
}

#[test]
fn watch_and_run_with_no_request_yet_say_how_to_connect_at_80x24() {
    if !tmux_present() {
        return;
    }
    let t = sized("empty", 80, 24);
    t.send_line(&format!("{BIN} watch --listen 127.0.0.1:0; echo EXIT=$?"));
    let s = t.wait_for("the connect lines", 15, |s| {
        s.contains("export OPENAI_BASE_URL=http://127.0.0.1:")
    });
    assert!(s.contains("no request has reached the proxy yet"), "{s}");
    let line = s
        .lines()
        .find(|l| l.contains("export OPENAI_BASE_URL="))
        .unwrap();
    assert!(line.contains("/v1"), "{line}");
    assert!(
        s.contains("export ANTHROPIC_BASE_URL=http://127.0.0.1:"),
        "{s}"
    );
    t.key("q");
    t.assert_restored("0");

    t.shell("clear");
    t.send_line(&format!("{BIN} run -- sleep 2; echo EXIT=$?"));
    let s = t.wait_for("the run's empty state", 15, |s| {
        s.contains("no request has reached the proxy yet")
    });
    assert!(s.contains("OPENAI_BASE_URL=http://127.0.0.1:"), "{s}");
    let s = t.wait_for("the program's end", 15, |s| s.contains("exited (code 0)"));
    assert!(s.contains("0 requests reached the proxy: does your"), "{s}");
    assert!(!s.contains("nothing to change"), "{s}");
    t.key("q");
    let s = t.assert_restored("0");
    assert!(s.contains("0 requests reached the proxy"), "{s}");
}
