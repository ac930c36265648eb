//! Budget gauges, one per dimension: remaining / limit coloured by headroom, the reset
//! countdown, a sparkline of remaining over time and the forecast.

use super::{dim, fit, gauge, headroom_color, pane_block, secs, spark_over_time};
use crate::duration;
use crate::session::BudgetTrack;
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The window as a suffix: `/min`.
fn per(b: &BudgetTrack) -> &'static str {
    match b.window {
        Some(w) => match w.id() {
            "second" => "/s",
            "minute" => "/min",
            "hour" => "/h",
            "day" => "/day",
            _ => "/month",
        },
        None => "",
    }
}

/// `openai requests/min`.
pub(crate) fn label(b: &BudgetTrack) -> String {
    format!("{} {}{}", b.provider.id(), b.dimension.id(), per(b))
}

/// The label in at most `width` columns: whole words, abbreviated before anything is cut
/// (`anthropic output_tokens/min` → `anthropic out_tok/min` → `anth out_tok/min`).
pub(crate) fn short_label(b: &BudgetTrack, width: usize) -> String {
    let dim_short = match b.dimension.id() {
        "requests" => "req",
        "tokens" => "tok",
        "input_tokens" => "in_tok",
        "output_tokens" => "out_tok",
        "images" => "img",
        other => other,
    };
    let provider = b.provider.id();
    let prov_short: String = provider.chars().take(4).collect();
    [
        label(b),
        format!("{provider} {dim_short}{}", per(b)),
        format!("{prov_short} {dim_short}{}", per(b)),
        format!("{dim_short}{}", per(b)),
    ]
    .into_iter()
    .find(|l| l.chars().count() <= width)
    .unwrap_or_else(|| fit(dim_short, width))
}

/// "at this rate, empty in 40 s" / "steady" / "empty"; once the reset has passed with no
/// newer answer, how old the numbers are instead of a forecast drawn from them.
pub(crate) fn forecast(b: &BudgetTrack, now_ms: f64) -> String {
    if b.is_stale(now_ms) {
        return format!(
            "no answer for {}: reset passed, est. refilled",
            duration::human(b.age_s(now_ms).floor())
        );
    }
    match (b.latest.remaining, b.forecast_empty_s()) {
        (Some(r), _) if r <= 0.0 => "empty".to_string(),
        (_, Some(s)) => format!("at this rate, empty in {}", secs(s)),
        _ => "steady".to_string(),
    }
}

/// `18/30`, or `~30/30 est.` once the reset has passed with no newer answer.
pub(crate) fn numbers(b: &BudgetTrack, now_ms: f64) -> String {
    let stale = b.is_stale(now_ms);
    match (b.remaining_at(now_ms), b.latest.limit) {
        (Some(r), Some(l)) if stale => {
            format!("~{}/{} est.", duration::count(r), duration::count(l))
        }
        (Some(r), Some(l)) => format!("{}/{}", duration::count(r), duration::count(l)),
        (Some(r), None) => format!("{} left", duration::count(r)),
        (None, Some(l)) => format!("?/{}", duration::count(l)),
        (None, None) => "?".to_string(),
    }
}

/// After the numbers: the reset countdown, or how old stale numbers are.
pub(crate) fn tail(b: &BudgetTrack, now_ms: f64) -> String {
    if b.latest.from_message {
        // Read from an error message: as of then, no reset known.
        return format!(
            "from a message {} ago",
            duration::human(b.age_s(now_ms).floor())
        );
    }
    if b.is_stale(now_ms) {
        format!("as of {} ago", duration::human(b.age_s(now_ms).floor()))
    } else {
        b.reset_in_s(now_ms)
            .map(|r| format!("reset {}", secs(r)))
            .unwrap_or_default()
    }
}

/// Column widths shared by every gauge line of the pane: the gauge takes what the label,
/// numbers and tail leave.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    label: usize,
    numbers: usize,
    tail: usize,
    cells: usize,
}

impl Columns {
    pub(crate) fn new(budgets: &[&BudgetTrack], now_ms: f64, width: usize) -> Columns {
        let widest = |f: &dyn Fn(&BudgetTrack) -> usize| budgets.iter().map(|b| f(b)).max();
        let label = widest(&|b| label(b).chars().count()).unwrap_or(10) + 1;
        let numbers = widest(&|b| numbers(b, now_ms).chars().count()).unwrap_or(5) + 1;
        let tail = widest(&|b| tail(b, now_ms).chars().count()).unwrap_or(0);
        // Room for the brackets and the gap after them.
        let rest = |label: usize, tail: usize| width.checked_sub(label + 3 + numbers + tail);
        let label = label.min((width / 3).max(14));
        match rest(label, tail) {
            Some(c) if c >= 6 => Columns {
                label,
                numbers,
                tail,
                cells: c,
            },
            // Narrow: the tail goes first, then the label shrinks, then the gauge.
            _ => {
                let label = label.min(width.saturating_sub(numbers + 9).max(6));
                Columns {
                    label,
                    numbers,
                    tail: 0,
                    cells: rest(label, 0).unwrap_or(0).clamp(4, 12),
                }
            }
        }
    }
}

