//! The provider emulator (sources layer). Placeholder until the emulator lands.

use clap::Args;
use std::net::SocketAddr;

/// Options of `ratedoctor mock`.
#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}
