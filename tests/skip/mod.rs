//! One rule for the tests that need a tool from outside the crate (tmux, redis-server,
//! python3, the official Python SDKs): missing, the test says so on stdout (outside the
//! harness's capture, so `cargo test` shows it) and skips; with
//! `RATEDOCTOR_REQUIRE_TOOLS=1`, which `.ci/run` sets after installing them, a missing tool
//! fails the test instead.
#![allow(dead_code)]

/// Whether a missing tool is a failure.
pub fn required() -> bool {
    std::env::var("RATEDOCTOR_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Skips `what` because of `why`, loudly; fails instead when tools are required.
pub fn skip(what: &str, why: &str) {
    assert!(
        !required(),
        "{why}: {what} cannot run, and RATEDOCTOR_REQUIRE_TOOLS=1 (.ci/run installs the tools)"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "SKIPPED {what}: {why}");
}
