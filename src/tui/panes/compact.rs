//! The live view on a small terminal (< 60 columns or < 16 rows, down to 40 × 12): one
//! header line, the tightest budget, the last 429, the newest events, the keys.

use super::{bold, budgets, card, clock, dim, events, fit, footer, gauge, headroom_color, secs};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.session;
    let width = area.width as usize;
    let [head, tight, last, log, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);

    let head_line = if let Some(e) = &app.error {
        Line::styled(
            fit(&format!("error: {e}"), width),
            bold().fg(Color::White).bg(Color::Red),
        )
    } else {
        Line::from(vec![
            Span::styled(clock(app.elapsed_s()), bold()),
            Span::raw(format!(" {} ", super::header::seen(app, true))),
            Span::styled(
                format!("429s {}", s.rate_limited),
                if s.rate_limited > 0 {
                    bold().fg(Color::Red)
                } else {
                    Style::new()
                },
            ),
            Span::styled(
                if app.paused { " PAUSED" } else { "" },
                bold().fg(Color::Yellow),
            ),
        ])
    };
    frame.render_widget(Paragraph::new(head_line), head);

    let now = app.now_ms.max(s.last_ms);
    let tight_lines = match s.tightest_at(now) {
        Some(b) => {
            let color = if b.is_stale(now) {
                Color::DarkGray
            } else {
                headroom_color(b.headroom())
            };
            let first = format!(
                "▼ {} {} {}",
                budgets::label(b),
                budgets::numbers(b, now),
                budgets::tail(b, now)
            );
            vec![
                Line::styled(fit(first.trim_end(), width), Style::new().fg(color)),
                Line::from(vec![
                    Span::styled(
                        gauge(
                            b.remaining_at(now).unwrap_or(0.0),
                            b.latest.limit.unwrap_or(0.0),
                            10,
                        ),
                        Style::new().fg(color),
                    ),
                    Span::raw(" "),
                    Span::styled(
                        fit(&budgets::forecast(b, now), width.saturating_sub(13)),
                        Style::new().fg(Color::Yellow),
                    ),
                ]),
            ]
        }
        None => vec![Line::styled("no budgets yet", dim())],
    };
    frame.render_widget(Paragraph::new(tight_lines), tight);

    let last_lines = match &s.last_429 {
        Some((t, d)) => vec![
            Line::from(vec![
                Span::styled("last 429 ", bold().fg(Color::Red)),
                Span::raw(fit(
                    &format!(
                        "{} ago: {} {}",
                        secs((app.now_ms - t).max(0.0) / 1000.0),
                        d.kind.id(),
                        d.provider.id()
                    ),
                    width.saturating_sub(9),
                )),
            ]),
            Line::styled(
                fit(&format!("retry? {}", card::verdict(d)), width),
                Style::new().fg(if d.retryable {
                    Color::Green
                } else {
                    Color::Red
                }),
            ),
            Line::raw(fit(&format!("fix: {}", d.fix), width)),
        ],
        None => vec![Line::styled("no 429 yet", dim())],
    };
    frame.render_widget(Paragraph::new(last_lines), last);

    let rows = log.height as usize;
    let lines: Vec<Line> = app
        .log
        .items
        .iter()
        .rev()
        .filter(|l| app.matches(l))
        .take(rows)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|l| events::line(l, width, app.selected == Some(l.seq)))
        .collect();
    frame.render_widget(Paragraph::new(lines), log);
    footer::render(frame, foot, app);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(50, 14, &live_app(160, 10_000), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(40, 12, &App::live(LiveSource::Demo, 100), render));
    }

    #[test]
    fn error() {
        let mut app = live_app(160, 10_000);
        app.update(Msg::Error("the proxy stopped".into()));
        insta::assert_snapshot!(pane(40, 12, &app, render));
    }

    /// A followed log tells of errors, not requests: no `req 0` on a small terminal.
    #[test]
    fn a_followed_log_counts_errors_not_requests() {
        let app = crate::tui::fixtures::followed_app(
            100,
            1000.0,
            &[crate::tui::fixtures::SAMPLE_TPM_LINE; 3],
        );
        let s = pane(40, 12, &app, render);
        assert!(s.contains("errors 3 429s 3"), "{s}");
        assert!(!s.contains("req "), "{s}");
    }

    #[test]
    fn narrow_40x12_shows_tightest_and_last_429() {
        let s = pane(40, 12, &live_app(160, 10_000), render);
        assert!(s.contains("▼"), "{s}");
        assert!(s.contains("last 429"), "{s}");
        insta::assert_snapshot!(s);
    }
}
