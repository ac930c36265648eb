//! `ratedoctor simulate` (cli layer): reads the workload file if any, runs the simulation
//! core for each policy and the recommendation search, prints text or JSON.

use crate::backoff::{Policy, parse_policy, split_policy_list};
use crate::error::{AppError, ExitCode};
use crate::simulate::render::{report_json, report_text};
use crate::simulate::{
    SimOptions, SimRun, parse_jsonl, parse_limits, parse_workload, recommend, simulate,
};
use std::path::PathBuf;

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
    let opts = SimOptions {
        seed: args.seed,
        record: args.traces,
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
        recommend(&limits, &workload, &candidates, args.seed)
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
    let out = render(args, text.as_deref())?;
    print!("{out}");
    Ok(ExitCode::Ok)
}
