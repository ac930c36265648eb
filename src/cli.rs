//! Command-line arguments (cli layer): clap derive, no logic.

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// Diagnose HTTP 429 "Too Many Requests" from AI APIs: which limit, how long to wait,
/// what to change.
#[derive(Debug, Parser)]
#[command(name = "ratedoctor", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose every API error in pasted text, files or stdin.
    Explain(ExplainArgs),
    /// Run the built-in provider emulator (OpenAI, Azure, Anthropic, Gemini) on loopback.
    Mock(crate::emulator::MockArgs),
    /// The retry schedule a backoff policy produces for a call that keeps failing.
    Backoff(crate::commands::backoff::BackoffArgs),
    /// Simulate a workload against rate limits under one or more retry policies.
    Simulate(crate::commands::simulate::SimulateArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Files to read; `-` is stdin. With none (and no --text), stdin is read.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Diagnose this text instead of reading files (may be repeated).
    #[arg(short = 't', long, value_name = "STRING")]
    pub text: Vec<String>,

    /// Print one JSON document on stdout instead of cards.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Print the cause/fix table and exit.
    #[arg(long)]
    pub table: bool,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,
}

/// Parses arguments; on `--help`, `--version` or an error, prints and returns the exit code.
pub fn parse(args: Vec<OsString>) -> Result<Cli, i32> {
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            Err(code)
        }
    }
}
