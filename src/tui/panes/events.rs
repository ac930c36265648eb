//! The event log: newest at the bottom, scrollable, filterable (429s only, one model, one
//! dimension); the selected line opens the detail pane with Enter.

use super::{dim, fit, fit_words, pane_block};
use crate::duration;
use crate::event::EventKind;
use crate::proxy;
use crate::tui::app::{App, Focus, LiveSource, Logged};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The colour of a status code.
pub(crate) fn status_style(status: u16) -> Style {
    match status {
        200..=299 => Style::new().fg(Color::Green),
        429 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        500..=599 => Style::new().fg(Color::Yellow),
        _ => Style::new().fg(Color::Magenta),
    }
}

/// One event as a log line (without the time prefix): the words of every text log
/// (`views::event_line`), coloured by what happened.
pub(crate) fn describe(l: &Logged) -> (String, Style) {
    let style = match &l.event.kind {
        EventKind::RequestSent { .. } | EventKind::StreamFinished { .. } => dim(),
        EventKind::ResponseReceived { status, .. } => status_style(*status),
        EventKind::RetryScheduled {
            wait_s, advised_s, ..
        } => {
            if advised_s.is_some_and(|a| wait_s + crate::session::EARLY_TOLERANCE_S < a) {
                Style::new().fg(Color::Red)
            } else {
                Style::new().fg(Color::Cyan)
            }
        }
        EventKind::Failed { .. } => Style::new().fg(Color::Red),
        EventKind::Ledger { joined: true, .. } | EventKind::Fleet(_) => dim(),
        EventKind::Ledger { joined: false, .. } => Style::new().fg(Color::Yellow),
    };
    (crate::views::event_line::text(&l.event), style)
}

/// The text in `rest` columns: cut at a word, unless that loses most of the room (a long
/// path or model name on a narrow screen), then cut where it must.
fn short(text: &str, rest: usize) -> String {
    let words = fit_words(text, rest);
    if words.chars().count() * 3 >= rest * 2 {
        words
    } else {
        fit(text, rest)
    }
}

/// One log line with its time and exchange id.
pub(crate) fn line(l: &Logged, width: usize, selected: bool) -> Line<'static> {
    let (text, style) = describe(l);
    let prefix = format!("{:>7.1}s #{:<4} ", l.event.t_ms / 1000.0, l.event.id);
    let rest = width.saturating_sub(prefix.chars().count());
    let mut spans = vec![
        Span::styled(prefix, dim()),
        Span::styled(short(&text, rest), style),
    ];
    if selected {
        spans = spans
            .into_iter()
            .map(|s| {
                let st = s.style.add_modifier(Modifier::REVERSED);
                s.style(st)
            })
            .collect();
    }
    Line::from(spans)
}

/// Before the first event: how to get requests through the proxy (`watch`), or that the
/// program has sent none yet and which variables it should read (`run`).
fn waiting_lines(app: &App) -> Vec<Line<'static>> {
    let bold = super::bold();
    match &app.source {
        Some(LiveSource::Watch { listen }) => {
            let mut v = vec![Line::styled(
                "no request has reached the proxy yet. Point your program at it:",
                bold,
            )];
            for (k, val) in proxy::connect_vars(listen) {
                v.push(Line::raw(format!("  export {k}={val}")));
            }
            v.push(Line::styled(
                "then start the program from that shell, or let ratedoctor start it: ratedoctor run -- CMD",
                dim(),
            ));
            v
        }
        Some(LiveSource::Run { proxy, .. }) => {
            if app.child_exit.is_some() {
                return vec![Line::styled(
                    app.session.recommendation(),
                    Style::new().fg(Color::Yellow),
                )];
            }
            let vars: Vec<String> = proxy::connect_vars(proxy)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            vec![
                Line::styled("no request has reached the proxy yet.", bold),
                Line::raw(format!(
                    "The program was started with {}: does it read them? A client built with its own base_url ignores them.",
                    vars.join(", ")
                )),
            ]
        }
        Some(LiveSource::Follow { path }) => vec![
            Line::styled(format!("no API error in {path} yet"), bold),
            Line::styled(
                "each error the log tells of, and the program's retries where it says so, show here",
                dim(),
            ),
        ],
        _ => vec![Line::styled("no events yet", dim())],
    }
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let rows = area.height.saturating_sub(2) as usize;
    let matching: Vec<usize> = app
        .log
        .items
        .iter()
        .enumerate()
        .filter(|(_, l)| app.matches(l))
        .map(|(i, _)| i)
        .collect();
    let mut title = format!(
        "events {} of {} kept",
        duration::count(matching.len() as f64),
        duration::count(app.log.items.len() as f64)
    );
    if app.log.total > app.log.items.len() as u64 {
        title.push_str(&format!(
            " ({} in all)",
            duration::count(app.log.total as f64)
        ));
    }
    if app.filter.is_active() {
        title.push_str(&format!(" · filter: {}", app.filter.describe()));
    }
    let block = pane_block(title, app, Focus::Log);
    let width = block.inner(area).width as usize;
    if app.log.items.is_empty() {
        frame.render_widget(
            Paragraph::new(waiting_lines(app))
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    if matching.is_empty() {
        lines.push(Line::styled(
            "no event matches the filter (/ then x clears it)",
            dim(),
        ));
    } else {
        let sel_pos = app
            .selected
            .and_then(|s| matching.iter().position(|i| app.log.items[*i].seq >= s));
        let end = match sel_pos {
            Some(p) => (p + 1).max(rows.min(matching.len())).min(matching.len()),
            None => matching.len(),
        };
        let start = end.saturating_sub(rows);
        for (pos, i) in matching.iter().enumerate().take(end).skip(start) {
            let l = &app.log.items[*i];
            lines.push(line(l, width, Some(pos) == sel_pos));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
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
        insta::assert_snapshot!(pane(100, 14, &live_app(160, 10_000), render));
    }

    #[test]
    fn filtered_to_429s_with_a_selection() {
        let mut app = live_app(160, 10_000);
        for a in [
            Action::Filter,
            Action::Only429,
            Action::Back,
            Action::Up,
            Action::Up,
        ] {
            app.update(Msg::Key(a));
        }
        insta::assert_snapshot!(pane(100, 10, &app, render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 5, &App::live(LiveSource::Demo, 100), render));
    }

    #[test]
    fn error() {
        let mut app = live_app(30, 10_000);
        app.update(Msg::Event(crate::event::Event {
            t_ms: 99_000.0,
            id: 999,
            kind: crate::event::EventKind::Failed {
                error: "cannot connect to 127.0.0.1:9: connection refused".into(),
            },
        }));
        insta::assert_snapshot!(pane(80, 8, &app, render));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &live_app(160, 10_000), render));
    }

    #[test]
    fn ring_keeps_the_newest_and_counts_all() {
        let app = live_app(400, 50);
        assert_eq!(app.log.items.len(), 50);
        assert!(app.log.total >= 400);
        assert!(app.session.requests > 100);
        insta::assert_snapshot!(pane(80, 6, &app, render));
    }
}
