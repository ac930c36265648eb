//! The live header: source, providers, models, elapsed; requests, 429s by kind, the retry
//! audit, and the source's error or end.

use super::{bold, clock, dim, fit};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Characters in a line.
fn len(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// As many whole `items` as fit in `width` columns, then `+N more` for the rest.
fn whole_items(items: &[&str], width: usize) -> String {
    for shown in (1..=items.len()).rev() {
        let mut t = items[..shown].join(", ");
        if shown < items.len() {
            t.push_str(&format!(" +{} more", items.len() - shown));
        }
        if t.chars().count() <= width {
            return t;
        }
    }
    String::new()
}

/// The first header line: what is watched. The clock, PAUSED and how the program ended
/// always show; providers and models take the room left, whole names only.
pub(crate) fn title_line(app: &App, width: usize) -> Line<'static> {
    let s = &app.session;
    let source = app
        .source
        .as_ref()
        .map_or_else(|| "live".to_string(), |src| src.label());
    let providers: Vec<&str> = s.providers.iter().map(|p| p.id()).collect();
    let models: Vec<&str> = s.models.iter().map(String::as_str).collect();
    let mut end = vec![
        Span::styled(" · ", dim()),
        Span::styled(clock(app.elapsed_s()), bold()),
    ];
    if app.paused {
        end.push(Span::styled("  PAUSED", bold().fg(Color::Yellow)));
    }
    if let Some(code) = app.child_exit {
        let color = if code == 0 { Color::Green } else { Color::Red };
        end.push(Span::styled(
            format!("  exited (code {code})"),
            Style::new().fg(color),
        ));
    } else if app.source_ended {
        end.push(Span::styled("  finished", Style::new().fg(Color::Green)));
    }
    let name = Span::styled("ratedoctor ", bold().fg(Color::Cyan));
    let room = width.saturating_sub(len(&end) + name.content.chars().count());
    let mut spans = vec![name, Span::raw(fit(&source, room))];
    for list in [providers, models] {
        let room = width.saturating_sub(len(&spans) + len(&end) + 3);
        let shown = whole_items(&list, room);
        if !shown.is_empty() {
            spans.push(Span::styled(" · ", dim()));
            spans.push(Span::raw(shown));
        }
    }
    spans.extend(end);
    Line::from(spans)
}

/// What the source saw: its requests (`req N` when `short`), or for a log (followed or
/// replayed), which tells of errors and not of the requests behind them, its errors.
pub(crate) fn seen(app: &App, short: bool) -> String {
    let s = &app.session;
    if app.reads_a_log() {
        // Error answers, and the exchanges without one (a connection error).
        format!("errors {}", s.responses + s.failures)
    } else if short {
        format!("req {}", s.requests)
    } else {
        format!("requests {}", s.requests)
    }
}

/// How much of the retry audit the counts line says.
#[derive(Clone, Copy, PartialEq)]
enum RetryDetail {
    Full,
    None,
}

/// The second header line: the counts, in `width` columns. Details give way before
/// anything is cut: first the 429s' kinds (`+2 more`), then the retries' breakdown.
pub(crate) fn counts_line(app: &App, width: usize) -> Line<'static> {
    let s = &app.session;
    let mut kinds: Vec<(u64, &str)> = s
        .rate_limited_by_kind
        .iter()
        .map(|(k, n)| (*n, k.id()))
        .collect();
    kinds.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut tries: Vec<(usize, RetryDetail)> = (0..=kinds.len())
        .rev()
        .map(|k| (k, RetryDetail::Full))
        .collect();
    tries.push((0, RetryDetail::None));
    let mut line = Vec::new();
    for (k, detail) in tries {
        line = counts_spans(app, &kinds, k, detail);
        if len(&line) <= width {
            break;
        }
    }
    // `--share`: the fleet, as much of it as the line has room for.
    if let Some(f) = &s.fleet {
        let share = match f.admitted_total {
            0 => "-".to_string(),
            n => format!("{:.0}%", 100.0 * f.admitted_here as f64 / n as f64),
        };
        let variants = [
            format!(
                "fleet {} alive, {} in flight, 429s {}, {share} through here",
                f.members, f.in_flight, f.rate_limited
            ),
            format!("fleet {} alive, {share} here", f.members),
            format!("fleet {}", f.members),
        ];
        if let Some(v) = variants
            .into_iter()
            .find(|v| len(&line) + 3 + v.chars().count() <= width)
        {
            line.push(Span::styled(" · ", dim()));
            line.push(Span::styled(v, Style::new().fg(Color::Cyan)));
        }
    }
    Line::from(line)
}

fn counts_spans(
    app: &App,
    kinds: &[(u64, &str)],
    shown_kinds: usize,
    detail: RetryDetail,
) -> Vec<Span<'static>> {
    let s = &app.session;
    let audit = s.audit();
    let mut spans = vec![
        Span::raw(seen(app, false)),
        Span::styled(" · ", dim()),
        Span::styled(
            format!("429s {}", s.rate_limited),
            if s.rate_limited > 0 {
                bold().fg(Color::Red)
            } else {
                Style::new()
            },
        ),
    ];
    if shown_kinds > 0 {
        let mut shown: Vec<String> = kinds[..shown_kinds]
            .iter()
            .map(|(n, k)| format!("{k} {n}"))
            .collect();
        if shown_kinds < kinds.len() {
            shown.push(format!("+{} more", kinds.len() - shown_kinds));
        }
        spans.push(Span::raw(format!(" ({})", shown.join(", "))));
    }
    spans.push(Span::styled(" · ", dim()));
    spans.push(Span::raw(format!("retries {}", audit.retries)));
    if detail == RetryDetail::Full && audit.too_early + audit.non_retryable_retried > 0 {
        spans.push(Span::styled(
            format!(
                " ({} too early, {} not retryable)",
                audit.too_early, audit.non_retryable_retried
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    if s.failures > 0 {
        spans.push(Span::styled(" · ", dim()));
        spans.push(Span::styled(
            format!("failed {}", s.failures),
            Style::new().fg(Color::Red),
        ));
    }
    spans
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = vec![title_line(app, area.width as usize)];
    if let Some(e) = &app.error {
        lines.push(Line::from(Span::styled(
            fit(&format!("error: {e}"), area.width as usize),
            bold().fg(Color::White).bg(Color::Red),
        )));
    } else {
        lines.push(counts_line(app, area.width as usize));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 2, &live_app(160, 10_000), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 2, &App::live(LiveSource::Demo, 100), render));
    }

    #[test]
    fn error() {
        let mut app = live_app(160, 10_000);
        app.update(Msg::Error(
            "the proxy stopped: cannot listen on 127.0.0.1:8080 (address in use)".into(),
        ));
        insta::assert_snapshot!(pane(80, 2, &app, render));
    }

    #[test]
    fn a_fleet_member_says_the_fleet() {
        let mut app = live_app(20, 10_000);
        app.update(Msg::Event(crate::event::Event {
            t_ms: 1.0,
            id: 0,
            kind: crate::event::EventKind::Fleet(crate::event::FleetSeen {
                members: 4,
                in_flight: 3,
                rate_limited: 0,
                admitted_here: 25,
                admitted_total: 100,
            }),
        }));
        let wide = pane(160, 2, &app, render);
        assert!(
            wide.contains("fleet 4 alive, 3 in flight, 429s 0, 25% through here"),
            "{wide}"
        );
        let narrow = pane(70, 2, &app, render);
        assert!(!narrow.contains("through here"), "{narrow}");
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 2, &live_app(160, 10_000), render));
    }
}
