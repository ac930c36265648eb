//! `ratedoctor simulate` (cli layer): reads the workload file if any, runs the simulation
//! core for each policy and the recommendation search, prints text or JSON.

use crate::backoff::{Policy, parse_policy, split_policy_list};
use crate::error::{AppError, ExitCode};
use crate::simulate::render::{report_json, report_text};
use crate::simulate::{
    SimOptions, SimRun, parse_jsonl, parse_limits, parse_workload, recommend_with, simulate,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// Runs at least this long (requests × runs) show their progress on a terminal.
const SHOW_PROGRESS_FROM: u64 = 5_000_000;

/// Options of `ratedoctor simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Limits: rpm=R,tpm=T[,rpd=..,tpd=..,concurrency=..,quota=TOKENS] (30k, 1m allowed).
    #[arg(short = 'l', long, value_name = "LIMITS")]
    pub limits: String,

    /// Synthetic workload: requests=N,input=TOKENS,max_tokens=M,concurrency=C[,latency=MS]
    /// (defaults: input 500, max_tokens 500, concurrency 1, latency 1000). With
    /// --workload-file, only concurrency, latency, max_tokens (a cap) and requests (the
    /// first N) apply.
    #[arg(short = 'w', long, value_name = "WORKLOAD")]
    pub workload: Option<String>,

    /// OpenAI batch JSONL: one request body per line, or the Batch API envelope with `body`.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub workload_file: Option<PathBuf>,

    /// Retry policy (see `ratedoctor backoff --help`).
    #[arg(
        short = 'p',
        long,
        value_name = "POLICY",
        default_value = "tenacity-seed",
        env = "RATEDOCTOR_POLICY"
    )]
    pub policy: String,

    /// More policies to run on the same workload, comma-separated.
    #[arg(short = 'c', long, value_name = "P2,P3")]
    pub compare: Option<String>,

    /// Seed for jitter and drawn output lengths.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Print one JSON document instead of the report.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Skip the concurrency × max_tokens × policy search.
    #[arg(long)]
    pub no_recommend: bool,

    /// Full attempt traces to keep per policy in --json (the first N requests).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub traces: usize,

    /// Width of the timeline in columns.
    #[arg(long, value_name = "COLS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(10..=400))]
    pub width: u16,
}

/// The text or JSON `ratedoctor simulate` prints, with the workload file's text if given.
pub fn render(args: &SimulateArgs, file_text: Option<&str>) -> Result<String, AppError> {
    render_with(args, file_text, None)
}

/// A long simulation's progress: requests simulated so far, of how many in all.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

/// [`render`], counting its progress in `progress`.
pub fn render_with(
    args: &SimulateArgs,
    file_text: Option<&str>,
    progress: Option<&'static Progress>,
) -> Result<String, AppError> {
    let limits = parse_limits(&args.limits).map_err(AppError::Usage)?;
    let spec = match &args.workload {
        Some(w) => parse_workload(w).map_err(AppError::Usage)?,
        None => Default::default(),
    };
    let workload = match file_text {
        Some(text) => spec.with_file(parse_jsonl(text).map_err(AppError::Usage)?),
        None => {
            if args.workload.is_none() {
                return Err(AppError::Usage(
                    "simulate needs --workload requests=N,... or --workload-file FILE".to_string(),
                ));
            }
            spec.synthetic().map_err(AppError::Usage)?
        }
    };
    let mut policies: Vec<Policy> = vec![parse_policy(&args.policy).map_err(AppError::Usage)?];
    if let Some(list) = &args.compare {
        for spec in split_policy_list(list) {
            let p = parse_policy(&spec).map_err(AppError::Usage)?;
            if !policies.iter().any(|q| q.name == p.name) {
                policies.push(p);
            }
        }
    }
    if let Some(p) = progress {
        // Every policy's run, and the recommendation's two runs of the whole workload.
        let runs = policies.len() as u64 + if args.no_recommend { 0 } else { 2 };
        p.total
            .store(workload.requests.len() * runs, AtomicOrdering::Relaxed);
    }
    let opts = SimOptions {
        seed: args.seed,
        record: args.traces,
        progress: progress.map(|p| &p.done),
    };
    let runs: Vec<SimRun> = policies
        .iter()
        .map(|p| simulate(&limits, &workload, p, &opts))
        .collect();
    let rec = if args.no_recommend {
        None
    } else {
        let mut candidates = policies.clone();
        if !candidates.iter().any(|p| p.name == "ratedoctor") {
            candidates.push(Policy::ratedoctor());
        }
        recommend_with(&limits, &workload, &candidates, &opts)
    };
    if args.json {
        let doc = report_json(&limits, &workload, &runs, rec.as_ref(), args.seed);
        serde_json::to_string_pretty(&doc)
            .map(|s| s + "\n")
            .map_err(|e| AppError::Internal(format!("cannot write JSON: {e}")))
    } else {
        Ok(report_text(
            &limits,
            &workload,
            &runs,
            rec.as_ref(),
            usize::from(args.width),
        ))
    }
}

/// Runs `ratedoctor simulate`.
pub fn run(args: &SimulateArgs) -> Result<ExitCode, AppError> {
    let text =
        match &args.workload_file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                AppError::Unreadable(format!("cannot read {}: {e}", path.display()))
            })?),
            None => None,
        };
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        print!("{}", render(args, text.as_deref())?);
        return Ok(ExitCode::Ok);
    }
    // One per process: the counter outlives the simulation threads' borrows.
    let progress: &'static Progress = Box::leak(Box::default());
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let shower = std::thread::spawn(move || show_progress(progress, &stopped));
    let out = render_with(args, text.as_deref(), Some(progress));
    let _ = stop.send(());
    let _ = shower.join();
    print!("{}", out?);
    Ok(ExitCode::Ok)
}

/// `simulating: 37% (111,000,000 of 300,000,000 requests)` on stderr, redrawn four times a
/// second once the run is long enough to need it; erased at the end.
fn show_progress(p: &Progress, stopped: &std::sync::mpsc::Receiver<()>) {
    use std::io::Write;
    let mut shown = false;
    while stopped
        .recv_timeout(std::time::Duration::from_millis(250))
        .is_err()
    {
        let (done, total) = (
            p.done.load(AtomicOrdering::Relaxed),
            p.total.load(AtomicOrdering::Relaxed),
        );
        if total < SHOW_PROGRESS_FROM {
            continue;
        }
        let pct = (done as f64 / total as f64 * 100.0).min(100.0);
        let width = 30;
        let filled = (pct / 100.0 * width as f64) as usize;
        eprint!(
            "\rsimulating [{}{}] {pct:>3.0}% ({} of {} requests)",
            "#".repeat(filled),
            " ".repeat(width - filled),
            crate::duration::count(done as f64),
            crate::duration::count(total as f64)
        );
        let _ = std::io::stderr().flush();
        shown = true;
    }
    if shown {
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
}
