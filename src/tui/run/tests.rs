use super::*;
use crate::tui::app::{App, LiveSource};
use crate::tui::fixtures::scripted_events;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;

fn key(c: char) -> std::io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// Terminal events delivered one per `gap`, after `delay`.
fn scripted(
    items: Vec<std::io::Result<TermEvent>>,
    delay: Duration,
    gap: Duration,
) -> impl Stream<Item = std::io::Result<TermEvent>> + Unpin {
    Box::pin(futures_util::stream::unfold(
        (items.into_iter(), true),
        move |(mut it, first)| async move {
            tokio::time::sleep(if first { delay } else { gap }).await;
            it.next().map(|x| (x, (it, false)))
        },
    ))
}

#[tokio::test]
async fn scripted_keys_and_events_then_quit_cleanly() {
    let (tx, rx) = tokio::sync::mpsc::channel(10_000);
    let events = scripted_events(200);
    let last = events.last().map_or(0.0, |e| e.t_ms);
    for e in events {
        tx.send(e).await.unwrap();
    }
    let paste = Ok(TermEvent::Paste(
        crate::tui::fixtures::SAMPLE_RPM.to_string(),
    ));
    let input = scripted(
        vec![
            key('/'),
            key('4'),
            Ok(TermEvent::Key(KeyEvent::new(
                KeyCode::Esc,
                KeyModifiers::NONE,
            ))),
            key('k'),
            paste,
            Ok(TermEvent::Key(KeyEvent::new(
                KeyCode::Esc,
                KeyModifiers::NONE,
            ))),
            key('q'),
        ],
        Duration::from_millis(200),
        Duration::from_millis(60),
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = App::live(LiveSource::Demo, 10_000);
    let r = tokio::time::timeout(
        Duration::from_secs(30),
        run_loop(
            &mut terminal,
            &mut app,
            input,
            Some(rx),
            None,
            move || last + 500.0,
            futures_util::stream::pending(),
            &mut NoHost,
            LoopOptions::default(),
        ),
    )
    .await
    .expect("the loop ends");
    assert!(r.is_ok());
    assert!(app.quit);
    assert!(app.filter.only_429);
    assert_eq!(app.paste.diagnoses.len(), 1);
    assert!(app.session.requests > 50);
    drop(tx);
    insta::assert_snapshot!(terminal.backend());
}

#[tokio::test]
async fn the_stop_signal_ends_the_loop() {
    let (_tx, rx) = tokio::sync::mpsc::channel::<Event>(1);
    let mut terminal = Terminal::new(TestBackend::new(40, 12)).unwrap();
    let mut app = App::live(LiveSource::Demo, 10);
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        run_loop(
            &mut terminal,
            &mut app,
            futures_util::stream::pending(),
            Some(rx),
            None,
            || 0.0,
            Box::pin(futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Signal::End(15)
            })),
            &mut NoHost,
            LoopOptions::default(),
        ),
    )
    .await
    .expect("the loop ends");
    assert!(r.is_ok());
    assert!(app.quit);
    assert_eq!(app.signal, Some(15));
    assert_eq!(app.exit_code(crate::ExitCode::Ok).code(), 128 + 15);
}

/// Records what the loop asked of the terminal.
#[derive(Default)]
struct Recorder {
    suspends: Vec<bool>,
    retakes: usize,
}

impl Host for Recorder {
    fn suspend(&mut self, whole_group: bool) -> Result<(), AppError> {
        self.suspends.push(whole_group);
        Ok(())
    }
    fn retake(&mut self) -> Result<(), AppError> {
        self.retakes += 1;
        Ok(())
    }
}

fn ctrl(c: char) -> std::io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

/// Whether the test backend's screen shows `text`.
fn shows(terminal: &Terminal<TestBackend>, text: &str) -> bool {
    let buf = terminal.backend().buffer();
    let all: String = buf.content.iter().map(|c| c.symbol()).collect();
    all.contains(text)
}

/// Runs the loop on a 100×30 test backend with no child, for at most 10 s.
async fn run_live_loop(
    app: &mut App,
    input: impl Stream<Item = std::io::Result<TermEvent>> + Unpin,
    signals: impl Stream<Item = Signal> + Unpin,
    host: &mut impl Host,
) -> Terminal<TestBackend> {
    let (tx, rx) = tokio::sync::mpsc::channel(100);
    for e in scripted_events(20) {
        tx.send(e).await.unwrap();
    }
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        run_loop(
            &mut terminal,
            app,
            input,
            Some(rx),
            None,
            || 0.0,
            signals,
            host,
            LoopOptions::default(),
        ),
    )
    .await
    .expect("the loop ends")
    .unwrap();
    drop(tx);
    terminal
}

#[tokio::test]
async fn ctrl_z_suspends_the_job_then_redraws_and_q_still_quits() {
    let mut app = App::live(LiveSource::Demo, 100);
    let mut host = Recorder::default();
    let input = scripted(
        vec![ctrl('z'), key('q')],
        Duration::from_millis(200),
        Duration::from_millis(200),
    );
    let terminal = run_live_loop(&mut app, input, futures_util::stream::pending(), &mut host).await;
    // Ctrl-Z stops the whole job, as the terminal would; `q` after it quits with 0.
    assert_eq!(host.suspends, vec![true]);
    assert!(!app.suspend, "the request is taken");
    assert!(app.quit);
    assert_eq!(app.exit_code(crate::ExitCode::Ok), crate::ExitCode::Ok);
    assert!(shows(&terminal, "budgets ("), "the view is drawn");
}

#[tokio::test]
async fn sigtstp_suspends_this_process_and_sigcont_retakes_and_redraws() {
    let mut app = App::live(LiveSource::Demo, 100);
    let mut host = Recorder::default();
    // Stopped, continued, then SIGHUP (1).
    let signals = Box::pin(futures_util::stream::unfold(0, |n| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let s = match n {
            0 => Signal::Suspend,
            1 => Signal::Continued,
            2 => Signal::End(1),
            _ => return None,
        };
        Some((s, n + 1))
    }));
    let terminal = run_live_loop(
        &mut app,
        futures_util::stream::pending(),
        signals,
        &mut host,
    )
    .await;
    assert_eq!(
        host.suspends,
        vec![false],
        "SIGTSTP stops this process alone"
    );
    assert_eq!(host.retakes, 1);
    assert_eq!(app.signal, Some(1));
    assert_eq!(app.exit_code(crate::ExitCode::Ok).code(), 129);
    assert!(shows(&terminal, "budgets ("));
}

#[tokio::test]
async fn ctrl_c_quits_at_once_even_with_a_program_running() {
    let mut app = App::live(
        LiveSource::Run {
            command: "sleep 100".into(),
            proxy: "http://127.0.0.1:1".into(),
        },
        100,
    );
    assert!(app.child_running());
    let input = scripted(vec![ctrl('c')], Duration::from_millis(100), Duration::ZERO);
    // One key, no second one: the loop ends (or the helper's timeout fails the test).
    run_live_loop(
        &mut app,
        input,
        futures_util::stream::pending(),
        &mut NoHost,
    )
    .await;
    assert!(app.quit);
    assert!(!app.quit_armed);
    assert_eq!(
        app.exit_code(crate::ExitCode::Ok),
        crate::ExitCode::Interrupted
    );
}
