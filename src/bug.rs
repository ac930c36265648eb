//! What a bug looks like to a user (cli layer). A panic is never the answer to bad input
//! (that gets a one-line error and an exit code); when one happens anyway, the hook
//! installed here gives the terminal back first — the live view may own it, in raw mode on
//! the alternate screen — then prints one line: that it is a bug, where, and how to see
//! more. `RUST_BACKTRACE` set (and not `0`) prints Rust's full report instead. The process
//! then exits with 70 (internal error): `run_with` catches the unwind.
//!
//! A panic on another thread while the live view runs (a source's task) does not end the
//! view: its line is printed when the view ends and the terminal is back.
//!
//! The message goes through [`redact`]: a panic payload can quote the text being read.

use crate::redact::redact;
use std::panic::PanicHookInfo;
use std::sync::Once;

static HOOK: Once = Once::new();

/// Installs the hook once (later calls do nothing); Rust's own hook is kept for
/// `RUST_BACKTRACE`.
pub fn install() {
    HOOK.call_once(|| {
        let rust_default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if broken_pipe(info) {
                // Output piped into a reader that went away (`ratedoctor explain big.log |
                // head`): stop quietly, as `cat` would.
                crate::tui::run::restore_terminal();
                std::process::exit(0);
            }
            let details = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
            if details && crate::tui::run::panic_ends_ui() {
                crate::tui::run::restore_terminal();
                rust_default(info);
            } else {
                // A panic of another thread while the UI runs is printed when it ends.
                crate::tui::run::report_panic(one_line(info));
            }
        }));
    });
}

/// Is this the panic of `print!` on a stdout whose reader has gone?
fn broken_pipe(info: &PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    what.contains("failed printing to stdout") && what.contains("os error 32")
}

/// `ratedoctor: internal error (a bug) at src/x.rs:12: <what>. …`
fn one_line(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string());
    let what: String = what.split_whitespace().collect::<Vec<_>>().join(" ");
    let what = redact(&what);
    let mut short: String = what.chars().take(300).collect();
    if what.chars().count() > 300 {
        short.push('…');
    }
    let at = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "ratedoctor: internal error (a bug){at}: {short}. Please report it; RUST_BACKTRACE=1 shows the details."
    )
}
