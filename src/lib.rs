//! ratedoctor: diagnose HTTP 429s from AI APIs.
//!
//! Layers (see the README's development section):
//! - core (pure: no tokio, no network, no terminal, no clock): [`duration`], [`diagnose`],
//!   [`headers`], [`table`], [`redact`];
//! - sources: [`emulator`];
//! - views: [`views`];
//! - cli: [`cli`] parses arguments, [`commands`] wires sources to views.

pub mod backoff;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod duration;
pub mod emulator;
pub mod error;
pub mod event;
pub mod headers;
pub mod limiter;
pub mod probe;
pub mod proxy;
pub mod redact;
pub mod replay;
pub mod session;
pub mod shutdown;
pub mod simulate;
pub mod table;
pub mod tui;
pub mod views;

pub use error::{AppError, ExitCode};

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    install_panic_hook();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    run_with(args)
}

/// Output piped into a reader that went away (`ratedoctor explain big.log | head`) ends the
/// process quietly, as it would end `cat`; any other panic is one line on stderr, not a
/// stack trace (set `RUST_BACKTRACE=1` for one). The TUI chains its own hook in front of
/// this one to restore the terminal first.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("ratedoctor: internal error: {msg}{at}. This is a bug; please report it.");
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// Runs with explicit arguments (the first is the program name).
pub fn run_with(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match commands::dispatch(cli) {
        Ok(code) => code as i32,
        Err(err) => {
            eprintln!("ratedoctor: {err}");
            err.exit_code() as i32
        }
    }
}
