//! Budget gauges, one per dimension: remaining / limit coloured by headroom, the reset
//! countdown, a sparkline of remaining over time and the forecast.

use super::{dim, fit, gauge, headroom_color, pane_block, secs, spark};
use crate::duration;
use crate::session::BudgetTrack;
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// `openai requests/min`.
pub(crate) fn label(b: &BudgetTrack) -> String {
    let w = match b.window {
        Some(w) => match w.id() {
            "second" => "/s",
            "minute" => "/min",
            "hour" => "/h",
            "day" => "/day",
            _ => "/month",
        },
        None => "",
    };
    format!("{} {}{w}", b.provider.id(), b.dimension.id())
}

/// "at this rate, empty in 40 s" / "steady" / "empty".
pub(crate) fn forecast(b: &BudgetTrack) -> String {
    match (b.latest.remaining, b.forecast_empty_s()) {
        (Some(r), _) if r <= 0.0 => "empty".to_string(),
        (_, Some(s)) => format!("at this rate, empty in {}", secs(s)),
        _ => "steady".to_string(),
    }
}

/// The gauge line of one budget, `width` columns wide.
pub(crate) fn gauge_line(b: &BudgetTrack, now_ms: f64, width: usize) -> Line<'static> {
    let color = headroom_color(b.headroom());
    let label_w = if width >= 90 {
        30
    } else if width >= 70 {
        26
    } else {
        18
    };
    let cells = if width >= 70 { 12 } else { 8 };
    let numbers = match (b.latest.remaining, b.latest.limit) {
        (Some(r), Some(l)) => format!("{}/{}", duration::count(r), duration::count(l)),
        (Some(r), None) => format!("{} left", duration::count(r)),
        (None, Some(l)) => format!("?/{}", duration::count(l)),
        (None, None) => "?".to_string(),
    };
    let mut spans = vec![
        Span::raw(format!("{:<label_w$}", fit(&label(b), label_w - 1))),
        Span::styled(
            gauge(
                b.latest.remaining.unwrap_or(0.0),
                b.latest.limit.unwrap_or(0.0),
                cells,
            ),
            Style::new().fg(color),
        ),
        Span::styled(format!(" {numbers:<14}"), Style::new().fg(color)),
    ];
    if let Some(r) = b.reset_in_s(now_ms) {
        spans.push(Span::styled(format!(" reset {}", secs(r)), dim()));
    }
    Line::from(spans)
}

/// The sparkline + forecast line of one budget.
pub(crate) fn trend_line(b: &BudgetTrack, width: usize) -> Line<'static> {
    let cells = width.saturating_sub(40).clamp(8, 48);
    let max = b
        .latest
        .limit
        .unwrap_or_else(|| b.history.iter().map(|(_, r)| *r).fold(0.0, f64::max));
    let f = forecast(b);
    let f_style = if f.starts_with("at this rate") || f == "empty" {
        Style::new().fg(Color::Yellow)
    } else {
        dim()
    };
    Line::from(vec![
        Span::raw("  "),
        Span::styled(
            spark(b.history.iter().map(|(_, r)| *r), max, cells),
            Style::new().fg(headroom_color(b.headroom())),
        ),
        Span::raw("  "),
        Span::styled(f, f_style),
    ])
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.session;
    let block = pane_block(
        format!("budgets ({})", s.budgets.len()),
        app,
        Focus::Budgets,
    );
    let inner = block.inner(area);
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    if s.budgets.is_empty() {
        lines.push(Line::styled(
            if s.responses == 0 {
                "waiting for the first response…"
            } else {
                "no rate-limit headers in the responses so far"
            },
            dim(),
        ));
    }
    // Tightest first, so the number that matters is always on screen.
    let mut order: Vec<&BudgetTrack> = s.budgets.iter().collect();
    order.sort_by(|a, b| {
        a.headroom()
            .unwrap_or(2.0)
            .total_cmp(&b.headroom().unwrap_or(2.0))
            .then(label(a).cmp(&label(b)))
    });
    // Every gauge gets a line; the tightest ones also get their trend while room lasts.
    let mut spare = (inner.height as usize).saturating_sub(order.len());
    for b in order {
        lines.push(gauge_line(b, app.now_ms, width));
        if spare > 0 {
            lines.push(trend_line(b, width));
            spare -= 1;
        }
    }
    let max_scroll = lines.len().saturating_sub(inner.height as usize);
    let y = app.scroll_budgets.min(max_scroll) as u16;
    frame.render_widget(Paragraph::new(lines).block(block).scroll((y, 0)), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(90, 12, &live_app(160, 10_000), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 6, &App::live(LiveSource::Demo, 100), render));
    }

    #[test]
    fn error() {
        let mut app = live_app(160, 10_000);
        app.update(Msg::Error("upstream refused the connection".into()));
        insta::assert_snapshot!(pane(80, 8, &app, render));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &live_app(160, 10_000), render));
    }
}

#[cfg(test)]
mod colour_tests {
    use super::render;
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::headroom_color;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    #[test]
    fn headroom_colours() {
        assert_eq!(headroom_color(Some(0.0)), Color::Red);
        assert_eq!(headroom_color(Some(0.2)), Color::Red);
        assert_eq!(headroom_color(Some(0.3)), Color::Yellow);
        assert_eq!(headroom_color(Some(0.9)), Color::Green);
        assert_eq!(headroom_color(None), Color::Gray);
    }

    /// Each gauge is drawn in its budget's headroom colour (the text snapshot drops colour).
    #[test]
    fn gauges_are_coloured_by_headroom() {
        for n in [60, 160, 230] {
            let app = live_app(n, 10_000);
            let mut t = Terminal::new(TestBackend::new(90, 16)).unwrap();
            t.draw(|f| render(f, f.area(), &app)).unwrap();
            let buf = t.backend().buffer();
            let mut checked = 0;
            for track in &app.session.budgets {
                let label = super::label(track);
                let shown = crate::tui::panes::fit(&label, 25);
                for y in 0..buf.area.height {
                    let row: String = (0..buf.area.width)
                        .map(|x| buf[(x, y)].symbol().to_string())
                        .collect();
                    if row.starts_with(&format!("│{shown}"))
                        && let Some(x) = row.chars().position(|c| c == '[')
                    {
                        let cell = &buf[(x as u16 + 1, y)];
                        assert_eq!(
                            cell.fg,
                            headroom_color(track.headroom()),
                            "{label} in {row}"
                        );
                        checked += 1;
                    }
                }
            }
            assert!(checked >= 4, "checked {checked} gauges");
        }
    }
}
