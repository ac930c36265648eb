//! The last diagnosis as its card, beside the events when the live view is wide enough
//! ([`super::WIDE_CARD`] columns): what the latest error is, its numbers, whether and
//! when to retry, its cause and fix, without opening it.

use super::{card, dim, secs};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.session;
    let block = Block::bordered().border_style(dim());
    let Some((t, d)) = &s.last_429 else {
        let block = block.title(" last diagnosis ");
        let msg = Line::styled("no error diagnosed yet", dim());
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    };
    let now = app.now_ms.max(s.last_ms);
    let title = format!(
        " last diagnosis · {} ago · Enter on an event opens its own ",
        secs((now - t).max(0.0) / 1000.0)
    );
    let block = block.title(super::fit(&title, area.width.saturating_sub(2) as usize));
    let width = block.inner(area).width as usize;
    frame.render_widget(
        Paragraph::new(card::lines(d, width, false)).block(block),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::tui::app::{App, LiveSource};
    use crate::tui::fixtures::live_app;
    use crate::tui::panes::testing::pane;

    #[test]
    fn typical() {
        insta::assert_snapshot!(pane(90, 16, &live_app(160, 10_000), render));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(pane(60, 4, &App::live(LiveSource::Demo, 100), render));
    }
}
