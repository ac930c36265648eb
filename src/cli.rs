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
    #[command(after_help = examples(&[
        ("ratedoctor explain error.txt", "the cards, scrollable, on a terminal"),
        ("ratedoctor explain --json app.log", "every error of a log, as JSON"),
        ("kubectl logs -f POD | ratedoctor explain --follow -", "each error as it comes"),
    ]))]
    Explain(ExplainArgs),
    /// Show an API key's live budgets for the price of one token (or a capped burst).
    #[command(after_help = examples(&[
        ("ratedoctor probe", "provider from the one API key that is set"),
        ("ratedoctor probe --provider anthropic --raw", "also the raw headers"),
        ("ratedoctor probe --calls 10 --yes", "a burst: stops at the first 429"),
    ]))]
    Probe(ProbeArgs),
    /// Watch budgets, retries and 429s of programs through a transparent local proxy.
    #[command(after_help = examples(&[
        ("ratedoctor watch", "then, elsewhere: export OPENAI_BASE_URL=http://127.0.0.1:8787/v1"),
        ("ratedoctor watch --no-tui --record run.jsonl", "event lines, and a recording"),
        ("ratedoctor watch --listen 127.0.0.1:0", "any free port"),
    ]))]
    Watch(crate::commands::watch::WatchArgs),
    /// Run a program with its SDKs pointed at the proxy; exits with the program's code.
    #[command(after_help = examples(&[
        ("ratedoctor run -- python my_job.py", "the live view while it runs"),
        ("ratedoctor run --pace --retry 3 -- python my_job.py", "pace and retry for it"),
        ("ratedoctor run --no-tui -- node batch.js", "its output untouched, then the summary"),
    ]))]
    Run(crate::commands::watch::RunArgs),
    /// See everything at work: the emulator, the proxy, a built-in workload and the live view.
    #[command(after_help = examples(&[
        ("ratedoctor demo", "the live view; q quits"),
        ("ratedoctor demo --duration 20", "stops by itself"),
        ("ratedoctor demo --no-tui --duration 10", "as text lines, then the summary"),
    ]))]
    Demo(crate::commands::demo::DemoArgs),
    /// Run the built-in provider emulator (OpenAI, Azure, Anthropic, Gemini) on loopback.
    #[command(after_help = examples(&[
        ("ratedoctor mock --rpm 20 --tpm 4000 --listen 127.0.0.1:8788", "tight limits"),
        ("OPENAI_BASE_URL=http://127.0.0.1:8788/v1 python my_job.py", "a program against it"),
    ]))]
    Mock(crate::emulator::MockArgs),
    /// The retry schedule a backoff policy produces for a call that keeps failing.
    #[command(after_help = examples(&[
        ("ratedoctor backoff --policy openai-sdk --retry-after 3", "the SDK's waits"),
        ("ratedoctor backoff --policy ratedoctor", "this tool's own policy"),
    ]))]
    Backoff(crate::commands::backoff::BackoffArgs),
    /// Simulate a workload against rate limits under one or more retry policies.
    #[command(after_help = examples(&[
        (
            "ratedoctor simulate --limits rpm=60,tpm=20k --workload requests=200,concurrency=8",
            "how long, how many 429s, per policy",
        ),
        (
            "ratedoctor simulate --limits rpm=500,tpm=200k --workload-file batch.jsonl",
            "your own requests",
        ),
    ]))]
    Simulate(crate::commands::simulate::SimulateArgs),
    /// Replay a recording (from watch, run or probe --record): its summary or live view, or
    /// with --policy, what that retry policy would have done against the limits it saw.
    #[command(after_help = examples(&[
        ("ratedoctor replay run.jsonl", "its summary (the live view on a terminal)"),
        ("ratedoctor replay run.jsonl --policy openai-sdk", "what that policy would have done"),
    ]))]
    Replay(crate::commands::replay::ReplayArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = examples(&[
        (
            "ratedoctor completions bash > ~/.local/share/bash-completion/completions/ratedoctor",
            "bash",
        ),
        ("ratedoctor completions zsh > ~/.zfunc/_ratedoctor", "zsh (with ~/.zfunc on $fpath)"),
        ("ratedoctor completions fish > ~/.config/fish/completions/ratedoctor.fish", "fish"),
    ]))]
    Completions {
        /// The shell to complete for.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

/// An `Examples:` section for the end of a command's `--help`: each command line with
/// what it does on the line below.
fn examples(lines: &[(&str, &str)]) -> String {
    let mut out = String::from("Examples:");
    for (command, what) in lines {
        out.push_str(&format!("\n  {command}\n      {what}"));
    }
    out
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

    /// Keep reading the one INPUT as it grows, as `tail -F` does (rotation, truncation, a
    /// pipe that never ends): a line per new diagnosis, or with --json a JSON line each.
    #[arg(short = 'f', long, conflicts_with_all = ["text", "table"])]
    pub follow: bool,

    /// With --follow: read the file's existing content first (default: start at its end).
    #[arg(long, requires = "follow")]
    pub from_start: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// openai, azure, anthropic, gemini, groq, together, deepseek, openrouter, mistral, xai,
    /// fireworks, perplexity (default: from the base URL, else from the key that is set).
    #[arg(
        short = 'p',
        long,
        value_name = "PROVIDER",
        env = "RATEDOCTOR_PROVIDER"
    )]
    pub provider: Option<String>,

    /// API base URL (OpenAI-style providers include `/v1`; Azure: the resource endpoint).
    #[arg(short = 'u', long, value_name = "URL", env = "RATEDOCTOR_BASE_URL")]
    pub base_url: Option<String>,

    /// Model to call (Azure: the deployment name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Azure OpenAI api-version.
    #[arg(long, value_name = "VERSION", default_value = "2024-10-21")]
    pub api_version: String,

    /// Read the key from this variable instead of the provider's usual one.
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,

    /// Read variables from this file too (default: ./.env if present); the real
    /// environment wins.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// Number of calls: more than 1 is a burst that shows the budget draining and stops at
    /// the first 429.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1)]
    pub calls: u32,

    /// Calls in flight at once during a burst.
    #[arg(short = 'c', long, value_name = "C", default_value_t = 1)]
    pub concurrency: u32,

    /// Hard cap on calls, whatever --calls says.
    #[arg(long, value_name = "CAP", default_value_t = 20)]
    pub max_calls: u32,

    /// Do not ask before a burst (required when not on a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Also print the raw rate-limit headers.
    #[arg(long)]
    pub raw: bool,

    /// Print one JSON document.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,

    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Write every event as JSON Lines to this file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// A number of seconds, more than 0 and at most a day (`--duration`, `--head-timeout`).
pub fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() && v <= 86_400.0 => Ok(v),
        _ => Err("must be a number of seconds, more than 0".to_string()),
    }
}

/// Parses arguments; on `--help`, `--version` or an error, prints and returns the exit code.
pub fn parse(args: Vec<OsString>) -> Result<Cli, i32> {
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(err) => {
            let code = err.exit_code();
            // clap quotes the offending value; that value may be a key pasted in the wrong place.
            let plain = err.to_string();
            let clean = crate::redact::redact(&plain);
            if clean == plain {
                let _ = err.print();
            } else if err.use_stderr() {
                eprint!("{clean}");
            } else {
                print!("{clean}");
            }
            Err(code)
        }
    }
}
