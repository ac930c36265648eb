//! Reliability, "Terminal" (issues #8, #15): whatever ends the terminal UI — a signal
//! (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM), Ctrl-C, a panic — the terminal
//! comes back as it was, in a real terminal (tmux): the main screen with what was printed
//! before the UI started, the same `stty` settings (cooked mode, echo), a visible cursor,
//! no bracketed paste left on, and a shell that takes the next command. Signal N exits
//! with 128 + N, Ctrl-C with 130. A panic prints one line after the restore (no stack
//! trace) and exits with 70. Suspend (Ctrl-Z, `kill -TSTP`) gives the terminal back to
//! the shell; `fg` brings the whole view back and `q` still quits.
//!
//! The panic comes from a test-only hook of the loop (`RATEDOCTOR_TEST_PANIC=1`: panic
//! after the first frame; `=thread`: another thread panics then), off unless that variable
//! is set. A panic of another thread leaves the view up and is printed after it.
//!
//! Skipped (with a note) when tmux is missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1` is
//! set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use std::path::Path;
use std::process::Command;
use tmux_common::{Tmux, bare, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

/// Printed by the shell before the UI starts (the typed line shows `$((40+2))`, not 42).
const BEFORE: &str = "BEFORE-UI-42";

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

/// Prints the marker, records `stty -g`, starts `command` (which writes its pid to
/// `pid_file` when asked) and waits for its screen; returns the settings before.
fn start_ui(t: &Tmux, command: &str, ready: &str) -> String {
    t.shell("echo BEFORE-UI-$((40+2))");
    let before = t.stty_g();
    t.send_line(&format!("{command}; echo EXIT=$?"));
    let s = t.wait_for(ready, 30, |s| s.contains(ready));
    assert!(
        t.alternate_on(),
        "the UI is not on the alternate screen:\n{s}"
    );
    assert!(
        !s.contains(BEFORE),
        "the UI should hide the main screen while it runs:\n{s}"
    );
    before
}

/// Everything that must hold once the UI is gone.
fn check_restored(t: &Tmux, before_stty: &str, want_exit: &str) -> String {
    let s = t.assert_restored(want_exit);
    assert!(
        s.contains(BEFORE),
        "what was printed before the UI is not back on the screen:\n{s}"
    );
    assert_eq!(t.stty_g(), before_stty, "the terminal settings changed");
    // The shell takes a command and its output shows (echo, newline translation).
    t.shell("echo AFTER-UI-$((6*7))");
    assert!(t.screen().lines().any(|l| bare(l) == "AFTER-UI-42"));
    // Bracketed paste is off again: a paste reaches the program without \e[200~ markers.
    let pasted = t.path("pasted");
    let text = t.path("paste-text");
    std::fs::write(&text, "PASTED-TEXT\n").unwrap();
    t.send_line(&format!("cat -v > {}", pasted.display()));
    t.paste_file(&text);
    t.key("C-d");
    t.wait_for("the paste", 30, |_| {
        std::fs::read_to_string(&pasted).is_ok_and(|p| p.contains("PASTED-TEXT"))
    });
    let got = std::fs::read_to_string(&pasted).unwrap();
    assert!(!got.contains("[200~"), "bracketed paste left on: {got:?}");
    s
}

/// `sh -c 'echo $$ > pid; exec CMD'`: the pid of the UI process itself.
fn with_pid(t: &Tmux, cmd: &str) -> (String, std::path::PathBuf) {
    let pid = t.path("pid");
    (
        format!("sh -c 'echo $$ > {}; exec {cmd}'", pid.display()),
        pid,
    )
}

/// The number of signal `name` here (`kill -l TERM` → 15).
fn signal_number(name: &str) -> u32 {
    if let Ok(n) = name.parse() {
        return n;
    }
    // kill(1), as `signal` uses (dash's builtin does not map names to numbers).
    let out = Command::new("kill").args(["-l", name]).output().unwrap();
    let n = String::from_utf8_lossy(&out.stdout).trim().to_string();
    n.parse()
        .unwrap_or_else(|_| panic!("kill -l {name} gave {n:?}"))
}

fn signal(pid_file: &Path, sig: &str) {
    let pid = std::fs::read_to_string(pid_file).unwrap();
    let st = Command::new("kill")
        .args([sig, pid.trim()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// `name` sent to the live view of `demo`: the terminal restored, exit 128 + N.
fn signal_to_the_live_view(name: &str) {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start(&format!("{}-demo", name.to_lowercase()));
    let (cmd, pid) = with_pid(&t, &format!("{BIN} demo"));
    let before = start_ui(&t, &cmd, "budgets (");
    signal(&pid, &format!("-{name}"));
    let want = (128 + signal_number(name)).to_string();
    let s = check_restored(&t, &before, &want);
    // demo prints its summary after the view, whatever closed it.
    assert!(
        s.contains("ratedoctor summary"),
        "no summary after {name}:\n{s}"
    );
}

#[test]
fn sigterm_to_the_live_view_restores_the_terminal_and_exits_143() {
    signal_to_the_live_view("TERM");
}

#[test]
fn sigint_to_the_live_view_restores_the_terminal_and_exits_130() {
    signal_to_the_live_view("INT");
}

#[test]
fn sighup_to_the_live_view_restores_the_terminal_and_exits_129() {
    signal_to_the_live_view("HUP");
}

#[test]
fn sigquit_to_the_live_view_restores_the_terminal_and_exits_131() {
    signal_to_the_live_view("QUIT");
}

#[test]
fn sigusr1_to_the_live_view_restores_the_terminal_and_exits_128_plus_usr1() {
    signal_to_the_live_view("USR1");
}

#[test]
fn sigalrm_to_the_live_view_restores_the_terminal_and_exits_142() {
    signal_to_the_live_view("ALRM");
}

#[test]
fn sigusr2_to_the_live_view_restores_the_terminal_and_exits_128_plus_usr2() {
    signal_to_the_live_view("USR2");
}

// Issue #15 asks for every catchable signal: these end a process by default too, and
// `src/tui/signals.rs` (`ending`) answers them as it answers the ones above.
#[test]
fn sigprof_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("PROF");
}

#[test]
fn sigvtalrm_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("VTALRM");
}

#[test]
fn sigxcpu_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("XCPU");
}

#[test]
fn sigxfsz_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("XFSZ");
}

