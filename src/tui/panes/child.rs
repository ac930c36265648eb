//! The child's output (`ratedoctor run -- CMD`): the newest lines, keys redacted.

use super::{bold, dim, first_fitting, fit, pane_block};
use crate::tui::app::{App, Focus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    // All the lines it printed (the pane shows the newest; the file keeps every one).
    let input = &app.child_input;
    let n = app.child_total;
    let count = format!("output ({n} line{})", if n == 1 { "" } else { "s" });
    // The title's room: the pane less its corners and the focus mark.
    let room = (area.width as usize).saturating_sub(6);
    let title = if input.waiting {
        first_fitting(
            &[
                format!("{count} · waits for input"),
                "output · waits for input".to_string(),
                "waits for input".to_string(),
            ],
            room,
        )
    } else {
        count
    };
    let block = pane_block(title, app, Focus::Child);
    let inner = block.inner(area);
    let typing = app.typing_to_child();
    let rows = (inner.height as usize).saturating_sub(usize::from(typing));
    let width = inner.width as usize;
    // The unfinished last line (a prompt) counts as a line; while typing it is the input
    // line's start, as a terminal shows it.
    let partial = app.child_partial.as_deref().filter(|_| !typing);
    let n = app.child.len() + usize::from(partial.is_some());
    let end = n.saturating_sub(app.scroll_child.min(n.saturating_sub(rows.min(n))));
    let start = end.saturating_sub(rows);
    let mut lines: Vec<Line> = app
        .child
        .iter()
        .map(String::as_str)
        .chain(partial)
        .skip(start)
        .take(end - start)
        .map(|l| Line::raw(fit(l, width)))
        .collect();
    if typing {
        let prompt = app.child_partial.as_deref().unwrap_or("");
        // The end of what is typed stays in sight; the prompt gives way first.
        let text = format!("{prompt}{}", input.line);
        let room = width.saturating_sub(3);
        let shown: String = {
            let chars: Vec<char> = text.chars().collect();
            chars[chars.len().saturating_sub(room)..].iter().collect()
        };
        while lines.len() < rows {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(vec![
            Span::styled("› ", bold().fg(Color::Green)),
            Span::raw(shown),
            Span::styled("▏", Style::new().fg(Color::Green)),
        ]));
        frame.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
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
    fn a_prompt_then_the_line_typed_after_it() {
        let mut app = run_app();
        app.update(Msg::ChildLine("starting".into()));
        app.update(Msg::ChildPartial("Your name: ".into()));
        let waiting = pane(40, 5, &app, render);
        assert!(waiting.contains("Your name:"), "{waiting}");
        app.update(Msg::ChildWaiting(true));
        for c in "Bob".chars() {
            app.update(Msg::Key(crate::tui::input::Action::Char(c)));
        }
        let s = pane(40, 5, &app, render);
        assert!(s.contains("waits for input"), "{s}");
        assert!(s.contains("› Your name: Bob▏"), "{s}");
        insta::assert_snapshot!(s);
        // A long answer keeps its end in sight.
        for c in "x".repeat(60).chars() {
            app.update(Msg::Key(crate::tui::input::Action::Char(c)));
        }
        let s = pane(40, 5, &app, render);
        assert!(s.contains("xxx▏"), "{s}");
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
