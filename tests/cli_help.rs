//! `--help` of every command is a reviewed artefact: a snapshot per command, so a flag that
//! changes name or meaning shows up in review.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_of_every_command() {
    for cmd in [
        "", "explain", "probe", "watch", "run", "demo", "mock", "backoff", "simulate", "replay",
    ] {
        let args: Vec<&str> = if cmd.is_empty() { vec![] } else { vec![cmd] };
        let text = help(&args);
        let name = if cmd.is_empty() { "ratedoctor" } else { cmd };
        insta::assert_snapshot!(format!("help_{name}"), text);
    }
}
