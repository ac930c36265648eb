//! `ratedoctor backoff` (cli layer): the schedule a retry policy produces for a call that
//! keeps failing, as a table and timeline or one JSON document.

use crate::backoff::render::{schedule_json, schedule_text};
use crate::backoff::timeline::schedule;
use crate::backoff::{Failure, FailureKind, parse_policy};
use crate::error::{AppError, ExitCode};

/// Options of `ratedoctor backoff`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackoffArgs {
    /// Retry policy: openai-sdk, anthropic-sdk, tenacity-seed, tenacity-seed+sdk (the seed's
    /// decorator over the SDK's own retries), tenacity-random, google-genai, none,
    /// ratedoctor (ours: waits exactly the server's hint, so refused clients are served in
    /// turn; never retries quota, billing or too-large errors; gives up after 10 minutes:
    /// every request succeeds at the limit's pace, at the price of more 429s), or
    /// exp:min=2,max=60,mult=1,jitter=full,attempts=6,honor-retry-after=true
    #[arg(
        short = 'p',
        long,
        value_name = "POLICY",
        default_value = "tenacity-seed",
        env = "RATEDOCTOR_POLICY"
    )]
    pub policy: String,

    /// The server's hint on every failure, in seconds (`20`, `0.5`) or Go form (`1m30s`, `250ms`).
    #[arg(short = 'r', long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub retry_after: Option<f64>,

    /// What fails: rpm, tpm, rpd, tpd, input_tpm, output_tpm, concurrency, overloaded,
    /// server_error, timeout, quota, too_large, bad_request, auth.
    #[arg(short = 'k', long, value_name = "KIND", default_value = "rpm", value_parser = parse_kind)]
    pub kind: FailureKind,

    /// HTTP status of the failure (default: the kind's usual one, 429 for limits and quota).
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub status: Option<u16>,

    /// Milliseconds each failing call takes before its answer.
    #[arg(long, value_name = "MS", default_value_t = 0.0, value_parser = parse_ms)]
    pub latency: f64,

    /// Seed for jitter: the same seed gives the same schedule.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Print one JSON document instead of the table.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Width of the timeline in columns.
    #[arg(long, value_name = "COLS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(10..=400))]
    pub width: u16,
}

/// Seconds as a number or a Go duration.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = t
        .trim_end_matches('s')
        .parse::<f64>()
        .ok()
        .filter(|_| !t.ends_with("ms"))
        .or_else(|| crate::duration::parse_go(t));
    match v {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a number of seconds (e.g. 20, 0.5, 1m30s, 250ms)"
        )),
    }
}

fn parse_ms(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches("ms").parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=3_600_000.0).contains(&x) => Ok(x),
        _ => Err("expected milliseconds from 0 to 3600000".to_string()),
    }
}

fn parse_kind(s: &str) -> Result<FailureKind, String> {
    FailureKind::parse(s).ok_or_else(|| {
        let ids: Vec<&str> = FailureKind::ALL.iter().map(|k| k.id()).collect();
        format!("unknown kind `{s}`: use one of {}", ids.join(", "))
    })
}

/// The text or JSON `ratedoctor backoff` prints.
pub fn render(args: &BackoffArgs) -> Result<String, AppError> {
    let policy = parse_policy(&args.policy).map_err(AppError::Usage)?;
    let mut failure = Failure::new(args.kind).with_hint(args.retry_after);
    if let Some(status) = args.status {
        failure = failure.with_status(status);
    }
    let trace = schedule(&policy, &failure, args.latency / 1000.0, args.seed);
    if args.json {
        let doc = schedule_json(&policy, &failure, &trace, args.seed);
        serde_json::to_string_pretty(&doc)
            .map(|s| s + "\n")
            .map_err(|e| AppError::Internal(format!("cannot write JSON: {e}")))
    } else {
        Ok(schedule_text(
            &policy,
            &failure,
            &trace,
            usize::from(args.width),
        ))
    }
}

/// Runs `ratedoctor backoff`.
pub fn run(args: &BackoffArgs) -> Result<ExitCode, AppError> {
    let text = render(args)?;
    print!("{text}");
    Ok(ExitCode::Ok)
}
