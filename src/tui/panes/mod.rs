//! Layout and shared drawing helpers (view layer). Every pane is one file exporting
//! `pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App)`, a pure function of the
//! state; [`draw`] picks the view, lays the panes out and puts overlays on top.
//!
//! Live view, wide (≥ 60 × 16):
//!
//! ```text
//! header    ratedoctor · demo · openai, anthropic · gpt-4o-mini · 00:42
//!           requests 123 · 429s 14 (rpm 8, output_tpm 3) · retries 12 (5 too early)
//! ┌ budgets ─────────────────────────────────────────────────────────────────────┐
//! │ openai requests/min  [██████····] 18/30  reset 4 s                            │
//! │   ▇▆▅▄▃▂▁▁▂▃▄  at this rate, empty in 40 s                                    │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ┌ timeline (last 60 s) ────────────────────────────────────────────────────────┐
//! │ all       •••✖••••✖•••••!•••                                                  │
//! │ #12 0.5s       ✖─•            actual wait                                     │
//! │ adv 2.0s       ┄┄┄┄┤          advised wait                                    │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ┌ events ────────────────────────────────────────┐┌ child output (run) ─────────┐
//! │  12.3 s  #41  ← 429 rpm openai retry in 2 s     ││ $ python app.py              │
//! └────────────────────────────────────────────────┘└─────────────────────────────┘
//!           (without a program, from 160 columns: the last diagnosis's card there)
//! footer    q quit · Tab focus · / filter · space pause · p paste · ? help
//! ```
//!
//! Live view, narrow (< 60 columns or < 16 rows: 40 × 12 still works): header line, the
//! tightest budget, the last 429, the log, the footer ([`compact`]).
//!
//! Home: paste area + the ways in + the cards of what was pasted ([`home`]). Explain: one
//! card per diagnosis ([`explain`], drawn by [`card`]). Overlays: [`help`], [`detail`],
//! [`paste`]; the filter bar replaces the footer.

pub(crate) mod budgets;
pub(crate) mod card;
pub(crate) mod child;
pub(crate) mod compact;
pub(crate) mod detail;
pub(crate) mod events;
pub(crate) mod explain;
pub(crate) mod footer;
pub(crate) mod header;
pub(crate) mod help;
pub(crate) mod home;
pub(crate) mod last;
pub(crate) mod paste;
pub(crate) mod timeline;

use super::app::{App, Focus, Overlay, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < 10 || area.height < 4 {
        return;
    }
    match app.view {
        View::Home => home::render(frame, area, app),
        View::Explain => explain::render(frame, area, app),
        View::Live => live(frame, area, app),
    }
    match app.overlay {
        Overlay::None => {}
        Overlay::Help => help::render(frame, popup(area, 90, 90), app),
        Overlay::Detail(_) => detail::render(frame, popup(area, 94, 90), app),
        Overlay::Paste => paste::render(frame, popup(area, 94, 90), app),
    }
}

/// Whether the live view uses the narrow layout.
pub(crate) fn is_compact(area: Rect) -> bool {
    area.width < 60 || area.height < 16
}

fn live(frame: &mut Frame, area: Rect, app: &App) {
    if is_compact(area) {
        return compact::render(frame, area, app);
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(frame, head, app);
    footer::render(frame, foot, app);

    let n_budgets = app.session.budgets.len().max(1) as u16;
    let budget_h = (n_budgets * 2 + 2).min(body.height * 2 / 5).max(4);
    let timeline_h = (body.height / 3).clamp(4, 9);
    let [b, t, rest] = Layout::vertical([
        Constraint::Length(budget_h),
        Constraint::Length(timeline_h),
        Constraint::Min(3),
    ])
    .areas(body);
    budgets::render(frame, b, app);
    timeline::render(frame, t, app);
    if app.has_child {
        let [log, out] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(rest);
        events::render(frame, log, app);
        child::render(frame, out, app);
    } else if rest.width >= WIDE_CARD {
        let [log, card] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(rest);
        events::render(frame, log, app);
        last::render(frame, card, app);
    } else {
        events::render(frame, rest, app);
    }
}

/// From this many columns (and without a program's output to show), the live view has
/// the last diagnosis's card beside the events.
pub(crate) const WIDE_CARD: u16 = 160;

/// A rectangle of `pw`% × `ph`% centred in `area`, cleared.
pub(crate) fn popup(area: Rect, pw: u16, ph: u16) -> Rect {
    let w = (area.width * pw / 100).max(area.width.min(30));
    let h = (area.height * ph / 100).max(area.height.min(8));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Clears `area` and returns a bordered block for an overlay.
pub(crate) fn overlay_block<'a>(frame: &mut Frame, area: Rect, title: &'a str) -> Block<'a> {
    frame.render_widget(Clear, area);
    Block::bordered()
        .title(Line::from(format!(" {title} ")).style(bold()))
        .border_style(Style::new().fg(Color::Cyan))
}

