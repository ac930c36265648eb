//! The diagnosis card (drawing helper shared by the explain view, the paste area and the
//! detail pane): the content of `views::explain::card` as styled lines — kind, provider,
//! model, the numbers with a used-vs-limit bar (requested on top), the retry verdict and
//! wait, cause, fix and the copyable snippet.

use super::{bold, dim};
use crate::diagnose::Diagnosis;
use crate::views::card;
use crate::views::style::wrap;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

const INDENT: usize = 11;
/// Code keeps its own indentation: a small one leaves it room (74 columns at 80).
const SNIPPET_INDENT: usize = 2;

/// `[██████▒▒··]`: used, then requested on top (red when it goes over), then what is left.
pub(crate) fn bar(used: f64, limit: f64, requested: f64, cells: usize) -> Vec<Span<'static>> {
    if limit <= 0.0 {
        return Vec::new();
    }
    let u = ((used / limit) * cells as f64)
        .round()
        .clamp(0.0, cells as f64) as usize;
    let r = (((used + requested) / limit) * cells as f64)
        .round()
        .clamp(0.0, cells as f64) as usize;
    let req = r.saturating_sub(u);
    let over = used + requested > limit;
    vec![
        Span::raw("["),
        Span::styled("█".repeat(u), Style::new().fg(Color::Gray)),
        Span::styled(
            "▒".repeat(req),
            Style::new().fg(if over { Color::Red } else { Color::Yellow }),
        ),
        Span::styled("·".repeat(cells - u - req), dim()),
        Span::raw("]"),
    ]
}

fn row(label: &str, value: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let wrapped = wrap(value, width.saturating_sub(1), INDENT);
    wrapped
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let head = if i == 0 {
                format!("  {label:<8} ")
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled(head, dim()),
                Span::styled(l.to_string(), style),
            ])
        })
        .collect()
}

/// The title line: marker, title, repeat count.
pub(crate) fn title(d: &Diagnosis) -> Line<'static> {
    let (marker, color) = if d.retryable {
        ("● ", Color::Yellow)
    } else {
        ("✖ ", Color::Red)
    };
    let mut spans = vec![
        Span::styled(marker, Style::new().fg(color)),
        Span::styled(d.title.clone(), bold()),
    ];
    if d.occurrences > 1 {
        spans.push(Span::styled(format!("  ×{}", d.occurrences), dim()));
    }
    Line::from(spans)
}

pub(crate) use crate::views::card::verdict;

/// The whole card, `width` columns wide; with `snippet`, the fix's code snippet too.
pub(crate) fn lines(d: &Diagnosis, width: usize, snippet: bool) -> Vec<Line<'static>> {
    let mut out = vec![title(d)];
    out.extend(row("what", &card::what(d), Style::new(), width));

    let numbers = card::numbers(d);
    if let Some((text, b)) = numbers {
        out.extend(row("numbers", &text, Style::new(), width));
        if let Some((used, l, req)) = b {
            let mut spans = vec![Span::raw(" ".repeat(INDENT))];
            spans.extend(bar(used, l, req, 20));
            spans.push(Span::styled(" used ▒ requested", dim()));
            out.push(Line::from(spans));
        }
    }
    let vstyle = if d.retryable {
        Style::new().fg(Color::Green)
    } else {
        Style::new().fg(Color::Red)
    };
    out.extend(row("retry?", &verdict(d), vstyle, width));
    if let Some(r) = &d.resets {
        out.extend(row("resets", r, Style::new(), width));
    }
    if let Some(b) = crate::views::card::because(d) {
        out.extend(row("because", &b, Style::new(), width));
    }
    out.extend(row("cause", &d.cause, Style::new(), width));
    out.extend(row("fix", &d.fix, bold(), width));
    if let Some(m) = &d.message {
        out.extend(row("message", &format!("\"{m}\""), dim(), width));
    }
    if snippet && let Some(snip) = crate::snippet::of(d) {
        out.push(Line::styled(
            format!("  snippet  {} · c copies it", snip.label()),
            dim(),
        ));
        for l in snip.code.lines() {
            out.push(Line::styled(
                format!("{}{l}", " ".repeat(SNIPPET_INDENT)),
                Style::new().fg(Color::Cyan),
            ));
        }
    }
    out
}
