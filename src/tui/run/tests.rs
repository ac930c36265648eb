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
            std::future::pending::<()>(),
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
            tokio::time::sleep(Duration::from_millis(300)),
            LoopOptions::default(),
        ),
    )
    .await
    .expect("the loop ends");
    assert!(r.is_ok());
    assert!(app.quit);
}

#[tokio::test]
async fn quits_when_the_source_ends_if_asked() {
    let (tx, rx) = tokio::sync::mpsc::channel(100);
    for e in scripted_events(20) {
        tx.send(e).await.unwrap();
    }
    drop(tx);
    let mut terminal = Terminal::new(TestBackend::new(60, 16)).unwrap();
    let mut app = App::live(LiveSource::Demo, 100);
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        run_loop(
            &mut terminal,
            &mut app,
            futures_util::stream::pending(),
            Some(rx),
            None,
            || 0.0,
            std::future::pending::<()>(),
            LoopOptions {
                quit_when_done: true,
                ..LoopOptions::default()
            },
        ),
    )
    .await
    .expect("the loop ends");
    assert!(r.is_ok());
    assert!(app.source_ended);
    assert!(app.session.requests > 0);
}

#[tokio::test]
async fn a_burst_is_drained_and_drawn_in_few_frames() {
    // Counting frames through a backend would need a wrapper; instead check that 5,000
    // queued events are all folded before the first quit key is read.
    let (tx, rx) = tokio::sync::mpsc::channel(10_000);
    let events = scripted_events(5_000);
    let n = events.len() as u64;
    for e in events {
        tx.send(e).await.unwrap();
    }
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = App::live(LiveSource::Demo, 1_000);
    let input = scripted(vec![key('q')], Duration::from_millis(100), Duration::ZERO);
    run_loop(
        &mut terminal,
        &mut app,
        input,
        Some(rx),
        None,
        || 0.0,
        std::future::pending::<()>(),
        LoopOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(app.log.total, n);
    assert_eq!(app.log.items.len(), 1_000);
}

#[tokio::test]
async fn no_color_draws_without_colours() {
    let (tx, rx) = tokio::sync::mpsc::channel(1000);
    for e in scripted_events(100) {
        tx.send(e).await.unwrap();
    }
    drop(tx);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = App::live(LiveSource::Demo, 1000);
    run_loop(
        &mut terminal,
        &mut app,
        futures_util::stream::pending(),
        Some(rx),
        None,
        || 0.0,
        std::future::pending::<()>(),
        LoopOptions {
            quit_when_done: true,
            mono: true,
            ..LoopOptions::default()
        },
    )
    .await
    .unwrap();
    let buf = terminal.backend().buffer();
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
    );
}
