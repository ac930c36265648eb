//! `ratedoctor simulate` through its argument parser and `render` (no binary wiring needed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use ratedoctor::commands::simulate::{SimulateArgs, render};
use serde_json::Value;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: SimulateArgs,
}

fn args(argv: &[&str]) -> SimulateArgs {
    let mut v = vec!["simulate"];
    v.extend_from_slice(argv);
    Cmd::try_parse_from(v).unwrap().args
}

#[test]
fn text_report_with_comparison_and_recommendation() {
    let a = args(&[
        "--limits",
        "rpm=60,tpm=40k",
        "--workload",
        "requests=300,input=400,max_tokens=800,concurrency=16,latency=800",
        "--policy",
        "tenacity-seed",
        "--compare",
        "openai-sdk,exp:min=1,max=30,jitter=full,attempts=8,ratedoctor",
    ]);
    let text = render(&a, None).unwrap();
    println!("{text}");
    for policy in [
        "tenacity-seed",
        "openai-sdk",
        "exp:min=1,max=30,jitter=full,attempts=8",
        "ratedoctor",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(policy)),
            "{policy}: {text}"
        );
    }
    assert!(text.contains("lower bound:"));
    assert!(text.contains("timeline (tenacity-seed)"));
    assert!(text.contains("recommendation: policy"));
}

#[test]
fn json_document() {
    let a = args(&[
        "-l",
        "rpm=60",
        "-w",
        "requests=120,input=10,max_tokens=10,concurrency=1,latency=0",
        "-p",
        "openai-sdk",
        "--json",
        "--traces",
        "3",
        "--no-recommend",
    ]);
    let v: Value = serde_json::from_str(&render(&a, None).unwrap()).unwrap();
    let s = &v["runs"][0]["stats"];
    assert_eq!(s["policy"], "openai-sdk");
    assert_eq!(s["succeeded"], 120);
    assert_eq!(s["lower_bound_s"], 60.0);
    assert_eq!(v["runs"][0]["traces"].as_array().unwrap().len(), 3);
    assert!(v["recommendation"].is_null());
    assert!(v["share_formula"].as_str().unwrap().contains("lower bound"));
}