/// A bordered block whose border is highlighted when the pane has the focus.
pub(crate) fn pane_block(title: String, app: &App, focus: Focus) -> Block<'static> {
    let focused = app.view == View::Live && app.focus == focus && app.overlay == Overlay::None;
    let style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    let title = if focused {
        format!(" {title} ◆ ")
    } else {
        format!(" {title} ")
    };
    Block::bordered().title(title).border_style(style)
}

pub(crate) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub(crate) fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Green with room to spare, yellow when getting low, red when nearly empty.
pub(crate) fn headroom_color(h: Option<f64>) -> Color {
    match h {
        Some(h) if h > 0.5 => Color::Green,
        Some(h) if h > 0.2 => Color::Yellow,
        Some(_) => Color::Red,
        None => Color::Gray,
    }
}

/// `[██████····]`: the remaining share of the limit in `cells` cells.
pub(crate) fn gauge(remaining: f64, limit: f64, cells: usize) -> String {
    let filled = if limit > 0.0 {
        ((remaining / limit).clamp(0.0, 1.0) * cells as f64).round() as usize
    } else {
        0
    };
    format!(
        "[{}{}]",
        "█".repeat(filled.min(cells)),
        "·".repeat(cells - filled.min(cells))
    )
}

/// A sparkline of `(t_ms, value)` points, oldest first, over `cells` columns from the
/// first point to `now_ms`: each column shows the value as of its time (the last point
/// at or before it), scaled to `max`; the line fills its width however few points there are.
pub(crate) fn spark_over_time(
    points: &std::collections::VecDeque<(f64, f64)>,
    now_ms: f64,
    max: f64,
    cells: usize,
) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let Some(&(t0, _)) = points.front() else {
        return String::new();
    };
    let t_end = now_ms.max(points.back().map_or(t0, |p| p.0));
    let span = t_end - t0;
    let bar = |v: f64| {
        if max <= 0.0 {
            BARS[0]
        } else {
            BARS[(((v / max).clamp(0.0, 1.0) * 7.0).round() as usize).min(7)]
        }
    };
    let mut next = 0;
    let mut cur = points[0].1;
    (0..cells)
        .map(|i| {
            let t = if span > 0.0 {
                t0 + span * (i + 1) as f64 / cells as f64
            } else {
                t_end
            };
            while let Some(&(tp, v)) = points.get(next) {
                if tp > t {
                    break;
                }
                cur = v;
                next += 1;
            }
            bar(cur)
        })
        .collect()
}

/// Seconds as a short label: `0.5 s`, `12 s`, `3 min`.
pub(crate) fn secs(s: f64) -> String {
    if !s.is_finite() {
        return "?".to_string();
    }
    if s < 10.0 {
        format!("{:.1} s", s.max(0.0))
    } else if s < 120.0 {
        format!("{:.0} s", s)
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.0} h", s / 3600.0)
    }
}

/// `mm:ss` of an elapsed time.
pub(crate) fn clock(s: f64) -> String {
    let t = s.max(0.0) as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, (t % 3600) / 60, t % 60)
    } else {
        format!("{:02}:{:02}", t / 60, t % 60)
    }
}

/// Cuts `s` to `width` characters, with `…` when cut.
pub(crate) fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Cuts `s` to `width` characters at a word boundary, with `…` when cut: a word is shown
/// whole or not at all (a single word wider than `width` is cut as [`fit`] does).
pub(crate) fn fit_words(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let head: String = s.chars().take(width.saturating_sub(1)).collect();
    // The cut falls inside a word unless the next character is a space.
    let next_is_space = s.chars().nth(width.saturating_sub(1)) == Some(' ');
    let whole = if next_is_space {
        head.as_str()
    } else {
        head.rfind(' ').map_or("", |i| &head[..i])
    };
    let whole = whole.trim_end_matches([' ', '·', ',', ':', '(']);
    if whole.is_empty() {
        return fit(s, width);
    }
    let spaced = format!("{whole} …");
    if spaced.chars().count() <= width {
        spaced
    } else {
        format!("{whole}…")
    }
}

