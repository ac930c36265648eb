//! The backoff timeline: time on the x axis (the last minute), every request a mark
//! coloured by outcome; below, each retried logical request on two rows: the wait the
//! client actually took (joined attempts) and the wait the server advised. It draws
//! [`RequestTrace`]s, the model `backoff` and `simulate` produce and the session folds live
//! and replayed events into.

use super::{dim, pane_block};
use crate::backoff::timeline::{Attempt, AttemptOutcome, RequestTrace};
use crate::session::EARLY_TOLERANCE_S;
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const LABEL: usize = 12;

/// Seconds in a label: `0.5s`, `14s`.
fn short(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.1}s")
    } else {
        format!("{s:.0}s")
    }
}

/// The mark of one attempt and how much it matters (higher wins a shared column).
pub(crate) fn mark(a: &Attempt) -> (char, Style, u8) {
    match a.outcome {
        AttemptOutcome::Pending | AttemptOutcome::Lost => ('·', dim(), 0),
        AttemptOutcome::Ok => ('•', Style::new().fg(Color::Green), 1),
        o if o.is_final_failure() => ('!', Style::new().fg(Color::Magenta), 4),
        AttemptOutcome::Failed { status: 429, .. } => ('✖', Style::new().fg(Color::Red), 3),
        AttemptOutcome::Failed { status, .. } if status >= 500 => {
            ('▲', Style::new().fg(Color::Yellow), 2)
        }
        AttemptOutcome::Failed { .. } => ('!', Style::new().fg(Color::Magenta), 4),
    }
}

/// When an attempt was sent and, once answered, when the answer came (ms).
fn sent_ms(a: &Attempt) -> f64 {
    a.start_s * 1000.0
}

fn done_ms(a: &Attempt) -> Option<f64> {
    (a.outcome != AttemptOutcome::Pending).then_some(a.end_s * 1000.0)
}

struct Row {
    cells: Vec<(char, Style, u8)>,
}

impl Row {
    fn new(n: usize) -> Self {
        Row {
            cells: vec![(' ', Style::new(), 0); n],
        }
    }

    fn put(&mut self, col: usize, c: char, style: Style, prio: u8) {
        if let Some(cell) = self.cells.get_mut(col)
            && (cell.0 == ' ' || prio >= cell.2)
        {
            *cell = (c, style, prio);
        }
    }

    fn line(self, label: String, label_style: Style) -> Line<'static> {
        let label = super::fit(&label, LABEL - 1);
        let mut spans = vec![Span::styled(format!("{label:<LABEL$}"), label_style)];
        let mut cur = String::new();
        let mut cur_style = Style::new();
        for (c, s, _) in self.cells {
            if s != cur_style && !cur.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut cur), cur_style));
            }
            cur_style = s;
            cur.push(c);
        }
        if !cur.is_empty() {
            spans.push(Span::styled(cur, cur_style));
        }
        Line::from(spans)
    }
}

struct Scale {
    t0: f64,
    span_ms: f64,
    cols: usize,
}

impl Scale {
    fn col(&self, t_ms: f64) -> Option<usize> {
        let x = (t_ms - self.t0) / self.span_ms * self.cols as f64;
        (x >= 0.0 && x < self.cols as f64).then_some(x as usize)
    }

    /// The column of `t_ms`, clamped to the plot (for spans that start before it).
    fn clamp(&self, t_ms: f64) -> usize {
        let x = (t_ms - self.t0) / self.span_ms * self.cols as f64;
        x.clamp(0.0, self.cols.saturating_sub(1) as f64) as usize
    }
}

fn group_rows(id: u64, g: &RequestTrace, sc: &Scale) -> (Line<'static>, Line<'static>) {
    let mut actual = Row::new(sc.cols);
    let mut advised = Row::new(sc.cols);
    let mut adv_total = 0.0;
    for pair in g.attempts.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        let Some(done) = done_ms(prev) else { continue };
        let w = prev.wait_s.unwrap_or(0.0);
        // The label compares like with like: the waits taken before each retry beside
        // what the server advised for those same retries (not the advice of an answer no
        // retry has followed yet, which the plot still draws).
        adv_total += prev.advised_wait_s.unwrap_or(0.0);
        let early = prev
            .advised_wait_s
            .is_some_and(|a| w + EARLY_TOLERANCE_S < a)
            || prev.outcome.is_final_failure();
        let join = if early {
            Style::new().fg(Color::Red)
        } else {
            Style::new().fg(Color::Green)
        };
        if done < sc.t0 + sc.span_ms && sent_ms(next) >= sc.t0 {
            for c in sc.clamp(done)..=sc.clamp(sent_ms(next)) {
                actual.put(c, '─', join, 0);
            }
        }
    }
    for a in &g.attempts {
        if let (Some(done), Some(adv)) = (done_ms(a), a.advised_wait_s) {
            let end = done + adv * 1000.0;
            if done < sc.t0 + sc.span_ms && end >= sc.t0 {
                let (c0, c1) = (sc.clamp(done), sc.clamp(end));
                for c in c0..c1 {
                    advised.put(c, '┄', Style::new().fg(Color::Blue), 0);
                }
                if sc.col(end).is_some() {
                    advised.put(c1, '┤', Style::new().fg(Color::Blue), 1);
                }
            }
        }
        if let Some(c) = sc.col(sent_ms(a)) {
            let (ch, st, p) = mark(a);
            actual.put(c, ch, st, p + 1);
        }
    }
    let waited = g.waited_s();
    let n = g.attempts.len();
    (
        actual.line(format!("#{id}×{n} {}", short(waited)), Style::new()),
        advised.line(
            if adv_total > 0.0 {
                format!(" adv {}", short(adv_total))
            } else {
                " no hint".to_string()
            },
            Style::new().fg(Color::Blue),
        ),
    )
}

