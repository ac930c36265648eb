//! The diagnosis card (drawing helper shared by the explain view, the paste area and the
//! detail pane): the content of `views::explain::card` as styled lines — kind, provider,
//! model, the numbers with a used-vs-limit bar (requested on top), the retry verdict and
//! wait, cause, fix and the copyable snippet.

use super::{bold, dim};
use crate::diagnose::{Diagnosis, Kind};
use crate::duration;
use crate::table;
use crate::views::style::wrap;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

const INDENT: usize = 11;

fn unit(kind: Kind) -> &'static str {
    match kind {
        Kind::Rpm | Kind::Rpd => "requests",
        Kind::Tpm | Kind::Tpd | Kind::InputTpm | Kind::OutputTpm => "tokens",
        Kind::Ipm => "images",
        Kind::Concurrency => "in flight",
        _ => "",
    }
}

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

/// "yes, wait 20 s (server hint: 20 s)" / "no: …".
pub(crate) fn verdict(d: &Diagnosis) -> String {
    if d.retryable {
        let mut t = format!("yes, wait {}", d.wait);
        if let Some(r) = d.retry_after_s
            && duration::human(r) == d.wait
        {
            t.push_str(&format!(" (server hint: {} s)", duration::trim_float(r, 3)));
        }
        t
    } else {
        let why = d
            .wait
            .trim_start_matches("do not retry")
            .trim_start_matches([':', ';', ' ']);
        if why.is_empty() {
            "no".to_string()
        } else {
            format!("no: {why}")
        }
    }
}

/// The whole card, `width` columns wide; with `snippet`, the fix's code snippet too.
pub(crate) fn lines(d: &Diagnosis, width: usize, snippet: bool) -> Vec<Line<'static>> {
    let mut out = vec![title(d)];
    let mut what = vec![match d.window {
        Some(w) => format!("{} (per {})", d.kind.id(), w.id()),
        None => d.kind.id().to_string(),
    }];
    what.push(format!("provider {}", d.provider.id()));
    if let Some(st) = d.status {
        what.push(format!("HTTP {st}"));
    }
    if let Some(m) = &d.model {
        what.push(format!("model {m}"));
    }
    if let Some(o) = &d.organization {
        what.push(format!("org {o}"));
    }
    out.extend(row("what", &what.join(" · "), Style::new(), width));

    let u = unit(d.kind);
    let numbers = match (d.limit, d.used, d.requested) {
        (Some(l), Some(used), req) => {
            let pct = if l > 0.0 { used / l * 100.0 } else { 0.0 };
            let mut t = format!(
                "used {} / {} {u} ({pct:.0}%)",
                duration::count(used),
                duration::count(l)
            );
            if let Some(r) = req {
                t.push_str(&format!(" · requested {}", duration::count(r)));
                if used + r > l {
                    t.push_str(&format!(" (over by {})", duration::count(used + r - l)));
                }
            }
            Some((t, Some((used, l, req.unwrap_or(0.0)))))
        }
        (Some(l), None, Some(r)) => Some((
            format!(
                "limit {} {u} · requested {}",
                duration::count(l),
                duration::count(r)
            ),
            Some((0.0, l, r)),
        )),
        (Some(l), None, None) => Some((format!("limit {} {u}", duration::count(l)), None)),
        (None, Some(used), _) => Some((format!("used {} {u}", duration::count(used)), None)),
        _ => None,
    };
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
    out.extend(row("cause", &d.cause, Style::new(), width));
    out.extend(row("fix", &d.fix, bold(), width));
    if let Some(m) = &d.message {
        out.extend(row("message", &format!("\"{m}\""), dim(), width));
    }
    if snippet && let Some(code) = table::lookup(d.detail, d.provider).snippet {
        out.push(Line::styled("  snippet  (select to copy)", dim()));
        for l in code.lines() {
            out.push(Line::styled(
                format!("{}{l}", " ".repeat(INDENT)),
                Style::new().fg(Color::Cyan),
            ));
        }
    }
    out
}
