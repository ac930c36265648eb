//! One event as one line of text, in the same words everywhere: the text log of `demo`,
//! `watch`, `run` and `replay`, and the live view's event log (which cuts it to its width
//! at a word and colours it).

use crate::duration;
use crate::event::{Event, EventKind, RetryBy};
use crate::headers::Snapshot;
use crate::session::EARLY_TOLERANCE_S;
use std::fmt::Write;

/// The line with its time (seconds since the start) and exchange id, as text logs print it.
pub fn with_time(e: &Event) -> String {
    format!("{:>8.3}s #{:<5} {}", e.t_ms / 1000.0, e.id, text(e))
}

/// The line without time and id.
pub fn text(e: &Event) -> String {
    let mut o = String::new();
    let _ = match &e.kind {
        EventKind::RequestSent {
            method,
            path,
            model,
            est_input_tokens,
            max_tokens,
            stream,
            group,
            attempt,
            ..
        } => {
            let _ = write!(o, "→ {method} {path}");
            if let Some(m) = model {
                let _ = write!(o, " {m}");
            }
            if *stream {
                o.push_str(" · stream");
            }
            if *attempt > 0 {
                let _ = write!(o, " · retry {attempt} of #{group}");
            }
            match (est_input_tokens, max_tokens) {
                (Some(i), Some(m)) => write!(o, " · ~{i} in, max {m} out"),
                (Some(i), None) => write!(o, " · ~{i} in"),
                (None, Some(m)) => write!(o, " · max {m} out"),
                (None, None) => Ok(()),
            }
        }
        EventKind::ResponseReceived {
            status,
            ttfb_ms,
            snapshot,
            diagnosis,
            usage,
            ..
        } => {
            if snapshot.notes.iter().any(|n| n == crate::event::FROM_LOG) {
                let _ = write!(o, "← {status} in the log");
            } else {
                let _ = write!(o, "← {status} in {ttfb_ms:.0} ms");
            }
            if let Some(d) = diagnosis {
                let _ = write!(o, " · {} {}", d.kind.id(), d.provider.id());
                if !d.retryable {
                    o.push_str(" · do not retry");
                } else if let Some(r) = snapshot.retry_after_s.or(d.retry_after_s) {
                    let _ = write!(o, " · retry in {}", duration::human(r));
                }
            }
            write_budgets(&mut o, snapshot);
            match usage {
                Some(u) => write!(
                    o,
                    " · usage {} in / {} out",
                    u.input_tokens, u.output_tokens
                ),
                None => Ok(()),
            }
        }
        EventKind::RetryScheduled {
            group,
            wait_s,
            advised_s,
            by,
            reason,
        } => {
            let who = match by {
                RetryBy::Client => "the program",
                RetryBy::Ratedoctor => "ratedoctor",
            };
            if reason.ends_with(crate::event::WAIT_NOT_LOGGED) {
                let _ = write!(o, "↻ #{group} retried by {who} ({reason})");
                return o;
            }
            let _ = write!(
                o,
                "↻ #{group} retried by {who} after {}",
                duration::human(*wait_s)
            );
            match advised_s {
                Some(a) => {
                    let _ = write!(o, " (advised {})", duration::human(*a));
                    if wait_s + EARLY_TOLERANCE_S < *a {
                        o.push_str(" · too early");
                    }
                    Ok(())
                }
                None => Ok(()),
            }
        }
        EventKind::StreamFinished {
            bytes,
            elapsed_ms,
            usage,
            complete,
        } => {
            // Every answer's body ends with this event, streamed or not.
            let _ = write!(
                o,
                "⇣ {} · {} bytes in {elapsed_ms:.0} ms",
                if *complete { "done" } else { "cut short" },
                duration::count(*bytes as f64)
            );
            match usage {
                Some(u) => write!(
                    o,
                    " · usage {} in / {} out",
                    u.input_tokens, u.output_tokens
                ),
                None => Ok(()),
            }
        }
        EventKind::Failed { error } => write!(o, "✖ failed: {error}"),
        EventKind::Ledger {
            joined: true,
            detail,
        } => write!(o, "⇄ fleet: {detail}"),
        EventKind::Ledger {
            joined: false,
            detail,
        } => write!(o, "⚠ fleet: {detail}"),
        EventKind::Fleet(f) => write!(
            o,
            "⇄ fleet: {} member{} · {} in flight · {} · this one let {} of {} through",
            f.members,
            if f.members == 1 { "" } else { "s" },
            f.in_flight,
            match f.rate_limited {
                1 => "1 429".to_string(),
                n => format!("{n} 429s"),
            },
            f.admitted_here,
            f.admitted_total
        ),
    };
    o
}

/// ` · requests 29/30 · tokens/day 1.2M/2.0M · retry-after 6 s`: each budget the answer
/// reported, in few characters, the one with least headroom first (a narrow log keeps it).
fn write_budgets(o: &mut String, s: &Snapshot) {
    let headroom = |b: &crate::headers::Budget| match (b.remaining, b.limit) {
        (Some(r), Some(l)) if l > 0.0 => r / l,
        _ => f64::INFINITY,
    };
    let mut budgets: Vec<_> = s
        .budgets
        .iter()
        .filter(|b| b.remaining.is_some() || b.limit.is_some())
        .collect();
    budgets.sort_by(|a, b| headroom(a).total_cmp(&headroom(b)));
    for b in budgets {
        o.push_str(" · ");
        o.push_str(b.dimension.id());
        if let Some(w) = b.window {
            o.push('/');
            o.push_str(w.id());
        }
        o.push(' ');
        match b.remaining {
            Some(r) => write_compact(o, r),
            None => o.push('?'),
        }
        o.push('/');
        match b.limit {
            Some(l) => write_compact(o, l),
            None => o.push('?'),
        }
    }
    if let Some(r) = s.retry_after_s {
        let _ = write!(o, " · retry-after {}", duration::human(r));
    }
}

/// `x` in few characters: 1.2M, 25k, 512, 0.5.
fn write_compact(o: &mut String, x: f64) {
    let _ = if x >= 1_000_000.0 {
        write!(o, "{:.1}M", x / 1_000_000.0)
    } else if x >= 10_000.0 {
        write!(o, "{:.0}k", x / 1000.0)
    } else if x.fract() == 0.0 {
        write!(o, "{x:.0}")
    } else {
        write!(o, "{x:.1}")
    };
}