/// A followed log has errors, not the requests behind them: the timeline is the errors
/// over time, a row per kind: a column per stretch of the last minutes (the log's own
/// time), the rate in the last minute, and the count.
fn render_log_rates(frame: &mut Frame, area: Rect, app: &App) {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let s = &app.session;
    let now = app.now_ms.max(s.last_ms);
    let room = (area.width as usize).saturating_sub(6);
    // The errors by kind come from the session (every one, not only the events the view
    // keeps): when each came, to the second, over the last ten minutes.
    let first = s
        .error_times
        .values()
        .filter_map(|t| t.front())
        .map(|(sec, _)| *sec as f64 * 1000.0)
        .fold(now, f64::min);
    // The window: the log so far, from one minute up to ten.
    let span_ms = (now - first).clamp(60_000.0, 600_000.0);
    let title = super::first_fitting(
        &[
            format!(
                "errors by kind over the last {:.0} min of the log · per minute now · in all",
                span_ms / 60_000.0
            ),
            format!("errors by kind, last {:.0} min", span_ms / 60_000.0),
            "errors by kind".to_string(),
        ],
        room,
    );
    let block = pane_block(title, app, Focus::Timeline);
    let inner = block.inner(area);
    let width = inner.width as usize;
    let mut kinds: Vec<(&'static str, crate::diagnose::Kind)> =
        s.by_kind.keys().map(|k| (k.id(), *k)).collect();
    kinds.sort_unstable();
    if kinds.is_empty() {
        let msg = "no API error in the log yet";
        frame.render_widget(Paragraph::new(Line::styled(msg, dim())).block(block), area);
        return;
    }
    let tail = 30;
    let cells = width.saturating_sub(LABEL + tail).max(1);
    let lines: Vec<Line> = kinds
        .iter()
        .take(inner.height as usize)
        .map(|(id, k)| {
            let mut buckets = vec![0u64; cells];
            for (sec, n) in s.error_times.get(k).into_iter().flatten() {
                let age = now - *sec as f64 * 1000.0;
                if (0.0..=span_ms).contains(&age) {
                    let i = ((span_ms - age) / span_ms * cells as f64) as usize;
                    buckets[i.min(cells - 1)] += n;
                }
            }
            let max = buckets.iter().copied().max().unwrap_or(0).max(1);
            let spark: String = buckets
                .iter()
                .map(|n| match n {
                    0 => ' ',
                    n => BARS[((*n as f64 / max as f64) * 7.0).round() as usize],
                })
                .collect();
            let last_min = s.errors_per_min(*k, now);
            let all = s.by_kind.get(k).copied().unwrap_or(0);
            Line::from(vec![
                Span::raw(format!(
                    "{:<width$}",
                    super::fit(id, LABEL - 1),
                    width = LABEL
                )),
                Span::styled(spark, Style::new().fg(Color::Red)),
                Span::raw(format!(" {last_min:>4}/min now · {all:>5} in all")),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.session;
    let now = app.now_ms.max(s.last_ms);
    // The window grows with the session, up to the last minute.
    let span_s = [10.0, 20.0, 30.0, 60.0]
        .into_iter()
        .find(|w| now / 1000.0 <= *w)
        .unwrap_or(60.0);
    // The border, the spaces around the title and the focus mark.
    let room = (area.width as usize).saturating_sub(6);
    let title = super::first_fitting(
        &[
            format!(
                "timeline: last {span_s:.0} s · • ok ✖ 429 ! not retryable ▲ 5xx · actual vs advised wait"
            ),
            format!("timeline: last {span_s:.0} s · • ok ✖ 429 ! not retryable ▲ 5xx"),
            format!("timeline: last {span_s:.0} s · • ok ✖ 429"),
            format!("timeline: last {span_s:.0} s"),
            "timeline".to_string(),
        ],
        room,
    );
    if s.requests == 0 && app.reads_a_log() {
        return render_log_rates(frame, area, app);
    }
    let block = pane_block(title, app, Focus::Timeline);
    let inner = block.inner(area);
    let width = inner.width as usize;
    if s.requests == 0 || width <= LABEL + 4 {
        let msg = if s.requests == 0 {
            "no requests yet"
        } else {
            ""
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, dim())).block(block), area);
        return;
    }
    let span_ms = span_s * 1000.0;
    let sc = Scale {
        t0: now - span_ms,
        span_ms,
        cols: width - LABEL,
    };
    let mut all = Row::new(sc.cols);
    let mut retried: Vec<(u64, &RequestTrace)> = Vec::new();
    for (id, g) in s.groups.iter().rev() {
        let Some(last) = g.attempts.last() else {
            continue;
        };
        if sent_ms(last) < sc.t0 - 30_000.0 {
            break;
        }
        for a in &g.attempts {
            if let Some(c) = sc.col(sent_ms(a)) {
                let (ch, st, p) = mark(a);
                all.put(c, ch, st, p);
            }
        }
        if g.attempts.len() > 1 {
            retried.push((*id, g));
        }
    }
    let mut lines = vec![all.line("requests".to_string(), Style::new())];
    let room = (inner.height as usize).saturating_sub(2) / 2;
    let skip = app.scroll_timeline.min(retried.len().saturating_sub(room));
    for (id, g) in retried.iter().skip(skip).take(room) {
        let (a, b) = group_rows(*id, g, &sc);
        lines.push(a);
        lines.push(b);
    }
    if retried.is_empty() && inner.height > 2 {
        lines.push(Line::styled("no retries in the last minute", dim()));
    }
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    // Axis.
    let mut axis = format!("{:<LABEL$}-{span_s:.0} s", "");
    let mid = LABEL + sc.cols / 2;
    while axis.chars().count() < mid.saturating_sub(2) {
        axis.push(' ');
    }
    axis.push_str(&format!("-{:.0} s", span_s / 2.0));
    while axis.chars().count() < width.saturating_sub(3) {
        axis.push(' ');
    }
    axis.push_str("now");
    lines.push(Line::styled(axis, dim()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::{SAMPLE_RPM_LINE, SAMPLE_TPM_LINE, followed_app, live_app};
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 10, &live_app(160, 10_000), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 5, &App::live(LiveSource::Demo, 100), render));
    }

    #[test]
    fn error() {
        let mut app = live_app(40, 10_000);
        app.update(Msg::Error("the source stopped".into()));
        insta::assert_snapshot!(pane(80, 8, &app, render));
    }

    /// Issue #14: a client that waited 1 s as advised, then got a 429 advising 3 s that it
    /// has not retried yet, waited as told: the label's `adv` is the 1 s of that retry, not
    /// 4 s.
    #[test]
    fn adv_is_the_advice_for_the_retries_taken() {
        use crate::backoff::FailureKind;
        use crate::backoff::WaitBasis;
        use crate::backoff::timeline::{AttemptOutcome, RequestTrace};
        let rpm = AttemptOutcome::Failed {
            kind: FailureKind::Rpm,
            status: 429,
        };
        let mut g = RequestTrace::new(9);
        g.record(0.0, 0.1, rpm, Some(1.0));
        g.waited(1.0, WaitBasis::Hint);
        g.record(1.1, 1.2, rpm, Some(3.0));
        let sc = super::Scale {
            t0: 0.0,
            span_ms: 10_000.0,
            cols: 40,
        };
        let (actual, advised) = super::group_rows(9, &g, &sc);
        let text = |l: &ratatui::text::Line<'_>| -> String {
            l.spans.iter().map(|s| s.content.as_ref()).collect()
        };
        assert!(text(&actual).contains("#9×2 1.0s"), "{}", text(&actual));
        assert!(text(&advised).contains(" adv 1.0s"), "{}", text(&advised));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &live_app(160, 10_000), render));
    }

    #[test]
    fn a_followed_log_shows_its_errors_by_kind_over_time() {
        let bodies: Vec<&str> = [SAMPLE_TPM_LINE, SAMPLE_RPM_LINE]
            .into_iter()
            .cycle()
            .take(6)
            .collect();
        let app = followed_app(100, 10_000.0, &bodies);
        let s = pane(80, 5, &app, render);
        assert!(s.contains("errors by kind"), "{s}");
        assert!(s.contains("tpm") && s.contains("rpm"), "{s}");
        assert!(s.contains("3/min now ·     3 in all"), "{s}");
        assert!(!s.contains("no requests yet"), "{s}");
    }

    /// The rate and the count are every error's, not only those of the events the view
    /// keeps (10,000 by default; a busy log passes that in a minute): they agree with the
    /// header's count.
    #[test]
    fn the_rate_counts_errors_past_the_events_kept() {
        let app = followed_app(100, 100.0, &[SAMPLE_TPM_LINE; 150]);
        let s = pane(80, 5, &app, render);
        assert!(s.contains(" 150/min now ·   150 in all"), "{s}");
        // Ten minutes on, the minute is empty and the count stays.
        let mut app = app;
        app.now_ms = 615_000.0;
        let s = pane(80, 5, &app, render);
        assert!(s.contains("   0/min now ·   150 in all"), "{s}");
    }
}
