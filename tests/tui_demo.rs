//! `ratedoctor demo` as a source: within a few seconds the built-in workload against the
//! emulator produces 429s of several kinds, good and bad retries, streams and refills; and
//! `demo --no-tui` prints the run as lines and ends with the summary (what CI checks).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::demo::{self, DemoConfig};
use ratedoctor::diagnose::Kind;
use ratedoctor::event::EventKind;
use ratedoctor::session::Session;
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workload_shows_every_story_within_seconds() {
    let run = async {
        let mut d = demo::start(DemoConfig::new(Some(Duration::from_secs(7)), 1))
            .await
            .unwrap();
        let mut s = Session::new();
        let mut streams = 0;
        while let Some(e) = d.events.recv().await {
            if matches!(e.kind, EventKind::StreamFinished { complete: true, .. }) {
                streams += 1;
            }
            s.apply(&e);
        }
        (s, streams)
    };
    let (s, streams) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the demo stops by itself");
    assert!(s.requests > 40, "requests {}", s.requests);
    assert!(s.rate_limited >= 5, "429s {}", s.rate_limited);
    let kinds: Vec<Kind> = s.by_kind.keys().copied().collect();
    assert!(kinds.contains(&Kind::Rpm), "{kinds:?}");
    assert!(kinds.contains(&Kind::Tpm), "{kinds:?}");
    assert!(kinds.len() >= 3, "{kinds:?}");
    let audit = s.audit();
    assert!(audit.too_early > 0, "{audit:?}");
    assert!(audit.non_retryable_retried > 0, "{audit:?}");
    assert!(
        audit.retries > audit.too_early,
        "some retries are good ones: {audit:?}"
    );
    assert!(streams > 0, "streamed calls finish");
    assert!(s.providers.len() >= 3, "{:?}", s.providers);
    // Refills: some budget goes back up after going down.
    let refilled = s.budgets.iter().any(|b| {
        b.history
            .iter()
            .zip(b.history.iter().skip(1))
            .any(|(a, b)| b.1 > a.1)
    });
    assert!(refilled, "a budget refills");
}

#[test]
fn demo_no_tui_prints_lines_and_the_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .args(["demo", "--no-tui", "--duration", "5", "--seed", "2"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("· rpm openai · retry in"), "{text}");
    assert!(text.contains("too early"), "{text}");
    // One event-line format (issue #14): the same arrows as run and watch, and an answer
    // that was not streamed is not called a stream.
    assert!(text.contains("⇣ done · "), "{text}");
    assert!(!text.contains("⇣ stream"), "{text}");
    for want in [
        "summary (",
        "requests ",
        "429s ",
        "retries ",
        "time waiting",
        "wasted calls",
        "tightest",
        "recommendation",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
