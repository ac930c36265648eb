//! The detail pane (Enter on a log line): the exchange's request, its rate-limit headers as
//! received, the budgets they say, and the diagnosis card.

use super::{bold, card, dim, events, overlay_block};
use crate::duration;
use crate::event::EventKind;
use crate::tui::app::{App, Logged, Overlay};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn exchange(app: &App, id: u64) -> (Option<&Logged>, Option<&Logged>) {
    let mut req = None;
    let mut resp = None;
    for l in app.log.items.iter().rev() {
        if l.event.id != id {
            continue;
        }
        match l.event.kind {
            EventKind::RequestSent { .. } if req.is_none() => req = Some(l),
            EventKind::ResponseReceived { .. } if resp.is_none() => resp = Some(l),
            _ => {}
        }
        if req.is_some() && resp.is_some() {
            break;
        }
    }
    (req, resp)
}

pub(crate) fn lines(app: &App, seq: u64, width: usize) -> Vec<Line<'static>> {
    let Some(sel) = app.log.get(seq) else {
        return vec![Line::styled(
            "this event is no longer kept (the log keeps the newest events only)",
            dim(),
        )];
    };
    let id = sel.event.id;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("exchange #{id}"), bold()),
        Span::styled(format!("  at {:.3} s", sel.event.t_ms / 1000.0), dim()),
    ])];
    let (_, resp) = exchange(app, id);
    // Every line of the exchange still kept, in the order they happened; the one opened
    // is marked.
    for l in app.log.items.iter().filter(|l| l.event.id == id) {
        let (t, style) = events::describe(l);
        let mark = if l.seq == sel.seq { "▸ " } else { "  " };
        out.push(Line::styled(format!("{mark}{t}"), style));
    }
    let Some(resp) = resp else {
        out.push(Line::styled("  no response yet", dim()));
        return out;
    };
    if let EventKind::ResponseReceived {
        snapshot,
        headers,
        diagnosis,
        usage,
        ..
    } = &resp.event.kind
    {
        out.push(Line::raw(""));
        out.push(Line::styled("rate-limit headers", bold().fg(Color::Cyan)));
        if headers.is_empty() {
            out.push(Line::styled("  none", dim()));
        }
        for (k, v) in headers {
            out.push(Line::from(vec![
                Span::styled(format!("  {k}: "), dim()),
                Span::raw(v.clone()),
            ]));
        }
        if !snapshot.budgets.is_empty() {
            out.push(Line::raw(""));
            out.push(Line::styled("budgets", bold().fg(Color::Cyan)));
            for b in &snapshot.budgets {
                let mut t = format!(
                    "  {:<14} {} / {}",
                    b.dimension.id(),
                    b.remaining.map_or("?".to_string(), duration::count),
                    b.limit.map_or("?".to_string(), duration::count)
                );
                if let Some(r) = b.reset_s {
                    t.push_str(&format!("  resets in {}", duration::human(r)));
                }
                out.push(Line::raw(t));
            }
        }
        if let Some(r) = snapshot.retry_after_s {
            out.push(Line::raw(format!("  retry after {}", duration::human(r))));
        }
        if let Some(u) = usage {
            out.push(Line::styled(
                format!("  usage: {} in, {} out", u.input_tokens, u.output_tokens),
                dim(),
            ));
        }
        if let Some(d) = diagnosis {
            out.push(Line::raw(""));
            out.extend(card::lines(d, width, true));
        }
    }
    out
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let block = overlay_block(frame, area, "detail · Esc closes · ↑↓ scroll");
    let width = block.inner(area).width as usize;
    let content = match app.overlay {
        Overlay::Detail(seq) => lines(app, seq, width),
        _ => Vec::new(),
    };
    let y = app.scroll_overlay.min(content.len().saturating_sub(1)) as u16;
    frame.render_widget(Paragraph::new(content).block(block).scroll((y, 0)), area);
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::event::EventKind;
    use crate::tui::app::{App, LiveSource, Msg, Overlay};
    use crate::tui::fixtures::live_app;
    use crate::tui::input::Action;
    use crate::tui::panes::testing::pane;

    fn open_on(app: &mut App, pred: impl Fn(&EventKind) -> bool) {
        let seq = app
            .log
            .items
            .iter()
            .rev()
            .find(|l| pred(&l.event.kind))
            .map(|l| l.seq)
            .unwrap();
        app.selected = Some(seq);
        app.update(Msg::Key(Action::Enter));
        assert_eq!(app.overlay, Overlay::Detail(seq));
    }

    #[test]
    fn typical_a_429_with_headers_and_card() {
        let mut app = live_app(160, 10_000);
        open_on(
            &mut app,
            |k| matches!(k, EventKind::ResponseReceived { status: 429, headers, .. } if headers.len() > 8),
        );
        insta::assert_snapshot!(pane(100, 50, &app, render));
    }

    /// Issue #14: the exchange's lines in the order they happened (the response opened,
    /// its request still comes first), the opened one marked.
    #[test]
    fn the_exchange_is_listed_in_time_order() {
        let mut app = live_app(160, 10_000);
        open_on(&mut app, |k| {
            matches!(k, EventKind::ResponseReceived { status: 200, .. })
        });
        let Overlay::Detail(seq) = app.overlay else {
            unreachable!()
        };
        let text: Vec<String> = super::lines(&app, seq, 90)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let request = text.iter().position(|l| l.contains("→ POST")).unwrap();
        let response = text.iter().position(|l| l.starts_with("▸ ← 200")).unwrap();
        assert!(request < response, "{text:#?}");
    }

    #[test]
    fn ok_response() {
        let mut app = live_app(160, 10_000);
        open_on(&mut app, |k| {
            matches!(k, EventKind::ResponseReceived { status: 200, .. })
        });
        insta::assert_snapshot!(pane(90, 24, &app, render));
    }

    #[test]
    fn empty_evicted() {
        let mut app = App::live(LiveSource::Demo, 10);
        app.overlay = Overlay::Detail(5);
        insta::assert_snapshot!(pane(80, 6, &app, render));
    }

    #[test]
    fn error_request_without_answer() {
        let mut app = App::live(LiveSource::Demo, 10);
        let first = crate::tui::fixtures::scripted_events(1)[0].clone();
        app.update(Msg::Event(first));
        app.update(Msg::Key(Action::Enter));
        insta::assert_snapshot!(pane(80, 8, &app, render));
    }

    #[test]
    fn narrow() {
        let mut app = live_app(160, 10_000);
        open_on(&mut app, |k| {
            matches!(k, EventKind::ResponseReceived { status: 429, .. })
        });
        insta::assert_snapshot!(pane(40, 12, &app, render));
    }
}