#[test]
fn a_workload_that_cannot_finish_says_so_instead_of_a_lower_bound() {
    // Issue #15: a request larger than the whole TPM limit got a "lower bound" of 49 min.
    let a = args(&[
        "-l",
        "tpm=100",
        "-w",
        "requests=10,input=500,max_tokens=500",
        "-p",
        "openai-sdk",
        "--no-recommend",
    ]);
    let text = render(&a, None).unwrap();
    assert!(
        text.contains("cannot finish: a request charges 500 tokens")
            && text.contains("tokens-per-minute limit of 100"),
        "{text}"
    );
    assert!(!text.contains("lower bound:"), "{text}");
    let mut json = a.clone();
    json.json = true;
    let v: Value = serde_json::from_str(&render(&json, None).unwrap()).unwrap();
    assert!(v["cannot_finish"].as_str().unwrap().contains("500 tokens"));
    // A job that fits says nothing of the kind.
    let fits = args(&[
        "-l",
        "tpm=10000",
        "-w",
        "requests=10,input=500,max_tokens=500",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&render(&fits, None).unwrap()).unwrap();
    assert!(v["cannot_finish"].is_null());
}

#[test]
fn workload_file_in_batch_format() {
    let mut lines = String::new();
    for i in 0..50 {
        let content = "x".repeat(400 + i);
        if i % 2 == 0 {
            lines.push_str(&format!(
                "{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"{content}\"}}],\"max_tokens\":300}}\n"
            ));
        } else {
            lines.push_str(&format!(
                "{{\"custom_id\":\"r{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"{content}\"}}],\"max_completion_tokens\":50}}}}\n"
            ));
        }
    }
    let a = args(&[
        "-l",
        "tpm=5000",
        "-w",
        "concurrency=4,latency=500",
        "-p",
        "ratedoctor",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&render(&a, Some(&lines)).unwrap()).unwrap();
    assert_eq!(v["workload"]["requests"], 50);
    let s = &v["runs"][0]["stats"];
    assert_eq!(s["succeeded"], 50);
    assert_eq!(s["binding"], "tpm");
    // 25 × max(100..=106, 300) + 25 × max(101..=106 input, 50): 7500 + ~2588 tokens.
    let bound = s["lower_bound_s"].as_f64().unwrap();
    assert!((60.0..70.0).contains(&bound), "{bound}");
    let text = render(
        &args(&["-l", "tpm=5000", "-w", "concurrency=4", "--no-recommend"]),
        Some(&lines),
    )
    .unwrap();
    assert!(text.contains("50 requests from a file"), "{text}");
}

#[test]
fn bad_input_is_one_line() {
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (vec!["-l", "rpm=abc", "-w", "requests=3"], None, "--limits"),
        (
            vec!["-l", "rpm=3", "-w", "requests=3,colour=red"],
            None,
            "unknown key",
        ),
        (vec!["-l", "rpm=3"], None, "needs --workload"),
        (
            vec!["-l", "rpm=3", "-w", "concurrency=2"],
            None,
            "requests=N",
        ),
        (
            vec!["-l", "rpm=3", "-w", "requests=3", "-p", "yolo"],
            None,
            "unknown policy",
        ),
        (
            vec![
                "-l",
                "rpm=3",
                "-w",
                "requests=3",
                "-c",
                "openai-sdk,exp:min=9,max=1",
            ],
            None,
            "min",
        ),
        (vec!["-l", "rpm=3"], Some("{not json"), "line 1"),
    ];
    for (argv, file, expect) in cases {
        let e = render(&args(&argv), file).unwrap_err().to_string();
        assert!(e.contains(expect) && !e.contains('\n'), "{argv:?}: {e}");
    }
}

/// The `ratedoctor` policy earns its name (issue #14 item 15): on the README's own
/// example and three other shapes of workload it has the best share of every preset,
/// finishes no later than any that fails nothing, fails no request itself, and serves
/// requests in about the order they came (p99 within twice the median).
#[test]
fn the_ratedoctor_policy_is_the_fastest_with_no_failures() {
    for (limits, workload) in [
        (
            "rpm=60,tpm=20000",
            "requests=200,input=400,max_tokens=300,concurrency=8",
        ),
        (
            "rpm=30",
            "requests=300,input=50,max_tokens=50,concurrency=16",
        ),
        (
            "rpm=500,tpm=200k",
            "requests=2000,input=300,max_tokens=200,concurrency=64",
        ),
        (
            "rpm=100,tpm=40000",
            "requests=500,input=1000,max_tokens=500,concurrency=4",
        ),
    ] {
        let a = args(&[
            "--limits",
            limits,
            "--workload",
            workload,
            "--policy",
            "ratedoctor",
            "--compare",
            "openai-sdk,anthropic-sdk,tenacity-seed,tenacity-seed+sdk,tenacity-random,google-genai",
            "--json",
        ]);
        let v: Value = serde_json::from_str(&render(&a, None).unwrap()).unwrap();
        let runs: Vec<&Value> = v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["stats"])
            .collect();
        let ours = runs[0];
        assert_eq!(ours["policy"], "ratedoctor");
        assert_eq!(ours["failed"], 0, "{limits} {workload}");
        let total = |r: &Value| r["total_s"].as_f64().unwrap();
        let share = |r: &Value| r["throughput_share"].as_f64().unwrap();
        for other in &runs[1..] {
            // A policy that fails requests "finishes" sooner by dropping work: the share
            // (succeeded ÷ requests × how close to the limit's pace) compares fairly.
            assert!(
                share(ours) + 0.005 >= share(other),
                "{limits} {workload}: ratedoctor {:.3}, {} {:.3}",
                share(ours),
                other["policy"],
                share(other)
            );
            if other["failed"] == 0 {
                assert!(
                    total(ours) <= total(other) + 1.0,
                    "{limits} {workload}: ratedoctor {} s, {} {} s",
                    total(ours),
                    other["policy"],
                    total(other)
                );
            }
        }
        let (p50, p99) = (
            ours["p50_s"].as_f64().unwrap(),
            ours["p99_s"].as_f64().unwrap(),
        );
        assert!(
            p99 <= 2.0 * p50 + 1.0,
            "{limits} {workload}: p50 {p50} s, p99 {p99} s"
        );
    }
}
