//! The end-of-run summary as text: one renderer for `demo`, `watch`, `run` and `replay`
//! (the JSON form is the same [`Summary`] serialized, in `proxy::report::summary_json`).

use crate::duration;
use crate::session::{Session, Summary};
use std::fmt::Write;

/// The summary; `elapsed_s` when the run's length is known (demo, a finished run).
pub fn text(s: &Summary, session: &Session, elapsed_s: Option<f64>) -> String {
    let mut o = String::from("ratedoctor summary");
    if let Some(t) = elapsed_s {
        let _ = write!(o, " ({})", duration::human(t));
    }
    o.push('\n');
    let mut answers = vec![format!("{} ok", s.ok)];
    answers.push(format!("{} rate-limited (429)", s.rate_limited));
    if s.overloaded > 0 {
        answers.push(format!("{} overloaded (503/529)", s.overloaded));
    }
    answers.push(format!("{} other errors", s.other_errors));
    answers.push(format!("{} without an answer", s.failures));
    if session.from_log() {
        // A followed log: errors read, no request seen.
        answers.retain(|a| !a.starts_with("0 "));
        row(
            &mut o,
            "errors",
            &format!(
                "{} read from a log ({}; no requests seen)",
                s.responses + s.failures,
                answers.join(", ")
            ),
        );
    } else {
        row(
            &mut o,
            "requests",
            &format!("{}: {}", s.requests, answers.join(", ")),
        );
    }
    let kinds: Vec<String> = s
        .kinds_by_count()
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    row(
        &mut o,
        "429s",
        &if kinds.is_empty() {
            s.rate_limited.to_string()
        } else {
            format!("{} ({})", s.rate_limited, kinds.join(", "))
        },
    );
    let mut retries = format!(
        "{} by the program ({} sooner than the server asked, {} of errors retrying cannot fix)",
        s.retries_by_client, s.too_early, s.non_retryable_retried
    );
    if s.retries_by_ratedoctor > 0 {
        let _ = write!(retries, ", {} by ratedoctor", s.retries_by_ratedoctor);
    }
    row(&mut o, "retries", &retries);
    let mut waiting = format!(
        "{} between attempts (summed over requests)",
        duration::human(s.waited_s)
    );
    if s.paced_s > 0.0 {
        let _ = write!(waiting, ", {} held by --pace", duration::human(s.paced_s));
    }
    row(&mut o, "time waiting", &waiting);
    row(
        &mut o,
        "wasted calls",
        &format!("{} (retries refused again)", s.wasted_calls),
    );
    row(
        &mut o,
        "failed",
        &format!(
            "{} request{} ({} given up early: the server had asked to wait a minute or less)",
            s.failed_requests,
            if s.failed_requests == 1 { "" } else { "s" },
            s.gave_up_early
        ),
    );
    let now = session.last_ms;
    let tightest = match session.tightest() {
        Some(b) => format!(
            "{} {}{}: {} of {} left{}",
            b.provider.id(),
            b.dimension.id(),
            b.window
                .map(|w| format!(" per {}", w.id()))
                .unwrap_or_default(),
            b.remaining_at(now).map_or("?".into(), duration::count),
            b.latest.limit.map_or("?".into(), duration::count),
            b.stale_note(now, duration::count)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        None => "no budget headers seen".to_string(),
    };
    row(&mut o, "tightest", &tightest);
    row(
        &mut o,
        "tokens",
        &format!(
            "{} in, {} out",
            duration::count(s.input_tokens as f64),
            duration::count(s.output_tokens as f64)
        ),
    );
    row(&mut o, "recommendation", &s.recommendation);
    o
}

fn row(o: &mut String, name: &str, value: &str) {
    let _ = writeln!(o, "  {name:<16}{value}");
}

/// The end-of-run summary as text (the one view every command uses), with a note when
/// the event consumer dropped events.
pub fn proxy_text(s: &Session, st: &crate::proxy::ProxyStats) -> String {
    let mut o = text(&s.summary(&st.helped()), s, None);
    if st.dropped_events > 0 {
        o.push_str(&format!(
            "  note            {} events were dropped by a slow consumer\n",
            st.dropped_events
        ));
    }
    o
}
