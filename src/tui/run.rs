//! The event loop and the terminal (view layer, the only impure part of the TUI).
//!
//! [`run_loop`] selects over terminal input, the source's events, the child's lines,
//! signals and a frame tick; it drains every queued event at once and draws at most once per
//! tick (20 fps), only when something changed or a countdown is showing. It is generic over
//! the backend, the input stream, the signals and the [`Host`] that suspends, so tests
//! drive it with `TestBackend`, scripted keys and scripted signals.
//!
//! [`Terminal`] guard: raw mode, alternate screen and bracketed paste on entry; restored
//! when dropped (quit, error), by the panic hook (panic), and on every signal that ends the
//! UI (see [`super::signals`]: the loop quits, then the guard drops). Suspend (Ctrl-Z,
//! SIGTSTP) restores it, stops the process, and takes it again on `fg` with a full redraw.

use super::app::{App, Msg};
use super::input;
use super::panes;
use super::signals::{self, Signal};
use crate::error::AppError;
use crate::event::Event;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
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

/// What the loop asks of the terminal it runs on, beyond drawing: to be given back while
/// the process is stopped, and taken again after. Test backends have nothing to give back.
pub trait Host {
    /// Restores the terminal, stops the process (with `whole_group`, its whole job, as
    /// Ctrl-Z does outside raw mode) and, once continued, takes the terminal again.
    fn suspend(&mut self, whole_group: bool) -> Result<(), AppError>;
    /// Takes the terminal again after SIGCONT (a shell may have reset it meanwhile).
    fn retake(&mut self) -> Result<(), AppError>;
}

/// No terminal of its own (a test backend): suspending does nothing.
pub struct NoHost;

impl Host for NoHost {
    fn suspend(&mut self, _whole_group: bool) -> Result<(), AppError> {
        Ok(())
    }
    fn retake(&mut self) -> Result<(), AppError> {
        Ok(())
    }
}

/// The real terminal (stdout), owned by a [`TerminalGuard`].
pub struct Tty;

impl Host for Tty {
    fn suspend(&mut self, whole_group: bool) -> Result<(), AppError> {
        restore_terminal();
        signals::stop_process(whole_group);
        take_terminal()
    }
    fn retake(&mut self) -> Result<(), AppError> {
        // Back to the settings from before the UI, then raw again: raw mode is set anew
        // even if a shell put the terminal in cooked mode while the process was stopped.
        let _ = crossterm::terminal::disable_raw_mode();
        take_terminal()
    }
}

/// After the terminal was given back or may have been reset: clear it and draw it all.
fn redraw_all<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &App,
    mono: bool,
) -> Result<(), AppError> {
    // `resize` to the size now: it clears the screen and forgets the last frame, as
    // `clear` does, without `clear`'s cursor-position query (an answer the terminal may be
    // slow to give right after `fg`), and takes a resize made while stopped.
    let cleared = terminal
        .size()
        .and_then(|size| terminal.resize(size.into()));
    cleared.map_err(|e| AppError::Internal(format!("cannot clear the screen: {e}")))?;
    draw(terminal, app, mono)
}

/// Runs until the app quits (a key, or a signal that ends the UI), or the input fails.
#[allow(clippy::too_many_arguments)]
pub async fn run_loop<B, S, G, H>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: S,
    mut events: Option<Receiver<Event>>,
    child: Option<crate::tui::ChildLink>,
    clock: impl Fn() -> f64,
    mut signals: G,
    host: &mut H,
    opts: LoopOptions,
) -> Result<(), AppError>
where
    B: Backend,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
    G: Stream<Item = Signal> + Unpin,
    H: Host,
{
    let mut tick = tokio::time::interval(opts.frame);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut input_open = true;
    let mut signals_open = true;
    let (mut lines, to_child) = match child {
        Some(c) => (Some(c.output), c.input),
        None => (None, None),
    };
    #[cfg(feature = "test-hooks")]
    let mut frames = 0u64;
    while !app.quit {
        tokio::select! {
            biased;
            sig = signals.next(), if signals_open => match sig {
                Some(Signal::End(n)) => app.update(Msg::Signal(n)),
                Some(Signal::Suspend) => {
                    host.suspend(false)?;
                    redraw_all(terminal, app, opts.mono)?;
                    dirty = false;
                }
                Some(Signal::Continued) => {
                    host.retake()?;
                    redraw_all(terminal, app, opts.mono)?;
                    dirty = false;
                }
                None => signals_open = false,
            },
            ev = input.next(), if input_open => match ev {
                Some(Ok(e)) => {
                    on_terminal_event(app, e);
                    send_clipboard(app, opts.osc52);
                    send_to_child(app, to_child.as_ref());
                    dirty = true;
                    if std::mem::take(&mut app.suspend) {
                        host.suspend(true)?;
                        redraw_all(terminal, app, opts.mono)?;
                        dirty = false;
                    }
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

/// Hands what was typed to the program to the task that writes its stdin.
fn send_to_child(
    app: &mut App,
    to: Option<&tokio::sync::mpsc::UnboundedSender<crate::tui::ToChild>>,
) {
    for m in app.to_child.drain(..) {
        if to.is_none_or(|to| to.send(m).is_err()) {
            app.child_input.open = false;
            app.child_input.typing = false;
            app.status = Some("the program's input is closed".to_string());
            break;
        }
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
        crate::tui::ChildOutput::Partial(l) => Msg::ChildPartial(l),
        crate::tui::ChildOutput::Waiting(w) => Msg::ChildWaiting(w),
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

/// Raw mode, the alternate screen and bracketed paste, owned by this thread: on entry and
/// after a suspend. On an error, whatever was set is undone.
fn take_terminal() -> Result<(), AppError> {
    if let Ok(mut owner) = OWNER.lock() {
        *owner = Some(std::thread::current().id());
    }
    ACTIVE.store(true, Ordering::SeqCst);
    let taken = crossterm::terminal::enable_raw_mode().and_then(|()| {
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::EnterAlternateScreen,
            EnableBracketedPaste
        )
    });
    taken.map_err(|e| {
        restore_terminal();
        AppError::Internal(format!("cannot open the terminal UI: {e}"))
    })
}

impl TerminalGuard {
    pub fn enter() -> Result<Self, AppError> {
        // Not `ratatui::try_init`: it installs a panic hook of its own (one more on every
        // call) that gives the terminal back on a panic of any thread, even one that leaves
        // the UI running; ours below decides by thread.
        take_terminal()?;
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if panic_ends_ui() {
                    restore_terminal();
                }
                previous(info);
            }));
        });
        let terminal = Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
            .map_err(|e| {
                restore_terminal();
                AppError::Internal(format!("cannot open the terminal UI: {e}"))
            })?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Runs `app` on the real terminal until it quits.
pub async fn run_terminal(
    mut app: App,
    events: Option<Receiver<Event>>,
    child: Option<crate::tui::ChildLink>,
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
        child,
        clock,
        signals::signals(),
        &mut Tty,
        opts,
    )
    .await;
    drop(guard);
    print_copied(&app);
    result.map(|()| app)
}

#[cfg(test)]
mod tests;