/// The first of `variants` (most detailed first) that fits in `width`, else the last one
/// cut at a word boundary.
pub(crate) fn first_fitting(variants: &[String], width: usize) -> String {
    variants
        .iter()
        .find(|v| v.chars().count() <= width)
        .cloned()
        .unwrap_or_else(|| fit_words(variants.last().map_or("", String::as_str), width))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Snapshot helpers: draw one pane into a `TestBackend` of a given size.
    use super::super::app::App;
    use ratatui::Frame;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;

    /// The pane drawn over the whole `w × h` screen, as text.
    pub fn pane(w: u16, h: u16, app: &App, f: fn(&mut Frame, Rect, &App)) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|frame| f(frame, frame.area(), app)).unwrap();
        t.backend().to_string()
    }

    /// The whole screen as text.
    pub fn screen(w: u16, h: u16, app: &App) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|frame| super::draw(frame, app)).unwrap();
        t.backend().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::live_app;
    use super::testing::screen;

    #[test]
    fn live_screen_wide() {
        insta::assert_snapshot!(screen(100, 32, &live_app(160, 10_000)));
    }

    /// From 160 columns, the last diagnosis's card is beside the events.
    #[test]
    fn live_screen_200x50_shows_the_last_card() {
        let app = live_app(160, 10_000);
        let s = screen(200, 50, &app);
        assert!(s.contains("last diagnosis"), "{s}");
        let (_, d) = app.session.last_429.clone().unwrap();
        assert!(s.contains(&d.title), "{s}");
        assert!(!screen(159, 50, &app).contains("last diagnosis"));
    }

    /// A followed log's recording, replayed, reads as the log it was: errors (not
    /// `requests 0`), and the errors by kind with their rate (not `no requests yet`).
    #[test]
    fn a_replayed_log_counts_errors_and_their_rate() {
        use crate::tui::fixtures::{SAMPLE_TPM_LINE, log_app};
        let source = crate::tui::LiveSource::Replay {
            path: "follow.jsonl".into(),
        };
        let s = screen(80, 24, &log_app(source, 100, 1000.0, &[SAMPLE_TPM_LINE; 3]));
        assert!(s.contains("errors 3 · 429s 3"), "{s}");
        assert!(s.contains("3/min now"), "{s}");
        assert!(
            !s.contains("requests 0") && !s.contains("no requests yet"),
            "{s}"
        );
        assert!(
            s.contains("no limit and usage numbers") || s.contains("30,000"),
            "{s}"
        );
    }

    /// A followed log's connection errors are errors too (exchanges without an answer).
    #[test]
    fn a_followed_logs_errors_count_those_without_an_answer() {
        use crate::tui::fixtures::{SAMPLE_TPM_LINE, followed_app};
        let mut app = followed_app(100, 1000.0, &[SAMPLE_TPM_LINE; 3]);
        app.update(crate::tui::app::Msg::Event(crate::event::Event {
            t_ms: 3000.0,
            id: 4,
            kind: crate::event::EventKind::Failed {
                error: "API: could not connect".into(),
            },
        }));
        let s = screen(80, 24, &app);
        assert!(s.contains("errors 4 · 429s 3"), "{s}");
    }

    #[test]
    fn live_screen_80x24() {
        insta::assert_snapshot!(screen(80, 24, &live_app(160, 10_000)));
    }

    #[test]
    fn live_screen_narrow_shows_tightest_and_last_429() {
        let s = screen(40, 12, &live_app(160, 10_000));
        assert!(s.contains("429"), "{s}");
        insta::assert_snapshot!(s);
    }

    #[test]
    fn every_size_draws_without_panic() {
        let app = live_app(160, 10_000);
        for w in [1u16, 5, 10, 20, 39, 40, 59, 60, 61, 80, 120, 200] {
            for h in [1u16, 3, 4, 6, 11, 12, 15, 16, 24, 50] {
                let _ = screen(w, h, &app);
            }
        }
    }
}
