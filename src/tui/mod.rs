//! The terminal UI (view layer): Home (paste area), the explain view, and the live view of
//! probe, watch, run, replay and demo. The state is a [`crate::session::Session`] plus UI
//! state ([`app`]), changed only by `App::update(Msg)`; every pane is a pure function of it
//! ([`panes`], one file each); [`run`] owns the loop and the terminal.
//!
//! ```text
//!  keys / paste ─┐                        ┌─> panes::draw (≤ 20 fps, only when dirty)
//!  Event source ─┼─> Msg ─> App::update ──┤
//!  child lines ──┤                        └─> quit → terminal restored
//!  frame tick ───┘
//! ```
//!
//! Screens (see [`panes`] for the live layout):
//!
//! ```text
//!  Home                           Explain                      Live
//!  ┌ paste here ─────┐┌ ways in ┐ ┌ card 1 ───────────────┐   header (source, counts)
//!  │ Error code: 429 ││ demo    │ │ ● OpenAI RPM reached  │   ┌ budgets ─────────────┐
//!  └─────────────────┘│ probe   │ │   numbers [███▒··]    │   ┌ timeline ────────────┐
//!  ┌ diagnosis ──────┐│ watch   │ │   retry? yes, wait 20s│   ┌ events ──┐┌ output ──┐
//!  │ ● card          ││ explain │ │   fix …  snippet      │   footer / filter bar
//!  └─────────────────┘└─────────┘ └───────────────────────┘
//! ```
//!
//! Nothing is printed while the UI is up; the terminal is restored on quit, error, panic,
//! Ctrl-C and every signal that ends the UI (then the command exits with 128 + N; see
//! [`signals`]), and while suspended (Ctrl-Z, SIGTSTP; `fg` redraws it all).

pub mod app;
pub mod clipboard;
#[doc(hidden)]
pub mod fixtures;
pub mod input;
pub(crate) mod panes;
pub mod run;
pub mod signals;

pub use app::{App, ChildOutput, LiveSource, Msg, ToChild};

use crate::diagnose::Diagnosis;
use crate::error::{AppError, ExitCode};
use crate::event::Event;
use std::time::Instant;
use tokio::sync::mpsc::{Receiver, UnboundedSender};

/// The program under `run`, as the view sees it: its output (lines, prompts, whether it
/// waits for input, how it ended) and, when its stdin is a pipe, where typed lines go.
#[derive(Debug)]
pub struct ChildLink {
    pub output: Receiver<ChildOutput>,
    pub input: Option<UnboundedSender<ToChild>>,
}

/// Options of the live view.
#[derive(Debug, Clone, Copy)]
pub struct LiveOptions {
    /// Events kept for the log (older ones are dropped; counts keep counting).
    pub capacity: usize,
    /// Leave the UI when the source stops sending (e.g. `demo --duration`).
    pub quit_when_done: bool,
    /// The instant the source's `t_ms` counts from (default: when the view opens).
    pub start: Option<Instant>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            capacity: app::DEFAULT_CAPACITY,
            quit_when_done: false,
            start: None,
        }
    }
}

/// Draws the whole screen for `app` (the frame bench and embedders use this).
pub fn draw(frame: &mut ratatui::Frame, app: &App) {
    panes::draw(frame, app);
}

fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))
}

/// The explain view over `diagnoses` (`ratedoctor explain` on a terminal). Blocks until
/// the user quits; call it outside any tokio runtime.
pub fn run_explain_tui(diagnoses: Vec<Diagnosis>) -> Result<ExitCode, AppError> {
    let found = !diagnoses.is_empty();
    let app = runtime()?.block_on(async move {
        run::run_terminal(
            App::explain(diagnoses),
            None,
            None,
            || 0.0,
            run::LoopOptions::default(),
        )
        .await
    })?;
    Ok(app.exit_code(if found {
        ExitCode::Ok
    } else {
        ExitCode::NoErrorFound
    }))
}

/// Home (`ratedoctor` with no arguments on a terminal): the paste area and the ways in.
/// Blocks until the user quits; call it outside any tokio runtime.
pub fn run_home() -> Result<ExitCode, AppError> {
    home().map(|app| app.exit_code(ExitCode::Ok))
}

/// Home; the final state says whether the user asked to start the demo (`start_demo`,
/// `d`) or a signal ended it ([`App::exit_code`]).
pub fn home() -> Result<App, AppError> {
    runtime()?.block_on(async move {
        run::run_terminal(App::home(), None, None, || 0.0, run::LoopOptions::default()).await
    })
}

/// The live view of a source, from inside a tokio runtime: folds `events` (and, for `run`,
/// the child's output and input) until the user quits (or the source ends, with
/// `quit_when_done`). Returns the final state (for an after-run summary).
pub async fn live(
    source: LiveSource,
    events: Receiver<Event>,
    child: Option<ChildLink>,
    options: LiveOptions,
) -> Result<App, AppError> {
    let start = options.start.unwrap_or_else(Instant::now);
    let app = App::live(source, options.capacity);
    run::run_terminal(
        app,
        Some(events),
        child,
        move || start.elapsed().as_secs_f64() * 1000.0,
        run::LoopOptions {
            quit_when_done: options.quit_when_done,
            ..run::LoopOptions::default()
        },
    )
    .await
}

/// The live view with the source's own clock (`clock()`: the `t_ms` of now), for a
/// source whose times are not the view's (a followed log's own timestamps). Runs on its
/// own current-thread runtime; blocks until the user quits.
pub fn run_live_clocked(
    source: LiveSource,
    events: Receiver<Event>,
    clock: impl Fn() -> f64,
) -> Result<ExitCode, AppError> {
    let app = runtime()?.block_on(async move {
        run::run_terminal(
            App::live(source, app::DEFAULT_CAPACITY),
            Some(events),
            None,
            clock,
            run::LoopOptions::default(),
        )
        .await
    })?;
    Ok(app.exit_code(ExitCode::Ok))
}

/// [`live`] for callers outside a runtime: runs the UI on its own current-thread runtime
/// (the sources keep running on theirs). Blocks until the user quits; `Ok`, or 128 + N
/// when signal N (or Ctrl-C) ended it.
pub fn run_live(
    source: LiveSource,
    events: Receiver<Event>,
    child: Option<ChildLink>,
    options: LiveOptions,
) -> Result<ExitCode, AppError> {
    let app = runtime()?.block_on(live(source, events, child, options))?;
    Ok(app.exit_code(ExitCode::Ok))
}
