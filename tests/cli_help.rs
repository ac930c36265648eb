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

/// Every subcommand.
const COMMANDS: [&str; 10] = [
    "explain",
    "probe",
    "watch",
    "run",
    "demo",
    "mock",
    "backoff",
    "simulate",
    "replay",
    "completions",
];

#[test]
fn help_of_every_command() {
    for cmd in std::iter::once("").chain(COMMANDS) {
        let args: Vec<&str> = if cmd.is_empty() { vec![] } else { vec![cmd] };
        let text = help(&args);
        let name = if cmd.is_empty() { "ratedoctor" } else { cmd };
        insta::assert_snapshot!(format!("help_{name}"), text);
    }
}

/// Every command's `--help` ends with two or three examples, and each example that is a
/// plain `ratedoctor` command line parses: an example that stopped working shows here.
#[test]
fn every_help_ends_with_examples_that_parse() {
    use clap::Parser;
    for cmd in COMMANDS {
        let text = help(&[cmd]);
        let (_, tail) = text
            .rsplit_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("{cmd} --help has no Examples section:\n{text}"));
        let commands: Vec<&str> = tail
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
            .map(str::trim)
            .collect();
        assert!(
            (2..=3).contains(&commands.len()),
            "{cmd}: {} examples\n{tail}",
            commands.len()
        );
        for example in commands {
            // `pbpaste | ratedoctor ...`, `VAR=... python ...`, `... > file`: the part that
            // is a ratedoctor command line.
            let Some(start) = example.find("ratedoctor ") else {
                continue;
            };
            let line = example[start..].split(" > ").next().unwrap();
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                ratedoctor::cli::Cli::try_parse_from(&words).is_ok(),
                "{cmd}: the example `{line}` does not parse"
            );
        }
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for cmd in ["explain", "probe", "watch", "run", "simulate", "replay"] {
            assert!(script.contains(cmd), "{shell} completion lacks {cmd}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}
