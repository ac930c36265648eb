//! The child's output (`ratedoctor run -- CMD`): the newest lines, keys redacted.

use super::{dim, fit, pane_block};
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    // All the lines it printed (the pane shows the newest; the file keeps every one).
    let title = format!("output ({} lines)", app.child_total);
    let block = pane_block(title, app, Focus::Child);
    let inner = block.inner(area);
    let rows = inner.height as usize;
    let width = inner.width as usize;
    let n = app.child.len();
    let end = n.saturating_sub(app.scroll_child.min(n.saturating_sub(rows.min(n))));
    let start = end.saturating_sub(rows);
    let mut lines: Vec<Line> = app
        .child
        .iter()
        .skip(start)
        .take(end - start)
        .map(|l| Line::raw(fit(l, width)))
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            if app.source_ended {
                "the command printed nothing"
            } else {
                "no output yet"
            },
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::panes::testing::pane;

    fn run_app() -> App {
        App::live(
            LiveSource::Run {
                command: "python app.py".into(),
                proxy: "http://127.0.0.1:5".into(),
            },
            100,
        )
    }

    #[test]
    fn typical() {
        let mut app = run_app();
        for i in 0..30 {
            app.update(Msg::ChildLine(format!(
                "step {i}: asked gpt-4o-mini, got 42 tokens"
            )));
        }
        app.update(Msg::ChildLine(
            "openai.RateLimitError: Error code: 429 key=sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE1234"
                .into(),
        ));
        let s = pane(60, 10, &app, render);
        assert!(!s.contains("FAKEFAKE"));
        insta::assert_snapshot!(s);
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(40, 5, &run_app(), render));
    }

    #[test]
    fn error_ended_silent() {
        let mut app = run_app();
        app.update(Msg::SourceEnded);
        insta::assert_snapshot!(pane(40, 5, &app, render));
    }

    #[test]
    fn narrow() {
        let mut app = run_app();
        app.update(Msg::ChildLine("a long line ".repeat(10)));
        insta::assert_snapshot!(pane(20, 12, &app, render));
    }
}
