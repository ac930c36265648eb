//! The event loop and the terminal (view layer, the only impure part of the TUI).
//!
//! [`run_loop`] selects over terminal input, the source's events, the child's lines, a stop
//! signal and a frame tick; it drains every queued event at once and draws at most once per
//! tick (20 fps), only when something changed or a countdown is showing. It is generic over
//! the backend and the input stream, so tests drive it with `TestBackend` and scripted keys.
//!
//! [`Terminal`] guard: raw mode, alternate screen and bracketed paste on entry; restored
//! when dropped (quit, error), by the panic hook (panic), and on SIGTERM/SIGINT/SIGHUP (the
//! stop signal ends the loop, then the guard drops).

use super::app::{App, Msg};
use super::input;
use super::panes;
use crate::error::AppError;
use crate::event::Event;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

/// The frame period (20 fps).
pub const FRAME: Duration = Duration::from_millis(50);
/// Most events folded per wake-up before the loop looks at keys and the clock again.
const DRAIN_MAX: usize = 20_000;

/// How the loop behaves.
#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    pub frame: Duration,
    /// Quit when the source stops sending (`--duration`).
    pub quit_when_done: bool,
    /// Test-only hook, off by default: panic right after the first frame, so the tests
    /// in `tests/reliability_terminal.rs` can check that a panic gives the terminal back.
    /// Set by `RATEDOCTOR_TEST_PANIC=1`; not documented for users.
    pub panic_after_first_frame: bool,
    /// Test-only hook, off by default: after the first frame, a thread of its own panics
    /// while the UI goes on (`RATEDOCTOR_TEST_PANIC=thread`).
    pub panic_in_thread_after_first_frame: bool,
    /// No colours (`NO_COLOR`): bold, dim and reverse stay, colours go.
    pub mono: bool,
    /// Write copied text to the terminal as OSC 52 (off for test backends).
    pub osc52: bool,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            frame: FRAME,
            quit_when_done: false,
            panic_after_first_frame: false,
            panic_in_thread_after_first_frame: false,
            mono: false,
            osc52: false,
        }
    }
}

async fn recv_opt<T>(rx: &mut Option<Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// One terminal event into the app.
pub(crate) fn on_terminal_event(app: &mut App, e: TermEvent) {
    match e {
        TermEvent::Key(k) => {
            if let Some(a) = input::action(k, app.mode()) {
                app.update(Msg::Key(a));
            }
        }
        TermEvent::Paste(text) => app.update(Msg::Paste(text)),
        _ => {}
    }
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App, mono: bool) -> Result<(), AppError> {
    terminal
        .draw(|f| {
            panes::draw(f, app);
            if mono {
                for cell in &mut f.buffer_mut().content {
                    cell.fg = ratatui::style::Color::Reset;
                    cell.bg = ratatui::style::Color::Reset;
                }
            }
        })
        .map(|_| ())
        .map_err(|e| AppError::Internal(format!("cannot draw the screen: {e}")))
}

/// Runs until the app quits, the stop future resolves, or the input fails.
#[allow(clippy::too_many_arguments)]
pub async fn run_loop<B, S, F>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: S,
    mut events: Option<Receiver<Event>>,
    mut lines: Option<Receiver<crate::tui::ChildOutput>>,
    clock: impl Fn() -> f64,
    stop: F,
    opts: LoopOptions,
) -> Result<(), AppError>
where
    B: Backend,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
    F: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(opts.frame);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut input_open = true;
    #[cfg(feature = "test-hooks")]
    let mut frames = 0u64;
    tokio::pin!(stop);
    while !app.quit {
        tokio::select! {
            biased;
            () = &mut stop => app.quit = true,
            ev = input.next(), if input_open => match ev {
                Some(Ok(e)) => {
                    on_terminal_event(app, e);
                    send_clipboard(app, opts.osc52);
                    dirty = true;
                }
                Some(Err(e)) => {
                    return Err(AppError::Internal(format!("cannot read the terminal: {e}")));
                }
                None => input_open = false,
            },
            e = recv_opt(&mut events), if events.is_some() => {
                match e {
                    Some(e) => {
                        app.update(Msg::Event(e));
                        if let Some(rx) = events.as_mut() {
                            for _ in 0..DRAIN_MAX {
                                match rx.try_recv() {
                                    Ok(e) => app.update(Msg::Event(e)),
                                    Err(_) => break,
                                }
                            }
                        }
                    }
                    None => {
                        events = None;
                        app.update(Msg::SourceEnded);
                        if opts.quit_when_done {
                            app.quit = true;
                        }
                    }
                }
                dirty = true;
            }
            l = recv_opt(&mut lines), if lines.is_some() => {
                match l {
                    Some(l) => {
                        child_msg(app, l);
                        if let Some(rx) = lines.as_mut() {
                            for _ in 0..DRAIN_MAX {
                                match rx.try_recv() {
                                    Ok(l) => child_msg(app, l),
                                    Err(_) => break,
                                }
                            }
                        }
                    }
                    None => lines = None,
                }
                dirty = true;
            }
            _ = tick.tick() => {
                app.update(Msg::Tick(clock()));
                if dirty || app.animates() {
                    draw(terminal, app, opts.mono)?;
                    dirty = false;
                    #[cfg(feature = "test-hooks")]
                    {
                        frames += 1;
                        test_panic(&opts, frames);
                    }
                }
            }
        }
    }
    draw(terminal, app, opts.mono)
}

/// Hands what the app copied to the terminal (OSC 52), between two frames.
fn send_clipboard(app: &mut App, osc52: bool) {
    if app.clipboard.is_empty() {
        return;
    }
    let texts = std::mem::take(&mut app.clipboard);
    if osc52 {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for t in texts {
            let _ = out.write_all(super::clipboard::osc52(&t).as_bytes());
        }
        let _ = out.flush();
    }
}

