//! `ratedoctor backoff` through its argument parser and `render` (no binary wiring needed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use ratedoctor::commands::backoff::{BackoffArgs, render};
use serde_json::Value;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: BackoffArgs,
}

fn args(argv: &[&str]) -> BackoffArgs {
    let mut v = vec!["backoff"];
    v.extend_from_slice(argv);
    Cmd::try_parse_from(v).unwrap().args
}

fn out(argv: &[&str]) -> String {
    render(&args(argv)).unwrap()
}

#[test]
fn default_is_the_seed_schedule() {
    let text = out(&[]);
    println!("{text}");
    assert!(text.starts_with(
        "policy tenacity-seed: a call that keeps failing with 429 rpm (no retry-after)"
    ));
    assert!(text.contains("6 calls, 5 retries, 32 s spent waiting; gave up: all 6 attempts used"));
    assert!(text.contains("timeline  0 s |x"));
}

#[test]
fn openai_sdk_with_a_long_hint_refuses() {
    let text = out(&["--policy", "openai-sdk", "--retry-after", "3m"]);
    println!("{text}");
    assert!(
        text.contains(
            "gave up: the server asked for 3 min 0 s (more than the 2 min 0 s this client accepts)"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 call, 0 retries, 0 s spent waiting"),
        "{text}"
    );
}

#[test]
fn json_is_one_document_and_seeded() {
    let a: Value =
        serde_json::from_str(&out(&["-p", "ratedoctor", "--json", "--seed", "9"])).unwrap();
    let b: Value =
        serde_json::from_str(&out(&["-p", "ratedoctor", "--json", "--seed", "9"])).unwrap();
    assert_eq!(a, b);
    assert_eq!(a["policy"]["name"], "ratedoctor");
    assert_eq!(a["failure"]["kind"], "rpm");
    assert!(a["attempts"].as_array().unwrap().len() > 1);
    let q: Value = serde_json::from_str(&out(&["-p", "ratedoctor", "-k", "quota", "-j"])).unwrap();
    assert_eq!(q["calls"], 1);
    assert_eq!(q["gave_up"]["why"], "not_retried");
    println!("{}", out(&["-p", "ratedoctor", "-k", "quota"]));
}

#[test]
fn custom_policy_and_hint_forms() {
    let text = out(&[
        "-p",
        "exp:min=1,max=4,jitter=none,attempts=4",
        "-r",
        "250ms",
    ]);
    println!("{text}");
    assert!(text.contains("0.25 s"), "{text}");
    let text = out(&[
        "-p",
        "exp:min=1,max=4,jitter=none,attempts=4,honor-retry-after=false",
        "-r",
        "250ms",
    ]);
    assert!(text.contains("7 s spent waiting"), "1 + 2 + 4: {text}");
}

#[test]
fn bad_input_is_one_line() {
    let e = render(&args(&["-p", "fastest"])).unwrap_err().to_string();
    assert!(!e.contains('\n') && e.contains("unknown policy"), "{e}");
    for bad in [
        vec!["--kind", "weird"],
        vec!["--retry-after", "soon"],
        vec!["--status", "42"],
    ] {
        let mut v = vec!["backoff"];
        v.extend(bad);
        assert!(Cmd::try_parse_from(v).is_err());
    }
}
