//! `explain --follow` on a real terminal (issue #17): the live view of a followed log —
//! the 429s by kind, the last diagnosis, the budget read from the message, the program's
//! retries set against the server's hint — and no key on the screen.
//!
//! Skipped (with a note) when tmux is missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1` is
//! set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use std::io::Write;
use tmux_common::{Tmux, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");
const KEY: &str = "sk-proj-LEAKCHECKq8Zt3VbN5mK2xR7wY4pL9sD1fG6hJ0aE";

fn error(second: u32, used: u32, wait: &str) -> String {
    format!(
        "2025-10-02 08:01:{second:02},101 - app - ERROR - key {KEY} openai.RateLimitError: Error code: 429 - {{'error': {{'message': 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used {used}, Requested 4120. Please try again in 5.5s.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}}}\n\
         2025-10-02 08:01:{second:02},102 - openai._base_client - INFO - Retrying request to /chat/completions in {wait} seconds\n\
         2025-10-02 08:01:{second:02},300 - app - INFO - working\n"
    )
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A terminal of `w` × `h` following a log of its own (one ordinary line in it), once the
/// empty live view is up.
fn following(name: &str, w: u16, h: u16) -> (Tmux, std::path::PathBuf) {
    let t = Tmux::start_sized(name, w, h);
    let log = t.path("app.log");
    append(&log, "2025-10-02 08:00:59,000 - app - INFO - starting\n");
    t.send_line(&format!(
        "{BIN} explain --follow {}; echo EXIT=$?",
        log.display()
    ));
    t.wait_for("the empty live view", 20, |s| {
        s.contains("follow ") && s.contains("no API error in")
    });
    (t, log)
}

#[test]
fn the_live_view_shows_a_followed_log() {
    if !tmux_present() {
        return;
    }
    let (t, log) = following("follow", 120, 40);
    append(&log, &error(1, 28541, "0.410672"));
    append(&log, &error(3, 29990, "6.000000"));
    let s = t.wait_for("two 429s, their budget and the retries", 20, |s| {
        s.contains("errors 2")
            && s.contains("429s 2 (tpm 2)")
            && s.contains("retries 2 (1 too early")
            && s.contains("from a message")
            && s.contains("2/min now")
    });
    // The budget read from the latest message: 30,000 - 29,990.
    assert!(s.contains("10/30,000") || s.contains("10/30k"), "{s}");
    // The program's retries, set against the server's 5.5 s.
    assert!(s.contains("retried by the program after 411 ms"), "{s}");
    assert!(s.contains("too early"), "{s}");
    assert!(s.contains("429 in the log"), "{s}");
    assert!(!s.contains("LEAKCHECK"), "a key on the screen:\n{s}");
    // The last diagnosis as its card: the events pane, its last line, Enter.
    t.key("Tab");
    t.key("End");
    t.key("Enter");
    let s = t.wait_for("the diagnosis card", 10, |s| {
        s.contains("OpenAI: tokens per minute (TPM) limit reached")
    });
    assert!(!s.contains("LEAKCHECK"), "a key on the screen:\n{s}");
    t.key("Escape");
    t.key("q");
    let s = t.assert_restored("0");
    // The summary line, however the terminal wrapped it.
    let joined: String = s.lines().map(|l| l.trim_end_matches(' ')).collect();
    assert!(
        joined.contains("2 API errors diagnosed (2 tpm); 2 retries by the program (1 sooner than the server asked)"),
        "{s}"
    );
    assert!(!s.contains("LEAKCHECK"), "a key on the screen:\n{s}");
}

/// `kubectl logs -f POD | ratedoctor explain --follow -` at 80 × 24: the errors, their
/// rate and the retries fit; when the pipe ends the header says so (the view stays up to
/// be read), and `q` leaves the terminal as it was.
#[test]
fn a_pipe_that_ends_is_marked_finished_at_80x24() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start_sized("follow-pipe", 80, 24);
    let log = t.path("pod.log");
    append(
        &log,
        &(error(1, 28541, "0.410672") + &error(2, 29000, "6.000000")),
    );
    t.send_line(&format!(
        "cat {} | {BIN} explain --follow -; echo EXIT=$?",
        log.display()
    ));
    let s = t.wait_for("the ended pipe's view", 20, |s| {
        s.contains("follow stdin") && s.contains("finished") && s.contains("errors 2")
    });
    assert!(s.contains("2/min now"), "{s}");
    assert!(s.contains("retries 2 (1 too early"), "{s}");
    assert!(!s.contains("LEAKCHECK"), "a key on the screen:\n{s}");
    t.key("q");
    let s = t.assert_restored("0");
    let joined: String = s.lines().map(|l| l.trim_end_matches(' ')).collect();
    assert!(joined.contains("2 API errors diagnosed (2 tpm)"), "{s}");
}

/// At 200 × 50 the last diagnosis is on the screen as its card, beside the events, with
/// no key pressed.
#[test]
fn the_last_card_shows_at_200x50() {
    if !tmux_present() {
        return;
    }
    let (t, log) = following("follow-wide", 200, 50);
    assert!(
        t.screen().contains("no error diagnosed yet"),
        "{}",
        t.screen()
    );
    append(&log, &error(1, 28541, "0.410672"));
    let s = t.wait_for("the last card", 20, |s| {
        s.contains("last diagnosis") && s.contains("OpenAI: tokens per minute (TPM) limit reached")
    });
    assert!(s.contains("1/min now"), "{s}");
    assert!(!s.contains("LEAKCHECK"), "a key on the screen:\n{s}");
    t.key("q");
    t.assert_restored("0");
}