/// The gauge line of one budget.
pub(crate) fn gauge_line(b: &BudgetTrack, now_ms: f64, cols: Columns) -> Line<'static> {
    let stale = b.is_stale(now_ms);
    let color = if stale {
        Color::DarkGray
    } else {
        headroom_color(b.headroom())
    };
    let label_w = cols.label;
    let numbers_w = cols.numbers;
    let mut spans = vec![
        Span::styled(
            format!("{:<label_w$}", short_label(b, label_w - 1)),
            if stale { dim() } else { Style::new() },
        ),
        Span::styled(
            gauge(
                b.remaining_at(now_ms).unwrap_or(0.0),
                b.latest.limit.unwrap_or(0.0),
                cols.cells,
            ),
            Style::new().fg(color),
        ),
        Span::styled(
            format!(" {:<numbers_w$}", numbers(b, now_ms)),
            Style::new().fg(color),
        ),
    ];
    let t = tail(b, now_ms);
    if cols.tail > 0 && !t.is_empty() {
        spans.push(Span::styled(
            t,
            if stale {
                Style::new().fg(Color::Yellow)
            } else {
                dim()
            },
        ));
    }
    Line::from(spans)
}

/// The sparkline + forecast line of one budget: the sparkline spans the time from the
/// first kept point to now across every column the forecast leaves.
pub(crate) fn trend_line(b: &BudgetTrack, now_ms: f64, width: usize) -> Line<'static> {
    let max = b
        .latest
        .limit
        .unwrap_or_else(|| b.history.iter().map(|(_, r)| *r).fold(0.0, f64::max));
    let f = forecast(b, now_ms);
    let cells = width.saturating_sub(f.chars().count() + 4).max(8);
    let f_style = if b.is_stale(now_ms) {
        dim()
    } else if f.starts_with("at this rate") || f == "empty" {
        Style::new().fg(Color::Yellow)
    } else {
        dim()
    };
    Line::from(vec![
        Span::raw("  "),
        Span::styled(
            spark_over_time(&b.history, now_ms, max, cells),
            Style::new().fg(if b.is_stale(now_ms) {
                Color::DarkGray
            } else {
                headroom_color(b.headroom())
            }),
        ),
        Span::raw("  "),
        Span::styled(fit(&f, width.saturating_sub(cells + 4)), f_style),
    ])
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.session;
    let now = app.now_ms.max(s.last_ms);
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
            } else if app.reads_a_log() {
                "no limit and usage numbers in the messages so far"
            } else {
                "no rate-limit headers in the responses so far"
            },
            dim(),
        ));
    }
    // Tightest first, so the number that matters is always on screen (a budget whose
    // reset has passed counts as refilled).
    let mut order: Vec<&BudgetTrack> = s.budgets.iter().collect();
    order.sort_by(|a, b| {
        a.headroom_at(now)
            .unwrap_or(2.0)
            .total_cmp(&b.headroom_at(now).unwrap_or(2.0))
            .then(label(a).cmp(&label(b)))
    });
    let cols = Columns::new(&order, now, width);
    // Every gauge gets a line; the tightest ones also get their trend while room lasts.
    let mut spare = (inner.height as usize).saturating_sub(order.len());
    for b in order {
        lines.push(gauge_line(b, now, cols));
        if spare > 0 {
            lines.push(trend_line(b, now, width));
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
            let now = app.now_ms.max(app.session.last_ms);
            for track in &app.session.budgets {
                let label = super::label(track);
                // The label as the pane shows it: whole, or one of its abbreviations.
                let shown: Vec<String> = (6..=label.len())
                    .map(|w| format!("│{} ", super::short_label(track, w)))
                    .collect();
                let want = if track.is_stale(now) {
                    Color::DarkGray
                } else {
                    headroom_color(track.headroom())
                };
                for y in 0..buf.area.height {
                    let row: String = (0..buf.area.width)
                        .map(|x| buf[(x, y)].symbol().to_string())
                        .collect();
                    if shown.iter().any(|s| row.starts_with(s.as_str()))
                        && let Some(x) = row.chars().position(|c| c == '[')
                    {
                        let cell = &buf[(x as u16 + 1, y)];
                        assert_eq!(cell.fg, want, "{label} in {row}");
                        checked += 1;
                    }
                }
            }
            assert!(checked >= 4, "checked {checked} gauges");
        }
    }
}
