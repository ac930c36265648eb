//! The event log: newest at the bottom, scrollable, filterable (429s only, one model, one
//! dimension); the selected line opens the detail pane with Enter.

use super::{dim, fit, fit_words, pane_block, secs};
use crate::duration;
use crate::event::{EventKind, RetryBy};
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

/// One event as a log line (without the time prefix).
pub(crate) fn describe(l: &Logged) -> (String, Style) {
    match &l.event.kind {
        EventKind::RequestSent {
            method,
            path,
            model,
            stream,
            attempt,
            ..
        } => {
            let mut t = format!("→ {method} {path}");
            if let Some(m) = model {
                t.push_str(&format!(" {m}"));
            }
            if *stream {
                t.push_str(" (stream)");
            }
            if *attempt > 0 {
                t.push_str(&format!(" retry {attempt}"));
            }
            (t, dim())
        }
        EventKind::ResponseReceived {
            status,
            ttfb_ms,
            snapshot,
            diagnosis,
            ..
        } => {
            let mut t = format!("← {status}");
            if let Some(d) = diagnosis {
                t.push_str(&format!(" {} {}", d.kind.id(), d.provider.id()));
                if !d.retryable {
                    t.push_str(" · do not retry");
                } else if let Some(r) = snapshot.retry_after_s.or(d.retry_after_s) {
                    t.push_str(&format!(" · retry in {}", secs(r)));
                }
            } else {
                t.push_str(&format!(" in {:.0} ms", ttfb_ms));
                if let Some(b) = snapshot.tightest()
                    && let (Some(r), Some(lim)) = (b.remaining, b.limit)
                {
                    t.push_str(&format!(
                        " · {} {}/{}",
                        b.dimension.id(),
                        duration::count(r),
                        duration::count(lim)
                    ));
                }
            }
            (t, status_style(*status))
        }
        EventKind::RetryScheduled {
            group,
            wait_s,
            advised_s,
            by,
            ..
        } => {
            let who = match by {
                RetryBy::Client => "client",
                RetryBy::Ratedoctor => "ratedoctor",
            };
            let mut t = format!("↻ #{group} retried by {who} after {}", secs(*wait_s));
            let mut style = Style::new().fg(Color::Cyan);
            if let Some(a) = advised_s {
                t.push_str(&format!(" (advised {})", secs(*a)));
                if wait_s + crate::session::EARLY_TOLERANCE_S < *a {
                    t.push_str(" too early");
                    style = Style::new().fg(Color::Red);
                }
            }
            (t, style)
        }
        EventKind::StreamFinished {
            bytes,
            elapsed_ms,
            complete,
            ..
        } => (
            format!(
                "⇣ stream {} bytes in {:.0} ms{}",
                duration::count(*bytes as f64),
                elapsed_ms,
                if *complete { "" } else { " (cut short)" }
            ),
            dim(),
        ),
        EventKind::Failed { error } => (format!("✖ failed: {error}"), Style::new().fg(Color::Red)),
        EventKind::Ledger {
            joined: true,
            detail,
        } => (format!("⇄ fleet: {detail}"), dim()),
        EventKind::Ledger {
            joined: false,
            detail,
        } => (format!("⚠ fleet: {detail}"), Style::new().fg(Color::Yellow)),
    }
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
