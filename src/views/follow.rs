//! `explain --follow` in text and JSON Lines: a line per new diagnosis, a count line for
//! its repeats, one JSON object per occurrence, and the summary.

use super::explain::Explained;
use crate::diagnose::Diagnosis;
use crate::duration;
use crate::snippet;
use serde::Serialize;
use std::fmt::Write;

/// `HH:MM:SS` of a timestamp written `YYYY-MM-DDTHH:MM:SS…`.
fn clock(t: &str) -> &str {
    t.get(11..19).unwrap_or(t)
}

/// What the error is, in a line: `429 rpm openai · gpt-4o-mini · retry in 20 s`.
fn what(d: &Diagnosis) -> String {
    let mut o = String::new();
    if let Some(status) = d.status {
        let _ = write!(o, "{status} ");
    }
    let _ = write!(o, "{} {}", d.kind.id(), d.provider.id());
    if let Some(m) = &d.model {
        let _ = write!(o, " · {m}");
    }
    if !d.retryable {
        o.push_str(" · do not retry");
    } else if let Some(r) = d.retry_after_s {
        let _ = write!(o, " · retry in {}", duration::human(r));
    }
    o
}

/// The line for an error seen for the first time: its time, what it is, its title.
pub fn first(t: &str, d: &Diagnosis) -> String {
    format!("{}  {} · {}", clock(t), what(d), d.title)
}

/// The line that updates a repeated error's count.
pub fn repeated(t: &str, d: &Diagnosis) -> String {
    format!("{}  … ×{} {}", clock(t), d.occurrences, what(d))
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    explained: Explained<'a>,
    /// When: the block's own timestamp, else the time it was read (UTC).
    t: &'a str,
    /// `log` (the line's timestamp) or `read`.
    t_from: &'a str,
}

/// One JSON object on one line: the diagnosis as `explain --json` gives it (`occurrences`:
/// the count so far), with `t` and `t_from`.
pub fn json(t: &str, from_log: bool, d: &Diagnosis) -> String {
    let line = Line {
        explained: Explained {
            diagnosis: d,
            snippet: snippet::of(d),
        },
        t,
        t_from: if from_log { "log" } else { "read" },
    };
    serde_json::to_string(&line).unwrap_or_else(|_| "{}".to_string())
}

/// The one-line summary: `12 API errors diagnosed (9 rpm, 3 quota)`.
pub fn summary(name: &str, by_kind: &[(&'static str, u64)]) -> String {
    let total: u64 = by_kind.iter().map(|(_, n)| n).sum();
    let mut o = format!(
        "followed {name}: {total} API error{} diagnosed",
        if total == 1 { "" } else { "s" }
    );
    if total > 0 {
        let parts: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(o, " ({})", parts.join(", "));
    }
    o
}
