//! The official Python SDKs (`openai`, `anthropic`) pointed at the emulator: calls succeed
//! and past the limit each raises its own `RateLimitError`.
//!
//! Runs with the interpreter in `RATEDOCTOR_PYTHON` (a virtualenv with
//! `tests/python/requirements.txt`). Without it the test prints a note and passes, unless
//! `RATEDOCTOR_REQUIRE_TOOLS=1` (set by `.ci/run`), which turns absence into a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ratedoctor::limiter::Limits;
use std::time::Duration;

const RPM: u64 = 4;

async fn run_script(py: &str, name: &str) {
    let h = start(Limits {
        rpm: Some(RPM),
        ..Limits::default()
    })
    .await;
    let child = tokio::process::Command::new(py)
        .arg(common::python_script(name))
        .arg(h.base_url())
        .arg(RPM.to_string())
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .expect("script finishes within 120 s")
        .expect("script runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("RateLimitError ok"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_against_the_emulator() {
    let Some(py) = common::sdk_python() else {
        return;
    };
    within(150, run_script(&py, "openai_sdk.py")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_against_the_emulator() {
    let Some(py) = common::sdk_python() else {
        return;
    };
    within(150, run_script(&py, "anthropic_sdk.py")).await;
}
