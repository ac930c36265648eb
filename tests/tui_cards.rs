//! The explain view in a real terminal (issue #14, item 8), at 80×24, 120×36 and 200×50:
//! the cards scroll down to the last snippet, which at 80×24 is out of sight before; `c`
//! puts the snippet on the clipboard with OSC 52 (tmux keeps it as a paste buffer with
//! `set-clipboard on`) and it is printed after quitting; `?` lists the keys of the screen
//! it was opened on and no others (explain view, Home, live view, paste area).
//!
//! Skipped (with a note) when tmux is missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use std::process::Command;
use tmux_common::{Tmux, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 36), (200, 50)];
/// Three errors: two Anthropic, one OpenAI, then a Gemini quota whose snippet ends the view.
const FILES: &str = "samples/80_log_anthropic_two_errors.txt \
                     samples/79_log_openai_tpm_repeated.txt \
                     samples/42_gemini_limit0_genai_python.txt";

fn dir() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

/// The snippets of the diagnoses, in order, as `--json` gives them.
fn snippets() -> Vec<String> {
    let out = Command::new(BIN)
        .current_dir(dir())
        .arg("explain")
        .arg("--json")
        .args(FILES.split_whitespace())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["snippet"]["code"].as_str().unwrap().to_string())
        .collect()
}

fn open_explain(t: &Tmux) -> String {
    t.send_line(&format!(
        "cd {} && {BIN} explain {FILES}; echo EXIT=$?",
        dir()
    ));
    t.wait_for("the explain view", 15, |s| {
        s.contains("ratedoctor explain: ") && s.contains("card 1 of 4")
    })
}

#[test]
fn the_cards_scroll_down_to_the_last_snippet_at_every_size() {
    if !tmux_present() {
        return;
    }
    let snippets = snippets();
    assert_eq!(snippets.len(), 4, "{snippets:?}");
    let last = snippets[3]
        .lines()
        .find(|l| l.contains("raise SystemExit"))
        .unwrap()
        .trim()
        .to_string();
    assert!(snippets[3].contains("google.genai"), "{}", snippets[3]);
    for (w, h) in SIZES {
        let t = Tmux::start_sized(&format!("scroll{w}"), w, h);
        let s = open_explain(&t);
        assert!(t.alternate_on(), "{w}x{h}:\n{s}");
        assert!(!s.contains(&last), "{w}x{h}: all in view already:\n{s}");
        assert!(s.contains("↓ more"), "{w}x{h}: no sign of more below:\n{s}");
        t.key("End");
        let s = t.wait_for(&format!("the last snippet at {w}x{h}"), 5, |s| {
            s.contains(&last)
        });
        assert!(s.contains("↑ end"), "{w}x{h}:\n{s}");
        // Every line of it, whole: none is cut at the border.
        for line in snippets[3].lines().filter(|l| !l.trim().is_empty()) {
            assert!(s.contains(line.trim()), "{w}x{h}: {line:?} not shown:\n{s}");
        }
        // Back to the top, then a page at a time until the end.
        t.key("Home");
        t.wait_for("the top again", 5, |s| !s.contains(&last));
        let mut pages = 0;
        while !t.screen().contains(&last) {
            t.key("PageDown");
            pages += 1;
            assert!(pages < 30, "{w}x{h}: PgDn never reaches the end");
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
        t.key("q");
        t.assert_restored("0");
    }
}

#[test]
fn tab_selects_the_next_card_and_c_copies_its_snippet_with_osc52_and_prints_it_on_quit() {
    if !tmux_present() {
        return;
    }
    let snippets = snippets();
    let t = Tmux::start_sized("copy", 80, 24);
    t.cmd(&["set-option", "-g", "set-clipboard", "on"]);
    open_explain(&t);
    assert_eq!(t.clipboard(), None, "a clipboard before any copy");
    t.key("Tab");
    t.wait_for("card 2", 5, |s| s.contains("card 2 of 4"));
    t.key("c");
    let s = t.wait_for("the copy's answer", 5, |s| {
        s.contains("copied the snippet of card 2 (OSC 52)")
    });
    assert!(t.alternate_on(), "{s}");
    let got = t.clipboard().expect("no OSC 52 reached the terminal");
    assert_eq!(got, snippets[1], "the clipboard holds another text");
    assert!(got.contains("anthropic"), "{got}");
    t.key("q");
    let s = t.assert_restored("0");
    assert!(s.contains("the snippet you copied"), "{s}");
    for line in snippets[1].lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            s.contains(line.trim()),
            "{line:?} not printed after quit:\n{s}"
        );
    }
}

