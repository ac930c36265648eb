//! ratedoctor: diagnose HTTP 429s from AI APIs.
//!
//! Layers (see the README's development section):
//! - core (pure: no tokio, no network, no terminal, no clock): [`duration`], [`diagnose`],
//!   [`headers`], [`table`], [`redact`];
//! - sources: [`emulator`];
//! - views: [`views`];
//! - cli: [`cli`] parses arguments, [`commands`] wires sources to views, [`bug`] reports a
//!   panic (terminal restored, one line, exit 70).

pub mod backoff;
pub mod base64;
pub mod bug;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod duration;
pub mod emulator;
pub mod error;
pub mod event;
pub mod follow;
pub mod headers;
pub mod limiter;
pub mod listen;
pub mod pattern;
pub mod probe;
pub mod proxy;
pub mod redact;
pub mod replay;
pub mod serve;
pub mod session;
pub mod shutdown;
pub mod simulate;
pub mod sink;
pub mod snippet;
pub mod table;
pub mod tui;
pub mod views;
pub mod vocab;

pub use error::{AppError, ExitCode};

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    run_with(args)
}

/// Runs with explicit arguments (the first is the program name).
pub fn run_with(args: Vec<std::ffi::OsString>) -> i32 {
    bug::install();
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    // A panic has been reported by the hook (terminal restored, one line); exit 70.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli::dispatch(cli)));
    match outcome {
        Ok(Ok(code)) => code.code(),
        Ok(Err(err)) => {
            eprintln!("ratedoctor: {}", redact::redact(&err.to_string()));
            err.exit_code().code()
        }
        Err(_) => ExitCode::Internal.code(),
    }
}
