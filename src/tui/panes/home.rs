//! Home (`ratedoctor` with no arguments on a terminal): the paste area, diagnosed as text
//! lands, and the ways into the rest of the product.

use super::{bold, dim, footer, paste};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

const WAYS: &[(&str, &str)] = &[
    (
        "ratedoctor demo  (press d)",
        "everything at work against the built-in emulator: no key, no network",
    ),
    (
        "ratedoctor probe",
        "your key's live budgets for the price of one token",
    ),
    (
        "ratedoctor watch",
        "a proxy between your program and the API: budgets and 429s live",
    ),
    ("ratedoctor run -- CMD", "the same, for one command"),
    (
        "ratedoctor explain FILE",
        "diagnose every API error in a log",
    ),
];

fn ways(width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (cmd, what) in WAYS {
        out.push(Line::from(Span::styled(*cmd, bold().fg(Color::Cyan))));
        if width > 0 {
            out.push(Line::styled(format!("  {what}"), dim()));
        }
    }
    out
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("ratedoctor ", bold().fg(Color::Cyan)),
            Span::raw("— which limit did I hit, and what do I do about it?"),
        ])),
        head,
    );
    footer::render(frame, foot, app);
    if body.width >= 90 {
        let [left, right] =
            Layout::horizontal([Constraint::Min(50), Constraint::Length(38)]).areas(body);
        paste::body(frame, left, app);
        let block = Block::bordered().title(" ways in ").border_style(dim());
        frame.render_widget(
            Paragraph::new(ways(36))
                .block(block)
                .wrap(Wrap { trim: false }),
            right,
        );
    } else if app.paste.text.is_empty() && body.height >= 14 {
        let [top, bottom] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(8)]).areas(body);
        paste::body(frame, top, app);
        let block = Block::bordered().title(" ways in ").border_style(dim());
        let lines: Vec<Line> = WAYS
            .iter()
            .map(|(c, _)| Line::from(Span::styled(*c, bold().fg(Color::Cyan))))
            .collect();
        frame.render_widget(Paragraph::new(lines).block(block), bottom);
    } else {
        paste::body(frame, body, app);
    }
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, Msg};
    use crate::tui::fixtures::{SAMPLE_QUOTA, SAMPLE_RPM};
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        let mut app = App::home();
        app.update(Msg::Paste(SAMPLE_RPM.to_string()));
        insta::assert_snapshot!(pane(120, 30, &app, render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 24, &App::home(), render));
    }

    #[test]
    fn error_quota() {
        let mut app = App::home();
        app.update(Msg::Paste(SAMPLE_QUOTA.to_string()));
        insta::assert_snapshot!(pane(80, 24, &app, render));
    }

    #[test]
    fn narrow() {
        let mut app = App::home();
        app.update(Msg::Paste(SAMPLE_RPM.to_string()));
        insta::assert_snapshot!(pane(40, 12, &app, render));
    }
}
