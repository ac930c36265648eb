//! Command-line arguments (cli layer): clap derive, no logic.

use crate::error::{AppError, ExitCode};
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::ffi::OsString;

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
    Explain(crate::commands::explain::ExplainArgs),
    /// Show an API key's live budgets for the price of one token (or a capped burst).
    #[command(after_help = examples(&[
        ("ratedoctor probe", "provider from the one API key that is set"),
        ("ratedoctor probe --provider anthropic --raw", "also the raw headers"),
        ("ratedoctor probe --calls 10 --yes", "a burst: stops at the first 429"),
    ]))]
    Probe(crate::commands::probe::ProbeArgs),
    /// Watch budgets, retries and 429s of programs through a transparent local proxy.
    #[command(after_help = examples(&[
        ("ratedoctor watch", "then, elsewhere: export OPENAI_BASE_URL=http://127.0.0.1:8787/v1"),
        ("ratedoctor watch --no-tui --record run.jsonl", "event lines, and a recording"),
        ("ratedoctor watch --pace --retry 3 --share redis://redis.internal:6379", "pace as one fleet with every proxy on the same key"),
    ]))]
    Watch(crate::commands::watch::WatchArgs),
    /// Run a program with its SDKs pointed at the proxy; exits with the program's code.
    #[command(after_help = examples(&[
        ("ratedoctor run -- python my_job.py", "the live view while it runs"),
        ("ratedoctor run --pace --retry 3 -- python my_job.py", "pace and retry for it"),
        ("ratedoctor run --no-tui -- node batch.js", "its output untouched, then the summary"),
    ]))]
    Run(crate::commands::run::RunArgs),
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

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        Some(Command::Explain(args)) => crate::commands::explain::run(&args),
        Some(Command::Probe(args)) => crate::commands::probe::run(&args),
        Some(Command::Mock(args)) => crate::emulator::run_cli(&args),
        Some(Command::Backoff(args)) => crate::commands::backoff::run(&args),
        Some(Command::Simulate(args)) => crate::commands::simulate::run(&args),
        Some(Command::Replay(args)) => crate::commands::replay::run(&args),
        Some(Command::Watch(args)) => crate::commands::watch::run_watch(&args),
        Some(Command::Run(args)) => crate::commands::run::run_run(&args),
        Some(Command::Demo(args)) => crate::commands::demo::run(&args),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "ratedoctor", &mut std::io::stdout());
            Ok(ExitCode::Ok)
        }
        None if std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::io::IsTerminal::is_terminal(&std::io::stdin()) =>
        {
            let home = crate::tui::home()?;
            if home.signal.is_none() && home.start_demo {
                use clap::FromArgMatches;
                let matches =
                    crate::commands::demo::DemoArgs::augment_args(clap::Command::new("demo"))
                        .get_matches_from(["demo"]);
                let args = crate::commands::demo::DemoArgs::from_arg_matches(&matches)
                    .map_err(|e| AppError::Internal(format!("demo options: {e}")))?;
                return crate::commands::demo::run(&args);
            }
            Ok(home.exit_code(ExitCode::Ok))
        }
        None => {
            let mut cmd = Cli::command();
            let _ = cmd.print_help();
            Ok(ExitCode::Ok)
        }
    }
}
