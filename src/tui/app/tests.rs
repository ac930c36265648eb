use super::*;
use crate::tui::fixtures::{SAMPLE_RPM, live_app, scripted_events};
use crate::tui::input::{Mode, Screen};

#[test]
fn events_fold_into_the_session_and_the_ring() {
    let app = live_app(200, 10_000);
    assert!(app.session.requests > 50);
    assert!(app.session.rate_limited > 5);
    assert_eq!(app.log.total as usize, app.log.items.len());
    assert!(app.session.audit().too_early > 0);
    assert!(app.session.audit().non_retryable_retried > 0);
}

#[test]
fn the_ring_is_bounded_and_counts_keep_counting() {
    let small = live_app(2_000, 100);
    let big = live_app(2_000, 100_000);
    assert_eq!(small.log.items.len(), 100);
    assert_eq!(small.log.total, big.log.total);
    assert_eq!(small.session.requests, big.session.requests);
    assert_eq!(small.session.rate_limited, big.session.rate_limited);
}

#[test]
fn pause_holds_events_and_resume_applies_them() {
    let mut app = App::live(LiveSource::Demo, 100);
    app.update(Msg::Key(Action::Pause));
    for e in scripted_events(10) {
        app.update(Msg::Event(e));
    }
    assert_eq!(app.session.requests, 0);
    assert!(!app.held.is_empty());
    app.update(Msg::Tick(99_999.0));
    assert_eq!(app.now_ms, 0.0, "the clock stands still while paused");
    app.update(Msg::Key(Action::Pause));
    assert!(app.held.is_empty());
    assert!(app.session.requests > 0);
}

/// A live app in each mode: normal, filter bar, help, paste area (typing).
fn in_every_mode() -> Vec<App> {
    [
        vec![],
        vec![Action::Filter],
        vec![Action::Help],
        vec![Action::Paste],
    ]
    .into_iter()
    .map(|setup| {
        let mut app = live_app(20, 100);
        for a in setup {
            app.update(Msg::Key(a));
        }
        app
    })
    .collect()
}

#[test]
fn quit_from_every_mode() {
    for mut app in in_every_mode() {
        app.update(Msg::Key(Action::Quit));
        assert!(app.quit);
        assert_eq!(app.exit_code(ExitCode::Ok), ExitCode::Ok, "q exits 0");
    }
}

#[test]
fn ctrl_c_quits_at_once_from_every_mode_with_130_and_ctrl_z_asks_to_suspend() {
    for mut app in in_every_mode() {
        let mode = app.mode();
        app.update(Msg::Key(Action::Suspend));
        assert!(app.suspend, "{mode:?}");
        assert!(!app.quit, "{mode:?}");
        assert!(app.paste.text.is_empty(), "Ctrl-Z is not text: {mode:?}");
        app.update(Msg::Key(Action::Interrupt));
        assert!(app.quit, "{mode:?}");
        assert_eq!(app.exit_code(ExitCode::Ok), ExitCode::Interrupted);
        assert_eq!(ExitCode::Interrupted.code(), 130);
    }
}

#[test]
fn a_signal_ends_the_view_and_the_first_one_is_reported() {
    let mut app = live_app(20, 100);
    app.update(Msg::Signal(15));
    app.update(Msg::Signal(1));
    assert!(app.quit);
    assert_eq!(app.signal, Some(15));
}