#[test]
fn sigpoll_to_the_live_view_restores_the_terminal() {
    // SIGIO: kill(1) knows it as POLL.
    signal_to_the_live_view("POLL");
}

#[test]
fn sigpwr_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("PWR");
}

#[test]
fn sigstkflt_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("STKFLT");
}

#[test]
fn sigsys_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("SYS");
}

#[test]
fn sigtrap_to_the_live_view_restores_the_terminal() {
    signal_to_the_live_view("TRAP");
}

#[test]
fn sigrtmin_to_the_live_view_restores_the_terminal() {
    // SIGRTMIN as glibc gives it to programs (kill(1) of procps has no name for it).
    signal_to_the_live_view("34");
}

#[test]
fn ctrl_c_in_the_live_view_restores_the_terminal_and_exits_130() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("ctrl-c-demo");
    let before = start_ui(&t, &format!("{BIN} demo"), "budgets (");
    t.key("C-c");
    let s = check_restored(&t, &before, "130");
    assert!(s.contains("ratedoctor summary"), "{s}");
}

#[test]
fn ctrl_c_under_run_stops_the_program_at_once_and_exits_130() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("ctrl-c-run");
    let child = t.path("child-pid");
    let before = start_ui(
        &t,
        &format!(
            "{BIN} run -- sh -c 'echo $$ > {}; exec sleep 600'",
            child.display()
        ),
        "budgets (",
    );
    t.wait_for("the program's pid", 30, |_| {
        std::fs::read_to_string(&child).is_ok_and(|p| p.ends_with('\n'))
    });
    let pid = std::fs::read_to_string(&child).unwrap().trim().to_string();
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the program runs"
    );
    // No "press q again" question: one Ctrl-C ends the view and the program.
    t.key("C-c");
    check_restored(&t, &before, "130");
    // Stopped and reaped: gone, not a zombie.
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the program {pid} still runs after Ctrl-C"
    );
}

/// The request count in the live view's header (`requests N`).
fn requests(s: &str) -> Option<u64> {
    s.lines().find_map(|l| {
        l.split("requests ")
            .nth(1)?
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    })
}

/// The view is stopped: the shell says so and has the terminal back as it was.
fn check_suspended(t: &Tmux, before_stty: &str) {
    let s = t.wait_for("the shell's Stopped line", 30, |s| s.contains("Stopped"));
    t.assert_normal(&s);
    assert_eq!(
        t.stty_g(),
        before_stty,
        "the terminal settings while stopped"
    );
    assert!(
        s.contains(BEFORE),
        "the main screen is not back while stopped:\n{s}"
    );
}

/// `fg`: the whole view is back (static text too: only a full redraw puts it on the
/// fresh alternate screen), it goes on counting, and `q` quits with 0, restored.
fn check_resumed_then_quit(t: &Tmux, before_stty: &str, count_before: u64) {
    t.send_line("fg; echo EXIT=$?");
    // The whole view, drawn to its last pane (a loaded machine was caught mid-frame).
    let s = t.wait_for("the view again, counting on", 30, |s| {
        s.contains("budgets (")
            && s.contains("timeline")
            && s.contains("events ")
            && requests(s).is_some_and(|n| n > count_before)
    });
    assert!(t.alternate_on(), "fg: not on the alternate screen:\n{s}");
    assert!(
        !s.contains("Stopped") && !s.contains(BEFORE),
        "fg: the shell's screen shows through the view:\n{s}"
    );
    assert!(s.contains("timeline"), "fg: a pane is missing:\n{s}");
    t.key("q");
    check_restored(t, before_stty, "0");
}

