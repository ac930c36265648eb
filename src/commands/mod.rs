//! Wiring of each subcommand (cli layer): read input, call the core, hand results to a view.

pub mod backoff;
pub mod demo;
pub mod explain;
pub mod probe;
pub mod replay;
pub mod run;
pub mod simulate;
pub mod watch;
