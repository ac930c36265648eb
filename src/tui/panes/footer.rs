//! The last line: the keys that work now, or the filter bar while `/` is open.

use super::{bold, dim, fit};
use crate::tui::app::{App, View};
use crate::tui::input::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The `·`-separated keys that fit in `width`, whole: the first ones and `? help`.
fn whole(keys: &str, width: usize) -> String {
    let parts: Vec<&str> = keys.split(" · ").collect();
    let Some((last, rest)) = parts.split_last() else {
        return String::new();
    };
    let mut kept: Vec<&str> = Vec::new();
    let mut len = last.chars().count();
    for p in rest {
        let more = p.chars().count() + 3;
        if len + more <= width {
            kept.push(p);
            len += more;
        }
    }
    kept.push(last);
    kept.join(" · ")
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = area.width as usize;
    let line = match app.mode() {
        Mode::Filter => Line::from(vec![
            Span::styled(" filter ", bold().fg(Color::Black).bg(Color::Cyan)),
            Span::raw(fit(
                &format!(
                    " 4 429s only: {} · m model: {} · d dimension: {} · x clear · Esc done",
                    on_off(app.filter.only_429),
                    app.filter.model.as_deref().unwrap_or("all"),
                    app.filter.dimension.map_or("all", |d| d.id()),
                ),
                width.saturating_sub(8),
            )),
        ]),
        Mode::Typing if app.typing_to_child() => Line::from(vec![
            Span::styled(" input ", bold().fg(Color::Black).bg(Color::Green)),
            Span::raw(fit(
                " typing to the program · Enter send · Ctrl-D end input · Esc view keys",
                width.saturating_sub(7),
            )),
        ]),
        Mode::Typing => Line::from(vec![
            Span::styled(" paste ", bold().fg(Color::Black).bg(Color::Yellow)),
            Span::raw(fit(
                " paste or type an error · Ctrl-U clear · Esc stop typing · Ctrl-C quit",
                width.saturating_sub(7),
            )),
        ]),
        Mode::Normal => {
            let keys = match app.view {
                View::Live if app.child_input.open => {
                    "q quit · i type to program · Tab focus · ↑↓ move · Enter detail · / filter · space pause · ? help"
                }
                View::Live => {
                    "q quit · Tab focus · ↑↓ move · Enter detail · / filter · space pause · p paste · ? help"
                }
                View::Explain => {
                    "q quit · ↑↓ PgUp PgDn scroll · Tab next card · c copy snippet · p paste · ? help"
                }
                View::Home => "q quit · p type/paste · ↑↓ scroll · c copy snippet · ? help",
            };
            // Room for the PAUSED badge, so neither is cut.
            let badge = if app.paused {
                format!(" PAUSED ({} held) ", app.held.len())
                    .chars()
                    .count()
            } else {
                0
            };
            let room = width.saturating_sub(badge);
            match &app.status {
                Some(status) => Line::from(Span::styled(
                    fit(&format!(" {status}"), room),
                    bold().fg(Color::Green),
                )),
                None => Line::from(Span::styled(whole(keys, room), dim())),
            }
        }
    };
    let line = if app.quit_armed {
        Line::from(Span::styled(
            fit(" program still running: press q again to stop it", width),
            bold().fg(Color::Yellow),
        ))
    } else {
        line
    };
    let line = if app.paused && app.mode() == Mode::Normal {
        let mut spans = vec![Span::styled(
            format!(" PAUSED ({} held) ", app.held.len()),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        )];
        spans.extend(line.spans);
        Line::from(spans)
    } else {
        line
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::live_app;
    use crate::tui::input::Action;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 1, &live_app(20, 100), render));
    }

    #[test]
    fn empty_home() {
        insta::assert_snapshot!(pane(80, 1, &App::home(), render));
    }

    #[test]
    fn filter_bar_and_pause() {
        let mut app = live_app(160, 10_000);
        for a in [Action::Filter, Action::Only429, Action::CycleModel] {
            app.update(Msg::Key(a));
        }
        insta::assert_snapshot!("filter_bar", pane(100, 1, &app, render));
        app.update(Msg::Key(Action::Back));
        app.update(Msg::Key(Action::Pause));
        app.update(Msg::Event(
            crate::tui::fixtures::scripted_events(2)[0].clone(),
        ));
        insta::assert_snapshot!("paused", pane(100, 1, &app, render));
    }

    #[test]
    fn error_state_keeps_keys() {
        let mut app = App::live(LiveSource::Demo, 10);
        app.update(Msg::Error("boom".into()));
        insta::assert_snapshot!(pane(60, 1, &app, render));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 1, &live_app(20, 100), render));
    }
}