/// Keys that only one screen has, and the words of its help.
const LIVE_ONLY: &[&str] = &["filter the event log", "pause / resume", "429s only"];
const EXPLAIN_ONLY: &[&str] = &["next / previous card"];
const HOME_ONLY: &[&str] = &["start the demo"];
const CARDS: &str = "copy the card's snippet";

fn help(t: &Tmux, title: &str) -> String {
    t.key("?");
    t.wait_for(title, 10, |s| s.contains(title));
    // The whole pane, not a frame caught half drawn: two captures 150 ms apart that agree
    // (the live view behind it keeps changing, the help pane's lines do not).
    let pane_lines = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains('│'))
            .map(|l| l.split('│').nth(1).unwrap_or("").to_string())
            .collect()
    };
    let mut s = t.screen();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let next = t.screen();
        if pane_lines(&next) == pane_lines(&s) {
            s = next;
            break;
        }
        s = next;
    }
    t.key("Escape");
    t.wait_for("the help to close", 5, |s| !s.contains(title));
    s
}

fn lacks(s: &str, words: &[&str], size: (u16, u16)) {
    for w in words {
        assert!(!s.contains(w), "{size:?}: {w:?} listed here:\n{s}");
    }
}

#[test]
fn help_lists_only_the_keys_of_the_screen_it_is_on() {
    if !tmux_present() {
        return;
    }
    for (w, h) in SIZES {
        let size = (w, h);
        let t = Tmux::start_sized(&format!("help{w}"), w, h);

        open_explain(&t);
        let s = help(&t, "explain view keys");
        assert!(
            s.contains(EXPLAIN_ONLY[0]) && s.contains(CARDS),
            "{size:?}:\n{s}"
        );
        lacks(&s, LIVE_ONLY, size);
        lacks(&s, HOME_ONLY, size);
        t.key("q");
        t.assert_restored("0");

        t.shell("clear");
        t.send_line(&format!("{BIN}; echo EXIT=$?"));
        t.wait_for("Home", 10, |s| {
            s.contains("ways in") || s.contains("paste an error")
        });
        let s = help(&t, "home screen keys");
        assert!(
            s.contains(HOME_ONLY[0]) && s.contains(CARDS),
            "{size:?}:\n{s}"
        );
        lacks(&s, LIVE_ONLY, size);
        lacks(&s, EXPLAIN_ONLY, size);
        t.key("q");
        t.assert_restored("0");

        t.shell("clear");
        t.send_line(&format!("{BIN} demo --seed 3; echo EXIT=$?"));
        t.wait_for("the live view", 20, |s| s.contains("budgets ("));
        let s = help(&t, "live view keys");
        for k in LIVE_ONLY {
            assert!(s.contains(k), "{size:?}: {k:?} missing:\n{s}");
        }
        assert!(s.contains("Marks on the timeline"), "{size:?}:\n{s}");
        lacks(&s, &[CARDS], size);
        lacks(&s, EXPLAIN_ONLY, size);
        lacks(&s, HOME_ONLY, size);
        // The paste area over the live view has keys of its own.
        t.key("p");
        t.wait_for("the paste area", 5, |s| s.contains("type or paste"));
        t.key("Escape");
        let s = help(&t, "paste area keys");
        assert!(s.contains("type or edit the pasted text"), "{size:?}:\n{s}");
        lacks(&s, LIVE_ONLY, size);
        lacks(&s, EXPLAIN_ONLY, size);
        t.key("q");
        t.assert_restored("0");
    }
}