#[test]
fn typing_q_in_the_paste_area_is_text_not_quit() {
    let mut app = App::home();
    app.update(Msg::Key(Action::Paste));
    assert_eq!(app.mode(), Mode::Typing);
    app.update(Msg::Key(Action::Char('q')));
    assert!(!app.quit);
    assert_eq!(app.paste.text, "q");
    app.update(Msg::Key(Action::Back));
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn a_bracketed_paste_is_diagnosed_at_once_and_opens_the_overlay() {
    let mut app = live_app(20, 100);
    app.update(Msg::Paste(SAMPLE_RPM.to_string()));
    assert_eq!(app.overlay, Overlay::Paste);
    assert_eq!(app.paste.diagnoses.len(), 1);
    assert_eq!(app.paste.diagnoses[0].kind, Kind::Rpm);
    assert_eq!(app.mode(), Mode::Normal, "after a paste, q quits again");
    app.update(Msg::Key(Action::Back));
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn filter_cycles_and_clears() {
    let mut app = live_app(200, 10_000);
    let all = app.visible_seqs().len();
    app.update(Msg::Key(Action::Filter));
    assert_eq!(app.mode(), Mode::Filter);
    app.update(Msg::Key(Action::Only429));
    let only = app.visible_seqs().len();
    assert!(only > 0 && only < all);
    app.update(Msg::Key(Action::CycleModel));
    assert!(app.filter.model.is_some());
    app.update(Msg::Key(Action::CycleDimension));
    assert!(app.filter.dimension.is_some());
    app.update(Msg::Key(Action::ClearFilter));
    assert!(!app.filter.is_active());
    app.update(Msg::Key(Action::Back));
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn selection_moves_within_the_filtered_log_and_enter_opens_detail() {
    let mut app = live_app(50, 10_000);
    app.focus = Focus::Log;
    app.update(Msg::Key(Action::Up));
    let newest = app.selected.unwrap();
    app.update(Msg::Key(Action::Up));
    assert!(app.selected.unwrap() < newest);
    app.update(Msg::Key(Action::Bottom));
    assert_eq!(app.selected, Some(newest));
    app.update(Msg::Key(Action::Enter));
    assert_eq!(app.overlay, Overlay::Detail(newest));
    app.update(Msg::Key(Action::Back));
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn tab_cycles_focus_including_the_child_pane_for_run() {
    let mut app = App::live(
        LiveSource::Run {
            command: "x".into(),
            proxy: "http://127.0.0.1:5".into(),
        },
        10,
    );
    let mut seen = vec![app.focus];
    for _ in 0..4 {
        app.update(Msg::Key(Action::FocusNext));
        seen.push(app.focus);
    }
    assert_eq!(
        seen,
        vec![
            Focus::Budgets,
            Focus::Timeline,
            Focus::Log,
            Focus::Child,
            Focus::Budgets
        ]
    );
    app.update(Msg::Key(Action::FocusPrev));
    assert_eq!(app.focus, Focus::Child);
}

#[test]
fn child_lines_are_bounded() {
    let mut app = App::live(
        LiveSource::Run {
            command: "x".into(),
            proxy: "http://127.0.0.1:5".into(),
        },
        10,
    );
    for i in 0..(CHILD_LINES + 10) {
        app.update(Msg::ChildLine(format!("line {i}")));
    }
    assert_eq!(app.child.len(), CHILD_LINES);
    assert_eq!(app.child.front().map(String::as_str), Some("line 10"));
}

#[test]
fn explain_view_scrolls_by_line_and_page_within_what_was_laid_out_and_tab_moves_cards() {
    let mut d = crate::diagnose::diagnose(SAMPLE_RPM);
    d.extend(crate::diagnose::diagnose(crate::tui::fixtures::SAMPLE_OTPM));
    let mut app = App::explain(d);
    let _ = crate::tui::panes::testing::screen(80, 24, &app);
    let laid = app.explain_laid.borrow().clone();
    assert_eq!(laid.rows, 20);
    assert!(laid.lines > laid.rows, "{laid:?}");
    assert_eq!(laid.starts.len(), 2);
    app.update(Msg::Key(Action::Down));
    app.update(Msg::Key(Action::Down));
    assert_eq!(app.scroll_explain, 2);
    assert_eq!(app.explain_sel, 0, "scrolling does not change the card");
    app.update(Msg::Key(Action::PageDown));
    assert_eq!(app.scroll_explain, 2 + 19, "a page keeps one line in view");
    app.update(Msg::Key(Action::Bottom));
    assert_eq!(app.scroll_explain, laid.max_scroll());
    app.update(Msg::Key(Action::Down));
    assert_eq!(
        app.scroll_explain,
        laid.max_scroll(),
        "no scrolling past the end"
    );
    app.update(Msg::Key(Action::Top));
    assert_eq!(app.scroll_explain, 0);
    app.update(Msg::Key(Action::FocusNext));
    assert_eq!(app.explain_sel, 1);
    assert_eq!(app.scroll_explain, laid.starts[1].min(laid.max_scroll()));
    app.update(Msg::Key(Action::FocusNext));
    assert_eq!(app.explain_sel, 0, "Tab wraps around");
    app.update(Msg::Key(Action::FocusPrev));
    assert_eq!(app.explain_sel, 1);
}

#[test]
fn c_copies_the_snippet_of_the_card_in_hand_and_says_so() {
    let mut d = crate::diagnose::diagnose(SAMPLE_RPM);
    d.extend(crate::diagnose::diagnose(crate::tui::fixtures::SAMPLE_OTPM));
    let mut app = App::explain(d.clone());
    app.update(Msg::Key(Action::FocusNext));
    app.update(Msg::Key(Action::Copy));
    let want = crate::snippet::of(&d[1]).unwrap();
    assert_eq!(app.clipboard, vec![want.code.clone()]);
    assert_eq!(app.copied.as_ref(), Some(&want));
    assert!(app.status.as_deref().unwrap().contains("card 2 (OSC 52)"));
    app.update(Msg::Key(Action::Down));
    assert_eq!(app.status, None, "the answer goes with the next key");

    // Home: the pasted error's; the live view: nothing to copy.
    let mut home = App::home();
    home.update(Msg::Key(Action::Copy));
    assert!(home.clipboard.is_empty());
    assert_eq!(home.status.as_deref(), Some("no snippet here to copy"));
    home.update(Msg::Paste(SAMPLE_RPM.to_string()));
    home.update(Msg::Key(Action::Copy));
    assert_eq!(home.clipboard.len(), 1);
    let mut live = live_app(5, 100);
    live.update(Msg::Key(Action::Copy));
    assert!(live.clipboard.is_empty());
}

#[test]
fn help_remembers_the_screen_it_was_opened_on() {
    let mut live = live_app(5, 100);
    live.update(Msg::Key(Action::Paste));
    live.update(Msg::Key(Action::Back));
    live.update(Msg::Key(Action::Help));
    assert_eq!(live.overlay, Overlay::Help);
    assert_eq!(live.screen(), crate::tui::input::Screen::Paste);
    live.update(Msg::Key(Action::Help));
    assert_eq!(live.screen(), crate::tui::input::Screen::Live);
}

#[test]
fn pasted_carriage_returns_become_lines() {
    let mut app = App::home();
    app.update(Msg::Paste(SAMPLE_RPM.replace('\n', "\r")));
    app.update(Msg::Paste("a\r\nb\rc".to_string()));
    assert_eq!(app.paste.text, "a\nb\nc");
}

#[test]
fn d_on_home_starts_the_demo_and_nowhere_else() {
    let mut home = App::home();
    home.update(Msg::Key(Action::StartDemo));
    assert!(home.start_demo && home.quit);
    let mut live = live_app(5, 100);
    live.update(Msg::Key(Action::StartDemo));
    assert!(!live.start_demo && !live.quit);
}

#[test]
fn quitting_while_the_program_runs_asks_first_and_its_end_stops_the_clock() {
    let mut app = App::live(
        LiveSource::Run {
            command: "python job.py".into(),
            proxy: "http://127.0.0.1:5".into(),
        },
        100,
    );
    app.update(Msg::Tick(2_000.0));
    app.update(Msg::Key(Action::Quit));
    assert!(!app.quit, "the first q only warns while the program runs");
    assert!(app.quit_armed);
    // Another key disarms; q then warns again.
    app.update(Msg::Key(Action::Down));
    assert!(!app.quit_armed);
    app.update(Msg::Key(Action::Quit));
    app.update(Msg::Key(Action::Quit));
    assert!(app.quit, "the second q stops it");

    let mut app = App::live(
        LiveSource::Run {
            command: "python job.py".into(),
            proxy: "http://127.0.0.1:5".into(),
        },
        100,
    );
    for i in 0..1500 {
        app.update(Msg::ChildLine(format!("line {i}")));
    }
    assert_eq!(app.child.len(), CHILD_LINES);
    assert_eq!(app.child_total, 1500);
    app.update(Msg::Tick(3_000.0));
    app.update(Msg::ChildExited(3));
    app.update(Msg::Tick(9_000.0));
    assert_eq!(app.child_exit, Some(3));
    assert_eq!(
        app.elapsed_s(),
        3.0,
        "the clock stops when the program ends"
    );
    app.update(Msg::Key(Action::Quit));
    assert!(app.quit, "an ended program: q quits at once");
}

fn run_app() -> App {
    App::live(
        LiveSource::Run {
            command: "python3 ask.py".into(),
            proxy: "http://127.0.0.1:5".into(),
        },
        100,
    )
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Msg::Key(Action::Char(c)));
    }
}

#[test]
fn a_program_waiting_for_input_gets_the_keys_and_the_lines_typed() {
    let mut app = run_app();
    assert!(app.child_input.open);
    assert_eq!(app.screen(), Screen::Run);
    app.update(Msg::ChildPartial("Your name: ".into()));
    app.update(Msg::ChildWaiting(true));
    assert!(app.typing_to_child(), "the wait hands the keys over");
    assert_eq!(app.mode(), Mode::Typing);
    // `q` is a letter of the answer, not a quit.
    typed(&mut app, "qBob");
    app.update(Msg::Key(Action::Backspace));
    assert!(!app.quit && !app.quit_armed);
    app.update(Msg::Key(Action::Newline));
    assert_eq!(app.to_child, vec![ToChild::Line("qBo".into())]);
    assert!(app.child_input.line.is_empty());
    // It stops waiting: the keys come back to the view.
    app.update(Msg::ChildWaiting(false));
    assert!(!app.typing_to_child());
    app.update(Msg::Key(Action::Quit));
    assert!(app.quit_armed && !app.quit, "q asks first while it runs");
}

#[test]
fn esc_gives_the_keys_back_until_the_next_wait_and_i_hands_them_over() {
    let mut app = run_app();
    app.update(Msg::ChildWaiting(true));
    app.update(Msg::Key(Action::Back));
    assert!(!app.typing_to_child());
    app.update(Msg::ChildWaiting(true));
    assert!(
        !app.typing_to_child(),
        "the same wait does not take the keys again"
    );
    app.update(Msg::Key(Action::Input));
    assert!(app.typing_to_child());
    app.update(Msg::Key(Action::Back));
    app.update(Msg::ChildWaiting(false));
    app.update(Msg::ChildWaiting(true));
    assert!(app.typing_to_child(), "a new wait does");
}

#[test]
fn ctrl_d_ends_the_input_and_a_paste_sends_its_lines() {
    let mut app = run_app();
    app.update(Msg::Key(Action::Input));
    app.update(Msg::Paste("one\r\ntwo\nthr".into()));
    assert_eq!(
        app.to_child,
        vec![ToChild::Line("one".into()), ToChild::Line("two".into())]
    );
    assert_eq!(app.child_input.line, "thr");
    assert!(app.paste.text.is_empty(), "not diagnosed as a pasted error");
    app.to_child.clear();
    app.update(Msg::Key(Action::EndInput));
    assert_eq!(
        app.to_child,
        vec![ToChild::Line("thr".into()), ToChild::End]
    );
    assert!(!app.child_input.open && !app.typing_to_child());
    app.update(Msg::Key(Action::Input));
    assert!(!app.typing_to_child());
    assert_eq!(app.status.as_deref(), Some("the program's input is closed"));
}

#[test]
fn the_end_of_the_program_closes_its_input_and_other_views_have_none() {
    let mut app = run_app();
    app.update(Msg::ChildWaiting(true));
    app.update(Msg::ChildExited(0));
    assert!(!app.typing_to_child() && !app.child_input.open);
    app.update(Msg::Key(Action::Input));
    assert_eq!(app.status.as_deref(), Some("the program has ended"));
    let mut demo = App::live(LiveSource::Demo, 10);
    demo.update(Msg::ChildWaiting(true));
    demo.update(Msg::Key(Action::Input));
    assert!(!demo.typing_to_child());
    assert_eq!(demo.screen(), Screen::Live);
}
