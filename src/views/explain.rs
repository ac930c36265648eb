//! The explain view in text: one card per diagnosis, and the JSON document.

use super::card;
use super::style::{Style, wrap};
use crate::diagnose::Diagnosis;
use crate::snippet::{self, Snippet};
use serde::Serialize;

/// The `--json` document.
#[derive(Serialize)]
pub struct Report<'a> {
    pub diagnoses: Vec<Explained<'a>>,
}

/// One diagnosis with the fix's snippet for its provider's SDK (`snippet`: `language`,
/// `sdk`, `code`; null when the cause has none).
#[derive(Serialize)]
pub struct Explained<'a> {
    #[serde(flatten)]
    pub diagnosis: &'a Diagnosis,
    pub snippet: Option<Snippet>,
}

/// One JSON document, pretty-printed, with a trailing newline.
pub fn json(diagnoses: &[Diagnosis]) -> String {
    let diagnoses = diagnoses
        .iter()
        .map(|d| Explained {
            diagnosis: d,
            snippet: snippet::of(d),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Report { diagnoses })
        .unwrap_or_else(|_| "{\"diagnoses\":[]}".to_string());
    s.push('\n');
    s
}

/// A 10-cell bar of used/limit, with the requested share drawn on top.
fn bar(used: f64, limit: f64, requested: f64, style: Style) -> String {
    if limit <= 0.0 {
        return String::new();
    }
    let cells = 10usize;
    let u = ((used / limit) * cells as f64)
        .round()
        .clamp(0.0, cells as f64) as usize;
    let r = (((used + requested) / limit) * cells as f64)
        .round()
        .clamp(0.0, cells as f64) as usize;
    let over = used + requested > limit;
    let mut s = String::from("[");
    s.push_str(&"█".repeat(u));
    let req_cells = r.saturating_sub(u);
    let req = "▒".repeat(req_cells);
    s.push_str(&if over {
        style.red(&req)
    } else {
        style.yellow(&req)
    });
    s.push_str(&"·".repeat(cells - u - req_cells));
    s.push(']');
    s
}

/// Renders the cards for all diagnoses, `width` columns wide.
pub fn cards(diagnoses: &[Diagnosis], style: Style, width: usize) -> String {
    let mut out = String::new();
    let total: u64 = diagnoses.iter().map(|d| d.occurrences).sum();
    out.push_str(&format!(
        "{} {} ({} distinct, {} in all)\n\n",
        style.bold("ratedoctor:"),
        if total == 1 {
            "1 API error found".to_string()
        } else {
            format!("{total} API errors found")
        },
        diagnoses.len(),
        total
    ));
    for (i, d) in diagnoses.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&card(d, style, width));
    }
    out
}

type Paint = fn(Style, &str) -> String;

fn plain(_: Style, t: &str) -> String {
    t.to_string()
}

fn row(label: &str, value: &str, paint: Paint, style: Style, width: usize) -> String {
    const INDENT: usize = 13;
    let wrapped = wrap(value, width.saturating_sub(1), INDENT);
    let painted: Vec<String> = wrapped
        .lines()
        .map(|l| {
            let body = l.trim_start();
            let pad = &l[..l.len() - body.len()];
            format!("{pad}{}", paint(style, body))
        })
        .collect();
    format!(
        "  {}{} {}\n",
        style.dim(label),
        " ".repeat(10usize.saturating_sub(label.chars().count())),
        painted.join("\n")
    )
}

/// One card.
pub fn card(d: &Diagnosis, style: Style, width: usize) -> String {
    let mut s = String::new();
    let marker = if d.retryable {
        style.yellow("●")
    } else {
        style.red("✖")
    };
    let times = if d.occurrences > 1 {
        format!("  ×{}", d.occurrences)
    } else {
        String::new()
    };
    s.push_str(&format!("{marker} {}{times}\n", style.bold(&d.title)));

    s.push_str(&row("what", &card::what(d), plain, style, width));

    let numbers = match card::numbers(d) {
        Some((t, Some((used, l, req)))) => format!("{t}  {}", bar(used, l, req, Style::PLAIN)),
        Some((t, None)) => t,
        None => String::new(),
    };
    if !numbers.is_empty() {
        s.push_str(&row("numbers", &numbers, plain, style, width));
    }

    let verdict = card::verdict(d);
    let paint: Paint = if d.retryable {
        Style::green
    } else {
        Style::red
    };
    s.push_str(&row("retry?", &verdict, paint, style, width));
    if let Some(r) = &d.resets {
        s.push_str(&row("resets", r, plain, style, width));
    }
    if let Some(b) = card::because(d) {
        s.push_str(&row("because", &b, plain, style, width));
    }
    s.push_str(&row("cause", &d.cause, plain, style, width));
    s.push_str(&row("fix", &d.fix, Style::bold, style, width));
    if let Some(m) = &d.message {
        s.push_str(&row(
            "message",
            &format!("\"{m}\""),
            Style::dim,
            style,
            width,
        ));
    }
    let place = match &d.source {
        Some(src) => format!("{src}, bytes {}–{}", d.span[0], d.span[1]),
        None => format!("bytes {}–{}", d.span[0], d.span[1]),
    };
    s.push_str(&row("found at", &place, plain, style, width));
    if let Some(snip) = snippet::of(d) {
        s.push_str(&row("snippet", &snip.label(), Style::dim, style, width));
        for l in snip.code.lines() {
            if l.is_empty() {
                s.push('\n');
            } else {
                s.push_str(&format!("    {}\n", style.cyan(l)));
            }
        }
    }
    s
}
