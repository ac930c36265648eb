//! The provider emulator (sources layer). Placeholder until the emulator lands.

use crate::error::{AppError, ExitCode};
use clap::Args;
use std::net::SocketAddr;

/// Options of `ratedoctor mock`.
#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// Runs `ratedoctor mock` until Ctrl-C or SIGTERM.
pub fn run_cli(args: &MockArgs) -> Result<ExitCode, AppError> {
    let _ = args;
    Err(AppError::Internal(
        "the emulator is not built yet".to_string(),
    ))
}
