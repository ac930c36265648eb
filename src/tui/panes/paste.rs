//! The paste area: the pasted text (keys redacted) and, under it, the card of every error
//! found in it, diagnosed as the text lands. An overlay outside Home; [`body`] is also the
//! heart of the Home screen.

use super::{bold, card, dim, overlay_block};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// A line of the box with the cursor on it: the character under it (a space at the end)
/// in reverse video.
fn cursor_line(l: &str, col: usize) -> Line<'static> {
    let before: String = l.chars().take(col).collect();
    let under: String = l.chars().nth(col).map_or(" ".to_string(), String::from);
    let after: String = l.chars().skip(col + 1).collect();
    Line::from(vec![
        Span::raw(before),
        Span::styled(
            under,
            Style::new()
                .fg(Color::Yellow)
                .add_modifier(Modifier::REVERSED),
        ),
        Span::raw(after),
    ])
}

/// The text box and the cards below it.
pub(crate) fn body(frame: &mut Frame, area: Rect, app: &App) {
    let p = &app.paste;
    let text_lines: Vec<&str> = p.text.lines().collect();
    // While typing, every line, the empty one after a final newline too (the cursor may
    // stand on it).
    let all: Vec<&str> = if p.typing {
        p.text.split('\n').collect()
    } else {
        text_lines.clone()
    };
    let box_h = (all.len() as u16 + 2).clamp(3, (area.height / 3).max(3));
    let [top, bottom] =
        Layout::vertical([Constraint::Length(box_h), Constraint::Min(1)]).areas(area);

    let title = if p.typing {
        " type or paste · ←→↑↓ Home End move · Esc when done ".to_string()
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
    let inner = block.inner(top);
    let rows = (inner.height as usize).max(1);
    let cols = (inner.width as usize).max(1);
    // The window follows the cursor: its line is always shown, and so is its column.
    let (cur_line, cur_col) = p.cursor_line_col();
    let first = if p.typing {
        cur_line.saturating_sub(rows - 1)
    } else {
        all.len().saturating_sub(rows)
    };
    let x = if p.typing {
        cur_col.saturating_sub(cols - 1)
    } else {
        0
    };
    let shown: Vec<Line> = if p.text.is_empty() && !p.typing {
        vec![Line::styled(
            "e.g. Error code: 429 - {'error': {'message': 'Rate limit reached for …",
            dim(),
        )]
    } else {
        all.iter()
            .enumerate()
            .skip(first)
            .take(rows)
            .map(|(i, l)| {
                if p.typing && i == cur_line {
                    cursor_line(l, cur_col)
                } else {
                    Line::raw(l.to_string())
                }
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(shown).block(block).scroll((0, x as u16)),
        top,
    );

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

    fn typing(text: &str) -> App {
        let mut app = App::live(LiveSource::Demo, 100);
        app.update(Msg::Key(Action::Paste));
        for c in text.chars() {
            app.update(Msg::Key(if c == '\n' {
                Action::Newline
            } else {
                Action::Char(c)
            }));
        }
        app
    }

    fn keys(app: &mut App, keys: &[Action]) {
        for k in keys {
            app.update(Msg::Key(*k));
        }
    }

    #[test]
    fn the_box_is_edited_in_the_middle_not_only_at_the_end() {
        let mut app = typing("Error 492 retry");
        // Fix "492" into "429": back over " retry" and the "2", then edit.
        keys(&mut app, &[Action::Left; 6]);
        keys(&mut app, &[Action::Backspace, Action::Backspace]);
        assert_eq!(app.paste.text, "Error 4 retry");
        keys(&mut app, &[Action::Char('2'), Action::Char('9')]);
        assert_eq!(app.paste.text, "Error 429 retry");
        keys(&mut app, &[Action::Right, Action::Delete, Action::Delete]);
        assert_eq!(app.paste.text, "Error 429 try");
        keys(&mut app, &[Action::Top, Action::Delete, Action::Char('e')]);
        assert_eq!(app.paste.text, "error 429 try");
        keys(&mut app, &[Action::Bottom, Action::Char('!')]);
        assert_eq!(app.paste.text, "error 429 try!");
        // Past either end nothing happens (and nothing panics).
        keys(&mut app, &[Action::Right; 3]);
        keys(&mut app, &[Action::Delete]);
        keys(&mut app, &[Action::Top, Action::Left, Action::Backspace]);
        assert_eq!(app.paste.text, "error 429 try!");
    }

    #[test]
    fn up_and_down_keep_the_column_and_multibyte_text_is_safe() {
        let mut app = typing("çççççç\nab\nhéllo wörld");
        keys(&mut app, &[Action::Left; 6]);
        assert_eq!(app.paste.cursor_line_col(), (2, 5));
        keys(&mut app, &[Action::Up]);
        // "ab" is shorter: the cursor goes to its end.
        assert_eq!(app.paste.cursor_line_col(), (1, 2));
        keys(&mut app, &[Action::Up]);
        assert_eq!(app.paste.cursor_line_col(), (0, 2));
        keys(&mut app, &[Action::Backspace]);
        assert_eq!(app.paste.text, "ççççç\nab\nhéllo wörld");
        keys(&mut app, &[Action::Down, Action::Down, Action::Char('X')]);
        assert_eq!(app.paste.text, "ççççç\nab\nhXéllo wörld");
        keys(&mut app, &[Action::Down; 9]);
        assert_eq!(app.paste.cursor_line_col().0, 2);
    }

    #[test]
    fn a_text_taller_than_the_box_scrolls_with_the_cursor() {
        let text: String = (0..30).map(|i| format!("line {i}\n")).collect();
        let mut app = typing(text.trim_end());
        let s = pane(80, 24, &app, render);
        assert!(s.contains("line 29"), "{s}");
        assert!(!s.contains("line 0 "), "{s}");
        keys(&mut app, &[Action::Up; 29]);
        let s = pane(80, 24, &app, render);
        assert!(s.contains("line 0 "), "the top is reachable:\n{s}");
        assert!(!s.contains("line 29"), "{s}");
        // Typing there edits the first line.
        keys(&mut app, &[Action::Top, Action::Char('>')]);
        assert!(app.paste.text.starts_with(">line 0\n"));
        assert!(pane(80, 24, &app, render).contains(">line 0"));
    }

    #[test]
    fn a_line_wider_than_the_box_scrolls_sideways_to_the_cursor() {
        let long = format!("{}END", "x".repeat(120));
        let mut app = typing(&long);
        let s = pane(60, 20, &app, render);
        assert!(
            s.contains("END"),
            "the cursor's end of the line shows:\n{s}"
        );
        keys(&mut app, &[Action::Top]);
        assert!(!pane(60, 20, &app, render).contains("END"));
    }
}
