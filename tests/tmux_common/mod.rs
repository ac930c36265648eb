//! A real terminal for the tests: a private tmux server (its own socket, killed on drop),
//! keys and pastes in, screen text out, and the checks that the terminal came back from a
//! full-screen program (normal screen, cooked mode, echo).
//!
//! tmux missing: `tmux_present` says so and the test skips, unless
//! `RATEDOCTOR_REQUIRE_TOOLS=1` is set (`.ci/run` installs tmux and sets it; see `skip/mod.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A screen line without the shell's prompt (`# `): output may land after a prompt that
/// was printed late, on a loaded machine.
pub fn bare(line: &str) -> &str {
    line.trim().trim_start_matches('#').trim()
}

/// The status a shell printed with `echo EXIT=$?`: a line `EXIT=` and digits only, so the
/// typed command (`...; echo EXIT=$?`, which may wrap to start a screen line) never counts.
pub fn exit_status(screen: &str) -> Option<&str> {
    screen.lines().find_map(|l| {
        bare(l)
            .strip_prefix("EXIT=")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether the live view's header counts a 429 or more (`429s N`, N > 0).
pub fn has_429(s: &str) -> bool {
    s.lines().any(|l| {
        l.split("429s ")
            .nth(1)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit() && c != '0')
    })
}

#[path = "../skip/mod.rs"]
pub mod skip;

pub fn tmux_present() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip::skip("the real-terminal test", "tmux not found");
    }
    ok
}

/// One tmux server of its own (a private socket), killed on drop.
pub struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    pub fn start(name: &str) -> Tmux {
        Tmux::start_sized(name, 120, 40)
    }

    /// A terminal of `width` × `height` cells.
    pub fn start_sized(name: &str, width: u16, height: u16) -> Tmux {
        let (w, h) = (width.to_string(), height.to_string());
        let socket = format!("rd-{}-{name}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let t = Tmux { socket, dir };
        let out = t.cmd(&["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, "sh"]);
        assert!(out.status.success(), "{out:?}");
        // The shell is up and has printed its prompt before anything is typed.
        t.send_line("echo SHELL-READY-$((1+1))");
        t.wait_for("the shell", 30, |s| {
            s.lines().any(|l| bare(l) == "SHELL-READY-2")
        });
        t
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
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

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn send_line(&self, line: &str) {
        let out = self.cmd(&["send-keys", "-t", "t", "-l", line]);
        assert!(out.status.success(), "{out:?}");
        self.cmd(&["send-keys", "-t", "t", "Enter"]);
    }

    pub fn key(&self, key: &str) {
        let out = self.cmd(&["send-keys", "-t", "t", key]);
        assert!(out.status.success(), "{out:?}");
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// The newest tmux paste buffer: what a program put on the clipboard with OSC 52
    /// (with `set-clipboard on`), or `None`.
    pub fn clipboard(&self) -> Option<String> {
        let out = self.cmd(&["show-buffer"]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn alternate_on(&self) -> bool {
        let out = self.cmd(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// The screen once it satisfies `ok`, or `None` after `secs` seconds.
    pub fn wait_until(&self, secs: u64, ok: impl Fn(&str) -> bool) -> Option<String> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if ok(&s) {
                return Some(s);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen satisfies `ok`, or fails with the last screen.
    pub fn wait_for(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
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

    pub fn paste_file(&self, file: &Path) {
        let out = self.cmd(&["load-buffer", "-b", "rd", file.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let out = self.cmd(&["paste-buffer", "-p", "-b", "rd", "-t", "t"]);
        assert!(out.status.success(), "{out:?}");
    }

    /// Runs `line` in the shell and waits until it has finished (a marker line of its own).
    pub fn shell(&self, line: &str) {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let id = SEQ.fetch_add(1, Ordering::SeqCst);
        self.send_line(&format!("{line}; echo DONE-{id}-$((1+1))"));
        let want = format!("DONE-{id}-2");
        self.wait_for(line, 30, |s| s.lines().any(|l| bare(l) == want));
    }

    /// The terminal settings now (`stty -g`, one line), read through the shell.
    pub fn stty_g(&self) -> String {
        let file = self.path("stty-g");
        let _ = std::fs::remove_file(&file);
        self.shell(&format!("stty -g > {}", file.display()));
        std::fs::read_to_string(&file).unwrap().trim().to_string()
    }

    /// After the program ended: normal screen, cooked mode with echo, a visible cursor,
    /// and the exit status line.
    pub fn assert_restored(&self, want_exit: &str) -> String {
        // The typed command line contains `EXIT=$?` (and, with a long path, wraps so that
        // `EXIT=$?` starts a screen line); the status is a line of its own, digits only.
        let s = self.wait_for("the exit status", 30, |s| exit_status(s).is_some());
        assert_eq!(exit_status(&s), Some(want_exit), "{s}");
        self.assert_normal(&s);
        s
    }

    /// The terminal is the shell's again: normal screen, a visible cursor, cooked mode
    /// with echo (`s` is the screen, for the messages).
    pub fn assert_normal(&self, s: &str) {
        assert!(!self.alternate_on(), "still on the alternate screen:\n{s}");
        let out = self.cmd(&["display-message", "-p", "-t", "t", "#{cursor_flag}"]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "1",
            "the cursor is still hidden:\n{s}"
        );
        let stty = self.path("stty");
        self.shell(&format!("stty -a > {}", stty.display()));
        let settings = std::fs::read_to_string(&stty).unwrap();
        let words: Vec<&str> = settings.split_whitespace().collect();
        for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
            assert!(
                words.contains(&flag),
                "{flag} left off (raw mode): {settings}"
            );
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
