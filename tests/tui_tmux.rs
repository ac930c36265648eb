//! The terminal UI in a real terminal: `ratedoctor demo` inside tmux. Budgets and a 429
//! appear, a pasted error is diagnosed, `q` quits with status 0 and the terminal is back
//! on the normal screen in cooked mode; SIGTERM and a panic restore it too.
//!
//! Skipped (with a note) when tmux is missing, unless `CI` is set: CI installs tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

fn tmux_present() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required when CI is set (.ci/run installs it)"
        );
        eprintln!("note: tmux not found; skipping the real-terminal test");
    }
    ok
}

/// One tmux server of its own (a private socket), killed on drop.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(name: &str) -> Tmux {
        let socket = format!("rd-{}-{name}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let t = Tmux { socket, dir };
        let out = t.cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "120",
            "-y",
            "40",
            "sh",
        ]);
        assert!(out.status.success(), "{out:?}");
        t
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn send_line(&self, line: &str) {
        let out = self.cmd(&["send-keys", "-t", "t", "-l", line]);
        assert!(out.status.success(), "{out:?}");
        self.cmd(&["send-keys", "-t", "t", "Enter"]);
    }

    fn key(&self, key: &str) {
        let out = self.cmd(&["send-keys", "-t", "t", key]);
        assert!(out.status.success(), "{out:?}");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn alternate_on(&self) -> bool {
        let out = self.cmd(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Waits until the screen satisfies `ok`, or fails with the last screen.
    fn wait_for(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < end,
                "timed out after {secs} s waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn paste_file(&self, file: &Path) {
        let out = self.cmd(&["load-buffer", "-b", "rd", file.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let out = self.cmd(&["paste-buffer", "-p", "-b", "rd", "-t", "t"]);
        assert!(out.status.success(), "{out:?}");
    }

    /// After the program ended: normal screen, cooked mode, and the exit status line.
    fn assert_restored(&self, want_exit: &str) -> String {
        // The typed command line contains `EXIT=$?`; the status is a line of its own.
        let s = self.wait_for("the exit status", 20, |s| {
            s.lines().any(|l| l.starts_with("EXIT="))
        });
        assert!(
            s.lines().any(|l| l.trim() == format!("EXIT={want_exit}")),
            "{s}"
        );
        assert!(!self.alternate_on(), "still on the alternate screen:\n{s}");
        let stty = self.path("stty");
        self.send_line(&format!("stty -a > {}; echo STTY_DONE", stty.display()));
        self.wait_for("stty", 10, |s| s.lines().any(|l| l.trim() == "STTY_DONE"));
        let settings = std::fs::read_to_string(&stty).unwrap();
        let words: Vec<&str> = settings.split_whitespace().collect();
        assert!(words.contains(&"icanon"), "raw mode left on: {settings}");
        assert!(words.contains(&"echo"), "echo left off: {settings}");
        s
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

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

#[test]
fn sigterm_and_a_panic_leave_the_terminal_restored() {
    if !tmux_present() {
        return;
    }
    // SIGTERM.
    let t = Tmux::start("term");
    let pid_file = t.path("pid");
    t.send_line(&format!(
        "sh -c 'echo $$ > {}; exec {BIN} demo'; echo EXIT=$?",
        pid_file.display()
    ));
    t.wait_for("the live view", 15, |s| s.contains("budgets ("));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let st = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(st.success());
    t.assert_restored("0");
    drop(t);

    // A panic inside the loop (test hook).
    let t = Tmux::start("panic");
    t.send_line(&format!(
        "RUST_BACKTRACE=0 RATEDOCTOR_TEST_PANIC=1 {BIN} demo; echo EXIT=$?"
    ));
    let s = t.assert_restored("101");
    assert!(
        s.contains("RATEDOCTOR_TEST_PANIC"),
        "the panic message is shown after restore:\n{s}"
    );
}
