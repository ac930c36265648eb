//! The help overlay: every key binding, from the same table the keys are read with.

use super::{bold, dim, overlay_block};
use crate::tui::app::App;
use crate::tui::input::{Screen, bindings};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let screen = app.help_for;
    let title = format!("{} keys · Esc closes", name(screen));
    let block = overlay_block(frame, area, &title);
    let mut lines: Vec<Line> = bindings(screen)
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), bold().fg(Color::Cyan)),
                Span::raw(what),
            ])
        })
        .collect();
    if matches!(screen, Screen::Live | Screen::Run) {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            " Marks on the timeline: • ok  ✖ 429  ! not retryable  ▲ 5xx/overloaded  · pending;",
            dim(),
        ));
        lines.push(Line::styled(
            " ─ the wait the client took (red: sooner than advised), ┄┤ the wait the server advised.",
            dim(),
        ));
    }
    let y = app.scroll_overlay.min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((y, 0)),
        area,
    );
}

fn name(screen: Screen) -> &'static str {
    match screen {
        Screen::Home => "home screen",
        Screen::Explain => "explain view",
        Screen::Live => "live view",
        Screen::Run => "live view of the program",
        Screen::Paste => "paste area",
        Screen::Detail => "event detail",
    }
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 24, &live_app(20, 100), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 24, &App::home(), render));
    }

    #[test]
    fn error() {
        let mut app = App::live(LiveSource::Demo, 10);
        app.update(Msg::Error("boom".into()));
        insta::assert_snapshot!(pane(80, 24, &app, render));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &App::home(), render));
    }
}
