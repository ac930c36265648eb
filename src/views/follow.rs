//! `explain --follow` in text: a line per new diagnosis, a count line for its repeats, a
//! line per retry the program's log tells of, and the summary.

use crate::diagnose::Diagnosis;
use crate::duration;
use crate::event::{Event, EventKind};
use crate::session::{Audit, EARLY_TOLERANCE_S};
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

/// The retries the program's log told of, folded into a count: how many, and how many
/// sooner than the server asked.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Retried {
    pub n: u64,
    pub too_early: u64,
}

/// The line that updates a repeated error's count: its kind's rate in the minute up to
/// now (for an answer; an exchange without one has no rate of answers), and the program's
/// retries set against it so far.
pub fn repeated(t: &str, d: &Diagnosis, per_min: Option<u64>, retried: Retried) -> String {
    let mut o = format!("{}  … ×{} {}", clock(t), d.occurrences, what(d));
    if let Some(n) = per_min {
        let _ = write!(o, " · {} {n}/min now", d.kind.id());
    }
    if retried.n > 0 {
        let _ = write!(
            o,
            " · retried {}× by the program ({} too early)",
            retried.n, retried.too_early
        );
    }
    o
}

/// The line that counts the program's retries told of before any error was seen.
pub fn retries(t: &str, who: &str, retried: Retried) -> String {
    format!(
        "{}  … ↻ ×{} retries by the program · {who}",
        clock(t),
        retried.n
    )
}

/// Whether a retry the log told of came sooner than the server asked.
pub fn too_early(e: &Event) -> bool {
    match &e.kind {
        EventKind::RetryScheduled {
            wait_s,
            advised_s: Some(a),
            reason,
            ..
        } => !reason.ends_with(crate::event::WAIT_NOT_LOGGED) && wait_s + EARLY_TOLERANCE_S < *a,
        _ => false,
    }
}

/// The line for a retry the program's log tells of: `08:00:05  ↻ the program retried
/// after 4 s (server asked 20 s) · too early · openai-python`.
pub fn retry(t: &str, e: &Event) -> String {
    let EventKind::RetryScheduled {
        wait_s,
        advised_s,
        reason,
        ..
    } = &e.kind
    else {
        return String::new();
    };
    let mut o = format!("{}  ↻ ", clock(t));
    if reason.ends_with(crate::event::WAIT_NOT_LOGGED) {
        let _ = write!(o, "the program retried ({reason})");
        return o;
    }
    let _ = write!(o, "the program retries in {}", duration::human(*wait_s));
    if let Some(a) = advised_s {
        let _ = write!(o, " (server asked {})", duration::human(*a));
        if too_early(e) {
            o.push_str(" · too early");
        }
    }
    let _ = write!(o, " · {reason}");
    o
}

/// The one-line summary: `12 API errors diagnosed (9 rpm, 3 quota)`, and the retries the
/// log told of: `; 4 retries by the program (3 sooner than the server asked)`, or, when the
/// log gave no hint to set them against (`judged`: the retries that had one),
/// `; 4 retries by the program (no server hint logged with them)`.
pub fn summary(name: &str, by_kind: &[(&'static str, u64)], audit: &Audit, judged: u64) -> String {
    let total: u64 = by_kind.iter().map(|(_, n)| n).sum();
    let mut o = format!(
        "followed {name}: {total} API error{} diagnosed",
        if total == 1 { "" } else { "s" }
    );
    if total > 0 {
        let parts: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(o, " ({})", parts.join(", "));
    }
    if audit.retries > 0 {
        let _ = write!(
            o,
            "; {} retr{} by the program ",
            audit.retries,
            if audit.retries == 1 { "y" } else { "ies" },
        );
        let _ = match judged {
            0 => write!(o, "(no server hint logged with them)"),
            n if n == audit.retries => {
                write!(o, "({} sooner than the server asked)", audit.too_early)
            }
            n => write!(
                o,
                "({} sooner than the server asked, of {n} logged with a hint)",
                audit.too_early
            ),
        };
    }
    o
}