/// Suspends `demo` with `stop` (given the pid file), checks the shell has the terminal,
/// then `fg`, the view again, and `q`.
fn suspend_and_resume(name: &str, stop: impl Fn(&Tmux, &Path)) {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start(name);
    t.shell("echo BEFORE-UI-$((40+2))");
    let before = t.stty_g();
    let (cmd, pid) = with_pid(&t, &format!("{BIN} demo"));
    // No `; echo EXIT=$?` here: the shell runs it as soon as the job stops (148).
    t.send_line(&cmd);
    let s = t.wait_for("the live view", 30, |s| {
        s.contains("budgets (") && requests(s).is_some_and(|n| n > 0)
    });
    let count = requests(&s).unwrap_or(0);
    stop(&t, &pid);
    check_suspended(&t, &before);
    check_resumed_then_quit(&t, &before, count);
}

#[test]
fn ctrl_z_suspends_the_live_view_and_fg_brings_it_back() {
    suspend_and_resume("ctrl-z-demo", |t, _| t.key("C-z"));
}

#[test]
fn sigtstp_suspends_the_live_view_and_fg_brings_it_back() {
    suspend_and_resume("tstp-demo", |_, pid| signal(pid, "-TSTP"));
}

#[test]
fn sigint_to_watch_restores_the_terminal_then_prints_the_summary_and_exits_130() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("int-watch");
    let (cmd, pid) = with_pid(&t, &format!("{BIN} watch --listen 127.0.0.1:0"));
    let before = start_ui(&t, &cmd, "waiting for the first response");
    signal(&pid, "-INT");
    let s = check_restored(&t, &before, "130");
    assert!(
        s.contains("ratedoctor summary"),
        "the summary is printed on the main screen after the UI:\n{s}"
    );
}

#[test]
fn sigterm_to_the_explain_view_restores_the_terminal_and_exits_143() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("term-explain");
    let (cmd, pid) = with_pid(
        &t,
        &format!(
            "{BIN} explain {}",
            sample("01_openai_tpm_python_traceback.txt")
        ),
    );
    let before = start_ui(&t, &cmd, "tokens per minute");
    signal(&pid, "-TERM");
    check_restored(&t, &before, "143");
}

/// The panic line: one line, after the restore, no stack trace, exit 70.
fn check_panic_report(s: &str) {
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("RATEDOCTOR_TEST_PANIC:"))
        .collect();
    assert_eq!(lines.len(), 1, "one panic line expected:\n{s}");
    assert!(
        bare(lines[0]).starts_with("ratedoctor: internal error (a bug) at src/"),
        "{s}"
    );
    for noise in ["panicked at", "stack backtrace", "note: run with"] {
        assert!(!s.contains(noise), "{noise:?} shown to the user:\n{s}");
    }
}

#[test]
fn a_panic_in_the_live_view_restores_the_terminal_and_prints_one_line() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("panic-demo");
    t.shell("echo BEFORE-UI-$((40+2))");
    let before = t.stty_g();
    // The UI panics right after its first frame: too soon to wait for its screen.
    t.send_line(&format!(
        "env -u RUST_BACKTRACE RATEDOCTOR_TEST_PANIC=1 {BIN} demo; echo EXIT=$?"
    ));
    let s = check_restored(&t, &before, "70");
    check_panic_report(&s);
}

#[test]
fn a_panic_in_the_explain_view_restores_the_terminal_and_prints_one_line() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("panic-explain");
    t.shell("echo BEFORE-UI-$((40+2))");
    let before = t.stty_g();
    t.send_line(&format!(
        "env -u RUST_BACKTRACE RATEDOCTOR_TEST_PANIC=1 {BIN} explain {}; echo EXIT=$?",
        sample("02_openai_rpm_compact_json.txt")
    ));
    let s = check_restored(&t, &before, "70");
    check_panic_report(&s);
}

#[test]
fn a_panic_in_another_thread_leaves_the_view_up_and_is_reported_after_it() {
    if !tmux_present() {
        return;
    }
    let t = Tmux::start("panic-thread");
    t.shell("echo BEFORE-UI-$((40+2))");
    let before = t.stty_g();
    t.send_line(&format!(
        "env -u RUST_BACKTRACE RATEDOCTOR_TEST_PANIC=thread {BIN} demo; echo EXIT=$?"
    ));
    // The thread panics after the first frame; two seconds on, the view is still up and
    // nothing was printed over it.
    let s = t.wait_for("two seconds of the live view", 30, |s| {
        s.contains("budgets (") && s.lines().next().is_some_and(|l| l.contains("00:02"))
    });
    assert!(t.alternate_on(), "the view was torn down:\n{s}");
    assert!(
        !s.contains("RATEDOCTOR_TEST_PANIC"),
        "printed over the view:\n{s}"
    );
    t.key("q");
    let s = check_restored(&t, &before, "0");
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("RATEDOCTOR_TEST_PANIC:"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "the panic is reported once, after the view:\n{s}"
    );
    assert!(lines[0].contains("another thread"), "{s}");
}
