//! `ratedoctor demo`: the emulator, a built-in workload and the live view — or, with
//! `--no-tui` (or without a terminal), the same run as text lines and a summary.

use crate::demo::{self, DemoConfig, report};
use crate::error::{AppError, ExitCode};
use crate::session::Session;
use crate::tui::{self, LiveOptions, LiveSource};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Options of `ratedoctor demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Stop by itself after this many seconds (default: until q; 10 s with --no-tui).
    #[arg(short = 'd', long, value_name = "SECS", value_parser = crate::duration::seconds_arg)]
    pub duration: Option<f64>,

    /// Print text lines and a summary instead of the terminal UI.
    #[arg(long)]
    pub no_tui: bool,

    /// Seed for the emulator and the workload's jitter.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Events kept for the live view's log (counts keep counting beyond it).
    #[arg(long, value_name = "N", default_value_t = tui::app::DEFAULT_CAPACITY)]
    pub keep_events: usize,

    /// A load test of the view itself: raised limits and many fast clients (thousands of
    /// events a second) instead of the teaching workload.
    #[arg(long)]
    pub load: bool,
}

pub fn run(args: &DemoArgs) -> Result<ExitCode, AppError> {
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let text = args.no_tui || !tty;
    let duration = match (args.duration, text) {
        (Some(d), _) => Some(d),
        (None, true) => Some(10.0),
        (None, false) => None,
    }
    .map(Duration::from_secs_f64);
    let config = if args.load {
        DemoConfig::load(duration, args.seed)
    } else {
        DemoConfig::new(duration, args.seed)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let demo = demo::start(config).await?;
        if text {
            run_text(demo).await
        } else {
            run_tui(demo, duration.is_some(), args.keep_events).await
        }
    })
}

async fn run_text(mut demo: demo::Demo) -> Result<ExitCode, AppError> {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "ratedoctor demo: emulator at {}{}, {} simulated clients",
        demo.upstream,
        demo.via
            .as_deref()
            .map(|v| format!(", proxy at {v}"))
            .unwrap_or_default(),
        demo::workload::clients().len()
    );
    let mut session = Session::new();
    while let Some(e) = demo.events.recv().await {
        session.apply(&e);
        if writeln!(out, "{}", report::line(&e)).is_err() {
            // A closed pipe: stop quietly.
            return Ok(ExitCode::Ok);
        }
    }
    let elapsed = demo.start.elapsed().as_secs_f64();
    let _ = write!(out, "{}", report::summary(&session, elapsed));
    let _ = out.flush();
    Ok(ExitCode::Ok)
}

async fn run_tui(
    mut demo: demo::Demo,
    quit_when_done: bool,
    capacity: usize,
) -> Result<ExitCode, AppError> {
    // The view reads the events; the demo keeps the emulator and the workload alive.
    let rx = std::mem::replace(&mut demo.events, tokio::sync::mpsc::channel(1).1);
    let app = tui::live(
        LiveSource::Demo,
        rx,
        None,
        LiveOptions {
            capacity,
            quit_when_done,
            start: Some(demo.start),
        },
    )
    .await;
    demo.stop();
    let app = app?;
    // The summary comes after the terminal is restored.
    let elapsed = demo.start.elapsed().as_secs_f64();
    let mut text = report::summary(&app.session, elapsed);
    if let Some(w) = crate::views::style::terminal_width(false) {
        text = crate::views::style::wrap_block(&text, w);
    }
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{text}");
    let _ = out.flush();
    Ok(app.exit_code(ExitCode::Ok))
}