/// After the UI: the snippet copied last, for terminals that ignore OSC 52.
fn print_copied(app: &App) {
    if let Some(s) = &app.copied {
        println!(
            "ratedoctor: the snippet you copied (also sent to the clipboard with OSC 52):\n\n{}\n",
            s.code
        );
    }
}

fn child_msg(app: &mut App, out: crate::tui::ChildOutput) {
    app.update(match out {
        crate::tui::ChildOutput::Line(l) => Msg::ChildLine(l),
        crate::tui::ChildOutput::Exited(code) => Msg::ChildExited(code),
    });
}

/// The tests' forced panics (`RATEDOCTOR_TEST_PANIC`), after the first frame.
#[cfg(feature = "test-hooks")]
fn test_panic(opts: &LoopOptions, frames: u64) {
    if opts.panic_after_first_frame && frames == 1 {
        panic!("RATEDOCTOR_TEST_PANIC: a forced panic to test terminal restore");
    }
    if opts.panic_in_thread_after_first_frame && frames == 1 {
        let _ = std::thread::spawn(|| {
            panic!("RATEDOCTOR_TEST_PANIC: a forced panic in another thread");
        });
    }
}

/// Raw mode + alternate screen + bracketed paste while alive; restored on drop and by the
/// panic hook.
pub struct TerminalGuard {
    pub terminal: ratatui::DefaultTerminal,
}

/// Whether the UI owns the terminal now. Restoring twice would leave the alternate screen
/// twice, and the second time moves the cursor back over what was printed in between (the
/// panic message).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The thread that runs the UI (the one that entered it).
static OWNER: Mutex<Option<ThreadId>> = Mutex::new(None);
/// Lines to print once the terminal is back (panics of other threads while the UI ran).
static DEFERRED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Leaves raw mode, the alternate screen and bracketed paste, if the UI owns the terminal
/// (a no-op otherwise, and the second time), then prints what was held back meanwhile.
/// Called by the guard's drop and by the panic hooks, before anything is printed.
pub fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::execute!(
            std::io::stdout(),
            DisableBracketedPaste,
            crossterm::cursor::Show
        );
        let _ = ratatui::try_restore();
        if let Ok(mut owner) = OWNER.lock() {
            *owner = None;
        }
    }
    let held = DEFERRED
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    for line in held {
        eprintln!("{line}");
    }
}

/// Whether a panic on this thread ends the UI: it is the UI's own thread, or no UI is up.
/// A panic elsewhere (a source's task, a helper thread) leaves the UI running, and the
/// terminal with it.
pub fn panic_ends_ui() -> bool {
    !ACTIVE.load(Ordering::SeqCst)
        || OWNER.lock().map_or(true, |o| {
            o.is_none_or(|id| id == std::thread::current().id())
        })
}

/// For a panic hook: gives the terminal back and prints `line` when this panic ends the
/// UI; otherwise keeps `line` until the UI ends (printing over the screen would garble it).
pub fn report_panic(line: String) {
    if panic_ends_ui() {
        restore_terminal();
        eprintln!("{line}");
    } else if let Ok(mut d) = DEFERRED.lock() {
        d.push(line);
    }
}

static HOOK: Once = Once::new();

impl TerminalGuard {
    pub fn enter() -> Result<Self, AppError> {
        // Not `ratatui::try_init`: it installs a panic hook of its own (one more on every
        // call) that gives the terminal back on a panic of any thread, even one that leaves
        // the UI running; ours below decides by thread.
        let open = || -> std::io::Result<ratatui::DefaultTerminal> {
            crossterm::terminal::enable_raw_mode()?;
            crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
            Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
        };
        let terminal = open().map_err(|e| {
            let _ = ratatui::try_restore();
            AppError::Internal(format!("cannot open the terminal UI: {e}"))
        })?;
        if let Ok(mut owner) = OWNER.lock() {
            *owner = Some(std::thread::current().id());
        }
        ACTIVE.store(true, Ordering::SeqCst);
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if panic_ends_ui() {
                    restore_terminal();
                }
                previous(info);
            }));
        });
        if let Err(e) = crossterm::execute!(std::io::stdout(), EnableBracketedPaste) {
            restore_terminal();
            return Err(AppError::Internal(format!(
                "cannot set up the terminal: {e}"
            )));
        }
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Resolves on SIGTERM, SIGINT or SIGHUP (Ctrl-C in raw mode arrives as a key instead).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs `app` on the real terminal until it quits.
pub async fn run_terminal(
    mut app: App,
    events: Option<Receiver<Event>>,
    lines: Option<Receiver<crate::tui::ChildOutput>>,
    clock: impl Fn() -> f64,
    mut opts: LoopOptions,
) -> Result<App, AppError> {
    #[cfg(feature = "test-hooks")]
    {
        let test_panic = std::env::var_os("RATEDOCTOR_TEST_PANIC");
        opts.panic_after_first_frame |= test_panic.as_ref().is_some_and(|v| v == "1");
        opts.panic_in_thread_after_first_frame |= test_panic.is_some_and(|v| v == "thread");
    }
    opts.mono |= std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    opts.osc52 = true;
    let mut guard = TerminalGuard::enter()?;
    let input = crossterm::event::EventStream::new();
    let result = run_loop(
        &mut guard.terminal,
        &mut app,
        input,
        events,
        lines,
        clock,
        stop_signal(),
        opts,
    )
    .await;
    drop(guard);
    print_copied(&app);
    result.map(|()| app)
}

#[cfg(test)]
mod tests;
