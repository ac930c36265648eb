//! Wiring of each subcommand (cli layer): read input, call the core, hand results to a view.

pub mod backoff;
pub mod demo;
pub mod explain;
pub mod probe;
pub mod replay;
pub mod simulate;
pub mod watch;

use crate::cli::{Cli, Command};
use crate::error::{AppError, ExitCode};
use clap::{Args, CommandFactory};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Probe(args)) => probe::run(&args),
        Some(Command::Mock(args)) => crate::emulator::run_cli(&args),
        Some(Command::Backoff(args)) => backoff::run(&args),
        Some(Command::Simulate(args)) => simulate::run(&args),
        Some(Command::Replay(args)) => replay::run(&args),
        Some(Command::Watch(args)) => watch::run_watch(&args),
        Some(Command::Run(args)) => watch::run_run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
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
                let matches = demo::DemoArgs::augment_args(clap::Command::new("demo"))
                    .get_matches_from(["demo"]);
                let args = demo::DemoArgs::from_arg_matches(&matches)
                    .map_err(|e| AppError::Internal(format!("demo options: {e}")))?;
                return demo::run(&args);
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
