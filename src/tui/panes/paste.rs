//! The paste area: the pasted text (keys redacted) and, under it, the card of every error
//! found in it, diagnosed as the text lands. An overlay outside Home; [`body`] is also the
//! heart of the Home screen.

use super::{bold, card, dim, overlay_block};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

/// The text box and the cards below it.
pub(crate) fn body(frame: &mut Frame, area: Rect, app: &App) {
    let p = &app.paste;
    let text_lines: Vec<&str> = p.text.lines().collect();
    let box_h = (text_lines.len() as u16 + 2).clamp(3, (area.height / 3).max(3));
    let [top, bottom] =
        Layout::vertical([Constraint::Length(box_h), Constraint::Min(1)]).areas(area);

    let title = if p.typing {
        " paste or type here · Esc when done ".to_string()
    } else if p.text.is_empty() {
        " paste an error here (or press p to type) ".to_string()
    } else {
        format!(
            " pasted: {} line{} · p to edit · Ctrl-U clears ",
            text_lines.len(),
            if text_lines.len() == 1 { "" } else { "s" }
        )
    };
    let border = if p.typing {
        Style::new().fg(Color::Yellow)
    } else {
        dim()
    };
    let block = Block::bordered().title(title).border_style(border);
    let rows = block.inner(top).height as usize;
    let shown: Vec<Line> = if p.text.is_empty() {
        vec![Line::styled(
            "e.g. Error code: 429 - {'error': {'message': 'Rate limit reached for …",
            dim(),
        )]
    } else {
        let mut v: Vec<Line> = text_lines
            .iter()
            .skip(text_lines.len().saturating_sub(rows))
            .map(|l| Line::raw(l.to_string()))
            .collect();
        if p.typing
            && let Some(last) = v.last_mut()
        {
            last.push_span(ratatui::text::Span::styled(
                "▏",
                Style::new().fg(Color::Yellow),
            ));
        }
        v
    };
    frame.render_widget(Paragraph::new(shown).block(block), top);

    let block = Block::bordered()
        .title(if p.diagnoses.is_empty() {
            " diagnosis ".to_string()
        } else {
            format!(
                " diagnosis: {} error{} found ",
                p.diagnoses.len(),
                if p.diagnoses.len() == 1 { "" } else { "s" }
            )
        })
        .border_style(dim());
    let width = block.inner(bottom).width as usize;
    let mut lines: Vec<Line> = Vec::new();
    if p.diagnoses.is_empty() {
        lines.push(Line::styled(
            if p.text.trim().is_empty() {
                "nothing pasted yet"
            } else {
                "no API error found in this text"
            },
            if p.text.trim().is_empty() {
                dim()
            } else {
                bold().fg(Color::Yellow)
            },
        ));
    }
    for (i, d) in p.diagnoses.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.extend(card::lines(d, width, i == 0));
    }
    let y = app.scroll_overlay.min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(Paragraph::new(lines).block(block).scroll((y, 0)), bottom);
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let block = overlay_block(frame, area, "paste an error · Esc closes");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    body(frame, inner, app);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource, Msg};
    use crate::tui::fixtures::{SAMPLE_OTPM, SAMPLE_RPM};
    use crate::tui::input::Action;
    use crate::tui::panes::testing::pane;

    fn with(text: &str) -> App {
        let mut app = App::live(LiveSource::Demo, 100);
        app.update(Msg::Paste(text.to_string()));
        app
    }

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 34, &with(SAMPLE_OTPM), render));
    }

    #[test]
    fn empty_typing() {
        let mut app = App::live(LiveSource::Demo, 100);
        app.update(Msg::Key(Action::Paste));
        insta::assert_snapshot!(pane(80, 12, &app, render));
    }

    #[test]
    fn error_no_api_error_in_text() {
        insta::assert_snapshot!(pane(80, 12, &with("hello world\nall good here"), render));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &with(SAMPLE_RPM), render));
    }

    #[test]
    fn typed_text_is_diagnosed_as_it_lands() {
        let mut app = App::live(LiveSource::Demo, 100);
        app.update(Msg::Key(Action::Paste));
        for c in SAMPLE_RPM.trim().chars() {
            app.update(Msg::Key(Action::Char(c)));
        }
        assert_eq!(app.paste.diagnoses.len(), 1);
        app.update(Msg::Key(Action::Back));
        app.update(Msg::Key(Action::Back));
        assert!(app.overlay == crate::tui::app::Overlay::None);
    }

    #[test]
    fn keys_are_redacted() {
        let app = with(
            "Authorization: Bearer sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE1234\n429 Too Many Requests",
        );
        assert!(!app.paste.text.contains("FAKEFAKE"), "{}", app.paste.text);
        let shown = pane(100, 20, &app, render);
        assert!(!shown.contains("FAKEFAKE"), "{shown}");
    }
}
