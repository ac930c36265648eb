//! The terminal UI in a real terminal: `ratedoctor demo` inside tmux. Budgets and a 429
//! appear, a pasted error is diagnosed, `q` quits with status 0 and the terminal is back
//! on the normal screen in cooked mode. SIGTERM, SIGINT and a panic: `reliability_terminal.rs`.
//!
//! Skipped (with a note) when tmux is missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1` is
//! set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use std::path::Path;
use tmux_common::{Tmux, has_429, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

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

/// `run` under the live view keeps the program's output (issue #14): every one of 10,000
/// lines lands in the file the summary names and is printed after the view closes; the
/// header says how the program ended and its clock stops; a program still running is
/// stopped only on the second `q`.
#[test]
fn run_keeps_every_line_of_the_program_and_asks_before_stopping_it() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("runkeep");
    let prog = t.path("job.py");
    std::fs::write(
        &prog,
        "import sys, time\nfor i in range(10000): print('line', i)\n\
         print('done: ok=18 failed=12', file=sys.stderr)\nsys.stdout.flush()\ntime.sleep(1.5)\nsys.exit(3)\n",
    )
    .unwrap();
    let tmp = t.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    t.send_line(&format!(
        "TMPDIR={} {BIN} run -- python3 {}; echo EXIT=$?",
        tmp.display(),
        prog.display()
    ));
    let s = t.wait_for("the program's end in the header", 30, |s| {
        s.contains("exited (code 3)")
    });
    assert!(t.alternate_on(), "{s}");
    // (stdout and stderr are two pipes: where the stderr line falls among the last stdout
    // lines is up to the scheduler, so only the file is asked for it.)
    assert!(s.contains("output (10001 lines"), "{s}");
    let clock = |s: &str| s.lines().next().unwrap_or_default().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        clock(&t.screen()),
        clock(&s),
        "the clock stops when the program ends"
    );
    t.key("q");
    let s = t.assert_restored("3");
    assert!(s.contains("line 9999"), "{s}");
    let kept: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("ratedoctor-run-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let text = std::fs::read_to_string(&kept[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10_001);
    for (i, l) in lines.iter().filter(|l| l.starts_with("line ")).enumerate() {
        assert_eq!(*l, format!("line {i}"));
    }
    assert!(lines.contains(&"done: ok=18 failed=12"));

    // A program still running: the first q only warns, the second stops it.
    t.shell("clear");
    let slow = t.path("slow.py");
    std::fs::write(
        &slow,
        "import sys, time\nprint('hello'); sys.stdout.flush()\ntime.sleep(60)\n",
    )
    .unwrap();
    t.send_line(&format!(
        "{BIN} run -- python3 {}; echo EXIT=$?",
        slow.display()
    ));
    t.wait_for("the program's first line", 30, |s| s.contains("hello"));
    t.key("q");
    t.wait_for("the warning", 5, |s| {
        s.contains("program still running: press q again to stop it")
    });
    assert!(t.alternate_on());
    t.key("q");
    let s = t.assert_restored("137");
    assert!(s.contains("the program printed 1 line"), "{s}");
}

/// A program that reads its input gets what is typed, as in a terminal (issue #14, item
/// 1): when it blocks on a prompt the keys go to it (`q` included), the prompt and the
/// answer make one line, Esc gives the keys back to the view and `i` hands them over
/// again, Ctrl-D ends its input; its exit code is `run`'s.
#[test]
fn an_interactive_program_gets_what_is_typed_under_the_live_view() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("runinput");
    let prog = t.path("ask.py");
    std::fs::write(
        &prog,
        "import sys\nname = input('Your name: ')\nprint('hello', name, flush=True)\n\
         rest = sys.stdin.read()\nprint('got', len(rest.splitlines()), 'more lines:', \
         '|'.join(rest.splitlines()), flush=True)\nsys.exit(5)\n",
    )
    .unwrap();
    t.send_line(&format!(
        "{BIN} run -- python3 {}; echo EXIT=$?",
        prog.display()
    ));
    let s = t.wait_for("the prompt, with the keys handed over", 30, |s| {
        s.contains("waits for input")
            && s.contains("› Your name:")
            && s.contains("typing to the program")
    });
    assert!(t.alternate_on(), "{s}");
    // Esc gives the keys back (the footer lists the view's keys), `i` hands them over.
    t.key("Escape");
    t.wait_for("the view's keys", 5, |s| s.contains("i type to program"));
    t.key("i");
    t.wait_for("the input line again", 5, |s| {
        s.contains("typing to the program")
    });
    t.cmd(&["send-keys", "-t", "t", "-l", "Bob"]);
    t.key("Enter");
    t.wait_for("the answer", 10, |s| {
        s.contains("hello Bob") && s.contains("Your name: Bob")
    });
    // It reads the rest of its input: `q` is typed to it, not a quit.
    t.wait_for("the second wait", 10, |s| {
        s.contains("waits for input") && s.contains("typing to the program")
    });
    t.cmd(&["send-keys", "-t", "t", "-l", "q"]);
    t.key("Enter");
    t.cmd(&["send-keys", "-t", "t", "-l", "x y"]);
    t.key("Enter");
    t.key("C-d");
    let s = t.wait_for("the program's end", 10, |s| s.contains("exited (code 5)"));
    assert!(s.contains("got 2 more lines: q|x y"), "{s}");
    assert!(t.alternate_on(), "{s}");
    t.key("q");
    let s = t.assert_restored("5");
    assert!(s.contains("Your name: Bob"), "{s}");
    assert!(s.contains("got 2 more lines: q|x y"), "{s}");
}

/// Declining a burst at its question sends nothing and exits 1, not 0 (issue #14): a
/// script can tell "nothing done" from "probed". The base URL has nothing listening, so a
/// call sent by mistake would fail with exit code 4.
#[test]
fn declining_a_probe_burst_sends_nothing_and_exits_1() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("decline");
    // The key is set, then the screen cleared, so any later sight of it is a leak.
    t.send_line("export OPENAI_API_KEY=sk-test-decline-0123456789; clear");
    t.wait_for("a cleared screen", 5, |s| !s.contains("decline-0123456789"));
    t.send_line(&format!(
        "{BIN} probe --provider openai --base-url http://127.0.0.1:9/v1 --calls 3; echo EXIT=$?"
    ));
    t.wait_for("the question", 10, |s| s.contains("Send them? [y/N]"));
    t.send_line("n");
    let s = t.wait_for("the exit status", 10, |s| s.contains("EXIT="));
    assert!(s.contains("nothing sent"), "{s}");
    assert_eq!(tmux_common::exit_status(&s), Some("1"), "{s}");
    assert!(
        !s.contains("decline-0123456789"),
        "the key reached the screen:\n{s}"
    );
}
