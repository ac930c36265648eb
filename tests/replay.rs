//! `ratedoctor replay` end to end: a real probe burst recorded against the emulator, then
//! replayed as a summary, as JSON and under a policy; hand-written recordings for the
//! inference and the error paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{start, within};
use ratedoctor::diagnose::{Provider, Window};
use ratedoctor::event::{Event, EventKind, RetryBy};
use ratedoctor::headers::{Budget, Dimension, Snapshot};
use ratedoctor::limiter::Limits;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cmd(args: &[String], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ratedoctor"));
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

async fn ratedoctor(args: &[&str], envs: &[(&'static str, &'static str)]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let envs = envs.to_vec();
    tokio::task::spawn_blocking(move || cmd(&args, &envs))
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_probe_burst_replays_and_compares() {
    within(90, async {
        let h = start(Limits {
            rpm: Some(3),
            ..Limits::default()
        })
        .await;
        let base = format!("{}/v1", h.base_url());
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("probe.jsonl");
        let rec_s = rec.to_str().unwrap().to_string();
        let out = ratedoctor(
            &[
                "probe",
                "--provider",
                "openai",
                "--base-url",
                &base,
                "--calls",
                "6",
                "--yes",
                "--json",
                "--record",
                &rec_s,
            ],
            &[("OPENAI_API_KEY", "sk-test-x")],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let recorded: Vec<Event> = std::fs::read_to_string(&rec)
            .unwrap()
            .lines()
            .map(|l| Event::from_json_line(l).unwrap())
            .collect();
        let sent = recorded
            .iter()
            .filter(|e| matches!(e.kind, EventKind::RequestSent { .. }))
            .count();
        let limited = recorded
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ResponseReceived { status: 429, .. }))
            .count();
        assert_eq!((sent, limited), (4, 1), "3 allowed, the 4th refused");

        // The summary, as text: the same counts as the recording.
        let out = ratedoctor(&["replay", &rec_s, "--no-tui"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let t = text(&out.stdout);
        assert!(t.contains("ratedoctor summary"), "{t}");
        assert!(
            t.contains("requests        4: 3 ok, 1 rate-limited (429)"),
            "{t}"
        );
        assert!(t.contains("429s            1 (rpm 1)"), "{t}");
        assert!(t.contains("recommendation"), "{t}");

        // The summary, as JSON.
        let out = ratedoctor(&["replay", &rec_s, "--json"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v = json(&out);
        assert_eq!(v["events"], 8);
        assert_eq!(v["summary"]["requests"], 4);
        assert_eq!(v["summary"]["rate_limited"], 1);
        assert_eq!(v["summary"]["by_kind"]["rpm"], 1);

        // The counterfactual, as text: both columns and what was inferred.
        let out = ratedoctor(&["replay", &rec_s, "--policy", "ratedoctor"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let t = text(&out.stdout);
        assert!(t.contains("recorded vs policy ratedoctor"), "{t}");
        assert!(t.contains("inferred limits    rpm=3 "), "{t}");
        assert!(
            t.contains("inferred workload  4 requests (input ~8 tokens"),
            "{t}"
        );
        assert!(t.contains("1 worker"), "{t}");
        let row = |label: &str| -> Vec<String> {
            t.lines()
                .find(|l| l.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("no {label} row: {t}"))
                .trim_start()[label.len()..]
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        assert!(t.contains("recorded") && t.contains("ratedoctor"), "{t}");
        assert_eq!(row("requests"), ["4", "4"], "{t}");
        assert_eq!(row("429s")[0], "1", "{t}");
        assert_eq!(row("failed requests"), ["1", "0"], "{t}");

        // The counterfactual, as JSON: one document with both.
        let out = ratedoctor(
            &[
                "replay",
                &rec_s,
                "--policy",
                "ratedoctor",
                "--json",
                "--seed",
                "3",
            ],
            &[],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v = json(&out);
        assert_eq!(v["policy"], "ratedoctor");
        assert_eq!(v["seed"], 3);
        assert_eq!(v["inferred"]["limits"]["rpm"], 3);
        assert_eq!(v["inferred"]["workload"]["concurrency"], 1);
        assert_eq!(v["recorded"]["calls"], 4);
        assert_eq!(v["recorded"]["rate_limited"], 1);
        assert_eq!(v["recorded"]["failed"], 1, "the probe stops at the 429");
        let c = &v["counterfactual"];
        assert_eq!(c["requests"], 4);
        assert_eq!(c["succeeded"], 4, "ratedoctor waits out the hint: {c}");
        assert!(c["rate_limited"].as_u64().unwrap() >= 1, "{c}");
        assert!(
            c["total_s"].as_f64().unwrap() > v["recorded"]["total_s"].as_f64().unwrap(),
            "waiting for the minute takes longer than giving up: {v}"
        );
        assert_eq!(v["summary"]["requests"], 4);
    })
    .await;
}

fn sent(t_ms: f64, id: u64, group: u64, attempt: u32) -> Event {
    Event {
        t_ms,
        id,
        kind: EventKind::RequestSent {
            provider: Provider::Openai,
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            model: Some("gpt-4o-mini".into()),
            est_input_tokens: Some(100),
            max_tokens: Some(50),
            stream: false,
            group,
            attempt,
        },
    }
}

fn answered(t_ms: f64, id: u64, status: u16, rpm: f64, tpm: f64) -> Event {
    let budget = |dimension, limit| Budget {
        dimension,
        window: Some(Window::Minute),
        limit: Some(limit),
        remaining: Some(0.0),
        reset_s: Some(1.0),
        reset_at: None,
        from_message: false,
    };
    Event {
        t_ms,
        id,
        kind: EventKind::ResponseReceived {
            status,
            ttfb_ms: 10.0,
            snapshot: Snapshot {
                budgets: vec![
                    budget(Dimension::Requests, rpm),
                    budget(Dimension::Tokens, tpm),
                ],
                retry_after_s: (status == 429).then_some(1.0),
                notes: vec![],
            },
            headers: vec![],
            diagnosis: None,
            usage: None,
        },
    }
}

/// Two logical requests in flight together; the first is refused once and retried.
fn hand_recording() -> Vec<Event> {
    vec![
        sent(0.0, 1, 1, 0),
        sent(5.0, 2, 2, 0),
        answered(10.0, 1, 429, 60.0, 1000.0),
        Event {
            t_ms: 10.0,
            id: 1,
            kind: EventKind::RetryScheduled {
                group: 1,
                wait_s: 1.0,
                advised_s: Some(1.0),
                by: RetryBy::Client,
                reason: "429".into(),
            },
        },
        answered(205.0, 2, 200, 60.0, 2000.0),
        sent(1010.0, 3, 1, 1),
        answered(1310.0, 3, 200, 50.0, 2000.0),
    ]
}

fn write(path: &Path, events: &[Event], extra: &str) {
    let mut s = String::new();
    for e in events {
        s.push_str(&e.to_json_line());
        s.push_str("\n\n");
    }
    s.push_str(extra);
    std::fs::write(path, s).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_recording_is_inferred_from() {
    within(60, async {
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("hand.jsonl");
        write(&rec, &hand_recording(), "");
        let rec_s = rec.to_str().unwrap().to_string();

        let out = ratedoctor(&["replay", &rec_s, "--policy", "none", "--json"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v = json(&out);
        let lim = &v["inferred"]["limits"];
        assert_eq!(
            (lim["rpm"].as_u64(), lim["tpm"].as_u64()),
            (Some(60), Some(2000))
        );
        assert!(lim["rpd"].is_null());
        let w = &v["inferred"]["workload"];
        assert_eq!(w["concurrency"], 2, "two requests were in flight at once");
        assert_eq!(w["requests"]["sizes"].as_array().unwrap().len(), 2);
        assert_eq!(w["requests"]["sizes"][0]["input"], 100);
        assert_eq!(w["requests"]["sizes"][0]["max_tokens"], 50);
        // 2xx latencies 200 ms and 300 ms: the lower middle.
        assert_eq!(w["latency_s"].as_f64(), Some(0.2));
        let r = &v["recorded"];
        assert_eq!(r["requests"], 2);
        assert_eq!(r["calls"], 3);
        assert_eq!(r["rate_limited"], 1);
        assert_eq!(r["retries"], 1);
        assert_eq!(r["wasted_calls"], 0);
        assert_eq!(r["failed"], 0);
        assert_eq!(r["total_s"].as_f64(), Some(1.31));
        assert_eq!(v["summary"]["requests"], 3);
        assert_eq!(v["summary"]["audit"]["retries"], 1);

        // Text summary without a policy.
        let out = ratedoctor(&["replay", &rec_s], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let t = text(&out.stdout);
        assert!(t.contains("requests        3: "), "{t}");
        assert!(t.contains("retries         1 by the program"), "{t}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_missing_and_empty_recordings() {
    within(60, async {
        let dir = tempfile::tempdir().unwrap();
        // Line 1 and 3 are events, 2 and 4 blank, line 5 is not an event.
        let bad = dir.path().join("bad.jsonl");
        write(
            &bad,
            &hand_recording()[..2],
            "{\"t_ms\": 1, \"nope\": true}\n",
        );
        let out = ratedoctor(&["replay", bad.to_str().unwrap()], &[]).await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains("line 5"), "{err}");
        assert!(err.contains("not a ratedoctor event"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(out.stdout.is_empty());

        let out = ratedoctor(
            &["replay", "/nonexistent/rec.jsonl", "--policy", "none"],
            &[],
        )
        .await;
        assert_eq!(out.status.code(), Some(3));
        assert!(
            text(&out.stderr).contains("cannot read"),
            "{}",
            text(&out.stderr)
        );

        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, "\n\n").unwrap();
        let out = ratedoctor(&["replay", empty.to_str().unwrap()], &[]).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("no events"),
            "{}",
            text(&out.stderr)
        );

        let ok = dir.path().join("ok.jsonl");
        write(&ok, &hand_recording(), "");
        let out = ratedoctor(&["replay", ok.to_str().unwrap(), "--policy", "bogus"], &[]).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    })
    .await;
}

#[test]
fn streams_failures_and_day_limits_are_inferred() {
    let mut stream_req = sent(0.0, 1, 1, 0);
    if let EventKind::RequestSent { stream, .. } = &mut stream_req.kind {
        *stream = true;
    }
    let mut day = answered(100.0, 1, 200, 60.0, 1000.0);
    if let EventKind::ResponseReceived { snapshot, .. } = &mut day.kind {
        snapshot.budgets[0].window = Some(Window::Day);
        snapshot.budgets[0].limit = Some(10_000.0);
        snapshot.budgets[1].window = Some(Window::Second);
        snapshot.budgets[1].limit = Some(99_999.0);
    }
    let events = vec![
        stream_req,
        day,
        // Sent while the stream is still running: two in flight.
        sent(200.0, 2, 2, 0),
        Event {
            t_ms: 300.0,
            id: 2,
            kind: EventKind::Failed {
                error: "connection reset".into(),
            },
        },
        Event {
            t_ms: 900.0,
            id: 1,
            kind: EventKind::StreamFinished {
                bytes: 10,
                elapsed_ms: 900.0,
                usage: None,
                complete: true,
            },
        },
        sent(1000.0, 3, 2, 1),
        answered(1100.0, 3, 500, 60.0, 1000.0),
    ];
    let inf = ratedoctor::replay::infer::infer(&events);
    assert_eq!(inf.limits.rpd, Some(10_000), "a day window is per day");
    assert_eq!(inf.limits.rpm, Some(60));
    assert_eq!(
        inf.limits.tpm,
        Some(1000),
        "per-second windows are not per minute"
    );
    assert_eq!(inf.workload.concurrency, 2, "the stream was in flight");
    assert_eq!(inf.workload.latency_s, 0.9, "a stream counts to its end");
    let r = inf.recorded;
    assert_eq!((r.requests, r.calls, r.retries), (2, 3, 1));
    assert_eq!((r.succeeded, r.failed, r.wasted_calls), (1, 1, 1));
    assert_eq!(r.rate_limited, 0);
}

/// One vocabulary (issue #14): a `run` and the `replay` of its recording print the same
/// summary numbers, and they add up — answers split into ok, 429s, overloads and other
/// errors; the 429s by kind add up to the 429s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_and_replay_of_its_recording_give_the_same_summary() {
    within(60, async {
        let emu = start(Limits {
            rpm: Some(3),
            ..Limits::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("run.jsonl");
        let live = dir.path().join("live.jsonl");
        // Six calls, each retried once at once if refused: 429s, retries, wasted calls.
        let program = "for i in 1 2 3 4 5 6; do for try in 1 2; do \
             code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-test-vocab' \
             -H 'Content-Type: application/json' \
             -d \"{\\\"model\\\":\\\"gpt-4o-mini\\\",\\\"messages\\\":[{\\\"role\\\":\\\"user\\\",\\\"content\\\":\\\"job $i\\\"}],\\\"max_tokens\\\":1}\" \
             \"$OPENAI_BASE_URL/chat/completions\"); [ \"$code\" = 200 ] && break; done; done; true";
        let emu_url = emu.base_url();
        let (rec_s, live_s) = (
            rec.to_str().unwrap().to_string(),
            live.to_str().unwrap().to_string(),
        );
        let args: Vec<String> = [
            "run", "--no-tui", "--upstream", &emu_url, "--record", &rec_s, "--json-file",
            &live_s, "--", "sh", "-c", program,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = tokio::task::spawn_blocking(move || cmd(&args, &[]))
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let written = std::fs::read_to_string(&live).unwrap();
        let run: Value =
            serde_json::from_str(written.lines().last().unwrap()).unwrap();
        let run = &run["summary"];
        let out = ratedoctor(&["replay", &rec_s, "--json"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let replayed = &json(&out)["summary"];
        for field in [
            "requests",
            "responses",
            "ok",
            "rate_limited",
            "rate_limited_by_kind",
            "overloaded",
            "other_errors",
            "failures",
            "retries_by_client",
            "wasted_calls",
            "failed_requests",
        ] {
            assert_eq!(run[field], replayed[field], "{field}: run {run} replay {replayed}");
        }
        let n = |f: &str| run[f].as_u64().unwrap();
        assert!(n("rate_limited") > 0 && n("retries_by_client") > 0, "{run}");
        assert_eq!(
            n("ok") + n("rate_limited") + n("overloaded") + n("other_errors"),
            n("responses")
        );
        let by_kind: u64 = run["rate_limited_by_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(by_kind, n("rate_limited"));
        // The text summary of the replay says the same words.
        let out = ratedoctor(&["replay", &rec_s, "--no-tui"], &[]).await;
        let t = text(&out.stdout);
        assert!(
            t.contains(&format!(
                "requests        {}: {} ok, {} rate-limited (429)",
                n("requests"),
                n("ok"),
                n("rate_limited")
            )),
            "{t}"
        );
    })
    .await;
}
