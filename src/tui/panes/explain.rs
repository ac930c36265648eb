//! The explain view: one card per diagnosis, each with its snippet, scrolled line by line
//! (the position shows in the bottom border when the cards are taller than the pane); Tab
//! selects the next card and scrolls to it; `c` copies the selected card's snippet.

use super::{bold, card, dim, footer};
use crate::tui::app::{App, Laid};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let total: u64 = app.explain.iter().map(|d| d.occurrences).sum();
    let title = if app.explain.is_empty() {
        "ratedoctor explain: no API error found (press p and paste one)".to_string()
    } else {
        format!(
            "ratedoctor explain: {total} API error{} found ({} distinct) · card {} of {}",
            if total == 1 { "" } else { "s" },
            app.explain.len(),
            app.explain_sel + 1,
            app.explain.len()
        )
    };
    frame.render_widget(
        Paragraph::new(Line::styled(title, bold().fg(Color::Cyan))),
        head,
    );
    footer::render(frame, foot, app);

    let block = Block::bordered().border_style(dim());
    let width = block.inner(body).width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut starts = Vec::with_capacity(app.explain.len());
    for (i, d) in app.explain.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        starts.push(lines.len());
        let mut card = card::lines(d, width, true);
        if i == app.explain_sel
            && app.explain.len() > 1
            && let Some(first) = card.first_mut()
        {
            *first = first
                .clone()
                .style(Style::new().add_modifier(Modifier::UNDERLINED));
        }
        lines.append(&mut card);
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "Paste a 429 (or any API error): it is diagnosed as it lands.",
            dim(),
        ));
    }
    let laid = Laid {
        rows: block.inner(body).height as usize,
        lines: lines.len(),
        starts,
    };
    let y = app.scroll_explain.min(laid.max_scroll());
    let block = match position(&laid, y) {
        Some(p) => {
            block.title_bottom(Line::styled(p, Style::new().fg(Color::Cyan)).right_aligned())
        }
        None => block,
    };
    *app.explain_laid.borrow_mut() = laid;
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((y as u16, 0)),
        body,
    );
}

/// The scroll position when the cards are taller than their pane: " lines 1–20 of 58 ·
/// ↓ more ", " … · end ".
fn position(laid: &Laid, y: usize) -> Option<String> {
    if laid.lines <= laid.rows || laid.rows == 0 {
        return None;
    }
    let last = (y + laid.rows).min(laid.lines);
    let more = match (y > 0, last < laid.lines) {
        (_, true) => "↓ more",
        (true, false) => "↑ end",
        (false, false) => "",
    };
    Some(format!(
        " lines {}–{last} of {} · {more} ",
        y + 1,
        laid.lines
    ))
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::diagnose::diagnose;
    use crate::tui::app::{App, Msg};
    use crate::tui::fixtures::{SAMPLE_OTPM, SAMPLE_RPM, SAMPLE_TOO_LARGE};
    use crate::tui::input::Action;
    use crate::tui::panes::testing::pane;

    fn app() -> App {
        let mut d = diagnose(SAMPLE_RPM);
        d.extend(diagnose(SAMPLE_OTPM));
        d.extend(diagnose(SAMPLE_TOO_LARGE));
        App::explain(d)
    }

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(100, 40, &app(), render));
    }

    #[test]
    fn second_card_selected() {
        let mut a = app();
        let _ = pane(90, 30, &a, render);
        a.update(Msg::Key(Action::FocusNext));
        insta::assert_snapshot!(pane(90, 30, &a, render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(80, 8, &App::explain(Vec::new()), render));
    }

    #[test]
    fn error_not_retryable() {
        insta::assert_snapshot!(pane(
            80,
            24,
            &App::explain(diagnose(SAMPLE_TOO_LARGE)),
            render
        ));
    }

    #[test]
    fn narrow() {
        insta::assert_snapshot!(pane(40, 12, &app(), render));
    }
}
