//! `ratedoctor replay FILE [--policy P]` (cli layer): reads a recording into the same
//! pipeline as a live run — the live view on a terminal, else the end-of-run summary (text
//! or `--json`); with `--policy`, re-runs the recorded requests through the simulator
//! against the limits the recording saw and prints recorded vs counterfactual.
//!
//! Exit codes: 0 done; 1 the recording has no events (or, with `--policy`, no requests);
//! 2 bad arguments (an unknown policy); 3 the file is missing, unreadable, or has a line
//! that is not an event (the message names the line).

use crate::backoff::parse_policy;
use crate::backoff::render::secs;
use crate::error::{AppError, ExitCode};
use crate::event::{Event, EventKind, RetryBy};
use crate::proxy::{ProxyStats, summary_json};
use crate::redact::redact;
use crate::replay::infer::{Inferred, Observer};
use crate::session::Session;
use crate::simulate::render::limits_text;
use crate::simulate::{Outcome, SimOptions, SimStats, simulate};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Options of `ratedoctor replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// A recording written by `watch --record`, `run --record` or `probe --record`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Also simulate the recorded requests under this retry policy (see `ratedoctor backoff
    /// --help`) with the limits the recording saw, and compare.
    #[arg(short = 'p', long, value_name = "POLICY")]
    pub policy: Option<String>,

    /// Print one JSON document instead of text.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,

    /// Seed for the simulation's jitter and drawn output lengths.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

/// What the proxy-side counters can be rebuilt from a recording: retries ratedoctor made.
fn stats_of(events: &[Event]) -> ProxyStats {
    let mut st = ProxyStats::default();
    for e in events {
        if let EventKind::RetryScheduled {
            by: RetryBy::Ratedoctor,
            wait_s,
            ..
        } = &e.kind
        {
            st.proxy_retries += 1;
            st.proxy_retry_wait_s += wait_s;
        }
    }
    st
}

/// Runs `ratedoctor replay`.
pub fn run(args: &ReplayArgs) -> Result<ExitCode, AppError> {
    let policy = match &args.policy {
        Some(p) => Some(parse_policy(p).map_err(AppError::Usage)?),
        None => None,
    };
    let mut session = Session::new();
    let mut observer = Observer::new();
    let mut events = Vec::new();
    let n = crate::replay::read_events(&args.file, |e| {
        session.apply(&e);
        observer.apply(&e);
        events.push(e);
    })?;
    let name = args.file.display().to_string();
    if n == 0 {
        eprintln!("ratedoctor: {name}: no events in this recording (nothing to replay)");
        return Ok(ExitCode::NoErrorFound);
    }
    let stats = stats_of(&events);

    let Some(policy) = policy else {
        let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
        let mut code = ExitCode::Ok;
        if tty && !args.json && !args.no_tui {
            let (tx, rx) = tokio::sync::mpsc::channel(events.len().max(1));
            for e in events {
                let _ = tx.try_send(e);
            }
            drop(tx);
            // Ok, or 128 + N after signal N: the summary is printed either way.
            code = crate::tui::run_live(
                crate::tui::LiveSource::Replay { path: name.clone() },
                rx,
                None,
                crate::tui::LiveOptions::default(),
            )?;
        }
        let out = if args.json {
            let v = serde_json::json!({
                "file": name,
                "events": n,
                "summary": summary_json(&session, &stats),
            });
            format!("{v}\n")
        } else {
            crate::views::summary::proxy_text(&session, &stats)
        };
        print_out(&out);
        return Ok(code);
    };

    let inferred = observer.finish();
    if inferred.workload.requests.is_empty() {
        eprintln!("ratedoctor: {name}: no requests in this recording (nothing to re-run)");
        return Ok(ExitCode::NoErrorFound);
    }
    let run = simulate(
        &inferred.limits,
        &inferred.workload,
        &policy,
        &SimOptions {
            seed: args.seed,
            record: 0,
            ..SimOptions::default()
        },
    );
    let out = if args.json {
        let v = serde_json::json!({
            "file": name,
            "events": n,
            "policy": policy.name,
            "seed": args.seed,
            "inferred": {
                "limits": inferred.limits,
                "workload": inferred.workload,
                "basis": inferred.basis,
            },
            "recorded": inferred.recorded,
            "counterfactual": run.stats,
            "summary": summary_json(&session, &stats),
        });
        format!("{v}\n")
    } else {
        comparison_text(&name, &inferred, &run.stats, args.seed)
    };
    print_out(&out);
    Ok(ExitCode::Ok)
}

fn print_out(out: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(redact(out).as_bytes());
    let _ = o.flush();
}

/// The rows of the recorded vs counterfactual table for one run: label and value.
fn outcome_rows(o: &Outcome) -> [(&'static str, String); 8] {
    [
        ("total time", secs(o.total_s)),
        ("requests", o.requests.to_string()),
        ("calls", o.calls.to_string()),
        ("429s", o.rate_limited.to_string()),
        ("retries", o.retries.to_string()),
        ("wasted calls", o.wasted_calls.to_string()),
        ("failed requests", o.failed.to_string()),
        ("succeeded", o.succeeded.to_string()),
    ]
}

/// The inferred limits and workload, then recorded vs counterfactual side by side.
pub fn comparison_text(name: &str, inf: &Inferred, sim: &SimStats, seed: u64) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "ratedoctor replay {name}: recorded vs policy {} (seed {seed})",
        sim.policy
    );
    let seen = limits_text(&inf.limits);
    let _ = writeln!(
        o,
        "  inferred limits    {}",
        if seen == "none" {
            "none seen (no limit in any header or error): the simulation is unlimited".to_string()
        } else {
            format!("{seen} (the largest limit seen per dimension)")
        }
    );
    let w = &inf.workload;
    let b = &inf.basis;
    let _ = writeln!(
        o,
        "  inferred workload  {} requests (input ~{} tokens, max_tokens {}), {} worker{} (most in flight at once), latency {} ({})",
        w.requests.len(),
        b.mean_input,
        b.max_max_tokens
            .map_or("unset".to_string(), |m| m.to_string()),
        w.concurrency,
        if w.concurrency == 1 { "" } else { "s" },
        secs(w.latency_s),
        if b.latency_samples == 0 {
            "no 2xx recorded: the default".to_string()
        } else {
            format!("median of {} 2xx", b.latency_samples)
        }
    );
    let col = sim.policy.chars().count().max(12);
    let _ = writeln!(o);
    let _ = writeln!(o, "  {:<16}  {:>12}  {:>col$}", "", "recorded", sim.policy);
    for ((label, a), (_, c)) in outcome_rows(&inf.recorded)
        .into_iter()
        .zip(outcome_rows(&sim.outcome))
    {
        let _ = writeln!(o, "  {label:<16}  {a:>12}  {c:>col$}");
    }
    let _ = writeln!(
        o,
        "\n  retries = calls after a request's first; wasted = retries refused again; failed = requests whose last attempt did not succeed."
    );
    o
}
